"""Port of bigwig-loader 0.3.2's tests/test_intervals_to_values_window_function.py.

As test_intervals_to_values.py: the kernel's intervals written to a bigWig
file and read back through ``BigWigCollection.get_batch`` with
``window_size`` (helpers.intervals_to_values). Every test and assertion is
upstream's, cupy replaced by numpy.
"""
from itertools import product
from math import isnan

import numpy as np
import pytest

from bigwig_loader_suite.helpers import all_close, intervals_to_values


def reshape_expected(
    expected: np.ndarray, batch_size: int, n_tracks: int
) -> np.ndarray:
    """
    Reshape expected output to match new shape (batch_size, sequence_length, n_tracks).

    Handles cases where expected might be:
    - 1D: sequence_length → reshape to (batch_size, sequence_length, n_tracks)
    - 2D: (batch_size, sequence_length) or (n_tracks, sequence_length) → reshape appropriately
    - 3D: already correct or needs transposing
    """
    if expected.ndim == 1:
        # 1D array: expand to (batch_size, sequence_length, n_tracks)
        seq_length = len(expected)
        expected = expected.reshape(1, seq_length, 1)
        if batch_size > 1 or n_tracks > 1:
            expected = np.broadcast_to(expected, (batch_size, seq_length, n_tracks))
    elif expected.ndim == 2:
        # 2D array: assume (batch_size, sequence_length), add track dimension
        expected = expected.reshape(expected.shape[0], expected.shape[1], 1)
        if n_tracks > 1:
            expected = np.broadcast_to(
                expected, (batch_size, expected.shape[1], n_tracks)
            )
    elif expected.ndim == 3:
        # Already 3D: check if it needs transposing or reshaping
        # Case 1: shape is (n_tracks, batch_size, sequence_length), transpose to (batch_size, sequence_length, n_tracks)
        if expected.shape[0] == n_tracks and expected.shape[1] == batch_size:
            expected = expected.transpose(1, 2, 0)
        # Case 2: shape is (batch_size, 1, sequence_length), reshape to (batch_size, sequence_length, n_tracks)
        elif expected.shape[0] == batch_size and expected.shape[1] == 1:
            seq_length = expected.shape[2]
            expected = expected.reshape(batch_size, seq_length, 1)
            if n_tracks > 1:
                expected = np.broadcast_to(expected, (batch_size, seq_length, n_tracks))

    return expected


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_window(default_value, dtype) -> None:
    """."""
    track_starts = np.asarray([1, 3, 10, 12, 16], dtype=np.int32)
    track_ends = np.asarray([3, 10, 12, 16, 20], dtype=np.int32)
    track_values = np.asarray([20.0, 15.0, 30.0, 40.0, 50.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([2], dtype=np.int32)
    query_ends = np.asarray([17], dtype=np.int32)
    batch_size = len(query_starts)
    n_tracks = 1
    reserved = np.zeros((batch_size, 3, n_tracks), dtype=np.float32)
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        window_size=5,
        default_value=default_value,
        out=reserved,
        dtype=dtype,
    )

    expected = np.asarray([[16.0, 21.0, 42.0]])
    expected = reshape_expected(expected, batch_size, n_tracks)

    print("expected:")
    print(expected)
    print("actual:")
    print(values)
    assert all_close(values, expected, dtype)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_edge_case_1(default_value, dtype) -> None:
    """Query start is somewhere in a "gap"."""
    track_starts = np.asarray([1, 10, 12, 16], dtype=np.int32)
    track_ends = np.asarray([3, 12, 16, 20], dtype=np.int32)
    track_values = np.asarray([20.0, 30.0, 40.0, 50.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([6], dtype=np.int32)
    query_ends = np.asarray([18], dtype=np.int32)
    batch_size = len(query_starts)
    n_tracks = 1
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        default_value=default_value,
        window_size=3,
        dtype=dtype,
    )
    x = default_value
    if isnan(default_value):
        expected = np.asarray([[x, 30.0, 40.0, 46.666668]])
    elif default_value != 0:
        expected = np.asarray([[x, (x + 30.0 + 30.0) / 3, 40.0, 46.666668]])
    else:
        expected = np.asarray([[x, 20.0, 40.0, 46.666668]])

    expected = reshape_expected(expected, batch_size, n_tracks)
    print("expected:")
    print(expected)
    print("actual:")
    print(values)

    assert all_close(values, expected, dtype)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_edge_case_2(default_value, dtype) -> None:
    """Query start is exactly at start index after "gap"."""
    track_starts = np.asarray([1, 10, 12, 16], dtype=np.int32)
    track_ends = np.asarray([3, 12, 16, 20], dtype=np.int32)
    track_values = np.asarray([20.0, 30.0, 40.0, 50.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([10], dtype=np.int32)
    query_ends = np.asarray([18], dtype=np.int32)
    batch_size = len(query_starts)
    n_tracks = 1
    reserved = np.zeros((batch_size, 2, n_tracks), dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        window_size=4,
        default_value=default_value,
        out=reserved,
        dtype=dtype,
    )
    expected = np.asarray([[35.0, 45.0]])
    expected = reshape_expected(expected, batch_size, n_tracks)
    print(expected)
    print(values)
    assert (
        all_close(values, expected, dtype)
        and expected.shape[1] == (query_ends[0] - query_starts[0]) / 4
    )


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_edge_case_3(default_value, dtype) -> None:
    """Query end is somewhere in a "gap"."""
    track_starts = np.asarray([5, 10, 12, 18], dtype=np.int32)
    track_ends = np.asarray([10, 12, 14, 20], dtype=np.int32)
    track_values = np.asarray([20.0, 30.0, 40.0, 50.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([8], dtype=np.int32)
    query_ends = np.asarray([16], dtype=np.int32)
    batch_size = len(query_starts)
    n_tracks = 1
    reserved = np.zeros((batch_size, 2, n_tracks), dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        window_size=4,
        default_value=default_value,
        out=reserved,
        dtype=dtype,
    )
    if isnan(default_value):
        expected = np.asarray([[25.0, 40.0]])
    else:
        expected = np.asarray([[25.0, 20.0]])
    expected = reshape_expected(expected, batch_size, n_tracks)
    print(expected)
    print(values)
    assert all_close(expected, values, dtype)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_edge_case_4(default_value, dtype) -> None:
    """Query end is exactly at end index before "gap"."""
    track_starts = np.asarray([5, 10, 12, 18], dtype=np.int32)
    track_ends = np.asarray([10, 12, 14, 20], dtype=np.int32)
    track_values = np.asarray([20.0, 30.0, 40.0, 50.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([8], dtype=np.int32)
    query_ends = np.asarray([14], dtype=np.int32)
    batch_size = len(query_starts)
    n_tracks = 1
    reserved = np.zeros((batch_size, 2, n_tracks), dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        window_size=3,
        default_value=default_value,
        out=reserved,
        dtype=dtype,
    )
    expected = np.asarray([[23.333334, 36.666668]])
    expected = reshape_expected(expected, batch_size, n_tracks)

    print(expected)
    print(values)

    assert all_close(values, expected, dtype)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_edge_case_5(default_value, dtype) -> None:
    """Query end is exactly at end index before "gap"."""
    track_starts = np.asarray([5, 10, 12, 18], dtype=np.uint32)
    track_ends = np.asarray([10, 12, 14, 20], dtype=np.uint32)
    track_values = np.asarray([20.0, 30.0, 40.0, 50.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([8], dtype=np.uint32)
    query_ends = np.asarray([20], dtype=np.uint32)
    batch_size = len(query_starts)
    n_tracks = 1
    reserved = np.zeros((batch_size, 4, n_tracks), dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        window_size=3,
        default_value=default_value,
        out=reserved,
        dtype=dtype,
    )
    x = default_value
    if isnan(default_value):
        expected = np.asarray([[23.333334, 36.666668, x, 50.0]])
    else:
        expected = np.asarray([[23.333334, 36.666668, x, 33.333332]])

    expected = reshape_expected(expected, batch_size, n_tracks)
    print(expected)
    print(values)

    assert all_close(values, expected, dtype)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_batch_of_2(default_value, dtype) -> None:
    """Query end is exactly at end index before "gap"."""
    track_starts = np.asarray([5, 10, 12, 18], dtype=np.int32)
    track_ends = np.asarray([10, 12, 14, 20], dtype=np.int32)
    track_values = np.asarray([20.0, 30.0, 40.0, 50.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([6, 8], dtype=np.int32)
    query_ends = np.asarray([18, 20], dtype=np.int32)
    batch_size = len(query_starts)
    n_tracks = 1
    reserved = np.zeros([batch_size, 4, n_tracks], dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        window_size=3,
        default_value=default_value,
        out=reserved,
        dtype=dtype,
    )

    if isnan(default_value):
        expected = np.asarray(
            [[[20.0, 26.666666, 40.0, np.nan]], [[23.333334, 36.666668, np.nan, 50.0]]]
        )
    else:
        expected = np.asarray(
            [
                [[20.0, 26.666666, 26.666666, 0.0]],
                [[23.333334, 36.666668, 0.0, 33.333332]],
            ]
        )

    expected = reshape_expected(expected, batch_size, n_tracks)
    print("expected:")
    print(expected)
    print("actual:")
    print(values)
    assert all_close(values, expected, dtype)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_one_track_one_sample(default_value, dtype) -> None:
    """
    This tests a specific combination of track and batch index
    of the larger test case below:
    test_get_values_from_intervals_batch_multiple_tracks
        track index = 0
        batch_index = 1
    Included to narrow down source of error in the larger test case.
    """
    track_starts = np.asarray([5, 10, 12, 18], dtype=np.int32)
    track_ends = np.asarray([10, 12, 14, 20], dtype=np.int32)
    track_values = np.asarray(
        [20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0, 110.0, 120.0, 130.0],
        dtype=np.dtype("f4"),
    )
    query_starts = np.asarray([9], dtype=np.int32)
    query_ends = np.asarray([20], dtype=np.int32)
    batch_size = len(query_starts)
    n_tracks = 1
    reserved = np.zeros([batch_size, 3, n_tracks], dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        sizes=np.asarray([4], dtype=np.int32),
        window_size=3,
        default_value=default_value,
        out=reserved,
        dtype=dtype,
    )

    x = default_value
    expected = np.asarray(
        [
            [
                [20.0, 30.0, 30.0, 40.0, 40.0, x, x, x, x, 50.0, 50.0],
            ],
        ]
    )

    def apply_window(full_matrix):
        return np.stack(
            [
                np.nanmean(full_matrix[:, :, :3], axis=2),
                np.nanmean(full_matrix[:, :, 3:6], axis=2),
                np.nanmean(full_matrix[:, :, 6:9], axis=2),
            ],
            axis=-1,
        )

    expected = apply_window(expected)
    expected = reshape_expected(expected, batch_size, n_tracks)

    print("expected:")
    print(expected)
    print("actual:")
    print(values)
    assert all_close(values, expected, dtype)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_one_track_one_sample_2(default_value, dtype) -> None:
    """
    This tests a specific combination of track and batch index
    of the larger test case below:
    test_get_values_from_intervals_batch_multiple_tracks
        track index = 2
        batch_index = 1
    Included to narrow down source of error in the larger test case.
    """
    track_starts = np.asarray([10, 100, 1000], dtype=np.int32)
    track_ends = np.asarray([20, 200, 2000], dtype=np.int32)
    track_values = np.asarray(
        [110.0, 120.0, 130.0],
        dtype=np.dtype("f4"),
    )
    query_starts = np.asarray([9], dtype=np.int32)
    query_ends = np.asarray([20], dtype=np.int32)
    batch_size = len(query_starts)
    n_tracks = 1
    reserved = np.zeros([batch_size, 3, n_tracks], dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        sizes=np.asarray([3], dtype=np.int32),
        window_size=3,
        default_value=default_value,
        out=reserved,
        dtype=dtype,
    )
    x = default_value
    expected = np.asarray(
        [
            [
                [
                    x,
                    110.0,
                    110.0,
                    110.0,
                    110.0,
                    110.0,
                    110.0,
                    110.0,
                    110.0,
                    110.0,
                    110.0,
                ],
            ]
        ]
    )

    def apply_window(full_matrix):
        return np.stack(
            [
                np.nanmean(full_matrix[:, :, :3], axis=2),
                np.nanmean(full_matrix[:, :, 3:6], axis=2),
                np.nanmean(full_matrix[:, :, 6:9], axis=2),
            ],
            axis=-1,
        )

    expected = apply_window(expected)
    expected = reshape_expected(expected, batch_size, n_tracks)

    print("expected:")
    print(expected)
    print("actual:")
    print(values)
    print("difference")
    print(values - expected)
    assert all_close(values, expected, dtype)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_multiple_tracks(default_value, dtype) -> None:
    """Test interval_to_values with 3 tracks and a batch size of 1."""
    track_starts = np.asarray(
        [5, 10, 12, 18, 8, 9, 10, 18, 25, 10, 100, 1000], dtype=np.int32
    )
    track_ends = np.asarray(
        [10, 12, 14, 20, 9, 10, 14, 22, 55, 20, 200, 2000], dtype=np.int32
    )
    track_values = np.asarray(
        [20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0, 110.0, 120.0, 130.0],
        dtype=np.dtype("f4"),
    )
    query_starts = np.asarray([9], dtype=np.int32)
    query_ends = np.asarray([20], dtype=np.int32)
    batch_size = len(query_starts)
    n_tracks = 3
    reserved = np.zeros([batch_size, 3, n_tracks], dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        sizes=np.asarray([4, 5, 3], dtype=np.int32),
        window_size=3,
        default_value=default_value,
        out=reserved,
        dtype=dtype,
    )

    x = default_value
    expected = np.asarray(
        [
            [
                [20.0, 30.0, 30.0, 40.0, 40.0, x, x, x, x, 50.0, 50.0],
            ],
            [
                [70.0, 80.0, 80.0, 80.0, 80.0, x, x, x, x, 90.0, 90.0],
            ],
            [
                [
                    x,
                    110.0,
                    110.0,
                    110.0,
                    110.0,
                    110.0,
                    110.0,
                    110.0,
                    110.0,
                    110.0,
                    110.0,
                ],
            ],
        ]
    )

    def apply_window(full_matrix):
        return np.stack(
            [
                np.nanmean(full_matrix[:, :, :3], axis=2),
                np.nanmean(full_matrix[:, :, 3:6], axis=2),
                np.nanmean(full_matrix[:, :, 6:9], axis=2),
            ],
            axis=-1,
        )

    expected = apply_window(expected)
    expected = reshape_expected(expected, batch_size, n_tracks)

    print("expected:", expected.shape)
    print(expected)
    print("actual:", values.shape)
    print(values)
    print("difference")
    print(values - expected)
    assert all_close(values, expected, dtype)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize(
    "sequence_length, window_size", list(product([8, 9, 10, 11, 13, 23], [2, 3, 4, 10, 11]))
)
@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_combinations_sequence_length_window_size(
    sequence_length, window_size, default_value, dtype
) -> None:
    """Test intervals_to_values with 3 tracks and a batch size of 4."""
    track_starts = np.asarray(
        [5, 10, 12, 18, 8, 9, 10, 18, 25, 10, 100, 1000], dtype=np.int32
    )
    track_ends = np.asarray(
        [10, 12, 14, 20, 9, 10, 14, 22, 55, 20, 200, 2000], dtype=np.int32
    )
    track_values = np.asarray(
        [20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0, 110.0, 120.0, 130.0],
        dtype=np.dtype("f4"),
    )
    query_starts = np.asarray([7, 9, 20, 99], dtype=np.int32)
    query_ends = query_starts + sequence_length
    reduced_dim = sequence_length // window_size

    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        sizes=np.asarray([4, 5, 3], dtype=np.int32),
        window_size=window_size,
        default_value=default_value,
        dtype=dtype,
    )

    values_with_window_size_1 = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        sizes=np.asarray([4, 5, 3], dtype=np.int32),
        window_size=1,
        default_value=default_value,
        dtype=dtype,
    )

    # For bfloat16, we need to convert to float32 first to compute the expected values correctly
    # because np.nanmean on uint16 would treat them as integers, not as bfloat16 bit patterns
    if dtype == "bfloat16":
        from bigwig_loader_suite.helpers import uint16_to_float32

        values_for_expected = uint16_to_float32(values_with_window_size_1)
    else:
        values_for_expected = values_with_window_size_1

    full_matrix = values_for_expected[:, : reduced_dim * window_size, :]
    full_matrix = full_matrix.reshape(
        full_matrix.shape[0], reduced_dim, window_size, full_matrix.shape[2]
    )
    expected = np.nanmean(full_matrix, axis=2)

    print("expected:")
    print(expected)
    print("actual:")
    print(values)
    assert all_close(values, expected, dtype)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize(
    "window_size, batch_size, n_tracks", list(product([1, 2, 3], [1, 2, 3], [1, 2, 3]))
)
@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_combinations_window_size_batch_size_n_tracks(
    window_size, batch_size, n_tracks, default_value, dtype
) -> None:
    """."""
    track_starts = np.asarray([1, 3, 10, 12, 16] * n_tracks, dtype=np.int32)
    track_ends = np.asarray([3, 8, 12, 16, 20] * n_tracks, dtype=np.int32)
    track_values = np.asarray(
        [20.0, 15.0, 30.0, 40.0, 50.0] * n_tracks, dtype=np.dtype("f4")
    )
    sizes = np.asarray([5] * n_tracks, dtype=np.int32)
    sequence_length = 15
    query_starts = np.asarray([2] * batch_size, dtype=np.int32)
    query_ends = query_starts + sequence_length
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        sizes=sizes,
        window_size=window_size,
        default_value=default_value,
        dtype=dtype,
    )

    values_with_window_size_1 = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        sizes=sizes,
        window_size=1,
        default_value=default_value,
        dtype=dtype,
    )

    # For bfloat16, we need to convert to float32 first to compute the expected values correctly
    if dtype == "bfloat16":
        from bigwig_loader_suite.helpers import uint16_to_float32

        values_for_expected = uint16_to_float32(values_with_window_size_1)
    else:
        values_for_expected = values_with_window_size_1

    reduced_dim = sequence_length // window_size
    full_matrix = values_for_expected[:, : reduced_dim * window_size, :]
    full_matrix = full_matrix.reshape(
        full_matrix.shape[0], reduced_dim, window_size, full_matrix.shape[2]
    )
    expected = np.nanmean(full_matrix, axis=2)

    print("expected:")
    print(expected)
    print("actual:")
    print(values)

    assert all_close(values, expected, dtype)


def create_random_track_data(n_tracks, min_intervals=10, max_intervals=20):
    """Create random track data for testing."""
    track_starts = []
    track_ends = []
    values = []
    sizes = []
    for _ in range(n_tracks):
        current_start = 0
        generate_n_intervals = np.random.randint(min_intervals, max_intervals)
        for _i in range(generate_n_intervals):
            start = current_start + np.random.randint(
                1, 50
            )  # Ensure a gap between intervals
            end = start + np.random.randint(1, 100)  # Random interval length
            track_starts.append(start)
            track_ends.append(end)
            values.append(np.random.random())
            current_start = end  # Update the start for the next interval
        sizes.append(generate_n_intervals)

    return (
        np.asarray(track_starts, dtype=np.int32),
        np.asarray(track_ends, dtype=np.int32),
        np.asarray(values, dtype=np.float32),
        np.asarray(sizes, dtype=np.int32),
    )


def create_random_queries(batch_size, sequence_length=200):
    start = np.random.randint(1, 50, size=batch_size)
    end = start + sequence_length
    return np.asarray(start, dtype=np.int32), np.asarray(end, dtype=np.int32)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize(
    "window_size, batch_size, n_tracks",
    list(product([1, 2, 3, 7], [1, 2, 3, 7], [1, 2, 3, 7])),
)
@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_combinations_window_size_batch_size_n_tracks_on_random_data(
    window_size, batch_size, n_tracks, default_value, dtype
) -> None:
    sequence_length = 200
    track_starts, track_ends, track_values, sizes = create_random_track_data(n_tracks)
    query_starts, query_ends = create_random_queries(
        batch_size, sequence_length=sequence_length
    )

    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        sizes=sizes,
        window_size=window_size,
        default_value=default_value,
        dtype=dtype,
    )

    values_with_window_size_1 = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        sizes=sizes,
        window_size=1,
        default_value=np.nan,
        dtype=dtype,
    )

    # For bfloat16, we need to convert to float32 first to compute the expected values correctly
    if dtype == "bfloat16":
        from bigwig_loader_suite.helpers import uint16_to_float32

        values_with_window_size_1 = uint16_to_float32(values_with_window_size_1)
        values = uint16_to_float32(values)

    np.nan_to_num(values_with_window_size_1, copy=False, nan=default_value)

    reduced_dim = sequence_length // window_size
    full_matrix = values_with_window_size_1[:, : reduced_dim * window_size, :]
    full_matrix = full_matrix.reshape(
        full_matrix.shape[0], reduced_dim, window_size, full_matrix.shape[2]
    )
    expected = np.nanmean(full_matrix, axis=2)

    print("expected:")
    print(expected)
    print("actual:")
    print(values)

    assert all_close(values, expected, dtype)


if __name__ == "__main__":
    print(create_random_track_data(3))
