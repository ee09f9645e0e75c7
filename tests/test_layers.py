"""Layers: values against the kernels, gradient checks (float64), building, seeding, bad input."""

import numpy as np
import pytest

from dlbook.functional import avg_pool2d, conv2d, max_pool2d, relu, softmax
from dlbook.gradcheck import numerical_gradient, numerical_vjp, rel_error
from dlbook.layers import (
    Activation,
    AveragePooling2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPooling2D,
    deserialize,
    initialize,
    serialize,
)

GRAD_TOL = 1e-7


def _rng(seed=0):
    return np.random.default_rng(seed)


def _check_layer_gradients(layer, x, seed=1):
    """Input and parameter gradients of ``layer`` against central differences, in float64."""
    y = layer.forward(x)
    dy = _rng(seed).standard_normal(y.shape)
    dy_before = dy.copy()
    dx = layer.backward(dy)
    np.testing.assert_array_equal(dy, dy_before)  # backward never writes into dy
    assert dx.shape == x.shape and dx.dtype == np.float64
    numeric_dx = numerical_vjp(lambda v: layer.forward(v), [x.copy()], dy, 0)
    assert rel_error(dx, numeric_dx) < GRAD_TOL
    for name, p in layer.named_params().items():
        layer.forward(x)
        layer.backward(dy)
        analytic = p.grad.copy()
        numeric = numerical_gradient(lambda _: float(np.sum(layer.forward(x) * dy)), p.data)
        assert rel_error(analytic, numeric) < GRAD_TOL, name


# ---------------------------------------------------------------------------------------------
# Gradient checks


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(filters=3, kernel_size=3),
        dict(filters=3, kernel_size=(3, 2), padding="same", activation="relu"),
        dict(filters=2, kernel_size=3, strides=2, padding="same", activation="tanh"),
        dict(filters=2, kernel_size=2, dilation_rate=2, padding=1, activation="sigmoid"),
        dict(filters=4, kernel_size=3, padding="same", activation="softmax", use_bias=False),
        dict(filters=2, kernel_size=(1, 3), strides=(2, 1), kernel_initializer="he_normal"),
    ],
)
def test_conv2d_layer_gradients_match_central_differences(kwargs):
    layer = Conv2D(**kwargs)
    layer.build((2, 7, 6), rng=0, dtype="float64")
    if "bias" in layer.named_params():
        layer.bias.data[...] = _rng(5).standard_normal(layer.bias.shape)
    _check_layer_gradients(layer, _rng(2).standard_normal((3, 2, 7, 6)))


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh", "softmax"])
def test_dense_layer_gradients_match_central_differences(activation):
    layer = Dense(4, activation=activation)
    layer.build((6,), rng=0, dtype="float64")
    layer.bias.data[...] = _rng(5).standard_normal(4)
    _check_layer_gradients(layer, _rng(2).standard_normal((5, 6)))


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(pool_size=3, strides=2), dict(pool_size=(2, 3), padding="same")],
)
def test_pooling_layer_gradients_match_central_differences(cls, kwargs):
    _check_layer_gradients(cls(**kwargs), _rng(3).standard_normal((2, 3, 7, 6)))


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "softmax"])
def test_activation_layer_gradients_match_central_differences(activation):
    _check_layer_gradients(Activation(activation), _rng(4).standard_normal((3, 4, 2, 2)))


def test_flatten_gradients_match_central_differences():
    _check_layer_gradients(Flatten(), _rng(4).standard_normal((3, 2, 3, 4)))


def test_dropout_gradients_match_central_differences_for_a_fixed_mask():
    x = _rng(0).standard_normal((4, 3, 5, 5))
    dy = _rng(1).standard_normal(x.shape)
    layer = Dropout(0.4, seed=7)
    layer.forward(x, training=True)
    dx = layer.backward(dy)
    # the same seed draws the same mask: a fresh layer per evaluation fixes the function
    numeric = numerical_vjp(lambda v: Dropout(0.4, seed=7).forward(v, training=True), [x], dy, 0)
    assert rel_error(dx, numeric) < GRAD_TOL


# ---------------------------------------------------------------------------------------------
# Values


def test_conv2d_forward_is_the_kernel_followed_by_the_activation():
    layer = Conv2D(filters=4, kernel_size=(3, 3), strides=1, padding="same", activation="relu")
    x = _rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    y = layer.forward(x)
    expected = relu(conv2d(x, layer.kernel.data, layer.bias.data, padding="same"))
    np.testing.assert_array_equal(y, expected)
    z = conv2d(x, layer.kernel.data, layer.bias.data, padding="same")
    np.testing.assert_array_equal(layer.pre_activation, z)
    assert y.dtype == np.float32 and layer.kernel.shape == (4, 3, 3, 3)
    assert layer.output_shape == (4, 6, 6)


def test_dense_forward_is_affine_then_activation_with_keras_kernel_layout():
    layer = Dense(3, activation="softmax")
    x = _rng(0).standard_normal((5, 4))
    layer.build((4,), rng=0, dtype="float64")
    layer.bias.data[...] = [0.5, -1.0, 2.0]
    expected = softmax(x @ layer.kernel.data + layer.bias.data)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12)
    assert layer.kernel.shape == (4, 3)


def test_pooling_layers_match_the_kernels_with_keras_default_strides():
    x = _rng(0).standard_normal((2, 3, 8, 8))
    np.testing.assert_array_equal(MaxPooling2D(pool_size=(2, 2)).forward(x), max_pool2d(x, 2, 2))
    np.testing.assert_array_equal(
        AveragePooling2D(pool_size=3, strides=1, padding="same").forward(x),
        avg_pool2d(x, 3, 1, "same"),
    )
    assert MaxPooling2D(pool_size=(2, 2)).compute_output_shape((3, 8, 8)) == (3, 4, 4)
    assert MaxPooling2D(pool_size=3, padding="same").compute_output_shape((3, 8, 8)) == (3, 3, 3)


def test_softmax_activation_normalises_the_channel_axis_of_images():
    y = Activation("softmax").forward(_rng(0).standard_normal((2, 5, 3, 3)))
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-12)


def test_flatten_is_channel_major_and_copies_nothing():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    layer = Flatten()
    y = layer.forward(x)
    assert y.shape == (2, 12) and np.shares_memory(x, y)
    np.testing.assert_array_equal(y[0, 4:8], x[0, 1].ravel())
    dy = np.ones((2, 12))
    assert layer.backward(dy).shape == (2, 3, 2, 2)


def test_dropout_is_inverted_and_active_only_in_training():
    x = np.ones((200, 50), dtype=np.float32)
    layer = Dropout(0.25, seed=0)
    identity = layer.forward(x)  # inference: the identity, no copy, but read-only
    assert np.shares_memory(identity, x) and not identity.flags.writeable
    np.testing.assert_array_equal(identity, x)
    y = layer.forward(x, training=True)
    assert set(np.unique(y).tolist()) == {0.0, np.float32(1 / 0.75)}
    assert abs(np.mean(y == 0) - 0.25) < 0.01
    assert abs(y.mean() - 1.0) < 0.02  # E[y] = x
    dy = _rng(1).standard_normal(x.shape).astype(np.float32)
    np.testing.assert_array_equal(layer.backward(dy), dy * layer.mask)
    again = Dropout(0.25, seed=0).forward(x, training=True)
    np.testing.assert_array_equal(again, y)  # a seeded mask is reproducible


# ---------------------------------------------------------------------------------------------
# Building, dtype, initializers


def test_lazy_build_takes_the_shape_and_dtype_of_the_first_input():
    layer = Conv2D(2, 3)
    assert not layer.built and layer.params == []
    layer.forward(np.zeros((1, 3, 5, 5)))
    assert layer.built and layer.input_shape == (3, 5, 5) and layer.output_shape == (2, 3, 3)
    assert layer.dtype == np.float64 and layer.kernel.data.dtype == np.float64
    layer32 = Dense(2)
    assert layer32.forward(np.zeros((1, 3), dtype=np.float32)).dtype == np.float32


def test_a_built_layer_casts_its_input_to_its_dtype():
    layer = Dense(2)
    layer.build((3,), rng=0)  # float32 by default
    assert layer.forward(np.ones((4, 3))).dtype == np.float32
    assert layer.forward(np.ones((4, 3), dtype=np.int64)).dtype == np.float32


def test_build_is_reproducible_from_a_seed_and_follows_glorot_uniform():
    first, second = Conv2D(16, (3, 3)), Conv2D(16, (3, 3))
    first.build((8, 10, 10), rng=np.random.default_rng(3))
    second.build((8, 10, 10), rng=np.random.default_rng(3))
    np.testing.assert_array_equal(first.kernel.data, second.kernel.data)
    np.testing.assert_array_equal(first.bias.data, np.zeros(16))
    limit = np.sqrt(6 / (8 * 9 + 16 * 9))
    w = first.kernel.data
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    assert abs(w.std() - limit / np.sqrt(3)) < 0.05 * limit  # the std of U(-a, a)


@pytest.mark.parametrize(
    "name, expected_std",
    [("he_normal", np.sqrt(2 / 400)), ("he_uniform", np.sqrt(2 / 400)),
     ("glorot_normal", np.sqrt(2 / 700)), ("glorot_uniform", np.sqrt(2 / 700))],
)
def test_initializers_have_the_variance_of_their_formula(name, expected_std):
    w = initialize(name, (400, 300), 400, 300, _rng(0))
    assert w.dtype == np.float32
    assert abs(w.std() - expected_std) < 0.02 * expected_std


def test_input_shape_argument_must_agree_with_the_build():
    layer = Dense(3, input_shape=(4,))
    assert layer.input_shape == (4,)
    with pytest.raises(ValueError, match=r"Dense layer 'dense'.*input_shape=\(4,\).*\(5,\)"):
        layer.build((5,))


def test_conv_and_pool_layers_take_other_image_sizes_once_built():
    layer = Conv2D(2, 3, padding="same")
    layer.build((1, 8, 8), rng=0)
    assert layer.forward(np.zeros((1, 1, 12, 10), dtype=np.float32)).shape == (1, 2, 12, 10)
    with pytest.raises(ValueError, match=r"Conv2D layer 'conv2d'.*1 input channels"):
        layer.forward(np.zeros((1, 3, 8, 8)))


def test_get_config_round_trips_through_serialize():
    layers = [
        Conv2D(4, (3, 2), strides=2, padding=(1, 0), dilation_rate=1, activation="tanh",
               use_bias=False, kernel_initializer="he_uniform", input_shape=(1, 8, 8), name="c"),
        MaxPooling2D(pool_size=3, strides=1, padding="same"),
        AveragePooling2D(),
        Flatten(),
        Dense(5, activation="relu", bias_initializer="zeros"),
        Activation("softmax"),
        Dropout(0.3, seed=4),
    ]
    for layer in layers:
        copy = deserialize(serialize(layer))
        assert type(copy) is type(layer) and copy.get_config() == layer.get_config()
    assert Activation("linear").activation is None


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: Conv2D(8, 3, activation="relu6"), ValueError, ["Conv2D", "relu6"]),
        (lambda: Dense(8, activation="gelu"), ValueError, ["Dense", "gelu", "'relu'"]),
        (lambda: Activation("swish"), ValueError, ["Activation", "swish"]),
        (lambda: Dense(8, activation=3), TypeError, ["activation"]),
        (lambda: Conv2D(0, 3), ValueError, ["Conv2D", "filters", "0"]),
        (lambda: Conv2D(8, (3, 3, 3)), ValueError, ["Conv2D", "kernel_size"]),
        (lambda: Conv2D(8, 3, padding="full"), ValueError, ["Conv2D", "padding", "full"]),
        (lambda: Conv2D(8, 3, strides=0), ValueError, ["Conv2D", "strides"]),
        (lambda: Conv2D(8, 3, kernel_initializer="orthogonal"), ValueError, ["kernel_initializer"]),
        (lambda: Conv2D(8, 3, use_bias="yes"), TypeError, ["use_bias"]),
        (lambda: Dense(2.5), TypeError, ["Dense", "units"]),
        (lambda: MaxPooling2D(pool_size=0), ValueError, ["MaxPooling2D", "pool_size"]),
        (lambda: Dropout(1.0), ValueError, ["Dropout", "rate"]),
        (lambda: Dense(2, input_shape=(0,)), ValueError, ["input_shape"]),
    ],
)
def test_bad_constructor_arguments_name_the_layer_and_the_argument(make, error, words):
    with pytest.raises(error) as info:
        make()
    for word in words:
        assert word in str(info.value)


def test_an_input_the_layer_cannot_take_is_an_error_naming_the_layer():
    with pytest.raises(ValueError, match=r"Dense layer 'dense'.*\(None, 1, 8, 8\).*Flatten"):
        Dense(10).forward(np.zeros((2, 1, 8, 8)))
    with pytest.raises(ValueError, match=r"Conv2D layer 'conv2d'.*kernel height 5.*3"):
        Conv2D(2, 5).forward(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"Conv2D layer 'conv2d'.*\(None, channels, height"):
        Conv2D(2, 3).forward(np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match=r"MaxPooling2D layer 'max_pooling2d'.*pool_size"):
        MaxPooling2D(pool_size=4).forward(np.zeros((1, 1, 3, 3)))
    built = Dense(3)
    built.build((4,), rng=0)
    with pytest.raises(ValueError, match=r"Dense layer 'dense'.*4 input features"):
        built.forward(np.zeros((2, 5)))
    with pytest.raises(TypeError, match=r"Dense layer 'dense'.*complex"):
        built.forward(np.zeros((2, 4), dtype=complex))


def test_backward_checks_its_state_and_dy():
    layer = Dense(3)
    with pytest.raises(RuntimeError, match="forward"):
        layer.backward(np.zeros((2, 3)))
    layer.forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"dy.*\(2, 3\).*\(2, 4\)"):
        layer.backward(np.zeros((2, 4)))


def test_set_weights_checks_count_and_shapes():
    layer = Dense(3)
    layer.build((2,), rng=0)
    with pytest.raises(ValueError, match="2 arrays"):
        layer.set_weights([np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        layer.set_weights([np.zeros((3, 2)), np.zeros(3)])
    layer.set_weights([np.ones((2, 3)), np.arange(3.0)])
    np.testing.assert_array_equal(layer.get_weights()[1], [0, 1, 2])


def test_deserialize_rejects_unknown_classes():
    with pytest.raises(ValueError, match="LSTM"):
        deserialize({"class_name": "LSTM", "config": {}})
    with pytest.raises(TypeError):
        serialize(Layer())


# ---------------------------------------------------------------------------------------------
# The public methods a model uses: reset, name, has_default_name, input_shape_argument


def test_reset_forgets_weights_and_caches_but_keeps_the_input_shape_argument():
    layer = Conv2D(2, 3, input_shape=(1, 5, 5))
    layer.forward(np.ones((1, 1, 5, 5), dtype=np.float32))
    assert layer.built and layer.inputs is not None and len(layer.params) == 2
    layer.reset()
    assert not layer.built and layer.params == [] and layer.kernel is None
    assert layer.inputs is None and layer.pre_activation is None
    assert layer.input_shape == (1, 5, 5) and layer.output_shape is None and layer.dtype is None
    with pytest.raises(RuntimeError, match="forward"):
        layer.backward(np.zeros((1, 2, 3, 3)))
    layer.build((1, 5, 5), rng=0)
    fresh = Conv2D(2, 3)
    fresh.build((1, 5, 5), rng=0)
    np.testing.assert_array_equal(layer.kernel.data, fresh.kernel.data)
    dropout = Dropout(0.5, seed=1)
    dropout.forward(np.ones((2, 3)), training=True)
    dropout.reset()
    assert dropout.mask is None and dropout.batch_input_shape is None


def test_name_can_be_set_and_returned_to_the_default():
    layer = Dense(2)
    assert layer.name == "dense" and layer.has_default_name
    layer.name = "logits"
    assert layer.name == "logits" and not layer.has_default_name
    assert layer.get_config()["name"] == "logits" and "'logits'" in layer.where
    layer.name = None
    assert layer.name == "dense" and layer.has_default_name
    assert not Dense(2, name="dense").has_default_name  # given, even if equal to the default
    for bad in ("", 3):
        with pytest.raises(TypeError, match="name: needs a non-empty string"):
            layer.name = bad


def test_input_shape_argument_is_what_the_constructor_got_and_survives_building():
    layer = Dense(3, input_shape=[4])
    assert layer.input_shape_argument == (4,)
    unshaped = Dense(3)
    unshaped.build((6,), rng=0)
    assert unshaped.input_shape == (6,) and unshaped.input_shape_argument is None


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: Conv2D(8, 3, use_bias="yes"), TypeError,
         "Conv2D layer 'conv2d': use_bias: needs True or False, got 'yes'"),
        (lambda: Dropout("0.5"), TypeError,
         "Dropout layer 'dropout': rate: needs a real number in [0, 1), got '0.5'"),
        (lambda: Dropout(-0.1), ValueError,
         "Dropout layer 'dropout': rate: needs a number in [0, 1), got -0.1"),
        (lambda: Dropout(0.5, seed=-1), ValueError,
         "Dropout layer 'dropout': seed: needs a non-negative integer, got -1"),
        (lambda: Dropout(0.5, seed=1.5), TypeError,
         "Dropout layer 'dropout': seed: needs a non-negative integer, got 1.5"),
        (lambda: Dense(0), ValueError, "Dense layer 'dense': units: needs a positive integer, got 0"),
    ],
)
def test_shared_checks_give_one_message_style(make, error, message):
    with pytest.raises(error) as info:
        make()
    assert str(info.value) == message


def test_a_kernel_larger_than_the_padded_input_names_the_dilation_and_the_shapes():
    layer = Conv2D(2, 3, dilation_rate=(1, 3), padding=1)
    with pytest.raises(ValueError) as info:
        layer.forward(np.zeros((1, 1, 5, 4)))
    assert str(info.value) == (
        "Conv2D layer 'conv2d': kernel width 3 (dilated to 7) is larger than the padded input "
        "width 6 (input shape (None, 1, 5, 4), padding 1)"
    )
    assert not layer.built
