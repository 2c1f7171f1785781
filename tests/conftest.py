"""Shared fixtures: small bigWig files generated once per session, with the
intervals they were written from (the ground truth).

Files
-----
``pybw_<type>``
    Written by pyBigWig (little-endian, zlib, zoom levels) for each section
    type: bedGraph, variableStep, fixedStep.
``pbt_bedGraph``
    Written by pybigtools (another layout: chrom tree after the data; it
    leaves out chromosomes without data).
``bwl_<type>_<endian>_<zlib|raw>``
    The same intervals written by ``bwl.write``: big-endian and/or
    uncompressed, with small sections (many blocks, a multi-level R-tree)
    and a small B+ tree fan-out (a multi-level chromosome tree). The
    ``little_zlib`` variant is the little-endian twin of the big-endian one
    (same layout), readable by pyBigWig.

Every file has the same chromosomes: one with many intervals (many blocks),
one whose data starts at base 0 and ends on its last base, one with
single-base intervals, one listed in the header without data, and a tiny
one, in bytewise name order (the order both writers use for chrom ids).
"""
from __future__ import annotations

import dataclasses
from typing import Dict, Optional, Tuple

import numpy as np
import pytest

TYPES = ("bedGraph", "variableStep", "fixedStep")

# name -> size, bytewise-sorted (pyBigWig needs its chrom list in this order
# for its B+ tree to be searchable).
CHROMS: Dict[str, int] = {
    "chr1": 400_000,         # many intervals -> many blocks
    "chr10": 6_000,          # data from base 0 to the last base
    "chr2": 3_000,           # single-base items, gaps
    "chr3_empty": 2_500,     # in the header, no data
    "chrM": 37,              # tiny, data touching both ends
    "chrUn_KI270302v1": 5_000,  # longer key, a little data in the middle
}
EMPTY_CHROM = "chr3_empty"

Truth = Dict[str, Tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclasses.dataclass
class BW:
    """One generated file and what it should contain."""

    name: str
    path: str
    type: str            # section type written
    writer: str          # "pyBigWig" or "bwl"
    endian: str          # "little" or "big"
    compressed: bool
    truth: Truth         # chrom -> (starts u32, ends u32, values f32), sorted
    twin: str = ""       # name of a little-endian file with the same data (for big-endian files)

    @property
    def chroms(self) -> Dict[str, int]:
        """Chromosomes of the file, in file order (pybigtools drops chroms without data)."""
        if self.writer == "pybigtools":
            return {c: n for c, n in CHROMS.items() if c in self.truth}
        return dict(CHROMS)

    @property
    def pybigwig_readable(self) -> bool:
        return self.endian == "little"


def _values(rng: np.random.Generator, n: int) -> np.ndarray:
    """float32 values: mixed signs, some exact zeros (zero is data, not NaN)."""
    v = rng.normal(0.0, 5.0, n).astype(np.float32)
    v[rng.random(n) < 0.05] = 0.0
    v[rng.random(n) < 0.02] = np.float32(1e6)  # large values stress float sums
    return v


def _bedgraph_chrom(rng, size: int, n: int, max_len: int, max_gap: int,
                    from_zero: bool, to_end: bool) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    lens = rng.integers(1, max_len + 1, n)
    gaps = rng.integers(0, max_gap + 1, n)
    gaps[rng.random(n) < 0.3] = 0  # many adjacent intervals
    gaps[0] = 0 if from_zero else gaps[0] + 1
    starts = np.cumsum(gaps + np.r_[0, lens[:-1]])
    ends = starts + lens
    keep = ends <= size
    starts, ends = starts[keep], ends[keep]
    if to_end:
        ends[-1] = size
    return starts.astype(np.uint32), ends.astype(np.uint32), _values(rng, len(starts))


def make_truth(kind: str, seed: int = 12345) -> Truth:
    """Ground-truth intervals of a file of section type ``kind``.

    For variableStep / fixedStep the intervals are runs that pyBigWig can
    write with one call each (equal span; equal span and step)."""
    rng = np.random.default_rng(seed + TYPES.index(kind))
    t: Truth = {}
    if kind == "bedGraph":
        t["chr1"] = _bedgraph_chrom(rng, CHROMS["chr1"], 25_000, 20, 12, False, True)
        t["chr10"] = _bedgraph_chrom(rng, CHROMS["chr10"], 300, 40, 30, True, True)
        s = np.sort(rng.choice(np.arange(0, CHROMS["chr2"], 2), 400, replace=False)).astype(np.uint32)
        t["chr2"] = (s, s + 1, _values(rng, len(s)))
        t["chrM"] = (np.array([0, 5, 36], np.uint32), np.array([3, 30, 37], np.uint32), _values(rng, 3))
        t["chrUn_KI270302v1"] = (np.array([1000, 2000], np.uint32), np.array([1500, 2001], np.uint32),
                                 np.array([2.5, -1.0], np.float32))
        return t

    def runs_variable(size, plan):
        """plan: list of (first_start, n, span, max_extra_gap)."""
        out = []
        for first, n, span, gap in plan:
            steps = span + rng.integers(0, gap + 1, n)
            s = first + np.r_[0, np.cumsum(steps[:-1])]
            out.append((s, s + span))
        s = np.concatenate([a for a, _ in out]).astype(np.uint32)
        e = np.concatenate([b for _, b in out]).astype(np.uint32)
        assert np.all(s[1:] >= e[:-1]) and e[-1] <= size, "bad plan"
        return s, e, _values(rng, len(s))

    def runs_fixed(size, plan):
        """plan: list of (first_start, n, span, step)."""
        ss, ee = [], []
        for first, n, span, step in plan:
            s = first + step * np.arange(n)
            ss.append(s)
            ee.append(s + span)
        s = np.concatenate(ss).astype(np.uint32)
        e = np.concatenate(ee).astype(np.uint32)
        assert np.all(s[1:] >= e[:-1]) and e[-1] <= size, "bad plan"
        return s, e, _values(rng, len(s))

    if kind == "variableStep":
        # chr1: span 1 items with gaps, then span 25 with gaps, ending on the last base.
        t["chr1"] = runs_variable(CHROMS["chr1"], [(7, 20_000, 1, 6), (200_000, 4_000, 25, 20)])
        last = t["chr1"][1][-1]
        s, e, v = t["chr1"]
        shift = CHROMS["chr1"] - int(last)  # move the final run so it ends on the last base
        n2 = 4_000
        s = s.astype(np.int64)
        e = e.astype(np.int64)
        s[-n2:] += shift
        e[-n2:] += shift
        t["chr1"] = (s.astype(np.uint32), e.astype(np.uint32), v)
        t["chr10"] = runs_variable(CHROMS["chr10"], [(0, 100, 10, 0), (1000, 200, 5, 20)])
        t["chr2"] = runs_variable(CHROMS["chr2"], [(1, 500, 1, 3)])
        t["chrM"] = runs_variable(CHROMS["chrM"], [(0, 3, 2, 1), (30, 1, 7, 0)])
        t["chrUn_KI270302v1"] = runs_variable(CHROMS["chrUn_KI270302v1"], [(1000, 3, 100, 50)])
        return t

    # fixedStep: contiguous runs (step == span) and runs with gaps (step > span).
    t["chr1"] = runs_fixed(CHROMS["chr1"], [(3, 15_000, 1, 1), (20_000, 5_000, 10, 25),
                                            (CHROMS["chr1"] - 50 * 4_000, 4_000, 50, 50)])
    t["chr10"] = runs_fixed(CHROMS["chr10"], [(0, 100, 20, 20), (3000, 100, 5, 30)])
    t["chr2"] = runs_fixed(CHROMS["chr2"], [(10, 600, 1, 2), (2000, 10, 1, 1)])
    t["chrM"] = runs_fixed(CHROMS["chrM"], [(0, 4, 3, 4), (33, 2, 2, 2)])
    t["chrUn_KI270302v1"] = runs_fixed(CHROMS["chrUn_KI270302v1"], [(1000, 5, 10, 100)])
    return t


def _runs(s: np.ndarray, e: np.ndarray, fixed: bool):
    """Split items into maximal runs of equal span (and equal step if fixed)."""
    span = e - s
    cuts = [0]
    for i in range(1, len(s)):
        if span[i] != span[cuts[-1]]:
            cuts.append(i)
        elif fixed and i - cuts[-1] >= 2 and s[i] - s[i - 1] != s[cuts[-1] + 1] - s[cuts[-1]]:
            cuts.append(i)
    cuts.append(len(s))
    return [(cuts[k], cuts[k + 1]) for k in range(len(cuts) - 1)]


def write_pybigwig(path: str, kind: str, truth: Truth, chroms: Optional[Dict[str, int]] = None) -> None:
    import pyBigWig

    chroms = CHROMS if chroms is None else chroms
    bw = pyBigWig.open(path, "w")
    bw.addHeader(list(chroms.items()), maxZooms=10)
    for chrom in chroms:
        if chrom not in truth:
            continue
        s, e, v = truth[chrom]
        if kind == "bedGraph":
            bw.addEntries([chrom] * len(s), s.tolist(), ends=e.tolist(), values=v.tolist())
            continue
        for a, b in _runs(s, e, fixed=kind == "fixedStep"):
            span = int(e[a] - s[a])
            if kind == "variableStep":
                bw.addEntries(chrom, s[a:b].tolist(), values=v[a:b].tolist(), span=span)
            else:
                step = int(s[a + 1] - s[a]) if b - a > 1 else span
                bw.addEntries(chrom, int(s[a]), values=v[a:b].tolist(), span=span, step=step)
    bw.close()


def write_pybigtools(path: str, truth: Truth) -> None:
    import pybigtools

    def items():
        for chrom in CHROMS:
            if chrom in truth:
                s, e, v = truth[chrom]
                yield from zip([chrom] * len(s), s.tolist(), e.tolist(), v.tolist())

    pybigtools.open(path, "w").write(dict(CHROMS), items())


# Files written by bwl.write: (endian, compress). little+zlib is the twin of big+zlib.
BWL_VARIANTS = (("big", True), ("little", False), ("big", False), ("little", True))
PYBW_FILES = tuple(f"pybw_{t}" for t in TYPES)
BWL_FILES = tuple(f"bwl_{t}_{e}_{'zlib' if c else 'raw'}" for t in TYPES for e, c in BWL_VARIANTS)
ALL_FILES = PYBW_FILES + ("pbt_bedGraph",) + BWL_FILES
LITTLE_FILES = tuple(n for n in ALL_FILES if "_big_" not in n)
BIG_FILES = tuple(n for n in ALL_FILES if "_big_" in n)


@pytest.fixture(scope="session")
def bw_files(tmp_path_factory) -> Dict[str, BW]:
    """All generated files by name (see the module docstring)."""
    import bwl

    d = tmp_path_factory.mktemp("bw")
    out: Dict[str, BW] = {}
    for kind in TYPES:
        truth = make_truth(kind)
        p = str(d / f"pybw_{kind}.bw")
        write_pybigwig(p, kind, truth)
        out[f"pybw_{kind}"] = BW(f"pybw_{kind}", p, kind, "pyBigWig", "little", True, truth)
        if kind == "bedGraph":
            p = str(d / "pbt_bedGraph.bw")
            write_pybigtools(p, truth)
            out["pbt_bedGraph"] = BW("pbt_bedGraph", p, kind, "pybigtools", "little", True, truth)
        for endian, comp in BWL_VARIANTS:
            name = f"bwl_{kind}_{endian}_{'zlib' if comp else 'raw'}"
            p = str(d / f"{name}.bw")
            bwl.write(p, CHROMS, truth, type=kind, compress=comp, endian=endian,
                      items_per_section=64, block_size=4)
            twin = f"bwl_{kind}_little_{'zlib' if comp else 'raw'}" if endian == "big" else ""
            out[name] = BW(name, p, kind, "bwl", endian, comp, truth, twin)
    return out


@pytest.fixture(params=ALL_FILES)
def any_bw(request, bw_files) -> BW:
    return bw_files[request.param]


# ---------------------------------------------------------------- helpers


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


# Only `gpu` tests may skip (tests/skip_policy.py): its hooks, registered here.
from skip_policy import (pytest_collectreport, pytest_runtest_logreport, pytest_sessionfinish,  # noqa: E402,F401
                         pytest_terminal_summary)
