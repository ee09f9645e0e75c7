"""NaN and +-inf stay local and IEEE-correct on every conv2d strategy: y, dx, dw and db hold
NaN, +inf and -inf exactly where the loops of ``dlbook.functional.reference`` put them.

Each case puts one non-finite value in turn at every cell of one plane of ``x`` (or ``dy``),
at every tap of one filter of ``w``, or in one bias, and compares the masks ``np.isnan``,
``np.isposinf`` and ``np.isneginf`` of every result with the reference's, and the finite
values to 1e-10 (float64). The geometries are chosen so that each strategy meets its hard
case: the thrown-away positions of ``'im2col-images-outer'`` (stride 1 and phases of stride 2),
taps that read only padding, and tiny images in a big batch, where :func:`conv2d` would pick
``'unrolled'``, which is exact for finite values only and refuses the rest by name.
"""

import numpy as np
import pytest

from dlbook.functional import _conv_fast, conv, conv2d, conv2d_backward
from dlbook.functional.conv import STRATEGIES
from dlbook.functional.reference import conv2d_backward_naive, conv2d_naive

# (x_shape, w_shape, stride, padding, dilation)
CASES = {
    "thrown-away columns": ((2, 2, 5, 5), (2, 2, 3, 3), 1, 0, 1),
    "stride-2 phases": ((2, 2, 6, 5), (3, 2, 3, 2), 2, 1, 1),
    "stride and dilation": ((2, 1, 7, 7), (2, 1, 2, 2), 2, 0, 2),
    "taps on padding only": ((3, 2, 4, 4), (2, 2, 3, 3), 1, 2, 1),
    "tiny images, big batch": ((8, 1, 3, 3), (2, 1, 2, 2), 1, 0, 1),
    "tiny images, padded": ((16, 1, 3, 3), (2, 1, 3, 3), 1, 1, 1),
}
UNROLLED_BY_DEFAULT = ["tiny images, big batch", "tiny images, padded"]
VALUES = [np.nan, np.inf, -np.inf]
WAYS = ["conv2d"] + list(STRATEGIES)


def _ways(name):
    """forward and backward of ``name``: conv2d's own choice or a strategy of the table."""
    if name == "conv2d":
        return conv2d, conv2d_backward
    return STRATEGIES[name]


def _placements(x_shape, w_shape, out_shape, where):
    """Every index at which one non-finite value is put, for the array ``where``."""
    if where == "x":
        return [(1, 0, i, j) for i in range(x_shape[2]) for j in range(x_shape[3])]
    if where == "w":
        return [(1, c, p, q) for c in range(w_shape[1]) for p in range(w_shape[2])
                for q in range(w_shape[3])]
    if where == "dy":
        return [(0, 1, i, j) for i in range(out_shape[2]) for j in range(out_shape[3])]
    return [(o,) for o in range(w_shape[0])]


def assert_same_non_finite(actual, expected, label):
    """NaN, +inf and -inf at the same places; the finite values equal to 1e-10."""
    for mask in (np.isnan, np.isposinf, np.isneginf):
        where = np.argwhere(mask(actual) != mask(expected))
        assert where.size == 0, f"{label}: {mask.__name__} differs at {where[:4].tolist()}"
    finite = np.isfinite(expected)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=1e-10, atol=1e-10,
                               err_msg=label)


def _inputs(case, dtype=np.float64):
    x_shape, w_shape, stride, padding, dilation = CASES[case]
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    dy = rng.standard_normal(conv2d_naive(x, w, None, stride, padding, dilation).shape)
    settings = {"stride": stride, "padding": padding, "dilation": dilation}
    return [a.astype(dtype) for a in (x, w, b, dy)], settings


@pytest.mark.parametrize("case", UNROLLED_BY_DEFAULT)
def test_the_tiny_image_cases_are_the_ones_conv2d_would_unroll(case):
    x_shape, w_shape, stride, padding, dilation = CASES[case]
    assert conv.choose_strategy(x_shape, w_shape, stride, padding, dilation) == "unrolled"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("where", ["x", "w", "dy", "b"])
@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("case", list(CASES))
def test_non_finite_values_land_where_the_loops_put_them(case, way, where):
    (x0, w0, b0, dy0), settings = _inputs(case)
    forward, backward = _ways(way)
    refuses = way == "unrolled" and where != "b"
    for index in _placements(x0.shape, w0.shape, dy0.shape, where):
        for value in VALUES:
            arrays = {"x": x0.copy(), "w": w0.copy(), "b": b0.copy(), "dy": dy0.copy()}
            arrays[where][index] = value
            x, w, b, dy = (arrays[k] for k in ("x", "w", "b", "dy"))
            label = f"{case}, {way}, {where}{list(index)} = {value}"
            if refuses:
                with pytest.raises(ValueError, match=f"^{where}: .*finite"):
                    if where != "dy":
                        forward(x, w, b, **settings)
                    backward(dy, x, w, **settings)
                continue
            assert_same_non_finite(forward(x, w, b, **settings),
                                   conv2d_naive(x, w, b, **settings), f"{label}: y")
            expected = conv2d_backward_naive(dy, x, w, **settings)
            for name, got, want in zip(("dx", "dw", "db"), backward(dy, x, w, **settings),
                                       expected):
                assert_same_non_finite(got, want, f"{label}: {name}")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("way", [way for way in WAYS if way != "unrolled"])
def test_float32_keeps_nan_and_inf_local_too(way):
    """One NaN and one -inf pixel and an inf weight in float32, against the float64 loops:
    the same masks, the finite values to float32 accuracy ('unrolled' refuses them, above)."""
    (x, w, b, dy), settings = _inputs("tiny images, padded", np.float32)
    x[3, 0, 0, 0], x[5, 0, 2, 1], w[1, 0, 0, 2] = np.nan, -np.inf, np.inf
    forward, backward = _ways(way)
    results = (forward(x, w, b, **settings),) + tuple(backward(dy, x, w, **settings))
    expected = (conv2d_naive(x, w, b, **settings),) + tuple(
        conv2d_backward_naive(dy, x, w, **settings))
    for name, got, want in zip(("y", "dx", "dw", "db"), results, expected):
        assert got.dtype == np.float32
        for mask in (np.isnan, np.isposinf, np.isneginf):
            assert np.array_equal(mask(got), mask(want)), f"{way} {name}: {mask.__name__}"
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-4, atol=1e-4)


def test_conv2d_passes_non_finite_arrays_to_an_exact_strategy_not_the_unrolled_one(monkeypatch):
    """The tuned entry points check x, w (and dy) for NaN and infinity only when the chooser
    picks 'unrolled', and then run the im2col strategy the rules pick next."""
    used = []
    for name, kernels in list(_conv_fast.KERNELS.items()):
        monkeypatch.setitem(_conv_fast.KERNELS, name, kernels._replace(
            forward=lambda *a, _f=kernels.forward, _n=name: used.append(_n) or _f(*a),
            backward=lambda *a, _f=kernels.backward, _n=name: used.append(_n) or _f(*a)))
    (x, w, b, dy), settings = _inputs("tiny images, big batch")
    conv2d(x, w, b, **settings)
    conv2d_backward(dy, x, w, **settings)
    assert used == ["unrolled", "unrolled"]
    used.clear()
    x[0, 0, 1, 1] = np.inf
    with np.errstate(invalid="ignore"):
        conv2d(x, w, b, **settings)
        conv2d_backward(dy, x, w, **settings)
    assert len(used) == 2 and "unrolled" not in used
    g = _conv_fast.geometry(x.shape, w.shape, (1, 1), ((0, 0), (0, 0)), (1, 1))
    assert used == [_conv_fast.choose(g, finite=False)] * 2


def test_the_unrolled_strategy_is_marked_exact_for_finite_values_only():
    assert [name for name, k in _conv_fast.KERNELS.items() if k.finite_only] == ["unrolled"]
