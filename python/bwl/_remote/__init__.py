"""Tracks that are not local paths: http(s) URLs, fsspec URLs, file objects.

The C++ core plans which byte ranges it needs and reads them through a
source from this package (``csrc/python/range_reader.hpp`` calls ``size``,
``read`` and ``prefetch``), which does the transfers:

- a cache of fetched extents, bounded in bytes and shared by all sources
  (:func:`set_remote_cache`), so headers, indexes and blocks are fetched once;
- ``prefetch``: the ranges a batch is about to read, minus what is cached or
  in flight, merged where the gaps between them are small, fetched
  concurrently; reads wait for what is in flight;
- a read the cache misses fetches at least ``readahead`` bytes (headers and
  index nodes come in few requests);
- http(s) by the standard library: keep-alive connections shared by a source's threads,
  connect/read timeouts, a deadline per request, retries with backoff on
  5xx/429/resets/truncated bodies, redirects, and checks that the server
  honoured the range and that the file did not change (size, ETag,
  Last-Modified) since it was opened.

Every failure is an :class:`RemoteError` (an OSError) naming the URL.
"""
from __future__ import annotations

import errno as _errno
import os
from typing import Any
from urllib.parse import unquote, urlsplit

from bwl import _check
from bwl._remote.errors import RemoteError, RemoteFileNotFoundError, remote_error
from bwl._remote.options import DEFAULT_OPTIONS, RemoteOptions
from bwl._remote.source import Source, pool, remote_cache_bytes, set_remote_cache


def __getattr__(name: str):
    """The transports load on first use (``http.client`` and its email
    parser cost ~60 ms at import, which every ``bwl`` command would pay)."""
    if name == "HttpSource":
        from bwl._remote.http import HttpSource

        return HttpSource
    if name in ("FsspecSource", "FileObjectSource"):
        from bwl._remote import files

        return getattr(files, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["RemoteError", "RemoteFileNotFoundError", "RemoteOptions", "HttpSource", "FsspecSource", "FileObjectSource",
           "fetch_small", "is_remote", "open_source", "open_sources", "remote_cache_bytes", "remote_error",
           "set_remote_cache"]


def is_remote(src: Any) -> bool:
    """True for a URL (not file://) or a file object: what the core cannot pread."""
    if isinstance(src, (str, os.PathLike)):
        s = os.fspath(src)
        return isinstance(s, str) and "://" in s and not s.startswith("file://")
    return hasattr(src, "read")


def options(opts: RemoteOptions | None) -> RemoteOptions:
    """``remote=`` checked: None (the defaults) or a RemoteOptions."""
    if opts is None:
        return DEFAULT_OPTIONS
    if not isinstance(opts, RemoteOptions):
        raise TypeError(f"remote must be a bwl.RemoteOptions, got {type(opts).__name__}")
    return opts


def open_source(src: Any, opts: RemoteOptions | None = None) -> tuple[str, Source | None]:
    """``(name, source)``: a local path gives ``(path, None)`` (the core's
    pread path); a URL or file object gives its source."""
    opts = options(opts)
    if isinstance(src, (str, bytes, os.PathLike)):
        s = _check.path("path", src)
        if s.startswith("file://"):
            return _check.path("path", unquote(urlsplit(s).path)), None
        if "://" not in s:
            return s, None
        scheme = s.split("://", 1)[0].lower()
        if scheme in ("http", "https"):
            from bwl._remote.http import HttpSource

            r: Source = HttpSource(s, opts)
        else:
            from bwl._remote.files import FsspecSource

            r = FsspecSource(s, opts)
        return r.name, r
    if hasattr(src, "read") and hasattr(src, "seek") or hasattr(src, "read_at"):
        from bwl._remote.files import FileObjectSource

        r = FileObjectSource(src, opts)
        return r.name, r
    raise TypeError(f"expected a path, a URL or a binary file object, got {type(src).__name__}")


def open_sources(srcs: list, opts: RemoteOptions | None = None, fallback=None) -> list[tuple[str, Any]]:
    """:func:`open_source` of each; the remote ones concurrently (each
    costs a round trip). ``fallback(src, error)``, when given, answers for
    a source that fails with a RemoteError or OSError (it re-raises what it
    cannot stand in for)."""
    opts = options(opts)

    def one(s):
        try:
            return open_source(s, opts)
        except (RemoteError, OSError) as e:
            if fallback is None:
                raise
            return fallback(s, e)

    if sum(is_remote(s) for s in srcs) < 2:
        return [one(s) for s in srcs]
    return list(pool(opts.concurrency).map(one, srcs))


def fetch_small(src: Any, suffix: str, opts: RemoteOptions | None = None) -> bytes | None:
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
