"""Positions, tracks and sequence encoding as bigwig-loader draws and encodes
them, with its bugs fixed (docs/migration.md)."""
from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

# bigwig-loader's one-hot table: A C G T, IUPAC codes as fractions (its constants).
_CODES = {
    "A": (1.0, 0.0, 0.0, 0.0), "C": (0.0, 1.0, 0.0, 0.0), "G": (0.0, 0.0, 1.0, 0.0), "T": (0.0, 0.0, 0.0, 1.0),
    "R": (0.5, 0, 0.5, 0), "Y": (0, 0.5, 0, 0.5), "K": (0, 0, 0.5, 0.5), "M": (0.5, 0.5, 0, 0),
    "S": (0, 0.5, 0.5, 0), "W": (0.5, 0, 0, 0.5), "B": (0, 0.333, 0.333, 0.333), "D": (0.333, 0, 0.333, 0.333),
    "H": (0.333, 0.333, 0, 0.333), "V": (0.333, 0.333, 0.333, 0), "N": (0.25, 0.25, 0.25, 0.25),
}
_TABLE = np.zeros((256, 4), np.float32)  # other bytes: zeros
for _b, _v in _CODES.items():
    _TABLE[ord(_b)] = _TABLE[ord(_b.lower())] = _v  # soft-masked (lowercase) bases as uppercase
_STANDARD = np.zeros(256, bool)
_STANDARD[[ord(b) for b in "ACGTacgt"]] = True


def onehot_sequences(sequences: Sequence[str]) -> np.ndarray:
    """float32 (B, L, 4) of B sequences of one length (A, C, G, T; IUPAC
    codes as fractions; lowercase as uppercase)."""
    if not len(sequences):
        return np.zeros((0, 0, 4), np.float32)
    codes = np.frombuffer("".join(sequences).encode("ascii", "replace"), np.uint8)
    return _TABLE[codes].reshape(len(sequences), -1, 4)


def fraction_unknown(sequence: str) -> float:
    """Share of bases that are not A, C, G or T (either case)."""
    codes = np.frombuffer(sequence.encode("ascii", "replace"), np.uint8)
    return float(1.0 - _STANDARD[codes].mean()) if len(codes) else 1.0


def moving_average(values: Any, window: int) -> Any:
    """Mean over ``window`` positions along the sequence axis (1) of (B, L, T)
    values, as ``numpy.convolve(..., mode="same")`` with zeros past the ends."""
    if window == 1:
        return values
    v = np.asarray(values, dtype=np.float64)
    n = v.shape[1]
    padded = np.pad(v, ((0, 0), (window - 1, window - 1), (0, 0)))
    c = np.concatenate([np.zeros((v.shape[0], 1, v.shape[2])), np.cumsum(padded, axis=1)], axis=1)
    full = (c[:, window:] - c[:, :-window]) / window  # (B, n + window - 1, T)
    lo = (window - 1) // 2
    return full[:, lo:lo + n].astype(np.asarray(values).dtype)


class RandomPositionSampler:
    """(chromosome, center) drawn uniformly over the bases of
    ``regions_of_interest`` (columns chrom, start, end), ``buffer_size`` at a
    time from numpy's global generator (``np.random.seed`` reproduces them).
    ``repeat_same``: every iteration replays the first buffer."""

    def __init__(self, regions_of_interest: Any, buffer_size: int = 100000, repeat_same: bool = False) -> None:
        self._chroms = np.asarray(regions_of_interest["chrom"]).astype(str)
        self._starts = np.asarray(regions_of_interest["start"], dtype=np.int64)
        lengths = np.asarray(regions_of_interest["end"], dtype=np.int64) - self._starts
        if len(lengths) == 0 or (lengths <= 0).any():
            raise ValueError("regions_of_interest needs at least one region, each with end > start")
        self._cum_end = np.cumsum(lengths)
        self.buffer_size = int(buffer_size)
        self._repeat_same = repeat_same
        self._buffer: list[tuple[str, int]] = []
        self._index = 0

    def __iter__(self) -> Iterator[tuple[str, int]]:
        if self._repeat_same:
            self._index = 0
        return self

    def __next__(self) -> tuple[str, int]:
        if self._index >= self.buffer_size:
            self._index = 0
        if self._index == 0 and not (self._repeat_same and self._buffer):
            self._refresh()
        out = self._buffer[self._index]
        self._index += 1
        return out

    def _refresh(self) -> None:
        total = int(self._cum_end[-1])
        draw = np.random.randint(0, total, size=self.buffer_size, dtype=np.int64)
        k = np.searchsorted(self._cum_end, draw, side="right")
        region_start = np.where(k > 0, self._cum_end[k - 1], 0)
        centers = self._starts[k] + (draw - region_start)
        self._buffer = list(zip(self._chroms[k].tolist(), centers.tolist()))


class TrackSampler:
    """A sorted random sample of ``sample_size`` track indices per batch, forever."""

    def __init__(self, total_number_of_tracks: int, sample_size: int) -> None:
        self.total_number_of_tracks = total_number_of_tracks
        self.sample_size = sample_size

    def __iter__(self) -> Iterator[list[int]]:
        while True:
            yield sorted(random.sample(range(self.total_number_of_tracks), self.sample_size))  # noqa: S311
