"""Every way of computing conv2d and every fast path of pooling against the oracles, and the
dispatcher's choices.

conv2d has four strategies in the table ``dlbook.functional.conv.STRATEGIES``: the readable
``'im2col'`` path and three tuned ones, with two ways of gathering the column matrix (shifted
slices of stride phases, strided slices) and a chunked path for batches whose column matrix
exceeds ``Tuning.column_budget_bytes``. Each test selects a strategy through the table (and a
budget through the ``tuning=`` argument of the tuned ones) and runs the oracle grid of
``dlbook.verify`` through it: float64 to 1e-10, float32 to float32 accuracy (and float32 must
stay float32).
"""

import functools

import numpy as np
import pytest

from dlbook import verify
from dlbook.functional import (
    _conv_fast,
    avg_pool2d,
    avg_pool2d_backward,
    conv,
    conv2d,
    conv2d_backward,
    max_pool2d,
    max_pool2d_backward,
)
from dlbook.functional.conv import STRATEGIES, TUNING
from dlbook.functional.reference import max_pool2d_backward_naive

GRID = verify.conv2d_cases()
FLOAT32_ATOL = 1e-4
TUNED = ["unrolled", "im2col-images-outer", "im2col-images-inner"]
CHUNKED = ["im2col-images-outer", "im2col-images-inner"]

# The shapes of the benchmark (benchmarks/bench_conv.py) with a batch of 2: realistic channel
# counts, 5x5 kernels with and without padding, stride 2, so every strategy meets them too.
BENCHMARK_CASES = [
    {"x_shape": (2,) + x[1:], "w_shape": w, "bias": True, "stride": s, "padding": p,
     "dilation": 1}
    for x, w, p, s in [
        ((64, 1, 28, 28), (6, 1, 5, 5), 2, 1),
        ((64, 6, 14, 14), (16, 6, 5, 5), 0, 1),
        ((128, 1, 8, 8), (16, 1, 3, 3), 1, 1),
        ((128, 16, 4, 4), (32, 16, 3, 3), 1, 1),
        ((32, 32, 16, 16), (8, 32, 3, 3), 1, 1),
        ((32, 32, 16, 16), (8, 32, 3, 3), 1, 2),
    ]
]


def _as_float32(function):
    """``function`` run on float32 copies of its array arguments; checks the dtype is kept."""

    def wrapped(*arrays, **kwargs):
        arrays = [None if a is None else np.asarray(a, dtype=np.float32) for a in arrays]
        result = function(*arrays, **kwargs)
        for out in result if isinstance(result, tuple) else (result,):
            assert out.dtype == np.float32, f"{wrapped.__name__} returned {out.dtype}"
        return result

    wrapped.__name__ = f"{getattr(function, '__name__', 'conv2d')}[float32]"
    return wrapped


def _with_budget(name, budget_bytes):
    """The forward and backward of tuned strategy ``name`` with a column budget of
    ``budget_bytes``, chosen through the ``tuning=`` argument of the table's entries."""
    tuning = TUNING._replace(column_budget_bytes=budget_bytes)
    strategy = STRATEGIES[name]
    return (functools.partial(strategy.forward, tuning=tuning),
            functools.partial(strategy.backward, tuning=tuning))


@pytest.fixture(params=list(STRATEGIES))
def strategy(request):
    return request.param


def test_the_table_holds_the_readable_path_and_the_tuned_strategies():
    assert list(STRATEGIES) == ["im2col"] + TUNED
    assert list(_conv_fast.KERNELS) == TUNED
    assert STRATEGIES["im2col"] == (conv.conv2d_im2col, conv.conv2d_backward_im2col)
    with pytest.raises(KeyError):
        STRATEGIES["fft"]


def test_each_strategy_matches_the_oracle_in_float64(strategy):
    forward, backward = STRATEGIES[strategy]
    for report in (verify.verify_conv2d(forward, GRID + BENCHMARK_CASES),
                   verify.verify_conv2d_backward(backward, GRID + BENCHMARK_CASES)):
        assert report.passed, f"{strategy}: {report}"


def test_each_strategy_matches_the_oracle_in_float32(strategy):
    forward, backward = STRATEGIES[strategy]
    cases = GRID[::3] + BENCHMARK_CASES
    for report in (
        verify.verify_conv2d(_as_float32(forward), cases, atol=FLOAT32_ATOL),
        verify.verify_conv2d_backward(_as_float32(backward), cases, atol=FLOAT32_ATOL),
    ):
        assert report.passed, f"{strategy}: {report}"


def test_each_strategy_agrees_with_conv2d_to_1e_12(strategy):
    """The same numbers as the default path, bias and integer input included."""
    rng = np.random.default_rng(8)
    x = rng.integers(-3, 4, size=(3, 2, 9, 7))
    w, b = rng.standard_normal((4, 2, 3, 2)), rng.standard_normal(4)
    forward, backward = STRATEGIES[strategy]
    for kwargs in [{}, {"stride": (2, 1), "padding": "same"}, {"dilation": 2, "padding": (1, 2)}]:
        y = conv2d(x, w, b, **kwargs)
        ours = forward(x, w, b, **kwargs)
        assert ours.dtype == np.float64 and ours.shape == y.shape
        np.testing.assert_allclose(ours, y, rtol=0, atol=1e-12)
        dy = rng.standard_normal(y.shape)
        for mine, default in zip(backward(dy, x, w, **kwargs), conv2d_backward(dy, x, w, **kwargs)):
            assert mine.shape == default.shape
            np.testing.assert_allclose(mine, default, rtol=0, atol=1e-12)


@pytest.mark.parametrize("strategy_name", CHUNKED)
def test_chunked_path_matches_the_oracle(strategy_name):
    """A budget of one byte: every image is its own chunk."""
    forward, backward = _with_budget(strategy_name, 1)
    cases = GRID[::2] + BENCHMARK_CASES
    for report in (verify.verify_conv2d(forward, cases),
                   verify.verify_conv2d_backward(backward, cases)):
        assert report.passed, f"{strategy_name}, one image per chunk: {report}"


@pytest.mark.parametrize("strategy_name", CHUNKED)
def test_chunks_of_two_with_a_shorter_last_chunk(strategy_name):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3, 9, 8))
    w = rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)
    kwargs = {"stride": (2, 1), "padding": "same", "dilation": (1, 2)}
    whole_forward, whole_backward = STRATEGIES[strategy_name]
    whole = whole_forward(x, w, b, **kwargs)
    dy = rng.standard_normal(whole.shape)
    whole_grads = whole_backward(dy, x, w, **kwargs)
    g = _conv_fast.geometry(x.shape, w.shape, (2, 1), conv.resolve_padding(
        "same", (9, 8), (3, 2), (2, 1), (1, 2)), (1, 2))
    per_image = _conv_fast.column_entries_per_image(g, strategy_name) * x.itemsize
    tuning = TUNING._replace(column_budget_bytes=2 * per_image)
    assert [c.stop - c.start for c in _conv_fast.chunks(g, strategy_name, x.dtype, tuning)[0]] \
        == [2, 2, 1]
    forward, backward = _with_budget(strategy_name, 2 * per_image)
    np.testing.assert_allclose(forward(x, w, b, **kwargs), whole, rtol=0, atol=1e-12)
    for chunked, direct in zip(backward(dy, x, w, **kwargs), whole_grads):
        np.testing.assert_allclose(chunked, direct, rtol=0, atol=1e-12)


def test_results_are_fresh_arrays_that_later_calls_leave_alone(strategy):
    """The column buffer is reused from chunk to chunk (one image per chunk here for the tuned
    strategies): no result may be a view of it, of another result or of an input."""
    forward, backward = STRATEGIES[strategy] if strategy == "im2col" else _with_budget(strategy, 1)
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((5, 3, 6, 6)), rng.standard_normal((2, 3, 3, 3))
    y = forward(x, w, padding=1)
    results = (y,) + backward(np.ones_like(y), x, w, padding=1)
    kept = [a.copy() for a in results]
    other = rng.standard_normal(x.shape)
    backward(forward(other, w, padding=1), other, w, padding=1)
    for result, copy in zip(results, kept):
        np.testing.assert_array_equal(result, copy)
        assert not np.shares_memory(result, x) and not np.shares_memory(result, w)
    for i, a in enumerate(results):
        for b in results[i + 1 :]:
            assert not np.shares_memory(a, b)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "stride", "padding", "expected"),
    [
        # the digits CNN in batches of 128: tiny images, unrolled matrix
        ((128, 1, 8, 8), (16, 1, 3, 3), 1, 1, "unrolled"),
        ((128, 16, 4, 4), (32, 16, 3, 3), 1, 1, "unrolled"),
        # ... but in batches of 16 building the matrix does not pay
        ((16, 1, 8, 8), (16, 1, 3, 3), 1, "same", "im2col-images-inner"),
        ((16, 16, 4, 4), (32, 16, 3, 3), 1, "same", "im2col-images-inner"),
        # LeNet on MNIST: 5x5 kernels on small images
        ((64, 1, 28, 28), (6, 1, 5, 5), 1, 2, "im2col-images-inner"),
        ((64, 6, 14, 14), (16, 6, 5, 5), 1, 0, "im2col-images-inner"),
        # larger images, 3x3 kernels, stride 1 and 2
        ((32, 32, 32, 32), (64, 32, 3, 3), 1, 1, "im2col-images-outer"),
        ((32, 32, 32, 32), (64, 32, 3, 3), 2, 1, "im2col-images-outer"),
        ((256, 64, 56, 56), (64, 64, 3, 3), 1, 1, "im2col-images-outer"),
        # a small batch: pieces copied along the images would be too short
        ((8, 3, 64, 64), (16, 3, 7, 7), 2, 3, "im2col-images-outer"),
    ],
)
def test_dispatcher_picks_the_strategy_claimed(x_shape, w_shape, stride, padding, expected):
    assert conv.choose_strategy(x_shape, w_shape, stride, padding) == expected


def test_the_tuning_given_changes_the_choice():
    """The thresholds are read from the ``tuning`` passed, not from module state."""
    shape = ((128, 16, 4, 4), (32, 16, 3, 3))
    assert conv.choose_strategy(*shape, padding=1) == "unrolled"
    no_unrolling = TUNING._replace(unrolled_max_entries=0)
    assert conv.choose_strategy(*shape, padding=1, tuning=no_unrolling) != "unrolled"
    assert conv.choose_strategy(*shape, padding=1) == "unrolled"


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "padding", "expected"),
    [
        ((128, 16, 4, 4), (32, 16, 3, 3), 1, "unrolled"),
        ((16, 16, 4, 4), (32, 16, 3, 3), 1, "im2col-images-inner"),
        ((4, 3, 20, 20), (4, 3, 3, 3), 1, "im2col-images-outer"),
    ],
)
def test_conv2d_and_its_backward_run_the_chosen_strategy(x_shape, w_shape, padding, expected,
                                                         monkeypatch):
    """Every tuned entry of the table is replaced by a recording twin (the table is public);
    conv2d and conv2d_backward must each call the expected one, once."""
    used = []
    for name, kernels in list(_conv_fast.KERNELS.items()):
        monkeypatch.setitem(_conv_fast.KERNELS, name, _conv_fast.Kernels(
            lambda *a, _f=kernels.forward, _n=name: used.append(_n) or _f(*a),
            lambda *a, _f=kernels.backward, _n=name: used.append(_n) or _f(*a)))
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    y = conv2d(x, w, padding=padding)
    conv2d_backward(np.ones_like(y), x, w, padding=padding)
    assert used == [expected, expected]


# ---- pooling: the fast paths are the separable window reduction (forward) and, backward, a
# direct write for non-overlapping windows or an accumulation for overlapping ones.

POOL_GRID = verify.pool2d_cases()


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_the_oracle_in_float32(kind):
    forward, backward = {"max": (max_pool2d, max_pool2d_backward),
                         "avg": (avg_pool2d, avg_pool2d_backward)}[kind]
    assert verify.verify_pool2d(_as_float32(forward), kind, atol=FLOAT32_ATOL).passed
    report = verify.verify_pool2d_backward(_as_float32(backward), kind, atol=FLOAT32_ATOL)
    assert report.passed, str(report)


@pytest.mark.parametrize("stride", [None, 1, (2, 1), 3])
def test_max_pool_backward_sends_ties_to_the_first_cell_on_relu_like_input(stride):
    """Many exact ties (ReLU zeros, small integers): overlapping (stride 1), partly
    overlapping, non-overlapping and gapped windows all agree with the naive loops."""
    rng = np.random.default_rng(7)
    x = np.maximum(rng.integers(-2, 3, size=(3, 4, 9, 10)), 0).astype(np.float64)
    for padding in (0, 1, "same"):
        y = max_pool2d(x, 3, stride=stride, padding=padding)
        dy = rng.standard_normal(y.shape)
        np.testing.assert_allclose(  # overlapping windows add in another order: 1e-12
            max_pool2d_backward(dy, x, 3, stride=stride, padding=padding),
            max_pool2d_backward_naive(dy, x, 3, stride=stride, padding=padding),
            rtol=0, atol=1e-12)
