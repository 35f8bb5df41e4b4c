"""Section 08 answers against independent sources: sympy, central differences, hand calculations, identities."""


import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

from solutions.toolkit.gradcheck import numerical_gradient, numerical_jacobian
from solutions.section08 import chain_rule_warm_up, forward_backward, jacobian_chain_rule, zero_initialization
from tests.conftest import FD_RTOL, published


# --------------------------------------------------------------- problem 1

W, X, Y, Z, C = sp.symbols("w x y z c")
V = C * ((W + X + Y) ** 2 - (X - Y - Z) ** 2) ** 2  # v(c, w, x, y, z), written out from the worksheet


def point_1():
    return {s: sp.Rational(str(chain_rule_warm_up.INPUTS[s.name])) for s in (C, W, X, Y, Z)}


def test_chain_rule_totals_match_sympy_of_the_composed_function():
    totals = published(chain_rule_warm_up)["totals"]
    expected = [float(sp.diff(V, s).subs(point_1())) for s in (C, W, X, Y, Z)]
    assert_allclose(totals, expected, rtol=1e-12)  # exact rationals vs float64 arithmetic on short formulas


def test_chain_rule_totals_by_hand():
    # a = (1 + 2 - 1)^2 = 4, b = (2 + 1 - 0.5)^2 = 6.25, a - b = -2.25; dv/da = 2c(a - b) = -2.25 = -dv/db;
    # da/d. = 2(w + x + y) = 4; db/dx = 2(x - y - z) = 5 = -db/dy = -db/dz; dv/dc = (a - b)^2 = 5.0625.
    assert chain_rule_warm_up.INPUTS == {"c": 0.5, "w": 1.0, "x": 2.0, "y": -1.0, "z": 0.5}
    dv_da, dv_db, da, db = -2.25, 2.25, 4.0, 5.0
    expected = [5.0625, dv_da * da, dv_da * da + dv_db * db, dv_da * da - dv_db * db, -dv_db * db]
    assert_allclose(published(chain_rule_warm_up)["totals"], expected, rtol=1e-15)


def test_chain_rule_totals_match_central_differences_of_v():
    inputs = chain_rule_warm_up.INPUTS
    names = ["c", "w", "x", "y", "z"]
    def v(p):
        c, w, x, y, z = p
        return c * ((w + x + y) ** 2 - (x - y - z) ** 2) ** 2
    numeric = numerical_gradient(v, [inputs[n] for n in names])
    assert_allclose(published(chain_rule_warm_up)["totals"], numeric, rtol=FD_RTOL)


def test_boxed_closed_forms_are_sympys_derivatives():
    # The page's boxed totals, typed here from the page, against sympy's derivative of v written out.
    d = (W + X + Y) ** 2 - (X - Y - Z) ** 2  # a - b
    boxed = {C: d**2, W: 4 * C * d * (W + X + Y), X: 4 * C * d * (W + 2 * Y + Z),
             Y: 4 * C * d * (W + 2 * X - Z), Z: 4 * C * d * (X - Y - Z)}
    module = chain_rule_warm_up.closed_form_totals({s.name: s for s in (C, W, X, Y, Z)})
    for s, form in boxed.items():
        assert sp.expand(form - sp.diff(V, s)) == 0, s
        assert sp.expand(module[s.name] - form) == 0, s
    assert sp.expand(d - (W + 2 * Y + Z) * (W + 2 * X - Z)) == 0  # the factored a - b the page states


def test_exact_totals_by_hand():
    # a - b = -9/4, c = 1/2: dv/dc = 81/16; 4c(a - b) = -9/2 times (w + x + y, w + 2y + z, w + 2x - z, x - y - z)
    # = (2, -1/2, 9/2, 5/2) gives -9, 9/4, -81/4, -45/4.
    assert published(chain_rule_warm_up)["totals_exact"] == [81 / 16, -9, 9 / 4, -81 / 4, -45 / 4]


def test_one_path_mistake_by_hand():
    # Only dv/da da/dx = 2c(a - b) 2(w + x + y) = -9/4 * 4 = -9 for both x and y; c, w, z are unaffected.
    page = published(chain_rule_warm_up)
    wrong = page["totals_one_path_mistake"]
    assert wrong == [81 / 16, -9, -9, -9, -45 / 4]
    assert wrong[2] != page["totals_exact"][2] and wrong[3] != page["totals_exact"][3]
    x_only_through_a = sp.diff(C * ((W + X + Y) ** 2 - sp.Symbol("b")) ** 2, X).subs(sp.Symbol("b"), (X - Y - Z) ** 2)
    assert float(x_only_through_a.subs(point_1())) == wrong[2]


def test_local_partials_match_sympy_of_each_node():
    a, b = sp.symbols("a b")
    nodes = {"a": (W + X + Y) ** 2, "b": (X - Y - Z) ** 2, "v": C * (a - b) ** 2}
    at = point_1()
    at |= {a: nodes["a"].subs(at), b: nodes["b"].subs(at)}
    symbols = {"a": a, "b": b, "c": C, "w": W, "x": X, "y": Y, "z": Z}
    values = chain_rule_warm_up.evaluate({k: float(v) for k, v in chain_rule_warm_up.INPUTS.items()})
    local = chain_rule_warm_up.local_partials(values)
    assert len(local) == 9
    for (u, node), value in local.items():
        assert_allclose(value, float(sp.diff(nodes[node], symbols[u]).subs(at)), rtol=1e-15, err_msg=f"d{node}/d{u}")


def test_graph_paths_are_the_ones_the_page_states():
    # x and y reach v through a and through b; c, w, z along one path each.
    expected = {"c": [["c"]], "w": [["w", "a"]], "x": [["x", "a"], ["x", "b"]],
                "y": [["y", "a"], ["y", "b"]], "z": [["z", "b"]]}
    for source, paths in expected.items():
        found = [[u for u, _ in path] for path in chain_rule_warm_up.paths(source, "v")]
        assert sorted(found) == sorted(paths), source
    formula = chain_rule_warm_up.chain_rule_latex("x")
    assert formula.count("+") == 1 and r"\frac{\partial b}{\partial x}" in formula


def test_direct_edge_is_not_written_as_the_total_itself():
    left, right = chain_rule_warm_up.chain_rule_latex("c").split(" = ")
    assert right != left and right.startswith(left) and right.endswith(r"\Big\vert_{a, b}")
    assert "|" not in right  # the row label sits in a markdown table
    assert r"\vert" not in chain_rule_warm_up.chain_rule_latex("x")  # only the direct edge needs the mark


def test_forward_values_by_hand_are_shown_exactly():
    # a = (1 + 2 - 1)^2 = 4, b = (2 + 1 - 0.5)^2 = 6.25, v = 0.5 (4 - 6.25)^2 = 2.53125: binary fractions.
    page = published(chain_rule_warm_up)
    assert (page["value_a"], page["value_b"], page["value_v"]) == (4.0, 6.25, 2.53125)


def test_chain_rule_tables_agree_column_by_column():
    page = published(chain_rule_warm_up)
    for table in ("local_table", "total_table"):
        rows = np.array(page[table])
        assert_allclose(rows[:, 1], rows[:, 0], rtol=FD_RTOL)
        assert_allclose(rows[:, 2], rows[:, 0], rtol=1e-12)


def test_graph_figure_is_drawn_from_the_edge_list():
    fig = chain_rule_warm_up.plot_graph()
    arrows = [child for child in fig.axes[0].get_children() if type(child).__name__ == "Annotation"]
    assert len(arrows) == len(chain_rule_warm_up.GRAPH["edges"]) == 9
    assert "x by 2" in chain_rule_warm_up.describe_graph()


# --------------------------------------------------------------- problem 2, first part

def network_symbolic(d, h):
    x = sp.Matrix(sp.symbols(f"x1:{d + 1}"))
    W0 = sp.Matrix(h, d, lambda i, j: sp.Symbol(f"W0_{i}{j}"))
    b0 = sp.Matrix(sp.symbols(f"b0_1:{h + 1}"))
    W1 = sp.Matrix(1, h, lambda i, j: sp.Symbol(f"W1_{j}"))
    b1 = sp.Symbol("b1")
    z = (W0 * x + b0).applyfunc(lambda s: 1 / (1 + sp.exp(-s)))
    return (W1 * z)[0] + b1, x, W0, b0, W1, b1


def test_forward_backward_matches_sympy():
    I = forward_backward.INPUTS
    y, x, W0, b0, W1, b1 = network_symbolic(2, 4)
    at = {**dict(zip(x, I["x"])), **dict(zip(W0, np.ravel(I["W0"]))), **dict(zip(b0, I["b0"])),
          **dict(zip(W1, np.ravel(I["W1"]))), b1: I["b1"]}
    page = published(forward_backward)
    assert_allclose(page["y"], float(y.subs(at)), rtol=1e-12)
    for name, symbols, shape in (("dy_dW0", W0, (4, 2)), ("dy_db0", b0, (4,)), ("dy_dW1", W1, (1, 4))):
        expected = np.array([float(sp.diff(y, s).subs(at)) for s in symbols]).reshape(shape)
        # sympy's exp vs the tanh form of the sigmoid: agreement to ~1e-15, claimed 1e-12.
        assert_allclose(page[name], expected, rtol=1e-12, err_msg=name)
    assert page["dy_db1"] == 1
    assert_allclose(page["dy_dz"], np.ravel(I["W1"]), rtol=0)


def test_forward_backward_gradients_match_central_differences():
    I = forward_backward.INPUTS
    grads = forward_backward.backward(forward_backward.forward(**I)[2])
    for name in ("W0", "b0", "W1"):
        def y_of(v, name=name):
            return forward_backward.forward(**{**I, name: v})[0]
        assert_allclose(grads[name], numerical_gradient(y_of, I[name]), rtol=FD_RTOL, err_msg=name)


def test_hidden_weight_gradient_is_the_outer_product_by_hand():
    # Row i of dy/dW0 is W1_i z_i (1 - z_i) x^T, with z_i = 1 / (1 + exp(-(W0_i . x + b0_i))).
    I = forward_backward.INPUTS
    x, W0, b0, W1 = (np.asarray(I[k], float) for k in ("x", "W0", "b0", "W1"))
    rows = []
    for i in range(4):
        zi = 1 / (1 + np.exp(-(W0[i] @ x + b0[i])))
        rows.append(W1[0, i] * zi * (1 - zi) * x)
    assert_allclose(published(forward_backward)["dy_dW0"], rows, rtol=1e-12)
    assert_allclose(forward_backward.closed_forms(**I)["W0"], rows, rtol=1e-12)


def test_forward_backward_mistakes_by_hand():
    I = forward_backward.INPUTS
    x, W0, b0, W1 = (np.asarray(I[k], float) for k in ("x", "W0", "b0", "W1"))
    page = published(forward_backward)
    # A sigmoid on the output: 1 / (1 + exp(-(W1 z + b1))), with z by hand.
    z = 1 / (1 + np.exp(-(W0 @ x + b0)))
    y_sigmoid = 1 / (1 + np.exp(-(W1[0] @ z + I["b1"])))
    assert_allclose(page["y_output_sigmoid_mistake"], y_sigmoid, rtol=1e-14)
    assert abs(page["y_output_sigmoid_mistake"] - page["y"]) > 0.1
    # No sigmoid slope: entry (i, j) is W1_i x_j.
    no_slope = [[W1[0, i] * x[j] for j in range(2)] for i in range(4)]
    assert_allclose(page["dy_dW0_no_slope_mistake"], no_slope, rtol=0)
    assert np.min(np.abs(np.array(no_slope) - page["dy_dW0"])) > 0.1


# --------------------------------------------------------------- problem 2, second part

def test_zero_init_forward_and_gradients_by_hand():
    page = published(zero_initialization)
    assert page["z_zero"] == [0.5] * 4 and page["y_zero"] == 0
    assert page["dy_dW1_zero"] == [[0.5] * 4] and page["dy_db1_zero"] == 1
    assert np.all(np.array(page["dy_dW0_zero"]) == 0) and page["dy_db0_zero"] == [0.0] * 4


def test_zero_init_mistakes_by_hand():
    # sigma(0) taken as 0 gives z = 0; "every gradient vanishes" gives dy/dW1 = 0, where z^T = 1/2 is right.
    page = published(zero_initialization)
    assert page["z_zero_mistake"] == [0.0] * 4 and page["z_zero_mistake"] != page["z_zero"]
    assert page["dy_dW1_zero_mistake"] == [[0.0] * 4] and page["dy_dW1_zero"] == [[0.5] * 4]


def test_constant_init_gradients_by_hand():
    c, x = zero_initialization.INPUTS["constant"], np.array(zero_initialization.INPUTS["x"])
    s = 1 / (1 + np.exp(-c * (x.sum() + 1)))  # every pre-activation is c (x1 + x2) + c
    page = published(zero_initialization)
    assert_allclose(page["z_const"], [s] * 4, rtol=1e-15)
    assert_allclose(page["y_const"], 4 * c * s + c, rtol=1e-15)
    assert_allclose(page["dy_dW0_const"], [c * s * (1 - s) * x] * 4, rtol=1e-14)


def test_batch_gradients_match_central_differences():
    rng = np.random.default_rng(0)
    X, t = rng.normal(size=(6, 2)), rng.normal(size=6)
    p = zero_initialization.random_params(rng, 2, 4, 1.0)
    grads = zero_initialization.batch_gradients(X, t, p)
    for name in ("W0", "b0", "W1"):
        def loss(v, name=name):
            return zero_initialization.batch_loss(X, t, {**p, name: v})
        assert_allclose(grads[name], numerical_gradient(loss, p[name]), rtol=1e-6, atol=1e-10, err_msg=name)


@pytest.fixture(scope="module")
def runs():
    return zero_initialization.run(zero_initialization.INPUTS)


@pytest.mark.parametrize("start", ["zero", "constant"])
def test_symmetric_starts_keep_identical_units(runs, start):
    for p in runs[2][start][0]:
        # All rows of W0 equal, all of b0 equal, all of W1 equal: checked by comparing with unit 1.
        assert_allclose(p["W0"], np.tile(p["W0"][0], (4, 1)), rtol=0, atol=1e-15)
        assert_allclose(p["b0"], p["b0"][0], rtol=0, atol=1e-15)
        assert_allclose(p["W1"], p["W1"][0, 0], rtol=0, atol=1e-15)
        assert np.linalg.svd(p["W0"], compute_uv=False)[1] < 1e-12  # rank <= 1


def test_zero_start_step_by_step_by_hand(runs):
    X, t, all_runs = runs
    history, losses = all_runs["zero"]
    eta, tbar = zero_initialization.INPUTS["learning_rate"], t.mean()
    assert np.all(history[1]["W0"] == 0) and np.all(history[1]["b0"] == 0)  # W1 = 0 blocked the first step
    assert_allclose(history[1]["W1"], eta * tbar / 2, rtol=1e-14)
    assert_allclose(history[1]["b1"], eta * tbar, rtol=1e-14)
    assert_allclose(losses[1], 0.5 * np.mean((t - tbar) ** 2), rtol=1e-12)  # predictions are all t-bar
    assert np.abs(history[2]["W0"]).min() > 0 and np.abs(history[2]["b0"]).max() < 1e-15
    # Why b0 stays put in update 2: sigma(0) = 1/2 exactly, so every z (1 - z) is exactly 1/4, and
    # the residuals sum to zero (up to roundoff of N terms of order one).
    Z = 1 / (1 + np.exp(-(X @ history[1]["W0"].T + history[1]["b0"])))
    assert np.all(Z * (1 - Z) == 0.25)
    assert abs(np.sum(zero_initialization.batch_forward(X, history[1])[0] - t)) < 1e-13


def test_random_start_keeps_the_output_bias_at_zero():
    p = zero_initialization.random_params(np.random.default_rng(0), 2, 4, 1.0)
    assert p["b1"] == 0.0 and np.all(p["W0"] != 0) and np.all(p["b0"] != 0) and np.all(p["W1"] != 0)


def test_zero_start_equals_a_one_unit_network(runs):
    X, _, all_runs = runs
    p = all_runs["zero"][0][-1]
    y = np.array([forward_backward.forward(x, p["W0"], p["b0"], p["W1"], p["b1"])[0] for x in X])
    one_unit = 4 * p["W1"][0, 0] / (1 + np.exp(-(X @ p["W0"][0] + p["b0"][0]))) + p["b1"]
    assert_allclose(y, one_unit, rtol=1e-12)


def test_random_start_breaks_symmetry_and_fits_better(runs):
    _, _, all_runs = runs
    p = all_runs["random"][0][-1]
    assert np.linalg.matrix_rank(p["W0"]) == 2 and np.ptp(p["W1"]) > 0.1
    assert all_runs["random"][1][-1] < 0.5 * all_runs["zero"][1][-1]


# --------------------------------------------------------------- problem 4

def test_jacobian_product_matches_sympy_and_central_differences():
    x1, x2, x3 = sp.symbols("x1:4")
    y1, y2 = x1 * x2 + sp.sin(x3), x1**2 - x3
    composed = sp.Matrix([sp.exp(y1), y1 * y2, y2**3, sp.tanh(y1 + y2)])
    at = dict(zip((x1, x2, x3), jacobian_chain_rule.INPUTS["x"]))
    expected = np.array(composed.jacobian([x1, x2, x3]).subs(at).evalf(), dtype=float)
    page = published(jacobian_chain_rule)
    assert np.shape(page["J_product"]) == (4, 3)
    assert_allclose(page["J_product"], expected, rtol=1e-12, atol=1e-15)
    x = np.array(jacobian_chain_rule.INPUTS["x"])
    def f_of_g(v):
        a, b = v[0] * v[1] + np.sin(v[2]), v[0] ** 2 - v[2]
        return np.array([np.exp(a), a * b, b**3, np.tanh(a + b)])
    assert_allclose(page["J_product"], numerical_jacobian(f_of_g, x), rtol=FD_RTOL, atol=1e-9)


def test_summation_form_matches_sympy():
    s = sp.Symbol("t")
    composed = sp.cos(s) ** 2 * sp.sin(s) + s**2 * sp.exp(sp.cos(s))
    t = jacobian_chain_rule.INPUTS["t"]
    page = published(jacobian_chain_rule)
    assert_allclose(page["sum_b"], float(sp.diff(composed, s).subs(s, t)), rtol=1e-12)
    assert_allclose(np.sum(np.array(page["sum_terms"])[:, 2]), page["sum_b"], rtol=1e-14)


def test_vec_jacobian_by_entries_and_kronecker_identity():
    W, u = np.array(jacobian_chain_rule.INPUTS["W"]), np.array(jacobian_chain_rule.INPUTS["u"])
    J = np.array(published(jacobian_chain_rule)["J_vec"])
    assert J.shape == (3, 6)
    s = 1 / (1 + np.exp(-(W @ u)))
    for k in range(3):
        for i in range(3):
            for j in range(2):
                # dG_k/dW_ij = delta_ki sigma'(W u)_k u_j, at column j p + i of the column-stacked vec.
                assert_allclose(J[k, j * 3 + i], (k == i) * s[k] * (1 - s[k]) * u[j], rtol=1e-12, atol=0)
    M = np.random.default_rng(3).normal(size=(3, 2))
    assert_allclose(np.kron(u[None, :], np.eye(3)) @ M.reshape(-1, order="F"), M @ u, rtol=1e-14)


def test_matrix_input_loss_gradient_matches_central_differences():
    W, u, target = (np.array(jacobian_chain_rule.INPUTS[k]) for k in ("W", "u", "target"))
    def loss(M):
        return 0.5 * np.sum((1 / (1 + np.exp(-(M @ u))) - target) ** 2)
    grad = np.array(published(jacobian_chain_rule)["dL_dW"])
    assert grad.shape == (3, 2)
    assert_allclose(grad, numerical_gradient(loss, W), rtol=FD_RTOL, atol=1e-10)


def test_fold_mistake_puts_the_right_numbers_in_the_wrong_places():
    # By hand: the right gradient ((G - tau) * sigma'(W u)) u^T, flattened column by column, then read row by row.
    W, u, target = (np.array(jacobian_chain_rule.INPUTS[k]) for k in ("W", "u", "target"))
    G = 1 / (1 + np.exp(-(W @ u)))
    right = np.outer((G - target) * G * (1 - G), u)
    wrong_by_hand = np.array([[right[0, 0], right[1, 0]], [right[2, 0], right[0, 1]], [right[1, 1], right[2, 1]]])
    page = published(jacobian_chain_rule)
    assert_allclose(page["dL_dW_fold_mistake"], wrong_by_hand, rtol=1e-12)
    assert_allclose(np.sort(np.ravel(page["dL_dW_fold_mistake"])), np.sort(right.ravel()), rtol=1e-12)
    assert not np.allclose(page["dL_dW_fold_mistake"], page["dL_dW"])


def test_runs_figure_shows_one_curve_for_zero_init_and_four_for_random(runs):
    fig = zero_initialization.plot_runs(runs[2])
    zero_lines, random_lines = fig.axes[1].lines, fig.axes[2].lines
    assert len(zero_lines) == len(random_lines) == 4
    assert all(np.array_equal(line.get_ydata(), zero_lines[0].get_ydata()) for line in zero_lines)
    assert len({round(float(line.get_ydata()[-1]), 6) for line in random_lines}) == 4
    assert all(len(line.get_xdata()) <= 300 for ax in fig.axes for line in ax.lines)  # a light figure
    assert "largest gap between units 0)" in zero_initialization.describe_runs(runs[2])


def test_stated_sizes_are_those_of_the_example_functions_and_data(runs):
    # By hand from the written-out examples: g maps R^3 -> R^2, f maps R^2 -> R^4; W is 3 x 2.
    sizes = published(jacobian_chain_rule)
    assert [sizes[name] for name in ("ell", "n_a", "m_a", "p", "q", "pq")] == [3, 2, 4, 3, 2, 6]
    # The stated square really bounds the drawn inputs, and is not loose: the corners are nearly reached.
    X, _, _ = runs
    half_width = published(zero_initialization)["half_width"]
    assert np.abs(X).max() <= half_width and np.abs(X).max() > 0.9 * half_width  # 40 uniform draws per axis
    assert X.shape[1] == zero_initialization.INPUTS["d"]
