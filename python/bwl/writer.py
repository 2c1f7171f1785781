"""Writing bigWig files: :func:`write`."""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Union

import numpy as np
import numpy.typing as npt

from bwl import _check
from bwl._types import SECTION_TYPES as _TYPES

_U32_MAX = 2**32 - 1

Chroms = Union[Mapping[str, int], Sequence[tuple[str, int]]]
Intervals = Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike]]


def _chrom_list(chroms: Chroms) -> list:
    items = chroms.items() if isinstance(chroms, Mapping) else chroms
    out = []
    for name, size in items:
        if not isinstance(name, str):
            raise TypeError(f"chrom names must be str, got {name!r}")
        out.append((name, _check.integer(f"chrom {name!r} size", size, 0, _U32_MAX)))
    return out


def _positions(x: npt.ArrayLike, chrom: str, what: str) -> np.ndarray:
    return _check.int_array(f"chrom {chrom!r}: {what}", x, 0, _U32_MAX, np.uint32)


def _values(x: npt.ArrayLike, chrom: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float32)
    if a.ndim != 1:
        raise ValueError(f"chrom {chrom!r}: values must be one-dimensional, got shape {a.shape}")
    return np.ascontiguousarray(a)


def write(
    path: str | os.PathLike,
    chroms: Chroms,
    intervals: Intervals,
    *,
    type: str = "bedGraph",
    compress: bool = True,
    endian: str = "little",
    items_per_section: int = 1024,
    zoom_levels: int | None = None,
    block_size: int = 256,
    allow_overlap: bool = False,
) -> None:
    """Write a bigWig file (version 4) with total summary and zoom levels.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; overwritten if it exists.
    chroms : dict[str, int] or sequence of (str, int)
        Every chromosome of the file and its size; chromosomes without
        intervals are listed too. Ids follow the bytewise order of names.
    intervals : dict[str, (starts, ends, values)]
        Per chromosome, three array-likes of shape ``(n,)``: ``starts`` and
        ``ends`` (integers, converted to uint32; 0-based, end exclusive) and
        ``values`` (converted to float32, not NaN). Intervals must be sorted
        by start, must not overlap, and need ``start < end <= size``.
    type : {"bedGraph", "variableStep", "fixedStep"}
        Section type. Any valid input can be written as any type: a new
        section starts wherever the span (variableStep) or the span or step
        (fixedStep) changes.
    compress : bool
        zlib-compress data and zoom blocks.
    endian : {"little", "big"}
        Byte order of every field.
    items_per_section : int
        At most this many items per section (one section per data block),
        1..65535. Also the number of zoom records per zoom block.
    zoom_levels : int or None
        None: automatic (up to 10 levels, chosen like UCSC's
        bedGraphToBigWig); 0: no zoom levels; n: at most ``min(n, 10)``.
    block_size : int
        Fan-out of the chromosome B+ tree and the R-tree indexes, 2..65535.
    allow_overlap : bool
        Let intervals (still sorted by start) overlap, as libBigWig writes
        fixedStep data whose span exceeds its step (``bwl.pybigwig`` uses
        it). Readers disagree on such files; bwl reads them as pyBigWig
        does (a later interval wins) up to 64 intervals over a base.

    Raises
    ------
    KeyError
        A chromosome in ``intervals`` is not in ``chroms``.
    ValueError
        Invalid intervals (unsorted, overlapping, empty, past the chromosome
        end, NaN value, arrays of different lengths), duplicate chromosome
        names, or a bad option. Nothing is written then.
    OSError
        The file cannot be written.
    """
    from bwl import _core

    path = _check.path("path", path)
    _check.choice("type", type, _TYPES)
    _check.choice("endian", endian, ("little", "big"))
    items_per_section = _check.integer("items_per_section", items_per_section, 1, 65535)
    block_size = _check.integer("block_size", block_size, 2, 65535)
    zoom_levels = _check.optional_integer("zoom_levels", zoom_levels, 0)
    compress, allow_overlap = _check.flag("compress", compress), _check.flag("allow_overlap", allow_overlap)

    chrom_list = _chrom_list(chroms)
    known = {name for name, _ in chrom_list}
    data = {}
    for chrom, triple in intervals.items():
        if chrom not in known:
            raise KeyError(f"{chrom!r} has intervals but is not in chroms")
        starts, ends, values = triple
        data[chrom] = (
            _positions(starts, chrom, "starts"),
            _positions(ends, chrom, "ends"),
            _values(values, chrom),
        )
    _core.write(path, chrom_list, data, _core.WriteOptions(_TYPES[type], compress, endian == "big", items_per_section,
                                                           -1 if zoom_levels is None else zoom_levels, block_size,
                                                           allow_overlap))


def read_chrom_sizes(path: str | os.PathLike) -> list:
    """A UCSC chrom.sizes file (name and size per line) as [(name, size)]."""
    out = []
    with open(path) as fh:
        for n, line in enumerate(fh, 1):
            f = line.split()
            if not f or f[0].startswith("#"):
                continue
            if len(f) < 2 or not f[1].isdigit():
                raise ValueError(f"{path}:{n}: expected 'name size'")
            out.append((f[0], int(f[1])))
    return out


def from_bedgraph(bedgraph: str | os.PathLike, chrom_sizes: str | os.PathLike | Chroms,
                  out: str | os.PathLike, *, type: str = "bedGraph", compress: bool = True,
                  endian: str = "little", items_per_section: int = 1024, zoom_levels: int | None = None,
                  progress: bool = True) -> int:
    """Convert a bedGraph (plain or .gz text) to bigWig, like UCSC's bedGraphToBigWig.

    The text is parsed in C++ in 16 MiB chunks (a progress bar follows
    them); what is held is 12 bytes per interval. Intervals may come in any
    order (they are sorted per chromosome) but must not overlap.

    Returns the number of input lines.
    """
    return _from_text("bedgraph", bedgraph, chrom_sizes, out, False, False, type, compress, endian,
                      items_per_section, zoom_levels, progress)


def from_wig(wig: str | os.PathLike, chrom_sizes: str | os.PathLike | Chroms, out: str | os.PathLike, *,
             clip: bool = False, type: str = "bedGraph", compress: bool = True, endian: str = "little",
             items_per_section: int = 1024, zoom_levels: int | None = None, progress: bool = True) -> int:
    """Convert wiggle text (plain or .gz) to bigWig, like UCSC's wigToBigWig.

    ``fixedStep chrom= start= step= [span=]`` and ``variableStep chrom=
    [span=]`` sections (1-based positions) and bedGraph lines (0-based, 4
    columns) may mix. ``clip``: items past a chromosome's end are cut there
    (wigToBigWig ``-clip``) instead of an error. Returns the input lines.
    """
    return _from_text("wig", wig, chrom_sizes, out, True, _check.flag("clip", clip), type, compress, endian,
                      items_per_section, zoom_levels, progress)


def _from_text(what: str, src, chrom_sizes, out, wig: bool, clip: bool, type: str, compress: bool, endian: str,
               items_per_section: int, zoom_levels, progress: bool) -> int:
    from tqdm import tqdm

    from bwl import _core

    src, out = _check.path(what, src), _check.path("out", out)
    _check.choice("type", type, _TYPES)
    _check.choice("endian", endian, ("little", "big"))
    items_per_section = _check.integer("items_per_section", items_per_section, 1, 65535)
    zoom_levels = _check.optional_integer("zoom_levels", zoom_levels, 0)
    compress = _check.flag("compress", compress)
    sizes = read_chrom_sizes(chrom_sizes) if isinstance(chrom_sizes, (str, os.PathLike)) else _chrom_list(chrom_sizes)
    reader = _core.BedGraphReader(src, sizes, wig, clip)
    total = os.path.getsize(src)
    gz = src.endswith(".gz")
    with tqdm(total=None if gz else total, unit="B", unit_scale=True, desc="parse", disable=not progress) as bar:
        while reader.step():
            bar.update(reader.bytes_read - bar.n)
        bar.update(reader.bytes_read - bar.n)
    if progress:
        print(f"writing {out} ...", flush=True)
    reader.write(out, _core.WriteOptions(_TYPES[type], compress, endian == "big", items_per_section,
                                         -1 if zoom_levels is None else zoom_levels, 256, False))
    return int(reader.lines)
