"""Bad input for saving and loading: a hostile table of files that ``load`` must refuse with one
ValueError naming the path (before allocating anything), and saves that name the user's path,
follow symbolic links and leave no stale temporary behind a killed save."""

import io
import json
import os
import re
import signal
import subprocess
import sys
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from dlbook import saving
from dlbook._model_spec import weight_shapes
from dlbook.layers import (AveragePooling2D, Conv2D, Dense, Dropout, Flatten, MaxPooling2D,
                           ZeroPadding2D, deserialize)
from dlbook.layers.serialization import _LAYER_CLASSES
from dlbook.model import Sequential
from dlbook.optim import Adam

ROOT = Path(__file__).resolve().parent.parent


def _model():
    model = Sequential([
        Conv2D(2, 3, padding="same", activation="relu", input_shape=(1, 6, 6)),
        MaxPooling2D(2),
        Flatten(),
        Dropout(0.3),
        Dense(3, activation="softmax"),
    ], seed=0)
    model.compile(optimizer=Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(0)
    model.fit(rng.random((4, 1, 6, 6), dtype=np.float32), np.arange(4) % 3, epochs=1,
              batch_size=4, verbose=0)
    return model


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "good.npz"
    _model().save(path)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    return path, arrays


def _spec(arrays):
    return json.loads(str(arrays["model.json"]))


def _with_spec(arrays, change):
    spec = _spec(arrays)
    change(spec)
    return {**arrays, "model.json": np.array(json.dumps(spec))}


def _set_layer(index, key, value):
    def change(spec):
        spec["config"]["layers"][index]["config"][key] = value
    return change


def _npy_bytes(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _zip(path, entries, compression=zipfile.ZIP_STORED):
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", compression=compression) as archive:
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name, which we want
        for name, data in entries:
            archive.writestr(name, data)


def _savez(path, arrays):
    np.savez(path, **arrays)


def _huge_dense(arrays):
    """A few hundred bytes declaring Dense(10**6) on 10**6 inputs (4 TB of float32 weights)."""
    spec = {"format": "dlbook.Sequential", "format_version": 1, "extra_state": {},
            "compile": None,
            "config": {"name": "m", "seed": 0, "dtype": "float32", "input_shape": [10**6],
                       "layers": [{"class_name": "Dense",
                                   "config": {"units": 10**6, "input_shape": [10**6]}}]}}
    return {"model.json": np.array(json.dumps(spec)), "weights/0/kernel": np.zeros(1, "f4"),
            "weights/0/bias": np.zeros(1, "f4")}


def _lying_header(path, arrays):
    """An entry whose .npy header declares a (10**6, 10**6) array but holds 16 bytes."""
    header = _npy_bytes(np.zeros((1, 1), np.float32))
    fake = header.replace(b"(1, 1)", b"(1000000, 1000000)")
    entries = [(f"{key}.npy", _npy_bytes(value)) for key, value in arrays.items()
               if key != "weights/4/kernel"]
    _zip(path, entries + [("weights/4/kernel.npy", fake + b"\0" * 12)])


def _nested(depth):
    return json.loads("[" * depth + "]" * depth)


def _deep_json(arrays):
    text = str(arrays["model.json"]).replace('"name": "sequential"',
                                             '"name": ' + "[" * 100_000 + "]" * 100_000)
    return {**arrays, "model.json": np.array(text)}


def _bytes(data):
    return lambda path, arrays: path.write_bytes(data)


def _arrays(make):
    return lambda path, arrays: _savez(path, make(arrays))


def _drop(key):
    return _arrays(lambda a: {k: v for k, v in a.items() if k != key})


def _replace(key, value):
    return _arrays(lambda a: {**a, key: value(a[key]) if callable(value) else value})


def _spec_change(change):
    return _arrays(lambda a: _with_spec(a, change))


# (name, how to write the file, words the message must contain)
HOSTILE = [
    ("empty", _bytes(b""), ["cannot be read"]),
    ("random_bytes", _bytes(np.random.default_rng(0).bytes(300)), ["cannot be read"]),
    ("text_file", _bytes(b"model = Sequential()\n"), ["cannot be read"]),
    ("truncated_half", lambda p, a: p.write_bytes(_good_bytes(a)[: len(_good_bytes(a)) // 2]),
     ["cannot be read"]),
    ("truncated_tail", lambda p, a: p.write_bytes(_good_bytes(a)[:-10]), ["cannot be read"]),
    ("single_npy", lambda p, a: p.write_bytes(_npy_bytes(np.zeros(3))), ["single .npy array"]),
    ("zip_not_npz", lambda p, a: _zip(p, [("readme.txt", b"hello")]), ["not a .npy array"]),
    ("zip_entry_not_npy", lambda p, a: _zip(p, [("model.json.npy", b"hello")]),
     ["not a .npy array"]),
    ("compressed", lambda p, a: np.savez_compressed(p, **a), ["compressed"]),
    ("duplicate_entry", lambda p, a: _zip(p, [(f"{k}.npy", _npy_bytes(v)) for k, v in a.items()]
                                          + [("model.json.npy", _npy_bytes(a["model.json"]))]),
     ["twice"]),
    ("no_model_json", _drop("model.json"), ["model.json"]),
    ("missing_weight", _drop("weights/0/bias"), ["missing", "weights/0/bias"]),
    ("extra_weight", _arrays(lambda a: {**a, "weights/9/kernel": np.zeros(2, "f4")}),
     ["unexpected", "weights/9/kernel"]),
    ("renamed_weight", _arrays(lambda a: {**{k: v for k, v in a.items() if k != "weights/0/kernel"},
                                          "weights/0/kernal": a["weights/0/kernel"]}),
     ["weights/0/kernel", "weights/0/kernal"]),
    ("extra_entry", _arrays(lambda a: {**a, "notes": np.zeros(1)}), ["unexpected", "notes"]),
    ("object_dtype_pickled", lambda p, a: _zip(p, [(f"{k}.npy", _npy_bytes(v)) for k, v in a.items()
                                                   if k != "weights/0/bias"]
                                               + [("weights/0/bias.npy",
                                                   _npy_bytes(np.array([1, "x"], object)))]),
     ["pickled"]),
    ("pickled_model_json", lambda p, a: _zip(p, [("model.json.npy",
                                                  _npy_bytes(np.array({"a": 1}, object)))]),
     ["pickled"]),
    ("record_dtype", _replace("weights/0/bias", np.zeros(2, [("a", "f4"), ("b", "f4")])),
     ["record"]),
    ("complex_weight", _replace("weights/0/bias", lambda v: v.astype(np.complex64)),
     ["weights/0/bias", "complex64"]),
    ("float16_weight", _replace("weights/0/bias", lambda v: v.astype(np.float16)),
     ["weights/0/bias", "float16"]),
    ("float64_weight_in_float32_model", _replace("weights/4/kernel", lambda v: v.astype("f8")),
     ["weights/4/kernel", "float64"]),
    ("wrong_weight_shape", _replace("weights/0/bias", np.zeros(5, "f4")),
     ["weights/0/bias", "(5,)", "(2,)"]),
    ("model_json_not_text", _replace("model.json", np.zeros(3)), ["model.json", "string"]),
    ("not_json", _replace("model.json", np.array("{not json")), ["model.json", "JSON"]),
    ("nan_in_metadata", _arrays(lambda a: {**a, "model.json": np.array(
        str(a["model.json"]).replace('"rate": 0.3', '"rate": NaN'))}), ["NaN"]),
    ("infinity_in_metadata", _arrays(lambda a: {**a, "model.json": np.array(
        str(a["model.json"]).replace('"learning_rate"', '"x"').replace(
            '"rate": 0.3', '"rate": -Infinity'))}), ["Infinity"]),
    ("deep_json", _arrays(_deep_json), ["nested too deeply"]),
    ("deep_but_parseable_value", _spec_change(lambda s: s["config"].__setitem__(
        "name", _nested(500))), ["name"]),
    ("missing_config", _spec_change(lambda s: s.pop("config")), ["config", "missing"]),
    ("missing_layer_config", _spec_change(lambda s: s["config"]["layers"][0].pop("config")),
     ["config.layers[0]", "missing"]),
    ("unknown_top_key", _spec_change(lambda s: s.__setitem__("hooks", [])), ["hooks"]),
    ("format_version", _spec_change(lambda s: s.__setitem__("format_version", 99)),
     ["version 99"]),
    ("not_a_model", _spec_change(lambda s: s.__setitem__("format", "keras")), ["describe"]),
    ("unknown_layer_class", _spec_change(
        lambda s: s["config"]["layers"][2].__setitem__("class_name", "Lambda")),
     ["config.layers[2]", "Lambda"]),
    ("layers_not_a_list", _spec_change(lambda s: s["config"].__setitem__("layers", {})),
     ["config.layers"]),
    ("negative_units", _spec_change(_set_layer(4, "units", -3)), ["config.layers[4]", "units"]),
    ("string_units", _spec_change(_set_layer(4, "units", "3")), ["config.layers[4]", "units"]),
    ("float_filters", _spec_change(_set_layer(0, "filters", 2.0)), ["filters"]),
    ("bad_padding", _spec_change(_set_layer(0, "padding", "full")), ["padding"]),
    ("rate_out_of_range", _spec_change(_set_layer(3, "rate", 1.5)), ["rate"]),
    ("unknown_layer_argument", _spec_change(_set_layer(2, "data_format", "NHWC")),
     ["config.layers[2]", "data_format"]),
    ("unknown_activation", _spec_change(_set_layer(4, "activation", "gelu")), ["gelu"]),
    ("layers_do_not_chain", _spec_change(lambda s: s["config"]["layers"].pop(2)),
     ["Flatten"]),
    ("layer_input_shape_disagrees", _spec_change(_set_layer(0, "input_shape", [3, 6, 6])),
     ["config.layers[0]", "input_shape"]),
    ("input_shape_zero", _spec_change(lambda s: s["config"].__setitem__("input_shape", [0, 6, 6])),
     ["input_shape"]),
    ("input_shape_strings", _spec_change(
        lambda s: s["config"].__setitem__("input_shape", ["1", "6", "6"])), ["input_shape"]),
    ("input_shape_huge", _spec_change(
        lambda s: s["config"].__setitem__("input_shape", [10**30, 6, 6])), ["input_shape"]),
    ("dtype_float16", _spec_change(lambda s: s["config"].__setitem__("dtype", "float16")),
     ["dtype", "float16"]),
    ("negative_seed", _spec_change(lambda s: s["config"].__setitem__("seed", -1)), ["seed"]),
    ("unknown_loss", _spec_change(lambda s: s["compile"].__setitem__("loss", "hinge")),
     ["loss", "hinge"]),
    ("unknown_optimizer", _spec_change(lambda s: s["compile"].__setitem__("optimizer", "Nadam")),
     ["Nadam"]),
    ("metrics_not_a_list", _spec_change(lambda s: s["compile"].__setitem__("metrics", "acc")),
     ["metrics"]),
    ("optimizer_without_compile", _spec_change(lambda s: s.__setitem__("compile", None)),
     ["compile"]),
    ("huge_num_params", _replace("optimizer/num_params", np.array(10**9)), ["parameters"]),
    ("moment_shape", _replace("optimizer/0.m", np.zeros(3, "f4")), ["optimizer/0.m", "shape"]),
    ("moment_complex", _replace("optimizer/0.m", lambda v: v.astype(np.complex64)),
     ["optimizer/0.m", "complex64"]),
    ("moment_for_a_missing_parameter", _arrays(
        lambda a: {**a, "optimizer/7.m": np.zeros(2, "f4")}), ["optimizer/7.m"]),
    ("negative_step", _replace("optimizer/0.step", np.array(-1)), ["step"]),
    ("bad_generator_state", _spec_change(
        lambda s: s["extra_state"]["3"]["rng"].__setitem__("state", "zero")),
     ["extra_state"]),
    ("extra_state_of_no_layer", _spec_change(lambda s: s["extra_state"].__setitem__("99", {})),
     ["extra_state"]),
    ("huge_dense_declared", _arrays(_huge_dense), ["weights/0/kernel", "(1000000, 1000000)"]),
    ("lying_npy_header", _lying_header, ["weights/4/kernel", "declares"]),
]


def _good_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize("name, write, words", HOSTILE, ids=[case[0] for case in HOSTILE])
def test_load_refuses_a_hostile_file_with_one_value_error_naming_the_path(
        tmp_path, good, name, write, words):
    path = tmp_path / f"{name}.npz"
    write(path, good[1])
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            Sequential.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert type(info.value) is ValueError
    assert message.startswith(f"{path}: ") and "\n" not in message and len(message) < 600
    for word in words:
        assert word in message, (word, message)
    assert "allow_pickle" not in message
    # nothing large was allocated: the peak stays within a few times the file's size
    assert peak < 4 * os.path.getsize(path) + 2_000_000, peak


def test_every_hostile_file_is_refused_by_load_model_too(tmp_path, good):
    path = tmp_path / "huge.npz"
    _savez(path, _huge_dense(good[1]))
    assert os.path.getsize(path) < 2000
    with pytest.raises(ValueError, match=re.escape(str(path))):
        saving.load_model(path, Sequential)


def test_load_of_a_directory_names_it(tmp_path):
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path}: is a directory")):
        Sequential.load(tmp_path)


def test_weight_shapes_are_those_a_build_creates():
    """The shapes load checks against the file, computed without building, are exactly those
    that building creates, for every serializable layer."""
    examples = {
        "Conv2D": [Conv2D(3, (2, 3), strides=2, padding="same", input_shape=(2, 7, 6)),
                   Conv2D(1, 1, use_bias=False, input_shape=(4, 3, 3))],
        "Dense": [Dense(5, input_shape=(7,)), Dense(2, use_bias=False, input_shape=(3,))],
        "MaxPooling2D": [MaxPooling2D(2, input_shape=(2, 4, 4))],
        "AveragePooling2D": [AveragePooling2D(2, input_shape=(2, 4, 4))],
        "Flatten": [Flatten(input_shape=(2, 3))],
        "Activation": [deserialize({"class_name": "Activation",
                                    "config": {"activation": "relu", "input_shape": [3]}})],
        "Dropout": [Dropout(0.5, input_shape=(3,))],
        "ZeroPadding2D": [ZeroPadding2D(((1, 2), (0, 3)), input_shape=(2, 4, 4))],
    }
    assert set(examples) == set(_LAYER_CLASSES)
    for layers in examples.values():
        for layer in layers:
            shape = layer.input_shape_argument
            declared = weight_shapes(layer, shape)
            layer.build(shape, rng=0)
            assert declared == {name: p.data.shape for name, p in layer.named_params().items()}


def test_good_files_still_load_exactly(tmp_path, good):
    path, arrays = good
    loaded = Sequential.load(path)
    assert [w.tobytes() for w in loaded.get_weights()] == [
        arrays[f"weights/{i}/{n}"].tobytes() for i, n in
        [(0, "kernel"), (0, "bias"), (4, "kernel"), (4, "bias")]]


# ---------------------------------------------------------------------------------------------
# save: the user's path, symbolic links, killed saves


def test_save_into_a_missing_directory_names_the_users_path(tmp_path):
    path = tmp_path / "no_such_dir" / "m.npz"
    with pytest.raises(FileNotFoundError) as info:
        _model().save(path)
    message = str(info.value)
    assert str(path) in message and ".tmp" not in message
    assert info.value.filename == str(path)


def test_save_over_a_directory_names_the_users_path(tmp_path):
    (tmp_path / "m.npz").mkdir()
    with pytest.raises(IsADirectoryError, match=re.escape(str(tmp_path / "m.npz"))):
        _model().save(tmp_path / "m.npz")
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_a_failing_write_names_the_users_path(tmp_path, monkeypatch):
    def broken_savez(file, **arrays):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError) as info:
        _model().save(tmp_path / "m.npz")
    assert str(tmp_path / "m.npz") in str(info.value) and ".tmp" not in str(info.value)
    assert info.value.errno == 28 and os.listdir(tmp_path) == []


def test_saving_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    target, link = tmp_path / "real.npz", tmp_path / "link.npz"
    first = _model()
    first.save(target)
    link.symlink_to(target)
    second = Sequential([Dense(2, input_shape=(3,))], seed=5)
    second.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(Sequential.load(target).get_weights()[0],
                                  second.get_weights()[0])
    assert sorted(os.listdir(tmp_path)) == ["link.npz", "real.npz"]


def test_saving_through_a_dangling_symlink_creates_its_target(tmp_path):
    target, link = tmp_path / "real.npz", tmp_path / "link.npz"
    link.symlink_to(target)
    Sequential([Dense(2, input_shape=(3,))], seed=5).save(link)
    assert link.is_symlink() and target.is_file()


_SLOW_SAVE = """
import sys, time
import numpy as np
from dlbook.layers import Dense
from dlbook.model import Sequential

def slow_savez(file, **arrays):
    file.write(b"PK" + b"\\0" * 1_000_000)
    file.flush()
    print("writing", flush=True)
    time.sleep(120)

np.savez = slow_savez
Sequential([Dense(2, input_shape=(3,))], seed=1).save(sys.argv[1])
"""


def _temporaries(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


def test_a_killed_save_leaves_the_target_whole_and_the_next_save_removes_its_temporary(tmp_path):
    path = tmp_path / "m.npz"
    before = Sequential([Dense(2, input_shape=(3,))], seed=0)
    before.save(path)
    (tmp_path / ".other.npz.1.abc.tmp").write_bytes(b"not ours")
    child = subprocess.Popen([sys.executable, "-c", _SLOW_SAVE, str(path)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
        ours = [name for name in _temporaries(tmp_path) if name.startswith(".m.npz.")]
        assert len(ours) == 1 and os.path.getsize(tmp_path / ours[0]) >= 1_000_000
        # a save while the other one is still writing leaves its temporary alone
        Sequential([Dense(2, input_shape=(3,))], seed=2).save(path)
        assert ours[0] in _temporaries(tmp_path)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert ours[0] in _temporaries(tmp_path)  # nothing could remove it at the kill
    np.testing.assert_array_equal(
        Sequential.load(path).get_weights()[0],
        Sequential([Dense(2, input_shape=(3,))], seed=2).get_weights()[0])
    after = Sequential([Dense(2, input_shape=(3,))], seed=3)
    after.save(path)
    assert _temporaries(tmp_path) == [".other.npz.1.abc.tmp"]
    np.testing.assert_array_equal(Sequential.load(path).get_weights()[0],
                                  after.get_weights()[0])
