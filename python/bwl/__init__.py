"""bwl: batched BigWig loading for deep learning, on CPU and GPU.

Open one file with :func:`bwl.open` (a pyBigWig-like reader), write files
with :func:`bwl.write`.
"""
from __future__ import annotations

from bwl._core import FormatError, build_info as _build_info
from bwl.file import BigWigFile, open
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


__all__ = ["BigWigFile", "FormatError", "build_info", "open", "write", "__version__"]
