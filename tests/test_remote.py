"""Remote and file-like tracks (issue 15): http(s) from a loopback server
with faults on demand (tests/support/http_server.py), fsspec's memory
filesystem, and Python file objects; every result compared element by
element with the same file read locally."""
from __future__ import annotations

import errno
import io
import os
import shutil
import threading

import fsspec
import numpy as np
import pytest

import bwl
from bwl._remote.source import CACHE
from support.http_server import FaultServer
from support.oracles import regions
from support.tracks import ALL_FILES

FAST = bwl.RemoteOptions(timeout=2.0, deadline=5.0, retries=2, backoff=0.01)


@pytest.fixture(scope="module")
def served(bw_files, tmp_path_factory):
    """A server over a copy of every test file (tests may change its settings)."""
    root = tmp_path_factory.mktemp("served")
    for bw in bw_files.values():
        shutil.copy(bw.path, root / os.path.basename(bw.path))
    with FaultServer(root) as srv:
        yield srv


@pytest.fixture
def srv(served):
    """The server with its faults reset after each test."""
    yield served
    served.reset()


def url(srv, bw) -> str:
    return srv.url(os.path.basename(bw.path))


def same(a, b) -> bool:
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


def check_file_equal(remote: bwl.BigWigFile, local: bwl.BigWigFile, seed: int = 0) -> None:
    assert remote.chroms() == local.chroms()
    assert {k: v for k, v in remote.header().items() if k != "fileSize"} == \
        {k: v for k, v in local.header().items() if k != "fileSize"}
    for chrom, size in local.chroms().items():
        for s, e in regions({}, chrom, size, seed, n_random=4):
            assert same(remote.values(chrom, s, e), local.values(chrom, s, e)), (chrom, s, e)
            for a, b in zip(remote.intervals(chrom, s, e), local.intervals(chrom, s, e)):
                assert same(a, b)
        for exact in (False, True):
            for stat in ("mean", "max", "cov"):
                assert same(remote.stats(chrom, type=stat, nBins=7, exact=exact),
                            local.stats(chrom, type=stat, nBins=7, exact=exact))


# ------------------------------------------------------------------ equality


@pytest.mark.parametrize("name", ALL_FILES)
def test_http_file_equals_local(srv, bw_files, name):
    bw = bw_files[name]
    with bwl.open(url(srv, bw)) as r, bwl.open(bw.path) as loc:
        check_file_equal(r, loc)
        assert r.path == url(srv, bw)


def test_redirect_and_query_string_kept_out_of_messages(srv, bw_files):
    bw = bw_files["pybw_bedGraph"]
    u = srv.url("redirect/" + os.path.basename(bw.path)) + "?token=secret"
    with bwl.open(u) as r, bwl.open(bw.path) as loc:
        check_file_equal(r, loc)
        assert "secret" not in r.path and "secret" not in repr(r)


def _windows(c: bwl.Collection, rng, B: int, L: int):
    names = [n for n, size in c.chroms().items() if size > L]
    chroms = [names[i] for i in rng.integers(0, len(names), B)]
    starts = np.array([rng.integers(0, c.chroms()[ch] - L + 1) for ch in chroms])
    return chroms, starts, starts + L


@pytest.mark.filterwarnings("ignore:chromosomes not in all")
def test_collection_over_http_equals_local(srv, bw_files):
    names = ["pybw_bedGraph", "bwl_bedGraph_big_zlib", "bwl_variableStep_little_raw", "pbt_bedGraph"]
    paths = [bw_files[n].path for n in names]
    loc = bwl.Collection(paths, threads=2)
    rem = bwl.Collection([url(srv, bw_files[n]) for n in names], threads=2)
    srv.delay = 0.002  # answers arrive out of order
    assert rem.chroms() == loc.chroms()
    rng = np.random.default_rng(7)
    for B, L, window in ((64, 1000, 1), (16, 5000, 50), (1, 1, 1)):
        chroms, starts, ends = _windows(loc, rng, B, L)
        assert same(rem.values(chroms, starts, ends, window=window), loc.values(chroms, starts, ends, window=window))


def test_batch_requests_are_coalesced_and_cached(srv, bw_files):
    bw = bw_files["bwl_bedGraph_little_zlib"]  # many small blocks
    loc = bwl.Collection([bw.path])
    # a small readahead: only the batch's prefetch can make the requests few
    rem = bwl.Collection([url(srv, bw)], remote=bwl.RemoteOptions(readahead=1024))
    chrom = max(loc.chroms(), key=loc.chroms().get)
    starts = np.arange(0, 40_000, 500)
    ends = starts + 500
    chroms = [chrom] * len(starts)
    blocks = bwl.open(bw.path).header()["blockCount"]
    n0 = srv.requests()
    out = rem.values(chroms, starts, ends)
    first = srv.requests() - n0
    assert same(out, loc.values(chroms, starts, ends))
    # 80 adjacent windows over many blocks: a few coalesced requests, not one per block
    assert blocks > 20 and first <= 3, (blocks, first)
    n1 = srv.requests()
    assert same(rem.values(chroms, starts, ends), out)
    assert srv.requests() == n1  # served from the cache of fetched ranges


def test_open_reads_the_index_by_levels(srv, bw_files):
    """A multi-level R-tree (404 blocks, 4 per node: 5 levels, 137 nodes) is
    fetched a level per request, not a node per request."""
    bw = bw_files["bwl_bedGraph_little_zlib"]
    n0 = srv.requests()
    with bwl.open(url(srv, bw), remote=bwl.RemoteOptions(readahead=512)) as r:
        assert r.header()["blockCount"] > 300
        assert srv.requests() - n0 <= 10


def test_host_cache_fetches_once(srv, bw_files):
    bw = bw_files["pybw_bedGraph"]
    rem = bwl.Collection([url(srv, bw)], cache="host")
    loc = bwl.Collection([bw.path])
    n0 = srv.requests()
    rng = np.random.default_rng(3)
    for _ in range(3):
        chroms, starts, ends = _windows(loc, rng, 32, 300)
        assert same(rem.values(chroms, starts, ends), loc.values(chroms, starts, ends))
    assert srv.requests() == n0


def test_preloaded_remote_track_fetches_nothing_more(srv, bw_files):
    """preload=True reads every block once at open; with no shared cache of
    fetched ranges to fall back on, later batches make no request at all."""
    bw = bw_files["bwl_bedGraph_little_zlib"]
    old = CACHE.max_bytes
    try:
        bwl.set_remote_cache(0)
        rem = bwl.Collection([url(srv, bw)], decoded_cache=1 << 26, preload=True)
        loc = bwl.Collection([bw.path])
        n0 = srv.quiet()
        rng = np.random.default_rng(11)
        for _ in range(3):
            chroms, starts, ends = _windows(loc, rng, 32, 700)
            assert same(rem.values(chroms, starts, ends), loc.values(chroms, starts, ends))
        assert srv.requests() == n0
    finally:
        bwl.set_remote_cache(old)


def test_threads_reading_one_remote_file(srv, bw_files):
    bw = bw_files["bwl_fixedStep_little_zlib"]
    r, loc = bwl.open(url(srv, bw)), bwl.open(bw.path)
    chrom = max(loc.chroms(), key=loc.chroms().get)
    size = loc.chroms()[chrom]
    errors = []

    def work(seed):
        rng = np.random.default_rng(seed)
        try:
            for _ in range(20):
                s = int(rng.integers(0, size - 1))
                e = int(min(size, s + rng.integers(1, 5000)))
                assert same(r.values(chrom, s, e), loc.values(chrom, s, e))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_small_cache_still_correct(srv, bw_files):
    bw = bw_files["bwl_bedGraph_little_zlib"]
    old = CACHE.max_bytes
    try:
        for limit in (0, 5000):
            bwl.set_remote_cache(limit)
            with bwl.open(url(srv, bw)) as r, bwl.open(bw.path) as loc:
                for chrom, size in loc.chroms().items():
                    assert same(r.values(chrom, 0, size), loc.values(chrom, 0, size))
                assert bwl.remote_cache_bytes() <= limit
    finally:
        bwl.set_remote_cache(old)


def test_disk_cache_between_runs(srv, bw_files, tmp_path):
    """cache_dir keeps fetched ranges: a second 'run' (new source, empty
    memory cache) reads everything from disk but the request that checks
    the file; a changed file is fetched anew; a damaged log costs refetches only."""
    bw = bw_files["bwl_bedGraph_little_zlib"]
    opts = bwl.RemoteOptions(cache_dir=str(tmp_path / "udc"), readahead=4096)
    loc = bwl.open(bw.path)
    old = CACHE.max_bytes

    def read_all():
        with bwl.open(url(srv, bw), remote=opts) as r:
            for chrom, size in loc.chroms().items():
                assert same(r.values(chrom, 0, size), loc.values(chrom, 0, size))
                assert same(r.stats(chrom, nBins=5), loc.stats(chrom, nBins=5))

    try:
        bwl.set_remote_cache(0)
        n0 = srv.requests()
        read_all()
        first = srv.requests() - n0
        n0 = srv.requests()
        read_all()
        # the first range (it checks size and ETag), and rarely a range cut
        # differently by the timing of requests in flight
        assert srv.requests() - n0 <= 3 < first, (first, srv.requests() - n0)
        srv.etag = "v2"
        n0 = srv.requests()
        read_all()
        assert srv.requests() - n0 > 1  # not this file's copy any more
        for log in (tmp_path / "udc").glob("*.index"):
            log.write_text("garbage\n5 3\n" + log.read_text()[: 20])
        read_all()
    finally:
        bwl.set_remote_cache(old)


def test_close_drops_cached_ranges(srv, bw_files):
    before = bwl.remote_cache_bytes()
    r = bwl.open(url(srv, bw_files["pybw_fixedStep"]))
    assert bwl.remote_cache_bytes() > before
    r.close()
    assert bwl.remote_cache_bytes() == before


# ------------------------------------------------------------------ faults


def test_retries_5xx_resets_and_truncated_bodies(srv, bw_files):
    bw = bw_files["pybw_variableStep"]
    with bwl.open(bw.path) as loc:
        for fault in ("fail_next", "reset_next", "truncate_next"):
            bwl.set_remote_cache(0)  # every read goes to the server
            try:
                r = bwl.open(url(srv, bw), remote=FAST)
                setattr(srv, fault, 2)
                check_file_equal(r, loc)
                assert getattr(srv, fault) == 0, fault  # the faults happened, and were retried
            finally:
                bwl.set_remote_cache(1 << 30)


@pytest.mark.parametrize("fault,words", [("fail_next", "HTTP 503"), ("truncate_next", "truncated"),
                                         ("reset_next", "failed after 3 attempts")])
def test_persistent_faults_raise_naming_the_url(srv, bw_files, fault, words):
    bw = bw_files["pybw_bedGraph"]
    setattr(srv, fault, 1000)
    with pytest.raises(OSError) as ei:
        bwl.open(url(srv, bw), remote=FAST)
    assert url(srv, bw) in str(ei.value) and words in str(ei.value)


def test_hanging_server_times_out(srv, bw_files):
    bw = bw_files["pybw_bedGraph"]
    srv.hang_next = 1000
    result = {}

    def attempt():
        try:
            bwl.open(url(srv, bw), remote=bwl.RemoteOptions(timeout=0.3, retries=1, backoff=0.01))
        except OSError as e:
            result["error"] = e

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(60)  # a hang detector, not a timing assertion
    assert not t.is_alive(), "a read from a server that never answers did not return"
    assert "timed out" in str(result["error"]) and url(srv, bw) in str(result["error"])


def test_server_ignoring_range(srv, bw_files):
    bw = bw_files["bwl_bedGraph_little_zlib"]
    srv.ranges = False
    n0 = srv.requests()
    with bwl.open(url(srv, bw)) as r, bwl.open(bw.path) as loc:
        check_file_equal(r, loc)
    assert srv.requests() - n0 == 1  # the whole file, once
    with pytest.raises(bwl.RemoteError, match="ignores Range"):
        bwl.open(url(srv, bw), remote=bwl.RemoteOptions(whole_file_limit=1000))


def test_wrong_content_range_is_an_error(srv, bw_files):
    bw = bw_files["pybw_bedGraph"]
    srv.wrong_range_next = 1
    with pytest.raises(bwl.RemoteError, match="the server sent"):
        bwl.open(url(srv, bw), remote=FAST)


def test_file_changed_on_the_server(srv, bw_files, tmp_path):
    bw = bw_files["bwl_bedGraph_little_zlib"]
    bwl.set_remote_cache(0)
    try:
        r = bwl.open(url(srv, bw), remote=FAST)
        srv.etag = "v2"
        chrom, size = max(r.chroms().items(), key=lambda kv: kv[1])
        with pytest.raises(bwl.RemoteError) as ei:
            r.values(chrom, 0, size)
        assert ei.value.errno == errno.ESTALE and "changed on the server" in str(ei.value)
    finally:
        bwl.set_remote_cache(1 << 30)


def test_file_changed_size(srv, bw_files):
    bw = bw_files["pybw_fixedStep"]
    served_copy = os.path.join(srv.root, "changing.bw")
    shutil.copy(bw.path, served_copy)
    bwl.set_remote_cache(0)
    try:
        r = bwl.open(srv.url("changing.bw"), remote=FAST)
        with open(served_copy, "ab") as fh:
            fh.write(b"\0" * 100)
        chrom, size = max(r.chroms().items(), key=lambda kv: kv[1])
        with pytest.raises(bwl.RemoteError, match="changed on the server"):
            r.values(chrom, 0, size)
    finally:
        bwl.set_remote_cache(1 << 30)


def test_not_found_and_refused(srv, tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.bw"):
        bwl.open(srv.url("nothing.bw"))
    with FaultServer(tmp_path) as gone:
        u = gone.url("x.bw")
    with pytest.raises(OSError, match="x.bw"):
        bwl.open(u, remote=FAST)


def test_truncated_remote_file_is_a_format_error(srv, bw_files):
    bw = bw_files["pybw_bedGraph"]
    data = open(bw.path, "rb").read()
    with open(os.path.join(srv.root, "cut.bw"), "wb") as fh:
        fh.write(data[: len(data) // 2])
    with pytest.raises(bwl.FormatError, match="cut.bw"):
        r = bwl.open(srv.url("cut.bw"))
        for chrom, size in r.chroms().items():
            r.values(chrom, 0, size)


def test_loader_surfaces_remote_errors(srv, bw_files):
    from bwl.samplers import RandomRegions

    bw = bw_files["bwl_bedGraph_little_zlib"]
    bwl.set_remote_cache(0)
    try:
        c = bwl.Collection([url(srv, bw)], remote=FAST)
        ld = bwl.Loader(c, RandomRegions(c.chroms(), 100, c.chroms(), seed=1), 8, batches_per_epoch=50)
        it = iter(ld)
        next(it)
        srv.fail_next = 10_000
        with pytest.raises(OSError, match="HTTP 503"):
            for _ in it:
                pass
    finally:
        bwl.set_remote_cache(1 << 30)
        srv.fail_next = 0


def _child_batch(c, chroms, starts, ends, q) -> None:
    q.put(c.values(chroms, starts, ends))


def test_forked_child_reads_remote_tracks(srv, bw_files):
    """A collection used in the parent (fetch threads started, connections
    open) still reads in a forked child, as in DataLoader workers."""
    import multiprocessing as mp

    names = ["pybw_bedGraph", "bwl_fixedStep_little_zlib"]
    c = bwl.Collection([url(srv, bw_files[n]) for n in names])
    loc = bwl.Collection([bw_files[n].path for n in names])
    rng = np.random.default_rng(9)
    c.values(*_windows(loc, rng, 16, 500))  # the parent's pool and connections exist now
    chroms, starts, ends = _windows(loc, rng, 16, 500)
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    bwl.set_remote_cache(0)  # the child must fetch
    try:
        p = ctx.Process(target=_child_batch, args=(c, chroms, starts, ends, q))
        p.start()
        p.join(60)  # a hang detector
    finally:
        bwl.set_remote_cache(1 << 30)
    if p.is_alive():
        p.kill()
    assert p.exitcode == 0, "the forked child did not finish its batch"
    assert same(q.get(timeout=5), loc.values(chroms, starts, ends))


# ------------------------------------------------------------ fsspec, file objects


def test_fsspec_memory_filesystem(bw_files):
    fs = fsspec.filesystem("memory")
    names = ["pybw_bedGraph", "bwl_variableStep_big_raw"]
    for n in names:
        fs.pipe(f"/bwl_test/{n}.bw", open(bw_files[n].path, "rb").read())
    for n in names:
        with bwl.open(f"memory://bwl_test/{n}.bw") as r, bwl.open(bw_files[n].path) as loc:
            check_file_equal(r, loc)
    c = bwl.Collection([f"memory://bwl_test/{n}.bw" for n in names])
    loc = bwl.Collection([bw_files[n].path for n in names])
    chroms, starts, ends = _windows(loc, np.random.default_rng(1), 32, 700)
    assert same(c.values(chroms, starts, ends), loc.values(chroms, starts, ends))
    with pytest.raises(FileNotFoundError, match="missing.bw"):
        bwl.open("memory://bwl_test/missing.bw")


def test_file_url_is_local(bw_files, fasta_served):
    bw = bw_files["pybw_bedGraph"]
    with bwl.open("file://" + bw.path) as r:
        assert r.path == bw.path
    _, root, seqs = fasta_served
    fa = bwl.Fasta("file://" + str(root / "g.fa"))
    assert fa.path == str(root / "g.fa") and fa.fetch("chrB", 0, 77) == seqs["chrB"]


class ReadAt:
    """An object with only read_at and a size, as some storage clients offer."""

    def __init__(self, data: bytes) -> None:
        self.data, self.name = data, "read_at-object"

    def read_at(self, off: int, n: int) -> bytes:
        return self.data[off: off + n]

    def seek(self, off: int, whence: int = 0) -> int:
        return len(self.data) if whence == 2 else off

    def tell(self) -> int:
        return 0


def test_file_objects(bw_files):
    bw = bw_files["bwl_bedGraph_big_zlib"]
    data = open(bw.path, "rb").read()
    with bwl.open(bw.path) as loc:
        with open(bw.path, "rb") as fh, bwl.open(fh) as r:
            check_file_equal(r, loc)
            assert r.path == bw.path  # a real file's name
        with bwl.open(io.BytesIO(data)) as r:
            check_file_equal(r, loc)
        with bwl.open(ReadAt(data)) as r:
            check_file_equal(r, loc)
    c = bwl.Collection([io.BytesIO(data), bw.path])
    chroms, starts, ends = _windows(c, np.random.default_rng(2), 16, 400)
    out = c.values(chroms, starts, ends)
    assert same(out[:, 0], out[:, 1])


def test_bad_sources():
    with open(__file__) as text:
        with pytest.raises(OSError, match="text mode"):
            bwl.open(text)
    with pytest.raises(TypeError, match="path, a URL or a binary file object"):
        bwl.open(12)


# ------------------------------------------------------------------ FASTA


@pytest.fixture(scope="module")
def fasta_served(tmp_path_factory):
    from support.fasta import fasta_bytes, random_sequence, write_bgzf

    rng = np.random.default_rng(11)
    seqs = {"chrA": random_sequence(rng, 150_000), "chrB": random_sequence(rng, 77), "chrC": random_sequence(rng, 9_000)}
    data = fasta_bytes(seqs, 60, False, None)
    root = tmp_path_factory.mktemp("fa")
    open(root / "g.fa", "wb").write(data)
    write_bgzf(str(root / "g.fa.gz"), data, rng, max_member=65536, min_member=1000)
    for p in ("g.fa", "g.fa.gz"):
        bwl.Fasta(str(root / p))  # writes .fai (and .gzi) next to them
    with FaultServer(root) as srv:
        yield srv, root, seqs


@pytest.mark.parametrize("name", ["g.fa", "g.fa.gz"])
def test_fasta_over_http(fasta_served, name):
    srv, root, seqs = fasta_served
    r, loc = bwl.Fasta(srv.url(name)), bwl.Fasta(str(root / name))
    assert r.chroms() == loc.chroms()
    for chrom, seq in seqs.items():
        assert r.fetch(chrom, 0, len(seq)) == seq
    rng = np.random.default_rng(5)
    chroms = [list(seqs)[i] for i in rng.integers(0, 3, 64)]
    starts = np.array([rng.integers(-50, len(seqs[c])) for c in chroms])
    assert same(r.onehot(chroms, starts, starts + 200), loc.onehot(chroms, starts, starts + 200))


def test_fasta_remote_needs_fai_but_not_gzi(fasta_served, tmp_path):
    srv, root, seqs = fasta_served
    shutil.copy(root / "g.fa.gz", root / "nogzi.fa.gz")
    shutil.copy(root / "g.fa.gz.fai", root / "nogzi.fa.gz.fai")
    r = bwl.Fasta(srv.url("nogzi.fa.gz"))
    assert r.fetch("chrA", 100_000, 100_500) == seqs["chrA"][100_000:100_500]
    shutil.copy(root / "g.fa", root / "nofai.fa")
    with pytest.raises(bwl.RemoteError, match=r"nofai.fa.fai: not found"):
        bwl.Fasta(srv.url("nofai.fa"))


def test_fasta_file_object(fasta_served):
    srv, root, seqs = fasta_served
    data = open(root / "g.fa.gz", "rb").read()
    fa = bwl.Fasta(io.BytesIO(data))  # index built in memory
    assert fa.fetch("chrC", 10, 5000) == seqs["chrC"][10:5000]
    fa = bwl.Fasta(io.BytesIO(open(root / "g.fa", "rb").read()), fai=str(root / "g.fa.fai"))
    assert fa.fetch("chrA", 149_000, 150_000) == seqs["chrA"][149_000:]
