"""Checks of public arguments (internal): one place, one shape of message.

Every public function and constructor passes its arguments through these
before anything reaches the core. A wrong kind is a ``TypeError``, a wrong
value a ``ValueError``; both name the argument as the user wrote it. The
rules (docs/decisions.md, "Arguments"):

- integers are integers: a float (even 3.0), a bool or a string is a
  TypeError, never truncated; numpy integer scalars and arrays are fine;
- ranges are checked here, so a negative count or an index past the end is
  a ValueError naming the argument, not an OverflowError or a wrapped
  unsigned value in C++;
- a path is ``str`` or ``os.PathLike`` without a NUL byte.
"""
from __future__ import annotations

import operator
import os
from collections.abc import Iterable
from typing import Any

import numpy as np


def integer(name: str, v: Any, lo: int | None = None, hi: int | None = None) -> int:
    """``v`` as a Python int in ``[lo, hi]`` (either bound optional)."""
    if isinstance(v, (bool, np.bool_)) or not hasattr(v, "__index__"):
        raise TypeError(f"{name} must be an integer, got {type(v).__name__} {v!r}")
    i = operator.index(v)
    if lo is not None and i < lo:
        raise ValueError(f"{name} must be >= {lo}, got {i}")
    if hi is not None and i > hi:
        raise ValueError(f"{name} must be <= {hi}, got {i}")
    return i


def optional_integer(name: str, v: Any, lo: int | None = None, hi: int | None = None) -> int | None:
    """None, or :func:`integer`."""
    return None if v is None else integer(name, v, lo, hi)


def number(name: str, v: Any, lo: float | None = None, finite: bool = False, nan: bool = True) -> float:
    """``v`` as a float (ints, floats, numpy scalars), ``>= lo`` when given."""
    if isinstance(v, (bool, np.bool_, str, bytes)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(v).__name__} {v!r}")
    f = float(v)
    if f != f:
        if not nan:
            raise ValueError(f"{name} must not be NaN")
        return f
    if finite and f in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be finite, got {f}")
    if lo is not None and f < lo:
        raise ValueError(f"{name} must be >= {lo}, got {f}")
    return f


def flag(name: str, v: Any) -> bool:
    """A bool (or numpy bool, or 0/1): ``"False"`` is not false."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)) and v in (0, 1):
        return bool(v)
    raise TypeError(f"{name} must be True or False, got {type(v).__name__} {v!r}")


def choice(name: str, v: Any, options: Iterable) -> Any:
    """``v`` if it is one of ``options``."""
    opts = list(options)
    try:
        ok = v in opts
    except TypeError:  # unhashable in a dict's keys
        ok = False
    if not ok or isinstance(v, (bool, np.bool_)) and not any(isinstance(o, bool) for o in opts):
        raise ValueError(f"{name} must be one of {', '.join(repr(o) for o in opts)}; got {v!r}")
    return v


def path(name: str, p: Any) -> str:
    """A local path as str: no NUL byte (C strings end there, so the OS
    would open another file than the one named)."""
    if not isinstance(p, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(p).__name__}")
    s = os.fsdecode(os.fspath(p))
    if "\0" in s:
        raise ValueError(f"{name} contains a NUL byte: {s.split(chr(0))[0]!r} + '\\0...'")
    return s


def int_array(name: str, a: Any, lo: int | None = None, hi: int | None = None,
              dtype: Any = np.int64) -> np.ndarray:
    """``a`` as a one-dimensional integer array of ``dtype``, values in
    ``[lo, hi]``. Floats and bools are a TypeError (not truncated)."""
    arr = np.asarray(a)
    if arr.dtype == object:  # a list mixing Python ints with numpy ones, or holding other things
        try:
            arr = np.asarray(arr.tolist())
        except (TypeError, ValueError):
            pass
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        return np.empty(0, dtype)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}"
                        + (" (cast with .astype(int) if the values are whole)" if arr.dtype.kind == "f" else ""))
    want = _limits(dtype)
    lo = want.min if lo is None else max(lo, want.min)
    hi = want.max if hi is None else min(hi, want.max)
    have = _limits(arr.dtype)
    if have.min < lo or have.max > hi:  # else every value of arr's type fits: no pass over it
        mn, mx = int(arr.min()), int(arr.max())
        if mn < lo or mx > hi:
            bad = mn if mn < lo else mx
            raise ValueError(f"{name}: {bad} is outside [{lo}, {hi}]")
    return np.ascontiguousarray(arr, dtype=dtype)


_LIMITS: dict = {}


def _limits(dtype: Any) -> np.iinfo:
    """np.iinfo of an integer dtype, kept (iinfo costs microseconds a call)."""
    d = np.dtype(dtype)
    info = _LIMITS.get(d)
    if info is None:
        info = _LIMITS[d] = np.iinfo(d)
    return info


def index_array(name: str, a: Any, n: int) -> np.ndarray:
    """Indices into ``n`` things, as uint32: each in ``[0, n)``."""
    if n == 0:
        raise ValueError(f"{name}: there is nothing to index")
    return int_array(name, a, 0, n - 1, np.uint32)
