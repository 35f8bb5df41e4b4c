"""Problem 3: a bias before batchnorm is redundant in training mode, BN(W x + b) = BN(W x); and at inference.

Shapes: a batch X (m, D) of inputs as rows, W (F, D), b (F,); pre-activations U = X W^T + b, (m, F).
Batchnorm normalizes each of the F features over the m examples.
"""

import numpy as np

from solutions.toolkit.gradcheck import STEP, check_gradients, numerical_gradient
from solutions.toolkit.layers import batchnorm_backward, batchnorm_columns

INPUTS = {
    "m": 8,
    "W": [[0.5, -1.0, 0.3], [1.2, 0.4, -0.7]],
    "gamma": [1.5, 0.8],
    "beta": [0.2, -0.1],
    "eps": 1e-5,
    "biases": [[0.0, 0.0], [1.0, -2.0], [25.0, 40.0], [-300.0, 1000.0]],
    "b_check": [1.0, -2.0],
    "seed": 3,
    "batches": 40,  # batches seen while the running statistics are accumulated
    "momentum": 0.1,  # PyTorch's default: running = (1 - momentum) running + momentum batch statistic
    "startup_batches": [5, 20, 80],
}


def preactivation(X, W, b):
    """Return U = X W^T + b, (m, F), for a batch X (m, D) of inputs as rows, W (F, D) and b (F,)."""
    return np.asarray(X) @ np.asarray(W).T + np.asarray(b)


def layer(X, W, b, gamma, beta, eps):
    """Return batchnorm(X W^T + b): the linear layer followed by training-mode batchnorm, (m, F)."""
    return batchnorm_columns(preactivation(X, W, b), gamma, beta, eps)[0]


def loss(X, W, b, gamma, beta, eps, T):
    """Return L = 1/2 sum (layer output - T)^2, a downstream loss to differentiate. T: (m, F)."""
    return 0.5 * float(np.sum((layer(X, W, b, gamma, beta, eps) - T) ** 2))


def grad_U(X, W, b, gamma, beta, eps, T):
    """Return dL/dU (m, F) by backpropagation through batchnorm, one column (feature) at a time.

    dL/d(layer output) = layer output - T, (m, F), for L = 1/2 sum (layer output - T)^2.
    """
    out, caches = batchnorm_columns(preactivation(X, W, b), gamma, beta, eps)
    return np.column_stack([batchnorm_backward((out - T)[:, j], cache)[0] for j, cache in enumerate(caches)])


def grad_b(X, W, b, gamma, beta, eps, T):
    """Return dL/db (F,) by backpropagation: dL/db_j = sum_i dL/dU_ij, the batch sum of batchnorm's input gradient."""
    return grad_U(X, W, b, gamma, beta, eps, T).sum(axis=0)


def grad_b_fixed_statistics(X, W, b, gamma, beta, eps, T):
    """Return dL/db (F,) as it comes out if the batch mean and variance are treated as constants (a typical slip).

    Then dBN_ij/du_ij = gamma_j / sqrt(var_j + eps) and the paths through mu_j and var_j are dropped.
    """
    U = preactivation(X, W, b)
    return np.asarray(gamma) / np.sqrt(U.var(axis=0) + eps) * (layer(X, W, b, gamma, beta, eps) - T).sum(axis=0)


def grad_W(X, W, b, gamma, beta, eps, T):
    """Return dL/dW (F, D) = dU^T X by backpropagation through batchnorm, to show the backward pass is not trivially zero."""
    return grad_U(X, W, b, gamma, beta, eps, T).T @ np.asarray(X)


def running_statistics(batches, W, b, momentum, start=(0.0, 1.0)):
    """Return (running mean, running variance), (F,) each, accumulated as PyTorch does over the batches.

    batches: (n, m, D). The running variance uses the unbiased batch variance, as PyTorch does.
    """
    mean, var = np.full(len(b), start[0]), np.full(len(b), start[1])
    for X in batches:
        U = preactivation(X, W, b)
        mean = (1 - momentum) * mean + momentum * U.mean(axis=0)
        var = (1 - momentum) * var + momentum * U.var(axis=0, ddof=1)
    return mean, var


def inference(X, W, b, gamma, beta, eps, mean, var):
    """Return gamma (X W^T + b - running mean) / sqrt(running var + eps) + beta, (m, F)."""
    return np.asarray(gamma) * (preactivation(X, W, b) - mean) / np.sqrt(var + eps) + np.asarray(beta)


def publish(page):
    W, gamma, beta, eps = (np.asarray(INPUTS[k], float) for k in ("W", "gamma", "beta", "eps"))
    m, F, D = INPUTS["m"], *W.shape
    for name in ("gamma", "beta", "b_check", "startup_batches"):
        page.input(name, INPUTS[name], row=True)
    for name in ("W", "m", "eps", "seed", "batches", "momentum"):
        page.input(name, INPUTS[name])

    rng = np.random.default_rng(INPUTS["seed"])
    X, T = rng.normal(size=(m, D)), rng.normal(size=(m, F))
    history = rng.normal(1.0, 2.0, size=(max(INPUTS["batches"], *INPUTS["startup_batches"]), m, D))
    X_test = rng.normal(1.0, 2.0, size=(4, D))
    data = ("m", "W", "gamma", "beta", "eps", "seed")

    # Training mode: the output for several b against b = 0.
    base = layer(X, W, np.zeros(F), gamma, beta, eps)
    biases = np.asarray(INPUTS["biases"], float)
    rows = [[*b, *preactivation(X, W, b).mean(axis=0), np.max(np.abs(layer(X, W, b, gamma, beta, eps) - base))] for b in biases]
    # Roundoff grows with |b| (U - mean cancels about |b| / spread digits): claim agreement to 1e-12.
    page.table("invariance", ["case", "$b_1$", "$b_2$", r"batch mean $\mu_1$", r"batch mean $\mu_2$",
                              r"$\max \lvert \mathrm{BN}(Wx+b) - \mathrm{BN}(Wx) \rvert$"],
               [str(i + 1) for i in range(len(biases))], np.array(rows), digits=[4, 4, 4, 4, 2],
               rtol=[1e-12, 1e-12, 1e-12, 1e-12, 0], atol=[0, 0, 0, 0, 1e-12], inputs=data + ("biases",))

    b = np.asarray(INPUTS["b_check"], float)
    ones, zeros = np.ones(F), np.zeros(F)  # gamma = 1, beta = 0: no learnable offset that could absorb b
    page.value("invariance_no_affine", np.max(np.abs(layer(X, W, b, ones, zeros, eps) - layer(X, W, zeros, ones, zeros, eps))),
               digits=2, rtol=0, atol=1e-12, inputs=("m", "W", "eps", "seed", "b_check"))
    L = loss(X, W, b, gamma, beta, eps, T)
    page.value("L", L, digits=6, inputs=data + ("b_check",))
    numeric = numerical_gradient(lambda v: loss(X, W, v, gamma, beta, eps, T), b)
    # Both columns are roundoff (~1e-16 and ~eps L / h ~ 1e-10) and vary between CPUs: the key claims only their size.
    page.table("grad_b", ["entry", "backpropagation", "central difference"], ["\\partial L / \\partial b_1", "\\partial L / \\partial b_2"],
               np.column_stack([grad_b(X, W, b, gamma, beta, eps, T), numeric]), digits=[2, 2],
               rtol=[0, 0], atol=[1e-14, 1e-8], inputs=data + ("b_check",))  # 1e-8: above the floor eps L / h
    page.value("roundoff_scale", np.finfo(float).eps * L / STEP, digits=2, rtol=1e-12, inputs=data + ("b_check",))
    page.value("grad_b_backprop", grad_b(X, W, b, gamma, beta, eps, T), digits=2, row=True, rtol=0, atol=1e-14,
               inputs=data + ("b_check",))
    page.mistake("grad_b_fixed_statistics", grad_b_fixed_statistics(X, W, b, gamma, beta, eps, T), of="grad_b_backprop",
                 row=True, inputs=data + ("b_check",),
                 why="treated the batch mean and variance as constants: dropped the paths from b through them")
    checks = check_gradients(lambda q: loss(X, q["W"], b, gamma, beta, eps, T), {"W": W},
                             {"W": grad_W(X, W, b, gamma, beta, eps, T)})
    page.gradient_table("grad_W", checks, inputs=data + ("b_check",))

    # Inference: running statistics accumulated with b = 0 or with b = b_check.
    n = INPUTS["batches"]
    momentum = INPUTS["momentum"]
    stats_0 = running_statistics(history[:n], W, np.zeros(F), momentum)
    stats_b = running_statistics(history[:n], W, b, momentum)
    reference = inference(X_test, W, np.zeros(F), gamma, beta, eps, *stats_0)
    same = inference(X_test, W, b, gamma, beta, eps, *stats_b) - reference
    stale = inference(X_test, W, b, gamma, beta, eps, *stats_0) - reference
    residue = (1 - momentum) ** n
    page.value("running_mean_shift", stats_b[0] - stats_0[0], row=True)
    page.value("absorbed", 1 - residue, inputs=("batches", "momentum"))
    page.value("residue", residue, inputs=("batches", "momentum"))
    page.table("inference", ["running statistics, then inference", "feature 1: largest change", "feature 2: largest change",
                             r"predicted $\gamma_j\, r\, \lvert b_j \rvert / \sqrt{\sigma^2_j + \epsilon}$, feature 1", "feature 2"],
               [r"\text{accumulated with } b, \text{ inference with } b",
                r"\text{accumulated with } b = 0, \text{ inference with } b"],
               np.array([[*np.max(np.abs(same), axis=0), *(gamma * residue * np.abs(b) / np.sqrt(stats_b[1] + eps))],
                         [*np.max(np.abs(stale), axis=0), *(gamma * np.abs(b) / np.sqrt(stats_0[1] + eps))]]),
               digits=6, rtol=1e-10)
    page.value("running_var", stats_0[1], row=True, inputs=data + ("batches", "momentum"))
    page.value("frozen_shift", np.max(np.abs(stale)), digits=6, rtol=1e-10)

    startup = []
    for k in INPUTS["startup_batches"]:
        with_b = running_statistics(history[:k], W, b, momentum)
        shift = (inference(X_test, W, b, gamma, beta, eps, *with_b)
                 - inference(X_test, W, np.zeros(F), gamma, beta, eps, *running_statistics(history[:k], W, np.zeros(F), momentum)))
        predicted = np.max(gamma * (1 - momentum) ** k * np.abs(b) / np.sqrt(with_b[1] + eps))
        startup.append([(1 - momentum) ** k, predicted, np.max(np.abs(shift))])
    page.table("startup", ["batches $n$", "residue $r = (1-\\text{momentum})^n$", "predicted largest change",
                           "largest change of the output"],
               [str(k) for k in INPUTS["startup_batches"]], np.array(startup), digits=[4, 6, 6], rtol=1e-10,
               inputs=data + ("b_check", "momentum", "startup_batches"))
