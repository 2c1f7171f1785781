"""The Python-API clients' calls, one case per run: ``python api_cases.py
CASE DATA_DIR OUT.npz`` (with the real pyBigWig) or ``python -m bwl.pybigwig
api_cases.py CASE DATA_DIR OUT.npz`` (on bwl). Each case saves what the
client returned (tensors as numpy arrays, data frames as columns) to one
.npz, plus the name of the pyBigWig module that served it.

The clients read bigWigs through pyBigWig only in these releases:
tangermeme <= 0.5.1 (io.extract_loci, match.extract_matching_loci; from
1.0 on it reads with pybigtools, later figwig) and bpnet-lite <= 0.9.1
(io.PeakGenerator over tangermeme's extract_loci; from 0.9.2 on it passes
arguments that only tangermeme >= 1.0 takes); grelu 1.1 reads them with
pyBigWig (io.bigwig.read_bigwig, data.dataset.BigWigSeqDataset).
"""
from __future__ import annotations

import os
import sys

import numpy as np


def _np(x):
    try:
        import torch

        if isinstance(x, torch.Tensor):
            return x.detach().cpu().numpy()
    except ImportError:
        pass
    return np.asarray(x)


def _frame(prefix: str, df) -> dict:
    out = {}
    for c in df.columns:
        v = df[c].to_numpy()
        out[f"{prefix}.{c}"] = v.astype(str) if v.dtype == object else v
    return out


def tangermeme_extract_loci(d: str) -> dict:
    """extract_loci: sequences, two signal bigWigs, a control bigWig, jitter,
    a locus whose window runs off a chromosome (dropped); then summits."""
    from tangermeme.io import extract_loci

    out = {}
    X, y, X_ctl = extract_loci(loci=os.path.join(d, "peaks.bed"), sequences=os.path.join(d, "genome.fa"),
                               signals=[os.path.join(d, "a.bw"), os.path.join(d, "b.bw")],
                               in_signals=[os.path.join(d, "ctl.bw")], in_window=1000, out_window=400,
                               max_jitter=32)
    out.update(X=_np(X), y=_np(y), X_ctl=_np(X_ctl))
    X2, y2, kept = extract_loci(loci=[os.path.join(d, "peaks.bed"), os.path.join(d, "negatives.bed")],
                                sequences=os.path.join(d, "genome.fa"),
                                signals=[os.path.join(d, "plus.bw"), os.path.join(d, "minus.bw"),
                                         os.path.join(d, "c.bw")],
                                chroms=["chr1", "chr2", "chr3"], in_window=800, out_window=800, summits=True,
                                min_counts=1, return_filtered=True)
    out.update(X2=_np(X2), y2=_np(y2), kept=_np(kept))
    return out


def tangermeme_matching_loci(d: str) -> dict:
    """extract_matching_loci with a bigWig: `values(chrom, 0, -1)` over whole
    chromosomes in joblib worker processes; the count generators
    (stats(type="sum", exact=True) per locus, and the buffered values(chrom, 0, -1))."""
    from tangermeme import match

    out = {}
    df = match.extract_matching_loci(os.path.join(d, "peaks.bed"), os.path.join(d, "genome.fa"),
                                     in_window=1000, out_window=400, bigwig=os.path.join(d, "a.bw"),
                                     signal_beta=0.5, random_state=0, n_jobs=2)
    out.update(_frame("matched", df.reset_index(drop=True)))
    rng = np.random.default_rng(1)
    coords = []
    for c, size in (("chr1", 400_000), ("chr2", 250_000), ("chr3", 120_000), ("chrM", 16_569), ("chrX", 1000)):
        for s in np.sort(rng.integers(0, size - 600, 60)):
            coords.append((c, int(s), int(s) + int(rng.integers(1, 600))))
    for bw in ("a", "b", "c"):
        for buffer in (False, True):
            out[f"counts.{bw}.{buffer}"] = match._counts_from_coords(os.path.join(d, f"{bw}.bw"), coords,
                                                                     buffer=buffer)
    return out


def bpnetlite_peak_generator(d: str) -> dict:
    """bpnetlite.io.PeakGenerator (peaks at their summits and negatives,
    stranded signals and a control, jitter, reverse complement): every batch
    of one pass, seeded, and the tensors it samples from."""
    from bpnetlite.io import PeakGenerator

    gen = PeakGenerator(peaks=os.path.join(d, "peaks.bed"), negatives=os.path.join(d, "negatives.bed"),
                        sequences=os.path.join(d, "genome.fa"),
                        signals=[os.path.join(d, "plus.bw"), os.path.join(d, "minus.bw")],
                        controls=[os.path.join(d, "ctl.bw")], chroms=["chr1", "chr2", "chr3"],
                        in_window=1000, out_window=400, max_jitter=64, negative_ratio=0.5,
                        reverse_complement=True, summits=True,
                        random_state=0, pin_memory=False, num_workers=0, batch_size=32)
    out = {}
    for i, (X, X_ctl, y) in enumerate(gen):
        out[f"X.{i}"], out[f"X_ctl.{i}"], out[f"y.{i}"] = _np(X), _np(X_ctl), _np(y)
    ds = gen.dataset
    out.update(sequences=_np(ds.sequences), signals=_np(ds.signals), controls=_np(ds.controls))
    return out


def grelu_read_bigwig(d: str) -> dict:
    """grelu.io.bigwig.read_bigwig (per-base, binned sums, whole-window
    means) and grelu.data.dataset.BigWigSeqDataset (labels from stranded
    bigWigs, binned, with shifts and reverse complement): every item."""
    import pandas as pd
    from grelu.data.dataset import BigWigSeqDataset
    from grelu.io.bigwig import read_bigwig

    peaks = pd.read_csv(os.path.join(d, "peaks.bed"), sep="\t", header=None, usecols=[0, 1, 2],
                        names=["chrom", "start", "end"])
    mid = (peaks["start"] + peaks["end"]) // 2
    iv = pd.DataFrame({"chrom": peaks["chrom"], "start": mid - 500, "end": mid + 500})
    iv = iv[iv["start"] >= 0].reset_index(drop=True)
    bws = [os.path.join(d, f"{n}.bw") for n in ("a", "b", "c")]
    out = {"values": read_bigwig(iv, bws),
           "sum50": read_bigwig(iv, bws, bin_size=50, aggfunc="sum"),
           "mean": read_bigwig(iv, bws[0], aggfunc="mean"),
           "max20": read_bigwig(iv, bws[1], bin_size=20, aggfunc="max")}
    ds = BigWigSeqDataset(intervals=iv, bw_files=[os.path.join(d, "plus.bw"), os.path.join(d, "minus.bw")],
                          seq_len=1000, genome=os.path.join(d, "genome.fa"), label_len=400, label_aggfunc="sum",
                          bin_size=10, rc=True, max_seq_shift=2, seed=0)
    out["labels"] = _np(ds.labels)
    for i in range(len(ds)):
        x, y = ds[i]
        out[f"x.{i}"], out[f"y.{i}"] = _np(x), _np(y)
    return out


CASES = {"tangermeme.extract_loci": tangermeme_extract_loci,
         "tangermeme.extract_matching_loci": tangermeme_matching_loci,
         "bpnetlite.PeakGenerator": bpnetlite_peak_generator,
         "grelu.read_bigwig": grelu_read_bigwig}


def main() -> None:
    case, d, out = sys.argv[1:4]
    import pyBigWig

    res = CASES[case](d)
    res["__pybigwig__"] = np.array(pyBigWig.__name__ + " " + getattr(pyBigWig, "__version__", "?"))
    np.savez(out, **res)


if __name__ == "__main__":
    main()
