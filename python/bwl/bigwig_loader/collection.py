"""bigwig-loader's BigWigCollection over a bwl.Collection."""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

import bwl
from bwl.bigwig_loader.paths import PathArg, interpret_path, map_path_to_value

_STANDARD = {f"chr{i}" for i in range(1, 23)} | {"chrX", "chrY", "chrM"}


def _natural(name: str) -> list[Any]:
    """Sort key: digit runs as numbers (natsort's order for chromosome names)."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", name) if t]


def to_bfloat16_bits(a: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bits in uint16, the bits bwl's own conversion
    gives (``Collection.values(dtype="bfloat16")``, hd/convert.hpp: round to
    nearest even, NaN kept a quiet NaN), for values computed here in numpy
    (moving averages, bins with a non-zero default)."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return np.where(np.isnan(a), (u >> 16) | 0x40, rounded).astype(np.uint16)


class BigWigCollection:
    """The bigWig files of ``bigwig_path`` (a file, a folder, read
    recursively with ``crawl``, or a list of those), sorted by path, the
    first ``first_n_files`` of them; ``scale`` maps (partial) paths, file
    names, stems or parent folder names to a factor per track."""

    def __init__(self, bigwig_path: PathArg | Sequence[PathArg], file_extensions: Sequence[str] = (".bigWig", ".bw"),
                 crawl: bool = True, scale: dict[str | Path, Any] | None = None, first_n_files: int | None = None,
                 pinned_memory_size: int = 10000) -> None:
        self.bigwig_paths: list[Path] = sorted(interpret_path(bigwig_path, file_extensions, crawl))[:first_n_files]
        if not self.bigwig_paths:
            raise FileNotFoundError(f"no bigWig files ({', '.join(file_extensions)}) in {bigwig_path}")
        scale = scale or {}
        self._scaling_factors = [float(map_path_to_value(p, scale, default=1)) for p in self.bigwig_paths]
        self.pinned_memory_size = pinned_memory_size  # bigwig-loader's pinned buffer: nothing to size here
        self.collection = bwl.Collection([str(p) for p in self.bigwig_paths], scale=self._scaling_factors)

    def __len__(self) -> int:
        return len(self.bigwig_paths)

    @property
    def scaling_factors(self) -> list[float]:
        return list(self._scaling_factors)

    def get_chromosomes_present_in_all_files(self, include_chromosomes: Literal["all", "standard"] | Sequence[str] = "all",
                                             exclude_chromosomes: Sequence[str] | None = None) -> list[str]:
        """The chromosomes every file has, as bigwig-loader lists them: only
        those of ``include_chromosomes`` ("all", "standard": chr1-22, X, Y, M,
        or names), none of ``exclude_chromosomes``; the standard ones first,
        each group in natural order (chr2 before chr10)."""
        present = set(self.collection.chroms(warn=False))
        if include_chromosomes == "standard":
            present &= _STANDARD
        elif include_chromosomes != "all":
            present &= {include_chromosomes} if isinstance(include_chromosomes, str) else set(include_chromosomes)
        present -= set(exclude_chromosomes or ())
        return sorted(present & _STANDARD, key=_natural) + sorted(present - _STANDARD, key=_natural)

    def reset_gpu(self) -> None:
        """Kept for bigwig-loader scripts: there is no device state to reset."""

    def get_batch(self, chromosomes: Sequence[str], start: Any, end: Any, window_size: int = 1,
                  default_value: float = 0.0, out: np.ndarray | None = None, track_indices: Any = None,
                  dtype: str = "float32") -> np.ndarray:
        """Values of windows of one length L: (B, L // window_size, T) float32
        (``dtype="bfloat16"``: bfloat16 bits in uint16). A bin is the mean of
        its bases, bases without data counted as ``default_value`` (NaN: the
        mean of the covered bases, NaN where none); data values are scaled,
        defaults are not; bases past a chromosome's end have no data. An
        incomplete last bin is left out."""
        start = np.asarray(start, dtype=np.int64)
        end = np.asarray(end, dtype=np.int64)
        lengths = np.unique(end - start)
        if len(lengths) != 1:
            raise ValueError(f"All queried intervals should have the same length. Found lengths: {lengths}")
        w, n = int(window_size), int(lengths[0]) // int(window_size)
        chroms, end = list(chromosomes), start + n * w
        # oob="pad": bases past a chromosome's end are no data (the default), as bigwig-loader reads them
        kw = dict(layout="BLT", oob="pad",
                  tracks=None if track_indices is None else np.asarray(track_indices, np.int64))
        d = float(default_value)
        if n == 0:  # window_size > the windows' length: no complete bin (bigwig-loader: an empty axis)
            v = np.zeros((len(start), 0, len(self) if track_indices is None else len(track_indices)), np.float32)
        elif w == 1 or math.isnan(d) or d == 0.0:
            summary = "mean" if w == 1 or math.isnan(d) else "mean0"
            v = self.collection.values(chroms, start, end, window=w, default=d, summary=summary, dtype=dtype, **kw)
            return _into(out, v.view(np.uint16) if dtype == "bfloat16" else v)
        else:  # a bin's uncovered bases count as the default
            base = self.collection.values(chroms, start, end, default=float("nan"), **kw)
            base = base.reshape(len(start), n, w, -1)
            covered = ~np.isnan(base)
            v = ((np.where(covered, base, 0).sum(axis=2, dtype=np.float64) + (w - covered.sum(axis=2)) * d) / w
                 ).astype(np.float32)
        return _into(out, to_bfloat16_bits(v) if dtype == "bfloat16" else v)


def _into(out: np.ndarray | None, v: np.ndarray) -> np.ndarray:
    if out is None:
        return v
    out[...] = v
    return out
