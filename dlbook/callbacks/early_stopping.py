"""EarlyStopping: stop ``fit`` when a monitored quantity has stopped improving (Keras 3)."""

import numbers

from dlbook._validation import boolean, non_negative_int, positive_float
from dlbook.callbacks._monitor import check_mode, check_monitor, direction, monitored
from dlbook.callbacks.base import Callback

__all__ = ["EarlyStopping"]


def _auto_max(monitor):
    """Keras 3's ``'auto'``: a loss is minimised, an accuracy maximised, anything else unknown."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss":
        return False
    if name == "accuracy":
        return True
    raise ValueError(f"monitor: mode='auto' cannot tell whether {monitor!r} should be minimised "
                     f"or maximised; pass mode='min' or mode='max'")


class EarlyStopping(Callback):
    r"""Set ``model.stop_training`` once ``monitor`` has not improved for ``patience`` epochs.

    With :math:`\delta = |` ``min_delta`` :math:`|`, a value :math:`v` improves on the best
    :math:`b` when :math:`v - (-\delta) < b` in ``'min'`` mode (so :math:`v < b - \delta`) and
    :math:`v - \delta > b` in ``'max'`` mode; the first value counted is always an improvement.
    At each counted epoch (``epoch >= start_from_epoch``) ``wait`` grows by one, then:

    - on an improvement, ``best`` becomes :math:`v` (and the weights are kept with
      ``restore_best_weights``); ``wait`` returns to 0 only if there is no ``baseline`` or
      :math:`v` also improves on the baseline;
    - otherwise, if ``wait >= patience`` and ``epoch > 0``, training stops after this epoch.

    With ``restore_best_weights``, :meth:`on_train_end` puts back the best epoch's weights,
    whether training stopped early or ran to its last epoch (as Keras 3 does since the
    restoring moved to ``on_train_end``).

    ``mode='auto'`` minimises ``loss``/``val_loss`` and maximises ``accuracy``/``val_accuracy``.

    Attributes
    ----------
    best, best_epoch, wait, stopped_epoch : float, int, int, int
        Epochs counted from 0; ``stopped_epoch`` is 0 if training did not stop early.

    Examples
    --------
    >>> stopper = EarlyStopping(monitor="loss", patience=2)
    >>> stopper.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 0.5, 0.6, 0.4, 0.45, 0.41]):
    ...     stopper.on_epoch_end(epoch, {"loss": loss})
    >>> stopper.best, stopper.best_epoch, stopper.stopped_epoch
    (0.4, 3, 5)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = check_monitor(monitor)
        self.min_delta = positive_float(abs(min_delta) if isinstance(min_delta, numbers.Real)
                                        else min_delta, "min_delta", allow_zero=True)
        self.patience = non_negative_int(patience, "patience")
        self.verbose = non_negative_int(verbose, "verbose")
        self.mode = direction(self.monitor, check_mode(mode), _auto_max)
        if baseline is not None and (isinstance(baseline, bool)
                                     or not isinstance(baseline, numbers.Real)):
            raise TypeError(f"baseline: needs None or a real number, got {baseline!r}")
        self.baseline = None if baseline is None else float(baseline)
        self.restore_best_weights = boolean(restore_best_weights, "restore_best_weights")
        self.start_from_epoch = non_negative_int(start_from_epoch, "start_from_epoch")
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        """Forget the previous fit: no best yet, ``wait = 0``."""
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best, self.best_weights = None, None

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_epoch_end(self, epoch, logs=None):
        """Count the epoch (see the class docstring); may set ``model.stop_training``."""
        current = monitored(self, logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            if self.model is not None:
                self.model.stop_training = True

    def on_train_end(self, logs=None):
        """Restore the best weights (with ``restore_best_weights``); with ``verbose``, say at
        which epoch (from 1) training stopped early and which epoch's weights are restored."""
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
