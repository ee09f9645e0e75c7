"""Bad input to Sequential: every argument of every public method is checked before any work,
in one sentence naming it; a rejected call changes nothing (weights, built state, layer names,
optimizer state, compiled state); no result is a writable alias of an argument."""

import numpy as np
import pytest

from dlbook.callbacks import Callback, EarlyStopping, History, LearningRateScheduler
from dlbook.callbacks import ModelCheckpoint, ProgressLogger, ReduceLROnPlateau
from dlbook.datasets import load_digits, sample_image, stratified_split
from dlbook.functional import softmax_cross_entropy
from dlbook.layers import Activation, Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from dlbook.model import Sequential
from dlbook.optim import SGD, Adam, Optimizer
from dlbook.plotting import plot_history
from dlbook.saving import load_model, save_model

from bad_input_checks import assert_table_error

X = np.random.default_rng(0).random((6, 1, 8, 8)).astype(np.float32)
Y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2]]
LABELS = np.array([0, 1, 2, 0, 1, 2])


def stack(input_shape=(1, 8, 8)):
    return [
        Conv2D(2, 3, padding="same", activation="relu", input_shape=input_shape),
        MaxPooling2D(2),
        Flatten(),
        Dropout(0.25),
        Dense(3, activation="softmax"),
    ]


def model(built=True, compiled=True, trained=False):
    net = Sequential(stack((1, 8, 8) if built else None), seed=0)
    if compiled:
        net.compile(optimizer=Adam(learning_rate=0.01), loss="categorical_crossentropy",
                    metrics=["accuracy"])
    if trained:
        net.fit(X, Y, epochs=1, batch_size=3, verbose=0)
    return net


RAGGED = [[1.0, 2.0], [3.0]]

BAD_CALLS = [
    # the constructor
    (lambda m: Sequential(Dense(2)), TypeError, "layers", ["list", "Dense"]),
    (lambda m: Sequential([Dense(2), "relu"]), TypeError, "layers", ["Layer", "str"]),
    (lambda m: Sequential([Dense(2)], seed="0"), TypeError, "seed", ["'0'"]),
    (lambda m: Sequential([Dense(2)], seed=True), TypeError, "seed", ["True"]),
    (lambda m: Sequential([Dense(2)], dtype="float16"), ValueError, "dtype", ["float16"]),
    (lambda m: Sequential([Dense(2)], name=3), TypeError, "name", ["3"]),
    # structure
    (lambda m: m.add("relu"), TypeError, "layer", ["Layer", "str"]),
    (lambda m: m.add(m.layers[0]), ValueError, "layer", ["already in the model"]),
    (lambda m: m.add(Dense(2, name="dense")), ValueError, "layer", ["'dense'", "unique"]),
    (lambda m: m.add(Conv2D(2, 3)), ValueError, "Conv2D", ["(None, channels, height, width)"]),
    (lambda m: m.build((1, -8, 8)), ValueError, "input_shape", ["-8"]),
    (lambda m: m.build("x"), TypeError, "input_shape", ["'x'"]),
    (lambda m: m.build((1, 9, 9)), ValueError, "input_shape", ["(1, 8, 8)", "(1, 9, 9)"]),
    (lambda m: m.compute_output_shape((0,)), ValueError, "input_shape", ["(0,)"]),
    (lambda m: m.set_weights(np.zeros(3)), TypeError, "weights", ["list", "ndarray"]),
    (lambda m: m.set_weights(None), TypeError, "weights", ["NoneType"]),
    (lambda m: m.set_weights(m.get_weights()[:-1]), ValueError, "weights", ["4 arrays", "3"]),
    (lambda m: m.set_weights([*m.get_weights()[:-1], "abc"]), TypeError, "weights[3]",
     ["<U3"]),
    (lambda m: m.set_weights([*m.get_weights()[:-1], RAGGED]), ValueError, "weights[3]",
     ["rectangular"]),
    (lambda m: m.set_weights([*m.get_weights()[:-1], np.zeros(4)]), ValueError, "weights[3]",
     ["(3,)", "(4,)"]),
    # compile
    (lambda m: m.compile(optimizer=3, loss="mse"), TypeError, "optimizer", ["int"]),
    (lambda m: m.compile(optimizer="adagrad", loss="mse"), ValueError, "optimizer",
     ["'adagrad'"]),
    (lambda m: m.compile(optimizer="sgd", loss=5), TypeError, "loss", ["5"]),
    (lambda m: m.compile(optimizer="sgd", loss="mse", metrics="accuracy"), TypeError, "metrics",
     ["'accuracy'"]),
    (lambda m: m.compile(optimizer="sgd", loss="mse", metrics=["auc"]), ValueError, "metrics",
     ["'auc'"]),
    (lambda m: m.compile(optimizer="sgd", loss="mse", metrics=[np.array(["accuracy"] * 2)]),
     ValueError, "metrics", ["array"]),
    # fit
    (lambda m: m.fit(X, Y, shuffle="False", verbose=0), TypeError, "shuffle", ["'False'"]),
    (lambda m: m.fit(X, Y, shuffle=0, verbose=0), TypeError, "shuffle", ["0"]),
    (lambda m: m.fit(X, Y, epochs=2.0, verbose=0), TypeError, "epochs", ["2.0"]),
    (lambda m: m.fit(X, Y, epochs=True, verbose=0), TypeError, "epochs", ["True"]),
    (lambda m: m.fit(X, Y, batch_size="32", verbose=0), TypeError, "batch_size", ["'32'"]),
    (lambda m: m.fit(X, Y, seed=-1, verbose=0), ValueError, "seed", ["-1"]),
    (lambda m: m.fit(X, Y, initial_epoch=True, verbose=0), TypeError, "initial_epoch", ["True"]),
    (lambda m: m.fit(X, Y, epochs=1, initial_epoch=2, verbose=0), ValueError, "initial_epoch",
     ["2 > 1"]),
    (lambda m: m.fit(X, Y, verbose="1"), ValueError, "verbose", ["'1'"]),
    (lambda m: m.fit(RAGGED, Y, verbose=0), ValueError, "x", ["rectangular"]),
    (lambda m: m.fit(X, [[1.0], [0.0, 1.0]] * 3, verbose=0), ValueError, "y", ["rectangular"]),
    (lambda m: m.fit(X, Y, validation_data=(X,), verbose=0), TypeError, "validation_data",
     ["pair"]),
    (lambda m: m.fit(X, Y, validation_data=(X[:, :, :4], Y), verbose=0), ValueError,
     "validation_data[0]", ["(None, 1, 8, 8)", "(6, 1, 4, 8)"]),
    (lambda m: m.fit(X, Y, validation_data=(X, RAGGED), verbose=0), ValueError,
     "validation_data[1]", ["rectangular"]),
    (lambda m: m.fit(X, Y, validation_split=0.5, validation_data=(X, Y), verbose=0),
     ValueError, "validation_split", ["not both"]),
    (lambda m: m.fit(X, Y, validation_split=1.0, verbose=0), ValueError, "validation_split",
     ["(0, 1)", "1.0"]),
    (lambda m: m.fit(X, Y, validation_split=-0.2, verbose=0), ValueError, "validation_split",
     ["-0.2"]),
    (lambda m: m.fit(X, Y, validation_split="0.2", verbose=0), TypeError, "validation_split",
     ["'0.2'"]),
    (lambda m: m.fit(X, Y, validation_split=True, verbose=0), TypeError, "validation_split",
     ["True"]),
    (lambda m: m.fit(X, Y, validation_split=1e-17, verbose=0), ValueError, "validation_split",
     ["6 samples", "0 for validation"]),
    (lambda m: m.fit(X, Y, validation_split=0.99, verbose=0), ValueError, "validation_split",
     ["0 for training"]),
    (lambda m: m.fit(X, Y, callbacks=EarlyStopping(), verbose=0), TypeError, "callbacks",
     ["list", "EarlyStopping"]),
    (lambda m: m.fit(X, Y, callbacks=[EarlyStopping(), print], verbose=0), TypeError,
     "callbacks[1]", ["builtin_function_or_method"]),
    # evaluate, predict, train_on_batch, compute_gradients, layer_outputs, summary
    (lambda m: m.evaluate(X, Y, return_dict="yes"), TypeError, "return_dict", ["'yes'"]),
    (lambda m: m.evaluate(X, Y, return_dict=1), TypeError, "return_dict", ["1"]),
    (lambda m: m.evaluate(X, Y, batch_size=0), ValueError, "batch_size", ["0"]),
    (lambda m: m.evaluate(X, RAGGED), ValueError, "y", ["rectangular"]),
    (lambda m: m.predict(X, batch_size=1.5), TypeError, "batch_size", ["1.5"]),
    (lambda m: m.predict(X, verbose=True), ValueError, "verbose", ["True"]),
    (lambda m: m.predict("abc"), TypeError, "x", ["<U3"]),
    (lambda m: m.predict(RAGGED), ValueError, "x", ["rectangular"]),
    (lambda m: m.train_on_batch(X, RAGGED), ValueError, "y", ["rectangular"]),
    (lambda m: m.train_on_batch(X.astype(complex), Y), TypeError, "x", ["complex"]),
    (lambda m: m.compute_gradients(X, Y, training=1), TypeError, "training", ["1"]),
    (lambda m: m.compute_gradients(X, Y, training="True"), TypeError, "training", ["'True'"]),
    (lambda m: m.layer_outputs(X, training="True"), TypeError, "training", ["'True'"]),
    (lambda m: m.layer_outputs(X, training=None), TypeError, "training", ["None"]),
    (lambda m: m.layer_outputs(RAGGED), ValueError, "x", ["rectangular"]),
    (lambda m: m.summary(print_fn=3), TypeError, "print_fn", ["3"]),
    (lambda m: m.summary(print_fn="print"), TypeError, "print_fn", ["'print'"]),
    # the callbacks and data helpers the chapters call
    (lambda m: History(params=[1]), TypeError, "params", ["list"]),
    (lambda m: Callback().set_params("epochs=5"), TypeError, "params", ["str"]),
    (lambda m: ProgressLogger().set_params(None), TypeError, "params", ["NoneType"]),
    (lambda m: EarlyStopping(monitor=3), TypeError, "monitor", ["3"]),
    (lambda m: EarlyStopping(monitor=""), TypeError, "monitor", ["''"]),
    (lambda m: EarlyStopping(monitor="val_auc"), ValueError, "monitor", ["'val_auc'", "mode"]),
    (lambda m: EarlyStopping(min_delta="0"), TypeError, "min_delta", ["'0'"]),
    (lambda m: EarlyStopping(min_delta=float("nan")), ValueError, "min_delta", ["nan"]),
    (lambda m: EarlyStopping(patience=-1), ValueError, "patience", ["-1"]),
    (lambda m: EarlyStopping(patience=1.5), TypeError, "patience", ["1.5"]),
    (lambda m: EarlyStopping(verbose="1"), TypeError, "verbose", ["'1'"]),
    (lambda m: EarlyStopping(mode="minimum"), ValueError, "mode", ["'minimum'"]),
    (lambda m: EarlyStopping(baseline="0.5"), TypeError, "baseline", ["'0.5'"]),
    (lambda m: EarlyStopping(restore_best_weights=1), TypeError, "restore_best_weights", ["1"]),
    (lambda m: EarlyStopping(start_from_epoch=-2), ValueError, "start_from_epoch", ["-2"]),
    (lambda m: ModelCheckpoint(3), TypeError, "filepath", ["3"]),
    (lambda m: ModelCheckpoint(""), ValueError, "filepath", ["''"]),
    (lambda m: ModelCheckpoint("m.npz", monitor=None), TypeError, "monitor", ["None"]),
    (lambda m: ModelCheckpoint("m.npz", verbose=-1), ValueError, "verbose", ["-1"]),
    (lambda m: ModelCheckpoint("m.npz", save_best_only="yes"), TypeError, "save_best_only",
     ["'yes'"]),
    (lambda m: ModelCheckpoint("m.npz", mode="biggest"), ValueError, "mode", ["'biggest'"]),
    (lambda m: ModelCheckpoint("m-{val_auc}.npz").filepath_for(0, {"loss": 1.0}), KeyError,
     "filepath", ["'val_auc'", "loss"]),
    (lambda m: LearningRateScheduler(0.1), TypeError, "schedule", ["0.1"]),
    (lambda m: LearningRateScheduler(lambda e, lr: lr, verbose=None), TypeError, "verbose",
     ["None"]),
    (lambda m: ReduceLROnPlateau(factor=1.0), ValueError, "factor", ["1.0"]),
    (lambda m: ReduceLROnPlateau(factor=0), ValueError, "factor", ["0"]),
    (lambda m: ReduceLROnPlateau(patience=-1), ValueError, "patience", ["-1"]),
    (lambda m: ReduceLROnPlateau(mode=1), ValueError, "mode", ["1"]),
    (lambda m: ReduceLROnPlateau(min_delta=-1e-4), ValueError, "min_delta", ["-0.0001"]),
    (lambda m: ReduceLROnPlateau(cooldown=2.0), TypeError, "cooldown", ["2.0"]),
    (lambda m: ReduceLROnPlateau(min_lr=-1.0), ValueError, "min_lr", ["-1.0"]),
    (lambda m: ReduceLROnPlateau(monitor=["loss"]), TypeError, "monitor", ["['loss']"]),
    (lambda m: ReduceLROnPlateau(verbose=True), TypeError, "verbose", ["True"]),
    (lambda m: plot_history([1.0, 0.5]), TypeError, "history", ["list"]),
    (lambda m: plot_history({}), TypeError, "history", ["dict"]),
    (lambda m: plot_history({"loss": [1.0], "val_loss": [1.0, 2.0]}), ValueError, "history",
     ["lengths"]),
    (lambda m: plot_history({"loss": [1.0]}, ax=[None, None]), ValueError, "ax", ["1"]),
    (lambda m: Optimizer(learning_rate=0.1), TypeError, "Optimizer", ["SGD", "Adam"]),
    (lambda m: save_model("model.npz", "model.npz"), TypeError, "model", ["str"]),
    (lambda m: save_model(m, 3), TypeError, "path", ["int"]),
    (lambda m: load_model(None, Sequential), TypeError, "path", ["NoneType"]),
    (lambda m: m.save(["model.npz"]), TypeError, "path", ["list"]),
    (lambda m: sample_image(name=np.array(["china.jpg"])), TypeError, "name", ["ndarray"]),
    (lambda m: sample_image(gray="no"), TypeError, "gray", ["'no'"]),
    (lambda m: load_digits(test_fraction="0.2"), TypeError, "test_fraction", ["'0.2'"]),
    (lambda m: load_digits(seed=-1), ValueError, "seed", ["-1"]),
    (lambda m: stratified_split([[0, 1], [2]]), ValueError, "labels", ["rectangular"]),
]


def state(net):
    """Everything a rejected call must leave alone."""
    optimizer = net.optimizer
    return {
        "built": net.built,
        "input_shape": net.input_shape,
        "layers": list(net.layers),
        "names": [layer.name for layer in net.layers],
        "layer_built": [layer.built for layer in net.layers],
        "params": [id(p) for p in net.params],
        "weights": [w.copy() for w in net.get_weights()],
        "grads": [p.grad.copy() for p in net.params],
        "optimizer": optimizer,
        "optimizer_state": None if optimizer is None else repr(optimizer.state_dict()),
        "loss": net.loss,
        "metrics": list(net.metrics),
    }


def assert_unchanged(before, after):
    assert before.keys() == after.keys()
    for key in before:
        if key in ("weights", "grads"):
            assert len(before[key]) == len(after[key])
            for a, b in zip(before[key], after[key]):
                np.testing.assert_array_equal(a, b)
        elif key in ("layers", "optimizer"):
            assert before[key] == after[key] or all(
                a is b for a, b in zip(before[key], after[key])), key
        else:
            assert before[key] == after[key], key


@pytest.mark.parametrize("call, error, argument, words", BAD_CALLS)
def test_a_bad_argument_gets_one_sentence_naming_it_and_changes_nothing(call, error, argument,
                                                                         words):
    net = model(trained=True)
    before = state(net)
    with pytest.raises(error) as info:
        call(net)
    assert_table_error(info.value, error, argument, words)
    assert_unchanged(before, state(net))


# ---------------------------------------------------------------------------------------------
# Kind 11 on an unbuilt model: a rejected call builds nothing

REJECTED_ON_AN_UNBUILT_MODEL = [
    lambda m: m.fit(X, LABELS, verbose=0),  # integer labels for a one-hot loss
    lambda m: m.fit(X, Y[:5], verbose=0),
    lambda m: m.fit(X, Y, validation_data=(X, LABELS), verbose=0),
    lambda m: m.fit(X, Y, validation_data=(X[:, :, :4], Y), verbose=0),
    lambda m: m.fit(X, Y, verbose=0, shuffle="yes"),
    lambda m: m.fit(X, Y, verbose=0, validation_split=0.99),
    lambda m: m.fit(X, Y, verbose=0, validation_split=0.5, validation_data=(X, Y)),
    lambda m: m.fit(X, Y, verbose=0, callbacks=[None]),
    lambda m: m.evaluate(X, Y * 2),
    lambda m: m.evaluate(X, Y, return_dict="no"),
    lambda m: m.train_on_batch(X, LABELS),
    lambda m: m.compute_gradients(X, Y[:2]),
    lambda m: m.compute_gradients(X, Y, training="no"),
    lambda m: m.layer_outputs(X, training="no"),
    lambda m: m.predict(X, batch_size=0),
    lambda m: m.build((1, 1, 1)),  # too small for nothing, fine for the conv: the pool fails
    lambda m: m.set_weights([np.zeros((2, 1, 3, 3))]),
]


@pytest.mark.parametrize("call", REJECTED_ON_AN_UNBUILT_MODEL)
def test_a_rejected_call_leaves_an_unbuilt_model_unbuilt(call):
    net = model(built=False)
    before = state(net)
    with pytest.raises((TypeError, ValueError)):
        call(net)
    assert not net.built and not any(layer.built for layer in net.layers)
    assert_unchanged(before, state(net))
    net.build((1, 8, 8))  # and it still builds as a fresh one does
    fresh = model(built=False)
    fresh.build((1, 8, 8))
    for a, b in zip(net.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_fit_rejected_for_bad_labels_does_not_build_for_that_input_shape():
    net = model(built=False)
    with pytest.raises(ValueError, match="one-hot"):
        net.fit(X, LABELS, verbose=0)
    assert not net.built and net.input_shape is None
    history = net.fit(X, Y, epochs=1, batch_size=3, verbose=0)
    assert net.built and net.input_shape == (1, 8, 8) and len(history.epoch) == 1


def test_set_weights_with_one_bad_array_overwrites_no_layer():
    net = model()
    good = [w + 1 for w in net.get_weights()]
    before = net.get_weights()
    for bad in (np.zeros(3, complex), np.array(["a", "b", "c"]), [0.0, [1.0], 2.0]):
        with pytest.raises((TypeError, ValueError), match=r"weights\[3\]"):
            net.set_weights([*good[:3], bad])
        for a, b in zip(before, net.get_weights()):
            np.testing.assert_array_equal(a, b)
    net.set_weights(good)
    for a, b in zip(good, net.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_rejected_add_leaves_the_model_and_the_layer_as_they_were():
    net = model()
    layer = Conv2D(2, 3)
    with pytest.raises(ValueError, match="Conv2D"):
        net.add(layer)  # a conv after the softmax Dense
    assert layer.has_default_name and layer.name == "conv2d" and not layer.built
    assert len(net.layers) == 5
    net.add(Dense(2))
    assert net.layers[-1].name == "dense_1" and net.output_shape == (2,)


def test_a_rejected_first_layer_is_not_left_in_the_model():
    net = Sequential(seed=0)
    with pytest.raises(ValueError, match="kernel"):
        net.add(Conv2D(2, 9, input_shape=(1, 3, 3)))
    assert net.layers == [] and not net.built
    net.add(Dense(2, input_shape=(3,)))
    assert net.built and net.output_shape == (2,)


def test_a_rejected_constructor_renames_none_of_the_callers_layers():
    first, second = Dense(2), Dense(2)
    with pytest.raises(TypeError, match="layers"):
        Sequential([first, second, "relu"])
    with pytest.raises(ValueError, match="kernel"):
        Sequential([Conv2D(2, 9, input_shape=(1, 3, 3)), first, second])
    assert first.has_default_name and second.has_default_name
    assert first.name == second.name == "dense" and not first.built and not second.built


def test_a_rejected_compile_keeps_the_previous_compilation():
    net = model(trained=True)
    before = state(net)
    for kwargs in (dict(optimizer=SGD(), loss="hinge"),
                   dict(optimizer=SGD(), loss="mse", metrics=["auc"]),
                   dict(optimizer="adam", loss="sparse_categorical_crossentropy",
                        metrics="accuracy")):
        with pytest.raises((TypeError, ValueError)):
            net.compile(**kwargs)
        assert_unchanged(before, state(net))


def test_a_rejected_call_on_a_trained_model_keeps_the_optimizer_state():
    net = model(trained=True)
    steps = net.optimizer.state_dict()
    for call in (lambda: net.fit(X, LABELS, verbose=0),
                 lambda: net.train_on_batch(X, Y[:1]),
                 lambda: net.fit(X, Y, verbose=0, validation_data=(X, Y * 3))):
        with pytest.raises(ValueError):
            call()
    assert repr(net.optimizer.state_dict()) == repr(steps)


# ---------------------------------------------------------------------------------------------
# Kind 7: no result is a writable alias of an argument


@pytest.mark.parametrize("first", [Flatten, lambda: Activation("linear"), lambda: Dropout(0.5)])
def test_layer_outputs_and_predict_are_never_writable_aliases_of_x(first):
    net = Sequential([first(), Dense(2)], seed=0, dtype="float64")
    x = np.random.default_rng(1).random((4, 3))
    for x_in in (x, x.copy()):
        if x_in is x:
            x_in.setflags(write=False)
        outputs = net.layer_outputs(x_in)
        for output in outputs:
            assert not np.shares_memory(output, x_in) or not output.flags.writeable
        predicted = net.predict(x_in)
        assert not np.shares_memory(predicted, x_in)
        np.testing.assert_array_equal(predicted, outputs[-1])


def test_fit_does_not_let_the_callers_array_change_the_gradients():
    net = model()
    x = X.copy()
    net.compute_gradients(x, Y)
    grads = [p.grad.copy() for p in net.params]
    x_changed = X.copy()
    layers = net.layers
    out = x_changed
    for layer in layers:
        out = layer.forward(out)
    x_changed[...] = 5.0  # after forward, before backward
    _, dlogits = softmax_cross_entropy(layers[-1].pre_activation, Y)
    gradient = layers[-1].backward_pre_activation(dlogits)
    for layer in reversed(layers[:-1]):
        gradient = layer.backward(gradient)
    for a, p in zip(grads, net.params):
        np.testing.assert_allclose(a, p.grad, rtol=1e-6)
