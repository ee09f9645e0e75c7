"""Argument checks shared by the kernels, layers and optimizers: fail early, name the argument."""

import numbers

import numpy as np


def as_float_array(x, name):
    """Return ``x`` as a floating ndarray, rejecting complex, object, bool and string input.

    float32 and float64 arrays keep their dtype; integers become float64. Other floating types
    are rejected with a TypeError: float16 overflows at 65504 in the intermediate sums of the
    kernels (a squared error, a window's sum) where the result itself would be representable,
    and numpy's BLAS has no float16 or extended-precision matrix product, so the library
    computes in float32 or float64 only; cast with ``x.astype(np.float32)``.
    """
    array = as_array(x, name)
    kind = array.dtype.kind
    if kind == "c":
        raise TypeError(f"{name}: complex input is not supported, got dtype {array.dtype}")
    if kind not in "fiu":
        raise TypeError(f"{name}: needs a real numeric array, got dtype {array.dtype}")
    if kind != "f":
        return array.astype(np.float64)
    if array.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{name}: needs float32 or float64 values (integers become float64), got dtype "
            f"{array.dtype}; cast it with .astype(np.float32)"
        )
    return array


def check_ndim(array, ndim, name, layout=""):
    """Raise ValueError unless ``array.ndim == ndim``."""
    if array.ndim != ndim:
        hint = f" {layout}" if layout else ""
        raise ValueError(f"{name}: needs a {ndim}-D array{hint}, got shape {array.shape}")


def check_shape(array, shape, name):
    """Raise ValueError unless ``array.shape == shape``."""
    if tuple(array.shape) != tuple(shape):
        raise ValueError(f"{name}: needs shape {tuple(shape)}, got shape {tuple(array.shape)}")


def positive_int(value, name):
    """Return ``value`` as an int, requiring an integer > 0 (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: needs a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name}: needs a positive integer, got {value!r}")
    return int(value)


def positive_int_pair(value, name):
    """Return ``(a, b)`` from an int or a pair of ints, each > 0."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name}: needs an int or a pair of ints, got {value!r}")
        return positive_int(value[0], name), positive_int(value[1], name)
    return (positive_int(value, name),) * 2


def positive_float(value, name, allow_zero=False):
    """Return ``value`` as a float, requiring a finite real > 0 (>= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: needs a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: needs a finite number {bound}, got {value!r}")
    return value


def float_dtype(value, name="dtype"):
    """Return ``np.dtype(value)``, requiring float32 or float64."""
    try:
        dtype = np.dtype(value)
    except TypeError as error:
        raise TypeError(f"{name}: needs 'float32' or 'float64', got {value!r}") from error
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"{name}: needs 'float32' or 'float64', got {dtype}")
    return dtype


def non_negative_int(value, name):
    """Return ``value`` as an int, requiring an integer >= 0 (bools are rejected)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: needs a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name}: needs a non-negative integer, got {value!r}")
    return int(value)


def optional_seed(value, name="seed"):
    """Return None or ``value`` as a non-negative int (a seed for ``np.random.default_rng``)."""
    return None if value is None else non_negative_int(value, name)


def fraction(value, name, low_open=False):
    """Return ``value`` as a float in [0, 1) (in (0, 1) with ``low_open``); bools are rejected."""
    interval = "(0, 1)" if low_open else "[0, 1)"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: needs a real number in {interval}, got {value!r}")
    value = float(value)
    if not (0.0 < value < 1.0 if low_open else 0.0 <= value < 1.0):
        raise ValueError(f"{name}: needs a number in {interval}, got {value!r}")
    return value


def boolean(value, name):
    """Return ``value`` as a bool, requiring True or False (a string or 0/1 is rejected)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: needs True or False, got {value!r}")
    return bool(value)


def check_window_fits(input_hw, pads, window_hw, dilation_hw, name, context):
    """Raise ValueError unless each (dilated) window fits in the padded input.

    ``input_hw``, ``window_hw`` and ``dilation_hw`` are (height, width) pairs, ``pads`` is
    ``((top, bottom), (left, right))``; ``name`` names the window argument ("w: kernel",
    "pool_size: window", ...) and ``context`` is appended in parentheses (the shapes involved).
    """
    for axis, side in enumerate(("height", "width")):
        padded = input_hw[axis] + sum(pads[axis])
        window = window_hw[axis]
        effective = dilation_hw[axis] * (window - 1) + 1
        dilated = f" (dilated to {effective})" if effective != window else ""
        if effective > padded:
            raise ValueError(
                f"{name} {side} {window}{dilated} is larger than the padded input {side} "
                f"{padded} ({context})"
            )


def as_array(value, name):
    """Return ``np.asarray(value)``; a ragged or unconvertible ``value`` is a ValueError that
    names the argument (instead of numpy's "inhomogeneous shape").

    >>> as_array([[1, 2], [3]], "x")
    Traceback (most recent call last):
    ...
    ValueError: x: needs a rectangular array of numbers, got a ragged or unconvertible list
    """
    try:
        return np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(
            f"{name}: needs a rectangular array of numbers, got a ragged or unconvertible "
            f"{type(value).__name__}"
        ) from None


def axis_index(value, ndim, name="axis"):
    """Return ``value`` in [0, ndim): an axis of an ``ndim``-D array, given as an int in
    [-ndim, ndim) (bools, floats and tuples are rejected)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: needs an int in [-{ndim}, {ndim}), got {value!r}")
    if not -ndim <= value < ndim:
        raise ValueError(
            f"{name}: needs an int in [-{ndim}, {ndim}) for a {ndim}-D array, got {value!r}"
        )
    return int(value) % ndim


def random_generator_argument(value, name="rng"):
    """Check a source of randomness for ``np.random.default_rng``: None, a seed (int >= 0), a
    ``numpy.random.Generator``, ``BitGenerator`` or ``SeedSequence``; returned unchanged."""
    if value is None or isinstance(
        value, (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)
    ):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name}: needs None, a seed (an int >= 0) or a numpy.random.Generator, got {value!r}"
        )
    return non_negative_int(value, name)


def weight_list(weights, shapes, name="weights"):
    """Check a list of arrays against the parameter ``shapes``, all before anything is written;
    return the arrays as float ndarrays, in order.

    Needs a list or tuple (``get_weights()``'s list) of exactly ``len(shapes)`` real arrays,
    ``weights[i]`` of shape ``shapes[i]``.

    >>> [w.shape for w in weight_list([np.zeros((2, 3)), [0, 1, 2]], [(2, 3), (3,)])]
    [(2, 3), (3,)]
    """
    if not isinstance(weights, (list, tuple)):
        raise TypeError(
            f"{name}: needs a list of arrays (as get_weights() returns), got "
            f"{type(weights).__name__}"
        )
    if len(weights) != len(shapes):
        raise ValueError(f"{name}: needs {len(shapes)} arrays, got {len(weights)}")
    arrays = []
    for index, (weight, shape) in enumerate(zip(weights, shapes)):
        array = as_float_array(weight, f"{name}[{index}]")
        check_shape(array, shape, f"{name}[{index}]")
        arrays.append(array)
    return arrays


def check_finite(array, name, non_negative=False):
    """Raise ValueError unless every element of ``array`` is finite (and >= 0 with
    ``non_negative``), naming the first element that is not; return ``array``."""
    bad = ~np.isfinite(array) | (array < 0) if non_negative else ~np.isfinite(array)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        needs = "finite, non-negative values" if non_negative else "finite values"
        raise ValueError(f"{name}: needs {needs}, got {array[index].item()!r} at index {index}")
    return array


def non_negative_float(value, name):
    """Return ``value`` as a float, requiring a finite real >= 0 (bools are rejected)."""
    return positive_float(value, name, allow_zero=True)


def reader_function(value, name):
    """Return ``value``, requiring something callable (a reader's function for a check)."""
    if not callable(value):
        raise TypeError(f"{name}: needs a function, got {type(value).__name__} {value!r}")
    return value


def one_of(value, options, name):
    """Return ``value``, requiring one of the strings ``options`` (TypeError for a non-string)."""
    if not isinstance(value, str):
        raise TypeError(f"{name}: needs one of {sorted(options)}, got {value!r}")
    if value not in options:
        raise ValueError(f"{name}: needs one of {sorted(options)}, got {value!r}")
    return value


def positive_int_tuple(value, length, name):
    """Return ``value`` as a tuple of ``length`` ints, each > 0 (a shape; bools are rejected)."""
    if not isinstance(value, (tuple, list)) or len(value) != length:
        raise TypeError(f"{name}: needs a tuple of {length} positive integers, got {value!r}")
    for item in value:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Integral):
            raise TypeError(f"{name}: needs {length} positive integers, got {value!r}")
        if item <= 0:
            raise ValueError(f"{name}: needs {length} positive integers, got {value!r}")
    return tuple(int(item) for item in value)
