"""ModelCheckpoint: save the model after each epoch (or each improvement), as Keras 3 does."""

import math
import os

from dlbook._validation import boolean, non_negative_int
from dlbook.callbacks._monitor import check_mode, check_monitor, direction, monitored
from dlbook.callbacks.base import Callback

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """After each epoch, ``model.save(filepath.format(epoch=epoch + 1, **logs))`` (atomic).

    ``filepath`` may hold ``{epoch}`` (counted from 1, as Keras) and any logs key, e.g.
    ``'ckpt-{epoch:02d}-{val_loss:.3f}.npz'``. With ``save_best_only`` the model is saved only
    when ``monitor`` improves on the best value so far (strictly smaller in ``'min'`` mode,
    strictly larger in ``'max'``; ``'auto'`` maximises a name containing ``'acc'``, minimises
    anything else, as Keras 3).

    Attributes
    ----------
    best : float
        The best monitored value so far (``inf`` or ``-inf`` before the first).

    Examples
    --------
    >>> checkpoint = ModelCheckpoint("model-{epoch:02d}.npz")
    >>> checkpoint.filepath_for(2, {"loss": 0.5})
    'model-03.npz'
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 mode="auto"):
        super().__init__()
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"filepath: needs a str or os.PathLike path, got {filepath!r}")
        self.filepath = os.fspath(filepath)
        if not isinstance(self.filepath, str) or not self.filepath:
            raise ValueError(f"filepath: needs a non-empty str path, got {filepath!r}")
        self.monitor = check_monitor(monitor)
        self.verbose = non_negative_int(verbose, "verbose")
        self.save_best_only = boolean(save_best_only, "save_best_only")
        self.mode = direction(self.monitor, check_mode(mode), lambda name: "acc" in name)
        self.best = math.inf if self.mode == "min" else -math.inf

    def filepath_for(self, epoch, logs=None):
        """The path of epoch ``epoch`` (from 0): ``filepath`` formatted with ``epoch + 1`` and
        the logs; a key the logs lack is a KeyError naming it."""
        try:
            return self.filepath.format(epoch=epoch + 1, **(logs or {}))
        except KeyError as error:
            raise KeyError(f"filepath: {self.filepath!r} asks for {error}, which is not in the "
                           f"logs ({', '.join(logs or {})})") from None

    def _improves(self, value):
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, epoch, logs=None):
        """Save the model (see the class docstring)."""
        path = self.filepath_for(epoch, logs)
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: saving model to {path}")
            self.model.save(path)
            return
        current = monitored(self, logs)
        if current is None:
            return
        if self._improves(current):
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = current
            self.model.save(path)
        elif self.verbose > 0:
            print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
