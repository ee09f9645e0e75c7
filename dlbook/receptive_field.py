r"""Receptive fields: which input pixels a unit of a convolutional network can see.

A unit of layer :math:`l` depends on a rectangle of the input, its *receptive field*. Along one
axis, with layer :math:`l` a window of :math:`k_l` cells, stride :math:`s_l` and dilation
:math:`d_l`, the field size :math:`r` and the *jump* :math:`j` (the distance, in input pixels,
between neighbouring units of the layer) follow the recursion

.. math::

    r_l = r_{l-1} + (k_l - 1)\, d_l\, j_{l-1}, \qquad j_l = j_{l-1}\, s_l, \qquad
    r_0 = j_0 = 1,

and the field of unit :math:`i` starts at input row :math:`a_l + i\, j_l`, with
:math:`a_l = a_{l-1} - p_l\, j_{l-1}` (:math:`p_l` the padding before the first row, so a
field can reach into the zero padding and :math:`a_l` can be negative). Pooling windows count
as kernels with dilation 1; activations and dropout change nothing; a feature of ``Flatten`` is
one unit of the maps before it, and a ``Dense`` unit sees the union of all their fields.

:func:`receptive_field` computes the recursion for a list of :mod:`dlbook.layers` layers (or a
:class:`~dlbook.model.Sequential`); :func:`back_propagated_support` checks it independently, by
back-propagating a one-hot output gradient through the layers' own ``backward`` methods and
reading where ``dx`` is not zero.

>>> from dlbook.layers import Conv2D, MaxPooling2D
>>> rows = receptive_field([Conv2D(8, 3, padding='same'), MaxPooling2D(2),
...                         Conv2D(16, 3, padding='same')], (1, 8, 8))
>>> [(row.size, row.jump, row.start) for row in rows]
[((3, 3), (1, 1), (-1, -1)), ((4, 4), (2, 2), (-1, -1)), ((8, 8), (2, 2), (-3, -3))]
"""

import itertools
from collections import namedtuple

import numpy as np

from dlbook import verify
from dlbook._grading import reader_name, verdict
from dlbook._validation import positive_int, reader_function
from dlbook.functional import resolve_padding
from dlbook.layers import (Activation, AveragePooling2D, Conv2D, Dense, Dropout, Flatten,
                           MaxPooling2D, ZeroPadding2D)

__all__ = ["FieldRow", "receptive_field", "field_bounds", "back_propagated_support",
           "check_receptive_field_size"]

FieldRow = namedtuple("FieldRow", "name output_shape size jump start")
FieldRow.__doc__ = """One layer's receptive field, each entry a (height, width) pair.

``size``: :math:`r_l`, the field of one unit in input pixels; ``jump``: :math:`j_l`, input
pixels between neighbouring units (``None`` for Dense, whose units all see the same field); ``start``:
:math:`a_l`, the input row and column where the field of unit (0, 0) begins (negative when it
reaches into zero padding); ``output_shape``: the layer's per-sample output shape."""

_SPATIAL = (Conv2D, MaxPooling2D, AveragePooling2D, ZeroPadding2D)
_NEUTRAL = (Activation, Dropout)
_FLAT = (Flatten, Dense)


def _layer_list(layers):
    layers = getattr(layers, "layers", layers)
    if not isinstance(layers, (list, tuple)) or not layers:
        raise TypeError("layers: needs a Sequential or a non-empty list of dlbook layers")
    for index, layer in enumerate(layers):
        if not isinstance(layer, _SPATIAL + _NEUTRAL + _FLAT):
            raise TypeError(f"layers: item {index} is {type(layer).__name__}; needs Conv2D, "
                            "MaxPooling2D, AveragePooling2D, ZeroPadding2D, Activation, "
                            "Dropout, Flatten or Dense")
    return list(layers)


def _input_shape(input_shape):
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise TypeError(f"input_shape: got {input_shape!r}; needs (C, H, W), the shape of one "
                        "sample, e.g. (1, 8, 8)")
    return tuple(positive_int(n, "input_shape") for n in input_shape)


def _geometry(layer, shape):
    """``(kernel, stride, dilation, pad_before)`` pairs of a spatial layer on input ``shape``."""
    if isinstance(layer, ZeroPadding2D):
        (top, _), (left, _) = layer.padding
        return (1, 1), (1, 1), (1, 1), (top, left)
    if isinstance(layer, Conv2D):
        kernel, stride, dilation = layer.kernel_size, layer.strides, layer.dilation_rate
    else:
        kernel, dilation = layer.pool_size, (1, 1)
        stride = kernel if layer.strides is None else layer.strides
    pads = resolve_padding(layer.padding, shape[1:], kernel, stride, dilation)
    return kernel, stride, dilation, (pads[0][0], pads[1][0])


def receptive_field(layers, input_shape):
    r"""The receptive field of every layer's units, by the recursion of the module docstring.

    Parameters
    ----------
    layers : Sequential or list of layers
        Conv2D, MaxPooling2D, AveragePooling2D, ZeroPadding2D, Activation, Dropout, Flatten
        and Dense, in order; they need not be built.
    input_shape : (C, H, W)
        The shape of one input sample.

    Returns
    -------
    list of FieldRow
        One per layer: ``size`` :math:`(r_H, r_W)`, ``jump`` :math:`(j_H, j_W)` and ``start``
        :math:`(a_H, a_W)`. The field of unit :math:`(i, j)` spans input rows
        :math:`a_H + i j_H, \dots, a_H + i j_H + r_H - 1` (and likewise columns).
    """
    layers = _layer_list(layers)
    shape = _input_shape(input_shape)
    size, jump, start = (1, 1), (1, 1), (0, 0)
    rows, flat = [], False
    for layer in layers:
        if isinstance(layer, _SPATIAL) and flat:
            raise ValueError(f"layers: {type(layer).__name__} after Flatten has no spatial field")
        try:
            out_shape = tuple(int(n) for n in layer.compute_output_shape(shape))
        except ValueError as error:
            raise ValueError(f"layers: {error}") from None
        if isinstance(layer, _SPATIAL):
            kernel, stride, dilation, before = _geometry(layer, shape)
            size = tuple(r + (k - 1) * d * j for r, k, d, j in zip(size, kernel, dilation, jump))
            start = tuple(a - p * j for a, p, j in zip(start, before, jump))
            jump = tuple(j * s for j, s in zip(jump, stride))
        elif isinstance(layer, Flatten) and not flat:
            flat = shape  # feature k is one unit of these (C, H, W) maps: the same field
        elif isinstance(layer, Dense) and jump is not None:
            if not flat:
                raise ValueError("layers: Dense needs a Flatten before it to have a field")
            # every unit sees the union of the fields of all units of the maps before Flatten
            size = tuple((n - 1) * j + r for n, j, r in zip(flat[1:], jump, size))
            jump = None
        rows.append(FieldRow(layer.name, out_shape, size, jump, start))
        shape = out_shape
    return rows


def _flatten_grid(layers, input_shape, index):
    """The (C, H, W) maps whose units the features of the Flatten at ``index`` are."""
    return ([input_shape] + [row.output_shape for row in receptive_field(layers, input_shape)])[
        index]


def _layer_index(layer, n_layers):
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
        raise TypeError(f"layer: needs an int index into the layers, got {layer!r}")
    if not -n_layers <= layer < n_layers:
        raise ValueError(f"layer: got {layer}; needs an index from 0 to {n_layers - 1}")
    return int(layer) % n_layers


def _unit(unit, out_shape):
    if len(out_shape) == 3:
        if (not isinstance(unit, (tuple, list)) or len(unit) != 2
                or not all(isinstance(u, (int, np.integer)) and not isinstance(u, bool)
                           for u in unit)):
            raise TypeError(f"unit: needs a (row, column) pair of ints, got {unit!r}")
        if not all(0 <= u < n for u, n in zip(unit, out_shape[1:])):
            raise ValueError(f"unit: got {tuple(unit)}; needs a position in the "
                             f"{out_shape[1]}x{out_shape[2]} output map")
        return tuple(int(u) for u in unit)
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)):
        raise TypeError(f"unit: needs an int feature index for a flat output, got {unit!r}")
    if not 0 <= unit < out_shape[0]:
        raise ValueError(f"unit: got {unit}; needs a feature index from 0 to {out_shape[0] - 1}")
    return int(unit)


def field_bounds(layers, input_shape, layer, unit):
    """The input rows and columns ``((top, bottom), (left, right))``, inclusive and clipped to
    the image, that unit ``unit`` (a (row, column) pair, or any feature index after Flatten)
    of ``layers[layer]`` sees, according to :func:`receptive_field`.

    >>> from dlbook.layers import Conv2D
    >>> field_bounds([Conv2D(1, 3, padding='same'), Conv2D(1, 3, padding='same')], (1, 8, 8),
    ...              layer=1, unit=(0, 5))
    ((0, 2), (3, 7))
    """
    rows = receptive_field(layers, input_shape)
    index = _layer_index(layer, len(rows))
    row = rows[index]
    position = _unit(unit, row.output_shape)
    shape = _input_shape(input_shape)
    if row.jump is None:
        position = (0, 0)
    elif len(row.output_shape) == 1:  # a Flatten feature: one unit of the maps before it
        position = np.unravel_index(position, _flatten_grid(layers, shape, index))[1:]
    return tuple((max(a + i * j, 0), min(a + i * j + r - 1, n - 1))
                 for a, i, j, r, n in zip(row.start, position, row.jump or (0, 0), row.size,
                                          shape[1:]))


def _linear_stand_in(layer):
    """A one-channel linear layer of ``layer``'s geometry with all-positive weights, or None."""
    if isinstance(layer, Conv2D):
        return Conv2D(1, layer.kernel_size, strides=layer.strides, padding=layer.padding,
                      dilation_rate=layer.dilation_rate, use_bias=False)
    if isinstance(layer, (MaxPooling2D, AveragePooling2D)):
        return AveragePooling2D(layer.pool_size, strides=layer.strides, padding=layer.padding)
    if isinstance(layer, ZeroPadding2D):
        return ZeroPadding2D(layer.padding)
    if isinstance(layer, Flatten):
        return Flatten()
    if isinstance(layer, Dense):
        return Dense(layer.units, use_bias=False)
    return None  # Activation, Dropout: the identity for the field


def back_propagated_support(layers, input_shape, layer, unit):
    r"""The input pixels on which unit ``unit`` of ``layers[layer]`` depends, found by
    back-propagation: a boolean (H, W) array, True where :math:`\partial y / \partial x \ne 0`.

    The gradient of one input, through ReLU and max pooling, is zero at pixels the unit *could*
    see (a ReLU that is off, a window cell that did not win the max), so it shows only part of
    the field. The field is the union over all inputs, and one pass finds it on a *linear
    stand-in* built from ``layers``' geometry: each Conv2D becomes a one-channel, bias-free,
    activation-free Conv2D of the same kernel size, stride, padding and dilation with all
    weights 1; each pooling an AveragePooling2D of the same window, stride and padding;
    activations and dropout are left out; Dense keeps its units with all weights 1. Every path
    from a pixel to the unit then carries a positive weight, so nothing cancels and ``dx`` is
    non-zero exactly where some path exists. The layers' own ``forward`` (on ones) and
    ``backward`` (of a one-hot ``dy``) compute it.

    Parameters
    ----------
    layers, input_shape : as for :func:`receptive_field`
    layer : int
        Index into ``layers`` of the unit's layer.
    unit : (int, int) or int
        The unit's (row, column) in that layer's output map, or its feature index after
        Flatten.
    """
    layers = _layer_list(layers)
    shape = _input_shape(input_shape)
    index = _layer_index(layer, len(layers))
    rows = receptive_field(layers, shape)
    position = _unit(unit, rows[index].output_shape)
    if isinstance(layers[index], Flatten):  # the stand-in has one channel: keep the position
        grid = _flatten_grid(layers, shape, index)
        position = int(np.ravel_multi_index(np.unravel_index(position, grid)[1:], grid[1:]))
    stand_ins = [s for s in (_linear_stand_in(one) for one in layers[:index + 1]) if s is not None]
    rng = np.random.default_rng(0)
    x = np.ones((1, 1, *shape[1:]))
    for stand_in in stand_ins:
        stand_in.build(x.shape[1:], rng=rng, dtype="float64")
        for p in stand_in.params:
            p.data[...] = 1.0
        x = stand_in.forward(x)
    dy = np.zeros_like(x)
    dy[(0, 0, *position) if x.ndim == 4 else (0, position)] = 1.0
    for stand_in in reversed(stand_ins):
        dy = stand_in.backward(dy)
    return dy[0, 0] != 0


# --------------------------------------------------------------------------------------------
# The exercise: a receptive-field calculator


def _calculator_cases():
    """Stacks of (kernel, stride, dilation) triples: one to four layers, kernels 1-5, strides
    1-3, dilations 1-4."""
    triples = [(3, 1, 1), (2, 2, 1), (5, 1, 1), (3, 2, 1), (3, 1, 2), (1, 3, 1), (2, 3, 1),
               (3, 3, 3), (4, 1, 1), (5, 2, 2)]
    stacks = [[t] for t in triples[:4]]
    stacks += [list(pair) for pair in itertools.islice(itertools.product(triples, repeat=2), 0,
                                                       100, 7)]
    stacks += [list(triple) for triple in itertools.islice(itertools.product(triples, repeat=3),
                                                           5, 1000, 97)]
    stacks += [[(3, 1, 1), (2, 2, 1), (3, 1, 1), (2, 2, 1)], [(3, 2, 1), (3, 1, 2), (3, 1, 4)]]
    return [{"stack": stack} for stack in stacks]


def _stack_layers(stack):
    return [Conv2D(1, k, strides=s, dilation_rate=d) for k, s, d in stack]


def _support_size(stack):
    """The receptive-field size of unit 0 of the stack's last layer, from the recursion AND
    from the back-propagated support (they must agree, or the library is wrong)."""
    layers = _stack_layers(stack)
    size = 1
    for k, s, d in reversed(stack):  # the input a valid stack needs for one output unit
        size = (size - 1) * s + (k - 1) * d + 1
    rows = receptive_field(layers, (1, size, size))
    formula = rows[-1].size[0]
    support = back_propagated_support(layers, (1, size, size), len(layers) - 1, (0, 0))
    hit = np.flatnonzero(support.any(axis=1))
    span = int(hit[-1] - hit[0] + 1)
    if span != formula:
        raise RuntimeError(f"the recursion gives {formula} but the support spans {span} rows "
                           f"for the stack {stack}")
    return np.array(formula)


def check_receptive_field_size(fn):
    """Check ``fn(stack) -> int``: the receptive-field size, in input pixels along one axis,
    of one unit of the last layer of ``stack``, a list of ``(kernel, stride, dilation)``
    triples of int (first layer first).

    Each case's answer is computed twice, by :func:`receptive_field` and by reading the
    support of :func:`back_propagated_support` on a stack of Conv2D layers; the two agree
    before the reader's value is compared with them.

    >>> def size(stack):
    ...     r, j = 1, 1
    ...     for k, s, d in stack:
    ...         r, j = r + (k - 1) * d * j, j * s
    ...     return r
    >>> check_receptive_field_size(size)
    Passed: size agrees with the recursive formula and the back-propagated support on all 32 cases.
    """
    fn = reader_function(fn, "fn")
    cases = _calculator_cases()
    report = verify.run_cases(
        reader_name(fn, "receptive_field_size"), cases,
        lambda case: ([tuple(t) for t in case["stack"]],),
        lambda stack: fn([tuple(t) for t in stack]),
        _support_size, ("size",), atol=0.0)
    return verdict(report, "the recursive formula and the back-propagated support")
