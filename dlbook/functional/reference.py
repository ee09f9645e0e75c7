"""Naive loop versions of the convolution and pooling kernels: the readable specification.

Each function is written straight from its formula, with the loops a student would write, and
has exactly the signature of its fast twin in :mod:`dlbook.functional`. They are slow on purpose
and serve as a second, independent implementation in the tests and the chapters, so they check
their own arguments and share no private code with the kernels they check: only the generic
checks of :mod:`dlbook._validation` and the public size arithmetic of
:mod:`dlbook.functional.padding`.
"""

import numpy as np

from dlbook._validation import (
    as_float_array,
    check_ndim,
    check_shape,
    check_window_fits,
    non_negative_int,
    positive_int,
    positive_int_pair,
)
from dlbook.functional.padding import conv_output_size, resolve_padding


def _four_d(array, name="x", layout="(N, C, H, W)"):
    """``array`` as a floating 4-D array with no empty axis."""
    array = as_float_array(array, name)
    check_ndim(array, 4, name, layout)
    if 0 in array.shape:
        raise ValueError(f"{name}: empty arrays are not supported, got shape {array.shape}")
    return array


def _conv_arguments(x, w, stride, padding, dilation):
    """The checks of conv2d: ``(x, w, stride, pads, dilation, (OH, OW))``."""
    x, w = _four_d(x), _four_d(w, "w", "(O, C, KH, KW)")
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"w: needs {x.shape[1]} input channels like x {x.shape}, got w {w.shape}")
    stride, dilation = positive_int_pair(stride, "stride"), positive_int_pair(dilation, "dilation")
    pads = resolve_padding(padding, x.shape[2:], w.shape[2:], stride, dilation)
    check_window_fits(x.shape[2:], pads, w.shape[2:], dilation, "w: kernel", f"x shape {x.shape}")
    out_hw = tuple(conv_output_size(x.shape[2 + a], w.shape[2 + a], stride[a], sum(pads[a]),
                                    dilation[a]) for a in (0, 1))
    return x, w, stride, pads, dilation, out_hw


def _pool_arguments(x, pool_size, stride, padding):
    """The checks of the pooling kernels: ``(x, pool, stride, pads, (OH, OW))``."""
    x = _four_d(x)
    pool = positive_int_pair(pool_size, "pool_size")
    stride = pool if stride is None else positive_int_pair(stride, "stride")
    pads = resolve_padding(padding, x.shape[2:], pool, stride)
    for axis in (0, 1):
        if max(pads[axis]) >= pool[axis]:
            raise ValueError(f"padding: {padding!r} needs to be smaller than pool_size {pool} "
                             "so that every window holds a real cell")
    check_window_fits(x.shape[2:], pads, pool, (1, 1), "pool_size: window", f"x shape {x.shape}")
    out_hw = tuple(conv_output_size(x.shape[2 + a], pool[a], stride[a], sum(pads[a]))
                   for a in (0, 1))
    return x, pool, stride, pads, out_hw


def _gradient(dy, expected_shape, *arrays):
    """``dy`` checked against the output shape, in the common dtype of ``dy`` and ``arrays``."""
    dy = as_float_array(dy, "dy")
    check_shape(dy, expected_shape, "dy")
    return dy.astype(np.result_type(dy, *arrays), copy=False)


def conv2d_naive(x, w, b=None, stride=1, padding=0, dilation=1):
    """Loop version of :func:`dlbook.functional.conv2d`.

    .. math::

        y_{n,o,i,j} = b_o + \\sum_{c,p,q} w_{o,c,p,q}\\,
            x^{\\text{pad}}_{n,c,\\,i s_H + p d_H,\\, j s_W + q d_W}
    """
    x, w, (sh, sw), pads, (dh, dw), (out_h, out_w) = _conv_arguments(x, w, stride, padding,
                                                                     dilation)
    if b is not None:
        b = as_float_array(b, "b")
        check_shape(b, w.shape[:1], "b")
    dtype = np.result_type(x, w) if b is None else np.result_type(x, w, b)
    xp = np.pad(x, ((0, 0), (0, 0)) + pads)
    n_images, channels = x.shape[:2]
    filters, _, kh, kw = w.shape
    y = np.zeros((n_images, filters, out_h, out_w), dtype=dtype)
    for n in range(n_images):
        for o in range(filters):
            for i in range(out_h):
                for j in range(out_w):
                    total = 0.0 if b is None else b[o]
                    for c in range(channels):
                        for p in range(kh):
                            for q in range(kw):
                                total += w[o, c, p, q] * xp[n, c, i * sh + p * dh, j * sw + q * dw]
                    y[n, o, i, j] = total
    return y


def conv2d_backward_naive(dy, x, w, stride=1, padding=0, dilation=1):
    """Loop version of :func:`dlbook.functional.conv2d_backward`: walk the forward loops again
    and send each product's gradient back to both of its factors."""
    x, w, (sh, sw), pads, (dh, dw), out_hw = _conv_arguments(x, w, stride, padding, dilation)
    dy = _gradient(dy, x.shape[:1] + w.shape[:1] + out_hw, x, w, np.float64)
    xp = np.pad(x, ((0, 0), (0, 0)) + pads)
    n_images, filters, out_h, out_w = dy.shape
    _, channels, kh, kw = w.shape
    dxp = np.zeros(xp.shape, dtype=dy.dtype)
    dw_ = np.zeros(w.shape, dtype=dy.dtype)
    db = np.zeros(filters, dtype=dy.dtype)
    for n in range(n_images):
        for o in range(filters):
            for i in range(out_h):
                for j in range(out_w):
                    g = dy[n, o, i, j]
                    db[o] += g
                    for c in range(channels):
                        for p in range(kh):
                            for q in range(kw):
                                row, col = i * sh + p * dh, j * sw + q * dw
                                dw_[o, c, p, q] += g * xp[n, c, row, col]
                                dxp[n, c, row, col] += g * w[o, c, p, q]
    (top, _), (left, _) = pads
    dx = dxp[:, :, top : top + x.shape[2], left : left + x.shape[3]]
    return dx, dw_, db


def _windows(shape, pool, stride, pads, out_hw):
    """Yield ``(n, c, i, j, cells)`` for every output cell of every image and channel, with
    ``cells`` the real (unpadded) input cells (row, col) of window (i, j), row-major."""
    (kh, kw), (sh, sw), ((top, _), (left, _)) = pool, stride, pads
    for n in range(shape[0]):
        for c in range(shape[1]):
            for i in range(out_hw[0]):
                for j in range(out_hw[1]):
                    cells = [(i * sh + p - top, j * sw + q - left)
                             for p in range(kh) for q in range(kw)]
                    cells = [(row, col) for row, col in cells
                             if 0 <= row < shape[2] and 0 <= col < shape[3]]
                    yield n, c, i, j, cells


def _window_winner(x, n, c, cells):
    """The cell (row, col) of ``cells`` whose value is the window's max, found as PyTorch's loop
    finds it: visit the cells in row-major order and take a cell when it is larger than the best
    so far (which starts at -inf) or is NaN. So ties go to the first maximal cell, a window of
    -inf cells to its first cell, and a window holding NaNs to its LAST NaN (a NaN compares
    false with everything, so only a later NaN replaces it)."""
    best, best_value = cells[0], -np.inf
    for row, col in cells:
        value = x[n, c, row, col]
        if value > best_value or np.isnan(value):
            best, best_value = (row, col), value
    return best


def max_pool2d_naive(x, pool_size, stride=None, padding=0):
    """Loop version of :func:`dlbook.functional.max_pool2d`: the max over each window's real
    cells (NaN if one of them is NaN)."""
    x, pool, stride, pads, out_hw = _pool_arguments(x, pool_size, stride, padding)
    y = np.zeros(x.shape[:2] + out_hw, dtype=x.dtype)
    for n, c, i, j, cells in _windows(x.shape, pool, stride, pads, out_hw):
        row, col = _window_winner(x, n, c, cells)
        y[n, c, i, j] = x[n, c, row, col]
    return y


def max_pool2d_backward_naive(dy, x, pool_size, stride=None, padding=0):
    """Loop version of :func:`dlbook.functional.max_pool2d_backward`: each window's gradient goes
    to the cell that :func:`max_pool2d_naive` took its value from."""
    x, pool, stride, pads, out_hw = _pool_arguments(x, pool_size, stride, padding)
    dy = _gradient(dy, x.shape[:2] + out_hw, x)
    dx = np.zeros(x.shape, dtype=dy.dtype)
    for n, c, i, j, cells in _windows(x.shape, pool, stride, pads, out_hw):
        row, col = _window_winner(x, n, c, cells)
        dx[n, c, row, col] += dy[n, c, i, j]
    return dx


def avg_pool2d_naive(x, pool_size, stride=None, padding=0):
    """Loop version of :func:`dlbook.functional.avg_pool2d`: the mean of each window's real cells,
    summed as shares ``x / |R|`` so that it overflows only where the mean itself does (IEEE
    otherwise: a window holding +inf and -inf averages to NaN)."""
    x, pool, stride, pads, out_hw = _pool_arguments(x, pool_size, stride, padding)
    y = np.zeros(x.shape[:2] + out_hw, dtype=x.dtype)
    for n, c, i, j, cells in _windows(x.shape, pool, stride, pads, out_hw):
        y[n, c, i, j] = sum(x[n, c, row, col] / len(cells) for row, col in cells)
    return y


def avg_pool2d_backward_naive(dy, x, pool_size, stride=None, padding=0):
    """Loop version of :func:`dlbook.functional.avg_pool2d_backward`: each window shares its
    gradient equally among its real cells."""
    x, pool, stride, pads, out_hw = _pool_arguments(x, pool_size, stride, padding)
    dy = _gradient(dy, x.shape[:2] + out_hw, x)
    dx = np.zeros(x.shape, dtype=dy.dtype)
    for n, c, i, j, cells in _windows(x.shape, pool, stride, pads, out_hw):
        for row, col in cells:
            dx[n, c, row, col] += dy[n, c, i, j] / len(cells)
    return dx


def _conv1d_arguments(x, w, stride, padding, dilation):
    """The checks of conv1d: ``(x, w, stride, (left, right), dilation, L_out)``."""
    x, w = as_float_array(x, "x"), as_float_array(w, "w")
    check_ndim(x, 3, "x", "(N, C, L)")
    check_ndim(w, 3, "w", "(O, C, K)")
    if 0 in x.shape or 0 in w.shape:
        raise ValueError(f"x, w: empty arrays are not supported (x {x.shape}, w {w.shape})")
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"w: needs {x.shape[1]} input channels like x {x.shape}, got w {w.shape}")
    stride, dilation = positive_int(stride, "stride"), positive_int(dilation, "dilation")
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2:
            raise ValueError(f"padding: needs an int or a pair (left, right), got {padding!r}")
        pads = (non_negative_int(padding[0], "padding"), non_negative_int(padding[1], "padding"))
    elif isinstance(padding, str):
        (_, _), pads = resolve_padding(padding, (1, x.shape[2]), (1, w.shape[2]), (1, stride),
                                       (1, dilation))
    else:
        pads = (non_negative_int(padding, "padding"),) * 2
    check_window_fits((1, x.shape[2]), ((0, 0), pads), (1, w.shape[2]), (1, dilation),
                      "w: kernel", f"x shape {x.shape}")
    out = conv_output_size(x.shape[2], w.shape[2], stride, sum(pads), dilation)
    return x, w, stride, pads, dilation, out


def conv1d_naive(x, w, b=None, stride=1, padding=0, dilation=1):
    """Loop version of :func:`dlbook.functional.conv1d`.

    .. math::

        y_{n,o,i} = b_o + \\sum_{c,p} w_{o,c,p}\\, x^{\\text{pad}}_{n,c,\\,i s + p d}
    """
    x, w, s, (left, right), d, out = _conv1d_arguments(x, w, stride, padding, dilation)
    if b is not None:
        b = as_float_array(b, "b")
        check_shape(b, w.shape[:1], "b")
    dtype = np.result_type(x, w) if b is None else np.result_type(x, w, b)
    xp = np.pad(x, ((0, 0), (0, 0), (left, right)))
    (n_signals, channels), (filters, _, k) = x.shape[:2], w.shape
    y = np.zeros((n_signals, filters, out), dtype=dtype)
    for n in range(n_signals):
        for o in range(filters):
            for i in range(out):
                total = 0.0 if b is None else b[o]
                for c in range(channels):
                    for p in range(k):
                        total += w[o, c, p] * xp[n, c, i * s + p * d]
                y[n, o, i] = total
    return y


def conv1d_backward_naive(dy, x, w, stride=1, padding=0, dilation=1):
    """Loop version of :func:`dlbook.functional.conv1d_backward`: each product of the forward
    loops sends its gradient back to both of its factors."""
    x, w, s, (left, right), d, out = _conv1d_arguments(x, w, stride, padding, dilation)
    dy = _gradient(dy, (x.shape[0], w.shape[0], out), x, w, np.float64)
    xp = np.pad(x, ((0, 0), (0, 0), (left, right)))
    dxp = np.zeros(xp.shape, dtype=dy.dtype)
    dw_ = np.zeros(w.shape, dtype=dy.dtype)
    db = np.zeros(w.shape[0], dtype=dy.dtype)
    for n in range(dy.shape[0]):
        for o in range(dy.shape[1]):
            for i in range(out):
                g = dy[n, o, i]
                db[o] += g
                for c in range(w.shape[1]):
                    for p in range(w.shape[2]):
                        dw_[o, c, p] += g * xp[n, c, i * s + p * d]
                        dxp[n, c, i * s + p * d] += g * w[o, c, p]
    return dxp[:, :, left : left + x.shape[2]], dw_, db
