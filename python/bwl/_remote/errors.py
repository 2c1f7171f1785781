"""Errors of remote and file-object reads: one type for users, one for retries."""
from __future__ import annotations

import errno as _errno


class RemoteError(OSError):
    """A remote or file-object track could not be read; the message names it."""


class RemoteFileNotFoundError(RemoteError, FileNotFoundError):
    """The URL names no file (HTTP 404/410, or the backend says so)."""


def remote_error(code: int, message: str) -> RemoteError:
    """The exception for an errno and message (also used by the core)."""
    cls = RemoteFileNotFoundError if code == _errno.ENOENT else RemoteError
    return cls(code, message)


class Retry(Exception):
    """A failure worth another attempt (5xx, reset, truncated body)."""


def describe(e: BaseException) -> str:
    if isinstance(e, TimeoutError) or "timed out" in str(e):
        return "timed out"
    return str(e) or type(e).__name__


def detached(e: BaseException, name: str) -> RemoteError:
    """A copy of a failure to keep (a source's recent failure) without its
    traceback: the traceback's frames hold the caller's locals, among them
    the core object whose reader holds the source, a cycle through C++ that
    the garbage collector cannot see; the source, its connections and the
    caller's arrays were never freed."""
    if isinstance(e, OSError):
        return remote_error(e.errno, e.strerror or str(e))
    return RemoteError(_errno.EIO, f"{name}: {describe(e)}")
