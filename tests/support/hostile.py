"""Hand-made hostile files shared by tests/test_hostile.py and
tests/corpus/make_corpus.py (which writes some of them into the committed
regression corpus): small valid files from :func:`support.bbi.build_bbi`
and the parts the tests patch into them.
"""
from __future__ import annotations

import struct

from .bbi import bed_records, bedgraph_section, build_bbi

# test_hostile's child ops for "read everything": open, then every chrom
# (values, intervals, zoom and exact stats) up to 200,000 bases.
READ_ALL = [["open"], ["read_all", 200_000]]


def save(tmp_path, name: str, data: bytes) -> str:
    """Writes ``data`` to ``tmp_path / name``; returns the path as a str."""
    p = str(tmp_path / name)
    with open(p, "wb") as fh:
        fh.write(data)
    return p


def simple(**kw):
    """A valid one-block bedGraph file from build_bbi (little-endian)."""
    sec = bedgraph_section(0, [(10, 20, 1.5), (30, 40, 2.5)])
    return build_bbi([("chr1", 1000), ("chr2", 500)], [(0, 10, 0, 40, sec)], **kw)


def rtree_branch(children, e="<"):
    """An R-tree branch node whose items point at ``children``."""
    return struct.pack(e + "BBH", 0, 0, len(children)) + b"".join(
        struct.pack(e + "IIIIQ", 0, 0, 0, 1000, c) for c in children)


def with_block(payload_raw: bytes, compressed_bytes=None, ubs=None, chrom_size=1000, endian="<"):
    """A file whose only block is ``compressed_bytes`` (or zlib(payload))."""
    data, off = build_bbi([("chr1", chrom_size)], [(0, 0, 0, chrom_size, payload_raw)], compress=True,
                          uncompress_buf_size=ubs, endian=endian)
    if compressed_bytes is None:
        return data
    m = bytearray(data)
    o = len(m)
    m += compressed_bytes
    struct.pack_into(endian + "QQ", m, off["indexNode"] + 4 + 16, o, len(compressed_bytes))
    return bytes(m)


def overlapping_items(n_sections: int) -> bytes:
    """bedGraph sections of 65535 identical items covering the whole chrom
    (invalid: bigWig items don't overlap), zlib makes them ~1 KiB each."""
    size = 2**32 - 1
    sec = bedgraph_section(0, [(0, size, 1.0)] * 65535)
    data, _ = build_bbi([("chr1", size)], [(0, 0, 0, size, sec * n_sections)], compress=True,
                        uncompress_buf_size=0xFFFFFFFF)
    return data


def chrom_tree_fanout(key_size: int, fanout: int, depth: int) -> bytes:
    """A chromosome B+ tree whose branch nodes overlap: node j sits at
    root + 8j and its items span (almost) the whole file, so every one of
    the (fanout^depth - 1)/(fanout - 1) branch nodes reads that much. Each
    child is distinct (no loop, no revisit) and the leaves are empty."""
    n = sum(fanout ** d for d in range(depth))
    n_leaves = fanout ** depth
    assert 8 * n < key_size
    data, off = build_bbi([("chr1", 1000)], [], key_size=key_size, chrom_item_count=0)
    head = off["chromNode"]
    leaf0 = head + 8 * n + 4 + fanout * (key_size + 8) + 8
    m = bytearray(leaf0 + 4 * n_leaves)
    m[:head] = data[:head]
    for j in range(n):
        o = head + 8 * j
        struct.pack_into("<BBH", m, o, 0, 0, fanout)
        for i in range(fanout):
            ch = 1 + fanout * j + i
            struct.pack_into("<Q", m, o + 4 + (key_size + 8) * i + key_size,
                             head + 8 * ch if ch < n else leaf0 + 4 * (ch - n))
    for k in range(n_leaves):
        struct.pack_into("<BBH", m, leaf0 + 4 * k, 1, 0, 0)
    return bytes(m)


CHAIN_FILE_SIZE = 16 << 20


def chrom_tree_deep_chain() -> bytes:
    """A 16 MiB file whose chromosome tree is a chain of 64 overlapping
    branch nodes, each claiming as many 64 KiB-key items as the file holds."""
    key_size = 2**16
    data, off = build_bbi([("chr1", 1000)], [], key_size=key_size)
    root = off["chromNode"]
    m = bytearray(CHAIN_FILE_SIZE)
    m[:root] = data[:root]
    count = (CHAIN_FILE_SIZE - root) // (key_size + 8) - 1
    for d in range(64):
        o = root + 8 * d
        struct.pack_into("<BBH", m, o, 0, 0, count)
        struct.pack_into("<Q", m, o + 4 + key_size, root + 8 * (d + 1))
    struct.pack_into("<BBH", m, root + 8 * 64, 1, 0, 0)
    return bytes(m)


def leaves_sharing_an_offset(bigbed: bool) -> bytes:
    """Two R-tree leaves on chr1 that name one offset with different sizes
    (raw blocks): leaf 0 the first part of the block (records / items at
    10..120), leaf 1 all of it (those, then 500..580). A reader gets the
    first part twice and the second once; a cache keyed by offset alone
    gave leaf 1 leaf 0's bytes (found by the bigBed fuzz target, issue 33)."""
    if bigbed:
        part1 = bed_records([(0, 10 * i, 10 * i + 50, f"a{i}") for i in range(8)])
        part2 = bed_records([(0, 500 + 10 * i, 550 + 10 * i, f"b{i}") for i in range(8)])
    else:
        part1 = bedgraph_section(0, [(10 * i, 10 * i + 5, 1.0) for i in range(8)])
        part2 = bedgraph_section(0, [(500 + 10 * i, 505 + 10 * i, 2.0) for i in range(8)])
    data, off = build_bbi([("chr1", 1000), ("chr2", 500)], [(0, 0, 0, 120, part1), (0, 0, 0, 1000, part1 + part2)],
                          bigbed=bigbed)
    m = bytearray(data)
    struct.pack_into("<Q", m, off["indexNode"] + 4 + 16, off["blocks"][1][0])  # leaf 0 -> block 1's offset
    return bytes(m)
