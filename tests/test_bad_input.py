"""Every public kernel rejects bad input up front, with an error that names the argument."""

import numpy as np
import pytest

from dlbook.functional import (
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    max_pool2d,
    max_pool2d_backward,
    mean_squared_error,
    relu_backward,
    softmax_cross_entropy,
)

X = np.zeros((2, 3, 6, 6))
W = np.zeros((4, 3, 3, 3))


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: conv2d(np.zeros((3, 6, 6)), W), ValueError, ["x", "(3, 6, 6)"]),
        (lambda: conv2d(X, np.zeros((4, 3, 3))), ValueError, ["w", "(4, 3, 3)"]),
        (lambda: conv2d(X, np.zeros((4, 2, 3, 3))), ValueError, ["w", "2", "3"]),
        (lambda: conv2d(X, W, b=np.zeros(3)), ValueError, ["b", "(4,)", "(3,)"]),
        (lambda: conv2d(X, W, stride=0), ValueError, ["stride", "0"]),
        (lambda: conv2d(X, W, stride=1.5), TypeError, ["stride", "1.5"]),
        (lambda: conv2d(X, W, stride=(1, 2, 3)), ValueError, ["stride"]),
        (lambda: conv2d(X, W, dilation=-1), ValueError, ["dilation", "-1"]),
        (lambda: conv2d(X, W, dilation=2.0), TypeError, ["dilation"]),
        (lambda: conv2d(X, W, padding=-1), ValueError, ["padding", "-1"]),
        (lambda: conv2d(X, W, padding=(1, -2)), ValueError, ["padding", "-2"]),
        (lambda: conv2d(X, W, padding="full"), ValueError, ["padding", "full"]),
        (lambda: conv2d(X, np.zeros((4, 3, 7, 7))), ValueError, ["w", "7", "6"]),
        (lambda: conv2d(X, W, dilation=3), ValueError, ["w", "dilated"]),
        (lambda: conv2d(X.astype(complex), W), TypeError, ["x", "complex"]),
        (lambda: conv2d(X.astype(object), W), TypeError, ["x", "object"]),
        (lambda: conv2d(X, W.astype(complex)), TypeError, ["w", "complex"]),
        (lambda: conv2d_backward(np.zeros((2, 4, 3, 3)), X, W), ValueError, ["dy", "(2, 4, 4, 4)"]),
        (lambda: max_pool2d(np.zeros((6, 6)), 2), ValueError, ["x", "(6, 6)"]),
        (lambda: max_pool2d(X, 0), ValueError, ["pool_size", "0"]),
        (lambda: avg_pool2d(X, (2, -1)), ValueError, ["pool_size", "-1"]),
        (lambda: max_pool2d(X, 2, stride=0), ValueError, ["stride"]),
        (lambda: max_pool2d(X, 2, padding=-1), ValueError, ["padding"]),
        (lambda: max_pool2d(X, 2, padding="full"), ValueError, ["padding"]),
        (lambda: max_pool2d(X, 2, padding=2), ValueError, ["padding", "pool_size"]),
        (lambda: max_pool2d(X, 7), ValueError, ["pool_size", "7", "6"]),
        (lambda: avg_pool2d(X.astype(complex), 2), TypeError, ["x", "complex"]),
        (lambda: max_pool2d_backward(np.zeros((2, 3, 2, 2)), X, 2), ValueError, ["dy", "(2, 3, 3, 3)"]),
        (lambda: avg_pool2d_backward(np.zeros((2, 3, 3)), X, 2), ValueError, ["dy"]),
        (lambda: relu_backward(np.zeros(3), np.zeros(4)), ValueError, ["dy"]),
        (lambda: softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3])), ValueError, ["labels", "[0, 3)"]),
        (lambda: softmax_cross_entropy(np.zeros((2, 3)), np.array([-1, 0])), ValueError, ["labels"]),
        (lambda: softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2])), ValueError, ["labels", "2", "3"]),
        (lambda: softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])), TypeError, ["labels", "integer"]),
        (lambda: softmax_cross_entropy(np.zeros((2, 3)), np.zeros((2, 4))), ValueError, ["labels", "(2, 3)"]),
        (lambda: softmax_cross_entropy(np.zeros((2, 3)), np.full((2, 3), 0.5)), ValueError, ["labels", "sum"]),
        (lambda: softmax_cross_entropy(np.zeros(3), np.array([0])), ValueError, ["logits"]),
        (lambda: softmax_cross_entropy(np.zeros((2, 3), complex), np.array([0, 1])), TypeError, ["logits", "complex"]),
        (lambda: mean_squared_error(np.zeros(3), np.zeros(4)), ValueError, ["targets", "(3,)", "(4,)"]),
    ],
)
def test_bad_input_is_rejected_with_a_message_naming_the_argument(call, error, words):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
