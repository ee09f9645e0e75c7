"""Draw every diagram the chapters show, from dlbook's own numbers.

Usage::

    python figures/make_figures.py [--out DIR]

writes the PNG files listed in ``FIGURES`` into ``DIR`` (by default the folder holding this
script). Every number in the pictures is computed by ``dlbook``: the convolution outputs by
``dlbook.functional.conv2d``, the sizes by ``conv_output_size`` / ``resolve_padding``, the
feature maps by the chapter's CNN (``dlbook.model.Sequential``, trained on
``dlbook.datasets.load_digits`` exactly as chapter 4 trains it), the gradients by ``dlbook.autograd`` and the optimizer paths by
``dlbook.optim`` on ``dlbook.landscapes``. Everything random is seeded and the files carry no
timestamp or version, so running the script twice writes the same bytes.

The drawings live beside this script, one module per chapter's figures
(``convolution_figures``, ``cnn_figure``, ``graph_figure``, ``optimizer_figure``, with the
shared helpers in ``drawing``); their colours and styles come from ``dlbook.plotting``.
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, before any figure module imports pyplot

import matplotlib.pyplot as plt  # noqa: E402
from cnn_figure import cnn_pipeline  # noqa: E402
from convolution_figures import padding_stride, sliding_window  # noqa: E402
from graph_figure import computational_graph  # noqa: E402
from optimizer_figure import adam_rosenbrock  # noqa: E402

from dlbook.plotting import FIGURE_STYLE  # noqa: E402

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
    with plt.rc_context(FIGURE_STYLE):
        for name, draw in FIGURES.items():
            draw(args.out / name)
            print(args.out / name)


if __name__ == "__main__":
    main()
