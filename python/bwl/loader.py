"""The training loop's data source: :class:`Loader` yields :class:`Batch`."""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
from collections import deque
from typing import Iterator, Optional

import numpy as np

from bwl.collection import Collection
from bwl.fasta import Fasta
from bwl.samplers import Tracks, batch_rng


@dataclasses.dataclass
class Batch:
    """One batch. B windows, T tracks, L bases, L' = L // window - 2 * target_crop bins.

    Attributes
    ----------
    values : np.ndarray (B, T, L') or (B, L', T), float32/float16/bfloat16
    sequence : np.ndarray (B, L, 4) or None
        One-hot ACGT of the windows (no fasta: None).
    chroms : np.ndarray (B,) str; starts, ends : np.ndarray (B,) int64
        The windows (of the sequence; the signal is their centre when cropped).
    tracks : np.ndarray (T,) uint32
        Which collection tracks ``values`` holds, in order.
    reverse : np.ndarray (B,) bool
        Windows given as reverse complement (sequence and signal flipped).
    index : int
        Position of the batch in its epoch.
    """

    values: np.ndarray
    sequence: Optional[np.ndarray]
    chroms: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    tracks: np.ndarray
    reverse: np.ndarray
    index: int


class Loader:
    """Batches of (sequence, signal) for training, prefetched in background threads.

    Parameters
    ----------
    collection : bwl.Collection
    sampler : bwl.samplers.RandomRegions or Tiles (anything with ``batch(batch_size, index, epoch)``)
    batch_size : int
    fasta : bwl.Fasta, optional
        Adds the one-hot sequence of each window.
    window : int
        Signal bin size (mean over covered bases).
    target_crop : int
        Bins cut from each end of the signal (models predict the centre).
    reverse_complement : bool
        Flip half the windows (chosen per batch from the seed): sequence
        reverse-complemented and signal reversed together.
    default, dtype, layout : as in :meth:`Collection.values`
    tracks : bwl.samplers.Tracks, optional
        A random subset of tracks per batch.
    prefetch : int
        Batches built ahead in background threads (0: build in the caller).
    batches_per_epoch : int, optional
        Required for endless samplers (RandomRegions); Tiles knows its count.
    seed : int
        With the sampler's seed, fixes every batch: the order and content do
        not depend on thread timing.
    shard : (rank, world), optional
        Yield only batches ``i`` with ``i % world == rank`` (the torch
        dataset sets this for DDP ranks and DataLoader workers).
    reuse_buffers : bool
        Write each batch into one of ``prefetch + 2`` recycled arrays
        instead of fresh ones. A batch's arrays then stay valid until the
        caller asks for the batch after the next one (so the previous batch
        may still be in use while the current one is consumed).
    """

    def __init__(self, collection: Collection, sampler, batch_size: int, fasta: Optional[Fasta] = None,
                 window: int = 1, target_crop: int = 0, reverse_complement: bool = False,
                 default: float = float("nan"), dtype: str = "float32", layout: str = "BTL",
                 tracks: Optional[Tracks] = None, prefetch: int = 2, batches_per_epoch: Optional[int] = None,
                 seed: int = 0, shard: tuple[int, int] = (0, 1), reuse_buffers: bool = False, device: str = "cpu") -> None:
        if batch_size <= 0:
            raise ValueError("batch_size must be > 0")
        if device != "cpu":
            raise ValueError(f"device {device!r} is not available in this build (CPU only)")
        self.collection, self.sampler, self.fasta = collection, sampler, fasta
        self.batch_size, self.window, self.target_crop = int(batch_size), int(window), int(target_crop or 0)
        self.reverse_complement, self.default, self.dtype, self.layout = reverse_complement, default, dtype, layout
        self.tracks, self.prefetch, self.seed = tracks, int(prefetch), int(seed)
        n = sampler.num_batches(self.batch_size)
        self.batches_per_epoch = int(batches_per_epoch) if batches_per_epoch is not None else n
        if self.batches_per_epoch is None:
            raise ValueError("batches_per_epoch is required with an endless sampler")
        rank, world = shard
        if not 0 <= rank < world:
            raise ValueError(f"bad shard {shard}")
        self.shard = (int(rank), int(world))
        self.epoch = 0
        self.reuse_buffers = reuse_buffers
        self._slots: dict = {}  # (name, slot) -> array, with reuse_buffers

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch: each epoch has its own reproducible windows."""
        self.epoch = int(epoch)

    def indices(self) -> range:
        """Batch indices this loader (its shard) yields in the current epoch."""
        rank, world = self.shard
        return range(rank, self.batches_per_epoch, world)

    def __len__(self) -> int:
        return len(self.indices())

    def make_batch(self, index: int, epoch: Optional[int] = None, slot: int = 0) -> Batch:
        """Builds batch ``index`` of ``epoch`` (the current one by default)
        in this thread; ``slot`` picks the recycled arrays with reuse_buffers."""
        epoch = self.epoch if epoch is None else epoch
        chroms, starts, ends = self.sampler.batch(self.batch_size, index, epoch)
        B = len(starts)
        T = len(self.collection)
        tracks = self.tracks.batch(T, index, epoch) if self.tracks else np.arange(T, dtype=np.uint32)
        crop = self.target_crop * self.window
        if crop * 2 >= (ends[0] - starts[0] if B else 1):
            raise ValueError("target_crop leaves no signal")
        values = self.collection.values(chroms, starts + crop, ends - crop, window=self.window, default=self.default,
                                        dtype=self.dtype, layout=self.layout, tracks=tracks,
                                        out=self._buffer("values", slot, self._values_shape(B, len(tracks), ends[0] - starts[0] - 2 * crop), self.dtype))
        seq = None
        if self.fasta is not None:
            seq = self.fasta.onehot(chroms, starts, ends, dtype=self.dtype,
                                    out=self._buffer("seq", slot, (B, int(ends[0] - starts[0]), 4), self.dtype))
        reverse = np.zeros(B, bool)
        if self.reverse_complement:
            reverse = batch_rng(self.seed, epoch, index, stream=2).random(B) < 0.5
            if reverse.any():
                axis = 2 if self.layout == "BTL" else 1  # the bins axis
                values[reverse] = np.flip(values[reverse], axis=axis)
                if seq is not None:
                    seq[reverse] = seq[reverse][:, ::-1, ::-1]  # reverse, and A<->T, C<->G is the channel flip
        return Batch(values, seq, chroms, starts, ends, tracks, reverse, index)

    def _values_shape(self, B: int, T: int, L: int) -> tuple:
        bins = int(L) // self.window
        return (B, T, bins) if self.layout == "BTL" else (B, bins, T)

    def _buffer(self, name: str, slot: int, shape: tuple, dtype: str) -> Optional[np.ndarray]:
        """A recycled array for ``slot`` (None without reuse_buffers)."""
        if not self.reuse_buffers:
            return None
        from bwl.collection import bfloat16_dtype

        np_dtype = bfloat16_dtype() if dtype == "bfloat16" else np.dtype(dtype)
        key = (name, slot % (self.prefetch + 2))
        buf = self._slots.get(key)
        if buf is None or buf.shape != shape:
            buf = self._slots[key] = np.empty(shape, np_dtype)
        return buf

    def __iter__(self) -> Iterator[Batch]:
        epoch = self.epoch
        # The k-th batch of this shard uses buffer slot k (with reuse_buffers).
        todo = enumerate(self.indices())
        if self.prefetch <= 0:
            for k, i in todo:
                yield self.make_batch(i, epoch, k)
            return
        # One builder thread is enough: each batch is one C++ call that
        # already uses every core. Futures keep the order fixed and carry
        # exceptions (with tracebacks) to the caller.
        pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="bwl-loader")
        pending: deque = deque()
        try:
            for k, i in todo:
                pending.append(pool.submit(self.make_batch, i, epoch, k))
                if len(pending) > self.prefetch:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for f in pending:
                f.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
