"""The training loop's data source: :class:`Loader` yields :class:`Batch`."""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import os
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence

import numpy as np

from bwl import _check
from bwl._types import numpy_dtype
from bwl.collection import Collection
from bwl.fasta import Fasta
from bwl.options import BatchOptions, LoaderOptions, loader_options
from bwl.samplers import Sampler, Tracks, batch_rng


@dataclasses.dataclass
class Batch:
    """One batch. B windows, T tracks, L bases, L' = L // window - 2 * target_crop bins.

    Attributes
    ----------
    values : np.ndarray (B, T, L') or (B, L', T), float32/float16/bfloat16
        A torch CUDA tensor when the loader's collection is on a GPU.
    sequence : np.ndarray (B, L, 4) or None
        One-hot ACGT of the windows (no fasta: None); a torch CUDA tensor
        (same dtype as values) when the collection is on a GPU.
    chroms : np.ndarray (B,) str; starts, ends : np.ndarray (B,) int64
        The windows (of the sequence; the signal is their centre when cropped).
    tracks : np.ndarray (T,) uint32
        Which collection tracks ``values`` holds, in order.
    reverse : np.ndarray (B,) bool
        Windows given as reverse complement (sequence and signal flipped):
        windows of - strand regions (a sampler's fourth array), flipped
        again at random with ``reverse_complement``.
    index : int
        Position of the batch in its epoch.
    """

    values: np.ndarray
    sequence: np.ndarray | None
    chroms: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    tracks: np.ndarray
    reverse: np.ndarray
    index: int


def _partners(collection: Collection, pairs) -> np.ndarray:
    """partner[t]: the track holding t's other strand (t itself when unpaired)."""
    def index(x) -> int:
        if isinstance(x, (int, np.integer)):
            if not 0 <= int(x) < len(collection):
                raise ValueError(f"strand_pairs: track {x} is not in the collection ({len(collection)} tracks)")
            return int(x)
        name = str(x)
        hits = [i for i, p in enumerate(collection.paths)
                if p == name or os.path.basename(p) == name or os.path.splitext(os.path.basename(p))[0] == name]
        if len(hits) != 1:
            raise ValueError(f"strand_pairs: {name!r} names {len(hits)} tracks of the collection (need exactly one)")
        return hits[0]

    partner = np.arange(len(collection), dtype=np.uint32)
    seen = set()
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(f"strand_pairs: {pair!r} is not a (plus, minus) pair")
        a, b = index(pair[0]), index(pair[1])
        if a == b or a in seen or b in seen:
            raise ValueError(f"strand_pairs: track {a if a in seen or a == b else b} is in more than one pair")
        seen.update((a, b))
        partner[a], partner[b] = b, a
    return partner


def _check_chrom_names(sampler, collection: Collection, fasta: Fasta | None) -> None:
    """The sampler's chromosomes must be found in the tracks (some track)
    and the FASTA: a clear list of those that are not, at construction."""
    names = getattr(sampler, "chroms", None)
    if names is None:
        return
    names = [str(x) for x in np.unique(np.asarray(names).astype(str))]
    where = [("the tracks", lambda n: collection._c.chrom_indices([n]))]
    if fasta is not None:
        where.append((fasta.path, lambda n: fasta._f.indices([n])))
    for label, find in where:
        missing = []
        for n in names:
            try:
                find(n)
            except KeyError:
                missing.append(n)
        if missing:
            raise ValueError(f"{len(missing)} chromosome(s) of the sampler are not in {label}: "
                             f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''} "
                             "(names differ? see chrom_aliases= of Collection and Fasta)")


def _refs(pool: list, k: int) -> int:
    """References to ``pool[k]``, counted the same way for every pool (the
    caller compares with the count of an array only a pool holds)."""
    return sys.getrefcount(pool[k])


class Loader:
    """Batches of (sequence, signal) for training, prefetched in background threads.

    Parameters
    ----------
    collection : bwl.Collection
    sampler : bwl.samplers.Sampler
        RandomRegions, PeakRegions, Tiles, or any object with their
        ``batch(batch_size, index, epoch)`` and ``num_batches(batch_size)``.
    batch_size : int
    fasta : bwl.Fasta, optional
        Adds the one-hot sequence of each window.
    window : int
        Signal bin size.
    summary : str
        What a bin holds (``"mean"``, ``"sum"``, ``"mean0"``, ``"max"``,
        ``"min"``), as in :meth:`Collection.values`.
    transform : bwl.Transform or dict, optional
        pow / soft_clip / clip / log1p of the signal (:class:`bwl.Transform`).
    oob : "error" or "pad"
        Windows a sampler puts past a chromosome end: an error, or padded
        (signal ``default``, sequence zeros there). CPU collections only.
    target_crop : int
        Bins cut from each end of the signal (models predict the centre).
    reverse_complement : bool
        Flip half the windows (chosen per batch from the seed): sequence
        reverse-complemented and signal reversed together.
    strand_pairs : sequence of (plus, minus) pairs, optional
        Tracks of one stranded assay, as collection indices or paths (or
        file names): on a reverse-complemented window each track of a pair
        holds its partner's reversed signal, as the other strand reads it
        (BPNet's and Borzoi's rule). A partner missing from a batch's
        ``tracks`` subset is read for the flipped windows.
    default : float
        Signal where no data covers a base: 0.0 here (training targets
        never hold NaN unless asked: ``default=float("nan")``), NaN in
        :meth:`Collection.values`, as pyBigWig.
    dtype, layout : as in :meth:`Collection.values`
    tracks : bwl.samplers.Tracks, optional
        A random subset of tracks per batch.
    prefetch : int
        Batches built ahead in background threads (0: build in the caller).
    batches_per_epoch : int, optional
        Required for endless samplers (RandomRegions); Tiles knows its count.
    seed : int
        With the sampler's seed, fixes every batch: the order and content do
        not depend on thread timing. Each ``for`` over the loader is the next
        epoch (0, 1, 2, ...: new windows each time) until
        :meth:`set_epoch` picks one.
    shard : (rank, world), optional
        Yield only batches ``i`` with ``i % world == rank`` (the torch
        dataset sets this for DDP ranks and DataLoader workers).
    reuse_buffers : "auto", True or False
        Where batches are written. ``"auto"`` (the default): into recycled
        arrays, an array being reused only when nothing outside the loader
        refers to it any more (a batch, or a view or tensor of its arrays,
        that the caller keeps is never overwritten), so a batch costs no
        fresh memory (no page faults) and the recycling cannot be seen.
        ``True``: into one of ``prefetch + 2`` arrays in turn, whoever
        holds them; a batch's arrays then stay valid until the caller asks
        for the batch after the next one. ``False``: fresh arrays.
    pin_memory : bool
        Host arrays in page-locked memory (needs torch with CUDA), so that
        ``tensor.to("cuda", non_blocking=True)`` copies them asynchronously;
        best with recycled buffers, since pinning memory is slow.
    device : str, optional
        Where batches live: the collection's device (the default). A
        collection made with ``device="cuda"`` gives torch CUDA tensors: the
        signal is made on the GPU, the one-hot sequence is copied there
        through pinned memory, and reverse complement runs on the GPU. The
        work runs on the loader's own CUDA stream and is complete when a
        batch is handed out, so it may be used on any stream.
    options : bwl.LoaderOptions or bwl.BatchOptions, optional
        All the keywords after ``fasta`` as one checked value (a
        LoaderOptions, kept as ``loader.options``), or only those of what a
        batch holds (``window``, ``summary``, ``transform``, ``default``,
        ``dtype``, ``layout``, ``oob``: a BatchOptions, kept as
        ``loader.options.batch``), instead of those keywords.
    """

    def __init__(self, collection: Collection, sampler: Sampler, batch_size: int, fasta: Fasta | None = None,
                 window: int = 1, target_crop: int = 0, reverse_complement: bool = False,
                 default: float = 0.0, dtype: str = "float32", layout: str = "BTL",
                 tracks: Tracks | None = None, prefetch: int = 2, batches_per_epoch: int | None = None,
                 seed: int = 0, shard: tuple[int, int] = (0, 1), reuse_buffers: bool | str = "auto",
                 device: str | None = None, strand_pairs: Sequence[tuple] | None = None,
                 summary: str = "mean", transform=None, oob: str = "error", pin_memory: bool = False,
                 options: LoaderOptions | BatchOptions | None = None) -> None:
        self.options = o = loader_options(
            options, dict(window=window, default=default, dtype=dtype, layout=layout, summary=summary,
                          transform=transform, oob=oob),
            target_crop=target_crop, reverse_complement=reverse_complement, strand_pairs=strand_pairs,
            tracks=tracks, prefetch=prefetch, batches_per_epoch=batches_per_epoch, seed=seed, shard=shard,
            reuse_buffers=reuse_buffers, pin_memory=pin_memory, device=device)
        batch_size = _check.integer("batch_size", batch_size, 1)
        if not isinstance(collection, Collection):
            raise TypeError(f"collection must be a bwl.Collection, got {type(collection).__name__}")
        if fasta is not None and not isinstance(fasta, Fasta):
            raise TypeError(f"fasta must be a bwl.Fasta, got {type(fasta).__name__}")
        if not isinstance(sampler, Sampler):
            raise TypeError(f"sampler must have batch(batch_size, index, epoch) and num_batches(batch_size) "
                            f"(bwl.samplers.Sampler), got {type(sampler).__name__}")
        device = o.device
        if device is not None and device != collection.device and not (
                device == "cuda" and collection.device.startswith("cuda")):
            raise ValueError(f"Loader device {device!r} differs from the collection's ({collection.device!r}): "
                             f"make the Collection with device={device!r}")
        self._torch = None  # torch, when batches live on a GPU
        if collection.device != "cpu":
            from bwl._optional import require

            self._torch = require("torch", "a CUDA Loader")
            self._device = self._torch.device(collection.device)
            self._stream = self._torch.cuda.Stream(self._device)
        self.collection, self.sampler, self.fasta = collection, sampler, fasta
        b = o.batch
        self.batch_size, self.window, self.target_crop = batch_size, b.window, o.target_crop
        self.reverse_complement, self.default, self.dtype, self.layout = o.reverse_complement, b.default, b.dtype, b.layout
        self.summary, self.transform, self.oob = b.summary, b.transform, b.oob
        self.tracks, self.prefetch, self.seed, self.shard = o.tracks, o.prefetch, o.seed, o.shard
        n = sampler.num_batches(self.batch_size)
        self.batches_per_epoch = o.batches_per_epoch if o.batches_per_epoch is not None else n
        if self.batches_per_epoch is None:
            raise ValueError("batches_per_epoch is required with an endless sampler")
        self.epoch = 0
        self._epoch_set = False  # set_epoch was called: iterations stay on that epoch
        self._next_epoch = 0  # the epoch of the next iteration otherwise
        self.reuse_buffers, self.pin_memory = o.reuse_buffers, o.pin_memory
        self._pin_torch = None  # torch, when host arrays are pinned
        if self.pin_memory:
            from bwl._optional import require

            self._pin_torch = require("torch", "pin_memory=True")
            if not self._pin_torch.cuda.is_available():
                raise ValueError("pin_memory=True needs torch with a CUDA device (page-locked memory is a CUDA feature)")
        self._slots: dict = {}  # (name, slot) -> array, with reuse_buffers=True
        self._pool: dict = {}  # (name, shape, dtype) -> arrays, with reuse_buffers="auto"
        self._pool_lock = threading.Lock()
        self._free_refs = _refs([np.empty(0)], 0)  # the count of an array only a pool holds
        self._partner = _partners(collection, o.strand_pairs) if o.strand_pairs else None
        _check_chrom_names(sampler, collection, fasta)

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch: each epoch has its own reproducible windows.
        Once called, every iteration is ``epoch`` until the next call (as
        DistributedSampler); never called, each iteration is the next
        epoch."""
        self.epoch = _check.integer("epoch", epoch, 0)
        self._epoch_set = True

    def indices(self) -> range:
        """Batch indices this loader (its shard) yields in the current epoch."""
        rank, world = self.shard
        return range(rank, self.batches_per_epoch, world)

    def __len__(self) -> int:
        return len(self.indices())

    def make_batch(self, index: int, epoch: int | None = None, slot: int = 0) -> Batch:
        """Builds batch ``index`` of ``epoch`` (the current one by default)
        in this thread; ``slot`` picks the recycled arrays with reuse_buffers."""
        epoch = self.epoch if epoch is None else epoch
        drawn = self.sampler.batch(self.batch_size, index, epoch)
        chroms, starts, ends = drawn[:3]
        minus = drawn[3] if len(drawn) > 3 else None  # windows of - strand regions
        B = len(starts)
        T = len(self.collection)
        tracks = self.tracks.batch(T, index, epoch) if self.tracks else np.arange(T, dtype=np.uint32)
        crop = self.target_crop * self.window
        if crop * 2 >= (ends[0] - starts[0] if B else 1):
            raise ValueError("target_crop leaves no signal")
        if self._torch is not None:
            with self._torch.cuda.stream(self._stream):
                batch = self._make(chroms, starts, ends, minus, tracks, crop, index, epoch, slot)
                self._stream.synchronize()  # this thread waits, not the training loop's stream
            return batch
        return self._make(chroms, starts, ends, minus, tracks, crop, index, epoch, slot)

    def _make(self, chroms, starts, ends, minus, tracks, crop: int, index: int, epoch: int, slot: int) -> Batch:
        B = len(starts)
        reverse = np.zeros(B, bool) if minus is None else np.asarray(minus, bool).copy()
        if self.reverse_complement:  # a random flip, on top of the strand
            reverse ^= batch_rng(self.seed, epoch, index, stream=2).random(B) < 0.5
        flip = bool(reverse.any())

        def read(rows, which, out=None, **rc):  # the signal of windows `rows`, tracks `which`
            return self.collection._values(np.asarray(chroms)[rows], starts[rows] + crop, ends[rows] - crop,
                                           self.options.batch, out, which, **rc)

        shape = self._values_shape(B, len(tracks), ends[0] - starts[0] - 2 * crop)
        seq_shape = (B, int(ends[0] - starts[0]), 4)
        if self._torch is None:
            # CPU: the core writes reversed windows mirrored, strand partners
            # swapped and sequence reverse-complemented: no pass over the batch here.
            rc = {}
            if flip:
                rc["reverse"] = reverse
                if self._partner is not None:
                    rc["reverse_tracks"] = self._partner[tracks]
            values = read(slice(None), tracks, self._buffer("values", slot, shape, self.dtype), **rc)
            seq = None if self.fasta is None else self.fasta.onehot(
                chroms, starts, ends, dtype=self.dtype, out=self._buffer("seq", slot, seq_shape, self.dtype),
                reverse=reverse if flip else None)
            return Batch(values, seq, chroms, starts, ends, tracks, reverse, index)
        values = read(slice(None), tracks, self._buffer("values", slot, shape, self.dtype))
        seq = None
        if self.fasta is not None:
            seq = self._to_device(self.fasta.onehot(chroms, starts, ends, dtype=self.dtype,
                                                    out=self._buffer("seq", slot, seq_shape, self.dtype)))
        if flip:  # CUDA: flipped on the GPU
            flipped = self._other_strand(values, reverse, tracks, read)
            rows = self._torch.from_numpy(np.flatnonzero(reverse)).to(self._device, non_blocking=True)
            values[rows] = flipped.flip(2 if self.layout == "BTL" else 1)  # the bins axis
            if seq is not None:
                seq[rows] = seq[rows].flip(1, 2)  # reverse, and A<->T, C<->G is the channel flip
        return Batch(values, seq, chroms, starts, ends, tracks, reverse, index)

    def _other_strand(self, values, reverse: np.ndarray, tracks: np.ndarray, read):
        """(CUDA) The rows of ``values`` to flip, with strand partners
        swapped: a permutation of the slots when the batch holds every
        partner, else the partners read again for those rows."""
        rows_t = self._torch.from_numpy(np.flatnonzero(reverse)).to(self._device, non_blocking=True)
        sub = values[rows_t]
        if self._partner is None:
            return sub
        want = self._partner[tracks]
        if np.array_equal(want, tracks):
            return sub
        slot_of = {int(t): k for k, t in enumerate(tracks)}
        if all(int(t) in slot_of for t in want):
            perm = np.array([slot_of[int(t)] for t in want])
            axis = 1 if self.layout == "BTL" else 2  # the tracks axis
            return sub.index_select(axis, self._torch.from_numpy(perm).to(self._device))
        return read(np.flatnonzero(reverse), want.astype(np.uint32))

    def _to_device(self, a: np.ndarray):
        """A host batch array as a tensor on the loader's GPU: through pinned
        memory, asynchronously on the loader's stream (the current one here)."""
        torch = self._torch
        t = torch.from_numpy(a.view(np.uint16)).view(torch.bfloat16) if self.dtype == "bfloat16" else torch.from_numpy(a)
        return t.pin_memory().to(self._device, non_blocking=True)

    def _values_shape(self, B: int, T: int, L: int) -> tuple:
        bins = int(L) // self.window
        return (B, T, bins) if self.layout == "BTL" else (B, bins, T)

    def _buffer(self, name: str, slot: int, shape: tuple, dtype: str) -> np.ndarray | None:
        """The array batch ``slot`` writes ``name`` into (None: a fresh one)."""
        if self.reuse_buffers is False:
            return None
        if self._torch is not None and name == "values":  # on the GPU
            if self.reuse_buffers == "auto":
                return None  # torch's caching allocator already recycles device memory
            return self._slot_buffer(name, slot, shape, dtype)
        if self.reuse_buffers == "auto":
            return self._free_buffer(name, shape, dtype)
        return self._slot_buffer(name, slot, shape, dtype)

    def _slot_buffer(self, name: str, slot: int, shape: tuple, dtype: str):
        """reuse_buffers=True: the array of ``slot``, in turn."""
        key = (name, slot % (self.prefetch + 2))
        buf = self._slots.get(key)
        if buf is None or tuple(buf.shape) != tuple(shape):
            if self._torch is not None and name == "values":  # written on the GPU
                buf = self._torch.empty(shape, dtype=getattr(self._torch, dtype), device=self._device)
            else:
                buf = self._host_array(shape, dtype)
            self._slots[key] = buf
        return buf

    def _free_buffer(self, name: str, shape: tuple, dtype: str) -> np.ndarray:
        """reuse_buffers="auto": a pooled array nobody else refers to, else
        a new one (pooled while the pool is small: a caller keeping every
        batch gets fresh arrays, not an ever-growing pool)."""
        with self._pool_lock:
            pool = self._pool.setdefault((name, tuple(shape), dtype), [])
            for k in range(len(pool)):
                if _refs(pool, k) <= self._free_refs:
                    return pool[k]
            buf = self._host_array(shape, dtype)
            if len(pool) < self.prefetch + 4:
                pool.append(buf)
            return buf

    def _host_array(self, shape: tuple, dtype: str) -> np.ndarray:
        np_dtype = numpy_dtype(dtype)
        if not self.pin_memory:
            return np.empty(shape, np_dtype)
        torch = self._pin_torch
        t = torch.empty(int(np.prod(shape)) * np_dtype.itemsize, dtype=torch.uint8, pin_memory=True)
        return t.numpy().view(np_dtype).reshape(shape)

    def __iter__(self) -> Iterator[Batch]:
        for b in self._batches():
            if self._torch is not None:  # the caching allocator must not reuse them while the caller's stream reads
                stream = self._torch.cuda.current_stream(self._device)
                for t in (b.values, b.sequence):
                    if t is not None:
                        t.record_stream(stream)
            yield b

    def _batches(self) -> Iterator[Batch]:
        if not self._epoch_set:
            self.epoch = self._next_epoch
        epoch = self.epoch
        self._next_epoch = epoch + 1
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
