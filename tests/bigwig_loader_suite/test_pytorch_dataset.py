"""Port of bigwig-loader 0.3.2's tests/test_pytorch_dataset.py: the imports
changed (torch is a test dependency here: no importorskip), ``config`` is a
fixture; assertions upstream's, plus a check that each loop ran.
"""
from math import isnan

import pandas as pd
import pytest
import torch

from bwl.bigwig_loader import PytorchBigWigDataset


@pytest.fixture
def pytorch_dataset(bigwig_path, reference_genome_path, merged_intervals):
    dataset = PytorchBigWigDataset(
        regions_of_interest=merged_intervals,
        collection=bigwig_path,
        reference_genome_path=reference_genome_path,
        sequence_length=1000,
        center_bin_to_predict=1000,
        batch_size=256,
        batches_per_epoch=4,
        maximum_unknown_bases_fraction=0.1,
        first_n_files=2,
    )
    return dataset


def test_pytorch_dataset(pytorch_dataset):
    n = 0
    for _sequence, target in pytorch_dataset:
        assert target.shape == (256, 1000, 2)
        n += 1
    assert n == 4  # added: the loop must run


def test_input_and_target_is_torch_tensor(pytorch_dataset):
    sequence, target = next(iter(pytorch_dataset))
    assert isinstance(sequence, torch.Tensor)
    assert isinstance(target, torch.Tensor)


@pytest.mark.parametrize("default_value", [4.0, 5.6])
def test_pytorch_dataset_with_window_function_some_positive_values(
    default_value, bigwig_path, reference_genome_path, merged_intervals, config
):
    """
    Testing window function with default values 4.0 and 5.6.
    Unlikely you will ever do this,butgood as a test.
    """
    _pytorch_dataset_with_window_function(
        default_value,
        bigwig_path,
        reference_genome_path,
        merged_intervals,
        dtype="float32",
        config=config,
    )


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("default_value", [0.0, torch.nan])
def test_pytorch_dataset_with_window_function(
    dtype, default_value, bigwig_path, reference_genome_path, merged_intervals, config
):
    _pytorch_dataset_with_window_function(
        default_value, bigwig_path, reference_genome_path, merged_intervals, dtype, config
    )


def _pytorch_dataset_with_window_function(
    default_value, bigwig_path, reference_genome_path, merged_intervals, dtype, config
):
    center_bin_to_predict = 2048
    window_size = 128
    reduced_dim = center_bin_to_predict // window_size

    batch_size = 16

    df = pd.read_csv(config.example_positions, sep="\t")
    df = df[df["chr"].isin({"chr1", "chr3", "chr5"})]
    chromosomes = list(df["chr"])[:batch_size]
    centers = list(df["center"])[:batch_size]

    position_sampler = [(chrom, center) for chrom, center in zip(chromosomes, centers)]

    dataset = PytorchBigWigDataset(
        regions_of_interest=merged_intervals,
        collection=bigwig_path,
        reference_genome_path=reference_genome_path,
        sequence_length=center_bin_to_predict * 2,
        center_bin_to_predict=center_bin_to_predict,
        window_size=1,
        batch_size=batch_size,
        batches_per_epoch=1,
        maximum_unknown_bases_fraction=0.1,
        first_n_files=3,
        custom_position_sampler=position_sampler,
        default_value=default_value,
        return_batch_objects=True,
        dtype=dtype,
    )

    dataset_with_window = PytorchBigWigDataset(
        regions_of_interest=merged_intervals,
        collection=bigwig_path,
        reference_genome_path=reference_genome_path,
        sequence_length=center_bin_to_predict * 2,
        center_bin_to_predict=center_bin_to_predict,
        window_size=window_size,
        batch_size=batch_size,
        batches_per_epoch=1,
        maximum_unknown_bases_fraction=0.1,
        first_n_files=3,
        custom_position_sampler=position_sampler,
        default_value=default_value,
        return_batch_objects=True,
        dtype=dtype,
    )

    print(dataset_with_window._dataset.bigwig_collection.bigwig_paths)

    n_batches = 0
    for batch, batch_with_window in zip(dataset, dataset_with_window):
        n_batches += 1
        print(batch)
        print(batch_with_window)
        print(batch.chromosomes)
        print(batch_with_window.chromosomes)
        print(batch.starts)
        print(batch_with_window.starts)
        print(batch.ends)
        print(batch_with_window.ends)
        # expected = batch.values.reshape(
        #     batch.values.shape[0], batch.values.shape[1], reduced_dim, window_size
        # )
        expected = batch.values.reshape(
            batch.values.shape[0],
            reduced_dim,
            window_size,
            batch.values.shape[-1],
        )
        if not isnan(default_value) or default_value == 0:
            expected = torch.nan_to_num(expected, nan=default_value)
        expected = torch.nanmean(expected, axis=-2)
        print("---")
        print("expected", expected.shape)
        print(expected[2, :, :])
        print("batch_with_window", batch_with_window.values.shape)
        print(batch_with_window.values[2, :, :])
        # Use looser tolerances for bfloat16 due to lower precision
        if dtype == "bfloat16":
            assert torch.allclose(
                expected, batch_with_window.values, rtol=1e-2, atol=1e-2, equal_nan=True
            )
        else:
            assert torch.allclose(expected, batch_with_window.values, equal_nan=True)

        # TODO: I need the bigwig file with empty intervals
        if isnan(default_value):
            assert torch.isnan(batch_with_window.values).any()
    assert n_batches == 1  # added: the loop must run
