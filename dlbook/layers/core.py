"""The core layers: Dense, Flatten, Activation and Dropout."""

import numpy as np

from dlbook._validation import fraction, optional_seed, positive_int
from dlbook.layers._arguments import in_layer, read_only, shape_str
from dlbook.layers.activations import activate, activate_backward, activation_name
from dlbook.layers.base import Affine, Layer
from dlbook.layers.initializers import initialize
from dlbook.parameter import Parameter

__all__ = ["Dense", "Flatten", "Activation", "Dropout"]


class Dense(Affine):
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
        self.units = in_layer(self.where, positive_int, units, "units")

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(
                f"{self.where}: needs inputs of shape (None, features), got input shape "
                f"{shape_str(input_shape)}; put a Flatten() layer before it"
            )
        if self.kernel is not None and input_shape[0] != self.kernel.shape[0]:
            raise ValueError(
                f"{self.where}: was built for {self.kernel.shape[0]} input features, got "
                f"input shape {shape_str(input_shape)}"
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
        """``x`` (N, in) -> ``y`` (N, units); ``inputs`` keeps a copy of ``x`` (not the
        caller's array), so the backward pass uses what this forward saw."""
        x = self._prepare_input(x, training, cache=True)
        self.inputs = x
        z = x @ self.kernel.data
        if self.bias is not None:
            z += self.bias.data
        self.pre_activation = z
        return activate(self.activation, z)

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


class Flatten(Layer):
    """Flatten each sample to a vector: (N, C, H, W) -> (N, C*H*W), in C (row-major) order.

    The features come out channel by channel (``c * H * W + h * W + w``), which is not the
    order of Keras' NHWC Flatten; weights of a following Dense layer are therefore not
    interchangeable with a Keras model's.

    ``forward`` and ``backward`` return read-only reshaped views of their argument (no copy).

    Examples
    --------
    >>> Flatten().forward(np.zeros((2, 3, 4, 4))).shape
    (2, 48)
    """

    default_name = "flatten"

    def reset(self):
        super().reset()
        self.batch_input_shape = None

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        """``x`` (N, d1, d2, ...) -> (N, d1*d2*...), a read-only view of ``x``."""
        x = self._prepare_input(x, training)
        self.batch_input_shape = x.shape
        return read_only(x.reshape(x.shape[0], -1))

    def backward(self, dy):
        """``dy`` (N, d1*d2*...) -> ``dx`` (N, d1, d2, ...), a read-only view of ``dy``."""
        shape = self._require_forward("batch_input_shape")
        dy = self._check_dy(dy, (shape[0], int(np.prod(shape[1:]))))
        return read_only(dy.reshape(shape))


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
        A copy of the input :math:`x`, cached by forward (backward needs :math:`f'(x)`).

    With ``None`` (``'linear'``) forward and backward return read-only views of their
    argument, never the argument itself.

    Examples
    --------
    >>> Activation('relu').forward(np.array([[-1.0, 2.0]]))
    array([[0., 2.]])
    """

    default_name = "activation"

    def __init__(self, activation, input_shape=None, name=None):
        super().__init__(input_shape=input_shape, name=name)
        self.activation = activation_name(activation, self.where)

    def reset(self):
        super().reset()
        self.pre_activation = None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def forward(self, x, training=False):
        """:math:`y = f(x)`, same shape as ``x``."""
        x = self._prepare_input(x, training, cache=self.activation is not None)
        self.pre_activation = x
        if self.activation is None:
            return read_only(x)
        return activate(self.activation, x)

    def backward(self, dy):
        r""":math:`\partial L / \partial x = \delta \odot f'(x)` (softmax: the Jacobian-vector
        product of :func:`dlbook.functional.softmax_backward`)."""
        x = self._require_forward("pre_activation")
        dy = self._check_dy(dy, x.shape)
        if self.activation is None:
            return read_only(dy)
        return activate_backward(self.activation, dy, x)

    def backward_pre_activation(self, dz):
        """The identity: the gradient before the activation is the gradient of the input (a
        read-only view of ``dz``)."""
        x = self._require_forward("pre_activation")
        return read_only(self._check_dy(dz, x.shape))

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
        self.rate = in_layer(self.where, fraction, rate, "rate")
        self.seed = in_layer(self.where, optional_seed, seed, "seed")
        self.rng = None if self.seed is None else np.random.default_rng(self.seed)

    def reset(self):
        """Forget the build and the caches; the mask generator is again the one the
        constructor made (None without a ``seed``)."""
        super().reset()
        self.mask = None
        self.batch_input_shape = None
        seed = getattr(self, "seed", None)
        self.rng = None if seed is None else np.random.default_rng(seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def _create_params(self, input_shape, rng, dtype):
        if self.seed is None:
            self.rng = np.random.default_rng(rng.integers(2**63))
        else:
            self.rng = np.random.default_rng(self.seed)

    def forward(self, x, training=False):
        """``x`` (N, ...) -> ``y``, same shape; a read-only view of ``x`` when not training
        (``training`` must be True or False) or when ``rate`` is 0."""
        x = self._prepare_input(x, training)
        self.batch_input_shape = x.shape
        if not training or self.rate == 0:
            self.mask = None
            return read_only(x)
        keep = self.rng.random(x.shape, dtype=self.dtype) >= self.rate
        self.mask = keep.astype(self.dtype) * self.dtype.type(1.0 / (1.0 - self.rate))
        return x * self.mask

    def backward(self, dy):
        r""":math:`\delta \odot m` after a training forward; a read-only view of ``dy`` after
        an inference forward (the identity)."""
        shape = self._require_forward("batch_input_shape")
        dy = self._check_dy(dy, shape)
        return read_only(dy) if self.mask is None else dy * self.mask

    def get_extra_state(self):
        return {} if self.rng is None else {"rng": self.rng.bit_generator.state}

    def set_extra_state(self, state):
        self._check_extra_state(state, ("rng",))
        if "rng" in state:
            rng_state = state["rng"]
            if not isinstance(rng_state, dict) or rng_state.get("bit_generator") != "PCG64":
                raise ValueError(f"{self.where}: the saved generator state is not a PCG64 state")
            rng = np.random.default_rng()
            rng.bit_generator.state = rng_state
            self.rng = rng

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, **super().get_config()}
