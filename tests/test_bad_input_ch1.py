"""Bad input to the chapter 1 additions (dlbook.signal_propagation and the two new checks): a
TypeError or ValueError, before any work, whose one-line message names the argument."""

import numpy as np
import pytest

from bad_input_checks import assert_table_error
from dlbook import exercises
from dlbook.layers import Dense
from dlbook.signal_propagation import (SignalStatistics, dense_stack, initializer_std,
                                       signal_statistics)

X = np.zeros((2, 3))

BAD = [
    (initializer_std, ("lecun", 3, 4), {}, ValueError, "name", []),
    (initializer_std, ("he_normal", 0, 4), {}, ValueError, "fan_in", []),
    (initializer_std, ("he_normal", 3, 2.5), {}, TypeError, "fan_out", []),
    (dense_stack, ([3], "relu"), {}, TypeError, "widths", ["at least two"]),
    (dense_stack, ("3, 4", "relu"), {}, TypeError, "widths", []),
    (dense_stack, ([3, -4], "relu"), {}, ValueError, "widths", []),
    (dense_stack, ([3, 4], "relu"), {"std": -1.0}, ValueError, "std", []),
    (dense_stack, ([3, 4], "relu"), {"std": "big"}, TypeError, "std", []),
    (dense_stack, ([3, 4], "relu"), {"std": lambda fi, fo: None}, TypeError, "std", []),
    (dense_stack, ([3, 4], "relu"), {"seed": -2}, ValueError, "seed", []),
    (dense_stack, ([3, 4], "swish"), {}, ValueError, "activation", []),
    (dense_stack, ([3, 4], "relu"), {"kernel_initializer": "ones"}, ValueError,
     "kernel_initializer", []),
    (signal_statistics, ([], X), {}, TypeError, "layers", []),
    (signal_statistics, ([Dense(2)], X.ravel()), {}, ValueError, "x", ["(N, features)"]),
    (signal_statistics, ([Dense(2)], "x"), {}, TypeError, "x", []),
    (signal_statistics, ([Dense(2)], X), {"seed": 1.5}, TypeError, "seed", []),
    (exercises.check_initializer_scale, (3,), {}, TypeError, "fn", []),
    (exercises.check_initializer_scale, (lambda fi, fo: 1.0, "gelu"), {}, ValueError,
     "activation", []),
    (exercises.check_initializer_scale, (lambda fi, fo: 1.0, None), {}, TypeError,
     "activation", []),
    (exercises.check_max_derivative_answer, (0.25, "softplus"), {}, ValueError, "activation", []),
    (exercises.check_max_derivative_answer, (0.25, 1), {}, TypeError, "activation", []),
]


@pytest.mark.parametrize("fn, args, kwargs, error, argument, words", BAD,
                         ids=[f"{row[0].__name__}-{row[4]}-{i}" for i, row in enumerate(BAD)])
def test_bad_input_is_refused_naming_the_argument(fn, args, kwargs, error, argument, words):
    with pytest.raises(Exception) as info:
        fn(*args, **kwargs)
    assert_table_error(info.value, error, argument, words)


def test_signal_statistics_is_a_named_tuple_of_three_arrays():
    stats = signal_statistics(dense_stack([3, 4, 2], "tanh"), np.ones((5, 3)))
    assert isinstance(stats, SignalStatistics) and stats._fields == (
        "activation_std", "gradient_std", "kernel_gradient_norm")
