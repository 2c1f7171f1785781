"""Deadlines over whole requests: the socket of a request still running at
its deadline is shut down, so a blocked read returns at once.

Socket timeouts bound each read, not a request: a server that sends one
byte every 50 ms (headers or body) never trips a 30 s timeout and could
hold a request for hours. One daemon thread for all requests keeps a heap
of deadlines; a fired request sees ``Guard.fired`` and reports the
deadline, not the broken connection it causes.
"""
from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time


class Guard:
    """One armed deadline (see :func:`arm`)."""

    __slots__ = ("deadline", "conn", "fired", "done")

    def __init__(self, deadline: float, conn) -> None:
        self.deadline, self.conn, self.fired, self.done = deadline, conn, False, False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc) -> None:
        with _DOG.cv:  # after this, the watchdog no longer touches the (reusable) connection
            self.done = True


class _Watchdog:
    def __init__(self) -> None:
        self.cv = threading.Condition()
        self.heap: list = []
        self.seq = itertools.count()
        self.thread: threading.Thread | None = None

    def add(self, g: Guard) -> None:
        with self.cv:
            heapq.heappush(self.heap, (g.deadline, next(self.seq), g))
            if self.thread is None:
                self.thread = threading.Thread(target=self.run, name="bwl-deadline", daemon=True)
                self.thread.start()
            self.cv.notify()

    def run(self) -> None:
        while True:
            with self.cv:
                while self.heap and self.heap[0][2].done:
                    heapq.heappop(self.heap)
                if not self.heap:
                    self.cv.wait()
                    continue
                wait = self.heap[0][0] - time.monotonic()
                if wait > 0:
                    self.cv.wait(wait)
                    continue
                g = heapq.heappop(self.heap)[2]
                if g.done:
                    continue
                g.fired = True
                sock = getattr(g.conn, "sock", None)
                if sock is not None:
                    try:  # the plain socket's shutdown, also under TLS: the reader's SSL object stays intact
                        socket.socket.shutdown(sock, socket.SHUT_RDWR)
                    except OSError:
                        pass


_DOG = _Watchdog()

if hasattr(os, "register_at_fork"):  # a forked child has no watchdog thread, and its lock may be held
    os.register_at_fork(after_in_child=_DOG.__init__)


def arm(seconds: float, conn) -> Guard:
    """A deadline ``seconds`` from now for the request on ``conn`` (an
    ``http.client`` connection): ``with arm(t, conn) as g: ...``."""
    g = Guard(time.monotonic() + seconds, conn)
    _DOG.add(g)
    return g
