"""2-D convolution on NCHW arrays: conv2d and its backward pass, and the readable im2col path.

Like every deep-learning framework, it computes *cross-correlation* under the name
"convolution" (the kernel is not flipped):

.. math::

    y_{n,o,i,j} = b_o + \\sum_{c} \\sum_{p=0}^{K_H-1} \\sum_{q=0}^{K_W-1}
        w_{o,c,p,q} \\; x^{\\text{pad}}_{n,\\,c,\\; i s_H + p d_H,\\; j s_W + q d_W}

with stride :math:`s`, dilation :math:`d`, the zero-padded input :math:`x^{\\text{pad}}`.
Three versions compute it, all checked on one oracle grid: the loops of
:mod:`dlbook.functional.reference`; :func:`conv2d_im2col` here (columns by :func:`im2col`, then
ONE matrix product); the tuned strategies of :mod:`dlbook.functional._conv_fast`, which
:func:`conv2d` runs. :data:`STRATEGIES` names them all. The size and padding arithmetic
(:func:`conv_output_size`, :func:`same_padding`, :func:`resolve_padding`) lives in
:mod:`dlbook.functional.padding` and is re-exported here, and so are :func:`conv1d` and
:func:`conv1d_backward` of :mod:`dlbook.functional.conv_1d` (a signal is an image of height 1).
"""

import functools
import importlib
from typing import Callable, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dlbook._validation import (as_float_array, check_ndim, check_shape, check_window_fits,
                                positive_int_pair, positive_int_tuple)
from dlbook.functional import _conv_fast
from dlbook.functional._conv_fast import TUNING
from dlbook.functional._conv_geometry import _geometry
from dlbook.functional.padding import (_output_hw, _pad, conv_output_size, resolve_padding,
                                       same_padding)

__all__ = ["STRATEGIES", "Strategy", "TUNING", "choose_strategy", "col2im", "conv1d",
           "conv1d_backward", "conv2d", "conv2d_backward", "conv2d_backward_im2col",
           "conv2d_im2col", "conv_output_size",
           "im2col", "resolve_padding", "same_padding"]


def _check_conv_args(x, w, stride, padding, dilation):
    """Validate conv2d's arguments; return x, w, stride, ``((top, bottom), (left, right))``
    pads and dilation."""
    x = as_float_array(x, "x")
    w = as_float_array(w, "w")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    check_ndim(w, 4, "w", "(O, C, KH, KW)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"w: has {w.shape[1]} input channels but x has {x.shape[1]} "
                         f"(x shape {x.shape}, w shape {w.shape})")
    if min(w.shape) == 0 or min(x.shape) == 0:
        raise ValueError(f"x, w: empty arrays are not supported (x {x.shape}, w {w.shape})")
    stride = positive_int_pair(stride, "stride")
    dilation = positive_int_pair(dilation, "dilation")
    pads = resolve_padding(padding, x.shape[2:], w.shape[2:], stride, dilation)
    check_window_fits(x.shape[2:], pads, w.shape[2:], dilation, "w: kernel",
                      f"x shape {x.shape}, padding {padding!r}")
    return x, w, stride, pads, dilation


def _prepare(x, w, b, stride, padding, dilation):
    """Check conv2d's arguments; return ``x, w, b`` in their common floating dtype, the stride
    and dilation pairs and ``pads``."""
    x, w, stride, pads, dilation = _check_conv_args(x, w, stride, padding, dilation)
    dtype = np.result_type(x, w)
    if b is not None:
        b = as_float_array(b, "b")
        check_shape(b, (w.shape[0],), "b")  # one bias per filter
        dtype = np.result_type(dtype, b)
        b = b.astype(dtype, copy=False)
    return x.astype(dtype, copy=False), w.astype(dtype, copy=False), b, stride, pads, dilation


def _prepare_backward(dy, x, w, stride, padding, dilation):
    """Check conv2d_backward's arguments; return them as :func:`_prepare` does."""
    x, w, stride, pads, dilation = _check_conv_args(x, w, stride, padding, dilation)
    dy = as_float_array(dy, "dy")
    out_hw = _output_hw(x.shape[2:], w.shape[2:], stride, pads, dilation)
    check_shape(dy, (x.shape[0], w.shape[0], *out_hw), "dy")
    dtype = np.result_type(x, w, dy)
    dy, x, w = (a.astype(dtype, copy=False) for a in (dy, x, w))
    return dy, x, w, stride, pads, dilation


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
    stride, dilation : int or (int, int)
        Step of the window ``(sh, sw)``; spacing between kernel taps ``(dh, dw)``.
    padding : int, (int, int), ((int, int), (int, int)), 'valid' or 'same'
        Zero padding; ``'same'`` has the TensorFlow/Keras meaning for any stride (output size
        ``ceil(H / sh)``; the odd pixel of padding goes bottom/right); ``((top, bottom),
        (left, right))`` is ``np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))``
        followed by a convolution without padding.

    Returns
    -------
    y : ndarray, shape (N, O, OH, OW)
        ``OH = (H + pad_top + pad_bottom - dh*(KH-1) - 1) // sh + 1``, likewise ``OW``. The dtype
        is the common floating type of ``x``, ``w`` and ``b``.

    Notes
    -----
    The sum is one matrix product once the numbers are lined up, as :func:`conv2d_im2col`
    shows; ``conv2d`` runs the tuned strategy :func:`choose_strategy` picks from the shapes
    (see :mod:`dlbook.functional._conv_fast`), and :func:`conv2d_backward` takes the same path.

    Examples
    --------
    >>> x, w = np.arange(16.0).reshape(1, 1, 4, 4), np.ones((1, 1, 2, 2))
    >>> conv2d(x, w, stride=2)[0, 0]
    array([[10., 18.],
           [42., 50.]])
    """
    return _tuned_forward(None, x, w, b, stride, padding, dilation)


def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1):
    """Gradients of :func:`conv2d` with respect to its input, weights and bias.

    .. math::

        \\frac{\\partial L}{\\partial w_{o,c,p,q}} = \\sum_{n,i,j} \\delta_{n,o,i,j}\\,
            x^{\\text{pad}}_{n,c,\\,i s_H + p d_H,\\, j s_W + q d_W}, \\qquad
        \\frac{\\partial L}{\\partial b_o} = \\sum_{n,i,j} \\delta_{n,o,i,j},

    and :math:`\\partial L / \\partial x^{\\text{pad}}` receives
    :math:`\\delta_{n,o,i,j} w_{o,c,p,q}` at every position the forward pass read
    :math:`w_{o,c,p,q}` against; the padding rows and columns are then cut off. For stride 1
    this is the *full* convolution of :math:`\\delta` with the flipped kernel. Runs the strategy
    :func:`conv2d` runs; :func:`conv2d_backward_im2col` is the readable version.

    Parameters
    ----------
    dy : ndarray, shape (N, O, OH, OW)
        Gradient of the loss with respect to the output of ``conv2d(x, w, ...)``.
    x, w, stride, padding, dilation
        Exactly as given to :func:`conv2d`: x (N, C, H, W), w (O, C, KH, KW).

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (O, C, KH, KW)
    db : ndarray, shape (O,)

    Examples
    --------
    >>> x, w = np.arange(9.0).reshape(1, 1, 3, 3), np.ones((1, 1, 2, 2))
    >>> dx, dw, db = conv2d_backward(np.ones((1, 1, 2, 2)), x, w)
    >>> dx[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> db
    array([4.])
    """
    return _tuned_backward(None, dy, x, w, stride, padding, dilation)


def _tuned_forward(name, x, w, b=None, stride=1, padding=0, dilation=1, *, tuning=TUNING):
    """Check, then run the tuned strategy ``name`` (None: the one :func:`choose_strategy`
    picks, or an exact one for non-finite ``x`` or ``w``)."""
    x, w, b, stride, pads, dilation = _prepare(x, w, b, stride, padding, dilation)
    tuning = _conv_fast.check_tuning(tuning)
    g = _geometry(x.shape, w.shape, stride, pads, dilation)
    return _conv_fast._run(name, g, tuning, {"x": x, "w": w}).forward(x, w, b, g, tuning)


def _tuned_backward(name, dy, x, w, stride=1, padding=0, dilation=1, *, tuning=TUNING):
    dy, x, w, stride, pads, dilation = _prepare_backward(dy, x, w, stride, padding, dilation)
    tuning = _conv_fast.check_tuning(tuning)
    g = _geometry(x.shape, w.shape, stride, pads, dilation)
    kernels = _conv_fast._run(name, g, tuning, {"dy": dy, "x": x, "w": w})
    return kernels.backward(dy, x, w, g, tuning)


# ---- the readable path: one column matrix, one matrix product


def _window_arguments(padded_hw, kernel_hw, stride, dilation, context):
    """Check the pairs of :func:`im2col` and :func:`col2im` and that the window fits."""
    kernel_hw = positive_int_pair(kernel_hw, "kernel_hw")
    stride, dilation = positive_int_pair(stride, "stride"), positive_int_pair(dilation, "dilation")
    check_window_fits(padded_hw, ((0, 0), (0, 0)), kernel_hw, dilation, "kernel_hw: window",
                      context)
    return kernel_hw, stride, dilation


def _im2col_arguments(xp, kernel_hw, stride, dilation):
    """``xp`` as a non-empty floating 4-D array, and the checked pairs."""
    xp = as_float_array(xp, "xp")
    check_ndim(xp, 4, "xp", "(N, C, HP, WP)")
    if 0 in xp.shape:
        raise ValueError(f"xp: empty arrays are not supported, got shape {xp.shape}")
    return (xp,) + _window_arguments(xp.shape[2:], kernel_hw, stride, dilation,
                                     f"xp shape {xp.shape}")



def im2col(xp, kernel_hw, stride=(1, 1), dilation=(1, 1)):
    """The column matrix of a padded batch: one column per output position, one row per tap.

    ``columns[n, (c, p, q), (i, j)] = xp[n, c, i*sh + p*dh, j*sw + q*dw]``, the rows in the
    order ``w.reshape(O, -1)`` flattens a filter, so ``w.reshape(O, -1) @ columns`` is the
    convolution. ``xp`` (N, C, HP, WP) is the padded batch; ``kernel_hw``, ``stride`` and
    ``dilation`` are pairs (an int means both axes), checked like :func:`conv2d`'s. Returns a
    new (N, C*KH*KW, OH*OW) array, about KH*KW times ``xp``.

    Examples
    --------
    >>> im2col(np.arange(9.0).reshape(1, 1, 3, 3), (2, 2))[0]
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.],
           [3., 4., 6., 7.],
           [4., 5., 7., 8.]])
    """
    xp, (kh, kw), (sh, sw), (dh, dw) = _im2col_arguments(xp, kernel_hw, stride, dilation)
    n_images, channels = xp.shape[:2]
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)  # the dilated window
    windows = sliding_window_view(xp, span, axis=(2, 3))  # (N, C, H', W', spanH, spanW), a view
    windows = windows[:, :, ::sh, ::sw, ::dh, ::dw]  # stride over positions, dilation over taps
    out_h, out_w = windows.shape[2:4]
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n_images, channels * kh * kw, out_h * out_w)


def col2im(grad_columns, padded_shape, kernel_hw, stride=(1, 1), dilation=(1, 1)):
    """Add every column back onto the padded cells it was read from (the adjoint of
    :func:`im2col`) with one ``+=`` of a strided slice per kernel offset ``(p, q)``.

    ``grad_columns`` is (N, C*KH*KW, OH*OW); returns a new array of ``padded_shape``
    (N, C, HP, WP), a tuple of integers > 0, where a cell read by several windows gets the sum
    of their columns. ``kernel_hw``, ``stride`` and ``dilation`` are those of :func:`im2col`.

    Examples
    --------
    >>> col2im(np.ones((1, 4, 4)), (1, 1, 3, 3), (2, 2))[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    padded_shape = positive_int_tuple(padded_shape, 4, "padded_shape")
    kernel_hw, stride, dilation = _window_arguments(padded_shape[2:], kernel_hw, stride, dilation,
                                                    f"padded_shape {padded_shape}")
    (kh, kw), (sh, sw), (dh, dw) = kernel_hw, stride, dilation
    n_images, channels = padded_shape[:2]
    out_h, out_w = _output_hw(padded_shape[2:], kernel_hw, stride, ((0, 0), (0, 0)), dilation)
    grad_columns = as_float_array(grad_columns, "grad_columns")
    check_shape(grad_columns, (n_images, channels * kh * kw, out_h * out_w), "grad_columns")
    taps = grad_columns.reshape(n_images, channels, kh, kw, out_h, out_w)
    dxp = np.zeros(padded_shape, dtype=grad_columns.dtype)
    for p in range(kh):
        for q in range(kw):
            rows = slice(p * dh, p * dh + sh * (out_h - 1) + 1, sh)
            cols = slice(q * dw, q * dw + sw * (out_w - 1) + 1, sw)
            dxp[:, :, rows, cols] += taps[:, :, p, q]
    return dxp


def conv2d_im2col(x, w, b=None, stride=1, padding=0, dilation=1):
    """:func:`conv2d` as one matrix product: ``y[n] = W (O, C*KH*KW) @ columns[n]``.

    The arguments, checks, result and dtype of :func:`conv2d`; ``columns`` is :func:`im2col`
    of the padded input, so the product lands directly in NCHW order.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d_im2col(x, np.ones((1, 1, 2, 2)), stride=2)[0, 0]
    array([[10., 18.],
           [42., 50.]])
    """
    x, w, b, stride, pads, dilation = _prepare(x, w, b, stride, padding, dilation)
    out_h, out_w = _output_hw(x.shape[2:], w.shape[2:], stride, pads, dilation)
    columns = im2col(_pad(x, pads), w.shape[2:], stride, dilation)  # (N, C*KH*KW, OH*OW)
    y = w.reshape(w.shape[0], -1) @ columns  # (O, C*KH*KW) @ (N, C*KH*KW, OH*OW): (N, O, OH*OW)
    if b is not None:
        y += b[:, None]
    return y.reshape(x.shape[0], w.shape[0], out_h, out_w)


def conv2d_backward_im2col(dy, x, w, stride=1, padding=0, dilation=1):
    """:func:`conv2d_backward` with the column matrix of :func:`conv2d_im2col`.

    With ``dy`` as rows ``(N, O, OH*OW)``: ``dw = sum_n dy[n] @ columns[n].T``, ``db`` the sum
    of ``dy``, and ``dx`` the padding cut off :func:`col2im` of ``W.T @ dy[n]``, the gradient
    of every column. Same arguments, checks, results and dtypes as :func:`conv2d_backward`.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> dx, dw, db = conv2d_backward_im2col(np.ones((1, 1, 2, 2)), x, np.ones((1, 1, 2, 2)))
    >>> dw[0, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """
    dy, x, w, stride, pads, dilation = _prepare_backward(dy, x, w, stride, padding, dilation)
    (n_images, filters), kernel_hw = dy.shape[:2], w.shape[2:]
    xp = _pad(x, pads)
    columns = im2col(xp, kernel_hw, stride, dilation)  # (N, C*KH*KW, OH*OW)
    dy_rows = dy.reshape(n_images, filters, -1)  # (N, O, OH*OW)
    dw = (dy_rows @ columns.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    db = dy.sum(axis=(0, 2, 3))
    grad_columns = w.reshape(filters, -1).T @ dy_rows  # (N, C*KH*KW, OH*OW)
    dxp = col2im(grad_columns, xp.shape, kernel_hw, stride, dilation)
    (top, _), (left, _) = pads
    dx = dxp[:, :, top : top + x.shape[2], left : left + x.shape[3]]
    return np.ascontiguousarray(dx), dw, db


class Strategy(NamedTuple):
    """A way of computing conv2d: ``forward`` and ``backward`` with the signatures of
    :func:`conv2d` and :func:`conv2d_backward` (the tuned ones also take ``tuning=``)."""

    forward: Callable
    backward: Callable


def _tuned(name):
    return Strategy(functools.partial(_tuned_forward, name), functools.partial(_tuned_backward, name))


STRATEGIES = {
    "im2col": Strategy(conv2d_im2col, conv2d_backward_im2col),
    "unrolled": _tuned("unrolled"),
    "im2col-images-outer": _tuned("im2col-images-outer"),
    "im2col-images-inner": _tuned("im2col-images-inner"),
}
"""Every way of computing conv2d, by name: the readable path and the tuned strategies of
:data:`dlbook.functional._conv_fast.KERNELS`, among which :func:`conv2d` picks."""


def choose_strategy(x_shape, w_shape, stride=1, padding=0, dilation=1, tuning=TUNING):
    """The tuned strategy conv2d uses for finite arrays of these shapes
    (:func:`dlbook.functional._conv_fast.choose`); for an ``x``, ``w`` or ``dy`` holding a NaN
    or an infinity, conv2d and conv2d_backward pass over ``'unrolled'``, which is exact for
    finite values only, to the im2col strategy this rule picks next.

    ``x_shape`` (N, C, H, W) and ``w_shape`` (O, C, KH, KW) are tuples of integers > 0; the
    other arguments are those of :func:`conv2d`, and ``tuning`` a
    :class:`dlbook.functional._conv_fast.Tuning`.

    Examples
    --------
    >>> choose_strategy((128, 16, 4, 4), (32, 16, 3, 3), padding=1)
    'unrolled'
    >>> choose_strategy((16, 16, 4, 4), (32, 16, 3, 3), padding=1)
    'im2col-images-inner'
    >>> choose_strategy((32, 32, 32, 32), (64, 32, 3, 3), padding=1)
    'im2col-images-outer'
    """
    x_shape = positive_int_tuple(x_shape, 4, "x_shape")
    w_shape = positive_int_tuple(w_shape, 4, "w_shape")
    stride, dilation = positive_int_pair(stride, "stride"), positive_int_pair(dilation, "dilation")
    pads = resolve_padding(padding, x_shape[2:], w_shape[2:], stride, dilation)
    g = _conv_fast.geometry(x_shape, w_shape, stride, pads, dilation)
    return _conv_fast.choose(g, tuning)


def __getattr__(name):
    """``conv1d`` and ``conv1d_backward`` of :mod:`dlbook.functional.conv_1d`, which runs
    through :func:`conv2d` here: re-exported lazily (PEP 562) to avoid a circular import."""
    if name in ("conv1d", "conv1d_backward"):
        return getattr(importlib.import_module("dlbook.functional.conv_1d"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
