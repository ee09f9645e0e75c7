"""Draw every diagram the chapters show, from dlbook's own numbers.

Usage::

    python figures/make_figures.py [--out DIR]

writes the PNG files listed in ``FIGURES`` into ``DIR`` (by default the folder holding this
script). Every number in the pictures is computed by ``dlbook``: the convolution outputs by
``dlbook.functional.conv2d``, the sizes by ``conv_output_size`` / ``resolve_padding``, the
feature maps by the chapter's CNN (``dlbook.model.Sequential``, trained for a few epochs on
``dlbook.datasets.load_digits``), the gradients by ``dlbook.autograd`` and the optimizer paths by
``dlbook.optim`` on ``dlbook.landscapes``. Everything random is seeded and the files carry no
timestamp or version, so running the script twice writes the same bytes.
"""

import argparse
from pathlib import Path

import matplotlib
import matplotlib.colors

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle  # noqa: E402

from dlbook import functional as F  # noqa: E402
from dlbook.autograd import Value, topological_order  # noqa: E402
from dlbook.datasets import load_digits  # noqa: E402
from dlbook.landscapes import ROSENBROCK_MINIMUM, rosenbrock, rosenbrock_grad, trajectory  # noqa: E402
from dlbook.layers import Conv2D, Dense, Flatten, MaxPooling2D  # noqa: E402
from dlbook.model import Sequential  # noqa: E402
from dlbook.optim import SGD, Adam, RMSProp  # noqa: E402
from dlbook.plotting import draw_graph  # noqa: E402

DPI = 120
SAVE_OPTIONS = {"dpi": DPI, "metadata": {"Software": None}, "facecolor": "white",
                "pil_kwargs": {"optimize": True}}
STYLE = {"font.size": 11, "axes.titlesize": 12, "font.family": "DejaVu Sans"}

INPUT_COLOR = "#dbe9f6"
PAD_COLOR = "#eeeeee"
WINDOW_COLOR = "#d62728"
OUTPUT_COLOR = "#fdf1d6"
HIGHLIGHT_COLOR = "#f4a259"
WEIGHTED_COLOR = "#f4bcb6"

# The worked example of the convolution chapter.
EXAMPLE_INPUT = np.array(
    [
        [1, 2, 3, 0, 1],
        [0, 1, 2, 3, 1],
        [3, 1, 2, 2, 0],
        [0, 2, 3, 1, 1],
        [1, 0, 2, 2, 3],
    ],
    dtype=float,
)
EXAMPLE_KERNEL = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=float)
EXAMPLE_OUTPUT = np.array([[10, 7, 9], [6, 9, 9], [10, 8, 8]], dtype=float)  # worked by hand


def _grid(ax, values, origin=(0.0, 0.0), cell=1.0, color=INPUT_COLOR, fontsize=13,
          fmt="{:g}", text_color="black", edgecolor="#555555"):
    """Draw a matrix as a grid of labelled squares; row 0 at the top, (x0, y0) its top-left."""
    x0, y0 = origin
    rows, cols = np.shape(values)
    for i in range(rows):
        for j in range(cols):
            fill = color[i][j] if isinstance(color, (list, np.ndarray)) else color
            ax.add_patch(Rectangle((x0 + j * cell, y0 - (i + 1) * cell), cell, cell,
                                   facecolor=fill, edgecolor=edgecolor, linewidth=1))
            value = values[i][j]
            if value is not None:
                ax.text(x0 + (j + 0.5) * cell, y0 - (i + 0.5) * cell, fmt.format(value),
                        ha="center", va="center", fontsize=fontsize, color=text_color)


def _outline(ax, top_left, rows, cols, color, linewidth=3.0, inset=0.0):
    """A coloured frame around ``rows`` x ``cols`` unit cells, ``inset`` inside their border."""
    x0, y0 = top_left
    ax.add_patch(Rectangle((x0 + inset, y0 - rows + inset), cols - 2 * inset, rows - 2 * inset,
                           fill=False, edgecolor=color, linewidth=linewidth, zorder=5))


def _blank(ax):
    """Equal scales on both axes and no frame, ticks or labels: a drawing surface."""
    ax.set_aspect("equal")
    ax.axis("off")


# ---------------------------------------------------------------------------------------------
# sliding_window.png


def sliding_window(path):
    """The 3x3 kernel sliding over the 5x5 input, valid padding, stride 1."""
    x = EXAMPLE_INPUT[None, None]
    w = EXAMPLE_KERNEL[None, None]
    y = F.conv2d(x, w)[0, 0]
    np.testing.assert_array_equal(y, EXAMPLE_OUTPUT)
    positions = [(0, 0), (0, 1), (2, 2)]

    fig, axes = plt.subplots(1, 3, figsize=(10, 5.9))
    out_cell = 0.85
    for ax, (i, j) in zip(axes, positions):
        _blank(ax)
        # the input, top-left corner at (0, 0); the cells under the window get their own labels
        under = np.zeros(EXAMPLE_INPUT.shape, dtype=bool)
        under[i:i + 3, j:j + 3] = True
        colors = np.where(under, np.where(np.pad(EXAMPLE_KERNEL, ((i, 2 - i), (j, 2 - j))) > 0,
                                          WEIGHTED_COLOR, INPUT_COLOR), INPUT_COLOR)
        values = [[None if under[r, c] else EXAMPLE_INPUT[r, c] for c in range(5)]
                  for r in range(5)]
        _grid(ax, values, origin=(0, 0), color=colors)
        for p in range(3):
            for q in range(3):
                left, top = j + q, -(i + p)
                ax.text(left + 0.4, top - 0.42, f"{EXAMPLE_INPUT[i + p, j + q]:g}", ha="center",
                        va="center", fontsize=13)
                ax.text(left + 0.95, top - 0.95, f"\u00d7{EXAMPLE_KERNEL[p, q]:g}", ha="right",
                        va="bottom", fontsize=8.5, color=WINDOW_COLOR)
        _outline(ax, (j, -i), 3, 3, WINDOW_COLOR, linewidth=3.5)
        # the output below, centred, the cell this window produces highlighted
        out_colors = [[HIGHLIGHT_COLOR if (r, c) == (i, j) else OUTPUT_COLOR for c in range(3)]
                      for r in range(3)]
        out_left = 2.5 - 1.5 * out_cell
        _grid(ax, y, origin=(out_left, -6.0), cell=out_cell, color=out_colors, fontsize=12)
        ax.text(2.5, -5.85, "output y = conv2d(x, w)", ha="center", va="bottom", fontsize=10.5)
        window = EXAMPLE_INPUT[i:i + 3, j:j + 3]
        terms = [f"{v:g}" for v, k in zip(window.ravel(), EXAMPLE_KERNEL.ravel()) if k]
        ax.text(2.5, -8.8, f"y[{i},{j}] = {' + '.join(terms)} = {y[i, j]:g}",
                ha="center", va="top", fontsize=11.5)
        ax.set_title(f"window at row {i}, column {j}", pad=4)
        ax.set_xlim(-0.2, 5.2)
        ax.set_ylim(-9.5, 0.2)

    fig.suptitle(
        "conv2d (valid padding, stride 1): the kernel [[1,0,1],[0,1,0],[1,0,1]] slides over a "
        "5\u00d75 input;\neach output cell sums the input cells under the window times their "
        "kernel weights (red): the shaded cells",
        fontsize=12,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    fig.savefig(path, **SAVE_OPTIONS)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# padding_stride.png


def _axes_in_inches(fig, left, bottom, xlim, ylim, unit):
    """An empty equal-aspect axes whose data unit is ``unit`` inches, placed in inches."""
    width_in, height_in = fig.get_size_inches()
    width = (xlim[1] - xlim[0]) * unit
    height = (ylim[1] - ylim[0]) * unit
    ax = fig.add_axes((left / width_in, bottom / height_in, width / width_in, height / height_in))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    _blank(ax)
    return ax


def padding_stride(path):
    """Zero padding with stride 2, and 'same' padding's asymmetric case."""
    unit = 0.4
    window_colors = [WINDOW_COLOR, "#1f77b4", "#2ca02c"]
    fig = plt.figure(figsize=(10, 7.1))
    top = _axes_in_inches(fig, 0.25, 2.65, (-0.6, 23.2), (-9.0, 1.2), unit)
    bottom = _axes_in_inches(fig, 0.25, 0.7, (-0.6, 23.2), (-3.2, 0.9), unit)

    # (a) 5x5 input, 1 pixel of zero padding, 3x3 window, stride 2.
    size, kernel, stride, pad = 5, 3, 2, 1
    (pad_top, pad_bottom), (pad_left, _) = F.resolve_padding(
        pad, (size, size), (kernel, kernel), (stride, stride))
    out = F.conv_output_size(size, kernel, stride, pad_top + pad_bottom)
    padded = size + pad_top + pad_bottom
    inside = [[pad_top <= r < pad_top + size and pad_left <= c < pad_left + size
               for c in range(padded)] for r in range(padded)]
    _grid(top, [[None if cell else 0 for cell in row] for row in inside], origin=(0, 0),
          color=[[INPUT_COLOR if cell else PAD_COLOR for cell in row] for row in inside],
          fontsize=10, text_color="#888888")
    starts = [(0, 0), (0, 1), (1, 0)]
    for (oi, oj), color, inset in zip(starts, window_colors, (0.06, 0.14, 0.14)):
        _outline(top, (oj * stride, -oi * stride), kernel, kernel, color, linewidth=3,
                 inset=inset)
    top.annotate("", xy=(stride + 1.5, 0.45), xytext=(1.5, 0.45),
                 arrowprops={"arrowstyle": "-|>", "lw": 1.6, "color": "#1f77b4"})
    top.text(1.5 + stride / 2, 0.6, f"stride {stride}", ha="center", va="bottom", fontsize=10.5)
    top.text(padded / 2, -padded - 0.3,
             f"{size}\u00d7{size} input (blue)\n+ {pad} pixel of zero padding (grey)",
             ha="center", va="top", fontsize=11)

    ox, oy = padded + 2.6, -(padded - out) / 2
    out_colors = [[OUTPUT_COLOR] * out for _ in range(out)]
    for (oi, oj), color in zip(starts, window_colors):
        out_colors[oi][oj] = color
    _grid(top, [[None] * out for _ in range(out)], origin=(ox, oy), color=out_colors)
    top.annotate("", xy=(ox - 0.3, -padded / 2), xytext=(padded + 0.3, -padded / 2),
                 arrowprops={"arrowstyle": "-|>", "lw": 2, "color": "black"})
    top.text(ox + out / 2, oy - out - 0.3, f"{out}\u00d7{out} output:\none cell per window",
             ha="center", va="top", fontsize=11)
    top.text(ox + out + 1.2, oy - 0.2,
             "out = \u230a(in + p_total \u2212 k) / s\u230b + 1\n"
             f"    = \u230a({size} + {pad_top + pad_bottom} \u2212 {kernel}) / {stride}\u230b + 1"
             f" = {out}",
             ha="left", va="top", fontsize=11.5, family="DejaVu Sans Mono")
    top.text(ox + out + 1.2, oy - 2.0,
             "Three of the nine window positions are\ndrawn; each colours the output cell\n"
             "it produces.",
             ha="left", va="top", fontsize=10.5, color="#444444")
    top.set_title(f"(a) padding {pad}, {kernel}\u00d7{kernel} window, stride {stride}",
                  loc="left", fontsize=12)

    # (b) 'same' padding, width 6, kernel 3, stride 2: one row.
    width, kernel, stride = 6, 3, 2
    _, (left, right) = F.resolve_padding("same", (1, width), (1, kernel), (1, stride))
    out = F.conv_output_size(width, kernel, stride, "same")
    total = left + right + width
    real = [left <= c < left + width for c in range(total)]
    _grid(bottom, [[None if r else 0 for r in real]], origin=(0, 0),
          color=[[INPUT_COLOR if r else PAD_COLOR for r in real]], fontsize=10,
          text_color="#888888")
    for c in range(width):
        bottom.text(left + c + 0.5, 0.12, f"{c}", ha="center", va="bottom", fontsize=9,
                    color="#555555")
    for k in range(out):
        start = k * stride
        y_level = -1.4 - 0.6 * k
        color = window_colors[k % len(window_colors)]
        bottom.plot([start + 0.08, start + kernel - 0.08], [y_level, y_level], color=color, lw=4,
                    solid_capstyle="butt")
        bottom.text(start + kernel + 0.15, y_level, f"window {k}", va="center", fontsize=9.5,
                    color=color)
    _grid(bottom, [[None] * out], origin=(ox, 0),
          color=[[window_colors[k % len(window_colors)] for k in range(out)]])
    bottom.annotate("", xy=(ox - 0.3, -0.5), xytext=(total + 0.3, -0.5),
                    arrowprops={"arrowstyle": "-|>", "lw": 2, "color": "black"})
    bottom.text(ox + out / 2, -1.3, f"{out} outputs", ha="center", va="top", fontsize=11)
    bottom.text(ox + out + 1.2, 0.2,
                f"in = {width}, k = {kernel}, s = {stride}\n"
                f"out = \u2308in / s\u2309 = {out}\n"
                f"p_total = (out \u2212 1)\u00b7s + k \u2212 in = {left + right}\n"
                f"\u2192 {left} left, {right} right (as TensorFlow)",
                ha="left", va="top", fontsize=11.5, family="DejaVu Sans Mono")
    bottom.set_title("(b) padding='same', stride 2: the odd padding pixel goes right",
                     loc="left", fontsize=12)

    fig.text(0.5, 0.025,
             "Along each axis: out = \u230a(in + p_total \u2212 k) / s\u230b + 1;"
             " 'same' pads so that out = \u2308in / s\u2309.",
             ha="center", va="bottom", fontsize=11.5)
    fig.savefig(path, **SAVE_OPTIONS)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# cnn_pipeline.png

CNN_DIGIT = 3
CNN_SEED = 0
CNN_EPOCHS = 5


def _cnn_activations():
    """Train the chapter's small CNN briefly on load_digits; return its stages on a test digit.

    Returns ``(stages, test_accuracy)`` with ``stages`` a list of
    ``(name, detail, output)``, each output the NCHW (or (N, features)) array the layer produced.
    """
    (x_train, y_train), (x_test, y_test) = load_digits()
    model = Sequential([
        Conv2D(filters=8, kernel_size=(3, 3), padding="same", activation="relu",
               input_shape=(1, 8, 8)),
        MaxPooling2D(pool_size=(2, 2)),
        Conv2D(filters=16, kernel_size=(3, 3), padding="same", activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dense(10, activation="softmax"),
    ], seed=CNN_SEED)
    model.compile(optimizer=Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=CNN_EPOCHS, batch_size=32, verbose=0)
    accuracy = float(np.mean(np.argmax(model.predict(x_test), axis=1) == y_test))

    index = int(np.flatnonzero(y_test == CNN_DIGIT)[0])
    x = x_test[index:index + 1]
    stages = [("input", "a test digit\n(load_digits)", x)]
    details = {
        Conv2D: lambda layer: (f"{layer.filters} filters {layer.kernel_size[0]}\u00d7"
                               f"{layer.kernel_size[1]}, 'same'\n+ ReLU"),
        MaxPooling2D: lambda layer: f"{layer.pool_size[0]}\u00d7{layer.pool_size[1]}",
        Flatten: lambda layer: "",
        Dense: lambda layer: f"{layer.units} units\n+ softmax",
    }
    for layer in model.layers:
        x = layer.forward(x)
        detail = details[type(layer)](layer)
        count = sum(p.data.size for p in layer.params)
        if count:
            detail += f"\n{count} params"
        stages.append((type(layer).__name__, detail, np.asarray(x, dtype=np.float64)))
    return stages, accuracy


def _slab_stack(ax, maps, x0, size, offset, cmap):
    """Draw (C, H, W) feature maps as a stack of square slabs, channel 0 in front."""
    channels = maps.shape[0]
    top = max(float(maps.max()), 1e-12)
    for k in reversed(range(channels)):
        left, bottom = x0 + k * offset, -size / 2 + k * offset
        ax.imshow(maps[k], cmap=cmap, vmin=0.0, vmax=top, extent=(left, left + size, bottom,
                  bottom + size), interpolation="nearest", zorder=2 + channels - k)
        ax.add_patch(Rectangle((left, bottom), size, size, fill=False, edgecolor="#333333",
                               linewidth=0.8, zorder=2 + channels - k))
    return x0 + size + (channels - 1) * offset  # right edge of the back slab


def _column(ax, values, x0, width, cell, cmap, labels=None):
    """A vertical column of cells, one per value, centred on y = 0."""
    n = len(values)
    top = max(float(np.max(values)), 1e-12)
    ax.imshow(np.asarray(values)[:, None], cmap=cmap, vmin=0.0, vmax=top,
              extent=(x0, x0 + width, -n * cell / 2, n * cell / 2), interpolation="nearest",
              zorder=2, aspect="auto")
    ax.add_patch(Rectangle((x0, -n * cell / 2), width, n * cell, fill=False,
                           edgecolor="#333333", linewidth=0.8, zorder=3))
    if labels is not None:
        for i, label in enumerate(labels):
            ax.text(x0 + width + 0.08, n * cell / 2 - (i + 0.5) * cell, label, va="center",
                    ha="left", fontsize=8.5)
    return x0 + width


def cnn_pipeline(path):
    """The chapter's CNN, stage by stage, with the shapes dlbook's layers produce."""
    stages, accuracy = _cnn_activations()
    fig = plt.figure(figsize=(10, 3.9))
    ax = fig.add_axes((0.01, 0.075, 0.98, 0.82))
    sizes = {8: 1.9, 4: 1.15, 2: 0.7}
    name_y, shape_y = 2.5, -1.3
    x, previous_right = 0.0, None
    for name, detail, array in stages:
        if previous_right is not None:
            x = previous_right + (1.25 if name in ("Flatten", "Dense") else 0.95)
            ax.annotate("", xy=(x - 0.12, 0), xytext=(previous_right + 0.12, 0),
                        arrowprops={"arrowstyle": "-|>", "lw": 1.4, "color": "#333333"},
                        zorder=40)
        if array.ndim == 4:
            maps = array[0]
            size = sizes[maps.shape[-1]]
            cmap = "gray_r" if name == "input" else "viridis"
            offset = 0.08 if maps.shape[0] <= 8 else 0.045
            right = _slab_stack(ax, maps, x, size, offset, cmap)
            shape = "\u00d7".join(str(d) for d in maps.shape)
        elif name == "Flatten":
            right = _column(ax, array[0], x, 0.2, 2.2 / array.shape[1], "viridis")
            shape = f"{array.shape[1]}"
        else:
            cell = 0.22
            right = _column(ax, array[0], x, 0.3, cell, "Greens",
                            labels=[str(d) for d in range(array.shape[1])])
            best = int(np.argmax(array[0]))
            ax.text(right + 0.3, array.shape[1] * cell / 2 - (best + 0.5) * cell,
                    f"\u2190 p = {array[0, best]:.3f}", va="center", ha="left", fontsize=9)
            shape = f"{array.shape[1]}"
        centre = (x + right) / 2
        ax.text(centre, name_y, name, ha="center", va="bottom", fontsize=10.5,
                fontweight="bold")
        ax.text(centre, name_y - 0.05, detail, ha="center", va="top", fontsize=8.5,
                color="#444444", linespacing=1.15)
        ax.text(centre, shape_y, shape, ha="center", va="top", fontsize=11,
                family="DejaVu Sans Mono")
        previous_right = right
    ax.set_xlim(-0.2, previous_right + 1.75)
    ax.set_ylim(-1.8, 2.95)
    _blank(ax)
    fig.suptitle(
        "The chapter's CNN on one 8\u00d78 digit; shapes are C\u00d7H\u00d7W per image "
        "(the arrays are NCHW: (N, C, H, W))",
        fontsize=11.5, y=0.975)
    fig.text(0.5, 0.02,
             f"Outputs of dlbook's layers after {CNN_EPOCHS} epochs of Adam on load_digits "
             f"(seed {CNN_SEED}, test accuracy {accuracy:.1%}); channel 0 of each stack in front.",
             ha="center", va="bottom", fontsize=9.5, color="#444444")
    fig.savefig(path, **SAVE_OPTIONS)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# computational_graph.png

LEAF_COLOR = "#e8f0fe"  # the colours of dlbook.plotting.draw_graph
OP_COLOR = "#fff3d6"
GRAD_COLOR = "#c0392b"


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
                                facecolor=LEAF_COLOR if not node._prev else "white",
                                edgecolor="0.2", zorder=2))
    ax.text(x, y, f"{name}\ndata {node.data:.4f}\ngrad {node.grad:.4f}", ha="center",
            va="center", fontsize=10, family="monospace", zorder=3)


def _op_circle(ax, centre, symbol, radius=0.3):
    ax.add_patch(Circle(centre, radius, facecolor=OP_COLOR, edgecolor="0.2", zorder=2))
    ax.text(*centre, symbol, ha="center", va="center", fontsize=12, zorder=3)


def _edge(ax, start, end, rad=0.0, label=None, label_at=None):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color="0.3",
                                 linewidth=1.1, connectionstyle=f"arc3,rad={rad}", zorder=1,
                                 shrinkA=0, shrinkB=0))
    if label is not None:
        ax.text(*label_at, label, ha="center", va="center", fontsize=10, color=GRAD_COLOR,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5}, zorder=4)


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
            va="center", fontsize=9.5, color=GRAD_COLOR)
    ax.set_xlim(-1.25, 12.9)
    ax.set_ylim(-1.75, 1.3)
    _blank(ax)


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
    fig.savefig(path, **SAVE_OPTIONS)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# adam_rosenbrock.png

ROSENBROCK_START = (-1.5, 2.0)
ROSENBROCK_STEPS = 1000
MARK_EVERY = 100
CONTOUR_COLORS = matplotlib.colors.LinearSegmentedColormap.from_list(
    "pale", ["#ffffff", "#b4c7dc"])


def _hessian(gradient, point, step=1e-5):
    """Central-difference Hessian of a 2-D function from its gradient, symmetrised."""
    point = np.asarray(point, dtype=float)
    columns = [(gradient(point + step * e) - gradient(point - step * e)) / (2 * step)
               for e in np.eye(2)]
    hessian = np.stack(columns, axis=1)
    return (hessian + hessian.T) / 2


def adam_rosenbrock(path):
    """SGD, momentum, RMSProp and Adam from (-1.5, 2) on the Rosenbrock function."""
    runs = [
        ("SGD", "lr 0.001", SGD(learning_rate=0.001), "#7f7f7f"),
        ("Momentum", "lr 0.001, \u03bc 0.9", SGD(learning_rate=0.001, momentum=0.9), "#1f77b4"),
        ("RMSProp", "lr 0.01, \u03c1 0.9", RMSProp(learning_rate=0.01), "#2ca02c"),
        ("Adam", "lr 0.1, \u03b2 0.9, 0.999", Adam(learning_rate=0.1), "#d62728"),
    ]
    xs, ys = np.meshgrid(np.linspace(-2.0, 2.0, 241), np.linspace(-0.75, 3.0, 241))
    z = np.maximum(rosenbrock(np.stack([xs, ys], axis=-1)), 1e-6)
    levels = np.logspace(-0.5, 3.5, 9)

    fig = plt.figure(figsize=(10, 6.4))
    outer = fig.add_gridspec(1, 2, width_ratios=[2, 1.3], wspace=0.2, left=0.055,
                             right=0.975, top=0.855, bottom=0.09)
    grid = outer[0].subgridspec(2, 2, wspace=0.08, hspace=0.12)
    path_axes = [fig.add_subplot(grid[r, c]) for r in range(2) for c in range(2)]
    loss_ax = fig.add_subplot(outer[1])
    steps = np.arange(ROSENBROCK_STEPS + 1)
    stable_rate = 2.0 / np.linalg.eigvalsh(_hessian(rosenbrock_grad, ROSENBROCK_START)).max()
    for ax, (name, setting, optimizer, color) in zip(path_axes, runs):
        path_xy = trajectory(optimizer, rosenbrock_grad, ROSENBROCK_START, ROSENBROCK_STEPS)
        values = rosenbrock(path_xy)
        ax.contourf(xs, ys, z, levels=levels, cmap=CONTOUR_COLORS, extend="both",
                    norm=matplotlib.colors.LogNorm(levels[0], levels[-1]))
        ax.plot(path_xy[:, 0], path_xy[:, 1], color=color, lw=1.4)
        marks = path_xy[MARK_EVERY::MARK_EVERY]
        ax.plot(marks[:, 0], marks[:, 1], "o", color=color, ms=4, mec="white", mew=0.6)
        ax.plot(*ROSENBROCK_START, "ks", ms=5)
        ax.plot(*ROSENBROCK_MINIMUM, "k*", ms=11, zorder=6)
        ax.text(0.03, 0.04, f"{name}\n{setting}", transform=ax.transAxes, fontsize=9.5,
                va="bottom", color=color, fontweight="bold",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5})
        ax.text(0.97, 0.96, f"f = {values[-1]:.1e}", transform=ax.transAxes, fontsize=9.5,
                ha="right", va="top",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5})
        ax.set_xlim(-2.0, 2.0)
        ax.set_ylim(-0.75, 3.0)
        ax.set_xticks([-1, 0, 1])
        ax.set_yticks([0, 1, 2, 3])
        ax.tick_params(labelsize=9)
        loss_ax.semilogy(steps, values, color=color, lw=1.6, label=f"{name} ({setting})")
    for ax in path_axes[:2]:
        ax.tick_params(labelbottom=False)
    for ax in path_axes[1::2]:
        ax.tick_params(labelleft=False)
    for ax in path_axes[2:]:
        ax.set_xlabel("x")
    for ax in path_axes[::2]:
        ax.set_ylabel("y")
    path_axes[0].annotate("start", ROSENBROCK_START, xytext=(6, 2), textcoords="offset points",
                          fontsize=9.5)
    path_axes[0].annotate("min (1, 1)", ROSENBROCK_MINIMUM, xytext=(-4, 8), ha="right",
                          textcoords="offset points", fontsize=9.5)
    loss_ax.set_xlabel("step")
    loss_ax.set_ylabel("f(x, y)")
    loss_ax.set_xlim(0, ROSENBROCK_STEPS)
    loss_ax.grid(True, which="major", color="#e5e5e5")
    loss_ax.set_title("f along the path", fontsize=11)
    loss_ax.legend(loc="lower left", fontsize=9.5, framealpha=0.95)
    fig.suptitle(
        f"Rosenbrock f = (1 \u2212 x)\u00b2 + 100 (y \u2212 x\u00b2)\u00b2: {ROSENBROCK_STEPS} steps "
        f"from (\u22121.5, 2), a dot every {MARK_EVERY} steps\n"
        f"SGD's learning rate is capped by the steep walls (2/\u03bb_max = {stable_rate:.5f} at "
        "the start), so it crawls along the valley floor",
        fontsize=11.5)
    fig.savefig(path, **SAVE_OPTIONS)
    plt.close(fig)


FIGURES = {
    "sliding_window.png": sliding_window,
    "padding_stride.png": padding_stride,
    "cnn_pipeline.png": cnn_pipeline,
    "computational_graph.png": computational_graph,
    "adam_rosenbrock.png": adam_rosenbrock,
}


def main(argv=None):
    """Write every figure of ``FIGURES`` into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="folder to write the PNG files into (default: this script's folder)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(STYLE):
        for name, draw in FIGURES.items():
            draw(args.out / name)
            print(args.out / name)


if __name__ == "__main__":
    main()
