"""Callbacks: objects whose hooks ``fit`` calls as it trains, with Keras's hook names.

:class:`History` records the epoch logs (``fit`` returns it); :class:`ProgressLogger` prints
them as ``fit``'s ``verbose`` asks. Every hook gets the epoch (or batch) index, counted from 0,
and a ``logs`` dict such as ``{'loss': 0.25, 'accuracy': 0.9}``. :class:`EarlyStopping`,
:class:`ModelCheckpoint`, :class:`LearningRateScheduler` and :class:`ReduceLROnPlateau` follow
Keras 3's semantics, one per module.
"""

from dlbook.callbacks.base import Callback, History, ProgressLogger, format_logs
from dlbook.callbacks.early_stopping import EarlyStopping
from dlbook.callbacks.learning_rate_scheduler import LearningRateScheduler
from dlbook.callbacks.model_checkpoint import ModelCheckpoint
from dlbook.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau

__all__ = ["Callback", "History", "ProgressLogger", "EarlyStopping", "ModelCheckpoint",
           "LearningRateScheduler", "ReduceLROnPlateau"]
