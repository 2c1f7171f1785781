"""Test data and independent oracles for the training-pipeline tests
(test_fasta, test_samplers, test_loader, test_torch).

Nothing here calls bwl: FASTA files are written by hand, BGZF members are
built with Python's zlib, bigWig files are written by pyBigWig, and the
expected one-hot / signal come from pyfaidx, pyBigWig and numpy.
"""
from __future__ import annotations

import dataclasses
import os
import struct
import zlib
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

ACGT = "ACGT"
IUPAC_OTHER = "NRYKMSWBDHV"  # non-ACGT codes that must encode as "unknown"

# --------------------------------------------------------------- sequences


def random_sequence(rng: np.random.Generator, n: int, p_lower: float = 0.2, p_n: float = 0.05,
                    p_iupac: float = 0.02, n_runs: int = 0, run_len: int = 0) -> str:
    """Random ACGT with soft-masked (lowercase) bases, Ns, other IUPAC codes
    (either case) and optionally ``n_runs`` stretches of ``run_len`` Ns."""
    if n == 0:
        return ""
    b = np.array(list(ACGT))[rng.integers(0, 4, n)]
    r = rng.random(n)
    b[r < p_n] = "N"
    iu = (r >= p_n) & (r < p_n + p_iupac)
    b[iu] = np.array(list(IUPAC_OTHER))[rng.integers(0, len(IUPAC_OTHER), int(iu.sum()))]
    for _ in range(n_runs):
        s = int(rng.integers(0, max(1, n - run_len)))
        b[s:s + run_len] = "N"
    low = rng.random(n) < p_lower
    b[low] = np.char.lower(b[low])
    return "".join(b.tolist())


def fasta_bytes(seqs: Dict[str, str], width: int, crlf: bool = False,
                descriptions: Optional[Dict[str, str]] = None) -> bytes:
    """FASTA text: lines of ``width`` bases, the last line of each sequence short."""
    nl = "\r\n" if crlf else "\n"
    out = []
    for name, s in seqs.items():
        desc = (descriptions or {}).get(name)
        out.append(f">{name}{' ' + desc if desc else ''}{nl}")
        for i in range(0, len(s), width):
            out.append(s[i:i + width] + nl)
    return "".join(out).encode()


def expected_fai(seqs: Dict[str, str], width: int, crlf: bool = False,
                 descriptions: Optional[Dict[str, str]] = None) -> List[Tuple[str, int, int, int, int]]:
    """samtools faidx fields (name, length, offset, linebases, linewidth)
    computed from the layout ``fasta_bytes`` writes (not by scanning)."""
    nlw = 2 if crlf else 1
    rows, off = [], 0
    for name, s in seqs.items():
        desc = (descriptions or {}).get(name)
        off += 1 + len(name) + (1 + len(desc) if desc else 0) + nlw
        n = len(s)
        lb = min(width, n) if n else 0
        rows.append((name, n, off, lb, lb + nlw if n else 0))
        nlines = -(-n // width)
        off += n + nlines * nlw
    return rows


def parse_fai(path: str) -> List[Tuple[str, int, int, int, int]]:
    rows = []
    with open(path) as fh:
        for line in fh:
            if line.strip():
                f = line.rstrip("\n").split("\t")
                rows.append((f[0],) + tuple(int(x) for x in f[1:5]))
    return rows


# --------------------------------------------------------------- BGZF

BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def bgzf_member(data: bytes, level: int = 6) -> bytes:
    """One BGZF member: gzip header with FEXTRA 'BC' (BSIZE = member size - 1),
    raw deflate, CRC32, ISIZE."""
    assert len(data) <= 65536
    co = zlib.compressobj(level, zlib.DEFLATED, -15)
    comp = co.compress(data) + co.flush()
    bsize = 12 + 6 + len(comp) + 8 - 1
    assert bsize < 65536
    head = struct.pack("<BBBBIBBH", 0x1F, 0x8B, 8, 4, 0, 0, 0xFF, 6) + b"BC" + struct.pack("<HH", 2, bsize)
    return head + comp + struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data))


def write_bgzf(path: str, data: bytes, rng: np.random.Generator, max_member: int = 65536,
               min_member: int = 1000) -> List[Tuple[int, int]]:
    """Writes ``data`` as BGZF members of random sizes (<= ``max_member``
    uncompressed) plus the empty EOF member. Returns the (compressed,
    uncompressed) start offset of every data member."""
    starts, out, pos, coff = [], [], 0, 0
    while pos < len(data):
        n = int(rng.integers(min_member, max_member + 1))
        m = bgzf_member(data[pos:pos + n])
        starts.append((coff, pos))
        out.append(m)
        coff += len(m)
        pos += n
    out.append(BGZF_EOF)
    with open(path, "wb") as fh:
        fh.write(b"".join(out))
    return starts


def read_gzi(path: str) -> List[Tuple[int, int]]:
    """samtools .gzi: u64 count, then (compressed, uncompressed) u64 pairs, little-endian."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack_from("<Q", raw, 0)
    assert len(raw) == 8 + 16 * n, "gzi size does not match its count"
    return [struct.unpack_from("<QQ", raw, 8 + 16 * i) for i in range(n)]


# --------------------------------------------------------------- one-hot oracle

_CODE = np.full(256, 4, np.int64)
for _i, _c in enumerate(ACGT):
    _CODE[ord(_c)] = _i
    _CODE[ord(_c.lower())] = _i


def onehot_np(seq: str, n_value: float = 0.25) -> np.ndarray:
    """(len, 4) float32: A, C, G, T channels; anything else ``n_value`` everywhere."""
    codes = _CODE[np.frombuffer(seq.encode(), np.uint8)]
    out = np.zeros((len(seq), 5), np.float32)
    out[np.arange(len(seq)), codes] = 1.0
    out[codes == 4, :4] = n_value
    return out[:, :4]


def window_onehot(fa, chrom: str, start: int, end: int, n_value: float = 0.25) -> np.ndarray:
    """One-hot of chrom:[start, end) from a pyfaidx.Fasta; zeros outside the chromosome."""
    size = len(fa[chrom])
    out = np.zeros((end - start, 4), np.float32)
    a, b = max(start, 0), min(end, size)
    if a < b:
        seq = fa[chrom][a:b]
        out[a - start:b - start] = onehot_np(seq if isinstance(seq, str) else seq.seq, n_value)
    return out


def revcomp_onehot(x: np.ndarray) -> np.ndarray:
    """Reverse complement of a (L, 4) ACGT one-hot: reverse positions, swap A<->T, C<->G."""
    return x[::-1][:, [3, 2, 1, 0]]


def bf16_bits(x: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bit patterns, round to nearest even (exact for 0, 1, 0.25)."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(x, np.float32)).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)


# --------------------------------------------------------------- a small genome

GENOME_CHROMS: Dict[str, int] = {"chr1": 60_000, "chr2": 25_000, "chr3": 4_000}


@dataclasses.dataclass
class Genome:
    dir: str
    fasta: str                   # plain FASTA with the chromosomes above
    bigwigs: List[str]           # pyBigWig-written tracks
    chroms: Dict[str, int]
    seqs: Dict[str, str]


def _track_intervals(rng: np.random.Generator, size: int, p_gap: float):
    """bedGraph items with gaps (no data) and a long empty stretch."""
    lens = rng.integers(1, 40, size // 5)
    gaps = np.where(rng.random(len(lens)) < p_gap, rng.integers(1, 60, len(lens)), 0)
    s = np.cumsum(np.r_[0, lens[:-1]] + gaps)
    e = s + lens
    keep = (e <= size) & ~((s < size // 2 + 700) & (e > size // 2))  # a hole of 700 bases
    s, e = s[keep], e[keep]
    v = rng.normal(3.0, 2.0, len(s)).astype(np.float32)
    return s.astype(np.int64), e.astype(np.int64), v


def write_pybigwig_track(path: str, chroms: Dict[str, int], rng: np.random.Generator, p_gap: float = 0.3) -> None:
    import pyBigWig

    bw = pyBigWig.open(path, "w")
    bw.addHeader(sorted(chroms.items()))
    for c in sorted(chroms):
        s, e, v = _track_intervals(rng, chroms[c], p_gap)
        bw.addEntries([c] * len(s), s.tolist(), ends=e.tolist(), values=v.tolist())
    bw.close()


def make_genome(d: str, n_tracks: int = 3, seed: int = 7) -> Genome:
    rng = np.random.default_rng(seed)
    seqs = {c: random_sequence(rng, n, n_runs=3, run_len=300) for c, n in GENOME_CHROMS.items()}
    fa = os.path.join(d, "genome.fa")
    with open(fa, "wb") as fh:
        fh.write(fasta_bytes(seqs, 70))
    bws = []
    for t in range(n_tracks):
        p = os.path.join(d, f"track{t}.bw")
        write_pybigwig_track(p, GENOME_CHROMS, rng, p_gap=0.2 + 0.2 * t)
        bws.append(p)
    return Genome(d, fa, bws, dict(GENOME_CHROMS), seqs)


def pybw_values(paths: Sequence[str], chroms: Sequence[str], starts: Sequence[int], ends: Sequence[int],
                window: int = 1) -> np.ndarray:
    """(B, T, L // window) float32 from pyBigWig: per-base values, window
    bins as the mean of covered bases (NaN where none)."""
    import warnings

    import pyBigWig

    handles = [pyBigWig.open(p) for p in paths]
    try:
        B, L = len(starts), int(ends[0]) - int(starts[0])
        out = np.empty((B, len(paths), L // window), np.float32)
        for b in range(B):
            for t, h in enumerate(handles):
                v = np.asarray(h.values(str(chroms[b]), int(starts[b]), int(ends[b]), numpy=True), np.float64)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    out[b, t] = np.nanmean(v.reshape(-1, window), axis=1)
        return out
    finally:
        for h in handles:
            h.close()


def assert_values_close(got: np.ndarray, want: np.ndarray, rtol: float = 1e-5, atol: float = 1e-5) -> None:
    got = np.asarray(got, np.float32)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert np.array_equal(np.isnan(got), np.isnan(want)), "NaN positions differ"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
