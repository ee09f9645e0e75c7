"""Scalar autograd: every operation and whole graphs against central differences and against
dlbook.functional, shared nodes, deep graphs, the naive recursion's wrong answer, the drawing."""

import ast
import math
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dlbook import functional  # noqa: E402
from dlbook.autograd import Value, backward_naive_recursive, topological_order  # noqa: E402
from dlbook.gradcheck import numerical_gradient, rel_error  # noqa: E402
from dlbook.plotting import draw_graph  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def autograd_gradient(f, point):
    """Value of ``f`` at ``point`` and its gradient by Value.backward."""
    inputs = [Value(float(p)) for p in point]
    out = f(*inputs)
    out.backward()
    return out.data, np.array([v.grad for v in inputs])


def central_difference_gradient(f, point, eps=1e-6):
    """Central differences of ``f``, evaluated on fresh Values, at ``point``."""
    x = np.array(point, dtype=np.float64)
    return numerical_gradient(lambda p: f(*(Value(float(v)) for v in p)).data, x, eps)


FUNCTIONS = {
    "add": (lambda a, b: a + b, [0.3, -1.2]),
    "sub": (lambda a, b: a - b, [0.3, -1.2]),
    "mul": (lambda a, b: a * b, [0.3, -1.2]),
    "div": (lambda a, b: a / b, [0.3, -1.2]),
    "neg": (lambda a: -a, [0.7]),
    "pow_int": (lambda a: a**3, [-0.8]),
    "pow_negative": (lambda a: a**-2, [1.3]),
    "pow_float": (lambda a: a**0.5, [2.0]),
    "exp": (lambda a: a.exp(), [0.4]),
    "log": (lambda a: a.log(), [0.4]),
    "tanh": (lambda a: a.tanh(), [-0.6]),
    "sigmoid": (lambda a: a.sigmoid(), [-0.6]),
    "relu_positive": (lambda a: a.relu(), [0.6]),
    "relu_negative": (lambda a: a.relu(), [-0.6]),
    "number_plus_value": (lambda a: 2 + a, [0.5]),
    "number_times_value": (lambda a: 2 * a, [0.5]),
    "number_minus_value": (lambda a: 2 - a, [0.5]),
    "number_over_value": (lambda a: 2 / a, [0.5]),
    "several_values": (
        lambda a, b, c: (
            (a * b + c.exp()).tanh() * (b**2 + 1).log() - c / (a.sigmoid() + 0.5) + (a - c).relu()
        ),
        [0.3, -1.1, 0.4],
    ),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_gradient_matches_central_differences(name):
    f, point = FUNCTIONS[name]
    _, grad = autograd_gradient(f, point)
    expected = central_difference_gradient(f, point)
    assert rel_error(grad, expected) < 1e-8, (grad, expected)


def test_forward_values_match_math():
    a, b = Value(0.3), Value(-1.2)
    assert (a + b).data == 0.3 + -1.2
    assert (a - b).data == pytest.approx(1.5, rel=1e-15)
    assert (a * b).data == 0.3 * -1.2
    assert (a / b).data == pytest.approx(0.3 / -1.2, rel=1e-15)
    assert (2 - a).data == pytest.approx(1.7, rel=1e-15)
    assert (2 / a).data == pytest.approx(2 / 0.3, rel=1e-15)
    assert (a**3).data == pytest.approx(0.027, rel=1e-15)
    assert a.exp().data == math.exp(0.3)
    assert a.log().data == math.log(0.3)
    assert b.tanh().data == math.tanh(-1.2)
    assert b.sigmoid().data == pytest.approx(1 / (1 + math.exp(1.2)), rel=1e-15)
    assert b.relu().data == 0.0 and a.relu().data == 0.3
    assert (-a).data == -0.3


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_gradient_matches_central_differences_at_random_points(point):
    f = FUNCTIONS["several_values"][0]
    assume(abs(point[0] - point[2]) > 1e-3)  # keep away from the kink of (a - c).relu()
    _, grad = autograd_gradient(f, point)
    expected = central_difference_gradient(f, point)
    assert np.allclose(grad, expected, rtol=1e-6, atol=1e-7), (grad, expected)


def test_sigmoid_and_relu_edge_values():
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(-1000.0).sigmoid().data == 0.0
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0  # the derivative at the kink is taken as 0, as in functional.relu_backward
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0


# ---- shared nodes and the order of the backward pass ------------------------------------------


def test_node_used_twice_gets_its_whole_gradient():
    x = Value(1.5)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad == 4.0


def test_shared_interior_node_accumulates_before_passing_on():
    x = Value(3.0)
    a = x * 2
    y = a * a + a  # dy/da = 2a + 1 = 13, dy/dx = 2 dy/da = 26
    y.backward()
    assert a.grad == 13.0
    assert x.grad == 26.0
    finite_difference = central_difference_gradient(lambda v: (v * 2) * (v * 2) + v * 2, [3.0])[0]
    assert finite_difference == pytest.approx(26.0)


def test_naive_recursion_is_wrong_on_a_shared_interior_node():
    def build(x):
        a = x * 2
        return a * a + a

    x = Value(3.0)
    y = build(x)
    calls = backward_naive_recursive(y)
    naive = x.grad
    y.zero_grad()
    y.backward()
    correct = x.grad
    finite_difference = central_difference_gradient(build, [3.0])[0]
    assert correct == 26.0
    assert correct == pytest.approx(finite_difference, rel=1e-9)
    assert naive == 52.0  # a passes its gradient on twice
    assert abs(naive - finite_difference) > 1
    assert calls == 8
    assert len(topological_order(y)) == 5


def test_naive_recursion_is_right_on_a_tree():
    def build(a, b, c):
        return (a * b + c).tanh()

    inputs = [Value(0.3), Value(-0.7), Value(0.2)]
    y = build(*inputs)
    backward_naive_recursive(y)
    naive = [v.grad for v in inputs]
    y.zero_grad()
    y.backward()
    assert naive == [v.grad for v in inputs]


def test_naive_recursion_work_grows_with_the_number_of_paths():
    x = Value(0.1)
    h = x
    for _ in range(10):
        h = h.tanh() + h * 0.5  # two paths from every h to the next
    assert backward_naive_recursive(h) > 2**10
    assert len(topological_order(h)) == 1 + 10 * 4


@pytest.mark.parametrize("depth", [5_000, 20_000])
def test_backward_works_on_a_chain_deeper_than_the_recursion_limit(depth):
    assert depth > sys.getrecursionlimit()
    x = Value(1.0)
    y = x
    for _ in range(depth):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**depth, rel=1e-10)
    assert len(topological_order(y)) == 2 * depth + 1


def test_naive_recursion_fails_on_a_deep_chain():
    x = Value(1.0)
    y = x
    for _ in range(sys.getrecursionlimit() + 100):
        y = y + 1
    with pytest.raises(RecursionError):
        backward_naive_recursive(y)


def test_topological_order_puts_inputs_first_and_root_last():
    x = Value(3.0, label="x")
    y = x * x + x
    order = topological_order(y)
    assert [node._op or node.label for node in order] == ["x", "*", "+"]
    assert order[-1] is y
    position = {node: i for i, node in enumerate(order)}
    assert all(position[child] < position[node] for node in order for child in node._prev)
    assert len(set(order)) == len(order)


def test_prev_and_op_record_the_graph():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b
    d = c + a
    e = a * a
    assert c._prev == (a, b) and c._op == "*"
    assert d._prev == (c, a) and d._op == "+"
    assert e._prev == (a,)  # each input once
    assert (a**2)._op == "**2"
    assert a._prev == () and a._op == ""
    assert [v.label for v in (a, b)] == ["a", "b"]


def test_backward_twice_accumulates_in_leaves_and_recomputes_interior_nodes():
    x = Value(2.0)
    h = x * 3
    y = h * h  # dy/dh = 2h = 12, dy/dx = 36
    y.backward()
    assert (x.grad, h.grad, y.grad) == (36.0, 12.0, 1.0)
    y.backward()
    assert (x.grad, h.grad, y.grad) == (72.0, 12.0, 1.0)


def test_two_losses_sharing_a_parameter_add_their_gradients():
    w = Value(0.5)
    loss_1 = w * 3
    loss_2 = w * w
    loss_1.backward()
    loss_2.backward()
    assert w.grad == 3.0 + 1.0


def test_zero_grad_zeroes_the_whole_graph():
    x = Value(2.0)
    y = (x * 3).tanh() + x
    y.backward()
    assert x.grad != 0
    y.zero_grad()
    assert all(node.grad == 0.0 for node in topological_order(y))
    y.backward()
    expected = central_difference_gradient(lambda v: (v * 3).tanh() + v, [2.0])[0]
    assert x.grad == pytest.approx(expected, rel=1e-8)


def test_numpy_scalars_work_on_either_side():
    x = Value(2.0)
    assert (np.float64(3.0) * x).data == 6.0
    assert (x * np.float32(3.0)).data == 6.0
    assert (np.int64(1) - x).data == -1.0


# ---- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("data", ["1.0", None, 1 + 2j, True, [1.0], np.array([1.0, 2.0])])
def test_non_real_data_is_rejected(data):
    with pytest.raises(TypeError, match="data"):
        Value(data)


@pytest.mark.parametrize("data", [0.0, -1.0])
def test_log_of_non_positive_is_rejected(data):
    with pytest.raises(ValueError, match="log.*> 0"):
        Value(data).log()


def test_value_exponent_is_rejected():
    with pytest.raises(TypeError, match="exponent.*constant"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(TypeError, match="exponent.*constant"):
        2 ** Value(3.0)
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** "2"


def test_fractional_power_of_a_negative_base_is_rejected():
    with pytest.raises(ValueError, match="exponent"):
        Value(-8.0) ** 0.5
    assert (Value(-2.0) ** 3).data == -8.0


def test_division_by_zero_raises():
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)
    with pytest.raises(ZeroDivisionError):
        1 / Value(0.0)


def test_non_numbers_are_not_operands():
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        [1.0] * Value(1.0)
    with pytest.raises(TypeError, match="root"):
        topological_order(1.0)
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)


# ---- a small network, scalar by scalar, against dlbook.functional -----------------------------


def _values(array):
    return [[Value(float(v)) for v in row] for row in array]


def _matmul(a, b):
    return [
        [sum((a[i][k] * b[k][j] for k in range(len(b))), Value(0.0)) for j in range(len(b[0]))]
        for i in range(len(a))
    ]


def _value_network_loss(x, w1, w2, labels, activation):
    """Mean softmax cross-entropy of activation(x @ w1) @ w2, with every scalar a Value."""
    hidden = [[getattr(h, activation)() for h in row] for row in _matmul(x, w1)]
    logits = _matmul(hidden, w2)
    total = Value(0.0)
    for row, label in zip(logits, labels):
        shift = max(z.data for z in row)  # a constant: it changes no gradient
        log_sum = sum(((z - shift).exp() for z in row), Value(0.0)).log()
        total = total + log_sum - (row[label] - shift)
    return total / len(labels)


def _numpy_network_loss_and_gradients(x, w1, w2, labels, activation):
    pre = x @ w1
    hidden = getattr(functional, activation)(pre)
    logits = hidden @ w2
    loss, dlogits = functional.softmax_cross_entropy(logits, labels)
    dw2 = hidden.T @ dlogits
    dhidden = dlogits @ w2.T
    dpre = getattr(functional, f"{activation}_backward")(dhidden, pre)
    dw1 = x.T @ dpre
    return loss, dw1, dw2


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_two_layer_network_matches_functional_and_central_differences(activation):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 2))
    w1 = rng.standard_normal((2, 3))
    w2 = rng.standard_normal((3, 2))
    labels = np.array([0, 1, 1])

    w1_values, w2_values = _values(w1), _values(w2)
    loss = _value_network_loss(_values(x), w1_values, w2_values, labels, activation)
    loss.backward()
    dw1 = np.array([[v.grad for v in row] for row in w1_values])
    dw2 = np.array([[v.grad for v in row] for row in w2_values])

    expected_loss, expected_dw1, expected_dw2 = _numpy_network_loss_and_gradients(
        x, w1, w2, labels, activation
    )
    assert loss.data == pytest.approx(expected_loss, rel=1e-12)
    assert rel_error(dw1, expected_dw1) < 1e-12
    assert rel_error(dw2, expected_dw2) < 1e-12
    assert np.abs(dw1).max() > 1e-3  # the check is not vacuous

    def numpy_loss(w1_, w2_):
        return _numpy_network_loss_and_gradients(x, w1_, w2_, labels, activation)[0]

    assert rel_error(dw1, numerical_gradient(lambda w: numpy_loss(w, w2), w1.copy())) < 1e-7
    assert rel_error(dw2, numerical_gradient(lambda w: numpy_loss(w1, w), w2.copy())) < 1e-7


# ---- the drawing --------------------------------------------------------------------------------


@pytest.fixture
def small_graph():
    x = Value(1.5, label="x")
    y = x * x + x  # x*x = 2.25, y = 3.75, x.grad = 4
    y.label = "y"
    y.backward()
    return x, y


def test_draw_graph_writes_one_text_per_value_with_data_and_grad(small_graph):
    x, y = small_graph
    ax = draw_graph(y)
    try:
        assert isinstance(ax, matplotlib.axes.Axes)
        texts = [text.get_text() for text in ax.texts]
        value_texts = [text for text in texts if "data" in text]
        assert len(value_texts) == len(topological_order(y)) == 3
        for node in topological_order(y):
            assert sum(f"{node.data:.4f}" in text for text in value_texts) == 1
        assert any("x" in text and "1.5000" in text and "grad 4.0000" in text for text in value_texts)
        assert sorted(text for text in texts if "data" not in text) == ["*", "+"]
        # 3 boxes, 2 circles, 5 arrows: x -> *, * -> x*x, x*x -> +, x -> +, + -> y
        assert len(ax.patches) == 3 + 2 + 5
    finally:
        plt.close(ax.figure)


def test_draw_graph_is_deterministic_and_can_hide_gradients(small_graph):
    _, y = small_graph
    figure, axes = plt.subplots(1, 3)
    try:
        assert draw_graph(y, ax=axes[0]) is axes[0]
        draw_graph(y, ax=axes[1])
        draw_graph(y, ax=axes[2], show_grad=False)
        first = [(t.get_text(), t.get_position()) for t in axes[0].texts]
        assert first == [(t.get_text(), t.get_position()) for t in axes[1].texts]
        assert not any("grad" in t.get_text() for t in axes[2].texts)
        # left to right by depth: x, then x*x, then y
        value_texts = [t for t in axes[0].texts if "data" in t.get_text()]
        x_of = {t.get_text().split("\n")[-2]: t.get_position()[0] for t in value_texts}
        assert x_of["data 1.5000"] < x_of["data 2.2500"] < x_of["data 3.7500"]
    finally:
        plt.close(figure)


def test_draw_graph_rejects_a_non_value():
    with pytest.raises(TypeError, match="root"):
        draw_graph(3.0)


def _imported_modules(path):
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _imported_modules_through_dlbook(path):
    """Top-level names of the modules ``path`` imports, following imports of dlbook modules
    into their files (which count by their own imports, not as "dlbook")."""
    names, todo, seen = set(), [path], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for node in ast.walk(ast.parse(current.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                if module.split(".")[0] == "dlbook":
                    todo.append(ROOT.joinpath(*module.split(".")).with_suffix(".py"))
                else:
                    names.add(module.split(".")[0])
    return names


def test_drawing_uses_matplotlib_only_and_autograd_imports_no_plotting():
    assert "graphviz" not in _imported_modules(ROOT / "dlbook" / "plotting.py")
    assert "graphviz" not in sys.modules
    # autograd.py and the graph walk it imports (dlbook/graph.py) need math and numbers only
    assert _imported_modules_through_dlbook(ROOT / "dlbook" / "autograd.py") <= {"math", "numbers"}
    assert _imported_modules(ROOT / "dlbook" / "autograd.py") - {"dlbook"} <= {"math", "numbers"}
    assert _imported_modules(ROOT / "dlbook" / "graph.py") <= {"math", "numbers"}


def test_importing_autograd_stays_light():
    code = (
        "import sys, dlbook.autograd; "
        "print(sorted(m for m in ('matplotlib', 'sklearn', 'graphviz') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
