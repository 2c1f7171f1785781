"""Writing bigWig and bigBed files: :func:`write`, :func:`from_bedgraph`, :func:`from_wig`, :func:`from_bed`."""
from __future__ import annotations

import os
import re
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
        fixedStep data whose span exceeds its step. Readers disagree on
        such files; bwl reads them as pyBigWig does (a later interval
        wins) up to 64 intervals over a base.

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


def _bed_type(type: str | None) -> tuple[int, int]:
    """bedToBigBed's -type: "bedN" -> (N, 0), "bedN+P" -> (N, P), "bedN+" -> (N, -1): the extra fields
    counted on the first line; None -> (0, 0): everything counted on the first line."""
    if type is None:
        return 0, 0
    m = re.fullmatch(r"bed(\d+)(?:\+(\d*))?", type)
    if not m or not 3 <= int(m.group(1)) <= 15:
        raise ValueError(f"type must be bedN, bedN+ or bedN+P with N in 3..15 (as bedToBigBed's -type), got {type!r}")
    plus = m.group(2)
    return int(m.group(1)), (0 if plus is None else -1 if plus == "" else int(plus))


def from_bed(bed: str | os.PathLike, chrom_sizes: str | os.PathLike | Chroms, out: str | os.PathLike, *,
             type: str | None = None, autosql: str | os.PathLike | None = None, tab: bool = False,
             compress: bool = True, block_size: int = 256, items_per_slot: int = 512,
             allow_1bp_overlap: bool = False, progress: bool = True) -> int:
    """Convert BED text (plain or .gz) to bigBed, like UCSC's bedToBigBed.

    The BED must be sorted by chromosome, then start (``LC_ALL=C sort
    -k1,1 -k2,2n``); it is read twice, as bedToBigBed reads it: the first
    pass checks every line (field count, integer coordinates within the
    chromosome, the standard fields' rules, the autoSql types of extra
    fields) and builds the coverage depth that the zoom levels summarise;
    the second writes the records. Nothing is left at ``out`` on an error.

    Parameters
    ----------
    type : str or None
        ``"bedN"``, ``"bedN+P"`` or ``"bedN+"`` (N standard fields, 3..15,
        then P extra ones; ``+`` alone: as many as the first line has), as
        bedToBigBed's ``-type``. None: all fields counted on the first line
        (at most 15 standard ones).
    autosql : path or None
        A ``.as`` file describing the fields (``-as``); needs ``type``.
        None: UCSC's standard BED definition, extra fields as ``lstring``.
    tab : bool
        Fields are separated by tabs only (``-tab``), so they may hold
        spaces; else by any run of spaces and tabs.
    compress : bool
        zlib-compress blocks (False: ``-unc``).
    block_size, items_per_slot : int
        R-tree fan-out (2..65535) and records per block (1..65535), as
        ``-blockSize`` and ``-itemsPerSlot``.
    allow_1bp_overlap : bool
        BED12 blocks may overlap by one base (``-allow1bpOverlap``).

    Returns the number of records written. Raises FormatError for a bad
    line (naming the file and line), ValueError for bad options, OSError
    when a file cannot be read or written.
    """
    from tqdm import tqdm

    from bwl import _core

    bed, out = _check.path("bed", bed), _check.path("out", out)
    bed_n, bed_plus = _bed_type(type)
    as_text = ""
    if autosql is not None:
        with open(_check.path("autosql", autosql), encoding="utf-8") as fh:
            as_text = fh.read()
    sizes = read_chrom_sizes(chrom_sizes) if isinstance(chrom_sizes, (str, os.PathLike)) else _chrom_list(chrom_sizes)
    opts = _core.BigBedOptions(bed_n, bed_plus, as_text, _check.flag("tab", tab), _check.flag("compress", compress),
                               _check.integer("block_size", block_size, 2, 65535),
                               _check.integer("items_per_slot", items_per_slot, 1, 65535),
                               _check.flag("allow_1bp_overlap", allow_1bp_overlap))
    conv = _core.BedToBigBed(bed, sizes, opts)
    gz = bed.endswith(".gz")
    with tqdm(total=None if gz else os.path.getsize(bed), unit="B", unit_scale=True, desc="check",
              disable=not progress) as bar:
        while conv.step():
            bar.update(conv.bytes_read - bar.n)
        bar.update(conv.bytes_read - bar.n)
    if progress:
        print(f"writing {out} ...", flush=True)
    conv.write(out)
    return int(conv.records)
