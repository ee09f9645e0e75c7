"""Numerical gradients by central differences, and the relative error used to compare them.

A backward pass is trusted when its gradient agrees with

.. math::

    \\frac{\\partial f}{\\partial x_i} \\approx \\frac{f(x + h e_i) - f(x - h e_i)}{2h},

whose error is :math:`O(h^2)`; in float64 with :math:`h = 10^{-6}` the two agree to a relative
error far below :math:`10^{-7}` unless the analytic gradient is wrong.
"""

import numpy as np


def rel_error(a, b):
    """Relative error :math:`\\lVert a - b \\rVert / \\max(\\lVert a \\rVert + \\lVert b \\rVert,
    10^{-300})` (Euclidean norms over all elements); 0 when both are zero.

    >>> rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a, b: shapes differ, {a.shape} and {b.shape}")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    if scale == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / scale)


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of a scalar function ``f`` at the float64 array ``x``.

    ``x`` is perturbed in place one element at a time and restored before returning.

    Parameters
    ----------
    f : callable
        ``f(x)``, returning a scalar.
    x : ndarray of float64
    eps : float
        The step :math:`h`.

    Returns
    -------
    grad : ndarray, shape of ``x``

    Examples
    --------
    >>> x = np.array([1.0, 2.0])
    >>> np.round(numerical_gradient(lambda v: float(np.sum(v ** 2)), x), 6)
    array([2., 4.])
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("x: needs a float64 ndarray (float32 differences are too coarse)")

    grad = np.zeros_like(x)
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x: needs a contiguous array so it can be perturbed in place")
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = float(f(x))
        flat[i] = original - eps
        minus = float(f(x))
        flat[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def numerical_vjp(forward, inputs, dy, wrt, eps=1e-6):
    """Numerical gradient of :math:`L = \\sum y \\odot \\delta` with respect to ``inputs[wrt]``,
    where ``y = forward(*inputs)`` and :math:`\\delta` = ``dy``.

    This is what a backward pass computes from ``dy``, so the two can be compared directly.

    Examples
    --------
    >>> x = np.array([1.0, -2.0])
    >>> np.round(numerical_vjp(np.square, [x], np.ones(2), 0), 6)
    array([ 2., -4.])
    """
    inputs = list(inputs)
    target = np.array(inputs[wrt], dtype=np.float64)
    inputs[wrt] = target
    return numerical_gradient(lambda _: np.sum(forward(*inputs) * dy), target, eps)
