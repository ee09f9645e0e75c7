"""Bad input to the chapter 3 additions: conv1d and its backward pass (library and naive loops),
the multiply-add counters of dlbook.cost, and the checks check_col2im and check_macs_answer.

Each row is (label, call, exception, words): the call must raise exactly that exception with a
one-line message that starts with the argument's name (the first word) and holds every word.
"""

import numpy as np
import pytest

from dlbook import cost, exercises
from dlbook.functional import conv1d, conv1d_backward
from dlbook.layers import Conv2D, Dense
from dlbook.functional.conv_1d import resolve_padding_1d
from dlbook.functional.reference import conv1d_backward_naive, conv1d_naive

from bad_input_checks import assert_one_sentence_naming

X = np.zeros((2, 3, 8))
W = np.zeros((4, 3, 3))
DY = np.zeros((2, 4, 6))

CONV1D = {
    "conv1d": lambda *a, **k: conv1d(*a, **k),
    "conv1d_naive": lambda *a, **k: conv1d_naive(*a, **k),
}
CONV1D_BACKWARD = {
    "conv1d_backward": lambda *a, **k: conv1d_backward(*a, **k),
    "conv1d_backward_naive": lambda *a, **k: conv1d_backward_naive(*a, **k),
}

ROWS = []
for _name, _f in CONV1D.items():
    ROWS += [
        (f"{_name} x 2-D", lambda f=_f: f(np.zeros((3, 8)), W), ValueError, ["x", "3-D", "(N, C, L)"]),
        (f"{_name} w 4-D", lambda f=_f: f(X, np.zeros((4, 3, 1, 3))), ValueError, ["w", "3-D"]),
        (f"{_name} channels", lambda f=_f: f(X, np.zeros((4, 2, 3))), ValueError, ["w", "channels"]),
        (f"{_name} complex x", lambda f=_f: f(X + 0j, W), TypeError, ["x", "complex"]),
        (f"{_name} string w", lambda f=_f: f(X, "w"), TypeError, ["w"]),
        (f"{_name} empty x", lambda f=_f: f(np.zeros((0, 3, 8)), W), ValueError, ["x", "empty"]),
        (f"{_name} bias shape", lambda f=_f: f(X, W, np.zeros(3)), ValueError, ["b", "(4,)"]),
        (f"{_name} stride 0", lambda f=_f: f(X, W, stride=0), ValueError, ["stride", "0"]),
        (f"{_name} stride pair", lambda f=_f: f(X, W, stride=(1, 2)), TypeError, ["stride"]),
        (f"{_name} stride float", lambda f=_f: f(X, W, stride=1.5), TypeError, ["stride", "1.5"]),
        (f"{_name} dilation bool", lambda f=_f: f(X, W, dilation=True), TypeError, ["dilation"]),
        (f"{_name} padding -1", lambda f=_f: f(X, W, padding=-1), ValueError, ["padding", "-1"]),
        (f"{_name} padding triple", lambda f=_f: f(X, W, padding=(1, 2, 3)), ValueError, ["padding"]),
        (f"{_name} padding word", lambda f=_f: f(X, W, padding="full"), ValueError, ["padding", "full"]),
        (f"{_name} padding float", lambda f=_f: f(X, W, padding=0.5), TypeError, ["padding"]),
        (f"{_name} kernel too long", lambda f=_f: f(X, np.zeros((4, 3, 9))), ValueError, ["w", "kernel", "9"]),
        (f"{_name} dilated too long", lambda f=_f: f(X, W, dilation=4), ValueError, ["w", "kernel", "dilated to 9"]),
    ]
for _name, _f in CONV1D_BACKWARD.items():
    ROWS += [
        (f"{_name} dy shape", lambda f=_f: f(np.zeros((2, 4, 5)), X, W), ValueError, ["dy", "(2, 4, 6)"]),
        (f"{_name} dy complex", lambda f=_f: f(DY + 0j, X, W), TypeError, ["dy", "complex"]),
        (f"{_name} x 4-D", lambda f=_f: f(DY, X[..., None], W), ValueError, ["x", "3-D"]),
        (f"{_name} stride 0", lambda f=_f: f(DY, X, W, stride=0), ValueError, ["stride"]),
        (f"{_name} padding word", lambda f=_f: f(DY, X, W, padding="causal"), ValueError, ["padding", "causal"]),
    ]

ROWS += [
    ("resolve_padding_1d word", lambda: resolve_padding_1d("causal", 8, 3), ValueError, ["padding", "causal"]),
    ("resolve_padding_1d nested", lambda: resolve_padding_1d(((1, 1), (0, 0)), 8, 3), ValueError, ["padding"]),
    ("resolve_padding_1d negative", lambda: resolve_padding_1d((1, -2), 8, 3), ValueError, ["padding", "-2"]),
    ("resolve_padding_1d same stride 0", lambda: resolve_padding_1d("same", 8, 3, stride=0), ValueError, ["stride"]),
]
ROWS += [
    ("conv2d_macs x_shape 3-D", lambda: cost.conv2d_macs((1, 8, 8), (2, 1, 3, 3)), TypeError, ["x_shape", "4 positive"]),
    ("conv2d_macs x_shape zero", lambda: cost.conv2d_macs((1, 0, 8, 8), (2, 1, 3, 3)), ValueError, ["x_shape"]),
    ("conv2d_macs w_shape float", lambda: cost.conv2d_macs((1, 1, 8, 8), (2, 1, 3.0, 3)), TypeError, ["w_shape"]),
    ("conv2d_macs channels", lambda: cost.conv2d_macs((1, 2, 8, 8), (2, 1, 3, 3)), ValueError, ["w_shape", "2 input channels"]),
    ("conv2d_macs stride 0", lambda: cost.conv2d_macs((1, 1, 8, 8), (2, 1, 3, 3), stride=0), ValueError, ["stride"]),
    ("conv2d_macs padding word", lambda: cost.conv2d_macs((1, 1, 8, 8), (2, 1, 3, 3), padding="full"), ValueError, ["padding", "full"]),
    ("conv2d_macs kernel too big", lambda: cost.conv2d_macs((1, 1, 2, 8), (2, 1, 3, 3)), ValueError, ["kernel_size"]),
    ("dense_macs batch 0", lambda: cost.dense_macs(0, 3, 4), ValueError, ["batch", "0"]),
    ("dense_macs in_features float", lambda: cost.dense_macs(1, 3.5, 4), TypeError, ["in_features", "3.5"]),
    ("dense_macs out_features bool", lambda: cost.dense_macs(1, 3, True), TypeError, ["out_features"]),
    ("layer_macs not a layer", lambda: cost.layer_macs("conv", (1, 1, 8, 8)), TypeError, ["layer", "str"]),
    ("layer_macs input_shape int", lambda: cost.layer_macs(Dense(2), 4), TypeError, ["input_shape"]),
    ("layer_macs input_shape zero", lambda: cost.layer_macs(Dense(2), (1, 0)), ValueError, ["input_shape"]),
    ("check_col2im fn not callable", lambda: exercises.check_col2im("col2im"), TypeError, ["fn"]),
    ("check_macs_answer not a layer", lambda: exercises.check_macs_answer(3, object(), (1, 4)), TypeError, ["layer"]),
    ("check_macs_answer input_shape", lambda: exercises.check_macs_answer(3, Conv2D(2, 3), ()), TypeError, ["input_shape"]),
    ("check_macs_answer input_shape float", lambda: exercises.check_macs_answer(3, Dense(2), (1, 2.5)), TypeError, ["input_shape"]),
]


@pytest.mark.parametrize("label, call, error, words", ROWS, ids=[r[0] for r in ROWS])
def test_bad_arguments_get_one_error_naming_the_argument(label, call, error, words):
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error
    message = str(info.value)
    assert message.split(":")[0].split(",")[0] == words[0], message
    assert_one_sentence_naming(info, *words)
