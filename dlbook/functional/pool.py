"""Max and average pooling on NCHW arrays, and their backward passes.

A pooling window of ``(KH, KW)`` cells slides over each channel with stride ``(sh, sw)``
(by default the window size, so windows do not overlap):

.. math::

    y^{\\max}_{n,c,i,j} = \\max_{p,q}\\; x^{\\text{pad}}_{n,c,\\,i s_H + p,\\, j s_W + q}, \\qquad
    y^{\\text{avg}}_{n,c,i,j} = \\frac{1}{|R_{ij}|} \\sum_{(p,q) \\in R_{ij}}
        x_{n,c,\\,i s_H + p,\\, j s_W + q}

where :math:`R_{ij}` holds the window's real (unpadded) cells: padded cells never win a max and
never count in an average. Padding follows :func:`dlbook.functional.conv.resolve_padding`.

Non-finite values follow PyTorch and IEEE arithmetic: a window's max is NaN if it holds a NaN,
and its gradient then goes to the window's last NaN in row-major order (PyTorch's loop takes a
cell when ``value > best or isnan(value)``); otherwise to its first maximal cell, so a window of
-inf cells passes its gradient to its first real cell. An average is NaN where a window holds
NaN or both infinities, +-inf where it holds one of them, and finite wherever the mean of the
window's finite cells is representable (a sum that overflows is taken again as a sum of shares).

The kernels never loop over windows: they loop over the KH + KW (forward) or KH*KW (backward)
offsets inside a window, and each offset is one strided slice of the whole batch. A window is a
rectangle, so its max (or sum) is taken in two steps, first down the KH rows of the window, then
across its KW columns: KH + KW - 2 whole-batch operations in all, the first of them on long
contiguous rows. :func:`max_pool2d_backward` has a faster path for the most common windows,
2x2 at stride 2 without padding, that finds each window's first maximum with three strict
comparisons. The readable loop versions are in :mod:`dlbook.functional.reference`.
"""

import numpy as np

from dlbook._validation import (as_float_array, check_ndim, check_shape, check_window_fits,
                                positive_int, positive_int_pair)
from dlbook.functional.conv import _pad, conv_output_size, resolve_padding


def pool_geometry(x_shape, pool_size, stride=None, padding=0):
    """Validate pooling arguments; return ``(pool, stride, pads, (OH, OW))``.

    ``pads`` is ``((top, bottom), (left, right))``. Each padding amount must be smaller than
    the window, so that every window holds at least one real cell.
    """
    x_shape = _shape_of_images(x_shape)
    pool = positive_int_pair(pool_size, "pool_size")
    stride = pool if stride is None else positive_int_pair(stride, "stride")
    pads = resolve_padding(padding, x_shape[2:], pool, stride)
    check_window_fits(x_shape[2:], pads, pool, (1, 1), "pool_size: window",
                      f"x shape {tuple(x_shape)}")
    out = []
    for axis, name in enumerate(("height", "width")):
        if max(pads[axis]) >= pool[axis]:
            raise ValueError(
                f"padding: {padding!r} pads the {name} by {max(pads[axis])}, which must be "
                f"smaller than pool_size {pool[axis]} so every window holds a real cell"
            )
        out.append(conv_output_size(x_shape[2 + axis], pool[axis], stride[axis], sum(pads[axis])))
    return pool, stride, pads, tuple(out)


def _shape_of_images(x_shape):
    """``x_shape`` as a tuple of four positive ints (N, C, H, W)."""
    if not isinstance(x_shape, (tuple, list)) or len(x_shape) != 4:
        raise ValueError(f"x_shape: needs four sizes (N, C, H, W), got {x_shape!r}")
    return tuple(positive_int(size, "x_shape") for size in x_shape)


def _check_input(x):
    x = as_float_array(x, "x")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    if min(x.shape) == 0:
        raise ValueError(f"x: empty arrays are not supported, got shape {x.shape}")
    return x


def _checked(x, pool_size, stride, padding):
    """``x`` checked, and :func:`pool_geometry` of the arguments."""
    x = _check_input(x)
    return x, pool_geometry(x.shape, pool_size, stride, padding)


def _check_dy(dy, x, out_hw):
    dy = as_float_array(dy, "dy")
    check_shape(dy, x.shape[:2] + out_hw, "dy")
    return dy.astype(np.result_type(x, dy), copy=False)


def _offset_slices(pool, stride, out_hw):
    """Yield ``(index, (rows, cols))``: the strided slice of window offset ``(p, q)``.

    Offsets come in row-major order; ``index = p * KW + q``.
    """
    (kh, kw), (sh, sw), (oh, ow) = pool, stride, out_hw
    for p in range(kh):
        rows = slice(p, p + sh * (oh - 1) + 1, sh)
        for q in range(kw):
            yield p * kw + q, (rows, slice(q, q + sw * (ow - 1) + 1, sw))


def _window_reduce(xp, pool, stride, out_hw, combine):
    """Combine (``np.maximum`` or ``np.add``) the cells of every window of the padded ``xp``:
    first down the window's rows, then across its columns. Returns a new (N, C, OH, OW) array.
    """
    (kh, kw), (sh, sw), (oh, ow) = pool, stride, out_hw
    rows = xp[:, :, 0 : sh * (oh - 1) + 1 : sh].copy()
    for p in range(1, kh):
        combine(rows, xp[:, :, p : p + sh * (oh - 1) + 1 : sh], out=rows)
    out = rows[..., 0 : sw * (ow - 1) + 1 : sw].copy()
    for q in range(1, kw):
        combine(out, rows[..., q : q + sw * (ow - 1) + 1 : sw], out=out)
    return out


def _overlapping(pool, stride):
    return stride[0] < pool[0] or stride[1] < pool[1]


def _crop(dxp, pads, shape_hw):
    """The unpadded part of a padded gradient, as a contiguous array."""
    (top, _), (left, _) = pads
    h, w = shape_hw
    return np.ascontiguousarray(dxp[:, :, top : top + h, left : left + w])


def max_pool2d(x, pool_size, stride=None, padding=0):
    """Max pooling: the largest value of each window.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    pool_size : int or (int, int)
        Window ``(KH, KW)``.
    stride : int or (int, int), optional
        Defaults to ``pool_size``.
    padding : int, (int, int), ((int, int), (int, int)), 'valid' or 'same'
        Padded cells never win the max; ``((top, bottom), (left, right))`` pads each side by
        its own amount, each smaller than the window.

    Returns
    -------
    y : ndarray, shape (N, C, OH, OW)
        Same floating dtype as ``x`` (integers become float64); NaN where the window holds a NaN.

    Examples
    --------
    >>> x = np.array([[[[1., 2., 0., 1.], [3., 0., 5., 2.]]]])
    >>> max_pool2d(x, 2)
    array([[[[3., 5.]]]])
    """
    x, (pool, stride, pads, out_hw) = _checked(x, pool_size, stride, padding)
    return _window_reduce(_pad(x, pads, value=-np.inf), pool, stride, out_hw, np.maximum)


def max_pool2d_backward(dy, x, pool_size, stride=None, padding=0):
    """Gradient of :func:`max_pool2d` with respect to ``x``.

    Each window passes its whole gradient to the cell that won its max; when several cells tie,
    to the first of them in row-major order (as PyTorch does), so a window of -inf cells passes
    it to its first real cell; a window holding NaN passes it to its last NaN in row-major order
    (as PyTorch's CPU loop does). Overlapping windows add up.

    .. math::

        \\frac{\\partial L}{\\partial x_{n,c,h,w}} = \\sum_{(i,j):\\ \\arg\\max R_{ij} = (h,w)}
            \\delta_{n,c,i,j}

    Parameters
    ----------
    dy : ndarray, shape (N, C, OH, OW)
    x, pool_size, stride, padding
        As given to :func:`max_pool2d`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)

    Notes
    -----
    The window maxima are recomputed, then the KH*KW offsets are visited in row-major order
    with three boolean arrays of the output's shape: ``is_max`` (this offset's cell equals its
    window's max), ``taken`` (an earlier offset's did) and ``first = is_max & ~taken``, the
    windows whose gradient this offset receives, ``dy * first``. A mask ``x == max`` alone would
    hand the gradient to every tied cell. With padding, ``is_max`` is also restricted to real
    cells (a -inf padded cell equals the max of a -inf window). A NaN window's max equals no
    cell; when there are any, a second pass visits the offsets in reverse order with ``is_max``
    the NaN cells, so each such window's gradient goes to its last NaN.

    Examples
    --------
    >>> x = np.array([[[[0., 0.], [0., 0.]]]])   # a four-way tie: the first cell wins
    >>> max_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)[0, 0]
    array([[1., 0.],
           [0., 0.]])
    """
    x, (pool, stride, pads, out_hw) = _checked(x, pool_size, stride, padding)
    dy = _check_dy(dy, x, out_hw)
    if pool == stride == (2, 2) and pads == ((0, 0), (0, 0)):
        return _max_pool_2x2_backward(dy, x)
    return _max_pool_backward_windows(dy, x, pool, stride, pads, out_hw)


def _max_pool_backward_windows(dy, x, pool, stride, pads, out_hw):
    """:func:`max_pool2d_backward` for any window, on checked arguments."""
    xp = _pad(x, pads, value=-np.inf)
    best = _window_reduce(xp, pool, stride, out_hw, np.maximum)
    dxp = np.zeros(xp.shape, dtype=dy.dtype)
    is_max = np.empty(best.shape, dtype=bool)  # this offset holds its window's max
    first = np.empty(best.shape, dtype=bool)  # ... and no earlier offset did
    taken = np.zeros(best.shape, dtype=bool)  # some earlier offset held the max
    padded = pads != ((0, 0), (0, 0))
    for index, (rows, cols) in _offset_slices(pool, stride, out_hw):
        np.equal(xp[:, :, rows, cols], best, out=is_max)
        if padded:  # a -inf padded cell equals the max of a window of -inf: it must not win
            np.logical_and(is_max, _real_at_offset(index, x.shape[2:], pool, stride, pads,
                                                   out_hw), out=is_max)
        np.greater(is_max, taken, out=first)
        np.logical_or(taken, is_max, out=taken)
        if _overlapping(pool, stride):
            dxp[:, :, rows, cols] += dy * first
        else:  # every input cell is in at most one window: write, don't add
            np.multiply(dy, first, out=dxp[:, :, rows, cols])
    if np.isnan(best.max()):  # a window holding NaN equals no cell: it goes to its last NaN
        taken.fill(False)
        for _, (rows, cols) in reversed(list(_offset_slices(pool, stride, out_hw))):
            np.isnan(xp[:, :, rows, cols], out=is_max)
            np.greater(is_max, taken, out=first)
            np.logical_or(taken, is_max, out=taken)
            dxp[:, :, rows, cols] += dy * first
    return _crop(dxp, pads, x.shape[2:])


def _real_at_offset(index, shape_hw, pool, stride, pads, out_hw):
    """(OH, OW) booleans: whether offset ``index`` (row-major) of each window is a real cell."""
    offset = divmod(index, pool[1])
    real = []
    for p, size, s, (before, _), out in zip(offset, shape_hw, stride, pads, out_hw):
        position = np.arange(out) * s + p - before
        real.append((position >= 0) & (position < size))
    return np.logical_and.outer(real[0], real[1])


def _max_pool_2x2_backward(dy, x):
    """:func:`max_pool2d_backward` for 2x2 windows at stride 2 without padding: the fast path.

    Window ``(i, j)`` holds ``a, b`` (row ``2i``, columns ``2j, 2j + 1``) over ``c, d`` (row
    ``2i + 1``). Its first maximum in row-major order is found with strict comparisons, one row
    of the window at a time: in each row the right cell wins only if it is larger (``b > a``,
    ``d > c``), and the lower row wins only if its maximum is larger (``max(c, d) > max(a, b)``).
    When some window holds a NaN, a NaN on the right (``isnan(b)``) or in the lower row
    (``isnan(max(c, d))``, as ``np.maximum`` passes NaN on) wins as well: that is PyTorch's
    ``value > best or isnan(value)`` taken in two steps, so the last NaN of a window wins.
    The two choices route ``dy[i, j]`` to one cell: first to the winning row, then to the
    winning cell of that row. Each step is one whole-array operation in the dtype of ``dy``
    (a boolean times a float is the float or zero); the even and odd columns of ``x`` are
    copied apart first, because numpy's loops run several times faster on contiguous arrays
    than on stride-2 views.
    """
    n, c, oh, ow = dy.shape
    h, w = 2 * oh, 2 * ow
    columns = np.empty((2, n, c, h, ow), dtype=x.dtype)  # the left and the right cells
    np.copyto(columns[0], x[:, :, :h, 0:w:2])
    np.copyto(columns[1], x[:, :, :h, 1:w:2])
    goes_right = np.greater(columns[1], columns[0])  # (N, C, H, OW): b > a, d > c
    row_max = np.maximum(columns[0], columns[1], out=columns[0])  # NaN if a or b is
    goes_down = np.greater(row_max[:, :, 1::2], row_max[:, :, 0::2])  # (N, C, OH, OW)
    if np.isnan(row_max.max()):  # a NaN takes the gradient from anything before it
        np.logical_or(goes_right, np.isnan(columns[1]), out=goes_right)
        np.logical_or(goes_down, np.isnan(row_max[:, :, 1::2]), out=goes_down)
    row_grad = np.empty((n, c, oh, 2, ow), dtype=dy.dtype)  # dy in its window's winning row
    np.multiply(dy, ~goes_down, out=row_grad[:, :, :, 0])
    np.multiply(dy, goes_down, out=row_grad[:, :, :, 1])
    row_grad = row_grad.reshape(n, c, h, ow)
    if x.shape[2:] == (h, w) and dy.dtype == x.dtype:
        dx = columns.reshape(x.shape)  # its cells are spent: reuse the memory, already paged in
    else:  # a last odd row or column is in no window; or dy's dtype is wider than x's
        dx = np.zeros(x.shape, dtype=dy.dtype)
    np.multiply(row_grad, ~goes_right, out=dx[:, :, :h, 0:w:2])
    np.multiply(row_grad, goes_right, out=dx[:, :, :h, 1:w:2])
    return dx


def _real_cell_counts(shape_hw, pool, stride, pads, out_hw):
    """(OH, OW) number of unpadded cells in each window."""
    counts = []
    for size, k, s, (before, _), out in zip(shape_hw, pool, stride, pads, out_hw):
        start = np.arange(out) * s - before
        counts.append(np.minimum(start + k, size) - np.maximum(start, 0))
    return np.outer(counts[0], counts[1])


def avg_pool2d(x, pool_size, stride=None, padding=0):
    """Average pooling: the mean of each window's real (unpadded) cells.

    Parameters
    ----------
    x, pool_size, stride, padding
        As for :func:`max_pool2d`. Padded cells are left out of the average (Keras'
        behaviour; PyTorch's ``count_include_pad=False``).

    Returns
    -------
    y : ndarray, shape (N, C, OH, OW), of the dtype of ``x``

    Notes
    -----
    Where a window's sum overflows (float32 cells near :math:`3 \\cdot 10^{38}`), that window is
    summed again from its cells scaled by a power of two :math:`2^{-e} \\le 1/(K_H K_W)`, which
    is exact and cannot overflow, and the mean is scaled back: it is +-inf only if the mean
    itself is not representable.

    Examples
    --------
    >>> avg_pool2d(np.arange(8.0).reshape(1, 1, 2, 4), 2)   # windows [0 1; 4 5] and [2 3; 6 7]
    array([[[[2.5, 4.5]]]])
    """
    x, (pool, stride, pads, out_hw) = _checked(x, pool_size, stride, padding)
    with np.errstate(over="ignore", invalid="ignore"):  # IEEE; an overflow is taken again below
        mean = _window_mean(x, pool, stride, pads, out_hw)
    if not np.isfinite(mean).all():  # an inf or NaN cell, or a window's sum overflowed
        scale = 0.5 ** int(np.ceil(np.log2(pool[0] * pool[1])))  # a power of 2: exact
        with np.errstate(over="ignore", invalid="ignore"):
            shares = _window_mean(x * scale, pool, stride, pads, out_hw) / scale
        np.copyto(mean, shares, where=~np.isfinite(mean))
    return mean


def _window_mean(x, pool, stride, pads, out_hw):
    """The mean of the real cells of each window, as the windows' sums over their counts."""
    total = _window_reduce(_pad(x, pads), pool, stride, out_hw, np.add)
    if pads == ((0, 0), (0, 0)):
        total /= pool[0] * pool[1]  # every window is all real cells
    else:
        total /= _real_cell_counts(x.shape[2:], pool, stride, pads, out_hw).astype(x.dtype)
    return total


def avg_pool2d_backward(dy, x, pool_size, stride=None, padding=0):
    """Gradient of :func:`avg_pool2d` with respect to ``x``.

    Every real cell of window :math:`R_{ij}` receives :math:`\\delta_{n,c,i,j} / |R_{ij}|`;
    overlapping windows add up.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)

    Examples
    --------
    >>> x = np.zeros((1, 1, 2, 2))
    >>> avg_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)[0, 0]
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    x, (pool, stride, pads, out_hw) = _checked(x, pool_size, stride, padding)
    dy = _check_dy(dy, x, out_hw)
    counts = _real_cell_counts(x.shape[2:], pool, stride, pads, out_hw)
    share = dy / counts.astype(dy.dtype)
    (top, bottom), (left, right) = pads
    n, c, h, w = x.shape
    dxp = np.zeros((n, c, h + top + bottom, w + left + right), dtype=dy.dtype)
    for _, (rows, cols) in _offset_slices(pool, stride, out_hw):
        if _overlapping(pool, stride):
            dxp[:, :, rows, cols] += share
        else:  # every input cell is in at most one window: write, don't add
            dxp[:, :, rows, cols] = share
    return _crop(dxp, pads, x.shape[2:])
