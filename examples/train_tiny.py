"""Train a tiny sequence -> signal model with bwl, on CPU, in under a minute.

    python examples/train_tiny.py [--steps 300] [--data DIR]

It first writes a toy dataset: a random 2 Mb genome (FASTA) and 8 bigWig
tracks computed from that sequence (GC content at four smoothing widths,
four motif densities). A small Conv1d net then learns to predict the tracks
from one-hot DNA. Data flows Loader -> BigWigDataset -> DataLoader exactly
as it would for real files; swap in your own FASTA and bigWig paths.
Exits non-zero if the loss did not clearly go down.
"""
from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time

import numpy as np
import torch
from torch import nn

import bwl
import bwl.torch

CHROMS = {"chr1": 1_200_000, "chr2": 800_000}
MOTIFS = ["CG", "TA", "AAT", "GATA"]    # densities, counted on both strands
GC_WIDTHS = [16, 32, 64, 128]           # GC content smoothed over these widths
BIN = 16                                # tracks are stored as 16 bp bedGraph items
L, WINDOW, CROP = 1024, 16, 8           # 1 kb windows, 16 bp bins, predict the central 48


def smooth(x: np.ndarray, width: int) -> np.ndarray:
    return np.convolve(x, np.ones(width) / width, mode="same")


def make_data(root: str) -> tuple[str, list[str]]:
    """Random genome + 8 tracks derived from it. Returns (fasta, bigwigs)."""
    rng = np.random.default_rng(0)
    seqs = {}
    for name, size in CHROMS.items():
        gc = np.repeat(rng.uniform(0.3, 0.7, size // 10_000 + 1), 10_000)[:size]  # regional GC bias
        strong = rng.random(size) < gc                        # G/C here, else A/T
        base = strong * 2 + rng.integers(0, 2, size)          # 0 A, 1 T, 2 C, 3 G
        seqs[name] = np.frombuffer(b"ATCG", np.uint8)[base].tobytes().decode()
    fasta = os.path.join(root, "genome.fa")
    with open(fasta, "w") as f:
        for name, s in seqs.items():
            f.write(f">{name}\n" + "\n".join(s[i:i + 60] for i in range(0, len(s), 60)) + "\n")

    rc = str.maketrans("ACGT", "TGCA")
    tracks = {f"gc{w}": {} for w in GC_WIDTHS} | {m: {} for m in MOTIFS}
    for name, s in seqs.items():
        per_base = {f"gc{w}": smooth(np.isin(list(s), ["G", "C"]), w) for w in GC_WIDTHS}
        for m in MOTIFS:
            hits = np.zeros(len(s))
            for motif in {m, m.translate(rc)[::-1]}:  # both strands: reverse complement is a symmetry
                hits[find_all(s, motif) + len(motif) // 2] += 1
            per_base[m] = smooth(hits, 64)
        starts = np.arange(0, len(s) // BIN * BIN, BIN)
        for key, v in per_base.items():
            binned = v[: len(starts) * BIN].reshape(-1, BIN).mean(1)
            tracks[key][name] = (starts, starts + BIN, binned)
    paths = []
    for key, data in tracks.items():
        allv = np.concatenate([v for _, _, v in data.values()])
        mean, std = (allv.mean() if key.startswith("gc") else 0.0), allv.std()
        for name, (st, en, v) in data.items():  # unit variance; motif tracks are sparse: zero bins are
            keep = v > 1e-6 if key in MOTIFS else slice(None)  # left out and read back as default=0
            data[name] = (st[keep], en[keep], ((v - mean) / std)[keep])
        paths.append(os.path.join(root, f"{key}.bw"))
        bwl.write(paths[-1], CHROMS, data)
    return fasta, paths


def find_all(s: str, motif: str) -> np.ndarray:
    out, i = [], s.find(motif)
    while i >= 0:
        out.append(i)
        i = s.find(motif, i + 1)
    return np.asarray(out, dtype=np.int64)


def make_loader(fasta: str, paths: list[str], batch_size: int, steps: int) -> bwl.Loader:
    # Called inside each DataLoader worker (or here when num_workers=0): files are opened there.
    coll = bwl.Collection(paths)
    sizes = coll.chroms()
    sampler = bwl.samplers.RandomRegions(sizes, length=L, chrom_sizes=sizes, seed=1)  # whole genome
    return bwl.Loader(coll, sampler, batch_size, fasta=bwl.Fasta(fasta), window=WINDOW, target_crop=CROP,
                      reverse_complement=True, default=0.0, batches_per_epoch=steps, prefetch=2)


class TinyNet(nn.Module):
    """One-hot (B, L, 4) -> signal (B, T, L/16 - 2*CROP): convolutions, pooled to 16 bp bins."""

    def __init__(self, n_tracks: int, ch: int = 32) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(4, ch, 12, stride=4, padding=4), nn.GELU(),  # motif detectors, 4 bp steps
            nn.Conv1d(ch, ch, 5, padding=2), nn.GELU(),
            nn.AvgPool1d(WINDOW // 4),                             # 16 bp bins, as the targets
            nn.Conv1d(ch, ch, 5, padding=2), nn.GELU(),            # context of ~100 bp
            nn.Conv1d(ch, n_tracks, 1),
        )

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        return self.body(seq.transpose(1, 2))[:, :, CROP:-CROP]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--workers", type=int, default=0, help="DataLoader workers (0: bwl prefetches in a thread)")
    ap.add_argument("--data", default=None, help="folder for the toy files (default: a temporary one)")
    a = ap.parse_args()
    torch.manual_seed(0)
    # A model this small gains nothing from more torch threads, and on a small
    # CPU they would fight bwl's prefetch threads (OpenMP stalls when preempted).
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = a.data or tmp
        os.makedirs(root, exist_ok=True)
        fasta, paths = make_data(root)
        print(f"toy data: {len(paths)} tracks over {sum(CHROMS.values()) / 1e6:.0f} Mb in {time.perf_counter() - t0:.1f} s")

        ds = bwl.torch.BigWigDataset(functools.partial(make_loader, fasta, paths, a.batch_size, a.steps))
        dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=a.workers)  # items are whole batches
        model = TinyNet(len(paths))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
        losses = []
        for step, batch in enumerate(dl):
            pred = model(batch["sequence"])
            loss = nn.functional.mse_loss(pred, batch["values"])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if step % 25 == 0 or step == a.steps - 1:
                print(f"step {step:4d}  loss {np.mean(losses[-25:]):.4f}")

    first, last = np.mean(losses[:10]), np.mean(losses[-25:])
    print(f"loss {first:.4f} -> {last:.4f} in {len(losses)} steps, {time.perf_counter() - t0:.1f} s total")
    if not last < 0.5 * first:
        print("FAIL: the loss did not go down", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
