"""bwl: batched BigWig loading for deep learning, on CPU and GPU.

Open one file with :func:`bwl.open` (a pyBigWig-like reader), write files
with :func:`bwl.write`.
"""
from __future__ import annotations

from bwl import _core, samplers
from bwl._core import FormatError
from bwl._core import build_info as _build_info
from bwl._remote import RemoteError, RemoteOptions, remote_cache_bytes, set_remote_cache
from bwl._types import bfloat16_dtype
from bwl.collection import Collection
from bwl.fasta import Fasta
from bwl.file import BigWigFile, open
from bwl.loader import Batch, Loader
from bwl.options import BatchOptions, LoaderOptions, Transform
from bwl.store import Store
from bwl.writer import write

__version__: str = _build_info()["version"]
FormatError.__doc__ = ("A file is not a valid bigWig, bigBed, FASTA or index (bad magic, truncated, corrupt block, "
                       "stale .fai, ...); the message names the file and the problem. A RuntimeError, as pyBigWig's errors.")


def build_info() -> dict:
    """How this copy of bwl was built.

    Returns
    -------
    dict
        ``version`` (str); ``inflate`` (``"bwl"``, bwl's own decoder, or
        ``"libdeflate"`` / ``"zlib"`` in builds that chose those) and
        ``inflate_version`` (str: for ``"bwl"``, ``"bmi2"`` or ``"x86-64"``,
        the fast loop this CPU runs); ``cuda`` (bool:
        CUDA kernels compiled in) and ``cuda_architectures`` (list of str,
        e.g. ``["80-real", "90-real", "90-virtual"]``: SASS for sm_80 and
        sm_90, PTX for newer GPUs); ``cpu_compiled_for`` (list of str: the
        instruction sets the build assumes) and ``cpu_detected`` (list of
        str: what this CPU has, for the code that picks its path at run
        time); ``notes`` (str: empty, or in words what this build gave up,
        e.g. the zlib fallback, and how to get the faster build).
    """
    return dict(_build_info())


def build_summary() -> str:
    """:func:`build_info` as a few readable lines (``bwl info --build``)."""
    b = build_info()
    cuda = f"yes ({', '.join(b['cuda_architectures'])})" if b["cuda"] else "no"
    lines = [f"bwl {b['version']}",
             f"CPU inflate:   {b['inflate']} {b['inflate_version']}",
             f"CUDA kernels:  {cuda}",
             f"CPU baseline:  {', '.join(b['cpu_compiled_for']) or '-'}",
             f"CPU has:       {', '.join(b['cpu_detected']) or '-'}"]
    if b["notes"]:
        lines.append(f"note:          {b['notes']}")
    return "\n".join(lines)


def set_max_open_files(n: int) -> None:
    """Most file descriptors bwl keeps open at once (default: half of
    ``ulimit -n``, at most 4096). Files beyond it are reopened on demand."""
    from bwl import _check

    _core.set_max_open_files(_check.integer("n", n, 1))


def open_file_count() -> int:
    """File descriptors bwl holds open right now."""
    return int(_core.open_file_count())


__all__ = [
    "Batch",
    "BatchOptions",
    "BigWigFile",
    "Collection",
    "Fasta",
    "Loader",
    "LoaderOptions",
    "Store",
    "Transform",
    "samplers",
    "FormatError",
    "RemoteError",
    "RemoteOptions",
    "remote_cache_bytes",
    "set_remote_cache",
    "bfloat16_dtype",
    "build_info",
    "build_summary",
    "open",
    "open_file_count",
    "set_max_open_files",
    "write",
    "__version__",
]
