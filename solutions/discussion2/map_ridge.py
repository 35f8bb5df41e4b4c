"""Problem 3: ridge regression is the MAP estimate under w ~ N(0, I) and Y = X w + sqrt(lam) N.

Shapes: X (n, p), y (n,), w (p,); p = 2 here so that the posterior can be drawn in the plane.
Up to constants, -log p(w | y) = ||y - X w||^2 / (2 lam) + ||w||^2 / 2, i.e. the ridge objective / (2 lam).
"""

import numpy as np
from scipy.optimize import minimize

from solutions.toolkit import fmt
from solutions.toolkit.figures import COLORS, new_figure

INPUTS = {
    "seed": 182,
    "n": 6,
    "lam": 2.0,
    "lams_path": [1e-6, 1e-2, 2.0, 1e2, 1e4],
}


def make_data(rng, n, lam):
    """Return (X (n, 2), y (n,), w_true (2,)): w_true drawn from the prior, y = X w_true + sqrt(lam) noise."""
    X = rng.normal(size=(n, 2))
    w_true = rng.normal(size=2)
    return X, X @ w_true + np.sqrt(lam) * rng.normal(size=n), w_true


def ridge_closed_form(X, y, lam):
    """Return (X^T X + lam I)^{-1} X^T y, shape (p,). (Each set stands alone, so no import from another set.)"""
    return np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)


def neg_log_posterior(w, X, y, lam):
    """Return -log p(w | y) up to a constant: ||y - X w||^2 / (2 lam) + ||w||^2 / 2."""
    r = y - X @ w
    return r @ r / (2 * lam) + w @ w / 2


def neg_log_posterior_grad(w, X, y, lam):
    """Return the gradient of neg_log_posterior: X^T (X w - y) / lam + w, shape (p,)."""
    return X.T @ (X @ w - y) / lam + w


def map_by_optimizer(X, y, lam):
    """Return (w, gradient norm at w): BFGS from w = 0 on neg_log_posterior, run to a gradient of ~1e-12."""
    result = minimize(neg_log_posterior, np.zeros(X.shape[1]), args=(X, y, lam), jac=neg_log_posterior_grad,
                      method="BFGS", options={"gtol": 1e-12})
    return result.x, float(np.linalg.norm(neg_log_posterior_grad(result.x, X, y, lam)))


def posterior_by_conditioning(X, y, lam):
    """Return (mean (p,), covariance (p, p)) of w given Y = y, by conditioning the joint Gaussian.

    (w, Y) is jointly Gaussian with Cov(w) = I, Cov(Y) = X X^T + lam I, Cov(w, Y) = X^T, so
    E[w | y] = X^T (X X^T + lam I)^{-1} y and Cov[w | y] = I - X^T (X X^T + lam I)^{-1} X: an
    n x n solve, not the p x p one of the closed form.
    """
    K = X @ X.T + lam * np.eye(X.shape[0])
    return X.T @ np.linalg.solve(K, y), np.eye(X.shape[1]) - X.T @ np.linalg.solve(K, X)


def posterior_precision(X, lam):
    """Return X^T X / lam + I, shape (p, p): the posterior's precision, the Hessian of neg_log_posterior."""
    return X.T @ X / lam + np.eye(X.shape[1])


def mahalanobis_grid(W1, W2, center, precision):
    """Return (w - center)^T precision (w - center) on a grid of points w = (W1, W2)."""
    d1, d2 = W1 - center[0], W2 - center[1]
    return precision[0, 0] * d1**2 + 2 * precision[0, 1] * d1 * d2 + precision[1, 1] * d2**2


def plot_posterior(X, y, lam, w_true):
    """Return the figure: prior, likelihood and posterior contours (1 and 2 standard deviations), MAP point."""
    w_map, w_ls = ridge_closed_form(X, y, lam), np.linalg.lstsq(X, y, rcond=None)[0]
    shapes = [("prior $\\mathcal{N}(0, I)$", np.zeros(2), np.eye(2)),
              ("likelihood, centred at least squares", w_ls, X.T @ X / lam),
              ("posterior $\\propto$ prior $\\times$ likelihood", w_map, posterior_precision(X, lam))]
    # The 2-sigma ellipse {d^T P d = 4} reaches 2 sqrt((P^-1)_jj) from its centre along axis j.
    half_widths = [2 * np.sqrt(np.diag(np.linalg.inv(P))) for _, _, P in shapes]
    reach = [(c - r, c + r) for (_, c, _), r in zip(shapes, half_widths)]
    lo = np.min([r[0] for r in reach] + [w_true], axis=0) - 0.3
    hi = np.max([r[1] for r in reach] + [w_true], axis=0) + 0.3
    W1, W2 = np.meshgrid(np.linspace(lo[0], hi[0], 161), np.linspace(lo[1], hi[1], 161))
    fig, ax = new_figure(6.8, 4.4)
    for color, style, (label, center, precision) in zip(COLORS, ("--", ":", "-"), shapes):
        ax.contour(W1, W2, mahalanobis_grid(W1, W2, center, precision), levels=[1, 4], colors=[color],
                   linestyles=style, linewidths=1.5)
        ax.plot([], [], style, color=color, label=label)
    ax.plot(*w_ls, "s", color=COLORS[1], label=f"least squares ({w_ls[0]:.3f}, {w_ls[1]:.3f})")
    ax.plot(*w_map, "o", color=COLORS[2], markersize=8, label=f"MAP = ridge ({w_map[0]:.3f}, {w_map[1]:.3f})")
    ax.plot(*w_true, "*", color=COLORS[3], markersize=10, label="$w$ that generated the data")
    ax.set(xlabel="$w_1$", ylabel="$w_2$", aspect="equal", xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
    return fig


def publish(page):
    n, lam = INPUTS["n"], INPUTS["lam"]
    for name in ("seed", "n", "lam"):
        page.input(name, INPUTS[name])
    page.input("lams_path", INPUTS["lams_path"], row=True)
    X, y, w_true = make_data(np.random.default_rng(INPUTS["seed"]), n, lam)
    data = ("seed", "n", "lam")
    page.value("X", X, inputs=data)
    page.value("y", y, row=True, inputs=data)
    page.value("w_true", w_true, row=True, inputs=data)
    page.value("p", X.shape[1], inputs=data, statement=True)

    w_closed = ridge_closed_form(X, y, lam)
    w_opt, grad_norm = map_by_optimizer(X, y, lam)
    mean, cov = posterior_by_conditioning(X, y, lam)
    page.value("w_closed", w_closed, digits=8, row=True, inputs=data)
    # BFGS stops at a gradient of ~1e-12, which differs between machines: the key claims only 1e-9.
    page.value("w_opt", w_opt, digits=8, row=True, inputs=data, rtol=1e-9, atol=1e-9)
    page.value("w_mean", mean, digits=8, row=True, inputs=data)
    page.value("posterior_cov", cov, digits=6, inputs=data)
    page.value("grad_norm", grad_norm, digits=2, atol=1e-9, inputs=data)
    hessian = posterior_precision(X, lam)
    min_eig = np.linalg.eigvalsh(hessian)[0]
    page.value("hessian", hessian, inputs=data)
    page.value("hessian_min_eig", min_eig, inputs=data)
    page.value("gap_opt", np.linalg.norm(w_opt - w_closed), digits=2, atol=1e-9, inputs=data)
    page.value("gap_mean", np.linalg.norm(mean - w_closed), digits=2, atol=1e-12, inputs=data)
    grad_at_closed = float(np.linalg.norm(neg_log_posterior_grad(w_closed, X, y, lam)))
    page.value("grad_at_closed", grad_at_closed, digits=2, atol=1e-12, inputs=data)
    # Neither point is the exact maximiser (the closed form has roundoff too), so the distance
    # between them is bounded by both gradients: ||a - b|| <= (||grad f(a)|| + ||grad f(b)||) / lambda_min.
    page.value("gap_bound", (grad_norm + grad_at_closed) / min_eig, digits=2, atol=1e-9, inputs=data)

    # Two typical slips in the likelihood: the noise variance taken as 1 (the sqrt(lam) forgotten),
    # or as sqrt(lam) (the standard deviation read as the variance). Each moves lam in the closed form.
    page.mistake("w_unit_noise", ridge_closed_form(X, y, 1.0), of="w_closed", digits=6, row=True, inputs=data,
                 why="took the noise variance to be 1 instead of lambda, which gives (X^T X + I)^{-1} X^T y")
    page.mistake("w_sqrt_lam", ridge_closed_form(X, y, np.sqrt(lam)), of="w_closed", digits=6, row=True, inputs=data,
                 why="took the noise variance to be sqrt(lambda), the standard deviation, instead of lambda")

    w_ls = np.linalg.lstsq(X, y, rcond=None)[0]
    page.value("w_ls", w_ls, digits=6, row=True, inputs=data)
    path = [ridge_closed_form(X, y, small) for small in INPUTS["lams_path"]]
    page.table("lambda_path", [r"$\lambda$", "$w_1$", "$w_2$", r"$\lVert \hat w - w_{\mathrm{LS}} \rVert$",
                               r"$\lVert \hat w \rVert$"],
               [fmt.number(v, digits=None) for v in INPUTS["lams_path"]],
               [[*w, np.linalg.norm(w - w_ls), np.linalg.norm(w)] for w in path],
               digits=[6, 6, 6, 6], rtol=[1e-10, 1e-10, 1e-6, 1e-10], atol=[0, 0, 1e-12, 0],
               inputs=("seed", "n", "lam", "lams_path"))
    page.figure("posterior_plot", plot_posterior(X, y, lam, w_true),
                alt=(f"Contours in the (w1, w2) plane at 1 and 2 standard deviations: the prior, circles around 0; "
                     f"the likelihood, ellipses around the least-squares solution ({w_ls[0]:.3f}, {w_ls[1]:.3f}); "
                     f"the posterior, smaller ellipses around the MAP point ({w_closed[0]:.3f}, {w_closed[1]:.3f}), "
                     f"which lies between the two; the true w ({w_true[0]:.3f}, {w_true[1]:.3f}) is starred."),
                caption=r"Prior, likelihood and posterior of $w$ for the stated data, each at Mahalanobis distance 1 and 2 "
                        r"from its centre. The posterior's centre, the MAP estimate, is the ridge solution: pulled from "
                        r"least squares toward the prior mean $0$.")
