"""Loss functions: each returns the mean loss over the batch and its gradient.

``softmax_cross_entropy`` fuses softmax and cross-entropy, whose joint gradient is the simple
and numerically stable :math:`(\\operatorname{softmax}(z) - t) / N`.
"""

import numpy as np

from dlbook._validation import as_float_array, check_ndim, check_shape


def _targets(labels, n, k):
    """(N, K) target rows from int class ids (N,) or probability rows (N, K)."""
    labels = np.asarray(labels)
    if labels.dtype.kind == "c":
        raise TypeError(f"labels: complex input is not supported, got dtype {labels.dtype}")
    if labels.ndim == 1:
        if labels.dtype.kind not in "iu":
            raise TypeError(
                f"labels: 1-D labels must be integer class ids, got dtype {labels.dtype}"
            )
        if labels.shape[0] != n:
            raise ValueError(f"labels: needs {n} labels (one per row of logits), got {labels.shape[0]}")
        if n and (labels.min() < 0 or labels.max() >= k):
            raise ValueError(
                f"labels: class ids must lie in [0, {k}) for logits with {k} classes, "
                f"got min {labels.min()} and max {labels.max()}"
            )
        targets = np.zeros((n, k))
        targets[np.arange(n), labels] = 1.0
        return targets
    if labels.ndim == 2:
        targets = as_float_array(labels, "labels")
        check_shape(targets, (n, k), "labels")
        if np.any(targets < 0) or not np.allclose(targets.sum(axis=1), 1.0, atol=1e-6):
            raise ValueError("labels: (N, K) labels must be one-hot or probability rows (>= 0, each summing to 1)")
        return targets
    raise ValueError(f"labels: needs int class ids (N,) or rows (N, K), got shape {labels.shape}")


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of softmax(logits) against the labels, and its gradient.

    .. math::

        L = -\\frac{1}{N} \\sum_n \\sum_k t_{nk} \\log \\operatorname{softmax}(z_n)_k, \\qquad
        \\frac{\\partial L}{\\partial z_{nk}} = \\frac{\\operatorname{softmax}(z_n)_k - t_{nk}}{N}

    The log-softmax is computed as :math:`z_k - m - \\log \\sum_j e^{z_j - m}` with
    :math:`m = \\max_j z_j`, so logits of any size (e.g. :math:`\\pm 10^4`) stay finite.

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
    shifted = z - z.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_sum
    loss = float(-(targets * log_probs).sum() / n)
    dlogits = (np.exp(log_probs) - targets) / n
    return loss, dlogits.astype(z.dtype, copy=False)


def mean_squared_error(predictions, targets):
    """Mean squared error over all elements, and its gradient.

    .. math::

        L = \\frac{1}{M} \\sum_i (\\hat y_i - y_i)^2, \\qquad
        \\frac{\\partial L}{\\partial \\hat y_i} = \\frac{2 (\\hat y_i - y_i)}{M}

    with :math:`M` the number of elements (for (N, K) arrays this equals Keras' ``'mse'``, the
    mean over K then over the batch).

    Parameters
    ----------
    predictions, targets : ndarray, same shape

    Returns
    -------
    loss : float
    dpredictions : ndarray, shape of ``predictions``

    Examples
    --------
    >>> mean_squared_error(np.array([1.0, 3.0]), np.array([0.0, 3.0]))
    (0.5, array([1., 0.]))
    """
    predictions = as_float_array(predictions, "predictions")
    targets = as_float_array(targets, "targets")
    check_shape(targets, predictions.shape, "targets")
    if predictions.size == 0:
        raise ValueError("predictions: needs at least one element")
    diff = predictions - targets.astype(predictions.dtype, copy=False)
    loss = float(np.mean(diff * diff))
    return loss, (2.0 / diff.size) * diff
