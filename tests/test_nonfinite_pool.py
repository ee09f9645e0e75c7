"""Pooling with -inf, +inf and NaN: every path of max pooling routes gradients as PyTorch does.

The rules (typed by hand below, then checked against PyTorch when it is installed): padded cells
never win a max; ties among values go to the first maximal cell in row-major order (a window of
-inf cells: its first real cell); a window holding a NaN outputs NaN and passes its gradient to
its LAST NaN in row-major order (PyTorch's loop takes a cell when ``value > best or
isnan(value)``). Average pooling follows IEEE arithmetic, as the naive loop does.
"""

import numpy as np
import pytest

from dlbook.functional import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from dlbook.functional import pool
from dlbook.functional.reference import (
    avg_pool2d_backward_naive,
    avg_pool2d_naive,
    max_pool2d_backward_naive,
    max_pool2d_naive,
)

try:
    import torch
except ImportError:  # the rules and the three paths are still checked against each other
    torch = None

NAN, INF = np.nan, np.inf
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


def _general_backward(dy, x, pool_size, stride=None, padding=0):
    """The general (any window) backward path, also on the windows the 2x2 fast path takes."""
    x = np.asarray(x, dtype=float)
    geometry = pool.pool_geometry(x.shape, pool_size, stride, padding)
    return pool._max_pool_backward_windows(np.asarray(dy, dtype=x.dtype), x, *geometry)


def _fast_2x2_backward(dy, x, pool_size, stride=None, padding=0):
    assert pool.pool_geometry(x.shape, pool_size, stride, padding)[:3] == (
        (2, 2), (2, 2), ((0, 0), (0, 0)))
    return pool._max_pool_2x2_backward(np.asarray(dy, dtype=x.dtype), x)


BACKWARDS = {
    "public": max_pool2d_backward,
    "general": _general_backward,
    "naive": max_pool2d_backward_naive,
}
FORWARDS = {"public": max_pool2d, "naive": max_pool2d_naive}


def _image(rows):
    return np.array(rows, dtype=float)[None, None]


# (x, pool_size, stride, padding, expected y, expected dx for dy = ones)
MAX_CASES = {
    "all -inf, padded: each window's first real cell": (
        np.full((1, 1, 2, 2), -INF), 2, 1, 1,
        np.full((1, 1, 3, 3), -INF),
        _image([[4, 2], [2, 1]]),
    ),
    "2x2 window with two NaNs: the last NaN": (
        _image([[1, NAN], [NAN, 2]]), 2, None, 0,
        _image([[NAN]]),
        _image([[0, 0], [1, 0]]),
    ),
    "2x2 window, NaN first and last": (
        _image([[NAN, 1], [2, NAN]]), 2, None, 0,
        _image([[NAN]]),
        _image([[0, 0], [0, 1]]),
    ),
    "2x2 window of NaNs": (
        np.full((1, 1, 2, 2), NAN), 2, None, 0,
        _image([[NAN]]),
        _image([[0, 0], [0, 1]]),
    ),
    "NaN beats +inf": (
        _image([[INF, NAN], [INF, 1]]), 2, None, 0,
        _image([[NAN]]),
        _image([[0, 1], [0, 0]]),
    ),
    "+inf ties: the first": (
        _image([[INF, INF], [1, 1]]), 2, None, 0,
        _image([[INF]]),
        _image([[1, 0], [0, 0]]),
    ),
    "NaN in the right window only": (
        _image([[1, 2, NAN, 4], [5, 6, 7, 8]]), 2, None, 0,
        _image([[6, NAN]]),
        _image([[0, 0, 1, 0], [0, 1, 0, 0]]),
    ),
    "NaN in the row no 2x2 window reads": (
        _image([[1, 3, 0], [2, 0, 5], [NAN, NAN, NAN]]), 2, None, 0,
        _image([[3]]),
        _image([[0, 1, 0], [0, 0, 0], [0, 0, 0]]),
    ),
    "3x3 window with four NaNs: the last": (
        _image([[5, NAN, 3], [NAN, 7, NAN], [1, 2, NAN]]), 3, None, 0,
        _image([[NAN]]),
        _image([[0, 0, 0], [0, 0, 0], [0, 0, 1]]),
    ),
    "overlapping 2x2 windows at stride 1": (
        _image([[5, NAN, 3], [NAN, 7, NAN], [1, 2, NAN]]), 2, 1, 0,
        _image([[NAN, NAN], [NAN, NAN]]),
        _image([[0, 0, 0], [2, 0, 1], [0, 0, 1]]),
    ),
    "padded, overlapping, NaN on the diagonal": (
        _image([[NAN, 1, 2], [3, NAN, 4], [5, 6, 7]]), 2, 1, 1,
        _image([[NAN, NAN, 2, 2], [NAN, NAN, NAN, 4], [5, NAN, NAN, 7], [5, 6, 7, 7]]),
        _image([[3, 0, 2], [0, 4, 1], [2, 1, 3]]),
    ),
    "padded -inf windows and a NaN": (
        _image([[-INF, NAN], [-INF, -INF]]), 2, 1, 1,
        _image([[-INF, NAN, NAN], [-INF, NAN, NAN], [-INF, -INF, -INF]]),
        _image([[2, 4], [2, 1]]),
    ),
    "'same' padding of a -inf image": (
        np.full((1, 1, 3, 3), -INF), 2, 2, "same",
        np.full((1, 1, 2, 2), -INF),
        _image([[1, 0, 1], [0, 0, 0], [1, 0, 1]]),
    ),
    "finite ties: the first": (
        _image([[0, 0, 1], [0, 1, 1]]), (2, 3), 1, 0,
        _image([[1]]),
        _image([[0, 0, 1], [0, 0, 0]]),
    ),
}


@pytest.mark.parametrize("path", sorted(FORWARDS))
@pytest.mark.parametrize("case", sorted(MAX_CASES))
def test_max_pool_forward_follows_the_rules(case, path):
    x, pool_size, stride, padding, expected_y, _ = MAX_CASES[case]
    y = FORWARDS[path](x, pool_size, stride=stride, padding=padding)
    np.testing.assert_array_equal(y, expected_y)


@pytest.mark.parametrize("path", sorted(BACKWARDS))
@pytest.mark.parametrize("case", sorted(MAX_CASES))
def test_max_pool_backward_routes_each_window_to_one_cell_by_the_rules(case, path):
    x, pool_size, stride, padding, expected_y, expected_dx = MAX_CASES[case]
    dx = BACKWARDS[path](np.ones(expected_y.shape), x, pool_size, stride=stride, padding=padding)
    np.testing.assert_array_equal(dx, expected_dx)
    assert dx.sum() == expected_y.size  # no window's gradient is lost


def test_issue_example_keeps_every_gradient_with_padding():
    dx = max_pool2d_backward(np.ones((1, 1, 3, 3)), np.full((1, 1, 2, 2), -np.inf), 2, stride=1,
                             padding=1)
    assert dx.sum() == 9


@pytest.mark.parametrize("case", [c for c in sorted(MAX_CASES)
                                  if MAX_CASES[c][1:4] == (2, None, 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_2x2_fast_path_follows_the_rules(case, dtype):
    x, _, _, _, expected_y, expected_dx = MAX_CASES[case]
    dy = np.arange(1.0, expected_y.size + 1).reshape(expected_y.shape).astype(dtype)
    dx = _fast_2x2_backward(dy, x.astype(dtype), 2)
    assert dx.dtype == dtype
    np.testing.assert_array_equal(dx, (expected_dx > 0) * _spread(dy, expected_dx))


def _spread(dy, expected_dx):
    """For non-overlapping windows: each window's dy on every cell of the window."""
    oh, ow = dy.shape[2:]
    h, w = expected_dx.shape[2:]
    spread = np.zeros(expected_dx.shape, dtype=dy.dtype)
    spread[:, :, : 2 * oh, : 2 * ow] = dy.repeat(2, axis=2).repeat(2, axis=3)
    return spread[:, :, :h, :w]


SWEEP = [  # (pool_size, stride, padding) on random images sprinkled with NaN and +-inf
    (2, None, 0), (2, 1, 0), (2, 1, 1), (3, 1, 1), (3, 2, 1), ((2, 3), (1, 2), (1, 0)),
    (3, None, 0), (2, 2, "same"), (3, 1, "same"), ((3, 2), 1, (1, 1)),
]


def _sprinkled(seed, shape=(2, 3, 7, 8), dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=shape).astype(dtype)  # many ties
    specials = rng.choice([NAN, INF, -INF, 0.0], size=shape, p=[0.15, 0.1, 0.25, 0.5])
    x = np.where(specials != 0.0, specials, x).astype(dtype)
    x[0, 0] = -INF  # one channel all -inf, so padded windows hold only -inf cells
    return x


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("geometry", SWEEP, ids=str)
def test_max_pool_paths_agree_on_nonfinite_images(geometry, seed):
    pool_size, stride, padding = geometry
    x = _sprinkled(seed)
    y = max_pool2d(x, pool_size, stride=stride, padding=padding)
    np.testing.assert_array_equal(y, max_pool2d_naive(x, pool_size, stride, padding))
    dy = np.random.default_rng(seed + 10).integers(1, 9, size=y.shape).astype(float)
    dxs = {name: backward(dy, x, pool_size, stride=stride, padding=padding)
           for name, backward in BACKWARDS.items()}
    for name, dx in dxs.items():
        np.testing.assert_array_equal(dx, dxs["naive"], err_msg=name)
    assert dxs["naive"].sum() == dy.sum()  # every window passed its gradient on
    assert np.all(np.isnan(y) == _reads_a_nan(x, pool_size, stride, padding))


def _reads_a_nan(x, pool_size, stride, padding):
    """Which windows hold a NaN, by average pooling of the NaN indicator (an independent count)."""
    return avg_pool2d(np.isnan(x).astype(float), pool_size, stride=stride, padding=padding) > 0


def _torch_can_pad(geometry):
    """torch pads symmetrically, by at most half the window."""
    pool_size, _, padding = geometry
    if isinstance(padding, str):
        return False
    pads = padding if isinstance(padding, tuple) else (padding, padding)
    kernel = pool_size if isinstance(pool_size, tuple) else (pool_size, pool_size)
    return all(2 * p <= k for p, k in zip(pads, kernel))


@pytest.mark.skipif(torch is None, reason="the comparison with PyTorch needs torch")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("geometry", [g for g in SWEEP if _torch_can_pad(g)], ids=str)
def test_max_pool_matches_torch_on_nonfinite_images(geometry, seed, dtype):
    pool_size, stride, padding = geometry
    x = _sprinkled(seed, dtype=dtype)
    pads = padding if isinstance(padding, tuple) else (padding, padding)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    yt = torch.nn.functional.max_pool2d(xt, pool_size, stride=stride, padding=pads)
    dy = np.random.default_rng(seed).integers(1, 9, size=tuple(yt.shape)).astype(dtype)
    (dxt,) = torch.autograd.grad(yt, (xt,), torch.from_numpy(dy))
    np.testing.assert_array_equal(max_pool2d(x, pool_size, stride, padding), yt.detach().numpy())
    for name, backward in BACKWARDS.items():
        np.testing.assert_array_equal(backward(dy, x, pool_size, stride=stride, padding=padding),
                                      dxt.numpy(), err_msg=name)


@pytest.mark.skipif(torch is None, reason="the comparison with PyTorch needs torch")
@pytest.mark.parametrize("case", [c for c in sorted(MAX_CASES)
                                  if _torch_can_pad(MAX_CASES[c][1:4])])
def test_hand_typed_cases_are_what_torch_computes(case):
    x, pool_size, stride, padding, expected_y, expected_dx = MAX_CASES[case]
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    yt = torch.nn.functional.max_pool2d(xt, pool_size, stride=stride, padding=padding)
    (dxt,) = torch.autograd.grad(yt, (xt,), torch.ones_like(yt))
    np.testing.assert_array_equal(yt.detach().numpy(), expected_y)
    np.testing.assert_array_equal(dxt.numpy(), expected_dx)


# ---- average pooling: IEEE arithmetic, positions of inf and NaN as in the naive loop

AVG_CASES = {  # (x, pool_size, stride, padding, expected y)
    "+inf and -inf give NaN": (_image([[INF, 1], [-INF, 2]]), 2, None, 0, _image([[NAN]])),
    "+inf stays +inf": (_image([[INF, 1], [2, 3]]), 2, None, 0, _image([[INF]])),
    "NaN stays local": (_image([[NAN, 1, 2, 2], [0, 1, 2, 2]]), 2, None, 0,
                        _image([[NAN, 2]])),
    "padded windows": (_image([[-INF, 1], [1, 1]]), 2, 1, 1,
                       _image([[-INF, -INF, 1], [-INF, -INF, 1], [1, 1, 1]])),
}


@pytest.mark.parametrize("forward", [avg_pool2d, avg_pool2d_naive])
@pytest.mark.parametrize("case", sorted(AVG_CASES))
def test_avg_pool_is_ieee_on_nonfinite_cells(case, forward):
    x, pool_size, stride, padding, expected_y = AVG_CASES[case]
    np.testing.assert_array_equal(forward(x, pool_size, stride=stride, padding=padding),
                                  expected_y)


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("geometry", SWEEP, ids=str)
def test_avg_pool_nonfinite_positions_match_the_naive_loop(geometry, seed):
    pool_size, stride, padding = geometry
    x = _sprinkled(seed)
    y = avg_pool2d(x, pool_size, stride=stride, padding=padding)
    np.testing.assert_allclose(y, avg_pool2d_naive(x, pool_size, stride, padding), rtol=1e-14)
    dy = np.random.default_rng(seed).standard_normal(y.shape)
    np.testing.assert_allclose(avg_pool2d_backward(dy, x, pool_size, stride, padding),
                               avg_pool2d_backward_naive(dy, x, pool_size, stride, padding),
                               rtol=1e-12, atol=1e-15)
