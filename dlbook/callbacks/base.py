"""The callback base class and the two callbacks every ``fit`` runs, History and the logger.

:class:`History` records the epoch logs (``fit`` returns it); :class:`ProgressLogger` prints
them as ``fit``'s ``verbose`` asks. Every hook gets the epoch (or batch) index, counted from 0,
and a ``logs`` dict such as ``{'loss': 0.25, 'accuracy': 0.9}``.
"""

from tqdm import tqdm

__all__ = ["Callback", "History", "ProgressLogger", "format_logs"]


def format_logs(logs):
    """``'loss: 0.1234 - accuracy: 0.9667'``: four decimals, in the order of ``logs``.

    >>> format_logs({"loss": 0.123456, "accuracy": 1.0})
    'loss: 0.1235 - accuracy: 1.0000'
    """
    return " - ".join(f"{key}: {value:.4f}" for key, value in logs.items())


class Callback:
    """Base class: every hook does nothing, so a callback overrides only the ones it needs.

    Attributes
    ----------
    params : dict
        ``{'epochs': ..., 'steps': batches per epoch, 'verbose': ..., 'batch_size': ...}``,
        set by ``fit`` through :meth:`set_params` before training starts.
    model : Sequential or None
        The model being trained, set by ``fit`` through :meth:`set_model`.
    """

    def __init__(self):
        self.params = {}
        self.model = None

    def set_model(self, model):
        """Receive the model being trained (``fit`` calls it before training starts)."""
        self.model = model

    def set_params(self, params):
        """Receive ``fit``'s parameters (a dict, copied)."""
        if not isinstance(params, dict):
            raise TypeError(f"params: needs a dict such as {{'epochs': 5}}, got "
                            f"{type(params).__name__}")
        self.params = dict(params)

    def on_train_begin(self, logs=None):
        """Before the first epoch."""

    def on_train_end(self, logs=None):
        """After the last epoch."""

    def on_epoch_begin(self, epoch, logs=None):
        """Before epoch ``epoch`` (counted from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """After epoch ``epoch``: ``logs`` holds its means (and the ``val_`` values)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Before batch ``batch`` of the epoch (counted from 0)."""

    def on_train_batch_end(self, batch, logs=None):
        """After batch ``batch`` of the epoch: ``logs`` holds the epoch's means so far."""


class History(Callback):
    """What :meth:`~dlbook.model.Sequential.fit` returns, as in Keras.

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

    Examples
    --------
    >>> history = History({"epochs": 2})
    >>> history.on_epoch_end(0, {"loss": 0.5})
    >>> history.on_epoch_end(1, {"loss": 0.25})
    >>> history
    History(epoch=[0, 1], history={'loss': [0.5, 0.25]})
    """

    def __init__(self, params=None):
        super().__init__()
        self.set_params({} if params is None else params)
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        """Append ``epoch`` and each value of ``logs`` to its list."""
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self):
        return f"History(epoch={self.epoch}, history={self.history})"


class ProgressLogger(Callback):
    """Shows training as ``fit``'s ``verbose`` (in :attr:`params`) asks.

    - 0: nothing;
    - 1: a tqdm progress bar per epoch on stderr, ``Epoch 1/5``, with the running means;
    - 2: one line per epoch on stdout, without timings, e.g. ``Epoch 1/5 - loss: 1.2345 -
      accuracy: 0.6789`` (four decimals), so that stored notebook outputs compare exactly.

    Examples
    --------
    >>> logger = ProgressLogger()
    >>> logger.set_params({"epochs": 5, "steps": 3, "verbose": 2})
    >>> logger.on_epoch_end(0, {"loss": 1.23456, "accuracy": 0.5})
    Epoch 1/5 - loss: 1.2346 - accuracy: 0.5000
    """

    def __init__(self):
        super().__init__()
        self.bar = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.params.get("verbose") == 1:
            self.bar = tqdm(total=self.params["steps"],
                            desc=f"Epoch {epoch + 1}/{self.params['epochs']}", unit="batch")

    def on_train_batch_end(self, batch, logs=None):
        if self.bar is not None:
            self.bar.set_postfix(logs, refresh=False)
            self.bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        if self.bar is not None:
            self.bar.set_postfix(logs, refresh=True)
            self.close()
        if self.params.get("verbose") == 2:
            print(f"Epoch {epoch + 1}/{self.params['epochs']} - {format_logs(logs)}")

    def close(self):
        """Close the bar of an epoch that did not end (``fit`` calls it when it stops early
        on an error); nothing if no bar is open."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
