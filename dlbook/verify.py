"""The oracle harness: runs any conv2d or pooling implementation against independent oracles.

The oracles do not use dlbook's kernels:

* convolution: :func:`scipy.signal.correlate2d` per (image, filter, input channel) on the padded
  input with the kernel dilated by inserting zeros, summed over channels and subsampled by the
  stride; the backward pass uses :func:`scipy.signal.convolve2d` (``dx``, a full convolution of
  the stride-upsampled ``dy`` with the dilated kernel) and ``correlate2d`` (``dw``, the input
  correlated with ``dy``);
* pooling: the max or mean of every window of a ``sliding_window_view`` of the input padded with
  ``-inf`` (max) or NaN (mean, ignored by ``nanmean``); backward with ``np.add.at``.

:func:`verify_conv2d`, :func:`verify_conv2d_backward`, :func:`verify_pool2d` and
:func:`verify_pool2d_backward` run a function with the matching signature on a grid of cases and
return a :class:`Report` naming the first failing case. The tests use them on dlbook's kernels;
:mod:`dlbook.exercises` uses them on a reader's own.
"""

import itertools
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal

from dlbook.functional.conv import resolve_padding

# --------------------------------------------------------------------------------------------
# Oracles


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _dilate(kernel, dilation):
    """Insert ``d - 1`` zeros between the taps of a 2-D kernel."""
    dh, dw = dilation
    kh, kw = kernel.shape
    out = np.zeros(((kh - 1) * dh + 1, (kw - 1) * dw + 1), dtype=kernel.dtype)
    out[::dh, ::dw] = kernel
    return out


def _pad_hw(image, pads, value=0.0):
    return np.pad(image, ((0, 0), (0, 0)) + tuple(pads), constant_values=value)


def scipy_conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    """conv2d computed with :func:`scipy.signal.correlate2d` (the oracle)."""
    stride, dilation = _pair(stride), _pair(dilation)
    pads = resolve_padding(padding, x.shape[2:], w.shape[2:], stride, dilation)
    xp = _pad_hw(np.asarray(x, dtype=np.float64), pads)
    n_images, filters = x.shape[0], w.shape[0]
    out = None
    for n in range(n_images):
        for o in range(filters):
            acc = sum(
                signal.correlate2d(xp[n, c], _dilate(w[o, c], dilation), mode="valid")
                for c in range(x.shape[1])
            )
            acc = acc[:: stride[0], :: stride[1]]
            if out is None:
                out = np.zeros((n_images, filters) + acc.shape)
            out[n, o] = acc + (0.0 if b is None else b[o])
    return out


def scipy_conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1):
    """conv2d_backward computed with ``scipy.signal`` (the oracle): returns ``(dx, dw, db)``."""
    stride, dilation = _pair(stride), _pair(dilation)
    pads = resolve_padding(padding, x.shape[2:], w.shape[2:], stride, dilation)
    x = np.asarray(x, dtype=np.float64)
    xp = _pad_hw(x, pads)
    n_images, channels, hp, wp = xp.shape
    filters, _, kh, kw = w.shape
    oh, ow = dy.shape[2:]
    # dy upsampled by the stride: zeros between its cells, so stride 1 formulas apply.
    up = np.zeros((n_images, filters, (oh - 1) * stride[0] + 1, (ow - 1) * stride[1] + 1))
    up[:, :, :: stride[0], :: stride[1]] = dy
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    for n in range(n_images):
        for c in range(channels):
            for o in range(filters):
                kernel = _dilate(np.asarray(w[o, c], dtype=np.float64), dilation)
                full = signal.convolve2d(up[n, o], kernel, mode="full")
                dxp[n, c, : full.shape[0], : full.shape[1]] += full[:hp, :wp]
                corr = signal.correlate2d(xp[n, c], up[n, o], mode="valid")
                dw[o, c] += corr[:: dilation[0], :: dilation[1]][:kh, :kw]
    (top, _), (left, _) = pads
    dx = dxp[:, :, top : top + x.shape[2], left : left + x.shape[3]]
    return dx, dw, dy.sum(axis=(0, 2, 3))


def _pool_windows(x, pool_size, stride, padding, fill):
    pool = _pair(pool_size)
    stride = pool if stride is None else _pair(stride)
    pads = resolve_padding(padding, x.shape[2:], pool, stride)
    xp = _pad_hw(np.asarray(x, dtype=np.float64), pads, fill)
    windows = sliding_window_view(xp, pool, axis=(2, 3))[:, :, :: stride[0], :: stride[1]]
    return windows, pool, stride, pads


def window_max_pool2d(x, pool_size, stride=None, padding=0):
    """Max pooling as the max of each window of a sliding-window view (the oracle)."""
    windows, *_ = _pool_windows(x, pool_size, stride, padding, -np.inf)
    return windows.max(axis=(4, 5))


def window_avg_pool2d(x, pool_size, stride=None, padding=0):
    """Average pooling as the NaN-ignoring mean of each window (the oracle)."""
    windows, *_ = _pool_windows(x, pool_size, stride, padding, np.nan)
    return np.nanmean(windows, axis=(4, 5))


def _scatter_windows(dy, x, pool_size, stride, padding, kind):
    fill = -np.inf if kind == "max" else np.nan
    windows, (kh, kw), (sh, sw), ((top, _), (left, _)) = _pool_windows(
        x, pool_size, stride, padding, fill
    )
    n_images, channels, oh, ow = windows.shape[:4]
    n, c, i, j = np.indices((n_images, channels, oh, ow))
    dx = np.zeros(x.shape)
    flat = windows.reshape(n_images, channels, oh, ow, kh * kw)
    if kind == "max":
        first = flat.argmax(axis=-1)  # argmax returns the first maximal cell, row-major
        rows = i * sh + first // kw - top
        cols = j * sw + first % kw - left
        np.add.at(dx, (n, c, rows, cols), dy)
        return dx
    real = ~np.isnan(flat)
    share = dy / real.sum(axis=-1)
    for k in range(kh * kw):
        mask = real[..., k]
        rows = i * sh + k // kw - top
        cols = j * sw + k % kw - left
        np.add.at(dx, (n[mask], c[mask], rows[mask], cols[mask]), share[mask])
    return dx


def window_max_pool2d_backward(dy, x, pool_size, stride=None, padding=0):
    """Max-pool gradient (the oracle): each window's ``dy`` goes to its first maximal cell."""
    return _scatter_windows(dy, x, pool_size, stride, padding, "max")


def window_avg_pool2d_backward(dy, x, pool_size, stride=None, padding=0):
    """Average-pool gradient (the oracle): each window's ``dy`` is shared by its real cells."""
    return _scatter_windows(dy, x, pool_size, stride, padding, "avg")


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


def _compare(got, expected):
    """Scaled max error between an output and the oracle's, or a message if shapes differ."""
    got, expected = np.asarray(got), np.asarray(expected, dtype=np.float64)
    if got.dtype.kind not in "fiu":
        return np.inf, f"returned {type(got.item()).__name__ if got.ndim == 0 else got.dtype}, not a real array"
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

    def make(case):
        x, w, b = _conv_inputs(case, seed)
        return x, w, b, case

    return run_cases(
        getattr(fn, "__name__", "conv2d"),
        cases,
        make,
        lambda x, w, b, case: fn(x, w, b, **_conv_kwargs(case)),
        lambda x, w, b, case: scipy_conv2d(x, w, b, **_conv_kwargs(case)),
        ("y",),
        atol,
    )


def verify_conv2d_backward(fn, cases=None, atol=1e-10, seed=0):
    """Check ``fn(dy, x, w, stride=..., padding=..., dilation=...) -> (dx, dw, db)`` against the
    scipy oracle; see :func:`verify_conv2d`."""
    cases = conv2d_cases() if cases is None else cases

    def make(case):
        x, w, _ = _conv_inputs(case, seed)
        y_shape = scipy_conv2d(x, w, **_conv_kwargs(case)).shape
        dy = np.random.default_rng(seed + 1).standard_normal(y_shape)
        return dy, x, w, case

    return run_cases(
        getattr(fn, "__name__", "conv2d_backward"),
        cases,
        make,
        lambda dy, x, w, case: fn(dy, x, w, **_conv_kwargs(case)),
        lambda dy, x, w, case: scipy_conv2d_backward(dy, x, w, **_conv_kwargs(case)),
        ("dx", "dw", "db"),
        atol,
    )


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
    return run_cases(
        getattr(fn, "__name__", f"{kind}_pool2d"),
        cases,
        lambda case: (_pool_input(case, seed), case),
        lambda x, case: fn(x, **_pool_kwargs(case)),
        lambda x, case: forward(x, **_pool_kwargs(case)),
        ("y",),
        atol,
    )


def verify_pool2d_backward(fn, kind="max", cases=None, atol=1e-10, seed=0):
    """Check ``fn(dy, x, pool_size, stride=..., padding=...) -> dx`` against the oracle
    (including windows with tied maxima, whose gradient must go to the first maximal cell)."""
    forward, backward = _pool_oracles(kind)
    cases = pool2d_cases() if cases is None else cases

    def make(case):
        x = _pool_input(case, seed)
        dy = np.random.default_rng(seed + 1).standard_normal(
            forward(x, **_pool_kwargs(case)).shape
        )
        return dy, x, case

    return run_cases(
        getattr(fn, "__name__", f"{kind}_pool2d_backward"),
        cases,
        make,
        lambda dy, x, case: fn(dy, x, **_pool_kwargs(case)),
        lambda dy, x, case: backward(dy, x, **_pool_kwargs(case)),
        ("dx",),
        atol,
    )
