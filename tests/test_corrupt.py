"""Corrupt and truncated files: bwl raises bwl.FormatError naming the file,
never crashes, never returns silently wrong values where the damage is
detectable.

Structures are located from bwl's header() and walked with the pure-Python
parser in support/bbi.py (layouts: csrc/include/bwl/detail/format.hpp, UCSC bbiFile.h).
"""
from __future__ import annotations

import os
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import bwl
from support.bbi import CHROM_TREE_HEADER_SIZE, Node, chrom_tree, chrom_tree_header, rtree
from support.hostile import save
from support.oracles import dense

# Files mutated here (support/tracks.py): pyBigWig's compressed little-endian
# file, bwl's big-endian compressed one (multi-level trees), and bwl's
# big-endian uncompressed one (no checksum on the data at all).
TARGETS = ("pybw_bedGraph", "bwl_fixedStep_big_zlib", "bwl_variableStep_big_raw")


# ------------------------------------------------------------ helpers


MAX_READ = 1_000_000  # a corrupt chrom size can claim 4 Gbases; read at most this much


def read_all(path: str):
    """Everything the data part of a file yields: chroms, and per chrom
    values and intervals of the whole chromosome (up to MAX_READ bases)."""
    with bwl.open(path) as f:
        chroms = f.chroms()
        vals, ivs = {}, {}
        for c, n in chroms.items():
            n = min(n, MAX_READ)
            if n == 0:
                continue
            vals[c] = f.values(c, 0, n)
            ivs[c] = f.intervals(c, 0, n)
    return chroms, vals, ivs


def read_zoom(path: str):
    with bwl.open(path) as f:
        return {c: f.stats(c, 0, n, type="max", nBins=min(n, 4)) for c, n in f.chroms().items() if n}


def same(a, b) -> bool:
    """Results of read_all / read_zoom are identical (NaN == NaN)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    return a == b


def outcome(fn, path):
    """("error", message) for a FormatError naming the file, ("ok", result)
    on success, ("wrong", description) for any other exception or a
    FormatError without the file name."""
    try:
        return "ok", fn(path)
    except bwl.FormatError as e:
        if path not in str(e):
            return "wrong", f"FormatError without the file name: {e}"
        return "error", str(e)
    except Exception as e:  # noqa: BLE001 - reported by the caller
        return "wrong", f"{type(e).__name__}: {e}"


def endian_of(h) -> str:
    return "<" if h["byteOrder"] == "little" else ">"


def header_of(path):
    with bwl.open(path) as f:
        return f.header()


def rtree_layout(data: bytes, index_offset: int, e: str):
    """Walks an R-tree. Returns (strict, bounds, leaves, leaf_nodes): byte
    positions whose change a reader can detect (node headers, child/block
    offsets and sizes), positions of leaf bounds (a change can only misplace
    a block, which no reader can detect), leaf items (pos, sc, sb, ec, eb,
    off, size), and (offset, count) of each leaf node."""
    strict, bounds, leaves, leaf_nodes = [], [], [], []
    for x in rtree(data, index_offset, e):
        if isinstance(x, Node):
            if x.is_leaf:
                leaf_nodes.append((x.offset, x.count))
            strict.extend([x.offset, x.offset + 2, x.offset + 3])
        elif x.is_leaf:
            leaves.append((x.pos, x.sc, x.sb, x.ec, x.eb, x.offset, x.size))
            bounds.extend(range(x.pos, x.pos + 16))
            strict.extend(range(x.pos + 16, x.pos + 32))
        else:
            strict.extend(range(x.pos + 16, x.pos + 24))  # branch bounds are ignored by bwl
    return strict, bounds, leaves, leaf_nodes


def chrom_tree_layout(data: bytes, tree_offset: int, e: str):
    """Walks the chromosome B+ tree. Returns (strict, items, root): positions of
    header and node-header fields and child offsets, positions of leaf items
    (name, id, size: a change gives a different but valid file), and the
    root node's offset."""
    key_size = chrom_tree_header(data, tree_offset, e)["keySize"]
    strict = list(range(tree_offset, tree_offset + 4)) + list(range(tree_offset + 8, tree_offset + 24))
    items = []
    for x in chrom_tree(data, tree_offset, e):
        if isinstance(x, Node):
            strict.extend([x.offset, x.offset + 2, x.offset + 3])
        elif x.is_leaf:
            items.extend(range(x.pos, x.pos + key_size + 8))
        else:
            strict.extend(range(x.pos + key_size, x.pos + key_size + 8))
    return strict, items, tree_offset + CHROM_TREE_HEADER_SIZE, key_size


@pytest.fixture(scope="module")
def originals(bw_files):
    """name -> (path, bytes, header, read_all result, read_zoom result)"""
    out = {}
    for name in TARGETS:
        p = bw_files[name].path
        with open(p, "rb") as fh:
            data = fh.read()
        out[name] = (p, data, header_of(p), read_all(p), read_zoom(p))
    return out


# ------------------------------------------------------------ truncation


@pytest.mark.parametrize("name", TARGETS)
def test_truncated(name, originals, tmp_path):
    """Every prefix of the file: FormatError, or (the cut removed only bytes
    that the call doesn't need) exactly the original results."""
    path, data, h, want, want_zoom = originals[name]
    n = len(data)
    cuts = sorted(set(range(0, 101)) | {n * k // 50 for k in range(50)} | {n - 1})
    errors = 0
    for cut in cuts:
        p = save(tmp_path, f"cut{cut}.bw", data[:cut])
        kind, got = outcome(read_all, p)
        assert kind != "wrong", f"{name} cut at {cut}: {got}"
        if kind == "ok":
            assert same(got, want), f"{name} cut at {cut}: values differ from the original"
        else:
            errors += 1
        kind, got = outcome(read_zoom, p)
        assert kind != "wrong", f"{name} cut at {cut}: {got}"
        if kind == "ok":
            assert same(got, want_zoom), f"{name} cut at {cut}: zoom stats differ from the original"
        os.unlink(p)
    # Cuts before the index's end remove blocks; they must all have failed.
    assert errors >= sum(1 for c in cuts if c < h["fullIndexOffset"])


# ------------------------------------------------------------ byte flips


def _flip_sets(data: bytes, h: dict, rng):
    """Named sets of positions: (region, strict, positions). strict=True:
    the change must raise FormatError or leave values/intervals unchanged."""
    e = endian_of(h)
    n = len(data)
    zoom_start = min([z["dataOffset"] for z in h["zoomLevels"]], default=n)
    rt_strict, rt_bounds, leaves, _ = rtree_layout(data, h["fullIndexOffset"], e)
    ct_strict, ct_items, _, _ = chrom_tree_layout(data, h["chromTreeOffset"], e)
    block_bytes = np.concatenate([np.arange(o, o + s) for *_, o, s in leaves])

    def pick(pos, k):
        pos = np.asarray(pos)
        return sorted(int(x) for x in rng.choice(pos, min(k, len(pos)), replace=False))

    sets = [
        ("header", True, list(range(0, 64))),  # every byte
        ("zoom headers", True, pick(range(64, 64 + 24 * h["nLevels"]), 24)),
        ("total summary", True, pick(range(h["totalSummaryOffset"], h["totalSummaryOffset"] + 40), 10)),
        ("chrom tree structure", True, pick(ct_strict, 40)),
        ("chrom tree items", False, pick(ct_items, 20)),
        ("R-tree header", True, pick(range(h["fullIndexOffset"], h["fullIndexOffset"] + 48), 48)),
        ("R-tree structure", True, pick(rt_strict, 60)),
        ("R-tree leaf bounds", False, pick(rt_bounds, 20)),
        ("data blocks", h["compressed"], pick(block_bytes, 80)),
        ("zoom data and index", True, pick(range(zoom_start, n), 30) if zoom_start < n else []),
    ]
    return sets


@pytest.mark.parametrize("name", TARGETS)
def test_byte_flips(name, originals, tmp_path):
    path, data, h, want, want_zoom = originals[name]
    rng = np.random.default_rng(2024)
    bad = []
    counts = {}
    for region, strict, positions in _flip_sets(data, h, rng):
        for pos in positions:
            x = int(rng.integers(1, 256))
            mutated = bytearray(data)
            mutated[pos] ^= x
            p = save(tmp_path, "m.bw", bytes(mutated))
            kind, got = outcome(read_all, p)
            counts[region, kind] = counts.get((region, kind), 0) + 1
            if kind == "wrong":
                bad.append(f"{region}: byte {pos} ^= {x:#04x}: {got}")
            elif kind == "ok":
                if strict and not same(got, want):
                    bad.append(f"{region}: byte {pos} ^= {x:#04x} changed values/intervals without an error")
                # whatever happened, results keep their shapes and types
                chroms, vals, ivs = got
                for c, v in vals.items():
                    assert v.dtype == np.float32 and v.shape == (min(chroms[c], MAX_READ),)
                    s, en, val = ivs[c]
                    assert s.dtype == en.dtype == np.uint32 and val.dtype == np.float32
                    assert len(s) == len(en) == len(val)
            kind, got = outcome(read_zoom, p)  # no crash, only FormatError
            if kind == "wrong":
                bad.append(f"{region}: byte {pos} ^= {x:#04x}: zoom stats: {got}")
    assert not bad, f"{name}: {len(bad)} mishandled corruptions:\n" + "\n".join(bad[:30])
    # the mutations did reach the parser: many were detected
    assert sum(v for (r, k), v in counts.items() if k == "error") > 50, counts


def test_flips_subprocess_smoke(bw_files, tmp_path):
    """Many random multi-byte corruptions read in a child process: it must
    exit normally (a crash shows up as a signal / negative return code)."""
    script = textwrap.dedent(
        """
        import sys, numpy as np, bwl
        src, dst = sys.argv[1], sys.argv[2]
        data = open(src, "rb").read()
        rng = np.random.default_rng(99)
        errors = 0
        for it in range(300):
            m = bytearray(data)
            for pos in rng.integers(0, len(m), int(rng.integers(1, 8))):
                m[pos] ^= int(rng.integers(1, 256))
            if it % 3 == 0:
                m = m[: int(rng.integers(0, len(m)))]
            open(dst, "wb").write(bytes(m))
            try:
                with bwl.open(dst) as f:
                    for c, n in f.chroms().items():
                        n = min(n, 1_000_000)
                        if n:
                            f.values(c, 0, n)
                            f.intervals(c)
                            f.stats(c, 0, n, nBins=min(n, 3))
                            f.stats(c, 0, n, type="std", exact=True)
            except bwl.FormatError:
                errors += 1
        print("errors", errors)
        """
    )
    for name in ("pybw_variableStep", "bwl_bedGraph_big_zlib"):
        r = subprocess.run([sys.executable, "-c", script, bw_files[name].path, str(tmp_path / "s.bw")],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"{name}: exit {r.returncode}\n{r.stderr[-3000:]}"
        assert int(r.stdout.split()[-1]) > 100


# ------------------------------------------------------------ not a bigWig


@pytest.mark.parametrize("content", [
    b"",
    b"track type=bedGraph\nchr1\t0\t10\t1.5\n" * 10,
    b"\x00" * 200,
    struct.pack("<I", 0x8789F2EB) + b"\x00" * 200,  # bigBed magic
    struct.pack(">I", 0x8789F2EB) + b"\x00" * 200,  # bigBed, big-endian
    struct.pack("<I", 0x888FFC26) + b"\x00" * 20,    # bigWig magic, then nothing
    bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8)),
], ids=["empty", "text", "zeros", "bigbed", "bigbed-be", "short", "random"])
def test_not_a_bigwig(tmp_path, content):
    p = save(tmp_path, "x.bw", content)
    with pytest.raises(bwl.FormatError) as ei:
        bwl.open(p)
    assert p in str(ei.value)
    assert isinstance(ei.value, RuntimeError)


def test_bigbed_named(tmp_path):
    p = save(tmp_path, "x.bb", struct.pack("<I", 0x8789F2EB) + b"\x00" * 200)
    with pytest.raises(bwl.FormatError, match="(?i)bigbed"):
        bwl.open(p)


def test_header_says_valid_but_offsets_zero(tmp_path, bw_files):
    data = bytearray(open(bw_files["pybw_bedGraph"].path, "rb").read())
    for field in (8, 16, 24):  # chromTree, fullData, fullIndex offsets
        m = bytearray(data)
        m[field:field + 8] = struct.pack("<Q", 0)
        p = save(tmp_path, f"o{field}.bw", bytes(m))
        with pytest.raises(bwl.FormatError, match=str(tmp_path)):
            read_all(p)
        m[field:field + 8] = struct.pack("<Q", 2**63 + 5)
        p = save(tmp_path, f"o{field}b.bw", bytes(m))
        with pytest.raises(bwl.FormatError, match=str(tmp_path)):
            read_all(p)


# ------------------------------------------------------------ targeted damage


def _load(bw_files, name):
    p = bw_files[name].path
    data = open(p, "rb").read()
    return p, bytearray(data), header_of(p)


@pytest.mark.parametrize("name", ["pybw_bedGraph", "bwl_bedGraph_big_zlib"])
def test_garbage_block(name, bw_files, tmp_path):
    """One zlib block replaced by garbage: reading it fails, other regions read fine."""
    p0, data, h = _load(bw_files, name)
    e = endian_of(h)
    _, _, leaves, _ = rtree_layout(bytes(data), h["fullIndexOffset"], e)
    chr1_id = 0  # "chr1" is the bytewise-first name
    blocks = [lf for lf in leaves if lf[1] == chr1_id and lf[3] == chr1_id]
    target = blocks[len(blocks) // 2]
    _, _, sb, _, eb, off, size = target
    data[off:off + size] = bytes(np.random.default_rng(5).integers(0, 256, size, dtype=np.uint8))
    p = save(tmp_path, "g.bw", bytes(data))
    truth = bw_files[name].truth
    with bwl.open(p) as f:
        with pytest.raises(bwl.FormatError) as ei:
            f.values("chr1", sb, eb)
        assert p in str(ei.value)
        with pytest.raises(bwl.FormatError):
            f.intervals("chr1", sb, eb)
        with pytest.raises(bwl.FormatError):
            f.stats("chr1", sb, eb, exact=True)
        # other blocks and chroms are unharmed
        first = blocks[0]
        if first is not target:
            np.testing.assert_array_equal(f.values("chr1", first[2], first[4]), dense(truth, "chr1", first[2], first[4]))
        np.testing.assert_array_equal(f.values("chr10", 0, 6000), dense(truth, "chr10", 0, 6000))


@pytest.mark.parametrize("name", ["pybw_bedGraph", "bwl_bedGraph_big_zlib"])
def test_uncompress_buf_too_small(name, bw_files, tmp_path):
    """A block inflating to more than uncompressBufSize is an error, not an overflow."""
    _, data, h = _load(bw_files, name)
    e = endian_of(h)
    assert struct.unpack_from(e + "I", data, 52)[0] == h["uncompressBufSize"]
    data[52:56] = struct.pack(e + "I", 16)
    p = save(tmp_path, "u.bw", bytes(data))
    with bwl.open(p) as f:
        with pytest.raises(bwl.FormatError) as ei:
            f.values("chr1", 0, 400_000)
        assert p in str(ei.value)
        with pytest.raises(bwl.FormatError):
            f.stats("chr1", nBins=2)  # zoom blocks too


def test_compressed_file_marked_uncompressed(bw_files, tmp_path):
    """uncompressBufSize = 0 on a zlib file: sections are garbage -> error."""
    _, data, h = _load(bw_files, "pybw_bedGraph")
    data[52:56] = b"\0\0\0\0"
    p = save(tmp_path, "z.bw", bytes(data))
    with pytest.raises(bwl.FormatError, match=str(tmp_path)):
        read_all(p)


def _node_loop(data, node_off, e, item_size, ptr_in_item):
    """Turn a node into a branch whose first child is itself."""
    data[node_off] = 0  # isLeaf = 0
    struct.pack_into(e + "H", data, node_off + 2, 1)
    struct.pack_into(e + "Q", data, node_off + 4 + ptr_in_item, node_off)


@pytest.mark.parametrize("name", ["pybw_bedGraph", "bwl_fixedStep_big_zlib"])
def test_chrom_tree_loop(name, bw_files, tmp_path):
    _, data, h = _load(bw_files, name)
    e = endian_of(h)
    _, _, root, key_size = chrom_tree_layout(bytes(data), h["chromTreeOffset"], e)
    _node_loop(data, root, e, key_size + 8, key_size)
    p = save(tmp_path, "l.bw", bytes(data))
    with pytest.raises(bwl.FormatError) as ei:
        bwl.open(p)
    assert p in str(ei.value)


def test_chrom_tree_inner_loop(bw_files, tmp_path):
    """bwl's file has a 2-level chrom tree (block_size 4): point a child back at the root."""
    _, data, h = _load(bw_files, "bwl_fixedStep_big_zlib")
    e = endian_of(h)
    _, _, root, key_size = chrom_tree_layout(bytes(data), h["chromTreeOffset"], e)
    assert data[root] == 0, "expected a branch root"
    n = struct.unpack_from(e + "H", data, root + 2)[0]
    struct.pack_into(e + "Q", data, root + 4 + (n - 1) * (key_size + 8) + key_size, root)
    p = save(tmp_path, "l.bw", bytes(data))
    with pytest.raises(bwl.FormatError, match=str(tmp_path)):
        bwl.open(p)


@pytest.mark.parametrize("name", ["pybw_bedGraph", "bwl_fixedStep_big_zlib"])
def test_rtree_loop(name, bw_files, tmp_path):
    _, data, h = _load(bw_files, name)
    e = endian_of(h)
    _node_loop(data, h["fullIndexOffset"] + 48, e, 24, 16)
    p = save(tmp_path, "r.bw", bytes(data))
    with pytest.raises(bwl.FormatError) as ei:
        bwl.open(p)
    assert p in str(ei.value)


@pytest.mark.parametrize("name", ["pybw_bedGraph", "bwl_fixedStep_big_zlib"])
def test_zoom_rtree_loop(name, bw_files, tmp_path):
    """A loop in a zoom level's index: zoom stats fail, values still read right."""
    p0, data, h = _load(bw_files, name)
    e = endian_of(h)
    for z in h["zoomLevels"]:
        _node_loop(data, z["indexOffset"] + 48, e, 24, 16)
    p = save(tmp_path, "z.bw", bytes(data))
    with bwl.open(p) as f, bwl.open(p0) as g:
        np.testing.assert_array_equal(f.values("chr1", 0, 400_000), g.values("chr1", 0, 400_000))
        with pytest.raises(bwl.FormatError) as ei:
            f.stats("chr1", nBins=2)
        assert p in str(ei.value)
        np.testing.assert_array_equal(f.stats("chr1", nBins=2, exact=True), g.stats("chr1", nBins=2, exact=True))


def test_rtree_block_past_eof(bw_files, tmp_path):
    _, data, h = _load(bw_files, "pybw_bedGraph")
    _, _, leaves, _ = rtree_layout(bytes(data), h["fullIndexOffset"], "<")
    pos = leaves[0][0]
    struct.pack_into("<Q", data, pos + 16, len(data) - 10)  # offset: 10 bytes before EOF
    struct.pack_into("<Q", data, pos + 24, 1000)             # size: past EOF
    p = save(tmp_path, "e.bw", bytes(data))
    with pytest.raises(bwl.FormatError, match=str(tmp_path)):
        read_all(p)
    struct.pack_into("<Q", data, pos + 24, 2**64 - 1)       # size that overflows offset + size
    p = save(tmp_path, "e2.bw", bytes(data))
    with pytest.raises(bwl.FormatError, match=str(tmp_path)):
        read_all(p)


def test_rtree_bad_magic(bw_files, tmp_path):
    _, data, h = _load(bw_files, "pybw_bedGraph")
    data[h["fullIndexOffset"]] ^= 0xFF
    p = save(tmp_path, "m.bw", bytes(data))
    with pytest.raises(bwl.FormatError, match=str(tmp_path)):
        bwl.open(p)


def _first_block(bw_files, name):
    p, data, h = _load(bw_files, name)
    e = endian_of(h)
    _, _, leaves, _ = rtree_layout(bytes(data), h["fullIndexOffset"], e)
    return data, h, e, leaves[0]


def test_section_bad_type(bw_files, tmp_path):
    data, h, e, (_, sc, sb, _, eb, off, size) = _first_block(bw_files, "bwl_variableStep_big_raw")
    assert not h["compressed"] and data[off + 20] == 2
    data[off + 20] = 7
    p = save(tmp_path, "t.bw", bytes(data))
    with bwl.open(p) as f:
        with pytest.raises(bwl.FormatError, match=str(tmp_path)):
            f.values("chr1", sb, eb)
        with pytest.raises(bwl.FormatError):
            f.intervals("chr1", sb, eb)


def test_section_count_past_block(bw_files, tmp_path):
    data, h, e, (_, sc, sb, _, eb, off, size) = _first_block(bw_files, "bwl_variableStep_big_raw")
    struct.pack_into(e + "H", data, off + 22, 65535)  # itemCount
    p = save(tmp_path, "c.bw", bytes(data))
    with bwl.open(p) as f:
        with pytest.raises(bwl.FormatError, match=str(tmp_path)):
            f.values("chr1", sb, eb)


def test_section_huge_step_span(bw_files, tmp_path):
    """fixedStep step/span near 2^32 must not wrap positions or write out of bounds."""
    p0, data, h = _load(bw_files, "bwl_fixedStep_big_raw")
    e = endian_of(h)
    _, _, leaves, _ = rtree_layout(bytes(data), h["fullIndexOffset"], e)
    _, sc, sb, _, eb, off, size = leaves[0]
    assert data[off + 20] == 3
    struct.pack_into(e + "I", data, off + 12, 0xFFFFFFFF)  # itemStep
    struct.pack_into(e + "I", data, off + 16, 0xFFFFFFFF)  # itemSpan
    p = save(tmp_path, "s.bw", bytes(data))
    with bwl.open(p) as f:
        n = f.chroms("chr1")
        try:
            v = f.values("chr1", 0, n)
            assert v.shape == (n,)
            s, en, _ = f.intervals("chr1")
            assert len(s) == len(en)
        except bwl.FormatError as ex:
            assert p in str(ex)


@pytest.mark.parametrize("field,value", [
    (8, 0xFFFFFFFF),   # keySize
    (8, 0),            # keySize 0
    (12, 4),           # valSize
    (16, 2**40),       # itemCount
    (16, 0),           # itemCount smaller than the leaves
])
def test_chrom_tree_header(bw_files, tmp_path, field, value):
    _, data, h = _load(bw_files, "pybw_bedGraph")
    o = h["chromTreeOffset"]
    if field == 16:
        struct.pack_into("<Q", data, o + field, value)
    else:
        struct.pack_into("<I", data, o + field, value)
    p = save(tmp_path, "k.bw", bytes(data))
    with pytest.raises(bwl.FormatError, match=str(tmp_path)):
        bwl.open(p)


def test_duplicate_chrom_names(bw_files, tmp_path):
    _, data, h = _load(bw_files, "pybw_bedGraph")
    o = h["chromTreeOffset"]
    key_size = struct.unpack_from("<I", data, o + 8)[0]
    first = o + 32 + 4
    second = first + key_size + 8
    data[second:second + key_size] = data[first:first + key_size]  # chr10 -> chr1
    p = save(tmp_path, "d.bw", bytes(data))
    with pytest.raises(bwl.FormatError, match=str(tmp_path)):
        bwl.open(p)


def test_too_many_zoom_levels(bw_files, tmp_path):
    _, data, h = _load(bw_files, "pybw_bedGraph")
    struct.pack_into("<H", data, 6, 65535)
    p = save(tmp_path, "zl.bw", bytes(data))
    with pytest.raises(bwl.FormatError, match=str(tmp_path)):
        bwl.open(p)


def test_zoom_reduction_zero(bw_files, tmp_path):
    _, data, h = _load(bw_files, "pybw_bedGraph")
    struct.pack_into("<I", data, 64, 0)
    p = save(tmp_path, "zr.bw", bytes(data))
    with pytest.raises(bwl.FormatError, match=str(tmp_path)):
        bwl.open(p)


def test_zoom_block_not_whole_records(bw_files, tmp_path):
    """An uncompressed zoom block whose size is not a multiple of 32 bytes."""
    p0, data, h = _load(bw_files, "bwl_bedGraph_big_raw")
    e = endian_of(h)
    for z in h["zoomLevels"]:  # first block of every level
        _, _, leaves, _ = rtree_layout(bytes(data), z["indexOffset"], e)
        pos = leaves[0][0]
        size = struct.unpack_from(e + "Q", data, pos + 24)[0]
        struct.pack_into(e + "Q", data, pos + 24, size - 5)
    p = save(tmp_path, "zb.bw", bytes(data))
    with bwl.open(p) as f:
        chrom = list(f.chroms())[0]
        with pytest.raises(bwl.FormatError, match=str(tmp_path)):
            f.stats(chrom, nBins=1)


# ------------------------------------------------------------ minimal reproductions


def test_chrom_name_not_utf8(bw_files, tmp_path):
    """A chromosome name that is not UTF-8: FormatError naming the file, or
    an open file whose names are str; never UnicodeDecodeError."""
    _, data, h = _load(bw_files, "pybw_bedGraph")
    data[h["chromTreeOffset"] + 32 + 4] = 0xFF  # first byte of the first key
    p = save(tmp_path, "u8.bw", bytes(data))
    try:
        f = bwl.open(p)
    except bwl.FormatError as e:
        assert p in str(e)
        return
    names = list(f.chroms())
    assert all(isinstance(n, str) for n in names) and len(names) == 6
    for n in names:
        f.values(n, 0, 10)


@pytest.mark.parametrize("name", ["pybw_bedGraph", "bwl_fixedStep_big_zlib"])
def test_rtree_leaf_count_too_small(name, bw_files, tmp_path):
    """A leaf node whose item count was damaged to fewer items drops blocks;
    the R-tree header's itemCount says how many leaf items there must be,
    so this is detectable and must not read as missing data."""
    _, data, h = _load(bw_files, name)
    e = endian_of(h)
    _, _, leaves, leaf_nodes = rtree_layout(bytes(data), h["fullIndexOffset"], e)
    item_count = struct.unpack_from(e + "Q", data, h["fullIndexOffset"] + 8)[0]
    assert item_count == len(leaves) == h["blockCount"]
    node, count = leaf_nodes[-1]
    struct.pack_into(e + "H", data, node + 2, count - 1)  # drop the last block of the last leaf
    p = save(tmp_path, "lc.bw", bytes(data))
    kind, got = outcome(read_all, p)
    assert kind == "error", "a block silently vanished from the index" if kind == "ok" else got
