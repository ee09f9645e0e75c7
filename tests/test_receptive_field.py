"""The receptive-field recursion against back-propagated supports, and the chapter 4 checks.

The recursion (dlbook.receptive_field.receptive_field) and the support of dx from the layers'
own backward passes (back_propagated_support) are independent routes to the same field; they
must agree on every stack below, with strides, paddings, dilations and poolings."""

import numpy as np
import pytest

from dlbook import Sequential, exercises
from dlbook.exercises import ExerciseFailed
from dlbook.layers import (Activation, AveragePooling2D, Conv2D, Dense, Dropout, Flatten,
                           Input, MaxPooling2D, ZeroPadding2D)
from dlbook.receptive_field import back_propagated_support, field_bounds, receptive_field


def _book_cnn():
    return [Conv2D(8, 3, padding="same", activation="relu"), MaxPooling2D(2),
            Conv2D(16, 3, padding="same", activation="relu"), MaxPooling2D(2), Flatten(),
            Dense(10, activation="softmax")]


STACKS = {
    "book CNN": (_book_cnn(), (1, 8, 8)),
    "two valid 3x3": ([Conv2D(2, 3), Conv2D(2, 3)], (1, 9, 9)),
    "strided same": ([Conv2D(2, 3, strides=2, padding="same"), Conv2D(2, 3, padding="same")],
                     (1, 11, 11)),
    "dilated": ([Conv2D(2, 3, dilation_rate=2), Conv2D(2, 3, dilation_rate=(1, 3))],
                (1, 15, 17)),
    "pool overlap": ([MaxPooling2D(3, strides=1, padding=1), Conv2D(1, (2, 3), strides=(2, 1)),
                      AveragePooling2D((2, 1), padding="same")], (1, 10, 9)),
    "pool gaps": ([MaxPooling2D(2, strides=3), Conv2D(1, 3, padding="same")], (1, 14, 14)),
    "zero padding": ([ZeroPadding2D(((2, 0), (1, 1))), Conv2D(1, 3), Activation("relu"),
                      Dropout(0.5), Conv2D(1, 3, strides=2)], (1, 8, 8)),
    "explicit pads": ([Conv2D(1, 5, padding=((2, 1), (0, 3))), MaxPooling2D(2, padding=1),
                       Conv2D(1, 3, dilation_rate=2, padding="same")], (1, 12, 10)),
}


def _units(out_shape):
    h, w = out_shape[1:]
    return sorted({(0, 0), (h - 1, w - 1), (h // 2, w // 2), (0, w - 1), (h // 2, 0)})


@pytest.mark.parametrize("name", STACKS)
def test_the_recursion_and_the_back_propagated_support_agree(name):
    layers, shape = STACKS[name]
    rows = receptive_field(layers, shape)
    for index, row in enumerate(rows):
        n = row.output_shape[0]
        units = _units(row.output_shape) if len(row.output_shape) == 3 else [0, n // 2, n - 1]
        for unit in units:
            support = back_propagated_support(layers, shape, index, unit)
            assert support.shape == shape[1:]
            (top, bottom), (left, right) = field_bounds(layers, shape, index, unit)
            if bottom < top or right < left:  # a unit of zero padding sees no pixel
                assert not support.any(), (name, index, unit)
                continue
            hit_rows = np.flatnonzero(support.any(axis=1))
            hit_cols = np.flatnonzero(support.any(axis=0))
            assert (hit_rows[0], hit_rows[-1]) == (top, bottom), (name, index, unit)
            assert (hit_cols[0], hit_cols[-1]) == (left, right), (name, index, unit)
            inside = np.zeros(shape[1:], bool)
            inside[top:bottom + 1, left:right + 1] = True
            assert not (support & ~inside).any()


def test_a_unit_of_zero_padding_sees_nothing():
    layers = [ZeroPadding2D(((2, 0), (1, 1))), Conv2D(1, 3)]
    assert not back_propagated_support(layers, (1, 8, 8), 0, (1, 0)).any()
    assert field_bounds(layers, (1, 8, 8), 0, (1, 0)) == ((0, -1), (0, -1))
    assert back_propagated_support(layers, (1, 8, 8), 1, (0, 0)).sum() == 1 * 2


def test_the_book_cnn_by_hand():
    # conv 3x3 s1: r 3, j 1; pool 2: r 3 + 1*1 = 4, j 2; conv 3x3: 4 + 2*2 = 8; pool: 8 + 2 = 10;
    # a Flatten feature is a pool unit; Dense: the 2x2 pool units, (2 - 1) * 4 + 10 = 14
    rows = receptive_field(_book_cnn(), (1, 8, 8))
    assert [row.size[0] for row in rows] == [3, 4, 8, 10, 10, 14]
    assert [row.jump for row in rows[:4]] == [(1, 1), (2, 2), (2, 2), (4, 4)]
    assert [row.start for row in rows[:4]] == [(-1, -1), (-1, -1), (-3, -3), (-3, -3)]
    # no unit of the second convolution sees the whole digit: the inner ones see 7x7 of it
    assert field_bounds(_book_cnn(), (1, 8, 8), 2, (1, 2)) == ((0, 6), (1, 7))
    assert back_propagated_support(_book_cnn(), (1, 8, 8), 2, (1, 2)).sum() == 49


def test_two_3x3_convolutions_see_what_one_5x5_sees():
    two = back_propagated_support([Conv2D(1, 3), Conv2D(1, 3)], (1, 9, 9), 1, (2, 2))
    one = back_propagated_support([Conv2D(1, 5)], (1, 9, 9), 0, (2, 2))
    np.testing.assert_array_equal(two, one)
    assert one.sum() == 25


def test_dilation_leaves_holes_in_the_support_but_not_in_the_span():
    support = back_propagated_support([Conv2D(1, 3, dilation_rate=2)], (1, 5, 5), 0, (0, 0))
    assert support.sum() == 9 and support[::2, ::2].all()
    assert receptive_field([Conv2D(1, 3, dilation_rate=2)], (1, 5, 5))[0].size == (5, 5)


def test_a_sequential_with_input_works_like_its_list_of_layers():
    model = Sequential([Input(shape=(1, 8, 8)), *_book_cnn()])
    assert receptive_field(model, (1, 8, 8))[2].size == (8, 8)


def test_a_wrong_recursion_is_caught_by_the_support():
    # the usual slip: forgetting to multiply by the jump gives 3 + 2 = 5 for conv2, not 8
    support = back_propagated_support(_book_cnn(), (1, 8, 8), 2, (1, 1))
    assert np.flatnonzero(support.any(axis=1)).size == 7 != 5


def _right(stack):
    r, j = 1, 1
    for k, s, d in stack:
        r, j = r + (k - 1) * d * j, j * s
    return r


def _no_dilation(stack):
    r, j = 1, 1
    for k, s, _ in stack:
        r, j = r + (k - 1) * j, j * s
    return r


def _no_jump(stack):
    return 1 + sum((k - 1) * d for k, _, d in stack)


def test_the_calculator_check_passes_the_right_formula(capsys):
    exercises.check_receptive_field_size(_right)
    assert capsys.readouterr().out.startswith("Passed: _right agrees with the recursive formula")


@pytest.mark.parametrize("wrong", [_no_dilation, _no_jump, lambda stack: len(stack) * 2 + 1])
def test_the_calculator_check_fails_a_wrong_formula(wrong):
    with pytest.raises(ExerciseFailed, match="FAILED case"):
        exercises.check_receptive_field_size(wrong)


def test_the_answer_check_computes_the_value(capsys):
    exercises.check_receptive_field_answer((10, 10), _book_cnn(), (1, 8, 8), layer=3)
    assert "is (10, 10)" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed, match=r"is \(8, 8\); you predicted \(6, 6\)"):
        exercises.check_receptive_field_answer((6, 6), _book_cnn(), (1, 8, 8), layer=2)
    with pytest.raises(NotImplementedError):
        exercises.check_receptive_field_answer(None, _book_cnn(), (1, 8, 8), layer=2)
