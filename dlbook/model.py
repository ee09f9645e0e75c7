r"""Sequential: a stack of layers trained Keras style -- compile, fit, evaluate, predict, save.

The Keras calls work as they are, apart from the imports; images are NCHW and ``input_shape``
is CHW (no batch dimension):

>>> import numpy as np
>>> from dlbook.layers import Conv2D, Dense, Flatten, MaxPooling2D
>>> from dlbook.optim import Adam
>>> model = Sequential([
...     Conv2D(filters=4, kernel_size=(3, 3), strides=1, padding='same', activation='relu',
...            input_shape=(1, 8, 8)),
...     MaxPooling2D(pool_size=(2, 2)),
...     Flatten(),
...     Dense(10, activation='softmax'),
... ], seed=0)
>>> model.compile(optimizer=Adam(learning_rate=0.001), loss='sparse_categorical_crossentropy',
...               metrics=['accuracy'])
>>> x = np.random.default_rng(0).random((64, 1, 8, 8), dtype=np.float32)
>>> history = model.fit(x, np.arange(64) % 10, epochs=2, batch_size=32, verbose=0)
>>> sorted(history.history), history.epoch, model.predict(x[:3]).shape
(['accuracy', 'loss'], [0, 1], (3, 10))

The cross-entropy losses need a last layer with ``activation='softmax'`` and are fused with it
(see :mod:`dlbook.training`); ``predict`` still returns the softmax probabilities. A model
computes in one dtype, float32 by default (``dtype='float64'`` for gradient checks).

Reproducibility. ``Sequential(layers, seed=0)`` draws every layer's initial weights from one
``np.random.default_rng(seed)``, layer by layer in order (a Dropout layer takes one number from
it to seed its mask generator); ``fit`` shuffles from its own seed or else the model's. The same
seeds give the same training bit for bit, a resumed one included.
"""

import numpy as np

from dlbook import compile_utils, saving
from dlbook._validation import boolean, float_dtype, optional_seed, positive_int, weight_list
from dlbook.callbacks import History, format_logs
from dlbook.compile_utils import LOSSES, METRICS, OPTIMIZERS
from dlbook.layer_stack import append_layers, build_layers, declared_input_shape
from dlbook.layer_stack import input_shape_tuple, plan_shapes
from dlbook.summary import summary_lines
from dlbook.training import EpochMeans, backward, build_for, check_fit_arguments, check_verbose
from dlbook.training import check_x, evaluate_batches, fit_epochs, loss_and_gradient
from dlbook.training import predict_batches, prepare_data, prepare_validation, train_step
from dlbook.training import check_callbacks, split_validation

__all__ = ["Sequential", "History", "LOSSES", "OPTIMIZERS", "METRICS"]


class Sequential:
    """A linear stack of layers, with Keras' ``compile`` / ``fit`` / ``evaluate`` / ``predict``.

    Parameters
    ----------
    layers : list of Layer, optional
        In order, optionally opened by ``Input(shape=(C, H, W))``; more can be added with
        :meth:`add`; unnamed layers are named Keras style (``'conv2d'``, ``'conv2d_1'``, ...).
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
        True once the weights exist: at construction after an Input or when the first layer has an
        ``input_shape``, else at :meth:`build` or the first ``fit`` / ``predict`` / ``evaluate``.
    input_shape, output_shape : tuple of int
        Per-sample shapes (no batch dimension); ``input_spec`` is the opening Input, or None.
    optimizer, loss, metrics
        Set by :meth:`compile`.
    """

    def __init__(self, layers=None, seed=None, dtype="float32", name=None):
        self.seed = optional_seed(seed)
        self.dtype = float_dtype(dtype)
        if name is not None and (not isinstance(name, str) or not name):
            raise TypeError(f"name: needs a non-empty string or None, got {name!r}")
        self.name = name or "sequential"
        self.layers = []
        self.optimizer = self.loss = None
        self.metrics = []
        self.built = False
        self.input_shape = self.input_spec = None
        self._init_rng = None
        if layers is not None:
            if not isinstance(layers, (list, tuple)):
                raise TypeError(f"layers: needs a list of layers, got {type(layers).__name__}")
            append_layers(self, list(layers), None)

    # -- structure ---------------------------------------------------------------------------

    def add(self, layer):
        """Append a layer (built at once if the model is already built). A rejected layer
        leaves the model and the layer as they were."""
        append_layers(self, [layer], self._init_rng, "layer")

    def compute_output_shape(self, input_shape):
        """The per-sample output shape for samples of ``input_shape`` (Keras' method),
        checking that every layer can take its input; builds nothing.

        >>> from dlbook.layers import Conv2D, Flatten
        >>> model = Sequential([Conv2D(2, 3), Flatten()])
        >>> model.compute_output_shape((1, 5, 5)), model.built
        ((18,), False)
        """
        if not self.layers:
            raise ValueError("input_shape: the model has no layers; add some first")
        shape = input_shape_tuple(input_shape)
        if self.built:
            if shape != self.input_shape:
                raise ValueError(
                    f"input_shape: the model is built for {self.input_shape}, got {shape}"
                )
            return self.output_shape
        return plan_shapes(self.layers, shape, self.dtype)[-1]

    def build(self, input_shape=None):
        """Create every layer's weights for samples of ``input_shape`` (e.g. ``(1, 8, 8)``;
        Keras' ``(None, 1, 8, 8)`` too; default: the first layer's ``input_shape``).

        The initial weights come from ``np.random.default_rng(seed)``, layer by layer in order.
        Every layer is checked for its input before any is built: if one cannot take its
        input, the error names it and nothing changes. Building a built model again does
        nothing.
        """
        if not self.layers:
            raise ValueError("build: the model has no layers; add some first")
        if input_shape is None:
            input_shape = declared_input_shape(self)
            if input_shape is None:
                raise ValueError(
                    "input_shape: the first layer has no input_shape; call "
                    "model.build((C, H, W)) or give the first layer input_shape=(C, H, W)"
                )
        shape = input_shape_tuple(input_shape)
        self.compute_output_shape(shape)
        if self.built:
            return
        rng = np.random.default_rng(self.seed)
        build_layers(self.layers, shape, rng, self.dtype)
        self.input_shape = shape
        self._init_rng = rng
        self.built = True

    @property
    def output_shape(self):
        """The last layer's per-sample output shape, once built (else None)."""
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
        """Overwrite all parameters from a list of arrays (as :meth:`get_weights` returns);
        every array is checked before any is written."""
        params = self.params
        arrays = weight_list(weights, [p.data.shape for p in params])
        for p, w in zip(params, arrays):
            p.data[...] = w

    # -- compile, and the methods that take (x, y) ------------------------------------------

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
            ``['accuracy']``: the fraction of samples whose output argmax is the target's class.
        """
        optimizer = compile_utils.get_optimizer(optimizer)
        loss = compile_utils.get_loss(loss)
        metrics = compile_utils.get_metrics(metrics)
        if self.layers:
            compile_utils.check_loss_and_output(loss, metrics, self.layers[-1], self.output_shape)
        self.optimizer, self.loss, self.metrics = optimizer, loss, metrics

    @property
    def compiled(self):
        """True once :meth:`compile` has chosen an optimizer and a loss."""
        return self.optimizer is not None

    def compute_gradients(self, x, y, training=False):
        """Fill every parameter's ``.grad`` with the gradient of the mean loss on ``(x, y)``,
        without updating anything; return the loss: one forward and one backward pass of
        :meth:`fit` on the whole of ``x`` (Dropout off by default, e.g. for gradient checks)."""
        training = boolean(training, "training")
        x, y = prepare_data(self, "compute_gradients", x, y)
        build_for(self, x)
        _, loss, gradient = loss_and_gradient(self, x, y, training)
        backward(self, gradient)
        return loss

    def train_on_batch(self, x, y):
        """One optimizer step on one batch (Keras' name); returns the loss, or ``[loss,
        accuracy]`` with metrics. Raises FloatingPointError, without updating, if the loss is
        not finite."""
        x, y = prepare_data(self, "train_on_batch", x, y)
        build_for(self, x)
        loss, outputs = train_step(self, x, y, "train_on_batch")
        means = EpochMeans(self.metrics)
        means.update(loss, outputs, compile_utils.true_classes(self.loss, y))
        return loss if not self.metrics else [loss, means.result()["accuracy"]]

    # -- fit, evaluate, predict --------------------------------------------------------------

    def fit(self, x, y, epochs=1, batch_size=32, validation_data=None, shuffle=True, verbose=1,
            seed=None, initial_epoch=0, validation_split=0.0, callbacks=None):
        """Train for ``epochs - initial_epoch`` passes over ``(x, y)`` in mini-batches.

        Parameters
        ----------
        x : ndarray, shape (N, C, H, W) (or (N, features))
        y : ndarray
            One-hot (N, K) for ``'categorical_crossentropy'``, integer labels (N,) for
            ``'sparse_categorical_crossentropy'``, the output's shape for ``'mse'``.
        epochs, batch_size : int
            Index of the last epoch + 1, as in Keras; the last batch of an epoch may be smaller.
        validation_data : (x_val, y_val), optional
            Evaluated (without dropout) after every epoch.
        shuffle : bool, default True: a new random order of the samples each epoch.
        verbose : {0, 1, 2}
            0 silent; 1 a tqdm progress bar per epoch (stderr); 2 one line per epoch (stdout),
            e.g. ``Epoch 1/5 - loss: 1.2345 - accuracy: 0.6789 - val_loss: 0.5432 -
            val_accuracy: 0.8765`` (four decimals, no timings).
        seed : int, optional
            Epoch ``e`` is shuffled by ``np.random.default_rng([seed, e])``; default: the
            model's seed (fresh randomness if neither is set).
        initial_epoch : int
            Epoch to resume from: a model saved after ``fit(epochs=2)``, loaded, then fit with
            ``epochs=3, initial_epoch=2`` ends exactly where ``fit(epochs=3)`` does.
        validation_split : float in (0, 1), optional
            Hold out the LAST ``N - floor(N * (1 - validation_split))`` samples, before
            shuffling, as validation data (Keras's meaning); not with ``validation_data``.
        callbacks : list of Callback, optional
            Their Keras hooks are called (:mod:`dlbook.callbacks`); ``model.stop_training =
            True`` from one ends training after the epoch.

        Returns
        -------
        History
            ``history.history['loss']`` etc., one value per epoch: the training values are the
            batch-size weighted means over the epoch (as Keras reports them).

        A model that is not compiled is a RuntimeError; the first non-finite batch loss is a
        FloatingPointError naming the epoch and batch (from 1), the weights those before it.
        """
        epochs, batch_size, shuffle, verbose, seed, initial_epoch = check_fit_arguments(
            epochs, batch_size, shuffle, verbose, seed, initial_epoch)
        callbacks = check_callbacks(callbacks)
        x, y = prepare_data(self, "fit", x, y)
        x, y, validation = split_validation(x, y, validation_split, validation_data)
        validation = validation or prepare_validation(self, validation_data, x.shape[1:])
        build_for(self, x)
        return fit_epochs(self, x, y, validation, epochs, initial_epoch, batch_size, shuffle,
                          seed, verbose, callbacks)

    def evaluate(self, x, y, batch_size=32, verbose=0, return_dict=False):
        """Loss (and metrics) on ``(x, y)``, in inference mode (no dropout): a float, or
        ``[loss, accuracy]`` with metrics, or a dict with ``return_dict=True``, as Keras. The
        values are batch-size weighted means over all samples; ``verbose=2`` (or 1) prints one
        line ``loss: 0.1234 - accuracy: 0.9667``."""
        batch_size = positive_int(batch_size, "batch_size")
        verbose = check_verbose(verbose)
        return_dict = boolean(return_dict, "return_dict")
        x, y = prepare_data(self, "evaluate", x, y)
        build_for(self, x)
        logs = evaluate_batches(self, x, y, batch_size)
        if verbose:
            print(format_logs(logs))
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=32, verbose=0):
        """The model's outputs for ``x`` (softmax probabilities for a softmax last layer),
        computed in batches in inference mode; shape (N, *output_shape), the model's dtype.
        ``verbose=1`` shows a progress bar."""
        batch_size = positive_int(batch_size, "batch_size")
        verbose = check_verbose(verbose)
        x = check_x(self, x)
        build_for(self, x)
        return predict_batches(self, x, batch_size, verbose)

    def layer_outputs(self, x, training=False):
        """The output of every layer for ``x``, as a list (``[0]``: the first layer's feature
        maps, (N, O, H, W) for a Conv2D). For a single layer, ``model.layers[i].forward`` on
        the previous layer's output does the same."""
        training = boolean(training, "training")
        x = check_x(self, x)
        build_for(self, x)
        outputs = []
        for layer in self.layers:
            x = layer.forward(x, training=training)
            outputs.append(x)
        return outputs

    # -- summary, save and load --------------------------------------------------------------

    def summary(self, print_fn=None):
        """Print a Keras-like table of the layers: name (type), output shape, parameter count,
        and the totals (see :func:`dlbook.summary.summary_lines`). Needs a built model;
        ``print_fn`` (default ``print``) gets each line."""
        if print_fn is not None and not callable(print_fn):
            raise TypeError(f"print_fn: needs a function such as print, got {print_fn!r}")
        for text in summary_lines(self):
            (print if print_fn is None else print_fn)(text)

    def save(self, path):
        """Write the architecture, the weights and (if compiled) the optimizer to one ``.npz``,
        atomically; the format is :mod:`dlbook.saving`'s."""
        saving.save_model(self, path)

    @classmethod
    def load(cls, path):
        """Read a model written by :meth:`save` (:func:`dlbook.saving.load_model`): its
        ``predict`` equals the saved model's bit for bit and a compiled one resumes training
        exactly. A missing file is a FileNotFoundError, a corrupt or foreign one a ValueError
        naming the path."""
        return saving.load_model(path, cls)

    def __repr__(self):
        return (f"Sequential(name={self.name!r}, layers={len(self.layers)}, "
                f"built={self.built}, compiled={self.compiled})")
