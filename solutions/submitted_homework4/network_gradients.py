"""Question 1: every gradient of L = (y_hat - y)^2 for a network with two hidden units.

h1 = f1(w1 x + b1), h2 = f2(w2 x + b2), y_hat = f3(w3 h1 + w4 h2 + b3); all scalars.
The answers hold for any f1, f2, f3; only for the numbers are f1 = tanh and f2 = f3 = sigmoid
chosen, so that each f' in a formula is a different number (at a different pre-activation).
"""

import numpy as np

from solutions.toolkit.activations import sigmoid, sigmoid_grad, tanh, tanh_grad
from solutions.toolkit.gradcheck import check_gradients, relative_error
from solutions.toolkit.layers import squared_error

INPUTS = {
    "x": 0.7, "y": 0.2,
    "w1": 0.9, "b1": -0.3, "w2": -1.4, "b2": 0.5,
    "w3": 1.1, "w4": -0.8, "b3": 0.2,
}
PARAMS = ("w1", "w2", "w3", "w4", "b1", "b2", "b3", "x")
F = {1: (tanh, tanh_grad), 2: (sigmoid, sigmoid_grad), 3: (sigmoid, sigmoid_grad)}


def forward(p):
    """Return the pre-activations a1, a2, a3, the units h1, h2, y_hat, the loss L and dL/dy_hat, as a dict of floats."""
    a1 = p["w1"] * p["x"] + p["b1"]
    a2 = p["w2"] * p["x"] + p["b2"]
    h1, h2 = float(F[1][0](a1)), float(F[2][0](a2))
    a3 = p["w3"] * h1 + p["w4"] * h2 + p["b3"]
    y_hat = float(F[3][0](a3))
    loss, dL_dyhat = squared_error(y_hat, p["y"])
    return {"a1": a1, "a2": a2, "a3": a3, "h1": h1, "h2": h2, "y_hat": y_hat, "L": float(loss), "dL_dyhat": dL_dyhat}


def gradients(p):
    """Return {name: dL/dname} for every weight, bias and x; each f' is taken at its own pre-activation."""
    v = forward(p)
    delta3 = v["dL_dyhat"] * float(F[3][1](v["a3"]))  # dL/da3
    delta1 = delta3 * p["w3"] * float(F[1][1](v["a1"]))  # dL/da1, the path through h1
    delta2 = delta3 * p["w4"] * float(F[2][1](v["a2"]))  # dL/da2, the path through h2
    return {"w1": delta1 * p["x"], "w2": delta2 * p["x"], "w3": delta3 * v["h1"], "w4": delta3 * v["h2"],
            "b1": delta1, "b2": delta2, "b3": delta3,
            # x feeds both hidden units: the total derivative adds both paths.
            "x": delta1 * p["w1"] + delta2 * p["w2"]}


def x_paths(p, g=None):
    """Return (path through h1, path through h2): the two terms of dL/dx, each the submitted 'dL/dx'.

    g: gradients(p) when the caller already has it; computed here otherwise.
    """
    g = gradients(p) if g is None else g
    return g["b1"] * p["w1"], g["b2"] * p["w2"]


def publish(page):
    p = dict(INPUTS)
    for name in ("x", "y", "w1", "b1", "w2", "b2", "w3", "w4", "b3"):
        page.input(name, p[name])
    v = forward(p)
    for name in ("a1", "a2", "a3", "h1", "h2", "y_hat"):
        page.value(name, v[name], digits=6)
    page.value("loss", v["L"], digits=6)
    page.value("dL_dyhat", v["dL_dyhat"], digits=6)
    page.value("f3_prime", F[3][1](v["a3"]), digits=6)

    g = gradients(p)
    symbols = {name: name[0] + "_" + name[1] if name != "x" else "x" for name in PARAMS}
    checks = check_gradients(lambda q: forward({**p, **{n: float(q[symbols[n]]) for n in PARAMS}})["L"],
                             {symbols[n]: np.asarray(p[n], dtype=float) for n in PARAMS},
                             {symbols[n]: np.asarray(g[n]) for n in PARAMS})
    page.gradient_table("gradient_table", checks)

    # The submitted dL/dx: one path, "or" the other. Beside them, their sum and the finite difference.
    path1, path2 = x_paths(p, g)
    truth = {row.label: row for row in checks}[symbols["x"]].numeric  # the checker's central difference in x
    rows = [[value, truth, float(relative_error(value, truth))] for value in (path1, path2, path1 + path2)]
    page.table("x_paths", ["formula", r"value of $\partial L/\partial x$", "central difference", "relative error"],
               [r"\text{submitted: through } h_1", r"\text{submitted: through } h_2", r"\text{sum of both paths}"],
               rows, digits=[6, 6, 2], rtol=[1e-12, 1e-8, 1e-6], atol=[0, 1e-12, 1e-6])
    page.value("path1", path1, digits=6)
    page.value("path2", path2, digits=6)
    page.value("dL_dx", path1 + path2, digits=6)
    page.mistake("dL_dx_one_path", path1, of="dL_dx", digits=6,
                 why="kept only the path through h_1; x also feeds h_2, and the total derivative adds both paths")
