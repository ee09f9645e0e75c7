"""dlbook.saving: the .npz + JSON checkpoint round-trips bit for bit, and format-1 files written
before saving.py existed still load and resume training exactly."""

import json
from pathlib import Path

import numpy as np
import pytest

from dlbook import saving
from dlbook.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from dlbook.model import Sequential
from dlbook.optim import SGD

DATA = Path(__file__).resolve().parent / "data"


def _model(seed=0):
    model = Sequential([
        Conv2D(3, (3, 3), padding="same", activation="relu", input_shape=(1, 8, 8)),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dropout(0.3),
        Dense(4, activation="softmax"),
    ], seed=seed)
    model.compile(optimizer=SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _data():
    rng = np.random.default_rng(1)
    return rng.random((24, 1, 8, 8), dtype=np.float32), rng.integers(0, 4, 24)


def test_save_model_and_load_model_round_trip_bit_for_bit(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, seed=2)
    saving.save_model(model, tmp_path / "m.npz")
    loaded = saving.load_model(tmp_path / "m.npz", Sequential)
    assert type(loaded) is Sequential and loaded.name == model.name and loaded.seed == 0
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    state, loaded_state = model.optimizer.state_dict(), loaded.optimizer.state_dict()
    assert state.keys() == loaded_state.keys()
    for key in state:
        np.testing.assert_array_equal(state[key], loaded_state[key])
    assert loaded.layers[3].rng.bit_generator.state == model.layers[3].rng.bit_generator.state
    assert loaded.predict(x).tobytes() == model.predict(x).tobytes()
    # the same next epoch (Dropout masks and optimizer moments included)
    model.fit(x, y, epochs=2, initial_epoch=1, batch_size=8, verbose=0, seed=2)
    loaded.fit(x, y, epochs=2, initial_epoch=1, batch_size=8, verbose=0, seed=2)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_file_holds_the_documented_entries(tmp_path):
    model = _model()
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        files = set(archive.files)
        spec = json.loads(str(archive["model.json"]))
    assert {"model.json", "weights/0/kernel", "weights/0/bias", "weights/4/kernel",
            "weights/4/bias", "optimizer/num_params"} <= files
    assert not any(key.startswith("weights/1/") or key.startswith("weights/3/") for key in files)
    assert spec["format"] == saving.FORMAT == "dlbook.Sequential"
    assert spec["format_version"] == saving.FORMAT_VERSION == 1
    assert spec["compile"] == {"optimizer": "SGD", "loss": "sparse_categorical_crossentropy",
                               "metrics": ["accuracy"]}
    assert [layer["class_name"] for layer in spec["config"]["layers"]] == [
        "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Dense"]
    assert spec["config"]["input_shape"] == [1, 8, 8] and list(spec["extra_state"]) == ["3"]


def test_save_model_needs_a_built_model(tmp_path):
    with pytest.raises(ValueError, match="not built"):
        saving.save_model(Sequential([Dense(2)]), tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_an_optimizer_from_elsewhere_is_left_out_with_a_warning(tmp_path):
    class Halving(SGD):
        pass

    model = _model()
    model.compile(optimizer=Halving(), loss="sparse_categorical_crossentropy")
    with pytest.warns(UserWarning, match="Halving") as record:
        model.save(tmp_path / "m.npz")
    assert record[0].filename == __file__  # the warning points at the caller's save()
    assert not Sequential.load(tmp_path / "m.npz").compiled


def test_a_format_1_file_written_before_saving_py_loads_and_resumes_exactly():
    with np.load(DATA / "checkpoint_v1_expected.npz", allow_pickle=False) as archive:
        expected = {key: archive[key] for key in archive.files}
    model = Sequential.load(DATA / "checkpoint_v1.npz")
    assert model.name == "fixture" and model.seed == 3 and model.loss.startswith("sparse")
    assert model.predict(expected["x"]).tobytes() == expected["predict"].tobytes()
    weights = model.get_weights()
    assert len(weights) == 4
    for index, w in enumerate(weights):
        assert w.tobytes() == expected[f"weights_{index}"].tobytes()
    model.fit(expected["x"], expected["y"], epochs=2, initial_epoch=1, batch_size=16, verbose=0,
              seed=7)
    for index, w in enumerate(model.get_weights()):
        np.testing.assert_array_equal(w, expected[f"resumed_{index}"])
    again = saving.load_model(DATA / "checkpoint_v1.npz", Sequential)
    assert again.predict(expected["x"]).tobytes() == expected["predict"].tobytes()
