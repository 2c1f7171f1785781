"""`bwl from-bedgraph`, `bwl plot`, `bwl demo` and `bwl bench` run as a user
runs them (subprocess) and their results are checked with pyBigWig, zlib
and the PNG header."""
import gzip
import struct
import subprocess
import sys
import zlib

import numpy as np
import pyBigWig
import pytest

import bwl


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
    p = tmp_path / "a.bw"
    bwl.write(p, {"chr1": 10_000}, {"chr1": (np.arange(0, 9000, 100), np.arange(50, 9050, 100), np.arange(90) / 9)})
    out = tmp_path / "plot.png"
    r = run("plot", p, p, "--region", "chr1:0-5,000", "-o", out, "--width", "8")
    assert r.returncode == 0, r.stderr
    w, h = _png_size(out)
    assert w == 800 and 150 < h < 400  # 8 in at 100 dpi; two track rows


def test_demo(tmp_path):
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


# ------------------------------------------------------------------ build info and optional packages

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def test_info_build():
    """`bwl info --build` and build_info(): the inflate backend, CUDA
    architectures, CPU features and notes, consistent with each other."""
    b = bwl.build_info()
    assert b["inflate"] in ("bwl", "libdeflate", "zlib")
    assert b["inflate_version"] in ("bmi2", "x86-64") if b["inflate"] == "bwl" else b["inflate_version"][:1].isdigit()
    assert b["cuda"] == bool(b["cuda_architectures"]) == hasattr(bwl._core, "CudaBatcher")
    assert b["cpu_compiled_for"] and all(isinstance(x, str) for x in b["cpu_detected"])
    # a slower build is said in words, and only then
    assert ("slower" in b["notes"]) == (b["inflate"] == "zlib")
    r = run("info", "--build")
    assert r.returncode == 0, r.stderr
    assert f"{b['inflate']} {b['inflate_version']}" in r.stdout and b["version"] in r.stdout
    r = run("info", "--build", "--json")
    assert __import__("json").loads(r.stdout) == b


def _blocked(module: str, code: str, *argv: str):
    """Runs ``code`` in a child Python where importing ``module`` fails as if
    it were not installed."""
    pre = f"import sys; sys.modules[{module!r}] = None; sys.argv = [sys.argv[0], *{list(argv)!r}]\n"
    return subprocess.run([sys.executable, "-c", pre + code], capture_output=True, text=True, timeout=300, cwd=ROOT)


def _one_line(r, code: int, *words: str):
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


def test_plot_without_matplotlib(tmp_path):
    p = tmp_path / "a.bw"
    bwl.write(p, {"chr1": 1000}, {"chr1": (np.array([0]), np.array([10]), np.array([1.0]))})
    r = _blocked("matplotlib", "from bwl.cli import main; sys.exit(main(sys.argv[1:]))",
                 "plot", str(p), "--region", "chr1:0-100", "-o", str(tmp_path / "x.png"))
    _one_line(r, 2, "bwl plot", "pip install matplotlib")


def test_torch_module_without_torch():
    r = _blocked("torch", "import bwl.torch")
    assert r.returncode == 1 and "MissingDependency: bwl.torch needs torch: pip install torch" in r.stderr, r.stderr
    r = _blocked("torch", "import bwl, bwl.loader, bwl.samplers; print('ok')")  # the rest needs no torch
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


@pytest.mark.parametrize("name,module", [("loader", "torch"), ("collection", "bbi"), ("single_file", "pybigtools")])
def test_bench_without_a_peer(name, module):
    # sys.path[0] = bench/, as `python bench/x.py` has it (runpy.run_path does not add the script's folder)
    r = _blocked(module, f"import runpy; sys.path.insert(0, 'bench'); runpy.run_path('bench/{name}.py', run_name='__main__')",
                 "--quick")
    _one_line(r, 2, f"needs {module}", "pip install")


def test_only_gpu_tests_may_skip(tmp_path):
    """tests/support/skip_policy.py: a skip fails the run, a `gpu` skip does not,
    and the reason is printed."""
    (tmp_path / "conftest.py").write_text("from support.skip_policy import *  # noqa\n")
    (tmp_path / "test_x.py").write_text(
        "import pytest\n"
        "def test_ok():\n    pass\n"
        "@pytest.mark.gpu\n@pytest.mark.skipif(True, reason='no GPU here')\ndef test_gpu():\n    pass\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT / "tests")}
    env.pop("BWL_ALLOW_SKIPS", None)
    args = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-c", "/dev/null", str(tmp_path)]
    r = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0 and "1 passed, 1 skipped" in r.stdout, r.stdout
    (tmp_path / "test_y.py").write_text("import pytest\npytest.importorskip('no_such_module_here')\n")
    r = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 1 and "skips that fail the run" in r.stdout and "no_such_module_here" in r.stdout, r.stdout
