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

Files are written as pyBigWig 0.3.29 writes them (libBigWig 0.4.10's
bwWrite.c, core/libbigwig_writer.cpp): the same calls give the same bytes
(with the same zlib), blocks written as entries are added; a call pyBigWig
refuses is refused, a RuntimeError at that call, and the file goes on.

What differs, on purpose (docs/migration.md): where pyBigWig crashes or
reads past its buffers, bwl raises a RuntimeError (an unwritable path, at
``open``; entries before ``addHeader``; with ``validate=False``, an empty
entry list; arrays of more than one dimension; values neither a list nor
an array) or writes the file without zoom levels (no entry overlapping its
chromosome, or entries 2^28 bases wide on average: pyBigWig crashes at
``close``); a libBigWig call failing (``validate=False``), which pyBigWig
reports as a SystemError, and a failed write (pyBigWig warns on stderr and
leaves a truncated file) are RuntimeErrors. Zoom ``sum`` is UCSC's
(pyBigWig's returns the mean); ``header()`` of a negative ``minVal`` is
that negative integer. bigBed files are read (``entries``, ``SQL``), not
written.
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
    if "w" in mode:  # created (truncated) now, as pyBigWig does; a name that is not a path is str()'d
        return bigWigFile(None, os.fsdecode(file) if isinstance(file, (str, bytes, os.PathLike)) else str(file))
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
            raise RuntimeError("Chromosomes cannot be accessed in files opened for writing!")
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

    def addHeader(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        """``addHeader(cl, maxZooms=10)``: the chromosomes, a list of
        ``(name, length)`` tuples in order, and at most how many zoom levels
        (a Python int)."""
        self._writer().add_header(args, kwargs)

    def addEntries(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        """``addEntries(chroms, starts, ends=None, values=None, span=None,
        step=None, validate=True)``, in one of pyBigWig's three forms:
        (chroms, starts, ends=, values=); (chrom, starts, values=, span=);
        (chrom, start, values=, span=, step=). Positions are ints (lists or
        integer arrays), values floats (lists or float arrays); with
        ``validate`` the entries must be sorted and follow what was added."""
        self._writer().add(args, kwargs)

    def close(self) -> None:
        """Closes the file; a file being written gets its index and zoom
        levels now."""
        if self._w is not None:
            w, self._w = self._w, None
            w.close()
        if self._f is not None:
            self._f.close()

    def __enter__(self) -> bigWigFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- the writer: pyBigWig.c's argument handling over libBigWig's calls -------------
#
# pyBigWig.c decides from the Python types which of its three forms a call
# is, checks the entries against its own record of the last call
# (validate=True), and appends to the block being filled when the call
# continues the last one; core/libbigwig_writer.cpp writes as libBigWig.
# Each rule below is pyBigWig.c's, its oddities included (an append does
# not move the position later calls are checked against; negative list
# integers wrap to 32 bits), since they decide what is written.

_M32 = 0xFFFFFFFF
_U32_NUMS = {_np.dtype(t).num for t in (_np.int8, _np.uint8, _np.int16, _np.uint16, _np.int32, _np.uint32,
                                        _np.int64, _np.uint64)}  # getNumpyU32's types (np.longlong is not)
_FLT_MAX = float(_np.finfo(_np.float32).max)


class _Bad(Exception):
    """A value pyBigWig.c cannot convert (it sets a Python error)."""


def _is_int(x: Any) -> bool:  # isNumeric: a Python int (bool too) or a numpy integer scalar
    return isinstance(x, (int, _np.integer))


def _long(x: Any) -> int:  # PyLong_AsLong
    v = x.__index__()
    if not -(1 << 63) <= v < 1 << 63:
        raise _Bad
    return v


def _u32(x: Any) -> int:  # Numeric2Uint: over 2^32 - 1 is an error, negatives wrap
    v = _long(x)
    if v > _M32:
        raise _Bad
    return v & _M32


def _utf8(s: str) -> bytes:  # PyUnicode_AsUTF8, read as a C string
    try:
        return s.encode("utf-8").split(b"\0", 1)[0]
    except UnicodeEncodeError:
        raise _Bad from None


def _native(a: _np.ndarray) -> _np.ndarray:  # pyBigWig reads the array's bytes in the machine's order
    return a if a.dtype.isnative else a.view(a.dtype.newbyteorder("="))


def _array(x: Any) -> bool:  # pyBigWig reads numpy arrays along their first axis only
    return isinstance(x, _np.ndarray) and x.ndim == 1


def _seq(x: Any) -> bool:
    return isinstance(x, list) or _array(x)


def _size(x: Any) -> int:
    return len(x) if isinstance(x, list) else int(x.size)


def _all(x: list, types) -> bool:  # every item an instance of `types` (by their distinct classes: fast)
    return all(issubclass(t, types) for t in set(map(type, x)))


def _ints(x: Any) -> bool:
    return _all(x, (int, _np.integer)) if isinstance(x, list) else x.dtype.kind in "iu"


def _floats(x: Any) -> bool:  # PyFloat_Check (np.float64 is a float; np.float32 is not)
    return _all(x, float) if isinstance(x, list) else x.dtype.kind == "f"


def _to_u32(x: Any, strict: bool) -> _np.ndarray:
    """Positions as uint32: a list's by Numeric2Uint (strict, when
    validating) or (uint32_t) PyLong_AsLong; an array's by getNumpyU32."""
    if isinstance(x, list):
        try:
            a = _np.array(x, dtype=_np.int64)
        except (OverflowError, TypeError, ValueError):
            raise _Bad from None
        if strict and (a > _M32).any():
            raise _Bad
        return (a & _M32).astype(_np.uint32)
    a = _native(x)
    if a.size == 0:  # no item read, no type refused
        return _np.zeros(0, _np.uint32)
    if a.dtype.num not in _U32_NUMS:
        raise _Bad
    if a.dtype.kind == "i":
        if (a < 0).any():
            raise _Bad
        return (a.astype(_np.int64) & _M32).astype(_np.uint32)  # getNumpyU32 keeps the low 32 bits
    if a.dtype.itemsize == 8 and (a > _M32).any():
        raise _Bad
    return a.astype(_np.uint32)


def _to_f32(x: Any) -> _np.ndarray:
    """Values as float32: a list's by (float) PyFloat_AsDouble; an array's
    by getNumpyF (float64 beyond float32's range is an error, NaN is not;
    -0.0 becomes 0.0)."""
    with _np.errstate(over="ignore", invalid="ignore"):
        if isinstance(x, list):
            return _np.array(x, dtype=_np.float64).astype(_np.float32)
        a = _native(x)
        if a.size == 0 or a.dtype == _np.float16 or a.dtype == _np.float32:  # an empty one: no item read
            return a.astype(_np.float32)
        if a.dtype == _np.float64:
            if (a > _FLT_MAX).any() or (a < -_FLT_MAX).any():
                raise _Bad
            return (a + 0.0).astype(_np.float32)
    raise _Bad  # long double


def _names(x: Any) -> tuple[list[bytes], _np.ndarray]:
    """Chromosome names as the C strings pyBigWig passes on (a list's
    UTF-8; a numpy array's bytes, each UCS4 unit cut to a byte): the
    distinct ones, and each entry's index into them."""
    if isinstance(x, list):
        enc = {s: _utf8(s) for s in dict.fromkeys(x)}
        distinct = list(dict.fromkeys(enc.values()))
        pos = {b: i for i, b in enumerate(distinct)}
        index = {s: pos[b] for s, b in enc.items()}
        return distinct, _np.fromiter(map(index.__getitem__, x), dtype=_np.uint32, count=len(x))
    a = _np.ascontiguousarray(_native(x))
    if a.dtype.kind == "U":
        k = a.dtype.itemsize // 4
        a = (a.view(_np.uint32).reshape(-1, k) & 0xFF).astype(_np.uint8).view(f"S{k}").ravel() if k else \
            _np.zeros(len(a), "S1")
    uniq, inverse = _np.unique(a, return_inverse=True)
    cut = [b.split(b"\0", 1)[0] for b in uniq.tolist()]
    distinct = list(dict.fromkeys(cut))
    pos = {b: i for i, b in enumerate(distinct)}
    return distinct, _np.array([pos[b] for b in cut], dtype=_np.uint32)[inverse.ravel()]


def _entry_type(chroms, starts, ends, values, span, step) -> int:
    """pyBigWig.c's getType: 0 (chroms, starts, ends, values), 1 (chrom,
    starts, values, span) or 2 (chrom, start, values, span, step); -1."""
    if values is None:
        return -1
    if (ends is not None and all(map(_seq, (chroms, starts, ends, values)))
            and _size(starts) == _size(ends) == _size(values) == _size(chroms)
            and (_all(chroms, str) if isinstance(chroms, list) else chroms.dtype.kind in "SU")
            and _ints(starts) and _ints(ends) and _floats(values)):
        return 0
    if (span is not None and isinstance(chroms, str) and _seq(starts) and _seq(values) and _is_int(span)
            and _size(starts) == _size(values) and _ints(starts) and _floats(values)):
        return 1
    if (span is not None and step is not None and _is_int(span) and _is_int(step) and isinstance(chroms, str)
            and _is_int(starts) and _seq(values) and _floats(values)):
        return 2
    return -1


def _parse(args: tuple, kwargs: dict, names: tuple[str, ...], required: int) -> list:
    """PyArg_ParseTupleAndKeywords: a wrong call is a RuntimeError."""
    if len(args) > len(names) or any(k not in names for k in kwargs):
        raise RuntimeError("Illegal arguments")
    out = list(args) + [_UNSET] * (len(names) - len(args))
    for i, k in enumerate(names):
        if k in kwargs:
            if i < len(args):
                raise RuntimeError("Illegal arguments")
            out[i] = kwargs[k]
    if any(v is _UNSET for v in out[:required]):
        raise RuntimeError("Illegal arguments")
    return out


class _Writer:
    """A file being written: core LibBigWigWriter (libBigWig's calls) and
    pyBigWig.c's record of the last call."""

    def __init__(self, path: str) -> None:
        try:
            self.w = _bwl._core.LibBigWigWriter(path)
        except (OSError, RuntimeError, ValueError) as e:
            raise RuntimeError(f"Received an error during file opening! {e}") from None
        self.tids: dict[bytes, int] | None = None  # bwGetTid: the first chromosome of a name
        self.last_tid, self.last_type = -1, -1
        self.last_span = self.last_step = self.last_start = _M32
        self.memo: dict = {}

    def tid(self, name: bytes) -> int:
        return -1 if self.tids is None else self.tids.get(name, -1)

    def _once(self, key: tuple, make):  # a conversion the checks and the write of one call share
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]

    def _names(self, chroms) -> tuple[list[bytes], _np.ndarray]:
        return self._once(("names", id(chroms)), lambda: _names(chroms))

    def _u32(self, x, strict: bool) -> _np.ndarray:
        return self._once(("u32", id(x), strict and isinstance(x, list)), lambda: _to_u32(x, strict))

    def add_header(self, args: tuple, kwargs: dict) -> None:
        cl, zooms = _parse(args, kwargs, ("cl", "maxZooms"), 1)
        if zooms is _UNSET:
            zooms = 10
        if not isinstance(zooms, int):  # the "k" format: a Python int, taken modulo 2^64
            raise RuntimeError("Illegal arguments")
        zoom_tmp = zooms & ((1 << 64) - 1)
        zoom_tmp -= (zoom_tmp >> 63) << 64  # held in a C long
        if not isinstance(cl, list):
            raise RuntimeError("You MUST input a list of tuples (e.g., [('chr1', 1000), ('chr2', 2000)]!")
        if not cl:
            raise RuntimeError("You input an empty list!")
        names, lengths = [], []
        for t in cl:
            if not isinstance(t, tuple):
                raise RuntimeError("The input list is not made up of tuples!")
            if len(t) != 2:
                raise RuntimeError("One tuple does not contain exactly 2 members!")
            if not isinstance(t[0], str):
                raise RuntimeError("The first element of each tuple MUST be a string!")
            try:
                names.append(_utf8(t[0]))
            except _Bad:
                raise RuntimeError("Received something other than a string for a chromosome name!") from None
            if not _is_int(t[1]):
                raise RuntimeError("The second element of each tuple MUST be an integer!")
            try:
                lengths.append(_u32(t[1]))
            except _Bad:
                raise RuntimeError("Length out of bounds for a bigWig file!") from None
            if zoom_tmp > _M32:  # pyBigWig checks maxZooms here, not the length
                raise RuntimeError("A requested length is longer than what can be stored in a bigWig file!")
        max_zooms = (zoom_tmp & _M32) - (((zoom_tmp >> 31) & 1) << 32)  # (int32_t) maxZooms
        self.tids = {}
        for i, n in enumerate(names):
            self.tids.setdefault(n, i)
        if self.w.add_header(names, lengths, max_zooms):
            self._io()
            raise RuntimeError("Received an error while writing the bigWig header")

    def _io(self) -> None:
        if self.w.io_error:
            raise RuntimeError(self.w.io_error)

    def _input_ok(self, kind: int, chroms, starts, ends, span, step) -> bool:
        """pyBigWig.c's addEntriesInputOK: entries sorted, not overlapping,
        after the last call's (by its record, which appends do not move)."""
        last_tid, last_end = self.last_tid & _M32, self.last_start
        try:
            if kind == 0:
                if _size(starts) == 0:
                    return False
                names, index = self._names(chroms)
                tids = _np.array([self.tid(n) for n in names], dtype=_np.int64)[index]
                st = self._u32(starts, True).astype(_np.int64)
                en = self._u32(ends, True).astype(_np.int64)
                if (tids < 0).any() or (st >= en).any():
                    return False
                prev_tid = _np.concatenate(([last_tid], tids[:-1]))
                prev_end = _np.concatenate(([last_end], en[:-1]))
                bad = (prev_tid > tids) | ((prev_tid == tids) & (st < prev_end))
                if last_tid == _M32:
                    bad[0] = False
                return not bad.any()
            if kind == 1:
                uspan = _u32(span)
                if uspan < 1 or _size(starts) == 0:
                    return False
                tid = self.tid(_utf8(chroms))
                if tid < 0 or (last_tid != _M32 and last_tid > tid):
                    return False
                st = self._u32(starts, True).astype(_np.int64)
                prev_end = _np.concatenate(([last_end], (st[:-1] + uspan) & _M32))
                bad = st < prev_end
                if last_tid != tid:
                    bad[0] = False
                return not bad.any()
            tid = self.tid(_utf8(chroms))
            ustart, uspan, ustep = _u32(starts), _u32(span), _u32(step)
            if tid < 0 or uspan < 1 or ustep < 1:
                return False
            return last_tid == _M32 or not (last_tid > tid or (last_tid == tid and ustart < last_end))
        except _Bad:
            return False

    def _can_append(self, kind: int, chroms, starts, span, step) -> bool:
        """pyBigWig.c's canAppend: the call goes on from the last one (same
        form, chromosome, span and step; starts not before its record)."""
        if self.last_type == -1 or self.last_tid == -1 or self.last_type != kind:
            return False
        if kind == 0:
            if any(self.tid(n) != self.last_tid for n in self._names(chroms)[0]):
                return False
            first = int(_to_u32(starts[:1], True)[0])
            return first >= self.last_start
        if kind == 1:
            if _u32(span) != self.last_span or self.tid(_utf8(chroms)) != self.last_tid:
                return False
            return int(_to_u32(starts[:1], True)[0]) >= self.last_start
        return (self.tid(_utf8(chroms)) == self.last_tid and _u32(span) == self.last_span
                and _u32(step) == self.last_step and _u32(starts) == self.last_start)

    def add(self, args: tuple, kwargs: dict) -> None:
        """pyBigWig.c's addEntries: its form, its checks (validate), then
        an append to the last call's block or a new add."""
        *given, validate = _parse(args, kwargs, ("chroms", "starts", "ends", "values", "span", "step", "validate"), 2)
        chroms, starts, ends, values, span, step = (None if v is _UNSET else v for v in given)
        validate = True if validate is _UNSET else validate
        if self.tids is None:  # pyBigWig crashes here
            raise RuntimeError("The header must be added before entries!")
        self.memo = {}
        try:
            self._add(chroms, starts, ends, values, span, step, validate)
        finally:
            self.memo = {}

    def _add(self, chroms, starts, ends, values, span, step, validate) -> None:
        kind = _entry_type(chroms, starts, ends, values, span, step)
        if kind < 0:
            raise RuntimeError(_BAD_ENTRIES)
        if validate is True and not self._input_ok(kind, chroms, starts, ends, span, step):  # `is`, as pyBigWig
            raise RuntimeError(_OUT_OF_ORDER)
        if kind < 2 and _size(starts) == 0:  # pyBigWig reads out of bounds here (validate=False)
            raise RuntimeError(_BAD_ENTRIES)
        try:
            append = self._can_append(kind, chroms, starts, span, step)
            v = _to_f32(values)
            if kind == 0:
                st, en = self._u32(starts, False), self._u32(ends, False)
                if append:
                    rc = self.w.append_intervals(st, en, v)
                    if rc:
                        self.last_start = int(en[-1])
                else:
                    names, index = self._names(chroms)
                    rc = self.w.add_intervals(names, index, st, en, v)
                    if not rc:
                        self.last_tid, self.last_start = self.tid(names[index[-1]]), int(en[-1])
            elif kind == 1:
                st = self._u32(starts, False)
                if append:
                    rc = self.w.append_interval_spans(st, v)
                    if rc:
                        self.last_start = (int(st[-1]) + self.last_span) & _M32
                else:
                    uspan = _long(span) & _M32
                    rc = self.w.add_interval_spans(_utf8(chroms), st, uspan, v)
                    if not rc:
                        self.last_tid, self.last_span = self.tid(_utf8(chroms)), uspan
                        self.last_start = (int(st[-1]) + uspan) & _M32
            elif append:
                rc = self.w.append_interval_span_steps(v)
                if not rc:
                    self.last_start = (self.last_start + self.last_step * len(v)) & _M32
            else:
                ustart, uspan, ustep = (_long(x) & _M32 for x in (starts, span, step))
                rc = self.w.add_interval_span_steps(_utf8(chroms), ustart, uspan, ustep, v)
                if not rc:
                    self.last_tid, self.last_span, self.last_step = self.tid(_utf8(chroms)), uspan, ustep
                    self.last_start = (ustart + ustep * len(v)) & _M32
        except _Bad:
            raise RuntimeError(_BAD_ENTRIES) from None
        if rc:  # pyBigWig: a SystemError
            self._io()
            raise RuntimeError(f"libBigWig could not add the entries (error {rc})")
        self.last_type = kind

    def close(self) -> None:
        if self.w.close():
            self._io()  # otherwise libBigWig's own complaint (no header): a file left as it is


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
