"""The sizes of one convolution (:class:`Geometry`) and the constants of the tuned conv2d
strategies (:class:`Tuning`), with the checks of both.

:func:`geometry` checks shapes, stride, padding widths and dilation and derives the output
size; :func:`check_tuning` checks a :class:`Tuning`. The underscored twins take checked values,
for the dispatcher of :mod:`dlbook.functional._conv_fast`, which checks once per call.
"""

from collections import namedtuple
from typing import NamedTuple

from dlbook._validation import (check_window_fits, non_negative_int, positive_int,
                                positive_int_pair, positive_int_tuple)


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
    """The :class:`Geometry` of shapes ``x_shape`` (N, C, H, W) and ``w_shape`` (O, C, KH, KW),
    ``stride`` and ``dilation`` pairs and ``pads = ((top, bottom), (left, right))``; the output
    is :math:`\\lfloor (H + \\text{top} + \\text{bottom} - d_H (K_H - 1) - 1) / s_H \\rfloor + 1`
    rows, likewise columns.

    >>> geometry((2, 3, 8, 8), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)).oh
    8
    """
    x_shape = positive_int_tuple(x_shape, 4, "x_shape")
    w_shape = positive_int_tuple(w_shape, 4, "w_shape")
    if w_shape[1] != x_shape[1]:
        raise ValueError(f"w_shape: needs {x_shape[1]} input channels like x_shape {x_shape}, "
                         f"got {w_shape}")
    stride, dilation = positive_int_pair(stride, "stride"), positive_int_pair(dilation, "dilation")
    if not (isinstance(pads, (tuple, list)) and len(pads) == 2
            and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pads)):
        raise TypeError(f"pads: needs ((top, bottom), (left, right)), got {pads!r}")
    pads = tuple(tuple(non_negative_int(p, "pads") for p in pair) for pair in pads)
    check_window_fits(x_shape[2:], pads, w_shape[2:], dilation, "w_shape: kernel",
                      f"x_shape {x_shape}, pads {pads}")
    return _geometry(x_shape, w_shape, stride, pads, dilation)


def _geometry(x_shape, w_shape, stride, pads, dilation):
    """:func:`geometry` of checked arguments."""
    (top, bottom), (left, right) = pads
    out = [
        (size + sum(p) - d * (k - 1) - 1) // s + 1
        for size, k, s, p, d in zip(x_shape[2:], w_shape[2:], stride, pads, dilation)
    ]
    return Geometry(*x_shape, w_shape[0], *w_shape[2:], *stride, *dilation,
                    top, bottom, left, right, *out)


def _check_geometry(g):
    """``g`` if it is a :class:`Geometry` whose output size follows from its other fields."""
    if not isinstance(g, Geometry):
        raise TypeError(f"g: needs a Geometry (from geometry()), got {type(g).__name__}")
    rebuilt = geometry((g.n, g.c, g.h, g.w), (g.o, g.c, g.kh, g.kw), (g.sh, g.sw),
                       ((g.top, g.bottom), (g.left, g.right)), (g.dh, g.dw))
    if rebuilt != g:
        raise ValueError(f"g: needs the output size {(rebuilt.oh, rebuilt.ow)} that its other "
                         f"fields give, got {(g.oh, g.ow)}")
    return g


def check_tuning(tuning):
    """``tuning`` if it is a :class:`Tuning` of integers: ``column_budget_bytes`` and
    ``dw_block`` > 0, the thresholds of :func:`choose` >= 0 (0 turns a rule off).

    >>> check_tuning(TUNING._replace(unrolled_max_entries=0)).unrolled_max_entries
    0
    """
    if tuning is TUNING:
        return tuning
    if not isinstance(tuning, Tuning):
        raise TypeError(f"tuning: needs a Tuning (such as TUNING._replace(...)), got "
                        f"{type(tuning).__name__}")
    for field, value in zip(tuning._fields, tuning):
        check = positive_int if field in ("column_budget_bytes", "dw_block") else non_negative_int
        check(value, f"tuning.{field}")
    return tuning
