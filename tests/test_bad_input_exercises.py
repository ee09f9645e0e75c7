"""The exercise checks are right about correct code: every library layer, kernel and optimizer,
passed as if it were the reader's, passes every check that applies and is left unchanged; a
deliberately broken one fails; and whatever a reader's function returns or raises, the answer
is ExerciseFailed with a plain message."""

import copy

import numpy as np
import pytest

from dlbook import exercises, fitting_exercises, optimizer_exercises
from dlbook.exercises import ExerciseFailed
from dlbook.functional import (
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    conv_output_size,
    max_pool2d,
    max_pool2d_backward,
    relu_backward,
    sigmoid_backward,
    softmax_cross_entropy,
    tanh_backward,
)
from dlbook.layers import (Activation, AveragePooling2D, Conv2D, Dense, Dropout, Flatten,
                           MaxPooling2D)
from dlbook.optim import SGD, RMSProp, adam_step
from dlbook.parameter import Parameter

# --------------------------------------------------------------------------------------------
# Library layers as the reader's


def _built(layer, shape, dtype="float32"):
    layer.build(shape, rng=0, dtype=dtype)
    return layer


LAYERS = [
    *[(f"Dense-{a}", lambda a=a: _built(Dense(3, activation=a), (4,)), (2, 4))
      for a in (None, "relu", "sigmoid", "tanh", "softmax")],
    ("Dense-float64", lambda: _built(Dense(3, activation="tanh"), (4,), "float64"), (2, 4)),
    ("Dense-unbuilt", lambda: Dense(3, activation="sigmoid"), (2, 4)),
    ("Dense-no-bias", lambda: _built(Dense(2, use_bias=False), (5,)), (3, 5)),
    *[(f"Conv2D-{padding}-{strides}", lambda p=padding, s=strides: _built(
        Conv2D(2, (3, 2), strides=s, padding=p, activation="tanh"), (2, 7, 6)), (2, 2, 7, 6))
      for padding in ("valid", "same", 1, (1, 2)) for strides in (1, 2, (2, 1))],
    ("Conv2D-dilated", lambda: _built(Conv2D(2, 2, dilation_rate=2, activation="relu"),
                                      (1, 6, 6)), (2, 1, 6, 6)),
    ("MaxPooling2D", lambda: MaxPooling2D(2), (2, 2, 6, 6)),
    ("MaxPooling2D-same", lambda: MaxPooling2D(3, strides=1, padding="same"), (2, 2, 5, 5)),
    ("AveragePooling2D", lambda: AveragePooling2D(2), (2, 2, 6, 6)),
    ("AveragePooling2D-same", lambda: _built(AveragePooling2D((2, 3), padding="same"),
                                             (2, 5, 5)), (2, 2, 5, 5)),
    ("Flatten", lambda: _built(Flatten(), (2, 3, 3)), (2, 2, 3, 3)),
    *[(f"Activation-{a}", lambda a=a: _built(Activation(a), (5,)), (2, 5))
      for a in ("relu", "sigmoid", "tanh", "softmax", None)],
    ("Dropout-inference", lambda: _built(Dropout(0.5, seed=0), (5,)), (2, 5)),
]


def _state(layer):
    return (layer.built, layer.dtype, layer.input_shape,
            [(p.data.dtype, p.data.tobytes(), p.grad.dtype) for p in layer.params])


@pytest.mark.parametrize("make, input_shape", [case[1:] for case in LAYERS],
                         ids=[case[0] for case in LAYERS])
def test_every_library_layer_passes_check_layer_backward_unchanged(make, input_shape, capsys):
    layer = make()
    before = _state(layer)
    exercises.check_layer_backward(layer, input_shape)
    assert capsys.readouterr().out == (
        f"Passed: {type(layer).__name__} agrees with central differences on the one case.\n")
    assert _state(layer) == before


class SignError(Dense):
    def backward(self, dy):
        return -super().backward(dy)


class TransposedKernelGradient(Dense):
    def backward(self, dy):
        dx = super().backward(dy)
        self.kernel.grad[...] = self.kernel.grad.T.copy()
        return dx


class BiasGradientMean(Conv2D):
    def backward_pre_activation(self, dz):
        dx = super().backward_pre_activation(dz)
        self.bias.grad[...] = dz.mean(axis=(0, 2, 3))
        return dx


class PoolingToTheLastCell(MaxPooling2D):
    def backward(self, dy):
        dx = super().backward(dy)
        return dx[..., ::-1]


BROKEN = [
    ("sign error", lambda: _built(SignError(3, activation="tanh"), (4,)), (2, 4), "dx"),
    ("transposed kernel gradient", lambda: _built(TransposedKernelGradient(4), (4,)), (2, 4),
     "params[0].grad"),
    ("bias gradient averaged", lambda: _built(BiasGradientMean(2, 3), (1, 5, 5)), (2, 1, 5, 5),
     "params[1].grad"),
    ("pooling gradient mirrored", lambda: PoolingToTheLastCell(2), (1, 1, 4, 4), "dx"),
]


@pytest.mark.parametrize("make, input_shape, output", [case[1:] for case in BROKEN],
                         ids=[case[0] for case in BROKEN])
def test_a_broken_layer_fails_check_layer_backward(make, input_shape, output):
    with pytest.raises(ExerciseFailed, match=f"output {output.replace('[', '.').replace(']', '.')}"):
        exercises.check_layer_backward(make(), input_shape)


# --------------------------------------------------------------------------------------------
# Library kernels and optimizers as the reader's


def _sgd_step(p, g, velocity, lr, mu):
    if mu == 0:  # plain SGD keeps no velocity; v <- 0 v + g is the gradient
        return _library_step(SGD(lr, mu), p, g, {})[0], g
    return _library_step(SGD(lr, mu), p, g, {"v": velocity})


def _rmsprop_step(p, g, s, lr, rho, eps):
    return _library_step(RMSProp(lr, rho, eps), p, g, {"s": s})


def _library_step(optimizer, p, g, moments):
    param = Parameter(p)
    param.grad[...] = g
    state = dict(optimizer.state_dict(), num_params=1, **{"0.step": 1})
    state.update({f"0.{name}": value for name, value in moments.items()})
    optimizer.load_state_dict(state)
    optimizer.step([param])
    after = optimizer.state_dict()
    return (param.data, *(after[f"0.{name}"] for name in moments))


def _dense_backward(dy, x, w, b):
    layer = Dense(w.shape[1], input_shape=(w.shape[0],))
    layer.build((w.shape[0],), dtype="float64")
    layer.set_weights([w, b])
    layer.forward(x)
    dx = layer.backward(dy)
    return dx, layer.kernel.grad, layer.bias.grad


def _adam(p, g, m, v, t, lr, b1, b2, eps):
    return adam_step(p, g, m, v, t, learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps)


# (check, the library's own function, keyword arguments of the check)
CHECKS = [
    (exercises.check_conv2d, conv2d, {"dilation": True, "same": True}),
    (exercises.check_conv2d, conv2d, {}),
    (exercises.check_conv2d_backward, conv2d_backward, {"dilation": True, "same": True}),
    (exercises.check_conv_output_size, lambda n, k, s, p: conv_output_size(n, k, s, 2 * p), {}),
    (exercises.check_max_pool2d, max_pool2d, {"padding": True}),
    (exercises.check_max_pool2d_backward, max_pool2d_backward, {"padding": True}),
    (exercises.check_avg_pool2d, avg_pool2d, {"padding": True}),
    (exercises.check_avg_pool2d_backward, avg_pool2d_backward, {"padding": True}),
    (exercises.check_activation_backward, relu_backward, {"activation": "relu"}),
    (exercises.check_activation_backward, sigmoid_backward, {"activation": "sigmoid"}),
    (exercises.check_activation_backward, tanh_backward, {"activation": "tanh"}),
    (exercises.check_dense_backward, _dense_backward, {}),
    (exercises.check_softmax_cross_entropy, softmax_cross_entropy, {}),
    (optimizer_exercises.check_sgd_momentum_step, _sgd_step, {}),
    (optimizer_exercises.check_sgd_momentum_step, _sgd_step,
     {"learning_rate": 0.5, "momentum": 0.0}),
    (optimizer_exercises.check_rmsprop_step, _rmsprop_step, {}),
    (optimizer_exercises.check_adam_step, _adam, {}),
    (optimizer_exercises.check_adam_step, _adam, {"beta_2": 0.9, "epsilon": 1e-3}),
    (exercises.check_col2im, __import__("dlbook.functional.conv", fromlist=["col2im"]).col2im, {}),
    (exercises.check_initializer_scale, lambda fan_in, fan_out: np.sqrt(2 / fan_in),
     {"activation": "relu"}),
    (optimizer_exercises.check_adagrad_step, optimizer_exercises._adagrad_oracle, {}),
    # the receptive-field calculator, r = 1 + sum_l (k_l - 1) d_l prod_{m<l} s_m
    (exercises.check_receptive_field_size,
     lambda stack: 1 + sum((k - 1) * d * int(np.prod([t[1] for t in stack[:i]]))
                           for i, (k, _, d) in enumerate(stack)), {}),
    (exercises.check_train_step, lambda model, x, y: model.train_on_batch(x, y), {}),
    (exercises.check_kernel_fit, fitting_exercises._reference_learn_kernel, {}),
]
_IDS = [f"{check.__name__}-{i}" for i, (check, _, _) in enumerate(CHECKS)]


def test_the_table_covers_every_check():
    names = {check.__name__ for check, _, _ in CHECKS} | {"check_layer_backward"}
    public = {name for name in exercises.__all__
              if name.startswith("check_") and not name.endswith("_answer")}
    assert names == public | set(optimizer_exercises.__all__)


@pytest.mark.parametrize("check, fn, kwargs", CHECKS, ids=_IDS)
def test_every_check_passes_the_librarys_own_function(check, fn, kwargs, capsys):
    check(fn, **kwargs)
    out = capsys.readouterr().out
    assert out.startswith("Passed: ") and out.count("\n") == 1


def _n_outputs(check):
    return {"check_conv2d_backward": 3, "check_dense_backward": 3,
            "check_softmax_cross_entropy": 2, "check_sgd_momentum_step": 2,
            "check_rmsprop_step": 2, "check_adam_step": 3}.get(check.__name__, 1)


def _raises(*args, **kwargs):
    raise ValueError("operands could not be broadcast together")


BAD_RESULTS = {
    "ragged list": [[1.0, 2.0], [3.0]],
    "None": None,
    "a string": "42",
    "a dict": {"y": 1.0},
    "wrong shape": np.zeros((7, 1, 3)),
    "complex": np.zeros(3, complex),
    "objects": np.array([None, 1.0], dtype=object),
}


@pytest.mark.parametrize("what", [*BAD_RESULTS, "raises"])
@pytest.mark.parametrize("check, fn, kwargs", CHECKS[::2], ids=_IDS[::2])
def test_a_bad_result_gets_exercise_failed_with_a_plain_message(check, fn, kwargs, what):
    n = _n_outputs(check)
    if what == "raises":
        reader = _raises
    else:
        result = BAD_RESULTS[what]
        value = result if n == 1 else (result,) * n

        def reader(*args, **keywords):
            return copy.deepcopy(value)

    reader.__name__ = "my_function"
    with pytest.raises(ExerciseFailed) as info:
        check(reader, **kwargs)
    message = str(info.value)
    assert message.startswith("my_function: FAILED case 1 of ") and "\n" not in message
    assert "inhomogeneous" not in message and "Traceback" not in message
    if what == "raises":
        assert "raised ValueError: operands could not be broadcast" in message


class ReaderLayer:
    """A reader's dense layer, y = x W + b, with one of several mistakes."""

    def __init__(self, mistake):
        rng = np.random.default_rng(0)
        self.kernel = Parameter(rng.standard_normal((4, 3)))
        self.bias = Parameter(np.zeros(3))
        self.params = [self.kernel, self.bias]
        self.mistake = mistake

    def forward(self, x, training=False):
        self.inputs = x
        if self.mistake == "forward returns a ragged list":
            return [[1.0, 2.0], [3.0]]
        if self.mistake == "forward returns None":
            return None
        if self.mistake == "forward raises":
            raise IndexError("tuple index out of range")
        return x @ self.kernel.data + self.bias.data

    def backward(self, dy):
        self.kernel.grad[...] = self.inputs.T @ dy
        self.bias.grad[...] = dy.sum(axis=0)
        if self.mistake == "backward returns a string":
            return "dx"
        if self.mistake == "backward returns the wrong shape":
            return dy
        if self.mistake == "backward raises":
            raise ValueError("shapes (2,3) and (4,3) not aligned")
        return dy @ self.kernel.data.T


MISTAKES = ["forward returns a ragged list", "forward returns None", "forward raises",
            "backward returns a string", "backward returns the wrong shape", "backward raises"]


def test_a_correct_reader_layer_passes_and_keeps_its_weights(capsys):
    layer = ReaderLayer(None)
    kernel = layer.kernel.data.copy()
    exercises.check_layer_backward(layer, (2, 4))
    assert capsys.readouterr().out.startswith("Passed: ReaderLayer agrees")
    np.testing.assert_array_equal(layer.kernel.data, kernel)
    assert not hasattr(layer, "inputs")


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_reader_layer_that_misbehaves_gets_exercise_failed(mistake):
    with pytest.raises(ExerciseFailed) as info:
        exercises.check_layer_backward(ReaderLayer(mistake), (2, 4))
    message = str(info.value)
    assert message.startswith("ReaderLayer: FAILED case 1 of 1") and "\n" not in message
    assert "inhomogeneous" not in message


# --------------------------------------------------------------------------------------------
# The checks' own arguments


BAD_ARGUMENTS = [
    (exercises.check_conv2d, (3,), {}, TypeError, "fn"),
    (exercises.check_conv2d, (conv2d,), {"dilation": "yes"}, TypeError, "dilation"),
    (exercises.check_conv2d_backward, (conv2d_backward,), {"same": 1}, TypeError, "same"),
    (exercises.check_max_pool2d, (max_pool2d,), {"padding": "False"}, TypeError, "padding"),
    (exercises.check_avg_pool2d_backward, (None,), {}, TypeError, "fn"),
    (exercises.check_activation_backward, (relu_backward, "gelu"), {}, ValueError, "activation"),
    (exercises.check_activation_backward, (relu_backward, ["relu"]), {}, TypeError,
     "activation"),
    (exercises.check_dense_backward, ("dense",), {}, TypeError, "fn"),
    (exercises.check_layer_backward, (Dense(2), "abc"), {}, TypeError, "input_shape"),
    (exercises.check_layer_backward, (Dense(2), (2, 0)), {}, ValueError, "input_shape"),
    (exercises.check_layer_backward, (Dense(2), (2, 3)), {"seed": -1}, ValueError, "seed"),
    (exercises.check_layer_backward, (object(), (2, 3)), {}, TypeError, "layer"),
    (optimizer_exercises.check_adam_step, (_adam,), {"learning_rate": "0.1"}, TypeError,
     "learning_rate"),
    (optimizer_exercises.check_rmsprop_step, (_rmsprop_step,), {"rho": 1.5}, ValueError, "rho"),
    (optimizer_exercises.check_sgd_momentum_step, (_sgd_step,), {"momentum": -1}, ValueError,
     "momentum"),
]


@pytest.mark.parametrize("check, args, kwargs, error, name", BAD_ARGUMENTS,
                         ids=[f"{c.__name__}-{n}-{i}" for i, (c, _, _, _, n) in
                              enumerate(BAD_ARGUMENTS)])
def test_a_check_names_its_bad_argument(check, args, kwargs, error, name):
    with pytest.raises(error) as info:
        check(*args, **kwargs)
    assert type(info.value) is error and str(info.value).startswith(f"{name}: ")
    assert "\n" not in str(info.value)
