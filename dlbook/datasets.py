"""Offline data for the chapters: scikit-learn's bundled digits and sample photograph, no download.

scikit-learn is imported inside the functions, so ``import dlbook`` stays light.
"""

import numpy as np

from dlbook._validation import as_array, boolean, fraction, non_negative_int

__all__ = ["load_digits", "sample_image", "stratified_split"]

SAMPLE_IMAGE_NAMES = ("china.jpg", "flower.jpg")

# ITU-R BT.601 luma weights for R, G, B.
GRAY_WEIGHTS = np.array([0.299, 0.587, 0.114])


def stratified_split(labels, test_fraction=0.2, seed=0):
    """Split sample indices into train and test so that every class keeps its proportion.

    Class by class (in increasing class order), the indices of that class are shuffled with one
    ``np.random.default_rng(seed)`` and the first :math:`n_c^{test} = \\operatorname{round}(f\\,
    n_c)` go to the test set, clipped to :math:`[1, n_c - 1]` when the class has at least two
    samples (a class with one sample goes to the training set). The split depends only on the
    labels, the fraction and the seed, not on the scikit-learn version.

    Parameters
    ----------
    labels : int ndarray, shape (N,)
    test_fraction : float in (0, 1)
    seed : int >= 0

    Returns
    -------
    train_indices, test_indices : int64 ndarray
        Disjoint, each sorted, together ``0 .. N-1``.

    Examples
    --------
    >>> train, test = stratified_split(np.array([0, 0, 0, 0, 1, 1, 1, 1]), test_fraction=0.25)
    >>> len(train), len(test)
    (6, 2)
    """
    labels = as_array(labels, "labels")
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"labels: needs a 1-D array of int class ids, got shape {labels.shape} "
            f"dtype {labels.dtype}"
        )
    test_fraction = fraction(test_fraction, "test_fraction", low_open=True)
    seed = non_negative_int(seed, "seed")
    rng = np.random.default_rng(seed)
    test_parts = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        n = members.size
        n_test = min(max(round(test_fraction * n), 1), n - 1)
        # argsort of uniform draws: a shuffle that depends only on the stream of doubles
        shuffled = members[np.argsort(rng.random(n), kind="stable")]
        test_parts.append(shuffled[:n_test])
    is_test = np.zeros(labels.size, dtype=bool)
    if test_parts:
        is_test[np.concatenate(test_parts)] = True
    return np.flatnonzero(~is_test).astype(np.int64), np.flatnonzero(is_test).astype(np.int64)


def load_digits(test_fraction=0.2, seed=0):
    """The 1,797 handwritten 8x8 digits that ship with scikit-learn, split into train and test.

    Pixels (0..16 in the original) are divided by 16, so they lie in [0, 1]. The split is
    stratified and fixed by ``seed`` (see :func:`stratified_split`): each of the ten classes is
    split in the proportion ``test_fraction``, up to one sample. Nothing is downloaded.

    Parameters
    ----------
    test_fraction : float in (0, 1)
        Share of each class that goes to the test set.
    seed : int >= 0
        Seed of the ``np.random.default_rng`` that chooses the test samples.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x``: float32 ndarray, shape (N, 1, 8, 8), NCHW with one channel, values in [0, 1];
        ``y``: int64 ndarray, shape (N,), the digit 0..9. Samples keep the dataset's order.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = load_digits()
    >>> x_train.shape, x_test.shape
    ((1438, 1, 8, 8), (359, 1, 8, 8))
    """
    test_fraction = fraction(test_fraction, "test_fraction", low_open=True)
    seed = non_negative_int(seed, "seed")
    from sklearn.datasets import load_digits as sklearn_load_digits

    digits = sklearn_load_digits()
    x = (np.asarray(digits.images, dtype=np.float64) / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = np.asarray(digits.target, dtype=np.int64)
    train, test = stratified_split(y, test_fraction, seed)
    return (x[train], y[train]), (x[test], y[test])


def sample_image(name="china.jpg", gray=True):
    """A real photograph from scikit-learn's bundled sample images, as floats in [0, 1].

    Gray levels use the ITU-R BT.601 luma weights,
    :math:`Y = 0.299\\,R + 0.587\\,G + 0.114\\,B`. Nothing is downloaded.

    Parameters
    ----------
    name : {'china.jpg', 'flower.jpg'}
        A temple in China, or a flower; both 427 x 640 pixels.
    gray : bool
        Return the gray image (default) or the RGB one.

    Returns
    -------
    image : float64 ndarray, shape (427, 640) if ``gray`` else (427, 640, 3), values in [0, 1]

    Examples
    --------
    >>> sample_image().shape
    (427, 640)
    """
    if not isinstance(name, str):
        raise TypeError(f"name: needs one of {SAMPLE_IMAGE_NAMES}, got {type(name).__name__}")
    if name not in SAMPLE_IMAGE_NAMES:
        raise ValueError(f"name: needs one of {SAMPLE_IMAGE_NAMES}, got {name!r}")
    gray = boolean(gray, "gray")
    from sklearn.datasets import load_sample_image

    rgb = np.asarray(load_sample_image(name), dtype=np.float64) / 255.0
    if not gray:
        return rgb
    return np.clip(rgb @ GRAY_WEIGHTS, 0.0, 1.0)
