"""Tests for dlbook.optim: hand-computed steps, bias correction, convergence, state, bad input."""

import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbook import Parameter
from dlbook import base_optimizer
from dlbook.landscapes import quadratic, quadratic_grad, rosenbrock, rosenbrock_grad, trajectory
from dlbook.optim import SGD, Adam, AdamW, RMSProp, adam_step

RTOL = 1e-12

P0 = np.array([1.0, -2.0, 3.0])
G1 = np.array([0.5, 1.0, -2.0])
G2 = np.array([1.0, -1.0, 0.25])


def two_steps(optimizer, p0=P0, g1=G1, g2=G2):
    """Run two steps on one parameter; return the parameter after each."""
    param = Parameter(p0)
    param.grad[...] = g1
    optimizer.step([param])
    p1 = param.data.copy()
    param.grad[...] = g2
    optimizer.step([param])
    return p1, param.data.copy()


# ---------------------------------------------------------------------------------------------
# Hand-computed first and second steps


def test_sgd_plain_steps_by_hand():
    p1, p2 = two_steps(SGD(learning_rate=0.1))
    # p1 = p0 - 0.1 g1; p2 = p1 - 0.1 g2
    np.testing.assert_allclose(p1, [0.95, -2.1, 3.2], rtol=RTOL)
    np.testing.assert_allclose(p2, [0.85, -2.0, 3.175], rtol=RTOL)


def test_sgd_momentum_steps_by_hand():
    p1, p2 = two_steps(SGD(learning_rate=0.1, momentum=0.9))
    # v1 = g1 = [0.5, 1, -2];  p1 = p0 - 0.1 v1
    np.testing.assert_allclose(p1, [0.95, -2.1, 3.2], rtol=RTOL)
    # v2 = 0.9 v1 + g2 = [1.45, -0.1, -1.55];  p2 = p1 - 0.1 v2
    np.testing.assert_allclose(p2, [0.805, -2.09, 3.355], rtol=RTOL)


def test_sgd_nesterov_steps_by_hand():
    p1, p2 = two_steps(SGD(learning_rate=0.1, momentum=0.9, nesterov=True))
    # v1 = g1;  p1 = p0 - 0.1 (g1 + 0.9 v1) = p0 - 0.19 g1
    np.testing.assert_allclose(p1, [0.905, -2.19, 3.38], rtol=RTOL)
    # v2 = [1.45, -0.1, -1.55];  g2 + 0.9 v2 = [2.305, -1.09, -1.145];  p2 = p1 - 0.1 (that)
    np.testing.assert_allclose(p2, [0.6745, -2.081, 3.4945], rtol=RTOL)


def test_rmsprop_steps_by_hand():
    lr, eps = 0.01, 1e-7
    p1, p2 = two_steps(RMSProp(learning_rate=lr, rho=0.9, epsilon=eps))
    # s1 = 0.1 g1^2 = [0.025, 0.1, 0.4]
    s1 = [0.025, 0.1, 0.4]
    expected_p1 = [P0[i] - lr * G1[i] / (math.sqrt(s1[i]) + eps) for i in range(3)]
    np.testing.assert_allclose(p1, expected_p1, rtol=RTOL)
    # s2 = 0.9 s1 + 0.1 g2^2 = [0.1225, 0.19, 0.36625]
    s2 = [0.1225, 0.19, 0.36625]
    expected_p2 = [expected_p1[i] - lr * G2[i] / (math.sqrt(s2[i]) + eps) for i in range(3)]
    np.testing.assert_allclose(p2, expected_p2, rtol=RTOL)


def test_adam_steps_by_hand():
    lr, eps = 0.1, 1e-8
    p1, p2 = two_steps(Adam(learning_rate=lr, epsilon=eps))
    # Step 1: m = 0.1 g1, v = 0.001 g1^2, m_hat = g1, v_hat = g1^2: p1 = p0 - lr g1 / (|g1| + eps)
    expected_p1 = [P0[i] - lr * G1[i] / (abs(G1[i]) + eps) for i in range(3)]
    np.testing.assert_allclose(p1, expected_p1, rtol=RTOL)
    # Step 2: m = 0.09 g1 + 0.1 g2, v = 0.000999 g1^2 + 0.001 g2^2,
    # m_hat = m / (1 - 0.81) = m / 0.19, v_hat = v / (1 - 0.998001) = v / 0.001999.
    expected_p2 = []
    for i in range(3):
        m = 0.09 * G1[i] + 0.1 * G2[i]
        v = 0.000999 * G1[i] ** 2 + 0.001 * G2[i] ** 2
        expected_p2.append(expected_p1[i] - lr * (m / 0.19) / (math.sqrt(v / 0.001999) + eps))
    np.testing.assert_allclose(p2, expected_p2, rtol=RTOL)


def test_adam_epsilon_is_added_to_the_root_not_inside_it():
    # With a tiny gradient, eps inside the root or the "epsilon hat" variant would give a
    # visibly different first step: here lr * g / (|g| + eps) = 0.1 * 1e-8 / 2e-8 = 0.05.
    p1, _ = two_steps(Adam(learning_rate=0.1, epsilon=1e-8), p0=np.zeros(1),
                      g1=np.array([1e-8]), g2=np.array([0.0]))
    np.testing.assert_allclose(p1, [-0.05], rtol=1e-9)


def test_amsgrad_steps_by_hand():
    lr, eps = 0.1, 1e-8
    g1, g2 = np.array([4.0, -2.0]), np.array([0.5, -3.0])
    p1, p2 = two_steps(Adam(learning_rate=lr, epsilon=eps, amsgrad=True), p0=np.zeros(2),
                       g1=g1, g2=g2)
    expected_p1 = [-lr * g1[i] / (abs(g1[i]) + eps) for i in range(2)]
    np.testing.assert_allclose(p1, expected_p1, rtol=RTOL)
    # v1 = 0.001 g1^2 = [0.016, 0.004]; v2 = 0.999 v1 + 0.001 g2^2 = [0.016234, 0.012996]
    # v_max = max(v1, v2) = [0.016234, 0.012996]: here both grew, so also check a decrease below.
    v_max = [0.016234, 0.012996]
    expected_p2 = []
    for i in range(2):
        m = 0.09 * g1[i] + 0.1 * g2[i]
        denominator = math.sqrt(v_max[i] / 0.001999) + eps
        expected_p2.append(expected_p1[i] - lr * (m / 0.19) / denominator)
    np.testing.assert_allclose(p2, expected_p2, rtol=RTOL)


def test_amsgrad_uses_the_old_maximum_when_v_decreases():
    lr, eps = 0.1, 1e-8
    g1, g2 = np.array([4.0]), np.array([0.1])
    _, p2_ams = two_steps(Adam(learning_rate=lr, epsilon=eps, amsgrad=True), p0=np.zeros(1),
                          g1=g1, g2=g2)
    _, p2_adam = two_steps(Adam(learning_rate=lr, epsilon=eps), p0=np.zeros(1), g1=g1, g2=g2)
    # v1 = 0.016; v2 = 0.999 * 0.016 + 0.001 * 0.01 = 0.015994 < v1, so v_max = v1 = 0.016.
    m = 0.09 * 4.0 + 0.1 * 0.1
    p1 = -lr * 4.0 / (4.0 + eps)
    expected_ams = p1 - lr * (m / 0.19) / (math.sqrt(0.016 / 0.001999) + eps)
    expected_adam = p1 - lr * (m / 0.19) / (math.sqrt(0.015994 / 0.001999) + eps)
    np.testing.assert_allclose(p2_ams, [expected_ams], rtol=RTOL)
    np.testing.assert_allclose(p2_adam, [expected_adam], rtol=RTOL)
    assert p2_ams[0] != p2_adam[0]


def test_adamw_steps_by_hand():
    lr, wd, eps = 0.1, 0.5, 1e-8
    p1, p2 = two_steps(AdamW(learning_rate=lr, weight_decay=wd, epsilon=eps))
    # Decay first: p <- p (1 - lr wd) = 0.95 p, then the Adam step.
    expected_p1 = [0.95 * P0[i] - lr * G1[i] / (abs(G1[i]) + eps) for i in range(3)]
    np.testing.assert_allclose(p1, expected_p1, rtol=RTOL)
    expected_p2 = []
    for i in range(3):
        m = 0.09 * G1[i] + 0.1 * G2[i]
        v = 0.000999 * G1[i] ** 2 + 0.001 * G2[i] ** 2
        denominator = math.sqrt(v / 0.001999) + eps
        expected_p2.append(0.95 * expected_p1[i] - lr * (m / 0.19) / denominator)
    np.testing.assert_allclose(p2, expected_p2, rtol=RTOL)


def test_adamw_without_decay_is_adam_exactly():
    rng = np.random.default_rng(0)
    p0, g1, g2 = rng.standard_normal((3, 7))
    a1, a2 = two_steps(Adam(learning_rate=0.01), p0, g1, g2)
    w1, w2 = two_steps(AdamW(learning_rate=0.01, weight_decay=0.0), p0, g1, g2)
    np.testing.assert_array_equal(a1, w1)
    np.testing.assert_array_equal(a2, w2)


# ---------------------------------------------------------------------------------------------
# Bias correction


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_adam_first_step_is_learning_rate_times_sign_whatever_the_scale(scale):
    g = scale * np.array([0.3, -2.0, 5.0, -0.01 / scale + 1.0])
    p1, _ = two_steps(Adam(learning_rate=0.01), p0=np.zeros(4), g1=g, g2=g)
    np.testing.assert_allclose(p1, -0.01 * np.sign(g), rtol=1e-4)


@pytest.mark.parametrize("beta_1, beta_2", [(0.9, 0.999), (0.8, 0.99), (0.5, 0.75)])
def test_first_step_without_bias_correction_is_smaller_by_the_known_factor(beta_1, beta_2):
    g = np.array([0.3, -2.0, 5.0])
    zeros = np.zeros(3)
    kwargs = dict(learning_rate=0.01, beta_1=beta_1, beta_2=beta_2, epsilon=1e-300)
    corrected, _, _ = adam_step(zeros, g, zeros, zeros, 1, **kwargs)
    uncorrected, _, _ = adam_step(zeros, g, zeros, zeros, 1, bias_correction=False, **kwargs)
    factor = (1 - beta_1) / math.sqrt(1 - beta_2)
    np.testing.assert_allclose(corrected, -0.01 * np.sign(g), rtol=RTOL)
    np.testing.assert_allclose(uncorrected, factor * corrected, rtol=RTOL)


def test_amsgrad_v_max_never_decreases():
    # The gradients shrink, so Adam's v decreases; AMSGrad's v_max must not. (The bias
    # correction 1 / (1 - beta_2^t) shrinks with t in both variants; v_max is what AMSGrad keeps.)
    optimizer = Adam(learning_rate=0.01, amsgrad=True)
    param = Parameter(np.zeros(3))
    previous_v_max = np.zeros(3)
    decreased = False
    previous_v = np.zeros(3)
    for t in range(1, 60):
        param.grad[...] = np.array([1.0, -2.0, 0.5]) * 0.8**t
        optimizer.step([param])
        state = optimizer.state_dict()
        assert np.all(state["0.v_max"] >= previous_v_max)
        assert np.all(state["0.v_max"] >= state["0.v"])
        decreased |= bool(np.any(state["0.v"] < previous_v))
        previous_v_max, previous_v = state["0.v_max"], state["0.v"]
    assert decreased  # the scenario did make v decrease


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6).filter(lambda x: abs(x) > 1e-4), min_size=1, max_size=8),
    st.floats(1e-4, 1.0),
)
def test_adam_first_step_never_exceeds_the_learning_rate(gradient, learning_rate):
    g = np.array(gradient)
    p1, _ = two_steps(Adam(learning_rate=learning_rate), p0=np.zeros(g.size), g1=g, g2=g)
    assert np.all(np.abs(p1) <= learning_rate * (1 + 1e-12))
    assert np.all(np.sign(p1) == -np.sign(g))


# ---------------------------------------------------------------------------------------------
# One implementation: the functional form and the classes


def test_adam_step_matches_the_class_exactly_and_leaves_its_inputs_alone():
    rng = np.random.default_rng(1)
    p0 = rng.standard_normal((4, 3))
    grads = rng.standard_normal((5, 4, 3))
    for amsgrad in (False, True):
        optimizer = Adam(learning_rate=0.05, beta_1=0.8, beta_2=0.95, epsilon=1e-6,
                         amsgrad=amsgrad)
        param = Parameter(p0)
        p, m, v, v_max = p0.copy(), np.zeros_like(p0), np.zeros_like(p0), np.zeros_like(p0)
        for t, g in enumerate(grads, start=1):
            param.grad[...] = g
            optimizer.step([param])
            inputs = [p.copy(), m.copy(), v.copy(), v_max.copy()]
            kwargs = dict(learning_rate=0.05, beta_1=0.8, beta_2=0.95, epsilon=1e-6)
            if amsgrad:
                new_p, m, v, v_max_new = adam_step(p, g, m, v, t, v_max=v_max, **kwargs)
            else:
                new_p, m, v = adam_step(p, g, m, v, t, **kwargs)
                v_max_new = v_max
            np.testing.assert_array_equal(p, inputs[0])  # inputs untouched
            np.testing.assert_array_equal(v_max, inputs[3])
            p, v_max = new_p, v_max_new
            np.testing.assert_array_equal(param.data, p)
        state = optimizer.state_dict()
        np.testing.assert_array_equal(state["0.m"], m)
        np.testing.assert_array_equal(state["0.v"], v)
        if amsgrad:
            np.testing.assert_array_equal(state["0.v_max"], v_max)


def test_adam_step_with_weight_decay_matches_adamw():
    rng = np.random.default_rng(2)
    p0, g = rng.standard_normal((2, 6))
    optimizer = AdamW(learning_rate=0.01, weight_decay=0.1)
    param = Parameter(p0)
    param.grad[...] = g
    optimizer.step([param])
    p1, _, _ = adam_step(p0, g, np.zeros(6), np.zeros(6), 1, learning_rate=0.01,
                         weight_decay=0.1)
    np.testing.assert_array_equal(param.data, p1)


def test_adam_step_returns_v_max_only_when_given():
    zeros = np.zeros(2)
    plain = adam_step(zeros, np.ones(2), zeros, zeros, 1)
    amsgrad = adam_step(zeros, np.ones(2), zeros, zeros, 1, v_max=zeros)
    assert len(plain) == 3
    assert len(amsgrad) == 4
    # From v_max = 0 the first v_max is v = 0.001 g^2, so the first step is Adam's: -lr g/(g+eps)
    np.testing.assert_allclose(amsgrad[3], [0.001, 0.001], rtol=RTOL)
    for ours, adams in zip(amsgrad, plain):
        np.testing.assert_array_equal(ours, adams)
    np.testing.assert_allclose(plain[0], [-0.001 / (1 + 1e-8)] * 2, rtol=RTOL)


# ---------------------------------------------------------------------------------------------
# Chunks, layouts and dtypes


def whole_array_steps(name, p, grads):
    """The update formulas typed on whole float32 arrays, in the order of their docstrings
    (Adam's scalars folded as its docstring says): the unchunked reference."""
    p = p.copy()
    m, v, s, v_max = (np.zeros_like(p) for _ in range(4))
    for t, g in enumerate(grads, start=1):
        if name == "nesterov":  # lr 0.1, mu 0.9
            v = v * 0.9 + g
            p = p - (v * 0.9 + g) * 0.1
        elif name == "rmsprop":  # lr 0.01, rho 0.9, eps 1e-7
            s = s * 0.9 + np.square(g) * (1 - 0.9)
            p = p - g / (np.sqrt(s) + 1e-7) * 0.01
        else:  # adam with amsgrad, or adamw (decay 0.1): lr 0.01, betas 0.9 and 0.999, eps 1e-8
            if name == "adamw":
                p = p * (1.0 - 0.01 * 0.1)
            m = m * 0.9 + g * (1 - 0.9)
            v = v * 0.999 + np.square(g) * (1 - 0.999)
            if name == "amsgrad":
                v_max = np.maximum(v_max, v)
            root_c_2 = math.sqrt(1 - 0.999**t)
            denominator = np.sqrt(v_max if name == "amsgrad" else v) + 1e-8 * root_c_2
            p = p - m / denominator * (0.01 * root_c_2 / (1 - 0.9**t))
    return p


CHUNKED = {
    "nesterov": lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    "rmsprop": lambda: RMSProp(learning_rate=0.01),
    "amsgrad": lambda: Adam(learning_rate=0.01, amsgrad=True),
    "adamw": lambda: AdamW(learning_rate=0.01, weight_decay=0.1),
}


@pytest.mark.parametrize("name", list(CHUNKED))
def test_chunked_update_of_a_large_array_equals_the_whole_array_formula(name, monkeypatch):
    # 5.05 chunks of 1 MiB: several whole chunks and a partial last one. The update must
    # equal the formula computed on whole arrays exactly, for every chunk size and for a
    # non-contiguous parameter (updated unchunked).
    rng = np.random.default_rng(3)
    size = 5 * base_optimizer.CHUNK_BYTES // 4 + 12345
    p0 = rng.standard_normal(size).astype(np.float32)
    grads = rng.standard_normal((3, size)).astype(np.float32)

    def run(chunk_bytes, contiguous):
        monkeypatch.setattr(base_optimizer, "CHUNK_BYTES", chunk_bytes)
        param = Parameter(p0)
        if not contiguous:
            holder = np.zeros((size, 2), dtype=np.float32)
            holder[:, 0] = p0
            param.data = holder[:, 0]
        optimizer = CHUNKED[name]()
        for g in grads:
            param.grad = g.copy()
            optimizer.step([param])
        assert param.data.dtype == np.float32
        return param.data.copy()

    expected = whole_array_steps(name, p0, grads)
    assert expected.dtype == np.float32
    np.testing.assert_array_equal(run(2**20, True), expected)
    np.testing.assert_array_equal(run(4000, True), expected)
    np.testing.assert_array_equal(run(2**20, False), expected)
    assert not np.array_equal(expected, p0)


@pytest.mark.parametrize("make", [
    lambda: SGD(learning_rate=0.1),
    lambda: SGD(learning_rate=0.1, momentum=0.9),
    lambda: RMSProp(),
    lambda: Adam(amsgrad=True),
    lambda: AdamW(),
])
@pytest.mark.parametrize("grad_dtype", [np.float32, np.float64])
def test_float32_parameters_stay_float32_and_are_updated_in_place(make, grad_dtype):
    param = Parameter(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4))
    data = param.data
    optimizer = make()
    for _ in range(3):
        param.grad = np.full((3, 4), 0.25, dtype=grad_dtype)
        optimizer.step([param])
    assert param.data is data
    assert param.data.dtype == np.float32
    assert not np.array_equal(data, np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4))
    # The same steps in float64 give the same numbers to float32's precision.
    param64 = Parameter(np.linspace(-1, 1, 12).reshape(3, 4))
    optimizer64 = make()
    for _ in range(3):
        param64.grad[...] = 0.25
        optimizer64.step([param64])
    np.testing.assert_allclose(param.data, param64.data, rtol=1e-5, atol=1e-6)
    for key, value in optimizer.state_dict().items():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32, key


def test_adam_step_keeps_float32():
    p = np.ones(3, dtype=np.float32)
    results = adam_step(p, np.ones(3, dtype=np.float32), np.zeros(3, np.float32),
                        np.zeros(3, np.float32), 1)
    assert all(result.dtype == np.float32 for result in results)
    # m = 0.1 g, v = 0.001 g^2, p = 1 - lr g / (|g| + eps) with g = 1 and lr = 0.001
    for result, expected in zip(results, (1 - 0.001 / (1 + 1e-8), 0.1, 0.001)):
        np.testing.assert_allclose(result, np.full(3, expected), rtol=1e-6)


def test_several_parameters_keep_their_own_state():
    a, b = Parameter(np.zeros(2)), Parameter(np.zeros((2, 2)))
    optimizer = Adam(learning_rate=0.1)
    a.grad[...] = [1.0, -1.0]
    b.grad[...] = 1e-3
    optimizer.step([a, b])
    a.grad[...] = 0.0
    b.grad[...] = 0.0
    optimizer.step([a, b])
    state = optimizer.state_dict()
    assert state["num_params"] == 2 and state["0.step"] == 2 and state["1.step"] == 2
    np.testing.assert_allclose(state["0.m"], [0.09, -0.09], rtol=RTOL)
    np.testing.assert_allclose(state["1.m"], np.full((2, 2), 0.09e-3), rtol=RTOL)


# ---------------------------------------------------------------------------------------------
# Convergence


QUADRATIC = functools.partial(quadratic_grad, condition_number=10.0, angle=0.5)


@pytest.mark.parametrize("optimizer, tolerance", [
    (SGD(learning_rate=0.1), 1e-10),
    (SGD(learning_rate=0.05, momentum=0.9), 1e-8),
    (SGD(learning_rate=0.05, momentum=0.9, nesterov=True), 1e-8),
    (RMSProp(learning_rate=0.01), 2e-2),  # a constant step size: it ends oscillating ~lr
    (Adam(learning_rate=0.05), 1e-6),
    (Adam(learning_rate=0.05, amsgrad=True), 1e-6),
    (AdamW(learning_rate=0.05, weight_decay=0.01), 1e-6),
], ids=repr)
def test_each_optimizer_reaches_the_minimum_of_a_convex_quadratic(optimizer, tolerance):
    path = trajectory(optimizer, QUADRATIC, [1.5, -1.0], steps=500)
    assert np.linalg.norm(path[0]) > 1.5
    assert np.linalg.norm(path[-1]) < tolerance
    assert quadratic(path[-1], condition_number=10.0, angle=0.5) < tolerance


def test_adam_reaches_the_rosenbrock_minimum_within_2500_steps():
    # From (-1.5, 2) Adam(0.02) first comes within 0.01 of (1, 1) after about 2000 steps.
    path = trajectory(Adam(learning_rate=0.02), rosenbrock_grad, [-1.5, 2.0], steps=2500)
    distance = np.linalg.norm(path - [1.0, 1.0], axis=1)
    assert distance[0] > 2.5
    assert distance[-1] < 0.01
    assert rosenbrock(path[-1]) < 1e-4


# ---------------------------------------------------------------------------------------------
# state_dict


def deterministic_gradient(p, t):
    """A gradient that depends on the parameter and the step, so the path is sensitive."""
    return 0.5 * p + np.sin(3.0 * t + np.arange(p.size).reshape(p.shape))


@pytest.mark.parametrize("make", [
    lambda: SGD(learning_rate=0.05),
    lambda: SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    lambda: RMSProp(learning_rate=0.01, rho=0.8, epsilon=1e-6),
    lambda: Adam(learning_rate=0.01, beta_1=0.85, amsgrad=True),
    lambda: Adam(learning_rate=0.01),
    lambda: AdamW(learning_rate=0.01, weight_decay=0.2),
], ids=["sgd", "nesterov", "rmsprop", "amsgrad", "adam", "adamw"])
def test_state_dict_round_trip_resumes_bit_for_bit(make, tmp_path):
    rng = np.random.default_rng(4)
    starts = [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(5)]

    def train(optimizer, params, steps, first_step):
        for t in range(first_step, first_step + steps):
            for p in params:
                p.grad[...] = deterministic_gradient(p.data, t)
            optimizer.step(params)

    straight = [Parameter(start) for start in starts]
    train(make(), straight, 20, 1)

    params = [Parameter(start) for start in starts]
    first = make()
    train(first, params, 10, 1)
    np.savez(tmp_path / "state.npz", **first.state_dict())
    with np.load(tmp_path / "state.npz", allow_pickle=False) as saved:
        # Built with other hyperparameters: loading restores the saved ones.
        second = type(first)(learning_rate=0.5)
        second.load_state_dict(saved)
    assert repr(second) == repr(first)
    train(second, params, 10, 11)
    for p, q in zip(params, straight):
        np.testing.assert_array_equal(p.data, q.data)
    assert second.state_dict()["0.step"] == 20


def test_state_dict_is_flat_numbers_and_arrays_and_a_copy():
    optimizer = Adam(amsgrad=True)
    assert optimizer.state_dict() == {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                                      "epsilon": 1e-8, "amsgrad": True, "num_params": 0}
    param = Parameter(np.ones(3))
    param.grad[...] = 1.0
    optimizer.step([param])
    state = optimizer.state_dict()
    assert set(state) == {"learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad",
                          "num_params", "0.step", "0.m", "0.v", "0.v_max"}
    assert all(isinstance(value, (int, float, bool, np.ndarray)) for value in state.values())
    state["0.m"][...] = 123.0
    assert not np.any(optimizer.state_dict()["0.m"] == 123.0)
    assert set(SGD().state_dict()) == {"learning_rate", "momentum", "nesterov", "num_params"}
    assert set(AdamW().state_dict()) == {"learning_rate", "weight_decay", "beta_1", "beta_2",
                                         "epsilon", "num_params"}


def trained_adam():
    optimizer = Adam(learning_rate=0.01)
    param = Parameter(np.ones(3))
    param.grad[...] = 1.0
    optimizer.step([param])
    return optimizer


@pytest.mark.parametrize("change, error, match", [
    (lambda s: s.pop("beta_1"), ValueError, "missing.*beta_1"),
    (lambda s: s.pop("0.v"), ValueError, "missing.*0.v"),
    (lambda s: s.update({"momentum": 0.9}), ValueError, "unexpected.*momentum"),
    (lambda s: s.update({"num_params": 2}), ValueError, "missing.*1.m"),
    (lambda s: s.update({"num_params": -1}), ValueError, "num_params"),
    (lambda s: s.update({"beta_2": 1.0}), ValueError, "beta_2"),
    (lambda s: s.update({"0.step": 0}), ValueError, "0.step"),
    (lambda s: s.update({"0.v": np.zeros(4)}), ValueError, "0.v"),
    (lambda s: s.update({"0.m": np.zeros(3, dtype=int)}), TypeError, "0.m"),
], ids=["no-hyper", "no-array", "extra-key", "num-params", "negative", "beta", "step", "shape",
        "dtype"])
def test_load_state_dict_rejects_bad_state_and_changes_nothing(change, error, match):
    optimizer = trained_adam()
    before = optimizer.state_dict()
    state = optimizer.state_dict()
    change(state)
    with pytest.raises(error, match=match):
        optimizer.load_state_dict(state)
    after = optimizer.state_dict()
    assert set(after) == set(before)
    for key in before:
        np.testing.assert_array_equal(after[key], before[key])


def test_load_state_dict_rejects_another_optimizers_state():
    with pytest.raises(ValueError, match="momentum"):
        SGD().load_state_dict(trained_adam().state_dict())
    with pytest.raises(TypeError, match="state_dict"):
        Adam().load_state_dict([("learning_rate", 0.1)])


def test_loaded_state_must_fit_the_parameters():
    optimizer = Adam()
    optimizer.load_state_dict(trained_adam().state_dict())  # state for one (3,) parameter
    param = Parameter(np.ones(4))
    with pytest.raises(ValueError, match=r"params\[0\].*\(4,\).*\(3,\)"):
        optimizer.step([param])
    np.testing.assert_array_equal(param.data, np.ones(4))


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize("make, match", [
    (lambda: SGD(learning_rate=0.0), "learning_rate"),
    (lambda: SGD(learning_rate=-0.1), "learning_rate"),
    (lambda: Adam(learning_rate=float("nan")), "learning_rate"),
    (lambda: RMSProp(learning_rate=float("inf")), "learning_rate"),
    (lambda: SGD(momentum=-0.1), "momentum"),
    (lambda: SGD(momentum=1.0), "momentum"),
    (lambda: SGD(learning_rate=0.1, nesterov=True), "nesterov"),
    (lambda: RMSProp(rho=1.0), "rho"),
    (lambda: RMSProp(epsilon=-1e-7), "epsilon"),
    (lambda: Adam(beta_1=1.0), "beta_1"),
    (lambda: Adam(beta_1=-0.5), "beta_1"),
    (lambda: Adam(beta_2=1.5), "beta_2"),
    (lambda: Adam(epsilon=-1e-8), "epsilon"),
    (lambda: AdamW(weight_decay=-0.01), "weight_decay"),
    (lambda: AdamW(beta_2=1.0), "beta_2"),
])
def test_bad_hyperparameters_raise_value_error_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("make, match", [
    (lambda: Adam(learning_rate="0.001"), "learning_rate"),
    (lambda: Adam(beta_1=None), "beta_1"),
    (lambda: Adam(amsgrad=1), "amsgrad"),
    (lambda: SGD(nesterov="yes"), "nesterov"),
    (lambda: SGD(learning_rate=True), "learning_rate"),
])
def test_hyperparameters_of_the_wrong_type_raise_type_error(make, match):
    with pytest.raises(TypeError, match=match):
        make()


def test_edge_hyperparameters_are_accepted_and_step_as_their_formulas_say():
    # beta_1 = beta_2 = 0 and an epsilon far below every |g|: m = g, v = g^2, no bias
    # correction left, so every Adam step is lr g / |g| = lr sign(g); rho = 0 makes RMSProp's
    # step the same. (epsilon = 0 is rejected: it would make a zero gradient step by 0 / 0.)
    lr = 0.01
    for optimizer in (Adam(learning_rate=lr, beta_1=0.0, beta_2=0.0, epsilon=1e-300),
                      RMSProp(learning_rate=lr, rho=0.0, epsilon=1e-300)):
        p1, p2 = two_steps(optimizer)
        np.testing.assert_allclose(p1, P0 - lr * np.sign(G1), rtol=RTOL)
        np.testing.assert_allclose(p2, P0 - lr * np.sign(G1) - lr * np.sign(G2), rtol=RTOL)
    # weight_decay = 0: AdamW's first step is Adam's, lr g / (|g| + eps)
    p1, _ = two_steps(AdamW(learning_rate=lr, weight_decay=0.0))
    np.testing.assert_allclose(p1, [P0[i] - lr * G1[i] / (abs(G1[i]) + 1e-8) for i in range(3)],
                               rtol=RTOL)


def test_a_hyperparameter_changed_by_assignment_is_checked_at_the_next_step():
    optimizer = Adam()
    optimizer.learning_rate = -1.0
    param = Parameter(np.ones(2))
    with pytest.raises(ValueError, match="learning_rate"):
        optimizer.step([param])


def test_gradient_of_another_shape_raises_before_anything_is_updated():
    good, bad = Parameter(np.ones(3)), Parameter(np.ones((2, 2)))
    good.grad[...] = 1.0
    bad.grad = np.ones(4)
    optimizer = SGD(learning_rate=0.1)
    with pytest.raises(ValueError, match=r"params\[1\]\.grad.*\(2, 2\).*\(4,\)"):
        optimizer.step([good, bad])
    np.testing.assert_array_equal(good.data, np.ones(3))
    assert optimizer.state_dict()["num_params"] == 0


@pytest.mark.parametrize("params, match", [
    ([np.ones(3)], r"params\[0\]: needs a Parameter, got ndarray"),
    ([Parameter(np.ones(2)), "w"], r"params\[1\]: needs a Parameter, got str"),
    (Parameter(np.ones(2)), "params: needs a list"),
])
def test_non_parameters_raise_type_error(params, match):
    with pytest.raises(TypeError, match=match):
        Adam().step(params)


def test_complex_gradient_raises_type_error():
    param = Parameter(np.ones(2))
    param.grad = np.ones(2, dtype=complex)
    with pytest.raises(TypeError, match=r"params\[0\]\.grad"):
        Adam().step([param])


def test_another_list_of_parameters_raises():
    optimizer = Adam()
    optimizer.step([Parameter(np.ones(2)), Parameter(np.ones(3))])
    with pytest.raises(ValueError, match="state for 2 parameters, got 1"):
        optimizer.step([Parameter(np.ones(2))])
    with pytest.raises(ValueError, match=r"params\[1\]"):
        optimizer.step([Parameter(np.ones(2)), Parameter(np.ones(4))])


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(t=0), ValueError, "t"),
    (dict(t=1.5), TypeError, "t"),
    (dict(g=np.ones(4)), ValueError, "g: needs shape"),
    (dict(m=np.ones((3, 1))), ValueError, "m: needs shape"),
    (dict(v_max=np.ones(2)), ValueError, "v_max: needs shape"),
    (dict(g=np.ones(3, dtype=complex)), TypeError, "g"),
    (dict(learning_rate=0.0), ValueError, "learning_rate"),
    (dict(beta_2=1.0), ValueError, "beta_2"),
    (dict(epsilon=-1.0), ValueError, "epsilon"),
    (dict(weight_decay=-1.0), ValueError, "weight_decay"),
    (dict(bias_correction=None), TypeError, "bias_correction"),
])
def test_adam_step_bad_input(kwargs, error, match):
    arguments = dict(p=np.ones(3), g=np.ones(3), m=np.zeros(3), v=np.zeros(3), t=1)
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        adam_step(**arguments)


def test_turning_on_amsgrad_or_momentum_after_the_first_step_raises():
    param = Parameter(np.ones(2))
    adam, sgd = Adam(), SGD()
    adam.step([param])
    sgd.step([param])
    adam.amsgrad = True
    sgd.momentum = 0.9
    with pytest.raises(ValueError, match="v_max"):
        adam.step([param])
    with pytest.raises(ValueError, match="momentum"):
        sgd.step([param])
    adam.amsgrad = False  # back to what the state was made for: fine again
    adam.step([param])


def test_read_only_parameter_raises_before_any_update():
    param = Parameter(np.ones(3))
    param.data.flags.writeable = False
    optimizer = Adam()
    with pytest.raises(ValueError, match=r"params\[0\]\.data.*read-only"):
        optimizer.step([param])
    assert optimizer.state_dict()["num_params"] == 0
