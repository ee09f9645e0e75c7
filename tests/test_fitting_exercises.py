"""The chapter 5 checks: a right solution passes, broken ones fail with ExerciseFailed, and the
Keras 3 RMSprop ratio is the one worked out by hand from the formulas."""

import numpy as np
import pytest

from dlbook import exercises
from dlbook import functional as F
from dlbook.exercises import ExerciseFailed
from dlbook.fitting_exercises import SOBEL_X, _reference_learn_kernel


def _train_step(model, x, y):
    a = x
    for layer in model.layers:
        a = layer.forward(a, training=True)
    loss, delta = F.softmax_cross_entropy(model.layers[-1].pre_activation, y)
    delta = model.layers[-1].backward_pre_activation(delta)
    for layer in reversed(model.layers[:-1]):
        delta = layer.backward(delta)
    model.optimizer.step(model.params)
    return loss


def _two_steps(model, x, y):
    _train_step(model, x, y)
    return _train_step(model, x, y)


def _wrong_loss(model, x, y):
    return _train_step(model, x, y) * 1.01


def _no_reverse(model, x, y):  # the backward pass skipped: parameters keep stale gradients
    a = x
    for layer in model.layers:
        a = layer.forward(a, training=True)
    loss, _ = F.softmax_cross_entropy(model.layers[-1].pre_activation, y)
    model.optimizer.step(model.params)
    return loss


def test_a_right_train_step_passes(capsys):
    exercises.check_train_step(_train_step)
    assert capsys.readouterr().out == (
        "Passed: _train_step agrees with Sequential.train_on_batch on all 3 cases.\n")


@pytest.mark.parametrize("fn, output", [(_two_steps, "loss"), (_wrong_loss, "loss"),
                                        (_no_reverse, "conv2d.kernel")])
def test_a_broken_train_step_fails_naming_what_differs(fn, output):
    with pytest.raises(ExerciseFailed, match=f"output {output}"):
        exercises.check_train_step(fn)


def test_an_unwritten_train_step_raises_not_implemented():
    def train_step(model, x, y):
        raise NotImplementedError("Exercise 5.2: write train_step")
    with pytest.raises(NotImplementedError, match="Exercise 5.2"):
        exercises.check_train_step(train_step)


def test_the_reference_kernel_fit_recovers_sobel_and_passes(capsys):
    exercises.check_kernel_fit(_reference_learn_kernel)
    assert capsys.readouterr().out.startswith("Passed: _reference_learn_kernel agrees with")
    image = np.random.default_rng(0).random((20, 24))
    target = F.conv2d(image[None, None], SOBEL_X[None, None])[0, 0]
    np.testing.assert_allclose(_reference_learn_kernel(image, target, steps=600), SOBEL_X,
                               atol=1e-3)


@pytest.mark.parametrize("fn, words", [
    (lambda image, target: SOBEL_X, "SOBEL_X.T"),                     # typed in, not learned
    (lambda image, target: _reference_learn_kernel(image, target, steps=20), "more steps"),
    (lambda image, target: SOBEL_X.T * 1.02, "hidden_kernel='SOBEL_X'"),
    (lambda image, target: np.zeros((1, 3, 3)), "needs (3, 3)"),
    (lambda image, target: np.full((3, 3), np.nan), "NaN"),
])
def test_a_wrong_kernel_fails(fn, words):
    with pytest.raises(ExerciseFailed, match=words.replace("(", r"\(").replace(")", r"\)")):
        exercises.check_kernel_fit(fn)


def test_the_sobel_kernel_responds_to_left_to_right_change():
    ramp = np.tile(np.arange(5.0)[::-1], (5, 1))          # brightness falling to the right
    assert np.all(F.conv2d(ramp[None, None], SOBEL_X[None, None]) == 8.0)


@pytest.mark.parametrize("steps, g, expected", [
    # first step: s = (1 - rho) g^2 = 1e-9; dlbook lr g/(sqrt(s) + eps), Keras lr g/sqrt(s + eps)
    (1, 1e-4, np.sqrt(1e-9 + 1e-7) / (np.sqrt(1e-9) + 1e-7)),
    # after many steps s -> g^2 = 1e-8: sqrt(1.1e-7) / (1e-4 + 1e-7), about 3.3
    (200, 1e-4, np.sqrt(1e-8 * (1 - 0.9**200) + 1e-7) / (np.sqrt(1e-8 * (1 - 0.9**200)) + 1e-7)),
    (1, 1.0, np.sqrt(0.1 + 1e-7) / (np.sqrt(0.1) + 1e-7)),             # large g: ratio 1
])
def test_the_rmsprop_epsilon_ratio_is_the_hand_worked_one(steps, g, expected, capsys):
    exercises.check_rmsprop_epsilon_answer(expected, g, steps=steps, rtol=1e-9)
    assert capsys.readouterr().out.startswith("Passed: ")
    with pytest.raises(ExerciseFailed, match="you predicted"):
        exercises.check_rmsprop_epsilon_answer(expected * 1.05, g, steps=steps)
    with pytest.raises(NotImplementedError):
        exercises.check_rmsprop_epsilon_answer(None, g, steps=steps)


def test_the_rmsprop_ratio_is_about_ten_then_three_at_1e_minus_4():
    exercises.check_rmsprop_epsilon_answer(10.0, 1e-4)
    exercises.check_rmsprop_epsilon_answer(3.3, 1e-4, steps=200)
