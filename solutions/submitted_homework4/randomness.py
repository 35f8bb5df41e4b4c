"""Question 7: the same small model trained with different seeds, and the spread of its results.

A one-hidden-layer tanh classifier learns a noisy circle (label 1 inside radius r) by
minibatch SGD on the logistic loss. The data set is fixed by its own seed; each training
seed sets the initial weights and the order of the minibatches. Changing only the seed
changes the final test accuracy and loss: that spread is what a paper has to report.
"""

import numpy as np

from solutions.toolkit.activations import sigmoid

INPUTS = {
    "data_seed": 70,
    "train_seeds": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    "n_train": 120, "n_test": 1000,
    "label_noise": 0.1,  # share of training labels flipped
    "hidden": 6, "lr": 0.5, "batch": 20, "epochs": 40,
}


def make_data(rng, n, noise):
    """Return X (n, 2) uniform on [-1, 1]^2 and labels y (n,): 1 inside radius sqrt(2/pi), a share `noise` flipped."""
    X = rng.uniform(-1, 1, size=(n, 2))
    y = (np.sum(X**2, axis=1) < 2 / np.pi).astype(float)  # the circle holds half of the square
    flip = rng.uniform(size=n) < noise
    return X, np.where(flip, 1 - y, y)


def predict(params, X):
    """Return (probabilities (n,), hidden (n, k)) of p = sigmoid(v . tanh(W x + b) + c)."""
    H = np.tanh(X @ params["W"].T + params["b"])
    return sigmoid(H @ params["v"] + params["c"]), H


def logistic_loss(p, y):
    """Return mean cross-entropy -[y log p + (1 - y) log(1 - p)], clipped away from log 0."""
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def gradients(params, X, y):
    """Return the gradient of logistic_loss for every parameter; d loss / d logit = (p - y) / n."""
    p, H = predict(params, X)
    d_logit = (p - y) / len(y)
    d_pre = np.outer(d_logit, params["v"]) * (1 - H**2)
    return {"W": d_pre.T @ X, "b": d_pre.sum(axis=0), "v": H.T @ d_logit, "c": d_logit.sum()}


def train(rng, X, y, hidden, lr, batch, epochs):
    """Return parameters after minibatch SGD; rng draws the initial weights and each epoch's order."""
    params = {"W": rng.normal(size=(hidden, 2)) * 2.0, "b": rng.normal(size=hidden),
              "v": rng.normal(size=hidden) / np.sqrt(hidden), "c": 0.0}
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch):
            idx = order[start:start + batch]
            grads = gradients(params, X[idx], y[idx])
            params = {name: params[name] - lr * grads[name] for name in params}
    return params


def results_by_seed(seeds, X, y, X_test, y_test, hidden, lr, batch, epochs):
    """Return (len(seeds), 3) array: final training loss, test loss, test accuracy per training seed."""
    rows = []
    for seed in seeds:
        params = train(np.random.default_rng(seed), X, y, hidden, lr, batch, epochs)
        p_test = predict(params, X_test)[0]
        rows.append([logistic_loss(predict(params, X)[0], y), logistic_loss(p_test, y_test),
                     np.mean((p_test > 0.5) == y_test)])
    return np.array(rows)


def publish(page):
    for name, value in INPUTS.items():
        page.input(name, value, row=isinstance(value, list))
    data = np.random.default_rng(INPUTS["data_seed"])
    X, y = make_data(data, INPUTS["n_train"], INPUTS["label_noise"])
    X_test, y_test = make_data(data, INPUTS["n_test"], 0.0)
    hyper = {name: INPUTS[name] for name in ("hidden", "lr", "batch", "epochs")}
    seeds = INPUTS["train_seeds"]
    runs = results_by_seed(seeds, X, y, X_test, y_test, **hyper)
    # Training repeats float64 arithmetic in one order: only roundoff could differ between machines.
    tol = {"rtol": 1e-7, "atol": 1e-9}
    page.table("runs_table", ["seed", "training loss", "test loss", "test accuracy"], [str(s) for s in seeds],
               runs, digits=4, **tol)
    stats = np.column_stack([runs.mean(axis=0), runs.std(axis=0, ddof=1), runs.min(axis=0), runs.max(axis=0)])
    page.table("summary_table", ["over the seeds", "mean", "std", "min", "max"],
               [r"\text{training loss}", r"\text{test loss}", r"\text{test accuracy}"], stats, digits=4, **tol)
    accuracy = runs[:, 2]
    page.value("accuracy_range", accuracy.max() - accuracy.min(), digits=4, **tol)
    first_three = accuracy[:3]
    page.value("best_of_three", first_three.max(), digits=4, **tol)
    page.value("mean_of_three", first_three.mean(), digits=4, **tol)
    page.value("std_of_three", first_three.std(ddof=1), digits=4, **tol)
    page.value("mean_all", accuracy.mean(), digits=4, **tol)
    page.mistake("reported_best", accuracy.max(), of="mean_all", digits=4, **tol,
                 why="reported the best seed's test accuracy instead of the mean over seeds")
    page.value("sem_all", accuracy.std(ddof=1) / np.sqrt(len(accuracy)), digits=4, **tol)
    page.value("n_seeds", len(seeds), inputs=("train_seeds",))
