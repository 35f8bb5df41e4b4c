"""Discussion 2 answers against independent sources: hand closed forms, central differences, sympy, identities."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

from solutions.toolkit.gradcheck import numerical_gradient
from solutions.discussion2 import computation_graph as cg
from solutions.discussion2 import map_ridge, relu_derivatives as rd
from tests.conftest import FD_RTOL, published


# --------------------------------------------------------------- problem 1: ReLU derivatives

NET = {name: np.asarray(rd.INPUTS[name], dtype=float) for name in ("W1", "b1", "W2", "b2")}
H = 1e-6  # central-difference step
# y is affine in every parameter between kinks: central differences are exact up to roundoff
# eps |y| / h ~ 1e-10 for |y| ~ 10, so 1e-8 absolute leaves a margin of 100.
FD_ATOL = 1e-8


def y_independent(x, W1, b1, W2, b2):
    """The network written out again, unit by unit: y = sum_i W2_i max(0, W1_i x + b1_i) + b2."""
    return sum(W2[i] * np.maximum(0.0, W1[i] * x + b1[i]) for i in range(len(W1))) + b2


def central_difference(x, part, unit):
    """d y / d parameter[unit] at the points x, by central differences of y_independent."""
    def shifted(delta):
        params = {name: value.copy() for name, value in NET.items()}
        if part == "b2":
            params["b2"] = params["b2"] + delta
        else:
            params[part][unit] += delta
        return y_independent(x, **params)
    return (shifted(H) - shifted(-H)) / (2 * H)


# Hand-derived closed forms for the stated network (W1 = [1, -2, 1/2], b1 = [1/2, 1, -1], W2 = [3/2, -1, 2]):
KINKS = [-0.5, 0.5, 2.0]  # -b1/W1 = -1/2, 1/2, 2
ON_RIGHT = [True, False, True]  # sign of W1
HAND = {
    # part: (slope where the unit is on, jump read left to right)
    "W2": ([1.0, -2.0, 0.5], [0.0, 0.0, 0.0]),  # relu(z_i): slope W1_i, continuous
    "b1": ([0.0, 0.0, 0.0], [1.5, 1.0, 2.0]),  # W2_i sign(W1_i)
    "W1": ([1.5, -1.0, 2.0], [-0.75, 0.5, 4.0]),  # -W2_i b1_i / |W1_i|
}


@pytest.fixture(scope="module", params=["W2", "b1", "W1"])
def part_figure(request):
    part = request.param
    fig = rd.plot_part(part, rd.INPUTS["x_range"], rd.INPUTS["points_per_side"], **NET)
    yield part, fig
    plt.close(fig)


def curves_of(ax):
    """The plotted curve segments of one panel (the kink's vertical line has only two points)."""
    return [line.get_xydata() for line in ax.lines if len(line.get_xdata()) > 2]


def test_plotted_curves_match_central_differences_away_from_kinks(part_figure):
    part, fig = part_figure
    for unit, ax in enumerate(fig.axes):
        segments = curves_of(ax)
        assert len(segments) == 2  # one on each side of the kink
        for xy in segments:
            away = np.abs(xy[:, 0] - KINKS[unit]) > 1e-3
            assert away.sum() == rd.INPUTS["points_per_side"]
            assert_allclose(xy[away, 1], central_difference(xy[away, 0], part, unit), atol=FD_ATOL)


def test_plotted_segments_end_at_the_hand_derived_one_sided_limits(part_figure):
    part, fig = part_figure
    slopes, jumps = HAND[part]
    for unit, ax in enumerate(fig.axes):
        on_value = {"W2": 0.0, "b1": NET["W2"][unit], "W1": NET["W2"][unit] * KINKS[unit]}[part]
        left_xy, right_xy = sorted(curves_of(ax), key=lambda xy: xy[:, 0].min())
        left, right = (0.0, on_value) if ON_RIGHT[unit] else (on_value, 0.0)
        assert left_xy[-1, 0] == KINKS[unit] and right_xy[0, 0] == KINKS[unit]
        assert_allclose([left_xy[-1, 1], right_xy[0, 1]], [left, right], atol=1e-15)
        assert_allclose(right - left, jumps[unit], atol=1e-15)


def test_plotted_slopes_match_the_hand_derived_slopes(part_figure):
    part, fig = part_figure
    slopes, _ = HAND[part]
    for unit, ax in enumerate(fig.axes):
        left_xy, right_xy = sorted(curves_of(ax), key=lambda xy: xy[:, 0].min())
        fitted = [np.polyfit(xy[:, 0], xy[:, 1], 1)[0] for xy in (left_xy, right_xy)]
        expected = [0.0, slopes[unit]] if ON_RIGHT[unit] else [slopes[unit], 0.0]
        assert_allclose(fitted, expected, atol=1e-10)  # exact lines: least-squares fit to roundoff


def test_labels_on_the_figure_state_the_hand_derived_kinks_jumps_and_slopes(part_figure):
    part, fig = part_figure
    slopes, jumps = HAND[part]
    for unit, ax in enumerate(fig.axes):
        texts = {t.get_text() for t in ax.texts}
        # The worksheet's words: the derivative has a kink where it stays continuous, a jump where it does not.
        word = "kink" if jumps[unit] == 0 else "jump"
        assert f"{word} at {KINKS[unit]:g}" in ax.get_xlabel()
        assert f"slope {slopes[unit]:g}" in texts and "slope 0" in texts
        assert (f"jump {jumps[unit]:+g}" in texts) == (jumps[unit] != 0)


def test_markers_closed_at_the_convention_value_open_at_the_on_side_limit(part_figure):
    part, fig = part_figure
    _, jumps = HAND[part]
    for unit, ax in enumerate(fig.axes):
        markers = [line for line in ax.lines if len(line.get_xdata()) == 1]
        closed = [m for m in markers if m.get_markerfacecolor() != "none"]
        opened = [m for m in markers if m.get_markerfacecolor() == "none"]
        assert len(closed) == 1 and closed[0].get_ydata()[0] == 0.0  # ReLU'(0) = 0
        assert len(opened) == (1 if jumps[unit] else 0)
        if opened:
            assert_allclose(abs(opened[0].get_ydata()[0]), abs(jumps[unit]), atol=1e-15)


@pytest.mark.parametrize("part", ["W2", "b1", "W1"])
def test_break_table_matches_hand_closed_forms(part):
    found = rd.breaks(part, NET["W1"], NET["b1"], NET["W2"])
    slopes, jumps = HAND[part]
    assert_allclose(found["x"], KINKS, rtol=0)
    assert_allclose(found["jump"], jumps, atol=1e-15)
    assert_allclose(found["slope_left"] + found["slope_right"], slopes, atol=1e-15)  # one side is 0
    assert_allclose(found["at_kink"], 0.0, atol=0)


@pytest.mark.parametrize("part", ["b1", "W1"])
def test_one_sided_derivatives_at_a_kink_are_the_two_limits(part):
    # At x = x_i the derivative in the parameter does not exist: the one-sided difference quotients
    # are the two limits of the table, so the derivative there is a convention, not a value.
    found = rd.breaks(part, NET["W1"], NET["b1"], NET["W2"])
    for unit, x_kink in enumerate(KINKS):
        def y_at(delta):
            params = {name: value.copy() for name, value in NET.items()}
            params[part][unit] += delta
            return y_independent(x_kink, **params)
        forward_quotient, backward_quotient = (y_at(H) - y_at(0)) / H, (y_at(0) - y_at(-H)) / H
        limits = sorted([found["left"][unit], found["right"][unit]])
        assert_allclose(sorted([forward_quotient, backward_quotient]), limits, atol=1e-8)


def test_published_kinks_and_interval_are_the_hand_values():
    page = published(rd)
    assert [page[f"kink_{i}"] for i in (1, 2, 3)] == KINKS  # exact binary fractions: no tolerance
    assert (page["x_min"], page["x_max"]) == (-3.0, 3.0)


def test_published_jumps_are_the_hand_values_exactly():
    page = published(rd)
    for part in ("b1", "W1"):
        assert page[f"jump_{part}"] == page[f"jump_{part}_decimal"] == HAND[part][1]  # binary fractions: exact


def test_mistaken_jumps_are_the_wrong_formulas_by_hand_and_differ():
    page = published(rd)
    # (c) read as always switching on: the jump is w2_i for every unit, W2 = [3/2, -1, 2].
    assert page["jump_b1_no_sign"] == [1.5, -1.0, 2.0]
    # (d) without the factor x: the derivative is w2_i 1[z_i > 0], whose jumps are those of (c).
    assert page["jump_W1_no_x"] == HAND["b1"][1]
    # And its curves are (c)'s at every point, by central differences in b1 (the wrong formula's own check).
    x = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.5])  # away from the kinks -1/2, 1/2, 2
    for unit in range(3):
        wrong = NET["W2"][unit] * (NET["W1"][unit] * x + NET["b1"][unit] > 0)
        assert_allclose(wrong, central_difference(x, "b1", unit), atol=FD_ATOL)
    for part, wrong in (("b1", "jump_b1_no_sign"), ("W1", "jump_W1_no_x")):
        assert page[wrong] != page[f"jump_{part}"]


def test_part_a_is_one_everywhere_including_the_kinks():
    x = np.array([-3.0, *KINKS, 3.0])
    assert_allclose(rd.derivatives(x, **NET)["b2"], 1.0)
    assert_allclose(central_difference(x, "b2", None), 1.0, atol=FD_ATOL)


def test_forward_matches_the_written_out_network():
    x = np.linspace(-3, 3, 61)
    assert_allclose(rd.forward(x, **NET)[0], y_independent(x, **NET), rtol=1e-14)


# --------------------------------------------------------------- problem 2: computation graph

POINT = {name: np.asarray(cg.INPUTS[name], dtype=float) for name in cg.SOURCES}


def bce_loss(x, W1, b1, W2, b2, y):
    """The assumed network written out in one line: J = BCE(sigmoid(W2 relu(W1 x + b1) + b2 + x), y)."""
    p = 1 / (1 + np.exp(-(W2 @ np.maximum(0, W1 @ x + b1) + b2 + x)))
    return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))


def hand_gradients(x, W1, b1, W2, b2, y):
    """The boxed formulas of the page, written out independently of the graph code."""
    z1 = W1 @ x + b1
    p = 1 / (1 + np.exp(-(W2 @ np.maximum(0, z1) + b2 + x)))
    dz2 = p - y
    dz1 = (W2.T @ dz2) * (z1 > 0)
    return {"W2": np.outer(dz2, np.maximum(0, z1)), "b2": dz2, "W1": np.outer(dz1, x), "b1": dz1,
            "x": W1.T @ dz1 + dz2, "z2": dz2}


def test_graph_backward_matches_the_hand_formulas():
    grads = cg.backward(cg.forward(POINT, cg.VARIANT), cg.VARIANT)
    for name, expected in hand_gradients(**POINT).items():
        assert_allclose(grads[name], expected, rtol=1e-12, atol=1e-15)  # same float64 formulas, roundoff only


@pytest.mark.parametrize("name", ["W1", "b1", "W2", "b2", "x"])
def test_graph_backward_matches_central_differences_of_the_written_out_loss(name):
    grads = cg.backward(cg.forward(POINT, cg.VARIANT), cg.VARIANT)
    numeric = numerical_gradient(lambda v: bce_loss(**{**POINT, name: v}), POINT[name])
    # Central differences in float64 of an order-one smooth function: about 1e-9 relative; the
    # zero gradients of the switched-off unit are zero to ~1e-11 absolute.
    assert_allclose(grads[name], numeric, rtol=FD_RTOL, atol=1e-9)


def test_loss_matches_the_written_out_network_and_dJ_dz2_is_yhat_minus_y():
    cache = cg.forward(POINT, cg.VARIANT)
    assert_allclose(cache["J"], bce_loss(**POINT), rtol=1e-14)
    assert_allclose(cg.backward(cache, cg.VARIANT)["z2"], cache["yhat"] - POINT["y"], rtol=1e-12)


def test_stated_point_is_away_from_relu_kinks():
    # Central differences need |z1| well above the step 1e-6; the page says the second unit (only) is off.
    z1 = POINT["W1"] @ POINT["x"] + POINT["b1"]
    assert np.min(np.abs(z1)) > 1e-2 and list(z1 < 0) == [False, True, False]


def test_graph_is_the_assumed_one():
    edges = {(i, node.name) for node in cg.VARIANT for i in node.inputs}
    assert edges == {("W1", "z1"), ("x", "z1"), ("b1", "z1"), ("z1", "h"), ("W2", "u"), ("h", "u"), ("b2", "u"),
                     ("u", "z2"), ("x", "z2"), ("z2", "yhat"), ("yhat", "J"), ("y", "J")}


def test_figure_draws_one_box_per_node_and_one_arrow_per_edge():
    fig = cg.plot_graph(cg.shapes_of(2, 3, cg.VARIANT), cg.VARIANT)
    ax = fig.axes[0]
    arrows = [t for t in ax.texts if t.get_text() == ""]
    boxes = [t for t in ax.texts if t.get_text()]
    assert len(boxes) == len(cg.VARIANT)
    assert len(arrows) == sum(len(node.inputs) for node in cg.VARIANT)
    plt.close(fig)


def test_cached_values_are_what_each_backward_step_reads():
    # z1 = W1 x + b1 needs x (for dW1); relu needs z1; u = W2 h + b2 needs h (for dW2);
    # sigmoid's backward uses its output yhat, and so does the loss's.
    assert set(cg.cached(cg.VARIANT)) == {("x", "z1"), ("z1", "h"), ("h", "u"), ("yhat", "yhat"), ("yhat", "J")}


def test_cache_table_lists_each_cached_value_once_with_all_its_readers():
    assert cg.cached_by_value(cg.VARIANT) == [("x", ("z1",)), ("z1", ("h",)), ("h", ("u",)), ("yhat", ("yhat", "J"))]


@pytest.mark.parametrize("name", ["W1", "b1", "x"])
def test_sigmoid_hidden_variant_replaces_the_mask_by_h_times_one_minus_h(name):
    # The page's note: with h = sigmoid(z1) instead of relu(z1), the same formulas hold with
    # 1[z1 > 0] replaced by h (1 - h). Checked on a loss written out independently of the graph code.
    def loss(x, W1, b1, W2, b2, y):
        p = 1 / (1 + np.exp(-(W2 @ (1 / (1 + np.exp(-(W1 @ x + b1)))) + b2 + x)))
        return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))

    x, W1, b1, W2, b2, y = (POINT[k] for k in ("x", "W1", "b1", "W2", "b2", "y"))
    h = 1 / (1 + np.exp(-(W1 @ x + b1)))
    dz2 = 1 / (1 + np.exp(-(W2 @ h + b2 + x))) - y
    dz1 = (W2.T @ dz2) * h * (1 - h)
    formulas = {"W1": np.outer(dz1, x), "b1": dz1, "x": W1.T @ dz1 + dz2}
    numeric = numerical_gradient(lambda v: loss(**{**POINT, name: v}), POINT[name])
    assert_allclose(formulas[name], numeric, rtol=FD_RTOL, atol=1e-9)  # central differences, as above


@pytest.mark.parametrize("m", [1, 3, 64, 1024])
@pytest.mark.parametrize("d", [1, 2, 5])
@pytest.mark.parametrize("graph", [cg.WORKSHEET, cg.VARIANT], ids=["worksheet", "variant"])
def test_operation_counts_against_an_independent_count(graph, d, m):
    # Forward, op by op: W1 x + b1 is m d multiply-adds + m bias adds; the hidden sigmoid or relu m; W2 h + b2 is d m + d;
    # the skip addition d; sigmoid d; the loss d.
    forward_ops = (m * d + m) + m + (d * m + d) + d + d + d
    # Backward: loss d; sigmoid d; addition 0; dW2 and dh 2 d m; relu m; dW1 and dx 2 m d; x's two
    # incoming gradients summed, d.
    backward_ops = d + d + 0 + 2 * d * m + m + 2 * m * d + d
    rng = np.random.default_rng(0)
    parameter_count = sum(a.size for a in (rng.normal(size=(m, d)), rng.normal(size=m),
                                            rng.normal(size=(d, m)), rng.normal(size=d)))
    P, F, B = cg.op_counts(d, m, graph)
    assert (P, F, B) == (parameter_count, forward_ops, backward_ops)
    # The finite-difference count is parameters times two forward passes.
    assert 2 * P * F == 2 * parameter_count * forward_ops


def test_count_ratio_grows_linearly_with_width():
    d = 2
    ratios = [2 * P * F / (F + B) for P, F, B in (cg.op_counts(d, m, cg.VARIANT) for m in (10**4, 10**5))]
    assert_allclose(np.divide(ratios, [10**4, 10**5]), 4 * (d + 1) / 3, rtol=1e-3)  # O(1/m) corrections


# ------------------------------------------ problem 2, the worksheet's model: sigmoid hidden layer, scalar BCE

M = 3  # hidden units of the stated worksheet model
SX, SY, SB2 = sp.symbols("x y b2")
SW1, SB1, SW2 = sp.symbols("w1_1:4"), sp.symbols("c1_1:4"), sp.symbols("w2_1:4")  # c1_i: the entries of b1


def sym_sigmoid(z):
    return 1 / (1 + sp.exp(-z))


def sym_loss(skip=SX):
    """J = BCE(sigma(W2 sigma(W1 x + b1) + b2 + skip), y) in sympy; skip is the x the skip connection adds."""
    h = [sym_sigmoid(SW1[i] * SX + SB1[i]) for i in range(M)]
    p = sym_sigmoid(sum(SW2[i] * h[i] for i in range(M)) + SB2 + skip)
    return -SY * sp.log(p) - (1 - SY) * sp.log(1 - p)


def stated_point():
    """The worksheet model's stated values as a sympy substitution, from the module's INPUTS."""
    I = cg.INPUTS
    point = {SX: I["sig_x"], SY: I["sig_y"], SB2: I["sig_b2"]}
    point |= {SW1[i]: I["sig_W1"][i][0] for i in range(M)} | {SB1[i]: I["sig_b1"][i] for i in range(M)}
    return point | {SW2[i]: I["sig_W2"][0][i] for i in range(M)}


def sym_gradient(name, loss=None):
    """d loss / d (parameter `name`) at the stated point, by sympy, in the page's shapes."""
    loss, point = sym_loss() if loss is None else loss, stated_point()

    def d(symbol):
        return float(sp.N(sp.diff(loss, symbol).subs(point), 30))
    return {"x": lambda: d(SX), "b2": lambda: d(SB2), "W2": lambda: [[d(v) for v in SW2]],
            "W1": lambda: [[d(v)] for v in SW1], "b1": lambda: [d(v) for v in SB1]}[name]()


@pytest.mark.parametrize("name", ["W1", "b1", "W2", "b2", "x"])
def test_worksheet_gradients_match_sympy(name):
    page = published(cg)
    # Same float64 arithmetic as sympy's 30-digit value, to roundoff: 1e-12 relative.
    assert_allclose(page[f"sig_dJ_d{name}"], sym_gradient(name), rtol=1e-12, atol=1e-15)


def test_worksheet_dJ_dz2_is_yhat_minus_y_and_forward_matches_the_one_line_formula():
    page, point = published(cg), stated_point()
    z2 = sp.Symbol("z2")
    bce = -SY * sp.log(sym_sigmoid(z2)) - (1 - SY) * sp.log(1 - sym_sigmoid(z2))
    z2_value = float(sp.N((sum(SW2[i] * sym_sigmoid(SW1[i] * SX + SB1[i]) for i in range(M)) + SB2 + SX).subs(point), 30))
    assert_allclose(page["sig_z2"], z2_value, rtol=1e-14)
    assert_allclose(page["sig_yhat"], 1 / (1 + np.exp(-z2_value)), rtol=1e-14)
    assert_allclose(page["sig_J"], float(sp.N(sym_loss().subs(point), 30)), rtol=1e-14)
    dz2 = float(sp.N(sp.diff(bce, z2).subs({z2: z2_value, SY: point[SY]}), 30))
    assert_allclose([page["sig_dJ_dz2"], page["sig_yhat_minus_y"]], dz2, rtol=1e-12)


def test_worksheet_boxed_formulas_equal_sympys_derivatives_at_random_points():
    # The boxed closed forms, written in sympy, against sympy's own derivative of J at random points.
    J = sym_loss()
    h = [sym_sigmoid(SW1[i] * SX + SB1[i]) for i in range(M)]
    p = sym_sigmoid(sum(SW2[i] * h[i] for i in range(M)) + SB2 + SX)
    boxed = {SB2: p - SY, SX: (p - SY) * (1 + sum(SW2[i] * h[i] * (1 - h[i]) * SW1[i] for i in range(M)))}
    for i in range(M):
        boxed[SW2[i]] = (p - SY) * h[i]
        boxed[SB1[i]] = (p - SY) * SW2[i] * h[i] * (1 - h[i])
        boxed[SW1[i]] = (p - SY) * SW2[i] * h[i] * (1 - h[i]) * SX
    rng = np.random.default_rng(14)
    symbols = [SX, SY, SB2, *SW1, *SB1, *SW2]
    for _ in range(3):
        point = {v: sp.Rational(int(rng.integers(-20, 21)), 10) for v in symbols}
        point[SY] = sp.Rational(int(rng.integers(0, 11)), 10)  # a label in [0, 1]
        for symbol, formula in boxed.items():
            assert abs(sp.N((sp.diff(J, symbol) - formula).subs(point), 40)) < 1e-30


@pytest.mark.parametrize("name", ["W1", "b1", "W2", "b2", "x"])
def test_worksheet_gradients_match_central_differences_of_a_written_out_loss(name):
    I = cg.INPUTS
    point = {k: np.asarray(I[f"sig_{k}"], dtype=float) for k in ("x", "W1", "b1", "W2", "b2", "y")}

    def loss(x, W1, b1, W2, b2, y):
        h = 1 / (1 + np.exp(-(W1[:, 0] * x + b1)))
        p = 1 / (1 + np.exp(-(W2[0] @ h + b2 + x)))
        return -(y * np.log(p) + (1 - y) * np.log(1 - p))

    numeric = numerical_gradient(lambda v: loss(**{**point, name: v}), point[name])
    # Central differences of an order-one smooth function in float64: about 1e-9 relative.
    assert_allclose(published(cg)[f"sig_dJ_d{name}"], numeric, rtol=FD_RTOL, atol=1e-9)
    page = published(cg)
    assert 0 < page["sig_fd_max_rel"] < 1e-6 and 0 < page["fd_max_rel"] < 1e-6  # the key's claim


def test_worksheet_mistake_dropping_the_skip_path():
    # The skip's x held fixed (a separate symbol set to x after differentiating): only the hidden path remains.
    s = sp.Symbol("s")
    no_skip = float(sp.N(sp.diff(sym_loss(skip=s), SX).subs(stated_point()).subs(s, cg.INPUTS["sig_x"]), 30))
    page = published(cg)
    assert_allclose(page["sig_dJ_dx_no_skip"], no_skip, rtol=1e-12)
    # The dropped term is exactly yhat - y.
    assert_allclose(page["sig_dJ_dx"] - page["sig_dJ_dx_no_skip"], page["sig_yhat_minus_y"], rtol=1e-12)
    assert abs(page["sig_dJ_dx"] - page["sig_dJ_dx_no_skip"]) > 0.1


def test_worksheet_mistakes_forgetting_a_factor():
    I, page = cg.INPUTS, published(cg)
    # By hand: h = sigma(W1 x + b1); yhat - y as sympy gives it.
    h = 1 / (1 + np.exp(-(np.array(I["sig_W1"])[:, 0] * I["sig_x"] + np.array(I["sig_b1"]))))
    error = float(sp.N(sp.diff(sym_loss(), SB2).subs(stated_point()), 30))  # dJ/db2 = yhat - y
    assert_allclose(page["sig_dJ_dW2_no_error"], [h], rtol=1e-12)  # the factor yhat - y left out
    assert_allclose(page["sig_dJ_db1_no_sigmoid_grad"], error * np.array(I["sig_W2"][0]), rtol=1e-12)
    # Each differs from the right answer by the forgotten factor.
    assert_allclose(np.divide(page["sig_dJ_dW2"], page["sig_dJ_dW2_no_error"]), error, rtol=1e-12)
    assert_allclose(np.divide(page["sig_dJ_db1"], page["sig_dJ_db1_no_sigmoid_grad"]), h * (1 - h), rtol=1e-12)
    assert not np.allclose(page["sig_dJ_dW2"], page["sig_dJ_dW2_no_error"], rtol=0.1)
    assert not np.allclose(page["sig_dJ_db1"], page["sig_dJ_db1_no_sigmoid_grad"], rtol=0.1)


def test_worksheet_graph_caches_x_h_and_yhat_only():
    # A sigmoid's backward reads its output: the hidden sigmoid reads h (which u's backward reads too), so z1 is not kept.
    assert cg.cached_by_value(cg.WORKSHEET) == [("x", ("z1",)), ("h", ("h", "u")), ("yhat", ("yhat", "J"))]
    edges = {(i, node.name) for node in cg.WORKSHEET for i in node.inputs}
    assert edges == {(i, node.name) for node in cg.VARIANT for i in node.inputs}  # same graph, other hidden op
    assert [node.op for node in cg.WORKSHEET if node.name == "h"] == ["sigmoid"]


@pytest.mark.parametrize("m", [1, 3, 100])
def test_worksheet_counts_are_the_pages_formulas(m):
    # The page's boxed counts for d = 1, by hand from the variant's general formulas.
    P, F, B = cg.op_counts(1, m, cg.WORKSHEET)
    assert (F, B, P) == (4 * m + 4, 5 * m + 3, 3 * m + 1)
    assert (F + B, 2 * P * F) == (9 * m + 7, 8 * (3 * m + 1) * (m + 1))


# --------------------------------------------------------------- problem 3: MAP ridge


@pytest.fixture(scope="module")
def data():
    X, y, w_true = map_ridge.make_data(np.random.default_rng(map_ridge.INPUTS["seed"]),
                                       map_ridge.INPUTS["n"], map_ridge.INPUTS["lam"])
    return X, y, map_ridge.INPUTS["lam"]


def test_sympy_gradient_of_the_log_posterior_vanishes_at_the_closed_form(data):
    X, y, lam = data
    w = sp.symbols("w1 w2")
    residual = [y[i] - sum(X[i, j] * w[j] for j in range(2)) for i in range(len(y))]
    log_post = -sum(r**2 for r in residual) / (2 * lam) - sum(wj**2 for wj in w) / 2
    w_hat = map_ridge.ridge_closed_form(X, y, lam)
    gradient = [float(sp.diff(log_post, wj).subs(dict(zip(w, w_hat)))) for wj in w]
    assert_allclose(gradient, 0, atol=1e-12)  # entries of X, y are O(1): roundoff ~1e-15
    hessian = sp.hessian(log_post, w)
    assert all(ev < 0 for ev in np.linalg.eigvalsh(np.array(hessian, dtype=float)))  # a maximum


def exact(array):
    """A float64 array as a sympy matrix of exact rationals (every float is one)."""
    return sp.Matrix(np.atleast_2d(array).tolist()).applyfunc(sp.Rational)


def test_optimizer_agrees_within_the_bound_both_gradients_give(data):
    X, y, lam = data
    w_closed = map_ridge.ridge_closed_form(X, y, lam)
    w_opt, _ = map_ridge.map_by_optimizer(X, y, lam)
    # Exact rational arithmetic on the float64 points: grad f(w) = H (w - w_hat) for the exact
    # maximiser w_hat, so ||w_opt - w_closed|| <= (||grad f(w_opt)|| + ||grad f(w_closed)||) / lambda_min(H).
    Xs, ys, L = exact(X), exact(y).T, sp.Rational(lam)
    H = Xs.T * Xs / L + sp.eye(2)
    lam_min = min(H.eigenvals())

    def norm(v):
        return sp.sqrt(sum(entry**2 for entry in v))

    def grad_norm(w):
        return norm(Xs.T * (Xs * exact(w).T - ys) / L + exact(w).T)

    g_opt, g_closed = grad_norm(w_opt), grad_norm(w_closed)
    gap = norm(exact(w_opt - w_closed))  # the float subtraction of two close floats is exact (Sterbenz)
    assert sp.N(gap, 30) <= sp.N((g_opt + g_closed) / lam_min, 30)

    page = published(map_ridge)
    # The page states the bound with float64 terms; it must hold as printed ...
    assert page["gap_opt"] <= page["gap_bound"]
    assert_allclose(page["gap_bound"], (page["grad_norm"] + page["grad_at_closed"]) / page["hessian_min_eig"],
                    rtol=1e-12)
    # ... and each term must be the exact one up to roundoff: a float64 gradient of entries O(1)
    # is off by a few eps ~ 1e-15 absolute; the eigenvalue of a 2 x 2 matrix by ~1e-15 relative.
    assert_allclose(page["hessian_min_eig"], float(sp.N(lam_min, 30)), rtol=1e-13)
    assert_allclose([page["grad_norm"], page["grad_at_closed"]], [float(sp.N(g_opt, 30)), float(sp.N(g_closed, 30))],
                    rtol=0, atol=2e-15)
    assert_allclose(page["gap_opt"], float(sp.N(gap, 30)), rtol=1e-12)
    assert_allclose(w_opt, w_closed, atol=1e-9)  # the key's claim


def test_posterior_mean_and_covariance_by_conjugate_formulas(data):
    X, y, lam = data
    mean, cov = map_ridge.posterior_by_conditioning(X, y, lam)
    # Conjugate update, precision form: Sigma = (I + X^T X / lam)^-1, mu = Sigma X^T y / lam.
    sigma = np.linalg.inv(np.eye(2) + X.T @ X / lam)
    assert_allclose(cov, sigma, rtol=1e-12, atol=1e-15)
    assert_allclose(cov, lam * np.linalg.inv(X.T @ X + lam * np.eye(2)), rtol=1e-12, atol=1e-15)  # the page's form
    assert_allclose(mean, sigma @ X.T @ y / lam, rtol=1e-12)
    assert_allclose(mean, map_ridge.ridge_closed_form(X, y, lam), rtol=1e-12)


def test_lambda_to_zero_gives_least_squares_and_to_infinity_the_prior_mean(data):
    X, y, _ = data
    w_ls = np.linalg.lstsq(X, y, rcond=None)[0]
    # w_lam - w_ls = -lam (X^T X)^-1 w_ls + O(lam^2): linear in lam.
    assert_allclose(map_ridge.ridge_closed_form(X, y, 1e-9), w_ls, atol=1e-8)
    assert_allclose(map_ridge.ridge_closed_form(X, y, 1e8) * 1e8, X.T @ y, rtol=1e-6)  # ~ X^T y / lam


def test_data_come_from_the_generator_passed_in():
    first = map_ridge.make_data(np.random.default_rng(1), 5, 2.0)
    again = map_ridge.make_data(np.random.default_rng(1), 5, 2.0)
    other = map_ridge.make_data(np.random.default_rng(2), 5, 2.0)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])


def test_figure_marks_the_map_point_at_the_closed_form(data):
    X, y, lam = data
    fig = map_ridge.plot_posterior(X, y, lam, np.zeros(2))
    points = {line.get_marker(): line.get_xydata()[0] for line in fig.axes[0].lines if len(line.get_xdata()) == 1}
    assert_allclose(points["o"], map_ridge.ridge_closed_form(X, y, lam), rtol=1e-15)
    assert_allclose(points["s"], np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-12)
    plt.close(fig)


def test_log_posterior_gradient_matches_central_differences(data):
    X, y, lam = data
    rng = np.random.default_rng(3)
    for w in rng.normal(size=(3, 2)):
        numeric = numerical_gradient(lambda v: map_ridge.neg_log_posterior(v, X, y, lam), w)
        # A quadratic: central differences are exact up to roundoff ~ eps f / h ~ 1e-9 relative.
        assert_allclose(map_ridge.neg_log_posterior_grad(w, X, y, lam), numeric, rtol=FD_RTOL, atol=1e-9)


def test_stated_number_of_features_is_that_of_the_data():
    values = published(map_ridge)
    assert values["p"] == np.shape(values["X"])[1] == len(values["w_true"])


def test_mistaken_noise_variances_by_the_augmented_least_squares_identity(data):
    X, y, lam = data
    page = published(map_ridge)

    def ridge_by_augmentation(c):
        # Ridge with penalty c is least squares on [X; sqrt(c) I] against [y; 0]: an independent route.
        return np.linalg.lstsq(np.vstack([X, np.sqrt(c) * np.eye(2)]), np.concatenate([y, np.zeros(2)]), rcond=None)[0]

    assert_allclose(page["w_unit_noise"], ridge_by_augmentation(1.0), rtol=1e-12)  # variance 1: penalty 1
    assert_allclose(page["w_sqrt_lam"], ridge_by_augmentation(np.sqrt(lam)), rtol=1e-12)  # variance sqrt(lam)
    assert_allclose(page["w_closed"], ridge_by_augmentation(lam), rtol=1e-12)
    for wrong in ("w_unit_noise", "w_sqrt_lam"):
        assert np.linalg.norm(np.subtract(page[wrong], page["w_closed"])) > 1e-2
