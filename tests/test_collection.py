"""bwl.Collection against pyBigWig.

Every expectation is computed from pyBigWig's ``values(c, s, e, numpy=True)``
(one window, one track at a time) and numpy on it; nothing bwl computes is
used as a reference. Big-endian files (which pyBigWig cannot read) are
checked against pyBigWig reading a little-endian twin written with the same
data and layout.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import glob
import os
import pathlib
import shutil
import warnings

import numpy as np
import pyBigWig
import pytest

import bwl
from support.oracles import bf16_bits
from support.tracks import write_pybigwig

# bytewise-sorted (pyBigWig's chrom tree needs it)
CHROMS: dict[str, int] = {
    "chr1": 150_000,  # many items -> many blocks
    "chr2": 20_000,   # a gap [GAP) with no data in any track
    "chrE": 3_000,    # in every header, no data
    "chrM": 64,       # tiny; data touching both ends in some tracks
    "chrX": 10_000,   # only in some tracks
}
GAP = (8_000, 12_000)  # on chr2
PARTIAL = "chrX"
EMPTY = "chrE"


# --------------------------------------------------------------------------
# data generation


def _vals(rng: np.random.Generator, n: int) -> np.ndarray:
    """float32 values: mostly moderate, some zeros, some beyond float16's range
    and some float16 subnormals (to exercise the conversions)."""
    v = rng.normal(2.0, 4.0, n).astype(np.float32)
    r = rng.random(n)
    v[r < 0.04] = 0.0
    v[(r >= 0.04) & (r < 0.05)] = np.float32(1e5)
    v[(r >= 0.05) & (r < 0.06)] = np.float32(-3.3e-6)
    v[(r >= 0.06) & (r < 0.07)] = np.float32(65519.0)  # rounds to inf in float16
    return v


def _cut(s, e, v, size, chrom):
    keep = e <= size
    if chrom == "chr2":
        keep &= (e <= GAP[0]) | (s >= GAP[1])
    return s[keep].astype(np.int64), e[keep].astype(np.int64), v[keep]


def _gen_bedgraph(rng, chrom, size, n):
    lens = rng.integers(1, 30, n)
    gaps = rng.integers(0, 25, n)
    gaps[rng.random(n) < 0.3] = 0
    gaps[0] = 0
    s = np.cumsum(gaps + np.r_[0, lens[:-1]])
    e = s + lens
    s, e, v = _cut(s, e, _vals(rng, n), size, chrom)
    if len(e) and chrom != "chr2":
        e[-1] = size  # data up to the last base
    return [("bed", s, e, v)]


def _gen_variable(rng, chrom, size, nruns):
    """Runs of equal-span items (one pyBigWig variableStep call each)."""
    runs, pos = [], 1
    for _ in range(nruns):
        span = int(rng.integers(1, 12))
        n = int(rng.integers(5, 60))
        steps = span + rng.integers(0, 6, n)
        s = pos + np.r_[0, np.cumsum(steps[:-1])]
        e = s + span
        s, e, v = _cut(s, e, _vals(rng, n), size, chrom)
        if len(s):
            runs.append(("var", s, e, v, span))
        pos = int(s[-1] + span + rng.integers(0, 200)) if len(s) else pos + 500
        if pos >= size:
            break
    return runs


def _gen_fixed(rng, chrom, size, nruns):
    """Runs of fixedStep items with span <= step (one pyBigWig call each)."""
    runs, pos = [], 0
    for _ in range(nruns):
        span = int(rng.integers(1, 10))
        step = span + int(rng.integers(0, 5))
        n = int(rng.integers(5, 80))
        if pos + step * (n - 1) + span > size:
            n = (size - pos - span) // step + 1
            if n <= 0:
                break
        if chrom == "chr2" and pos < GAP[1] and pos + step * (n - 1) + span > GAP[0]:
            pos = GAP[1] + int(rng.integers(0, 10))
            continue
        s = pos + step * np.arange(n)
        runs.append(("fix", s.astype(np.int64), (s + span).astype(np.int64), _vals(rng, n), span, step))
        pos = int(s[-1] + step + rng.integers(0, 150))  # pyBigWig needs next start >= last start + step
    return runs


def _gen_track(seed: int, kind: str, chroms: list[str]):
    rng = np.random.default_rng(seed)
    data = {}
    for c in chroms:
        size = CHROMS[c]
        if c == EMPTY:
            continue
        if c == "chrM":
            if kind == "bedGraph":
                data[c] = [("bed", np.array([0, 5, 60]), np.array([3, 30, 64]), _vals(rng, 3))]
            elif kind == "variableStep":
                data[c] = [("var", np.array([0, 10, 20]), np.array([4, 14, 24]), _vals(rng, 3), 4)]
            else:
                data[c] = [("fix", np.array([40, 48, 56]), np.array([46, 54, 62]), _vals(rng, 3), 6, 8)]
            continue
        big = c == "chr1"
        if kind == "bedGraph":
            data[c] = _gen_bedgraph(rng, c, size, 9_000 if big else 700)
        elif kind == "variableStep":
            data[c] = _gen_variable(rng, c, size, 250 if big else 40)
        else:
            data[c] = _gen_fixed(rng, c, size, 250 if big else 40)
    return data


def _flat(runs):
    s = np.concatenate([r[1] for r in runs])
    e = np.concatenate([r[2] for r in runs])
    v = np.concatenate([r[3] for r in runs])
    assert np.all(s[1:] >= e[:-1]) and np.all(s < e)
    return s, e, v


@dataclasses.dataclass
class Track:
    path: str
    oracle: str  # file pyBigWig reads for this track's expected values
    chroms: list[str]


@dataclasses.dataclass
class Env:
    tracks: list[Track]
    oracles: list  # open pyBigWig handles, per track

    @property
    def paths(self) -> list[str]:
        return [t.path for t in self.tracks]

    def ref(self, chroms, starts, ends, tracks=None) -> np.ndarray:
        """(B, T, L) float32 from pyBigWig, NaN where no data or no chrom."""
        idx = range(len(self.tracks)) if tracks is None else list(tracks)
        L = int(ends[0]) - int(starts[0])
        out = np.full((len(chroms), len(idx), L), np.nan, np.float32)
        for b, (c, s, e) in enumerate(zip(chroms, starts, ends)):
            for j, t in enumerate(idx):
                if c in self.tracks[t].chroms:
                    out[b, j] = self.oracles[t].values(c, int(s), int(e), numpy=True)
        return out

    def whole(self, chrom, tracks=None) -> np.ndarray:
        return self.ref([chrom], [0], [CHROMS[chrom]], tracks)[0]


ALL = list(CHROMS)
NO_X = [c for c in ALL if c != PARTIAL]

SPECS = [
    # name, kind, writer, chroms, kwargs for bwl.write
    ("t0_pybw_bedgraph", "bedGraph", "pybw", ALL, None),
    ("t1_pybw_variable", "variableStep", "pybw", NO_X, None),
    ("t2_pybw_fixed", "fixedStep", "pybw", ALL, None),
    ("t3_bwl_bedgraph_le_zlib", "bedGraph", "bwl", NO_X, dict(type="bedGraph", items_per_section=8)),
    ("t4_bwl_variable_be_zlib", "variableStep", "bwl", ALL, dict(type="variableStep", items_per_section=8, endian="big")),
    ("t5_bwl_fixed_le_raw", "fixedStep", "bwl", NO_X, dict(type="fixedStep", items_per_section=8, compress=False)),
    ("t6_bwl_bedgraph_be_raw", "bedGraph", "bwl", ALL,
     dict(type="bedGraph", items_per_section=16, endian="big", compress=False)),
    ("t7_bwl_fixed_be_zlib", "fixedStep", "bwl", ALL, dict(type="fixedStep", items_per_section=5, endian="big")),
]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("coll")
    (d / "twins").mkdir()
    tracks = []
    for i, (name, kind, writer, chroms, kw) in enumerate(SPECS):
        data = _gen_track(1000 + i, kind, chroms)
        truth = {c: _flat(data[c]) for c in chroms if c in data}
        sizes = {c: CHROMS[c] for c in chroms}
        path = str(d / f"{name}.bw")
        if writer == "pybw":  # one pyBigWig call per run (write_pybigwig finds _gen_track's runs again)
            write_pybigwig(path, kind, truth, sizes, max_zooms=2)
            oracle = path
        else:
            bwl.write(path, sizes, truth, **kw)
            oracle = path
            if kw.get("endian") == "big":
                oracle = str(d / "twins" / f"{name}.le.bw")
                bwl.write(oracle, sizes, truth, **{**kw, "endian": "little"})
        tracks.append(Track(path, oracle, list(chroms)))
    handles = [pyBigWig.open(t.oracle) for t in tracks]
    e = Env(tracks, handles)
    # The data must really have what the tests rely on.
    for t, h in enumerate(handles):
        assert set(h.chroms()) == set(tracks[t].chroms)
        v = e.whole("chr1", [t])[0]
        assert np.isnan(v).any() and (~np.isnan(v)).sum() > 10_000
        assert np.isnan(e.whole(EMPTY, [t])).all()
        assert np.isnan(e.whole("chr2", [t])[0, GAP[0]:GAP[1]]).all()
    yield e
    for h in handles:
        h.close()


@pytest.fixture(scope="module")
def coll(env):
    return bwl.Collection(env.paths)


def _windows(rng, L, n, chroms=("chr1", "chr2", PARTIAL, EMPTY)):
    cs, ss = [], []
    for _ in range(n):
        c = chroms[int(rng.integers(len(chroms)))]
        cs.append(c)
        ss.append(int(rng.integers(0, CHROMS[c] - L + 1)))
    # chrom starts and ends, overlapping and duplicate windows
    for c in chroms:
        cs += [c, c]
        ss += [0, CHROMS[c] - L]
    cs += ["chr1", "chr1", "chr1", "chr1"]
    ss += [5000, 5000 + L // 3, 5000 + L // 2, 5000]
    s = np.array(ss, np.int64)
    return np.array(cs), s, s + L


# --------------------------------------------------------------------------
# values: window = 1


def test_values_random_windows_all_types(env, coll):
    rng = np.random.default_rng(1)
    c, s, e = _windows(rng, 1000, 60)
    got = coll.values(c, s, e)
    assert got.shape == (len(c), len(env.tracks), 1000) and got.dtype == np.float32
    ref = env.ref(c, s, e)
    assert np.isnan(ref).any() and (~np.isnan(ref)).any()
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("L", [1, 7, 64, 4096])
def test_values_lengths_and_chrom_ends(env, coll, L):
    rng = np.random.default_rng(L)
    chroms = tuple(c for c in CHROMS if CHROMS[c] >= L)
    c, s, e = _windows(rng, L, 40, chroms)
    np.testing.assert_array_equal(coll.values(c, s, e), env.ref(c, s, e))


def test_tiny_chrom_whole_and_edges(env, coll):
    c = np.array(["chrM"] * 4)
    for L in (64, 16, 1):
        s = np.array([0, 64 - L, (64 - L) // 2, 0])
        ref = env.ref(c, s, s + L)
        np.testing.assert_array_equal(coll.values(c, s, s + L), ref)
    whole = env.ref(["chrM"], [0], [64])
    assert (~np.isnan(whole[0, :, 0])).any() and (~np.isnan(whole[0, :, 63])).any()


def test_overlapping_and_duplicate_windows(env, coll):
    # many windows sharing blocks, in scrambled order, with exact duplicates
    s = np.r_[np.arange(40_000, 42_000, 37), np.arange(40_000, 41_000, 111), [40_500] * 5]
    s = np.random.default_rng(5).permutation(s)
    c = np.array(["chr1"] * len(s))
    e = s + 700
    got = coll.values(c, s, e)
    np.testing.assert_array_equal(got, env.ref(c, s, e))
    dup = np.flatnonzero(s == 40_500)
    assert len(dup) >= 5
    for k in dup[1:]:
        np.testing.assert_array_equal(got[k], got[dup[0]])


def test_single_window_B1(env, coll):
    for c, s in (("chr1", 123_456), ("chr2", 0), (PARTIAL, 9_000), ("chrM", 0)):
        L = min(1000, CHROMS[c] - s)
        got = coll.values([c], [s], [s + L])
        assert got.shape == (1, len(env.tracks), L)
        np.testing.assert_array_equal(got, env.ref([c], [s], [s + L]))


@pytest.mark.parametrize("t", range(len(SPECS)))
def test_single_track_T1(env, t):
    rng = np.random.default_rng(10 + t)
    c, s, e = _windows(rng, 500, 30, tuple(x for x in ("chr1", "chr2", PARTIAL, EMPTY) if x in env.tracks[t].chroms))
    one = bwl.Collection([env.paths[t]])
    got = one.values(c, s, e)
    assert got.shape == (len(c), 1, 500)
    np.testing.assert_array_equal(got, env.ref(c, s, e, [t]))


def test_windows_in_gap_are_nan(env, coll):
    s = np.array([GAP[0], GAP[0] + 1000, GAP[1] - 500])
    c = np.array(["chr2"] * 3)
    e = s + 500
    ref = env.ref(c, s, e)
    assert np.isnan(ref).all()
    got = coll.values(c, s, e)
    assert np.isnan(got).all()
    got0 = coll.values(c, s, e, default=0.0)
    np.testing.assert_array_equal(got0, np.zeros_like(got0))
    # the empty chrom too
    got = coll.values([EMPTY, EMPTY], [0, 2000], [1000, 3000], default=-2.5)
    np.testing.assert_array_equal(got, np.full(got.shape, -2.5, np.float32))


def test_chrom_missing_from_some_tracks(env, coll):
    s = np.array([0, 4000, 9000])
    c = np.array([PARTIAL] * 3)
    e = s + 1000
    got = coll.values(c, s, e, default=-1.0)
    ref = env.ref(c, s, e)
    missing = [t for t, tr in enumerate(env.tracks) if PARTIAL not in tr.chroms]
    present = [t for t in range(len(env.tracks)) if t not in missing]
    assert missing and present
    np.testing.assert_array_equal(got[:, missing], np.full((3, len(missing), 1000), -1.0, np.float32))
    np.testing.assert_array_equal(got, np.where(np.isnan(ref), np.float32(-1.0), ref))
    assert (~np.isnan(ref[:, present])).any()


@pytest.mark.parametrize("default", [np.nan, 0.0, -3.5, 1e30])
def test_default_value(env, coll, default):
    rng = np.random.default_rng(7)
    c, s, e = _windows(rng, 300, 20)
    ref = env.ref(c, s, e)
    want = np.where(np.isnan(ref), np.float32(default), ref)
    np.testing.assert_array_equal(coll.values(c, s, e, default=default), want)


def test_integer_chrom_indices(env, coll):
    names = coll.chrom_names()
    c = np.array(["chr1", "chr2", PARTIAL])
    s = np.array([100, 200, 300])
    idx = np.array([names.index(x) for x in c])
    np.testing.assert_array_equal(coll.values(idx, s, s + 100), env.ref(c, s, s + 100))


# --------------------------------------------------------------------------
# window pooling


def _pool(ref: np.ndarray, w: int, default: float) -> np.ndarray:
    B, T, L = ref.shape
    r = ref.reshape(B, T, L // w, w).astype(np.float64)
    n = (~np.isnan(r)).sum(-1)
    sm = np.nansum(r, -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = sm / n
    return np.where(n > 0, m, default).astype(np.float32)


@pytest.mark.parametrize("w,L", [(2, 1000), (10, 1000), (100, 1000), (128, 1280), (1000, 1000)])
@pytest.mark.parametrize("default", [np.nan, 0.25])
def test_window_pooling(env, coll, w, L, default):
    rng = np.random.default_rng(w + L)
    c, s, e = _windows(rng, L, 30)
    ref = env.ref(c, s, e)
    want = _pool(ref, w, default)
    got = coll.values(c, s, e, window=w, default=default)
    assert got.shape == (len(c), len(env.tracks), L // w)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)
    # some bins partially covered: the mean is over covered bases only
    part = (np.isnan(ref.reshape(*want.shape, w)).any(-1) & (~np.isnan(ref.reshape(*want.shape, w))).any(-1))
    if w > 1:
        assert part.any()


@pytest.mark.parametrize("summary", ["sum", "mean0", "max", "min"])
@pytest.mark.parametrize("w,L,default", [(10, 1000, np.nan), (128, 1280, 0.25), (7, 700, -1.0)])
def test_window_summaries(env, coll, summary, w, L, default):
    """summary=: each bin against numpy over env.ref's per-base values (NaN =
    no data): sum = value x covered bases, mean0 = sum / window (0 where
    nothing is covered), max / min over covered bases; default where no base
    is covered (mean0: 0). Both layouts."""
    rng = np.random.default_rng(w + L + len(summary))
    c, s, e = _windows(rng, L, 30)
    r = env.ref(c, s, e).astype(np.float64)
    r = r.reshape(*r.shape[:2], L // w, w)
    n = (~np.isnan(r)).sum(-1)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN bins
        x = {"sum": np.nansum(r, -1), "mean0": np.nansum(r, -1) / w, "max": np.nanmax(r, -1),
             "min": np.nanmin(r, -1)}[summary]
    want = np.where(n > 0, x, 0.0 if summary == "mean0" else default).astype(np.float32)
    got = coll.values(c, s, e, window=w, default=default, summary=summary)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)
    assert (n == 0).any() and (n == w).any() and ((n > 0) & (n < w)).any()  # empty, full and partial bins
    blt = coll.values(c, s, e, window=w, default=default, summary=summary, layout="BLT")
    np.testing.assert_array_equal(blt, got.transpose(0, 2, 1))
    with pytest.raises(ValueError, match="summary"):
        coll.values(c, s, e, window=w, summary="median")


def _np_transform(x, pow=1.0, soft_clip=None, clip=None, log1p=False):
    """numpy's reading of bwl.Transform (float64, NaN kept)."""
    v = x.astype(np.float64)
    if pow != 1.0:
        v = np.sign(v) * np.abs(v) ** pow
    if soft_clip is not None:
        v = np.where(v > soft_clip, soft_clip + np.sqrt(np.maximum(v - soft_clip, 0)), v)
    if clip is not None:
        lo, hi = (-clip, clip) if np.isscalar(clip) else clip
        v = np.clip(v, lo, hi)
    if log1p:
        with np.errstate(invalid="ignore"):
            v = np.log1p(v)
    return v.astype(np.float32)


@pytest.mark.parametrize("tr", [dict(pow=0.75, soft_clip=1.5, clip=(-1.0, 3.0)), dict(clip=(-0.5, 10.0), log1p=True),
                                dict(soft_clip=0.2), dict(pow=2.0, clip=4.0)])
@pytest.mark.parametrize("w,summary", [(1, "mean"), (10, "mean"), (16, "sum"), (5, "max")])
def test_transforms(env, coll, tr, w, summary):
    """transform=: numpy over pyBigWig's values (per base, or the bin
    summary), on values from data only: the default stays as given."""
    rng = np.random.default_rng(w + len(tr))
    c, s, e = _windows(rng, 400, 30)
    ref = env.ref(c, s, e)
    default = -7.0
    if w == 1:
        want = np.where(np.isnan(ref), default, _np_transform(ref, **tr))
    else:
        pooled = coll.values(c, s, e, window=w, default=np.nan, summary=summary)
        want = np.where(np.isnan(pooled), default, _np_transform(pooled, **tr))
    got = coll.values(c, s, e, window=w, default=default, summary=summary, transform=bwl.Transform(**tr))
    np.testing.assert_allclose(got, want, rtol=2e-7, atol=0)
    assert (got == default).any() and (got != default).any()
    assert np.array_equal(coll.values(c, s, e, window=w, default=default, summary=summary, transform=tr), got)  # a dict


def test_transform_errors(coll):
    with pytest.raises(ValueError, match="pow"):
        bwl.Transform(pow=0)
    with pytest.raises(ValueError, match="clip"):
        bwl.Transform(clip=(2, 1))
    with pytest.raises(TypeError, match="transform"):
        coll.values(["chr1"], [0], [10], transform=3)
    t = bwl.Transform()._core()  # no transform: the identity the core skips
    assert (t.pow, t.soft_clip, t.clip_lo, t.clip_hi, t.log1p) == (1.0, float("inf"), float("-inf"), float("inf"), False)


def _padded_ref(env, c, s, L):
    """Per-base pyBigWig values of windows that may leave their chromosome
    (NaN outside it, as for no data)."""
    out = np.full((len(c), len(env.tracks), L), np.nan, np.float32)
    for b, (name, st) in enumerate(zip(c, s)):
        lo, hi = max(int(st), 0), min(int(st) + L, CHROMS[name])
        if lo < hi:
            out[b, :, lo - int(st):hi - int(st)] = env.ref([name], [lo], [hi])[0]
    return out


@pytest.mark.parametrize("w,summary", [(1, "mean"), (10, "mean"), (10, "mean0"), (25, "sum")])
@pytest.mark.parametrize("layout", ["BTL", "BLT"])
def test_oob_pad(env, coll, w, summary, layout):
    """oob="pad": windows over either chromosome end, or wholly outside,
    read as if the chromosome went on without data: a bin over the end
    summarises its bases inside (mean0 still divides by the bin size)."""
    L = 500
    c = ["chr1", "chr1", "chr2", "chr2", "chr1", "chrE", "chr1"]
    s = [-123, -500, 20_000 - 377, 20_000 + 40, 1_000, -7, 150_000 - 500]
    r = _padded_ref(env, c, s, L).astype(np.float64)
    r = r.reshape(*r.shape[:2], L // w, w)
    n = (~np.isnan(r)).sum(-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x = {"mean": np.nanmean(r, -1), "sum": np.nansum(r, -1), "mean0": np.nansum(r, -1) / w}[summary]
    want = np.where(n > 0, x, 0.0 if summary == "mean0" and w > 1 else -2.0).astype(np.float32)
    got = coll.values(c, s, np.array(s) + L, window=w, default=-2.0, summary=summary, layout=layout, oob="pad")
    if layout == "BLT":
        got = got.transpose(0, 2, 1)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)
    assert (n[0] > 0).any() and (n[1] == 0).all() and (n[3] == 0).all()  # partly in, wholly out (left, right)
    inside = coll.values(c[4:5], s[4:5], [s[4] + L], window=w, default=-2.0, summary=summary, layout=layout)
    np.testing.assert_array_equal(got[4:5], inside if layout == "BTL" else inside.transpose(0, 2, 1))
    with pytest.raises(ValueError):
        coll.values(c, s, np.array(s) + L, window=w)  # oob="error" is the default
    tiny = coll.values(["chrM"], [-3], [77], window=8, oob="pad")  # longer than the chromosome, both ends out
    np.testing.assert_array_equal(tiny, coll.values(["chrM"], [-3], [77], window=8, oob="pad"))
    r = _padded_ref(env, ["chrM"], [-3], 80).reshape(1, -1, 10, 8)
    assert np.array_equal(np.isnan(tiny), ~(~np.isnan(r)).any(-1))
    with pytest.raises(ValueError, match="oob"):
        coll.values(c, s, np.array(s) + L, oob="clip")


def test_window_pooling_blt_f16(env, coll):
    rng = np.random.default_rng(3)
    c, s, e = _windows(rng, 1280, 20)
    want = _pool(env.ref(c, s, e), 128, np.nan)
    got = coll.values(c, s, e, window=128, layout="BLT", dtype="float16")
    assert got.shape == (len(c), 10, len(env.tracks)) and got.dtype == np.float16
    # float16 of the float32 mean: compare after rounding the oracle the same way
    np.testing.assert_allclose(got.transpose(0, 2, 1).astype(np.float32), want.astype(np.float16).astype(np.float32),
                               rtol=1e-3)


# --------------------------------------------------------------------------
# dtypes and layouts


def test_float16(env, coll):
    rng = np.random.default_rng(11)
    c, s, e = _windows(rng, 2000, 30)
    ref = env.ref(c, s, e)
    assert (np.abs(ref) > 65504).any(), "data should include values that overflow float16"
    assert ((np.abs(ref) > 0) & (np.abs(ref) < 6e-5)).any(), "data should include float16 subnormals"
    got = coll.values(c, s, e, dtype="float16")
    assert got.dtype == np.float16 and got.shape == ref.shape
    with np.errstate(over="ignore"):
        want = ref.astype(np.float16)
    np.testing.assert_array_equal(got, want)
    got = coll.values(c, s, e, dtype="float16", default=0.0)
    np.testing.assert_array_equal(got, np.nan_to_num(want, nan=0.0, posinf=np.inf, neginf=-np.inf))


def _check_bf16(got: np.ndarray, ref: np.ndarray):
    bits = got.view(np.uint16)
    nan = np.isnan(ref)
    assert np.all((bits[nan] & 0x7FFF) > 0x7F80), "NaN must stay NaN"
    assert np.all((bits[~nan] & 0x7FFF) <= 0x7F80)
    np.testing.assert_array_equal(bits[~nan], bf16_bits(ref[~nan]))


def test_bfloat16(env, coll):
    rng = np.random.default_rng(12)
    c, s, e = _windows(rng, 2000, 30)
    ref = env.ref(c, s, e)
    got = coll.values(c, s, e, dtype="bfloat16")
    assert got.dtype == bwl.bfloat16_dtype() and got.dtype.itemsize == 2 and got.shape == ref.shape
    _check_bf16(got, ref)


def test_bfloat16_rounding_ties():
    # the test's own reference: ties to even, carries into the exponent
    x = np.array([1.0, 1.00390625, 1.01171875, 1.0078125 + 2 ** -24, np.finfo(np.float32).max, -2.5], np.float32)
    b = bf16_bits(x)
    assert b.tolist() == [0x3F80, 0x3F80, 0x3F82, 0x3F81, 0x7F80, 0xC020]


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_layout_blt(env, coll, dtype):
    rng = np.random.default_rng(13)
    c, s, e = _windows(rng, 640, 25)
    btl = coll.values(c, s, e, dtype=dtype)
    blt = coll.values(c, s, e, dtype=dtype, layout="BLT")
    assert blt.shape == (len(c), 640, len(env.tracks))
    assert blt.flags.c_contiguous
    np.testing.assert_array_equal(blt.view(np.uint16 if dtype != "float32" else np.uint32),
                                  btl.transpose(0, 2, 1).view(np.uint16 if dtype != "float32" else np.uint32))
    ref = env.ref(c, s, e)
    if dtype == "float32":
        np.testing.assert_array_equal(blt, ref.transpose(0, 2, 1))
    # pooled, BLT
    got = coll.values(c, s, e, window=10, layout="BLT")
    np.testing.assert_allclose(got, _pool(ref, 10, np.nan).transpose(0, 2, 1), rtol=1e-6)


# --------------------------------------------------------------------------
# out=


@pytest.mark.parametrize("dtype,np_dtype", [("float32", np.float32), ("float16", np.float16),
                                            ("bfloat16", None)])
@pytest.mark.parametrize("layout", ["BTL", "BLT"])
def test_out_written_and_returned(env, coll, dtype, np_dtype, layout):
    np_dtype = np_dtype or bwl.bfloat16_dtype()
    rng = np.random.default_rng(14)
    c, s, e = _windows(rng, 200, 10)
    T = len(env.tracks)
    shape = (len(c), T, 100) if layout == "BTL" else (len(c), 100, T)
    out = np.empty(shape, np_dtype)
    out.view(np.uint16 if out.itemsize == 2 else np.uint32)[...] = 0x1234  # sentinel bits
    r = coll.values(c, s, e, window=2, dtype=dtype, layout=layout, out=out)
    assert r is out
    want = coll.values(c, s, e, window=2, dtype=dtype, layout=layout)
    view = np.uint16 if out.itemsize == 2 else np.uint32
    np.testing.assert_array_equal(out.view(view), want.view(view))
    ref = _pool(env.ref(c, s, e), 2, np.nan)
    if layout == "BLT":
        ref = ref.transpose(0, 2, 1)
    if dtype == "float32":
        np.testing.assert_allclose(out, ref, rtol=1e-6)
    elif dtype == "float16":
        with np.errstate(over="ignore"):
            np.testing.assert_allclose(out.astype(np.float32), ref.astype(np.float16).astype(np.float32), rtol=1e-3)
    assert not (out.view(view) == 0x1234).all(axis=-1).any()


def test_out_bad_shape_or_dtype(env, coll):
    c, s = ["chr1", "chr2"], np.array([0, 100])
    e = s + 100
    T = len(env.tracks)
    bad = [
        (dict(), np.empty((2, T, 99), np.float32)),
        (dict(), np.empty((2, 100, T), np.float32)),  # BLT shape for BTL
        (dict(), np.empty((3, T, 100), np.float32)),
        (dict(), np.empty((2, T, 100), np.float64)),
        (dict(), np.empty((2, T, 100), np.float16)),
        (dict(dtype="float16"), np.empty((2, T, 100), np.float32)),
        (dict(window=10), np.empty((2, T, 100), np.float32)),
        (dict(layout="BLT"), np.empty((2, T, 100), np.float32)),
        (dict(), np.empty((2, 100, T), np.float32).transpose(0, 2, 1)),  # right shape, not contiguous
        (dict(tracks=[0, 1]), np.empty((2, T, 100), np.float32)),
    ]
    for kw, out in bad:
        with pytest.raises(ValueError):
            coll.values(c, s, e, out=out, **kw)


def test_out_wrong_kind_same_itemsize(env, coll):
    """An int32 buffer for float32 output is the wrong dtype, even if the size matches."""
    T = len(env.tracks)
    with pytest.raises(ValueError):
        coll.values(["chr1"], [0], [100], out=np.empty((1, T, 100), np.int32))


def test_new_array_each_call(env, coll):
    c, s = ["chr1", "chr1"], np.array([10_000, 20_000])
    a = coll.values(c, s, s + 500)
    b = coll.values(c, s, s + 500)
    assert a is not b and not np.shares_memory(a, b)
    keep = a.copy()
    coll.values(["chr2"] * 2, [0, 100], [500, 600])
    np.testing.assert_array_equal(a, keep)  # an earlier result is never overwritten
    np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------
# tracks= and scale=


@pytest.mark.parametrize("tracks", [[5, 0, 3], [7], [6, 0, 3, 3], list(range(len(SPECS)))[::-1]])
def test_tracks_subset_and_order(env, coll, tracks):
    rng = np.random.default_rng(15)
    c, s, e = _windows(rng, 400, 20)
    got = coll.values(c, s, e, tracks=np.array(tracks))
    assert got.shape == (len(c), len(tracks), 400)
    np.testing.assert_array_equal(got, env.ref(c, s, e, tracks))
    got = coll.values(c, s, e, tracks=tracks, layout="BLT", window=4, default=0)
    np.testing.assert_allclose(got, _pool(env.ref(c, s, e, tracks), 4, 0).transpose(0, 2, 1), rtol=1e-6)


def test_tracks_out_of_range(env, coll):
    with pytest.raises((ValueError, IndexError)):
        coll.values(["chr1"], [0], [10], tracks=[len(env.tracks)])


def _scaled(ref, scale, default):
    sc = np.asarray(scale, np.float32)[None, :, None]
    return np.where(np.isnan(ref), np.float32(default), ref * sc).astype(np.float32)


def test_scale_list(env):
    T = len(env.tracks)
    scale = [0.5, 2.0, -1.0, 3.25, 1.0, 0.1, 7.0, 0.0][:T]
    c = bwl.Collection(env.paths, scale=scale)
    np.testing.assert_array_equal(c.scale, np.asarray(scale, np.float32))
    rng = np.random.default_rng(16)
    ch, s, e = _windows(rng, 300, 20)
    ref = env.ref(ch, s, e)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(c.values(ch, s, e, default=-7.0), _scaled(ref, scale, -7.0))
        np.testing.assert_array_equal(c.values(ch, s, e), _scaled(ref, scale, np.nan))
    got = c.values(ch, s, e, window=10, default=-7.0)
    np.testing.assert_allclose(got, _pool(ref * np.asarray(scale, np.float32)[None, :, None], 10, -7.0), rtol=1e-6)
    got = c.values(ch, s, e, tracks=[6, 1])
    np.testing.assert_array_equal(got, _scaled(env.ref(ch, s, e, [6, 1]), [scale[6], scale[1]], np.nan))
    with pytest.raises(ValueError):
        bwl.Collection(env.paths, scale=scale[:-1])


def test_scale_dict(env):
    p = env.paths
    name0 = os.path.basename(p[0])  # by file name
    stem2 = os.path.splitext(os.path.basename(p[2]))[0]  # by stem
    scale = {name0: 2.0, stem2: -0.5, p[5]: 4.0}  # by path
    want = np.ones(len(p), np.float32)
    want[[0, 2, 5]] = [2.0, -0.5, 4.0]
    c = bwl.Collection(p, scale=scale)
    np.testing.assert_array_equal(c.scale, want)
    rng = np.random.default_rng(17)
    ch, s, e = _windows(rng, 300, 20)
    np.testing.assert_array_equal(c.values(ch, s, e, default=9.0), _scaled(env.ref(ch, s, e), want, 9.0))
    with pytest.raises(KeyError):
        bwl.Collection(p, scale={"not_a_track": 2.0})


# --------------------------------------------------------------------------
# threads, concurrency, caches


def test_threads_identical(env):
    rng = np.random.default_rng(18)
    c, s, e = _windows(rng, 1000, 50)
    ref = env.ref(c, s, e)
    pooled = _pool(ref, 10, np.nan)
    first = None
    for n in (1, 2, 4, 8):
        col = bwl.Collection(env.paths, threads=n)
        got = col.values(c, s, e)
        np.testing.assert_array_equal(got, ref)
        p = col.values(c, s, e, window=10, dtype="bfloat16")
        if first is None:
            first = p
            _check_bf16(p, pooled)
        np.testing.assert_array_equal(p.view(np.uint16), first.view(np.uint16))


def test_concurrent_calls(env):
    col = bwl.Collection(env.paths, threads=4, decoded_cache=1 << 20)
    sets = []
    for k in range(16):
        rng = np.random.default_rng(100 + k)
        L = [100, 256, 1000, 640][k % 4]
        sets.append((_windows(rng, L, 20), [1, 2, 1, 10][k % 4], ["BTL", "BLT"][k % 2]))
    serial = [col.values(*w, window=win, layout=lay) for w, win, lay in sets]

    def job(i):
        w, win, lay = sets[i % len(sets)]
        return i, col.values(*w, window=win, layout=lay)

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        results = list(ex.map(job, range(64)))
    for i, got in results:
        np.testing.assert_array_equal(got, serial[i % len(sets)])
    # and the serial results are right
    for (w, win, lay), got in zip(sets[:4], serial[:4]):
        want = _pool(env.ref(*w), win, np.nan)
        if lay == "BLT":
            want = want.transpose(0, 2, 1)
        np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("kw", [dict(cache="host"), dict(decoded_cache=1 << 22), dict(decoded_cache=4096),
                                dict(cache="host", decoded_cache=1 << 22)])
def test_caches_same_results(env, kw):
    col = bwl.Collection(env.paths, **kw)
    rng = np.random.default_rng(19)
    c, s, e = _windows(rng, 1000, 40)
    ref = env.ref(c, s, e)
    a = col.values(c, s, e)
    np.testing.assert_array_equal(a, ref)
    b = col.values(c, s, e)
    np.testing.assert_array_equal(b, ref)
    p = col.values(c, s, e, window=100, layout="BLT")
    np.testing.assert_allclose(p, _pool(ref, 100, np.nan).transpose(0, 2, 1), rtol=1e-6)
    info = col.cache_info()
    assert isinstance(info, dict)
    if kw.get("decoded_cache", 0) >= 1 << 22:
        assert info["decoded_hits"] > 0 and info["decoded_misses"] > 0, info
        assert 0 < info["decoded_bytes"] <= info["decoded_max_bytes"] == kw["decoded_cache"], info
    elif kw.get("decoded_cache"):
        assert info["decoded_bytes"] <= info["decoded_max_bytes"], info
    if kw.get("cache") == "host":
        assert info["host_bytes"] > 0, info


def test_decoded_cache_extends_prefixes(env):
    """Blocks are inflated only as far as a batch reads and cached so; a
    later batch reading further into the same blocks extends the cached
    bytes, inflating on from where the cached prefix stopped (not from the
    block's start), and one reading less is served from them, every value
    right."""
    col = bwl.Collection(env.paths, decoded_cache=1 << 24)
    size = min(CHROMS["chr1"], 60_000)
    grown = []
    for start in list(range(0, size - 500, 7_000)) + [7_000, 0]:  # then two windows read before
        s = [start, max(0, start - 200)]
        c, e = ["chr1"] * 2, [x + 500 for x in s]
        np.testing.assert_array_equal(col.values(c, s, e), env.ref(c, s, e), err_msg=str(start))
        grown.append(col.cache_info()["decoded_bytes"])
    assert grown[-1] == grown[-3] > grown[0], grown  # later windows needed more; going back needed nothing new
    assert col.cache_info()["decoded_resumes"] > 0


def test_preload(env):
    """preload=True: every block inflated into the decoded cache at open;
    batches then inflate nothing (no misses), every value right; a budget
    too small is an error naming it, not a silent eviction storm."""
    col = bwl.Collection(env.paths, decoded_cache=1 << 26, preload=True)
    held = col.cache_info()["decoded_bytes"]
    assert held > 0 and col.cache_info()["decoded_misses"] == 0
    rng = np.random.default_rng(29)
    for _ in range(3):
        c, s, e = _windows(rng, 1000, 40)
        np.testing.assert_array_equal(col.values(c, s, e), env.ref(c, s, e))
        np.testing.assert_allclose(col.values(c, s, e, window=100), _pool(env.ref(c, s, e), 100, np.nan), rtol=1e-6)
    info = col.cache_info()
    assert info["decoded_misses"] == 0 and info["decoded_hits"] > 0 and info["decoded_bytes"] == held
    assert info["decoded_evictions"] == 0
    with pytest.raises(ValueError, match="decoded_cache=4096"):
        bwl.Collection(env.paths, decoded_cache=4096, preload=True)
    with pytest.raises(ValueError, match="needs decoded_cache"):
        bwl.Collection(env.paths, preload=True)


def test_no_cache_info(env, coll):
    info = coll.cache_info()
    assert info.get("host_bytes", 0) == 0 and info.get("decoded_hits", 0) == 0, info


# --------------------------------------------------------------------------
# errors


def test_error_lengths_differ(coll):
    with pytest.raises(ValueError):
        coll.values(["chr1", "chr1"], [0, 100], [100, 250])


@pytest.mark.parametrize("L,w", [(100, 3), (1000, 128), (10, 0), (10, 20)])
def test_error_window_not_dividing(coll, L, w):
    with pytest.raises(ValueError):
        coll.values(["chr1"], [0], [L], window=w)


@pytest.mark.parametrize("chrom,start,end", [
    ("chr1", -1, 99), ("chr1", CHROMS["chr1"] - 99, CHROMS["chr1"] + 1), ("chrM", 0, 65),
    ("chr2", CHROMS["chr2"], CHROMS["chr2"] + 10), (PARTIAL, -100, 0), ("chr1", 10, 10), ("chr1", 10, 5),
])
def test_error_out_of_range(coll, chrom, start, end):
    with pytest.raises(ValueError):
        coll.values(["chr1", chrom], [0, start], [end - start, end])


def test_error_bad_range_among_many(coll):
    s = np.arange(0, 50_000, 1000)
    s[-1] = CHROMS["chr1"] - 10
    with pytest.raises(ValueError):
        coll.values(["chr1"] * len(s), s, s + 100)


def test_error_unknown_chrom(coll):
    with pytest.raises(KeyError):
        coll.values(["chr1", "chrNope"], [0, 0], [10, 10])


def test_error_bad_args(coll):
    with pytest.raises(ValueError):
        coll.values(["chr1"], [0], [10], dtype="float64")
    with pytest.raises(ValueError):
        coll.values(["chr1"], [0], [10], layout="TBL")
    with pytest.raises(ValueError):
        coll.values(["chr1", "chr2"], [0], [10])
    with pytest.raises(ValueError):
        coll.values([], [], [])


def test_error_nonexistent(env, tmp_path):
    with pytest.raises((FileNotFoundError, OSError)) as ei:
        bwl.Collection([env.paths[0], str(tmp_path / "missing.bw")])
    assert "missing.bw" in str(ei.value)
    with pytest.raises((FileNotFoundError, OSError)):
        bwl.Collection(str(tmp_path / "nothing_*.bw"))
    empty = tmp_path / "emptydir"
    empty.mkdir()
    with pytest.raises((FileNotFoundError, OSError)):
        bwl.Collection(str(empty))


def test_error_corrupt_header(env, tmp_path):
    bad = tmp_path / "garbage_track.bw"
    bad.write_bytes(b"this is not a bigwig file" * 40)
    with pytest.raises(bwl.FormatError, match="garbage_track"):
        bwl.Collection([env.paths[0], str(bad), env.paths[1]])
    trunc = tmp_path / "truncated_track.bw"
    trunc.write_bytes(open(env.paths[3], "rb").read()[:200])
    with pytest.raises(bwl.FormatError, match="truncated_track"):
        bwl.Collection([env.paths[0], str(trunc)])


def test_error_corrupt_data_block(env, tmp_path):
    """A damaged compressed block: FormatError naming the file when read."""
    src = env.paths[3]  # bwl bedGraph, zlib, little-endian, small sections
    raw = bytearray(open(src, "rb").read())
    full_data = int.from_bytes(raw[16:24], "little")
    first = full_data + 8  # blocks follow the 8-byte block count
    for i in range(first, first + 400):
        raw[i] ^= 0x5A
    bad = tmp_path / "damaged_blocks.bw"
    bad.write_bytes(bytes(raw))
    with pytest.raises(bwl.FormatError, match="damaged_blocks"):
        col = bwl.Collection([env.paths[0], str(bad)])
        col.values(["chr1", "chr1"], [0, 100], [1000, 1100])


# --------------------------------------------------------------------------
# inputs: directory, glob; chroms()


def test_directory_and_glob(env, tmp_path):
    d = tmp_path / "dir"
    d.mkdir()
    names = {"b_track.bw": 0, "a_track.bigWig": 5, "c_track.bw": 4, "0_first.bw": 2}
    for n, t in names.items():
        shutil.copy(env.paths[t], d / n)
    (d / "notes.txt").write_text("not a track")
    (d / "sub").mkdir()
    want = sorted(names)
    col = bwl.Collection(str(d))
    assert [os.path.basename(p) for p in col.paths] == want
    order = [names[n] for n in want]
    rng = np.random.default_rng(20)
    c, s, e = _windows(rng, 300, 15)
    ref = env.ref(c, s, e, order)
    np.testing.assert_array_equal(col.values(c, s, e), ref)
    col2 = bwl.Collection(d)  # a pathlib.Path works too
    np.testing.assert_array_equal(col2.values(c, s, e), ref)

    g = bwl.Collection(str(d / "*_track.bw"))
    gwant = sorted(glob.glob(str(d / "*_track.bw")))
    assert [os.path.basename(p) for p in g.paths] == ["b_track.bw", "c_track.bw"]
    assert g.paths == gwant
    np.testing.assert_array_equal(g.values(c, s, e), env.ref(c, s, e, [0, 4]))


def test_directory_recursive_in_path_order(env, tmp_path):
    """A folder's tracks include its subfolders', in pathlib's order (what
    bigwig-loader's sorted crawl gives): ``a/x.bw`` before ``a-b.bw``;
    ``**`` in a glob crosses folders; an explicit list keeps its order."""
    d = tmp_path / "tracks"
    layout = {"a-b.bw": 0, "a/x.bw": 1, "a/deeper/y.bigWig": 2, "B.bw": 3, "b/z.bw": 4, "a/readme.txt": None}
    for name, t in layout.items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        if t is None:
            (d / name).write_text("not a track")
        else:
            shutil.copy(env.paths[t], d / name)
    truth = sorted(p for ext in (".bw", ".bigWig") for p in pathlib.Path(d).glob(f"**/*{ext}"))
    col = bwl.Collection(str(d))
    assert col.paths == [str(p) for p in truth]
    assert [os.path.relpath(p, d) for p in col.paths] == ["B.bw", "a/deeper/y.bigWig", "a/x.bw", "a-b.bw", "b/z.bw"]
    rng = np.random.default_rng(21)
    c, s, e = _windows(rng, 200, 10)
    np.testing.assert_array_equal(col.values(c, s, e), env.ref(c, s, e, [3, 2, 1, 0, 4]))
    g = bwl.Collection(str(d / "**" / "*.bw"))
    assert g.paths == [str(p) for p in sorted(pathlib.Path(d).glob("**/*.bw"))]
    mine = [str(d / "b/z.bw"), str(d / "a-b.bw")]
    assert bwl.Collection(mine).paths == mine
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no bigWig files"):
        bwl.Collection(str(tmp_path / "empty"))


def test_chroms_warns_and_common(env, coll):
    with pytest.warns(UserWarning, match=PARTIAL):
        ch = coll.chroms()
    want = {c: n for c, n in CHROMS.items() if c != PARTIAL}
    assert ch == want
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert coll.chroms(warn=False) == want
    # all tracks having chrX: no warning, chrX included
    have = [t for t, tr in enumerate(env.tracks) if PARTIAL in tr.chroms]
    full = bwl.Collection([env.paths[t] for t in have])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert full.chroms() == CHROMS


# --------------------------------------------------------------------------
# intervals()


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def _merge(s, e, dist):
    if len(s) == 0:
        return s, e
    keep = np.r_[True, (s[1:] - e[:-1]) > dist]
    idx = np.flatnonzero(keep)
    ends = np.r_[e[idx[1:] - 1], e[-1]]
    return s[idx], ends


def _oracle_intervals(env, threshold, merge_distance, how, blocklist=None, tracks=None):
    tr = list(range(len(env.tracks))) if tracks is None else tracks
    chroms = [c for c in CHROMS if all(c in env.tracks[t].chroms for t in tr)]
    out = []
    for c in chroms:
        v = env.whole(c, tr).astype(np.float64)  # (T, size)
        if how == "any":
            with np.errstate(invalid="ignore"):
                mask = (v >= threshold).any(0)
        else:
            has = (~np.isnan(v)).any(0)
            mask = has & (np.nan_to_num(v, nan=0.0).sum(0) >= threshold * len(tr))
        if blocklist is not None:
            # merge first, then cut out the blocklist
            s, e = _merge(*_runs(mask), merge_distance)
            m2 = np.zeros(CHROMS[c], bool)
            for a, b in zip(s, e):
                m2[a:b] = True
            for bc, bs, be in zip(*blocklist):
                if bc == c:
                    m2[bs:be] = False
            s, e = _runs(m2)
        else:
            s, e = _merge(*_runs(mask), merge_distance)
        out += [(c, int(a), int(b)) for a, b in zip(s, e)]
    return out


def _as_list(res):
    c, s, e = res
    assert len(c) == len(s) == len(e)
    return sorted(zip([str(x) for x in c], [int(x) for x in s], [int(x) for x in e]))


@pytest.mark.parametrize("how", ["any", "mean"])
@pytest.mark.parametrize("threshold,merge_distance", [(0.0, 0), (3.7, 0), (3.7, 25), (-1.5, 3), (50.0, 100)])
def test_intervals(env, coll, how, threshold, merge_distance):
    got = _as_list(coll.intervals(threshold=threshold, merge_distance=merge_distance, how=how))
    want = sorted(_oracle_intervals(env, threshold, merge_distance, how))
    assert len(want) > 0
    assert got == want


def test_intervals_blocklist(env, coll, tmp_path):
    bl = (np.array(["chr1", "chr1", "chr2", "chrM", "chr1"]),
          np.array([1000, 50_000, 0, 10, 49_990]),
          np.array([20_000, 50_500, 15_000, 20, 50_100]))
    want = sorted(_oracle_intervals(env, 2.0, 10, "any", bl))
    got = _as_list(coll.intervals(threshold=2.0, merge_distance=10, how="any", blocklist=bl))
    assert got == want
    bed = tmp_path / "block.bed"
    bed.write_text("#comment\ntrack name=x\n" + "".join(f"{c}\t{s}\t{e}\tname\n" for c, s, e in zip(*bl)))
    got = _as_list(coll.intervals(threshold=2.0, merge_distance=10, how="any", blocklist=str(bed)))
    assert got == want
    got = _as_list(coll.intervals(threshold=2.0, merge_distance=10, how="mean", blocklist=bed))
    assert got == sorted(_oracle_intervals(env, 2.0, 10, "mean", bl))
    # nothing left inside blocked regions
    c, s, e = coll.intervals(threshold=2.0, blocklist=bl)
    for bc, bs, be in zip(*bl):
        m = c == bc
        assert not np.any((s[m] < be) & (e[m] > bs))


def test_intervals_subset_tracks(env):
    tr = [0, 2, 4]  # all have chrX: it is a common chrom here
    col = bwl.Collection([env.paths[t] for t in tr])
    for how in ("any", "mean"):
        got = _as_list(col.intervals(threshold=1.0, merge_distance=5, how=how))
        want = sorted(_oracle_intervals(env, 1.0, 5, how, tracks=tr))
        assert any(c == PARTIAL for c, _, _ in want)
        assert got == want


# --------------------------------------------------------------------------
# many files, few descriptors


def test_many_files_fd_limit(tmp_path):
    d = tmp_path / "many"
    d.mkdir()
    rng = np.random.default_rng(21)
    chroms = {"chrA": 2_000, "chrB": 500}
    paths = []
    for i in range(300):
        p = str(d / f"f{i:03d}.bw")
        ivs = {}
        for c, size in chroms.items():
            n = int(rng.integers(1, 40))
            s = np.sort(rng.choice(size - 1, n, replace=False))
            e = np.minimum(np.r_[s[1:], size], s + rng.integers(1, 20, n))
            ivs[c] = (s, e, rng.normal(size=n).astype(np.float32))
        if i % 2:
            bwl.write(p, chroms, ivs, type="bedGraph", items_per_section=4)
        else:
            write_pybigwig(p, "bedGraph", ivs, chroms, max_zooms=0)
        paths.append(p)
    wc = np.array(["chrA", "chrB", "chrA", "chrA"])
    ws = np.array([0, 300, 1800, 700])
    we = ws + 200
    ref = np.full((4, 300, 200), np.nan, np.float32)
    for t, p in enumerate(paths):
        bw = pyBigWig.open(p)
        for b in range(4):
            ref[b, t] = bw.values(str(wc[b]), int(ws[b]), int(we[b]), numpy=True)
        bw.close()
    old = bwl._core.max_open_files()
    try:
        bwl.set_max_open_files(16)
        col = bwl.Collection(paths, threads=4)
        assert bwl.open_file_count() <= 16
        got = col.values(wc, ws, we)
        assert bwl.open_file_count() <= 16
        np.testing.assert_array_equal(got, ref)
        got = col.values(wc, ws, we, tracks=np.arange(299, -1, -3))
        np.testing.assert_array_equal(got, ref[:, 299::-3])
        assert bwl.open_file_count() <= 16
        del col
    finally:
        bwl.set_max_open_files(old)
    assert bwl._core.max_open_files() == old


# --------------------------------------------------------------------------
# reverse complement: reverse= and reverse_tracks=


@pytest.mark.parametrize("kw", [dict(), dict(window=5, summary="max"), dict(window=4, layout="BLT", dtype="float16"),
                                dict(window=8, summary="sum", oob="pad", default=0.0), dict(decoded=True)])
def test_values_reverse(env, coll, kw):
    """Reversed windows hold the forward windows' bins last to first, and
    with reverse_tracks each slot holds its partner track's signal there:
    checked against the forward batch flipped (itself checked against
    pyBigWig above)."""
    kw = dict(kw)
    c_ = bwl.Collection(env.paths, decoded_cache=1 << 24) if kw.pop("decoded", False) else coll
    rng = np.random.default_rng(len(repr(kw)))
    L = 400
    c, s, e = _windows(rng, L, 40)
    if kw.get("oob") == "pad":
        s = s - 150  # some windows start before their chromosome
        e = s + L
    tracks = np.array([3, 0, 5, 1])
    partner = np.array([1, 4, 0, 7])  # what each slot reads on reversed windows
    rev = rng.random(len(c)) < 0.5
    rev[:2] = [True, False]
    ax_bins, ax_tracks = (1, 2) if kw.get("layout") == "BLT" else (2, 1)
    fwd = c_.values(c, s, e, tracks=tracks, **kw)
    other = c_.values(c, s, e, tracks=partner, **kw)
    got = c_.values(c, s, e, tracks=tracks, reverse=rev, **kw)
    want = fwd.copy()
    want[rev] = np.flip(fwd[rev], axis=ax_bins)
    np.testing.assert_array_equal(got, want)
    got = c_.values(c, s, e, tracks=tracks, reverse=rev, reverse_tracks=partner, **kw)
    want[rev] = np.flip(other[rev], axis=ax_bins)
    assert not np.array_equal(other[rev], fwd[rev])  # the partners differ, so the test can fail
    np.testing.assert_array_equal(got, want)
    assert ax_tracks  # both layouts covered by the parametrization
    # all tracks (tracks=None): reverse_tracks has one entry per collection track
    allp = np.arange(len(env.paths))[::-1].copy()
    got = c_.values(c, s, e, reverse=rev, reverse_tracks=allp, **kw)
    full = c_.values(c, s, e, **kw)
    want = full.copy()
    want[rev] = np.flip(np.take(full[rev], allp, axis=ax_tracks), axis=ax_bins)
    np.testing.assert_array_equal(got, want)


def test_values_reverse_bad_arguments(coll):
    c, s, e = ["chr1", "chr1"], [0, 10], [100, 110]
    with pytest.raises(ValueError, match="reverse must have shape"):
        coll.values(c, s, e, reverse=[True])
    with pytest.raises(ValueError, match="reverse_tracks must be"):
        coll.values(c, s, e, tracks=[0, 1], reverse=[True, False], reverse_tracks=[0])
    with pytest.raises(ValueError, match="reverse_tracks: 99 is outside"):
        coll.values(c, s, e, tracks=[0, 1], reverse=[True, False], reverse_tracks=[0, 99])
    with pytest.raises(ValueError, match="reverse_tracks needs reverse"):
        coll.values(c, s, e, tracks=[0, 1], reverse_tracks=[1, 0])


def test_batch_options(coll):
    """BatchOptions carries the signal keywords as one checked value: the
    same batch by keywords or by options=, a Loader keeps its own; both at
    once is a TypeError; it compares equal with NaN defaults."""
    c, s, e = ["chr1", "chr1"], [0, 1000], [400, 1400]
    o = bwl.BatchOptions(window=4, summary="max", dtype="float16", layout="BLT", default=0.0,
                         transform={"pow": 0.75, "clip": 5})
    want = coll.values(c, s, e, window=4, summary="max", dtype="float16", layout="BLT", default=0.0,
                       transform=bwl.Transform(pow=0.75, clip=5))
    got = coll.values(c, s, e, options=o)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    with pytest.raises(TypeError, match="either options= or window="):
        coll.values(c, s, e, window=2, options=o)
    assert bwl.BatchOptions() == bwl.BatchOptions(default=float("nan"))
    assert o.transform == bwl.Transform(pow=0.75, clip=5)
    with pytest.raises(ValueError, match="summary must be one of"):
        bwl.BatchOptions(summary="median")
