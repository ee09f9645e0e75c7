"""dlbook.cost counts multiply-adds by formula; the counts must equal the sizes of the matrix
products the im2col path and a dense layer actually compute, and the MACs check grades a
prediction against them.
"""

import numpy as np
import pytest

from dlbook import Sequential, cost, exercises, verify
from dlbook.exercises import ExerciseFailed
from dlbook.functional import conv2d, resolve_padding
from dlbook.functional.conv import col2im, im2col
from dlbook.layers import Conv2D, Dense, Flatten, MaxPooling2D


def _product_macs(a_shape, b_shape):
    """Multiply-adds of a (batched) matrix product ``a @ b``: rows x inner x columns."""
    assert a_shape[-1] == b_shape[-2]
    batch = int(np.prod(np.broadcast_shapes(a_shape[:-2], b_shape[:-2])))
    return batch * a_shape[-2] * a_shape[-1] * b_shape[-1]


@pytest.mark.parametrize("case", verify.conv2d_cases()[::7])
def test_conv_macs_are_the_im2col_product(case):
    x = np.zeros(case["x_shape"])
    w = np.zeros(case["w_shape"])
    stride = verify._pair(case["stride"])
    dilation = verify._pair(case["dilation"])
    pads = resolve_padding(case["padding"], x.shape[2:], w.shape[2:], stride, dilation)
    cols = im2col(np.pad(x, ((0, 0), (0, 0)) + pads), w.shape[2:], stride, dilation)
    w_rows = w.reshape(w.shape[0], -1)
    expected = _product_macs(w_rows.shape, cols.shape)
    got = cost.conv2d_macs(x.shape, w.shape, case["stride"], case["padding"], case["dilation"])
    assert got == expected
    y = conv2d(x, w, stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    assert got == y.size * w[0].size  # one sum of C*KH*KW products per output cell


def test_numbers_worked_out_by_hand():
    # 28x28 'same' 3x3 with 8 filters: 784 cells x 8 filters x 9 taps
    assert cost.conv2d_macs((1, 1, 28, 28), (8, 1, 3, 3), padding="same") == 784 * 8 * 9
    # stride 2 'same' on 28x28: 14x14 outputs
    assert cost.conv2d_macs((2, 3, 28, 28), (16, 3, 3, 3), 2, "same") == 2 * 16 * 196 * 27
    assert cost.dense_macs(4, 64, 10) == _product_macs((4, 64), (64, 10)) == 2560


def test_layer_macs_sums_the_conv_and_dense_layers_and_leaves_the_model_alone():
    model = Sequential([Conv2D(8, 3, padding="same"), MaxPooling2D(2), Flatten(), Dense(10)],
                       seed=0)
    assert cost.layer_macs(model, (3, 1, 8, 8)) == 3 * (64 * 8 * 9 + 128 * 10)
    assert not model.built
    assert cost.layer_macs(Dense(5), (2, 7)) == 70
    assert cost.layer_macs(MaxPooling2D(2), (1, 1, 4, 4)) == 0


def test_check_macs_answer_grades_a_prediction(capsys):
    layer = Conv2D(16, 3, strides=2, padding="same")
    exercises.check_macs_answer(2 * 16 * 196 * 27, layer, (2, 3, 28, 28))
    assert capsys.readouterr().out.startswith("Passed: the number of multiply-adds")
    with pytest.raises(ExerciseFailed, match="169344; you predicted 1"):
        exercises.check_macs_answer(1, layer, (2, 3, 28, 28))
    with pytest.raises(NotImplementedError):
        exercises.check_macs_answer(None, layer, (2, 3, 28, 28))
    assert layer.kernel is None  # not built by the check


def test_check_col2im_passes_the_library_and_fails_a_broken_one(capsys):
    exercises.check_col2im(col2im)
    assert capsys.readouterr().out.startswith("Passed: col2im agrees with np.add.at")

    def ignores_dilation(g, shape, kernel_hw, stride, dilation):
        return col2im(g, shape, kernel_hw, stride)

    def overwrites(g, shape, kernel_hw, stride, dilation):  # "=" where overlapping windows add
        out = col2im(g, shape, kernel_hw, stride, dilation)
        return np.where(out != 0, out / 2, out)

    for broken in (ignores_dilation, overwrites):
        with pytest.raises(ExerciseFailed, match="FAILED case"):
            exercises.check_col2im(broken)

    def stub(*args):
        raise NotImplementedError("Exercise 3.5")

    with pytest.raises(NotImplementedError, match="Exercise 3.5"):
        exercises.check_col2im(stub)


@pytest.mark.parametrize("shape, kernel_hw, stride, dilation", [
    ((1, 2, 6, 7), (3, 2), (2, 1), (1, 2)), ((2, 1, 5, 5), (2, 2), (1, 1), (1, 1)),
    ((1, 1, 7, 6), (3, 3), (3, 2), (2, 1)),
])
def test_the_col2im_oracle_is_the_gradient_of_im2col_by_central_differences(
        shape, kernel_hw, stride, dilation):
    # col2im is the adjoint of im2col: d/dxp of sum(im2col(xp) * G) is col2im(G)
    rng = np.random.default_rng(0)
    xp = rng.standard_normal(shape)
    grad_columns = rng.standard_normal(im2col(xp, kernel_hw, stride, dilation).shape)
    numeric = np.zeros(shape)
    for index in np.ndindex(shape):
        bump = np.zeros(shape)
        bump[index] = 1e-6
        plus = np.sum(im2col(xp + bump, kernel_hw, stride, dilation) * grad_columns)
        minus = np.sum(im2col(xp - bump, kernel_hw, stride, dilation) * grad_columns)
        numeric[index] = (plus - minus) / 2e-6
    oracle = verify.scatter_col2im(grad_columns, shape, kernel_hw, stride, dilation)
    np.testing.assert_allclose(oracle, numeric, rtol=0, atol=1e-7)
    np.testing.assert_allclose(col2im(grad_columns, shape, kernel_hw, stride, dilation), oracle,
                               rtol=0, atol=1e-12)
