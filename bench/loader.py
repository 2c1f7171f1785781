"""End-to-end training batches: bwl vs a torch Dataset over pyBigWig + pyfaidx.

Each batch is B=256 random windows: one-hot sequence (B, L, 4) float32 and
the signal of 64 tracks (B, 64, L / window) float32, missing data = 0.

- L = 1 kb, window = 1 (per-base signal)
- L = 102,400 bp (~100 kb, 800 bins), window = 128 (mean of covered bases)

Readers:

- ``pyBigWig+pyfaidx``: what users write today. A map-style torch Dataset
  whose ``__getitem__`` returns one window (one-hot via a numpy lookup table
  on the pyfaidx string; ``pyBigWig.values(numpy=True)`` per track, nanmean
  over bins for window=128), file handles opened lazily in each worker,
  under ``DataLoader(batch_size=256, num_workers=2, shuffle=True)`` with the
  default collate.
- ``bwl Loader``: ``bwl.Loader(..., prefetch=2)`` iterated directly
  (and with ``prefetch=0``: the time to build one batch in the caller).
- ``bwl BigWigDataset``: ``bwl.torch.BigWigDataset`` under
  ``DataLoader(batch_size=None, num_workers=0)``.

Before timing, both readers' outputs are checked equal on the same windows.
Then the overlap: a consumer that sleeps a fixed time per step (standing in
for a GPU step as long as one batch takes to build) and the mean time it
waits in ``next()`` with prefetch=2 vs prefetch=0.

    python bench/loader.py            # 150 Mb genome, 64 tracks (generated once, ~1 min)
    python bench/loader.py --quick    # 10 Mb genome, B=64, few batches
    python bench/loader.py --recipes  # only docs/recipes.md's loaders (examples/recipes.py's data)

Recipes: the Borzoi-like loader (32 kb windows, 32 bp summed bins,
squashed, strand pairs) and the BPNet-like one (2,114 bp at summits,
negatives, strand pairs) over one epoch each, prefetch=2, windows/s; the
BPNet-like windows also through the pyBigWig+pyfaidx DataLoader (2 workers;
base-resolution counts, no strand swap: its reading cost).

Epochs (``--epochs``, issue 13): 32 of the tracks, one-hot + signal, half the
windows reverse-complemented, B=256, at 1 kb and at 100 kb with 128 bp bins:

- the baseline above (2 workers), doing the same reverse complement;
- bwl cold: the first epoch of a fresh Collection (nothing decoded yet);
- bwl next epoch, preloaded: ``Collection(decoded_cache=..., preload=True)``
  (preload time and decoded bytes printed), one full epoch, then the next
  one (other windows) timed;
- bwl next epoch with ``decoded_cache`` only (no preload: the next epoch's
  windows mostly need blocks the first epoch did not read);
- the physical bound: copying a batch's signal and one-hot arrays into
  existing ones on one core (writing the output at memory speed).

    python bench/loader.py --epochs [--quick]

Data is cached in bench/data/loader/ (quick: bench/data/loader-quick/).
"""
from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np

from common import DATA_DIR, import_example, machine_info, print_table, require_peers, timeit, write_json

FULL = {"chroms": [("chr1", 90_000_000), ("chr2", 60_000_000)], "B": 256}
QUICK = {"chroms": [("chr1", 6_000_000), ("chr2", 4_000_000)], "B": 64}
N_TRACKS = 64
CONFIGS = [  # (name, L, window)
    ("1kb", 1_000, 1),
    ("100kb", 102_400, 128),
]


# -- input ------------------------------------------------------------------
def write_fasta(path: Path, chroms, seed: int = 0, width: int = 60) -> None:
    """Random ACGT (a little lowercase and a few N runs), 60 bases a line."""
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGTacgtN", np.uint8)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        for name, size in chroms:
            idx = rng.integers(0, 4, size, dtype=np.uint8)
            idx[rng.random(size) < 0.1] += 4                     # ~10% soft-masked
            for s in rng.integers(0, size - 1000, max(1, size // 1_000_000)):
                idx[s:s + 1000] = 8                              # 1 kb of N per Mb
            seq = letters[idx]
            full = size // width * width
            lines = np.concatenate([seq[:full].reshape(-1, width), np.full((full // width, 1), ord("\n"), np.uint8)], 1)
            body = lines.tobytes() + (seq[full:].tobytes() + b"\n" if full < size else b"")
            f.write(f">{name}\n".encode())
            f.write(body)
    tmp.rename(path)


def write_track(path: Path, chroms, seed: int) -> int:
    """bedGraph items of 1-199 bp, ~10 per kb, ~30% followed by a gap."""
    import bwl

    rng = np.random.default_rng(seed)
    data = {}
    n_total = 0
    for name, size in chroms:
        n = size // 100 + 1000
        step = rng.integers(1, 200, n)
        starts = np.concatenate(([0], np.cumsum(step[:-1])))
        gap = np.where(rng.random(n) < 0.3, rng.integers(0, step), 0)
        ends = np.maximum(starts + step - gap, starts + 1)
        keep = ends <= size
        starts, ends = starts[keep], ends[keep]
        vals = rng.gamma(1.0, 2.0, len(starts)).astype(np.float32)
        data[name] = (starts, ends, vals)
        n_total += len(starts)
    tmp = path.with_suffix(".tmp")
    bwl.write(tmp, dict(chroms), data)
    tmp.rename(path)
    return n_total


def make_data(root: Path, chroms) -> tuple[Path, list[Path]]:
    root.mkdir(parents=True, exist_ok=True)
    fasta = root / "genome.fa"
    paths = [root / f"track{t:02d}.bw" for t in range(N_TRACKS)]
    t0 = time.perf_counter()
    if not fasta.exists():
        write_fasta(fasta, chroms)
        print(f"wrote {fasta} ({fasta.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.0f} s", flush=True)
    todo = [p for p in paths if not p.exists()]
    n = sum(write_track(p, chroms, seed=100 + paths.index(p)) for p in todo)
    if todo:
        mib = sum(p.stat().st_size for p in paths) / 2**20
        print(f"wrote {len(todo)} tracks ({n:,} intervals, {mib:.0f} MiB in all) in {time.perf_counter() - t0:.0f} s",
              flush=True)
    return fasta, paths


# -- what users write today ---------------------------------------------------------
def _onehot_lut(n_value: float = 0.25) -> np.ndarray:
    lut = np.full((256, 4), n_value, np.float32)
    for i, c in enumerate("ACGT"):
        lut[ord(c)] = lut[ord(c.lower())] = np.eye(4, dtype=np.float32)[i]
    return lut


def baseline_dataset(fasta, paths, windows, L: int, window: int, default: float = 0.0, rc: bool = False):
    import torch

    class PyBigWigDataset(torch.utils.data.Dataset):
        """One window per item: (one-hot (L, 4), signal (T, L // window));
        with ``rc``, odd items reverse-complemented (sequence and signal)."""

        def __init__(self) -> None:
            self.chroms, self.starts = windows
            self.lut = _onehot_lut()
            self.fa = self.bws = None  # opened lazily, once per worker process

        def __len__(self) -> int:
            return len(self.starts)

        def _open(self) -> None:
            import pyBigWig
            import pyfaidx
            self.fa = pyfaidx.Fasta(str(fasta), as_raw=True, sequence_always_upper=False)
            self.bws = [pyBigWig.open(str(p)) for p in paths]

        def __getitem__(self, i: int):
            if self.bws is None:
                self._open()
            c, s = str(self.chroms[i]), int(self.starts[i])
            seq = self.fa[c][s:s + L]
            onehot = self.lut[np.frombuffer(seq.encode("ascii"), np.uint8)]
            sig = np.empty((len(self.bws), L // window), np.float32)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # nanmean of an all-NaN bin
                for t, bw in enumerate(self.bws):
                    v = bw.values(c, s, s + L, numpy=True)
                    if window > 1:
                        v = np.nanmean(v.reshape(-1, window), axis=1)
                    sig[t] = np.nan_to_num(v, nan=default)
            if rc and i % 2:
                onehot, sig = np.ascontiguousarray(onehot[::-1, ::-1]), np.ascontiguousarray(sig[:, ::-1])
            return torch.from_numpy(onehot), torch.from_numpy(sig)

    return PyBigWigDataset()


def random_windows(chroms, L: int, n: int, seed: int):
    """n windows uniform over the genome (what RandomRegions draws)."""
    rng = np.random.default_rng(seed)
    sizes = np.array([s for _, s in chroms], np.int64)
    ci = rng.choice(len(chroms), n, p=sizes / sizes.sum())
    starts = (rng.random(n) * (sizes[ci] - L + 1)).astype(np.int64)
    return np.array([c for c, _ in chroms])[ci], starts


# -- bwl -----------------------------------------------------------------------
def bwl_loader(fasta, paths, chroms, L, window, B, n_batches, prefetch=2, seed=0):
    import bwl

    coll = bwl.Collection([str(p) for p in paths])
    sizes = dict(chroms)
    sampler = bwl.samplers.RandomRegions(sizes, length=L, chrom_sizes=sizes, seed=seed)
    return bwl.Loader(coll, sampler, B, fasta=bwl.Fasta(str(fasta)), window=window, default=0.0,
                      prefetch=prefetch, batches_per_epoch=n_batches)


def bwl_dataloader(fasta, paths, chroms, L, window, B, n_batches):
    import functools

    import torch

    import bwl.torch

    ds = bwl.torch.BigWigDataset(functools.partial(bwl_loader, fasta, paths, chroms, L, window, B, n_batches))
    return torch.utils.data.DataLoader(ds, batch_size=None, num_workers=0)


def check_equal(fasta, paths, chroms, L, window, n=8) -> None:
    """bwl and the baseline give the same sequence and signal on the same windows."""
    import bwl

    wc, ws = random_windows(chroms, L, n, seed=123)
    ds = baseline_dataset(fasta, paths, (wc, ws), L, window)
    ref = [ds[i] for i in range(n)]
    coll = bwl.Collection([str(p) for p in paths])
    vals = coll.values(wc, ws, ws + L, window=window, default=0.0)
    seq = bwl.Fasta(str(fasta)).onehot(wc, ws, ws + L)
    np.testing.assert_array_equal(seq, np.stack([r[0].numpy() for r in ref]), err_msg="one-hot differs")
    np.testing.assert_allclose(vals, np.stack([r[1].numpy() for r in ref]), rtol=1e-5, atol=1e-5,
                               err_msg="signal differs")


# -- timing -------------------------------------------------------------------
def time_batches(iterable, warm: int, n: int, sleep: float = 0.0) -> dict:
    """Skip ``warm`` batches, then time ``n``. With ``sleep``, the consumer
    sleeps that long after each batch; ``wait_s`` is the time spent in next()."""
    it = iter(iterable)
    for _ in range(warm):
        next(it)
        time.sleep(sleep)
    waits = []
    t0 = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        next(it)
        waits.append(time.perf_counter() - t)
        time.sleep(sleep)
    total = time.perf_counter() - t0
    del it
    return {"total_s": total, "per_batch_s": total / n, "wait_s": waits, "mean_wait_s": float(np.mean(waits))}


def run_config(name, L, window, a, fasta, paths, chroms) -> tuple[list, dict]:
    import torch

    B = a.batch_size
    warm, n = (2, a.n_batches) if L <= 10_000 else (2, a.n_batches_long)
    n_bwl = max(n, a.n_bwl_batches if L <= 10_000 else a.n_bwl_batches_long)
    t0 = time.perf_counter()
    check_equal(fasta, paths, chroms, L, window)
    print(f"[{name}] check: bwl == pyBigWig+pyfaidx on 8 windows ({time.perf_counter() - t0:.1f} s)", flush=True)

    res = {}
    # what users write today
    wins = random_windows(chroms, L, B * (warm + n + 8), seed=1)
    ds = baseline_dataset(fasta, paths, wins, L, window)
    dl = torch.utils.data.DataLoader(ds, batch_size=B, num_workers=a.workers, shuffle=True)
    res["pyBigWig+pyfaidx"] = time_batches(dl, warm, n)
    del dl
    print(f"[{name}] pyBigWig+pyfaidx: {res['pyBigWig+pyfaidx']['per_batch_s']:.3f} s/batch", flush=True)
    res["bwl Loader prefetch=2"] = time_batches(bwl_loader(fasta, paths, chroms, L, window, B, warm + n_bwl), warm, n_bwl)
    res["bwl Loader prefetch=0"] = time_batches(bwl_loader(fasta, paths, chroms, L, window, B, warm + n_bwl, prefetch=0),
                                                warm, n_bwl)
    res["bwl BigWigDataset"] = time_batches(bwl_dataloader(fasta, paths, chroms, L, window, B, warm + n_bwl), warm, n_bwl)

    base = res["pyBigWig+pyfaidx"]["per_batch_s"]
    rows = []
    for reader, r in res.items():
        r["samples_per_s"] = B / r["per_batch_s"]
        r["speedup"] = base / r["per_batch_s"]
        setup = (f"DataLoader(B={B}, workers={a.workers})" if reader.startswith("py") else
                 "DataLoader(batch_size=None, workers=0)" if "Dataset" in reader else "iterate Loader")
        rows.append([name, reader, setup, r["samples_per_s"], r["per_batch_s"] * 1e3, f"{r['speedup']:.1f}x"])
        r.pop("wait_s")

    # where bwl's time goes: the two C++ calls of one batch, alone
    ld = bwl_loader(fasta, paths, chroms, L, window, B, 1)
    wc, ws, we = ld.sampler.batch(B, 10_000)
    ld.collection.values(wc, ws, we, window=window, default=0.0)
    parts = {"values_s": timeit(lambda: ld.collection.values(wc, ws, we, window=window, default=0.0), 3) / 3,
             "onehot_s": timeit(lambda: ld.fasta.onehot(wc, ws, we), 3) / 3}
    print(f"[{name}] bwl per batch: Collection.values {parts['values_s'] * 1e3:.0f} ms, "
          f"Fasta.onehot {parts['onehot_s'] * 1e3:.0f} ms", flush=True)

    # overlap: a consumer busy (asleep) for as long as one batch takes to build
    build = res["bwl Loader prefetch=0"]["per_batch_s"]
    n_over = a.n_overlap if L <= 10_000 else max(4, a.n_overlap // 2)
    over = {"sleep_s": build, "steps": n_over}
    for pf in (2, 0):
        r = time_batches(bwl_loader(fasta, paths, chroms, L, window, B, warm + n_over, prefetch=pf),
                         warm, n_over, sleep=build)
        over[f"prefetch={pf}"] = {"mean_wait_s": r["mean_wait_s"], "max_wait_s": max(r["wait_s"]),
                                  "step_s": r["per_batch_s"]}
    print(f"[{name}] done in {time.perf_counter() - t0:.0f} s", flush=True)
    return rows, {"config": name, "L": L, "window": window, "B": B, "warm": warm, "n_baseline": n,
                  "n_bwl": n_bwl, "readers": res, "bwl_parts": parts, "overlap": over}


def bench_recipes(a) -> None:
    """docs/recipes.md's two loaders, one epoch each, and the peer on the BPNet-like windows."""
    import torch

    recipes = import_example("recipes")

    root = DATA_DIR / "recipes"
    root.mkdir(parents=True, exist_ok=True)
    data = recipes.make_data(str(root))
    rows, res = [], {}
    for name, make in (("Borzoi-like", lambda: recipes.borzoi_like(data, batch_size=8, batches_per_epoch=16)),
                       ("BPNet-like", lambda: recipes.bpnet_like(data, batch_size=64))):
        ld = make()
        next(iter(ld))  # warm-up: page cache, threads
        t0 = time.perf_counter()
        n = sum(len(b.starts) for b in ld)
        dt = time.perf_counter() - t0
        L = int(ld.sampler.length)
        res[name] = {"windows": n, "seconds": dt, "windows_per_s": n / dt, "L": L, "batch_size": ld.batch_size}
        rows.append([name, f"{L:,}", "bwl Loader (prefetch=2)", n / dt, dt / len(ld) * 1e3, ""])
        if name == "BPNet-like":  # the same windows through the peer
            wins = [ld.sampler.batch(ld.batch_size, i) for i in range(len(ld))]
            ds = baseline_dataset(data["fasta"], [data["plus"], data["minus"]],
                                  (np.concatenate([w[0] for w in wins]), np.concatenate([w[1] for w in wins])), L, 1)
            dl = torch.utils.data.DataLoader(ds, batch_size=ld.batch_size, num_workers=a.workers)
            t0 = time.perf_counter()
            m = sum(len(x[0]) for x in dl)
            bdt = time.perf_counter() - t0
            res[name]["peer_windows_per_s"] = m / bdt
            rows.append([name, f"{L:,}", f"pyBigWig+pyfaidx DataLoader ({a.workers} workers)", m / bdt,
                         bdt / len(dl) * 1e3, f"bwl {(n / dt) / (m / bdt):.1f}x faster"])
    print(f"\nrecipes (docs/recipes.md), one epoch each, {os.cpu_count()} CPUs")
    table = print_table(rows, ["recipe", "L", "reader", "windows/s", "ms/batch", "note"])
    path = write_json("loader_recipes", {"bench": "loader --recipes", "machine": machine_info(("bwl", "numpy", "torch")),
                                         "results": res, "table": table})
    print(f"\nwrote {path}")


# -- issue 13: epochs ------------------------------------------------------------
def bench_epochs(a, fasta, paths, chroms) -> None:
    """The Loader over epochs: T=32 tracks, one-hot + signal + reverse
    complement, against the torch DataLoader baseline and the memory bound."""
    import torch

    import bwl

    T, B = 32, a.batch_size
    paths = [str(p) for p in paths[:T]]
    sizes = dict(chroms)
    genome_gb = sum(sizes.values()) / 1e9
    build = bwl.build_info()
    print(f"epochs: B={B}, T={T}, one-hot + signal + reverse complement, {genome_gb * 1e3:.0f} Mb genome; "
          f"bwl inflate {build['inflate']} {build['inflate_version']}, {os.cpu_count()} CPUs", flush=True)
    t0 = time.perf_counter()
    pre = bwl.Collection(paths, decoded_cache=int(a.budget_gib * 2**30), preload=True)
    preload_s = time.perf_counter() - t0
    held = pre.cache_info()["decoded_bytes"]
    print(f"preload: {preload_s:.1f} s, {held / 2**20:,.0f} MiB decoded "
          f"({held / T / genome_gb / 2**20:,.0f} MiB per track per Gb)", flush=True)
    rows, out = [], []
    for name, L, window in CONFIGS:
        if a.only and name != a.only:
            continue
        n = a.epoch_batches if L <= 10_000 else max(2, a.epoch_batches // 5)
        n_base = max(2, n // 4) if L <= 10_000 else 2
        res = {}

        # what users write today: the same work (half the windows reverse-complemented)
        wins = random_windows(chroms, L, B * (n_base + 1), seed=7)
        dl = torch.utils.data.DataLoader(baseline_dataset(fasta, paths, wins, L, window, rc=True), batch_size=B,
                                         num_workers=a.workers)
        res["pyBigWig+pyfaidx DataLoader"] = time_batches(dl, 1, n_base)
        del dl
        print(f"[epochs {name}] baseline: {res['pyBigWig+pyfaidx DataLoader']['per_batch_s']:.2f} s/batch", flush=True)

        def loader(coll, seed=0):
            sampler = bwl.samplers.RandomRegions(sizes, length=L, chrom_sizes=sizes, seed=seed)
            return bwl.Loader(coll, sampler, B, fasta=bwl.Fasta(str(fasta)), window=window, default=0.0,
                              reverse_complement=True, batches_per_epoch=n, seed=seed)

        def epoch(ld, e):
            ld.set_epoch(e)
            t = time.perf_counter()
            k = sum(1 for _ in ld)
            dt = time.perf_counter() - t
            return {"per_batch_s": dt / k, "total_s": dt}

        res["bwl cold (epoch 0, nothing decoded)"] = epoch(loader(bwl.Collection(paths), seed=1), 0)
        ld = loader(pre, seed=2)
        epoch(ld, 0)  # one full epoch first
        res["bwl next epoch (preloaded)"] = epoch(ld, 1)
        ld = loader(bwl.Collection(paths, decoded_cache=int(a.budget_gib * 2**30)), seed=3)
        epoch(ld, 0)
        res["bwl next epoch (decoded_cache, no preload)"] = epoch(ld, 1)

        # the physical bound: writing a batch's arrays at memory speed (into existing ones)
        bins = L // window
        dst = (np.empty((B, T, bins), np.float32), np.empty((B, L, 4), np.float32))
        src = (np.ones_like(dst[0]), np.ones_like(dst[1]))
        np.copyto(dst[0], src[0]), np.copyto(dst[1], src[1])
        reps = 5
        t = time.perf_counter()
        for _ in range(reps):
            np.copyto(dst[0], src[0])
            np.copyto(dst[1], src[1])
        res["memory fill bound (1 core)"] = {"per_batch_s": (time.perf_counter() - t) / reps}

        base = res["pyBigWig+pyfaidx DataLoader"]["per_batch_s"]
        for reader, r in res.items():
            r["samples_per_s"] = B / r["per_batch_s"]
            r["x_baseline"] = base / r["per_batch_s"]
            r.pop("wait_s", None)
            rows.append([name, reader, r["samples_per_s"], r["per_batch_s"] * 1e3, f"{r['x_baseline']:.1f}x"])
        out.append({"config": name, "L": L, "window": window, "B": B, "T": T, "batches_per_epoch": n,
                    "baseline_batches": n_base, "readers": res})
    print(f"\nLoader epochs: B={B}, T={T}, one-hot + signal, reverse complement, random windows, {os.cpu_count()} CPUs; "
          f"baseline: torch DataLoader({a.workers} workers) over pyBigWig + pyfaidx")
    table = print_table(rows, ["L", "reader", "samples/s", "ms/batch", "vs baseline"])
    path = write_json("loader_epochs", {
        "bench": "loader --epochs", "quick": a.quick, "bwl_build": build, "preload_s": preload_s,
        "decoded_bytes": held, "bytes_per_track_per_gb": held / T / genome_gb, "results": out, "table": table,
        "machine": machine_info(("bwl", "numpy", "torch", "pyBigWig", "pyfaidx"))})
    print(f"\nwrote {path}")


def main() -> None:
    require_peers("pyBigWig", "pyfaidx", "torch")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10 Mb genome, B=64, few batches")
    ap.add_argument("--batch-size", type=int, default=None, help="default 256 (quick: 64)")
    ap.add_argument("--workers", type=int, default=2, help="DataLoader workers for the baseline")
    ap.add_argument("--n-batches", type=int, default=None, help="timed baseline batches at 1 kb (default 20)")
    ap.add_argument("--n-batches-long", type=int, default=None, help="timed baseline batches at 100 kb (default 4)")
    ap.add_argument("--n-overlap", type=int, default=None, help="steps of the overlap test at 1 kb (default 20; half at 100 kb)")
    ap.add_argument("--only", choices=[c[0] for c in CONFIGS], default=None)
    ap.add_argument("--recipes", action="store_true", help="only the recipes of docs/recipes.md")
    ap.add_argument("--epochs", action="store_true",
                    help="only the Loader over epochs: T=32, reverse complement, cold / next epoch / memory bound")
    ap.add_argument("--epoch-batches", type=int, default=None, help="batches per epoch at 1 kb (default 20; 100 kb: 1/5)")
    ap.add_argument("--budget-gib", type=float, default=8.0, help="decoded_cache of the preloaded collection (GiB)")
    a = ap.parse_args()
    if a.recipes:
        bench_recipes(a)
        return
    spec = QUICK if a.quick else FULL
    a.batch_size = a.batch_size or spec["B"]
    a.n_batches = a.n_batches or (6 if a.quick else 20)
    a.n_batches_long = a.n_batches_long or (2 if a.quick else 4)
    a.n_bwl_batches, a.n_bwl_batches_long = (10, 4) if a.quick else (40, 10)
    a.n_overlap = a.n_overlap or (8 if a.quick else 20)
    a.epoch_batches = a.epoch_batches or (5 if a.quick else 20)
    chroms = spec["chroms"]

    t_start = time.perf_counter()
    info = machine_info(("bwl", "numpy", "torch", "pyBigWig", "pyfaidx"))
    fasta, paths = make_data(DATA_DIR / ("loader-quick" if a.quick else "loader"), chroms)
    if a.epochs:
        bench_epochs(a, fasta, paths, chroms)
        return
    rows, out = [], []
    for name, L, window in CONFIGS:
        if a.only and name != a.only:
            continue
        r, o = run_config(name, L, window, a, fasta, paths, chroms)
        rows += r
        out.append(o)

    genome_mb = sum(s for _, s in chroms) / 1e6
    print(f"\nbatches of (one-hot (B, L, 4), signal (B, {N_TRACKS}, L/window)) float32, B={a.batch_size}, "
          f"random windows over a {genome_mb:.0f} Mb genome, {N_TRACKS} bigWig tracks (~10 items/kb), "
          f"{os.cpu_count()} CPUs")
    table = print_table(rows, ["L", "reader", "setup", "samples/s", "ms/batch", "vs pyBigWig"])
    orows = []
    for o in out:
        ov = o["overlap"]
        for pf in (2, 0):
            orows.append([o["config"], f"prefetch={pf}", ov["sleep_s"] * 1e3, ov[f"prefetch={pf}"]["mean_wait_s"] * 1e3,
                          ov[f"prefetch={pf}"]["max_wait_s"] * 1e3, ov[f"prefetch={pf}"]["step_s"] * 1e3])
    print("\noverlap: the consumer sleeps one batch's build time (prefetch=0) per step; "
          "wait = time in next() (bwl Loader, after 2 warm-up steps)")
    otable = print_table(orows, ["L", "loader", "sleep ms/step", "mean wait ms", "max wait ms", "ms/step"])
    info["loadavg_1m_end"] = os.getloadavg()[0]
    path = write_json("loader", {
        "bench": "loader", "quick": a.quick, "chroms": chroms, "tracks": N_TRACKS, "batch_size": a.batch_size,
        "workers": a.workers, "machine": info, "results": out, "table": table, "overlap_table": otable,
        "wall_s": time.perf_counter() - t_start,
    })
    print(f"\nwrote {path}  ({time.perf_counter() - t_start:.0f} s total)")


if __name__ == "__main__":
    main()
