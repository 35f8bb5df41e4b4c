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
