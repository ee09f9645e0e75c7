"""The size and padding arithmetic of convolution and pooling windows: output sizes, the
TensorFlow/Keras ``'same'`` padding, and a ``padding`` argument turned into widths.

Every function checks its arguments: sizes, kernel sizes, strides and dilations are integers
> 0 (bools are not integers here), padding widths integers >= 0, and a window must fit in the
padded input. A plain positive ``int`` takes a fast path, so the kernels that call these on
every batch pay almost nothing for the checks.
"""

import numpy as np

from dlbook._validation import non_negative_int, positive_int, positive_int_pair


def _positive(value, name):
    """``value`` if it is a plain int > 0 (the fast path), else :func:`positive_int`'s verdict."""
    return value if type(value) is int and value > 0 else positive_int(value, name)


def _positive_pair(value, name):
    """``value`` as a pair of ints > 0; a tuple of two plain positive ints takes a fast path."""
    if (type(value) is tuple and len(value) == 2 and type(value[0]) is int and value[0] > 0
            and type(value[1]) is int and value[1] > 0):
        return value
    return positive_int_pair(value, name)


def _window_fits(padded_size, kernel_size, dilation, context):
    """Raise ValueError naming ``kernel_size`` unless the dilated window fits in ``padded_size``."""
    span = dilation * (kernel_size - 1) + 1
    if span > padded_size:
        dilated = f" (dilated to {span})" if span != kernel_size else ""
        raise ValueError(f"kernel_size: needs a window of at most {padded_size} cells "
                         f"({context}), got {kernel_size}{dilated}")


def same_padding(input_size, kernel_size, stride=1, dilation=1):
    """Padding (before, after) of TensorFlow/Keras ``padding='same'`` along one axis.

    The output has :math:`\\lceil \\text{in} / s \\rceil` cells; the total padding is
    :math:`\\max((\\text{out}-1)s + (k-1)d + 1 - \\text{in},\\ 0)`; the smaller half goes before
    (top/left), the odd pixel after (bottom/right).

    Parameters
    ----------
    input_size, kernel_size, stride, dilation : int
        Each an integer > 0.

    Returns
    -------
    (before, after) : (int, int)

    Examples
    --------
    >>> same_padding(5, 3)
    (1, 1)
    >>> same_padding(6, 3, stride=2)
    (0, 1)
    """
    input_size = _positive(input_size, "input_size")
    kernel_size = _positive(kernel_size, "kernel_size")
    stride, dilation = _positive(stride, "stride"), _positive(dilation, "dilation")
    out = -(-input_size // stride)
    total = max((out - 1) * stride + (kernel_size - 1) * dilation + 1 - input_size, 0)
    return total // 2, total - total // 2


def resolve_padding(padding, input_hw, kernel_hw, stride_hw, dilation_hw=(1, 1)):
    """Turn a ``padding`` argument into ``((top, bottom), (left, right))``.

    ``padding`` is an int (every side), ``(ph, pw)`` (top and bottom ``ph``, left and right
    ``pw``), ``((top, bottom), (left, right))`` (each side its own, TensorFlow's explicit
    padding: the same as ``np.pad`` of the two spatial axes, then no padding), ``'valid'``
    (none) or ``'same'`` (TensorFlow/Keras, see :func:`same_padding`, for any stride; either
    in any case); ``input_hw``, ``kernel_hw`` (or pool window),
    ``stride_hw``, ``dilation_hw`` are (height, width) pairs of integers > 0 (an int means
    the same on both axes). Whether the window fits is the caller's check.

    Examples
    --------
    >>> resolve_padding('same', (28, 28), (5, 5), (1, 1))
    ((2, 2), (2, 2))
    >>> resolve_padding((1, 2), (8, 8), (3, 3), (1, 1))
    ((1, 1), (2, 2))
    >>> resolve_padding(((1, 2), (0, 1)), (8, 8), (3, 3), (1, 1))
    ((1, 2), (0, 1))
    """
    input_hw = _positive_pair(input_hw, "input_hw")
    kernel_hw, stride_hw = _positive_pair(kernel_hw, "kernel_hw"), _positive_pair(stride_hw, "stride_hw")
    dilation_hw = _positive_pair(dilation_hw, "dilation_hw")
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return (0, 0), (0, 0)
        if mode == "same":
            return tuple(same_padding(i, k, s, d)
                         for i, k, s, d in zip(input_hw, kernel_hw, stride_hw, dilation_hw))
        raise ValueError(f"padding: needs 'valid', 'same', an int or a pair, got {padding!r}")
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2:
            raise ValueError(f"padding: needs an int, a pair (ph, pw) or two pairs "
                             f"((top, bottom), (left, right)), got {padding!r}")
        nested = [isinstance(p, (tuple, list)) for p in padding]
        if any(nested):
            return _explicit_padding(padding, nested)
        ph, pw = (non_negative_int(p, "padding") for p in padding)
    else:
        ph = pw = non_negative_int(padding, "padding")
    return (ph, ph), (pw, pw)


def _explicit_padding(padding, nested):
    """``((top, bottom), (left, right))`` checked: two pairs of integers >= 0.

    >>> _explicit_padding([[1, 2], (0, 3)], [True, True])
    ((1, 2), (0, 3))
    """
    if not all(nested) or any(len(pair) != 2 for pair in padding):
        raise ValueError(f"padding: needs two pairs ((top, bottom), (left, right)) of ints "
                         f">= 0, got {padding!r}")
    return tuple(tuple(non_negative_int(p, "padding") for p in pair) for pair in padding)


def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """Output length along one axis of a convolution or pooling window:
    :math:`\\lfloor (\\text{in} + \\text{pad}_\\text{total} - d (k - 1) - 1) / s \\rfloor + 1`.

    ``padding`` is the TOTAL padding on this axis (before + after, an int >= 0), or
    ``'valid'`` / ``'same'``. ``input_size``, ``kernel_size``, ``stride`` and ``dilation`` are
    integers > 0, and the dilated window :math:`d (k - 1) + 1` must fit in the padded input,
    so the result is at least 1.

    Examples
    --------
    >>> conv_output_size(5, 3)
    3
    >>> conv_output_size(28, 5, padding=4)
    28
    >>> conv_output_size(7, 3, stride=2, padding='same')
    4
    """
    input_size = _positive(input_size, "input_size")
    kernel_size = _positive(kernel_size, "kernel_size")
    stride, dilation = _positive(stride, "stride"), _positive(dilation, "dilation")
    if isinstance(padding, str):
        (before, after), _ = resolve_padding(padding, (input_size, 1), (kernel_size, 1),
                                             (stride, 1), (dilation, 1))
        padding = before + after
    elif type(padding) is not int or padding < 0:
        if isinstance(padding, (tuple, list)):
            raise TypeError(f"padding: needs the total padding of the axis (an int >= 0), "
                            f"'valid' or 'same', got {padding!r}")
        padding = non_negative_int(padding, "padding")
    _window_fits(input_size + padding, kernel_size, dilation,
                 f"input_size {input_size} + padding {padding}")
    return (input_size + padding - dilation * (kernel_size - 1) - 1) // stride + 1


def _output_hw(input_hw, kernel_hw, stride, pads, dilation):
    """``(OH, OW)`` from (height, width) pairs and ``pads = ((top, bottom), (left, right))``,
    each axis by :func:`conv_output_size`.

    >>> _output_hw((28, 28), (5, 5), (1, 1), ((2, 2), (2, 2)), (1, 1))
    (28, 28)
    """
    return tuple(conv_output_size(size, k, s, sum(p), d)
                 for size, k, s, p, d in zip(input_hw, kernel_hw, stride, pads, dilation))


def _pad(x, pads, value=0.0):
    """Pad the two spatial axes of an NCHW array (no copy when there is nothing to pad)."""
    if pads == ((0, 0), (0, 0)):
        return x
    return np.pad(x, ((0, 0), (0, 0)) + tuple(pads), constant_values=value)
