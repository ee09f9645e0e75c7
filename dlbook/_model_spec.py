"""What a checkpoint's ``model.json`` may say, checked without building anything: its keys and
types, the layers it declares and the shapes of the weights those layers imply.

:func:`parse_spec` turns the JSON text into a checked dict; :func:`declared_architecture`
makes the (unbuilt) layers, runs their shape arithmetic and returns the shape of every weight
the architecture implies, so that :mod:`dlbook.saving` can compare them with the arrays the
file really holds before a single weight is allocated. Errors are :class:`SpecError` (a
ValueError) and name the offending key, e.g. ``config.layers[1] (Dense): units: ...``.
"""

import json
import numbers

from dlbook.layers import Conv2D, Dense, deserialize

__all__ = ["SpecError", "parse_spec", "declared_architecture", "weight_shapes", "short"]

#: The largest size of one dimension a checkpoint may declare (an int32's range).
MAX_DIMENSION = 2**31 - 1
#: The largest number of elements of one sample's shape a checkpoint may declare.
MAX_SIZE = 2**62
_SPEC_KEYS = {"format", "format_version", "config", "extra_state", "compile"}
_CONFIG_KEYS = {"name", "seed", "dtype", "input_shape", "layers"}
_COMPILE_KEYS = {"optimizer", "loss", "metrics"}


class SpecError(ValueError):
    """``model.json`` is not a valid description of a model."""


def short(value, limit=60):
    """``repr(value)``, cut to ``limit`` characters (a crafted file may hold huge values)."""
    try:
        text = repr(value)
    except RecursionError:
        text = f"a deeply nested {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _reject_constant(name):
    raise SpecError(f"model.json: holds {name}, which a model description never does")


def _check_keys(value, needed, where, optional=()):
    if not isinstance(value, dict):
        raise SpecError(f"model.json: {where} needs an object, got {short(value)}")
    missing = sorted(set(needed) - set(value))
    unexpected = sorted(set(value) - set(needed) - set(optional))
    if missing or unexpected:
        raise SpecError(
            f"model.json: {where} needs the keys {sorted(needed)}; missing {missing}, "
            f"unexpected {[short(key) for key in unexpected[:5]]}"
        )


def _in_range(shape):
    """True if ``shape`` is 1 to 8 ints in ``[1, MAX_DIMENSION]`` with at most ``MAX_SIZE``
    elements in all."""
    if not isinstance(shape, (list, tuple)) or not 0 < len(shape) <= 8:
        return False
    size = 1
    for v in shape:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 0 < v <= MAX_DIMENSION:
            return False
        size *= int(v)
    return size <= MAX_SIZE


def _shape(value, where):
    if not _in_range(value):
        raise SpecError(
            f"model.json: {where} needs a list of 1 to 8 ints in [1, {MAX_DIMENSION}] with at "
            f"most {MAX_SIZE} elements in all, got {short(value)}"
        )
    return tuple(int(v) for v in value)


def parse_spec(text, format_name, format_version):
    """The checked dict of ``model.json``'s ``text``.

    Parameters
    ----------
    text : str
    format_name, format_version : str, int
        What the ``format`` and ``format_version`` keys must say.

    Returns
    -------
    dict
        With the keys ``format``, ``format_version``, ``config`` (``name``, ``seed``,
        ``dtype``, ``input_shape``, ``layers``), ``extra_state`` and ``compile``, each of the
        right type (``input_shape`` a tuple of ints in ``[1, MAX_DIMENSION]``).

    Raises
    ------
    SpecError
        If the text is not JSON, holds NaN or infinity, is nested too deeply, or a key is
        missing, unexpected or of the wrong type.

    Examples
    --------
    >>> parse_spec('{"format": "f", "format_version": 2}', "f", 1)
    Traceback (most recent call last):
    ...
    dlbook._model_spec.SpecError: model.json: format version 2 is not supported (this dlbook reads version 1)
    """
    try:
        spec = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise SpecError(f"model.json: is not valid JSON ({error})") from None
    except RecursionError:
        raise SpecError("model.json: is nested too deeply to be a model description") from None
    if not isinstance(spec, dict) or spec.get("format") != format_name:
        raise SpecError(f"model.json: does not describe a {format_name}")
    if spec.get("format_version") != format_version:
        raise SpecError(
            f"model.json: format version {short(spec.get('format_version'))} is not supported "
            f"(this dlbook reads version {format_version})"
        )
    _check_keys(spec, _SPEC_KEYS, "the top level")
    config = spec["config"]
    _check_keys(config, _CONFIG_KEYS, "config")
    config["input_shape"] = _shape(config["input_shape"], "config.input_shape")
    name, seed = config["name"], config["seed"]
    if name is not None and (not isinstance(name, str) or not name or len(name) > 1000):
        raise SpecError(f"model.json: config.name needs a non-empty string or null, got "
                        f"{short(name)}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise SpecError(f"model.json: config.seed needs an int >= 0 or null, got {short(seed)}")
    if not isinstance(config["layers"], list) or not config["layers"]:
        raise SpecError(f"model.json: config.layers needs a non-empty list, got "
                        f"{short(config['layers'])}")
    extra_state = spec["extra_state"]
    if not isinstance(extra_state, dict) or any(
            not isinstance(state, dict) or not key.isdigit()
            or int(key) >= len(config["layers"]) for key, state in extra_state.items()):
        raise SpecError(f"model.json: extra_state needs an object of layer index -> object, "
                        f"got {short(extra_state)}")
    compile_spec = spec["compile"]
    if compile_spec is not None:
        _check_keys(compile_spec, _COMPILE_KEYS, "compile")
        if not all(isinstance(compile_spec[key], str) for key in ("optimizer", "loss")):
            raise SpecError(f"model.json: compile needs the names of an optimizer and a loss, "
                            f"got {short(compile_spec)}")
        if not isinstance(compile_spec["metrics"], list):
            raise SpecError(f"model.json: compile.metrics needs a list, got "
                            f"{short(compile_spec['metrics'])}")
    return spec


def weight_shapes(layer, input_shape):
    """``{name: shape}`` of the weights ``layer`` creates when built for per-sample inputs of
    ``input_shape`` (which :meth:`~dlbook.layers.Layer.compute_output_shape` accepted), computed
    without building it.

    >>> weight_shapes(Dense(3), (5,))
    {'kernel': (5, 3), 'bias': (3,)}
    >>> weight_shapes(Conv2D(4, 3, use_bias=False), (2, 8, 8))
    {'kernel': (4, 2, 3, 3)}
    """
    if isinstance(layer, Dense):
        shapes, outputs = {"kernel": (input_shape[0], layer.units)}, layer.units
    elif isinstance(layer, Conv2D):
        shapes = {"kernel": (layer.filters, input_shape[0], *layer.kernel_size)}
        outputs = layer.filters
    else:
        return {}
    if layer.use_bias:
        shapes["bias"] = (outputs,)
    return shapes


def declared_architecture(config):
    """The unbuilt layers of ``config`` (from :func:`parse_spec`), the keys and shapes of the
    weights they imply (``{"weights/{i}/{name}": shape}``) and the model's output shape.

    Raises
    ------
    SpecError
        If a layer's class is unknown or its config invalid, a layer cannot take the output of
        the previous one, or a shape leaves the range a checkpoint may declare.
    """
    layers, shapes = [], {}
    shape = config["input_shape"]
    for index, layer_spec in enumerate(config["layers"]):
        where = f"config.layers[{index}]"
        _check_keys(layer_spec, ("class_name", "config"), where)
        if not isinstance(layer_spec["config"], dict):
            raise SpecError(f"model.json: {where}.config needs an object, got "
                            f"{short(layer_spec['config'])}")
        where += f" ({short(layer_spec['class_name'], 30)})"
        try:
            layer = deserialize(layer_spec)
            given = layer.input_shape_argument
            if given is not None and given != shape:
                raise ValueError(f"declares input_shape {given} but receives {shape}")
            output = layer.compute_output_shape(shape)
        except (TypeError, ValueError) as error:
            raise SpecError(f"model.json: {where}: {error}") from None
        if not _in_range(output):
            raise SpecError(f"model.json: {where}: its output shape {output} is out of range")
        for name, weight_shape in weight_shapes(layer, shape).items():
            shapes[f"weights/{index}/{name}"] = weight_shape
        layers.append(layer)
        shape = tuple(int(v) for v in output)
    return layers, shapes, shape
