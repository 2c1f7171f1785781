"""bigwig-loader's Batch: a batch's query (chromosomes, starts, ends) and
what was loaded for it."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


class Batch:
    """One batch.

    Attributes: ``chromosomes`` (B str), ``starts`` / ``ends`` (int64 (B,):
    the target window, ``center_bin_to_predict`` wide), ``track_indices``
    (the tracks in ``values``, None for all), ``sequences`` (encoded, or the
    strings), ``values`` ((B, L // window_size, T)), ``track_names``,
    ``other_batched`` (arrays sliced with the batch), ``other``.
    """

    def __init__(self, chromosomes: Sequence[str], starts: Any, ends: Any, track_indices: Any = None,
                 sequences: Any = None, values: Any = None, track_names: Sequence[str | Path] | None = None,
                 other_batched: Sequence[Any] | None = None, other: Any = None) -> None:
        self.chromosomes = chromosomes
        self.starts = starts
        self.ends = ends
        self.sequences = sequences
        self.track_indices = track_indices
        self.values = values
        self.other_batched = other_batched
        self.other = other
        self.track_names = track_names

    @classmethod
    def from_args(cls, args: Any) -> Batch:
        """A Batch from a Batch, a dict of its fields, or (chromosomes, starts, ends)."""
        if isinstance(args, cls):
            return args
        if isinstance(args, dict):
            return cls(**args)
        if isinstance(args, (tuple, list)):
            if len(args) != 3:
                raise ValueError(f"You are feeding the dataloader with {len(args)} elements. Expected exactly 3 "
                                 "elements (chromosome, start, end); for more use bwl.bigwig_loader.Batch.")
            return cls(*args)
        raise ValueError(f"Can't create a Batch from {args}")

    def __getitem__(self, item: slice) -> Batch:
        return Batch(self.chromosomes[item], self.starts[item], self.ends[item], self.track_indices,
                     None if self.sequences is None else self.sequences[item],
                     None if self.values is None else self.values[item], self.track_names,
                     None if self.other_batched is None else [x[item] for x in self.other_batched], self.other)

    def __len__(self) -> int:
        return len(self.starts)

    def __repr__(self) -> str:
        def n(x):
            return 0 if x is None else len(x)

        shape = self.values.shape if self.values is not None else 0
        return (f"Batch(chromosomes={n(self.chromosomes)}, starts={n(self.starts)}, ends={n(self.ends)}, "
                f"sequences={n(self.sequences)}, values={shape}, track_indices={n(self.track_indices)})")
