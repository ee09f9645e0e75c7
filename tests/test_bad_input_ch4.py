"""Bad input to the chapter 4 receptive-field functions: refused before any work, naming the
argument (receptive_field, field_bounds, back_propagated_support, FieldRow's producers,
check_receptive_field_size, check_receptive_field_answer)."""

import pytest

from bad_input_checks import assert_table_error
from dlbook import exercises
from dlbook.layers import Conv2D, Flatten, MaxPooling2D
from dlbook.receptive_field import back_propagated_support, field_bounds, receptive_field

LAYERS = [Conv2D(1, 3, padding="same"), MaxPooling2D(2), Flatten()]

CASES = [
    (receptive_field, ([], (1, 8, 8)), TypeError, "layers", ["non-empty"]),
    (receptive_field, ("conv", (1, 8, 8)), TypeError, "layers", []),
    (receptive_field, ([Conv2D(1, 3), "pool"], (1, 8, 8)), TypeError, "layers", ["item 1"]),
    (receptive_field, ([Flatten(), Conv2D(1, 3)], (1, 8, 8)), ValueError, "layers", ["Flatten"]),
    (receptive_field, (LAYERS, (8, 8)), TypeError, "input_shape", ["(C, H, W)"]),
    (receptive_field, (LAYERS, (1, 0, 8)), ValueError, "input_shape", []),
    (field_bounds, (LAYERS, (1, 8, 8), 5, (0, 0)), ValueError, "layer", ["0 to 2"]),
    (field_bounds, (LAYERS, (1, 8, 8), 1.0, (0, 0)), TypeError, "layer", []),
    (field_bounds, (LAYERS, (1, 8, 8), 1, (4, 0)), ValueError, "unit", ["4x4"]),
    (field_bounds, (LAYERS, (1, 8, 8), 1, 3), TypeError, "unit", ["pair"]),
    (back_propagated_support, (LAYERS, (1, 8, 8), 2, (0, 0)), TypeError, "unit", ["feature"]),
    (back_propagated_support, (LAYERS, (1, 8, 8), 2, 16), ValueError, "unit", ["0 to 15"]),
    (back_propagated_support, (LAYERS, (1, 8, 8), True, (0, 0)), TypeError, "layer", []),
    (exercises.check_receptive_field_size, ("size",), TypeError, "fn", []),
    (exercises.check_receptive_field_answer, ((3, 3), LAYERS, (1, 8, 8), 7), ValueError, "layer",
     []),
    (exercises.check_receptive_field_answer, ((3, 3), LAYERS, (1, 8, 8), "0"), TypeError,
     "layer", []),
    (exercises.check_receptive_field_answer, ((3, 3), object(), (1, 8, 8), 0), TypeError,
     "layers", []),
]


@pytest.mark.parametrize("fn, args, error, argument, words", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_is_refused_naming_the_argument(fn, args, error, argument, words):
    with pytest.raises(Exception) as info:
        fn(*args)
    assert_table_error(info.value, error, argument, words)
    assert str(info.value).startswith(f"{argument}: ")


def test_field_row_is_what_receptive_field_returns():
    from dlbook.receptive_field import FieldRow
    row = receptive_field(LAYERS, (1, 8, 8))[0]
    assert isinstance(row, FieldRow) and row.size == (3, 3)
