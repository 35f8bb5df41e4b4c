"""Submitted Lecture 4 set: answers against sympy, central differences, closed forms and hand calculations."""

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

from solutions.toolkit.gradcheck import numerical_gradient
from solutions.submitted_lecture4 import batchnorm_bias, dropout
from solutions.submitted_lecture4 import sigmoid_network_gradients as net
from tests.conftest import FD_RTOL, published


# --------------------------------------------------------------- problem 1: sympy differentiates the network


def symbolic_network(skip, target=None):
    """Return (e, {LaTeX name: matrix of symbols}, values) for the network written out in sympy."""
    D, H, K = 3, 2, 2
    W1, W2 = sp.Matrix(H, D, sp.symbols(f"w1_0:{H * D}")), sp.Matrix(K, H, sp.symbols(f"w2_0:{K * H}"))
    b1, b2 = sp.Matrix(sp.symbols(f"b1_0:{H}")), sp.Matrix(sp.symbols(f"b2_0:{K}"))
    x = sp.Matrix([sp.nsimplify(v) for v in net.INPUTS["x"]])
    sig = lambda v: v.applyfunc(lambda a: 1 / (1 + sp.exp(-a)))  # noqa: E731
    s = W1 * x + b1
    z = W2 * sig(s) + b2 + (s if skip else sp.zeros(K, 1))
    y = sig(z)
    params = {"{W_1}": W1, "{b_1}": b1, "{W_2}": W2, "{b_2}": b2}
    values = {}
    for name, key in (("{W_1}", "W1"), ("{b_1}", "b1"), ("{W_2}", "W2"), ("{b_2}", "b2")):
        values.update(zip(params[name], np.ravel(net.INPUTS[key])))
    t = sp.Matrix(net.INPUTS["t"]) if target is None else sp.Matrix(target)
    e = sum((t - y).applyfunc(lambda a: a**2)) / 2
    return e, params, values, y


@pytest.mark.parametrize("skip", [False, True])
def test_every_gradient_matches_sympy(skip):
    e, params, values, _ = symbolic_network(skip)
    p = net.params_of(net.INPUTS)
    grads = net.gradients(p, net.INPUTS["x"], net.INPUTS["t"], skip)
    for name, symbols in params.items():
        expected = np.array([[float(sp.diff(e, s).subs(values)) for s in row] for row in symbols.tolist()])
        # One float64 formula against another: agreement to roundoff, 1e-12 relative.
        assert_allclose(grads[name], expected.reshape(p[name].shape), rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("skip", [False, True])
def test_loss_matches_sympy(skip):
    e, _, values, _ = symbolic_network(skip)
    assert_allclose(net.loss(net.params_of(net.INPUTS), net.INPUTS["x"], net.INPUTS["t"], skip),
                    float(e.subs(values)), rtol=1e-12)


@pytest.mark.parametrize("skip", [False, True])
def test_submitted_formulas_as_written(skip):
    # The submission, written out from the page with numpy: -sigma'(z) in place of (y - t) sigma'(z).
    W1, b1, W2, b2 = (np.array(net.INPUTS[k], float) for k in ("W1", "b1", "W2", "b2"))
    x = np.array(net.INPUTS["x"], float)
    s = W1 @ x + b1
    h = 1 / (1 + np.exp(-s))
    z = W2 @ h + b2 + (s if skip else 0)
    dz = -(1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z)))
    ds = (W2.T @ dz) * h * (1 - h) + (dz if skip else 0)
    got = net.submitted_gradients(net.params_of(net.INPUTS), x, skip)
    for name, expected in (("{W_2}", np.outer(dz, h)), ("{b_2}", dz), ("{W_1}", np.outer(ds, x)), ("{b_1}", ds)):
        assert_allclose(got[name], expected, rtol=1e-12, err_msg=name)


def test_submitted_answer_is_off_by_exactly_the_residual():
    page = published(net)
    for tag in ("plain", "skip"):
        y = np.array(page[f"y_{tag}"])
        assert_allclose(page[f"ratio_b2_{tag}"], -1 / (y - np.array(net.INPUTS["t"])), rtol=1e-12)
    # On b1 the residuals mix through W2^T: by hand, submitted_j / true_j = sum_k W2_kj sigma'(z_k)
    # / sum_k W2_kj (y_k - t_k) sigma'(z_k) (the factor h_j (1 - h_j) cancels), which is no -1 / (y_k - t_k).
    W2, t = np.array(net.INPUTS["W2"]), np.array(net.INPUTS["t"])
    y = np.array(page["y_plain"])
    slope = y * (1 - y)
    expected = -(W2.T @ slope) / (W2.T @ ((y - t) * slope))
    assert_allclose(page["ratio_b1_plain"], expected, rtol=1e-12)
    assert np.min(np.abs(np.subtract.outer(expected, -1 / (y - t)))) > 0.5
    for tag in ("plain", "skip"):
        table = np.array(page[f"submitted_{tag}"])
        assert np.max(np.abs(table[:, 0] - table[:, 1])) > 0.1


def test_counterexample_target_equal_to_output_has_zero_gradient_in_sympy():
    _, _, values, y = symbolic_network(False)
    fitted = [float(v.subs(values)) for v in y]
    e, params, values, _ = symbolic_network(False, target=fitted)
    largest = max(abs(float(sp.diff(e, s).subs(values))) for m in params.values() for s in m)
    assert largest < 1e-12  # e is at its minimum 0; only roundoff of the fitted target remains
    page = published(net)
    assert page["fit_true_max"] < 1e-9 and page["fit_submitted_max"] > 0.1


def test_skip_gradients_by_central_differences_of_the_core_checker():
    p, x, t = net.params_of(net.INPUTS), net.INPUTS["x"], net.INPUTS["t"]
    grads = net.gradients(p, x, t, True)
    for name in net.PARAMS:
        numeric = numerical_gradient(lambda v, name=name: net.loss({**p, name: v}, x, t, True), p[name])
        assert_allclose(grads[name], numeric, rtol=FD_RTOL, atol=1e-10)  # central differences: ~1e-9 relative


# --------------------------------------------------------------- problem 2: dropout


def test_expected_dropped_weight_by_enumeration():
    # E[m w] = P(m = 1) w + P(m = 0) 0, with P(m = 1) = 1 - p: enumerate the two outcomes.
    p, w = dropout.INPUTS["p"], np.array(dropout.INPUTS["w"])
    exact = (1 - p) * w + p * 0 * w
    page = published(dropout)
    table = np.array(page["expectation"])
    assert_allclose(table[:, 1], exact, rtol=1e-15)
    # Monte Carlo means within 4 standard errors (a 6e-5 chance per weight of failing by bad luck).
    assert np.all(np.abs(table[:, 2] - exact) < 4 * table[:, 3])
    # The estimated standard error against the closed form sqrt(p(1-p)) |w| / sqrt(N): about 1/sqrt(2N) relative.
    assert_allclose(table[:, 3], np.sqrt(p * (1 - p)) * np.abs(w) / np.sqrt(dropout.INPUTS["samples"]), rtol=0.02)


def test_masks_keep_with_probability_one_minus_p_for_another_seed():
    rng = np.random.default_rng(12345)
    mask = dropout.masks(rng, 0.3, 200000, 2)
    assert set(np.unique(mask)) == {0.0, 1.0}
    assert abs(mask.mean() - 0.7) < 4 * np.sqrt(0.3 * 0.7 / mask.size)


def test_inverted_dropout_is_unbiased():
    rng = np.random.default_rng(7)
    w = np.array([1.0, -2.0, 0.5])
    mean, se = dropout.mean_and_standard_error(dropout.dropped_weights(w, dropout.masks(rng, 0.4, 100000, 3), 0.4, inverted=True))
    assert np.all(np.abs(mean - w) < 4 * se)


def test_preactivation_rules_by_hand():
    # w . x = 0.8(1) + (-1.5)(-0.5) + 2(0.8) + 0.4(2) + (-0.6)(-1) = 0.8 + 0.75 + 1.6 + 0.8 + 0.6 = 4.55.
    assert dropout.INPUTS["w"] == [0.8, -1.5, 2.0, 0.4, -0.6] and dropout.INPUTS["x"] == [1.0, -0.5, 0.8, 2.0, -1.0]
    page = published(dropout)
    rows = np.array(page["preactivation"])
    assert_allclose(rows[[1, 4], 0], 4.55, rtol=1e-14)
    assert_allclose(rows[2, 0], 0.7 * 4.55, rtol=1e-14)
    assert abs(rows[0, 0] - 0.7 * 4.55) < 4 * rows[0, 1] and abs(rows[3, 0] - 4.55) < 4 * rows[3, 1]
    assert_allclose(page["naive_ratio"], 1 / 0.7, rtol=1e-15)


# --------------------------------------------------------------- problem 3: batchnorm bias


def test_batch_centring_and_variance_do_not_contain_b_symbolically():
    xs, b = sp.symbols("u1:5"), sp.symbols("b")
    u = [xi + b for xi in xs]
    mu = sum(u) / len(u)
    centred = [ui - mu for ui in u]
    variance = sum(c**2 for c in centred) / len(u)
    assert all(sp.simplify(sp.diff(c, b)) == 0 for c in centred)
    assert sp.simplify(sp.diff(variance, b)) == 0


def direct_batchnorm(U, gamma, beta, eps):
    """Batchnorm written out for the test: per column, biased variance."""
    return gamma * (U - U.mean(axis=0)) / np.sqrt(U.var(axis=0) + eps) + beta


def test_layer_is_batchnorm_and_independent_of_b():
    rng = np.random.default_rng(11)
    X, W = rng.normal(size=(6, 3)), rng.normal(size=(2, 3))
    gamma, beta = np.array([1.3, 0.7]), np.array([0.1, -0.4])
    for b in rng.normal(scale=50, size=(5, 2)):
        out = batchnorm_bias.layer(X, W, b, gamma, beta, 1e-5)
        assert_allclose(out, direct_batchnorm(X @ W.T + b, gamma, beta, 1e-5), rtol=1e-10, atol=1e-12)
        assert_allclose(out, direct_batchnorm(X @ W.T, gamma, beta, 1e-5), atol=1e-12)  # roundoff ~ eps |b| / spread


def test_bias_gradient_is_zero_and_weight_gradient_matches_central_differences():
    rng = np.random.default_rng(5)
    X, W, T = rng.normal(size=(8, 3)), rng.normal(size=(2, 3)), rng.normal(size=(8, 2))
    gamma, beta, b = np.array([1.5, 0.8]), np.array([0.2, -0.1]), np.array([3.0, -1.0])
    assert_allclose(batchnorm_bias.grad_b(X, W, b, gamma, beta, 1e-5, T), 0, atol=1e-13)
    numeric_b = numerical_gradient(lambda v: batchnorm_bias.loss(X, W, v, gamma, beta, 1e-5, T), b)
    assert np.max(np.abs(numeric_b)) < 1e-8  # roundoff of a central difference, ~eps L / h
    numeric_W = numerical_gradient(lambda V: batchnorm_bias.loss(X, V, b, gamma, beta, 1e-5, T), W)
    assert_allclose(batchnorm_bias.grad_W(X, W, b, gamma, beta, 1e-5, T), numeric_W, rtol=1e-6, atol=1e-9)


def test_running_mean_of_identical_batches_is_a_geometric_series():
    # n identical batches with mean c, start 0: running mean = (1 - (1 - m)^n) c; same for the variance from 1.
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 0.5]])
    W, b, momentum, n = np.eye(2), np.array([4.0, -6.0]), 0.1, 7
    mean, var = batchnorm_bias.running_statistics(np.stack([X] * n), W, b, momentum)
    r = 0.9**n
    assert_allclose(mean, (1 - r) * (X.mean(axis=0) + b), rtol=1e-14)
    assert_allclose(var, r * 1 + (1 - r) * X.var(axis=0, ddof=1), rtol=1e-14)


def test_inference_dependence_on_b_is_the_start_up_residue():
    page = published(batchnorm_bias)
    b, momentum, n = np.array(batchnorm_bias.INPUTS["b_check"]), batchnorm_bias.INPUTS["momentum"], batchnorm_bias.INPUTS["batches"]
    assert_allclose(page["running_mean_shift"], (1 - 0.9**n) * b, rtol=1e-12)
    measured_vs_predicted = np.array(page["inference"])
    assert_allclose(measured_vs_predicted[:, :2], measured_vs_predicted[:, 2:], rtol=1e-10)
    gamma, var = np.array(batchnorm_bias.INPUTS["gamma"]), np.array(page["running_var"])
    assert_allclose(page["frozen_shift"], np.max(gamma * np.abs(b) / np.sqrt(var + batchnorm_bias.INPUTS["eps"])), rtol=1e-10)
    startup = np.array(page["startup"])
    assert_allclose(startup[:, 0], (1 - momentum) ** np.array(batchnorm_bias.INPUTS["startup_batches"]), rtol=1e-14)
    assert np.all(np.diff(startup[:, 2]) < 0)
    assert_allclose(startup[:, 1], startup[:, 2], rtol=1e-9)


def test_published_training_mode_invariance_is_at_roundoff():
    page = published(batchnorm_bias)
    assert np.max(np.array(page["invariance"])[:, -1]) < 1e-12
    assert page["invariance_no_affine"] < 1e-12
    assert np.max(np.abs(page["grad_b"])) < page["roundoff_scale"]


def test_stated_sizes_are_those_of_the_weights():
    # W1 is H x D and W2 is K x H: read off the stated matrices, not the module's sizes.
    sizes = published(net)
    W1, W2 = np.array(net.INPUTS["W1"]), np.array(net.INPUTS["W2"])
    assert (sizes["D"], sizes["H"], sizes["K"]) == (len(net.INPUTS["x"]), len(W1), len(W2))
    assert W1.shape[0] == W2.shape[1] == sizes["H"] == sizes["K"]  # the skip needs H = K


# --------------------------------------------------------------- problem 1 as posed: scalars, boxed closed forms


def page_entries(module):
    """Return {name: answer-key entry} of everything a module publishes (kind, of, why, tolerances)."""
    from solutions.engine.publish import Page

    page = Page(module.__name__.removeprefix("solutions."), "p.md", dict(module.INPUTS))
    module.publish(page)
    return {name: item.entry for name, item in page.items.items() if item.entry}


SCALAR_SYMBOLS = sp.symbols("x W1 b1 W2 b2 t", real=True)


def scalar_network(skip):
    """Return (e, s, h, z, y) of the scalar network written out in sympy, and the sample point."""
    x, W1, b1, W2, b2, t = SCALAR_SYMBOLS
    sig = lambda a: 1 / (1 + sp.exp(-a))  # noqa: E731
    s = W1 * x + b1
    h = sig(s)
    z = W2 * h + b2 + (s if skip else 0)
    y = sig(z)
    point = {sym: sp.nsimplify(net.INPUTS[f"scalar_{sym.name}"]) for sym in SCALAR_SYMBOLS}
    return (t - y) ** 2 / 2, s, h, z, y, point


def boxed_scalar_gradients(skip):
    """The boxed answers of (a) and (b), typed from the page: (y - t) y (1 - y) times the rest of each chain."""
    x, W1, b1, W2, b2, t = SCALAR_SYMBOLS
    _, s, h, z, y, _ = scalar_network(skip)
    dz = (y - t) * y * (1 - y)
    ds = dz * (W2 * h * (1 - h) + (1 if skip else 0))
    return {W2: dz * h, b2: dz, W1: ds * x, b1: ds}


@pytest.mark.parametrize("skip", [False, True])
def test_boxed_scalar_gradients_are_sympys_derivatives(skip):
    e, *_ = scalar_network(skip)
    for symbol, boxed in boxed_scalar_gradients(skip).items():
        assert sp.simplify(sp.diff(e, symbol) - boxed) == 0, symbol


@pytest.mark.parametrize("skip, tag", [(False, "plain"), (True, "skip")])
def test_scalar_values_match_sympy_at_the_sample_point(skip, tag):
    e, s, h, z, y, point = scalar_network(skip)
    page = published(net)
    assert_allclose(page["s_scalar"], float(s.subs(point)), rtol=1e-12)
    assert_allclose(page["h_scalar"], float(h.subs(point)), rtol=1e-12)
    assert_allclose(page[f"z_scalar_{tag}"], float(z.subs(point)), rtol=1e-12)
    assert_allclose(page[f"y_scalar_{tag}"], float(y.subs(point)), rtol=1e-12)
    assert_allclose(page[f"e_scalar_{tag}"], float(e.subs(point)), rtol=1e-12)
    x, W1, b1, W2, b2, t = SCALAR_SYMBOLS
    for symbol in (W2, b2, W1, b1):
        assert_allclose(page[f"grad_{symbol.name}_scalar_{tag}"], float(sp.diff(e, symbol).subs(point)), rtol=1e-12)
    # The page claims agreement with central differences to better than 1e-7 relative.
    assert np.max(np.array(page[f"table_scalar_{tag}"])[:, 2]) < 1e-7


@pytest.mark.parametrize("skip, tag", [(False, "plain"), (True, "skip")])
def test_submitted_scalar_formulas_as_written_in_the_source(skip, tag):
    # The submission, typed from the source: every answer starts with -sigma(z)(1 - sigma(z)), no t - y.
    x, W1, b1, W2, b2, t = SCALAR_SYMBOLS
    _, s, h, z, y, point = scalar_network(skip)
    slope_z, slope_s = y * (1 - y), h * (1 - h)
    chain = W2 * slope_s + (1 if skip else 0)
    submitted = {W2: -slope_z * h, b2: -slope_z, W1: -slope_z * chain * x, b1: -slope_z * chain}
    page, entries = published(net), page_entries(net)
    factor = float((1 / (t - y)).subs(point))
    assert_allclose(page[f"submitted_factor_scalar_{tag}"], factor, rtol=1e-12)
    for symbol, formula in submitted.items():
        name = f"submitted_{symbol.name}_scalar_{tag}"
        right = page[f"grad_{symbol.name}_scalar_{tag}"]
        assert_allclose(page[name], float(formula.subs(point)), rtol=1e-12)
        assert entries[name]["kind"] == "mistake" and entries[name]["of"].endswith(f".grad_{symbol.name}_scalar_{tag}")
        assert_allclose(page[name], right * factor, rtol=1e-12)  # the true gradient divided by t - y
        assert np.sign(page[name]) == -np.sign(right)  # y > t at the sample point: the page says "wrong sign"
    assert float((y - t).subs(point)) > 0


def test_scalar_common_mistakes_by_hand():
    page, entries = published(net), page_entries(net)
    # Without the factor y (1 - y): de/db2 = y - t, with t = 0 at the sample point.
    y, t = page["y_scalar_plain"], net.INPUTS["scalar_t"]
    assert_allclose(page["no_output_slope_b2_scalar"], y - t, rtol=1e-12)
    assert abs(page["no_output_slope_b2_scalar"] - page["grad_b2_scalar_plain"]) > 0.1
    # Without the skip's direct path: (y - t) y (1 - y) W2 h (1 - h), in the skip network's y (sympy).
    x, W1, b1, W2, b2, t_ = SCALAR_SYMBOLS
    _, s, h, z, ys, point = scalar_network(True)
    one_path = ((ys - t_) * ys * (1 - ys) * W2 * h * (1 - h)).subs(point)
    assert_allclose(page["no_skip_path_b1_scalar"], float(one_path), rtol=1e-12)
    assert abs(page["no_skip_path_b1_scalar"] - page["grad_b1_scalar_skip"]) > 0.1
    for name, of in (("no_output_slope_b2_scalar", "grad_b2_scalar_plain"), ("no_skip_path_b1_scalar", "grad_b1_scalar_skip")):
        assert entries[name]["kind"] == "mistake" and entries[name]["of"].endswith("." + of) and entries[name]["why"]


def test_vector_variant_keeps_its_own_inputs():
    # The scalar point is a new set of inputs: the variant's values are computed from the vector ones only.
    entries = page_entries(net)
    assert set(entries["grad_b1_plain"]["inputs"]) == {"x", "W1", "b1", "W2", "b2", "t"}
    assert set(entries["grad_b1_scalar_plain"]["inputs"]) == {f"scalar_{k}" for k in ("x", "W1", "b1", "W2", "b2", "t")}
    page = published(net)
    for tag in ("plain", "skip"):  # the page claims better than 1e-7 relative for every entry
        assert np.max(np.array(page[f"table_{tag}"])[:, 2]) < 1e-7


# --------------------------------------------------------------- problem 2: the expected weight, common mistakes


def test_expected_weight_and_its_common_mistakes_by_hand():
    page, entries = published(dropout), page_entries(dropout)
    # p = 0.3, w = (0.8, -1.5, 2, 0.4, -0.6): (1 - p) w by hand, and p w for the swapped probability.
    assert dropout.INPUTS["p"] == 0.3 and dropout.INPUTS["w"] == [0.8, -1.5, 2.0, 0.4, -0.6]
    assert_allclose(page["expected_w"], [0.56, -1.05, 1.4, 0.28, -0.42], rtol=1e-14)
    assert_allclose(page["expected_w_drop_as_keep"], [0.24, -0.45, 0.6, 0.12, -0.18], rtol=1e-14)
    assert np.min(np.abs(np.subtract(page["expected_w"], page["expected_w_drop_as_keep"]))) > 0.1
    # w . x = 4.55 (by hand in test_preactivation_rules_by_hand); the training mean is 0.7 * 4.55.
    assert_allclose(page["a_unscaled"], 4.55, rtol=1e-14)
    assert abs(page["a_unscaled"] - page["a_expected"]) > 1
    for name, of in (("expected_w_drop_as_keep", "expected_w"), ("a_unscaled", "a_expected")):
        assert entries[name]["kind"] == "mistake" and entries[name]["of"].endswith("." + of) and entries[name]["why"]


# --------------------------------------------------------------- problem 3: the bias gradient and its common mistake


def sample_batch():
    """Return (X, T) as the module draws them: seed 3, X (m, D) then T (m, F), standard normal."""
    rng = np.random.default_rng(batchnorm_bias.INPUTS["seed"])
    m, (F, D) = batchnorm_bias.INPUTS["m"], np.shape(batchnorm_bias.INPUTS["W"])
    return rng.normal(size=(m, D)), rng.normal(size=(m, F))


def test_bias_gradient_with_batch_statistics_held_constant():
    # Written out for the test: with mu and sigma constants, dBN_ij/du_ij = gamma_j / sqrt(var_j + eps),
    # so dL/db_j = gamma_j / sqrt(var_j + eps) sum_i (BN_ij - T_ij); the true gradient is 0.
    X, T = sample_batch()
    W, b = np.array(batchnorm_bias.INPUTS["W"]), np.array(batchnorm_bias.INPUTS["b_check"])
    gamma, beta, eps = (np.array(batchnorm_bias.INPUTS[k]) for k in ("gamma", "beta", "eps"))
    U = X @ W.T + b
    out = direct_batchnorm(U, gamma, beta, eps)
    expected = gamma / np.sqrt(U.var(axis=0) + eps) * (out - T).sum(axis=0)
    page, entries = published(batchnorm_bias), page_entries(batchnorm_bias)
    assert_allclose(page["grad_b_fixed_statistics"], expected, rtol=1e-12)
    assert np.max(np.abs(page["grad_b_fixed_statistics"])) > 0.1
    assert np.max(np.abs(page["grad_b_backprop"])) < 1e-14
    assert entries["grad_b_fixed_statistics"]["kind"] == "mistake"
    assert entries["grad_b_fixed_statistics"]["of"].endswith(".grad_b_backprop")
    # The loss the page quotes, recomputed from the written-out batchnorm.
    assert_allclose(page["L"], 0.5 * np.sum((out - T) ** 2), rtol=1e-12)


def test_bias_gradient_tolerances_sit_above_the_stated_roundoff_floor():
    # The central difference of a true 0 is roundoff of size up to about eps L / h; its key atol must cover that.
    entries = page_entries(batchnorm_bias)
    floor = entries["roundoff_scale"]["value"]
    assert entries["grad_b"]["atol"][1] >= floor
    assert entries["grad_b_backprop"]["atol"] >= 1e-14


def test_weight_gradient_matches_central_differences_as_the_page_claims():
    assert np.max(np.array(published(batchnorm_bias)["grad_W"])[:, 2]) < 1e-7
