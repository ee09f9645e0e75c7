"""Input: the per-sample shape that opens a Sequential, as Keras 3's ``Input(shape=...)``."""

from dlbook.layers._arguments import shape_tuple

__all__ = ["Input"]


class Input:
    """The shape of one sample (no batch dimension, CHW for images) as the first element of
    a :class:`~dlbook.model.Sequential`: the model builds at once for it, exactly as when
    its first layer gets ``input_shape=shape``.

    Like Keras 3's ``Input`` it is not a layer: it has no parameters, no output of its own,
    is not one of ``model.layers`` and has no row in ``summary()``; a saved model keeps its
    shape as the model's ``input_shape``.

    Parameters
    ----------
    shape : tuple of int
        Integers > 0, e.g. ``(1, 8, 8)`` for one channel of 8x8 pixels.

    Examples
    --------
    >>> from dlbook.layers import Conv2D, Flatten
    >>> from dlbook.model import Sequential
    >>> model = Sequential([Input(shape=(1, 8, 8)), Conv2D(2, 3, padding='same'), Flatten()])
    >>> model.built, model.input_shape, [layer.name for layer in model.layers]
    (True, (1, 8, 8), ['conv2d', 'flatten'])
    """

    def __init__(self, shape):
        if not isinstance(shape, (tuple, list)):
            raise TypeError(f"Input: shape needs a tuple of positive ints without the batch "
                            f"dimension, e.g. (1, 8, 8), got {shape!r}")
        self.shape = shape_tuple(shape, "shape", "Input")

    def __repr__(self):
        return f"Input(shape={self.shape!r})"
