"""The UCSC-utility jobs (bwl/tools, `bwl average-over-bed` ...) against
the truth the fixture tracks were written from (support.oracles.dense),
never against bwl itself: every section type, both byte orders, raw and
zlib blocks, pyBigWig-, pybigtools- and bwl-written files."""
from __future__ import annotations

import gzip
import io
import os

import numpy as np
import pytest

import bwl
from bwl.cli import main
from bwl.tools import average_over_bed
from support.oracles import dense


def _regions(bw, rng, n=60):
    """BED lines over the file's chromosomes: random, overlapping one
    another, reaching past the chromosome's end, empty, on a chromosome the
    file lacks, and BED12 lines with blocks."""
    chroms = bw.chroms
    lines = []
    for i in range(n):
        c = list(chroms)[i % len(chroms)]
        size = chroms[c]
        s = int(rng.integers(0, size))
        e = min(s + int(rng.integers(0, 4000)), size + (500 if i % 7 == 0 else 0))
        lines.append([c, str(s), str(e), f"r{i}"])
    c0 = list(chroms)[0]
    lines.append([c0, "100", "900", "overlaps_a"])
    lines.append([c0, "500", "1500", "overlaps_b"])
    lines.append(["chrNotThere", "0", "100", "elsewhere"])
    lines.append([c0, "1000", "5000", "gene", "0", "+", "1000", "5000", "0", "3", "100,200,300,", "0,1000,3700,"])
    return lines


def _truth(bw, lines, around=0):
    """size, covered, sum, min, max per line from the truth."""
    out = []
    for f in lines:
        c, s, e = f[0], int(f[1]), int(f[2])
        if around:
            left = (s + e) // 2 - around // 2
            parts = [(left, left + around)]
        elif len(f) >= 12:
            parts = [(s + int(a), s + int(a) + int(z)) for a, z in zip(f[11].rstrip(",").split(","),
                                                                     f[10].rstrip(",").split(","))]
        else:
            parts = [(s, e)]
        size, vals = 0, []
        for a, b in parts:
            size += b - a
            lim = bw.chroms.get(c, 0)
            lo, hi = max(a, 0), min(b, lim)
            if c in bw.truth and hi > lo:
                v = dense(bw.truth, c, lo, hi)
                vals.append(v[~np.isnan(v)])
        v = np.concatenate(vals) if vals else np.empty(0)
        out.append((size, len(v), float(v.astype(np.float64).sum()), v.min() if len(v) else np.nan,
                    v.max() if len(v) else np.nan))
    return out


def _check(res, truth, t=0):
    for r, (size, cov, sm, lo, hi) in enumerate(truth):
        assert res.size[r] == size and res.covered[r, t] == cov, res.names[r]
        assert res.sum[r, t] == pytest.approx(sm, rel=1e-9, abs=1e-6)
        assert np.isnan(res.min[r, t]) if np.isnan(lo) else res.min[r, t] == lo
        assert np.isnan(res.max[r, t]) if np.isnan(hi) else res.max[r, t] == hi
        assert res.mean[r, t] == pytest.approx(sm / cov if cov else 0.0)
        if size:
            assert res.mean0[r, t] == pytest.approx(sm / size)


def test_average_over_bed_equals_the_truth(any_bw):
    rng = np.random.default_rng(len(any_bw.name))
    lines = _regions(any_bw, rng)
    res = average_over_bed(any_bw.path, lines)
    assert res.names[:2] == ["r0", "r1"] and res.names[-1] == "gene"
    _check(res, _truth(any_bw, lines))
    res = average_over_bed(any_bw.path, lines, sample_around_center=300)
    _check(res, _truth(any_bw, lines, around=300))


def test_several_tracks_and_a_store(bw_files, tmp_path):
    """Tracks in one call equal each alone; stored (preloaded) tracks too."""
    bws = [bw_files["pybw_bedGraph"], bw_files["bwl_fixedStep_big_zlib"], bw_files["pybw_variableStep"]]
    lines = _regions(bws[0], np.random.default_rng(3))
    c = bwl.Collection([b.path for b in bws], store=tmp_path / "store")
    res = average_over_bed(c, lines)
    for t, b in enumerate(bws):
        _check(res, _truth(b, lines), t)


def _run(args, capsys):
    code = main(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_cli_matches_bigwigaverageoverbed_columns(bw_files, tmp_path, capsys, monkeypatch):
    bw, bw2 = bw_files["pybw_bedGraph"], bw_files["pybw_fixedStep"]
    lines = _regions(bw, np.random.default_rng(5), n=20)
    bed = tmp_path / "in.bed.gz"
    with gzip.open(bed, "wt") as fh:
        fh.write("track name=x\n# a comment\n")
        fh.writelines("\t".join(f) + "\n" for f in lines)
    out = tmp_path / "out.tab"
    assert _run(["average-over-bed", bw.path, str(bed), str(out), "-minMax", f"-bedOut={tmp_path / 'o.bed'}"],
                capsys)[0] == 0
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    truth = _truth(bw, lines)
    assert len(rows) == len(lines) and all(len(r) == 8 for r in rows)
    for r, (size, cov, sm, lo, hi) in zip(rows, truth):
        assert int(r[1]) == size and int(r[2]) == cov and float(r[3]) == pytest.approx(sm, rel=1e-5)
        assert (r[6], r[7]) == (("0", "0") if not cov else (format(lo, "g"), format(hi, "g")))
        assert r[5] == format(sm / cov if cov else 0.0, "g")
    bed_rows = (tmp_path / "o.bed").read_text().splitlines()
    assert bed_rows[0].split("\t")[:4] == lines[0] and bed_rows[-1].split("\t")[:12] == lines[-1]
    # Several tracks: a header, a block of columns each; the BED from stdin, the table to stdout.
    monkeypatch.setattr("sys.stdin", io.StringIO("".join("\t".join(f[:4]) + "\n" for f in lines)))
    code, text, _ = _run(["average-over-bed", bw.path, bw2.path, "-", "-"], capsys)
    assert code == 0
    head, *body = text.splitlines()
    assert head.split("\t")[:4] == ["#name", "size", "pybw_bedGraph.covered", "pybw_bedGraph.sum"]
    assert len(head.split("\t")) == 2 + 2 * 4 and len(body) == len(lines)
    truth2 = _truth(bw2, [f[:4] for f in lines])
    assert [int(b.split("\t")[6]) for b in body] == [t[1] for t in truth2]


@pytest.mark.parametrize("bed_text, message", [
    ("chr1\t0\t10\ta\nchr1\t5\t20\ta\n", "a duplicated in input bed"),
    ("chr1\t10\tx\ta\n", "start and end must be integers"),
    ("chr1\t10\t5\ta\n", "bad interval 10-5"),
    ("chr1\t10\n", "needs chrom, start, end"),
    ("chr1\t0\t100\tg\t0\t+\t0\t100\t0\t2\t10,10,\t0,95,\n", "a block lies outside 0-100"),
])
def test_bad_bed_gives_one_line_and_no_output(bw_files, tmp_path, capsys, bed_text, message):
    bed = tmp_path / "bad.bed"
    bed.write_text(bed_text)
    out = tmp_path / "out.tab"
    code, _, err = _run(["average-over-bed", bw_files["pybw_bedGraph"].path, str(bed), str(out)], capsys)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not [p for p in os.listdir(tmp_path) if ".tmp-" in p]


def test_missing_files_are_named(bw_files, tmp_path, capsys):
    bed = tmp_path / "x.bed"
    bed.write_text("chr1\t0\t10\ta\n")
    code, _, err = _run(["average-over-bed", str(tmp_path / "nope.bw"), str(bed), "-"], capsys)
    assert code == 1 and "nope.bw" in err
    code, _, err = _run(["average-over-bed", bw_files["pybw_bedGraph"].path, str(tmp_path / "nope.bed"), "-"], capsys)
    assert code == 1 and "nope.bed" in err


def test_sums_equal_megadepths(bw_files, tmp_path):
    """megadepth (libBigWig's reader, another code base) sums each region
    of a sorted BED: bwl's sums equal its (it prints two decimals)."""
    import shutil
    import subprocess

    exe = shutil.which("megadepth")
    assert exe, "megadepth is not installed (tests/run.sh installs the Debian package)"
    bw = bw_files["pybw_bedGraph"]
    lines = sorted((f[:4] for f in _regions(bw, np.random.default_rng(9), n=200) if f[0] in bw.chroms),
                   key=lambda f: (f[0], int(f[1])))
    lines = [f for f in lines if int(f[2]) <= bw.chroms[f[0]] and int(f[2]) > int(f[1])]
    bed = tmp_path / "s.bed"
    bed.write_text("".join("\t".join(f) + "\n" for f in lines))
    r = subprocess.run([exe, bw.path, "--annotation", str(bed), "--op", "sum"], capture_output=True, text=True,
                       check=True)
    theirs = [x.split("\t") for x in r.stdout.splitlines()]
    res = average_over_bed(bw.path, lines)
    assert len(theirs) == len(lines) > 100
    for f, t, sm in zip(lines, theirs, res.sum[:, 0]):
        assert t[:3] == f[:3] and sm == pytest.approx(float(t[3]), abs=0.006), f


def _runs(items):
    """(start, end, value) items with adjacent ones of one value joined."""
    out = []
    for s, e, v in items:
        if out and out[-1][1] == s and out[-1][2] == v:
            out[-1][1] = e
        else:
            out.append([s, e, v])
    return out


def _bg(chrom, runs):
    return [f"{chrom}\t{s}\t{e}\t{format(float(v), 'g')}" for s, e, v in runs]


def test_to_bedgraph_equals_the_truth(any_bw, tmp_path):
    from bwl.tools import to_bedgraph

    out = tmp_path / "o.bedGraph"
    to_bedgraph(any_bw.path, out)
    want = []
    for c in sorted(any_bw.chroms):
        if c in any_bw.truth:
            s, e, v = any_bw.truth[c]
            want += _bg(c, _runs(zip(s.tolist(), e.tolist(), v.astype(np.float32).tolist())))
    assert out.read_text().splitlines() == want
    # One chromosome, clipped to [start, end).
    c = "chr1"
    to_bedgraph(any_bw.path, out, chrom=c, start=1000, end=5000)
    s, e, v = any_bw.truth[c]
    items = [(max(a, 1000), min(b, 5000), x) for a, b, x in zip(s.tolist(), e.tolist(), v.tolist())
             if b > 1000 and a < 5000]
    assert out.read_text().splitlines() == _bg(c, _runs(items))


def _natural(name):
    import re

    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", name)]


@pytest.mark.parametrize("opts", [{}, {"max": True}, {"threshold": 1.0, "adjust": -0.5, "clip": 2.0}])
def test_merge_equals_the_truth(bw_files, tmp_path, opts):
    from bwl.tools import merge

    bws = [bw_files["pybw_bedGraph"], bw_files["pybw_fixedStep"], bw_files["bwl_variableStep_big_zlib"]]
    out = tmp_path / "m.bedGraph"
    merge([b.path for b in bws], out, **opts)
    want = []
    for c in sorted(bws[0].chroms, key=_natural):
        size = bws[0].chroms[c]
        acc = np.zeros(size)
        for b in bws:
            v = dense(b.truth, c, 0, size).astype(np.float64)
            v = np.minimum(v, opts.get("clip", np.inf))
            if opts.get("max"):
                acc = np.where(np.isnan(v), acc, np.maximum(acc, v))
            else:
                acc += np.nan_to_num(v)
        edges = np.flatnonzero(np.diff(acc)) + 1
        starts, ends = np.r_[0, edges], np.r_[edges, size]
        vals = acc[starts] + opts.get("adjust", 0.0)
        keep = vals > opts.get("threshold", 0.0)
        want += _bg(c, zip(starts[keep].tolist(), ends[keep].tolist(), vals[keep].tolist()))
    got = out.read_text().splitlines()
    assert len(got) > 100 and got == want


def test_merge_to_bigwig_and_mismatched_assemblies(bw_files, tmp_path, capsys):
    import pyBigWig

    a, b = bw_files["pybw_bedGraph"], bw_files["pybw_fixedStep"]
    out = tmp_path / "m.bw"
    assert main(["merge", a.path, b.path, str(out)]) == 0
    bg = tmp_path / "m.bedGraph"
    assert main(["merge", a.path, b.path, str(bg)]) == 0
    f = pyBigWig.open(str(out))
    first = bg.read_text().splitlines()[:50]
    for line in first:
        c, s, e, v = line.split("\t")
        assert f.values(c, int(s), int(e)) == pytest.approx([float(v)] * (int(e) - int(s)), rel=1e-5)
    other = tmp_path / "other.bw"
    bwl.write(str(other), {"chr1": 1234}, {"chr1": ([0], [10], [1.0])})
    dest = tmp_path / "never.bedGraph"
    code = main(["merge", a.path, str(other), str(dest)])
    err = capsys.readouterr().err
    assert code == 1 and "Merging from different assemblies? Chromosome chr1 is" in err
    assert not dest.exists() and not [p for p in os.listdir(tmp_path) if ".tmp-" in p]


WIG = """track type=wiggle_0 name=x
fixedStep chrom=chr1 start=11 step=10 span=5
1.5
2.5
-3
variableStep chrom=chr2 span=3
5 0.5
20 7.25
# a comment
chr1\t500\t510\t9
fixedStep chrom=chr2 start=101 step=1
4
4
5
"""


def _wig_truth(text: str) -> dict:
    """(chrom, start, end, value) items of wiggle text, parsed here by hand."""
    out, mode = [], None
    for line in text.splitlines():
        f = line.split()
        if not f or f[0] in ("track", "browser") or f[0].startswith("#"):
            continue
        if f[0] in ("fixedStep", "variableStep"):
            kv = dict(x.split("=") for x in f[1:])
            mode, chrom, span = f[0], kv["chrom"], int(kv.get("span", 1))
            pos, step = int(kv.get("start", 1)) - 1, int(kv.get("step", 0))
        elif len(f) == 4:
            out.append((f[0], int(f[1]), int(f[2]), float(f[3])))
        elif mode == "fixedStep":
            out.append((chrom, pos, pos + span, float(f[0])))
            pos += step
        else:
            out.append((chrom, int(f[0]) - 1, int(f[0]) - 1 + span, float(f[1])))
    return out


@pytest.mark.parametrize("gz", [False, True])
def test_from_wig_equals_the_truth(tmp_path, capsys, gz):
    import pyBigWig

    src = tmp_path / ("in.wig.gz" if gz else "in.wig")
    if gz:
        with gzip.open(src, "wt") as fh:
            fh.write(WIG)
    else:
        src.write_text(WIG)
    sizes = tmp_path / "chrom.sizes"
    sizes.write_text("chr1\t1000\nchr2\t200\n")
    out = tmp_path / "o.bw"
    assert _run(["from-wig", str(src), str(sizes), str(out), "-q"], capsys)[0] == 0
    f = pyBigWig.open(str(out))
    want = sorted(_wig_truth(WIG))
    got = sorted((c, s, e, v) for c in ("chr1", "chr2") for s, e, v in f.intervals(c))
    assert got == want


@pytest.mark.parametrize("text, message, clip_ok", [
    ("fixedStep chrom=chr1 start=995 step=5 span=10\n1\n", "is past the end of chr1", True),
    ("fixedStep chrom=chr1 step=5\n1\n", "needs start= and step=", False),
    ("variableStep chrom=chrZ\n5 1\n", "chromosome 'chrZ' is not in chrom.sizes", False),
    ("variableStep chrom=chr1\n0 1\n", "bad position (1-based)", False),
    ("fixedStep chrom=chr1 start=1 step=1\nx\n", "bad value 'x'", False),
])
def test_from_wig_bad_input(tmp_path, capsys, text, message, clip_ok):
    src, sizes, out = tmp_path / "in.wig", tmp_path / "chrom.sizes", tmp_path / "o.bw"
    src.write_text(text)
    sizes.write_text("chr1\t1000\n")
    code, _, err = _run(["from-wig", str(src), str(sizes), str(out), "-q"], capsys)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1 and not out.exists()
    if clip_ok:  # -clip cuts the item at the chromosome's end instead
        assert _run(["from-wig", str(src), str(sizes), str(out), "-q", "-clip"], capsys)[0] == 0
        import pyBigWig

        assert pyBigWig.open(str(out)).intervals("chr1") == ((994, 1000, 1.0),)


@pytest.fixture(scope="module")
def bigbeds(tmp_path_factory):
    """(paths, records): one bigBed written by pybigtools, one hand-built
    big-endian with zlib blocks, of the same records."""
    import pybigtools

    from support.bbi import bed_records, build_bbi

    chroms = {"chrB": 7_000, "chrA": 50_000, "chrC": 900}
    rng = np.random.default_rng(4)
    recs = []
    for name, size in chroms.items():
        for s in np.sort(rng.integers(0, size - 1, 80 if name != "chrC" else 0)).tolist():
            recs.append((name, s, min(size, s + int(rng.integers(1, 3000))), f"n{s}\t{s % 1000}\t+"))
    d = tmp_path_factory.mktemp("bigbeds")
    p1 = str(d / "pbt.bb")
    pybigtools.open(p1, "w").write(chroms, iter(recs))
    ids = {n: i for i, n in enumerate(chroms)}
    blocks = []
    for name in chroms:
        rs = [(ids[n], s, e, r) for n, s, e, r in recs if n == name]
        for k in range(0, len(rs), 17):
            part = rs[k:k + 17]
            blocks.append((ids[name], part[0][1], ids[name], max(x[2] for x in part), bed_records(part, ">")))
    data, _ = build_bbi(list(chroms.items()), blocks, endian=">", compress=True, bigbed=True)
    p2 = str(d / "hand_big.bb")
    with open(p2, "wb") as fh:
        fh.write(data)
    return [p1, p2], recs


def test_to_bed_equals_the_records(bigbeds, tmp_path, capsys):
    paths, recs = bigbeds
    want = [f"{c}\t{s}\t{e}\t{r}" for c, s, e, r in sorted(recs, key=lambda x: x[0])]  # tree order, file order within
    for p in paths:
        out = tmp_path / "o.bed"
        assert _run(["to-bed", p, str(out)], capsys)[0] == 0
        assert out.read_text().splitlines() == want
        assert _run(["to-bed", p, str(out), "-chrom", "chrA", "-start", "1000", "-end", "5000", "-maxItems", "7"],
                    capsys)[0] == 0
        sel = [f"{c}\t{s}\t{e}\t{r}" for c, s, e, r in recs if c == "chrA" and e > 1000 and s < 5000][:7]
        assert out.read_text().splitlines() == sel and len(sel) == 7
    code, _, err = _run(["to-bed", paths[0], str(tmp_path / "x.bed"), "-chrom", "chrZ"], capsys)
    assert code == 1 and "chrZ" in err and not (tmp_path / "x.bed").exists()


def test_to_bed_header_from_autosql(tmp_path, capsys):
    import pyBigWigTest

    src = os.path.join(os.path.dirname(pyBigWigTest.__file__), "test.bigBed")
    out = tmp_path / "o.bed"
    assert _run(["to-bed", src, str(out), "-header", "-maxItems", "3"], capsys)[0] == 0
    head, *rows = out.read_text().splitlines()
    assert head.startswith("#chrom\tchromStart\tchromEnd\t") and len(rows) == 3
    assert len(head.split("\t")) == len(rows[0].split("\t"))


def test_each_tool_refuses_the_other_kind(bw_files, bigbeds, tmp_path, capsys):
    bw, bb = bw_files["pybw_bedGraph"].path, bigbeds[0][0]
    for args, message in [(["to-bed", bw, "-"], "to-bed reads bigBed files"),
                          (["to-bedgraph", bb, "-"], "to-bedgraph reads bigWig files"),
                          (["merge", bw, bb, "-"], "merge reads bigWig files")]:
        code, _, err = _run(args, capsys)
        assert code == 1 and message in err and len(err.strip().splitlines()) == 1
