"""Property tests: hypothesis draws conv and pooling shapes the fixed grids did not think of."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbook import verify
from dlbook.functional import (
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    max_pool2d,
    max_pool2d_backward,
)

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
@given(case=conv_cases(), seed=st.integers(0, 2**16))
def test_conv2d_and_backward_agree_with_scipy_on_drawn_cases(case, seed):
    assert verify.verify_conv2d(conv2d, cases=[case], seed=seed).passed
    report = verify.verify_conv2d_backward(conv2d_backward, cases=[case], seed=seed)
    assert report.passed, str(report)


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


@settings(max_examples=40, deadline=None)
@given(case=conv_cases())
def test_conv2d_output_shape_follows_the_formula(case):
    from dlbook.functional import conv_output_size, resolve_padding

    x = np.zeros(case["x_shape"])
    w = np.zeros(case["w_shape"])
    y = conv2d(x, w, stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    stride = case["stride"] if isinstance(case["stride"], tuple) else (case["stride"],) * 2
    dilation = case["dilation"] if isinstance(case["dilation"], tuple) else (case["dilation"],) * 2
    pads = resolve_padding(case["padding"], x.shape[2:], w.shape[2:], stride, dilation)
    expected = tuple(
        conv_output_size(x.shape[2 + a], w.shape[2 + a], stride[a], sum(pads[a]), dilation[a]) for a in (0, 1)
    )
    assert y.shape == (x.shape[0], w.shape[0]) + expected
    if case["padding"] == "same":
        assert expected == tuple(-(-x.shape[2 + a] // stride[a]) for a in (0, 1))
