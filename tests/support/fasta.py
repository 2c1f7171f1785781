"""FASTA, BGZF and one-hot, written and computed without bwl: FASTA text
by hand, BGZF members with Python's zlib, samtools' .fai / .gzi fields from
the layout, and the expected one-hot from pyfaidx's bases and numpy.
"""
from __future__ import annotations

import struct
import zlib

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


def fasta_bytes(seqs: dict[str, str], width: int, crlf: bool = False,
                descriptions: dict[str, str] | None = None) -> bytes:
    """FASTA text: lines of ``width`` bases, the last line of each sequence short."""
    nl = "\r\n" if crlf else "\n"
    out = []
    for name, s in seqs.items():
        desc = (descriptions or {}).get(name)
        out.append(f">{name}{' ' + desc if desc else ''}{nl}")
        for i in range(0, len(s), width):
            out.append(s[i:i + width] + nl)
    return "".join(out).encode()


def expected_fai(seqs: dict[str, str], width: int, crlf: bool = False,
                 descriptions: dict[str, str] | None = None) -> list[tuple[str, int, int, int, int]]:
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


def parse_fai(path: str) -> list[tuple[str, int, int, int, int]]:
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
               min_member: int = 1000) -> list[tuple[int, int]]:
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


def read_gzi(path: str) -> list[tuple[int, int]]:
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
