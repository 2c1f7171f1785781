"""bigwig-loader's tests/conftest.py fixtures over generated data.

bigwig-loader downloads ENCODE bigWigs and a reference genome for its
tests (``download_example_data``); the sdist ships only its two position
tables. Here: a small genome (support.fasta: soft-masked bases, Ns,
IUPAC codes, runs of N) and four sparse pyBigWig tracks (support.tracks'
writer) on chr1-chr5, chr20 and chrX (chrX in one track only, so
"chromosomes present in all files" matters), and a table of 400
positions like its ``some_positions.tsv`` (columns chr, center).
"""
from __future__ import annotations

import random
import types

import numpy as np
import pandas as pd
import pytest

from bwl.bigwig_loader import BigWigCollection
from support.fasta import fasta_bytes, random_sequence
from support.tracks import write_pybigwig

# FASTA sizes; the tracks' headers list chr4 and chr20 at 100 Mb with data in
# the first bases only (bigwig-loader's test_get_batch_with_nans reads
# 99,998,999-99,999,999 there and wants no data).
GENOME = {"chr1": 250_000, "chr2": 60_000, "chr3": 200_000, "chr4": 80_000, "chr5": 200_000, "chr20": 80_000,
          "chrX": 40_000}
HEADER_SIZES = {**GENOME, "chr4": 100_000_000, "chr20": 100_000_000}
N_TRACKS = 4


def _intervals(rng: np.random.Generator, size: int, offset: float):
    """bedGraph items with short gaps and, now and then, 150-600 bp without data."""
    n = size // 20
    lens = rng.integers(1, 60, n)
    gaps = np.where(rng.random(n) < 0.3, rng.integers(1, 30, n), 0)
    gaps += np.where(rng.random(n) < 0.03, rng.integers(150, 600, n), 0)
    s = np.cumsum(np.r_[0, lens[:-1]] + gaps)
    e = s + lens
    keep = e <= size
    # non-negative, as coverage signal (a mean near 0 from cancelling signs
    # would test float32 rounding of the oracle, not the loader)
    v = rng.gamma(2.0, 0.8 + offset, int(keep.sum())).astype(np.float32)
    return s[keep].astype(np.int64), e[keep].astype(np.int64), v


@pytest.fixture(scope="session")
def example_data_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("bigwig_loader_example_data")
    rng = np.random.default_rng(2024)
    seqs = {c: random_sequence(rng, n, p_lower=0.2, p_n=0.01, p_iupac=0.005, n_runs=4, run_len=1500)
            for c, n in GENOME.items()}
    (d / "genome.fa").write_bytes(fasta_bytes(seqs, 60))
    tracks = d / "bigwigs"
    tracks.mkdir()
    for t in range(N_TRACKS):
        chroms = {c: n for c, n in HEADER_SIZES.items() if c != "chrX" or t == 0}
        truth = {c: _intervals(rng, GENOME[c], 0.2 * t) for c in chroms}
        write_pybigwig(str(tracks / f"ENCFF00{t}{'.bigWig' if t % 2 else '.bw'}"), "bedGraph", truth,
                       dict(sorted(chroms.items())))
    # Positions as bigwig-loader's table (peak centres in hg38): ones whose
    # 4,096 bp window is at most 5% unknown bases, so custom position
    # samplers built from them give full batches.
    rows = []
    for c in rng.choice(list(GENOME), 1000):
        center = int(rng.integers(2500, GENOME[c] - 2500))
        window = seqs[c][center - 2048:center + 2048].upper()
        if sum(window.count(b) for b in "ACGT") >= 0.95 * len(window):
            rows.append((c, center))
    rows = rows[:400]
    pd.DataFrame(rows, columns=["chr", "center"]).to_csv(d / "some_positions.tsv", sep="\t", index=False)
    return d


@pytest.fixture(scope="session")
def config(example_data_dir):
    """bigwig-loader's ``config`` object: the paths its tests read."""
    return types.SimpleNamespace(example_data_dir=example_data_dir,
                                 example_positions=example_data_dir / "some_positions.tsv")


@pytest.fixture(scope="session")
def reference_genome_path(example_data_dir):
    return example_data_dir / "genome.fa"


@pytest.fixture(scope="session")
def bigwig_path(example_data_dir):
    return example_data_dir / "bigwigs"


@pytest.fixture
def collection(bigwig_path):
    collection = BigWigCollection(bigwig_path, first_n_files=2)
    return collection


@pytest.fixture
def merged_intervals(collection):
    """bigwig-loader: ``collection.intervals(["chr3", "chr4", "chr5"],
    exclude_chromosomes=["chr4"], merge=True, threshold=2)``, which
    bwl.bigwig_loader does not offer (docs/migration.md); its native
    counterpart, bwl.Collection.intervals, as the DataFrame bigwig-loader
    returns (chrom, start, end)."""
    chroms = [c for c in ["chr3", "chr4", "chr5"] if c not in ["chr4"]]
    c, s, e = collection.collection.intervals(threshold=2, chroms=chroms)
    return pd.DataFrame({"chrom": c, "start": s, "end": e})


@pytest.fixture
def example_intervals(collection, config) -> tuple[list[str], list[int], list[int]]:
    df = pd.read_csv(config.example_positions, sep="\t")
    df = df[df["chr"].isin(collection.get_chromosomes_present_in_all_files())]
    chrom, start, end = (
        list(df["chr"]),
        list(df["center"] - 500),
        list(df["center"] + 500),
    )

    shuffle_index = list(range(len(start)))
    random.Random(56).shuffle(shuffle_index)
    chrom = [chrom[i] for i in shuffle_index]
    start = [start[i] for i in shuffle_index]
    end = [end[i] for i in shuffle_index]
    return chrom, start, end
