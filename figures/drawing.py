"""What the figure modules share: how a figure is saved, and arrays drawn cell by cell.

The colours come from :mod:`dlbook.plotting`, like those of the chapters' own plots.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from dlbook.plotting import CELL_EDGE_COLOR, INK_COLOR, INPUT_COLOR, PAPER_COLOR

DPI = 120
# No timestamp or software version in the files, so the same drawing gives the same bytes.
SAVE_OPTIONS = {"dpi": DPI, "metadata": {"Software": None}, "facecolor": PAPER_COLOR,
                "pil_kwargs": {"optimize": True}}


def save(fig, path):
    """Write ``fig`` to ``path`` as a PNG with :data:`SAVE_OPTIONS`, then close it."""
    fig.savefig(path, **SAVE_OPTIONS)
    plt.close(fig)


def draw_cells(ax, values, origin=(0.0, 0.0), cell=1.0, color=INPUT_COLOR, fontsize=13,
          fmt="{:g}", text_color=INK_COLOR, edgecolor=CELL_EDGE_COLOR):
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


def outline(ax, top_left, rows, cols, color, linewidth=3.0, inset=0.0):
    """A coloured frame around ``rows`` x ``cols`` unit cells, ``inset`` inside their border."""
    x0, y0 = top_left
    ax.add_patch(Rectangle((x0 + inset, y0 - rows + inset), cols - 2 * inset, rows - 2 * inset,
                           fill=False, edgecolor=color, linewidth=linewidth, zorder=5))


def blank(ax):
    """Equal scales on both axes and no frame, ticks or labels: a drawing surface."""
    ax.set_aspect("equal")
    ax.axis("off")


def axes_in_inches(fig, left, bottom, xlim, ylim, unit):
    """An empty equal-aspect axes whose data unit is ``unit`` inches, placed in inches."""
    width_in, height_in = fig.get_size_inches()
    width = (xlim[1] - xlim[0]) * unit
    height = (ylim[1] - ylim[0]) * unit
    ax = fig.add_axes((left / width_in, bottom / height_in, width / width_in, height / height_in))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    blank(ax)
    return ax
