"""Port of bigwig-loader 0.3.2's tests/test_cupy_functions.py:
``moving_average`` (bwl.bigwig_loader.sampling; cupy replaced by numpy).

Upstream's moving_average convolves along the last axis, which for the
(batch, length, tracks) values is across tracks; bwl smooths along the
sequence (axis 1) as documented (docs/migration.md). The shape assertion
is upstream's; the added check pins the axis against numpy.convolve."""
import numpy as np

from bwl.bigwig_loader.sampling import moving_average


def test_correct_shape():
    array = np.random.rand(10, 20, 30)
    result = moving_average(array, 8)
    assert result.shape == array.shape
    # bwl's documented behaviour: along the sequence axis (upstream: the last axis, i.e. tracks)
    expected = np.apply_along_axis(lambda m: np.convolve(m, np.ones(8) / 8, mode="same"), 1, array)
    assert np.allclose(result, expected)
