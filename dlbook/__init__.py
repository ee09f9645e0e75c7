"""dlbook: the small, verified numpy library behind the dlbook textbook.

Images are NCHW arrays of shape (N, C, H, W); convolution weights are (O, C, KH, KW).
"""

from dlbook.parameter import Parameter

__version__ = "0.1.0"

__all__ = ["Parameter", "__version__"]
