"""bwl.samplers: RandomRegions, Tiles, Tracks.

Expectations are brute-force checks written here (interval overlap by
comparison, base coverage by counting, N content from pyfaidx), plus loose
statistical checks with fixed seeds.
"""
from __future__ import annotations

import numpy as np
import pyfaidx
import pytest

import bwl
from bwl.samplers import RandomRegions, Tiles, Tracks
from support.fasta import fasta_bytes, random_sequence

SIZES = {"chr1": 200_000, "chr2": 50_000, "chr3": 900, "chrS": 40}
REGIONS = (
    np.array(["chr1", "chr1", "chr1", "chr2", "chr2", "chr3", "chrS", "chrU"]),
    np.array([0, 1_000, 150_000, 10_000, 49_000, 0, 0, 0]),
    np.array([500, 30_000, 199_990, 10_050, 50_000, 900, 40, 100]),
)


def _concat(batches):
    return tuple(np.concatenate(x) for x in zip(*batches))


def _region_bases(regions, sizes, L):
    """Set-free description: per chrom a boolean mask of region bases
    (regions on chroms shorter than L or unknown dropped, clipped to the chrom)."""
    masks = {}
    for c, s, e in zip(*regions):
        n = sizes.get(str(c), 0)
        if n < L:
            continue
        m = masks.setdefault(str(c), np.zeros(n, bool))
        m[s:min(e, n)] = True
    return masks


# ------------------------------------------------------------------ RandomRegions


def test_random_regions_reproducible():
    a = RandomRegions(REGIONS, 128, SIZES, seed=11)
    b = RandomRegions(REGIONS, 128, SIZES, seed=11)
    later = [b.batch(32, i, epoch=3) for i in (5, 2, 0)]  # other call order
    for i, got in zip((5, 2, 0), later):
        want = a.batch(32, i, epoch=3)
        for x, y in zip(got, want):
            assert np.array_equal(x, y)
    base = a.batch(32, 0, epoch=0)
    for other in (a.batch(32, 1, epoch=0), a.batch(32, 0, epoch=1),
                  RandomRegions(REGIONS, 128, SIZES, seed=12).batch(32, 0, epoch=0)):
        assert not np.array_equal(base[1], other[1])
    # drawing one batch does not change another (no hidden state)
    a.batch(32, 7)
    assert np.array_equal(a.batch(32, 0, epoch=0)[1], base[1])


@pytest.mark.parametrize("jitter", [0, 37])
def test_random_regions_inside_chroms_and_near_regions(jitter):
    L = 256
    s = RandomRegions(REGIONS, L, SIZES, jitter=jitter, seed=1)
    c, st, en = _concat([s.batch(64, i) for i in range(40)])
    assert c.dtype.kind == "U" and st.dtype == np.int64 and en.dtype == np.int64
    assert np.all(en - st == L)
    sizes = np.array([SIZES[x] for x in c])
    assert np.all(st >= 0) and np.all(en <= sizes)
    assert set(c) <= {"chr1", "chr2", "chr3"}  # chrS shorter than L, chrU unknown
    masks = _region_bases(REGIONS, SIZES, L)
    for name, a, b in zip(c, st, en):
        n = SIZES[name]
        # possible centres given the shift that keeps the window inside the chrom
        lo = a + L // 2 if a > 0 else -10**9
        hi = a + L // 2 if b < n else 10**9
        lo, hi = max(lo - jitter, 0), min(hi + jitter, n - 1)
        assert lo <= hi
        assert masks[name][lo:hi + 1].any(), (name, a, b)


def test_random_regions_centres_exact_without_clipping():
    """Far from chrom ends and without jitter, start + L // 2 is a region base."""
    L = 101
    s = RandomRegions(REGIONS, L, SIZES, seed=4)
    c, st, en = _concat([s.batch(100, i) for i in range(30)])
    masks = _region_bases(REGIONS, SIZES, L)
    inner = (st > 0) & (en < np.array([SIZES[x] for x in c]))
    assert inner.mean() > 0.9
    for name, a in zip(c[inner], st[inner]):
        assert masks[name][a + L // 2]


def test_random_regions_uniform_over_region_bases():
    """Centres are uniform over the union of region bases: overlapping
    regions do not count twice, long regions are hit more."""
    sizes = {"a": 1_000_000, "b": 1_000_000}
    regs = (np.array(["a", "a", "a", "b"]),
            np.array([100_000, 150_000, 500_000, 200_000]),
            np.array([200_000, 180_000, 520_000, 260_000]))  # 2nd inside the 1st
    L = 1000
    s = RandomRegions(regs, L, sizes, seed=2024)
    c, st, _ = _concat([s.batch(1000, i) for i in range(40)])
    centre = st + L // 2
    # position along the concatenated region bases: a[100k,200k), a[500k,520k), b[200k,260k)
    pos = np.where(c == "b", 120_000 + centre - 200_000,
                   np.where(centre >= 500_000, 100_000 + centre - 500_000, centre - 100_000))
    assert np.all((pos >= 0) & (pos < 180_000))
    n = len(pos)
    # chi-square over 30 equal bins (expected ~1333 each)
    counts = np.bincount(pos * 30 // 180_000, minlength=30)
    exp = n / 30
    chi2 = ((counts - exp) ** 2 / exp).sum()
    assert chi2 < 70, chi2  # 29 dof: p ~ 5e-5
    # KS distance against the uniform CDF
    x = np.sort(pos) / 180_000
    d = np.max(np.abs(x - (np.arange(1, n + 1) - 0.5) / n))
    assert d < 0.02, d
    # the nested region [150k, 180k) is not over-weighted
    share = np.mean((c == "a") & (centre >= 150_000) & (centre < 180_000))
    assert abs(share - 30 / 180) < 0.015


def test_random_regions_clip_to_chrom_and_drop_unknown():
    """Region bases past the chromosome end, on unknown chromosomes, or on
    chromosomes shorter than L carry no weight."""
    sizes = {"a": 10_000, "b": 10_000, "tiny": 50}
    regs = (np.array(["a", "b", "zz", "tiny"]), np.array([0, 9_000, 0, 0]), np.array([1_000, 1_000_000, 10**6, 50]))
    L = 100
    s = RandomRegions(regs, L, sizes, seed=6)
    c, st, en = _concat([s.batch(500, i) for i in range(8)])
    assert set(c) == {"a", "b"}
    assert np.all(en[c == "b"] <= 10_000)
    share_b = np.mean(c == "b")  # 1000 of 2000 region bases
    assert 0.45 < share_b < 0.55, share_b


def test_random_regions_jitter_spreads_centres():
    L = 100
    regs = (np.array(["chr1"]), np.array([100_000]), np.array([100_001]))  # one base
    s0 = RandomRegions(regs, L, SIZES, seed=3)
    c, st, _ = _concat([s0.batch(50, i) for i in range(4)])
    assert np.all(st + L // 2 == 100_000)
    s1 = RandomRegions(regs, L, SIZES, jitter=20, seed=3)
    c, st, _ = _concat([s1.batch(500, i) for i in range(4)])
    off = st + L // 2 - 100_000
    assert off.min() == -20 and off.max() == 20
    assert len(np.unique(off)) == 41
    counts = np.bincount(off + 20)
    assert counts.min() > 20  # roughly uniform over [-20, 20]


def _overlaps(c, s, e, block):
    bc, bs, be = block
    hit = np.zeros(len(c), bool)
    for i in range(len(c)):
        m = (bc == c[i]) & (bs < e[i]) & (be > s[i])
        hit[i] = m.any()
    return hit


@pytest.mark.parametrize("as_bed", [False, True])
def test_random_regions_blocklist(tmp_path, as_bed):
    L = 200
    rng = np.random.default_rng(8)
    bs = np.sort(rng.choice(np.arange(0, 200_000, 50), 60, replace=False))
    block = (np.array(["chr1"] * 60 + ["chr2", "chr2"]),
             np.r_[bs, 10_000, 10_020], np.r_[bs + rng.integers(1, 3000, 60), 10_030, 10_100])
    # unsorted and overlapping on purpose
    perm = rng.permutation(len(block[0]))
    block = tuple(x[perm] for x in block)
    arg = block
    if as_bed:
        p = tmp_path / "block.bed"
        p.write_text("track name=x\n" + "".join(f"{c}\t{s}\t{e}\n" for c, s, e in zip(*block)))
        arg = str(p)
    s = RandomRegions(REGIONS, L, SIZES, blocklist=arg, seed=5)
    c, st, en = _concat([s.batch(128, i) for i in range(20)])
    assert not _overlaps(c, st, en, block).any()
    # without the blocklist, the same sampler would hit it often
    free = RandomRegions(REGIONS, L, SIZES, seed=5)
    c2, s2, e2 = _concat([free.batch(128, i) for i in range(20)])
    assert _overlaps(c2, s2, e2, block).mean() > 0.2


def test_blocklist_half_open_boundaries():
    """A window [95, 105) only touches a block starting at 105: allowed;
    a block starting at 104 overlaps every possible window: no windows."""
    regs = (np.array(["chr1"]), np.array([100]), np.array([101]))
    ok = RandomRegions(regs, 10, SIZES, blocklist=(np.array(["chr1", "chr1"]), np.array([105, 0]), np.array([300, 95])), seed=0)
    c, st, en = ok.batch(8, 0)
    assert np.all(st == 95) and np.all(en == 105)
    bad = RandomRegions(regs, 10, SIZES, blocklist=(np.array(["chr1"]), np.array([104]), np.array([300])), seed=0,
                        max_tries=5)
    with pytest.raises(RuntimeError):
        bad.batch(8, 0)


@pytest.fixture(scope="module")
def n_fasta(tmp_path_factory):
    rng = np.random.default_rng(17)
    seqs = {"chr1": random_sequence(rng, 30_000, p_n=0.0, p_iupac=0.01, n_runs=12, run_len=800),
            "chr2": random_sequence(rng, 8_000, p_n=0.02, p_iupac=0.0, n_runs=3, run_len=1000)}
    d = tmp_path_factory.mktemp("nfa")
    p = d / "n.fa"
    p.write_bytes(fasta_bytes(seqs, 60))
    ref = d / "ref.fa"
    ref.write_bytes(fasta_bytes(seqs, 60))
    return str(p), pyfaidx.Fasta(str(ref), sequence_always_upper=False, as_raw=True), {k: len(v) for k, v in seqs.items()}


@pytest.mark.parametrize("max_n", [0.02, 0.1])
def test_random_regions_max_n_fraction(n_fasta, max_n):
    path, ref, sizes = n_fasta
    L = 300
    regs = (np.array(list(sizes)), np.zeros(2, np.int64), np.array(list(sizes.values())))
    s = RandomRegions(regs, L, sizes, fasta=bwl.Fasta(path), max_n_fraction=max_n, seed=9)
    c, st, en = _concat([s.batch(64, i) for i in range(8)])

    def frac(name, a, b):
        seq = ref[name][int(a):int(b)]
        return 1 - sum(seq.upper().count(x) for x in "ACGT") / L

    fr = np.array([frac(*w) for w in zip(c, st, en)])
    assert np.all(fr <= max_n + 1e-9), fr.max()
    # the constraint matters: unconstrained windows often exceed it
    free = RandomRegions(regs, L, sizes, seed=9)
    c2, s2, e2 = _concat([free.batch(64, i) for i in range(8)])
    assert np.mean([frac(*w) > max_n for w in zip(c2, s2, e2)]) > 0.2


def test_random_regions_errors():
    with pytest.raises(ValueError):
        RandomRegions(REGIONS, 0, SIZES)
    with pytest.raises(ValueError):
        RandomRegions(REGIONS, 10, SIZES, max_n_fraction=0.1)
    with pytest.raises(ValueError):
        RandomRegions(REGIONS, 10**7, SIZES)  # no chromosome long enough


def test_random_regions_from_bed_and_chrom_sizes(tmp_path):
    p = tmp_path / "r.bed"
    p.write_text("# comment\nbrowser position chr1\nchr2\t100\t200\tname\t0\t+\nchr2\t300\t301\n")
    s = RandomRegions(str(p), 50, SIZES, seed=0)
    c, st, en = s.batch(200, 0)
    centre = st + 25
    assert np.all(c == "chr2")
    assert np.all(((centre >= 100) & (centre < 200)) | (centre == 300))
    assert 0 < np.sum(centre == 300) < 20
    whole = RandomRegions({"chr2": SIZES["chr2"], "chrS": SIZES["chrS"]}, 64, SIZES, seed=0)
    c, st, en = whole.batch(300, 0)
    assert np.all(c == "chr2") and np.all(en <= SIZES["chr2"])
    assert np.ptp(st) > 40_000  # spread over the whole chromosome


# ------------------------------------------------------------------ Tiles

TILE_REGIONS = (
    np.array(["chr1", "chr1", "chr2", "chr2", "chr3"]),
    np.array([0, 10_000, 5, 1_000, 0]),
    np.array([4_096, 10_000 + 1_000, 5 + 512 * 3, 1_100, 700]),
)


def _coverage(regs, tiles: Tiles, batch_size: int):
    cov = {}
    nb = tiles.num_batches(batch_size)
    c, s, e = _concat([tiles.batch(batch_size, i) for i in range(nb)])
    assert len(c) == len(tiles)
    assert np.all(e - s == tiles.length)
    for name, a, b in zip(c, s, e):
        cov.setdefault(str(name), np.zeros(200_000, np.int32))[a:b] += 1
    return cov, (c, s, e)


@pytest.mark.parametrize("L,stride", [(512, None), (512, 512), (512, 100), (512, 511), (256, 1), (300, 700)])
def test_tiles_cover_regions(L, stride):
    t = Tiles(TILE_REGIONS, L, stride)
    cov, (c, s, e) = _coverage(TILE_REGIONS, t, 7)
    inside = {}
    for name, a, b in zip(*TILE_REGIONS):
        if b - a >= L:
            inside.setdefault(name, np.zeros(200_000, bool))[a:b] = True
    # every tile lies inside one region of length >= L
    for name, a, b in zip(c, s, e):
        ok = any(n == name and ra <= a and b <= rb for n, ra, rb in zip(*TILE_REGIONS))
        assert ok, (name, a, b)
    eff = stride or L
    for name, a, b in zip(*TILE_REGIONS):
        n = b - a
        k = cov.get(name, np.zeros(200_000, np.int32))[a:b]
        if n < L:
            continue
        if eff <= L:
            assert np.all(k >= 1), (name, a, b)
        if eff == L and n % L == 0:
            assert np.all(k == 1), (name, a, b)
        # tiles of the region: starts a, a + stride, ... and one ending at b
        mine = np.sort(s[(c == name) & (s >= a) & (e <= b)])
        want = list(range(a, b - L + 1, eff))
        if want[-1] + L < b:
            want.append(b - L)
        assert mine.tolist() == want, (name, a, b)
    # regions shorter than L give nothing
    for name in ("chr1", "chr2", "chr3"):
        short = [(a, b) for n, a, b in zip(*TILE_REGIONS) if n == name and b - a < L]
        for a, b in short:
            assert not np.any((c == name) & (s >= a) & (e <= b))


def test_tiles_deterministic_and_batches():
    a, b = Tiles(TILE_REGIONS, 128, 64), Tiles(TILE_REGIONS, 128, 64)
    assert len(a) == len(b) > 0
    n = a.num_batches(10)
    assert n == -(-len(a) // 10)
    for i in range(n):
        for x, y in zip(a.batch(10, i, epoch=0), b.batch(10, i, epoch=5)):
            assert np.array_equal(x, y)
    last = a.batch(10, n - 1)
    assert len(last[0]) == len(a) - 10 * (n - 1)
    with pytest.raises(ValueError):
        Tiles(TILE_REGIONS, 0)
    with pytest.raises(ValueError):
        Tiles(TILE_REGIONS, 10, -1)


# ------------------------------------------------------------------ Tracks


def test_tracks():
    t = Tracks(5, seed=1)
    seen = set()
    for i in range(50):
        x = t.batch(40, i, epoch=0)
        assert x.dtype == np.uint32 and x.shape == (5,)
        assert np.all(np.diff(x.astype(np.int64)) > 0)  # sorted, distinct
        assert x.min() >= 0 and x.max() < 40
        assert np.array_equal(x, Tracks(5, seed=1).batch(40, i, epoch=0))
        seen.add(tuple(x.tolist()))
    assert len(seen) > 40  # differs across indices
    assert not np.array_equal(t.batch(40, 0, 0), t.batch(40, 0, 1))
    assert not np.array_equal(t.batch(40, 0, 0), Tracks(5, seed=2).batch(40, 0, 0))
    # every track gets picked over many batches, roughly evenly
    counts = np.bincount(np.concatenate([t.batch(40, i) for i in range(400)]), minlength=40)
    assert counts.min() > 20 and counts.max() < 90  # mean 50
    assert np.array_equal(Tracks(3).batch(3, 0), [0, 1, 2])
    with pytest.raises(ValueError):
        t.batch(4, 0)
    with pytest.raises(ValueError):
        Tracks(0)


# ------------------------------------------------------------------ region sources, chrom sizes


def test_regions_from_dataframes():
    """A DataFrame gives its rows, never its column names: chrom/start/end
    in the usual spellings, or the first three unnamed columns."""
    import pandas as pd

    from bwl.samplers import as_regions

    c, s, e = REGIONS
    for cols in (("chrom", "start", "end"), ("Chromosome", "chromStart", "chromEnd"), ("seqnames", "Start", "End")):
        df = pd.DataFrame({cols[0]: c, cols[1]: s, cols[2]: e, "name": "x", "strand": "+"})
        got = as_regions(df)
        assert all(np.array_equal(a, b) for a, b in zip(got, (c.astype(str), s, e)))
    got = as_regions(pd.DataFrame({0: c, 1: s, 2: e, 3: 0.5}))  # read_csv(header=None)
    assert np.array_equal(got[1], s)
    with pytest.raises(ValueError, match="chrom, start and end columns"):
        as_regions(pd.DataFrame({"a": c, "b": s, "c": e}))
    a = RandomRegions(pd.DataFrame({"chrom": c, "start": s, "end": e}), 64, SIZES, seed=2).batch(50, 3)
    b = RandomRegions(REGIONS, 64, SIZES, seed=2).batch(50, 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_chrom_sizes_from_files(tmp_path):
    from bwl.regions import read_chrom_sizes

    sizes = tmp_path / "g.chrom.sizes"
    sizes.write_text("".join(f"{k}\t{v}\n" for k, v in SIZES.items()))
    fa = tmp_path / "g.fa"
    fa.write_bytes(fasta_bytes({"chr1": "ACGT" * 50, "chr2": "N" * 70}, 60))
    bwl.Fasta(str(fa))  # writes g.fa.fai
    assert read_chrom_sizes(str(fa) + ".fai") == {"chr1": 200, "chr2": 70}
    assert read_chrom_sizes(str(sizes)) == SIZES
    a = RandomRegions(REGIONS, 64, str(sizes), seed=1).batch(40, 0)
    b = RandomRegions(REGIONS, 64, SIZES, seed=1).batch(40, 0)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    bad = tmp_path / "bad.sizes"
    bad.write_text("chr1 many\n")
    with pytest.raises(ValueError, match="bad.sizes:1"):
        read_chrom_sizes(str(bad))


# ------------------------------------------------------------------ PeakRegions

PEAK_SIZES = {"chr1": 100_000, "chr2": 60_000, "chrT": 500}


def _peak_file(tmp_path, n=40, seed=0):
    """narrowPeak lines: peaks of 200-800 bases, summit offsets (some -1),
    one on a chromosome too short for the windows and one near a chrom end."""
    rng = np.random.default_rng(seed)
    lines, want = [], []
    for i in range(n):
        c = "chr1" if i % 3 else "chr2"
        s = int(rng.integers(0, PEAK_SIZES[c] - 1000))
        e = s + int(rng.integers(200, 800))
        off = -1 if i % 7 == 0 else int(rng.integers(0, e - s))
        lines.append(f"{c}\t{s}\t{e}\tp{i}\t0\t.\t1.0\t2.0\t3.0\t{off}\n")
        want.append((c, s + off if off >= 0 else (s + e) // 2))
    lines.append("chrT\t10\t300\tshort\t0\t.\t1\t2\t3\t50\n")
    lines.append(f"chr2\t{PEAK_SIZES['chr2'] - 300}\t{PEAK_SIZES['chr2'] - 10}\tedge\t0\t.\t1\t2\t3\t100\n")
    want.append(("chr2", PEAK_SIZES["chr2"] - 200))
    p = tmp_path / "peaks.narrowPeak"
    p.write_text("track name=x\n" + "".join(lines))
    return str(p), want


def test_peak_regions_epoch(tmp_path):
    """Every peak once per epoch, centred on its summit (clipped inside the
    chromosome), the chrT one dropped; negatives at the ratio, outside the
    peaks; the same (seed, epoch, index) gives the same batch; epochs differ
    in order."""
    from bwl.regions import read_peaks
    from bwl.samplers import PeakRegions

    path, want = _peak_file(tmp_path)
    L, B = 1000, 16
    pk = PeakRegions(path, L, PEAK_SIZES, negatives=0.5, seed=3)
    assert len(pk) == len(want) + round(0.5 * len(want)) and pk.num_batches(B) == -(-len(pk) // B)
    c, s, e = _concat([pk.batch(B, i, epoch=0) for i in range(pk.num_batches(B))])
    c, s, e = c[:len(pk)], s[:len(pk)], e[:len(pk)]  # the last batch is filled up from the start
    assert np.all(e - s == L) and np.all(s >= 0) and np.all(e <= [PEAK_SIZES[x] for x in c])
    centres = sorted(zip(c.tolist(), (s + L // 2).tolist()))
    for chrom, summit in want:
        size = PEAK_SIZES[chrom]
        centre = min(max(summit, L // 2), size - L + L // 2)
        centres.remove((chrom, centre))  # ValueError if a peak is missing
    assert len(centres) == round(0.5 * len(want))  # what is left: the negatives
    pc, ps, pe, _ = read_peaks(path)
    for chrom, centre in centres:
        m = pc == chrom
        assert not np.any((ps[m] < centre + L // 2) & (pe[m] > centre - L // 2)), (chrom, centre)  # no peak in it
    again = PeakRegions(path, L, PEAK_SIZES, negatives=0.5, seed=3)
    assert all(np.array_equal(x, y) for x, y in zip(again.batch(B, 2, epoch=0), pk.batch(B, 2, epoch=0)))
    assert not np.array_equal(pk.batch(B, 0, epoch=1)[1], pk.batch(B, 0, epoch=0)[1])


def test_peak_regions_jitter_frames_and_loader(tmp_path):
    import pandas as pd

    from bwl.regions import read_peaks
    from bwl.samplers import PeakRegions

    path, want = _peak_file(tmp_path, n=30, seed=1)
    c, s, e, summit = read_peaks(path)
    df = pd.DataFrame({"chrom": c, "start": s, "end": e, "summit": summit})
    a = PeakRegions(df, 500, PEAK_SIZES, jitter=25, seed=9)
    b = PeakRegions((c, s, e, summit), 500, PEAK_SIZES, jitter=25, seed=9)
    assert all(np.array_equal(x, y) for x, y in zip(a.batch(8, 1), b.batch(8, 1)))
    cc, ss, _ = _concat([a.batch(8, i) for i in range(a.num_batches(8))])
    keep = np.array([PEAK_SIZES[x] >= 500 for x in c])
    d = {}
    for x, y in zip(cc[:len(a)].tolist(), (ss[:len(a)] + 250).tolist()):
        d.setdefault(x, []).append(y)
    shifts = [min(abs(y - z) for y in d[x]) for x, z in zip(c[keep], summit[keep]) if 250 <= z <= PEAK_SIZES[x] - 250]
    assert max(shifts) <= 25 and np.mean(shifts) > 0
    # strands: a DataFrame's strand column comes out as the 4th array (negatives: +)
    st = np.where(np.arange(len(c)) % 2 == 0, "-", "+")
    sp = PeakRegions(pd.DataFrame({"chrom": c, "start": s, "end": e, "summit": summit, "strand": st}), 500,
                     PEAK_SIZES, negatives=0.5, seed=9)
    cc, ss, ee, minus = _concat([sp.batch(8, i) for i in range(sp.num_batches(8))])
    by_pos = {(x, int(y)): m for x, y, m in zip(c.tolist(), summit.tolist(), st == "-")}
    for x, centre, m in zip(cc.tolist(), (ss + 250).tolist(), minus.tolist()):
        if (x, centre) in by_pos:
            assert m == by_pos[(x, centre)]
    assert minus.any() and not minus.all()
    assert len(PeakRegions(path, 500, PEAK_SIZES).batch(8, 0)) == 3  # unstranded ('.'): three arrays
    with pytest.raises(ValueError):
        PeakRegions(path, 500, PEAK_SIZES, negatives=-1)
    with pytest.raises(ValueError, match="peak"):
        PeakRegions(path, 10**6, PEAK_SIZES)


def test_read_peaks_errors(tmp_path):
    from bwl.regions import read_peaks

    p = tmp_path / "bad.narrowPeak"
    p.write_text("chr1\t100\t200\tx\t0\t.\t1\t2\t3\t150\n")  # summit past the end
    with pytest.raises(ValueError, match="bad.narrowPeak:1"):
        read_peaks(str(p))


# ------------------------------------------------------------------ splits and weights


def test_chrom_splits():
    """split_chroms and chroms=/exclude= on every sampler: no window of a
    held-out chromosome in the training set, none of others in it."""
    from bwl.regions import split_chroms
    from bwl.samplers import PeakRegions

    parts = split_chroms(REGIONS, valid=["chr2"], test=["chr3"])
    assert set(parts["valid"][0]) == {"chr2"} and set(parts["test"][0]) == {"chr3"}
    assert "chr2" not in parts["train"][0] and "chr1" in parts["train"][0]
    assert sum(len(p[0]) for p in parts.values()) == len(REGIONS[0])
    with pytest.raises(ValueError, match="both"):
        split_chroms(REGIONS, valid=["chr2"], test=["chr2"])
    rr = RandomRegions(REGIONS, 64, SIZES, exclude=["chr1"], seed=1)
    assert set(rr.batch(200, 0)[0]) == {"chr2", "chr3"}
    assert set(RandomRegions(REGIONS, 64, SIZES, chroms=["chr2"]).batch(50, 0)[0]) == {"chr2"}
    tiles = Tiles(REGIONS, 40, chroms=["chr1", "chr2"], exclude=["chr2"])
    assert set(tiles.batch(len(tiles), 0)[0]) == {"chr1"}
    peaks = (np.array(["chr1", "chr1", "chr2"]), np.array([1_000, 50_000, 20_000]), np.array([1_300, 50_300, 20_300]))
    pk = PeakRegions(peaks, 500, SIZES, negatives=1.0, exclude=["chr2"], seed=2)
    c, _, _ = pk.batch(len(pk), 0)
    assert "chr2" not in set(c) and len(pk) == 4  # 2 peaks + 2 negatives, all on chr1 (chr3, chrS too short)
    with pytest.raises(ValueError, match="of those kept"):
        RandomRegions(REGIONS, 64, SIZES, chroms=["chrU"])


def test_random_regions_weights():
    """weights=: regions drawn by weight (not length), positions uniform in
    them; zero-weight regions never."""
    c = np.array(["chr1", "chr1", "chr2"])
    s = np.array([0, 100_000, 0])
    e = np.array([90_000, 100_500, 50_000])
    rr = RandomRegions((c, s, e), 100, SIZES, weights=[1.0, 3.0, 0.0], seed=5)
    bc, bs, be = _concat([rr.batch(1000, i) for i in range(8)])
    centre = bs + 50
    in_small = (bc == "chr1") & (centre >= 100_000) & (centre < 100_500)
    assert 0.70 < in_small.mean() < 0.80  # 3 / 4, though the region is 180x shorter
    assert not (bc == "chr2").any()
    big = centre[(bc == "chr1") & (centre < 90_000)]
    assert np.ptp(big) > 80_000  # uniform over the region
    with pytest.raises(ValueError, match="weights"):
        RandomRegions((c, s, e), 100, SIZES, weights=[1.0, -1.0, 0.0])


def test_signal_weights(tmp_path):
    """regions.signal_weights: each region's mean signal over the tracks
    (Collection.stats, equal pyBigWig's stats per region and track), 0
    without data; RandomRegions draws regions in that proportion."""
    import pyBigWig

    from bwl.regions import signal_weights

    sizes = {"chr1": 200_000, "chr2": 50_000}
    paths = []
    for t, level in enumerate((1.0, 3.0)):
        p = str(tmp_path / f"t{t}.bw")
        bwl.write(p, sizes, {"chr1": ([0, 100_000], [50_000, 100_500], [level, 4 * level]),
                             "chr2": ([10], [20], [-5.0])})
        paths.append(p)
    c = bwl.Collection(paths)
    regions = (np.array(["chr1", "chr1", "chr1", "chr2"]), np.array([0, 100_000, 150_000, 0]),
               np.array([50_000, 100_500, 160_000, 50_000]))
    per = c.stats(*regions, type="mean", exact=True)
    for t, p in enumerate(paths):
        ref = pyBigWig.open(p)
        for i in range(4):
            want = ref.stats(regions[0][i], int(regions[1][i]), int(regions[2][i]), type="mean", exact=True)[0]
            assert (want is None and np.isnan(per[i, t])) or np.isclose(per[i, t], want)
    w = signal_weights(c, regions, exact=True)
    assert np.allclose(w, [2.0, 8.0, 0.0, 0.0])  # mean over tracks; no data and negative signal weigh 0
    assert np.allclose(signal_weights(c, regions, exact=True, tracks=[1], power=2), [9.0, 144.0, 0.0, 0.0])
    rr = RandomRegions(regions, 100, sizes, weights=w, seed=2)
    bc, bs, _ = _concat([rr.batch(1000, i) for i in range(4)])
    centre = bs + 50
    assert 0.75 < ((centre >= 100_000) & (centre < 100_500)).mean() < 0.85  # 8 / 10
    assert not ((bc == "chr2") | (centre >= 150_000)).any()


def test_peak_regions_gc_matched(tmp_path):
    """gc_match: negatives whose GC follows the peaks' (peaks in a GC-rich
    half of the genome: matched negatives come from GC-rich sequence,
    unmatched ones mostly not)."""
    from bwl.samplers import PeakRegions, _gc

    rng = np.random.default_rng(3)
    n = 200_000
    half = n // 2
    at = np.array(list("AATTAATTGC"))[rng.integers(0, 10, half)]  # GC 20%
    gc = np.array(list("GGCCGGCCAT"))[rng.integers(0, 10, half)]  # GC 80%
    fa = tmp_path / "g.fa"
    fa.write_bytes(fasta_bytes({"chr1": "".join(at) + "".join(gc)}, 60))
    fasta = bwl.Fasta(str(fa))
    summits = np.arange(half + 2_000, n - 2_000, 3_000)
    peaks = (np.full(len(summits), "chr1"), summits - 100, summits + 100, summits)
    sizes = {"chr1": n}
    res = {}
    for match in (False, True):
        pk = PeakRegions(peaks, 500, sizes, negatives=2.0, fasta=fasta, gc_match=match, seed=7)
        c, s, e = _concat([pk.batch(32, i) for i in range(pk.num_batches(32))])
        centre = s + 250
        neg = ~np.isin(centre, summits)
        res[match] = _gc(fasta, c[neg], s[neg], 500).mean()
    assert res[True] > 0.7 > 0.6 > res[False], res
    with pytest.raises(ValueError, match="gc_match needs a fasta"):
        PeakRegions(peaks, 500, sizes, negatives=1.0, gc_match=True)


def test_samplers_oob_pad(tmp_path):
    """oob="pad": windows stay centred where drawn, over chromosome ends;
    the Loader reads them with oob="pad" (signal default, sequence zeros)."""
    from bwl.samplers import PeakRegions

    regs = (np.array(["chr2", "chr2"]), np.array([0, 49_900]), np.array([100, 50_000]))
    rr = RandomRegions(regs, 1_000, SIZES, oob="pad", seed=3)
    c, s, e = rr.batch(200, 0)
    centre = s + 500
    assert (s < 0).any() and (e > SIZES["chr2"]).any()
    assert np.all(((centre >= 0) & (centre < 100)) | ((centre >= 49_900) & (centre < 50_000)))
    shifted = RandomRegions(regs, 1_000, SIZES, seed=3).batch(200, 0)
    assert shifted[1].min() >= 0 and shifted[2].max() <= SIZES["chr2"]
    pk = PeakRegions((np.array(["chr2"]), np.array([10]), np.array([60]), np.array([20])), 1_000, SIZES, oob="pad")
    assert pk.batch(1, 0)[1][0] == 20 - 500
    with pytest.raises(ValueError, match="oob"):
        RandomRegions(regs, 1_000, SIZES, oob="clip")
