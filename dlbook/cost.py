"""What a layer costs: multiply-adds (MACs) and parameters of convolutional and dense layers.

One multiply-add is one :math:`a \\leftarrow a + w x`. A convolution computes one sum of
:math:`C K_H K_W` products for every output cell, so a batch costs

.. math::

    \\text{MACs}_{\\text{conv}} = N \\cdot O \\cdot O_H O_W \\cdot C K_H K_W ,

the entries of the matrix product ``w.reshape(O, -1) @ columns`` of the im2col path: an
``(O, C*KH*KW)`` matrix times ``(C*KH*KW, OH*OW)`` columns for each image. A dense layer
from ``in`` to ``out`` features costs :math:`N \\cdot \\text{in} \\cdot \\text{out}`. The bias
additions and the activation are not counted (the usual convention), nor is pooling, which
multiplies nothing.

>>> conv2d_macs((1, 1, 28, 28), (8, 1, 3, 3), padding='same')
56448
>>> dense_macs(1, 784, 6272)
4917248
"""

import copy
import math

import numpy as np

from dlbook._validation import positive_int, positive_int_pair, positive_int_tuple
from dlbook.functional.padding import conv_output_size, resolve_padding
from dlbook.layers import Conv2D, Dense

__all__ = ["conv2d_macs", "dense_macs", "layer_macs"]


def conv2d_macs(x_shape, w_shape, stride=1, padding=0, dilation=1):
    """Multiply-adds of ``conv2d(x, w, stride=..., padding=..., dilation=...)``.

    ``x_shape`` (N, C, H, W) and ``w_shape`` (O, C, KH, KW) are tuples of integers > 0 with the
    same C; ``stride``, ``padding`` and ``dilation`` are those of
    :func:`dlbook.functional.conv2d`. Returns :math:`N O O_H O_W C K_H K_W` as an int.

    >>> conv2d_macs((2, 3, 8, 8), (4, 3, 3, 3), stride=2, padding=1)
    3456
    """
    n, c, h, w = positive_int_tuple(x_shape, 4, "x_shape")
    o, c_w, kh, kw = positive_int_tuple(w_shape, 4, "w_shape")
    if c_w != c:
        raise ValueError(f"w_shape: needs {c} input channels like x_shape {x_shape}, "
                         f"got {w_shape}")
    stride, dilation = positive_int_pair(stride, "stride"), positive_int_pair(dilation, "dilation")
    pads = resolve_padding(padding, (h, w), (kh, kw), stride, dilation)
    oh, ow = (conv_output_size(size, k, s, sum(p), d)
              for size, k, s, p, d in zip((h, w), (kh, kw), stride, pads, dilation))
    return n * o * oh * ow * c * kh * kw


def dense_macs(batch, in_features, out_features):
    """Multiply-adds of a dense layer on a batch: ``batch * in_features * out_features``,
    the entries of the product ``x (batch, in) @ W (in, out)``; each argument an int > 0.

    >>> dense_macs(32, 64, 10)
    20480
    """
    return (positive_int(batch, "batch") * positive_int(in_features, "in_features")
            * positive_int(out_features, "out_features"))


def layer_macs(layer, input_shape):
    """Multiply-adds of one forward pass of ``layer`` (a dlbook layer or ``Sequential``) on a
    batch of ``input_shape`` (batch axis included): the sum over its ``Conv2D`` and ``Dense``
    layers of :func:`conv2d_macs` and :func:`dense_macs`; other layers count 0. ``layer`` is
    copied and run once on zeros, so the object passed in is not built or changed.

    >>> layer_macs(Conv2D(8, 3, padding='same'), (1, 1, 28, 28))
    56448
    """
    if not hasattr(layer, "forward") and not hasattr(layer, "predict"):
        raise TypeError(f"layer: got {type(layer).__name__}; needs a dlbook layer or Sequential")
    if not isinstance(input_shape, (tuple, list)) or not input_shape:
        raise TypeError(f"input_shape: got {input_shape!r}; needs a tuple of positive ints, "
                        "batch axis included, e.g. (1, 1, 8, 8)")
    input_shape = tuple(positive_int(n, "input_shape") for n in input_shape)
    work = copy.deepcopy(layer)
    x = np.zeros(input_shape)
    if hasattr(work, "predict"):
        work.predict(x, verbose=0)
    else:
        work.forward(x, training=False)
    total = 0
    for part in getattr(work, "layers", [work]):
        shape = (input_shape[0],) + tuple(part.input_shape)
        if isinstance(part, Conv2D):
            total += conv2d_macs(shape, part.kernel.shape, part.strides, part.padding,
                                 part.dilation_rate)
        elif isinstance(part, Dense):
            total += dense_macs(shape[0], math.prod(shape[1:]), part.units)
    return total
