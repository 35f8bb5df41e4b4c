"""Forward/backward pairs for small networks, one example at a time.

Conventions: a layer's input is a vector x of shape (D,), weights W have shape (M, D) and
act as W @ x + b, matching the handouts. Each ``*_forward`` returns ``(out, cache)`` and
the matching ``*_backward(dout, cache)`` returns the gradients of a scalar loss with
respect to the forward inputs, given ``dout`` = d loss / d out.
"""

import numpy as np

from solutions.toolkit.activations import sigmoid, sigmoid_grad


def affine_forward(x, W, b):
    """Return (W @ x + b, cache). x: (D,), W: (M, D), b: (M,); out: (M,)."""
    out = W @ x + b
    return out, (x, W)


def affine_backward(dout, cache):
    """Return (dx, dW, db) for out = W @ x + b. dout: (M,); dx: (D,), dW: (M, D), db: (M,)."""
    x, W = cache
    return W.T @ dout, np.outer(dout, x), dout.copy()


def sigmoid_forward(z):
    """Return (sigmoid(z), cache). z: any shape."""
    return sigmoid(z), z


def sigmoid_backward(dout, cache):
    """Return dz = dout * sigmoid'(z)."""
    return dout * sigmoid_grad(cache)


def squared_error(y_pred, y_true):
    """Return (loss, dloss/dy_pred) for loss = (y_true - y_pred)^2, scalars."""
    residual = y_pred - y_true
    return residual**2, 2.0 * residual


def batchnorm_forward(x, gamma, beta, eps):
    """Return (out, cache) for training-mode batchnorm of one feature over a batch.

    x: (m,) the batch; the mean and the biased variance (divide by m) are the batch's own,
    as batchnorm uses them in training. out_i = gamma (x_i - mu) / sqrt(var + eps) + beta.
    """
    mu = x.mean()
    var = ((x - mu) ** 2).mean()
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, var, gamma, eps)


def batchnorm_backward(dout, cache):
    """Return (dx, dgamma, dbeta) for training-mode batchnorm; dout, dx: (m,)."""
    x_hat, var, gamma, eps = cache
    dx_hat = dout * gamma
    dx = (dx_hat - dx_hat.mean() - x_hat * (dx_hat * x_hat).mean()) / np.sqrt(var + eps)
    return dx, float((dout * x_hat).sum()), float(dout.sum())


def batchnorm_columns(U, gamma, beta, eps):
    """Return (out, caches) for training-mode batchnorm of every column (feature) of a batch.

    U: (m, F), one example per row; gamma, beta: (F,); out: (m, F). caches[j] is the
    ``batchnorm_forward`` cache of column j, for ``batchnorm_backward``. Each column goes
    through ``batchnorm_forward`` on its own, so the result is bit-identical to it.
    """
    pairs = [batchnorm_forward(U[:, j], gamma[j], beta[j], eps) for j in range(U.shape[1])]
    return np.column_stack([out for out, _ in pairs]), [cache for _, cache in pairs]
