"""How remote tracks are fetched: :class:`RemoteOptions`."""
from __future__ import annotations

import os
from dataclasses import dataclass

from bwl import _check


@dataclass(frozen=True)
class RemoteOptions:
    """How remote tracks are fetched (pass as ``remote=`` or set globally).

    timeout: seconds for connecting and for each socket read.
    deadline: seconds one request may take in all: connecting, headers and
        body (a server trickling bytes cannot hold a request longer; a read
        gives up within about ``(retries + 1) * deadline`` plus backoff).
    retries: extra attempts after a 5xx/429, a reset, a truncated body, a
        request past its deadline, or an answer shorter than ``readahead``
        (and than what is left), with exponential backoff from ``backoff``
        seconds.
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
        file is fetched anew; a server that sends neither is not cached on
        disk (a warning says so). Holds the bytes fetched, no more; never
        trimmed: delete the folder to clear it.

    Credentials in a URL (``https://user:pass@host/...``) are sent to that
    origin only, never to a host a redirect names.
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
    storage_options: dict | None = None  # passed to fsspec for its URLs (credentials, endpoints)
    cache_dir: str | None = os.environ.get("BWL_REMOTE_CACHE_DIR") or None

    def __post_init__(self) -> None:
        for name in ("timeout", "deadline"):
            if not _check.number(f"RemoteOptions.{name}", getattr(self, name), nan=False) > 0:
                raise ValueError(f"RemoteOptions.{name} must be > 0 seconds, got {getattr(self, name)}")
        _check.number("RemoteOptions.backoff", self.backoff, 0, finite=True, nan=False)
        _check.integer("RemoteOptions.retries", self.retries, 0, 100)
        _check.integer("RemoteOptions.readahead", self.readahead, 1)
        _check.integer("RemoteOptions.gap", self.gap, 0)
        _check.integer("RemoteOptions.max_request", self.max_request, 1)
        _check.integer("RemoteOptions.concurrency", self.concurrency, 1, 1024)
        _check.integer("RemoteOptions.whole_file_limit", self.whole_file_limit, 0)
        if self.storage_options is not None and not isinstance(self.storage_options, dict):
            raise TypeError(f"RemoteOptions.storage_options must be a dict, got {type(self.storage_options).__name__}")
        if self.cache_dir is not None:
            _check.path("RemoteOptions.cache_dir", self.cache_dir)


DEFAULT_OPTIONS = RemoteOptions()
