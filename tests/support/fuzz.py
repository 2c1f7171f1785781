"""Fuzzing harness shared by the test suite (tests/test_hostile.py) and the
long run (bench/fuzz.py). Two surfaces, told apart by the file's magic:
bigWig (here) and bigBed (support.fuzz_bigbed: its seeds, target and
mutations of its own parts).

* :func:`seed_files` - valid files of every kind: bigWig written with
  ``bwl.write`` (bedGraph / variableStep / fixedStep, little / big endian,
  zlib / raw); bigBed (``fmt="bigbed"``) from pybigtools and
  ``support.bbi.build_bbi``.
* :func:`exercise` - the fuzz target: for a bigWig open + header + chroms +
  values + intervals + stats (zoom and exact) + a Collection batch, on one
  file; for a bigBed ``support.fuzz_bigbed.exercise`` (entries, autoSql,
  coverage stats, bwl.pybigwig, Collection coverage and mask). The CPU
  inflate runs on every block of a compressed file.
* :func:`run_one` - writes bytes to a file and exercises it; returns the
  outcome. Only :data:`EXPECTED` exceptions are allowed; anything else, or a
  crash (which kills the process), is a finding.
* :func:`mutate` - a structure-aware mutator (BBI field values, byte flips,
  truncation, splicing, zlib re-compression of mutated blocks; for a
  bigBed also its header fields, zoom levels, trees, autoSql, extension and
  records) for the deterministic in-process loop; atheris drives the same
  target with libFuzzer's mutations plus this one as a custom mutator.

The raw BBI builder for hand-made hostile files is ``support.bbi.build_bbi``.
Layouts: csrc/include/bwl/detail/format.hpp, UCSC bbiFile.h / bwgInternal.h.
"""
from __future__ import annotations

import os
import struct
import time
import zlib
from collections.abc import Sequence
from typing import Callable

import numpy as np

import bwl

from . import bbi

# What a hostile file may make bwl raise. Anything else is a bug.
EXPECTED = (bwl.FormatError, ValueError, KeyError, OSError)

# Bound the work one input may ask for (a chrom size is a file field).
MAX_BASES = 200_000

# ----------------------------------------------------------------- seeds

SEED_CHROMS = {"chr1": 120_000, "chr2": 5_000, "chrM": 40, "chrX_empty": 300}


def _seed_intervals(kind: str, seed: int = 7):
    rng = np.random.default_rng(seed)
    out = {}
    # chr1: runs of equal span (variableStep/fixedStep sections), gaps
    s = np.sort(rng.choice(np.arange(0, 110_000, 10), 1_500, replace=False)).astype(np.int64)
    e = s + rng.integers(1, 10, len(s))
    if kind == "fixedStep":
        s = np.arange(100, 100 + 25 * 1_500, 25, dtype=np.int64)
        e = s + 5
    out["chr1"] = (s, e, rng.normal(0, 3, len(s)).astype(np.float32))
    out["chr2"] = (np.array([0, 10, 4_990]), np.array([5, 11, 5_000]), np.array([1.5, -2.0, 1e6], np.float32))
    out["chrM"] = (np.array([0, 39]), np.array([3, 40]), np.array([0.0, 7.0], np.float32))
    return out


SURFACES = ("bigwig", "bigbed")


def surface(data: bytes) -> str:
    """The surface an input exercises: "bigbed" for a bigBed magic, else "bigwig"."""
    return "bigbed" if bbi.is_bigbed(data) else "bigwig"


def seed_files(directory: str, small: bool = False, fmt: str = "bigwig") -> dict[str, str]:
    """Valid files into ``directory``; returns name -> path. ``fmt``
    "bigwig": every type/endian/compression, written with bwl.write;
    "bigbed": support.fuzz_bigbed.seed_files; "all": both. ``small`` uses
    fewer items (faster inputs for fuzzing)."""
    if fmt not in SURFACES + ("all",):
        raise ValueError(f"fmt must be bigwig, bigbed or all, got {fmt!r}")
    os.makedirs(directory, exist_ok=True)
    out = {}
    if fmt != "bigwig":
        from . import fuzz_bigbed

        out.update(fuzz_bigbed.seed_files(directory, small))
        if fmt == "bigbed":
            return out
    for kind in ("bedGraph", "variableStep", "fixedStep"):
        iv = _seed_intervals(kind)
        if small:
            iv = {c: tuple(np.asarray(a)[:40] for a in t) for c, t in iv.items()}
        for endian in ("little", "big"):
            for comp in (True, False):
                name = f"{kind}_{endian}_{'zlib' if comp else 'raw'}"
                p = os.path.join(directory, name + ".bw")
                bwl.write(p, SEED_CHROMS, iv, type=kind, endian=endian, compress=comp,
                          items_per_section=16 if small else 64, block_size=4)
                out[name] = p
    return out


# ----------------------------------------------------------------- target


def exercise(path: str, collection: bool = True, threads: int = 2) -> dict:
    """Everything a user does with a file; returns a small digest (for
    determinism checks). Raises whatever bwl raises. A bigBed (by its
    magic) goes to support.fuzz_bigbed.exercise."""
    with open(path, "rb") as fh:
        if bbi.is_bigbed(fh.read(4)):
            from . import fuzz_bigbed

            return fuzz_bigbed.exercise(path, collection, threads)
    digest = {}
    with bwl.open(path) as f:
        h = f.header()
        digest["blocks"] = h["blockCount"]
        chroms = f.chroms()
        for c, n in chroms.items():
            n = min(n, MAX_BASES)
            if n == 0:
                continue
            for fn in (
                lambda: f.values(c, 0, n),
                lambda: f.values(c, n // 3, n),
                lambda: f.intervals(c, 0, n),
                lambda: f.stats(c, 0, n, type="mean", nBins=min(n, 7)),
                lambda: f.stats(c, 0, n, type="max", nBins=1),
                lambda: f.stats(c, 0, n, type="std", nBins=min(n, 3), exact=True),
                lambda: f.stats(c, 0, n, type="cov", nBins=min(n, 100)),
            ):
                try:
                    r = fn()
                    k = len(r[0]) if isinstance(r, tuple) else int(np.isnan(r).sum())
                except bwl.FormatError as e:  # a damaged block: other reads go on
                    check_names_file(e, path)
                    k = -1
                digest.setdefault(c, []).append(k)
    if collection and chroms:
        c = bwl.Collection([path, path], threads=threads)
        names = [k for k, n in chroms.items() if n > 0]
        if names:
            L = max(1, min(min(chroms[k] for k in names), 1000))
            chrom_list = [names[i % len(names)] for i in range(4)]
            starts = [min(chroms[k] - L, 7 * i) for i, k in enumerate(chrom_list)]
            v = c.values(chrom_list, starts, np.asarray(starts) + L)
            assert v.shape == (4, 2, L)
            if L % 2 == 0:
                c.values(chrom_list, starts, np.asarray(starts) + L, window=2, dtype="float16", layout="BLT")
    return digest


def check_names_file(e: BaseException, path: str) -> None:
    """AssertionError (a finding) unless the error message names ``path``."""
    if path not in str(e):
        raise AssertionError(f"{type(e).__name__} does not name the file: {e}")


class Finding(Exception):
    """An outcome that is a bug: unexpected exception type, error without
    the file name, or too slow."""


def run_one(data: bytes, path: str, collection: bool = True, slow_s: float = 5.0, threads: int = 2) -> str:
    """Writes ``data`` to ``path`` and exercises it. Returns "ok" or
    "error" (an expected exception naming the file); raises Finding
    otherwise."""
    if os.path.exists(path):  # unlink, not O_TRUNC: ext4 syncs a truncated-then-rewritten file (~2 ms)
        os.unlink(path)
    with open(path, "wb") as fh:
        fh.write(data)
    t0 = time.perf_counter()
    try:
        exercise(path, collection, threads)
        kind = "ok"
    except EXPECTED as e:
        if isinstance(e, bwl.FormatError) and path not in str(e):
            raise Finding(f"FormatError without the file name: {e}") from e
        kind = "error"
    except AssertionError as e:
        raise Finding(str(e)) from e
    except Exception as e:  # noqa: BLE001 - this is what we look for
        raise Finding(f"unexpected {type(e).__name__}: {e}") from e
    dt = time.perf_counter() - t0
    if dt > slow_s:
        raise Finding(f"slow input: {dt:.1f} s")
    return kind


# ----------------------------------------------------------------- mutation

INTERESTING_32 = (0, 1, 2, 7, 8, 23, 24, 31, 32, 33, 64, 255, 256, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
                  0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)
INTERESTING_64 = (0, 1, 64, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1)


def _locate(data: bytes):
    """(endian, header fields, data blocks [(leaf item offset field, off, size)]) of a bigWig or
    bigBed, or None if the header is not parseable. Pure Python, tolerant."""
    if len(data) < 64:
        return None
    e = bbi.byte_order(data)
    if e is None:
        return None
    h = bbi.header(data)[1]
    blocks = []
    try:
        for x in bbi.rtree(data, h["fullIndexOffset"], e, max_depth=8):
            if isinstance(x, bbi.Node):
                if len(blocks) > 10_000:
                    break
            elif x.is_leaf:
                blocks.append((x.pos + 16, x.offset, x.size))
    except struct.error:
        pass
    blocks = [(q, o, s) for q, o, s in blocks if o + s <= len(data)]
    return e, h, blocks


def mutate(data: bytes, rng: np.random.Generator, others: Sequence[bytes] = ()) -> bytes:
    """One to a few structure-aware mutations of a bigWig or bigBed file. A
    bigBed gets, in 6 steps of 10, a mutation of one of its own parts
    (support.fuzz_bigbed.mutate_once), else one of the generic ones."""
    from . import fuzz_bigbed

    m = bytearray(data)
    loc = _locate(data)
    bed = bbi.is_bigbed(data)
    for _ in range(int(rng.integers(1, 4))):
        if not m:
            m = bytearray(rng.integers(0, 256, 80, dtype=np.uint8).tobytes())
        try:
            if bed and rng.random() < 0.6:
                m = fuzz_bigbed.mutate_once(m, rng)
            else:
                m = _mutate_once(m, rng, loc, others)
        except struct.error:  # an earlier step shortened the file
            pass
    return bytes(m)


def _mutate_once(m: bytearray, rng: np.random.Generator, loc, others: Sequence[bytes]) -> bytearray:
    op = int(rng.integers(0, 10))
    n = len(m)
    e = loc[0] if loc else "<"
    if op == 0:  # flip random bytes
        for pos in rng.integers(0, n, int(rng.integers(1, 6))):
            m[int(pos)] ^= int(rng.integers(1, 256))
    elif op == 1:  # an interesting u32 at a 4-aligned or random place
        pos = int(rng.integers(0, max(1, n - 4)))
        if rng.random() < 0.5:
            pos &= ~3
        if pos + 4 <= n:
            struct.pack_into(e + "I", m, pos, int(rng.choice(INTERESTING_32)))
    elif op == 2:  # an interesting u64 / an offset elsewhere in the file
        pos = int(rng.integers(0, max(1, n - 8)))
        v = int(rng.choice(INTERESTING_64)) if rng.random() < 0.5 else int(rng.integers(0, n + 64))
        if pos + 8 <= n:
            struct.pack_into(e + "Q", m, pos, v % 2**64)
    elif op == 3:  # truncate
        del m[int(rng.integers(0, n)):]
    elif op == 4 and loc:  # a header field
        field = int(rng.choice([4, 6, 8, 16, 24, 32, 34, 36, 44, 52, 56]))
        width = {4: 2, 6: 2, 32: 2, 34: 2, 52: 4}.get(field, 8)
        v = int(rng.choice(INTERESTING_32 if width <= 4 else INTERESTING_64))
        v = v % (2 ** (8 * width))
        struct.pack_into(e + {2: "H", 4: "I", 8: "Q"}[width], m, field, v)
    elif op == 5 and loc and loc[2]:  # mutate inside a data block, re-compressing if it is zlib
        leaf, off, size = loc[2][int(rng.integers(0, len(loc[2])))]
        if off + size > len(m) or leaf + 16 > len(m):
            return m
        blk = bytes(m[off:off + size])
        comp = loc[1]["uncompressBufSize"] != 0
        try:
            raw = bytearray(zlib.decompress(blk)) if comp else bytearray(blk)
        except zlib.error:
            raw, comp = bytearray(blk), False
        if not raw:
            return m
        k = int(rng.integers(0, 3))
        if k == 0:
            for pos in rng.integers(0, len(raw), int(rng.integers(1, 4))):
                raw[int(pos)] ^= int(rng.integers(1, 256))
        elif k == 1 and len(raw) >= 24:  # a section header field
            pos = int(rng.choice([0, 4, 8, 12, 16, 20, 22]))
            if pos == 20:
                raw[20] = int(rng.integers(0, 5))
            elif pos == 22:
                struct.pack_into(e + "H", raw, 22, int(rng.choice([0, 1, 2, 0xFFFF])))
            else:
                struct.pack_into(e + "I", raw, pos, int(rng.choice(INTERESTING_32)))
        else:
            pos = int(rng.integers(0, len(raw))) & ~3
            if pos + 4 <= len(raw):
                struct.pack_into(e + "I", raw, pos, int(rng.choice(INTERESTING_32)))
        new = zlib.compress(bytes(raw)) if comp else bytes(raw)
        if len(new) == size:
            m[off:off + size] = new
        else:  # re-compressed to another size: append it and point the R-tree leaf there
            struct.pack_into(e + "QQ", m, leaf, len(m), len(new))
            m += new
    elif op == 6 and others:  # splice with another file
        o = others[int(rng.integers(0, len(others)))]
        cut = int(rng.integers(0, min(n, len(o)) + 1))
        m = m[:cut] + bytearray(o[cut:])
    elif op == 7:  # duplicate or delete a chunk
        a = int(rng.integers(0, n))
        b = min(n, a + int(rng.integers(1, 64)))
        if rng.random() < 0.5:
            m[a:a] = m[a:b]
        else:
            del m[a:b]
    elif op == 8 and loc:  # point an R-tree / B+ tree node pointer somewhere else
        base = loc[1]["fullIndexOffset"] if rng.random() < 0.5 else loc[1]["chromTreeOffset"]
        pos = base + int(rng.integers(0, 200))
        if pos + 8 <= n:
            struct.pack_into(e + "Q", m, pos, int(rng.integers(0, n)))
    elif op == 9:  # node/item count field
        pos = int(rng.integers(0, max(1, n - 2)))
        struct.pack_into(e + "H", m, pos, int(rng.choice([0, 1, 2, 0x7FFF, 0xFFFF])))
    return m


def fuzz_loop(seeds: Sequence[bytes], path: str, runs: int, seed: int = 0,
              on_finding: Callable[[bytes, Finding], None] | None = None,
              deadline: float | None = None, collection: bool = True, slow_s: float = 5.0) -> dict:
    """Deterministic mutation loop (no coverage feedback): ``runs`` inputs
    from ``seeds``. Returns counts, with ``surfaces``: per :func:`surface`
    of the inputs run, their runs, ok, error, finding and seconds. A
    Finding is passed to ``on_finding`` (or raised when None)."""
    rng = np.random.default_rng(seed)
    counts = {"ok": 0, "error": 0, "finding": 0, "runs": 0,
              "surfaces": {k: {"runs": 0, "ok": 0, "error": 0, "finding": 0, "seconds": 0.0} for k in SURFACES}}
    pool = list(seeds)
    for i in range(runs):
        if deadline is not None and time.monotonic() > deadline:
            break
        base = pool[int(rng.integers(0, len(pool)))]
        data = mutate(base, rng, pool)
        per = counts["surfaces"][surface(data)]
        t0 = time.perf_counter()
        try:
            kind = run_one(data, path, collection, slow_s)
        except Finding as f:
            kind = "finding"
            if on_finding is None:
                raise Finding(f"run {i} (seed {seed}, {surface(data)}): {f}") from f
            on_finding(data, f)
        finally:
            per["seconds"] += time.perf_counter() - t0
        counts[kind] += 1
        per[kind] += 1
        per["runs"] += 1
        counts["runs"] += 1
    return counts


# ----------------------------------------------------------------- atheris


def atheris_main(argv: list[str], seed_dir: str, work_path: str, fmt: str = "bigwig",
                 stats_path: str | None = None) -> None:  # pragma: no cover - bench/fuzz.py
    """libFuzzer via atheris over :func:`exercise` (never returns), seeded
    with :func:`seed_files` of ``fmt``. Every second or so the executions
    and seconds per :func:`surface` so far go to ``stats_path`` (JSON):
    libFuzzer ends the process without running Python's exit handlers."""
    import json

    import atheris

    seeds = [open(p, "rb").read() for p in seed_files(seed_dir, small=True, fmt=fmt).values()]
    per = {k: {"runs": 0, "seconds": 0.0} for k in SURFACES}
    last = [time.monotonic()]

    def test_one_input(data: bytes) -> None:
        k = surface(data)
        t0 = time.perf_counter()
        try:
            run_one(data, work_path, collection=True, slow_s=1e9, threads=1)  # libFuzzer's -timeout handles hangs
        except Finding as f:
            raise RuntimeError(str(f)) from f
        finally:
            per[k]["runs"] += 1
            per[k]["seconds"] += time.perf_counter() - t0
            if stats_path and time.monotonic() - last[0] > 1.0:
                last[0] = time.monotonic()
                with open(stats_path + ".tmp", "w") as fh:
                    json.dump(per, fh)
                os.replace(stats_path + ".tmp", stats_path)

    def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = np.random.default_rng(seed)
        if rng.random() < 0.3:
            return atheris.Mutate(data, max_size)
        return mutate(data, rng, seeds)[:max_size]

    atheris.Setup(argv, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()
