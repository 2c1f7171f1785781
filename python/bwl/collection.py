"""Many bigWig tracks read as one batch: :class:`Collection`."""
from __future__ import annotations

import glob as _glob
import os
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from bwl import _check, _core
from bwl._cuda import CudaValues, cuda_device
from bwl._remote import RemoteOptions, is_remote, open_sources
from bwl._types import MAX_THREADS, STATS, ChromAliasSpec, PathLike, alias_args, output_array, reverse_mask
from bwl.options import BatchOptions, Transform, batch_options
from bwl.store import Store
from bwl.store import open_sources as store_open_sources

_BW_SUFFIXES = (".bw", ".bigwig", ".bigWig", ".BigWig", ".BW")


def _path_order(p: str) -> list[str]:
    """Sort key of a found track: its path's parts, as pathlib (and
    bigwig-loader) order paths: ``d/a/x.bw`` before ``d/a-b.bw``."""
    return [q for q in p.split(os.sep) if q]


def _bigwigs_below(top: str) -> list[str]:
    """Every bigWig file in ``top`` and its subfolders (symlinked folders
    not followed: no cycles), in path order."""
    found = [os.path.join(d, f) for d, _, files in os.walk(top) for f in files if f.endswith(_BW_SUFFIXES)]
    return sorted(found, key=_path_order)


def _resolve_paths(paths) -> list:
    """A list of files, a directory (its bigWig files and its subfolders',
    in path order) or a glob pattern (``**`` crosses folders; path order);
    URLs and file objects are kept as they are."""
    if is_remote(paths) and not isinstance(paths, (list, tuple)):
        return [paths]
    if isinstance(paths, (str, os.PathLike)):
        p = _check.path("paths", paths)
        if os.path.isdir(p):
            found = _bigwigs_below(p)
            if not found:
                raise FileNotFoundError(f"{p}: no bigWig files (*.bw, *.bigWig) in this directory or below it")
            return found
        if any(ch in p for ch in "*?["):
            found = sorted(_glob.glob(p, recursive=True), key=_path_order)
            if not found:
                raise FileNotFoundError(f"{p}: no files match this pattern")
            return found
        return [p]
    if not isinstance(paths, (list, tuple)) and not hasattr(paths, "__iter__"):
        raise TypeError(f"paths must be a path, a list of paths, a directory or a glob pattern, got {type(paths).__name__}")
    out = [x if is_remote(x) else _check.path(f"paths[{i}]", x) for i, x in enumerate(paths)]
    if not out:
        raise ValueError("a Collection needs at least one bigWig file")
    return out


def _reverse_args(reverse, reverse_tracks, B: int, T: int, n_tracks: int):
    """(uint8 (B,) mask or None, uint32 (T,) partner tracks or None), checked."""
    if reverse is None:
        if reverse_tracks is not None:
            raise ValueError("reverse_tracks needs reverse")
        return None, None
    rev = reverse_mask(reverse, B)
    if reverse_tracks is None:
        return rev, None
    rt = _check.index_array("reverse_tracks", reverse_tracks, n_tracks)
    if rt.shape != (T,):
        raise ValueError(f"reverse_tracks must be {T} track indices (one per output track), got {rt.shape[0]}")
    return rev, rt


class Collection:
    """T bigWig tracks, read as (B, T, L) batches in one C++ call.

    Parameters
    ----------
    paths : list of paths, a directory, or a glob pattern
        The tracks, in order. A directory gives its bigWig files and those
        of its subfolders, a glob its matches (``**`` crosses folders),
        both in path order (by folder and name parts, as pathlib and
        bigwig-loader sort: ``d/a/x.bw`` before ``d/a-b.bw``). A
        track may also be an http(s) or fsspec URL or a binary file object
        (see :func:`bwl.open`): each batch then fetches its blocks in a few
        coalesced, concurrent requests per track, and ``cache="host"``
        fetches every block once at open.
    scale : None, dict or array-like of shape (T,)
        Multiplies each track's values (not the default). A dict maps a path,
        a file name or a file stem (``"a"`` for ``dir/a.bw``) to a factor;
        tracks it does not name keep 1.
    threads : int, optional
        Threads for opening and reading (default: all cores).
    cache : None, "host" or "device"
        ``"host"``: read every file's compressed blocks into RAM at open, so
        batches do no file I/O. ``"device"`` (with ``device="cuda"``): copy
        them to GPU memory once, so a batch needs no host I/O and no
        host-to-device copy of blocks at all.
    decoded_cache : int, optional
        Bytes for an LRU of inflated blocks shared by all calls (for repeated
        windows and epochs); default none. CPU only.
    device : "cpu", "cuda" or "cuda:N"
        Where :meth:`values` decodes and where its result lives. On CUDA the
        blocks are inflated and densified by bwl's kernels and the result is
        a torch CUDA tensor (an object with ``__cuda_array_interface__`` when
        torch is not installed); see :meth:`values` for streams.
    chrom_aliases : None, "ucsc-ensembl" or dict
        Names that are one chromosome, in tracks and in queries:
        ``"ucsc-ensembl"`` makes the ``chr`` prefix optional and ``chrM``
        equal ``MT``; a dict maps aliases to names (``{"1": "chr1"}``).
        :meth:`chroms` lists each chromosome under its first track's name.

    Opening parses headers, chromosome trees and block indexes of all files
    in parallel in C++; file descriptors are pooled (see
    :func:`bwl.set_max_open_files`), so thousands of tracks work under a low
    ``ulimit -n``.
    remote : bwl.RemoteOptions, optional
        Timeouts, retries and request sizes for URL and file-object tracks.
    preload : bool
        Inflate every block of every track into the decoded cache at open
        (``decoded_cache`` is the budget), with a progress bar, so batches
        inflate nothing: warm from the first epoch. Raises ValueError,
        naming the budget, when the blocks do not fit.
    store : path or bwl.Store, optional
        A directory holding each track's inflated blocks in one file
        (:mod:`bwl.store`): built by the first process that needs a track
        (a progress bar on a terminal; other processes wait for it), then
        mapped read-only by every process, so DataLoader workers, DDP ranks
        and later runs share one copy per node and batches inflate nothing.
        A track rewritten since is rebuilt. Local paths, URLs and file
        objects are all stored; a stored http(s) track whose server does
        not answer is served from the store, with a warning. CPU only.
    mode : "coverage" or "mask"
        What a bigBed track gives per base: how many of its records cover
        the base, or 1 where any does (peaks as labels); 0 where none (never
        the default, inside the chromosome). bigBed and bigWig tracks mix
        in one collection. CPU only.
    """

    def __init__(self, paths: PathLike | Sequence[PathLike], scale: None | Mapping[str, float] | npt.ArrayLike = None,
                 threads: int | None = None, cache: str | None = None, decoded_cache: int | None = None,
                 device: str = "cpu", chrom_aliases: ChromAliasSpec = None,
                 remote: RemoteOptions | None = None, mode: str = "coverage", preload: bool = False,
                 store: PathLike | Store | None = None) -> None:
        threads = _check.optional_integer("threads", threads, 1, MAX_THREADS)
        decoded_cache = _check.optional_integer("decoded_cache", decoded_cache, 0)
        preload = _check.flag("preload", preload)
        if preload and not decoded_cache:
            raise ValueError("preload=True needs decoded_cache=bytes: the budget the inflated blocks must fit in")
        _check.choice("mode", mode, ("coverage", "mask"))
        _check.choice("cache", cache, (None, "host", "device"))
        self._device_index = cuda_device(device)
        if cache == "device" and self._device_index is None:
            raise ValueError("cache='device' needs device='cuda'")
        if store is not None and self._device_index is not None:
            raise ValueError("store= is CPU only (device='cpu'); on a GPU use cache='device'")
        self.store = store if store is None or isinstance(store, Store) else Store(store)
        opened = (open_sources(_resolve_paths(paths), remote) if self.store is None else
                  store_open_sources(_resolve_paths(paths), remote, self.store))
        self.paths: list[str] = [name for name, _ in opened]
        self._sources = [src for _, src in opened]
        self._c = _core.Collection(self.paths, int(threads or 0), cache == "host", int(decoded_cache or 0),
                                   *alias_args(chrom_aliases),
                                   self._sources if any(self._sources) else [], mode == "mask")
        self._chroms = {name: (size, count) for name, size, count in self._c.chroms()}
        if scale is not None:
            self._c.set_scale(self._scale_array(scale))
        if self.store is not None:
            self.store.attach(self._c, self.paths, self._sources)
        if preload:
            from tqdm import tqdm

            for t in tqdm(range(len(self.paths)), desc="preload", unit="track", disable=None):
                self._c.preload(t)
        self._cuda = None if self._device_index is None else CudaValues(self._c, self._device_index, cache == "device")

    @property
    def device(self) -> str:
        """``"cpu"`` or ``"cuda:N"``: where :meth:`values` puts its result."""
        return "cpu" if self._device_index is None else f"cuda:{self._device_index}"

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def n_tracks(self) -> int:
        """T, the number of tracks."""
        return len(self.paths)

    @property
    def scale(self) -> np.ndarray:
        """Per-track factors, float32 array of shape (T,)."""
        return np.asarray(self._c.scale(), dtype=np.float32)

    def _scale_array(self, scale) -> list[float]:
        if isinstance(scale, Mapping):
            out = np.ones(len(self.paths), dtype=np.float32)
            used = set()
            for i, p in enumerate(self.paths):
                base = os.path.basename(p)
                for key in (p, base, os.path.splitext(base)[0]):
                    if key in scale:
                        out[i] = _check.number(f"scale[{key!r}]", scale[key], finite=True, nan=False)
                        used.add(key)
                        break
            unknown = set(scale) - used
            if unknown:
                raise KeyError(f"scale names tracks that are not in the collection: {sorted(unknown)[:5]}")
            return out.tolist()
        arr = np.asarray(scale)
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"scale must hold numbers (or be a dict of them), got dtype {arr.dtype}")
        arr = arr.astype(np.float32).reshape(-1)
        if arr.shape != (len(self.paths),):
            raise ValueError(f"scale has {arr.size} factors for {len(self.paths)} tracks")
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            raise ValueError(f"scale must be finite: track {int(bad[0])} has {arr[bad[0]]}")
        return arr.tolist()

    def chroms(self, warn: bool = True) -> dict[str, int]:
        """Chromosomes present in every track: ``{name: size}``.

        Chromosomes missing from some tracks are left out, with a warning
        that lists them (``warn=False`` silences it). Reading windows on
        them is still allowed; tracks without the chromosome give the
        default there.
        """
        T = len(self.paths)
        common = {n: s for n, (s, k) in self._chroms.items() if k == T}
        partial = sorted(n for n, (_, k) in self._chroms.items() if k < T)
        if partial and warn:
            shown = ", ".join(f"{n} ({self._chroms[n][1]}/{T})" for n in partial[:20])
            more = f" and {len(partial) - 20} more" if len(partial) > 20 else ""
            warnings.warn(f"chromosomes not in all {T} tracks (tracks having them): {shown}{more}", stacklevel=2)
        return common

    def values(self, chroms: Sequence[str] | npt.ArrayLike, starts: npt.ArrayLike, ends: npt.ArrayLike,
               window: int = 1, default: float = float("nan"), dtype: str = "float32", layout: str = "BTL",
               out: np.ndarray | None = None, tracks: npt.ArrayLike | None = None,
               summary: str = "mean", transform: None | Transform | Mapping = None,
               oob: str = "error", reverse: npt.ArrayLike | None = None,
               reverse_tracks: npt.ArrayLike | None = None, options: BatchOptions | None = None) -> np.ndarray:
        """Signal of B windows over T tracks.

        Parameters
        ----------
        chroms : sequence of str, shape (B,)
            Chromosome of each window (or int indices into :meth:`chrom_names`).
        starts, ends : int arrays, shape (B,)
            0-based half-open windows, all of one length ``L = ends - starts``.
        window : int
            Bin size: each output value summarises ``window`` bases (see
            ``summary``). ``L % window`` must be 0.
        default : float
            Value for bases (bins) without data; NaN unless set.
        dtype : "float32", "float16" or "bfloat16"
            Output type; see :func:`bfloat16_dtype` for bfloat16.
        layout : "BTL" or "BLT"
            Output shape ``(B, T, L // window)`` or ``(B, L // window, T)``.
        out : np.ndarray, optional
            Write into this C-contiguous array (of the shape and dtype above)
            instead of a new one, e.g. a pinned or reused buffer. On CUDA: a
            contiguous torch tensor on the collection's device (or an object
            with ``__cuda_array_interface__``).
        tracks : int array, shape (T',), optional
            Read only these tracks, in this order (T = T').
        summary : "mean", "sum", "mean0", "max" or "min"
            What a bin of ``window > 1`` bases holds: the mean over its
            covered bases, their sum (value x bases: Borzoi's sum pooling),
            the mean counting uncovered bases as 0 (UCSC's mean0; 0 for a bin
            with no data), or the largest / smallest covered value. Bins with
            no covered base are ``default`` (except mean0); NaN values in the
            file are no data. With ``window=1`` each value is its base's.
        transform : bwl.Transform or dict, optional
            pow / soft_clip / clip / log1p of every value from data (see
            :class:`Transform`).
        oob : "error" or "pad"
            Windows reaching past a chromosome end (or before 0): an error,
            or padded (as pybigtools' and pybbi's ``oob``): bases outside
            the chromosome have no data, so they are ``default``, and a bin
            summarises its bases inside the chromosome (mean0 still divides
            by ``window``). CPU and GPU.
        reverse : bool array, shape (B,), optional
            Windows read as the other strand does (reverse complement): their
            bins are written last to first. CPU collections.
        reverse_tracks : int array, shape (T,), optional
            With ``reverse``: the track each output track reads on reversed
            windows (its strand partner: a stranded assay's minus track for
            its plus track and back), in place of ``tracks``.
        options : bwl.BatchOptions, optional
            ``window``, ``default``, ``dtype``, ``layout``, ``summary``,
            ``transform`` and ``oob`` as one value, instead of those keywords.

        Returns
        -------
        np.ndarray, or on CUDA a torch tensor
            A new array (or ``out``) of shape (B, T, L // window) or
            (B, L // window, T). Values are scaled by the track's ``scale``.
            On CUDA the work runs on the collection's own stream and is
            complete when this returns; torch's current stream is not
            synchronized (work queued there keeps running) but waits for
            the result before its later work. Should bwl's device memory
            run out, torch's cache is emptied and the batch tried once more,
            then ``torch.cuda.OutOfMemoryError`` is raised (without torch:
            a ``MemoryError``).
        """
        opts = batch_options(options, window=window, default=default, dtype=dtype, layout=layout, summary=summary,
                             transform=transform, oob=oob)
        return self._values(chroms, starts, ends, opts, out, tracks, reverse, reverse_tracks)

    def _values(self, chroms, starts, ends, opts: BatchOptions, out=None, tracks=None, reverse=None,
                reverse_tracks=None):
        """:meth:`values` with its options built (a Loader builds them once)."""
        chrom_idx = self._chrom_indices(chroms)
        starts, ends = _check.int_array("starts", starts), _check.int_array("ends", ends)
        if starts.shape != chrom_idx.shape or ends.shape != chrom_idx.shape:
            raise ValueError("chroms, starts and ends must have one shape (B,), "
                             f"got {chrom_idx.shape}, {starts.shape}, {ends.shape}")
        B = chrom_idx.shape[0]
        if B == 0:
            raise ValueError("no windows given")
        lengths = ends - starts
        L = int(lengths[0])
        if L <= 0 or not np.all(lengths == L):
            raise ValueError(f"all windows must have one positive length; got lengths {np.unique(lengths)[:5]}")
        if L % opts.window:
            raise ValueError(f"window length {L} is not a multiple of window={opts.window}")
        track_idx = None if tracks is None else _check.index_array("tracks", tracks, len(self.paths))
        T = len(self.paths) if track_idx is None else track_idx.shape[0]
        if T == 0:
            raise ValueError("tracks is empty: no track to read")
        bins = L // opts.window
        shape = (B, T, bins) if opts.layout == "BTL" else (B, bins, T)
        rev, rev_tracks = _reverse_args(reverse, reverse_tracks, B, T, len(self.paths))
        if self._cuda is not None:
            if rev is not None:
                raise ValueError("reverse is for CPU collections (the CUDA Loader flips batches on the GPU)")
            return self._cuda.values(chrom_idx, starts, L, opts, shape, track_idx, out)
        out = output_array(out, shape, opts.dtype)
        self._c.values(chrom_idx, starts, L, opts._c, track_idx, out, rev, rev_tracks)
        return out

    def stats(self, chroms: Sequence[str] | npt.ArrayLike, starts: npt.ArrayLike, ends: npt.ArrayLike,
              type: str = "mean", exact: bool = False, tracks: npt.ArrayLike | None = None) -> np.ndarray:  # noqa: A002
        """One summary per region and track, regions of any lengths.

        Parameters
        ----------
        chroms, starts, ends : shape (R,)
            The regions (clipped to each track's chromosome).
        type : "mean", "min", "max", "std", "cov" or "sum"
            As :meth:`bwl.BigWigFile.stats` (a bigBed track: its coverage depth).
        exact : bool
            From the data, not the zoom levels.
        tracks : int array (T,), optional
            A subset of tracks (default all).

        Returns
        -------
        numpy.ndarray, float64, shape (R, T)
            NaN where a track has no data in the region or lacks the
            chromosome. Unscaled. In C++, in parallel over regions x tracks.
        """
        _check.choice("type", type, STATS)
        exact = _check.flag("exact", exact)
        chrom_idx = self._chrom_indices(chroms)
        st, en = _check.int_array("starts", starts), _check.int_array("ends", ends)
        if st.shape != chrom_idx.shape or en.shape != chrom_idx.shape:
            raise ValueError("chroms, starts and ends must have one shape (R,)")
        tr = (np.arange(len(self.paths), dtype=np.uint32) if tracks is None
              else _check.index_array("tracks", tracks, len(self.paths)))
        return self._c.region_stats(chrom_idx, st, en, STATS[type], exact, tr)

    def chrom_names(self) -> list[str]:
        """All chromosomes of any track, in the order used by integer chrom indices."""
        return list(self._chroms)

    def _chrom_indices(self, chroms) -> np.ndarray:
        a = np.asarray(chroms)
        if a.ndim != 1:
            raise ValueError(f"chroms must be one-dimensional, got shape {a.shape}")
        if a.dtype.kind in "iuf":  # chromosome numbers (a float is refused there, not truncated)
            return _check.index_array("chroms", a, len(self._chroms))
        # Names are looked up in C++: no Python loop over the batch.
        return self._c.chrom_indices(a.astype(str).tolist()) if a.size else np.empty(0, np.uint32)

    def intervals(self, threshold: float = 0.0, merge_distance: int = 0, blocklist=None, how: str = "any",
                  chroms: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Regions with signal, for sampling training windows.

        A base passes where ``how="any"`` track's (scaled) value is
        ``>= threshold``, or where the ``how="mean"`` over all tracks
        (missing data counting 0) is ``>= threshold``. Passing stretches
        closer than ``merge_distance`` bases are merged; then the
        ``blocklist`` regions (a BED path or (chroms, starts, ends)) are cut
        out. A bigBed track's signal is what :meth:`values` gives for it:
        its coverage depth, or 1 under its records with ``mode="mask"``.

        Returns
        -------
        (chroms, starts, ends): str array, int64 arrays, shape (n,)
        """
        _check.choice("how", how, ("any", "mean"))
        threshold = _check.number("threshold", threshold, nan=False)
        merge_distance = _check.integer("merge_distance", merge_distance, 0)
        names = list(self.chroms(warn=False)) if chroms is None else list(chroms)
        out_c, out_s, out_e = [], [], []
        for name in names:  # one C++ call per chromosome, not per base
            idx = self._c.chrom_indices([name])[0]
            s, e = self._c.intervals(int(idx), threshold, how == "mean", merge_distance)
            out_c.append(np.full(len(s), name, dtype=object))
            out_s.append(s.astype(np.int64))
            out_e.append(e.astype(np.int64))
        c = np.concatenate(out_c) if out_c else np.empty(0, object)
        s = np.concatenate(out_s) if out_s else np.empty(0, np.int64)
        e = np.concatenate(out_e) if out_e else np.empty(0, np.int64)
        if blocklist is not None:
            from bwl.regions import read_bed, subtract

            bc, bs, be = read_bed(blocklist) if isinstance(blocklist, (str, os.PathLike)) else blocklist
            c, s, e = subtract((c, s, e), (np.asarray(bc, dtype=object), np.asarray(bs, np.int64), np.asarray(be, np.int64)))
        return c.astype(str), s, e

    def cache_info(self) -> dict:
        """Bytes held by ``cache="host"`` / ``"device"`` and the decoded-block cache (and its hits, misses,
        evictions, and resumes: cached prefixes a later window inflated on from where they stopped)."""
        info = dict(self._c.cache_info())
        if self._cuda is not None:
            info["device_bytes"] = self._cuda.device_cache_bytes()
        return info

    def __repr__(self) -> str:
        where = "" if self._cuda is None else f", {self.device}"
        return f"<bwl.Collection {len(self.paths)} tracks, {len(self._chroms)} chroms{where}>"
