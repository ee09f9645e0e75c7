"""ZeroPadding2D (Keras 3's, channels first) against np.pad and central differences, in a
saved model and in summary(); Input(shape=...) opening a Sequential exactly as input_shape=
on its first layer does, absent from layers and summary, saved and loaded, and refused
anywhere but first."""

import numpy as np
import pytest

from dlbook.gradcheck import numerical_vjp, rel_error
from dlbook.layers import (Conv2D, Dense, Flatten, Input, MaxPooling2D, ZeroPadding2D,
                           deserialize, serialize)
from dlbook.model import Sequential


@pytest.mark.parametrize("padding, pads", [
    (1, ((1, 1), (1, 1))),
    (2, ((2, 2), (2, 2))),
    ((1, 3), ((1, 1), (3, 3))),
    (((1, 2), (0, 3)), ((1, 2), (0, 3))),
    ([[0, 0], [2, 1]], ((0, 0), (2, 1))),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zero_padding_is_np_pad_of_the_spatial_axes_and_backward_crops(padding, pads, dtype):
    layer = ZeroPadding2D(padding)
    layer.build((2, 4, 5), dtype=dtype)
    x = np.random.default_rng(0).standard_normal((3, 2, 4, 5)).astype(dtype)
    y = layer.forward(x)
    (top, bottom), (left, right) = pads
    assert layer.padding == pads
    assert y.dtype == np.dtype(dtype) and layer.output_shape == y.shape[1:]
    assert y.shape == (3, 2, 4 + top + bottom, 5 + left + right)
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right))))
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    dx = layer.backward(dy)
    np.testing.assert_array_equal(dx, dy[:, :, top:dy.shape[2] - bottom, left:dy.shape[3] - right])
    assert dx.dtype == np.dtype(dtype) and not np.shares_memory(dx, dy)


def test_zero_padding_backward_passes_central_differences():
    layer = ZeroPadding2D(((2, 0), (1, 3)))
    x = np.random.default_rng(2).standard_normal((2, 3, 3, 4))
    layer.build(x.shape[1:], dtype="float64")
    dy = np.random.default_rng(3).standard_normal(layer.forward(x).shape)
    assert rel_error(layer.backward(dy), numerical_vjp(layer.forward, [x], dy, 0)) < 1e-8


def test_zero_padding_defaults_to_one_on_every_side_and_config_round_trips():
    layer = ZeroPadding2D()
    assert layer.padding == ((1, 1), (1, 1)) and layer.name == "zero_padding2d"
    assert layer.get_config() == {"padding": [[1, 1], [1, 1]], "name": None, "input_shape": None}
    copy = deserialize(serialize(ZeroPadding2D(((1, 2), (3, 4)), name="pad", input_shape=(1, 5, 5))))
    assert (copy.padding, copy.name, copy.input_shape_argument) == (((1, 2), (3, 4)), "pad", (1, 5, 5))
    assert copy.params == [] and copy.count_params() == 0


def test_zero_padding_agrees_with_torch_pad():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((2, 3, 4, 5))
    want = torch.nn.functional.pad(torch.from_numpy(x), (0, 3, 1, 2)).numpy()  # left, right, top, bottom
    np.testing.assert_array_equal(ZeroPadding2D(((1, 2), (0, 3))).forward(x), want)


def model_with_input(seed=0):
    return Sequential([Input(shape=(1, 8, 8)), ZeroPadding2D(((1, 2), (0, 1))),
                       Conv2D(4, 3, padding="same", activation="relu"), MaxPooling2D(2),
                       Flatten(), Dense(3, activation="softmax")], seed=seed)


def model_with_input_shape(seed=0):
    return Sequential([ZeroPadding2D(((1, 2), (0, 1)), input_shape=(1, 8, 8)),
                       Conv2D(4, 3, padding="same", activation="relu"), MaxPooling2D(2),
                       Flatten(), Dense(3, activation="softmax")], seed=seed)


def summary_of(model):
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def test_input_builds_the_model_at_once_exactly_as_input_shape_on_the_first_layer():
    model, twin = model_with_input(), model_with_input_shape()
    assert model.built and model.input_shape == (1, 8, 8) == twin.input_shape
    assert model.output_shape == (3,) and model.count_params() == twin.count_params()
    assert [layer.name for layer in model.layers] == [
        "zero_padding2d", "conv2d", "max_pooling2d", "flatten", "dense"]
    assert all(not isinstance(layer, Input) for layer in model.layers)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(5).random((4, 1, 8, 8), dtype=np.float32)
    np.testing.assert_array_equal(model.predict(x), twin.predict(x))


def test_summary_lists_zero_padding_with_no_parameters_and_no_input_row():
    lines = summary_of(model_with_input())
    assert lines == summary_of(model_with_input_shape())
    row = next(line for line in lines if line.startswith("zero_padding2d (ZeroPadding2D)"))
    assert row.split()[-1] == "0" and "(None, 1, 11, 9)" in row
    assert not any("Input" in line for line in lines)
    # 4 * (1 * 3 * 3) + 4 and 3 * (4 * 5 * 4) + 3
    assert f"Total params: {40 + 243:,}" in lines


def test_a_model_opened_by_input_and_one_with_zero_padding_save_and_load(tmp_path):
    model = model_with_input()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(6).random((8, 1, 8, 8), dtype=np.float32)
    model.fit(x, np.arange(8) % 3, epochs=1, batch_size=4, verbose=0, seed=0)
    model.save(tmp_path / "m.npz")
    loaded = Sequential.load(tmp_path / "m.npz")
    assert loaded.built and loaded.input_shape == (1, 8, 8)
    assert type(loaded.layers[0]) is ZeroPadding2D and loaded.layers[0].padding == ((1, 2), (0, 1))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_input_then_add_builds_each_layer_as_it_comes():
    model = Sequential(seed=0)
    model.add(Input(shape=(6,)))
    assert not model.built and model.layers == [] and model.input_spec.shape == (6,)
    model.add(Dense(4))
    assert model.built and model.input_shape == (6,) and model.layers[0].kernel.shape == (6, 4)
    model.add(Dense(2))
    assert model.output_shape == (2,)
    lone = Sequential([Input(shape=[2, 3])])
    assert lone.layers == [] and lone.input_spec.shape == (2, 3)


def test_input_has_no_parameters_and_its_shape_is_a_tuple():
    given = Input(shape=[1, 8, 8])
    assert given.shape == (1, 8, 8) and repr(given) == "Input(shape=(1, 8, 8))"
    assert not hasattr(given, "params")


def test_input_anywhere_but_first_is_refused_and_changes_nothing():
    dense = Dense(2)
    with pytest.raises(ValueError, match=r"^layers: an Input may only open a Sequential.*"
                                         r"at position 1$"):
        Sequential([dense, Input(shape=(3,))])
    with pytest.raises(ValueError, match=r"^layers: an Input .*at position 1$"):
        Sequential([Input(shape=(3,)), Input(shape=(3,)), Dense(2)])
    model = Sequential([Input(shape=(3,)), dense])
    weights = model.get_weights()
    with pytest.raises(ValueError, match=r"^layer: an Input .*already has an Input$"):
        model.add(Input(shape=(3,)))
    plain = Sequential([Dense(2)])
    with pytest.raises(ValueError, match=r"^layer: an Input .*already has layers$"):
        plain.add(Input(shape=(3,)))
    assert plain.input_spec is None and not plain.built
    assert len(model.layers) == 1 and model.layers[0] is dense
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)


def test_input_and_a_different_input_shape_on_the_first_layer_are_refused_and_change_nothing():
    model = Sequential()
    model.add(Input(shape=(1, 9, 9)))
    with pytest.raises(ValueError, match=r"input_shape=\(1, 8, 8\).*\(1, 9, 9\)"):
        model.add(Conv2D(2, 3, input_shape=(1, 8, 8)))
    assert model.input_spec.shape == (1, 9, 9) and model.layers == [] and not model.built
    conv = Conv2D(2, 3, input_shape=(1, 8, 8))
    with pytest.raises(ValueError, match=r"input_shape=\(1, 8, 8\).*\(1, 9, 9\)"):
        Sequential([Input(shape=(1, 9, 9)), conv])
    assert not conv.built and conv.has_default_name
