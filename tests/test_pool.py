"""Max and average pooling against windowed max/mean, the naive loops and central differences."""

import numpy as np
import pytest

from dlbook import verify
from dlbook.functional import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from dlbook.functional.reference import (
    avg_pool2d_backward_naive,
    avg_pool2d_naive,
    max_pool2d_backward_naive,
    max_pool2d_naive,
)
from dlbook.gradcheck import numerical_vjp, rel_error

CASES = verify.pool2d_cases()
KERNELS = {
    "max": (max_pool2d, max_pool2d_backward, max_pool2d_naive, max_pool2d_backward_naive),
    "avg": (avg_pool2d, avg_pool2d_backward, avg_pool2d_naive, avg_pool2d_backward_naive),
}


def test_grid_has_overlapping_windows_same_padding_and_ties():
    assert any(c["stride"] == 1 and c["pool_size"] != (1, 1) for c in CASES)
    assert any(c["padding"] == "same" for c in CASES)
    assert any(c["ties"] for c in CASES) and any(not c["ties"] for c in CASES)
    assert any(c["pool_size"][0] != c["pool_size"][1] for c in CASES)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_windowed_oracle_on_the_grid(kind):
    forward, backward, _, _ = KERNELS[kind]
    report = verify.verify_pool2d(forward, kind)
    assert report.passed, str(report)
    report = verify.verify_pool2d_backward(backward, kind)
    assert report.passed, str(report)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_naive_pooling_matches_windowed_oracle_on_the_grid(kind):
    _, _, forward, backward = KERNELS[kind]
    assert verify.verify_pool2d(forward, kind).passed
    assert verify.verify_pool2d_backward(backward, kind).passed


def test_stride_defaults_to_pool_size():
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    y = max_pool2d(x, 2)
    np.testing.assert_array_equal(y, max_pool2d(x, 2, stride=2))
    np.testing.assert_array_equal(y[0, 0], [[7, 9, 11], [19, 21, 23], [31, 33, 35]])
    np.testing.assert_array_equal(avg_pool2d(x, 3)[0, 0], [[7, 10], [25, 28]])


def test_padded_cells_never_win_a_max():
    x = -np.ones((1, 1, 3, 3))  # every real cell is below the zero padding
    y = max_pool2d(x, 2, stride=2, padding="same")
    np.testing.assert_array_equal(y, -np.ones((1, 1, 2, 2)))
    y = max_pool2d(x, 3, stride=1, padding=1)
    np.testing.assert_array_equal(y, -np.ones((1, 1, 3, 3)))


def test_average_counts_only_real_cells():
    x = np.ones((1, 1, 3, 3))
    np.testing.assert_array_equal(avg_pool2d(x, 2, padding="same"), np.ones((1, 1, 2, 2)))
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    # 'same' with a 2x2 window and stride 2 pads one row/column at the bottom/right
    np.testing.assert_allclose(avg_pool2d(x, 2, padding="same")[0, 0], [[2.0, 3.5], [6.5, 8.0]])


def test_max_pool_backward_sends_a_tie_to_the_first_cell_only():
    # After ReLU many cells are exactly zero: a tied window must not duplicate its gradient.
    x = np.array([[[[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0]]]])
    dy = np.array([[[[5.0, 7.0]]]])
    dx = max_pool2d_backward(dy, x, 2)
    np.testing.assert_array_equal(dx[0, 0], [[5.0, 0.0, 7.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    assert dx.sum() == dy.sum()


def test_overlapping_max_windows_add_their_gradients():
    x = np.array([[[[0.0, 9.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]])
    dx = max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, stride=1)
    np.testing.assert_array_equal(dx[0, 0, 0], [0.0, 2.0, 0.0])


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {"pool_size": 2},
        {"pool_size": 3, "stride": 2, "padding": "same"},
        {"pool_size": (2, 3), "stride": 1, "padding": 1},
        {"pool_size": 2, "stride": (1, 2), "padding": (1, 0)},
    ],
)
def test_pool_backward_passes_central_difference_check(kind, kwargs):
    forward, backward, _, _ = KERNELS[kind]
    rng = np.random.default_rng(7)
    x = rng.permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) / 10.0  # distinct: no ties at a kink
    y = forward(x, **kwargs)
    dy = rng.standard_normal(y.shape)
    numeric = numerical_vjp(lambda x_: forward(x_, **kwargs), [x], dy, 0)
    assert rel_error(backward(dy, x, **kwargs), numeric) < 1e-7


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_keeps_float32_and_turns_integers_into_float64(kind):
    forward, backward, _, _ = KERNELS[kind]
    x32 = np.arange(32, dtype=np.float32).reshape(1, 2, 4, 4)
    y = forward(x32, 2)
    assert y.dtype == np.float32
    assert backward(np.ones_like(y), x32, 2).dtype == np.float32
    assert forward(np.arange(16).reshape(1, 1, 4, 4), 2).dtype == np.float64


# ---------------------------------------------------------------------------------------------
# The 2x2, stride-2 fast path of max_pool2d_backward


def relu_like(shape, dtype, seed):
    """Rounded values through a ReLU: about half the cells are exactly 0, so windows tie."""
    rng = np.random.default_rng(seed)
    return np.maximum(np.round(rng.standard_normal(shape), 1), 0.0).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 4, 8, 6), (2, 3, 7, 9), (1, 2, 2, 2), (2, 1, 5, 4)])
def test_fast_2x2_backward_matches_the_naive_loop_with_ties(dtype, shape):
    # Odd heights and widths leave a last row or column in no window: it gets zero.
    x = relu_like(shape, dtype, seed=sum(shape))
    dy = np.random.default_rng(1).standard_normal(
        shape[:2] + (shape[2] // 2, shape[3] // 2)).astype(dtype)
    dx = max_pool2d_backward(dy, x, 2)
    assert dx.dtype == dtype
    np.testing.assert_array_equal(dx, max_pool2d_backward_naive(dy, x, 2))
    # Each window sends its whole gradient to exactly one cell, one that holds its max.
    n, c, oh, ow = dy.shape
    windows = x[:, :, : 2 * oh, : 2 * ow].reshape(n, c, oh, 2, ow, 2)
    grads = dx[:, :, : 2 * oh, : 2 * ow].reshape(n, c, oh, 2, ow, 2)
    np.testing.assert_array_equal(grads.sum(axis=(3, 5)), dy)
    assert np.all(np.count_nonzero(grads, axis=(3, 5)) == (dy != 0))
    window_max = max_pool2d(x, 2)[:, :, :, None, :, None]
    winners = grads != 0
    np.testing.assert_array_equal(windows[winners],
                                  np.broadcast_to(window_max, windows.shape)[winners])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_2x2_backward_sends_every_tie_pattern_to_the_first_maximum(dtype):
    # All 2^4 windows of zeros and ones (rows a b / c d): the first 1 in the order a, b, c, d
    # gets the gradient, or a when all four are 0.
    patterns = np.array([[(k >> 3) & 1, (k >> 2) & 1, (k >> 1) & 1, k & 1] for k in range(16)])
    x = np.zeros((1, 1, 2, 32), dtype=dtype)
    x[0, 0, 0, 0::2], x[0, 0, 0, 1::2] = patterns[:, 0], patterns[:, 1]
    x[0, 0, 1, 0::2], x[0, 0, 1, 1::2] = patterns[:, 2], patterns[:, 3]
    dy = np.arange(1, 17, dtype=dtype).reshape(1, 1, 1, 16)
    dx = max_pool2d_backward(dy, x, 2)
    expected = np.zeros((1, 1, 2, 32), dtype=dtype)
    for k, pattern in enumerate(patterns):
        first = int(np.argmax(pattern))  # the first 1, or 0 when there is none
        expected[0, 0, first // 2, 2 * k + first % 2] = k + 1
    np.testing.assert_array_equal(dx, expected)
    np.testing.assert_array_equal(dx, max_pool2d_backward_naive(dy, x, 2))
