"""Tracks that are not local paths: http(s) URLs, fsspec URLs, file objects.

The C++ core plans which byte ranges it needs and reads them through a
source from this module (``csrc/python/range_reader.hpp`` calls ``size``,
``read`` and ``prefetch``). This module does the transfers:

- a cache of fetched extents, bounded in bytes and shared by all sources
  (:func:`set_remote_cache`), so headers, indexes and blocks are fetched once;
- ``prefetch``: the ranges a batch is about to read, minus what is cached or
  in flight, merged where the gaps between them are small, fetched
  concurrently; reads wait for what is in flight;
- a read the cache misses fetches at least ``readahead`` bytes (headers and
  index nodes come in few requests);
- http(s) by the standard library: keep-alive connections per thread,
  connect/read timeouts, a deadline per request, retries with backoff on
  5xx/429/resets/truncated bodies, redirects, and checks that the server
  honoured the range and that the file did not change (size, ETag,
  Last-Modified) since it was opened.

Every failure is an :class:`RemoteError` (an OSError) naming the URL.
"""
from __future__ import annotations

import errno as _errno
import hashlib
import http.client
import itertools
import os
import random
import ssl
import threading
import time
import warnings
import weakref
from bisect import bisect_right
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import unquote, urljoin, urlsplit

_UA = "bwl (https://github.com/bwl)"


class RemoteError(OSError):
    """A remote or file-object track could not be read; the message names it."""


class RemoteFileNotFoundError(RemoteError, FileNotFoundError):
    """The URL names no file (HTTP 404/410, or the backend says so)."""


def remote_error(code: int, message: str) -> RemoteError:
    """The exception for an errno and message (also used by the core)."""
    cls = RemoteFileNotFoundError if code == _errno.ENOENT else RemoteError
    return cls(code, message)


@dataclass(frozen=True)
class RemoteOptions:
    """How remote tracks are fetched (pass as ``remote=`` or set globally).

    timeout: seconds for connecting and for each socket read.
    deadline: seconds one request may take in all (a server trickling bytes
        cannot hold a read longer).
    retries: extra attempts after a 5xx/429, a reset or a truncated body,
        with exponential backoff from ``backoff`` seconds.
    readahead: a read the cache misses fetches at least this many bytes.
    gap: prefetched ranges closer than this are fetched as one request.
    max_request: no request asks for more than this many bytes.
    concurrency: requests in flight at once (all sources together).
    whole_file_limit: a server that ignores Range requests (HTTP 200) is
        still read when the file is at most this big (downloaded once);
        larger files raise.
    storage_options: keyword arguments for fsspec's filesystem (``s3://``
        credentials, endpoint URLs, ...).
    cache_dir: keep fetched ranges on disk here too, between runs and
        processes (as UCSC's udc cache does; default ``BWL_REMOTE_CACHE_DIR``,
        or none). Keyed by URL, size and ETag/Last-Modified, so a changed
        file is fetched anew; never trimmed: delete the folder to clear it.
    """

    timeout: float = 30.0
    deadline: float = 120.0
    retries: int = 3
    backoff: float = 0.2
    readahead: int = 64 << 10
    gap: int = 32 << 10
    max_request: int = 16 << 20
    concurrency: int = 16
    whole_file_limit: int = 64 << 20
    storage_options: Optional[dict] = None  # passed to fsspec for its URLs (credentials, endpoints)
    cache_dir: Optional[str] = os.environ.get("BWL_REMOTE_CACHE_DIR") or None


DEFAULT_OPTIONS = RemoteOptions()


class _Retry(Exception):
    """A failure worth another attempt (5xx, reset, truncated body)."""


# -- the shared cache ------------------------------------------------------------
class _Cache:
    """Fetched extents of all sources; least recently used evicted first."""

    def __init__(self, max_bytes: int) -> None:
        self.lock = threading.RLock()
        self.max_bytes = max_bytes
        self.bytes = 0
        self.lru: OrderedDict[tuple[int, int], int] = OrderedDict()  # (source id, start) -> size
        self.owners: weakref.WeakValueDictionary[int, _Source] = weakref.WeakValueDictionary()

    def evict(self) -> None:  # lock held
        while self.bytes > self.max_bytes and self.lru:
            (sid, start), size = self.lru.popitem(last=False)
            self.bytes -= size
            src = self.owners.get(sid)
            if src is not None:
                src._drop(start)

    def purge(self, sid: int, starts: list[int]) -> None:
        """Forgets a source's extents (it was closed or collected)."""
        with self.lock:
            for s in starts:
                self.bytes -= self.lru.pop((sid, s), 0)
            self.owners.pop(sid, None)


_CACHE = _Cache(int(os.environ.get("BWL_REMOTE_CACHE", 1 << 30)))
_IDS = itertools.count()
_POOL: Optional[ThreadPoolExecutor] = None
_POOL_LOCK = threading.Lock()


def set_remote_cache(max_bytes: int) -> None:
    """Bytes of fetched remote data kept in memory, all sources together
    (default 1 GiB, or ``BWL_REMOTE_CACHE``). 0 keeps nothing between reads."""
    with _CACHE.lock:
        _CACHE.max_bytes = max(0, int(max_bytes))
        _CACHE.evict()


def remote_cache_bytes() -> int:
    """Bytes of remote data cached right now."""
    return _CACHE.bytes


def _pool(workers: int) -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="bwl-fetch")
        return _POOL


def _after_fork_in_child() -> None:
    """A forked child has none of the parent's threads: a fresh pool and
    locks, no claims in flight (their fetchers are not here), and no shared
    connections (the parent's sockets stay the parent's)."""
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = None, threading.Lock()
    _CACHE.lock = threading.RLock()
    for src in list(_CACHE.owners.values()):
        src._forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# -- a source: cache, in-flight claims, prefetch -----------------------------------
class _Source:
    """Bytes of one remote file, by ranges. Subclasses implement ``_fetch``.

    Extents are kept non-overlapping and sorted by start; a claim is a range
    being fetched, which other reads wait for instead of fetching it again.
    All state is guarded by the cache's lock; transfers run without it.
    """

    def __init__(self, name: str, opts: RemoteOptions) -> None:
        self.name = name
        self.opts = opts
        self._size = 0
        self._sid = next(_IDS)
        self._starts: list[int] = []  # never rebound: the finalizer holds it
        self._data: dict[int, bytes] = {}
        self._fl_starts: list[int] = []  # claims (ranges in flight): sorted starts, non-overlapping
        self._fl: dict[int, tuple[int, threading.Event]] = {}  # start -> (end, done)
        self._failure: Optional[tuple[float, BaseException]] = None
        self.requests = 0  # requests made (attempts included)
        self.bytes_fetched = 0
        self._disk: Optional[_DiskCache] = None
        with _CACHE.lock:
            _CACHE.owners[self._sid] = self
        self._finalizer = weakref.finalize(self, _CACHE.purge, self._sid, self._starts)

    def forget(self) -> None:
        """Drops this source's cached extents."""
        with _CACHE.lock:
            _CACHE.purge(self._sid, self._starts)
            self._starts.clear()
            self._data.clear()
            _CACHE.owners[self._sid] = self

    def size(self) -> int:
        return self._size

    # Called by the core (any thread).
    def read(self, off: int, n: int):
        """Exactly ``n`` bytes at ``off`` (bytes or a memoryview)."""
        end = off + n
        if off < 0 or end > self._size:
            raise RemoteError(_errno.EINVAL, f"{self.name}: read of {n} bytes at {off} is outside the file ({self._size} bytes)")
        mine: list[tuple[int, bytes]] = []  # fetched by this call: used even if evicted meanwhile
        while True:
            with _CACHE.lock:
                got = self._take(off, end, mine)
                if isinstance(got, (bytes, memoryview)):
                    return got
                a = got
                wait = self._claim_at(a)
                if wait is None:
                    self._raise_recent_failure()
                    b = max(end, a + self.opts.readahead)
                    b = min(b, self._size, self._next_start(a), a + self.opts.max_request)
                    claim = self._claim(a, max(b, a + 1))
            if wait is not None:
                wait.wait(self.opts.deadline * (self.opts.retries + 1) + 5)
                continue
            mine.append((claim[0], self._run(claim)))

    def prefetch(self, ranges) -> None:
        """Starts fetching ``[(offset, length), ...]``; returns at once."""
        o = self.opts
        runs: list[list[int]] = []
        with _CACHE.lock:
            if self._failure is not None:
                return
            for off, n in sorted(ranges):
                for a, b in self._missing(off, min(off + n, self._size)):
                    # Bridge a small gap, unless something there is cached or
                    # in flight (claims never overlap).
                    if (runs and a - runs[-1][1] <= o.gap and b - runs[-1][0] <= o.max_request
                            and (a <= runs[-1][1] or list(self._missing(runs[-1][1], a)) == [(runs[-1][1], a)])):
                        runs[-1][1] = max(runs[-1][1], b)
                    else:
                        runs.append([a, b])
            claims = [self._claim(a, b) for a, b in runs]
        pool = _pool(o.concurrency)
        for c in claims:
            pool.submit(self._run, c, True)

    # -- internals (lock held unless said) --------------------------------------
    def _take(self, off: int, end: int, mine: list[tuple[int, bytes]]):
        """[off, end) from the extents and this call's own fetches, or the
        first position neither holds."""
        pieces = []
        pos = off
        while pos < end:
            d = None
            i = bisect_right(self._starts, pos) - 1
            if i >= 0:
                s = self._starts[i]
                d = self._data[s]
                if pos < s + len(d):
                    _CACHE.lru.move_to_end((self._sid, s))
                else:
                    d = None
            if d is None:
                s, d = next(((ms, md) for ms, md in mine if ms <= pos < ms + len(md)), (0, None))
            if d is None:
                return pos
            take = min(end, s + len(d)) - pos
            pieces.append(memoryview(d)[pos - s: pos - s + take])
            pos += take
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _missing(self, off: int, end: int):
        """Parts of [off, end) neither cached nor in flight."""
        covered = [(s, s + len(self._data[s])) for s in _near(self._starts, off, end)]
        covered += [(s, self._fl[s][0]) for s in _near(self._fl_starts, off, end)]
        pos = off
        for s, e in sorted(covered):
            if s > pos:
                yield pos, min(s, end)
            pos = max(pos, e)
            if pos >= end:
                return
        if pos < end:
            yield pos, end

    def _next_start(self, a: int) -> int:
        """Where the next extent or claim after a begins."""
        nxt = self._size
        for starts in (self._starts, self._fl_starts):
            i = bisect_right(starts, a)
            if i < len(starts):
                nxt = min(nxt, starts[i])
        return nxt

    def _claim_at(self, a: int) -> Optional[threading.Event]:
        """The event of the claim holding position a, if any."""
        i = bisect_right(self._fl_starts, a) - 1
        if i >= 0:
            end, ev = self._fl[self._fl_starts[i]]
            if a < end:
                return ev
        return None

    def _claim(self, a: int, b: int):
        c = (a, b, threading.Event())
        self._fl_starts.insert(bisect_right(self._fl_starts, a), a)
        self._fl[a] = (b, c[2])
        return c

    def _unclaim(self, a: int) -> None:
        i = bisect_right(self._fl_starts, a) - 1
        del self._fl_starts[i]
        del self._fl[a]

    def _raise_recent_failure(self) -> None:
        # A source that just failed after all its retries fails the reads
        # behind it at once, instead of each retrying as long again.
        if self._failure is not None:
            when, exc = self._failure
            if time.monotonic() - when < self.opts.timeout:
                if isinstance(exc, OSError):
                    raise remote_error(exc.errno, exc.strerror or str(exc))
                raise exc
            self._failure = None

    def _run(self, claim, background: bool = False) -> bytes:
        """Fetches a claim (no lock held) and caches it; wakes its waiters."""
        a, b, ev = claim
        try:
            data = self._fetch_exact(a, b - a)
            with _CACHE.lock:
                self._insert(a, data)
                self._failure = None
            return data
        except BaseException as e:
            with _CACHE.lock:
                self._failure = (time.monotonic(), e)
            if not background:
                raise
            return b""
        finally:
            with _CACHE.lock:
                self._unclaim(a)
            ev.set()

    def _insert(self, a: int, data: bytes) -> None:
        """Caches data at a, in the parts no extent holds yet."""
        gaps = []
        pos, end = a, a + len(data)
        for s in _near(self._starts, a, end):
            if s > pos:
                gaps.append((pos, s))
            pos = max(pos, s + len(self._data[s]))
        if pos < end:
            gaps.append((pos, end))
        for s, e in gaps:
            piece = data if (s, e) == (a, end) else data[s - a: e - a]
            self._starts.insert(bisect_right(self._starts, s), s)
            self._data[s] = piece
            _CACHE.lru[(self._sid, s)] = len(piece)
            _CACHE.bytes += len(piece)
        _CACHE.evict()

    def _drop(self, start: int) -> None:  # the cache evicted this extent
        i = bisect_right(self._starts, start) - 1
        if i >= 0 and self._starts[i] == start:
            del self._starts[i]
            del self._data[start]

    def _fetch_exact(self, off: int, n: int) -> bytes:
        """[off, off + n) (clipped to the size), from the disk cache where it
        holds them, else from the network (and then kept there)."""
        disk = self._disk
        if disk is None:
            return self._fetch_net(off, n)
        end = off + min(n, self._size - off)
        parts, pos = [], off
        try:
            for a, b in disk.missing(off, end):
                if a > pos:
                    parts.append(disk.read(pos, a - pos))
                data = self._fetch_net(a, b - a)
                disk.write(a, data)
                parts.append(data)
                pos = b
            if pos < end:
                parts.append(disk.read(pos, end - pos))
        except _DiskError as e:
            warnings.warn(f"{self.name}: disk cache off for this file: {e}", RuntimeWarning, stacklevel=2)
            self._disk = None
            return self._fetch_net(off, n)
        return b"".join(parts)

    def _use_disk(self, key: str) -> None:
        """Starts the disk cache (opts.cache_dir) once size and validators are known."""
        if self.opts.cache_dir:
            try:
                self._disk = _DiskCache(self.opts.cache_dir, key, self._size)
            except _DiskError as e:
                warnings.warn(f"{self.name}: disk cache off for this file: {e}", RuntimeWarning, stacklevel=2)

    def _fetch_net(self, off: int, n: int) -> bytes:
        """[off, off + n) (clipped to the size once known), with retries."""
        out = bytearray()
        attempt = 0
        while True:
            if self._size >= 0:
                n = min(n, self._size - off)
            if len(out) >= n:
                break
            pos = off + len(out)
            try:
                with _CACHE.lock:
                    self.requests += 1
                chunk = self._fetch(pos, n - len(out))
            except RemoteError:
                raise
            except (_Retry, OSError, http.client.HTTPException) as e:
                attempt += 1
                if attempt > self.opts.retries:
                    raise RemoteError(_errno.EIO, f"{self.name}: reading {n} bytes at {off} failed after "
                                      f"{attempt} attempts: {_describe(e)}") from None
                time.sleep(self.opts.backoff * 2 ** (attempt - 1) * (0.5 + random.random()))
                continue
            out += chunk
            with _CACHE.lock:
                self.bytes_fetched += len(chunk)
            if not chunk and len(out) < (min(n, self._size - off) if self._size >= 0 else n):
                raise RemoteError(_errno.EIO, f"{self.name}: no data at offset {pos} (the file is shorter than its size said)")
        return bytes(out)

    def _fetch(self, off: int, n: int) -> bytes:  # one request: up to n bytes at off
        raise NotImplementedError

    def _forked(self) -> None:  # in a forked child (see _after_fork_in_child)
        for _, ev in self._fl.values():
            ev.set()
        self._fl_starts.clear()
        self._fl.clear()
        self._failure = None


def _near(starts: list[int], off: int, end: int):
    """Starts of the non-overlapping ranges that may touch [off, end)."""
    i = max(0, bisect_right(starts, off) - 1)
    while i < len(starts) and starts[i] < end:
        yield starts[i]
        i += 1


def _describe(e: BaseException) -> str:
    if isinstance(e, TimeoutError) or "timed out" in str(e):
        return "timed out"
    return str(e) or type(e).__name__


# -- the disk cache ------------------------------------------------------------------
class _DiskError(Exception):
    pass


class _DiskCache:
    """Fetched ranges of one remote file kept on disk: a sparse copy of the
    file (``<key>.data``) and an append-only log of the ranges it holds
    (``<key>.ranges``). Bytes are written before their log line, so a range
    in the log is on disk; processes sharing the folder write the same bytes
    to the same places, and each line is one small O_APPEND write."""

    def __init__(self, directory: str, key: str, size: int) -> None:
        name = hashlib.sha256(key.encode()).hexdigest()[:40]
        self._data = os.path.join(directory, name + ".data")
        self._log = os.path.join(directory, name + ".ranges")
        self._lock = threading.Lock()
        self.ranges: list[list[int]] = []  # sorted, merged [start, end)
        try:
            os.makedirs(directory, exist_ok=True)
            self._fd = os.open(self._data, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            fresh = os.fstat(self._fd).st_size != size
            if fresh:  # new, or not this file's copy: start over
                os.ftruncate(self._fd, size)
                open(self._log, "w").close()
            with open(self._log) as fh:
                for line in fh:
                    f = line.split()
                    if len(f) == 2 and f[0].isdigit() and f[1].isdigit() and int(f[0]) < int(f[1]) <= size:
                        self._add(int(f[0]), int(f[1]))
        except OSError as e:
            raise _DiskError(f"{directory}: {e}") from None
        self._finalizer = weakref.finalize(self, os.close, self._fd)

    def _add(self, a: int, b: int) -> None:
        r = self.ranges
        i = bisect_right([x[0] for x in r], a)
        r.insert(i, [a, b])
        merged: list[list[int]] = []
        for x in r:
            if merged and x[0] <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], x[1])
            else:
                merged.append(x)
        self.ranges = merged

    def missing(self, off: int, end: int) -> list[tuple[int, int]]:
        out, pos = [], off
        with self._lock:
            for a, b in self.ranges:
                if b <= pos:
                    continue
                if a >= end:
                    break
                if a > pos:
                    out.append((pos, a))
                pos = max(pos, b)
        if pos < end:
            out.append((pos, end))
        return out

    def read(self, off: int, n: int) -> bytes:
        try:
            data = os.pread(self._fd, n, off)
        except OSError as e:
            raise _DiskError(str(e)) from None
        if len(data) != n:
            raise _DiskError(f"{self._data} is shorter than its log says")
        return data

    def write(self, off: int, data: bytes) -> None:
        try:
            os.pwrite(self._fd, data, off)
            fd = os.open(self._log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, f"{off} {off + len(data)}\n".encode())
            finally:
                os.close(fd)
        except OSError as e:
            raise _DiskError(str(e)) from None
        with self._lock:
            self._add(off, off + len(data))


# -- http(s) -----------------------------------------------------------------------
def _redact(url: str) -> str:
    """The URL without credentials or query string (kept out of messages)."""
    p = urlsplit(url)
    host = p.hostname or ""
    if p.port:
        host += f":{p.port}"
    return f"{p.scheme}://{host}{p.path}"


class HttpSource(_Source):
    """A file on an http(s) server that answers Range requests."""

    _MAX_REDIRECTS = 5

    def __init__(self, url: str, opts: RemoteOptions = DEFAULT_OPTIONS) -> None:
        super().__init__(_redact(url), opts)
        self._url = url
        self._idle_lock = threading.Lock()
        self._idle: dict[tuple, list[http.client.HTTPConnection]] = {}  # keep-alive connections not in use
        self._validators: Optional[tuple[Optional[str], Optional[str]]] = None
        self._whole: Optional[bytes] = None
        self._size = -1
        # The first request learns the size and brings the header, zoom
        # headers and usually the chromosome tree.
        first = self._fetch_exact(0, opts.readahead)
        if self._whole is None:
            etag, modified = self._validators or (None, None)
            self._use_disk(f"{url.split('?')[0]}|{self._size}|{etag}|{modified}")
            if self._disk is not None:
                self._disk.write(0, first)
            with _CACHE.lock:
                self._insert(0, first[: self._size])

    def read(self, off: int, n: int):
        if self._whole is not None:
            if off < 0 or off + n > len(self._whole):
                raise RemoteError(_errno.EINVAL, f"{self.name}: read of {n} bytes at {off} is outside the file")
            return memoryview(self._whole)[off: off + n]
        return super().read(off, n)

    def prefetch(self, ranges) -> None:
        if self._whole is None:
            super().prefetch(ranges)

    def _checkout(self, url: str) -> tuple[tuple, http.client.HTTPConnection, str]:
        """An idle keep-alive connection to url's host (any thread's), or a new one."""
        p = urlsplit(url)
        if p.scheme not in ("http", "https"):
            raise RemoteError(_errno.EINVAL, f"{self.name}: redirected to {p.scheme}://, which is not http(s)")
        key = (p.scheme, p.hostname, p.port)
        target = (p.path or "/") + (f"?{p.query}" if p.query else "")
        with self._idle_lock:
            idle = self._idle.get(key)
            if idle:
                return key, idle.pop(), target
        if p.scheme == "https":
            conn = http.client.HTTPSConnection(p.hostname, p.port, timeout=self.opts.timeout,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(p.hostname, p.port, timeout=self.opts.timeout)
        return key, conn, target

    def _checkin(self, key: tuple, conn: http.client.HTTPConnection) -> None:
        with self._idle_lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self.opts.concurrency:
                idle.append(conn)
                return
        conn.close()

    def _forked(self) -> None:
        super()._forked()
        self._idle_lock = threading.Lock()
        self._idle = {}  # never close them: the sockets are the parent's

    def _headers(self, off: int, n: int) -> dict[str, str]:
        h = {"Range": f"bytes={off}-{off + n - 1}", "Accept-Encoding": "identity", "User-Agent": _UA}
        p = urlsplit(self._url)
        if p.username is not None:
            import base64
            cred = f"{unquote(p.username)}:{unquote(p.password or '')}".encode()
            h["Authorization"] = "Basic " + base64.b64encode(cred).decode()
        return h

    def _fetch(self, off: int, n: int) -> bytes:
        url = self._url
        for _ in range(self._MAX_REDIRECTS + 1):
            key, conn, target = self._checkout(url)
            reusable = False
            try:
                conn.request("GET", target, headers=self._headers(off, n))
                resp = conn.getresponse()
                if resp.status in (301, 302, 303, 307, 308):
                    loc = resp.getheader("Location")
                    resp.read()
                    if not loc:
                        raise RemoteError(_errno.EIO, f"{self.name}: HTTP {resp.status} without a Location")
                    url = urljoin(url, loc)
                    reusable = not resp.will_close
                    continue
                body = self._body(resp, off, n)
                reusable = resp.isclosed() and not resp.will_close  # the whole answer read
                return body
            finally:
                if reusable:
                    self._checkin(key, conn)
                else:
                    conn.close()
        raise RemoteError(_errno.EIO, f"{self.name}: more than {self._MAX_REDIRECTS} redirects")

    def _body(self, resp: http.client.HTTPResponse, off: int, n: int) -> bytes:
        status = resp.status
        if status == 206:
            a, b, total = _content_range(resp.getheader("Content-Range"), self.name)
            if a != off or b < a or b > off + n - 1:
                raise RemoteError(_errno.EIO, f"{self.name}: asked for bytes {off}-{off + n - 1}, "
                                  f"the server sent {a}-{b}")
            self._check_same_file(total, resp)
            return self._read_all(resp, b - a + 1)
        if status == 200:
            length = resp.getheader("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is None or total > self.opts.whole_file_limit:
                raise RemoteError(_errno.EIO, f"{self.name}: the server ignores Range requests (HTTP 200 with the "
                                  f"whole file, {total if total is not None else 'unknown'} bytes); files over "
                                  f"{self.opts.whole_file_limit} bytes need a server that supports Range")
            self._check_same_file(total, resp)
            body = self._read_all(resp, total)
            self._whole = body
            return body[off: off + n]
        if status == 416:
            if self._size < 0 and (resp.getheader("Content-Range") or "").strip() == "bytes */0":
                self._check_same_file(0, resp)  # an empty file
                return b""
            raise RemoteError(_errno.EIO, f"{self.name}: range {off}-{off + n - 1} not satisfiable "
                              "(the file is shorter than when it was opened)")
        if status in (408, 429) or 500 <= status < 600:
            resp.read()
            raise _Retry(f"HTTP {status} {resp.reason}")
        resp.read()
        code = {404: _errno.ENOENT, 410: _errno.ENOENT, 401: _errno.EACCES, 403: _errno.EACCES}.get(status, _errno.EIO)
        raise remote_error(code, f"{self.name}: HTTP {status} {resp.reason}")

    def _check_same_file(self, total: int, resp: http.client.HTTPResponse) -> None:
        v = (resp.getheader("ETag"), resp.getheader("Last-Modified"))
        if self._size < 0:
            self._size, self._validators = total, v
            return
        old = self._validators or (None, None)
        changed = total != self._size or any(a is not None and b is not None and a != b for a, b in zip(old, v))
        if changed:
            raise RemoteError(_errno.ESTALE, f"{self.name}: the file changed on the server since it was opened "
                              f"(size {self._size} -> {total}, ETag {old[0]} -> {v[0]}); open it again")

    def _read_all(self, resp: http.client.HTTPResponse, n: int) -> bytes:
        t0 = time.monotonic()
        parts = []
        got = 0
        while got < n:
            if time.monotonic() - t0 > self.opts.deadline:
                raise _Retry(f"no whole answer within {self.opts.deadline:g} s")
            chunk = resp.read(min(n - got, 1 << 20))
            if not chunk:
                raise _Retry(f"truncated body: {got} of {n} bytes")
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)


def _content_range(value: Optional[str], name: str) -> tuple[int, int, int]:
    try:
        unit, rest = value.split(" ", 1)  # "bytes a-b/total"
        span, total = rest.split("/", 1)
        a, b = span.split("-", 1)
        if unit != "bytes" or total.strip() == "*":
            raise ValueError
        return int(a), int(b), int(total)
    except (AttributeError, ValueError):
        raise RemoteError(_errno.EIO, f"{name}: HTTP 206 without a valid Content-Range ({value!r})") from None


# -- fsspec URLs and file objects ----------------------------------------------------
class FsspecSource(_Source):
    """A file behind an fsspec URL (``s3://``, ``gs://``, ``memory://``, ...)."""

    def __init__(self, url: str, opts: RemoteOptions = DEFAULT_OPTIONS) -> None:
        from bwl._optional import require

        fsspec = require("fsspec", f"reading {url.split('://')[0]}:// URLs")
        super().__init__(_redact(url), opts)
        try:
            self._fs, self._path = fsspec.core.url_to_fs(url, **(opts.storage_options or {}))
            self._size = int(self._fs.size(self._path))
            if opts.cache_dir:
                self._use_disk(f"{url}|{self._size}|{self._fs.ukey(self._path)}")
        except FileNotFoundError:
            raise RemoteFileNotFoundError(_errno.ENOENT, f"{self.name}: no such file") from None
        except Exception as e:  # any backend's error, named
            raise RemoteError(_errno.EIO, f"{self.name}: {e}") from None

    def _fetch(self, off: int, n: int) -> bytes:
        try:
            return self._fs.cat_file(self._path, start=off, end=off + n)
        except FileNotFoundError:
            raise RemoteFileNotFoundError(_errno.ENOENT, f"{self.name}: the file is gone") from None
        except (OSError, TimeoutError):
            raise
        except Exception as e:
            raise RemoteError(_errno.EIO, f"{self.name}: {e}") from None


class FileObjectSource(_Source):
    """A binary Python file object: ``read_at(offset, n)``, or ``seek``/``read``."""

    def __init__(self, obj: Any, opts: RemoteOptions = DEFAULT_OPTIONS) -> None:
        super().__init__(str(getattr(obj, "name", None) or f"<{type(obj).__name__} object>"), opts)
        self._obj = obj
        self._lock = threading.Lock()
        try:
            with self._lock:
                pos = obj.tell() if hasattr(obj, "tell") else 0
                self._size = obj.seek(0, os.SEEK_END)
                if self._size is None:
                    self._size = obj.tell()
                obj.seek(pos)
        except (OSError, ValueError, AttributeError) as e:
            raise RemoteError(_errno.EINVAL, f"{self.name}: not a seekable binary file object ({e})") from None

    def _forked(self) -> None:
        super()._forked()
        self._lock = threading.Lock()

    def _fetch(self, off: int, n: int) -> bytes:
        obj = self._obj
        if hasattr(obj, "read_at"):
            return bytes(obj.read_at(off, n))
        with self._lock:  # one position: reads take turns
            obj.seek(off)
            parts, got = [], 0
            while got < n:
                chunk = obj.read(n - got)
                if not chunk:
                    break
                if isinstance(chunk, str):
                    raise RemoteError(_errno.EINVAL, f"{self.name}: opened in text mode; open it with 'rb'")
                parts.append(bytes(chunk))
                got += len(chunk)
            return b"".join(parts)


# -- choosing a source ------------------------------------------------------------------
def is_remote(src: Any) -> bool:
    """True for a URL (not file://) or a file object: what the core cannot pread."""
    if isinstance(src, (str, os.PathLike)):
        s = os.fspath(src)
        return isinstance(s, str) and "://" in s and not s.startswith("file://")
    return hasattr(src, "read")


def open_source(src: Any, opts: Optional[RemoteOptions] = None) -> tuple[str, Optional[_Source]]:
    """``(name, source)``: a local path gives ``(path, None)`` (the core's
    pread path); a URL or file object gives its source."""
    opts = opts or DEFAULT_OPTIONS
    if isinstance(src, (str, os.PathLike)):
        s = os.fspath(src)
        if not isinstance(s, str):
            s = os.fsdecode(s)
        if s.startswith("file://"):
            return unquote(urlsplit(s).path), None
        if "://" not in s:
            return s, None
        scheme = s.split("://", 1)[0].lower()
        r: _Source = HttpSource(s, opts) if scheme in ("http", "https") else FsspecSource(s, opts)
        return r.name, r
    if hasattr(src, "read") and hasattr(src, "seek") or hasattr(src, "read_at"):
        r = FileObjectSource(src, opts)
        return r.name, r
    raise TypeError(f"expected a path, a URL or a binary file object, got {type(src).__name__}")


def open_sources(srcs: list, opts: Optional[RemoteOptions] = None) -> list[tuple[str, Optional[_Source]]]:
    """:func:`open_source` of each; the remote ones concurrently (each
    costs a round trip)."""
    opts = opts or DEFAULT_OPTIONS
    if sum(is_remote(s) for s in srcs) < 2:
        return [open_source(s, opts) for s in srcs]
    return list(_pool(opts.concurrency).map(lambda s: open_source(s, opts), srcs))


def fetch_small(src: Any, suffix: str, opts: Optional[RemoteOptions] = None) -> Optional[bytes]:
    """The whole file at URL ``src + suffix`` (an index next to a remote
    file), or None when it does not exist."""
    try:
        _, s = open_source(os.fspath(src) + suffix, opts)
    except RemoteError as e:
        if e.errno == _errno.ENOENT:
            return None
        raise
    assert s is not None
    try:
        return bytes(s.read(0, s.size()))
    finally:
        s.forget()
