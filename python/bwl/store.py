"""Stores: one decoded copy of each track per node, kept across runs.

``Collection(paths, store=DIR)`` keeps each track's inflated blocks in one
file under DIR (``<hash of the source>.bwls``, layout in
``csrc/core/store_file.hpp``). The first process that needs a track builds
its file (all cores; another process wanting it meanwhile waits on its
lock instead of building it again); every process maps the finished file
read-only, so the page cache holds one copy per node however many
DataLoader workers and DDP ranks read it, and the next run starts warm.

A file is written under a temporary name, synced and renamed into place,
so a reader sees a whole file or none; each records the identity of what it
was built from (local: path, size, modification time; http(s): URL, size
and ETag or Last-Modified; fsspec: URL, size, ``ukey``; a file object: its
size; all: a fingerprint of the header and index), and a track whose
identity changed is rebuilt, never read from the old file. See
docs/decisions.md ("Stores") for where to put DIR.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import urllib.parse
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from bwl import _check, _core

SUFFIX = ".bwls"
log = logging.getLogger("bwl.store")  # INFO: each store file built, and why


def source_key(path: str) -> str:
    """What names a track's source across processes and runs: the real path
    of a local file; a URL (http(s) or fsspec) without credentials or query
    (a signed URL's query changes; its ETag says whether the file did). A
    file object is named by its content instead (:func:`identity`)."""
    if "://" not in path:
        return os.path.realpath(path)
    u = urllib.parse.urlsplit(path)
    host = u.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if u.port:
        netloc += f":{u.port}"
    return urllib.parse.urlunsplit((u.scheme, netloc, u.path, "", ""))


@dataclass(frozen=True)
class StoreEntry:
    """One store file, as :meth:`Store.entries` lists it.

    Attributes
    ----------
    path : str
        The file under the store's directory.
    source : str
        What it was built from (a path or URL).
    file_bytes, data_bytes : int
        Its size, and the decoded blocks' share of it.
    status : str
        ``"fresh"`` (its source is there and unchanged), ``"stale"`` (the
        source changed: the next Collection rebuilds it), ``"missing"`` (the
        source is gone), ``"remote"`` (a URL or a file object: not checked
        here) or
        ``"damaged: ..."`` (the file fails its checks).
    """

    path: str
    source: str
    file_bytes: int
    data_bytes: int
    status: str


class Store:
    """A store directory (``Collection(paths, store=DIR)``).

    Parameters
    ----------
    directory : path
        Where the store files live (created when missing). Local NVMe or
        ``/dev/shm`` (memory: the fastest, but it counts against RAM and is
        gone at reboot); a shared filesystem works (files are renamed into
        place and locked with ``flock``) but each node pages the data in
        over the network.
    """

    def __init__(self, directory) -> None:
        self.directory = os.path.abspath(_check.path("store", directory))

    def __repr__(self) -> str:
        return f"bwl.Store({self.directory!r})"

    def file_for(self, source: str) -> str:
        """The store file of the track whose :func:`source_key` is ``source``."""
        name = hashlib.sha256(source.encode()).hexdigest()[:32]
        return os.path.join(self.directory, name + SUFFIX)

    # ---------------------------------------------------------- Collection

    def attach(self, core: _core.Collection, paths: list[str], sources: list) -> None:
        """Maps each track of ``core`` from its store file, building those
        missing, stale or damaged (a progress bar on a terminal)."""
        todo = {}
        for t, (path, src) in enumerate(zip(paths, sources)):
            key, ident = identity(core, t, path, src)
            if _core.store_use(core, t, self.file_for(key), ident):
                todo[t] = (key, ident)
        if todo:
            self._build(core, todo)

    def _build(self, core: _core.Collection, todo: dict[int, tuple[str, str]]) -> None:
        self._make_directory()
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="store", unit="track", disable=None)
        try:
            waiting = []
            for t, (key, ident) in todo.items():  # first the tracks nobody else is building
                with self._lock(key, wait=False) as held:
                    if held:
                        self._build_one(core, t, key, ident)
                        bar.update()
                    else:
                        waiting.append(t)
            for t in waiting:  # then wait for the others' builders
                key, ident = todo[t]
                with self._lock(key, wait=True):
                    self._build_one(core, t, key, ident)
                    bar.update()
        finally:
            bar.close()

    def _build_one(self, core: _core.Collection, t: int, key: str, ident: str) -> None:
        path = self.file_for(key)
        why = _core.store_use(core, t, path, ident)
        if not why:
            return  # another process built it while we waited
        log.info("building %s for %s (%s)", path, key, why)
        try:
            _core.store_build(core, t, path, ident)
        except OSError as e:
            raise type(e)(e.errno, f"store {self.directory}: building the store file of {key}: {e}") from None
        why = _core.store_use(core, t, path, ident)
        if why:
            raise _core.FormatError(f"store {self.directory}: the store file just built for {key} fails: {why}")

    def _make_directory(self) -> None:
        try:
            os.makedirs(self.directory, exist_ok=True)
        except OSError as e:
            raise type(e)(e.errno, f"store {self.directory}: cannot create the directory: {e.strerror}") from None
        if not os.access(self.directory, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, f"store {self.directory}: the directory is not writable, and a "
                                                f"track's store file is missing, stale or damaged: build it where "
                                                f"DIR is writable (bwl store build DIR TRACK...)")

    @contextlib.contextmanager
    def _lock(self, key: str, wait: bool) -> Iterator[bool]:
        """flock on the track's ``.lock`` file (kept: removing a lock file
        another process is about to take would let two builders in)."""
        path = self.file_for(key) + ".lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise type(e)(e.errno, f"store {self.directory}: cannot create the lock file {path}: {e.strerror}") \
                from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # releases the lock

    # ------------------------------------------------------- housekeeping

    def build(self, paths, **collection_args) -> list[StoreEntry]:
        """Builds (or checks) the store files of ``paths`` now, as the first
        ``Collection(paths, store=...)`` would; returns their entries."""
        from bwl.collection import Collection

        c = Collection(paths, store=self.directory, **collection_args)
        keys = {source_key(p) for p in c.paths}
        return [e for e in self.entries() if e.source in keys]

    def entries(self, verify: bool = False) -> list[StoreEntry]:
        """Every store file in the directory, with its source and status;
        ``verify`` also checks every decoded block's CRC (reads it all)."""
        out = []
        if not os.path.isdir(self.directory):
            return out
        for name in sorted(os.listdir(self.directory)):
            if name.endswith(SUFFIX):
                out.append(self._entry(os.path.join(self.directory, name), verify))
        return out

    def _entry(self, path: str, verify: bool) -> StoreEntry:
        size = os.path.getsize(path)
        try:
            info = _core.store_file_info(path, verify)
        except (_core.FormatError, OSError) as e:
            return StoreEntry(path, "?", size, 0, f"damaged: {e}")
        ident = json.loads(info["identity"])
        src = ident.get("source", "?")
        if info.get("bad_blocks"):
            status = f"damaged: {info['bad_blocks']} of {info['blocks']} blocks fail their CRC"
        elif "://" in src or src.startswith("file object "):
            status = "remote"
        elif not os.path.exists(src):
            status = "missing"
        else:
            st = os.stat(src)
            fresh = (st.st_size, st.st_mtime_ns) == (ident.get("size"), ident.get("mtime_ns"))
            status = "fresh" if fresh else "stale"
        return StoreEntry(path, src, size, info["data_bytes"], status)

    def prune(self, keep_remote: bool = True, verify: bool = False) -> list[StoreEntry]:
        """Removes the store files whose source is stale or missing, or which
        are damaged (``verify``: their data's CRCs too), URLs' unless
        ``keep_remote``, and leftover temporary files of builds that died;
        returns what it removed. A process that has a removed file mapped
        keeps reading it."""
        gone = []
        for e in self.entries(verify):
            if e.status in ("stale", "missing") or e.status.startswith("damaged") or \
                    (e.status == "remote" and not keep_remote):
                os.unlink(e.path)
                gone.append(e)
        for name in os.listdir(self.directory) if os.path.isdir(self.directory) else []:
            if SUFFIX + ".tmp-" in name:
                p = os.path.join(self.directory, name)
                pid = name.rsplit(".tmp-", 1)[1].split("-")[0]
                if pid.isdigit() and not _alive(int(pid)):
                    os.unlink(p)
        return gone


def open_sources(srcs: list, remote, store: Store) -> list:
    """:func:`bwl._remote.open_sources`, except that an http(s) track whose
    server cannot be reached is opened from its store file, when it has one
    (with a warning: whether the file changed cannot be checked)."""
    from bwl._remote import is_remote
    from bwl._remote import open_sources as open_all

    def from_store(src, err):
        key = source_key(os.fspath(src)) if is_remote(src) and isinstance(src, (str, os.PathLike)) else None
        path = store.file_for(key) if key else None
        if path is None or "://" not in key or not os.path.exists(path):
            raise err
        warnings.warn(f"{key}: served from its store file {path}, since the server did not answer ({err}); whether "
                      f"the file changed since cannot be checked", stacklevel=2)
        return key, _core.StoreSource(path)

    return open_all(srcs, remote, fallback=from_store)


def identity(core: _core.Collection, t: int, path: str, source) -> tuple[str, str]:
    """(key, identity) of track ``t``: the :func:`source_key` its store file
    is named by, and what the track is now (JSON, compared whole with a
    store file's): the fingerprint of its header and index, with its size
    and modification time (local), ETag and Last-Modified (http) or
    fsspec's ``ukey`` (other URLs). A file object has no lasting name: its
    key is its size and fingerprint, so the same bytes find their file."""
    from bwl._remote.files import FileObjectSource, FsspecSource

    if isinstance(source, _core.StoreSource):  # opened from the store itself: nothing else to compare with
        return source_key(path), source.identity
    fingerprint = _core.store_fingerprint(core, t)
    d: dict = {"fingerprint": fingerprint}
    if source is None:
        st = os.stat(path)
        d.update(source=source_key(path), size=st.st_size, mtime_ns=st.st_mtime_ns)
    elif isinstance(source, FileObjectSource):
        d.update(source=f"file object {source.size()} bytes {fingerprint}", size=source.size())
    elif isinstance(source, FsspecSource):
        d.update(source=source_key(path), size=source.size(), ukey=source.ukey())
    else:
        etag, modified = getattr(source, "_validators", None) or (None, None)
        d.update(source=source_key(path), size=source.size(), etag=etag, last_modified=modified)
    return d["source"], json.dumps(d, sort_keys=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
