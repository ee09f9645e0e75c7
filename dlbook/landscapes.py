r"""Test functions for watching optimizers move: an ill-conditioned quadratic, Rosenbrock, Beale.

Each function takes points as an array of shape (..., 2), the last axis holding (x, y), and
returns the values, shape (...); its ``*_grad`` partner returns the gradients, shape (..., 2).
A grid for a contour plot is therefore one call::

    xs, ys = np.meshgrid(np.linspace(-2, 2, 201), np.linspace(-1, 3, 201))
    z = rosenbrock(np.stack([xs, ys], axis=-1))

:func:`trajectory` runs an optimizer from :mod:`dlbook.optim` on one of them and returns the
points it visits, ready to draw over the contours.

- :func:`quadratic`: :math:`(u^2 + \kappa w^2) / 2` in coordinates rotated by ``angle``;
  minimum 0 at ``QUADRATIC_MINIMUM`` = (0, 0).
- :func:`rosenbrock`: :math:`(1 - x)^2 + 100 (y - x^2)^2`; minimum 0 at
  ``ROSENBROCK_MINIMUM`` = (1, 1).
- :func:`beale`: :math:`\sum_{k=1}^{3} (c_k - x + x y^k)^2`, :math:`c = (1.5, 2.25, 2.625)`;
  minimum 0 at ``BEALE_MINIMUM`` = (3, 0.5).
- :func:`double_well`: :math:`x^2/2 + y^4/4 + y^3/3 - y^2`; a saddle at ``DOUBLE_WELL_SADDLE``
  = (0, 0) between a shallow minimum at (0, 1) and a deep one at (0, -2)
  (``DOUBLE_WELL_MINIMA``).
"""

import math
import numbers

import numpy as np

from dlbook._validation import as_float_array, positive_float, positive_int
from dlbook.parameter import Parameter

__all__ = [
    "quadratic",
    "quadratic_grad",
    "rosenbrock",
    "rosenbrock_grad",
    "beale",
    "beale_grad",
    "double_well",
    "double_well_grad",
    "trajectory",
    "QUADRATIC_MINIMUM",
    "ROSENBROCK_MINIMUM",
    "BEALE_MINIMUM",
    "DOUBLE_WELL_SADDLE",
    "DOUBLE_WELL_MINIMA",
]

QUADRATIC_MINIMUM = (0.0, 0.0)
ROSENBROCK_MINIMUM = (1.0, 1.0)
BEALE_MINIMUM = (3.0, 0.5)
DOUBLE_WELL_SADDLE = (0.0, 0.0)
DOUBLE_WELL_MINIMA = ((0.0, 1.0), (0.0, -2.0))  # f = -5/12 (local), f = -8/3 (global)


def _points(points):
    """Return ``points`` as a floating array of shape (..., 2) and its x and y components."""
    array = as_float_array(points, "points")
    if array.ndim == 0 or array.shape[-1] != 2:
        raise ValueError(
            f"points: needs an array of shape (..., 2) holding (x, y) pairs, got shape "
            f"{array.shape}"
        )
    return array, array[..., 0], array[..., 1]


def _valley_coordinates(points, condition_number, angle):
    """The quadratic's coordinates: ``(u, w, kappa, cos, sin)`` with (u, w) the points rotated by
    ``-angle`` (u along the flat direction) and kappa the checked condition number."""
    _, x, y = _points(points)
    kappa = positive_float(condition_number, "condition_number")
    if isinstance(angle, (bool, np.bool_)) or not isinstance(angle, numbers.Real):
        raise TypeError(f"angle: needs a real number of radians, got {angle!r}")
    angle = float(angle)
    if not math.isfinite(angle):
        raise ValueError(f"angle: needs a finite number of radians, got {angle!r}")
    cos, sin = math.cos(angle), math.sin(angle)
    return x * cos + y * sin, -x * sin + y * cos, kappa, cos, sin


def quadratic(points, condition_number=10.0, angle=0.0):
    r"""An ill-conditioned convex quadratic, :math:`f = (u^2 + \kappa w^2) / 2`.

    :math:`(u, w)` are the coordinates :math:`(x, y)` rotated by ``-angle``:
    :math:`u = x\cos\theta + y\sin\theta`, :math:`w = -x\sin\theta + y\cos\theta`. The Hessian has
    eigenvalues 1 and :math:`\kappa`, so gradient descent needs a learning rate below
    :math:`2/\kappa` and then crawls along the flat direction; with ``angle=0`` the valley lies
    along the x axis, and a nonzero angle takes it off the axes, where per-coordinate step sizes
    (RMSProp, Adam) lose their advantage. The minimum is 0 at the origin.

    Parameters
    ----------
    points : array_like, shape (..., 2)
        Points (x, y).
    condition_number : float
        :math:`\kappa > 0`, the ratio of the Hessian's eigenvalues.
    angle : float
        :math:`\theta`, the angle of the flat direction with the x axis, in radians.

    Returns
    -------
    ndarray or float, shape (...)
        The values, in the floating dtype of ``points`` (a numpy scalar for one point).

    Examples
    --------
    >>> quadratic([[1.0, 1.0], [2.0, 0.0]], condition_number=10.0)
    array([5.5, 2. ])
    """
    u, w, kappa, _, _ = _valley_coordinates(points, condition_number, angle)
    return 0.5 * (u * u + kappa * (w * w))


def quadratic_grad(points, condition_number=10.0, angle=0.0):
    r"""Gradient of :func:`quadratic`: :math:`R\,\mathrm{diag}(1, \kappa)\,R^\top (x, y)`.

    Parameters
    ----------
    points : array_like, shape (..., 2)
    condition_number, angle : float
        As for :func:`quadratic`.

    Returns
    -------
    ndarray, shape (..., 2)
        :math:`(\partial f/\partial x, \partial f/\partial y)` at each point.

    Examples
    --------
    >>> quadratic_grad([1.0, 1.0], condition_number=10.0)
    array([ 1., 10.])
    """
    u, w, kappa, cos, sin = _valley_coordinates(points, condition_number, angle)
    # df/du = u, df/dw = kappa * w; back to (x, y) through the rotation.
    return np.stack([u * cos - kappa * w * sin, u * sin + kappa * w * cos], axis=-1)


def rosenbrock(points):
    r"""Rosenbrock's banana function, :math:`f = (1 - x)^2 + 100 (y - x^2)^2`.

    A curved, narrow valley along :math:`y = x^2`: easy to find, slow to follow. The minimum is 0
    at :math:`(1, 1)`.

    Parameters
    ----------
    points : array_like, shape (..., 2)
        Points (x, y).

    Returns
    -------
    ndarray, shape (...)
        The values, :math:`\geq 0`, in the floating dtype of ``points``.

    References
    ----------
    H. H. Rosenbrock, "An automatic method for finding the greatest or least value of a
    function", *The Computer Journal* 3 (1960).

    Examples
    --------
    >>> rosenbrock([[1.0, 1.0], [0.0, 0.0]])
    array([0., 1.])
    """
    _, x, y = _points(points)
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def rosenbrock_grad(points):
    r"""Gradient of :func:`rosenbrock`.

    .. math::

        \frac{\partial f}{\partial x} = -2 (1 - x) - 400 x (y - x^2), \qquad
        \frac{\partial f}{\partial y} = 200 (y - x^2)

    Parameters
    ----------
    points : array_like, shape (..., 2)
        The points (x, y) at which to take the gradient.

    Returns
    -------
    ndarray, shape (..., 2)
        :math:`(\partial f/\partial x, \partial f/\partial y)` at each point; zero only at the
        minimum (1, 1).

    Examples
    --------
    >>> rosenbrock_grad([0.0, 0.0])
    array([-2.,  0.])
    """
    _, x, y = _points(points)
    valley = y - x * x
    return np.stack([-2.0 * (1.0 - x) - 400.0 * x * valley, 200.0 * valley], axis=-1)


def beale(points):
    r"""Beale's function, flat plateaus and steep walls.

    .. math::

        f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2

    The minimum is 0 at :math:`(3, 0.5)`; the usual plotting window is
    :math:`[-4.5, 4.5]^2`.

    Parameters
    ----------
    points : array_like, shape (..., 2)

    Returns
    -------
    ndarray, shape (...)

    References
    ----------
    E. M. L. Beale, "On an iterative method for finding a local minimum of a function of more
    than one variable", Tech. Rep. 25, Statistical Techniques Research Group, Princeton (1958).

    Examples
    --------
    >>> beale([[3.0, 0.5], [0.0, 0.0]])
    array([ 0.      , 14.203125])
    """
    _, x, y = _points(points)
    return (
        (1.5 - x + x * y) ** 2
        + (2.25 - x + x * y**2) ** 2
        + (2.625 - x + x * y**3) ** 2
    )


def beale_grad(points):
    r"""Gradient of :func:`beale`.

    With :math:`r_k = c_k - x + x y^k` for :math:`(c_1, c_2, c_3) = (1.5, 2.25, 2.625)`,

    .. math::

        \frac{\partial f}{\partial x} = \sum_k 2 r_k (y^k - 1), \qquad
        \frac{\partial f}{\partial y} = \sum_k 2 r_k\, k x y^{k-1}

    Parameters
    ----------
    points : array_like, shape (..., 2)
        Points (x, y), e.g. a grid stacked on the last axis.

    Returns
    -------
    ndarray, shape (..., 2)
        The gradient at each point, in the floating dtype of ``points``.

    Examples
    --------
    >>> beale_grad([[1.0, 1.0], [0.0, 0.0]])
    array([[  0.  ,  27.75],
           [-12.75,   0.  ]])
    """
    _, x, y = _points(points)
    r1 = 1.5 - x + x * y
    r2 = 2.25 - x + x * y**2
    r3 = 2.625 - x + x * y**3
    dx = 2.0 * (r1 * (y - 1.0) + r2 * (y**2 - 1.0) + r3 * (y**3 - 1.0))
    dy = 2.0 * x * (r1 + 2.0 * r2 * y + 3.0 * r3 * y**2)
    return np.stack([dx, dy], axis=-1)


def double_well(points):
    r"""A saddle between two minima of different depths: :math:`f = x^2/2 + y^4/4 + y^3/3 - y^2`.

    The function is a sum of a bowl in :math:`x` and a tilted double well in :math:`y`, whose
    derivative :math:`y^3 + y^2 - 2y = y (y - 1) (y + 2)` vanishes at :math:`y \in \{0, 1, -2\}`.
    The three critical points are

    - the saddle :math:`(0, 0)`, :math:`f = 0`, Hessian :math:`\mathrm{diag}(1, -2)`: attracting
      along :math:`x`, repelling along :math:`y`;
    - a local minimum :math:`(0, 1)`, :math:`f = -5/12`, Hessian :math:`\mathrm{diag}(1, 3)`;
    - the global minimum :math:`(0, -2)`, :math:`f = -8/3`, Hessian :math:`\mathrm{diag}(1, 6)`.

    The line :math:`y = 0` is the saddle's stable manifold: gradient descent started on it stays
    on it and converges to the saddle; started at :math:`y_0 \ne 0` it ends in the minimum on
    the side of :math:`y_0`.

    Parameters
    ----------
    points : array_like, shape (..., 2)
        Points (x, y).

    Returns
    -------
    ndarray, shape (...)
        The values, in the floating dtype of ``points``.

    Examples
    --------
    >>> double_well([[0.0, 0.0], [0.0, -2.0], [2.0, 0.0]])
    array([ 0.        , -2.66666667,  2.        ])
    """
    _, x, y = _points(points)
    return 0.5 * x * x + y**4 / 4.0 + y**3 / 3.0 - y * y


def double_well_grad(points):
    r"""Gradient of :func:`double_well`: :math:`(x,\; y^3 + y^2 - 2y)`.

    Parameters
    ----------
    points : array_like, shape (..., 2)
        Points (x, y).

    Returns
    -------
    ndarray, shape (..., 2)
        :math:`(\partial f/\partial x, \partial f/\partial y)` at each point; zero exactly at the
        saddle (0, 0) and the minima (0, 1) and (0, -2).

    Examples
    --------
    >>> double_well_grad([[1.0, 1.0], [0.0, 0.5]])
    array([[ 1.   ,  0.   ],
           [ 0.   , -0.625]])
    """
    _, x, y = _points(points)
    return np.stack([x, y * (y - 1.0) * (y + 2.0)], axis=-1)


def trajectory(optimizer, gradient, start, steps):
    """Run ``optimizer`` on a 2-D function from ``start``; return every point it visits.

    Parameters
    ----------
    optimizer : dlbook.optim.Optimizer
        A fresh optimizer (SGD, RMSProp, Adam, AdamW, ...); it keeps its state afterwards.
    gradient : callable
        ``gradient(point) -> ndarray, shape (2,)``, e.g. :func:`rosenbrock_grad` or
        ``functools.partial(quadratic_grad, condition_number=50.0)``; a real array (a complex
        or string result raises TypeError). NaN or infinite gradients follow IEEE arithmetic
        through the optimizer (the path then holds NaN or infinities, as in PyTorch).
    start : array_like, shape (2,)
        The starting point (x, y). Its floating dtype is kept (integers become float64).
    steps : int
        Number of optimizer steps, > 0.

    Returns
    -------
    ndarray, shape (steps + 1, 2)
        The start, then the point after each step.

    Examples
    --------
    >>> from dlbook.optim import SGD
    >>> path = trajectory(SGD(learning_rate=0.1), quadratic_grad, [1.0, 1.0], steps=2)
    >>> path
    array([[1.  , 1.  ],
           [0.9 , 0.  ],
           [0.81, 0.  ]])
    """
    if not callable(gradient):
        raise TypeError(f"gradient: needs a callable point -> gradient, got {gradient!r}")
    if not hasattr(optimizer, "step"):
        raise TypeError(f"optimizer: needs an optimizer with a step(params) method, got "
                        f"{type(optimizer).__name__}")
    start = as_float_array(start, "start")
    if start.shape != (2,):
        raise ValueError(f"start: needs a point of shape (2,), got shape {start.shape}")
    steps = positive_int(steps, "steps")
    point = Parameter(start)
    path = np.empty((steps + 1, 2), dtype=point.data.dtype)
    path[0] = point.data
    for index in range(1, steps + 1):
        grad = as_float_array(gradient(point.data.copy()), "gradient")
        if grad.shape != (2,):
            raise ValueError(
                f"gradient: returned shape {grad.shape} at step {index}, needs shape (2,)"
            )
        point.grad[...] = grad
        optimizer.step([point])
        path[index] = point.data
    return path
