"""Preload (issue 13): every block inflated at open, then batches at the
speed of memory.

For T tracks (the collection bench's pyBigWig-written tracks), it measures
the preload (seconds, decoded bytes, bytes per track per Gb of genome,
resident memory added), then B random 1 kb windows x T tracks per batch,
median of ``--batches`` new batches (each reader's back to back, after one
untimed batch), side by side:

- bwl preloaded (``Collection(decoded_cache=..., preload=True)``);
- bwl cold (no cache);
- pybigtools warm (handles that read the same batch once before: its
  per-handle block cache, the best case for it);
- the memory-speed bound: copying a batch-sized float32 array into an
  existing one (what writing the output costs at least).
"""
from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
from collection import tracks

from common import machine_info, print_table, require_peers, write_json


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    require_peers("pybigtools")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="20 Mb tracks (bench/data/collection_quick)")
    ap.add_argument("--tracks", type=int, default=8)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--batches", type=int, default=3)
    ap.add_argument("--budget-gib", type=float, default=8.0, help="decoded_cache for the preload (GiB)")
    a = ap.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # pybigtools' NaN default notice

    import pybigtools

    import bwl

    all_paths, chroms = tracks("quick" if a.quick else "default")
    paths = all_paths[: a.tracks]
    genome_gb = sum(s for _, s in chroms) / 1e9
    build = bwl.build_info()
    print(f"bwl {build['version']} (inflate {build['inflate']} {build['inflate_version']}), {os.cpu_count()} cores; "
          f"{a.tracks} tracks over {genome_gb:.3f} Gb, B={a.batch} x 1 kb", flush=True)

    r0 = rss_bytes()
    t0 = time.perf_counter()
    pre = bwl.Collection(paths, decoded_cache=int(a.budget_gib * 2**30), preload=True)
    preload_s = time.perf_counter() - t0
    held = pre.cache_info()["decoded_bytes"]
    rss_added = rss_bytes() - r0
    per_track_gb = held / a.tracks / genome_gb
    print(f"preload: {preload_s:.1f} s, {held / 2**20:,.0f} MiB decoded ({per_track_gb / 2**20:,.0f} MiB per track "
          f"per Gb), resident +{rss_added / 2**20:,.0f} MiB", flush=True)
    cold = bwl.Collection(paths)

    rng = np.random.default_rng(0)
    names = [c for c, _ in chroms]
    sizes = dict(chroms)
    L, B, T = 1000, a.batch, a.tracks

    def draw():
        cs = [names[i] for i in rng.integers(0, len(names), B)]
        st = np.array([rng.integers(0, sizes[c] - L) for c in cs])
        return cs, st, st + L

    # Each reader runs its batches back to back, after one untimed batch of
    # other windows: on this VM an idle core takes tens of ms to come back,
    # which a reader timed right after a single-threaded one would pay.
    batches = [draw() for _ in range(a.batches)]
    times = {k: [] for k in ("bwl preloaded", "bwl cold", "pybigtools warm", "memory fill bound")}
    out = np.empty((B, T, L), np.float32)
    src = np.ones((B, T, L), np.float32)
    for name, coll in (("bwl preloaded", pre), ("bwl cold", cold)):
        coll.values(*draw(), out=out)
        for cs, st, en in batches:
            t0 = time.perf_counter()
            coll.values(cs, st, en, out=out)
            times[name].append(time.perf_counter() - t0)
    cs, st, en = batches[0]
    assert np.array_equal(pre.values(cs, st, en), cold.values(cs, st, en), equal_nan=True)
    for cs, st, en in batches:
        hs = [pybigtools.open(p) for p in paths]
        for c, s, e in zip(cs, st.tolist(), en.tolist()):  # the untimed first read fills its caches
            for h in hs:
                h.values(c, s, e)
        t0 = time.perf_counter()
        for c, s, e in zip(cs, st.tolist(), en.tolist()):
            for h in hs:
                h.values(c, s, e)
        times["pybigtools warm"].append(time.perf_counter() - t0)
        for h in hs:
            h.close()
    np.copyto(out, src)
    for _ in batches:
        t0 = time.perf_counter()
        np.copyto(out, src)
        times["memory fill bound"].append(time.perf_counter() - t0)
    med = {k: float(np.median(v)) for k, v in times.items()}
    rows = [[k, v, B * T / v, med["pybigtools warm"] / v, v / med["memory fill bound"]] for k, v in med.items()]
    table = print_table(rows, ["reader", "s/batch", "window-tracks/s", "x pybigtools warm", "x memory bound time"])
    path = write_json("preload", {
        "params": vars(a), "bwl_build": build, "genome_gb": genome_gb, "preload_s": preload_s,
        "decoded_bytes": held, "bytes_per_track_per_gb": per_track_gb, "rss_added_bytes": rss_added,
        "times_s": times, "table": table, "machine": machine_info(("bwl", "numpy", "pybigtools"))})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
