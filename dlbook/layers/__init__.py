r"""Layers with Keras names and arguments, on NCHW arrays: Conv2D, pooling, Dense, Flatten, ...

Every layer has the same small interface:

- ``forward(x, training=False) -> y`` computes the output of a batch and caches, as named
  attributes, what the backward pass needs (``inputs``, ``pre_activation``, ``mask``, ...);
- ``backward(dy) -> dx`` takes :math:`\partial L / \partial y` and returns
  :math:`\partial L / \partial x`, a new array or a read-only reshaped view; it never writes into
  ``dy``. It *overwrites* (does not accumulate into) the ``.grad`` of the layer's parameters;
- ``params`` is the list of the layer's :class:`~dlbook.Parameter` objects (empty for layers
  without weights); ``kernel`` and ``bias`` name them for :class:`Conv2D` and :class:`Dense`.

Shapes exclude the batch dimension, Keras style, but in CHW order: ``input_shape=(1, 8, 8)`` is
one channel of 8x8 pixels. A layer is *built* (its weights created) either by
``layer.build(input_shape, rng, dtype)`` -- what :class:`~dlbook.model.Sequential` does, with one
generator for the whole model -- or lazily by its first ``forward``, from the shape and dtype of
that input (integers count as float64) and a fresh unseeded generator.

Dtype. A built layer computes in the dtype of its weights (float32 by default, float64 for
gradient checks) and casts its input to it, as Keras does; a float32 input to a float32 layer is
not copied.

Activations are given by name: ``'relu'``, ``'sigmoid'``, ``'tanh'``, ``'softmax'`` or ``None``
(also ``'linear'``), applied after the affine part of :class:`Conv2D` and :class:`Dense`.
``'softmax'`` normalises along axis 1, the channel (feature) axis of an NCHW or (N, K) array.

The package follows Keras's layout: :mod:`~dlbook.layers.base` (Layer), :mod:`~dlbook.layers.core`
(Dense, Flatten, Activation, Dropout), :mod:`~dlbook.layers.convolutional` (Conv2D),
:mod:`~dlbook.layers.pooling`, :mod:`~dlbook.layers.reshaping` (ZeroPadding2D),
:mod:`~dlbook.layers.input_layer` (Input, which opens a Sequential but is not a layer),
:mod:`~dlbook.layers.initializers`, with the activations by name
in :mod:`~dlbook.layers.activations` and :func:`serialize` / :func:`deserialize` in
:mod:`~dlbook.layers.serialization`.
"""

from dlbook.layers.activations import ACTIVATIONS
from dlbook.layers.base import Layer
from dlbook.layers.convolutional import Conv2D
from dlbook.layers.core import Activation, Dense, Dropout, Flatten
from dlbook.layers.initializers import INITIALIZERS, initialize
from dlbook.layers.input_layer import Input
from dlbook.layers.pooling import AveragePooling2D, MaxPooling2D
from dlbook.layers.reshaping import ZeroPadding2D
from dlbook.layers.serialization import deserialize, serialize

__all__ = [
    "Layer",
    "Input",
    "Conv2D",
    "MaxPooling2D",
    "AveragePooling2D",
    "ZeroPadding2D",
    "Dense",
    "Flatten",
    "Activation",
    "Dropout",
    "ACTIVATIONS",
    "INITIALIZERS",
    "initialize",
    "serialize",
    "deserialize",
]
