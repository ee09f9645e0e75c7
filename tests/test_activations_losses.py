"""Activations, softmax cross-entropy and mean squared error: values, stability, gradients."""

import numpy as np
import pytest
from scipy import special

from dlbook.functional import (
    mean_squared_error,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
    softmax_cross_entropy,
    tanh,
    tanh_backward,
)
from dlbook.gradcheck import numerical_gradient, numerical_vjp, rel_error

ACTIVATIONS = {
    "relu": (relu, relu_backward),
    "sigmoid": (sigmoid, sigmoid_backward),
    "tanh": (tanh, tanh_backward),
    "softmax": (softmax, softmax_backward),
}


def test_activation_values_match_scipy_and_numpy():
    x = np.linspace(-5, 5, 11).reshape(1, 11)
    np.testing.assert_array_equal(relu(x), np.where(x > 0, x, 0))
    np.testing.assert_allclose(sigmoid(x), special.expit(x), rtol=1e-15)
    np.testing.assert_allclose(tanh(x), np.tanh(x))
    np.testing.assert_allclose(softmax(x), special.softmax(x, axis=-1), rtol=1e-14)


def test_sigmoid_and_softmax_do_not_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(np.array([-1000.0, 1000.0]))
        p = softmax(np.array([[1000.0, 0.0, -1000.0]]))
    np.testing.assert_array_equal(s, [0.0, 1.0])
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0]])


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_backward_passes_central_difference_check(name):
    forward, backward = ACTIVATIONS[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5))
    x[np.abs(x) < 1e-3] = 0.5  # keep ReLU away from its kink
    dy = rng.standard_normal(x.shape)
    dy_copy = dy.copy()
    assert rel_error(backward(dy, x), numerical_vjp(forward, [x], dy, 0)) < 1e-7
    np.testing.assert_array_equal(dy, dy_copy)


def test_softmax_cross_entropy_value_for_int_and_one_hot_labels():
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    labels = np.array([0, 1])
    expected = -np.mean(np.log(special.softmax(logits, axis=1)[[0, 1], labels]))
    loss, dlogits = softmax_cross_entropy(logits, labels)
    assert loss == pytest.approx(expected, rel=1e-14)
    loss_oh, dlogits_oh = softmax_cross_entropy(logits, np.eye(3)[labels])
    assert loss_oh == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(dlogits, dlogits_oh)
    np.testing.assert_allclose(dlogits, (special.softmax(logits, axis=1) - np.eye(3)[labels]) / 2)


def test_softmax_cross_entropy_gradient_check_with_probability_rows():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((5, 4))
    targets = special.softmax(rng.standard_normal((5, 4)), axis=1)
    _, dlogits = softmax_cross_entropy(logits, targets)
    numeric = numerical_gradient(lambda z: softmax_cross_entropy(z, targets)[0], logits)
    assert rel_error(dlogits, numeric) < 1e-7


def test_softmax_cross_entropy_is_finite_for_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, dlogits = softmax_cross_entropy(logits, np.array([1, 1]))
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits))
    assert loss == pytest.approx(1e4, rel=1e-12)  # first row: 2e4 wrong by the margin, second right
    loss_right, _ = softmax_cross_entropy(logits, np.array([0, 1]))
    assert loss_right == pytest.approx(0.0, abs=1e-12)


def test_softmax_cross_entropy_keeps_float32():
    _, dlogits = softmax_cross_entropy(np.zeros((2, 3), dtype=np.float32), np.array([0, 2]))
    assert dlogits.dtype == np.float32


def test_mean_squared_error_value_and_gradient():
    rng = np.random.default_rng(2)
    pred = rng.standard_normal((3, 4))
    target = rng.standard_normal((3, 4))
    loss, grad = mean_squared_error(pred, target)
    assert loss == pytest.approx(np.mean((pred - target) ** 2), rel=1e-14)
    numeric = numerical_gradient(lambda p: mean_squared_error(p, target)[0], pred)
    assert rel_error(grad, numeric) < 1e-7
