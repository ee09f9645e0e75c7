r"""How a compiled Sequential trains: forward and backward through its layers, one optimizer
step, the epoch loop of ``fit`` with its running means and callbacks, and batched evaluation.

Everything here goes through the model's public surface (``layers``, ``params``,
``optimizer``, ``loss``, ``metrics``) and the layers' ``forward`` / ``backward``.

Softmax and cross-entropy. For ``'categorical_crossentropy'`` and
``'sparse_categorical_crossentropy'`` the last layer has ``activation='softmax'``; the loss is
taken on its *pre-softmax* logits :math:`z` with :func:`dlbook.functional.softmax_cross_entropy`,
whose gradient is the stable :math:`(\operatorname{softmax}(z) - t) / N`, and the backward pass
starts at that layer's ``backward_pre_activation``: Keras' ``from_logits=True`` made explicit,
the softmax Jacobian never formed. With ``'mse'`` the loss is taken on the outputs and the
backward pass goes through every activation, softmax included.
"""

import math
import numbers

import numpy as np

from tqdm import tqdm

from dlbook._validation import as_float_array, boolean, fraction, non_negative_int, optional_seed
from dlbook._validation import positive_int
from dlbook.callbacks import Callback, History, ProgressLogger
from dlbook.compile_utils import CROSS_ENTROPIES, check_loss_and_output, check_targets
from dlbook.compile_utils import true_classes
from dlbook.functional import mean_squared_error, softmax_cross_entropy

__all__ = ["check_verbose", "check_fit_arguments", "check_x", "build_for", "prepare_data",
           "prepare_validation", "split_validation", "check_callbacks", "forward",
           "loss_and_gradient", "backward", "train_step",
           "EpochMeans", "evaluate_batches", "predict_batches", "fit_epochs"]


def check_verbose(value):
    """``verbose`` of fit / evaluate / predict: the int 0, 1 or 2 (bools and floats are
    rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value not in (0, 1, 2):
        raise ValueError(f"verbose: needs 0, 1 or 2, got {value!r}")
    return int(value)


def check_fit_arguments(epochs, batch_size, shuffle, verbose, seed, initial_epoch):
    """``fit``'s scalar arguments, checked and returned in this order; ``0 <= initial_epoch
    <= epochs``, ``batch_size >= 1``, ``seed`` None or an int >= 0."""
    epochs = non_negative_int(epochs, "epochs")
    initial_epoch = non_negative_int(initial_epoch, "initial_epoch")
    if initial_epoch > epochs:
        raise ValueError(
            f"initial_epoch: needs initial_epoch <= epochs, got {initial_epoch} > {epochs}"
        )
    return (epochs, positive_int(batch_size, "batch_size"), boolean(shuffle, "shuffle"),
            check_verbose(verbose), optional_seed(seed), initial_epoch)


def check_x(model, x, name="x", input_shape=None):
    """Validate a batch of inputs for ``model`` and return it cast to the model's dtype;
    ``name`` is how messages call it. Builds nothing: an unbuilt model is checked for the
    shape of ``x`` (every layer must be able to take its input, see
    ``Sequential.compute_output_shape``), or for ``input_shape`` when one is given (the
    per-sample shape that the model is about to be built for)."""
    if not model.layers:
        raise ValueError(f"{name}: the model has no layers")
    x = as_float_array(x, name)
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"{name}: needs a batch (N, ...) with N >= 1, got shape {x.shape}")
    expected = model.input_shape if model.built else input_shape
    if expected is None:
        model.compute_output_shape(x.shape[1:])
    elif x.shape[1:] != tuple(expected):
        raise ValueError(
            f"{name}: the first layer, {model.layers[0].where}, takes input of shape "
            f"{(None, *expected)}, got shape {x.shape}"
        )
    return x.astype(model.dtype, copy=False)


def build_for(model, x):
    """Build ``model`` for the samples of a checked ``x`` unless it is built."""
    if not model.built:
        model.build(x.shape[1:])


def prepare_data(model, method, x, y, x_name="x", y_name="y", input_shape=None):
    """The one prelude of fit, evaluate, train_on_batch and compute_gradients.

    Checks, in this order, that the model is compiled (RuntimeError naming ``method``), that
    ``x`` fits the first layer (see :func:`check_x`), that the loss fits the last layer and
    that ``y`` fits the loss; returns ``(x, y)`` ready for training. It builds nothing, so
    that a rejected call leaves an unbuilt model unbuilt: the caller builds the model
    (:func:`build_for`) once every argument is checked. ``x_name`` and ``y_name`` are how
    messages call them (``'validation_data[0]'``, ...).
    """
    if not model.compiled:
        raise RuntimeError(
            f"{method}: the model is not compiled; call model.compile(optimizer=..., "
            f"loss=..., metrics=[...]) first"
        )
    x = check_x(model, x, x_name, input_shape)
    output_shape = model.compute_output_shape(x.shape[1:])
    check_loss_and_output(model.loss, model.metrics, model.layers[-1], output_shape)
    y = check_targets(model.loss, y, len(x), output_shape, model.dtype, y_name, x_name)
    return x, y


def prepare_validation(model, validation_data, input_shape):
    """``fit``'s ``validation_data``: None, or a pair ``(x_val, y_val)`` through
    :func:`prepare_data`, whose samples must have the per-sample ``input_shape`` of the
    training inputs."""
    if validation_data is None:
        return None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise TypeError(
            f"validation_data: needs a pair (x_val, y_val), got {type(validation_data).__name__}"
        )
    return prepare_data(model, "fit", *validation_data, x_name="validation_data[0]",
                        y_name="validation_data[1]", input_shape=input_shape)


def split_validation(x, y, validation_split, validation_data):
    """``fit``'s ``validation_split``: 0 (none), or a float in (0, 1) that holds out the LAST
    ``N - floor(N * (1 - validation_split))`` samples of the checked ``(x, y)``, before any
    shuffling, as Keras 3 does. Returns ``(x_train, y_train, (x_val, y_val) or None)``.

    >>> x, y = np.arange(10.0).reshape(5, 2), np.arange(5.0)
    >>> x_train, y_train, (x_val, y_val) = split_validation(x, y, 0.5, None)
    >>> y_train, y_val
    (array([0., 1.]), array([2., 3., 4.]))
    """
    if isinstance(validation_split, numbers.Real) and not isinstance(validation_split, bool) \
            and validation_split == 0:
        return x, y, None
    validation_split = fraction(validation_split, "validation_split", low_open=True)
    if validation_data is not None:
        raise ValueError("validation_split: give validation_split or validation_data, not "
                         f"both (got validation_split={validation_split!r} and validation_data)")
    split_at = int(math.floor(len(x) * (1.0 - validation_split)))
    if split_at in (0, len(x)):
        raise ValueError(f"validation_split: {validation_split!r} of {len(x)} samples leaves "
                         f"{split_at} for training and {len(x) - split_at} for validation; "
                         f"both need at least 1")
    return x[:split_at], y[:split_at], (x[split_at:], y[split_at:])


def check_callbacks(callbacks):
    """``fit``'s ``callbacks``: None or a list/tuple of :class:`~dlbook.callbacks.Callback`
    instances; returned as a list."""
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"callbacks: needs a list of Callback instances, got "
                        f"{type(callbacks).__name__}")
    for index, callback in enumerate(callbacks):
        if not isinstance(callback, Callback):
            raise TypeError(f"callbacks[{index}]: needs a Callback instance (such as "
                            f"EarlyStopping(...)), got {type(callback).__name__}")
    return list(callbacks)


def forward(model, x, training):
    """The model's output for a batch ``x``: each layer's ``forward`` in turn."""
    for layer in model.layers:
        x = layer.forward(x, training=training)
    return x


def loss_and_gradient(model, x, y, training):
    """``(outputs, loss, gradient)`` of a batch: the mean loss, and its gradient with respect
    to the last layer's pre-softmax logits for the cross-entropies (fused), to the outputs for
    ``'mse'``."""
    outputs = forward(model, x, training)
    if model.loss in CROSS_ENTROPIES:
        loss, gradient = softmax_cross_entropy(model.layers[-1].pre_activation, y)
    else:
        loss, gradient = mean_squared_error(outputs, y)
    return outputs, loss, gradient


def backward(model, gradient):
    """Push the gradient of :func:`loss_and_gradient` back through the layers, filling every
    parameter's ``.grad``; returns the gradient with respect to the input."""
    layers = model.layers
    if model.loss in CROSS_ENTROPIES:  # the fused softmax: start before the activation
        gradient = layers[-1].backward_pre_activation(gradient)
        layers = layers[:-1]
    for layer in reversed(layers):
        gradient = layer.backward(gradient)
    return gradient


def train_step(model, xb, yb, where):
    """One optimizer step on a batch; returns ``(loss, outputs)``.

    A non-finite loss raises FloatingPointError (``where`` says which batch) before the step,
    so the weights stay those before it.
    """
    outputs, loss, gradient = loss_and_gradient(model, xb, yb, training=True)
    if not math.isfinite(loss):
        raise FloatingPointError(
            f"{where}: the loss is {loss}; the step was not applied, so the weights are "
            f"those before it (try a smaller learning_rate, or check the data for NaN/inf)"
        )
    backward(model, gradient)
    model.optimizer.step(model.params)
    return loss, outputs


class EpochMeans:
    """Batch-size weighted means of the loss (and accuracy) over the batches seen so far.

    Examples
    --------
    >>> means = EpochMeans(["accuracy"], prefix="val_")
    >>> means.update(0.5, np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0, 0]))
    >>> means.update(0.2, np.array([[0.3, 0.7]]), np.array([1]))
    >>> means.result() == {"val_loss": (0.5 * 2 + 0.2) / 3, "val_accuracy": 2 / 3}
    True
    """

    def __init__(self, metrics, prefix=""):
        self.accuracy = "accuracy" in metrics
        self.prefix = prefix
        self.loss_sum, self.correct, self.seen = 0.0, 0, 0

    def update(self, loss, outputs, classes):
        """Add a batch: its mean ``loss``, its ``outputs`` (B, K) and true ``classes`` (B,)."""
        self.loss_sum += loss * len(outputs)
        if self.accuracy:
            self.correct += int(np.count_nonzero(outputs.argmax(axis=1) == classes))
        self.seen += len(outputs)

    def result(self):
        """``{'loss': ..., 'accuracy': ...}`` (with the prefix), the means so far."""
        logs = {f"{self.prefix}loss": self.loss_sum / self.seen}
        if self.accuracy:
            logs[f"{self.prefix}accuracy"] = self.correct / self.seen
        return logs


def evaluate_batches(model, x, y, batch_size, prefix=""):
    """The means of the loss and metrics on ``(x, y)``, batch by batch, in inference mode."""
    classes = true_classes(model.loss, y)
    means = EpochMeans(model.metrics, prefix)
    for start in range(0, len(x), batch_size):
        batch = slice(start, start + batch_size)
        outputs, loss, _ = loss_and_gradient(model, x[batch], y[batch], training=False)
        means.update(loss, outputs, classes[batch])
    return means.result()


def predict_batches(model, x, batch_size, verbose=0):
    """The model's outputs for a checked ``x``, ``batch_size`` samples at a time, in inference
    mode (a tqdm bar with ``verbose=1``); shape (N, *output_shape)."""
    starts = range(0, len(x), batch_size)
    if verbose == 1:
        starts = tqdm(starts, desc="predict", unit="batch")
    return np.concatenate([forward(model, x[start:start + batch_size], False) for start in starts])


def fit_epochs(model, x, y, validation, epochs, initial_epoch, batch_size, shuffle, seed,
               verbose, callbacks=()):
    """The loop of ``Sequential.fit`` on checked arguments; returns the :class:`History`.

    Epoch ``e`` visits the samples in the order ``np.random.default_rng([seed, e])
    .permutation(N)`` (in order without ``shuffle``), in batches of ``batch_size``; after it,
    ``validation`` (a pair, or None) is evaluated. ``seed`` None means the model's seed, or
    fresh randomness if it has none. The callbacks (the user's ``callbacks``, then a History
    unless they hold one, which is then the one returned, as in Keras, and a
    :class:`~dlbook.callbacks.ProgressLogger` for ``verbose``) get
    Keras's hooks; one that sets ``model.stop_training = True`` ends training after the epoch.
    """
    if seed is None:
        seed = model.seed if model.seed is not None else np.random.SeedSequence().entropy
    n, steps = len(x), -(-len(x) // batch_size)
    given = [callback for callback in callbacks if isinstance(callback, History)]
    history, progress = (given[0] if given else History()), ProgressLogger()
    callbacks = [*callbacks, *([] if given else [history]), progress]
    for callback in callbacks:
        callback.set_model(model)
        callback.set_params(
            {"epochs": epochs, "steps": steps, "verbose": verbose, "batch_size": batch_size}
        )
    classes = true_classes(model.loss, y)
    model.stop_training = False
    try:
        for callback in callbacks:
            callback.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            for callback in callbacks:
                callback.on_epoch_begin(epoch)
            order = np.random.default_rng([seed, epoch]).permutation(n) if shuffle else None
            means = EpochMeans(model.metrics)
            for step, start in enumerate(range(0, n, batch_size)):
                batch = slice(start, start + batch_size) if order is None else \
                    order[start:start + batch_size]
                for callback in callbacks:
                    callback.on_train_batch_begin(step)
                where = f"fit: epoch {epoch + 1}/{epochs}, batch {step + 1}/{steps}"
                loss, outputs = train_step(model, x[batch], y[batch], where)
                means.update(loss, outputs, classes[batch])
                for callback in callbacks:
                    callback.on_train_batch_end(step, means.result())
            logs = means.result()
            if validation is not None:
                logs.update(evaluate_batches(model, *validation, batch_size, prefix="val_"))
            for callback in callbacks:
                callback.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        for callback in callbacks:
            callback.on_train_end(logs=None)
    finally:
        progress.close()
    return history
