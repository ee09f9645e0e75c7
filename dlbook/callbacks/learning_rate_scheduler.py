"""LearningRateScheduler: set the optimizer's learning rate before each epoch (Keras 3)."""

import numbers

from dlbook._validation import non_negative_int
from dlbook.callbacks._monitor import learning_rate
from dlbook.callbacks.base import Callback

__all__ = ["LearningRateScheduler"]


class LearningRateScheduler(Callback):
    """Before epoch ``e`` (from 0), ``optimizer.learning_rate = schedule(e, current_lr)``.

    ``schedule`` takes ``(epoch, lr)`` (or only ``epoch``, as Keras also allows) and returns a
    positive finite float. At the end of each epoch the rate used is added to the logs as
    ``'learning_rate'``, so History records it.

    Examples
    --------
    >>> halve = LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr / 2)
    >>> halve.schedule(3, 0.1)
    0.05
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"schedule: needs a function (epoch, lr) -> lr, got {schedule!r}")
        self.schedule = schedule
        self.verbose = non_negative_int(verbose, "verbose")

    def on_epoch_begin(self, epoch, logs=None):
        """Set the rate of epoch ``epoch``."""
        try:
            rate = self.schedule(epoch, learning_rate(self.model))
        except TypeError:
            rate = self.schedule(epoch)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not rate > 0 \
                or rate == float("inf"):
            raise ValueError(f"schedule: needs to return a positive finite float, returned "
                             f"{rate!r} at epoch {epoch}")
        self.model.optimizer.learning_rate = float(rate)
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{float(rate)}.")

    def on_epoch_end(self, epoch, logs=None):
        """Add ``'learning_rate'`` to the logs."""
        if logs is not None:
            logs["learning_rate"] = learning_rate(self.model)
