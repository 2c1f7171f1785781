"""bwl.Fasta against pyfaidx and numpy.

FASTA files are generated here (soft-masked bases, N, other IUPAC codes,
several line widths, CRLF, sequences of length 0 and 1, a last line that is
short or full); their bgzip copies are written with Python's zlib. Expected
.fai fields are computed from the layout, sequences come from pyfaidx
(reading its own copy of each file, with its own index) and one-hot from a
numpy encoder.
"""
from __future__ import annotations

import gzip
import os
import shutil
import zlib

import numpy as np
import pyfaidx
import pytest

import bwl
from support.fasta import (
    expected_fai,
    fasta_bytes,
    onehot_np,
    parse_fai,
    random_sequence,
    read_gzi,
    revcomp_onehot,
    window_onehot,
    write_bgzf,
)
from support.oracles import bf16_bits


def _specs():
    rng = np.random.default_rng(2024)
    rs = lambda n: random_sequence(rng, n)  # noqa: E731
    return {
        # name: (sequences, line width, CRLF, header descriptions)
        "w60": ({"chrA": rs(9_999), "chrB": rs(1), "chr_C.1": rs(123), "chrD": rs(3_000)}, 60, False,
                {"chrA": "some description here", "chrD": "x"}),
        "w7": ({"s1": rs(500), "s2": rs(7), "s3": rs(8), "s4": rs(70_001)}, 7, False, None),  # > one 64 KiB member
        "w50crlf": ({"c1": rs(2_345), "c2": rs(1), "c3": rs(777)}, 50, True, {"c1": "desc\twith tab"}),
        "w1": ({"one": rs(40), "two": rs(3)}, 1, False, None),
        "w80crlf_big": ({"big": rs(150_000), "tail": rs(81)}, 80, True, None),
    }


SPECS = _specs()
EMPTY_SPEC = ({"e0": random_sequence(np.random.default_rng(5), 300), "empty": "", "after": "ACGTNacgtn"}, 60, False, None)


@pytest.fixture(scope="module")
def fastas(tmp_path_factory):
    """name -> dict(plain=bwl's copy, gz=bgzip copy, ref=pyfaidx.Fasta on its own copy, spec, members)."""
    out = {}
    rng = np.random.default_rng(99)
    for name, spec in SPECS.items():
        seqs, width, crlf, desc = spec
        data = fasta_bytes(seqs, width, crlf, desc)
        d = tmp_path_factory.mktemp(name)
        (d / "bwl").mkdir()
        (d / "ref").mkdir()
        plain = str(d / "bwl" / f"{name}.fa")
        open(plain, "wb").write(data)
        ref_path = str(d / "ref" / f"{name}.fa")
        open(ref_path, "wb").write(data)
        gz = str(d / "bwl" / f"{name}.fa.gz")
        # small members for small files so fetches cross member boundaries
        members = write_bgzf(gz, data, rng, max_member=65536 if len(data) > 100_000 else 900, min_member=50)
        ref = pyfaidx.Fasta(ref_path, sequence_always_upper=False, as_raw=True)
        out[name] = dict(plain=plain, gz=gz, ref=ref, ref_path=ref_path, spec=spec, data=data, members=members)
    return out


@pytest.fixture(params=sorted(SPECS))
def fa(request, fastas):
    return fastas[request.param]


# ------------------------------------------------------------------ index


@pytest.mark.parametrize("kind", ["plain", "gz"])
def test_fai_fields(fa, kind):
    seqs, width, crlf, desc = fa["spec"]
    path = fa[kind]
    for ext in (".fai", ".gzi"):
        if os.path.exists(path + ext):
            os.remove(path + ext)
    f = bwl.Fasta(path)
    want = expected_fai(seqs, width, crlf, desc)
    assert parse_fai(path + ".fai") == want
    # pyfaidx's own index of the same text agrees with the computed one
    assert parse_fai(fa["ref_path"] + ".fai") == want
    assert f.chroms() == {n: len(s) for n, s in seqs.items()}
    assert list(f.chroms()) == list(seqs)
    # the index written is usable on its own: reopen with it present
    g = bwl.Fasta(path)
    assert g.chroms() == f.chroms()


def test_gzi(fa):
    path = fa["gz"]
    for ext in (".fai", ".gzi"):
        if os.path.exists(path + ext):
            os.remove(path + ext)
    bwl.Fasta(path)
    assert os.path.exists(path + ".gzi")
    entries = read_gzi(path + ".gzi")
    total_c = os.path.getsize(path)
    total_u = len(fa["data"])
    members = fa["members"]  # (compressed, uncompressed) start of every data member
    # samtools' .gzi lists member starts after the first one: every data
    # member boundary must be there; anything else may only be the EOF member.
    assert entries == sorted(entries)
    assert set(members[1:]) <= set(entries)
    assert set(entries) - set(members[1:]) <= {(total_c - 28, total_u)}


def test_fai_with_empty_sequence(tmp_path):
    seqs, width, crlf, desc = EMPTY_SPEC
    p = tmp_path / "e.fa"
    p.write_bytes(fasta_bytes(seqs, width, crlf, desc))
    f = bwl.Fasta(str(p))
    assert f.chroms() == {"e0": 300, "empty": 0, "after": 10}
    rows = parse_fai(str(p) + ".fai")
    want = expected_fai(seqs, width, crlf, desc)
    # name, length, offset as samtools/pyfaidx; line fields of an empty sequence vary between tools
    assert [r[:3] for r in rows] == [w[:3] for w in want]
    assert [r for r in rows if r[1]] == [w for w in want if w[1]]
    assert f.fetch("empty", 0, 0) == ""
    assert f.fetch("after", 0, 10) == "ACGTNacgtn"
    x = f.onehot(["empty", "after"], [0, 2], [4, 6], n_value=0.0)
    assert np.array_equal(x[0], np.zeros((4, 4), np.float32))
    assert np.array_equal(x[1], onehot_np("GTNa", 0.0))


def test_reads_index_written_by_pyfaidx(tmp_path, fastas):
    """A .fai made by pyfaidx (samtools layout) is used as is."""
    src = fastas["w50crlf"]
    p = tmp_path / "x.fa"
    shutil.copy(src["ref_path"], p)
    shutil.copy(src["ref_path"] + ".fai", str(p) + ".fai")
    before = open(str(p) + ".fai").read()
    f = bwl.Fasta(str(p))
    assert open(str(p) + ".fai").read() == before
    for c, n in f.chroms().items():
        assert f.fetch(c, 0, n) == src["ref"][c][0:n]


def test_reads_pyfaidx_index_with_empty_sequence(tmp_path):
    """pyfaidx writes linebases = linewidth = 0 for an empty sequence; such
    an index must be accepted like samtools/pyfaidx accept it."""
    seqs, width, crlf, desc = EMPTY_SPEC
    p = tmp_path / "e.fa"
    p.write_bytes(fasta_bytes(seqs, width, crlf, desc))
    ref = pyfaidx.Fasta(str(p), sequence_always_upper=False, as_raw=True)
    assert parse_fai(str(p) + ".fai")[1][3:] == (0, 0)
    f = bwl.Fasta(str(p))
    assert f.chroms() == {"e0": 300, "empty": 0, "after": 10}
    assert f.fetch("e0", 0, 300) == ref["e0"][0:300]


# ------------------------------------------------------------------ fetch


def _ranges(rng, n, count=150):
    r = [(0, n), (0, 0), (n, n)]
    if n:
        r += [(0, 1), (n - 1, n)]
    for _ in range(count):
        a = int(rng.integers(0, n + 1))
        b = int(rng.integers(a, min(n, a + int(rng.choice([3, 100, 5000]))) + 1))
        r.append((a, b))
    return r


@pytest.mark.parametrize("kind", ["plain", "gz"])
def test_fetch_matches_pyfaidx(fa, kind):
    f = bwl.Fasta(fa[kind])
    ref = fa["ref"]
    rng = np.random.default_rng(len(fa["data"]))
    for c, n in f.chroms().items():
        assert len(ref[c]) == n
        for a, b in _ranges(rng, n):
            got = f.fetch(c, a, b)
            assert got == ref[c][a:b], (c, a, b)


def test_bgzip_equals_plain_everywhere(fastas):
    """Whole-file read through every BGZF member boundary."""
    for name in SPECS:
        p, g = bwl.Fasta(fastas[name]["plain"]), bwl.Fasta(fastas[name]["gz"])
        for c, n in p.chroms().items():
            assert g.fetch(c, 0, n) == p.fetch(c, 0, n) == fastas[name]["spec"][0][c]


# ------------------------------------------------------------------ one-hot


def _windows(rng, chroms, B, L):
    names = list(chroms)
    cs, ss = [], []
    for i in range(B):
        c = names[i % len(names)]
        n = chroms[c]
        kind = i % 5
        if kind == 0:
            s = -int(rng.integers(1, L))            # starts before the chromosome
        elif kind == 1:
            s = n - int(rng.integers(1, L))         # runs past its end
        elif kind == 2:
            s = n + int(rng.integers(0, 50))        # entirely after it
        else:
            s = int(rng.integers(0, max(1, n - L + 1)))
        cs.append(c)
        ss.append(s)
    ss = np.asarray(ss, np.int64)
    return np.asarray(cs), ss, ss + L


@pytest.mark.parametrize("kind", ["plain", "gz"])
@pytest.mark.parametrize("layout", ["BLC", "BCL"])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("n_value", [0.25, 0.0])
def test_onehot(fastas, kind, layout, dtype, n_value):
    for name in ("w60", "w50crlf"):
        fa = fastas[name]
        f = bwl.Fasta(fa[kind])
        rng = np.random.default_rng(zlib.crc32(repr((kind, layout, dtype, n_value, name)).encode()))
        L = 150
        cs, ss, es = _windows(rng, f.chroms(), 40, L)
        got = f.onehot(cs, ss, es, dtype=dtype, layout=layout, n_value=n_value)
        want = np.stack([window_onehot(fa["ref"], c, int(s), int(e), n_value) for c, s, e in zip(cs, ss, es)])
        if layout == "BCL":
            want = want.transpose(0, 2, 1)
            assert got.shape == (len(cs), 4, L)
        else:
            assert got.shape == (len(cs), L, 4)
        assert got.flags.c_contiguous
        if dtype == "bfloat16":
            assert got.dtype.itemsize == 2
            assert np.array_equal(got.view(np.uint16), bf16_bits(want))
        else:
            assert got.dtype == np.dtype(dtype)
            assert np.array_equal(got, want.astype(dtype))


def test_onehot_out_and_channels(fastas):
    fa = fastas["w7"]
    f = bwl.Fasta(fa["plain"])
    out = np.full((3, 8, 4), 7.0, np.float32)
    r = f.onehot(["s1", "s1", "s2"], [0, 100, -1], [8, 108, 7], out=out)
    assert r is out
    seq = fa["spec"][0]["s1"]
    assert np.array_equal(out[0], onehot_np(seq[:8]))
    assert np.array_equal(out[1], onehot_np(seq[100:108]))
    assert np.array_equal(out[2, 0], np.zeros(4))
    # the oracle itself: channel order A, C, G, T; case folded; IUPAC/N -> n_value
    tiny = "ACGTacgtNnRyKmSwBdHvXx-."
    assert np.array_equal(onehot_np(tiny)[:8], np.vstack([np.eye(4), np.eye(4)]).astype(np.float32))
    assert np.all(onehot_np(tiny)[8:] == 0.25)


def test_onehot_iupac_codes(tmp_path):
    """Every IUPAC code, both cases, in one sequence, against the numpy encoder."""
    codes = "ACGTURYSWKMBDHVN"
    seq = codes + codes.lower() + "ACGT"
    p = tmp_path / "iupac.fa"
    p.write_bytes(fasta_bytes({"x": seq}, 9))
    f = bwl.Fasta(str(p))
    for nv in (0.25, 0.0):
        got = f.onehot(["x"], [0], [len(seq)], n_value=nv)[0]
        assert np.array_equal(got, onehot_np(seq, nv))
        assert np.array_equal(got[:4], np.eye(4, dtype=np.float32))
        assert np.array_equal(got[16:20], np.eye(4, dtype=np.float32))
    assert f.fetch("x", 0, len(seq)) == seq


@pytest.mark.parametrize("kind", ["plain", "gz"])
def test_n_fraction(fastas, kind):
    fa = fastas["w60"]
    f = bwl.Fasta(fa[kind])
    rng = np.random.default_rng(3)
    L = 97
    cs, ss, es = _windows(rng, f.chroms(), 60, L)
    got = f.n_fraction(cs, ss, L)
    want = []
    for c, s, e in zip(cs, ss, es):
        x = window_onehot(fa["ref"], c, int(s), int(e), n_value=0.0)
        want.append(1.0 - x.sum() / L)  # not ACGT, or outside the chromosome
    assert got.shape == (len(cs),)
    np.testing.assert_allclose(got, np.asarray(want), rtol=0, atol=1e-6)


# ------------------------------------------------------------------ errors


def test_unknown_chrom(fastas):
    f = bwl.Fasta(fastas["w60"]["plain"])
    with pytest.raises(KeyError, match="chrZ"):
        f.fetch("chrZ", 0, 1)
    with pytest.raises(KeyError, match="chrZ"):
        f.onehot(["chrA", "chrZ"], [0, 0], [5, 5])
    with pytest.raises(KeyError, match="chrZ"):
        f.n_fraction(["chrZ"], [0], 5)


def test_fetch_out_of_range(fastas):
    f = bwl.Fasta(fastas["w60"]["plain"])
    n = f.chroms()["chr_C.1"]
    for a, b in [(0, n + 1), (n, n + 1), (5, 4), (n + 10, n + 20)]:
        with pytest.raises(ValueError):
            f.fetch("chr_C.1", a, b)


def test_fetch_negative_start_is_valueerror(fastas):
    f = bwl.Fasta(fastas["w60"]["plain"])
    with pytest.raises(ValueError):
        f.fetch("chrA", -1, 5)


def test_plain_gzip_rejected(tmp_path, fastas):
    p = tmp_path / "x.fa.gz"
    with gzip.open(p, "wb") as fh:
        fh.write(fastas["w60"]["data"])
    with pytest.raises(bwl.FormatError, match="bgzip") as ei:
        bwl.Fasta(str(p))
    assert str(p) in str(ei.value)


@pytest.mark.parametrize("case", ["long_middle", "short_middle", "blank_line", "long_last", "mixed_newlines"])
def test_ragged_lines_rejected(tmp_path, case):
    lines = {
        "long_middle": [b"ACGTACGT", b"ACGTACGTA", b"ACGTACGT", b"ACG"],
        "short_middle": [b"ACGTACGT", b"ACGTAC", b"ACGTACGT", b"ACG"],
        "blank_line": [b"ACGTACGT", b"", b"ACGTACGT", b"ACG"],
        "long_last": [b"ACGTACGT", b"ACGTACGT", b"ACGTACGTAC"],
        "mixed_newlines": [b"ACGTACGT\r", b"ACGTACGT", b"ACG"],
    }[case]
    p = tmp_path / "bad.fa"
    p.write_bytes(b">ok\nACGT\nAC\n>bad\n" + b"\n".join(lines) + b"\n")
    with pytest.raises(bwl.FormatError) as ei:
        bwl.Fasta(str(p))
    assert str(p) in str(ei.value)


def test_ragged_lines_rejected_in_bgzip(tmp_path):
    p = tmp_path / "bad.fa.gz"
    write_bgzf(str(p), b">bad\nACGTACGT\nACGTAC\nACGTACGT\n", np.random.default_rng(0), max_member=10, min_member=5)
    with pytest.raises(bwl.FormatError):
        bwl.Fasta(str(p))


def test_onehot_bad_windows(fastas):
    f = bwl.Fasta(fastas["w60"]["plain"])
    with pytest.raises(ValueError):
        f.onehot(["chrA", "chrA"], [0, 0], [5, 6])
    with pytest.raises(ValueError):
        f.onehot(["chrA"], [5], [5])
    with pytest.raises(ValueError):
        f.onehot(["chrA"], [0], [5], layout="LBC")


@pytest.mark.parametrize("case", ["blank_after_short", "blank_after_full", "blank_at_end",
                                  "no_final_newline", "no_final_newline_crlf"])
def test_layout_variants_accepted(tmp_path, case):
    """Layouts samtools faidx and pyfaidx index: blank lines between records
    (htslib ends the record at an empty line), no newline at the end."""
    text = {
        "blank_after_short": b">a\nACGTA\nAC\n\n>b\nGGGGC\nGG\n",
        "blank_after_full": b">a\nACGTA\nACGTA\n\n>b\nGGGG\n",
        "blank_at_end": b">a\nACGTA\nAC\n>b\nGGGGC\nGG\n\n",
        "no_final_newline": b">a\nACGTA\nAC\n>b\nGGGG",
        "no_final_newline_crlf": b">a\r\nACGTA\r\nAC\r\n>b\r\nGGGG",
    }[case]
    (tmp_path / "b").mkdir()
    (tmp_path / "r").mkdir()
    (tmp_path / "b" / "x.fa").write_bytes(text)
    (tmp_path / "r" / "x.fa").write_bytes(text)
    ref = pyfaidx.Fasta(str(tmp_path / "r" / "x.fa"), sequence_always_upper=False, as_raw=True)
    f = bwl.Fasta(str(tmp_path / "b" / "x.fa"))
    assert f.chroms() == {k: len(ref[k]) for k in ref.keys()}
    for c, n in f.chroms().items():
        assert f.fetch(c, 0, n) == ref[c][0:n]
        assert np.array_equal(f.onehot([c], [0], [n])[0], onehot_np(ref[c][0:n]))
    assert [r[:4] for r in parse_fai(str(tmp_path / "b" / "x.fa.fai"))] == \
        [r[:4] for r in parse_fai(str(tmp_path / "r" / "x.fa.fai"))]


@pytest.mark.parametrize("layout", ["BLC", "BCL"])
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_onehot_reverse(fastas, layout, dtype):
    """reverse=: those windows reverse-complemented (the numpy oracle of the
    forward one-hot), the others unchanged; windows over chromosome ends too."""
    fa = fastas["w60"]
    f = bwl.Fasta(fa["plain"])
    rng = np.random.default_rng(5)
    cs, ss, es = _windows(rng, f.chroms(), 40, 150)
    rev = rng.random(len(cs)) < 0.5
    fwd = np.stack([window_onehot(fa["ref"], c, int(s), int(e)) for c, s, e in zip(cs, ss, es)])
    want = fwd.copy()
    want[rev] = np.stack([revcomp_onehot(x) for x in fwd[rev]])
    assert not np.array_equal(want, fwd)
    if layout == "BCL":
        want = want.transpose(0, 2, 1)
    got = f.onehot(cs, ss, es, dtype=dtype, layout=layout, reverse=rev)
    if dtype == "bfloat16":
        assert np.array_equal(got.view(np.uint16), bf16_bits(want))
    else:
        assert np.array_equal(got, want)
    with pytest.raises(ValueError, match="reverse must have shape"):
        f.onehot(cs, ss, es, reverse=rev[:-1])
