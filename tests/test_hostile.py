"""Hostile files (issue 8): no input file may crash the process, read or
write out of bounds, hang, or make bwl allocate memory out of proportion to
the file. Each hand-made file below must give ``bwl.FormatError`` naming the
file and the problem (or, where the file is odd but valid, correct values),
quickly and with little memory.

Each hostile read runs in a child process that reports its outcome, time
and peak RSS growth (VmHWM after - VmRSS before, via /proc): tracemalloc
cannot see C++ allocations, and a crash or hang must fail the test, not
kill pytest. Files are generated here (``bwl.write`` plus patches, or
``support.bbi.build_bbi`` for full control); no binary blobs.

Also here: edge values (NaN/inf, zero-length, 2^31..2^32-1 long, 10,000
chromosomes, 1 MiB names) compared with pyBigWig / pybigtools / pybbi, the
short deterministic fuzz run, and regression tests for what fuzzing found.
"""
from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

import bwl
from support.bbi import bed_records, bedgraph_section, build_bbi, fixedstep_section
from support.fuzz import SURFACES, fuzz_loop, run_one, seed_files
from support.hostile import (
    CHAIN_FILE_SIZE,
    READ_ALL,
    chrom_tree_deep_chain,
    chrom_tree_fanout,
    leaves_sharing_an_offset,
    overlapping_items,
    rtree_branch,
    save,
    simple,
    with_block,
)

# Under tests/sanitize.sh (ASan preloaded) everything is slower and RSS is
# ASan's: time limits grow, RSS limits are not checked.
SANITIZED = "asan" in os.environ.get("LD_PRELOAD", "")
# BWL_TEST_DEVICE=cuda (tests/gpu_run.sh) runs the Collection ops on the GPU;
# RSS is then the CUDA context's, not checked.
DEVICE = os.environ.get("BWL_TEST_DEVICE", "cpu")
TIME_LIMIT = 5.0 * (10 if SANITIZED else 1)   # seconds for one hostile file
RSS_LIMIT_MB = 64.0                          # peak RSS growth for one hostile file
CHILD_TIMEOUT = TIME_LIMIT + 10              # then the child is killed: a hang


def open_bug(reason: str, measured: bool = True):
    """An open bug found here: the test fails today (xfail, strict: once it
    passes, remove the marker). Time/RSS bugs (``measured``) are skipped
    under the sanitizer, where those limits are not meaningful."""
    def mark(fn):
        fn = pytest.mark.xfail(strict=True, reason="BUG: " + reason)(fn)
        if measured:
            fn = pytest.mark.skipif(SANITIZED, reason="time/RSS bug: not measured under ASan")(fn)
        return fn
    return mark

# ------------------------------------------------------------------ child process

_CHILD = textwrap.dedent(r'''
    import json, os, sys, time
    import numpy as np
    import bwl

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0  # MiB
        return 0.0

    path, ops = sys.argv[1], json.loads(sys.argv[2])
    try:
        open("/proc/self/clear_refs", "w").write("5")  # reset VmHWM to VmRSS
    except OSError:
        pass
    rss0 = status("VmRSS")
    t0 = time.perf_counter()
    out = {"results": []}
    f = None
    try:
        for op in ops:
            name, args = op[0], op[1:]
            if name == "open":
                f = bwl.open(path)
                r = len(f.chroms())
            elif name == "values":
                r = f.values(*args)
                r = [int(np.isnan(r).sum()), float(np.nansum(r.astype(np.float64)))]
            elif name == "intervals":
                r = len(f.intervals(*args)[0])
            elif name == "stats":
                r = [float(x) for x in f.stats(args[0], args[1], args[2], type=args[3], nBins=args[4], exact=args[5])]
            elif name == "read_all":  # every chrom, bounded (a bigBed: entries for values and intervals)
                r = 0
                for c, n in f.chroms().items():
                    n = min(n, args[0])
                    if n:
                        if f.is_bigbed:
                            r += len(f.entries(c, 0, n)[0])
                        else:
                            f.values(c, 0, n)
                            r += len(f.intervals(c, 0, n)[0])
                        f.stats(c, 0, n, nBins=min(n, 10))
                        f.stats(c, 0, n, type="std", nBins=min(n, 10), exact=True)
            elif name == "entries":  # [chrom, start, end]: count, characters of the rest strings
                s_, e_, rest = f.entries(*args)
                r = [len(s_), sum(len(x) for x in rest)]
            elif name == "sql":
                r = len(f.sql())
            elif name == "collection":  # [chrom, start, length, threads(, bigBed mode(, keywords))]: NaN count(, sum)
                kw = dict(mode=args[4], **(args[5] if len(args) > 5 else {})) if len(args) > 4 else \
                    {"device": os.environ.get("BWL_TEST_DEVICE", "cpu")}
                c = bwl.Collection([path, path], threads=args[3], **kw)
                v = c.values([args[0]] * 2, [args[1]] * 2, [args[1] + args[2]] * 2)
                r = int(np.isnan(v).sum()) if len(args) < 5 else [int(np.isnan(v).sum()), float(np.nansum(v.astype(np.float64)))]
            else:
                raise SystemExit("unknown op " + name)
            out["results"].append(r)
        out["kind"] = "ok"
    except bwl.FormatError as e:
        out.update(kind="error", type="FormatError", msg=str(e))
    except (ValueError, KeyError, OSError) as e:
        out.update(kind="error", type=type(e).__name__, msg=str(e))
    except BaseException as e:
        out.update(kind="wrong", type=type(e).__name__, msg=repr(e))
    out["seconds"] = time.perf_counter() - t0
    out["rss_mb"] = status("VmHWM") - rss0
    print("RESULT " + json.dumps(out), flush=True)
''')


def isolated(path: str, ops, timeout: float = CHILD_TIMEOUT) -> dict:
    """Runs ``ops`` on ``path`` in a child process. Returns its report, or
    kind "hang" (killed after ``timeout``) / "crash" (died)."""
    try:
        r = subprocess.run([sys.executable, "-c", _CHILD, path, json.dumps(ops)],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"kind": "hang", "msg": f"killed after {timeout:.0f} s", "seconds": timeout, "rss_mb": 0}
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"kind": "crash", "msg": f"exit {r.returncode}: {r.stderr[-3000:]}", "seconds": 0, "rss_mb": 0}


def check(path: str, ops, expect: str = "error", match: str = "", rss_mb: float = RSS_LIMIT_MB,
          seconds: float = TIME_LIMIT, timeout: float = CHILD_TIMEOUT) -> dict:
    """Asserts the outcome of ``ops`` on a hostile file: ``expect`` "error"
    (FormatError naming the file, message matching ``match``) or "ok";
    quick; small peak RSS growth. The child is killed after ``timeout``."""
    r = isolated(path, ops, timeout)
    where = f"{os.path.basename(path)}: {r.get('type', '')} {r.get('msg', '')}"[:2000]
    assert r["kind"] not in ("hang", "crash", "wrong"), f"{r['kind']}: {where}"
    if expect == "error":
        assert r["kind"] == "error" and r["type"] == "FormatError", f"expected FormatError, got {where}"
        assert path in r["msg"], f"error does not name the file: {r['msg']}"
        if match:
            assert match.lower() in r["msg"].lower(), f"expected {match!r} in: {r['msg']}"
    else:
        assert r["kind"] == "ok", where
    assert r["seconds"] < seconds, f"took {r['seconds']:.1f} s ({where})"
    if not SANITIZED and DEVICE == "cpu":
        assert r["rss_mb"] < rss_mb, f"peak RSS grew {r['rss_mb']:.0f} MiB for a {os.path.getsize(path)} byte file ({where})"
    return r


def test_simple_builder_is_valid(tmp_path):
    """The raw builder writes files bwl and pyBigWig read alike."""
    import pyBigWig

    for compress in (False, True):
        data, _ = simple(compress=compress)
        p = save(tmp_path, f"s{compress}.bw", data)
        r = check(p, [["open"], ["values", "chr1", 0, 50], ["intervals", "chr1", 0, 1000]], expect="ok")
        assert r["results"][1:] == [[30, 40.0], 2]
        with bwl.open(p) as f:
            want = np.array(pyBigWig.open(p).values("chr1", 0, 1000), np.float32)
            np.testing.assert_array_equal(f.values("chr1", 0, 1000), want)


# ------------------------------------------------------------------ header fields


@pytest.mark.parametrize("count", [2**32, 2**32 - 1, 2**63, 2**64 - 1])
def test_chrom_count_huge(tmp_path, count):
    data, _ = simple(chrom_item_count=count)
    check(save(tmp_path, "c.bw", data), [["open"]], match="chromosome tree")


@pytest.mark.parametrize("count", [3, 2**32, 2**64 - 1])
def test_rtree_item_count_huge(tmp_path, count):
    data, _ = simple(rtree_item_count=count)
    check(save(tmp_path, "r.bw", data), [["open"]], match="R-tree")


@pytest.mark.parametrize("field,fmt,value,match", [
    (4, "H", 0, "version"),
    (6, "H", 0xFFFF, "zoom"),                  # 65535 zoom headers past EOF
    (8, "Q", 2**64 - 1, "offset"),             # chromTreeOffset
    (16, "Q", 2**63, "offset"),                # fullDataOffset
    (24, "Q", 10**12, "offset"),               # fullIndexOffset
    (40, "Q", 2**64 - 8, "summary"),           # totalSummaryOffset
    (56, "Q", 2**64 - 1, "extension"),         # extensionOffset
])
def test_header_fields(tmp_path, field, fmt, value, match):
    data, _ = simple()
    m = bytearray(data)
    struct.pack_into("<" + fmt, m, field, value)
    check(save(tmp_path, "h.bw", bytes(m)), READ_ALL, match=match)


def test_section_count_field_unused(tmp_path):
    """The u64 section count at fullDataOffset claiming 2^64-1: nothing
    depends on it, the file reads normally."""
    data, off = simple()
    m = bytearray(data)
    struct.pack_into("<Q", m, off["data"], 2**64 - 1)
    r = check(save(tmp_path, "sc.bw", bytes(m)), [["open"], ["values", "chr1", 0, 50]], expect="ok")
    assert r["results"][1] == [30, 40.0]


@pytest.mark.parametrize("compress", [True, False])
def test_uncompress_buf_size_max_on_valid_file(tmp_path, compress):
    """uncompressBufSize = 2^32-1 on a valid file: same values, no 4 GiB buffer."""
    data, _ = simple(compress=compress, uncompress_buf_size=0xFFFFFFFF if compress else 0)
    r = check(save(tmp_path, "u.bw", data), [["open"], ["values", "chr1", 0, 50]], expect="ok")
    assert r["results"][1] == [30, 40.0]


# ------------------------------------------------------------------ trees


def _chrom_tree_nodes(data: bytes, off: dict, k: int, key_size: int):
    """Appends k chrom-tree branch nodes (count 1) chained at the end of the file."""
    m = bytearray(data)
    item = key_size + 8
    start = len(m)
    for i in range(k):
        node = start + i * (4 + item)
        child = node + 4 + item
        m += struct.pack("<BBH", 0, 0, 1) + b"k".ljust(key_size, b"\0") + struct.pack("<Q", child)
    # the last child: the original root (a leaf)
    struct.pack_into("<Q", m, start + (k - 1) * (4 + item) + 4 + key_size, off["chromNode"])
    return m, start


@pytest.mark.parametrize("kind", ["self", "dag", "deep", "count"])
def test_chrom_tree_shapes(tmp_path, kind):
    """Loops, a node reached twice, 100 levels, and a node count past EOF."""
    data, off = simple()
    ks = 4  # "chr1"
    m = bytearray(data)
    if kind == "self":
        struct.pack_into("<BBH", m, off["chromNode"], 0, 0, 1)
        struct.pack_into("<Q", m, off["chromNode"] + 4 + ks, off["chromNode"])
        match = "twice"
    elif kind == "dag":  # a new root whose two items both point at the leaf
        hdr = bytes(m[off["chromTree"]:off["chromTree"] + 32])
        newhdr = len(m)
        m += hdr + struct.pack("<BBH", 0, 0, 2) + (b"chr1" + struct.pack("<Q", off["chromNode"])) * 2
        struct.pack_into("<Q", m, 8, newhdr)
        match = "twice"
    elif kind == "deep":
        m, first = _chrom_tree_nodes(data, off, 100, ks)
        hdr = bytes(m[off["chromTree"]:off["chromTree"] + 32])
        newhdr = len(m)
        # root must follow its header: copy the header right before a branch that points at `first`
        m += hdr + struct.pack("<BBH", 0, 0, 1) + b"chr1" + struct.pack("<Q", first)
        struct.pack_into("<Q", m, 8, newhdr)
        match = "deeper"
    else:
        struct.pack_into("<H", m, off["chromNode"] + 2, 0xFFFF)
        match = "past the end"
    check(save(tmp_path, f"t_{kind}.bw", bytes(m)), [["open"]], match=match)


@pytest.mark.parametrize("kind", ["self", "dag", "deep", "count", "leaf_count_short"])
def test_rtree_shapes(tmp_path, kind):
    data, off = simple()
    m = bytearray(data)
    root = off["indexNode"]
    if kind == "self":
        m[root:root + 28] = rtree_branch([root])
        match = "twice"
    elif kind == "dag":  # a new root whose two items both point at the leaf
        hdr = bytes(m[off["index"]:off["index"] + 48])
        newidx = len(m)
        m += hdr + rtree_branch([root, root])
        struct.pack_into("<Q", m, 24, newidx)
        match = "twice"
    elif kind == "deep":
        hdr = bytes(m[off["index"]:off["index"] + 48])
        chain_start = len(m)
        node_size = 4 + 24
        for i in range(100):
            m += rtree_branch([chain_start + (i + 1) * node_size if i < 99 else root])
        newidx = len(m)
        m += hdr + rtree_branch([chain_start])
        struct.pack_into("<Q", m, 24, newidx)
        match = "deeper"
    elif kind == "count":
        struct.pack_into("<H", m, root + 2, 0xFFFF)
        match = "past the end"
    else:
        struct.pack_into("<Q", m, off["index"] + 8, 2)  # header says 2 blocks, the leaf has 1
        match = "header says"
    check(save(tmp_path, f"r_{kind}.bw", bytes(m)), [["open"], ["values", "chr1", 0, 100]], match=match)


@pytest.mark.parametrize("offset,size", [
    (None, 2**20),             # from a real block offset, 1 MiB past EOF
    (2**64 - 8, 16),           # offset + size overflows u64
    (None, 2**64 - 1),         # size overflows
    (2**40, 1),                # offset far past EOF
])
def test_block_past_eof(tmp_path, offset, size):
    data, off = simple(compress=True)
    m = bytearray(data)
    leaf = off["indexNode"] + 4
    o = off["blocks"][0][0] if offset is None else offset
    struct.pack_into("<QQ", m, leaf + 16, o, size)
    check(save(tmp_path, "b.bw", bytes(m)), READ_ALL, match="past the end")


# ------------------------------------------------------------------ blocks and zlib


def test_zlib_inflates_past_declared_size(tmp_path):
    sec = bedgraph_section(0, [(i, i + 1, float(i)) for i in range(500)])
    p = save(tmp_path, "z.bw", with_block(sec, ubs=100))
    check(p, READ_ALL, match="declared size")


@pytest.mark.parametrize("how", ["truncated", "garbage", "empty", "bad_checksum", "gzip_header"])
def test_zlib_corrupt_stream(tmp_path, how):
    sec = bedgraph_section(0, [(i, i + 1, float(i)) for i in range(500)])
    z = zlib.compress(sec)
    bad = {"truncated": z[: len(z) // 2],
           "garbage": bytes(np.random.default_rng(3).integers(0, 256, len(z), dtype=np.uint8)),
           "empty": b"",
           "bad_checksum": z[:-4] + bytes(b ^ 0xFF for b in z[-4:]),
           "gzip_header": b"\x1f\x8b\x08\x00" + z[2:]}[how]
    p = save(tmp_path, "z.bw", with_block(sec, compressed_bytes=bad))
    check(p, READ_ALL, match="compressed")


def test_zlib_bomb_within_declared_size(tmp_path):
    """A 40 KiB block inflating to 40 MiB of valid fixedStep sections with
    uncompressBufSize = 2^32-1: reads correctly, memory bounded by what the
    data really holds (deflate's ~1032:1 limit), not by the declared 4 GiB."""
    n_sec = 160
    sec = b"".join(fixedstep_section(0, k * 65535, 1, 1, [0.5] * 65535) for k in range(n_sec))
    size = n_sec * 65535
    p = save(tmp_path, "bomb.bw", with_block(sec, ubs=0xFFFFFFFF, chrom_size=size))
    assert os.path.getsize(p) < 200_000 and len(sec) > 40_000_000
    r = check(p, [["open"], ["values", "chr1", size - 1000, size]], expect="ok", rss_mb=RSS_LIMIT_MB + len(sec) / 2**20)
    assert r["results"][1] == [0, 500.0]


def test_garbage_block_huge_declared_size(tmp_path):
    garbage = b"\x78\x9c" + bytes(np.random.default_rng(0).integers(0, 256, 256 * 1024, dtype=np.uint8))
    p = save(tmp_path, "g.bw", with_block(b"", compressed_bytes=garbage, ubs=0xFFFFFFFF))
    check(p, [["open"], ["values", "chr1", 0, 1000]], match="compressed")


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("patch,match", [
    ((20, "B", 0), "section type"),
    ((20, "B", 255), "section type"),
    ((22, "H", 0xFFFF), "past the end"),   # itemCount past the block
])
def test_section_header(tmp_path, compress, patch, match):
    pos, fmt, value = patch
    sec = bytearray(bedgraph_section(0, [(10, 20, 1.5), (30, 40, 2.5)]))
    struct.pack_into("<" + fmt, sec, pos, value)
    data, _ = build_bbi([("chr1", 1000)], [(0, 0, 0, 1000, bytes(sec))], compress=compress)
    check(save(tmp_path, "s.bw", data), READ_ALL, match=match)


def test_section_items_outside_chrom(tmp_path):
    """Items past the chrom end, with end < start, or on another chrom id:
    no out-of-bounds write, only the bases inside the query are set."""
    items = [(990, 5000, 1.0), (50, 40, 2.0), (0xFFFFFFF0, 0xFFFFFFFF, 3.0), (5, 6, 4.0)]
    sec = bedgraph_section(0, items) + bedgraph_section(7, [(0, 1000, 9.0)])
    data, _ = build_bbi([("chr1", 1000)], [(0, 0, 0, 1000, sec)])
    p = save(tmp_path, "o.bw", data)
    r = check(p, [["open"], ["values", "chr1", 0, 1000], ["intervals", "chr1", 0, 1000],
                  ["collection", "chr1", 0, 1000, 2]], expect="ok")
    assert r["results"][1] == [1000 - 11, 14.0]  # bases 5 and 990..999
    with bwl.open(p) as f:
        v = f.values("chr1", 0, 1000)
        assert v[5] == 4.0 and np.all(v[990:] == 1.0) and np.isnan(v[:5]).all() and np.isnan(v[6:990]).all()


def test_fixedstep_huge_step_and_span(tmp_path):
    sec = fixedstep_section(0, 100, 0xFFFFFFFF, 0xFFFFFFFF, [1.0, 2.0, 3.0])
    data, _ = build_bbi([("chr1", 2**32 - 1)], [(0, 0, 0, 2**32 - 1, sec)])
    p = save(tmp_path, "f.bw", data)
    r = check(p, [["open"], ["values", "chr1", 0, 1000], ["values", "chr1", 2**32 - 1001, 2**32 - 1],
                  ["intervals", "chr1", 0, 2**32 - 1]], expect="ok")
    assert r["results"][1] == [100, 900.0]   # item 0 covers 100..end; items 1, 2 start past 2^32
    assert r["results"][2] == [0, 1000.0]


# ------------------------------------------------------------------ found by this file (open bugs)


@pytest.mark.parametrize("op", [["values", "chr1", 0, 1_000_000], ["stats", "chr1", 0, 1_000_000, "mean", 10_000, True],
                                ["collection", "chr1", 0, 1_000_000, 2]])
def test_overlapping_items_time(tmp_path, op):
    p = save(tmp_path, "ovl.bw", overlapping_items(10))
    assert os.path.getsize(p) < 20_000
    r = isolated(p, [["open"], op], timeout=TIME_LIMIT + 1)
    assert r["kind"] == "error" and "overlap" in r["msg"] and r["seconds"] < TIME_LIMIT, r


def test_rtree_leaves_spanning_all_chroms(tmp_path):
    n = 3000
    sec = bedgraph_section(0, [(0, 10, 1.0)])
    data, _ = build_bbi([(f"c{i}", 1000) for i in range(n)], [(0, 0, 0xFFFFFFFF, 0xFFFFFFFF, sec)] * n)
    p = save(tmp_path, "span.bw", data)
    assert os.path.getsize(p) < 300_000
    check(p, [["open"]], match="overlapping")


def test_chrom_tree_overlapping_nodes_time(tmp_path):
    p = save(tmp_path, "fan.bw", chrom_tree_fanout(2**20, 16, 4))
    check(p, [["open"]], timeout=TIME_LIMIT + 1)


def test_chrom_tree_deep_overlapping_nodes_memory(tmp_path):
    p = save(tmp_path, "chain.bw", chrom_tree_deep_chain())
    check(p, [["open"]], rss_mb=RSS_LIMIT_MB + 4 * CHAIN_FILE_SIZE / 2**20)


# ------------------------------------------------------------------ bigBed records and autoSql


def _bigbed(records: bytes, compress: bool = True, autosql=None, endian: str = "<") -> bytes:
    """A bigBed (chr1: 1000, chr2: 500) whose one block on chr1 holds ``records`` (raw bytes)."""
    return build_bbi([("chr1", 1000), ("chr2", 500)], [(0, 0, 0, 1000, records)], compress=compress, bigbed=True,
                     autosql=autosql, endian=endian)[0]


BED_OPS = [["open"], ["entries", "chr1", 0, 1000], ["stats", "chr1", 0, 1000, "max", 10, True],
           ["collection", "chr1", 0, 1000, 2, "coverage"], ["collection", "chr1", 0, 1000, 2, "mask"]]


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("case", ["rest_no_nul", "rest_not_utf8", "rest_1mib", "start_after_end", "chrom_id_out_of_range",
                                  "deep_coverage", "unsorted", "nul_inside_rest"])
def test_bigbed_hostile_records(tmp_path, case, compress):
    """Records a bigBed block may hold: a FormatError naming the file where
    the block cannot be cut into records, else every read agrees (entries,
    exact stats, Collection coverage and mask: two windows x two tracks),
    quickly, in little memory."""
    one = bed_records([(0, 100, 200, "a\t1")])
    nan = float("nan")
    bin1 = [nan, 1.0] + [nan] * 8  # exact max per 100 bases of one record over [100, 200)
    raw, expect, results = {
        "rest_no_nul": (one[:-1], "error", "runs past the end"),
        "rest_not_utf8": (struct.pack("<III", 0, 100, 200) + b"\xff\xfe\tname\0", "ok",
                          [[1, 7], bin1, [0, 400.0], [0, 400.0]]),  # two U+FFFD
        "rest_1mib": (bed_records([(0, 100, 200, "x" * 2**20)]), "ok", [[1, 2**20], bin1, [0, 400.0], [0, 400.0]]),
        "start_after_end": (bed_records([(0, 10, 20, ""), (0, 50, 40, "")]), "ok",  # listed, covers nothing
                            [[2, 0], [1.0] + [nan] * 9, [0, 40.0], [0, 40.0]]),
        "chrom_id_out_of_range": (bed_records([(0, 100, 200, ""), (7, 0, 1000, ""), (2**32 - 1, 0, 1000, "")]), "ok",
                                  [[1, 0], bin1, [0, 400.0], [0, 400.0]]),
        "deep_coverage": (bed_records([(0, 0, 1000, "")] * 65535), "ok",
                          [[65535, 0], [65535.0] * 10, [0, 4 * 65535 * 1000.0], [0, 4000.0]]),
        "unsorted": (bed_records([(0, 500, 600, "b"), (0, 100, 200, "a"), (0, 150, 550, "c")]), "ok",
                     [[3, 3], [nan, 2.0, 1.0, 1.0, 1.0, 2.0] + [nan] * 4, [0, 4 * 600.0], [0, 4 * 500.0]]),
        "nul_inside_rest": (one.replace(b"\t", b"\0"), "error", "runs past the end"),  # "1\0" parses as a record: too short
    }[case]
    p = save(tmp_path, f"{case}.bb", _bigbed(raw, compress))
    r = check(p, BED_OPS, expect=expect, match=results if expect == "error" else "",
              rss_mb=RSS_LIMIT_MB + (8 if case == "rest_1mib" else 0))
    if expect == "ok":
        got = r["results"][1:]
        got[1] = [None if np.isnan(x) else x for x in got[1]]
        want = [None if isinstance(x, float) and np.isnan(x) else x for x in results[1]]
        assert got == [results[0], want, results[2], results[3]], got


@pytest.mark.parametrize("case", ["no_nul", "no_nul_1mib", "not_utf8", "offset_past_end", "offset_in_block"])
def test_bigbed_autosql(tmp_path, case):
    """autoSql text that never ends (at the file's end, or not within the
    reader's 1 MiB), is not UTF-8, or whose offset points past the end or
    into a data block: sql() is a FormatError or the bytes as text; the
    records read as ever."""
    rec = bed_records([(0, 100, 200, "a")])
    data = bytearray(_bigbed(rec, autosql="table t\n(\n)\n"))
    h = dict(zip(("autoSqlOffset",), struct.unpack_from("<Q", data, 36)))
    expect, match, length = "ok", "", None
    if case == "no_nul":  # the text is the file's last bytes
        struct.pack_into("<Q", data, 36, len(data))
        data += b"table t (no end"
        expect, match = "error", "autoSql"
    elif case == "no_nul_1mib":
        struct.pack_into("<Q", data, 36, len(data))
        data += b"x" * (2**20 + 5) + b"\0"
        expect, match = "error", "autoSql"
    elif case == "not_utf8":
        data[h["autoSqlOffset"]:h["autoSqlOffset"] + 2] = b"\xff\xc3"
        length = len("\ufffd\ufffd" + "ble t\n(\n)\n")
    elif case == "offset_past_end":
        struct.pack_into("<Q", data, 36, 2**64 - 1)
        expect, match = "error", "autoSql"
    else:  # into the block: text up to the first NUL of the record
        struct.pack_into("<Q", data, 36, struct.unpack_from("<Q", data, 16)[0] + 8 + 12)
        length = 1
    p = save(tmp_path, f"sql_{case}.bb", bytes(data))
    check(p, [["open"], ["entries", "chr1", 0, 1000]], expect="ok")  # the records do not depend on it
    r = check(p, [["open"], ["sql"]], expect=expect, match=match)
    if length is not None:
        assert r["results"][1] == length


@pytest.mark.parametrize("kind", ["bigbed", "bigwig"])
def test_leaves_sharing_an_offset(tmp_path, kind):
    """Found by the bigBed fuzz target: two R-tree leaves naming one offset
    with different sizes. The decoded-block cache and preloaded tracks took
    a block to be its offset, so a Collection with ``decoded_cache`` (or
    ``preload``) gave the second leaf the first one's bytes: other values
    than bwl.open and a plain Collection, depending on what was read first.
    A block is now (offset, size) there too."""
    p = save(tmp_path, f"shared.{kind}", leaves_sharing_an_offset(kind == "bigbed"))
    with bwl.open(p) as f:
        if kind == "bigbed":
            s, e, rest = f.entries("chr1", 0, 1000)
            assert len(s) == 24 and rest[:8] == rest[8:16] == [f"a{i}" for i in range(8)]
            want = np.zeros(1000, np.float32)
            for a, b in zip(s.tolist(), e.tolist()):
                want[a:b] += 1
        else:
            want = f.values("chr1", 0, 1000)
            assert np.nansum(want) == 8 * 5 * 1.0 + 8 * 5 * 2.0
    for kw in (dict(), dict(decoded_cache=1 << 20), dict(decoded_cache=1 << 22, preload=True)):
        c = bwl.Collection([p], **kw)
        for _ in range(2):  # the second call reads the cache
            v = c.values(["chr1", "chr1"], [0, 0], [1000, 1000])
            for b in range(2):
                np.testing.assert_array_equal(v[b, 0], want, err_msg=str(kw))
    ops = [["open"], ["collection", "chr1", 0, 1000, 2, "coverage", {"decoded_cache": 1 << 20}],
           ["collection", "chr1", 0, 1000, 2, "coverage", {"decoded_cache": 1 << 22, "preload": True}]]
    r = check(p, ops, expect="ok")
    want_sum = 4 * float(np.nansum(want))  # 2 windows x 2 tracks
    assert r["results"][1:] == [[4 * int(np.isnan(want).sum()), want_sum]] * 2


@pytest.mark.parametrize("kind", ["bigwig", "bigbed"])
def test_pybigwig_header_non_finite_summary(tmp_path, kind):
    """Found by the bigBed fuzz target (a total summary of NaN / inf):
    bwl.pybigwig promises pyBigWig's errors, every failure a RuntimeError.
    (pyBigWig itself crashes on such a file.)"""
    import bwl.pybigwig as pbw

    if kind == "bigwig":
        data, _ = simple()
    else:
        data = _bigbed(bed_records([(0, 100, 200, "a")]))
    for field, value in ((8, float("nan")), (16, float("inf")), (24, -float("inf"))):
        m = bytearray(data)
        struct.pack_into("<d", m, struct.unpack_from("<Q", m, 44)[0] + field, value)
        p = save(tmp_path, f"nf{field}.{kind}", bytes(m))
        with pbw.open(p) as g:
            with pytest.raises(RuntimeError, match="NaN or inf"):
                g.header()


# ------------------------------------------------------------------ edge values


def _pybw_values(p, chrom, s, e):
    import pyBigWig

    with pyBigWig.open(p) as f:
        return np.array(f.values(chrom, s, e), np.float32)


def test_nan_inf_values(tmp_path):
    """NaN, +-inf, -0, denormals and float32 extremes stored in a file
    (pyBigWig writes NaN; bwl.write refuses NaN): values and intervals as
    pyBigWig reads them."""
    import pyBigWig

    vals = [float("nan"), float("inf"), float("-inf"), -0.0, 1e-45, 3.4028234663852886e38, -3.4028234663852886e38, 1.0]
    starts = [10 * i for i in range(len(vals))]
    p = str(tmp_path / "nan.bw")
    bw = pyBigWig.open(p, "w")
    bw.addHeader([("chr1", 1000)])
    bw.addEntries(["chr1"] * len(vals), starts, ends=[s + 5 for s in starts], values=vals)
    bw.close()
    with bwl.open(p) as f:
        got = f.values("chr1", 0, 100)
        np.testing.assert_array_equal(got, _pybw_values(p, "chr1", 0, 100))
        s, e, v = f.intervals("chr1")
        want = pyBigWig.open(p).intervals("chr1")
        assert [(int(a), int(b)) for a, b in zip(s, e)] == [(a, b) for a, b, _ in want]
        np.testing.assert_array_equal(v, np.array([x for *_, x in want], np.float32))
        assert np.signbit(v[3]) and v[4] == np.float32(1e-45)
        # stats never crash; max over the finite tail is exact
        assert f.stats("chr1", 70, 75, type="max", exact=True)[0] == 1.0
        for t in ("mean", "min", "max", "std", "sum", "cov"):
            f.stats("chr1", 0, 100, type=t, nBins=5, exact=True)
            f.stats("chr1", 0, 1000, type=t, nBins=2)
    # inf (no NaN) through bwl.write, both byte orders, read back exactly
    for endian in ("little", "big"):
        q = str(tmp_path / f"inf_{endian}.bw")
        bwl.write(q, {"chr1": 100}, {"chr1": ([0, 10, 20], [5, 15, 25], [np.inf, -np.inf, -0.0])}, endian=endian)
        with bwl.open(q) as f:
            v = f.values("chr1", 0, 25)
            assert np.all(v[:5] == np.inf) and np.all(v[10:15] == -np.inf) and np.all(np.signbit(v[20:25]))
            assert f.stats("chr1", 0, 25, type="max", exact=True)[0] == np.inf


def test_nan_items_collection_default(tmp_path):
    """A NaN item is no data (pyBigWig too cannot tell them apart): with
    default=0 every Collection path gives 0 there, per base and pooled."""
    import pyBigWig

    p = str(tmp_path / "nan.bw")
    bw = pyBigWig.open(p, "w")
    bw.addHeader([("chr1", 100)])
    bw.addEntries(["chr1", "chr1"], [0, 10], ends=[5, 15], values=[float("nan"), 1.0])
    bw.close()
    c = bwl.Collection([p])
    want = np.array([0.0] * 10 + [1.0] * 5 + [0.0] * 5, np.float32)
    for kw in (dict(), dict(dtype="float16"), dict(layout="BLT")):
        got = np.asarray(c.values(["chr1"], [0], [20], default=0.0, **kw), np.float32).reshape(-1)
        np.testing.assert_array_equal(got, want, err_msg=str(kw))
    pooled = np.asarray(c.values(["chr1"], [0], [20], default=0.0, window=5), np.float32).reshape(-1)
    np.testing.assert_array_equal(pooled, [0.0, 0.0, 1.0, 0.0])


def test_zero_length_chroms(tmp_path):
    import pyBigWig

    chroms = {"a0": 0, "b": 100, "c0": 0, "d": 50, "z0": 0}
    iv = {"b": ([0, 50], [10, 100], [1.0, 2.0]), "d": ([49], [50], [3.0])}
    for endian in ("little", "big"):
        p = str(tmp_path / f"zero_{endian}.bw")
        bwl.write(p, chroms, iv, endian=endian, block_size=2)
        with bwl.open(p) as f:
            assert f.chroms() == chroms
            assert f.values("d", 49, 50)[0] == 3.0 and f.values("b", 95, 100).tolist() == [2.0] * 5
            for fn in (lambda: f.values("a0", 0, 0), lambda: f.intervals("c0"), lambda: f.stats("z0")):
                with pytest.raises(ValueError, match=p):
                    fn()
        if endian == "little":
            assert pyBigWig.open(p).chroms() == chroms
        c = bwl.Collection([p, p])
        assert c.chroms() == chroms
        v = c.values(["b", "d"], [90, 40], [100, 50])
        assert v[0, 1, -1] == 2.0 and v[1, 0, -1] == 3.0
        with pytest.raises(ValueError):
            c.values(["a0"], [0], [1])


@pytest.mark.parametrize("endian", ["little", "big"])
def test_chroms_2_31_and_longer(tmp_path, endian):
    """Chromosomes of 2^31-1, 2^31, 2^31+5 and 2^32-1 (the format maximum)
    bases: data at the ends and across 2^31, read like pyBigWig (values),
    pybigtools (intervals; pyBigWig's wrap past 2^31) and pybbi (big-endian)."""
    S = 2**32 - 1
    chroms = {"m1": 2**31 - 1, "m2": 2**31, "m3": 2**31 + 5, "max": S}
    iv = {
        "m1": ([0, 2**31 - 4], [2, 2**31 - 1], [1.0, 2.0]),
        "m2": ([2**31 - 3], [2**31], [3.0]),
        "m3": ([2**31 - 2, 2**31 + 3], [2**31 + 1, 2**31 + 5], [4.0, 5.0]),
        "max": ([5, 2**31 - 1, 2**32 - 10], [6, 2**31 + 2, S], [6.0, 7.0, 8.0]),
    }
    p = str(tmp_path / f"long_{endian}.bw")
    bwl.write(p, chroms, iv, endian=endian)
    windows = [("m1", 2**31 - 10, 2**31 - 1), ("m2", 2**31 - 5, 2**31), ("m3", 2**31 - 4, 2**31 + 5),
               ("max", 2**31 - 3, 2**31 + 4), ("max", S - 12, S), ("max", 0, 10)]
    with bwl.open(p) as f:
        assert f.chroms() == chroms
        for c, s, e in windows:
            got = f.values(c, s, e)
            want = np.full(e - s, np.nan, np.float32)
            for a, b, v in zip(*iv[c]):
                lo, hi = max(a, s), min(b, e)
                if lo < hi:
                    want[lo - s:hi - s] = v
            np.testing.assert_array_equal(got, want, err_msg=f"{c}:{s}-{e}")
            if endian == "little":
                np.testing.assert_array_equal(got, _pybw_values(p, c, s, e))
            elif chroms[c] < 2**31:  # pybbi takes int32 positions and sizes
                import bbi

                np.testing.assert_array_equal(got, np.asarray(bbi.fetch(p, c, s, e, missing=np.nan), np.float32))
        for c in chroms:
            s, e, v = f.intervals(c)
            assert s.tolist() == list(iv[c][0]) and e.tolist() == list(iv[c][1]) and v.tolist() == list(iv[c][2])
        if endian == "little":
            import pybigtools

            with pybigtools.open(p) as g:
                for c in chroms:
                    assert [(a, b) for a, b, _ in g.records(c)] == list(zip(iv[c][0], iv[c][1]))
        assert f.stats("max", 0, S, type="sum", exact=True)[0] == 6.0 + 3 * 7.0 + 9 * 8.0
        assert f.stats("max", 0, S, type="max", nBins=4).tolist()[-1] == 8.0
    c = bwl.Collection([p])
    v = c.values(["max", "m3"], np.array([S - 12, 2**31 - 7], np.int64), np.array([S, 2**31 + 5], np.int64))
    assert v[0, 0, -1] == 8.0 and v[1, 0, 5:8].tolist() == [4.0, 4.0, 4.0] and v[1, 0, -2:].tolist() == [5.0, 5.0]


def test_ten_thousand_chroms(tmp_path):
    import pyBigWig

    n = 10_000
    names = sorted(f"chr{i}_random_{i * 7919 % 10007}" for i in range(n))
    chroms = {c: 1000 + i for i, c in enumerate(names)}
    iv = {c: ([i % 900], [i % 900 + 3], [float(i)]) for i, c in enumerate(names)}
    for endian in ("little", "big"):
        p = str(tmp_path / f"many_{endian}.bw")
        t = time.perf_counter()
        bwl.write(p, chroms, iv, endian=endian)
        with bwl.open(p) as f:
            assert f.chroms() == chroms
            for i in range(0, n, 97):
                c = names[i]
                v = f.values(c, 0, chroms[c])
                assert v[i % 900] == float(i) and np.count_nonzero(~np.isnan(v)) == 3
        assert time.perf_counter() - t < 30
        if endian == "little":
            g = pyBigWig.open(p)
            assert g.chroms() == chroms
            assert g.intervals(names[-1]) == ((9999 % 900, 9999 % 900 + 3, 9999.0),)
        else:
            import bbi

            with bbi.open(p) as g:
                assert dict(g.chromsizes) == chroms
        c = bwl.Collection([p])
        v = c.values(names[::1000], [0] * 10, [1000] * 10)
        assert v.shape == (10, 1, 1000)
        for k, i in enumerate(range(0, n, 1000)):
            assert v[k, 0, i % 900] == float(i)


def test_one_mib_chrom_name(tmp_path):
    """A 1 MiB name (the reader's key-size limit) next to short ones: read
    back as pyBigWig does; one byte more is refused by the writer (and a
    raw file with a larger key size is a FormatError)."""
    import pyBigWig

    big = "n" * 2**20
    chroms = {"a": 100, big: 200, "z": 50}
    iv = {big: ([10], [20], [1.5]), "z": ([0], [50], [2.5])}
    p = str(tmp_path / "name.bw")
    bwl.write(p, chroms, iv)
    with bwl.open(p) as f:
        assert f.chroms() == chroms
        np.testing.assert_array_equal(f.values(big, 0, 30), _pybw_values(p, big, 0, 30))
        assert f.values("z", 0, 50).tolist() == [2.5] * 50
    assert pyBigWig.open(p).chroms() == chroms
    with pytest.raises(ValueError):
        bwl.write(str(tmp_path / "too.bw"), {"n" * (2**20 + 1): 10}, {})
    data, _ = build_bbi([("x" * (2**20 + 1), 10)], [])
    check(save(tmp_path, "raw.bw", data), [["open"]], match="key size")


# ------------------------------------------------------------------ fuzzing


FUZZ_RUNS = 5000


def test_fuzz_short(tmp_path):
    """A bounded, deterministic fuzz run (structure-aware mutations of valid
    files of every type; fixed seed): only expected errors, each naming
    the file. bench/fuzz.py runs the coverage-guided (atheris) version."""
    seeds = [open(p, "rb").read() for p in seed_files(str(tmp_path / "seeds"), small=True).values()]
    t = time.perf_counter()
    counts = fuzz_loop(seeds, str(tmp_path / "input.bw"), runs=FUZZ_RUNS, seed=20240, slow_s=TIME_LIMIT)
    dt = time.perf_counter() - t
    assert counts["runs"] == FUZZ_RUNS and counts["finding"] == 0
    assert counts["ok"] > FUZZ_RUNS // 10 and counts["error"] > FUZZ_RUNS // 10, counts
    print(f"fuzz: {FUZZ_RUNS} runs in {dt:.1f} s: {counts}")


FUZZ_RUNS_BIGBED = 2000  # ~8 s on 2 cores (a bigBed input costs ~4 ms: three Collections, bwl.pybigwig)


def test_fuzz_short_bigbed(tmp_path):
    """As test_fuzz_short, on bigBed seeds (pybigtools-written and hand-built,
    both byte orders, zlib and raw): mutations of the bigBed's own parts
    (header fields, zoom levels, trees, autoSql, extension, records inside
    its blocks) and the generic ones; the target reads entries, autoSql,
    coverage stats, bwl.pybigwig and Collection coverage / mask, and
    cross-checks them against the entries."""
    seeds = [open(p, "rb").read() for p in seed_files(str(tmp_path / "seeds"), small=True, fmt="bigbed").values()]
    t = time.perf_counter()
    counts = fuzz_loop(seeds, str(tmp_path / "input.bb"), runs=FUZZ_RUNS_BIGBED, seed=33033, slow_s=TIME_LIMIT)
    dt = time.perf_counter() - t
    bed = counts["surfaces"]["bigbed"]
    assert counts["runs"] == FUZZ_RUNS_BIGBED and counts["finding"] == 0
    assert bed["runs"] > FUZZ_RUNS_BIGBED * 9 // 10, counts  # (a flipped magic makes a few inputs "bigWig")
    assert bed["ok"] > FUZZ_RUNS_BIGBED // 10 and bed["error"] > FUZZ_RUNS_BIGBED // 10, counts
    print(f"fuzz bigBed: {FUZZ_RUNS_BIGBED} runs in {dt:.1f} s: {counts}")


@pytest.mark.parametrize("fmt", SURFACES)
def test_fuzz_seeds_are_valid(tmp_path, fmt):
    """The seeds read without error (so mutations start from valid files),
    and the target reads bigBed seeds as bigBed."""
    for name, p in seed_files(str(tmp_path / "seeds"), small=True, fmt=fmt).items():
        with open(p, "rb") as fh:
            data = fh.read()
        assert run_one(data, str(tmp_path / "x.bw")) == "ok", name
        with bwl.open(p) as f:
            assert f.is_bigbed == (fmt == "bigbed"), name


CORPUS = Path(__file__).resolve().parent / "corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text())


@pytest.mark.parametrize("entry", MANIFEST, ids=[f"{e['file']}-{e['ops'][-1][0]}" for e in MANIFEST])
def test_corpus_replay(tmp_path, entry):
    """The regression corpus (tests/corpus, committed bytes): every input
    that once crashed, hung or blew memory gives its recorded outcome,
    quickly and in bounded memory."""
    p = save(tmp_path, entry["file"][:-3], gzip.decompress((CORPUS / entry["file"]).read_bytes()))
    r = check(p, entry["ops"], expect=entry["expect"], match=entry.get("match", ""),
              rss_mb=entry.get("rss_mb", RSS_LIMIT_MB))
    if "results" in entry:
        assert r["results"] == entry["results"], (entry["file"], r["results"])


