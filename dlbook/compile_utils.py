"""What ``Sequential.compile`` accepts: optimizers, losses and metrics by name, and the checks
that they fit the model's last layer and that the targets fit the loss."""

import numpy as np

from dlbook import optim
from dlbook._validation import as_array

__all__ = ["LOSSES", "OPTIMIZERS", "METRICS", "CROSS_ENTROPIES", "get_optimizer", "get_loss",
           "get_metrics", "check_loss_and_output", "check_targets", "true_classes"]

#: The loss names ``compile`` accepts (``'mean_squared_error'`` is an alias of ``'mse'``).
LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy", "mse")
_LOSS_ALIASES = {"mean_squared_error": "mse"}
#: The losses computed from the last layer's logits, fused with its softmax.
CROSS_ENTROPIES = ("categorical_crossentropy", "sparse_categorical_crossentropy")

#: Optimizer names ``compile`` accepts, each built with its default hyperparameters.
OPTIMIZERS = {"sgd": optim.SGD, "rmsprop": optim.RMSProp, "adam": optim.Adam, "adamw": optim.AdamW}

#: Metric names ``compile`` accepts.
METRICS = ("accuracy",)


def get_optimizer(optimizer):
    """An optimizer instance from a name of :data:`OPTIMIZERS` (any case) or an instance.

    >>> get_optimizer("Adam")
    Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08, amsgrad=False)
    """
    if isinstance(optimizer, str):
        key = optimizer.lower()
        if key not in OPTIMIZERS:
            raise ValueError(
                f"optimizer: unknown name {optimizer!r}; choose one of {sorted(OPTIMIZERS)} "
                f"or pass an instance such as Adam(learning_rate=0.001)"
            )
        return OPTIMIZERS[key]()
    if not isinstance(optimizer, optim.Optimizer):
        raise TypeError(
            f"optimizer: needs a name or a dlbook.optim optimizer, got {type(optimizer).__name__}"
        )
    return optimizer


def get_loss(loss):
    """The canonical name of a loss of :data:`LOSSES` (any case, aliases resolved).

    >>> get_loss("Mean_Squared_Error")
    'mse'
    """
    if not isinstance(loss, str):
        raise TypeError(f"loss: needs one of {list(LOSSES)}, got {loss!r}")
    name = _LOSS_ALIASES.get(loss.lower(), loss.lower())
    if name not in LOSSES:
        raise ValueError(f"loss: unknown loss {loss!r}; choose one of {list(LOSSES)}")
    return name


def get_metrics(metrics):
    """The metric names as a list, duplicates dropped; None means no metrics.

    >>> get_metrics(["accuracy", "accuracy"]), get_metrics(None)
    (['accuracy'], [])
    """
    if metrics is None:
        return []
    if isinstance(metrics, str) or not isinstance(metrics, (list, tuple)):
        raise TypeError(f"metrics: needs a list such as ['accuracy'], got {metrics!r}")
    for metric in metrics:
        if not isinstance(metric, str) or metric not in METRICS:
            raise ValueError(f"metrics: unknown metric {metric!r}; choose from {list(METRICS)}")
    return list(dict.fromkeys(metrics))


def check_loss_and_output(loss, metrics, last_layer, output_shape):
    """Raise ValueError unless the loss and metrics fit the last layer and, when the model is
    built (``output_shape`` not None), the per-sample output shape."""
    activation = getattr(last_layer, "activation", None)
    if loss in CROSS_ENTROPIES and activation != "softmax":
        raise ValueError(
            f"loss: {loss!r} works on softmax outputs, but the last layer, {last_layer.where}, "
            f"has activation={activation!r}; give it activation='softmax' (the model then uses "
            f"the fused, stable softmax cross-entropy on its logits)"
        )
    if output_shape is None:
        return
    if loss in CROSS_ENTROPIES and len(output_shape) != 1:
        raise ValueError(
            f"loss: {loss!r} needs outputs of shape (None, classes), but the last layer, "
            f"{last_layer.where}, outputs {(None, *output_shape)}"
        )
    if "accuracy" in metrics and (len(output_shape) != 1 or output_shape[0] < 2):
        raise ValueError(
            f"metrics: 'accuracy' compares argmaxes along axis 1 and needs outputs of shape "
            f"(None, K) with K >= 2, got {(None, *output_shape)}"
        )


def check_targets(loss, y, n, output_shape, dtype, name="y", x_name="x"):
    """Validate the targets ``y`` of ``n`` samples for ``loss``; return them ready for it.

    Integer labels (N,) in ``[0, K)`` for ``'sparse_categorical_crossentropy'`` (returned as
    they are); one-hot or probability rows (N, K) for ``'categorical_crossentropy'`` and
    targets of the output's shape (N, ...) for ``'mse'`` (both cast to ``dtype``). ``name``
    and ``x_name`` are how messages call ``y`` and its inputs.

    >>> check_targets("sparse_categorical_crossentropy", [0, 2], 2, (3,), np.float32)
    array([0, 2])
    """
    y = as_array(y, name)
    if y.dtype.kind == "c":
        raise TypeError(f"{name}: complex targets are not supported, got dtype {y.dtype}")
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{name}: needs a numeric array, got dtype {y.dtype}")
    if y.ndim == 0 or y.shape[0] != n:
        got = "is a scalar" if y.ndim == 0 else f"has {y.shape[0]}"
        raise ValueError(f"{x_name}, {name}: {x_name} has {n} samples but {name} {got}")
    if loss == "sparse_categorical_crossentropy":
        return _check_labels(y, output_shape[0], name)
    if loss == "categorical_crossentropy":
        return _check_one_hot(y, n, output_shape[0], dtype, name)
    if y.shape != (n, *output_shape):
        raise ValueError(
            f"{name}: loss 'mse' needs targets of the output's shape {(n, *output_shape)}, "
            f"got shape {y.shape}"
        )
    return y.astype(dtype)


def _check_labels(y, k, name):
    if y.ndim != 1 or y.dtype.kind not in "iu":
        hint = "; one-hot rows go with loss='categorical_crossentropy'" if y.ndim == 2 else ""
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


def _check_one_hot(y, n, k, dtype, name):
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
    y = y.astype(dtype)
    if not (np.all(y >= 0) and np.allclose(y.sum(axis=1), 1.0, atol=1e-6)):
        raise ValueError(
            f"{name}: loss 'categorical_crossentropy' needs one-hot (or probability) "
            f"rows, each >= 0 and summing to 1"
        )
    return y


def true_classes(loss, y):
    """The class id of each target: the labels themselves, or the argmax of one-hot rows."""
    return y if loss == "sparse_categorical_crossentropy" else y.argmax(axis=1)
