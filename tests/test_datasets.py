"""Offline data: shapes, dtypes, ranges, a stratified deterministic split, no network."""

import socket
import subprocess
import sys

import numpy as np
import pytest

from dlbook.datasets import load_digits, sample_image, stratified_split

N_DIGITS = 1797


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def _all_digits():
    from sklearn.datasets import load_digits as sklearn_load_digits

    bunch = sklearn_load_digits()
    return bunch.images, bunch.target


def test_digits_shapes_dtypes_and_ranges(digits):
    (x_train, y_train), (x_test, y_test) = digits
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    assert x_train.shape[1:] == (1, 8, 8) and x_test.shape[1:] == (1, 8, 8)
    assert x_train.shape[0] == y_train.shape[0] and x_test.shape[0] == y_test.shape[0]
    assert x_train.shape[0] + x_test.shape[0] == N_DIGITS
    assert x_test.shape[0] == pytest.approx(0.2 * N_DIGITS, abs=10)
    for x in (x_train, x_test):
        assert x.min() == 0.0 and x.max() == 1.0
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))


def test_digits_are_the_sklearn_pixels_over_16(digits):
    (x_train, y_train), (x_test, y_test) = digits
    images, target = _all_digits()
    x = np.concatenate([x_train, x_test])[:, 0]
    y = np.concatenate([y_train, y_test])
    # match each returned image to its original by content: the split is a permutation
    original = {(img.astype(np.float32) / 16).tobytes() for img in images}
    assert all(img.tobytes() in original for img in x)
    assert np.bincount(y).tolist() == np.bincount(target).tolist()


def test_train_and_test_indices_are_disjoint_and_cover_the_dataset():
    _, target = _all_digits()
    train, test = stratified_split(target, 0.2, 0)
    assert np.intersect1d(train, test).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(N_DIGITS))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)


def test_load_digits_returns_the_samples_of_the_split(digits):
    images, target = _all_digits()
    train, test = stratified_split(target, 0.2, 0)
    (x_train, y_train), (x_test, y_test) = digits
    np.testing.assert_array_equal(y_train, target[train])
    np.testing.assert_array_equal(y_test, target[test])
    np.testing.assert_array_equal(x_train[:, 0] * 16, images[train])
    np.testing.assert_array_equal(x_test[:, 0] * 16, images[test])


@pytest.mark.parametrize("test_fraction", [0.1, 0.2, 0.5, 0.75])
def test_split_is_stratified(test_fraction):
    (_, y_train), (_, y_test) = load_digits(test_fraction=test_fraction, seed=3)
    n_class = np.bincount(y_train, minlength=10) + np.bincount(y_test, minlength=10)
    n_test = np.bincount(y_test, minlength=10)
    assert np.all(np.abs(n_test - test_fraction * n_class) <= 1)


def test_split_is_deterministic_and_depends_on_the_seed():
    (x_a, y_a), (x_test_a, _) = load_digits(seed=0)
    (x_b, y_b), (x_test_b, _) = load_digits(seed=0)
    (x_c, _), (x_test_c, _) = load_digits(seed=1)
    np.testing.assert_array_equal(x_a, x_b)
    np.testing.assert_array_equal(y_a, y_b)
    np.testing.assert_array_equal(x_test_a, x_test_b)
    assert x_test_a.shape == x_test_c.shape
    assert not np.array_equal(x_test_a, x_test_c)


def test_split_of_a_known_seed_is_pinned():
    _, target = _all_digits()
    _, test = stratified_split(target, 0.2, 0)
    assert test.size == 359
    # a change here changes every number the chapters print about the digits
    assert test[:5].tolist() == [4, 13, 20, 28, 30]


def test_stratified_split_on_small_classes():
    labels = np.array([0, 0, 0, 0, 1, 1, 2])
    train, test = stratified_split(labels, test_fraction=0.25, seed=0)
    assert sorted(labels[test].tolist()) == [0, 1]  # at least one per class of two or more
    assert 6 in train  # a class of one sample stays in training


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"test_fraction": 0}, ValueError, "test_fraction"),
        ({"test_fraction": 1.0}, ValueError, "test_fraction"),
        ({"test_fraction": -0.2}, ValueError, "test_fraction"),
        ({"test_fraction": float("nan")}, ValueError, "test_fraction"),
        ({"test_fraction": "0.2"}, TypeError, "test_fraction"),
        ({"test_fraction": True}, TypeError, "test_fraction"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"seed": None}, TypeError, "seed"),
        ({"seed": -1}, ValueError, "seed"),
    ],
)
def test_load_digits_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_digits(**kwargs)


def test_stratified_split_rejects_float_labels():
    with pytest.raises(ValueError, match="labels"):
        stratified_split(np.array([0.0, 1.0]))


def test_sample_image_is_a_gray_photograph_in_unit_range():
    image = sample_image()
    assert image.shape == (427, 640)
    assert image.dtype == np.float64
    assert 0.0 <= image.min() < 0.1 and 0.9 < image.max() <= 1.0
    assert image.std() > 0.1  # a photograph, not a constant


def test_sample_image_gray_uses_itu_601_weights():
    rgb = sample_image(gray=False)
    assert rgb.shape == (427, 640, 3) and rgb.dtype == np.float64
    assert 0.0 <= rgb.min() and rgb.max() <= 1.0
    gray = sample_image(gray=True)
    luma = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    np.testing.assert_allclose(gray, luma, atol=1e-12)
    assert not np.allclose(gray, rgb.mean(axis=-1), atol=1e-3)


def test_flower_is_another_image():
    assert not np.array_equal(sample_image("flower.jpg"), sample_image("china.jpg"))


def test_sample_image_rejects_bad_arguments():
    with pytest.raises(ValueError, match="name"):
        sample_image("lena.png")
    with pytest.raises(TypeError, match="gray"):
        sample_image(gray=1)


def test_nothing_touches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the datasets must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    (x_train, _), _ = load_digits(seed=5)
    assert x_train.shape[0] > 0
    assert sample_image().shape == (427, 640)


def test_importing_datasets_does_not_import_sklearn():
    code = (
        "import sys, dlbook, dlbook.datasets; "
        "print('sklearn' in sys.modules, 'matplotlib' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: load_digits(test_fraction=1.0), ValueError,
         "test_fraction: needs a number in (0, 1), got 1.0"),
        (lambda: load_digits(test_fraction="0.2"), TypeError,
         "test_fraction: needs a real number in (0, 1), got '0.2'"),
        (lambda: stratified_split(np.array([0, 1]), test_fraction=0.0), ValueError,
         "test_fraction: needs a number in (0, 1), got 0.0"),
        (lambda: load_digits(seed=-1), ValueError, "seed: needs a non-negative integer, got -1"),
        (lambda: stratified_split(np.array([0, 1]), seed=True), TypeError,
         "seed: needs a non-negative integer, got True"),
        (lambda: sample_image(gray="yes"), TypeError, "gray: needs True or False, got 'yes'"),
    ],
)
def test_argument_errors_share_the_library_message_style(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message
