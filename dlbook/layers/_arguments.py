"""Argument helpers the layers share: per-sample shapes, paddings, errors that name the layer."""

import numbers

import numpy as np

from dlbook._validation import positive_int
from dlbook.functional import resolve_padding


def in_layer(where, check, *args):
    """Return ``check(*args)``; a TypeError or ValueError it raises gets ``where`` in front.

    ``where`` names the layer (``"Dense layer 'dense'"``) and ``check`` is one of
    :mod:`dlbook._validation`'s checks, so the message reads *layer: argument: needs, got*.

    Examples
    --------
    >>> in_layer("Dense layer 'dense'", positive_int, 4, "units")
    4
    >>> in_layer("Dense layer 'dense'", positive_int, 0, "units")
    Traceback (most recent call last):
    ...
    ValueError: Dense layer 'dense': units: needs a positive integer, got 0
    """
    try:
        return check(*args)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{where}: {error}") from None


def shape_tuple(value, argument, where):
    """A per-sample shape: a tuple of positive ints (the batch dimension excluded).

    >>> shape_tuple([1, 8, 8], "input_shape", "Conv2D layer 'conv2d'")
    (1, 8, 8)
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    message = (f"{where}: {argument} needs a tuple of positive ints without the batch "
               f"dimension, e.g. (1, 8, 8), got {value!r}")
    if not isinstance(value, (tuple, list)) or len(value) == 0:
        raise TypeError(message)
    try:
        return tuple(positive_int(v, argument) for v in value)
    except (TypeError, ValueError) as error:
        raise type(error)(message) from None


def padding_argument(value, where):
    """Check a layer's ``padding`` ('valid', 'same' in any case, an int >= 0, a pair or two
    pairs ``((top, bottom), (left, right))``) and return it JSON-friendly.

    >>> padding_argument("SAME", "Conv2D layer 'conv2d'"), padding_argument([1, 0], "")
    ('same', (1, 0))
    >>> padding_argument([[1, 2], [0, 1]], "")
    ((1, 2), (0, 1))
    """
    pads = in_layer(where, resolve_padding, value, (1, 1), (1, 1), (1, 1))
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, (tuple, list)):
        if isinstance(value[0], (tuple, list)):
            return pads
        return tuple(int(v) for v in value)
    return int(value)


def jsonable(value):
    """Tuples become lists and numpy scalars Python numbers (for the JSON of ``get_config``).

    >>> jsonable((np.int64(3), (1, 2)))
    [3, [1, 2]]
    """
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def shape_str(shape):
    """A per-sample shape as Keras prints it, with ``None`` for the batch: ``(None, 1, 8, 8)``."""
    return str((None, *shape))


def read_only(array):
    """A read-only view of ``array``: what a layer returns when its output (or gradient) is
    its argument unchanged, so that the result is never a writable alias of the argument.

    >>> x = np.zeros(3)
    >>> view = read_only(x)
    >>> view is x, np.shares_memory(view, x), view.flags.writeable, x.flags.writeable
    (False, True, False, True)
    """
    view = array.view()
    view.flags.writeable = False
    return view
