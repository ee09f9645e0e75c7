r"""Layers with Keras names and arguments, on NCHW arrays: Conv2D, pooling, Dense, Flatten, ...

Every layer has the same small interface:

- ``forward(x, training=False) -> y`` computes the output of a batch and caches, as named
  attributes, what the backward pass needs (``inputs``, ``pre_activation``, ``mask``, ...);
- ``backward(dy) -> dx`` takes :math:`\partial L / \partial y` and returns
  :math:`\partial L / \partial x`, a new array or a read-only reshaped view; it never writes into
  ``dy``. It *overwrites* (does not accumulate into) the ``.grad`` of the layer's parameters;
- ``params`` is the list of the layer's :class:`~dlbook.Parameter` objects (empty for layers
  without weights); ``kernel`` and ``bias`` name them for :class:`Conv2D` and :class:`Dense`.

Shapes exclude the batch dimension, Keras style, but in CHW order: ``input_shape=(1, 8, 8)`` is
one channel of 8x8 pixels. A layer is *built* (its weights created) either by
``layer.build(input_shape, rng, dtype)`` -- what :class:`~dlbook.model.Sequential` does, with one
generator for the whole model -- or lazily by its first ``forward``, from the shape and dtype of
that input (integers count as float64) and a fresh unseeded generator.

Dtype. A built layer computes in the dtype of its weights (float32 by default, float64 for
gradient checks) and casts its input to it, as Keras does; a float32 input to a float32 layer is
not copied.

Activations are given by name: ``'relu'``, ``'sigmoid'``, ``'tanh'``, ``'softmax'`` or ``None``
(also ``'linear'``), applied after the affine part of :class:`Conv2D` and :class:`Dense`.
``'softmax'`` normalises along axis 1, the channel (feature) axis of an NCHW or (N, K) array.
"""

import numbers

import numpy as np

from dlbook._validation import as_float_array, float_dtype, positive_int, positive_int_pair
from dlbook.functional import (
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    conv_output_size,
    max_pool2d,
    max_pool2d_backward,
    relu,
    relu_backward,
    resolve_padding,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
    tanh,
    tanh_backward,
)
from dlbook.functional.pool import pool_geometry
from dlbook.parameter import Parameter

__all__ = [
    "Layer",
    "Conv2D",
    "MaxPooling2D",
    "AveragePooling2D",
    "Dense",
    "Flatten",
    "Activation",
    "Dropout",
    "ACTIVATIONS",
    "INITIALIZERS",
    "initialize",
    "serialize",
    "deserialize",
]


# ---------------------------------------------------------------------------------------------
# Activations by name


def _softmax_channels(x):
    return softmax(x, axis=1)


def _softmax_channels_backward(dy, x):
    return softmax_backward(dy, x, axis=1)


#: name -> (function, backward(dy, x)); the backward takes the activation's INPUT.
ACTIVATIONS = {
    "relu": (relu, relu_backward),
    "sigmoid": (sigmoid, sigmoid_backward),
    "tanh": (tanh, tanh_backward),
    "softmax": (_softmax_channels, _softmax_channels_backward),
}


def _activation_name(value, where):
    """Normalise an activation argument: a known name, or None for the identity."""
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


def _activate(name, z):
    return z if name is None else ACTIVATIONS[name][0](z)


def _activate_backward(name, dy, z):
    return dy if name is None else ACTIVATIONS[name][1](dy, z)


# ---------------------------------------------------------------------------------------------
# Initializers


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


def _initializer_name(value, argument, where):
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
    name = _initializer_name(name, "initializer", "initialize")
    return INITIALIZERS[name](tuple(shape), fan_in, fan_out, rng).astype(dtype)


# ---------------------------------------------------------------------------------------------
# Small argument helpers


def _shape_tuple(value, argument, where):
    """A per-sample shape: a tuple of positive ints (the batch dimension excluded)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (tuple, list)) or len(value) == 0:
        raise TypeError(
            f"{where}: {argument} needs a tuple of positive ints without the batch dimension, "
            f"e.g. (1, 8, 8), got {value!r}"
        )
    try:
        return tuple(positive_int(v, argument) for v in value)
    except (TypeError, ValueError) as error:
        raise type(error)(
            f"{where}: {argument} needs a tuple of positive ints without the batch "
            f"dimension, e.g. (1, 8, 8), got {value!r}"
        ) from None


def _padding_argument(value, where):
    """'valid', 'same' (any case), a non-negative int or a pair; returned JSON-friendly."""
    try:
        resolve_padding(value, (1, 1), (1, 1), (1, 1))
    except (TypeError, ValueError) as error:
        raise type(error)(f"{where}: {error}") from None
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)
    return int(value)


def _pair(value, argument, where):
    try:
        return positive_int_pair(value, argument)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{where}: {error}") from None


def _jsonable(value):
    """Tuples become lists, numpy scalars Python numbers (for the JSON of get_config)."""
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _shape_str(shape):
    return str((None, *shape))


# ---------------------------------------------------------------------------------------------
# The base class


class Layer:
    """Base class of the layers: naming, building, input checks, config and weights.

    Subclasses implement :meth:`compute_output_shape`, :meth:`forward` and :meth:`backward`, and
    create their parameters in ``_create_params(input_shape, rng, dtype)``.

    Parameters
    ----------
    input_shape : tuple of int, optional
        The shape of one sample, without the batch dimension, in CHW order (``(1, 8, 8)``);
        lets a model build itself (and print its summary) before it sees data.
    name : str, optional
        Defaults to the Keras name of the class (``'conv2d'``); a
        :class:`~dlbook.model.Sequential` makes the names of its layers unique.

    Attributes
    ----------
    built : bool
    input_shape, output_shape : tuple of int
        Per-sample shapes, set by :meth:`build`.
    dtype : numpy.dtype
        The dtype the layer computes in, set by :meth:`build`.
    params : list of Parameter
    """

    default_name = "layer"

    def __init__(self, input_shape=None, name=None):
        self._name = None
        self.name = name
        where = f"{type(self).__name__} layer"
        self._input_shape_argument = (
            None if input_shape is None else _shape_tuple(input_shape, "input_shape", where)
        )
        self._reset()

    def _reset(self):
        """Forget the build: no weights, no caches."""
        self.built = False
        self.input_shape = self._input_shape_argument
        self.output_shape = None
        self.dtype = None
        self._params = {}

    # -- naming ------------------------------------------------------------------------------

    @property
    def name(self):
        return self.default_name if self._name is None else self._name

    @name.setter
    def name(self, value):
        if value is not None and (not isinstance(value, str) or not value):
            raise TypeError(f"name: needs a non-empty string or None, got {value!r}")
        self._name = value

    @property
    def where(self):
        """How error messages name this layer, e.g. ``"Conv2D layer 'conv2d'"``."""
        return f"{type(self).__name__} layer {self.name!r}"

    # -- building ----------------------------------------------------------------------------

    def compute_output_shape(self, input_shape):
        """The per-sample output shape for a per-sample ``input_shape``; raises ValueError if
        the layer cannot take that input (the message names the layer)."""
        raise NotImplementedError

    def _create_params(self, input_shape, rng, dtype):
        """Create the parameters (none by default)."""

    def build(self, input_shape, rng=None, dtype=None):
        """Create the weights for inputs of per-sample shape ``input_shape``.

        Parameters
        ----------
        input_shape : tuple of int
            Shape of one sample (no batch dimension), e.g. ``(1, 8, 8)``.
        rng : numpy.random.Generator or int, optional
            Where the initial weights come from (an int seeds a new generator). A model passes
            one generator to all its layers in order. Default: a fresh unseeded generator.
        dtype : 'float32' or 'float64', optional
            The dtype of the weights and of the computation; default float32.

        Building again re-initialises the weights.
        """
        input_shape = _shape_tuple(input_shape, "input_shape", self.where)
        if (
            self._input_shape_argument is not None
            and input_shape != self._input_shape_argument
        ):
            raise ValueError(
                f"{self.where}: was given input_shape={self._input_shape_argument} but is "
                f"being built for input shape {input_shape}"
            )
        dtype = float_dtype(np.float32 if dtype is None else dtype, f"{self.where}: dtype")
        output_shape = self.compute_output_shape(input_shape)
        self._params = {}
        self._create_params(input_shape, np.random.default_rng(rng), dtype)
        self.input_shape = input_shape
        self.output_shape = output_shape
        self.dtype = dtype
        self.built = True

    def _prepare_input(self, x):
        """Check a batch, build the layer from it if needed, cast it to the layer's dtype."""
        try:
            x = as_float_array(x, "x")
        except TypeError as error:
            raise TypeError(f"{self.where}: {error}") from None
        if x.ndim < 2 or x.shape[0] == 0:
            raise ValueError(
                f"{self.where}: x needs a batch (N, ...) with N >= 1, got shape {x.shape}"
            )
        if not self.built:
            self.build(x.shape[1:], dtype=x.dtype)
        elif x.shape[1:] != self.input_shape:
            if x.ndim != len(self.input_shape) + 1:
                raise ValueError(
                    f"{self.where}: expects input of shape {_shape_str(self.input_shape)}, "
                    f"got shape {x.shape}"
                )
            self.compute_output_shape(x.shape[1:])
        return x.astype(self.dtype, copy=False)

    def _require_forward(self, attribute):
        value = getattr(self, attribute, None)
        if value is None:
            raise RuntimeError(f"{self.where}: call forward() before backward()")
        return value

    def _check_dy(self, dy, shape):
        try:
            dy = as_float_array(dy, "dy")
        except TypeError as error:
            raise TypeError(f"{self.where}: {error}") from None
        if dy.shape != tuple(shape):
            raise ValueError(
                f"{self.where}: dy needs the shape of the last forward output, {tuple(shape)}, "
                f"got shape {dy.shape}"
            )
        return dy.astype(self.dtype, copy=False)

    # -- the interface -----------------------------------------------------------------------

    def forward(self, x, training=False):
        """Output of the layer for a batch ``x``; see the subclass."""
        raise NotImplementedError

    def backward(self, dy):
        """Gradient with respect to the last forward's input; see the subclass."""
        raise NotImplementedError

    def __call__(self, x, training=False):
        """``layer(x)`` is ``layer.forward(x)``, as in Keras."""
        return self.forward(x, training=training)

    @property
    def params(self):
        """The trainable parameters, a list of :class:`~dlbook.Parameter` (empty if none)."""
        return list(self._params.values())

    def named_params(self):
        """The parameters by name, e.g. ``{'kernel': Parameter, 'bias': Parameter}``."""
        return dict(self._params)

    def count_params(self):
        """Number of trainable scalars."""
        return int(sum(p.data.size for p in self._params.values()))

    def get_weights(self):
        """Copies of the parameters' arrays, in the order of :attr:`params` (Keras' name)."""
        return [p.data.copy() for p in self._params.values()]

    def set_weights(self, weights):
        """Overwrite the parameters' values from a list of arrays of the same shapes."""
        weights = list(weights)
        params = self.params
        if len(weights) != len(params):
            raise ValueError(
                f"{self.where}: weights needs {len(params)} arrays, got {len(weights)}"
            )
        for index, (p, w) in enumerate(zip(params, weights)):
            w = as_float_array(w, f"weights[{index}]")
            if w.shape != p.data.shape:
                raise ValueError(
                    f"{self.where}: weights[{index}] needs shape {p.data.shape}, got {w.shape}"
                )
        for p, w in zip(params, weights):
            p.data[...] = w

    def get_extra_state(self):
        """Non-weight state that a checkpoint must keep (JSON-friendly dict); none by default."""
        return {}

    def set_extra_state(self, state):
        """Restore what :meth:`get_extra_state` returned."""
        if state:
            raise ValueError(f"{self.where}: has no extra state, got {sorted(state)}")

    def get_config(self):
        """The constructor arguments as a JSON-friendly dict; ``cls(**config)`` rebuilds the
        layer (without its weights)."""
        return {"name": self._name, "input_shape": _jsonable(self._input_shape_argument)}

    @classmethod
    def from_config(cls, config):
        """A new, unbuilt layer from :meth:`get_config`'s dict."""
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(
            f"{key}={value!r}"
            for key, value in self.get_config().items()
            if value is not None and key != "name"
        )
        return f"{type(self).__name__}({arguments})"


# ---------------------------------------------------------------------------------------------
# Conv2D


class _Affine(Layer):
    """Shared code of Conv2D and Dense: an affine map :math:`z` followed by an activation
    :math:`y = f(z)`, with a kernel, an optional bias and their initializers."""

    def __init__(self, activation, use_bias, kernel_initializer, bias_initializer,
                 input_shape=None, name=None):
        super().__init__(input_shape=input_shape, name=name)
        where = self.where
        self.activation = _activation_name(activation, where)
        if not isinstance(use_bias, (bool, np.bool_)):
            raise TypeError(f"{where}: use_bias needs True or False, got {use_bias!r}")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _initializer_name(kernel_initializer, "kernel_initializer", where)
        self.bias_initializer = _initializer_name(bias_initializer, "bias_initializer", where)

    def _reset(self):
        super()._reset()
        self.kernel = self.bias = None
        self.inputs = self.pre_activation = None

    def backward(self, dy):
        r"""Backward pass from :math:`\delta = \partial L / \partial y` (the output's shape).

        First :math:`\partial L / \partial z = \delta \odot f'(z)`, then
        :meth:`backward_pre_activation`, which returns :math:`\partial L / \partial x`.
        """
        z = self._require_forward("pre_activation")
        dy = self._check_dy(dy, z.shape)
        return self.backward_pre_activation(_activate_backward(self.activation, dy, z))


class Conv2D(_Affine):
    r"""2-D convolution layer (cross-correlation, as in every framework) on NCHW input.

    .. math::

        z_{n,o,i,j} = b_o + \sum_{c,p,q} W_{o,c,p,q}\,
            x^{\text{pad}}_{n,c,\, i s_H + p d_H,\, j s_W + q d_W}, \qquad
        y = f(z)

    with :math:`f` the activation. The arithmetic is :func:`dlbook.functional.conv2d`.

    Parameters
    ----------
    filters : int
        Number of output channels :math:`O`.
    kernel_size : int or (int, int)
        :math:`(K_H, K_W)`.
    strides : int or (int, int)
    padding : 'valid', 'same', int or (int, int)
        ``'same'`` has the Keras meaning for any stride (output ``ceil(H / s_H)``).
    dilation_rate : int or (int, int)
    activation : str or None
        Applied after the convolution.
    use_bias : bool
    kernel_initializer, bias_initializer : str
        See :func:`initialize`; the kernel's fans are :math:`C K_H K_W` and :math:`O K_H K_W`.
    input_shape : (C, H, W), optional
    name : str, optional

    Attributes
    ----------
    kernel : Parameter, shape (O, C, KH, KW)
        The filters; ``layer.kernel.data[o, c]`` is what filter ``o`` looks for in channel ``c``.
    bias : Parameter, shape (O,), or None
    inputs : ndarray, shape (N, C, H, W)
        Cached by forward for backward.
    pre_activation : ndarray, shape (N, O, OH, OW)
        :math:`z`, cached by forward.

    Examples
    --------
    >>> layer = Conv2D(filters=4, kernel_size=(3, 3), padding='same', activation='relu')
    >>> layer.build((1, 8, 8), rng=0)
    >>> layer.kernel.shape, layer.output_shape
    ((4, 1, 3, 3), (4, 8, 8))
    >>> layer.forward(np.ones((2, 1, 8, 8), dtype=np.float32)).shape
    (2, 4, 8, 8)
    """

    default_name = "conv2d"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", input_shape=None, name=None):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer,
                         input_shape=input_shape, name=name)
        where = self.where
        try:
            self.filters = positive_int(filters, "filters")
        except (TypeError, ValueError) as error:
            raise type(error)(f"{where}: {error}") from None
        self.kernel_size = _pair(kernel_size, "kernel_size", where)
        self.strides = _pair(strides, "strides", where)
        self.padding = _padding_argument(padding, where)
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", where)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.where}: needs inputs of shape (None, channels, height, width), "
                f"got input shape {_shape_str(input_shape)}"
            )
        channels, height, width = input_shape
        if self.kernel is not None and channels != self.kernel.shape[1]:
            raise ValueError(
                f"{self.where}: was built for {self.kernel.shape[1]} input channels, got "
                f"input shape {_shape_str(input_shape)}"
            )
        pads = resolve_padding(
            self.padding, (height, width), self.kernel_size, self.strides, self.dilation_rate
        )
        out = []
        for axis, (size, k, s, d, pad) in enumerate(
            zip((height, width), self.kernel_size, self.strides, self.dilation_rate, pads)
        ):
            effective = d * (k - 1) + 1
            if effective > size + sum(pad):
                name = ("height", "width")[axis]
                raise ValueError(
                    f"{self.where}: kernel {name} {k} (dilated to {effective}) is larger than "
                    f"the padded input {name} {size + sum(pad)} (input shape "
                    f"{_shape_str(input_shape)}, padding {self.padding!r})"
                )
            out.append(conv_output_size(size, k, s, sum(pad), d))
        return (self.filters, *out)

    def _create_params(self, input_shape, rng, dtype):
        channels = input_shape[0]
        kh, kw = self.kernel_size
        shape = (self.filters, channels, kh, kw)
        fan_in, fan_out = channels * kh * kw, self.filters * kh * kw
        self.kernel = Parameter(
            initialize(self.kernel_initializer, shape, fan_in, fan_out, rng, dtype)
        )
        self._params = {"kernel": self.kernel}
        if self.use_bias:
            self.bias = Parameter(
                initialize(self.bias_initializer, (self.filters,), fan_in, fan_out, rng, dtype)
            )
            self._params["bias"] = self.bias

    def forward(self, x, training=False):
        """Convolve a batch.

        Parameters
        ----------
        x : ndarray, shape (N, C, H, W)
        training : bool
            Unused (the layer behaves the same in training and inference).

        Returns
        -------
        y : ndarray, shape (N, O, OH, OW)
            :math:`f(z)`, in the layer's dtype.
        """
        x = self._prepare_input(x)
        self.inputs = x
        self.pre_activation = conv2d(
            x, self.kernel.data, None if self.bias is None else self.bias.data,
            stride=self.strides, padding=self.padding, dilation=self.dilation_rate,
        )
        return _activate(self.activation, self.pre_activation)

    def backward_pre_activation(self, dz):
        r"""Backward pass from :math:`\partial L / \partial z` (the gradient before the
        activation), as the model does for a fused softmax cross-entropy.

        .. math::

            \frac{\partial L}{\partial W_{o,c,p,q}} = \sum_{n,i,j}
                \frac{\partial L}{\partial z_{n,o,i,j}}\,
                x^{\text{pad}}_{n,c,\,i s_H + p d_H,\,j s_W + q d_W}, \qquad
            \frac{\partial L}{\partial b_o} = \sum_{n,i,j} \frac{\partial L}{\partial z_{n,o,i,j}}

        and :math:`\partial L / \partial x` by :func:`dlbook.functional.conv2d_backward`. Fills
        ``kernel.grad`` (O, C, KH, KW) and ``bias.grad`` (O,).

        Returns
        -------
        dx : ndarray, shape (N, C, H, W)
        """
        x = self._require_forward("inputs")
        dz = self._check_dy(dz, self.pre_activation.shape)
        dx, dw, db = conv2d_backward(
            dz, x, self.kernel.data,
            stride=self.strides, padding=self.padding, dilation=self.dilation_rate,
        )
        np.copyto(self.kernel.grad, dw)
        if self.bias is not None:
            np.copyto(self.bias.grad, db)
        return dx

    def get_config(self):
        return {
            "filters": self.filters,
            "kernel_size": _jsonable(self.kernel_size),
            "strides": _jsonable(self.strides),
            "padding": _jsonable(self.padding),
            "dilation_rate": _jsonable(self.dilation_rate),
            "activation": self.activation,
            "use_bias": self.use_bias,
            "kernel_initializer": self.kernel_initializer,
            "bias_initializer": self.bias_initializer,
            **super().get_config(),
        }


# ---------------------------------------------------------------------------------------------
# Pooling


class _Pooling2D(Layer):
    """Shared code of the two pooling layers: geometry, config, caches."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", input_shape=None,
                 name=None):
        super().__init__(input_shape=input_shape, name=name)
        where = self.where
        self.pool_size = _pair(pool_size, "pool_size", where)
        self.strides = None if strides is None else _pair(strides, "strides", where)
        self.padding = _padding_argument(padding, where)

    def _reset(self):
        super()._reset()
        self.inputs = None
        self._output_shape_seen = None

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.where}: needs inputs of shape (None, channels, height, width), "
                f"got input shape {_shape_str(input_shape)}"
            )
        try:
            _, _, _, out_hw = pool_geometry((1, *input_shape), self.pool_size, self.strides,
                                            self.padding)
        except ValueError as error:
            raise ValueError(
                f"{self.where}: {error} (input shape {_shape_str(input_shape)})"
            ) from None
        return (input_shape[0], *out_hw)

    def forward(self, x, training=False):
        """Pool a batch ``x`` of shape (N, C, H, W); returns (N, C, OH, OW)."""
        x = self._prepare_input(x)
        self.inputs = x
        y = self._kernel(x, **self._pool_arguments())
        self._output_shape_seen = y.shape
        return y

    def backward(self, dy):
        """``dy`` (N, C, OH, OW) -> ``dx`` (N, C, H, W)."""
        x = self._require_forward("inputs")
        dy = self._check_dy(dy, self._output_shape_seen)
        return self._kernel_backward(dy, x, **self._pool_arguments())

    def _pool_arguments(self):
        return {"pool_size": self.pool_size, "stride": self.strides, "padding": self.padding}

    def get_config(self):
        return {
            "pool_size": _jsonable(self.pool_size),
            "strides": _jsonable(self.strides),
            "padding": _jsonable(self.padding),
            **super().get_config(),
        }


class MaxPooling2D(_Pooling2D):
    r"""Max pooling over windows of ``pool_size`` on NCHW input.

    .. math::

        y_{n,c,i,j} = \max_{p,q}\; x^{\text{pad}}_{n,c,\,i s_H + p,\, j s_W + q}

    Backward: each window's gradient goes to the cell that won its max (the first one in
    row-major order on ties); see :func:`dlbook.functional.max_pool2d_backward`.

    Parameters
    ----------
    pool_size : int or (int, int)
    strides : int or (int, int), optional
        Defaults to ``pool_size`` (non-overlapping windows), as in Keras.
    padding : 'valid', 'same', int or (int, int)
    input_shape : (C, H, W), optional
    name : str, optional

    Attributes
    ----------
    inputs : ndarray, shape (N, C, H, W)
        Cached by forward for backward.

    Examples
    --------
    >>> MaxPooling2D(pool_size=(2, 2)).forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """

    default_name = "max_pooling2d"
    _kernel = staticmethod(max_pool2d)
    _kernel_backward = staticmethod(max_pool2d_backward)


class AveragePooling2D(_Pooling2D):
    r"""Average pooling over windows of ``pool_size`` on NCHW input.

    .. math::

        y_{n,c,i,j} = \frac{1}{|R_{ij}|} \sum_{(p,q) \in R_{ij}} x_{n,c,\,i s_H + p,\, j s_W + q}

    over the window's real (unpadded) cells :math:`R_{ij}`, as Keras does. Backward: every cell
    of a window receives :math:`\delta_{n,c,i,j} / |R_{ij}|`.

    Parameters
    ----------
    pool_size, strides, padding, input_shape, name
        As for :class:`MaxPooling2D`.

    Examples
    --------
    >>> AveragePooling2D(pool_size=2).forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """

    default_name = "average_pooling2d"
    _kernel = staticmethod(avg_pool2d)
    _kernel_backward = staticmethod(avg_pool2d_backward)


# ---------------------------------------------------------------------------------------------
# Dense


class Dense(_Affine):
    r"""Fully connected layer: :math:`y = f(x W + b)` for a batch of feature vectors.

    .. math::

        z_{n,u} = b_u + \sum_i x_{n,i} W_{i,u}, \qquad y = f(z)

    Parameters
    ----------
    units : int
        Number of outputs :math:`U`.
    activation : str or None
    use_bias : bool
    kernel_initializer, bias_initializer : str
        See :func:`initialize`; the kernel's fans are the number of inputs and ``units``.
    input_shape : (int,), optional
        ``(features,)``.
    name : str, optional

    Attributes
    ----------
    kernel : Parameter, shape (in, units)
        Keras' orientation: one column per unit.
    bias : Parameter, shape (units,), or None
    inputs : ndarray, shape (N, in)
    pre_activation : ndarray, shape (N, units)

    Notes
    -----
    The input must be 2-D, (N, features): put a :class:`Flatten` between convolutional layers
    and a Dense layer.

    Examples
    --------
    >>> layer = Dense(3, activation='softmax')
    >>> y = layer.forward(np.ones((2, 5), dtype=np.float32))
    >>> y.shape, layer.kernel.shape, np.allclose(y.sum(axis=1), 1)
    ((2, 3), (5, 3), True)
    """

    default_name = "dense"

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", input_shape=None, name=None):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer,
                         input_shape=input_shape, name=name)
        try:
            self.units = positive_int(units, "units")
        except (TypeError, ValueError) as error:
            raise type(error)(f"{self.where}: {error}") from None

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(
                f"{self.where}: needs inputs of shape (None, features), got input shape "
                f"{_shape_str(input_shape)}; put a Flatten() layer before it"
            )
        if self.kernel is not None and input_shape[0] != self.kernel.shape[0]:
            raise ValueError(
                f"{self.where}: was built for {self.kernel.shape[0]} input features, got "
                f"input shape {_shape_str(input_shape)}"
            )
        return (self.units,)

    def _create_params(self, input_shape, rng, dtype):
        fan_in, fan_out = input_shape[0], self.units
        self.kernel = Parameter(
            initialize(self.kernel_initializer, (fan_in, fan_out), fan_in, fan_out, rng, dtype)
        )
        self._params = {"kernel": self.kernel}
        if self.use_bias:
            self.bias = Parameter(
                initialize(self.bias_initializer, (fan_out,), fan_in, fan_out, rng, dtype)
            )
            self._params["bias"] = self.bias

    def forward(self, x, training=False):
        """``x`` (N, in) -> ``y`` (N, units)."""
        x = self._prepare_input(x)
        self.inputs = x
        z = x @ self.kernel.data
        if self.bias is not None:
            z += self.bias.data
        self.pre_activation = z
        return _activate(self.activation, z)

    def backward_pre_activation(self, dz):
        r"""Backward pass from :math:`\partial L / \partial z`, shape (N, units).

        .. math::

            \frac{\partial L}{\partial W} = x^\top \frac{\partial L}{\partial z}, \qquad
            \frac{\partial L}{\partial b} = \sum_n \frac{\partial L}{\partial z_{n,:}}, \qquad
            \frac{\partial L}{\partial x} = \frac{\partial L}{\partial z} W^\top

        Fills ``kernel.grad`` (in, units) and ``bias.grad`` (units,); returns ``dx`` (N, in).
        """
        x = self._require_forward("inputs")
        dz = self._check_dy(dz, self.pre_activation.shape)
        np.matmul(x.T, dz, out=self.kernel.grad)
        if self.bias is not None:
            np.sum(dz, axis=0, out=self.bias.grad)
        return dz @ self.kernel.data.T

    def get_config(self):
        return {
            "units": self.units,
            "activation": self.activation,
            "use_bias": self.use_bias,
            "kernel_initializer": self.kernel_initializer,
            "bias_initializer": self.bias_initializer,
            **super().get_config(),
        }


# ---------------------------------------------------------------------------------------------
# Shape and elementwise layers


class Flatten(Layer):
    """Flatten each sample to a vector: (N, C, H, W) -> (N, C*H*W), in C (row-major) order.

    The features come out channel by channel (``c * H * W + h * W + w``), which is not the
    order of Keras' NHWC Flatten; weights of a following Dense layer are therefore not
    interchangeable with a Keras model's.

    ``forward`` and ``backward`` return reshaped views (no copy); nothing writes into them.

    Examples
    --------
    >>> Flatten().forward(np.zeros((2, 3, 4, 4))).shape
    (2, 48)
    """

    default_name = "flatten"

    def _reset(self):
        super()._reset()
        self.batch_input_shape = None

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        """``x`` (N, d1, d2, ...) -> (N, d1*d2*...)."""
        x = self._prepare_input(x)
        self.batch_input_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        """``dy`` (N, d1*d2*...) -> ``dx`` (N, d1, d2, ...), a reshaped view of ``dy``."""
        shape = self._require_forward("batch_input_shape")
        dy = self._check_dy(dy, (shape[0], int(np.prod(shape[1:]))))
        return dy.reshape(shape)


class Activation(Layer):
    r"""An activation function as a layer: :math:`y = f(x)`.

    Parameters
    ----------
    activation : {'relu', 'sigmoid', 'tanh', 'softmax'} or None
        ``'softmax'`` normalises along axis 1.
    input_shape, name : optional

    Attributes
    ----------
    pre_activation : ndarray
        The input :math:`x`, cached by forward (backward needs :math:`f'(x)`).

    Examples
    --------
    >>> Activation('relu').forward(np.array([[-1.0, 2.0]]))
    array([[0., 2.]])
    """

    default_name = "activation"

    def __init__(self, activation, input_shape=None, name=None):
        super().__init__(input_shape=input_shape, name=name)
        self.activation = _activation_name(activation, self.where)

    def _reset(self):
        super()._reset()
        self.pre_activation = None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def forward(self, x, training=False):
        """:math:`y = f(x)`, same shape as ``x``."""
        x = self._prepare_input(x)
        self.pre_activation = x
        return _activate(self.activation, x)

    def backward(self, dy):
        r""":math:`\partial L / \partial x = \delta \odot f'(x)` (softmax: the Jacobian-vector
        product of :func:`dlbook.functional.softmax_backward`)."""
        x = self._require_forward("pre_activation")
        dy = self._check_dy(dy, x.shape)
        return _activate_backward(self.activation, dy, x)

    def backward_pre_activation(self, dz):
        """The identity: the gradient before the activation is the gradient of the input."""
        x = self._require_forward("pre_activation")
        return self._check_dy(dz, x.shape)

    def get_config(self):
        return {"activation": self.activation, **super().get_config()}


class Dropout(Layer):
    r"""Inverted dropout: in training, zero each input with probability ``rate`` and scale the
    survivors by :math:`1/(1 - \text{rate})`; in inference, the identity.

    .. math::

        y = x \odot m, \qquad m_i = \frac{[u_i \ge \text{rate}]}{1 - \text{rate}}, \quad
        u_i \sim U[0, 1), \qquad \frac{\partial L}{\partial x} = \delta \odot m

    so that :math:`\mathbb{E}[y] = x` and nothing needs rescaling at test time.

    Parameters
    ----------
    rate : float
        Fraction dropped, in [0, 1).
    seed : int, optional
        Seeds the mask generator. Without it, a model derives the generator from its own seed
        when it builds the layer (so a seeded model has reproducible masks); a layer built alone
        gets one from the ``rng`` given to :meth:`build`.
    input_shape, name : optional

    Attributes
    ----------
    mask : ndarray or None
        :math:`m` of the last training forward (None after an inference forward).
    rng : numpy.random.Generator
        The mask generator; its state is saved with a model.

    Examples
    --------
    >>> layer = Dropout(0.5, seed=0)
    >>> y = layer.forward(np.ones((1, 6)), training=True)
    >>> sorted(set(y.ravel().tolist()))     # survivors are scaled by 1 / (1 - 0.5)
    [0.0, 2.0]
    >>> layer.forward(np.ones((1, 3)))      # inference: the identity
    array([[1., 1., 1.]])
    """

    default_name = "dropout"

    def __init__(self, rate, seed=None, input_shape=None, name=None):
        super().__init__(input_shape=input_shape, name=name)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
            raise ValueError(f"{self.where}: rate needs a number in [0, 1), got {rate!r}")
        self.rate = float(rate)
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0
        ):
            raise ValueError(f"{self.where}: seed needs a non-negative int or None, got {seed!r}")
        self.seed = None if seed is None else int(seed)
        self.rng = None if self.seed is None else np.random.default_rng(self.seed)

    def _reset(self):
        super()._reset()
        self.mask = None
        self.batch_input_shape = None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def _create_params(self, input_shape, rng, dtype):
        if self.seed is None:
            self.rng = np.random.default_rng(rng.integers(2**63))
        else:
            self.rng = np.random.default_rng(self.seed)

    def forward(self, x, training=False):
        """``x`` (N, ...) -> ``y``, same shape; ``x`` itself when not training or rate is 0."""
        x = self._prepare_input(x)
        self.batch_input_shape = x.shape
        if not training or self.rate == 0:
            self.mask = None
            return x
        keep = self.rng.random(x.shape, dtype=self.dtype) >= self.rate
        self.mask = keep.astype(self.dtype) * self.dtype.type(1.0 / (1.0 - self.rate))
        return x * self.mask

    def backward(self, dy):
        r""":math:`\delta \odot m` after a training forward; ``dy`` itself after an inference
        forward (the identity)."""
        shape = self._require_forward("batch_input_shape")
        dy = self._check_dy(dy, shape)
        return dy if self.mask is None else dy * self.mask

    def get_extra_state(self):
        return {} if self.rng is None else {"rng": self.rng.bit_generator.state}

    def set_extra_state(self, state):
        unexpected = set(state) - {"rng"}
        if unexpected:
            raise ValueError(f"{self.where}: unexpected extra state {sorted(unexpected)}")
        if "rng" in state:
            rng_state = state["rng"]
            if not isinstance(rng_state, dict) or rng_state.get("bit_generator") != "PCG64":
                raise ValueError(f"{self.where}: the saved generator state is not a PCG64 state")
            rng = np.random.default_rng()
            rng.bit_generator.state = rng_state
            self.rng = rng

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, **super().get_config()}


# ---------------------------------------------------------------------------------------------
# (De)serialization

_LAYER_CLASSES = {
    cls.__name__: cls
    for cls in (Conv2D, MaxPooling2D, AveragePooling2D, Dense, Flatten, Activation, Dropout)
}


def serialize(layer):
    """``{"class_name": ..., "config": layer.get_config()}``, JSON-friendly.

    >>> serialize(Dense(3))["class_name"]
    'Dense'
    """
    if type(layer).__name__ not in _LAYER_CLASSES or not isinstance(layer, Layer):
        raise TypeError(
            f"layer: can only serialize the layers of dlbook.layers, got {type(layer).__name__}"
        )
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(spec):
    """A new, unbuilt layer from :func:`serialize`'s dict.

    >>> deserialize({"class_name": "Dense", "config": {"units": 3}})
    Dense(units=3, use_bias=True, kernel_initializer='glorot_uniform', bias_initializer='zeros')
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
        raise ValueError(f"spec: needs {{'class_name': ..., 'config': {{...}}}}, got {spec!r}")
    class_name = spec.get("class_name")
    if class_name not in _LAYER_CLASSES:
        raise ValueError(
            f"spec: unknown layer class {class_name!r}; known: {sorted(_LAYER_CLASSES)}"
        )
    return _LAYER_CLASSES[class_name].from_config(spec["config"])
