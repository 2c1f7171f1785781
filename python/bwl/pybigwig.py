"""pyBigWig's API over bwl: ``import bwl.pybigwig as pyBigWig``.

The functions, methods, arguments, return types and exceptions of pyBigWig
0.3: ``open(path_or_url, mode="r")``; ``chroms``, ``header`` (integer
fields as pyBigWig gives them), ``values`` (a list, or a float32 array with
``numpy=True``), ``intervals`` (a tuple of ``(start, end, value)`` tuples, or
None), ``stats`` (a list with None for empty bins, or a float64 array with
NaN), ``isBigWig``, ``isBigBed``, ``entries``, ``SQL``, ``close``, and the
writer (``open(path, "w")``, ``addHeader``, ``addEntries`` in its three
forms, numpy arrays, ``maxZooms``). Every failure is a RuntimeError, as in
pyBigWig. URLs and file objects open as in :func:`bwl.open`.

What differs, on purpose (docs/migration.md): files are written by
:func:`bwl.write` (same values, not libBigWig's bytes; zoom levels by
UCSC's rule); entries that pass a chromosome's end are refused (libBigWig
writes them); zoom ``sum`` is
UCSC's (pyBigWig's returns the mean); ``header()`` of a negative
``minVal`` is that negative integer. bigBed files are read (``entries``,
``SQL``), not written.
"""
from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as _np

import bwl as _bwl
from bwl._types import STATS

numpy = 1   # numpy arrays in and out (pyBigWig.numpy)
remote = 1  # http(s) URLs open (pyBigWig.remote)
__version__ = f"0.3-bwl{_bwl.__version__}"

_BAD_ENTRIES = (
    "You must provide a valid set of entries. These can be comprised of any of the following: \n"
    "1. A list of each of chromosomes, start positions, end positions and values.\n"
    "2. A list of each of start positions and values. Also, a chromosome and span must be specified.\n"
    "3. A list values, in which case a single chromosome, start position, span and step must be specified.\n")
_OUT_OF_ORDER = ("The entries you tried to add are out of order, precede already added entries, or otherwise use "
                 "illegal values.\n Please correct this and try again.\n")
_STATS = ("mean", "max", "min", "std", "dev", "coverage", "cov", "sum")  # pyBigWig's char2enum


def open(file: Any, mode: str = "r") -> bigWigFile:  # noqa: A001 - pyBigWig.open
    """A file to read (``"r"``: a path, URL or file object) or to write (``"w"``)."""
    if "w" in mode:
        return bigWigFile(None, os.fspath(file))
    try:
        return bigWigFile(_bwl.open(file), None)
    except (OSError, RuntimeError, ValueError, TypeError) as e:
        raise RuntimeError(f"Received an error during file opening! {e}") from None


_UNSET: Any = object()  # an argument not given (pyBigWig tells it from an explicit None)
_ULONG_MAX = 2**64 - 1     # pyBigWig reads coordinates as C's unsigned long ...
_U32_MAX = 2**32 - 1       # ... and refuses those past uint32


def _coord(v: Any, what: str) -> int:
    """A coordinate as pyBigWig reads it: a Python or numpy integer (a bool
    too) as an unsigned long, so -1 is ULONG_MAX; anything else (None, a
    float) is refused."""
    if isinstance(v, (int, _np.integer)):
        x = int(v)
        return x & _ULONG_MAX if x <= 2**63 - 1 else _ULONG_MAX - 1  # PyLong_AsLong overflows: never valid
    raise RuntimeError(f"The {what} coordinate must be a number!")


def _int(v: Any) -> int:
    try:
        return int(v.__index__())
    except AttributeError:
        raise RuntimeError("Invalid interval bounds!") from None


class bigWigFile:  # noqa: N801 - pyBigWig's name
    """An open file (pyBigWig's ``bigWigFile``)."""

    def __init__(self, f: _bwl.BigWigFile | None, write_path: str | None) -> None:
        self._f = f
        self._w = _Writer(write_path) if write_path is not None else None

    # -- reading ---------------------------------------------------------------
    def _file(self) -> _bwl.BigWigFile:
        if self._f is None or self._f.closed:
            raise RuntimeError("The bigWig file handle is not opened!")
        return self._f

    def chroms(self, chrom: str | None = None):
        """``{name: size}``, or one chromosome's size (None if absent)."""
        if self._w is not None:
            return dict(self._w.chroms) if chrom is None else dict(self._w.chroms).get(chrom)
        return self._file().chroms(chrom)

    def header(self) -> dict:
        """version, nLevels, nBasesCovered, minVal, maxVal, sumData, sumSquared."""
        h = self._file().header()
        summary = [h[k] for k in ("minVal", "maxVal", "sumData", "sumSquared")]
        if not all(math.isfinite(v) for v in summary):  # pyBigWig crashes on these; its errors are RuntimeError
            raise RuntimeError(f"{self._file().path}: the total summary holds NaN or inf (a damaged header)")
        return {"version": h["version"], "nLevels": h["nLevels"], "nBasesCovered": int(h["nBasesCovered"]),
                "minVal": int(summary[0]), "maxVal": int(summary[1]), "sumData": int(summary[2]),
                "sumSquared": int(summary[3])}

    def _bigwig_only(self, what: str) -> None:
        if self._file().is_bigbed:
            raise RuntimeError(f"bigBed files have no {what}! Use 'entries' instead.")

    def _range(self, chrom: str, start: Any, end: Any, minus_one_is_end: bool = True) -> tuple[int, int]:
        """pyBigWig's bounds check: an end of -1 means the chromosome's end
        (values, stats, entries); then 0 <= start < end <= size."""
        startl, endl = _coord(start, "start"), _coord(end, "end")
        size = self._file().chroms(chrom)
        if minus_one_is_end and endl == _ULONG_MAX and size is not None:
            endl = size
        if size is None or startl > _U32_MAX or endl > _U32_MAX or not startl < endl <= size:
            raise RuntimeError("Invalid interval bounds!")
        return startl, endl

    def values(self, chrom: str, start: Any, end: Any, numpy: bool = False):
        """Per-base values (NaN where no data): a list, or float32 array.
        ``end=-1``: to the chromosome's end."""
        self._bigwig_only("values")
        s, e = self._range(chrom, start, end)
        f = self._file()
        if f.header()["blockCount"] == 0:  # libBigWig: a file without data gives no values
            return _np.zeros(0, _np.float32) if numpy else []
        v = f.values(chrom, s, e)
        return v if numpy else v.tolist()

    def intervals(self, chrom: str, start: Any = _UNSET, end: Any = _UNSET):
        """``((start, end, value), ...)`` overlapping the range, or None."""
        self._bigwig_only("intervals")
        size = self._file().chroms(chrom)
        if size is None:
            raise RuntimeError("Invalid interval bounds!")
        # pyBigWig applies "-1 is the end" before it reads `end`: only an absent end means it here
        s, e = self._range(chrom, 0 if start is _UNSET else start, size if end is _UNSET else end,
                           minus_one_is_end=False)
        starts, ends, vals = self._file().intervals(chrom, s, e)
        if len(starts) == 0:
            return None
        return tuple(zip(starts.tolist(), ends.tolist(), vals.astype(_np.float64).tolist()))

    def stats(self, chrom: str, start: Any = _UNSET, end: Any = _UNSET, type: str = "mean",  # noqa: A002
              nBins: Any = 1, exact: bool = False, numpy: bool = False):
        """Summary of nBins bins of the range: a list (None for empty bins),
        or a float64 array (NaN). ``nBins=0`` is 1; ``end=-1``: to the
        chromosome's end."""
        if self._file().is_bigbed:
            raise RuntimeError("bigBed files have no statistics!")
        try:  # pyBigWig's argument parser: type a str, nBins an int
            if not isinstance(type, str):
                raise TypeError
            n = int(nBins.__index__())
        except (AttributeError, TypeError):
            raise RuntimeError("You must supply at least a chromosome!") from None
        n = n or 1
        s, e = self._range(chrom, 0 if start is _UNSET else start, -1 if end is _UNSET else end)
        if type not in _STATS:
            raise RuntimeError("Invalid type!")
        stat = {"dev": "std", "coverage": "cov"}.get(type, type)
        f = self._file()
        if f.header()["blockCount"] == 0:  # no entries: every bin empty
            out = _np.full(max(n, 0), _np.nan)
        elif n < 0:
            raise RuntimeError("An error was encountered while fetching statistics.")
        else:  # pyBigWig's numbers: libBigWig's exact arithmetic and bins, its zoom coverage
            out = f._open().stats(chrom, s, e, STATS[stat], n, exact is True, libbigwig=True)
        if numpy:
            return _np.asarray(out, dtype=_np.float64)
        return [None if math.isnan(x) else float(x) for x in out]

    def isBigWig(self) -> bool:  # noqa: N802
        return self._w is not None or not self._file().is_bigbed

    def isBigBed(self) -> bool:  # noqa: N802
        return self._w is None and self._file().is_bigbed

    def entries(self, chrom: str, start: Any, end: Any, withString: bool = True):  # noqa: N803
        """A bigBed's records overlapping the range: ``[(start, end, rest), ...]``
        (``(start, end)`` when ``withString`` is False); ``[]`` when none."""
        if not self._file().is_bigbed:
            raise RuntimeError("bigWig files have no entries! Use 'intervals' or 'values' instead.")
        s, e = self._range(chrom, start, end)
        with_string = withString is not False  # pyBigWig: only False itself turns it off
        starts, ends, rest = self._file().entries(chrom, s, e, with_string=with_string)
        if with_string:
            return list(zip(starts.tolist(), ends.tolist(), rest))
        return list(zip(starts.tolist(), ends.tolist()))

    def SQL(self) -> bytes | None:  # noqa: N802
        """The autoSql text as pyBigWig gives it: bytes (up to its NUL), None
        where the header has no autoSql (a bigWig)."""
        return self._file()._open().auto_sql_bytes()

    # -- writing ---------------------------------------------------------------
    def _writer(self) -> _Writer:
        if self._w is None:
            raise RuntimeError("The bigWig file handle is not opened for writing!")
        return self._w

    def addHeader(self, cl: Sequence[tuple[str, int]], maxZooms: Any = 10) -> None:  # noqa: N802, N803
        """The chromosomes, in order, and at most how many zoom levels."""
        self._writer().add_header(cl, maxZooms)

    def addEntries(self, chroms, starts, ends=None, values=None, span=None, step=None,  # noqa: N802
                   validate: bool = True) -> None:
        """Entries in one of three forms (pyBigWig's): (chroms, starts,
        ends=, values=); (chrom, starts, values=, span=); (chrom, start,
        values=, span=, step=). Entries must follow what was added before."""
        self._writer().add(chroms, starts, ends, values, span, step)

    def close(self) -> None:
        """Closes the file; a file being written is written now."""
        if self._w is not None:
            w, self._w = self._w, None
            w.close()
        if self._f is not None:
            self._f.close()

    def __enter__(self) -> bigWigFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Writer:
    """Entries kept in order until close, then written by bwl.write."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.chroms: list[tuple[str, int]] = []
        self.zooms: int | None = None
        self.parts: dict[str, list[tuple[_np.ndarray, _np.ndarray, _np.ndarray]]] = {}
        self.forms: set[int] = set()
        self.last: tuple[int, int, int] = (-1, 0, 0)  # (chrom position, end, start) of the last entry

    def add_header(self, cl, max_zooms) -> None:
        if self.chroms:
            raise RuntimeError("The header has already been added!")
        try:
            cl = [(str(c), int(n)) for c, n in cl]
        except (TypeError, ValueError):
            raise RuntimeError("You must provide a list of (chromosome, size) tuples!") from None
        if not cl or any(n <= 0 or n > 0xFFFFFFFF for _, n in cl):
            raise RuntimeError("You must provide a list of (chromosome, size) tuples!")
        self.chroms, self.zooms = cl, int(max_zooms)

    def add(self, chroms, starts, ends, values, span, step) -> None:
        if not self.chroms:
            raise RuntimeError("The header must be added before entries!")
        try:
            if isinstance(chroms, str) and span is not None and step is not None and ends is None:
                v = _np.asarray(values, dtype=_np.float64)
                st = _int(starts) + _int(step) * _np.arange(len(v), dtype=_np.int64)
                cs, s, e, form = [chroms] * len(v), st, st + _int(span), 3
            elif isinstance(chroms, str) and span is not None and ends is None:
                v = _np.asarray(values, dtype=_np.float64)
                s = _np.asarray(starts, dtype=_np.int64)
                cs, e, form = [chroms] * len(s), s + _int(span), 2
            elif not isinstance(chroms, str) and ends is not None and span is None and step is None:
                cs = [str(c) for c in chroms]
                s = _np.asarray(starts, dtype=_np.int64)
                e = _np.asarray(ends, dtype=_np.int64)
                v = _np.asarray(values, dtype=_np.float64)
                form = 1
            else:
                raise RuntimeError(_BAD_ENTRIES)
        except (TypeError, ValueError):
            raise RuntimeError(_BAD_ENTRIES) from None
        if not (len(cs) == len(s) == len(e) == len(v)) or s.ndim != 1 or len(s) == 0:
            raise RuntimeError(_BAD_ENTRIES)
        pos = {c: i for i, (c, _) in enumerate(self.chroms)}
        if any(c not in pos for c in set(cs)):
            raise RuntimeError(_OUT_OF_ORDER)
        ci = _np.array([pos[c] for c in cs])
        size = _np.array([self.chroms[i][1] for i in ci])
        # sorted by (chrom, start), each ending after it starts and by its
        # chromosome's end; bedGraph entries start at or after the previous
        # one's end, span/step entries at or after its start (libBigWig
        # writes fixedStep with span > step: overlapping items)
        prev_c = _np.concatenate(([self.last[0]], ci[:-1]))
        prev = _np.concatenate(([self.last[1] if form == 1 else self.last[2]], (e if form == 1 else s)[:-1]))
        ok = (s >= 0) & (e > s) & (e <= size) & ~_np.isnan(v) & ((ci > prev_c) | ((ci == prev_c) & (s >= prev)))
        if not ok.all():
            # the first entry against earlier calls, the rest against each other
            raise RuntimeError(_BAD_ENTRIES if ok[0] else _OUT_OF_ORDER)
        for c in dict.fromkeys(cs):
            m = ci == pos[c]
            self.parts.setdefault(c, []).append((s[m], e[m], v[m]))
        self.forms.add(form)
        tail = ci == ci[-1]
        self.last = (int(ci[-1]), int(max(e[tail].max(), self.last[1] if ci[-1] == self.last[0] else 0)), int(s[-1]))

    def close(self) -> None:
        data = {c: tuple(_np.concatenate(col) for col in zip(*p)) for c, p in self.parts.items()}
        kind = "fixedStep" if self.forms == {3} else "variableStep" if self.forms <= {2, 3} and self.forms else "bedGraph"
        _bwl.write(self.path, self.chroms, data, type=kind, zoom_levels=self.zooms, allow_overlap=True)


def install() -> None:
    """Make ``import pyBigWig`` give this module in this process (and, via
    the environment, in every Python process started from it)."""
    import importlib

    os.environ["BWL_AS_PYBIGWIG"] = "1"  # read by bwl-as-pybigwig.pth at each interpreter's start
    sys.modules["pyBigWig"] = importlib.import_module("bwl.pybigwig")  # not __main__ under python -m


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bwl.pybigwig (-m MODULE | -c CODE | SCRIPT) [ARGS ...]``:
    runs a pyBigWig program unchanged on bwl. ``import pyBigWig`` gives
    bwl.pybigwig there and in every process it starts (subprocesses,
    multiprocessing spawn or fork, pytest), through the BWL_AS_PYBIGWIG
    environment variable that bwl's .pth hook reads at interpreter start."""
    import importlib
    import runpy

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or (args[0] in ("-m", "-c") and len(args) < 2):
        print(main.__doc__.split("\n\n")[0] if main.__doc__ else "", file=sys.stderr)
        return 2
    importlib.import_module("bwl.pybigwig").install()
    if args[0] == "-m":
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    elif args[0] == "-c":
        sys.argv = ["-c", *args[2:]]
        exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102 - as python -c
    else:
        sys.argv = args
        runpy.run_path(args[0], run_name="__main__")
    return 0


pyBigWig = bigWigFile  # pyBigWig.pyBigWig: the file type, as annotations and isinstance checks name it

__all__ = ["open", "bigWigFile", "pyBigWig", "numpy", "remote", "__version__", "install"]

if __name__ == "__main__":
    sys.exit(main())
