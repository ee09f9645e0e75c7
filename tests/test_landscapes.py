"""Tests for dlbook.landscapes: values, gradient checks, minima, shapes, trajectories, bad input."""

import functools

import numpy as np
import pytest

from dlbook.landscapes import (
    BEALE_MINIMUM,
    QUADRATIC_MINIMUM,
    ROSENBROCK_MINIMUM,
    beale,
    beale_grad,
    quadratic,
    quadratic_grad,
    rosenbrock,
    rosenbrock_grad,
    trajectory,
)
from dlbook.optim import SGD, Adam

FUNCTIONS = {
    "quadratic": (quadratic, quadratic_grad, QUADRATIC_MINIMUM),
    "rotated quadratic": (
        functools.partial(quadratic, condition_number=50.0, angle=0.7),
        functools.partial(quadratic_grad, condition_number=50.0, angle=0.7),
        QUADRATIC_MINIMUM,
    ),
    "rosenbrock": (rosenbrock, rosenbrock_grad, ROSENBROCK_MINIMUM),
    "beale": (beale, beale_grad, BEALE_MINIMUM),
}


def central_difference(f, point, h=1e-6):
    """The gradient of scalar ``f`` at a (2,) point, by central differences (float64)."""
    grad = np.empty(2)
    for i in range(2):
        step = np.zeros(2)
        step[i] = h
        grad[i] = (f(point + step) - f(point - step)) / (2 * h)
    return grad


def relative_error(a, b):
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_gradients_pass_a_central_difference_check(name):
    f, grad, _ = FUNCTIONS[name]
    rng = np.random.default_rng(0)
    for point in rng.uniform(-2.0, 2.0, size=(25, 2)):
        assert relative_error(grad(point), central_difference(f, point)) < 1e-7, point


@pytest.mark.parametrize("name", FUNCTIONS)
def test_minimum_has_value_zero_and_gradient_zero(name):
    f, grad, minimum = FUNCTIONS[name]
    assert f(np.array(minimum)) == 0.0
    np.testing.assert_allclose(grad(np.array(minimum)), [0.0, 0.0], atol=1e-12)
    rng = np.random.default_rng(1)
    nearby = np.array(minimum) + rng.uniform(-0.5, 0.5, size=(100, 2))
    assert np.all(f(nearby) > 0.0)


def test_known_values():
    assert rosenbrock([0.0, 0.0]) == 1.0                   # (1 - 0)^2 + 100 (0 - 0)^2
    assert rosenbrock([-1.0, 1.0]) == 4.0                  # (1 + 1)^2 + 100 (1 - 1)^2
    assert rosenbrock([0.0, 1.0]) == 101.0                 # 1 + 100
    assert beale([0.0, 0.0]) == 1.5**2 + 2.25**2 + 2.625**2
    assert beale([1.0, 1.0]) == 1.5**2 + 2.25**2 + 2.625**2
    np.testing.assert_allclose(beale([1.0, 2.0]), 2.5**2 + 5.25**2 + 9.625**2, rtol=1e-15)
    assert quadratic([1.0, 0.0], condition_number=10.0) == 0.5
    assert quadratic([0.0, 1.0], condition_number=10.0) == 5.0
    np.testing.assert_allclose(rosenbrock_grad([0.0, 1.0]), [-2.0, 200.0])


@pytest.mark.parametrize("kappa, angle", [(10.0, 0.0), (50.0, 0.7), (3.0, -2.0)])
def test_quadratic_hessian_has_eigenvalues_one_and_the_condition_number(kappa, angle):
    grad = functools.partial(quadratic_grad, condition_number=kappa, angle=angle)
    # The gradient is linear: its columns at the unit vectors are the Hessian.
    hessian = np.stack([grad(np.array([1.0, 0.0])), grad(np.array([0.0, 1.0]))], axis=1)
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-14)
    np.testing.assert_allclose(np.linalg.eigvalsh(hessian), [1.0, kappa], rtol=1e-12)
    # The flat direction (eigenvalue 1) is at `angle` to the x axis.
    flat = np.array([np.cos(angle), np.sin(angle)])
    np.testing.assert_allclose(grad(flat), flat, atol=1e-12)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_grids_are_evaluated_point_by_point(name):
    f, grad, _ = FUNCTIONS[name]
    xs, ys = np.meshgrid(np.linspace(-1.5, 1.5, 5), np.linspace(-1.0, 2.0, 4))
    grid = np.stack([xs, ys], axis=-1)
    values, grads = f(grid), grad(grid)
    assert values.shape == (4, 5) and grads.shape == (4, 5, 2)
    for i in range(4):
        for j in range(5):
            np.testing.assert_allclose(values[i, j], f(grid[i, j]), rtol=1e-15)
            np.testing.assert_allclose(grads[i, j], grad(grid[i, j]), rtol=1e-15)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_float32_points_give_float32_results(name):
    f, grad, _ = FUNCTIONS[name]
    points = np.array([[0.5, -0.25], [1.0, 2.0]], dtype=np.float32)
    assert f(points).dtype == np.float32
    assert grad(points).dtype == np.float32


def test_trajectory_follows_the_optimizer_step_by_step():
    path = trajectory(SGD(learning_rate=0.1), quadratic_grad, [1.0, 1.0], steps=3)
    # Gradient (x, 10 y): x shrinks by 0.9 per step; y goes 1 -> 1 - 0.1 * 10 = 0 and stays.
    np.testing.assert_allclose(path, [[1.0, 1.0], [0.9, 0.0], [0.81, 0.0], [0.729, 0.0]],
                               rtol=1e-15)


def test_trajectory_keeps_float32_and_does_not_touch_its_start():
    start = np.array([-1.5, 2.0], dtype=np.float32)
    path = trajectory(Adam(learning_rate=0.1), rosenbrock_grad, start, steps=5)
    assert path.shape == (6, 2) and path.dtype == np.float32
    np.testing.assert_array_equal(start, [-1.5, 2.0])
    np.testing.assert_array_equal(path[0], start)


@pytest.mark.parametrize("call, error, match", [
    (lambda: rosenbrock([1.0, 2.0, 3.0]), ValueError, r"points.*\(3,\)"),
    (lambda: beale(np.ones((4, 3))), ValueError, r"points.*\(4, 3\)"),
    (lambda: rosenbrock(1.0), ValueError, "points"),
    (lambda: rosenbrock([1j, 0.0]), TypeError, "points"),
    (lambda: quadratic([1.0, 1.0], condition_number=0.0), ValueError, "condition_number"),
    (lambda: quadratic_grad([1.0, 1.0], condition_number=-1.0), ValueError, "condition_number"),
    (lambda: quadratic([1.0, 1.0], angle=float("nan")), ValueError, "angle"),
    (lambda: trajectory(SGD(), rosenbrock_grad, [1.0, 2.0, 3.0], 5), ValueError, "start"),
    (lambda: trajectory(SGD(), rosenbrock_grad, [1.0, 2.0], 0), ValueError, "steps"),
    (lambda: trajectory(SGD(), "rosenbrock", [1.0, 2.0], 5), TypeError, "gradient"),
    (lambda: trajectory(None, rosenbrock_grad, [1.0, 2.0], 5), TypeError, "optimizer"),
    (lambda: trajectory(SGD(), lambda p: np.ones(3), [1.0, 2.0], 5), ValueError, "gradient"),
])
def test_bad_input_raises_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
