"""Two training-data recipes of the field, as bwl Loaders (docs/recipes.md).

    python examples/recipes.py [--data DIR] [--epochs 1]

- **Borzoi / Enformer-like**: long windows (here 32,768 bases, Borzoi's is
  524,288) with 32 bp bins *summed* (coverage counts), squashed with
  ``pow=0.75`` then soft-clipped, the central bins only (``target_crop``),
  random reverse complement with the +/- strand tracks of a stranded assay
  swapped (``strand_pairs``).
- **BPNet / chrombpnet-like**: base-resolution counts on windows centred on
  peak summits with jitter, plus negatives from outside the peaks at a
  ratio (``PeakRegions``), +/- strand tracks swapped on reverse complement.

It writes a small dataset (a random 3 Mb genome, a stranded pair of count
tracks and one unstranded track, a narrowPeak file), runs each recipe for
``--epochs``, checks what the recipe promises on every batch (exits non-zero
otherwise) and prints windows/s. Swap in your own files.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

import bwl
from bwl.regions import read_peaks
from bwl.samplers import PeakRegions, RandomRegions

CHROMS = {"chr1": 1_800_000, "chr2": 1_200_000}


def make_data(root: str) -> dict:
    """FASTA, three tracks (plus, minus, dnase) and peaks; returns their paths."""
    rng = np.random.default_rng(0)
    fasta = os.path.join(root, "genome.fa")
    with open(fasta, "w") as fh:
        for c, n in CHROMS.items():
            seq = np.array(list("ACGT"))[rng.integers(0, 4, n)]
            fh.write(f">{c}\n")
            fh.writelines("".join(seq[i:i + 80]) + "\n" for i in range(0, n, 80))
    peaks = {c: np.sort(rng.choice(np.arange(5_000, n - 5_000, 2_000), 60, replace=False)) for c, n in CHROMS.items()}
    tracks = {}
    for name, strand in (("plus", 1), ("minus", -1), ("dnase", 0)):
        iv = {}
        for c, n in CHROMS.items():
            starts = np.arange(0, n, 50)
            counts = rng.poisson(0.2, len(starts)).astype(float)
            for p in peaks[c]:  # signal at peaks; the strands lean to opposite sides of the summit
                k = (p + 25 * strand) // 50
                counts[max(k - 3, 0):k + 4] += rng.poisson(30, len(counts[max(k - 3, 0):k + 4]))
            keep = counts > 0
            iv[c] = (starts[keep], np.minimum(starts[keep] + 50, n), counts[keep])
        tracks[name] = os.path.join(root, f"{name}.bw")
        bwl.write(tracks[name], CHROMS, iv)
    peak_path = os.path.join(root, "peaks.narrowPeak")
    with open(peak_path, "w") as fh:
        for c, ps in peaks.items():
            for p in ps:
                fh.write(f"{c}\t{p - 150}\t{p + 150}\t.\t0\t.\t1\t1\t1\t150\n")
    return {"fasta": fasta, "peaks": peak_path, **tracks}


def borzoi_like(data: dict, batch_size: int = 4, batches_per_epoch: int = 8) -> bwl.Loader:
    """Long windows, 32 bp sum-pooled bins, squashed and soft-clipped, the
    centre kept, reverse complement with strand pairs."""
    tracks = bwl.Collection([data["plus"], data["minus"], data["dnase"]])
    L, window, crop = 32_768, 32, 64  # 1024 bins, 896 kept (Borzoi: 524,288 / 32 / 5,120 bins cropped)
    return bwl.Loader(
        tracks, RandomRegions(tracks.chroms(), L, tracks.chroms(), seed=1), batch_size,
        fasta=bwl.Fasta(data["fasta"]), window=window, summary="sum", target_crop=crop, default=0.0,
        transform=bwl.Transform(pow=0.75, soft_clip=384.0, clip=768.0),
        reverse_complement=True, strand_pairs=[("plus", "minus")],
        batches_per_epoch=batches_per_epoch, seed=1, layout="BLT")


def bpnet_like(data: dict, batch_size: int = 32) -> bwl.Loader:
    """Base-resolution counts around summits (+/- 64 bp jitter), 10%
    negatives, reverse complement with strand pairs."""
    tracks = bwl.Collection([data["plus"], data["minus"]])
    peaks = PeakRegions(data["peaks"], 2_114, tracks.chroms(), jitter=64, negatives=0.1, seed=2)
    return bwl.Loader(tracks, peaks, batch_size, fasta=bwl.Fasta(data["fasta"]), default=0.0,
                      reverse_complement=True, strand_pairs=[(0, 1)], seed=2)


def check_borzoi(ld: bwl.Loader, b: bwl.Batch) -> None:
    """Each bin is the transformed sum of its 32 bases (strands swapped and
    reversed on reverse-complemented windows)."""
    crop = ld.target_crop * ld.window
    per_base = ld.collection.values(b.chroms, b.starts + crop, b.ends - crop, default=0.0)  # (B, T, L')
    B, T, n = per_base.shape
    sums = per_base.astype(np.float64).reshape(B, T, n // ld.window, ld.window).sum(-1)
    rev = b.reverse
    sums[rev] = sums[rev][:, [1, 0, 2], ::-1]  # plus <-> minus, reversed
    v = np.sign(sums) * np.abs(sums) ** 0.75
    v = np.where(v > 384, 384 + np.sqrt(np.maximum(v - 384, 0)), v)
    want = np.clip(v, -768, 768).astype(np.float32)
    got = np.asarray(b.values).transpose(0, 2, 1)  # BLT -> BTL
    assert np.allclose(got, want, rtol=1e-5, atol=1e-4), "Borzoi-like bins differ from their definition"
    assert b.sequence.shape == (B, b.ends[0] - b.starts[0], 4)


def check_bpnet(ld: bwl.Loader, b: bwl.Batch, summits: set) -> int:
    """Windows are summits +/- jitter or negatives; returns how many are peaks."""
    centre = b.starts + (b.ends - b.starts) // 2
    near = [any(abs(int(m) - s) <= 64 for s in summits.get(str(c), ())) for c, m in zip(b.chroms, centre)]
    fwd = ld.collection.values(b.chroms, b.starts, b.ends, default=0.0)
    fwd[b.reverse] = fwd[b.reverse][:, ::-1, ::-1]  # strands swapped, reversed
    assert np.array_equal(np.asarray(b.values), fwd), "BPNet-like counts differ from the tracks"
    return int(np.sum(near))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=None, help="folder for the generated files (default: a temporary one)")
    ap.add_argument("--epochs", type=int, default=1)
    a = ap.parse_args()
    root = a.data or tempfile.mkdtemp(prefix="bwl-recipes-")
    data = make_data(root)

    ld = borzoi_like(data)
    t0, n = time.perf_counter(), 0
    for epoch in range(a.epochs):
        ld.set_epoch(epoch)
        for b in ld:
            check_borzoi(ld, b)
            n += len(b.starts)
    dt = time.perf_counter() - t0
    print(f"Borzoi-like: {n} windows of {ld.sampler.length:,} bp -> values {tuple(b.values.shape)} "
          f"(B, bins, T), sequence {tuple(b.sequence.shape)}; {n / dt:,.0f} windows/s with the checks")

    ld = bpnet_like(data)
    pc, _, _, summit = read_peaks(data["peaks"])
    summits = {}
    for c, s in zip(pc, summit):
        summits.setdefault(str(c), []).append(int(s))
    t0, n, at_peaks = time.perf_counter(), 0, 0
    for epoch in range(a.epochs):
        ld.set_epoch(epoch)
        for b in ld:
            at_peaks += check_bpnet(ld, b, summits)
            n += len(b.starts)
    dt = time.perf_counter() - t0
    peaks_per_epoch = len(pc)
    print(f"BPNet-like: {n} windows of {b.ends[0] - b.starts[0]:,} bp -> values {tuple(b.values.shape)}, "
          f"{at_peaks} at summits +/- 64 (peaks: {peaks_per_epoch} per epoch); {n / dt:,.0f} windows/s with the checks")
    if not peaks_per_epoch * a.epochs <= at_peaks <= n:
        print("BPNet-like: not every peak was seen once per epoch", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
