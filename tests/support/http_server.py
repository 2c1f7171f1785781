"""A loopback HTTP file server with faults on demand, for the remote tests
and bench/remote.py.

    with FaultServer(root) as srv:
        url = srv.url("a.bw")
        srv.delay = 0.02          # seconds before each answer
        srv.ranges = False        # answer 200 with the whole file
        srv.fail_next = 2         # the next 2 requests get 503
        srv.reset_next = 1        # the next request's connection is cut after the headers
        srv.truncate_next = 1     # the next body stops short of its Content-Length
        srv.hang_next = 1         # the next request is never answered (until stop)
        srv.wrong_range_next = 1  # the next 206 sends the bytes one further on (and says so)
        srv.etag = "v2"           # the file "changed" (its validator differs); None: no ETag
        srv.last_modified = None  # a Last-Modified header to send (None: none)
        srv.trickle = 0.05        # every byte of every answer (headers too) 0.05 s apart
        srv.trickle_body = True   # ... but the headers at once
        srv.short = 32            # a 206 carries at most 32 bytes (and says so in Content-Range)
        srv.html = True           # every answer is an HTML page with 200 (a login or error page)
        srv.gzip = True           # 200 with the whole file gzip-encoded (Content-Encoding: gzip)
        srv.claim_size = 2**40    # Content-Range claims this total size
        srv.redirect_base = url   # /redirect/ answers 302 to this base (another origin) instead
        srv.log                   # [(path, status, bytes sent)]
        srv.headers               # [request headers (dict)], in arrival order

Paths under /redirect/ answer 302 to the same path without that prefix;
/__stats answers {"requests": n, "bytes": n} (for a server in another process).
"""
from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FaultServer:
    def __init__(self, root: os.PathLike[str] | str) -> None:
        self.root = os.fspath(root)
        self.ranges = True
        self.delay = 0.0
        self.fail_next = 0
        self.reset_next = 0
        self.truncate_next = 0
        self.hang_next = 0
        self.wrong_range_next = 0
        self.etag: str | None = "v1"
        self.last_modified: str | None = None
        self.trickle = 0.0
        self.trickle_body = False
        self.short = 0
        self.html = False
        self.gzip = False
        self.claim_size: int | None = None
        self.redirect_base: str | None = None
        self.log: list[tuple[str, int, int]] = []
        self.headers: list[dict] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are separate writes

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                server._serve(self)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:  # resets are the point here
                pass

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    # -- lifetime ----------------------------------------------------------
    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, name: str) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/{name}"

    def requests(self) -> int:
        with self._lock:
            return len(self.log)

    def quiet(self, still: float = 0.3, limit: float = 30.0) -> int:
        """Waits until no request has arrived for ``still`` seconds (work a
        previous test left in flight has landed); the request count then."""
        t_end = time.monotonic() + limit
        n = self.requests()
        while time.monotonic() < t_end:
            time.sleep(still)
            m = self.requests()
            if m == n:
                return n
            n = m
        return n

    def bytes_sent(self) -> int:
        with self._lock:
            return sum(n for _, _, n in self.log)

    # -- serving ---------------------------------------------------------------
    def _take(self, name: str) -> bool:
        with self._lock:
            if getattr(self, name) > 0:
                setattr(self, name, getattr(self, name) - 1)
                return True
        return False

    def _record(self, path: str, status: int, n: int) -> None:
        with self._lock:
            self.log.append((path, status, n))

    def reset(self) -> None:
        """Every fault off, validators back to ETag "v1"."""
        self.ranges, self.delay, self.etag, self.last_modified = True, 0.0, "v1", None
        self.fail_next = self.reset_next = self.truncate_next = self.hang_next = self.wrong_range_next = 0
        self.trickle, self.trickle_body, self.short, self.html, self.gzip = 0.0, False, 0, False, False
        self.claim_size = self.redirect_base = None

    def _send(self, h: BaseHTTPRequestHandler, status: int, headers: list, body: bytes) -> None:
        """One whole answer, written slowly when ``trickle`` is set."""
        lines = [f"HTTP/1.1 {status} {h.responses.get(status, ('',))[0]}"] + [f"{k}: {v}" for k, v in headers]
        data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        if not self.trickle:
            h.wfile.write(data)
            return
        fast = len(data) - len(body) if self.trickle_body else 0
        h.wfile.write(data[:fast])
        h.wfile.flush()
        for i in range(fast, len(data)):
            if self._stop.wait(self.trickle):
                return
            try:
                h.connection.sendall(data[i:i + 1])
            except OSError:  # the client gave up
                h.close_connection = True
                return

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        with self._lock:
            self.headers.append(dict(h.headers.items()))
        if path == "/__stats":
            body = json.dumps({"requests": self.requests(), "bytes": self.bytes_sent()}).encode()
            h.send_response(200)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        if self.delay:
            time.sleep(self.delay)
        if self._take("hang_next"):
            self._record(path, 0, 0)
            self._stop.wait()
            return
        if path.startswith("/redirect/"):
            self._record(path, 302, 0)
            h.send_response(302)
            rest = path[len("/redirect"):]
            h.send_header("Location", self.redirect_base + rest.lstrip("/") if self.redirect_base else rest)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if self.html:
            body = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in</body></html>\n"
            self._record(path, 200, len(body))
            self._send(h, 200, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", len(body))], body)
            return
        if self._take("fail_next"):
            self._record(path, 503, 0)
            body = b"busy"
            h.send_response(503)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        file = os.path.join(self.root, path.lstrip("/"))
        if not os.path.isfile(file):
            self._record(path, 404, 0)
            h.send_response(404)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        size = os.path.getsize(file)
        status, lo, hi = 200, 0, size - 1
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", h.headers.get("Range", "") or "")
        if self.ranges and m:
            lo = int(m.group(1))
            hi = min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
            if lo >= size:
                self._record(path, 416, 0)
                h.send_response(416)
                h.send_header("Content-Range", f"bytes */{size}")
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            status = 206
            if self._take("wrong_range_next") and hi + 1 < size:
                lo, hi = lo + 1, hi + 1
            if self.short:
                hi = min(hi, lo + self.short - 1)
        if self.gzip:  # as nginx's gzip: the whole file, encoded, Range ignored
            status, lo, hi = 200, 0, size - 1
        with open(file, "rb") as fh:
            fh.seek(lo)
            body = fh.read(hi + 1 - lo)
        headers = []
        if status == 206:
            headers.append(("Content-Range", f"bytes {lo}-{hi}/{self.claim_size or size}"))
        elif self.gzip:
            import gzip

            status, body = 200, gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        if self.etag is not None:
            headers.append(("ETag", f'"{self.etag}"'))
        if self.last_modified is not None:
            headers.append(("Last-Modified", self.last_modified))
        headers += [("Content-Length", len(body)), ("Accept-Ranges", "bytes" if self.ranges else "none")]
        if self.trickle:
            self._record(path, status, len(body))
            self._send(h, status, headers, body)
            return
        h.send_response(status)
        for k, v in headers:
            h.send_header(k, str(v))
        h.end_headers()
        if self._take("reset_next"):
            self._record(path, status, 0)
            h.connection.shutdown(socket.SHUT_RDWR)
            h.close_connection = True
            return
        if self._take("truncate_next"):
            cut = body[: len(body) // 2]
            h.wfile.write(cut)
            h.wfile.flush()
            self._record(path, status, len(cut))
            h.connection.shutdown(socket.SHUT_RDWR)
            h.close_connection = True
            return
        self._record(path, status, len(body))  # before the body: once the client has it, requests() counts it
        h.wfile.write(body)


def main() -> None:
    """``python tests/support/http_server.py ROOT [DELAY]``: serve ROOT until killed;
    prints the base URL (benches run the server in its own process)."""
    import sys

    srv = FaultServer(sys.argv[1])
    srv.delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    with srv:
        print(srv.url(""), flush=True)
        srv._stop.wait()


if __name__ == "__main__":
    main()
