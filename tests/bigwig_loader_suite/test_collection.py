"""Port of bigwig-loader 0.3.2's tests/test_collection.py (cupy -> numpy).

Not ported: ``test_sort_intervals`` (bigwig_loader.util.sort_intervals, a
natsort helper on DataFrames: bwl.bigwig_loader has no counterpart; see
README.md). ``test_exclude_intervals`` and ``test_merge_intervals`` test
``BigWigCollection.intervals``, which bwl.bigwig_loader does not offer
(docs/migration.md): they run on its native counterpart,
``bwl.Collection.intervals`` (``collection.collection``), as documented there.
"""
import numpy as np
import pandas as pd
import pytest

from bwl.bigwig_loader import BigWigCollection, BigWigDataset, RandomPositionSampler, interpret_path


def _get_example_batch_of_intervals(config, n_bases=1000, batch_size=256):
    batch_of_positions = pd.read_csv(config.example_data_dir / "some_positions.tsv", sep="\t")

    batch_of_positions = batch_of_positions.sample(batch_size)

    center = batch_of_positions["center"]
    batch_of_intervals = pd.DataFrame({"chrom": batch_of_positions["chr"], "start": center - (n_bases // 2)})
    batch_of_intervals["end"] = batch_of_intervals["start"] + n_bases
    return batch_of_intervals


@pytest.fixture
def bigwig_dataset(bigwig_path, reference_genome_path, merged_intervals):
    dataset = BigWigDataset(
        regions_of_interest=merged_intervals,
        collection=bigwig_path,
        reference_genome_path=reference_genome_path,
        sequence_length=1000,
        center_bin_to_predict=1000,
        batch_size=256,
        batches_per_epoch=10,
        maximum_unknown_bases_fraction=0.1,
        first_n_files=2,
    )
    return dataset


def test_dataset(bigwig_dataset):
    n = 0
    for _sequence, target in bigwig_dataset:
        assert target.shape == (256, 1000, 2)
        n += 1
    assert n == 10  # added: the loop must run


def test_get_batch(collection, config):
    intervals = _get_example_batch_of_intervals(config, n_bases=1000, batch_size=256)
    n_files = len(collection.bigwig_paths)
    batch = collection.get_batch(
        intervals["chrom"].values,
        intervals["start"].values,
        intervals["end"].values,
    )
    assert batch.shape == (256, 1000, n_files)


def test_get_batch_with_nans(collection):
    """
    Testing whether NaNs are returned when setting
    the default_value to np.nan. Giving it some
    coordinates way beyond the total chromosome
    length now because the bigwigs I am testing
    on include intervals with value 0.0 instead
    of just not listing it.

    bwl: windows outside a chromosome raise ValueError (as in pyBigWig)
    where bigwig-loader gives the default, so the fixture's chr4 and chr20
    are 100 Mb long with data only in their first 80 kb: these windows are
    inside the chromosomes and without data.
    """
    n_files = len(collection.bigwig_paths)

    batch = collection.get_batch(
        ["chr1", "chr20", "chr4"],
        [0, 99998999, 99998999],
        [1000, 99999999, 99999999],
        default_value=np.nan,
    )

    assert batch.shape == (3, 1000, n_files)
    assert np.any(np.isnan(batch))
    assert np.isnan(batch[1:]).all()  # added: no data there at all


def test_exclude_intervals(collection):
    # bigwig-loader: collection.intervals(["chr3", "chr4", "chr5"], exclude_chromosomes=["chr4"])
    chroms, _, _ = collection.collection.intervals(chroms=[c for c in ["chr3", "chr4", "chr5"] if c != "chr4"])
    present_chromosomes = set(chroms)
    assert "chr5" in present_chromosomes and "chr4" not in present_chromosomes


def test_merge_intervals(collection, merged_intervals):
    # bigwig-loader's unmerged intervals are the files' records above the
    # threshold; bwl.Collection.intervals always joins touching bases, and
    # merges stretches closer than merge_distance: merged_intervals (the
    # fixture) is merge_distance=0, this one merges gaps of up to 50 bases.
    chroms = [c for c in ["chr3", "chr4", "chr5"] if c != "chr4"]
    c, s, e = collection.collection.intervals(threshold=2, chroms=chroms, merge_distance=50)
    more_merged = pd.DataFrame({"chrom": c, "start": s, "end": e})
    unmerged_intervals = merged_intervals
    merged_intervals = more_merged
    assert len(merged_intervals) < len(unmerged_intervals)


def test_position_sampler(merged_intervals):
    sampler = RandomPositionSampler(merged_intervals)
    sample = next(sampler)
    assert sample[0].startswith("chr")


def test_chromosomes_present_in_all_files(collection: BigWigCollection):
    chromosomes = collection.get_chromosomes_present_in_all_files("standard")
    assert len(chromosomes) > 0
    assert all(isinstance(c, str) and c.strip() for c in chromosomes)
    # added: the intersection over the files (chrX is in one file only), in natural order
    assert chromosomes == ["chr1", "chr2", "chr3", "chr4", "chr5", "chr20"]
    assert collection.get_chromosomes_present_in_all_files(exclude_chromosomes=["chr4"]) == \
        ["chr1", "chr2", "chr3", "chr5", "chr20"]
    assert "chrX" in BigWigCollection(collection.bigwig_paths[:1]).get_chromosomes_present_in_all_files()


def test_scaling(bigwig_path, reference_genome_path, config):
    stems = [path.stem for path in sorted(interpret_path(bigwig_path))]
    scale = {stems[0]: 3, stems[1]: 10}

    unscaled = BigWigCollection(
        bigwig_path,
        first_n_files=2,
    )
    scaled = BigWigCollection(
        bigwig_path,
        first_n_files=2,
        scale=scale,
    )

    intervals = _get_example_batch_of_intervals(config, n_bases=1000, batch_size=32)

    unscaled_batch = unscaled.get_batch(
        intervals["chrom"].values,
        intervals["start"].values,
        intervals["end"].values,
    )

    scaled_batch = scaled.get_batch(
        intervals["chrom"].values,
        intervals["start"].values,
        intervals["end"].values,
    )

    assert np.allclose(scaled_batch, unscaled_batch * np.asarray([3, 10]).reshape(1, 1, 2))
    assert (unscaled_batch != 0).any()  # added: something to scale
