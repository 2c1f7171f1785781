"""Many tracks, one batch: bwl.Collection vs pyBigWig, pybigtools and pybbi loops.

Reads B random windows x T tracks as one (B, T, L) array:

- ``bwl.Collection(paths).values(chroms, starts, ends, window=w)``: one C++ call;
- pyBigWig: for each window, for each track ``values(c, s, e, numpy=True)``
  into a preallocated (B, T, L) array (``np.nanmean`` over ``w`` bases when
  w > 1);
- pybigtools: the same loop on ``pybigtools.open(p).values(c, s, e)`` (with
  ``bins=L//w`` when w > 1). pybigtools keeps every inflated block of an
  open handle, so "cold" opens fresh handles before each batch (not timed)
  and "warm" repeats the batch on those handles;
- pybbi: ``bbi.stackup(path, chroms, starts, ends, bins=..., missing=nan)``
  per track (it opens the file on each call, as that API does).

Plus two reference points for bwl:

- the **inflate bound**: only inflating the distinct compressed blocks the
  batch needs (R-tree parsed here in Python, blocks overlapping each
  window per track, deduplicated) with libdeflate (PyPI ``deflate``, which
  releases the GIL) on ``os.cpu_count()`` threads; bytes are in memory, so
  the bound has no I/O, no decode and no output writes;
- **bwl warm**: ``Collection(..., decoded_cache=<enough>)``, the batch read
  once untimed, then timed again (every block is an LRU hit).

And the startup cost of 1,000 (``--quick``: 100) small distinct files:
``bwl.Collection(paths)`` vs ``pyBigWig.open`` / ``pybigtools.open`` /
``bbi.open`` in a loop, alone and followed by one 1 kb query per file.

    python bench/collection.py            # full size (tracks cached in bench/data/collection/)
    python bench/collection.py --quick    # smoke run: 20 Mb tracks, small batches

All readers run in this one process, one after another; the OS page cache
is warm for all of them (every file is read once before timing). Outputs of
every reader on the first batch of each config are checked against
pyBigWig (float32, NaN == NaN; window means to 1e-5) before timing.
Results: one table on stdout and bench/results/collection.json.
"""
from __future__ import annotations

import argparse
import os
import resource
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from common import DATA_DIR, machine_info, print_table, require_peers, write_json
from support.bbi import chrom_ids, header, rtree_blocks
from support.tracks import make_track

# chr1 at human size, chr2 a little shorter (the generator's cost is per base)
HUMAN = [("chr1", 248_956_422), ("chr2", 183_000_000)]
QUICK = [("chr1", 12_000_000), ("chr2", 8_000_000)]
# --genome hg38: chr1-22 and X at their GRCh38 sizes (3.04 Gb), so random
# windows rarely share a block; names in bytewise order, as pyBigWig needs.
HG38 = sorted([("chr1", 248_956_422), ("chr2", 242_193_529), ("chr3", 198_295_559), ("chr4", 190_214_555),
               ("chr5", 181_538_259), ("chr6", 170_805_979), ("chr7", 159_345_973), ("chr8", 145_138_636),
               ("chr9", 138_394_717), ("chr10", 133_797_422), ("chr11", 135_086_622), ("chr12", 133_275_309),
               ("chr13", 114_364_328), ("chr14", 107_043_718), ("chr15", 101_991_189), ("chr16", 90_338_345),
               ("chr17", 83_257_441), ("chr18", 80_373_285), ("chr19", 58_617_616), ("chr20", 64_444_167),
               ("chr21", 46_709_983), ("chr22", 50_818_468), ("chrX", 156_040_895)], key=lambda c: c[0].encode())
N_TRACKS = 32
SMALL_DATA_BP = 1_000_000   # data per chromosome in the many-files set (header keeps HUMAN sizes)

# (L, window, T, B): 1 kb per-base windows and 100 kb-ish windows binned by 128
# (102,400 = 800 x 128: L must be a multiple of the window).
FULL_CONFIGS = [(1000, 1, 8, 64), (1000, 1, 32, 64), (1000, 1, 8, 1024), (1000, 1, 32, 1024),
                (102_400, 128, 8, 64), (102_400, 128, 32, 64)]
QUICK_CONFIGS = [(1000, 1, 8, 64), (1000, 1, 32, 256), (102_400, 128, 8, 16)]
TARGET = (1000, 1, 32, 1024)
# --shapes (issue 29): ((L, window, T, B), summary, times the 32 tracks are listed).
# T=512 lists the 32 files 16 times: each listing is its own track (own
# handle, own blocks inflated), as 512 distinct files would be.
SHAPES = [(TARGET, "mean", 1), ((524_288, 32, 32, 4), "mean0", 1), ((1000, 1, 512, 64), "mean", 16)]
QUICK_SHAPES = [((1000, 1, 32, 256), "mean", 1), ((524_288, 32, 32, 2), "mean0", 1), ((1000, 1, 128, 32), "mean", 4)]


# -- input ---------------------------------------------------------------------------
def ensure_files(paths, chroms, seeds, data_bp, label: str) -> None:
    """Generate the missing files in parallel (one process per core), with progress."""
    todo = [(p, s) for p, s in zip(paths, seeds) if not os.path.exists(p)]
    if not todo:
        return
    Path(paths[0]).parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    print(f"generating {len(todo)} {label} with pyBigWig on {os.cpu_count()} processes ...", flush=True)
    done = 0
    step = max(1, len(todo) // 10)
    with ProcessPoolExecutor(os.cpu_count()) as ex:
        futs = [ex.submit(make_track, p, chroms, s, data_bp) for p, s in todo]
        for f in as_completed(futs):
            n = f.result()
            done += 1
            if done % step == 0 or done == len(todo):
                print(f"  {done}/{len(todo)} {label} ({n:,} items in the last, "
                      f"{time.perf_counter() - t0:.0f} s)", flush=True)
    mib = sum(os.path.getsize(p) for p in paths) / 2**20
    print(f"  {len(paths)} {label}: {mib:,.0f} MiB in total, {time.perf_counter() - t0:.0f} s", flush=True)


def tracks(genome: str = "default") -> tuple[list[str], list[tuple[str, int]]]:
    """The 32 tracks every bench shares and their chromosomes, generated if
    missing: genome "default" (432 Mb), "quick" (20 Mb) or "hg38"."""
    chroms = {"default": HUMAN, "quick": QUICK, "hg38": HG38}[genome]
    base = DATA_DIR / {"default": "collection", "quick": "collection_quick", "hg38": "collection_hg38"}[genome]
    paths = [str(base / f"track_{i:02d}.bw") for i in range(N_TRACKS)]
    ensure_files(paths, chroms, [1000 + i for i in range(N_TRACKS)], None, "tracks")
    return paths, chroms


def warm_page_cache(paths) -> None:
    for p in paths:
        with open(p, "rb") as fh:
            while fh.read(1 << 24):
                pass


# -- block index, parsed here (for the inflate bound) -----------------------------------
class BlockIndex:
    """A bigWig's data blocks from its R-tree leaves, plus its bytes in memory."""

    def __init__(self, path: str) -> None:
        self.data = Path(path).read_bytes()
        d = self.data
        e, h = header(d)
        self.ubuf = h["uncompressBufSize"]
        assert self.ubuf > 0, f"{path}: uncompressed file, no inflate bound"
        self.chrom_id = chrom_ids(d, h["chromTreeOffset"], e)
        items = np.array([x[2:] for x in rtree_blocks(d, h["fullIndexOffset"], e)], np.uint64).reshape(-1, 6)
        sc, sb, ec, eb, off, size = items.T
        self.start_key = (sc << np.uint64(32)) | sb
        self.end_key = (ec << np.uint64(32)) | eb
        order = np.argsort(self.start_key, kind="stable")
        self.start_key, self.end_key = self.start_key[order], self.end_key[order]
        self.offset = off[order].astype(np.int64)
        self.size = size[order].astype(np.int64)
        assert np.all(np.diff(self.end_key.astype(np.float64)) >= 0), f"{path}: overlapping blocks"

    def blocks(self, chroms, starts, ends) -> set:
        """Indices of the blocks overlapping any of the windows."""
        cid = np.array([self.chrom_id[c] for c in chroms], dtype=np.uint64) << np.uint64(32)
        ks = cid | np.asarray(starts, dtype=np.uint64)
        ke = cid | np.asarray(ends, dtype=np.uint64)
        lo = np.searchsorted(self.end_key, ks, "right")
        hi = np.searchsorted(self.start_key, ke, "left")
        out = set()
        for a, b in zip(lo.tolist(), hi.tolist()):
            out.update(range(a, b))
        return out

    def blob(self, i: int) -> memoryview:
        return memoryview(self.data)[self.offset[i]:self.offset[i] + self.size[i]]  # no copy


def inflate_all(blobs, sizes, pool, n_threads: int) -> float:
    """Seconds to inflate every blob, split in n_threads contiguous chunks."""
    import deflate

    def work(lo, hi):
        for j in range(lo, hi):
            deflate.zlib_decompress(blobs[j], sizes[j])

    edges = np.linspace(0, len(blobs), n_threads + 1).astype(int)
    t0 = time.perf_counter()
    if n_threads == 1:
        work(0, len(blobs))
    else:
        list(pool.map(work, edges[:-1], edges[1:]))
    return time.perf_counter() - t0


# -- windows ----------------------------------------------------------------------
class Batch:
    def __init__(self, chroms_sizes, B: int, L: int, seed) -> None:
        rng = np.random.default_rng(seed)
        sizes = np.array([s for _, s in chroms_sizes], dtype=np.float64)
        ci = rng.choice(len(chroms_sizes), size=B, p=sizes / sizes.sum())
        self.chroms = [chroms_sizes[i][0] for i in ci]
        self.starts = np.array([int(rng.integers(0, chroms_sizes[i][1] - L)) for i in ci], dtype=np.int64)
        self.ends = self.starts + L
        self.items = list(zip(self.chroms, self.starts.tolist(), self.ends.tolist()))


# -- readers ---------------------------------------------------------------------------
def read_pybigwig(handles, batch: Batch, L: int, w: int, summary: str = "mean") -> np.ndarray:
    """values + reshape: ``mean`` is the nanmean of a bin, ``mean0`` its
    mean with no data as 0 (Borzoi's targets)."""
    out = np.empty((len(batch.items), len(handles), L // w), np.float32)
    for b, (c, s, e) in enumerate(batch.items):
        for t, f in enumerate(handles):
            v = f.values(c, s, e, numpy=True)
            if w == 1:
                out[b, t] = v
            elif summary == "mean0":
                out[b, t] = np.nan_to_num(v, nan=0.0).reshape(-1, w).mean(axis=1)
            else:
                out[b, t] = np.nanmean(v.reshape(-1, w), axis=1)
    return out


def read_pybigtools(handles, batch: Batch, L: int, w: int) -> np.ndarray:
    out = np.empty((len(batch.items), len(handles), L // w), np.float32)
    for b, (c, s, e) in enumerate(batch.items):
        for t, f in enumerate(handles):
            out[b, t] = f.values(c, s, e) if w == 1 else f.values(c, s, e, bins=L // w)
    return out


def read_pybbi(paths, batch: Batch, L: int, w: int) -> np.ndarray:
    import bbi

    out = np.empty((len(batch.items), len(paths), L // w), np.float32)
    for t, p in enumerate(paths):
        out[:, t] = bbi.stackup(p, batch.chroms, batch.starts, batch.ends,
                                bins=-1 if w == 1 else L // w, missing=np.nan)
    return out


def check_equal(name: str, got: np.ndarray, ref: np.ndarray, w: int) -> None:
    if w == 1:
        np.testing.assert_array_equal(got, ref, err_msg=f"{name} differs from pyBigWig")
    else:  # window means: summation order differs between readers
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6, equal_nan=True,
                                   err_msg=f"{name} differs from pyBigWig")


def bench_config(cfg, paths, chroms, indexes, a, pool, summary: str = "mean", peers: bool = True) -> dict:
    """One (L, window, T, B) config: every reader round-robin on fresh
    batches. ``paths``/``indexes`` hold at least T tracks (the first T are
    read); ``peers=False`` leaves out pybigtools and pybbi (pyBigWig stays:
    every row is measured against it)."""
    import pybigtools
    import pyBigWig

    import bwl

    L, w, T, B = cfg
    tp = paths[:T]
    n_timed = a.batches or (4 if B * T * L >= 1_000_000 * 32 else 8)
    batches = [Batch(chroms, B, L, (a.seed, L, T, B, k)) for k in range(n_timed + 1)]
    check, timed = batches[0], batches[1:]
    label = f"L={L:,} w={w} T={T} B={B}" + (f" {summary}" if summary != "mean" else "")
    print(f"\n== {label}: up to {len(timed)} timed batches ==", flush=True)

    # open once, untimed (pybigtools cold: fresh handles per batch)
    coll = bwl.Collection(tp)
    pbw = [pyBigWig.open(p) for p in tp]
    open_pbt = lambda _batch=None: [pybigtools.open(p) for p in tp]  # noqa: E731

    # -- check on the first batch (also the warm-up of every reader)
    ref = read_pybigwig(pbw, check, L, w, summary)
    assert np.isfinite(ref).any() and (np.isnan(ref).any() or summary == "mean0"), "check batch has no data or gaps"
    outs = {"bwl": coll.values(check.chroms, check.starts, check.ends, window=w, summary=summary)}
    if peers:
        outs.update({"pybigtools": read_pybigtools(open_pbt(), check, L, w), "pybbi": read_pybbi(tp, check, L, w)})
    for name, got in outs.items():
        check_equal(name, got, ref, w)
    print(f"check: {', '.join(outs)} == pyBigWig on batch 0 ({np.isnan(ref).mean():.1%} NaN)", flush=True)

    # -- the blocks each batch needs, their bytes (untimed), for the inflate bound
    blob_sets = []
    for batch in batches:
        blobs, sizes = [], []
        for ix in indexes[:T]:
            for i in sorted(ix.blocks(batch.chroms, batch.starts, batch.ends)):
                blobs.append(ix.blob(i))
                sizes.append(ix.ubuf)
        blob_sets.append((blobs, sizes))
    n_blocks = [len(b) for b, _ in blob_sets]
    comp_mib = [sum(map(len, b)) / 2**20 for b, _ in blob_sets]

    # decoded_cache: twice what one batch inflates (bytes of raw blocks), >= 256 MiB
    ubuf_max = max(ix.ubuf for ix in indexes[:T])
    cache_bytes = max(256 << 20, 2 * max(n_blocks) * ubuf_max)
    coll1 = bwl.Collection(tp, threads=1)
    warm = bwl.Collection(tp, decoded_cache=cache_bytes)
    check_equal("bwl (threads=1)", coll1.values(check.chroms, check.starts, check.ends, window=w, summary=summary),
                ref, w)
    warm.values(check.chroms, check.starts, check.ends, window=w, summary=summary)
    check_equal("bwl (decoded_cache)", warm.values(check.chroms, check.starts, check.ends, window=w, summary=summary),
                ref, w)

    def pbt_warm(batch):  # fresh handles, the batch read once untimed, then timed again
        h = open_pbt()
        read_pybigtools(h, batch, L, w)
        return h

    ncpu = os.cpu_count()
    bwl_values = lambda c: lambda b, _=None: c.values(b.chroms, b.starts, b.ends, window=w,  # noqa: E731
                                                     summary=summary)
    # name: (fn(batch[, setup result]), untimed setup(batch), best of)
    # bwl keeps no inflated blocks without decoded_cache, so a repeat is as cold
    # as the first call: bwl, like the inflate bound, is best of 3 per batch.
    readers = {
        "pyBigWig": (lambda b: read_pybigwig(pbw, b, L, w, summary), None, 1),
        "pybigtools (cold)": (lambda b, h: read_pybigtools(h, b, L, w), open_pbt, 1),
        "pybigtools (warm)": (lambda b, h: read_pybigtools(h, b, L, w), pbt_warm, 1),
        "pybbi": (lambda b: read_pybbi(tp, b, L, w), None, 1),
        "bwl": (bwl_values(coll), None, 3),
        "bwl (1 thread)": (bwl_values(coll1), None, 3),
        "bwl (warm)": (bwl_values(warm), bwl_values(warm), 1),
        f"inflate bound ({ncpu} thr)": (lambda k: inflate_all(*blob_sets[k], pool, ncpu), None, 3),
        "inflate, 1 thread": (lambda k: inflate_all(*blob_sets[k], pool, 1), None, 3),
    }
    if not peers:
        for name in ("pybigtools (cold)", "pybigtools (warm)", "pybbi"):
            del readers[name]
    res = {name: [] for name in readers}
    cpu = {name: [] for name in readers if name.startswith("bwl")}  # process CPU s of the best call
    loads = []
    # Round-robin: each round times every reader on one fresh batch, so a
    # change in machine load hits all readers alike. At least 2 rounds (1 in
    # --quick), then until the budget is spent or the batches run out.
    t_cfg = time.perf_counter()
    for k, batch in enumerate(timed, start=1):
        for name, (fn, setup, best_of) in readers.items():
            best, best_cpu = float("inf"), 0.0
            for _ in range(best_of):
                arg = setup(batch) if setup else None
                c0, t0 = time.process_time(), time.perf_counter()
                if name.startswith("inflate"):
                    dt = fn(k)
                else:
                    fn(batch) if setup is None else fn(batch, arg)
                    dt = time.perf_counter() - t0
                if dt < best:
                    best, best_cpu = dt, time.process_time() - c0
            res[name].append(best)
            if name in cpu:
                cpu[name].append(best_cpu)
        loads.append(os.getloadavg()[0])
        if time.perf_counter() - t_cfg > a.budget and k >= (1 if a.quick else 2):
            break
    for name, times in res.items():
        print(f"  {name:<22} {np.median(times):9.4f} s/batch  (n={len(times)})", flush=True)
    print(f"  {np.mean(n_blocks):,.0f} distinct blocks/batch, {np.mean(comp_mib):.1f} MiB compressed; "
          f"load average {np.mean(loads):.1f}", flush=True)

    for h in pbw:
        h.close()
    del coll, coll1, warm
    return {"L": L, "window": w, "T": T, "B": B, "label": label, "summary": summary, "times_s": res, "cpu_s": cpu,
            "blocks_per_batch": n_blocks, "compressed_mib_per_batch": comp_mib,
            "uncompress_buf_size": ubuf_max, "decoded_cache_bytes": cache_bytes, "loadavg_1m": loads}


# -- the first batch on a fresh handle -------------------------------------------------------
def first_batch_worker(spec: str) -> None:
    """In a fresh process (``--first-batch-worker JSON``), by ``mode``:
    ``fresh``: two handles in turn, each timing its first batch and
    ``steady`` more, each into a new output array (as ``values()`` makes);
    ``out``: one handle writing every batch into one array allocated and
    touched before (``out=``), so only bwl's own work is timed; ``numpy``:
    the same-size ``np.empty`` filled, first and then ``steady`` times (a
    fresh process's first touch of that much memory: the bound under the
    fresh-output row). Every batch is new random windows; prints one JSON
    line of seconds."""
    import json

    import bwl

    p = json.loads(spec)
    chroms = [tuple(c) for c in p["chroms"]]
    shape = (p["B"], len(p["paths"]), p["L"])
    out = []
    if p["mode"] == "numpy":
        times = []
        for _ in range(1 + p["steady"]):
            t0 = time.perf_counter()
            a = np.empty(shape, np.float32)
            a[...] = 1.0
            times.append(time.perf_counter() - t0)
            del a
        out.append(times)
    for h in range(2 if p["mode"] == "fresh" else 1 if p["mode"] == "out" else 0):
        coll = bwl.Collection(p["paths"])
        buf = np.ones(shape, np.float32) if p["mode"] == "out" else None
        times = []
        for k in range(1 + p["steady"]):
            b = Batch(chroms, p["B"], p["L"], (p["seed"], h, k))
            t0 = time.perf_counter()
            coll.values(b.chroms, b.starts, b.ends, out=buf)
            times.append(time.perf_counter() - t0)
        out.append(times)
        del coll
    print("FIRST_BATCH " + json.dumps(out), flush=True)


def bench_first_batch(paths, chroms, B: int, L: int, runs: int, steady: int = 4) -> dict:
    """First batch / median steady batch per run, each run in fresh
    processes: the process's first handle (what a new run or DataLoader
    worker pays), a second handle in that process, the first handle
    writing into an array it was given (bwl's own work alone), and the
    bound: numpy's first fill of an array of the output's size."""
    import json
    import subprocess
    import sys

    names = ("fresh process", "second handle", "fresh process, out=", "numpy fill (bound)")
    ratios = {n: [] for n in names}
    firsts = {n: [] for n in names}
    raw = []
    print(f"\n== first batch on a fresh handle: B={B}, L={L:,}, T={len(paths)}, {runs} runs ==", flush=True)
    for r in range(runs):
        times = []
        for mode in ("fresh", "out", "numpy"):
            spec = json.dumps({"paths": paths, "chroms": chroms, "B": B, "L": L, "seed": [7, r], "steady": steady,
                               "mode": mode})
            got = subprocess.run([sys.executable, __file__, "--first-batch-worker", spec], capture_output=True,
                                 text=True, check=True).stdout
            times += json.loads(next(ln for ln in got.splitlines() if ln.startswith("FIRST_BATCH "))[12:])
        raw.append(times)
        for n, t in zip(names, times):
            ratios[n].append(t[0] / float(np.median(t[1:])))
            firsts[n].append(t[0] - float(np.median(t[1:])))
        print(f"  run {r}: " + "; ".join(f"{n} {t[0]:.3f} s first, {np.median(t[1:]):.3f} s steady"
                                         for n, t in zip(names, times)), flush=True)
    return {"B": B, "L": L, "T": len(paths), "runs": runs, "times_s": raw, "ratios": ratios,
            "first_minus_steady_s": firsts}


# -- opening many files ----------------------------------------------------------------
def bench_open(paths, repeat: int) -> dict:
    import bbi
    import pybigtools
    import pyBigWig

    import bwl

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, len(paths) + 256))
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    c, s = "chr1", 500_000

    def one(kind: str, query: bool) -> float:
        t0 = time.perf_counter()
        if kind == "bwl":
            coll = bwl.Collection(paths)
            if query:
                coll.values([c], [s], [s + 1000])
            dt = time.perf_counter() - t0
            del coll
            return dt
        opener = {"pyBigWig": pyBigWig.open, "pybigtools": pybigtools.open, "pybbi": bbi.open}[kind]
        hs = [opener(p) for p in paths]
        if query:
            for h in hs:
                if kind == "pybbi":
                    h.fetch(c, s, s + 1000, missing=np.nan)
                else:
                    h.values(c, s, s + 1000)
        dt = time.perf_counter() - t0
        for h in hs:
            if hasattr(h, "close"):
                h.close()
        return dt

    out = {}
    for kind in ("pyBigWig", "pybigtools", "pybbi", "bwl"):
        for query in (False, True):
            one(kind, query)  # warm-up
            out[(kind, query)] = [one(kind, query) for _ in range(repeat)]
    return out


# -- main ---------------------------------------------------------------------------
def main() -> None:
    require_peers("pyBigWig", "pybigtools", "bbi", "deflate")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="20 Mb tracks, small batches, 100 files to open")
    ap.add_argument("--batches", type=int, default=0,
                    help="timed batches (rounds) per config at most (default 8; 4 where B*T*L is large)")
    ap.add_argument("--budget", type=float, default=60.0,
                    help="seconds per config: no new round once spent (>= 2 rounds; quick: 1)")
    ap.add_argument("--n-open", type=int, default=None, help="files in the open test (default 1000; quick 100)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-open", action="store_true", help="skip the many-files open test")
    ap.add_argument("--target-only", action="store_true", help="only the target config (L=1 kb, T=32, B=1024)")
    ap.add_argument("--genome", choices=["default", "hg38"], default="default",
                    help="hg38: tracks over chr1-22 and X at human size (~9 GB of files; windows rarely share blocks)")
    ap.add_argument("--shapes", action="store_true",
                    help="issue 29's rows: first batch on a fresh handle, B=1024 x T=32, L=524,288 with 32 bp mean0 "
                         "bins (B=4), T=512 x B=64 at 1 kb")
    ap.add_argument("--first-batch-runs", type=int, default=5, help="processes for the first-batch row (--shapes)")
    ap.add_argument("--first-batch-worker", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.first_batch_worker:
        return first_batch_worker(a.first_batch_worker)
    warnings.filterwarnings("ignore", category=DeprecationWarning)   # pybigtools' NaN default notice
    warnings.filterwarnings("ignore", category=RuntimeWarning)       # nanmean of an empty bin

    t_start = time.perf_counter()
    configs = [TARGET] if a.target_only else QUICK_CONFIGS if a.quick else FULL_CONFIGS
    if a.shapes:
        a.skip_open = True
        return main_shapes(a, t_start)
    paths, chroms = tracks("hg38" if a.genome == "hg38" else "quick" if a.quick else "default")
    base = Path(paths[0]).parent
    n_open = a.n_open or (100 if a.quick else 1000)
    small = [str(base / "many" / f"small_{i:04d}.bw") for i in range(n_open)]
    if not a.skip_open:
        ensure_files(small, HUMAN, [10_000 + i for i in range(n_open)], SMALL_DATA_BP, "small files")
    warm_page_cache(paths)
    t0 = time.perf_counter()
    indexes = [BlockIndex(p) for p in paths]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores before timing")
    print(f"{N_TRACKS} tracks, {sum(os.path.getsize(p) for p in paths) / 2**20:,.0f} MiB, "
          f"{np.mean([len(ix.offset) for ix in indexes]):,.0f} blocks each "
          f"(mean {np.mean([ix.size.mean() for ix in indexes]) / 1024:.1f} KiB compressed, "
          f"uncompressBufSize {indexes[0].ubuf:,}); R-trees parsed in {time.perf_counter() - t0:.1f} s", flush=True)

    results = []
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        for cfg in configs:
            results.append(bench_config(cfg, paths, chroms, indexes, a, pool))
    del indexes

    # -- table
    rows, json_rows = [], []
    for r in results:
        med = {k: float(np.median(v)) for k, v in r["times_s"].items()}
        wt = r["B"] * r["T"]
        bound = next(v for k, v in med.items() if k.startswith("inflate bound"))
        for name, sec in med.items():
            vs_bound = ""
            if name.startswith("bwl"):  # bwl on 1 thread vs inflating on 1 thread
                vs_bound = f"{sec / (med['inflate, 1 thread'] if '1 thread' in name else bound):.2f}x"
            rows.append([r["label"], name, sec, wt / sec, f"{med['pyBigWig'] / sec:.2f}x", vs_bound])
            json_rows.append({"config": r["label"], "L": r["L"], "window": r["window"], "T": r["T"], "B": r["B"],
                              "reader": name, "s_per_batch": sec, "window_tracks_per_s": wt / sec,
                              "speedup_vs_pyBigWig": med["pyBigWig"] / sec, "times_s": r["times_s"][name]})
    print(f"\nB random windows x T tracks per batch, median s/batch; {os.cpu_count()} cores; "
          f"page cache warm; load average {os.getloadavg()[0]:.1f} at the end")
    table = print_table(rows, ["config", "reader", "s/batch", "window-tracks/s", "vs pyBigWig", "bwl / inflate bound"])

    # -- targets at B=1024, T=32 (issue 12: cold batch >= 10x pyBigWig, >= 6x pybigtools cold, <= 0.8x the bound)
    targets = {}
    tr = next((r for r in results if (r["L"], r["window"], r["T"], r["B"]) == TARGET), None)
    if tr is not None:
        med = {k: float(np.median(v)) for k, v in tr["times_s"].items()}
        bound = next(v for k, v in med.items() if k.startswith("inflate bound"))
        targets = {
            "bwl_vs_pyBigWig": (med["pyBigWig"] / med["bwl"], ">=", 10.0),
            "bwl_vs_pybigtools_cold": (med["pybigtools (cold)"] / med["bwl"], ">=", 6.0),
            "bwl_over_inflate_bound": (med["bwl"] / bound, "<=", 0.8),
        }
        print(f"\ntargets ({tr['label']}):")
        for k, (v, op, goal) in targets.items():
            ok = v >= goal if op == ">=" else v <= goal
            print(f"  {k:<26} {v:6.2f}x  (target {op} {goal}x)  {'met' if ok else 'MISSED'}")

    # -- open many files
    open_rows, open_json, open_table = [], [], ""
    if not a.skip_open:
        print(f"\nopening {n_open} small files ({sum(os.path.getsize(p) for p in small) / 2**20:.0f} MiB) ...",
              flush=True)
        warm_page_cache(small)
        op = bench_open(small, 3)
        ref = np.median(op[("pyBigWig", False)])
        for (kind, query), times in op.items():
            sec = float(np.median(times))
            what = f"open x{n_open}" + (" + one 1 kb query each" if query else "")
            if kind == "bwl":
                what = f"Collection({n_open} paths)" + (" + values(B=1)" if query else "")
            open_rows.append([kind, what, sec * 1e3, sec / n_open * 1e6, f"{sec / ref:.2f}x"])
            open_json.append({"reader": kind, "query": query, "s": sec, "us_per_file": sec / n_open * 1e6,
                              "times_s": times})
        print(f"\nstartup, {n_open} files, median of 3 after a warm-up")
        open_table = print_table(open_rows, ["reader", "what", "ms", "us/file", "vs pyBigWig open"])

    info = machine_info(("bwl", "numpy", "pyBigWig", "pybigtools", "bbi", "deflate"))
    path = write_json("collection" if a.genome == "default" else f"collection_{a.genome}", {
        "bench": "collection", "quick": a.quick, "chroms": chroms, "n_tracks": N_TRACKS,
        "files": paths, "file_mib": sum(os.path.getsize(p) for p in paths) / 2**20, "seed": a.seed,
        "budget_s": a.budget, "machine": info, "configs": results, "results": json_rows, "table": table,
        "targets": {k: {"value": v, "op": op, "goal": g} for k, (v, op, g) in targets.items()},
        "open": {"n_files": n_open, "results": open_json, "table": open_table},
        "wall_s": time.perf_counter() - t_start,
    })
    print(f"\nwrote {path}  ({time.perf_counter() - t_start:.0f} s total)")


def _inflate_backend() -> str:
    import bwl

    b = bwl.build_info()
    return f"{b['inflate']} {b['inflate_version']}"


def main_shapes(a, t_start: float) -> None:
    """--shapes: issue 29's rows side by side in one run, each with its bound and targets."""
    paths, chroms = tracks("quick" if a.quick else "default")
    warm_page_cache(paths)
    indexes = [BlockIndex(p) for p in paths]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores before timing; {len(paths)} tracks, "
          f"{sum(os.path.getsize(p) for p in paths) / 2**20:,.0f} MiB", flush=True)
    B0, L0 = (256, 1000) if a.quick else (1024, 1000)
    first = bench_first_batch(paths, chroms, B0, L0, a.first_batch_runs)
    results = []
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        for cfg, summary, rep in (QUICK_SHAPES if a.quick else SHAPES):
            results.append(bench_config(cfg, paths * rep, chroms, indexes * rep, a, pool, summary=summary,
                                        peers=False))
    rows, targets = [], {}
    for r in results:
        med = {k: float(np.median(v)) for k, v in r["times_s"].items()}
        bound = next(v for k, v in med.items() if k.startswith("inflate bound"))
        one = med["inflate, 1 thread"]
        for name, sec in med.items():
            vs_bound = cpu_vs = ""
            if name.startswith("bwl"):
                vs_bound = f"{sec / (one if '1 thread' in name else bound):.2f}x"
                cpu_vs = f"{float(np.median(r['cpu_s'][name])) / one:.2f}x"
            rows.append([r["label"], name, sec, r["B"] * r["T"] / sec, f"{med['pyBigWig'] / sec:.2f}x", vs_bound,
                         cpu_vs])
        key = (r["L"], r["window"], r["T"], r["B"])
        bwl_cpu = float(np.median(r["cpu_s"]["bwl"]))
        if key == TARGET or (a.quick and key == QUICK_SHAPES[0][0]):
            targets[f"{r['label']}: vs pyBigWig"] = (med["pyBigWig"] / med["bwl"], ">=", 12.0)
            targets[f"{r['label']}: / inflate bound"] = (med["bwl"] / bound, "<=", 0.9)
        elif r["window"] > 1:
            targets[f"{r['label']}: / inflate bound"] = (med["bwl"] / bound, "<=", 1.5)
            targets[f"{r['label']}: vs pyBigWig"] = (med["pyBigWig"] / med["bwl"], ">=", 20.0)
        else:
            targets[f"{r['label']}: vs pyBigWig"] = (med["pyBigWig"] / med["bwl"], ">=", 10.0)
            targets[f"{r['label']}: CPU / 1-thread inflate"] = (bwl_cpu / one, "<=", 0.6)
    for name in ("second handle", "fresh process, out="):
        targets[f"first batch / steady ({name}, worst run)"] = (max(first["ratios"][name]), "<=", 1.1)
    print(f"\nmedian s/batch; {os.cpu_count()} cores; page cache warm; inflate backend "
          f"{_inflate_backend()}; load average {os.getloadavg()[0]:.1f} at the end")
    table = print_table(rows, ["config", "reader", "s/batch", "window-tracks/s", "vs pyBigWig",
                               "bwl / inflate bound", "bwl CPU / 1-thread inflate"])
    print("\nfirst batch / median steady batch, per run: " + "; ".join(
        f"{n}: {', '.join(f'{x:.2f}' for x in rs)}" for n, rs in first["ratios"].items()))
    print("first batch - steady batch, s, per run: " + "; ".join(
        f"{n}: {', '.join(f'{x:.3f}' for x in rs)}" for n, rs in first["first_minus_steady_s"].items()))
    print("\ntargets (issue 29):")
    for k, (v, op, goal) in targets.items():
        ok = v >= goal if op == ">=" else v <= goal
        print(f"  {k:<58} {v:6.2f}x  (target {op} {goal}x)  {'met' if ok else 'MISSED'}")
    info = machine_info(("bwl", "numpy", "pyBigWig", "deflate"))
    path = write_json("collection_shapes_quick" if a.quick else "collection_shapes", {
        "bench": "collection --shapes", "quick": a.quick, "chroms": chroms, "machine": info, "first_batch": first,
        "configs": results, "table": table, "wall_s": time.perf_counter() - t_start,
        "targets": {k: {"value": v, "op": op, "goal": g} for k, (v, op, g) in targets.items()}})
    print(f"\nwrote {path}  ({time.perf_counter() - t_start:.0f} s total)")


if __name__ == "__main__":
    main()
