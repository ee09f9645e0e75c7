"""RMSProp, plain, centred and with momentum: against the formulas typed here, against values
recorded from the plain optimizer before centred and momentum were added, and against
``torch.optim.RMSprop`` step by step."""

import itertools

import numpy as np
import pytest

from dlbook import Parameter
from dlbook.optim import RMSProp

# Plain RMSProp(0.01, 0.8, 1e-6), four steps: the start, the gradients and the results as the
# optimizer gave them before centred and momentum existed (the chapters quote such numbers).
RECORDED = {
    np.float32: dict(
        start=[-0.006826779805123806, 1.0461432933807373, 0.7415884137153625,
               0.7239565253257751, 1.6187762022018433],
        grads=[[-1.205558180809021, -0.6269554495811462, -1.3206632137298584,
                -0.10775250941514969, 0.9987636804580688],
               [-0.021947886794805527, 0.4958800673484802, -1.9107686281204224,
                0.14706416428089142, -0.9069432616233826],
               [1.7753894329071045, 0.8868491053581238, 0.9493494629859924,
                -0.05785496160387993, 0.6128622889518738],
               [0.6578901410102844, -0.3444026708602905, -0.497372031211853,
                -0.11477278172969818, -0.6054520010948181]],
        p=[-0.011307815089821815, 1.0431667566299438, 0.7788442373275757, 0.7489292025566101,
           1.6121186017990112],
        s=[0.7397719621658325, 0.22128836810588837, 0.8396120071411133, 0.0071274032816290855,
           0.3408433198928833]),
    np.float64: dict(
        start=[-0.5943394175048538, -0.2833753756039578, -0.7284177271834528,
               0.7663277859454005, -1.5960863337954336],
        grads=[[0.8235621286156919, -0.6255664702584507, -0.5459399556941108,
                -1.35084714186579, -0.14424211884897012],
               [-0.24766150926736738, 0.19145583053805643, -0.5337742959249345,
                0.09375617930346658, 1.8196918381290936],
               [0.40899969445359535, -0.5736900371557184, 0.9531095952386714,
                -0.12880113396915818, 0.5938744680979048],
               [0.6127474289476967, -0.3910657167609224, -1.9302874975259847,
                -0.34765362325494176, 0.5514554237995707]],
        p=[-0.6353901831451774, -0.24088430978767075, -0.6883326249239364, 0.7970979916993323,
           -1.61116045428001],
        s=[0.17916110787285255, 0.12801014430031127, 0.9575383131443944, 0.21481040506885316,
           0.5432246644596739]),
}
COMBINATIONS = list(itertools.product([False, True], [0.0, 0.9]))
IDS = [f"centered={c}-momentum={m}" for c, m in COMBINATIONS]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("keywords", [{}, {"momentum": 0.0, "centered": False}],
                         ids=["defaults", "explicit"])
def test_plain_rmsprop_is_bit_identical_to_the_recorded_values(dtype, keywords):
    recorded = RECORDED[dtype]
    param = Parameter(np.array(recorded["start"], dtype=dtype))
    optimizer = RMSProp(0.01, 0.8, 1e-6, **keywords)  # positional, as the exercises call it
    for grad in recorded["grads"]:
        param.grad[...] = np.array(grad, dtype=dtype)
        optimizer.step([param])
    assert param.data.dtype == dtype
    np.testing.assert_array_equal(param.data, np.array(recorded["p"], dtype=dtype))
    state = optimizer.state_dict()
    np.testing.assert_array_equal(state["0.s"], np.array(recorded["s"], dtype=dtype))
    assert sorted(state) == ["0.s", "0.step", "centered", "epsilon", "learning_rate",
                             "momentum", "num_params", "rho"]


def _by_hand(start, grads, lr, rho, eps, momentum, centered):
    """The formulas of the docstring, one line each, in float64."""
    p, s, a, buf = np.array(start, dtype=np.float64), 0.0, 0.0, 0.0
    for g in np.asarray(grads, dtype=np.float64):
        s = rho * s + (1 - rho) * g**2
        if centered:
            a = rho * a + (1 - rho) * g
            denominator = np.sqrt(s - a**2) + eps
        else:
            denominator = np.sqrt(s) + eps
        if momentum > 0:
            buf = momentum * buf + g / denominator
            p = p - lr * buf
        else:
            p = p - lr * g / denominator
    return p, s, a, buf


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("rho", [0.9, 0.3])  # both branches of torch's lerp
@pytest.mark.parametrize("centered, momentum", COMBINATIONS, ids=IDS)
def test_every_combination_matches_the_formulas_computed_by_hand(centered, momentum, rho, dtype,
                                                                  rtol):
    rng = np.random.default_rng(7)
    start, grads = rng.standard_normal(6), rng.standard_normal((8, 6))
    param = Parameter(start.astype(dtype))
    optimizer = RMSProp(learning_rate=0.01, rho=rho, epsilon=1e-6, momentum=momentum,
                        centered=centered)
    for step, grad in enumerate(grads, start=1):
        param.grad[...] = grad.astype(dtype)
        optimizer.step([param])
        grads_so_far = grads[:step].astype(dtype)
        p, s, a, buf = _by_hand(start.astype(dtype), grads_so_far, 0.01, rho, 1e-6, momentum,
                                centered)
        assert param.data.dtype == dtype
        np.testing.assert_allclose(param.data, p, rtol=rtol, atol=rtol * 1e-2)
        state = optimizer.state_dict()
        np.testing.assert_allclose(state["0.s"], s, rtol=rtol)
        assert ("0.a" in state) == centered and ("0.buf" in state) == (momentum > 0)
        if centered:
            np.testing.assert_allclose(state["0.a"], a, rtol=rtol, atol=rtol * 1e-2)
        if momentum:
            np.testing.assert_allclose(state["0.buf"], buf, rtol=rtol, atol=rtol * 1e-2)


def test_two_centred_steps_worked_out_on_paper():
    # g = 1 then g = -1, rho = 0.5, eps = 0.0 (taken as the smallest subnormal), lr = 0.1:
    # s = 0.5, a = 0.5, d = sqrt(0.25) = 0.5, p = 1 - 0.1 * 2 = 0.8;
    # s = 0.75, a = -0.25, d = sqrt(0.6875), p = 0.8 + 0.1 / sqrt(0.6875).
    # With momentum 0.5: b = 2, p = 0.8; b = 1 - 1 / sqrt(0.6875), p = 0.8 - 0.1 b.
    for momentum, second in ((0.0, 0.8 + 0.1 / np.sqrt(0.6875)),
                             (0.5, 0.8 - 0.1 * (1.0 - 1.0 / np.sqrt(0.6875)))):
        param = Parameter(np.array([1.0]))
        optimizer = RMSProp(learning_rate=0.1, rho=0.5, epsilon=1e-300, momentum=momentum,
                            centered=True)
        param.grad[...] = 1.0
        optimizer.step([param])
        assert param.data[0] == pytest.approx(0.8, rel=1e-15)
        param.grad[...] = -1.0
        optimizer.step([param])
        assert param.data[0] == pytest.approx(second, rel=1e-15)


def test_centred_root_of_a_slightly_negative_difference_is_taken_as_zero():
    # A constant float32 gradient: s - a^2 = rho^t (1 - rho^t) g^2 shrinks towards 0, and
    # rounding takes it below 0 at step 135. The root is then 0 and the denominator epsilon
    # (torch's sqrt gives NaN there, which would stay in the parameter for good).
    g = np.linspace(0.1, 3.0, 50).astype(np.float32)[37]
    lr, eps = 0.01, 1e-7
    param = Parameter(np.zeros(1, dtype=np.float32))
    optimizer = RMSProp(learning_rate=lr, rho=0.9, epsilon=eps, centered=True)
    negative_steps = []
    for step in range(1, 200):
        before = param.data.copy()
        param.grad[...] = g
        optimizer.step([param])
        state = optimizer.state_dict()
        difference = state["0.s"] - state["0.a"] ** 2
        if difference[0] < 0:
            negative_steps.append(step)
            expected = before - np.float32(lr) * (g / np.float32(eps))
            np.testing.assert_array_equal(param.data, expected)
        assert np.all(np.isfinite(param.data))
    assert negative_steps and negative_steps[0] == 135


def test_the_new_hyperparameters_are_keyword_only_and_epsilon_stays_third():
    optimizer = RMSProp(0.02, 0.7, 1e-5)
    assert (optimizer.learning_rate, optimizer.rho, optimizer.epsilon) == (0.02, 0.7, 1e-5)
    assert (optimizer.momentum, optimizer.centered) == (0.0, False)
    with pytest.raises(TypeError):
        RMSProp(0.02, 0.7, 1e-5, 0.9)  # pylint: disable=too-many-function-args
    assert repr(RMSProp(momentum=0.5, centered=True)) == (
        "RMSProp(learning_rate=0.001, rho=0.9, epsilon=1e-07, momentum=0.5, centered=True)")


@pytest.mark.parametrize("centered, momentum", COMBINATIONS, ids=IDS)
def test_state_dict_round_trip_resumes_bit_for_bit(centered, momentum):
    rng = np.random.default_rng(3)
    grads = rng.standard_normal((6, 2, 3))
    params = [Parameter(rng.standard_normal((2, 3))) for _ in range(2)]
    optimizer = RMSProp(learning_rate=0.05, momentum=momentum, centered=centered)
    for grad in grads[:3]:
        for param in params:
            param.grad[...] = grad
        optimizer.step(params)
    resumed = RMSProp()
    resumed.load_state_dict(optimizer.state_dict())
    assert (resumed.momentum, resumed.centered) == (momentum, centered)
    copies = [Parameter(param.data.copy()) for param in params]
    for grad in grads[3:]:
        for param in params + copies:
            param.grad[...] = grad
        optimizer.step(params)
        resumed.step(copies)
    for param, copy in zip(params, copies):
        np.testing.assert_array_equal(param.data, copy.data)


def test_a_state_dict_saved_before_centred_and_momentum_loads_as_plain_rmsprop():
    optimizer = RMSProp(learning_rate=0.01)
    param = Parameter(np.array([1.0, 2.0]))
    param.grad[...] = [0.5, -1.0]
    optimizer.step([param])
    old = {key: value for key, value in optimizer.state_dict().items()
           if key not in ("momentum", "centered")}
    loaded = RMSProp(momentum=0.9, centered=True)
    loaded.load_state_dict(old)
    assert (loaded.momentum, loaded.centered) == (0.0, False)
    np.testing.assert_array_equal(loaded.state_dict()["0.s"], old["0.s"])


@pytest.mark.parametrize("centered, momentum", COMBINATIONS, ids=IDS)
def test_every_combination_equals_torch_rmsprop_step_by_step(centered, momentum):
    torch = pytest.importorskip("torch")  # the yardstick; the formulas are tested without it
    rng = np.random.default_rng(11)
    start, grads = rng.standard_normal((3, 4)), rng.standard_normal((20, 3, 4))
    param = Parameter(start.copy())
    tensor = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = RMSProp(learning_rate=0.01, rho=0.9, epsilon=1e-7, momentum=momentum,
                        centered=centered)
    reference = torch.optim.RMSprop([tensor], lr=0.01, alpha=0.9, eps=1e-7, momentum=momentum,
                                    centered=centered, foreach=False)
    for grad in grads:
        param.grad[...] = grad
        optimizer.step([param])
        tensor.grad = torch.tensor(grad, dtype=torch.float64)
        reference.step()
        np.testing.assert_allclose(param.data, tensor.detach().numpy(), rtol=1e-12, atol=1e-14)
        torch_state = reference.state[tensor]
        np.testing.assert_allclose(optimizer.state_dict()["0.s"],
                                   torch_state["square_avg"].numpy(), rtol=1e-12)
        if centered:
            np.testing.assert_allclose(optimizer.state_dict()["0.a"],
                                       torch_state["grad_avg"].numpy(), rtol=1e-12, atol=1e-15)
        if momentum:
            np.testing.assert_allclose(optimizer.state_dict()["0.buf"],
                                       torch_state["momentum_buffer"].numpy(), rtol=1e-12,
                                       atol=1e-15)


@pytest.mark.parametrize("name, value", [("centered", True), ("momentum", 0.9)])
def test_turning_on_centred_or_momentum_after_the_first_step_is_refused(name, value):
    param, optimizer = Parameter(np.array([1.0, -2.0])), RMSProp(learning_rate=0.01)
    param.grad[...] = [0.5, 0.25]
    optimizer.step([param])
    after_one = param.data.copy()
    setattr(optimizer, name, value)
    with pytest.raises(ValueError, match="centered, or momentum from 0") as excinfo:
        optimizer.step([param])
    assert name in str(excinfo.value)
    np.testing.assert_array_equal(param.data, after_one)
