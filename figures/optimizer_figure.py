"""The Adam chapter's race: SGD, momentum, RMSProp and Adam on the Rosenbrock function.

The paths are those of ``dlbook.optim``'s optimizers run by ``dlbook.landscapes.trajectory``.
"""

import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
from drawing import save

from dlbook.landscapes import ROSENBROCK_MINIMUM, rosenbrock, rosenbrock_grad, trajectory
from dlbook.optim import SGD, Adam, RMSProp
from dlbook.plotting import CONTOUR_COLORS, GRIDLINE_COLOR, INK_COLOR, OPTIMIZER_COLORS, PAPER_COLOR

ROSENBROCK_START = (-1.5, 2.0)
ROSENBROCK_STEPS = 1000
MARK_EVERY = 100
CONTOUR_COLORS = matplotlib.colors.LinearSegmentedColormap.from_list(
    "pale", list(CONTOUR_COLORS))


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
        ("SGD", "lr 0.001", SGD(learning_rate=0.001)),
        ("Momentum", "lr 0.001, \u03bc 0.9", SGD(learning_rate=0.001, momentum=0.9)),
        ("RMSProp", "lr 0.01, \u03c1 0.9", RMSProp(learning_rate=0.01)),
        ("Adam", "lr 0.1, \u03b2 0.9, 0.999", Adam(learning_rate=0.1)),
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
    for ax, (name, setting, optimizer) in zip(path_axes, runs):
        color = OPTIMIZER_COLORS[name]
        path_xy = trajectory(optimizer, rosenbrock_grad, ROSENBROCK_START, ROSENBROCK_STEPS)
        values = rosenbrock(path_xy)
        ax.contourf(xs, ys, z, levels=levels, cmap=CONTOUR_COLORS, extend="both",
                    norm=matplotlib.colors.LogNorm(levels[0], levels[-1]))
        ax.plot(path_xy[:, 0], path_xy[:, 1], color=color, lw=1.4)
        marks = path_xy[MARK_EVERY::MARK_EVERY]
        ax.plot(marks[:, 0], marks[:, 1], "o", color=color, ms=4, mec=PAPER_COLOR, mew=0.6)
        ax.plot(*ROSENBROCK_START, "s", color=INK_COLOR, ms=5)
        ax.plot(*ROSENBROCK_MINIMUM, "*", color=INK_COLOR, ms=11, zorder=6)
        ax.text(0.03, 0.04, f"{name}\n{setting}", transform=ax.transAxes, fontsize=9.5,
                va="bottom", color=color, fontweight="bold",
                bbox={"facecolor": PAPER_COLOR, "edgecolor": "none", "alpha": 0.85, "pad": 1.5})
        ax.text(0.97, 0.96, f"f = {values[-1]:.1e}", transform=ax.transAxes, fontsize=9.5,
                ha="right", va="top",
                bbox={"facecolor": PAPER_COLOR, "edgecolor": "none", "alpha": 0.85, "pad": 1.5})
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
    loss_ax.grid(True, which="major", color=GRIDLINE_COLOR)
    loss_ax.set_title("f along the path", fontsize=11)
    loss_ax.legend(loc="lower left", fontsize=9.5, framealpha=0.95)
    fig.suptitle(
        f"Rosenbrock f = (1 \u2212 x)\u00b2 + 100 (y \u2212 x\u00b2)\u00b2: {ROSENBROCK_STEPS} steps "
        f"from (\u22121.5, 2), a dot every {MARK_EVERY} steps\n"
        f"SGD's learning rate is capped by the steep walls (2/\u03bb_max = {stable_rate:.5f} at "
        "the start), so it crawls along the valley floor",
        fontsize=11.5)
    save(fig, path)
