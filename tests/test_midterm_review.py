"""Midterm Review answers against independent sources: sympy, hand calculations, identities."""

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

from solutions.midterm_review import batchnorm, mean_only_batchnorm, ridge, sigmoid_network
from tests.conftest import published

# --------------------------------------------------------------- problem 1


def test_sigmoid_derivative_identity_symbolically():
    z = sp.symbols("z", real=True)
    sigma = 1 / (1 + sp.exp(-z))
    assert sp.simplify(sp.diff(sigma, z) - sigma * (1 - sigma)) == 0


@pytest.fixture(scope="module")
def symbolic_network():
    """The loss of problem 1 as a sympy expression in every parameter, differentiated by sympy."""
    k = len(sigmoid_network.INPUTS["A"])
    A, b, C = (sp.symbols(f"{name}1:{k + 1}") for name in "AbC")
    d, x, y_true = sp.symbols("d x y_true")
    y_pred = sum(C[i] / (1 + sp.exp(-(A[i] * x + b[i]))) for i in range(k)) + d
    loss = (y_true - y_pred) ** 2
    point = sigmoid_network.INPUTS
    values = {x: point["x"], y_true: point["y_true"], d: point["d"],
              **dict(zip(A, point["A"])), **dict(zip(b, point["b"])), **dict(zip(C, point["C"]))}
    def grad(symbols):
        return np.array([float(sp.diff(loss, s).subs(values)) for s in symbols])
    return {"loss": float(loss.subs(values)), "d": float(sp.diff(loss, d).subs(values)),
            "C": grad(C), "b": grad(b), "A": grad(A), "b_symbols": b, "loss_expr": loss, "values": values}


def point():
    return {name: sigmoid_network.INPUTS[name] for name in sigmoid_network.POINT}


def test_loss_matches_sympy(symbolic_network):
    assert_allclose(sigmoid_network.loss(**point()), symbolic_network["loss"], rtol=1e-12)


@pytest.mark.parametrize("symbol", ["d", "C", "b", "A"])
def test_gradients_match_sympy(symbolic_network, symbol):
    # Same float64 formula evaluated two ways: agreement to roundoff, 1e-12 relative.
    assert_allclose(sigmoid_network.gradients(**point())[symbol], symbolic_network[symbol], rtol=1e-12)


def test_descent_step_lowers_the_loss_as_sympy_predicts(symbolic_network):
    alpha = sigmoid_network.INPUTS["alpha"]
    b_next = sigmoid_network.descent_step_b(**point(), alpha=alpha)
    assert_allclose(b_next, np.array(point()["b"]) - alpha * symbolic_network["b"], rtol=1e-12)
    loss_next = float(symbolic_network["loss_expr"].subs(
        {**symbolic_network["values"], **dict(zip(symbolic_network["b_symbols"], b_next))}))
    assert loss_next < symbolic_network["loss"]
    assert_allclose(sigmoid_network.loss(**{**point(), "b": b_next}), loss_next, rtol=1e-12)


def test_boxed_gradients_hold_for_any_nonlinearity():
    # The handout's sigma is any nonlinearity with derivative sigma': differentiate with sigma unknown.
    k = 3
    A, b, C = (sp.symbols(f"{name}1:{k + 1}") for name in "AbC")
    d, x, y_true = sp.symbols("d x y_true")
    sigma = sp.Function("sigma")
    z = [A[i] * x + b[i] for i in range(k)]
    y_pred = sum(C[i] * sigma(z[i]) for i in range(k)) + d
    loss = (y_true - y_pred) ** 2
    def sigma_prime(i):
        return sp.diff(sigma(z[i]), b[i])  # sigma'(z_i), as sympy writes it
    assert sp.simplify(sp.diff(loss, d) - 2 * (y_pred - y_true)) == 0
    for i in range(k):
        assert sp.simplify(sp.diff(loss, C[i]) - 2 * (y_pred - y_true) * sigma(z[i])) == 0
        assert sp.simplify(sp.diff(loss, b[i]) - 2 * (y_pred - y_true) * C[i] * sigma_prime(i)) == 0
        assert sp.simplify(sp.diff(loss, A[i]) - 2 * (y_pred - y_true) * C[i] * sigma_prime(i) * x) == 0


def test_sigmoid_network_mistakes_from_their_wrong_formulas(symbolic_network):
    page = published(sigmoid_network)
    inputs, alpha = sigmoid_network.INPUTS, sigmoid_network.INPUTS["alpha"]
    # Each wrong formula, rebuilt from sympy's right gradients: the sign flipped, sigma'(z_i) dropped
    # (so dL/db_i / sigma'(z_i)), the factor x dropped (so dL/dA_i / x), the step taken along the gradient.
    s = 1 / (1 + np.exp(-(np.array(inputs["A"]) * inputs["x"] + np.array(inputs["b"]))))
    expected = {"dL_dd": -symbolic_network["d"],
                "dL_db": symbolic_network["b"] / (s * (1 - s)),
                "dL_dA": symbolic_network["A"] / inputs["x"],
                "b_next": np.array(inputs["b"]) + alpha * symbolic_network["b"]}
    for right, wrong in expected.items():
        assert_allclose(page[f"{right}_mistake"], wrong, rtol=1e-12)
        assert not np.allclose(page[f"{right}_mistake"], page[right], rtol=1e-3)
    climbed = float(symbolic_network["loss_expr"].subs(
        {**symbolic_network["values"], **dict(zip(symbolic_network["b_symbols"], page["b_next_mistake"]))}))
    assert climbed > symbolic_network["loss"]  # the wrong step raises the loss


@pytest.mark.parametrize("module", [sigmoid_network, mean_only_batchnorm])
def test_gradient_tables_agree_as_closely_as_the_pages_say(module):
    # The pages claim agreement with central differences to 1e-8 relative (roundoff ~1e-10 with h = 1e-6).
    table = np.array(published(module)["gradient_table"])
    assert np.all(table[:, 2] < 1e-8)
    assert_allclose(table[:, 0], table[:, 1], rtol=1e-8)


# --------------------------------------------------------------- problem 2

A = np.asarray(ridge.INPUTS["A"], dtype=float)
B = np.asarray(ridge.INPUTS["b"], dtype=float)
LAM = ridge.INPUTS["lam"]


def test_ridge_solution_zeroes_the_objective_gradient():
    # First-order condition of ||Ax - b||^2 + lam ||x||^2, independent of how x was computed.
    x = ridge.ridge_closed_form(A, B, LAM)
    assert_allclose(2 * A.T @ (A @ x - B) + 2 * LAM * x, 0, atol=1e-12)


def test_ridge_solution_is_a_minimum_against_random_perturbations():
    x = ridge.ridge_closed_form(A, B, LAM)
    def objective(v):
        return np.sum((A @ v - B) ** 2) + LAM * np.sum(v**2)
    rng = np.random.default_rng(0)
    assert all(objective(x + 1e-3 * rng.normal(size=3)) > objective(x) for _ in range(100))


@pytest.mark.parametrize("other", [ridge.ridge_svd, ridge.ridge_augmented])
def test_three_routes_to_ridge_agree(other):
    # Condition number of A^T A + lam I is ~230 here: roundoff ~1e-13 in x.
    assert_allclose(other(A, B, LAM), ridge.ridge_closed_form(A, B, LAM), atol=1e-12)


def test_ridge_tends_to_the_pseudo_inverse_solution():
    x_pinv = np.linalg.pinv(A) @ B
    gaps = [np.linalg.norm(ridge.ridge_closed_form(A, B, lam) - x_pinv) for lam in (1e-4, 1e-6, 1e-8)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-3


def test_slope_at_zero_matches_a_finite_difference_in_lambda():
    lam = 1e-9
    x_pinv = np.linalg.lstsq(A, B, rcond=None)[0]
    slope = np.linalg.norm(ridge.ridge_closed_form(A, B, lam) - x_pinv) / lam
    assert_allclose(ridge.slope_at_zero(A, B), slope, rtol=1e-4)  # O(lam / sigma_min^2) ~ 3e-7, plus roundoff


def test_filter_factor_and_gain_closed_forms():
    sigma = np.logspace(-3, 3, 20001)
    for lam in ridge.INPUTS["lams_plotted"]:
        assert_allclose(ridge.filter_factor(np.sqrt(lam), lam), 0.5)  # halfway at sigma = sqrt(lam)
        peak = np.argmax(ridge.gain(sigma, lam))
        assert_allclose(sigma[peak], np.sqrt(lam), rtol=1e-3)  # grid spacing is 7e-4 in log10
        assert_allclose(ridge.gain(sigma, lam).max(), 1 / (2 * np.sqrt(lam)), rtol=1e-6)


def test_input_matrix_has_one_weak_direction_as_the_page_says():
    s = np.linalg.svd(A, compute_uv=False)
    assert s[-1] ** 2 < LAM < s[-2] ** 2


def test_ridge_half_penalty_mistake_minimizes_the_wrong_objective():
    # The slip solves (A^T A + lam/2 I) x = A^T b: least squares on [A; sqrt(lam/2) I] x = [b; 0].
    page = published(ridge)
    stacked = np.vstack([A, np.sqrt(LAM / 2) * np.eye(3)])
    wrong = np.linalg.lstsq(stacked, np.concatenate([B, np.zeros(3)]), rcond=None)[0]
    assert_allclose(page["x_closed_mistake"], wrong, atol=1e-12)
    assert not np.allclose(page["x_closed_mistake"], page["x_closed"], atol=1e-2)


def test_ridge_shifted_filter_mistake_by_hand():
    # sigma_i from the eigenvalues of A^T A, independent of the SVD; the slip keeps sigma / (sigma + lam).
    page = published(ridge)
    sigma = np.sqrt(np.linalg.eigvalsh(A.T @ A))[::-1]
    assert_allclose(page["filter_factors"], sigma**2 / (sigma**2 + LAM), rtol=1e-10)
    assert_allclose(page["filter_factors_mistake"], sigma / (sigma + LAM), rtol=1e-10)
    assert page["filter_factors_mistake"][-1] > 10 * page["filter_factors"][-1]  # keeps the weak direction


# --------------------------------------------------------------- problem 3


def test_batchnorm_of_1_7_7_9_by_hand():
    # mean (1 + 7 + 7 + 9)/4 = 6; deviations -5, 1, 1, 3; variance (25 + 1 + 1 + 9)/4 = 9; std 3.
    exact = [Fraction(-5, 3), Fraction(1, 3), Fraction(1, 3), Fraction(1)]
    page = published(batchnorm)
    assert page["mean"] == 6 and page["var"] == 9 and page["std"] == 3
    assert_allclose(page["out"], [float(v) for v in exact], rtol=1e-15)
    assert page["var_unbiased"] == 12  # 36 / 3


def test_batchnorm_is_boxed_exactly_with_decimals_beside():
    from solutions.engine.publish import Page

    page = Page("midterm_review.batchnorm", "p.md", dict(batchnorm.INPUTS))
    batchnorm.publish(page)
    assert page.items["out"].markdown == (r"\begin{bmatrix} -\frac{5}{3} & \frac{1}{3} & \frac{1}{3} & 1 \end{bmatrix}")
    assert page.items["out_decimals"].markdown == r"\begin{bmatrix} -1.6667 & 0.3333 & 0.3333 & 1.0000 \end{bmatrix}"
    assert page.items["out_decimals"].entry["value"] == page.items["out"].entry["value"]


def test_batchnorm_m_minus_1_mistake_by_hand():
    # Over m - 1: variance 36 / 3 = 12, std 2 sqrt(3); outputs -5/(2 sqrt 3) = -5 sqrt(3)/6, sqrt(3)/6, sqrt(3)/6, sqrt(3)/2.
    page = published(batchnorm)
    r3 = np.sqrt(3)
    assert_allclose(page["out_unbiased_mistake"], [-5 * r3 / 6, r3 / 6, r3 / 6, r3 / 2], rtol=1e-15)
    assert_allclose(page["out_unbiased"], page["out_unbiased_mistake"], rtol=0)
    assert not np.allclose(page["out_unbiased_mistake"], page["out"], rtol=1e-2)
    # Its variance over m: (25 + 1 + 1 + 9) / 12 / 4 = 3/4, not 1.
    assert_allclose(page["out_unbiased_var"], 0.75, rtol=1e-15)


def test_batchnorm_with_epsilon_by_hand():
    # Mean 6 and variance 9 by hand (see above), for whatever practical epsilon the problem states
    # (an erratum may correct it): (x - 6) / sqrt(9 + eps).
    eps = batchnorm.INPUTS["eps_practical"]
    assert eps > 0
    page = published(batchnorm)
    expected = (np.array([1, 7, 7, 9]) - 6) / np.sqrt(9 + eps)
    assert_allclose(page["out_eps"], expected, rtol=1e-15)
    assert_allclose(page["eps_shift"], 5 / 3 * (1 - 3 / np.sqrt(9 + eps)), rtol=1e-9)


# --------------------------------------------------------------- problem 4


def test_mean_only_backward_matches_sympy():
    m = len(mean_only_batchnorm.INPUTS["x"])
    x = sp.symbols(f"x1:{m + 1}")
    gamma, beta = sp.Rational(3, 2), sp.Rational(3, 10)
    mu = sum(x) / m
    t = [sp.nsimplify(v) for v in mean_only_batchnorm.INPUTS["t"]]
    loss = sum((gamma * (xi - mu) + beta - ti) ** 2 for xi, ti in zip(x, t)) / 2
    values = dict(zip(x, [sp.nsimplify(v) for v in mean_only_batchnorm.INPUTS["x"]]))
    expected = [float(sp.diff(loss, xi).subs(values)) for xi in x]
    assert float(gamma) == mean_only_batchnorm.INPUTS["gamma"] and float(beta) == mean_only_batchnorm.INPUTS["beta"]
    page = published(mean_only_batchnorm)
    assert_allclose(page["dL_dx"], expected, rtol=1e-12)


def test_mean_only_jacobian_by_hand():
    # gamma (delta_ij - 1/m) with gamma = 3/2 and m = 4: 9/8 on the diagonal, -3/8 off it.
    J = mean_only_batchnorm.jacobian(4, 1.5)
    assert_allclose(J, np.where(np.eye(4) == 1, 9 / 8, -3 / 8), rtol=1e-15)



def test_mean_only_backward_for_symbolic_upstream_gradients():
    # L = sum_j g_j y_j has dL/dy_j = g_j for arbitrary symbols g_j: the boxed formula must be sympy's derivative.
    for m in (2, 3, 4, 5):
        x, g = sp.symbols(f"x1:{m + 1}"), sp.symbols(f"g1:{m + 1}")
        gamma, beta = sp.symbols("gamma beta")
        mu = sum(x) / m
        loss = sum(gj * (gamma * (xj - mu) + beta) for gj, xj in zip(g, x))
        for i in range(m):
            assert sp.simplify(sp.diff(loss, x[i]) - gamma * (g[i] - sum(g) / m)) == 0


def test_mean_only_mistake_drops_the_mean_path():
    # With mu treated as a constant, dL/dx_i = gamma dL/dy_i = gamma (y_i - t_i), from y by hand.
    inputs = mean_only_batchnorm.INPUTS
    x, t = np.array(inputs["x"]), np.array(inputs["t"])
    y = inputs["gamma"] * (x - x.sum() / 4) + inputs["beta"]
    page = published(mean_only_batchnorm)
    assert_allclose(page["dL_dx_mistake"], inputs["gamma"] * (y - t), rtol=1e-12)
    assert not np.allclose(page["dL_dx_mistake"], page["dL_dx"], rtol=1e-2)
    assert abs(np.sum(page["dL_dx_mistake"])) > 0.1  # unlike the right gradient, it does not sum to zero
