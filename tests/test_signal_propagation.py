"""Signal propagation through deep Dense stacks, and the two chapter 1 checks built on it: the
statistics follow the variance formulas, the initializers draw the variances they promise, a
right weight scale passes the scale check and a wrong one fails, and the slope check computes
the largest derivative of each activation (worked out by hand here)."""

import numpy as np
import pytest

from dlbook import exercises
from dlbook.exercises import ExerciseFailed
from dlbook.layers import initialize
from dlbook.signal_propagation import dense_stack, initializer_std, signal_statistics


@pytest.mark.parametrize("name, fan_in, fan_out, variance", [
    ("glorot_uniform", 300, 100, 2 / 400), ("glorot_normal", 300, 100, 2 / 400),
    ("he_uniform", 300, 100, 2 / 300), ("he_normal", 300, 100, 2 / 300),
])
def test_each_initializer_draws_the_variance_of_its_formula(name, fan_in, fan_out, variance):
    assert initializer_std(name, fan_in, fan_out) ** 2 == pytest.approx(variance)
    w = initialize(name, (fan_in, fan_out), fan_in, fan_out, np.random.default_rng(0), "float64")
    assert np.var(w) == pytest.approx(variance, rel=0.02)
    assert initializer_std("zeros", 3, 4) == 0.0


def _x(width, n=400, seed=5):
    return np.random.default_rng(seed).standard_normal((n, width))


def test_he_keeps_relu_steady_and_a_constant_factor_compounds_per_layer():
    x = _x(200)
    he = signal_statistics(dense_stack([200] * 21, "relu", "he_normal", seed=0), x)
    ratio = he.activation_std[-1] / he.activation_std[0]
    assert 0.5 < ratio < 2
    # half He's variance (sigma^2 = 1/fan_in) halves the mean square at every layer: 2^-19
    # between layer 1 and layer 20, from the same draws
    half = signal_statistics(dense_stack([200] * 21, "relu", std=np.sqrt(1 / 200), seed=0), x)
    np.testing.assert_allclose(half.activation_std ** 2,
                               he.activation_std ** 2 / 2.0 ** np.arange(1, 21), rtol=1e-9)


def test_linear_stack_statistics_match_the_variance_formula():
    # no activation: Var z_l = (n sigma^2)^l Var x, and the backward pass scales the same way
    x = _x(300, n=1000)
    stats = signal_statistics(dense_stack([300] * 6, None, std=np.sqrt(1.5 / 300), seed=1), x)
    np.testing.assert_allclose(stats.activation_std, 1.5 ** (np.arange(1, 6) / 2), rtol=0.1)
    np.testing.assert_allclose(stats.gradient_std, 1.5 ** (np.arange(5, 0, -1) / 2), rtol=0.1)
    assert stats.kernel_gradient_norm.shape == (5,) and np.all(stats.kernel_gradient_norm > 0)


def test_naive_scales_vanish_or_explode():
    x = _x(100)
    tiny = signal_statistics(dense_stack([100] * 21, "tanh", std=0.01, seed=0), x)
    big = signal_statistics(dense_stack([100] * 21, "relu", std=1.0, seed=0), x)
    assert tiny.activation_std[-1] < 1e-15 and tiny.gradient_std[0] < 1e-15
    assert big.activation_std[-1] > 1e15 and big.gradient_std[0] > 1e15


def test_a_given_std_sees_the_same_draws_as_the_librarys_normal_initializer():
    he = dense_stack([5, 4, 3], "relu", "he_normal", seed=3)
    own = dense_stack([5, 4, 3], "relu", std=lambda fan_in, fan_out: np.sqrt(2 / fan_in), seed=3)
    for a, b in zip(he, own):
        np.testing.assert_allclose(a.kernel.data, b.kernel.data, rtol=1e-15)


@pytest.mark.parametrize("activation, right", [
    ("relu", lambda fan_in, fan_out: np.sqrt(2 / fan_in)),
    ("tanh", lambda fan_in, fan_out: np.sqrt(2 / (fan_in + fan_out))),
])
def test_the_right_scale_passes_the_scale_check(activation, right, capsys):
    exercises.check_initializer_scale(right, activation)
    assert capsys.readouterr().out.startswith("Passed: <lambda> agrees with ")


@pytest.mark.parametrize("wrong", [
    lambda fan_in, fan_out: np.sqrt(1 / fan_in),              # LeCun: half He's variance
    lambda fan_in, fan_out: np.sqrt(2 / fan_out),             # the wrong fan
    lambda fan_in, fan_out: np.sqrt(4 / (fan_in + fan_out)),  # right only for equal widths
    lambda fan_in, fan_out: 2 / fan_in,                       # a variance, not a std
    lambda fan_in, fan_out: 0.01,
    lambda fan_in, fan_out: 1.0,
])
def test_a_wrong_scale_fails_the_scale_check(wrong):
    with pytest.raises(ExerciseFailed, match="FAILED case"):
        exercises.check_initializer_scale(wrong, "relu")


def test_the_scale_check_refuses_a_non_number_plainly():
    with pytest.raises(ExerciseFailed, match="returned str .* needs one positive number"):
        exercises.check_initializer_scale(lambda fan_in, fan_out: "0.1")
    with pytest.raises(ExerciseFailed, match="returned -0.1 "):
        exercises.check_initializer_scale(lambda fan_in, fan_out: -0.1)


@pytest.mark.parametrize("activation, slope", [("sigmoid", 0.25), ("tanh", 1.0), ("relu", 1.0)])
def test_the_slope_check_computes_the_largest_derivative(activation, slope, capsys):
    # sigma' = s (1 - s) <= 1/4 at s = 1/2 (z = 0); tanh' = 1 - tanh^2 <= 1 at 0; relu' is 0 or 1
    exercises.check_max_derivative_answer(slope, activation)
    assert capsys.readouterr().out.startswith("Passed: ")
    with pytest.raises(ExerciseFailed, match="you predicted"):
        exercises.check_max_derivative_answer(slope * 1.01, activation)
    with pytest.raises(NotImplementedError):
        exercises.check_max_derivative_answer(None, activation)
