"""bwl.Loader against pyBigWig, pyfaidx and numpy.

Tracks are written by pyBigWig, the genome FASTA by hand; expected signal
is pyBigWig's per-base values (window bins: nanmean of them) and expected
sequence is a numpy one-hot of pyfaidx's bases.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pyfaidx
import pytest

import bwl
from bwl.samplers import RandomRegions, Tiles, Tracks
from support.bbi import read_header
from support.fasta import fasta_bytes, revcomp_onehot, window_onehot
from support.oracles import assert_values_close, pybw_values
from support.tracks import make_genome

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    g = make_genome(str(tmp_path_factory.mktemp("genome")))
    ref_dir = tmp_path_factory.mktemp("ref")
    ref_path = str(ref_dir / "genome.fa")
    with open(g.fasta, "rb") as a, open(ref_path, "wb") as b:
        b.write(a.read())
    g.ref = pyfaidx.Fasta(ref_path, sequence_always_upper=False, as_raw=True)
    return g


def _loader(g, L=1000, batch_size=8, n_batches=4, seed=0, sampler=None, fasta=True, **kw):
    c = bwl.Collection(g.bigwigs)
    s = sampler or RandomRegions(c.chroms(), L, c.chroms(), seed=seed)
    return bwl.Loader(c, s, batch_size, fasta=bwl.Fasta(g.fasta) if fasta else None,
                      batches_per_epoch=n_batches, seed=seed, **kw)


def _want_values(g, b, window=1, crop_bins=0, tracks=None, partner=None, default=0.0):
    """pyBigWig's values for batch b, no data as ``default`` (the Loader's
    0.0; None: pyBigWig's NaN); reversed rows flipped, and with ``partner``
    (track -> its other strand) read from the partner tracks."""
    crop = crop_bins * window
    tracks = b.tracks if tracks is None else tracks
    v = pybw_values([g.bigwigs[int(t)] for t in tracks], b.chroms, b.starts + crop, b.ends - crop, window)
    if b.reverse.any():
        if partner is not None:
            other = pybw_values([g.bigwigs[partner[int(t)]] for t in tracks], b.chroms, b.starts + crop,
                                b.ends - crop, window)
            v[b.reverse] = other[b.reverse]
        v[b.reverse] = v[b.reverse][:, :, ::-1]
    return v if default is None else np.where(np.isnan(v), np.float32(default), v)


def _want_seq(g, b):
    x = np.stack([window_onehot(g.ref, c, int(s), int(e)) for c, s, e in zip(b.chroms, b.starts, b.ends)])
    for i in np.flatnonzero(b.reverse):
        x[i] = revcomp_onehot(x[i])
    return x


# ------------------------------------------------------------------ content


@pytest.mark.parametrize("layout", ["BTL", "BLT"])
@pytest.mark.parametrize("window", [1, 10])
def test_values_and_sequence(genome, layout, window):
    ld = _loader(genome, window=window, layout=layout, prefetch=2)
    c = ld.collection
    n = 0
    for i, b in enumerate(ld):
        assert b.index == i
        assert b.values.dtype == np.float32
        assert np.all(b.ends - b.starts == 1000)
        assert b.sequence.shape == (8, 1000, 4) and b.sequence.dtype == np.float32
        assert np.array_equal(b.tracks, np.arange(3))
        assert not b.reverse.any()
        want = _want_values(genome, b, window)
        got = b.values if layout == "BTL" else b.values.transpose(0, 2, 1)
        assert b.values.shape == ((8, 3, 1000 // window) if layout == "BTL" else (8, 1000 // window, 3))
        assert_values_close(got, want)
        # same windows through Collection.values: identical
        direct = c.values(b.chroms, b.starts, b.ends, window=window, layout=layout, default=0.0)
        np.testing.assert_array_equal(b.values, direct)
        assert np.array_equal(b.sequence, _want_seq(genome, b))
        assert not np.isnan(b.values).any()  # training targets: no data is 0.0, not NaN
        n += 1
    assert n == 4
    raw = _want_values(genome, b, window, default=None)
    assert np.isnan(raw).any() and (~np.isnan(raw)).any()  # the data has gaps


def test_same_batches_regardless_of_prefetch(genome):
    runs = []
    for prefetch in (0, 1, 4):
        ld = _loader(genome, prefetch=prefetch, n_batches=6, seed=3, reverse_complement=True,
                     tracks=Tracks(2, seed=5))
        runs.append([b for b in ld])
    for other in runs[1:]:
        assert len(other) == len(runs[0]) == 6
        for a, b in zip(runs[0], other):
            assert a.index == b.index
            for f in ("chroms", "starts", "ends", "tracks", "reverse", "sequence"):
                assert np.array_equal(getattr(a, f), getattr(b, f)), f
            np.testing.assert_array_equal(a.values, b.values)
    # and a different seed gives other windows
    b0 = next(iter(_loader(genome, prefetch=0, seed=4)))
    assert not np.array_equal(b0.starts, runs[0][0].starts)


def test_set_epoch(genome):
    ld = _loader(genome, prefetch=1, n_batches=2)
    e0 = [b.starts.copy() for b in ld]
    ld.set_epoch(1)
    e1 = [b.starts.copy() for b in ld]
    ld.set_epoch(0)
    again = [b.starts.copy() for b in ld]
    assert all(np.array_equal(x, y) for x, y in zip(e0, again))
    assert not any(np.array_equal(x, y) for x, y in zip(e0, e1))


@pytest.mark.parametrize("layout", ["BTL", "BLT"])
def test_target_crop(genome, layout):
    window, crop = 8, 10
    ld = _loader(genome, L=1024, window=window, target_crop=crop, layout=layout, prefetch=0)
    for b in ld:
        assert np.all(b.ends - b.starts == 1024)  # the sequence window
        assert b.sequence.shape == (8, 1024, 4)
        bins = 1024 // window - 2 * crop
        got = b.values if layout == "BTL" else b.values.transpose(0, 2, 1)
        assert got.shape == (8, 3, bins)
        assert_values_close(got, _want_values(genome, b, window, crop))
        # the centre of the window: bin k covers [start + (crop + k) * window, ...)
        mid = pybw_values(genome.bigwigs[:1], b.chroms, b.starts + 512 - window, b.starts + 512 + window, window)
        mid = np.nan_to_num(mid, nan=0.0)
        assert_values_close(got[:, :1, bins // 2 - 1:bins // 2 + 1], mid)
    with pytest.raises(ValueError):
        next(iter(_loader(genome, L=100, window=10, target_crop=5, prefetch=0)))


@pytest.mark.parametrize("layout", ["BTL", "BLT"])
def test_reverse_complement(genome, layout):
    ld = _loader(genome, L=600, window=4, target_crop=3, layout=layout, reverse_complement=True,
                 n_batches=6, batch_size=10, prefetch=2)
    rev = []
    for b in ld:
        assert b.reverse.dtype == bool and b.reverse.shape == (10,)
        rev.append(b.reverse)
        got = b.values if layout == "BTL" else b.values.transpose(0, 2, 1)
        assert_values_close(got, _want_values(genome, b, 4, 3))
        want_seq = _want_seq(genome, b)
        assert np.array_equal(b.sequence, want_seq)
        # reverse-complementing twice is the identity; once more on the
        # reversed rows gives the forward strand from pyfaidx
        rc = b.sequence[:, ::-1, ::-1]
        assert np.array_equal(rc[:, ::-1, ::-1], b.sequence)
        for i in np.flatnonzero(b.reverse):
            fwd = window_onehot(genome.ref, b.chroms[i], int(b.starts[i]), int(b.ends[i]))
            assert np.array_equal(rc[i], fwd)
    rev = np.concatenate(rev)
    assert 0.25 < rev.mean() < 0.75
    # same windows without reverse_complement: the forward rows agree exactly
    fwd = _loader(genome, L=600, window=4, target_crop=3, layout=layout, n_batches=6, batch_size=10, prefetch=0)
    ld.set_epoch(0)  # iterated once already: the next iteration would be epoch 1
    for a, b in zip(ld, fwd):
        assert np.array_equal(a.starts, b.starts)
        keep = ~a.reverse
        np.testing.assert_array_equal(a.values[keep], b.values[keep])
        np.testing.assert_array_equal(a.sequence[keep], b.sequence[keep])


def test_tracks_subsampling(genome):
    ld = _loader(genome, tracks=Tracks(2, seed=1), n_batches=10, prefetch=2)
    seen = set()
    for b in ld:
        assert b.tracks.shape == (2,) and b.tracks.dtype == np.uint32
        assert len(set(b.tracks.tolist())) == 2 and np.all(b.tracks < 3)
        seen.add(tuple(b.tracks.tolist()))
        assert b.values.shape == (8, 2, 1000)
        assert_values_close(b.values, _want_values(genome, b))
    assert len(seen) > 1


def test_epochs_advance_without_set_epoch(genome):
    """Each for-loop over a Loader is the next epoch (new windows) until
    set_epoch picks one, which then holds (as DistributedSampler)."""
    ld = _loader(genome, n_batches=3, prefetch=1)
    ref = _loader(genome, n_batches=3, prefetch=0)
    runs = [[b.starts.copy() for b in ld] for _ in range(3)]
    assert ld.epoch == 2
    for e, run in enumerate(runs):
        for i, starts in enumerate(run):
            assert np.array_equal(starts, ref.make_batch(i, epoch=e).starts)
    assert not any(np.array_equal(a, b) for a, b in zip(runs[0], runs[1]))
    ld.set_epoch(7)
    again = [[b.starts.copy() for b in ld] for _ in range(2)]
    for a, b, i in zip(again[0], again[1], range(3)):
        assert np.array_equal(a, b) and np.array_equal(a, ref.make_batch(i, epoch=7).starts)


def test_tiles_epoch(genome):
    c = bwl.Collection(genome.bigwigs)
    L = 500
    t = Tiles(c.chroms(), L)
    ld = bwl.Loader(c, t, 16, fasta=bwl.Fasta(genome.fasta), prefetch=2)
    assert len(ld) == -(-len(t) // 16)
    starts = {}
    for b in ld:
        assert len(b.starts) <= 16
        for ch, s in zip(b.chroms, b.starts):
            starts.setdefault(str(ch), []).append(int(s))
    for ch, n in c.chroms().items():
        assert sorted(starts[ch]) == list(range(0, n - L + 1, L)) + ([n - L] if n % L else [])
    last = list(ld)[-1]
    assert_values_close(last.values, _want_values(genome, last))


def test_dtypes(genome):
    ref = [b for b in _loader(genome, prefetch=0, n_batches=2)]
    for dtype in ("float16", "bfloat16"):
        for a, b in zip(ref, _loader(genome, prefetch=0, n_batches=2, dtype=dtype)):
            assert b.values.dtype.itemsize == 2 and b.sequence.dtype.itemsize == 2
            if dtype == "float16":
                np.testing.assert_array_equal(b.values, a.values.astype(np.float16))
                np.testing.assert_array_equal(b.sequence, a.sequence.astype(np.float16))
            else:
                from support.oracles import bf16_bits

                want = bf16_bits(a.values)
                got = b.values.view(np.uint16)
                nan = np.isnan(a.values)
                assert np.array_equal(got[~nan], want[~nan])
                assert np.all((got[nan] & 0x7F80) == 0x7F80) and np.all(got[nan] & 0x7F)
                assert np.array_equal(b.sequence.view(np.uint16), bf16_bits(a.sequence))


# ------------------------------------------------------------------ memory


def test_fresh_arrays(genome):
    ld = _loader(genome, prefetch=2, n_batches=8, batch_size=4)
    got = list(ld)
    for i in range(len(got)):
        for j in range(i + 1, len(got)):
            assert not np.shares_memory(got[i].values, got[j].values)
            assert not np.shares_memory(got[i].sequence, got[j].sequence)
    # held batches are never overwritten later
    for b in got:
        assert_values_close(b.values, _want_values(genome, b))
        assert np.array_equal(b.sequence, _want_seq(genome, b))


@pytest.mark.parametrize("prefetch", [0, 1, 2, 3])
def test_reuse_buffers(genome, prefetch):
    """Buffers are recycled, and a batch stays intact until the caller asks
    for the batch after the next one (the documented contract)."""
    ld = _loader(genome, prefetch=prefetch, n_batches=12, batch_size=4, reuse_buffers=True)
    held, copies = [], []
    for k, b in enumerate(ld):
        held.append(b)
        copies.append((b.values.copy(), b.sequence.copy()))
        time.sleep(0.03)  # let the background thread run ahead as far as it may
        # the previous batch is still intact while the caller holds batch k
        j = k - 1
        if j >= 0:
            np.testing.assert_array_equal(held[j].values, copies[j][0], err_msg=f"batch {j} overwritten at {k}")
            np.testing.assert_array_equal(held[j].sequence, copies[j][1])
    ptrs = {b.values.ctypes.data for b in held}
    assert len(ptrs) < len(held)  # recycled
    # the content of every batch was right when it was handed over
    for b, (v, s) in zip(_loader(genome, prefetch=0, n_batches=12, batch_size=4), copies):
        np.testing.assert_array_equal(v, b.values)
        np.testing.assert_array_equal(s, b.sequence)


def test_reuse_buffers_with_shard(genome):
    """Sharded loaders (DDP ranks, DataLoader workers) see every world-th
    index; recycling must still respect the same contract."""
    prefetch = 1
    ld = _loader(genome, prefetch=prefetch, n_batches=24, batch_size=4, reuse_buffers=True, shard=(1, 3))
    held, copies = [], []
    for k, b in enumerate(ld):
        held.append(b)
        copies.append(b.values.copy())
        time.sleep(0.03)
        j = k - prefetch
        if j >= 0:
            np.testing.assert_array_equal(held[j].values, copies[j], err_msg=f"batch {held[j].index} overwritten")


# ------------------------------------------------------------------ sharding


def test_len_and_shards(genome):
    for n in (1, 7, 12):
        for world in (1, 2, 3, 5, 12):
            parts = []
            for rank in range(world):
                ld = _loader(genome, n_batches=n, shard=(rank, world), prefetch=0, fasta=False)
                idx = list(ld.indices())
                assert len(ld) == len(idx)
                parts.append(idx)
            flat = [i for p in parts for i in p]
            assert sorted(flat) == list(range(n)) and len(flat) == len(set(flat))
    # iterating a shard yields exactly those batches, with the unsharded content
    full = {b.index: b for b in _loader(genome, n_batches=7, prefetch=0, fasta=False)}
    got = []
    for rank in range(3):
        for b in _loader(genome, n_batches=7, shard=(rank, 3), prefetch=2, fasta=False):
            got.append(b.index)
            assert np.array_equal(b.starts, full[b.index].starts)
            np.testing.assert_array_equal(b.values, full[b.index].values)
    assert sorted(got) == list(range(7))
    for bad in ((2, 2), (-1, 2), (0, 0)):
        with pytest.raises(ValueError):
            _loader(genome, shard=bad)


@pytest.mark.parametrize("layout", ["BTL", "BLT"])
@pytest.mark.parametrize("subset", [False, True])
def test_strand_pairs(genome, layout, subset):
    """strand_pairs: on reverse-complemented windows tracks 0 and 2 trade
    places (each reversed); with a 2-of-3 track subset a missing partner is
    read for those rows. Names and indices give the same batches."""
    names = (os.path.basename(genome.bigwigs[0]), os.path.splitext(os.path.basename(genome.bigwigs[2]))[0])
    pairs = [(0, 2)] if subset else [names]
    kw = dict(L=500, window=5, target_crop=2, layout=layout, reverse_complement=True, n_batches=6, batch_size=10,
              tracks=Tracks(2, seed=4) if subset else None)
    ld = _loader(genome, strand_pairs=pairs, **kw)
    partner = {0: 2, 2: 0, 1: 1}
    kinds = set()
    for b in ld:
        got = b.values if layout == "BTL" else b.values.transpose(0, 2, 1)
        assert_values_close(got, _want_values(genome, b, 5, 2, partner=partner))
        if b.reverse.any():
            kinds.add("read" if any(partner[int(t)] not in b.tracks for t in b.tracks) else "swap")
    assert kinds == ({"read", "swap"} if subset else {"swap"}), kinds
    if not subset:  # the same with indices
        again = _loader(genome, strand_pairs=[(2, 0)], **kw)
        ld.set_epoch(0)
        for a, b in zip(ld, again):
            assert np.array_equal(a.values, b.values, equal_nan=True)
    c = bwl.Collection(genome.bigwigs)
    for bad in ([(0, 0)], [(0, 1), (1, 2)], [(0, 9)], [("nope.bw", 1)], [(0, 1, 2)]):
        with pytest.raises(ValueError, match="strand_pairs"):
            bwl.Loader(c, Tiles(c.chroms(), 100), 4, strand_pairs=bad)


def test_summary(genome):
    """Loader(summary=...) bins as Collection.values(summary=...) on the
    same windows (reverse-complemented rows flipped)."""
    ld = _loader(genome, L=640, window=32, summary="sum", reverse_complement=True, default=0.0, fasta=False)
    c = bwl.Collection(genome.bigwigs)
    for b in ld:
        want = c.values(b.chroms, b.starts, b.ends, window=32, default=0.0, summary="sum")
        want[b.reverse] = want[b.reverse][:, :, ::-1]
        np.testing.assert_array_equal(b.values, want)
        per_base = pybw_values(genome.bigwigs, b.chroms, b.starts, b.ends, 1)
        assert (b.values > np.nanmax(per_base, initial=0)).any()  # sums, not means
    with pytest.raises(ValueError, match="summary"):
        _loader(genome, summary="median")
    tr = bwl.Transform(pow=0.75, soft_clip=1.0)
    ld = _loader(genome, L=640, window=32, summary="sum", transform=tr, default=0.0, fasta=False)
    for b in ld:
        np.testing.assert_array_equal(
            b.values, c.values(b.chroms, b.starts, b.ends, window=32, default=0.0, summary="sum", transform=tr))
    with pytest.raises(ValueError, match="pow"):
        _loader(genome, transform={"pow": -1})


def test_peak_regions_loader(genome, tmp_path):
    """Loader over PeakRegions: one epoch is every peak (and the negatives)
    once, and the values are pyBigWig's on those windows."""
    from bwl.samplers import PeakRegions

    p = tmp_path / "p.narrowPeak"
    p.write_text("".join(f"chr1\t{s}\t{s + 300}\tp\t0\t.\t1\t2\t3\t{s % 250}\n" for s in range(1000, 50_000, 2_500)))
    c = bwl.Collection(genome.bigwigs)
    pk = PeakRegions(str(p), 400, c.chroms(), negatives=0.25, seed=1)
    ld = bwl.Loader(c, pk, 8, fasta=bwl.Fasta(genome.fasta), seed=1)
    assert len(ld) == pk.num_batches(8) == -(-len(pk) // 8)
    n = 0
    for b in ld:
        assert_values_close(b.values, _want_values(genome, b))
        n += len(b.starts)
    assert n == 8 * len(ld) >= len(pk)


@pytest.mark.parametrize("rc", [False, True])
def test_stranded_regions(genome, tmp_path, rc):
    """BED6 regions on the - strand come reverse-complemented (signal and
    sequence, against pyBigWig and pyfaidx); reverse_complement flips at
    random on top of the strand."""
    p = tmp_path / "r.bed"
    p.write_text("chr1\t1000\t5000\ta\t0\t-\nchr1\t9000\t13000\tb\t0\t+\nchr2\t100\t4100\tc\t0\t.\n")
    tiles = Tiles(str(p), 500, 500)
    assert tiles.batch(100, 0)[3].sum() == 8  # the 8 tiles of the - region
    ld = _loader(genome, sampler=tiles, batch_size=7, n_batches=tiles.num_batches(7), reverse_complement=rc, seed=4)
    got_rev = []
    for b in ld:
        assert_values_close(b.values, _want_values(genome, b))
        assert np.array_equal(b.sequence, _want_seq(genome, b))
        got_rev.append(b.reverse)
    got_rev = np.concatenate(got_rev)
    minus = np.arange(24) < 8
    if rc:
        assert 0 < (got_rev != minus).sum() < 24  # random flips on top
    else:
        assert np.array_equal(got_rev, minus)
    with pytest.raises(ValueError, match="strand"):
        (tmp_path / "bad.bed").write_text("chr1\t0\t10\tx\t0\t*\n")
        Tiles(str(tmp_path / "bad.bed"), 5)


def test_chrom_aliases(genome, tmp_path):
    """chrom_aliases: an Ensembl-named FASTA ("1", "MT") and a UCSC-named
    track ("chr1", "chrM") are one genome; queries may use either name; a
    Loader whose regions match nowhere says which names, at construction."""
    seqs = {("MT" if c == "chr3" else c[3:]): s for c, s in genome.seqs.items()}
    ens = tmp_path / "ens.fa"
    ens.write_bytes(fasta_bytes(seqs, 60))
    ref = bwl.Fasta(genome.fasta)
    fa = bwl.Fasta(str(ens), chrom_aliases={"chr3": "MT", "chr1": "1", "chr2": "2"})
    want = ref.onehot(["chr1", "chr3"], [100, 5], [400, 305])
    np.testing.assert_array_equal(fa.onehot(["chr1", "chr3"], [100, 5], [400, 305]), want)
    with pytest.raises(KeyError):
        bwl.Fasta(str(ens)).onehot(["chr1"], [0], [10])
    # tracks: one UCSC-named, one Ensembl-named copy of the same data
    t0 = genome.bigwigs[0]
    f = bwl.open(t0)
    ens_bw = str(tmp_path / "ens.bw")
    ens_name = {c: ("MT" if c == "chr3" else c[3:]) for c in f.chroms()}
    bwl.write(ens_bw, {ens_name[c]: n for c, n in f.chroms().items()}, {ens_name[c]: f.intervals(c) for c in f.chroms()})
    c = bwl.Collection([t0, ens_bw], chrom_aliases={"chr3": "MT", "chrM": "MT"} | {f"chr{i}": str(i) for i in (1, 2)})
    assert c.chrom_names() == ["chr1", "chr2", "chr3"]  # the first track's names
    v = c.values(["chr1", "2", "MT"], [10, 20, 30], [510, 520, 530])
    np.testing.assert_array_equal(v[:, 0], v[:, 1])  # both tracks read every window
    assert not np.isnan(v).all()
    # the UCSC/Ensembl rule without a map: chr prefix optional, chrM == MT
    auto = bwl.Collection([ens_bw], chrom_aliases="ucsc-ensembl")
    np.testing.assert_array_equal(auto.values(["chr1"], [10], [510]), auto.values(["1"], [10], [510]))
    # a Loader over Ensembl-named regions on UCSC-named tracks
    regions = (np.array(["1", "2"]), np.array([0, 0]), np.array([20_000, 20_000]))
    tracks = bwl.Collection(genome.bigwigs)
    with pytest.raises(ValueError, match="2 chromosome.*not in the tracks: 1, 2"):
        bwl.Loader(tracks, Tiles(regions, 1000), 4)
    ld = bwl.Loader(bwl.Collection(genome.bigwigs, chrom_aliases="ucsc-ensembl"), Tiles(regions, 1000), 4,
                    fasta=bwl.Fasta(str(ens), chrom_aliases="ucsc-ensembl"))
    b = next(iter(ld))
    np.testing.assert_array_equal(b.sequence, ref.onehot(["chr" + x for x in b.chroms], b.starts, b.ends))
    with pytest.raises(ValueError, match="chrom_aliases"):
        bwl.Collection(genome.bigwigs, chrom_aliases="gencode")
    both = tmp_path / "both.fa"
    both.write_bytes(fasta_bytes({"chr1": "ACGT", "1": "ACGT"}, 60))
    with pytest.raises(bwl.FormatError, match="one chromosome under the chrom aliases"):
        bwl.Fasta(str(both), chrom_aliases="ucsc-ensembl")


class _EdgeWindows:
    """A sampler whose windows hang over chromosome ends."""
    chroms = np.array(["chr1", "chr2", "chr3"])

    def batch(self, batch_size, index, epoch=0):
        c = np.array(["chr1", "chr2", "chr3", "chr1"])
        s = np.array([-100, 25_000 - 300, -50, 1_000], np.int64)
        return c, s, s + 400

    def num_batches(self, batch_size):
        return 2


def test_loader_oob_pad(genome):
    """Loader(oob="pad"): signal default and sequence zeros outside the
    chromosome; the rest as pyBigWig / pyfaidx give it."""
    c = bwl.Collection(genome.bigwigs)
    with pytest.raises(ValueError):
        next(iter(bwl.Loader(c, _EdgeWindows(), 4, prefetch=0)))
    ld = bwl.Loader(c, _EdgeWindows(), 4, fasta=bwl.Fasta(genome.fasta), oob="pad", default=-1.0, prefetch=0)
    b = next(iter(ld))
    for i, (name, s) in enumerate(zip(b.chroms, b.starts)):
        size = genome.chroms[name]
        lo, hi = max(int(s), 0), min(int(s) + 400, size)
        inside = slice(lo - int(s), hi - int(s))
        want = pybw_values(genome.bigwigs, [name], [lo], [hi])[0]
        np.testing.assert_array_equal(b.values[i][:, inside], np.where(np.isnan(want), -1.0, want))
        outside = np.ones(400, bool)
        outside[inside] = False
        assert (b.values[i][:, outside] == -1.0).all() and (b.sequence[i][outside] == 0).all()
        assert outside.any() or i == 3
    with pytest.raises(ValueError, match="oob"):
        bwl.Loader(c, _EdgeWindows(), 4, oob="wrap")


def test_loader_errors(genome):
    c = bwl.Collection(genome.bigwigs)
    with pytest.raises(ValueError):
        bwl.Loader(c, RandomRegions(c.chroms(), 100, c.chroms()), 4)  # endless sampler, no batches_per_epoch
    with pytest.raises(ValueError):
        bwl.Loader(c, Tiles(c.chroms(), 100), 0)
    # batches live where the collection computes them
    with pytest.raises(ValueError, match="differs from the collection's"):
        bwl.Loader(c, Tiles(c.chroms(), 100), 4, device="cuda")
    assert bwl.Loader(c, Tiles(c.chroms(), 100), 4, device="cpu").collection is c


# ------------------------------------------------------------------ failures


def _data_region(path):
    """(fullDataOffset, fullIndexOffset) from a little-endian bigWig header."""
    order, h = read_header(path)
    assert order == "<"
    return h["fullDataOffset"], h["fullIndexOffset"]


def _bwl_track(path, size=200_000, seed=0):
    rng = np.random.default_rng(seed)
    s = np.arange(0, size, 10, dtype=np.int64)
    bwl.write(path, {"chr1": size}, {"chr1": (s, s + 5, rng.normal(size=len(s)).astype(np.float32))},
              items_per_section=128)


@pytest.mark.parametrize("damage", ["overwrite", "truncate"])
@pytest.mark.parametrize("prefetch", [0, 3])
def test_corrupt_track_raises_in_loop(tmp_path, damage, prefetch):
    good = str(tmp_path / "good.bw")
    bad = str(tmp_path / "bad_track.bw")
    _bwl_track(good, seed=1)
    _bwl_track(bad, seed=2)
    c = bwl.Collection([good, bad])
    t = Tiles({"chr1": 200_000}, 2000)
    ld = bwl.Loader(c, t, 10, prefetch=prefetch)  # 10 batches, in chromosome order
    first = next(iter(ld))
    assert not np.isnan(first.values).all()
    data, index = _data_region(bad)
    cut = data + (index - data) * 6 // 10
    if damage == "overwrite":
        with open(bad, "r+b") as fh:
            fh.seek(cut)
            fh.write(b"\xff" * (index - cut))
    else:
        os.truncate(bad, cut)
    seen = []
    with pytest.raises((bwl.FormatError, OSError)) as ei:
        for b in ld:
            seen.append(b.index)
    assert "bad_track.bw" in str(ei.value)
    assert seen == list(range(len(seen))) and 0 < len(seen) < len(ld)


_EARLY_EXIT = textwrap.dedent(r"""
    import gc, sys, threading, time
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    import bwl
    from bwl.samplers import RandomRegions
    from support.tracks import make_genome
    g = make_genome(sys.argv[2])
    c = bwl.Collection(g.bigwigs)
    fa = bwl.Fasta(g.fasta)
    base = threading.active_count()
    def loader(prefetch):
        return bwl.Loader(c, RandomRegions(c.chroms(), 2000, c.chroms()), 16, fasta=fa,
                          batches_per_epoch=1000, prefetch=prefetch)
    for prefetch in (1, 4):
        for i, b in enumerate(loader(prefetch)):      # break out of a for loop
            if i == 2:
                break
        it = iter(loader(prefetch))                    # explicit close
        next(it)
        it.close()
        try:                                           # an exception in the loop body
            for b in loader(prefetch):
                raise KeyError("user")
        except KeyError:
            pass
        it = iter(loader(prefetch))                    # dropped without closing
        next(it)
        del it
    gc.collect()
    for _ in range(100):
        if threading.active_count() == base:
            break
        time.sleep(0.05)
    print("threads", base, threading.active_count(), flush=True)
    assert threading.active_count() == base, [t.name for t in threading.enumerate()]
    print("OK", flush=True)
""")


def test_early_exit_does_not_hang(tmp_path):
    script = tmp_path / "early.py"
    script.write_text(_EARLY_EXIT)
    r = subprocess.run([sys.executable, str(script), HERE, str(tmp_path)], capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "OK" in r.stdout


def test_auto_buffers_recycled_only_when_free(genome):
    """reuse_buffers="auto" (the default): arrays a caller keeps (a batch, a
    view of one) are never overwritten; arrays it drops are reused."""
    n = 16
    ref = [(b.values.copy(), b.sequence.copy())
           for b in _loader(genome, n_batches=n, reuse_buffers=False, prefetch=0, reverse_complement=True)]
    ld = _loader(genome, n_batches=n, reverse_complement=True)
    ld.set_epoch(0)  # every iteration below: epoch 0
    assert ld.reuse_buffers == "auto"
    ptrs = [b.values.ctypes.data for b in ld]  # drops each batch
    assert len(set(ptrs)) <= ld.prefetch + 4 < n
    kept = list(ld)  # keeps every batch
    assert len({b.values.ctypes.data for b in kept}) == n
    views = []
    for b in ld:
        views.append(b.values[0])  # keeps only a view of each batch's signal
        time.sleep(0.01)  # the builder runs ahead as far as it may
    for (v, s), b, view in zip(ref, kept, views):
        np.testing.assert_array_equal(b.values, v)
        np.testing.assert_array_equal(b.sequence, s)
        np.testing.assert_array_equal(view, v[0])


def test_pin_memory(genome):
    import torch

    with pytest.raises(ValueError, match="reuse_buffers must be"):
        _loader(genome, reuse_buffers="always")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="pin_memory=True needs torch with a CUDA device"):
            _loader(genome, pin_memory=True)
        return
    b = next(iter(_loader(genome, pin_memory=True)))
    assert torch.from_numpy(b.values).is_pinned() and torch.from_numpy(b.sequence).is_pinned()


def test_options_object(genome):
    """Loader(options=BatchOptions(...)) gives the batches the keywords give;
    the loader keeps its options as one value."""
    o = bwl.BatchOptions(window=10, summary="mean0", dtype="float16", layout="BLT", default=0.0)
    a = list(_loader(genome, options=o))
    b = list(_loader(genome, window=10, summary="mean0", dtype="float16", layout="BLT", default=0.0))
    assert all(x.values.tobytes() == y.values.tobytes() for x, y in zip(a, b)) and len(a) == 4
    assert _loader(genome, options=o).options.batch == o
    with pytest.raises(TypeError, match="either options= or dtype="):
        _loader(genome, options=o, dtype="bfloat16")


def test_loader_options_object(genome):
    """Loader(options=LoaderOptions(...)) gives the batches its keywords
    give; a keyword beside it is a TypeError naming it; each field is
    checked when the options are made."""
    c = bwl.Collection(genome.bigwigs)
    fa = bwl.Fasta(genome.fasta)
    s = RandomRegions(c.chroms(), 1000, c.chroms(), seed=1)
    lo = bwl.LoaderOptions(batch=bwl.BatchOptions(window=10, default=0.0), target_crop=2, reverse_complement=True,
                           batches_per_epoch=4, seed=3, prefetch=0, shard=[1, 2])
    a = bwl.Loader(c, s, 8, fasta=fa, options=lo)
    b = bwl.Loader(c, s, 8, fasta=fa, window=10, default=0.0, target_crop=2, reverse_complement=True,
                   batches_per_epoch=4, seed=3, prefetch=0, shard=(1, 2))
    assert a.options == lo == b.options and a.shard == (1, 2) and len(a) == 2
    got, want = list(a), list(b)
    assert len(got) == 2 and any(x.reverse.any() for x in got)
    for x, y in zip(got, want):
        assert x.values.shape == (8, len(genome.bigwigs), 100 - 4)
        assert x.values.tobytes() == y.values.tobytes() and x.sequence.tobytes() == y.sequence.tobytes()
    with pytest.raises(TypeError, match="either options= or seed="):
        bwl.Loader(c, s, 8, options=lo, seed=5)
    with pytest.raises(TypeError, match="either options= or window="):
        bwl.Loader(c, s, 8, options=lo, window=5)
    with pytest.raises(ValueError, match="prefetch"):
        bwl.LoaderOptions(prefetch=-1)
    with pytest.raises(ValueError, match="shard rank"):
        bwl.LoaderOptions(shard=(2, 2))
    with pytest.raises(TypeError, match="tracks must be"):
        bwl.LoaderOptions(tracks=[1, 2])
    with pytest.raises(TypeError, match="batch must be a bwl.BatchOptions"):
        bwl.LoaderOptions(batch={"window": 2})
    with pytest.raises(TypeError, match="options must be a bwl.LoaderOptions or bwl.BatchOptions"):
        bwl.Loader(c, s, 8, options={"window": 2})
