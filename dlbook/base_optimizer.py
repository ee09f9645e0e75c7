"""The base class of the optimizers: hyperparameter checks, per-parameter state, state_dict.

:mod:`dlbook.optim` holds the update rules; this module holds the bookkeeping they share. An
optimizer keeps, for each parameter (by its position in ``params``), the number of steps taken
and the moment arrays of its formula (same shape and dtype as the parameter).
:meth:`Optimizer.state_dict` returns it as a flat dict of plain numbers and numpy arrays, ready
for ``np.savez`` with ``allow_pickle=False``:

- one entry per hyperparameter, e.g. ``"learning_rate": 0.001``, ``"amsgrad": False``;
- ``"num_params"``: the number of parameters the state is for (0 before the first step);
- for parameter ``i``: ``"{i}.step"`` (int) and one array per moment: ``"{i}.v"`` for SGD with
  momentum, ``"{i}.s"`` for RMSProp (and ``"{i}.a"`` centred, ``"{i}.buf"`` with momentum),
  ``"{i}.m"``, ``"{i}.v"`` (and ``"{i}.v_max"`` with AMSGrad)
  for Adam and AdamW.

:meth:`Optimizer.load_state_dict` takes that dict back (or the ``np.load`` of its ``.npz``),
checks all of it (keys, types, ranges, shapes, finite moments, second moments >= 0) before
changing anything, restores the hyperparameters and the state, and training resumes bit for bit.

Non-finite gradients follow IEEE arithmetic, as in ``torch.optim``: a NaN or infinite element of
a gradient makes the same elements of the moments and of the parameter NaN or infinite (an
infinite gradient gives NaN in Adam, as inf / inf), and the other elements step as usual. A step
is never skipped silently; a state made non-finite so cannot be loaded back.

The updates are elementwise and done in place with ``out=``; :func:`chunks` hands them their
arrays in pieces of 1 MiB. On a large parameter a whole-array temporary would go out to memory
and back for every term of a formula, while a piece's few temporaries stay in the caches (a
10M-element Adam step takes half the time). Elementwise arithmetic gives the same numbers
whatever the pieces.
"""

from collections.abc import Mapping

import numpy as np

from dlbook._validation import check_finite, check_shape, non_negative_int, positive_int
from dlbook.parameter import Parameter

__all__ = ["CHUNK_BYTES", "Optimizer", "chunks"]

# Bytes per piece of each array: 1 MiB, 262144 float32 or 131072 float64 elements. Smaller
# pieces cost more in numpy's per-call overhead than they gain in cache hits; on a 10M-element
# float32 Adam step, pieces of 64k, 128k and 256k elements took 1.16, 1.09 and 1.00 times
# the time, and whole arrays twice as long (AMD EPYC, 1 MiB of L2 per core).
CHUNK_BYTES = 2**20


def _plain(value):
    """Turn a 0-d array or numpy scalar (as ``np.load`` returns them) into a Python scalar."""
    if isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0:
        return value.item()
    return value


def chunks(*arrays):
    """Yield matching pieces of ``arrays``, and a scratch buffer, covering the arrays once.

    The arrays have one shape; ``None`` entries are yielded as ``None``. The scratch buffer has
    the dtype of the first array and the shape of the pieces. When every array is C-contiguous
    the pieces are consecutive slices of the flattened arrays, ``CHUNK_BYTES`` of the first
    array each, and views: writing into a piece writes into its array. Otherwise there is one
    piece per array, the whole array, with a full-size scratch buffer.

    Examples
    --------
    >>> p, g = np.ones(5), np.arange(5.0)
    >>> for p_, g_, scratch in chunks(p, g):   # p <- p - 2 g, in place
    ...     _ = np.multiply(g_, 2.0, out=scratch)
    ...     _ = np.subtract(p_, scratch, out=p_)
    >>> p
    array([ 1., -1., -3., -5., -7.])
    """
    present = [array for array in arrays if array is not None]
    if not all(array.flags.c_contiguous for array in present):
        yield (*arrays, np.empty(present[0].shape, dtype=present[0].dtype))
        return
    flat = [None if array is None else array.reshape(-1) for array in arrays]
    size, piece = present[0].size, max(1, CHUNK_BYTES // present[0].itemsize)
    scratch = np.empty(min(size, piece), dtype=present[0].dtype)
    for start in range(0, size, piece):
        stop = min(start + piece, size)
        yield (*(None if array is None else array[start:stop] for array in flat),
               scratch[: stop - start])


class Optimizer:
    """Base class: parameter checks, per-parameter state, ``state_dict`` / ``load_state_dict``.

    A subclass lists its hyperparameters and their checks in ``_checks`` (name -> function
    ``check(value, name) -> value``), names its per-parameter arrays in ``_state_names`` and
    implements ``_update``; ``_non_negative_state`` names the arrays that are means of squares;
    ``_added_later`` maps a hyperparameter added after the class first shipped to the value that
    reproduces the old behaviour, which :meth:`load_state_dict` uses when an older dict lacks it.
    The state of parameter ``i`` is a dict ``{"step": int, name: array}``.
    """

    _checks = {}
    _non_negative_state = ()
    _added_later = {}

    def __init__(self, **hyperparameters):
        if type(self) is Optimizer:
            raise TypeError("Optimizer: is the base class of SGD, RMSProp, Adam and AdamW, which "
                            "define the update; make one of those")
        # Every hyperparameter that _checks names comes from the keywords or, when a subclass
        # adds one (AdamW's weight_decay), from the attribute it set before calling its parent's
        # __init__; keywords _checks does not name are left out (AdamW has no amsgrad).
        given = {name: hyperparameters[name] if name in hyperparameters else getattr(self, name)
                 for name in self._checks}
        for name, value in self._validated(given).items():
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
                    f"needs: amsgrad, centered, or momentum from 0, cannot be changed after the "
                    f"first step; make a new optimizer instead"
                )
        return hyperparameters

    def step(self, params):
        """Update every parameter in place from its gradient.

        Parameters
        ----------
        params : list of Parameter
            The parameters to update, the same list in the same order on every call: the state
            of ``params[i]`` is kept under position ``i``, and each parameter (each ``p.data``
            array) appears once. Each ``p.grad`` must have the shape of ``p.data``; ``p.data``
            keeps its dtype (float32 stays float32). A NaN or infinite gradient element is not
            skipped: it gives NaN or infinity in that element of ``p.data`` (IEEE arithmetic).

        Raises
        ------
        TypeError
            If ``params`` is not a list or tuple of :class:`~dlbook.Parameter`.
        ValueError
            If a gradient's shape differs from its parameter's, a parameter is listed twice, or
            ``params`` does not match the parameters the optimizer holds state for. Nothing is
            updated then.
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
        first_of = {}  # id of a Parameter or of its data -> the first index holding it
        for index, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"params[{index}]: needs a Parameter, got {type(p).__name__}"
                )
            for key, what in ((id(p), "Parameter"), (id(p.data), "data array")):
                if key in first_of:
                    raise ValueError(
                        f"params[{index}]: holds the same {what} as params[{first_of[key]}], "
                        f"which would be stepped twice; list each parameter once"
                    )
                first_of[key] = index
            data, grad = p.data, p.grad
            if not isinstance(data, np.ndarray) or data.dtype.kind != "f":
                raise TypeError(
                    f"params[{index}].data: needs a floating ndarray, got "
                    f"{getattr(data, 'dtype', type(data).__name__)}"
                )
            if not data.flags.writeable:
                raise ValueError(f"params[{index}].data: is read-only; it is updated in place")
            kind = grad.dtype.kind if isinstance(grad, np.ndarray) else None
            if kind not in ("i", "u", "f") or kind == "f" and grad.dtype.itemsize not in (4, 8):
                raise TypeError(
                    f"params[{index}].grad: needs a float32, float64 or integer ndarray, got "
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
            If a key is missing or unexpected, or a value is invalid: a hyperparameter out of
            range, a step count that is not a positive int, a moment that is not a float32 or
            float64 array of finite values (and >= 0 for a second moment), or moments of one
            parameter of different shapes. Everything is checked first: the optimizer is left
            unchanged then.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"state_dict: needs a dict as returned by state_dict(), got "
                f"{type(state_dict).__name__}"
            )
        cls_name = type(self).__name__
        state_dict = {**self._added_later, **state_dict}  # an older dict keeps its meaning
        missing = [name for name in self._checks if name not in state_dict]
        if "num_params" not in state_dict:
            missing.append("num_params")
        if missing:
            raise ValueError(f"state_dict: missing key(s) {missing} for {cls_name}")
        hyperparameters = self._validated(
            {name: _plain(state_dict[name]) for name in self._checks}
        )
        num_params = non_negative_int(_plain(state_dict["num_params"]), "state_dict['num_params']")
        if num_params > len(state_dict):
            raise ValueError(
                f"state_dict['num_params']: declares {num_params} parameters but the dict has "
                f"only {len(state_dict)} keys"
            )
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
                if array.dtype not in (np.float32, np.float64):
                    raise TypeError(
                        f"state_dict[{key!r}]: needs a float32 or float64 array, got dtype "
                        f"{array.dtype}"
                    )
                first = state_dict[f"{index}.{names[0]}"]
                check_shape(array, np.shape(first), f"state_dict[{key!r}]")
                check_finite(array, f"state_dict[{key!r}]", name in self._non_negative_state)
                state[name] = np.array(array, order="C", copy=True)
            states.append(state)
        for name, value in hyperparameters.items():
            setattr(self, name, value)
        self._state = states

    def __repr__(self):
        arguments = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._checks)
        return f"{type(self).__name__}({arguments})"
