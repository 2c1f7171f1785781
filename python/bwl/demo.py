"""``bwl demo``: make example bigWigs with bwl's own writer, then read them.

Runs offline on a fresh machine. The files go to a cache folder and are
reused the next time.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Optional

import numpy as np

CHROMS = {"chr1": 2_000_000, "chr2": 1_500_000, "chrX": 800_000}
TRACKS = {"bedgraph": "bedGraph", "varstep": "variableStep", "fixedstep": "fixedStep"}


def cache_dir(override: Optional[str] = None) -> Path:
    """Where demo data lives: ``override``, else $BWL_CACHE, else ~/.cache/bwl/demo."""
    if override:
        return Path(override)
    base = os.environ.get("BWL_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "bwl")
    return Path(base) / "demo"


def _track(kind: str, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A synthetic coverage-like signal on one chromosome, encodable as ``kind``."""
    if kind == "fixedStep":
        starts = np.arange(0, size - 25, 25, dtype=np.int64)
        ends = starts + 25
    elif kind == "variableStep":
        starts = np.sort(rng.choice(np.arange(0, size - 50, 50), size=size // 200, replace=False))
        ends = starts + 50
    else:
        cuts = np.unique(rng.integers(0, size, size // 100))
        starts, ends = cuts[:-1], cuts[1:]
    x = np.arange(len(starts))
    values = (np.abs(np.sin(x / 40.0)) * 10 + rng.gamma(1.0, 1.0, len(starts))).astype(np.float32)
    return starts, ends, values


def make_files(folder: Path) -> list[Path]:
    """Writes one bigWig per section type into ``folder`` (skips existing ones)."""
    import bwl

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, kind in TRACKS.items():
        path = folder / f"{name}.bw"
        if not path.exists():
            rng = np.random.default_rng(len(paths))
            data = {c: _track(kind, n, rng) for c, n in CHROMS.items()}
            tmp = path.with_suffix(".tmp")
            bwl.write(tmp, CHROMS, data, type=kind)
            tmp.replace(path)
        paths.append(path)
    return paths


def run(folder: Optional[str] = None) -> int:
    """The demo: write, inspect and read example files. Returns an exit code."""
    import bwl
    from bwl.cli import _table

    where = cache_dir(folder)
    t0 = time.perf_counter()
    paths = make_files(where)
    print(f"example bigWigs in {where} ({time.perf_counter() - t0:.2f} s)\n")

    rows = []
    for p in paths:
        with bwl.open(p) as f:
            h = f.header()
            rows.append((p.name, len(f.chroms()), h["sectionCount"], len(h["zoomLevels"]), h["nBasesCovered"]))
    print(_table(rows, ["file", "chroms", "sections", "zooms", "bases covered"]))

    rng = np.random.default_rng(0)
    n, length = 2000, 1000
    with bwl.open(paths[0]) as f:
        chroms = f.chroms()
        names = list(chroms)
        t0 = time.perf_counter()
        for _ in range(n):
            c = names[rng.integers(len(names))]
            s = int(rng.integers(0, chroms[c] - length))
            f.values(c, s, s + length)
        dt = time.perf_counter() - t0
        v = f.values("chr1", 100_000, 100_010)
        st = f.stats("chr1", 0, chroms["chr1"], type="mean", nBins=4)
    print(f"\n{paths[0].name} chr1:100,000-100,010  {np.array2string(v, precision=2)}")
    print(f"{paths[0].name} chr1 mean in 4 bins   {np.array2string(st, precision=3)}")
    print(f"\nrandom 1 kb windows with bwl.open().values(): {n / dt:,.0f} per second")
    print("next: `bwl info FILE`, `bwl values FILE chr1:0-100`, and the batched loader as it lands")
    return 0
