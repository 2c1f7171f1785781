"""bigwig-loader's BigWigDataset over bwl: sequences from bwl.Fasta, values
from bwl.Collection, positions and tracks drawn as bigwig-loader draws them."""
from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import bwl
from bwl.bigwig_loader.batch import Batch
from bwl.bigwig_loader.collection import BigWigCollection, to_bfloat16_bits
from bwl.bigwig_loader.sampling import (
    RandomPositionSampler,
    TrackSampler,
    fraction_unknown,
    moving_average,
    onehot_sequences,
)

log = logging.getLogger("bwl.bigwig_loader")
ENCODERS: dict[str, Callable[[Sequence[str]], Any]] = {"onehot": onehot_sequences}
_said_device = False
_MAX_REFUSED = 100_000  # positions in a row that give no window before giving up


def say_device_once(where: str) -> None:
    global _said_device
    if not _said_device:
        log.warning("bwl.bigwig_loader: batches are on the %s (same shapes as bigwig-loader's)", where)
        _said_device = True


def gpu_usable() -> bool:
    """bwl was built with CUDA kernels and a CUDA device answers."""
    return hasattr(bwl._core, "CudaBatcher") and bwl._core.cuda_device_count() > 0


def _array_mover() -> Callable[[Any], Any] | None:
    """What puts a batch's arrays where bigwig-loader puts them: on the GPU
    as cupy arrays (its own output type), else as torch CUDA tensors, when
    :func:`gpu_usable`; None (stay numpy) otherwise. Says which once."""
    if gpu_usable():
        try:
            import cupy
        except ImportError:
            cupy = None
        if cupy is not None:
            say_device_once("GPU (cupy arrays)")
            return cupy.asarray
        try:
            import torch
        except ImportError:
            torch = None
        if torch is not None and torch.cuda.is_available():
            say_device_once("GPU (torch CUDA tensors; cupy is not installed)")
            return lambda a: torch.from_numpy(np.ascontiguousarray(a)).to("cuda")
    say_device_once("CPU (numpy arrays: this bwl has no CUDA build or there is no GPU)")
    return None


class BigWigDataset:
    """Batches of (sequences, values) at random positions in
    ``regions_of_interest``, as bigwig-loader 0.3.2's BigWigDataset: the same
    arguments and defaults (see its documentation; ``n_threads`` sizes
    nothing here). Per batch: ``sequences`` one-hot float32 (B, L, 4) (or
    what ``sequence_encoder`` makes of the strings; the strings when None),
    ``values`` float32 (B, center_bin_to_predict // window_size, T).
    Positions are drawn on, so every epoch sees new ones (``np.random.seed``
    makes them reproducible). Arrays are cupy arrays on the GPU where bwl
    has CUDA and a GPU is usable (torch CUDA tensors without cupy), numpy
    otherwise."""

    def __init__(self, regions_of_interest: Any, collection: Any, reference_genome_path: str | Path,
                 sequence_length: int = 1000, center_bin_to_predict: int | None = None, window_size: int = 1,
                 moving_average_window_size: int = 1, batch_size: int = 256, super_batch_size: int | None = None,
                 batches_per_epoch: int | None = None, maximum_unknown_bases_fraction: float = 0.1,
                 sequence_encoder: Callable[[Sequence[str]], Any] | str | None = "onehot",
                 file_extensions: Sequence[str] = (".bigWig", ".bw"), crawl: bool = True,
                 scale: dict[str | Path, Any] | None = None, default_value: float = 0.0,
                 first_n_files: int | None = None, position_sampler_buffer_size: int = 100000,
                 repeat_same_positions: bool = False, sub_sample_tracks: int | None = None, n_threads: int = 4,
                 custom_position_sampler: Iterable[tuple[str, int]] | None = None,
                 custom_track_sampler: Iterable[list[int]] | None = None, return_batch_objects: bool = False,
                 dtype: str = "float32") -> None:
        if dtype not in ("float32", "bfloat16"):
            raise ValueError(f"dtype must be 'float32' or 'bfloat16', got {dtype!r}")
        self.regions_of_interest = regions_of_interest
        self._collection = collection if isinstance(collection, BigWigCollection) else None
        self._bigwig_path = None if self._collection is not None else collection
        self._collection_args = dict(file_extensions=file_extensions, crawl=crawl, scale=scale,
                                     first_n_files=first_n_files)
        self.reference_genome_path = reference_genome_path
        self.sequence_length = int(sequence_length)
        self.center_bin_to_predict = int(center_bin_to_predict or sequence_length)
        self.window_size = int(window_size)
        self.batch_size = int(batch_size)
        self.super_batch_size = int(super_batch_size or batch_size)
        lengths = np.asarray(regions_of_interest["end"], np.int64) - np.asarray(regions_of_interest["start"], np.int64)
        self.batches_per_epoch = int(batches_per_epoch or lengths.sum() // self.sequence_length // self.batch_size)
        self.maximum_unknown_bases_fraction = maximum_unknown_bases_fraction
        if isinstance(sequence_encoder, str):
            if sequence_encoder not in ENCODERS:
                raise ValueError(f"{sequence_encoder} is not a valid encoder: one of {list(ENCODERS)} or a callable")
            sequence_encoder = ENCODERS[sequence_encoder]
        self._sequence_encoder = sequence_encoder
        self._default_value = default_value
        self._moving_average_window_size = int(moving_average_window_size)
        self._return_batch_objects = return_batch_objects
        self._dtype = dtype
        self._n_threads = n_threads
        self._position_sampler = custom_position_sampler or RandomPositionSampler(
            regions_of_interest, buffer_size=position_sampler_buffer_size, repeat_same=repeat_same_positions)
        if custom_track_sampler is not None:
            self._track_sampler: Iterable[list[int]] | None = custom_track_sampler
        elif sub_sample_tracks is not None:
            self._track_sampler = TrackSampler(len(self.bigwig_collection), sub_sample_tracks)
        else:
            self._track_sampler = None
        self._host_only = False  # PytorchBigWigDataset moves the arrays itself
        self._fasta: bwl.Fasta | None = None
        self._positions: Iterator[tuple[str, int]] | None = None
        self._tracks: Iterator[list[int]] | None = None

    @property
    def bigwig_collection(self) -> BigWigCollection:
        if self._collection is None:
            self._collection = BigWigCollection(self._bigwig_path, **self._collection_args)
        return self._collection

    def _fasta_handle(self) -> bwl.Fasta:
        if self._fasta is None:
            self._fasta = bwl.Fasta(self.reference_genome_path)
        return self._fasta

    def _sequences(self, n: int) -> tuple[list[str], list[int], list[str]] | None:
        """n (chromosome, center, sequence) whose window lies inside the
        chromosome and has at most the allowed share of unknown bases."""
        fa = self._fasta_handle()
        sizes = fa.chroms()
        half = self.sequence_length // 2
        if self._positions is None:
            self._positions = iter(self._position_sampler)
        chroms: list[str] = []
        centers: list[int] = []
        seqs: list[str] = []
        refused = 0
        while len(chroms) < n:
            if refused > max(_MAX_REFUSED, 10 * n):  # bigwig-loader would spin here forever
                raise ValueError(f"{refused} positions in a row gave no usable window (inside the chromosome, at "
                                 f"most {self.maximum_unknown_bases_fraction:g} unknown bases): check "
                                 "regions_of_interest, sequence_length and maximum_unknown_bases_fraction")
            nxt = next(self._positions, None)
            if nxt is None:  # a finite custom sampler ran out: the epoch ends
                return None
            chrom, center = nxt
            start = int(center) - half
            end = start + self.sequence_length
            refused += 1
            if chrom not in sizes or start < 0 or end > sizes[chrom]:
                continue
            seq = fa.fetch(chrom, start, end)
            if fraction_unknown(seq) > self.maximum_unknown_bases_fraction:
                continue
            refused = 0
            chroms.append(chrom)
            centers.append(int(center))
            seqs.append(seq)
        return chroms, centers, seqs

    def _super_batches(self) -> Iterator[Batch]:
        coll = self.bigwig_collection
        names = coll.bigwig_paths
        while True:
            got = self._sequences(self.super_batch_size)
            if got is None:
                return
            chroms, centers, seqs = got
            if self._track_sampler is not None and self._tracks is None:
                self._tracks = iter(self._track_sampler)
            tracks = None if self._tracks is None else list(next(self._tracks))
            starts = np.asarray(centers, np.int64) - self.center_bin_to_predict // 2
            ends = starts + self.center_bin_to_predict
            smooth = self._moving_average_window_size > 1  # in float32, then converted
            values = coll.get_batch(chroms, starts, ends, window_size=self.window_size,
                                    default_value=self._default_value, track_indices=tracks,
                                    dtype="float32" if smooth else self._dtype)
            if smooth:
                values = moving_average(values, self._moving_average_window_size)
                if self._dtype == "bfloat16":
                    values = to_bfloat16_bits(values)
            track_names = names if tracks is None else [names[i] for i in tracks]
            yield Batch(chroms, starts, ends, tracks, seqs, values, track_names)

    def _batches(self) -> Iterator[Batch]:
        """Batches of batch_size sliced from super batches (a remainder is
        dropped, as bigwig-loader drops it), sequences encoded, arrays on
        the GPU where bigwig-loader's would be."""
        move = None if self._host_only else _array_mover()
        for sb in self._super_batches():
            for k in range(len(sb) // self.batch_size):
                b = sb[slice(k * self.batch_size, (k + 1) * self.batch_size)]
                if self._sequence_encoder is not None:
                    b.sequences = self._sequence_encoder(b.sequences)
                if move is not None:
                    b.values = move(b.values)
                    if isinstance(b.sequences, np.ndarray):
                        b.sequences = move(b.sequences)
                yield b

    def __iter__(self) -> Iterator[Any]:
        # Each epoch iterates the samplers anew, as bigwig-loader's new loader
        # does: the random sampler goes on (new positions; repeat_same_positions
        # replays its buffer), a custom list of positions starts over.
        self._positions = self._tracks = None
        for b in itertools.islice(self._batches(), self.batches_per_epoch):  # no read past the last batch
            if self._return_batch_objects:
                yield b
            elif b.track_indices is not None:
                yield b.sequences, b.values, b.track_indices, b.track_names
            else:
                yield b.sequences, b.values

    def __len__(self) -> int:
        return self.batches_per_epoch

    def reset_gpu(self) -> None:
        """Kept for bigwig-loader scripts (deprecated there too)."""
