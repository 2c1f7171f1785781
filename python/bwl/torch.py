"""PyTorch integration: :class:`BigWigDataset` and :func:`to_tensor`.

Importing this module needs torch; ``import bwl`` does not.
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import Callable

import numpy as np

from bwl import _check
from bwl._optional import require

torch = require("torch", "bwl.torch")
import torch.distributed as dist  # noqa: E402

from bwl.loader import Batch, Loader  # noqa: E402


def to_tensor(a: np.ndarray, dtype: str = "float32") -> torch.Tensor:
    """A numpy batch as a torch tensor without a copy; bfloat16 arrays
    (raw uint16 bits or ml_dtypes.bfloat16) become torch.bfloat16. A tensor
    (a CUDA loader's batch) is returned as it is."""
    if isinstance(a, torch.Tensor):
        return a
    if dtype == "bfloat16":
        return torch.from_numpy(a.view(np.uint16)).view(torch.bfloat16)
    return torch.from_numpy(a)


def ddp_rank() -> tuple[int, int] | None:
    """(rank, world) of torch.distributed in this process, or None."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return None


def shard_of_this_process(ddp: tuple[int, int] | None = None) -> tuple[int, int]:
    """(rank, world) over DDP ranks x DataLoader workers: every process of
    the job gets a distinct rank. ``ddp`` is the (rank, world) seen in the
    training process: spawned DataLoader workers do not inherit
    torch.distributed, so the dataset carries it there."""
    rank, world = ddp_rank() or ddp or (0, 1)
    info = torch.utils.data.get_worker_info()
    if info is not None:
        rank, world = rank * info.num_workers + info.id, world * info.num_workers
    return rank, world


_warned_ddp = False


def _warn_ddp_auto_epoch() -> None:
    global _warned_ddp
    if not _warned_ddp:
        _warned_ddp = True
        warnings.warn("bwl.torch.BigWigDataset under DDP with DataLoader workers and no set_epoch(): each rank keys "
                      "its epochs by its own DataLoader seed, so ranks share an epoch's windows only if every rank "
                      "seeded torch alike; call dataset.set_epoch(epoch) every epoch, as with DistributedSampler",
                      stacklevel=3)


class BigWigDataset(torch.utils.data.IterableDataset):
    """An IterableDataset of whole batches from a :class:`bwl.Loader`.

    ``make_loader`` builds the Loader (called in each DataLoader worker, so
    files are opened there, after fork); every rank and worker yields a
    disjoint share of the epoch's batches, together all of them. Use with
    ``DataLoader(ds, batch_size=None, num_workers=...)``.

    Each item is a dict of tensors (no copy on CPU): ``values``,
    ``sequence`` (if a fasta is set), ``starts``, ``ends``, ``tracks``,
    ``reverse``, ``index``; ``chroms`` stays a numpy array of str. With a
    CUDA collection, ``values`` and ``sequence`` are CUDA tensors: use
    ``num_workers=0`` (or a spawn context; CUDA does not survive fork).

    Every epoch reads new windows: the epoch that :meth:`set_epoch` set,
    or when it was never called the next one (:meth:`epoch_now`).

    Each worker opens its own Collection; give it ``store=DIR`` and the
    workers (and DDP ranks, and later runs) map one decoded copy of the
    tracks instead of each inflating its own (:class:`bwl.Store`).
    """

    def __init__(self, make_loader: Callable[[], Loader]) -> None:
        super().__init__()
        if not callable(make_loader):
            raise TypeError(f"make_loader must be a function that returns a bwl.Loader, got {type(make_loader).__name__}")
        self.make_loader = make_loader
        self.epoch = 0
        self._epoch_set = False  # set_epoch was called: its epoch holds until the next call
        self._iterations = 0  # iterations of this copy (a worker's copy counts its own)
        self.ddp = ddp_rank()  # travels to spawned workers with the dataset
        self._loader: Loader | None = None
        self._loader_pid = os.getpid()

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle reproducibly: epoch n always gives the same windows.
        (Call it in the training process, as with DistributedSampler; under
        DDP, call it every epoch.) Never called, each epoch still has new
        windows: see :meth:`epoch_now`."""
        self.epoch = _check.integer("epoch", epoch, 0)
        self._epoch_set = True
        self.ddp = ddp_rank() or self.ddp

    def epoch_now(self) -> int:
        """The epoch an iteration starting now reads (and counts it).

        set_epoch's epoch once it was called. Otherwise the next one:
        without DataLoader workers 0, 1, 2, ... (as the Loader counts); in
        a worker, the DataLoader's base seed for this iteration (drawn
        anew each epoch from torch's generator, the same in every worker:
        ``torch.manual_seed`` reproduces it) and the iterations this copy
        ran (persistent workers keep their copy; others get a fresh one
        every epoch, so cannot count)."""
        n, self._iterations = self._iterations, self._iterations + 1
        if self._epoch_set:
            return self.epoch
        info = torch.utils.data.get_worker_info()
        if info is None:
            return n
        if (ddp_rank() or self.ddp) is not None:
            _warn_ddp_auto_epoch()
        base = (info.seed - info.id) % (1 << 64)
        return base << 16 | n % (1 << 16)

    def __len__(self) -> int:
        """Batches this DDP rank yields per epoch (all its workers together)."""
        rank, world = ddp_rank() or self.ddp or (0, 1)
        return len(range(rank, self._get_loader().batches_per_epoch, world))

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_loader"] = None  # each worker opens its own files
        return state

    def _get_loader(self) -> Loader:
        # A loader built in another process (the parent, before a forked
        # DataLoader worker started) would share its open files and run
        # single-threaded here: build one per process.
        if self._loader is None or self._loader_pid != os.getpid():
            try:
                self._loader = self.make_loader()
            except (RuntimeError, ValueError) as e:
                if "CUDA" in str(e) and torch.utils.data.get_worker_info() is not None:
                    raise RuntimeError(
                        f"{e}\nbwl: a CUDA Loader in a DataLoader worker process: CUDA does not survive fork. "
                        "Use num_workers=0 (each batch is one GPU call: workers add nothing) or "
                        "multiprocessing_context='spawn'.") from e
                raise
            self._loader_pid = os.getpid()
        return self._loader

    def __iter__(self) -> Iterator[dict]:
        loader = self._get_loader()
        loader.shard = shard_of_this_process(self.ddp)
        loader.set_epoch(self.epoch_now())
        for b in loader:
            yield self.to_dict(b, loader.dtype)

    @staticmethod
    def to_dict(b: Batch, dtype: str) -> dict:
        d = {
            "values": to_tensor(b.values, dtype),
            "starts": torch.from_numpy(b.starts),
            "ends": torch.from_numpy(b.ends),
            "tracks": torch.from_numpy(b.tracks.astype(np.int64)),
            "reverse": torch.from_numpy(b.reverse),
            "index": b.index,
            "chroms": b.chroms,
        }
        if b.sequence is not None:
            d["sequence"] = to_tensor(b.sequence, dtype)
        return d
