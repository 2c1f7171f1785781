"""`bwl from-bed` (bedToBigBed) against the BED it was given, read back by
pyBigWig and pybigtools; its total summary against the one UCSC's
bedToBigBed wrote into pyBigWig's test.bigBed; its zoom levels against the
coverage depth computed here with numpy; bad input against one clear line
and no output file."""
from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

import bwl
from bwl.cli import main
from bwl.writer import from_bed

SIZES = {"chr1": 120_000, "chr10": 90_000, "chr2": 60_000, "chrUnused": 5_000}


def _run(args, capsys):
    code = main(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _sizes_file(tmp_path, sizes=SIZES):
    p = tmp_path / "chrom.sizes"
    p.write_text("".join(f"{c}\t{n}\n" for c, n in sizes.items()))
    return p


def _bed12(rng, chrom, s, e, i):
    """A valid BED12 line: 1-4 blocks spanning [s, e)."""
    n = int(min(rng.integers(1, 5), e - s))
    cuts = np.sort(rng.choice(np.arange(1, e - s), n - 1, replace=False)) if n > 1 else np.empty(0, int)
    starts = [0, *cuts.tolist()]
    ends = [*(c for c in cuts.tolist()), e - s]
    sizes = [max(1, (b - a) // 2) for a, b in zip(starts, ends)]
    sizes[-1] = ends[-1] - starts[-1]  # the last block ends at chromEnd
    return [chrom, str(s), str(e), f"g{i}", str(int(rng.integers(0, 1001))), "+-."[i % 3], str(s), str(e),
            f"{i % 256},0,{(3 * i) % 256}", str(n), ",".join(map(str, sizes)) + ",", ",".join(map(str, starts)) + ","]


def _records(rng, ncols, chroms=("chr1", "chr10", "chr2"), n=1500):
    """Sorted BED records (lists of fields) with overlaps, nested items,
    zero-length items and items reaching the chromosome's end."""
    out = []
    for c in chroms:
        size = SIZES[c]
        starts = np.sort(rng.integers(0, size - 1, n))
        for i, s in enumerate(starts.tolist()):
            e = min(size, s + int(rng.integers(0 if i % 97 == 0 else 1, 3000)))
            if i % 211 == 0:
                e = size
            if ncols == 12 and e - s < 2:
                e = min(size, s + 2)
            if ncols == 12:
                out.append(_bed12(rng, c, s, e, i))
                continue
            f = [c, str(s), str(e)]
            if ncols >= 4:
                f.append(f"item{i}")
            if ncols >= 5:
                f.append(str(int(rng.integers(0, 1001))))
            if ncols >= 6:
                f.append("+-."[i % 3])
            out.append(f[:ncols])
    return out


def _coverage(recs, chrom):
    cov = np.zeros(SIZES[chrom], np.int64)
    for f in recs:
        if f[0] == chrom:
            cov[int(f[1]):int(f[2])] += 1
    return cov


def _check_read_back(path, recs, autosql_names):
    """Records, chromosomes and schema as pyBigWig and pybigtools read them."""
    import pybigtools
    import pyBigWig

    used = list(dict.fromkeys(f[0] for f in recs))
    want = {c: [(int(f[1]), int(f[2]), "\t".join(f[3:])) for f in recs if f[0] == c] for c in used}
    b = pyBigWig.open(str(path))
    assert b.isBigBed() and b.chroms() == {c: SIZES[c] for c in used}  # only the chroms used, as bedToBigBed
    t = pybigtools.open(str(path))
    assert t.chroms() == {c: SIZES[c] for c in used}
    for c in used:
        assert [tuple(x) if len(x) == 3 else (x[0], x[1], "") for x in b.entries(c, 0, SIZES[c])] == want[c]
        # pybigtools splits the rest at any whitespace, spaces inside a field too
        assert [(r[0], r[1], tuple(r[2:])) for r in t.records(c)] == [(a, b, tuple(x.split())) for a, b, x in want[c]]
    names = [line.split()[1].rstrip(";") for line in b.SQL().decode().splitlines()
             if line.strip().endswith('"') and ";" in line]
    assert names == autosql_names
    return b


BED_NAMES = ["chrom", "chromStart", "chromEnd", "name", "score", "strand", "thickStart", "thickEnd", "reserved",
             "blockCount", "blockSizes", "chromStarts"]


@pytest.mark.parametrize("ncols", [3, 4, 6, 12])
def test_records_read_back_by_pybigwig_and_pybigtools(tmp_path, capsys, ncols):
    recs = _records(np.random.default_rng(ncols), ncols)
    bed = tmp_path / "in.bed"
    bed.write_text("".join("\t".join(f) + "\n" for f in recs))
    out = tmp_path / "out.bb"
    code, text, _ = _run(["from-bed", str(bed), str(_sizes_file(tmp_path)), str(out), "-q"], capsys)
    assert code == 0 and text == ""
    b = _check_read_back(out, recs, BED_NAMES[:ncols])
    # Total summary: the coverage depth, as bedToBigBed writes it.
    cov = np.concatenate([_coverage(recs, c) for c in ("chr1", "chr10", "chr2")])
    h = b.header()
    assert h["nBasesCovered"] == int((cov > 0).sum())
    assert (h["minVal"], h["maxVal"]) == (int(cov[cov > 0].min()), int(cov.max()))
    assert h["sumData"] == int(cov.sum()) and h["sumSquared"] == int((cov * cov).sum())
    assert h["nLevels"] > 0


def test_zoom_levels_summarise_the_coverage(tmp_path):
    """Every record of every zoom level, read from the file by hand
    (support.bbi), equals the coverage depth numpy computes over the record's
    range: bases covered, min, max, sum and sum of squares; the records of a
    level tile each chromosome's covered bases once."""
    import zlib

    from support.bbi import header, rtree_blocks, zoom_headers

    recs = _records(np.random.default_rng(7), 6, n=4000)
    bed, out = tmp_path / "in.bed", tmp_path / "out.bb"
    bed.write_text("".join("\t".join(f) + "\n" for f in recs))
    assert from_bed(bed, _sizes_file(tmp_path), out, progress=False) == len(recs)
    data = out.read_bytes()
    e, h = header(data)
    ids = {c: i for i, c in enumerate(("chr1", "chr10", "chr2"))}  # ids in order of appearance
    cov = {ids[c]: _coverage(recs, c).astype(np.float64) for c in ids}
    levels = zoom_headers(data, e, h["zoomLevels"])
    assert len(levels) >= 2 and all(b["reductionLevel"] == 4 * a["reductionLevel"] for a, b in zip(levels, levels[1:]))
    for z in levels:
        r = z["reductionLevel"]
        got = np.concatenate([np.frombuffer(zlib.decompress(data[x.offset:x.offset + x.size]), e + "u4").reshape(-1, 8)
                              for x in rtree_blocks(data, z["indexOffset"], e)])
        covered = {i: 0 for i in cov}
        for rec in got:
            cid, s, t, n = (int(x) for x in rec[:4])
            mn, mx, sm, sq = rec[4:].view(e + "f4").astype(np.float64)
            assert s // r == (t - 1) // r, "a record stays in its bin"
            v = cov[cid][s:t]
            v = v[v > 0]
            assert n == len(v) and (mn, mx) == (v.min(), v.max())
            assert sm == pytest.approx(v.sum(), rel=1e-6) and sq == pytest.approx((v * v).sum(), rel=1e-6)
            covered[cid] += n
        assert covered == {i: int((c > 0).sum()) for i, c in cov.items()}, r


def test_ucsc_test_bigbed_round_trips_with_its_autosql(tmp_path, capsys):
    """pyBigWig's test.bigBed (written by UCSC's bedToBigBed, bed6+3 with an
    .as): its records through `bwl to-bed` then `bwl from-bed -type=bed6+3
    -as` give the same records, schema and total summary UCSC wrote."""
    import pyBigWig
    import pyBigWigTest

    src = os.path.join(os.path.dirname(pyBigWigTest.__file__), "test.bigBed")
    ucsc = pyBigWig.open(src)
    (tmp_path / "in.as").write_bytes(ucsc.SQL())
    sizes = tmp_path / "chrom.sizes"
    sizes.write_text("".join(f"{c}\t{n}\n" for c, n in ucsc.chroms().items()))
    bed = tmp_path / "in.bed"
    assert _run(["to-bed", src, str(bed)], capsys)[0] == 0
    out = tmp_path / "out.bb"
    assert _run(["from-bed", str(bed), str(sizes), str(out), "-type=bed6+3", f"-as={tmp_path / 'in.as'}", "-q"],
                capsys)[0] == 0
    mine = pyBigWig.open(str(out))
    assert mine.SQL() == ucsc.SQL() and mine.chroms() == ucsc.chroms()
    for c, n in ucsc.chroms().items():
        assert mine.entries(c, 0, n) == ucsc.entries(c, 0, n)
    for k in ("nBasesCovered", "minVal", "maxVal", "sumData", "sumSquared"):
        assert mine.header()[k] == ucsc.header()[k], k
    hd = bwl.open(out).header()
    assert (hd["fieldCount"], hd["definedFieldCount"]) == (9, 6)


def test_options_gzip_tab_spaces_and_types(tmp_path):
    """gzip input, -tab with spaces inside fields, bed6+2 with typed extra
    fields from an .as, bedN+ counting the extra fields, small blocks and
    R-tree fan-out (several levels), uncompressed blocks."""
    import pyBigWig

    rng = np.random.default_rng(3)
    recs = [f + [f"two words {i}", str(int(rng.integers(-5, 5)))] for i, f in enumerate(_records(rng, 6, n=700))]
    bed = tmp_path / "in.bed.gz"
    with gzip.open(bed, "wt") as fh:
        fh.write("# comment\ntrack name=x\n\n")
        fh.writelines("\t".join(f) + "\n" for f in recs)
    autosql = tmp_path / "x.as"
    autosql.write_text('table x\n"extra"\n(\nstring chrom; "c"\nuint chromStart; "s"\nuint chromEnd; "e"\n'
                       'string name; "n"\nuint score; "s"\nchar[1] strand; "s"\nstring note; "n"\n'
                       'int delta; "d"\n)\n')
    sizes = _sizes_file(tmp_path)
    for kw in [dict(type="bed6+2", autosql=autosql, tab=True), dict(type="bed6+", tab=True, compress=False),
               dict(type="bed6+2", tab=True, block_size=2, items_per_slot=3)]:
        out = tmp_path / "out.bb"
        assert from_bed(bed, sizes, out, progress=False, **kw) == len(recs)
        names = BED_NAMES[:6] + (["note", "delta"] if "autosql" in kw else ["field8", "field9"])
        _check_read_back(out, recs, names)
        assert pyBigWig.open(str(out)).header()["nBasesCovered"] > 0
    # Without -tab the spaces split fields: 10 fields where bed6+2 wants 8.
    with pytest.raises(bwl.FormatError, match=r"in\.bed\.gz:4: expected 8 fields, found 10"):
        from_bed(bed, sizes, tmp_path / "o2.bb", type="bed6+2", progress=False)
    assert not (tmp_path / "o2.bb").exists()


def test_empty_input(tmp_path):
    import pyBigWig

    bed, out = tmp_path / "in.bed", tmp_path / "out.bb"
    bed.write_text("# nothing\n")
    with pytest.raises(bwl.FormatError, match="no BED records"):
        from_bed(bed, _sizes_file(tmp_path), out, progress=False)
    assert from_bed(bed, _sizes_file(tmp_path), out, type="bed4", progress=False) == 0
    b = pyBigWig.open(str(out))
    assert b.isBigBed() and b.chroms() == {} and b.header()["nBasesCovered"] == 0


@pytest.mark.parametrize("text, args, message", [
    ("chr1\t10\t20\nchr1\t5\t30\n", [], ":2: not sorted: start 5 after 10"),
    ("chr1\t10\t20\nchr2\t0\t5\nchr1\t30\t40\n", [], ":3: not sorted: 'chr1' appears again"),
    ("chrZ\t10\t20\n", [], ":1: chromosome 'chrZ' is not in chrom.sizes"),
    ("chr1\t10\t200000\n", [], ":1: end 200000 is past the end of chr1 (120000)"),
    ("chr1\t30\t20\n", [], ":1: start after end (30 > 20)"),
    ("chr1\tx\t20\n", [], ":1: start and end must be integers"),
    ("chr1\t10\t20\tn\nchr1\t11\t20\n", [], ":2: expected 4 fields, found 3"),
    ("chr1\t10\t20\tn\t1001\t+\n", [], ":1: score must be an integer in 0..1000"),
    ("chr1\t10\t20\tn\t1\tx\n", [], ":1: strand must be +, - or ."),
    ("chr1\t0\t100\tg\t0\t+\t0\t100\t0\t2\t10,10,\t0,95,\n", [], ":1: the last block must end at chromEnd"),
    ("chr1\t0\t100\tg\t0\t+\t0\t100\t0\t2\t60,40,\t0,50,\n", [], ":1: blocks 0 and 1 overlap"),
    ("chr1\t0\t100\tg\t0\t+\t0\t100\t0\t2\t10,\t0,90,\n", [], ":1: blockSizes must list blockCount"),
    ("chr1\t0\t100\tg\t0\t+\t0\t100\t0,0\t1\t100,\t0,\n", [], ":1: itemRgb must be"),
    ("chr1\t0\t100\tg\t0\t+\t0\t100\t0\t1\t100,\t0,\n", ["-type=bed13"], ":1: expected 13 fields, found 12"),
    ("chr1\t0\t100\n", ["-as=AS"], "needs the bed type too"),
    ("chr1\t0\t100\tn\n", ["-type=bed4", "-as=BADAS"], "not an autoSql table"),
    ("chr1\t0\t100\tn\n", ["-type=bed4", "-as=WRONGAS"], "column 4 is 'title', bed4 has 'name' there"),
    ("chr1\t0\t100\tn\tx\n", ["-type=bed4+1", "-as=INTAS"], ":1: count must be a non-negative integer, got 'x'"),
    ("chr1\t0\t100\n", ["-type=bed2"], "type must be bedN"),
])
def test_bad_input_gives_one_line_and_no_output(tmp_path, capsys, text, args, message):
    bed, out = tmp_path / "in.bed", tmp_path / "out.bb"
    bed.write_text(text)
    files = {"AS": 'table t "t" ( string chrom; "c" uint chromStart; "s" uint chromEnd; "e" )',
             "BADAS": "just some words", "WRONGAS": 'table t "t" ( string chrom; "c" uint chromStart; "s" '
                                                   'uint chromEnd; "e" string title; "t" )',
             "INTAS": 'table t "t" ( string chrom; "c" uint chromStart; "s" uint chromEnd; "e" string name; "n" '
                      'uint count; "n" )'}
    for k, v in files.items():
        (tmp_path / k).write_text(v)
    args = [a.replace("=" + a.split("=")[-1], "=" + str(tmp_path / a.split("=")[-1]))
            if a.startswith("-as=") else a for a in args]
    code, _, err = _run(["from-bed", str(bed), str(_sizes_file(tmp_path)), str(out), "-q", *args], capsys)
    assert code != 0 and message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_allow_1bp_overlap(tmp_path):
    bed = tmp_path / "in.bed"
    bed.write_text("chr1\t0\t100\tg\t0\t+\t0\t100\t0\t2\t51,50,\t0,50,\n")
    with pytest.raises(bwl.FormatError, match="overlap"):
        from_bed(bed, _sizes_file(tmp_path), tmp_path / "o.bb", progress=False)
    assert from_bed(bed, _sizes_file(tmp_path), tmp_path / "o.bb", allow_1bp_overlap=True, progress=False) == 1
