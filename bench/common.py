"""Small helpers shared by the benches: timing, a text table, JSON results.

Importing it also makes tests/support/ importable (``from support.tracks
import ...``): the synthetic tracks, BBI walker, fuzz harness and soak run
that the benches share with the tests live there. Bench scripts are run as
files (``python bench/x.py``), so Python puts bench/ on sys.path, not
tests/; the one line below adds it. Every bench script imports ``common``
before ``support``.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import platform
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Callable

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
DATA_DIR = BENCH_DIR / "data"
TESTS_DIR = BENCH_DIR.parent / "tests"

if str(TESTS_DIR) not in sys.path:
    sys.path.insert(1, str(TESTS_DIR))  # after bench/ (sys.path[0] of a bench script)


def import_example(name: str):
    """examples/<name>.py as a module (examples/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR.parent / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # where dataclasses (and pickle) look a class's module up
    spec.loader.exec_module(module)
    return module


def timeit(fn: Callable[[], Any], n: int = 1) -> float:
    """Call ``fn`` ``n`` times; return total wall seconds (perf_counter)."""
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return time.perf_counter() - t0


def print_table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    """Print rows as an aligned text table (numbers right-aligned); return it."""
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
        return str(v)

    cells = [[fmt(v) for v in r] for r in rows]
    raw = [list(r) for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
    def numeric(v: Any) -> bool:  # numbers and "1.23x"-style strings align right
        return isinstance(v, (int, float)) or (isinstance(v, str) and v[:1].isdigit())

    num = [bool(raw) and all(numeric(r[i]) for r in raw) for i in range(len(headers))]

    def line(vals: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if num[i] else v.ljust(w)
                         for i, (v, w) in enumerate(zip(vals, widths))).rstrip()

    out = [line(list(headers)), "  ".join("-" * w for w in widths)]
    out += [line(c) for c in cells]
    text = "\n".join(out)
    print(text, flush=True)
    return text


def write_json(name: str, payload: dict) -> Path:
    """Write ``payload`` to bench/results/<name>.json; return the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def _version(mod: str) -> str | None:
    try:
        m = importlib.import_module(mod)
    except Exception:
        return None
    return str(getattr(m, "__version__", "?"))


def machine_info(packages: Sequence[str] = ("bwl", "numpy", "pyBigWig", "pybigtools")) -> dict:
    """CPU count, platform, Python and package versions (None: not importable)."""
    cpu = platform.processor() or ""
    try:  # the CPU model name is more useful than platform.processor() on Linux
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "loadavg_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "packages": {p: _version(p) for p in packages},
        "bwl_build": _bwl_build(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _bwl_build() -> dict | None:
    """bwl.build_info(): the inflate backend and CUDA kernels that ran."""
    try:
        import bwl
        return bwl.build_info()
    except Exception:
        return None


def require_peers(*modules: str) -> None:
    """Exits with one line and code 2 unless every peer module imports
    (``pip install 'bwl[test]'`` brings them all)."""
    from bwl._optional import MissingDependency, require

    try:
        for m in modules:
            require(m, f"bench/{Path(sys.argv[0]).stem}")
    except MissingDependency as e:
        print(f"{e} (or pip install 'bwl[test]' for every peer)", file=sys.stderr)
        sys.exit(2)
