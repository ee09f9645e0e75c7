"""The checkpoint format of a Sequential model: one ``.npz`` of arrays plus a JSON description,
written atomically and validated entry by entry when it is read.

A file holds (no pickles anywhere):

- ``model.json``: a 0-d unicode array, the JSON of ``{"format": "dlbook.Sequential",
  "format_version": 1, "config": {name, seed, dtype, input_shape, layers: [{class_name,
  config}, ...]}, "extra_state": {layer index: {...}} (Dropout generators), "compile":
  {optimizer class, loss, metrics} or null}``;
- ``weights/{i}/{name}``: layer ``i``'s parameter ``name`` (``kernel``, ``bias``);
- ``optimizer/{key}``: the entries of the optimizer's ``state_dict()``.

Entries are ``.npy`` arrays stored uncompressed, as ``numpy.savez`` writes them; :func:`load_model`
refuses compressed entries, so that no entry can unpack to more than the file holds.

:meth:`dlbook.model.Sequential.save` and :meth:`~dlbook.model.Sequential.load` call
:func:`save_model` and :func:`load_model`.
"""

import json
import os
import warnings

import numpy as np

from dlbook import compile_utils
from dlbook._atomic_write import write_npz_atomically
from dlbook._model_spec import SpecError, declared_architecture, parse_spec, short
from dlbook._npz_reader import ArchiveError, read_arrays, read_headers
from dlbook.layers import serialize

__all__ = ["FORMAT", "FORMAT_VERSION", "save_model", "load_model"]

#: What ``model.json`` says it describes, and the version of the format this module reads.
FORMAT = "dlbook.Sequential"
FORMAT_VERSION = 1

_OPTIMIZER_CLASSES = {cls.__name__: cls for cls in compile_utils.OPTIMIZERS.values()}


def _path_argument(path):
    """``os.fspath(path)`` for a str or os.PathLike; anything else is a TypeError naming it."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: needs a file path (a str or os.PathLike), got "
                        f"{type(path).__name__} {path!r}")
    return os.fspath(path)


def save_model(model, path):
    """Write a built ``model`` (architecture, weights and, if compiled, the optimizer) to
    ``path``, atomically.

    The arrays go to a hidden temporary file in the same directory, which is flushed, synced
    and moved over ``path`` with ``os.replace``: ``path`` always holds a complete model, the
    previous one if writing fails. A symbolic link is followed (its target is written, the
    link stays); the temporary left by a killed save is removed by the next save to the same
    path (see :mod:`dlbook._atomic_write`). An optimizer that is not one of
    :mod:`dlbook.optim`'s is left out, with a warning.

    Raises
    ------
    ValueError
        If the model is not built.
    OSError
        If ``path``'s directory does not exist or the file cannot be written; the message
        names ``path``.
    """
    if not all(hasattr(model, name) for name in ("built", "layers", "get_weights")):
        raise TypeError(f"model: needs a Sequential, got {type(model).__name__}")
    path = _path_argument(path)
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
    write_npz_atomically(os.fspath(path), arrays)


def load_model(path, model_class):
    """Read a model written by :func:`save_model` as a new ``model_class`` (a Sequential).

    Its ``predict`` equals the saved model's bit for bit and, if it was compiled, it is
    compiled with the optimizer state restored, so ``fit(..., initial_epoch=...)`` resumes
    training exactly.

    Nothing in the file is trusted: the ``.npy`` headers of all entries are read first and
    checked against the bytes the file holds (no pickles, no compressed entries, plain
    numbers only); then ``model.json`` is parsed and the whole declared architecture is
    checked (layer classes and configs, the shape arithmetic from the input shape on, every
    weight's shape and dtype against the stored array's, the optimizer state's keys and
    shapes, the loss and metrics against the last layer). Only then is any array read or any
    layer built, so the memory ``load`` allocates is bounded by the size of the file.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is truncated, corrupt, crafted, not a dlbook model or of an unknown
        format version: one sentence that names the path and what is wrong. Nothing is
        returned half-loaded.
    """
    path = _path_argument(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    try:
        return _load(path, model_class)
    except (ArchiveError, SpecError) as error:
        raise ValueError(f"{path}: {error}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError,
            RecursionError) as error:
        raise ValueError(f"{path}: not a valid dlbook model file: {type(error).__name__}: {str(error)[:300]}") from None


def _load(path, model_class):
    if os.path.isdir(path):
        raise ArchiveError("is a directory, not a dlbook model (.npz)")
    headers = read_headers(path, os.path.getsize(path))
    if "model.json" not in headers:
        raise ArchiveError("has no 'model.json' entry (is this a file written by "
                           "Sequential.save?)")
    shape, dtype = headers["model.json"]
    if shape != () or dtype.kind != "U":
        raise ArchiveError(f"'model.json' needs to be a string, got shape {shape} of {dtype}")
    text = read_arrays(path, {"model.json": headers["model.json"]})["model.json"]
    spec = parse_spec(str(text), FORMAT, FORMAT_VERSION)
    config = spec["config"]
    layers, expected, output_shape = declared_architecture(config)
    dtype = _spec_dtype(config["dtype"])
    _check_entries(headers, expected, dtype)
    compile_spec = spec["compile"]
    optimizer_keys = {key for key in headers if key.startswith("optimizer/")}
    if compile_spec is None and optimizer_keys:
        raise ArchiveError("holds optimizer entries but no 'compile' record")
    if compile_spec is not None:
        loss, metrics = _check_compile(compile_spec, layers[-1], output_shape)
        optimizer = _restore_optimizer(compile_spec, headers, path, list(expected.values()))
    arrays = read_arrays(path, {key: headers[key] for key in expected})
    try:
        model = model_class(layers, seed=config["seed"], dtype=dtype, name=config["name"])
        model.build(config["input_shape"])
    except (TypeError, ValueError) as error:
        raise SpecError(f"model.json: config: {error}") from None
    for index, layer in enumerate(model.layers):
        for name, p in layer.named_params().items():
            np.copyto(p.data, arrays[f"weights/{index}/{name}"])
    for key, state in spec["extra_state"].items():
        layer = model.layers[int(key)]
        try:
            layer.set_extra_state(state)
        except (TypeError, ValueError, KeyError, OverflowError) as error:
            raise SpecError(f"model.json: extra_state[{key!r}]: {error}") from None
    if compile_spec is not None:
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    return model


def _spec_dtype(value):
    if value not in ("float32", "float64"):
        raise SpecError(f"model.json: config.dtype needs 'float32' or 'float64', got "
                        f"{short(value)}")
    return np.dtype(value)


def _check_entries(headers, expected, dtype):
    """Every weight the architecture implies is stored, with its shape and dtype; nothing but
    weights, optimizer state and ``model.json`` is."""
    weight_keys = {key for key in headers if key.startswith("weights/")}
    if weight_keys != set(expected):
        missing = sorted(set(expected) - weight_keys)
        unexpected = sorted(weight_keys - set(expected))
        raise ArchiveError(f"weights do not match the architecture: missing {missing[:5]}, "
                           f"unexpected {unexpected[:5]}")
    for key, shape in expected.items():
        stored_shape, stored_dtype = headers[key]
        if stored_shape != shape or stored_dtype != dtype:
            raise ArchiveError(
                f"{key!r} has shape {stored_shape} and dtype {stored_dtype}, the architecture "
                f"needs {shape} and {dtype}"
            )
    other = sorted(key for key in headers if key != "model.json"
                   and not key.startswith(("weights/", "optimizer/")))
    if other:
        raise ArchiveError(f"holds unexpected entries {[short(key) for key in other[:5]]}")


def _check_compile(compile_spec, last_layer, output_shape):
    try:
        loss = compile_utils.get_loss(compile_spec["loss"])
        metrics = compile_utils.get_metrics(compile_spec["metrics"])
        compile_utils.check_loss_and_output(loss, metrics, last_layer, output_shape)
    except (TypeError, ValueError) as error:
        raise SpecError(f"model.json: compile: {error}") from None
    return loss, metrics


def _restore_optimizer(compile_spec, headers, path, param_shapes):
    """A new optimizer of the saved class with the ``optimizer/...`` state, checked against
    the parameters' shapes before the state is read."""
    optimizer_class = _OPTIMIZER_CLASSES.get(compile_spec["optimizer"])
    if optimizer_class is None:
        raise SpecError(f"model.json: compile: unknown optimizer "
                        f"{short(compile_spec['optimizer'])}; known: "
                        f"{sorted(_OPTIMIZER_CLASSES)}")
    state_headers = {key: value for key, value in headers.items()
                     if key.startswith("optimizer/")}
    for key, (shape, dtype) in state_headers.items():
        if dtype.kind not in "biuf" or (dtype.kind == "f" and dtype.itemsize not in (4, 8)):
            raise ArchiveError(f"{key!r} has dtype {dtype}, needs a bool, an int, float32 "
                               f"or float64")
        index, _, moment = key[len("optimizer/"):].partition(".")
        if not moment and shape != ():
            raise ArchiveError(f"{key!r} needs a single number, got shape {shape}")
        if moment and not (index.isdigit() and int(index) < len(param_shapes)):
            raise ArchiveError(f"{key!r} is the state of parameter {short(index)}, the model "
                               f"has {len(param_shapes)}")
        if moment:
            needed = () if moment == "step" else param_shapes[int(index)]
            if shape != needed:
                raise ArchiveError(f"{key!r} has shape {shape}, needs {needed}")
    if "optimizer/num_params" not in state_headers:
        raise ArchiveError("has no 'optimizer/num_params' entry")
    state_dict = {key[len("optimizer/"):]: value
                  for key, value in read_arrays(path, state_headers).items()}
    num_params = state_dict["num_params"]
    if num_params.dtype.kind not in "iu" or int(num_params) not in (0, len(param_shapes)):
        raise ArchiveError(f"the optimizer state is for {short(num_params.tolist())} "
                           f"parameters, the model has {len(param_shapes)}")
    optimizer = optimizer_class()
    try:
        optimizer.load_state_dict(state_dict)
    except (TypeError, ValueError) as error:
        raise ArchiveError(f"the optimizer state does not fit {optimizer_class.__name__}: "
                           f"{error}") from None
    return optimizer
