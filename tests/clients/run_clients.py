#!/usr/bin/env python3
"""pyBigWig's clients, run unchanged on pyBigWig and on bwl, outputs compared
(issue 32).

Each client command runs twice on the same generated inputs (make_data.py:
bigWigs written by the real pyBigWig, a FASTA, BED files, a BAM): once with
the real pyBigWig, once on bwl (command-line tools with BWL_AS_PYBIGWIG=1,
Python calls under ``python -m bwl.pybigwig``). Outputs are compared:
text files exactly, a computeMatrix .gz by its decompressed text, .npz files
array by array (dtype, shape and every value, NaN where NaN); a bigWig both
by its bytes (md5) and, separately, by what the real pyBigWig reads back
(chromosomes and every interval; the header, but its zoom level count, is
reported). Byte-identical bigWig outputs are reported, not required
(bwl.pybigwig's writer writes bwl.write's layout).

Prints a table, writes JSON (--json, default: results.json beside this
script) and exits 1 when a run fails or any comparison other than bigWig
bytes differs.

Setup (a virtual environment with bwl, pyBigWig, pysam and the clients;
docs/migration.md, "pyBigWig's clients on bwl, compared")::

    python3.11 -m venv /tmp/clients && . /tmp/clients/bin/activate
    pip install . pyBigWig pysam pytest numpy==2.0.1 deeptools==3.5.6 \
        torch==2.13.0 tangermeme==0.5.1 bpnet-lite==0.9.1 grelu==1.1.0
    python tests/clients/run_clients.py [--only deepTools] \
        [--deeptools-tests PATH/TO/deepTools/deeptools/test]

--deeptools-tests runs deepTools' own test suite (from its git repository:
neither its wheel nor its sdist ships it) with pyBigWig and with bwl and
reports pass counts per module and every failure.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Callable

HERE = os.path.dirname(os.path.abspath(__file__))

if os.environ.get("BWL_AS_PYBIGWIG") == "1":  # this process reads with the real pyBigWig: start again without it
    env = {k: v for k, v in os.environ.items() if k != "BWL_AS_PYBIGWIG"}
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)

import numpy as np  # noqa: E402

sys.path.insert(0, HERE)
import make_data  # noqa: E402

MODES = ("pyBigWig", "bwl")
DISTS = {"deepTools": "deepTools", "bam2bw": "bam2bw", "tangermeme": "tangermeme", "bpnet-lite": "bpnet-lite",
         "grelu": "gReLU"}  # each client's distribution: a client not installed is skipped, and said so


@dataclass
class Case:
    client: str
    command: str                       # as shown in the table
    argv: Callable[[dict], list[str]]  # arguments after the tool, from the data paths
    outputs: list[tuple[str, str]]     # (file name in the run's folder, kind: text | gztext | npz | bigwig)
    tool: str = ""                     # a console script of the clients' environment; "" for an api_cases.py case
    api: str = ""                      # an api_cases.CASES name
    result: dict = field(default_factory=dict)


def _dt(tool: str, command: str, argv, outputs) -> Case:
    return Case("deepTools", command, argv, outputs, tool=tool)


def cases() -> list[Case]:
    """multiBigwigSummary runs on one process: with more, deepTools shuffles
    its chunks (random.shuffle, unseeded) and its rows come out in a
    different order each run, with pyBigWig too."""
    bw = lambda d, *names: [d[n] for n in names]  # noqa: E731
    return [
        _dt("bigwigCompare", "bigwigCompare log2 (bigWig out)",
            lambda d: ["-b1", d["a"], "-b2", d["b"], "--operation", "log2", "--pseudocount", "1", "--binSize", "50",
                       "-p", "2", "-o", "out.bw"], [("out.bw", "bigwig")]),
        _dt("bigwigCompare", "bigwigCompare ratio --skipNAs --skipZeroOverZero (bedGraph)",
            lambda d: ["-b1", d["a"], "-b2", d["c"], "--operation", "ratio", "--skipNAs", "--skipZeroOverZero",
                       "--binSize", "20", "-p", "2", "-of", "bedgraph", "-o", "out.bg"], [("out.bg", "text")]),
        _dt("bigwigCompare", "bigwigCompare subtract --fixedStep (bedGraph)",
            lambda d: ["-b1", d["c"], "-b2", d["a"], "--operation", "subtract", "--fixedStep", "--binSize", "100",
                       "-of", "bedgraph", "-o", "out.bg"], [("out.bg", "text")]),
        _dt("bigwigAverage", "bigwigAverage a b c (bigWig out)",
            lambda d: ["-b", *bw(d, "a", "b", "c"), "--binSize", "25", "-p", "2", "-o", "out.bw"],
            [("out.bw", "bigwig")]),
        _dt("bigwigAverage", "bigwigAverage --scaleFactors --skipNAs (bedGraph)",
            lambda d: ["-b", *bw(d, "a", "b", "c"), "--scaleFactors", "1:0.5:2", "--skipNAs", "--binSize", "10",
                       "-of", "bedgraph", "-o", "out.bg"], [("out.bg", "text")]),
        _dt("multiBigwigSummary", "multiBigwigSummary bins",
            lambda d: ["bins", "-b", *bw(d, "a", "b", "c", "ctl"), "--binSize", "2000", "-p", "1",
                       "-o", "out.npz", "--outRawCounts", "raw.tab"], [("out.npz", "npz"), ("raw.tab", "text")]),
        _dt("multiBigwigSummary", "multiBigwigSummary BED-file",
            lambda d: ["BED-file", "-b", *bw(d, "a", "b", "c"), "--BED", d["genes"], "-p", "1",
                       "-o", "out.npz", "--outRawCounts", "raw.tab"], [("out.npz", "npz"), ("raw.tab", "text")]),
        _dt("computeMatrix", "computeMatrix reference-point TSS",
            lambda d: ["reference-point", "-S", *bw(d, "a", "b", "c"), "-R", d["genes"], "--referencePoint", "TSS",
                       "-b", "2000", "-a", "2000", "--binSize", "50", "-p", "2", "-o", "out.gz",
                       "--outFileNameMatrix", "out.tab", "--outFileSortedRegions", "out.bed"],
            [("out.gz", "gztext"), ("out.tab", "text"), ("out.bed", "text")]),
        _dt("computeMatrix", "computeMatrix reference-point TES max --skipZeros --nanAfterEnd",
            lambda d: ["reference-point", "-S", *bw(d, "a", "b"), "-R", d["genes"], "--referencePoint", "TES",
                       "-b", "1000", "-a", "3000", "--binSize", "100", "--averageTypeBins", "max", "--skipZeros",
                       "--nanAfterEnd", "-o", "out.gz", "--outFileNameMatrix", "out.tab"],
            [("out.gz", "gztext"), ("out.tab", "text")]),
        _dt("computeMatrix", "computeMatrix scale-regions",
            lambda d: ["scale-regions", "-S", *bw(d, "a", "b", "c"), "-R", d["genes"], "-m", "3000", "-b", "1000",
                       "-a", "1000", "--unscaled5prime", "200", "--binSize", "100", "-p", "2", "-o", "out.gz",
                       "--outFileNameMatrix", "out.tab", "--outFileSortedRegions", "out.bed"],
            [("out.gz", "gztext"), ("out.tab", "text"), ("out.bed", "text")]),
        _dt("computeMatrix", "computeMatrix scale-regions std --missingDataAsZero",
            lambda d: ["scale-regions", "-S", *bw(d, "b", "ctl"), "-R", d["genes"], "-m", "2000", "--binSize", "50",
                       "--averageTypeBins", "std", "--missingDataAsZero", "-o", "out.gz"],
            [("out.gz", "gztext")]),
        _dt("bamCoverage", "bamCoverage --binSize 10 (bigWig out)",
            lambda d: ["-b", d["bam"], "--binSize", "10", "-p", "2", "-o", "out.bw"], [("out.bw", "bigwig")]),
        _dt("bamCoverage", "bamCoverage CPM --extendReads --ignoreDuplicates (bigWig out)",
            lambda d: ["-b", d["bam"], "--binSize", "25", "--normalizeUsing", "CPM", "--extendReads", "150",
                       "--ignoreDuplicates", "--minMappingQuality", "10", "-o", "out.bw"], [("out.bw", "bigwig")]),
        Case("bam2bw", "bam2bw (bpnet-lite's BAM converter; bigWig out)",
             lambda d: [d["bam"], "-s", d["sizes"], "-n", "out"], [("out.+.bw", "bigwig"), ("out.-.bw", "bigwig")],
             tool="bam2bw"),
        Case("tangermeme", "tangermeme.io.extract_loci", None, [("out.npz", "npz")], api="tangermeme.extract_loci"),
        Case("tangermeme", "tangermeme.match.extract_matching_loci (values(chrom, 0, -1))", None,
             [("out.npz", "npz")], api="tangermeme.extract_matching_loci"),
        Case("bpnet-lite", "bpnetlite.io.PeakGenerator", None, [("out.npz", "npz")], api="bpnetlite.PeakGenerator"),
        Case("grelu", "grelu read_bigwig, BigWigSeqDataset", None, [("out.npz", "npz")], api="grelu.read_bigwig"),
    ]


# -- running -------------------------------------------------------------------
def _env(mode: str, py: str) -> dict:
    """The environment of a run: the clients' scripts first on PATH (as
    in their activated environment); BWL_AS_PYBIGWIG=1 for bwl's runs."""
    env = {k: v for k, v in os.environ.items() if k != "BWL_AS_PYBIGWIG"}
    env["PATH"] = os.path.dirname(py) + os.pathsep + env.get("PATH", "")
    env.setdefault("OMP_NUM_THREADS", "2")
    env["MPLBACKEND"] = "Agg"
    if mode == "bwl":
        env["BWL_AS_PYBIGWIG"] = "1"
    return env


def _argv(case: Case, mode: str, py: str, data: dict) -> list[str]:
    if case.api:
        script = os.path.join(HERE, "api_cases.py")
        head = [py, script] if mode == "pyBigWig" else [py, "-m", "bwl.pybigwig", script]
        return [*head, case.api, data["dir"], "out.npz"]
    return [os.path.join(os.path.dirname(py), case.tool), *case.argv(data)]


def _run(case: Case, mode: str, py: str, data: dict, folder: str, timeout: float) -> dict:
    os.makedirs(folder, exist_ok=True)
    argv = _argv(case, mode, py, data)
    t = time.perf_counter()
    try:
        p = subprocess.run(argv, cwd=folder, env=_env(mode, py), capture_output=True, text=True, timeout=timeout)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", str(e.stdout or ""), str(e.stderr or "")
    seconds = time.perf_counter() - t
    with open(os.path.join(folder, "stdout.txt"), "w") as f:
        f.write(out)
    with open(os.path.join(folder, "stderr.txt"), "w") as f:
        f.write(err)
    return {"argv": argv, "rc": rc, "seconds": round(seconds, 2), "stderr_tail": err[-2000:] if rc != 0 else ""}


# -- comparing -----------------------------------------------------------------
def _md5(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def _bigwig_content(path: str):
    """chroms, header less nLevels (the zoom level count is the writer's
    choice) and every interval, as the real pyBigWig reads them."""
    import pyBigWig

    with pyBigWig.open(path) as b:
        chroms = b.chroms()
        header = {k: v for k, v in b.header().items() if k != "nLevels"}
        return chroms, header, {c: b.intervals(c) for c in chroms}


def _compare_npz(a: str, b: str) -> list[str]:
    diffs = []
    with np.load(a) as x, np.load(b) as y:
        keys = sorted(set(x.files) | set(y.files))
        for k in keys:
            if k == "__pybigwig__":  # which module served the run: checked by _check_served
                continue
            if k not in x.files or k not in y.files:
                diffs.append(f"{k}: only in one")
                continue
            u, v = x[k], y[k]
            if u.dtype != v.dtype or u.shape != v.shape:
                diffs.append(f"{k}: {u.dtype}{u.shape} vs {v.dtype}{v.shape}")
            elif not np.array_equal(u, v, equal_nan=u.dtype.kind in "fc"):
                n = int((~((u == v) | ((u != u) & (v != v)))).sum()) if u.dtype.kind in "fc" else int((u != v).sum())
                diffs.append(f"{k}: {n} of {u.size} values differ")
    return diffs


def _compare_text(a: str, b: str, gz: bool) -> list[str]:
    opener = gzip.open if gz else open
    with opener(a, "rb") as f:
        u = f.read()
    with opener(b, "rb") as f:
        v = f.read()
    if u == v:
        return []
    lu, lv = u.splitlines(), v.splitlines()
    for i, (p, q) in enumerate(zip(lu, lv)):
        if p != q:
            return [f"line {i + 1}: {p[:160]!r} vs {q[:160]!r}"]
    return [f"{len(lu)} lines vs {len(lv)} lines"]


def _compare(case: Case, folders: dict) -> dict:
    res = {"outputs": {}, "identical": True, "bigwig_bytes": None}
    for name, kind in case.outputs:
        a, b = (os.path.join(folders[m], name) for m in MODES)
        o: dict = {"kind": kind}
        if not (os.path.exists(a) and os.path.exists(b)):
            o["diffs"] = [f"missing: pyBigWig {os.path.exists(a)}, bwl {os.path.exists(b)}"]
        elif kind == "npz":
            o["diffs"] = _compare_npz(a, b)
        elif kind in ("text", "gztext"):
            o["diffs"] = _compare_text(a, b, kind == "gztext")
        else:  # bigwig
            o["md5"] = [_md5(a), _md5(b)]
            o["bytes_identical"] = o["md5"][0] == o["md5"][1]
            o["size"] = [os.path.getsize(a), os.path.getsize(b)]
            (ca, ha, ia), (cb, hb, ib) = _bigwig_content(a), _bigwig_content(b)
            o["n_intervals"] = sum(len(v or ()) for v in ia.values())
            o["diffs"] = ([] if ca == cb else ["chromosomes differ"]) + \
                [f"{c}: intervals differ" for c in ia if ia[c] != ib.get(c)]
            o["header_diffs"] = {k: [ha[k], hb.get(k)] for k in ha if ha[k] != hb.get(k)}
            res["bigwig_bytes"] = o["bytes_identical"] if res["bigwig_bytes"] is None else \
                res["bigwig_bytes"] and o["bytes_identical"]
        res["identical"] = res["identical"] and not o["diffs"]
        res["outputs"][name] = o
    return res


def _check_served(py: str, folder: str) -> dict:
    """Which module `import pyBigWig` gives in each mode: in the process, in
    a multiprocessing spawn worker and in a fork worker."""
    code = ("import multiprocessing as mp, pyBigWig\n"
            "def f(_):\n import pyBigWig\n return pyBigWig.__name__\n"
            "if __name__ == '__main__':\n"
            " out = [pyBigWig.__name__]\n"
            " for m in ('spawn', 'fork'):\n"
            "  with mp.get_context(m).Pool(1) as p: out += p.map(f, [0])\n"
            " print(' '.join(out))\n")
    path = os.path.join(folder, "served.py")
    with open(path, "w") as f:
        f.write(code)
    out = {}
    for mode in MODES:
        p = subprocess.run([py, path], env=_env(mode, py), capture_output=True, text=True, timeout=120)
        out[mode] = p.stdout.strip() or p.stderr.strip()[-300:]
    return out


# -- deepTools' own suite ---------------------------------------------------------
# deepTools' tests that compare a bigWig that bamCoverage wrote with filecmp
# (libBigWig's bytes): their --Offset and expected file
BYTE_COMPARING = {"test_bam_coverage_offset1": ("1", "testA_offset1.bw"),
                  "test_bam_coverage_offset1_10": ("1 10", "testA_offset1_10.bw"),
                  "test_bam_coverage_offset_minus1": ("-1", "testA_offset-1.bw"),
                  "test_bam_coverage_offset20_minus4": ("20 -4", "testA_offset20_-4.bw")}


def _byte_comparing_content(py: str, tests: str, work: str) -> dict:
    """The byte-comparing tests' bamCoverage runs on bwl: is each file's
    content (chromosomes, header but nLevels, every interval, read by the
    real pyBigWig) deepTools' expected file's?"""
    out = {}
    for name, (offset, expected) in BYTE_COMPARING.items():
        path = os.path.join(work, f"{name}.bw")
        data = os.path.join(tests, "test_data")
        p = subprocess.run([os.path.join(os.path.dirname(py), "bamCoverage"), "--Offset", *offset.split(), "-b",
                            os.path.join(data, "testA.bam"), "-p", "1", "-bs", "1", "-o", path],
                           env=_env("bwl", py), capture_output=True, text=True)
        ref = os.path.join(data, expected)
        out[name] = {"rc": p.returncode, "bytes_identical": p.returncode == 0 and _md5(path) == _md5(ref),
                     "content_identical": p.returncode == 0 and _bigwig_content(path) == _bigwig_content(ref)}
    return out


def _suite(py: str, tests: str, work: str, timeout: float) -> dict:
    out: dict = {"tests": os.path.abspath(tests), "modes": {}}
    for mode in MODES:
        xml = os.path.join(work, f"deeptools-suite-{mode}.xml")
        t = time.perf_counter()
        p = subprocess.run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", tests,
                            f"--junitxml={xml}", tests], cwd=work, env=_env(mode, py), capture_output=True,
                           text=True, timeout=timeout)
        seconds = round(time.perf_counter() - t, 1)
        modules: dict = {}
        failures = {}
        for tc in ET.parse(xml).getroot().iter("testcase"):
            parts = tc.get("classname", "").split(".")  # [package.]module[.Class]
            mod = [x for x in parts if x.startswith("test_")][-1:] or parts[-1:]
            mod = mod[0]
            m = modules.setdefault(mod, {"passed": 0, "failed": 0, "skipped": 0})
            bad = tc.find("failure") if tc.find("failure") is not None else tc.find("error")
            if bad is not None:
                m["failed"] += 1
                msg = (bad.get("message") or "").strip().splitlines()
                failures[f"{mod}::{tc.get('name')}"] = msg[0][:300] if msg else ""
            elif tc.find("skipped") is not None:
                m["skipped"] += 1
            else:
                m["passed"] += 1
        out["modes"][mode] = {"rc": p.returncode, "seconds": seconds, "modules": modules, "failures": failures,
                              "summary": (p.stdout.strip().splitlines() or [""])[-1]}
    base = set(out["modes"]["pyBigWig"]["failures"])
    bwl_only = set(out["modes"]["bwl"]["failures"]) - base
    out["bwl_only_failures"] = sorted(bwl_only)
    out["byte_comparing_content"] = _byte_comparing_content(py, tests, work)
    out["unexpected_bwl_failures"] = sorted(
        f for f in bwl_only if not out["byte_comparing_content"].get(f.split("::")[-1], {}).get("content_identical"))
    return out


# -- report ----------------------------------------------------------------------
def _versions(py: str) -> dict:
    """Installed versions in the clients' environment (None: not installed)."""
    names = ("bwl", "pyBigWig", "numpy", "pysam", "torch", *DISTS.values())
    code = ("import importlib.metadata as m, json, sys\nout = {}\n"
            "for d in sys.argv[1:]:\n"
            "    try:\n        out[d] = m.version(d)\n    except m.PackageNotFoundError:\n        out[d] = None\n"
            "print(json.dumps(out))\n")
    p = subprocess.run([py, "-c", code, *names], env=_env("pyBigWig", py), capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{py} could not report its packages: {p.stderr[-500:]}")
    return json.loads(p.stdout)


def _table(rows: list[list[str]]) -> str:
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (x + 2) for x in w) + "|")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=sys.executable,
                    help="the clients' environment's interpreter (default: this one)")
    ap.add_argument("--work", help="folder for inputs and outputs (default: a temporary one, removed)")
    ap.add_argument("--json", default=os.path.join(HERE, "results.json"), help="where the JSON goes")
    ap.add_argument("--only", nargs="*", default=[], help="run the cases whose client or command contains one of these")
    ap.add_argument("--deeptools-tests", help="deepTools' deeptools/test folder: run its suite both ways")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per run")
    args = ap.parse_args(argv)

    work = args.work or tempfile.mkdtemp(prefix="bwl-clients-")
    os.makedirs(work, exist_ok=True)
    t0 = time.perf_counter()
    try:
        data = make_data.make(os.path.join(work, "data"))
        data["dir"] = os.path.join(work, "data")
        served = _check_served(args.python, work)
        print(f"import pyBigWig gives (process, spawn worker, fork worker): {served}", flush=True)
        ok_served = served["pyBigWig"] == "pyBigWig pyBigWig pyBigWig" and \
            served["bwl"] == "bwl.pybigwig bwl.pybigwig bwl.pybigwig"
        versions = _versions(args.python)
        print(f"versions: {versions}", flush=True)
        todo = [c for c in cases() if not args.only or any(s.lower() in (c.client + " " + c.command).lower()
                                                              for s in args.only)]
        skipped = sorted({c.client for c in todo if not versions.get(DISTS[c.client])})
        if skipped:
            print(f"not installed, skipped: {', '.join(skipped)}", flush=True)
        todo = [c for c in todo if c.client not in skipped]
        failed = not ok_served
        for i, case in enumerate(todo):
            folders = {m: os.path.join(work, m, f"{i:02d}-{case.client}") for m in MODES}
            runs = {m: _run(case, m, args.python, data, folders[m], args.timeout) for m in MODES}
            case.result = {"runs": runs}
            if all(r["rc"] == 0 for r in runs.values()):
                case.result.update(_compare(case, folders))
                if case.api:  # the npz says which module served each run
                    for m in MODES:
                        with np.load(os.path.join(folders[m], "out.npz")) as z:
                            runs[m]["served_by"] = str(z["__pybigwig__"])
                    if "bwl" not in runs["bwl"]["served_by"] or "bwl" in runs["pyBigWig"]["served_by"]:
                        case.result["identical"] = False
                        case.result["error"] = "a run was not served by the intended pyBigWig"
            else:
                case.result.update(identical=False, bigwig_bytes=None,
                                   error="; ".join(f"{m} exited {r['rc']}: {r['stderr_tail'][-400:]}"
                                                   for m, r in runs.items() if r["rc"] != 0))
            failed |= not case.result["identical"]
            r = case.result
            print(f"[{i + 1}/{len(todo)}] {case.command}: identical={r['identical']} "
                  f"bigwig_bytes={r.get('bigwig_bytes')} ({runs['pyBigWig']['seconds']} s / {runs['bwl']['seconds']} s)"
                  + (f"\n    {r['error']}" if r.get("error") else "")
                  + "".join(f"\n    {n}: {o['diffs'][:3]}" for n, o in r.get("outputs", {}).items() if o["diffs"]),
                  flush=True)

        suite = None
        if args.deeptools_tests:
            suite = _suite(args.python, args.deeptools_tests, work, max(args.timeout, 1800))
            failed |= bool(suite["unexpected_bwl_failures"])
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    rows = [["client", "command", "outputs identical", "bigWig byte-identical", "s pyBigWig", "s bwl"]]
    for c in todo:
        r = c.result
        rows.append([c.client, c.command, "yes" if r["identical"] else "NO",
                     "n.a." if r.get("bigwig_bytes") is None else "yes" if r["bigwig_bytes"] else "no",
                     f"{r['runs']['pyBigWig']['seconds']:.1f}", f"{r['runs']['bwl']['seconds']:.1f}"])
    print()
    print(_table(rows))
    if suite:
        print("\ndeepTools' test suite (passed/failed/skipped per module):")
        srows = [["module", "pyBigWig", "bwl"]]
        mods = sorted(set(suite["modes"]["pyBigWig"]["modules"]) | set(suite["modes"]["bwl"]["modules"]))
        for mod in mods:
            srows.append([mod] + ["{passed}/{failed}/{skipped}".format(
                **suite["modes"][m]["modules"].get(mod, {"passed": 0, "failed": 0, "skipped": 0})) for m in MODES])
        srows.append(["(seconds)"] + [str(suite["modes"][m]["seconds"]) for m in MODES])
        print(_table(srows))
        for m in MODES:
            for name, msg in suite["modes"][m]["failures"].items():
                content = suite["byte_comparing_content"].get(name.split("::")[-1], {})
                tag = " (fails with pyBigWig too)" if m == "bwl" and name in suite["modes"]["pyBigWig"]["failures"] \
                    else "" if m == "pyBigWig" else \
                    " (compares libBigWig's bytes; bwl's file holds the expected file's intervals)" \
                    if content.get("content_identical") else " (UNEXPECTED)"
                print(f"  {m} FAILED {name}{tag}: {msg}")
    total = round(time.perf_counter() - t0, 1)
    print(f"\nwhole run: {total} s; served: {served}")
    if skipped:
        print(f"not installed, skipped: {', '.join(skipped)}")
    report = {"versions": versions, "served": served, "seconds": total, "skipped_clients": skipped,
              "cases": [{"client": c.client, "command": c.command, "api": c.api or None, "tool": c.tool or None,
                         **c.result} for c in todo],
              "deeptools_suite": suite, "failed": failed}
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1, default=str)
    print(f"JSON: {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
