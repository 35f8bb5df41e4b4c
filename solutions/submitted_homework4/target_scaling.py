"""Question 3: two regression targets on different scales (income 0-10,000, age 0-100) in one MSE loss.

A small network with a shared hidden layer predicts both targets; we measure each target's
share of the loss and of the gradient reaching the shared weights, with the targets raw,
divided by their largest possible value (the submitted suggestion), and standardized.
"""

import numpy as np

INPUTS = {
    "seed": 3,
    "n": 256,  # examples
    "d": 3,  # input features
    "k": 8,  # shared hidden units
    "income_max": 10000,
    "age_max": 100,
}


def make_data(rng, n, d, income_max, age_max):
    """Return X (n, d) and targets Y (n, 2): column 0 income in [0, income_max], column 1 age in [0, age_max]."""
    X = rng.normal(size=(n, d))
    income = 0.5 * income_max + 0.2 * income_max * (X @ rng.normal(size=d)) / np.sqrt(d)
    age = 0.45 * age_max + 0.15 * age_max * (X @ rng.normal(size=d)) / np.sqrt(d)
    noise = rng.normal(size=(n, 2)) * [0.03 * income_max, 0.03 * age_max]
    return X, np.clip(np.column_stack([income, age]) + noise, 0, [income_max, age_max])


def init_params(rng, d, k):
    """Return {"W1": (k, d), "b1": (k,), "W2": (2, k), "b2": (2,)}, scaled so hidden units start unsaturated."""
    return {"W1": rng.normal(size=(k, d)) / np.sqrt(d), "b1": np.zeros(k),
            "W2": rng.normal(size=(2, k)) / np.sqrt(k), "b2": np.zeros(2)}


def predict(params, X):
    """Return (Y_hat (n, 2), H (n, k)) for Y_hat = tanh(X W1^T + b1) W2^T + b2."""
    H = np.tanh(X @ params["W1"].T + params["b1"])
    return H @ params["W2"].T + params["b2"], H


def loss_terms(params, X, Y):
    """Return the two terms of the loss, L_j = mean_i (Y_hat_ij - Y_ij)^2, shape (2,); L = L_0 + L_1."""
    Y_hat, _ = predict(params, X)
    return ((Y_hat - Y) ** 2).mean(axis=0)


def shared_gradient(params, X, Y, j):
    """Return dL_j / dW1, shape (k, d): the gradient that term j sends to the shared hidden weights."""
    Y_hat, H = predict(params, X)
    dY = np.zeros_like(Y_hat)
    dY[:, j] = 2.0 * (Y_hat[:, j] - Y[:, j]) / len(X)
    dA = (dY @ params["W2"]) * (1.0 - H**2)  # through tanh
    return dA.T @ X


def transforms(Y, income_max, age_max):
    """Return {name: (forward, inverse)} target transforms; statistics come from Y (the training targets)."""
    maxima = np.array([income_max, age_max], dtype=float)
    mean, std = Y.mean(axis=0), Y.std(axis=0)
    return {"raw": (lambda T: T, lambda T: T),
            "divided by maximum": (lambda T: T / maxima, lambda T: T * maxima),
            "standardized": (lambda T: (T - mean) / std, lambda T: T * std + mean)}


def shares(params, X, Y):
    """Return (L_0, L_1, income's share of the loss, income's share of ||dL/dW1||)."""
    terms = loss_terms(params, X, Y)
    norms = [np.linalg.norm(shared_gradient(params, X, Y, j)) for j in (0, 1)]
    return terms[0], terms[1], terms[0] / terms.sum(), norms[0] / sum(norms)


def publish(page):
    rng = np.random.default_rng(INPUTS["seed"])
    n, d, k, income_max, age_max = (INPUTS[name] for name in ("n", "d", "k", "income_max", "age_max"))
    for name in INPUTS:
        page.input(name, INPUTS[name])
    X, Y = make_data(rng, n, d, income_max, age_max)
    params = init_params(rng, d, k)
    page.value("income_mean", Y[:, 0].mean(), digits=1)
    page.value("income_std", Y[:, 0].std(), digits=1)
    page.value("age_mean", Y[:, 1].mean(), digits=2)
    page.value("age_std", Y[:, 1].std(), digits=2)
    # An untrained network outputs values of order one, so each error is about the target itself and
    # each loss term about the target's mean square, mean^2 + variance.
    rms = np.sqrt((Y**2).mean(axis=0))
    page.value("income_rms", rms[0], digits=1)
    page.value("age_rms", rms[1], digits=2)
    page.value("raw_rms_ratio", rms[0] / rms[1], digits=1, rtol=1e-9)
    page.value("raw_rms_ratio_squared", (rms[0] / rms[1]) ** 2, digits=0, rtol=1e-9)

    targets = transforms(Y, income_max, age_max)
    names, rows = [], []
    for name, (forward, _) in targets.items():
        names.append(rf"\text{{{name}}}")
        rows.append(shares(params, X, forward(Y)))
    rows = np.array(rows)
    page.table("share_table", ["targets", "income term $L_1$", "age term $L_2$", "income's share of the loss",
                               r"income's share of $\lVert\nabla_{W_1}\rVert$"],
               names, rows, digits=[4, 4, 6, 6], rtol=1e-9)
    page.value("raw_loss_ratio", rows[0, 0] / rows[0, 1], digits=0, rtol=1e-9)
    page.mistake("loss_ratio_unsquared", rms[0] / rms[1], of="raw_loss_ratio", digits=1, rtol=1e-9,
                 why="compared the targets' sizes, not their squares: a squared error grows as the square of the size")
    page.value("raw_age_loss_share", 1.0 - rows[0, 2], digits=6, rtol=1e-6)
    page.value("raw_age_grad_share", 1.0 - rows[0, 3], digits=6, rtol=1e-6)
    # The gradient ratio differs from the size ratio: each term reaches W1 through its own row of W2.
    page.value("raw_grad_ratio", rows[0, 3] / (1.0 - rows[0, 3]), digits=1, rtol=1e-6)
    w2_norms = np.linalg.norm(params["W2"], axis=1)
    page.value("w2_norm_ratio", w2_norms[0] / w2_norms[1], digits=2, rtol=1e-9)
    page.value("std_age_loss_share", 1.0 - rows[2, 2], digits=4, rtol=1e-9)
    page.value("std_age_grad_share", 1.0 - rows[2, 3], digits=4, rtol=1e-9)

    # A prediction made in standardized units means nothing until it is mapped back (shown for the
    # untrained network: the mapping, not the accuracy, is the point).
    inverse = targets["standardized"][1]
    Y_hat_std, _ = predict(params, X[:1])
    page.value("pred_std_units", Y_hat_std[0], digits=4, row=True, rtol=1e-9)
    page.value("pred_original_units", inverse(Y_hat_std)[0], digits=2, row=True, rtol=1e-9)
    page.mistake("pred_not_mapped_back", Y_hat_std[0], of="pred_original_units", digits=4, row=True, rtol=1e-9,
                 why="read the network's standardized outputs as dollars and years, without the inverse transform")
