"""A manylinux wheel built by zig (tests/wheel_check.sh) against a source build.

The wheel is compiled by zig's clang for glibc 2.17 with libc++; a source
build (``pip install .``) by the machine's own compiler (GCC here) with
libstdc++. Both must be as fast: this bench times the same batches through
each, in two venvs of the running Python:

* ``zig wheel``: the wheel given by ``--wheel`` (by default the one
  tests/wheel_check.sh repaired for this Python), installed as is;
* ``source build``: ``pip install .`` of this checkout, the project's
  defaults (Release, the host's c++).

Workloads, on 16 tracks written by ``bwl.write`` (2 chromosomes, 60 Mb,
~10 bedGraph items per kb, cached in ``bench/data/wheel_speed/``):
``Collection.values`` of B = 256 random 1 kb windows (per base) and of
B = 32 windows of 102,400 bp at ``window=128``, one thread and all cores.

Each build runs in its own worker process (``--worker``), started once;
rounds alternate which build goes first, each round times one fresh seeded
batch (the same windows for both builds) once per build after one untimed
warm-up round. Reported: the median seconds per batch over the rounds,
the spread (min-max), zig / source, and the same for the process's CPU
time per batch (steadier than wall time on a machine other work shares). Each worker's ``build_info()``
(compiler, inflate backend, CPU features used) is printed and stored in
bench/results/wheel_speed.json.

    python bench/wheel_speed.py [--wheel X.whl] [--rounds 9] [--quick] [--rebuild]
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import venv

from common import BENCH_DIR, DATA_DIR, machine_info, print_table, write_json

ROOT = BENCH_DIR.parent
CHROMS = {"chr1": 40_000_000, "chr2": 20_000_000}
QUICK_CHROMS = {"chr1": 4_000_000, "chr2": 2_000_000}
N_TRACKS = 16
CONFIGS = {  # name: (B, L, window, threads)
    "L=1 kb, 1 thread": (256, 1_000, 1, 1),
    "L=1 kb, all cores": (256, 1_000, 1, None),
    "L=100 kb w=128, 1 thread": (32, 102_400, 128, 1),
}


def make_tracks(d: str, chroms: dict[str, int]) -> list[str]:
    import numpy as np

    import bwl

    os.makedirs(d, exist_ok=True)
    paths = []
    for t in range(N_TRACKS):
        p = os.path.join(d, f"track{t:02d}.bw")
        paths.append(p)
        if os.path.exists(p):
            continue
        rng = np.random.default_rng(1000 + t)
        iv = {}
        for c, size in chroms.items():
            n = size // 100  # mean step 100 bp -> ~10 items per kb
            step = rng.integers(1, 200, n)
            starts = np.concatenate(([0], np.cumsum(step[:-1])))
            gap = np.where(rng.random(n) < 0.3, rng.integers(0, step), 0)
            ends = np.maximum(starts + step - gap, starts + 1)
            keep = ends <= size
            iv[c] = (starts[keep], ends[keep], rng.standard_normal(int(keep.sum())).astype(np.float32))
        bwl.write(p + ".tmp", chroms, iv)
        os.replace(p + ".tmp", p)
    return paths


def worker(data_dir: str, quick: bool) -> None:
    """Reads "config seed" lines, answers with the seconds of one batch."""
    import time

    import numpy as np

    import bwl

    chroms = QUICK_CHROMS if quick else CHROMS
    paths = make_tracks(data_dir, chroms)
    cols = {}
    print(json.dumps({"build_info": bwl.build_info(), "file": bwl.__file__}), flush=True)
    for line in sys.stdin:
        name, seed = line.rsplit(" ", 1)
        b, length, window, threads = CONFIGS[name]
        if quick:
            b = max(8, b // 4)
        if threads not in cols:
            cols[threads] = bwl.Collection(paths, threads=threads)
        rng = np.random.default_rng(int(seed))
        names = list(chroms)
        ci = rng.integers(0, len(names), b)
        starts = np.array([rng.integers(0, chroms[names[i]] - length) for i in ci], dtype=np.int64)
        t0, c0 = time.perf_counter(), time.process_time()
        out = cols[threads].values([names[i] for i in ci], starts, starts + length, window=window)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        print(json.dumps({"seconds": dt, "cpu_seconds": dc, "checksum": float(np.nansum(out, dtype=np.float64))}),
              flush=True)


def make_venv(path: str, what: list[str], rebuild: bool) -> str:
    py = os.path.join(path, "bin", "python")
    if rebuild or not os.path.exists(os.path.join(path, ".ready")):
        venv.EnvBuilder(with_pip=True, clear=True).create(path)
        subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", *what], check=True)
        open(os.path.join(path, ".ready"), "w").close()
    return py


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", help="the zig-built wheel (default: build/wheels/cpu-cpXY/repaired/*.whl)")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rebuild", action="store_true", help="reinstall both venvs")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    data_dir = str(DATA_DIR / ("wheel_speed_quick" if args.quick else "wheel_speed"))
    if args.worker:
        worker(data_dir, args.quick)
        return

    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    wheel = args.wheel or next(iter(sorted(glob.glob(str(ROOT / f"build/wheels/cpu-{tag}/repaired/*.whl")))), None)
    if not wheel:
        sys.exit(f"no wheel for {tag}: run bash tests/wheel_check.sh --pythons {sys.version_info[0]}.{sys.version_info[1]} "
                 "--no-cuda, or pass --wheel")
    base = ROOT / "build" / "bench-wheel-speed" / tag
    envs = {
        "zig wheel": make_venv(str(base / "zig"), [wheel], args.rebuild),
        "source build": make_venv(str(base / "source"), [str(ROOT), "-C", "cmake.define.BWL_CUDA=OFF"], args.rebuild),
    }
    workers, infos = {}, {}
    for name, py in envs.items():  # from a folder without bwl/: each imports its venv's copy
        p = subprocess.Popen([py, os.path.abspath(__file__), "--worker", "1"] + (["--quick"] if args.quick else []),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=str(base))
        workers[name] = p
        infos[name] = json.loads(p.stdout.readline())
        b = infos[name]["build_info"]
        print(f"{name}: {infos[name]['file']}\n  {json.dumps(b)}", flush=True)

    def ask(name: str, config: str, seed: int) -> dict:
        w = workers[name]
        w.stdin.write(f"{config} {seed}\n")
        w.stdin.flush()
        return json.loads(w.stdout.readline())

    rows, results = [], {}
    for config in CONFIGS:
        times = {n: [] for n in envs}
        cpu = {n: [] for n in envs}
        for r in range(args.rounds + 1):
            order = list(envs) if r % 2 == 0 else list(envs)[::-1]
            got = {n: ask(n, config, 1000 * r + 7) for n in order}
            sums = {round(g["checksum"], 3) for g in got.values()}
            assert len(sums) == 1, f"{config}: the builds disagree: {got}"
            if r > 0:  # round 0: warm-up
                for n in envs:
                    times[n].append(got[n]["seconds"])
                    cpu[n].append(got[n]["cpu_seconds"])
        med = {n: statistics.median(t) for n, t in times.items()}
        mcpu = {n: statistics.median(t) for n, t in cpu.items()}
        results[config] = {n: {"median_s": med[n], "all_s": times[n], "median_cpu_s": mcpu[n], "all_cpu_s": cpu[n]}
                           for n in envs}
        for n in envs:
            rows.append([config, n, med[n] * 1e3, f"{min(times[n]) * 1e3:.2f}-{max(times[n]) * 1e3:.2f}",
                         f"{med[n] / med['source build']:.3f}x", mcpu[n] * 1e3,
                         f"{mcpu[n] / mcpu['source build']:.3f}x"])
    for w in workers.values():
        w.stdin.close()
        w.wait()
    print()
    print_table(rows, ["batch", "build", "median ms", "min-max ms", "vs source", "CPU ms", "CPU vs source"])
    path = write_json("wheel_speed", {"rounds": args.rounds, "quick": args.quick, "wheel": wheel,
                                      "configs": {k: list(v) for k, v in CONFIGS.items()},
                                      "builds": infos, "results": results, "machine": machine_info(("numpy",))})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
