"""The CLI tools (issue 28) against the programs people run for the same job.

from-bed (the regions as BED4 to bigBed) against pybigtools' bigBed
writer fed the same records by a Python script.

to-bedgraph (one track) and merge (32 tracks) against pyBigWig scripts
doing the same (``intervals()`` written out; ``values()`` summed with
numpy per chromosome), with each process's peak resident memory.

average-over-bed: 100,000 sorted regions (200 bp - 2 kb) over one track,
and over 32 tracks in one call, of the loader bench's tracks (150 Mb
genome; ``--quick``: 10 Mb and 10,000 regions), side by side in one run:

- ``bwl average-over-bed`` (a new process, as a user runs it);
- megadepth (Debian package; C++ on libBigWig, one thread): ``--annotation
  --op sum``, its sums checked equal to bwl's;
- pyBigWig: ``stats(type="sum", exact=True)`` per region (one process,
  the loop a script writes);
- the inflate bound: libdeflate inflating every block the regions touch,
  on all cores (what reading them cold costs at least).

    python bench/tools.py [--quick]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from collection import BlockIndex, inflate_all
from loader import FULL, QUICK, make_data

from common import DATA_DIR, machine_info, print_table, require_peers, write_json

TARGETS = {"megadepth": 3.0, "pybigwig": 5.0, "pybigwig_32": 20.0, "to_bedgraph": 1.0, "merge": 1.0}

PYBT_FROM_BED = """
import sys, pybigtools
sizes = dict((c, int(n)) for c, n in (line.split() for line in open(sys.argv[2])))
def recs():
    for line in open(sys.argv[1]):
        c, s, e, rest = line.rstrip("\\n").split("\\t", 3)
        yield c, int(s), int(e), rest
pybigtools.open(sys.argv[3], "w").write(sizes, recs())
"""

PYBW_TO_BEDGRAPH = """
import sys, pyBigWig
b = pyBigWig.open(sys.argv[1])
with open(sys.argv[2], "w") as out:
    for c in sorted(b.chroms()):
        for s, e, v in b.intervals(c) or []:
            out.write(f"{c}\\t{s}\\t{e}\\t{v:g}\\n")
"""

PYBW_MERGE = """
import sys, numpy as np, pyBigWig
paths, out = sys.argv[1:-1], sys.argv[-1]
hs = [pyBigWig.open(p) for p in paths]
with open(out, "w") as fh:
    for c, size in sorted(hs[0].chroms().items()):
        acc = np.zeros(size)
        for h in hs:
            acc += np.nan_to_num(h.values(c, 0, size, numpy=True))
        edges = np.flatnonzero(np.diff(acc)) + 1
        starts, ends = np.r_[0, edges], np.r_[edges, size]
        for s, e, v in zip(starts.tolist(), ends.tolist(), acc[starts].tolist()):
            if v > 0:
                fh.write(f"{c}\\t{s}\\t{e}\\t{v:g}\\n")
"""


def timed_rss(cmd) -> tuple[float, int]:
    """Seconds and peak resident KiB of a command (GNU time)."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, check=True)
    if "Invalid" in r.stderr:  # pybigtools' writer reports bad records on stderr and exits 0
        raise RuntimeError(f"{cmd[:3]}: {r.stderr.strip()[:200]}")
    return time.perf_counter() - t, int(r.stderr.strip().splitlines()[-1])


def regions(chroms, n: int, path: str, seed: int = 0) -> None:
    """n BED4 regions of 200 bp - 2 kb, round-robin over the chroms, sorted."""
    rng = np.random.default_rng(seed)
    ci = np.arange(n) % len(chroms)
    sizes = np.array([size for _, size in chroms])[ci]
    starts = (rng.random(n) * (sizes - 2000)).astype(np.int64)
    ends = starts + rng.integers(200, 2000, n)
    names = np.array([c for c, _ in chroms])[ci]
    order = np.lexsort((starts, names))
    with open(path, "w") as fh:
        fh.writelines(f"{names[i]}\t{starts[i]}\t{ends[i]}\tr{i}\n" for i in order.tolist())


def timed(cmd, **kw) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, check=True, **kw)
    return time.perf_counter() - t, r


def pybigwig_sums(paths, bed: str) -> float:
    import pyBigWig

    rows = [line.split() for line in open(bed)]
    t = time.perf_counter()
    for p in paths:
        b = pyBigWig.open(p)
        for c, s, e, _ in rows:
            b.stats(c, int(s), int(e), type="sum", exact=True)
        b.close()
    return time.perf_counter() - t


def main() -> None:
    require_peers("pyBigWig", "deflate")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--regions", type=int, default=None, help="default 100,000 (quick: 10,000)")
    a = ap.parse_args()
    import bwl

    spec = QUICK if a.quick else FULL
    chroms = spec["chroms"]
    n = a.regions or (10_000 if a.quick else 100_000)
    _, all_paths = make_data(DATA_DIR / ("loader-quick" if a.quick else "loader"), chroms)
    paths = [str(p) for p in all_paths[:32]]
    work = DATA_DIR / "tools"
    work.mkdir(exist_ok=True)
    bed = str(work / f"regions_{n}.bed")
    regions(chroms, n, bed)
    megadepth = shutil.which("megadepth")
    bwl_cli = [sys.executable, "-m", "bwl.cli"]
    build = bwl.build_info()
    print(f"bwl {build['version']} (inflate {build['inflate']}), {os.cpu_count()} cores; {n:,} regions; "
          f"megadepth {'found' if megadepth else 'missing'}", flush=True)
    res: dict = {}
    rows = []

    # -- one track
    out = str(work / "bwl.tab")
    t_bwl = min(timed(bwl_cli + ["average-over-bed", paths[0], bed, out])[0] for _ in range(3))
    res["bwl_1"] = t_bwl
    if megadepth:
        t_md, r = min((timed([megadepth, paths[0], "--annotation", bed, "--op", "sum"]) for _ in range(3)),
                      key=lambda x: x[0])
        res["megadepth_1"] = t_md
        ours = np.loadtxt(out, usecols=3)
        theirs = np.array([float(x.split("\t")[3]) for x in r.stdout.splitlines()])
        assert len(ours) == len(theirs) and np.allclose(ours, theirs, atol=0.006, rtol=1e-9), "sums differ"
    t_pb = pybigwig_sums(paths[:1], bed)
    res["pybigwig_1"] = t_pb
    idx = BlockIndex(paths[0])
    rr = [line.split() for line in open(bed)]
    blocks = sorted(idx.blocks([r[0] for r in rr], [int(r[1]) for r in rr], [int(r[2]) for r in rr]))
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        t_inf = min(inflate_all([idx.blob(i) for i in blocks], [idx.ubuf] * len(blocks), pool, os.cpu_count())
                    for _ in range(3))
    res["inflate_bound_1"] = t_inf
    rows.append([f"average-over-bed, 1 track, {n:,} regions", f"{t_bwl:.2f} s",
                 (f"{res['megadepth_1'] / t_bwl:.1f}x megadepth ({res['megadepth_1']:.2f} s); " if megadepth else "")
                 + f"{t_pb / t_bwl:.1f}x pyBigWig ({t_pb:.2f} s); inflating its {len(blocks):,} blocks {t_inf:.2f} s",
                 f">= {TARGETS['megadepth']}x megadepth, {TARGETS['pybigwig']}x pyBigWig"])

    # -- 32 tracks in one call
    t_bwl32 = min(timed(bwl_cli + ["average-over-bed", *paths, bed, str(work / "bwl32.tab")])[0] for _ in range(2))
    t_pb32 = t_pb * 32 if not a.quick else pybigwig_sums(paths, bed)  # full: 32x the one-track loop (minutes)
    res.update(bwl_32=t_bwl32, pybigwig_32=t_pb32, pybigwig_32_extrapolated=not a.quick)
    rows.append(["average-over-bed, 32 tracks in one call", f"{t_bwl32:.2f} s",
                 f"{t_pb32 / t_bwl32:.1f}x pyBigWig ({t_pb32:.1f} s{', 32x its one-track loop' if not a.quick else ''})",
                 f">= {TARGETS['pybigwig_32']}x pyBigWig"])

    # -- to-bedgraph (one track) and merge (32 tracks), against pyBigWig scripts doing the same
    t_tb, m_tb = timed_rss(bwl_cli + ["to-bedgraph", paths[0], str(work / "bwl.bedGraph")])
    t_tp, m_tp = timed_rss([sys.executable, "-c", PYBW_TO_BEDGRAPH, paths[0], str(work / "pybw.bedGraph")])
    lines = sum(1 for _ in open(work / "bwl.bedGraph"))
    res.update(to_bedgraph_s=t_tb, to_bedgraph_kib=m_tb, pybw_to_bedgraph_s=t_tp, pybw_to_bedgraph_kib=m_tp)
    rows.append([f"to-bedgraph, 1 track ({lines:,} lines)", f"{t_tb:.2f} s, {m_tb / 1024:.0f} MiB",
                 f"{t_tp / t_tb:.1f}x pyBigWig intervals() loop ({t_tp:.2f} s, {m_tp / 1024:.0f} MiB)",
                 f">= {TARGETS['to_bedgraph']}x"])
    n_merge = 32
    t_mb, m_mb = timed_rss(bwl_cli + ["merge", *paths[:n_merge], str(work / "bwl_merge.bedGraph")])
    t_mp, m_mp = timed_rss([sys.executable, "-c", PYBW_MERGE, *paths[:n_merge], str(work / "pybw_merge.bedGraph")])
    res.update(merge_s=t_mb, merge_kib=m_mb, pybw_merge_s=t_mp, pybw_merge_kib=m_mp)
    rows.append([f"merge, {n_merge} tracks", f"{t_mb:.2f} s, {m_mb / 1024:.0f} MiB",
                 f"{t_mp / t_mb:.1f}x pyBigWig values() + numpy per chromosome ({t_mp:.2f} s, {m_mp / 1024:.0f} MiB)",
                 f">= {TARGETS['merge']}x"])

    # -- from-bed: BED4 records to bigBed, against pybigtools' writer fed by a Python parse
    n_bed = 100_000 if a.quick else 1_000_000
    sizes, big_bed = work / "chrom.sizes", str(work / f"records_{n_bed}.bed")
    sizes.write_text("".join(f"{c}\t{size}\n" for c, size in chroms))
    regions(chroms, n_bed, big_bed, seed=1)
    t_fb, m_fb = timed_rss(bwl_cli + ["from-bed", big_bed, str(sizes), str(work / "bwl.bb"), "-q"])
    res.update(from_bed_s=t_fb, from_bed_kib=m_fb)
    side = "pybigtools missing"
    try:
        import pybigtools  # noqa: F401

        t_fp, m_fp = timed_rss([sys.executable, "-c", PYBT_FROM_BED, big_bed, str(sizes), str(work / "pybt.bb")])
        res.update(pybt_from_bed_s=t_fp, pybt_from_bed_kib=m_fp)
        side = f"{t_fp / t_fb:.1f}x pybigtools writer from a Python parse ({t_fp:.2f} s, {m_fp / 1024:.0f} MiB)"
    except ImportError:
        pass
    rows.append([f"from-bed, {n_bed:,} BED4 records", f"{t_fb:.2f} s, {m_fb / 1024:.0f} MiB", side, "-"])

    print(f"\naverage-over-bed: {n:,} sorted regions of 200 bp - 2 kb, tracks of {sum(s for _, s in chroms) / 1e6:.0f} Mb, "
          f"{os.cpu_count()} cores, bwl inflate {build['inflate']}")
    table = print_table(rows, ["case", "bwl", "side by side", "target"])
    path = write_json("tools", {"bench": "tools", "quick": a.quick, "regions": n, "bwl_build": build, "results": res,
                                "targets": TARGETS, "table": table,
                                "machine": machine_info(("bwl", "numpy", "pyBigWig"))})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
