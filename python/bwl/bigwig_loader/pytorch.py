"""bigwig-loader's PytorchBigWigDataset and PytorchBatch: the same batches as
torch tensors (on the GPU when bwl was built with CUDA and one is there)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import IterableDataset

from bwl.bigwig_loader import dataset as _dataset
from bwl.bigwig_loader.batch import Batch


def _device() -> torch.device:
    if _dataset.gpu_usable() and torch.cuda.is_available():
        _dataset.say_device_once("GPU (torch tensors)")
        return torch.device("cuda")
    _dataset.say_device_once("CPU (torch tensors; bwl has no CUDA build or no GPU here)")
    return torch.device("cpu")


def _tensor(x: Any, device: torch.device) -> Any:
    if isinstance(x, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(x)).to(device)
    return x


class PytorchBatch(Batch):
    """A :class:`Batch` with its arrays as torch tensors (bigwig-loader's
    argument order)."""

    def __init__(self, chromosomes: Any, starts: Any, ends: Any, values: torch.Tensor, track_indices: Any,
                 sequences: Any, other_batched: Any, other: Any,
                 track_names: Sequence[str | Path] | None = None) -> None:
        super().__init__(chromosomes, starts, ends, track_indices, sequences, values, track_names, other_batched,
                         other)

    @classmethod
    def from_batch(cls, batch: Batch, dtype: str = "float32", device: torch.device | None = None) -> PytorchBatch:
        device = device or torch.device("cpu")
        values = _tensor(batch.values, device)
        if dtype == "bfloat16" and values.dtype == torch.uint16:
            values = values.view(torch.bfloat16)
        tracks = None if batch.track_indices is None else torch.as_tensor(batch.track_indices)
        other = None if batch.other_batched is None else [_tensor(x, device) for x in batch.other_batched]
        return cls(batch.chromosomes, _tensor(np.asarray(batch.starts), device), _tensor(np.asarray(batch.ends), device),
                   values, tracks, _tensor(batch.sequences, device), other, batch.other, batch.track_names)


class PytorchBigWigDataset(IterableDataset):
    """bigwig-loader's PytorchBigWigDataset: :class:`BigWigDataset`'s
    arguments; yields ``(sequences, values)`` torch tensors,
    ``(sequences, values, track_indices, track_names)`` with subsampled
    tracks, or :class:`PytorchBatch` with ``return_batch_objects``."""

    def __init__(self, *args: Any, return_batch_objects: bool = False, **kwargs: Any) -> None:
        super().__init__()
        self._dataset = _dataset.BigWigDataset(*args, return_batch_objects=True, **kwargs)
        self._dataset._host_only = True  # numpy batches, moved here as torch tensors
        self._return_batch_objects = return_batch_objects

    def __iter__(self) -> Iterator[Any]:
        device = _device()
        for batch in self._dataset:
            b = PytorchBatch.from_batch(batch, dtype=self._dataset._dtype, device=device)
            if self._return_batch_objects:
                yield b
            elif b.track_indices is None:
                yield b.sequences, b.values
            else:
                yield b.sequences, b.values, b.track_indices, b.track_names

    def __len__(self) -> int:
        return len(self._dataset)

    def reset_gpu(self) -> None:
        self._dataset.reset_gpu()
