"""Problem 4: the chain rule with Jacobians, checked on stated example functions.

(a) g: R^3 -> R^2 and f: R^2 -> R^4, so J_{f o g} = J_f J_g is (4 x 2)(2 x 3) = 4 x 3.
(b) g: R -> R^3 and f: R^3 -> R, so (f o g)'(t) = sum_i df/dy_i dg_i/dt.
(c) G(W) = sigmoid(W u) with W: (p, q), u: (q,); dG/dW is a (p, p, q) array, a (p, p q) matrix
    once W is flattened column by column into vec(W).
"""

import numpy as np

from solutions.toolkit.activations import sigmoid, sigmoid_grad, tanh, tanh_grad
from solutions.toolkit.gradcheck import numerical_derivative, numerical_gradient, numerical_jacobian

INPUTS = {
    "x": [0.5, -1.5, 0.8],  # (a): the point in R^3
    "t": 0.7,  # (b): the point in R
    "W": [[0.4, -0.3], [1.1, 0.6], [-0.5, 0.9]],  # (c): p = 3, q = 2
    "u": [1.5, -2.0],
    "target": [0.2, 0.9, 0.4],  # (c): L = 1/2 ||G(W) - target||^2
}


# --------------------------------------------------------------- (a)
def g_a(x):
    """Return g(x) = (x1 x2 + sin x3, x1^2 - x3). x: (3,); out: (2,)."""
    return np.array([x[0] * x[1] + np.sin(x[2]), x[0] ** 2 - x[2]])


def g_a_jacobian(x):
    """Return dg/dx, shape (2, 3)."""
    return np.array([[x[1], x[0], np.cos(x[2])], [2 * x[0], 0.0, -1.0]])


def f_a(y):
    """Return f(y) = (exp y1, y1 y2, y2^3, tanh(y1 + y2)). y: (2,); out: (4,)."""
    return np.array([np.exp(y[0]), y[0] * y[1], y[1] ** 3, tanh(y[0] + y[1])])


def f_a_jacobian(y):
    """Return df/dy, shape (4, 2)."""
    s = tanh_grad(y[0] + y[1])
    return np.array([[np.exp(y[0]), 0.0], [y[1], y[0]], [0.0, 3 * y[1] ** 2], [s, s]])


# --------------------------------------------------------------- (b)
def g_b(t):
    """Return g(t) = (cos t, sin t, t^2), shape (3,)."""
    return np.array([np.cos(t), np.sin(t), t**2])


def g_b_derivative(t):
    """Return dg_i/dt, shape (3,)."""
    return np.array([-np.sin(t), np.cos(t), 2 * t])


def f_b(y):
    """Return f(y) = y1^2 y2 + y3 exp(y1), a scalar."""
    return y[0] ** 2 * y[1] + y[2] * np.exp(y[0])


def f_b_gradient(y):
    """Return df/dy_i, shape (3,)."""
    return np.array([2 * y[0] * y[1] + y[2] * np.exp(y[0]), y[0] ** 2, np.exp(y[0])])


# --------------------------------------------------------------- (c)
def vec(W):
    """Return W stacked column by column, shape (p q,): entry W_ij lands at index j p + i."""
    return np.asarray(W).reshape(-1, order="F")


def G(W, u):
    """Return sigmoid(W u). W: (p, q), u: (q,); out: (p,)."""
    return sigmoid(np.asarray(W) @ u)


def G_jacobian_vec(W, u):
    """Return dG/dvec(W) = diag(sigmoid'(W u)) (u^T kron I_p), shape (p, p q), since vec(W u) = (u^T kron I_p) vec(W)."""
    p = np.shape(W)[0]
    return sigmoid_grad(np.asarray(W) @ u)[:, None] * np.kron(np.asarray(u)[None, :], np.eye(p))


def as_matrix(jacobian_3d):
    """Return a (n, p, q) array of dG_k/dW_ij as the (n, p q) matrix dG/dvec(W), columns in vec order."""
    n, p, q = jacobian_3d.shape
    return jacobian_3d.transpose(0, 2, 1).reshape(n, q * p)


def loss_c(W, u, target):
    """Return L = 1/2 ||G(W) - target||^2."""
    return 0.5 * float(np.sum((G(W, u) - target) ** 2))


def loss_c_gradient(W, u, target):
    """Return dL/dW = ((G - target) * sigmoid'(W u)) u^T, shape (p, q): the row vector dL/dG times dG/dvec(W), un-vectorized."""
    row = (G(W, u) - target) @ G_jacobian_vec(W, u)  # (p q,) in vec order
    return row.reshape(np.shape(W), order="F")


FD = {"rtol": 1e-8, "atol": 1e-12}  # central differences: ~1e-10 of roundoff, which can differ between CPUs
GAP = {"rtol": 0.0, "atol": 1e-8}  # claimed only: formula and central difference agree within 1e-8


def max_gap(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def publish(page):
    x, t = np.asarray(INPUTS["x"], float), INPUTS["t"]
    W, u, target = (np.asarray(INPUTS[k], float) for k in ("W", "u", "target"))
    page.input("x", INPUTS["x"], row=True)
    page.input("t", t)
    page.input("W", INPUTS["W"])
    page.input("u", INPUTS["u"], row=True)
    page.input("target", INPUTS["target"], row=True)
    y = g_a(x)
    for name, size in (("ell", x.size), ("n_a", y.size), ("m_a", f_a(y).size), ("p", W.shape[0]), ("q", W.shape[1]),
                       ("pq", W.size)):
        page.value(name, size, inputs=("x",) if name in ("ell", "n_a", "m_a") else ("W",))

    # (a) J_f at g(x), times J_g at x, against central differences of f(g(x)).
    y = g_a(x)
    J_f, J_g = f_a_jacobian(y), g_a_jacobian(x)
    product = J_f @ J_g
    numeric = numerical_jacobian(lambda v: f_a(g_a(v)), x)
    page.value("g_x", y, row=True, inputs=("x",))
    page.value("J_g", J_g, inputs=("x",))
    page.value("J_f", J_f, inputs=("x",))
    page.value("J_product", product, inputs=("x",))
    page.value("J_numeric", numeric, inputs=("x",), rtol=FD["rtol"], atol=1e-9)  # a zero entry shows raw noise
    page.value("gap_a", max_gap(product, numeric), digits=2, inputs=("x",), **GAP)

    # (b) one term per coordinate of the intermediate vector.
    g_t = g_b(t)
    df, dg = f_b_gradient(g_t), g_b_derivative(t)
    page.value("g_t", g_t, row=True, inputs=("t",))
    page.table("sum_terms", ["$i$", r"$\partial f / \partial y_i$", r"$d g_i / d t$", "product"],
               [str(i + 1) for i in range(3)], np.column_stack([df, dg, df * dg]), digits=6, inputs=("t",))
    page.value("sum_b", float(df @ dg), digits=6, inputs=("t",))
    numeric_b = float(numerical_derivative(lambda s: f_b(g_b(s)), t))
    page.value("numeric_b", numeric_b, digits=6, inputs=("t",), **FD)
    page.value("gap_b", max_gap(df @ dg, numeric_b), digits=2, inputs=("t",), **GAP)

    # (c) the 3-index derivative as a matrix over vec(W), and a scalar loss through it.
    page.value("W_vec", vec(W), row=True, inputs=("W",))
    J_vec = G_jacobian_vec(W, u)
    page.value("J_vec", J_vec, inputs=("W", "u"))
    page.value("gap_c", max_gap(J_vec, as_matrix(numerical_jacobian(lambda M: G(M, u), W))), digits=2,
               inputs=("W", "u"), **GAP)
    grad = loss_c_gradient(W, u, target)
    page.value("dL_dW", grad, inputs=("W", "u", "target"))
    # Flattened column by column (vec) but folded back row by row: the same pq numbers in the wrong places.
    row = (G(W, u) - target) @ J_vec
    page.mistake("dL_dW_fold_mistake", row.reshape(W.shape), of="dL_dW", inputs=("W", "u", "target"),
                 why="folded the vec-ordered gradient back into p x q row by row instead of column by column")
    page.value("gap_loss", max_gap(grad, numerical_gradient(lambda M: loss_c(M, u, target), W)), digits=2,
               inputs=("W", "u", "target"), **GAP)
