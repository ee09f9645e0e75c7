"""The tuned conv2d strategies, the table of them, and the rules that choose one for a shape.

:func:`dlbook.functional.conv2d` checks its arguments, then runs one strategy of
:data:`KERNELS` on the checked arrays; :func:`choose` says which. Each computes the numbers of
the readable path :func:`dlbook.functional.conv.conv2d_im2col` (a column matrix and one matrix
product), with fewer and longer copies: ``'im2col-images-outer'`` and ``'im2col-images-inner'``
order the column matrix so that each kernel tap is one long slice of the batch, in chunks of
the batch; ``'unrolled'`` (:mod:`dlbook.functional._conv_unrolled`) writes the whole convolution as one
matrix for tiny images. The comment above each strategy's code tells how.

Non-finite values: the im2col strategies are exact, with NaN and +-inf where the loops of
:mod:`dlbook.functional.reference` put them; ``'unrolled'`` is exact for finite values only, so
the dispatcher gives non-finite arrays to an im2col strategy when it chooses, and refuses them
with a ValueError when ``'unrolled'`` is asked for by name. Public functions check their
arguments; the underscored twins that the dispatcher calls take checked ones.
"""

import functools
import math
from typing import Callable, NamedTuple

import numpy as np

from dlbook._validation import boolean, float_dtype
from dlbook.functional import _conv_unrolled
from dlbook.functional._conv_geometry import (TUNING, Geometry, Tuning, _check_geometry,
                                              check_tuning, geometry)

__all__ = ["KERNELS", "TUNING", "Geometry", "Kernels", "Tuning", "check_tuning", "choose",
           "chunks", "column_entries_per_image", "geometry"]


def choose(g, tuning=TUNING, finite=True):
    """Name of the strategy of :data:`KERNELS` for the :class:`Geometry` ``g``; with
    ``finite=False`` (an array holds a NaN or an infinity) only an exact one for them.

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

    ``'unrolled'`` is skipped when ``finite`` is False: it is exact for finite values only.

    >>> choose(geometry((128, 16, 4, 4), (32, 16, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)))
    'unrolled'
    """
    return _choose(_check_geometry(g), check_tuning(tuning), boolean(finite, "finite"))


def _choose(g, tuning=TUNING, finite=True):
    """:func:`choose` of checked arguments."""
    outputs = g.o * g.oh * g.ow
    entries = outputs * g.c * g.h * g.w
    waste = entries / (outputs * g.taps)
    if (finite and entries <= tuning.unrolled_max_entries
            and g.n * tuning.unrolled_batch_factor >= entries * waste):
        return "unrolled"
    rows, cols = _layout(g, "im2col-images-outer", 1).plane
    costly_waste = (rows * cols / (g.oh * g.ow) - 1) * g.taps > g.c + g.o
    inner_run = g.ow * g.n if g.sw == 1 else g.n  # contiguous values per copied piece
    if (costly_waste or g.ow <= tuning.short_row) and inner_run >= tuning.short_row * 4:
        return "im2col-images-inner"
    return "im2col-images-outer"


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


def _check_strategy(strategy):
    if strategy not in ("im2col-images-outer", "im2col-images-inner"):
        raise ValueError(f"strategy: needs 'im2col-images-outer' or 'im2col-images-inner', "
                         f"got {strategy!r}")
    return strategy


def column_entries_per_image(g, strategy):
    """Entries of the column matrix of one image (thrown-away positions included):
    ``C*KH*KW`` rows times the positions of the strategy's grid.

    >>> g = geometry((2, 3, 8, 8), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1))
    >>> column_entries_per_image(g, "im2col-images-inner"), column_entries_per_image(g, "im2col-images-outer")
    (1728, 2700)
    """
    return _column_entries(_check_geometry(g), _check_strategy(strategy))


def _column_entries(g, strategy):
    return g.taps * math.prod(_layout(g, strategy, 1).grid)


def chunks(g, strategy, dtype, tuning):
    """Slices of the batch, each small enough that its column matrix fits in
    ``tuning.column_budget_bytes`` (at least one image), and a buffer for the largest column
    matrix, which every chunk reuses; ``dtype`` is float32 or float64.

    >>> g = geometry((5, 3, 8, 8), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1))
    >>> chunks(g, "im2col-images-inner", "float64", TUNING._replace(column_budget_bytes=30000))[0]
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    return _chunks(_check_geometry(g), _check_strategy(strategy), float_dtype(dtype),
                   check_tuning(tuning))


def _chunks(g, strategy, dtype, tuning):
    per_image = _column_entries(g, strategy)
    budget = tuning.column_budget_bytes
    step = int(min(g.n, max(1, budget // (per_image * np.dtype(dtype).itemsize))))
    slices = [slice(start, min(start + step, g.n)) for start in range(0, g.n, step)]
    return slices, np.empty(per_image * step, dtype)


def _finite(*arrays):
    """True when no array holds a NaN or an infinity: the dot product of each with itself,
    NaN or infinite if any value is (one BLAS pass, faster than ``np.isfinite(a).all()``; a
    sum of squares that overflows says False too, which only sends the call to an exact
    strategy)."""
    for array in arrays:
        flat = array.reshape(-1)
        if not math.isfinite(np.dot(flat, flat)):
            return False
    return True


def _zero_thrown_away(columns, g, lay):
    """Zero the thrown-away positions of a (taps, n*R*S) images-outer column matrix, so that
    no ``0 * inf`` of theirs reaches ``dw`` or ``dx``."""
    grid = columns.reshape((g.taps,) + lay.grid[:3])
    grid[:, :, g.oh :] = 0
    grid[:, :, : g.oh, g.ow :] = 0


def _im2col_forward(x, w, b, g, tuning, strategy):
    y = np.empty((g.n, g.o, g.oh, g.ow), dtype=x.dtype)
    weights = w.reshape(g.o, g.taps)
    batch_chunks, buffer = _chunks(g, strategy, x.dtype, tuning)
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
    batch_chunks, buffer = _chunks(g, strategy, x.dtype, tuning)
    # Thrown-away positions read real cells and meet a zero dy: with a non-finite x or w their
    # 0 * inf would poison dw or dx, so they are zeroed first.
    thrown_away = _layout(g, strategy, 1).grid[1:3] != (g.oh, g.ow) and not _finite(x, w)
    for chunk in batch_chunks:
        columns, lay = _im2col(x[chunk], g, strategy, buffer)
        if thrown_away:
            _zero_thrown_away(columns, g, lay)
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
        if thrown_away:
            _zero_thrown_away(columns, g, lay)
        _col2im(columns, g, lay, dx[chunk])
    return dx, np.ascontiguousarray(grad_w.T).reshape(w.shape), _bias_gradient(dy, g)


# ---- the table


class Kernels(NamedTuple):
    """One tuned strategy, on checked arrays of one dtype and their :class:`Geometry`:
    ``forward(x, w, b, g, tuning) -> y`` and ``backward(dy, x, w, g, tuning) -> (dx, dw, db)``;
    ``finite_only`` says that it is exact for finite arrays only, so :func:`_run` never gives
    it a NaN or an infinity."""

    forward: Callable
    backward: Callable
    finite_only: bool = False


def _im2col_entry(strategy):
    return Kernels(functools.partial(_im2col_forward, strategy=strategy),
                   functools.partial(_im2col_backward, strategy=strategy))


KERNELS = {
    "unrolled": Kernels(_conv_unrolled.forward, _conv_unrolled.backward, finite_only=True),
    "im2col-images-outer": _im2col_entry("im2col-images-outer"),
    "im2col-images-inner": _im2col_entry("im2col-images-inner"),
}
"""The tuned strategies by name; :func:`choose` returns one of these names."""


def _run(name, g, tuning, arrays):
    """The :class:`Kernels` to run on the checked ``arrays`` (a dict, name to array) of
    geometry ``g``: strategy ``name``, or with ``name=None`` the one :func:`choose` picks,
    which is an exact one when an array holds a NaN or an infinity. A ``finite_only`` strategy
    asked for by name refuses such arrays with a ValueError."""
    if name is None:
        name = _choose(g, tuning)
        if KERNELS[name].finite_only and not _finite(*arrays.values()):
            name = _choose(g, tuning, finite=False)
        return KERNELS[name]
    if name not in KERNELS:
        raise ValueError(f"name: needs one of {sorted(KERNELS)}, got {name!r}")
    if KERNELS[name].finite_only:
        for label, array in arrays.items():
            if not _finite(array):
                raise ValueError(f"{label}: strategy {name!r} is exact for finite values only, "
                                 "got NaN or infinity; conv2d and conv2d_backward choose an "
                                 "exact strategy for them")
    return KERNELS[name]
