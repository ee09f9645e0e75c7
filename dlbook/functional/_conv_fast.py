"""The tuned conv2d strategies, the table of them, and the rules that choose one for a shape.

:func:`dlbook.functional.conv2d` checks its arguments, then runs one strategy of
:data:`KERNELS` on the checked arrays; :func:`choose` says which. Each computes the numbers of
the readable path :func:`dlbook.functional.conv.conv2d_im2col` (a column matrix and one matrix
product), with fewer and longer copies: ``'im2col-images-outer'`` and ``'im2col-images-inner'``
order the column matrix so that each kernel tap is one long slice of the batch, in chunks of
the batch; ``'unrolled'`` writes the whole convolution as one matrix for tiny images. The
comment above each strategy's code tells how.
"""

import functools
import math
from collections import namedtuple
from typing import Callable, NamedTuple

import numpy as np


class Tuning(NamedTuple):
    """The constants of the fast path, fixed by timing many shapes.

    ``column_budget_bytes``: the largest column matrix built at once (4 MiB stays in cache
    between the copies that build it and the product that reads it, 5-15% faster than one
    matrix for the batch, and bounds the memory of any batch); ``unrolled_max_entries``,
    ``unrolled_batch_factor``, ``short_row``: the thresholds of :func:`choose`; ``dw_block``:
    positions per matrix product when ``dw`` is summed.
    """

    column_budget_bytes: int = 4 * 2**20
    unrolled_max_entries: int = 2**18
    unrolled_batch_factor: int = 4096
    short_row: int = 8
    dw_block: int = 4096


TUNING = Tuning()
"""The tuning every call uses unless a strategy of the table is given another."""


class Geometry(namedtuple("Geometry", "n c h w o kh kw sh sw dh dw top bottom left right oh ow")):
    """Every size of one convolution: input (n, c, h, w), filters (o, kh, kw), stride (sh, sw),
    dilation (dh, dw), padding (top, bottom, left, right) and output (oh, ow)."""

    __slots__ = ()

    @property
    def hp(self):
        return self.h + self.top + self.bottom

    @property
    def wp(self):
        return self.w + self.left + self.right

    @property
    def taps(self):
        return self.c * self.kh * self.kw


def geometry(x_shape, w_shape, stride, pads, dilation):
    """The :class:`Geometry` of checked shapes, ``stride`` and ``dilation`` pairs and
    ``pads = ((top, bottom), (left, right))``."""
    (top, bottom), (left, right) = pads
    out = [
        (size + sum(p) - d * (k - 1) - 1) // s + 1
        for size, k, s, p, d in zip(x_shape[2:], w_shape[2:], stride, pads, dilation)
    ]
    return Geometry(*x_shape, w_shape[0], *w_shape[2:], *stride, *dilation,
                    top, bottom, left, right, *out)


def choose(g, tuning=TUNING):
    """Name of the strategy of :data:`KERNELS` for the :class:`Geometry` ``g``.

    The rules come from timing all three on many shapes; they pick the fastest or one within
    about 15% of it:

    ``'unrolled'``
        when the unrolled matrix is small (at most ``unrolled_max_entries`` entries) and the
        batch is large enough to pay for building it at every call: at least
        ``entries * waste / unrolled_batch_factor`` images, where ``waste = H*W / (KH*KW)`` is
        how many times more multiply-adds it does than im2col. In practice: tiny images in
        batches of a hundred or more.
    ``'im2col-images-inner'``
        when the output rows are short (``OW <= short_row``), or when the thrown-away positions
        of ``'im2col-images-outer'`` would cost more than transposing the whole batch:
        ``(waste - 1) * C*KH*KW > C + O``, with ``waste`` the number of positions computed per
        output (small images, large kernels, large padding); but only if the pieces it copies
        are long enough, at least ``4 * short_row`` values (``OW * N`` for stride 1, ``N``
        otherwise).
    ``'im2col-images-outer'``
        otherwise: large images, 3x3 kernels, strided convolutions.
    """
    outputs = g.o * g.oh * g.ow
    entries = outputs * g.c * g.h * g.w
    waste = entries / (outputs * g.taps)
    if (entries <= tuning.unrolled_max_entries
            and g.n * tuning.unrolled_batch_factor >= entries * waste):
        return "unrolled"
    rows, cols = _layout(g, "im2col-images-outer", 1).plane
    costly_waste = (rows * cols / (g.oh * g.ow) - 1) * g.taps > g.c + g.o
    inner_run = g.ow * g.n if g.sw == 1 else g.n  # contiguous values per copied piece
    if (costly_waste or g.ow <= tuning.short_row) and inner_run >= tuning.short_row * 4:
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


def _unrolled_forward(x, w, b, g, tuning):
    y = (_channels_last_rows(x) @ _unrolled_matrix(w, g).T).reshape(g.n, g.o, g.oh, g.ow)
    if b is not None:
        y += b[:, None, None]
    return y


def _unrolled_backward(dy, x, w, g, tuning):
    dx = np.empty(x.shape, dtype=dy.dtype)
    dy_rows = dy.reshape(g.n, -1)
    grad_rows = dy_rows @ _unrolled_matrix(w, g)
    np.copyto(dx.reshape(g.n, g.c, -1), grad_rows.reshape(g.n, -1, g.c).transpose(0, 2, 1))
    # The gradient of every entry of U, summed over the entries that hold the same weight.
    grad_matrix = (dy_rows.T @ _channels_last_rows(x)).reshape(g.o, -1, g.c)
    grad_blocks = np.matmul(_tap_selector(g._replace(n=0), w.dtype), grad_matrix)
    grad_w = grad_blocks.reshape(g.o, g.kh, g.kw, g.c).transpose(0, 3, 1, 2)
    return dx, np.ascontiguousarray(grad_w), _bias_gradient(dy, g)


def _bias_gradient(dy, g):
    """``db``, the sum of ``dy`` over images and positions, as one matrix-vector product."""
    return (np.ones(g.n, dy.dtype) @ dy.reshape(g.n, -1)).reshape(g.o, -1).sum(axis=1)


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


def column_entries_per_image(g, strategy):
    """Entries of the column matrix of one image (thrown-away positions included)."""
    return g.taps * math.prod(_layout(g, strategy, 1).grid)


def chunks(g, strategy, dtype, tuning):
    """Slices of the batch, each small enough that its column matrix fits in
    ``tuning.column_budget_bytes`` (at least one image), and a buffer for the largest column
    matrix, which every chunk reuses."""
    per_image = column_entries_per_image(g, strategy)
    budget = tuning.column_budget_bytes
    step = int(min(g.n, max(1, budget // (per_image * np.dtype(dtype).itemsize))))
    slices = [slice(start, min(start + step, g.n)) for start in range(0, g.n, step)]
    return slices, np.empty(per_image * step, dtype)


def _im2col_forward(x, w, b, g, tuning, strategy):
    y = np.empty((g.n, g.o, g.oh, g.ow), dtype=x.dtype)
    weights = w.reshape(g.o, g.taps)
    batch_chunks, buffer = chunks(g, strategy, x.dtype, tuning)
    for chunk in batch_chunks:
        columns, lay = _im2col(x[chunk], g, strategy, buffer)
        out = weights @ columns
        valid = _to_nchw(out.reshape((g.o,) + lay.grid)[:, :, : g.oh, : g.ow])
        if b is None:
            np.copyto(y[chunk], valid)
        else:
            np.add(valid, b[:, None, None], out=y[chunk])
    return y


def _im2col_backward(dy, x, w, g, tuning, strategy):
    dx = np.zeros(x.shape, dtype=dy.dtype)  # input cells no output reads keep a zero gradient
    weights = w.reshape(g.o, g.taps)
    grad_w = np.zeros((g.taps, g.o), dtype=w.dtype)
    batch_chunks, buffer = chunks(g, strategy, x.dtype, tuning)
    for chunk in batch_chunks:
        columns, lay = _im2col(x[chunk], g, strategy, buffer)
        dy_grid = np.empty((g.o,) + lay.grid, dy.dtype)
        if lay.grid[1:3] != (g.oh, g.ow):
            dy_grid[...] = 0  # the thrown-away positions must not contribute
        np.copyto(_to_nchw(dy_grid[:, :, : g.oh, : g.ow]), dy[chunk])
        dy_rows = dy_grid.reshape(g.o, -1)
        # dw's product has a tiny output and a long inner dimension, which BLAS libraries run
        # on one thread or as matrix-vector products: do it in blocks of positions instead.
        for start in range(0, dy_rows.shape[1], tuning.dw_block):
            block = slice(start, start + tuning.dw_block)
            grad_w += columns[:, block] @ dy_rows[:, block].T
        np.matmul(weights.T, dy_rows, out=columns)  # the columns' gradient, in place
        _col2im(columns, g, lay, dx[chunk])
    return dx, np.ascontiguousarray(grad_w.T).reshape(w.shape), _bias_gradient(dy, g)


# ---- the table


class Kernels(NamedTuple):
    """One tuned strategy, on checked arrays of one dtype and their :class:`Geometry`:
    ``forward(x, w, b, g, tuning) -> y`` and ``backward(dy, x, w, g, tuning) -> (dx, dw, db)``."""

    forward: Callable
    backward: Callable


def _im2col_entry(strategy):
    return Kernels(functools.partial(_im2col_forward, strategy=strategy),
                   functools.partial(_im2col_backward, strategy=strategy))


KERNELS = {
    "unrolled": Kernels(_unrolled_forward, _unrolled_backward),
    "im2col-images-outer": _im2col_entry("im2col-images-outer"),
    "im2col-images-inner": _im2col_entry("im2col-images-inner"),
}
"""The tuned strategies by name; :func:`choose` returns one of these names."""
