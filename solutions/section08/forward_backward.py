"""Problem 2.1: forward and backward pass of z = sigmoid(W0 x + b0), y = W1 z + b1 (d = 2, h = 4).

Shapes: x (d,), W0 (h, d), b0 (h,), z (h,), W1 (1, h), b1 a scalar, y a scalar. Since y
is a scalar, each derivative dy/dP has the shape of P.
"""

import numpy as np

from solutions.toolkit.activations import sigmoid, sigmoid_grad
from solutions.toolkit.gradcheck import check_gradients
from solutions.toolkit.layers import affine_backward, affine_forward, sigmoid_backward, sigmoid_forward

INPUTS = {
    "x": [1.0, -2.0],
    "W0": [[0.5, -0.3], [-1.2, 0.8], [0.7, 0.4], [0.1, -0.6]],
    "b0": [0.2, -0.1, 0.0, 0.5],
    "W1": [[1.5, -0.7, 0.9, -1.1]],
    "b1": 0.3,
}

# LaTeX names of the parameters, in the order of the gradient table.
SYMBOLS = {"W1": "W^{(1)}", "b1": "b^{(1)}", "W0": "W^{(0)}", "b0": "b^{(0)}"}


def forward(x, W0, b0, W1, b1):
    """Return (y, z, caches): z = sigmoid(W0 x + b0) of shape (h,), y = W1 z + b1 a scalar."""
    pre, cache0 = affine_forward(np.asarray(x, float), np.asarray(W0, float), np.asarray(b0, float))
    z, cache_sigmoid = sigmoid_forward(pre)
    out, cache1 = affine_forward(z, np.asarray(W1, float), np.atleast_1d(float(b1)))
    return float(out[0]), z, (cache0, cache_sigmoid, cache1)


def backward(caches):
    """Return {"W1": (1, h), "b1": scalar, "z": (h,), "W0": (h, d), "b0": (h,)}: dy/d each, backpropagating dy/dy = 1."""
    cache0, cache_sigmoid, cache1 = caches
    dz, dW1, db1 = affine_backward(np.ones(1), cache1)  # dz = W1^T, dW1 = z^T, db1 = 1
    dpre = sigmoid_backward(dz, cache_sigmoid)  # W1^T * sigmoid'(W0 x + b0)
    _, dW0, db0 = affine_backward(dpre, cache0)  # dW0 = dpre x^T, db0 = dpre
    return {"W1": dW1, "b1": float(db1[0]), "z": dz, "W0": dW0, "b0": db0}


def closed_forms(x, W0, b0, W1, b1):
    """Return the same gradients from the boxed formulas, written out with sigma' = sigma (1 - sigma)."""
    _, z, _ = forward(x, W0, b0, W1, b1)
    delta = np.asarray(W1, float)[0] * z * (1 - z)  # (h,): dy/d(W0 x + b0)
    return {"W1": z[None, :], "b1": 1.0, "z": np.asarray(W1, float)[0], "W0": np.outer(delta, x), "b0": delta}


def publish(page):
    point = {name: INPUTS[name] for name in ("x", "W0", "b0", "W1", "b1")}
    for name, value in point.items():
        page.input(name, value)
    page.input("d", len(INPUTS["x"]))
    page.input("h", len(INPUTS["b0"]))

    y, z, caches = forward(**point)
    pre = caches[1]  # W0 x + b0: the sigmoid's cache holds its input
    page.value("pre_activation", pre)
    page.value("z", z)
    page.value("y", y)
    page.mistake("y_output_sigmoid_mistake", float(sigmoid(y)), of="y",
                 why="applied the sigmoid to the output too; the output unit has no activation")
    grads = backward(caches)
    page.value("dy_dW1", grads["W1"])
    page.value("dy_db1", grads["b1"])
    page.value("dy_dz", grads["z"])  # a column: the shape of z
    page.value("sigmoid_slope", sigmoid_grad(pre))
    page.value("dy_dW0", grads["W0"])
    page.value("dy_db0", grads["b0"])
    # Backpropagating W1^T straight to W0, as if the hidden layer were linear.
    page.mistake("dy_dW0_no_slope_mistake", np.outer(np.asarray(INPUTS["W1"], float)[0], INPUTS["x"]), of="dy_dW0",
                 why="left out the sigmoid's slope z(1 - z): W1^T x^T instead of (W1^T * z(1 - z)) x^T")
    formulas = closed_forms(**point)
    gap = max(float(np.max(np.abs(np.asarray(formulas[k]) - grads[k]))) for k in grads)
    page.value("formula_gap", gap, digits=2, atol=1e-15)

    params = {SYMBOLS[k]: np.asarray(INPUTS[k], float) for k in SYMBOLS}
    names = {v: k for k, v in SYMBOLS.items()}
    def output(p):
        return forward(INPUTS["x"], **{names[s]: v for s, v in p.items()})[0]
    page.gradient_table("gradient_table", check_gradients(output, params, {SYMBOLS[k]: grads[k] for k in SYMBOLS}),
                        wrt="y")

    # dy/dz: y as a function of the hidden layer's output alone.
    W1, b1 = np.asarray(INPUTS["W1"], float), INPUTS["b1"]
    page.gradient_table("z_table", check_gradients(lambda p: float(W1[0] @ p["z"] + b1), {"z": z}, {"z": grads["z"]}),
                        wrt="y")
