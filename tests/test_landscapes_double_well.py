"""Tests for dlbook.landscapes.double_well: gradient, critical points and their Hessians, the
saddle's stable manifold, dtypes and bad input."""

import numpy as np
import pytest

from dlbook.landscapes import (
    DOUBLE_WELL_MINIMA,
    DOUBLE_WELL_SADDLE,
    double_well,
    double_well_grad,
    trajectory,
)
from dlbook.optim import SGD, Adam


def central_difference(f, point, h=1e-6):
    """The gradient of scalar ``f`` at a (2,) point, by central differences (float64)."""
    return np.array([(f(point + h * e) - f(point - h * e)) / (2 * h) for e in np.eye(2)])


def hessian_by_differences(point, h=1e-5):
    """Columns: central differences of the gradient along x and along y."""
    return np.stack([(double_well_grad(point + h * e) - double_well_grad(point - h * e)) / (2 * h)
                     for e in np.eye(2)], axis=1)


def test_gradient_passes_a_central_difference_check():
    rng = np.random.default_rng(0)
    for point in rng.uniform(-3.0, 2.0, size=(50, 2)):
        expected = central_difference(double_well, point)
        np.testing.assert_allclose(double_well_grad(point), expected, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("point, value, eigenvalues", [
    (DOUBLE_WELL_SADDLE, 0.0, (-2.0, 1.0)),
    (DOUBLE_WELL_MINIMA[0], -5.0 / 12.0, (1.0, 3.0)),
    (DOUBLE_WELL_MINIMA[1], -8.0 / 3.0, (1.0, 6.0)),
])
def test_critical_points_have_the_stated_values_and_hessians(point, value, eigenvalues):
    point = np.array(point)
    np.testing.assert_allclose(double_well(point), value, rtol=1e-15, atol=1e-15)
    np.testing.assert_array_equal(double_well_grad(point), [0.0, 0.0])
    np.testing.assert_allclose(np.linalg.eigvalsh(hessian_by_differences(point)), eigenvalues,
                               rtol=1e-8)


def test_the_only_critical_points_on_a_fine_grid_are_the_three_known_ones():
    xs, ys = np.meshgrid(np.linspace(-3, 3, 601), np.linspace(-3, 3, 601))
    norms = np.linalg.norm(double_well_grad(np.stack([xs, ys], axis=-1)), axis=-1)
    near = np.stack([xs[norms < 1e-9], ys[norms < 1e-9]], axis=1)
    np.testing.assert_allclose(sorted(map(tuple, near)), sorted([DOUBLE_WELL_SADDLE,
                                                                *DOUBLE_WELL_MINIMA]),
                               atol=1e-12)


def test_the_minima_are_minima_and_the_deep_one_is_global():
    rng = np.random.default_rng(1)
    shallow, deep = (np.array(m) for m in DOUBLE_WELL_MINIMA)
    assert np.all(double_well(shallow + rng.uniform(-0.3, 0.3, (100, 2))) > double_well(shallow))
    assert np.all(double_well(rng.uniform(-4, 4, (1000, 2))) >= double_well(deep))


@pytest.mark.parametrize("y0, end", [(1e-6, DOUBLE_WELL_MINIMA[0]), (-1e-6, DOUBLE_WELL_MINIMA[1]),
                                     (0.0, DOUBLE_WELL_SADDLE)])
@pytest.mark.parametrize("optimizer", [lambda: SGD(learning_rate=0.1),
                                       lambda: SGD(learning_rate=0.1, momentum=0.9)])
def test_gradient_descent_ends_on_the_side_of_its_start_or_on_the_saddle(optimizer, y0, end):
    path = trajectory(optimizer(), double_well_grad, [1.5, y0], steps=400)
    np.testing.assert_allclose(path[-1], end, atol=1e-6)


def test_sgd_leaves_the_saddle_at_the_rate_of_its_negative_curvature():
    # Near (0, 0), y_t = (1 + 2 lr) y_{t-1}: the y offset grows geometrically.
    path = trajectory(SGD(learning_rate=0.05), double_well_grad, [0.0, 1e-9], steps=20)
    np.testing.assert_allclose(path[:, 1], 1e-9 * 1.1 ** np.arange(21), rtol=1e-6)


def test_adams_first_step_leaves_the_saddle_by_the_learning_rate():
    path = trajectory(Adam(learning_rate=0.1), double_well_grad, [1.0, 1e-3], steps=1)
    np.testing.assert_allclose(path[1], [0.9, 0.1 + 1e-3], rtol=1e-5)  # |g| >> epsilon


def test_float32_grids():
    points = np.array([[[0.5, -0.25], [1.0, 2.0]]], dtype=np.float32)
    assert double_well(points).dtype == np.float32 and double_well(points).shape == (1, 2)
    assert double_well_grad(points).dtype == np.float32
    assert double_well_grad(points).shape == (1, 2, 2)


@pytest.mark.parametrize("call, error, match", [
    (lambda: double_well([1.0, 2.0, 3.0]), ValueError, r"points.*\(3,\)"),
    (lambda: double_well_grad(np.ones((4, 3))), ValueError, r"points.*\(4, 3\)"),
    (lambda: double_well_grad(2.0), ValueError, "points"),
    (lambda: double_well(["a", "b"]), TypeError, "points"),
])
def test_bad_input_raises_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
