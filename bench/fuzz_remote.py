"""The remote surface of bench/fuzz.py (``--format remote``): bwl reading
over http from a loopback server whose every answer a script decides
(tests/support/fuzz_remote.py: faults, redirects, changed files, lies,
garbage), every value compared with the local file.

    python bench/fuzz.py --format remote --engine loop --seconds 600
    python bench/fuzz.py --format remote --seconds 600    # atheris

Engines
-------
loop
    The test suite's deterministic loop (``support.fuzz_remote.fuzz_loop``:
    random scripts from a seed, a leak check per 500 inputs) until
    ``--seconds``.
atheris
    libFuzzer mutating the script bytes, guided by the coverage of
    bwl._remote and http.client (pure Python: no clang build of the core
    is needed, unlike the file surfaces). Needs a Python with atheris
    (``pip install atheris``); the bwl it imports is the one fuzzed
    (PYTHONPATH picks another).

Findings go to bench/results/fuzz/remote/finding-*.bin (the script bytes)
with a .txt (the message), are replayed at the end (three times each:
concurrent requests may arrive in another order) and listed with the
counts in a table and bench/results/fuzz_<engine>_remote.json. Keep each as
a script in tests/corpus/remote/ (manifest.json: the outcome it must have)
and a regression test in tests/test_fuzz_remote.py.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from common import TESTS_DIR, machine_info, print_table  # (also puts tests/ on sys.path)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "fuzz" / "remote"


def save_finding(data: bytes, f: Exception) -> None:
    """The script and its message, once per script (a leak has no script: its own file)."""
    from support import fuzz_remote as fr

    name = fr.finding_name(data) if data else f"leak-{int(time.time())}.bin"
    if not (OUT / name).exists():
        (OUT / name).write_bytes(data)
        (OUT / name).with_suffix(".txt").write_text(str(f) + "\n")
        print("finding:", str(f)[:300], flush=True)


def run_loop(a: argparse.Namespace) -> dict:
    from support import fuzz_remote as fr

    t, seed = time.time(), a.seed
    total = {"ok": 0, "error": 0, "finding": 0, "runs": 0}
    with fr.Rig() as rig:
        while time.time() - t < a.seconds:
            c = fr.fuzz_loop(rig, 500, seed=seed, on_finding=save_finding,
                             deadline=time.monotonic() + a.seconds - (time.time() - t))
            for k in total:
                total[k] += c[k]
            seed += 1
    return dict(engine="loop", seconds=round(time.time() - t), counts=total, first_seed=a.seed, last_seed=seed - 1)


def run_atheris(a: argparse.Namespace) -> dict:
    """libFuzzer in a child process (it exits without returning)."""
    from support import fuzz_remote as fr

    corpus, seeds = OUT / "corpus", OUT / "seeds"
    for d in (corpus, seeds):
        d.mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(fr.seed_inputs()):
        (seeds / f"seed-{i:03d}").write_bytes(data)
    stats = OUT / "stats.json"
    stats.unlink(missing_ok=True)
    lf = [str(corpus), str(seeds), f"-max_total_time={a.seconds}", f"-timeout={a.timeout}", f"-seed={a.seed}",
          f"-rss_limit_mb={a.rss_limit_mb}", f"-artifact_prefix={OUT}/", f"-max_len={fr.HEAD + 2 * fr.MAX_STEPS}",
          "-len_control=0", "-print_final_stats=1"]  # scripts of every length from the start
    cmd = [sys.executable, __file__, "--worker", "--", *lf]
    print("fuzzing:", " ".join(cmd), flush=True)
    t = time.time()
    log = OUT / "atheris.log"
    with open(log, "w") as fh:
        r = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=str(ROOT))
    text = log.read_text(errors="replace")
    print("\n".join(text.splitlines()[-15:]))
    lib = {k.strip(): v.strip() for k, v in (ln[6:].split(":", 1) for ln in text.splitlines() if ln.startswith("stat::"))}
    counts = json.loads(stats.read_text()) if stats.exists() else {}
    return dict(engine="atheris", seconds=round(time.time() - t), exit=r.returncode, counts=counts, libfuzzer=lib,
                corpus=str(corpus))


def worker(libfuzzer_args: list) -> None:
    """Inside the child: atheris over support.fuzz_remote (never returns)."""
    import atheris

    with atheris.instrument_imports(include=["bwl", "http", "urllib"]):
        import http.client  # noqa: F401 - instrumented: its parsing decides many outcomes
        import urllib.parse  # noqa: F401

        import bwl  # noqa: F401
        import bwl._remote.http  # noqa: F401
    from support import fuzz_remote as fr

    print("fuzzing", bwl.__file__, flush=True)
    fr.atheris_main([sys.argv[0]] + libfuzzer_args, on_finding=save_finding, stats_path=str(OUT / "stats.json"))


def replay(paths: list) -> list:
    """Each saved script three times through a fresh rig: [name, runs per outcome, first message]."""
    from support import fuzz_remote as fr

    rows = []
    with fr.Rig() as rig:
        for p in paths:
            data = Path(p).read_bytes()
            if not data:
                rows.append([os.path.basename(p), "(leak: see its .txt)", ""])
                continue
            got, first = {}, ""
            for _ in range(3):
                try:
                    k = rig.run(data)
                except fr.Finding as f:
                    k, first = "finding", first or str(f)[:160]
                got[k] = got.get(k, 0) + 1
            rows.append([os.path.basename(p), " ".join(f"{k}={v}" for k, v in sorted(got.items())), first])
    return rows


def main(a: argparse.Namespace) -> int:
    """bench/fuzz.py --format remote."""
    OUT.mkdir(parents=True, exist_ok=True)
    before = set(glob.glob(str(OUT / "finding-*.bin")))
    run = run_atheris(a) if a.engine == "atheris" else run_loop(a)
    c = run["counts"]
    n = c.get("runs", 0)
    print_table([[run["engine"], n, c.get("ok", 0), c.get("error", 0), c.get("finding", 0), run["seconds"],
                  round(n / run["seconds"]) if run["seconds"] else 0]],
                ["engine", "executions", "ok", "expected errors", "findings", "seconds", "exec/s"])
    saved = sorted(glob.glob(str(OUT / "finding-*.bin")) + glob.glob(str(OUT / "leak-*.bin")))
    rows = replay(saved)  # this run's and earlier runs' (delete the files once kept as tests)
    if rows:
        print_table(rows, ["saved script", "replayed 3 times", "first finding"])
    else:
        print("no findings saved")
    out = OUT.parent.parent / f"fuzz_{run['engine']}_remote.json"
    new = [os.path.basename(p) for p in saved if p not in before]
    out.write_text(json.dumps(dict(params={k: v for k, v in vars(a).items() if k != "worker"}, run=run, new_findings=new,
                                   findings=rows, machine=machine_info()), indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    if "--worker" in sys.argv:
        sys.path.insert(0, str(TESTS_DIR))
        worker(sys.argv[sys.argv.index("--") + 1:])
    else:
        sys.exit("run it as: python bench/fuzz.py --format remote [--engine loop|atheris] [--seconds N]")
