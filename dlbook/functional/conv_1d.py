"""1-D convolution (cross-correlation) on NCL arrays: conv1d and its backward pass.

A signal of length :math:`L` with :math:`C` channels is an image of height 1, so both
functions check their arguments in one-dimensional terms and then run
:func:`dlbook.functional.conv2d` / :func:`~dlbook.functional.conv2d_backward` on
``x[:, :, None, :]`` and ``w[:, :, None, :]``; no kernel is copied:

.. math::

    y_{n,o,i} = b_o + \\sum_{c=0}^{C-1} \\sum_{p=0}^{K-1}
        w_{o,c,p}\\; x^{\\text{pad}}_{n,\\,c,\\; i s + p d}

with stride :math:`s`, dilation :math:`d` and the zero-padded input :math:`x^{\\text{pad}}`.
"""

from dlbook._validation import (as_float_array, check_ndim, check_shape, non_negative_int,
                                positive_int)
from dlbook.functional.conv import conv2d, conv2d_backward
from dlbook.functional.padding import conv_output_size, same_padding

__all__ = ["conv1d", "conv1d_backward", "resolve_padding_1d"]


def resolve_padding_1d(padding, input_size, kernel_size, stride=1, dilation=1):
    """Turn a 1-D ``padding`` argument into the pair ``(left, right)``.

    ``padding`` is an int >= 0 (both ends), a pair ``(left, right)`` of ints >= 0, ``'valid'``
    (none) or ``'same'`` (TensorFlow/Keras: ``ceil(L / stride)`` outputs, the odd cell of
    padding on the right; see :func:`dlbook.functional.same_padding`). ``input_size``,
    ``kernel_size``, ``stride`` and ``dilation`` are integers > 0.

    Examples
    --------
    >>> resolve_padding_1d('same', 6, 3, stride=2)
    (0, 1)
    >>> resolve_padding_1d((2, 0), 6, 3)
    (2, 0)
    """
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return 0, 0
        if mode == "same":
            return same_padding(input_size, kernel_size, stride, dilation)
        raise ValueError(f"padding: needs 'valid', 'same', an int or a pair (left, right), "
                         f"got {padding!r}")
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2 or any(isinstance(p, (tuple, list)) for p in padding):
            raise ValueError(f"padding: needs an int or a pair (left, right) of ints >= 0, "
                             f"got {padding!r}")
        return non_negative_int(padding[0], "padding"), non_negative_int(padding[1], "padding")
    p = non_negative_int(padding, "padding")
    return p, p


def _check(x, w, stride, padding, dilation):
    """conv1d's checks; return ``x``, ``w``, stride, ``(left, right)``, dilation and the
    output length."""
    x = as_float_array(x, "x")
    w = as_float_array(w, "w")
    check_ndim(x, 3, "x", "(N, C, L)")
    check_ndim(w, 3, "w", "(O, C, K)")
    if min(x.shape) == 0 or min(w.shape) == 0:
        raise ValueError(f"x, w: empty arrays are not supported (x {x.shape}, w {w.shape})")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"w: has {w.shape[1]} input channels but x has {x.shape[1]} "
                         f"(x shape {x.shape}, w shape {w.shape})")
    stride, dilation = positive_int(stride, "stride"), positive_int(dilation, "dilation")
    pads = resolve_padding_1d(padding, x.shape[2], w.shape[2], stride, dilation)
    span = dilation * (w.shape[2] - 1) + 1
    if span > x.shape[2] + sum(pads):
        dilated = f" (dilated to {span})" if span != w.shape[2] else ""
        raise ValueError(f"w: kernel length {w.shape[2]}{dilated} is larger than the padded "
                         f"input length {x.shape[2] + sum(pads)} (x shape {x.shape}, "
                         f"padding {padding!r})")
    out = conv_output_size(x.shape[2], w.shape[2], stride, sum(pads), dilation)
    return x, w, stride, pads, dilation, out


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1):
    """1-D convolution (cross-correlation, no kernel flip) of a batch of signals.

    .. math::

        y_{n,o,i} = b_o + \\sum_{c,p} w_{o,c,p}\\, x^{\\text{pad}}_{n,c,\\,i s + p d}

    Parameters
    ----------
    x : ndarray, shape (N, C, L)
        Input signals. float32 and float64 are kept; integers become float64.
    w : ndarray, shape (O, C, K)
        Filters.
    b : ndarray, shape (O,), optional
        One bias per filter.
    stride, dilation : int
        Step of the window; spacing between kernel taps (integers > 0).
    padding : int, (int, int), 'valid' or 'same'
        Zeros at both ends, ``(left, right)`` zeros, none, or TensorFlow/Keras ``'same'``
        (``ceil(L / stride)`` outputs, the odd cell of padding on the right).

    Returns
    -------
    y : ndarray, shape (N, O, L_out)
        ``L_out = (L + left + right - d*(K-1) - 1) // s + 1``, in the common floating dtype of
        ``x``, ``w`` and ``b``.

    Examples
    --------
    >>> import numpy as np
    >>> conv1d(np.arange(6.0).reshape(1, 1, 6), np.ones((1, 1, 2)), stride=2)[0, 0]
    array([1., 5., 9.])
    >>> conv1d(np.arange(5).reshape(1, 1, 5), np.array([[[1, 0, -1]]]), padding='same')[0, 0]
    array([-1., -2., -2., -2.,  3.])
    """
    x, w, stride, (left, right), dilation, _ = _check(x, w, stride, padding, dilation)
    if b is not None:
        b = as_float_array(b, "b")
        check_shape(b, (w.shape[0],), "b")
    y = conv2d(x[:, :, None, :], w[:, :, None, :], b, stride=(1, stride),
               padding=((0, 0), (left, right)), dilation=(1, dilation))
    return y[:, :, 0, :]


def conv1d_backward(dy, x, w, stride=1, padding=0, dilation=1):
    """Gradients of :func:`conv1d` with respect to its input, weights and bias.

    .. math::

        \\frac{\\partial L}{\\partial w_{o,c,p}} = \\sum_{n,i} \\delta_{n,o,i}\\,
            x^{\\text{pad}}_{n,c,\\,i s + p d}, \\qquad
        \\frac{\\partial L}{\\partial b_o} = \\sum_{n,i} \\delta_{n,o,i},

    and :math:`\\partial L / \\partial x^{\\text{pad}}_{n,c,i s + p d}` collects
    :math:`\\delta_{n,o,i}\\, w_{o,c,p}`, the padding then cut off.

    Parameters
    ----------
    dy : ndarray, shape (N, O, L_out)
        Gradient of the loss with respect to the output of ``conv1d(x, w, ...)``.
    x, w, stride, padding, dilation
        Exactly as given to :func:`conv1d`.

    Returns
    -------
    dx : ndarray, shape (N, C, L)
    dw : ndarray, shape (O, C, K)
    db : ndarray, shape (O,)

    Examples
    --------
    >>> import numpy as np
    >>> dx, dw, db = conv1d_backward(np.ones((1, 1, 3)), np.arange(4.0).reshape(1, 1, 4),
    ...                              np.ones((1, 1, 2)))
    >>> dx[0, 0], dw[0, 0], db
    (array([1., 2., 2., 1.]), array([3., 6.]), array([3.]))
    """
    x, w, stride, (left, right), dilation, out = _check(x, w, stride, padding, dilation)
    dy = as_float_array(dy, "dy")
    check_shape(dy, (x.shape[0], w.shape[0], out), "dy")
    dx, dw, db = conv2d_backward(dy[:, :, None, :], x[:, :, None, :], w[:, :, None, :],
                                 stride=(1, stride), padding=((0, 0), (left, right)),
                                 dilation=(1, dilation))
    return dx[:, :, 0, :], dw[:, :, 0, :], db
