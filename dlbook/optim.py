r"""Optimizers that update parameters in place: SGD, RMSProp, Adam (with AMSGrad) and AdamW.

Every optimizer takes its hyperparameters only (Keras style) and is used as::

    opt = Adam(learning_rate=0.001)
    for batch in batches:
        ...                      # the backward pass fills each p.grad
        opt.step(params)         # params: a list of Parameter, the same list every step

The update formulas are those of the matching ``torch.optim`` classes (for Adam, Algorithm 1 of
Kingma & Ba, 2015), so the numbers a reader gets here are the ones PyTorch gives. This module
holds the update rules (RMSProp's, with its centred and momentum forms, in :mod:`dlbook.rmsprop`,
imported here): each ``_update`` is its docstring's formula, one numpy call per term, in
place with ``out=`` on the cache-sized pieces of :func:`~dlbook.base_optimizer.chunks`. The
bookkeeping they share (checks, per-parameter state, ``state_dict``, and what NaN and infinite
gradients do: IEEE arithmetic, as in PyTorch) is :class:`~dlbook.base_optimizer.Optimizer`.

``epsilon`` must be > 0 (with 0, an element whose gradient has always been 0 steps by 0 / 0);
one below the smallest positive number of the parameter's dtype acts as that number.
"""

import math

import numpy as np

from dlbook._validation import (as_float_array, boolean, check_finite, check_shape, fraction,
                                non_negative_float, positive_float, positive_int)
from dlbook.base_optimizer import Optimizer, chunks
from dlbook.rmsprop import RMSProp

__all__ = ["Optimizer", "SGD", "RMSProp", "Adam", "AdamW", "adam_step"]


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
    >>> from dlbook import Parameter
    >>> w = Parameter(np.array([1.0, 2.0]))
    >>> w.grad[...] = [0.5, -1.0]
    >>> SGD(learning_rate=0.1).step([w])
    >>> w.data
    array([0.95, 2.1 ])
    """

    _checks = {"learning_rate": positive_float, "momentum": fraction, "nesterov": boolean}

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
        lr, mu = hyperparameters["learning_rate"], hyperparameters["momentum"]
        velocity = state["v"] if mu else None
        for p_, g_, v_, step in chunks(p, g, velocity):
            if v_ is None:
                np.multiply(g_, lr, out=step)  # step = lr g
            else:
                np.multiply(v_, mu, out=v_)  # v <- mu v + g
                np.add(v_, g_, out=v_)
                if hyperparameters["nesterov"]:
                    np.multiply(v_, mu, out=step)  # step = lr (g + mu v)
                    np.add(step, g_, out=step)
                    np.multiply(step, lr, out=step)
                else:
                    np.multiply(v_, lr, out=step)  # step = lr v
            np.subtract(p_, step, out=p_)  # p <- p - step


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
        :math:`\epsilon > 0`.
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
    >>> import dlbook
    >>> w = dlbook.Parameter(np.array([1.0, 2.0]))
    >>> w.grad[...] = [0.5, -1000.0]
    >>> Adam(learning_rate=0.1).step([w])
    >>> np.round(w.data, 6)   # both weights moved by lr, whatever |g|
    array([0.9, 2.1])
    """

    _checks = {"learning_rate": positive_float, "beta_1": fraction, "beta_2": fraction,
               "epsilon": positive_float, "amsgrad": boolean}
    _non_negative_state = ("v", "v_max")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 amsgrad=False):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad)

    @classmethod
    def _state_names(cls, hyperparameters):
        return ("m", "v", "v_max") if hyperparameters.get("amsgrad") else ("m", "v")

    def _update(self, p, g, state, hyperparameters):
        v_max = state["v_max"] if hyperparameters.get("amsgrad") else None
        self._adam(p, g, state["m"], state["v"], v_max, state["step"],
                   *(hyperparameters[name]
                     for name in ("learning_rate", "beta_1", "beta_2", "epsilon")))

    @staticmethod
    def _adam(p, g, m, v, v_max, t, lr, beta_1, beta_2, eps, bias_correction=True):
        r"""The Adam step in place (``v_max`` None without AMSGrad), with the scalars folded:
        :math:`\eta \frac{m / c_1}{\sqrt{v / c_2} + \epsilon} = \frac{\eta \sqrt{c_2}}{c_1}
        \frac{m}{\sqrt{v} + \epsilon \sqrt{c_2}}` with :math:`c_i = 1 - \beta_i^t` (1 without
        bias correction): the same number up to rounding, in fewer array passes."""
        c_1 = 1.0 - beta_1**t if bias_correction else 1.0
        sqrt_c_2 = math.sqrt(1.0 - beta_2**t) if bias_correction else 1.0
        step_size = lr * sqrt_c_2 / c_1
        eps_hat = max(eps * sqrt_c_2, np.finfo(p.dtype).smallest_subnormal)  # > 0 in p's dtype
        for p_, g_, m_, v_, v_max_, step in chunks(p, g, m, v, v_max):
            np.multiply(m_, beta_1, out=m_)  # m <- beta_1 m + (1 - beta_1) g
            np.multiply(g_, 1.0 - beta_1, out=step)
            np.add(m_, step, out=m_)
            np.square(g_, out=step)  # v <- beta_2 v + (1 - beta_2) g^2
            np.multiply(step, 1.0 - beta_2, out=step)
            np.multiply(v_, beta_2, out=v_)
            np.add(v_, step, out=v_)
            if v_max_ is not None:
                np.maximum(v_max_, v_, out=v_max_)  # v_max <- max(v_max, v)
            np.sqrt(v_ if v_max_ is None else v_max_, out=step)  # step = eta m_hat / (...)
            np.add(step, eps_hat, out=step)
            np.divide(m_, step, out=step)
            np.multiply(step, step_size, out=step)
            np.subtract(p_, step, out=p_)  # p <- p - step


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay.

    At step :math:`t`, for each parameter :math:`p`, first shrink the weights, then take the
    Adam step of :class:`Adam` (same parameters and state, without AMSGrad):

    .. math::

        p &\leftarrow p - \eta \lambda p \\
        m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
        p &\leftarrow p - \eta \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}

    The decay :math:`\lambda \ge 0` (``weight_decay``; 0 gives exactly :class:`Adam`) does not
    pass through :math:`m` and :math:`v` (as an L2 term added to :math:`g` would), which is the
    point of Loshchilov & Hutter (2019). As in ``torch.optim.AdamW``, it is multiplied by the
    learning rate :math:`\eta`.

    References
    ----------
    I. Loshchilov and F. Hutter, "Decoupled Weight Decay Regularization", ICLR 2019,
    arXiv:1711.05101.

    Examples
    --------
    >>> from dlbook import Parameter
    >>> w, w_adam = Parameter(np.array([1.0, 2.0])), Parameter(np.array([1.0, 2.0]))
    >>> w.grad[...] = w_adam.grad[...] = [0.5, -1.0]
    >>> AdamW(learning_rate=0.1, weight_decay=0.5).step([w])
    >>> Adam(learning_rate=0.1).step([w_adam])
    >>> np.round(w.data - w_adam.data, 6)   # the decoupled decay: -lr * wd * p
    array([-0.05, -0.1 ])
    """

    _checks = {"learning_rate": positive_float, "weight_decay": non_negative_float,
               **{name: Adam._checks[name] for name in ("beta_1", "beta_2", "epsilon")}}

    def __init__(self, learning_rate=0.001, weight_decay=0.01, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8):
        self.weight_decay = weight_decay  # checked, with the others, by the base class
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon)

    def _update(self, p, g, state, hyperparameters):
        decay = hyperparameters["learning_rate"] * hyperparameters["weight_decay"]
        if decay:
            np.multiply(p, 1.0 - decay, out=p)  # p <- p - eta lambda p, as (1 - eta lambda) p
        super()._update(p, g, state, hyperparameters)


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
    corrected one, about 3.16 with the default betas). With ``v_max`` given, AMSGrad:
    :math:`v_{\max} \leftarrow \max(v_{\max}, v)` is used in place of :math:`v` in the last line.

    Parameters
    ----------
    p : array_like, shape S, floating
        The parameter. The results have its dtype (integers become float64).
    g : array_like, shape S
        The gradient at ``p``.
    m, v : array_like, shape S
        The first and second moment estimates after step ``t - 1`` (zeros before step 1):
        finite, and ``v >= 0``. ``p`` and ``g`` may hold NaN or infinities (IEEE arithmetic).
    t : int
        The number of this step, 1 for the first.
    learning_rate, beta_1, beta_2, epsilon, weight_decay : float
        :math:`\eta > 0`; :math:`\beta_1, \beta_2 \in [0, 1)`; :math:`\epsilon > 0`;
        :math:`\lambda \ge 0` (decoupled weight decay, 0 for Adam).
    bias_correction : bool
        Divide by :math:`1 - \beta_1^t` and :math:`1 - \beta_2^t` (Kingma & Ba) or not.
    v_max : array_like, shape S, optional
        The running maximum of ``v`` for AMSGrad (zeros before step 1); finite, >= 0.

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
    p = np.array(as_float_array(p, "p"), order="C", copy=True)  # a copy: p is not modified
    given = {"g": g, "m": m, "v": v, **({} if v_max is None else {"v_max": v_max})}
    arrays = {name: as_float_array(array, name) for name, array in given.items()}
    for name, array in arrays.items():
        check_shape(array, p.shape, name)
        if name != "g":
            check_finite(array, name, non_negative=name != "m")
    t, bias_correction = positive_int(t, "t"), boolean(bias_correction, "bias_correction")
    learning_rate = positive_float(learning_rate, "learning_rate")
    beta_1, beta_2 = fraction(beta_1, "beta_1"), fraction(beta_2, "beta_2")
    epsilon = positive_float(epsilon, "epsilon")
    weight_decay = non_negative_float(weight_decay, "weight_decay")
    moments = {name: np.array(array, dtype=p.dtype, order="C", copy=True)
               for name, array in arrays.items() if name != "g"}
    if learning_rate * weight_decay:  # p <- p - eta lambda p, as in AdamW
        np.multiply(p, 1.0 - learning_rate * weight_decay, out=p)
    Adam._adam(p, arrays["g"], moments["m"], moments["v"], moments.get("v_max"), t,
               learning_rate, beta_1, beta_2, epsilon, bias_correction=bias_correction)
    return (p, *moments.values())
