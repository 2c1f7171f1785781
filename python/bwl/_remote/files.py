"""fsspec URLs and Python file objects as sources."""
from __future__ import annotations

import errno as _errno
import os
import threading
from typing import Any

from bwl._remote.errors import RemoteError, RemoteFileNotFoundError
from bwl._remote.http import redact
from bwl._remote.options import DEFAULT_OPTIONS, RemoteOptions
from bwl._remote.source import Source


class FsspecSource(Source):
    """A file behind an fsspec URL (``s3://``, ``gs://``, ``memory://``, ...)."""

    def __init__(self, url: str, opts: RemoteOptions = DEFAULT_OPTIONS) -> None:
        from bwl._optional import require

        fsspec = require("fsspec", f"reading {url.split('://')[0]}:// URLs")
        super().__init__(redact(url), opts)
        try:
            self._fs, self._path = fsspec.core.url_to_fs(url, **(opts.storage_options or {}))
            self._size = int(self._fs.size(self._path))
            if opts.cache_dir:
                self._use_disk(f"{url}|{self._size}|{self.ukey()}")
        except FileNotFoundError:
            raise RemoteFileNotFoundError(_errno.ENOENT, f"{self.name}: no such file") from None
        except Exception as e:  # any backend's error, named
            raise RemoteError(_errno.EIO, f"{self.name}: {e}") from None

    def ukey(self) -> str:
        """fsspec's key of the file's version (an ETag, a modification
        time: what its filesystem has); "" where it has none."""
        try:
            return str(self._fs.ukey(self._path))
        except Exception:  # not every backend has one: size and fingerprint still tell
            return ""

    def _fetch(self, off: int, n: int) -> bytes:
        try:
            return self._fs.cat_file(self._path, start=off, end=off + n)
        except FileNotFoundError:
            raise RemoteFileNotFoundError(_errno.ENOENT, f"{self.name}: the file is gone") from None
        except (OSError, TimeoutError):
            raise
        except Exception as e:
            raise RemoteError(_errno.EIO, f"{self.name}: {e}") from None


class FileObjectSource(Source):
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
