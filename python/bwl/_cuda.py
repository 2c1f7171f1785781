"""The CUDA side of :class:`bwl.Collection` (internal): the device a
collection asks for, and its batches on the GPU with their streams and
out-of-memory retry. Only a collection made with ``device="cuda"`` uses
this module's :class:`CudaValues`; a CPU build raises in :func:`cuda_device`."""
from __future__ import annotations

from bwl import _core


def cuda_device(device) -> int | None:
    """None for ``"cpu"``; the CUDA device index for ``"cuda"`` / ``"cuda:N"``
    (or a ``torch.device``). ValueError when this build or this machine has
    no CUDA."""
    d = str(device)
    if d == "cpu":
        return None
    if d != "cuda" and not d.startswith("cuda:"):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    if not hasattr(_core, "CudaBatcher"):
        raise ValueError(f"device {d!r}: this build of bwl has no CUDA kernels "
                         "(build with nvcc on PATH, or -C cmake.define.BWL_CUDA=ON)")
    n = _core.cuda_device_count()
    if n == 0:
        raise ValueError(f"device {d!r}: no CUDA device is usable: {_core.cuda_unavailable_reason()}")
    if d.startswith("cuda:"):
        if not d[5:].isdigit():
            raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}")
        idx = int(d[5:])
    else:  # torch's current device when torch is in use, else 0
        import sys

        torch = sys.modules.get("torch")
        idx = torch.cuda.current_device() if torch is not None and torch.cuda.is_available() else 0
    if not 0 <= idx < n:
        raise ValueError(f"device {d!r}: only {n} CUDA device(s)")
    return idx


def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


def retry_cuda_oom(call, torch):
    """``call()``; if bwl's CUDA memory runs out (``_core.CudaOutOfMemory``),
    torch's cached but unused blocks go back to the device
    (``torch.cuda.empty_cache()``, as torch itself does before it gives up)
    and ``call()`` runs once more; a second failure is raised as torch's
    ``OutOfMemoryError`` with bwl's message, so a training loop that
    handles torch's OOM handles bwl's too."""
    oom = getattr(_core, "CudaOutOfMemory", None)
    if oom is None:  # a build without CUDA kernels
        return call()
    try:
        return call()
    except oom:
        torch.cuda.empty_cache()
    try:
        return call()
    except oom as e:
        raise torch.cuda.OutOfMemoryError(f"{e} (after torch.cuda.empty_cache())") from None


class CudaValues:
    """``Collection.values`` on one GPU: bwl's CUDA batcher over the
    collection's core, and the CUDA stream it works on (torch's, made at the
    first batch)."""

    def __init__(self, core_collection, device_index: int, device_cache: bool) -> None:
        self.device_index = device_index
        self._batcher = _core.CudaBatcher(core_collection, device_index, device_cache, 0)
        self._stream = None

    def device_cache_bytes(self) -> int:
        return self._batcher.device_cache_bytes()

    def values(self, chrom_idx, starts, L: int, opts, shape: tuple, track_idx, out):
        """The batch on the GPU, on the collection's own stream: the host
        waits for bwl's work alone (its errors are raised here, never lost),
        not for the work queued on the caller's stream, which then waits for
        the result (an event, no host synchronization). A new output is
        allocated on bwl's stream; into ``out=`` bwl writes only after the
        caller's stream has finished what it queued before."""
        torch = _torch_or_none()
        dtype = opts.dtype
        if torch is not None:
            tdtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[dtype]
            dev = torch.device("cuda", self.device_index)
            caller = torch.cuda.current_stream(dev)
            if self._stream is None:
                self._stream = torch.cuda.Stream(dev)
            own = self._stream
            if out is None:
                with torch.cuda.stream(own):
                    out = torch.empty(shape, dtype=tdtype, device=dev)
            elif (not isinstance(out, torch.Tensor) or out.device != dev or out.dtype != tdtype
                  or tuple(out.shape) != shape or not out.is_contiguous()):
                raise ValueError(f"out must be a contiguous {tdtype} tensor of shape {shape} on {dev}")
            else:
                own.wait_stream(caller)  # out may still be in use there
            retry_cuda_oom(lambda: self._batcher.values(chrom_idx, starts, L, opts._c, track_idx, int(out.data_ptr()),
                                                        int(own.cuda_stream)), torch)
            caller.wait_stream(own)
            out.record_stream(caller)  # the caching allocator keeps it for the caller's stream
            return out
        else:
            typestr = {"float32": "<f4", "float16": "<f2", "bfloat16": "<u2"}[dtype]
            if out is None:
                out = _core.DeviceArray(list(shape), typestr, self.device_index)
            else:
                cai = getattr(out, "__cuda_array_interface__", None)
                if (cai is None or tuple(cai["shape"]) != shape or cai["typestr"] != typestr
                        or cai.get("strides") is not None):
                    raise ValueError(f"out must be a C-contiguous CUDA array of shape {shape} and typestr {typestr}")
        # stream 0: the batcher's own (non-blocking) stream; the result is complete on return
        self._batcher.values(chrom_idx, starts, L, opts._c, track_idx, int(out.__cuda_array_interface__["data"][0]), 0)
        return out
