"""Pooling layers on NCHW input: MaxPooling2D and AveragePooling2D, Keras's default strides."""

from dlbook.functional import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from dlbook.functional.pool import pool_geometry
from dlbook._validation import positive_int_pair
from dlbook.layers._arguments import in_layer, jsonable, padding_argument, shape_str
from dlbook.layers.base import Layer

__all__ = ["MaxPooling2D", "AveragePooling2D"]


class Pooling2D(Layer):
    """Shared code of the two pooling layers: geometry, config, caches.

    A subclass names its kernels in ``_kernel`` and ``_kernel_backward``.
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", input_shape=None,
                 name=None):
        super().__init__(input_shape=input_shape, name=name)
        where = self.where
        self.pool_size = in_layer(where, positive_int_pair, pool_size, "pool_size")
        self.strides = None if strides is None else in_layer(
            where, positive_int_pair, strides, "strides"
        )
        self.padding = padding_argument(padding, where)

    def reset(self):
        super().reset()
        self.inputs = None
        self._output_shape_seen = None

    def compute_output_shape(self, input_shape):
        """``(C, OH, OW)`` for an input of per-sample shape ``(C, H, W)``: the channels are
        kept and each window of ``pool_size`` gives one output cell."""
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.where}: needs inputs of shape (None, channels, height, width), "
                f"got input shape {shape_str(input_shape)}"
            )
        try:
            _, _, _, out_hw = pool_geometry((1, *input_shape), self.pool_size, self.strides,
                                            self.padding)
        except ValueError as error:
            raise ValueError(
                f"{self.where}: {error} (input shape {shape_str(input_shape)})"
            ) from None
        return (input_shape[0], *out_hw)

    def forward(self, x, training=False):
        """Pool a batch ``x`` of shape (N, C, H, W); returns (N, C, OH, OW)."""
        x = self._prepare_input(x, training, cache=True)
        self.inputs = x
        y = self._kernel(x, **self._pool_arguments())
        self._output_shape_seen = y.shape
        return y

    def backward(self, dy):
        """``dy`` (N, C, OH, OW) -> ``dx`` (N, C, H, W)."""
        x = self._require_forward("inputs")
        dy = self._check_dy(dy, self._output_shape_seen)
        return self._kernel_backward(dy, x, **self._pool_arguments())

    def _pool_arguments(self):
        return {"pool_size": self.pool_size, "stride": self.strides, "padding": self.padding}

    def get_config(self):
        return {
            "pool_size": jsonable(self.pool_size),
            "strides": jsonable(self.strides),
            "padding": jsonable(self.padding),
            **super().get_config(),
        }


class MaxPooling2D(Pooling2D):
    r"""Max pooling over windows of ``pool_size`` on NCHW input.

    .. math::

        y_{n,c,i,j} = \max_{p,q}\; x^{\text{pad}}_{n,c,\,i s_H + p,\, j s_W + q}

    Backward: each window's gradient goes to the cell that won its max (the first one in
    row-major order on ties); see :func:`dlbook.functional.max_pool2d_backward`.

    Parameters
    ----------
    pool_size : int or (int, int)
    strides : int or (int, int), optional
        Defaults to ``pool_size`` (non-overlapping windows), as in Keras.
    padding : 'valid', 'same', int, (int, int) or ((int, int), (int, int))
        Each amount smaller than the window; padded cells never count.
    input_shape : (C, H, W), optional
    name : str, optional

    Attributes
    ----------
    inputs : ndarray, shape (N, C, H, W)
        A copy of the input, cached by forward for backward.

    Examples
    --------
    >>> import numpy as np
    >>> MaxPooling2D(pool_size=(2, 2)).forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """

    default_name = "max_pooling2d"
    _kernel = staticmethod(max_pool2d)
    _kernel_backward = staticmethod(max_pool2d_backward)


class AveragePooling2D(Pooling2D):
    r"""Average pooling over windows of ``pool_size`` on NCHW input.

    .. math::

        y_{n,c,i,j} = \frac{1}{|R_{ij}|} \sum_{(p,q) \in R_{ij}} x_{n,c,\,i s_H + p,\, j s_W + q}

    over the window's real (unpadded) cells :math:`R_{ij}`, as Keras does. Backward: every cell
    of a window receives :math:`\delta_{n,c,i,j} / |R_{ij}|`.

    Parameters
    ----------
    pool_size, strides, padding, input_shape, name
        As for :class:`MaxPooling2D`.

    Examples
    --------
    >>> import numpy as np
    >>> layer = AveragePooling2D(pool_size=2)
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> layer.forward(x)[0, 0], layer.output_shape
    (array([[ 2.5,  4.5],
           [10.5, 12.5]]), (1, 2, 2))
    """

    default_name = "average_pooling2d"
    _kernel = staticmethod(avg_pool2d)
    _kernel_backward = staticmethod(avg_pool2d_backward)
