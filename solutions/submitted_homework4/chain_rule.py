"""Question 2: the graph h = 2x + 1, z = x^2 + h, y = sigmoid(h), and what can be differentiated in it.

x is the only independent variable; h, z and y are functions of it. Partial derivatives are
local (one edge of the graph, other inputs of that node held fixed); total derivatives add
every path. Since z = (x + 1)^2, x is not a function of z, and neither is y: dy/dz exists
only along one branch x = -1 + s sqrt(z), s = sign(x + 1).

Variant: the submission's arrows h -> z -> y suggest y = sigmoid(z) instead; then y is a
function of z, dy/dz = sigmoid'(z), and dy/dx = sigmoid'(z) (2x + 2).
"""

import numpy as np

from solutions.toolkit import fmt
from solutions.toolkit.activations import sigmoid, sigmoid_grad
from solutions.toolkit.figures import COLORS, new_figure
from solutions.toolkit.gradcheck import numerical_derivative

# A central difference with step 1e-6 of a function of size up to 4 carries roundoff of about
# eps |f| / h ~ 1e-9 absolute, which can differ between CPUs: its columns are keyed to that.
FD_ATOL = 1e-9

INPUTS = {
    "x_samples": [-2.0, -0.5, 0.5, 1.0],
    "x_grid": {"start": -3.5, "stop": 1.5, "num": 201},
    "x_twin": 0.5,  # and its mirror -2 - x_twin, which gives the same z
}


def h_of(x):
    return 2.0 * x + 1.0


def z_of(x, h):
    """Return z = x^2 + h; its partials are dz/dx|_h = 2x and dz/dh|_x = 1."""
    return x**2 + h


def y_of(h):
    """Return y = sigmoid(h); dy/dh = sigmoid'(h)."""
    return sigmoid(h)


def total_dz_dx(x):
    """Return dz/dx = dz/dx|_h + dz/dh|_x dh/dx = 2x + 2 (both paths from x to z)."""
    return 2.0 * x + 2.0


def total_dy_dx(x):
    """Return dy/dx = dy/dh dh/dx = 2 sigmoid'(2x + 1) (the one path from x to y)."""
    return 2.0 * sigmoid_grad(h_of(x))


def dy_dz_on_branch(x):
    """Return dy/dz along the branch through x: (dy/dx) / (dz/dx) = sigmoid'(h) / (x + 1); x != -1."""
    return total_dy_dx(x) / total_dz_dx(x)


def variant_y_of(z):
    """Return y = sigmoid(z), the reading the arrows h -> z -> y suggest; dy/dz = sigmoid'(z)."""
    return sigmoid(z)


def variant_dy_dx(x):
    """Return dy/dx = sigmoid'(z) dz/dx = sigmoid'((x + 1)^2) (2x + 2) when y = sigmoid(z)."""
    return sigmoid_grad(z_of(x, h_of(x))) * total_dz_dx(x)


def y_along_branch(z, sign):
    """Return y as a function of z on the branch x = -1 + sign sqrt(z) (z >= 0)."""
    return y_of(h_of(-1.0 + sign * np.sqrt(z)))


def plot_graph_functions(x):
    """Return three panels: z and dz/dx, y and dy/dx against x, and y against z (two branches)."""
    fig, (left, middle, right) = new_figure(9.6, 3.2, ncols=3)
    z = z_of(x, h_of(x))
    left.plot(x, z, color=COLORS[0], label="$z$")
    left.plot(x, total_dz_dx(x), color=COLORS[1], label="$dz/dx = 2x + 2$")
    middle.plot(x, y_of(h_of(x)), color=COLORS[0], label="$y$")
    middle.plot(x, total_dy_dx(x), color=COLORS[1], label=r"$dy/dx = 2\sigma'(h)$")
    for ax in (left, middle):
        ax.axvline(-1.0, linestyle=":", linewidth=1, color=COLORS[3])
        ax.set_xlabel("$x$")
        ax.legend(loc="upper left", fontsize=8)
    right_branch, left_branch = x >= -1, x <= -1
    right.plot(z[right_branch], y_of(h_of(x[right_branch])), color=COLORS[2], label=r"$x \geq -1$")
    right.plot(z[left_branch], y_of(h_of(x[left_branch])), color=COLORS[4], label=r"$x \leq -1$")
    right.set_xlabel("$z$")
    right.set_ylabel("$y$")
    right.legend(loc="center right", fontsize=8)
    return fig


def publish(page):
    xs = np.asarray(INPUTS["x_samples"])
    page.input("x_samples", INPUTS["x_samples"], row=True)
    h, dx = h_of(xs), ("x_samples",)
    num = {"dz/dx": numerical_derivative(lambda t: z_of(t, h_of(t)), xs),
           "dy/dx": numerical_derivative(lambda t: y_of(h_of(t)), xs)}
    page.table("derivatives", ["$x$", "$h$", "$z$", "$y$", "$dz/dx = 2x+2$", "central diff.",
                               r"$dy/dx = 2\sigma'(h)$", "central diff."],
               [f"{x:g}" for x in xs],
               np.column_stack([h, z_of(xs, h), y_of(h), total_dz_dx(xs), num["dz/dx"], total_dy_dx(xs), num["dy/dx"]]),
               digits=6, rtol=[1e-12, 1e-12, 1e-12, 1e-12, 1e-8, 1e-12, 1e-8], atol=[0, 0, 0, 0, FD_ATOL, 0, FD_ATOL],
               inputs=dx)
    page.value("partial_dz_dx", 2.0 * xs, row=True, inputs=dx)
    page.value("dy_dh", sigmoid_grad(h), digits=6, row=True, inputs=dx)
    page.value("dz_dx", total_dz_dx(xs), row=True, inputs=dx)
    page.mistake("dz_dx_one_path", 2.0 * xs, of="dz_dx", row=True, inputs=dx,
                 why="held h fixed: kept only dz/dx at fixed h = 2x and dropped the path through h, dz/dh dh/dx = 2")

    signs = np.sign(xs + 1.0)
    branch_fd = np.array([numerical_derivative(lambda z, s=s: y_along_branch(z, s), z0)
                          for s, z0 in zip(signs, z_of(xs, h))])
    page.table("dy_dz", ["$x$", "branch", r"$\sigma'(h)/(x+1)$", "central diff. along branch", "submitted"],
               [f"{x:g}" for x in xs], np.column_stack([signs, dy_dz_on_branch(xs), branch_fd, np.zeros_like(xs)]),
               digits=[0, 6, 6, 0], rtol=[0, 1e-12, 1e-7, 0], atol=[0, 0, 1e-12, 0], inputs=dx)

    # The variant y = sigmoid(z): one path from z to y, two from x to z.
    z = z_of(xs, h)
    page.value("variant_z", z, digits=fmt.EXACT, row=True, inputs=dx)
    page.value("variant_dy_dz", sigmoid_grad(z), digits=6, row=True, inputs=dx)
    page.value("variant_dy_dx", variant_dy_dx(xs), digits=6, row=True, inputs=dx)
    page.mistake("variant_dy_dx_one_path", sigmoid_grad(z) * 2.0 * xs, of="variant_dy_dx", digits=6, row=True,
                 inputs=dx, why="held h fixed in z = x^2 + h: used dz/dx = 2x and dropped the path through h")
    page.table("variant_derivatives", ["$x$", "$z$", r"$dy/dz = \sigma'(z)$", "central diff. in $z$",
                                       r"$dy/dx = (2x+2)\,\sigma'(z)$", "central diff. in $x$"],
               [f"{x:g}" for x in xs],
               np.column_stack([z, sigmoid_grad(z), numerical_derivative(variant_y_of, z), variant_dy_dx(xs),
                                numerical_derivative(lambda t: variant_y_of(z_of(t, h_of(t))), xs)]),
               digits=6, rtol=[1e-12, 1e-12, 1e-8, 1e-12, 1e-8], atol=[0, 0, FD_ATOL, 0, FD_ATOL], inputs=dx)

    twin = INPUTS["x_twin"]
    mirror = -2.0 - twin
    page.input("x_twin", twin)
    page.value("x_mirror", mirror, digits=None, inputs=("x_twin",))
    z_twin = z_of(twin, h_of(twin))
    if not np.isclose(z_of(mirror, h_of(mirror)), z_twin, rtol=1e-12, atol=0):  # the page prints z once
        raise ValueError(f"x = {twin} and x = {mirror} should give the same z")
    page.value("z_twin", z_twin, digits=fmt.EXACT, inputs=("x_twin",))
    y_twin, y_mirror = y_of(h_of(twin)), y_of(h_of(mirror))
    page.value("y_twin", y_twin, digits=6, inputs=("x_twin",))
    page.value("y_mirror", y_mirror, digits=6, inputs=("x_twin",))

    grid = np.linspace(**INPUTS["x_grid"])
    page.figure("graph_plot", plot_graph_functions(grid),
                alt=(f"Left: z = (x+1)^2 on x from {grid[0]:g} to {grid[-1]:g}, minimum 0 at x = -1 where dz/dx = 2x+2 "
                     f"crosses zero. Middle: y = sigmoid(2x+1) rising from {y_of(h_of(grid[0])):.4f} to "
                     f"{y_of(h_of(grid[-1])):.4f}, dy/dx peaking at {total_dy_dx(-0.5):g} at x = -0.5. Right: y against z "
                     f"traces two branches that meet at z = 0, so z = {z_twin:g} gives both "
                     f"y = {y_twin:.4f} and y = {y_mirror:.4f}"),
                caption=r"Left and middle: $z$, $y$ and their total derivatives with respect to $x$ (dotted: $x = -1$). "
                        r"Right: $y$ against $z$ is two curves, one per branch of $x = -1 \pm \sqrt{z}$: "
                        r"$y$ is not a function of $z$, so $dy/dz$ exists only along a branch.")
