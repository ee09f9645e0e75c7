"""The CNN chapter's pipeline: the chapter's network, stage by stage, on one digit.

The feature maps are the outputs of dlbook's layers, with the shapes those layers produce, after
exactly the training run that chapter 4 shows in its section "Training on handwritten digits":
the same data split, seed, optimizer, batch size and number of epochs, so the test accuracy the
figure quotes is the one the chapter prints.
"""

import matplotlib.pyplot as plt
import numpy as np
from drawing import blank, save
from matplotlib.patches import Rectangle

from dlbook.datasets import load_digits, stratified_split
from dlbook.layers import Conv2D, Dense, Flatten, MaxPooling2D
from dlbook.model import Sequential
from dlbook.optim import Adam
from dlbook.plotting import (
    FEATURE_MAP_CMAP,
    IMAGE_CMAP,
    NOTE_COLOR,
    OUTLINE_COLOR,
    PROBABILITY_CMAP,
)

CNN_DIGIT = 3
# the chapter's run: load_digits(test_fraction=0.2, seed=0), 15% of the training images (split
# seed 1) for validation, Sequential(seed=0), Adam(learning_rate=0.01), batches of 64
CNN_SEED = 0
CNN_EPOCHS = 40
CNN_BATCH_SIZE = 64


def _cnn_activations():
    """Train the chapter's CNN as chapter 4 does; return its stages on a test digit.

    Returns ``(stages, test_accuracy)`` with ``stages`` a list of
    ``(name, detail, output)``, each output the NCHW (or (N, features)) array the layer produced.
    """
    (x_train_full, y_train_full), (x_test, y_test) = load_digits(test_fraction=0.2, seed=0)
    train_idx, val_idx = stratified_split(y_train_full, test_fraction=0.15, seed=1)
    x_train, y_train = x_train_full[train_idx], y_train_full[train_idx]
    x_val, y_val = x_train_full[val_idx], y_train_full[val_idx]
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
    model.fit(x_train, y_train, epochs=CNN_EPOCHS, batch_size=CNN_BATCH_SIZE,
              validation_data=(x_val, y_val), verbose=0)
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
        ax.add_patch(Rectangle((left, bottom), size, size, fill=False, edgecolor=OUTLINE_COLOR,
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
                           edgecolor=OUTLINE_COLOR, linewidth=0.8, zorder=3))
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
                        arrowprops={"arrowstyle": "-|>", "lw": 1.4, "color": OUTLINE_COLOR},
                        zorder=40)
        if array.ndim == 4:
            maps = array[0]
            size = sizes[maps.shape[-1]]
            cmap = IMAGE_CMAP if name == "input" else FEATURE_MAP_CMAP
            offset = 0.08 if maps.shape[0] <= 8 else 0.045
            right = _slab_stack(ax, maps, x, size, offset, cmap)
            shape = "\u00d7".join(str(d) for d in maps.shape)
        elif name == "Flatten":
            right = _column(ax, array[0], x, 0.2, 2.2 / array.shape[1], FEATURE_MAP_CMAP)
            shape = f"{array.shape[1]}"
        else:
            cell = 0.22
            right = _column(ax, array[0], x, 0.3, cell, PROBABILITY_CMAP,
                            labels=[str(d) for d in range(array.shape[1])])
            best = int(np.argmax(array[0]))
            ax.text(right + 0.3, array.shape[1] * cell / 2 - (best + 0.5) * cell,
                    f"\u2190 p = {array[0, best]:.3f}", va="center", ha="left", fontsize=9)
            shape = f"{array.shape[1]}"
        centre = (x + right) / 2
        ax.text(centre, name_y, name, ha="center", va="bottom", fontsize=10.5,
                fontweight="bold")
        ax.text(centre, name_y - 0.05, detail, ha="center", va="top", fontsize=8.5,
                color=NOTE_COLOR, linespacing=1.15)
        ax.text(centre, shape_y, shape, ha="center", va="top", fontsize=11,
                family="DejaVu Sans Mono")
        previous_right = right
    ax.set_xlim(-0.2, previous_right + 1.75)
    ax.set_ylim(-1.8, 2.95)
    blank(ax)
    fig.suptitle(
        "The chapter's CNN on one 8\u00d78 digit; shapes are C\u00d7H\u00d7W per image "
        "(the arrays are NCHW: (N, C, H, W))",
        fontsize=11.5, y=0.975)
    fig.text(0.5, 0.02,
             f"Outputs of dlbook's layers after the training run of Chapter 4 ({CNN_EPOCHS} epochs "
             f"of Adam, seed {CNN_SEED}, test accuracy {accuracy:.2%}); channel 0 of each stack "
             "in front.",
             ha="center", va="bottom", fontsize=9.5, color=NOTE_COLOR)
    save(fig, path)
