"""Remote tracks: batches from a loopback HTTP server with added latency,
against the same batches read locally (issue 15).

The server (tests/support/http_server.py, its own process) waits
``--latency`` seconds before answering each request, as a distant server
would. For each scenario and reader the table gives, per batch: wall
time, requests, MiB fetched, MiB of compressed blocks the windows need,
and the latency bound: ceil(requests / concurrency) x latency, what those
requests cost if they only paid their round trips.

Scenarios (B windows of L bases over T tracks, new windows every batch):
``random`` windows anywhere in the genome (a request per block, at best);
``tiled`` consecutive windows along one chromosome (blocks coalesce).

Readers: bwl.Collection local; bwl.Collection over http, cold (new
windows; the header and indexes fetched at open are not counted) and warm
(the same windows again: the shared cache of fetched ranges); pybigtools
over http (``values`` per window and track, as its users write it; timed
on the first ``--peer-windows`` windows and scaled to B); pyBigWig over
http when its build has libcurl (``pyBigWig.remote``).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import numpy as np
from collection import BlockIndex, tracks

from common import TESTS_DIR, machine_info, print_table, require_peers, write_json

SERVER = TESTS_DIR / "support" / "http_server.py"


class Server:
    """tests/support/http_server.py in its own process, so its work does not share our GIL."""

    def __init__(self, root: str, latency: float) -> None:
        self.p = subprocess.Popen([sys.executable, str(SERVER), root, str(latency)], stdout=subprocess.PIPE, text=True)
        self.base = self.p.stdout.readline().strip()

    def stats(self) -> tuple[int, int]:
        with urllib.request.urlopen(self.base + "__stats") as r:
            d = json.loads(r.read())
        return d["requests"], d["bytes"]

    def close(self) -> None:
        self.p.kill()
        self.p.wait()


def windows(kind: str, chroms, B: int, L: int, rng):
    if kind == "random":
        names = [c for c, _ in chroms]
        sizes = dict(chroms)
        cs = [names[i] for i in rng.integers(0, len(names), B)]
        starts = np.array([rng.integers(0, sizes[c] - L) for c in cs])
    else:
        c, size = chroms[0]
        s0 = int(rng.integers(0, size - B * L))
        cs, starts = [c] * B, s0 + np.arange(B) * L
    return cs, starts, starts + L


def main() -> None:
    require_peers("pyBigWig", "pybigtools")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="20 Mb tracks (bench/data/collection_quick)")
    ap.add_argument("--latency", type=float, default=0.02, help="seconds the server waits per request (default 0.02)")
    ap.add_argument("--tracks", type=int, default=8)
    ap.add_argument("--batch", type=int, default=64, help="windows per batch (B)")
    ap.add_argument("--length", type=int, default=1000, help="window length (L)")
    ap.add_argument("--batches", type=int, default=3, help="timed batches per scenario")
    ap.add_argument("--peer-windows", type=int, default=4, help="windows timed for the peers (scaled to B)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # pybigtools' NaN default notice

    import pybigtools
    import pyBigWig

    import bwl

    all_paths, chroms = tracks("quick" if a.quick else "default")
    base = Path(all_paths[0]).parent
    paths = all_paths[: a.tracks]
    indexes = [BlockIndex(p) for p in paths]
    opts = bwl.RemoteOptions()
    build = bwl.build_info()
    print(f"bwl {build['version']}, inflate {build['inflate']} {build['inflate_version']}; "
          f"{a.tracks} tracks, B={a.batch}, L={a.length}, latency {a.latency * 1e3:g} ms per request, "
          f"concurrency {opts.concurrency}", flush=True)

    srv = Server(str(base), a.latency)
    rows, out = [], []
    try:
        urls = [srv.base + os.path.basename(p) for p in paths]
        local = bwl.Collection(paths)
        r0, _ = srv.stats()
        t0 = time.perf_counter()
        remote = bwl.Collection(urls)
        open_s = time.perf_counter() - t0
        open_req = srv.stats()[0] - r0
        print(f"opening {a.tracks} remote tracks: {open_s:.2f} s, {open_req} requests", flush=True)
        rng = np.random.default_rng(a.seed)
        for kind in ("random", "tiled"):
            m = {k: [] for k in ("local", "cold", "warm", "req", "fetched", "needed", "req_warm")}
            for _ in range(a.batches):
                cs, st, en = windows(kind, chroms, a.batch, a.length, rng)
                t0 = time.perf_counter()
                ref = local.values(cs, st, en)
                m["local"].append(time.perf_counter() - t0)
                r0, b0 = srv.stats()
                t0 = time.perf_counter()
                got = remote.values(cs, st, en)
                m["cold"].append(time.perf_counter() - t0)
                r1, b1 = srv.stats()
                assert np.array_equal(got, ref, equal_nan=True), "remote batch differs from the local one"
                t0 = time.perf_counter()
                remote.values(cs, st, en)
                m["warm"].append(time.perf_counter() - t0)
                m["req_warm"].append(srv.stats()[0] - r1)
                m["req"].append(r1 - r0)
                m["fetched"].append(b1 - b0)
                m["needed"].append(sum(int(ix.size[list(ix.blocks(cs, st, en))].sum()) for ix in indexes))
            med = {k: float(np.median(v)) for k, v in m.items()}
            bound = math.ceil(med["req"] / opts.concurrency) * a.latency

            # peers: values per window and track, on the first few windows
            n = min(a.peer_windows, a.batch)
            peers = {}
            handles = [pybigtools.open(u) for u in urls]
            r0, b0 = srv.stats()
            t0 = time.perf_counter()
            for c, s, e in zip(cs[:n], st[:n], en[:n]):
                for h in handles:
                    h.values(c, int(s), int(e))
            scale = a.batch / n
            r1, b1 = srv.stats()
            peers["pybigtools"] = ((time.perf_counter() - t0) * scale, (r1 - r0) * scale, (b1 - b0) * scale)
            for h in handles:
                h.close()
            if pyBigWig.remote:
                hs = [pyBigWig.open(u) for u in urls]
                r0, b0 = srv.stats()
                t0 = time.perf_counter()
                for c, s, e in zip(cs[:n], st[:n], en[:n]):
                    for h in hs:
                        h.values(c, int(s), int(e), numpy=True)
                r1, b1 = srv.stats()
                peers["pyBigWig"] = ((time.perf_counter() - t0) * scale, (r1 - r0) * scale, (b1 - b0) * scale)

            mib = 2 ** 20
            rows.append([kind, "bwl local", med["local"], "-", "-", med["needed"] / mib, "-", 1.0])
            rows.append([kind, "bwl http, cold", med["cold"], med["req"], med["fetched"] / mib, med["needed"] / mib,
                         bound, med["cold"] / med["local"]])
            rows.append([kind, "bwl http, warm", med["warm"], med["req_warm"], 0.0, 0.0, 0.0, med["warm"] / med["local"]])
            for name, (t, req, byt) in peers.items():
                rows.append([kind, f"{name} http (scaled from {n} windows)", t, req, byt / mib, med["needed"] / mib,
                             math.ceil(req) * a.latency, t / med["local"]])
            if not pyBigWig.remote:
                rows.append([kind, "pyBigWig http", "n/a: this pyBigWig was built without libcurl (remote=0)",
                             "-", "-", "-", "-", "-"])
            out.append({"scenario": kind, "median": med, "latency_bound_s": bound, "peers": peers,
                        "batches": {k: v for k, v in m.items()}})
    finally:
        srv.close()

    table = print_table(rows, ["scenario", "reader", "s/batch", "requests", "MiB fetched", "MiB needed",
                               "latency bound s", "x local time"])
    path = write_json("remote", {
        "params": vars(a), "bwl_build": build, "open_s": open_s, "open_requests": open_req,
        "concurrency": opts.concurrency, "results": out, "table": table, "machine": machine_info()})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
