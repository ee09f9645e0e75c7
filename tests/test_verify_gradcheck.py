"""The harness and the gradient checker themselves: they pass right code and catch wrong code."""

import numpy as np
import pytest

from dlbook import verify
from dlbook.functional import avg_pool2d, conv2d, conv2d_backward, max_pool2d, max_pool2d_backward
from dlbook.gradcheck import numerical_gradient, numerical_vjp, rel_error


def test_verify_reports_the_first_failing_case_of_a_flipped_kernel():
    def true_convolution(x, w, b=None, stride=1, padding=0, dilation=1):
        return conv2d(x, w[:, :, ::-1, ::-1], b, stride=stride, padding=padding, dilation=dilation)

    report = verify.verify_conv2d(true_convolution)
    assert not report.passed and not report
    assert report.failure.case["w_shape"][2:] != (1, 1)  # a 1x1 kernel is its own flip
    assert report.failure.output == "y"
    assert "FAILED" in str(report) and "w_shape" in str(report)


def test_verify_catches_a_backward_pass_with_a_wrong_bias_gradient():
    def wrong(dy, x, w, stride=1, padding=0, dilation=1):
        dx, dw, db = conv2d_backward(dy, x, w, stride=stride, padding=padding, dilation=dilation)
        return dx, dw, db / dy.shape[0]

    report = verify.verify_conv2d_backward(wrong)
    assert not report.passed and report.failure.output == "db"


def test_verify_catches_the_equal_to_max_mask_in_max_pool_backward():
    def mask_backward(dy, x, pool_size, stride=None, padding=0):
        y = max_pool2d(x, pool_size, stride, padding)
        s = pool_size if stride is None else stride
        up = np.repeat(np.repeat(y, s, axis=2), s, axis=3)[:, :, : x.shape[2], : x.shape[3]]
        g = np.repeat(np.repeat(dy, s, axis=2), s, axis=3)[:, :, : x.shape[2], : x.shape[3]]
        return np.where(x == up, g, 0.0)

    cases = [
        {"x_shape": (1, 2, 6, 6), "pool_size": (2, 2), "stride": None, "padding": 0, "ties": True}
    ]
    report = verify.verify_pool2d_backward(mask_backward, "max", cases=cases)
    assert not report.passed
    assert verify.verify_pool2d_backward(max_pool2d_backward, "max", cases=cases).passed


def test_verify_reports_exceptions_and_wrong_shapes():
    def broken(x, w, b=None, **kwargs):
        raise NotImplementedError("write your conv2d here")

    report = verify.verify_conv2d(broken)
    assert not report.passed and "NotImplementedError" in str(report)
    report = verify.verify_pool2d(lambda x, **kw: avg_pool2d(x, **kw)[:, :, :1], "avg")
    assert not report.passed and "shape" in str(report)
    with pytest.raises(ValueError, match="kind"):
        verify.verify_pool2d(max_pool2d, "min")


def test_scipy_oracle_agrees_with_a_hand_computed_strided_dilated_case():
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    w = np.array([[[[1.0, -1.0]]]])
    y = verify.scipy_conv2d(x, w, stride=2, dilation=2)
    # taps (i, j) and (i, j + 2): x[i, j] - x[i, j + 2] = -2 everywhere
    np.testing.assert_array_equal(y, np.full((1, 1, 3, 2), -2.0))


def test_numerical_gradient_of_known_functions():
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(np.sin(v)), x), np.cos(x), rtol=1e-9)
    np.testing.assert_array_equal(x, [0.5, -1.0, 2.0])  # restored
    dy = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(numerical_vjp(np.exp, [x], dy, 0), dy * np.exp(x), rtol=1e-7)
    with pytest.raises(TypeError, match="x"):
        numerical_gradient(np.sum, x.astype(np.float32))


def test_rel_error_values():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.array([1.0]), np.array([-1.0])) == 1.0
    assert rel_error(np.array([1.0, 0.0]), np.array([1.0, 1e-8])) == pytest.approx(1e-8 / (2 + 1e-8))
    with pytest.raises(ValueError, match="shapes"):
        rel_error(np.zeros(2), np.zeros(3))
