"""conv1d and conv1d_backward: the library, its naive loops and the scipy.signal oracle agree.

The grid (:func:`dlbook.verify.conv1d_cases`) covers kernels of 1 to 5 taps, strides and
dilations 1 to 3 and every padding form; both versions must agree with
``scipy.signal.correlate`` to 1e-10 in float64. The backward pass also passes a
central-difference check, and a hypothesis test draws shapes the grid did not think of.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from dlbook import verify
from dlbook.functional import conv1d, conv1d_backward, conv2d
from dlbook.functional import conv as conv_module
from dlbook.functional.reference import conv1d_backward_naive, conv1d_naive
from dlbook.gradcheck import numerical_gradient, rel_error


@pytest.mark.parametrize("fn", [conv1d, conv1d_naive])
def test_forward_agrees_with_scipy_correlate_on_the_grid(fn):
    report = verify.verify_conv1d(fn, atol=1e-10)
    assert report, str(report)
    assert report.n_cases == len(verify.conv1d_cases()) >= 200


@pytest.mark.parametrize("fn", [conv1d_backward, conv1d_backward_naive])
def test_backward_agrees_with_the_scipy_oracle_on_the_grid(fn):
    report = verify.verify_conv1d_backward(fn, atol=1e-10)
    assert report, str(report)


def test_a_flipped_kernel_fails_the_oracle():
    def flipped(x, w, b=None, **kw):
        return conv1d(x, w[:, :, ::-1], b, **kw)

    report = verify.verify_conv1d(flipped)
    assert not report and "FAILED" in str(report)


def test_the_oracle_on_one_case_written_out():
    x = np.array([[[1.0, 2.0, 0.0, -1.0, 3.0, 1.0]]])
    w = np.array([[[1.0, 0.0, -2.0]]])
    xp = np.pad(x[0, 0], (1, 2))
    expected = signal.correlate(xp, w[0, 0], mode="valid")[::2]
    got = conv1d(x, w, stride=2, padding=(1, 2))[0, 0]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_same_padding_gives_ceil_l_over_s_with_the_odd_cell_on_the_right():
    x = np.arange(1.0, 7.0).reshape(1, 1, 6)
    w = np.ones((1, 1, 3))
    y = conv1d(x, w, stride=2, padding="same")
    assert y.shape == (1, 1, 3)  # ceil(6 / 2)
    # total padding 1: none on the left, one zero on the right
    np.testing.assert_array_equal(y[0, 0], [1 + 2 + 3, 3 + 4 + 5, 5 + 6 + 0])
    for length in range(1, 12):
        for stride in (1, 2, 3):
            out = conv1d(np.ones((1, 1, length)), np.ones((1, 1, 4)), stride=stride,
                         padding="same").shape[2]
            assert out == -(-length // stride)


def test_valid_is_zero_padding_and_an_int_pads_both_ends():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 9)), rng.standard_normal((4, 3, 2))
    np.testing.assert_array_equal(conv1d(x, w, padding="valid"), conv1d(x, w, padding=0))
    np.testing.assert_array_equal(conv1d(x, w, padding=2), conv1d(x, w, padding=(2, 2)))


def test_conv1d_is_conv2d_on_an_image_of_height_one():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 10)), rng.standard_normal((4, 3, 3))
    b = rng.standard_normal(4)
    y2 = conv2d(x[:, :, None], w[:, :, None], b, stride=(1, 2), dilation=(1, 2),
                padding=((0, 0), (1, 1)))[:, :, 0]
    np.testing.assert_allclose(conv1d(x, w, b, stride=2, dilation=2, padding=1), y2,
                               rtol=0, atol=1e-12)


def test_dtypes_follow_conv2d():
    x32 = np.ones((1, 2, 5), np.float32)
    w32 = np.ones((3, 2, 2), np.float32)
    assert conv1d(x32, w32).dtype == np.float32
    assert conv1d(x32.astype(int), w32.astype(int)).dtype == np.float64
    assert conv1d(x32, w32.astype(np.float64)).dtype == np.float64
    dx, dw, db = conv1d_backward(np.ones((1, 3, 4), np.float32), x32, w32)
    assert dx.dtype == dw.dtype == db.dtype == np.float32
    assert conv1d_naive(x32, w32).dtype == np.float32


def test_both_names_are_exported_from_functional_and_conv():
    assert conv_module.conv1d is conv1d and conv_module.conv1d_backward is conv1d_backward
    assert "conv1d" in conv_module.__all__ and "conv1d_backward" in conv_module.__all__
    with pytest.raises(AttributeError):
        conv_module.conv3d  # noqa: B018


@pytest.mark.parametrize("settings_", [dict(), dict(stride=2, padding="same", dilation=1),
                                       dict(stride=3, padding=(2, 1), dilation=2)])
def test_central_differences(settings_):
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 13)), rng.standard_normal((4, 3, 3))
    b = rng.standard_normal(4)
    dy = rng.standard_normal(conv1d(x, w, b, **settings_).shape)
    dx, dw, db = conv1d_backward(dy, x, w, **settings_)

    def loss(x_, w_, b_):
        return np.sum(conv1d(x_, w_, b_, **settings_) * dy)

    assert rel_error(dx, numerical_gradient(lambda v: loss(v, w, b), x.copy())) < 1e-7
    assert rel_error(dw, numerical_gradient(lambda v: loss(x, v, b), w.copy())) < 1e-7
    assert rel_error(db, numerical_gradient(lambda v: loss(x, w, v), b.copy())) < 1e-7


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), o=st.integers(1, 3), k=st.integers(1, 6),
       length=st.integers(1, 20), stride=st.integers(1, 4), dilation=st.integers(1, 3),
       padding=st.one_of(st.integers(0, 3), st.tuples(st.integers(0, 3), st.integers(0, 3)),
                         st.sampled_from(["valid", "same"])),
       bias=st.booleans(), seed=st.integers(0, 2**16))
def test_property_any_shape_agrees_with_the_oracle_or_is_refused(
        n, c, o, k, length, stride, dilation, padding, bias, seed):
    case = {"x_shape": (n, c, length), "w_shape": (o, c, k), "bias": bias, "stride": stride,
            "padding": padding, "dilation": dilation}
    if isinstance(padding, str):
        left_right = 0 if padding == "valid" else None
    else:
        left_right = sum(padding) if isinstance(padding, tuple) else 2 * padding
    span = dilation * (k - 1) + 1
    if left_right is not None and span > length + left_right:
        with pytest.raises(ValueError, match="^w: kernel"):
            conv1d(np.zeros(case["x_shape"]), np.zeros(case["w_shape"]), padding=padding,
                   dilation=dilation)
        return
    assert verify.verify_conv1d(conv1d, cases=[case], seed=seed)
    assert verify.verify_conv1d_backward(conv1d_backward, cases=[case], seed=seed)
