"""bigWigToBedGraph, bigBedToBed and bigWigMerge: tracks written out as
bedGraph or BED (or, for a merge, bigWig), streamed in C++
(core/to_bedgraph.cpp, core/to_bed.cpp, core/merge.cpp): memory does not
grow with the files."""
from __future__ import annotations

import math
import os
import re
import sys
import tempfile

from bwl import _check, _core
from bwl._types import PathLike


def _out(out: PathLike) -> str:
    if out == "-":
        sys.stdout.flush()  # the core writes to the file descriptor itself
        return "-"
    return _check.path("out", out)


def to_bedgraph(track: PathLike, out: PathLike, chrom: str | None = None, start: int | None = None,
                end: int | None = None) -> None:
    """bigWigToBedGraph: the items of ``track`` as bedGraph lines to ``out``
    ("-": standard output), chromosomes in the order of its chromosome tree
    (by name), adjacent items of one value joined, values as ``%g``.

    ``chrom`` restricts the output to one chromosome; ``start`` and ``end``
    clip every chromosome's items to [start, end) (end past a chromosome:
    its size). The file is written under a temporary name and renamed.
    """
    import bwl

    s = _check.optional_integer("start", start, 0)
    e = _check.optional_integer("end", end, 0)
    with bwl.open(track) as f:
        _core.to_bedgraph(f._open(), _out(out), "" if chrom is None else str(chrom), s or 0, -1 if e is None else e)


def to_bed(track: PathLike, out: PathLike, chrom: str | None = None, start: int | None = None,
           end: int | None = None, max_items: int | None = None, header: bool = False) -> None:
    """bigBedToBed: the records of ``track`` as BED lines to ``out`` ("-":
    standard output), chromosomes in the order of its chromosome tree (by
    name), records in file order and unclipped. ``chrom``, ``start`` and
    ``end`` keep the records overlapping that range; ``max_items`` the
    first N; ``header`` starts with a ``#`` line of the autoSql's field
    names. The file is written under a temporary name and renamed.
    """
    import bwl

    s = _check.optional_integer("start", start, 0)
    e = _check.optional_integer("end", end, 0)
    n = _check.optional_integer("max_items", max_items, 1)
    with bwl.open(track) as f:
        head = ""
        if header:
            names = autosql_fields(f.sql())
            head = "#" + "\t".join(names) + "\n" if names else ""
        _core.to_bed(f._open(), _out(out), "" if chrom is None else str(chrom), s or 0, -1 if e is None else e,
                     n or 0, head)


def autosql_fields(sql: str) -> list[str]:
    """The field names of an autoSql table (``uint chromStart;`` -> chromStart)."""
    body = sql[sql.find("(") + 1: sql.rfind(")")] if "(" in sql else ""
    return re.findall(r"[\w\[\]]+\s+(\w+)\s*;", body)


def merge(tracks, out: PathLike, threshold: float = 0.0, adjust: float = 0.0, clip: float = math.inf,
          max: bool = False, threads: int | None = None) -> None:  # noqa: A002 - bigWigMerge's -max
    """bigWigMerge: per base, the sum of the tracks' values (``max``: the
    largest, 0 where none is higher), each first clipped to ``clip``, plus
    ``adjust``; runs of one value above ``threshold`` written to ``out`` as
    bedGraph ("-": standard output), or as bigWig when ``out`` ends in
    ``.bw`` / ``.bigWig``. Chromosomes in natural order (chr2 before
    chr10); bases without data count 0. Tracks must agree on the sizes of
    the chromosomes they share.
    """
    from bwl.collection import Collection

    threshold = _check.number("threshold", threshold, nan=False)
    adjust = _check.number("adjust", adjust, nan=False)
    clip = _check.number("clip", clip, nan=False)
    col = tracks if isinstance(tracks, Collection) else Collection(tracks, threads=threads)
    dest = _out(out)
    if dest == "-" or not dest.lower().endswith((".bw", ".bigwig")):
        _core.merge(col._c, dest, threshold, adjust, clip, bool(max))
        return
    from bwl.writer import from_bedgraph

    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(dest))) as d:
        bg = os.path.join(d, "merged.bedGraph")
        _core.merge(col._c, bg, threshold, adjust, clip, bool(max))
        from_bedgraph(bg, {name: size for name, size, _ in col._c.chroms()}, dest, progress=False)
