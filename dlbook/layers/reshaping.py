"""Layers that change the spatial size of NCHW images without weights: ZeroPadding2D."""

import numpy as np

from dlbook.functional import resolve_padding
from dlbook.layers._arguments import in_layer, jsonable, shape_str
from dlbook.layers.base import Layer

__all__ = ["ZeroPadding2D"]


def _zero_padding_argument(padding, where):
    """``padding`` of ZeroPadding2D as ``((top, bottom), (left, right))``: an int (every
    side), ``(ph, pw)`` (top and bottom ``ph``, left and right ``pw``) or two pairs.

    >>> _zero_padding_argument(1, ""), _zero_padding_argument((1, 2), "")
    (((1, 1), (1, 1)), ((1, 1), (2, 2)))
    """
    if isinstance(padding, str):
        raise TypeError(f"{where}: padding: needs an int, a pair (ph, pw) or two pairs "
                        f"((top, bottom), (left, right)) of ints >= 0, got {padding!r}")
    return in_layer(where, resolve_padding, padding, (1, 1), (1, 1), (1, 1))


class ZeroPadding2D(Layer):
    r"""Pad each image of an NCHW batch with zeros on its top, bottom, left and right:
    Keras 3's ``ZeroPadding2D`` with ``data_format='channels_first'``.

    The output is ``np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))``, of shape
    :math:`(N, C, H + t + b, W + l + r)`; the gradient of the input is the gradient of the
    output without its border, :math:`dx = dy[:, :, t:t+H, l:l+W]`. No parameters.

    Parameters
    ----------
    padding : int, (int, int) or ((int, int), (int, int))
        Every side; ``(ph, pw)``: ``ph`` rows on top and bottom, ``pw`` columns left and right;
        ``((top, bottom), (left, right))``. Integers >= 0. Default ``(1, 1)``, as Keras.
    input_shape : (C, H, W), optional
    name : str, optional

    Examples
    --------
    >>> layer = ZeroPadding2D(padding=((1, 0), (0, 2)))
    >>> layer.forward(np.ones((1, 1, 2, 2)))[0, 0]
    array([[0., 0., 0., 0.],
           [1., 1., 0., 0.],
           [1., 1., 0., 0.]])
    >>> layer.backward(np.arange(12.0).reshape(1, 1, 3, 4))[0, 0]
    array([[4., 5.],
           [8., 9.]])
    """

    default_name = "zero_padding2d"

    def __init__(self, padding=(1, 1), input_shape=None, name=None):
        super().__init__(input_shape=input_shape, name=name)
        self.padding = _zero_padding_argument(padding, self.where)

    def compute_output_shape(self, input_shape):
        """``(C, H + top + bottom, W + left + right)`` for an input ``(C, H, W)``."""
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.where}: needs inputs of shape (None, channels, height, width), "
                f"got input shape {shape_str(input_shape)}"
            )
        (top, bottom), (left, right) = self.padding
        channels, height, width = input_shape
        return (channels, height + top + bottom, width + left + right)

    def reset(self):
        super().reset()
        self._output_shape_seen = None

    def forward(self, x, training=False):
        """``x`` (N, C, H, W) -> (N, C, H + t + b, W + l + r), zeros around ``x``."""
        x = self._prepare_input(x, training)
        y = np.pad(x, ((0, 0), (0, 0)) + self.padding)
        self._output_shape_seen = y.shape
        return y

    def backward(self, dy):
        """``dy`` (N, C, H + t + b, W + l + r) -> ``dx`` (N, C, H, W), a new array."""
        dy = self._check_dy(dy, self._require_forward("_output_shape_seen"))
        (top, bottom), (left, right) = self.padding
        height, width = dy.shape[2] - top - bottom, dy.shape[3] - left - right
        return dy[:, :, top:top + height, left:left + width].copy()

    def get_config(self):
        return {"padding": jsonable(self.padding), **super().get_config()}
