"""fit(validation_split=...): Keras's last rows, held out before shuffling."""

import math

import numpy as np
import pytest

from dlbook.layers import Dense
from dlbook.model import Sequential
from dlbook.optim import SGD

RNG = np.random.default_rng(3)
X = RNG.normal(size=(10, 3))
Y = RNG.normal(size=(10, 2))


def linear(seed=0, learning_rate=0.1):
    net = Sequential([Dense(2, input_shape=(3,))], seed=seed, dtype="float64")
    net.compile(optimizer=SGD(learning_rate=learning_rate), loss="mse")
    return net


@pytest.mark.parametrize("split, held_out", [(0.2, 2), (0.25, 3), (0.5, 5), (0.05, 1),
                                             (0.85, 9), (0.33, 4)])
def test_the_held_out_count_is_keras_n_minus_floor_n_times_one_minus_split(split, held_out):
    assert len(X) - math.floor(len(X) * (1.0 - split)) == held_out  # the typed formula
    net = linear()
    val_loss = net.fit(X, Y, epochs=1, validation_split=split, verbose=0).history["val_loss"][0]
    # val_loss is taken after the epoch: the MSE of the final weights on exactly the last rows
    weight, bias = net.get_weights()
    outputs = X[-held_out:] @ weight + bias
    expected = np.mean((outputs - Y[-held_out:]) ** 2)
    assert val_loss == pytest.approx(expected, rel=1e-12)
    others = np.mean((X[:held_out] @ weight + bias - Y[:held_out]) ** 2)
    assert val_loss != pytest.approx(others, rel=1e-6)


def test_validation_split_equals_validation_data_on_the_last_rows_bit_for_bit():
    a, b = linear(seed=1, learning_rate=0.05), linear(seed=1, learning_rate=0.05)
    history_a = a.fit(X, Y, epochs=4, batch_size=3, validation_split=0.3, seed=7, verbose=0)
    history_b = b.fit(X[:7], Y[:7], epochs=4, batch_size=3, validation_data=(X[7:], Y[7:]),
                      seed=7, verbose=0)
    assert history_a.history == history_b.history
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert history_a.params["steps"] == 3  # 7 training samples in batches of 3


def test_the_split_is_taken_before_shuffling_and_the_callers_arrays_are_untouched():
    x, y = X.copy(), Y.copy()
    net = linear(seed=2, learning_rate=0.1)
    net.fit(x, y, epochs=3, batch_size=2, validation_split=0.2, shuffle=True, seed=0,
            verbose=0)
    reference = linear(seed=2, learning_rate=0.1)
    reference.fit(X[:8], Y[:8], epochs=3, batch_size=2, shuffle=True, seed=0, verbose=0)
    for wa, wb in zip(net.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(y, Y)


def test_validation_split_zero_means_no_validation_and_changes_nothing():
    a, b = linear(seed=4, learning_rate=0.1), linear(seed=4, learning_rate=0.1)
    history_a = a.fit(X, Y, epochs=2, validation_split=0.0, seed=1, verbose=0)
    history_b = b.fit(X, Y, epochs=2, seed=1, verbose=0)
    assert history_a.history == history_b.history and "val_loss" not in history_a.history


def test_keras_floating_point_rounding_is_kept_0_9_of_10_leaves_no_training_sample():
    # 10 * (1 - 0.9) = 0.9999999999999998, whose floor is 0: Keras refuses it too
    assert math.floor(10 * (1.0 - 0.9)) == 0
    with pytest.raises(ValueError, match="validation_split: 0.9 of 10 samples leaves 0 for "
                                         "training and 10 for validation"):
        linear().fit(X, Y, validation_split=0.9, verbose=0)
