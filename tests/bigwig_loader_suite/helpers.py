"""What bigwig-loader's tests/conftest.py offered besides fixtures (its
``all_close`` and bfloat16 converters, on numpy instead of cupy), and
``intervals_to_values``: bigwig-loader's interval-to-value kernel replaced
by its bwl counterpart. The kernel's tests hand it a track's intervals
and query windows; here the intervals are written to a bigWig file (by
pyBigWig, not bwl) and the windows read back through
``bwl.bigwig_loader.BigWigCollection.get_batch``, which must give what the
kernel gave: (batch, length // window_size, tracks)."""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
import pyBigWig
import torch

from bwl.bigwig_loader import BigWigCollection

_FILES = tempfile.TemporaryDirectory(prefix="bwl_bigwig_loader_suite_")


def all_close(expected, values, dtype):
    """Compare arrays with dtype-appropriate tolerances (looser for bfloat16)."""
    if dtype == "float32":
        return np.allclose(expected, values, equal_nan=True)
    elif dtype == "bfloat16":
        expected = convert_to_torch_bfloat16(expected)
        values = convert_to_torch_bfloat16(values)
        return torch.allclose(expected, values, rtol=1e-2, atol=1e-2, equal_nan=True)
    raise ValueError(f"Unsupported data type: {dtype}")


def convert_to_torch_bfloat16(tensor):
    """uint16 (bfloat16 bits) reinterpreted as bfloat16; float32 converted."""
    tensor = np.asarray(tensor)
    if tensor.dtype == np.uint16:
        return torch.from_numpy(tensor.view(np.int16).copy()).view(torch.bfloat16)
    if tensor.dtype == np.float32:
        return torch.from_numpy(tensor.copy()).to(torch.bfloat16)
    return torch.from_numpy(tensor.astype(np.float32)).to(torch.bfloat16)


def uint16_to_float32(tensor):
    """uint16 array of bfloat16 bits -> float32 values."""
    return convert_to_torch_bfloat16(tensor).to(torch.float32).numpy()


def _track_file(starts, ends, values, chrom_size: int) -> Path:
    """A pyBigWig-written bigWig with one chromosome (chr1) holding these
    intervals; cached by content."""
    starts, ends = np.asarray(starts, np.int64), np.asarray(ends, np.int64)
    values = np.asarray(values, np.float32)
    key = hashlib.sha1(b"".join(a.tobytes() for a in (starts, ends, values)) + str(chrom_size).encode()).hexdigest()
    path = Path(_FILES.name) / f"{key}.bw"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        bw = pyBigWig.open(str(tmp), "w")
        bw.addHeader([("chr1", chrom_size)])
        if len(starts):
            order = np.argsort(starts, kind="stable")
            bw.addEntries(["chr1"] * len(starts), starts[order].tolist(), ends=ends[order].tolist(),
                          values=values[order].astype(np.float64).tolist())
        bw.close()
        tmp.rename(path)
    return path


def intervals_to_values(array_start, array_end, array_value, query_starts, query_ends, found_starts=None,
                        found_ends=None, sizes=None, window_size=1, default_value=0.0, out=None,
                        scaling_factors=None, dtype="float32"):
    """bigwig-loader's ``intervals_to_values`` signature over bwl: the
    concatenated intervals of ``len(sizes)`` tracks (one track without
    ``sizes``) -> (batch, length // window_size, tracks). ``out`` is filled
    when its shape fits (bigwig-loader replaces an ``out`` that does not)."""
    starts, ends = np.asarray(array_start, np.int64), np.asarray(array_end, np.int64)
    vals = np.asarray(array_value, np.float32)
    sizes = [len(starts)] if sizes is None else [int(s) for s in np.asarray(sizes)]
    qs, qe = np.asarray(query_starts, np.int64), np.asarray(query_ends, np.int64)
    chrom_size = int(max(ends.max(initial=0), qe.max(initial=0))) + 1000
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    paths = [_track_file(starts[a:b], ends[a:b], vals[a:b], chrom_size) for a, b in zip(bounds[:-1], bounds[1:])]
    # BigWigCollection sorts its files by path: pass them in track order through one folder each.
    ordered = []
    for i, p in enumerate(paths):
        link = Path(_FILES.name) / f"{i:03d}_{p.stem}" / "track.bw"
        link.parent.mkdir(exist_ok=True)
        if not link.exists():
            link.symlink_to(p)
        ordered.append(link)
    collection = BigWigCollection(ordered, scale=None)
    if scaling_factors is not None:
        raise NotImplementedError("scaling_factors: use BigWigCollection(scale=...)")
    v = collection.get_batch(["chr1"] * len(qs), qs, qe, window_size=window_size, default_value=default_value,
                             dtype=dtype)
    if out is not None and out.shape == v.shape and out.dtype == v.dtype:
        out[...] = v
        return out
    return v
