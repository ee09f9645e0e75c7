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
    array = np.asarray(x)
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
