"""One file, one region per call: bwl vs pyBigWig vs pybigtools.

Times ``values(chrom, start, end)`` on seeded random 1 kb windows of a
pyBigWig-written file with human-sized chr1/chr2 (~10 bedGraph intervals
per kb, zlib-compressed blocks, zoom levels), and bwl built against zlib vs
bwl's own inflate (the default build) so the inflate's share is measured.

    python bench/single_file.py            # full size (file cached in bench/data/)
    python bench/single_file.py --quick    # smoke run: small file, few windows
    python bench/single_file.py --rebuild  # rebuild the zlib copy of bwl first

Each reader runs in its own subprocess (``--worker NAME``), first to dump
its values on a sample of windows (checked equal across readers, NaN==NaN),
then to time them; the parent prints one table and writes
bench/results/single_file.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from common import BENCH_DIR, DATA_DIR, machine_info, print_table, require_peers, timeit, write_json
from support.tracks import make_track

REPO = BENCH_DIR.parent
ZLIB_DIR = BENCH_DIR / "build-zlib"
HUMAN = [("chr1", 248_956_422), ("chr2", 242_193_529)]
QUICK = [("chr1", 12_000_000), ("chr2", 8_000_000)]
WINDOW = 1000
READERS = ["pyBigWig", "pybigtools", "bwl-zlib", "bwl"]


# -- input ------------------------------------------------------------------
def make_file(path: Path, chroms) -> None:
    """The bench file: support.tracks.make_track's bedGraph track written by
    pyBigWig (~10 intervals per kb, lengths 1..199 bp, ~30% followed by a
    gap, random float32-exact values), seed 1, 200,000 items per chunk."""
    n_total = make_track(str(path), chroms, seed=1, chunk=200_000)
    print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB, {n_total:,} intervals)", flush=True)


def distinct_block_windows(chroms, seed: int, tile: int = 600_000):
    """One window per ``tile`` bp, starting in the tile's first half, shuffled:
    consecutive windows are >= tile/2 apart, wider than a pyBigWig block
    (~2,700 items, ~270 kb here), so every call needs a block not read before."""
    rng = np.random.default_rng(seed)
    out = [(name, t + int(rng.integers(0, tile // 2 - WINDOW)), 0)
           for name, size in chroms for t in range(0, size - tile, tile)]
    out = [(c, s, s + WINDOW) for c, s, _ in out]
    return [out[i] for i in rng.permutation(len(out))]


def windows(chroms, n: int, seed: int):
    rng = np.random.default_rng(seed)
    sizes = np.array([s for _, s in chroms], dtype=np.float64)
    ci = rng.choice(len(chroms), size=n, p=sizes / sizes.sum())
    out = []
    for i in ci:
        name, size = chroms[i]
        s = int(rng.integers(0, size - WINDOW))
        out.append((name, s, s + WINDOW))
    return out


# -- the zlib copy of bwl -------------------------------------------------------
def build_zlib(rebuild: bool) -> None:
    if ZLIB_DIR.exists() and not rebuild:
        return
    shutil.rmtree(ZLIB_DIR, ignore_errors=True)
    cmd = [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "-q",
           "--target", str(ZLIB_DIR), ".", "-C", "cmake.define.BWL_INFLATE=ZLIB",
           "-C", "build-dir=build/zlib"]
    print("building bwl with zlib:", " ".join(cmd[2:]), flush=True)
    subprocess.run(cmd, cwd=REPO, check=True)
    (ZLIB_DIR / ".gitignore").write_text("*\n")  # keep the build out of git status


# -- worker (one reader per process) -------------------------------------------
def open_reader(name: str, path: str):
    """Return (values(c, s, e) callable, info dict) for one reader."""
    if name == "pyBigWig":
        import pyBigWig
        f = pyBigWig.open(path)
        from importlib.metadata import version
        return (lambda c, s, e: f.values(c, s, e, numpy=True)), {"inflate": "zlib", "version": version("pyBigWig")}
    if name == "pybigtools":
        import warnings

        import pybigtools
        # 0.3 warns once about its NaN default; NaN is what we compare against.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        f = pybigtools.open(path)
        return (lambda c, s, e: f.values(c, s, e)), {"inflate": "libdeflate", "version": pybigtools.__version__}
    if name.startswith("bwl"):
        if name == "bwl-zlib":
            sys.path.insert(0, str(ZLIB_DIR))  # this worker process reads with the zlib build of bwl
        import bwl
        info = bwl.build_info()
        want = "zlib" if name == "bwl-zlib" else "bwl"  # the installed copy: bwl's own inflate
        assert info["inflate"] == want, f"{name}: build_info()={info} from {bwl.__file__}"
        f = bwl.open(path)
        return (lambda c, s, e: f.values(c, s, e)), {"inflate": info["inflate"], "version": info["version"],
                                                      "module": bwl.__file__}
    raise SystemExit(f"unknown reader {name}")


def worker(a) -> None:
    chroms = [tuple(x) for x in json.loads(a.chroms)]
    wins = windows(chroms, a.n, a.seed)
    values, info = open_reader(a.worker, a.file)
    if a.mode == "check":
        sample = wins[: a.check]
        np.save(a.out, np.stack([np.asarray(values(*w), dtype=np.float32) for w in sample]))
        print(json.dumps(info))
        return

    def run_all():
        for c, s, e in wins:
            values(c, s, e)

    run_all()  # warm up once (page cache, lazy index loads)
    times = [timeit(run_all, 1) for _ in range(a.repeat)]

    # Uncached: a fresh handle per pass, each call on a block it has not read
    # yet, so a reader's own block cache (pybigtools keeps every inflated
    # block) cannot help; the OS page cache is warm for all readers.
    fresh = distinct_block_windows(chroms, a.seed)
    cold = []
    for _ in range(a.repeat):
        values, _ = open_reader(a.worker, a.file)
        cold.append(timeit(lambda: [values(c, s, e) for c, s, e in fresh], 1))
    print(json.dumps({**info, "n": len(wins), "times_s": times, "n_uncached": len(fresh),
                      "uncached_times_s": cold}))


def run_worker(name: str, mode: str, a, chroms, out: str = "") -> dict:
    cmd = [sys.executable, __file__, "--worker", name, "--mode", mode, "--file", str(a.file),
           "--chroms", json.dumps(chroms), "--n", str(a.n), "--seed", str(a.seed),
           "--repeat", str(a.repeat), "--check", str(a.check), "--out", out]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit(f"worker {name} ({mode}) failed")
    return json.loads(r.stdout.strip().splitlines()[-1])


# -- parent -------------------------------------------------------------------
def main() -> None:
    require_peers("pyBigWig", "pybigtools")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small file, 2,000 windows")
    ap.add_argument("--rebuild", action="store_true", help="rebuild bench/build-zlib")
    ap.add_argument("--n", type=int, default=None, help="windows per timed pass (default 20,000; quick 2,000)")
    ap.add_argument("--repeat", type=int, default=5, help="timed passes per reader; best is reported")
    ap.add_argument("--check", type=int, default=500, help="windows compared across readers")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--file", default=None, help="use this bigWig instead of the generated one")
    # worker-only
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="time", help=argparse.SUPPRESS)
    ap.add_argument("--chroms", help=argparse.SUPPRESS)
    ap.add_argument("--out", default="", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        return worker(a)

    t_start = time.perf_counter()
    a.n = a.n or (2_000 if a.quick else 20_000)
    if a.file is None:
        chroms = QUICK if a.quick else HUMAN
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        a.file = DATA_DIR / ("quick.bw" if a.quick else "human_chr1_chr2.bw")
        if not a.file.exists():
            t0 = time.perf_counter()
            make_file(a.file, chroms)
            print(f"generated in {time.perf_counter() - t0:.0f} s", flush=True)
    else:
        import pyBigWig
        chroms = list(pyBigWig.open(str(a.file)).chroms().items())
    chroms = [list(c) for c in chroms]
    build_zlib(a.rebuild)

    # same values from every reader, NaN == NaN
    with tempfile.TemporaryDirectory() as tmp:
        got = {}
        for name in READERS:
            out = os.path.join(tmp, f"{name}.npy")
            run_worker(name, "check", a, chroms, out)
            got[name] = np.load(out)
        ref = got["pyBigWig"]
        assert np.isfinite(ref).any() and np.isnan(ref).any(), "sample has no data or no gaps"
        for name, v in got.items():
            np.testing.assert_array_equal(v, ref, err_msg=f"{name} differs from pyBigWig")
    print(f"check: {len(READERS)} readers agree on {a.check} windows "
          f"({np.isnan(ref).mean():.0%} NaN)", flush=True)

    res = {name: run_worker(name, "time", a, chroms) for name in READERS}
    def per_call(r, key, n):
        return min(r[key]) / r[n]

    base = per_call(res["pyBigWig"], "times_s", "n")
    base_u = per_call(res["pyBigWig"], "uncached_times_s", "n_uncached")
    rows, out_rows = [], []
    for name in READERS:
        r = res[name]
        per = per_call(r, "times_s", "n")
        per_u = per_call(r, "uncached_times_s", "n_uncached")
        rows.append([name, r["inflate"], 1 / per, per * 1e6, f"{base / per:.2f}x",
                     per_u * 1e6, f"{base_u / per_u:.2f}x"])
        out_rows.append({"reader": name, **r, "calls_per_s": 1 / per, "us_per_call": per * 1e6,
                         "speedup_vs_pyBigWig": base / per, "uncached_us_per_call": per_u * 1e6,
                         "uncached_speedup_vs_pyBigWig": base_u / per_u})
    f_mib = os.path.getsize(a.file) / 2**20
    print(f"\nvalues() of {WINDOW} bp random windows, {a.n:,} calls x best of {a.repeat}, "
          f"{Path(a.file).name} ({f_mib:.0f} MiB), one reader per process")
    table = print_table(rows, ["reader", "inflate", "calls/s", "us/call", "vs pyBigWig",
                               "uncached us/call", "uncached vs pyBigWig"])
    print(f"uncached: {res['pyBigWig']['n_uncached']} windows, each on a block not yet read "
          "by a fresh handle (pybigtools caches inflated blocks per handle; the others do not)")
    info = machine_info()
    info["packages"]["bwl"] = res["bwl"]["version"]
    path = write_json("single_file", {
        "bench": "single_file", "file": str(a.file), "file_mib": f_mib, "chroms": chroms,
        "window": WINDOW, "n": a.n, "repeat": a.repeat, "seed": a.seed, "quick": a.quick,
        "checked_windows": a.check, "machine": info, "results": out_rows, "table": table,
        "wall_s": time.perf_counter() - t_start,
    })
    print(f"\nwrote {path}  ({time.perf_counter() - t_start:.0f} s total)")


if __name__ == "__main__":
    main()
