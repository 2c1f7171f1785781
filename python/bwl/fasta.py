"""Reference sequence as model input: :class:`Fasta`."""
from __future__ import annotations

import errno
import os
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bwl import _check, _core
from bwl._remote import RemoteOptions, fetch_small, open_source, remote_error
from bwl._types import DTYPES, MAX_THREADS, ChromAliasSpec, alias_args, check_dtype, output_array, reverse_mask


class Fasta:
    """A FASTA file (.fa, or bgzip .fa.gz) with random access.

    Uses the samtools ``.fai`` index (and ``.gzi`` for bgzip files) next to
    the file, writing them when missing (kept in memory when the folder is
    read-only). A gzip file not made by bgzip is rejected with a message
    saying so. ``chrom_aliases`` as in :class:`bwl.Collection` (``"chr1"``
    finds sequence ``1``).

    ``path`` may also be an http(s) or fsspec URL, or a binary file object
    (see :func:`bwl.open`). A URL needs its ``.fai`` next to it (``URL.fai``;
    and ``URL.gzi`` for bgzip, else the member table is rebuilt from the
    members' headers); for a file object, pass ``fai`` (the index's text or
    a path to it), or it is built by reading the whole file.
    """

    def __init__(self, path, threads: int | None = None, chrom_aliases: ChromAliasSpec = None,
                 remote: RemoteOptions | None = None, fai: None | str | bytes | os.PathLike[str] = None) -> None:
        threads = _check.optional_integer("threads", threads, 1, MAX_THREADS)
        self.path, src = open_source(path, remote)  # src None: a local path (file:// URLs too)
        fai_text, gzi = _remote_index(path, remote, fai) if src is not None else (b"", b"")
        self._f = _core.Fasta(self.path, threads or 0, *alias_args(chrom_aliases), src, fai_text, gzi)
        self._chroms = dict(self._f.chroms())

    def chroms(self) -> dict[str, int]:
        """``{name: length}`` in file order."""
        return dict(self._chroms)

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Bases of ``chrom:[start, end)`` as they are in the file (case kept)."""
        if not isinstance(chrom, str):
            raise TypeError(f"chrom must be a str, got {type(chrom).__name__} {chrom!r}")
        return self._f.fetch(chrom, _check.integer("start", start, 0), _check.integer("end", end, 0))

    def onehot(self, chroms: Sequence[str], starts: npt.ArrayLike, ends: npt.ArrayLike, dtype: str = "float32",
               layout: str = "BLC", n_value: float = 0.25, out: np.ndarray | None = None,
               reverse: npt.ArrayLike | None = None) -> np.ndarray:
        """One-hot sequence of B windows of one length L.

        Channels are A, C, G, T; lowercase (soft-masked) bases encode like
        uppercase; N and other IUPAC codes give ``n_value`` in all four
        channels (0.25 or 0); positions outside the chromosome give zeros.
        Windows where ``reverse`` (bool, shape (B,)) is true are
        reverse-complemented: the minus strand read 5' to 3'.

        Returns
        -------
        np.ndarray, shape (B, L, 4) for layout "BLC" or (B, 4, L) for "BCL"
        """
        check_dtype(dtype)
        _check.choice("layout", layout, ("BLC", "BCL"))
        n_value = _check.number("n_value", n_value)
        starts, ends = _check.int_array("starts", starts), _check.int_array("ends", ends)
        idx = self.indices(chroms)
        if starts.shape != idx.shape or ends.shape != idx.shape:
            raise ValueError("chroms, starts and ends must have one shape (B,)")
        lengths = ends - starts
        L = int(lengths[0]) if lengths.size else 0
        if L <= 0 or not np.all(lengths == L):
            raise ValueError("all windows must have one positive length")
        shape = (len(idx), L, 4) if layout == "BLC" else (len(idx), 4, L)
        out = output_array(out, shape, dtype)
        self._f.onehot(idx, starts, L, n_value, DTYPES[dtype], layout == "BLC", out,
                       reverse_mask(reverse, len(idx)))
        return out

    def n_fraction(self, chroms: Sequence[str], starts: npt.ArrayLike, length: int) -> np.ndarray:
        """Share of bases that are not A/C/G/T in each window (outside the
        chromosome counts as N): float32 array of shape (B,)."""
        return self._f.n_fraction(self.indices(chroms), _check.int_array("starts", starts),
                                  _check.integer("length", length, 1))

    def indices(self, chroms: Sequence[str]) -> np.ndarray:
        """uint32 positions of the names in :meth:`chroms` order; KeyError for unknown ones."""
        return self._f.indices(np.asarray(chroms).astype(str).tolist())

    def __repr__(self) -> str:
        return f"<bwl.Fasta {self.path!r} ({len(self._chroms)} sequences)>"


def _remote_index(path, remote: RemoteOptions | None, fai) -> tuple[bytes, bytes]:
    """(.fai text, .gzi bytes) for a URL or file object; b"" where absent
    (an empty .fai makes the core build it by reading the file)."""
    if fai is not None:
        if isinstance(fai, bytes):
            return fai, b""
        if isinstance(fai, str) and "\t" in fai:
            return fai.encode(), b""
        with open(fai, "rb") as fh:
            return fh.read(), b""
    if not isinstance(path, (str, os.PathLike)):
        return b"", b""  # a file object: built from its bytes
    text = fetch_small(path, ".fai", remote)
    if text is None:
        raise remote_error(errno.ENOENT, f"{os.fspath(path)}.fai: not found; a remote FASTA needs its samtools .fai index next "
                          "to it (run `samtools faidx` and upload the .fai), or pass fai=")
    return text, fetch_small(path, ".gzi", remote) or b""
