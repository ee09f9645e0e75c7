"""Chapter 2's new checks: check_adagrad_step (against an AdaGrad oracle written from the
formula of Duchi et al. and torch.optim.Adagrad's defaults) and check_optimizer_state_size_answer
(the floats an optimizer keeps). Expected values are worked out by hand from the formulas."""

import numpy as np
import pytest

from dlbook import Sequential, exercises
from dlbook.exercises import ExerciseFailed
from dlbook.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from dlbook.optim import SGD, Adam, AdamW, RMSProp
from dlbook.optimizer_exercises import _adagrad_oracle


def test_the_adagrad_oracle_matches_two_steps_worked_by_hand():
    p, accumulator = np.array([1.0, -2.0]), np.zeros(2)
    # Step 1: G = g^2, so the step is lr * g / |g| = lr * sign(g) (eps = 1e-10 is negligible).
    p, accumulator = _adagrad_oracle(p, np.array([0.5, -4.0]), accumulator, 0.1, 1e-10)
    np.testing.assert_allclose(accumulator, [0.25, 16.0], rtol=1e-15)
    np.testing.assert_allclose(p, [0.9, -1.9], rtol=1e-9)
    # Step 2: G = 0.25 + 0.25 = 0.5 and 16 + 0 = 16; steps 0.1 * 0.5 / sqrt(0.5) and 0.
    p, accumulator = _adagrad_oracle(p, np.array([0.5, 0.0]), accumulator, 0.1, 1e-10)
    np.testing.assert_allclose(accumulator, [0.5, 16.0], rtol=1e-15)
    np.testing.assert_allclose(p, [0.9 - 0.1 * np.sqrt(0.5), -1.9], rtol=1e-9)


def test_the_adagrad_oracle_adds_epsilon_outside_the_root():
    # G = 0 and g = 0 must give a step of 0 / (0 + eps) = 0, not a division by zero.
    p, accumulator = _adagrad_oracle(np.ones(1), np.zeros(1), np.zeros(1), 0.1, 1e-10)
    np.testing.assert_array_equal(p, [1.0])
    # A gradient of 1e-10: sqrt(G) = 1e-10, so the step is lr * 1e-10 / (2e-10) = lr / 2.
    p, _ = _adagrad_oracle(np.zeros(1), np.array([1e-10]), np.zeros(1), 0.1, 1e-10)
    np.testing.assert_allclose(p, [-0.05], rtol=1e-12)


def test_check_adagrad_step_passes_the_oracle(capsys):
    exercises.check_adagrad_step(_adagrad_oracle)
    exercises.check_adagrad_step(_adagrad_oracle, learning_rate=0.5, epsilon=1e-6)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(line.startswith("Passed: ") for line in lines)


def _eps_inside_the_root(p, g, G, lr, eps):
    G = G + g * g
    return p - lr * g / np.sqrt(G + eps), G


def _old_accumulator_in_the_step(p, g, G, lr, eps):
    return p - lr * g / (np.sqrt(G) + eps), G + g * g


def _running_mean_like_rmsprop(p, g, G, lr, eps):
    G = 0.9 * G + 0.1 * g * g
    return p - lr * g / (np.sqrt(G) + eps), G


def _accumulator_not_returned(p, g, G, lr, eps):
    new_p, _ = _adagrad_oracle(p, g, G, lr, eps)
    return new_p, G


@pytest.mark.parametrize("broken", [_eps_inside_the_root, _old_accumulator_in_the_step,
                                    _running_mean_like_rmsprop, _accumulator_not_returned])
def test_check_adagrad_step_fails_a_broken_step(broken):
    with pytest.raises(ExerciseFailed, match=broken.__name__):
        exercises.check_adagrad_step(broken)


def _cnn():
    return Sequential([Input(shape=(1, 8, 8)), Conv2D(8, 3, padding="same"), MaxPooling2D(2),
                       Flatten(), Dense(10)])


# 8 * (1 * 9) + 8 = 80 and 128 * 10 + 10 = 1290 trainable numbers: P = 1370
P = 1370


@pytest.mark.parametrize("optimizer, floats", [
    (SGD(learning_rate=0.1), 0),                     # only the step counts
    (SGD(learning_rate=0.1, momentum=0.9), P),       # v
    (RMSProp(), P),                                  # s
    (Adam(), 2 * P),                                 # m and v
    (AdamW(), 2 * P),
    (Adam(amsgrad=True), 3 * P),                     # m, v and v_max
])
def test_the_state_size_is_a_multiple_of_the_parameter_count(optimizer, floats, capsys):
    exercises.check_optimizer_state_size_answer(floats, optimizer, _cnn(), (1, 1, 8, 8))
    assert capsys.readouterr().out.startswith("Passed: ")
    with pytest.raises(ExerciseFailed, match=str(floats)):
        exercises.check_optimizer_state_size_answer(floats + P, optimizer, _cnn(), (1, 1, 8, 8))


def test_the_state_size_check_changes_neither_object_and_refuses_an_unanswered_stub():
    model, adam = _cnn(), Adam()
    before = [p.data.copy() for p in model.params]
    for p in model.params:
        p.grad[...] = 1.0
    with pytest.raises(NotImplementedError, match="answer"):
        exercises.check_optimizer_state_size_answer(None, adam, model, (1, 1, 8, 8))
    exercises.check_optimizer_state_size_answer(2 * P, adam, model, (1, 1, 8, 8))
    assert adam.state_dict()["num_params"] == 0
    for p, data in zip(model.params, before):
        np.testing.assert_array_equal(p.data, data)
        np.testing.assert_array_equal(p.grad, 1.0)
