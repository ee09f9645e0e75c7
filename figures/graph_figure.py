"""The backpropagation chapter's graph: data and gradients of a small expression, and a shared node.

The values and gradients are those of ``dlbook.autograd``; panel (a) is
``dlbook.plotting.draw_graph`` itself, panel (b) is drawn in the same style, with what each edge
sends backwards.
"""

import matplotlib.pyplot as plt
from drawing import blank, save
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from dlbook.autograd import Value, topological_order
from dlbook.plotting import (
    ARROW_COLOR,
    GRADIENT_COLOR,
    LEAF_COLOR,
    NODE_EDGE_COLOR,
    OPERATION_COLOR,
    PAPER_COLOR,
    draw_graph,
)


def _edge_gradients(root):
    """After ``root.backward()``: for every operation node, what its backward pass sends to each
    input, found by running that node's ``_backward`` alone on zeroed inputs."""
    sent = {}
    for node in topological_order(root):
        if not node._prev:
            continue
        saved = {child: child.grad for child in node._prev}
        for child in node._prev:
            child.grad = 0.0
        node._backward()
        sent[node] = {child: child.grad for child in node._prev}
        for child in node._prev:
            child.grad = saved[child]
    return sent


def _value_box(ax, centre, node, name, width=2.1, height=0.95):
    """A value node as dlbook.plotting.draw_graph shows it: name, data and grad in a box."""
    x, y = centre
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0,rounding_size=0.1",
                                facecolor=LEAF_COLOR if not node._prev else PAPER_COLOR,
                                edgecolor=NODE_EDGE_COLOR, zorder=2))
    ax.text(x, y, f"{name}\ndata {node.data:.4f}\ngrad {node.grad:.4f}", ha="center",
            va="center", fontsize=10, family="monospace", zorder=3)


def _op_circle(ax, centre, symbol, radius=0.3):
    ax.add_patch(Circle(centre, radius, facecolor=OPERATION_COLOR, edgecolor=NODE_EDGE_COLOR, zorder=2))
    ax.text(*centre, symbol, ha="center", va="center", fontsize=12, zorder=3)


def _edge(ax, start, end, rad=0.0, label=None, label_at=None):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color=ARROW_COLOR,
                                 linewidth=1.1, connectionstyle=f"arc3,rad={rad}", zorder=1,
                                 shrinkA=0, shrinkB=0))
    if label is not None:
        ax.text(*label_at, label, ha="center", va="center", fontsize=10, color=GRADIENT_COLOR,
                bbox={"facecolor": PAPER_COLOR, "edgecolor": "none", "pad": 0.5}, zorder=4)


def _shared_node_panel(ax):
    """y = x*x + x at x = 3, drawn from the Value graph, with what each edge sends back."""
    x = Value(3.0, label="x")
    square = x * x
    y = square + x
    y.label = "y"
    y.backward()
    sent = _edge_gradients(y)
    assert square._prev == (x,) and y._prev == (square, x), "the layout below is for this graph"

    # a node whose operation has one distinct input used it as both operands (x * x)
    both_operands = {node: 2 if len(node._prev) == 1 and node._op in ("*", "+") else 1
                     for node in (square, y)}
    half = sent[square][x] / both_operands[square]

    positions = {x: (0.0, -0.55), square: (4.2, 0.65), y: (8.6, 0.0)}
    ops = {square: (2.3, 0.65), y: (6.7, 0.0)}
    names = {x: "x", square: "x\u00b7x", y: "y"}
    for node, centre in positions.items():
        _value_box(ax, centre, node, names[node])
    for node, centre in ops.items():
        _op_circle(ax, centre, node._op)
        _edge(ax, (centre[0] + 0.3, centre[1]), (positions[node][0] - 1.05, positions[node][1]))
    # the two operands of x*x, both x
    _edge(ax, (1.05, -0.35), (2.3 - 0.21, 0.65 - 0.21), rad=0.25, label=f"{half:g}",
          label_at=(1.75, -0.05))
    _edge(ax, (1.05, -0.1), (2.3 - 0.27, 0.65 + 0.12), rad=-0.25, label=f"{half:g}",
          label_at=(1.2, 0.5))
    _edge(ax, (5.25, 0.65), (6.7 - 0.25, 0.17), label=f"{sent[y][square]:g}",
          label_at=(5.9, 0.38))
    _edge(ax, (1.05, -0.7), (6.7 - 0.27, -0.12), label=f"{sent[y][x]:g}",
          label_at=(4.2, -0.47))
    parts = [half] * both_operands[square] + [sent[y][x]]
    ax.text(4.2, -1.25,
            f"x.grad = {' + '.join(f'{p:g}' for p in parts)} = {x.grad:g} = 2x + 1: "
            "a node used several times sums what every use sends back",
            ha="center", va="top", fontsize=10.5)
    ax.text(10.0, 0.0, "red: the gradient each\nedge carries backwards", ha="left",
            va="center", fontsize=9.5, color=GRADIENT_COLOR)
    ax.set_xlim(-1.25, 12.9)
    ax.set_ylim(-1.75, 1.3)
    blank(ax)


def computational_graph(path):
    """L = (a*b + c)*f with data and gradients (draw_graph), and a node used several times."""
    a, b, c, f = (Value(v, label=n) for v, n in ((2.0, "a"), (-3.0, "b"), (10.0, "c"),
                                                 (-2.0, "f")))
    e = a * b
    e.label = "e = a\u00b7b"
    d = e + c
    d.label = "d = e + c"
    loss = d * f
    loss.label = "L = d\u00b7f"
    loss.backward()

    fig = plt.figure(figsize=(10, 5.6))
    top = fig.add_axes((0.01, 0.5, 0.98, 0.42))
    draw_graph(loss, ax=top)
    for text in top.texts:
        text.set_fontsize(text.get_fontsize() * 1.25)
    top.set_title("(a) L = (a\u00b7b + c)\u00b7f: data from the forward pass, grad = "
                  "\u2202L/\u2202node from L.backward()", loc="left", fontsize=11.5)
    bottom = fig.add_axes((0.01, 0.02, 0.98, 0.4))
    _shared_node_panel(bottom)
    bottom.set_title("(b) y = x\u00b7x + x at x = 3: x is used three times", loc="left",
                     fontsize=11.5)
    save(fig, path)
