"""Submitted Homework 4 answers against independent sources: sympy, finite differences, closed forms, identities."""

import statistics

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

from solutions.toolkit.gradcheck import numerical_gradient
from solutions.submitted_homework4 import (chain_rule, network_gradients, output_activations, randomness,
                                           skip_connections, small_batch_norm, target_scaling)
from tests.conftest import FD_RTOL, published


# --------------------------------------------------------------- question 1


def test_network_gradients_match_sympy():
    names = ("x", "y", "w1", "b1", "w2", "b2", "w3", "w4", "b3")
    s = dict(zip(names, sp.symbols(names, real=True)))
    h1 = sp.tanh(s["w1"] * s["x"] + s["b1"])
    h2 = 1 / (1 + sp.exp(-(s["w2"] * s["x"] + s["b2"])))
    y_hat = 1 / (1 + sp.exp(-(s["w3"] * h1 + s["w4"] * h2 + s["b3"])))
    loss = (y_hat - s["y"]) ** 2
    point = {s[n]: network_gradients.INPUTS[n] for n in names}
    grads = network_gradients.gradients(network_gradients.INPUTS)
    assert_allclose(network_gradients.forward(network_gradients.INPUTS)["L"], float(loss.subs(point)), rtol=1e-12)
    for name in network_gradients.PARAMS:
        # The same function evaluated two ways in float64: agreement to roundoff.
        assert_allclose(grads[name], float(sp.diff(loss, s[name]).subs(point)), rtol=1e-12, err_msg=name)


def test_input_gradient_needs_both_paths():
    p = network_gradients.INPUTS
    truth = numerical_gradient(lambda x: network_gradients.forward({**p, "x": float(x)})["L"], p["x"])
    path1, path2 = network_gradients.x_paths(p)
    assert_allclose(path1 + path2, truth, rtol=FD_RTOL)
    # Either path alone (the submitted answer) is off by the other path's whole contribution.
    assert abs(path1 - truth) > 0.1 * abs(truth) and abs(path2 - truth) > 0.1 * abs(truth)


def test_boxed_gradients_hold_for_any_activations():
    # The page boxes each gradient in the submission's symbols, f_n' at unit n's pre-activation; sympy
    # differentiates L for undefined functions f1, f2, f3, so the forms are checked for any activations.
    x, y, w1, w2, w3, w4, b1, b2, b3 = sp.symbols("x y w1 w2 w3 w4 b1 b2 b3", real=True)
    f1, f2, f3 = sp.Function("f1"), sp.Function("f2"), sp.Function("f3")
    a1, a2 = w1 * x + b1, w2 * x + b2
    h1, h2 = f1(a1), f2(a2)
    a3 = w3 * h1 + w4 * h2 + b3
    y_hat = f3(a3)
    loss = (y_hat - y) ** 2
    t = sp.Symbol("t")
    d1, d2, d3 = (sp.Derivative(f(t), t).subs(t, a) for f, a in ((f1, a1), (f2, a2), (f3, a3)))
    common = 2 * (y_hat - y) * d3
    boxed = {w1: common * w3 * d1 * x, w2: common * w4 * d2 * x, w3: common * h1, w4: common * h2,
             b1: common * w3 * d1, b2: common * w4 * d2, b3: common,
             x: common * (w3 * d1 * w1 + w4 * d2 * w2)}
    for variable, form in boxed.items():
        assert sp.simplify((sp.diff(loss, variable) - form).doit()) == 0, variable


def test_one_path_mistake_for_the_input_gradient():
    # By sympy at the sample point: the path through h1 alone, 2(y_hat - y) f3' w3 f1' w1, against the total.
    names = ("x", "y", "w1", "b1", "w2", "b2", "w3", "w4", "b3")
    s = dict(zip(names, sp.symbols(names, real=True)))
    h1 = sp.tanh(s["w1"] * s["x"] + s["b1"])
    a3 = s["w3"] * h1 + s["w4"] * (1 / (1 + sp.exp(-(s["w2"] * s["x"] + s["b2"])))) + s["b3"]
    y_hat = 1 / (1 + sp.exp(-a3))
    point = {s[n]: network_gradients.INPUTS[n] for n in names}
    one_path = (2 * (y_hat - s["y"]) * y_hat * (1 - y_hat) * s["w3"] * (1 - h1**2) * s["w1"]).subs(point)
    total = sp.diff((y_hat - s["y"]) ** 2, s["x"]).subs(point)
    page = published(network_gradients)
    assert_allclose(page["dL_dx_one_path"], float(one_path), rtol=1e-12)
    assert_allclose(page["dL_dx"], float(total), rtol=1e-12)
    assert abs(page["dL_dx_one_path"] - page["dL_dx"]) > 0.1 * abs(page["dL_dx"])


# --------------------------------------------------------------- question 2


def test_chain_rule_derivatives_match_sympy():
    x, z = sp.symbols("x z", real=True)
    h = 2 * x + 1
    y = 1 / (1 + sp.exp(-h))
    z_of_x = x**2 + h
    xs = np.array(chain_rule.INPUTS["x_samples"])
    for x0 in xs:
        assert_allclose(chain_rule.total_dz_dx(x0), float(sp.diff(z_of_x, x).subs(x, x0)), rtol=1e-12)
        assert_allclose(chain_rule.total_dy_dx(x0), float(sp.diff(y, x).subs(x, x0)), rtol=1e-12)
        # dy/dz on the branch x = -1 + s sqrt(z) through x0, differentiated symbolically in z.
        s = 1 if x0 > -1 else -1
        y_of_z = y.subs(x, -1 + s * sp.sqrt(z))
        expected = float(sp.diff(y_of_z, z).subs(z, float(z_of_x.subs(x, x0))))
        assert_allclose(chain_rule.dy_dz_on_branch(x0), expected, rtol=1e-12)
        assert expected != 0  # the submitted dy/dz = 0 is wrong at every sample point


def test_y_is_not_a_function_of_z():
    # x and -2 - x give the same z = (x + 1)^2 but different y: a hand check at x = 0.5 and -2.5.
    assert chain_rule.z_of(0.5, chain_rule.h_of(0.5)) == chain_rule.z_of(-2.5, chain_rule.h_of(-2.5)) == 2.25
    assert_allclose([chain_rule.y_of(2.0), chain_rule.y_of(-4.0)], [1 / (1 + np.exp(-2)), 1 / (1 + np.exp(4))])


def test_mirror_inputs_share_z_but_not_y():
    # By hand: x = 1/2 and x = -5/2 both give z = (x + 1)^2 = 9/4; y = sigmoid(2x + 1) = sigmoid(2), sigmoid(-4).
    page = published(chain_rule)
    assert page["x_twin"] == 0.5 and page["x_mirror"] == -2.5
    assert_allclose(page["z_twin"], 9 / 4, rtol=1e-15)
    assert_allclose([page["y_twin"], page["y_mirror"]], [1 / (1 + np.exp(-2)), 1 / (1 + np.exp(4))], rtol=1e-14)


def test_total_dz_dx_and_the_held_h_mistake_by_sympy():
    # z = x^2 + h with h = 2x + 1: the total derivative substitutes h first; the mistake treats h as a constant.
    x, h = sp.symbols("x h", real=True)
    page = published(chain_rule)
    xs = chain_rule.INPUTS["x_samples"]
    total = [float(sp.diff(x**2 + (2 * x + 1), x).subs(x, x0)) for x0 in xs]
    held = [float(sp.diff(x**2 + h, x).subs(x, x0)) for x0 in xs]
    assert_allclose(page["dz_dx"], total, rtol=1e-15)
    assert_allclose(page["dz_dx_one_path"], held, rtol=1e-15)
    assert all(a != b for a, b in zip(page["dz_dx"], page["dz_dx_one_path"]))


def test_variant_y_of_z_by_sympy():
    # The arrows' reading y = sigmoid(z), z = x^2 + 2x + 1: dy/dz and dy/dx symbolically, and the held-h mistake.
    x, z, h = sp.symbols("x z h", real=True)
    sigma = lambda u: 1 / (1 + sp.exp(-u))  # noqa: E731
    z_of_x = x**2 + 2 * x + 1
    page = published(chain_rule)
    xs = chain_rule.INPUTS["x_samples"]
    zs = [float(z_of_x.subs(x, x0)) for x0 in xs]
    assert_allclose(page["variant_z"], [(x0 + 1) ** 2 for x0 in xs], rtol=1e-15)
    dy_dz = [float(sp.diff(sigma(z), z).subs(z, z0)) for z0 in zs]
    dy_dx = [float(sp.diff(sigma(z_of_x), x).subs(x, x0)) for x0 in xs]
    held = [float(sp.diff(sigma(x**2 + h), x).subs(h, 2 * x0 + 1).subs(x, x0)) for x0 in xs]
    assert_allclose(page["variant_dy_dz"], dy_dz, rtol=1e-12)
    assert_allclose(page["variant_dy_dx"], dy_dx, rtol=1e-12)
    assert_allclose(page["variant_dy_dx_one_path"], held, rtol=1e-12)
    assert all(abs(a - b) > 1e-3 for a, b in zip(page["variant_dy_dx"], page["variant_dy_dx_one_path"]))
    table = np.array(page["variant_derivatives"])
    assert_allclose(table[:, 0], zs, rtol=1e-15)
    assert_allclose(table[:, [1, 2]], np.column_stack([dy_dz, dy_dz]), rtol=FD_RTOL)
    assert_allclose(table[:, [3, 4]], np.column_stack([dy_dx, dy_dx]), rtol=FD_RTOL)
    assert min(dy_dz) > 0  # under this reading too, the submitted dy/dz = 0 is wrong


# --------------------------------------------------------------- question 3


@pytest.fixture(scope="module")
def scaling_problem():
    rng = np.random.default_rng(11)
    X, Y = target_scaling.make_data(rng, 64, 3, 10000, 100)
    return X, Y, target_scaling.init_params(rng, 3, 5)


@pytest.mark.parametrize("j", [0, 1])
def test_shared_gradient_matches_finite_differences(scaling_problem, j):
    X, Y, params = scaling_problem
    Y = Y / [10000, 100]  # terms of order one, so that rtol FD_RTOL applies

    def term(W1):
        return target_scaling.loss_terms({**params, "W1": W1}, X, Y)[j]
    assert_allclose(target_scaling.shared_gradient(params, X, Y, j), numerical_gradient(term, params["W1"]),
                    rtol=FD_RTOL, atol=1e-10)


def test_loss_terms_of_a_zero_output_network_are_mean_squared_targets(scaling_problem):
    X, Y, params = scaling_problem
    zero = {**params, "W2": np.zeros_like(params["W2"]), "b2": np.zeros(2)}
    assert_allclose(target_scaling.loss_terms(zero, X, Y), (Y**2).mean(axis=0), rtol=1e-12)


def test_standardization_and_its_inverse(scaling_problem):
    _, Y, _ = scaling_problem
    forward, inverse = target_scaling.transforms(Y, 10000, 100)["standardized"]
    assert_allclose(forward(Y).mean(axis=0), 0, atol=1e-12)
    assert_allclose(forward(Y).std(axis=0), 1, rtol=1e-12)
    assert_allclose(inverse(forward(Y)), Y, rtol=1e-12)
    assert (0 <= Y).all() and (Y <= [10000, 100]).all()


def test_raw_targets_give_income_the_loss_and_standardized_targets_share_it():
    page = published(target_scaling)
    shares = np.array(page["share_table"])[:, 2]
    assert shares[0] > 0.999 and 0.1 < shares[2] < 0.9


def test_published_sizes_and_gradient_ratio_by_independent_routes():
    page = published(target_scaling)
    inputs = target_scaling.INPUTS
    # Mean square = mean^2 + (population) variance, an identity.
    for target in ("income", "age"):
        assert_allclose(page[f"{target}_rms"] ** 2, page[f"{target}_mean"] ** 2 + page[f"{target}_std"] ** 2,
                        rtol=1e-12)
    assert_allclose(page["raw_rms_ratio"], page["income_rms"] / page["age_rms"], rtol=1e-12)
    # The untrained outputs are of order one against targets in the thousands and tens, so the loss
    # ratio is the squared ratio of mean squares to within a percent.
    assert_allclose(page["raw_loss_ratio"], page["raw_rms_ratio"] ** 2, rtol=1e-2)
    # Rebuild the same seeded problem and take both gradients of W1 by central differences. The raw
    # income term is of order 1e7, so roundoff (eps |f| / h ~ 1e-3 on entries of order 1e3) allows
    # only about 1e-5 relative accuracy on the ratio.
    rng = np.random.default_rng(inputs["seed"])
    X, Y = target_scaling.make_data(rng, inputs["n"], inputs["d"], inputs["income_max"], inputs["age_max"])
    params = target_scaling.init_params(rng, inputs["d"], inputs["k"])
    norms = [np.linalg.norm(numerical_gradient(
        lambda W1, j=j: target_scaling.loss_terms({**params, "W1": W1}, X, Y)[j], params["W1"])) for j in (0, 1)]
    assert_allclose(page["raw_grad_ratio"], norms[0] / norms[1], rtol=1e-5)
    assert_allclose(page["w2_norm_ratio"], np.sqrt((params["W2"][0] ** 2).sum() / (params["W2"][1] ** 2).sum()),
                    rtol=1e-12)
    # Not the size ratio: the claim on the page that the gradient grows by a different factor.
    assert abs(page["raw_grad_ratio"] - page["raw_rms_ratio"]) > 0.2 * page["raw_rms_ratio"]


def test_squared_size_ratio_and_the_mistakes_of_question_3():
    page = published(target_scaling)
    # By hand: the square of the published ratio, and the unsquared ratio as the mistake.
    assert_allclose(page["raw_rms_ratio_squared"], page["raw_rms_ratio"] ** 2, rtol=1e-12)
    assert_allclose(page["raw_rms_ratio_squared"], (page["income_rms"] / page["age_rms"]) ** 2, rtol=1e-12)
    assert_allclose(page["raw_loss_ratio"], page["raw_rms_ratio_squared"], rtol=1e-2)
    assert_allclose(page["loss_ratio_unsquared"], page["income_rms"] / page["age_rms"], rtol=1e-12)
    assert page["raw_loss_ratio"] > 50 * page["loss_ratio_unsquared"]
    # The inverse transform mu + s y', written out with the published statistics; the mistake skips it.
    p_std = np.array(page["pred_std_units"])
    assert_allclose(page["pred_original_units"],
                    [page["income_mean"] + page["income_std"] * p_std[0], page["age_mean"] + page["age_std"] * p_std[1]],
                    rtol=1e-12)
    assert_allclose(page["pred_not_mapped_back"], p_std, rtol=1e-15)
    assert np.abs(np.array(page["pred_original_units"]) - p_std).min() > 10


# --------------------------------------------------------------- question 4


def test_softplus_derivative_is_the_sigmoid():
    z = sp.symbols("z", real=True)
    assert sp.simplify(sp.diff(sp.log(1 + sp.exp(z)), z) - 1 / (1 + sp.exp(-z))) == 0
    zs = np.linspace(-30, 30, 13)
    assert_allclose(output_activations.softplus(zs), np.log1p(np.exp(zs)), rtol=1e-12)


def test_relu_output_is_stuck_and_softplus_is_not():
    cases = output_activations.CASES
    first, z, loss = output_activations.descend(*cases[r"\max(0, z)"][1:3], -1.0, 1.5, 0.2, 300)
    assert first == 0 and z == -1.0 and loss == 1.5**2  # relu(-1) = 0, zero gradient: nothing moves
    _, z, loss = output_activations.descend(*cases[r"\log(1 + e^{z})"][1:3], -1.0, 1.5, 0.2, 300)
    assert_allclose(output_activations.softplus(z), 1.5, rtol=1e-6)  # converges to log(e^1.5 - 1)
    assert_allclose(z, np.log(np.expm1(1.5)), rtol=1e-6)


def test_scaled_sigmoid_stays_strictly_inside_the_interval():
    a, b = output_activations.A, output_activations.B
    f = output_activations.CASES[r"a + (b-a)\,\sigma(z)"][1]
    z = np.linspace(-30, 30, 601)
    assert (f(z) > a).all() and (f(z) < b).all()
    assert_allclose(f(0.0), (a + b) / 2)


def test_range_of_the_scaled_sigmoid_and_the_scaled_by_b_mistake():
    z, a, b = sp.symbols("z a b", real=True)
    sigma = 1 / (1 + sp.exp(-z))
    at = {a: output_activations.INPUTS["a"], b: output_activations.INPUTS["b"]}
    right = [sp.limit((a + (b - a) * sigma).subs(at), z, -sp.oo), sp.limit((a + (b - a) * sigma).subs(at), z, sp.oo)]
    wrong = [sp.limit((a + b * sigma).subs(at), z, -sp.oo), sp.limit((a + b * sigma).subs(at), z, sp.oo)]
    page = published(output_activations)
    assert page["range_c"] == [float(v) for v in right] == [-1.0, 2.0]
    assert page["range_c_scaled_by_b"] == [float(v) for v in wrong] == [-1.0, 1.0]
    # The scaled sigmoid's derivative, (b - a) sigma', never vanishes: sympy's derivative against the module's.
    zs = np.linspace(-6, 6, 13)
    deriv = sp.lambdify(z, sp.diff((a + (b - a) * sigma).subs(at), z))
    assert_allclose(output_activations.scaled_sigmoid_grad(zs), deriv(zs), rtol=1e-12)


# --------------------------------------------------------------- question 5


def mc_rtol(kurtosis, repeats):
    """Five standard errors of a sample std from `repeats` draws: sqrt((kurtosis - 1) / (4 repeats)) each."""
    return 5 * np.sqrt((kurtosis - 1) / (4 * repeats))


@pytest.mark.parametrize("m", [2, 4, 16, 64])
def test_batch_statistics_spread_matches_closed_forms(m):
    # An independent generator: the closed forms must hold for any draw, within Monte Carlo error.
    rng = np.random.default_rng(1234 + m)
    repeats, mu, sigma = 4000, 1.0, 2.0
    means, variances, _ = small_batch_norm.batch_statistics(rng, m, repeats, mu, sigma, 1e-5)
    mean_cf, var_cf = small_batch_norm.closed_form_spread(m, sigma)
    # The batch mean is normal (kurtosis 3); the biased variance is a scaled chi-square with m - 1
    # degrees of freedom, kurtosis 3 + 12/(m - 1).
    assert_allclose(means.std(), mean_cf, rtol=mc_rtol(3, repeats))
    assert_allclose(variances.std(), var_cf, rtol=mc_rtol(3 + 12 / (m - 1), repeats))
    assert_allclose(mean_cf, sigma / np.sqrt(m), rtol=1e-15)


def test_published_spreads_agree_with_closed_forms():
    table = np.array(published(small_batch_norm)["spread_table"])
    repeats = small_batch_norm.INPUTS["repeats"]
    for m, row in zip(small_batch_norm.INPUTS["batch_sizes"], table):
        assert_allclose(row[0], 2.0 / np.sqrt(m), rtol=mc_rtol(3, repeats))
        assert_allclose(row[2], 4.0 * np.sqrt(2 * (m - 1)) / m, rtol=mc_rtol(3 + 12 / (m - 1), repeats))


def test_batchnorm_of_two_values_is_plus_and_minus_one():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(2, 5))
    assert_allclose(np.abs(small_batch_norm.batchnorm(X, 0.0)), 1.0, rtol=1e-12)
    assert_allclose(small_batch_norm.batchnorm(X[:1], 1e-5), 0.0, atol=0)  # a batch of one normalizes to 0


def test_layernorm_of_an_example_does_not_depend_on_the_batch():
    rng = np.random.default_rng(3)
    X = rng.normal(2.0, 3.0, size=(8, 6))
    other = np.vstack([X[:1], rng.normal(size=(7, 6))])
    ln = small_batch_norm.layernorm
    for i in range(len(X)):
        assert np.array_equal(ln(X, 1e-5)[i], ln(X[i:i + 1], 1e-5)[0])  # identity, exactly
    assert np.array_equal(ln(X, 1e-5)[0], ln(other, 1e-5)[0])
    assert np.abs(small_batch_norm.batchnorm(X, 1e-5)[0] - small_batch_norm.batchnorm(other, 1e-5)[0]).max() > 0.1
    assert_allclose(ln(X, 0.0).mean(axis=1), 0, atol=1e-12)
    assert_allclose(ln(X, 0.0).var(axis=1), 1, rtol=1e-12)


def test_biased_variance_spread_closed_form_by_sympy():
    # For normal data, m s^2 / sigma^2 is chi-square with m - 1 degrees of freedom, whose variance is 2(m - 1).
    from sympy.stats import ChiSquared, variance
    m, sigma = sp.symbols("m sigma", positive=True)
    for m0 in (2, 5, 16):
        var_s2 = (sigma**2 / m) ** 2 * variance(ChiSquared("C", m0 - 1))
        expected = sp.sqrt(var_s2.subs(m, m0))
        assert sp.simplify(expected - sigma**2 * sp.sqrt(2 * (m0 - 1)) / m0) == 0


def test_mean_spread_and_its_over_m_mistake_by_hand():
    # sigma = 2 over m = 2, 4, ..., 128: sigma / sqrt(m) = sqrt(2), 1, sqrt(2)/2, ...; the mistake sigma / m = 1, 1/2, ...
    page = published(small_batch_norm)
    sizes = small_batch_norm.INPUTS["batch_sizes"]
    assert_allclose(page["mean_spread_cf"], [2 / m**0.5 for m in sizes], rtol=1e-15)
    assert page["mean_spread_over_m"] == [2 / m for m in sizes]
    assert all(a > b for a, b in zip(page["mean_spread_cf"], page["mean_spread_over_m"]))


def test_batchnorm_with_m_minus_one_mistake():
    # Without epsilon, dividing by m - 1 scales every output by sqrt((m - 1) / m); epsilon (1e-5 against
    # variances of order sigma^2 = 4) moves that by about 1e-6 relative.
    page = published(small_batch_norm)
    m = small_batch_norm.INPUTS["demo_batch"]
    assert_allclose(page["bn_in_a_unbiased"], np.array(page["bn_in_a"]) * np.sqrt((m - 1) / m), rtol=1e-5)
    assert np.abs(np.array(page["bn_in_a_unbiased"]) - page["bn_in_a"]).max() > 0.05


# --------------------------------------------------------------- question 6


@pytest.mark.parametrize("residual", [False, True])
def test_deep_network_gradients_match_finite_differences(residual):
    rng = np.random.default_rng(4)
    width, depth = 5, 4
    weights = [rng.normal(scale=1 / np.sqrt(width), size=(width, width)) for _ in range(depth)]
    X, readout = rng.normal(size=(7, width)), rng.normal(size=width)
    grads = skip_connections.weight_gradients(weights, X, readout, residual)
    for l in range(depth):
        def loss_of(W, l=l):
            return skip_connections.loss(weights[:l] + [W] + weights[l + 1:], X, readout, residual)
        assert_allclose(grads[l], numerical_gradient(loss_of, weights[l]), rtol=FD_RTOL, atol=1e-10)


def test_residual_network_with_zero_branches_passes_the_gradient_unchanged():
    # With all W = 0 every branch is tanh(0) = 0, so x_L = x_0 and dL/dx_l = readout / n at every layer;
    # by hand, dL/dW_1 = sum_n (readout / n) x_{0,n}^T = outer(readout, mean of the inputs).
    rng = np.random.default_rng(5)
    X, readout = rng.normal(size=(6, 4)), rng.normal(size=4)
    zeros = [np.zeros((4, 4)) for _ in range(10)]
    assert_allclose(skip_connections.weight_gradients(zeros, X, readout, True)[0],
                    np.outer(readout, X.mean(axis=0)), rtol=1e-12)
    assert_allclose(skip_connections.weight_gradients(zeros, X, readout, False)[0], 0, atol=0)


def test_plain_gradients_vanish_and_residual_ones_do_not():
    table = np.array(published(skip_connections)["norm_table"])
    plain_small_gain, residual_small_gain = table[:, 2], table[:, 3]
    assert plain_small_gain[-1] < 1e-3 * plain_small_gain[0]
    assert (residual_small_gain >= residual_small_gain[0]).all()


def test_published_drops_and_growths_are_ratios_of_the_table_ends():
    page = published(skip_connections)
    table = np.array(page["norm_table"])
    depths, gains = skip_connections.INPUTS["depths"], skip_connections.INPUTS["gains"]
    assert (page["depth_first"], page["depth_last"]) == (min(depths), max(depths))
    for k, which in enumerate(("first", "second")):
        assert page[f"gain_{which}"] == gains[k]
        # Columns alternate plain, residual per gain; rows run from the shallowest to the deepest.
        assert_allclose(page[f"plain_drop_{which}"], table[0, 2 * k] / table[-1, 2 * k], rtol=1e-12)
        assert_allclose(page[f"residual_growth_{which}"], table[-1, 2 * k + 1] / table[0, 2 * k + 1], rtol=1e-12)


# --------------------------------------------------------------- question 7


def test_classifier_gradients_match_finite_differences():
    rng = np.random.default_rng(6)
    X, y = randomness.make_data(rng, 30, 0.1)
    params = {"W": rng.normal(size=(4, 2)), "b": rng.normal(size=4), "v": rng.normal(size=4), "c": 0.3}
    grads = randomness.gradients(params, X, y)
    for name in params:
        def loss_of(value, name=name):
            return randomness.logistic_loss(randomness.predict({**params, name: value}, X)[0], y)
        assert_allclose(grads[name], numerical_gradient(loss_of, np.asarray(params[name], dtype=float)),
                        rtol=FD_RTOL, atol=1e-10)


def test_logistic_loss_by_hand():
    assert_allclose(randomness.logistic_loss(np.full(4, 0.5), np.array([0, 1, 0, 1.0])), np.log(2), rtol=1e-15)


def test_same_seed_same_result_and_summary_statistics():
    page = published(randomness)
    runs = np.array(page["runs_table"])
    accuracy = runs[:, 2]
    assert len(set(accuracy)) > 1  # seeds do change the outcome
    summary = np.array(page["summary_table"])
    assert_allclose(summary[2], [statistics.mean(accuracy), statistics.stdev(accuracy), min(accuracy), max(accuracy)],
                    rtol=1e-12)
    again = published(randomness)["runs_table"]
    assert np.array_equal(np.array(again), runs)


def test_reported_best_mistake_is_the_best_seed():
    page = published(randomness)
    accuracy = [row[2] for row in page["runs_table"]]
    assert page["reported_best"] == max(accuracy)
    assert_allclose(page["mean_all"], statistics.mean(accuracy), rtol=1e-12)
    assert page["reported_best"] - page["mean_all"] > page["sem_all"]
