"""Initial weights by name: Glorot (Xavier) and He, uniform or normal, and zeros."""

import numpy as np

from dlbook._validation import float_dtype, positive_int


def _glorot_uniform(shape, fan_in, fan_out, rng):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


def _glorot_normal(shape, fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def _he_uniform(shape, fan_in, fan_out, rng):
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape)


def _he_normal(shape, fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)


def _zeros(shape, fan_in, fan_out, rng):
    return np.zeros(shape)


#: name -> function(shape, fan_in, fan_out, rng) returning float64 values.
INITIALIZERS = {
    "glorot_uniform": _glorot_uniform,
    "glorot_normal": _glorot_normal,
    "he_uniform": _he_uniform,
    "he_normal": _he_normal,
    "zeros": _zeros,
}


def initializer_name(value, argument, where):
    """Normalise an initializer argument to a key of :data:`INITIALIZERS` (lower case).

    >>> initializer_name("He_Normal", "kernel_initializer", "Dense layer 'dense'")
    'he_normal'
    """
    if not isinstance(value, str) or value.lower() not in INITIALIZERS:
        known = ", ".join(repr(n) for n in INITIALIZERS)
        raise ValueError(f"{where}: {argument} needs one of {known}, got {value!r}")
    return value.lower()


def initialize(name, shape, fan_in, fan_out, rng, dtype=np.float32):
    r"""Initial weights of ``shape`` drawn from ``rng`` by the initializer ``name``.

    ============== ===============================================================
    name           distribution
    ============== ===============================================================
    glorot_uniform :math:`U(-a, a)`, :math:`a = \sqrt{6 / (n_\text{in} + n_\text{out})}`
    glorot_normal  :math:`N(0, \sigma^2)`, :math:`\sigma = \sqrt{2 / (n_\text{in} + n_\text{out})}`
    he_uniform     :math:`U(-a, a)`, :math:`a = \sqrt{6 / n_\text{in}}`
    he_normal      :math:`N(0, \sigma^2)`, :math:`\sigma = \sqrt{2 / n_\text{in}}`
    zeros          0
    ============== ===============================================================

    (Glorot & Bengio, 2010; He et al., 2015.) For a Conv2D kernel (O, C, KH, KW),
    :math:`n_\text{in} = C K_H K_W` and :math:`n_\text{out} = O K_H K_W`; for a Dense kernel
    (in, units), :math:`n_\text{in}` = in and :math:`n_\text{out}` = units. The normal variants
    are plain (not truncated) normals. Values are drawn in float64 and then cast, so a float32
    and a float64 model built from the same seed start from the same weights up to rounding.

    Examples
    --------
    >>> w = initialize("glorot_uniform", (4, 3), 4, 3, np.random.default_rng(0))
    >>> w.dtype, bool(np.abs(w).max() <= np.sqrt(6 / 7))
    (dtype('float32'), True)
    """
    name = initializer_name(name, "name", "initialize")
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"initialize: shape: needs a tuple of positive ints, got {shape!r}")
    shape = tuple(positive_int(size, "initialize: shape") for size in shape)
    fan_in = positive_int(fan_in, "initialize: fan_in")
    fan_out = positive_int(fan_out, "initialize: fan_out")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"initialize: rng: needs a numpy.random.Generator, got {rng!r}")
    dtype = float_dtype(dtype, "initialize: dtype")
    return INITIALIZERS[name](shape, fan_in, fan_out, rng).astype(dtype)

