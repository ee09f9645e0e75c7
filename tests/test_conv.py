"""conv2d and conv2d_backward against scipy.signal, the naive loops and central differences.

The gradient checks run conv2d's default path and every strategy of the table
``dlbook.functional.conv.STRATEGIES``, each selected explicitly; the oracle grid runs every
strategy in tests/test_fast_paths.py.
"""

import numpy as np
import pytest
from scipy import signal

from dlbook import verify
from dlbook.functional import conv2d, conv2d_backward, conv_output_size, resolve_padding, same_padding
from dlbook.functional.conv import STRATEGIES
from dlbook.functional.reference import conv2d_backward_naive, conv2d_naive
from dlbook.gradcheck import numerical_vjp, rel_error

CASES = verify.conv2d_cases()


def test_grid_covers_what_the_specification_asks_for():
    batches = {c["x_shape"][0] for c in CASES}
    channels = {c["x_shape"][1] for c in CASES}
    filters = {c["w_shape"][0] for c in CASES}
    kernels = {c["w_shape"][2:] for c in CASES}
    strides = {str(c["stride"]) for c in CASES}
    paddings = {str(c["padding"]) for c in CASES}
    dilations = {str(c["dilation"]) for c in CASES}
    assert batches == {1, 2, 3} and channels == {1, 2, 3, 4} and filters == {1, 2, 3, 4}
    assert (1, 1) in kernels and (5, 5) in kernels and any(k[0] != k[1] for k in kernels)
    assert {"1", "2", "3", "(1, 2)"} <= strides
    assert {"1", "2"} <= dilations
    assert {"0", "1", "2", "(1, 2)", "valid", "same"} <= paddings
    heights = {c["x_shape"][2] % 2 for c in CASES}
    widths = {c["x_shape"][3] % 2 for c in CASES}
    assert heights == {0, 1} and widths == {0, 1}


def test_conv2d_matches_scipy_correlate2d_on_the_grid():
    report = verify.verify_conv2d(conv2d)
    assert report.passed, str(report)
    assert report.n_cases == len(CASES) > 500


def test_conv2d_backward_matches_scipy_on_the_grid():
    report = verify.verify_conv2d_backward(conv2d_backward)
    assert report.passed, str(report)


def test_naive_reference_matches_scipy_on_the_grid():
    assert verify.verify_conv2d(conv2d_naive).passed
    report = verify.verify_conv2d_backward(conv2d_backward_naive, cases=CASES[::3])
    assert report.passed, str(report)


def test_fast_and_naive_agree_to_1e_10():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 9, 8))
    w = rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)
    for kwargs in [{}, {"stride": (2, 1), "padding": "same"}, {"dilation": 2, "padding": (1, 2)}]:
        y = conv2d(x, w, b, **kwargs)
        assert np.max(np.abs(y - conv2d_naive(x, w, b, **kwargs))) < 1e-10
        dy = rng.standard_normal(y.shape)
        for fast, slow in zip(conv2d_backward(dy, x, w, **kwargs), conv2d_backward_naive(dy, x, w, **kwargs)):
            assert np.max(np.abs(fast - slow)) < 1e-10


def test_worked_example_from_the_source_text():
    image = np.array(
        [[1, 2, 3, 0, 1], [0, 1, 2, 3, 1], [3, 1, 2, 2, 0], [0, 2, 3, 1, 1], [1, 0, 2, 2, 3]],
        dtype=float,
    )
    kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=float)
    y = conv2d(image[None, None], kernel[None, None], padding="valid", stride=1)
    expected = np.array([[10, 7, 9], [6, 9, 9], [10, 8, 8]], dtype=float)
    np.testing.assert_array_equal(y[0, 0], expected)
    np.testing.assert_array_equal(signal.correlate2d(image, kernel, mode="valid"), expected)


def test_conv2d_is_cross_correlation_not_convolution():
    rng = np.random.default_rng(1)
    image = rng.standard_normal((6, 7))
    kernel = rng.standard_normal((3, 2))  # asymmetric: flipping changes it
    y = conv2d(image[None, None], kernel[None, None])[0, 0]
    flipped = kernel[::-1, ::-1]
    np.testing.assert_allclose(y, signal.convolve2d(image, flipped, mode="valid"), atol=1e-12)
    assert np.max(np.abs(y - signal.convolve2d(image, kernel, mode="valid"))) > 1e-3


@pytest.mark.parametrize(
    "size, kernel, stride, expected_pads, expected_out",
    [
        (5, 3, 1, (1, 1), 5),
        (6, 3, 2, (0, 1), 3),  # odd pixel on the bottom/right, as in TensorFlow
        (7, 3, 2, (1, 1), 4),
        (28, 5, 1, (2, 2), 28),
        (4, 4, 1, (1, 2), 4),
        (5, 2, 3, (0, 0), 2),
        (8, 1, 2, (0, 0), 4),
    ],
)
def test_same_padding_follows_tensorflow(size, kernel, stride, expected_pads, expected_out):
    assert same_padding(size, kernel, stride) == expected_pads
    assert conv_output_size(size, kernel, stride, "same") == expected_out
    x = np.ones((1, 1, size, size))
    y = conv2d(x, np.ones((1, 1, kernel, kernel)), stride=stride, padding="same")
    assert y.shape[2:] == (expected_out, expected_out) == (-(-size // stride),) * 2


def test_same_padding_with_dilation_and_padding_forms():
    assert same_padding(9, 3, 1, dilation=2) == (2, 2)
    assert resolve_padding("valid", (5, 5), (3, 3), (1, 1)) == ((0, 0), (0, 0))
    assert resolve_padding(2, (5, 5), (3, 3), (1, 1)) == ((2, 2), (2, 2))
    assert resolve_padding((1, 0), (5, 5), (3, 3), (1, 1)) == ((1, 1), (0, 0))
    assert resolve_padding("SAME", (5, 5), (3, 3), (1, 1)) == ((1, 1), (1, 1))


def test_output_size_formula_on_many_shapes():
    rng = np.random.default_rng(2)
    for _ in range(40):
        size = int(rng.integers(3, 12))
        kernel = int(rng.integers(1, 4))
        stride = int(rng.integers(1, 4))
        pad = int(rng.integers(0, 3))
        y = conv2d(np.zeros((1, 1, size, size)), np.zeros((1, 1, kernel, kernel)), stride=stride, padding=pad)
        assert y.shape[2] == conv_output_size(size, kernel, stride, 2 * pad) == (size + 2 * pad - kernel) // stride + 1


@pytest.mark.parametrize("strategy", ["default"] + list(STRATEGIES))
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"stride": 2, "padding": 1},
        {"stride": (1, 2), "padding": "same"},
        {"dilation": 2, "padding": (2, 1)},
        {"stride": 3, "dilation": (1, 2), "padding": "same"},
    ],
)
def test_conv2d_backward_passes_central_difference_check(kwargs, strategy):
    """The analytic gradients of each strategy against central differences of ITS OWN forward
    pass (``'default'`` is conv2d / conv2d_backward as the library calls them)."""
    conv, conv_backward = (conv2d, conv2d_backward) if strategy == "default" else STRATEGIES[strategy]
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 2, 7, 6))
    w = rng.standard_normal((3, 2, 3, 2))
    b = rng.standard_normal(3)
    y = conv(x, w, b, **kwargs)
    dy = rng.standard_normal(y.shape)
    dx, dw, db = conv_backward(dy, x, w, **kwargs)
    assert (dx.shape, dw.shape, db.shape) == (x.shape, w.shape, b.shape)

    def forward(x_, w_, b_):
        return conv(x_, w_, b_, **kwargs)

    assert rel_error(dx, numerical_vjp(forward, [x, w, b], dy, 0)) < 1e-7
    assert rel_error(dw, numerical_vjp(forward, [x, w, b], dy, 1)) < 1e-7
    assert rel_error(db, numerical_vjp(forward, [x, w, b], dy, 2)) < 1e-7


def test_float32_stays_float32_and_integers_become_float64():
    x32 = np.ones((1, 2, 5, 5), dtype=np.float32)
    w32 = np.ones((3, 2, 3, 3), dtype=np.float32)
    y = conv2d(x32, w32, np.zeros(3, dtype=np.float32))
    assert y.dtype == np.float32
    assert all(g.dtype == np.float32 for g in conv2d_backward(np.ones_like(y), x32, w32))
    yi = conv2d(np.ones((1, 1, 4, 4), dtype=np.int64), np.ones((1, 1, 2, 2), dtype=np.int32))
    assert yi.dtype == np.float64
    np.testing.assert_array_equal(yi, np.full((1, 1, 3, 3), 4.0))


def test_float32_result_is_close_to_float64():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 10, 10))
    w = rng.standard_normal((4, 3, 3, 3))
    y64 = conv2d(x, w, padding="same")
    y32 = conv2d(x.astype(np.float32), w.astype(np.float32), padding="same")
    np.testing.assert_allclose(y32, y64, rtol=1e-4, atol=1e-4)


def test_conv2d_does_not_modify_its_inputs():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 2, 5, 5))
    w = rng.standard_normal((2, 2, 3, 3))
    dy = rng.standard_normal((1, 2, 5, 5))
    copies = [a.copy() for a in (x, w, dy)]
    conv2d(x, w, padding=1)
    conv2d_backward(dy, x, w, padding=1)
    for original, copy in zip((x, w, dy), copies):
        np.testing.assert_array_equal(original, copy)
