"""The plots the chapters and ``figures/`` share, drawn with matplotlib only, and their palette.

This is the one dlbook module that imports matplotlib; the rest of the library stays light.
Every colour and style the book's pictures use is a constant here, so that ``draw_graph`` in a
chapter and the diagrams of ``figures/make_figures.py`` look alike and change together.
"""

import math

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from dlbook.autograd import Value, topological_order

__all__ = [
    "draw_graph",
    "plot_history",
    "FIGURE_STYLE",
    "INK_COLOR",
    "PAPER_COLOR",
    "NOTE_COLOR",
    "CELL_EDGE_COLOR",
    "OUTLINE_COLOR",
    "PADDING_TEXT_COLOR",
    "GRIDLINE_COLOR",
    "NODE_EDGE_COLOR",
    "ARROW_COLOR",
    "LEAF_COLOR",
    "OPERATION_COLOR",
    "GRADIENT_COLOR",
    "INPUT_COLOR",
    "PADDING_COLOR",
    "OUTPUT_COLOR",
    "HIGHLIGHT_COLOR",
    "WEIGHTED_COLOR",
    "WINDOW_COLORS",
    "OPTIMIZER_COLORS",
    "CONTOUR_COLORS",
    "IMAGE_CMAP",
    "FEATURE_MAP_CMAP",
    "PROBABILITY_CMAP",
]

# ---- the palette ----------------------------------------------------------------------------

#: matplotlib rc settings of every figure of the book.
FIGURE_STYLE = {"font.size": 11, "axes.titlesize": 12, "font.family": "DejaVu Sans"}

INK_COLOR = "black"  # text, arrows and markers that carry the main message
PAPER_COLOR = "white"  # the background, and boxes that stand on it
NOTE_COLOR = "#444444"  # secondary text: details, captions
CELL_EDGE_COLOR = "#555555"  # the lines between the cells of a drawn array, and their indices
OUTLINE_COLOR = "#333333"  # frames around images and feature maps, pipeline arrows
PADDING_TEXT_COLOR = "#888888"  # the zeros written in padding cells
GRIDLINE_COLOR = "#e5e5e5"  # the grid of a line plot

# Computational graphs (draw_graph and the figures built on it).
NODE_EDGE_COLOR = "0.2"
ARROW_COLOR = "0.3"
LEAF_COLOR = "#e8f0fe"  # a leaf value: an input or a parameter
OPERATION_COLOR = "#fff3d6"  # the circle of an operation
GRADIENT_COLOR = "#c0392b"  # a gradient travelling backwards along an edge

# Arrays drawn cell by cell (convolution and padding diagrams).
INPUT_COLOR = "#dbe9f6"
PADDING_COLOR = "#eeeeee"
OUTPUT_COLOR = "#fdf1d6"
HIGHLIGHT_COLOR = "#f4a259"  # the output cell the drawn window produces
WEIGHTED_COLOR = "#f4bcb6"  # input cells under a nonzero kernel weight
# Successive window positions; the first is also the kernel's colour.
WINDOW_COLORS = ("#d62728", "#1f77b4", "#2ca02c")

# One colour per optimizer, the same in every plot that compares them.
OPTIMIZER_COLORS = {
    "SGD": "#7f7f7f", "Momentum": "#1f77b4", "RMSProp": "#2ca02c", "Adam": "#d62728",
}
CONTOUR_COLORS = ("#ffffff", "#b4c7dc")  # low to high, for the contours of a loss surface

IMAGE_CMAP = "gray_r"  # an input image (dark ink on white)
FEATURE_MAP_CMAP = "viridis"  # activations inside a network
PROBABILITY_CMAP = "Greens"  # a softmax output

# Layout of draw_graph, in data units (one unit is _INCHES_PER_UNIT inches on a figure it creates).
_COLUMN_PITCH = 2.8  # from one column to the next
_ROW_PITCH = 1.1
_BOX_WIDTH = 1.7
_BOX_HEIGHT = 0.8
_OP_RADIUS = 0.25
_OP_OFFSET = 1.4  # an operation sits this far left of the value it produces
_ARC_BEND = 0.35  # curvature of an arrow that skips columns
_INCHES_PER_UNIT = 0.75


def _graph_layout(root):
    """Column and (x, y) centre of every value node.

    An operation's result goes in column ``depth``, the longest path from a leaf to it; a leaf
    goes in the column just before its first use, so that its arrow does not cross the graph.
    """
    order = topological_order(root)
    position_in_order = {node: i for i, node in enumerate(order)}
    depth = {}
    for node in order:  # inputs come first, so their depth is known
        depth[node] = 1 + max(depth[child] for child in node._prev) if node._prev else 0
    column = {node: depth[node] for node in order if node._prev}
    for node in order:  # a leaf: one column before its leftmost use
        for child in node._prev:
            if not child._prev:
                column[child] = min(column.get(child, depth[node]), depth[node] - 1)
    column.setdefault(root, 0)  # a lone leaf

    columns = {}
    for node in order:
        columns.setdefault(column[node], []).append(node)

    centre = {}
    for c in sorted(columns):
        nodes = columns[c]
        if c > 0:  # interior nodes near their inputs (mean height); ties by topological order
            nodes.sort(key=lambda n: (-_mean_input_height(n, centre), position_in_order[n]))
        for row, node in enumerate(nodes):
            centre[node] = (c * _COLUMN_PITCH, ((len(nodes) - 1) / 2 - row) * _ROW_PITCH)
    return order, column, centre


def _mean_input_height(node, centre):
    """Mean y of the inputs already placed (0 for a leaf), to order a column."""
    heights = [centre[child][1] for child in node._prev if child in centre]
    return sum(heights) / len(heights) if heights else 0.0


def _arrow(ax, start, end, bend=0.0):
    ax.add_patch(
        FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=10, color=ARROW_COLOR, linewidth=1, zorder=1,
            connectionstyle=f"arc3,rad={bend}",
        )
    )


def draw_graph(root, ax=None, show_grad=True):
    """Draw the computational graph of a small :class:`~dlbook.autograd.Value` expression.

    Each value is a box with its label (if any), its data and, with ``show_grad``, its gradient,
    both to 4 decimals; each operation is a circle with its symbol (``+``, ``*``, ``tanh``, ...)
    just left of the value it produces. Arrows go from inputs to operations to outputs, left to
    right: the result of an operation sits in the column of its depth, the longest path from a
    leaf to it, and a leaf in the column just before its first use. The layout depends only on
    the graph, so the same expression always gives the same picture.

    Parameters
    ----------
    root : Value
        The output of the expression; every node it depends on is drawn.
    ax : matplotlib.axes.Axes, optional
        Where to draw. By default a new figure is created, sized to the graph.
    show_grad : bool
        Whether to print ``.grad`` (call ``root.backward()`` first for meaningful gradients).

    Returns
    -------
    ax : matplotlib.axes.Axes
        Its ``texts`` hold one text per value node (containing ``data`` and ``grad``) and one
        per operation; the arrows are patches.

    Examples
    --------
    >>> from dlbook.autograd import Value
    >>> x = Value(1.5, label="x")
    >>> y = x * x + x
    >>> y.backward()
    >>> ax = draw_graph(y)
    >>> sum("data" in text.get_text() for text in ax.texts)
    3
    """
    if not isinstance(root, Value):
        raise TypeError(f"root: needs a Value, got {type(root).__name__}")
    order, column, centre = _graph_layout(root)

    n_columns = max(column.values()) + 1
    n_rows = max(list(column.values()).count(c) for c in range(n_columns))
    x_min = -_BOX_WIDTH / 2 - 0.2
    x_max = (n_columns - 1) * _COLUMN_PITCH + _BOX_WIDTH / 2 + 0.2
    y_half = ((n_rows - 1) * _ROW_PITCH + _BOX_HEIGHT) / 2 + 0.2
    if any(column[node] - column[child] > 1 for node in order for child in node._prev):
        y_half += 0.6  # room for the arcs
    if ax is None:
        figure = plt.figure(figsize=((x_max - x_min) * _INCHES_PER_UNIT, 2 * y_half * _INCHES_PER_UNIT))
        ax = figure.add_axes((0, 0, 1, 1))

    for node in order:
        x, y = centre[node]
        lines = [node.label] if node.label else []
        lines.append(f"data {node.data:.4f}")
        if show_grad:
            lines.append(f"grad {node.grad:.4f}")
        ax.add_patch(
            FancyBboxPatch(
                (x - _BOX_WIDTH / 2, y - _BOX_HEIGHT / 2), _BOX_WIDTH, _BOX_HEIGHT,
                boxstyle="round,pad=0,rounding_size=0.1",
                facecolor=PAPER_COLOR if node._prev else LEAF_COLOR, edgecolor=NODE_EDGE_COLOR, zorder=2,
            )
        )
        ax.text(
            x, y, "\n".join(lines), ha="center", va="center", fontsize=8, family="monospace", zorder=3
        )
        if not node._prev:
            continue
        op_x = x - _OP_OFFSET
        ax.add_patch(Circle((op_x, y), _OP_RADIUS, facecolor=OPERATION_COLOR, edgecolor=NODE_EDGE_COLOR,
                            zorder=2))
        op_fontsize = 7 if len(node._op) > 2 else 9
        ax.text(op_x, y, node._op, ha="center", va="center", fontsize=op_fontsize, zorder=3)
        _arrow(ax, (op_x + _OP_RADIUS, y), (x - _BOX_WIDTH / 2, y))
        for child in node._prev:
            start = (centre[child][0] + _BOX_WIDTH / 2, centre[child][1])
            if column[node] - column[child] > 1:
                # skips a column: arc over the boxes in between, into the top of the circle
                start = (start[0], start[1] + _BOX_HEIGHT / 4)
                _arrow(ax, start, (op_x, y + _OP_RADIUS), bend=-_ARC_BEND)
                continue
            # end on the circle, on the side facing the input
            dx, dy = start[0] - op_x, start[1] - y
            norm = math.hypot(dx, dy)
            _arrow(ax, start, (op_x + _OP_RADIUS * dx / norm, y + _OP_RADIUS * dy / norm))

    ax.set_xlim(x_min, x_max)
    ax.set_ylim(-y_half, y_half)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def _history_series(history):
    """``(epochs, {key: values})`` of a History (or of a ``{key: values}`` dict, epochs from 0)."""
    series = getattr(history, "history", history)
    if not isinstance(series, dict) or not series:
        raise TypeError(f"history: needs the History that fit returns (or a non-empty dict of "
                        f"lists), got {type(history).__name__}")
    lengths = {len(values) for values in series.values()}
    if len(lengths) != 1:
        raise ValueError(f"history: needs one value per epoch for every key, got lengths "
                         f"{ {key: len(values) for key, values in series.items()} }")
    epochs = list(getattr(history, "epoch", range(lengths.pop())))
    return [epoch + 1 for epoch in epochs], series


def plot_history(history, ax=None):
    """Training curves: one axes per quantity (loss, each metric), epoch on x (from 1).

    ``history.history['loss']`` is drawn with label ``'training'`` and, if present,
    ``history.history['val_loss']`` on the same axes with label ``'validation'``; likewise for
    every other key not starting with ``'val_'``, in the order of the history.

    Parameters
    ----------
    history : History or dict of str to list of float
        What :meth:`~dlbook.model.Sequential.fit` returns.
    ax : matplotlib Axes or sequence of Axes, optional
        One per quantity; default: a new figure with one row of them.

    Returns
    -------
    fig, axes : matplotlib Figure and list of Axes
        ``axes[i]`` holds quantity ``i``'s lines.

    Examples
    --------
    >>> fig, axes = plot_history({"loss": [1.0, 0.5], "val_loss": [1.2, 0.8]})
    >>> [(line.get_label(), line.get_ydata().tolist()) for line in axes[0].lines]
    [('training', [1.0, 0.5]), ('validation', [1.2, 0.8])]
    >>> plt.close(fig)
    """
    epochs, series = _history_series(history)
    names = [key for key in series if not key.startswith("val_")]
    names += [key[4:] for key in series if key.startswith("val_") and key[4:] not in series]
    if ax is None:
        fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3), squeeze=False)
        axes = list(axes[0])
    else:
        axes = [ax] if hasattr(ax, "plot") else list(ax)
        if len(axes) != len(names) or not all(hasattr(each, "plot") for each in axes):
            raise ValueError(f"ax: needs {len(names)} matplotlib Axes, one for each of "
                             f"{names}, got {ax!r}")
        fig = axes[0].figure
    for axes_i, name in zip(axes, names):
        for key, label in ((name, "training"), (f"val_{name}", "validation")):
            if key in series:
                axes_i.plot(epochs, series[key], marker="o", label=label)
        axes_i.set_xlabel("epoch")
        axes_i.set_ylabel(name)
        axes_i.legend()
    return fig, axes
