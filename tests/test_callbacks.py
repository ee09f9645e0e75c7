"""The callbacks: Keras's hooks in Keras's order, and EarlyStopping, ModelCheckpoint,
LearningRateScheduler, ReduceLROnPlateau and plot_history against hand-worked sequences."""

import io
from contextlib import redirect_stdout
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest

from dlbook.callbacks import Callback, EarlyStopping, History, LearningRateScheduler
from dlbook.callbacks import ModelCheckpoint, ReduceLROnPlateau
from dlbook.layers import Dense
from dlbook.model import Sequential
from dlbook.optim import SGD
from dlbook.plotting import plot_history

matplotlib.use("Agg")

RNG = np.random.default_rng(5)
X = RNG.normal(size=(5, 4))
LABELS = np.array([0, 1, 2, 0, 1])
Y = np.eye(3)[LABELS]


def classifier(seed=0, learning_rate=0.1):
    net = Sequential([Dense(3, activation="softmax", input_shape=(4,))], seed=seed,
                     dtype="float64")
    net.compile(optimizer=SGD(learning_rate=learning_rate), loss="categorical_crossentropy",
                metrics=["accuracy"])
    return net


class Recorder(Callback):
    """Writes every hook call, and the weights at each epoch end."""

    def __init__(self):
        super().__init__()
        self.calls, self.weights, self.epoch_logs = [], [], []

    def set_model(self, model):
        super().set_model(model)
        self.calls.append("set_model")

    def set_params(self, params):
        super().set_params(params)
        self.calls.append("set_params")

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_train_end(self, logs=None):
        self.calls.append("train_end")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(f"epoch_begin {epoch}")

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(f"epoch_end {epoch}")
        self.weights.append(self.model.get_weights())
        self.epoch_logs.append(dict(logs))

    def on_train_batch_begin(self, batch, logs=None):
        self.calls.append(f"batch_begin {batch}")

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(f"batch_end {batch}")


class Scripted(Callback):
    """Puts ``scores[epoch]`` into the epoch logs as ``'score'`` (it runs before the others)."""

    def __init__(self, scores):
        super().__init__()
        self.scores = scores

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.scores[epoch]


def fake_model(learning_rate=0.1):
    """What the callbacks touch: weights that say which epoch they are, and an optimizer."""
    model = SimpleNamespace(optimizer=SimpleNamespace(learning_rate=learning_rate),
                            stop_training=False, weights=[np.zeros(2)])
    model.get_weights = lambda: [w.copy() for w in model.weights]
    model.set_weights = lambda weights: setattr(model, "weights", [w.copy() for w in weights])
    return model


def drive(callback, values, key="loss", model=None, advance=None):
    """Drive ``callback`` through scripted epochs until it stops training; returns the model."""
    model = model or fake_model()
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        model.weights = [np.full(2, float(epoch))]  # the weights "at the end of epoch"
        callback.on_epoch_end(epoch, {key: value})
        if model.stop_training:
            break
    callback.on_train_end()
    return model


# --- fit calls the hooks --------------------------------------------------------------------

def test_fit_calls_keras_hooks_in_keras_order_with_keras_logs():
    recorder = Recorder()
    net = classifier()
    history = net.fit(X, Y, epochs=2, batch_size=2, validation_data=(X, Y), verbose=0,
                      callbacks=[recorder])
    epoch = [f"{hook} {b}" for b in range(3) for hook in ("batch_begin", "batch_end")]
    assert recorder.calls == ["set_model", "set_params", "train_begin",
                              "epoch_begin 0", *epoch, "epoch_end 0",
                              "epoch_begin 1", *epoch, "epoch_end 1", "train_end"]
    assert recorder.model is net
    assert recorder.params == {"epochs": 2, "steps": 3, "verbose": 0, "batch_size": 2}
    assert [list(logs) for logs in recorder.epoch_logs] == [
        ["loss", "accuracy", "val_loss", "val_accuracy"]] * 2
    assert recorder.epoch_logs == [{key: values[e] for key, values in history.history.items()}
                                   for e in range(2)]
    assert isinstance(history, History) and history.epoch == [0, 1]


def test_stop_training_from_a_callback_ends_fit_after_that_epoch():
    class StopAtOne(Recorder):
        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            if epoch == 1:
                self.model.stop_training = True

    stopper = StopAtOne()
    history = classifier().fit(X, Y, epochs=6, batch_size=5, verbose=0, callbacks=[stopper])
    assert history.epoch == [0, 1] and len(history.history["loss"]) == 2
    assert stopper.calls[-2:] == ["epoch_end 1", "train_end"]


def test_no_callbacks_changes_no_number_and_no_printed_byte():
    outputs = []
    for callbacks in (None, [], [Callback()]):
        net, out = classifier(), io.StringIO()
        with redirect_stdout(out):
            history = net.fit(X, Y, epochs=3, batch_size=2, verbose=2, seed=1,
                              validation_data=(X, Y), callbacks=callbacks)
        outputs.append((out.getvalue(), history.history, [w.tolist() for w in net.get_weights()]))
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0][0].splitlines()[0].startswith("Epoch 1/3 - loss: ")


# --- EarlyStopping ----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, values, stopped, best, best_epoch", [
    # patience 2, min_delta 0.1: 0.95 is no improvement on 1.0 (needs < 0.9), 0.85 is
    ({"patience": 2, "min_delta": 0.1}, [1.0, 0.95, 0.85, 0.8, 0.79, 0.7], 4, 0.85, 2),
    # the sign of min_delta does not matter (Keras takes abs)
    ({"patience": 2, "min_delta": -0.1}, [1.0, 0.95, 0.85, 0.8, 0.79, 0.7], 4, 0.85, 2),
    # without min_delta every decrease counts: never stops
    ({"patience": 2}, [1.0, 0.95, 0.85, 0.8, 0.79, 0.7], 0, 0.7, 5),
    # patience 0 stops at the first epoch without improvement
    ({"patience": 0}, [1.0, 0.9, 0.9], 2, 0.9, 1),
    # max mode: an equal value is no improvement
    ({"patience": 2, "mode": "max"}, [0.5, 0.6, 0.6, 0.55, 0.7], 3, 0.6, 1),
    # a baseline not beaten keeps wait growing through improvements, so one miss stops it
    ({"patience": 2, "baseline": 0.5}, [1.0, 0.9, 0.8, 0.85], 3, 0.8, 2),
    ({"patience": 2}, [1.0, 0.9, 0.8, 0.85], 0, 0.8, 2),
    # start_from_epoch: the first two epochs are not counted at all
    ({"patience": 0, "start_from_epoch": 2}, [1.0, 0.5, 3.0, 3.5], 3, 3.0, 2),
    ({"patience": 0}, [1.0, 0.5, 3.0, 3.5], 2, 0.5, 1),
])
def test_early_stopping_on_hand_worked_sequences(kwargs, values, stopped, best, best_epoch):
    stopper = EarlyStopping(monitor="loss", **kwargs)
    model = drive(stopper, values)
    assert stopper.stopped_epoch == stopped
    assert model.stop_training is (stopped > 0)
    assert stopper.best == best and stopper.best_epoch == best_epoch


def test_early_stopping_auto_mode_follows_the_name():
    assert EarlyStopping(monitor="val_accuracy").mode == "max"
    assert EarlyStopping(monitor="accuracy").mode == "max"
    assert EarlyStopping(monitor="val_loss").mode == "min"
    assert EarlyStopping(monitor="val_accuracy", mode="min").mode == "min"


def test_restore_best_weights_when_stopping_and_at_the_end_as_keras_3():
    stopper = EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    model = drive(stopper, [3.0, 1.0, 2.0, 2.5, 0.1])
    assert stopper.stopped_epoch == 3
    np.testing.assert_array_equal(model.weights[0], np.full(2, 1.0))
    at_end = EarlyStopping(monitor="loss", patience=5, restore_best_weights=True)
    model = drive(at_end, [3.0, 1.0, 2.0, 2.5])
    assert at_end.stopped_epoch == 0
    np.testing.assert_array_equal(model.weights[0], np.full(2, 1.0))  # the best, not the last
    kept = drive(EarlyStopping(monitor="loss", patience=2), [3.0, 1.0, 2.0, 2.5])
    np.testing.assert_array_equal(kept.weights[0], np.full(2, 3.0))  # without: the last


def test_early_stopping_in_a_real_fit_restores_exactly_the_best_epochs_weights():
    recorder = Recorder()
    scores = [3.0, 2.0, 1.0, 1.5, 1.2, 1.1, 0.1, 0.1]
    stopper = EarlyStopping(monitor="score", mode="min", patience=3, restore_best_weights=True)
    net = classifier()
    history = net.fit(X, Y, epochs=8, batch_size=2, verbose=0,
                      callbacks=[Scripted(scores), recorder, stopper])
    assert history.epoch == [0, 1, 2, 3, 4, 5] and stopper.stopped_epoch == 5
    assert stopper.best_epoch == 2 and history.history["score"] == scores[:6]
    for weight, best in zip(net.get_weights(), recorder.weights[2]):
        np.testing.assert_array_equal(weight, best)
    assert not np.array_equal(recorder.weights[2][0], recorder.weights[5][0])


def test_early_stopping_warns_about_a_missing_monitor_and_does_nothing():
    stopper = EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(RuntimeWarning, match="'val_loss' is not in the logs; available keys: "
                                            "loss"):
        model = drive(stopper, [1.0, 2.0, 3.0])
    assert not model.stop_training and stopper.best is None


def test_early_stopping_verbose_says_where_it_stopped(capsys):
    drive(EarlyStopping(monitor="loss", patience=1, verbose=1, restore_best_weights=True),
          [1.0, 2.0, 3.0])
    assert capsys.readouterr().out == ("Epoch 2: early stopping\nRestoring model weights "
                                       "from the end of the best epoch: 1.\n")


# --- ModelCheckpoint --------------------------------------------------------------------------

def test_model_checkpoint_formats_epoch_from_1_and_logs_and_loads_to_the_same_predictions(
        tmp_path):
    recorder = Recorder()
    checkpoint = ModelCheckpoint(tmp_path / "m-{epoch:02d}-{loss:.4f}.npz")
    net = classifier()
    history = net.fit(X, Y, epochs=3, batch_size=2, verbose=0, callbacks=[recorder, checkpoint])
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == [f"m-{e + 1:02d}-{loss:.4f}.npz"
                     for e, loss in enumerate(history.history["loss"])]
    for epoch, name in enumerate(names):
        loaded = Sequential.load(tmp_path / name)
        for weight, recorded in zip(loaded.get_weights(), recorder.weights[epoch]):
            np.testing.assert_array_equal(weight, recorded)
    np.testing.assert_array_equal(Sequential.load(tmp_path / names[-1]).predict(X),
                                  net.predict(X))


def test_save_best_only_writes_only_on_strict_improvement(tmp_path, capsys):
    recorder = Recorder()
    scores = [1.0, 1.2, 0.9, 0.9, 0.5]
    checkpoint = ModelCheckpoint(str(tmp_path / "best-{epoch}.npz"), monitor="score",
                                 save_best_only=True, verbose=1)
    classifier().fit(X, Y, epochs=5, batch_size=2, verbose=0,
                     callbacks=[Scripted(scores), recorder, checkpoint])
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "best-1.npz", "best-3.npz", "best-5.npz"]
    for epoch in (0, 2, 4):
        loaded = Sequential.load(tmp_path / f"best-{epoch + 1}.npz")
        np.testing.assert_array_equal(loaded.get_weights()[0], recorder.weights[epoch][0])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (f"Epoch 1: score improved from inf to 1.00000, saving model to "
                      f"{tmp_path / 'best-1.npz'}")
    assert out[1] == "Epoch 2: score did not improve from 1.00000"
    assert checkpoint.best == 0.5


def test_model_checkpoint_auto_mode_maximises_accuracy():
    assert ModelCheckpoint("m.npz", monitor="val_accuracy").mode == "max"
    assert ModelCheckpoint("m.npz").mode == "min"
    assert ModelCheckpoint("m.npz", monitor="val_accuracy").best == -np.inf


# --- LearningRateScheduler --------------------------------------------------------------------

def test_scheduler_sets_each_epochs_rate_and_history_logs_it():
    scheduler = LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)
    net = classifier(seed=3, learning_rate=0.7)
    history = net.fit(X, Y, epochs=3, batch_size=2, seed=2, verbose=0, callbacks=[scheduler])
    assert history.history["learning_rate"] == [0.1, 0.05, 0.025]
    assert net.optimizer.learning_rate == 0.025
    reference = classifier(seed=3, learning_rate=0.7)
    for epoch in range(3):
        reference.optimizer.learning_rate = 0.1 * 0.5 ** epoch
        reference.fit(X, Y, epochs=epoch + 1, initial_epoch=epoch, batch_size=2, seed=2,
                      verbose=0)
    for weight, expected in zip(net.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(weight, expected)


def test_scheduler_gets_the_current_rate_and_accepts_a_one_argument_schedule():
    seen = []
    model = fake_model(0.3)
    scheduler = LearningRateScheduler(lambda epoch, lr: seen.append(lr) or lr / 3)
    scheduler.set_model(model)
    for epoch in range(3):
        scheduler.on_epoch_begin(epoch)
    assert seen == [0.3, 0.3 / 3, 0.3 / 3 / 3] and model.optimizer.learning_rate == 0.3 / 3 / 3 / 3
    constant = LearningRateScheduler(lambda epoch: 0.01)
    constant.set_model(model)
    constant.on_epoch_begin(0)
    assert model.optimizer.learning_rate == 0.01


def test_scheduler_rejects_a_schedule_returning_no_positive_float():
    scheduler = LearningRateScheduler(lambda epoch, lr: -lr)
    scheduler.set_model(fake_model())
    with pytest.raises(ValueError, match=r"schedule: needs to return a positive finite float, "
                                         r"returned -0.1 at epoch 0"):
        scheduler.on_epoch_begin(0)


# --- ReduceLROnPlateau ------------------------------------------------------------------------

def test_reduce_lr_factor_patience_cooldown_and_min_lr_sequence():
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=2,
                                min_lr=0.02, min_delta=0.0)
    model = fake_model(0.1)
    plateau.set_model(model)
    plateau.on_train_begin()
    rates, logged = [], []
    for epoch, loss in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5]):
        logs = {"loss": loss}
        plateau.on_epoch_end(epoch, logs)
        rates.append(model.optimizer.learning_rate)
        logged.append(logs["learning_rate"])
    # e1 reduces and starts a 2-epoch cooldown; e2 is in it; e3 leaves it and reduces; e5
    # reduces to max(0.0125, min_lr); e6 improves; at e7 the rate is min_lr and stays
    assert rates == [0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02]
    assert logged == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02]
    assert plateau.best == 0.5


def test_reduce_lr_min_delta_counts_small_gains_as_plateau():
    plateau = ReduceLROnPlateau(monitor="loss", patience=2, min_delta=0.1)
    model = drive(plateau, [1.0, 0.95, 0.92, 0.85])
    assert model.optimizer.learning_rate == pytest.approx(0.01, rel=1e-15)
    assert plateau.best == 0.85 and plateau.wait == 0


def test_reduce_lr_in_a_real_fit():
    net = classifier(learning_rate=0.1)
    history = net.fit(X, Y, epochs=3, batch_size=2, verbose=0, callbacks=[
        Scripted([1.0, 1.0, 1.0]), ReduceLROnPlateau(monitor="score", factor=0.5, patience=1)])
    assert history.history["learning_rate"] == [0.1, 0.1, 0.05]
    assert net.optimizer.learning_rate == 0.025


# --- plot_history -----------------------------------------------------------------------------

def test_plot_history_draws_each_quantity_training_and_validation_on_one_axes():
    history = classifier().fit(X, Y, epochs=3, batch_size=2, validation_split=0.4, verbose=0)
    fig, axes = plot_history(history)
    assert len(axes) == 2 and all(ax.figure is fig for ax in axes)
    for ax, name in zip(axes, ["loss", "accuracy"]):
        assert ax.get_ylabel() == name and ax.get_xlabel() == "epoch"
        assert [line.get_label() for line in ax.lines] == ["training", "validation"]
        for line, key in zip(ax.lines, [name, f"val_{name}"]):
            assert line.get_xdata().tolist() == [1, 2, 3]
            assert line.get_ydata().tolist() == history.history[key]
    matplotlib.pyplot.close(fig)


def test_plot_history_uses_given_axes_and_the_epochs_trained():
    history = History()
    for epoch, (loss, rate) in enumerate([(0.9, 0.1), (0.7, 0.05)], start=2):
        history.on_epoch_end(epoch, {"loss": loss, "learning_rate": rate})
    fig, given = matplotlib.pyplot.subplots(1, 2)
    returned_fig, axes = plot_history(history, ax=given)
    assert returned_fig is fig and list(axes) == list(given)
    assert axes[0].lines[0].get_xdata().tolist() == [3, 4]
    assert axes[1].get_ylabel() == "learning_rate"
    assert axes[1].lines[0].get_ydata().tolist() == [0.1, 0.05] and len(axes[1].lines) == 1
    matplotlib.pyplot.close(fig)


def test_a_fit_that_runs_to_its_end_also_gets_the_best_weights_back():
    recorder = Recorder()
    stopper = EarlyStopping(monitor="score", mode="max", patience=9, restore_best_weights=True)
    net = classifier()
    history = net.fit(X, Y, epochs=4, batch_size=2, verbose=0,
                      callbacks=[Scripted([0.1, 0.9, 0.5, 0.3]), recorder, stopper])
    assert history.epoch == [0, 1, 2, 3] and stopper.stopped_epoch == 0
    for weight, best in zip(net.get_weights(), recorder.weights[1]):
        np.testing.assert_array_equal(weight, best)


def test_the_keras_users_line_validation_split_and_early_stopping_on_val_loss():
    rng = np.random.default_rng(11)
    x, labels = rng.normal(size=(30, 4)), rng.integers(0, 3, size=30)
    y = np.eye(3)[labels]
    net = classifier(seed=1, learning_rate=3.0)
    stopper = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    history = net.fit(x, y, epochs=30, batch_size=8, validation_split=0.2, verbose=0,
                      callbacks=[stopper])
    val_loss = history.history["val_loss"]
    assert stopper.best == min(val_loss) and stopper.best_epoch == int(np.argmin(val_loss))
    # patience 3: it stops at the third epoch in a row without a new minimum
    assert stopper.stopped_epoch > 0 and len(val_loss) == stopper.stopped_epoch + 1
    assert stopper.stopped_epoch - stopper.best_epoch == 3
    assert all(value >= stopper.best for value in val_loss[stopper.best_epoch + 1:])
    # the restored weights are the best epoch's: evaluating them on the held-out last 6 rows
    # gives that epoch's val_loss again
    assert net.evaluate(x[-6:], y[-6:], batch_size=8)[0] == pytest.approx(min(val_loss),
                                                                          rel=1e-12)


def test_a_history_among_the_callbacks_is_the_one_fit_fills_and_returns():
    mine = History()
    returned = classifier().fit(X, Y, epochs=2, batch_size=2, verbose=0, callbacks=[mine])
    assert returned is mine and mine.epoch == [0, 1] and len(mine.history["loss"]) == 2
