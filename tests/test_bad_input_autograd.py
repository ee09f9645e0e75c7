"""Bad and extreme input to the scalar autograd (Value, the graph walks) and to gradcheck.

Value's rule: an operation whose result is not a real number (log of 0 or less, a fractional
power of a negative base, division by 0, 0 to a negative power) raises when it is applied, before
any gradient exists; everything else follows IEEE arithmetic like numpy (overflow gives inf,
NaN propagates), and backward never raises.
"""

import math

import numpy as np
import pytest

from dlbook.autograd import Value, backward_naive_recursive, topological_order
from dlbook.gradcheck import numerical_gradient, numerical_vjp, rel_error

from bad_input_checks import assert_one_sentence_naming

NAN, INF = float("nan"), float("inf")


def _same(actual, expected):
    """Equal as IEEE numbers: NaN equals NaN, and the sign of an infinity counts."""
    return (math.isnan(actual) and math.isnan(expected)) or actual == expected


# ---- forward and backward follow IEEE: (operation, input, forward value, derivative) -----------

IEEE_CASES = [
    ("exp", lambda x: x.exp(), 1000.0, INF, INF),
    ("exp", lambda x: x.exp(), -1000.0, 0.0, 0.0),
    ("exp", lambda x: x.exp(), INF, INF, INF),
    ("exp", lambda x: x.exp(), -INF, 0.0, 0.0),
    ("exp", lambda x: x.exp(), NAN, NAN, NAN),
    ("sqrt", lambda x: x**0.5, 0.0, 0.0, INF),
    ("sqrt", lambda x: x**0.5, INF, INF, 0.0),
    ("pow 1.5", lambda x: x**1.5, 0.0, 0.0, 0.0),
    ("square", lambda x: x**2, 1e200, INF, 2e200),
    ("cube", lambda x: x**3, -1e200, -INF, INF),
    ("cube", lambda x: x**3, 1e-200, 0.0, 0.0),
    ("reciprocal", lambda x: x**-1, 5e-324, INF, -INF),
    ("reciprocal", lambda x: x**-1, -5e-324, -INF, -INF),
    ("reciprocal", lambda x: x**-1, INF, 0.0, -0.0),
    ("divide", lambda x: 1.0 / x, 5e-324, INF, -INF),
    ("divide", lambda x: x / 1e-300, 1e10, INF, 9.999999999999999e299),  # x * (1e-300 ** -1)
    ("pow nan", lambda x: x**NAN, 2.0, NAN, NAN),
    ("pow 0", lambda x: x**0, 0.0, 1.0, 0.0),
    ("log", lambda x: x.log(), INF, INF, 0.0),
    ("log", lambda x: x.log(), NAN, NAN, NAN),
    ("log", lambda x: x.log(), 5e-324, math.log(5e-324), INF),
    ("tanh", lambda x: x.tanh(), INF, 1.0, 0.0),
    ("tanh", lambda x: x.tanh(), -1000.0, -1.0, 0.0),
    ("tanh", lambda x: x.tanh(), NAN, NAN, NAN),
    ("sigmoid", lambda x: x.sigmoid(), 1000.0, 1.0, 0.0),
    ("sigmoid", lambda x: x.sigmoid(), -1000.0, 0.0, 0.0),
    ("sigmoid", lambda x: x.sigmoid(), -INF, 0.0, 0.0),
    ("sigmoid", lambda x: x.sigmoid(), NAN, NAN, NAN),
    ("relu", lambda x: x.relu(), INF, INF, 1.0),
    ("relu", lambda x: x.relu(), -INF, 0.0, 0.0),
    ("relu", lambda x: x.relu(), NAN, NAN, 0.0),  # [x > 0] is 0 for NaN, as relu_backward
    ("mul", lambda x: x * x, 1e200, INF, 2e200),
    ("mul", lambda x: x * 0.0, INF, NAN, 0.0),
    ("add", lambda x: x + (-x), INF, NAN, 0.0),
    ("neg", lambda x: -x, -INF, INF, -1.0),
    ("sub", lambda x: 1.0 - x, INF, -INF, -1.0),
]


@pytest.mark.parametrize("name, operation, data, value, derivative", IEEE_CASES,
                         ids=[f"{case[0]}({case[2]})" for case in IEEE_CASES])
def test_every_operation_follows_ieee_forward_and_backward(name, operation, data, value,
                                                           derivative):
    x = Value(data)
    out = operation(x)
    assert _same(out.data, value), (out.data, value)
    out.backward()
    assert _same(x.grad, derivative), (x.grad, derivative)


def test_the_numpy_oracle_agrees_with_the_typed_ieee_table():
    # The typed table against numpy's own IEEE arithmetic, where numpy has the operation.
    with np.errstate(all="ignore"):
        x = np.array([1000.0, 0.0, 1e200, 5e-324])
        np.testing.assert_array_equal(np.exp(x[:1]), [INF])
        np.testing.assert_array_equal(0.5 * np.power(x[1:2], -0.5), [INF])
        np.testing.assert_array_equal(np.power(x[2:3], 2), [INF])
        np.testing.assert_array_equal(np.power(x[3:], -1.0), [INF])
        np.testing.assert_array_equal(-1.0 * np.power(x[3:], -2.0), [-INF])


def test_a_sum_with_a_square_root_at_zero_backpropagates_completely():
    a, x = Value(2.0), Value(0.0)
    (a * 3 + x**0.5).backward()
    assert a.grad == 3.0
    assert x.grad == INF


def test_a_zero_times_an_infinite_derivative_is_nan_as_in_torch():
    x = Value(0.0)
    (x**0.5 * 0.0).backward()
    assert math.isnan(x.grad)


# ---- operations whose result is not a real number raise at once, and change nothing ----------

DOMAIN_CASES = [
    (lambda x: x.log(), 0.0, ValueError, ["log", "> 0", "0.0"]),
    (lambda x: x.log(), -1.0, ValueError, ["log", "> 0", "-1.0"]),
    (lambda x: x.log(), -INF, ValueError, ["log", "> 0", "-inf"]),
    (lambda x: x**0.5, -8.0, ValueError, ["exponent", "negative base", "0.5"]),
    (lambda x: x**0.5, -INF, ValueError, ["exponent", "negative base"]),
    (lambda x: x**INF, -2.0, ValueError, ["exponent", "negative base"]),
    (lambda x: x**-1, 0.0, ZeroDivisionError, ["exponent", "0.0", "-1"]),
    (lambda x: x**-0.5, -0.0, ZeroDivisionError, ["exponent", "-0.5"]),
    (lambda x: Value(1.0) / x, 0.0, ZeroDivisionError, ["other", "0"]),
    (lambda x: 1 / x, 0.0, ZeroDivisionError, ["other", "0"]),
    (lambda x: x / 0, 3.0, ZeroDivisionError, ["other", "0"]),
    (lambda x: x / 0.0, 3.0, ZeroDivisionError, ["other", "0"]),
]


@pytest.mark.parametrize("operation, data, error, words", DOMAIN_CASES)
def test_an_operation_without_a_real_result_raises_before_any_gradient_changes(operation, data,
                                                                              error, words):
    x = Value(data)
    y = x * 2.0 + 1.0
    y.backward()
    grads = (x.grad, y.grad)
    with pytest.raises(error) as excinfo:
        operation(x)
    assert_one_sentence_naming(excinfo, *words)
    assert (x.grad, y.grad) == grads
    assert x._prev == () and len(topological_order(y)) == 5


# ---- bad types: a TypeError that names the argument -------------------------------------------

BAD_OPERANDS = ["1.0", None, 1 + 2j, True, np.bool_(True), [1.0], (1.0,), np.array([1.0, 2.0]),
                np.array(1.0), object()]
OPERATORS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "r+": lambda a, b: b + a, "r-": lambda a, b: b - a,
    "r*": lambda a, b: b * a, "r/": lambda a, b: b / a,
}


@pytest.mark.parametrize("symbol", OPERATORS)
@pytest.mark.parametrize("other", BAD_OPERANDS, ids=repr)
def test_an_operand_that_is_not_a_real_number_is_a_type_error_naming_other(symbol, other):
    with pytest.raises(TypeError) as excinfo:
        OPERATORS[symbol](Value(1.0), other)
    assert_one_sentence_naming(excinfo, "other", "needs")


@pytest.mark.parametrize("exponent", [*BAD_OPERANDS, Value(2.0)], ids=repr)
def test_an_exponent_that_is_not_a_constant_real_number_is_a_type_error(exponent):
    with pytest.raises(TypeError) as excinfo:
        Value(2.0) ** exponent
    assert_one_sentence_naming(excinfo, "exponent")


@pytest.mark.parametrize("data", BAD_OPERANDS, ids=repr)
def test_value_data_that_is_not_a_real_number_is_a_type_error(data):
    with pytest.raises(TypeError) as excinfo:
        Value(data)
    assert_one_sentence_naming(excinfo, "data", "needs")


@pytest.mark.parametrize("label", [3, None, b"x", ["x"]], ids=repr)
def test_a_label_that_is_not_a_string_is_a_type_error(label):
    with pytest.raises(TypeError) as excinfo:
        Value(1.0, label=label)
    assert_one_sentence_naming(excinfo, "label", "needs")


@pytest.mark.parametrize("walk", [topological_order, backward_naive_recursive])
@pytest.mark.parametrize("root", [1.0, "x", None, np.array([1.0])], ids=repr)
def test_the_graph_walks_reject_what_is_not_a_value(walk, root):
    with pytest.raises(TypeError) as excinfo:
        walk(root)
    assert_one_sentence_naming(excinfo, "root", "needs")


@pytest.mark.parametrize("data, value", [(np.float64(2.5), 2.5), (np.float32(0.5), 0.5),
                                         (np.int64(3), 3.0), (7, 7.0), (INF, INF)])
def test_real_numbers_of_any_kind_are_values(data, value):
    v = Value(data)
    assert type(v.data) is float and v.data == value


# ---- gradcheck ---------------------------------------------------------------------------------


def _x():
    return np.array([1.0, -2.0, 0.5])


GRADCHECK_CASES = [
    (lambda: rel_error(np.ones(2), np.ones(3)), ValueError, ["a, b", "(2,)", "(3,)"]),
    (lambda: rel_error(np.array([1j]), np.array([1.0])), TypeError, ["a", "complex"]),
    (lambda: rel_error(np.ones(1), ["x"]), TypeError, ["b", "<U1"]),
    (lambda: rel_error(np.ones(1), np.ones(1, dtype=np.float16)), TypeError, ["b", "float16"]),
    (lambda: numerical_gradient("f", _x()), TypeError, ["f", "callable"]),
    (lambda: numerical_gradient(np.sum, _x().astype(np.float32)), TypeError, ["x", "float32"]),
    (lambda: numerical_gradient(np.sum, [1.0, 2.0]), TypeError, ["x", "list"]),
    (lambda: numerical_gradient(np.sum, _x(), eps=0.0), ValueError, ["eps", "> 0"]),
    (lambda: numerical_gradient(np.sum, _x(), eps=-1e-6), ValueError, ["eps"]),
    (lambda: numerical_gradient(np.sum, _x(), eps=NAN), ValueError, ["eps"]),
    (lambda: numerical_gradient(np.sum, _x(), eps="1e-6"), TypeError, ["eps"]),
    (lambda: numerical_gradient(np.sum, _x(), eps=True), TypeError, ["eps"]),
    (lambda: numerical_gradient(lambda v: v * 2, _x()), TypeError, ["f", "scalar", "(3,)"]),
    (lambda: numerical_gradient(lambda v: "a", _x()), TypeError, ["f", "scalar"]),
    (lambda: numerical_gradient(lambda v: 1j, _x()), TypeError, ["f", "scalar"]),
    (lambda: numerical_vjp("f", [_x()], np.ones(3), 0), TypeError, ["forward", "callable"]),
    (lambda: numerical_vjp(np.square, _x(), np.ones(3), 0), TypeError, ["inputs", "list"]),
    (lambda: numerical_vjp(np.square, [_x()], np.ones(3), 1), ValueError, ["wrt", "1"]),
    (lambda: numerical_vjp(np.square, [_x()], np.ones(3), -2), ValueError, ["wrt", "-2"]),
    (lambda: numerical_vjp(np.square, [_x()], np.ones(3), 0.0), TypeError, ["wrt"]),
    (lambda: numerical_vjp(np.square, [_x()], np.ones(3), True), TypeError, ["wrt"]),
    (lambda: numerical_vjp(np.square, [_x()], np.ones(1), 0), ValueError,
     ["dy", "(3,)", "(1,)"]),
    (lambda: numerical_vjp(np.square, [_x()], np.ones((2, 3)), 0), ValueError,
     ["dy", "(3,)", "(2, 3)"]),
    (lambda: numerical_vjp(np.square, [_x()], np.array([1j, 0, 0]), 0), TypeError,
     ["dy", "complex"]),
    (lambda: numerical_vjp(np.square, [np.array(["a"])], np.ones(1), 0), TypeError,
     ["inputs[0]", "<U1"]),
]


@pytest.mark.parametrize("call, error, words", GRADCHECK_CASES, ids=lambda value: None)
def test_gradcheck_rejects_bad_input_naming_the_argument(call, error, words):
    with pytest.raises(error) as excinfo:
        call()
    assert_one_sentence_naming(excinfo, *words)


def test_numerical_gradient_rejects_a_read_only_x_before_calling_f():
    x, calls = _x(), []
    x.setflags(write=False)
    with pytest.raises(ValueError) as excinfo:
        numerical_gradient(lambda v: calls.append(1) or 0.0, x)
    assert_one_sentence_naming(excinfo, "x", "read-only")
    assert calls == []


def test_numerical_gradient_restores_x_when_f_raises():
    x = _x()

    def f(v):
        if v[1] != -2.0:
            raise RuntimeError("f failed")
        return float(np.sum(v))

    with pytest.raises(RuntimeError):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, -2.0, 0.5])


def test_numerical_gradient_of_a_non_finite_function_is_ieee():
    with np.errstate(all="ignore"):
        grad = numerical_gradient(lambda v: float(np.sum(np.sqrt(v))), np.array([0.0, 4.0]))
    assert math.isnan(grad[0])  # sqrt(-h) is NaN
    np.testing.assert_allclose(grad[1], 0.25, rtol=1e-8)


def test_numerical_vjp_does_not_touch_the_callers_inputs():
    x = _x()
    x.setflags(write=False)
    grad = numerical_vjp(np.square, [x], np.ones(3), 0)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-8)
    assert not np.shares_memory(grad, x)


def test_rel_error_of_nan_is_nan_and_of_integers_is_exact():
    assert math.isnan(rel_error(np.array([NAN]), np.array([1.0])))
    assert rel_error(np.array([1, 2]), np.array([1, 2])) == 0.0
    assert rel_error(np.array([3.0, 0.0]), np.array([0.0, 4.0])) == 5.0 / 7.0
