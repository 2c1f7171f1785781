"""Fuzzing the remote layer (``bwl/_remote``: range requests, their checks,
retries, redirects, deadlines, the disk cache) against a loopback server
whose answer to every request is decided by a *script* decoded from the
fuzz input (issue 33).

Why a script: the hand-written cases (tests/test_remote.py,
tests/test_attacks.py) set one fault for a whole test; real failures mix
them (a reset, then a redirect to another origin, then a changed file), and
which request gets which answer is what decides the outcome. Decoding the
input as one (fault, argument) byte pair per request keeps every libFuzzer
mutation meaningful: a flipped byte changes one answer.

* :func:`decode` / :func:`encode` - input bytes <-> :class:`Script`: a
  scenario (one file, a two-track Collection, a FASTA with its .fai, or
  two runs through ``cache_dir``), tight :class:`bwl.RemoteOptions`, and a
  :class:`Step` per request in arrival order (none once the script ends).
* :class:`ScriptServer` - ``support.http_server.FaultServer`` answering by
  a :class:`Stage` (the script, the served files and their versions);
  without one its knobs work as before.
* :class:`Rig` - the served files (each with a same-size and an other-size
  version), two servers (two origins) and the local reads every version
  gives, computed once.
* :func:`run_one` - one input: "ok" (every value equals the local read of
  a version the server served) or "error" (an expected error naming the
  URL); otherwise it raises :class:`Finding`.
* :func:`fuzz_loop` - the deterministic loop (fixed seed, random scripts);
  :func:`atheris_main` - libFuzzer over :func:`run_one`.

What is a finding: a value that differs from every version the server
served, unless the server lied in a way no client can see (the ``lie``
faults; a same-size change while answers carry no validator); an error
type other than OSError / bwl.FormatError / ValueError, or one that does
not name the URL; a FormatError although every answer was truthful (the
remote layer let wrong bytes through); any error at all on a script of
only benign faults (answers a correct client must read: keep-alive closed
by the server, redirects, chunked bodies, HTTP/1.0, missing validators);
an input running past :func:`time_bound` (a hang); leaked threads or
descriptors (:func:`leak_check`).
"""
from __future__ import annotations

import gc
import gzip
import hashlib
import os
import re
import select
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Callable

import numpy as np

import bwl

from .http_server import FaultServer

# ----------------------------------------------------------------- scripts

FAULTS = (
    "none", "status", "client_error", "reset", "truncate", "range_start", "range_end", "range_total",
    "range_garbage", "short", "whole", "trickle_head", "trickle_body", "hang", "redirect", "redirect_other",
    "redirect_loop", "redirect_scheme", "redirect_bad", "change", "change_size", "etag_change", "drop_validators",
    "lie", "lie_shift", "html", "gzip", "length_short", "length_long", "garbage_status", "garbage_header",
    "chunked", "close_after", "delay", "http10", "length_garbage",
)
# Answers a correct client reads without an error, whatever its retries.
BENIGN = frozenset({"none", "redirect", "redirect_other", "drop_validators", "chunked", "close_after", "http10"})
REDIRECTS = frozenset({"redirect", "redirect_other"})
SCENARIOS = ("file", "collection", "fasta", "disk")
VALIDATORS = ("etag", "last_modified", "both", "none")
READAHEADS = (512, 4096, 65536, 1 << 20)
MAX_STEPS = 64
HEAD = 3  # bytes of scenario and options before the steps

# Tight options: every request ends within DEADLINE, every input within a
# second or two.
TIMEOUT, DEADLINE, BACKOFF = 0.4, 0.5, 0.005


@dataclass(frozen=True)
class Step:
    """The answer to one request: a fault from FAULTS and its argument (0-255)."""

    fault: str = "none"
    arg: int = 0


@dataclass
class Script:
    """One fuzz input decoded: what to read, with which options, and the answers."""

    scenario: str = "file"
    variant: int = 0  # file/disk: track a or b; fasta: plain or bgzip
    validators: str = "etag"
    retries: int = 1
    gap: int = 0
    whole_file_limit: int = 64 << 20
    readahead: int = 4096
    max_request: int = 16 << 20
    steps: list[Step] = field(default_factory=list)

    def options(self, cache_dir: str | None = None) -> bwl.RemoteOptions:
        return bwl.RemoteOptions(timeout=TIMEOUT, deadline=DEADLINE, retries=self.retries, backoff=BACKOFF,
                                 readahead=self.readahead, gap=self.gap, max_request=self.max_request,
                                 whole_file_limit=self.whole_file_limit, cache_dir=cache_dir)

    def benign(self) -> bool:
        """Only answers a correct client must read (see BENIGN); redirects
        few enough that no request follows more than 5."""
        return (all(s.fault in BENIGN for s in self.steps)
                and sum(s.fault in REDIRECTS for s in self.steps) <= 5)

    def describe(self) -> str:
        steps = ", ".join(f"{s.fault}({s.arg})" for s in self.steps) or "no faults"
        return (f"{self.scenario}/{self.variant} validators={self.validators} retries={self.retries} "
                f"readahead={self.readahead} gap={self.gap} max_request={self.max_request} "
                f"whole_file_limit={self.whole_file_limit}: {steps}")


def decode(data: bytes) -> Script:
    """Any bytes -> a Script (short inputs get defaults)."""
    h = data[:HEAD] + bytes(HEAD - len(data[:HEAD]))
    s = Script(scenario=SCENARIOS[h[0] % 4], variant=(h[0] >> 2) & 1, validators=VALIDATORS[h[1] % 4],
               retries=(h[1] >> 2 & 3) % 3, gap=(0, 4096)[(h[1] >> 4) & 1],
               whole_file_limit=(64 << 20, 0, 1000, 64 << 20)[(h[1] >> 5) & 3],
               readahead=READAHEADS[h[2] % 4], max_request=(16 << 20, 2048)[(h[2] >> 2) & 1])
    body = data[HEAD:HEAD + 2 * MAX_STEPS]
    s.steps = [Step(FAULTS[body[i] % len(FAULTS)], body[i + 1]) for i in range(0, len(body) - 1, 2)]
    return s


def encode(s: Script) -> bytes:
    """The bytes :func:`decode` turns into ``s`` (hand-written reproducers)."""
    h0 = SCENARIOS.index(s.scenario) | (s.variant & 1) << 2
    wfl = {64 << 20: 0, 0: 1, 1000: 2}[s.whole_file_limit]
    h1 = VALIDATORS.index(s.validators) | s.retries << 2 | (s.gap == 4096) << 4 | wfl << 5
    h2 = READAHEADS.index(s.readahead) | (s.max_request == 2048) << 2
    return bytes([h0, h1, h2]) + b"".join(bytes([FAULTS.index(st.fault), st.arg]) for st in s.steps)


def script(scenario: str = "file", steps: Sequence = (), **kw) -> bytes:
    """Input bytes from readable parts: ``script("file", [("reset", 0), "none"], retries=0)``."""
    st = [Step(x) if isinstance(x, str) else Step(*x) for x in steps]
    return encode(Script(scenario=scenario, steps=st, **kw))


# ----------------------------------------------------------------- served files


@dataclass
class Track:
    """One served file: its versions (0: the file; 1: other bytes, same
    size; 2: other size) and what the server says about it now."""

    name: str
    versions: list[bytes]
    content: int = 0  # the version served
    tag: int = 0  # the validators' version: changes with the content unless the server lies

    def data(self) -> bytes:
        return self.versions[self.content]

    def switch(self, version: int, honest: bool, tags) -> None:
        """The file changes on the server; its validators too when honest."""
        if version < len(self.versions):
            self.content = version
        if honest:
            self.tag = next(tags)


class Stage:
    """One input's server side: the script, the files, and what was served
    (per run and file: which versions, any lie, any size claim that was not
    the file's size, any answer without validators)."""

    def __init__(self, s: Script, files: dict[str, list[bytes]], other: Callable[[], str]) -> None:
        self.script = s
        self.tracks = {n: Track(n, v) for n, v in files.items()}
        self.other = other  # the other server's base URL (another origin)
        self.lock = threading.Lock()
        self.next = 0
        self.run = 0
        self.tags = iter(range(1, 1 << 30))
        self.served: dict[tuple, set] = {}
        self.lied: set = set()
        self.size_lie: set = set()
        self.dropped: set = set()
        self.log: list[tuple] = []  # (request, path, fault, arg, status)

    def take(self) -> tuple[int, Step]:
        with self.lock:
            i = self.next
            self.next += 1
        return i, (self.script.steps[i] if i < len(self.script.steps) else Step())

    def mark(self, which: set, name: str) -> None:
        with self.lock:
            which.add((self.run, name))

    def validators(self, t: Track) -> list:
        mode = self.script.validators
        out = []
        if mode in ("etag", "both"):
            out.append(("ETag", f'"{t.name}-{t.tag}"'))
        if mode in ("last_modified", "both"):
            out.append(("Last-Modified", formatdate(1_700_000_000 + 3600 * t.tag, usegmt=True)))
        return out

    def versions(self, name: str, run: int) -> set:
        """Versions of a file whose bytes a run may have read: what the
        server served in it, and in the runs before (the disk cache)."""
        return set().union(*(self.served.get((r, name), set()) for r in range(run + 1)))

    def lenient(self, name: str, run: int) -> bool:
        """Values of this file in this run need not match: the server lied
        (in this run or an earlier one, whose bytes the disk cache keeps),
        or its bytes changed at a size no validator told apart."""
        keys = [(r, name) for r in range(run + 1)]
        if any(k in self.lied for k in keys):
            return True
        sizes = [len(self.tracks[name].versions[v]) for v in self.versions(name, run)]
        no_validator = self.script.validators == "none" or any(k in self.dropped for k in keys)
        return no_validator and len(sizes) != len(set(sizes))


@dataclass
class Answer:
    """What the server writes: a status line, headers, a body, and how."""

    status: int
    headers: list
    body: bytes = b""
    how: str = "normal"  # normal, reset, truncate, trickle_head, trickle_body, hang, close, hold
    arg: int = 0
    status_line: bytes | None = None
    extra: bytes = b""  # raw header lines after the others


REASONS = {200: "OK", 206: "Partial Content", 301: "Moved Permanently", 302: "Found", 303: "See Other",
           307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 408: "Request Timeout", 410: "Gone", 416: "Range Not Satisfiable",
           429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
           504: "Gateway Timeout"}
GARBAGE_STATUS = (b"garbage\r\n", b"HTTP/1.1 2O6 Partial\r\n", b"HTTP/9.9 206 Partial Content\r\n", b"\r\n",
                  b"HTTP/1.1 999 What\r\n", b"HTTP/1.1 -1 X\r\n", b"HTTP/1.1 206 " + b"x" * 70_000 + b"\r\n",
                  b"ICY 200 OK\r\n", b"HTTP/1.1 206\r\n", b"HTTP/1.1\r\n", b"\x00\xff\xfe\r\n")
GARBAGE_HEADERS = (b"NoColonHere\r\n", b"".join(b"X-H%d: 1\r\n" % i for i in range(101)), b"X-Long: " + b"y" * 70_000 + b"\r\n",
                   b"X-Bin: \xff\xfe\x00\r\n", b" folded continuation\r\n", b"Content-Length: 3, 4\r\n",
                   b"Content-Range: bytes 0-0/1\r\n", b"Transfer-Encoding: gzip\r\n", b"Content-Encoding: br\r\n",
                   b"Content-Type: text/html\r\n")
BAD_LENGTHS = ("\xb2", "-1", "1e3", " 12", "0x10", "", "12 13", "+5", "\xb9\xb2", "99999999999999999999999")
BAD_LOCATIONS = (None, "", "http://[::1", "http://127.0.0.1:99999/x", "http://127.0.0.1:abc/", "http://user@/x",
                 "http://:0/x", " ", "http://127.0.0.1:1/x", "\x00")
SCHEMES = ("ftp://127.0.0.1/x", "file:///etc/passwd", "javascript:alert(1)", "data:,hello", "gopher://127.0.0.1/")


class ScriptServer(FaultServer):
    """A FaultServer that answers by ``self.stage`` when one is set (every
    FaultServer knob works as before when it is None).

    Paths: ``/NAME`` and ``/r/.../NAME`` serve file NAME (``/r/`` is where
    relative redirects point); ``/loop/NAME`` always redirects to itself."""

    def __init__(self, root) -> None:
        super().__init__(root)
        self.stage: Stage | None = None
        # socketserver listens with a backlog of 5: a Collection's prefetch
        # opens more connections at once, and a dropped SYN is retried after
        # 1 s, past the 0.4 s timeout (a "timed out" that is the test's own).
        self._httpd.socket.listen(128)

    def _serve(self, h) -> None:
        stage = self.stage
        if stage is None:
            return super()._serve(h)
        path = h.path.split("?", 1)[0]
        if path.startswith("/loop/"):
            return self._write(h, Answer(302, [("Location", path), ("Content-Length", "0")]))
        name = re.sub(r"^(/r)*/", "", path)
        i, step = stage.take()
        track = stage.tracks.get(name)
        if track is None:
            a = Answer(404, [("Content-Length", "0")])
        else:
            a = self._plan(stage, track, step, h.headers.get("Range", ""))
        with stage.lock:
            stage.log.append((i, path, step.fault, step.arg, a.status))
        self._write(h, a)

    # -- what to answer -------------------------------------------------------
    def _plan(self, stage: Stage, t: Track, step: Step, range_header: str) -> Answer:
        f, arg = step.fault, step.arg
        if f in ("change", "change_size", "lie", "etag_change"):
            with stage.lock:
                if f == "etag_change":
                    t.tag = next(stage.tags)
                elif f == "lie":
                    t.switch(1 - t.content if t.content < 2 else 0, False, stage.tags)
                else:
                    t.switch(1 if f == "change" else 2, True, stage.tags)
            if f == "lie":
                stage.mark(stage.lied, t.name)
        if f in ("status", "client_error"):
            code = (500, 502, 503, 504, 429, 408) if f == "status" else (404, 410, 403, 401, 400, 416)
            return Answer(code[arg % 6], [("Content-Length", "4")], b"nope")
        if f.startswith("redirect"):
            return self._redirect(stage, t, f, arg)
        if f == "html":
            body = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in</body></html>\n"
            return Answer(200, [("Content-Type", "text/html"), ("Content-Length", str(len(body)))], body)
        data = t.data()
        size = len(data)
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", range_header or "")
        whole = f == "whole" or m is None or (f == "gzip" and arg % 2 == 0) or (f == "length_garbage" and arg >= 128)
        lo = 0 if whole else int(m.group(1))
        hi = size - 1 if whole else min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
        if not whole and lo >= size:
            return Answer(416, [("Content-Range", f"bytes */{size}"), ("Content-Length", "0")])
        valid = [] if f == "drop_validators" else stage.validators(t)
        if not valid:
            stage.mark(stage.dropped, t.name)
        with stage.lock:
            stage.served.setdefault((stage.run, t.name), set()).add(t.content)
        a = self._ranged(stage, t, f, arg, data, lo, hi, whole)
        a.headers += valid
        return a

    def _ranged(self, stage: Stage, t: Track, f: str, arg: int, data: bytes, lo: int, hi: int, whole: bool) -> Answer:
        """A 200/206 answer with the file's bytes, bent by the fault."""
        size = len(data)
        total: object = size
        if f == "short" and hi > lo:
            hi = lo + (hi - lo) * arg // 256
        elif f == "range_end":
            hi = lo - 1 if arg % 4 == 0 else min(size - 1, hi + 1 + arg % 64)
        body_lo = lo
        if f == "range_start":
            body_lo = lo = max(0, min(size - 1, lo + (1 + arg % 64) * (-1 if arg % 2 and lo else 1)))
            hi = max(hi, lo)
        elif f == "lie_shift":
            body_lo = min(size - 1, lo + 1 + arg % 16)
            stage.mark(stage.lied, t.name)
        elif f == "range_total":
            total = (size + 1 + arg, max(0, size - 1 - arg), 0, -1, 2 ** 63, 2 ** 64 + arg, "*", f"{size} ")[arg % 8]
            if str(total).strip() != str(size):
                stage.mark(stage.size_lie, t.name)
        body = data[body_lo: body_lo + max(0, hi - lo + 1)]
        if whole:
            status, headers = 200, []
        else:
            status, headers = 206, [("Content-Range", f"bytes {lo}-{hi}/{total}")]
        if f == "range_garbage" and not whole:
            headers = [] if arg % 8 == 0 else [("Content-Range", (
                f"bytes */{size}", "items 0-1/2", f"bytes {lo}-{hi}", "bytes a-b/c", f"bytes {lo}-{hi}/{size}, bytes 0-0/{size}",
                f"bytes  {lo}-{hi}/{size}", f"bytes {lo}-{hi}/{size}x")[arg % 8 - 1])]
        a = Answer(status, headers, body)
        if f == "gzip":
            a.body = gzip.compress(body)
            a.headers.append(("Content-Encoding", "gzip"))
        self._delivery(stage, t, a, f, arg, whole)
        return a

    def _delivery(self, stage: Stage, t: Track, a: Answer, f: str, arg: int, whole: bool) -> None:
        """Content-Length (true or not), chunking, and how the bytes go out."""
        n = len(a.body)
        if f == "chunked":
            step = 1 + arg * 7
            chunks = [a.body[i:i + step] for i in range(0, n, step)]
            a.body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
            a.headers.append(("Transfer-Encoding", "chunked"))
            return
        length = n
        if f == "length_short" and n:
            length = n - 1 - arg % n
            if whole:
                stage.mark(stage.size_lie, t.name)
        elif f == "length_long":
            length = n + 1 + arg
            a.how = "close" if arg % 2 == 0 else "hold"
        if f == "length_garbage":  # then the body runs to the end of the connection
            a.headers.append(("Content-Length", BAD_LENGTHS[arg % len(BAD_LENGTHS)]))
            a.how = "close"
            if whole:  # a length that parses is a size claim
                stage.mark(stage.size_lie, t.name)
        else:
            a.headers.append(("Content-Length", str(length)))
        if f in ("reset", "truncate", "trickle_head", "trickle_body", "hang", "close_after"):
            a.how, a.arg = ("close" if f == "close_after" else f), arg
        elif f == "garbage_status":
            a.status_line = GARBAGE_STATUS[arg % len(GARBAGE_STATUS)]
        elif f == "garbage_header":
            a.extra = GARBAGE_HEADERS[arg % len(GARBAGE_HEADERS)]
        elif f == "http10":
            a.status_line = b"HTTP/1.0 %d %s\r\n" % (a.status, REASONS[a.status].encode())
            if arg % 2:
                a.status_line = b"HTTP/1.1 100 Continue\r\n\r\n" + a.status_line
        elif f == "delay":
            time.sleep(arg % 8 * 0.02)

    def _redirect(self, stage: Stage, t: Track, f: str, arg: int) -> Answer:
        code = (301, 302, 303, 307, 308)[arg % 5]
        if f == "redirect":
            loc: str | None = ("/r/" + t.name, "r/" + t.name, "./r/" + t.name)[arg // 5 % 3]
        elif f == "redirect_other":
            loc = stage.other() + ("r/" if arg & 128 else "") + t.name
        elif f == "redirect_loop":
            loc = "/loop/" + t.name
        elif f == "redirect_scheme":
            loc = SCHEMES[arg // 5 % len(SCHEMES)]
        else:
            loc = BAD_LOCATIONS[arg // 5 % len(BAD_LOCATIONS)]
        headers = [("Content-Length", "0")]
        if loc is not None:
            headers.insert(0, ("Location", loc))
        return Answer(code, headers)

    # -- writing it -------------------------------------------------------------
    def _write(self, h, a: Answer) -> None:
        """Writes an Answer on the raw socket (faults included); never raises."""
        line = a.status_line or b"HTTP/1.1 %d %s\r\n" % (a.status, REASONS.get(a.status, "X").encode())
        head = line + b"".join(f"{k}: {v}\r\n".encode("latin-1", "replace") for k, v in a.headers) + a.extra + b"\r\n"
        sock = h.connection
        try:
            if a.how == "hang":
                self._hold(h)
            elif a.how in ("trickle_head", "trickle_body"):
                self._trickle(sock, head + a.body, len(head) if a.how == "trickle_body" else 0, a.arg)
            elif a.how == "reset":
                sock.sendall(head)
            elif a.how == "truncate":
                sock.sendall(head + a.body[: len(a.body) * a.arg // 256])
            else:
                sock.sendall(head + a.body)
                if a.how == "hold":
                    self._hold(h)
        except OSError:  # the client gave up
            pass
        if a.how not in ("normal", "hold"):
            h.close_connection = True
            try:
                sock.shutdown(2)
            except OSError:
                pass

    def _trickle(self, sock, data: bytes, fast: int, arg: int) -> None:
        """``fast`` bytes at once, then up to 16 + 4 * (arg >> 2) bytes one
        every 1-3 ms (bounded: at most 0.8 s), then the rest."""
        sock.sendall(data[:fast])
        slow_end = min(len(data), fast + 16 + 4 * (arg >> 2))
        for i in range(fast, slow_end):
            if self._stop.wait(0.001 * (1 + arg % 3)):
                return
            sock.sendall(data[i:i + 1])
        sock.sendall(data[slow_end:])

    def _hold(self, h, limit: float = 300.0) -> None:
        """Says nothing more until the client closes the connection (or
        ``limit`` s, longer than any input's time_bound, or the server
        stops): a hang as the client sees it."""
        h.close_connection = True
        end = time.monotonic() + limit
        while not self._stop.is_set() and time.monotonic() < end:
            if select.select([h.connection], [], [], 0.05)[0]:
                try:
                    if not h.connection.recv(1 << 16):
                        return
                except OSError:
                    return


# ----------------------------------------------------------------- the rig


def _track_versions(chroms: dict, kind: str, compress: bool, work: str, seed: int) -> list[bytes]:
    """A bigWig, one with other values padded to its size (trailing bytes
    are outside every offset), and one with other values 1,000 bytes longer."""
    rng = np.random.default_rng(seed)
    iv = {}
    for c, size in chroms.items():
        n = max(2, size // 40)
        s = np.sort(rng.choice(np.arange(0, size - 10, 5), n, replace=False)).astype(np.int64)
        e = s + (3 if kind == "variableStep" else rng.integers(1, 5, s.size))
        iv[c] = (s, e, rng.normal(0, 3, s.size).astype(np.float32))

    def write(vals_of) -> bytes:
        p = os.path.join(work, "tmp.bw")
        bwl.write(p, chroms, {c: (s, e, vals_of(v)) for c, (s, e, v) in iv.items()}, type=kind, compress=compress,
                  items_per_section=32, block_size=4)
        with open(p, "rb") as fh:
            return fh.read()

    v0 = write(lambda v: v)
    v1 = write(lambda v: np.round(v))  # rounder values compress at least as well
    v2 = write(lambda v: -v)
    assert len(v1) <= len(v0), (len(v1), len(v0))
    return [v0, v1 + bytes(len(v0) - len(v1)), v2 + bytes(1000)]


def _fasta_files(work: str) -> dict[str, list[bytes]]:
    """g.fa (versions: the sequence, its complement: same .fai), its .fai;
    g.fa.gz (bgzip) with .fai and .gzi."""
    from .fasta import fasta_bytes, random_sequence, write_bgzf

    rng = np.random.default_rng(3)
    seqs = {"s1": random_sequence(rng, 20_000), "s2": random_sequence(rng, 77), "s3": random_sequence(rng, 3_000)}
    plain = fasta_bytes(seqs, 60, False, None)
    comp = fasta_bytes({k: v.translate(str.maketrans("ACGTacgt", "TGCAtgca")) for k, v in seqs.items()}, 60, False, None)
    out: dict[str, list[bytes]] = {}
    for name, data in (("g.fa", plain), ("gc.fa", comp)):
        with open(os.path.join(work, name), "wb") as fh:
            fh.write(data)
    write_bgzf(os.path.join(work, "g.fa.gz"), plain, rng, max_member=8192, min_member=1000)
    for p in ("g.fa", "gc.fa", "g.fa.gz"):
        bwl.Fasta(os.path.join(work, p))  # writes .fai (and .gzi)

    def read(p: str) -> bytes:
        with open(os.path.join(work, p), "rb") as fh:
            return fh.read()

    out["g.fa"] = [read("g.fa"), read("gc.fa")]
    for p in ("g.fa.fai", "g.fa.gz", "g.fa.gz.fai", "g.fa.gz.gzi"):
        out[p] = [read(p)]
    assert read("gc.fa.fai") == read("g.fa.fai")
    return out


CHROMS = {"chr1": 30_000, "chr2": 4_000, "chrM": 60}
TRACKS = ("a.bw", "b.bw")  # a: raw bedGraph; b: zlib variableStep
FASTAS = ("g.fa", "g.fa.gz")


def _bigwig_ops(f) -> iter:
    """What the file and disk scenarios read of one bigWig, in order (an
    error on the way ends the list there)."""
    chroms = f.chroms()
    yield "chroms", chroms
    yield "header", {k: v for k, v in f.header().items() if k != "fileSize"}
    for chrom, size in chroms.items():
        for s, e in ((0, size), (size // 3, min(size, size // 3 + 777))):
            yield ("values", chrom, s, e), f.values(chrom, s, e)
        yield ("intervals", chrom), f.intervals(chrom, 0, size)
        for exact in (False, True):
            yield ("stats", chrom, exact), f.stats(chrom, type="mean", nBins=4, exact=exact)


def _windows(seed: int = 5, n: int = 12, length: int = 240):
    rng = np.random.default_rng(seed)
    names = [c for c, s in CHROMS.items() if s > length]
    chroms = [names[i] for i in rng.integers(0, len(names), n)]
    starts = np.array([rng.integers(0, CHROMS[c] - length) for c in chroms])
    return chroms, starts, starts + length


def _collection_ops(c) -> iter:
    """A batch per base and a pooled one; one column per track."""
    yield "chroms", c.chroms()
    chroms, starts, ends = _windows()
    for window in (1, 8):
        out = c.values(chroms, starts, ends, window=window)
        for t in range(out.shape[1]):
            yield ("batch", window, t), out[:, t]


def _fasta_ops(fa) -> iter:
    yield "chroms", fa.chroms()
    for chrom, s, e in (("s1", 0, 20_000), ("s1", 12_345, 12_400), ("s2", 0, 77), ("s3", 2_990, 3_000)):
        yield ("fetch", chrom, s, e), fa.fetch(chrom, s, e)
    rng = np.random.default_rng(9)
    starts = rng.integers(-20, 19_000, 8)
    yield "onehot", fa.onehot(["s1"] * 8, starts, starts + 100)


class Finding(Exception):
    """An outcome that is a bug (see the module's docstring)."""


def same(a, b) -> bool:
    """Equal values (NaN equal to NaN), for arrays, dicts, tuples and scalars."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and not (a and isinstance(a[0], (int, float))):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
    except TypeError:
        return a == b


class Rig:
    """The served files, two servers (two origins) and the local reads of
    every version (the oracle), made once for many inputs::

        with Rig() as rig:
            rig.run(data)   # "ok" / "error", or raises Finding
    """

    def __init__(self, directory: str | None = None) -> None:
        self._tmp = None if directory else tempfile.TemporaryDirectory(prefix="bwl-fuzz-remote-")
        self.dir = directory or self._tmp.name
        os.makedirs(self.dir, exist_ok=True)
        self.files: dict[str, list[bytes]] = {
            "a.bw": _track_versions(CHROMS, "bedGraph", False, self.dir, 1),
            "b.bw": _track_versions(CHROMS, "variableStep", True, self.dir, 2),
        }
        self.files.update(_fasta_files(self.dir))
        self.local = self._local_paths()
        self.expected = self._expected()
        self.servers = [ScriptServer(self.dir), ScriptServer(self.dir)]
        self.counts = {"ok": 0, "error": 0, "finding": 0, "runs": 0}
        self._inputs = 0

    def _local_paths(self) -> dict[tuple, str]:
        """(name, version) -> a local copy (FASTA versions get their .fai next to them)."""
        out = {}
        for name, versions in self.files.items():
            for v, data in enumerate(versions):
                p = os.path.join(self.dir, "local", f"v{v}", name)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "wb") as fh:
                    fh.write(data)
                out[(name, v)] = p
        for v in range(len(self.files["g.fa"])):
            with open(out[("g.fa", v)] + ".fai", "wb") as fh:
                fh.write(self.files["g.fa.fai"][0])
        for ext in (".fai", ".gzi"):
            with open(out[("g.fa.gz", 0)] + ext, "wb") as fh:
                fh.write(self.files["g.fa.gz" + ext][0])
        return out

    def _expected(self) -> dict[tuple, dict]:
        """(name, version) -> {op: value} of the local file; for the
        collection, ("collection", name, version) -> its column's ops."""
        exp: dict[tuple, dict] = {}
        for name in TRACKS:
            for v in range(3):
                with bwl.open(self.local[(name, v)]) as f:
                    exp[(name, v)] = dict(_bigwig_ops(f))
                exp[("collection", name, v)] = {k if k == "chroms" else k[:2]: val for k, val in
                                                _collection_ops(bwl.Collection([self.local[(name, v)]]))}
        for name in FASTAS:
            for v in range(len(self.files[name])):
                exp[(name, v)] = dict(_fasta_ops(bwl.Fasta(self.local[(name, v)])))
        return exp

    def __enter__(self) -> Rig:
        for s in self.servers:
            s.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        for s in self.servers:
            s.stage = None
            s.__exit__()
        if self._tmp is not None:
            self._tmp.cleanup()

    def url(self, name: str) -> str:
        return self.servers[0].url(name)

    # -- one input -------------------------------------------------------------
    def run(self, data: bytes) -> str:
        """One input: "ok" or "error"; raises Finding. A benign script that
        failed is run once more before it counts (a loaded machine can
        miss a 0.5 s deadline)."""
        s = decode(data)
        try:
            kind = self._run(s)
        except Finding:
            if not s.benign():
                raise
            kind = self._run(s)
        self.counts[kind] += 1
        self.counts["runs"] += 1
        return kind

    def _run(self, s: Script) -> str:
        stage = Stage(s, self.files, lambda: self.servers[1].url(""))
        for srv in self.servers:
            srv.stage = stage
        box: dict = {}
        t0 = time.monotonic()
        worker = threading.Thread(target=self._target, args=(s, stage, box), name="fuzz-remote-target", daemon=True)
        worker.start()
        worker.join(time_bound(s))
        if worker.is_alive():
            raise Finding(f"hang: still reading after {time.monotonic() - t0:.1f} s (bound {time_bound(s):.1f} s); "
                          f"requests: {stage.log[-8:]}; script: {s.describe()}")
        return self._judge(s, stage, box)

    def _target(self, s: Script, stage: Stage, box: dict) -> None:
        """Runs the scenario, keeping every value read (box["got"]: run ->
        [(name, op, value)]) and the error that ended it."""
        box["got"] = {}
        cache = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cache = tempfile.mkdtemp(prefix="bwl-fuzz-udc-") if s.scenario == "disk" else None
                for run in (0, 1) if cache else (0,):
                    stage.run = run
                    self._read(s, run, box, cache)
        except BaseException as e:  # noqa: BLE001 - judged by _judge
            box["error"] = e
        finally:
            if cache:  # (a prefetch still in flight may write on: not this input's error)
                shutil.rmtree(cache, ignore_errors=True)

    def _read(self, s: Script, run: int, box: dict, cache: str | None) -> None:
        got = box["got"].setdefault(run, [])
        opts = s.options(cache)
        if s.scenario in ("file", "disk"):
            name = TRACKS[s.variant]
            with bwl.open(self.url(name), remote=opts) as f:
                for op, val in _bigwig_ops(f):
                    got.append((name, op, val))
        elif s.scenario == "collection":
            c = bwl.Collection([self.url(n) for n in TRACKS], remote=opts, threads=2)
            for op, val in _collection_ops(c):
                for name in (TRACKS if op == "chroms" else (TRACKS[op[2]],)):
                    got.append((name, op if op == "chroms" else op[:2], val))
        else:
            name = FASTAS[s.variant]
            for op, val in _fasta_ops(bwl.Fasta(self.url(name), remote=opts)):
                got.append((name, op, val))

    # -- the verdict -------------------------------------------------------------
    def _judge(self, s: Script, stage: Stage, box: dict) -> str:
        err = box.get("error")
        for run, got in box["got"].items():
            self._check_values(s, stage, run, got)
        if err is None:
            return "ok"
        where = f"script: {s.describe()}; requests: {stage.log[-8:]}"
        urls = [self.url(n) for n in (TRACKS if s.scenario == "collection" else (TRACKS if s.scenario != "fasta" else FASTAS))]
        named = any(u in str(err) for u in urls)
        if not isinstance(err, (OSError, bwl.FormatError, ValueError)):
            raise Finding(f"unexpected {type(err).__name__}: {err}; {where}") from err
        if not named:
            raise Finding(f"{type(err).__name__} not naming the URL: {err}; {where}") from err
        if isinstance(err, bwl.FormatError) and not self._may_look_corrupt(s, stage):
            raise Finding(f"FormatError although every answer was truthful: {err}; {where}") from err
        if s.benign():
            raise Finding(f"error on a script of benign answers: {type(err).__name__}: {err}; {where}") from err
        return "error"

    def _may_look_corrupt(self, s: Script, stage: Stage) -> bool:
        """Whether the server said something that can make the file look
        damaged: a lie, a size claim other than the file's."""
        return bool(stage.lied or stage.size_lie) or any(stage.lenient(n, r) for r, n in stage.served)

    def _check_values(self, s: Script, stage: Stage, run: int, got: list) -> None:
        """Every value read of a file equals the local read of one version
        the server served of it (the same version for all of them)."""
        for name in {n for n, _, _ in got}:
            # A lie about a FASTA's index (its bytes, or its size: a cut .fai)
            # is a lie about the sequence read through it.
            index = [name + ".fai", name + ".gzi"]
            if stage.lenient(name, run) or any(stage.lenient(i, run) or (run, i) in stage.size_lie for i in index):
                continue
            ops = [(op, val) for n, op, val in got if n == name]
            key = ("collection", name) if s.scenario == "collection" else (name,)
            served = sorted(stage.versions(name, run) or {0})
            if not any(all(same(val, self.expected[key + (v,)][op]) for op, val in ops) for v in served):
                bad = next(op for op, val in ops if not any(same(val, self.expected[key + (v,)][op]) for v in served))
                raise Finding(f"wrong value: {name} {bad} (run {run}) differs from versions {served} of the file; "
                              f"script: {s.describe()}; requests: {stage.log[-12:]}")


def time_bound(s: Script) -> float:
    """Seconds an input may take: each scripted answer may hold a request
    for the deadline and a backoff, plus slack for the reads themselves
    (2-core machines under load). Past it, the input hangs."""
    backoff = BACKOFF * 2 ** s.retries * 1.5
    return 10.0 + len(s.steps) * (DEADLINE + backoff) * (2 if s.scenario == "disk" else 1)


# ----------------------------------------------------------------- loops


def leak_check(before: dict, slack_fds: int = 24, slack_threads: int = 8) -> str | None:
    """A description of descriptors or threads left over since ``before``
    (:func:`resources`), after collecting garbage and letting the servers'
    connection threads see their clients gone; None when nothing leaked."""
    now = resources()
    for _ in range(40):
        if now["fds"] <= before["fds"] + slack_fds and now["threads"] <= before["threads"] + slack_threads:
            return None
        time.sleep(0.05)
        now = resources()
    return f"leak: {before} -> {now}"


def resources() -> dict:
    """Open descriptors and threads, after collecting garbage. Not the fetch
    pool's threads: bounded by RemoteOptions.concurrency, they start as
    needed. The servers' connection threads count: one per connection a
    client keeps open."""
    gc.collect()
    threads = sum(not t.name.startswith("bwl-fetch") for t in threading.enumerate())
    return {"fds": len(os.listdir("/proc/self/fd")), "threads": threads}


def random_input(rng: np.random.Generator) -> bytes:
    """A script for the deterministic loop: random head, a few steps, most
    of them no fault (so reads get far), a third of them benign only."""
    head = bytes(int(x) for x in rng.integers(0, 256, HEAD))
    pool = [FAULTS.index(f) for f in (BENIGN if rng.random() < 0.3 else FAULTS)]
    steps = b""
    for _ in range(int(rng.integers(0, 14))):
        f = FAULTS.index("none") if rng.random() < 0.45 else int(rng.choice(pool))
        steps += bytes([f, int(rng.integers(0, 256))])
    return head + steps


def fuzz_loop(rig: Rig, runs: int, seed: int = 0, on_finding: Callable[[bytes, Finding], None] | None = None,
              deadline: float | None = None, inputs: Sequence[bytes] = ()) -> dict:
    """``inputs`` then ``runs`` random scripts (seeded: the same scripts
    every time; the server's answers too, though concurrent requests may
    arrive in another order). A Finding goes to ``on_finding``, or is
    raised when it is None. Checks for leaks at the end. Returns counts."""
    rng = np.random.default_rng(seed)
    counts = {"ok": 0, "error": 0, "finding": 0, "runs": 0, "seconds": 0.0}
    t0 = time.monotonic()
    before = None
    todo = list(inputs) + [None] * runs
    for i, data in enumerate(todo):
        if deadline is not None and time.monotonic() > deadline:
            break
        data = random_input(rng) if data is None else data
        if i == min(10, len(todo) - 1):
            before = resources()  # after warm-up: the fetch pool, the watchdog, keep-alive connections
        try:
            kind = rig.run(data)
        except Finding as f:
            kind = "finding"
            if on_finding is None:
                raise Finding(f"input {i} (seed {seed}, {data.hex()}): {f}") from f
            on_finding(data, f)
        counts[kind] += 1
        counts["runs"] += 1
    if before is not None:
        for srv in rig.servers:
            srv.stage = None
        leak = leak_check(before)
        if leak:
            counts["finding"] += 1
            if on_finding is None:
                raise Finding(leak)
            on_finding(b"", Finding(leak))
    counts["seconds"] = time.monotonic() - t0
    return counts


def corpus(directory: str) -> list[bytes]:
    """The stored inputs (``*.bin``) of a corpus folder, in name order."""
    if not os.path.isdir(directory):
        return []
    out = []
    for n in sorted(os.listdir(directory)):
        if n.endswith(".bin"):
            with open(os.path.join(directory, n), "rb") as fh:
                out.append(fh.read())
    return out


def finding_name(data: bytes) -> str:
    return "finding-" + hashlib.sha1(data).hexdigest()[:16] + ".bin"


# ----------------------------------------------------------------- atheris


def atheris_main(argv: list[str], on_finding: Callable[[bytes, Finding], None],
                 stats_path: str | None = None) -> None:  # pragma: no cover - bench/fuzz.py --format remote
    """libFuzzer via atheris over :meth:`Rig.run` (never returns): the
    script bytes mutated by libFuzzer's own mutators (a byte pair per
    request: a mutation changes an answer), guided by the coverage of the
    modules the caller instrumented (bwl._remote, http.client). A Finding
    goes to ``on_finding`` and fuzzing goes on (a raised one would end the
    run at the first); crashes stay libFuzzer's. Every second or so the
    counts go to ``stats_path`` (libFuzzer exits without Python's exit
    handlers)."""
    import json

    import atheris

    rig = Rig().__enter__()
    last = [time.monotonic()]

    def test_one_input(data: bytes) -> None:
        try:
            rig.run(data)
        except Finding as f:
            rig.counts["finding"] += 1
            rig.counts["runs"] += 1
            on_finding(data, f)
        if stats_path and time.monotonic() - last[0] > 1.0:
            last[0] = time.monotonic()
            with open(stats_path + ".tmp", "w") as fh:
                json.dump(rig.counts, fh)
            os.replace(stats_path + ".tmp", stats_path)

    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


def seed_inputs() -> list[bytes]:
    """A seed per scenario and option set, no faults, and one of each fault."""
    out = [bytes([sc | v << 2, val | r << 2, ra]) for sc in range(4) for v in range(2) for val in range(4)
           for r in (1,) for ra in (0, 2)]
    out += [bytes([i % 4, 4, 1, i, 40 + i, 0, 0]) for i in range(len(FAULTS))]
    return out

