"""The ``bwl`` command line (python -m bwl.cli), checked against pyBigWig."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pybigtools
import pyBigWig
import pytest

from support.tracks import CHROMS


def cli(*args, ok=True):
    r = subprocess.run([sys.executable, "-m", "bwl.cli", *map(str, args)],
                       capture_output=True, text=True, timeout=60)
    if ok:
        assert r.returncode == 0, f"exit {r.returncode}: {r.stderr}"
    return r


def _pybw_nan(xs):
    return np.array([np.nan if x is None else x for x in xs], np.float64)


@pytest.fixture(scope="module")
def bwf(bw_files):
    return bw_files["pybw_bedGraph"]


# ------------------------------------------------------------ info


def test_info_text(bwf):
    out = cli("info", bwf.path).stdout
    p = pyBigWig.open(bwf.path)
    h = p.header()
    lines = out.splitlines()
    field = {ln.split(":", 1)[0].strip(): ln.split(":", 1)[1].strip() for ln in lines if ":" in ln and
             not ln.startswith(" ")}
    assert field["file"] == bwf.path
    assert int(field["version"]) == h["version"]
    assert int(field["bases covered"]) == h["nBasesCovered"]
    assert int(field["chromosomes"]) == len(p.chroms())
    assert field["byte order"].startswith("little")
    # chrom table: "name size" rows after the header row
    rows = {}
    for ln in lines:
        parts = ln.split()
        if len(parts) == 2 and parts[0] in CHROMS:
            rows[parts[0]] = int(parts[1])
    assert rows == p.chroms()
    # zoom table: one row per level with its reduction
    info = pybigtools.open(bwf.path).info()
    zoom_rows = [ln.split() for ln in lines if ln.split()[:1] and ln.split()[0].isdigit() and len(ln.split()) == 3]
    assert len(zoom_rows) == h["nLevels"] == info["zoomLevels"]
    # min / max / mean against pybigtools' summary
    mn, mx, mean = (float(x) for x in field["min/max/mean"].split("/"))
    s = info["summary"]
    assert mn == pytest.approx(s["min"], rel=1e-5) and mx == pytest.approx(s["max"], rel=1e-5)
    assert mean == pytest.approx(s["mean"], rel=1e-5)


def test_info_json(bw_files):
    for name in ("pybw_variableStep", "bwl_fixedStep_little_raw"):
        path = bw_files[name].path
        d = json.loads(cli("info", "--json", path).stdout)
        p = pyBigWig.open(path)
        assert d["file"] == path
        assert d["chroms"] == p.chroms()
        assert list(d["chroms"]) == list(p.chroms())
        ph = p.header()
        for k in ("version", "nLevels", "nBasesCovered"):
            assert d["header"][k] == ph[k], k
        s = pybigtools.open(path).info()["summary"]
        assert d["header"]["minVal"] == s["min"] and d["header"]["maxVal"] == s["max"]
        assert d["header"]["sumData"] == pytest.approx(s["sum"], rel=1e-9)
        assert d["header"]["compressed"] == (name != "bwl_fixedStep_little_raw")
        assert len(d["header"]["zoomLevels"]) == ph["nLevels"]


def test_info_big_endian(bw_files):
    import bbi

    path = bw_files["bwl_bedGraph_big_zlib"].path
    d = json.loads(cli("info", "--json", path).stdout)
    assert d["header"]["byteOrder"] == "big"
    assert d["chroms"] == dict(bbi.chromsizes(path))
    assert d["header"]["nBasesCovered"] == bbi.info(path)["summary"]["basesCovered"]


def test_info_max_chroms(bwf):
    out = cli("info", "--max-chroms", "2", bwf.path).stdout
    shown = [ln.split()[0] for ln in out.splitlines() if ln.split()[:1] and ln.split()[0] in CHROMS]
    assert shown == list(CHROMS)[:2]
    assert f"{len(CHROMS) - 2} more" in out


# ------------------------------------------------------------ values


@pytest.mark.parametrize("region,chrom,start,end", [
    ("chr10:0-300", "chr10", 0, 300),
    ("chr1:399,900-400,000", "chr1", 399_900, 400_000),  # commas, last base
    ("chr2:1_000-1_100", "chr2", 1000, 1100),
    ("chrM", "chrM", 0, 37),                           # whole chrom
    ("chr3_empty:5-10", "chr3_empty", 5, 10),          # no data
    ("chrUn_KI270302v1:1499-1501", "chrUn_KI270302v1", 1499, 1501),
])
def test_values(bwf, region, chrom, start, end):
    want = pyBigWig.open(bwf.path).values(chrom, start, end, numpy=True)
    out = cli("values", bwf.path, region).stdout
    got = np.loadtxt(io.StringIO(out), dtype=np.float64, ndmin=1)
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=1e-6)  # printed with 7 significant digits

    js = json.loads(cli("values", "--json", bwf.path, region).stdout)
    assert len(js) == end - start
    assert [x is None for x in js] == list(np.isnan(want))
    np.testing.assert_array_equal(np.array([np.nan if x is None else x for x in js], np.float32), want)


def test_values_big_endian(bw_files):
    import bbi

    path = bw_files["bwl_variableStep_big_raw"].path
    js = json.loads(cli("values", "--json", path, "chr10:0-2000").stdout)
    want = bbi.fetch(path, "chr10", 0, 2000, missing=np.nan).astype(np.float32)
    np.testing.assert_array_equal(np.array([np.nan if x is None else x for x in js], np.float32), want)


# ------------------------------------------------------------ stats


@pytest.mark.parametrize("args,chrom,start,end,stat,nbins,exact", [
    (["chr1:0-400000"], "chr1", 0, 400_000, "mean", 1, False),
    (["chr1:0-400000", "--bins", "5", "--type", "max"], "chr1", 0, 400_000, "max", 5, False),
    (["chr10:100-5000", "--bins", "7", "--type", "min", "--exact"], "chr10", 100, 5000, "min", 7, True),
    (["chr10", "--type", "cov", "--exact"], "chr10", 0, 6000, "cov", 1, True),
    (["chr2:0-3000", "--bins", "30", "--type", "std", "--exact"], "chr2", 0, 3000, "std", 30, True),
    (["chr3_empty", "--bins", "3"], "chr3_empty", 0, 2500, "mean", 3, False),
])
def test_stats(bwf, args, chrom, start, end, stat, nbins, exact):
    out = cli("stats", bwf.path, *args).stdout.split()
    got = np.array([float(x) for x in out])
    want = _pybw_nan(pyBigWig.open(bwf.path).stats(chrom, start, end, type="coverage" if stat == "cov" else stat,
                                                   nBins=nbins, exact=exact))
    assert got.shape == (nbins,)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)  # printed with 7 significant digits


# ------------------------------------------------------------ errors


def _assert_fails(r, *needles):
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "error" in r.stderr
    assert "Traceback" not in r.stderr
    for n in needles:
        assert n in r.stderr, (n, r.stderr)


def test_missing_chrom(bwf):
    _assert_fails(cli("values", bwf.path, "chrX:0-10", ok=False), "chrX")
    _assert_fails(cli("stats", bwf.path, "chrX", ok=False), "chrX")
    _assert_fails(cli("values", bwf.path, "chrX", ok=False), "chrX")


def test_bad_range(bwf):
    _assert_fails(cli("values", bwf.path, "chrM:0-38", ok=False), "chrM")
    _assert_fails(cli("values", bwf.path, "chrM:10-10", ok=False))
    _assert_fails(cli("stats", bwf.path, "chrM:0-10", "--bins", "0", ok=False))


def test_missing_file(tmp_path):
    p = str(tmp_path / "missing.bw")
    _assert_fails(cli("info", p, ok=False), p)
    _assert_fails(cli("values", p, "chr1:0-10", ok=False), p)


def test_corrupt_file(tmp_path):
    p = tmp_path / "bad.bw"
    p.write_bytes(b"not a bigwig at all" * 10)
    _assert_fails(cli("info", p, ok=False), str(p))


def test_bad_region_syntax(bwf):
    """Either a usage error (2) or, read as a chrom name (names may hold ':'),
    an unknown chrom (1); never a traceback."""
    for region in ("chr1:10-", "chr1:a-b", "chr1:5-2x"):
        r = cli("values", bwf.path, region, ok=False)
        assert r.returncode in (1, 2), (region, r.returncode, r.stderr)
        assert "Traceback" not in r.stderr, (region, r.stderr)
        assert region in r.stderr or "region" in r.stderr, (region, r.stderr)


def test_console_script(bwf):
    """pip installs the `bwl` script next to the interpreter (or on PATH)."""
    exe = os.path.join(os.path.dirname(sys.executable), "bwl")
    exe = exe if os.path.exists(exe) else shutil.which("bwl")
    assert exe, "the bwl console script is not installed"
    r = subprocess.run([exe, "info", "--json", bwf.path], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["chroms"] == pyBigWig.open(bwf.path).chroms()
