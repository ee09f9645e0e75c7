"""The oracle harness: runs any conv2d or pooling implementation against independent oracles.

The oracles live in :mod:`dlbook.oracles` (``scipy.signal`` for convolution, windowed max and
mean for pooling) and are importable from here too. :func:`verify_conv2d`,
:func:`verify_conv2d_backward`, :func:`verify_pool2d` and :func:`verify_pool2d_backward` run a
function with the matching signature on a grid of cases (:func:`conv2d_cases`,
:func:`pool2d_cases`) and return a :class:`Report` naming the first failing case. The tests use
them on dlbook's kernels; :mod:`dlbook.exercises` uses them on a reader's own.
"""

import itertools
from dataclasses import dataclass, field

import numpy as np

from dlbook import oracles
from dlbook.oracles import (
    scipy_conv1d,
    scipy_conv1d_backward,
    scipy_conv2d,
    scipy_conv2d_backward,
    scatter_col2im,
    window_avg_pool2d,
    window_avg_pool2d_backward,
    window_max_pool2d,
    window_max_pool2d_backward,
)

__all__ = [
    "conv1d_cases",
    "conv2d_cases",
    "pool2d_cases",
    "Failure",
    "Report",
    "run_cases",
    "reader_array",
    "verify_conv1d",
    "verify_conv1d_backward",
    "verify_conv2d",
    "verify_conv2d_backward",
    "verify_pool2d",
    "verify_pool2d_backward",
] + oracles.__all__  # the oracles, importable from here too


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


# --------------------------------------------------------------------------------------------
# Cases


def conv2d_cases():
    """The grid of conv2d cases: dicts with ``x_shape``, ``w_shape``, ``bias``, ``stride``,
    ``padding``, ``dilation``.

    It covers batch 1..3, channels 1..4, filters 1..4, kernels 1x1..5x5 (square and not),
    strides 1..3 (and pairs), dilations 1..2 (and pairs), paddings 0/1/2/pairs/'valid'/'same',
    and odd and even input sizes.
    """
    kernels = [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (2, 3), (3, 1), (1, 4)]
    strides = [1, 2, 3, (1, 2), (3, 1)]
    dilations = [1, 2, (2, 1)]
    paddings = [0, 1, 2, (1, 2), (2, 0), "valid", "same"]
    cases = []
    for i, (kernel, stride, dilation, padding) in enumerate(
        itertools.product(kernels, strides, dilations, paddings)
    ):
        dh, dw = _pair(dilation)
        height = max(dh * (kernel[0] - 1) + 1, 3) + i % 3
        width = max(dw * (kernel[1] - 1) + 1, 3) + (i // 3) % 2
        cases.append(
            {
                "x_shape": (1 + i % 3, 1 + (i // 3) % 4, height, width),
                "w_shape": (1 + (i // 5) % 4, 1 + (i // 3) % 4) + kernel,
                "bias": i % 2 == 0,
                "stride": stride,
                "padding": padding,
                "dilation": dilation,
            }
        )
    return cases


def conv1d_cases():
    """The grid of conv1d cases (dicts like :func:`conv2d_cases`' with 1-D shapes): kernels of
    1 to 5 taps, strides 1 to 3, dilations 1 to 3, paddings 0/1/2/(left, right)/'valid'/'same',
    batches of 1 to 3 signals of 1 to 3 channels into 1 to 3 filters."""
    cases = []
    for i, (k, stride, dilation, padding) in enumerate(itertools.product(
            (1, 2, 3, 5), (1, 2, 3), (1, 2, 3), (0, 1, 2, (2, 0), (0, 3), "valid", "same"))):
        cases.append({"x_shape": (1 + i % 3, 1 + (i // 3) % 3, dilation * (k - 1) + 1 + i % 5),
                      "w_shape": (1 + (i // 2) % 3, 1 + (i // 3) % 3, k), "bias": i % 2 == 0,
                      "stride": stride, "padding": padding, "dilation": dilation})
    return cases


def pool2d_cases():
    """The grid of pooling cases: dicts with ``x_shape``, ``pool_size``, ``stride``, ``padding``
    and ``ties`` (small integer inputs with many tied maxima, as after ReLU).

    Covers windows 1x1..3x3 (square and not), default, smaller (overlapping), equal and larger
    strides, and paddings 0/1/pairs/'valid'/'same'.
    """
    pools = [(1, 1), (2, 2), (3, 3), (2, 3), (3, 2)]
    strides = [None, 1, 2, (1, 2), (2, 1), 3]
    paddings = [0, 1, (1, 0), "valid", "same"]
    cases = []
    for i, (pool, stride, padding) in enumerate(itertools.product(pools, strides, paddings)):
        if not isinstance(padding, str) and max(_pair(padding)) >= min(pool):
            continue
        cases.append(
            {
                "x_shape": (1 + i % 2, 1 + i % 3, pool[0] + 2 + i % 3, pool[1] + 3 + i % 2),
                "pool_size": pool,
                "stride": stride,
                "padding": padding,
                "ties": i % 2 == 1,
            }
        )
    return cases


# --------------------------------------------------------------------------------------------
# Reports


@dataclass
class Failure:
    """The first case a function got wrong."""

    case: dict
    output: str
    max_error: float = float("nan")
    message: str = ""
    exception: BaseException = None


@dataclass
class Report:
    """Outcome of a verification run; true when every case passed."""

    name: str
    n_cases: int = 0
    n_passed: int = 0
    failure: Failure = None
    worst_error: float = field(default=0.0, repr=False)  # rounding-dependent: kept out of reprs

    @property
    def passed(self):
        return self.failure is None and self.n_passed == self.n_cases and self.n_cases > 0

    def __bool__(self):
        return self.passed

    def __str__(self):
        if self.passed:
            return f"{self.name}: all {self.n_cases} cases agree with the oracle."
        if self.failure is None:
            return f"{self.name}: no case was run."
        f = self.failure
        args = ", ".join(f"{k}={v!r}" for k, v in f.case.items())
        detail = f.message or f"max relative error {f.max_error:.3g}"
        return (
            f"{self.name}: FAILED case {self.n_passed + 1} of {self.n_cases} "
            f"({args}), output {f.output}: {detail}"
        )


def reader_array(value):
    """``(array, "")`` for a real numeric array (or nested list of numbers), else ``(None,
    message)`` saying in plain words what a reader's function returned instead.

    >>> reader_array([[1.0, 2.0], [3.0]])[1]
    'returned a ragged list (its rows have different lengths), not an array'
    >>> reader_array(None)[1]
    'returned None, not an array'
    """
    if value is None:
        return None, "returned None, not an array"
    if isinstance(value, (str, bytes, dict, set)) or callable(value):
        return None, f"returned a {type(value).__name__}, not an array"
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        return None, (f"returned a ragged {type(value).__name__} (its rows have different "
                      f"lengths), not an array")
    if array.dtype.kind not in "fiu":
        what = type(value).__name__ if array.ndim == 0 else f"an array of dtype {array.dtype}"
        return None, f"returned {what}, not a real array"
    return array, ""


def _compare(got, expected):
    """Scaled max error between an output and the oracle's, or a message if it is not a real
    array of the oracle's shape."""
    got, message = reader_array(got)
    if message:
        return np.inf, message
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return np.inf, f"shape {got.shape}, expected {expected.shape}"
    if not np.all(np.isfinite(got)):
        return np.inf, "contains NaN or inf"
    err = np.max(np.abs(got.astype(np.float64) - expected)) if got.size else 0.0
    return float(err / max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)), ""


def run_cases(name, cases, make_inputs, call, oracle, output_names, atol):
    """Run ``call`` and ``oracle`` on the inputs ``make_inputs(case)`` of every case and compare
    each of their outputs (named ``output_names``); stop at the first failure."""
    report = Report(name=name, n_cases=len(cases))
    for case in cases:
        inputs = make_inputs(case)
        expected = oracle(*inputs)
        try:
            got = call(*inputs)
        except Exception as exc:  # a reader's function may raise anything
            report.failure = Failure(
                case, "-", message=f"raised {type(exc).__name__}: {exc}", exception=exc
            )
            return report
        if len(output_names) == 1:
            got, expected = (got,), (expected,)
        elif not isinstance(got, (tuple, list)) or len(got) != len(output_names):
            report.failure = Failure(
                case, "-", message=f"needs to return {len(output_names)} arrays {output_names}"
            )
            return report
        for out_name, g, e in zip(output_names, got, expected):
            err, message = _compare(g, e)
            report.worst_error = max(report.worst_error, err)
            if message or err > atol:
                report.failure = Failure(case, out_name, err, message)
                return report
        report.n_passed += 1
    return report


def _run_kernel(fn, default_name, cases, arrays, oracle, keywords, output_names, atol):
    """:func:`run_cases` for a kernel called as ``fn(*arrays, **keywords)``: ``arrays(case)``
    gives the tuple of input arrays of a case and ``keywords(case)`` its keyword arguments
    (stride, padding, ...); ``fn`` and ``oracle`` receive the same ones."""
    return run_cases(
        getattr(fn, "__name__", default_name),
        cases,
        lambda case: arrays(case) + (case,),
        lambda *inputs: fn(*inputs[:-1], **keywords(inputs[-1])),
        lambda *inputs: oracle(*inputs[:-1], **keywords(inputs[-1])),
        output_names,
        atol,
    )


def _conv_inputs(case, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case["x_shape"])
    w = rng.standard_normal(case["w_shape"])
    b = rng.standard_normal(case["w_shape"][0]) if case["bias"] else None
    return x, w, b


def _conv_kwargs(case):
    return {k: case[k] for k in ("stride", "padding", "dilation")}


def verify_conv2d(fn, cases=None, atol=1e-10, seed=0):
    """Check ``fn(x, w, b, stride=..., padding=..., dilation=...)`` against the scipy oracle.

    Parameters
    ----------
    fn : callable with the signature of :func:`dlbook.functional.conv2d`
    cases : list of dict, optional
        Defaults to :func:`conv2d_cases`.
    atol : float
        Largest allowed ``max|got - expected| / max(1, max|expected|)``.

    Returns
    -------
    Report
        True when every case passed; ``str(report)`` names the first failing case.

    Examples
    --------
    >>> from dlbook.functional import conv2d
    >>> bool(verify_conv2d(conv2d, cases=conv2d_cases()[:5]))
    True
    """
    cases = conv2d_cases() if cases is None else cases
    return _run_kernel(
        fn, "conv2d", cases, lambda case: _conv_inputs(case, seed), scipy_conv2d, _conv_kwargs,
        ("y",), atol,
    )


def verify_conv2d_backward(fn, cases=None, atol=1e-10, seed=0):
    """Check ``fn(dy, x, w, stride=..., padding=..., dilation=...) -> (dx, dw, db)`` against the
    scipy oracle; see :func:`verify_conv2d`."""
    cases = conv2d_cases() if cases is None else cases

    def arrays(case):
        x, w, _ = _conv_inputs(case, seed)
        y_shape = scipy_conv2d(x, w, **_conv_kwargs(case)).shape
        return np.random.default_rng(seed + 1).standard_normal(y_shape), x, w

    return _run_kernel(
        fn, "conv2d_backward", cases, arrays, scipy_conv2d_backward, _conv_kwargs,
        ("dx", "dw", "db"), atol,
    )


def verify_conv1d(fn, cases=None, atol=1e-10, seed=0):
    """Check ``fn(x, w, b, stride=..., padding=..., dilation=...)`` against
    :func:`scipy.signal.correlate` on :func:`conv1d_cases`; see :func:`verify_conv2d`.

    >>> from dlbook.functional import conv1d
    >>> bool(verify_conv1d(conv1d))
    True
    """
    cases = conv1d_cases() if cases is None else cases
    return _run_kernel(fn, "conv1d", cases, lambda case: _conv_inputs(case, seed), scipy_conv1d,
                       _conv_kwargs, ("y",), atol)


def verify_conv1d_backward(fn, cases=None, atol=1e-10, seed=0):
    """Check ``fn(dy, x, w, stride=..., padding=..., dilation=...) -> (dx, dw, db)`` against the
    scipy oracle on :func:`conv1d_cases`."""
    cases = conv1d_cases() if cases is None else cases

    def arrays(case):
        x, w, _ = _conv_inputs(case, seed)
        y_shape = scipy_conv1d(x, w, **_conv_kwargs(case)).shape
        return np.random.default_rng(seed + 1).standard_normal(y_shape), x, w

    return _run_kernel(fn, "conv1d_backward", cases, arrays, scipy_conv1d_backward, _conv_kwargs,
                       ("dx", "dw", "db"), atol)


def _pool_input(case, seed):
    rng = np.random.default_rng(seed)
    if case.get("ties"):
        return rng.integers(0, 3, size=case["x_shape"]).astype(np.float64)
    return rng.standard_normal(case["x_shape"])


def _pool_kwargs(case):
    return {k: case[k] for k in ("pool_size", "stride", "padding")}


_POOL_ORACLES = {
    "max": (window_max_pool2d, window_max_pool2d_backward),
    "avg": (window_avg_pool2d, window_avg_pool2d_backward),
}


def _pool_oracles(kind):
    if kind not in _POOL_ORACLES:
        raise ValueError(f"kind: needs 'max' or 'avg', got {kind!r}")
    return _POOL_ORACLES[kind]


def verify_pool2d(fn, kind="max", cases=None, atol=1e-10, seed=0):
    """Check ``fn(x, pool_size, stride=..., padding=...)`` against the windowed max or mean.

    Examples
    --------
    >>> from dlbook.functional import max_pool2d
    >>> bool(verify_pool2d(max_pool2d, "max"))
    True
    """
    forward, _ = _pool_oracles(kind)
    cases = pool2d_cases() if cases is None else cases
    return _run_kernel(
        fn, f"{kind}_pool2d", cases, lambda case: (_pool_input(case, seed),), forward,
        _pool_kwargs, ("y",), atol,
    )


def verify_pool2d_backward(fn, kind="max", cases=None, atol=1e-10, seed=0):
    """Check ``fn(dy, x, pool_size, stride=..., padding=...) -> dx`` against the oracle
    (including windows with tied maxima, whose gradient must go to the first maximal cell)."""
    forward, backward = _pool_oracles(kind)
    cases = pool2d_cases() if cases is None else cases

    def arrays(case):
        x = _pool_input(case, seed)
        y_shape = forward(x, **_pool_kwargs(case)).shape
        return np.random.default_rng(seed + 1).standard_normal(y_shape), x

    return _run_kernel(
        fn, f"{kind}_pool2d_backward", cases, arrays, backward, _pool_kwargs, ("dx",), atol,
    )
