"""Every public function of the pooling, activation and loss kernels rejects bad input with one
sentence naming the argument, rejects float16, and never returns a writable alias of an argument.
"""

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbook.functional import activations, losses, pool
from dlbook.functional.activations import (
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
    tanh,
    tanh_backward,
)
from dlbook.functional.losses import mean_squared_error, softmax_cross_entropy
from dlbook.functional.pool import (
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
    pool_geometry,
)
from dlbook.functional.reference import (
    avg_pool2d_backward_naive,
    avg_pool2d_naive,
    max_pool2d_backward_naive,
    max_pool2d_naive,
)

X = np.zeros((2, 3, 6, 6))
DY = np.zeros((2, 3, 3, 3))
Z = np.zeros((2, 3))
RAGGED = [[1.0, 2.0], [3.0]]
ELEMENTWISE = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax}
ELEMENTWISE_BACKWARD = {"relu_backward": relu_backward, "sigmoid_backward": sigmoid_backward,
                        "tanh_backward": tanh_backward, "softmax_backward": softmax_backward}
POOLING = {"max_pool2d": max_pool2d, "avg_pool2d": avg_pool2d}
POOLING_BACKWARD = {"max_pool2d_backward": max_pool2d_backward,
                    "avg_pool2d_backward": avg_pool2d_backward}


def _pool_rows(name, forward):
    return [
        (name, lambda: forward(np.zeros((6, 6)), 2), ValueError, "x", ["(6, 6)"]),
        (name, lambda: forward(RAGGED, 2), ValueError, "x", ["ragged"]),
        (name, lambda: forward(X.astype(bool), 2), TypeError, "x", ["bool"]),
        (name, lambda: forward(np.zeros((0, 3, 6, 6)), 2), ValueError, "x", ["empty"]),
        (name, lambda: forward(X, 0), ValueError, "pool_size", ["0"]),
        (name, lambda: forward(X, 2.5), TypeError, "pool_size", ["2.5"]),
        (name, lambda: forward(X, "2"), TypeError, "pool_size", ["'2'"]),
        (name, lambda: forward(X, True), TypeError, "pool_size", ["True"]),
        (name, lambda: forward(X, None), TypeError, "pool_size", ["None"]),
        (name, lambda: forward(X, (2,)), ValueError, "pool_size", ["(2,)"]),
        (name, lambda: forward(X, (2, 2, 2)), ValueError, "pool_size", ["(2, 2, 2)"]),
        (name, lambda: forward(X, 7), ValueError, "pool_size", ["7", "6"]),
        (name, lambda: forward(X, 2, stride=0), ValueError, "stride", ["0"]),
        (name, lambda: forward(X, 2, stride=(1, 0)), ValueError, "stride", ["0"]),
        (name, lambda: forward(X, 2, stride=1.5), TypeError, "stride", ["1.5"]),
        (name, lambda: forward(X, 2, stride="1"), TypeError, "stride", ["'1'"]),
        (name, lambda: forward(X, 2, padding=-1), ValueError, "padding", ["-1"]),
        (name, lambda: forward(X, 2, padding=0.5), TypeError, "padding", ["0.5"]),
        (name, lambda: forward(X, 2, padding=None), TypeError, "padding", ["None"]),
        (name, lambda: forward(X, 2, padding=True), TypeError, "padding", ["True"]),
        (name, lambda: forward(X, 2, padding="full"), ValueError, "padding", ["full"]),
        (name, lambda: forward(X, 2, padding=(1,)), ValueError, "padding", ["(1,)"]),
        (name, lambda: forward(X, 2, padding=2), ValueError, "padding", ["pool_size"]),
    ]


def _pool_backward_rows(name, backward):
    return [
        (name, lambda: backward(np.zeros((2, 3, 2, 2)), X, 2), ValueError, "dy",
         ["(2, 3, 3, 3)", "(2, 3, 2, 2)"]),
        (name, lambda: backward(None, X, 2), TypeError, "dy", ["object"]),
        (name, lambda: backward(RAGGED, X, 2), ValueError, "dy", ["ragged"]),
        (name, lambda: backward(DY.astype(complex), X, 2), TypeError, "dy", ["complex"]),
        (name, lambda: backward(DY, X[0], 2), ValueError, "x", ["(3, 6, 6)"]),
        (name, lambda: backward(DY, X, (2, 0)), ValueError, "pool_size", ["0"]),
        (name, lambda: backward(DY, X, 2, stride=-2), ValueError, "stride", ["-2"]),
        (name, lambda: backward(DY, X, 2, padding="full"), ValueError, "padding", ["full"]),
    ]


def _activation_rows():
    rows = []
    for name, forward in ELEMENTWISE.items():
        rows += [
            (name, lambda f=forward: f(None), TypeError, "x", ["object"]),
            (name, lambda f=forward: f("abc"), TypeError, "x", ["<U3"]),
            (name, lambda f=forward: f(RAGGED), ValueError, "x", ["ragged"]),
            (name, lambda f=forward: f(Z.astype(complex)), TypeError, "x", ["complex"]),
        ]
    for name, backward in ELEMENTWISE_BACKWARD.items():
        rows += [
            (name, lambda b=backward: b(np.zeros(3), Z), ValueError, "dy", ["(2, 3)", "(3,)"]),
            (name, lambda b=backward: b(Z, RAGGED), ValueError, "x", ["ragged"]),
            (name, lambda b=backward: b(Z.astype(bool), Z), TypeError, "dy", ["bool"]),
        ]
    for name, call in (("softmax", lambda axis: softmax(Z, axis=axis)),
                       ("softmax_backward", lambda axis: softmax_backward(Z, Z, axis=axis))):
        rows += [
            (name, lambda c=call: c(1.5), TypeError, "axis", ["1.5", "[-2, 2)"]),
            (name, lambda c=call: c("0"), TypeError, "axis", ["'0'"]),
            (name, lambda c=call: c(True), TypeError, "axis", ["True"]),
            (name, lambda c=call: c(None), TypeError, "axis", ["None"]),
            (name, lambda c=call: c((0, 1)), TypeError, "axis", ["(0, 1)"]),
            (name, lambda c=call: c(2), ValueError, "axis", ["2", "[-2, 2)"]),
            (name, lambda c=call: c(-3), ValueError, "axis", ["-3"]),
        ]
    rows += [
        ("softmax", lambda: softmax(np.zeros((2, 0))), ValueError, "x", ["(2, 0)", "axis 1"]),
        ("softmax", lambda: softmax(np.float64(1.0)), ValueError, "x", ["()"]),
    ]
    return rows


def _loss_rows():
    ce, mse = "softmax_cross_entropy", "mean_squared_error"
    return [
        (ce, lambda: softmax_cross_entropy(np.zeros(3), [0]), ValueError, "logits", ["(3,)"]),
        (ce, lambda: softmax_cross_entropy(np.zeros((0, 3)), []), ValueError, "logits",
         ["(0, 3)"]),
        (ce, lambda: softmax_cross_entropy(RAGGED, [0, 1]), ValueError, "logits", ["ragged"]),
        (ce, lambda: softmax_cross_entropy(Z.astype(complex), [0, 1]), TypeError, "logits",
         ["complex"]),
        (ce, lambda: softmax_cross_entropy(Z, np.array([0, 3])), ValueError, "labels",
         ["[0, 3)", "3"]),
        (ce, lambda: softmax_cross_entropy(Z, np.array([-1, 0])), ValueError, "labels", ["-1"]),
        (ce, lambda: softmax_cross_entropy(Z, np.array([0, 1, 2])), ValueError, "labels",
         ["2", "3"]),
        (ce, lambda: softmax_cross_entropy(Z, np.array([0.0, 1.0])), TypeError, "labels",
         ["integer", "float64"]),
        (ce, lambda: softmax_cross_entropy(Z, np.array([True, False])), TypeError, "labels",
         ["bool"]),
        (ce, lambda: softmax_cross_entropy(Z, None), ValueError, "labels", ["()"]),
        (ce, lambda: softmax_cross_entropy(Z, [[1, 0, 0], [1]]), ValueError, "labels",
         ["ragged"]),
        (ce, lambda: softmax_cross_entropy(Z, np.zeros((2, 3, 1))), ValueError, "labels",
         ["(2, 3, 1)"]),
        (ce, lambda: softmax_cross_entropy(Z, np.zeros((2, 4))), ValueError, "labels",
         ["(2, 3)", "(2, 4)"]),
        (ce, lambda: softmax_cross_entropy(Z, np.full((2, 3), 0.5)), ValueError, "labels",
         ["sum", "1.5"]),
        (ce, lambda: softmax_cross_entropy(Z, np.array([[2.0, -1, 0], [1, 0, 0]])), ValueError,
         "labels", [">= 0", "-1.0"]),
        (ce, lambda: softmax_cross_entropy(Z, np.array([[np.nan, 1, 0], [1, 0, 0]])),
         ValueError, "labels", ["nan"]),
        (ce, lambda: softmax_cross_entropy(Z, np.eye(3)[:2].astype(complex)), TypeError,
         "labels", ["complex"]),
        (mse, lambda: mean_squared_error(np.zeros(3), np.zeros(4)), ValueError, "targets",
         ["(3,)", "(4,)"]),
        (mse, lambda: mean_squared_error(np.zeros((3, 1)), np.zeros(3)), ValueError, "targets",
         ["(3, 1)", "(3,)"]),
        (mse, lambda: mean_squared_error(np.zeros(0), np.zeros(0)), ValueError, "predictions",
         ["(0,)"]),
        (mse, lambda: mean_squared_error(None, np.zeros(3)), TypeError, "predictions",
         ["object"]),
        (mse, lambda: mean_squared_error(np.zeros(2), RAGGED), ValueError, "targets", ["ragged"]),
    ]


def _geometry_rows():
    name = "pool_geometry"
    return [
        (name, lambda: pool_geometry((2, 3), 2), ValueError, "x_shape", ["(2, 3)"]),
        (name, lambda: pool_geometry("abcd", 2), ValueError, "x_shape", ["'abcd'"]),
        (name, lambda: pool_geometry((2, 3, 0, 6), 2), ValueError, "x_shape", ["0"]),
        (name, lambda: pool_geometry((2, 3, 6.0, 6), 2), TypeError, "x_shape", ["6.0"]),
        (name, lambda: pool_geometry((2, 3, 6, 6), 0), ValueError, "pool_size", ["0"]),
    ]


TABLE = (
    [row for name, f in POOLING.items() for row in _pool_rows(name, f)]
    + [row for name, f in POOLING_BACKWARD.items() for row in _pool_backward_rows(name, f)]
    + _activation_rows() + _loss_rows() + _geometry_rows()
)


@pytest.mark.parametrize("function, call, error, argument, words", TABLE,
                         ids=[f"{row[0]}-{row[3]}-{i}" for i, row in enumerate(TABLE)])
def test_bad_argument_gets_one_sentence_naming_it(function, call, error, argument, words):
    with pytest.raises(Exception) as info:
        call()
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    assert message.startswith(f"{argument}: "), message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert "\n" not in message and ". " not in message, f"not one sentence: {message!r}"


def _public_functions(module):
    return {name for name, value in vars(module).items()
            if inspect.isfunction(value) and value.__module__ == module.__name__
            and not name.startswith("_")}


def test_the_table_walks_every_public_function():
    public = set().union(*(_public_functions(m) for m in (pool, activations, losses)))
    assert public == {row[0] for row in TABLE}


# ---- float16 (and extended precision) are rejected by every kernel, for every array argument

def _float16_calls():
    x4, dy4 = X.astype(np.float16), DY.astype(np.float16)
    z16 = Z.astype(np.float16)
    calls = []
    for name, forward in POOLING.items():
        calls.append((name, "x", lambda f=forward: f(x4, 2)))
    for name, forward in ELEMENTWISE.items():
        calls.append((name, "x", lambda f=forward: f(z16)))
    for name, backward in POOLING_BACKWARD.items():
        calls.append((name, "dy", lambda b=backward: b(dy4, X, 2)))
        calls.append((name, "x", lambda b=backward: b(DY, x4, 2)))
    for name, backward in ELEMENTWISE_BACKWARD.items():
        calls.append((name, "dy", lambda b=backward: b(z16, Z)))
        calls.append((name, "x", lambda b=backward: b(Z, z16)))
    calls += [
        ("softmax_cross_entropy", "logits", lambda: softmax_cross_entropy(z16, [0, 1])),
        ("softmax_cross_entropy", "labels",
         lambda: softmax_cross_entropy(Z, np.eye(3)[:2].astype(np.float16))),
        ("mean_squared_error", "predictions", lambda: mean_squared_error(z16, Z)),
        ("mean_squared_error", "targets", lambda: mean_squared_error(Z, z16)),
    ]
    if np.dtype(np.longdouble).itemsize > 8:
        calls.append(("relu", "x", lambda: relu(Z.astype(np.longdouble))))
    return calls


@pytest.mark.parametrize("function, argument, call", _float16_calls(),
                         ids=[f"{c[0]}-{c[1]}" for c in _float16_calls()])
def test_float16_is_rejected_with_a_type_error_naming_the_argument(function, argument, call):
    with pytest.raises(TypeError) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{argument}: ") and "float32" in message, message


# ---- no result is a writable alias of an argument; read-only inputs are never written

def _read_only(*arrays):
    out = []
    for array in arrays:
        array = np.array(array)
        array.setflags(write=False)
        out.append(array)
    return out


def _alias_calls():
    rng = np.random.default_rng(0)
    x, z = rng.standard_normal((2, 3, 4, 4)), np.abs(rng.standard_normal((3, 4)))
    calls = []
    for name, forward in POOLING.items():
        for size, stride in ((1, 1), (2, None), (3, 1)):
            calls.append((f"{name}-{size}", forward, _read_only(x), (size, stride)))
    for name, backward in POOLING_BACKWARD.items():
        for size, stride, dy_shape in ((1, 1, x.shape), (2, None, (2, 3, 2, 2)),
                                       (3, 1, (2, 3, 2, 2))):
            dy = rng.standard_normal(dy_shape)
            calls.append((f"{name}-{size}", backward, _read_only(dy, x), (size, stride)))
    for name, forward in ELEMENTWISE.items():
        calls.append((name, forward, _read_only(z), ()))  # relu of non-negative input
    for name, backward in ELEMENTWISE_BACKWARD.items():
        calls.append((name, backward, _read_only(np.ones_like(z), z), ()))
    calls.append(("softmax_cross_entropy", softmax_cross_entropy,
                  _read_only(z, np.eye(4)[[0, 1, 2]]), ()))
    calls.append(("mean_squared_error", mean_squared_error, _read_only(z, np.zeros_like(z)), ()))
    calls.append(("mean_squared_error-equal", mean_squared_error, _read_only(z, z), ()))
    return calls


@pytest.mark.parametrize("name, function, arrays, options", _alias_calls(),
                         ids=[c[0] for c in _alias_calls()])
def test_results_are_not_writable_aliases_of_read_only_arguments(name, function, arrays, options):
    before = [a.copy() for a in arrays]
    result = function(*arrays, *options)
    results = result if isinstance(result, tuple) else (result,)
    for out in results:
        if isinstance(out, np.ndarray):
            for argument in arrays:
                assert not (np.shares_memory(out, argument) and out.flags.writeable), name
            out[...] = 7.0  # a result is the caller's to write
    for argument, copy in zip(arrays, before):
        np.testing.assert_array_equal(argument, copy)


# ---- drawn pooling arguments, valid and invalid mixed

ARGUMENTS = ("x", "dy", "pool_size", "stride", "padding")
@st.composite
def _mostly(draw, valid, invalid):
    """A valid value three times in four, so that many drawn calls get past every check."""
    return draw(invalid) if draw(st.integers(0, 3)) == 0 else draw(valid)


sizes = _mostly(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))),
                st.one_of(st.integers(-1, 0), st.tuples(st.integers(0, 4), st.integers(-1, 0)),
                          st.sampled_from([2.0, 1.5, "2", None, True, (2,), (1, 2, 3), [2, 2]])))
strides = st.one_of(st.none(), sizes)
paddings = _mostly(st.one_of(st.integers(0, 1), st.tuples(st.integers(0, 1), st.integers(0, 1)),
                             st.sampled_from(["same", "valid"])),
                   st.one_of(st.integers(-1, 3), st.tuples(st.integers(-1, 2), st.integers(0, 3)),
                             st.sampled_from(["full", 1.0, None, (1,)])))
images = _mostly(
    st.tuples(*[st.integers(1, 2)] * 2, *[st.integers(2, 6)] * 2),  # a valid (N, C, H, W)
    st.one_of(st.tuples(st.integers(0, 2), st.integers(1, 2), st.integers(1, 6),
                        st.integers(1, 6)),  # (sometimes) empty
              st.tuples(st.integers(1, 6), st.integers(1, 6)),  # not 4-D
              st.sampled_from(["ragged", "float16", "bool", "complex"])))


def _image(draw_shape, rng):
    """The drawn image: random values for a shape, else an array-like of the named bad kind."""
    if draw_shape == "ragged":
        return [[[[1.0, 2.0], [3.0]]]]
    if isinstance(draw_shape, str):
        return np.zeros((1, 1, 4, 4), dtype=draw_shape)
    return np.round(rng.standard_normal(draw_shape), 1)  # ties, as after a ReLU


KERNELS = {"max": (max_pool2d, max_pool2d_backward, max_pool2d_naive, max_pool2d_backward_naive),
           "avg": (avg_pool2d, avg_pool2d_backward, avg_pool2d_naive, avg_pool2d_backward_naive)}


def _outcome(call):
    try:
        return call(), None
    except (ValueError, TypeError) as error:
        return None, error


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(sorted(KERNELS)), shape=images, pool_size=sizes, stride=strides,
       padding=paddings, seed=st.integers(0, 2**16))
def test_drawn_pooling_arguments_are_either_computed_right_or_rejected_by_name(
        kind, shape, pool_size, stride, padding, seed):
    forward, backward, forward_naive, backward_naive = KERNELS[kind]
    rng = np.random.default_rng(seed)
    x = _image(shape, rng)
    y, error = _outcome(lambda: forward(x, pool_size, stride=stride, padding=padding))
    y_naive, error_naive = _outcome(lambda: forward_naive(x, pool_size, stride, padding))
    assert (error is None) == (error_naive is None), (error, error_naive)
    if error is not None:
        assert type(error) is type(error_naive), (error, error_naive)
        assert str(error).split(":")[0] in ARGUMENTS, str(error)
        return
    # An average of values of either sign can round to a tiny number where the loop gets 0:
    # the tolerance is relative to the size of the inputs, not of the result.
    scale = 1e-13 * max(1.0, float(np.abs(x).max()))
    np.testing.assert_allclose(y, y_naive, rtol=1e-13, atol=scale)
    dy = rng.standard_normal(y.shape)
    dx = backward(dy, x, pool_size, stride=stride, padding=padding)
    np.testing.assert_allclose(dx, backward_naive(dy, x, pool_size, stride, padding), rtol=1e-12,
                               atol=1e-14)
    for bad_dy in (dy[..., :-1], dy.astype(np.float16), dy.astype(complex)):
        _, error = _outcome(lambda bad_dy=bad_dy: backward(bad_dy, x, pool_size, stride, padding))
        assert error is not None and str(error).startswith("dy: "), error
