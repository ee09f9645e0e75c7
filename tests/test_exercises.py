"""The exercise checks pass correct code, name the first bad case of wrong code, and let an
unwritten stub's NotImplementedError through."""

import numpy as np
import pytest

from dlbook import exercises
from dlbook.functional import (
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    max_pool2d,
    max_pool2d_backward,
    relu_backward,
    sigmoid_backward,
    softmax_cross_entropy,
    tanh_backward,
)
from dlbook.functional.reference import conv2d_naive, max_pool2d_backward_naive
from dlbook.optim import adam_step


def test_checks_pass_the_library_and_reference_kernels(capsys):
    exercises.check_conv2d(conv2d_naive)
    exercises.check_conv2d(conv2d, dilation=True, same=True)
    exercises.check_conv2d_backward(conv2d_backward, dilation=True, same=True)
    exercises.check_conv_output_size(lambda n, k, s, p: (n + 2 * p - k) // s + 1)
    exercises.check_max_pool2d(max_pool2d, padding=True)
    exercises.check_max_pool2d_backward(max_pool2d_backward_naive)
    exercises.check_avg_pool2d(avg_pool2d)
    exercises.check_avg_pool2d_backward(avg_pool2d_backward, padding=True)
    for name, fn in [("relu", relu_backward), ("sigmoid", sigmoid_backward), ("tanh", tanh_backward)]:
        exercises.check_activation_backward(fn, name)
    exercises.check_dense_backward(lambda dy, x, w, b: (dy @ w.T, x.T @ dy, dy.sum(axis=0)))
    exercises.check_softmax_cross_entropy(softmax_cross_entropy)
    exercises.check_adam_step(
        lambda p, g, m, v, t, lr, b1, b2, eps: adam_step(
            p, g, m, v, t, learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps
        )
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 14 and all(line.startswith("Passed: ") for line in lines)


def test_a_stub_lets_its_not_implemented_error_through():
    def my_conv2d(x, w, b=None, stride=1, padding=0):
        raise NotImplementedError("write your conv2d here")

    with pytest.raises(NotImplementedError, match="write your conv2d"):
        exercises.check_conv2d(my_conv2d)


def test_wrong_answers_fail_with_the_first_bad_case():
    def flipped(x, w, b=None, stride=1, padding=0):
        return conv2d(x, w[:, :, ::-1, ::-1], b, stride=stride, padding=padding)

    with pytest.raises(exercises.ExerciseFailed, match="flipped: FAILED case .* w_shape"):
        exercises.check_conv2d(flipped)

    def mask_backward(dy, x, pool_size, stride=None, padding=0):
        y = max_pool2d(x, pool_size, stride, padding)
        up = np.kron(y, np.ones((1, 1) + tuple(np.broadcast_to(pool_size, 2))))
        g = np.kron(dy, np.ones((1, 1) + tuple(np.broadcast_to(pool_size, 2))))
        return np.where(x == up, g, 0.0) if up.shape == x.shape else np.zeros_like(x)

    with pytest.raises(exercises.ExerciseFailed, match="output dx"):
        exercises.check_max_pool2d_backward(mask_backward)

    with pytest.raises(exercises.ExerciseFailed, match="output db"):
        exercises.check_dense_backward(lambda dy, x, w, b: (dy @ w.T, x.T @ dy, dy.mean(axis=0)))


def test_naive_softmax_cross_entropy_fails_on_huge_logits():
    def naive(logits, labels):
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        n = len(labels)
        onehot = np.eye(logits.shape[1])[labels]
        return float(-np.mean(np.log(p[np.arange(n), labels]))), (p - onehot) / n

    with pytest.raises(exercises.ExerciseFailed, match="scale=10000.0"):
        exercises.check_softmax_cross_entropy(naive)


def test_adam_with_epsilon_inside_the_root_fails():
    def eps_inside(p, g, m, v, t, lr, b1, b2, eps):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        return p - lr * (m / (1 - b1**t)) / np.sqrt(v / (1 - b2**t) + eps), m, v

    with pytest.raises(exercises.ExerciseFailed):
        exercises.check_adam_step(eps_inside)


def test_sgd_and_rmsprop_checks():
    def sgd(p, g, velocity, lr, mu):
        velocity = mu * velocity + g
        return p - lr * velocity, velocity

    def rmsprop(p, g, s, lr, rho, eps):
        s = rho * s + (1 - rho) * g * g
        return p - lr * g / (np.sqrt(s) + eps), s

    exercises.check_sgd_momentum_step(sgd)
    exercises.check_rmsprop_step(rmsprop)
    with pytest.raises(exercises.ExerciseFailed, match="output velocity"):
        exercises.check_sgd_momentum_step(lambda p, g, v, lr, mu: (p - lr * (mu * v + g), mu * v + (1 - mu) * g))
    with pytest.raises(exercises.ExerciseFailed, match="output p"):
        exercises.check_rmsprop_step(lambda p, g, s, lr, rho, eps: (p - lr * g / np.sqrt(s + eps), rho * s + (1 - rho) * g * g))


def test_unknown_activation_is_rejected():
    with pytest.raises(ValueError, match="activation"):
        exercises.check_activation_backward(relu_backward, "gelu")
