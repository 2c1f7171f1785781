"""Stores (Collection(store=DIR), bwl/store.py, core/store_file.*): values
equal pyBigWig's through the store; a track rewritten in place is rebuilt;
several processes build one store once; truncated, corrupted and deleted
store files; an unwritable DIR; a full disk; forked and spawned readers."""
from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing as mp
import os
import resource
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import bwl
from bwl import _core
from support.oracles import pybw_values
from support.tracks import make_genome, write_pybigwig_track

L = 1000


@pytest.fixture(scope="module")
def _genome(tmp_path_factory):
    return make_genome(str(tmp_path_factory.mktemp("genome")))


@pytest.fixture
def genome(_genome, tmp_path):
    """The module's genome, copied: tests rewrite its tracks."""
    d = tmp_path / "g"
    shutil.copytree(_genome.dir, d)
    return dataclasses.replace(_genome, dir=str(d), fasta=str(d / "genome.fa"),
                               bigwigs=[str(d / os.path.basename(p)) for p in _genome.bigwigs])


def _windows(g, n=24, seed=0):
    rng = np.random.default_rng(seed)
    chroms = sorted(g.chroms)
    ch = [chroms[i % len(chroms)] for i in range(n)]
    starts = np.array([rng.integers(0, g.chroms[c] - L) for c in ch], np.int64)
    return ch, starts, starts + L


def _built(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bwl.store" and r.getMessage().startswith("building")]


def _files(d, suffix=".bwls"):
    return sorted(f for f in os.listdir(d) if f.endswith(suffix))


def test_values_through_the_store_equal_pybigwig(genome, tmp_path, caplog):
    caplog.set_level(logging.INFO, "bwl.store")
    d = tmp_path / "store"
    ch, s, e = _windows(genome)
    c = bwl.Collection(genome.bigwigs, store=d)
    assert len(_built(caplog)) == 3 and len(_files(d)) == 3
    got = c.values(ch, s, e)
    np.testing.assert_array_equal(got, pybw_values(genome.bigwigs, ch, s, e))
    np.testing.assert_array_equal(got, bwl.Collection(genome.bigwigs).values(ch, s, e))
    # Binned and bf16 batches go through the same blocks.
    np.testing.assert_array_equal(c.values(ch, s, e, window=10, summary="max"),
                                  bwl.Collection(genome.bigwigs).values(ch, s, e, window=10, summary="max"))
    # A second collection maps what the first built.
    caplog.clear()
    c2 = bwl.Collection(genome.bigwigs, store=bwl.Store(d))
    assert _built(caplog) == []
    np.testing.assert_array_equal(c2.values(ch, s, e), got)
    assert [x.status for x in c2.store.entries(verify=True)] == ["fresh"] * 3


def test_batches_come_from_the_store(genome, tmp_path):
    """The data blocks of a source overwritten in place, its size and time
    kept (what the identity cannot see): a stored collection still gives
    the values the store was built from, so they come from the store."""
    d = tmp_path / "store"
    ch, s, e = _windows(genome)
    want = bwl.Collection(genome.bigwigs, store=d).values(ch, s, e)
    p = genome.bigwigs[0]
    st = os.stat(p)
    lo, hi = _core.BbiFile(p).header()["fullDataOffset"], _core.BbiFile(p).header()["fullIndexOffset"]
    with open(p, "r+b") as fh:
        fh.seek(lo + 8)
        fh.write(b"\0" * (hi - lo - 8))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    np.testing.assert_array_equal(bwl.Collection(genome.bigwigs, store=d).values(ch, s, e), want)
    with pytest.raises(bwl.FormatError):
        bwl.Collection(genome.bigwigs).values(ch, s, e)


def test_a_track_rewritten_in_place_is_rebuilt(genome, tmp_path, caplog):
    caplog.set_level(logging.INFO, "bwl.store")
    d = tmp_path / "store"
    ch, s, e = _windows(genome)
    bwl.Collection(genome.bigwigs, store=d)
    inodes = {f: os.stat(d / f).st_ino for f in _files(d)}
    write_pybigwig_track(genome.bigwigs[1], genome.chroms, np.random.default_rng(99))
    caplog.clear()
    c = bwl.Collection(genome.bigwigs, store=d)
    assert len(_built(caplog)) == 1 and "another version" in _built(caplog)[0]
    np.testing.assert_array_equal(c.values(ch, s, e), pybw_values(genome.bigwigs, ch, s, e))
    changed = [f for f in _files(d) if os.stat(d / f).st_ino != inodes[f]]
    assert changed == [os.path.basename(c.store.file_for(os.path.realpath(genome.bigwigs[1])))]
    assert [x.status for x in c.store.entries()] == ["fresh"] * 3


def _open_store(paths, d, q):
    """A child process: opens a stored collection, reports its builds and a batch."""
    builds = []

    class H(logging.Handler):
        def emit(self, r):
            if r.getMessage().startswith("building"):
                builds.append(r.getMessage())

    logging.getLogger("bwl.store").addHandler(H())
    logging.getLogger("bwl.store").setLevel(logging.INFO)
    c = bwl.Collection(paths, store=d)
    q.put((len(builds), c.values(["chr1"] * 4, np.arange(4) * 5000, np.arange(4) * 5000 + L)))


@pytest.mark.parametrize("n", [2, 4])
def test_processes_building_one_store_at_once_build_each_track_once(genome, tmp_path, n):
    d = str(tmp_path / "store")
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    ps = [ctx.Process(target=_open_store, args=(genome.bigwigs, d, q)) for _ in range(n)]
    for p in ps:
        p.start()
    got = [q.get(timeout=120) for _ in ps]
    for p in ps:
        p.join(60)
        assert p.exitcode == 0
    assert sum(b for b, _ in got) == 3  # each track built by one process
    want = bwl.Collection(genome.bigwigs).values(["chr1"] * 4, np.arange(4) * 5000, np.arange(4) * 5000 + L)
    for _, v in got:
        np.testing.assert_array_equal(v, want)
    assert len(_files(d)) == 3 and not [f for f in os.listdir(d) if ".tmp-" in f]


def test_truncated_and_corrupted_store_files_are_rebuilt(genome, tmp_path, caplog):
    caplog.set_level(logging.INFO, "bwl.store")
    d = tmp_path / "store"
    ch, s, e = _windows(genome)
    c = bwl.Collection(genome.bigwigs, store=d)
    want = c.values(ch, s, e)
    f0, f1, f2 = (c.store.file_for(os.path.realpath(p)) for p in genome.bigwigs)
    os.truncate(f0, os.path.getsize(f0) - 100)
    with open(f1, "r+b") as fh:  # a byte of the index
        fh.seek(200)
        b = fh.read(1)
        fh.seek(200)
        fh.write(bytes([b[0] ^ 0xFF]))
    with open(f2, "r+b") as fh:  # a byte of the decoded data: found by verify
        fh.seek(-5000, 2)
        b = fh.read(1)
        fh.seek(-5000, 2)
        fh.write(bytes([b[0] ^ 0x55]))
    del c
    st = {x.path: x.status for x in bwl.Store(d).entries(verify=True)}
    assert "truncated" in st[f0] and "fails its CRC" in st[f1] and st[f2].startswith("damaged: 1 of")
    caplog.clear()
    c = bwl.Collection(genome.bigwigs, store=d)
    why = _built(caplog)
    assert len(why) == 2 and "truncated" in why[0] and "CRC" in why[1]
    np.testing.assert_array_equal(c.values(ch, s, e)[:, :2], want[:, :2])
    assert bwl.Store(d).prune() == []  # without verify: the data is not read
    gone = bwl.Store(d).prune(verify=True)  # the data CRC failure: removed, rebuilt next time
    assert [x.path for x in gone] == [f2]
    caplog.clear()
    np.testing.assert_array_equal(bwl.Collection(genome.bigwigs, store=d).values(ch, s, e), want)
    assert len(_built(caplog)) == 1


def test_a_store_file_deleted_or_replaced_while_mapped_keeps_serving(genome, tmp_path):
    d = tmp_path / "store"
    ch, s, e = _windows(genome)
    c = bwl.Collection(genome.bigwigs, store=d)
    want = c.values(ch, s, e)
    shutil.rmtree(d)
    np.testing.assert_array_equal(c.values(ch, s, e), want)
    # Rebuilt by another collection (a new file renamed into place): the first keeps its mapping.
    c2 = bwl.Collection(genome.bigwigs, store=d)
    np.testing.assert_array_equal(c.values(ch, s, e), want)
    np.testing.assert_array_equal(c2.values(ch, s, e), want)


def test_an_unusable_directory_is_named(genome, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError, match=f"store {blocker}/s: cannot create the directory"):
        bwl.Collection(genome.bigwigs, store=blocker / "s")


def _run_with_read_only(d, code: str) -> subprocess.CompletedProcess:
    """Runs ``python -c code`` where ``d`` cannot be written: made read-only
    by its mode for a user, or (root ignores modes) bind-mounted read-only
    in a private user and mount namespace."""
    cmd = [sys.executable, "-c", code]
    if os.geteuid() != 0:
        os.chmod(d, 0o555)
        try:
            return subprocess.run(cmd, capture_output=True, text=True)
        finally:
            os.chmod(d, 0o755)
    if not shutil.which("unshare"):
        pytest.fail("running as root without unshare(1): cannot make a read-only directory")
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return subprocess.run(["unshare", "-rm", "sh", "-c", script, str(d), *cmd], capture_output=True, text=True)


def test_a_read_only_directory_with_a_missing_track_is_refused(genome, tmp_path):
    d = tmp_path / "store"
    bwl.Collection(genome.bigwigs[:2], store=d)  # builds two of the three
    code = textwrap.dedent(f"""
        import bwl, numpy as np
        c = bwl.Collection({genome.bigwigs[:2]!r}, store={str(d)!r})  # all there: maps them
        assert c.values(["chr1"], np.array([0]), np.array([100])).shape == (1, 2, 100)
        try:
            bwl.Collection({genome.bigwigs!r}, store={str(d)!r})
        except PermissionError as e:
            print("refused:", e)
    """)
    r = _run_with_read_only(d, code)
    assert r.returncode == 0, r.stderr
    assert f"refused: [Errno 13] store {d}: the directory is not writable" in r.stdout, r.stdout


def test_a_full_disk_leaves_nothing_half_built(genome, tmp_path):
    d = tmp_path / "store"
    code = textwrap.dedent(f"""
        import resource, bwl
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, {resource.RLIM_INFINITY}))
        try:
            bwl.Collection({genome.bigwigs!r}, store={str(d)!r})
        except OSError as e:
            print("refused:", e)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f"refused: [Errno 27] store {d}: building the store file of" in r.stdout and "File too large" in r.stdout
    assert _files(d) == [] and not [f for f in os.listdir(d) if ".tmp-" in f]


def _read_in_child(c, ch, s, e, q):
    q.put(c.values(ch, s, e))


def _open_in_child(paths, d, ch, s, e, q):
    q.put(bwl.Collection(paths, store=d).values(ch, s, e))


def test_forked_and_spawned_readers(genome, tmp_path):
    d = str(tmp_path / "store")
    ch, s, e = _windows(genome)
    c = bwl.Collection(genome.bigwigs, store=d)
    want = c.values(ch, s, e)
    fork, spawn = mp.get_context("fork"), mp.get_context("spawn")
    for ctx, target, args in [(fork, _read_in_child, (c,)), (spawn, _open_in_child, (genome.bigwigs, d))]:
        q = ctx.Queue()
        p = ctx.Process(target=target, args=(*args, ch, s, e, q))
        p.start()
        np.testing.assert_array_equal(q.get(timeout=120), want)
        p.join(60)
        assert p.exitcode == 0


def test_store_file_checks(tmp_path, genome):
    """The format's own checks: magic, version, sections."""
    d = tmp_path / "store"
    c = bwl.Collection(genome.bigwigs[:1], store=d)
    f = c.store.file_for(os.path.realpath(genome.bigwigs[0]))
    info = _core.store_file_info(f, True)
    assert info["bad_blocks"] == 0 and info["file_bytes"] == os.path.getsize(f)
    assert info["source_size"] == os.path.getsize(genome.bigwigs[0])
    data = bytearray(open(f, "rb").read())
    for at, what in [(0, "no store magic"), (8, "version"), (40, "header fails its CRC")]:
        m = bytearray(data)
        m[at] ^= 0x01
        p = tmp_path / f"bad{at}.bwls"
        p.write_bytes(m)
        with pytest.raises(bwl.FormatError, match=what):
            _core.store_file_info(str(p))
    (tmp_path / "short.bwls").write_bytes(data[:100])
    with pytest.raises(bwl.FormatError, match="truncated"):
        _core.store_file_info(str(tmp_path / "short.bwls"))


def test_cli_build_info_prune(genome, tmp_path, capsys):
    from bwl.cli import main

    d = str(tmp_path / "store")
    assert main(["store", "build", d, *genome.bigwigs[:2]]) == 0
    out = capsys.readouterr().out
    assert out.count("fresh") == 2 and "2 store file(s)" in out
    st = os.stat(genome.bigwigs[0])
    os.utime(genome.bigwigs[0], ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # rewritten, as far as the store sees
    assert main(["store", "info", d, "--verify", "--json"]) == 0
    entries = {e["source"]: e["status"] for e in json.loads(capsys.readouterr().out)}
    assert entries == {os.path.realpath(genome.bigwigs[0]): "stale", os.path.realpath(genome.bigwigs[1]): "fresh"}
    assert main(["store", "prune", d]) == 0
    assert "removed 1 store file(s)" in capsys.readouterr().out and len(_files(d)) == 1
    with open(_files(d) and os.path.join(d, _files(d)[0]), "r+b") as fh:  # damage the data
        fh.seek(-100, 2)
        fh.write(b"\xff" * 8)
    assert main(["store", "info", d, "--verify"]) == 1
    assert "damaged: 1 of" in capsys.readouterr().out


def test_a_remote_track_is_stored_and_served_with_the_server_gone(genome, tmp_path):
    from support.http_server import FaultServer

    d = tmp_path / "store"
    fast = bwl.RemoteOptions(timeout=1.0, deadline=3.0, retries=1, backoff=0.01)
    ch, s, e = _windows(genome)
    want = pybw_values(genome.bigwigs, ch, s, e)
    with FaultServer(genome.dir) as srv:
        urls = [srv.url(os.path.basename(p)) for p in genome.bigwigs]
        tracks = [urls[0], genome.bigwigs[1], urls[2]]  # remote and local mixed
        c = bwl.Collection(tracks, store=d, remote=fast)
        n = srv.requests()
        np.testing.assert_array_equal(c.values(ch, s, e), want)
        assert srv.requests() == n  # batches read the store, not the server
        # The key has no credentials: a URL with them names the same store file.
        assert c.store.file_for(bwl.store.source_key(urls[0].replace("http://", "http://u:p@") + "?sig=1")) == \
            c.store.file_for(bwl.store.source_key(urls[0]))
    # The server is gone: the store serves both URL tracks, with a warning.
    with pytest.warns(UserWarning, match="served from its store file"):
        c = bwl.Collection(tracks, store=d, remote=fast)
    np.testing.assert_array_equal(c.values(ch, s, e), want)
    assert "store" in repr(c.store) and [x.status for x in c.store.entries()].count("remote") == 2
    with pytest.raises(bwl.RemoteError):
        bwl.Collection(tracks, remote=fast)


def test_fsspec_and_file_object_tracks_are_stored(genome, tmp_path, caplog):
    """fsspec URLs keyed by URL (their ukey tells a new version); file
    objects by their size and fingerprint (no lasting name)."""
    import fsspec

    caplog.set_level(logging.INFO, "bwl.store")
    d = tmp_path / "store"
    fs = fsspec.filesystem("memory")
    with open(genome.bigwigs[0], "rb") as fh:
        fs.pipe("/store-test/a.bw", fh.read())
    tracks = ["memory://store-test/a.bw", open(genome.bigwigs[1], "rb")]
    ch, s, e = _windows(genome)
    want = pybw_values(genome.bigwigs[:2], ch, s, e)
    c = bwl.Collection(tracks, store=d)
    np.testing.assert_array_equal(c.values(ch, s, e), want)
    assert len(_built(caplog)) == 2 and len(_files(d)) == 2
    caplog.clear()
    tracks[1].seek(0)
    c = bwl.Collection(["memory://store-test/a.bw", open(genome.bigwigs[1], "rb")], store=d)  # a new object, same bytes
    assert _built(caplog) == []
    np.testing.assert_array_equal(c.values(ch, s, e), want)
    sources = sorted(x.source for x in c.store.entries())
    assert sources[0].startswith("file object ") and sources[1] == "memory://store-test/a.bw"
    assert [x.status for x in c.store.entries()] == ["remote"] * 2 and c.store.prune() == []
    fs.rm("/store-test/a.bw")
