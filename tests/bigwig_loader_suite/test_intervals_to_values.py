"""Port of bigwig-loader 0.3.2's tests/test_intervals_to_values.py.

bigwig-loader's interval-to-value CUDA kernel has no separate counterpart in
bwl: ``helpers.intervals_to_values`` writes the same intervals to a bigWig
file (pyBigWig) and reads the query windows back through
``bwl.bigwig_loader.BigWigCollection.get_batch``. Every test and assertion
is upstream's, cupy replaced by numpy.
"""
import numpy as np
import pytest

from bigwig_loader_suite.helpers import all_close, intervals_to_values


def test_throw_exception_when_queried_intervals_are_of_different_lengths() -> None:
    """All query_ends - query_starts should have the same
    length. Otherwise, ValueError should be raised.
    """
    track_starts = np.asarray([1, 2, 3], dtype=np.int32)
    track_ends = np.asarray([2, 3, 4], dtype=np.int32)
    track_values = np.asarray([1.0, 1.0, 1.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([2, 2], dtype=np.int32)
    query_ends = np.asarray([4, 5], dtype=np.int32)
    reserved = np.zeros((2, 2), dtype=np.float32)

    with pytest.raises(ValueError):
        intervals_to_values(
            track_starts, track_ends, track_values, query_starts, query_ends, reserved
        )


@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals(default_value) -> None:
    """Probably most frequent situation."""
    track_starts = np.asarray([1, 3, 10, 12, 16], dtype=np.int32)
    track_ends = np.asarray([3, 10, 12, 16, 20], dtype=np.int32)
    track_values = np.asarray([20.0, 15.0, 30.0, 40.0, 50.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([2], dtype=np.int32)
    query_ends = np.asarray([17], dtype=np.int32)
    reserved = np.zeros((1, 15, 1), dtype=np.float32)
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        default_value=default_value,
        out=reserved,
    )
    expected = np.asarray(
        [[20, 15, 15, 15, 15, 15, 15, 15, 30, 30, 40, 40, 40, 40, 50]]
    ).transpose(1, 0)
    print("expected", expected.shape)
    print(expected)
    print("actual", values.shape)
    print(values)

    assert np.allclose(expected, values, equal_nan=True)


@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_edge_case_1(default_value) -> None:
    """Query start is somewhere in a "gap"."""
    track_starts = np.asarray([1, 10, 12, 16], dtype=np.int32)
    track_ends = np.asarray([3, 12, 16, 20], dtype=np.int32)
    track_values = np.asarray([20.0, 30.0, 40.0, 50.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([6], dtype=np.int32)
    query_ends = np.asarray([18], dtype=np.int32)
    reserved = np.zeros((1, 12), dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        default_value=default_value,
        out=reserved,
    )
    x = default_value
    expected = np.asarray([[[x, x, x, x, 30, 30, 40, 40, 40, 40, 50, 50]]]).transpose(
        0, 2, 1
    )

    print(expected)
    print(values)

    assert (
        np.allclose(values, expected, equal_nan=True)
        and expected.shape[1] == query_ends[0] - query_starts[0]
    )


@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_edge_case_2(default_value) -> None:
    """Query start is exactly at start index after "gap"."""
    track_starts = np.asarray([1, 10, 12, 16], dtype=np.int32)
    track_ends = np.asarray([3, 12, 16, 20], dtype=np.int32)
    track_values = np.asarray([20.0, 30.0, 40.0, 50.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([10], dtype=np.int32)
    query_ends = np.asarray([18], dtype=np.int32)
    reserved = np.zeros((1, 8), dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        default_value=default_value,
        out=reserved,
    )
    expected = np.asarray([[[30, 30, 40, 40, 40, 40, 50, 50]]]).transpose(0, 2, 1)
    assert (
        np.allclose(values, expected, equal_nan=True)
        and expected.shape[1] == query_ends[0] - query_starts[0]
    )


@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_edge_case_3(default_value) -> None:
    """Query end is somewhere in a "gap"."""
    track_starts = np.asarray([5, 10, 12, 18], dtype=np.int32)
    track_ends = np.asarray([10, 12, 14, 20], dtype=np.int32)
    track_values = np.asarray([20.0, 30.0, 40.0, 50.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([9], dtype=np.int32)
    query_ends = np.asarray([16], dtype=np.int32)
    reserved = np.zeros((1, 7), dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        default_value=default_value,
        out=reserved,
    )
    x = default_value
    expected = np.asarray([[[20, 30, 30, 40, 40, x, x]]]).transpose(0, 2, 1)
    assert (
        np.allclose(values, expected, equal_nan=True)
        and expected.shape[1] == query_ends[0] - query_starts[0]
    )


@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_edge_case_4(default_value) -> None:
    """Query end is exactly at end index before "gap"."""
    track_starts = np.asarray([5, 10, 12, 18], dtype=np.int32)
    track_ends = np.asarray([10, 12, 14, 20], dtype=np.int32)
    track_values = np.asarray([20.0, 30.0, 40.0, 50.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([9], dtype=np.int32)
    query_ends = np.asarray([14], dtype=np.int32)
    reserved = np.zeros((1, 5), dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        default_value=default_value,
        out=reserved,
    )
    expected = np.asarray([[[20, 30, 30, 40, 40]]]).transpose(0, 2, 1)

    print(expected)
    print(values)

    assert (values == expected).all() and expected.shape[1] == query_ends[
        0
    ] - query_starts[0]


@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_edge_case_5(default_value) -> None:
    """Query end is exactly at end index before "gap"."""
    track_starts = np.asarray([5, 10, 12, 18], dtype=np.uint32)
    track_ends = np.asarray([10, 12, 14, 20], dtype=np.uint32)
    track_values = np.asarray([20.0, 30.0, 40.0, 50.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([9], dtype=np.uint32)
    query_ends = np.asarray([20], dtype=np.uint32)
    reserved = np.zeros((1, 11), dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        default_value=default_value,
        out=reserved,
    )
    x = default_value
    expected = np.asarray([[[20, 30, 30, 40, 40, x, x, x, x, 50, 50]]]).transpose(
        0, 2, 1
    )

    print(expected)
    print(values)

    assert (
        np.allclose(expected, values, equal_nan=True)
        and expected.shape[1] == query_ends[0] - query_starts[0]
    )


@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_batch_of_2(default_value) -> None:
    """Query end is exactly at end index before "gap"."""
    track_starts = np.asarray([5, 10, 12, 18], dtype=np.int32)
    track_ends = np.asarray([10, 12, 14, 20], dtype=np.int32)
    track_values = np.asarray([20.0, 30.0, 40.0, 50.0], dtype=np.dtype("f4"))
    query_starts = np.asarray([7, 9], dtype=np.int32)
    query_ends = np.asarray([18, 20], dtype=np.int32)
    reserved = np.zeros([2, 11], dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        default_value=default_value,
        out=reserved,
    )

    x = default_value

    expected = np.asarray(
        [
            [
                [20.0, 20.0, 20.0, 30.0, 30.0, 40.0, 40.0, x, x, x, x],
                [20.0, 30.0, 30.0, 40.0, 40.0, x, x, x, x, 50.0, 50.0],
            ]
        ]
    ).transpose(1, 2, 0)

    print("expected", expected.shape)
    print(expected)
    print("actual", values.shape)
    print(values, values.shape)
    assert np.allclose(expected, values, equal_nan=True)


@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
@pytest.mark.parametrize("default_value", [0.0, np.nan])
def test_get_values_from_intervals_batch_multiple_tracks(dtype, default_value) -> None:
    """Query end is exactly at end index before "gap"."""
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
    query_ends = np.asarray([18, 20, 31, 110], dtype=np.int32)
    # reserved = np.zeros([3, 4, 11], dtype=np.dtype("<f4"))
    # reserved = np.zeros([4, 11, 3], dtype=np.dtype("<f4"))
    values = intervals_to_values(
        track_starts,
        track_ends,
        track_values,
        query_starts,
        query_ends,
        default_value=default_value,
        # out=reserved,
        sizes=np.asarray([4, 5, 3], dtype=np.int32),
        dtype=dtype,
    )
    x = default_value
    expected = np.asarray(
        [
            [
                [20.0, 20.0, 20.0, 30.0, 30.0, 40.0, 40.0, x, x, x, x],
                [20.0, 30.0, 30.0, 40.0, 40.0, x, x, x, x, 50.0, 50.0],
                [x, x, x, x, x, x, x, x, x, x, x],
                [x, x, x, x, x, x, x, x, x, x, x],
            ],
            [
                [x, 60.0, 70.0, 80.0, 80.0, 80.0, 80.0, x, x, x, x],
                [70.0, 80.0, 80.0, 80.0, 80.0, x, x, x, x, 90.0, 90.0],
                [90.0, 90.0, x, x, x, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0],
                [x, x, x, x, x, x, x, x, x, x, x],
            ],
            [
                [x, x, x, 110.0, 110.0, 110.0, 110.0, 110.0, 110.0, 110.0, 110.0],
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
                [x, x, x, x, x, x, x, x, x, x, x],
                [
                    x,
                    120.0,
                    120.0,
                    120.0,
                    120.0,
                    120.0,
                    120.0,
                    120.0,
                    120.0,
                    120.0,
                    120.0,
                ],
            ],
        ]
    )

    expected = expected.transpose(1, 2, 0)

    print("Expected:", expected.shape)
    print(expected)
    print("Actual Values:", values.shape)
    print(values)
    assert all_close(expected, values, dtype)
