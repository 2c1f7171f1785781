"""Types and codes shared by the Python modules (internal).

The user's strings map to the enums the bindings take: ``_core.DType``,
``_core.Layout`` and ``_core.Summary`` (the core's
``bwl/detail/batch_types.hpp``), ``_core.Stat`` (``bwl/bigwig.hpp``) and
the writer's ``_core.SectionType`` (``bwl/detail/format.hpp``), bound in
``csrc/python/bind_types.cpp``.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Union

import numpy as np

from bwl import _core

PathLike = Union[str, "os.PathLike[str]"]
ChromAliasSpec = Union[None, str, Mapping[str, str]]

DTYPES = {"float32": _core.DType.f32, "float16": _core.DType.f16, "bfloat16": _core.DType.bf16}
LAYOUTS = {"BTL": _core.Layout.btl, "BLT": _core.Layout.blt}
SUMMARIES = {"mean": _core.Summary.mean, "sum": _core.Summary.sum, "mean0": _core.Summary.mean0,
             "max": _core.Summary.max, "min": _core.Summary.min}
# Region statistics (BigWigFile.stats, Collection.stats; "coverage" is "cov").
STATS = {"mean": _core.Stat.mean, "min": _core.Stat.min, "max": _core.Stat.max, "std": _core.Stat.std,
         "cov": _core.Stat.cov, "coverage": _core.Stat.cov, "sum": _core.Stat.sum}
# Threads of one Collection or Fasta (the core's ThreadPool::kMaxThreads).
MAX_THREADS = _core.MAX_THREADS
SECTION_TYPES = {"bedGraph": _core.SectionType.bedgraph, "variableStep": _core.SectionType.variable_step,
                 "fixedStep": _core.SectionType.fixed_step}


def bfloat16_dtype() -> np.dtype:
    """The numpy dtype bwl uses for bfloat16 output.

    ``ml_dtypes.bfloat16`` when the ``ml_dtypes`` package is installed (then
    numpy arithmetic works on it); otherwise ``uint16`` holding the raw bits.
    Either way ``torch.from_numpy(a.view(np.uint16)).view(torch.bfloat16)``
    gives the tensor without a copy (``bwl.torch`` does that for you).
    """
    try:
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    except ImportError:
        return np.dtype(np.uint16)


def check_dtype(dtype: str) -> None:
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {list(DTYPES)}, got {dtype!r}")


def numpy_dtype(dtype: str) -> np.dtype:
    """The numpy dtype of output type ``dtype`` ("float32", "float16", "bfloat16")."""
    check_dtype(dtype)
    return bfloat16_dtype() if dtype == "bfloat16" else np.dtype(dtype)


def dtype_ok(have: np.dtype, want: str) -> bool:
    """Whether an ``out=`` array's dtype can hold ``want`` (bfloat16: its
    ml_dtypes type or raw uint16 bits)."""
    if want == "bfloat16":
        return have == bfloat16_dtype() or have == np.dtype(np.uint16)
    return have == np.dtype(want)


def output_array(out: np.ndarray | None, shape: tuple, dtype: str) -> np.ndarray:
    """``out`` checked to be C-contiguous with this shape and dtype, or a new array."""
    if out is None:
        return np.empty(shape, dtype=numpy_dtype(dtype))
    if tuple(out.shape) != tuple(shape) or not dtype_ok(out.dtype, dtype) or not out.flags.c_contiguous:
        raise ValueError(f"out must be C-contiguous with shape {tuple(shape)} and dtype {numpy_dtype(dtype)}, "
                         f"got {out.shape} {out.dtype}")
    return out


def reverse_mask(reverse, B: int) -> np.ndarray | None:
    """``reverse`` (bool, shape (B,)) as the uint8 mask the core takes, or None."""
    if reverse is None:
        return None
    rev = np.ascontiguousarray(reverse, dtype=bool)
    if rev.shape != (B,):
        raise ValueError(f"reverse must have shape ({B},), got {rev.shape}")
    return rev.view(np.uint8)


def alias_args(spec: ChromAliasSpec) -> tuple[dict, bool]:
    """(alias -> name map, UCSC/Ensembl rule) for the bindings."""
    if spec is None:
        return {}, False
    if isinstance(spec, str):
        if spec != "ucsc-ensembl":
            raise ValueError(f"chrom_aliases must be None, 'ucsc-ensembl' or a dict, got {spec!r}")
        return {}, True
    if isinstance(spec, Mapping):
        return {str(k): str(v) for k, v in spec.items()}, False
    raise ValueError(f"chrom_aliases must be None, 'ucsc-ensembl' or a dict, got {type(spec).__name__}")
