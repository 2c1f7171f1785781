"""bwl.write, checked with independent readers: pyBigWig and pybigtools
(little-endian), pybbi (both byte orders), and a raw look at the layout."""
from __future__ import annotations

import struct

import bbi
import numpy as np
import pybigtools
import pyBigWig
import pytest

import bwl
from support.bbi import read_header

TYPES = ["bedGraph", "variableStep", "fixedStep"]
SIZES = {"chr1": 120_000, "chr2": 60_000, "chr10": 5_000, "chrM": 1_000}


def make_intervals(rng, size, max_runs=400):
    """Sorted, non-overlapping intervals in runs of equal span and step, so
    variableStep and fixedStep sections hold more than one item."""
    starts, ends = [], []
    pos = int(rng.integers(0, 50))
    for _ in range(max_runs):
        n, span = int(rng.integers(1, 20)), int(rng.integers(1, 40))
        step = span + int(rng.integers(0, 3)) * int(rng.integers(0, 20))
        if pos + (n - 1) * step + span > size:
            break
        for i in range(n):
            starts.append(pos + i * step)
            ends.append(pos + i * step + span)
        pos = ends[-1] + int(rng.integers(0, 300))
    values = rng.normal(0, 10, len(starts)).astype(np.float32)
    return np.array(starts, np.int64), np.array(ends, np.int64), values


def make_data(seed=0, sizes=SIZES, empty=("chr10",)):
    rng = np.random.default_rng(seed)
    return {c: make_intervals(rng, s) for c, s in sizes.items() if c not in empty}


def dense(size, iv):
    out = np.full(size, np.nan, np.float32)
    for s, e, v in zip(*iv):
        out[s:e] = v
    return out


def windows(rng, size, n=5):
    for _ in range(n):
        s = int(rng.integers(0, size - 1))
        yield s, int(rng.integers(s + 1, min(size, s + 20_000) + 1))


def root_is_leaf(path, tree_offset, tree_header_size):
    with open(path, "rb") as f:
        f.seek(tree_offset + tree_header_size)
        return f.read(1)[0] == 1


def check_pybigwig(path, sizes, data, rng):
    with pyBigWig.open(str(path)) as bw:
        assert bw.chroms() == sizes
        for chrom, size in sizes.items():
            got = bw.intervals(chrom)
            if chrom not in data:
                assert not got
                continue
            s, e, v = data[chrom]
            arr = np.array(got, dtype=np.float64)
            np.testing.assert_array_equal(arr[:, 0], s)
            np.testing.assert_array_equal(arr[:, 1], e)
            np.testing.assert_array_equal(arr[:, 2].astype(np.float32), v)
            d = dense(size, data[chrom])
            for a, b in windows(rng, size):
                np.testing.assert_array_equal(np.array(bw.values(chrom, a, b), np.float32), d[a:b])
                w = d[a:b][~np.isnan(d[a:b])]
                if w.size == 0:
                    continue
                for stat, want in (("mean", w.mean()), ("min", w.min()), ("max", w.max()),
                                   ("coverage", w.size / (b - a)), ("sum", w.astype(np.float64).sum())):
                    got_stat = bw.stats(chrom, a, b, type=stat, exact=True)[0]
                    assert got_stat == pytest.approx(want, rel=1e-5, abs=1e-3), stat
        h = bw.header()
        allv = np.concatenate([dense(sizes[c], data[c]) for c in data]) if data else np.array([np.nan])
        allv = allv[~np.isnan(allv)].astype(np.float64)
        assert h["version"] == 4
        assert h["nBasesCovered"] == allv.size
        if allv.size:  # pyBigWig's header() truncates these to integers
            assert h["minVal"] == int(allv.min()) and h["maxVal"] == int(allv.max())
    if allv.size:  # the total summary at full precision
        info = bbi.info(str(path))["summary"]
        assert info["basesCovered"] == allv.size
        assert info["min"] == allv.min() and info["max"] == allv.max()
        assert info["sum"] == pytest.approx(allv.sum(), rel=1e-9, abs=1e-6)
        assert info["std"] == pytest.approx(allv.std(ddof=1), rel=1e-6)
    return h


def check_pybigtools(path, sizes, data):
    b = pybigtools.open(str(path))
    assert b.chroms() == sizes
    for chrom, size in sizes.items():
        recs = list(b.records(chrom))
        if chrom not in data:
            assert recs == []
            continue
        s, e, v = data[chrom]
        arr = np.array(recs, dtype=np.float64)
        np.testing.assert_array_equal(arr[:, 0], s)
        np.testing.assert_array_equal(arr[:, 1], e)
        np.testing.assert_array_equal(arr[:, 2].astype(np.float32), v)
        np.testing.assert_array_equal(b.values(chrom, 0, size, fillna=None), dense(size, data[chrom]))


def check_zoom_records(path, sizes, data):
    """Every zoom record of every level against the dense signal: it lies in
    one bin [k*r, (k+1)*r), its extent is the covered extent, and its
    count/min/max/sum are those of the bases it covers."""
    b = pybigtools.open(str(path))
    levels = bbi.zooms(str(path))
    assert levels == sorted(levels) and all(y == 4 * x for x, y in zip(levels, levels[1:]))
    for r in levels:
        for chrom in data:
            d = dense(sizes[chrom], data[chrom])
            covered = 0
            for start, end, st in b.zoom_records(r, chrom):
                assert start // r == (end - 1) // r
                w = d[start:end]
                ok = w[~np.isnan(w)].astype(np.float64)
                assert not np.isnan(d[start]) and not np.isnan(d[end - 1])
                assert st["bases_covered"] == ok.size
                assert st["min_val"] == ok.min() and st["max_val"] == ok.max()
                assert st["sum"] == pytest.approx(ok.sum(), rel=1e-5, abs=1e-2)
                covered += ok.size
            assert covered == np.count_nonzero(~np.isnan(d))
    return levels


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("type_", TYPES)
def test_little_endian_roundtrip(tmp_path, type_, compress):
    data = make_data(seed=TYPES.index(type_))
    path = tmp_path / "a.bw"
    bwl.write(path, SIZES, data, type=type_, compress=compress, items_per_section=64)
    h = check_pybigwig(path, SIZES, data, np.random.default_rng(1))
    assert h["nLevels"] > 0
    check_pybigtools(path, SIZES, data)
    check_zoom_records(path, SIZES, data)
    _, hdr = read_header(path)
    assert (hdr["uncompressBufSize"] > 0) == compress
    assert bbi.info(str(path))["isCompressed"] == compress


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("type_", TYPES)
def test_big_endian_matches_little(tmp_path, type_, compress):
    data = make_data(seed=10 + TYPES.index(type_))
    big, little = tmp_path / "big.bw", tmp_path / "little.bw"
    for path, endian in ((big, "big"), (little, "little")):
        bwl.write(path, SIZES, data, type=type_, compress=compress, endian=endian, items_per_section=50)
    assert read_header(big)[0] == ">" and read_header(little)[0] == "<"
    assert bbi.info(str(big))["isSwapped"] == 1
    assert dict(bbi.chromsizes(str(big))) == SIZES
    assert bbi.zooms(str(big)) == bbi.zooms(str(little)) != []
    ib, il = bbi.info(str(big)), bbi.info(str(little))
    assert ib["summary"] == il["summary"] and ib["zoomLevels"] == il["zoomLevels"]
    for chrom, size in SIZES.items():
        want = dense(size, data[chrom]) if chrom in data else np.full(size, np.nan, np.float32)
        got = bbi.fetch(str(big), chrom, 0, size, missing=np.nan)
        np.testing.assert_array_equal(got.astype(np.float32), want)
        # zoom-level summaries read from both byte orders agree
        for summary in ("mean", "max"):
            zb = bbi.fetch(str(big), chrom, 0, size, bins=7, summary=summary, missing=np.nan)
            zl = bbi.fetch(str(little), chrom, 0, size, bins=7, summary=summary, missing=np.nan)
            np.testing.assert_array_equal(zb, zl)
    if not compress:  # the two files differ only in byte order
        assert big.stat().st_size == little.stat().st_size


def test_section_types_on_disk(tmp_path):
    """Three runs with different spans/steps: one bedGraph section, three
    variableStep sections (span changes), four fixedStep sections (span or
    step changes)."""
    s = np.array([0, 10, 20, 100, 105, 110, 200, 220, 240, 250])
    e = np.array([5, 15, 25, 102, 107, 112, 203, 223, 243, 253])
    v = np.arange(10, dtype=np.float32)
    want = {"bedGraph": (1, 1), "variableStep": (2, 3), "fixedStep": (3, 4)}
    for type_, (code, sections) in want.items():
        path = tmp_path / f"{type_}.bw"
        bwl.write(path, {"c": 300}, {"c": (s, e, v)}, type=type_, compress=False)
        order, hdr = read_header(path)
        with open(path, "rb") as f:
            f.seek(hdr["fullDataOffset"])
            assert struct.unpack(order + "Q", f.read(8))[0] == sections
            assert f.read(24)[20] == code
        with pyBigWig.open(str(path)) as bw:
            assert bw.intervals("c") == tuple(zip(s.tolist(), e.tolist(), v.tolist()))


@pytest.mark.parametrize("block_size", [256, 4])
def test_many_chroms_deep_trees(tmp_path, block_size):
    """3000 chroms: the chrom B+ tree and the R-tree (one section per chrom at
    least) both need more than one level."""
    rng = np.random.default_rng(5)
    n = 3000 if block_size == 256 else 300
    names = [f"chr{i}_{'x' * int(rng.integers(0, 12))}" for i in rng.permutation(n)]
    sizes = {name: int(rng.integers(50, 5000)) for name in names}
    data = {}
    for name in names[::2]:
        k = int(rng.integers(1, 6))
        starts = np.sort(rng.choice(sizes[name] // 2, k, replace=False)) * 2
        data[name] = (starts, starts + 1, rng.normal(size=k).astype(np.float32))
    path = tmp_path / "many.bw"
    bwl.write(path, sizes, data, items_per_section=4, block_size=block_size)
    _, hdr = read_header(path)
    assert not root_is_leaf(path, hdr["chromTreeOffset"], 32)
    assert not root_is_leaf(path, hdr["fullIndexOffset"], 48)
    with pyBigWig.open(str(path)) as bw:
        assert bw.chroms() == sizes
        for name in rng.choice(names, 60, replace=False):
            got = bw.intervals(name)
            if name not in data:
                assert not got
            else:
                want = tuple(zip(*(a.tolist() for a in data[name])))
                assert tuple((a, b, np.float32(c)) for a, b, c in got) == want
    assert dict(bbi.chromsizes(str(path))) == sizes
    b = pybigtools.open(str(path))
    assert b.chroms() == sizes
    for name in names[:40]:
        got = list(b.records(name))
        assert len(got) == (len(data[name][0]) if name in data else 0)


@pytest.mark.parametrize("endian", ["little", "big"])
def test_empty_file(tmp_path, endian):
    sizes = {"chr1": 1000, "chr2": 50}
    path = tmp_path / "empty.bw"
    bwl.write(path, sizes, {}, endian=endian)
    assert dict(bbi.chromsizes(str(path))) == sizes
    assert bbi.zooms(str(path)) == []
    assert np.isnan(bbi.fetch(str(path), "chr1", 0, 1000, missing=np.nan)).all()
    if endian == "little":
        with pyBigWig.open(str(path)) as bw:
            assert bw.chroms() == sizes
            assert not bw.intervals("chr1")
            assert np.isnan(bw.values("chr2", 0, 50)).all()
            assert bw.header()["nLevels"] == 0 and bw.header()["nBasesCovered"] == 0
        assert list(pybigtools.open(str(path)).records("chr1")) == []


def test_zoom_levels(tmp_path):
    """Dense signal over 2 Mb: several levels; approximate stats from zoom
    levels agree with exact ones; zoom_levels caps or disables them."""
    rng = np.random.default_rng(7)
    size = 2_000_000
    bounds = np.unique(rng.integers(1, size, 100_000))
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [size]])
    values = rng.gamma(2.0, 3.0, starts.size).astype(np.float32)
    data = {"chr1": (starts, ends, values)}
    path = tmp_path / "zoom.bw"
    bwl.write(path, {"chr1": size}, data)
    levels = bbi.zooms(str(path))
    assert len(levels) >= 3
    with pyBigWig.open(str(path)) as bw:
        assert bw.header()["nLevels"] == len(levels)
        def stats(stat, exact):
            return np.array(bw.stats("chr1", 0, size, type=stat, nBins=20, exact=exact))

        # zoom records straddling a bin edge count in both bins, weighted by
        # overlap: means move a little, min/max can only widen
        np.testing.assert_allclose(stats("mean", False), stats("mean", True), rtol=0.02)
        np.testing.assert_allclose(stats("coverage", False), stats("coverage", True), rtol=0.02)
        assert (stats("max", False) >= stats("max", True)).all()
        assert (stats("min", False) <= stats("min", True)).all()
    np.testing.assert_allclose(bbi.fetch(str(path), "chr1", 0, size, bins=10),
                               bbi.fetch(str(path), "chr1", 0, size, bins=10, exact=True), rtol=0.02)

    bwl.write(path, {"chr1": size}, data, zoom_levels=0)
    assert bbi.zooms(str(path)) == []
    with pyBigWig.open(str(path)) as bw:
        assert bw.header()["nLevels"] == 0
        assert bw.stats("chr1", 0, size)[0] == pytest.approx(bw.stats("chr1", 0, size, exact=True)[0])
    bwl.write(path, {"chr1": size}, data, zoom_levels=2)
    assert bbi.zooms(str(path)) == levels[:2]


@pytest.mark.parametrize(
    "intervals, match",
    [
        ({"c": ([10, 5], [20, 8], [1, 2])}, "not sorted"),
        ({"c": ([0, 5], [10, 20], [1, 2])}, "overlaps"),
        ({"c": ([5], [5], [1])}, "start >= end"),
        ({"c": ([5], [101], [1])}, "past chrom size"),
        ({"c": ([0, 5], [1, 6], [1])}, "different lengths"),
        ({"c": ([-1], [5], [1])}, r"starts: -1 is outside \[0, 4294967295\]"),
        ({"c": ([0], [2**32], [1])}, r"ends: 4294967296 is outside \[0, 4294967295\]"),
        ({"c": ([0.5], [5], [1])}, "starts must hold integers"),
        ({"c": ([0], [5], [np.nan])}, "NaN"),
    ],
)
def test_bad_intervals(tmp_path, intervals, match):
    path = tmp_path / "bad.bw"
    with pytest.raises(TypeError if "hold integers" in match else ValueError, match=match):
        bwl.write(path, {"c": 100}, intervals)
    assert not path.exists()


def test_bad_arguments(tmp_path):
    path = tmp_path / "bad.bw"
    ok = {"c": ([0], [5], [1.0])}
    with pytest.raises(KeyError):
        bwl.write(path, {"c": 100}, {"d": ([0], [5], [1.0])})
    with pytest.raises(ValueError, match="duplicate"):
        bwl.write(path, [("c", 100), ("c", 200)], ok)
    with pytest.raises(ValueError):
        bwl.write(path, {"c": 2**32}, ok)
    with pytest.raises(ValueError):
        bwl.write(path, {"c": 100}, ok, type="wiggle")
    with pytest.raises(ValueError):
        bwl.write(path, {"c": 100}, ok, endian="middle")
    with pytest.raises(ValueError):
        bwl.write(path, {"c": 100}, ok, items_per_section=0)
    with pytest.raises(ValueError):
        bwl.write(path, {"c": 100}, ok, zoom_levels=-1)
    assert not path.exists()
    with pytest.raises(OSError, match="no_such_dir"):
        bwl.write(tmp_path / "no_such_dir" / "x.bw", {"c": 100}, ok)


def test_chrom_list_order_and_path_types(tmp_path):
    """Chroms given as a list in any order; ids follow sorted names; str
    paths work too."""
    chroms = [("chrB", 100), ("chrA", 200), ("chr_", 50)]
    data = {"chrA": ([0], [10], [1.5]), "chrB": (np.array([3], np.uint64), np.array([4], np.int32), [2.5])}
    path = str(tmp_path / "order.bw")
    bwl.write(path, chroms, data)
    with pyBigWig.open(path) as bw:
        assert bw.chroms() == dict(chroms)
        assert bw.intervals("chrA") == ((0, 10, 1.5),)
        assert bw.intervals("chrB") == ((3, 4, 2.5),)


@pytest.mark.parametrize("kind", ["bedGraph", "fixedStep"])
def test_allow_overlap(tmp_path, kind):
    """allow_overlap writes items that overlap (sorted by start), as
    libBigWig writes fixedStep with span > step: pyBigWig reads them back
    item for item, bwl's values equal pyBigWig's, and the zoom records
    (bins reopened by overlapping items, merged in order) summarise every
    item's bases, as the exact stats do."""
    rng = np.random.default_rng(4)
    starts = 1000 + 3 * np.arange(2000)
    ends = starts + 10  # each base under ~3 items
    vals = rng.standard_normal(2000).astype(np.float32)
    p = str(tmp_path / "ovl.bw")
    with pytest.raises(ValueError, match="overlaps"):
        bwl.write(p, {"c": 20_000}, {"c": (starts, ends, vals)}, type=kind)
    bwl.write(p, {"c": 20_000}, {"c": (starts, ends, vals)}, type=kind, allow_overlap=True, items_per_section=100)
    ref = pyBigWig.open(p)
    assert ref.intervals("c") == tuple(zip(starts.tolist(), ends.tolist(), vals.astype(np.float64).tolist()))
    with bwl.open(p) as f:
        assert np.array_equal(f.values("c", 0, 20_000), ref.values("c", 0, 20_000, numpy=True), equal_nan=True)
        r = f.header()["zoomLevels"][0]["reductionLevel"]
        # bins that are whole zoom records, so the zoom path is exact too
        for s, e, n in ((0, 20_000, 1), (0, 8 * r, 2), (4 * r, 12 * r, 4)):
            assert 2 * r <= (e - s) // n  # the zoom level is used
            assert np.allclose(f.stats("c", s, e, nBins=n), f.stats("c", s, e, nBins=n, exact=True), equal_nan=True)
        assert np.isclose(f.stats("c", 0, 20_000, type="sum")[0], float((vals.astype(np.float64) * 10).sum()))
