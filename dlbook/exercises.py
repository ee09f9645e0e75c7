"""Checks for the exercises: run a reader's own function against the same oracles as the tests.

Each ``check_*`` function prints one line when the reader's function agrees with the oracle on
every case, and otherwise raises :class:`ExerciseFailed` naming the first failing case (its
shapes and arguments, which output was wrong and by how much). A function that still raises
``NotImplementedError`` lets that error through unchanged, so an unsolved exercise reads as
"not written yet".

The checks of a kernel run it on the grids of :mod:`dlbook.verify` against the oracles of
:mod:`dlbook.oracles`; the checks of a backward pass compare it with central differences
(:mod:`dlbook.gradcheck`); the optimizer checks live in :mod:`dlbook.optimizer_exercises` and
are importable from here.

>>> from dlbook.functional import conv2d
>>> check_conv2d(conv2d)
Passed: conv2d agrees with scipy.signal.correlate2d on all 240 cases.
"""

import copy

import numpy as np
from scipy import special

from dlbook import verify
from dlbook._grading import ExerciseFailed, reader_name, verdict
from dlbook._validation import boolean, non_negative_int, positive_int, reader_function
from dlbook.functional import (
    conv_output_size,
    relu,
    sigmoid,
    tanh,
)
from dlbook.gradcheck import numerical_gradient, numerical_vjp
from dlbook.layers import Layer
from dlbook.optimizer_exercises import (
    check_adam_step,
    check_rmsprop_step,
    check_sgd_momentum_step,
)

__all__ = [
    "ExerciseFailed",
    "check_conv2d",
    "check_conv2d_backward",
    "check_conv_output_size",
    "check_max_pool2d",
    "check_max_pool2d_backward",
    "check_avg_pool2d",
    "check_avg_pool2d_backward",
    "check_activation_backward",
    "check_dense_backward",
    "check_softmax_cross_entropy",
    "check_layer_backward",
    "check_sgd_momentum_step",
    "check_rmsprop_step",
    "check_adam_step",
]


# --------------------------------------------------------------------------------------------
# Convolution and pooling


def _conv_cases(dilation, same):
    cases = verify.conv2d_cases()
    if not dilation:
        cases = [c for c in cases if c["dilation"] == 1]
    if not same:
        cases = [c for c in cases if c["padding"] != "same"]
    return cases


def _reader_conv(fn, default_name, with_dilation):
    """``fn`` wrapped for the harness, which passes every keyword: ``'valid'`` becomes 0 and
    ``dilation`` is passed on only when the exercise asks for it."""

    def call(*arrays, stride=1, padding=0, dilation=1):
        keywords = {"stride": stride, "padding": 0 if padding == "valid" else padding}
        if with_dilation:
            keywords["dilation"] = dilation
        return fn(*arrays, **keywords)

    call.__name__ = reader_name(fn, default_name)
    return call


def _options(fn, default_name, **flags):
    """Check a reader's function and the check's boolean options; return ``fn``'s name."""
    reader_function(fn, "fn")
    for name, value in flags.items():
        boolean(value, name)
    return reader_name(fn, default_name)


def check_conv2d(fn, dilation=False, same=False):
    """Check ``fn(x, w, b, stride=..., padding=...)`` against ``scipy.signal.correlate2d``.

    Parameters
    ----------
    fn : callable
        The reader's conv2d: ``x (N, C, H, W)``, ``w (O, C, KH, KW)``, ``b (O,)`` or None,
        ``stride`` and ``padding`` ints or pairs, returning ``(N, O, OH, OW)``.
    dilation : bool
        Also pass ``dilation=`` and test dilated kernels.
    same : bool
        Also test ``padding='same'`` (TensorFlow's rule). Otherwise ``padding`` is an int or a
        pair (``'valid'`` is passed as 0).
    """
    _options(fn, "conv2d", dilation=dilation, same=same)
    call = _reader_conv(fn, "conv2d", with_dilation=dilation)
    report = verify.verify_conv2d(call, cases=_conv_cases(dilation, same), atol=1e-8)
    return verdict(report, "scipy.signal.correlate2d")


def check_conv2d_backward(fn, dilation=False, same=False):
    """Check ``fn(dy, x, w, stride=..., padding=...) -> (dx, dw, db)`` against the scipy oracle
    (see :func:`check_conv2d` for the options)."""
    _options(fn, "conv2d_backward", dilation=dilation, same=same)
    call = _reader_conv(fn, "conv2d_backward", with_dilation=dilation)
    report = verify.verify_conv2d_backward(call, cases=_conv_cases(dilation, same), atol=1e-8)
    return verdict(report, "scipy.signal (full convolution and correlation)")


def check_conv_output_size(fn):
    """Check ``fn(input_size, kernel_size, stride, padding)`` (padding on EACH side) against the
    output-size formula on every combination of a small grid."""
    _options(fn, "output_size")
    cases = [
        {"input_size": n, "kernel_size": k, "stride": s, "padding": p}
        for n in range(1, 13)
        for k in range(1, 6)
        for s in range(1, 4)
        for p in range(0, 3)
        if k <= n + 2 * p
    ]
    report = verify.run_cases(
        reader_name(fn, "output_size"),
        cases,
        lambda case: (case,),
        lambda case: fn(case["input_size"], case["kernel_size"], case["stride"], case["padding"]),
        lambda case: conv_output_size(
            case["input_size"], case["kernel_size"], case["stride"], 2 * case["padding"]
        ),
        ("size",),
        0.0,
    )
    return verdict(report, "the output-size formula")


def _pool_cases(padding):
    cases = verify.pool2d_cases()
    if not padding:
        cases = [c for c in cases if c["padding"] in (0, "valid")]
    return [dict(c, padding=0) if c["padding"] == "valid" else c for c in cases]


def _check_pool(fn, kind, padding, backward):
    _options(fn, f"{kind}_pool2d", padding=padding)
    cases = _pool_cases(padding)
    if backward:
        report = verify.verify_pool2d_backward(fn, kind, cases=cases, atol=1e-8)
    else:
        report = verify.verify_pool2d(fn, kind, cases=cases, atol=1e-8)
    what = "first maximal cell" if kind == "max" else "mean of the real cells"
    return verdict(report, f"the windowed oracle ({what})")


def check_max_pool2d(fn, padding=False):
    """Check ``fn(x, pool_size, stride=..., padding=...)`` against a windowed max.

    ``padding=False`` tests only unpadded cases (``padding=0`` is still passed)."""
    return _check_pool(fn, "max", padding, backward=False)


def check_max_pool2d_backward(fn, padding=False):
    """Check ``fn(dy, x, pool_size, stride=..., padding=...) -> dx``; windows with tied maxima
    must send their whole gradient to the first maximal cell (row-major)."""
    return _check_pool(fn, "max", padding, backward=True)


def check_avg_pool2d(fn, padding=False):
    """Check ``fn(x, pool_size, stride=..., padding=...)`` against a windowed mean."""
    return _check_pool(fn, "avg", padding, backward=False)


def check_avg_pool2d_backward(fn, padding=False):
    """Check ``fn(dy, x, pool_size, stride=..., padding=...) -> dx``."""
    return _check_pool(fn, "avg", padding, backward=True)


# --------------------------------------------------------------------------------------------
# Backward passes checked by central differences

_ACTIVATIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh}


def check_activation_backward(fn, activation):
    """Check ``fn(dy, x) -> dx`` for ``activation`` in 'relu', 'sigmoid', 'tanh' against central
    differences of the activation."""
    reader_function(fn, "fn")
    if not isinstance(activation, str):
        raise TypeError(f"activation: needs one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation: needs one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    forward = _ACTIVATIONS[activation]
    cases = [{"shape": shape, "seed": seed} for seed, shape in enumerate([(5,), (3, 4), (2, 3, 4, 5)])]

    def make(case):
        rng = np.random.default_rng(case["seed"])
        x = rng.uniform(-3, 3, size=case["shape"])
        x[np.abs(x) < 1e-3] = 0.5  # away from ReLU's kink
        return rng.standard_normal(case["shape"]), x

    report = verify.run_cases(
        reader_name(fn, f"{activation}_backward"),
        cases,
        make,
        lambda dy, x: fn(dy.copy(), x.copy()),
        lambda dy, x: numerical_vjp(forward, [x], dy, 0),
        ("dx",),
        1e-6,
    )
    return verdict(report, "central differences")


def check_dense_backward(fn):
    """Check ``fn(dy, x, w, b) -> (dx, dw, db)`` for the dense layer :math:`y = x W + b`
    (``x (N, D)``, ``w (D, M)``, ``b (M,)``) against central differences."""
    reader_function(fn, "fn")
    cases = [{"n": n, "d": d, "m": m} for n, d, m in [(1, 1, 1), (2, 3, 4), (5, 4, 2)]]

    def make(case):
        rng = np.random.default_rng(case["n"] + 10 * case["d"])
        shapes = [(case["n"], case["m"]), (case["n"], case["d"]), (case["d"], case["m"]), (case["m"],)]
        return tuple(rng.standard_normal(s) for s in shapes)

    def oracle(dy, x, w, b):
        def forward(x_, w_, b_):
            return x_ @ w_ + b_

        return tuple(numerical_vjp(forward, [x, w, b], dy, i) for i in range(3))

    report = verify.run_cases(
        reader_name(fn, "dense_backward"),
        cases,
        make,
        lambda dy, x, w, b: fn(dy.copy(), x.copy(), w.copy(), b.copy()),
        oracle,
        ("dx", "dw", "db"),
        1e-6,
    )
    return verdict(report, "central differences")


def check_softmax_cross_entropy(fn):
    """Check ``fn(logits, labels) -> (loss, dlogits)`` (mean over the batch, int labels) against
    ``scipy.special.log_softmax`` and the closed-form gradient, including logits of :math:`\\pm 10^4`
    that overflow a naive ``exp``."""
    reader_function(fn, "fn")
    cases = [{"n": 1, "k": 2, "scale": 1.0}, {"n": 4, "k": 3, "scale": 3.0}, {"n": 3, "k": 5, "scale": 1e4}]

    def make(case):
        rng = np.random.default_rng(case["k"])
        logits = case["scale"] * rng.standard_normal((case["n"], case["k"]))
        return logits, rng.integers(0, case["k"], size=case["n"])

    def oracle(logits, labels):
        def loss(z):
            return -np.mean(special.log_softmax(z, axis=1)[np.arange(len(labels)), labels])

        grad = special.softmax(logits, axis=1)
        grad[np.arange(len(labels)), labels] -= 1
        return loss(logits), grad / len(labels)

    with np.errstate(over="ignore", invalid="ignore"):
        report = verify.run_cases(
            reader_name(fn, "softmax_cross_entropy"),
            cases,
            make,
            lambda logits, labels: fn(logits.copy(), labels.copy()),
            oracle,
            ("loss", "dlogits"),
            1e-8,
        )
    return verdict(report, "scipy.special.log_softmax")


def _layer_argument(layer):
    if not all(callable(getattr(layer, name, None)) for name in ("forward", "backward")) or \
            not hasattr(layer, "params"):
        raise TypeError(f"layer: needs an object with forward(x, training), backward(dy) and "
                        f"params, got {type(layer).__name__}")
    try:
        return copy.deepcopy(layer)
    except Exception as error:  # a reader's object may hold anything
        raise TypeError(f"layer: needs an object that copy.deepcopy can copy (the check works "
                        f"on a copy), got {type(layer).__name__}: {error}") from None


def _batch_shape(input_shape):
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 2:
        raise TypeError(f"input_shape: needs a tuple of ints with the batch axis, e.g. (2, 3), "
                        f"got {input_shape!r}")
    return tuple(positive_int(size, "input_shape") for size in input_shape)


def _float64_params(work):
    """The copy's parameters, converted to float64 (a library layer computes in float64 too)."""
    params = list(work.params)
    for index, p in enumerate(params):
        if not isinstance(getattr(p, "data", None), np.ndarray):
            raise TypeError(f"params[{index}] needs .data and .grad arrays (a Parameter), "
                            f"got {type(p).__name__}")
        p.data = np.asarray(p.data, dtype=np.float64)
        p.grad = np.zeros_like(p.data)
    return params


def _layer_output(work, x):
    y, message = verify.reader_array(work.forward(x.copy(), training=False))
    if message:
        raise ValueError(f"forward {message}")
    return y


def check_layer_backward(layer, input_shape, seed=0):
    r"""Gradient-check a layer object: ``layer.forward(x)``, ``layer.backward(dy) -> dx`` filling
    ``p.grad`` for every ``p`` in ``layer.params``, against central differences in float64.

    The check works on a copy (``copy.deepcopy``) whose parameters and computation are float64,
    so a float32 layer is checked as exactly as a float64 one and the layer passed in is left
    as it was: its weights, dtype and built state do not change.

    Parameters
    ----------
    layer : object
        With ``forward(x, training=False)``, ``backward(dy) -> dx`` and ``params`` (a list of
        :class:`~dlbook.Parameter`), e.g. any layer of :mod:`dlbook.layers`.
    input_shape : tuple of int
        The shape of ``x``, batch axis included, e.g. ``(2, 3, 6, 6)``.
    seed : int
        Seeds ``x`` and :math:`\delta = \partial L / \partial y`, with :math:`L = \sum y
        \odot \delta`.

    Raises
    ------
    ExerciseFailed
        If ``dx`` or a ``p.grad`` disagrees with central differences (relative error above
        1e-6), or the layer's forward or backward raises or returns something that is not a
        real array of the right shape.
    """
    input_shape = _batch_shape(input_shape)
    seed = non_negative_int(seed, "seed")
    work = _layer_argument(layer)
    name = type(layer).__name__
    case = {"input_shape": input_shape}
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(input_shape)
    if isinstance(work, Layer) and work.built:
        work.dtype = np.dtype(np.float64)
    try:
        dy = rng.standard_normal(_layer_output(work, x).shape)  # builds the layer on first use
        params = _float64_params(work)

        def loss(v):
            return float(np.sum(_layer_output(work, v) * dy))

        numeric = [numerical_gradient(loss, x.copy())]
        for p in params:
            numeric.append(numerical_gradient(lambda _: loss(x), p.data))
    except Exception as exc:  # a reader's layer may raise anything
        message = f"raised {type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) \
            or not str(exc).startswith("forward ") else str(exc)
        report = verify.Report(name=name, n_cases=1, failure=verify.Failure(
            case, "-", message=message, exception=exc))
        return verdict(report, "central differences")

    def analytic():
        for p in params:
            p.grad[...] = 0
        work.forward(x.copy(), training=False)
        dx = work.backward(dy.copy())
        return (dx,) + tuple(p.grad.copy() for p in params) if params else dx

    names = ("dx",) + tuple(f"params[{i}].grad" for i in range(len(params)))
    report = verify.run_cases(name, [case], lambda case: (), analytic,
                              lambda: tuple(numeric) if params else numeric[0], names, 1e-6)
    return verdict(report, "central differences")
