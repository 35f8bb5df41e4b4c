"""The toolkit, each piece against an independent source: sympy, closed forms, hand calculations."""

import re

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

from solutions.toolkit import activations, figures, fmt, gradcheck, layers
from tests.conftest import FD_RTOL

GRID = np.linspace(-5, 5, 41)


@pytest.mark.parametrize("name, expression", [
    ("sigmoid", lambda z: 1 / (1 + sp.exp(-z))),
    ("tanh", sp.tanh),
])
def test_activation_derivatives_match_sympy(name, expression):
    z = sp.symbols("z")
    function = sp.lambdify(z, expression(z), "numpy")
    derivative = sp.lambdify(z, sp.diff(expression(z), z), "numpy")
    assert_allclose(getattr(activations, name)(GRID), function(GRID), rtol=1e-14)
    assert_allclose(getattr(activations, f"{name}_grad")(GRID), derivative(GRID), rtol=1e-12, atol=1e-16)


def test_sigmoid_does_not_overflow():
    with np.errstate(all="raise"):
        assert_allclose(activations.sigmoid([-800.0, 800.0]), [0.0, 1.0])


def test_relu_and_its_derivative_by_hand():
    z = np.array([-2.0, 0.0, 3.0])
    assert_allclose(activations.relu(z), [0, 0, 3])
    assert_allclose(activations.relu_grad(z), [0, 0, 1])  # 0 chosen at the kink


def test_numerical_gradient_of_a_known_function():
    # f(x) = x0^2 x1 + sin(x1): gradient (2 x0 x1, x0^2 + cos x1), written by hand.
    def f(x):
        return x[0] ** 2 * x[1] + np.sin(x[1])
    x = np.array([1.3, -0.7])
    expected = [2 * x[0] * x[1], x[0] ** 2 + np.cos(x[1])]
    assert_allclose(gradcheck.numerical_gradient(f, x), expected, rtol=FD_RTOL)


def test_numerical_derivative_of_an_elementwise_function():
    z = np.array([-1.0, 0.5, 2.0])
    assert_allclose(gradcheck.numerical_derivative(np.sin, z), np.cos(z), rtol=FD_RTOL)


def test_numerical_jacobian_of_a_linear_map_is_the_matrix():
    M = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    assert_allclose(gradcheck.numerical_jacobian(lambda x: M @ x, np.ones(3)), M, rtol=FD_RTOL)


def test_check_gradients_flags_a_wrong_gradient():
    params = {"w": np.array([1.0, 2.0])}
    def loss(p):
        return float(np.sum(p["w"] ** 3))
    right = gradcheck.check_gradients(loss, params, {"w": 3 * params["w"] ** 2})
    wrong = gradcheck.check_gradients(loss, params, {"w": 2 * params["w"]})
    assert [row.label for row in right] == ["w_{1}", "w_{2}"]
    assert max(row.relative_error for row in right) < FD_RTOL
    assert min(row.relative_error for row in wrong) > 0.3  # 2w vs 3w^2: 1/3 at w = 1


def test_check_gradients_rejects_a_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        gradcheck.check_gradients(lambda p: 0.0, {"w": np.zeros(2)}, {"w": np.zeros(3)})


def test_relative_error_is_zero_where_both_are_zero():
    assert_allclose(gradcheck.relative_error([0.0, 1.0], [0.0, 1.5]), [0.0, 1 / 3])


def test_affine_backward_matches_finite_differences():
    rng = np.random.default_rng(0)
    x, W, b, dout = rng.normal(size=3), rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=2)
    _, cache = layers.affine_forward(x, W, b)
    dx, dW, db = layers.affine_backward(dout, cache)
    # A scalar loss whose gradient in `out` is dout: L = dout . out.
    assert_allclose(dx, gradcheck.numerical_gradient(lambda v: dout @ (W @ v + b), x), rtol=FD_RTOL)
    assert_allclose(dW, gradcheck.numerical_gradient(lambda V: dout @ (V @ x + b), W), rtol=FD_RTOL)
    assert_allclose(db, dout)


def test_sigmoid_backward_matches_finite_differences():
    z, dout = np.array([-1.0, 0.3, 2.0]), np.array([0.5, -1.0, 2.0])
    _, cache = layers.sigmoid_forward(z)
    expected = gradcheck.numerical_gradient(lambda v: dout @ activations.sigmoid(v), z)
    assert_allclose(layers.sigmoid_backward(dout, cache), expected, rtol=FD_RTOL)


def test_squared_error_by_hand():
    loss, grad = layers.squared_error(0.5, 2.0)
    assert loss == 2.25 and grad == -3.0  # (2 - 0.5)^2 and -2 (2 - 0.5)


def test_batchnorm_forward_standardizes_and_backward_matches_finite_differences():
    x, dout = np.array([1.0, 4.0, -2.0, 0.5]), np.array([0.3, -1.0, 0.2, 0.7])
    out, cache = layers.batchnorm_forward(x, gamma=2.0, beta=0.5, eps=1e-5)
    assert_allclose((out - 0.5).mean(), 0.0, atol=1e-15)
    assert_allclose(((out - 0.5) / 2.0).var(), 1.0 - 1e-5 / (x.var() + 1e-5), rtol=1e-12)
    dx, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    def forward(v, gamma=2.0, beta=0.5):
        return layers.batchnorm_forward(v, gamma, beta, 1e-5)[0]
    assert_allclose(dx, gradcheck.numerical_gradient(lambda v: dout @ forward(v), x), rtol=1e-6)
    assert_allclose(dgamma, gradcheck.numerical_gradient(lambda g: dout @ forward(x, g[0]), [2.0])[0], rtol=FD_RTOL)
    assert_allclose(dbeta, dout.sum(), rtol=1e-15)


def test_batchnorm_columns_standardizes_every_column_by_hand():
    # By hand: column 1 has mean 2 and biased variance ((-1)^2 + 1^2) / 2 = 1, column 2 mean 20
    # and variance 100 (std 10); both standardize to (-1, 1), then gamma x_hat + beta per column.
    U = np.array([[1.0, 10.0], [3.0, 30.0]])
    out, caches = layers.batchnorm_columns(U, np.array([2.0, 0.5]), np.array([0.0, 1.0]), eps=0.0)
    assert_allclose(out, [[-2.0, 0.5], [2.0, 1.5]], rtol=1e-15)
    assert len(caches) == 2  # one cache per column, for batchnorm_backward
    # Any batch: every column of the output has mean 0 and biased variance 1 (gamma 1, beta 0, eps 0).
    V = np.random.default_rng(1).normal(3.0, 5.0, size=(6, 3))
    out, _ = layers.batchnorm_columns(V, np.ones(3), np.zeros(3), eps=0.0)
    assert out.shape == V.shape
    assert_allclose(out.mean(axis=0), 0.0, atol=1e-15)
    assert_allclose((out**2).mean(axis=0), 1.0, rtol=1e-12)


@pytest.mark.parametrize("value, digits, expected", [
    (0, 4, "0"),
    (6.0, 4, "6"),
    (-3, 4, "-3"),
    (0.25, 4, "0.2500"),
    (-1.6666666666666667, 4, "-1.6667"),
    (0.0012345, 4, "0.0012"),
    (0.00012345, 4, r"1.23 \times 10^{-4}"),
    (2.774e-11, 2, r"2.8 \times 10^{-11}"),
    (123456.7, 4, r"1.23 \times 10^{5}"),
    (0.1, None, "0.1"),
    (3.0, None, "3"),
    (1e-5, None, "10^{-5}"),
    (2.5e-7, None, r"2.5 \times 10^{-7}"),
])
def test_number_format(value, digits, expected):
    assert fmt.number(value, digits) == expected


def test_number_format_refuses_non_finite_values():
    with pytest.raises(ValueError, match="non-finite"):
        fmt.number(float("nan"))


def test_arrays_format_all_entries_alike():
    assert fmt.latex([1.0, 7.0, 9.0]) == r"\begin{bmatrix} 1 \\ 7 \\ 9 \end{bmatrix}"
    assert fmt.latex([0.5, 2.0]) == r"\begin{bmatrix} 0.5000 \\ 2.0000 \end{bmatrix}"
    assert fmt.vector([1, 2], row=True) == r"\begin{bmatrix} 1 & 2 \end{bmatrix}"
    assert fmt.latex([0.5, 2.0], digits=None, row=True) == r"\begin{bmatrix} 0.5 & 2 \end{bmatrix}"
    assert fmt.latex([[1, 2], [3, 4.5]], digits=1) == r"\begin{bmatrix} 1.0 & 2.0 \\ 3.0 & 4.5 \end{bmatrix}"


def test_markdown_table():
    table = fmt.markdown_table(["a", "b"], [["$1$", "$2$"]])
    assert table == "| a | b |\n|---:|---:|\n| $1$ | $2$ |"


def contrast_ratio(a, b):
    """WCAG 2 contrast ratio of two '#rrggbb' colours (1 to 21), from the definition of relative luminance."""
    def luminance(color):
        channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_figure_colours_contrast_with_both_page_backgrounds():
    # WCAG asks 3:1 for graphical objects; text and axes get 4.5:1 like body text.
    # Both thresholds must hold on the light page (white) and on Material's slate page.
    slate = figures.DARK["#ffffff"]
    assert contrast_ratio("#000000", "#ffffff") >= 4.5
    assert contrast_ratio(figures.DARK["#000000"], slate) >= 4.5
    for color in figures.COLORS:
        assert contrast_ratio(color, "#ffffff") >= 3, color
        assert contrast_ratio(figures.DARK[color], slate) >= 4.5, color


def test_dark_variant_changes_colours_and_nothing_else():
    fig, ax = figures.new_figure()
    for k, color in enumerate(figures.COLORS):
        ax.plot([0, 1], [k, k + 1], color=color, marker="o", markerfacecolor="white")
    ax.set_title("title")
    light = figures.to_svg(fig)
    dark = figures.dark_variant(light)
    color = re.compile(rb"#[0-9a-f]{6}\b")
    assert {b"#000000", b"#ffffff"} <= set(color.findall(light))
    assert not {b"#000000", b"#ffffff"} & set(color.findall(dark))  # no black ink or white paper left
    for c in figures.COLORS:
        assert c.encode() not in dark
    # Masking every colour, the two drawings are identical: same paths, ids and references.
    assert color.sub(b"#", light) == color.sub(b"#", dark)


def test_entry_labels_of_subscripted_symbols_have_one_subscript():
    assert gradcheck.entry_label("b_1", (1,), (3,)) == "{b_1}_{2}"
    assert gradcheck.entry_label("{W_1}", (0, 2), (2, 3)) == "{W_1}_{1,3}"
    assert gradcheck.entry_label("W^{(1)}", (0, 0), (1, 4)) == "W^{(1)}_{1,1}"
    assert gradcheck.entry_label("b_1", (), ()) == "b_1"


# ------------------------------------------------------------ losses: softmax, cross-entropy, sigmoid BCE


def test_softmax_sums_to_one_and_matches_its_definition_without_overflow():
    from solutions.toolkit.losses import softmax

    z = np.array([2.0, 1.0, -1.0])
    assert_allclose(softmax(z), np.exp(z) / np.exp(z).sum(), rtol=1e-15)
    assert_allclose(softmax(z + 1000), softmax(z), rtol=1e-15)  # shifted: no overflow, same probabilities


def test_softmax_cross_entropy_gradient_is_p_minus_the_one_hot_target():
    from solutions.toolkit.gradcheck import numerical_gradient
    from solutions.toolkit.losses import (cross_entropy, softmax, softmax_backward, softmax_cross_entropy_backward,
                                          softmax_cross_entropy_forward)

    z, y = np.array([0.3, -1.2, 2.0]), 2
    loss, cache = softmax_cross_entropy_forward(z, y)
    p = np.exp(z) / np.exp(z).sum()
    assert loss == pytest.approx(-np.log(p[y]), rel=1e-14)  # the definition
    dz = softmax_cross_entropy_backward(1.0, cache)
    assert_allclose(dz, p - np.eye(3)[y], rtol=1e-14)  # the closed form
    assert_allclose(dz, numerical_gradient(lambda v: softmax_cross_entropy_forward(v, y)[0], z), rtol=FD_RTOL)
    # The same through the two halves: dL/dp of cross-entropy, chained through softmax's Jacobian.
    _, dp = cross_entropy(softmax(z), y)
    assert_allclose(softmax_backward(dp, softmax(z)), dz, rtol=1e-12, atol=1e-15)


def test_sigmoid_bce_gradient_is_sigmoid_minus_target_and_matches_sympy():
    from solutions.toolkit.losses import (binary_cross_entropy, sigmoid_binary_cross_entropy_backward,
                                          sigmoid_binary_cross_entropy_forward)

    z, t = sp.symbols("z t")
    s = 1 / (1 + sp.exp(-z))
    loss = -(t * sp.log(s) + (1 - t) * sp.log(1 - s))
    point = {z: 0.7, t: 1.0}
    value, cache = sigmoid_binary_cross_entropy_forward(0.7, 1.0)
    assert value == pytest.approx(float(loss.subs(point)), rel=1e-14)
    assert sigmoid_binary_cross_entropy_backward(1.0, cache) == pytest.approx(float(sp.diff(loss, z).subs(point)), rel=1e-12)
    assert sigmoid_binary_cross_entropy_forward(800.0, 1.0)[0] == pytest.approx(0.0, abs=1e-300)  # no overflow
    p = sp.symbols("p")
    bce = -(t * sp.log(p) + (1 - t) * sp.log(1 - p))
    _, dp = binary_cross_entropy(0.3, 1.0)
    assert dp == pytest.approx(float(sp.diff(bce, p).subs({p: 0.3, t: 1.0})), rel=1e-12)


# ------------------------------------------------------------ exact values


@pytest.mark.parametrize("x, latex", [
    (-5 / 3, r"-\frac{5}{3}"), (1 / 3, r"\frac{1}{3}"), (4.0, "4"), (0.0, "0"),
    (np.sqrt(2) / 2, r"\frac{\sqrt{2}}{2}"), (-5 * np.sqrt(3) / 6, r"-\frac{5\sqrt{3}}{6}"), (np.sqrt(12), r"2\sqrt{3}"),
])
def test_exact_values_are_fractions_or_surds(x, latex):
    assert fmt.exact(x) == latex


def test_a_value_that_is_not_exact_is_refused_by_exact_and_shown_as_decimals_by_latex():
    with pytest.raises(ValueError, match="neither a fraction"):
        fmt.exact(np.pi)
    assert fmt.latex([1 / 3, np.pi], fmt.EXACT, row=True) == r"\begin{bmatrix} 0.3333 & 3.1416 \end{bmatrix}"
    assert fmt.latex([-5 / 3, 1 / 3], fmt.EXACT, row=True) == r"\begin{bmatrix} -\frac{5}{3} & \frac{1}{3} \end{bmatrix}"
