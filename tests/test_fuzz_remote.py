"""Fuzzing the remote layer (issue 33): a loopback server answering each
request as a script decoded from the input says (tests/support/fuzz_remote.py),
bwl reading through it, every value compared with the local file.

A short deterministic run (fixed seed), the committed corpus of scripts
(tests/corpus/remote/: each finding's script, with the outcome it must
have), and a regression test per finding. bench/fuzz.py --format remote
runs the loop longer, or atheris (libFuzzer) over the same target.
"""
from __future__ import annotations

import gc
import json
import random
import threading
import weakref
from pathlib import Path

import pytest

import bwl
from support import fuzz_remote as fr
from support.http_server import FaultServer

CORPUS = Path(__file__).resolve().parent / "corpus" / "remote"
SHORT_RUNS = 250


@pytest.fixture(scope="module")
def rig():
    with fr.Rig() as r:
        yield r


def _outcome(rig, data: bytes) -> str:
    """ "ok", "error", or the finding's message (the test then fails with it)."""
    try:
        return rig.run(data)
    except fr.Finding as f:
        return f"finding: {f}"


# ------------------------------------------------------------------ the loop


def test_fuzz_remote_short(rig):
    """A fixed-seed run of random scripts over every scenario (a file, a
    two-track Collection, a FASTA with .fai/.gzi, two runs through
    cache_dir), then a check for leaked threads and descriptors."""
    counts = fr.fuzz_loop(rig, SHORT_RUNS, seed=3303)
    print(f"remote fuzz: {counts}")
    assert counts["runs"] == SHORT_RUNS and counts["ok"] and counts["error"]


def test_fuzz_remote_seeds(rig):
    """Every scenario and option set without faults reads every value;
    each fault once, early in the script, gives no finding."""
    for data in fr.seed_inputs():
        got = _outcome(rig, data)
        assert got in ("ok", "error"), got
        if len(data) == fr.HEAD:  # no steps: no fault
            assert got == "ok", fr.decode(data).describe()


def _manifest() -> list:
    return json.loads((CORPUS / "manifest.json").read_text())


@pytest.mark.parametrize("entry", _manifest(), ids=lambda e: e["file"])
def test_remote_corpus_replay(rig, entry):
    """The committed scripts (one per finding) give the outcome they must:
    "ok" (every value right) or "error" (an expected error naming the URL)."""
    data = (CORPUS / entry["file"]).read_bytes()
    for _ in range(entry.get("repeat", 1)):  # races: a few times
        assert _outcome(rig, data) == entry["expect"], f"{entry['file']}: {entry['what']}"


def test_corpus_manifest_lists_every_file():
    assert sorted(e["file"] for e in _manifest()) == sorted(p.name for p in CORPUS.glob("*.bin"))


def test_scripts_round_trip():
    s = fr.Script(scenario="disk", variant=1, validators="none", retries=2, gap=4096, whole_file_limit=1000,
                  readahead=512, max_request=2048, steps=[fr.Step("hang", 7), fr.Step("lie_shift", 200)])
    assert fr.decode(fr.encode(s)) == s
    assert fr.decode(b"") == fr.Script(scenario="file", validators="etag", retries=0, readahead=512, steps=[])


# ------------------------------------------------------------------ what it found


def _error(rig, data: bytes) -> BaseException:
    """The error one script ends with (through the harness's own target)."""
    s = fr.decode(data)
    stage = fr.Stage(s, rig.files, lambda: rig.servers[1].url(""))
    for srv in rig.servers:
        srv.stage = stage
    box: dict = {}
    rig._target(s, stage, box)
    return box.get("error")


@pytest.mark.parametrize("where", range(len(fr.BAD_LOCATIONS)))
def test_redirect_to_an_invalid_url(rig, where):
    """A redirect whose Location has a bad port, a broken IPv6 literal or
    no host used to escape bwl.open as urllib's ValueError ("Port out of
    range 0-65535", "Invalid IPv6 URL") or http.client's TypeError /
    AttributeError, naming neither the file nor the cause. Now: a
    RemoteError naming the URL."""
    data = fr.script("file", [("redirect_bad", where * 5)], retries=0)
    e = _error(rig, data)
    assert e is None or isinstance(e, bwl.RemoteError) and rig.url("a.bw") in str(e), repr(e)
    assert _outcome(rig, data) in ("ok", "error")


@pytest.mark.parametrize("arg,total", [(3, -1), (5, 2 ** 64 + 5), (2, 0)])
def test_content_range_total_that_cannot_be_the_size(rig, arg, total):
    """A 206 claiming a total of -1 or 2^64 + 5 used to reach the core as
    the file's size and fail as pybind11's RuntimeError ("Unable to cast
    Python instance of type int"); a total of 0 for bytes 0-4095 (a range
    past the file's end) was taken as an empty file. Now each is a
    Content-Range that is not valid: a RemoteError naming the URL."""
    e = _error(rig, fr.script("file", [("range_total", arg)], readahead=4096))
    assert isinstance(e, bwl.RemoteError) and "valid Content-Range" in str(e) and f"/{total}" in str(e), repr(e)
    assert rig.url("a.bw") in str(e)


def test_content_length_that_is_not_a_number(rig):
    """A 200 whose Content-Length is "²" (latin-1 digits pass str.isdigit,
    not int) used to escape bwl.open as a ValueError without the URL."""
    for arg in (128, 130):  # "\\xb2", "\\xb9\\xb2"
        e = _error(rig, fr.script("file", [("length_garbage", arg)]))
        assert isinstance(e, bwl.RemoteError) and "ignores Range" in str(e) and rig.url("a.bw") in str(e), repr(e)


def test_keepalive_connection_closed_by_the_server(rig):
    """A server closing a kept-alive connection after an answer (as servers
    do when idle or after N requests) made the next request on it fail: a
    retry spent, and with retries=0 the read failed. Now an idle
    connection the server closed is not reused."""
    steps = ["none", ("close_after", 0)] + ["none", ("close_after", 0)] * 4
    for scenario in ("file", "disk", "collection", "fasta"):
        assert _outcome(rig, fr.script(scenario, steps, retries=0, readahead=512)) == "ok", scenario


def test_disk_cache_race_in_one_run(rig):
    """Two fetch threads of one source appending to the disk cache at once
    wrote at the same offset (flock does not exclude threads sharing a
    descriptor): both index lines named one place, and the second run read
    another range's bytes (wrong values, or FormatError "unknown section
    type"), about one disk run in 50 with small requests."""
    data = fr.script("disk", [], readahead=512, max_request=2048, validators="last_modified")
    for _ in range(60):
        assert _outcome(rig, data) == "ok"


def _append_all(src, pieces, data) -> None:
    """Appends pieces to src's disk cache from two threads."""
    def part(ps):
        for a, b in ps:
            src._disk.write(a, data[a:b])

    threads = [threading.Thread(target=part, args=(pieces[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_disk_cache_appends_from_threads_and_forked_processes(tmp_path):
    """The disk-cache race of test_disk_cache_race_in_one_run, also across
    processes: a forked child (a DataLoader worker) shares the parent's open
    file, so flock did not exclude them either. Now threads take a lock and
    a forked child opens the file anew. Every range read back afterwards
    (as a later run would) holds its own bytes."""
    import multiprocessing as mp

    from bwl._remote.disk import DiskCache
    from bwl._remote.source import Source

    size = 1 << 18
    data = random.Random(1).randbytes(size)
    src = Source("memory", bwl.RemoteOptions())  # a source: the at-fork hook reaches its disk cache
    src._disk = DiskCache(str(tmp_path), "key", size)
    pieces = [(a, min(size, a + 61)) for a in range(0, size, 61)]
    random.Random(2).shuffle(pieces)
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_append_all, args=(src, pieces[i::4], data)) for i in range(3)]
    for p in procs:
        p.start()
    _append_all(src, pieces[3::4], data)
    for p in procs:
        p.join(60)  # a hang detector
        assert p.exitcode == 0
    later = DiskCache(str(tmp_path), "key", size)
    assert later.missing(0, size) == []
    bad = [(a, b) for a, b, _ in later.extents if later.read(a, b - a) != data[a:b]]
    assert not bad, f"{len(bad)} of {len(later.extents)} ranges hold other bytes"


def test_failed_read_does_not_keep_the_source_alive(rig, tmp_path):
    """A read that failed in the caller's thread kept the error, with its
    traceback, as the source's recent failure: the traceback's frames hold
    the caller's locals, among them the core object whose reader holds the
    source, a cycle through C++ the garbage collector cannot see. The
    source, its keep-alive connections and the caller's arrays stayed
    alive after close(). (The fuzz loop's leak check found it.)"""
    (tmp_path / "a.bw").write_bytes(rig.files["a.bw"][0])
    opts = bwl.RemoteOptions(retries=0, readahead=512, timeout=2, deadline=2)
    with FaultServer(tmp_path) as srv:
        for op in ("stats", "intervals"):
            with bwl.open(srv.url("a.bw"), remote=opts) as f:
                source = weakref.ref(f._source)
                srv.fail_next = 1000
                with pytest.raises(bwl.RemoteError, match="HTTP 503"):
                    getattr(f, op)("chr1")
                srv.fail_next = 0
            del f
            gc.collect()
            assert source() is None, op


def test_script_server_keeps_fault_server_knobs(tmp_path, rig):
    """Without a script, ScriptServer is a FaultServer (tests use its knobs)."""
    (tmp_path / "a.bw").write_bytes(rig.files["a.bw"][0])
    with fr.ScriptServer(tmp_path) as srv:
        srv.fail_next = 1000
        with pytest.raises(bwl.RemoteError, match="HTTP 503"):
            bwl.open(srv.url("a.bw"), remote=bwl.RemoteOptions(retries=1, backoff=0.01))
        srv.fail_next = 0
        with bwl.open(srv.url("a.bw")) as f, bwl.open(rig.local[("a.bw", 0)]) as loc:
            assert fr.same(f.values("chr1", 0, 30_000), loc.values("chr1", 0, 30_000))


def test_oracle_catches_wrong_values(rig):
    """The harness itself: a value of another version than the server
    served is a finding, unless the server lied (no client could tell)."""
    s = fr.decode(fr.script("file"))
    stage = fr.Stage(s, rig.files, lambda: "")
    stage.served[(0, "a.bw")] = {0}
    op = ("values", "chr1", 0, 30_000)
    wrong = rig.expected[("a.bw", 1)][op]
    with pytest.raises(fr.Finding, match="wrong value"):
        rig._check_values(s, stage, 0, [("a.bw", op, wrong)])
    stage.lied.add((0, "a.bw"))
    rig._check_values(s, stage, 0, [("a.bw", op, wrong)])
