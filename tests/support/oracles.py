"""Independent oracles: what a read must return, computed from the ground
truth with numpy or read with pyBigWig, never with bwl; and the query
regions the reader tests ask about.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .tracks import Truth


def dense(truth: Truth, chrom: str, start: int, end: int) -> np.ndarray:
    """Per-base float32 values of chrom:[start, end) from the truth, NaN where none."""
    out = np.full(end - start, np.nan, np.float32)
    if chrom in truth:
        s, e, v = truth[chrom]
        i0 = np.searchsorted(e, start, side="right")
        i1 = np.searchsorted(s, end, side="left")
        a = np.maximum(s[i0:i1].astype(np.int64), start) - start
        b = np.minimum(e[i0:i1].astype(np.int64), end) - start
        lens = b - a
        first = np.repeat(np.cumsum(lens) - lens, lens)  # offset of each item's first base in the run
        pos = np.arange(int(lens.sum())) - first + np.repeat(a, lens)
        out[pos] = np.repeat(v[i0:i1], lens)
    return out


def truth_intervals(truth: Truth, chrom: str, start: int, end: int):
    """Items overlapping [start, end), unclipped."""
    if chrom not in truth:
        z = np.empty(0, np.uint32)
        return z, z, np.empty(0, np.float32)
    s, e, v = truth[chrom]
    m = (e > start) & (s < end)
    return s[m], e[m], v[m]


def bin_edges(start: int, end: int, nbins: int) -> np.ndarray:
    """Bin edges as libBigWig computes them: start + floor(len * (i) / nBins)."""
    return np.array([start + int((end - start) * i / nbins) for i in range(nbins + 1)], np.int64)


def truth_stats(truth: Truth, chrom: str, start: int, end: int, stat: str, nbins: int) -> np.ndarray:
    """Exact summaries from the truth (float64, NaN for bins without data)."""
    v = dense(truth, chrom, start, end).astype(np.float64)
    edges = bin_edges(start, end, nbins) - start
    out = np.full(nbins, np.nan)
    for i in range(nbins):
        x = v[edges[i]:edges[i + 1]]
        x = x[~np.isnan(x)]
        if len(x) == 0:
            continue
        if stat == "mean":
            out[i] = x.mean()
        elif stat == "min":
            out[i] = x.min()
        elif stat == "max":
            out[i] = x.max()
        elif stat == "sum":
            out[i] = x.sum()
        elif stat == "cov":
            out[i] = len(x) / (edges[i + 1] - edges[i])
        elif stat == "std":
            out[i] = x.std(ddof=1) if len(x) > 1 else 0.0  # pyBigWig: 0 for one base
    return out


def regions(truth: Truth, chrom: str, size: int, seed: int, n_random: int = 12):
    """Query regions of one chrom: whole chrom, ends, single bases, random
    ranges, and ranges inside gaps of the data (no data at all)."""
    rng = np.random.default_rng(seed)
    r = [(0, size), (0, 1), (size - 1, size), (max(0, size - 100), size), (0, min(size, 100))]
    for _ in range(n_random):
        a = int(rng.integers(0, size))
        b = int(min(size, a + rng.integers(1, 5_000)))
        r.append((a, b))
    if chrom in truth and len(truth[chrom][0]):
        s, e, _ = truth[chrom]
        # single bases at item boundaries: first base, last base, one past the end
        for i in rng.integers(0, len(s), 4):
            for x in (int(s[i]), int(e[i]) - 1, int(e[i])):
                if x < size:
                    r.append((x, x + 1))
        # inside gaps between items
        gaps = np.nonzero(s[1:] > e[:-1])[0]
        for i in rng.choice(gaps, min(3, len(gaps)), replace=False) if len(gaps) else []:
            r.append((int(e[i]), int(s[i + 1])))
        if s[0] > 0:
            r.append((0, int(s[0])))
        if e[-1] < size:
            r.append((int(e[-1]), size))
        # spanning the first and the last item
        r.append((int(s[0]), int(e[0])))
        r.append((max(0, int(s[-1]) - 3), size))
    return r


def pybw_values(paths: Sequence[str], chroms: Sequence[str], starts: Sequence[int], ends: Sequence[int],
                window: int = 1) -> np.ndarray:
    """(B, T, L // window) float32 from pyBigWig: per-base values, window
    bins as the mean of covered bases (NaN where none)."""
    import warnings

    import pyBigWig

    handles = [pyBigWig.open(p) for p in paths]
    try:
        B, L = len(starts), int(ends[0]) - int(starts[0])
        out = np.empty((B, len(paths), L // window), np.float32)
        for b in range(B):
            for t, h in enumerate(handles):
                v = np.asarray(h.values(str(chroms[b]), int(starts[b]), int(ends[b]), numpy=True), np.float64)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    out[b, t] = np.nanmean(v.reshape(-1, window), axis=1)
        return out
    finally:
        for h in handles:
            h.close()


def assert_values_close(got: np.ndarray, want: np.ndarray, rtol: float = 1e-5, atol: float = 1e-5) -> None:
    got = np.asarray(got, np.float32)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert np.array_equal(np.isnan(got), np.isnan(want)), "NaN positions differ"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


def bf16_bits(x: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bit patterns, round to nearest even (exact for 0, 1, 0.25);
    torch's conversion, or the same rounding in numpy without torch (NaN: the caller's)."""
    try:
        import torch

        return torch.from_numpy(np.ascontiguousarray(x, np.float32)).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    except ImportError:
        u = np.ascontiguousarray(x, np.float32).view(np.uint32).astype(np.uint64)
        r = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
        return r.astype(np.uint16)
