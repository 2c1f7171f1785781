"""Options as checked values: what a batch holds (:class:`BatchOptions`
and its :class:`Transform`) and how a Loader makes batches
(:class:`LoaderOptions`).

Built and checked once. A BatchOptions is handed to the core whole (as
``bwl._core.BatchOptions``): :meth:`bwl.Collection.values` builds one per
call from its keywords, a :class:`bwl.Loader` one for all its batches.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from typing import Any

from bwl import _check, _core
from bwl._types import DTYPES, LAYOUTS, SUMMARIES, check_dtype


@dataclasses.dataclass(frozen=True)
class Transform:
    """Target transforms, applied in C++ (CPU and GPU alike) to every value
    that comes from data, after the track's scale and the bin summary, in
    this order; the ``default`` of bins without data is never transformed.

    Attributes
    ----------
    pow : float
        ``sign(x) * |x| ** pow`` (> 0; 1: none). Borzoi squashes with 0.75.
    soft_clip : float, optional
        Above ``t``: ``t + sqrt(x - t)`` (Borzoi's soft clip).
    clip : float or (lo, hi), optional
        Clip to ``[lo, hi]``; a number ``c`` means ``[-c, c]``.
    log1p : bool
        ``log(1 + x)`` last (NaN below -1, as numpy).
    """

    pow: float = 1.0
    soft_clip: float | None = None
    clip: None | float | tuple[float, float] = None
    log1p: bool = False

    def __post_init__(self) -> None:
        if not _check.number("Transform.pow", self.pow, nan=False) > 0:
            raise ValueError(f"Transform.pow must be > 0, got {self.pow}")
        if self.soft_clip is not None:
            _check.number("Transform.soft_clip", self.soft_clip, nan=False)
        _check.flag("Transform.log1p", self.log1p)
        lo, hi = self._clip()
        if not lo <= hi:
            raise ValueError(f"Transform.clip: lo {lo} > hi {hi}")

    def _clip(self) -> tuple[float, float]:
        if self.clip is None:
            return -math.inf, math.inf
        if not isinstance(self.clip, (tuple, list)):
            c = abs(_check.number("Transform.clip", self.clip, nan=False))
            return -c, c
        if len(self.clip) != 2:
            raise ValueError(f"Transform.clip must be a number or (lo, hi), got {self.clip!r}")
        return (_check.number("Transform.clip lo", self.clip[0], nan=False),
                _check.number("Transform.clip hi", self.clip[1], nan=False))

    def _core(self) -> _core.ValueTransform:
        lo, hi = self._clip()
        return _core.ValueTransform(float(self.pow), math.inf if self.soft_clip is None else float(self.soft_clip),
                                    lo, hi, bool(self.log1p))


def as_transform(t: Any) -> Transform:
    """``transform=`` as a Transform: None (none), a Transform, or a dict of its fields."""
    if t is None:
        return Transform()
    if isinstance(t, Mapping):
        return Transform(**t)
    if not isinstance(t, Transform):
        raise TypeError(f"transform must be a bwl.Transform or a dict of its fields, got {type(t).__name__}")
    return t


@dataclasses.dataclass(frozen=True)
class BatchOptions:
    """What a batch of signal holds, whatever its windows; the keywords of
    :meth:`bwl.Collection.values` and :class:`bwl.Loader` that say it, as
    one checked value (pass it as ``options=`` to either).

    Attributes
    ----------
    window : int
        Bin size: each output value summarises ``window`` bases.
    default : float
        Value of bases (bins) without data; NaN unless set.
    dtype : "float32", "float16" or "bfloat16"
    layout : "BTL" or "BLT"
        Output shape (B, T, L // window) or (B, L // window, T).
    summary : "mean", "sum", "mean0", "max" or "min"
        What a bin of ``window > 1`` bases holds.
    transform : bwl.Transform, dict or None
        pow / soft_clip / clip / log1p of every value from data.
    oob : "error" or "pad"
        Windows reaching past a chromosome end: an error, or padded.
    """

    window: int = 1
    default: float = float("nan")
    dtype: str = "float32"
    layout: str = "BTL"
    summary: str = "mean"
    transform: None | Transform | Mapping = None
    oob: str = "error"

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalised once, here
        set_(self, "window", _check.integer("window", self.window, 1))
        set_(self, "default", _check.number("default", self.default))
        check_dtype(self.dtype)
        _check.choice("layout", self.layout, LAYOUTS)
        _check.choice("summary", self.summary, SUMMARIES)
        _check.choice("oob", self.oob, ("error", "pad"))
        set_(self, "transform", as_transform(self.transform))
        set_(self, "_c", _core.BatchOptions(self.window, SUMMARIES[self.summary], self.transform._core(),
                                            self.oob == "pad", self.default, DTYPES[self.dtype], LAYOUTS[self.layout]))

    def __eq__(self, other: object) -> bool:  # NaN defaults compare equal
        if not isinstance(other, BatchOptions):
            return NotImplemented
        return all(_same(getattr(self, f.name), getattr(other, f.name)) for f in dataclasses.fields(self))

    def __hash__(self) -> int:
        return hash(tuple(str(getattr(self, f.name)) for f in dataclasses.fields(self)))


def _same(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _changed(keywords: dict[str, Any], defaults: Any) -> list[str]:
    """The keywords given a value other than their default (a transform: any)."""
    return [k for k, v in keywords.items() if (v is not None if k == "transform" else not _same(v, getattr(defaults, k)))]


def _no_clash(changed: list[str]) -> None:
    if changed:
        raise TypeError(f"pass either options= or {', '.join(f'{k}=' for k in changed)}, not both")


@functools.lru_cache(maxsize=64, typed=True)  # typed: window=True must not hit window=1's entry
def _from_keywords(window, default, dtype, layout, summary, transform, oob) -> BatchOptions:
    return BatchOptions(window, default, dtype, layout, summary, transform, oob)


def batch_options(options: BatchOptions | None, defaults: BatchOptions | None = None, **keywords: Any) -> BatchOptions:
    """``options``, or a BatchOptions of the keywords (the same keywords
    call after call reuse one: a batch's Python cost stays small); both
    given (a keyword other than its default, as in ``defaults``, beside
    ``options=``) is a TypeError."""
    if options is None:
        try:
            hash(tuple(keywords.values()))
        except TypeError:  # a transform given as a dict: not kept
            return BatchOptions(**keywords)
        return _from_keywords(**keywords)
    if not isinstance(options, BatchOptions):
        raise TypeError(f"options must be a bwl.BatchOptions, got {type(options).__name__}")
    _no_clash(_changed(keywords, defaults or BatchOptions()))
    return options


@dataclasses.dataclass(frozen=True)
class LoaderOptions:
    """How a :class:`bwl.Loader` makes and hands out batches, as one checked
    value (``Loader(..., options=LoaderOptions(...))``, kept as
    ``loader.options``); each field is also a Loader keyword, documented
    there. What each batch holds is ``batch``, a :class:`BatchOptions`.

    Attributes
    ----------
    batch : BatchOptions
    target_crop : int
    reverse_complement : bool
    strand_pairs : tuple of (plus, minus) pairs, or None
    tracks : bwl.samplers.Tracks or None
    prefetch : int
    batches_per_epoch : int or None
    seed : int
    shard : (rank, world)
    reuse_buffers : "auto", True or False
    pin_memory : bool
    device : str or None
    """

    batch: BatchOptions = BatchOptions(default=0.0)  # training targets: no NaN by surprise (docs/decisions.md)
    target_crop: int = 0
    reverse_complement: bool = False
    strand_pairs: tuple | None = None
    tracks: Any = None
    prefetch: int = 2
    batches_per_epoch: int | None = None
    seed: int = 0
    shard: tuple[int, int] = (0, 1)
    reuse_buffers: bool | str = "auto"
    pin_memory: bool = False
    device: str | None = None

    def __post_init__(self) -> None:
        from bwl.samplers import Tracks  # samplers -> regions; no cycle, but kept off import time

        set_ = object.__setattr__  # frozen: normalised once, here
        if not isinstance(self.batch, BatchOptions):
            raise TypeError(f"batch must be a bwl.BatchOptions, got {type(self.batch).__name__}")
        set_(self, "target_crop", _check.integer("target_crop", self.target_crop, 0))
        set_(self, "reverse_complement", _check.flag("reverse_complement", self.reverse_complement))
        if self.strand_pairs is not None:
            if isinstance(self.strand_pairs, (str, bytes)) or not hasattr(self.strand_pairs, "__iter__"):
                raise TypeError(f"strand_pairs must be a sequence of (plus, minus) pairs, got {self.strand_pairs!r}")
            set_(self, "strand_pairs", tuple(tuple(p) if isinstance(p, (list, tuple)) else p
                                             for p in self.strand_pairs) or None)
        if self.tracks is not None and not isinstance(self.tracks, Tracks):
            raise TypeError(f"tracks must be a bwl.samplers.Tracks, got {type(self.tracks).__name__}")
        set_(self, "prefetch", _check.integer("prefetch", self.prefetch, 0))
        set_(self, "batches_per_epoch", _check.optional_integer("batches_per_epoch", self.batches_per_epoch, 1))
        set_(self, "seed", _check.integer("seed", self.seed, 0))
        if not isinstance(self.shard, (tuple, list)) or len(self.shard) != 2:
            raise TypeError(f"shard must be a (rank, world) pair, got {self.shard!r}")
        world = _check.integer("shard world", self.shard[1], 1)
        set_(self, "shard", (_check.integer("shard rank", self.shard[0], 0, world - 1), world))
        _check.choice("reuse_buffers", self.reuse_buffers, ("auto", True, False))
        set_(self, "pin_memory", _check.flag("pin_memory", self.pin_memory))
        if self.device is not None:
            set_(self, "device", str(self.device))


_LOADER_DEFAULTS = LoaderOptions()


def loader_options(options: LoaderOptions | BatchOptions | None, batch: dict[str, Any],
                   **keywords: Any) -> LoaderOptions:
    """``options`` as a LoaderOptions, or one of the keywords: ``batch``
    (BatchOptions' keywords) and ``keywords`` (LoaderOptions' own). A
    BatchOptions given as ``options`` is the ``batch`` part. A keyword other
    than its default beside a LoaderOptions is a TypeError."""
    if isinstance(options, LoaderOptions):
        _no_clash(_changed(batch, _LOADER_DEFAULTS.batch) + _changed(keywords, _LOADER_DEFAULTS))
        return options
    if options is not None and not isinstance(options, BatchOptions):
        raise TypeError(f"options must be a bwl.LoaderOptions or bwl.BatchOptions, got {type(options).__name__}")
    return LoaderOptions(batch_options(options, _LOADER_DEFAULTS.batch, **batch), **keywords)
