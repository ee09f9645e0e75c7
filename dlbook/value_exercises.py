"""Predict-then-run exercises: the reader types a value, the library computes it, the two are compared.

A predict-then-run exercise asks for a number, a shape or a count (the output shape of a layer,
its parameter count, the size of an optimizer's first step, ...). The reader writes the
prediction in a cell, ``answer = (1, 8, 6, 6)``, and the check cell computes the true value
with the library *for that case* (nothing is stored), then prints it beside the prediction:

- ``answer = None`` (the unsolved stub) raises :class:`NotImplementedError`, like an unwritten
  function in the other exercises;
- a right prediction prints ``Passed: ...`` with the computed value;
- a wrong one raises :class:`~dlbook.exercises.ExerciseFailed` naming both values, which is the
  "run" half of the exercise: the reader then finds out why.

>>> from dlbook.layers import Conv2D
>>> check_shape_answer((1, 8, 6, 6), Conv2D(8, 3), input_shape=(1, 1, 8, 8))
Passed: the output shape of Conv2D on an input of shape (1, 1, 8, 8) is (1, 8, 6, 6).
>>> check_parameter_count_answer(80, Conv2D(8, 3), input_shape=(1, 1, 8, 8))
Passed: the parameter count of Conv2D on an input of shape (1, 1, 8, 8) is 80.
"""

import copy
import numbers

import numpy as np

from dlbook import functional
from dlbook._grading import ExerciseFailed
from dlbook._validation import as_float_array, one_of, positive_int
from dlbook.cost import layer_macs
from dlbook.parameter import Parameter
from dlbook.receptive_field import receptive_field

__all__ = [
    "grade_value",
    "check_shape_answer",
    "check_parameter_count_answer",
    "check_optimizer_step_answer",
    "check_macs_answer",
    "check_max_derivative_answer",
    "check_optimizer_state_size_answer",
    "check_receptive_field_answer",
    "check_rmsprop_epsilon_answer",
]


def _is_unanswered(answer):
    return answer is None or answer is Ellipsis


def _matches(answer, expected, rtol):
    """Whether a reader's value matches: ints and shapes exactly, floats to ``rtol``."""
    if isinstance(expected, tuple):
        if not isinstance(answer, (tuple, list)) or len(answer) != len(expected):
            return False
        return all(_matches(a, e, rtol) for a, e in zip(answer, expected))
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return False
    if isinstance(expected, numbers.Integral) and rtol == 0:
        return answer == expected
    return bool(np.isclose(float(answer), float(expected), rtol=rtol, atol=0.0))


def _shown(value):
    if isinstance(value, float) or isinstance(value, np.floating):
        return f"{float(value):.6g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_shown(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


def grade_value(answer, expected, what, rtol=0.0):
    """Compare a reader's prediction with the value the library computed, and say so.

    Parameters
    ----------
    answer : int, float, tuple or None
        The reader's prediction; ``None`` (or ``...``) means "not answered yet".
    expected : int, float or tuple of them
        The value the library computed for this case.
    what : str
        What the value is, for the messages: "the output shape of Conv2D on ...".
    rtol : float
        Relative tolerance for floats (0 means exact, the rule for shapes and counts).

    Raises
    ------
    NotImplementedError
        When ``answer`` is ``None``: the exercise is not answered yet.
    ExerciseFailed
        When the prediction differs from the computed value; the message gives both.
    """
    if _is_unanswered(answer):
        raise NotImplementedError(f"type your prediction of {what} as the value of `answer`")
    if not _matches(answer, expected, rtol):
        close = f" (to a relative {rtol:g})" if rtol else ""
        raise ExerciseFailed(f"{what} is {_shown(expected)}; you predicted {_shown(answer)}{close}")
    print(f"Passed: {what} is {_shown(expected)}.")


def _input_shape(input_shape):
    if not isinstance(input_shape, (tuple, list)) or not input_shape:
        raise TypeError(f"input_shape: got {input_shape!r}; needs a tuple of positive ints, "
                        "batch axis included, e.g. (1, 1, 8, 8)")
    return tuple(positive_int(n, "input_shape") for n in input_shape)


def _run_copy(layer, input_shape):
    """A deep copy of ``layer`` (a dlbook layer or Sequential), run once on zeros of
    ``input_shape`` (which builds it), and its output."""
    if not hasattr(layer, "forward") and not hasattr(layer, "predict"):
        raise TypeError(f"layer: got {type(layer).__name__}; needs a dlbook layer or Sequential")
    work = copy.deepcopy(layer)
    x = np.zeros(input_shape)
    y = work.predict(x, verbose=0) if hasattr(work, "predict") else work.forward(x, training=False)
    return work, y


def check_shape_answer(answer, layer, input_shape):
    """Check a predicted output shape against ``layer`` run on zeros of ``input_shape``.

    ``layer`` is a :mod:`dlbook.layers` layer or a :class:`~dlbook.Sequential`; it is copied, so
    the object passed in is not built or changed.
    """
    input_shape = _input_shape(input_shape)
    _, y = _run_copy(layer, input_shape)
    what = f"the output shape of {type(layer).__name__} on an input of shape {_shown(input_shape)}"
    grade_value(answer, tuple(int(n) for n in y.shape), what)


def check_parameter_count_answer(answer, layer, input_shape):
    """Check a predicted number of trainable numbers (weights and biases) of ``layer`` built for
    ``input_shape``: the sum of ``p.data.size`` over its parameters."""
    input_shape = _input_shape(input_shape)
    work, _ = _run_copy(layer, input_shape)
    count = int(sum(np.asarray(p.data).size for p in work.params))
    what = f"the parameter count of {type(layer).__name__} on an input of shape {_shown(input_shape)}"
    grade_value(answer, count, what)


def check_optimizer_step_answer(answer, optimizer, gradient, steps=1, rtol=1e-3):
    r"""Check a predicted step of an optimizer: how far it moves a parameter on its ``steps``-th
    update, when every update sees the same ``gradient``.

    The optimizer is copied (its state is left alone) and run on a fresh parameter starting at
    0, so the answer is :math:`p_{t-1} - p_t` after ``steps`` updates: a positive number for a
    positive gradient. ``gradient`` is a float (a one-element parameter) or an array, in which
    case the answer is an array-like of the same shape, or a tuple for a 1-D gradient.
    """
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "state_dict"):
        raise TypeError(f"optimizer: got {type(optimizer).__name__}; needs a dlbook.optim optimizer")
    steps = positive_int(steps, "steps")
    scalar = isinstance(gradient, numbers.Real) and not isinstance(gradient, bool)
    g = as_float_array(np.atleast_1d(np.asarray(gradient, dtype=float)), "gradient")
    if g.ndim != 1:
        raise ValueError(f"gradient: got shape {g.shape}; needs a float or a 1-D array")
    work = copy.deepcopy(optimizer)
    p = Parameter(np.zeros_like(g))
    previous = p.data.copy()
    for _ in range(steps):
        previous = p.data.copy()
        p.grad[...] = g
        work.step([p])
    step = previous - p.data
    expected = float(step[0]) if scalar else tuple(float(s) for s in step)
    which = "first step" if steps == 1 else f"step number {steps}"
    what = (f"the {which} of {type(optimizer).__name__} for the gradient "
            f"{_shown(float(gradient)) if scalar else _shown(tuple(float(v) for v in g))}")
    grade_value(answer, expected, what, rtol=rtol)


def check_macs_answer(answer, layer, input_shape):
    """Check a predicted number of multiply-adds of one forward pass of ``layer`` (a dlbook
    layer or Sequential) on a batch of ``input_shape``, computed by
    :func:`dlbook.cost.layer_macs` (Conv2D: :math:`N O O_H O_W C K_H K_W`; Dense:
    :math:`N \\cdot \\text{in} \\cdot \\text{out}`; bias, activation and pooling not counted).

    >>> from dlbook.layers import Conv2D
    >>> check_macs_answer(56448, Conv2D(8, 3, padding="same"), input_shape=(1, 1, 28, 28))
    Passed: the number of multiply-adds of Conv2D on an input of shape (1, 1, 28, 28) is 56448.
    """
    input_shape = _input_shape(input_shape)
    count = layer_macs(layer, input_shape)
    what = (f"the number of multiply-adds of {type(layer).__name__} on an input of shape "
            f"{_shown(input_shape)}")
    grade_value(answer, count, what)


def check_max_derivative_answer(answer, activation):
    r"""Check a predicted largest value of an activation's derivative, :math:`\max_z f'(z)`.

    The library computes it: ``dlbook.functional.<activation>_backward`` applied to
    :math:`\delta = 1` on the grid :math:`z = -10, -9.999, \dots, 10` (which holds 0), and the
    largest entry taken. ``activation`` is 'sigmoid', 'tanh' or 'relu'; floats are compared to
    a relative 1e-6.
    """
    backward = {"sigmoid": functional.sigmoid_backward, "tanh": functional.tanh_backward,
                "relu": functional.relu_backward}
    one_of(activation, backward, "activation")
    z = np.linspace(-10.0, 10.0, 20001)
    slope = float(np.max(backward[activation](np.ones_like(z), z)))
    grade_value(answer, slope, f"the largest value of the derivative of {activation}", rtol=1e-6)


def check_optimizer_state_size_answer(answer, optimizer, model, input_shape):
    """Check a predicted number of floats that ``optimizer`` keeps for ``model``: the total size
    of the arrays in its ``state_dict()`` after one step on the model built for ``input_shape``
    (moments only: the step counts and hyperparameters are single numbers, not arrays).

    Both objects are copied, so neither is built, stepped or changed. For a model of :math:`P`
    trainable numbers, SGD keeps 0 floats, SGD with momentum :math:`P`, Adam :math:`2P`.
    """
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "state_dict"):
        raise TypeError(f"optimizer: got {type(optimizer).__name__}; needs a dlbook.optim optimizer")
    if not hasattr(model, "forward") and not hasattr(model, "predict"):
        raise TypeError(f"model: got {type(model).__name__}; needs a dlbook layer or Sequential")
    input_shape = _input_shape(input_shape)
    work, _ = _run_copy(model, input_shape)
    params = list(work.params)
    for p in params:
        p.grad[...] = 0.0
    stepped = copy.deepcopy(optimizer)
    stepped.step(params)
    count = int(sum(v.size for v in stepped.state_dict().values() if isinstance(v, np.ndarray)))
    what = (f"the number of floats {type(optimizer).__name__} keeps for {type(model).__name__} "
            f"on an input of shape {_shown(input_shape)}")
    grade_value(answer, count, what)


def check_receptive_field_answer(answer, layers, input_shape, layer):
    """Check a predicted receptive field, ``(height, width)`` in input pixels, of one unit of
    ``layers[layer]`` (a Sequential or a list of layers) on samples of ``input_shape``
    ``(C, H, W)``: the size that :func:`dlbook.receptive_field.receptive_field` computes, which
    may reach past the image into its zero padding.

    >>> from dlbook.layers import Conv2D
    >>> check_receptive_field_answer((5, 5), [Conv2D(1, 3), Conv2D(1, 3)], (1, 8, 8), layer=1)
    Passed: the receptive field of a unit of layer 1 (conv2d) on an input of shape (1, 8, 8) is (5, 5).
    """
    rows = receptive_field(layers, input_shape)
    if isinstance(layer, bool) or not isinstance(layer, numbers.Integral):
        raise TypeError(f"layer: needs an int index into the layers, got {layer!r}")
    if not 0 <= layer < len(rows):
        raise ValueError(f"layer: got {layer}; needs an index from 0 to {len(rows) - 1}")
    row = rows[layer]
    what = (f"the receptive field of a unit of layer {layer} ({row.name}) on an input of shape "
            f"{_shown(tuple(input_shape))}")
    grade_value(answer, tuple(int(n) for n in row.size), what)


def _keras3_rmsprop_steps(g, steps, learning_rate, rho, epsilon):
    """The sizes of the first ``steps`` steps of Keras 3's ``RMSprop`` (no momentum, not
    centered) for a constant gradient ``g``, from keras/src/optimizers/rmsprop.py:
    v <- rho v + (1 - rho) g^2;  p <- p - lr g / sqrt(v + epsilon)  (epsilon INSIDE the root)."""
    v, sizes = 0.0, []
    for _ in range(steps):
        v = rho * v + (1.0 - rho) * g * g
        sizes.append(learning_rate * g / np.sqrt(v + epsilon))
    return sizes


def check_rmsprop_epsilon_answer(answer, gradient, steps=1, learning_rate=0.001, rho=0.9,
                                 epsilon=1e-7, rtol=0.02):
    r"""Check a predicted ratio: the step of dlbook's ``RMSProp`` (PyTorch's formula,
    :math:`\eta g / (\sqrt{s} + \epsilon)`) divided by the step of Keras 3's ``RMSprop``
    (:math:`\eta g / \sqrt{s + \epsilon}`), both with the same hyperparameters, on the
    ``steps``-th update of a parameter whose gradient is always ``gradient``.

    The dlbook step is taken by :class:`dlbook.optim.RMSProp` itself; the Keras 3 step by the
    formula of ``keras/src/optimizers/rmsprop.py`` (Keras is not needed). For
    :math:`|g| \gg \sqrt{\epsilon}` the ratio is 1; for small gradients it is large, because
    :math:`\sqrt{\epsilon}` (3.2e-4 for the default 1e-7) is a floor under Keras's denominator.
    The answer is compared to a relative ``rtol`` (2% by default: two significant digits).
    """
    from dlbook.optim import RMSProp

    if isinstance(gradient, bool) or not isinstance(gradient, numbers.Real) or gradient == 0 \
            or not np.isfinite(gradient):
        raise TypeError(f"gradient: got {gradient!r}; needs a finite nonzero float, e.g. 1e-4")
    steps = positive_int(steps, "steps")
    optimizer = RMSProp(learning_rate=learning_rate, rho=rho, epsilon=epsilon)
    p = Parameter(np.zeros(1))
    for _ in range(steps):
        previous = p.data.copy()
        p.grad[...] = gradient
        optimizer.step([p])
    ours = float(previous[0] - p.data[0])
    keras = float(_keras3_rmsprop_steps(float(gradient), steps, optimizer.learning_rate,
                                        optimizer.rho, optimizer.epsilon)[-1])
    which = "first step" if steps == 1 else f"step number {steps}"
    what = (f"the ratio of dlbook's (PyTorch's) RMSprop {which} to Keras 3's for the gradient "
            f"{_shown(float(gradient))} (epsilon={_shown(float(optimizer.epsilon))})")
    grade_value(answer, ours / keras, what, rtol=rtol)
