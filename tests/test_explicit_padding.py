"""Explicit padding ``((top, bottom), (left, right))``: conv2d (every strategy, the loops of
reference.py, forward and backward) and the pooling kernels are np.pad of the two spatial axes
followed by the unpadded operation, checked against scipy.signal, windowed max / mean and
central differences, in float32 and float64; the layers pass it through."""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal

from dlbook.functional import (avg_pool2d, avg_pool2d_backward, conv2d, conv2d_backward,
                               max_pool2d, max_pool2d_backward, resolve_padding)
from dlbook.functional.conv import STRATEGIES
from dlbook.functional.reference import (avg_pool2d_backward_naive, avg_pool2d_naive,
                                         conv2d_backward_naive, conv2d_naive,
                                         max_pool2d_backward_naive, max_pool2d_naive)
from dlbook.gradcheck import numerical_vjp, rel_error
from dlbook.layers import AveragePooling2D, Conv2D, MaxPooling2D

CONVS = {"default": (conv2d, conv2d_backward), "naive": (conv2d_naive, conv2d_backward_naive),
         **{name: tuple(strategy) for name, strategy in STRATEGIES.items()}}
CASES = [  # (padding, stride, dilation)
    (((1, 2), (0, 1)), 1, 1),
    (((0, 3), (2, 0)), (2, 1), 1),
    (((2, 1), (1, 3)), 2, (1, 2)),
    (((0, 0), (0, 0)), 1, 1),
    (((3, 0), (0, 0)), (1, 3), 2),
]


def np_pad(x, pads, value=0.0):
    return np.pad(x, ((0, 0), (0, 0)) + tuple(pads), constant_values=value)


def scipy_conv(x, w, b, pads, stride, dilation):
    """np.pad, then scipy.signal.correlate2d per (sample, filter, channel) on the dilated
    kernel, then every stride-th output cell."""
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    xp = np_pad(x.astype(np.float64), pads)
    kh, kw = w.shape[2:]
    wd = np.zeros(w.shape[:2] + ((kh - 1) * dh + 1, (kw - 1) * dw + 1))
    wd[:, :, ::dh, ::dw] = w
    y = np.array([[sum(signal.correlate2d(xp[n, c], wd[o, c], mode="valid")
                       for c in range(x.shape[1])) + b[o]
                   for o in range(w.shape[0])] for n in range(x.shape[0])])
    return y[:, :, ::sh, ::sw]


def data(dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, 7, 6)).astype(dtype)
    w = rng.standard_normal((4, 3, 3, 2)).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)
    return x, w, b


def test_resolve_padding_passes_explicit_pairs_through_and_lists_are_pairs_too():
    assert resolve_padding(((1, 2), (0, 3)), (5, 5), (3, 3), (1, 1)) == ((1, 2), (0, 3))
    assert resolve_padding([[4, 0], [0, 1]], (5, 5), (3, 3), (2, 2)) == ((4, 0), (0, 1))
    assert resolve_padding((np.int64(1), np.int32(2)), (5, 5), (3, 3), (1, 1)) == ((1, 1), (2, 2))


@pytest.mark.parametrize("name", sorted(CONVS))
@pytest.mark.parametrize("pads, stride, dilation", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_is_np_pad_then_valid_conv_and_scipy_agrees(name, pads, stride, dilation, dtype):
    forward, _ = CONVS[name]
    x, w, b = data(dtype)
    y = forward(x, w, b, stride=stride, padding=pads, dilation=dilation)
    valid = forward(np_pad(x, pads), w, b, stride=stride, padding=0, dilation=dilation)
    oracle = scipy_conv(x, w, b, pads, stride, dilation)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert y.dtype == dtype and y.shape == oracle.shape
    np.testing.assert_allclose(y, valid, rtol=tol, atol=tol)
    np.testing.assert_allclose(y, oracle, rtol=tol * 10, atol=tol * 10)


@pytest.mark.parametrize("name", sorted(CONVS))
@pytest.mark.parametrize("pads, stride, dilation", CASES)
def test_conv2d_backward_passes_central_differences_with_explicit_padding(
        name, pads, stride, dilation):
    forward, backward = CONVS[name]
    x, w, b = data(np.float64, seed=1)
    kwargs = {"stride": stride, "padding": pads, "dilation": dilation}
    dy = np.random.default_rng(2).standard_normal(forward(x, w, b, **kwargs).shape)
    dx, dw, db = backward(dy, x, w, **kwargs)

    def f(x_, w_, b_):
        return forward(x_, w_, b_, **kwargs)

    assert rel_error(dx, numerical_vjp(f, [x, w, b], dy, 0)) < 1e-7
    assert rel_error(dw, numerical_vjp(f, [x, w, b], dy, 1)) < 1e-7
    assert rel_error(db, numerical_vjp(f, [x, w, b], dy, 2)) < 1e-7


@pytest.mark.parametrize("name", sorted(CONVS))
@pytest.mark.parametrize("pads, stride, dilation", CASES[:3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_backward_is_the_valid_backward_of_the_padded_input_cropped(
        name, pads, stride, dilation, dtype):
    """dx is the gradient of np.pad's output cropped back to x; dw and db those of the
    valid convolution of the padded input (the float64 loops of reference.py as oracle)."""
    forward, backward = CONVS[name]
    x, w, b = data(dtype, seed=3)
    kwargs = {"stride": stride, "padding": pads, "dilation": dilation}
    dy = np.random.default_rng(4).standard_normal(forward(x, w, b, **kwargs).shape).astype(dtype)
    dx, dw, db = backward(dy, x, w, **kwargs)
    (top, bottom), (left, right) = pads
    dxp, dw_o, db_o = conv2d_backward_naive(dy.astype(np.float64), np_pad(x, pads).astype(np.float64),
                                            w.astype(np.float64), stride=stride, dilation=dilation)
    dx_o = dxp[:, :, top:top + x.shape[2], left:left + x.shape[3]]
    tol = 1e-12 if dtype == np.float64 else 2e-5
    if name != "naive":  # the loops of reference.py compute in float64
        assert dx.dtype == dw.dtype == db.dtype == dtype
    for got, want in ((dx, dx_o), (dw, dw_o), (db, db_o)):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_a_hand_worked_explicit_padding():
    """A 2x2 input of ones, padded one row on top and one column on the right, under a 2x2
    kernel of ones: each output counts the ones in its window."""
    y = conv2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), padding=((1, 0), (0, 1)))
    # padded: [[0, 0, 0], [1, 1, 0], [1, 1, 0]]
    np.testing.assert_array_equal(y[0, 0], [[2.0, 1.0], [4.0, 2.0]])


def test_conv2d_agrees_with_torch_pad_then_conv():
    torch = pytest.importorskip("torch")
    x, w, b = data(np.float64, seed=5)
    (top, bottom), (left, right) = pads = ((2, 0), (1, 3))
    want = torch.nn.functional.conv2d(
        torch.nn.functional.pad(torch.from_numpy(x), (left, right, top, bottom)),
        torch.from_numpy(w), torch.from_numpy(b), stride=(2, 1)).numpy()
    np.testing.assert_allclose(conv2d(x, w, b, stride=(2, 1), padding=pads), want, atol=1e-12)


# -- pooling -----------------------------------------------------------------------------------

POOL_CASES = [  # (pool, stride, padding)
    ((2, 2), None, ((1, 0), (0, 1))),
    ((3, 3), 2, ((0, 2), (1, 0))),
    ((3, 2), (1, 2), ((2, 1), (0, 1))),
    ((2, 3), 1, ((0, 0), (2, 2))),
]


def windows(x, pool, stride):
    stride = pool if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
    view = sliding_window_view(x, pool, axis=(2, 3))
    return view[:, :, ::stride[0], ::stride[1]]


def pool_data(dtype, seed=0):
    # distinct values, so that every window has one maximum
    return (np.random.default_rng(seed).permutation(2 * 3 * 7 * 8) / 10.0).reshape(
        2, 3, 7, 8).astype(dtype)


@pytest.mark.parametrize("pool, stride, pads", POOL_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool_is_the_window_max_of_the_input_padded_with_minus_infinity(pool, stride, pads,
                                                                            dtype):
    x = pool_data(dtype)
    want = windows(np_pad(x, pads, -np.inf), pool, stride).max(axis=(-2, -1))
    for kernel in (max_pool2d, max_pool2d_naive):
        got = kernel(x, pool, stride, pads)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("pool, stride, pads", POOL_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_avg_pool_is_the_mean_of_the_real_cells_of_each_window(pool, stride, pads, dtype):
    x = pool_data(dtype, seed=1)
    sums = windows(np_pad(x.astype(np.float64), pads), pool, stride).sum(axis=(-2, -1))
    counts = windows(np_pad(np.ones_like(x, np.float64), pads), pool, stride).sum(axis=(-2, -1))
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for kernel in (avg_pool2d, avg_pool2d_naive):
        got = kernel(x, pool, stride, pads)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, sums / counts, rtol=tol)


@pytest.mark.parametrize("pool, stride, pads", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_backward_passes_central_differences_with_explicit_padding(pool, stride, pads, kind):
    forward, backward, naive_backward = {
        "max": (max_pool2d, max_pool2d_backward, max_pool2d_backward_naive),
        "avg": (avg_pool2d, avg_pool2d_backward, avg_pool2d_backward_naive),
    }[kind]
    x = pool_data(np.float64, seed=2)
    dy = np.random.default_rng(3).standard_normal(forward(x, pool, stride, pads).shape)
    dx = backward(dy, x, pool, stride, pads)
    numeric = numerical_vjp(lambda x_: forward(x_, pool, stride, pads), [x], dy, 0, eps=1e-4)
    assert rel_error(dx, numeric) < 1e-7
    np.testing.assert_allclose(naive_backward(dy, x, pool, stride, pads), dx, atol=1e-12)


@pytest.mark.parametrize("kernel", [max_pool2d, avg_pool2d, max_pool2d_naive, avg_pool2d_naive])
def test_pool_padding_must_be_smaller_than_the_window_on_every_side(kernel):
    x = pool_data(np.float64)
    with pytest.raises(ValueError, match=r"^padding: .*2.*smaller than pool_size (2|\(2, 2\))"):
        kernel(x, 2, 1, ((0, 2), (0, 0)))
    with pytest.raises(ValueError, match=r"^padding: .*3.*smaller than pool_size (3|\(2, 3\))"):
        kernel(x, (2, 3), 1, ((1, 1), (3, 0)))
    kernel(x, (2, 3), 1, ((1, 1), (2, 0)))  # 1 < 2 and 2 < 3: accepted


# -- the layers --------------------------------------------------------------------------------


def test_conv2d_layer_with_explicit_padding_is_the_functional_conv_of_the_padded_input():
    pads = ((1, 2), (0, 1))
    layer = Conv2D(4, (3, 2), strides=(2, 1), padding=pads, activation=None)
    x, _, _ = data(np.float64, seed=6)
    layer.build(x.shape[1:], rng=0, dtype="float64")
    y = layer.forward(x)
    want = scipy_conv(x, layer.kernel.data, layer.bias.data, pads, (2, 1), 1)
    np.testing.assert_allclose(y, want, atol=1e-12)
    assert layer.output_shape == want.shape[1:] == (4, 4, 6)
    assert layer.get_config()["padding"] == [[1, 2], [0, 1]]
    assert Conv2D.from_config(layer.get_config()).padding == pads
    dy = np.random.default_rng(7).standard_normal(y.shape)
    np.testing.assert_allclose(layer.backward(dy),
                               conv2d_backward(dy, x, layer.kernel.data, (2, 1), pads)[0],
                               atol=1e-12)


@pytest.mark.parametrize("cls, oracle", [
    (MaxPooling2D, lambda v: v.max(axis=(-2, -1))),
    (AveragePooling2D, None),
])
def test_pooling_layers_with_explicit_padding(cls, oracle):
    pads = ((0, 2), (1, 0))
    x = pool_data(np.float64, seed=8)
    layer = cls(pool_size=3, strides=2, padding=pads)
    y = layer.forward(x)
    if oracle is not None:
        want = oracle(windows(np_pad(x, pads, -np.inf), (3, 3), 2))
    else:
        want = (windows(np_pad(x, pads), (3, 3), 2).sum(axis=(-2, -1))
                / windows(np_pad(np.ones_like(x), pads), (3, 3), 2).sum(axis=(-2, -1)))
    np.testing.assert_allclose(y, want, atol=1e-12)
    assert layer.output_shape == (3, 4, 4) == want.shape[1:]
    assert cls.from_config(layer.get_config()).padding == pads
