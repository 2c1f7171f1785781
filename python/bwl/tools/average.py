"""bigWigAverageOverBed: the signal of many tracks over the regions of a BED file."""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import numpy as np

from bwl import _check, _core
from bwl._types import PathLike
from bwl.regions import bed_fields


@dataclasses.dataclass
class AverageOverBed:
    """What :func:`average_over_bed` gives: R regions x T tracks, as
    bigWigAverageOverBed's columns.

    Attributes
    ----------
    names : list of str (R,)
        Column 4 of the BED (``chrom:start-end`` for a BED3 line).
    size : np.ndarray int64 (R,)
        Bases of the region (its blocks' for BED12; the sample's with
        ``sample_around_center``), whether or not a track covers them.
    covered : np.ndarray int64 (R, T)
        Bases with data.
    sum : np.ndarray float64 (R, T)
        Sum of the values over the covered bases.
    mean0, mean : np.ndarray float64 (R, T)
        ``sum / size`` (uncovered bases count as 0), and ``sum / covered``
        (0 where nothing is covered, as UCSC prints it).
    min, max : np.ndarray float64 (R, T)
        Smallest and largest value over the covered bases; NaN where none.
    tracks : list of str (T,)
    bed_fields : list of list of str (R,)
        Each region's BED line, split (for ``-bedOut``).
    """

    names: list[str]
    size: np.ndarray
    covered: np.ndarray
    sum: np.ndarray
    mean0: np.ndarray
    mean: np.ndarray
    min: np.ndarray
    max: np.ndarray
    tracks: list[str]
    bed_fields: list[list[str]]


def average_over_bed(tracks, bed: PathLike | Sequence[Sequence[str]], sample_around_center: int = 0,
                     threads: int | None = None) -> AverageOverBed:
    """bigWigAverageOverBed over one or more bigWig tracks.

    Parameters
    ----------
    tracks : path, list of paths, or bwl.Collection
    bed : path (plain or .gz) or a list of BED lines already split
        BED3 or more; BED12 lines are summed over their blocks (exons).
        Names (column 4) must be unique, as bigWigAverageOverBed requires.
    sample_around_center : int
        Instead of the region, the ``N`` bases centred on it.
    threads : int, optional
        For a collection made here.

    Regions are swept per chromosome, so each block is read and inflated
    once for all the regions over it. Regions on chromosomes no track has
    are not covered; bases past a chromosome's end count in ``size`` but
    are not covered. The output keeps the BED's order.
    """
    from bwl.collection import Collection

    n_around = _check.integer("sample_around_center", sample_around_center, 0)
    col = tracks if isinstance(tracks, Collection) else Collection(tracks, threads=threads)
    label = bed if isinstance(bed, (str, os.PathLike)) else "<BED lines>"
    lines = list(bed_fields(bed)) if isinstance(bed, (str, os.PathLike)) else list(enumerate(bed, 1))
    names, fields, size = [], [], np.zeros(len(lines), np.int64)
    sub_chrom, sub_start, sub_end, sub_of = [], [], [], []
    seen: set[str] = set()
    for r, (n, f) in enumerate(lines):
        f = [str(x) for x in f]
        chrom, s, e = _interval(label, n, f)
        name = f[3] if len(f) > 3 else f"{chrom}:{s}-{e}"
        if name in seen:
            raise ValueError(f"{label}:{n}: {name} duplicated in input bed (names must be unique)")
        seen.add(name)
        names.append(name)
        fields.append(f)
        if n_around:
            left = (s + e) // 2 - n_around // 2
            parts = [(left, left + n_around)]
        elif len(f) >= 12:
            parts = _blocks(label, n, f, s, e)
        else:
            parts = [(s, e)]
        for a, b in parts:
            size[r] += b - a
            sub_chrom.append(chrom)
            sub_start.append(max(a, 0))
            sub_end.append(max(b, 0))
            sub_of.append(r)

    T = len(col)
    sub_of_a = np.asarray(sub_of, np.int64)
    known = col._chroms  # name -> (size, tracks having it)
    keep = np.fromiter((c in known for c in sub_chrom), bool, len(sub_chrom))
    m = int(keep.sum())
    covered = np.zeros((m, T), np.uint64)
    sums, mins, maxs = np.zeros((m, T)), np.full((m, T), np.nan), np.full((m, T), np.nan)
    if m:
        kept = [c for c, k in zip(sub_chrom, keep) if k]
        got = _core.region_sums(col._c, col._chrom_indices(kept), np.asarray(sub_start, np.int64)[keep],
                                np.asarray(sub_end, np.int64)[keep], np.arange(T, dtype=np.uint32))
        covered, sums, mins, maxs = got["covered"], got["sum"], got["min"], got["max"]
    R = len(lines)
    owner = sub_of_a[keep]
    cov = np.zeros((R, T), np.int64)
    total = np.zeros((R, T))
    lo, hi = np.full((R, T), np.inf), np.full((R, T), -np.inf)
    np.add.at(cov, owner, covered.astype(np.int64))
    np.add.at(total, owner, sums)
    np.fmin.at(lo, owner, np.where(np.isnan(mins), np.inf, mins))
    np.fmax.at(hi, owner, np.where(np.isnan(maxs), -np.inf, maxs))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean0 = total / size[:, None]
        mean = np.where(cov > 0, total / np.maximum(cov, 1), 0.0)
    lo[cov == 0], hi[cov == 0] = np.nan, np.nan
    return AverageOverBed(names, size, cov, total, mean0, mean, lo, hi, list(col.paths), fields)


def _interval(label, n: int, f: list[str]) -> tuple[str, int, int]:
    if len(f) < 3:
        raise ValueError(f"{label}:{n}: a BED line needs chrom, start, end")
    try:
        s, e = int(f[1]), int(f[2])
    except ValueError:
        raise ValueError(f"{label}:{n}: start and end must be integers") from None
    if s < 0 or e < s:
        raise ValueError(f"{label}:{n}: bad interval {s}-{e}")
    return f[0], s, e


def _blocks(label, n: int, f: list[str], s: int, e: int) -> list[tuple[int, int]]:
    """A BED12 line's blocks (exons), checked as bedToBigBed checks them."""
    try:
        count = int(f[9])
        sizes = [int(x) for x in f[10].rstrip(",").split(",")]
        starts = [int(x) for x in f[11].rstrip(",").split(",")]
    except ValueError:
        raise ValueError(f"{label}:{n}: blockCount, blockSizes and chromStarts must be integers") from None
    if count < 1 or len(sizes) != count or len(starts) != count:
        raise ValueError(f"{label}:{n}: blockCount {count} does not match blockSizes and chromStarts")
    parts = [(s + a, s + a + z) for a, z in zip(starts, sizes)]
    if any(z < 0 or a < s or b > e for (a, b), z in zip(parts, sizes)):
        raise ValueError(f"{label}:{n}: a block lies outside {s}-{e}")
    return parts


def _track_labels(tracks: list[str]) -> list[str]:
    stems = [os.path.splitext(os.path.basename(str(t).rstrip("/")))[0] or str(t) for t in tracks]
    return stems if len(set(stems)) == len(stems) else [f"{i}:{s}" for i, s in enumerate(stems)]


def tab_text(res: AverageOverBed, min_max: bool = False) -> str:
    """bigWigAverageOverBed's output: name, size, then per track covered,
    sum, mean0, mean (and min, max: 0 0 where nothing is covered, as UCSC
    prints them), ``%g`` numbers; several tracks add a ``#`` header line
    naming each block of columns."""
    T = len(res.tracks)
    head = ""
    if T > 1:
        names = ["covered", "sum", "mean0", "mean"] + (["min", "max"] if min_max else [])
        head = "\t".join(["#name", "size"] + [f"{t}.{c}" for t in _track_labels(res.tracks) for c in names]) + "\n"
    cols = [res.size]
    for t in range(T):
        cols += [res.covered[:, t], res.sum[:, t], res.mean0[:, t], res.mean[:, t]]
        if min_max:
            cols += [np.nan_to_num(res.min[:, t], nan=0.0), np.nan_to_num(res.max[:, t], nan=0.0)]
    return head + _core.format_rows(res.names, [np.ascontiguousarray(c) for c in cols])


def bed_out_text(res: AverageOverBed, min_max: bool = False) -> str:
    """``-bedOut``: each BED line as read, plus each track's mean (and min,
    max: inf -inf where nothing is covered, as UCSC prints them)."""
    cols = []
    for t in range(len(res.tracks)):
        cols.append(res.mean[:, t])
        if min_max:
            cols += [np.nan_to_num(res.min[:, t], nan=np.inf), np.nan_to_num(res.max[:, t], nan=-np.inf)]
    return _core.format_rows(["\t".join(f) for f in res.bed_fields], [np.ascontiguousarray(c) for c in cols])


def write_text(path: str, text: str) -> None:
    """``text`` to ``path`` ("-": standard output) under a temporary name,
    renamed into place: a failed run leaves no half-written file."""
    import sys

    if path == "-":
        sys.stdout.write(text)
        return
    path = _check.path("output", path)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
