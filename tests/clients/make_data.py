"""The inputs the client runs read, generated from a seed: bigWigs written by
the real pyBigWig (libBigWig's bytes, all three section types, zoom levels),
a FASTA with its .fai, chromosome sizes, BED6 genes, narrowPeak peaks and
negatives, and a coordinate-sorted, indexed BAM written by pysam.

``python make_data.py DIR`` writes them; ``make(DIR)`` returns their paths.
Must run with the real pyBigWig (not under BWL_AS_PYBIGWIG).
"""
from __future__ import annotations

import os
import shutil
import sys

import numpy as np

CHROMS = [("chr1", 400_000), ("chr2", 250_000), ("chr3", 120_000), ("chrM", 16_569)]


def _bedgraph_entries(rng, size: int, mean_len: int, fill: float, ints: bool = False):
    """Sorted, non-overlapping (start, end, value) runs covering about
    `fill` of the chromosome, with gaps."""
    starts, ends = [], []
    pos = int(rng.integers(0, 200))
    while pos < size - 1:
        length = int(rng.integers(1, 2 * mean_len))
        end = min(pos + length, size)
        starts.append(pos)
        ends.append(end)
        gap = int(rng.exponential(mean_len * (1 - fill) / max(fill, 1e-3)))
        pos = end + gap
    n = len(starts)
    if ints:
        vals = rng.poisson(2.0, n).astype(np.float64) + 1.0
    else:
        vals = np.round(rng.gamma(1.5, 3.0, n), 3) * rng.choice([1.0, 1.0, 1.0, -1.0, 0.0], n)
    return np.array(starts, np.int64), np.array(ends, np.int64), vals.astype(np.float64)


def _write_bigwigs(d: str, rng) -> dict:
    import pyBigWig

    assert "bwl" not in getattr(pyBigWig, "__version__", ""), "make_data needs the real pyBigWig"
    out = {}
    # a: bedGraph sections, variable runs and gaps, positive/negative/zero values, every chromosome
    p = out["a"] = os.path.join(d, "a.bw")
    bw = pyBigWig.open(p, "w")
    bw.addHeader(CHROMS, maxZooms=10)
    for c, size in CHROMS:
        s, e, v = _bedgraph_entries(rng, size, 60, 0.7)
        bw.addEntries([c] * len(s), s.tolist(), ends=e.tolist(), values=v.tolist())
    bw.close()
    # b: variableStep (span 10), chr1 and chr2 only (chr3/chrM absent from b)
    p = out["b"] = os.path.join(d, "b.bw")
    bw = pyBigWig.open(p, "w")
    bw.addHeader(CHROMS, maxZooms=10)
    for c, size in CHROMS[:2]:
        starts = np.sort(rng.choice(np.arange(0, size - 10, 10), size // 40, replace=False))
        vals = np.round(rng.gamma(2.0, 2.0, len(starts)), 2)
        bw.addEntries(c, starts.tolist(), values=vals.tolist(), span=10)
    bw.close()
    # c: fixedStep (span 25, step 25) over the first half of each chromosome but chrM
    p = out["c"] = os.path.join(d, "c.bw")
    bw = pyBigWig.open(p, "w")
    bw.addHeader(CHROMS, maxZooms=10)
    for c, size in CHROMS[:3]:
        n = size // 2 // 25
        vals = np.round(rng.exponential(1.0, n) * (rng.random(n) < 0.8), 4)
        bw.addEntries(c, 1000, values=vals.tolist(), span=25, step=25)
    bw.close()
    # plus/minus: integer per-base counts (bpnet-style stranded signal); ctl: a control track
    for name, fill in (("plus", 0.2), ("minus", 0.2), ("ctl", 0.4)):
        p = out[name] = os.path.join(d, f"{name}.bw")
        bw = pyBigWig.open(p, "w")
        bw.addHeader(CHROMS, maxZooms=10)
        for c, size in CHROMS:
            s, e, v = _bedgraph_entries(rng, size, 3, fill, ints=True)
            bw.addEntries([c] * len(s), s.tolist(), ends=e.tolist(), values=v.tolist())
        bw.close()
    return out


def _write_fasta(d: str, rng) -> tuple[str, str]:
    fa = os.path.join(d, "genome.fa")
    sizes = os.path.join(d, "chrom.sizes")
    with open(fa, "w") as f, open(sizes, "w") as s:
        for c, size in CHROMS:
            seq = np.array(list("ACGT"))[rng.integers(0, 4, size)]
            w = min(20_000, size // 4)  # a GC-rich stretch, an N run, lower case
            gc_rich = rng.integers(0, size - w)
            seq[gc_rich:gc_rich + w] = np.array(list("GCGCAT"))[rng.integers(0, 6, w)]
            n0 = rng.integers(0, size - 3_000)
            seq[n0:n0 + 3_000] = "N"
            text = "".join(seq.tolist())
            lo = rng.integers(0, size - 5_000)
            text = text[:lo] + text[lo:lo + 5_000].lower() + text[lo + 5_000:]
            f.write(f">{c}\n")
            for i in range(0, size, 60):
                f.write(text[i:i + 60] + "\n")
            s.write(f"{c}\t{size}\n")
    import pysam

    pysam.faidx(fa)
    shutil.copy(sizes, fa + ".sizes")  # where grelu looks for a FASTA's chromosome sizes
    return fa, sizes


def _write_beds(d: str, rng) -> dict:
    out = {}
    main = CHROMS[:3]
    # genes: BED6, both strands, lengths 500..20,000, a few near chromosome ends
    rows = []
    for i in range(240):
        c, size = main[int(rng.integers(0, len(main)))]
        length = int(rng.integers(500, 20_000))
        start = int(rng.integers(0, size - length))
        if i % 40 == 0:
            start = int(rng.integers(0, 300))            # near the start
        elif i % 40 == 1:
            start = size - length - int(rng.integers(0, 300))  # near the end
        rows.append((c, start, start + length, f"gene{i}", 0, "+-"[int(rng.integers(0, 2))]))
    rows.sort(key=lambda r: (r[0], r[1]))
    p = out["genes"] = os.path.join(d, "genes.bed")
    with open(p, "w") as f:
        for r in rows:
            f.write("\t".join(map(str, r)) + "\n")
    # peaks: narrowPeak (summit in column 10), 2,000 bp margin from the ends except a few
    for name, n in (("peaks", 150), ("negatives", 100)):
        rows = []
        for i in range(n):
            c, size = main[int(rng.integers(0, len(main)))]
            length = int(rng.integers(150, 800))
            start = int(rng.integers(2_000, size - 2_000 - length))
            if i % 50 == 7:
                start = int(rng.integers(0, 400))  # its window runs off the start: dropped by the clients
            rows.append((c, start, start + length, f"{name}{i}", int(rng.integers(0, 1000)), ".",
                         round(float(rng.gamma(2, 3)), 3), -1, -1, int(rng.integers(0, length))))
        p = out[name] = os.path.join(d, f"{name}.bed")
        with open(p, "w") as f:
            for r in rows:
                f.write("\t".join(map(str, r)) + "\n")
    return out


def _write_bam(d: str, rng, n_reads: int = 60_000) -> str:
    import pysam

    header = {"HD": {"VN": "1.6", "SO": "coordinate"},
              "SQ": [{"SN": c, "LN": n} for c, n in CHROMS]}
    unsorted = os.path.join(d, "reads.unsorted.bam")
    ref = {c: i for i, (c, _) in enumerate(CHROMS)}
    weights = np.array([n for _, n in CHROMS], np.float64)
    chrom_of = rng.choice(len(CHROMS), n_reads, p=weights / weights.sum())
    cigars = [("50M", 50), ("20M3D30M", 53), ("5S45M", 45), ("30M2I18M", 48)]
    with pysam.AlignmentFile(unsorted, "wb", header=header) as out:
        for i in range(n_reads):
            c = int(chrom_of[i])
            size = CHROMS[c][1]
            # clustered reads: half near a few hundred "sites", half uniform
            if rng.random() < 0.5:
                site = (int(rng.integers(0, 300)) * 7919 * 13) % (size - 400)
                pos = site + int(rng.normal(0, 80))
            else:
                pos = int(rng.integers(0, size - 60))
            pos = min(max(pos, 0), size - 60)
            cig, reflen = cigars[int(rng.integers(0, 10)) % len(cigars)] if rng.random() < 0.3 else cigars[0]
            qlen = sum(int(n) for n, op in _cigar_ops(cig) if op in "MIS")
            a = pysam.AlignedSegment()
            a.query_name = f"r{i}"
            a.query_sequence = "".join(np.array(list("ACGT"))[rng.integers(0, 4, qlen)].tolist())
            a.flag = 16 if rng.random() < 0.5 else 0
            if rng.random() < 0.03:
                a.flag |= 1024  # duplicate
            a.reference_id = ref[CHROMS[c][0]]
            a.reference_start = pos
            a.mapping_quality = int(rng.choice([0, 5, 30, 60, 60, 60]))
            a.cigarstring = cig
            a.query_qualities = pysam.qualitystring_to_array("I" * qlen)
            out.write(a)
    bam = os.path.join(d, "reads.bam")
    pysam.sort("-o", bam, unsorted)
    pysam.index(bam)
    os.remove(unsorted)
    return bam


def _cigar_ops(cig: str):
    num = ""
    for ch in cig:
        if ch.isdigit():
            num += ch
        else:
            yield num, ch
            num = ""


def make(d: str, seed: int = 32) -> dict:
    """Writes every input under `d` (made if absent); returns their paths."""
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = _write_bigwigs(d, rng)
    paths["fasta"], paths["sizes"] = _write_fasta(d, rng)
    paths.update(_write_beds(d, rng))
    paths["bam"] = _write_bam(d, rng)
    return paths


if __name__ == "__main__":
    for k, v in make(sys.argv[1] if len(sys.argv) > 1 else "client-data").items():
        print(k, v)
