"""Property tests: hypothesis draws conv and pooling shapes the fixed grids did not think of."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from dlbook import verify
from dlbook.functional import (
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    max_pool2d,
    max_pool2d_backward,
)
from dlbook.functional.conv import STRATEGIES

pairs = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
paddings = st.one_of(
    st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)), st.sampled_from(["valid", "same"])
)


@st.composite
def conv_cases(draw):
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = draw(pairs)
    dh, dw = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    span = (dh * (kernel[0] - 1) + 1, dw * (kernel[1] - 1) + 1)
    channels = draw(st.integers(1, 3))
    return {
        "x_shape": (
            draw(st.integers(1, 2)),
            channels,
            draw(st.integers(span[0], span[0] + 5)),
            draw(st.integers(span[1], span[1] + 5)),
        ),
        "w_shape": (draw(st.integers(1, 3)), channels) + kernel,
        "bias": draw(st.booleans()),
        "stride": draw(pairs),
        "padding": draw(paddings),
        "dilation": dilation,
    }


@st.composite
def pool_cases(draw):
    pool = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(paddings)
    if not isinstance(padding, str):
        ph, pw = padding if isinstance(padding, tuple) else (padding, padding)
        padding = (min(ph, pool[0] - 1), min(pw, pool[1] - 1))
    return {
        "x_shape": (
            draw(st.integers(1, 2)),
            draw(st.integers(1, 3)),
            draw(st.integers(pool[0], pool[0] + 5)),
            draw(st.integers(pool[1], pool[1] + 5)),
        ),
        "pool_size": pool,
        "stride": draw(st.one_of(st.none(), pairs)),
        "padding": padding,
        "ties": draw(st.booleans()),
    }


@settings(max_examples=60, deadline=None)
@given(case=conv_cases(), seed=st.integers(0, 2**16), strategy=st.sampled_from(list(STRATEGIES)))
def test_conv2d_and_backward_agree_with_scipy_on_drawn_cases(case, seed, strategy):
    """conv2d's default path, and one strategy of the table drawn with the case."""
    for forward, backward in ((conv2d, conv2d_backward), STRATEGIES[strategy]):
        assert verify.verify_conv2d(forward, cases=[case], seed=seed).passed
        report = verify.verify_conv2d_backward(backward, cases=[case], seed=seed)
        assert report.passed, f"{strategy}: {report}"


@settings(max_examples=60, deadline=None)
@given(case=pool_cases(), seed=st.integers(0, 2**16))
def test_pooling_and_backward_agree_with_windowed_oracle_on_drawn_cases(case, seed):
    for kind, forward, backward in [
        ("max", max_pool2d, max_pool2d_backward),
        ("avg", avg_pool2d, avg_pool2d_backward),
    ]:
        assert verify.verify_pool2d(forward, kind, cases=[case], seed=seed).passed
        report = verify.verify_pool2d_backward(backward, kind, cases=[case], seed=seed)
        assert report.passed, str(report)


def _pads_and_size(size, kernel, stride, dilation, padding):
    """((before, after), output size) along one axis, typed from the formulas of the book, not
    taken from the library: floor((in + pad_total - d*(k-1) - 1) / s) + 1, and for 'same'
    ceil(in / s) outputs with pad_total = max((out-1)*s + d*(k-1) + 1 - in, 0), the smaller half
    before."""
    if padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
        pads = (total // 2, total - total // 2)
        assert (size + total - dilation * (kernel - 1) - 1) // stride + 1 == out
        return pads, out
    amount = 0 if padding == "valid" else padding
    return (amount, amount), (size + 2 * amount - dilation * (kernel - 1) - 1) // stride + 1


def _as_pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


@settings(max_examples=40, deadline=None)
@given(case=conv_cases(), strategy=st.sampled_from(["default"] + list(STRATEGIES)))
def test_conv2d_output_shape_follows_the_formula(case, strategy):
    forward = conv2d if strategy == "default" else STRATEGIES[strategy].forward
    x = np.zeros(case["x_shape"])
    w = np.zeros(case["w_shape"])
    y = forward(x, w, stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    stride, dilation = _as_pair(case["stride"]), _as_pair(case["dilation"])
    padding = case["padding"] if isinstance(case["padding"], str) else _as_pair(case["padding"])
    expected = tuple(
        _pads_and_size(x.shape[2 + a], w.shape[2 + a], stride[a], dilation[a],
                       padding if isinstance(padding, str) else padding[a])[1]
        for a in (0, 1)
    )
    assert y.shape == (x.shape[0], w.shape[0]) + expected
    if case["padding"] == "same":
        assert expected == tuple(-(-x.shape[2 + a] // stride[a]) for a in (0, 1))


@settings(max_examples=40, deadline=None)
@given(case=conv_cases(), seed=st.integers(0, 2**16),
       strategy=st.sampled_from(["default"] + list(STRATEGIES)))
def test_conv2d_equals_scipy_correlate2d_with_independently_typed_padding(case, seed, strategy):
    """Shape AND values against scipy.signal.correlate2d on the input padded by np.pad with the
    widths of the formula above, the kernel dilated by inserting zeros, the result subsampled by
    the stride: nothing of the library is used to build the expected output."""
    forward = conv2d if strategy == "default" else STRATEGIES[strategy].forward
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case["x_shape"])
    w = rng.standard_normal(case["w_shape"])
    b = rng.standard_normal(w.shape[0])
    stride, dilation = _as_pair(case["stride"]), _as_pair(case["dilation"])
    padding = case["padding"] if isinstance(case["padding"], str) else _as_pair(case["padding"])
    pads = [
        _pads_and_size(x.shape[2 + a], w.shape[2 + a], stride[a], dilation[a],
                       padding if isinstance(padding, str) else padding[a])[0]
        for a in (0, 1)
    ]
    kernel = np.zeros((w.shape[0], w.shape[1], dilation[0] * (w.shape[2] - 1) + 1,
                       dilation[1] * (w.shape[3] - 1) + 1))
    kernel[:, :, :: dilation[0], :: dilation[1]] = w
    expected = np.array([
        [sum(signal.correlate2d(np.pad(x[n, c], pads), kernel[o, c], mode="valid")
             for c in range(x.shape[1]))[:: stride[0], :: stride[1]] + b[o]
         for o in range(w.shape[0])]
        for n in range(x.shape[0])
    ])
    y = forward(x, w, b, stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-10)
