"""Fetched ranges kept on disk between runs (like UCSC's udc cache)."""
from __future__ import annotations

import hashlib
import os
import threading
import weakref
from bisect import bisect_right


class DiskError(Exception):
    pass


class DiskCache:
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
            raise DiskError(f"{directory}: {e}") from None
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
            raise DiskError(str(e)) from None
        if len(data) != n:
            raise DiskError(f"{self._data} is shorter than its log says")
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
            raise DiskError(str(e)) from None
        with self._lock:
            self._add(off, off + len(data))
