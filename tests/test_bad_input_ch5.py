"""Bad input for the chapter 5 checks: refused with a one-line message naming the argument."""

import pytest

from bad_input_checks import assert_table_error
from dlbook import exercises, fitting_exercises

ROWS = [
    (fitting_exercises.check_train_step, ("not a function",), TypeError, "fn", ["function"]),
    (fitting_exercises.check_train_step, (lambda m, x, y: 0.0,), {"steps": 0}, "steps"),
    (fitting_exercises.check_kernel_fit, (None,), TypeError, "fn", ["function"]),
    (exercises.check_kernel_fit, (3.0,), TypeError, "fn", ["function"]),
    (exercises.check_rmsprop_epsilon_answer, (10.0, "1e-4"), TypeError, "gradient", ["float"]),
    (exercises.check_rmsprop_epsilon_answer, (10.0, 0.0), TypeError, "gradient", ["nonzero"]),
    (exercises.check_rmsprop_epsilon_answer, (10.0, 1e-4, 0), ValueError, "steps", []),
]


def _normalized(row):
    if isinstance(row[2], dict):  # keyword arguments: (check, args, kwargs, argument)
        check, args, kwargs, argument = row
        return check, args, kwargs, ValueError, argument, []
    check, args, error, argument, words = row
    return check, args, {}, error, argument, words


@pytest.mark.parametrize("row", [_normalized(r) for r in ROWS],
                         ids=lambda r: f"{r[0].__name__}-{r[4]}")
def test_bad_arguments_are_refused_naming_the_argument(row):
    check, args, kwargs, error, argument, words = row
    with pytest.raises(error) as info:
        check(*args, **kwargs)
    assert_table_error(info.value, error, argument, words)
