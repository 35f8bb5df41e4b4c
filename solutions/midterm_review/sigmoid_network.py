"""Problem 1: gradients of a one-hidden-layer sigmoid network, y = C sigmoid(A x + b) + d.

Shapes: x, d, y scalars; A, b, C vectors of length k (A is k x 1 and C is 1 x k in the
handout; a vector is the same thing with one index).
"""

import numpy as np

from solutions.toolkit import fmt
from solutions.toolkit.activations import sigmoid, sigmoid_grad
from solutions.toolkit.figures import COLORS, new_figure
from solutions.toolkit.gradcheck import check_gradients, numerical_derivative
from solutions.toolkit.layers import squared_error

INPUTS = {
    "x": 0.9,
    "y_true": 1.0,
    "A": [1.5, -0.8, 0.3],
    "b": [0.2, -0.5, 1.0],
    "C": [0.7, -1.2, 0.5],
    "d": 0.1,
    "alpha": 0.1,
    "z_samples": [-2.0, 0.0, 1.0, 3.0],
    "z_grid": {"start": -6.0, "stop": 6.0, "num": 241},
}


def forward(x, A, b, C, d):
    """Return (y_pred, z): z = A x + b, shape (k,); y_pred = C . sigmoid(z) + d, a scalar."""
    z = np.asarray(A) * x + np.asarray(b)
    return float(np.dot(C, sigmoid(z)) + d), z


def loss(x, y_true, A, b, C, d):
    """Return L = (y_true - y_pred)^2."""
    y_pred, _ = forward(x, A, b, C, d)
    return squared_error(y_pred, y_true)[0]


def gradients(x, y_true, A, b, C, d):
    """Return {"d": dL/dd, "C": dL/dC (k,), "b": dL/db (k,), "A": dL/dA (k,)}, the derived closed forms."""
    y_pred, z = forward(x, A, b, C, d)
    _, dL_dy = squared_error(y_pred, y_true)
    dL_db = dL_dy * np.asarray(C) * sigmoid_grad(z)  # dL/dz: b enters z with coefficient 1
    return {"d": dL_dy, "C": dL_dy * sigmoid(z), "b": dL_db, "A": dL_db * x}


def descent_step_b(x, y_true, A, b, C, d, alpha):
    """Return b - alpha dL/db, one gradient-descent step on b alone."""
    return np.asarray(b) - alpha * gradients(x, y_true, A, b, C, d)["b"]


def typical_mistakes(x, y_true, A, b, C, d, alpha):
    """Return {name of the right value: (wrong value, what was done wrong)}, each from its wrong formula."""
    y_pred, z = forward(x, A, b, C, d)
    C = np.asarray(C)
    return {
        "dL_dd": (2 * (y_true - y_pred), "dropped the inner derivative -1 of (y_true - y_pred), flipping the sign"),
        "dL_db": (2 * (y_pred - y_true) * C, "dropped the factor sigma'(z_i) of the path through the nonlinearity"),
        "dL_dA": (2 * (y_pred - y_true) * C * sigmoid_grad(z), "dropped the factor x = dz_i/dA_i"),
        "b_next": (np.asarray(b) + alpha * 2 * (y_pred - y_true) * C * sigmoid_grad(z),
                   "stepped along the gradient (b + alpha dL/db) instead of against it"),
    }


def plot_sigmoid(z):
    """Return a figure of sigmoid(z) and sigmoid'(z) = sigmoid(z)(1 - sigmoid(z)) on the grid z."""
    fig, ax = new_figure(6.4, 3.4)
    ax.plot(z, sigmoid(z), color=COLORS[0], label=r"$\sigma(z)$")
    ax.plot(z, sigmoid_grad(z), color=COLORS[1], label=r"$\sigma'(z) = \sigma(z)(1-\sigma(z))$")
    ax.plot([0], [sigmoid_grad(0.0)], "o", color=COLORS[1])
    ax.annotate(rf"max $\sigma'(0) = {sigmoid_grad(0.0):g}$", (0, sigmoid_grad(0.0)), xytext=(1.2, 0.38),
                arrowprops={"arrowstyle": "->"})
    ax.set_xlabel("$z$")
    ax.legend(loc="upper left")
    return fig


POINT = ("x", "y_true", "A", "b", "C", "d")


def publish(page):
    point = {name: INPUTS[name] for name in POINT}
    for name in ("x", "y_true", "A", "b", "d", "alpha"):
        page.input(name, INPUTS[name])
    page.input("C", INPUTS["C"], row=True)  # C is 1 x k
    page.input("k", len(INPUTS["A"]))

    # (a) sigma' = sigma (1 - sigma): the formula beside central differences at a few points.
    z_samples = np.array(INPUTS["z_samples"])
    numeric = numerical_derivative(sigmoid, z_samples)
    page.table("sigmoid_check", ["$z$", r"$\sigma(z)$", r"$\sigma(z)(1-\sigma(z))$", "central difference"],
               [f"{z:g}" for z in z_samples], np.column_stack([sigmoid(z_samples), sigmoid_grad(z_samples), numeric]),
               digits=[6, 6, 6], rtol=[1e-12, 1e-12, 1e-8], atol=[0, 0, 1e-12], inputs=("z_samples",))
    grid = np.linspace(**INPUTS["z_grid"])
    grid_error = np.max(np.abs(sigmoid_grad(grid) - numerical_derivative(sigmoid, grid)))
    page.value("sigmoid_grid_error", grid_error, digits=3, atol=1e-8, inputs=("z_grid",))
    page.value("sigmoid_grad_at_0", sigmoid_grad(0.0), digits=fmt.EXACT, inputs={"z": 0.0})  # exactly 1/4
    page.figure("sigmoid_plot", plot_sigmoid(grid),
                alt=(f"Sigmoid sigma(z) rising from {sigmoid(grid[0]):.4f} at z = {grid[0]:g} to {sigmoid(grid[-1]):.4f} "
                     f"at z = {grid[-1]:g}, and its derivative, a symmetric bump with maximum "
                     f"{sigmoid_grad(0.0):g} at z = 0 falling to {sigmoid_grad(grid[-1]):.4f} at z = {grid[-1]:g}"),
                caption=r"$\sigma$ and $\sigma' = \sigma(1-\sigma)$: the derivative peaks at $z = 0$.")

    # (b)-(e) every gradient at the sample point, checked against central differences.
    y_pred, z = forward(point["x"], point["A"], point["b"], point["C"], point["d"])
    page.value("z", z, row=True, inputs=POINT, statement=True)
    page.value("y_pred", y_pred, inputs=POINT, statement=True)
    page.value("loss", loss(**point), digits=6, inputs=POINT, statement=True)
    grads = gradients(**point)
    for symbol in ("d", "C", "b", "A"):
        page.value(f"dL_d{symbol}", grads[symbol], digits=6, row=True, inputs=POINT)
    params = {symbol: np.asarray(point[symbol], dtype=float) for symbol in ("d", "C", "b", "A")}
    checks = check_gradients(lambda p: loss(point["x"], point["y_true"], p["A"], p["b"], p["C"], p["d"]),
                             params, grads)
    page.gradient_table("gradient_table", checks, inputs=POINT)

    # (f) one step of gradient descent on b lowers the loss.
    b_next = descent_step_b(**point, alpha=INPUTS["alpha"])
    loss_next = loss(**{**point, "b": b_next})
    page.value("b_next", b_next, digits=6, row=True, inputs=POINT + ("alpha",))
    page.value("loss_next", loss_next, digits=6, inputs=POINT + ("alpha",))
    page.value("loss_drop", loss(**point) - loss_next, digits=6, inputs=POINT + ("alpha",))

    for right, (wrong, why) in typical_mistakes(**point, alpha=INPUTS["alpha"]).items():
        page.mistake(f"{right}_mistake", wrong, of=right, why=why, digits=6, row=True,
                     inputs=POINT + (("alpha",) if right == "b_next" else ()))
