"""Problem 1: partial derivatives of y = W2 relu(W1 x + b1) + b2 as functions of the scalar input x.

Shapes: x a scalar (or a grid of n points); W1, b1, W2 vectors of length k (W1 is k x 1 and
W2 is 1 x k in the worksheet); b2 a scalar. Every derivative is piecewise affine in x, with
at most one break per hidden unit, at x_i = -b1_i / W1_i where z_i = W1_i x + b1_i = 0 (a kink
of y). The worksheet's words: a *kink* is a corner of a continuous curve, a *discontinuity* a
jump. At x_i the derivative in (b) has a kink; those in (c) and (d) have a discontinuity.
"""

from solutions.toolkit import fmt

import numpy as np

from solutions.toolkit.activations import relu, relu_grad
from solutions.toolkit.figures import COLORS, new_figure
from solutions.toolkit.gradcheck import numerical_derivative

INPUTS = {
    # k = 3 units, two with W1_i > 0 (on for x > x_i) and one with W1_i < 0 (on for x < x_i).
    # The kinks -b1_i / W1_i are exact in binary, so z_i is exactly 0 there.
    "W1": [1.0, -2.0, 0.5],
    "b1": [0.5, 1.0, -1.0],
    "W2": [1.5, -1.0, 2.0],
    "b2": 0.3,
    "x_range": [-3.0, 3.0],
    "points_per_side": 100,
}
PARTS = {"b2": "(a)", "W2": "(b)", "b1": "(c)", "W1": "(d)"}  # the parameter each part differentiates
SYMBOLS = {"b2": "b^{(2)}", "W2": "w^{(2)}_i", "b1": "b^{(1)}_i", "W1": "w^{(1)}_i"}


def forward(x, W1, b1, W2, b2):
    """Return (y, z): z = outer(x, W1) + b1, shape (n, k); y = relu(z) @ W2 + b2, shape (n,)."""
    z = np.outer(np.atleast_1d(np.asarray(x, dtype=float)), W1) + np.asarray(b1, dtype=float)
    return relu(z) @ np.asarray(W2, dtype=float) + b2, z


def derivatives(x, W1, b1, W2, b2):
    """Return {parameter: dy/dparameter}: "b2" shape (n,), the others (n, k), one column per unit i.

    dy/dz_i = W2_i relu'(z_i), with relu'(0) = 0 (the convention of PyTorch and of core.activations).
    """
    x = np.atleast_1d(np.asarray(x, dtype=float))
    _, z = forward(x, W1, b1, W2, b2)
    dy_dz = np.asarray(W2, dtype=float) * relu_grad(z)
    return {"b2": np.ones_like(x), "W2": relu(z), "b1": dy_dz, "W1": dy_dz * x[:, None]}


def breaks(part, W1, b1, W2):
    """Return each unit's break in dy/dparameter (parts (b)-(d)) as a dict of (k,) arrays.

    Where unit i is on, dy/dparameter = slope x + intercept; where it is off, 0. Fields: x, the
    break -b1_i / W1_i (a kink of y); slope_left, slope_right; left, right, the one-sided limits
    there; jump = right - left; at_kink, the value at x_i with relu'(0) = 0.
    """
    W1, b1, W2 = (np.asarray(v, dtype=float) for v in (W1, b1, W2))
    slope, intercept = {"W2": (W1, b1), "b1": (0 * W2, W2), "W1": (W2, 0 * W2)}[part]
    x_kink = -b1 / W1
    on_value = slope * x_kink + intercept
    on_right = W1 > 0  # z_i = W1_i (x - x_i) is positive right of x_i exactly when W1_i > 0
    zero = np.zeros_like(x_kink)
    left, right = np.where(on_right, zero, on_value), np.where(on_right, on_value, zero)
    found = {"x": x_kink, "slope_left": np.where(on_right, zero, slope), "slope_right": np.where(on_right, slope, zero),
             "left": left, "right": right, "jump": right - left, "at_kink": on_value * relu_grad(0.0)}
    return {name: value + 0.0 for name, value in found.items()}  # + 0.0 turns -0.0 (from 0 * negative) into 0


def jump(on_value, W1):
    """Return sign(W1_i) on_value_i, shape (k,): the jump, read left to right, at x_i of a derivative
    equal to on_value_i (its value at x_i from the on side) where unit i is on and 0 where it is off.
    A unit with W1_i > 0 switches on at x_i (the curve jumps up by on_value_i), with W1_i < 0 off."""
    return np.sign(np.asarray(W1, dtype=float)) * np.asarray(on_value, dtype=float) + 0.0


def sides(x_kink, x_range, points_per_side):
    """Return (left grid, right grid): points_per_side points on each side of x_kink, x_kink excluded."""
    lo, hi = x_range
    return np.linspace(lo, x_kink, points_per_side + 1)[:-1], np.linspace(x_kink, hi, points_per_side + 1)[1:]


def finite_difference_gap(part, W1, b1, W2, b2, x, unit=None):
    """Return max |dy/dparameter - central difference in the parameter| over the points x, shape (n,).

    unit: the hidden unit i whose entry is differentiated (None for the scalar b2). The points
    must lie farther than the step h from every kink, where y is affine in the parameter.
    """
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    value = np.array(params[part], dtype=float)

    def y_of(entry):
        """Return y (n,) with only the differentiated entry (all of b2, or entry `unit`) set to `entry`."""
        if unit is not None:
            entry = np.where(np.arange(len(value)) == unit, entry, value)
        return forward(x, **{**params, part: entry})[0]

    # Only the one entry is differenced: the other units' columns would be discarded.
    numeric = numerical_derivative(y_of, value if unit is None else value[unit])
    analytic = derivatives(x, W1, b1, W2, b2)[part]
    if unit is not None:
        analytic = analytic[:, unit]
    return float(np.max(np.abs(analytic - numeric)))


def plot_output_and_a(x, y, kinks):
    """Return the figure for part (a): y(x) with its kinks marked, and dy/db2 = 1."""
    fig, (left, right) = new_figure(8.0, 3.0, ncols=2)
    left.plot(x, y, color=COLORS[0])
    for i, x_kink in enumerate(kinks):
        left.axvline(x_kink, color=COLORS[i], linestyle=":", linewidth=1, label=f"kink of $y$: $x_{i + 1} = {x_kink:g}$")
    left.set(xlabel="$x$", ylabel="$y$", title="the network's output")
    left.legend(fontsize=8)
    right.plot(x, np.ones_like(x), color=COLORS[0])
    right.set(xlabel="$x$", ylabel=r"$\partial y / \partial b^{(2)}$", ylim=(-0.5, 1.5),
              title="(a) constant 1: no kink, no jump")
    return fig


def plot_part(part, x_range, points_per_side, W1, b1, W2, b2, found=None):
    """Return the figure for part (b), (c) or (d): one panel per unit, breaks labelled from `breaks`.

    found: the part's breaks(part, W1, b1, W2) when the caller already has them; computed if None.
    """
    if found is None:
        found = breaks(part, W1, b1, W2)
    k = len(W1)
    fig, axes = new_figure(3.3 * k, 3.2, ncols=k)
    for i, ax in enumerate(axes):
        color, x_kink = COLORS[i], found["x"][i]
        for grid, limit, slope in zip(sides(x_kink, x_range, points_per_side), (found["left"][i], found["right"][i]),
                                      (found["slope_left"][i], found["slope_right"][i])):
            values = derivatives(grid, W1, b1, W2, b2)[part][:, i]
            line_x, line_y = np.append(grid, x_kink), np.append(values, limit)
            order = np.argsort(line_x)
            ax.plot(line_x[order], line_y[order], color=color)
            side = int(np.sign(slope))  # beside a sloped segment, on its upper side, so the text clears the line
            ax.annotate(f"slope {slope:g}", (grid.mean(), values.mean()), textcoords="offset points",
                        xytext=(-5 * side, 6), ha={1: "right", 0: "center", -1: "left"}[side], fontsize=8)
        ax.axvline(x_kink, color=color, linestyle=":", linewidth=1)
        ax.plot([x_kink], [found["at_kink"][i]], "o", color=color, markersize=6)
        if found["jump"][i] != 0:
            open_value = found["right"][i] if found["at_kink"][i] == found["left"][i] else found["left"][i]
            ax.plot([x_kink], [open_value], "o", color=color, markerfacecolor="none", markersize=7)
            toward_middle = 1 if x_kink < np.mean(x_range) else -1
            ax.annotate(f"jump {found['jump'][i]:+g}", (x_kink, (found["left"][i] + found["right"][i]) / 2),
                        textcoords="offset points", xytext=(6 * toward_middle, 0), fontsize=8, va="center",
                        ha="left" if toward_middle > 0 else "right")
        on = ">" if W1[i] > 0 else "<"
        ax.set_title(f"$i = {i + 1}$: $w^{{(1)}}_{i + 1} = {W1[i]:g}$, on for $x {on} {x_kink:g}$", fontsize=9)
        ax.set_xlabel(f"$x$ ({BREAK_WORD[part]} at {x_kink:g})")
        ax.margins(y=0.15)  # room for the slope labels above the segments
    axes[0].set_ylabel(rf"$\partial y / \partial {SYMBOLS[part]}$")
    return fig


def describe(part, found):
    """Return alt text for a part's figure, generated from the breaks it shows."""
    units = "; ".join(
        f"unit {i + 1}: {BREAK_WORD[part]} at x = {found['x'][i]:g}, slope {found['slope_left'][i]:g} left and "
        f"{found['slope_right'][i]:g} right, jump {found['jump'][i]:g} (from {found['left'][i]:g} to "
        f"{found['right'][i]:g}), value {found['at_kink'][i]:g} there"
        for i in range(len(found["x"])))
    return f"Part {PARTS[part]}: dy/d{part} against x, one panel per hidden unit. {units}."


BREAK_WORD = {"W2": "kink", "b1": "jump", "W1": "jump"}  # what the derivative has at x_i: a corner, or a discontinuity
TABLE_COLUMNS = ["unit", "$x_i$", "slope left", "slope right", "limit from left", "limit from right",
                 "jump", "value at $x_i$"]
BREAK_FIELDS = ("x", "slope_left", "slope_right", "left", "right", "jump", "at_kink")
CAPTIONS = {
    "W2": r"(b) $\partial y / \partial w^{(2)}_i = \max(0, z_i)$: continuous, with a kink where unit $i$ switches on.",
    "b1": r"(c) $\partial y / \partial b^{(1)}_i = w^{(2)}_i \mathbb{1}[z_i > 0]$: a step, discontinuous at $x_i$. "
          r"Filled marker: the value at $x_i$ with $\mathrm{ReLU}'(0) = 0$; open marker: the limit from the side where the unit is on.",
    "W1": r"(d) $\partial y / \partial w^{(1)}_i = w^{(2)}_i x\, \mathbb{1}[z_i > 0]$: a ramp that jumps at $x_i$. "
          r"Filled marker: the value with $\mathrm{ReLU}'(0) = 0$; open marker: the one-sided limit from the on side.",
}


def publish(page):
    W1, b1, W2, b2 = (INPUTS[name] for name in ("W1", "b1", "W2", "b2"))
    x_range, points = INPUTS["x_range"], INPUTS["points_per_side"]
    page.input("W1", W1)
    page.input("b1", b1)
    page.input("W2", W2, row=True)  # W2 is 1 x k
    page.input("b2", b2)
    page.input("k", len(W1))
    page.input("x_min", x_range[0])  # the two ends of an interval, not a vector
    page.input("x_max", x_range[1])
    network = ("W1", "b1", "W2")
    kinks = -np.asarray(b1) / np.asarray(W1)
    for i, x_kink in enumerate(kinks):
        page.value(f"kink_{i + 1}", x_kink, digits=None, inputs=("W1", "b1"))  # exact in binary: shown exactly

    # y is affine in each parameter between kinks and every plotted point is at least a grid step
    # (>= 0.03) from a kink, so central differences (h = 1e-6) are exact up to roundoff
    # ~ eps |y| / h ~ 1e-10; the key claims 1e-8.
    x_out, y_out = forward_curve(W1, b1, W2, b2, x_range)
    page.value("fd_gap_b2", finite_difference_gap("b2", W1, b1, W2, b2, x_out), digits=2, atol=1e-8)
    page.value("fd_points", len(W1) * 2 * points, inputs=("W1", "points_per_side"))
    page.figure("plot_b2", plot_output_and_a(x_out, y_out, kinks),
                alt=(f"Left: the network output y against x from {x_range[0]:g} to {x_range[1]:g}, piecewise linear "
                     f"with kinks at x = {', '.join(f'{v:g}' for v in kinks)}. Right: dy/db2 = 1 at every x, "
                     "a horizontal line with no kink or jump."),
                caption=r"(a) $y(x)$ for the stated network, its kinks marked, and $\partial y/\partial b^{(2)} = 1$.")
    for part in ("W2", "b1", "W1"):
        found = breaks(part, W1, b1, W2)
        page.table(f"breaks_{part}", TABLE_COLUMNS, [f"i = {i + 1}" for i in range(len(W1))],
                   np.column_stack([found[f] for f in BREAK_FIELDS]), inputs=network)
        gap = max(finite_difference_gap(part, W1, b1, W2, b2, np.concatenate(sides(x_kink, x_range, points)), i)
                  for i, x_kink in enumerate(kinks))
        page.value(f"fd_gap_{part}", gap, digits=2, atol=1e-8)
        if part in ("b1", "W1"):  # the discontinuous ones: their jumps, exactly and in decimals
            page.value(f"jump_{part}", found["jump"], digits=fmt.EXACT, row=True, inputs=network)
            page.value(f"jump_{part}_decimal", found["jump"], digits=None, row=True, inputs=network)
        page.figure(f"plot_{part}", plot_part(part, x_range, points, W1, b1, W2, b2, found),
                    alt=describe(part, found), caption=CAPTIONS[part])
    W1_, W2_ = np.asarray(W1, dtype=float), np.asarray(W2, dtype=float)
    # (c) with every step read as a unit switching on: the on-value W2_i taken as the jump whatever sign(W1_i).
    page.mistake("jump_b1_no_sign", W2_ + 0.0, of="jump_b1", digits=fmt.EXACT, row=True, inputs=network,
                 why="took every step as switching on from left to right; a unit with w1_i < 0 switches off at x_i")
    # (d) without the chain rule's factor dz_i/dw1_i = x: the derivative w2_i 1[z_i > 0] of (c), and its jumps.
    page.mistake("jump_W1_no_x", jump(W2_, W1_), of="jump_W1", digits=fmt.EXACT, row=True, inputs=network,
                 why="dropped the chain-rule factor dz_i/dw1_i = x, which gives the step of (c)")


def forward_curve(W1, b1, W2, b2, x_range):
    """Return (x, y) of the network's output over x_range, for context beside part (a)."""
    x = np.linspace(*x_range, 241)
    return x, forward(x, W1, b1, W2, b2)[0]
