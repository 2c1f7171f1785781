"""Synthetic bigWig tracks and the intervals they were written from (the
ground truth), written by pyBigWig, pybigtools and ``bwl.write``.

The fixture files (``tests/conftest.py``: ``bw_files``)
-------------------------------------------------------
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

Also here: the small genome of the training-pipeline tests (FASTA +
pyBigWig tracks: :func:`make_genome`) and the benches' large random
pyBigWig tracks (:func:`make_track`, written in chunks).
"""
from __future__ import annotations

import dataclasses
import os

import numpy as np

from .fasta import fasta_bytes, random_sequence

TYPES = ("bedGraph", "variableStep", "fixedStep")

# name -> size, bytewise-sorted (pyBigWig needs its chrom list in this order
# for its B+ tree to be searchable).
CHROMS: dict[str, int] = {
    "chr1": 400_000,         # many intervals -> many blocks
    "chr10": 6_000,          # data from base 0 to the last base
    "chr2": 3_000,           # single-base items, gaps
    "chr3_empty": 2_500,     # in the header, no data
    "chrM": 37,              # tiny, data touching both ends
    "chrUn_KI270302v1": 5_000,  # longer key, a little data in the middle
}
EMPTY_CHROM = "chr3_empty"

Truth = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]


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
    def chroms(self) -> dict[str, int]:
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
                    from_zero: bool, to_end: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def write_pybigwig(path: str, kind: str, truth: Truth, chroms: dict[str, int] | None = None,
                   max_zooms: int = 10) -> None:
    """``truth`` written by pyBigWig as sections of type ``kind``: one
    bedGraph call per chrom, or one variableStep / fixedStep call per run
    of equal span (and step). ``chroms`` (default :data:`CHROMS`) in the
    order given: bytewise-sorted for a searchable chrom tree."""
    import pyBigWig

    chroms = CHROMS if chroms is None else chroms
    bw = pyBigWig.open(path, "w")
    bw.addHeader(list(chroms.items()), maxZooms=max_zooms)
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


def write_fixture_files(d) -> dict[str, BW]:
    """Writes every fixture file into the folder ``d`` (a pathlib.Path);
    returns them by name (see the module docstring)."""
    import bwl

    out: dict[str, BW] = {}
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


# ---------------------------------------------------------------- the pipeline tests' genome

GENOME_CHROMS: dict[str, int] = {"chr1": 60_000, "chr2": 25_000, "chr3": 4_000}


@dataclasses.dataclass
class Genome:
    dir: str
    fasta: str                   # plain FASTA with the chromosomes above
    bigwigs: list[str]           # pyBigWig-written tracks
    chroms: dict[str, int]
    seqs: dict[str, str]


def _track_intervals(rng: np.random.Generator, size: int, p_gap: float):
    """bedGraph items with gaps (no data) and a long empty stretch."""
    lens = rng.integers(1, 40, size // 5)
    gaps = np.where(rng.random(len(lens)) < p_gap, rng.integers(1, 60, len(lens)), 0)
    s = np.cumsum(np.r_[0, lens[:-1]] + gaps)
    e = s + lens
    keep = (e <= size) & ~((s < size // 2 + 700) & (e > size // 2))  # a hole of 700 bases
    s, e = s[keep], e[keep]
    v = rng.normal(3.0, 2.0, len(s)).astype(np.float32)
    return s.astype(np.int64), e.astype(np.int64), v


def write_pybigwig_track(path: str, chroms: dict[str, int], rng: np.random.Generator, p_gap: float = 0.3) -> None:
    """A bedGraph track of :func:`_track_intervals` on every chrom (in sorted order), by pyBigWig."""
    chroms = dict(sorted(chroms.items()))
    write_pybigwig(path, "bedGraph", {c: _track_intervals(rng, n, p_gap) for c, n in chroms.items()}, chroms)


def make_genome(d: str, n_tracks: int = 3, seed: int = 7) -> Genome:
    rng = np.random.default_rng(seed)
    seqs = {c: random_sequence(rng, n, n_runs=3, run_len=300) for c, n in GENOME_CHROMS.items()}
    fa = os.path.join(d, "genome.fa")
    with open(fa, "wb") as fh:
        fh.write(fasta_bytes(seqs, 70))
    bws = []
    for t in range(n_tracks):
        p = os.path.join(d, f"track{t}.bw")
        write_pybigwig_track(p, GENOME_CHROMS, rng, p_gap=0.2 + 0.2 * t)
        bws.append(p)
    return Genome(d, fa, bws, dict(GENOME_CHROMS), seqs)


# ---------------------------------------------------------------- the benches' large tracks


def make_track(path: str, chroms, seed: int, data_bp: int | None = None, chunk: int = 500_000) -> int:
    """bedGraph track written by pyBigWig (zlib blocks, zoom levels): ~10 items
    per kb, lengths 1..199 bp, ~30% followed by a gap, float32-exact values.
    Data covers each chromosome (or its first ``data_bp`` bases); returns items."""
    import pyBigWig

    rng = np.random.default_rng(seed)
    tmp = path + ".tmp"
    bw = pyBigWig.open(tmp, "w")
    bw.addHeader(list(chroms), maxZooms=10)
    n_total = 0
    for name, size in chroms:
        limit = size if data_bp is None else min(size, data_bp)
        pos = 0
        while pos < limit:
            step = rng.integers(1, 200, chunk)
            starts = pos + np.concatenate(([0], np.cumsum(step[:-1])))
            gap = np.where(rng.random(chunk) < 0.3, rng.integers(0, step), 0)
            ends = np.maximum(starts + step - gap, starts + 1)
            keep = ends <= limit
            n = int(keep.sum())      # keep is a prefix: starts and ends increase
            if n == 0:
                break
            vals = rng.standard_normal(n).astype(np.float32).astype(np.float64)
            bw.addEntries([name] * n, starts[:n], ends=ends[:n], values=vals)
            n_total += n
            if n < chunk:
                break
            pos = int(starts[-1]) + int(step[-1])
    bw.close()
    os.replace(tmp, path)
    return n_total
