"""ReduceLROnPlateau: divide the learning rate when a monitored quantity stalls (Keras 3)."""

import math

import numpy as np

from dlbook._validation import fraction, non_negative_int, positive_float
from dlbook.callbacks._monitor import check_mode, check_monitor, direction, learning_rate
from dlbook.callbacks._monitor import monitored
from dlbook.callbacks.base import Callback

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(Callback):
    r"""``lr <- max(lr * factor, min_lr)`` after ``patience`` epochs without improvement.

    A value :math:`v` improves on the best :math:`b` when :math:`v < b - ` ``min_delta``
    (``'min'``) or :math:`v > b + ` ``min_delta`` (``'max'``; ``'auto'`` maximises a name
    containing ``'acc'``). At each epoch end, as in Keras 3: the rate is added to the logs as
    ``'learning_rate'``; during a cooldown the counter drops by one and ``wait`` is 0; an
    improvement sets ``best`` and ``wait = 0``; otherwise, out of cooldown, ``wait`` grows and
    at ``wait >= patience`` the rate, if above ``min_lr``, is reduced, the cooldown
    (``cooldown`` epochs) starts and ``wait = 0``.

    Examples
    --------
    >>> plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    >>> plateau.wait, plateau.best, plateau.cooldown_counter
    (0, inf, 0)
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        self.monitor = check_monitor(monitor)
        self.factor = fraction(factor, "factor", low_open=True)
        self.patience = non_negative_int(patience, "patience")
        self.verbose = non_negative_int(verbose, "verbose")
        self.mode = direction(self.monitor, check_mode(mode), lambda name: "acc" in name)
        self.min_delta = positive_float(min_delta, "min_delta", allow_zero=True)
        self.cooldown = non_negative_int(cooldown, "cooldown")
        self.min_lr = positive_float(min_lr, "min_lr", allow_zero=True)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        """Forget the previous fit: no best, no wait, no cooldown."""
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait, self.cooldown_counter = 0, 0

    def _improves(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        """Update the counters and maybe the rate (see the class docstring)."""
        if logs is not None:
            logs["learning_rate"] = learning_rate(self.model)
        current = monitored(self, logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improves(current):
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = learning_rate(self.model)
                if old > float(np.float32(self.min_lr)):
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose > 0:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0
