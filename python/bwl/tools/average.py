"""bigWigAverageOverBed: the signal of many tracks over the regions of a BED file."""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import numpy as np

from bwl import _check, _core
from bwl._types import PathLike


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
        Each region's BED line, split (with ``keep_lines``; else empty).
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
                     threads: int | None = None, keep_lines: bool = False) -> AverageOverBed:
    """bigWigAverageOverBed over one or more bigWig tracks.

    Parameters
    ----------
    tracks : path, list of paths, or bwl.Collection
    bed : path (plain or .gz; "-": standard input) or a list of BED lines already split
        BED3 or more; BED12 lines are summed over their blocks (exons).
        Names (column 4) must be unique, as bigWigAverageOverBed requires.
    sample_around_center : int
        Instead of the region, the ``N`` bases centred on it.
    threads : int, optional
        For a collection made here.
    keep_lines : bool
        Keep each BED line (``bed_fields``), for ``-bedOut``.

    The BED is parsed in C++; each chromosome's regions are swept sorted,
    so each block is read and inflated once for all the regions over it.
    Regions on chromosomes no track has are not covered; bases past a
    chromosome's end count in ``size`` but are not covered. The output
    keeps the BED's order.
    """
    from bwl.collection import Collection

    around = _check.integer("sample_around_center", sample_around_center, 0)
    if isinstance(bed, str) and bed == "-":
        import sys

        data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
        reg = _core.parse_bed_regions(data, "<stdin>", around, keep_lines)
    elif isinstance(bed, (str, os.PathLike)):
        reg = _core.read_bed_regions(_check.path("bed", bed), around, keep_lines)
    else:
        text = "".join("\t".join(str(x) for x in f) + "\n" for f in bed)
        reg = _core.parse_bed_regions(text.encode(), "<BED lines>", around, keep_lines)
    col = tracks if isinstance(tracks, Collection) else Collection(tracks, threads=threads)
    T, R = len(col), len(reg["names"])
    # Sub-intervals on chromosomes the collection knows; the rest stay uncovered.
    known = np.array([c in col._chroms for c in reg["chrom_names"]], bool)
    sub_chrom = reg["chrom"][reg["sub_line"]]
    keep = known[sub_chrom] if len(known) else np.zeros(0, bool)
    cov = np.zeros((R, T), np.int64)
    total = np.zeros((R, T))
    lo, hi = np.full((R, T), np.inf), np.full((R, T), -np.inf)
    if keep.any():
        to_col = np.full(len(known), 0, np.uint32)
        to_col[known] = col._chrom_indices([c for c, k in zip(reg["chrom_names"], known) if k])
        got = _core.region_sums(col._c, to_col[sub_chrom[keep]], reg["sub_start"][keep], reg["sub_end"][keep],
                                np.arange(T, dtype=np.uint32))
        owner = reg["sub_line"][keep].astype(np.intp)
        if len(owner) == R and np.array_equal(owner, np.arange(R)):  # one sub-interval per line: no reduction
            cov, total = got["covered"].astype(np.int64), got["sum"]
            lo, hi = np.where(cov > 0, got["min"], np.inf), np.where(cov > 0, got["max"], -np.inf)
        else:
            np.add.at(cov, owner, got["covered"].astype(np.int64))
            np.add.at(total, owner, got["sum"])
            np.fmin.at(lo, owner, np.where(np.isnan(got["min"]), np.inf, got["min"]))
            np.fmax.at(hi, owner, np.where(np.isnan(got["max"]), -np.inf, got["max"]))
    size = reg["size"]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean0 = total / size[:, None]
        mean = np.where(cov > 0, total / np.maximum(cov, 1), 0.0)
    lo, hi = np.where(cov > 0, lo, np.nan), np.where(cov > 0, hi, np.nan)
    fields = [line.split("\t") for line in reg["lines"]]
    return AverageOverBed(reg["names"], size, cov, total, mean0, mean, lo, hi, list(col.paths), fields)


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
