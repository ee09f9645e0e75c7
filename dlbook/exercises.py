"""Checks for the exercises: run a reader's own function against the same oracles as the tests.

Each ``check_*`` function prints one line when the reader's function agrees with the oracle on
every case, and otherwise raises :class:`ExerciseFailed` naming the first failing case (its
shapes and arguments, which output was wrong and by how much). A function that still raises
``NotImplementedError`` lets that error through unchanged, so an unsolved exercise reads as
"not written yet".

The checks of a kernel run it on the grids of :mod:`dlbook.verify` against the oracles of
:mod:`dlbook.oracles`; the checks of a backward pass compare it with central differences
(:mod:`dlbook.gradcheck`), in :mod:`dlbook.layer_exercises`. The optimizer checks of
:mod:`dlbook.optimizer_exercises` and the predict-then-run checks of
:mod:`dlbook.value_exercises` (a value the reader typed against the one the library computes)
are importable from here too.

>>> from dlbook.functional import conv2d
>>> check_conv2d(conv2d)
Passed: conv2d agrees with scipy.signal.correlate2d on all 240 cases.
"""

import numpy as np

from dlbook import verify
from dlbook._grading import ExerciseFailed, reader_name, verdict
from dlbook._validation import boolean, reader_function
from dlbook.functional import conv_output_size, resolve_padding
from dlbook.fitting_exercises import check_kernel_fit, check_train_step
from dlbook.layer_exercises import (
    check_activation_backward,
    check_dense_backward,
    check_initializer_scale,
    check_layer_backward,
    check_softmax_cross_entropy,
)
from dlbook.optimizer_exercises import (
    check_adagrad_step,
    check_adam_step,
    check_rmsprop_step,
    check_sgd_momentum_step,
)
from dlbook.receptive_field import check_receptive_field_size
from dlbook.value_exercises import (
    check_macs_answer,
    check_max_derivative_answer,
    check_optimizer_state_size_answer,
    check_optimizer_step_answer,
    check_parameter_count_answer,
    check_receptive_field_answer,
    check_rmsprop_epsilon_answer,
    check_shape_answer,
)

__all__ = [
    "ExerciseFailed",
    # convolution and pooling (this module)
    "check_conv2d",
    "check_conv2d_backward",
    "check_conv_output_size",
    "check_col2im",
    "check_max_pool2d",
    "check_max_pool2d_backward",
    "check_avg_pool2d",
    "check_avg_pool2d_backward",
    # backward passes and initialization (layer_exercises)
    "check_activation_backward",
    "check_dense_backward",
    "check_softmax_cross_entropy",
    "check_layer_backward",
    "check_initializer_scale",
    # optimizer steps (optimizer_exercises)
    "check_sgd_momentum_step",
    "check_rmsprop_step",
    "check_adam_step",
    "check_adagrad_step",
    # receptive fields (receptive_field)
    "check_receptive_field_size",
    # training (fitting_exercises)
    "check_train_step",
    "check_kernel_fit",
    # predicted values (value_exercises)
    "check_shape_answer",
    "check_parameter_count_answer",
    "check_optimizer_step_answer",
    "check_macs_answer",
    "check_max_derivative_answer",
    "check_optimizer_state_size_answer",
    "check_receptive_field_answer",
    "check_rmsprop_epsilon_answer",
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


def _col2im_cases():
    """One col2im case per conv2d case with a dilation: the padded input's shape, the
    kernel, stride and dilation pairs."""
    cases = []
    for case in verify.conv2d_cases():
        stride, dilation = verify._pair(case["stride"]), verify._pair(case["dilation"])
        n, c, h, w = case["x_shape"]
        kernel_hw = case["w_shape"][2:]
        (top, bottom), (left, right) = resolve_padding(case["padding"], (h, w), kernel_hw,
                                                       stride, dilation)
        cases.append({"padded_shape": (n, c, h + top + bottom, w + left + right),
                      "kernel_hw": kernel_hw, "stride": stride, "dilation": dilation})
    return cases


def check_col2im(fn):
    """Check ``fn(grad_columns, padded_shape, kernel_hw, stride, dilation) -> dxp``, the adjoint
    of ``im2col``: each column entry ``[n, (c, p, q), (i, j)]`` added onto the padded cell
    ``[n, c, i*sh + p*dh, j*sw + q*dw]`` it was read from.

    ``grad_columns`` is (N, C*KH*KW, OH*OW), ``padded_shape`` (N, C, HP, WP), and
    ``kernel_hw``, ``stride``, ``dilation`` are pairs. The oracle scatters with ``np.add.at``
    (:func:`dlbook.oracles.scatter_col2im`), on one case per conv2d case of the grid.
    """
    name = _options(fn, "col2im")
    rng = np.random.default_rng(0)

    def make(case):
        kh, kw = case["kernel_hw"]
        (sh, sw), (dh, dw) = case["stride"], case["dilation"]
        n, c, hp, wp = case["padded_shape"]
        oh, ow = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
        return (rng.standard_normal((n, c * kh * kw, oh * ow)), case)

    def args(grad_columns, case):
        return (grad_columns, case["padded_shape"], case["kernel_hw"], case["stride"],
                case["dilation"])

    report = verify.run_cases(name, _col2im_cases(), make, lambda *a: fn(*args(*a)),
                              lambda *a: verify.scatter_col2im(*args(*a)), ("dxp",), 1e-10)
    return verdict(report, "np.add.at onto the cells im2col read")


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
