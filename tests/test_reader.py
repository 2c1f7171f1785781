"""bwl.open(...) against independent readers and the ground truth.

Oracles: the intervals the files were written from (support/tracks.py),
pyBigWig and pybigtools for little-endian files, pybbi (UCSC's kent
library) for big-endian files, plus equality of each big-endian file with
its little-endian twin.
"""
from __future__ import annotations

import math
import os
import threading

import bbi
import numpy as np
import pybigtools
import pyBigWig
import pytest

import bwl
from support.bbi import header, zoom_headers
from support.oracles import dense, regions, truth_intervals, truth_stats
from support.tracks import ALL_FILES, BIG_FILES, CHROMS, EMPTY_CHROM, LITTLE_FILES, write_pybigwig

STATS = ("mean", "min", "max", "cov", "std", "sum")
PYBW_STAT = {"cov": "coverage"}


def _nan(xs) -> np.ndarray:
    """pyBigWig's list with None -> float64 array with NaN."""
    return np.array([np.nan if x is None else x for x in xs], np.float64)


def _pybw_intervals(b, chrom, start, end):
    iv = b.intervals(chrom, start, end) or ()
    s = np.array([x[0] for x in iv], np.uint32)
    e = np.array([x[1] for x in iv], np.uint32)
    v = np.array([x[2] for x in iv], np.float32)
    return s, e, v


def _assert_intervals(got, want, what=""):
    assert len(got) == 3
    assert got[0].dtype == np.uint32 and got[1].dtype == np.uint32 and got[2].dtype == np.float32, what
    for g, w, name in zip(got, want, ("starts", "ends", "values")):
        np.testing.assert_array_equal(g, w, err_msg=f"{what} {name}")


@pytest.fixture(params=LITTLE_FILES)
def little_bw(request, bw_files):
    return bw_files[request.param]


@pytest.fixture(params=BIG_FILES)
def big_bw(request, bw_files):
    return bw_files[request.param]


# ------------------------------------------------------------ metadata


def test_chroms(any_bw):
    with bwl.open(any_bw.path) as f:
        got = f.chroms()
        assert list(got.items()) == list(any_bw.chroms.items())  # file (chrom id) order
        for c, n in any_bw.chroms.items():
            assert f.chroms(c) == n
        assert f.chroms("nope") is None
    if any_bw.pybigwig_readable:
        assert got == pyBigWig.open(any_bw.path).chroms()
        assert got == pybigtools.open(any_bw.path).chroms()
    assert got == dict(bbi.chromsizes(any_bw.path))


def test_header(any_bw):
    with bwl.open(any_bw.path) as f:
        h = f.header()
    for k in ("version", "nLevels", "nBasesCovered", "minVal", "maxVal", "sumData", "sumSquared",
              "byteOrder", "compressed", "zoomLevels", "chromTreeOffset", "fullDataOffset",
              "fullIndexOffset", "sectionCount", "blockCount", "fileSize", "uncompressBufSize"):
        assert k in h, k
    assert h["byteOrder"] == any_bw.endian
    assert h["compressed"] == any_bw.compressed
    assert (h["uncompressBufSize"] > 0) == any_bw.compressed
    assert h["nLevels"] == len(h["zoomLevels"])
    assert h["fileSize"] == os.path.getsize(any_bw.path)
    # Summary against the truth ...
    ends = [e - s for s, e, _ in any_bw.truth.values()]
    covered = int(sum(int(x.sum()) for x in ends))
    allv = np.concatenate([v for _, _, v in any_bw.truth.values()]).astype(np.float64)
    weights = np.concatenate(ends).astype(np.float64)
    assert h["nBasesCovered"] == covered
    assert h["minVal"] == allv.min() and h["maxVal"] == allv.max()
    assert math.isclose(h["sumData"], float((allv * weights).sum()), rel_tol=1e-9)
    assert math.isclose(h["sumSquared"], float((allv * allv * weights).sum()), rel_tol=1e-9)
    # ... and against the other readers of the same bytes.
    info = bbi.info(any_bw.path)
    assert info["version"] == h["version"]
    assert info["zoomLevels"] == h["nLevels"]
    assert bool(info["isSwapped"]) == (any_bw.endian == "big")
    assert info["summary"]["basesCovered"] == h["nBasesCovered"]
    assert info["summary"]["min"] == h["minVal"] and info["summary"]["max"] == h["maxVal"]
    assert math.isclose(info["summary"]["sum"], h["sumData"], rel_tol=1e-12)
    if any_bw.pybigwig_readable:
        p = pyBigWig.open(any_bw.path).header()
        for k in ("version", "nLevels", "nBasesCovered"):
            assert h[k] == p[k], k
        # pyBigWig truncates the float fields to integers in header()
        for k in ("minVal", "maxVal", "sumData", "sumSquared"):
            assert int(h[k]) == p[k], k


def test_header_big_equals_twin(big_bw, bw_files):
    """A big-endian file and its little-endian twin have the same layout."""
    with bwl.open(big_bw.path) as b, bwl.open(bw_files[big_bw.twin].path) as l:
        hb, hl = b.header(), l.header()
    hb.pop("byteOrder")
    hl.pop("byteOrder")
    if not big_bw.compressed:
        assert hb == hl
    else:  # compressed sizes may differ; the structure may not
        for k in ("version", "nLevels", "nBasesCovered", "minVal", "maxVal", "sectionCount", "blockCount",
                  "compressed", "uncompressBufSize"):
            assert hb[k] == hl[k], k
        assert [z["reductionLevel"] for z in hb["zoomLevels"]] == [z["reductionLevel"] for z in hl["zoomLevels"]]


def test_many_blocks(bw_files):
    """The fixture really exercises multi-block / multi-level indexes."""
    for name in ALL_FILES:
        with bwl.open(bw_files[name].path) as f:
            n = f.header()["blockCount"]
        assert n >= (256 if name.startswith("bwl") else 10), (name, n)  # bwl files: 2+ R-tree levels


# ------------------------------------------------------------ values


def test_values(any_bw):
    le = any_bw.pybigwig_readable
    pb = pyBigWig.open(any_bw.path) if le else None
    pt = pybigtools.open(any_bw.path) if le else None
    n = 0
    with bwl.open(any_bw.path) as f:
        for ci, (chrom, size) in enumerate(any_bw.chroms.items()):
            for start, end in regions(any_bw.truth, chrom, size, seed=ci):
                got = f.values(chrom, start, end)
                what = f"{any_bw.name} {chrom}:{start}-{end}"
                assert got.dtype == np.float32 and got.shape == (end - start,), what
                np.testing.assert_array_equal(got, dense(any_bw.truth, chrom, start, end), err_msg=what)
                if le:
                    np.testing.assert_array_equal(got, pb.values(chrom, start, end, numpy=True), err_msg=what)
                    np.testing.assert_array_equal(
                        got, pt.values(chrom, start, end, fillna=None).astype(np.float32), err_msg=what)
                elif end - start <= 20_000:  # pybbi is slow per base on long ranges
                    want = bbi.fetch(any_bw.path, chrom, start, end, missing=np.nan).astype(np.float32)
                    np.testing.assert_array_equal(got, want, err_msg=what)
                n += 1
    assert n > 100


def test_values_big_equals_twin(big_bw, bw_files):
    twin = bw_files[big_bw.twin]
    with bwl.open(big_bw.path) as b, bwl.open(twin.path) as l:
        for chrom, size in CHROMS.items():
            np.testing.assert_array_equal(b.values(chrom, 0, size), l.values(chrom, 0, size))
    # and the twin as pyBigWig reads it
    pb = pyBigWig.open(twin.path)
    with bwl.open(big_bw.path) as b:
        for chrom, size in CHROMS.items():
            np.testing.assert_array_equal(b.values(chrom, 0, size), pb.values(chrom, 0, size, numpy=True))


def test_values_big_whole_chroms_pybbi(big_bw):
    with bwl.open(big_bw.path) as f:
        for chrom, size in CHROMS.items():
            want = bbi.fetch(big_bw.path, chrom, 0, size, missing=np.nan).astype(np.float32)
            np.testing.assert_array_equal(f.values(chrom, 0, size), want, err_msg=chrom)


def test_values_empty_chrom(any_bw):
    if EMPTY_CHROM not in any_bw.chroms:  # pybigtools leaves it out of the file
        with bwl.open(any_bw.path) as f, pytest.raises(KeyError, match=EMPTY_CHROM):
            f.values(EMPTY_CHROM, 0, CHROMS[EMPTY_CHROM])
        return
    with bwl.open(any_bw.path) as f:
        v = f.values(EMPTY_CHROM, 0, CHROMS[EMPTY_CHROM])
    assert v.shape == (CHROMS[EMPTY_CHROM],) and np.isnan(v).all()


def test_values_accepts_numpy_ints(bw_files):
    f = bwl.open(bw_files["pybw_bedGraph"].path)
    a = f.values("chr10", np.int64(10), np.uint32(500))
    np.testing.assert_array_equal(a, f.values("chr10", 10, 500))
    with pytest.raises(TypeError):
        f.values("chr10", 1.5, 10)


def test_values_threads(bw_files):
    """Concurrent reads of one open file give what serial reads give."""
    bw = bw_files["bwl_bedGraph_little_zlib"]
    f = bwl.open(bw.path)
    rng = np.random.default_rng(7)
    qs = [(int(a), int(a) + int(rng.integers(1, 20_000))) for a in rng.integers(0, 380_000, 64)]
    want = [dense(bw.truth, "chr1", a, b) for a, b in qs]
    errors = []

    def work(k):
        try:
            for i in range(k, len(qs), 8):
                np.testing.assert_array_equal(f.values("chr1", *qs[i]), want[i])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors[0]


# ------------------------------------------------------------ intervals


def test_intervals(any_bw):
    le = any_bw.pybigwig_readable
    pb = pyBigWig.open(any_bw.path) if le else None
    pt = pybigtools.open(any_bw.path) if le else None
    with bwl.open(any_bw.path) as f:
        for ci, (chrom, size) in enumerate(any_bw.chroms.items()):
            # default arguments: the whole chromosome
            _assert_intervals(f.intervals(chrom), any_bw.truth.get(chrom, truth_intervals({}, chrom, 0, 1)),
                              f"{any_bw.name} {chrom}")
            for start, end in regions(any_bw.truth, chrom, size, seed=100 + ci, n_random=6):
                what = f"{any_bw.name} {chrom}:{start}-{end}"
                got = f.intervals(chrom, start, end)
                _assert_intervals(got, truth_intervals(any_bw.truth, chrom, start, end), what)
                if le:
                    _assert_intervals(got, _pybw_intervals(pb, chrom, start, end), what + " pyBigWig")
                    recs = list(pt.records(chrom, start, end))  # pybigtools clips to the query
                    np.testing.assert_array_equal(np.maximum(got[0], start), [r[0] for r in recs], err_msg=what)
                    np.testing.assert_array_equal(np.minimum(got[1], end), [r[1] for r in recs], err_msg=what)
                    np.testing.assert_array_equal(got[2], np.array([r[2] for r in recs], np.float32), err_msg=what)
            # start only
            _assert_intervals(f.intervals(chrom, size // 2), truth_intervals(any_bw.truth, chrom, size // 2, size))


def test_intervals_big_equals_twin(big_bw, bw_files):
    with bwl.open(big_bw.path) as b, bwl.open(bw_files[big_bw.twin].path) as l:
        for chrom in CHROMS:
            _assert_intervals(b.intervals(chrom), l.intervals(chrom), chrom)


# ------------------------------------------------------------ stats


def _stat_regions(bw, chrom, size):
    r = [(0, size)]
    if chrom in bw.truth:
        s, e, _ = bw.truth[chrom]
        r.append((int(s[0]), int(e[-1])))
        r.append((int(s[len(s) // 2]), min(size, int(s[len(s) // 2]) + 777)))
    r.append((size - min(size, 37), size))
    return r


@pytest.mark.parametrize("stat", STATS)
def test_stats_exact(any_bw, stat):
    le = any_bw.pybigwig_readable
    pb = pyBigWig.open(any_bw.path) if le else None
    with bwl.open(any_bw.path) as f:
        for chrom, size in any_bw.chroms.items():
            for start, end in _stat_regions(any_bw, chrom, size):
                for nbins in sorted({1, 3, min(37, end - start), min(250, end - start)}):
                    what = f"{any_bw.name} {chrom}:{start}-{end} {stat} nBins={nbins}"
                    got = f.stats(chrom, start, end, type=stat, nBins=nbins, exact=True)
                    assert got.dtype == np.float64 and got.shape == (nbins,), what
                    want = truth_stats(any_bw.truth, chrom, start, end, stat, nbins)
                    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=what)
                    if le:
                        p = _nan(pb.stats(chrom, start, end, type=PYBW_STAT.get(stat, stat),
                                          nBins=nbins, exact=True))
                        # pyBigWig's std uses sum-of-squares, which loses
                        # digits next to the 1e6 values in the data, and it
                        # returns sums rounded to float32.
                        tol = dict(rtol=1e-4, atol=1e-3) if stat == "std" else \
                            dict(rtol=1e-6, atol=1e-4) if stat == "sum" else dict(rtol=1e-9, atol=1e-9)
                        np.testing.assert_allclose(got, p, err_msg=what + " pyBigWig", **tol)


def test_stats_defaults(bw_files):
    bw = bw_files["pybw_bedGraph"]
    with bwl.open(bw.path) as f:
        # start/end default to the whole chrom; type to mean; exact to False
        np.testing.assert_array_equal(f.stats("chr10"), f.stats("chr10", 0, CHROMS["chr10"], "mean", 1, False))
        got = f.stats("chr10", exact=True)
    np.testing.assert_allclose(got, truth_stats(bw.truth, "chr10", 0, CHROMS["chr10"], "mean", 1), rtol=1e-12)


def test_stats_bin_edges_match_pybigwig(bw_files):
    """Uneven bins: bwl's bin edges must be libBigWig's (else values shift)."""
    bw = bw_files["pybw_bedGraph"]
    pb = pyBigWig.open(bw.path)
    with bwl.open(bw.path) as f:
        for start, end, nbins in [(0, 6000, 7), (13, 5990, 11), (1, 1000, 999), (0, 101, 100)]:
            got = f.stats("chr10", start, end, type="cov", nBins=nbins, exact=True)
            np.testing.assert_allclose(got, _nan(pb.stats("chr10", start, end, type="coverage",
                                                          nBins=nbins, exact=True)), rtol=1e-12)


@pytest.mark.parametrize("stat", STATS)
def test_stats_zoom_vs_pybigwig(little_bw, stat):
    """exact=False reads zoom records. bwl picks the same level as pyBigWig
    and UCSC and weights records straddling a bin edge by overlap, so mean,
    min, max and std agree with pyBigWig to rounding. Sum and coverage
    follow UCSC (the weighted base count rounded up to whole bases, the sum
    scaled alike, coverage over the mean bin length), so they equal pybbi's;
    pyBigWig's zoom sum is wrong (orders of magnitude off). Where no zoom
    level is fine enough bwl falls back to the exact values. These zoom
    results approximate the exact ones (see test_stats_zoom_is_used)."""
    pb = pyBigWig.open(little_bw.path)
    with bwl.open(little_bw.path) as f:
        levels = [z["reductionLevel"] for z in f.header()["zoomLevels"]]
        for chrom, size in little_bw.chroms.items():
            for start, end in _stat_regions(little_bw, chrom, size):
                for nbins in sorted({1, 2, 10, min(100, end - start)}):
                    what = f"{little_bw.name} {chrom}:{start}-{end} {stat} nBins={nbins}"
                    got = f.stats(chrom, start, end, type=stat, nBins=nbins)
                    zoom = any(r <= (end - start) // nbins // 2 for r in levels)
                    if stat in ("sum", "cov") and zoom:
                        want = bbi.fetch(little_bw.path, chrom, start, end, bins=nbins, summary=stat, missing=np.nan)
                    elif stat == "sum":
                        want = f.stats(chrom, start, end, type="sum", nBins=nbins, exact=True)
                    else:
                        want = _nan(pb.stats(chrom, start, end, type=PYBW_STAT.get(stat, stat), nBins=nbins))
                    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=what)
                    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=what)


def test_stats_zoom_is_used(bw_files):
    """exact=False over long bins really reads zoom data: the means differ
    from the exact ones (records straddling bin edges are shared by
    overlap) and equal pyBigWig's zoom means; exact=True equals the truth."""
    bw = bw_files["pybw_bedGraph"]
    pb = pyBigWig.open(bw.path)
    n = CHROMS["chr1"]
    with bwl.open(bw.path) as f:
        assert f.header()["nLevels"] > 0
        z = f.stats("chr1", 0, n, nBins=4)
        e = f.stats("chr1", 0, n, nBins=4, exact=True)
    assert not np.allclose(z, e, rtol=1e-7, atol=0)
    np.testing.assert_allclose(z, pb.stats("chr1", 0, n, nBins=4), rtol=1e-12)
    np.testing.assert_allclose(e, truth_stats(bw.truth, "chr1", 0, n, "mean", 4), rtol=1e-12)
    np.testing.assert_allclose(z, e, rtol=0.05)  # an approximation (1e6 spikes move it ~1%), not garbage


@pytest.mark.parametrize("stat", STATS)
def test_stats_zoom_big_equals_twin(big_bw, bw_files, stat):
    """Zoom records of a big-endian file decode to the twin's."""
    with bwl.open(big_bw.path) as b, bwl.open(bw_files[big_bw.twin].path) as l:
        for chrom, size in CHROMS.items():
            for nbins in (1, 10, min(100, size)):
                np.testing.assert_array_equal(b.stats(chrom, 0, size, type=stat, nBins=nbins),
                                              l.stats(chrom, 0, size, type=stat, nBins=nbins), err_msg=chrom)


@pytest.mark.parametrize("stat", ("mean", "min", "max", "sum", "cov"))
def test_stats_exact_big_vs_pybbi(big_bw, stat):
    with bwl.open(big_bw.path) as f:
        for chrom, size in CHROMS.items():
            if chrom == EMPTY_CHROM:
                continue
            got = f.stats(chrom, 0, size, type=stat, nBins=10, exact=True)
            want = bbi.fetch(big_bw.path, chrom, 0, size, bins=10, summary=stat, exact=True, missing=np.nan)
            # pybbi splits bins slightly differently (kent's rounding), so
            # only bins away from a boundary effect are compared tightly:
            # compare against the truth with libBigWig edges, then pybbi loosely.
            np.testing.assert_allclose(got, truth_stats(big_bw.truth, chrom, 0, size, stat, 10),
                                       rtol=1e-9, atol=1e-9, err_msg=chrom)
            if size % 10 == 0:  # identical bin edges either way
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=f"{chrom} pybbi")


def test_stats_empty_chrom(any_bw):
    if EMPTY_CHROM not in any_bw.chroms:  # pybigtools leaves it out of the file
        with bwl.open(any_bw.path) as f, pytest.raises(KeyError, match=EMPTY_CHROM):
            f.stats(EMPTY_CHROM, type="mean", nBins=5)
        return
    with bwl.open(any_bw.path) as f:
        for stat in STATS:
            for exact in (True, False):
                v = f.stats(EMPTY_CHROM, type=stat, nBins=5, exact=exact)
                assert v.shape == (5,) and np.isnan(v).all(), (stat, exact)


# ------------------------------------------------------------ errors and lifetime


def test_unknown_chrom(bw_files):
    p = bw_files["pybw_bedGraph"].path
    with bwl.open(p) as f:
        for call in (lambda: f.values("chrX", 0, 10), lambda: f.intervals("chrX"),
                     lambda: f.intervals("chrX", 0, 10), lambda: f.stats("chrX"),
                     lambda: f.stats("chrX", 0, 10, exact=True)):
            with pytest.raises(KeyError, match="chrX"):
                call()


@pytest.mark.parametrize("start,end", [(-1, 10), (10, 10), (11, 10), (0, CHROMS["chr2"] + 1),
                                       (CHROMS["chr2"], CHROMS["chr2"] + 1), (-5, -1), (0, 2**40)])
def test_bad_ranges(bw_files, start, end):
    with bwl.open(bw_files["pybw_bedGraph"].path) as f:
        with pytest.raises(ValueError):
            f.values("chr2", start, end)
        with pytest.raises(ValueError):
            f.intervals("chr2", start, end)
        for exact in (True, False):
            with pytest.raises(ValueError):
                f.stats("chr2", start, end, exact=exact)


def test_bad_stats_args(bw_files):
    with bwl.open(bw_files["pybw_bedGraph"].path) as f:
        for nbins in (0, -1):
            with pytest.raises(ValueError):
                f.stats("chr2", 0, 100, nBins=nbins)
        with pytest.raises(ValueError):
            f.stats("chr2", 0, 100, type="median")
        with pytest.raises(ValueError):  # more bins than bases
            f.stats("chr2", 0, 10, nBins=11, exact=True)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        bwl.open(tmp_path / "nope.bw")
    with pytest.raises(OSError):
        bwl.open(tmp_path)  # a directory


def test_closed(bw_files):
    f = bwl.open(bw_files["pybw_bedGraph"].path)
    assert not f.closed
    f.close()
    assert f.closed
    for call in (lambda: f.values("chr1", 0, 10), lambda: f.intervals("chr1"), lambda: f.stats("chr1"),
                 lambda: f.header(), lambda: f.chroms(), lambda: f.chroms("chr1")):
        with pytest.raises(ValueError, match="closed"):
            call()
    f.close()  # twice is fine
    with bwl.open(bw_files["pybw_bedGraph"].path) as g:
        assert g.values("chrM", 0, 3).shape == (3,)
    assert g.closed
    with pytest.raises(ValueError):
        g.values("chrM", 0, 3)


def test_pathlike(bw_files):
    import pathlib

    p = pathlib.Path(bw_files["pybw_fixedStep"].path)
    with bwl.open(p) as f:
        assert f.path == str(p)
        assert f.chroms() == CHROMS



# ------------------------------------------------------------ odd shapes


def _write_both(tmp_path, chroms, truth):
    """The same data by pyBigWig and by bwl (little-endian zlib, big-endian raw)."""
    p = str(tmp_path / "pybw.bw")
    write_pybigwig(p, "bedGraph", truth, chroms)
    le, be = str(tmp_path / "le.bw"), str(tmp_path / "be.bw")
    bwl.write(le, chroms, truth, items_per_section=8)
    bwl.write(be, chroms, truth, endian="big", compress=False, items_per_section=8)
    return p, le, be


def test_positions_past_2_31(tmp_path):
    """A chromosome near the 2^32 limit: positions past 2^31 must not wrap."""
    big = 4_000_000_000
    s = np.array([0, 2**31 - 5, 2**31 + 10, 3_000_000_000, big - 1000], np.uint32)
    e = np.array([10, 2**31 + 5, 2**31 + 20, 3_000_000_001, big], np.uint32)
    v = np.array([1, 2, 3, 4, 5], np.float32)
    chroms = {"big": big, "small": 1000}
    truth = {"big": (s, e, v), "small": (np.array([5], np.uint32), np.array([6], np.uint32), np.array([9], np.float32))}
    p, le, be = _write_both(tmp_path, chroms, truth)
    pb = pyBigWig.open(p)
    for path in (p, le, be):
        with bwl.open(path) as f:
            assert f.chroms() == chroms
            for a, b in [(2**31 - 10, 2**31 + 30), (big - 2000, big), (big - 1, big), (2_999_999_999, 3_000_000_002),
                         (2**31 + 100, 2**31 + 200)]:
                got = f.values("big", a, b)
                np.testing.assert_array_equal(got, dense(truth, "big", a, b), err_msg=f"{path} {a}-{b}")
                np.testing.assert_array_equal(got, pb.values("big", a, b, numpy=True))
            _assert_intervals(f.intervals("big"), truth["big"], path)
            _assert_intervals(f.intervals("big", 2**31, big), truth_intervals(truth, "big", 2**31, big), path)
            for stat in ("mean", "max", "cov", "sum"):
                got = f.stats("big", type=stat, nBins=8, exact=True)
                want = _nan(pb.stats("big", type=PYBW_STAT.get(stat, stat), nBins=8, exact=True))
                np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=f"{path} {stat}")
            # zoom: compare with pyBigWig on the file pyBigWig wrote
            if path == p:
                for stat in ("mean", "max", "min", "cov"):
                    np.testing.assert_allclose(
                        f.stats("big", type=stat, nBins=8),
                        _nan(pb.stats("big", type=PYBW_STAT.get(stat, stat), nBins=8)), rtol=1e-9, err_msg=stat)


def test_many_chroms(tmp_path):
    """600 chromosomes: a multi-level chromosome B+ tree in bwl's files
    (pyBigWig writes them all into one leaf)."""
    rng = np.random.default_rng(3)
    names = [f"chr{i:04d}_{'x' * (i % 7)}" for i in range(600)]
    chroms = {n: 100 + i for i, n in enumerate(sorted(names))}
    truth = {}
    for n, size in chroms.items():
        if rng.random() < 0.8:
            a = int(rng.integers(0, size - 1))
            truth[n] = (np.array([a], np.uint32), np.array([size], np.uint32), np.array([rng.normal()], np.float32))
    p, le, be = _write_both(tmp_path, chroms, truth)
    pb = pyBigWig.open(p)
    assert pb.chroms() == chroms
    for path in (p, le, be):
        with bwl.open(path) as f:
            assert list(f.chroms().items()) == list(chroms.items())
            for n, size in chroms.items():
                np.testing.assert_array_equal(f.values(n, 0, size), dense(truth, n, 0, size), err_msg=f"{path} {n}")
        if path != be:
            assert pyBigWig.open(path).chroms() == chroms


# ------------------------------------------------------------------ what the reference readers accept

def _pybigwig_test_file() -> str:
    import pyBigWigTest  # ships with pyBigWig: its own test suite's files

    return os.path.join(os.path.dirname(pyBigWigTest.__file__), "test.bw")


@pytest.mark.parametrize("span,step", [(8, 2), (50, 1), (64, 1)])
def test_overlapping_fixedstep_written_by_pybigwig(tmp_path, span, step):
    """libBigWig writes fixedStep sections whose span exceeds their step
    (overlapping items) and reads them, a later item winning; bwl reads them
    the same way up to 64 items over a base (the hostile-file cap)."""
    p = str(tmp_path / "ovl.bw")
    w = pyBigWig.open(p, "w")
    w.addHeader([("1", 5000)], maxZooms=0)
    vals = np.random.default_rng(span).standard_normal(300)
    w.addEntries("1", 100, values=vals, span=span, step=step)
    w.close()
    ref = pyBigWig.open(p)
    with bwl.open(p) as f:
        for s, e in [(0, 5000), (90, 130), (250, 260), (100 + 299 * step, 100 + 299 * step + span)]:
            assert np.array_equal(f.values("1", s, e), ref.values("1", s, e, numpy=True), equal_nan=True)
            # exact stats weigh every item (libBigWig's drop bins at the tail: not an oracle here)
            assert np.isclose(f.stats("1", s, e, type="max", exact=True)[0], vals[(100 + np.arange(300) * step < e)
                              & (100 + np.arange(300) * step + span > s)].astype(np.float32).max())
    c = bwl.Collection([p])
    assert np.array_equal(c.values(["1", "1"], [0, 95], [1000, 1095])[:, 0],
                          [ref.values("1", 0, 1000, numpy=True), ref.values("1", 95, 1095, numpy=True)], equal_nan=True)


def test_overlap_cap_still_holds(tmp_path):
    """65 items over every base: past the cap, a FormatError naming the file."""
    p = str(tmp_path / "ovl65.bw")
    w = pyBigWig.open(p, "w")
    w.addHeader([("1", 5000)], maxZooms=0)
    w.addEntries("1", 0, values=np.ones(200), span=65, step=1)
    w.close()
    with bwl.open(p) as f, pytest.raises(bwl.FormatError, match="ovl65.bw.*overlap"):
        f.values("1", 100, 150)


@pytest.mark.parametrize("stat", ["mean", "min", "max", "std", "cov"])
def test_pybigwig_own_test_file(stat):
    """pyBigWig's test.bw (also libBigWig's): its zoom index header counts 2
    items where the leaf holds 1, as libBigWig writes zoom indexes. UCSC,
    pyBigWig and pybigtools read it; so does bwl, zoom stats equal pyBigWig's."""
    p = _pybigwig_test_file()
    pb = pyBigWig.open(p)
    with bwl.open(p) as f:
        assert f.chroms() == pb.chroms()
        for chrom, size in pb.chroms().items():
            for n in (1, 3):
                want = np.array([np.nan if v is None else v for v in
                                 pb.stats(chrom, 0, size, type="coverage" if stat == "cov" else stat, nBins=n)])
                np.testing.assert_allclose(f.stats(chrom, 0, size, type=stat, nBins=n), want, rtol=1e-6,
                                           err_msg=f"{chrom} {stat} {n}")
            np.testing.assert_array_equal(f.values(chrom, 0, 200), np.array(pb.values(chrom, 0, 200), np.float32))


def test_header_only_file(tmp_path):
    """pyBigWig writes a file with a header and no entries with index offset 0:
    it opens, with its chromosomes and no data anywhere."""
    p = str(tmp_path / "empty.bw")
    w = pyBigWig.open(p, "w")
    w.addHeader([("chr1", 1000), ("chr2", 500)])
    w.close()
    pb = pyBigWig.open(p)
    assert pb.header()["nBasesCovered"] == 0 and pb.intervals("chr1") is None
    with bwl.open(p) as f:
        assert f.chroms() == pb.chroms()
        assert np.isnan(f.values("chr1", 0, 1000)).all()
        assert len(f.intervals("chr2")[0]) == 0
        assert np.isnan(f.stats("chr1", nBins=4)).all() and np.isnan(f.stats("chr2", exact=True)).all()
    out = bwl.Collection([p, p]).values(["chr1", "chr2"], [0, 100], [50, 150], default=0.0)
    assert out.shape == (2, 2, 50) and not out.any()


def _rtree_item_count_offsets(data: bytes):
    """(main index itemCount offset, [zoom index itemCount offsets]) of a little-endian bigWig."""
    e, h = header(data)
    zooms = [z["indexOffset"] for z in zoom_headers(data, e, h["zoomLevels"])]
    return h["fullIndexOffset"] + 8, [z + 8 for z in zooms]  # itemCount: 8 bytes into an R-tree header


def test_rtree_counts_zoom_tolerated_main_strict(bw_files, tmp_path):
    """A zoom index whose itemCount disagrees with its leaves reads as the
    leaves say (what UCSC and pyBigWig do); the main data index stays
    exact, where a short count would mean silently missing data."""
    import struct

    src = bw_files["pybw_bedGraph"]
    data = bytearray(open(src.path, "rb").read())
    main, zooms = _rtree_item_count_offsets(bytes(data))
    assert zooms, "the fixture has zoom levels"
    with bwl.open(src.path) as f:
        want = f.stats("chr1", nBins=7)
    for z in zooms:
        struct.pack_into("<Q", data, z, struct.unpack_from("<Q", data, z)[0] + 1)
    p = tmp_path / "zoomcount.bw"
    p.write_bytes(bytes(data))
    with bwl.open(str(p)) as f:
        np.testing.assert_array_equal(f.stats("chr1", nBins=7), want)
    struct.pack_into("<Q", data, main, struct.unpack_from("<Q", data, main)[0] + 1)
    p.write_bytes(bytes(data))
    with pytest.raises(bwl.FormatError, match="header says"):
        bwl.open(str(p))
