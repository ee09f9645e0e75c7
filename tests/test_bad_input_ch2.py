"""Bad input to chapter 2's new checks is refused with one sentence naming the argument."""

import pytest

from bad_input_checks import assert_one_sentence_naming
from dlbook import Sequential, exercises
from dlbook.layers import Dense, Input
from dlbook.optim import Adam
from dlbook.optimizer_exercises import _adagrad_oracle


def _model():
    return Sequential([Input(shape=(3,)), Dense(2)])


BAD = [
    (lambda: exercises.check_adagrad_step("adagrad_step"), TypeError, "fn"),
    (lambda: exercises.check_adagrad_step(_adagrad_oracle, learning_rate=-0.1), ValueError,
     "learning_rate"),
    (lambda: exercises.check_adagrad_step(_adagrad_oracle, learning_rate="0.1"), TypeError,
     "learning_rate"),
    (lambda: exercises.check_adagrad_step(_adagrad_oracle, epsilon=0.0), ValueError, "epsilon"),
    (lambda: exercises.check_optimizer_state_size_answer(4, "adam", _model(), (1, 3)), TypeError,
     "optimizer"),
    (lambda: exercises.check_optimizer_state_size_answer(4, Adam(), "model", (1, 3)), TypeError,
     "model"),
    (lambda: exercises.check_optimizer_state_size_answer(4, Adam(), _model(), 3), TypeError,
     "input_shape"),
    (lambda: exercises.check_optimizer_state_size_answer(4, Adam(), _model(), (1, 0)),
     ValueError, "input_shape"),
]


@pytest.mark.parametrize("call, error, argument", BAD)
def test_bad_arguments_are_refused_naming_the_argument(call, error, argument):
    with pytest.raises(error) as info:
        call()
    assert_one_sentence_naming(info, argument)
