"""bigwig-loader 0.3.2's API over bwl: change only the import.

``from bwl.bigwig_loader import BigWigDataset`` (or ``PytorchBigWigDataset``,
``BigWigCollection``, ``Batch``) takes bigwig-loader's constructor
arguments, with its defaults, and yields what it yields: ``(sequences,
values)`` with values of shape ``(batch, sequence_length // window_size,
tracks)`` float32 (or bfloat16), sequences one-hot ``(batch,
sequence_length, 4)``; ``(sequences, values, track_indices, track_names)``
when tracks are subsampled; :class:`Batch` objects with
``return_batch_objects``. Positions are drawn uniformly over the bases of
``regions_of_interest``, new ones every epoch. Where bigwig-loader's code
differs from its documentation bwl follows the documentation; each
difference is listed in docs/migration.md ("From bigwig-loader").

Batches are where bigwig-loader puts them when bwl was built with CUDA and
a GPU is there: cupy arrays from ``BigWigDataset`` (torch CUDA tensors
without cupy), CUDA tensors from ``PytorchBigWigDataset``; otherwise on the
CPU (numpy arrays, torch tensors) with the same shapes. A log line says
which, once.
"""
from __future__ import annotations

from bwl.bigwig_loader.batch import Batch
from bwl.bigwig_loader.collection import BigWigCollection
from bwl.bigwig_loader.dataset import BigWigDataset
from bwl.bigwig_loader.paths import interpret_path, match_key_to_path
from bwl.bigwig_loader.sampling import RandomPositionSampler, TrackSampler, onehot_sequences


def __getattr__(name: str):
    if name in ("PytorchBigWigDataset", "PytorchBatch"):  # needs torch: loaded on first use
        from bwl.bigwig_loader import pytorch

        return getattr(pytorch, name)
    raise AttributeError(f"module 'bwl.bigwig_loader' has no attribute {name!r}")


__all__ = ["Batch", "BigWigCollection", "BigWigDataset", "PytorchBigWigDataset", "PytorchBatch",
           "RandomPositionSampler", "TrackSampler", "interpret_path", "match_key_to_path", "onehot_sequences"]
