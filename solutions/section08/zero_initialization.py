"""Problem 2.2: all-zero (or constant) initialization of the network of problem 2.1, and what training does to it.

Batch shapes: X (N, d), targets t (N,), W0 (h, d), b0 (h,), W1 (1, h), b1 a scalar,
hidden outputs Z (N, h), predictions y (N,). Training minimizes L = 1/(2N) sum_n (y_n - t_n)^2
by full-batch gradient descent.
"""

import numpy as np

from solutions.toolkit import fmt
from solutions.toolkit.activations import sigmoid
from solutions.toolkit.figures import COLORS, new_figure
from solutions.section08.forward_backward import backward, forward

INPUTS = {
    "x": [1.5, -0.5],
    "d": 2,
    "h": 4,
    "constant": 0.3,  # any constant behaves like zero; this one is checked too
    "seed": 2,
    "n_samples": 40,
    "init_scale": 1.0,  # standard deviation of the random initialization
    "learning_rate": 0.5,  # with zero init, one step makes y the mean target
    "steps": 1000,
    "steps_tabulated": [0, 1, 2, 3],
}
assert INPUTS["d"] == len(INPUTS["x"])  # d sizes both the single input x of (a), (b) and the batch of (c)


def constant_params(value, d, h):
    """Return {"W0": (h, d), "b0": (h,), "W1": (1, h), "b1": scalar}, every entry equal to value."""
    return {"W0": np.full((h, d), value), "b0": np.full(h, value), "W1": np.full((1, h), value), "b1": float(value)}


def random_params(rng, d, h, scale):
    """Return parameters drawn i.i.d. from N(0, scale^2): a different start for every hidden unit."""
    return {"W0": scale * rng.normal(size=(h, d)), "b0": scale * rng.normal(size=h),
            "W1": scale * rng.normal(size=(1, h)), "b1": 0.0}


HALF_WIDTH = 2.0  # inputs are drawn from [-HALF_WIDTH, HALF_WIDTH]^d


def make_data(rng, n, d):
    """Return (X (n, d), t (n,)): inputs uniform on [-2, 2]^d, targets a bump that no single sigmoid unit fits."""
    X = rng.uniform(-HALF_WIDTH, HALF_WIDTH, size=(n, d))
    return X, np.exp(-np.sum(X**2, axis=1))


def batch_forward(X, p):
    """Return (y (N,), Z (N, h)): Z = sigmoid(X W0^T + b0), y = Z W1^T + b1."""
    Z = sigmoid(X @ p["W0"].T + p["b0"])
    return Z @ p["W1"][0] + p["b1"], Z


def batch_loss(X, t, p):
    """Return L = 1/(2N) sum_n (y_n - t_n)^2."""
    return 0.5 * float(np.mean((batch_forward(X, p)[0] - t) ** 2))


def batch_gradients(X, t, p):
    """Return dL/d each parameter, same shapes as p: the problem 2.1 formulas averaged over the batch."""
    y, Z = batch_forward(X, p)
    dy = (y - t) / len(t)  # (N,)
    delta = np.outer(dy, p["W1"][0]) * Z * (1 - Z)  # (N, h): dL/d(pre-activation)
    return {"W0": delta.T @ X, "b0": delta.sum(axis=0), "W1": (dy @ Z)[None, :], "b1": float(dy.sum())}


def train(X, t, p, learning_rate, steps):
    """Return (history, losses): the parameters before each step and after the last, and L at each."""
    history = [p]
    for _ in range(steps):
        g = batch_gradients(X, t, p)
        p = {k: p[k] - learning_rate * g[k] for k in p}
        history.append(p)
    return history, np.array([batch_loss(X, t, q) for q in history])


def unit_spread(p):
    """Return the largest difference between two hidden units' parameters (row of W0, entry of b0, entry of W1)."""
    per_unit = np.column_stack([p["W0"], p["b0"], p["W1"][0]])  # (h, d + 2)
    return float(np.max(np.ptp(per_unit, axis=0)))


def one_unit_prediction(X, p):
    """Return the predictions of a single hidden unit (unit 1's weights) whose output weight is h W1_1."""
    h = p["W1"].shape[1]
    return h * p["W1"][0, 0] * sigmoid(X @ p["W0"][0] + p["b0"][0]) + p["b1"]


def run(inputs):
    """Return the data and the three training runs {"zero", "constant", "random"}: (history, losses) each."""
    rng = np.random.default_rng(inputs["seed"])
    d, h = inputs["d"], inputs["h"]
    X, t = make_data(rng, inputs["n_samples"], d)
    starts = {"zero": constant_params(0.0, d, h), "constant": constant_params(inputs["constant"], d, h),
              "random": random_params(rng, d, h, inputs["init_scale"])}
    runs = {name: train(X, t, p, inputs["learning_rate"], inputs["steps"]) for name, p in starts.items()}
    return X, t, runs


LABELS = {"zero": "all zero", "constant": "constant", "random": "random"}


def plot_runs(runs, every=5):
    """Return three panels: the loss of each run, and each hidden unit's output weight W1_i under zero and random init.

    Every `every`-th step is drawn (the first steps all), which keeps each curve to a few hundred points.
    """
    n = len(next(iter(runs.values()))[1])
    steps = np.unique(np.concatenate([np.arange(min(n, 10)), np.arange(0, n, every), [n - 1]]))
    fig, axes = new_figure(9.0, 3.2, ncols=3)
    for color, (name, (_, losses)) in zip(COLORS, runs.items()):
        axes[0].plot(steps, losses[steps], color=color, label=LABELS[name], linestyle="--" if name == "constant" else "-")
    axes[0].set_yscale("log")
    axes[0].set_ylabel("training loss $L$")
    axes[0].legend()
    for ax, name in zip(axes[1:], ("zero", "random")):
        weights = np.array([runs[name][0][k]["W1"][0] for k in steps])  # (len(steps), h)
        for i in range(weights.shape[1]):
            ax.plot(steps, weights[:, i], color=COLORS[i], label=f"unit {i + 1}")
        ax.set_title(f"{LABELS[name]} init: $W^{{(1)}}_i$ per unit", fontsize=10)
    axes[2].legend(loc="best", fontsize=8)
    for ax in axes:
        ax.set_xlabel("gradient-descent step")
    return fig


def describe_runs(runs):
    """Return alt text for plot_runs, read off the runs."""
    final = {name: losses[-1] for name, (_, losses) in runs.items()}
    zero_w, random_w = (np.array([p["W1"][0] for p in runs[name][0]]) for name in ("zero", "random"))
    def listed(values):
        return ", ".join(f"{v:.2f}" for v in values)
    return (f"Left: training loss over {len(zero_w) - 1} steps on a log scale; it ends at {final['zero']:.4f} "
            f"from all-zero init, {final['constant']:.4f} from constant init and {final['random']:.4f} from random init. "
            f"Middle: under all-zero init the {zero_w.shape[1]} units' output weights coincide at every step "
            f"(largest gap between units {np.max(np.ptp(zero_w, axis=1)):g}), ending at {zero_w[-1, 0]:.2f}. "
            f"Right: under random init they start at {listed(random_w[0])} and end at {listed(random_w[-1])}.")


TRAINED = {"rtol": 1e-9, "atol": 1e-12}  # a thousand steps may amplify roundoff a little between CPUs
SPREAD = {"rtol": 0.0, "atol": 1e-12}  # claimed: zero up to roundoff


def publish(page):
    for name in ("x", "d", "h", "constant", "seed", "n_samples", "init_scale", "learning_rate", "steps"):
        page.input(name, INPUTS[name])
    x, d, h = INPUTS["x"], INPUTS["d"], INPUTS["h"]
    page.input("half_width", HALF_WIDTH)  # a stated choice of the data, like the entries of INPUTS

    # (a), (b): one forward and backward pass of problem 2.1's network from all-zero parameters.
    for prefix, value in (("zero", 0.0), ("const", INPUTS["constant"])):
        y, z, caches = forward(x, **constant_params(value, d, h))
        grads = backward(caches)
        point = ("x", "d", "h") if prefix == "zero" else ("x", "d", "h", "constant")
        digits = fmt.EXACT if prefix == "zero" else fmt.DIGITS  # from zero every value is 0, 1/2 or 1: shown exactly
        page.value(f"z_{prefix}", z, inputs=point, digits=digits)
        page.value(f"y_{prefix}", y, inputs=point, digits=digits)
        for param in ("W1", "b1", "W0", "b0"):
            page.value(f"dy_d{param}_{prefix}", grads[param], inputs=point, digits=digits)
    # Typical slips at zero: sigma(0) taken as 0, and "every gradient is zero" (only the hidden layer's are).
    page.mistake("z_zero_mistake", np.zeros(h), of="z_zero", inputs=("x", "d", "h"),
                 why="took sigma(0) = 0 instead of 1/2")
    page.mistake("dy_dW1_zero_mistake", np.zeros((1, h)), of="dy_dW1_zero", inputs=("x", "d", "h"),
                 why="concluded that every gradient vanishes from zero; the output weights get z^T = 1/2, only the hidden layer's vanish")

    # (c): training from zero, from a constant, and from a random start.
    X, t, runs = run(INPUTS)
    history, losses = runs["zero"]
    page.value("t_mean", t.mean())
    page.value("half_variance", 0.5 * t.var())
    steps = INPUTS["steps_tabulated"] + [INPUTS["steps"]]
    columns = ["updates done", "$L$", "$W^{(1)}_1$", "$b^{(1)}$", "$W^{(0)}_{1,1}$", "$W^{(0)}_{1,2}$", "$b^{(0)}_1$",
               "spread across units", r"rank of $W^{(0)}$"]
    # Entries that are zero in exact arithmetic (b0 after step 1 makes the mean residual zero) carry
    # ~1e-20 of roundoff; zeroing entries below 1e-15 shows them as the zeros they are, touching no other.
    rows = [[losses[k], history[k]["W1"][0, 0], history[k]["b1"], history[k]["W0"][0, 0], history[k]["W0"][0, 1],
             history[k]["b0"][0], unit_spread(history[k]), np.linalg.matrix_rank(history[k]["W0"])] for k in steps]
    rows = np.where(np.abs(rows) < 1e-15, 0.0, rows)
    page.table("zero_steps", columns, [str(k) for k in steps], rows, digits=[6, 6, 6, 6, 6, 6, 2, 0],
               rtol=[TRAINED["rtol"]] * 6 + [0, 0], atol=[TRAINED["atol"]] * 6 + [SPREAD["atol"], 0])
    for name in ("zero", "constant"):
        page.value(f"max_spread_{name}", max(unit_spread(p) for p in runs[name][0]), digits=2, **SPREAD)
        page.value(f"max_rank_{name}", max(np.linalg.matrix_rank(p["W0"]) for p in runs[name][0]))
    page.value("one_unit_gap", max(np.max(np.abs(one_unit_prediction(X, p) - batch_forward(X, p)[0])) for p in history),
               digits=2, **SPREAD)
    random_final = runs["random"][0][-1]
    page.value("spread_random", unit_spread(random_final), **TRAINED)
    page.value("rank_random", np.linalg.matrix_rank(random_final["W0"]))
    for name in runs:
        page.value(f"loss_{name}", runs[name][1][-1], digits=6, **TRAINED)
    page.figure("runs", plot_runs(runs), alt=describe_runs(runs),
                caption="Left: the loss of full-batch gradient descent from three starts. Middle: from all-zero "
                        "parameters the four hidden units' output weights are one curve, drawn four times. "
                        "Right: from a random start every unit follows its own path.")
