"""Writes the hostile-file reproducers into tests/corpus/ (gzip) and
manifest.json. Run once when a bug is fixed; the committed bytes, not this
script, are the regression corpus (the builders may change, the files
don't). tests/test_hostile.py::test_corpus_replay replays every entry.

    python tests/make_corpus.py

(It sits in tests/, not in tests/corpus/, so that Python puts tests/ on
sys.path when it runs as a file, and ``support`` imports.)

To add a fuzz finding (bench/fuzz.py saves them as bench/results/fuzz/
crash-*, timeout-*, ...): gzip it into tests/corpus/ and add a manifest entry
by hand: file, found_by, ops (as in test_hostile's child), expect
("error" or "ok"), match (a substring of the FormatError), and for "ok"
entries the expected results.
"""
from __future__ import annotations

import gzip
import json
import struct
from pathlib import Path

from support.bbi import bedgraph_section, build_bbi, fixedstep_section
from support.hostile import (
    READ_ALL,
    chrom_tree_deep_chain,
    chrom_tree_fanout,
    leaves_sharing_an_offset,
    overlapping_items,
    rtree_branch,
    simple,
    with_block,
)

HERE = Path(__file__).resolve().parent / "corpus"


def rtree_leaves_spanning_chroms() -> bytes:
    sec = bedgraph_section(0, [(0, 10, 1.0)])
    return build_bbi([(f"c{i}", 1000) for i in range(3000)], [(0, 0, 0xFFFFFFFF, 0xFFFFFFFF, sec)] * 3000)[0]


def rtree_loop() -> bytes:
    data, off = simple()
    m = bytearray(data)
    m[off["indexNode"]:off["indexNode"] + 28] = rtree_branch([off["indexNode"]])
    return bytes(m)


def chrom_tree_loop() -> bytes:
    data, off = simple()
    m = bytearray(data)
    struct.pack_into("<BBH", m, off["chromNode"], 0, 0, 1)
    struct.pack_into("<Q", m, off["chromNode"] + 8, off["chromNode"])
    return bytes(m)


def chrom_name_not_utf8() -> bytes:
    data, off = simple()
    m = bytearray(data)
    m[off["chromNode"] + 4] = 0xFF  # first byte of the first key
    return bytes(m)


def zlib_bomb() -> bytes:
    sec = b"".join(fixedstep_section(0, k * 65535, 1, 1, [0.5] * 65535) for k in range(160))
    return with_block(sec, ubs=0xFFFFFFFF, chrom_size=160 * 65535)


def garbage_block_huge_declared_size() -> bytes:
    import numpy as np

    garbage = b"\x78\x9c" + bytes(np.random.default_rng(0).integers(0, 256, 256 * 1024, dtype=np.uint8))
    return with_block(b"", compressed_bytes=garbage, ubs=0xFFFFFFFF)


# file[#variant] -> (builder, ops, expect, match or expected results, what it
# once did[, peak RSS growth allowed in MiB (None: the default 64)[, found by]]);
# a file name without an extension gets ".bw"
CASES = {
    "overlapping_items": (lambda: overlapping_items(10), [["open"], ["values", "chr1", 0, 1_000_000]], "error", "overlap",
                          "65535 identical items per section: items x bases of work (minutes) before the overlap cap"),
    "overlapping_items#stats": (lambda: overlapping_items(10), [["open"], ["stats", "chr1", 0, 1_000_000, "mean", 10_000, True]],
                                "error", "overlap", "the same file through exact stats"),
    "overlapping_items#collection": (lambda: overlapping_items(10), [["open"], ["collection", "chr1", 0, 1_000_000, 2]], "error",
                                     "overlap", "the same file through the batched engine"),
    "rtree_leaves_spanning_chroms": (rtree_leaves_spanning_chroms, [["open"]], "error", "overlapping",
                                     "R-tree leaves spanning every chrom: 400 KB file -> 1 GB of memory"),
    "chrom_tree_fanout_overlapping": (lambda: chrom_tree_fanout(2**20, 16, 4), [["open"]], "error", "",
                                      "B+ tree branch nodes overlapping, 16-way, 4 deep: 16 MB file -> 16 s"),
    "chrom_tree_deep_overlapping": (chrom_tree_deep_chain, [["open"]], "error", "",
                                    "B+ tree chain of 64 overlapping nodes with huge counts: 1 GB of memory", 64 + 64),
    "rtree_loop": (rtree_loop, [["open"], ["values", "chr1", 0, 100]], "error", "twice", "an R-tree node that is its own child"),
    "chrom_tree_loop": (chrom_tree_loop, [["open"]], "error", "twice", "a B+ tree node that is its own child"),
    "chrom_name_not_utf8": (chrom_name_not_utf8, [["open"]], "error", "UTF-8",
                            "a chrom name that is not UTF-8: UnicodeDecodeError"),
    "zlib_bomb": (zlib_bomb, [["open"], ["values", "chr1", 160 * 65535 - 1000, 160 * 65535]], "ok", [1, [0, 500.0]],
                  "40 KiB block inflating to 40 MiB with uncompressBufSize 2^32-1: must read, in bounded memory", 64 + 41),
    "garbage_block_huge_declared_size": (garbage_block_huge_declared_size, [["open"], ["values", "chr1", 0, 1000]], "error",
                                         "compressed",
                                         "uncompressBufSize 2^32-1 and a garbage block: a zero-filled 4 GiB buffer"),
    "read_all_simple": (lambda: simple()[0], READ_ALL, "ok", None, "a valid file: the replay harness itself reads"),
    "bigbed_leaves_sharing_an_offset.bb": (
        lambda: leaves_sharing_an_offset(True),
        [["open"], ["entries", "chr1", 0, 1000], ["collection", "chr1", 0, 1000, 2, "coverage", {"decoded_cache": 1 << 20}],
         ["collection", "chr1", 0, 1000, 2, "coverage", {"decoded_cache": 1 << 22, "preload": True}]],
        "ok", [2, [24, 48], [0, 4 * 1200.0], [0, 4 * 1200.0]],
        "R-tree leaves naming one offset with different sizes: the decoded cache / preload gave one leaf the other's "
        "bytes", None, "bench/fuzz.py --format bigbed (issue 33)"),
    "bigwig_leaves_sharing_an_offset": (
        lambda: leaves_sharing_an_offset(False),
        [["open"], ["values", "chr1", 0, 1000], ["collection", "chr1", 0, 1000, 2, "coverage", {"decoded_cache": 1 << 20}],
         ["collection", "chr1", 0, 1000, 2, "coverage", {"decoded_cache": 1 << 22, "preload": True}]],
        "ok", [2, [920, 120.0], [4 * 920, 4 * 120.0], [4 * 920, 4 * 120.0]],
        "the same in a bigWig: the cached first part hid the second part's items", None,
        "bench/fuzz.py --format bigbed (issue 33)"),
}


def main() -> None:
    manifest = []
    for key, (build, ops, expect, match, why, *more) in CASES.items():
        name = key.split("#")[0]
        path = HERE / (f"{name}.gz" if "." in name else f"{name}.bw.gz")
        if "#" not in key:
            path.write_bytes(gzip.compress(build(), 9, mtime=0))
        rss_mb, found_by = (more + [None, None])[:2]
        entry = {"file": path.name, "found_by": found_by or "tests/test_hostile.py (issue 8)", "what": why, "ops": ops,
                 "expect": expect}
        if expect == "error":
            entry["match"] = match
        elif match is not None:
            entry["results"] = match
        if rss_mb:
            entry["rss_mb"] = rss_mb
        manifest.append(entry)
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(manifest)} entries in {HERE}")


if __name__ == "__main__":
    main()
