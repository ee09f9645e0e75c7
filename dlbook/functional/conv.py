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
here compute the same numbers with a few large matrix products. How is explained in the Notes of
:func:`conv2d`; which of the ways is used for which shapes, in :func:`choose_strategy`.

Module constants that tune the fast path (tests and benchmarks change them):

``COLUMN_BUDGET_BYTES``
    the largest column matrix (see :func:`conv2d`) built at once; the batch is processed in
    chunks of images whose column matrix fits. 4 MiB keeps a chunk's column matrix in the
    processor's cache between the copies that build it and the matrix product that reads it,
    which is 5-15% faster than one matrix for the whole batch, and bounds the memory of any
    batch (a 256-image batch of 56x56 images with 64 channels would need 1.85 GB).
``UNROLLED_MAX_ENTRIES``, ``UNROLLED_BATCH_FACTOR``, ``SHORT_ROW``
    the thresholds of :func:`choose_strategy`.
``DW_BLOCK``
    output positions per matrix product when :func:`conv2d_backward` sums ``dw`` (see there).
"""

import functools
import math
from typing import NamedTuple

import numpy as np

from dlbook._validation import as_float_array, check_ndim, check_shape, positive_int_pair

COLUMN_BUDGET_BYTES = 4 * 2**20
UNROLLED_MAX_ENTRIES = 2**18
UNROLLED_BATCH_FACTOR = 4096
SHORT_ROW = 8
DW_BLOCK = 4096

STRATEGIES = ("unrolled", "im2col-images-outer", "im2col-images-inner")
"""The ways :func:`conv2d` can compute a convolution; see :func:`choose_strategy`."""

_STRATEGY_OVERRIDE = None
"""Set to one of :data:`STRATEGIES` to force it (tests and benchmarks do); None lets
:func:`choose_strategy` decide."""


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


# --------------------------------------------------------------------------------------------
# The fast path: geometry, the choice of strategy, and the strategies.


class _Geometry(NamedTuple):
    """Every size of one convolution: input (n, c, h, w), filters (o, kh, kw), stride (sh, sw),
    dilation (dh, dw), padding (top, bottom, left, right) and output (oh, ow)."""

    n: int
    c: int
    h: int
    w: int
    o: int
    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    top: int
    bottom: int
    left: int
    right: int
    oh: int
    ow: int

    @property
    def hp(self):
        return self.h + self.top + self.bottom

    @property
    def wp(self):
        return self.w + self.left + self.right

    @property
    def taps(self):
        return self.c * self.kh * self.kw


def _geometry(x_shape, w_shape, stride, pads, dilation):
    (top, bottom), (left, right) = pads
    out = [
        conv_output_size(size, k, s, sum(p), d)
        for size, k, s, p, d in zip(x_shape[2:], w_shape[2:], stride, pads, dilation)
    ]
    return _Geometry(*x_shape, w_shape[0], *w_shape[2:], *stride, *dilation,
                     top, bottom, left, right, *out)


def choose_strategy(x_shape, w_shape, stride=1, padding=0, dilation=1):
    """Name of the strategy :func:`conv2d` and :func:`conv2d_backward` use for these shapes.

    Returns one of :data:`STRATEGIES` (the Notes of :func:`conv2d` explain what each does). The
    rules come from timing all three on many shapes; they pick the fastest or one within about
    15% of it:

    ``'unrolled'``
        when the unrolled matrix is small (at most ``UNROLLED_MAX_ENTRIES`` entries) and the
        batch is large enough to pay for building it at every call: at least
        ``entries * waste / UNROLLED_BATCH_FACTOR`` images, where ``waste = H*W / (KH*KW)`` is
        how many times more multiply-adds it does than im2col. In practice: tiny images in
        batches of a hundred or more.
    ``'im2col-images-inner'``
        when the output rows are short (``OW <= SHORT_ROW``), or when the thrown-away positions
        of ``'im2col-images-outer'`` (see :func:`conv2d`) would cost more than transposing the
        whole batch: ``(waste - 1) * C*KH*KW > C + O``, with ``waste`` the number of positions
        computed per output (small images, large kernels, large padding); but only if the
        pieces it copies are long enough, at least ``4 * SHORT_ROW`` values (``OW * N`` for
        stride 1, ``N`` otherwise).
    ``'im2col-images-outer'``
        otherwise: large images, 3x3 kernels, strided convolutions.

    Examples
    --------
    >>> choose_strategy((128, 16, 4, 4), (32, 16, 3, 3), padding=1)
    'unrolled'
    >>> choose_strategy((16, 16, 4, 4), (32, 16, 3, 3), padding=1)
    'im2col-images-inner'
    >>> choose_strategy((32, 32, 32, 32), (64, 32, 3, 3), padding=1)
    'im2col-images-outer'
    """
    stride = positive_int_pair(stride, "stride")
    dilation = positive_int_pair(dilation, "dilation")
    pads = resolve_padding(padding, tuple(x_shape[2:]), tuple(w_shape[2:]), stride, dilation)
    return _choose(_geometry(tuple(x_shape), tuple(w_shape), stride, pads, dilation))


def _choose(g):
    if _STRATEGY_OVERRIDE is not None:
        if _STRATEGY_OVERRIDE not in STRATEGIES:
            raise ValueError(f"_STRATEGY_OVERRIDE: needs one of {STRATEGIES}, got "
                             f"{_STRATEGY_OVERRIDE!r}")
        return _STRATEGY_OVERRIDE
    outputs = g.o * g.oh * g.ow
    entries = outputs * g.c * g.h * g.w
    waste = entries / (outputs * g.taps)
    if entries <= UNROLLED_MAX_ENTRIES and g.n * UNROLLED_BATCH_FACTOR >= entries * waste:
        return "unrolled"
    rows, cols = _layout(g, "im2col-images-outer", 1).plane
    costly_waste = (rows * cols / (g.oh * g.ow) - 1) * g.taps > g.c + g.o
    inner_run = g.ow * g.n if g.sw == 1 else g.n  # contiguous values per copied piece
    if (costly_waste or g.ow <= SHORT_ROW) and inner_run >= SHORT_ROW * 4:
        return "im2col-images-inner"
    return "im2col-images-outer"


# ---- strategy 'unrolled': the convolution as one matrix
#
# With the images in (N, H*W*C) rows (channels last), the output row (o, i, j) of the unrolled
# matrix is zero except for one block of C weights w[o, :, p, q] at every input cell (h, w)
# that tap (p, q) connects to output (i, j). So the matrix is w, re-arranged as (O, KH*KW+1, C)
# with an extra all-zero tap, gathered with an (OH*OW, H*W) map of tap numbers.


@functools.lru_cache(maxsize=16)
def _tap_map(g):
    """``tap_map[i*OW + j, h*W + w]`` is the tap ``p*KW + q`` that connects output cell (i, j)
    to input cell (h, w), or ``KH*KW`` where none does (``g`` has ``n = 0``)."""
    i, j, p, q = np.meshgrid(np.arange(g.oh), np.arange(g.ow), np.arange(g.kh), np.arange(g.kw),
                             indexing="ij")
    rows = i * g.sh + p * g.dh - g.top
    cols = j * g.sw + q * g.dw - g.left
    real = (rows >= 0) & (rows < g.h) & (cols >= 0) & (cols < g.w)
    tap_map = np.full((g.oh * g.ow, g.h * g.w), g.kh * g.kw, dtype=np.intp)
    tap_map[(i * g.ow + j)[real], (rows * g.w + cols)[real]] = (p * g.kw + q)[real]
    return tap_map


def _tap_selector(g, dtype):
    """The (KH*KW, OH*OW*H*W) 0/1 matrix that sums, for every tap, the (output, input) pairs
    it connects: one-hot rows of the tap map."""
    taps = g.kh * g.kw
    selector = np.zeros((taps + 1, g.oh * g.ow * g.h * g.w), dtype=dtype)
    selector[_tap_map(g).ravel(), np.arange(selector.shape[1])] = 1
    return selector[:taps]


def _unrolled_matrix(w, g):
    """The (O*OH*OW, H*W*C) matrix ``U``: ``y[n].ravel() = U @ x[n].transpose(1, 2, 0).ravel()``.
    """
    taps = g.kh * g.kw
    blocks = np.zeros((g.o, taps + 1, g.c), dtype=w.dtype)
    blocks[:, :taps] = w.transpose(0, 2, 3, 1).reshape(g.o, taps, g.c)
    return np.take(blocks, _tap_map(g._replace(n=0)), axis=1).reshape(g.o * g.oh * g.ow, -1)


def _channels_last_rows(images):
    """(n, C, H, W) -> a (n, H*W*C) array."""
    n, c = images.shape[:2]
    return np.ascontiguousarray(images.reshape(n, c, -1).transpose(0, 2, 1)).reshape(n, -1)


def _unrolled_forward(x, w, g):
    return (_channels_last_rows(x) @ _unrolled_matrix(w, g).T).reshape(g.n, g.o, g.oh, g.ow)


def _unrolled_backward(dy, x, w, g, dx):
    dy_rows = dy.reshape(g.n, -1)
    grad_rows = dy_rows @ _unrolled_matrix(w, g)
    np.copyto(dx.reshape(g.n, g.c, -1), grad_rows.reshape(g.n, -1, g.c).transpose(0, 2, 1))
    # The gradient of every entry of U, summed over the entries that hold the same weight.
    grad_matrix = (dy_rows.T @ _channels_last_rows(x)).reshape(g.o, -1, g.c)
    grad_blocks = np.matmul(_tap_selector(g._replace(n=0), w.dtype), grad_matrix)
    return np.ascontiguousarray(
        grad_blocks.reshape(g.o, g.kh, g.kw, g.c).transpose(0, 3, 1, 2))


# ---- strategies 'im2col-*': a column matrix and one matrix product per chunk of images
#
# The column matrix has one row per tap (c, p, q) and one column per output position. The
# positions form a grid (A, R, S, B): (images, rows, columns, 1) for 'images-outer' and
# (1, rows, columns, images) for 'images-inner'; the valid outputs are grid[:, :OH, :OW, :],
# and the grid may hold a few extra, thrown-away positions.


class _Layout(NamedTuple):
    """How the column matrix of one chunk of ``n`` images is laid out."""

    strategy: str
    n: int
    grid: tuple  # (A, R, S, B), see above
    plane: tuple  # images-outer: (rows, columns) of one stride phase of one image
    tail: int  # images-outer: zeros after each flat phase, read by the last shifted slices


def _layout(g, strategy, n):
    if strategy == "im2col-images-inner":
        return _Layout(strategy, n, (1, g.oh, g.ow, n), (0, 0), 0)
    shift_h, shift_w = (g.kh - 1) * g.dh // g.sh, (g.kw - 1) * g.dw // g.sw
    plane = (g.oh + shift_h, g.ow + shift_w)
    return _Layout(strategy, n, (n,) + plane + (1,), plane, shift_h * plane[1] + shift_w)


def _to_nchw(grid):
    """(K, A, R, S, B) -> the (n, K, R, S) view of the same data (A or B is 1)."""
    if grid.shape[4] == 1:
        return grid[..., 0].transpose(1, 0, 2, 3)
    return grid[:, 0].transpose(3, 0, 1, 2)


# images-outer: split the padded images into stride phases, then every tap is a shifted slice.
#
# Phase (r, s) holds the padded cells (i*sh + r, j*sw + s). Tap (p, q) at output (i, j) reads
# padded cell (i*sh + p*dh, j*sw + q*dw): cell (i + p*dh // sh, j + q*dw // sw) of phase
# (p*dh % sh, q*dw % sw). With each phase's images flattened one after the other, the tap's
# whole row of the column matrix is ONE contiguous slice of the flat phase, shifted by
# (p*dh // sh) * row_length + q*dw // sw. The grid computes every cell of the phase planes;
# the ones past the last output row or column are thrown away. For stride 1 there is one
# phase, the padded image itself.


def _phase_span(size, before, step, phase, length):
    """The image cells one phase holds along one axis: phase cells ``[first, first + count)``
    hold image cells ``start, start + step, ...``."""
    first = max(0, -(-(before - phase) // step))
    start = first * step + phase - before
    count = max(0, min(length - first, -(-(size - start) // step)))
    return slice(first, first + count), slice(start, start + step * (count - 1) + 1, step)


def _phase_views(flat, g, lay):
    """Yield ``(plane, phase_cells, image_cells)`` for every stride phase: the (C, n, R, S)
    view of the phase in ``flat``, and the matching (rows, cols) slices of phase and image."""
    size = lay.n * lay.plane[0] * lay.plane[1]
    for r in range(g.sh):
        rows, image_rows = _phase_span(g.h, g.top, g.sh, r, lay.plane[0])
        for s in range(g.sw):
            cols, image_cols = _phase_span(g.w, g.left, g.sw, s, lay.plane[1])
            plane = flat[:, r * g.sw + s, :size].reshape((g.c, lay.n) + lay.plane)
            yield plane, (rows, cols), (image_rows, image_cols)


def _tap_shifts(g, lay):
    """Yield ``(p, q, phase, offset)``: where tap (p, q) starts in the flat phases."""
    for p in range(g.kh):
        for q in range(g.kw):
            phase = (p * g.dh % g.sh) * g.sw + q * g.dw % g.sw
            yield p, q, phase, (p * g.dh // g.sh) * lay.plane[1] + q * g.dw // g.sw


def _phases_buffer(g, lay, dtype):
    size = lay.n * lay.plane[0] * lay.plane[1]
    return np.empty((g.c, g.sh * g.sw, size + lay.tail), dtype), size


def _im2col_outer(images, g, lay, buffer):
    flat, size = _phases_buffer(g, lay, images.dtype)
    flat[...] = 0  # padding and tails: one contiguous pass beats zeroing the borders
    for plane, (rows, cols), (image_rows, image_cols) in _phase_views(flat, g, lay):
        plane[:, :, rows, cols] = images[:, :, image_rows, image_cols].transpose(1, 0, 2, 3)
    columns = buffer[: g.taps * size].reshape(g.c, g.kh, g.kw, size)
    for p, q, phase, offset in _tap_shifts(g, lay):
        columns[:, p, q] = flat[:, phase, offset : offset + size]
    return columns


def _col2im_outer(grad_columns, g, lay, dx):
    flat, size = _phases_buffer(g, lay, grad_columns.dtype)
    flat[...] = 0
    taps = grad_columns.reshape(g.c, g.kh, g.kw, size)
    for p, q, phase, offset in _tap_shifts(g, lay):
        flat[:, phase, offset : offset + size] += taps[:, p, q]
    for plane, (rows, cols), (image_rows, image_cols) in _phase_views(flat, g, lay):
        dx[:, :, image_rows, image_cols] = plane[:, :, rows, cols].transpose(1, 0, 2, 3)


# images-inner: the padded images as (C, HP, WP, n), read with one strided slice per tap; the
# image axis is innermost, so every piece copied is a whole row of all the images at once.


def _tap_slices(g, p, q):
    """The cells of the (C, HP, WP, n) padded images that tap (p, q) reads."""
    rows = slice(p * g.dh, p * g.dh + g.sh * (g.oh - 1) + 1, g.sh)
    cols = slice(q * g.dw, q * g.dw + g.sw * (g.ow - 1) + 1, g.sw)
    return slice(None), rows, cols


def _im2col_inner(images, g, lay, buffer):
    padded = np.empty((g.c, g.hp, g.wp, lay.n), images.dtype)
    if (g.hp, g.wp) != (g.h, g.w):
        padded[...] = 0
    padded[:, g.top : g.top + g.h, g.left : g.left + g.w] = images.transpose(1, 2, 3, 0)
    columns = buffer[: g.taps * g.oh * g.ow * lay.n].reshape(g.c, g.kh, g.kw, g.oh, g.ow, lay.n)
    for p in range(g.kh):
        for q in range(g.kw):
            columns[:, p, q] = padded[_tap_slices(g, p, q)]
    return columns


def _col2im_inner(grad_columns, g, lay, dx):
    padded = np.zeros((g.c, g.hp, g.wp, lay.n), grad_columns.dtype)
    taps = grad_columns.reshape(g.c, g.kh, g.kw, g.oh, g.ow, lay.n)
    for p in range(g.kh):
        for q in range(g.kw):
            padded[_tap_slices(g, p, q)] += taps[:, p, q]
    np.copyto(dx, padded[:, g.top : g.top + g.h, g.left : g.left + g.w].transpose(3, 0, 1, 2))


def _im2col(images, g, strategy, buffer):
    """The (C*KH*KW, positions) column matrix of a chunk of images, written into the start of
    the 1-D ``buffer``, and its layout."""
    lay = _layout(g, strategy, images.shape[0])
    gather = _im2col_outer if strategy == "im2col-images-outer" else _im2col_inner
    return gather(images, g, lay, buffer).reshape(g.taps, -1), lay


def _col2im(grad_columns, g, lay, dx):
    """Add every column's gradient back onto the input cell it was read from, into ``dx``
    (n, C, H, W); cells no tap reads are left as they are."""
    scatter = _col2im_outer if lay.strategy == "im2col-images-outer" else _col2im_inner
    scatter(grad_columns, g, lay, dx)


def _chunks(g, strategy, dtype):
    """Slices of the batch, each small enough that its column matrix fits in
    ``COLUMN_BUDGET_BYTES`` (at least one image), and a buffer for the largest column matrix,
    which every chunk reuses."""
    per_image = g.taps * math.prod(_layout(g, strategy, 1).grid)
    step = int(min(g.n, max(1, COLUMN_BUDGET_BYTES // (per_image * np.dtype(dtype).itemsize))))
    chunks = [slice(start, min(start + step, g.n)) for start in range(0, g.n, step)]
    return chunks, np.empty(per_image * step, dtype)


def _im2col_forward(x, w, g, strategy, y, b):
    weights = w.reshape(g.o, g.taps)
    chunks, buffer = _chunks(g, strategy, x.dtype)
    for chunk in chunks:
        columns, lay = _im2col(x[chunk], g, strategy, buffer)
        out = weights @ columns
        valid = _to_nchw(out.reshape((g.o,) + lay.grid)[:, :, : g.oh, : g.ow])
        if b is None:
            np.copyto(y[chunk], valid)
        else:
            np.add(valid, b[:, None, None], out=y[chunk])


def _im2col_backward(dy, x, w, g, strategy, dx):
    weights = w.reshape(g.o, g.taps)
    grad_w = np.zeros((g.taps, g.o), dtype=w.dtype)
    chunks, buffer = _chunks(g, strategy, x.dtype)
    for chunk in chunks:
        columns, lay = _im2col(x[chunk], g, strategy, buffer)
        dy_grid = np.empty((g.o,) + lay.grid, dy.dtype)
        if lay.grid[1:3] != (g.oh, g.ow):
            dy_grid[...] = 0  # the thrown-away positions must not contribute
        np.copyto(_to_nchw(dy_grid[:, :, : g.oh, : g.ow]), dy[chunk])
        dy_rows = dy_grid.reshape(g.o, -1)
        # dw's product has a tiny output and a long inner dimension, which BLAS libraries run
        # on one thread or as matrix-vector products: do it in blocks of positions instead.
        for start in range(0, dy_rows.shape[1], DW_BLOCK):
            block = slice(start, start + DW_BLOCK)
            grad_w += columns[:, block] @ dy_rows[:, block].T
        np.matmul(weights.T, dy_rows, out=columns)  # the columns' gradient, in place
        _col2im(columns, g, lay, dx[chunk])
    return np.ascontiguousarray(grad_w.T).reshape(w.shape)


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
    The sum above is a matrix product once the right numbers are lined up. There are two ways
    of lining them up, im2col (in two orders) and the unrolled matrix; :func:`choose_strategy`
    picks one from the shapes alone, so a given shape always takes the same path, and
    ``conv2d_backward`` takes the same path as ``conv2d``. All of them agree with
    :mod:`dlbook.functional.reference` and with the scipy oracle of :mod:`dlbook.verify`.

    **im2col.** Copy every receptive field of the padded input into a column of a matrix
    ``cols`` of shape ``(C*KH*KW, positions)``: row ``(c, p, q)`` holds the input cell that tap
    ``(p, q)`` of channel ``c`` sees at every output position. Then ``W (O, C*KH*KW) @ cols`` is
    the whole convolution in one matrix product. Building ``cols`` loops over the KH*KW taps
    only, each tap one copy of a slice of the whole batch. What makes it fast is keeping those
    copies few and long, because numpy is slow on many short pieces:

    * ``'im2col-images-outer'`` orders the positions (image, row, column). The padded images
      are first split into *stride phases*: phase ``(r, s)`` holds the cells
      ``(i*sh + r, j*sw + s)``, so tap ``(p, q)`` at output ``(i, j)`` reads cell
      ``(i + p*dh // sh, j + q*dw // sw)`` of phase ``(p*dh % sh, q*dw % sw)``. Flatten each
      phase (all images one after the other) and the tap's whole row of ``cols`` is ONE
      contiguous slice of it, shifted by ``(p*dh // sh) * row_length + q*dw // sw``; the
      backward pass adds it back with one contiguous ``+=``. The price: outputs are computed at
      every cell of the phase planes, a few of them past the last output row and column, and
      thrown away (for stride 1 the phase is the padded image: ``(H+pad)*(W+pad)`` positions
      instead of ``OH*OW``, little for large images, a lot for small ones).
    * ``'im2col-images-inner'`` orders the positions (row, column, image), the batch being the
      last axis of the padded input, so a tap's slice is made of whole rows of all the images:
      pieces ``OW*N`` long (stride 1) or ``N`` long, with no thrown-away positions, at the price
      of transposing the batch in and out.

    The batch is processed in chunks whose column matrix fits in ``COLUMN_BUDGET_BYTES``.

    **Unrolled matrix.** For tiny images, write the convolution as the dense matrix ``U`` of
    the linear map from one image (its ``H*W*C`` values, channels last) to its ``O*OH*OW``
    outputs. Row ``(o, i, j)`` is zero except for the block ``w[o, :, p, q]`` at every input
    cell ``(i*sh + p*dh - top, j*sw + q*dw - left)``: the same weights sit in many places, which
    is what weight sharing means. Then ``y = x_rows @ U.T`` for the whole batch, with no
    receptive fields copied at all. ``U`` holds about ``H*W / (KH*KW)`` times more numbers than
    the weights touch, so it only pays for tiny images, and for a batch large enough to pay for
    building ``U`` (a gather of ``w``) at every call.

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
        b = b.astype(dtype, copy=False)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    g = _geometry(x.shape, w.shape, stride, pads, dilation)
    strategy = _choose(g)
    if strategy == "unrolled":
        y = _unrolled_forward(x, w, g)
        if b is not None:
            y += b[:, None, None]
        return y
    y = np.empty((g.n, g.o, g.oh, g.ow), dtype=dtype)
    _im2col_forward(x, w, g, strategy, y, b)
    return y


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
    The same strategy as the forward pass (see :func:`conv2d`). With im2col, ``dw`` is
    ``dy (O, positions) @ cols.T`` (with ``dy`` zero at the thrown-away positions), summed over
    blocks of ``DW_BLOCK`` positions: a product with so small an output and so long an inner
    dimension runs several times faster in blocks than in one call to OpenBLAS; ``dx``
    first forms ``W.T @ dy``, the gradient of every column, and adds each tap's row back onto
    the padded input with one ``+=`` per tap (KH*KW slice additions in all, contiguous ones in
    ``'im2col-images-outer'``); no ``np.add.at``. With the unrolled matrix ``U``,
    ``dx = dy @ U``, and ``dw`` sums ``dy.T @ x_rows``, the gradient of every entry of ``U``,
    over the entries that hold the same weight. ``db`` is a sum of ``dy`` (as one
    matrix-vector product).

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
    g = _geometry(x.shape, w.shape, stride, pads, dilation)
    check_shape(dy, (g.n, g.o, g.oh, g.ow), "dy")
    dtype = np.result_type(x, w, dy)
    x, w, dy = (a.astype(dtype, copy=False) for a in (x, w, dy))
    dx = np.zeros(x.shape, dtype=dtype)  # input cells no output reads keep a zero gradient
    strategy = _choose(g)
    if strategy == "unrolled":
        grad_w = _unrolled_backward(dy, x, w, g, dx)
    else:
        grad_w = _im2col_backward(dy, x, w, g, strategy, dx)
    grad_b = (np.ones(g.n, dtype) @ dy.reshape(g.n, -1)).reshape(g.o, -1).sum(axis=1)
    return dx, grad_w, grad_b
