"""Bad input to the layers: every argument of every public layer class is checked before any
work, in one sentence naming it; flags are real booleans; a rejected call changes nothing; no
result of forward or backward is a writable alias of an argument, and backward depends only on
what forward saw."""

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from dlbook.layers import (
    Activation,
    AveragePooling2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Input,
    MaxPooling2D,
    ZeroPadding2D,
    deserialize,
    initialize,
    serialize,
)

from bad_input_checks import assert_table_error

RNG = np.random.default_rng


def built(layer, input_shape, seed=0, dtype="float64"):
    layer.build(input_shape, rng=seed, dtype=dtype)
    return layer


def forwarded(layer, x):
    layer.forward(x)
    return layer


def dense():
    return built(Dense(3), (4,))


X4 = np.ones((2, 4))
IMAGES = np.ones((2, 1, 6, 6))

# Every public layer class, with an input batch it takes (float64, so nothing is cast).
LAYERS = {
    "Dense": (lambda: Dense(3, activation="tanh"), (5,)),
    "Dense-linear": (lambda: Dense(3), (5,)),
    "Conv2D": (lambda: Conv2D(2, 3, padding="same", activation="relu"), (1, 6, 6)),
    "Conv2D-linear": (lambda: Conv2D(2, (1, 1)), (2, 4, 4)),
    "MaxPooling2D": (lambda: MaxPooling2D(2), (2, 6, 6)),
    "AveragePooling2D": (lambda: AveragePooling2D(3, strides=1, padding="same"), (2, 5, 5)),
    "Flatten": (lambda: Flatten(), (2, 3, 3)),
    "Activation-relu": (lambda: Activation("relu"), (3, 4)),
    "Activation-softmax": (lambda: Activation("softmax"), (3, 4)),
    "Activation-linear": (lambda: Activation("linear"), (3, 4)),
    "Dropout": (lambda: Dropout(0.5, seed=0), (3, 4)),
    "ZeroPadding2D": (lambda: ZeroPadding2D(((1, 2), (0, 1))), (2, 4, 5)),
    "Conv2D-explicit-padding": (lambda: Conv2D(2, 3, padding=((1, 0), (2, 1))), (1, 5, 5)),
    "MaxPooling2D-explicit-padding": (lambda: MaxPooling2D(3, 2, padding=((0, 2), (1, 0))),
                                      (2, 5, 6)),
}


def _batch(input_shape, seed=0):
    return RNG(seed).standard_normal((3, *input_shape))


# ---------------------------------------------------------------------------------------------
# Kind 6: every argument is what it says, or one sentence naming it


BAD_CALLS = [
    # constructors
    (lambda: Conv2D("8", 3), TypeError, "filters", ["'8'"]),
    (lambda: Conv2D(8, 1.5), TypeError, "kernel_size", ["1.5"]),
    (lambda: Conv2D(8, 3, strides=1.5), TypeError, "strides", ["1.5"]),
    (lambda: Conv2D(8, 3, dilation_rate=0), ValueError, "dilation_rate", ["0"]),
    (lambda: Conv2D(8, 3, padding=-1), ValueError, "padding", ["-1"]),
    (lambda: Conv2D(8, 3, padding=1.5), TypeError, "padding", ["1.5"]),
    (lambda: Conv2D(8, 3, use_bias=1), TypeError, "use_bias", ["True or False"]),
    (lambda: Conv2D(8, 3, bias_initializer=None), ValueError, "bias_initializer", ["None"]),
    (lambda: Conv2D(8, 3, input_shape=(1, 0, 8)), ValueError, "input_shape", ["(1, 0, 8)"]),
    (lambda: Conv2D(8, 3, name=3), TypeError, "name", ["3"]),
    (lambda: Dense(0), ValueError, "units", ["positive", "0"]),
    (lambda: Dense(True), TypeError, "units", ["True"]),
    (lambda: Dense(3, use_bias="False"), TypeError, "use_bias", ["'False'"]),
    (lambda: Dense(3, activation=len), TypeError, "activation", ["'relu'"]),
    (lambda: Dense(3, kernel_initializer=3), ValueError, "kernel_initializer", ["3"]),
    (lambda: Dense(3, input_shape="4"), TypeError, "input_shape", ["'4'"]),
    (lambda: Dense(3, name=""), TypeError, "name", ["non-empty"]),
    (lambda: MaxPooling2D(pool_size=2.0), TypeError, "pool_size", ["2.0"]),
    (lambda: MaxPooling2D(strides=0), ValueError, "strides", ["0"]),
    (lambda: MaxPooling2D(padding="full"), ValueError, "padding", ["'full'"]),
    (lambda: Conv2D(8, 3, padding=((1, 2), (0, -1))), ValueError, "padding", ["-1"]),
    (lambda: Conv2D(8, 3, padding=((1, 2), (0, 1), (0, 0))), ValueError, "padding",
     ["two pairs"]),
    (lambda: Conv2D(8, 3, padding=((1, 2), 1)), ValueError, "padding", ["two pairs"]),
    (lambda: MaxPooling2D(padding=((1, 2.0), (0, 0))), TypeError, "padding", ["2.0"]),
    (lambda: MaxPooling2D(3, padding=((0, 3), (0, 0))).build((1, 8, 8)), ValueError,
     "padding", ["pads the height by 3", "smaller than pool_size 3"]),
    (lambda: AveragePooling2D(2, padding=((0, 0), (2, 1))).build((1, 8, 8)), ValueError,
     "padding", ["pads the width by 2", "smaller than pool_size 2"]),
    (lambda: ZeroPadding2D("same"), TypeError, "padding", ["'same'", "ZeroPadding2D layer"]),
    (lambda: ZeroPadding2D(-1), ValueError, "padding", ["-1"]),
    (lambda: ZeroPadding2D((1, 1.5)), TypeError, "padding", ["1.5"]),
    (lambda: ZeroPadding2D(((1, 2), (0,))), ValueError, "padding", ["two pairs"]),
    (lambda: ZeroPadding2D((1, (0, 1))), ValueError, "padding", ["two pairs"]),
    (lambda: ZeroPadding2D((1, 2, 3)), ValueError, "padding", ["(1, 2, 3)"]),
    (lambda: ZeroPadding2D(1, input_shape=(0, 4, 4)), ValueError, "input_shape", ["(0, 4, 4)"]),
    (lambda: ZeroPadding2D(1).build((4, 4)), ValueError, "input shape",
     ["(None, 4, 4)", "channels, height, width"]),
    (lambda: forwarded(ZeroPadding2D(1), IMAGES).backward(np.zeros((2, 1, 8, 7))), ValueError,
     "dy", ["(2, 1, 8, 8)", "(2, 1, 8, 7)"]),
    (lambda: Input(3), TypeError, "shape", ["Input", "3"]),
    (lambda: Input(shape=(1, 0, 8)), ValueError, "shape", ["Input", "(1, 0, 8)"]),
    (lambda: Input(shape=(1, 8.0, 8)), TypeError, "shape", ["Input", "8.0"]),
    (lambda: Input(shape=(None, 1, 8, 8)), TypeError, "shape", ["Input", "None"]),
    (lambda: Input(shape=()), TypeError, "shape", ["Input", "()"]),
    (lambda: AveragePooling2D(pool_size=(2,)), ValueError, "pool_size", ["(2,)"]),
    (lambda: AveragePooling2D(strides=(1, "a")), TypeError, "strides", ["'a'"]),
    (lambda: Flatten(input_shape=(0, 3)), ValueError, "input_shape", ["(0, 3)"]),
    (lambda: Activation(3), TypeError, "activation", ["3"]),
    (lambda: Activation("gelu"), ValueError, "activation", ["'gelu'"]),
    (lambda: Dropout("0.5"), TypeError, "rate", ["'0.5'"]),
    (lambda: Dropout(True), TypeError, "rate", ["True"]),
    (lambda: Dropout(-0.1), ValueError, "rate", ["-0.1"]),
    (lambda: Dropout(0.5, seed=-1), ValueError, "seed", ["-1"]),
    (lambda: Dropout(0.5, seed=1.5), TypeError, "seed", ["1.5"]),
    # build
    (lambda: Dense(3).build((4,), rng="abc"), TypeError, "rng", ["'abc'", "Generator"]),
    (lambda: Dense(3).build((4,), rng=-1), ValueError, "rng", ["-1"]),
    (lambda: Dense(3).build((4,), rng=True), TypeError, "rng", ["True"]),
    (lambda: Dense(3).build((4,), rng=[1]), TypeError, "rng", ["[1]"]),
    (lambda: Conv2D(2, 3).build((1, 8, 8), rng=np.random.default_rng), TypeError, "rng", []),
    (lambda: MaxPooling2D().build((1, 8, 8), rng=2.5), TypeError, "rng", ["2.5"]),
    (lambda: Dense(3).build((4,), dtype="float16"), ValueError, "dtype", ["float16"]),
    (lambda: Dense(3).build((4,), dtype=3), TypeError, "dtype", ["3"]),
    (lambda: Dense(3).build("4"), TypeError, "input_shape", ["'4'"]),
    (lambda: Dense(3).build((4, 2)), ValueError, "input shape", ["(None, 4, 2)", "Flatten"]),
    (lambda: Conv2D(2, 3, input_shape=(1, 8, 8)).build((1, 9, 9)), ValueError, "input_shape",
     ["(1, 8, 8)", "(1, 9, 9)"]),
    (lambda: Dense(3).check_build((4,), rng="abc"), TypeError, "rng", ["'abc'"]),
    # forward
    (lambda: Dense(3).forward(X4, training="False"), TypeError, "training", ["'False'"]),
    (lambda: Dense(3).forward([[1.0, 2.0], [3.0]]), ValueError, "x", ["rectangular", "list"]),
    (lambda: Dense(3).forward(np.zeros((0, 4))), ValueError, "x", ["N >= 1", "(0, 4)"]),
    (lambda: Dense(3).forward(np.zeros(4)), ValueError, "x", ["(4,)"]),
    (lambda: Dense(3).forward("abc"), TypeError, "x", ["<U3"]),
    (lambda: Dense(3).forward(X4.astype(np.float16)), TypeError, "x", ["float16"]),
    (lambda: Flatten().forward([[[1.0]], [[1.0, 2.0]]]), ValueError, "x", ["rectangular"]),
    # backward
    (lambda: forwarded(dense(), X4).backward([[1.0], [2.0, 3.0]]), ValueError, "dy",
     ["rectangular"]),
    (lambda: forwarded(dense(), X4).backward(np.zeros((2, 4))), ValueError, "dy",
     ["(2, 3)", "(2, 4)"]),
    (lambda: forwarded(dense(), X4).backward(np.zeros((2, 3), complex)), TypeError, "dy",
     ["complex"]),
    (lambda: forwarded(Flatten(), IMAGES).backward(np.zeros((2, 35))), ValueError, "dy",
     ["(2, 36)"]),
    (lambda: forwarded(MaxPooling2D(), IMAGES).backward("a"), TypeError, "dy", ["<U1"]),
    # set_weights, extra state, config
    (lambda: dense().set_weights(np.zeros((4, 3))), TypeError, "weights", ["list", "ndarray"]),
    (lambda: dense().set_weights(5), TypeError, "weights", ["int"]),
    (lambda: dense().set_weights([np.zeros((4, 3))]), ValueError, "weights", ["2 arrays", "1"]),
    (lambda: dense().set_weights([np.zeros((4, 3)), "abc"]), TypeError, "weights[1]", ["<U3"]),
    (lambda: dense().set_weights([np.zeros((4, 3)), [[1.0], [2.0, 3.0]]]), ValueError,
     "weights[1]", ["rectangular"]),
    (lambda: dense().set_weights([np.zeros((4, 3), complex), np.zeros(3)]), TypeError,
     "weights[0]", ["complex"]),
    (lambda: dense().set_weights([np.zeros((3, 4)), np.zeros(3)]), ValueError, "weights[0]",
     ["(4, 3)", "(3, 4)"]),
    (lambda: Dropout(0.5).set_extra_state(5), TypeError, "state", ["dict", "int"]),
    (lambda: Dropout(0.5).set_extra_state({"x": 1}), ValueError, "state", ["'x'"]),
    (lambda: Dense(3).set_extra_state([1]), TypeError, "state", ["list"]),
    (lambda: Dense.from_config([3]), TypeError, "config", ["list"]),
    (lambda: deserialize({"class_name": "Dense", "config": [3]}), ValueError, "spec", []),
    (lambda: serialize("Dense(3)"), TypeError, "layer", ["str"]),
    # initialize
    (lambda: initialize("zeros", (-1, 3), 1, 1, RNG(0)), ValueError, "shape", ["-1"]),
    (lambda: initialize("zeros", 3, 1, 1, RNG(0)), TypeError, "shape", ["3"]),
    (lambda: initialize("zeros", (3,), 0, 1, RNG(0)), ValueError, "fan_in", ["0"]),
    (lambda: initialize("zeros", (3,), 1, 1.5, RNG(0)), TypeError, "fan_out", ["1.5"]),
    (lambda: initialize("zeros", (3,), 1, 1, 0), TypeError, "rng", ["Generator", "0"]),
    (lambda: initialize("zeros", (3,), 1, 1, RNG(0), "float16"), ValueError, "dtype",
     ["float16"]),
    (lambda: initialize("ones", (3,), 1, 1, RNG(0)), ValueError, "name", ["'ones'"]),
]


@pytest.mark.parametrize("call, error, argument, words", BAD_CALLS)
def test_a_bad_argument_gets_one_sentence_naming_it(call, error, argument, words):
    with pytest.raises(error) as info:
        call()
    assert_table_error(info.value, error, argument, words)


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("training", ["False", "True", 0, 1, None, 0.0, [False]])
def test_training_must_be_a_real_bool_for_every_layer(name, training):
    make, input_shape = LAYERS[name]
    layer = make()
    x = _batch(input_shape)
    with pytest.raises(TypeError) as info:
        layer.forward(x, training=training)
    assert str(info.value).startswith(f"{layer.where}: training: needs True or False")
    assert not layer.built  # nothing was built from the rejected call
    with pytest.raises(TypeError, match="training"):
        layer(x, training=training)


def test_a_string_false_no_longer_drops():
    layer = Dropout(0.5, seed=0)
    x = np.ones((4, 10))
    with pytest.raises(TypeError, match="training"):
        layer.forward(x, training="False")
    np.testing.assert_array_equal(layer.forward(x, training=np.False_), x)
    assert np.count_nonzero(layer.forward(x, training=np.True_) == 0) > 0


# ---------------------------------------------------------------------------------------------
# Kind 11: a rejected call changes nothing


def _snapshot(layer):
    return (layer.built, layer.input_shape, layer.output_shape, layer.dtype,
            [p for p in layer.params], [w.copy() for w in layer.get_weights()])


def _assert_same(before, after):
    assert before[:4] == after[:4]
    assert len(before[4]) == len(after[4]) and all(a is b for a, b in zip(before[4], after[4]))
    for a, b in zip(before[5], after[5]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "call",
    [
        lambda layer: layer.build((4,), rng="abc"),
        lambda layer: layer.build((4,), rng=-3),
        lambda layer: layer.build((4,), dtype="float16"),
        lambda layer: layer.build((5, 1)),
        lambda layer: layer.set_weights([np.ones((4, 3)), np.ones(3, complex)]),
        lambda layer: layer.set_weights([np.ones((4, 3)), np.ones(4)]),
        lambda layer: layer.set_weights((np.ones((4, 3)),)),
        lambda layer: layer.forward(np.ones((2, 4)), training="yes"),
        lambda layer: layer.forward(np.ones((2, 5))),
    ],
)
def test_a_rejected_call_leaves_a_built_layer_as_it_was(call):
    layer = dense()
    before = _snapshot(layer)
    with pytest.raises((TypeError, ValueError)):
        call(layer)
    _assert_same(before, _snapshot(layer))


@pytest.mark.parametrize(
    "make, call",
    [
        (lambda: Dense(3), lambda layer: layer.build((4,), rng="abc")),
        (lambda: Conv2D(2, 3), lambda layer: layer.build((1, 8, 8), rng=1.5)),
        (lambda: Conv2D(2, 5), lambda layer: layer.forward(np.ones((1, 1, 3, 3)))),
        (lambda: Dropout(0.5), lambda layer: layer.forward(np.ones((1, 3)), training="no")),
        (lambda: MaxPooling2D(4), lambda layer: layer.build((1, 3, 3))),
    ],
)
def test_a_rejected_build_leaves_an_unbuilt_layer_unbuilt(make, call):
    layer = make()
    with pytest.raises((TypeError, ValueError)):
        call(layer)
    assert not layer.built and layer.params == [] and layer.output_shape is None


def test_a_reset_dropout_draws_the_masks_of_a_fresh_one():
    x = np.ones((3, 8))
    used = Dropout(0.5, seed=7)
    used.build((8,), rng=0)
    used.forward(x, training=True)
    used.reset()
    used.build((8,), rng=0)
    fresh = Dropout(0.5, seed=7)
    fresh.build((8,), rng=0)
    np.testing.assert_array_equal(used.forward(x, training=True), fresh.forward(x, training=True))


# ---------------------------------------------------------------------------------------------
# Kind 7: no writable alias of an argument; backward depends only on what forward saw


def _read_only(array):
    array = np.array(array)
    array.setflags(write=False)
    return array


def _no_writable_alias(result, argument):
    return not np.shares_memory(result, argument) or not result.flags.writeable


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("read_only", [False, True])
def test_no_result_is_a_writable_alias_of_an_argument(name, training, read_only):
    make, input_shape = LAYERS[name]
    layer = built(make(), input_shape)
    x = _batch(input_shape)
    x = _read_only(x) if read_only else x
    y = layer.forward(x, training=training)
    assert y is not x and _no_writable_alias(y, x)
    dy = RNG(1).standard_normal(y.shape)
    dy = _read_only(dy) if read_only else dy
    dx = layer.backward(dy)
    assert dx is not dy and _no_writable_alias(dx, dy) and _no_writable_alias(dx, x)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_changing_the_input_after_forward_does_not_change_the_gradients(name):
    make, input_shape = LAYERS[name]
    x = _batch(input_shape)
    dy = None
    results = []
    for change in (False, True):
        layer = built(make(), input_shape)
        batch = x.copy()
        y = layer.forward(batch, training=True)
        if dy is None:
            dy = RNG(2).standard_normal(y.shape)
        if change:
            batch[...] = RNG(3).standard_normal(batch.shape) * 10
        dx = np.array(layer.backward(dy))
        results.append([dx, *(p.grad.copy() for p in layer.params)])
    for unchanged, changed in zip(*results):
        np.testing.assert_array_equal(unchanged, changed)


def test_changing_dy_after_backward_does_not_change_what_backward_returned():
    layer = built(Activation("linear"), (3,))
    layer.forward(np.ones((2, 3)))
    dy = np.ones((2, 3))
    dx = layer.backward(dy)
    assert not dx.flags.writeable
    with pytest.raises(ValueError):
        dx[0, 0] = 5.0  # a read-only view: the caller's dy cannot be changed through it


def test_activation_linear_returns_a_read_only_view_not_its_input():
    x = np.arange(6.0).reshape(2, 3)
    y = Activation("linear").forward(x)
    assert y is not x and not y.flags.writeable and np.shares_memory(x, y)
    np.testing.assert_array_equal(y, x)


def test_flatten_backward_is_a_read_only_view_of_dy():
    layer = Flatten()
    layer.forward(np.zeros((2, 3, 2, 2)))
    dy = np.arange(24.0).reshape(2, 12)
    dx = layer.backward(dy)
    assert np.shares_memory(dx, dy) and not dx.flags.writeable and dx.shape == (2, 3, 2, 2)
    np.testing.assert_array_equal(dx.reshape(2, 12), dy)


# ---------------------------------------------------------------------------------------------
# Valid and invalid constructor arguments mixed (hypothesis)

INT_CHOICES = [1, 2, 3]
BAD_INTS = [0, -1, 2.5, True, "2"]


def _mixed(good, wrong):
    """``(value, True)`` from ``good`` five times in six, else ``(value, False)`` from
    ``wrong``: most draws are valid, so every argument is also seen wrong next to valid ones."""
    return st.integers(0, 5).flatmap(
        lambda i: wrong.map(lambda v: (v, False)) if i == 5 else good.map(lambda v: (v, True))
    )


def _int_or_pair():
    good = st.one_of(st.sampled_from(INT_CHOICES),
                     st.tuples(st.sampled_from(INT_CHOICES), st.sampled_from(INT_CHOICES)))
    wrong = st.one_of(st.sampled_from(BAD_INTS), st.just((2, 2, 2)),
                      st.tuples(st.sampled_from(INT_CHOICES), st.sampled_from(BAD_INTS)))
    return _mixed(good, wrong)


PADDINGS = _mixed(st.sampled_from(["valid", "same", "SAME", 0, 1, (0, 1), (2, 1)]),
                  st.sampled_from([-1, "full", 1.5, (1, -1), (1, 2, 3), True]))


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _expected_size(size, kernel, stride, dilation, padding):
    """Output length and total padding along one axis, from the Keras / PyTorch formulas."""
    effective = dilation * (kernel - 1) + 1
    if isinstance(padding, str) and padding.lower() == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + effective - size, 0)
        return out, total, (total - total // 2)
    pad = 0 if isinstance(padding, str) else padding
    if effective > size + 2 * pad:
        return None, 2 * pad, pad
    return (size + 2 * pad - effective) // stride + 1, 2 * pad, pad


@settings(max_examples=150, deadline=None)
@given(
    filters=_mixed(st.sampled_from([1, 4]), st.sampled_from([*BAD_INTS, None])),
    kernel=_int_or_pair(), strides=_int_or_pair(), dilation=_int_or_pair(), padding=PADDINGS,
    use_bias=_mixed(st.booleans(), st.sampled_from(["False", 1, None])),
    height=st.integers(1, 9), width=st.integers(1, 9),
)
def test_conv2d_mixed_arguments_build_to_the_formula_or_name_the_bad_one(
        filters, kernel, strides, dilation, padding, use_bias, height, width):
    arguments = {"filters": filters, "kernel_size": kernel, "strides": strides,
                 "dilation_rate": dilation, "padding": padding, "use_bias": use_bias}
    bad = [name for name, (_, ok) in arguments.items() if not ok]
    values = {name: value for name, (value, _) in arguments.items()}
    if bad:
        with pytest.raises((TypeError, ValueError)) as info:
            Conv2D(**values)
        assert any(name in str(info.value) for name in bad), (bad, str(info.value))
        event("invalid argument")
        return
    layer = Conv2D(**values)
    axes = []
    for axis, size in enumerate((height, width)):
        pad = _pair(values["padding"])[axis] if not isinstance(values["padding"], str) \
            else values["padding"]
        axes.append(_expected_size(size, _pair(values["kernel_size"])[axis],
                                   _pair(values["strides"])[axis],
                                   _pair(values["dilation_rate"])[axis], pad))
    if any(out is None for out, _, _ in axes):
        with pytest.raises(ValueError, match="kernel"):
            layer.build((2, height, width), rng=0)
        assert not layer.built
        event("kernel larger than the padded input")
        return
    event("built")
    layer.build((2, height, width), rng=0)
    expected = (values["filters"], axes[0][0], axes[1][0])
    assert layer.output_shape == expected
    y = layer.forward(np.ones((1, 2, height, width)))
    assert y.shape == (1, *expected)
    assert len(layer.params) == (2 if values["use_bias"] else 1)


@settings(max_examples=150, deadline=None)
@given(
    cls=st.sampled_from([MaxPooling2D, AveragePooling2D]),
    pool=_int_or_pair(),
    strides=st.one_of(st.just((None, True)), _int_or_pair()),
    padding=PADDINGS, height=st.integers(1, 9), width=st.integers(1, 9),
)
def test_pooling_mixed_arguments_build_to_the_formula_or_name_the_bad_one(
        cls, pool, strides, padding, height, width):
    arguments = {"pool_size": pool, "strides": strides, "padding": padding}
    bad = [name for name, (_, ok) in arguments.items() if not ok]
    values = {name: value for name, (value, _) in arguments.items()}
    if bad:
        with pytest.raises((TypeError, ValueError)) as info:
            cls(**values)
        assert any(name in str(info.value) for name in bad), (bad, str(info.value))
        return
    layer = cls(**values)
    window = _pair(values["pool_size"])
    step = window if values["strides"] is None else _pair(values["strides"])
    axes = []
    for axis, size in enumerate((height, width)):
        pad = _pair(values["padding"])[axis] if not isinstance(values["padding"], str) \
            else values["padding"]
        axes.append(_expected_size(size, window[axis], step[axis], 1, pad))
    too_big = any(out is None for out, _, _ in axes)
    pads_a_whole_window = any(largest >= w for (_, _, largest), w in zip(axes, window))
    if too_big or pads_a_whole_window:
        with pytest.raises(ValueError, match="pool_size|padding"):
            layer.build((3, height, width))
        assert not layer.built
        return
    layer.build((3, height, width))
    assert layer.output_shape == (3, axes[0][0], axes[1][0])
    assert layer.forward(np.ones((2, 3, height, width))).shape == (2, *layer.output_shape)


@settings(max_examples=100, deadline=None)
@given(
    units=_mixed(st.sampled_from([1, 3, 7]), st.sampled_from([*BAD_INTS, None])),
    activation=_mixed(st.sampled_from([None, "linear", "ReLU", "softmax"]),
                      st.sampled_from(["gelu", 3])),
    use_bias=_mixed(st.booleans(), st.sampled_from(["True", 0])),
    kernel_initializer=_mixed(st.sampled_from(["he_normal", "Glorot_Uniform"]),
                              st.sampled_from(["ones", None])),
    features=st.integers(1, 6),
)
def test_dense_mixed_arguments_build_to_the_formula_or_name_the_bad_one(
        units, activation, use_bias, kernel_initializer, features):
    arguments = {"units": units, "activation": activation, "use_bias": use_bias,
                 "kernel_initializer": kernel_initializer}
    bad = [name for name, (_, ok) in arguments.items() if not ok]
    values = {name: value for name, (value, _) in arguments.items()}
    if bad:
        with pytest.raises((TypeError, ValueError)) as info:
            Dense(**values)
        assert any(name in str(info.value) for name in bad), (bad, str(info.value))
        return
    layer = Dense(**values)
    layer.build((features,), rng=0)
    assert layer.output_shape == (values["units"],)
    assert layer.kernel.shape == (features, values["units"])
    assert layer.count_params() == features * values["units"] + values["units"] * values["use_bias"]
