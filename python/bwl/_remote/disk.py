"""Fetched ranges kept on disk between runs (like UCSC's udc cache)."""
from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import weakref
import zlib
from bisect import bisect_right


class DiskError(Exception):
    pass


def _line(a: int, b: int, where: int) -> bytes:
    """An index line; its own checksum tells a whole line from a cut or garbled one."""
    text = f"{a} {b} {where}"
    return f"{text} {zlib.crc32(text.encode()):08x}\n".encode()


def _parse(line: str) -> tuple[int, int, int] | None:
    f = line.split(" ")
    if not line.endswith("\n") or len(f) != 4 or not all(x.isdigit() for x in f[:3]):
        return None
    text = " ".join(f[:3])
    if f"{zlib.crc32(text.encode()):08x}" != f[3].strip():
        return None
    return int(f[0]), int(f[1]), int(f[2])


class DiskCache:
    """Fetched ranges of one remote file kept on disk: the bytes appended to
    ``<key>.v2.data`` as they arrive, and a log (``<key>.v2.index``) of
    lines ``start end where crc``: file bytes [start, end) are at ``where``
    in the data file (crc: the line's own CRC-32, so a cut or garbled line
    is skipped, never trusted). The disk holds what was fetched, never more: a server
    claiming a 1 TiB file costs nothing until 1 TiB is read (a sparse copy
    of the file's size did). Bytes are written before their log line, so a
    range in the log is on disk; processes sharing the folder append under
    an exclusive lock on the data file, each line one small O_APPEND write
    (and threads under a lock of their own: they share the descriptor,
    and flock does not exclude holders of one open file from each other).
    ``key`` names the file and its version (URL, size, validators): a
    changed file is another key."""

    def __init__(self, directory: str, key: str, size: int) -> None:
        name = hashlib.sha256(key.encode()).hexdigest()[:40]
        self._data = os.path.join(directory, name + ".v2.data")
        self._log = os.path.join(directory, name + ".v2.index")
        self._size = size
        self._lock = threading.Lock()
        self._append = threading.Lock()  # flock is per open file: it does not keep this process's threads apart
        self.extents: list[tuple[int, int, int]] = []  # sorted, disjoint (start, end, where)
        try:
            os.makedirs(directory, exist_ok=True)
            self._fd = os.open(self._data, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            have = os.fstat(self._fd).st_size
            if os.path.exists(self._log):
                with open(self._log) as fh:
                    for line in fh:
                        got = _parse(line)
                        if got is not None:
                            a, b, w = got
                            if a < b <= size and w + (b - a) <= have:
                                self._add(a, b, w)
        except OSError as e:
            raise DiskError(f"{directory}: {e}") from None
        self._finalizer = weakref.finalize(self, os.close, self._fd)

    def _add(self, a: int, b: int, w: int) -> None:
        """Records [a, b) at w, in the parts no extent holds yet."""
        ex = self.extents
        i = max(0, bisect_right(ex, (a,)) - 1)
        pos, new = a, []
        while pos < b:
            while i < len(ex) and ex[i][1] <= pos:
                i += 1
            nxt = ex[i][0] if i < len(ex) else b
            if nxt > pos:
                e = min(nxt, b)
                new.append((pos, e, w + (pos - a)))
                pos = e
            else:
                pos = ex[i][1]
        for x in new:
            ex.insert(bisect_right(ex, x), x)

    def missing(self, off: int, end: int) -> list[tuple[int, int]]:
        out, pos = [], off
        with self._lock:
            for a, b, _ in self.extents[max(0, bisect_right(self.extents, (off,)) - 1):]:
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
        """File bytes [off, off + n), which the extents hold (see missing)."""
        parts, pos, end = [], off, off + n
        with self._lock:
            pieces = [(a, b, w) for a, b, w in self.extents[max(0, bisect_right(self.extents, (off,)) - 1):]
                      if b > off and a < end]
        try:
            for a, b, w in pieces:
                if a > pos:
                    break
                take = min(b, end) - pos
                data = os.pread(self._fd, take, w + (pos - a))
                if len(data) != take:
                    raise DiskError(f"{self._data} is shorter than its index says")
                parts.append(data)
                pos += take
                if pos >= end:
                    break
        except OSError as e:
            raise DiskError(str(e)) from None
        if pos < end:
            raise DiskError(f"{self._data}: bytes {pos}-{end} are not on disk")
        return b"".join(parts)

    def write(self, off: int, data: bytes) -> None:
        """Keeps file bytes [off, off + len(data)): the parts not on disk yet."""
        for a, b in self.missing(off, off + len(data)):
            piece = data[a - off: b - off]
            try:
                with self._append:
                    where = self._append_locked(a, b, piece)
            except OSError as e:
                raise DiskError(str(e)) from None
            with self._lock:
                self._add(a, b, where)

    def _append_locked(self, a: int, b: int, piece: bytes) -> int:
        """Appends file bytes [a, b) to the data file, then their log line;
        where they went. Under flock (other processes) and self._append
        (this one's threads): two appends seeking the same end would write
        over each other, and both log lines would point at one of them."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            where = os.lseek(self._fd, 0, os.SEEK_END)
            if os.pwrite(self._fd, piece, where) != len(piece):
                raise OSError("short write (disk full?)")
            fd = os.open(self._log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, _line(a, b, where))
            finally:
                os.close(fd)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        return where

    def forked(self) -> None:
        """In a forked child: fresh locks (a parent's thread may have held
        one at the fork), and a descriptor of its own: the inherited one is
        the parent's open file, whose flock would not exclude the parent."""
        self._lock = threading.Lock()
        self._append = threading.Lock()
        try:
            fd = os.open(self._data, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError:
            return
        self._finalizer.detach()
        os.close(self._fd)
        self._fd = fd
        self._finalizer = weakref.finalize(self, os.close, self._fd)
