"""bigBed (issue 14): entries, autoSql, header and coverage stats from
bwl.open; coverage and masks from bwl.Collection, mixed with bigWig tracks.

Oracles: pyBigWig (entries, SQL) on pyBigWig's own test.bigBed and on
bigBeds written by pybigtools; the records themselves (coverage computed
here with numpy) on those and on hand-built files in both byte orders,
compressed or not.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pybigtools
import pyBigWig
import pyBigWigTest
import pytest

import bwl
from support.bbi import bed_records, build_bbi

TEST_BB = os.path.join(os.path.dirname(pyBigWigTest.__file__), "test.bigBed")
CHROMS = {"chrA": 50_000, "chrB": 7_000, "chrC": 900}


def _records(seed: int):
    """Sorted records per chrom: overlapping peaks of 1..3000 bp, rest fields of varied length."""
    rng = np.random.default_rng(seed)
    out = []
    for ci, (name, size) in enumerate(CHROMS.items()):
        n = {"chrA": 400, "chrB": 60, "chrC": 0}[name]
        starts = np.sort(rng.integers(0, size - 1, n))
        for s in starts.tolist():
            e = min(size, s + int(rng.integers(1, 3000)))
            rest = "\t".join([f"peak{ci}_{s}", str(int(rng.integers(0, 1000))), "+-."[s % 3], "x" * int(rng.integers(0, 40))])
            out.append((name, s, e, rest))
    return out


@pytest.fixture(scope="module")
def beds(tmp_path_factory):
    """name -> (path, records): pybigtools-written, and hand-built big-endian zlib and little raw."""
    d = tmp_path_factory.mktemp("bb")
    recs = _records(3)
    out = {}
    p = str(d / "pbt.bb")
    pybigtools.open(p, "w").write(CHROMS, iter(recs))
    out["pybigtools"] = (p, recs)
    ids = {n: i for i, n in enumerate(CHROMS)}
    for endian, comp in ((">", True), ("<", False)):
        blocks = []
        for name in CHROMS:
            rs = [(ids[n], s, e, r) for n, s, e, r in recs if n == name]
            for k in range(0, len(rs), 37):  # several blocks per chrom
                part = rs[k:k + 37]
                blocks.append((ids[name], part[0][1], ids[name], max(e for _, _, e, _ in part), bed_records(part, endian)))
        data, _ = build_bbi(list(CHROMS.items()), blocks, endian=endian, compress=comp, bigbed=True)
        p = str(d / f"hand_{'big' if endian == '>' else 'little'}_{'zlib' if comp else 'raw'}.bb")
        open(p, "wb").write(data)
        out[p.rsplit("/", 1)[1][:-3]] = (p, recs)
    return out


def coverage(recs, chrom: str, start: int, end: int) -> np.ndarray:
    cov = np.zeros(end - start, np.float64)
    for n, s, e, _ in recs:
        if n == chrom and s < end and e > start:
            cov[max(s, start) - start: min(e, end) - start] += 1
    return cov


def test_pybigwig_test_bigbed():
    ref = pyBigWig.open(TEST_BB)
    with bwl.open(TEST_BB) as f:
        assert f.is_bigbed and f.chroms() == ref.chroms()
        assert f.sql() == ref.SQL().decode()  # pyBigWig gives bytes
        h = f.header()
        assert (h["fieldCount"], h["definedFieldCount"]) == (9, 6)
        for chrom, size in ref.chroms().items():
            for s, e in ((0, size), (10_000_000, 10_020_000), (size // 2, size // 2 + 100_000)):
                if s >= size:
                    continue
                e = min(e, size)
                got = f.entries(chrom, s, e)
                want = ref.entries(chrom, s, e) or []
                assert list(zip(got[0].tolist(), got[1].tolist(), got[2])) == want
                assert list(zip(*f.entries(chrom, s, e, with_string=False)[:2])) == \
                    (ref.entries(chrom, s, e, withString=False) or [])
        with pytest.raises(ValueError, match="bigBed"):
            f.values("chr1", 0, 10)
        with pytest.raises(ValueError, match="bigBed"):
            f.intervals("chr1")


@pytest.mark.parametrize("name", ["pybigtools", "hand_big_zlib", "hand_little_raw"])
def test_entries_equal_records(beds, name):
    path, recs = beds[name]
    ref = pyBigWig.open(path) if name != "hand_big_zlib" else None  # pyBigWig reads little-endian only
    rng = np.random.default_rng(5)
    with bwl.open(path) as f:
        # pybigtools leaves chromosomes without records out of the file
        assert f.is_bigbed and f.chroms() == {n: z for n, z in CHROMS.items() if name != "pybigtools" or n != "chrC"}
        for chrom, size in CHROMS.items():
            if chrom not in f.chroms():
                continue
            for _ in range(15):
                s = int(rng.integers(0, size - 1))
                e = int(min(size, s + rng.integers(1, 20_000)))
                got = f.entries(chrom, s, e)
                want = [(a, b, r) for n, a, b, r in recs if n == chrom and a < e and b > s]
                assert list(zip(got[0].tolist(), got[1].tolist(), got[2])) == want
                if ref is not None:
                    assert want == (ref.entries(chrom, s, e) or [])
                cov = coverage(recs, chrom, s, e)
                st = f.stats(chrom, s, e, type="max", nBins=1, exact=True)[0]
                assert (np.isnan(st) and cov.max() == 0) or st == cov.max()
                mean = f.stats(chrom, s, e, type="mean", nBins=1, exact=True)[0]
                assert (np.isnan(mean) and not cov.any()) or np.isclose(mean, cov[cov > 0].mean())


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("stat", ["mean", "max", "min", "std"])
def test_stats_equal_pybigtools(beds, stat, exact):
    """Coverage-depth summaries, from zoom levels or from the records, as
    pybigtools computes them (values with bins and a summary)."""
    path, _ = beds["pybigtools"]
    pb = pybigtools.open(path)
    with bwl.open(path) as f, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pybigtools' NaN-default notice
        for chrom, s, e, n in (("chrA", 0, 50_000, 5), ("chrA", 1234, 40_000, 17), ("chrB", 0, 7_000, 3)):
            got = f.stats(chrom, s, e, type=stat, nBins=n, exact=exact)
            want = pb.values(chrom, s, e, bins=n, summary=stat, exact=exact)
            assert np.allclose(got, want, equal_nan=True, rtol=1e-9), (chrom, s, e, got, want)


@pytest.mark.parametrize("preload", [False, True])
@pytest.mark.parametrize("name", ["pybigtools", "hand_big_zlib", "hand_little_raw"])
def test_collection_coverage_and_mask(beds, name, tmp_path, preload):
    path, recs = beds[name]
    bw = str(tmp_path / "sig.bw")
    bwl.write(bw, CHROMS, {"chrA": ([0, 100], [50, 20_000], [1.5, -2.0])})
    rng = np.random.default_rng(8)
    B, L = 40, 1200
    chroms = [list(CHROMS)[i] for i in rng.integers(0, 2, B)]
    starts = np.array([rng.integers(-300, CHROMS[c] - 200) for c in chroms])
    for mode in ("coverage", "mask"):
        c = bwl.Collection([path, bw], mode=mode, decoded_cache=1 << 20, preload=preload)
        for _ in range(2):  # the second from the decoded cache (preload: both from the preloaded blocks)
            out = c.values(chroms, starts, starts + L, oob="pad", default=-1.0)
            sig = bwl.Collection([bw]).values(chroms, starts, starts + L, oob="pad", default=-1.0)
            assert np.array_equal(out[:, 1], sig[:, 0], equal_nan=True)
            for b in range(B):
                s, e = int(starts[b]), int(starts[b]) + L
                lo, hi = max(s, 0), min(e, CHROMS[chroms[b]])
                want = np.full(L, -1.0)
                cov = coverage(recs, chroms[b], lo, hi)
                want[lo - s: hi - s] = (cov > 0) if mode == "mask" else cov
                assert np.array_equal(out[b, 0], want), (mode, b)
        pooled = c.values(chroms, starts, starts + L, window=100, summary="max", oob="pad")
        per_base = c.values(chroms, starts, starts + L, oob="pad")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN bins (outside the chromosome)
            want = np.nanmax(per_base[:, 0].reshape(B, L // 100, 100), axis=2)
        assert np.array_equal(pooled[:, 0], want, equal_nan=True)
        half = c.values(chroms, starts, starts + L, dtype="float16", layout="BLT", oob="pad")
        assert np.array_equal(half[:, :, 0].astype(np.float32), per_base[:, 0].astype(np.float16).astype(np.float32),
                              equal_nan=True)


def test_bad_mode_and_truncated_record(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        bwl.Collection([TEST_BB], mode="peaks")
    block = bed_records([(0, 10, 20, "a")])[:-1]  # no NUL: the record runs past its block
    data, _ = build_bbi([("chrA", 1000)], [(0, 10, 0, 20, block)], bigbed=True)
    p = str(tmp_path / "cut.bb")
    open(p, "wb").write(data)
    with bwl.open(p) as f, pytest.raises(bwl.FormatError, match="cut.bb.*past the end"):
        f.entries("chrA", 0, 1000)
    with pytest.raises(bwl.FormatError, match="cut.bb"):
        bwl.Collection([p]).values(["chrA"], [0], [100])


def test_pybigwig_module_on_bigbed(beds):
    import bwl.pybigwig as pbw

    path, recs = beds["pybigtools"]
    ours, ref = pbw.open(path), pyBigWig.open(path)
    assert ours.isBigBed() and not ours.isBigWig()
    assert ours.entries("chrA", 0, 5000) == ref.entries("chrA", 0, 5000)
    empty, empty_ref = pbw.open(beds["hand_little_raw"][0]), pyBigWig.open(beds["hand_little_raw"][0])
    assert empty.entries("chrC", 0, 900) == [] == empty_ref.entries("chrC", 0, 900)  # a list, not None
    for call in (lambda b: b.values("chrA", 0, 10), lambda b: b.stats("chrA", 0, 10)):
        with pytest.raises(RuntimeError):
            call(ours)


def test_entries_without_strings_and_empty_chromosomes(tmp_path):
    """entries(with_string=False) gives one empty string per record (as
    documented; it gave an empty list); Collection.intervals() skips a
    chromosome of length 0 (it failed reading [0, 0))."""
    p = str(tmp_path / "e.bb")
    pybigtools.open(p, "w").write({"chrA": 1000, "chrZ": 0}, iter([("chrA", 10, 20, "x"), ("chrA", 30, 40, "y")]))
    with bwl.open(p) as f:
        s, e, rest = f.entries("chrA", 0, 1000, with_string=False)
        assert list(s) == [10, 30] and rest == ["", ""]
    got = bwl.Collection([p]).intervals(threshold=1)
    assert list(got[1]) == [10, 30] and list(got[2]) == [20, 40]
    w = str(tmp_path / "z.bw")
    bwl.write(w, {"chrA": 1000, "chrZ": 0}, {"chrA": ([10], [20], [1.0])})
    c = bwl.Collection([w, p])
    assert "chrZ" in c.chrom_names()
    got = c.intervals(threshold=1, chroms=["chrA", "chrZ"])
    assert list(got[0]) == ["chrA", "chrA"] and list(got[1]) == [10, 30]
