"""Checks of backward passes by central differences: activations, a dense layer, softmax
cross-entropy, and any layer object; and the weight scale that keeps a deep stack steady
(importable from :mod:`dlbook.exercises`).

>>> from dlbook.functional import sigmoid_backward
>>> check_activation_backward(sigmoid_backward, "sigmoid")
Passed: sigmoid_backward agrees with central differences on all 3 cases.
"""

import copy

import numpy as np
from scipy import special

from dlbook import verify
from dlbook._grading import reader_name, verdict
from dlbook._validation import non_negative_int, one_of, positive_int, reader_function
from dlbook.functional import relu, sigmoid, tanh
from dlbook.gradcheck import numerical_gradient, numerical_vjp
from dlbook.layers import Layer
from dlbook.signal_propagation import dense_stack, signal_statistics

__all__ = [
    "check_activation_backward",
    "check_dense_backward",
    "check_softmax_cross_entropy",
    "check_layer_backward",
    "check_initializer_scale",
]

_ACTIVATIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh}


def check_activation_backward(fn, activation):
    """Check ``fn(dy, x) -> dx`` for ``activation`` in 'relu', 'sigmoid', 'tanh' against central
    differences of the activation."""
    reader_function(fn, "fn")
    one_of(activation, _ACTIVATIONS, "activation")
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


_SCALE_REFERENCES = {"relu": "he_normal", "tanh": "glorot_normal"}
_SCALE_CASES = [
    {"widths": "100 x 20 layers", "seed": 0},
    {"widths": "64, 256, 64, ... (20 layers)", "seed": 1},
    {"widths": "20 layers of 40 to 300 units", "seed": 2},
]


def _scale_widths(case):
    if case["seed"] == 0:
        return [100] * 21
    if case["seed"] == 1:
        return [64, 256] * 10 + [64]
    return [int(w) for w in np.random.default_rng(7).integers(40, 301, size=21)]


def _reader_std(fn):
    """``fn`` wrapped so that whatever it returns that is not one positive number raises a
    one-line error saying what it returned."""
    def std(fan_in, fan_out):
        value = fn(fan_in, fan_out)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                         np.floating)):
            shape = f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""
            raise TypeError(f"returned {type(value).__name__}{shape} for fan_in={fan_in}, "
                            f"fan_out={fan_out}; needs one positive number (a weight std)")
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"returned {value!r} for fan_in={fan_in}, fan_out={fan_out}; "
                             "needs one positive number (a weight std)")
        return float(value)
    return std


def check_initializer_scale(fn, activation="relu"):
    r"""Check ``fn(fan_in, fan_out) -> std``, the standard deviation of the initial weights of
    a Dense layer, by what it does in a deep stack.

    Three stacks of 20 Dense layers with ``activation`` (equal widths, alternating 64 and 256,
    and irregular widths from 40 to 300) are run on a standard-normal batch twice: with
    kernels :math:`N(0, \sigma^2)`, :math:`\sigma` = ``fn(fan_in, fan_out)``, and with the
    library's initializer for that activation (``'he_normal'`` for ReLU, ``'glorot_normal'``
    for tanh), from the same random draws. The check compares each layer's activation
    variance with the library's: their ratio must be within 0.25 of 1 at every layer. A
    scale off by a constant factor :math:`c` multiplies the ratio by about :math:`c^{2l}` at
    layer :math:`l` and fails; so does one that uses the wrong fan on unequal widths.

    Raises
    ------
    ExerciseFailed
        Naming the first stack where a layer's variance ratio is off, or what ``fn`` returned
        instead of one positive number.
    """
    reader_function(fn, "fn")
    one_of(activation, _SCALE_REFERENCES, "activation")
    reference = _SCALE_REFERENCES[activation]
    std = _reader_std(fn)

    def make(case):
        widths = _scale_widths(case)
        x = np.random.default_rng(case["seed"] + 100).standard_normal((200, widths[0]))
        return widths, x, case["seed"]

    def variances(widths, x, seed, **scale):
        stack = dense_stack(widths, activation, seed=seed, **scale)
        return signal_statistics(stack, x).activation_std ** 2

    def oracle(widths, x, seed):
        return np.ones(len(widths) - 1)

    def call(widths, x, seed):
        return variances(widths, x, seed, std=std) / variances(widths, x, seed,
                                                               kernel_initializer=reference)

    report = verify.run_cases(reader_name(fn, "init_std"), _SCALE_CASES, make, call, oracle,
                              (f"activation variance / {reference}'s",), 0.25)
    return verdict(report, f"{reference} in deep {activation} stacks")
