r"""The RMSProp optimizer, plain, centred and with momentum, as ``torch.optim.RMSprop``.

Re-exported by :mod:`dlbook.optim` (``from dlbook.optim import RMSProp``); the bookkeeping is
:class:`~dlbook.base_optimizer.Optimizer`'s.
"""

import numpy as np

from dlbook._validation import boolean, fraction, positive_float
from dlbook.base_optimizer import Optimizer, chunks

__all__ = ["RMSProp"]


class RMSProp(Optimizer):
    r"""RMSProp: divide the step by a running root mean square of the gradient.

    For each parameter :math:`p` with gradient :math:`g`, starting from :math:`s = 0`:

    .. math::

        s &\leftarrow \rho s + (1 - \rho) g^2 \\
        p &\leftarrow p - \eta \frac{g}{\sqrt{s} + \epsilon}

    (elementwise). Centred (Graves, 2013), the running mean :math:`a` of the gradient, from
    :math:`a = 0`, is taken out of the mean square, so that the denominator estimates the
    standard deviation of the gradient rather than its root mean square:

    .. math::

        a &\leftarrow \rho a + (1 - \rho) g \\
        d &= \sqrt{s - a^2} + \epsilon \qquad(\sqrt{s} + \epsilon \text{ when not centred})

    and with momentum :math:`\mu > 0`, from :math:`b = 0`,

    .. math::

        b &\leftarrow \mu b + g / d \\
        p &\leftarrow p - \eta b

    in place of :math:`p \leftarrow p - \eta g / d`. These are the formulas of
    ``torch.optim.RMSprop`` (its ``alpha`` is :math:`\rho`; it has no weight decay here), and
    its arithmetic: :math:`a` is updated as torch's ``lerp``, :math:`a + (1 - \rho)(g - a)`
    (:math:`g - \rho (g - a)` when :math:`\rho \le 0.5`). Keras 3 divides by
    :math:`\sqrt{s + \epsilon}` instead.

    :math:`s - a^2 \ge 0` in exact arithmetic (a weighted mean of squares is at least the
    square of the weighted mean, and the weights sum to :math:`1 - \rho^t \le 1`), but where a
    gradient has been nearly constant for many steps rounding can make it slightly negative:
    it is then taken as 0 (the denominator is :math:`\epsilon`), where torch's ``sqrt`` gives
    NaN, which would stay in the parameter for good.

    Parameters
    ----------
    learning_rate : float
        :math:`\eta > 0`.
    rho : float
        Decay of the running averages, :math:`\rho \in [0, 1)`.
    epsilon : float
        :math:`\epsilon > 0`, added to the root (not inside it).
    momentum : float, keyword-only
        :math:`\mu \in [0, 1)`; 0 (the default) keeps no momentum buffer.
    centered : bool, keyword-only
        Subtract the squared running mean of the gradient under the root.

    Notes
    -----
    State per parameter: ``step``, ``s``, and ``a`` when centred, ``buf`` with momentum (shape
    and dtype of the parameter). ``momentum`` and ``centered`` come after ``epsilon`` and by
    keyword only, so that ``RMSProp(learning_rate, rho, epsilon)`` keeps its meaning.

    References
    ----------
    T. Tieleman and G. Hinton, "Lecture 6.5 - RMSProp: divide the gradient by a running average
    of its recent magnitude", COURSERA: Neural Networks for Machine Learning (2012).
    A. Graves, "Generating Sequences With Recurrent Neural Networks", arXiv:1308.0850 (2013).

    Examples
    --------
    >>> from dlbook import Parameter
    >>> w, opt = Parameter(np.array([1.0, 2.0])), RMSProp(learning_rate=0.01)
    >>> w.grad[...] = [0.5, -1.0]
    >>> opt.step([w])
    >>> np.round(w.data, 6)   # the first step is lr / sqrt(1 - rho) = 0.0316 times sign(g)
    array([0.968377, 2.031623])
    >>> w, opt = Parameter(np.array([1.0, 2.0])), RMSProp(learning_rate=0.01, centered=True)
    >>> w.grad[...] = [0.5, -1.0]
    >>> opt.step([w])   # centred: lr / sqrt(1 - rho - (1 - rho)^2) = lr / 0.3 times sign(g)
    >>> np.round(w.data, 6)
    array([0.966667, 2.033333])
    """

    _checks = {"learning_rate": positive_float, "rho": fraction, "epsilon": positive_float,
               "momentum": fraction, "centered": boolean}
    _non_negative_state = ("s",)
    _added_later = {"momentum": 0.0, "centered": False}

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7, *, momentum=0.0,
                 centered=False):
        super().__init__(learning_rate=learning_rate, rho=rho, epsilon=epsilon,
                         momentum=momentum, centered=centered)

    @classmethod
    def _state_names(cls, hyperparameters):
        return ("s", *(("a",) if hyperparameters["centered"] else ()),
                *(("buf",) if hyperparameters["momentum"] else ()))

    def _update(self, p, g, state, hyperparameters):
        lr, rho, eps, mu = (hyperparameters[name]
                            for name in ("learning_rate", "rho", "epsilon", "momentum"))
        eps = max(eps, np.finfo(p.dtype).smallest_subnormal)  # > 0 in p's dtype too
        average = state["a"] if hyperparameters["centered"] else None
        buffer = state["buf"] if mu else None
        for p_, g_, s_, a_, b_, step in chunks(p, g, state["s"], average, buffer):
            np.multiply(s_, rho, out=s_)  # s <- rho s + (1 - rho) g^2
            np.square(g_, out=step)
            np.multiply(step, 1.0 - rho, out=step)
            np.add(s_, step, out=s_)
            if a_ is None:
                np.sqrt(s_, out=step)  # step = sqrt(s)
            else:
                self._lerp(a_, g_, 1.0 - rho, step)  # a <- rho a + (1 - rho) g
                np.square(a_, out=step)  # step = sqrt(max(s - a^2, 0))
                np.subtract(s_, step, out=step)
                np.maximum(step, 0.0, out=step)
                np.sqrt(step, out=step)
            np.add(step, eps, out=step)  # step = g / (step + eps)
            np.divide(g_, step, out=step)
            if b_ is not None:
                np.multiply(b_, mu, out=b_)  # b <- mu b + g / d
                np.add(b_, step, out=b_)
                np.multiply(b_, lr, out=step)  # step = lr b
            else:
                np.multiply(step, lr, out=step)  # step = lr g / d
            np.subtract(p_, step, out=p_)  # p <- p - step

    @staticmethod
    def _lerp(a, g, weight, scratch):
        r"""``a <- a + w (g - a)`` in place, as torch's ``lerp``: for :math:`w \ge 0.5`,
        :math:`g - (1 - w)(g - a)`, which is exact at :math:`w = 1`."""
        np.subtract(g, a, out=scratch)
        if weight < 0.5:
            np.multiply(scratch, weight, out=scratch)
            np.add(a, scratch, out=a)
        else:
            np.multiply(scratch, 1.0 - weight, out=scratch)
            np.subtract(g, scratch, out=a)
