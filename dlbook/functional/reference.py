"""Naive loop versions of the convolution and pooling kernels: the readable specification.

Each function is written straight from its formula, with the loops a student would write, and
has exactly the signature of its fast twin in :mod:`dlbook.functional`. They are slow on purpose
and serve as a second, independent implementation in the tests and the chapters.
"""

import numpy as np

from dlbook.functional.conv import _check_conv_args, _pad
from dlbook.functional.pool import _check_dy, _check_input, pool_geometry


def conv2d_naive(x, w, b=None, stride=1, padding=0, dilation=1):
    """Loop version of :func:`dlbook.functional.conv2d`.

    .. math::

        y_{n,o,i,j} = b_o + \\sum_{c,p,q} w_{o,c,p,q}\\,
            x^{\\text{pad}}_{n,c,\\,i s_H + p d_H,\\, j s_W + q d_W}
    """
    x, w, (sh, sw), pads, (dh, dw) = _check_conv_args(x, w, stride, padding, dilation)
    dtype = np.result_type(x, w) if b is None else np.result_type(x, w, np.asarray(b))
    xp = _pad(x, pads)
    n_images, channels, height, width = xp.shape
    filters, _, kh, kw = w.shape
    out_h = (height - dh * (kh - 1) - 1) // sh + 1
    out_w = (width - dw * (kw - 1) - 1) // sw + 1
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
    x, w, (sh, sw), pads, (dh, dw) = _check_conv_args(x, w, stride, padding, dilation)
    dy = np.asarray(dy, dtype=np.result_type(x, w, np.asarray(dy).dtype, np.float64))
    xp = _pad(x, pads)
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


def _window_cells(i, j, pool, stride, pads, shape_hw):
    """The real (unpadded) input cells (row, col) of output window (i, j), row-major."""
    (kh, kw), (sh, sw) = pool, stride
    (top, _), (left, _) = pads
    cells = []
    for p in range(kh):
        for q in range(kw):
            row, col = i * sh + p - top, j * sw + q - left
            if 0 <= row < shape_hw[0] and 0 <= col < shape_hw[1]:
                cells.append((row, col))
    return cells


def max_pool2d_naive(x, pool_size, stride=None, padding=0):
    """Loop version of :func:`dlbook.functional.max_pool2d`: the max over each window's real cells."""
    x = _check_input(x)
    pool, stride, pads, (out_h, out_w) = pool_geometry(x.shape, pool_size, stride, padding)
    n_images, channels = x.shape[:2]
    y = np.zeros((n_images, channels, out_h, out_w), dtype=x.dtype)
    for n in range(n_images):
        for c in range(channels):
            for i in range(out_h):
                for j in range(out_w):
                    cells = _window_cells(i, j, pool, stride, pads, x.shape[2:])
                    y[n, c, i, j] = max(x[n, c, row, col] for row, col in cells)
    return y


def max_pool2d_backward_naive(dy, x, pool_size, stride=None, padding=0):
    """Loop version of :func:`dlbook.functional.max_pool2d_backward`: each window's gradient goes
    to the first of its cells (row-major) that holds the window's max."""
    x = _check_input(x)
    pool, stride, pads, out_hw = pool_geometry(x.shape, pool_size, stride, padding)
    dy = _check_dy(dy, x, out_hw)
    dx = np.zeros(x.shape, dtype=dy.dtype)
    n_images, channels, out_h, out_w = dy.shape
    for n in range(n_images):
        for c in range(channels):
            for i in range(out_h):
                for j in range(out_w):
                    cells = _window_cells(i, j, pool, stride, pads, x.shape[2:])
                    best = cells[0]
                    for row, col in cells[1:]:
                        if x[n, c, row, col] > x[n, c, best[0], best[1]]:
                            best = (row, col)
                    dx[n, c, best[0], best[1]] += dy[n, c, i, j]
    return dx


def avg_pool2d_naive(x, pool_size, stride=None, padding=0):
    """Loop version of :func:`dlbook.functional.avg_pool2d`: the mean of each window's real cells."""
    x = _check_input(x)
    pool, stride, pads, (out_h, out_w) = pool_geometry(x.shape, pool_size, stride, padding)
    n_images, channels = x.shape[:2]
    y = np.zeros((n_images, channels, out_h, out_w), dtype=x.dtype)
    for n in range(n_images):
        for c in range(channels):
            for i in range(out_h):
                for j in range(out_w):
                    cells = _window_cells(i, j, pool, stride, pads, x.shape[2:])
                    y[n, c, i, j] = sum(x[n, c, row, col] for row, col in cells) / len(cells)
    return y


def avg_pool2d_backward_naive(dy, x, pool_size, stride=None, padding=0):
    """Loop version of :func:`dlbook.functional.avg_pool2d_backward`: each window shares its
    gradient equally among its real cells."""
    x = _check_input(x)
    pool, stride, pads, out_hw = pool_geometry(x.shape, pool_size, stride, padding)
    dy = _check_dy(dy, x, out_hw)
    dx = np.zeros(x.shape, dtype=dy.dtype)
    n_images, channels, out_h, out_w = dy.shape
    for n in range(n_images):
        for c in range(channels):
            for i in range(out_h):
                for j in range(out_w):
                    cells = _window_cells(i, j, pool, stride, pads, x.shape[2:])
                    for row, col in cells:
                        dx[n, c, row, col] += dy[n, c, i, j] / len(cells)
    return dx
