"""Soak: many Loader batches in one process; memory and descriptors must stay flat.

    python bench/soak.py [--batches 10000] [--tracks 24] [--batch-size 8] [--length 2000]
                         [--max-open-files 8] [--no-fasta] [--reuse-buffers] [--quick]

Runs ``--batches`` small batches (random windows, all tracks, one-hot
sequence) through ``bwl.Loader`` with prefetching, over several epochs, and
records at the start (after the first batch), every tenth and at the end:
RSS (VmRSS from /proc/self/status), the process's open descriptors
(/proc/self/fd), descriptors held by bwl, Python threads. A file-descriptor
limit below the track count (``--max-open-files``) makes every batch reopen
files. Prints a table, writes bench/results/soak.json; exits non-zero when
RSS grew by more than ``--max-growth-mb`` between the first and the last
tenth or descriptors / threads leaked.

Inputs (bwl-written tracks and a FASTA) are generated once into
bench/data/soak/. The run itself and its inputs are tests/support/soak.py;
tests/test_soak.py runs a short version.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from common import DATA_DIR, machine_info, print_table, write_json
from support.soak import make_inputs, open_fds, soak, summarize


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batches", type=int, default=10_000)
    ap.add_argument("--tracks", type=int, default=24)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--length", type=int, default=2000)
    ap.add_argument("--max-open-files", type=int, default=8, help="bwl descriptor limit (< tracks: files are reopened)")
    ap.add_argument("--no-fasta", action="store_true")
    ap.add_argument("--reuse-buffers", action="store_true")
    ap.add_argument("--max-growth-mb", type=float, default=50.0)
    ap.add_argument("--quick", action="store_true", help="1,000 batches")
    a = ap.parse_args(argv)
    if a.quick:
        a.batches = 1000
    paths, fa = make_inputs(str(DATA_DIR / "soak"), a.tracks, fasta=not a.no_fasta)
    fds_before = open_fds()
    rows = soak(paths, fa, a.batches, a.batch_size, a.length, max_open_files=a.max_open_files,
                reuse_buffers=a.reuse_buffers, verbose=False)
    print(f"soak: {a.batches} batches of B={a.batch_size} x T={a.tracks} x L={a.length}"
          f" (+ one-hot sequence: {fa is not None}), bwl fd limit {a.max_open_files}")
    print_table([[r["batch"], r["seconds"], r["rss_mb"], r["fds"], r["bwl_fds"], r["threads"]] for r in rows],
                ["batch", "seconds", "RSS MiB", "open fds", "bwl fds", "threads"])
    s = summarize(rows)
    s["fds_before_loader"] = fds_before
    print(f"RSS start {s['rss_start_mb']} MiB, middle {s['rss_middle_mb']} MiB, end {s['rss_end_mb']} MiB "
          f"(growth after the first tenth {s['rss_growth_after_tenth_mb']} MiB); fds {s['fds_start']} -> {s['fds_end']}; "
          f"{s['batches_per_s']} batches/s")
    out = write_json("soak", dict(params=vars(a), rows=rows, summary=s, machine=machine_info()))
    print(f"wrote {out}")
    ok = s["rss_growth_after_tenth_mb"] < a.max_growth_mb and s["fds_end"] <= s["fds_start"] \
        and s["threads_end"] <= s["threads_start"]
    if not ok:
        print("FAIL: memory, descriptors or threads grew", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
