"""The bigBed half of the fuzz harness (support.fuzz dispatches here on the
file's magic): seeds, the target, and mutations of a bigBed's own parts.

* :func:`seed_files` - valid bigBeds: written by pybigtools (an autoSql
  with extra fields, and plain BED3; several chromosomes, zoom levels) and
  hand-built by ``support.bbi.build_bbi(bigbed=True)`` in both byte orders,
  zlib and raw (autoSql, fieldCount 8 / definedFieldCount 6, two zoom
  levels, an extension header with a name index).
* :func:`exercise` - the target: everything a user does with a bigBed
  through bwl: ``bwl.open`` -> header, chroms, is_bigbed, sql, entries (with
  and without strings), stats (zoom and exact, several types), values /
  intervals (must be ValueError); ``bwl.pybigwig`` on the same file (every
  failure a RuntimeError; entries equal bwl's); Collections of the bigBed
  (with a bigWig in mode "coverage", alone in mode "mask"; a decoded-block
  cache, cache="host", preload) over windows aimed at records and padded
  past the chromosome ends: values per base (twice: the second from the
  cache) and pooled, region stats, intervals. Cross-checks: entries lie in
  the queried range; exact max / cov stats, each Collection's coverage or
  mask, its region stats and intervals equal what ``entries`` gives; a
  Collection raises where entries raise (and, inside the chromosome, only
  there).
* :func:`mutate_once` - one structure-aware mutation of a bigBed part:
  header fields (fieldCount, definedFieldCount, autoSqlOffset,
  totalSummaryOffset, extensionOffset, zoomLevels, uncompressBufSize), zoom
  headers, zoom data blocks, the chromosome B+ tree, the R-trees (main and
  zoom), the autoSql text, the extension header and extra-index list, the
  total summary, and records inside data blocks (chromId, start, end, the
  rest string); edited blocks are re-compressed when the file is zlib and,
  when their size changes, appended and re-pointed from their R-tree leaf.

Layouts: support/bbi.py (the one parser), csrc/include/bwl/detail/format.hpp.
"""
from __future__ import annotations

import itertools
import os
import struct
import zlib
from collections.abc import Sequence
from typing import Callable

import numpy as np

import bwl

from . import bbi
from .fuzz import INTERESTING_32, INTERESTING_64, MAX_BASES, check_names_file

# ----------------------------------------------------------------- seeds

BED_CHROMS = {"chr1": 20_000, "chr2": 3_000, "chrM": 30, "chrE": 500}  # chrE: no records

AUTOSQL = """table bed6plus
"BED6+2: name, score, strand, then a signal value and a free-text note"
(
string  chrom;      "Reference sequence chromosome"
uint    chromStart; "Start position in chromosome"
uint    chromEnd;   "End position in chromosome"
string  name;       "Name of item"
uint    score;      "Score from 0-1000"
char[1] strand;     "+, - or ."
float   signal;     "Signal value"
lstring note;       "Free text"
)
"""

AUTOSQL_FIELDS = 8  # fieldCount of AUTOSQL's table; definedFieldCount 6 (BED6)


def seed_records(seed: int = 11, small: bool = True) -> list[tuple[str, int, int, str]]:
    """Sorted (chrom, start, end, rest) records: overlapping, of 1 to 1,500
    bases, a whole-chromosome one on chrM, rest strings of BED6+2 fields."""
    rng = np.random.default_rng(seed)
    counts = {"chr1": 60, "chr2": 12, "chrM": 2, "chrE": 0}
    out = []
    for name, size in BED_CHROMS.items():
        n = counts[name] * (1 if small else 10)
        starts = np.sort(rng.integers(0, size - 1, n)).tolist()
        if name == "chrM":
            starts = [0, 5]
        for k, s in enumerate(starts):
            e = size if name == "chrM" and k == 0 else min(size, s + int(rng.integers(1, 1500 if size > 2000 else 10)))
            rest = "\t".join([f"{name}_{k}", str(int(rng.integers(0, 1001))), "+-."[k % 3],
                              f"{rng.normal():.3f}", "note " + "x" * int(rng.integers(0, 30))])
            out.append((name, s, e, rest))
    return out


def zoom_levels(records: Sequence[tuple[str, int, int, str]], reductions: Sequence[int]) -> list:
    """Zoom records of ``records``' coverage depth as UCSC writes a bigBed's:
    per reduction window with data, (chromId, start, end, bases covered, min,
    max, sum and sum of squares of the depth over the covered bases)."""
    ids = {n: i for i, n in enumerate(BED_CHROMS)}
    out = []
    for r in reductions:
        recs = []
        for name, size in BED_CHROMS.items():
            diff = np.zeros(size + 1, np.int64)
            for c, s, e, _ in records:
                if c == name and e > s:
                    diff[s] += 1
                    diff[e] -= 1
            depth = np.cumsum(diff[:-1])
            for w0 in range(0, size, r):
                d = depth[w0:w0 + r]
                cov = d > 0
                if cov.any():
                    x = d[cov].astype(np.float64)
                    recs.append((ids[name], w0, min(w0 + r, size), int(cov.sum()), float(x.min()), float(x.max()),
                                 float(x.sum()), float((x * x).sum())))
        out.append((r, recs))
    return out


def hand_built(records, endian: str = "<", compress: bool = True, per_block: int = 8) -> bytes:
    """A bigBed of ``records`` from support.bbi.build_bbi: ``per_block``
    records a block, the autoSql, two zoom levels and a name index."""
    ids = {n: i for i, n in enumerate(BED_CHROMS)}
    blocks = []
    for name in BED_CHROMS:
        rs = [(ids[n], s, e, r) for n, s, e, r in records if n == name]
        for k in range(0, len(rs), per_block):
            part = rs[k:k + per_block]
            blocks.append((ids[name], part[0][1], ids[name], max(e for _, _, e, _ in part), bbi.bed_records(part, endian)))
    data, _ = bbi.build_bbi(list(BED_CHROMS.items()), blocks, endian=endian, compress=compress, bigbed=True,
                            autosql=AUTOSQL, field_count=AUTOSQL_FIELDS, defined_field_count=6,
                            zooms=zoom_levels(records, (200, 2000)), name_index=True)
    return data


def seed_files(directory: str, small: bool = False) -> dict[str, str]:
    """Valid bigBeds in ``directory`` (name -> path): pybigtools-written
    (BED6+2 with its autoSql; BED3), and hand-built little / big endian x
    zlib / raw. ``small``: fewer records (faster inputs for fuzzing)."""
    import pybigtools

    os.makedirs(directory, exist_ok=True)
    recs = seed_records(small=small)
    out = {}
    p = os.path.join(directory, "bigbed_pybigtools_bed6plus.bb")
    pybigtools.open(p, "w").write(dict(BED_CHROMS), iter(recs), autosql=AUTOSQL)
    out["bigbed_pybigtools_bed6plus"] = p
    p = os.path.join(directory, "bigbed_pybigtools_bed3.bb")
    pybigtools.open(p, "w").write(dict(BED_CHROMS), iter((c, s, e, "") for c, s, e, _ in recs))
    out["bigbed_pybigtools_bed3"] = p
    for endian in ("<", ">"):
        for comp in (True, False):
            name = f"bigbed_{'little' if endian == '<' else 'big'}_{'zlib' if comp else 'raw'}"
            p = os.path.join(directory, name + ".bb")
            with open(p, "wb") as fh:
                fh.write(hand_built(recs, endian, comp))
            out[name] = p
    return out


# ----------------------------------------------------------------- target

PARTNER_CHROMS = {"chr2": 3_000, "chrW": 100}  # chr2 as in the seeds; chrW in no bigBed


def partner_bigwig(directory: str) -> str:
    """A small valid bigWig in ``directory`` (written once) that the target
    mixes with the bigBed in a Collection."""
    p = os.path.join(directory, "fuzz_partner.bw")
    if not os.path.exists(p):
        tmp = p + f".{os.getpid()}.tmp"
        bwl.write(tmp, PARTNER_CHROMS, {"chr2": ([0, 100, 2_900], [50, 400, 3_000], [1.0, 2.5, -1.0])})
        os.replace(tmp, p)
    return p


class _Failed:
    """A read that raised an expected error (the others go on)."""


FAILED = _Failed()


def _attempt(path: str, fn: Callable):
    """``fn()``, or FAILED where it raised a FormatError (which must name the file)."""
    try:
        return fn()
    except bwl.FormatError as e:  # a damaged block: other reads go on
        check_names_file(e, path)
        return FAILED


def _coverage(starts: np.ndarray, ends: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Per-base depth of [lo, hi) from records (those with end <= start cover nothing)."""
    diff = np.zeros(hi - lo + 1, np.int64)
    s = np.clip(starts.astype(np.int64), lo, hi)
    e = np.clip(ends.astype(np.int64), lo, hi)
    keep = (ends.astype(np.int64) > starts.astype(np.int64)) & (e > s)
    np.add.at(diff, s[keep] - lo, 1)
    np.add.at(diff, e[keep] - lo, -1)
    return np.cumsum(diff[:-1])


def _entries(f, chrom: str, start: int, end: int, with_string: bool = True):
    """f.entries, checked: equal lengths, uint32, strings only when asked
    for, every entry overlapping [start, end)."""
    s, e, rest = f.entries(chrom, start, end, with_string=with_string)
    if not (len(s) == len(e) == len(rest)) or s.dtype != np.uint32 or e.dtype != np.uint32:
        raise AssertionError(f"entries: {len(s)} starts, {len(e)} ends, {len(rest)} strings ({s.dtype}, {e.dtype})")
    if not all(isinstance(r, str) for r in rest) or (not with_string and any(rest)):
        raise AssertionError(f"entries: rest strings wrong for with_string={with_string}")
    if len(s) and not (np.all(e.astype(np.int64) > start) and np.all(s.astype(np.int64) < end)):
        raise AssertionError(f"entries({chrom}, {start}, {end}) gave an entry outside the range")
    return s, e, rest


def _pybigwig_call(fn: Callable, what: str):
    """A bwl.pybigwig call: pyBigWig's contract is that every failure is a
    RuntimeError (FormatError is one); anything else is a finding."""
    try:
        return fn()
    except RuntimeError:
        return FAILED
    except Exception as e:  # noqa: BLE001 - this is what we look for
        raise AssertionError(f"bwl.pybigwig {what} raised {type(e).__name__} (not RuntimeError): {e}") from e


def _exercise_pybigwig(path: str, chroms: dict[str, int], seen: dict) -> None:
    from bwl import pybigwig

    g = _pybigwig_call(lambda: pybigwig.open(path), "open")
    if g is FAILED:
        return
    with g:
        if not g.isBigBed() or g.isBigWig():
            raise AssertionError("bwl.pybigwig: a bigBed that is not isBigBed()")
        _pybigwig_call(g.SQL, "SQL")
        _pybigwig_call(g.header, "header")
        if _pybigwig_call(g.chroms, "chroms") != chroms:
            raise AssertionError("bwl.pybigwig chroms() differ from bwl's")
        for c, n in itertools.islice(((c, min(n, MAX_BASES)) for c, n in chroms.items() if n > 0), 3):
            got = _pybigwig_call(lambda: g.entries(c, 0, n), "entries")  # over the range of seen[c]
            want = seen.get(c)
            if got is not FAILED and want is not None and got != list(zip(want[0].tolist(), want[1].tolist(), want[2])):
                raise AssertionError(f"bwl.pybigwig entries({c}) differ from bwl's")
            _pybigwig_call(lambda: g.entries(c, 0, n, withString=False), "entries(withString=False)")
            for what, fn in (("values", lambda: g.values(c, 0, 1)), ("intervals", lambda: g.intervals(c)),
                             ("stats", lambda: g.stats(c))):
                if _pybigwig_call(fn, what) is not FAILED:
                    raise AssertionError(f"bwl.pybigwig {what} on a bigBed did not raise")


def exercise(path: str, collection: bool = True, threads: int = 2) -> dict:
    """Everything a user does with a bigBed; returns a small digest. Raises
    whatever bwl raises (a FormatError from one read lets the others go on)."""
    digest: dict = {}
    seen: dict = {}  # chrom -> entries over [0, min(size, MAX_BASES)), when they read
    with bwl.open(path) as f:
        h = f.header()
        if not f.is_bigbed or not h.get("bigBed"):
            raise AssertionError("a bigBed magic, but bwl does not read the file as a bigBed")
        digest["blocks"] = h["blockCount"]
        sql = _attempt(path, f.sql)
        digest["sql"] = -1 if sql is FAILED else len(sql)
        chroms = f.chroms()
        for c, size in chroms.items():
            n = min(size, MAX_BASES)
            if n == 0:
                continue
            ent = _attempt(path, lambda: _entries(f, c, 0, n))
            if ent is not FAILED:
                seen[c] = ent
            out = [-1 if ent is FAILED else len(ent[0])]
            for fn in (
                lambda: len(_entries(f, c, n // 3, n, with_string=False)[0]),
                lambda: len(f.entries(c)[0]),  # to the chrom end (up to 2^32-1 bases)
                lambda: f.stats(c, 0, n, type="mean", nBins=min(n, 7)),
                lambda: f.stats(c, 0, n, type="max", nBins=1),
                lambda: f.stats(c, 0, n, type="min", nBins=min(n, 2)),
                lambda: f.stats(c, 0, n, type="std", nBins=min(n, 3), exact=True),
                lambda: f.stats(c, 0, n, type="cov", nBins=min(n, 100)),
                lambda: f.stats(c, 0, n, type="sum", nBins=1, exact=True),
            ):
                r = _attempt(path, fn)
                out.append(-1 if r is FAILED else r if isinstance(r, int) else int(np.isnan(r).sum()))
            if ent is not FAILED:  # exact stats are the coverage of the entries
                cov = _coverage(ent[0], ent[1], 0, n)
                mx = _attempt(path, lambda: f.stats(c, 0, n, type="max", nBins=1, exact=True)[0])
                cv = _attempt(path, lambda: f.stats(c, 0, n, type="cov", nBins=1, exact=True)[0])
                want_mx = float(cov.max()) if cov.any() else float("nan")
                if mx is not FAILED and not (mx == want_mx or (np.isnan(mx) and np.isnan(want_mx))):
                    raise AssertionError(f"stats({c}, max, exact) = {mx}, the entries' coverage says {want_mx}")
                want_cv = np.count_nonzero(cov) / n if cov.any() else float("nan")
                if cv is not FAILED and not (np.isclose(cv, want_cv) or (np.isnan(cv) and np.isnan(want_cv))):
                    raise AssertionError(f"stats({c}, cov, exact) = {cv}, the entries' coverage says {want_cv}")
            for what, fn in (("values", lambda: f.values(c, 0, 1)), ("intervals", lambda: f.intervals(c, 0, 1))):
                try:
                    fn()
                except ValueError:
                    pass
                else:
                    raise AssertionError(f"{what} on a bigBed did not raise ValueError")
            digest[c] = out
        _exercise_pybigwig(path, chroms, seen)
        if collection:
            _exercise_collection(f, path, chroms, threads, seen)
    return digest


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) runs of True in ``mask``."""
    d = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


WINDOW = 1000  # the Collection's window length (oob="pad": windows may pass the chromosome's ends)


def _windows(chroms: dict[str, int], names: list[str], seen: dict) -> list[tuple[str, int]]:
    """Four (chrom, start) windows aimed at records, on the largest, second
    largest, largest and smallest chromosome: the i-th at the start of one
    of its chromosome's entries (spread over them, so over blocks), shifted
    by -5i bases, ending inside the chromosome when it is long enough; at
    base 0 where there are none."""
    by_size = sorted(names, key=lambda k: -chroms[k])
    out = []
    for i, j in enumerate((0, 1, 0, -1)):
        k = by_size[j % len(by_size)]
        st = seen[k][0] if k in seen else np.zeros(0, np.uint32)
        a = int(st[(i * 7919) % len(st)]) if len(st) else 0
        out.append((k, min(a - 5 * i, chroms[k] - WINDOW) if chroms[k] >= WINDOW else a - 5 * i))
    return out


def _exercise_collection(f, path: str, chroms: dict[str, int], threads: int, seen: dict) -> None:
    """Collection [bigBed, bigWig] in mode "coverage" with a decoded-block
    cache (values per base, twice, the second from the cache; pooled;
    region stats), [bigBed] in mode "mask" with cache="host" (values,
    intervals), [bigBed] preloaded: windows of WINDOW bases at records,
    padded past the chromosome's ends. Inside the chromosome the bigBed's
    row must be the coverage (mask) of f.entries there, NaN outside the
    Collection's chromosome; its intervals the runs its entries cover."""
    names = [k for k, n in chroms.items() if n > 0]
    if not names:
        return
    partner = partner_bigwig(os.path.dirname(os.path.abspath(path)))
    wins = _windows(chroms, names, seen)
    chrom_list = [k for k, _ in wins]
    starts = np.array([a for _, a in wins], np.int64)
    ends = starts + WINDOW
    # Per window: the bases inside the bigBed's chromosome [lo, hi), and their coverage from the
    # entries, for windows that end inside it (one that passes the end also reads the blocks the
    # R-tree places past the end, which entries() never reach: a damaged file may hold records
    # inside the chromosome there).
    # A window that ends inside reads the blocks entries() read there: the Collection must raise
    # where they raise (a damaged block), and (when every window ends inside) not where they read.
    inside, failed, all_inside = [], False, True
    for k, a in wins:
        lo, hi = max(a, 0), min(a + WINDOW, chroms[k])
        all_inside &= a + WINDOW <= chroms[k]
        ent = _attempt(path, lambda: f.entries(k, lo, hi, with_string=False)) if hi > lo and a + WINDOW <= chroms[k] \
            else None
        failed |= ent is FAILED
        inside.append((lo, hi, None if ent is None or ent is FAILED else _coverage(ent[0], ent[1], lo, hi)))
    for mode, paths, kw in (("coverage", [path, partner], dict(decoded_cache=1 << 22)),
                            ("mask", [path], dict(cache="host")),
                            ("coverage", [path], dict(decoded_cache=1 << 23, preload=True))):
        c = bwl.Collection(paths, threads=threads, mode=mode, **kw)
        for call in range(2 if "decoded_cache" in kw else 1):
            try:
                v = c.values(chrom_list, starts, ends, oob="pad")
            except bwl.FormatError as e:
                check_names_file(e, path)
                if not failed and all_inside:
                    raise AssertionError(f"Collection {mode} {kw} (call {call + 1}) raised where entries() read: {e}") from e
                raise
            if failed:
                raise AssertionError(f"Collection {mode} {kw} (call {call + 1}) read windows where entries() raise")
            if v.shape != (4, len(paths), WINDOW):
                raise AssertionError(f"Collection.values shape {v.shape}, want {(4, len(paths), WINDOW)}")
            for b, ((k, a), (lo, hi, cov)) in enumerate(zip(wins, inside)):
                size = max(chroms[k], PARTNER_CHROMS.get(k, 0) if len(paths) > 1 else 0)  # the Collection's
                row = v[b, 0]
                if not (np.isnan(row[:max(0, -a)]).all() and np.isnan(row[max(0, min(WINDOW, size - a)):]).all()):
                    raise AssertionError(f"Collection {mode} of {k}:{a}-{a + WINDOW}: a value outside the chromosome")
                if cov is None:
                    continue
                want = ((cov > 0) if mode == "mask" else cov).astype(np.float32)
                got = row[lo - a:hi - a]
                if not np.array_equal(got, want):
                    bad = int(np.flatnonzero(got != want)[0])
                    raise AssertionError(f"Collection {mode} {kw} of {k}:{a}-{a + WINDOW} differs from the entries' "
                                         f"coverage (first at {lo + bad}: {got[bad]} vs {want[bad]})")
        c.values(chrom_list, starts, ends, window=2, dtype="float16", layout="BLT", summary="max", oob="pad")
        if kw.get("preload"):
            continue
        if mode == "coverage":  # regions: the windows' parts inside the chromosome
            ok = [b for b, (lo, hi, _) in enumerate(inside) if hi > lo]
            if not ok:
                continue
            rc, rs, re_ = [chrom_list[b] for b in ok], [inside[b][0] for b in ok], [inside[b][1] for b in ok]
            st = c.stats(rc, rs, re_, type="max", exact=True)
            for j, b in enumerate(ok):
                cov = inside[b][2]
                mx = float(cov.max()) if cov is not None and cov.any() else float("nan")
                if cov is not None and not (st[j, 0] == mx or (np.isnan(st[j, 0]) and np.isnan(mx))):
                    raise AssertionError(f"Collection.stats max of {rc[j]}:{rs[j]}-{re_[j]} = {st[j, 0]}, "
                                         f"the entries' coverage says {mx}")
            c.stats(rc, rs, re_, type="mean")
        else:
            ic, i_s, i_e = c.intervals(threshold=0.5, chroms=names)
            for k in names:
                if k in seen and chroms[k] <= MAX_BASES:
                    got = list(zip(i_s[ic == k].tolist(), i_e[ic == k].tolist()))
                    w = _runs(_coverage(seen[k][0], seen[k][1], 0, chroms[k]) > 0)
                    if got != w:
                        raise AssertionError(f"Collection.intervals of {k} ({len(got)} runs) differ from the runs its "
                                             f"entries cover ({len(w)})")


# ----------------------------------------------------------------- mutation


def _leaves(data: bytes, index_offset: int, e: str) -> list[tuple[int, int, int]]:
    """(leaf item offset field position, block offset, block size) of the
    R-tree at ``index_offset``, blocks inside the file only; tolerant."""
    out = []
    try:
        for x in itertools.islice(bbi.rtree(data, index_offset, e, max_depth=8), 5_000):
            if isinstance(x, bbi.RItem) and x.is_leaf:
                out.append((x.pos + 16, x.offset, x.size))
    except (struct.error, OverflowError):
        pass
    return [(q, o, s) for q, o, s in out if o + s <= len(data)]


def _rtree_items(data: bytes, index_offset: int, e: str) -> list:
    try:
        return list(itertools.islice(bbi.rtree(data, index_offset, e, max_depth=8), 5_000))
    except (struct.error, OverflowError):
        return []


def locate(data: bytes) -> dict | None:
    """The parts of a bigBed (tolerant of damage): byte order ``e``, header
    ``h``, data ``blocks`` [(leaf pos, offset, size)], ``zooms`` (headers
    with their ``blocks``), chromosome tree ``citems`` (nodes and items),
    ``autosql`` (offset, NUL offset) or None, ``ext`` and ``extra`` (the
    extension header and extra-index list) or None / []. None when the
    header is not a bigBed's."""
    if len(data) < 64 or not bbi.is_bigbed(data):
        return None
    e, h = bbi.header(data)
    loc = dict(e=e, h=h, blocks=_leaves(data, h["fullIndexOffset"], e), zooms=[], citems=[], autosql=None,
               ext=None, extra=[])
    try:
        for z in bbi.zoom_headers(data, e, min(h["zoomLevels"], 16)):
            z["blocks"] = _leaves(data, z["indexOffset"], e) if z["indexOffset"] < len(data) else []
            loc["zooms"].append(z)
    except struct.error:
        pass
    try:
        for x in itertools.islice(bbi.chrom_tree(data, h["chromTreeOffset"], e, max_depth=8), 2_000):
            loc["citems"].append(x)
    except (struct.error, OverflowError, MemoryError):
        pass
    off = h["autoSqlOffset"]
    if 0 < off < len(data):
        end = data.find(b"\0", off)
        loc["autosql"] = (off, end if end >= 0 else len(data))
    if 0 < h["extensionOffset"] < len(data):
        try:
            loc["ext"] = bbi.extension(data, h["extensionOffset"], e)
            loc["extra"] = bbi.extra_indexes(data, loc["ext"]["extraIndexListOffset"], e,
                                             min(loc["ext"]["extraIndexCount"], 8))
        except (struct.error, OverflowError):
            pass
    return loc


# header fields of a bigBed: offset -> (struct format, name)
HEADER_FIELDS = {6: ("H", "zoomLevels"), 32: ("H", "fieldCount"), 34: ("H", "definedFieldCount"),
                 36: ("Q", "autoSqlOffset"), 44: ("Q", "totalSummaryOffset"), 52: ("I", "uncompressBufSize"),
                 56: ("Q", "extensionOffset")}
BAD_TEXT = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80\x80\x80", b"\xf4\x90\x80\x80", b"\x00", b"\t" * 7)


def _choice(rng: np.random.Generator, seq):
    return seq[int(rng.integers(0, len(seq)))]


def _offset_value(rng: np.random.Generator, m: bytearray, loc: dict) -> int:
    """An offset worth pointing at: EOF and around it, another part of the
    file, a data or zoom block, a huge value."""
    n = len(m)
    spots = [0, 1, 63, 64, n - 1, n, n + 1, int(rng.integers(0, n + 1)), 2**32, 2**64 - 1, 2**63]
    spots += [o for _, o, _ in loc["blocks"][:4]] + [z["dataOffset"] for z in loc["zooms"]]
    spots += [loc["h"][k] for k in ("chromTreeOffset", "fullDataOffset", "fullIndexOffset", "autoSqlOffset")]
    return int(_choice(rng, spots)) % 2**64


def _put_block(m: bytearray, loc: dict, leaf: int, off: int, size: int, raw: bytes, comp: bool,
               rng: np.random.Generator) -> bytearray:
    """Stores ``raw`` as the block at (off, size): zlib when ``comp``; in
    place when the size is unchanged, else appended and re-pointed from the
    R-tree leaf at ``leaf``. uncompressBufSize follows a grown block mostly
    (so the records are decoded, not refused for their size)."""
    e = loc["e"]
    new = zlib.compress(raw) if comp else raw
    if len(new) == size:
        m[off:off + size] = new
    else:
        struct.pack_into(e + "QQ", m, leaf, len(m), len(new))
        m += new
    if comp and len(raw) > loc["h"]["uncompressBufSize"] and rng.random() < 0.8:
        struct.pack_into(e + "I", m, 52, min(len(raw), 2**32 - 1))
    return m


def _inflate(block: bytes, comp: bool) -> tuple[bytearray | None, bool]:
    if not comp:
        return bytearray(block), False
    try:
        return bytearray(zlib.decompress(block)), True
    except zlib.error:
        return None, True


def _chrom_ids(loc: dict) -> list[int]:
    return [x.chrom_id for x in loc["citems"] if isinstance(x, bbi.CItem) and x.is_leaf]


def _mutate_records(m: bytearray, rng: np.random.Generator, loc: dict) -> bytearray:
    """Edits records inside one data block (chromId, start, end, the rest
    string) and stores it back (re-compressed, re-pointed)."""
    if not loc["blocks"]:
        return m
    e = loc["e"]
    leaf, off, size = _choice(rng, loc["blocks"])
    raw, comp = _inflate(bytes(m[off:off + size]), loc["h"]["uncompressBufSize"] != 0)
    if raw is None:
        return m
    recs = list(bbi.bed_records_in(bytes(raw), e))
    if not recs:
        return m
    r = _choice(rng, recs)
    k = int(rng.integers(0, 14))
    ids = _chrom_ids(loc) or [0]
    if k == 0:  # chromId: another chrom's, out of range, huge
        struct.pack_into(e + "I", raw, r.pos, int(_choice(rng, ids + [max(ids) + 1, len(ids), 2**31, 2**32 - 1])))
    elif k == 1:  # start > end
        struct.pack_into(e + "II", raw, r.pos + 4, max(r.start, r.end) + int(rng.integers(1, 1000)), min(r.start, r.end))
    elif k == 2:  # end far out, at the start, or start at the top
        struct.pack_into(e + "I", raw, r.pos + 8, int(_choice(rng, [2**32 - 1, r.start, r.end + 10**6, 2**31, 0])))
        if rng.random() < 0.3:
            struct.pack_into(e + "I", raw, r.pos + 4, int(_choice(rng, [2**32 - 1, 2**32 - 2, 2**31])))
    elif k == 3:  # no NUL: the rest runs into the next record (the last one past the block)
        raw[r.rest_end] = ord("x")
    elif k == 4:  # a very long rest string
        raw[r.rest_end:r.rest_end] = _choice(rng, [b"x", b"\t", b"ab\t"]) * int(_choice(rng, [300, 5_000, 70_000, 2**20]))
    elif k == 5:  # non-UTF-8 bytes in the rest
        at = int(rng.integers(r.rest, r.rest_end + 1))
        raw[at:at] = _choice(rng, BAD_TEXT[:5])
    elif k == 6:  # empty rest
        del raw[r.rest:r.rest_end]
    elif k == 7:  # a NUL inside the rest: the bytes after it parse as a record
        if r.rest_end > r.rest:
            raw[int(rng.integers(r.rest, r.rest_end))] = 0
    elif k == 8:  # the record many times over (deep coverage), up to 4 MiB
        rec = bytes(raw[r.pos:r.rest_end + 1])
        raw[r.pos:r.pos] = rec * min(int(_choice(rng, [2, 100, 5_000, 40_000])), max(1, (4 << 20) // len(rec)))
    elif k == 9:  # records out of order
        order = list(range(len(recs)))
        rng.shuffle(order)
        raw = bytearray(b"".join(bytes(raw[recs[i].pos:recs[i].rest_end + 1]) for i in order))
    elif k == 10:  # the block cut mid-record
        del raw[int(rng.integers(0, len(raw))):]
    elif k == 11:  # zero-length, or covering the whole chromosome
        s = r.start if rng.random() < 0.5 else 0
        struct.pack_into(e + "II", raw, r.pos + 4, s, s if rng.random() < 0.5 else 2**32 - 1)
    elif k == 12:  # an interesting u32 in the fixed part
        struct.pack_into(e + "I", raw, r.pos + 4 * int(rng.integers(0, 3)), int(_choice(rng, INTERESTING_32)))
    else:  # a record header with no rest at the very end
        raw += struct.pack(e + "III", r.chrom_id, r.start, r.end)
    return _put_block(m, loc, leaf, off, size, bytes(raw), comp, rng)


def _mutate_zoom_block(m: bytearray, rng: np.random.Generator, loc: dict) -> bytearray:
    """Edits zoom records (32 bytes each) in one zoom data block."""
    zs = [z for z in loc["zooms"] if z["blocks"]]
    if not zs:
        return m
    e = loc["e"]
    leaf, off, size = _choice(rng, _choice(rng, zs)["blocks"])
    raw, comp = _inflate(bytes(m[off:off + size]), loc["h"]["uncompressBufSize"] != 0)
    if raw is None or len(raw) < 32:
        return m
    i = 32 * int(rng.integers(0, len(raw) // 32))
    k = int(rng.integers(0, 7))
    if k == 0:  # chromId
        struct.pack_into(e + "I", raw, i, int(_choice(rng, _chrom_ids(loc) + [2**32 - 1, 2**31, 12])))
    elif k == 1:  # start > end, or huge
        a, b = struct.unpack_from(e + "II", raw, i + 4)
        struct.pack_into(e + "II", raw, i + 4, *((b, a) if rng.random() < 0.5 else (a, 2**32 - 1)))
    elif k == 2:  # validCount
        struct.pack_into(e + "I", raw, i + 12, int(_choice(rng, [0, 1, 2**31, 2**32 - 1])))
    elif k == 3:  # min, max, sum, sumSquares: NaN, inf, huge, negative
        struct.pack_into(e + "f", raw, i + 16 + 4 * int(rng.integers(0, 4)),
                         float(_choice(rng, [float("nan"), float("inf"), -float("inf"), 3.4e38, -1.0, 0.0])))
    elif k == 4:  # not a whole number of records
        del raw[len(raw) - int(rng.integers(1, 32)):]
    elif k == 5:  # many copies of a record
        raw[i:i] = bytes(raw[i:i + 32]) * int(_choice(rng, [2, 1_000, 30_000]))
    else:
        struct.pack_into(e + "I", raw, i + 4 * int(rng.integers(0, 8)), int(_choice(rng, INTERESTING_32)))
    return _put_block(m, loc, leaf, off, size, bytes(raw), comp, rng)


def _mutate_header(m: bytearray, rng: np.random.Generator, loc: dict) -> bytearray:
    e = loc["e"]
    pos = int(_choice(rng, list(HEADER_FIELDS)))
    fmt, name = HEADER_FIELDS[pos]
    if name in ("fieldCount", "definedFieldCount"):
        v = int(_choice(rng, [0, 1, 2, 3, 4, 6, 12, 13, 255, 0x7FFF, 0xFFFF, loc["h"]["fieldCount"] + 1]))
    elif name == "zoomLevels":
        v = int(_choice(rng, [0, 1, len(loc["zooms"]) + 1, 10, 0xFFFF]))
    elif name == "uncompressBufSize":
        ubs = loc["h"]["uncompressBufSize"]
        v = int(_choice(rng, [0, 1, ubs - 1 if ubs else 1, ubs + 1, 2**31, 2**32 - 1]))
    else:
        v = _offset_value(rng, m, loc)
    struct.pack_into(e + fmt, m, pos, v % 2 ** (8 * struct.calcsize(fmt)))
    return m


def _mutate_zoom_header(m: bytearray, rng: np.random.Generator, loc: dict) -> bytearray:
    if not loc["zooms"]:
        return m
    z = _choice(rng, loc["zooms"])
    k = int(rng.integers(0, 4))
    if k == 0:  # reductionLevel
        struct.pack_into(loc["e"] + "I", m, z["at"], int(_choice(rng, [0, 1, 2, 50, 2**31, 2**32 - 1])))
    elif k == 1:  # dataOffset
        struct.pack_into(loc["e"] + "Q", m, z["at"] + 8, _offset_value(rng, m, loc))
    elif k == 2:  # indexOffset: another level's, the main index, anywhere
        others = [y["indexOffset"] for y in loc["zooms"]] + [loc["h"]["fullIndexOffset"]]
        v = int(_choice(rng, others)) if rng.random() < 0.5 else _offset_value(rng, m, loc)
        struct.pack_into(loc["e"] + "Q", m, z["at"] + 16, v)
    else:  # two levels swapped
        y = _choice(rng, loc["zooms"])
        a, b = bytes(m[z["at"]:z["at"] + 24]), bytes(m[y["at"]:y["at"] + 24])
        m[z["at"]:z["at"] + 24], m[y["at"]:y["at"] + 24] = b, a
    return m


def _mutate_chrom_tree(m: bytearray, rng: np.random.Generator, loc: dict) -> bytearray:
    e = loc["e"]
    t = loc["h"]["chromTreeOffset"]
    items = [x for x in loc["citems"] if isinstance(x, bbi.CItem)]
    nodes = [x for x in loc["citems"] if isinstance(x, bbi.Node)]
    k = int(rng.integers(0, 7))
    if k == 0 and t + 32 <= len(m):  # the tree header: blockSize, keySize, valSize, itemCount
        pos, fmt, vals = _choice(rng, [(4, "I", [0, 1, 0xFFFF, 2**32 - 1]), (8, "I", [0, 1, 2, 255, 2**20, 2**20 + 1]),
                                       (12, "I", [0, 4, 7, 16, 2**32 - 1]), (16, "Q", [0, 1, 2**32, 2**64 - 1])])
        struct.pack_into(e + fmt, m, t + pos, int(_choice(rng, vals)))
    elif k == 1 and nodes:  # a node's isLeaf or count
        nd = _choice(rng, nodes)
        if rng.random() < 0.5:
            m[nd.offset] ^= 1
        else:
            struct.pack_into(e + "H", m, nd.offset + 2, int(_choice(rng, [0, 1, nd.count + 1, 0x7FFF, 0xFFFF])))
    elif items:
        it = _choice(rng, items)
        ks = len(it.key)
        if it.is_leaf and k == 2:  # chrom id: a duplicate, out of range, huge
            struct.pack_into(e + "I", m, it.pos + ks, int(_choice(rng, _chrom_ids(loc) + [len(items), 2**31, 2**32 - 1])))
        elif it.is_leaf and k == 3:  # chrom size: 0, 1, smaller than the records, huge
            struct.pack_into(e + "I", m, it.pos + ks + 4,
                             int(_choice(rng, [0, 1, 2, 10, (it.size or 2) // 2, 2**31, 2**32 - 1])))
        elif k == 4 and ks:  # the key: non-UTF-8, empty, another chrom's, odd bytes
            other = _choice(rng, items).key
            key = _choice(rng, [b"\xff" + it.key[1:], b"\0" * ks, other, b"\t" + it.key[1:], it.key[:-1] + b"\x80"])
            m[it.pos:it.pos + ks] = key[:ks].ljust(ks, b"\0")
        elif not it.is_leaf:  # a branch's child pointer
            struct.pack_into(e + "Q", m, it.pos + ks, _offset_value(rng, m, loc))
        else:  # swap two leaves' (id, size)
            o = _choice(rng, items)
            a, b = bytes(m[it.pos + ks:it.pos + ks + 8]), bytes(m[o.pos + ks:o.pos + ks + 8])
            m[it.pos + ks:it.pos + ks + 8], m[o.pos + ks:o.pos + ks + 8] = b, a
    return m


def _mutate_rtree(m: bytearray, rng: np.random.Generator, loc: dict) -> bytearray:
    """The main or a zoom level's R-tree: header, node counts and flags,
    leaf bounds, block offsets and sizes, branch pointers, two leaves
    naming one offset (with sizes that end at a record, so both read)."""
    e = loc["e"]
    idx = loc["h"]["fullIndexOffset"]
    if loc["zooms"] and rng.random() < 0.35:
        idx = _choice(rng, loc["zooms"])["indexOffset"]
    if idx + 48 > len(m):
        return m
    xs = _rtree_items(bytes(m), idx, e)
    nodes = [x for x in xs if isinstance(x, bbi.Node)]
    items = [x for x in xs if isinstance(x, bbi.RItem)]
    k = int(rng.integers(0, 7))
    leaves = [x for x in items if x.is_leaf and x.offset + x.size <= len(m)]
    if k == 6 and len(leaves) >= 2:  # a leaf aliasing another's block: same offset, another size ending at a record
        i = int(rng.integers(0, len(leaves)))  # mostly neighbours: windows that read one read the other
        y = leaves[i]
        x = leaves[(i + int(_choice(rng, [-1, 1]))) % len(leaves)] if rng.random() < 0.7 else _choice(rng, leaves)
        raw = bytes(m[y.offset:y.offset + 2 * y.size])  # raw blocks lie end to end: the next block's records follow
        ends = [r.rest_end + 1 for r in bbi.bed_records_in(raw, e)] if loc["h"]["uncompressBufSize"] == 0 else [y.size]
        struct.pack_into(e + "QQ", m, x.pos + 16, y.offset, int(_choice(rng, ends or [y.size])))
    elif k == 0:  # header: blockSize, itemCount, itemsPerSlot
        pos, fmt, vals = _choice(rng, [(4, "I", [0, 1, 2**16, 2**32 - 1]), (8, "Q", [0, 1, len(items) + 1, 2**32, 2**64 - 1]),
                                       (40, "I", [0, 1, 2**32 - 1])])
        struct.pack_into(e + fmt, m, idx + pos, int(_choice(rng, vals)))
    elif k == 1 and nodes:  # isLeaf or count
        nd = _choice(rng, nodes)
        if rng.random() < 0.5:
            m[nd.offset] ^= 1
        else:
            struct.pack_into(e + "H", m, nd.offset + 2, int(_choice(rng, [0, 1, nd.count + 1, 0xFFFF])))
    elif k == 2 and items:  # bounds: chroms reversed, bases reversed, spanning all, another chrom
        it = _choice(rng, items)
        b = _choice(rng, [(it.ec + 1, it.sb, it.sc, it.eb), (it.sc, it.eb, it.ec, it.sb), (0, 0, 2**32 - 1, 2**32 - 1),
                          (it.sc + 1, it.sb, it.ec + 1, it.eb), (it.sc, 0, it.ec, 2**32 - 1), (it.sc, it.sb, it.ec, it.sb)])
        struct.pack_into(e + "IIII", m, it.pos, *(v % 2**32 for v in b))
    elif k == 3 and items:  # a block's offset: another block, a zoom block, the autoSql, anywhere
        it = _choice(rng, items)
        struct.pack_into(e + "Q", m, it.pos + 16, _offset_value(rng, m, loc))
    elif k == 4 and items:  # a block's size
        it = _choice(rng, [x for x in items if x.is_leaf] or items)
        if it.is_leaf:
            struct.pack_into(e + "Q", m, it.pos + 24, int(_choice(rng, [0, 1, it.size - 1, it.size + 1, 12, 2**32])) % 2**64)
    elif items:  # two leaves swapped (blocks out of order)
        a, b = _choice(rng, items), _choice(rng, items)
        if a.is_leaf == b.is_leaf:
            w = 32 if a.is_leaf else 24
            x, y = bytes(m[a.pos:a.pos + w]), bytes(m[b.pos:b.pos + w])
            m[a.pos:a.pos + w], m[b.pos:b.pos + w] = y, x
    return m


def _mutate_autosql(m: bytearray, rng: np.random.Generator, loc: dict) -> bytearray:
    e = loc["e"]
    k = int(rng.integers(0, 6))
    a = loc["autosql"]
    if k == 0 and a and a[1] > a[0]:  # cut: a NUL inside the text
        m[int(rng.integers(a[0], a[1]))] = 0
    elif k == 1 and a and a[1] < len(m):  # no NUL: the text runs into what follows
        m[a[1]] = ord("x")
    elif k == 2 and a and a[1] > a[0]:  # non-UTF-8 bytes
        at = int(rng.integers(a[0], a[1]))
        bad = _choice(rng, BAD_TEXT[:5])
        m[at:at + len(bad)] = bad
    elif k == 3:  # huge, with or without its NUL (the reader stops at 1 MiB)
        size = int(_choice(rng, [1_000, 65_536, 2**20 - 1, 2**20, 2**20 + 7]))
        struct.pack_into(e + "Q", m, 36, len(m))
        m += (b"table x\n(\n" + b"string f; \"\"\n" * (size // 13))[:size] + (b"\0" if rng.random() < 0.6 else b"")
    elif k == 4:  # at the very end, without a NUL
        struct.pack_into(e + "Q", m, 36, len(m))
        m += AUTOSQL.encode()[:int(rng.integers(0, len(AUTOSQL)))]
    else:  # pointing anywhere
        struct.pack_into(e + "Q", m, 36, _offset_value(rng, m, loc))
    return m


def _mutate_extension(m: bytearray, rng: np.random.Generator, loc: dict) -> bytearray:
    """The extension header, the extra-index list and the extra index's B+ tree."""
    e = loc["e"]
    x = loc["h"]["extensionOffset"]
    if not loc["ext"] or x + 12 > len(m):
        struct.pack_into(e + "Q", m, 56, _offset_value(rng, m, loc))
        return m
    k = int(rng.integers(0, 5))
    if k == 0:  # extensionSize
        struct.pack_into(e + "H", m, x, int(_choice(rng, [0, 1, 2, 63, 65, 0xFFFF])))
    elif k == 1:  # extraIndexCount
        struct.pack_into(e + "H", m, x + 2, int(_choice(rng, [0, 2, 0x7FFF, 0xFFFF])))
    elif k == 2:  # extraIndexListOffset
        struct.pack_into(e + "Q", m, x + 4, _offset_value(rng, m, loc))
    elif k == 3 and loc["extra"]:  # an index entry: type, fieldCount, fileOffset, fieldId
        ix = _choice(rng, loc["extra"])
        pos, fmt, v = _choice(rng, [(0, "H", int(_choice(rng, [1, 0xFFFF]))), (2, "H", int(_choice(rng, [0, 2, 0xFFFF]))),
                                    (4, "Q", _offset_value(rng, m, loc)), (16, "H", int(_choice(rng, [0, 2, 0xFFFF])))])
        if ix["at"] + pos + struct.calcsize(fmt) <= len(m):
            struct.pack_into(e + fmt, m, ix["at"] + pos, v)
    elif loc["extra"]:  # the extra index's B+ tree header
        t = loc["extra"][0]["fileOffset"]
        if t + 32 <= len(m):
            struct.pack_into(e + "I", m, t + 4 * int(rng.integers(0, 5)), int(_choice(rng, INTERESTING_32)))
    return m


def _mutate_summary(m: bytearray, rng: np.random.Generator, loc: dict) -> bytearray:
    e = loc["e"]
    s = loc["h"]["totalSummaryOffset"]
    if not s or s + 40 > len(m):
        struct.pack_into(e + "Q", m, 44, _offset_value(rng, m, loc))
    elif rng.random() < 0.3:
        struct.pack_into(e + "Q", m, s, int(_choice(rng, INTERESTING_64)))
    else:
        struct.pack_into(e + "d", m, s + 8 * int(rng.integers(1, 5)),
                         float(_choice(rng, [float("nan"), float("inf"), -float("inf"), 1e308, -1e308, 2.0**63])))
    return m


MUTATORS = (_mutate_header, _mutate_zoom_header, _mutate_zoom_block, _mutate_chrom_tree, _mutate_rtree,
            _mutate_autosql, _mutate_records, _mutate_records, _mutate_extension, _mutate_summary)


def mutate_once(m: bytearray, rng: np.random.Generator, loc: dict | None = None) -> bytearray:
    """One mutation of a bigBed part (``loc``: :func:`locate` of ``m``,
    computed when None); ``m`` unchanged when it is not a bigBed."""
    loc = loc if loc is not None else locate(bytes(m))
    if loc is None:
        return m
    return _choice(rng, MUTATORS)(m, rng, loc)
