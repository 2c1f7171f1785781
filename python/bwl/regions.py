"""Genomic region sets as three parallel arrays (chroms, starts, ends):
reading BED files, DataFrames and other region sources, and interval
arithmetic, vectorised with numpy. (The samplers build on this module; it
imports none of them.)"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Union

import numpy as np

from bwl import _check

Regions = tuple[np.ndarray, np.ndarray, np.ndarray]
RegionSource = Union[str, "os.PathLike[str]", Mapping[str, int], tuple[Sequence, Sequence, Sequence]]
ChromSizes = Union[Mapping[str, int], str, "os.PathLike[str]"]

_CHROM_COLS = ("chrom", "chr", "chromosome", "seqnames", "seqname", "#chrom", "chr_name")
_START_COLS = ("start", "chromstart", "start_pos")
_END_COLS = ("end", "chromend", "stop", "end_pos")


def _column(df, names):
    cols = {str(c).lower(): c for c in df.columns}
    for n in names:
        if n in cols:
            return df[cols[n]].to_numpy()
    return None


def _is_frame(src) -> bool:
    """A pandas (or pandas-like) DataFrame: read its rows, not its column names."""
    return hasattr(src, "columns") and hasattr(src, "iloc")


def _frame_regions(df) -> Regions:
    """chrom/start/end columns of a DataFrame (by name, any usual spelling;
    else the first three columns when they are unnamed, as ``header=None``
    leaves them)."""
    c, s, e = _column(df, _CHROM_COLS), _column(df, _START_COLS), _column(df, _END_COLS)
    if c is None or s is None or e is None:
        if df.shape[1] >= 3 and all(isinstance(x, (int, np.integer)) for x in df.columns[:3]):
            c, s, e = (df.iloc[:, i].to_numpy() for i in range(3))
        else:
            raise ValueError("a DataFrame of regions needs chrom, start and end columns "
                             f"(got {[str(x) for x in df.columns][:10]})")
    return np.asarray(c).astype(str), _check.int_array("starts", s), _check.int_array("ends", e)


def _frame_minus(df) -> np.ndarray | None:
    col = _column(df, ("strand",))
    return None if col is None else np.asarray(col).astype(str) == "-"


def stranded_regions(src: RegionSource) -> tuple:
    """(chroms, starts, ends, minus): as :func:`as_regions`, plus where the
    region is on the - strand (BED column 6, a DataFrame's ``strand``
    column, or a fourth bool array); ``minus`` is None when unstranded."""
    if isinstance(src, (str, os.PathLike)):
        c, s, e, minus = read_bed(src, strand=True)
        return c, s, e, (minus if minus.any() else None)
    if _is_frame(src):
        return (*_frame_regions(src), _frame_minus(src))
    if not isinstance(src, Mapping) and len(src) == 4:
        c, s, e = as_regions(tuple(src)[:3])
        return c, s, e, np.asarray(src[3], bool)
    return (*as_regions(src), None)


def as_regions(src: RegionSource) -> Regions:
    """Regions from a BED path, ``{chrom: size}`` (whole chromosomes), a
    pandas DataFrame (chrom/start/end columns), or (chroms, starts, ends)
    arrays such as ``Collection.intervals()`` returns."""
    if isinstance(src, (str, os.PathLike)):
        return read_bed(src)
    if isinstance(src, Mapping):
        names = list(src)
        return (np.asarray(names, dtype=str), np.zeros(len(names), np.int64),
                np.asarray([src[n] for n in names], np.int64))
    if _is_frame(src):
        return _frame_regions(src)
    c, s, e = src
    return np.asarray(c).astype(str), _check.int_array("starts", s), _check.int_array("ends", e)



def read_bed(path: str | os.PathLike[str], strand: bool = False):
    """The first three columns of a BED file (``#``, ``track`` and
    ``browser`` lines skipped; ``.gz`` read transparently).

    Returns (chroms: str array, starts: int64, ends: int64), shape (n,);
    with ``strand=True`` also ``minus``: bool (n,), True where column 6 is
    ``-`` (``+``, ``.`` or no column: False).
    """
    chroms, starts, ends, minus = [], [], [], []
    for n, f in bed_fields(path):
        if len(f) < 3:
            raise ValueError(f"{path}:{n}: a BED line needs chrom, start, end")
        try:
            s, e = int(f[1]), int(f[2])
        except ValueError:
            raise ValueError(f"{path}:{n}: start and end must be integers") from None
        if s < 0 or e < s:
            raise ValueError(f"{path}:{n}: bad interval {s}-{e}")
        chroms.append(f[0])
        starts.append(s)
        ends.append(e)
        minus.append(strand and _minus(path, n, f))
    out = np.asarray(chroms, dtype=str), np.asarray(starts, np.int64), np.asarray(ends, np.int64)
    return out + (np.asarray(minus, bool),) if strand else out


def _minus(path, n: int, f: list) -> bool:
    """Whether a BED line's strand (column 6) is -; +, . or none: False."""
    if len(f) < 6:
        return False
    if f[5] not in ("+", "-", "."):
        raise ValueError(f"{path}:{n}: strand (column 6) must be +, - or ., got {f[5]!r}")
    return f[5] == "-"


def bed_fields(path):
    """(line number, fields) of each data line of a BED-like file (blank,
    ``#``, ``track`` and ``browser`` lines skipped; ``.gz`` read
    transparently; ``"-"``: standard input)."""
    if path == "-":
        import sys

        yield from _data_lines(sys.stdin)
        return
    with _open_text(path) as fh:
        yield from _data_lines(fh)


def _data_lines(fh):
    for n, line in enumerate(fh, 1):
        if line.strip() and not line.startswith(("#", "track", "browser")):
            yield n, line.split()


def _open_text(path):
    import gzip

    path = _check.path("path", path)
    return gzip.open(path, "rt") if path.endswith(".gz") else open(path)


def read_chrom_sizes(src) -> dict:
    """``{chrom: size}`` from a mapping, a samtools ``.fai`` or a UCSC
    ``.chrom.sizes`` file (name, then size, tab- or space-separated; other
    columns ignored)."""
    if isinstance(src, Mapping):
        return {str(k): _check.integer(f"chrom_sizes[{k!r}]", v, 0) for k, v in src.items()}
    out = {}
    with _open_text(src) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip() or line.startswith("#"):
                continue
            f = line.split()
            try:
                size = int(f[1])
            except (IndexError, ValueError):
                raise ValueError(f"{src}:{n}: expected 'name size' (a .fai or .chrom.sizes line)") from None
            if size < 0:
                raise ValueError(f"{src}:{n}: negative size")
            out[f[0]] = size
    if not out:
        raise ValueError(f"{src}: no chromosome sizes")
    return out


def read_peaks(path: str | os.PathLike[str], strand: bool = False) -> tuple:
    """Peaks of a BED or narrowPeak file: (chroms, starts, ends, summits);
    with ``strand=True`` also ``minus`` as :func:`read_bed` gives it.

    The summit is ``start + column 10`` (narrowPeak's peak offset) where that
    column exists and is not -1, else the peak's centre.
    """
    chroms, starts, ends, summits, minus = [], [], [], [], []
    for n, f in bed_fields(path):
        try:
            s, e = int(f[1]), int(f[2])
            off = int(f[9]) if len(f) >= 10 else -1
        except (IndexError, ValueError):
            raise ValueError(f"{path}:{n}: a peak line needs chrom, start, end "
                             "(and an integer peak offset in column 10)") from None
        if s < 0 or e <= s or off < -1 or s + off >= e:
            raise ValueError(f"{path}:{n}: bad peak {s}-{e} (offset {off})")
        chroms.append(f[0])
        starts.append(s)
        ends.append(e)
        summits.append(s + off if off >= 0 else (s + e) // 2)
        minus.append(strand and _minus(path, n, f))
    out = (np.asarray(chroms, dtype=str), np.asarray(starts, np.int64), np.asarray(ends, np.int64),
           np.asarray(summits, np.int64))
    return out + (np.asarray(minus, bool),) if strand else out


def split_chroms(regions, valid: Sequence[str] = (), test: Sequence[str] = ()) -> dict:
    """Regions split by chromosome into ``{"train", "valid", "test"}``
    (train: every chromosome in neither list), as the field splits genomes.
    Works on any tuple of parallel arrays whose first is the chromosomes
    (3 for regions, 4 with strands or summits)."""
    valid, test = set(map(str, valid)), set(map(str, test))
    if valid & test:
        raise ValueError(f"chromosomes in both valid and test: {sorted(valid & test)}")
    c = np.asarray(regions[0]).astype(str)
    masks = {"valid": np.isin(c, list(valid)), "test": np.isin(c, list(test))}
    masks["train"] = ~(masks["valid"] | masks["test"])
    return {k: tuple(np.asarray(x)[m] for x in regions) for k, m in masks.items()}


def signal_weights(collection, regions, type: str = "mean", tracks=None, exact: bool = False,  # noqa: A002
                   power: float = 1.0) -> np.ndarray:
    """A sampling weight per region from the tracks' signal there, for
    ``RandomRegions(weights=...)``: the ``type`` summary of each region
    (:meth:`bwl.Collection.stats`), averaged over ``tracks`` (default all),
    then ``max(0, w) ** power``; regions without data weigh 0.

    Returns
    -------
    numpy.ndarray, float64, shape (R,)
    """
    import warnings

    power = _check.number("power", power, 0, finite=True, nan=False)
    c, s, e = as_regions(regions)
    per = collection.stats(c, s, e, type=type, exact=exact, tracks=tracks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a region no track has data in: NaN, weight 0
        w = np.nanmean(per, axis=1)
    return np.clip(np.nan_to_num(w, nan=0.0), 0.0, None) ** power


def merge(regions: Regions, distance: int = 0) -> Regions:
    """Sorted union of the regions; stretches closer than ``distance`` join."""
    distance = _check.integer("distance", distance, 0)
    c, s, e = (np.asarray(x) for x in regions)
    out = ([], [], [])
    for name in np.unique(c):
        m = c == name
        order = np.argsort(s[m], kind="stable")
        ss, ee = s[m][order], e[m][order]
        reach = np.maximum.accumulate(ee)
        new = np.ones(len(ss), bool)
        new[1:] = ss[1:] > reach[:-1] + distance
        idx = np.flatnonzero(new)
        out[0].append(np.full(len(idx), name, dtype=c.dtype))
        out[1].append(ss[idx])
        out[2].append(np.maximum.reduceat(reach, idx) if len(idx) else reach[:0])
    if not out[0]:
        return c[:0], s[:0].astype(np.int64), e[:0].astype(np.int64)
    return np.concatenate(out[0]), np.concatenate(out[1]).astype(np.int64), np.concatenate(out[2]).astype(np.int64)


def subtract(a: Regions, b: Regions) -> Regions:
    """Parts of regions ``a`` not covered by any region of ``b``."""
    ac, as_, ae = (np.asarray(x) for x in a)
    bc, bs, be = merge(b)
    out = ([], [], [])
    for name in np.unique(ac):
        m = ac == name
        s, e = as_[m].astype(np.int64), ae[m].astype(np.int64)
        mb = bc == name
        xs, xe = bs[mb], be[mb]  # sorted, disjoint
        # Cut points of each region: the blocked intervals inside it.
        pieces_s, pieces_e = [], []
        lo = np.searchsorted(xe, s, side="right")
        hi = np.searchsorted(xs, e, side="left")
        for i in range(len(s)):  # per region; vectorising this is not worth the complexity
            cur = s[i]
            for k in range(lo[i], hi[i]):
                if xs[k] > cur:
                    pieces_s.append(cur)
                    pieces_e.append(min(xs[k], e[i]))
                cur = max(cur, xe[k])
            if cur < e[i]:
                pieces_s.append(cur)
                pieces_e.append(e[i])
        out[0].append(np.full(len(pieces_s), name, dtype=object))
        out[1].append(np.asarray(pieces_s, np.int64))
        out[2].append(np.asarray(pieces_e, np.int64))
    if not out[0]:
        return ac[:0].astype(object), np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(out[0]), np.concatenate(out[1]), np.concatenate(out[2])
