"""The tuned conv2d strategy ``'unrolled'``: the whole convolution as one matrix, for tiny
images in big batches.

Its matrix holds structural zeros (an output row is zero wherever its window does not reach),
and it leaves out the products with padded cells, so it is exact for finite values only:
``0 * inf`` would put a NaN where the loops of :mod:`dlbook.functional.reference` have none,
and an infinite weight against a padded zero would lose the NaN they have. The dispatcher of
:mod:`dlbook.functional._conv_fast` never runs it on a non-finite ``x``, ``w`` or ``dy``
(``Kernels.finite_only``).
"""

import functools

import numpy as np

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


def forward(x, w, b, g, tuning):
    """``y`` (N, O, OH, OW) of checked, finite ``x`` (N, C, H, W) and ``w`` (O, C, KH, KW) with
    bias ``b`` (O,) or None: ``y[n].ravel() = U @ x[n]`` in channels-last rows, plus ``b``."""
    y = (_channels_last_rows(x) @ _unrolled_matrix(w, g).T).reshape(g.n, g.o, g.oh, g.ow)
    if b is not None:
        y += b[:, None, None]
    return y


def backward(dy, x, w, g, tuning):
    """``(dx, dw, db)`` of checked, finite arrays: ``dx[n] = U.T @ dy[n]`` (channels last), and
    ``dw`` the gradient of every entry of ``U`` summed over the entries holding one weight."""
    dx = np.empty(x.shape, dtype=dy.dtype)
    dy_rows = dy.reshape(g.n, -1)
    grad_rows = dy_rows @ _unrolled_matrix(w, g)
    np.copyto(dx.reshape(g.n, g.c, -1), grad_rows.reshape(g.n, -1, g.c).transpose(0, 2, 1))
    # The gradient of every entry of U, summed over the entries that hold the same weight.
    grad_matrix = (dy_rows.T @ _channels_last_rows(x)).reshape(g.o, -1, g.c)
    grad_blocks = np.matmul(_tap_selector(g._replace(n=0), w.dtype), grad_matrix)
    grad_w = grad_blocks.reshape(g.o, g.kh, g.kw, g.c).transpose(0, 3, 1, 2)
    grad_b = (np.ones(g.n, dy.dtype) @ dy.reshape(g.n, -1)).reshape(g.o, -1).sum(axis=1)
    return dx, np.ascontiguousarray(grad_w), grad_b
