"""bwl.pybigwig (issue 14): pyBigWig's own test suite (pyBigWigTest/test.py,
shipped with pyBigWig) run against ``bwl.pybigwig``, plus the return types
and errors a pyBigWig user relies on, against pyBigWig itself.

The suite's remote URL (raw.githubusercontent.com) is served by the
loopback server (CI has no network). Its two md5 checks pin the bytes
libBigWig writes, and hold for bwl.pybigwig's files as they are (issue 32:
its writer writes libBigWig's layout; tests/test_pybigwig_writer.py).

TestNumpy.testNumpy writes fixedStep entries whose span (8) exceeds their
step (2): overlapping items, which libBigWig writes and bwl reads as
libBigWig does.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import types

import numpy as np
import pyBigWig
import pyBigWigTest
import pytest

import bwl
import bwl.pybigwig as pbw
from support.http_server import FaultServer

SUITE = os.path.join(os.path.dirname(pyBigWigTest.__file__), "test.py")
GITHUB = "http://raw.githubusercontent.com/dpryan79/pyBigWig/master/pyBigWigTest/"
MD5 = re.compile(r'h = hashlib\.md5\(open\(oname, "rb"\)\.read\(\)\)\.hexdigest\(\)\n\s*assert\(h=="([0-9a-f]+)"\)')


def _load_suite(module, server_url: str, tmp) -> types.ModuleType:
    """test.py compiled with `pyBigWig` bound to `module` (its URL mapped to
    the loopback server; /tmp/delete.bw to a temporary folder)."""
    src = open(SUITE).read()
    src, n = MD5.subn(r'_check_md5(oname, "\1")', src)
    assert n == 2, "pyBigWig's suite changed: its md5 checks were not found"
    src = src.replace('"/tmp/delete.bw"', f'{os.path.join(str(tmp), "delete.bw")!r}')

    shim = types.ModuleType("pyBigWig")
    shim.__file__ = pyBigWig.__file__  # the suite finds test.bw next to it
    shim.numpy, shim.remote = module.numpy, module.remote
    shim.open = lambda f, *a: module.open(f.replace(GITHUB, server_url) if isinstance(f, str) else f, *a)

    def check_md5(path: str, md5: str) -> None:
        assert hashlib.md5(open(path, "rb").read()).hexdigest() == md5, f"{module.__name__} wrote other bytes"

    mod = types.ModuleType("pyBigWigSuite")
    mod.__dict__["_check_md5"] = check_md5
    saved = sys.modules["pyBigWig"]
    sys.modules["pyBigWig"] = shim  # the suite's own `import pyBigWig`
    try:
        exec(compile(src, SUITE, "exec"), mod.__dict__)
    finally:
        sys.modules["pyBigWig"] = saved
    assert mod.pyBigWig is shim
    return mod


@pytest.fixture(scope="module")
def suites(tmp_path_factory):
    root = tmp_path_factory.mktemp("github")
    shutil.copy(os.path.join(os.path.dirname(pyBigWigTest.__file__), "test.bw"), root / "test.bw")
    with FaultServer(root) as srv:
        base = srv.url("")
        ref = _load_suite(pyBigWig, base, tmp_path_factory.mktemp("ref"))
        ours = _load_suite(pbw, base, tmp_path_factory.mktemp("ours"))
        yield ref, ours


CASES = [("TestRemote", "testAll"), ("TestLocal", "testFoo"), ("TestNumpy", "testNumpy"),
         ("TestNumpy", "testNumpyValues")]


@pytest.mark.parametrize("cls,method", CASES)
def test_pybigwig_suite(suites, cls, method):
    ref, ours = suites
    # The suite with pyBigWig itself too (its md5 checks pin the pyBigWig
    # this runs against); this pyBigWig may lack libcurl for the remote cases.
    if pyBigWig.remote or (cls, method) not in (("TestRemote", "testAll"), ("TestNumpy", "testNumpyValues")):
        getattr(getattr(ref, cls)(), method)()
    getattr(getattr(ours, cls)(), method)()


def test_pybigwig_suite_bigbed(suites):
    ref, ours = suites
    ref.TestBigBed().testBigBed()
    ours.TestBigBed().testBigBed()


# ------------------------------------------------------------ against pyBigWig


@pytest.fixture
def written(tmp_path):
    """The same entries written by pyBigWig and by bwl.pybigwig."""
    paths = {}
    for name, mod in (("ref", pyBigWig), ("bwl", pbw)):
        p = str(tmp_path / f"{name}.bw")
        b = mod.open(p, "w")
        b.addHeader([("chr1", 10_000), ("chr2", 5_000), ("chr3", 100)], maxZooms=3)
        b.addEntries(["chr1"] * 3, [0, 100, 150], ends=[50, 120, 400], values=[1.5, -2.0, 3.25])
        b.addEntries("chr1", np.array([500, 600]), values=np.array([0.5, 0.75]), span=20)
        b.addEntries("chr1", 1000, values=[1.0, 2.0, 3.0], span=10, step=50)
        b.addEntries(np.array(["chr2", "chr2"]), np.array([10, 4000], dtype=np.int64),
                     ends=np.array([20, 5000], dtype=np.int64), values=np.array([9.0, -1.0]))
        b.close()
        paths[name] = p
    return paths


def test_reads_like_pybigwig(written):
    ref, ours = pyBigWig.open(written["ref"]), pbw.open(written["bwl"])
    assert ours.chroms() == ref.chroms() and ours.chroms("chr2") == ref.chroms("chr2") and ours.chroms("x") is None
    assert ours.header() == ref.header()
    assert all(isinstance(v, int) for v in ours.header().values())
    for c in ("chr1", "chr2"):
        assert ours.intervals(c) == ref.intervals(c)
        assert ours.intervals(c, 90, 610) == ref.intervals(c, 90, 610)
        v, r = ours.values(c, 0, 800), ref.values(c, 0, 800)
        assert type(v) is list and np.array_equal(v, r, equal_nan=True)
        assert np.array_equal(ours.values(c, 0, 800, numpy=True), ref.values(c, 0, 800, numpy=True), equal_nan=True)
        for t in ("mean", "max", "min", "cov", "std"):
            for exact in (False, True):
                got, want = ours.stats(c, 0, 1200, type=t, nBins=6, exact=exact), \
                    ref.stats(c, 0, 1200, type=t, nBins=6, exact=exact)
                assert [g is None for g in got] == [w is None for w in want]
                assert np.allclose([g for g in got if g is not None], [w for w in want if w is not None])
    assert ours.intervals("chr3") is None and ref.intervals("chr3") is None
    assert ours.intervals("chr1", 5000, 6000) is None and ref.intervals("chr1", 5000, 6000) is None
    assert ours.stats("chr1", 0, 8, nBins=20) == ref.stats("chr1", 0, 8, nBins=20)  # bins narrower than a base
    assert ours.isBigWig() and not ours.isBigBed() and ours.SQL() is None
    with pytest.raises(RuntimeError, match="no entries"):
        ours.entries("chr1", 0, 10)
    assert (pbw.numpy, pbw.remote) == (1, 1)


def _outcome(b, method, args, kw):
    """What a call returns (arrays as dtype and list) or raises, as a string."""
    try:
        r = getattr(b, method)(*args, **kw)
        return repr(("ok", r.dtype.str, r.tolist()) if isinstance(r, np.ndarray) else ("ok", r))
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return repr(("raised", type(e).__name__, str(e)))


@pytest.fixture(scope="module")
def zoomed(tmp_path_factory):
    """Files with zoom levels: one written by pyBigWig (libBigWig's levels),
    one by bwl.write (UCSC's), over 10^5 items of random spans and gaps."""
    d = tmp_path_factory.mktemp("zoomed")
    rng = np.random.default_rng(3)
    chroms = [("chr1", 1_000_000), ("chr2", 300_000)]
    data = {}
    for c, n in chroms:
        starts = np.sort(rng.choice(n // 10, n // 25, replace=False)) * 10
        ends = starts + rng.integers(1, 10, len(starts))
        data[c] = (starts, ends, rng.normal(size=len(starts)).astype(np.float32))
    ref = str(d / "pybigwig.bw")
    b = pyBigWig.open(ref, "w")
    b.addHeader(chroms)
    for c, (s, e, v) in data.items():
        b.addEntries([c] * len(s), s.tolist(), ends=e.tolist(), values=v.astype(float).tolist())
    b.close()
    mine = str(d / "bwl.bw")
    bwl.write(mine, chroms, data)
    return [ref, mine, os.path.join(os.path.dirname(pyBigWigTest.__file__), "test.bw")]


def test_read_calls_equal_pybigwigs(zoomed):
    """Call for call, bwl.pybigwig returns (to the bit) or raises what
    pyBigWig does: every stat type from the data and from zoom levels
    (libBigWig's bin edges, its arithmetic, its zoom coverage), bins
    narrower than a base, nBins=0, end=-1, coordinates that are not
    integers, unknown chromosomes and bad ranges. Not compared: the zoom
    level "sum", which libBigWig computes as a sum of record means (bwl
    gives UCSC's sum), and a zoom "std" where rounding makes a bin's
    variance negative, which fails the whole call in libBigWig (bwl gives
    NaN for that bin); docs/migration.md."""
    n_calls = 0
    for path in zoomed:
        ref, ours = pyBigWig.open(path), pbw.open(path)
        chroms = ref.chroms()
        c, n = next(iter(chroms.items()))
        short = min(n, 300_000)
        calls = [("values", (c, s, e), kw) for s, e in [(0, 1000), (5, 77), (short - 10, short), (0, 0), (10, 5),
                                                       (-1, 5), (None, 10), (0, None), (0.0, 10), (np.int64(3), 40)]
                 for kw in ({}, {"numpy": True})]
        calls += [("values", (c, 0, -1), {})] if n <= 2_000_000 else []
        calls += [("intervals", a, {}) for a in [(c,), (c, 0, -1), (c, None, 10), (c, 100, 5000), ("chrNo",)]]
        calls += [("stats", (c, s, e), {"type": t, "nBins": nb, "exact": ex})
                  for t in ("mean", "max", "min", "std", "dev", "coverage", "cov", "sum", "average")
                  for nb in (0, 1, 3, 64) for ex in (False, True)
                  for s, e in [(0, short), (7, 7 + 333), (1000, 1030)]  # the last: 64 bins narrower than a base
                  if not (t == "sum" and not ex and (e - s) // max(nb, 1) >= 20)]
        calls += [("stats", (c,), {}), ("stats", (c, 0, -1), {"nBins": 2}), ("stats", (c, 0, 10), {"nBins": -1}),
                  ("stats", (c, 0, 10), {"nBins": 1.5}), ("stats", ("chrNo", 0, 10), {})]
        for method, args, kw in calls:
            want = _outcome(ref, method, args, kw)
            if kw.get("type") in ("std", "dev") and "error was encountered" in want:
                continue  # libBigWig fails the call where rounding makes a zoom bin's variance negative
            assert _outcome(ours, method, args, kw) == want, (path, method, args, kw)
            n_calls += 1
    assert n_calls > 700


def test_file_type_is_named_pybigwig(zoomed):
    """pyBigWig.pyBigWig is the type of an open file (annotations and
    isinstance checks name it)."""
    for mod in (pyBigWig, pbw):
        assert isinstance(mod.open(zoomed[0]), mod.pyBigWig)


def test_sql_is_pybigwigs_bytes(tmp_path, zoomed):
    """SQL() returns what pyBigWig's returns: the autoSql as bytes (its C
    code builds them with PyBytes_FromStringAndSize), not str, so that a
    client's ``bb.SQL().decode()`` runs; the raw bytes where they are not
    UTF-8; None where the header has no autoSql offset (a bigWig, a bigBed
    written without one)."""
    import struct

    bb = os.path.join(os.path.dirname(pyBigWigTest.__file__), "test.bigBed")
    raw = open(bb, "rb").read()
    (sql_at,) = struct.unpack_from("<Q", raw, 36)  # the header's autoSqlOffset
    no_sql = bytearray(raw)
    struct.pack_into("<Q", no_sql, 36, 0)
    not_utf8 = bytearray(raw)
    not_utf8[sql_at + 6] = 0xFF  # in "table RnaElements"
    paths = {"bigBed": bb, "bigWig": zoomed[0]}
    for name, data in (("no autoSql", no_sql), ("not UTF-8", not_utf8)):
        paths[name] = str(tmp_path / f"{name}.bb")
        open(paths[name], "wb").write(bytes(data))
    for name, p in paths.items():
        want, got = pyBigWig.open(p).SQL(), pbw.open(p).SQL()
        assert type(got) is type(want) and got == want, name
    assert type(pbw.open(bb).SQL()) is bytes and pbw.open(bb).SQL().startswith(b"table RnaElements")
    assert pbw.open(paths["not UTF-8"]).SQL()[6] == 0xFF and pbw.open(paths["no autoSql"]).SQL() is None
    assert pbw.open(zoomed[0]).SQL() is None
    assert bwl.open(bb).sql() == pbw.open(bb).SQL().decode()  # bwl's own API keeps str


def test_section_count_written_as_u32(tmp_path):
    """A file whose data count is a u32 (as bigtools has written it) and the
    data's first bytes right after: header() gives the count, not a 64-bit
    number made of the data's first bytes."""
    import struct

    p = str(tmp_path / "x.bw")
    bwl.write(p, [("chr1", 1000)], {"chr1": ([0, 10], [5, 20], [1.0, 2.0])})
    h = bwl.open(p).header()
    data = bytearray(open(p, "rb").read())
    struct.pack_into("<I", data, h["fullDataOffset"] + 4, 0x9C78)  # the high half: what follows a u32 count
    open(p, "wb").write(bytes(data))
    with bwl.open(p) as f:
        assert f.header()["sectionCount"] == h["sectionCount"] == 1
        assert f.values("chr1", 0, 6).tolist()[:5] == [1.0] * 5


@pytest.mark.parametrize("call", [lambda b: b.values("chr1", 10, 5), lambda b: b.values("chr1", 0, 10**6),
                                  lambda b: b.values("nope", 0, 5), lambda b: b.intervals("nope"),
                                  lambda b: b.stats("chr1", 0, 10, type="median"),
                                  lambda b: b.entries("chr1", 0, 10)])
def test_errors_are_runtime_errors(written, call):
    for mod, p in ((pyBigWig, written["ref"]), (pbw, written["bwl"])):
        with pytest.raises(RuntimeError):
            call(mod.open(p))


def test_open_errors_and_closed(written, tmp_path):
    with pytest.raises(RuntimeError, match="error during file opening"):
        pbw.open(str(tmp_path / "missing.bw"))
    b = pbw.open(written["bwl"])
    b.close()
    with pytest.raises(RuntimeError, match="not opened"):
        b.chroms()


@pytest.mark.parametrize("bad", [
    lambda b: b.addEntries(["chr1"], [0], ends=[5], values=[1.0]),            # before what was added
    lambda b: b.addEntries(["chr9"], [0], ends=[5], values=[1.0]),            # unknown chrom
    lambda b: b.addEntries(["chr2", "chr2"], [30, 20], ends=[35, 25], values=[1.0, 2.0]),  # unsorted
    lambda b: b.addEntries(["chr2"], [0], ends=[5], values=[1.0, 2.0]),       # lengths differ
    lambda b: b.addEntries("chr2", [100], values=[1.0]),                      # no span
    lambda b: b.addEntries(["chr2"], [0.5], ends=[5], values=[1.0]),          # a float position
])
def test_writer_refuses(tmp_path, bad):
    b = pbw.open(str(tmp_path / "w.bw"), "w")
    b.addHeader([("chr1", 1000), ("chr2", 5000)])
    b.addEntries(["chr1"], [10], ends=[20], values=[1.0])
    with pytest.raises(RuntimeError):
        bad(b)
    b.addEntries(["chr2"], [0], ends=[5], values=[2.0])  # still usable after a refused call
    b.close()
    with bwl.open(str(tmp_path / "w.bw")) as f:
        assert [a.tolist() for a in f.intervals("chr2")[:2]] == [[0], [5]]


# ------------------------------------------------------------ running pyBigWig programs on bwl

PROGRAM = """
import multiprocessing as mp, sys
import pyBigWig

def name(_):
    import pyBigWig
    return pyBigWig.__name__

if __name__ == "__main__":
    with mp.get_context("spawn").Pool(1) as pool:
        child = pool.map(name, [0])[0]
    print(pyBigWig.__name__, child, pyBigWig.open(sys.argv[1]).chroms(), *sys.argv[2:])
"""


def test_python_m_bwl_pybigwig_runs_a_program_unchanged(written, tmp_path):
    """`python -m bwl.pybigwig SCRIPT|-m MODULE|-c CODE`: `import pyBigWig` is
    bwl.pybigwig in the program, in a spawned worker, and in pytest (which
    puts site-packages, where the real pyBigWig is, first on sys.path)."""
    import subprocess

    script = tmp_path / "prog.py"
    script.write_text(PROGRAM)
    want = f"bwl.pybigwig bwl.pybigwig {pyBigWig.open(written['ref']).chroms()} x"
    for args in ([str(script)], ["-m", "prog"]):
        r = subprocess.run([sys.executable, "-m", "bwl.pybigwig", *args, written["ref"], "x"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and r.stdout.strip() == want, (args, r.stdout, r.stderr)
    r = subprocess.run([sys.executable, "-m", "bwl.pybigwig", "-c", "import pyBigWig, sys; print(pyBigWig.__name__, "
                        "sys.argv[1:])", "y"], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "bwl.pybigwig ['y']", r.stderr
    (tmp_path / "test_uses_pybigwig.py").write_text(
        "import pyBigWig\n\ndef test_it():\n    assert pyBigWig.__name__ == 'bwl.pybigwig'\n")
    r = subprocess.run([sys.executable, "-m", "bwl.pybigwig", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "test_uses_pybigwig.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout + r.stderr
    # Without the opt-in, the real pyBigWig.
    r = subprocess.run([sys.executable, "-c", "import pyBigWig; print(pyBigWig.__name__)"], capture_output=True,
                       text=True, env={k: v for k, v in os.environ.items() if k != "BWL_AS_PYBIGWIG"})
    assert r.stdout.strip() == "pyBigWig"
