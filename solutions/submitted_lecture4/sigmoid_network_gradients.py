"""Problem 1: every gradient of e = (t - y)^2 / 2 for the two-layer sigmoid network, with and without a skip.

s = W1 x + b1, h = sigmoid(s), z = W2 h + b2 (+ s with the skip), y = sigmoid(z).
As posed (and as the submission works it) everything is a scalar: the loss is (t - y)^2 / 2 and
the skip adds s to z. The scalar point is the case D = H = K = 1 of the same code.
Variant, vector layers: x (D,), W1 (H, D), b1 (H,), s and h (H,), W2 (K, H), b2 (K,), z, y and t (K,),
e = ||t - y||^2 / 2; the skip needs K = H; the stated sizes are D = 3, H = K = 2.
"""

import numpy as np

from solutions.toolkit.gradcheck import check_gradients, numerical_gradient
from solutions.toolkit.layers import affine_backward, affine_forward, sigmoid_backward, sigmoid_forward

INPUTS = {
    # The problem as posed: scalars.
    "scalar_x": 1.5,
    "scalar_W1": 0.8,
    "scalar_b1": -0.4,
    "scalar_W2": -1.2,
    "scalar_b2": 0.5,
    "scalar_t": 0.0,
    # Variant: vector layers, D = 3, H = K = 2.
    "x": [0.5, -1.0, 2.0],
    "W1": [[0.4, -0.6, 0.2], [-0.3, 0.8, 0.5]],
    "b1": [0.1, -0.2],
    "W2": [[0.7, -0.5], [0.3, 0.9]],
    "b2": [-0.1, 0.2],
    "t": [1.0, 0.0],
}
VECTOR = ("x", "W1", "b1", "W2", "b2", "t")  # the variant's inputs
SCALAR = tuple(f"scalar_{name}" for name in VECTOR)
PARAMS = ("{W_2}", "{b_2}", "{W_1}", "{b_1}")  # LaTeX names (braced, so that an entry reads {W_2}_{1,1}), output layer first


def params_of(inputs, prefix=""):
    """Return {LaTeX name: float array} of the four parameters in inputs, in PARAMS order.

    "{W_2}" is inputs[prefix + "W2"]: the letter and the digit of the LaTeX name.
    """
    return {name: np.asarray(inputs[prefix + name[1] + name[3]], float) for name in PARAMS}


def as_layers(scalars):
    """Return {name: array} with each scalar parameter shaped as the D = H = K = 1 case: W (1, 1), b (1,)."""
    return {name: np.reshape(value, (1, 1) if name.startswith("{W") else (1,)) for name, value in scalars.items()}


def forward(p, x, skip):
    """Return (s, z, y, caches): s (H,), z (K,), y (K,); skip=True adds s to z."""
    s, cache1 = affine_forward(np.asarray(x, float), p["{W_1}"], p["{b_1}"])
    h, cache_h = sigmoid_forward(s)
    z, cache2 = affine_forward(h, p["{W_2}"], p["{b_2}"])
    if skip:
        z = z + s
    y, cache_y = sigmoid_forward(z)
    return s, z, y, (cache1, cache_h, cache2, cache_y)


def loss(p, x, t, skip):
    """Return e = 1/2 sum_k (t_k - y_k)^2."""
    return 0.5 * float(np.sum((np.asarray(t) - forward(p, x, skip)[2]) ** 2))


def backward(p, x, de_dy, skip):
    """Return {name: de/dparam} by the chain rule, given de/dy (K,) at the forward pass of x.

    de/dz = de/dy * sigmoid'(z); de/dW2 = de/dz h^T; de/db2 = de/dz;
    de/ds = (W2^T de/dz) * sigmoid'(s) [+ de/dz with the skip]; de/dW1 = de/ds x^T; de/db1 = de/ds.
    """
    _, _, _, (cache1, cache_h, cache2, cache_y) = forward(p, x, skip)
    de_dz = sigmoid_backward(np.asarray(de_dy, float), cache_y)
    de_dh, de_dW2, de_db2 = affine_backward(de_dz, cache2)
    de_ds = sigmoid_backward(de_dh, cache_h) + (de_dz if skip else 0.0)  # the skip is a second path from s to z
    _, de_dW1, de_db1 = affine_backward(de_ds, cache1)
    return {"{W_2}": de_dW2, "{b_2}": de_db2, "{W_1}": de_dW1, "{b_1}": de_db1}


def gradients(p, x, t, skip):
    """Return the true gradients: de/dy = y - t."""
    return backward(p, x, forward(p, x, skip)[2] - np.asarray(t), skip)


def submitted_gradients(p, x, skip):
    """Return the submitted formulas: the same chain with de/dy written as -1 (the factor t - y dropped)."""
    return backward(p, x, -np.ones(len(p["{b_2}"])), skip)


def without_output_slope(p, x, t):
    """Return de/db2 with the output sigmoid's factor y (1 - y) dropped: y - t (a typical slip)."""
    return forward(p, x, False)[2] - np.asarray(t)


def without_skip_path(p, x, t):
    """Return de/db1 of the skip network with the direct path from s to z dropped (a typical slip)."""
    s, z, y, _ = forward(p, x, True)
    return sigmoid_backward(p["{W_2}"].T @ sigmoid_backward(y - np.asarray(t), z), s)


def flat(grads):
    """Return every gradient entry in PARAMS order, row-major, as one vector."""
    return np.concatenate([np.ravel(grads[name]) for name in PARAMS])


def central_differences(p, x, t, skip):
    """Return {name: central-difference gradient of e} for every parameter."""
    return {name: numerical_gradient(lambda v, name=name: loss({**p, name: v}, x, t, skip), p[name])
            for name in PARAMS}


def publish_scalar(page):
    """Publish the problem as posed, with scalars: forward values, the four gradients, the submitted formulas."""
    scalars = params_of(INPUTS, "scalar_")  # 0-d arrays, in PARAMS order
    p, x, t = as_layers(scalars), np.array([INPUTS["scalar_x"]]), np.array([INPUTS["scalar_t"]])
    for name in SCALAR:
        page.input(name, INPUTS[name])
    s = forward(p, x, False)[0]
    page.value("s_scalar", s.item(), inputs=SCALAR)
    page.value("h_scalar", sigmoid_forward(s)[0].item(), inputs=SCALAR)
    why = "wrote de/dy as -1 instead of -(t - y): the factor t - y is dropped"
    for skip, tag in ((False, "plain"), (True, "skip")):
        _, z, y, _ = forward(p, x, skip)
        page.value(f"z_scalar_{tag}", z.item(), inputs=SCALAR)
        page.value(f"y_scalar_{tag}", y.item(), inputs=SCALAR)
        page.value(f"e_scalar_{tag}", loss(p, x, t, skip), digits=6, inputs=SCALAR)
        grads, submitted = gradients(p, x, t, skip), submitted_gradients(p, x, skip)
        for name in PARAMS:
            right = f"grad_{name[1]}{name[3]}_scalar_{tag}"
            page.value(right, grads[name].item(), digits=6, inputs=SCALAR)
            page.mistake(f"submitted_{name[1]}{name[3]}_scalar_{tag}", submitted[name].item(), of=right, why=why,
                         digits=6, inputs=SCALAR)
        # With one output every submitted gradient is the true one times the same factor 1 / (t - y).
        page.value(f"submitted_factor_scalar_{tag}", 1.0 / (t - y).item(), inputs=SCALAR)
        checks = check_gradients(lambda q: loss(as_layers(q), x, t, skip), scalars,
                                 {name: grads[name].item() for name in PARAMS})
        page.gradient_table(f"table_scalar_{tag}", checks, wrt="e", inputs=SCALAR)
    page.mistake("no_output_slope_b2_scalar", without_output_slope(p, x, t).item(), of="grad_b2_scalar_plain",
                 why="dropped the output sigmoid's derivative y (1 - y)", digits=6, inputs=SCALAR)
    page.mistake("no_skip_path_b1_scalar", without_skip_path(p, x, t).item(), of="grad_b1_scalar_skip",
                 why="dropped the skip's direct path from s to z (kept only the path through h)", digits=6, inputs=SCALAR)


def publish(page):
    publish_scalar(page)
    publish_vector(page)


def publish_vector(page):
    """Publish the variant with vector layers (D = 3, H = K = 2)."""
    p, x, t = params_of(INPUTS), INPUTS["x"], np.asarray(INPUTS["t"])
    for name in ("W1", "W2"):
        page.input(name, INPUTS[name])
    for name in ("x", "b1", "b2", "t"):
        page.input(name, INPUTS[name], row=True)
    page.value("s", forward(p, x, False)[0], row=True, inputs=VECTOR)
    H, D = np.shape(INPUTS["W1"])
    for name, size in (("D", D), ("H", H), ("K", np.shape(INPUTS["W2"])[0])):
        page.value(name, size, inputs=("W1", "W2"), statement=True)

    for skip, tag in ((False, "plain"), (True, "skip")):
        _, z, y, _ = forward(p, x, skip)
        page.value(f"z_{tag}", z, row=True, inputs=VECTOR)
        page.value(f"y_{tag}", y, row=True, inputs=VECTOR)
        page.value(f"e_{tag}", loss(p, x, t, skip), digits=6, inputs=VECTOR)
        grads, submitted = gradients(p, x, t, skip), submitted_gradients(p, x, skip)
        for name in PARAMS:
            page.value(f"grad_{name[1]}{name[3]}_{tag}", grads[name], digits=6, row=True, inputs=VECTOR)
        checks = check_gradients(lambda q: loss(q, x, t, skip), p, grads)  # p is in PARAMS order, as flat() is
        page.gradient_table(f"table_{tag}", checks, wrt="e", inputs=VECTOR)
        page.table(f"submitted_{tag}", ["entry", "submitted formula", "central difference (truth)"],
                   [row.label for row in checks], np.column_stack([flat(submitted), [row.numeric for row in checks]]),
                   digits=6, rtol=[1e-12, 1e-8], atol=[0, 1e-12], inputs=VECTOR)
        # The dropped factor, seen on b2: submitted / true = -1 / (y - t), entry by entry.
        page.value(f"ratio_b2_{tag}", submitted["{b_2}"] / grads["{b_2}"], row=True, inputs=VECTOR)
        page.value(f"minus_inverse_residual_{tag}", -1.0 / (y - t), row=True, inputs=VECTOR)
        if not skip:
            # On b1 the outputs' residuals mix through W2^T, so no entry is off by a single -1 / (y_k - t_k).
            page.value("ratio_b1_plain", submitted["{b_1}"] / grads["{b_1}"], digits=2, row=True,
                       inputs=VECTOR)

    # Counterexample: a target equal to the output is a minimum of e, where every true gradient is 0.
    _, z, y, _ = forward(p, x, False)
    page.value("fit_true_max", np.max(np.abs(flat(central_differences(p, x, y, False)))), digits=2,
               rtol=0, atol=1e-9, inputs=("x", "W1", "b1", "W2", "b2"))  # roundoff of a central difference, ~eps/h
    page.value("fit_submitted_max", np.max(np.abs(flat(submitted_gradients(p, x, False)))), digits=6,
               inputs=("x", "W1", "b1", "W2", "b2"))

    # With vectors the backward pass needs W2^T; W2 in its place gives another (wrong) hidden-layer gradient.
    s = forward(p, x, False)[0]
    page.value("de_db1_untransposed", sigmoid_backward(p["{W_2}"] @ sigmoid_backward(y - t, z), s), digits=6, row=True,
               inputs=VECTOR)
