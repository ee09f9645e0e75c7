r"""Sequential: a stack of layers trained Keras style -- compile, fit, evaluate, predict, save.

The Keras calls work as they are, apart from the imports::

    from dlbook.layers import Conv2D, MaxPooling2D, Flatten, Dense
    from dlbook.model import Sequential
    from dlbook.optim import Adam

    model = Sequential([
        Conv2D(filters=8, kernel_size=(3, 3), strides=1, padding='same', activation='relu',
               input_shape=(1, 8, 8)),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dense(10, activation='softmax'),
    ], seed=0)
    model.compile(optimizer=Adam(learning_rate=0.001), loss='categorical_crossentropy',
                  metrics=['accuracy'])
    history = model.fit(x_train, y_train_one_hot, epochs=5, batch_size=32, verbose=2)

Images are NCHW and ``input_shape`` is CHW (no batch dimension).

Softmax and cross-entropy. The losses ``'categorical_crossentropy'`` (one-hot targets) and
``'sparse_categorical_crossentropy'`` (integer labels) need a last layer with
``activation='softmax'``. The model then computes the loss from that layer's *pre-softmax*
logits :math:`z` with :func:`dlbook.functional.softmax_cross_entropy`, whose gradient is the
stable :math:`(\operatorname{softmax}(z) - t) / N`, and starts the backward pass at the last
layer's ``backward_pre_activation``: Keras' ``from_logits=True`` made explicit, and the softmax
Jacobian never formed. ``predict`` still returns the softmax probabilities. With ``'mse'`` the
loss is taken on the outputs and the backward pass goes through every activation, softmax
included (:func:`dlbook.functional.softmax_backward`).

Dtype. A model computes in one dtype, ``Sequential(..., dtype='float32')`` by default; pass
``dtype='float64'`` for gradient checks. Inputs are cast to it.

Reproducibility. ``Sequential(layers, seed=0)`` draws every layer's initial weights from one
``np.random.default_rng(seed)``, layer by layer in order (a Dropout layer takes one number from
it to seed its mask generator). ``fit`` shuffles epoch ``e`` with
``np.random.default_rng([seed, e])``, where ``seed`` is ``fit``'s own ``seed`` or else the
model's; the same seeds give the same training bit for bit, and training resumed from a
checkpoint with ``initial_epoch`` repeats the uninterrupted run exactly.
"""

import contextlib
import json
import math
import numbers
import os
import tempfile
import warnings
import zipfile

import numpy as np
from tqdm import tqdm

from dlbook import optim
from dlbook._validation import as_float_array, float_dtype, positive_int
from dlbook.functional import mean_squared_error, softmax_cross_entropy
from dlbook.layers import Layer, deserialize, serialize

__all__ = ["Sequential", "History", "LOSSES", "OPTIMIZERS", "METRICS"]

#: The loss names ``compile`` accepts (``'mean_squared_error'`` is an alias of ``'mse'``).
LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy", "mse")
_LOSS_ALIASES = {"mean_squared_error": "mse"}
_CROSS_ENTROPIES = ("categorical_crossentropy", "sparse_categorical_crossentropy")

#: Optimizer names ``compile`` accepts, each built with its default hyperparameters.
OPTIMIZERS = {"sgd": optim.SGD, "rmsprop": optim.RMSProp, "adam": optim.Adam, "adamw": optim.AdamW}
_OPTIMIZER_CLASSES = {cls.__name__: cls for cls in OPTIMIZERS.values()}

#: Metric names ``compile`` accepts.
METRICS = ("accuracy",)

#: What :meth:`Sequential.save` writes in ``model.json``.
FORMAT = "dlbook.Sequential"
FORMAT_VERSION = 1


class History:
    """What :meth:`Sequential.fit` returns, as in Keras.

    Attributes
    ----------
    history : dict of str to list of float
        One value per epoch for ``'loss'``, each metric (``'accuracy'``) and, with validation
        data, ``'val_loss'`` and ``'val_accuracy'``.
    epoch : list of int
        The epoch indices trained, counted from 0 (``[2]`` for ``fit(epochs=3,
        initial_epoch=2)``).
    params : dict
        ``{'epochs': ..., 'steps': batches per epoch, 'verbose': ..., 'batch_size': ...}``.
    """

    def __init__(self, params=None):
        self.history = {}
        self.epoch = []
        self.params = dict(params or {})

    def _append(self, epoch, logs):
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self):
        return f"History(epoch={self.epoch}, history={self.history})"


# ---------------------------------------------------------------------------------------------
# Argument helpers


def _non_negative_int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: needs a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name}: needs a non-negative integer, got {value!r}")
    return int(value)


def _seed(value, name="seed"):
    return None if value is None else _non_negative_int(value, name)


def _input_shape_tuple(value):
    """A per-sample shape; a leading None (Keras' batch dimension) is dropped."""
    if isinstance(value, (tuple, list)) and len(value) > 1 and value[0] is None:
        value = value[1:]
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not value:
        raise TypeError(f"input_shape: needs a tuple such as (1, 8, 8), got {value!r}")
    try:
        return tuple(positive_int(v, "input_shape") for v in value)
    except (TypeError, ValueError):
        raise ValueError(
            f"input_shape: needs a tuple of positive ints such as (1, 8, 8), got {value!r}"
        ) from None


def _format_logs(logs):
    return " - ".join(f"{key}: {value:.4f}" for key, value in logs.items())


# ---------------------------------------------------------------------------------------------
# The model


class Sequential:
    """A linear stack of layers, with Keras' ``compile`` / ``fit`` / ``evaluate`` / ``predict``.

    Parameters
    ----------
    layers : list of Layer, optional
        In order; more can be added with :meth:`add`.
    seed : int, optional
        Seeds the initial weights (one generator for all layers, in order), Dropout masks and,
        unless ``fit`` gets its own seed, the shuffling. None: not reproducible.
    dtype : 'float32' or 'float64'
        The dtype of every weight and of the computation; inputs are cast to it.
    name : str, optional
        Shown by :meth:`summary`; default ``'sequential'``.

    Attributes
    ----------
    layers : list of Layer
        ``model.layers[0].kernel.data`` holds the first layer's filters (O, C, KH, KW);
        ``model.layers[i].forward(x)`` (or :meth:`layer_outputs`) gives feature maps.
    built : bool
        True once the weights exist: at construction when the first layer has an
        ``input_shape``, else at :meth:`build` or the first ``fit`` / ``predict`` /
        ``evaluate``.
    input_shape, output_shape : tuple of int
        Per-sample shapes (no batch dimension).
    optimizer, loss, metrics
        Set by :meth:`compile`.

    Notes
    -----
    Layer names are made unique within the model Keras style (``'conv2d'``, ``'conv2d_1'``,
    ...); unnamed layers get their name when they are added.

    Examples
    --------
    >>> import numpy as np
    >>> from dlbook.layers import Conv2D, Dense, Flatten
    >>> model = Sequential([
    ...     Conv2D(4, (3, 3), padding='same', activation='relu', input_shape=(1, 8, 8)),
    ...     Flatten(),
    ...     Dense(10, activation='softmax'),
    ... ], seed=0)
    >>> model.compile(optimizer='adam', loss='sparse_categorical_crossentropy',
    ...               metrics=['accuracy'])
    >>> x = np.random.default_rng(0).random((64, 1, 8, 8), dtype=np.float32)
    >>> y = np.arange(64) % 10
    >>> history = model.fit(x, y, epochs=2, verbose=0)
    >>> sorted(history.history), history.epoch
    (['accuracy', 'loss'], [0, 1])
    >>> model.predict(x[:3]).shape
    (3, 10)
    """

    def __init__(self, layers=None, seed=None, dtype="float32", name=None):
        self.seed = _seed(seed)
        self.dtype = float_dtype(dtype)
        if name is not None and (not isinstance(name, str) or not name):
            raise TypeError(f"name: needs a non-empty string or None, got {name!r}")
        self.name = name or "sequential"
        self.layers = []
        self.optimizer = None
        self.loss = None
        self.metrics = []
        self.built = False
        self.input_shape = None
        self._init_rng = None
        if layers is not None:
            if not isinstance(layers, (list, tuple)):
                raise TypeError(f"layers: needs a list of layers, got {type(layers).__name__}")
            for layer in layers:
                self._append(layer)
        if self.layers and self.layers[0].input_shape_argument is not None:
            self.build()

    # -- structure ---------------------------------------------------------------------------

    def _append(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError(
                f"layers: needs dlbook.layers.Layer objects, got {type(layer).__name__}"
            )
        if any(existing is layer for existing in self.layers):
            raise ValueError(f"layers: {layer.where} is already in the model")
        names = {existing.name for existing in self.layers}
        if layer.has_default_name:
            name, count = layer.default_name, 0
            while name in names:
                count += 1
                name = f"{layer.default_name}_{count}"
            layer.name = name
        elif layer.name in names:
            raise ValueError(
                f"layers: two layers are named {layer.name!r}; layer names must be unique"
            )
        self.layers.append(layer)

    def add(self, layer):
        """Append a layer (built at once if the model is already built)."""
        self._append(layer)
        if self.built:
            previous = self.layers[-2].output_shape if len(self.layers) > 1 else self.input_shape
            try:
                self._build_layer(layer, previous, self._init_rng)
            except Exception:
                self.layers.pop()
                raise
        elif len(self.layers) == 1 and layer.input_shape_argument is not None:
            self.build()

    def _build_layer(self, layer, input_shape, rng):
        if layer.built:
            if layer.input_shape != tuple(input_shape) or layer.dtype != self.dtype:
                raise ValueError(
                    f"{layer.where}: is already built for input shape {layer.input_shape} and "
                    f"dtype {layer.dtype}, but here it gets {tuple(input_shape)} and {self.dtype}"
                )
            return False
        layer.build(input_shape, rng, self.dtype)
        return True

    def build(self, input_shape=None):
        """Create every layer's weights for samples of ``input_shape``.

        Parameters
        ----------
        input_shape : tuple of int, optional
            One sample's shape, e.g. ``(1, 8, 8)``; Keras' ``(None, 1, 8, 8)`` is accepted too.
            Default: the first layer's ``input_shape``.

        The initial weights come from ``np.random.default_rng(seed)``, layer by layer in order.
        If a layer cannot take its input, the error names it and no layer stays built.
        Building a built model again does nothing.
        """
        if not self.layers:
            raise ValueError("build: the model has no layers; add some first")
        if input_shape is None:
            input_shape = self.layers[0].input_shape_argument
            if input_shape is None:
                raise ValueError(
                    "input_shape: the first layer has no input_shape; call "
                    "model.build((C, H, W)) or give the first layer input_shape=(C, H, W)"
                )
        shape = _input_shape_tuple(input_shape)
        if self.built:
            if shape != self.input_shape:
                raise ValueError(
                    f"input_shape: the model is built for {self.input_shape}, got {shape}"
                )
            return
        rng = np.random.default_rng(self.seed)
        built_now = []
        try:
            for layer in self.layers:
                if self._build_layer(layer, shape, rng):
                    built_now.append(layer)
                shape = layer.output_shape
        except Exception:
            for layer in built_now:
                layer.reset()
            raise
        self.input_shape = _input_shape_tuple(input_shape)
        self._init_rng = rng
        self.built = True

    @property
    def output_shape(self):
        return self.layers[-1].output_shape if self.built else None

    @property
    def params(self):
        """All trainable parameters, layer by layer (the list the optimizer updates)."""
        return [p for layer in self.layers for p in layer.params]

    def count_params(self):
        """Number of trainable scalars."""
        return sum(layer.count_params() for layer in self.layers)

    def get_weights(self):
        """Copies of all parameter arrays, in the order of :attr:`params`."""
        return [p.data.copy() for p in self.params]

    def set_weights(self, weights):
        """Overwrite all parameters from a list of arrays (as :meth:`get_weights` returns)."""
        weights = list(weights)
        params = self.params
        if len(weights) != len(params):
            raise ValueError(f"weights: needs {len(params)} arrays, got {len(weights)}")
        for index, (p, w) in enumerate(zip(params, weights)):
            if np.shape(w) != p.data.shape:
                raise ValueError(
                    f"weights[{index}]: needs shape {p.data.shape}, got {np.shape(w)}"
                )
        for p, w in zip(params, weights):
            p.data[...] = as_float_array(w, "weights")

    # -- compile -----------------------------------------------------------------------------

    def compile(self, optimizer="rmsprop", loss=None, metrics=None):
        """Choose the optimizer, the loss and the metrics.

        Parameters
        ----------
        optimizer : str or dlbook.optim.Optimizer
            An instance such as ``Adam(learning_rate=0.001)``, or one of ``'sgd'``,
            ``'rmsprop'``, ``'adam'``, ``'adamw'`` (default hyperparameters).
        loss : str
            ``'categorical_crossentropy'`` (one-hot targets (N, K)),
            ``'sparse_categorical_crossentropy'`` (integer labels (N,)) -- both need a last layer
            with ``activation='softmax'`` and use the fused softmax cross-entropy -- or ``'mse'``.
        metrics : list of str, optional
            ``['accuracy']``: the fraction of samples whose output argmax equals the target's
            class.
        """
        if isinstance(optimizer, str):
            key = optimizer.lower()
            if key not in OPTIMIZERS:
                raise ValueError(
                    f"optimizer: unknown name {optimizer!r}; choose one of {sorted(OPTIMIZERS)} "
                    f"or pass an instance such as Adam(learning_rate=0.001)"
                )
            optimizer = OPTIMIZERS[key]()
        elif not isinstance(optimizer, optim.Optimizer):
            raise TypeError(
                f"optimizer: needs a name or a dlbook.optim optimizer, got "
                f"{type(optimizer).__name__}"
            )
        if not isinstance(loss, str):
            raise TypeError(f"loss: needs one of {list(LOSSES)}, got {loss!r}")
        loss_name = _LOSS_ALIASES.get(loss.lower(), loss.lower())
        if loss_name not in LOSSES:
            raise ValueError(f"loss: unknown loss {loss!r}; choose one of {list(LOSSES)}")
        if metrics is None:
            metrics = []
        if isinstance(metrics, str) or not isinstance(metrics, (list, tuple)):
            raise TypeError(f"metrics: needs a list such as ['accuracy'], got {metrics!r}")
        for metric in metrics:
            if metric not in METRICS:
                raise ValueError(f"metrics: unknown metric {metric!r}; choose from {list(METRICS)}")
        if self.layers:
            self._check_loss_and_output(loss_name, list(metrics))
        self.optimizer = optimizer
        self.loss = loss_name
        self.metrics = list(dict.fromkeys(metrics))

    @property
    def compiled(self):
        return self.optimizer is not None

    def _check_loss_and_output(self, loss, metrics):
        """The loss and metrics fit the last layer (and, once built, the output shape)."""
        last = self.layers[-1]
        if loss in _CROSS_ENTROPIES and getattr(last, "activation", None) != "softmax":
            raise ValueError(
                f"loss: {loss!r} works on softmax outputs, but the last layer, {last.where}, has "
                f"activation={getattr(last, 'activation', None)!r}; give it "
                f"activation='softmax' (the model then uses the fused, stable softmax "
                f"cross-entropy on its logits)"
            )
        if not self.built:
            return
        shape = self.output_shape
        if loss in _CROSS_ENTROPIES and len(shape) != 1:
            raise ValueError(
                f"loss: {loss!r} needs outputs of shape (None, classes), but the last layer, "
                f"{last.where}, outputs {(None, *shape)}"
            )
        if "accuracy" in metrics and (len(shape) != 1 or shape[0] < 2):
            raise ValueError(
                f"metrics: 'accuracy' compares argmaxes along axis 1 and needs outputs of shape "
                f"(None, K) with K >= 2, got {(None, *shape)}"
            )

    def _require_compiled(self, method):
        if not self.compiled:
            raise RuntimeError(
                f"{method}: the model is not compiled; call model.compile(optimizer=..., "
                f"loss=..., metrics=[...]) first"
            )

    # -- data checks -------------------------------------------------------------------------

    def _check_x(self, x, name="x"):
        """Validate a batch of inputs, build the model from it if needed, cast to the dtype."""
        if not self.layers:
            raise ValueError(f"{name}: the model has no layers")
        x = as_float_array(x, name)
        if x.ndim < 2 or x.shape[0] == 0:
            raise ValueError(f"{name}: needs a batch (N, ...) with N >= 1, got shape {x.shape}")
        if not self.built:
            self.build(x.shape[1:])
        if x.shape[1:] != self.input_shape:
            first = self.layers[0]
            raise ValueError(
                f"{name}: the first layer, {first.where}, takes input of shape "
                f"{(None, *self.input_shape)}, got shape {x.shape}"
            )
        return x.astype(self.dtype, copy=False)

    def _check_y(self, y, n, name="y", x_name="x"):
        """Validate targets for the compiled loss; return them ready for the loss."""
        y = np.asarray(y)
        if y.dtype.kind == "c":
            raise TypeError(f"{name}: complex targets are not supported, got dtype {y.dtype}")
        if y.dtype.kind not in "biuf":
            raise TypeError(f"{name}: needs a numeric array, got dtype {y.dtype}")
        if y.ndim == 0 or y.shape[0] != n:
            got = "is a scalar" if y.ndim == 0 else f"has {y.shape[0]}"
            raise ValueError(f"{x_name}, {name}: {x_name} has {n} samples but {name} {got}")
        shape = self.output_shape
        if self.loss == "sparse_categorical_crossentropy":
            k = shape[0]
            if y.ndim != 1 or y.dtype.kind not in "iu":
                hint = (
                    "; one-hot rows go with loss='categorical_crossentropy'" if y.ndim == 2 else ""
                )
                raise ValueError(
                    f"{name}: loss 'sparse_categorical_crossentropy' needs integer class labels "
                    f"of shape (N,), got {y.dtype} array of shape {y.shape}{hint}"
                )
            if y.min() < 0 or y.max() >= k:
                raise ValueError(
                    f"{name}: class labels must lie in [0, {k}) for a model with {k} outputs, "
                    f"got min {y.min()} and max {y.max()}"
                )
            return y
        if self.loss == "categorical_crossentropy":
            k = shape[0]
            if y.ndim == 1 and y.dtype.kind in "iu":
                raise ValueError(
                    f"{name}: loss 'categorical_crossentropy' needs one-hot targets of shape "
                    f"(N, {k}), got integer labels of shape {y.shape}; use "
                    f"loss='sparse_categorical_crossentropy', or one-hot encode them with "
                    f"np.eye({k})[{name}]"
                )
            if y.shape != (n, k):
                raise ValueError(
                    f"{name}: loss 'categorical_crossentropy' needs one-hot targets of shape "
                    f"({n}, {k}) for a model with {k} outputs, got shape {y.shape}"
                )
            y = y.astype(self.dtype)
            if not (np.all(y >= 0) and np.allclose(y.sum(axis=1), 1.0, atol=1e-6)):
                raise ValueError(
                    f"{name}: loss 'categorical_crossentropy' needs one-hot (or probability) "
                    f"rows, each >= 0 and summing to 1"
                )
            return y
        if y.shape != (n, *shape):
            raise ValueError(
                f"{name}: loss 'mse' needs targets of the output's shape {(n, *shape)}, "
                f"got shape {y.shape}"
            )
        return y.astype(self.dtype)

    def _true_classes(self, y):
        return y if self.loss == "sparse_categorical_crossentropy" else y.argmax(axis=1)

    # -- forward, loss, backward -------------------------------------------------------------

    def _forward(self, x, training):
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def _loss_and_gradient(self, outputs, y):
        """The mean loss of a batch and its gradient: with respect to the last layer's
        pre-softmax logits for the cross-entropies (fused), to the outputs for 'mse'."""
        if self.loss in _CROSS_ENTROPIES:
            return softmax_cross_entropy(self.layers[-1].pre_activation, y)
        return mean_squared_error(outputs, y)

    def _backward(self, gradient):
        layers = self.layers
        if self.loss in _CROSS_ENTROPIES:
            gradient = layers[-1].backward_pre_activation(gradient)
            layers = layers[:-1]
        for layer in reversed(layers):
            gradient = layer.backward(gradient)
        return gradient

    def _batch_logs(self, loss, outputs, classes):
        """(loss, correct) for one batch."""
        correct = 0
        if "accuracy" in self.metrics:
            correct = int(np.count_nonzero(outputs.argmax(axis=1) == classes))
        return loss, correct

    def _epoch_logs(self, loss_sum, correct, n, prefix=""):
        logs = {f"{prefix}loss": loss_sum / n}
        if "accuracy" in self.metrics:
            logs[f"{prefix}accuracy"] = correct / n
        return logs

    def _evaluate_arrays(self, x, y, batch_size, prefix=""):
        classes = self._true_classes(y)
        loss_sum, correct = 0.0, 0
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            outputs = self._forward(xb, training=False)
            loss, _ = self._loss_and_gradient(outputs, yb)
            loss_sum += loss * len(xb)
            correct += self._batch_logs(loss, outputs, classes[start:start + batch_size])[1]
        return self._epoch_logs(loss_sum, correct, len(x), prefix)

    def compute_gradients(self, x, y, training=False):
        """Fill every parameter's ``.grad`` with the gradient of the mean loss on ``(x, y)``,
        without updating anything; return the loss.

        This is one forward and one backward pass of :meth:`fit`, on the whole of ``x``
        (``training=False`` by default so that Dropout is off, e.g. for gradient checks).
        """
        self._require_compiled("compute_gradients")
        x = self._check_x(x)
        self._check_loss_and_output(self.loss, self.metrics)
        y = self._check_y(y, len(x))
        outputs = self._forward(x, training=training)
        loss, gradient = self._loss_and_gradient(outputs, y)
        self._backward(gradient)
        return loss

    def train_on_batch(self, x, y):
        """One optimizer step on one batch (Keras' name); returns the loss, or
        ``[loss, accuracy]`` with metrics. Raises FloatingPointError, without updating, if the
        loss is not finite."""
        self._require_compiled("train_on_batch")
        x = self._check_x(x)
        self._check_loss_and_output(self.loss, self.metrics)
        y = self._check_y(y, len(x))
        loss, correct = self._train_step(x, y, self._true_classes(y), "train_on_batch")
        return loss if not self.metrics else [loss, correct / len(x)]

    def _train_step(self, xb, yb, classes, where):
        outputs = self._forward(xb, training=True)
        loss, gradient = self._loss_and_gradient(outputs, yb)
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"{where}: the loss is {loss}; the step was not applied, so the weights are "
                f"those before it (try a smaller learning_rate, or check the data for "
                f"NaN/inf)"
            )
        self._backward(gradient)
        self.optimizer.step(self.params)
        return self._batch_logs(loss, outputs, classes)

    # -- fit, evaluate, predict --------------------------------------------------------------

    def fit(self, x, y, epochs=1, batch_size=32, validation_data=None, shuffle=True, verbose=1,
            seed=None, initial_epoch=0):
        """Train for ``epochs - initial_epoch`` passes over ``(x, y)`` in mini-batches.

        Parameters
        ----------
        x : ndarray, shape (N, C, H, W) (or (N, features))
        y : ndarray
            One-hot (N, K) for ``'categorical_crossentropy'``, integer labels (N,) for
            ``'sparse_categorical_crossentropy'``, the output's shape for ``'mse'``.
        epochs : int
            Index of the last epoch + 1, as in Keras: with ``initial_epoch=0`` (the default)
            the number of epochs.
        batch_size : int
            The last batch of an epoch may be smaller.
        validation_data : (x_val, y_val), optional
            Evaluated (without dropout) after every epoch.
        shuffle : bool
            Visit the samples in a new random order each epoch.
        verbose : {0, 1, 2}
            0 silent; 1 a tqdm progress bar per epoch (on stderr); 2 one line per epoch on
            stdout without timings, e.g. ``Epoch 1/5 - loss: 1.2345 - accuracy: 0.6789 -
            val_loss: 0.5432 - val_accuracy: 0.8765`` (on one line; four decimals).
        seed : int, optional
            Epoch ``e`` is shuffled by ``np.random.default_rng([seed, e])``; default: the
            model's seed (fresh randomness if neither is set).
        initial_epoch : int
            Epoch to start from, to resume training: a model saved after ``fit(epochs=2)`` and
            loaded, then ``fit(epochs=3, initial_epoch=2)``, ends exactly where
            ``fit(epochs=3)`` does (same seeds).

        Returns
        -------
        History
            ``history.history['loss']`` etc., one value per epoch: the training values are the
            batch-size weighted means over the epoch (as Keras reports them).

        Raises
        ------
        RuntimeError
            If the model is not compiled.
        FloatingPointError
            At the first non-finite batch loss; the message names the epoch and batch
            (counted from 1) and the weights are those before that step.
        """
        self._require_compiled("fit")
        epochs = _non_negative_int(epochs, "epochs")
        initial_epoch = _non_negative_int(initial_epoch, "initial_epoch")
        if initial_epoch > epochs:
            raise ValueError(
                f"initial_epoch: needs initial_epoch <= epochs, got {initial_epoch} > {epochs}"
            )
        batch_size = positive_int(batch_size, "batch_size")
        if verbose not in (0, 1, 2) or isinstance(verbose, bool):
            raise ValueError(f"verbose: needs 0, 1 or 2, got {verbose!r}")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle: needs True or False, got {shuffle!r}")
        seed = _seed(seed)
        x = self._check_x(x)
        self._check_loss_and_output(self.loss, self.metrics)
        y = self._check_y(y, len(x))
        validation = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError(
                    "validation_data: needs a pair (x_val, y_val), got "
                    f"{type(validation_data).__name__}"
                )
            x_val = self._check_x(validation_data[0], "validation_data[0]")
            y_val = self._check_y(
                validation_data[1], len(x_val), "validation_data[1]", "validation_data[0]"
            )
            validation = (x_val, y_val)

        n = len(x)
        steps = -(-n // batch_size)
        if seed is None:
            seed = self.seed if self.seed is not None else np.random.SeedSequence().entropy
        classes = self._true_classes(y)
        history = History(
            {"epochs": epochs, "steps": steps, "verbose": verbose, "batch_size": batch_size}
        )
        for epoch in range(initial_epoch, epochs):
            order = np.random.default_rng([seed, epoch]).permutation(n) if shuffle else None
            bar = None
            if verbose == 1:
                bar = tqdm(total=steps, desc=f"Epoch {epoch + 1}/{epochs}", unit="batch")
            loss_sum, correct = 0.0, 0
            try:
                for step, start in enumerate(range(0, n, batch_size)):
                    batch = slice(start, start + batch_size) if order is None else \
                        order[start:start + batch_size]
                    where = f"fit: epoch {epoch + 1}/{epochs}, batch {step + 1}/{steps}"
                    loss, batch_correct = self._train_step(
                        x[batch], y[batch], classes[batch], where
                    )
                    size = min(batch_size, n - start)
                    loss_sum += loss * size
                    correct += batch_correct
                    if bar is not None:
                        seen = start + size
                        bar.set_postfix(self._epoch_logs(loss_sum, correct, seen), refresh=False)
                        bar.update(1)
                logs = self._epoch_logs(loss_sum, correct, n)
                if validation is not None:
                    logs.update(self._evaluate_arrays(*validation, batch_size, prefix="val_"))
                if bar is not None:
                    bar.set_postfix(logs, refresh=True)
            finally:
                if bar is not None:
                    bar.close()
            history._append(epoch, logs)
            if verbose == 2:
                print(f"Epoch {epoch + 1}/{epochs} - {_format_logs(logs)}")
        return history

    def evaluate(self, x, y, batch_size=32, verbose=0, return_dict=False):
        """Loss (and metrics) on ``(x, y)``, in inference mode (no dropout).

        Returns
        -------
        float, or [loss, accuracy] with metrics, or a dict with ``return_dict=True``
            As Keras. The values are batch-size weighted means over all samples. With
            ``verbose=2`` (or 1) one line ``loss: 0.1234 - accuracy: 0.9667`` is printed.
        """
        self._require_compiled("evaluate")
        batch_size = positive_int(batch_size, "batch_size")
        if verbose not in (0, 1, 2) or isinstance(verbose, bool):
            raise ValueError(f"verbose: needs 0, 1 or 2, got {verbose!r}")
        x = self._check_x(x)
        self._check_loss_and_output(self.loss, self.metrics)
        y = self._check_y(y, len(x))
        logs = self._evaluate_arrays(x, y, batch_size)
        if verbose:
            print(_format_logs(logs))
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=32, verbose=0):
        """The model's outputs for ``x`` (softmax probabilities for a softmax last layer),
        computed in batches in inference mode; shape (N, *output_shape), the model's dtype.
        ``verbose=1`` shows a progress bar."""
        batch_size = positive_int(batch_size, "batch_size")
        if verbose not in (0, 1, 2) or isinstance(verbose, bool):
            raise ValueError(f"verbose: needs 0, 1 or 2, got {verbose!r}")
        x = self._check_x(x)
        starts = range(0, len(x), batch_size)
        if verbose == 1:
            starts = tqdm(starts, desc="predict", unit="batch")
        return np.concatenate(
            [self._forward(x[start:start + batch_size], training=False) for start in starts]
        )

    def layer_outputs(self, x, training=False):
        """The output of every layer for ``x``, as a list (``[0]``: the first layer's feature
        maps, (N, O, H, W) for a Conv2D). For a single layer, ``model.layers[i].forward`` on
        the previous layer's output does the same."""
        x = self._check_x(x)
        outputs = []
        for layer in self.layers:
            x = layer.forward(x, training=training)
            outputs.append(x)
        return outputs

    # -- summary -----------------------------------------------------------------------------

    def summary(self, print_fn=None):
        """Print a Keras-like table of the layers: name (type), output shape, parameter count,
        and the totals. Needs a built model. Returns None."""
        if not self.built:
            raise ValueError(
                "summary: the model is not built yet; give the first layer input_shape=(C, H, W), "
                "call model.build((C, H, W)), or fit/predict first"
            )
        print_fn = print if print_fn is None else print_fn
        rows = [
            (f"{layer.name} ({type(layer).__name__})", str((None, *layer.output_shape)),
             str(layer.count_params()))
            for layer in self.layers
        ]
        widths = [
            max(29, max(len(row[0]) for row in rows) + 1),
            max(26, max(len(row[1]) for row in rows) + 1),
            10,
        ]
        total = sum(widths)

        def line(cells):
            return "".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()

        params = self.count_params()
        lines = [f'Model: "{self.name}"', "_" * total,
                 line(("Layer (type)", "Output Shape", "Param #")), "=" * total]
        lines += [line(row) for row in rows]
        lines += ["=" * total, f"Total params: {params:,}", f"Trainable params: {params:,}",
                  "Non-trainable params: 0", "_" * total]
        for text in lines:
            print_fn(text)

    # -- save and load -----------------------------------------------------------------------

    def _spec(self):
        spec = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "config": {
                "name": self.name,
                "seed": self.seed,
                "dtype": self.dtype.name,
                "input_shape": list(self.input_shape),
                "layers": [serialize(layer) for layer in self.layers],
            },
            "extra_state": {
                str(index): state
                for index, layer in enumerate(self.layers)
                if (state := layer.get_extra_state())
            },
            "compile": None,
        }
        return spec

    def save(self, path):
        """Write the architecture, the weights and (if compiled) the optimizer to one ``.npz``.

        The file is written to a temporary file in the same directory and moved over ``path``
        with ``os.replace``, so ``path`` always holds a complete model. Entries (no pickles):

        - ``model.json``: a 0-d unicode array, the JSON of ``{"format": "dlbook.Sequential",
          "format_version": 1, "config": {name, seed, dtype, input_shape, layers: [{class_name,
          config}, ...]}, "extra_state": {layer index: {...}} (Dropout generators),
          "compile": {optimizer class, loss, metrics} or null}``;
        - ``weights/{i}/{name}``: layer ``i``'s parameter ``name`` (``kernel``, ``bias``);
        - ``optimizer/{key}``: the optimizer's ``state_dict()`` entries.
        """
        if not self.built:
            raise ValueError(
                "save: the model is not built yet; build it (or fit it) before saving"
            )
        spec = self._spec()
        arrays = {}
        for index, layer in enumerate(self.layers):
            for name, p in layer.named_params().items():
                arrays[f"weights/{index}/{name}"] = p.data
        if self.compiled:
            class_name = type(self.optimizer).__name__
            if _OPTIMIZER_CLASSES.get(class_name) is type(self.optimizer):
                spec["compile"] = {"optimizer": class_name, "loss": self.loss,
                                   "metrics": self.metrics}
                for key, value in self.optimizer.state_dict().items():
                    arrays[f"optimizer/{key}"] = np.asarray(value)
            else:
                warnings.warn(
                    f"save: the optimizer {class_name} is not one of dlbook.optim's; the model "
                    f"is saved without it (compile it again after loading)",
                    stacklevel=2,
                )
        arrays["model.json"] = np.array(json.dumps(spec))

        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        handle, temporary = tempfile.mkstemp(
            prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory
        )
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, **arrays)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    @classmethod
    def load(cls, path):
        """Read a model written by :meth:`save`; its ``predict`` equals the saved model's bit
        for bit, and (if it was compiled) it is compiled with the optimizer state restored, so
        ``fit(..., initial_epoch=...)`` resumes training exactly.

        Raises
        ------
        FileNotFoundError
            If there is no file at ``path``.
        ValueError
            If the file is truncated, corrupt, not a dlbook model or of an unknown format
            version; the message names the path. Nothing is returned half-loaded.
        """
        path = os.fspath(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path}: no such file")
        try:
            loaded = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"{path}: cannot be read as a dlbook model (.npz): {error}") from None
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError(f"{path}: holds a single .npy array, not a dlbook model (.npz)")
        try:
            with loaded:
                arrays = {key: loaded[key] for key in loaded.files}
            return cls._from_arrays(arrays)
        except (ValueError, TypeError, KeyError, AttributeError, EOFError, OSError,
                zipfile.BadZipFile, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: not a valid dlbook model file: {error}") from None

    @classmethod
    def _from_arrays(cls, arrays):
        if "model.json" not in arrays:
            raise ValueError("no 'model.json' entry (is this a file written by Sequential.save?)")
        text = arrays["model.json"]
        if text.ndim != 0 or text.dtype.kind != "U":
            raise ValueError("'model.json' is not a string")
        spec = json.loads(str(text))
        if not isinstance(spec, dict) or spec.get("format") != FORMAT:
            raise ValueError(f"'model.json' does not describe a {FORMAT}")
        if spec.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"format version {spec.get('format_version')!r} is not supported (this dlbook "
                f"reads version {FORMAT_VERSION})"
            )
        config = spec["config"]
        layers = [deserialize(layer_spec) for layer_spec in config["layers"]]
        model = cls(layers, seed=config["seed"], dtype=config["dtype"], name=config["name"])
        model.build(tuple(config["input_shape"]))

        expected = {}
        for index, layer in enumerate(model.layers):
            for name, p in layer.named_params().items():
                expected[f"weights/{index}/{name}"] = p
        weight_keys = {key for key in arrays if key.startswith("weights/")}
        if weight_keys != set(expected):
            missing = sorted(set(expected) - weight_keys)
            unexpected = sorted(weight_keys - set(expected))
            raise ValueError(f"weights do not match the architecture: missing {missing[:5]}, "
                             f"unexpected {unexpected[:5]}")
        for key, p in expected.items():
            array = arrays[key]
            if array.shape != p.data.shape or array.dtype != p.data.dtype:
                raise ValueError(
                    f"{key!r} has shape {array.shape} and dtype {array.dtype}, the architecture "
                    f"needs {p.data.shape} and {p.data.dtype}"
                )
        for key, p in expected.items():
            np.copyto(p.data, arrays[key])

        extra_state = spec.get("extra_state", {})
        for index, layer in enumerate(model.layers):
            state = extra_state.get(str(index))
            if state:
                layer.set_extra_state(state)

        optimizer_keys = {key for key in arrays if key.startswith("optimizer/")}
        other = set(arrays) - weight_keys - optimizer_keys - {"model.json"}
        if other:
            raise ValueError(f"unexpected entries {sorted(other)[:5]}")
        compile_spec = spec.get("compile")
        if compile_spec is None:
            if optimizer_keys:
                raise ValueError("optimizer entries without a 'compile' record")
            return model
        optimizer_class = _OPTIMIZER_CLASSES.get(compile_spec["optimizer"])
        if optimizer_class is None:
            raise ValueError(f"unknown optimizer {compile_spec['optimizer']!r}")
        optimizer = optimizer_class()
        state_dict = {key[len("optimizer/"):]: arrays[key] for key in optimizer_keys}
        optimizer.load_state_dict(state_dict)
        params = model.params
        num_params = int(state_dict["num_params"])
        if num_params not in (0, len(params)):
            raise ValueError(
                f"the optimizer state is for {num_params} parameters, the model has {len(params)}"
            )
        for key, value in state_dict.items():
            index, _, moment = key.partition(".")
            if moment and moment != "step" and np.shape(value) != params[int(index)].data.shape:
                raise ValueError(
                    f"optimizer state {key!r} has shape {np.shape(value)}, its parameter "
                    f"{params[int(index)].data.shape}"
                )
        model.compile(optimizer=optimizer, loss=compile_spec["loss"],
                      metrics=list(compile_spec["metrics"]))
        return model

    def __repr__(self):
        return (f"Sequential(name={self.name!r}, layers={len(self.layers)}, "
                f"built={self.built}, compiled={self.compiled})")
