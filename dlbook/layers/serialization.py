"""(De)serialization of layers as ``{"class_name": ..., "config": ...}``, a checkpoint's JSON."""

from dlbook.layers.base import Layer
from dlbook.layers.convolutional import Conv2D
from dlbook.layers.core import Activation, Dense, Dropout, Flatten
from dlbook.layers.pooling import AveragePooling2D, MaxPooling2D
from dlbook.layers.reshaping import ZeroPadding2D

__all__ = ["serialize", "deserialize"]

_LAYER_CLASSES = {
    cls.__name__: cls
    for cls in (Conv2D, MaxPooling2D, AveragePooling2D, ZeroPadding2D, Dense, Flatten, Activation,
                Dropout)
}


def serialize(layer):
    """``{"class_name": ..., "config": layer.get_config()}``, JSON-friendly.

    >>> from dlbook.layers import Dense
    >>> serialize(Dense(3))["class_name"]
    'Dense'
    """
    if type(layer).__name__ not in _LAYER_CLASSES or not isinstance(layer, Layer):
        raise TypeError(
            f"layer: can only serialize the layers of dlbook.layers, got {type(layer).__name__}"
        )
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(spec):
    """A new, unbuilt layer from :func:`serialize`'s dict.

    >>> deserialize({"class_name": "Dense", "config": {"units": 3}})
    Dense(units=3, use_bias=True, kernel_initializer='glorot_uniform', bias_initializer='zeros')
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
        raise ValueError(f"spec: needs {{'class_name': ..., 'config': {{...}}}}, got {spec!r}")
    class_name = spec.get("class_name")
    if class_name not in _LAYER_CLASSES:
        raise ValueError(
            f"spec: unknown layer class {class_name!r}; known: {sorted(_LAYER_CLASSES)}"
        )
    return _LAYER_CLASSES[class_name].from_config(spec["config"])
