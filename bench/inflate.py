"""bwl's own CPU inflate against libdeflate and zlib, on real bigWig blocks.

Blocks come from two tracks: a pyBigWig-written bedGraph track (random
lengths, float values: mostly literals) and a coverage-like track written
by bwl.write (integer read depth in runs: long matches). Each decoder
inflates every block of a track, one core, best of ``--repeat`` passes:

* whole blocks: bwl (``_core.inflate_zlib``), libdeflate (the ``deflate``
  package), zlib (Python's ``zlib``), all called from the same Python loop;
  and bwl decoding two blocks in turn on one thread
  (``_core.inflate_zlib_pair``, as the batch engine pairs the block it
  reads now with the next), per block;
* prefixes, what a window needs when it ends inside a block: bwl stopping at
  25 / 50 / 75% of each block (``stop=``), zlib stopping there too
  (``decompressobj().decompress(data, max_length)``); libdeflate cannot
  stop, so its prefix costs a whole block.

Each output is dropped as soon as it is made, so every decoder writes into
memory the allocator just freed, as the batch engine inflates into buffers
it reuses (holding all outputs would time page faults of fresh memory,
the same for every decoder, as much as the decoders).

Prints one table (microseconds per block and MB/s of inflated output) and
writes bench/results/inflate.json.

    python bench/inflate.py [--quick] [--repeat N]
"""
from __future__ import annotations

import argparse
import os
import time
import zlib

import numpy as np
from collection import BlockIndex

from common import DATA_DIR, machine_info, print_table, require_peers, write_json
from support.tracks import make_track

FRACTIONS = (0.25, 0.5, 0.75)


def coverage_track(path: str, size: int, seed: int) -> None:
    """Read-depth-like bedGraph written by bwl.write: integer depths in runs
    of 20..400 bp, drifting up and down, zero stretches dropped."""
    import bwl

    rng = np.random.default_rng(seed)
    n = size // 100
    lengths = rng.integers(20, 400, n)
    starts = np.concatenate(([0], np.cumsum(lengths[:-1])))
    keep = starts + lengths <= size
    starts, lengths = starts[keep], lengths[keep]
    depth = np.maximum(0, np.round(np.cumsum(rng.normal(0, 2, len(starts))) % 60 - 10))
    nz = depth > 0
    bwl.write(path + ".tmp", {"chr1": size},
              {"chr1": (starts[nz], starts[nz] + lengths[nz], depth[nz].astype(np.float32))})
    os.replace(path + ".tmp", path)


def tracks(quick: bool) -> dict:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    size = 5_000_000 if quick else 40_000_000
    out = {}
    p = str(DATA_DIR / f"inflate_pybigwig_{size}.bw")
    if not os.path.exists(p):
        make_track(p, [("chr1", size)], seed=11)
    out["pyBigWig bedGraph"] = p
    p = str(DATA_DIR / f"inflate_coverage_{size * 4}.bw")
    if not os.path.exists(p):
        coverage_track(p, size * 4, seed=12)
    out["bwl.write coverage"] = p
    return out


def blocks_of(path: str):
    idx = BlockIndex(path)
    blobs = [bytes(idx.blob(i)) for i in range(len(idx.offset))]
    sizes = [len(zlib.decompress(b)) for b in blobs]
    return blobs, sizes, idx.ubuf


def best(fn, repeat: int) -> float:
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def measure(blobs, sizes, cap: int, repeat: int) -> dict:
    import deflate

    from bwl import _core

    n = len(blobs)
    stops = {f: [int(s * f) for s in sizes] for f in FRACTIONS}
    for b, s in zip(blobs[:20], sizes[:20]):  # same bytes from every decoder
        assert _core.inflate_zlib(b, cap) == deflate.zlib_decompress(b, cap) == zlib.decompress(b)
        k = s // 2
        assert _core.inflate_zlib(b, cap, k)[:k] == zlib.decompress(b)[:k]

    def zlib_prefix(stop):
        def run():
            for b, k in zip(blobs, stop):
                zlib.decompressobj().decompress(b, k)
        return run

    def own_prefix(stop):
        def run():
            for b, k in zip(blobs, stop):
                _core.inflate_zlib(b, cap, k)
        return run

    pairs = list(zip(blobs[0::2], blobs[1::2]))
    for x, y in pairs[:10]:
        assert _core.inflate_zlib_pair(x, y, cap) == (zlib.decompress(x), zlib.decompress(y))
    def whole(fn):
        def run():
            for b in blobs:
                fn(b)
        return run

    def whole_pairs():
        for x, y in pairs:
            _core.inflate_zlib_pair(x, y, cap)

    rows = {
        "bwl": {"whole": best(whole(lambda b: _core.inflate_zlib(b, cap)), repeat)},
        "bwl, 2 in turn": {"whole": best(whole_pairs, repeat) * n / (2 * len(pairs))},
        "libdeflate": {"whole": best(whole(lambda b: deflate.zlib_decompress(b, cap)), repeat)},
        "zlib": {"whole": best(whole(zlib.decompress), repeat)},
    }
    for f in FRACTIONS:
        rows["bwl"][f] = best(own_prefix(stops[f]), repeat)
        rows["zlib"][f] = best(zlib_prefix(stops[f]), repeat)
        rows["libdeflate"][f] = rows["libdeflate"]["whole"]  # it cannot stop early
    out_mb = sum(sizes) / 1e6
    return {name: {"us_per_block_whole": r["whole"] / n * 1e6,
                   "mb_per_s_whole": out_mb / r["whole"],
                   **{f"us_per_block_to_{int(f * 100)}pct": r[f] / n * 1e6 if f in r else None for f in FRACTIONS}}
            for name, r in rows.items()}


def main() -> None:
    require_peers("deflate")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small tracks")
    ap.add_argument("--repeat", type=int, default=5, help="passes per decoder; the best is reported")
    a = ap.parse_args()

    import bwl

    b = bwl.build_info()
    loop = bwl._core.build_info()['inflate_version'] if b['inflate'] == 'bwl' else 'n/a'
    print(f"bwl {b['version']}: own decoder's fast loop: {loop}"
          f" (bwl.open uses {b['inflate']}); one core\n")
    results, table = {}, []
    for label, path in tracks(a.quick).items():
        blobs, sizes, cap = blocks_of(path)
        r = measure(blobs, sizes, cap, a.repeat)
        results[label] = {"blocks": len(blobs), "mean_inflated_bytes": float(np.mean(sizes)),
                          "mean_compressed_bytes": float(np.mean([len(x) for x in blobs])), "decoders": r}
        lib = r["libdeflate"]["us_per_block_whole"]
        for name, m in r.items():
            table.append((label, name, m["us_per_block_whole"], m["mb_per_s_whole"],
                          *(m[f"us_per_block_to_{int(f * 100)}pct"] or "-" for f in FRACTIONS),
                          f"{lib / m['us_per_block_whole']:.2f}x"))
    print_table(table, ["track", "decoder", "us/block", "MB/s", "us to 25%", "us to 50%", "us to 75%",
                        "whole vs libdeflate"])
    path = write_json("inflate", {"machine": machine_info(("bwl", "numpy", "deflate")), "build": b,
                                  "repeat": a.repeat, "results": results})
    print(f"\n{path}")


if __name__ == "__main__":
    main()
