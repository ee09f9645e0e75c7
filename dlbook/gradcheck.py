"""Numerical gradients by central differences, and the relative error used to compare them.

A backward pass is trusted when its gradient agrees with

.. math::

    \\frac{\\partial f}{\\partial x_i} \\approx \\frac{f(x + h e_i) - f(x - h e_i)}{2h},

whose error is :math:`O(h^2)`; in float64 with :math:`h = 10^{-6}` the two agree to a relative
error far below :math:`10^{-7}` unless the analytic gradient is wrong. Arguments are checked
before ``f`` is first called; NaN and infinities follow IEEE arithmetic (a NaN in gives NaN).
"""

import numbers

import numpy as np

from dlbook._validation import as_float_array, check_shape, positive_float


def rel_error(a, b):
    """Relative error :math:`\\lVert a - b \\rVert / \\max(\\lVert a \\rVert + \\lVert b \\rVert,
    10^{-300})` (Euclidean norms over all elements); 0 when both are zero, NaN when either
    holds a NaN. ``a`` and ``b`` are real arrays of one shape (float32, float64 or integers).

    >>> rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    """
    a = as_float_array(a, "a").astype(np.float64)
    b = as_float_array(b, "b").astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a, b: shapes differ, {a.shape} and {b.shape}")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    if scale == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / scale)


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of a scalar function ``f`` at the float64 array ``x``.

    ``x`` is perturbed in place one element at a time and restored before returning, also when
    ``f`` raises.

    Parameters
    ----------
    f : callable
        ``f(x)``, returning a real scalar (a Python or numpy number, or an array of one element).
    x : ndarray of float64, writable and contiguous
    eps : float
        The step :math:`h > 0`.

    Returns
    -------
    grad : ndarray, shape of ``x``

    Examples
    --------
    >>> x = np.array([1.0, 2.0])
    >>> np.round(numerical_gradient(lambda v: float(np.sum(v ** 2)), x), 6)
    array([2., 4.])
    """
    if not callable(f):
        raise TypeError(f"f: needs a callable x -> scalar, got {type(f).__name__}")
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        got = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(
            f"x: needs a float64 ndarray (float32 differences are too coarse), got {got}"
        )
    if not x.flags.writeable:
        raise ValueError("x: is read-only; it is perturbed in place (pass a copy)")
    eps = positive_float(eps, "eps")

    grad = np.zeros_like(x)
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x: needs a contiguous array so it can be perturbed in place")
    for i in range(flat.size):
        original = flat[i]
        try:
            flat[i] = original + eps
            plus = _scalar(f(x))
            flat[i] = original - eps
            minus = _scalar(f(x))
        finally:
            flat[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def _scalar(value):
    """``f``'s result as a float, or a TypeError naming ``f``."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        shape = f"shape {value.shape}" if isinstance(value, np.ndarray) else type(value).__name__
        raise TypeError(f"f: needs to return a real scalar, got {shape}")
    return float(value)


def numerical_vjp(forward, inputs, dy, wrt, eps=1e-6):
    """Numerical gradient of :math:`L = \\sum y \\odot \\delta` with respect to ``inputs[wrt]``,
    where ``y = forward(*inputs)`` and :math:`\\delta` = ``dy``.

    This is what a backward pass computes from ``dy``, so the two can be compared directly.
    ``inputs`` is a list or tuple of arrays (not modified: ``inputs[wrt]`` is copied to float64),
    ``wrt`` an index into it, and ``dy`` a real array of the shape of ``forward(*inputs)``.

    Examples
    --------
    >>> x = np.array([1.0, -2.0])
    >>> np.round(numerical_vjp(np.square, [x], np.ones(2), 0), 6)
    array([ 2., -4.])
    """
    if not callable(forward):
        raise TypeError(f"forward: needs a callable, got {type(forward).__name__}")
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"inputs: needs a list or tuple of arrays, got {type(inputs).__name__}")
    if isinstance(wrt, (bool, np.bool_)) or not isinstance(wrt, numbers.Integral):
        raise TypeError(f"wrt: needs an int index into inputs, got {wrt!r}")
    if not -len(inputs) <= wrt < len(inputs):
        raise ValueError(f"wrt: needs an index into the {len(inputs)} inputs, got {wrt}")
    inputs = list(inputs)
    target = np.array(as_float_array(inputs[wrt], f"inputs[{wrt}]"), dtype=np.float64)
    inputs[wrt] = target
    dy = as_float_array(dy, "dy")
    check_shape(dy, np.shape(forward(*inputs)), "dy")
    return numerical_gradient(lambda _: np.sum(forward(*inputs) * dy), target, eps)
