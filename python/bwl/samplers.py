"""Where training windows come from. Every sampler is a pure function of
(seed, epoch, batch index): the Loader may build batches in any thread and
in any order and still get the same windows, and DDP ranks can split an
epoch's batches without talking to each other."""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from bwl import _check
from bwl.regions import (
    ChromSizes,
    Regions,
    RegionSource,
    _column,
    _frame_minus,
    _frame_regions,
    _is_frame,
    as_regions,
    merge,
    read_chrom_sizes,
    read_peaks,
    stranded_regions,
    subtract,
)

__all__ = ["Sampler", "RandomRegions", "PeakRegions", "Tiles", "Tracks", "as_regions", "stranded_regions", "batch_rng",
           "ChromSizes", "RegionSource", "Regions"]


def _keep_chroms(c: np.ndarray, chroms: Sequence[str] | None, exclude: Sequence[str] | None) -> np.ndarray:
    """Mask of names in ``chroms`` (all when None) and not in ``exclude``:
    the chromosome split of train / valid / test sets."""
    keep = np.ones(len(c), bool) if chroms is None else np.isin(c, np.asarray(list(chroms), dtype=str))
    if exclude is not None:
        keep &= ~np.isin(c, np.asarray(list(exclude), dtype=str))
    return keep


def _oob(oob: str) -> bool:
    _check.choice("oob", oob, ("shift", "pad"))
    return oob == "pad"


def batch_rng(seed: int, epoch: int, index: int, stream: int = 0) -> np.random.Generator:
    """The generator of one batch: independent of every other batch."""
    return np.random.default_rng([int(seed), int(epoch), int(index), int(stream)])


@runtime_checkable
class Sampler(Protocol):
    """What :class:`bwl.Loader` draws windows from (RandomRegions,
    PeakRegions, Tiles, or your own class with these two methods)."""

    def batch(self, batch_size: int, index: int, epoch: int = 0) -> tuple:
        """Batch ``index`` of ``epoch``: (chroms (B,) str, starts (B,) int64,
        ends (B,) int64), optionally a fourth bool array (B,) of windows on
        the minus strand. The same arguments must give the same windows."""
        ...

    def num_batches(self, batch_size: int) -> int | None:
        """Batches in an epoch, or None for an endless sampler."""
        ...


class RandomRegions:
    """Random windows of ``length`` bases centred on positions drawn
    uniformly from the bases of ``regions``.

    Parameters
    ----------
    regions : BED path, {chrom: size}, or (chroms, starts, ends)
    length : int
        Window length L.
    chrom_sizes : {chrom: size}, or a .fai / .chrom.sizes path
        Windows are shifted to lie inside ``[0, size)``; chromosomes shorter
        than L are dropped. (``Collection.chroms()`` gives this.)
    jitter : int
        Uniform shift of each window in ``[-jitter, jitter]``.
    blocklist : BED path or (chroms, starts, ends), optional
        Windows overlapping these are redrawn.
    fasta : bwl.Fasta, optional, with ``max_n_fraction``
        Windows whose sequence has a larger share of non-ACGT bases are redrawn.
    chroms, exclude : sequence of str, optional
        Keep only regions on ``chroms`` / drop those on ``exclude`` (a
        chromosome split; see :func:`bwl.regions.split_chroms`).
    weights : array-like (n,), optional
        A weight per region (e.g. a BED score, or the tracks' signal there:
        :func:`bwl.regions.signal_weights`): a region is drawn with
        probability proportional to its weight, then a position uniformly
        in it. Regions are then used as given (not merged).
    oob : "shift" or "pad"
        Windows near a chromosome end are shifted inside it (the default),
        or left centred where drawn, hanging over the end: read them with
        ``Loader(oob="pad")``.
    """

    def __init__(self, regions: RegionSource, length: int, chrom_sizes: ChromSizes, jitter: int = 0,
                 blocklist: RegionSource | None = None, fasta=None, max_n_fraction: float | None = None,
                 seed: int = 0, max_tries: int = 100, chroms: Sequence[str] | None = None,
                 exclude: Sequence[str] | None = None, weights=None, oob: str = "shift") -> None:
        length = _check.integer("length", length, 1)
        jitter = _check.integer("jitter", jitter, 0)
        seed = _check.integer("seed", seed, 0)
        max_tries = _check.integer("max_tries", max_tries, 1)
        if max_n_fraction is not None:
            max_n_fraction = _check.number("max_n_fraction", max_n_fraction, 0, nan=False)
        self.pad = _oob(oob)
        if max_n_fraction is not None and fasta is None:
            raise ValueError("max_n_fraction needs a fasta")
        c, s, e = as_regions(regions)
        if weights is not None:
            wt = np.asarray(weights, np.float64)
            if wt.shape != s.shape or not np.all(np.isfinite(wt)) or np.any(wt < 0):
                raise ValueError("weights must be finite, >= 0, one per region")
        else:
            c, s, e = merge((c, s, e))
            wt = None
        chrom_sizes = read_chrom_sizes(chrom_sizes)
        sizes = np.asarray([chrom_sizes.get(x, 0) for x in c], np.int64)
        keep = (sizes >= length) & (e > s) & _keep_chroms(c, chroms, exclude)
        if wt is not None:
            keep &= wt > 0
        self.chroms, self.starts, self.ends = c[keep], s[keep], np.minimum(e[keep], sizes[keep])
        self.sizes = sizes[keep]
        if not len(self.chroms):
            raise ValueError("no region lies on a chromosome at least `length` long (of those kept)")
        self.length, self.jitter, self.seed, self.max_tries = length, jitter, seed, max_tries
        self._cum = np.cumsum(self.ends - self.starts)  # positions are drawn over all region bases
        self._wcum = None if wt is None else np.cumsum(wt[keep])  # or regions by weight first
        self.blocklist = merge(as_regions(blocklist)) if blocklist is not None else None
        self.fasta, self.max_n_fraction = fasta, max_n_fraction

    def _draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._wcum is None:
            u = rng.integers(0, self._cum[-1], n)
            r = np.searchsorted(self._cum, u, side="right")
            centre = self.starts[r] + (u - (self._cum[r] - (self.ends[r] - self.starts[r])))
        else:
            r = np.minimum(np.searchsorted(self._wcum, rng.random(n) * self._wcum[-1], side="right"), len(self._wcum) - 1)
            centre = self.starts[r] + (rng.random(n) * (self.ends[r] - self.starts[r])).astype(np.int64)
        if self.jitter:
            centre = centre + rng.integers(-self.jitter, self.jitter + 1, n)
        start = centre - self.length // 2
        if not self.pad:  # shifted inside the chromosome
            start = np.clip(start, 0, self.sizes[r] - self.length)
        return self.chroms[r], start, start + self.length

    def _ok(self, c: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
        ok = np.ones(len(c), bool)
        if self.blocklist is not None:
            bc, bs, be = self.blocklist
            for name in np.unique(c):
                m = c == name
                mb = bc == name
                if not mb.any():
                    continue
                # Overlap: some blocked interval starts before e and ends after s.
                i = np.searchsorted(bs[mb], e[m], side="left")
                reach = np.maximum.accumulate(be[mb])
                ok[np.flatnonzero(m)] &= ~((i > 0) & (reach[np.maximum(i - 1, 0)] > s[m]))
        if self.fasta is not None and self.max_n_fraction is not None and ok.any():
            idx = np.flatnonzero(ok)
            frac = self.fasta.n_fraction(c[idx], s[idx], self.length)
            ok[idx] &= frac <= self.max_n_fraction
        return ok

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """n windows: (chroms str (n,), starts int64 (n,), ends int64 (n,))."""
        c, s, e = self._draw(rng, n)
        for _ in range(self.max_tries):
            bad = ~self._ok(c, s, e)
            if not bad.any():
                return c, s, e
            c2, s2, e2 = self._draw(rng, int(bad.sum()))
            c, s, e = c.copy(), s.copy(), e.copy()
            c[bad], s[bad], e[bad] = c2, s2, e2
        raise RuntimeError(f"could not draw windows outside the blocklist / under max_n_fraction in {self.max_tries} tries")

    def batch(self, batch_size: int, index: int, epoch: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Batch ``index`` of ``epoch``: always the same windows for the same seed."""
        return self.sample(batch_rng(self.seed, epoch, index), batch_size)

    def num_batches(self, batch_size: int) -> int | None:
        """None: the sampler is endless; the Loader's batches_per_epoch decides."""
        return None


class PeakRegions:
    """Windows centred on peak summits, plus negatives, once per epoch in
    a shuffled order (BPNet / chrombpnet sampling).

    Parameters
    ----------
    peaks : BED / narrowPeak path, DataFrame, or (chroms, starts, ends[, summits])
        Summits: narrowPeak's column 10 (start + offset), a DataFrame's
        ``summit`` (absolute) or ``peak`` (offset) column, else the centre.
    length : int
        Window length L.
    chrom_sizes : {chrom: size}, or a .fai / .chrom.sizes path
        Windows are shifted to lie inside their chromosome; peaks on
        chromosomes shorter than L (or unknown) are dropped.
    jitter : int
        Each epoch, each summit moves by a uniform shift in ``[-jitter, jitter]``.
    negatives : float
        Negatives per peak (0.1: one per ten peaks), drawn uniformly from
        ``background`` minus the peaks widened by L / 2 on each side.
    background : region source, optional
        Where negatives come from (default: all of ``chrom_sizes``).
    blocklist, fasta, max_n_fraction : as in :class:`RandomRegions`, for negatives.
    gc_match : bool
        With ``fasta``: negatives whose GC content follows the peaks' (as
        chrombpnet's): a pool of ``gc_pool`` x as many candidates is drawn
        once; each batch draws GC targets from the peak windows' GC and
        takes, for each, a pool window of the same 2% GC bin (the nearest
        non-empty bin when that one is empty).
    chroms, exclude : sequence of str, optional
        Keep only peaks (and negatives) on ``chroms`` / not on ``exclude``.
    oob : "shift" or "pad"
        Windows of summits near a chromosome end shifted inside it, or kept
        centred (``Loader(oob="pad")`` reads them).
    seed : int
        With (epoch, batch index), fixes every window and the order.

    ``num_batches(B)`` is ``ceil((peaks + round(negatives x peaks)) / B)``;
    the last batch of an epoch is filled up with windows from its start
    (every batch has B windows).
    """

    def __init__(self, peaks, length: int, chrom_sizes: ChromSizes, jitter: int = 0, negatives: float = 0.0,
                 background: RegionSource | None = None, blocklist: RegionSource | None = None, fasta=None,
                 max_n_fraction: float | None = None, seed: int = 0, chroms: Sequence[str] | None = None,
                 exclude: Sequence[str] | None = None, gc_match: bool = False, gc_pool: int = 20,
                 oob: str = "shift") -> None:
        length = _check.integer("length", length, 1)
        jitter = _check.integer("jitter", jitter, 0)
        seed = _check.integer("seed", seed, 0)
        negatives = _check.number("negatives", negatives, 0, finite=True, nan=False)
        gc_pool = _check.integer("gc_pool", gc_pool, 1)
        gc_match = _check.flag("gc_match", gc_match)
        if max_n_fraction is not None:
            max_n_fraction = _check.number("max_n_fraction", max_n_fraction, 0, nan=False)
        self.pad = _oob(oob)
        if gc_match and fasta is None:
            raise ValueError("gc_match needs a fasta")
        c, s, e, summit, minus = _peaks(peaks)
        sizes_map = read_chrom_sizes(chrom_sizes)
        sizes = np.asarray([sizes_map.get(x, 0) for x in c], np.int64)
        keep = (sizes >= length) & _keep_chroms(c, chroms, exclude)
        if not keep.any():
            raise ValueError("no peak lies on a known chromosome at least `length` long (of those kept)")
        self.chroms, self.summits, self.sizes = c[keep], summit[keep], sizes[keep]
        self.minus = None if minus is None else minus[keep]
        self.length, self.jitter, self.seed = length, jitter, seed
        self.n_neg = int(round(negatives * len(self.chroms)))
        self._neg = None
        if self.n_neg:
            half = self.length // 2
            wide = (c, np.maximum(s - half, 0), e + half)
            bg = as_regions(background if background is not None else sizes_map)
            self._neg = RandomRegions(subtract(bg, wide), length, sizes_map, blocklist=blocklist, fasta=fasta,
                                      max_n_fraction=max_n_fraction, seed=seed + 1, chroms=chroms, exclude=exclude)
        self._order = None  # (epoch, permutation of peaks + negatives)
        self._pool = None
        if self.n_neg and gc_match:
            start = np.clip(self.summits - self.length // 2, 0, self.sizes - self.length)
            self._peak_gc = _gc(fasta, self.chroms, start, self.length)
            pc, ps, _ = self._neg.sample(np.random.default_rng([self.seed, 1 << 21]), max(gc_pool * self.n_neg, 1000))
            self._pool = (pc, ps, np.minimum((_gc(fasta, pc, ps, self.length) * 50).astype(np.int64), 49))

    def __len__(self) -> int:
        """Windows per epoch: peaks plus negatives."""
        return len(self.chroms) + self.n_neg

    def num_batches(self, batch_size: int) -> int:
        """Batches of ``batch_size`` in an epoch: ``ceil(len(self) / batch_size)``."""
        return -(-len(self) // int(batch_size))

    def batch(self, batch_size: int, index: int, epoch: int = 0) -> tuple:
        """Batch ``index`` of ``epoch``: (chroms, starts, ends), ``batch_size``
        windows; plus ``minus`` (bool; negatives False) for stranded peaks."""
        cached = self._order
        if cached is None or cached[0] != epoch:  # the epoch's order, drawn once per epoch
            cached = self._order = (epoch, np.random.default_rng([self.seed, epoch, 1 << 20]).permutation(len(self)))
        pick = cached[1][(np.arange(batch_size) + index * batch_size) % len(self)]
        rng = batch_rng(self.seed, epoch, index, stream=3)
        pos = pick[pick < len(self.chroms)]
        centre = self.summits[pos]
        if self.jitter:
            centre = centre + rng.integers(-self.jitter, self.jitter + 1, len(pos))
        start = centre - self.length // 2
        if not self.pad:
            start = np.clip(start, 0, self.sizes[pos] - self.length)
        chroms, starts = np.empty(batch_size, dtype=self.chroms.dtype), np.empty(batch_size, np.int64)
        is_pos = pick < len(self.chroms)
        chroms[is_pos], starts[is_pos] = self.chroms[pos], start
        k = int((~is_pos).sum())
        if k and self._pool is not None:
            nc, ns = self._gc_matched(rng, k)
        elif k:
            nc, ns, _ = self._neg.sample(rng, k)
        if k:
            if nc.dtype.itemsize > chroms.dtype.itemsize:
                chroms = chroms.astype(nc.dtype)
            chroms[~is_pos], starts[~is_pos] = nc, ns
        out = chroms, starts, starts + self.length
        if self.minus is None:
            return out
        minus = np.zeros(batch_size, bool)
        minus[is_pos] = self.minus[pos]
        return out + (minus,)


    def _gc_matched(self, rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
        """k pool windows whose GC bins follow the peaks' GC."""
        pc, ps, pbin = self._pool
        want = np.minimum((rng.choice(self._peak_gc, k) * 50).astype(np.int64), 49)
        have = np.flatnonzero(np.bincount(pbin, minlength=50))
        want = have[np.abs(have[None, :] - want[:, None]).argmin(1)]  # nearest bin the pool has
        order = np.argsort(pbin, kind="stable")
        lo, hi = np.searchsorted(pbin[order], want, "left"), np.searchsorted(pbin[order], want, "right")
        pick = order[lo + (rng.random(k) * (hi - lo)).astype(np.int64)]
        return pc[pick], ps[pick]


def _gc(fasta, chroms: np.ndarray, starts: np.ndarray, length: int, chunk: int = 512) -> np.ndarray:
    """GC fraction of each window (N counts as neither), in chunks."""
    out = np.empty(len(starts), np.float64)
    for i in range(0, len(starts), chunk):
        oh = fasta.onehot(chroms[i:i + chunk], starts[i:i + chunk], starts[i:i + chunk] + length, dtype="float16",
                          n_value=0.0)
        out[i:i + chunk] = oh[:, :, 1:3].astype(np.float32).sum((1, 2)) / length
    return out


def _peaks(src) -> tuple:
    """(chroms, starts, ends, summits, minus or None) from any peak source."""
    if isinstance(src, (str, os.PathLike)):
        *peaks, minus = read_peaks(src, strand=True)
        return (*peaks, minus if minus.any() else None)
    if _is_frame(src):
        c, s, e = _frame_regions(src)
        summit = _column(src, ("summit",))
        if summit is None:
            off = _column(src, ("peak",))
            summit = s + np.asarray(off, np.int64) if off is not None else (s + e) // 2
            if off is not None:
                summit = np.where(np.asarray(off) >= 0, summit, (s + e) // 2)
        return c, s, e, np.asarray(summit, np.int64), _frame_minus(src)
    parts = tuple(src)
    c, s, e = as_regions(parts[:3])
    summit = np.asarray(parts[3], np.int64) if len(parts) > 3 else (s + e) // 2
    return c, s, e, summit, None


class Tiles:
    """Deterministic sliding windows over ``regions`` for evaluation.

    Windows start at each region's start and every ``stride`` bases after;
    if the last one stops short of the region's end, one more window ends
    exactly there, so every base is covered (exactly once when ``stride ==
    length`` and the region is a multiple of it). Regions shorter than
    ``length`` are skipped. Tiles of ``-`` strand regions (BED column 6, a
    ``strand`` column) come reverse-complemented from the Loader.
    ``chroms`` / ``exclude`` keep or drop chromosomes (a split).
    """

    def __init__(self, regions: RegionSource, length: int, stride: int | None = None,
                 chroms: Sequence[str] | None = None, exclude: Sequence[str] | None = None) -> None:
        length = _check.integer("length", length, 1)
        stride = length if stride is None else _check.integer("stride", stride, 1)
        c, s, e, minus = stranded_regions(regions)
        keep = _keep_chroms(c, chroms, exclude)
        c, s, e, minus = c[keep], s[keep], e[keep], (None if minus is None else minus[keep])
        n = np.where(e - s >= length, (e - s - length) // stride + 1, 0)
        tail = (e - s >= length) & (s + (n - 1) * stride + length < e)
        counts = n + tail
        self.chroms = np.repeat(c, counts)
        k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        starts = np.repeat(s, counts) + k * stride
        last = np.cumsum(counts) - 1
        starts[last[tail]] = (e - length)[tail]
        self.starts = starts.astype(np.int64)
        self.minus = None if minus is None else np.repeat(minus, counts)
        self.length, self.stride = length, stride

    def __len__(self) -> int:
        return len(self.starts)

    def batch(self, batch_size: int, index: int, epoch: int = 0) -> tuple:
        """Tiles ``[index * batch_size, (index + 1) * batch_size)`` (the last
        batch may be short): (chroms, starts, ends), plus ``minus`` (bool)
        for stranded regions."""
        sl = slice(index * batch_size, (index + 1) * batch_size)
        out = self.chroms[sl], self.starts[sl], self.starts[sl] + self.length
        return out if self.minus is None else out + (self.minus[sl],)

    def num_batches(self, batch_size: int) -> int:
        """Batches of ``batch_size`` needed for all tiles (the last may be short)."""
        return -(-len(self) // batch_size)


class Tracks:
    """A random subset of ``n`` of the collection's tracks per batch, sorted."""

    def __init__(self, n: int, seed: int = 0) -> None:
        self.n, self.seed = _check.integer("n", n, 1), _check.integer("seed", seed, 0)

    def batch(self, total: int, index: int, epoch: int = 0) -> np.ndarray:
        """uint32 track indices (n,) for batch ``index``."""
        if self.n > total:
            raise ValueError(f"cannot pick {self.n} of {total} tracks")
        rng = batch_rng(self.seed, epoch, index, stream=1)
        return np.sort(rng.choice(total, self.n, replace=False)).astype(np.uint32)
