"""Problem 2: backpropagation on the computation graph of a one-hidden-layer MLP with a skip connection.

The graph is described once, in GRAPH: every node names its operation and its inputs. The
forward pass, the backward pass, the list of cached values, the operation counts and the
figure are all read off that one description. Shapes: x, u, z2, yhat, y: (d,); W1: (m, d);
b1, z1, h: (m,); W2: (d, m); b2: (d,); J a scalar.
"""

from dataclasses import dataclass

import numpy as np

from solutions.toolkit.activations import relu, relu_grad, sigmoid
from solutions.toolkit.figures import COLORS, new_figure
from solutions.toolkit.gradcheck import check_gradients
from solutions.toolkit.layers import affine_backward, affine_forward

INPUTS = {
    "x": [0.5, -1.0],  # d = 2
    "W1": [[0.4, -0.6], [0.3, 0.8], [-0.5, 0.2]],  # m = 3 hidden units
    "b1": [0.1, -0.2, 0.6],
    "W2": [[0.7, -0.4, 0.2], [-0.3, 0.5, 0.6]],
    "b2": [0.05, -0.1],
    "y": [1.0, 0.0],
    "widths": [4, 16, 64, 256, 1024],  # hidden widths m for the operation counts, input size d as above
}


@dataclass(frozen=True)
class Node:
    name: str
    op: str  # a key of OPS, or "input" / "parameter" / "label" for a value given from outside
    inputs: tuple = ()
    tex: str = ""  # LaTeX symbol


GRAPH = (
    Node("x", "input", tex="x"),
    Node("W1", "parameter", tex="W_1"),
    Node("b1", "parameter", tex="b_1"),
    Node("z1", "affine", ("W1", "x", "b1"), "z_1"),
    Node("h", "relu", ("z1",), "h"),
    Node("W2", "parameter", tex="W_2"),
    Node("b2", "parameter", tex="b_2"),
    Node("u", "affine", ("W2", "h", "b2"), "u"),
    Node("z2", "add", ("u", "x"), "z_2"),  # the skip connection: x joins again here
    Node("yhat", "sigmoid", ("z2",), r"\hat y"),
    Node("y", "label", tex="y"),
    Node("J", "bce", ("yhat", "y"), "J"),
)


@dataclass(frozen=True)
class Op:
    """One operation: forward(*inputs) -> out; backward(dout, inputs, out) -> a gradient per input.

    reads: which forward values the backward step uses ("in0", "in1", ..., "out"): what must be cached.
    cost, backward_cost: scalar operations from the input shapes (one multiply-add, or one
    elementwise evaluation, counts as one).
    """

    forward: object
    backward: object
    reads: tuple
    cost: object
    backward_cost: object


def _in_node_order(dv, dW, db):
    """Return core's affine gradients (dv, dW, db) in the graph's input order (W, v, b)."""
    return dW, dv, db


OPS = {
    # W @ v + b: dW = dout v^T, dv = W^T dout, db = dout. Forward M(D + 1); backward 2MD (db is a copy).
    "affine": Op(lambda W, v, b: affine_forward(v, W, b)[0],
                 lambda dout, ins, out: _in_node_order(*affine_backward(dout, (ins[1], ins[0]))),
                 ("in0", "in1"), lambda W_shape, v_shape, b_shape: W_shape[0] * (W_shape[1] + 1),
                 lambda W_shape, v_shape, b_shape: 2 * W_shape[0] * W_shape[1]),
    "relu": Op(relu, lambda dout, ins, out: (dout * relu_grad(ins[0]),), ("in0",),
               lambda z_shape: z_shape[0], lambda z_shape: z_shape[0]),
    "add": Op(lambda a, b: a + b, lambda dout, ins, out: (dout, dout), (),
              lambda a_shape, b_shape: a_shape[0], lambda a_shape, b_shape: 0),
    # sigma' = sigma (1 - sigma) from the output: the loss needs yhat cached anyway, z2 need not be kept.
    "sigmoid": Op(sigmoid, lambda dout, ins, out: (dout * out * (1 - out),), ("out",),
                  lambda z_shape: z_shape[0], lambda z_shape: z_shape[0]),
    # J = sum_j -y_j log yhat_j - (1 - y_j) log(1 - yhat_j); dJ/dyhat = (yhat - y) / (yhat (1 - yhat)).
    "bce": Op(lambda p, y: float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))),
              lambda dout, ins, out: (dout * (ins[0] - ins[1]) / (ins[0] * (1 - ins[0])), None),
              ("in0", "in1"), lambda p_shape, y_shape: p_shape[0], lambda p_shape, y_shape: p_shape[0]),
}
NODES = {node.name: node for node in GRAPH}
FORMULA = {"affine": "{out} = {in0} {in1} + {in2}", "relu": r"{out} = \max(0, {in0})", "add": "{out} = {in0} + {in1}",
           "sigmoid": r"{out} = \sigma({in0})", "bce": r"{out} = \mathrm{{BCE}}({in0}, {in1})"}


def formula(node):
    """Return the node's definition in LaTeX, e.g. 'z_1 = W_1 x + b_1', or its symbol for a source."""
    if node.op not in OPS:
        return node.tex
    return FORMULA[node.op].format(out=node.tex, **{f"in{k}": NODES[i].tex for k, i in enumerate(node.inputs)})


def forward(values):
    """Return every node's value: values gives the sources (x, W1, b1, W2, b2, y) as arrays."""
    out = {name: np.asarray(v, dtype=float) for name, v in values.items()}
    for node in GRAPH:
        if node.op in OPS:
            out[node.name] = OPS[node.op].forward(*(out[i] for i in node.inputs))
    return out


def backward(cache):
    """Return dJ/d(node) for every node but the label, walking GRAPH in reverse from dJ/dJ = 1.

    A node used twice (x, by z1 and by the skip) sums the gradients from both uses.
    """
    grads = {"J": 1.0}
    for node in reversed(GRAPH):
        if node.op not in OPS:
            continue
        ins = [cache[i] for i in node.inputs]
        for name, g in zip(node.inputs, OPS[node.op].backward(grads[node.name], ins, cache[node.name])):
            if g is not None:
                grads[name] = grads[name] + g if name in grads else g
    return grads


def loss(values):
    """Return J at the given sources."""
    return forward(values)["J"]


def cached():
    """Return [(cached node, the node whose backward step reads it)] for values computed or fed in.

    Parameters and the label are left out: they are held whatever the backward pass needs.
    """
    reads = []
    for node in GRAPH:
        if node.op in OPS:
            names = {f"in{k}": name for k, name in enumerate(node.inputs)} | {"out": node.name}
            reads += [(names[r], node.name) for r in OPS[node.op].reads if NODES[names[r]].op not in ("parameter", "label")]
    return reads


def cached_by_value():
    """Return [(cached node, (nodes whose backward steps read it, ...))]: each cached value once, in graph order."""
    readers = {}
    for name, step in cached():
        readers.setdefault(name, []).append(step)
    return [(name, tuple(steps)) for name, steps in readers.items()]


def shapes_of(d, m):
    """Return {node: shape} for input size d and hidden width m, by running the graph on zeros."""
    zeros = {"x": np.zeros(d), "W1": np.zeros((m, d)), "b1": np.zeros(m), "W2": np.zeros((d, m)),
             "b2": np.zeros(d), "y": np.zeros(d)}
    # At zeros yhat = sigmoid(0) = 1/2, so the loss's logs are finite: no floating-point warning to silence.
    return {name: np.shape(v) for name, v in forward(zeros).items()}


def op_counts(d, m):
    """Return (parameters P, forward F, backward B) as counted on the graph.

    B includes the additions where two gradients meet (x, used twice), so backprop costs F + B;
    per-parameter central differences cost two forward passes per parameter, 2 P F.
    """
    shapes = shapes_of(d, m)
    forward_cost = sum(OPS[n.op].cost(*(shapes[i] for i in n.inputs)) for n in GRAPH if n.op in OPS)
    backward_cost = sum(OPS[n.op].backward_cost(*(shapes[i] for i in n.inputs)) for n in GRAPH if n.op in OPS)
    uses = [i for n in GRAPH if n.op in OPS for i in n.inputs]
    accumulations = sum(int(np.prod(shapes[name])) * (uses.count(name) - 1) for name in set(uses)
                        if NODES[name].op != "label")
    parameters = sum(int(np.prod(shapes[n.name])) for n in GRAPH if n.op == "parameter")
    return parameters, forward_cost, backward_cost + accumulations


def layout():
    """Return {node: (column, row)}: operations one column right of their deepest input; sources
    one column left of their first consumer; nodes that depend on x on row 0, the others below."""
    column, on_spine = {}, {"x"}
    for node in GRAPH:
        if node.op in OPS:
            column[node.name] = 1 + max(column.get(i, 0) for i in node.inputs)
            if on_spine & set(node.inputs):
                on_spine.add(node.name)
    position, below = {}, {}
    for node in GRAPH:
        if node.op in OPS or node.name == "x":
            position[node.name] = (column.get(node.name, 0), 0)
        else:
            col = min(column[n.name] for n in GRAPH if node.name in n.inputs) - 1
            below[col] = below.get(col, 0) + 1
            position[node.name] = (col, -below[col])
    return position


def plot_graph(shapes):
    """Return a figure of GRAPH: one box per node (symbol, operation, shape), one arrow per edge."""
    position = layout()
    colour = {"input": COLORS[0], "label": COLORS[0], "parameter": COLORS[1]}
    fig, ax = new_figure(9.6, 3.4)
    boxes = {}
    for node in GRAPH:
        shape = r" \times ".join(map(str, shapes[node.name])) or "1"
        what = "" if node.op in OPS else f"\n{node.op}"
        boxes[node.name] = ax.text(*position[node.name], f"${formula(node)}${what}\n${shape}$", ha="center",
                                   va="center", fontsize=9, bbox={"boxstyle": "round,pad=0.4", "fc": "none", "lw": 1.5,
                                                                  "ec": colour.get(node.op, COLORS[2])})
    for node in GRAPH:  # after every box, so each arrow is clipped to the boxes it joins
        for source in node.inputs:
            skip = position[source][1] == position[node.name][1] and position[node.name][0] - position[source][0] > 1
            ax.annotate("", xy=position[node.name], xytext=position[source],
                        arrowprops={"arrowstyle": "-|>", "shrinkA": 1, "shrinkB": 1, "color": COLORS[4] if skip else None,
                                    "patchA": boxes[source].get_bbox_patch(), "patchB": boxes[node.name].get_bbox_patch(),
                                    "connectionstyle": "arc3,rad=-0.25" if skip else "arc3"})
    columns = [p[0] for p in position.values()]
    rows = [p[1] for p in position.values()]
    ax.set(xlim=(min(columns) - 0.5, max(columns) + 0.5), ylim=(min(rows) - 0.6, 1.3))
    ax.axis("off")
    return fig


def describe_graph(shapes):
    """Return alt text listing the nodes with their shapes and every edge, from GRAPH."""
    nodes = ", ".join(f"{n.name} ({' x '.join(map(str, shapes[n.name])) or 'scalar'}, {n.op})" for n in GRAPH)
    edges = ", ".join(f"{i} -> {n.name}" for n in GRAPH for i in n.inputs)
    return f"Computation graph with nodes {nodes}. Edges: {edges}; the edge x -> z2 is the skip connection."


SOURCES = ("x", "W1", "b1", "W2", "b2", "y")
SYMBOL = {"W1": "{W_1}", "b1": "b_1", "W2": "{W_2}", "b2": "b_2", "x": "x"}  # braces: W_1 takes an index


def publish(page):
    sources = {name: np.asarray(INPUTS[name], dtype=float) for name in SOURCES}
    for name in SOURCES:
        page.input(name, INPUTS[name])
    page.input("widths", INPUTS["widths"], row=True)
    d, m = sources["W1"].shape[1], sources["W1"].shape[0]
    page.input("d", d)
    page.input("m", m)
    cache = forward(sources)
    grads = backward(cache)
    for name in ("z1", "h", "u", "z2", "yhat"):
        page.value(name, cache[name], row=True, inputs=SOURCES)
    page.value("J", cache["J"], digits=6, inputs=SOURCES)
    page.value("yhat_minus_y", cache["yhat"] - sources["y"], digits=6, inputs=SOURCES)
    for name in ("z2", "u", "W2", "b2", "h", "z1", "W1", "b1", "x"):
        page.value(f"dJ_d{name}", grads[name], digits=6, inputs=SOURCES)
    page.value("dx_through_z1", sources["W1"].T @ grads["z1"], digits=6, inputs=SOURCES)

    shapes = shapes_of(d, m)
    listed = ("x", "W1", "b1", "z1", "h", "W2", "b2", "u", "z2", "yhat", "y")
    page.table("shapes", ["value", "rows", "columns"], [NODES[n].tex for n in listed],
               [[shapes[n][0], shapes[n][1] if len(shapes[n]) > 1 else 1] for n in listed], inputs=("x", "W1"),
               statement=True)
    params = {SYMBOL[n]: sources[n] for n in SYMBOL}
    checks = check_gradients(lambda p: loss({**sources, **{n: p[SYMBOL[n]] for n in SYMBOL}}), params,
                             {SYMBOL[n]: grads[n] for n in SYMBOL})
    page.gradient_table("gradient_table", checks, wrt="J", inputs=SOURCES)

    by_value = cached_by_value()
    page.table("cache", ["cached value, read by the backward step of", "entries"],
               [rf"{NODES[n].tex} \quad \text{{for }} " + r" \text{ and } ".join(formula(NODES[s]) for s in steps)
                for n, steps in by_value],
               [[int(np.prod(shapes[n]))] for n, _ in by_value], inputs=("x", "W1"))
    page.figure("graph", plot_graph(shapes), alt=describe_graph(shapes),
                caption="The assumed graph, drawn from the same node list the code differentiates. Blue: input and "
                        "label; red: parameters; green: operations; orange: the skip connection.")

    rows = []
    for width in INPUTS["widths"]:
        P, F, B = op_counts(d, width)
        rows.append([P, F, F + B, 2 * P * F, 2 * P * F / (F + B)])
    page.table("op_counts", ["hidden width $m$", "parameters $P$", "forward pass $F$", "backprop $F + B$",
                             "finite differences $2PF$", "ratio"], [str(w) for w in INPUTS["widths"]], rows,
               digits=[0, 0, 0, 0, 1], inputs=("x", "widths"))
