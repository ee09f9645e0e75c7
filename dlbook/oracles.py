"""The independent oracles: convolution by ``scipy.signal``, pooling by windowed max and mean.

None of them uses dlbook's kernels; only the padding arithmetic
(:func:`dlbook.functional.conv.resolve_padding`) is shared, so that ``'same'`` means the same
thing on both sides:

* convolution: :func:`scipy.signal.correlate2d` per (image, filter, input channel) on the padded
  input with the kernel dilated by inserting zeros, summed over channels and subsampled by the
  stride; the backward pass uses :func:`scipy.signal.convolve2d` (``dx``, a full convolution of
  the stride-upsampled ``dy`` with the dilated kernel) and ``correlate2d`` (``dw``, the input
  correlated with ``dy``);
* 1-D convolution: the same with :func:`scipy.signal.correlate` and
  :func:`scipy.signal.convolve` on each channel of a signal;
* col2im: every entry of the column gradient added with ``np.add.at`` onto the padded cell
  ``(i*sh + p*dh, j*sw + q*dw)`` it was read from;
* pooling: the max or mean of every window of a ``sliding_window_view`` of the input padded with
  ``-inf`` (max) or NaN (mean, ignored by ``nanmean``); backward with ``np.add.at``.

:mod:`dlbook.verify` runs implementations against them on a grid of cases.

Examples
--------
>>> import numpy as np
>>> x = np.arange(16.0).reshape(1, 1, 4, 4)
>>> scipy_conv2d(x, np.ones((1, 1, 2, 2)), stride=2)[0, 0]
array([[10., 18.],
       [42., 50.]])
>>> window_max_pool2d(x, 2)[0, 0]
array([[ 5.,  7.],
       [13., 15.]])
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal

from dlbook.functional.conv import resolve_padding

__all__ = [
    "scipy_conv1d",
    "scipy_conv1d_backward",
    "scipy_conv2d",
    "scipy_conv2d_backward",
    "scatter_col2im",
    "window_max_pool2d",
    "window_avg_pool2d",
    "window_max_pool2d_backward",
    "window_avg_pool2d_backward",
]


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _dilate(kernel, dilation):
    """Insert ``d - 1`` zeros between the taps of a 2-D kernel."""
    dh, dw = dilation
    kh, kw = kernel.shape
    out = np.zeros(((kh - 1) * dh + 1, (kw - 1) * dw + 1), dtype=kernel.dtype)
    out[::dh, ::dw] = kernel
    return out


def _pad_hw(image, pads, value=0.0):
    return np.pad(image, ((0, 0), (0, 0)) + tuple(pads), constant_values=value)


def scipy_conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    """conv2d computed with :func:`scipy.signal.correlate2d` (the oracle)."""
    stride, dilation = _pair(stride), _pair(dilation)
    pads = resolve_padding(padding, x.shape[2:], w.shape[2:], stride, dilation)
    xp = _pad_hw(np.asarray(x, dtype=np.float64), pads)
    n_images, filters = x.shape[0], w.shape[0]
    out = None
    for n in range(n_images):
        for o in range(filters):
            acc = sum(
                signal.correlate2d(xp[n, c], _dilate(w[o, c], dilation), mode="valid")
                for c in range(x.shape[1])
            )
            acc = acc[:: stride[0], :: stride[1]]
            if out is None:
                out = np.zeros((n_images, filters) + acc.shape)
            out[n, o] = acc + (0.0 if b is None else b[o])
    return out


def scipy_conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1):
    """conv2d_backward computed with ``scipy.signal`` (the oracle): returns ``(dx, dw, db)``."""
    stride, dilation = _pair(stride), _pair(dilation)
    pads = resolve_padding(padding, x.shape[2:], w.shape[2:], stride, dilation)
    x = np.asarray(x, dtype=np.float64)
    xp = _pad_hw(x, pads)
    n_images, channels, hp, wp = xp.shape
    filters, _, kh, kw = w.shape
    oh, ow = dy.shape[2:]
    # dy upsampled by the stride: zeros between its cells, so stride 1 formulas apply.
    up = np.zeros((n_images, filters, (oh - 1) * stride[0] + 1, (ow - 1) * stride[1] + 1))
    up[:, :, :: stride[0], :: stride[1]] = dy
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    for n in range(n_images):
        for c in range(channels):
            for o in range(filters):
                kernel = _dilate(np.asarray(w[o, c], dtype=np.float64), dilation)
                full = signal.convolve2d(up[n, o], kernel, mode="full")
                dxp[n, c, : full.shape[0], : full.shape[1]] += full[:hp, :wp]
                corr = signal.correlate2d(xp[n, c], up[n, o], mode="valid")
                dw[o, c] += corr[:: dilation[0], :: dilation[1]][:kh, :kw]
    (top, _), (left, _) = pads
    dx = dxp[:, :, top : top + x.shape[2], left : left + x.shape[3]]
    return dx, dw, dy.sum(axis=(0, 2, 3))


def _pads_1d(padding, length, k, stride, dilation):
    """``(left, right)`` of a conv1d ``padding``: a pair, an int, or 'valid'/'same' (through
    :func:`resolve_padding` on an image of height 1)."""
    if isinstance(padding, (tuple, list)):
        return tuple(padding)
    if isinstance(padding, str):
        return resolve_padding(padding, (1, length), (1, k), (1, stride), (1, dilation))[1]
    return padding, padding


def scipy_conv1d(x, w, b=None, stride=1, padding=0, dilation=1):
    """conv1d computed with :func:`scipy.signal.correlate` (the oracle): per (signal, filter,
    input channel) on the padded signal with the kernel dilated by inserting zeros, summed over
    the channels and subsampled by the stride."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    xp = np.pad(x, ((0, 0), (0, 0), _pads_1d(padding, x.shape[2], w.shape[2], stride, dilation)))
    rows = [[sum(signal.correlate(xp[n, c], _dilate(w[o, c][None], (1, dilation))[0],
                                  mode="valid") for c in range(x.shape[1]))[::stride]
             + (0.0 if b is None else b[o]) for o in range(w.shape[0])] for n in range(x.shape[0])]
    return np.array(rows)


def scipy_conv1d_backward(dy, x, w, stride=1, padding=0, dilation=1):
    """conv1d_backward computed with ``scipy.signal`` (the oracle): ``dx`` the full convolution
    of the stride-upsampled ``dy`` with the dilated kernel, ``dw`` the padded input correlated
    with it; returns ``(dx, dw, db)``."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    left, right = _pads_1d(padding, x.shape[2], w.shape[2], stride, dilation)
    xp = np.pad(x, ((0, 0), (0, 0), (left, right)))
    up = np.zeros(dy.shape[:2] + ((dy.shape[2] - 1) * stride + 1,))
    up[:, :, ::stride] = dy
    dxp, dw = np.zeros_like(xp), np.zeros(w.shape)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for o in range(w.shape[0]):
                kernel = _dilate(w[o, c][None], (1, dilation))[0]
                full = signal.convolve(up[n, o], kernel, mode="full")[: xp.shape[2]]
                dxp[n, c, : full.shape[0]] += full
                lags = signal.correlate(xp[n, c], up[n, o], mode="valid")
                dw[o, c] += lags[::dilation][: w.shape[2]]
    return dxp[:, :, left : left + x.shape[2]], dw, dy.sum(axis=(0, 2))


def scatter_col2im(grad_columns, padded_shape, kernel_hw, stride=1, dilation=1):
    """col2im (the adjoint of im2col) by index arithmetic and ``np.add.at`` (the oracle):
    entry ``[n, (c, p, q), (i, j)]`` of ``grad_columns`` (N, C*KH*KW, OH*OW) is added onto cell
    ``[n, c, i*sh + p*dh, j*sw + q*dw]`` of a zero array of ``padded_shape``."""
    (kh, kw), (sh, sw), (dh, dw) = _pair(kernel_hw), _pair(stride), _pair(dilation)
    n_images, channels, hp, wp = padded_shape
    oh, ow = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    n, c, p, q, i, j = np.indices((n_images, channels, kh, kw, oh, ow))
    out = np.zeros(padded_shape)
    values = np.asarray(grad_columns, dtype=np.float64).reshape(n.shape)
    np.add.at(out, (n, c, i * sh + p * dh, j * sw + q * dw), values)
    return out


def _pool_windows(x, pool_size, stride, padding, fill):
    pool = _pair(pool_size)
    stride = pool if stride is None else _pair(stride)
    pads = resolve_padding(padding, x.shape[2:], pool, stride)
    xp = _pad_hw(np.asarray(x, dtype=np.float64), pads, fill)
    windows = sliding_window_view(xp, pool, axis=(2, 3))[:, :, :: stride[0], :: stride[1]]
    return windows, pool, stride, pads


def window_max_pool2d(x, pool_size, stride=None, padding=0):
    """Max pooling as the max of each window of a sliding-window view (the oracle)."""
    windows, *_ = _pool_windows(x, pool_size, stride, padding, -np.inf)
    return windows.max(axis=(4, 5))


def window_avg_pool2d(x, pool_size, stride=None, padding=0):
    """Average pooling as the NaN-ignoring mean of each window (the oracle)."""
    windows, *_ = _pool_windows(x, pool_size, stride, padding, np.nan)
    return np.nanmean(windows, axis=(4, 5))


def _scatter_windows(dy, x, pool_size, stride, padding, kind):
    fill = -np.inf if kind == "max" else np.nan
    windows, (kh, kw), (sh, sw), ((top, _), (left, _)) = _pool_windows(
        x, pool_size, stride, padding, fill
    )
    n_images, channels, oh, ow = windows.shape[:4]
    n, c, i, j = np.indices((n_images, channels, oh, ow))
    dx = np.zeros(x.shape)
    flat = windows.reshape(n_images, channels, oh, ow, kh * kw)
    if kind == "max":
        first = flat.argmax(axis=-1)  # argmax returns the first maximal cell, row-major
        rows = i * sh + first // kw - top
        cols = j * sw + first % kw - left
        np.add.at(dx, (n, c, rows, cols), dy)
        return dx
    real = ~np.isnan(flat)
    share = dy / real.sum(axis=-1)
    for k in range(kh * kw):
        mask = real[..., k]
        rows = i * sh + k // kw - top
        cols = j * sw + k % kw - left
        np.add.at(dx, (n[mask], c[mask], rows[mask], cols[mask]), share[mask])
    return dx


def window_max_pool2d_backward(dy, x, pool_size, stride=None, padding=0):
    """Max-pool gradient (the oracle): each window's ``dy`` goes to its first maximal cell."""
    return _scatter_windows(dy, x, pool_size, stride, padding, "max")


def window_avg_pool2d_backward(dy, x, pool_size, stride=None, padding=0):
    """Average-pool gradient (the oracle): each window's ``dy`` is shared by its real cells."""
    return _scatter_windows(dy, x, pool_size, stride, padding, "avg")
