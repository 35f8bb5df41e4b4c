"""Problem 2: ridge regression, argmin_x ||A x - b||^2 + lam ||x||^2, and its singular-value filter."""

import numpy as np

from solutions.toolkit.figures import COLORS, new_figure

INPUTS = {
    # Column 3 is nearly column 1 minus column 2, so A has one small singular value.
    "A": [[3, 1, 2], [1, 2, -1], [0, 1, -1], [2, 1, 1], [1, 0, 1.1]],
    "b": [2, 1, 0, 1, 2],
    "lam": 0.1,
    "lams_plotted": [0.01, 0.1, 1.0, 10.0],
    "lams_to_zero": [1e-2, 1e-4, 1e-6, 1e-8],
}


def ridge_closed_form(A, b, lam):
    """Return x = (A^T A + lam I)^{-1} A^T b. A: (n, p), b: (n,); x: (p,)."""
    A, b = np.asarray(A, dtype=float), np.asarray(b, dtype=float)
    return np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ b)


def ridge_svd(A, b, lam):
    """Return x = V diag(s / (s^2 + lam)) U^T b from the thin SVD A = U diag(s) V^T."""
    U, s, Vt = np.linalg.svd(np.asarray(A, dtype=float), full_matrices=False)
    return Vt.T @ (s / (s**2 + lam) * (U.T @ np.asarray(b, dtype=float)))


def ridge_augmented(A, b, lam):
    """Return the least-squares solution of [A; sqrt(lam) I] x = [b; 0]."""
    A = np.asarray(A, dtype=float)
    p = A.shape[1]
    stacked = np.vstack([A, np.sqrt(lam) * np.eye(p)])
    return np.linalg.lstsq(stacked, np.concatenate([np.asarray(b, dtype=float), np.zeros(p)]), rcond=None)[0]


def filter_factor(s, lam):
    """Return s^2 / (s^2 + lam): the share of the least-squares component kept along a singular direction."""
    return s**2 / (s**2 + lam)


def ridge_half_penalty(A, b, lam):
    """Return (A^T A + lam/2 I)^{-1} A^T b: the typical slip of differentiating lam ||x||^2 as lam x."""
    return ridge_closed_form(A, b, lam / 2)


def filter_factor_shifted(s, lam):
    """Return s / (s + lam): the typical slip of adding lam to each singular value instead of to its square."""
    return s / (s + lam)


def gain(s, lam):
    """Return s / (s^2 + lam): what ridge multiplies u_i^T b by (least squares would use 1/s)."""
    return s / (s**2 + lam)


def slope_at_zero(A, b):
    """Return lim ||x_lam - A^+ b|| / lam as lam -> 0, i.e. ||sum_i (u_i^T b / s_i^3) v_i|| (full column rank A)."""
    U, s, _ = np.linalg.svd(np.asarray(A, dtype=float), full_matrices=False)
    return float(np.linalg.norm((U.T @ np.asarray(b, dtype=float)) / s**3))


def plot_filters(sigma_grid, lams, singular_values):
    """Return a two-panel figure of filter factors and gains against sigma, one curve per lambda."""
    fig, (left, right) = new_figure(8.0, 3.4, ncols=2)
    for color, lam in zip(COLORS, lams):
        left.plot(sigma_grid, filter_factor(sigma_grid, lam), color=color, label=rf"$\lambda = {lam:g}$")
        right.plot(sigma_grid, gain(sigma_grid, lam), color=color, label=rf"$\lambda = {lam:g}$")
        right.plot([np.sqrt(lam)], [gain(np.sqrt(lam), lam)], "o", color=color, markersize=4)
    right.plot(sigma_grid, 1 / sigma_grid, "k--", linewidth=1, label=r"$1/\sigma$ (least squares)")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel(r"singular value $\sigma$")
        for s in singular_values:
            ax.axvline(s, color="gray", linewidth=0.8, linestyle=":")
    left.set_ylabel(r"$\sigma^2 / (\sigma^2 + \lambda)$")
    right.set_ylabel(r"$\sigma / (\sigma^2 + \lambda)$")
    right.set_yscale("log")
    right.set_ylim(1e-2, 1e2)
    left.legend(loc="upper left")
    return fig


def publish(page):
    A, b, lam = np.asarray(INPUTS["A"], dtype=float), np.asarray(INPUTS["b"], dtype=float), INPUTS["lam"]
    page.input("A", A)
    page.input("b", b)
    page.input("lam", lam)
    page.input("lams_plotted", INPUTS["lams_plotted"], row=True)
    s = np.linalg.svd(A, compute_uv=False)
    page.value("singular_values", s, row=True, inputs=("A",))

    x_closed, x_svd, x_aug = ridge_closed_form(A, b, lam), ridge_svd(A, b, lam), ridge_augmented(A, b, lam)
    problem = ("A", "b", "lam")
    page.value("x_closed", x_closed, digits=6, row=True, inputs=problem)
    # Three algorithms for one number: they agree to roundoff (~1e-15), and we claim < 1e-10.
    page.value("gap_svd", np.max(np.abs(x_svd - x_closed)), digits=2, atol=1e-10, inputs=problem)
    page.value("gap_augmented", np.max(np.abs(x_aug - x_closed)), digits=2, atol=1e-10, inputs=problem)
    page.mistake("x_closed_mistake", ridge_half_penalty(A, b, lam), of="x_closed", digits=6, row=True, inputs=problem,
                 why="differentiated lam ||x||^2 as lam x (dropping its factor 2), so lam/2 took the place of lam")
    page.value("filter_factors", filter_factor(s, lam), row=True, inputs=("A", "lam"))
    page.mistake("filter_factors_mistake", filter_factor_shifted(s, lam), of="filter_factors", row=True,
                 inputs=("A", "lam"), why="added lam to each singular value sigma_i instead of to its square")
    page.value("gains", gain(s, lam), row=True, inputs=("A", "lam"))
    page.value("inverse_singular_values", 1 / s, row=True, inputs=("A",))

    x_pinv = np.linalg.pinv(A) @ b
    page.value("x_pinv", x_pinv, digits=6, row=True, inputs=("A", "b"))
    lams = INPUTS["lams_to_zero"]
    # Both solutions are ~14 in size with condition number ~8e3: each carries ~1e-11 of roundoff,
    # so the gap at lam = 1e-8 (~1e-4) is good to ~1e-7 relative; the key claims 1e-5.
    gaps = [np.linalg.norm(ridge_closed_form(A, b, small) - x_pinv) for small in lams]
    page.table("to_pseudo_inverse", [r"$\lambda$", r"$\lVert x_\lambda - A^+ b\rVert$",
                                      r"$\lVert x_\lambda - A^+ b\rVert / \lambda$"],
               [f"10^{{{int(round(np.log10(small)))}}}" for small in lams], np.column_stack([gaps, np.divide(gaps, lams)]),
               digits=[6, 2], rtol=[1e-5, 1e-5], atol=[0, 0], inputs=("A", "b", "lams_to_zero"))
    page.value("slope_at_zero", slope_at_zero(A, b), digits=2, inputs=("A", "b"))

    lams_plotted = INPUTS["lams_plotted"]
    page.figure("filter_plot", plot_filters(np.logspace(-2.5, 1.5, 400), lams_plotted, s),
                alt=(f"Ridge filter factors sigma^2/(sigma^2+lambda) against sigma on a log axis for lambda = "
                     f"{', '.join(f'{v:g}' for v in lams_plotted)}: each rises from 0 to 1 and crosses one half "
                     f"at sigma = sqrt(lambda); the gains sigma/(sigma^2+lambda) peak at sigma = sqrt(lambda) with "
                     f"height 1/(2 sqrt(lambda)), from {gain(np.sqrt(lams_plotted[0]), lams_plotted[0]):.2f} "
                     f"down to {gain(np.sqrt(lams_plotted[-1]), lams_plotted[-1]):.3f}; dotted lines mark the "
                     f"singular values of A, {', '.join(f'{v:.3f}' for v in s)}"),
                caption=r"Left: the share $\sigma^2/(\sigma^2+\lambda)$ of each singular direction that ridge keeps. "
                        r"Right: the gain $\sigma/(\sigma^2+\lambda)$, bounded by $1/(2\sqrt\lambda)$, against "
                        r"least squares' unbounded $1/\sigma$. Dotted: the singular values of $A$.")
    page.value("peak_gain", [1 / (2 * np.sqrt(v)) for v in lams_plotted], row=True, inputs=("lams_plotted",))
