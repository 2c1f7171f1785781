"""The BBI layout (bigWig / bigBed) by hand, in pure Python: build a file
from parts with every field under control, and walk one (header, zoom
headers, chromosome B+ tree, R-tree; a bigBed's autoSql, extension header,
extra-index list and records) without bwl.

Layouts: csrc/include/bwl/detail/format.hpp, UCSC bbiFile.h / bwgInternal.h.
Users: tests/test_hostile.py, tests/test_bigbed.py, tests/corpus/make_corpus.py
(the builder); support.fuzz, support.fuzz_bigbed, tests/test_corrupt.py, tests/test_writer.py,
tests/test_reader.py, tests/test_loader.py, bench/collection.py (the walkers).
"""
from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

BIGWIG_MAGIC = 0x888FFC26
BIGWIG_MAGIC_SWAPPED = 0x26FC8F88  # a big-endian file's magic read little-endian
BIGBED_MAGIC = 0x8789F2EB
BIGBED_MAGIC_SWAPPED = 0xEBF28987  # a big-endian bigBed's magic read little-endian
CHROM_TREE_MAGIC = 0x78CA8C91
RTREE_MAGIC = 0x2468ACE0

HEADER_FORMAT = "IHHQQQHHQQIQ"  # the 64-byte file header
HEADER_FIELDS = ("magic", "version", "zoomLevels", "chromTreeOffset", "fullDataOffset", "fullIndexOffset", "fieldCount",
                 "definedFieldCount", "autoSqlOffset", "totalSummaryOffset", "uncompressBufSize", "extensionOffset")
RTREE_HEADER_SIZE = 48       # magic, blockSize, itemCount, bounds, endFileOffset, itemsPerSlot, reserved
CHROM_TREE_HEADER_SIZE = 32  # magic, blockSize, keySize, valSize, itemCount, reserved
ZOOM_HEADER_SIZE = 24        # reductionLevel, reserved, dataOffset, indexOffset
ZOOM_RECORD_FORMAT = "IIIIffff"  # chromId, start, end, validCount, min, max, sum, sumSquares (32 bytes)
EXTENSION_HEADER_SIZE = 64   # extensionSize u16, extraIndexCount u16, extraIndexListOffset u64, reserved
BED_RECORD_FIXED = 12        # a bigBed record's chromId, start, end; then the rest, NUL-terminated


# ----------------------------------------------------------------- reading


def byte_order(data: bytes) -> str | None:
    """"<" or ">" from a bigWig's or bigBed's magic; None for anything else."""
    if len(data) < 4:
        return None
    magic = struct.unpack_from("<I", data, 0)[0]
    return "<" if magic in (BIGWIG_MAGIC, BIGBED_MAGIC) else ">" if magic in (BIGWIG_MAGIC_SWAPPED, BIGBED_MAGIC_SWAPPED) \
        else None


def is_bigbed(data: bytes) -> bool:
    """Whether ``data`` starts with a bigBed magic (either byte order)."""
    return len(data) >= 4 and struct.unpack_from("<I", data, 0)[0] in (BIGBED_MAGIC, BIGBED_MAGIC_SWAPPED)


def header(data: bytes) -> tuple[str, dict]:
    """(byte order, the 64-byte header's fields by name) of a bigWig or
    bigBed; ValueError when ``data`` does not start with one."""
    e = byte_order(data)
    if e is None or len(data) < 64:
        raise ValueError("not a bigWig or bigBed header")
    return e, dict(zip(HEADER_FIELDS, struct.unpack_from(e + HEADER_FORMAT, data, 0)))


def read_header(path) -> tuple[str, dict]:
    """:func:`header` of the file at ``path``."""
    with open(path, "rb") as fh:
        return header(fh.read(64))


def zoom_headers(data: bytes, e: str, count: int) -> list[dict]:
    """The ``count`` zoom-level headers after the file header (24 bytes each
    from byte 64): reductionLevel, dataOffset, indexOffset, and ``at``, the
    header's own position."""
    out = []
    for i in range(count):
        at = 64 + ZOOM_HEADER_SIZE * i
        level, _, data_off, index_off = struct.unpack_from(e + "IIQQ", data, at)
        out.append(dict(reductionLevel=level, dataOffset=data_off, indexOffset=index_off, at=at))
    return out


def chrom_tree_header(data: bytes, tree_offset: int, e: str) -> dict:
    magic, block_size, key_size, val_size, count = struct.unpack_from(e + "IIIIQ", data, tree_offset)
    return dict(magic=magic, blockSize=block_size, keySize=key_size, valSize=val_size, itemCount=count)


class Node(NamedTuple):
    """A tree node: ``offset`` of its 4-byte header (isLeaf, reserved, count)."""

    offset: int
    depth: int
    is_leaf: bool
    count: int


class RItem(NamedTuple):
    """An R-tree item at ``pos``: bounds (start chrom id, start base, end
    chrom id, end base); a leaf's data block (``offset``, ``size``) or a
    branch's child node (``offset``; ``size`` None)."""

    pos: int
    is_leaf: bool
    sc: int
    sb: int
    ec: int
    eb: int
    offset: int
    size: int | None


class CItem(NamedTuple):
    """A chromosome B+ tree item at ``pos``: its key (NUL-padded), and a
    leaf's chrom id and size or a branch's child node offset."""

    pos: int
    is_leaf: bool
    key: bytes
    chrom_id: int | None
    size: int | None
    child: int | None


def rtree(data: bytes, index_offset: int, e: str, max_depth: int | None = None) -> Iterator[Node | RItem]:
    """Walks the R-tree whose header is at ``index_offset`` (the root node
    follows it) depth first in file order, reading as it goes: yields a
    :class:`Node` on entering a node, then its :class:`RItem` s, a branch
    item followed by the walk of its child. Nodes deeper than ``max_depth``
    are not entered. struct.error where the data ends (after every item
    read before)."""
    def node(off: int, depth: int):
        if max_depth is not None and depth > max_depth:
            return
        is_leaf, _, count = struct.unpack_from(e + "BBH", data, off)
        yield Node(off, depth, bool(is_leaf), count)
        p = off + 4
        for _ in range(count):
            if is_leaf:
                sc, sb, ec, eb, o, s = struct.unpack_from(e + "IIIIQQ", data, p)
                yield RItem(p, True, sc, sb, ec, eb, o, s)
                p += 32
            else:
                sc, sb, ec, eb, o = struct.unpack_from(e + "IIIIQ", data, p)
                yield RItem(p, False, sc, sb, ec, eb, o, None)
                yield from node(o, depth + 1)
                p += 24

    yield from node(index_offset + RTREE_HEADER_SIZE, 0)


def rtree_blocks(data: bytes, index_offset: int, e: str) -> list[RItem]:
    """The R-tree's leaf items (data blocks), in file order."""
    return [x for x in rtree(data, index_offset, e) if isinstance(x, RItem) and x.is_leaf]


def chrom_tree(data: bytes, tree_offset: int, e: str, max_depth: int | None = None) -> Iterator[Node | CItem]:
    """Walks the chromosome B+ tree whose header is at ``tree_offset``, as
    :func:`rtree` walks an R-tree: :class:`Node` then its :class:`CItem` s,
    a branch item followed by the walk of its child; nodes deeper than
    ``max_depth`` are not entered."""
    key_size = chrom_tree_header(data, tree_offset, e)["keySize"]

    def node(off: int, depth: int):
        if max_depth is not None and depth > max_depth:
            return
        is_leaf, _, count = struct.unpack_from(e + "BBH", data, off)
        yield Node(off, depth, bool(is_leaf), count)
        p = off + 4
        for _ in range(count):
            key = bytes(data[p:p + key_size])
            if is_leaf:
                cid, size = struct.unpack_from(e + "II", data, p + key_size)
                yield CItem(p, True, key, cid, size, None)
            else:
                child = struct.unpack_from(e + "Q", data, p + key_size)[0]
                yield CItem(p, False, key, None, None, child)
                yield from node(child, depth + 1)
            p += key_size + 8

    yield from node(tree_offset + CHROM_TREE_HEADER_SIZE, 0)


def chrom_ids(data: bytes, tree_offset: int, e: str) -> dict:
    """Chromosome name -> id, from the B+ tree's leaves."""
    return {x.key.rstrip(b"\0").decode(): x.chrom_id for x in chrom_tree(data, tree_offset, e)
            if isinstance(x, CItem) and x.is_leaf}


def autosql(data: bytes, h: dict) -> bytes | None:
    """A bigBed's autoSql text (without its NUL) from header fields ``h``;
    None when autoSqlOffset is 0, or the text has no NUL before the end."""
    off = h["autoSqlOffset"]
    if not off or off >= len(data):
        return None
    end = data.find(b"\0", off)
    return None if end < 0 else bytes(data[off:end])


def extension(data: bytes, offset: int, e: str) -> dict:
    """The extension header at ``offset`` (header field extensionOffset):
    extensionSize, extraIndexCount, extraIndexListOffset."""
    size, count, list_off = struct.unpack_from(e + "HHQ", data, offset)
    return dict(extensionSize=size, extraIndexCount=count, extraIndexListOffset=list_off)


def extra_indexes(data: bytes, list_offset: int, e: str, count: int) -> list[dict]:
    """The extra-index list (bigBed -extraIndex): per index its ``type``,
    ``fieldCount``, ``fileOffset`` (a B+ tree header, keys -> (block
    offset, block size)), ``fieldIds``, and ``at``, the entry's position."""
    out, p = [], list_offset
    for _ in range(count):
        typ, nf, file_off = struct.unpack_from(e + "HHQ", data, p)
        ids = [struct.unpack_from(e + "H", data, p + 16 + 4 * k)[0] for k in range(nf)]
        out.append(dict(type=typ, fieldCount=nf, fileOffset=file_off, fieldIds=ids, at=p))
        p += 16 + 4 * nf
    return out


class BedRecord(NamedTuple):
    """A bigBed record at ``pos`` in an (inflated) block: chromId, start,
    end, and its rest string (the fields after the third) at
    [rest, rest_end), the NUL at rest_end."""

    pos: int
    chrom_id: int
    start: int
    end: int
    rest: int
    rest_end: int


def bed_records_in(block: bytes, e: str) -> Iterator[BedRecord]:
    """The records of an inflated bigBed data block, in order; stops at a
    record that runs past the block (no NUL)."""
    p, n = 0, len(block)
    while p + BED_RECORD_FIXED <= n:
        c, s, t = struct.unpack_from(e + "III", block, p)
        z = block.find(b"\0", p + BED_RECORD_FIXED)
        if z < 0:
            return
        yield BedRecord(p, c, s, t, p + BED_RECORD_FIXED, z)
        p = z + 1


# ----------------------------------------------------------------- building


def build_bbi(chroms: Sequence[tuple[str, int]], blocks: Iterable[tuple[int, int, int, int, bytes]] = (),
              *, endian: str = "<", compress: bool = False, key_size: int | None = None,
              uncompress_buf_size: int | None = None, chrom_ids: Sequence[int] | None = None,
              rtree_item_count: int | None = None, chrom_item_count: int | None = None,
              version: int = 4, bigbed: bool = False, autosql: None | str | bytes = None,
              field_count: int | None = None, defined_field_count: int | None = None,
              zooms: Sequence[tuple[int, Sequence[tuple]]] = (), name_index: bool = False) -> tuple[bytes, dict]:
    """A bigWig file (a bigBed with ``bigbed``: blocks of :func:`bed_records`)
    from parts, one-node trees (<= 65535 chroms and blocks).

    ``blocks``: (startChromId, startBase, endChromId, endBase, section
    bytes); the bytes are zlib-compressed when ``compress``. Returns
    (file bytes, offsets) with offsets of ``chromTree``, ``chromNode``,
    ``data``, ``blocks`` [(offset, size)], ``index``, ``indexNode``.

    Optional parts (none by default, and then the layout above is all):
    ``zooms``, (reductionLevel, records) per zoom level with records as
    :func:`zoom_records` takes them: each level's data (a u32 record count,
    then blocks of 16 records, which may span chromosomes) and a one-leaf
    R-tree follow the main index (offsets ``zooms``: per level ``data``,
    ``blocks``, ``index``, ``indexNode``, ``header``). For a bigBed:
    ``autosql`` (written NUL-terminated after the zoom headers; offsets
    ``autoSql``), ``field_count`` / ``defined_field_count`` (default 3 / 3;
    0 / 0 for a bigWig), and ``name_index``: an extension header and one
    extra index on field 3 (the name: each record's rest up to its first
    tab) mapping names to their blocks' (offset, size), as bedToBigBed
    -extraIndex=name writes it (offsets ``extension``, ``extraIndexList``,
    ``extraIndex``).
    """
    e = endian
    names = [n.encode() for n, _ in chroms]
    ks = key_size if key_size is not None else max([len(n) for n in names] + [1])
    ids = list(chrom_ids) if chrom_ids is not None else list(range(len(chroms)))
    blocks = list(blocks)
    out = bytearray(64 + ZOOM_HEADER_SIZE * len(zooms))  # header and zoom headers, patched at the end
    off: dict = {}
    autosql_off = 0
    if autosql is not None:
        autosql_off = off["autoSql"] = len(out)
        out += (autosql.encode() if isinstance(autosql, str) else autosql) + b"\0"
    summary_off = len(out)
    out += struct.pack(e + "Qdddd", 0, 0.0, 0.0, 0.0, 0.0)
    ext_off = 0
    if name_index:
        ext_off = off["extension"] = len(out)
        off["extraIndexList"] = ext_off + EXTENSION_HEADER_SIZE
        out += struct.pack(e + "HHQ", EXTENSION_HEADER_SIZE, 1, off["extraIndexList"]).ljust(EXTENSION_HEADER_SIZE, b"\0")
        out += struct.pack(e + "HHQIHH", 0, 1, 0, 0, 3, 0)  # type 0 (B+ tree), 1 field: 3; fileOffset patched below
    off["chromTree"] = len(out)
    out += struct.pack(e + "IIIIQQ", CHROM_TREE_MAGIC, max(1, len(chroms)), ks, 8,
                       len(chroms) if chrom_item_count is None else chrom_item_count, 0)
    off["chromNode"] = len(out)
    out += struct.pack(e + "BBH", 1, 0, len(chroms))
    for (_name, size), raw, cid in zip(chroms, names, ids):
        out += raw[:ks].ljust(ks, b"\0") + struct.pack(e + "II", cid, size)
    off["data"] = len(out)
    out += struct.pack(e + "Q", len(blocks))
    placed = []
    max_raw = 0
    for sc, sb, ec, eb, payload in blocks:
        max_raw = max(max_raw, len(payload))
        b = zlib.compress(payload) if compress else payload
        placed.append((sc, sb, ec, eb, len(out), len(b)))
        out += b
    off["blocks"] = [(o, s) for *_, o, s in placed]

    def rtree_at(items, count=None) -> tuple[int, int]:
        at = len(out)
        out.extend(struct.pack(e + "IIQIIIIQII", RTREE_MAGIC, 256, len(items) if count is None else count,
                               0, 0, 0, 0, at, 1, 0))
        node = len(out)
        out.extend(struct.pack(e + "BBH", 1, 0, len(items)))
        for sc, sb, ec, eb, o, s in items:
            out.extend(struct.pack(e + "IIIIQQ", sc, sb, ec, eb, o, s))
        return at, node

    off["index"], off["indexNode"] = rtree_at(placed, rtree_item_count)
    off["zooms"] = []
    for z, (reduction, recs) in enumerate(zooms):
        recs = list(recs)
        data_at = len(out)
        out += struct.pack(e + "I", len(recs))
        items = []
        for k in range(0, len(recs), 16):
            part = recs[k:k + 16]
            payload = zoom_records(part, e)
            max_raw = max(max_raw, len(payload))
            b = zlib.compress(payload) if compress else payload
            items.append((part[0][0], part[0][1], part[-1][0], part[-1][2], len(out), len(b)))
            out += b
        index_at, node_at = rtree_at(items)
        struct.pack_into(e + "IIQQ", out, 64 + ZOOM_HEADER_SIZE * z, reduction, 0, data_at, index_at)
        off["zooms"].append(dict(data=data_at, blocks=[(o, s) for *_, o, s in items], index=index_at,
                                 indexNode=node_at, header=64 + ZOOM_HEADER_SIZE * z))
    if name_index:
        keys = []
        for (*_, payload), (*_, o, s) in zip(blocks, placed):
            for r in bed_records_in(payload, e):
                keys.append((payload[r.rest:r.rest_end].split(b"\t")[0], o, s))
        keys.sort()
        kks = max([len(k) for k, _, _ in keys] + [1])
        off["extraIndex"] = len(out)
        struct.pack_into(e + "Q", out, off["extraIndexList"] + 4, len(out))
        out += struct.pack(e + "IIIIQQ", CHROM_TREE_MAGIC, max(1, len(keys)), kks, 16, len(keys), 0)
        out += struct.pack(e + "BBH", 1, 0, len(keys))
        for k, o, s in keys:
            out += k.ljust(kks, b"\0") + struct.pack(e + "QQ", o, s)
    ubs = (max(max_raw, 1) if compress else 0) if uncompress_buf_size is None else uncompress_buf_size
    fields = 3 if bigbed else 0
    struct.pack_into(e + HEADER_FORMAT, out, 0, BIGBED_MAGIC if bigbed else BIGWIG_MAGIC, version, len(zooms),
                     off["chromTree"], off["data"], off["index"],
                     fields if field_count is None else field_count,
                     fields if defined_field_count is None else defined_field_count,
                     autosql_off, summary_off, ubs, ext_off)
    return bytes(out), off


def zoom_records(records: Sequence[tuple], e: str = "<") -> bytes:
    """A zoom data block: (chromId, start, end, validCount, min, max, sum, sumSquares) records."""
    return b"".join(struct.pack(e + ZOOM_RECORD_FORMAT, *r) for r in records)


def bed_records(records: Sequence[tuple[int, int, int, str]], e: str = "<") -> bytes:
    """A bigBed data block: (chromId, start, end, rest) records, rest NUL-terminated."""
    return b"".join(struct.pack(e + "III", c, s, t) + r.encode() + b"\0" for c, s, t, r in records)


def bedgraph_section(chrom_id: int, items: Sequence[tuple[int, int, float]], e: str = "<") -> bytes:
    """A bedGraph section (type 1) of (start, end, value) items."""
    lo = min((s for s, _, _ in items), default=0)
    hi = max((t for _, t, _ in items), default=0)
    b = struct.pack(e + "IIIIIBBH", chrom_id, lo, hi, 0, 0, 1, 0, len(items))
    return b + b"".join(struct.pack(e + "IIf", s, t, v) for s, t, v in items)


def fixedstep_section(chrom_id: int, start: int, step: int, span: int, values: Sequence[float],
                      e: str = "<") -> bytes:
    end = min(2**32 - 1, start + step * max(0, len(values) - 1) + span)
    b = struct.pack(e + "IIIIIBBH", chrom_id, start, end, step, span, 3, 0, len(values))
    return b + struct.pack(e + f"{len(values)}f", *values)
