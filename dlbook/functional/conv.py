"""2-D convolution (cross-correlation) on NCHW arrays, its backward pass, and the size arithmetic.

Every deep-learning framework computes *cross-correlation* under the name "convolution": the
kernel slides over the input without being flipped,

.. math::

    y_{n,o,i,j} = b_o + \\sum_{c} \\sum_{p=0}^{K_H-1} \\sum_{q=0}^{K_W-1}
        w_{o,c,p,q} \\; x^{\\text{pad}}_{n,\\,c,\\; i s_H + p d_H,\\; j s_W + q d_W}

with stride :math:`s`, dilation :math:`d` and the zero-padded input :math:`x^{\\text{pad}}`.
The output size along one axis is

.. math::

    \\text{out} = \\left\\lfloor \\frac{\\text{in} + \\text{pad}_\\text{total} - d (k - 1) - 1}{s}
    \\right\\rfloor + 1 .

The readable loop version of each kernel is in :mod:`dlbook.functional.reference`; the functions
here compute the same numbers with array operations (see :func:`conv2d` for how).
"""

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dlbook._validation import as_float_array, check_ndim, check_shape, positive_int_pair


def _padding_amount(value, name):
    """One non-negative integer padding amount."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: needs a non-negative integer, 'valid' or 'same', got {value!r}")
    if value < 0:
        raise ValueError(f"{name}: needs a non-negative integer, got {value!r}")
    return int(value)


def same_padding(input_size, kernel_size, stride=1, dilation=1):
    """Padding (before, after) of TensorFlow/Keras ``padding='same'`` along one axis.

    The output has :math:`\\lceil \\text{in} / s \\rceil` cells; the total padding is
    :math:`\\max((\\text{out}-1)s + (k-1)d + 1 - \\text{in},\\ 0)`; the smaller half goes before
    (top/left), the odd pixel after (bottom/right).

    Examples
    --------
    >>> same_padding(5, 3)
    (1, 1)
    >>> same_padding(6, 3, stride=2)
    (0, 1)
    """
    out = -(-input_size // stride)
    total = max((out - 1) * stride + (kernel_size - 1) * dilation + 1 - input_size, 0)
    return total // 2, total - total // 2


def resolve_padding(padding, input_hw, kernel_hw, stride_hw, dilation_hw=(1, 1)):
    """Turn a ``padding`` argument into ``((top, bottom), (left, right))``.

    Parameters
    ----------
    padding : int, (int, int), 'valid' or 'same'
        An int pads every side by that amount; ``(ph, pw)`` pads top and bottom by ``ph``, left
        and right by ``pw``; ``'valid'`` means no padding; ``'same'`` follows TensorFlow/Keras
        (see :func:`same_padding`) for any stride.
    input_hw, kernel_hw, stride_hw, dilation_hw : (int, int)
        Input height/width, kernel (or pool window) size, stride and dilation.

    Examples
    --------
    >>> resolve_padding('same', (28, 28), (5, 5), (1, 1))
    ((2, 2), (2, 2))
    >>> resolve_padding((1, 2), (8, 8), (3, 3), (1, 1))
    ((1, 1), (2, 2))
    """
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return (0, 0), (0, 0)
        if mode == "same":
            return tuple(
                same_padding(i, k, s, d)
                for i, k, s, d in zip(input_hw, kernel_hw, stride_hw, dilation_hw)
            )
        raise ValueError(f"padding: needs 'valid', 'same', an int or a pair, got {padding!r}")
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2:
            raise ValueError(f"padding: needs an int or a pair (ph, pw), got {padding!r}")
        ph, pw = (_padding_amount(p, "padding") for p in padding)
    else:
        ph = pw = _padding_amount(padding, "padding")
    return (ph, ph), (pw, pw)


def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """Output length along one axis of a convolution or pooling window.

    ``padding`` is the TOTAL padding added on this axis (before + after), or ``'valid'`` /
    ``'same'``.

    Examples
    --------
    >>> conv_output_size(5, 3)
    3
    >>> conv_output_size(28, 5, padding=4)
    28
    >>> conv_output_size(7, 3, stride=2, padding='same')
    4
    """
    if isinstance(padding, str):
        (before, after), _ = resolve_padding(
            padding, (input_size, 1), (kernel_size, 1), (stride, 1), (dilation, 1)
        )
        padding = before + after
    return (input_size + padding - dilation * (kernel_size - 1) - 1) // stride + 1


def _check_conv_args(x, w, stride, padding, dilation):
    """Validate conv2d's arguments; return arrays and the resolved geometry."""
    x = as_float_array(x, "x")
    w = as_float_array(w, "w")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    check_ndim(w, 4, "w", "(O, C, KH, KW)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"w: has {w.shape[1]} input channels but x has {x.shape[1]} "
            f"(x shape {x.shape}, w shape {w.shape})"
        )
    if min(w.shape) == 0 or min(x.shape) == 0:
        raise ValueError(f"x, w: empty arrays are not supported (x {x.shape}, w {w.shape})")
    stride = positive_int_pair(stride, "stride")
    dilation = positive_int_pair(dilation, "dilation")
    kernel = w.shape[2:]
    pads = resolve_padding(padding, x.shape[2:], kernel, stride, dilation)
    for axis, name in enumerate(("height", "width")):
        padded = x.shape[2 + axis] + sum(pads[axis])
        effective = dilation[axis] * (kernel[axis] - 1) + 1
        if effective > padded:
            raise ValueError(
                f"w: kernel {name} {kernel[axis]} (dilated to {effective}) is larger than the "
                f"padded input {name} {padded} (x shape {x.shape}, padding {padding!r})"
            )
    return x, w, stride, pads, dilation


def _pad(x, pads, value=0.0):
    """Pad the two spatial axes of an NCHW array (no copy when there is nothing to pad)."""
    if pads == ((0, 0), (0, 0)):
        return x
    return np.pad(x, ((0, 0), (0, 0)) + tuple(pads), constant_values=value)


def _windows(xp, kernel, stride, dilation):
    """Read-only view (N, C, OH, OW, KH, KW) of every receptive field of the padded input."""
    kh, kw = kernel
    (sh, sw), (dh, dw) = stride, dilation
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    view = sliding_window_view(xp, span, axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


def _columns(xp, kernel, stride, dilation):
    """im2col: a contiguous (N, C*KH*KW, OH*OW) matrix of receptive fields, one column each."""
    win = _windows(xp, kernel, stride, dilation)
    n, c, oh, ow, kh, kw = win.shape
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow), (oh, ow)


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation, no kernel flip) of a batch of images.

    .. math::

        y_{n,o,i,j} = b_o + \\sum_{c,p,q} w_{o,c,p,q}\\,
            x^{\\text{pad}}_{n,c,\\,i s_H + p d_H,\\, j s_W + q d_W}

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input images. Floating dtypes are kept; integers become float64.
    w : ndarray, shape (O, C, KH, KW)
        Filters.
    b : ndarray, shape (O,), optional
        One bias per filter.
    stride : int or (int, int)
        Step of the window, ``(sh, sw)``.
    padding : int, (int, int), 'valid' or 'same'
        Zero padding; ``'same'`` has the TensorFlow/Keras meaning for any stride (output size
        ``ceil(H / sh)``; the odd pixel of padding goes bottom/right).
    dilation : int or (int, int)
        Spacing between kernel taps.

    Returns
    -------
    y : ndarray, shape (N, O, OH, OW)
        ``OH = (H + pad_top + pad_bottom - dh*(KH-1) - 1) // sh + 1``, likewise ``OW``. The dtype
        is the common floating type of ``x``, ``w`` and ``b``.

    Notes
    -----
    im2col: every receptive field of the padded input is a column of a
    ``(C*KH*KW, OH*OW)`` matrix (read through a strided view, then copied once), and the whole
    convolution becomes one batched matrix product ``W (O, C*KH*KW) @ cols (N, C*KH*KW, OH*OW)``,
    which lands directly in NCHW order.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> w = np.ones((1, 1, 2, 2))
    >>> conv2d(x, w, stride=2)[0, 0]
    array([[10., 18.],
           [42., 50.]])
    """
    x, w, stride, pads, dilation = _check_conv_args(x, w, stride, padding, dilation)
    dtype = np.result_type(x, w)
    if b is not None:
        b = as_float_array(b, "b")
        if b.shape != (w.shape[0],):
            raise ValueError(
                f"b: needs shape ({w.shape[0]},), one bias per filter of w {w.shape}, "
                f"got shape {b.shape}"
            )
        dtype = np.result_type(dtype, b)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    cols, (oh, ow) = _columns(_pad(x, pads), w.shape[2:], stride, dilation)
    y = np.matmul(w.reshape(w.shape[0], -1), cols)
    if b is not None:
        y += b.astype(dtype, copy=False)[:, None]
    return y.reshape(x.shape[0], w.shape[0], oh, ow)


def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1):
    """Gradients of :func:`conv2d` with respect to its input, weights and bias.

    .. math::

        \\frac{\\partial L}{\\partial w_{o,c,p,q}} = \\sum_{n,i,j} \\delta_{n,o,i,j}\\,
            x^{\\text{pad}}_{n,c,\\,i s_H + p d_H,\\, j s_W + q d_W}, \\qquad
        \\frac{\\partial L}{\\partial b_o} = \\sum_{n,i,j} \\delta_{n,o,i,j},

    and :math:`\\partial L / \\partial x^{\\text{pad}}` receives
    :math:`\\delta_{n,o,i,j} w_{o,c,p,q}` at every position the forward pass read
    :math:`w_{o,c,p,q}` against; the padding rows and columns are then cut off. For stride 1
    this is the *full* convolution of :math:`\\delta` with the flipped kernel.

    Parameters
    ----------
    dy : ndarray, shape (N, O, OH, OW)
        Gradient of the loss with respect to the output of ``conv2d(x, w, ...)``.
    x : ndarray, shape (N, C, H, W)
    w : ndarray, shape (O, C, KH, KW)
    stride, padding, dilation
        Exactly as given to :func:`conv2d`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (O, C, KH, KW)
    db : ndarray, shape (O,)

    Notes
    -----
    ``dw`` is the batched product ``dy (N, O, OH*OW) @ cols^T`` summed over the batch; ``dx``
    first forms ``W^T @ dy`` (the gradient of every column) and adds it back into the padded
    input with one strided ``+=`` per kernel tap (col2im), KH*KW slice additions in all.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> w = np.ones((1, 1, 2, 2))
    >>> dx, dw, db = conv2d_backward(np.ones((1, 1, 2, 2)), x, w)
    >>> dx[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> db
    array([4.])
    """
    x, w, stride, pads, dilation = _check_conv_args(x, w, stride, padding, dilation)
    dy = as_float_array(dy, "dy")
    n, c, h, width = x.shape
    o, _, kh, kw = w.shape
    out_hw = tuple(
        conv_output_size(size, k, s, sum(p), d)
        for size, k, s, p, d in zip((h, width), (kh, kw), stride, pads, dilation)
    )
    check_shape(dy, (n, o) + out_hw, "dy")
    dtype = np.result_type(x, w, dy)
    x, w, dy = (a.astype(dtype, copy=False) for a in (x, w, dy))
    oh, ow = out_hw
    (sh, sw), (dh, dw_) = stride, dilation

    cols, _ = _columns(_pad(x, pads), (kh, kw), stride, dilation)
    dy_mat = dy.reshape(n, o, oh * ow)
    grad_w = np.matmul(dy_mat, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    grad_b = dy.sum(axis=(0, 2, 3))

    dcols = np.matmul(w.reshape(o, -1).T, dy_mat).reshape(n, c, kh, kw, oh, ow)
    (top, bottom), (left, right) = pads
    dxp = np.zeros((n, c, h + top + bottom, width + left + right), dtype=dtype)
    for p in range(kh):
        rows = slice(p * dh, p * dh + sh * (oh - 1) + 1, sh)
        for q in range(kw):
            dxp[:, :, rows, q * dw_ : q * dw_ + sw * (ow - 1) + 1 : sw] += dcols[:, :, p, q]
    grad_x = dxp[:, :, top : top + h, left : left + width]
    return np.ascontiguousarray(grad_x), grad_w, grad_b
