"""What an attacker broke (issue 33), one regression test per finding.

Each test failed on the code before its fix: a crash at exit, hangs (a
thread the OS refuses, a server that trickles or short-changes), credentials
sent across a redirect, stale data served silently (.fai, disk cache), a
path cut at a NUL byte, and unclear errors or silently accepted bad
arguments. Crashes and hangs run in a child process with a time limit, so a
regression fails the test instead of killing pytest.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import bwl

TESTS = os.path.dirname(os.path.abspath(__file__))


def _child(script: str, *args: str, timeout: float = 60, plain_build: bool = False) -> subprocess.CompletedProcess:
    """Runs ``script`` in a fresh Python (tests/ on its path); a hang past
    ``timeout`` fails the test. ``plain_build``: under tests/sanitize.sh,
    the child runs the regular build, without ASan."""
    env = dict(os.environ, PYTHONPATH=TESTS + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if plain_build and "asan" in env.get("LD_PRELOAD", ""):
        env.pop("LD_PRELOAD")
        env["PYTHONPATH"] = os.pathsep.join(p for p in env["PYTHONPATH"].split(os.pathsep) if "asan-py" not in p)
    try:
        return subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"child still running after {timeout} s (a hang):\n{(e.stderr or b'')[-2000:]!r}")


# -- 1. crash: a daemon thread inside Collection.values at exit -----------------

_DAEMON = """
    import sys, threading, time, numpy as np, bwl
    paths = sys.argv[1:]
    if paths[0] == "http":
        from support.http_server import FaultServer
        srv = FaultServer(sys.argv[2]).__enter__()
        paths = [srv.url(os.path.basename(p)) for p in sys.argv[3:]]
    c = bwl.Collection(paths, threads=2)
    size = c.chroms()["chr1"]
    started = threading.Event()
    def loop():
        rng = np.random.default_rng(0)
        while True:
            s = rng.integers(0, size - 1000, 512)
            started.set()
            c.values(["chr1"] * 512, s, s + 1000)
    threading.Thread(target=loop, daemon=True).start()
    started.wait()
    time.sleep(0.05)
    print("exiting", flush=True)
"""


@pytest.mark.parametrize("where", ["local", "http"])
def test_exit_with_a_daemon_thread_inside_values(bw_files, where):
    """Python ends threads that want the GIL after exit began with a forced
    unwind; bwl's GIL guards used to turn it into std::terminate (exit 134,
    "terminate called without an active exception"). Now the thread (and
    a core worker wanting the GIL for a remote read) parks until exit, and
    the process exits 0. Three runs each: the crash came every time.
    Under tests/sanitize.sh the child runs the regular build: GCC 12's
    libasan reports a false stack overflow when Python's forced unwind
    passes (it unpoisons the stack through its own intercepted sigaltstack)."""
    paths = [bw_files["pybw_bedGraph"].path, bw_files["bwl_fixedStep_little_zlib"].path]
    args = paths if where == "local" else ["http", os.path.dirname(paths[0]), *paths]
    script = "import os\n" + textwrap.dedent(_DAEMON)
    for _ in range(3):
        r = _child(script, *args, plain_build=True)
        assert r.returncode == 0 and "exiting" in r.stdout, (r.returncode, r.stderr[-2000:])
        assert "terminate" not in r.stderr


# -- 3. hang: threads the OS refuses, absurd thread counts ----------------------

def test_threads_the_os_refuses(bw_files):
    """With address space for only a few thread stacks, threads=64 used to
    deadlock in the constructor (the queue the started workers wait on was
    destroyed first). Now: an OSError naming the thread count, at once; the
    default count keeps what the OS allows."""
    r = _child("""
        import resource, sys, time, bwl
        vm = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize"))
        resource.setrlimit(resource.RLIMIT_AS, (vm + (120 << 20), resource.RLIM_INFINITY))
        try:
            bwl.Collection([sys.argv[1]], threads=64)
            print("no error")
        except OSError as e:
            print("OSError", e)
        c = bwl.Collection([sys.argv[1]])
        print("default", c._c.threads())
    """, bw_files["pybw_bedGraph"].path, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "could not start thread" in r.stdout and "threads=64" in r.stdout, r.stdout
    assert "default" in r.stdout


def test_absurd_thread_counts(bw_files):
    p = bw_files["pybw_bedGraph"].path
    for bad in (2 ** 40, 10 ** 6):
        with pytest.raises(ValueError, match="threads"):
            bwl.Collection([p], threads=bad)


# -- 7. a NUL byte in a path ----------------------------------------------------

def test_nul_byte_in_paths(bw_files, tmp_path):
    """C strings end at a NUL: "a.bw\\0x" used to open (or overwrite) a.bw.
    Now every entry point refuses the path, naming it, and writes nothing."""
    p = bw_files["pybw_bedGraph"].path
    bad = p + "\0.evil"
    with pytest.raises(ValueError, match="NUL"):
        bwl.open(bad)
    with pytest.raises(ValueError, match="NUL"):
        bwl.Collection([bad])
    victim = tmp_path / "victim.bw"
    victim.write_bytes(b"keep me")
    with pytest.raises(ValueError, match="NUL"):
        bwl.write(str(victim) + "\0.bw", {"chr1": 100}, {"chr1": ([0], [10], [1.0])})
    assert victim.read_bytes() == b"keep me"


# -- 8, 9. unclear errors and silently accepted arguments -----------------------

@pytest.fixture(scope="module")
def coll(bw_files):
    return bwl.Collection([bw_files["pybw_bedGraph"].path, bw_files["pybw_fixedStep"].path], threads=2)


def _values(c, **kw):
    args = dict(chroms=["chr1"], starts=[0], ends=[100])
    args.update(kw)
    return lambda: c.values(args.pop("chroms"), args.pop("starts"), args.pop("ends"), **args)


@pytest.mark.parametrize("call, exc, words", [
    # each used to be a pybind11 signature dump, an OverflowError, or silently truncated
    (lambda c: c.values(["chr1"], [0], [100], tracks=[-1]), ValueError, "tracks: -1 is outside"),
    (lambda c: c.values(["chr1"], [0], [100], tracks=[2]), ValueError, "tracks: 2 is outside"),
    (lambda c: c.values(["chr1"], [0], [100], tracks=[0.7]), TypeError, "tracks must hold integers"),
    (lambda c: c.values(["chr1"], [0.5], [100.5]), TypeError, "starts must hold integers"),
    (lambda c: c.values([0.0], [0], [100]), TypeError, "chroms must hold integers"),
    (lambda c: c.values(["chr1"], [0], [100], window=2.5), TypeError, "window must be an integer"),
    (lambda c: c.values(["chr1"], [0], [100], window=0), ValueError, "window must be >= 1"),
    (lambda c: c.values(["chr1"], [0], [100], default="0"), TypeError, "default must be a number"),
    (lambda c: c.values(["chr1"], [0], [100], layout="TBL"), ValueError, "layout must be one of"),
    (lambda c: c.intervals(merge_distance=-5), ValueError, "merge_distance must be >= 0"),
    (lambda c: c.intervals(threshold="1"), TypeError, "threshold must be a number"),
    (lambda c: c.stats(["chr1"], [0], [100], type="median"), ValueError, "type must be one of"),
    (lambda c: c.stats(["chr1"], [0.5], [100]), TypeError, "starts must hold integers"),
])
def test_collection_arguments(coll, call, exc, words):
    with pytest.raises(exc, match=words):
        call(coll)


@pytest.mark.parametrize("kw, exc, words", [
    (dict(decoded_cache=-1), ValueError, "decoded_cache must be >= 0"),
    (dict(threads=2.0), TypeError, "threads must be an integer"),
    (dict(threads=True), TypeError, "threads must be an integer"),
    (dict(preload="no"), TypeError, "preload must be True or False"),
    (dict(mode="peaks"), ValueError, "mode must be one of"),
    (dict(remote={"timeout": 1}), TypeError, "remote must be a bwl.RemoteOptions"),
])
def test_collection_constructor_arguments(bw_files, kw, exc, words):
    with pytest.raises(exc, match=words):
        bwl.Collection([bw_files["pybw_bedGraph"].path], **kw)


def test_file_arguments(bw_files):
    with bwl.open(bw_files["pybw_bedGraph"].path) as f:
        with pytest.raises(TypeError, match="start must be an integer"):
            f.values("chr1", 0.5, 10)
        with pytest.raises(ValueError, match="start must be >= 0"):
            f.values("chr1", -5, 10)
        with pytest.raises(TypeError, match="nBins must be an integer"):
            f.stats("chr1", 0, 100, nBins=2.5)
        with pytest.raises(ValueError, match="type must be one of"):
            f.stats("chr1", 0, 100, type="median")


@pytest.mark.parametrize("kw", [dict(stride=0), dict(stride=-10), dict(length=0), dict(length=100.0)])
def test_tiles_arguments(kw):
    """Tiles(stride=0) used to mean stride=length."""
    args = dict(regions={"chr1": 10_000}, length=100)
    args.update(kw)
    with pytest.raises((ValueError, TypeError), match=next(iter(kw))):
        bwl.samplers.Tiles(**args)


@pytest.mark.parametrize("kw, exc, words", [
    (dict(window=0), ValueError, "window must be >= 1"),  # was ZeroDivisionError
    (dict(target_crop=-50), ValueError, "target_crop must be >= 0"),  # widened the signal
    (dict(prefetch=-1), ValueError, "prefetch must be >= 0"),
    (dict(batches_per_epoch=-3), ValueError, "batches_per_epoch must be >= 1"),
    (dict(batch_size=8.9), TypeError, "batch_size must be an integer"),  # was truncated to 8
    (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
    (dict(seed=-1), ValueError, "seed must be >= 0"),
    (dict(shard=(2, 2)), ValueError, "shard rank must be <= 1"),
    (dict(reverse_complement="yes"), TypeError, "reverse_complement must be True or False"),
])
def test_loader_arguments(coll, kw, exc, words):
    sampler = bwl.samplers.RandomRegions({"chr1": 50_000}, 1000, coll.chroms())
    args = dict(batch_size=4, batches_per_epoch=2)
    args.update(kw)
    with pytest.raises(exc, match=words):
        bwl.Loader(coll, sampler, **args)


def test_remote_options_arguments():
    for kw, words in [(dict(deadline=0), "deadline must be > 0"), (dict(retries=-1), "retries must be >= 0"),
                      (dict(concurrency=0), "concurrency must be >= 1"), (dict(readahead=1.5), "readahead must be an integer"),
                      (dict(cache_dir="a\0b"), "NUL")]:
        with pytest.raises((ValueError, TypeError), match=words):
            bwl.RemoteOptions(**kw)


# -- remote: 2 (hangs), 4 (credentials), 6 (stale disk cache), 8 (causes), 9 (1 TiB) --

@pytest.fixture(scope="module")
def served(bw_files, tmp_path_factory):
    import shutil

    from support.http_server import FaultServer

    root = tmp_path_factory.mktemp("attack_served")
    for bw in bw_files.values():
        shutil.copy(bw.path, root / os.path.basename(bw.path))
    with FaultServer(root) as a, FaultServer(root) as b:
        yield a, b


@pytest.fixture
def srv(served):
    """A fault server (and, as srv.other, a second one: another origin), reset after each test."""
    a, b = served
    a.other = b
    yield a
    a.reset()
    b.reset()


def _url(srv, bw_files, name="pybw_bedGraph") -> str:
    return srv.url(os.path.basename(bw_files[name].path))


def _in_thread(fn, limit: float = 60):
    """fn() in a thread; its exception or result. A hang detector, not a timing assertion."""
    import threading

    out = {}

    def run():
        try:
            out["result"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(limit)
    assert not t.is_alive(), f"still running after {limit} s"
    return out


@pytest.mark.parametrize("where", ["headers", "body"])
def test_trickling_server_is_held_to_the_deadline(srv, bw_files, where):
    """One byte every 50 ms used to hold bwl.open for minutes with
    deadline=2 (each socket read came in time). Now each request ends at
    its deadline: the open fails after retries + 1 requests."""
    srv.trickle, srv.trickle_body = 0.05, where == "body"
    opts = bwl.RemoteOptions(deadline=1.0, timeout=5.0, retries=1, backoff=0.01)
    url = _url(srv, bw_files)
    out = _in_thread(lambda: bwl.open(url, remote=opts), limit=30)
    e = out.get("error")
    assert isinstance(e, bwl.RemoteError), out
    assert "deadline of 1 s" in str(e) and url in str(e) and "2 attempts" in str(e)


def test_server_answering_a_few_bytes_at_a_time(srv, bw_files):
    """A server that always sends 32 bytes of the range asked used to cost
    2,002 requests (88 s) to open one file. Now such an answer counts as a
    failed attempt."""
    srv.short = 32
    url = _url(srv, bw_files)
    n0 = srv.requests()
    out = _in_thread(lambda: bwl.open(url, remote=bwl.RemoteOptions(retries=3, backoff=0.01)))
    assert isinstance(out.get("error"), bwl.RemoteError) and "fewer bytes than asked (32 of" in str(out["error"])
    assert srv.requests() - n0 == 4


def test_server_capping_answers_still_works(srv, bw_files):
    """Servers that cap an answer at a size still serve: answers of at
    least readahead bytes are progress, not failures."""
    srv.short = 4096
    with bwl.open(_url(srv, bw_files), remote=bwl.RemoteOptions(readahead=4096)) as r, \
            bwl.open(bw_files["pybw_bedGraph"].path) as loc:
        for chrom, size in loc.chroms().items():
            assert (r.values(chrom, 0, size).tobytes() == loc.values(chrom, 0, size).tobytes())


def test_credentials_stay_with_their_origin(srv, bw_files):
    """user:pass@host used to go as Authorization to whatever host a
    redirect named. Now only to the URL's own origin (as curl, requests)."""
    other = srv.other
    srv.redirect_base = other.url("")
    name = os.path.basename(bw_files["pybw_bedGraph"].path)
    host = srv.url("").split("//")[1]
    with bwl.open(f"http://alice:secret@{host}redirect/{name}") as f:
        assert f.chroms()
    assert any("Authorization" in h for h in srv.headers)  # the origin the user named got them
    assert other.headers and not any("Authorization" in h for h in other.headers)


def _same_size_other_values(src: str, dst: str) -> None:
    """dst: src (an uncompressed bedGraph bigWig) with 1 added to every
    value: the same size and header, other data."""
    import struct

    from support import bbi

    data = bytearray(open(src, "rb").read())
    e, h = bbi.header(bytes(data))
    assert h["uncompressBufSize"] == 0
    for blk in bbi.rtree_blocks(bytes(data), h["fullIndexOffset"], e):
        n = struct.unpack_from(e + "H", data, blk.offset + 22)[0]  # the section's itemCount
        for i in range(n):
            at = blk.offset + 24 + 12 * i + 8
            struct.pack_into(e + "f", data, at, struct.unpack_from(e + "f", data, at)[0] + 1)
    open(dst, "wb").write(bytes(data))


def test_disk_cache_needs_a_validator(srv, bw_files, tmp_path):
    """No ETag or Last-Modified: a same-size replacement used to be read as
    the new header and the old data blocks from cache_dir. Now such a file
    is not kept on disk (a warning says why), so a later run reads the
    replacement."""
    import shutil

    import numpy as np

    src = bw_files["bwl_bedGraph_little_raw"].path
    served_copy = os.path.join(srv.root, "replaced.bw")
    shutil.copy(src, served_copy)
    srv.etag = None
    opts = bwl.RemoteOptions(cache_dir=str(tmp_path / "udc"))
    with bwl.open(src) as loc:
        chrom, size = max(loc.chroms().items(), key=lambda kv: kv[1])
        old = loc.values(chrom, 0, size)
    with pytest.warns(RuntimeWarning, match="neither ETag nor Last-Modified"):
        with bwl.open(srv.url("replaced.bw"), remote=opts) as r:
            assert np.array_equal(r.values(chrom, 0, size), old, equal_nan=True)
    _same_size_other_values(src, served_copy)
    assert os.path.getsize(served_copy) == os.path.getsize(src)
    with pytest.warns(RuntimeWarning, match="neither ETag nor Last-Modified"):
        with bwl.open(srv.url("replaced.bw"), remote=opts) as r:
            assert np.array_equal(r.values(chrom, 0, size), old + 1, equal_nan=True)
    assert not any(p.stat().st_size for p in (tmp_path / "udc").glob("*"))


def test_disk_cache_with_last_modified_only(srv, bw_files, tmp_path):
    """Last-Modified alone is a validator: the file is cached on disk, and a
    second run makes only the request that checks it."""
    srv.etag, srv.last_modified = None, "Mon, 07 Dec 2026 10:00:00 GMT"
    opts = bwl.RemoteOptions(cache_dir=str(tmp_path / "udc"))
    url = _url(srv, bw_files, "bwl_bedGraph_little_zlib")
    from bwl._remote.source import CACHE

    old = CACHE.max_bytes
    try:
        bwl.set_remote_cache(0)
        for run in range(2):
            n0 = srv.requests()
            with bwl.open(url, remote=opts) as r:
                r.values("chr1", 0, r.chroms()["chr1"])
            if run == 1:
                assert srv.requests() - n0 == 1
    finally:
        bwl.set_remote_cache(old)


def test_huge_claimed_size_takes_no_disk(srv, bw_files, tmp_path):
    """A server claiming a 1 TiB file used to make a 1 TiB (sparse) file in
    cache_dir. Now the disk holds what was fetched."""
    srv.claim_size = 2 ** 40
    opts = bwl.RemoteOptions(cache_dir=str(tmp_path / "udc"), retries=0)
    with pytest.raises(OSError):  # the blocks are not where the claimed size puts the index
        with bwl.open(_url(srv, bw_files), remote=opts) as r:
            r.values("chr1", 0, 1000)
    sizes = [p.stat().st_size for p in (tmp_path / "udc").iterdir()]
    assert sizes and max(sizes) < 1 << 20


def test_html_page_instead_of_the_file(srv, bw_files):
    """200 with a login page used to say "not a bigWig"; now it names the cause."""
    srv.html = True
    with pytest.raises(bwl.RemoteError, match="web page .*text/html"):
        bwl.open(_url(srv, bw_files))


def test_gzip_encoded_answer(srv, bw_files):
    """A server compressing its answers used to give "truncated body"; now
    the error names Content-Encoding."""
    srv.gzip = True
    with pytest.raises(bwl.RemoteError, match="Content-Encoding: gzip"):
        bwl.open(_url(srv, bw_files))


# -- 5. an out-of-date .fai -----------------------------------------------------

@pytest.fixture
def genome(tmp_path):
    import numpy as np

    from support.fasta import fasta_bytes, random_sequence

    rng = np.random.default_rng(5)
    seqs = {"chr1": random_sequence(rng, 5_000), "chr2": random_sequence(rng, 777), "chr3": random_sequence(rng, 3_001)}
    path = tmp_path / "g.fa"
    path.write_bytes(fasta_bytes(seqs, 60))
    bwl.Fasta(str(path))  # writes g.fa.fai
    assert (tmp_path / "g.fa.fai").exists()
    return path, seqs


def _renamed(path, seqs, rename):
    from support.fasta import fasta_bytes

    new = {rename.get(k, k): v for k, v in seqs.items()}
    path.write_bytes(fasta_bytes(new, 60, descriptions={k: "edited" for k in new}))
    return new


def test_stale_fai_after_renamed_headers_is_rebuilt(genome):
    """Headers renamed after the .fai was made: fetch and onehot used to
    return sequence shifted by the change in header length, no error. Now
    the index is checked against the file and rebuilt (and rewritten)."""
    import numpy as np

    from support.fasta import parse_fai, window_onehot

    path, seqs = genome
    new = _renamed(path, seqs, {"chr1": "chromosome_1", "chr2": "2"})
    fa = bwl.Fasta(str(path))
    assert fa.chroms() == {k: len(v) for k, v in new.items()}
    for name, s in new.items():
        assert fa.fetch(name, 0, len(s)) == s
    oh = fa.onehot(["chr3"], [100], [1100])
    assert np.array_equal(oh[0], window_onehot(new, "chr3", 100, 1100))
    assert [r[0] for r in parse_fai(str(path) + ".fai")] == list(new)  # rewritten for samtools and pyfaidx


@pytest.mark.parametrize("damage", ["empty", "cut", "garbage"])
def test_empty_or_cut_fai_is_rebuilt(genome, damage):
    """An empty or cut .fai used to drop chromosomes silently."""
    path, seqs = genome
    fai = str(path) + ".fai"
    text = open(fai).read()
    open(fai, "w").write({"empty": "", "cut": text.splitlines(True)[0], "garbage": "chr1\tx\n"}[damage])
    fa = bwl.Fasta(str(path))
    assert fa.chroms() == {k: len(v) for k, v in seqs.items()}
    assert fa.fetch("chr3", 0, 3001) == seqs["chr3"]


def test_remote_fasta_with_a_stale_fai_is_an_error(genome):
    """A remote FASTA is not read whole to rebuild its index: the error
    names the .fai and the mismatch."""
    import io

    path, seqs = genome
    fai = open(str(path) + ".fai", "rb").read()
    _renamed(path, seqs, {"chr1": "chromosome_1"})
    with pytest.raises(bwl.FormatError, match=r"\.fai: does not match the FASTA .*chr1"):
        bwl.Fasta(io.BytesIO(path.read_bytes()), fai=fai)


# -- 8. Collection.intervals() with a bigBed track --------------------------------

@pytest.mark.parametrize("mode", ["coverage", "mask"])
def test_intervals_over_a_bigbed_track(tmp_path, mode):
    """It used to fail telling the user to use a Collection (they had).
    Now a bigBed track's signal is what values() gives for it, so the
    intervals are where its records cover (depth >= threshold)."""
    import numpy as np
    import pybigtools

    chroms = {"chrA": 20_000}
    recs = [("chrA", 100, 400, "a"), ("chrA", 300, 900, "b"), ("chrA", 5_000, 5_050, "c")]
    p = str(tmp_path / "peaks.bb")
    pybigtools.open(p, "w").write(chroms, iter(recs))
    c = bwl.Collection([p], mode=mode)
    dense = c.values(["chrA"], [0], [20_000], default=0.0)[0, 0]
    for threshold in (1, 2):
        got = c.intervals(threshold=threshold)
        want = dense >= threshold
        mask = np.zeros(20_000, bool)
        for s, e in zip(got[1], got[2]):
            mask[s:e] = True
        assert np.array_equal(mask, want), (threshold, got)
    assert list(c.intervals(threshold=1)[1]) == [100, 5_000]


def test_scale_arguments(bw_files):
    """A NaN or infinite scale used to turn a track's every value into NaN
    or inf silently; strings gave numpy's own message."""
    p = bw_files["pybw_bedGraph"].path
    for scale, exc, words in [([float("nan")], ValueError, "scale must be finite"), ({"pybw_bedGraph": float("inf")},
                              ValueError, "must be finite"), (["x"], TypeError, "scale must hold numbers")]:
        with pytest.raises(exc, match=words):
            bwl.Collection([p], scale=scale)
