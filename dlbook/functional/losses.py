"""Loss functions: each returns the mean loss over the batch and its gradient.

``softmax_cross_entropy`` fuses softmax and cross-entropy, whose joint gradient is the simple
and numerically stable :math:`(\\operatorname{softmax}(z) - t) / N`.
"""

import numpy as np

from dlbook._validation import as_array, as_float_array, check_ndim, check_shape


def _targets(labels, n, k):
    """(N, K) target rows from int class ids (N,) or probability rows (N, K)."""
    labels = as_array(labels, "labels")
    if labels.dtype.kind == "c":
        raise TypeError(f"labels: complex input is not supported, got dtype {labels.dtype}")
    if labels.ndim == 1:
        if labels.dtype.kind not in "iu":
            raise TypeError(
                f"labels: needs integer class ids when 1-D (or rows (N, K)), got dtype "
                f"{labels.dtype}"
            )
        if labels.shape[0] != n:
            raise ValueError(
                f"labels: needs {n} labels (one per row of logits), got {labels.shape[0]}"
            )
        if labels.min() < 0 or labels.max() >= k:
            raise ValueError(
                f"labels: needs class ids in [0, {k}) for logits with {k} classes, "
                f"got min {labels.min()} and max {labels.max()}"
            )
        targets = np.zeros((n, k))
        targets[np.arange(n), labels] = 1.0
        return targets
    if labels.ndim == 2:
        targets = as_float_array(labels, "labels")
        check_shape(targets, (n, k), "labels")
        sums = targets.sum(axis=1)
        bad = ~((targets >= 0).all(axis=1) & np.isclose(sums, 1.0, atol=1e-6))
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(
                f"labels: needs one-hot or probability rows (each >= 0 and summing to 1), "
                f"got row {row} = {targets[row].tolist()} summing to {sums[row]}"
            )
        return targets
    raise ValueError(f"labels: needs int class ids (N,) or rows (N, K), got shape {labels.shape}")


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of softmax(logits) against the labels, and its gradient.

    .. math::

        L = -\\frac{1}{N} \\sum_n \\sum_k t_{nk} \\log \\operatorname{softmax}(z_n)_k, \\qquad
        \\frac{\\partial L}{\\partial z_{nk}} = \\frac{\\operatorname{softmax}(z_n)_k - t_{nk}}{N}

    The log-softmax is computed as :math:`z_k - m - \\log \\sum_j e^{z_j - m}` with
    :math:`m = \\max_j z_j`, so logits of any size (e.g. :math:`\\pm 10^4`) stay finite. For
    finite logits whose spread :math:`m - z_k` exceeds the dtype's range (float32 near
    :math:`\\pm 3 \\cdot 10^{38}`, float64 near :math:`\\pm 10^{308}`), where :math:`z_k - m`
    overflows to -inf, the loss is taken again in float64 as
    :math:`\\frac{2}{N} \\sum_n \\sum_k t_{nk} \\big(\\tfrac{m}{2} - \\tfrac{z_k}{2} +
    \\tfrac{1}{2} \\log \\sum_j e^{z_j - m}\\big)`: the halves never overflow, a class with
    :math:`t_{nk} = 0` adds 0 (not :math:`0 \\cdot (-\\infty)`), and the loss is +inf only when
    it exceeds float64. The gradient needs no such care: its softmax is 0 where
    :math:`z_k - m` is -inf, which is exact.

    Parameters
    ----------
    logits : ndarray, shape (N, K)
    labels : int ndarray, shape (N,), or float ndarray, shape (N, K)
        Class ids in ``[0, K)``, or one-hot / probability rows.

    Returns
    -------
    loss : float
    dlogits : ndarray, shape (N, K), same dtype as ``logits``

    Examples
    --------
    >>> loss, dlogits = softmax_cross_entropy(np.zeros((1, 2)), np.array([0]))
    >>> round(loss, 6)
    0.693147
    >>> dlogits
    array([[-0.5,  0.5]])
    """
    z = as_float_array(logits, "logits")
    check_ndim(z, 2, "logits", "(N, K)")
    n, k = z.shape
    if n == 0 or k == 0:
        raise ValueError(f"logits: needs at least one row and one class, got shape {z.shape}")
    targets = _targets(labels, n, k)
    top = z.max(axis=1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):  # the spread case is taken again below
        shifted = z - top  # <= 0; -inf only where the logits span more than the dtype's range
        log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        log_probs = shifted - log_sum
        loss = float(-(targets * log_probs).sum() / n)
    if not np.isfinite(loss) and np.isfinite(z).all():
        half_gaps = top.astype(np.float64) / 2 - z.astype(np.float64) / 2  # in [0, max]
        row_losses = (targets * (half_gaps + log_sum / 2)).sum(axis=1)  # each term >= 0
        with np.errstate(over="ignore"):  # +inf: the loss exceeds float64
            loss = float(np.sum(row_losses * (2.0 / n)))
    dlogits = (np.exp(log_probs) - targets) / n
    return loss, dlogits.astype(z.dtype, copy=False)


def mean_squared_error(predictions, targets):
    """Mean squared error over all elements, and its gradient.

    .. math::

        L = \\frac{1}{M} \\sum_i (\\hat y_i - y_i)^2, \\qquad
        \\frac{\\partial L}{\\partial \\hat y_i} = \\frac{2 (\\hat y_i - y_i)}{M}

    with :math:`M` the number of elements (for (N, K) arrays this equals Keras' ``'mse'``, the
    mean over K then over the batch).

    The loss and gradient are computed in the dtype of ``predictions``. Where that overflows
    although the inputs are finite (float32 differences beyond about :math:`1.8 \\cdot 10^{19}`,
    whose squares pass float32's :math:`3.4 \\cdot 10^{38}`; float64 beyond :math:`10^{154}`),
    they are taken again in float64 on half-differences :math:`h_i = \\hat y_i / 2 - y_i / 2`,
    which never overflow: :math:`L = (2s)^2 \\frac{1}{M} \\sum_i (h_i / s)^2` with
    :math:`s = \\max_i |h_i|`, and the gradient :math:`4 h_i / M` cast back to the dtype of
    ``predictions``. So the loss (a Python float) is +inf only when it exceeds float64, and a
    gradient element only when it exceeds its dtype.

    Parameters
    ----------
    predictions, targets : ndarray, same shape

    Returns
    -------
    loss : float
    dpredictions : ndarray, shape and dtype of ``predictions``

    Examples
    --------
    >>> mean_squared_error(np.array([1.0, 3.0]), np.array([0.0, 3.0]))
    (0.5, array([1., 0.]))
    """
    predictions = as_float_array(predictions, "predictions")
    targets = as_float_array(targets, "targets")
    check_shape(targets, predictions.shape, "targets")
    if predictions.size == 0:
        raise ValueError(f"predictions: needs at least one element, got shape {predictions.shape}")
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is taken again below
        diff = predictions - targets.astype(predictions.dtype, copy=False)
        loss = float(np.mean(diff * diff))
        gradient = (2.0 / diff.size) * diff
    if np.isfinite(loss) and np.isfinite(gradient).all():
        return loss, gradient
    if not (np.isfinite(predictions).all() and np.isfinite(targets).all()):
        return loss, gradient  # IEEE: an inf or NaN input gives inf or NaN
    return _wide_mean_squared_error(predictions, targets)


def _wide_mean_squared_error(predictions, targets):
    """:func:`mean_squared_error` of finite inputs whose differences or squares overflow."""
    halves = predictions.astype(np.float64) / 2 - targets.astype(np.float64) / 2
    scale = np.abs(halves).max()
    with np.errstate(over="ignore"):  # +inf only where the true value exceeds the dtype
        loss = float(2 * scale * (2 * scale * np.mean(np.square(halves / scale))))
        gradient = (halves * (4.0 / halves.size)).astype(predictions.dtype)
    return loss, gradient
