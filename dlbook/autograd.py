"""Scalar reverse-mode automatic differentiation: the ``Value`` of the backpropagation chapter.

Every arithmetic operation on :class:`Value` objects records a node of a computational graph:
the result, the inputs it came from (``_prev``), the operation (``_op``) and a small closure,
``_backward``, that applies the chain rule for that one operation. If :math:`o = f(a, b)` and
:math:`L` is the final output, the closure adds the output's gradient times the local derivative
to each input,

.. math::

    \\frac{\\partial L}{\\partial a} \\mathrel{+}= \\frac{\\partial L}{\\partial o}
    \\frac{\\partial f}{\\partial a}, \\qquad
    \\frac{\\partial L}{\\partial b} \\mathrel{+}= \\frac{\\partial L}{\\partial o}
    \\frac{\\partial f}{\\partial b}.

:meth:`Value.backward` calls these closures in reverse topological order, so that every node has
received the gradient from *all* the nodes that use it before it passes that gradient on. The
order (:func:`topological_order`) is built without recursion, so graphs of any depth work;
:func:`backward_naive_recursive` is the tempting alternative that gets shared nodes wrong. Both
walk the graph and live in :mod:`dlbook.graph`, importable from here too.

Numbers that are not finite
---------------------------
An operation whose result is not a real number raises when it is applied, before any gradient
exists: :meth:`Value.log` of data :math:`\\le 0` and a fractional power of a negative base (a
ValueError), division by 0 and 0 to a negative power (a ZeroDivisionError, as Python's floats
give). Everything else follows IEEE arithmetic, like numpy: a result too large for a float is
:math:`\\pm\\infty` (``Value(1000.0).exp()`` is ``inf``), NaN and infinities propagate, and
:meth:`Value.backward` never raises. A derivative can be infinite where the function is finite
(that of :math:`\\sqrt{x}` at 0 is :math:`+\\infty`), and an infinite derivative times a zero
gradient is NaN, as in PyTorch. The derivative of :meth:`Value.relu` is :math:`[a > 0]`, so 0
at NaN, as in :func:`dlbook.functional.relu_backward`.

Examples
--------
>>> x = Value(3.0, label="x")
>>> y = x * x + x
>>> y.backward()
>>> y.data, x.grad
(12.0, 7.0)
"""

import math
import numbers

from dlbook.graph import backward_naive_recursive, topological_order

__all__ = ["Value", "backward_naive_recursive", "topological_order"]


def _power(base, exponent):
    """``base ** exponent`` for a real result, with IEEE infinities where Python raises.

    Python raises OverflowError when the result is too large for a float and ZeroDivisionError
    for 0 to a negative power; IEEE (and numpy) give an infinity, negative for a negative base
    (or -0.0) and an odd integer exponent.
    """
    try:
        return base**exponent
    except (OverflowError, ZeroDivisionError):
        odd = float(exponent).is_integer() and exponent % 2 == 1
        return -math.inf if odd and math.copysign(1.0, base) < 0 else math.inf


def _no_backward():
    """The local backward pass of a leaf: there is nothing before it to pass a gradient to."""


def _check_real(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        shown = " ".join(repr(value).split())  # on one line (arrays, lists), and short
        shown = shown if len(shown) <= 40 else shown[:36] + " ..."
        raise TypeError(
            f"{name}: needs a real number (int or float), got {type(value).__name__} {shown}"
        )


class Value:
    """A scalar that remembers how it was computed, so that gradients can flow back through it.

    Parameters
    ----------
    data : int or float
        The number. Stored as a Python float in ``.data``.
    label : str, optional
        A name shown by :func:`dlbook.plotting.draw_graph`.

    Attributes
    ----------
    data : float
        The value computed in the forward pass.
    grad : float
        :math:`\\partial L / \\partial \\text{self}` after ``L.backward()``; 0.0 at first.
    label : str
        The display name.
    _prev : tuple of Value
        The inputs of the operation that produced this value (each input once, in operand order);
        empty for a leaf.
    _op : str
        The operation that produced this value (``'+'``, ``'*'``, ``'**2'``, ``'exp'``, ...);
        ``''`` for a leaf.

    Notes
    -----
    Supported: ``+ - * /`` with Values or numbers on either side, ``-v``, ``v ** k`` for a
    constant int or float ``k``, and :meth:`exp`, :meth:`log`, :meth:`tanh`, :meth:`sigmoid`,
    :meth:`relu`. As in micrograd, ``a - b`` is built as ``a + (b * -1)`` and ``a / b`` as
    ``a * b ** -1``, so they need no backward pass of their own.

    Examples
    --------
    >>> a = Value(0.5, label="a")
    >>> b = Value(-1.0, label="b")
    >>> c = (a * b).tanh()  # dc/da = (1 - c**2) * b, dc/db = (1 - c**2) * a
    >>> c.backward()
    >>> round(a.grad, 6), round(b.grad, 6)
    (-0.786448, 0.393224)
    """

    # Let numpy scalars defer to our reflected operators: np.float64(2) * v calls v.__rmul__.
    __array_ufunc__ = None

    def __init__(self, data, label="", *, _children=(), _op=""):
        _check_real(data, "data")
        if not isinstance(label, str):
            raise TypeError(f"label: needs a str, got {type(label).__name__} {label!r}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._prev = tuple(dict.fromkeys(_children))  # each input once, in operand order
        self._op = _op
        self._backward = _no_backward

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ---- the operations ---------------------------------------------------------------------

    def __add__(self, other):
        """:math:`o = a + b`: :math:`\\partial o / \\partial a = \\partial o / \\partial b = 1`."""
        other = _as_value(other)
        out = Value(self.data + other.data, _children=(self, other), _op="+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        """:math:`o = a b`: :math:`\\partial o / \\partial a = b`,
        :math:`\\partial o / \\partial b = a`."""
        other = _as_value(other)
        out = Value(self.data * other.data, _children=(self, other), _op="*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent):
        """:math:`o = a^k` for a constant :math:`k`: :math:`\\partial o / \\partial a = k a^{k-1}`.

        A negative base needs an integer exponent (the result would be complex otherwise) and a
        base of 0 a non-negative one; a result too large for a float is :math:`\\pm\\infty`, and
        so is the derivative at 0 of a power below 1 (:math:`\\sqrt{a}` at 0).
        """
        if isinstance(exponent, Value):
            raise TypeError(
                "exponent: ** takes a constant int or float exponent, not a Value; "
                "for a variable exponent write (y * x.log()).exp()"
            )
        _check_real(exponent, "exponent")
        if self.data < 0 and not float(exponent).is_integer():
            raise ValueError(
                f"exponent: a negative base ({self.data!r}) needs an integer exponent, got "
                f"{exponent!r}"
            )
        if self.data == 0 and exponent < 0:
            raise ZeroDivisionError(
                f"exponent: needs a base other than 0 for a negative exponent, got "
                f"{self.data!r} ** {exponent!r}"
            )
        out = Value(_power(self.data, exponent), _children=(self,), _op=f"**{exponent}")

        def _backward():
            if exponent != 0:  # the derivative of a ** 0 is 0, even at a = 0
                self.grad += exponent * _power(self.data, exponent - 1) * out.grad

        out._backward = _backward
        return out

    def __rpow__(self, base):
        raise TypeError(
            "exponent: ** takes a constant int or float exponent, not a Value; "
            "for a variable exponent write (y * math.log(base)).exp()"
        )

    def exp(self):
        """:math:`o = e^a`: :math:`\\partial o / \\partial a = e^a = o`.

        ``inf`` when :math:`e^a` is past the largest float (:math:`a > 709.78`), as ``np.exp``.

        >>> round(Value(1.0).exp().data, 6), Value(1000.0).exp().data
        (2.718282, inf)
        """
        try:
            data = math.exp(self.data)
        except OverflowError:  # e^a > the largest float: IEEE gives inf, as np.exp does
            data = math.inf
        out = Value(data, _children=(self,), _op="exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self):
        """Natural logarithm, :math:`o = \\ln a` for :math:`a > 0`:
        :math:`\\partial o / \\partial a = 1/a`.

        >>> Value(1.0).log().data
        0.0
        """
        if self.data <= 0:
            raise ValueError(f"log: needs data > 0, got {self.data!r}")
        out = Value(math.log(self.data), _children=(self,), _op="log")

        def _backward():
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self):
        """:math:`o = \\tanh a`: :math:`\\partial o / \\partial a = 1 - o^2`.

        >>> Value(0.0).tanh().data
        0.0
        """
        out = Value(math.tanh(self.data), _children=(self,), _op="tanh")

        def _backward():
            self.grad += (1.0 - out.data * out.data) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self):
        """:math:`o = \\sigma(a) = 1 / (1 + e^{-a})`: :math:`\\partial o / \\partial a = o (1 - o)`.

        Computed without overflow for large :math:`|a|`.

        >>> Value(0.0).sigmoid().data
        0.5
        """
        if self.data >= 0:
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:
            e = math.exp(self.data)
            s = e / (1.0 + e)
        out = Value(s, _children=(self,), _op="sigmoid")

        def _backward():
            self.grad += out.data * (1.0 - out.data) * out.grad

        out._backward = _backward
        return out

    def relu(self):
        """:math:`o = \\max(a, 0)`: :math:`\\partial o / \\partial a = [a > 0]` (0 at :math:`a = 0`).

        >>> Value(-2.0).relu().data, Value(2.0).relu().data
        (0.0, 2.0)
        """
        out = Value(max(self.data, 0.0), _children=(self,), _op="relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out

    # ---- built from the operations above ----------------------------------------------------

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        other = _as_value(other)
        return self + (-other)

    def __truediv__(self, other):
        other = _as_value(other)
        if other.data == 0:
            raise ZeroDivisionError(f"other: needs a divisor other than 0, got {other.data!r}")
        return self * other**-1

    def __radd__(self, other):  # other + self
        return self + other

    def __rmul__(self, other):  # other * self
        return self * other

    def __rsub__(self, other):  # other - self
        other = _as_value(other)
        return other + (-self)

    def __rtruediv__(self, other):  # other / self
        other = _as_value(other)
        return other / self

    # ---- the backward pass ------------------------------------------------------------------

    def backward(self):
        """Fill ``.grad`` of every node of the graph with its derivative
        :math:`\\partial\\,\\text{self} / \\partial\\,\\text{node}`.

        The seed is :math:`\\partial\\,\\text{self} / \\partial\\,\\text{self} = 1`; then each
        node, taken in reverse topological order (:func:`topological_order`), applies the chain
        rule to its inputs. A node used by several others therefore holds its whole gradient,
        the sum over all its uses (the multivariable chain rule), before it passes it on:

        .. math::

            \\frac{\\partial L}{\\partial v} = \\sum_{o \\text{ uses } v}
            \\frac{\\partial L}{\\partial o} \\frac{\\partial o}{\\partial v}.

        Calling it twice: the gradients of the leaves (inputs, parameters) *accumulate*, as in
        PyTorch, so a second call adds the same gradient again and two losses sharing parameters
        add up; interior nodes are recomputed from zero on every call. Use :meth:`zero_grad` to
        start afresh.

        Returns
        -------
        None

        Examples
        --------
        >>> x = Value(2.0)
        >>> y = x * x
        >>> y.backward()
        >>> x.grad
        4.0
        >>> y.backward()  # leaves accumulate
        >>> x.grad
        8.0
        """
        order = topological_order(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += 1.0  # 1 for an interior root (just zeroed); a leaf root accumulates
        for node in reversed(order):
            node._backward()

    def zero_grad(self):
        """Set ``.grad`` to 0.0 on every node of the graph that ends in this value, leaves included.

        >>> x = Value(2.0)
        >>> y = x * 3
        >>> y.backward()
        >>> y.zero_grad()
        >>> x.grad
        0.0
        """
        for node in topological_order(self):
            node.grad = 0.0


def _as_value(other):
    """``other`` as a Value (real numbers become constant leaves); a TypeError otherwise."""
    if isinstance(other, Value):
        return other
    _check_real(other, "other")
    return Value(other)
