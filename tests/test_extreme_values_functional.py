"""Finite values near the dtype's limit: the losses and average pooling stay exact where the
result is representable, and are +-inf only where it is not."""

import numpy as np
import pytest
from scipy import special

from dlbook.functional import avg_pool2d, mean_squared_error, softmax_cross_entropy
from dlbook.functional.reference import avg_pool2d_naive

BIG = {np.float32: 3e38, np.float64: 1e308}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_of_logits_spanning_the_dtype_is_exact(dtype):
    big = float(dtype(BIG[dtype]))
    logits = np.array([[big, -big, 0.0]], dtype=dtype)
    loss, dlogits = softmax_cross_entropy(logits, np.array([0]))
    assert loss == 0.0  # softmax is exactly one-hot on the right class
    np.testing.assert_array_equal(dlogits, np.zeros((1, 3)))
    assert dlogits.dtype == dtype
    loss, _ = softmax_cross_entropy(logits, np.array([[1.0, 0.0, 0.0]]))
    assert loss == 0.0
    loss, dlogits = softmax_cross_entropy(logits, np.array([2]))
    assert loss == big  # -log softmax_2 = m - 0 + log(1 + e^-big + e^-2big)
    np.testing.assert_array_equal(dlogits, [[1.0, 0.0, -1.0]])


def test_cross_entropy_of_float32_logits_is_finite_where_float64_holds_it():
    big = float(np.float32(3e38))
    logits = np.array([[big, -big, 0.0], [1.0, 2.0, 3.0]], dtype=np.float32)
    expected_second = special.logsumexp([1.0, 2.0, 3.0]) - 1.0
    loss, dlogits = softmax_cross_entropy(logits, np.array([1, 0]))
    assert loss == pytest.approx((2 * big + expected_second) / 2, rel=1e-7)
    assert np.all(np.isfinite(dlogits))
    loss, _ = softmax_cross_entropy(logits, np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]))
    assert loss == pytest.approx((0.5 * 2 * big + expected_second) / 2, rel=1e-7)


def test_cross_entropy_of_float64_logits_is_inf_only_beyond_float64():
    logits = np.array([[1e308, -1e308], [0.0, 0.0]])
    loss, dlogits = softmax_cross_entropy(logits, np.array([1, 0]))
    assert loss == pytest.approx(1e308 + np.log(2) / 2, rel=1e-15)  # (2e308 + log 2) / 2 fits
    np.testing.assert_allclose(dlogits, [[0.5, -0.5], [-0.25, 0.25]])
    loss, _ = softmax_cross_entropy(logits[:1], np.array([1]))
    assert loss == np.inf  # 2e308 itself does not fit


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_gradient_is_exact_for_logits_of_any_size(dtype):
    rng = np.random.default_rng(0)
    logits = rng.uniform(-1, 1, (6, 5)) * 1e3
    logits[:2] = rng.uniform(-1, 1, (2, 5)) * BIG[dtype]  # rows spanning up to 2 * BIG
    logits[:2, 0] = [BIG[dtype], -BIG[dtype]]
    logits = logits.astype(dtype)
    labels = rng.integers(0, 5, 6)
    loss, dlogits = softmax_cross_entropy(logits, labels)
    z = logits.astype(np.float64)
    with np.errstate(over="ignore"):
        log_sums = special.logsumexp(z, axis=1)
        probs = special.softmax(z, axis=1)
    expected = 2 * np.mean(log_sums / 2 - z[np.arange(6), labels] / 2)
    assert np.isfinite(expected) and expected > 1e37
    assert loss == pytest.approx(expected, rel=1e-6 if dtype == np.float32 else 1e-12)
    assert dlogits.dtype == dtype
    np.testing.assert_allclose(dlogits, (probs - np.eye(5)[labels]) / 6, rtol=1e-6, atol=1e-7)


def test_mse_of_float32_near_1e19_does_not_overflow():
    predictions = np.array([1e19, -1e19, 0.0, 5.0], dtype=np.float32)
    targets = -predictions
    diff = 2 * predictions.astype(np.float64)
    loss, gradient = mean_squared_error(predictions, targets)
    assert loss == pytest.approx(np.mean(diff**2), rel=1e-12)
    assert gradient.dtype == np.float32
    np.testing.assert_allclose(gradient, diff / 2, rtol=1e-7)


def test_mse_of_float64_overflows_only_where_the_result_does():
    predictions = np.zeros(100)
    predictions[0] = 1e155  # its square, 1e310, passes float64; the mean, 1e308, does not
    loss, gradient = mean_squared_error(predictions, np.zeros(100))
    assert loss == pytest.approx(1e308, rel=1e-12)
    np.testing.assert_allclose(gradient[0], 2e153, rtol=1e-15)
    np.testing.assert_array_equal(gradient[1:], 0.0)
    predictions = np.array([1.5e308, 0.0, 0.0, 0.0])  # the difference 3e308 passes float64
    loss, gradient = mean_squared_error(predictions, -predictions)
    assert loss == np.inf
    np.testing.assert_allclose(gradient, [1.5e308, 0, 0, 0], rtol=1e-15)  # 2 * 3e308 / 4


def test_mse_stays_ieee_for_non_finite_inputs():
    loss, gradient = mean_squared_error(np.array([np.inf, 1.0]), np.zeros(2))
    assert loss == np.inf
    np.testing.assert_array_equal(gradient, [np.inf, 1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geometry", [(2, None, 0), (3, 1, 1), ((1, 3), 1, (0, 1)), (2, 1, "same")],
                         ids=str)
def test_avg_pool_of_huge_cells_does_not_overflow(geometry, dtype):
    pool_size, stride, padding = geometry
    big = dtype(BIG[dtype])
    x = np.full((1, 2, 3, 4), big, dtype=dtype)
    x[0, 1, ::2] *= -1  # windows mixing +big and -big as well
    y = avg_pool2d(x, pool_size, stride=stride, padding=padding)
    assert y.dtype == dtype and np.all(np.isfinite(y))
    np.testing.assert_allclose(y[0, 0], big, rtol=1e-6)
    oracle = avg_pool2d_naive(x.astype(np.float64) / 4, pool_size, stride, padding) * 4
    np.testing.assert_allclose(y, oracle, rtol=1e-6, atol=1e-6 * float(big))
    np.testing.assert_allclose(avg_pool2d_naive(x, pool_size, stride, padding), oracle, rtol=1e-6,
                               atol=1e-6 * float(big))
