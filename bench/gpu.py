"""GPU batches: bwl.Collection(device="cuda") in samples/s, and bwl's batched
inflate kernel against nvCOMP's.

Batches: B random windows x T tracks, for every B in --B (256, 1024, 4096),
L = 1 kb (window 1) and L = 102,400 (window 128; L must be a multiple of
the window), T in --T (8, 64, 512) and cache in --cache:

- ``none``: blocks read from the files each batch (pread into pinned memory);
- ``host``: compressed blocks in RAM (``cache="host"``);
- ``device``: compressed blocks in GPU memory (``cache="device"``): no host
  I/O and no block copies at all.

A sample is one window with all T tracks; samples/s = B / (seconds per
batch), the batch complete on the GPU (bwl returns after its stream is
done). T beyond the 32 generated tracks repeats them (the same files, opened
again as further tracks). Before timing, the first batch of each config is
compared with the CPU path (``device="cpu"``), element by element, when it
is small enough (--check-max elements).

Inflate: the distinct compressed blocks one batch needs (real blocks of the
bench tracks: B = 1024 windows of 1 kb over 32 tracks), inflated by bwl's
kernel (one launch, a warp per stream) and by nvCOMP's
``nvcompBatchedDeflateDecompressAsync`` (PyPI ``nvidia-libnvcomp-cu13``,
loaded with ctypes from ``lib64/libnvcomp.so.6``; the 2-byte zlib header and
the 4-byte adler32 trailer stripped, as nvCOMP takes raw deflate), both
timed with CUDA events, best of --repeats, in GB/s of inflated output; both
outputs are checked against zlib first. Plus bigwig-loader's time for the
same batch if it is importable.

    python bench/gpu.py            # full size (tracks cached in bench/data/collection/)
    python bench/gpu.py --quick    # small tracks and batches

Needs a CUDA GPU, torch with CUDA, and bwl built with CUDA; otherwise it
says what is missing and exits with status 0. Results: tables on stdout and
bench/results/gpu.json.
"""
from __future__ import annotations

import argparse
import ctypes
import glob
import os
import sys
import time
import zlib

import numpy as np

from common import machine_info, print_table, write_json

LENGTHS = [(1000, 1), (102_400, 128)]


def gpu_missing() -> str | None:
    """Why this machine cannot run the bench, or None."""
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA GPU (torch.cuda.is_available() is False)"
    try:
        from bwl import _core
    except ImportError as e:
        return f"bwl does not import: {e}"
    if not hasattr(_core, "CudaBatcher"):
        return "bwl was built without CUDA (build with nvcc on PATH, or -C cmake.define.BWL_CUDA=ON)"
    if _core.cuda_device_count() == 0:
        return "bwl sees no CUDA device"
    return None


def ints(s: str) -> list[int]:
    return [int(x) for x in s.split(",") if x]


# -- data -----------------------------------------------------------------------------
def tracks(quick: bool) -> tuple[list[str], list[tuple[str, int]]]:
    """The bench/collection.py tracks (generated there with pyBigWig if missing)."""
    import collection as bench_collection  # bench/collection.py

    paths, chroms = bench_collection.tracks("quick" if quick else "default")
    bench_collection.warm_page_cache(paths)
    return paths, chroms


def random_windows(chroms, L: int, B: int, seed: int):
    rng = np.random.default_rng(seed)
    sizes = np.array([s for _, s in chroms], dtype=np.int64)
    which = rng.choice(len(chroms), B, p=sizes / sizes.sum())
    starts = (rng.random(B) * (sizes[which] - L)).astype(np.int64)
    names = np.array([c for c, _ in chroms])[which]
    return names, starts, starts + L


# -- batches ----------------------------------------------------------------------------
def bench_batches(a, paths, chroms) -> list[dict]:
    import torch

    import bwl

    out = []
    for T in a.T:
        paths_t = [paths[i % len(paths)] for i in range(T)]
        cpu = None
        for cache in a.cache:
            t0 = time.perf_counter()
            c = bwl.Collection(paths_t, device="cuda", cache=None if cache == "none" else cache)
            t_open = time.perf_counter() - t0
            for L, w in LENGTHS:
                for B in a.B:
                    gib = B * T * (L // w) * 4 / 2**30
                    if gib > a.max_gib:
                        print(f"skip T={T} cache={cache} L={L} B={B}: output {gib:.1f} GiB > --max-gib", flush=True)
                        continue
                    names, starts, ends = random_windows(chroms, L, B, a.seed)
                    got = c.values(names, starts, ends, window=w, default=0.0)
                    checked = False
                    if B * T * (L // w) <= a.check_max:
                        if cpu is None:
                            cpu = bwl.Collection(paths_t)
                        want = cpu.values(names, starts, ends, window=w, default=0.0)
                        np.testing.assert_array_equal(got.cpu().numpy(), want)
                        checked = True
                    del got
                    times = []
                    for k in range(a.batches):
                        names, starts, ends = random_windows(chroms, L, B, a.seed + 1 + k)
                        torch.cuda.synchronize()
                        t0 = time.perf_counter()
                        r = c.values(names, starts, ends, window=w, default=0.0)
                        torch.cuda.synchronize()
                        times.append(time.perf_counter() - t0)
                        del r
                    sec = float(np.median(times))
                    row = {"T": T, "cache": cache, "L": L, "window": w, "B": B, "s_per_batch": sec,
                           "samples_per_s": B / sec, "times_s": times, "checked_vs_cpu": checked,
                           "open_s": t_open}
                    print(f"T={T:4d} cache={cache:6s} L={L:6d} w={w:3d} B={B:5d}: {sec * 1e3:8.1f} ms/batch, "
                          f"{B / sec:10,.0f} samples/s{' (checked)' if checked else ''}", flush=True)
                    out.append(row)
            del c
            torch.cuda.empty_cache()
    return out


# -- inflate: bwl kernel vs nvCOMP -------------------------------------------------------
def batch_blocks(paths, chroms, B: int, seed: int):
    """Distinct compressed blocks (bytes) of one batch of B 1-kb windows, and uncompressBufSize."""
    import collection as bench_collection

    names, starts, ends = random_windows(chroms, 1000, B, seed)
    blobs, ubuf = [], 0
    for p in paths:
        ix = bench_collection.BlockIndex(p)
        ubuf = max(ubuf, ix.ubuf)
        for i in sorted(ix.blocks(names, starts, ends)):
            blobs.append(bytes(ix.blob(i)))
    return blobs, ubuf


class NvComp:
    """nvCOMP's batched raw-deflate decompression through ctypes (libnvcomp.so.6)."""

    class Opts(ctypes.Structure):  # nvcompBatchedDeflateDecompressOpts_t
        _fields_ = [("backend", ctypes.c_int), ("sort_before_hw_decompress", ctypes.c_int),
                    ("reserved", ctypes.c_char * 56)]

    class Align(ctypes.Structure):  # nvcompAlignmentRequirements_t
        _fields_ = [("input", ctypes.c_size_t), ("output", ctypes.c_size_t), ("temp", ctypes.c_size_t)]

    def __init__(self) -> None:
        self.lib = ctypes.CDLL(self.find())
        self.opts = self.Opts(0, 0)  # NVCOMP_DECOMPRESS_BACKEND_DEFAULT
        sz, p = ctypes.c_size_t, ctypes.c_void_p
        self.lib.nvcompBatchedDeflateDecompressGetTempSize.argtypes = [sz, sz, self.Opts, ctypes.POINTER(sz), sz, p]
        self.lib.nvcompBatchedDeflateDecompressGetRequiredAlignments.argtypes = [self.Opts, ctypes.POINTER(self.Align)]
        self.lib.nvcompBatchedDeflateDecompressAsync.argtypes = [p, p, p, p, sz, p, sz, p, self.Opts, p, p]
        for f in ("nvcompBatchedDeflateDecompressGetTempSize", "nvcompBatchedDeflateDecompressGetRequiredAlignments",
                  "nvcompBatchedDeflateDecompressAsync"):
            getattr(self.lib, f).restype = ctypes.c_int

    @staticmethod
    def find() -> str:
        import importlib.util

        for mod in ("nvidia.libnvcomp", "nvidia.nvcomp"):
            try:
                spec = importlib.util.find_spec(mod)
            except ModuleNotFoundError:
                spec = None
            for root in (spec.submodule_search_locations or []) if spec else []:
                hits = [h for sub in ("lib64", "lib") for h in glob.glob(os.path.join(root, sub, "libnvcomp.so*"))]
                hits = [h for h in hits if "_cpu" not in h]
                if hits:
                    return sorted(hits)[-1]
        raise FileNotFoundError("libnvcomp.so.6 not found (pip install nvidia-libnvcomp-cu13)")

    def run(self, blobs, caps, repeats: int):
        """(best seconds, outputs as bytes, statuses) for raw deflate streams."""
        import torch

        align = self.Align()
        rc = self.lib.nvcompBatchedDeflateDecompressGetRequiredAlignments(self.opts, ctypes.byref(align))
        if rc:
            raise RuntimeError(f"nvcompBatchedDeflateDecompressGetRequiredAlignments: status {rc}")
        a_in, a_out = max(16, align.input), max(16, align.output)
        n = len(blobs)
        in_off = np.zeros(n, np.int64)
        out_off = np.zeros(n, np.int64)
        pos = 0
        for i, b in enumerate(blobs):
            in_off[i] = pos
            pos += -(-len(b) // a_in) * a_in
        host_in = np.zeros(pos, np.uint8)
        for i, b in enumerate(blobs):
            host_in[in_off[i]:in_off[i] + len(b)] = np.frombuffer(b, np.uint8)
        pos = 0
        for i, c in enumerate(caps):
            out_off[i] = pos
            pos += -(-int(c) // a_out) * a_out
        dev = torch.device("cuda")
        d_in = torch.from_numpy(host_in).to(dev)
        d_out = torch.empty(max(pos, 1), dtype=torch.uint8, device=dev)
        in_ptrs = torch.tensor(d_in.data_ptr() + in_off, dtype=torch.int64, device=dev)
        out_ptrs = torch.tensor(d_out.data_ptr() + out_off, dtype=torch.int64, device=dev)
        in_sizes = torch.tensor([len(b) for b in blobs], dtype=torch.int64, device=dev)
        cap_sizes = torch.tensor(list(caps), dtype=torch.int64, device=dev)
        got_sizes = torch.zeros(n, dtype=torch.int64, device=dev)
        status = torch.zeros(n, dtype=torch.int32, device=dev)
        temp = ctypes.c_size_t(0)
        stream = torch.cuda.current_stream()
        rc = self.lib.nvcompBatchedDeflateDecompressGetTempSize(n, int(max(caps)), self.opts, ctypes.byref(temp),
                                                                int(sum(caps)), ctypes.c_void_p(stream.cuda_stream))
        if rc:
            raise RuntimeError(f"nvcompBatchedDeflateDecompressGetTempSize: status {rc}")
        d_temp = torch.empty(max(temp.value, 1), dtype=torch.uint8, device=dev)
        best = float("inf")
        for _ in range(max(repeats, 1)):
            e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            e0.record(stream)
            rc = self.lib.nvcompBatchedDeflateDecompressAsync(
                in_ptrs.data_ptr(), in_sizes.data_ptr(), cap_sizes.data_ptr(), got_sizes.data_ptr(), n,
                d_temp.data_ptr(), temp.value, out_ptrs.data_ptr(), self.opts, status.data_ptr(),
                ctypes.c_void_p(stream.cuda_stream))
            e1.record(stream)
            if rc:
                raise RuntimeError(f"nvcompBatchedDeflateDecompressAsync: status {rc}")
            e1.synchronize()
            best = min(best, e0.elapsed_time(e1) / 1e3)
        out_host = d_out.cpu().numpy()
        sizes = got_sizes.cpu().numpy()
        outs = [out_host[out_off[i]:out_off[i] + sizes[i]].tobytes() for i in range(n)]
        return best, outs, status.cpu().numpy()


def bench_inflate(a, paths, chroms) -> dict:
    from bwl import _core

    blobs, ubuf = batch_blocks(paths, chroms, 256 if a.quick else 1024, a.seed)
    caps = [ubuf] * len(blobs)
    want = [zlib.decompress(b) for b in blobs]
    total = sum(len(w) for w in want)
    res = {"streams": len(blobs), "compressed_bytes": sum(map(len, blobs)), "inflated_bytes": total}
    print(f"\ninflate: {len(blobs):,} blocks, {res['compressed_bytes'] / 2**20:.1f} MiB -> {total / 2**20:.1f} MiB",
          flush=True)
    rows = []
    sec, status, lens, outs = _core.cuda_inflate_streams(blobs, caps, True, a.repeats, True)
    assert not status.any(), f"bwl kernel: {int((status != 0).sum())} streams failed"
    assert all(o == w for o, w in zip(outs, want)), "bwl kernel: output differs from zlib"
    rows.append(["bwl (zlib streams, adler32 checked)", sec * 1e3, total / sec / 1e9])
    res["bwl_s"] = sec
    try:
        nv = NvComp()
        raw = [b[2:-4] for b in blobs]  # zlib header and adler32 trailer off: raw deflate
        nsec, nouts, nstatus = nv.run(raw, caps, a.repeats)
        assert not nstatus.any(), f"nvCOMP: {int((nstatus != 0).sum())} streams failed"
        assert all(o == w for o, w in zip(nouts, want)), "nvCOMP: output differs from zlib"
        rows.append(["nvCOMP batched deflate (raw)", nsec * 1e3, total / nsec / 1e9])
        res["nvcomp_s"] = nsec
        res["nvcomp_lib"] = NvComp.find()
    except Exception as e:  # missing wheel, API mismatch: say so, keep the rest
        print(f"nvCOMP: skipped ({type(e).__name__}: {e})", flush=True)
        res["nvcomp_error"] = f"{type(e).__name__}: {e}"
    print_table(rows, ["inflate", "ms", "GB/s (inflated)"])
    return res


def time_batches(fn, chroms, L: int, B: int, seed: int, n: int, sync) -> list[float]:
    """Seconds per call of fn(names, starts, ends) on n fresh random batches."""
    times = []
    for k in range(n):
        names, starts, ends = random_windows(chroms, L, B, seed + 1 + k)
        sync()
        t0 = time.perf_counter()
        fn(names, starts, ends)
        sync()
        times.append(time.perf_counter() - t0)
    return times


def bench_same_host(a, paths, chroms) -> list[dict]:
    """The headline: B = 1024 windows of 1 kb x the 32 tracks (bigwig-loader's
    own setting, see bench_bigwig_loader), bwl on the GPU (each cache mode)
    and bwl's CPU path on all of this host's cores (cache none and host,
    decoded cache on), median of --batches fresh batches after one warm-up."""
    import torch

    import bwl

    B, L = 1024, 1000
    rows = []

    def one(label: str, c, sync) -> None:
        names, starts, ends = random_windows(chroms, L, B, a.seed)
        c.values(names, starts, ends, default=0.0)  # warm-up
        times = time_batches(lambda n, s, e: c.values(n, s, e, default=0.0), chroms, L, B, a.seed + 100,
                             a.batches, sync)
        sec = float(np.median(times))
        rows.append({"path": label, "T": len(paths), "L": L, "B": B, "s_per_batch": sec, "samples_per_s": B / sec,
                     "times_s": times})
        print(f"same host: {label:22s} {sec * 1e3:8.1f} ms/batch {B / sec:10,.0f} samples/s", flush=True)

    for cache in ("none", "host", "device"):
        c = bwl.Collection(paths, device="cuda", cache=None if cache == "none" else cache)
        one(f"bwl cuda cache={cache}", c, torch.cuda.synchronize)
        # one more batch with the time split (GPU events, a sync per chunk)
        c._cuda.set_timing(True)
        names, starts, ends = random_windows(chroms, L, B, a.seed + 99)
        c.values(names, starts, ends, default=0.0)
        rows[-1]["split"] = t = c._cuda.last_timing()
        c._cuda.set_timing(False)
        print(f"  split: total {t['total_s'] * 1e3:.1f} ms = plan {t['plan_s'] * 1e3:.1f} + read {t['stage_s'] * 1e3:.1f} "
              f"(host) | GPU inflate {t['inflate_s'] * 1e3:.1f}, scan {t['scan_s'] * 1e3:.1f}, densify "
              f"{t['densify_s'] * 1e3:.1f} ms; {t['chunks']} chunk(s), {t['blocks']:,} blocks, {t['rows']:,} rows",
              flush=True)
        del c
    threads = os.cpu_count() or 1
    for cache in ("none", "host"):
        c = bwl.Collection(paths, threads=threads, cache=None if cache == "none" else cache)
        one(f"bwl cpu cache={cache} ({threads} thr)", c, lambda: None)
        del c
    return rows


def bench_bigwig_loader(a, paths, chroms) -> dict | None:
    """bigwig-loader's get_batch for B=1024 x 1 kb over the 32 tracks, if importable."""
    try:
        import cupy as cp
        from bigwig_loader.collection import BigWigCollection
    except Exception as e:
        print(f"bigwig-loader: not importable ({type(e).__name__}: {e})", flush=True)
        return None
    try:
        coll = BigWigCollection(paths)
        B = 1024
        names, starts, ends = random_windows(chroms, 1000, B, a.seed)
        coll.get_batch(list(names), starts, ends)
        cp.cuda.Device().synchronize()
        times = []
        for k in range(a.batches):
            names, starts, ends = random_windows(chroms, 1000, B, a.seed + 1 + k)
            t0 = time.perf_counter()
            coll.get_batch(list(names), starts, ends)
            cp.cuda.Device().synchronize()
            times.append(time.perf_counter() - t0)
        sec = float(np.median(times))
        print(f"bigwig-loader: T={len(paths)} L=1000 B={B}: {sec * 1e3:.1f} ms/batch, {B / sec:,.0f} samples/s",
              flush=True)
        return {"T": len(paths), "L": 1000, "B": B, "s_per_batch": sec, "samples_per_s": B / sec, "times_s": times}
    except Exception as e:
        print(f"bigwig-loader: failed ({type(e).__name__}: {e})", flush=True)
        return {"error": f"{type(e).__name__}: {e}"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="20 Mb tracks, B up to 1024, T up to 64")
    ap.add_argument("--B", type=ints, default=None, help="batch sizes (default 256,1024,4096)")
    ap.add_argument("--T", type=ints, default=None, help="track counts (default 8,64,512)")
    ap.add_argument("--cache", type=lambda s: s.split(","), default=["none", "host", "device"],
                    help="cache modes: none,host,device")
    ap.add_argument("--batches", type=int, default=5, help="timed batches per config (median)")
    ap.add_argument("--repeats", type=int, default=5, help="inflate kernel runs (best)")
    ap.add_argument("--max-gib", type=float, default=16.0, help="skip configs whose float32 output is larger")
    ap.add_argument("--check-max", type=int, default=50_000_000, help="compare with the CPU path up to this many values")
    ap.add_argument("--skip-batches", action="store_true")
    ap.add_argument("--skip-inflate", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.B is None:
        a.B = [256, 1024] if a.quick else [256, 1024, 4096]
    if a.T is None:
        a.T = [8, 64] if a.quick else [8, 64, 512]
    bad = [c for c in a.cache if c not in ("none", "host", "device")]
    if bad:
        ap.error(f"unknown cache mode(s) {bad}")

    why = gpu_missing()
    if why:
        print(f"bench/gpu.py: nothing to measure here: {why}")
        return 0

    import torch

    import bwl
    print(bwl.build_summary(), flush=True)
    paths, chroms = tracks(a.quick)
    result = {"machine": machine_info(("bwl", "numpy", "torch", "cupy", "bigwig_loader")),
              "gpu": torch.cuda.get_device_name(), "args": vars(a)}
    if not a.skip_batches:
        rows = bench_batches(a, paths, chroms)
        result["batches"] = rows
        print()
        print_table([[r["T"], r["cache"], f"{r['L']}/{r['window']}", r["B"], r["s_per_batch"] * 1e3, r["samples_per_s"]]
                     for r in rows], ["T", "cache", "L/window", "B", "ms/batch", "samples/s"])
    if not a.skip_inflate:
        result["inflate"] = bench_inflate(a, paths, chroms)
    result["same_host"] = same = bench_same_host(a, paths, chroms)
    result["bigwig_loader"] = bl = bench_bigwig_loader(a, paths, chroms)
    cpu_best = max(r["samples_per_s"] for r in same if r["path"].startswith("bwl cpu"))
    bl_rate = bl.get("samples_per_s") if bl else None
    print(f"\nB=1024 x 1 kb x {len(paths)} tracks on one host ({os.cpu_count()} cores, {torch.cuda.get_device_name()}):")
    print_table([[r["path"], r["s_per_batch"] * 1e3, r["samples_per_s"], r["samples_per_s"] / cpu_best,
                  r["samples_per_s"] / bl_rate if bl_rate else "-"]
                 for r in same + ([{"path": "bigwig-loader", **bl}] if bl_rate else [])],
                ["path", "ms/batch", "samples/s", "x bwl cpu (best)", "x bigwig-loader"])
    print(f"\nresults: {write_json('gpu', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
