"""Coverage-guided fuzzing of bwl's reader (atheris = libFuzzer for Python).

    python bench/fuzz.py [--seconds 600] [--engine atheris|loop] [--format bigwig|bigbed|all]
                         [--no-sanitize] [--rebuild] [--seed 1] [--timeout 10] [--rss-limit-mb 2048]

The target (tests/support/fuzz.py: ``exercise``) reads the input every way
a user can, by its magic. A bigWig: header, chroms, values, intervals,
stats (zoom and exact), a Collection batch. A bigBed
(tests/support/fuzz_bigbed.py): header, chroms, is_bigbed, sql, entries
(with and without strings), stats (zoom and exact), bwl.pybigwig on it, a
Collection with a bigWig in mode "coverage" and "mask" (values per base and
pooled, region stats, intervals), cross-checked against its entries.
Compressed files run the CPU inflate on every block. Only bwl.FormatError
(naming the file) / ValueError / KeyError / OSError are expected; any other
exception, a failed cross-check, a crash, an ASan / UBSan report, a
libFuzzer timeout (``--timeout`` s per input) or a memory blow-up
(``--rss-limit-mb``; one malloc above it too) is a finding.

``--format`` picks the surface (default all): the seeds (bigwig: files of
every type from bwl.write; bigbed: from pybigtools, with an autoSql, extra
fields and zoom levels, and hand-built by support.bbi.build_bbi in both
byte orders, zlib and raw; all: both) and so the mutations: a bigBed also
gets mutations of its own parts (header fields, zoom levels, trees,
autoSql, extension, the records inside its blocks). The table and JSON
give per surface (an input's magic) the executions, findings and seconds
spent in the target.

Engines
-------
atheris (default)
    bwl._core is rebuilt once with clang ``-fsanitize=fuzzer-no-link`` plus
    ASan + UBSan into build/fuzz-py/ (so libFuzzer sees the C++ edges and
    the sanitizers check every access) and run with atheris'
    ``asan_with_fuzzer.so`` preloaded. Needs clang (``apt-get install
    clang``) and atheris built against it (``CLANG_BIN=clang pip install
    --no-binary atheris atheris``). Mutations: libFuzzer's own plus the
    structure-aware ``support.fuzz.mutate`` (BBI fields, zlib re-compression
    of mutated blocks) as a custom mutator. ``--no-sanitize``: coverage
    only (faster).
loop
    No coverage feedback: the deterministic mutation loop of the test suite
    (``support.fuzz.fuzz_loop``) on the installed bwl, for ``--seconds``.

Seeds go to bench/results/fuzz/seeds/ (bigwig), seeds-bigbed/ or
seeds-all/; the corpus grows in bench/results/fuzz/corpus/ (bigwig),
corpus-bigbed/ or corpus-all/; findings are saved as
bench/results/fuzz/crash-*, timeout-*, oom-*, slow-unit-* (and finding-*
for the loop engine), then re-run one by one in a plain child process and
summarised in a table and bench/results/fuzz_<engine>_<format>.json. Keep
each as a regression test in tests/test_hostile.py that *generates* the
file, and its bytes in tests/corpus/ (see tests/make_corpus.py), replayed
in CI.

    python bench/fuzz.py --engine loop --format bigbed --seconds 600   # no clang needed
    python bench/fuzz.py --format bigbed --seconds 900                 # atheris, ASan + UBSan

``--format remote`` fuzzes the remote layer instead (bwl/_remote over a
loopback server whose answers a script decodes from the input:
bench/fuzz_remote.py, tests/support/fuzz_remote.py); no clang build.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import TESTS_DIR, machine_info, print_table  # (also puts tests/ on sys.path for support.fuzz)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "fuzz"
BUILD = ROOT / "build" / "fuzz-py"


def _gcc_lib(name: str) -> str:
    return subprocess.run(["gcc", f"-print-file-name={name}"], capture_output=True, text=True).stdout.strip()


def build(sanitize: bool, rebuild: bool) -> Path:
    """bwl built with clang + fuzzer-no-link (+ ASan/UBSan) into build/fuzz-py[-nosan]."""
    target = Path(str(BUILD) + ("" if sanitize else "-nosan"))
    stamp = target / ".built"
    if stamp.exists() and not rebuild:
        return target
    if not shutil.which("clang++"):
        raise SystemExit("clang++ not found: apt-get install clang (or use --engine loop)")
    shutil.rmtree(target, ignore_errors=True)
    shutil.rmtree(f"{target}-build", ignore_errors=True)
    flags = "-fsanitize=fuzzer-no-link -fno-omit-frame-pointer -g"
    if sanitize:  # (not BWL_SANITIZE: its flags would come after ours and turn vptr back on)
        # vptr and function checks need the C++ UBSan runtime, which asan_with_fuzzer.so lacks.
        flags += " -fsanitize=address,undefined -fno-sanitize=vptr,function -fno-sanitize-recover=undefined"
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(target),
           str(ROOT), "-C", "cmake.build-type=RelWithDebInfo", "-C", f"build-dir={target}-build",
           "-C", "cmake.define.CMAKE_C_COMPILER=clang", "-C", "cmake.define.CMAKE_CXX_COMPILER=clang++",
           "-C", f"cmake.define.CMAKE_CXX_FLAGS={flags}", "-C", "cmake.define.BWL_SANITIZE=OFF",
           "-C", "cmake.define.BWL_CUDA=OFF"]  # the target never reaches the kernels: no nvcc build under clang
    print("building bwl for fuzzing:", " ".join(cmd), flush=True)
    t = time.time()
    subprocess.run(cmd, check=True)
    stamp.write_text("ok\n")
    print(f"built in {time.time() - t:.0f} s", flush=True)
    return target


def atheris_env(target: Path, sanitize: bool) -> dict:
    import atheris

    env = dict(os.environ)
    pre = os.path.join(atheris.path(), "asan_with_fuzzer.so")
    if not os.path.exists(pre):
        raise SystemExit(f"{pre} is missing: reinstall atheris with clang present "
                         "(CLANG_BIN=clang pip install --no-binary atheris atheris)")
    # libstdc++ too, so ASan's __cxa_throw interceptor finds the real one (as tests/sanitize.sh does).
    env["LD_PRELOAD"] = f"{pre} {_gcc_lib('libstdc++.so')}"
    env["PYTHONPATH"] = str(target) + os.pathsep + env.get("PYTHONPATH", "")
    env["ASAN_OPTIONS"] = "detect_leaks=0:allocator_may_return_null=1:abort_on_error=1:symbolize=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    return env


def work_path(engine: str, fmt: str) -> Path:
    """The file each input is written to: one per engine and format, so runs side by side never share it."""
    return OUT / f"input-{engine}-{fmt}.bw"


def dirs(fmt: str) -> tuple:
    """(seeds, corpus) folders of a format: bigwig keeps the original names."""
    tail = "" if fmt == "bigwig" else f"-{fmt}"
    return OUT / f"seeds{tail}", OUT / f"corpus{tail}"


def worker(args: argparse.Namespace, libfuzzer_args: list) -> None:
    """Runs inside the preloaded child: atheris over the target (never returns)."""
    import atheris

    with atheris.instrument_imports(include=["bwl"]):
        import bwl
    from support import fuzz as harness

    assert bwl.__file__.startswith(str(BUILD)), f"fuzzing the wrong bwl: {bwl.__file__}"
    harness.atheris_main([sys.argv[0]] + libfuzzer_args, str(dirs(args.format)[0]), str(work_path("atheris", args.format)),
                         fmt=args.format, stats_path=str(OUT / f"surfaces-{args.format}.json"))


def reproduce(path: str, env: dict) -> dict:
    """Re-runs one saved input in a child process (the installed bwl, no
    sanitizer): outcome and a short description."""
    code = ("import sys\nfrom support import fuzz as t\n"
            "d = open(sys.argv[1], 'rb').read()\n"
            "print('OUTCOME', t.run_one(d, sys.argv[2], slow_s=10))\n")
    t0 = time.time()
    try:  # (the work file must not match saved_findings' patterns)
        r = subprocess.run([sys.executable, "-c", code, path, str(work_path("reproduce", "any"))], capture_output=True,
                           text=True, timeout=120,
                           env=env, cwd=str(TESTS_DIR))  # python -c: the cwd is on sys.path
    except subprocess.TimeoutExpired:
        return dict(outcome="hang (>120 s)", seconds=120.0)
    out = r.stdout + r.stderr
    if r.returncode == 0 and "OUTCOME" in r.stdout:
        kind = r.stdout.split("OUTCOME")[-1].strip()
        return dict(outcome=f"no finding here ({kind})", seconds=round(time.time() - t0, 1))
    last = [ln for ln in out.strip().splitlines() if ln.strip()][-1:] or [""]
    return dict(outcome=f"exit {r.returncode}: {last[0][:200]}", seconds=round(time.time() - t0, 1))


def run_atheris(a: argparse.Namespace) -> dict:
    target = build(not a.no_sanitize, a.rebuild)
    env = atheris_env(target, not a.no_sanitize)
    seeds_dir, corpus = dirs(a.format)  # seeds: filled by the worker before libFuzzer reads them
    corpus.mkdir(parents=True, exist_ok=True)
    seeds_dir.mkdir(parents=True, exist_ok=True)
    surfaces_json = OUT / f"surfaces-{a.format}.json"
    surfaces_json.unlink(missing_ok=True)
    before = set(saved_findings())
    lf = [str(corpus), str(seeds_dir), f"-max_total_time={a.seconds}", f"-timeout={a.timeout}", f"-rss_limit_mb={a.rss_limit_mb}",
          f"-malloc_limit_mb={a.rss_limit_mb}", f"-seed={a.seed}", f"-artifact_prefix={OUT}/", "-max_len=65536",
          "-len_control=0",  # the whole max_len from the start: the custom mutator appends re-pointed blocks
          "-print_final_stats=1", "-report_slow_units=5"]
    cmd = [sys.executable, __file__, "--worker", "--format", a.format, "--", *lf]
    print("fuzzing:", " ".join(cmd), flush=True)
    t = time.time()
    log = OUT / f"atheris-{a.format}.log"
    with open(log, "w") as fh:
        r = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=str(ROOT))
    dt = time.time() - t
    text = log.read_text(errors="replace")
    stats = {}
    for ln in text.splitlines():
        if ln.startswith("stat::"):
            k, v = ln[6:].split(":", 1)
            stats[k.strip()] = v.strip()
    print("\n".join(text.splitlines()[-25:]))
    print(f"libFuzzer exit {r.returncode} after {dt:.0f} s; log: {log}")
    per = json.loads(surfaces_json.read_text()) if surfaces_json.exists() else {}
    new = [p for p in saved_findings() if p not in before]
    surfaces = {}
    for k, v in per.items():
        surfaces[k] = dict(executions=v["runs"], seconds=round(v["seconds"], 1),
                           findings=[os.path.basename(p) for p in new if surface_of(p) == k])
    return dict(engine="atheris", format=a.format, seconds=round(dt), exit=r.returncode, stats=stats,
                seeds=str(seeds_dir), corpus=str(corpus), surfaces=surfaces)


def run_loop(a: argparse.Namespace) -> dict:
    from support import fuzz as harness

    seeds_dir = dirs(a.format)[0]
    seeds = [open(p, "rb").read() for p in harness.seed_files(str(seeds_dir), small=True, fmt=a.format).values()]
    found: dict = {k: [] for k in harness.SURFACES}

    def on_finding(data: bytes, f: Exception) -> None:
        h = hashlib.sha1(data).hexdigest()[:16]
        (OUT / f"finding-{h}").write_bytes(data)
        found[harness.surface(data)].append(f"finding-{h}: {f}")
        print("finding:", harness.surface(data), f, flush=True)

    t = time.time()
    total = {"ok": 0, "error": 0, "finding": 0, "runs": 0}
    per = {k: {"runs": 0, "ok": 0, "error": 0, "finding": 0, "seconds": 0.0} for k in harness.SURFACES}
    seed = a.seed
    while time.time() - t < a.seconds:
        c = harness.fuzz_loop(seeds, str(work_path("loop", a.format)), runs=1000, seed=seed, on_finding=on_finding,
                              deadline=time.monotonic() + (a.seconds - (time.time() - t)))
        for k in total:
            total[k] += c[k]
        for k, v in c["surfaces"].items():
            for q in v:
                per[k][q] += v[q]
        seed += 1
    dt = time.time() - t
    print(f"loop: {total['runs']} executions in {dt:.0f} s ({total['runs'] / dt:.0f}/s): {total}")
    surfaces = {k: dict(executions=v["runs"], ok=v["ok"], error=v["error"], seconds=round(v["seconds"], 1),
                        findings=found[k]) for k, v in per.items() if v["runs"]}
    return dict(engine="loop", format=a.format, seconds=round(dt), seeds=str(seeds_dir), stats=total,
                first_seed=a.seed, last_seed=seed - 1, surfaces=surfaces)


def saved_findings() -> list:
    return sorted(glob.glob(str(OUT / "crash-*")) + glob.glob(str(OUT / "timeout-*")) + glob.glob(str(OUT / "oom-*"))
                  + glob.glob(str(OUT / "slow-unit-*")) + glob.glob(str(OUT / "finding-*")))


def surface_of(path: str) -> str:
    from support import fuzz as harness

    with open(path, "rb") as fh:
        return harness.surface(fh.read(4))


def replay(d: Path) -> int:
    """Every input a local run left in ``d`` (corpus*/, seeds*/) through the
    target once: only expected outcomes. Not a pytest test: the corpus is
    not in git, so in CI there would be nothing to replay."""
    import tempfile

    from support.fuzz import Finding, run_one

    files = sorted(p for p in list(d.glob("corpus*/*")) + list(d.glob("seeds*/*.b[wb]")) if p.is_file())
    if not files:
        print(f"{d}: no corpus to replay (run bench/fuzz.py first)")
        return 1
    counts, found = {"ok": 0, "error": 0}, []
    with tempfile.TemporaryDirectory() as tmp:
        for p in files:
            try:
                counts[run_one(p.read_bytes(), os.path.join(tmp, "replay.bw"), slow_s=60)] += 1
            except Finding as e:
                found.append([p.name, str(e)[:100]])
    print(f"replayed {len(files)} inputs of {d}: {counts}")
    if found:
        print_table(found, ["input", "finding"])
    return 1 if found else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--engine", choices=["atheris", "loop"], default="atheris")
    ap.add_argument("--format", choices=["bigwig", "bigbed", "all", "remote"], default="all",
                    help="the surface: seeds (and so mutations) of bigWig, bigBed or both")
    ap.add_argument("--no-sanitize", action="store_true")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=10, help="seconds per input before libFuzzer calls it a hang")
    ap.add_argument("--rss-limit-mb", type=int, default=2048)
    ap.add_argument("--replay", nargs="?", const=str(OUT), metavar="DIR",
                    help="replay a local corpus (default bench/results/fuzz: corpus*/ and seeds*/) and exit; "
                         "1 on any finding (tests/sanitize.sh runs it under ASan)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    if "--worker" in sys.argv:
        i = sys.argv.index("--")
        worker(ap.parse_args(sys.argv[1:i]), sys.argv[i + 1:])
        return 0
    a = ap.parse_args()
    if a.replay:
        return replay(Path(a.replay))
    if a.format == "remote":  # http faults, not file bytes: its own rig, engines and results (bench/fuzz_remote.py)
        import fuzz_remote

        return fuzz_remote.main(a)
    OUT.mkdir(parents=True, exist_ok=True)
    run = run_atheris(a) if a.engine == "atheris" else run_loop(a)

    print_table([[k, v["executions"], len(v["findings"]), v["seconds"],
                  round(v["executions"] / v["seconds"]) if v["seconds"] else 0] for k, v in run["surfaces"].items()],
                ["surface", "executions", "findings", "seconds in target", "exec/s"])
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    rows = []
    for p in saved_findings():  # this run's and earlier runs' (delete the files once kept as tests)
        r = reproduce(p, env)
        rows.append([os.path.basename(p), surface_of(p), os.path.getsize(p), r["outcome"], r["seconds"]])
    if rows:
        print_table(rows, ["saved input", "surface", "bytes", "re-run without sanitizer", "seconds"])
    else:
        print("no findings saved")
    out = OUT.parent / f"fuzz_{a.engine}_{a.format}.json"
    out.write_text(json.dumps(dict(params=vars(a), runs=[run], findings=rows, machine=machine_info()), indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
