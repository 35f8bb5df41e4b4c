"""Question 5: batchnorm with small batches, and layernorm, which does not look at the batch.

Batchnorm (training mode) standardizes each feature with the batch's own mean and biased
variance; these are estimates whose spread grows as the batch shrinks: for a feature
distributed N(mu, sigma^2), std of the batch mean = sigma / sqrt(m) and std of the biased
batch variance = sigma^2 sqrt(2 (m - 1)) / m. Layernorm standardizes each example over its
own features, so one example's output cannot depend on the others.
"""

import numpy as np

from solutions.toolkit import fmt
from solutions.toolkit.figures import COLORS, new_figure
from solutions.toolkit.layers import batchnorm_columns

INPUTS = {
    "seed": 5,
    "mu": 1.0, "sigma": 2.0,
    "batch_sizes": [2, 4, 8, 16, 32, 64, 128],
    "repeats": 4000,  # batches drawn per size
    "eps": 1e-5,
    "demo_batch": 4, "demo_features": 6,
}


def batchnorm(X, eps):
    """Return training-mode batchnorm of X (m, d): each column standardized over the batch (gamma 1, beta 0), (m, d)."""
    d = X.shape[1]
    return batchnorm_columns(X, np.ones(d), np.zeros(d), eps)[0]


def layernorm(X, eps):
    """Return layernorm of X (m, d): each row standardized over its own features (gamma 1, beta 0)."""
    return (X - X.mean(axis=1, keepdims=True)) / np.sqrt(X.var(axis=1, keepdims=True) + eps)


def batch_statistics(rng, m, repeats, mu, sigma, eps):
    """Return (batch means, biased batch variances, normalized value of x0 = mu + sigma), each (repeats,).

    Every batch holds x0 and m - 1 fresh draws from N(mu, sigma^2) for the last, so that one fixed
    example's batchnorm output can be followed from batch to batch; the first two come from
    batches of m fresh draws.
    """
    draws = rng.normal(mu, sigma, size=(repeats, m))
    with_x0 = draws.copy()
    with_x0[:, 0] = mu + sigma
    x0_out = (with_x0[:, 0] - with_x0.mean(axis=1)) / np.sqrt(with_x0.var(axis=1) + eps)
    return draws.mean(axis=1), draws.var(axis=1), x0_out


def closed_form_spread(m, sigma):
    """Return (std of the batch mean, std of the biased batch variance) for m draws from N(., sigma^2)."""
    m = np.asarray(m, dtype=float)
    return sigma / np.sqrt(m), sigma**2 * np.sqrt(2.0 * (m - 1.0)) / m


def plot_spread(sizes, table, sigma):
    """Return a log-log figure of the measured spreads (markers) against their closed forms (lines)."""
    fig, (left, right) = new_figure(8.8, 3.4, ncols=2)
    grid = np.geomspace(sizes[0], sizes[-1], 100)
    mean_cf, var_cf = closed_form_spread(grid, sigma)
    left.plot(grid, mean_cf, color=COLORS[0], label=r"$\sigma/\sqrt{m}$")
    left.plot(sizes, table[:, 0], "o", color=COLORS[0], label="std of batch mean")
    left.plot(grid, var_cf, color=COLORS[1], label=r"$\sigma^2\sqrt{2(m-1)}/m$")
    left.plot(sizes, table[:, 2], "s", color=COLORS[1], label="std of batch variance")
    left.set_xscale("log", base=2)
    left.set_yscale("log")
    left.set_xlabel("batch size $m$")
    left.legend(fontsize=7)
    right.errorbar(sizes, table[:, 4], yerr=table[:, 5], fmt="o-", color=COLORS[2], capsize=3,
                   label=r"batchnorm output of $x_0 = \mu + \sigma$ (mean $\pm$ std)")
    right.axhline(1.0, color=COLORS[3], linestyle="--", linewidth=1, label="population value 1")
    right.set_xscale("log", base=2)
    right.set_xlabel("batch size $m$")
    right.legend(fontsize=7, loc="lower right")
    return fig


def publish(page):
    rng = np.random.default_rng(INPUTS["seed"])
    mu, sigma, sizes, repeats, eps = (INPUTS[name] for name in ("mu", "sigma", "batch_sizes", "repeats", "eps"))
    for name in ("seed", "mu", "sigma", "repeats", "eps", "demo_batch", "demo_features"):
        page.input(name, INPUTS[name])
    page.input("batch_sizes", sizes, row=True)
    rows = []
    for m in sizes:
        means, variances, x0_out = batch_statistics(rng, m, repeats, mu, sigma, eps)
        mean_cf, var_cf = closed_form_spread(m, sigma)
        rows.append([means.std(), mean_cf, variances.std(), var_cf, x0_out.mean(), x0_out.std()])
    table = np.array(rows)
    page.table("spread_table", ["$m$", "std of batch mean", r"$\sigma/\sqrt{m}$", "std of batch variance",
                                r"$\sigma^2\sqrt{2(m-1)}/m$", r"mean of $x_0$'s output", r"std of $x_0$'s output"],
               [str(m) for m in sizes], table, digits=4, rtol=1e-9)
    page.value("x0_spread_m2", table[0, 5], rtol=1e-9)
    mean_cf = closed_form_spread(sizes, sigma)[0]
    page.value("mean_spread_cf", mean_cf, digits=fmt.EXACT, row=True, inputs=("sigma", "batch_sizes"))
    page.mistake("mean_spread_over_m", sigma / np.asarray(sizes, dtype=float), of="mean_spread_cf", digits=fmt.EXACT, row=True,
                 inputs=("sigma", "batch_sizes"),
                 why="divided sigma by m instead of sqrt(m): the variances of independent draws add, their stds do not")
    page.figure("spread_plot", plot_spread(np.array(sizes), table, sigma),
                alt=(f"Log-log plot over batch sizes {sizes[0]} to {sizes[-1]}: the measured std of the batch mean "
                     f"falls from {table[0, 0]:.3f} to {table[-1, 0]:.3f} on the line sigma/sqrt(m), the std of the batch "
                     f"variance from {table[0, 2]:.3f} to {table[-1, 2]:.3f} on its closed form. Right: the batchnorm "
                     f"output of x0 = mu + sigma has mean {table[0, 4]:.2f} and std {table[0, 5]:.2f} at m = {sizes[0]}, "
                     f"tending to 1 with std {table[-1, 5]:.2f} at m = {sizes[-1]}"),
                caption=rf"Left: spread of the batch statistics over {repeats} batches per size (markers) against "
                        r"the closed forms (lines). Right: what one fixed example $x_0 = \mu + \sigma$, whose "
                        r"population-normalized value is 1, becomes after batchnorm, as the batch shrinks.")

    # One example in two different batches: layernorm gives it the same output, batchnorm does not.
    m, d = INPUTS["demo_batch"], INPUTS["demo_features"]
    batch_a = rng.normal(mu, sigma, size=(m, d))
    batch_b = np.vstack([batch_a[:1], rng.normal(mu, sigma, size=(m - 1, d))])
    page.value("example", batch_a[0], digits=4, row=True, rtol=1e-9)
    page.value("bn_in_a", batchnorm(batch_a, eps)[0], digits=4, row=True, rtol=1e-9)
    page.value("bn_in_b", batchnorm(batch_b, eps)[0], digits=4, row=True, rtol=1e-9)
    unbiased = (batch_a[0] - batch_a.mean(axis=0)) / np.sqrt(batch_a.var(axis=0, ddof=1) + eps)
    page.mistake("bn_in_a_unbiased", unbiased, of="bn_in_a", digits=4, row=True, rtol=1e-9,
                 why="divided the batch variance by m - 1; batchnorm divides by m")
    page.value("bn_gap", np.abs(batchnorm(batch_a, eps)[0] - batchnorm(batch_b, eps)[0]).max(), rtol=1e-9)
    page.value("ln_in_a", layernorm(batch_a, eps)[0], digits=4, row=True, rtol=1e-9)
    page.value("ln_gap", np.abs(layernorm(batch_a, eps)[0] - layernorm(batch_b, eps)[0]).max(), atol=0)
    page.value("ln_alone_gap", np.abs(layernorm(batch_a, eps)[0] - layernorm(batch_a[:1], eps)[0]).max(), atol=0)
    page.value("bn_alone", np.abs(batchnorm(batch_a[:1], eps)).max(), atol=0)
