"""One remote file read by ranges (:class:`Source`), and the cache of
fetched extents and the fetch threads all sources share."""
from __future__ import annotations

import errno as _errno
import itertools
import os
import random
import threading
import time
import warnings
import weakref
from bisect import bisect_right
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from bwl import _check
from bwl._remote.disk import DiskCache, DiskError
from bwl._remote.errors import RemoteError, Retry, describe, detached, remote_error
from bwl._remote.options import RemoteOptions


class _Cache:
    """Fetched extents of all sources; least recently used evicted first."""

    def __init__(self, max_bytes: int) -> None:
        self.lock = threading.RLock()
        self.max_bytes = max_bytes
        self.bytes = 0
        self.lru: OrderedDict[tuple[int, int], int] = OrderedDict()  # (source id, start) -> size
        self.owners: weakref.WeakValueDictionary[int, Source] = weakref.WeakValueDictionary()

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


CACHE = _Cache(int(os.environ.get("BWL_REMOTE_CACHE", 1 << 30)))
_IDS = itertools.count()
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def set_remote_cache(max_bytes: int) -> None:
    """Bytes of fetched remote data kept in memory, all sources together
    (default 1 GiB, or ``BWL_REMOTE_CACHE``). 0 keeps nothing between reads."""
    with CACHE.lock:
        CACHE.max_bytes = _check.integer("max_bytes", max_bytes, 0)
        CACHE.evict()


def remote_cache_bytes() -> int:
    """Bytes of remote data cached right now."""
    return CACHE.bytes


def pool(workers: int) -> ThreadPoolExecutor:
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
    CACHE.lock = threading.RLock()
    for src in list(CACHE.owners.values()):
        src._forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Source:
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
        self._failure: tuple[float, BaseException] | None = None
        self.requests = 0  # requests made (attempts included)
        self.bytes_fetched = 0
        self._disk: DiskCache | None = None
        with CACHE.lock:
            CACHE.owners[self._sid] = self
        self._finalizer = weakref.finalize(self, CACHE.purge, self._sid, self._starts)

    def forget(self) -> None:
        """Drops this source's cached extents."""
        with CACHE.lock:
            CACHE.purge(self._sid, self._starts)
            self._starts.clear()
            self._data.clear()
            CACHE.owners[self._sid] = self

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
            with CACHE.lock:
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
        with CACHE.lock:
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
        workers = pool(o.concurrency)
        for c in claims:
            workers.submit(self._run, c, True)

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
                    CACHE.lru.move_to_end((self._sid, s))
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
        covered = [(s, s + len(self._data[s])) for s in near(self._starts, off, end)]
        covered += [(s, self._fl[s][0]) for s in near(self._fl_starts, off, end)]
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

    def _claim_at(self, a: int) -> threading.Event | None:
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
                raise remote_error(exc.errno, exc.strerror or str(exc))
            self._failure = None

    def _run(self, claim, background: bool = False) -> bytes:
        """Fetches a claim (no lock held) and caches it; wakes its waiters."""
        a, b, ev = claim
        try:
            data = self._fetch_exact(a, b - a)
            with CACHE.lock:
                self._insert(a, data)
                self._failure = None
            return data
        except BaseException as e:
            with CACHE.lock:
                self._failure = (time.monotonic(), detached(e, self.name))
            if not background:
                raise
            return b""
        finally:
            with CACHE.lock:
                self._unclaim(a)
            ev.set()

    def _insert(self, a: int, data: bytes) -> None:
        """Caches data at a, in the parts no extent holds yet."""
        gaps = []
        pos, end = a, a + len(data)
        for s in near(self._starts, a, end):
            if s > pos:
                gaps.append((pos, s))
            pos = max(pos, s + len(self._data[s]))
        if pos < end:
            gaps.append((pos, end))
        for s, e in gaps:
            piece = data if (s, e) == (a, end) else data[s - a: e - a]
            self._starts.insert(bisect_right(self._starts, s), s)
            self._data[s] = piece
            CACHE.lru[(self._sid, s)] = len(piece)
            CACHE.bytes += len(piece)
        CACHE.evict()

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
        except DiskError as e:
            warnings.warn(f"{self.name}: disk cache off for this file: {e}", RuntimeWarning, stacklevel=2)
            self._disk = None
            return self._fetch_net(off, n)
        return b"".join(parts)

    def _use_disk(self, key: str) -> None:
        """Starts the disk cache (opts.cache_dir) once size and validators are known."""
        if self.opts.cache_dir:
            try:
                self._disk = DiskCache(self.opts.cache_dir, key, self._size)
            except DiskError as e:
                warnings.warn(f"{self.name}: disk cache off for this file: {e}", RuntimeWarning, stacklevel=2)

    def _fetch_net(self, off: int, n: int) -> bytes:
        """[off, off + n) (clipped to the size once known), with retries.

        A server may answer a range with fewer bytes than asked (some cap
        their answers): the rest is asked for again. An answer short of
        ``readahead`` bytes (and of what is left) counts as a failed
        attempt, so a server that sends a few bytes at a time fails after
        ``retries`` such answers instead of costing thousands of requests."""
        import http.client  # here, not at import: every bwl command would pay ~30 ms for it

        out = bytearray()
        attempt = 0
        while True:
            if self._size >= 0:
                n = min(n, self._size - off)
            if len(out) >= n:
                break
            pos, want = off + len(out), n - len(out)
            try:
                with CACHE.lock:
                    self.requests += 1
                chunk = self._fetch(pos, want)
                out += chunk
                with CACHE.lock:
                    self.bytes_fetched += len(chunk)
                at_end = self._size >= 0 and pos + len(chunk) >= self._size
                if not chunk and not at_end:
                    raise RemoteError(_errno.EIO, f"{self.name}: no data at offset {pos} "
                                      "(the file is shorter than its size said)")
                if len(chunk) < min(want, self.opts.readahead) and not at_end:
                    raise Retry(f"the server answers with fewer bytes than asked ({len(chunk)} of {want})")
            except RemoteError:
                raise
            except (Retry, OSError, http.client.HTTPException) as e:
                attempt += 1
                if attempt > self.opts.retries:
                    raise RemoteError(_errno.EIO, f"{self.name}: reading {n} bytes at {off} failed after "
                                      f"{attempt} attempts: {describe(e)}") from None
                time.sleep(self.opts.backoff * 2 ** (attempt - 1) * (0.5 + random.random()))
        return bytes(out)

    def _fetch(self, off: int, n: int) -> bytes:  # one request: up to n bytes at off
        raise NotImplementedError

    def _forked(self) -> None:  # in a forked child (see _after_fork_in_child)
        if self._disk is not None:
            self._disk.forked()
        for _, ev in self._fl.values():
            ev.set()
        self._fl_starts.clear()
        self._fl.clear()
        self._failure = None


def near(starts: list[int], off: int, end: int):
    """Starts of the non-overlapping ranges that may touch [off, end)."""
    i = max(0, bisect_right(starts, off) - 1)
    while i < len(starts) and starts[i] < end:
        yield starts[i]
        i += 1
