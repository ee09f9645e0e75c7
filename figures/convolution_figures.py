"""The convolution chapter's diagrams: the sliding window, and padding with strides.

Every number in them is computed by ``dlbook.functional``: the outputs by ``conv2d``, the sizes by
``conv_output_size`` and ``resolve_padding``.
"""

import matplotlib.pyplot as plt
import numpy as np
from drawing import axes_in_inches, blank, draw_cells, outline, save

from dlbook import functional as F
from dlbook.plotting import (
    CELL_EDGE_COLOR,
    HIGHLIGHT_COLOR,
    INK_COLOR,
    INPUT_COLOR,
    NOTE_COLOR,
    OUTPUT_COLOR,
    PADDING_COLOR,
    PADDING_TEXT_COLOR,
    WEIGHTED_COLOR,
    WINDOW_COLORS,
)

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
        blank(ax)
        # the input, top-left corner at (0, 0); the cells under the window get their own labels
        under = np.zeros(EXAMPLE_INPUT.shape, dtype=bool)
        under[i:i + 3, j:j + 3] = True
        colors = np.where(under, np.where(np.pad(EXAMPLE_KERNEL, ((i, 2 - i), (j, 2 - j))) > 0,
                                          WEIGHTED_COLOR, INPUT_COLOR), INPUT_COLOR)
        values = [[None if under[r, c] else EXAMPLE_INPUT[r, c] for c in range(5)]
                  for r in range(5)]
        draw_cells(ax, values, origin=(0, 0), color=colors)
        for p in range(3):
            for q in range(3):
                left, top = j + q, -(i + p)
                ax.text(left + 0.4, top - 0.42, f"{EXAMPLE_INPUT[i + p, j + q]:g}", ha="center",
                        va="center", fontsize=13)
                ax.text(left + 0.95, top - 0.95, f"\u00d7{EXAMPLE_KERNEL[p, q]:g}", ha="right",
                        va="bottom", fontsize=8.5, color=WINDOW_COLORS[0])
        outline(ax, (j, -i), 3, 3, WINDOW_COLORS[0], linewidth=3.5)
        # the output below, centred, the cell this window produces highlighted
        out_colors = [[HIGHLIGHT_COLOR if (r, c) == (i, j) else OUTPUT_COLOR for c in range(3)]
                      for r in range(3)]
        out_left = 2.5 - 1.5 * out_cell
        draw_cells(ax, y, origin=(out_left, -6.0), cell=out_cell, color=out_colors, fontsize=12)
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
    save(fig, path)


def padding_stride(path):
    """Zero padding with stride 2, and 'same' padding's asymmetric case."""
    unit = 0.4
    fig = plt.figure(figsize=(10, 7.1))
    top = axes_in_inches(fig, 0.25, 2.65, (-0.6, 23.2), (-9.0, 1.2), unit)
    bottom = axes_in_inches(fig, 0.25, 0.7, (-0.6, 23.2), (-3.2, 0.9), unit)

    # (a) 5x5 input, 1 pixel of zero padding, 3x3 window, stride 2.
    size, kernel, stride, pad = 5, 3, 2, 1
    (pad_top, pad_bottom), (pad_left, _) = F.resolve_padding(
        pad, (size, size), (kernel, kernel), (stride, stride))
    out = F.conv_output_size(size, kernel, stride, pad_top + pad_bottom)
    padded = size + pad_top + pad_bottom
    inside = [[pad_top <= r < pad_top + size and pad_left <= c < pad_left + size
               for c in range(padded)] for r in range(padded)]
    draw_cells(top, [[None if cell else 0 for cell in row] for row in inside], origin=(0, 0),
          color=[[INPUT_COLOR if cell else PADDING_COLOR for cell in row] for row in inside],
          fontsize=10, text_color=PADDING_TEXT_COLOR)
    starts = [(0, 0), (0, 1), (1, 0)]
    for (oi, oj), color, inset in zip(starts, WINDOW_COLORS, (0.06, 0.14, 0.14)):
        outline(top, (oj * stride, -oi * stride), kernel, kernel, color, linewidth=3,
                 inset=inset)
    top.annotate("", xy=(stride + 1.5, 0.45), xytext=(1.5, 0.45),
                 arrowprops={"arrowstyle": "-|>", "lw": 1.6, "color": WINDOW_COLORS[1]})
    top.text(1.5 + stride / 2, 0.6, f"stride {stride}", ha="center", va="bottom", fontsize=10.5)
    top.text(padded / 2, -padded - 0.3,
             f"{size}\u00d7{size} input (blue)\n+ {pad} pixel of zero padding (grey)",
             ha="center", va="top", fontsize=11)

    ox, oy = padded + 2.6, -(padded - out) / 2
    out_colors = [[OUTPUT_COLOR] * out for _ in range(out)]
    for (oi, oj), color in zip(starts, WINDOW_COLORS):
        out_colors[oi][oj] = color
    draw_cells(top, [[None] * out for _ in range(out)], origin=(ox, oy), color=out_colors)
    top.annotate("", xy=(ox - 0.3, -padded / 2), xytext=(padded + 0.3, -padded / 2),
                 arrowprops={"arrowstyle": "-|>", "lw": 2, "color": INK_COLOR})
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
             ha="left", va="top", fontsize=10.5, color=NOTE_COLOR)
    top.set_title(f"(a) padding {pad}, {kernel}\u00d7{kernel} window, stride {stride}",
                  loc="left", fontsize=12)

    # (b) 'same' padding, width 6, kernel 3, stride 2: one row.
    width, kernel, stride = 6, 3, 2
    _, (left, right) = F.resolve_padding("same", (1, width), (1, kernel), (1, stride))
    out = F.conv_output_size(width, kernel, stride, "same")
    total = left + right + width
    real = [left <= c < left + width for c in range(total)]
    draw_cells(bottom, [[None if r else 0 for r in real]], origin=(0, 0),
          color=[[INPUT_COLOR if r else PADDING_COLOR for r in real]], fontsize=10,
          text_color=PADDING_TEXT_COLOR)
    for c in range(width):
        bottom.text(left + c + 0.5, 0.12, f"{c}", ha="center", va="bottom", fontsize=9,
                    color=CELL_EDGE_COLOR)
    for k in range(out):
        start = k * stride
        y_level = -1.4 - 0.6 * k
        color = WINDOW_COLORS[k % len(WINDOW_COLORS)]
        bottom.plot([start + 0.08, start + kernel - 0.08], [y_level, y_level], color=color, lw=4,
                    solid_capstyle="butt")
        bottom.text(start + kernel + 0.15, y_level, f"window {k}", va="center", fontsize=9.5,
                    color=color)
    draw_cells(bottom, [[None] * out], origin=(ox, 0),
          color=[[WINDOW_COLORS[k % len(WINDOW_COLORS)] for k in range(out)]])
    bottom.annotate("", xy=(ox - 0.3, -0.5), xytext=(total + 0.3, -0.5),
                    arrowprops={"arrowstyle": "-|>", "lw": 2, "color": INK_COLOR})
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
    save(fig, path)
