"""The soak run shared by tests/test_soak.py (500 batches) and
bench/soak.py (10,000): many Loader batches in one process, with RSS,
descriptors and threads recorded at checkpoints; and its inputs
(bwl-written tracks of every section type and byte order, a random FASTA).
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence

import numpy as np

import bwl

SOAK_CHROMS = {"chr1": 3_000_000, "chr2": 1_500_000, "chrM": 16_569}


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def make_inputs(directory: str, n_tracks: int, chroms: dict[str, int] = SOAK_CHROMS, seed: int = 11,
                fasta: bool = True) -> tuple[list[str], str | None]:
    """bedGraph tracks (~1 item per 20 bp, random gaps) and a random FASTA,
    written once into ``directory`` (kept if already there)."""
    os.makedirs(directory, exist_ok=True)
    paths = []
    for t in range(n_tracks):
        p = os.path.join(directory, f"track_{t:03d}.bw")
        paths.append(p)
        if os.path.exists(p):
            continue
        rng = np.random.default_rng(seed + t)
        kind = ("bedGraph", "variableStep", "fixedStep")[t % 3]
        iv = {}
        for c, n in chroms.items():
            k = n // 20
            if kind == "bedGraph":  # random lengths and gaps
                lens = rng.integers(1, 30, k)
                s = np.cumsum(rng.integers(0, 15, k) + np.r_[0, lens[:-1]])
                e = s + lens
            elif kind == "variableStep":  # span 10, random gaps
                s = np.cumsum(10 + rng.integers(0, 20, k))
                e = s + 10
            else:  # step 20, span 15
                s = np.arange(k) * 20 + 7
                e = s + 15
            keep = e <= n
            iv[c] = (s[keep], e[keep], rng.normal(1, 2, int(keep.sum())).astype(np.float32))
        tmp = p + ".tmp"
        bwl.write(tmp, chroms, iv, type=kind, endian="big" if t % 4 == 3 else "little", compress=t % 5 != 4)
        os.replace(tmp, p)
    fa = None
    if fasta:
        fa = os.path.join(directory, "genome.fa")
        if not os.path.exists(fa):
            rng = np.random.default_rng(seed)
            with open(fa + ".tmp", "w") as fh:
                for c, n in chroms.items():
                    fh.write(f">{c}\n")
                    seq = np.frombuffer(b"ACGTacgtN", np.uint8)[rng.integers(0, 9, n)].tobytes().decode()
                    for i in range(0, n, 60):
                        fh.write(seq[i:i + 60] + "\n")
            os.replace(fa + ".tmp", fa)
    return paths, fa


def soak(paths: Sequence[str], fasta: str | None, batches: int, batch_size: int = 8, length: int = 2000,
         batches_per_epoch: int = 500, max_open_files: int | None = None, reuse_buffers: bool = False,
         checkpoints: int = 10, threads: int = 2, verbose: bool = False) -> list[dict]:
    """Runs ``batches`` Loader batches; returns one row per checkpoint:
    batch, seconds, rss_mb, fds, bwl_fds, threads (the first row: after the
    first batch, the warm-up; the last: after the last batch and the
    Loader's teardown)."""
    old_limit = bwl._core.max_open_files()
    if max_open_files:
        bwl.set_max_open_files(max_open_files)
    try:
        col = bwl.Collection(list(paths), threads=threads)
        fa = bwl.Fasta(fasta) if fasta else None
        sampler = bwl.samplers.RandomRegions(col.chroms(), length, col.chroms(), seed=3)
        loader = bwl.Loader(col, sampler, batch_size=batch_size, fasta=fa, window=1, prefetch=2,
                            batches_per_epoch=batches_per_epoch, reverse_complement=True, default=0.0,
                            reuse_buffers=reuse_buffers, seed=5)
        marks = sorted({1} | {max(1, batches * k // checkpoints) for k in range(1, checkpoints + 1)})
        rows: list[dict] = []
        done = 0
        t0 = time.perf_counter()
        checksum = 0.0

        def mark():
            rows.append(dict(batch=done, seconds=round(time.perf_counter() - t0, 2), rss_mb=round(rss_mb(), 1),
                             fds=open_fds(), bwl_fds=bwl.open_file_count(), threads=threading.active_count()))
            if verbose:
                print(rows[-1], flush=True)

        epoch = 0
        while done < batches:
            loader.set_epoch(epoch)
            it = iter(loader)
            for b in it:
                # consume the batch like a training step would
                checksum += float(b.values[:, :, :: max(1, length // 16)].sum())
                if b.sequence is not None:
                    assert b.sequence.shape == (batch_size, length, 4)
                done += 1
                if done in marks and done < batches:
                    mark()
                if done >= batches:
                    break
            it.close()  # stops the prefetch thread when we leave mid-epoch
            epoch += 1
        del it, loader
        mark()
        rows[-1]["checksum"] = checksum
        return rows
    finally:
        bwl.set_max_open_files(old_limit)


def summarize(rows: list[dict]) -> dict:
    first, last = rows[0], rows[-1]
    tenth = rows[min(1, len(rows) - 1)]
    return dict(batches=last["batch"], seconds=last["seconds"], rss_start_mb=first["rss_mb"],
                rss_tenth_mb=tenth["rss_mb"], rss_middle_mb=rows[len(rows) // 2]["rss_mb"], rss_end_mb=last["rss_mb"],
                rss_growth_after_tenth_mb=round(last["rss_mb"] - tenth["rss_mb"], 1),
                fds_start=first["fds"], fds_end=last["fds"], threads_start=first["threads"],
                threads_end=last["threads"], batches_per_s=round(last["batch"] / max(last["seconds"], 1e-9), 1))
