"""dlbook: the small, verified numpy library behind the dlbook textbook.

Images are NCHW arrays of shape (N, C, H, W); convolution weights are (O, C, KH, KW).

>>> import dlbook
>>> dlbook.Parameter([1.0, 2.0]).grad
array([0., 0.])
"""

from dlbook.model import Sequential
from dlbook.parameter import Parameter

__version__ = "0.1.0"

__all__ = ["Parameter", "Sequential", "__version__"]
