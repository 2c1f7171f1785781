"""Stores (issue 26): one decoded copy per node, kept across runs.

Over T=32 of the loader bench's tracks (bench/data/loader, 150 Mb genome;
``--quick``: 10 Mb), side by side in one run:

- build: ``Collection(paths, store=DIR)`` on an empty DIR, against one cold
  pass over all blocks (``Collection(preload=True)``: every block inflated
  into memory) and the disk's write time;
- batches: B random 1 kb windows x 32 tracks from the store, from a
  preloaded collection, cold, and the memory-fill bound (writing the
  batch's output array on one core);
- a new process: open + first batch on the existing store, against a new
  process reading cold;
- memory: 3 processes each reading every block (tiles over the genome),
  summed PSS (proportional set size), with a store, with a preload each,
  and without either (the baseline subtracted from both);
- the Loader's first epoch in a second run (the store built by the first;
  epochs of 20 batches as ``bench/loader.py --epochs`` has them, and of
  100) against its torch DataLoader (2 workers) over pyBigWig + pyfaidx
  (1 kb, one-hot + signal, reverse complement);
- decoded bytes per track per Gb and build time, projected to 32 and 1,000
  tracks over hg38 (3.1 Gb).

    python bench/store.py [--quick] [--dir DIR]   # DIR default bench/data/store[-quick]

The build also runs in /dev/shm (``--no-shm`` skips it), and beside each
build the time to write its bytes there and sync them (a durable build
cannot be faster than the disk). A new process's first batch is timed as
users write it (a fresh output array) and with its output touched before,
each the median of 3 new processes (so is the Loader's second run):
the kernel zeroing a fresh 128 MiB array (and, on some runs, compacting
memory for its huge pages) is paid alike with or without a store.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import time
import warnings

import numpy as np
from loader import FULL, QUICK, baseline_dataset, make_data, random_windows, time_batches

from common import DATA_DIR, machine_info, print_table, require_peers, write_json

T = 32
HG38_GB = 3.1
SHM_DIR = "/dev/shm/bwl-bench-store"
TARGETS = {"pss": 1.2, "batch": 0.9, "first_batch": 10.0, "build": 1.2, "loader": 40.0}


def pss_bytes() -> int:
    with open("/proc/self/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no Pss in /proc/self/smaps_rollup")


def draw(chroms, L: int, B: int, rng):
    names = [c for c, _ in chroms]
    sizes = dict(chroms)
    cs = [names[i] for i in rng.integers(0, len(names), B)]
    st = np.array([rng.integers(0, sizes[c] - L) for c in cs])
    return cs, st, st + L


def tiles(chroms, L: int = 100_000, B: int = 64):
    """Batches of windows covering every chromosome (every block read)."""
    wins = [(c, s) for c, size in chroms for s in range(0, size - L + 1, L)]
    for i in range(0, len(wins), B):
        part = wins[i:i + B]
        st = np.array([s for _, s in part])
        yield [c for c, _ in part], st, st + L


def _pss_reader(kind: str, paths, store_dir: str, chroms, budget: int, barrier, q) -> None:
    import bwl

    if kind == "store":
        c = bwl.Collection(paths, store=store_dir)
    elif kind == "preload":
        c = bwl.Collection(paths, decoded_cache=budget, preload=True)
    else:
        c = bwl.Collection(paths)
    for ch, s, e in tiles(chroms):
        c.values(ch, s, e, window=100)
    barrier.wait()  # all three hold what they read: measure together
    q.put(pss_bytes())
    barrier.wait()


def pss_case(kind: str, paths, store_dir: str, chroms, budget: int, n: int = 3) -> int:
    ctx = mp.get_context("spawn")
    barrier, q = ctx.Barrier(n), ctx.Queue()
    ps = [ctx.Process(target=_pss_reader, args=(kind, paths, store_dir, chroms, budget, barrier, q)) for _ in range(n)]
    for p in ps:
        p.start()
    total = sum(q.get(timeout=1800) for _ in ps)
    for p in ps:
        p.join()
    return total


NEW_PROCESS = """
import json, sys, time, numpy as np, bwl
paths, store, L, B, chroms, touched = json.loads(sys.argv[1])
rng = np.random.default_rng(5)
names = [c for c, _ in chroms]; sizes = dict(chroms)
cs = [names[i] for i in rng.integers(0, len(names), B)]
st = np.array([rng.integers(0, sizes[c] - L) for c in cs])
out = np.ones((B, len(paths), L), np.float32) if touched else None  # the output's first touch done before
t0 = time.perf_counter()
c = bwl.Collection(paths, store=store) if store else bwl.Collection(paths)
t1 = time.perf_counter()
c.values(cs, st, st + L, out=out)
t2 = time.perf_counter()
print(json.dumps({"open_s": t1 - t0, "first_batch_s": t2 - t1}))
"""

SECOND_RUN = """
import json, sys, time, bwl
paths, store, fasta, chroms, L, B, n = json.loads(sys.argv[1])
sizes = dict(chroms)
t0 = time.perf_counter()
c = bwl.Collection(paths, store=store)
sampler = bwl.samplers.RandomRegions(sizes, length=L, chrom_sizes=sizes, seed=11)
ld = bwl.Loader(c, sampler, B, fasta=bwl.Fasta(fasta), default=0.0, reverse_complement=True,
                batches_per_epoch=n, seed=11)
t1 = time.perf_counter()
k = sum(1 for _ in ld)
t2 = time.perf_counter()
print(json.dumps({"open_s": t1 - t0, "epoch_s": t2 - t1, "per_batch_s": (t2 - t1) / k}))
"""


def run_child(code: str, *args) -> dict:
    r = subprocess.run([sys.executable, "-c", code, json.dumps(args)], capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def median_child(code: str, *args, n: int = 3) -> dict:
    runs = [run_child(code, *args) for _ in range(n)]
    return {k: float(np.median([r[k] for r in runs])) for k in runs[0]}


def disk_write_s(directory: str, nbytes: int) -> float:
    """Writing ``nbytes`` to a new file in ``directory`` and syncing it: what
    a durable build must wait for at least."""
    block = np.ones(64 << 20, np.uint8).tobytes()
    path = os.path.join(directory, "write-bound.tmp")
    t = time.perf_counter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        left = nbytes
        while left > 0:
            left -= os.write(fd, memoryview(block)[: min(left, len(block))])
        os.fdatasync(fd)
    finally:
        os.close(fd)
        os.unlink(path)
    return time.perf_counter() - t


def fs_type(path: str) -> str:
    try:
        return subprocess.run(["df", "-T", path], capture_output=True, text=True).stdout.splitlines()[1].split()[1]
    except (OSError, IndexError):
        return "?"


def main() -> None:
    require_peers("pyBigWig", "pyfaidx", "torch")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10 Mb genome, B=256")
    ap.add_argument("--dir", default=None, help="the store directory (emptied first)")
    ap.add_argument("--batch", type=int, default=None, help="B of the batch timings (default 1024; quick 256)")
    ap.add_argument("--batches", type=int, default=None, help="timed batches per reader (default 10; quick 5)")
    ap.add_argument("--budget-gib", type=float, default=8.0, help="decoded_cache of the preloaded collections")
    ap.add_argument("--no-shm", dest="shm", action="store_false", help="skip the build in /dev/shm")
    a = ap.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import torch

    import bwl

    spec = QUICK if a.quick else FULL
    chroms = spec["chroms"]
    B = a.batch or (256 if a.quick else 1024)
    n_batches = a.batches or (5 if a.quick else 10)
    budget = int(a.budget_gib * 2**30)
    fasta, all_paths = make_data(DATA_DIR / ("loader-quick" if a.quick else "loader"), chroms)
    paths = [str(p) for p in all_paths[:T]]
    store_dir = a.dir or str(DATA_DIR / ("store-quick" if a.quick else "store"))
    shutil.rmtree(store_dir, ignore_errors=True)
    os.makedirs(store_dir)
    genome_gb = sum(s for _, s in chroms) / 1e9
    build = bwl.build_info()
    print(f"bwl {build['version']} (inflate {build['inflate']} {build['inflate_version']}), {os.cpu_count()} cores; "
          f"T={T} tracks over {genome_gb * 1e3:.0f} Mb; store in {store_dir} ({fs_type(store_dir)})", flush=True)
    res: dict = {}
    rows = []

    # -- build, against one cold pass over all blocks and the disk's write time
    t = time.perf_counter()
    pre = bwl.Collection(paths, decoded_cache=budget, preload=True)
    res["preload_s"] = time.perf_counter() - t
    builds = {}
    for d in [store_dir] + ([SHM_DIR] if a.shm and os.path.isdir("/dev/shm") else []):
        shutil.rmtree(d, ignore_errors=True)
        t = time.perf_counter()
        st = bwl.Collection(paths, store=d)
        builds[d] = {"build_s": time.perf_counter() - t, "fs": fs_type(d)}
        entries = st.store.entries()
        file_bytes = sum(e.file_bytes for e in entries)
        builds[d]["write_bound_s"] = disk_write_s(d, file_bytes)
    if SHM_DIR in builds:
        shutil.rmtree(SHM_DIR, ignore_errors=True)
    st = bwl.Collection(paths, store=store_dir)
    entries = st.store.entries()
    data_bytes = sum(e.data_bytes for e in entries)
    file_bytes = sum(e.file_bytes for e in entries)
    per_track_gb = data_bytes / T / genome_gb
    res.update(builds=builds, data_bytes=data_bytes, file_bytes=file_bytes, bytes_per_track_per_gb=per_track_gb)
    res["build_s"] = builds[store_dir]["build_s"]
    print(f"one cold pass (preload) {res['preload_s']:.1f} s; {file_bytes / 2**20:,.0f} MiB on disk, "
          f"{per_track_gb / 2**20:,.0f} MiB decoded per track per Gb", flush=True)
    for b in builds.values():
        rows.append([f"build the store (32 tracks) on {b['fs']}", f"{b['build_s']:.2f} s",
                     f"{b['build_s'] / res['preload_s']:.2f}x one cold pass ({res['preload_s']:.2f} s); writing "
                     f"{file_bytes / 2**20:,.0f} MiB there durably {b['write_bound_s']:.2f} s", f"<= {TARGETS['build']}x"])

    # -- batches: store, preloaded, cold, memory bound
    cold = bwl.Collection(paths)
    rng = np.random.default_rng(0)
    readers = {"store": st, "preloaded": pre, "cold": cold}
    times: dict[str, list] = {k: [] for k in readers}
    for c in readers.values():
        c.values(*draw(chroms, 1000, B, rng))  # one untimed batch each
    for _ in range(n_batches):
        w = draw(chroms, 1000, B, rng)
        for k, c in readers.items():
            t = time.perf_counter()
            c.values(*w)
            times[k].append(time.perf_counter() - t)
    dst, src = np.empty((B, T, 1000), np.float32), np.ones((B, T, 1000), np.float32)
    np.copyto(dst, src)
    t = time.perf_counter()
    for _ in range(5):
        np.copyto(dst, src)
    fill = (time.perf_counter() - t) / 5
    batch = {k: float(np.median(v)) for k, v in times.items()}
    batch["memory fill bound (1 core)"] = fill
    res["batch_s"] = batch
    x = batch["preloaded"] / batch["store"]
    rows.append([f"batch B={B} x T={T} x 1 kb, store", f"{batch['store'] * 1e3:.1f} ms",
                 f"{x:.2f}x preloaded ({batch['preloaded'] * 1e3:.1f} ms); cold {batch['cold'] * 1e3:.0f} ms; "
                 f"memory fill {fill * 1e3:.1f} ms", f">= {TARGETS['batch']}x"])
    del pre, cold

    # -- a new process: open + first batch (median of 3 processes each)
    nps = {(k, touched): median_child(NEW_PROCESS, paths, store_dir if k == "store" else None, 1000, B, chroms, touched)
           for k in ("store", "cold") for touched in (False, True)}
    res["new_process"] = {f"{k}{' (output touched before)' if touched else ''}": v for (k, touched), v in nps.items()}
    for touched in (False, True):
        new_store, new_cold = nps["store", touched], nps["cold", touched]
        x = new_cold["first_batch_s"] / new_store["first_batch_s"]
        rows.append([f"new process, first batch, store{', output touched before' if touched else ''}",
                     f"{new_store['first_batch_s'] * 1e3:.1f} ms",
                     f"{x:.1f}x cold ({new_cold['first_batch_s'] * 1e3:.0f} ms); open {new_store['open_s'] * 1e3:.0f} ms "
                     f"vs {new_cold['open_s'] * 1e3:.0f} ms", f">= {TARGETS['first_batch']}x"])

    # -- memory: 3 processes reading every block
    print("PSS: 3 processes each, reading every block ...", flush=True)
    pss = {k: pss_case(k, paths, store_dir, chroms, budget) for k in ("none", "store", "preload")}
    res["pss_bytes"] = pss
    extra_store, extra_pre = pss["store"] - pss["none"], pss["preload"] - pss["none"]
    rows.append(["3 processes, summed PSS - no-store baseline", f"{extra_store / 2**20:,.0f} MiB",
                 f"{extra_store / data_bytes:.2f}x one decoded copy ({data_bytes / 2**20:,.0f} MiB); "
                 f"3 preloads {extra_pre / data_bytes:.2f}x", f"<= {TARGETS['pss']}x"])

    # -- the Loader's first epoch in a second run, against the torch baseline
    L, Bl = 1000, spec["B"]
    n = 5 if a.quick else 20
    wins = random_windows(chroms, L, Bl * 3, seed=7)
    dl = torch.utils.data.DataLoader(baseline_dataset(fasta, paths, wins, L, 1, rc=True), batch_size=Bl,
                                     num_workers=2)
    base = time_batches(dl, 1, 2)["per_batch_s"]
    del dl
    res["loader"] = {"baseline_per_batch_s": base, "B": Bl}
    for n_ep in (n, 5 * n):
        second = median_child(SECOND_RUN, paths, store_dir, str(fasta), chroms, L, Bl, n_ep)  # 3 processes
        res["loader"][f"second_run_{n_ep}_batches"] = second
        rows.append([f"Loader, 2nd run, 1st epoch of {n_ep} batches (B={Bl}, 1 kb, rc)",
                     f"{second['per_batch_s'] * 1e3:.1f} ms/batch",
                     f"{base / second['per_batch_s']:.0f}x torch DataLoader(2 workers) over pyBigWig+pyfaidx "
                     f"({base * 1e3:.0f} ms); open {second['open_s']:.2f} s", f">= {TARGETS['loader']}x"])

    # -- projections
    proj = {n_t: {"bytes": per_track_gb * HG38_GB * n_t,
                  "build_s": res["build_s"] / (T * genome_gb) * HG38_GB * n_t} for n_t in (32, 1000)}
    res["hg38_projection"] = proj
    for n_t, p in proj.items():
        rows.append([f"projected: {n_t} tracks over hg38", f"{p['bytes'] / 2**30:,.0f} GiB",
                     f"build ~{p['build_s'] / 60:,.1f} min on {os.cpu_count()} cores", ""])

    print(f"\nstores: T={T} tracks over {genome_gb * 1e3:.0f} Mb, {os.cpu_count()} cores, inflate {build['inflate']}, "
          f"DIR on {fs_type(store_dir)}")
    table = print_table(rows, ["case", "bwl", "side by side", "target"])
    path = write_json("store", {"bench": "store", "quick": a.quick, "bwl_build": build, "dir": store_dir,
                                "fs": fs_type(store_dir), "T": T, "genome_gb": genome_gb, "results": res,
                                "targets": TARGETS, "table": table,
                                "machine": machine_info(("bwl", "numpy", "torch", "pyBigWig", "pyfaidx"))})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
