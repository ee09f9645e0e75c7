"""Parameter: a trainable array together with the gradient the backward pass fills in."""

import numpy as np

from dlbook._validation import as_float_array


class Parameter:
    """A trainable array and its gradient.

    Parameters
    ----------
    data : array_like
        The initial values, copied. float32 and float64 keep their dtype; integers become
        float64. Booleans, complex numbers, float16 and extended precision are rejected with a
        TypeError (see :func:`dlbook._validation.as_float_array`).

    Attributes
    ----------
    data : ndarray
        The values, updated in place by the optimizers.
    grad : ndarray
        Same shape and dtype as ``data``, zeros at first; layers' ``backward`` fills it, in
        place. It is a plain attribute: ``p.grad = array`` is not checked then, but by
        :meth:`Optimizer.step <dlbook.base_optimizer.Optimizer.step>`, which rejects a
        gradient of another shape, or not of real float32, float64 or integer dtype, before it
        updates anything, and computes in the dtype of ``data`` (a float64 gradient of a float32
        parameter gives a float32 step).

    Examples
    --------
    >>> p = Parameter([1.0, 2.0])
    >>> p.grad
    array([0., 0.])
    """

    def __init__(self, data):
        self.data = np.array(as_float_array(data, "data"), copy=True)
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self):
        return self.data.shape

    def zero_grad(self):
        """Set the gradient to zeros, in place."""
        self.grad[...] = 0

    def __repr__(self):
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"
