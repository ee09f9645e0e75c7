"""Checks for the optimizer exercises: one step of a reader's SGD, RMSProp, Adam or AdaGrad.

The oracle is :mod:`dlbook.optim` itself, whose own tests hold hand-computed steps: each check
loads the optimizer's state (moments, step count) from the case, takes one step and compares
the parameter and the new state with what the reader's function returns. ``dlbook`` has no
AdaGrad class, so :func:`check_adagrad_step` compares with :func:`_adagrad_oracle`, the formula
of Duchi et al. (2011) in the form and defaults of ``torch.optim.Adagrad`` (PyTorch 2.x). The
checks are importable from :mod:`dlbook.exercises` as well.

>>> from dlbook.optim import adam_step
>>> check_adam_step(lambda p, g, m, v, t, lr, b1, b2, eps: adam_step(
...     p, g, m, v, t, learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps))
Passed: <lambda> agrees with dlbook.optim.adam_step on all 4 cases.
"""

import numpy as np

from dlbook import verify
from dlbook._grading import reader_name, verdict
from dlbook._validation import fraction, positive_float, reader_function
from dlbook.parameter import Parameter

__all__ = ["check_sgd_momentum_step", "check_rmsprop_step", "check_adam_step",
           "check_adagrad_step"]


def _arguments(fn, learning_rate, epsilon=None, **fractions):
    """Check a reader's step function and the hyperparameters of the check."""
    reader_function(fn, "fn")
    positive_float(learning_rate, "learning_rate")
    if epsilon is not None:
        positive_float(epsilon, "epsilon")
    for name, value in fractions.items():
        fraction(value, name)

def _optimizer_cases():
    return [
        {"shape": shape, "seed": seed, "t": t, "scale": scale}
        for seed, (shape, t, scale) in enumerate(
            [((3,), 1, 1.0), ((2, 3), 2, 1e-3), ((4,), 5, 100.0), ((1,), 10, 1.0)]
        )
    ]


def _optimizer_inputs(case, n_states):
    rng = np.random.default_rng(case["seed"])
    p = rng.standard_normal(case["shape"])
    g = case["scale"] * rng.standard_normal(case["shape"])
    states = [rng.standard_normal(case["shape"]) * case["scale"] for _ in range(n_states)]
    if n_states == 2:  # Adam's second moment is a running mean of squares: never negative
        states[1] = states[1] ** 2
    return p, g, states


def _one_step(optimizer, p, g, state_names, states, steps_taken):
    """Run ``optimizer`` for one step from the given state; return (p, *states).

    Only for SGD and RMSProp, whose update does not depend on the step count."""
    param = Parameter(p.copy())
    param.grad[...] = g
    state = dict(optimizer.state_dict(), num_params=1, **{"0.step": steps_taken})
    state.update({f"0.{name}": value.copy() for name, value in zip(state_names, states)})
    optimizer.load_state_dict(state)
    optimizer.step([param])
    after = optimizer.state_dict()
    return (param.data,) + tuple(after[f"0.{name}"] for name in state_names)


def check_sgd_momentum_step(fn, learning_rate=0.1, momentum=0.9):
    """Check ``fn(p, g, velocity, learning_rate, momentum) -> (p, velocity)``, one step of
    :math:`v \\leftarrow \\mu v + g,\\ p \\leftarrow p - \\eta v`, against
    :class:`dlbook.optim.SGD`."""
    from dlbook.optim import SGD

    _arguments(fn, learning_rate, momentum=momentum)

    def oracle(case):
        p, g, (velocity,) = _optimizer_inputs(case, 1)
        if momentum == 0:  # SGD keeps no velocity then, and v <- 0 v + g is the gradient
            (p,) = _one_step(SGD(learning_rate, momentum), p, g, [], [], case["t"])
            return p, g
        return _one_step(SGD(learning_rate, momentum), p, g, ["v"], [velocity], case["t"])

    def call(case):
        p, g, (velocity,) = _optimizer_inputs(case, 1)
        return fn(p, g, velocity, learning_rate, momentum)

    report = verify.run_cases(
        reader_name(fn, "sgd_momentum_step"), _optimizer_cases(), lambda case: (case,), call, oracle,
        ("p", "velocity"), 1e-10,
    )
    return verdict(report, "dlbook.optim.SGD")


def check_rmsprop_step(fn, learning_rate=0.01, rho=0.9, epsilon=1e-7):
    """Check ``fn(p, g, s, learning_rate, rho, epsilon) -> (p, s)``, one step of
    :math:`s \\leftarrow \\rho s + (1-\\rho) g^2,\\ p \\leftarrow p - \\eta g / (\\sqrt{s} + \\epsilon)`,
    against :class:`dlbook.optim.RMSProp`."""
    from dlbook.optim import RMSProp

    _arguments(fn, learning_rate, epsilon, rho=rho)

    def inputs(case):
        p, g, (s,) = _optimizer_inputs(case, 1)
        return p, g, s**2

    def oracle(case):
        p, g, s = inputs(case)
        optimizer = RMSProp(learning_rate, rho, epsilon)
        return _one_step(optimizer, p, g, ["s"], [s], case["t"])

    def call(case):
        p, g, s = inputs(case)
        return fn(p, g, s, learning_rate, rho, epsilon)

    report = verify.run_cases(
        reader_name(fn, "rmsprop_step"), _optimizer_cases(), lambda case: (case,), call, oracle,
        ("p", "s"), 1e-10,
    )
    return verdict(report, "dlbook.optim.RMSProp")


def check_adam_step(fn, learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    """Check ``fn(p, g, m, v, t, learning_rate, beta_1, beta_2, epsilon) -> (p, m, v)``, one step
    of Algorithm 1 of Kingma & Ba (2015) with bias correction, against
    :func:`dlbook.optim.adam_step`; ``t`` is the number of this step (1 for the first)."""
    from dlbook.optim import adam_step

    _arguments(fn, learning_rate, epsilon, beta_1=beta_1, beta_2=beta_2)

    hyper = {"learning_rate": learning_rate, "beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon}

    def oracle(case):
        p, g, (m, v) = _optimizer_inputs(case, 2)
        return adam_step(p, g, m, v, case["t"], **hyper)

    def call(case):
        p, g, (m, v) = _optimizer_inputs(case, 2)
        return fn(p, g, m, v, case["t"], learning_rate, beta_1, beta_2, epsilon)

    report = verify.run_cases(
        reader_name(fn, "adam_step"), _optimizer_cases(), lambda case: (case,), call, oracle,
        ("p", "m", "v"), 1e-10,
    )
    return verdict(report, "dlbook.optim.adam_step")


def _adagrad_oracle(p, g, accumulator, learning_rate, epsilon):
    r"""One AdaGrad step: :math:`G \leftarrow G + g^2`, then
    :math:`p \leftarrow p - \eta\, g / (\sqrt{G} + \epsilon)`.

    This is ``torch.optim.Adagrad`` with ``lr_decay=0``, ``weight_decay=0`` (its defaults): the
    accumulator (``state["sum"]``, initially ``initial_accumulator_value=0``) is updated first,
    and ``eps`` (default 1e-10) is added outside the square root. Returns new arrays
    ``(p, G)``, all of the shape of ``p``.
    """
    accumulator = accumulator + g * g
    return p - learning_rate * g / (np.sqrt(accumulator) + epsilon), accumulator


def check_adagrad_step(fn, learning_rate=0.01, epsilon=1e-10):
    """Check ``fn(p, g, accumulator, learning_rate, epsilon) -> (p, accumulator)``, one step of
    :math:`G \\leftarrow G + g^2,\\ p \\leftarrow p - \\eta g / (\\sqrt{G} + \\epsilon)`
    (Duchi et al., 2011; ``torch.optim.Adagrad``'s defaults), on the cases of the other checks;
    the accumulator is 0 in the first case (a first step) and a sum of squares in the others."""
    _arguments(fn, learning_rate, epsilon)

    def inputs(case):
        p, g, (accumulator,) = _optimizer_inputs(case, 1)
        accumulator = accumulator**2 * (case["t"] - 1)  # the t - 1 squared gradients before
        return p, g, accumulator

    def oracle(case):
        return _adagrad_oracle(*inputs(case), learning_rate, epsilon)

    def call(case):
        return fn(*inputs(case), learning_rate, epsilon)

    report = verify.run_cases(
        reader_name(fn, "adagrad_step"), _optimizer_cases(), lambda case: (case,), call, oracle,
        ("p", "accumulator"), 1e-10,
    )
    return verdict(report, "AdaGrad (torch.optim.Adagrad's formula)")
