r"""Optimizers that update parameters in place: SGD, RMSProp, Adam (with AMSGrad) and AdamW.

Every optimizer takes its hyperparameters only (Keras style) and is used as::

    opt = Adam(learning_rate=0.001)
    for batch in batches:
        ...                      # the backward pass fills each p.grad
        opt.step(params)         # params: a list of Parameter, the same list every step

The update formulas are those of the matching ``torch.optim`` classes (for Adam, Algorithm 1 of
Kingma & Ba, 2015), so the numbers a reader gets here are the ones PyTorch gives.

State. An optimizer keeps, for each parameter (by its position in ``params``), the number of steps
taken and the moment arrays of its formula (same shape and dtype as the parameter).
:meth:`Optimizer.state_dict` returns it as a flat dict of plain numbers and numpy arrays, ready for
``np.savez`` with ``allow_pickle=False``:

- one entry per hyperparameter, e.g. ``"learning_rate": 0.001``, ``"amsgrad": False``;
- ``"num_params"``: the number of parameters the state is for (0 before the first step);
- for parameter ``i``: ``"{i}.step"`` (int) and one array per moment: ``"{i}.v"`` for SGD with
  momentum, ``"{i}.s"`` for RMSProp, ``"{i}.m"``, ``"{i}.v"`` (and ``"{i}.v_max"`` with AMSGrad)
  for Adam and AdamW.

:meth:`Optimizer.load_state_dict` takes that dict back (or the ``np.load`` of its ``.npz``),
restores the hyperparameters and the state, and training resumes bit for bit.

The Adam arithmetic exists once, in a private in-place function that works through the arrays in
chunks of 65536 elements so that its temporaries stay in cache; :class:`Adam`, :class:`AdamW` and
the functional :func:`adam_step` all call it.
"""

import contextvars
import itertools
import math
import numbers
import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from dlbook._validation import as_float_array, check_shape, positive_float, positive_int
from dlbook.parameter import Parameter

__all__ = ["Optimizer", "SGD", "RMSProp", "Adam", "AdamW", "adam_step"]

# Elements per chunk of the in-place updates: 64k float32 elements is 256 KiB per array, so the
# few arrays an update touches at once stay in the L2 cache.
_CHUNK_SIZE = 65536
# Arrays of at least _MIN_CHUNKS_PER_THREAD chunks per thread are shared out between up to
# _MAX_THREADS threads (on an idle 2-core machine, two threads made a 10M-element Adam step about
# 1.6x faster; set _MAX_THREADS = 1 to keep every update on the calling thread).
_MAX_THREADS = 2
_MIN_CHUNKS_PER_THREAD = 4


# ---------------------------------------------------------------------------------------------
# Argument checks specific to optimizers


def _fraction(value, name):
    """Return ``value`` as a float, requiring a real number in [0, 1)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: needs a real number in [0, 1), got {value!r}")
    value = float(value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name}: needs a number in [0, 1), got {value!r}")
    return value


def _boolean(value, name):
    """Return ``value`` as a bool, requiring True or False."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: needs True or False, got {value!r}")
    return bool(value)


def _learning_rate(value, name):
    return positive_float(value, name)


def _non_negative(value, name):
    return positive_float(value, name, allow_zero=True)


def _plain(value):
    """Turn a 0-d array or numpy scalar (as ``np.load`` returns them) into a Python scalar."""
    if isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0:
        return value.item()
    return value


# ---------------------------------------------------------------------------------------------
# The in-place kernels
#
# Each update is written as a function of matching pieces of its arrays plus a scratch buffer,
# and ``_for_each_chunk`` feeds it consecutive chunks of ``_CHUNK_SIZE`` elements. For large
# arrays up to ``_MAX_THREADS`` threads take chunks (numpy releases the GIL inside its loops);
# every element goes through the same arithmetic whichever thread takes it, so results do not
# depend on the threads.


def _thread_count():
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(_MAX_THREADS, available))


_pool = None


def _thread_pool():
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_thread_count() - 1,
                                   thread_name_prefix="dlbook-optim")
    return _pool


def _forget_pool_after_fork():
    # A forked child has none of the parent's threads: make it start its own pool.
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _run_chunks(kernel, flat, dtype, size, next_chunk):
    """Apply ``kernel`` to chunk after chunk, taking their numbers from ``next_chunk()``."""
    scratch = np.empty(min(size, _CHUNK_SIZE), dtype=dtype)
    while (start := next_chunk() * _CHUNK_SIZE) < size:
        stop = min(start + _CHUNK_SIZE, size)
        kernel(*[None if array is None else array[start:stop] for array in flat],
               scratch[: stop - start])


def _for_each_chunk(kernel, arrays, dtype):
    """Call ``kernel(*pieces, scratch)`` on matching pieces of ``arrays``, covering them once.

    ``arrays`` all have one shape; ``None`` entries are passed as ``None``. ``scratch`` is a
    buffer of ``dtype`` with the shape of the pieces. When every array is C-contiguous the pieces
    are consecutive slices of ``_CHUNK_SIZE`` elements of the flattened arrays (views: writing
    into a piece writes into its array); otherwise ``kernel`` gets the whole arrays and a
    full-size scratch buffer. For large arrays, helper threads take chunks too: each thread asks
    for the next chunk not yet taken, so a helper that the machine is too busy to run costs
    nothing but its cancelled start.
    """
    present = [array for array in arrays if array is not None]
    if not all(array.flags.c_contiguous for array in present):
        kernel(*arrays, np.empty(present[0].shape, dtype=dtype))
        return
    flat = [None if array is None else array.reshape(-1) for array in arrays]
    size = present[0].size
    chunks = -(-size // _CHUNK_SIZE)
    threads = min(_thread_count(), chunks // _MIN_CHUNKS_PER_THREAD)
    counter = itertools.count()
    if threads <= 1:
        _run_chunks(kernel, flat, dtype, size, counter.__next__)
        return
    lock = threading.Lock()

    def next_chunk():
        with lock:
            return next(counter)

    pool = _thread_pool()
    helpers = [
        pool.submit(contextvars.copy_context().run, _run_chunks, kernel, flat, dtype, size,
                    next_chunk)
        for _ in range(threads - 1)
    ]
    try:
        _run_chunks(kernel, flat, dtype, size, next_chunk)
    finally:
        for helper in helpers:
            if not helper.cancel():  # it started: wait for the chunk it is on
                helper.result()


def _adam_update(p, g, m, v, v_max, t, learning_rate, beta_1, beta_2, epsilon,
                 weight_decay=0.0, bias_correction=True):
    r"""One Adam (or AdamW, or AMSGrad) step, overwriting ``p``, ``m``, ``v`` and ``v_max``.

    Computes, with :math:`c_1 = 1 - \beta_1^t` and :math:`c_2 = 1 - \beta_2^t` (both 1 without
    bias correction),

    .. math::

        p &\leftarrow p - \eta\lambda p \\
        m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \qquad
        v_{\max} \leftarrow \max(v_{\max}, v) \\
        p &\leftarrow p - \eta \frac{m / c_1}{\sqrt{v / c_2} + \epsilon}
           = p - \frac{\eta \sqrt{c_2}}{c_1} \frac{m}{\sqrt{v} + \epsilon \sqrt{c_2}}

    (with :math:`v_{\max}` in place of :math:`v` in the last line when it is given). The right-hand
    form is the same number up to rounding and costs fewer array passes: the scalars are folded
    first, then each chunk takes twelve in-place passes and one scratch buffer. ``p``, ``m``,
    ``v`` and ``v_max`` must be writeable arrays of one shape; ``g`` has that shape too.
    """
    if bias_correction:
        correction_1 = 1.0 - beta_1**t
        sqrt_correction_2 = math.sqrt(1.0 - beta_2**t)
    else:
        correction_1 = 1.0
        sqrt_correction_2 = 1.0
    step_size = learning_rate * sqrt_correction_2 / correction_1
    epsilon_scaled = epsilon * sqrt_correction_2
    decay = 1.0 - learning_rate * weight_decay

    def update(p_, g_, m_, v_, v_max_, scratch):
        if weight_decay:
            np.multiply(p_, decay, out=p_)
        np.multiply(m_, beta_1, out=m_)
        np.multiply(g_, 1.0 - beta_1, out=scratch)
        np.add(m_, scratch, out=m_)
        np.square(g_, out=scratch)
        np.multiply(scratch, 1.0 - beta_2, out=scratch)
        np.multiply(v_, beta_2, out=v_)
        np.add(v_, scratch, out=v_)
        if v_max_ is not None:
            np.maximum(v_max_, v_, out=v_max_)
            np.sqrt(v_max_, out=scratch)
        else:
            np.sqrt(v_, out=scratch)
        np.add(scratch, epsilon_scaled, out=scratch)
        np.divide(m_, scratch, out=scratch)
        np.multiply(scratch, step_size, out=scratch)
        np.subtract(p_, scratch, out=p_)

    _for_each_chunk(update, (p, g, m, v, v_max), p.dtype)


def _sgd_update(p, g, velocity, learning_rate, momentum, nesterov):
    """One SGD step in place (``velocity`` is None without momentum)."""

    def update(p_, g_, v_, scratch):
        if v_ is None:
            np.multiply(g_, learning_rate, out=scratch)
        else:
            np.multiply(v_, momentum, out=v_)
            np.add(v_, g_, out=v_)
            if nesterov:
                np.multiply(v_, momentum, out=scratch)
                np.add(scratch, g_, out=scratch)
                np.multiply(scratch, learning_rate, out=scratch)
            else:
                np.multiply(v_, learning_rate, out=scratch)
        np.subtract(p_, scratch, out=p_)

    _for_each_chunk(update, (p, g, velocity), p.dtype)


def _rmsprop_update(p, g, s, learning_rate, rho, epsilon):
    """One RMSProp step in place."""

    def update(p_, g_, s_, scratch):
        np.multiply(s_, rho, out=s_)
        np.square(g_, out=scratch)
        np.multiply(scratch, 1.0 - rho, out=scratch)
        np.add(s_, scratch, out=s_)
        np.sqrt(s_, out=scratch)
        np.add(scratch, epsilon, out=scratch)
        np.divide(g_, scratch, out=scratch)
        np.multiply(scratch, learning_rate, out=scratch)
        np.subtract(p_, scratch, out=p_)

    _for_each_chunk(update, (p, g, s), p.dtype)


# ---------------------------------------------------------------------------------------------
# The optimizer classes


class Optimizer:
    """Base class: parameter checks, per-parameter state, ``state_dict`` / ``load_state_dict``.

    A subclass lists its hyperparameters and their checks in ``_checks`` (name -> function
    ``check(value, name) -> value``), names its per-parameter arrays in ``_state_names`` and
    implements ``_update``. The state of parameter ``i`` is a dict ``{"step": int, name: array}``.
    """

    _checks = {}

    def __init__(self, **hyperparameters):
        for name, value in self._validated(hyperparameters).items():
            setattr(self, name, value)
        self._state = []

    @classmethod
    def _validated(cls, hyperparameters):
        values = {name: check(hyperparameters[name], name) for name, check in cls._checks.items()}
        cls._check_combination(values)
        return values

    @classmethod
    def _check_combination(cls, values):
        """Raise if hyperparameters that are each valid do not go together."""

    @classmethod
    def _state_names(cls, hyperparameters):
        """The names of the per-parameter arrays these hyperparameters need."""
        return ()

    def _update(self, p, g, state, hyperparameters):
        """Update ``p`` in place from ``g``; ``state["step"]`` already counts this step."""
        raise NotImplementedError

    def _hyperparameters(self):
        # Checked again on every step, so that a hyperparameter changed by assignment
        # (``opt.learning_rate = 1e-4``) is validated before it is used.
        hyperparameters = self._validated({name: getattr(self, name) for name in self._checks})
        names = self._state_names(hyperparameters)
        for state in self._state:
            missing = [name for name in names if name not in state]
            if missing:
                settings = ", ".join(f"{name}={value!r}" for name, value in hyperparameters.items())
                raise ValueError(
                    f"the state made at the first step has no {missing} arrays, which {settings} "
                    f"needs: amsgrad, or momentum from 0, cannot be changed after the first step; "
                    f"make a new optimizer instead"
                )
        return hyperparameters

    def step(self, params):
        """Update every parameter in place from its gradient.

        Parameters
        ----------
        params : list of Parameter
            The parameters to update, the same list in the same order on every call: the state
            of ``params[i]`` is kept under position ``i``. Each ``p.grad`` must have the shape of
            ``p.data``; ``p.data`` keeps its dtype (float32 stays float32).

        Raises
        ------
        TypeError
            If ``params`` is not a list or tuple of :class:`~dlbook.Parameter`.
        ValueError
            If a gradient's shape differs from its parameter's, or ``params`` does not match the
            parameters the optimizer holds state for. Nothing is updated then.
        """
        hyperparameters = self._hyperparameters()
        names = self._state_names(hyperparameters)
        params = self._checked_params(params)
        if not self._state:
            self._state = [
                {"step": 0, **{name: np.zeros(p.data.shape, p.data.dtype) for name in names}}
                for p in params
            ]
        for p, state in zip(params, self._state):
            state["step"] += 1
            for name in names:
                if state[name].dtype != p.data.dtype:
                    state[name] = state[name].astype(p.data.dtype)
            self._update(p.data, p.grad, state, hyperparameters)

    def _checked_params(self, params):
        if not isinstance(params, (list, tuple)):
            raise TypeError(f"params: needs a list of Parameter, got {type(params).__name__}")
        for index, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"params[{index}]: needs a Parameter, got {type(p).__name__}"
                )
            data, grad = p.data, p.grad
            if not isinstance(data, np.ndarray) or data.dtype.kind != "f":
                raise TypeError(
                    f"params[{index}].data: needs a floating ndarray, got "
                    f"{getattr(data, 'dtype', type(data).__name__)}"
                )
            if not data.flags.writeable:
                raise ValueError(f"params[{index}].data: is read-only; it is updated in place")
            if not isinstance(grad, np.ndarray) or grad.dtype.kind not in "fiu":
                raise TypeError(
                    f"params[{index}].grad: needs a real ndarray, got "
                    f"{getattr(grad, 'dtype', type(grad).__name__)}"
                )
            if grad.shape != data.shape:
                raise ValueError(
                    f"params[{index}].grad: needs the shape of params[{index}].data, "
                    f"{data.shape}, got shape {grad.shape}"
                )
        if self._state:
            if len(params) != len(self._state):
                raise ValueError(
                    f"params: the optimizer holds state for {len(self._state)} parameters, got "
                    f"{len(params)}; pass the same list of parameters on every step"
                )
            for index, (p, state) in enumerate(zip(params, self._state)):
                for name, array in state.items():
                    if name != "step" and array.shape != p.data.shape:
                        raise ValueError(
                            f"params[{index}]: has shape {p.data.shape} but the optimizer's state "
                            f"for position {index} has shape {array.shape}; pass the same list "
                            f"of parameters, in the same order, on every step"
                        )
        return list(params)

    def state_dict(self):
        """The hyperparameters and per-parameter state, as a flat dict of numbers and arrays.

        Returns
        -------
        dict
            ``{hyperparameter: float or bool, "num_params": int, "{i}.step": int,
            "{i}.<moment>": ndarray}`` (see the module docstring); the arrays are copies.
            ``np.savez(path, **opt.state_dict())`` stores it without pickling.
        """
        hyperparameters = self._hyperparameters()
        names = self._state_names(hyperparameters)
        state_dict = dict(hyperparameters)
        state_dict["num_params"] = len(self._state)
        for index, state in enumerate(self._state):
            state_dict[f"{index}.step"] = state["step"]
            for name in names:
                state_dict[f"{index}.{name}"] = state[name].copy()
        return state_dict

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and state from :meth:`state_dict` (or its ``np.load``).

        Parameters
        ----------
        state_dict : Mapping
            As returned by :meth:`state_dict` of the same optimizer class; 0-d arrays are
            accepted for the numbers. Arrays are copied.

        Raises
        ------
        TypeError, ValueError
            If a key is missing or unexpected, or a value is invalid; the optimizer is left
            unchanged then.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"state_dict: needs a dict as returned by state_dict(), got "
                f"{type(state_dict).__name__}"
            )
        cls_name = type(self).__name__
        missing = [name for name in self._checks if name not in state_dict]
        if "num_params" not in state_dict:
            missing.append("num_params")
        if missing:
            raise ValueError(f"state_dict: missing key(s) {missing} for {cls_name}")
        hyperparameters = self._validated(
            {name: _plain(state_dict[name]) for name in self._checks}
        )
        num_params = _plain(state_dict["num_params"])
        if not (isinstance(num_params, int) and num_params == 0):
            num_params = positive_int(num_params, "state_dict['num_params']")
        names = self._state_names(hyperparameters)
        expected = {*self._checks, "num_params"}
        for index in range(num_params):
            expected.update(f"{index}.{name}" for name in ("step", *names))
        unexpected = sorted(set(state_dict) - expected)
        if unexpected:
            raise ValueError(f"state_dict: unexpected key(s) {unexpected[:5]} for {cls_name}")
        missing = sorted(expected - set(state_dict))
        if missing:
            raise ValueError(f"state_dict: missing key(s) {missing[:5]} for {cls_name}")
        states = []
        for index in range(num_params):
            key = f"{index}.step"
            state = {"step": positive_int(_plain(state_dict[key]), f"state_dict[{key!r}]")}
            for name in names:
                key = f"{index}.{name}"
                array = np.asarray(state_dict[key])
                if array.dtype.kind != "f":
                    raise TypeError(
                        f"state_dict[{key!r}]: needs a floating array, got dtype {array.dtype}"
                    )
                first = state_dict[f"{index}.{names[0]}"]
                check_shape(array, np.shape(first), f"state_dict[{key!r}]")
                state[name] = np.array(array, order="C", copy=True)
            states.append(state)
        for name, value in hyperparameters.items():
            setattr(self, name, value)
        self._state = states

    def __repr__(self):
        arguments = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._checks)
        return f"{type(self).__name__}({arguments})"


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional (Nesterov) momentum.

    For each parameter :math:`p` with gradient :math:`g`, learning rate :math:`\eta` and momentum
    :math:`\mu`, starting from :math:`v = 0`:

    .. math::

        v &\leftarrow \mu v + g \\
        p &\leftarrow p - \eta v \qquad\text{or, with Nesterov,}\qquad
        p \leftarrow p - \eta (g + \mu v)

    and :math:`p \leftarrow p - \eta g` when :math:`\mu = 0`. This is ``torch.optim.SGD``
    (the momentum form of Sutskever et al., 2013).

    Parameters
    ----------
    learning_rate : float
        :math:`\eta > 0`.
    momentum : float
        :math:`\mu \in [0, 1)`; 0 is plain SGD and keeps no state but the step count.
    nesterov : bool
        Use Nesterov momentum; needs ``momentum > 0``.

    Notes
    -----
    State per parameter: ``step`` and, with momentum, ``v`` (shape and dtype of the parameter).

    References
    ----------
    H. Robbins and S. Monro, "A stochastic approximation method", *Ann. Math. Statist.* 22 (1951).
    B. T. Polyak, "Some methods of speeding up the convergence of iteration methods",
    *USSR Comput. Math. Math. Phys.* 4 (1964). Y. Nesterov, "A method for solving the convex
    programming problem with convergence rate O(1/k^2)", *Soviet Math. Dokl.* 27 (1983).
    I. Sutskever, J. Martens, G. Dahl and G. Hinton, "On the importance of initialization and
    momentum in deep learning", ICML 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from dlbook import Parameter
    >>> w = Parameter(np.array([1.0, 2.0]))
    >>> w.grad[...] = [0.5, -1.0]
    >>> SGD(learning_rate=0.1).step([w])
    >>> w.data
    array([0.95, 2.1 ])
    """

    _checks = {"learning_rate": _learning_rate, "momentum": _fraction, "nesterov": _boolean}

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate=learning_rate, momentum=momentum, nesterov=nesterov)

    @classmethod
    def _check_combination(cls, values):
        if values["nesterov"] and values["momentum"] == 0:
            raise ValueError("nesterov: Nesterov momentum needs momentum > 0, got momentum=0.0")

    @classmethod
    def _state_names(cls, hyperparameters):
        return ("v",) if hyperparameters["momentum"] else ()

    def _update(self, p, g, state, hyperparameters):
        _sgd_update(p, g, state.get("v") if hyperparameters["momentum"] else None,
                    hyperparameters["learning_rate"], hyperparameters["momentum"],
                    hyperparameters["nesterov"])


class RMSProp(Optimizer):
    r"""RMSProp: divide the step by a running root mean square of the gradient.

    For each parameter :math:`p` with gradient :math:`g`, starting from :math:`s = 0`:

    .. math::

        s &\leftarrow \rho s + (1 - \rho) g^2 \\
        p &\leftarrow p - \eta \frac{g}{\sqrt{s} + \epsilon}

    (elementwise), as ``torch.optim.RMSprop`` (no momentum, not centred).

    Parameters
    ----------
    learning_rate : float
        :math:`\eta > 0`.
    rho : float
        Decay of the running average, :math:`\rho \in [0, 1)`.
    epsilon : float
        :math:`\epsilon \ge 0`, added to the root (not inside it).

    Notes
    -----
    State per parameter: ``step`` and ``s`` (shape and dtype of the parameter).

    References
    ----------
    T. Tieleman and G. Hinton, "Lecture 6.5 - RMSProp: divide the gradient by a running average
    of its recent magnitude", COURSERA: Neural Networks for Machine Learning (2012).

    Examples
    --------
    >>> import numpy as np
    >>> from dlbook import Parameter
    >>> w = Parameter(np.array([1.0, 2.0]))
    >>> w.grad[...] = [0.5, -1.0]
    >>> RMSProp(learning_rate=0.01).step([w])
    >>> np.round(w.data, 6)   # the first step is lr / sqrt(1 - rho) = 0.0316 times sign(g)
    array([0.968377, 2.031623])
    """

    _checks = {"learning_rate": _learning_rate, "rho": _fraction, "epsilon": _non_negative}

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        super().__init__(learning_rate=learning_rate, rho=rho, epsilon=epsilon)

    @classmethod
    def _state_names(cls, hyperparameters):
        return ("s",)

    def _update(self, p, g, state, hyperparameters):
        _rmsprop_update(p, g, state["s"], hyperparameters["learning_rate"],
                        hyperparameters["rho"], hyperparameters["epsilon"])


class Adam(Optimizer):
    r"""Adam: momentum and a per-weight step size from bias-corrected moment estimates.

    Algorithm 1 of Kingma & Ba (2015), exactly. At step :math:`t = 1, 2, \ldots`, for each
    parameter :math:`p` with gradient :math:`g`, starting from :math:`m = v = 0`:

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1) g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
        \hat m &= m / (1 - \beta_1^t), \qquad \hat v = v / (1 - \beta_2^t) \\
        p &\leftarrow p - \eta \frac{\hat m}{\sqrt{\hat v} + \epsilon}

    (elementwise). :math:`\epsilon` is added to :math:`\sqrt{\hat v}`, not inside the root. With
    ``amsgrad=True`` (Reddi et al., 2018) the optimizer also keeps
    :math:`v_{\max} \leftarrow \max(v_{\max}, v)` and uses :math:`v_{\max} / (1 - \beta_2^t)`
    in place of :math:`\hat v`, so the running second moment in the denominator never decreases.
    This is ``torch.optim.Adam``.

    Because of the bias correction the first step is :math:`\eta\, g / (|g| + \epsilon)`, about
    :math:`\eta\,\mathrm{sign}(g)` whatever the scale of the gradient.

    Parameters
    ----------
    learning_rate : float
        :math:`\eta > 0`.
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates, each in [0, 1).
    epsilon : float
        :math:`\epsilon \ge 0`.
    amsgrad : bool
        Use the AMSGrad variant.

    Notes
    -----
    State per parameter: ``step`` (:math:`t`), ``m``, ``v`` and, with AMSGrad, ``v_max`` (shape
    and dtype of the parameter). The arithmetic is that of :func:`adam_step`, done in place.

    References
    ----------
    D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015,
    arXiv:1412.6980. S. J. Reddi, S. Kale and S. Kumar, "On the Convergence of Adam and Beyond",
    ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from dlbook import Parameter
    >>> w = Parameter(np.array([1.0, 2.0]))
    >>> w.grad[...] = [0.5, -1000.0]
    >>> opt = Adam(learning_rate=0.1)
    >>> opt.step([w])
    >>> np.round(w.data, 6)   # both weights moved by lr, whatever |g|
    array([0.9, 2.1])
    """

    _checks = {
        "learning_rate": _learning_rate,
        "beta_1": _fraction,
        "beta_2": _fraction,
        "epsilon": _non_negative,
        "amsgrad": _boolean,
    }

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 amsgrad=False):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad)

    @classmethod
    def _state_names(cls, hyperparameters):
        return ("m", "v", "v_max") if hyperparameters.get("amsgrad") else ("m", "v")

    def _update(self, p, g, state, hyperparameters):
        _adam_update(
            p, g, state["m"], state["v"],
            state["v_max"] if hyperparameters.get("amsgrad") else None,
            state["step"],
            hyperparameters["learning_rate"], hyperparameters["beta_1"],
            hyperparameters["beta_2"], hyperparameters["epsilon"],
            weight_decay=hyperparameters.get("weight_decay", 0.0),
        )


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay.

    At step :math:`t`, for each parameter :math:`p` with gradient :math:`g`, first shrink the
    weights, then take the Adam step of :class:`Adam`:

    .. math::

        p &\leftarrow p - \eta \lambda p \\
        m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
        p &\leftarrow p - \eta \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}

    The decay :math:`\lambda` does not pass through :math:`m` and :math:`v` (as an L2 term added
    to :math:`g` would), which is the point of Loshchilov & Hutter (2019). As in
    ``torch.optim.AdamW``, the decay is multiplied by the learning rate :math:`\eta`.

    Parameters
    ----------
    learning_rate : float
        :math:`\eta > 0`.
    weight_decay : float
        :math:`\lambda \ge 0`; 0 gives exactly :class:`Adam`.
    beta_1, beta_2 : float
        Decay rates of the moment estimates, each in [0, 1).
    epsilon : float
        :math:`\epsilon \ge 0`.

    Notes
    -----
    State per parameter: ``step``, ``m`` and ``v``, as for :class:`Adam`.

    References
    ----------
    I. Loshchilov and F. Hutter, "Decoupled Weight Decay Regularization", ICLR 2019,
    arXiv:1711.05101.

    Examples
    --------
    >>> import numpy as np
    >>> from dlbook import Parameter
    >>> w = Parameter(np.array([1.0, 2.0]))
    >>> w.grad[...] = [0.5, -1.0]
    >>> AdamW(learning_rate=0.1, weight_decay=0.5).step([w])
    >>> np.round(w.data, 6)   # decay 1 - 0.1 * 0.5 = 0.95, then the Adam step of 0.1
    array([0.85, 2.  ])
    """

    _checks = {
        "learning_rate": _learning_rate,
        "weight_decay": _non_negative,
        "beta_1": _fraction,
        "beta_2": _fraction,
        "epsilon": _non_negative,
    }

    def __init__(self, learning_rate=0.001, weight_decay=0.01, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8):
        Optimizer.__init__(self, learning_rate=learning_rate, weight_decay=weight_decay,
                           beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)


# ---------------------------------------------------------------------------------------------
# The functional form


def adam_step(p, g, m, v, t, *, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
              weight_decay=0.0, bias_correction=True, v_max=None):
    r"""One Adam step as a pure function: return the new parameter and moments.

    The arithmetic of :class:`Adam` (and of :class:`AdamW` with ``weight_decay``), on copies:

    .. math::

        p &\leftarrow p - \eta \lambda p \\
        m &\leftarrow \beta_1 m + (1 - \beta_1) g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
        p &\leftarrow p - \eta \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}

    With ``bias_correction=False`` the divisions by :math:`1 - \beta^t` are left out (the
    ablation: the first step is then :math:`(1 - \beta_1) / \sqrt{1 - \beta_2}` times the
    corrected one, about 3.16 with the default betas). With ``v_max`` given, AMSGrad: :math:`v_{\max} \leftarrow \max(v_{\max}, v)` is
    used in place of :math:`v` in the last line.

    Parameters
    ----------
    p : array_like, shape S, floating
        The parameter. The results have its dtype (integers become float64).
    g : array_like, shape S
        The gradient at ``p``.
    m, v : array_like, shape S
        The first and second moment estimates after step ``t - 1`` (zeros before step 1).
    t : int
        The number of this step, 1 for the first.
    learning_rate, beta_1, beta_2, epsilon, weight_decay : float
        :math:`\eta > 0`; :math:`\beta_1, \beta_2 \in [0, 1)`; :math:`\epsilon \ge 0`;
        :math:`\lambda \ge 0` (decoupled weight decay, 0 for Adam).
    bias_correction : bool
        Divide by :math:`1 - \beta_1^t` and :math:`1 - \beta_2^t` (Kingma & Ba) or not.
    v_max : array_like, shape S, optional
        The running maximum of ``v`` for AMSGrad (zeros before step 1).

    Returns
    -------
    p, m, v : ndarray, shape S
        New arrays; the inputs are not modified.
    v_max : ndarray, shape S
        Only when ``v_max`` was given: ``(p, m, v, v_max)`` is returned.

    Examples
    --------
    >>> import numpy as np
    >>> p, g = np.array([1.0, 2.0]), np.array([0.5, -4.0])
    >>> m, v = np.zeros(2), np.zeros(2)
    >>> p1, m1, v1 = adam_step(p, g, m, v, t=1, learning_rate=0.1)
    >>> np.round(p1, 6), m1, v1
    (array([0.9, 2.1]), array([ 0.05, -0.4 ]), array([0.00025, 0.016  ]))
    >>> p1, _, _ = adam_step(p, g, m, v, t=1, learning_rate=0.1, bias_correction=False)
    >>> np.round(p1, 6)   # (1 - 0.9) / sqrt(1 - 0.999) = 3.16 times the step above
    array([0.683772, 2.316228])
    """
    p = as_float_array(p, "p")
    arrays = {"g": g, "m": m, "v": v}
    if v_max is not None:
        arrays["v_max"] = v_max
    arrays = {name: as_float_array(array, name) for name, array in arrays.items()}
    for name, array in arrays.items():
        check_shape(array, p.shape, name)
    t = positive_int(t, "t")
    learning_rate = positive_float(learning_rate, "learning_rate")
    beta_1 = _fraction(beta_1, "beta_1")
    beta_2 = _fraction(beta_2, "beta_2")
    epsilon = positive_float(epsilon, "epsilon", allow_zero=True)
    weight_decay = positive_float(weight_decay, "weight_decay", allow_zero=True)
    bias_correction = _boolean(bias_correction, "bias_correction")

    p = np.array(p, order="C", copy=True)
    m, v = (np.array(arrays[name], dtype=p.dtype, order="C", copy=True) for name in ("m", "v"))
    new_v_max = None
    if v_max is not None:
        new_v_max = np.array(arrays["v_max"], dtype=p.dtype, order="C", copy=True)
    _adam_update(p, arrays["g"], m, v, new_v_max, t, learning_rate, beta_1, beta_2, epsilon,
                 weight_decay=weight_decay, bias_correction=bias_correction)
    if new_v_max is None:
        return p, m, v
    return p, m, v, new_v_max
