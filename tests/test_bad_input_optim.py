"""Bad input to the optimizers and Parameter: every hyperparameter, the state, the parameters.

Each bad input gets one ValueError or TypeError that names the argument, raised before anything
changes; non-finite gradients follow IEEE arithmetic exactly as ``torch.optim`` does.
"""

import numpy as np
import pytest

from dlbook import Parameter
from dlbook.landscapes import quadratic_grad, trajectory
from dlbook.optim import SGD, Adam, AdamW, RMSProp, adam_step

from bad_input_checks import assert_one_sentence_naming

NAN, INF = float("nan"), float("inf")
TYPES = [("0.1", TypeError), (None, TypeError), (1j, TypeError), (True, TypeError),
         (np.bool_(False), TypeError), (np.array([0.1]), TypeError)]
POSITIVE = [(0.0, ValueError), (-1e-3, ValueError), (NAN, ValueError), (INF, ValueError),
            (-INF, ValueError), *TYPES]
NON_NEGATIVE = [(-1e-3, ValueError), (NAN, ValueError), (INF, ValueError), *TYPES]
FRACTION = [(1.0, ValueError), (-0.1, ValueError), (1.5, ValueError), (NAN, ValueError),
            (INF, ValueError), *TYPES]
FLAG = [("False", TypeError), (0, TypeError), (1, TypeError), (None, TypeError),
        (1.0, TypeError)]

# (optimizer class, valid keywords, {hyperparameter: bad values})
OPTIMIZERS = [
    (SGD, {"momentum": 0.9},
     {"learning_rate": POSITIVE, "momentum": FRACTION, "nesterov": FLAG}),
    (RMSProp, {}, {"learning_rate": POSITIVE, "rho": FRACTION, "epsilon": POSITIVE,
                   "momentum": FRACTION, "centered": FLAG}),
    (RMSProp, {"momentum": 0.9, "centered": True},
     {"rho": FRACTION, "epsilon": POSITIVE, "momentum": FRACTION, "centered": FLAG}),
    (Adam, {}, {"learning_rate": POSITIVE, "beta_1": FRACTION, "beta_2": FRACTION,
                "epsilon": POSITIVE, "amsgrad": FLAG}),
    (AdamW, {}, {"learning_rate": POSITIVE, "weight_decay": NON_NEGATIVE, "beta_1": FRACTION,
                 "beta_2": FRACTION, "epsilon": POSITIVE}),
]
HYPERPARAMETER_CASES = [
    pytest.param(cls, valid, name, value, error, id=f"{cls.__name__}-{name}={value!r}")
    for cls, valid, table in OPTIMIZERS for name, rows in table.items() for value, error in rows
]


@pytest.mark.parametrize("cls, valid, name, value, error", HYPERPARAMETER_CASES)
def test_every_bad_hyperparameter_is_rejected_at_construction(cls, valid, name, value, error):
    with pytest.raises(error) as excinfo:
        cls(**{**valid, name: value})
    assert_one_sentence_naming(excinfo, name, "needs")


@pytest.mark.parametrize("cls, valid, name, value, error", HYPERPARAMETER_CASES)
def test_a_bad_hyperparameter_assigned_later_is_rejected_before_the_step(cls, valid, name,
                                                                         value, error):
    optimizer, param = cls(**valid), Parameter(np.array([1.0, -2.0]))
    param.grad[...] = [0.5, 0.25]
    setattr(optimizer, name, value)
    with pytest.raises(error) as excinfo:
        optimizer.step([param])
    assert_one_sentence_naming(excinfo, name)
    np.testing.assert_array_equal(param.data, [1.0, -2.0])


ADAM_STEP_HYPERPARAMETERS = {"learning_rate": POSITIVE, "beta_1": FRACTION, "beta_2": FRACTION,
                             "epsilon": POSITIVE, "weight_decay": NON_NEGATIVE,
                             "bias_correction": FLAG,
                             "t": [(0, ValueError), (-1, ValueError), (1.0, TypeError),
                                   (True, TypeError), ("1", TypeError), (None, TypeError)]}


@pytest.mark.parametrize("name, value, error", [
    pytest.param(name, value, error, id=f"{name}={value!r}")
    for name, rows in ADAM_STEP_HYPERPARAMETERS.items() for value, error in rows
])
def test_adam_step_rejects_every_bad_hyperparameter(name, value, error):
    zeros = np.zeros(2)
    arguments = {"t": 1, name: value}
    with pytest.raises(error) as excinfo:
        adam_step(zeros, np.ones(2), zeros, zeros, **arguments)
    assert_one_sentence_naming(excinfo, name)


# ---- epsilon guards the denominator: a zero gradient never makes 0 / 0 ------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", [
    lambda eps: RMSProp(epsilon=eps),
    lambda eps: RMSProp(epsilon=eps, centered=True, momentum=0.9), lambda eps: Adam(epsilon=eps),
    lambda eps: Adam(epsilon=eps, amsgrad=True), lambda eps: AdamW(epsilon=eps),
    lambda eps: Adam(epsilon=eps, beta_2=1.0 - 2.0**-52),
], ids=["RMSProp", "RMSProp-centered-momentum", "Adam", "AMSGrad", "AdamW",
        "Adam-beta_2-near-1"])
@pytest.mark.parametrize("epsilon", [1e-8, 1e-300, 5e-324])
def test_zero_gradients_leave_the_parameter_finite_for_every_valid_epsilon(make, epsilon, dtype):
    param = Parameter(np.array([1.0, -2.0, 0.0], dtype=dtype))
    optimizer = make(epsilon)
    for _ in range(3):  # the gradient is exactly zero: the step is 0, not 0 / 0
        optimizer.step([param])
    expected = np.array([1.0, -2.0, 0.0])
    if isinstance(optimizer, AdamW):  # only the decay: (1 - lr wd)^3
        expected = expected * (1.0 - 0.001 * 0.01) ** 3
    np.testing.assert_allclose(param.data, expected, rtol=1e-6)


def test_adam_step_with_zero_gradient_and_tiny_epsilon_is_finite():
    zeros = np.zeros(3)
    p, m, v = adam_step(np.ones(3), zeros, zeros, zeros, 1, epsilon=5e-324)
    np.testing.assert_array_equal(p, np.ones(3))
    np.testing.assert_array_equal(m, zeros)
    np.testing.assert_array_equal(v, zeros)


# ---- the same parameter twice in one step ------------------------------------------------------


def _shared_data_pair():
    first, second = Parameter(np.ones(3)), Parameter(np.ones(3))
    second.data = first.data
    return [first, Parameter(np.zeros(2)), second]


@pytest.mark.parametrize("make", [SGD, RMSProp, lambda: RMSProp(centered=True, momentum=0.5),
                                  Adam, AdamW], ids=["SGD", "RMSProp", "RMSProp-centered-momentum",
                                                     "Adam", "AdamW"])
@pytest.mark.parametrize("params_of", [
    lambda p, q: [p, q, p],
    lambda p, q: (q, p, p),
    lambda p, q: _shared_data_pair(),
], ids=["same-Parameter", "same-Parameter-tuple", "same-data-array"])
def test_a_parameter_listed_twice_is_rejected_before_any_update(make, params_of):
    params = params_of(Parameter(np.ones(3)), Parameter(np.zeros(2)))
    for p in params:
        p.grad[...] = 1.0
    before = [p.data.copy() for p in params]
    optimizer = make()
    with pytest.raises(ValueError) as excinfo:
        optimizer.step(params)
    assert_one_sentence_naming(excinfo, "params[2]", "params[0]" if params[0].shape == (3,)
                                else "params[1]")
    for p, data in zip(params, before):
        np.testing.assert_array_equal(p.data, data)
    assert optimizer.state_dict()["num_params"] == 0


# ---- adam_step's state arguments ---------------------------------------------------------------


def _adam_step_arguments(**changes):
    arguments = {"p": np.array([1.0, 2.0]), "g": np.array([0.5, -1.0]),
                 "m": np.array([0.1, -0.1]), "v": np.array([0.01, 0.04]), "t": 3}
    arguments.update(changes)
    return arguments


@pytest.mark.parametrize("changes, error, words", [
    ({"v": np.array([0.01, -0.04])}, ValueError, ["v", "negative"]),
    ({"v": np.array([0.01, NAN])}, ValueError, ["v", "finite"]),
    ({"v": np.array([INF, 0.01])}, ValueError, ["v", "finite"]),
    ({"m": np.array([NAN, 0.0])}, ValueError, ["m", "finite"]),
    ({"m": np.array([-INF, 0.0])}, ValueError, ["m", "finite"]),
    ({"v_max": np.array([-1.0, 0.04])}, ValueError, ["v_max", "negative"]),
    ({"v_max": np.array([NAN, 0.04])}, ValueError, ["v_max", "finite"]),
    ({"v": np.zeros(3)}, ValueError, ["v", "(2,)", "(3,)"]),
    ({"m": np.zeros((2, 1))}, ValueError, ["m", "(2,)", "(2, 1)"]),
    ({"m": np.zeros(2, dtype=np.float16)}, TypeError, ["m", "float16"]),
    ({"v": np.zeros(2, dtype=bool)}, TypeError, ["v", "bool"]),
    ({"g": np.array([1j, 0.0])}, TypeError, ["g", "complex"]),
    ({"p": np.array(["a", "b"])}, TypeError, ["p", "<U1"]),
], ids=lambda value: None)
def test_adam_step_rejects_bad_state_before_doing_anything(changes, error, words):
    arguments = _adam_step_arguments(**changes)
    for array in arguments.values():
        if isinstance(array, np.ndarray):
            array.setflags(write=False)
    with pytest.raises(error) as excinfo:
        adam_step(**arguments)
    assert_one_sentence_naming(excinfo, *words)


# ---- load_state_dict: validated whole, then applied --------------------------------------------


def _trained(make):
    optimizer = make()
    params = [Parameter(np.array([1.0, -2.0, 3.0])), Parameter(np.array([[0.5], [0.25]]))]
    for step in range(2):
        for p in params:
            p.grad[...] = np.cos(p.data + step)
        optimizer.step(params)
    return optimizer


def _state_equal(first, second):
    assert set(first) == set(second)
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])
        assert type(first[key]) is type(second[key])


def _with(state, key, value):
    return {**state, key: value}


def _without(state, key):
    return {name: value for name, value in state.items() if name != key}


LOAD_CASES = [
    # (optimizer, state_dict -> bad state_dict, error, words)
    (lambda: Adam(amsgrad=True), lambda s: _with(s, "0.v", -s["0.v"]), ValueError,
     ["state_dict['0.v']", "negative"]),
    (lambda: Adam(amsgrad=True), lambda s: _with(s, "1.v_max", -s["1.v_max"]), ValueError,
     ["state_dict['1.v_max']", "negative"]),
    (RMSProp, lambda s: _with(s, "1.s", s["1.s"] - 1.0), ValueError,
     ["state_dict['1.s']", "negative"]),
    (lambda: RMSProp(centered=True), lambda s: _with(s, "1.s", s["1.s"] - 1.0), ValueError,
     ["state_dict['1.s']", "negative"]),
    (lambda: RMSProp(centered=True), lambda s: _with(s, "0.a", np.array([0.0, NAN, 0.0])),
     ValueError, ["state_dict['0.a']", "finite"]),
    (lambda: RMSProp(centered=True), lambda s: _with(s, "0.a", np.zeros(2)), ValueError,
     ["state_dict['0.a']", "(3,)", "(2,)"]),
    (lambda: RMSProp(centered=True), lambda s: _without(s, "1.a"), ValueError,
     ["missing", "1.a"]),
    (lambda: RMSProp(momentum=0.9), lambda s: _with(s, "1.buf", np.full((2, 1), -INF)),
     ValueError, ["state_dict['1.buf']", "finite"]),
    (lambda: RMSProp(momentum=0.9), lambda s: _with(s, "0.buf", s["0.buf"].astype(np.int64)),
     TypeError, ["state_dict['0.buf']", "int64"]),
    (lambda: RMSProp(momentum=0.9), lambda s: _with(s, "momentum", 0.0), ValueError,
     ["unexpected", "0.buf"]),
    (RMSProp, lambda s: _with(s, "centered", True), ValueError, ["missing", "0.a"]),
    (RMSProp, lambda s: _with(s, "centered", 1), TypeError, ["centered"]),
    (RMSProp, lambda s: _with(s, "momentum", 1.0), ValueError, ["momentum"]),
    (Adam, lambda s: _with(s, "0.m", np.array([NAN, 0.0, 0.0])), ValueError,
     ["state_dict['0.m']", "finite"]),
    (Adam, lambda s: _with(s, "1.v", np.full((2, 1), INF)), ValueError,
     ["state_dict['1.v']", "finite"]),
    (lambda: SGD(momentum=0.9), lambda s: _with(s, "0.v", np.array([1.0, -INF, 0.0])),
     ValueError, ["state_dict['0.v']", "finite"]),
    (Adam, lambda s: _with(s, "0.m", s["0.m"].astype(np.float16)), TypeError,
     ["state_dict['0.m']", "float16"]),
    (Adam, lambda s: _with(s, "0.v", np.array([1, 2, 3])), TypeError,
     ["state_dict['0.v']", "int"]),
    (Adam, lambda s: _with(s, "0.v", np.zeros(4)), ValueError,
     ["state_dict['0.v']", "(3,)", "(4,)"]),
    (Adam, lambda s: _with(s, "0.m", "abc"), TypeError, ["state_dict['0.m']"]),
    (Adam, lambda s: _with(s, "0.step", 0), ValueError, ["state_dict['0.step']"]),
    (Adam, lambda s: _with(s, "0.step", -2), ValueError, ["state_dict['0.step']"]),
    (Adam, lambda s: _with(s, "1.step", 2.0), TypeError, ["state_dict['1.step']"]),
    (Adam, lambda s: _with(s, "1.step", True), TypeError, ["state_dict['1.step']"]),
    (Adam, lambda s: _with(s, "1.step", np.array([2, 2])), TypeError, ["state_dict['1.step']"]),
    (Adam, lambda s: _with(s, "num_params", -1), ValueError, ["num_params"]),
    (Adam, lambda s: _with(s, "num_params", 2.0), TypeError, ["num_params"]),
    (Adam, lambda s: _with(s, "num_params", True), TypeError, ["num_params"]),
    (Adam, lambda s: _with(s, "num_params", 10**12), ValueError, ["num_params", "10"]),
    (Adam, lambda s: _with(s, "num_params", 1), ValueError, ["unexpected", "1.m"]),
    (Adam, lambda s: _without(s, "1.v"), ValueError, ["missing", "1.v"]),
    (Adam, lambda s: _without(s, "beta_2"), ValueError, ["missing", "beta_2"]),
    (Adam, lambda s: _with(s, "momentum", 0.9), ValueError, ["unexpected", "momentum"]),
    (Adam, lambda s: _with(s, "epsilon", 0.0), ValueError, ["epsilon"]),
    (Adam, lambda s: _with(s, "amsgrad", "no"), TypeError, ["amsgrad"]),
    (AdamW, lambda s: _with(s, "weight_decay", -0.1), ValueError, ["weight_decay"]),
    (lambda: SGD(momentum=0.9), lambda s: _with(s, "momentum", 1.0), ValueError, ["momentum"]),
    (Adam, lambda s: [("num_params", 0)], TypeError, ["state_dict"]),
]


@pytest.mark.parametrize("make, corrupt, error, words", LOAD_CASES)
def test_a_rejected_load_state_dict_leaves_the_optimizer_exactly_as_it_was(make, corrupt, error,
                                                                           words):
    optimizer, twin = _trained(make), _trained(make)
    before = optimizer.state_dict()
    with pytest.raises(error) as excinfo:
        optimizer.load_state_dict(corrupt(optimizer.state_dict()))
    assert_one_sentence_naming(excinfo, *words)
    _state_equal(optimizer.state_dict(), before)
    # ... and it goes on exactly as its twin that saw no bad load
    params = [Parameter(np.array([1.0, -2.0, 3.0])), Parameter(np.array([[0.5], [0.25]]))]
    twin_params = [Parameter(p.data) for p in params]
    for group in (params, twin_params):
        for p in group:
            p.grad[...] = 0.5
    optimizer.step(params)
    twin.step(twin_params)
    for p, q in zip(params, twin_params):
        np.testing.assert_array_equal(p.data, q.data)


def test_num_params_false_on_a_fresh_optimizer_is_rejected():
    optimizer = Adam()
    with pytest.raises(TypeError) as excinfo:
        optimizer.load_state_dict(_with(optimizer.state_dict(), "num_params", False))
    assert_one_sentence_naming(excinfo, "num_params")


# ---- non-finite gradients: IEEE, NaN in and NaN out, exactly like torch.optim --------------------


def _torch():
    return pytest.importorskip("torch")  # the yardstick only; the rule is tested without it below


TORCH_PAIRS = [
    (lambda: SGD(learning_rate=0.1), lambda p: _torch().optim.SGD(p, lr=0.1)),
    (lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
     lambda p: _torch().optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    (lambda: RMSProp(learning_rate=0.01),
     lambda p: _torch().optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-7)),
    (lambda: RMSProp(learning_rate=0.01, centered=True, momentum=0.9),
     lambda p: _torch().optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-7, centered=True,
                                      momentum=0.9)),
    (lambda: Adam(learning_rate=0.01), lambda p: _torch().optim.Adam(p, lr=0.01)),
    (lambda: Adam(learning_rate=0.01, amsgrad=True),
     lambda p: _torch().optim.Adam(p, lr=0.01, amsgrad=True)),
    (lambda: AdamW(learning_rate=0.01, weight_decay=0.1),
     lambda p: _torch().optim.AdamW(p, lr=0.01, weight_decay=0.1)),
]


TORCH_IDS = ["SGD", "Nesterov", "RMSProp", "RMSProp-centered-momentum", "Adam", "AMSGrad", "AdamW"]


@pytest.mark.parametrize("make, make_torch", TORCH_PAIRS,
                         ids=TORCH_IDS)
def test_non_finite_gradients_give_exactly_the_non_finite_values_torch_gives(make, make_torch):
    torch = _torch()
    gradients = [np.array([0.5, NAN, INF, -INF, 0.0, -2.0]),
                 np.array([1.0, 1.0, 1.0, 1.0, NAN, 0.25]),
                 np.array([-0.5, 0.5, 0.0, 2.0, 1.0, INF])]
    start = np.array([1.0, -2.0, 3.0, 0.5, 0.0, INF])
    param, tensor = Parameter(start), torch.tensor(start, requires_grad=True)
    optimizer, torch_optimizer = make(), make_torch([tensor])
    with np.errstate(all="ignore"):
        for gradient in gradients:
            param.grad[...] = gradient
            optimizer.step([param])
            tensor.grad = torch.tensor(gradient)
            torch_optimizer.step()
            expected = tensor.detach().numpy()
            np.testing.assert_array_equal(np.isnan(param.data), np.isnan(expected))
            np.testing.assert_allclose(param.data, expected, rtol=1e-12, atol=0)
    assert np.isnan(param.data[1]) and np.isfinite(param.data[0])


@pytest.mark.parametrize("make", [make for make, _ in TORCH_PAIRS],
                         ids=TORCH_IDS)
def test_a_nan_gradient_makes_exactly_its_own_element_nan_and_is_never_skipped(make):
    param, optimizer = Parameter(np.array([1.0, -2.0, 3.0])), make()
    with np.errstate(all="ignore"):
        param.grad[...] = [0.5, NAN, -1.0]
        optimizer.step([param])
    assert np.isnan(param.data[1])
    assert np.all(np.isfinite(param.data[[0, 2]])) and param.data[0] < 1.0 and param.data[2] > 3.0


def test_a_state_made_non_finite_by_a_nan_gradient_cannot_be_loaded_back():
    optimizer, param = Adam(), Parameter(np.ones(2))
    param.grad[...] = [NAN, 1.0]
    optimizer.step([param])
    state = optimizer.state_dict()
    assert np.isnan(state["0.m"][0]) and np.isnan(param.data[0]) and np.isfinite(param.data[1])
    with pytest.raises(ValueError) as excinfo:
        Adam().load_state_dict(state)
    assert_one_sentence_naming(excinfo, "state_dict['0.m']", "finite")


# ---- Parameter ---------------------------------------------------------------------------------


@pytest.mark.parametrize("data, error, words", [
    (np.array([True, False]), TypeError, ["data", "bool"]),
    (np.zeros(3, dtype=np.float16), TypeError, ["data", "float16"]),
    *([(np.zeros(3, dtype=np.longdouble), TypeError, ["data", np.dtype(np.longdouble).name])]
      if np.dtype(np.longdouble) != np.float64 else []),
    (np.array([1j]), TypeError, ["data", "complex"]),
    (np.array(["1.0"]), TypeError, ["data", "<U3"]),
    ("1.0", TypeError, ["data", "<U3"]),
    (None, TypeError, ["data", "object"]),
    ([1.0, "a"], TypeError, ["data"]),
], ids=lambda value: None)
def test_parameter_rejects_what_is_not_float32_or_float64_data(data, error, words):
    with pytest.raises(error) as excinfo:
        Parameter(data)
    assert_one_sentence_naming(excinfo, *words)


@pytest.mark.parametrize("data, dtype", [([1, 2], np.float64), (np.array([1, 2], np.int8),
                                         np.float64), (np.ones(2, np.float32), np.float32),
                                         (np.ones(2), np.float64)])
def test_parameter_keeps_float32_and_float64_and_turns_integers_to_float64(data, dtype):
    p = Parameter(data)
    assert p.data.dtype == dtype and p.grad.dtype == dtype
    np.testing.assert_array_equal(p.data, np.asarray(data, dtype=dtype))
    assert not np.shares_memory(p.data, np.asarray(data))


@pytest.mark.parametrize("grad, error, words", [
    (np.zeros(4), ValueError, ["params[1].grad", "(2, 3)", "(4,)"]),
    (np.zeros((3, 2)), ValueError, ["params[1].grad", "(2, 3)", "(3, 2)"]),
    (np.zeros((2, 3), dtype=np.complex128), TypeError, ["params[1].grad", "complex"]),
    (np.zeros((2, 3), dtype=bool), TypeError, ["params[1].grad", "bool"]),
    (np.zeros((2, 3), dtype=np.float16), TypeError, ["params[1].grad", "float16"]),
    (np.zeros((2, 3), dtype=np.longdouble), TypeError, ["params[1].grad"]),
    (np.zeros((2, 3)).tolist(), TypeError, ["params[1].grad", "list"]),
    (None, TypeError, ["params[1].grad", "NoneType"]),
], ids=lambda value: None)
def test_an_assigned_gradient_of_another_shape_or_dtype_is_rejected_by_the_step(grad, error,
                                                                                 words):
    # ``.grad`` is a plain attribute (layers write it in place); the step checks it.
    first, second = Parameter(np.ones(2)), Parameter(np.ones((2, 3)))
    first.grad[...] = 1.0
    second.grad = grad
    optimizer = Adam()
    with pytest.raises(error) as excinfo:
        optimizer.step([first, second])
    assert_one_sentence_naming(excinfo, *words)
    np.testing.assert_array_equal(first.data, np.ones(2))
    assert optimizer.state_dict()["num_params"] == 0


@pytest.mark.parametrize("grad_dtype", [np.float64, np.int64, np.float32])
def test_an_assigned_gradient_of_another_real_dtype_steps_in_the_parameters_dtype(grad_dtype):
    p, q = Parameter(np.ones(3, dtype=np.float32)), Parameter(np.ones(3, dtype=np.float32))
    p.grad = np.array([2, -1, 0], dtype=grad_dtype)
    q.grad[...] = [2, -1, 0]
    SGD(learning_rate=0.125).step([p])
    SGD(learning_rate=0.125).step([q])
    assert p.data.dtype == np.float32
    np.testing.assert_array_equal(p.data, [0.75, 1.125, 1.0])
    np.testing.assert_array_equal(p.data, q.data)


# ---- landscapes.trajectory ---------------------------------------------------------------------


@pytest.mark.parametrize("gradient, error, words", [
    (lambda point: np.array([1j, 0.0]), TypeError, ["gradient", "complex"]),
    (lambda point: np.array(["a", "b"]), TypeError, ["gradient", "<U1"]),
    (lambda point: [[1.0, 2.0]], ValueError, ["gradient", "(1, 2)", "(2,)"]),
    (lambda point: None, TypeError, ["gradient", "object"]),
], ids=["complex", "strings", "shape", "None"])
def test_trajectory_rejects_a_gradient_that_is_not_a_real_point(gradient, error, words):
    with pytest.raises(error) as excinfo:
        trajectory(SGD(), gradient, [1.0, 2.0], steps=3)
    assert_one_sentence_naming(excinfo, *words)


def test_trajectory_with_a_nan_gradient_follows_ieee_arithmetic():
    path = trajectory(SGD(learning_rate=0.1), lambda point: np.array([NAN, point[1]]),
                      [1.0, 2.0], steps=2)
    np.testing.assert_array_equal(np.isnan(path[:, 0]), [False, True, True])
    np.testing.assert_allclose(path[:, 1], [2.0, 1.8, 1.62], rtol=1e-15)


@pytest.mark.parametrize("angle, error", [("0.5", TypeError), (True, TypeError),
                                          (None, TypeError), (1j, TypeError), (INF, ValueError)])
def test_quadratic_angle_must_be_a_finite_real(angle, error):
    with pytest.raises(error) as excinfo:
        quadratic_grad([1.0, 1.0], angle=angle)
    assert_one_sentence_naming(excinfo, "angle")
