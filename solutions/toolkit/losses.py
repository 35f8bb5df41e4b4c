"""Softmax and the cross-entropy losses, each forward beside its backward.

Conventions as in ``layers``: one example at a time, logits z of shape (K,), a class label
y an integer in 0..K-1 (or a probability vector of shape (K,)); each ``*_forward`` returns
``(loss or out, cache)`` and its ``*_backward`` the gradient of the loss.
"""

import numpy as np

from solutions.toolkit.activations import sigmoid


def softmax(z):
    """Return exp(z) / sum(exp(z)) over the last axis, shifted by max(z) so that it never overflows. z: (..., K)."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_backward(dp, p):
    """Return dz = J^T dp for p = softmax(z): dz_i = p_i (dp_i - sum_j p_j dp_j). dp, p: (K,)."""
    dp, p = np.asarray(dp, dtype=float), np.asarray(p, dtype=float)
    return p * (dp - np.dot(p, dp))


def _target(y, k):
    """Return a label (int) or a probability vector as a probability vector of shape (k,)."""
    if np.ndim(y) == 0:
        t = np.zeros(k)
        t[int(y)] = 1.0
        return t
    t = np.asarray(y, dtype=float)
    if t.shape != (k,):
        raise ValueError(f"target has shape {t.shape}, expected ({k},)")
    return t


def cross_entropy(p, y):
    """Return (loss, dloss/dp) for loss = -sum_i t_i log p_i, t the one-hot (or soft) target y. p: (K,)."""
    p = np.asarray(p, dtype=float)
    t = _target(y, p.size)
    return float(-np.sum(t * np.log(p))), -t / p


def softmax_cross_entropy_forward(z, y):
    """Return (loss, cache) for loss = cross_entropy(softmax(z), y), computed as logsumexp(z) - t.z. z: (K,)."""
    z = np.asarray(z, dtype=float)
    t = _target(y, z.size)
    shift = z.max()
    log_sum = shift + np.log(np.exp(z - shift).sum())
    return float(log_sum - t @ z), (softmax(z), t)


def softmax_cross_entropy_backward(dloss, cache):
    """Return dz = dloss (softmax(z) - t): the gradient of softmax followed by cross-entropy."""
    p, t = cache
    return dloss * (p - t)


def binary_cross_entropy(p, t):
    """Return (loss, dloss/dp) for loss = -(t log p + (1 - t) log(1 - p)), p in (0, 1), scalars or arrays (summed)."""
    p, t = np.asarray(p, dtype=float), np.asarray(t, dtype=float)
    return float(-np.sum(t * np.log(p) + (1 - t) * np.log1p(-p))), (p - t) / (p * (1 - p))


def sigmoid_binary_cross_entropy_forward(z, t):
    """Return (loss, cache) for loss = binary_cross_entropy(sigmoid(z), t), computed without overflow."""
    z, t = np.asarray(z, dtype=float), np.asarray(t, dtype=float)
    # -(t log s + (1 - t) log(1 - s)) = log(1 + e^z) - t z, and log(1 + e^z) = logaddexp(0, z)
    return float(np.sum(np.logaddexp(0.0, z) - t * z)), (sigmoid(z), t)


def sigmoid_binary_cross_entropy_backward(dloss, cache):
    """Return dz = dloss (sigmoid(z) - t)."""
    s, t = cache
    return dloss * (s - t)
