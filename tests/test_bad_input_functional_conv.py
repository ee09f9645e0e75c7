"""Every public function of the convolution modules checks every argument: one ValueError or
TypeError that names the argument, before any work is done.

The modules are ``dlbook.functional.conv`` (with the size arithmetic of
``dlbook.functional.padding`` it re-exports), ``dlbook.functional._conv_fast`` and the conv
loops of ``dlbook.functional.reference``. One table lists (call, bad arguments, exception,
words the message must hold), its first word being the argument's name; a hypothesis test then
draws valid and invalid arguments mixed and checks each call against the output-size formula
typed here, or against an error naming one of the bad arguments.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbook.functional import _conv_fast, conv, padding, reference
from dlbook.functional.conv import STRATEGIES, TUNING

X = np.zeros((2, 3, 6, 6))
W = np.zeros((4, 3, 3, 3))
DY = np.zeros((2, 4, 4, 4))
G = _conv_fast.geometry(X.shape, W.shape, (1, 1), ((0, 0), (0, 0)), (1, 1))
NAN_X = np.where(np.eye(6, dtype=bool), np.nan, 0.0) * np.ones((2, 3, 1, 1))
COLUMNS = np.zeros((2, 27, 16))

CONV_CALLS = {
    "conv2d": lambda **k: conv.conv2d(X, W, **k),
    "conv2d_backward": lambda **k: conv.conv2d_backward(DY, X, W, **k),
    "conv2d_im2col": lambda **k: conv.conv2d_im2col(X, W, **k),
    "conv2d_backward_im2col": lambda **k: conv.conv2d_backward_im2col(DY, X, W, **k),
    "conv2d_naive": lambda **k: reference.conv2d_naive(X, W, **k),
    "conv2d_backward_naive": lambda **k: reference.conv2d_backward_naive(DY, X, W, **k),
}
for _name, _strategy in STRATEGIES.items():
    CONV_CALLS[f"{_name}.forward"] = lambda _f=_strategy.forward, **k: _f(X, W, **k)
    CONV_CALLS[f"{_name}.backward"] = lambda _f=_strategy.backward, **k: _f(DY, X, W, **k)

# (label, call, exception, words): the first word is the argument the message must name.
CASES = [
    # same_padding
    ("same_padding input_size<0", lambda: conv.same_padding(-5, 3), ValueError, ["input_size", "-5"]),
    ("same_padding input_size=0", lambda: conv.same_padding(0, 3), ValueError, ["input_size", "0"]),
    ("same_padding input_size float", lambda: conv.same_padding(5.5, 3), TypeError, ["input_size", "5.5"]),
    ("same_padding input_size bool", lambda: conv.same_padding(True, 3), TypeError, ["input_size", "True"]),
    ("same_padding kernel_size=0", lambda: conv.same_padding(5, 0), ValueError, ["kernel_size", "0"]),
    ("same_padding kernel_size str", lambda: conv.same_padding(5, "3"), TypeError, ["kernel_size", "'3'"]),
    ("same_padding stride=0", lambda: conv.same_padding(5, 3, stride=0), ValueError, ["stride", "0"]),
    ("same_padding stride float", lambda: conv.same_padding(5, 3, stride=2.0), TypeError, ["stride"]),
    ("same_padding dilation<0", lambda: conv.same_padding(5, 3, dilation=-1), ValueError, ["dilation", "-1"]),
    ("same_padding dilation bool", lambda: conv.same_padding(5, 3, dilation=False), TypeError, ["dilation"]),
    # conv_output_size
    ("conv_output_size window too big", lambda: conv.conv_output_size(2, 5), ValueError, ["kernel_size", "5", "2"]),
    ("conv_output_size dilated too big", lambda: conv.conv_output_size(5, 3, dilation=3), ValueError, ["kernel_size", "dilated to 7"]),
    ("conv_output_size huge kernel", lambda: conv.conv_output_size(5, 10**9), ValueError, ["kernel_size"]),
    ("conv_output_size input_size=0", lambda: conv.conv_output_size(0, 1), ValueError, ["input_size"]),
    ("conv_output_size input_size float", lambda: conv.conv_output_size(5.0, 3), TypeError, ["input_size"]),
    ("conv_output_size input_size bool", lambda: conv.conv_output_size(True, 1), TypeError, ["input_size"]),
    ("conv_output_size kernel_size<0", lambda: conv.conv_output_size(5, -3), ValueError, ["kernel_size", "-3"]),
    ("conv_output_size stride=0", lambda: conv.conv_output_size(5, 3, stride=0), ValueError, ["stride", "0"]),
    ("conv_output_size stride=0 same", lambda: conv.conv_output_size(5, 3, 0, "same"), ValueError, ["stride", "0"]),
    ("conv_output_size stride None", lambda: conv.conv_output_size(5, 3, None), TypeError, ["stride", "None"]),
    ("conv_output_size padding<0", lambda: conv.conv_output_size(5, 3, padding=-1), ValueError, ["padding", "-1"]),
    ("conv_output_size padding float", lambda: conv.conv_output_size(5, 3, padding=1.5), TypeError, ["padding", "1.5"]),
    ("conv_output_size padding bool", lambda: conv.conv_output_size(5, 3, padding=True), TypeError, ["padding", "True"]),
    ("conv_output_size padding pair", lambda: conv.conv_output_size(5, 3, padding=(1, 1)), TypeError, ["padding", "(1, 1)"]),
    ("conv_output_size padding mode", lambda: conv.conv_output_size(5, 3, padding="full"), ValueError, ["padding", "full"]),
    ("conv_output_size dilation=0", lambda: conv.conv_output_size(5, 3, dilation=0), ValueError, ["dilation", "0"]),
    # resolve_padding
    ("resolve_padding padding<0", lambda: conv.resolve_padding(-1, (5, 5), (3, 3), (1, 1)), ValueError, ["padding", "-1"]),
    ("resolve_padding padding float", lambda: conv.resolve_padding(1.0, (5, 5), (3, 3), (1, 1)), TypeError, ["padding"]),
    ("resolve_padding padding bool", lambda: conv.resolve_padding(True, (5, 5), (3, 3), (1, 1)), TypeError, ["padding"]),
    ("resolve_padding padding None", lambda: conv.resolve_padding(None, (5, 5), (3, 3), (1, 1)), TypeError, ["padding", "None"]),
    ("resolve_padding padding triple", lambda: conv.resolve_padding((1, 1, 1), (5, 5), (3, 3), (1, 1)), ValueError, ["padding"]),
    ("resolve_padding explicit padding<0", lambda: conv.resolve_padding(((0, -1), (0, 0)), (5, 5), (3, 3), (1, 1)), ValueError, ["padding", "-1"]),
    ("resolve_padding explicit padding str", lambda: conv.resolve_padding(((0, "1"), (0, 0)), (5, 5), (3, 3), (1, 1)), TypeError, ["padding", "'1'"]),
    ("resolve_padding explicit padding single pair", lambda: conv.resolve_padding(((0, 1),), (5, 5), (3, 3), (1, 1)), ValueError, ["padding", "((0, 1),)"]),
    ("resolve_padding explicit padding mixed", lambda: conv.resolve_padding((2, (0, 1)), (5, 5), (3, 3), (1, 1)), ValueError, ["padding", "two pairs"]),
    ("resolve_padding padding mode", lambda: conv.resolve_padding("full", (5, 5), (3, 3), (1, 1)), ValueError, ["padding", "full"]),
    ("resolve_padding input_hw=0", lambda: conv.resolve_padding("same", (0, 5), (3, 3), (1, 1)), ValueError, ["input_hw", "0"]),
    ("resolve_padding input_hw float", lambda: conv.resolve_padding(1, (5.0, 5), (3, 3), (1, 1)), TypeError, ["input_hw"]),
    ("resolve_padding input_hw short", lambda: conv.resolve_padding(1, (5,), (3, 3), (1, 1)), ValueError, ["input_hw"]),
    ("resolve_padding kernel_hw<0", lambda: conv.resolve_padding("same", (5, 5), (3, -3), (1, 1)), ValueError, ["kernel_hw", "-3"]),
    ("resolve_padding stride_hw=0", lambda: conv.resolve_padding("same", (5, 5), (3, 3), (1, 0)), ValueError, ["stride_hw", "0"]),
    ("resolve_padding stride_hw str", lambda: conv.resolve_padding("same", (5, 5), (3, 3), "1"), TypeError, ["stride_hw"]),
    ("resolve_padding dilation_hw bool", lambda: conv.resolve_padding("same", (5, 5), (3, 3), (1, 1), (True, 1)), TypeError, ["dilation_hw"]),
    # im2col and col2im
    ("im2col xp 3-D", lambda: conv.im2col(np.zeros((1, 3, 3)), (2, 2)), ValueError, ["xp", "(1, 3, 3)"]),
    ("im2col xp empty", lambda: conv.im2col(np.zeros((0, 1, 3, 3)), (2, 2)), ValueError, ["xp", "empty"]),
    ("im2col xp complex", lambda: conv.im2col(np.zeros((1, 1, 3, 3), complex), (2, 2)), TypeError, ["xp", "complex"]),
    ("im2col xp strings", lambda: conv.im2col([[[["a"]]]], (1, 1)), TypeError, ["xp"]),
    ("im2col kernel_hw=0", lambda: conv.im2col(np.zeros((1, 1, 3, 3)), (0, 2)), ValueError, ["kernel_hw", "0"]),
    ("im2col kernel_hw too big", lambda: conv.im2col(np.zeros((1, 1, 3, 3)), (4, 2)), ValueError, ["kernel_hw", "4", "3"]),
    ("im2col kernel_hw float", lambda: conv.im2col(np.zeros((1, 1, 3, 3)), 2.0), TypeError, ["kernel_hw"]),
    ("im2col stride=0", lambda: conv.im2col(np.zeros((1, 1, 3, 3)), (2, 2), (0, 1)), ValueError, ["stride", "0"]),
    ("im2col dilation too big", lambda: conv.im2col(np.zeros((1, 1, 3, 3)), (2, 2), (1, 1), (3, 1)), ValueError, ["kernel_hw", "dilated"]),
    ("im2col dilation bool", lambda: conv.im2col(np.zeros((1, 1, 3, 3)), (2, 2), (1, 1), True), TypeError, ["dilation"]),
    ("col2im grad_columns shape", lambda: conv.col2im(np.ones((1, 4, 3)), (1, 1, 3, 3), (2, 2)), ValueError, ["grad_columns", "(1, 4, 4)", "(1, 4, 3)"]),
    ("col2im grad_columns complex", lambda: conv.col2im(np.ones((1, 4, 4), complex), (1, 1, 3, 3), (2, 2)), TypeError, ["grad_columns", "complex"]),
    ("col2im padded_shape 3-D", lambda: conv.col2im(np.ones((1, 4, 4)), (1, 3, 3), (2, 2)), TypeError, ["padded_shape"]),
    ("col2im padded_shape<0", lambda: conv.col2im(np.ones((1, 4, 4)), (1, 1, -3, 3), (2, 2)), ValueError, ["padded_shape", "-3"]),
    ("col2im padded_shape float", lambda: conv.col2im(np.ones((1, 4, 4)), (1, 1, 3.0, 3), (2, 2)), TypeError, ["padded_shape"]),
    ("col2im kernel_hw too big", lambda: conv.col2im(np.ones((1, 4, 4)), (1, 1, 3, 3), (5, 2)), ValueError, ["kernel_hw", "5"]),
    ("col2im stride<0", lambda: conv.col2im(np.ones((1, 4, 4)), (1, 1, 3, 3), (2, 2), (-1, 1)), ValueError, ["stride", "-1"]),
    ("col2im dilation=0", lambda: conv.col2im(np.ones((1, 4, 4)), (1, 1, 3, 3), (2, 2), (1, 1), 0), ValueError, ["dilation", "0"]),
    # choose_strategy
    ("choose_strategy x_shape 3-D", lambda: conv.choose_strategy((2, 3, 6), W.shape), TypeError, ["x_shape", "(2, 3, 6)"]),
    ("choose_strategy x_shape=0", lambda: conv.choose_strategy((0, 3, 6, 6), W.shape), ValueError, ["x_shape"]),
    ("choose_strategy x_shape bool", lambda: conv.choose_strategy((True, 3, 6, 6), W.shape), TypeError, ["x_shape"]),
    ("choose_strategy x_shape int", lambda: conv.choose_strategy(6, W.shape), TypeError, ["x_shape"]),
    ("choose_strategy w_shape channels", lambda: conv.choose_strategy(X.shape, (4, 2, 3, 3)), ValueError, ["w_shape", "3"]),
    ("choose_strategy w_shape float", lambda: conv.choose_strategy(X.shape, (4, 3, 3.0, 3)), TypeError, ["w_shape"]),
    ("choose_strategy window too big", lambda: conv.choose_strategy(X.shape, (4, 3, 7, 7)), ValueError, ["w_shape", "7", "6"]),
    ("choose_strategy stride=0", lambda: conv.choose_strategy(X.shape, W.shape, 0), ValueError, ["stride", "0"]),
    ("choose_strategy padding<0", lambda: conv.choose_strategy(X.shape, W.shape, 1, -2), ValueError, ["padding", "-2"]),
    ("choose_strategy dilation float", lambda: conv.choose_strategy(X.shape, W.shape, 1, 0, 1.5), TypeError, ["dilation"]),
    ("choose_strategy tuning None", lambda: conv.choose_strategy(X.shape, W.shape, tuning=None), TypeError, ["tuning", "NoneType"]),
    ("choose_strategy tuning field", lambda: conv.choose_strategy(X.shape, W.shape, tuning=TUNING._replace(short_row=-1)), ValueError, ["tuning.short_row", "-1"]),
    # _conv_fast
    ("geometry x_shape", lambda: _conv_fast.geometry((2, 3, 6), W.shape, (1, 1), ((0, 0), (0, 0)), (1, 1)), TypeError, ["x_shape"]),
    ("geometry w_shape channels", lambda: _conv_fast.geometry(X.shape, (4, 1, 3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1)), ValueError, ["w_shape"]),
    ("geometry window too big", lambda: _conv_fast.geometry(X.shape, (4, 3, 9, 3), (1, 1), ((1, 1), (0, 0)), (1, 1)), ValueError, ["w_shape", "9", "8"]),
    ("geometry stride=0", lambda: _conv_fast.geometry(X.shape, W.shape, (0, 1), ((0, 0), (0, 0)), (1, 1)), ValueError, ["stride"]),
    ("geometry pads flat", lambda: _conv_fast.geometry(X.shape, W.shape, (1, 1), (0, 0), (1, 1)), TypeError, ["pads", "(0, 0)"]),
    ("geometry pads<0", lambda: _conv_fast.geometry(X.shape, W.shape, (1, 1), ((0, -1), (0, 0)), (1, 1)), ValueError, ["pads", "-1"]),
    ("geometry pads float", lambda: _conv_fast.geometry(X.shape, W.shape, (1, 1), ((0, 0.5), (0, 0)), (1, 1)), TypeError, ["pads"]),
    ("geometry dilation bool", lambda: _conv_fast.geometry(X.shape, W.shape, (1, 1), ((0, 0), (0, 0)), (1, False)), TypeError, ["dilation"]),
    ("choose g tuple", lambda: _conv_fast.choose(tuple(G)), TypeError, ["g", "Geometry"]),
    ("choose g inconsistent", lambda: _conv_fast.choose(G._replace(oh=9)), ValueError, ["g", "(4, 4)", "(9, 4)"]),
    ("choose g broken field", lambda: _conv_fast.choose(G._replace(sh=0)), ValueError, ["stride"]),
    ("choose tuning", lambda: _conv_fast.choose(G, "fast"), TypeError, ["tuning", "str"]),
    ("choose finite", lambda: _conv_fast.choose(G, TUNING, "no"), TypeError, ["finite", "'no'"]),
    ("column_entries_per_image strategy", lambda: _conv_fast.column_entries_per_image(G, "unrolled"), ValueError, ["strategy", "unrolled"]),
    ("column_entries_per_image g", lambda: _conv_fast.column_entries_per_image(None, "im2col-images-inner"), TypeError, ["g"]),
    ("chunks dtype", lambda: _conv_fast.chunks(G, "im2col-images-inner", np.float16, TUNING), ValueError, ["dtype", "float16"]),
    ("chunks dtype junk", lambda: _conv_fast.chunks(G, "im2col-images-inner", "junk", TUNING), TypeError, ["dtype", "junk"]),
    ("chunks strategy", lambda: _conv_fast.chunks(G, "fft", np.float64, TUNING), ValueError, ["strategy", "fft"]),
    ("chunks tuning budget", lambda: _conv_fast.chunks(G, "im2col-images-outer", np.float64, TUNING._replace(column_budget_bytes=0)), ValueError, ["tuning.column_budget_bytes", "0"]),
    ("check_tuning dw_block", lambda: _conv_fast.check_tuning(TUNING._replace(dw_block=0)), ValueError, ["tuning.dw_block", "0"]),
    ("check_tuning float", lambda: _conv_fast.check_tuning(TUNING._replace(unrolled_max_entries=1.5)), TypeError, ["tuning.unrolled_max_entries", "1.5"]),
    ("check_tuning bool", lambda: _conv_fast.check_tuning(TUNING._replace(short_row=True)), TypeError, ["tuning.short_row", "True"]),
    ("check_tuning tuple", lambda: _conv_fast.check_tuning(tuple(TUNING)), TypeError, ["tuning", "tuple"]),
    # a strategy exact for finite values only, asked for by name
    ("unrolled forward nan x", lambda: STRATEGIES["unrolled"].forward(NAN_X, W), ValueError, ["x", "finite"]),
    ("unrolled forward inf w", lambda: STRATEGIES["unrolled"].forward(X, np.full(W.shape, np.inf)), ValueError, ["w", "finite"]),
    ("unrolled backward inf dy", lambda: STRATEGIES["unrolled"].backward(np.full(DY.shape, -np.inf), X, W), ValueError, ["dy", "finite"]),
    ("tuned tuning junk", lambda: STRATEGIES["im2col-images-outer"].forward(X, W, tuning=3), TypeError, ["tuning", "int"]),
    ("tuned tuning dw_block", lambda: STRATEGIES["im2col-images-inner"].backward(DY, X, W, tuning=TUNING._replace(dw_block=-4)), ValueError, ["tuning.dw_block", "-4"]),
]

# Every conv entry point (conv2d, its backward, each strategy of the table and the loops of
# reference.py) with the same bad stride, padding, dilation and bias.
for _call_name, _call in CONV_CALLS.items():
    takes_bias = "backward" not in _call_name
    CASES += [
        (f"{_call_name} stride=0", lambda _c=_call: _c(stride=0), ValueError, ["stride", "0"]),
        (f"{_call_name} stride bool", lambda _c=_call: _c(stride=True), TypeError, ["stride", "True"]),
        (f"{_call_name} stride str", lambda _c=_call: _c(stride="2"), TypeError, ["stride"]),
        (f"{_call_name} padding<0", lambda _c=_call: _c(padding=(0, -1)), ValueError, ["padding", "-1"]),
        (f"{_call_name} padding float", lambda _c=_call: _c(padding=0.5), TypeError, ["padding", "0.5"]),
        (f"{_call_name} padding mode", lambda _c=_call: _c(padding="full"), ValueError, ["padding", "full"]),
        (f"{_call_name} explicit padding<0", lambda _c=_call: _c(padding=((1, 0), (0, -2))), ValueError, ["padding", "-2"]),
        (f"{_call_name} explicit padding float", lambda _c=_call: _c(padding=((1, 0.5), (0, 0))), TypeError, ["padding", "0.5"]),
        (f"{_call_name} explicit padding bool", lambda _c=_call: _c(padding=((1, 0), (True, 0))), TypeError, ["padding", "True"]),
        (f"{_call_name} explicit padding triple", lambda _c=_call: _c(padding=((1, 0, 1), (0, 0))), ValueError, ["padding", "(1, 0, 1)"]),
        (f"{_call_name} explicit padding three pairs", lambda _c=_call: _c(padding=((1, 0), (0, 0), (0, 0))), ValueError, ["padding", "two pairs"]),
        (f"{_call_name} explicit padding mixed", lambda _c=_call: _c(padding=((1, 0), 2)), ValueError, ["padding", "two pairs"]),
        (f"{_call_name} dilation=0", lambda _c=_call: _c(dilation=0), ValueError, ["dilation", "0"]),
        (f"{_call_name} dilation too big", lambda _c=_call: _c(dilation=(3, 1)), ValueError, ["w", "dilated"]),
    ]
    if takes_bias:
        CASES += [
            (f"{_call_name} b shape", lambda _c=_call: _c(b=np.zeros(3)), ValueError, ["b", "(4,)", "(3,)"]),
            (f"{_call_name} b complex", lambda _c=_call: _c(b=np.zeros(4, complex)), TypeError, ["b", "complex"]),
        ]


@pytest.mark.parametrize(("label", "call", "error", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_arguments_get_one_error_naming_the_argument(label, call, error, words):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{words[0]}:") or message.startswith(f"{words[0]} "), message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert "\n" not in message


def test_the_table_walks_every_public_function_of_the_conv_modules():
    public = {f"{module.__name__.rsplit('.', 1)[1]}.{name}"
              for module in (conv, padding, _conv_fast)
              for name, value in vars(module).items()
              if callable(value) and not name.startswith("_") and not isinstance(value, type)
              and getattr(value, "__module__", "").startswith("dlbook.functional")}
    public -= {"conv.Strategy", "_conv_fast.Kernels"}
    labels = " ".join(label for label, *_ in CASES)
    missing = [name for name in sorted(public) if name.split(".")[1] not in labels]
    assert missing == []


# ---- hypothesis: valid and invalid arguments mixed

SIZES = st.one_of(st.integers(-2, 12), st.integers(10**6, 10**9), st.floats(-2, 12),
                  st.booleans(), st.text(max_size=2), st.none())
PADDINGS = st.one_of(st.integers(-2, 6), st.sampled_from(["same", "valid", "SAME", "Valid",
                                                         "full", ""]),
                     st.floats(0, 3), st.booleans(), st.tuples(st.integers(0, 2),
                                                               st.integers(0, 2)))


def _positive_int(value):
    return type(value) is int and value > 0


def _bad_names(input_size, kernel_size, stride, padding, dilation):
    """The arguments that break the rules by themselves (types, signs), and the total padding."""
    bad = [name for name, value in (("input_size", input_size), ("kernel_size", kernel_size),
                                    ("stride", stride), ("dilation", dilation))
           if not _positive_int(value)]
    if isinstance(padding, str):
        if padding.lower() not in ("same", "valid"):
            bad.append("padding")
    elif type(padding) is not int or padding < 0:
        bad.append("padding")
    return bad


def _expected_size(input_size, kernel_size, stride, padding, dilation):
    """The output size, from the formula; None when the window does not fit."""
    if isinstance(padding, str) and padding.lower() == "same":
        return -(-input_size // stride)
    total = 0 if isinstance(padding, str) else padding
    span = dilation * (kernel_size - 1) + 1
    if input_size + total < span:
        return None
    return (input_size + total - span) // stride + 1


@settings(max_examples=300, deadline=None)
@given(SIZES, SIZES, SIZES, PADDINGS, SIZES)
def test_conv_output_size_is_the_formula_or_an_error_naming_a_bad_argument(
        input_size, kernel_size, stride, padding, dilation):
    args = (input_size, kernel_size, stride, padding, dilation)
    bad = _bad_names(*args)
    expected = None if bad else _expected_size(*args)
    if expected is not None:
        assert conv.conv_output_size(*args) == expected
        return
    with pytest.raises((ValueError, TypeError)) as info:
        conv.conv_output_size(*args)
    assert str(info.value).split(":")[0] in (bad or ["kernel_size"])


@settings(max_examples=200, deadline=None)
@given(SIZES, SIZES, SIZES, SIZES)
def test_same_padding_gives_the_output_ceil_in_over_stride_or_names_a_bad_argument(
        input_size, kernel_size, stride, dilation):
    bad = _bad_names(input_size, kernel_size, stride, 0, dilation)
    if bad:
        with pytest.raises((ValueError, TypeError)) as info:
            conv.same_padding(input_size, kernel_size, stride, dilation)
        assert str(info.value).split(":")[0] in bad
        return
    before, after = conv.same_padding(input_size, kernel_size, stride, dilation)
    assert type(before) is int and type(after) is int and 0 <= after - before <= 1
    span = dilation * (kernel_size - 1) + 1
    out = -(-input_size // stride)
    assert before + after == max((out - 1) * stride + span - input_size, 0)


SMALL = st.one_of(st.integers(-1, 4), st.floats(0, 3), st.booleans(), st.just("2"),
                  st.tuples(st.integers(0, 3), st.integers(0, 3)))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 7), st.integers(1, 7), st.integers(1, 4), st.integers(1, 4),
       SMALL, st.one_of(SMALL, st.sampled_from(["same", "valid", "full"])), SMALL,
       st.sampled_from(list(STRATEGIES)))
def test_conv2d_strategies_give_the_formula_shape_or_name_a_bad_argument(
        height, width, kh, kw, stride, padding_arg, dilation, strategy):
    """Any strategy of the table, on zero images: the output shape of the formula per axis, or
    a ValueError/TypeError whose message starts with a bad argument's name (``w`` when the
    window does not fit), never another exception."""
    x, w = np.zeros((2, 1, height, width)), np.zeros((3, 1, kh, kw))

    def pair(value):
        return value if isinstance(value, tuple) else (value, value)

    bad = [name for name, value in (("stride", stride), ("dilation", dilation))
           if not all(_positive_int(v) for v in pair(value))]
    if isinstance(padding_arg, str):
        bad += [] if padding_arg in ("same", "valid") else ["padding"]
    elif not all(type(v) is int and v >= 0 for v in pair(padding_arg)):
        bad.append("padding")
    expected = None
    if not bad:
        sizes = []
        for size, k, s, p, d in zip((height, width), (kh, kw), pair(stride), pair(padding_arg),
                                    pair(dilation)):
            if isinstance(p, str):
                sizes.append(_expected_size(size, k, s, p, d))
            else:
                sizes.append(_expected_size(size, k, s, 2 * p, d))
        expected = None if None in sizes else (2, 3, *sizes)
    forward = STRATEGIES[strategy].forward
    if expected is not None:
        assert forward(x, w, stride=stride, padding=padding_arg, dilation=dilation).shape \
            == expected
        return
    with pytest.raises((ValueError, TypeError)) as info:
        forward(x, w, stride=stride, padding=padding_arg, dilation=dilation)
    assert str(info.value).split(":")[0] in (bad or ["w"])
