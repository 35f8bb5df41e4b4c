"""Question 6: gradient at the first layer of a deep tanh MLP, with and without residual connections.

Plain layer: x_l = tanh(W_l x_{l-1}). Residual layer: x_l = x_{l-1} + tanh(W_l x_{l-1}).
The loss is a fixed random linear readout of the last layer, L = mean_n r . x_L, so that the
gradient reaching layer 1 measures how well the network passes gradients back, not how
large its output is. W_l has entries N(0, gain^2 / width); gain 1 is the usual
(Xavier-like) scale, gain 0.8 a slightly smaller one.
"""

import numpy as np

from solutions.toolkit.figures import COLORS, new_figure

INPUTS = {
    "seed": 6,
    "width": 16,
    "batch": 32,
    "gains": [1.0, 0.8],
    "depths": [2, 4, 8, 16, 32, 64],
    "inits": 5,  # independent initializations averaged per depth
}


def forward(weights, X, residual):
    """Return the activations [x_0, ..., x_L], each (batch, width), of the plain or residual network."""
    xs = [X]
    for W in weights:
        branch = np.tanh(xs[-1] @ W.T)
        xs.append(xs[-1] + branch if residual else branch)
    return xs


def loss(weights, X, readout, residual):
    """Return L = mean over the batch of readout . x_L."""
    return float((forward(weights, X, residual)[-1] @ readout).mean())


def weight_gradients(weights, X, readout, residual):
    """Return [dL/dW_1, ..., dL/dW_L], each (width, width), by backpropagation.

    Residual layers pass the upstream gradient on unchanged *plus* the branch's term: that
    identity path is why the gradient at layer 1 does not shrink with depth.
    """
    xs = forward(weights, X, residual)
    grad_x = np.tile(readout / len(X), (len(X), 1))  # dL/dx_L, (batch, width)
    grads = [None] * len(weights)
    for l in range(len(weights), 0, -1):
        W, x_prev = weights[l - 1], xs[l - 1]
        branch = np.tanh(x_prev @ W.T)
        grad_pre = grad_x * (1.0 - branch**2)
        grads[l - 1] = grad_pre.T @ x_prev
        grad_x = grad_pre @ W + (grad_x if residual else 0.0)
    return grads


def first_layer_norms(rng, depths, inits, width, batch, gains):
    """Return (depths, 2 len(gains)) array: mean over `inits` initializations of ||dL/dW_1||.

    Columns: for each gain, plain then residual, both on the same weights, inputs and readout.
    """
    out = np.zeros((len(depths), 2 * len(gains)))
    for i, depth in enumerate(depths):
        for k, gain in enumerate(gains):
            for _ in range(inits):
                weights = [rng.normal(scale=gain / np.sqrt(width), size=(width, width)) for _ in range(depth)]
                X, readout = rng.normal(size=(batch, width)), rng.normal(size=width) / np.sqrt(width)
                for j, residual in enumerate((False, True)):
                    out[i, 2 * k + j] += np.linalg.norm(weight_gradients(weights, X, readout, residual)[0]) / inits
    return out


def plot_norms(depths, norms, gains):
    """Return a log-log figure of ||dL/dW_1|| against depth, plain (circles) and residual (squares) per gain."""
    fig, ax = new_figure(6.4, 3.6)
    for k, gain in enumerate(gains):
        ax.plot(depths, norms[:, 2 * k], "o-", color=COLORS[2 * k + 1], label=f"plain, gain {gain:g}")
        ax.plot(depths, norms[:, 2 * k + 1], "s--", color=COLORS[2 * k], label=f"residual, gain {gain:g}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("depth $L$ (layers)")
    ax.set_ylabel(r"$\|\partial L / \partial W_1\|$")
    ax.legend(fontsize=8)
    return fig


def publish(page):
    rng = np.random.default_rng(INPUTS["seed"])
    for name in ("seed", "width", "batch", "inits"):
        page.input(name, INPUTS[name])
    depths, gains = INPUTS["depths"], INPUTS["gains"]
    page.input("depths", depths, row=True)
    page.input("gains", gains, row=True)
    norms = first_layer_norms(rng, depths, INPUTS["inits"], INPUTS["width"], INPUTS["batch"], gains)
    columns = ["depth $L$"] + [f"{kind}, gain ${gain:g}$" for gain in gains for kind in ("plain", "residual")]
    page.table("norm_table", columns, [str(d) for d in depths], norms, digits=4, rtol=1e-9)
    # The prose compares the shallowest with the deepest network, one number per gain.
    page.value("depth_first", depths[0], digits=None, inputs=("depths",))
    page.value("depth_last", depths[-1], digits=None, inputs=("depths",))
    drops, growths = norms[0, 0::2] / norms[-1, 0::2], norms[-1, 1::2] / norms[0, 1::2]
    for k, which in enumerate(("first", "second")):
        page.value(f"gain_{which}", gains[k], digits=None, inputs=("gains",))
        page.value(f"plain_drop_{which}", drops[k], digits=1, rtol=1e-9)
        page.value(f"residual_growth_{which}", growths[k], digits=2, rtol=1e-9)
    page.figure("norm_plot", plot_norms(np.array(depths), norms, gains),
                alt=(f"Log-log plot of the first-layer gradient norm against depth {depths[0]} to {depths[-1]}. "
                     + "; ".join(f"gain {g:g}: plain falls from {norms[0, 2 * k]:.3g} to {norms[-1, 2 * k]:.3g}, "
                                 f"residual goes from {norms[0, 2 * k + 1]:.3g} to {norms[-1, 2 * k + 1]:.3g}"
                                 for k, g in enumerate(gains))),
                caption=(f"Norm of the gradient at the first layer's weights, averaged over {INPUTS['inits']} "
                         f"initializations per depth, for a width-{INPUTS['width']} tanh network with and without "
                         "skip connections (the same weights in both); weights have standard deviation "
                         "gain / sqrt(width)."))
