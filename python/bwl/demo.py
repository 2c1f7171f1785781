"""``bwl demo``: a small genome and a dozen tracks made with bwl's own
writer, then the training Loader running over them.

Offline and self-contained; the files go to a cache folder and are reused.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

CHROMS = {"chr1": 1_500_000, "chr2": 1_000_000, "chrX": 500_000}
N_TRACKS = 12
KINDS = ("bedGraph", "variableStep", "fixedStep")


def cache_dir(override: str | None = None) -> Path:
    """Where demo data lives: ``override``, else $BWL_CACHE/demo, else ~/.cache/bwl/demo."""
    if override:
        return Path(override)
    base = os.environ.get("BWL_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "bwl")
    return Path(base) / "demo"


def _genome(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random sequence with GC-rich islands (the signal follows them), soft-masked stretches and N gaps."""
    seqs = {}
    for name, n in CHROMS.items():
        gc = np.repeat(rng.choice([0.35, 0.65], n // 5000 + 1, p=[0.7, 0.3]), 5000)[:n]
        r = rng.random(n)
        base = np.where(r < gc, np.where(rng.random(n) < 0.5, 1, 2), np.where(rng.random(n) < 0.5, 0, 3))
        s = np.frombuffer(b"ACGT", np.uint8)[base]
        s[: n // 100] = ord("N")  # an assembly gap at the start
        mask = np.repeat(rng.random(n // 1000 + 1) < 0.1, 1000)[:n]
        s[mask] |= 0x20  # lowercase: soft-masked repeats
        seqs[name] = s
    return seqs


def _track(seq: np.ndarray, k: int, kind: str, rng: np.random.Generator):
    """Signal = smoothed GC content x a per-track gain + noise, binned as `kind` can encode."""
    step = 25 if kind == "fixedStep" else 50
    upper = seq & ~np.uint8(0x20)
    gc = ((upper == ord("C")) | (upper == ord("G"))).astype(np.float32)
    n = len(seq) // step * step
    binned = gc[:n].reshape(-1, step).mean(1)
    value = np.maximum(0, (binned - 0.4) * (2 + k) + rng.normal(0, 0.05, len(binned))).astype(np.float32)
    starts = np.arange(0, n, step, dtype=np.int64)
    keep = value > 0.02 if kind != "fixedStep" else np.ones(len(value), bool)
    return starts[keep], starts[keep] + step, value[keep]


def make_data(folder: Path) -> tuple[Path, list[Path]]:
    """Writes genome.fa and track*.bw into ``folder`` unless they are there already."""
    import bwl

    folder.mkdir(parents=True, exist_ok=True)
    fasta = folder / "genome.fa"
    tracks = [folder / f"track{k:02d}_{KINDS[k % 3]}.bw" for k in range(N_TRACKS)]
    if fasta.exists() and all(p.exists() for p in tracks):
        return fasta, tracks
    rng = np.random.default_rng(0)
    seqs = _genome(rng)
    tmp = fasta.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        for name, s in seqs.items():
            fh.write(f">{name}\n".encode())
            raw = s.tobytes()
            fh.write(b"\n".join(raw[i:i + 60] for i in range(0, len(raw), 60)) + b"\n")
    tmp.replace(fasta)
    for k, path in enumerate(tracks):
        data = {c: _track(seqs[c], k, KINDS[k % 3], rng) for c in CHROMS}
        bwl.write(path.with_suffix(".tmp"), CHROMS, data, type=KINDS[k % 3])
        path.with_suffix(".tmp").replace(path)
    return fasta, tracks


def run(folder: str | None = None, batches: int = 300, batch_size: int = 64, length: int = 2048) -> int:
    """The demo. Returns an exit code."""
    from tqdm import tqdm

    import bwl
    from bwl._table import table

    where = cache_dir(folder)
    b = bwl.build_info()
    print(f"bwl {b['version']}: CPU inflate {b['inflate']} {b['inflate_version']}, "
          f"CUDA kernels {'yes' if b['cuda'] else 'no'}" + (f"\n  note: {b['notes']}" if b["notes"] else ""))
    t0 = time.perf_counter()
    fasta_path, tracks = make_data(where)
    print(f"example genome and {len(tracks)} bigWig tracks in {where} ({time.perf_counter() - t0:.1f} s)\n")

    rows = []
    for p in tracks[:3]:
        with bwl.open(p) as f:
            h = f.header()
            rows.append((p.name, h["sectionCount"], len(h["zoomLevels"]), f"{h['nBasesCovered']:,}"))
    print(table(rows, ["track (first 3)", "sections", "zoom levels", "bases covered"]), "\n")

    t0 = time.perf_counter()
    collection = bwl.Collection(tracks, store=where / "store")  # decoded once; the next run maps it
    print(f"store {where / 'store'}: {len(collection.store.entries())} tracks decoded and mapped "
          f"({time.perf_counter() - t0:.1f} s; a second run maps them at once)\n")
    fasta = bwl.Fasta(fasta_path)
    sizes = collection.chroms()
    sampler = bwl.samplers.RandomRegions(sizes, length, sizes, fasta=fasta, max_n_fraction=0.1, seed=0)
    loader = bwl.Loader(collection, sampler, batch_size, fasta=fasta, window=16, reverse_complement=True,
                        default=0.0, batches_per_epoch=batches, prefetch=2)
    print(f"bwl.Loader: {batches} batches of {batch_size} windows x {len(tracks)} tracks x {length} bp "
          f"(sequence one-hot + signal, 16 bp bins, reverse complement)")
    t0 = time.perf_counter()
    first = None
    for batch in tqdm(loader, total=len(loader), unit="batch"):
        if first is None:
            first = batch
    dt = time.perf_counter() - t0
    print(f"\n{batches * batch_size / dt:,.0f} samples/s  "
          f"(values {first.values.shape} {first.values.dtype}, sequence {first.sequence.shape})")

    try:
        from bwl.plot import plot_tracks

        i = 0
        c, s = str(first.chroms[i]), int(first.starts[i])
        png = plot_tracks(np.repeat(first.values[i], 16, axis=-1)[:6], [p.stem for p in tracks[:6]],
                          f"batch 0, window 0: {c}:{s:,}-{s + length:,}" + (" (reverse complement)" if first.reverse[i] else ""),
                          str(where / "demo_batch.png"), start=s, sequence=first.sequence[i])
        print(f"picture of one window (sequence and 6 tracks): {png}")
    except ImportError as e:
        print(f"(no picture: {e})")
    print("\nnext: `bwl info FILE`, `bwl plot FILE --region chr1:0-5000 -o x.png`, examples/train_tiny.py")
    return 0
