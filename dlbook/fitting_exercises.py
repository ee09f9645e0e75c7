"""Checks for the exercises that fit something: a training step written by hand, and a
convolution kernel learned by gradient descent.

Both follow :mod:`dlbook.exercises`: one ``Passed: ...`` line when the reader's function does
what it should on every case, :class:`~dlbook.exercises.ExerciseFailed` naming the first case it
gets wrong, and the stub's ``NotImplementedError`` let through unchanged. Importable from
:mod:`dlbook.exercises` as well.

>>> import numpy as np
>>> from dlbook.functional import conv2d, conv2d_backward
>>> from dlbook.optim import Adam
>>> from dlbook import Parameter
>>> def learn_kernel(image, target, steps=300, learning_rate=0.1):
...     x, t = image[None, None], target[None, None]
...     kernel, adam = Parameter(np.zeros((1, 1, 3, 3))), Adam(learning_rate=learning_rate)
...     for _ in range(steps):
...         residual = conv2d(x, kernel.data) - t
...         kernel.grad[...] = conv2d_backward(2 * residual / residual.size, x, kernel.data)[1]
...         adam.step([kernel])
...     return kernel.data[0, 0]
>>> check_kernel_fit(learn_kernel)
Passed: learn_kernel agrees with the Sobel kernels that made the targets on all 2 cases.
"""

import copy

import numpy as np

from dlbook import verify
from dlbook._grading import reader_name, verdict
from dlbook._validation import positive_int, reader_function
from dlbook.datasets import sample_image
from dlbook.functional import conv2d

__all__ = ["check_train_step", "check_kernel_fit", "SOBEL_X"]

#: The Sobel kernel for horizontal change, as a cross-correlation kernel (3, 3): it responds to
#: a brightness that falls from left to right. Its transpose responds to vertical change.
SOBEL_X = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])

KERNEL_TOLERANCE = 1e-2     # largest |learned - true| allowed, for weights of size 1 or 2
LOSS_TOLERANCE = 1e-4       # the fit's mean squared error, relative to the target's mean square


def _failed(name, n_cases, n_passed, case, output, message, exception=None):
    report = verify.Report(name=name, n_cases=n_cases, n_passed=n_passed)
    report.failure = verify.Failure(case, output, message=message, exception=exception)
    return verdict(report, "")


# --------------------------------------------------------------------------------------------
# One training step by hand


def _small_cnn(seed):
    from dlbook.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from dlbook.model import Sequential
    from dlbook.optim import Adam

    model = Sequential([
        Conv2D(4, (3, 3), padding="same", activation="relu", input_shape=(1, 6, 6)),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(5, activation="softmax"),
    ], seed=seed, dtype="float64")
    model.compile(optimizer=Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    return model


def check_train_step(fn, steps=3, seed=0):
    r"""Check a reader's ``train_step(model, x, y) -> loss`` against ``model.train_on_batch``.

    ``fn`` must do what :meth:`~dlbook.model.Sequential.fit` does for one batch, with the
    model's own layers: the forward pass (``layer.forward(a, training=True)``), the softmax
    cross-entropy of the last layer's logits (``model.layers[-1].pre_activation``), the backward
    pass (``backward_pre_activation`` for the last layer, ``backward`` for the others, in
    reverse order) and one ``model.optimizer.step(model.params)``; it returns the loss.

    The check builds a small CNN (Conv2D, MaxPooling2D, Flatten, Dense with a softmax; float64,
    Adam with :math:`\eta = 0.01`), copies it, and runs ``steps`` batches of random images
    :math:`x` (4, 1, 6, 6) through ``fn`` on one copy and through ``train_on_batch`` on the
    other. After every step the losses and all the weights must agree to 1e-10.

    Raises
    ------
    ExerciseFailed
        Naming the first step at which the loss or a weight differs, or what ``fn`` raised.
    """
    fn = reader_function(fn, "fn")
    steps = positive_int(steps, "steps")
    name = reader_name(fn, "train_step")
    reference = _small_cnn(seed)
    reader = copy.deepcopy(reference)
    rng = np.random.default_rng(seed)
    for step in range(steps):
        x = rng.standard_normal((4, 1, 6, 6))
        y = rng.integers(0, 5, size=4)
        case = {"step": step + 1, "x_shape": x.shape}
        expected_loss = float(reference.train_on_batch(x, y))
        try:
            loss = fn(reader, x.copy(), y.copy())
        except Exception as exc:  # a reader's function may raise anything
            return _failed(name, steps, step, case, "-",
                           f"raised {type(exc).__name__}: {exc}", exc)
        try:
            loss = float(loss)
        except (TypeError, ValueError):
            return _failed(name, steps, step, case, "loss",
                           f"returned {type(loss).__name__}, not the loss (a float)")
        if not abs(loss - expected_loss) <= 1e-10 * max(1.0, abs(expected_loss)):
            return _failed(name, steps, step, case, "loss",
                           f"returned {loss:.6g}, the loss of the batch is {expected_loss:.6g}")
        for p_reader, p_ref, label in zip(reader.params, reference.params, _param_names(reference)):
            error = float(np.max(np.abs(p_reader.data - p_ref.data)))
            if not error <= 1e-10:
                hint = " (was the optimizer step taken, once?)" if error > 1e-4 else ""
                return _failed(name, steps, step, case, label,
                               f"differs from train_on_batch's by up to {error:.3g}{hint}")
    return verdict(verify.Report(name=name, n_cases=steps, n_passed=steps),
                   "Sequential.train_on_batch")


def _param_names(model):
    return [f"{layer.name}.{key}" for layer in model.layers for key in layer.named_params()]


# --------------------------------------------------------------------------------------------
# Learning the Sobel kernel from a filtered photograph


def _kernel_fit_image():
    """The photograph of chapter 3 (``sample_image()``, gray), every 8th pixel: (54, 80)."""
    return sample_image()[::8, ::8].copy()


def check_kernel_fit(fn):
    r"""Check a reader's ``learn_kernel(image, target) -> kernel`` that fits a 3x3 kernel by
    gradient descent.

    The photograph of :func:`dlbook.datasets.sample_image`, downsampled to (54, 80), is filtered
    with a hidden kernel :math:`K` (``'valid'`` cross-correlation, ``target`` (52, 78));
    ``learn_kernel`` gets the image and the target and returns the (3, 3) kernel :math:`W` that
    minimizes :math:`L(W) = \operatorname{mean}\bigl((\operatorname{conv2d}(x, W) - t)^2\bigr)`.
    The hidden kernels are the Sobel kernel :data:`SOBEL_X` and its transpose, so a kernel
    typed in by hand passes at most one case.

    A case passes when :math:`\max |W - K| < 10^{-2}` and the fit's loss is below
    :math:`10^{-4}` times the mean square of the target.

    Raises
    ------
    ExerciseFailed
        Naming the first kernel it does not recover, with the error and the loss.
    """
    fn = reader_function(fn, "fn")
    name = reader_name(fn, "learn_kernel")
    image = _kernel_fit_image()
    cases = [("SOBEL_X", SOBEL_X), ("SOBEL_X.T", SOBEL_X.T.copy())]
    for index, (label, kernel) in enumerate(cases):
        target = conv2d(image[None, None], kernel[None, None])[0, 0]
        case = {"hidden_kernel": label, "image_shape": image.shape}
        try:
            learned = fn(image.copy(), target.copy())
        except Exception as exc:  # a reader's function may raise anything
            return _failed(name, len(cases), index, case, "-",
                           f"raised {type(exc).__name__}: {exc}", exc)
        learned, message = verify.reader_array(learned)
        if not message and learned.shape != (3, 3):
            message = f"returned shape {learned.shape}, needs (3, 3)"
        if not message and not np.all(np.isfinite(learned)):
            message = "returned NaN or inf"
        if message:
            return _failed(name, len(cases), index, case, "kernel", message)
        learned = learned.astype(np.float64)
        error = float(np.max(np.abs(learned - kernel)))
        fit = conv2d(image[None, None], learned[None, None])[0, 0]
        relative_loss = float(np.mean((fit - target) ** 2) / np.mean(target ** 2))
        if not (error < KERNEL_TOLERANCE and relative_loss < LOSS_TOLERANCE):
            return _failed(name, len(cases), index, case, "kernel",
                           f"max |W - K| = {error:.3g} (needs < {KERNEL_TOLERANCE:g}), loss / "
                           f"mean(target**2) = {relative_loss:.3g} (needs < {LOSS_TOLERANCE:g}); "
                           "more steps or a larger learning rate?")
    return verdict(verify.Report(name=name, n_cases=len(cases), n_passed=len(cases)),
                   "the Sobel kernels that made the targets")


def _reference_learn_kernel(image, target, steps=300, learning_rate=0.1):
    """A solution of the kernel-fit exercise, for the tests: full-batch Adam on the mean
    squared error, the gradient by :func:`dlbook.functional.conv2d_backward`."""
    from dlbook.functional import conv2d_backward
    from dlbook.optim import Adam
    from dlbook.parameter import Parameter

    x, t = image[None, None], target[None, None]
    kernel, adam = Parameter(np.zeros((1, 1, 3, 3))), Adam(learning_rate=learning_rate)
    for _ in range(steps):
        residual = conv2d(x, kernel.data) - t
        kernel.grad[...] = conv2d_backward(2.0 * residual / residual.size, x, kernel.data)[1]
        adam.step([kernel])
    return kernel.data[0, 0]
