"""bwl.pybigwig's writer against pyBigWig's (issue 32): the same calls give
the same bytes (libBigWig's layout, core/libbigwig_writer.cpp) and the same
refusals, each a RuntimeError at the call that fails.

The differential fuzz at the end feeds random sequences of addHeader /
addEntries calls (all three forms, lists and numpy arrays, several
chromosomes, appends across calls, refused calls, maxZooms 0..10) to both
and compares the outcome of every call and the file's md5. pyBigWig runs in
a forked child: some inputs crash it (those are skipped). Run this file as a
script for a longer fuzz: ``python tests/test_pybigwig_writer.py 5000``.
"""
from __future__ import annotations

import faulthandler
import hashlib
import math
import os
import random
import signal
import sys

import numpy as np
import pyBigWig
import pytest

import bwl
import bwl.pybigwig as pbw


def _md5(path: str) -> str:
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def _run(mod, path: str, calls: list, report=None) -> list[str]:
    """Runs `calls` ((method, args, kwargs); "open" first) on `mod`: each
    call's outcome, "ok" or the exception's class (also passed to report()
    as it comes), then the file's md5."""
    out, f = [], None
    for name, args, kwargs in calls:
        try:
            if name == "open":
                f = mod.open(path, "w")
            else:
                getattr(f, name)(*args, **kwargs)
            out.append("ok")
        except Exception as e:  # noqa: BLE001 - the outcome is what is compared
            out.append(type(e).__name__)
        if report:
            report(out[-1])
    if f is not None:
        f.close()
    return out + [_md5(path) if os.path.exists(path) else "missing"]


def _pybigwig(path: str, calls: list) -> list[str]:
    """_run with pyBigWig in a forked child (some inputs crash it): its
    outcomes, the last "crash" when the child died (at close: the outcomes
    of the calls before it are there)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(r)
        faulthandler.disable()  # a crash is an outcome here, not a report
        signal.alarm(20)
        try:
            out = _run(pyBigWig, path, calls, lambda o: os.write(w, o.encode() + b"\n"))
            os.write(w, out[-1].encode() + b"\n")
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while chunk := os.read(r, 1 << 16):
        chunks.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    out = b"".join(chunks).decode().split()
    return out if os.WIFEXITED(status) and len(out) == len(calls) + 1 else out[:len(calls)] + ["crash"]


def _both(tmp_path, calls: list):
    return _pybigwig(str(tmp_path / "ref.bw"), calls), _run(pbw, str(tmp_path / "ours.bw"), calls)


def _same_calls(ref: list[str], ours: list[str]) -> bool:
    """The calls' outcomes agree: bwl's RuntimeError where pyBigWig raises
    another class (a SystemError: its libBigWig call failed)."""
    return all(r == o or (o == "RuntimeError" and r != "ok") for r, o in zip(ref[:-1], ours[:-1]))


def C(name, *args, **kwargs):  # noqa: N802 - a call, as data
    return (name, args, kwargs)


# ------------------------------------------------------------ pinned behaviour

HEADER = C("addHeader", [("chr1", 100_000), ("chr2", 5_000), ("chr3", 100)], maxZooms=3)


@pytest.mark.parametrize("calls", [
    # all three forms, appends, numpy and lists, a second chromosome
    [C("addEntries", ["chr1"] * 3, [0, 100, 150], ends=[50, 120, 400], values=[1.5, -2.0, 3.25]),
     C("addEntries", ["chr1"], [400], ends=[410], values=[1.0]),
     C("addEntries", "chr1", np.array([500, 600]), values=np.array([0.5, 0.75]), span=20),
     C("addEntries", "chr1", 1000, values=[1.0, 2.0, 3.0], span=10, step=50),
     C("addEntries", "chr1", 1150, values=np.arange(5, dtype=np.float32), span=10, step=50),
     C("addEntries", np.array(["chr2", "chr2"]), np.array([10, 4000], dtype=np.int64),
       ends=np.array([20, 5000], dtype=np.int64), values=np.array([9.0, -1.0]))],
    # NaN and inf values are written as pyBigWig writes them (inf only from a list)
    [C("addEntries", ["chr1"] * 3, [0, 10, 20], ends=[5, 15, 25], values=[math.nan, 1.0, math.inf]),
     C("addEntries", "chr2", [0, 10], values=np.array([np.nan, 2.0]), span=5)],
    # blocks full (2728 bedGraph items), several R-tree leaves, every zoom level
    [C("addHeader", [("1", 10**8)], maxZooms=10),
     C("addEntries", ["1"] * 200_000, list(range(0, 400_000, 2)), ends=list(range(1, 400_001, 2)),
       values=np.linspace(-3, 3, 200_000).tolist())],
    # 4,200 blocks (a fixedStep call starts one): an R-tree of three levels
    [C("addEntries", "chr1", 20 * i, values=[float(i), 1.0], span=5, step=10) for i in range(4200)],
    # entries past the chromosome's end: pyBigWig writes them
    [C("addEntries", ["chr3"] * 2, [50, 99], ends=[60, 150], values=[1.0, 2.0])],
    # fixedStep with span > step (overlapping items) is accepted
    [C("addEntries", "chr1", 0, values=[1.0, 2.0, 3.0], span=8, step=2)],
])
def test_same_bytes(tmp_path, calls):
    if calls[0][0] != "addHeader":
        calls = [HEADER] + calls
    ref, ours = _both(tmp_path, [C("open")] + calls)
    assert ref == ours and all(o == "ok" for o in ours[:-1])


@pytest.mark.parametrize("bad", [
    C("addEntries", ["chr1"], [0.7], ends=[5], values=[1.0]),                  # float coordinates
    C("addEntries", "chr1", [0.0, 10.0], values=[1.0, 2.0], span=5),
    C("addEntries", "chr1", 0.5, values=[1.0], span=1, step=1),
    C("addEntries", ["chr1"], np.array([0.5]), ends=np.array([5]), values=[1.0]),
    C("addEntries", "chr1", 500, values=[1.0, 2.0], span=5, step=0),          # fixedStep step 0
    C("addEntries", "chr1", [500, 503], values=[1.0, 2.0], span=5),           # a span past the next start
    C("addEntries", ["chr1"], [205], ends=[300], values=[1.0]),              # inside the earlier span
    C("addEntries", ["chr1"], [100], ends=[150], values=[1.0]),              # before what was added
    C("addEntries", ["chr1", "chr1"], [300, 250], ends=[310, 260], values=[1.0, 2.0]),  # unsorted
    C("addEntries", ["chr9"], [300], ends=[310], values=[1.0]),              # unknown chromosome
    C("addEntries", ["chr1"], [300], ends=[300], values=[1.0]),              # empty entry
    C("addEntries", ["chr1"], [300], ends=[310], values=[1]),                # an int value
    C("addEntries", ["chr1"], [300], ends=[310], values=[1.0, 2.0]),         # lengths differ
    C("addEntries", ["chr1"], [300], ends=[310]),                            # no values
    C("addEntries", "chr1", [300], values=[1.0]),                            # no span
    C("addEntries", ["chr1"], [2**40], ends=[2**40 + 5], values=[1.0]),       # beyond 32 bits
    C("addEntries", ["chr1"], [-5], ends=[10], values=[1.0]),                # negative (wraps, then start >= end)
    C("addEntries", ["chr1"], np.array([-5]), ends=np.array([10]), values=[1.0]),
    C("addEntries", ["chr1"], [300], ends=[310], values=np.array([1e300])),  # beyond float32, from an array
    C("addEntries", ["chr1"], [300], ends=[310], values=np.array([np.inf])),
    C("addEntries", ["chr1"], [300], [310], [1.0], None, None, True, 8),      # too many arguments
    C("addEntries", ["chr1"], [300], ends=[310], values=[1.0], colour=1),    # an unknown keyword
    C("addEntries", ["chr1"], [], ends=[], values=[]),                       # nothing
])
def test_refused_like_pybigwig(tmp_path, bad):
    """Each refusal is a RuntimeError at that call, pyBigWig's, and the file
    goes on: the entries before and after it are written, the same bytes."""
    calls = [C("open"), HEADER, C("addEntries", "chr1", 200, values=[1.0], span=10, step=10), bad,
             C("addEntries", ["chr1"], [1000], ends=[1010], values=[2.0])]
    ref, ours = _both(tmp_path, calls)
    assert ref[3] == "RuntimeError" and ours == ref


def test_refused_header_like_pybigwig(tmp_path):
    for bad in ([], [("chr1", 10)] * 0, (("chr1", 10),), [("chr1",)], [(1, 10)], [("chr1", 1.5)],
                [("chr1", 2**33)], [["chr1", 10]]):
        ref, ours = _both(tmp_path, [C("open"), C("addHeader", bad)])
        assert ref[1] == ours[1] == "RuntimeError" and ref == ours, bad
    for zooms in (np.int64(3), 3.0, None, 2**40):
        ref, ours = _both(tmp_path, [C("open"), C("addHeader", [("chr1", 10)], maxZooms=zooms)])
        assert ref[1] == ours[1] == "RuntimeError" and ref == ours, zooms
    for zooms in (True, -1, 0, 65536, 2**64 + 2):  # taken modulo 2^64 as pyBigWig's "k" format
        calls = [C("open"), C("addHeader", [("chr1", 10**6)], maxZooms=zooms),
                 C("addEntries", ["chr1"] * 10, list(range(0, 1000, 100)), ends=list(range(50, 1050, 100)),
                   values=[1.0] * 10)]
        ref, ours = _both(tmp_path, calls)
        assert ref == ours and ours[1] == "ok", zooms


def test_open_like_pybigwig(tmp_path):
    """A path that cannot be created fails at open(), where libBigWig opens
    it (pyBigWig 0.3.29 then crashes cleaning up: a RuntimeError here); a
    file closed without a header is left empty."""
    bad = str(tmp_path / "no" / "such" / "dir.bw")
    assert _pybigwig(bad, [C("open")]) == ["crash"]
    with pytest.raises(RuntimeError, match="error during file opening"):
        pbw.open(bad, "w")
    for mod in (pyBigWig, pbw):
        p = tmp_path / f"{mod.__name__}.bw"
        f = mod.open(str(p), "w")
        assert p.exists() and p.stat().st_size == 0
        f.close()
        assert p.stat().st_size == 0
        with pytest.raises(RuntimeError):
            f.addHeader([("chr1", 10)])  # closed


def test_no_entries_lost_and_read_back(tmp_path):
    """Entries are written as added (a refused call loses nothing); bwl and
    pyBigWig read the file back alike; a writer that is dropped unclosed is
    finished, as pyBigWig's is."""
    p = str(tmp_path / "w.bw")
    f = pbw.open(p, "w")
    f.addHeader([("chr1", 1000), ("chr2", 5000)])
    f.addEntries(["chr1"], [10], ends=[20], values=[1.0])
    with pytest.raises(RuntimeError):
        f.addEntries(["chr1"], [0], ends=[5], values=[1.0])
    with pytest.raises(RuntimeError):
        f.chroms()  # as pyBigWig: not while writing
    f.addEntries(["chr2"], [0], ends=[5], values=[2.0])
    del f
    with bwl.open(p) as g:
        assert [a.tolist() for a in g.intervals("chr1")] == [[10], [20], [1.0]]
        assert [a.tolist() for a in g.intervals("chr2")] == [[0], [5], [2.0]]
    r, o = pyBigWig.open(p), pbw.open(p)
    assert o.chroms() == r.chroms() and o.intervals("chr2") == r.intervals("chr2")
    assert o.header() == r.header()


def test_write_failure_is_a_runtime_error(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    f = pbw.open("/dev/full", "w")
    with pytest.raises(RuntimeError):
        f.addHeader([("chr1", 1000)])
        f.addEntries(["chr1"] * 5000, list(range(5000)), ends=list(range(1, 5001)), values=[1.0] * 5000)
        f.close()


# ------------------------------------------------------------ differential fuzz

_NAMES = ["chr1", "chr2", "chrX", "1", "2", "scaffold_12", "chrUn_äö", "c", "chrM"]


def _ints(rng: random.Random, xs: list[int]):
    """Positions as pyBigWig takes them: a list or an integer array."""
    kind = rng.choice(["list", "list", "int64", "int32", "uint32", "uint64", "int16", "numpy scalars", "longlong"])
    if kind == "list":
        return xs
    if kind == "numpy scalars":
        return [np.int64(x) if isinstance(x, int) and abs(x) < 2**63 else x for x in xs]
    if kind == "int16" and max(xs, default=0) >= 2**15:
        kind = "int64"
    if any(isinstance(x, float) for x in xs):
        kind = "float64"  # float positions: refused
    return np.array(xs, dtype=kind)


def _floats(rng: random.Random, n: int):
    v = [rng.gauss(0, 10) for _ in range(n)]
    if n and rng.random() < 0.2:
        v[rng.randrange(n)] = math.nan
    if n and rng.random() < 0.05:
        v[rng.randrange(n)] = rng.choice([math.inf, -math.inf, 1e300, -0.0])
    kind = rng.choice(["list", "list", "float64", "float32", "float16", "numpy scalars", "longdouble"])
    if kind == "list":
        if n and rng.random() < 0.02:
            v[0] = 1  # an int: refused
        return v
    with np.errstate(over="ignore"):
        if kind == "numpy scalars":  # np.float64 is a float, np.float32 is not
            return [rng.choice([np.float64, np.float64, np.float32])(x) for x in v]
        return np.array(v, dtype=kind)


def gen_case(rng: random.Random) -> list:
    """A random pyBigWig writing session: open, addHeader, addEntries calls
    (mostly valid, following each other, some refused), close."""
    names = rng.sample(_NAMES, rng.choice([1, 1, 2, 3, 5]))
    if rng.random() < 0.05:
        names.append(names[0])  # duplicate names: libBigWig takes the first
    sizes = [rng.randint(50, 500) if rng.random() < 0.1 else  # entries may run past a small one
             rng.choice([rng.randint(10_000, 10**6), rng.randint(10**6, 3 * 10**8), rng.randint(10**6, 3 * 10**8)])
             for _ in names]
    if len(names) > 1 and rng.random() < 0.05:
        sizes[rng.randrange(len(names))] = 0
    zooms = {} if rng.random() < 0.2 else {"maxZooms": rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10])}
    calls = [C("open"), C("addHeader", list(zip(names, sizes)), **zooms)]
    ci, pos = 0, 0
    many = rng.random() < 0.05  # many small calls: a block each, R-trees of several leaves
    for _ in range(rng.randint(50, 300) if many else rng.randint(1, 8)):
        if ci + 1 < len(names) and (rng.random() < 0.25 or (pos > sizes[ci] and rng.random() < 0.8)):
            ci, pos = ci + 1, rng.randint(0, 100)  # on to the next chromosome, mostly at the end of this one
        chrom = names[ci] if rng.random() > 0.03 else rng.choice(names)
        n = rng.choice([1, 2, 5]) if many else rng.choice([1, 2, 5, 30, 300, rng.randint(1, 3000),
                                                           rng.randint(2700, 9000)])
        form = rng.choice([0, 0, 1, 2])
        if form == 2 and rng.random() < 0.03:
            n = 0  # no values: pyBigWig records the call
        bad = rng.random() < (0.03 if many else 0.15)
        extra = {} if rng.random() > 0.08 else {"validate": rng.choice([False, False, 1])}  # only True validates
        if form == 0:
            starts, ends, p = [], [], pos + rng.choice([0, 0, rng.randint(1, 100)])
            for _ in range(n):
                p += rng.choice([0, 0, 1, rng.randint(1, 50)])
                w = rng.choice([1, 1, 5, rng.randint(1, 200), rng.randint(1, 2000)])
                starts.append(p)
                ends.append(p + w)
                p += w
            if bad:
                i = rng.randrange(n)
                what = rng.choice(["overlap", "empty", "float", "before", "negative", "huge"])
                if what == "overlap" and i:
                    starts[i] = ends[i - 1] - 1
                elif what == "empty":
                    ends[i] = starts[i]
                elif what == "float":
                    starts[i] = starts[i] + 0.5
                elif what == "negative":
                    starts[i] = -starts[i] - 1
                elif what == "huge":
                    ends[i] = ends[i] + rng.choice([2**32, 2**40])
                else:
                    starts[0] = max(0, pos - 10)
            chroms = [chrom] * n
            if ci + 1 < len(names) and rng.random() < 0.1:  # the call moves on to the next chromosome
                k = rng.randrange(n)
                chroms[k:] = [names[ci + 1]] * (n - k)
                ci += 1
            if rng.random() < 0.2:
                chroms = np.array(chroms, dtype=rng.choice(["U", "S"]) if all(c.isascii() for c in chroms) else "U")
            try:
                starts, ends = _ints(rng, starts), _ints(rng, ends)
            except (OverflowError, TypeError):  # a value no such array holds: lists
                pass
            calls.append(C("addEntries", chroms, starts, ends=ends, values=_floats(rng, n), **extra))
            pos = int(ends[-1]) if isinstance(ends[-1], (int, np.integer)) and 0 <= ends[-1] < 2**32 else pos
        elif form == 1:
            span = rng.choice([1, 5, 25, rng.randint(1, 300)])
            starts, p = [], pos + rng.choice([0, rng.randint(1, 100)])
            for _ in range(n):
                starts.append(p)
                p += span + rng.choice([0, 0, rng.randint(1, 100)])
            if bad:
                what = rng.choice(["overlap", "span0", "before"])
                if what == "overlap" and n > 1:
                    starts[-1] = starts[-2] + span - 1
                elif what == "span0":
                    span = 0
                else:
                    starts[0] = max(0, pos - 3)
            calls.append(C("addEntries", chrom, _ints(rng, starts), values=_floats(rng, n), span=span, **extra))
            pos = starts[-1] + span
        else:
            span, step = rng.choice([(1, 1), (5, 5), (10, 20), (8, 2), (25, 25), (rng.randint(1, 50), rng.randint(1, 50))])
            start = pos if rng.random() < 0.5 else pos + rng.randint(1, 100)
            if bad:
                what = rng.choice(["step0", "before", "float"])
                if what == "step0":
                    step = 0
                elif what == "before" and pos:
                    start = pos - 1
                else:
                    start = start + 0.5
            calls.append(C("addEntries", chrom, start, values=_floats(rng, n), span=span, step=step, **extra))
            if isinstance(start, int):
                pos = start + step * n
    if rng.random() < 0.03:
        calls.insert(2, C("addHeader", [(names[0], sizes[0])], maxZooms=2))  # a second header
    return calls


def fuzz(cases: int, seed: int, tmp) -> dict:
    """`cases` random sessions on both: how many gave the same outcomes and
    bytes; those where pyBigWig crashed at close (compared up to there);
    those where pyBigWig raised another class than RuntimeError."""
    rng = random.Random(seed)
    stats = {"cases": 0, "identical": 0, "pybigwig_crashed": 0, "other_error_class": 0, "differ": []}
    for k in range(cases):
        calls = gen_case(rng)
        ref = _pybigwig(os.path.join(tmp, "ref.bw"), calls)
        ours = _run(pbw, os.path.join(tmp, "ours.bw"), calls)
        stats["cases"] += 1
        same = _same_calls(ref, ours)
        if same and ref[-1] == "crash" and len(ref) == len(ours):
            stats["pybigwig_crashed"] += 1
        elif same and ref[-1] == ours[-1]:
            stats["identical"] += 1
            stats["other_error_class"] += ref != ours
        else:
            stats["differ"].append((seed, k, ref, ours))
    return stats


def test_differential_fuzz(tmp_path):
    stats = fuzz(80, 32, str(tmp_path))
    assert not stats["differ"], stats["differ"][:3]
    assert stats["identical"] >= 70


if __name__ == "__main__":  # a longer run: python tests/test_pybigwig_writer.py CASES [SEED]
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        out = fuzz(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1, d)
    print({k: v for k, v in out.items() if k != "differ"}, "differ:", len(out["differ"]))
    for seed, k, ref, ours in out["differ"][:10]:
        print(seed, k, "\n  pyBigWig:", ref, "\n  bwl:     ", ours)
