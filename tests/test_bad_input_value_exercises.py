"""Predict-then-run checks: a right prediction passes, a wrong one fails naming the computed
value, an unanswered one raises NotImplementedError, and bad arguments are refused plainly.

The expected values here are worked out by hand from the formulas, independently of the
library code the checks call."""

import numpy as np
import pytest

from dlbook import Sequential, exercises
from dlbook.exercises import ExerciseFailed
from dlbook.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from dlbook.optim import SGD, Adam, RMSProp
from dlbook.value_exercises import grade_value


def _cnn():
    return Sequential([Input(shape=(1, 8, 8)), Conv2D(8, 3, padding="same"), MaxPooling2D(2),
                       Conv2D(16, 3), Flatten(), Dense(10)])


# (check, right answer worked out by hand, arguments after the answer)
RIGHT = [
    # 'same' keeps 8x8, pooling halves it, a valid 3x3 leaves 2x2; 16 * 2 * 2 = 64 features
    (exercises.check_shape_answer, (5, 10), (_cnn(), (5, 1, 8, 8))),
    (exercises.check_shape_answer, (2, 8, 4, 4), (Conv2D(8, 3, strides=2, padding="same"),
                                                  (2, 3, 7, 7))),
    # 8*(1*9)+8 + 16*(8*9)+16 + 64*10+10 = 80 + 1168 + 650
    (exercises.check_parameter_count_answer, 1898, (_cnn(), (1, 1, 8, 8))),
    (exercises.check_parameter_count_answer, 3 * 4 + 4, (Dense(4), (2, 3))),
    # Adam's bias-corrected first step is lr * g / (|g| + eps): lr for |g| >> eps
    (exercises.check_optimizer_step_answer, 0.01, (Adam(learning_rate=0.01), 5.0)),
    (exercises.check_optimizer_step_answer, 0.001 * 1e-8 / (1e-8 + 1e-8), (Adam(), 1e-8)),
    # SGD with momentum 0.9 and a constant gradient 2: velocities 2, 3.8, 5.42; step lr * v
    (exercises.check_optimizer_step_answer, 0.1 * 5.42, (SGD(learning_rate=0.1, momentum=0.9),
                                                         2.0), {"steps": 3}),
    # RMSProp's first step: s = (1 - rho) g^2, so lr * g / (sqrt(0.1) |g| + eps)
    (exercises.check_optimizer_step_answer, (0.01 / np.sqrt(0.1), -0.01 / np.sqrt(0.1)),
     (RMSProp(learning_rate=0.01, epsilon=1e-12), [4.0, -0.5])),
]


def _call(check, answer, args, kwargs):
    return check(answer, *args, **kwargs)


@pytest.mark.parametrize("row", RIGHT, ids=lambda r: r[0].__name__)
def test_a_right_prediction_passes_and_prints_the_computed_value(row, capsys):
    check, answer, args, *rest = row
    _call(check, answer, args, rest[0] if rest else {})
    out = capsys.readouterr().out
    assert out.startswith("Passed: ") and out.count("\n") == 1


def _wrong(answer):
    if isinstance(answer, tuple):
        return answer[:-1] + (answer[-1] * 2 + 1,)
    return answer * 2 + 1


@pytest.mark.parametrize("row", RIGHT, ids=lambda r: r[0].__name__)
def test_a_wrong_prediction_fails_and_names_both_values(row):
    check, answer, args, *rest = row
    with pytest.raises(ExerciseFailed, match="you predicted"):
        _call(check, _wrong(answer), args, rest[0] if rest else {})


@pytest.mark.parametrize("row", RIGHT, ids=lambda r: r[0].__name__)
def test_an_unanswered_prediction_raises_not_implemented(row):
    check, _, args, *rest = row
    with pytest.raises(NotImplementedError, match="type your prediction"):
        _call(check, None, args, rest[0] if rest else {})


def test_the_checks_leave_the_objects_passed_in_unchanged():
    model = Sequential([Conv2D(8, 3, padding="same"), Flatten(), Dense(10)])
    optimizer = Adam(learning_rate=0.01)
    before = optimizer.state_dict()
    exercises.check_parameter_count_answer(80 + 512 * 10 + 10, model, (1, 1, 8, 8))
    exercises.check_optimizer_step_answer(0.01, optimizer, 1.0)
    assert not model.built
    assert repr(optimizer.state_dict()) == repr(before)


def test_grade_value_compares_shapes_exactly_and_floats_to_the_tolerance(capsys):
    grade_value(0.00100001, 0.001, "a step", rtol=1e-3)
    with pytest.raises(ExerciseFailed):
        grade_value(0.0011, 0.001, "a step", rtol=1e-3)
    with pytest.raises(ExerciseFailed):
        grade_value([2, 10, 1], (2, 10), "a shape")
    with pytest.raises(ExerciseFailed):
        grade_value("(2, 10)", (2, 10), "a shape")
    with pytest.raises(ExerciseFailed):
        grade_value(True, 1, "a count")
    grade_value([2, 10], (2, 10), "a shape")
    assert capsys.readouterr().out.count("Passed: ") == 2


BAD_ARGUMENTS = [
    (exercises.check_shape_answer, ((1, 2), "not a layer", (1, 4)), TypeError, "layer"),
    (exercises.check_shape_answer, ((1, 2), Dense(2), 4), TypeError, "input_shape"),
    (exercises.check_shape_answer, ((1, 2), Dense(2), (1, 0)), ValueError, "input_shape"),
    (exercises.check_parameter_count_answer, (3, object(), (1, 4)), TypeError, "layer"),
    (exercises.check_parameter_count_answer, (3, Dense(2), ()), TypeError, "input_shape"),
    (exercises.check_optimizer_step_answer, (0.1, "adam", 1.0), TypeError, "optimizer"),
    (exercises.check_optimizer_step_answer, (0.1, Adam(), [[1.0]]), ValueError, "gradient"),
    (exercises.check_optimizer_step_answer, (0.1, Adam(), 1.0, 0), ValueError, "steps"),
]


@pytest.mark.parametrize("check, args, error, argument", BAD_ARGUMENTS,
                         ids=lambda v: getattr(v, "__name__", None))
def test_bad_arguments_are_refused_naming_the_argument(check, args, error, argument):
    with pytest.raises(error, match=argument):
        check(*args)
