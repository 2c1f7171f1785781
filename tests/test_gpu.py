"""The GPU path (``device="cuda"``) against the CPU path, element by element.

Every fixture file (support/tracks.py: all section types, both byte
orders, compressed and not, pyBigWig-, pybigtools- and bwl-written) in one
collection; every dtype, layout and window; each cache mode; small device
budgets (many chunks, with and without the device cache), tiles and bins
spanning tiles, track subsets, scale, out=, non-default streams, two
threads on two streams, cuda:N with the caller's current device kept, an
output over 2^31 elements, device memory running out beside torch's cache, pyBigWig blocks of real size, the no-torch
device array, and the inflate kernel against zlib (every level and
strategy, zlib-wrapped and raw). Corrupt blocks must raise FormatError
(and not hang).

Skipped where torch sees no CUDA GPU. Where it sees one, every test
fails (with CUDA's reason) unless bwl can use it too: a CPU-only build or a
driver too old for bwl's CUDA must not pass as "skipped".
"""
from __future__ import annotations

import os
import shutil
import zlib

import numpy as np
import pytest
import torch

import bwl
from bwl import _core
from bwl.samplers import Tracks
from support.tracks import ALL_FILES, CHROMS


def _why_bwl_cannot() -> str:
    """Why bwl cannot use the GPU torch sees ("" when it can)."""
    if not hasattr(_core, "CudaBatcher"):
        return "torch sees a CUDA GPU but this bwl was built without CUDA kernels (no nvcc at build time)"
    if _core.cuda_device_count() == 0:
        return f"torch sees a CUDA GPU but bwl does not: {_core.cuda_unavailable_reason()}"
    return ""


pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


@pytest.fixture(autouse=True)
def _bwl_sees_the_gpu():
    why = _why_bwl_cannot()
    if why:
        pytest.fail(why)

DTYPES = ("float32", "float16", "bfloat16")
LAYOUTS = ("BTL", "BLT")


def _bits(a) -> np.ndarray:
    """Host numpy view for exact comparison: float32 as is, 16-bit types as raw uint16."""
    if isinstance(a, torch.Tensor):
        a = a.cpu()
        if a.dtype in (torch.float16, torch.bfloat16):
            return a.view(torch.int16).numpy().view(np.uint16)
        return a.numpy()
    a = np.asarray(a)
    return a.view(np.uint16) if a.dtype.itemsize == 2 else a


def _same(got, want) -> None:
    g, w = _bits(got), _bits(want)
    assert g.shape == w.shape
    # NaN == NaN, every other value bit for bit (16-bit types compared as bits)
    np.testing.assert_array_equal(g, w)


def _windows(rng, L: int, B: int, chroms=None):
    chroms = chroms or {c: s for c, s in CHROMS.items() if s >= L}
    names = list(chroms)
    which = rng.integers(0, len(names), B)
    c = np.array([names[i] for i in which])
    sizes = np.array([chroms[n] for n in c])
    s = (rng.random(B) * (sizes - L + 1)).astype(np.int64)
    s[: B // 8] = 0                         # windows touching the chromosome start
    s[B // 8: B // 4] = sizes[B // 8: B // 4] - L  # and the end
    return c, s, s + L


@pytest.fixture(scope="module")
def paths(bw_files):
    return [bw_files[n].path for n in ALL_FILES]


@pytest.fixture(scope="module")
def cpu(paths):
    return bwl.Collection(paths)


@pytest.fixture(scope="module", params=[None, "host", "device"])
def gpu(request, paths):
    return bwl.Collection(paths, device="cuda", cache=request.param)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("L,window", [(1000, 1), (1000, 10), (1000, 1000), (30, 3)])
def test_values_match_cpu(cpu, gpu, dtype, layout, L, window):
    rng = np.random.default_rng(L * 7 + window)
    c, s, e = _windows(rng, L, 64)
    for default in (float("nan"), 0.0):
        want = cpu.values(c, s, e, window=window, default=default, dtype=dtype, layout=layout)
        got = gpu.values(c, s, e, window=window, default=default, dtype=dtype, layout=layout)
        assert isinstance(got, torch.Tensor) and got.is_cuda
        _same(got, want)


@pytest.mark.parametrize("summary", ["sum", "mean0", "max", "min"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_summaries_match_cpu(cpu, gpu, summary, layout):
    rng = np.random.default_rng(21)
    c, s, e = _windows(rng, 6000, 24)
    for window, default in ((3, float("nan")), (100, 0.5), (2000, -1.0)):
        _same(gpu.values(c, s, e, window=window, default=default, layout=layout, summary=summary),
              cpu.values(c, s, e, window=window, default=default, layout=layout, summary=summary))


@pytest.mark.parametrize("window", [1, 50])
def test_transforms_match_cpu(cpu, gpu, window):
    """Transforms on the GPU: as the CPU's (sqrt, clip exactly; pow and
    log1p to within the device library's last bit)."""
    rng = np.random.default_rng(22)
    c, s, e = _windows(rng, 3000, 24)
    for tr in (bwl.Transform(soft_clip=0.5, clip=2.0), bwl.Transform(pow=0.75, clip=(-0.9, 9.0), log1p=True)):
        got = gpu.values(c, s, e, window=window, default=-3.0, transform=tr, summary="sum").cpu().numpy()
        want = cpu.values(c, s, e, window=window, default=-3.0, transform=tr, summary="sum")
        np.testing.assert_allclose(got, want, rtol=3e-7, atol=0)
        assert np.array_equal(np.isnan(got), np.isnan(want)) and (got == -3.0).sum() == (want == -3.0).sum()


@pytest.mark.parametrize("window,summary", [(1, "mean"), (10, "mean"), (10, "mean0"), (100, "max")])
def test_pad_matches_cpu(cpu, gpu, window, summary):
    """oob='pad' on the GPU: windows over either chromosome end, as the CPU
    pads them (default outside; bins summarise their bases inside)."""
    rng = np.random.default_rng(23)
    c, s, e = _windows(rng, 1000, 32)
    sizes = cpu.chroms()
    s = np.array([-int(rng.integers(1, 1200)) if i % 3 == 0 else sizes[ch] - int(rng.integers(1, 1000)) if i % 3 == 1
                  else st for i, (ch, st) in enumerate(zip(c, s))])
    e = s + 1000
    _same(gpu.values(c, s, e, window=window, default=-2.0, summary=summary, oob="pad"),
          cpu.values(c, s, e, window=window, default=-2.0, summary=summary, oob="pad"))


@pytest.mark.parametrize("L,window", [(102_400, 128), (8192, 4096), (12_288, 3072), (5000, 1)])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_long_windows(cpu, gpu, L, window, layout):
    """Rows longer than a tile (2048 bases per warp) and bins spanning tiles."""
    rng = np.random.default_rng(L)
    c, s, e = _windows(rng, L, 12, {"chr1": CHROMS["chr1"]} if L > 6000 else None)
    want = cpu.values(c, s, e, window=window, layout=layout)
    _same(gpu.values(c, s, e, window=window, layout=layout), want)


def test_tracks_scale_empty_and_partial_chroms(paths, bw_files):
    scale = np.linspace(-2, 3, len(paths)).astype(np.float32)
    cpu = bwl.Collection(paths, scale=scale)
    gpu = bwl.Collection(paths, scale=scale, device="cuda")
    tracks = np.array([3, 0, 3, len(paths) - 1, 7])
    # chr3_empty has no data anywhere; pbt_bedGraph lacks it entirely
    c = np.array(["chr3_empty", "chrM", "chr10", "chr2", "chr1"])
    s = np.array([0, 0, 100, 2000, 399_963])
    for t in (None, tracks):
        _same(gpu.values(c, s, s + 37, tracks=t), cpu.values(c, s, s + 37, tracks=t))


@pytest.mark.parametrize("device_cache", [False, True])
def test_many_chunks(paths, cpu, device_cache):
    """A tiny device budget: every track (piece) is its own launch; with
    the device cache too (blocks read from it, not staged)."""
    gpu = bwl.Collection(paths, device="cuda")
    small = _core.CudaBatcher(gpu._c, gpu._device_index, device_cache, 4096)
    rng = np.random.default_rng(3)
    c, s, e = _windows(rng, 1000, 40)
    idx = gpu._chrom_indices(c)
    out = torch.empty((40, len(paths), 1000), dtype=torch.float32, device="cuda")
    small.values(idx, s, 1000, bwl.BatchOptions()._c, None, out.data_ptr(), torch.cuda.current_stream().cuda_stream)
    _same(out, cpu.values(c, s, e))


def test_out_and_streams(paths, cpu):
    gpu = bwl.Collection(paths, device="cuda")
    rng = np.random.default_rng(5)
    c, s, e = _windows(rng, 500, 16)
    want = cpu.values(c, s, e, dtype="bfloat16", layout="BLT")
    out = torch.full((16, 500, len(paths)), 7.0, dtype=torch.bfloat16, device="cuda")
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        got = gpu.values(c, s, e, dtype="bfloat16", layout="BLT", out=out)
    assert got is out
    torch.cuda.current_stream().wait_stream(stream)
    _same(out, want)
    with pytest.raises(ValueError):
        gpu.values(c, s, e, out=torch.empty((16, len(paths), 500), dtype=torch.float16, device="cuda"))
    with pytest.raises(ValueError):
        gpu.values(c, s, e, out=np.empty((16, len(paths), 500), np.float32))


def test_caller_stream_not_synchronized(paths, cpu):
    """values() waits for bwl's own work, not for what the caller queued:
    with a long kernel queued on the current stream, values() returns while
    that kernel still runs, and the stream sees the result after it."""
    gpu = bwl.Collection(paths, device="cuda")
    rng = np.random.default_rng(8)
    c, s, e = _windows(rng, 1000, 32)
    gpu.values(c, s, e)  # warm-up: bwl's stream and buffers
    torch.cuda.synchronize()
    torch.cuda._sleep(int(4e9))  # about 2 s of GPU clock cycles on the current stream
    got = gpu.values(c, s, e)
    busy = not torch.cuda.current_stream().query()
    _same(got, cpu.values(c, s, e))  # .cpu() waits on the current stream, which waits for bwl's result
    assert busy, "values() synchronized the caller's stream"


def test_two_threads_two_streams(paths, cpu):
    """Two threads, each on its own torch stream, share one collection:
    every batch gets its own windows' values."""
    import threading

    gpu = bwl.Collection(paths, device="cuda")
    rng = np.random.default_rng(31)
    jobs = [_windows(rng, 700, 24) for _ in range(8)]
    got, errors = [None] * len(jobs), []

    def work(first):
        try:
            stream = torch.cuda.Stream()
            with torch.cuda.stream(stream):
                for k in range(first, len(jobs), 2):
                    got[k] = gpu.values(*jobs[k])
            stream.synchronize()
        except BaseException as e:  # reported below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    for k, job in enumerate(jobs):
        _same(got[k], cpu.values(*job))


def test_current_device_kept(paths, cpu):
    """values() on cuda:N puts its result there and leaves the caller's
    current device as it was (cuda:1 is tried where there are two GPUs)."""
    rng = np.random.default_rng(32)
    c, s, e = _windows(rng, 300, 8)
    want = cpu.values(c, s, e)
    n = min(torch.cuda.device_count(), 2)
    for dev in range(n):
        gpu = bwl.Collection(paths, device=f"cuda:{dev}")
        for current in range(n):
            with torch.cuda.device(current):
                got = gpu.values(c, s, e)
                assert torch.cuda.current_device() == current
            assert got.device == torch.device("cuda", dev)
            _same(got, want)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_output_over_2_31_elements(paths, cpu, layout):
    """An output of more than 2^31 elements (32-bit offsets would wrap):
    rows at its start, middle and end equal the CPU's."""
    gpu = bwl.Collection(paths, device="cuda")
    T, L = len(paths), 100_000
    B = 2**31 // (T * L) + 2
    rng = np.random.default_rng(33)
    c, s, e = _windows(rng, L, B, {"chr1": CHROMS["chr1"]})
    got = gpu.values(c, s, e, dtype="float16", layout=layout)
    assert got.numel() > 2**31
    for rows in (slice(0, 2), slice(B // 2 - 1, B // 2 + 1), slice(B - 3, B)):
        _same(got[rows], cpu.values(c[rows], s[rows], e[rows], dtype="float16", layout=layout))
    del got
    torch.cuda.empty_cache()


REAL_CHROMS = {"chr1": 3_000_000, "chr2": 1_000_000}


@pytest.fixture(scope="module")
def real_track(tmp_path_factory):
    """A pyBigWig track with blocks of real size (~32 KB inflated, as the
    benches read; ~100 MB of data)."""
    from support.tracks import make_track

    p = str(tmp_path_factory.mktemp("real") / "real.bw")
    make_track(p, list(REAL_CHROMS.items()), seed=17)
    return p


def test_real_size_blocks(real_track):
    """Per-base and binned batches over real-size blocks equal the CPU's."""
    cpu, gpu = bwl.Collection([real_track] * 2), bwl.Collection([real_track] * 2, device="cuda")
    rng = np.random.default_rng(34)
    for L, window, B in ((1000, 1, 256), (100_000, 128, 16)):
        c, s, e = _windows(rng, L, B, REAL_CHROMS)
        _same(gpu.values(c, s, e, window=window), cpu.values(c, s, e, window=window))


def test_out_of_memory_empties_torch_cache_then_raises_torch_oom(real_track):
    """bwl's scratch (~500 distinct 32 KB blocks: 16 MB inflated) does not
    fit beside torch's cache: bwl empties the cache and the batch
    succeeds; while the memory is really held, the error is torch's
    OutOfMemoryError, and the device works once it is freed."""
    paths = [real_track] * 2
    rng = np.random.default_rng(35)
    c, s, e = _windows(rng, 1000, 256, REAL_CHROMS)
    want = bwl.Collection(paths).values(c, s, e)
    out = torch.empty((256, 2, 1000), dtype=torch.float32, device="cuda")
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    hog = torch.empty(torch.cuda.mem_get_info()[0] - (8 << 20), dtype=torch.uint8, device="cuda")
    del hog  # cached by torch: free for torch, not for bwl's cudaMalloc
    gpu = bwl.Collection(paths, device="cuda")
    _same(gpu.values(c, s, e, out=out), want)

    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    hog = torch.empty(torch.cuda.mem_get_info()[0] - (8 << 20), dtype=torch.uint8, device="cuda")
    fresh = bwl.Collection(paths, device="cuda")  # no scratch yet
    with pytest.raises(torch.cuda.OutOfMemoryError, match="CUDA error"):
        fresh.values(c, s, e, out=out)
    del hog
    torch.cuda.empty_cache()
    _same(fresh.values(c, s, e, out=out), want)


def test_device_memory_flat(paths):
    """Many batches: device memory stays where the first few left it."""
    gpu = bwl.Collection(paths, device="cuda")
    rng = np.random.default_rng(12)
    for _ in range(3):
        gpu.values(*_windows(rng, 2000, 64))
    torch.cuda.synchronize()
    free0 = torch.cuda.mem_get_info()[0]
    for _ in range(40):
        gpu.values(*_windows(rng, 2000, 64))
    torch.cuda.synchronize()
    assert free0 - torch.cuda.mem_get_info()[0] < 64 << 20


def test_bad_arguments(paths):
    gpu = bwl.Collection(paths, device="cuda")
    with pytest.raises(ValueError):
        gpu.values(["chr1"], [399_990], [400_010])  # past the end
    with pytest.raises(ValueError):
        gpu.values(["chr1"], [0], [100], window=3)
    with pytest.raises(KeyError):
        gpu.values(["chrNope"], [0], [100])
    with pytest.raises(ValueError):
        bwl.Collection(paths, cache="device")  # needs device="cuda"


def test_without_torch(paths, cpu, monkeypatch):
    """No torch: a device array with __cuda_array_interface__."""
    import bwl._cuda as bc

    gpu = bwl.Collection(paths, device="cuda")
    monkeypatch.setattr(bc, "_torch_or_none", lambda: None)
    rng = np.random.default_rng(9)
    c, s, e = _windows(rng, 256, 8)
    got = gpu.values(c, s, e, dtype="float16")
    cai = got.__cuda_array_interface__
    assert cai["shape"] == (8, len(paths), 256) and cai["typestr"] == "<f2"
    _same(got.get(), cpu.values(c, s, e, dtype="float16"))
    t = torch.as_tensor(got, device="cuda")  # zero-copy through the interface
    assert t.data_ptr() == cai["data"][0]


def _corrupt(src: str, dst: str, offset_in_data: int, junk: bytes) -> None:
    shutil.copy(src, dst)
    h = bwl.open(dst).header()
    with open(dst, "r+b") as fh:
        fh.seek(h["fullDataOffset"] + 8 + offset_in_data)  # past sectionCount: the first data block
        fh.write(junk)


@pytest.mark.parametrize("name,where,junk", [
    ("bwl_bedGraph_little_zlib", 30, b"\xff\x13\x77\x01\x00\x42"),   # inside the deflate stream
    ("bwl_bedGraph_little_zlib", 0, b"\x78\x00"),                    # bad zlib header
    ("bwl_fixedStep_little_raw", 20, b"\x09"),                       # section type 9
    ("bwl_variableStep_big_raw", 22, b"\xff\xff"),                   # item count past the block
])
def test_corrupt_blocks_raise(bw_files, tmp_path, name, where, junk):
    bad = str(tmp_path / f"bad_{name}.bw")
    _corrupt(bw_files[name].path, bad, where, junk)
    cpu = bwl.Collection([bad])
    gpu = bwl.Collection([bad], device="cuda")
    for col in (cpu, gpu):
        with pytest.raises(bwl.FormatError, match=os.path.basename(bad)):
            col.values(["chr1"], [0], [50_000])
    # the device still works afterwards
    ok = bwl.Collection([bw_files["pybw_bedGraph"].path], device="cuda")
    assert ok.values(["chr2"], [0], [100]).shape == (1, 1, 100)


def test_inflate_kernel_vs_zlib():
    rng = np.random.default_rng(11)
    streams, caps, want = [], [], []
    for i in range(300):
        n = int(rng.integers(0, 70_000))
        raw = (rng.integers(0, 6 if i % 2 else 256, n, dtype=np.uint8)).tobytes()
        streams.append(zlib.compress(raw, int(i % 10)))
        caps.append(n + int(i % 3))
        want.append(raw)
    sec, status, lens, outs = _core.cuda_inflate_streams(streams, caps, True, 2, True)
    assert sec > 0 and not status.any()
    assert [bytes(o) for o in outs] == want
    # corrupt copies: every one fails, none hangs; a short cap is an overflow
    bad = []
    for b in streams[:100]:
        b = bytearray(b)  # zlib streams are >= 8 bytes
        b[len(b) // 2] ^= 0x5A
        b[-1] ^= 1  # adler32 off, should the flip still decode
        bad.append(bytes(b))
    _, status, _, _ = _core.cuda_inflate_streams(bad, caps[:100], True, 1, False)
    assert status.all()
    _, status, _, _ = _core.cuda_inflate_streams(streams[1:50], [max(0, len(w) - 1) for w in want[1:50]], True, 1, False)
    assert all(st == 6 for st, w in zip(status, want[1:50]) if len(w) > 0)  # kInflateOverflow


def test_inflate_kernel_strategies_and_raw():
    """Every zlib strategy and level, zlib-wrapped and raw deflate, through
    the kernel: zlib's bytes back."""
    rng = np.random.default_rng(13)
    strategies = (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_HUFFMAN_ONLY, zlib.Z_RLE, zlib.Z_FIXED)
    for wbits, wrapped in ((15, True), (-15, False)):
        streams, caps, want = [], [], []
        for i in range(100):
            n = int(rng.integers(0, 40_000))
            raw = rng.integers(0, 4 if i % 3 else 256, n, dtype=np.uint8).tobytes()
            co = zlib.compressobj(i % 10, zlib.DEFLATED, wbits, 8, strategies[i % len(strategies)])
            streams.append(co.compress(raw) + co.flush())
            caps.append(n)
            want.append(raw)
        _, status, _, outs = _core.cuda_inflate_streams(streams, caps, wrapped, 1, True)
        assert not status.any()
        assert [bytes(o) for o in outs] == want


# ------------------------------------------------------------------ the Loader on CUDA


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    from support.tracks import make_genome

    g = make_genome(str(tmp_path_factory.mktemp("genome")))
    # One Fasta for every loader here. (2026-11-30, H200 machine: a second
    # bwl.Fasta of this file, reading the .fai the first one wrote, said
    # "index says chr1 ends past the end of the file"; not seen elsewhere.)
    g.fa = bwl.Fasta(g.fasta)
    return g


def _loaders(genome, device, **kw):
    from bwl.samplers import RandomRegions

    c = bwl.Collection(genome.bigwigs, device=device)
    s = RandomRegions(c.chroms(), 1000, c.chroms(), seed=3)
    return bwl.Loader(c, s, 16, fasta=genome.fa, batches_per_epoch=3, seed=5, **kw)


@pytest.mark.parametrize("kw", [dict(reverse_complement=True, target_crop=10, window=4, strand_pairs=[(0, 2)]),
                                dict(reverse_complement=True, dtype="bfloat16", layout="BLT", reuse_buffers=True,
                                     strand_pairs=[(0, 2)], tracks=Tracks(2, seed=4)),  # partners read for flipped rows
                                dict(prefetch=0, dtype="float16")])
def test_loader_cuda_equals_cpu(genome, kw):
    """Loader(device="cuda"): CUDA tensors equal to the CPU loader's
    batches bit for bit (signal, one-hot sequence, reverse complement,
    strand pairs, crops), complete when handed out: read on another stream
    at once."""
    cpu, gpu = _loaders(genome, "cpu", **kw), _loaders(genome, "cuda", **kw)
    side = torch.cuda.Stream()
    n, flipped = 0, False
    for a, b in zip(cpu, gpu):
        assert isinstance(b.values, torch.Tensor) and b.values.is_cuda and b.sequence.is_cuda
        with torch.cuda.stream(side):  # no wait_stream: the loader's work is done
            v, q = b.values.cpu(), b.sequence.cpu()
        _same(v, a.values)
        _same(q, a.sequence)
        assert (a.reverse == b.reverse).all() and (a.starts == b.starts).all()
        n += 1
        flipped |= bool(a.reverse.any())
    assert n == 3 and flipped == bool(kw.get("reverse_complement"))


def test_dataset_cuda(genome):
    """BigWigDataset over a CUDA loader, num_workers=0: CUDA tensors out."""
    from bwl.torch import BigWigDataset

    ds = BigWigDataset(lambda: _loaders(genome, "cuda", reverse_complement=True))
    got = list(torch.utils.data.DataLoader(ds, batch_size=None, num_workers=0))
    assert len(got) == 3 and all(d["values"].is_cuda and d["sequence"].is_cuda for d in got)


def test_dataset_cuda_forked_worker_says_why(genome):
    """A CUDA loader in a forked DataLoader worker (CUDA initialized in the
    parent) fails with the CUDA message and what to do, not a hang."""
    from bwl.torch import BigWigDataset

    torch.zeros(1, device="cuda")  # CUDA is initialized here
    ds = BigWigDataset(lambda: _loaders(genome, "cuda"))
    dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=1, multiprocessing_context="fork", timeout=60)
    with pytest.raises(RuntimeError, match="CUDA does not survive fork"):
        next(iter(dl))


def test_bigwig_loader_drop_in_on_the_gpu(genome):
    """bwl.bigwig_loader where a GPU is usable: PytorchBigWigDataset yields
    CUDA tensors, BigWigDataset cupy arrays (torch CUDA tensors without
    cupy), each equal to the CPU batches of the same positions."""
    import pandas as pd

    from bwl.bigwig_loader import BigWigDataset, PytorchBigWigDataset
    from bwl.bigwig_loader import dataset as dsmod

    sizes = genome.fa.chroms()
    regions = pd.DataFrame({"chrom": list(sizes), "start": [1000] * len(sizes), "end": [n - 1000 for n in sizes.values()]})
    kw = dict(sequence_length=200, batch_size=4, batches_per_epoch=2, return_batch_objects=True)
    np.random.seed(3)
    tb = list(PytorchBigWigDataset(regions, genome.bigwigs, genome.fasta, **kw))
    np.random.seed(3)
    gb = list(BigWigDataset(regions, genome.bigwigs, genome.fasta, **kw))
    dsmod.gpu_usable, real = (lambda: False), dsmod.gpu_usable
    try:
        np.random.seed(3)
        cb = list(BigWigDataset(regions, genome.bigwigs, genome.fasta, **kw))
    finally:
        dsmod.gpu_usable = real
    for t, g, c in zip(tb, gb, cb):
        assert t.values.is_cuda and t.sequences.is_cuda
        assert hasattr(g.values, "__cuda_array_interface__") and hasattr(g.sequences, "__cuda_array_interface__")
        np.testing.assert_array_equal(t.values.cpu().numpy(), c.values)
        got = g.values.get() if hasattr(g.values, "get") else g.values.cpu().numpy()
        np.testing.assert_array_equal(got, c.values)
