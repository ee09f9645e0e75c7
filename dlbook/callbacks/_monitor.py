"""The watched quantity of the plateau callbacks: its name, its direction, its value in logs."""

import warnings

MODES = ("auto", "min", "max")


def check_monitor(monitor):
    """``monitor``: a non-empty str, a key of the epoch logs (``'val_loss'``, ...)."""
    if not isinstance(monitor, str) or not monitor:
        raise TypeError(f"monitor: needs a logs key such as 'val_loss', got {monitor!r}")
    return monitor


def check_mode(mode):
    """``mode``: ``'auto'``, ``'min'`` or ``'max'``."""
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"mode: needs 'auto', 'min' or 'max', got {mode!r}")
    return mode


def direction(monitor, mode, auto_max):
    """``'min'`` or ``'max'``: ``mode`` unless it is ``'auto'``, then ``auto_max(monitor)``
    says whether larger is better.

    >>> direction("val_accuracy", "auto", lambda name: "acc" in name)
    'max'
    """
    if mode != "auto":
        return mode
    return "max" if auto_max(monitor) else "min"


def monitored(callback, logs):
    """``logs[callback.monitor]`` as a float, or None with a warning naming the keys there."""
    logs = logs or {}
    if callback.monitor not in logs:
        warnings.warn(f"{type(callback).__name__}: monitor {callback.monitor!r} is not in the "
                      f"logs; available keys: {', '.join(logs)}", RuntimeWarning, stacklevel=3)
        return None
    return float(logs[callback.monitor])


def learning_rate(model):
    """The optimizer's current ``learning_rate`` as a float."""
    return float(model.optimizer.learning_rate)
