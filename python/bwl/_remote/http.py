"""http(s) by the standard library: range requests with their checks."""
from __future__ import annotations

import errno as _errno
import http.client
import select
import ssl
import threading
import time
import warnings
from urllib.parse import unquote, urljoin, urlsplit

from bwl._remote import watchdog
from bwl._remote.errors import RemoteError, Retry, remote_error
from bwl._remote.options import DEFAULT_OPTIONS, RemoteOptions
from bwl._remote.source import CACHE, Source

_UA = "bwl"


def origin(url: str) -> tuple:
    """(scheme, host, port) with the scheme's default port filled in: what
    credentials are bound to."""
    p = urlsplit(url)
    return p.scheme.lower(), (p.hostname or "").lower(), p.port or {"http": 80, "https": 443}.get(p.scheme.lower())


def basic_auth(url: str) -> str | None:
    """The Authorization header for credentials in the URL (user:pass@host), or None."""
    p = urlsplit(url)
    if p.username is None:
        return None
    import base64

    cred = f"{unquote(p.username)}:{unquote(p.password or '')}".encode()
    return "Basic " + base64.b64encode(cred).decode()


def looks_like_html(first: bytes, content_type: str | None) -> bool:
    """A web page where a data file was expected (a login, error or index
    page answered with 200): no bigWig, bigBed, FASTA or index starts with '<'."""
    head = first[:512].lstrip().lower()
    if not head.startswith(b"<"):
        return False
    ct = (content_type or "").split(";")[0].strip().lower()
    return ct in ("text/html", "application/xhtml+xml", "text/xml", "application/xml") or head.startswith(
        (b"<!doctype html", b"<html", b"<head", b"<?xml"))


def still_open(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle keep-alive connection can carry another request.
    Servers close idle connections (after seconds, or after some number of
    requests): the next request on one failed, costing one of its retries
    (with retries=0, the read). A closed connection has an EOF to read, a
    confused one leftover bytes; an open one has nothing (polled without
    waiting: the socket's own timeout would make a peeking recv wait)."""
    sock = conn.sock
    if sock is None or not hasattr(select, "poll"):
        return True  # not connected yet (http.client connects), or no poll here
    p = select.poll()
    try:
        p.register(sock, select.POLLIN)
        return not p.poll(0)
    except (OSError, ValueError):
        return False


def redact(url: str) -> str:
    """The URL without credentials or query string (kept out of messages)."""
    p = urlsplit(url)
    host = p.hostname or ""
    if p.port:
        host += f":{p.port}"
    return f"{p.scheme}://{host}{p.path}"


class HttpSource(Source):
    """A file on an http(s) server that answers Range requests."""

    _MAX_REDIRECTS = 5

    def __init__(self, url: str, opts: RemoteOptions = DEFAULT_OPTIONS) -> None:
        super().__init__(redact(url), opts)
        self._url = url
        # Credentials in the URL go to its origin only: never to a host a
        # redirect names (as curl and requests do).
        self._auth = (origin(url), basic_auth(url))
        self._content_type: str | None = None
        self._idle_lock = threading.Lock()
        self._idle: dict[tuple, list[http.client.HTTPConnection]] = {}  # keep-alive connections not in use
        self._validators: tuple[str | None, str | None] | None = None
        self._whole: bytes | None = None
        self._size = -1
        # The first request learns the size and brings the header, zoom
        # headers and usually the chromosome tree.
        first = self._fetch_exact(0, opts.readahead)
        if looks_like_html(first, self._content_type):
            raise RemoteError(_errno.EIO, f"{self.name}: the server answered with a web page (Content-Type "
                              f"{self._content_type or 'none'}), not the file: a login, error or index page? "
                              "Check the URL and whether it needs credentials")
        if self._whole is None:
            etag, modified = self._validators or (None, None)
            if etag is None and modified is None:
                # Nothing tells a later run that the file changed (a same-size
                # replacement would be read as new header + old blocks).
                if opts.cache_dir:
                    warnings.warn(f"{self.name}: the server sends neither ETag nor Last-Modified, so a copy "
                                  "on disk could not be told from a changed file: not cached on disk",
                                  RuntimeWarning, stacklevel=3)
            else:
                self._use_disk(f"{url.split('?')[0]}|{self._size}|{etag}|{modified}")
            if self._disk is not None:
                self._disk.write(0, first)
            with CACHE.lock:
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

    def _checkout(self, url: str, fresh: bool = False) -> tuple[tuple, http.client.HTTPConnection, str]:
        """An idle keep-alive connection to url's host (any thread's), or a new one (always when fresh)."""
        p = urlsplit(url)
        if p.scheme not in ("http", "https"):
            raise RemoteError(_errno.EINVAL, f"{self.name}: redirected to {p.scheme}://, which is not http(s)")
        key = (p.scheme, p.hostname, p.port)
        target = (p.path or "/") + (f"?{p.query}" if p.query else "")
        with self._idle_lock:
            idle = [] if fresh else self._idle.get(key) or []
            while idle:
                conn = idle.pop()
                if still_open(conn):
                    return key, conn, target
                conn.close()
        timeout = min(self.opts.timeout, self.opts.deadline)
        if p.scheme == "https":
            conn = http.client.HTTPSConnection(p.hostname, p.port, timeout=timeout, context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(p.hostname, p.port, timeout=timeout)
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

    def _headers(self, url: str, off: int, n: int) -> dict[str, str]:
        h = {"Range": f"bytes={off}-{off + n - 1}", "Accept-Encoding": "identity", "User-Agent": _UA}
        auth = basic_auth(url) or (self._auth[1] if origin(url) == self._auth[0] else None)
        if auth:
            h["Authorization"] = auth
        return h

    def _fetch(self, off: int, n: int) -> bytes:
        """One request (following redirects), all of it within ``deadline``
        seconds: connecting, the headers and the body, however slowly the
        server sends them."""
        url = self._url
        end = time.monotonic() + self.opts.deadline
        hops, replayed = 0, False
        while hops <= self._MAX_REDIRECTS:
            left = end - time.monotonic()
            if left <= 0:
                raise Retry(f"no whole answer within the deadline of {self.opts.deadline:g} s")
            key, conn, target = self._checkout(url, fresh=replayed)
            reused = conn.sock is not None
            reusable = False
            try:
                with watchdog.arm(left, conn) as guard:
                    try:
                        try:
                            conn.request("GET", target, headers=self._headers(url, off, n))
                            resp = conn.getresponse()
                        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                            # A kept-alive connection the server closed as we sent (too
                            # late for still_open to see): once more on a new connection,
                            # not an attempt (as browsers do; the server answered nothing).
                            if not reused or replayed or guard.fired:
                                raise
                            replayed = True
                            continue
                        if resp.status in (301, 302, 303, 307, 308):
                            hops += 1
                            loc = resp.getheader("Location")
                            resp.read()
                            if not loc:
                                raise RemoteError(_errno.EIO, f"{self.name}: HTTP {resp.status} without a Location")
                            url = self._redirect_target(url, loc, resp.status)
                            if resp.status in (301, 308):  # permanent: later requests go there directly
                                self._url = url
                            reusable = not resp.will_close
                            continue
                        body = self._body(resp, off, n)
                    except (Retry, OSError, http.client.HTTPException):
                        if guard.fired:
                            raise Retry(f"no whole answer within the deadline of {self.opts.deadline:g} s") from None
                        raise
                reusable = resp.isclosed() and not resp.will_close  # the whole answer read
                return body
            finally:
                if reusable:
                    self._checkin(key, conn)
                else:
                    conn.close()
        raise RemoteError(_errno.EIO, f"{self.name}: more than {self._MAX_REDIRECTS} redirects")

    def _redirect_target(self, url: str, loc: str, status: int) -> str:
        """The URL a redirect names, checked here: a Location with a bad
        port, a broken IPv6 literal or no host made urllib raise a
        ValueError (or http.client a TypeError) naming neither the file nor
        the cause. Not retried: the server said so."""
        try:
            new = urljoin(url, loc)
            p = urlsplit(new)
            p.port  # noqa: B018 - parses the port: ValueError when it is not one
        except ValueError as e:
            raise RemoteError(_errno.EIO, f"{self.name}: HTTP {status} redirects to an invalid URL ({e})") from None
        if p.scheme.lower() in ("http", "https") and not p.hostname:
            raise RemoteError(_errno.EIO, f"{self.name}: HTTP {status} redirects to a URL without a host")
        return new

    def _body(self, resp: http.client.HTTPResponse, off: int, n: int) -> bytes:
        status = resp.status
        if status in (200, 206):
            if self._content_type is None:
                self._content_type = resp.getheader("Content-Type") or ""
            enc = (resp.getheader("Content-Encoding") or "identity").strip().lower()
            if enc != "identity":
                resp.close()
                raise RemoteError(_errno.EIO, f"{self.name}: the server sent the file {enc}-encoded (Content-Encoding: "
                                  f"{enc}) though asked for the bytes as they are; ranges of an encoded answer are not "
                                  "the file's bytes (turn the server's compression off for this file)")
        if status == 206:
            a, b, total = content_range(resp.getheader("Content-Range"), self.name)
            if a != off or b < a or b > off + n - 1:
                raise RemoteError(_errno.EIO, f"{self.name}: asked for bytes {off}-{off + n - 1}, "
                                  f"the server sent {a}-{b}")
            self._check_same_file(total, resp)
            return self._read_all(resp, b - a + 1)
        if status == 200:
            length = resp.getheader("Content-Length")
            total = int(length) if length and length.isascii() and length.isdigit() else None  # not "²": isdigit, but no int
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
            raise Retry(f"HTTP {status} {resp.reason}")
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
        parts = []
        got = 0
        while got < n:
            chunk = resp.read(min(n - got, 1 << 20))
            if not chunk:
                raise Retry(f"truncated body: {got} of {n} bytes")
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)


def content_range(value: str | None, name: str) -> tuple[int, int, int]:
    try:
        unit, rest = value.split(" ", 1)  # "bytes a-b/total"
        span, total = rest.split("/", 1)
        a, b = span.split("-", 1)
        if unit != "bytes" or total.strip() == "*":
            raise ValueError
        a, b, size = int(a), int(b), int(total)
        # The range lies inside the file (b < total), and the file fits an
        # int64: a total of -1 or 2^64 reached the core as a size it could
        # not convert (a RuntimeError from pybind11).
        if not b < size < 1 << 63:
            raise ValueError
        return a, b, size
    except (AttributeError, ValueError):
        raise RemoteError(_errno.EIO, f"{name}: HTTP 206 without a valid Content-Range ({value!r})") from None
