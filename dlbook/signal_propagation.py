r"""Signal propagation: how activations and gradients change in size through a deep stack of
Dense layers, for a given weight scale.

A Dense layer :math:`z = hW` with :math:`n_\text{in}` inputs of mean square :math:`q` and
independent weights of variance :math:`\sigma^2` gives :math:`\operatorname{Var} z =
n_\text{in}\sigma^2 q`. With ReLU, :math:`\mathbb{E}[\operatorname{relu}(z)^2] =
\tfrac12 \operatorname{Var} z`, so the mean square stays put when
:math:`\sigma^2 = 2/n_\text{in}` (He et al., 2015); for tanh near its linear part the forward
and the backward pass both stay put when :math:`\sigma^2 = 2/(n_\text{in} + n_\text{out})`
(Glorot & Bengio, 2010). Any other scale multiplies the signal by a constant factor per layer,
which over many layers makes it vanish or explode.

>>> stack = dense_stack([100] * 21, "relu", kernel_initializer="he_normal", seed=0)
>>> stats = signal_statistics(stack, np.random.default_rng(1).standard_normal((200, 100)))
>>> len(stats.activation_std), bool(0.5 < stats.activation_std[-1] / stats.activation_std[0] < 2)
(20, True)
"""

import numbers
from typing import NamedTuple

import numpy as np

from dlbook._validation import as_float_array, non_negative_int, positive_float, positive_int
from dlbook.layers import Dense
from dlbook.layers.initializers import initializer_name

__all__ = ["initializer_std", "dense_stack", "signal_statistics", "SignalStatistics"]


def initializer_std(name, fan_in, fan_out):
    r"""The standard deviation of the weights that the initializer ``name`` draws.

    ========================== ==================================================
    name                       standard deviation
    ========================== ==================================================
    glorot_uniform, _normal    :math:`\sqrt{2 / (n_\text{in} + n_\text{out})}`
    he_uniform, he_normal      :math:`\sqrt{2 / n_\text{in}}`
    zeros                      0
    ========================== ==================================================

    (A uniform :math:`U(-a, a)` has variance :math:`a^2/3`, so the uniform limits
    :math:`\sqrt{6/\cdot}` of :func:`dlbook.layers.initialize` give these same values.)

    >>> initializer_std("he_normal", 50, 10), initializer_std("glorot_uniform", 3, 5)
    (0.2, 0.5)
    """
    name = initializer_name(name, "name", "initializer_std")
    fan_in = positive_int(fan_in, "fan_in")
    fan_out = positive_int(fan_out, "fan_out")
    if name.startswith("glorot"):
        return float(np.sqrt(2.0 / (fan_in + fan_out)))
    if name.startswith("he"):
        return float(np.sqrt(2.0 / fan_in))
    return 0.0


def _widths(widths):
    if not isinstance(widths, (tuple, list)) or len(widths) < 2:
        raise TypeError(f"widths: needs a list of at least two positive ints (the input width "
                        f"and each layer's units), got {widths!r}")
    return [positive_int(w, "widths") for w in widths]


def _std_of(std, fan_in, fan_out):
    value = std(fan_in, fan_out) if callable(std) else std
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"std: needs a positive number, or a function of (fan_in, fan_out) "
                        f"returning one; got {type(value).__name__} {value!r} for fan_in="
                        f"{fan_in}, fan_out={fan_out}")
    return positive_float(value, "std")


def dense_stack(widths, activation, kernel_initializer="glorot_uniform", std=None, seed=0):
    r"""A list of float64 :class:`~dlbook.layers.Dense` layers ``widths[0] -> widths[1] -> ...``,
    each with ``activation`` and zero biases, built from one generator seeded by ``seed``.

    Parameters
    ----------
    widths : list of int
        The input width, then the units of each layer (so ``len(widths) - 1`` layers).
    activation : str or None
        As for Dense ('relu', 'tanh', 'sigmoid', None).
    kernel_initializer : str
        The library's initializer, used when ``std`` is None.
    std : float or callable, optional
        A weight scale of your own: kernels are :math:`N(0, \sigma^2)` with :math:`\sigma` =
        ``std``, or ``std(fan_in, fan_out)`` for each layer. They are drawn as :math:`\sigma`
        times the generator's standard normals, the same numbers ``'he_normal'`` and
        ``'glorot_normal'`` scale, so two stacks that differ only in the scale see the same
        draws.
    seed : int
    """
    widths = _widths(widths)
    seed = non_negative_int(seed, "seed")
    if std is not None and not callable(std):
        std = positive_float(std, "std")
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        initializer = kernel_initializer if std is None else "zeros"   # zeros draws nothing
        layer = Dense(fan_out, activation=activation, kernel_initializer=initializer)
        layer.build((fan_in,), rng=rng, dtype="float64")
        if std is not None:
            sigma = _std_of(std, fan_in, fan_out)
            layer.set_weights([sigma * rng.standard_normal((fan_in, fan_out)), np.zeros(fan_out)])
        layers.append(layer)
    return layers


class SignalStatistics(NamedTuple):
    """Per-layer statistics of one forward and one backward pass, each of shape (depth,)."""

    #: standard deviation of each layer's output (after the activation) over the batch
    activation_std: np.ndarray
    #: standard deviation of the back-propagated :math:`\partial L / \partial x` at each
    #: layer's input
    gradient_std: np.ndarray
    #: Frobenius norm of :math:`\partial L / \partial W` of each layer's kernel
    kernel_gradient_norm: np.ndarray


def signal_statistics(layers, x, seed=0):
    r"""Run ``x`` forward through ``layers`` and a random gradient back, and measure both.

    The backward pass starts from :math:`\delta \sim N(0, 1)` at the last output, i.e. the
    loss :math:`L = \sum y \odot \delta`, so every number measures what the stack does to a
    signal, not what a particular loss asks of it.

    Parameters
    ----------
    layers : list of Dense
        E.g. from :func:`dense_stack`.
    x : array, shape (N, widths[0])
    seed : int
        Seeds :math:`\delta`.

    Returns
    -------
    SignalStatistics
        ``activation_std``, ``gradient_std`` and ``kernel_gradient_norm``, shape (len(layers),).
    """
    if not isinstance(layers, (list, tuple)) or not layers or \
            not all(isinstance(layer, Dense) for layer in layers):
        raise TypeError(f"layers: needs a non-empty list of Dense layers, got {layers!r}")
    x = as_float_array(x, "x")
    if x.ndim != 2:
        raise ValueError(f"x: needs shape (N, features), got shape {x.shape}")
    seed = non_negative_int(seed, "seed")
    h, stds = x, []
    for layer in layers:
        h = layer.forward(h)
        stds.append(float(np.std(h)))
    dy = np.random.default_rng(seed).standard_normal(h.shape)
    gradient_stds, norms = [], []
    for layer in reversed(layers):
        dy = layer.backward(dy)
        gradient_stds.append(float(np.std(dy)))
        norms.append(float(np.linalg.norm(layer.kernel.grad)))
    return SignalStatistics(np.array(stds), np.array(gradient_stds[::-1]), np.array(norms[::-1]))
