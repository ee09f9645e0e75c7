"""Sequential: whole-network gradient check, digits training, reproducibility, save/load and
resume, the progress output, and bad input."""

import os
import re
import zipfile

import numpy as np
import pytest

from dlbook.datasets import load_digits
from dlbook.gradcheck import numerical_gradient, rel_error
from dlbook.layers import (
    Activation,
    AveragePooling2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPooling2D,
)
from dlbook.model import Sequential
from dlbook.optim import SGD, Adam, Optimizer


@pytest.fixture(scope="module")
def digits():
    (x_train, y_train), (x_test, y_test) = load_digits()
    return x_train, y_train, x_test, y_test


def small_cnn(seed=0, dtype="float32", dropout=False, last=None):
    """A small LeNet-style net for 8x8 digits (fast; for the non-accuracy tests)."""
    layers = [
        Conv2D(filters=4, kernel_size=(3, 3), strides=1, padding="same", activation="relu",
               input_shape=(1, 8, 8)),
        MaxPooling2D(pool_size=(2, 2)),
        Conv2D(filters=6, kernel_size=(3, 3), padding="same", activation="tanh"),
        AveragePooling2D(pool_size=(2, 2)),
        Flatten(),
    ]
    if dropout:
        layers.append(Dropout(0.2))
    layers += last or [Dense(10, activation="softmax")]
    return Sequential(layers, seed=seed, dtype=dtype)


def digits_cnn(seed=0):
    """The LeNet-style CNN of the chapter, written with Keras' lines."""
    return Sequential([
        Conv2D(filters=16, kernel_size=(3, 3), strides=1, padding="same", activation="relu",
               input_shape=(1, 8, 8)),
        MaxPooling2D(pool_size=(2, 2)),
        Conv2D(filters=32, kernel_size=(3, 3), strides=1, padding="same", activation="relu"),
        Flatten(),
        Dense(10, activation="softmax"),
    ], seed=seed)


def one_hot(labels, k=10, dtype=np.float32):
    return np.eye(k, dtype=dtype)[labels]


# ---------------------------------------------------------------------------------------------
# Gradient check of a whole network


@pytest.mark.parametrize(
    "loss, last",
    [
        ("categorical_crossentropy", lambda: [Dense(3, activation="softmax")]),
        ("sparse_categorical_crossentropy", lambda: [Dense(3), Activation("softmax")]),
        ("mse", lambda: [Dense(3, activation="softmax")]),  # through softmax_backward, unfused
        ("mse", lambda: [Dense(5, activation="sigmoid"), Dense(3)]),
    ],
)
def test_whole_cnn_loss_gradient_matches_central_differences(loss, last):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 1, 8, 8))
    labels = rng.integers(0, 3, 5)
    y = labels if loss.startswith("sparse") else np.eye(3)[labels]
    head = last()
    model = small_cnn(seed=1, dtype="float64", last=head)
    model.compile(optimizer="sgd", loss=loss)
    for p in model.params:  # non-zero biases, so that their gradients are tested too
        if p.data.ndim == 1:
            p.data[...] = rng.standard_normal(p.shape) * 0.1
    model.compute_gradients(x, y)
    analytic = [p.grad.copy() for p in model.params]
    assert len(analytic) == 4 + 2 * sum(isinstance(layer, Dense) for layer in head)
    for p, grad in zip(model.params, analytic):
        numeric = numerical_gradient(lambda _: model.evaluate(x, y, batch_size=5), p.data)
        assert rel_error(grad, numeric) < 1e-7


def test_fused_softmax_cross_entropy_equals_the_unfused_chain_rule():
    x = np.random.default_rng(0).standard_normal((4, 1, 8, 8))
    y = np.eye(10)[[1, 2, 3, 9]]
    fused = small_cnn(seed=2, dtype="float64")
    fused.compile("sgd", loss="categorical_crossentropy")
    loss = fused.compute_gradients(x, y)
    chain = small_cnn(seed=2, dtype="float64")
    chain.compile("sgd", loss="mse")
    probabilities = chain.predict(x)
    cross_entropy = -np.mean(np.sum(y * np.log(probabilities), axis=1))
    np.testing.assert_allclose(loss, cross_entropy, rtol=1e-12)
    # d(-mean sum y log p)/dp = -y / (N p), pushed back through every layer's backward
    chain.layers[-1].forward(chain.layer_outputs(x)[-2])
    dx = -y / (len(x) * probabilities)
    for layer in reversed(chain.layers):
        dx = layer.backward(dx)
    for a, b in zip(fused.params, chain.params):
        assert rel_error(a.grad, b.grad) < 1e-10


# ---------------------------------------------------------------------------------------------
# Training on the digits


def test_lenet_style_cnn_reaches_97_percent_on_the_digits(digits):
    x_train, y_train, x_test, y_test = digits
    model = digits_cnn(seed=0)
    model.compile(optimizer=Adam(learning_rate=0.001), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, one_hot(y_train), epochs=12, batch_size=16, verbose=0)
    loss, accuracy = model.evaluate(x_test, one_hot(y_test))
    assert accuracy >= 0.97
    assert history.history["loss"][-1] < history.history["loss"][0] / 5
    assert history.history["accuracy"][-1] > 0.97
    assert np.mean(model.predict(x_test).argmax(axis=1) == y_test) == pytest.approx(accuracy)


def test_same_seeds_give_the_same_training_bit_for_bit(digits):
    x, y = digits[0][:200], digits[1][:200]

    def train(model_seed, fit_seed):
        model = small_cnn(seed=model_seed, dropout=True)
        model.compile(optimizer=Adam(), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        history = model.fit(x, y, epochs=2, batch_size=32, verbose=0, seed=fit_seed)
        return model.get_weights(), history.history

    weights, history = train(0, None)
    again, history_again = train(0, None)
    for a, b in zip(weights, again):
        np.testing.assert_array_equal(a, b)
    assert history == history_again
    other_shuffle, _ = train(0, 1)
    assert not np.array_equal(weights[0], other_shuffle[0])
    other_init = small_cnn(seed=1).get_weights()
    assert not np.array_equal(small_cnn(seed=0).get_weights()[0], other_init[0])


def test_history_holds_keras_keys_and_batch_weighted_means(digits):
    x, y = digits[0][:100], digits[1][:100]
    model = small_cnn()
    model.compile(optimizer=SGD(learning_rate=1e-12), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=30, validation_data=(x[:40], y[:40]),
                        verbose=0, shuffle=False)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epoch == [0, 1] and all(len(v) == 2 for v in history.history.values())
    assert history.params["steps"] == 4
    # with a negligible learning rate the epoch means are the full-data evaluation
    loss, accuracy = model.evaluate(x, y, batch_size=100)
    assert history.history["loss"][1] == pytest.approx(loss, rel=1e-5)
    assert history.history["accuracy"][1] == pytest.approx(accuracy)
    val_loss = model.evaluate(x[:40], y[:40])[0]
    assert history.history["val_loss"][1] == pytest.approx(val_loss, rel=1e-5)


def test_verbose_2_prints_one_deterministic_line_per_epoch(digits, capsys):
    x, y = digits[0][:64], digits[1][:64]
    model = small_cnn()
    model.compile(optimizer=Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, validation_data=(x, y), verbose=2)
    lines = capsys.readouterr().out.splitlines()
    pattern = (r"Epoch {}/2 - loss: \d\.\d{{4}} - accuracy: \d\.\d{{4}} - "
               r"val_loss: \d\.\d{{4}} - val_accuracy: \d\.\d{{4}}")
    assert len(lines) == 2
    assert re.fullmatch(pattern.format(1), lines[0]) and re.fullmatch(pattern.format(2), lines[1])


def test_verbose_1_shows_a_progress_bar_and_verbose_0_nothing(digits, capsys):
    x, y = digits[0][:64], digits[1][:64]
    model = small_cnn()
    model.compile(optimizer=Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, verbose=1)
    captured = capsys.readouterr()
    assert "Epoch 1/1" in captured.err and "2/2" in captured.err and captured.out == ""
    model.fit(x, y, epochs=1, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_non_finite_loss_stops_fit_before_the_step(digits):
    x = digits[0][:96].copy()
    y = one_hot(digits[1][:96])
    x[70] = np.nan  # sample 70 is in batch 3 (samples 64..95) without shuffling
    model = small_cnn()
    model.compile(optimizer=Adam(), loss="categorical_crossentropy")
    reference = small_cnn()
    reference.compile(optimizer=Adam(), loss="categorical_crossentropy")
    reference.fit(x[:64], y[:64], epochs=1, shuffle=False, verbose=0)
    with pytest.raises(FloatingPointError, match=r"epoch 1/2, batch 3/3"):
        model.fit(x, y, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.state_dict()["0.step"] == 2


# ---------------------------------------------------------------------------------------------
# summary, build, predict


def test_summary_prints_a_keras_like_table(capsys):
    model = small_cnn()
    assert model.summary() is None
    out = capsys.readouterr().out
    assert out.splitlines()[0] == 'Model: "sequential"'
    assert re.search(r"conv2d \(Conv2D\) +\(None, 4, 8, 8\) +40\n", out)
    assert re.search(r"max_pooling2d \(MaxPooling2D\) +\(None, 4, 4, 4\) +0\n", out)
    assert re.search(r"conv2d_1 \(Conv2D\) +\(None, 6, 4, 4\) +222\n", out)
    assert re.search(r"flatten \(Flatten\) +\(None, 24\) +0\n", out)
    assert re.search(r"dense \(Dense\) +\(None, 10\) +250\n", out)
    assert "Total params: 512\nTrainable params: 512\nNon-trainable params: 0\n" in out
    assert model.count_params() == 512


def test_summary_needs_a_built_model_and_build_accepts_keras_shapes():
    model = Sequential([Conv2D(2, 3), Flatten(), Dense(3, activation="softmax")])
    assert not model.built
    with pytest.raises(ValueError, match="not built"):
        model.summary()
    model.build((None, 1, 5, 5))
    assert model.built and model.input_shape == (1, 5, 5) and model.output_shape == (3,)


def test_a_failed_build_leaves_nothing_built_and_changes_no_seed():
    model = Sequential([Conv2D(2, 3), Conv2D(2, 3), Flatten(), Dense(3)], seed=0)
    with pytest.raises(ValueError, match=r"Conv2D layer 'conv2d_1'"):
        model.predict(np.zeros((1, 1, 4, 4)))  # the second conv does not fit in 2x2
    assert not model.built and not any(layer.built for layer in model.layers)
    model.build((1, 6, 6))
    fresh = Sequential([Conv2D(2, 3), Conv2D(2, 3), Flatten(), Dense(3)], seed=0)
    fresh.build((1, 6, 6))
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_predict_is_batched_and_probabilities_sum_to_one(digits):
    model = small_cnn()
    x = digits[2][:50]
    probabilities = model.predict(x, batch_size=7)
    assert probabilities.shape == (50, 10) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(model.predict(x, batch_size=50), probabilities, rtol=1e-5, atol=1e-7)
    maps = model.layer_outputs(x[:2])[0]
    assert maps.shape == (2, 4, 8, 8)
    np.testing.assert_array_equal(maps, model.layers[0].forward(x[:2]))


def test_layer_names_are_made_unique_keras_style():
    model = Sequential([Dense(2, input_shape=(3,)), Dense(2), Dense(2, name="out")])
    assert [layer.name for layer in model.layers] == ["dense", "dense_1", "out"]
    with pytest.raises(ValueError, match="'out'"):
        model.add(Dense(2, name="out"))
    model.add(Dense(4))
    assert model.layers[-1].name == "dense_2" and model.layers[-1].kernel.shape == (2, 4)


# ---------------------------------------------------------------------------------------------
# save / load / resume


def test_save_load_round_trip_reproduces_predict_exactly(tmp_path, digits):
    x, y = digits[0][:64], digits[1][:64]
    model = small_cnn(dropout=True)
    model.compile(optimizer=Adam(learning_rate=0.01, amsgrad=True),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.npz"
    model.save(path)
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]  # no temporary file left behind
    loaded = Sequential.load(path)
    np.testing.assert_array_equal(loaded.predict(digits[2]), model.predict(digits[2]))
    assert [layer.get_config() for layer in loaded.layers] == [
        layer.get_config() for layer in model.layers]
    assert loaded.loss == model.loss and loaded.metrics == ["accuracy"]
    assert type(loaded.optimizer) is Adam and loaded.optimizer.amsgrad
    assert loaded.optimizer.learning_rate == 0.01
    state, loaded_state = model.optimizer.state_dict(), loaded.optimizer.state_dict()
    assert state.keys() == loaded_state.keys()
    for key in state:
        np.testing.assert_array_equal(state[key], loaded_state[key])
    with np.load(path, allow_pickle=False) as archive:  # no pickles anywhere
        assert "model.json" in archive.files and "weights/0/kernel" in archive.files


def test_an_uncompiled_float64_model_round_trips(tmp_path):
    model = small_cnn(seed=3, dtype="float64")
    model.save(tmp_path / "m.npz")
    loaded = Sequential.load(tmp_path / "m.npz")
    assert loaded.dtype == np.float64 and not loaded.compiled and loaded.seed == 3
    x = np.random.default_rng(0).random((3, 1, 8, 8))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_resuming_from_a_checkpoint_equals_uninterrupted_training(tmp_path, digits):
    x, y = digits[0][:160], one_hot(digits[1][:160])

    def new_model():
        model = small_cnn(seed=5, dropout=True)
        model.compile(optimizer=Adam(learning_rate=0.003), loss="categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    uninterrupted = new_model()
    full = uninterrupted.fit(x, y, epochs=3, batch_size=32, verbose=0, seed=11)
    first = new_model()
    first.fit(x, y, epochs=2, batch_size=32, verbose=0, seed=11)
    first.save(tmp_path / "checkpoint.npz")
    resumed = Sequential.load(tmp_path / "checkpoint.npz")
    rest = resumed.fit(x, y, epochs=3, initial_epoch=2, batch_size=32, verbose=0, seed=11)
    assert rest.epoch == [2]
    assert rest.history["loss"] == full.history["loss"][2:]
    for a, b in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    model = small_cnn()
    model.save(path)
    before = path.read_bytes()

    def broken_savez(file, **arrays):
        file.write(b"PK\x03\x04 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        small_cnn(seed=9).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def _corrupt_files(tmp_path, good):
    data = good.read_bytes()
    (tmp_path / "truncated.npz").write_bytes(data[: len(data) // 2])
    (tmp_path / "empty.npz").write_bytes(b"")
    (tmp_path / "noise.npz").write_bytes(np.random.default_rng(0).bytes(500))
    np.savez(tmp_path / "foreign.npz", a=np.zeros(3))
    np.save(tmp_path / "array.npy", np.zeros(3))
    with np.load(good) as archive:
        arrays = {key: archive[key] for key in archive.files}
    np.savez(tmp_path / "version.npz", **{
        **arrays, "model.json": np.array(str(arrays["model.json"]).replace(
            '"format_version": 1', '"format_version": 99'))})
    np.savez(tmp_path / "missing.npz", **{k: v for k, v in arrays.items() if k != "weights/0/bias"})
    np.savez(tmp_path / "shape.npz", **{**arrays, "weights/0/bias": np.zeros(5, np.float32)})
    np.savez(tmp_path / "json.npz", **{**arrays, "model.json": np.array("{not json")})
    with zipfile.ZipFile(tmp_path / "pickled.npz", "w") as archive:
        archive.writestr("model.json.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '|O', "
                         b"'fortran_order': False, 'shape': (), }" + b" " * 60 + b"\n")
    return ["truncated", "empty", "noise", "foreign", "version", "missing", "shape", "json",
            "pickled"]


def test_loading_a_corrupt_or_foreign_file_is_a_clear_error(tmp_path):
    good = tmp_path / "good.npz"
    model = small_cnn()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.save(good)
    for name in _corrupt_files(tmp_path, good):
        path = tmp_path / f"{name}.npz"
        with pytest.raises(ValueError, match=re.escape(str(path))):
            Sequential.load(path)
    with pytest.raises(ValueError, match="single .npy array"):
        Sequential.load(tmp_path / "array.npy")
    with pytest.raises(FileNotFoundError):
        Sequential.load(tmp_path / "nowhere.npz")


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.fixture()
def compiled():
    model = small_cnn()
    model.compile(optimizer=Adam(learning_rate=0.001), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


X = np.zeros((6, 1, 8, 8), dtype=np.float32)
Y = np.eye(10, dtype=np.float32)[[0, 1, 2, 3, 4, 5]]


def test_fit_before_compile_is_an_error():
    with pytest.raises(RuntimeError, match="compile"):
        small_cnn().fit(X, Y, verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        small_cnn().evaluate(X, Y)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda m: m.fit(X, Y[:5], verbose=0), ValueError, ["x, y", "6", "5"]),
        (lambda m: m.fit(X, np.arange(6), verbose=0), ValueError,
         ["one-hot", "sparse_categorical_crossentropy", "np.eye(10)"]),
        (lambda m: m.fit(X, np.eye(12)[:6], verbose=0), ValueError, ["(6, 10)", "(6, 12)"]),
        (lambda m: m.fit(X, Y * 2, verbose=0), ValueError, ["one-hot", "summing to 1"]),
        (lambda m: m.fit(X, Y, epochs=-1, verbose=0), ValueError, ["epochs", "-1"]),
        (lambda m: m.fit(X, Y, batch_size=0, verbose=0), ValueError, ["batch_size"]),
        (lambda m: m.fit(X, Y, verbose=3), ValueError, ["verbose", "3"]),
        (lambda m: m.fit(X, Y, validation_data=X, verbose=0), TypeError, ["validation_data"]),
        (lambda m: m.fit(X, Y, validation_data=(X, Y[:2]), verbose=0), ValueError,
         ["validation_data[1]", "6", "2"]),
        (lambda m: m.fit(X.astype(complex), Y, verbose=0), TypeError, ["x", "complex"]),
        (lambda m: m.fit(np.zeros((6, 3, 8, 8)), Y, verbose=0), ValueError,
         ["Conv2D layer 'conv2d'", "(None, 1, 8, 8)", "(6, 3, 8, 8)"]),
        (lambda m: m.predict(np.zeros((6, 8, 8))), ValueError, ["Conv2D layer 'conv2d'"]),
    ],
)
def test_bad_fit_arguments_name_what_is_wrong(compiled, call, error, words):
    weights = compiled.get_weights()
    with pytest.raises(error) as info:
        call(compiled)
    for word in words:
        assert word in str(info.value)
    for a, b in zip(weights, compiled.get_weights()):  # nothing trained
        np.testing.assert_array_equal(a, b)


def test_sparse_labels_out_of_range_or_one_hot_are_errors():
    model = small_cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"\[0, 10\).*max 10"):
        model.fit(X, np.array([0, 1, 2, 3, 4, 10]), verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 10\).*min -1"):
        model.evaluate(X, np.array([0, 1, 2, 3, 4, -1]))
    with pytest.raises(ValueError, match="categorical_crossentropy'"):
        model.fit(X, Y, verbose=0)
    with pytest.raises(ValueError, match="integer class labels"):
        model.fit(X, np.arange(6.0), verbose=0)


def test_an_input_shape_the_first_layer_cannot_take_names_the_layer():
    model = Sequential([Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match=r"Dense layer 'dense'.*\(None, 1, 8, 8\).*Flatten"):
        model.fit(X, Y, verbose=0)
    tiny = Sequential([Conv2D(4, (5, 5)), Flatten(), Dense(10, activation="softmax")])
    with pytest.raises(ValueError, match=r"Conv2D layer 'conv2d'.*kernel height 5"):
        tiny.predict(np.zeros((2, 1, 3, 3)))


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(optimizer="adagrad", loss="mse"), ValueError, ["optimizer", "adagrad", "adam"]),
        (dict(optimizer=object(), loss="mse"), TypeError, ["optimizer", "object"]),
        (dict(optimizer="adam", loss="hinge"), ValueError, ["loss", "hinge", "mse"]),
        (dict(optimizer="adam", loss=None), TypeError, ["loss"]),
        (dict(optimizer="adam", loss="mse", metrics=["auc"]), ValueError, ["metrics", "auc"]),
        (dict(optimizer="adam", loss="mse", metrics="accuracy"), TypeError, ["metrics"]),
    ],
)
def test_unknown_names_in_compile_are_errors(kwargs, error, words):
    with pytest.raises(error) as info:
        small_cnn().compile(**kwargs)
    for word in words:
        assert word in str(info.value)


def test_cross_entropy_needs_a_softmax_last_layer():
    model = small_cnn(last=[Dense(10)])
    with pytest.raises(ValueError, match=r"Dense layer 'dense'.*activation='softmax'"):
        model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.compile(optimizer="adam", loss="mse")  # fine for a regression head


def test_names_and_types_are_checked_at_construction():
    with pytest.raises(TypeError, match="layers"):
        Sequential([Dense(2), "relu"])
    with pytest.raises(ValueError, match="dtype"):
        Sequential([Dense(2)], dtype="float16")
    with pytest.raises(ValueError, match="seed"):
        Sequential([Dense(2)], seed=-1)
    assert isinstance(Adam(), Optimizer)


# ---------------------------------------------------------------------------------------------
# One prelude for (x, y), one verbose check, layers reached through their public methods

PRELUDE_CALLS = {
    "fit": lambda m, x, y: m.fit(x, y, verbose=0),
    "evaluate": lambda m, x, y: m.evaluate(x, y),
    "train_on_batch": lambda m, x, y: m.train_on_batch(x, y),
    "compute_gradients": lambda m, x, y: m.compute_gradients(x, y),
}


@pytest.mark.parametrize(
    "x, y, error, words",
    [
        (X, Y[:5], ValueError, ["x, y: x has 6 samples but y has 5"]),
        (X, np.arange(6), ValueError, ["one-hot", "np.eye(10)[y]"]),
        (X, Y * 2, ValueError, ["summing to 1"]),
        (X, Y.astype(complex), TypeError, ["y: complex targets"]),
        (X, np.array(["a"] * 6), TypeError, ["y: needs a numeric array"]),
        (X.astype(complex), Y, TypeError, ["x: complex input"]),
        (np.zeros((0, 1, 8, 8)), Y[:0], ValueError, ["x: needs a batch", "N >= 1"]),
        (np.zeros((6, 1, 7, 8)), Y, ValueError,
         ["x: the first layer, Conv2D layer 'conv2d'", "(None, 1, 8, 8)", "(6, 1, 7, 8)"]),
    ],
)
def test_the_same_bad_x_y_gets_the_same_error_from_every_method(compiled, x, y, error, words):
    weights = compiled.get_weights()
    messages = {}
    for method, call in PRELUDE_CALLS.items():
        with pytest.raises(error) as info:
            call(compiled, x, y)
        messages[method] = str(info.value)
    assert len(set(messages.values())) == 1, messages
    for word in words:
        assert word in messages["fit"]
    for a, b in zip(weights, compiled.get_weights()):  # nothing trained
        np.testing.assert_array_equal(a, b)


def test_every_method_that_takes_x_y_needs_a_compiled_model_and_names_itself():
    for method, call in PRELUDE_CALLS.items():
        with pytest.raises(RuntimeError) as info:
            call(small_cnn(), X, Y)
        assert str(info.value).startswith(f"{method}: the model is not compiled")


@pytest.mark.parametrize("verbose", [3, -1, True, 1.0, "1"])
def test_verbose_is_checked_the_same_way_by_fit_evaluate_and_predict(compiled, verbose):
    calls = [lambda: compiled.fit(X, Y, verbose=verbose),
             lambda: compiled.evaluate(X, Y, verbose=verbose),
             lambda: compiled.predict(X, verbose=verbose)]
    for call in calls:
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == f"verbose: needs 0, 1 or 2, got {verbose!r}"


def test_validation_data_goes_through_the_same_prelude(compiled):
    with pytest.raises(ValueError) as info:
        compiled.fit(X, Y, validation_data=(X, np.arange(6)), verbose=0)
    assert "validation_data[1]: loss 'categorical_crossentropy' needs one-hot" in str(info.value)
    assert "np.eye(10)[validation_data[1]]" in str(info.value)
    with pytest.raises(TypeError, match=r"validation_data\[0\]: complex input"):
        compiled.fit(X, Y, validation_data=(X.astype(complex), Y), verbose=0)


def test_train_on_batch_returns_the_loss_and_the_batch_accuracy():
    model = small_cnn(seed=4)
    model.compile(optimizer=SGD(learning_rate=1e-30), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    x = np.random.default_rng(3).random((6, 1, 8, 8), dtype=np.float32)
    probabilities = model.predict(x)
    loss, accuracy = model.train_on_batch(x, Y)
    assert accuracy == np.mean(probabilities.argmax(axis=1) == np.arange(6))
    np.testing.assert_allclose(loss, -np.mean(np.log(probabilities[np.arange(6), np.arange(6)])),
                               rtol=1e-5)
    plain = small_cnn(seed=4)
    plain.compile(optimizer=SGD(learning_rate=1e-30), loss="categorical_crossentropy")
    assert plain.train_on_batch(x, Y) == pytest.approx(loss, rel=1e-6)


class _CountingDense(Dense):
    """A Dense layer that counts the public calls a model makes on it."""

    resets = 0
    builds = 0

    def reset(self):
        type(self).resets += 1
        super().reset()

    def build(self, input_shape, rng=None, dtype=None):
        type(self).builds += 1
        super().build(input_shape, rng, dtype)


class _OutOfMemoryDense(Dense):
    """A Dense layer whose weights cannot be allocated."""

    def _create_params(self, input_shape, rng, dtype):
        raise MemoryError("no memory for the weights")


def test_a_failed_build_resets_the_built_layers_through_their_public_reset():
    _CountingDense.resets = _CountingDense.builds = 0
    model = Sequential([_CountingDense(3), _OutOfMemoryDense(2)], seed=0)
    after_construction = _CountingDense.resets
    with pytest.raises(MemoryError):
        model.build((4,))  # Dense builds, the next layer's allocation fails
    assert _CountingDense.builds == 1
    assert _CountingDense.resets == after_construction + 1
    assert not model.layers[0].built and model.layers[0].params == []
    assert not model.built and not model.layers[1].built


def test_a_build_rejected_for_a_shape_builds_no_layer_at_all():
    _CountingDense.resets = _CountingDense.builds = 0
    model = Sequential([_CountingDense(3), Conv2D(2, 3)], seed=0)
    after_construction = _CountingDense.resets
    with pytest.raises(ValueError, match="Conv2D layer 'conv2d'"):
        model.build((4,))  # the Conv2D cannot take the Dense's (3,) output
    assert _CountingDense.builds == 0 and _CountingDense.resets == after_construction
    assert not model.layers[0].built and model.layers[0].params == []


def test_layers_are_named_through_the_public_name_setter():
    first, second = Dense(2, input_shape=(3,)), Dense(2)
    model = Sequential([first, second])
    assert (first.name, second.name) == ("dense", "dense_1")
    assert not first.has_default_name and not second.has_default_name
    with pytest.raises(ValueError, match="already in the model"):
        model.add(second)
