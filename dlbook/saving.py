"""The checkpoint format of a Sequential model: one ``.npz`` of arrays plus a JSON description,
written atomically and validated entry by entry when it is read.

A file holds (no pickles anywhere):

- ``model.json``: a 0-d unicode array, the JSON of ``{"format": "dlbook.Sequential",
  "format_version": 1, "config": {name, seed, dtype, input_shape, layers: [{class_name,
  config}, ...]}, "extra_state": {layer index: {...}} (Dropout generators), "compile":
  {optimizer class, loss, metrics} or null}``;
- ``weights/{i}/{name}``: layer ``i``'s parameter ``name`` (``kernel``, ``bias``);
- ``optimizer/{key}``: the entries of the optimizer's ``state_dict()``.

:meth:`dlbook.model.Sequential.save` and :meth:`~dlbook.model.Sequential.load` call
:func:`save_model` and :func:`load_model`.
"""

import contextlib
import json
import os
import tempfile
import warnings
import zipfile

import numpy as np

from dlbook.compile_utils import OPTIMIZERS
from dlbook.layers import deserialize, serialize

__all__ = ["FORMAT", "FORMAT_VERSION", "save_model", "load_model"]

#: What ``model.json`` says it describes, and the version of the format this module reads.
FORMAT = "dlbook.Sequential"
FORMAT_VERSION = 1

_OPTIMIZER_CLASSES = {cls.__name__: cls for cls in OPTIMIZERS.values()}


def save_model(model, path):
    """Write a built ``model`` (architecture, weights and, if compiled, the optimizer) to
    ``path``, atomically.

    The arrays go to a temporary file in the same directory, which is flushed, synced and
    moved over ``path`` with ``os.replace``: ``path`` always holds a complete model, the
    previous one if writing fails. An optimizer that is not one of :mod:`dlbook.optim`'s is
    left out, with a warning.
    """
    if not model.built:
        raise ValueError("save: the model is not built yet; build it (or fit it) before saving")
    spec = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": {
            "name": model.name,
            "seed": model.seed,
            "dtype": model.dtype.name,
            "input_shape": list(model.input_shape),
            "layers": [serialize(layer) for layer in model.layers],
        },
        "extra_state": {
            str(index): state
            for index, layer in enumerate(model.layers)
            if (state := layer.get_extra_state())
        },
        "compile": None,
    }
    arrays = {}
    for index, layer in enumerate(model.layers):
        for name, p in layer.named_params().items():
            arrays[f"weights/{index}/{name}"] = p.data
    if model.compiled:
        class_name = type(model.optimizer).__name__
        if _OPTIMIZER_CLASSES.get(class_name) is type(model.optimizer):
            spec["compile"] = {"optimizer": class_name, "loss": model.loss,
                               "metrics": model.metrics}
            for key, value in model.optimizer.state_dict().items():
                arrays[f"optimizer/{key}"] = np.asarray(value)
        else:
            warnings.warn(
                f"save: the optimizer {class_name} is not one of dlbook.optim's; the model "
                f"is saved without it (compile it again after loading)",
                stacklevel=3,
            )
    arrays["model.json"] = np.array(json.dumps(spec))
    _write_atomically(os.fspath(path), arrays)


def _write_atomically(path, arrays):
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def load_model(path, model_class):
    """Read a model written by :func:`save_model` as a new ``model_class`` (a Sequential).

    Its ``predict`` equals the saved model's bit for bit and, if it was compiled, it is
    compiled with the optimizer state restored, so ``fit(..., initial_epoch=...)`` resumes
    training exactly.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is truncated, corrupt, not a dlbook model or of an unknown format
        version; the message names the path. Nothing is returned half-loaded.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: cannot be read as a dlbook model (.npz): {error}") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: holds a single .npy array, not a dlbook model (.npz)")
    try:
        with loaded:
            arrays = {key: loaded[key] for key in loaded.files}
        return _from_arrays(arrays, model_class)
    except (ValueError, TypeError, KeyError, AttributeError, EOFError, OSError,
            zipfile.BadZipFile, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a valid dlbook model file: {error}") from None


def _read_spec(arrays):
    if "model.json" not in arrays:
        raise ValueError("no 'model.json' entry (is this a file written by Sequential.save?)")
    text = arrays["model.json"]
    if text.ndim != 0 or text.dtype.kind != "U":
        raise ValueError("'model.json' is not a string")
    spec = json.loads(str(text))
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        raise ValueError(f"'model.json' does not describe a {FORMAT}")
    if spec.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"format version {spec.get('format_version')!r} is not supported (this dlbook "
            f"reads version {FORMAT_VERSION})"
        )
    return spec


def _from_arrays(arrays, model_class):
    spec = _read_spec(arrays)
    config = spec["config"]
    layers = [deserialize(layer_spec) for layer_spec in config["layers"]]
    model = model_class(layers, seed=config["seed"], dtype=config["dtype"], name=config["name"])
    model.build(tuple(config["input_shape"]))
    weight_keys = _restore_weights(model, arrays)
    extra_state = spec.get("extra_state", {})
    for index, layer in enumerate(model.layers):
        state = extra_state.get(str(index))
        if state:
            layer.set_extra_state(state)
    optimizer_keys = {key for key in arrays if key.startswith("optimizer/")}
    other = set(arrays) - weight_keys - optimizer_keys - {"model.json"}
    if other:
        raise ValueError(f"unexpected entries {sorted(other)[:5]}")
    compile_spec = spec.get("compile")
    if compile_spec is None:
        if optimizer_keys:
            raise ValueError("optimizer entries without a 'compile' record")
        return model
    optimizer = _restore_optimizer(compile_spec, arrays, optimizer_keys, model.params)
    model.compile(optimizer=optimizer, loss=compile_spec["loss"],
                  metrics=list(compile_spec["metrics"]))
    return model


def _restore_weights(model, arrays):
    """Copy the ``weights/...`` entries into the model after checking them all; return their
    keys."""
    expected = {}
    for index, layer in enumerate(model.layers):
        for name, p in layer.named_params().items():
            expected[f"weights/{index}/{name}"] = p
    weight_keys = {key for key in arrays if key.startswith("weights/")}
    if weight_keys != set(expected):
        missing = sorted(set(expected) - weight_keys)
        unexpected = sorted(weight_keys - set(expected))
        raise ValueError(f"weights do not match the architecture: missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]}")
    for key, p in expected.items():
        array = arrays[key]
        if array.shape != p.data.shape or array.dtype != p.data.dtype:
            raise ValueError(
                f"{key!r} has shape {array.shape} and dtype {array.dtype}, the architecture "
                f"needs {p.data.shape} and {p.data.dtype}"
            )
    for key, p in expected.items():
        np.copyto(p.data, arrays[key])
    return weight_keys


def _restore_optimizer(compile_spec, arrays, optimizer_keys, params):
    """A new optimizer of the saved class with the ``optimizer/...`` state, checked against
    the model's parameters."""
    optimizer_class = _OPTIMIZER_CLASSES.get(compile_spec["optimizer"])
    if optimizer_class is None:
        raise ValueError(f"unknown optimizer {compile_spec['optimizer']!r}")
    optimizer = optimizer_class()
    state_dict = {key[len("optimizer/"):]: arrays[key] for key in optimizer_keys}
    optimizer.load_state_dict(state_dict)
    num_params = int(state_dict["num_params"])
    if num_params not in (0, len(params)):
        raise ValueError(
            f"the optimizer state is for {num_params} parameters, the model has {len(params)}"
        )
    for key, value in state_dict.items():
        index, _, moment = key.partition(".")
        if moment and moment != "step" and np.shape(value) != params[int(index)].data.shape:
            raise ValueError(
                f"optimizer state {key!r} has shape {np.shape(value)}, its parameter "
                f"{params[int(index)].data.shape}"
            )
    return optimizer
