"""Conv2D: the 2-D convolution layer (cross-correlation, as in every framework) on NCHW input."""

import numpy as np

from dlbook._validation import check_window_fits, positive_int, positive_int_pair
from dlbook.functional import conv2d, conv2d_backward, conv_output_size, resolve_padding
from dlbook.layers._arguments import in_layer, jsonable, padding_argument, shape_str
from dlbook.layers.activations import activate
from dlbook.layers.base import Affine
from dlbook.layers.initializers import initialize
from dlbook.parameter import Parameter

__all__ = ["Conv2D"]


class Conv2D(Affine):
    r"""2-D convolution layer (cross-correlation, as in every framework) on NCHW input.

    .. math::

        z_{n,o,i,j} = b_o + \sum_{c,p,q} W_{o,c,p,q}\,
            x^{\text{pad}}_{n,c,\, i s_H + p d_H,\, j s_W + q d_W}, \qquad
        y = f(z)

    with :math:`f` the activation. The arithmetic is :func:`dlbook.functional.conv2d`.

    Parameters
    ----------
    filters : int
        Number of output channels :math:`O`.
    kernel_size : int or (int, int)
        :math:`(K_H, K_W)`.
    strides : int or (int, int)
    padding : 'valid', 'same', int, (int, int) or ((int, int), (int, int))
        ``'same'`` has the Keras meaning for any stride (output ``ceil(H / s_H)``);
        ``((top, bottom), (left, right))`` pads each side by its own amount.
    dilation_rate : int or (int, int)
    activation : str or None
        Applied after the convolution.
    use_bias : bool
    kernel_initializer, bias_initializer : str
        See :func:`initialize`; the kernel's fans are :math:`C K_H K_W` and :math:`O K_H K_W`.
    input_shape : (C, H, W), optional
    name : str, optional

    Attributes
    ----------
    kernel : Parameter, shape (O, C, KH, KW)
        The filters; ``layer.kernel.data[o, c]`` is what filter ``o`` looks for in channel ``c``.
    bias : Parameter, shape (O,), or None
    inputs : ndarray, shape (N, C, H, W)
        A copy of the input, cached by forward for backward (not the caller's array, so
        changing that array after forward does not change the gradients).
    pre_activation : ndarray, shape (N, O, OH, OW)
        :math:`z`, cached by forward.

    Examples
    --------
    >>> layer = Conv2D(filters=4, kernel_size=(3, 3), padding='same', activation='relu')
    >>> layer.build((1, 8, 8), rng=0)
    >>> layer.kernel.shape, layer.output_shape
    ((4, 1, 3, 3), (4, 8, 8))
    >>> layer.forward(np.ones((2, 1, 8, 8), dtype=np.float32)).shape
    (2, 4, 8, 8)
    """

    default_name = "conv2d"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", input_shape=None, name=None):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer,
                         input_shape=input_shape, name=name)
        where = self.where
        self.filters = in_layer(where, positive_int, filters, "filters")
        self.kernel_size = in_layer(where, positive_int_pair, kernel_size, "kernel_size")
        self.strides = in_layer(where, positive_int_pair, strides, "strides")
        self.padding = padding_argument(padding, where)
        self.dilation_rate = in_layer(where, positive_int_pair, dilation_rate, "dilation_rate")

    def compute_output_shape(self, input_shape):
        r"""``(O, OH, OW)`` for an input of per-sample shape ``(C, H, W)``, with
        :math:`O_H = \lfloor (H + p_H - d_H (K_H - 1) - 1) / s_H \rfloor + 1` (likewise
        :math:`O_W`) and :math:`p_H` the total padding of the height."""
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.where}: needs inputs of shape (None, channels, height, width), "
                f"got input shape {shape_str(input_shape)}"
            )
        channels, height, width = input_shape
        if self.kernel is not None and channels != self.kernel.shape[1]:
            raise ValueError(
                f"{self.where}: was built for {self.kernel.shape[1]} input channels, got "
                f"input shape {shape_str(input_shape)}"
            )
        pads = resolve_padding(
            self.padding, (height, width), self.kernel_size, self.strides, self.dilation_rate
        )
        check_window_fits(
            (height, width), pads, self.kernel_size, self.dilation_rate, f"{self.where}: kernel",
            f"input shape {shape_str(input_shape)}, padding {self.padding!r}",
        )
        out = [
            conv_output_size(size, k, s, sum(pad), d)
            for size, k, s, d, pad in zip(
                (height, width), self.kernel_size, self.strides, self.dilation_rate, pads
            )
        ]
        return (self.filters, *out)

    def _create_params(self, input_shape, rng, dtype):
        channels = input_shape[0]
        kh, kw = self.kernel_size
        shape = (self.filters, channels, kh, kw)
        fan_in, fan_out = channels * kh * kw, self.filters * kh * kw
        self.kernel = Parameter(
            initialize(self.kernel_initializer, shape, fan_in, fan_out, rng, dtype)
        )
        self._params = {"kernel": self.kernel}
        if self.use_bias:
            self.bias = Parameter(
                initialize(self.bias_initializer, (self.filters,), fan_in, fan_out, rng, dtype)
            )
            self._params["bias"] = self.bias

    def forward(self, x, training=False):
        """Convolve a batch.

        Parameters
        ----------
        x : ndarray, shape (N, C, H, W)
        training : bool
            True or False; the layer behaves the same in training and inference.

        Returns
        -------
        y : ndarray, shape (N, O, OH, OW)
            :math:`f(z)`, in the layer's dtype.
        """
        x = self._prepare_input(x, training, cache=True)
        self.inputs = x
        self.pre_activation = conv2d(
            x, self.kernel.data, None if self.bias is None else self.bias.data,
            stride=self.strides, padding=self.padding, dilation=self.dilation_rate,
        )
        return activate(self.activation, self.pre_activation)

    def backward_pre_activation(self, dz):
        r"""Backward pass from :math:`\partial L / \partial z` (the gradient before the
        activation), as the model does for a fused softmax cross-entropy.

        .. math::

            \frac{\partial L}{\partial W_{o,c,p,q}} = \sum_{n,i,j}
                \frac{\partial L}{\partial z_{n,o,i,j}}\,
                x^{\text{pad}}_{n,c,\,i s_H + p d_H,\,j s_W + q d_W}, \qquad
            \frac{\partial L}{\partial b_o} = \sum_{n,i,j} \frac{\partial L}{\partial z_{n,o,i,j}}

        and :math:`\partial L / \partial x` by :func:`dlbook.functional.conv2d_backward`. Fills
        ``kernel.grad`` (O, C, KH, KW) and ``bias.grad`` (O,).

        Returns
        -------
        dx : ndarray, shape (N, C, H, W)
        """
        x = self._require_forward("inputs")
        dz = self._check_dy(dz, self.pre_activation.shape)
        dx, dw, db = conv2d_backward(
            dz, x, self.kernel.data,
            stride=self.strides, padding=self.padding, dilation=self.dilation_rate,
        )
        np.copyto(self.kernel.grad, dw)
        if self.bias is not None:
            np.copyto(self.bias.grad, db)
        return dx

    def get_config(self):
        return {
            "filters": self.filters,
            "kernel_size": jsonable(self.kernel_size),
            "strides": jsonable(self.strides),
            "padding": jsonable(self.padding),
            "dilation_rate": jsonable(self.dilation_rate),
            "activation": self.activation,
            "use_bias": self.use_bias,
            "kernel_initializer": self.kernel_initializer,
            "bias_initializer": self.bias_initializer,
            **super().get_config(),
        }
