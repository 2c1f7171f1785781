"""One bigWig file, read the way pyBigWig reads it."""
from __future__ import annotations

import numpy as np

from bwl import _check, _core
from bwl._remote import RemoteOptions, open_source
from bwl._types import STATS


class BigWigFile:
    """An open bigWig or bigBed file. Create with :func:`bwl.open`.

    A bigWig has :meth:`values` and :meth:`intervals`; a bigBed has
    :meth:`entries` and :meth:`sql`; both have :meth:`chroms`,
    :meth:`header` and :meth:`stats` (for a bigBed, of its coverage depth).

    Header, chromosome list and block index are parsed once at open (in C++);
    every read call releases the GIL, so threads can read one file at once.
    Positions are 0-based, half-open, as in pyBigWig.
    """

    def __init__(self, path, remote: RemoteOptions | None = None) -> None:
        self.path, self._source = open_source(path, remote)
        self._f: _core.BbiFile | None = _core.BbiFile(self.path, self._source)
        self._chroms: dict[str, int] = dict(self._f.chroms())

    # -- metadata ---------------------------------------------------------
    def chroms(self, chrom: str | None = None) -> dict[str, int] | int | None:
        """Chromosome sizes.

        Returns ``{name: size}`` in the file's order, or with ``chrom`` given
        that chromosome's size (``None`` if the file lacks it), as pyBigWig.
        """
        self._open()
        if chrom is None:
            return dict(self._chroms)
        return self._chroms.get(chrom)

    def header(self) -> dict:
        """Header fields: pyBigWig's keys (``version``, ``nLevels``,
        ``nBasesCovered``, ``minVal``, ``maxVal``, ``sumData``,
        ``sumSquared``) plus ``compressed``, ``zoomLevels`` (list of dicts),
        offsets, ``sectionCount``, ``blockCount``, ``byteOrder``, ``fileSize``."""
        return self._open().header()

    # -- data ---------------------------------------------------------------
    def values(self, chrom: str, start: int, end: int, numpy: bool = True) -> np.ndarray:
        """Per-base values of ``chrom:[start, end)``.

        Returns
        -------
        np.ndarray, shape (end - start,), float32
            NaN where the file has no data, exactly like pyBigWig's
            ``values(..., numpy=True)``. (``numpy`` is accepted for
            pyBigWig compatibility; the result is always an array.)

        Raises KeyError for an unknown chrom, ValueError unless
        ``0 <= start < end <= chrom size``, :class:`bwl.FormatError` for a
        corrupt file.
        """
        return self._open().values(_chrom(chrom), _pos("start", start), _pos("end", end))

    def intervals(self, chrom: str, start: int = 0, end: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Data items overlapping ``chrom:[start, end)`` (``end`` defaults to
        the chromosome end), unclipped, in file order.

        Returns
        -------
        (starts, ends, values): uint32, uint32, float32 arrays of shape (n,)
        """
        f = self._open()
        chrom = _chrom(chrom)
        if end is None:
            end = f.chrom_size(chrom)
        return f.intervals(chrom, _pos("start", start), _pos("end", end))

    def stats(self, chrom: str, start: int | None = None, end: int | None = None,
              type: str = "mean", nBins: int = 1, exact: bool = False) -> np.ndarray:
        """Summary of ``chrom:[start, end)`` in ``nBins`` equal bins.

        ``type`` is one of ``mean``, ``min``, ``max``, ``cov`` (fraction of
        bases covered), ``std`` (sample standard deviation), ``sum``. By
        default values come from the zoom level UCSC and pyBigWig would pick
        (the coarsest no wider than half a bin), with ``sum`` and ``cov`` as
        UCSC computes them there (pybbi and pybigtools agree; pyBigWig's
        zoom sum is wrong); ``exact=True`` reads the data.

        Returns
        -------
        np.ndarray, shape (nBins,), float64
            NaN for a bin without data (where pyBigWig gives ``None``).
        """
        _check.choice("type", type, STATS)
        nBins = _check.integer("nBins", nBins, 1)
        exact = _check.flag("exact", exact)
        f = self._open()
        chrom = _chrom(chrom)
        if start is None:
            start = 0
        if end is None:
            end = f.chrom_size(chrom)
        return f.stats(chrom, _pos("start", start), _pos("end", end), STATS[type], nBins, exact)

    # -- bigBed ---------------------------------------------------------------
    @property
    def is_bigbed(self) -> bool:
        """True for a bigBed file (records: :meth:`entries`), False for a bigWig."""
        return bool(self._open().bigbed)

    def entries(self, chrom: str, start: int = 0, end: int | None = None,
                with_string: bool = True) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """A bigBed's records overlapping ``[start, end)`` (default: the whole
        chromosome), unclipped, in file order.

        Returns ``(starts, ends, rest)``: uint32 arrays of shape (n,) and a
        list of n strings, the fields after the third, tab-separated (empty
        strings when ``with_string`` is False). ValueError on a bigWig.
        """
        with_string = _check.flag("with_string", with_string)
        f = self._open()
        chrom = _chrom(chrom)
        if end is None:
            end = f.chrom_size(chrom)
        return f.entries(chrom, _pos("start", start), _pos("end", end), with_string)

    def sql(self) -> str:
        """The autoSql text describing a bigBed's fields ("" when none)."""
        return self._open().auto_sql()

    # -- lifetime -------------------------------------------------------------
    def close(self) -> None:
        """Close the file; later calls raise ValueError.

        Calls already running in other threads finish first: the descriptor
        is released when the last of them drops its reference. A remote
        file's cached ranges are dropped.
        """
        self._f = None
        if self._source is not None:
            self._source.forget()

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._f is None

    def __enter__(self) -> BigWigFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._f is None else f"{len(self._chroms)} chroms"
        return f"<bwl.BigWigFile {self.path!r} ({state})>"

    def _open(self) -> _core.BbiFile:
        f = self._f
        if f is None:
            raise ValueError(f"{self.path}: I/O operation on a closed bigWig file")
        return f


def _pos(name: str, v) -> int:
    """A position as a Python int in [0, 2**32] (numpy integers included; floats refused)."""
    return _check.integer(name, v, 0, 2**32)


def _chrom(chrom) -> str:
    if not isinstance(chrom, str):
        raise TypeError(f"chrom must be a str, got {type(chrom).__name__} {chrom!r}")
    return chrom


def open(path, remote: RemoteOptions | None = None) -> BigWigFile:  # noqa: A001 - mirrors pyBigWig.open
    """Open a bigWig or bigBed file for reading (a context manager).

    ``path`` is a local path, an ``http://``/``https://`` URL (read by
    ranges; the server must support Range requests), an fsspec URL
    (``s3://``, ``gs://``, ... when fsspec is installed) or a binary file
    object (``read``/``seek``, or ``read_at(offset, n)``). ``remote``
    (:class:`bwl.RemoteOptions`) sets timeouts, retries and request sizes
    for the non-local kinds.

    Raises FileNotFoundError / OSError when the file can't be opened or
    read (:class:`bwl.RemoteError` for URLs and file objects) and
    :class:`bwl.FormatError` (a RuntimeError, like pyBigWig's errors) when it
    is not a valid bigWig, with the file name and the problem.
    """
    return BigWigFile(path, remote)
