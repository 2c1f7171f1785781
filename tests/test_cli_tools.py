"""`bwl from-bedgraph`, `bwl plot`, `bwl demo` and `bwl bench` run as a user
runs them (subprocess) and their results are checked with pyBigWig, zlib
and the PNG header."""
import gzip
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

import bwl

pyBigWig = pytest.importorskip("pyBigWig")


def run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "bwl.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def _bedgraph(tmp_path, gz: bool):
    rng = np.random.default_rng(3)
    sizes = {"chr1": 50_000, "chr2": 20_000, "chrM": 100}
    rows = []
    for c, n in sizes.items():
        if c == "chrM":
            continue  # a chromosome without data
        cuts = np.unique(rng.integers(0, n, n // 40))
        for s, e in zip(cuts[:-1], cuts[1:]):
            if rng.random() < 0.8:
                rows.append((c, int(s), int(e), float(np.float32(rng.normal(0, 5)))))
    order = rng.permutation(len(rows))  # any order: the converter sorts per chromosome
    text = "track type=bedGraph\n" + "".join(f"{rows[i][0]}\t{rows[i][1]}\t{rows[i][2]}\t{rows[i][3]!r}\n" for i in order)
    bg = tmp_path / ("in.bedGraph.gz" if gz else "in.bedGraph")
    (gzip.open if gz else open)(bg, "wt").write(text)
    cs = tmp_path / "chrom.sizes"
    cs.write_text("".join(f"{c}\t{n}\n" for c, n in sizes.items()))
    return bg, cs, sizes, sorted(rows)


@pytest.mark.parametrize("gz", [False, True])
def test_from_bedgraph_round_trip(tmp_path, gz):
    bg, cs, sizes, rows = _bedgraph(tmp_path, gz)
    out = tmp_path / "out.bw"
    r = run("from-bedgraph", bg, cs, out)
    assert r.returncode == 0, r.stderr
    assert f"{len(rows) + 1:,} lines" in r.stdout  # + the track line
    bw = pyBigWig.open(str(out))
    assert bw.chroms() == sizes
    for c in ("chr1", "chr2"):
        want = [(s, e, v) for cc, s, e, v in rows if cc == c]
        got = [(s, e, v) for s, e, v in bw.intervals(c)]
        assert [(s, e) for s, e, _ in got] == [(s, e) for s, e, _ in want]
        np.testing.assert_array_equal(np.float32([v for *_, v in got]), np.float32([v for *_, v in want]))
    assert bw.intervals("chrM") is None
    assert bw.header()["nLevels"] > 0


def test_from_bedgraph_errors(tmp_path):
    cs = tmp_path / "chrom.sizes"
    cs.write_text("chr1\t100\n")
    for text, msg in [("chr9\t0\t10\t1\n", "not in chrom.sizes"), ("chr1\t0\t200\t1\n", "past the end"),
                      ("chr1\t0\t10\n", "4 columns"), ("chr1\t0\t10\t1\nchr1\t5\t20\t2\n", "overlap")]:
        bg = tmp_path / "bad.bedGraph"
        bg.write_text(text)
        r = run("from-bedgraph", "-q", bg, cs, tmp_path / "bad.bw")
        assert r.returncode == 1 and msg in r.stderr, (text, r.stderr)
        assert "Traceback" not in r.stderr


def _png_size(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    w, h = struct.unpack(">II", data[16:24])
    assert zlib.crc32(data[12:29]) == struct.unpack(">I", data[29:33])[0]  # the header chunk is intact
    return w, h


def test_plot_png(tmp_path):
    pytest.importorskip("matplotlib")
    p = tmp_path / "a.bw"
    bwl.write(p, {"chr1": 10_000}, {"chr1": (np.arange(0, 9000, 100), np.arange(50, 9050, 100), np.arange(90) / 9)})
    out = tmp_path / "plot.png"
    r = run("plot", p, p, "--region", "chr1:0-5,000", "-o", out, "--width", "8")
    assert r.returncode == 0, r.stderr
    w, h = _png_size(out)
    assert w == 800 and 150 < h < 400  # 8 in at 100 dpi; two track rows


def test_demo(tmp_path):
    pytest.importorskip("matplotlib")
    r = run("demo", "--dir", tmp_path, "--batches", "20", timeout=600)
    assert r.returncode == 0, r.stderr
    assert "samples/s" in r.stdout
    w, h = _png_size(tmp_path / "demo_batch.png")
    assert w == 1000 and h > 300
    fasta = bwl.Fasta(tmp_path / "genome.fa")
    tracks = sorted(tmp_path.glob("track*.bw"))
    assert len(tracks) == 12 and set(bwl.Collection(tracks).chroms()) == set(fasta.chroms())
    # a second run reuses the cached files
    before = [t.stat().st_mtime_ns for t in tracks]
    assert run("demo", "--dir", tmp_path, "--batches", "5", timeout=600).returncode == 0
    assert [t.stat().st_mtime_ns for t in tracks] == before


def test_bench_outside_checkout(tmp_path):
    r = subprocess.run([sys.executable, "-m", "bwl.cli", "bench", "single_file"], capture_output=True, text=True,
                       cwd=tmp_path, timeout=60)
    assert r.returncode == 1 and "source checkout" in r.stderr
