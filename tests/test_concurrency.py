"""Concurrency (issue 8): bwl objects used from many Python threads at once.

* one Collection (and one BigWigFile) called from many threads gives what
  serial calls give, byte for byte;
* several Collections (and bwl.open) over the same files at once;
* fd eviction (bwl.set_max_open_files) while threads read;
* a BigWigFile closed while another thread reads: ValueError or a completed
  read, never a crash; a Collection / Loader dropped and collected in
  another thread. Scenarios that could crash run in a child process.
"""
from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import bwl
from support.tracks import CHROMS

N_THREADS = 8
TRACKS = ("pybw_bedGraph", "pybw_variableStep", "pybw_fixedStep", "bwl_bedGraph_big_zlib",
          "bwl_variableStep_little_raw", "bwl_fixedStep_big_raw", "pbt_bedGraph", "bwl_fixedStep_little_zlib")
CHROM_NAMES = [c for c, n in CHROMS.items() if n >= 1000]


def _requests(n: int, seed: int):
    """n Collection.values requests of every shape: window, dtype, layout, tracks subset."""
    rng = np.random.default_rng(seed)
    out = []
    for _i in range(n):
        L = int(rng.choice([100, 1000, 4000]))
        B = int(rng.integers(1, 9))
        fit = [c for c in CHROM_NAMES if CHROMS[c] >= L]
        chroms = [fit[int(k)] for k in rng.integers(0, len(fit), B)]
        starts = np.array([int(rng.integers(0, CHROMS[c] - L + 1)) for c in chroms], np.int64)
        kw = dict(window=int(rng.choice([1, 1, 10])), dtype=str(rng.choice(["float32", "float32", "float16", "bfloat16"])),
                  layout=str(rng.choice(["BTL", "BLT"])), default=float(rng.choice([np.nan, 0.0])))
        if rng.random() < 0.3:
            kw["tracks"] = rng.permutation(len(TRACKS))[: int(rng.integers(1, len(TRACKS) + 1))].astype(np.uint32)
        out.append((chroms, starts, starts + L, kw))
    return out


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def _hammer(fn, items, n_threads=N_THREADS, rounds=3):
    """Runs fn(item) for every item from n_threads threads (each in its own
    order, ``rounds`` times), all started together. Returns
    (results [(index, value)], errors)."""
    barrier = threading.Barrier(n_threads)
    results, errors = [], []
    lock = threading.Lock()

    def worker(k):
        order = np.random.default_rng(k).permutation(len(items) * rounds) % len(items)
        barrier.wait()
        mine = []
        try:
            for i in order:
                mine.append((int(i), fn(items[i])))
        except BaseException as e:  # noqa: BLE001 - reported
            with lock:
                errors.append(e)
        with lock:
            results.extend(mine)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return results, errors


@pytest.fixture(scope="module")
def paths(bw_files):
    return [bw_files[n].path for n in TRACKS]


@pytest.mark.parametrize("opts", [dict(threads=2), dict(threads=4, decoded_cache=1 << 20), dict(threads=1, cache="host")],
                         ids=["plain", "decoded_cache", "host_cache"])
def test_one_collection_many_threads(paths, opts):
    c = bwl.Collection(paths, **opts)
    reqs = _requests(40, seed=1)
    serial = [_bits(c.values(ch, s, e, **kw)) for ch, s, e, kw in reqs]
    results, errors = _hammer(lambda r: _bits(c.values(r[0], r[1], r[2], **r[3])), reqs)
    assert not errors, errors[:3]
    assert len(results) == N_THREADS * 3 * len(reqs)
    bad = [i for i, v in results if v != serial[i]]
    assert not bad, f"{len(bad)} of {len(results)} concurrent calls differ from serial ones (requests {sorted(set(bad))[:10]})"
    print(f"{N_THREADS} threads x {3 * len(reqs)} calls = {len(results)} Collection.values calls verified ({opts})")


def test_one_file_many_threads(bw_files):
    """values / intervals / stats (zoom: its index is loaded lazily, under a
    lock, by whichever thread comes first) on one freshly opened file."""
    p = bw_files["pybw_bedGraph"].path
    rng = np.random.default_rng(2)
    calls = []
    for _ in range(30):
        c = CHROM_NAMES[int(rng.integers(0, len(CHROM_NAMES)))]
        s = int(rng.integers(0, CHROMS[c] - 500))
        e = s + int(rng.integers(1, 500))
        calls += [("values", c, s, e), ("intervals", c, s, e), ("stats", c, 0, CHROMS[c], int(rng.integers(1, 50))),
                  ("exact", c, s, e, 3 if e - s >= 3 else 1)]

    def call(f, item):
        kind, c, s, e, *rest = item
        if kind == "values":
            return _bits(f.values(c, s, e))
        if kind == "intervals":
            return b"".join(_bits(a) for a in f.intervals(c, s, e))
        return _bits(f.stats(c, s, e, type="mean", nBins=rest[0], exact=kind == "exact"))

    with bwl.open(p) as f:
        serial = [call(f, x) for x in calls]
    with bwl.open(p) as f:  # fresh: zoom indexes not loaded yet
        results, errors = _hammer(lambda x: call(f, x), calls)
    assert not errors, errors[:3]
    assert all(v == serial[i] for i, v in results)
    print(f"{N_THREADS} threads x {3 * len(calls)} calls = {len(results)} BigWigFile calls verified")


def test_many_collections_over_the_same_files(paths):
    """Four Collections and two bwl.open handles on the same files, all used
    at once; one Collection is dropped while the others go on."""
    cols = [bwl.Collection(paths, threads=2) for _ in range(4)]
    files = [bwl.open(paths[0]), bwl.open(paths[0])]
    reqs = _requests(16, seed=3)
    serial = [_bits(cols[0].values(ch, s, e, **kw)) for ch, s, e, kw in reqs]
    want_file = _bits(files[0].values("chr1", 1000, 50_000))
    items = [(k, i) for k in range(len(cols) + len(files)) for i in range(len(reqs))]

    def call(item):
        k, i = item
        if k >= len(cols):
            return ("file", _bits(files[k - len(cols)].values("chr1", 1000, 50_000)))
        ch, s, e, kw = reqs[i]
        return (i, _bits(cols[k].values(ch, s, e, **kw)))

    results, errors = _hammer(call, items, rounds=2)
    assert not errors, errors[:3]
    for _, (i, v) in results:
        assert v == (want_file if i == "file" else serial[i])
    del cols[1]
    gc.collect()
    for col in cols:
        assert _bits(col.values(*reqs[0][:3], **reqs[0][3])) == serial[0]
    for f in files:
        f.close()


def test_fd_eviction_while_threads_read(paths, tmp_path):
    """24 tracks (copies) under a 4-descriptor limit, read by 8 threads at
    once: every read reopens files, results equal serial ones, and no more
    descriptors than the limit (plus those in use) stay open."""
    copies = []
    for i in range(24):
        q = str(tmp_path / f"t{i:02d}.bw")
        shutil.copyfile(paths[i % len(paths)], q)
        copies.append(q)
    old = bwl._core.max_open_files()
    try:
        c = bwl.Collection(copies, threads=2)
        reqs = [(ch, s, e, {k: v for k, v in kw.items() if k != "tracks"}) for ch, s, e, kw in _requests(12, seed=4)]
        serial = [_bits(c.values(ch, s, e, **kw)) for ch, s, e, kw in reqs]
        bwl.set_max_open_files(4)
        assert bwl.open_file_count() <= 4
        fds0 = len(os.listdir("/proc/self/fd"))
        results, errors = _hammer(lambda r: _bits(c.values(r[0], r[1], r[2], **r[3])), reqs, rounds=2)
        assert not errors, errors[:3]
        assert all(v == serial[i] for i, v in results)
        assert bwl.open_file_count() <= 4
        assert len(os.listdir("/proc/self/fd")) <= fds0 + 4
    finally:
        bwl.set_max_open_files(old)


def _child(script: str, *args: str, timeout: float = 120) -> str:
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"child exit {r.returncode} (negative: killed by a signal)\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}"
    return r.stdout


def test_close_while_reading(bw_files):
    """close() while 6 threads read the same BigWigFile: each call either
    completes with the right values or raises ValueError (closed); no crash."""
    out = _child("""
        import sys, threading, time, numpy as np, bwl
        p = sys.argv[1]
        with bwl.open(p) as g:
            want = g.values("chr1", 0, 400_000)
            want_iv = g.intervals("chr1")[0]
        outcomes = {"ok": 0, "closed": 0}
        lock = threading.Lock()
        for trial in range(40):
            f = bwl.open(p)
            start = threading.Barrier(7)
            def reader(k):
                start.wait()
                for i in range(200):
                    try:
                        if i % 3 == 0:
                            assert np.array_equal(f.values("chr1", 0, 400_000), want, equal_nan=True)
                        elif i % 3 == 1:
                            assert np.array_equal(f.intervals("chr1")[0], want_iv)
                        else:
                            f.stats("chr1", nBins=10)
                        kind = "ok"
                    except ValueError as e:
                        assert "closed" in str(e), e
                        kind = "closed"
                    with lock:
                        outcomes[kind] += 1
                    if kind == "closed":
                        return
            ts = [threading.Thread(target=reader, args=(k,)) for k in range(6)]
            for t in ts: t.start()
            start.wait()
            time.sleep(0.0005 * (trial % 10))
            f.close()
            for t in ts: t.join()
            assert f.closed
        print(outcomes["ok"], outcomes["closed"])
    """, bw_files["pybw_bedGraph"].path)
    ok, closed = map(int, out.split())
    assert closed > 0 and ok > 0


def test_collection_collected_in_another_thread(bw_files):
    """Collections (with their C++ thread pools) and a Loader stopped mid-
    epoch are dropped and garbage-collected in other threads while nothing
    uses them; no crash, no thread or descriptor left behind."""
    paths = [bw_files[n].path for n in TRACKS]
    out = _child("""
        import gc, os, sys, threading, numpy as np, bwl
        paths = sys.argv[1:]
        threads0 = threading.active_count()
        fds0 = len(os.listdir("/proc/self/fd"))
        for i in range(30):
            c = bwl.Collection(paths, threads=3, decoded_cache=1 << 20)
            v = c.values(["chr1"] * 4, [0, 10, 20, 30], [1000, 1010, 1020, 1030])
            holder = [c]
            del c
            t = threading.Thread(target=lambda: (holder.clear(), gc.collect()))
            t.start(); t.join()
            # a Loader iterated halfway, dropped with its prefetch thread running
            c = bwl.Collection(paths, threads=2)
            s = bwl.samplers.RandomRegions({"chr1": 400_000}, 2000, c.chroms(), seed=i)
            it = iter(bwl.Loader(c, s, batch_size=4, prefetch=3, batches_per_epoch=50))
            next(it); next(it)
            box = [it, c]
            del it, c
            t = threading.Thread(target=lambda: (box.clear(), gc.collect()))
            t.start(); t.join()
        gc.collect()
        print(threading.active_count() - threads0, len(os.listdir("/proc/self/fd")) - fds0)
    """, *paths)
    extra_threads, extra_fds = map(int, out.split())
    assert extra_threads == 0 and extra_fds <= 0
