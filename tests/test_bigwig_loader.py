"""bwl.bigwig_loader (bigwig-loader 0.3.2's API) against the truth read with
pyBigWig and pyfaidx: sequences, values with bins and non-zero defaults,
centre bins, moving averages, scaling by folder, track order and
subsampling, the unknown-base filter, tuple and Batch outputs, positions
(fresh each epoch, reproducible from np.random.seed, the last region too)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyBigWig
import pytest
from pyfaidx import Fasta as PyFaidx

from bwl.bigwig_loader import BigWigCollection, BigWigDataset, RandomPositionSampler, onehot_sequences

SIZES = {"chr1": 60_000, "chr2": 40_000}
TABLE = {"A": [1, 0, 0, 0], "C": [0, 1, 0, 0], "G": [0, 0, 1, 0], "T": [0, 0, 0, 1], "R": [0.5, 0, 0.5, 0],
         "N": [0.25] * 4}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A genome (lowercase runs, N runs, an IUPAC code), four tracks in
    nested folders, sparse with gaps (so defaults matter)."""
    d = tmp_path_factory.mktemp("bwloader")
    rng = np.random.default_rng(0)
    with open(d / "genome.fa", "w") as fh:
        for c, n in SIZES.items():
            s = np.array(list("ACGT"))[rng.integers(0, 4, n)]
            s[1000:1400] = "N"
            s[5000:5600] = np.char.lower(s[5000:5600])
            s[7000] = "R"
            seq = "".join(s)
            fh.write(f">{c}\n" + "\n".join(seq[i:i + 60] for i in range(0, n, 60)) + "\n")
    tracks = d / "tracks"
    paths = [tracks / "liver" / "b.bw", tracks / "liver" / "a.bigWig", tracks / "heart" / "z.bw", tracks / "c.bw"]
    for k, p in enumerate(paths):
        p.parent.mkdir(parents=True, exist_ok=True)
        b = pyBigWig.open(str(p), "w")
        b.addHeader(list(SIZES.items()))
        for c, n in SIZES.items():
            st = np.sort(rng.choice(n // 10, n // 30, replace=False)) * 10
            b.addEntries([c] * len(st), st.tolist(), ends=(st + rng.integers(1, 10, len(st))).tolist(),
                         values=(rng.normal(size=len(st)) + k).tolist())
        b.close()
    regions = pd.DataFrame({"chrom": ["chr1", "chr1", "chr2"], "start": [2000, 30_000, 10_000],
                            "end": [20_000, 40_000, 30_000]})
    return d, tracks, regions


def _truth_values(path, chrom, start, end, window, default, scale=1.0):
    v = np.array(pyBigWig.open(str(path)).values(chrom, int(start), int(end)), dtype=np.float64) * scale
    n = (end - start) // window
    v = v[: n * window].reshape(n, window)
    covered = ~np.isnan(v)
    if math.isnan(default):
        with np.errstate(invalid="ignore"):
            return np.where(covered.any(1), np.nansum(v, 1) / covered.sum(1), np.nan)
    return (np.where(covered, v, 0).sum(1) + (window - covered.sum(1)) * default) / window


def _seq_truth(fa, chrom, center, length):
    s = center - length // 2
    return fa[chrom][s:s + length].seq


def test_track_order_sorted_and_recursive(data):
    _, tracks, _ = data
    coll = BigWigCollection(tracks)
    assert [p.relative_to(tracks).as_posix() for p in coll.bigwig_paths] == \
        ["c.bw", "heart/z.bw", "liver/a.bigWig", "liver/b.bw"]
    assert [p.name for p in BigWigCollection(tracks, crawl=False).bigwig_paths] == ["c.bw"]
    assert [p.name for p in BigWigCollection(tracks, file_extensions=(".bw",)).bigwig_paths] == \
        ["c.bw", "z.bw", "b.bw"]
    assert len(BigWigCollection(tracks, first_n_files=2)) == 2
    assert BigWigCollection([tracks / "liver", tracks / "c.bw"]).bigwig_paths[0].name == "c.bw"  # sorted too
    with pytest.raises(FileNotFoundError):
        BigWigCollection(tracks / "missing")


@pytest.mark.parametrize("window, default", [(1, 0.0), (4, 0.0), (4, float("nan")), (5, 0.5), (1, -1.0)])
def test_values_equal_pybigwig(data, window, default):
    d, tracks, regions = data
    np.random.seed(1)
    ds = BigWigDataset(regions, tracks, d / "genome.fa", sequence_length=200, center_bin_to_predict=100,
                       window_size=window, batch_size=8, batches_per_epoch=3, default_value=default,
                       scale={"liver": 2.0, "c": 0.5}, return_batch_objects=True)
    paths = ds.bigwig_collection.bigwig_paths
    scales = [0.5, 1.0, 2.0, 2.0]  # c.bw by its stem, heart none, liver/* by their folder
    fa = PyFaidx(str(d / "genome.fa"))
    n = 0
    for b in ds:
        assert b.values.shape == (8, 100 // window, 4) and b.values.dtype == np.float32
        assert b.sequences.shape == (8, 200, 4) and b.sequences.dtype == np.float32
        for i in range(8):
            assert b.ends[i] - b.starts[i] == 100
            for t, p in enumerate(paths):
                want = _truth_values(p, b.chromosomes[i], b.starts[i], b.ends[i], window, default, scales[t])
                np.testing.assert_allclose(b.values[i, :, t], want, rtol=1e-5, atol=1e-6, equal_nan=True)
            seq = _seq_truth(fa, b.chromosomes[i], int(b.starts[i]) + 50, 200)
            want = np.array([TABLE.get(x.upper(), [0.333] * 4) for x in seq], np.float32)
            np.testing.assert_array_equal(b.sequences[i], want)
        n += 1
    assert n == 3


def test_tuples_track_subsampling_and_moving_average(data):
    d, tracks, regions = data
    np.random.seed(2)
    ds = BigWigDataset(regions, tracks, d / "genome.fa", sequence_length=100, batch_size=4, batches_per_epoch=2,
                       sub_sample_tracks=2, moving_average_window_size=5)
    full = BigWigCollection(tracks)
    for _seqs, values, idx, names in ds:
        assert values.shape == (4, 100, 2) and list(idx) == sorted(idx) and len(set(idx)) == 2
        assert names == [full.bigwig_paths[i] for i in idx]
    # moving average along the sequence, as numpy.convolve(mode="same")
    np.random.seed(3)
    ds = BigWigDataset(regions, tracks, d / "genome.fa", sequence_length=100, batch_size=4, batches_per_epoch=1,
                       moving_average_window_size=5, return_batch_objects=True)
    b = next(iter(ds))
    raw = full.get_batch(b.chromosomes, b.starts, b.ends)
    for i in range(4):
        for t in range(4):
            want = np.convolve(raw[i, :, t], np.ones(5) / 5, mode="same")
            np.testing.assert_allclose(b.values[i, :, t], want, rtol=1e-5, atol=1e-6)
    seqs, values = next(iter(BigWigDataset(regions, tracks, d / "genome.fa", sequence_length=100, batch_size=4,
                                           batches_per_epoch=1, sequence_encoder=None)))
    assert isinstance(seqs[0], str) and len(seqs[0]) == 100 and values.shape == (4, 100, 4)


def test_positions_fresh_each_epoch_reproducible_and_filtered(data):
    d, tracks, regions = data

    def epoch_starts(ds):
        return [s for b in ds for s in b.starts.tolist()]

    def make(**kw):
        return BigWigDataset(regions, tracks, d / "genome.fa", sequence_length=500, batch_size=16,
                             batches_per_epoch=4, return_batch_objects=True, **kw)

    np.random.seed(7)
    ds = make()
    e1, e2 = epoch_starts(ds), epoch_starts(ds)
    assert e1 != e2  # new windows every epoch, no set_epoch needed
    np.random.seed(7)
    assert epoch_starts(make()) == e1  # np.random.seed reproduces them
    np.random.seed(7)
    rep = make(repeat_same_positions=True, position_sampler_buffer_size=256)
    assert epoch_starts(rep) == epoch_starts(rep)
    # Windows are inside the regions' chromosomes, and the N-run window (chr1:1000-1400, 400 N) is refused.
    np.random.seed(8)
    ds = BigWigDataset(pd.DataFrame({"chrom": ["chr1"], "start": [600], "end": [1800]}), tracks, d / "genome.fa",
                       sequence_length=500, batch_size=4, batches_per_epoch=2, return_batch_objects=True,
                       maximum_unknown_bases_fraction=0.1, sequence_encoder=None)
    for b in ds:
        for s in b.sequences:
            assert s.upper().count("N") <= 50
    # Positions that never give a window: an error, not a hang.
    with pytest.raises(ValueError, match="gave no usable window"):
        next(iter(BigWigDataset(pd.DataFrame({"chrom": ["chr1"], "start": [1100], "end": [1200]}), tracks,
                                d / "genome.fa", sequence_length=100, batch_size=4, batches_per_epoch=1)))
    # Lowercase (soft-masked) bases are bases, not unknowns; and encode as uppercase.
    assert onehot_sequences(["acgtN"]).tolist() == onehot_sequences(["ACGTN"]).tolist()


def test_position_sampler_draws_every_region_uniformly():
    """bigwig-loader's sampler never draws the last region and fails on one
    region; bwl's draws uniformly over all bases."""
    regions = pd.DataFrame({"chrom": ["a", "b", "c"], "start": [0, 100, 1000], "end": [100, 200, 1300]})
    np.random.seed(0)
    s = RandomPositionSampler(regions, buffer_size=50_000)
    draws = [next(s) for _ in range(50_000)]
    counts = pd.Series([c for c, _ in draws]).value_counts()
    assert counts["c"] / 50_000 == pytest.approx(0.6, abs=0.02) and counts["a"] / 50_000 == pytest.approx(0.2, abs=0.02)
    for c, p in draws[:1000]:
        r = regions[regions.chrom == c].iloc[0]
        assert r.start <= p < r.end
    one = RandomPositionSampler(pd.DataFrame({"chrom": ["x"], "start": [5], "end": [7]}), buffer_size=100)
    assert {p for _, p in (next(one) for _ in range(100))} == {5, 6}


def test_custom_samplers_and_bfloat16(data):
    d, tracks, regions = data
    positions = [("chr1", 3000 + 10 * i) for i in range(8)]
    ds = BigWigDataset(regions, tracks, d / "genome.fa", sequence_length=100, batch_size=4, batches_per_epoch=2,
                       custom_position_sampler=positions, custom_track_sampler=iter([[3, 1], [0, 2]]),
                       return_batch_objects=True, dtype="bfloat16")
    got = list(ds)
    assert [list(b.starts + 50) for b in got] == [[3000, 3010, 3020, 3030], [3040, 3050, 3060, 3070]]
    assert [b.track_indices for b in got] == [[3, 1], [0, 2]]
    assert got[0].values.dtype == np.uint16  # bfloat16 bits, as bigwig-loader returns them from cupy
    f32 = BigWigCollection(tracks).get_batch(got[0].chromosomes, got[0].starts, got[0].ends, track_indices=[3, 1])
    back = (got[0].values.astype(np.uint32) << 16).view(np.float32)
    np.testing.assert_allclose(back, f32, rtol=1e-2, atol=1e-2)


def test_pytorch_dataset(data):
    import torch

    from bwl.bigwig_loader import PytorchBigWigDataset

    d, tracks, regions = data
    np.random.seed(4)
    ds = PytorchBigWigDataset(regions, tracks, d / "genome.fa", sequence_length=100, batch_size=4,
                              batches_per_epoch=2)
    batches = list(ds)
    assert len(batches) == 2 and len(ds) == 2
    seqs, values = batches[0]
    assert isinstance(values, torch.Tensor) and values.shape == (4, 100, 4) and seqs.shape == (4, 100, 4)
    ds = PytorchBigWigDataset(regions, tracks, d / "genome.fa", sequence_length=100, batch_size=4,
                              batches_per_epoch=1, return_batch_objects=True, dtype="bfloat16")
    b = next(iter(ds))
    assert b.values.dtype == torch.bfloat16 and b.starts.shape == (4,)


def test_gpu_output_path(data, monkeypatch, caplog):
    """Where a GPU is usable, BigWigDataset's arrays go through cupy (its
    own output type), PytorchBigWigDataset's stay torch's; the log says
    where, once. Here the GPU is faked: the dispatch and the values moved
    are what is checked (test_gpu.py runs the real device)."""
    import sys
    import types

    import torch

    from bwl.bigwig_loader import PytorchBigWigDataset
    from bwl.bigwig_loader import dataset as dsmod

    class OnGpu:  # what cupy.asarray would give: here a marked host copy
        def __init__(self, a):
            self.a = np.array(a)

    monkeypatch.setattr(dsmod, "gpu_usable", lambda: True)
    monkeypatch.setitem(sys.modules, "cupy", types.SimpleNamespace(asarray=OnGpu))
    monkeypatch.setattr(dsmod, "_said_device", False)
    d, tracks, regions = data
    kw = dict(sequence_length=100, batch_size=4, batches_per_epoch=2, return_batch_objects=True)
    np.random.seed(9)
    with caplog.at_level("WARNING", logger="bwl.bigwig_loader"):
        got = list(BigWigDataset(regions, tracks, d / "genome.fa", **kw))
    assert [r.getMessage() for r in caplog.records if "bwl.bigwig_loader" in r.getMessage()] == [
        "bwl.bigwig_loader: batches are on the GPU (cupy arrays) (same shapes as bigwig-loader's)"]
    np.random.seed(9)
    monkeypatch.setattr(dsmod, "gpu_usable", lambda: False)
    want = list(BigWigDataset(regions, tracks, d / "genome.fa", **kw))
    for g, w in zip(got, want):
        assert isinstance(g.values, OnGpu) and isinstance(g.sequences, OnGpu)
        np.testing.assert_array_equal(g.values.a, w.values)
        np.testing.assert_array_equal(g.sequences.a, w.sequences)
    monkeypatch.setattr(dsmod, "gpu_usable", lambda: True)  # the torch dataset moves numpy batches itself
    b = next(iter(PytorchBigWigDataset(regions, tracks, d / "genome.fa", **kw)))
    assert isinstance(b.values, torch.Tensor) and b.values.device.type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("window, default", [(1, 0.0), (10, 0.0), (10, 3.0), (1, math.nan)])
def test_get_batch_past_chromosome_end(data, window, default):
    """A window reaching past its chromosome's end reads the default there,
    as bigwig-loader does (bwl.Collection.values refuses it unless padded)."""
    _, tracks, _ = data
    coll = BigWigCollection(tracks)
    n = SIZES["chr2"]
    got = coll.get_batch(["chr2"], [n - 300], [n + 200], window_size=window, default_value=default)
    assert got.shape == (1, 500 // window, len(coll))
    for t, path in enumerate(coll.bigwig_paths):
        inside = np.array(pyBigWig.open(str(path)).values("chr2", n - 300, n), dtype=np.float64)
        per_base = np.concatenate([inside, np.full(200, np.nan)])
        covered = ~np.isnan(per_base)
        if math.isnan(default):
            want = per_base
        else:
            bins = np.where(covered, per_base, 0).reshape(-1, window).sum(1) + (~covered).reshape(-1, window).sum(1) * default
            want = bins / window
        np.testing.assert_allclose(got[0, :, t], want, rtol=1e-5, atol=1e-6, equal_nan=True)


def test_bfloat16_bits_as_bwl_converts(data):
    """Values smoothed or binned in numpy are converted to bfloat16 with
    the bits bwl's own conversion gives (NaN included), so a batch's dtype
    path never changes its bits."""
    from bwl.bigwig_loader.collection import to_bfloat16_bits

    _, tracks, _ = data
    coll = BigWigCollection(tracks)
    starts = np.array([2000, 9000, 31_000])
    args = (["chr1"] * 3, starts, starts + 800)
    f32 = coll.collection.values(*args, layout="BLT")
    assert np.isnan(f32).any() and (~np.isnan(f32)).any()
    native = coll.collection.values(*args, layout="BLT", dtype="bfloat16").view(np.uint16)
    np.testing.assert_array_equal(to_bfloat16_bits(f32), native)
    np.testing.assert_array_equal(coll.get_batch(*args, default_value=math.nan, dtype="bfloat16"), native)
