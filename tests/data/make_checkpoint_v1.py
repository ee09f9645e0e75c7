"""Write the format-1 checkpoint fixture that tests/test_saving.py loads.

The fixture pins the file format: a checkpoint written by an older dlbook must keep loading.
It was produced by the dlbook of commit 7063157 (before dlbook/saving.py existed), with

    PYTHONPATH=<a checkout of that commit> python tests/data/make_checkpoint_v1.py

and is not meant to be rewritten by newer code. It writes, next to this script:

- ``checkpoint_v1.npz``: a small compiled CNN with Dropout, trained for one epoch;
- ``checkpoint_v1_expected.npz``: inputs ``x``, the saved model's ``predict(x)``, its weights
  and the weights after one more epoch of ``fit`` (``initial_epoch=1``, same seed).
"""

from pathlib import Path

import numpy as np

from dlbook.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from dlbook.model import Sequential
from dlbook.optim import Adam

HERE = Path(__file__).resolve().parent


def main():
    rng = np.random.default_rng(0)
    x = rng.random((40, 1, 8, 8), dtype=np.float32)
    y = rng.integers(0, 4, 40)
    model = Sequential([
        Conv2D(3, (3, 3), padding="same", activation="relu", input_shape=(1, 8, 8)),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dropout(0.25),
        Dense(4, activation="softmax"),
    ], seed=3, name="fixture")
    model.compile(optimizer=Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, seed=7)
    model.save(HERE / "checkpoint_v1.npz")
    expected = {"x": x, "y": y, "predict": model.predict(x)}
    expected.update({f"weights_{i}": w for i, w in enumerate(model.get_weights())})
    model.fit(x, y, epochs=2, initial_epoch=1, batch_size=16, verbose=0, seed=7)
    expected.update({f"resumed_{i}": w for i, w in enumerate(model.get_weights())})
    np.savez(HERE / "checkpoint_v1_expected.npz", **expected)


if __name__ == "__main__":
    main()
