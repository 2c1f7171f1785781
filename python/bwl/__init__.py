"""bwl: batched BigWig loading for deep learning, on CPU and GPU.

Open one file with :func:`bwl.open` (a pyBigWig-like reader), write files
with :func:`bwl.write`.
"""
from __future__ import annotations

from bwl import _core
from bwl._core import FormatError, build_info as _build_info
from bwl import samplers
from bwl.collection import Collection, bfloat16_dtype
from bwl.fasta import Fasta
from bwl.file import BigWigFile, open
from bwl.loader import Batch, Loader
from bwl.writer import write

__version__: str = _build_info()["version"]


def build_info() -> dict:
    """How this copy of bwl was built.

    Returns
    -------
    dict
        ``version`` (str), ``inflate`` (``"libdeflate"`` or ``"zlib"``: the
        CPU inflate library), ``cuda`` (bool: CUDA kernels compiled in).
    """
    return dict(_build_info())


def set_max_open_files(n: int) -> None:
    """Most file descriptors bwl keeps open at once (default: half of
    ``ulimit -n``, at most 4096). Files beyond it are reopened on demand."""
    _core.set_max_open_files(int(n))


def open_file_count() -> int:
    """File descriptors bwl holds open right now."""
    return int(_core.open_file_count())


__all__ = ["Batch", "BigWigFile", "Collection", "Fasta", "Loader", "samplers", "FormatError", "bfloat16_dtype", "build_info", "open", "open_file_count",
           "set_max_open_files", "write", "__version__"]
