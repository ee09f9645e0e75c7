"""Parameter: a trainable array together with the gradient the backward pass fills in."""

import numpy as np


class Parameter:
    """A trainable array and its gradient.

    Parameters
    ----------
    data : array_like
        The initial values. Floating arrays keep their dtype (float32 stays float32);
        integer or boolean input becomes float64.

    Attributes
    ----------
    data : ndarray
        The values, updated in place by the optimizers.
    grad : ndarray
        Same shape and dtype as ``data``, zeros at first; layers' ``backward`` fills it.

    Examples
    --------
    >>> p = Parameter([1.0, 2.0])
    >>> p.grad
    array([0., 0.])
    """

    def __init__(self, data):
        array = np.asarray(data)
        if array.dtype.kind == "c":
            raise TypeError(f"data: complex arrays are not supported, got dtype {array.dtype}")
        if array.dtype.kind not in "fiub":
            raise TypeError(f"data: needs a real numeric array, got dtype {array.dtype}")
        if array.dtype.kind != "f":
            array = array.astype(np.float64)
        self.data = np.array(array, copy=True)
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self):
        return self.data.shape

    def zero_grad(self):
        """Set the gradient to zeros, in place."""
        self.grad[...] = 0

    def __repr__(self):
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"
