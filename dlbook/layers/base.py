"""The base classes of the layers: Layer (naming, building, input checks, config, weights) and
Affine, the affine map plus activation under Conv2D and Dense."""

import numpy as np

from dlbook._validation import as_float_array, boolean, float_dtype
from dlbook._validation import random_generator_argument, weight_list
from dlbook.layers._arguments import in_layer, jsonable, shape_str, shape_tuple
from dlbook.layers.activations import activate_backward, activation_name
from dlbook.layers.initializers import initializer_name

__all__ = ["Layer", "Affine"]


class Layer:
    """Base class of the layers: naming, building, input checks, config and weights.

    Subclasses implement :meth:`compute_output_shape`, :meth:`forward` and :meth:`backward`,
    create their parameters in ``_create_params(input_shape, rng, dtype)`` and extend
    :meth:`reset` with the caches they keep.

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
            None if input_shape is None else shape_tuple(input_shape, "input_shape", where)
        )
        self.reset()

    def reset(self):
        """Forget the build: no weights, no caches, ``built`` False.

        The next :meth:`build` (or the first ``forward``) creates new weights; the
        ``input_shape`` given to the constructor is kept. A
        :class:`~dlbook.model.Sequential` whose build fails resets the layers it had built, so
        that none stays half built.

        >>> from dlbook.layers import Dense
        >>> layer = Dense(2, input_shape=(3,))
        >>> layer.build((3,), rng=0)
        >>> layer.reset()
        >>> layer.built, layer.params, layer.input_shape
        (False, [], (3,))
        """
        self.built = False
        self.input_shape = self._input_shape_argument
        self.output_shape = None
        self.dtype = None
        self._params = {}

    # -- naming ------------------------------------------------------------------------------

    @property
    def name(self):
        """The layer's name: the one given or set, else the class's ``default_name``.

        Setting it to a non-empty string names the layer (a model does so to make names
        unique); setting it to None returns it to the default.

        >>> from dlbook.layers import Dense
        >>> layer = Dense(2)
        >>> layer.name, layer.has_default_name
        ('dense', True)
        >>> layer.name = "logits"
        >>> layer.name, layer.has_default_name
        ('logits', False)
        """
        return self.default_name if self._name is None else self._name

    @name.setter
    def name(self, value):
        if value is not None and (not isinstance(value, str) or not value):
            raise TypeError(f"name: needs a non-empty string or None, got {value!r}")
        self._name = value

    @property
    def has_default_name(self):
        """True while no name was given or set: the layer answers to its ``default_name``,
        and a :class:`~dlbook.model.Sequential` may rename it (``'dense_1'``, ...)."""
        return self._name is None

    @property
    def input_shape_argument(self):
        """The ``input_shape`` given to the constructor, a tuple of int, or None.

        Unlike :attr:`input_shape`, building does not change it; a model whose first layer has
        one builds itself at once.

        >>> from dlbook.layers import Dense
        >>> Dense(2, input_shape=[3]).input_shape_argument, Dense(2).input_shape_argument
        ((3,), None)
        """
        return self._input_shape_argument

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

    def check_build(self, input_shape, rng=None, dtype=None):
        """Check :meth:`build`'s arguments and return the per-sample output shape, building
        nothing: raises exactly what :meth:`build` would raise for them.

        A :class:`~dlbook.model.Sequential` checks every layer this way before it builds any,
        so that a rejected build (or ``fit``) leaves every layer as it was.

        >>> from dlbook.layers import Dense
        >>> layer = Dense(2)
        >>> layer.check_build((3,)), layer.built
        ((2,), False)
        >>> layer.check_build((3,), rng="abc")
        Traceback (most recent call last):
        ...
        TypeError: Dense layer 'dense': rng: needs None, a seed (an int >= 0) or a numpy.random.Generator, got 'abc'
        """
        return self._build_arguments(input_shape, rng, dtype)[3]

    def _build_arguments(self, input_shape, rng, dtype):
        input_shape = shape_tuple(input_shape, "input_shape", self.where)
        if (
            self._input_shape_argument is not None
            and input_shape != self._input_shape_argument
        ):
            raise ValueError(
                f"{self.where}: was given input_shape={self._input_shape_argument} but is "
                f"being built for input shape {input_shape}"
            )
        rng = in_layer(self.where, random_generator_argument, rng, "rng")
        dtype = float_dtype(np.float32 if dtype is None else dtype, f"{self.where}: dtype")
        return input_shape, rng, dtype, self.compute_output_shape(input_shape)

    def build(self, input_shape, rng=None, dtype=None):
        """Create the weights for inputs of per-sample shape ``input_shape``.

        Parameters
        ----------
        input_shape : tuple of int
            Shape of one sample (no batch dimension), e.g. ``(1, 8, 8)``.
        rng : numpy.random.Generator or int, optional
            Where the initial weights come from (an int >= 0 seeds a new generator). A model
            passes one generator to all its layers in order. Default: a fresh unseeded
            generator.
        dtype : 'float32' or 'float64', optional
            The dtype of the weights and of the computation; default float32.

        Every argument is checked (:meth:`check_build`) before anything changes: a rejected
        build leaves the layer as it was. Building again re-initialises the weights.
        """
        input_shape, rng, dtype, output_shape = self._build_arguments(input_shape, rng, dtype)
        self._params = {}
        try:
            self._create_params(input_shape, np.random.default_rng(rng), dtype)
        except BaseException:
            self.reset()
            raise
        self.input_shape = input_shape
        self.output_shape = output_shape
        self.dtype = dtype
        self.built = True

    def _prepare_input(self, x, training=False, cache=False):
        """Check ``training`` and a batch ``x``, build the layer from ``x`` if needed, and
        return ``x`` cast to the layer's dtype.

        With ``cache`` (the layer keeps ``x`` for its backward pass) the result is never the
        caller's array nor a view of it: what backward uses cannot change after forward.
        """
        in_layer(self.where, boolean, training, "training")
        array = in_layer(self.where, as_float_array, x, "x")
        if array.ndim < 2 or array.shape[0] == 0:
            raise ValueError(
                f"{self.where}: x needs a batch (N, ...) with N >= 1, got shape {array.shape}"
            )
        if not self.built:
            self.build(array.shape[1:], dtype=array.dtype)
        elif array.shape[1:] != self.input_shape:
            if array.ndim != len(self.input_shape) + 1:
                raise ValueError(
                    f"{self.where}: expects input of shape {shape_str(self.input_shape)}, "
                    f"got shape {array.shape}"
                )
            self.compute_output_shape(array.shape[1:])
        cast = array.astype(self.dtype, copy=False)
        if cache and (cast is x or not cast.flags.owndata):
            cast = cast.copy()
        return cast

    def _require_forward(self, attribute):
        value = getattr(self, attribute, None)
        if value is None:
            raise RuntimeError(f"{self.where}: call forward() before backward()")
        return value

    def _check_dy(self, dy, shape):
        dy = in_layer(self.where, as_float_array, dy, "dy")
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
        """Overwrite the parameters' values from a list of arrays of the same shapes (as
        :meth:`get_weights` returns); every array is checked before any is written."""
        shapes = [p.data.shape for p in self._params.values()]
        arrays = in_layer(self.where, weight_list, weights, shapes)
        for p, w in zip(self._params.values(), arrays):
            p.data[...] = w

    def get_extra_state(self):
        """Non-weight state that a checkpoint must keep (JSON-friendly dict); none by default."""
        return {}

    def set_extra_state(self, state):
        """Restore what :meth:`get_extra_state` returned."""
        self._check_extra_state(state, ())

    def _check_extra_state(self, state, keys):
        """Raise unless ``state`` is a dict whose keys are among ``keys``."""
        if not isinstance(state, dict):
            raise TypeError(f"{self.where}: state: needs a dict, got {type(state).__name__}")
        unexpected = sorted(map(str, set(state) - set(keys)))
        if unexpected:
            raise ValueError(
                f"{self.where}: state: unexpected keys {unexpected}; known keys: {list(keys)}"
            )

    def get_config(self):
        """The constructor arguments as a JSON-friendly dict; ``cls(**config)`` rebuilds the
        layer (without its weights)."""
        return {"name": self._name, "input_shape": jsonable(self._input_shape_argument)}

    @classmethod
    def from_config(cls, config):
        """A new, unbuilt layer from :meth:`get_config`'s dict."""
        if not isinstance(config, dict):
            raise TypeError(f"config: needs a dict of {cls.__name__}'s arguments, got "
                            f"{type(config).__name__}")
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(
            f"{key}={value!r}"
            for key, value in self.get_config().items()
            if value is not None and key != "name"
        )
        return f"{type(self).__name__}({arguments})"


class Affine(Layer):
    """Shared code of Conv2D and Dense: an affine map :math:`z` followed by an activation
    :math:`y = f(z)`, with a kernel, an optional bias and their initializers."""

    def __init__(self, activation, use_bias, kernel_initializer, bias_initializer,
                 input_shape=None, name=None):
        super().__init__(input_shape=input_shape, name=name)
        where = self.where
        self.activation = activation_name(activation, where)
        self.use_bias = in_layer(where, boolean, use_bias, "use_bias")
        self.kernel_initializer = initializer_name(kernel_initializer, "kernel_initializer", where)
        self.bias_initializer = initializer_name(bias_initializer, "bias_initializer", where)

    def reset(self):
        super().reset()
        self.kernel = self.bias = None
        self.inputs = self.pre_activation = None

    def backward(self, dy):
        r"""Backward pass from :math:`\delta = \partial L / \partial y` (the output's shape).

        First :math:`\partial L / \partial z = \delta \odot f'(z)`, then
        :meth:`backward_pre_activation`, which returns :math:`\partial L / \partial x`.
        """
        z = self._require_forward("pre_activation")
        dy = self._check_dy(dy, z.shape)
        return self.backward_pre_activation(activate_backward(self.activation, dy, z))
