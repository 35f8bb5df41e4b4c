"""Problem 4: backward pass of mean-only batchnorm, y_i = gamma (x_i - mu) + beta."""

import numpy as np

from solutions.toolkit.gradcheck import check_gradients

INPUTS = {
    "x": [0.5, -1.2, 2.0, 0.3],
    "gamma": 1.5,
    "beta": 0.3,
    # The downstream loss, for the check: L = 1/2 sum_j (y_j - t_j)^2, so dL/dy_j = y_j - t_j.
    "t": [1.0, 0.0, -1.0, 0.5],
}


def forward(x, gamma, beta):
    """Return y = gamma (x - mean(x)) + beta. x: (m,); y: (m,)."""
    x = np.asarray(x, dtype=float)
    return gamma * (x - x.mean()) + beta


def backward(dL_dy, gamma):
    """Return dL/dx_i = gamma (dL/dy_i - (1/m) sum_j dL/dy_j). dL_dy: (m,); dL/dx: (m,)."""
    dL_dy = np.asarray(dL_dy, dtype=float)
    return gamma * (dL_dy - dL_dy.mean())


def backward_without_mean_path(dL_dy, gamma):
    """Return gamma dL/dy_i: the typical wrong answer that treats mu as a constant (drops the paths through it)."""
    return gamma * np.asarray(dL_dy, dtype=float)


def jacobian(m, gamma):
    """Return dy/dx, an (m, m) matrix with entries gamma (delta_ij - 1/m)."""
    return gamma * (np.eye(m) - np.full((m, m), 1.0 / m))


def downstream_loss(x, gamma, beta, t):
    """Return L = 1/2 ||forward(x) - t||^2, the loss used to check the backward pass."""
    return 0.5 * float(np.sum((forward(x, gamma, beta) - np.asarray(t)) ** 2))


def publish(page):
    x, gamma, beta, t = (INPUTS[name] for name in ("x", "gamma", "beta", "t"))
    for name in ("x", "gamma", "beta", "t"):
        page.input(name, INPUTS[name], row=True)
    page.input("m", len(x))
    y = forward(x, gamma, beta)
    dL_dy = y - np.asarray(t)
    dL_dx = backward(dL_dy, gamma)
    page.value("y", y, row=True)
    page.value("dL_dy", dL_dy, row=True)
    page.value("dL_dy_mean", dL_dy.mean())
    page.value("dL_dx", dL_dx, digits=6, row=True)
    page.value("dL_dx_sum", np.round(dL_dx.sum(), 12) + 0.0, atol=1e-12)  # zero up to roundoff
    page.mistake("dL_dx_mistake", backward_without_mean_path(dL_dy, gamma), of="dL_dx", digits=6, row=True,
                 why="treated the mean mu as a constant, dropping the paths from x_i through mu to every y_j")
    page.value("jacobian", jacobian(len(x), gamma), inputs=("x", "gamma"))
    checks = check_gradients(lambda p: downstream_loss(p["x"], gamma, beta, t), {"x": np.asarray(x, dtype=float)},
                             {"x": dL_dx})
    page.gradient_table("gradient_table", checks)
