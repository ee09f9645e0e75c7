"""Pure kernels: arrays in, arrays out, no state (like ``torch.nn.functional``).

Images are NCHW, convolution weights OIHW; ``conv2d`` is cross-correlation. Signals are NCL,
``conv1d`` weights OCK (:mod:`dlbook.functional.conv_1d`, the same cross-correlation in one
dimension).
"""

from dlbook.functional.activations import (
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
    tanh,
    tanh_backward,
)
from dlbook.functional.conv import (
    conv1d,
    conv1d_backward,
    conv2d,
    conv2d_backward,
    conv_output_size,
    resolve_padding,
    same_padding,
)
from dlbook.functional.losses import mean_squared_error, softmax_cross_entropy
from dlbook.functional.pool import (
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
)

__all__ = [
    "avg_pool2d",
    "avg_pool2d_backward",
    "conv1d",
    "conv1d_backward",
    "conv2d",
    "conv2d_backward",
    "conv_output_size",
    "max_pool2d",
    "max_pool2d_backward",
    "mean_squared_error",
    "relu",
    "relu_backward",
    "resolve_padding",
    "same_padding",
    "sigmoid",
    "sigmoid_backward",
    "softmax",
    "softmax_backward",
    "softmax_cross_entropy",
    "tanh",
    "tanh_backward",
]
