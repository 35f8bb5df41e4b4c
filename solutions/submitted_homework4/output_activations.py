"""Question 4: output activations whose range is [0, inf), (-inf, 0] or [a, b].

Each candidate f is audited by its range and by its derivative: a one-parameter model
y_hat = f(z) trained by gradient descent on (f(z) - t)^2 from a stated start z0. Where
f'(z0) = 0 the gradient is zero and the output never moves.
"""

import numpy as np

from solutions.toolkit.activations import relu, relu_grad, sigmoid, sigmoid_grad
from solutions.toolkit.figures import COLORS, new_figure


def softplus(z):
    """Return log(1 + e^z), elementwise, without overflow; range (0, inf)."""
    return np.logaddexp(0.0, np.asarray(z, dtype=float))


def softplus_grad(z):
    """Return d softplus / dz = sigmoid(z), never zero."""
    return sigmoid(z)


INPUTS = {"a": -1.0, "b": 2.0, "lr": 0.2, "steps": 300,
          "z_grid": {"start": -4.0, "stop": 4.0, "num": 161}}
A, B = INPUTS["a"], INPUTS["b"]  # the interval [a, b]; every use below reads these two


def scaled_sigmoid(z):
    """Return A + (B - A) sigmoid(z), elementwise: range (A, B), both ends approached but never reached."""
    return A + (B - A) * sigmoid(z)


def scaled_sigmoid_grad(z):
    """Return d scaled_sigmoid / dz = (B - A) sigmoid'(z), elementwise, never zero."""
    return (B - A) * sigmoid_grad(z)


def scaled_sigmoid_limits(low, high):
    """Return [lim f, lim f] of low + (high - low) sigmoid(z) as z -> -inf and z -> +inf (sigmoid -> 0, 1)."""
    return [low + (high - low) * 0.0, low + (high - low) * 1.0]


SCALED = r"a + (b-a)\,\sigma(z)"
SCALED_AT_B = r"a + (b-a)\,\sigma(z),\ t = b"  # the target at the bound, which the sigmoid never reaches

# name: (range, f, f', start z0, target t); the submitted choices first in each range.
CASES = {
    r"\max(0, z)": ("[0, \\infty)", relu, relu_grad, -1.0, 1.5),
    r"\log(1 + e^{z})": ("[0, \\infty)", softplus, softplus_grad, -1.0, 1.5),
    r"e^{z}": ("[0, \\infty)", np.exp, np.exp, -1.0, 1.5),
    r"\min(0, z)": ("(-\\infty, 0]", lambda z: np.minimum(0.0, z), lambda z: (z < 0) * 1.0, 1.0, -1.5),
    r"-\log(1 + e^{-z})": ("(-\\infty, 0]", lambda z: -softplus(-z), lambda z: softplus_grad(-z), 1.0, -1.5),
    SCALED: ("[a, b]", scaled_sigmoid, scaled_sigmoid_grad, 0.0, 1.0),
    SCALED_AT_B: ("[a, b]", scaled_sigmoid, scaled_sigmoid_grad, 0.0, B),
    r"\min(b, \max(a, z))": ("[a, b]", lambda z: np.clip(z, A, B), lambda z: ((z > A) & (z < B)) * 1.0, 3.0, 1.0),
}


def descend(f, f_grad, z0, target, lr, steps):
    """Return (gradient at z0, final z, final loss) of gradient descent on (f(z) - target)^2 in z."""
    def grad(z):
        return 2.0 * (f(z) - target) * f_grad(z)
    z = float(z0)
    first = float(grad(z))
    for _ in range(steps):
        z -= lr * float(grad(z))
    return first, z, float((f(z) - target) ** 2)


def plot_outputs(z, a, b):
    """Return three panels, one per range: the candidate functions with the target range shaded."""
    fig, axes = new_figure(9.6, 3.2, ncols=3)
    panels = [("[0, \\infty)", (0, None)), ("(-\\infty, 0]", (None, 0)), ("[a, b]", (a, b))]
    for ax, (target_range, (low, high)) in zip(axes, panels):
        names = [name for name, case in CASES.items() if case[0] == target_range and "t = b" not in name]
        for color, name in zip(COLORS, names):
            ax.plot(z, CASES[name][1](z), color=color, label=f"${name}$")
        ylim = (-1.5, 4.0) if low == 0 else (-4.0, 1.5) if high == 0 else (a - 1.5, b + 1.5)
        ax.axhspan(ylim[0] if low is None else low, ylim[1] if high is None else high,
                   color=COLORS[5], alpha=0.15, label=f"range ${target_range}$")
        for bound in (low, high):
            if bound is not None:
                ax.axhline(bound, color=COLORS[5], linewidth=1)
        ax.set_ylim(*ylim)
        ax.set_xlabel("pre-activation $z$")
        ax.legend(loc="upper left", fontsize=7)
    return fig


def publish(page):
    lr, steps = INPUTS["lr"], INPUTS["steps"]
    for name in ("a", "b", "lr", "steps"):
        page.input(name, INPUTS[name])
    rows, final = [], {}  # final: {case name: {"output": f(z) after descent, "loss": its loss}}
    for name, (target_range, f, f_grad, z0, target) in CASES.items():
        first, z, loss = descend(f, f_grad, z0, target, lr, steps)
        final[name] = {"output": float(f(z)), "loss": loss}
        rows.append([z0, target, first, final[name]["output"], loss])
    labels = [rf"{name} \text{{ on }} {case[0]}" for name, case in CASES.items()]
    # Gradient descent repeats one float64 formula: only roundoff differs between machines.
    page.table("descent_table", ["output $f(z)$", "start $z_0$", "target $t$", "gradient at $z_0$",
                                 "output after descent", "final loss"],
               labels, rows, digits=[2, 2, 6, 6, 2], rtol=1e-9, atol=1e-15)
    page.value("relu_stuck_loss", final[r"\max(0, z)"]["loss"], rtol=1e-9)
    page.value("range_c", scaled_sigmoid_limits(A, B), row=True, inputs=("a", "b"))
    page.mistake("range_c_scaled_by_b", [A + B * 0.0, A + B * 1.0], of="range_c", row=True, inputs=("a", "b"),
                 why="scaled the sigmoid by b instead of b - a: a + b sigmoid(z) runs over (a, a + b), not (a, b)")
    page.value("sigmoid_gap_at_b", B - final[SCALED_AT_B]["output"], digits=6, rtol=1e-6)
    grid = np.linspace(**INPUTS["z_grid"])
    page.figure("outputs_plot", plot_outputs(grid, A, B),
                alt=(f"Three panels over pre-activation z from {grid[0]:g} to {grid[-1]:g}. Outputs from 0 to infinity: max(0, z) is "
                     f"flat at 0 for z < 0, softplus and exp stay positive and keep a slope everywhere. Outputs up to 0: "
                     f"min(0, z) is flat at 0 for z > 0, -softplus(-z) stays negative with a slope. Outputs between {A:g} and {B:g}: "
                     f"a + (b-a) sigmoid(z) runs from {scaled_sigmoid(grid[0]):.3f} to "
                     f"{scaled_sigmoid(grid[-1]):.3f}, strictly inside, while clipping is flat below {A:g} and above {B:g}"),
                caption=r"Candidate output activations, with the required range shaded. Where a curve is flat its "
                        r"derivative is zero: an example whose pre-activation lands there sends no gradient back through it.")
