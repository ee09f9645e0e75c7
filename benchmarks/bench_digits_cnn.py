"""Benchmark: wall time to train the book's LeNet-style CNN to 98.5% test accuracy on the digits.

The model is the one ``tests/test_model.py`` trains, written with Keras' lines::

    Conv2D(filters=16, kernel_size=(3, 3), strides=1, padding='same', activation='relu',
           input_shape=(1, 8, 8))
    MaxPooling2D(pool_size=(2, 2))
    Conv2D(filters=32, kernel_size=(3, 3), strides=1, padding='same', activation='relu')
    Flatten()
    Dense(10, activation='softmax')

compiled with ``Adam(learning_rate=0.001)`` and ``'categorical_crossentropy'``, trained with
``batch_size=16`` on ``load_digits()`` (1,438 training and 359 test images). After every epoch
the test accuracy is measured; the run stops at the first epoch that reaches the target.

The wall time covers the training epochs and these per-epoch evaluations (not the data loading
or the model construction). Every repeat uses the same seeds, so the epochs and the accuracy
are the same each time and only the time varies; the median time is reported.

Usage::

    python benchmarks/bench_digits_cnn.py                # target 98.5%, 3 repeats
    python benchmarks/bench_digits_cnn.py --repeats 5
    python benchmarks/bench_digits_cnn.py --quick        # 2 epochs, 1 repeat, no target
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

from dlbook.datasets import load_digits
from dlbook.layers import Conv2D, Dense, Flatten, MaxPooling2D
from dlbook.model import Sequential
from dlbook.optim import Adam

BATCH_SIZE = 16


def digits_cnn(seed):
    model = Sequential([
        Conv2D(filters=16, kernel_size=(3, 3), strides=1, padding="same", activation="relu",
               input_shape=(1, 8, 8)),
        MaxPooling2D(pool_size=(2, 2)),
        Conv2D(filters=32, kernel_size=(3, 3), strides=1, padding="same", activation="relu"),
        Flatten(),
        Dense(10, activation="softmax"),
    ], seed=seed)
    model.compile(optimizer=Adam(learning_rate=0.001), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train_to_target(data, seed, target, max_epochs):
    """Train epoch by epoch until the test accuracy reaches ``target``.

    Returns (seconds, epochs, test accuracy, test accuracy per epoch).
    """
    x_train, y_train, x_test, y_test = data
    model = digits_cnn(seed)
    accuracies = []
    start = time.perf_counter()
    for epoch in range(max_epochs):
        history = model.fit(x_train, y_train, epochs=epoch + 1, initial_epoch=epoch,
                            batch_size=BATCH_SIZE, validation_data=(x_test, y_test), verbose=0,
                            seed=seed)
        accuracies.append(history.history["val_accuracy"][-1])
        if target is not None and accuracies[-1] >= target:
            break
    seconds = time.perf_counter() - start
    return seconds, len(accuracies), accuracies[-1], accuracies


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--target", type=float, default=0.985, help="test accuracy to reach")
    parser.add_argument("--max-epochs", type=int, default=40, help="give up after this many")
    parser.add_argument("--seed", type=int, default=0, help="model and shuffling seed")
    parser.add_argument("--quick", action="store_true", help="2 epochs, 1 repeat, no target")
    args = parser.parse_args(argv)
    target = None if args.quick else args.target
    repeats = 1 if args.quick else args.repeats
    max_epochs = 2 if args.quick else args.max_epochs

    (x_train, y_train), (x_test, y_test) = load_digits()
    eye = np.eye(10, dtype=np.float32)
    data = (x_train, eye[y_train], x_test, eye[y_test])

    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"digits CNN: {len(x_train)} train / {len(x_test)} test images, batch size "
          f"{BATCH_SIZE}, Adam(0.001), seed {args.seed}; {os.cpu_count()} CPUs, "
          f"OPENBLAS_NUM_THREADS={threads}")
    digits_cnn(args.seed).summary()

    times = []
    for repeat in range(repeats):
        seconds, epochs, accuracy, accuracies = train_to_target(
            data, args.seed, target, max_epochs)
        times.append(seconds)
        print(f"run {repeat + 1}/{repeats}: {seconds:.2f} s, {epochs} epochs "
              f"({seconds / epochs:.3f} s/epoch), test accuracy {accuracy:.4f}")
    print("test accuracy per epoch: " + " ".join(f"{a:.3f}" for a in accuracies))
    median = statistics.median(times)
    print(f"median wall time: {median:.2f} s for {epochs} epochs to test accuracy "
          f"{accuracy:.4f}" + ("" if target is None else f" (target {target:.3f})"))
    if target is not None and accuracy < target:
        print(f"target {target:.3f} NOT reached in {max_epochs} epochs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
