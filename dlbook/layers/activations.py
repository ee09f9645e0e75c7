"""Activations by name, as the layers take them: 'relu', 'sigmoid', 'tanh', 'softmax' or None.

``'softmax'`` normalises along axis 1, the channel (feature) axis of an NCHW or (N, K) array;
``None`` and ``'linear'`` are the identity.
"""

from dlbook.functional import activations as F


def _softmax_channels(x):
    return F.softmax(x, axis=1)


def _softmax_channels_backward(dy, x):
    return F.softmax_backward(dy, x, axis=1)


#: name -> (function, backward(dy, x)); the backward takes the activation's INPUT.
ACTIVATIONS = {
    "relu": (F.relu, F.relu_backward),
    "sigmoid": (F.sigmoid, F.sigmoid_backward),
    "tanh": (F.tanh, F.tanh_backward),
    "softmax": (_softmax_channels, _softmax_channels_backward),
}


def activation_name(value, where):
    """Normalise an activation argument: a known name (lower case), or None for the identity.

    >>> activation_name("ReLU", "Dense layer 'dense'"), activation_name("linear", "")
    ('relu', None)
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(
            f"{where}: activation needs a name such as 'relu' or None, got {value!r}"
        )
    name = value.lower()
    if name == "linear":
        return None
    if name not in ACTIVATIONS:
        known = ", ".join(repr(n) for n in [*ACTIVATIONS, "linear", None])
        raise ValueError(f"{where}: unknown activation {value!r}; choose one of {known}")
    return name


def activate(name, z):
    r""":math:`y = f(z)` for the activation ``name`` (``z`` itself for None).

    >>> import numpy as np
    >>> activate("relu", np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    return z if name is None else ACTIVATIONS[name][0](z)


def activate_backward(name, dy, z):
    r""":math:`\partial L / \partial z` from :math:`\delta = \partial L / \partial y` and the
    activation's input ``z`` (``dy`` itself for None); same shape as ``z``.

    >>> import numpy as np
    >>> activate_backward("relu", np.array([5.0, 5.0]), np.array([-1.0, 2.0]))
    array([0., 5.])
    """
    return dy if name is None else ACTIVATIONS[name][1](dy, z)
