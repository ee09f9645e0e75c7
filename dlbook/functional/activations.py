"""Activation functions and their backward passes, elementwise (softmax: along one axis).

Every backward function has the signature ``*_backward(dy, x)``: the gradient flowing into the
activation's output and the activation's *input*, and returns the gradient with respect to that
input, :math:`\\partial L / \\partial x = \\delta \\odot f'(x)` (softmax: a Jacobian-vector
product). None of them writes into ``dy`` or ``x``, and every result is a new array.
"""

import numpy as np

from dlbook._validation import as_float_array, axis_index, check_shape


def _check_pair(dy, x):
    x = as_float_array(x, "x")
    dy = as_float_array(dy, "dy")
    check_shape(dy, x.shape, "dy")
    return dy, x


def relu(x):
    """Rectified linear unit, :math:`\\max(x, 0)`.

    >>> relu(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    """
    x = as_float_array(x, "x")
    return np.maximum(x, 0)


def relu_backward(dy, x):
    """Gradient of :func:`relu`: :math:`\\delta \\cdot [x > 0]` (the derivative at 0 is taken as 0).

    >>> relu_backward(np.ones(3), np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    """
    dy, x = _check_pair(dy, x)
    return np.where(x > 0, dy, 0).astype(np.result_type(dy, x), copy=False)


def sigmoid(x):
    """Logistic sigmoid, :math:`\\sigma(x) = 1 / (1 + e^{-x})`, without overflow for large |x|.

    >>> sigmoid(np.array([0.0]))
    array([0.5])
    """
    x = as_float_array(x, "x")
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(dy, x):
    """Gradient of :func:`sigmoid`: :math:`\\delta\\, \\sigma(x)(1 - \\sigma(x))`.

    >>> sigmoid_backward(np.ones(1), np.zeros(1))
    array([0.25])
    """
    dy, x = _check_pair(dy, x)
    s = sigmoid(x)
    return dy * s * (1 - s)


def tanh(x):
    """Hyperbolic tangent.

    >>> tanh(np.array([0.0]))
    array([0.])
    """
    return np.tanh(as_float_array(x, "x"))


def tanh_backward(dy, x):
    """Gradient of :func:`tanh`: :math:`\\delta\\,(1 - \\tanh^2 x)`.

    >>> tanh_backward(np.ones(1), np.zeros(1))
    array([1.])
    """
    dy, x = _check_pair(dy, x)
    t = np.tanh(x)
    return dy * (1 - t * t)


def softmax(x, axis=-1):
    """Softmax along ``axis``, :math:`s_k = e^{x_k - m} / \\sum_j e^{x_j - m}` with
    :math:`m = \\max_j x_j` so that no exponential overflows.

    Parameters
    ----------
    x : ndarray, any shape with at least one entry along ``axis``
    axis : int, in [-x.ndim, x.ndim)

    Returns
    -------
    s : ndarray, shape of ``x``; non-negative, summing to 1 along ``axis``

    >>> softmax(np.array([[0.0, 0.0]]))
    array([[0.5, 0.5]])
    """
    x = as_float_array(x, "x")
    axis = _softmax_axis(x, axis)
    shifted = x - x.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_axis(x, axis):
    """``axis`` checked against ``x``, which needs at least one cell along it."""
    if x.ndim == 0:
        raise ValueError(f"x: needs an array of at least one dimension, got shape {x.shape}")
    axis = axis_index(axis, x.ndim)
    if x.shape[axis] == 0:
        raise ValueError(f"x: needs at least one entry along axis {axis}, got shape {x.shape}")
    return axis


def softmax_backward(dy, x, axis=-1):
    """Gradient of :func:`softmax` along ``axis``: the Jacobian-vector product

    .. math::

        \\frac{\\partial L}{\\partial x_k} = s_k \\Big(\\delta_k - \\sum_j \\delta_j s_j\\Big).

    >>> softmax_backward(np.array([[1.0, 0.0]]), np.zeros((1, 2)))
    array([[ 0.25, -0.25]])
    """
    dy, x = _check_pair(dy, x)
    axis = _softmax_axis(x, axis)
    s = softmax(x, axis=axis)
    return s * (dy - (dy * s).sum(axis=axis, keepdims=True))
