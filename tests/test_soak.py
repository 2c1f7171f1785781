"""Long runs (issue 8), short version: bench/soak.py runs 10,000 Loader
batches; here 500 (the same run: support/soak.py), asserting flat memory
and descriptors. And the Loader with a track file that disappears or is
truncated mid-epoch: a clear error (OSError / bwl.FormatError naming the
file) raised in the user's loop, and the Loader works again once the file
is back.
"""
from __future__ import annotations

import os
import shutil
import threading

import numpy as np
import pytest

import bwl
from support import soak  # the run bench/soak.py makes long

SMALL = {"chr1": 400_000, "chr2": 200_000}
# Under tests/sanitize.sh, ASan's quarantine holds freed memory: RSS is not checked.
SANITIZED = "asan" in os.environ.get("LD_PRELOAD", "")


@pytest.fixture(scope="module")
def tracks(tmp_path_factory):
    d = tmp_path_factory.mktemp("soak")
    paths, fa = soak.make_inputs(str(d), 12, chroms=SMALL)
    return paths, fa


def test_soak_short(tracks):
    """500 batches over 12 tracks with a 4-descriptor limit (every batch
    reopens files) and prefetching: RSS flat after warm-up, no descriptor
    or thread left behind."""
    paths, fa = tracks
    fds0, threads0 = soak.open_fds(), threading.active_count()
    rows = soak.soak(paths, fa, batches=500, batch_size=4, length=1000, batches_per_epoch=120,
                     max_open_files=4, checkpoints=5)
    s = soak.summarize(rows)
    print("soak:", s)
    assert s["batches"] == 500
    assert SANITIZED or s["rss_growth_after_tenth_mb"] < 20, rows
    assert all(r["bwl_fds"] <= 4 for r in rows), rows
    # No growth during the run: every batch reopens files (limit 4), so a
    # leak would add hundreds; +-2 is the prefetch thread's transient ones
    # and descriptors the garbage collector closes for earlier tests.
    assert max(r["fds"] for r in rows) <= rows[0]["fds"] + 2, rows
    assert soak.open_fds() <= fds0 + 4                             # (<= the bwl pool afterwards)
    assert threading.active_count() <= threads0                   # prefetch threads are gone


def _loader(paths, length=1000, prefetch=2, batches=40, **kw):
    c = bwl.Collection(paths, threads=2, **kw)
    s = bwl.samplers.RandomRegions(c.chroms(), length, c.chroms(), seed=1)
    return bwl.Loader(c, s, batch_size=4, prefetch=prefetch, batches_per_epoch=batches, default=0.0)


def _evict_all_but(keep):
    """Makes the most recently used descriptors belong to other files."""
    other = bwl.Collection(keep, threads=1)
    other.values(["chr1"], [0], [1000])


@pytest.mark.parametrize("prefetch", [0, 3])
def test_loader_track_disappears(tracks, tmp_path, prefetch):
    paths, _ = tracks
    mine = [shutil.copyfile(p, tmp_path / f"t{i}.bw") for i, p in enumerate(paths)]
    mine = [str(p) for p in mine]
    old = bwl._core.max_open_files()
    bwl.set_max_open_files(4)
    try:
        loader = _loader(mine, prefetch=prefetch)
        victim = mine[5]
        got, err = 0, None
        try:
            for _b in loader:
                got += 1
                if got == 5:
                    os.remove(victim)
                    _evict_all_but(paths[:4])  # its descriptor is closed: the next read must reopen
        except (OSError, bwl.FormatError) as e:
            err = e
        assert err is not None, "reading a removed, evicted track did not fail"
        assert isinstance(err, FileNotFoundError) and victim in str(err), repr(err)
        assert 5 <= got <= 5 + prefetch + 2
        # the file comes back: the same Loader works again
        shutil.copyfile(paths[5], victim)
        assert sum(1 for _ in loader) == 40
    finally:
        bwl.set_max_open_files(old)


@pytest.mark.parametrize("evict", [False, True], ids=["fd_open", "fd_evicted"])
def test_loader_track_truncated(tracks, tmp_path, evict):
    """Truncated mid-epoch: a FormatError naming the file (the descriptor
    still open: a short read; evicted: the reopened file's size changed)."""
    paths, _ = tracks
    mine = []
    for i, p in enumerate(paths):
        q = str(tmp_path / f"t{i}.bw")
        shutil.copyfile(p, q)
        mine.append(q)
    old = bwl._core.max_open_files()
    bwl.set_max_open_files(4 if evict else 1000)
    try:
        loader = _loader(mine, prefetch=2)
        victim = mine[3]
        got, err = 0, None
        try:
            for _b in loader:
                got += 1
                if got == 4:
                    os.truncate(victim, 200)
                    if evict:
                        _evict_all_but(paths[:4])
        except (OSError, bwl.FormatError) as e:
            err = e
        assert isinstance(err, bwl.FormatError) and victim in str(err), repr(err)
        assert "shorter" in str(err) or "changed" in str(err), str(err)
        assert got <= 4 + 2 + 2
    finally:
        bwl.set_max_open_files(old)


def test_loader_host_cache_survives_removal(tracks, tmp_path):
    """With cache="host" the blocks are in memory: removing or truncating
    the files mid-epoch changes nothing; values equal a fresh read."""
    paths, _ = tracks
    mine = []
    for i, p in enumerate(paths[:6]):
        q = str(tmp_path / f"t{i}.bw")
        shutil.copyfile(p, q)
        mine.append(q)
    loader = _loader(mine, prefetch=2, batches=30, cache="host")
    ref = _loader(paths[:6], prefetch=0, batches=30)
    want = [b.values for b in ref]
    for i, b in enumerate(loader):
        if i == 3:
            os.remove(mine[0])
            os.truncate(mine[1], 100)
        np.testing.assert_array_equal(b.values, want[i])
