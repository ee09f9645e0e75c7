"""How a Sequential names, checks and builds its stack of layers, so that a rejected call
changes nothing: every name and every layer's build is checked before any layer is renamed or
built.

The checks go through the layers' public methods only: ``name`` / ``has_default_name``,
``check_build`` (what ``build`` would raise, without building), ``build`` and ``reset``.
"""

import numbers

from dlbook._validation import positive_int
from dlbook.layers import Input, Layer

__all__ = ["input_shape_tuple", "unique_names", "rename", "plan_shapes", "build_layers",
           "declared_input_shape", "split_input", "append_layers"]


def input_shape_tuple(value):
    """A per-sample shape; a leading None (Keras' batch dimension) is dropped.

    >>> input_shape_tuple((None, 1, 8, 8)), input_shape_tuple(3)
    ((1, 8, 8), (3,))
    """
    if isinstance(value, (tuple, list)) and len(value) > 1 and value[0] is None:
        value = value[1:]
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not value:
        raise TypeError(f"input_shape: needs a tuple such as (1, 8, 8), got {value!r}")
    try:
        return tuple(positive_int(v, "input_shape") for v in value)
    except (TypeError, ValueError):
        raise ValueError(
            f"input_shape: needs a tuple of positive ints such as (1, 8, 8), got {value!r}"
        ) from None


def unique_names(new_layers, layers, argument="layers"):
    """The names ``new_layers`` get when appended to ``layers``, Keras style, checked before
    anything changes: an unnamed layer becomes ``'dense'``, ``'dense_1'``, ... (the first not
    taken); a named one keeps its name, which must not be taken. ``argument`` is how
    messages call ``new_layers`` (``'layer'`` for ``add``).

    >>> from dlbook.layers import Dense
    >>> unique_names([Dense(2), Dense(2, name="out"), Dense(2)], [Dense(3)])
    ['dense_1', 'out', 'dense_2']
    """
    members, taken, names = list(layers), [layer.name for layer in layers], []
    for layer in new_layers:
        if not isinstance(layer, Layer):
            raise TypeError(
                f"{argument}: needs dlbook.layers.Layer objects, got {type(layer).__name__}"
            )
        if any(existing is layer for existing in members):
            raise ValueError(f"{argument}: {layer.where} is already in the model")
        if not layer.has_default_name:
            if layer.name in taken:
                raise ValueError(
                    f"{argument}: two layers are named {layer.name!r}; layer names must be unique"
                )
            name = layer.name
        else:
            name, count = layer.default_name, 0
            while name in taken:
                count += 1
                name = f"{layer.default_name}_{count}"
        members.append(layer)
        taken.append(name)
        names.append(name)
    return names


def rename(layers, names):
    """Give ``layers`` the ``names`` (None: the default) and return their previous names, in
    the same form, so that ``rename(layers, previous)`` undoes it."""
    previous = [None if layer.has_default_name else layer.name for layer in layers]
    for layer, name in zip(layers, names):
        layer.name = name
    return previous


def _plan_layer(layer, input_shape, dtype):
    if layer.built:
        if layer.input_shape != tuple(input_shape) or layer.dtype != dtype:
            raise ValueError(
                f"{layer.where}: is already built for input shape {layer.input_shape} and "
                f"dtype {layer.dtype}, but here it gets {tuple(input_shape)} and {dtype}"
            )
        return layer.output_shape
    return layer.check_build(input_shape, None, dtype)


def plan_shapes(layers, input_shape, dtype):
    """The per-sample output shape of each layer for samples of ``input_shape``, checking
    that each layer can be built (or is already built) for its input; builds nothing.

    >>> import numpy as np
    >>> from dlbook.layers import Dense, Flatten
    >>> plan_shapes([Flatten(), Dense(3)], (2, 4), np.dtype(np.float32))
    [(8,), (3,)]
    """
    shapes, shape = [], tuple(input_shape)
    for layer in layers:
        shape = _plan_layer(layer, shape, dtype)
        shapes.append(shape)
    return shapes


def build_layers(layers, input_shape, rng, dtype):
    """Build every unbuilt layer of ``layers`` in order, from one generator ``rng``, after
    :func:`plan_shapes` has checked them all. Should a build still fail (memory), the layers
    built here are reset through their public ``reset``, so none stays half built."""
    plan_shapes(layers, input_shape, dtype)
    built_now, shape = [], tuple(input_shape)
    try:
        for layer in layers:
            if not layer.built:
                layer.build(shape, rng, dtype)
                built_now.append(layer)
            shape = layer.output_shape
    except BaseException:
        for layer in built_now:
            layer.reset()
        raise


def declared_input_shape(model):
    """The per-sample shape ``model`` builds itself for without being told: its
    :class:`~dlbook.layers.Input`'s, else its first layer's ``input_shape``, else None."""
    if model.input_spec is not None:
        return model.input_spec.shape
    return model.layers[0].input_shape_argument if model.layers else None


def split_input(model, layers, argument="layers"):
    """``(input, rest)``: the :class:`~dlbook.layers.Input` that opens ``layers`` (or None)
    and the layers after it. An Input may only open a model: first, once, before any layer.

    >>> from dlbook.layers import Dense
    >>> from dlbook.model import Sequential
    >>> split_input(Sequential(), [Input(shape=(3,)), Dense(2)])
    (Input(shape=(3,)), [Dense(units=2, use_bias=True, kernel_initializer='glorot_uniform', \
bias_initializer='zeros')])
    """
    opened = model.input_spec is not None or bool(model.layers)
    for index, layer in enumerate(layers):
        if isinstance(layer, Input) and (index > 0 or opened):
            where = (f"but the model already has {'an Input' if model.input_spec else 'layers'}"
                     if opened else f"at position {index}")
            raise ValueError(f"{argument}: an Input may only open a Sequential, first and "
                             f"once; got {layer!r} {where}")
    if layers and isinstance(layers[0], Input):
        return layers[0], list(layers[1:])
    return None, list(layers)


def append_layers(model, layers, rng, argument="layers"):
    """Append ``layers`` to ``model.layers`` (named Keras style) and build what must be built:
    the new layers, from the model's generator ``rng``, if the model is built; the whole model
    if it has an :class:`~dlbook.layers.Input` (which may open ``layers``, see
    :func:`split_input`) or its first layer an ``input_shape``. If anything is rejected, the
    model and the layers (their names included) are left as they were. ``argument`` is how
    messages call ``layers``."""
    given_input, layers = split_input(model, layers, argument)
    if not layers:
        model.input_spec = given_input or model.input_spec
        return
    previous = rename(layers, unique_names(layers, model.layers, argument))
    previous_input = model.input_spec
    input_shape = model.output_shape  # of the layers before these, if built
    model.input_spec = given_input or model.input_spec
    model.layers.extend(layers)
    try:
        if model.built:
            build_layers(layers, input_shape, rng, model.dtype)
        elif declared_input_shape(model) is not None:
            model.build()
    except BaseException:
        del model.layers[-len(layers):]
        rename(layers, previous)
        model.input_spec = previous_input
        raise
