"""Problem 1: the multivariate chain rule on v = c (a - b)^2, a = (w + x + y)^2, b = (x - y - z)^2.

The computation graph is described once, as data (GRAPH); the chain-rule formulas, the
totals and the figure are all derived from that description.
"""

import numpy as np
import sympy as sp

from solutions.toolkit import fmt
from solutions.toolkit.figures import COLORS, new_figure
from solutions.toolkit.gradcheck import numerical_derivative

# Node positions (column, height) for the drawing; edges point from an argument to the
# node computed from it, in the argument order of that node's function.
GRAPH = {
    "nodes": {"c": (0, 4), "w": (0, 3), "x": (0, 2), "y": (0, 1), "z": (0, 0),
              "a": (1.3, 2.6), "b": (1.3, 0.6), "v": (2.6, 2.2)},
    "edges": [("w", "a"), ("x", "a"), ("y", "a"), ("x", "b"), ("y", "b"), ("z", "b"),
              ("a", "v"), ("b", "v"), ("c", "v")],
}

# Each computed node's function, written so that it works on floats and on sympy symbols.
FUNCTIONS = {
    "a": lambda w, x, y: (w + x + y) ** 2,
    "b": lambda x, y, z: (x - y - z) ** 2,
    "v": lambda a, b, c: c * (a - b) ** 2,
}
# Read off the graph rather than listed again: the inputs are the nodes nothing computes (c, w, x, y, z),
# the output the one node no edge leaves (the unpacking fails unless there is exactly one).
INPUT_NODES = tuple(node for node in GRAPH["nodes"] if node not in FUNCTIONS)
(OUTPUT,) = [node for node in GRAPH["nodes"] if all(u != node for u, _ in GRAPH["edges"])]

INPUTS = {"c": 0.5, "w": 1.0, "x": 2.0, "y": -1.0, "z": 0.5}


def parents(node):
    """Return the nodes with an edge into `node`, in the order its function takes them."""
    return [u for u, child in GRAPH["edges"] if child == node]


def evaluate(inputs):
    """Return {node: value} for every node, computing each node once its arguments are known."""
    values = dict(inputs)
    while len(values) < len(GRAPH["nodes"]):
        for node in FUNCTIONS:
            if node not in values and all(p in values for p in parents(node)):
                values[node] = FUNCTIONS[node](*(values[p] for p in parents(node)))
    return values


def local_partials(values):
    """Return {(u, node): d node / d u} for every edge, the hand-derived local derivatives at `values`."""
    s, r, d = values["w"] + values["x"] + values["y"], values["x"] - values["y"] - values["z"], values["a"] - values["b"]
    return {("w", "a"): 2 * s, ("x", "a"): 2 * s, ("y", "a"): 2 * s,
            ("x", "b"): 2 * r, ("y", "b"): -2 * r, ("z", "b"): -2 * r,
            ("a", "v"): 2 * values["c"] * d, ("b", "v"): -2 * values["c"] * d, ("c", "v"): d**2}


def closed_form_totals(inputs):
    """Return {input: dv/d input} from the boxed closed forms, in the inputs alone (floats or sympy symbols).

    With s = w + x + y, r = x - y - z and a - b = s^2 - r^2: x and y each add the a-path 2c(a - b) 2s
    and the b-path -2c(a - b) (+-2r), which combine into w + 2y + z and w + 2x - z.
    """
    c, w, x, y, z = (inputs[n] for n in ("c", "w", "x", "y", "z"))
    s, r = w + x + y, x - y - z
    d = s**2 - r**2  # a - b
    return {"c": d**2, "w": 4 * c * d * s, "x": 4 * c * d * (w + 2 * y + z),
            "y": 4 * c * d * (w + 2 * x - z), "z": 4 * c * d * r}


def one_path_totals(inputs):
    """Return the totals with the path through b dropped for x and y (a typical slip): both become 4c(a - b)(w + x + y)."""
    right = closed_form_totals(inputs)
    return {**right, "x": right["w"], "y": right["w"]}


def paths(source, target):
    """Return every directed path from source to target as a list of edges."""
    if source == target:
        return [[]]
    return [[(source, child)] + rest for u, child in GRAPH["edges"] if u == source
            for rest in paths(child, target)]


def total_derivative(local, source, target=OUTPUT):
    """Return d target / d source = sum over paths of the product of local partials along the path."""
    total = 0.0
    for path in paths(source, target):
        product = 1.0
        for edge in path:
            product *= local[edge]
        total += product
    return total


def partial(node, u):
    return rf"\frac{{\partial {node}}}{{\partial {u}}}"


def local_latex(edge):
    r"""Return an edge's local partial with the node's other arguments marked as held, e.g. dv/dc |_{a, b}.

    The bar is written \vert, not |: the label goes into a markdown table, where | separates cells.
    """
    u, child = edge
    held = [p for p in parents(child) if p != u]
    return rf"{partial(child, u)}\Big\vert_{{{', '.join(held)}}}" if held else partial(child, u)


def chain_rule_latex(source, target=OUTPUT):
    """Return the chain rule for d target / d source in partial-derivative symbols, one term per path.

    A direct edge source -> target would read as the left-hand side itself (dv/dc = dv/dc): that
    term alone is written with its held arguments, dv/dc |_{a, b}.
    """
    def term(edge):
        return local_latex(edge) if edge == (source, target) else partial(edge[1], edge[0])
    terms = [" ".join(term(edge) for edge in reversed(path)) for path in paths(source, target)]
    return f"{partial(target, source)} = " + " + ".join(terms)


def numeric_local_partial(values, edge):
    """Return the central difference of the child's own function in one argument, the others held."""
    u, node = edge
    args = parents(node)
    def of(t):
        return FUNCTIONS[node](*(t if p == u else values[p] for p in args))
    return float(numerical_derivative(of, values[u]))


def numeric_total(inputs, source):
    """Return the central difference of the composed v(c, w, x, y, z) in one input."""
    return float(numerical_derivative(lambda t: evaluate({**inputs, source: t})[OUTPUT], inputs[source]))


def sympy_derivatives(inputs):
    """Return ({edge: local}, {input: total}) by sympy, from exact rational inputs."""
    symbols = {name: sp.Symbol(name) for name in GRAPH["nodes"]}
    exact = {symbols[n]: sp.Rational(str(v)) for n, v in inputs.items()}
    node_values = evaluate({n: sp.Rational(str(v)) for n, v in inputs.items()})
    local = {}
    for u, node in GRAPH["edges"]:
        expr = FUNCTIONS[node](*(symbols[p] for p in parents(node)))
        local[(u, node)] = float(sp.diff(expr, symbols[u]).subs({symbols[n]: node_values[n] for n in parents(node)}))
    composed = evaluate({n: symbols[n] for n in INPUT_NODES})[OUTPUT]
    totals = {n: float(sp.diff(composed, symbols[n]).subs(exact)) for n in INPUT_NODES}
    return local, totals


def plot_graph():
    """Return a drawing of the graph: one disc per node, one arrow per edge labelled with its local partial."""
    fig, ax = new_figure(5.6, 4.0)
    position = GRAPH["nodes"]
    for u, node in GRAPH["edges"]:
        (x0, y0), (x1, y1) = position[u], position[node]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "-|>", "color": COLORS[0], "shrinkA": 15, "shrinkB": 15})
        # Labels sit near the source and just above their arrow, where crossing arrows are still apart.
        ax.text(x0 + 0.24 * (x1 - x0), y0 + 0.24 * (y1 - y0), rf"$\partial {node}/\partial {u}$", fontsize=9,
                ha="center", va="bottom", color=COLORS[3], rotation=np.degrees(np.arctan2(y1 - y0, x1 - x0)),
                rotation_mode="anchor", transform_rotates_text=True)
    for node, (x, y) in position.items():
        kind = 1 if node == OUTPUT else 2 if node in INPUT_NODES else 4
        ax.plot([x], [y], "o", markersize=26, color=COLORS[kind], alpha=0.4)
        ax.text(x, y, f"${node}$", ha="center", va="center", fontsize=12)
    ax.set_xlim(-0.3, 2.9)
    ax.set_ylim(-0.4, 4.4)
    ax.axis("off")
    return fig


def describe_graph():
    """Return alt text for the graph drawing, read off the edge list and its paths."""
    computed = [n for n in GRAPH["nodes"] if n not in INPUT_NODES]
    feeds = "; ".join(f"{', '.join(parents(n))} feed {n}" for n in computed)
    counts = ", ".join(f"{n} by {len(paths(n, OUTPUT))}" for n in INPUT_NODES)
    return (f"Computation graph with {len(GRAPH['nodes'])} nodes and {len(GRAPH['edges'])} arrows: {feeds}. "
            f"Each arrow is labelled with its local partial derivative. Paths from each input to {OUTPUT}: {counts}.")


def publish(page):
    inputs = {name: float(INPUTS[name]) for name in INPUT_NODES}
    for name in INPUT_NODES:
        page.input(name, INPUTS[name])
    values = evaluate(inputs)
    for node in ("a", "b", "v"):
        # Binary fractions at this point (v = 81/32): the shortest exact text, not a rounded one.
        page.value(f"value_{node}", values[node], digits=None)
    page.figure("graph", plot_graph(), alt=describe_graph(),
                caption="The computation graph, drawn from the edge list in the solution module. "
                        "An input reaches $v$ once for every directed path; the chain rule adds one term per path.")

    local = local_partials(values)
    sym_local, sym_total = sympy_derivatives(inputs)
    edges = GRAPH["edges"]
    page.table("local_table", ["local partial", "hand formula", "central difference", "sympy"],
               [rf"\partial {node} / \partial {u}" for u, node in edges],
               [[local[e], numeric_local_partial(values, e), sym_local[e]] for e in edges],
               digits=[6, 6, 6], rtol=[1e-12, 1e-8, 1e-12], atol=[0, 1e-12, 0])
    totals = [total_derivative(local, n) for n in INPUT_NODES]
    page.table("total_table", ["chain rule", "sum over paths", "central difference of $v$", "sympy"],
               [chain_rule_latex(n) for n in INPUT_NODES],
               [[total, numeric_total(inputs, n), sym_total[n]] for n, total in zip(INPUT_NODES, totals)],
               digits=[6, 6, 6], rtol=[1e-12, 1e-8, 1e-12], atol=[0, 1e-12, 0])
    page.value("totals", totals, row=True)
    # The same derivatives from the boxed closed forms: binary fractions here, shown exactly.
    closed = closed_form_totals(inputs)
    page.value("totals_exact", [closed[n] for n in INPUT_NODES], digits=fmt.EXACT, row=True)
    wrong = one_path_totals(inputs)
    page.mistake("totals_one_path_mistake", [wrong[n] for n in INPUT_NODES], of="totals_exact", digits=fmt.EXACT,
                 row=True, why="kept only the path through a for x and y, dropping the b-term of the chain rule")
