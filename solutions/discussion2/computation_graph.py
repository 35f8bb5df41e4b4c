"""Problem 2: backpropagation on the computation graph of a one-hidden-layer MLP with a skip connection.

A graph is described once, as a tuple of nodes: every node names its operation and its inputs.
The forward pass, the backward pass, the list of cached values, the operation counts and the
figure are all read off that one description. Two graphs are solved:

- WORKSHEET, the worksheet's model: sigmoid hidden layer, sigmoid output, one binary
  cross-entropy. Shapes: x, u, z2, yhat, y, b2: (1,) (d = 1: the skip adds the scalar x to a
  scalar); W1: (m, 1); b1, z1, h: (m,); W2: (1, m); J a scalar.
- VARIANT, a generalisation: ReLU hidden layer and d outputs. Shapes: x, u, z2, yhat, y, b2:
  (d,); W1: (m, d); b1, z1, h: (m,); W2: (d, m); J, the sum of d binary cross-entropies.
"""

from dataclasses import dataclass

import numpy as np

from solutions.toolkit.activations import relu, relu_grad, sigmoid
from solutions.toolkit.figures import COLORS, new_figure
from solutions.toolkit.gradcheck import check_gradients
from solutions.toolkit.layers import affine_backward, affine_forward
from solutions.toolkit.losses import binary_cross_entropy

INPUTS = {
    # The worksheet's model (d = 1): scalar x, y, b2; W1 is m x 1 and W2 is 1 x m.
    "sig_x": 0.5,
    "sig_W1": [[0.8], [-0.5], [0.3]],  # m = 3 hidden units
    "sig_b1": [0.1, 0.2, -0.4],
    "sig_W2": [[0.7, -0.4, 0.6]],
    "sig_b2": -0.1,
    "sig_y": 1.0,
    # The variant (d = 2, ReLU hidden layer):
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


def graph(hidden):
    """Return the worksheet's graph with the given hidden nonlinearity (a key of OPS)."""
    return (
        Node("x", "input", tex="x"),
        Node("W1", "parameter", tex="W_1"),
        Node("b1", "parameter", tex="b_1"),
        Node("z1", "affine", ("W1", "x", "b1"), "z_1"),
        Node("h", hidden, ("z1",), "h"),
        Node("W2", "parameter", tex="W_2"),
        Node("b2", "parameter", tex="b_2"),
        Node("u", "affine", ("W2", "h", "b2"), "u"),
        Node("z2", "add", ("u", "x"), "z_2"),  # the skip connection: x joins again here
        Node("yhat", "sigmoid", ("z2",), r"\hat y"),
        Node("y", "label", tex="y"),
        Node("J", "bce", ("yhat", "y"), "J"),
    )


WORKSHEET = graph("sigmoid")  # as the worksheet poses it
VARIANT = graph("relu")  # the same graph with a ReLU hidden layer


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
    "bce": Op(lambda p, y: binary_cross_entropy(p, y)[0],
              lambda dout, ins, out: (dout * binary_cross_entropy(*ins)[1], None),
              ("in0", "in1"), lambda p_shape, y_shape: p_shape[0], lambda p_shape, y_shape: p_shape[0]),
}
FORMULA = {"affine": "{out} = {in0} {in1} + {in2}", "relu": r"{out} = \max(0, {in0})", "add": "{out} = {in0} + {in1}",
           "sigmoid": r"{out} = \sigma({in0})", "bce": r"{out} = \mathrm{{BCE}}({in0}, {in1})"}


def nodes_of(graph):
    """Return {name: node} of a graph."""
    return {node.name: node for node in graph}


def formula(node, graph):
    """Return the node's definition in LaTeX, e.g. 'z_1 = W_1 x + b_1', or its symbol for a source."""
    if node.op not in OPS:
        return node.tex
    nodes = nodes_of(graph)
    return FORMULA[node.op].format(out=node.tex, **{f"in{k}": nodes[i].tex for k, i in enumerate(node.inputs)})


def forward(values, graph):
    """Return every node's value: values gives the sources (x, W1, b1, W2, b2, y) as arrays."""
    out = {name: np.asarray(v, dtype=float) for name, v in values.items()}
    for node in graph:
        if node.op in OPS:
            out[node.name] = OPS[node.op].forward(*(out[i] for i in node.inputs))
    return out


def backward(cache, graph):
    """Return dJ/d(node) for every node but the label, walking the graph in reverse from dJ/dJ = 1.

    A node used twice (x, by z1 and by the skip) sums the gradients from both uses.
    """
    grads = {"J": 1.0}
    for node in reversed(graph):
        if node.op not in OPS:
            continue
        ins = [cache[i] for i in node.inputs]
        for name, g in zip(node.inputs, OPS[node.op].backward(grads[node.name], ins, cache[node.name])):
            if g is not None:
                grads[name] = grads[name] + g if name in grads else g
    return grads


def loss(values, graph):
    """Return J at the given sources."""
    return forward(values, graph)["J"]


def cached(graph):
    """Return [(cached node, the node whose backward step reads it)] for values computed or fed in.

    Parameters and the label are left out: they are held whatever the backward pass needs.
    """
    reads, nodes = [], nodes_of(graph)
    for node in graph:
        if node.op in OPS:
            names = {f"in{k}": name for k, name in enumerate(node.inputs)} | {"out": node.name}
            reads += [(names[r], node.name) for r in OPS[node.op].reads if nodes[names[r]].op not in ("parameter", "label")]
    return reads


def cached_by_value(graph):
    """Return [(cached node, (nodes whose backward steps read it, ...))]: each cached value once, in graph order."""
    readers = {}
    for name, step in cached(graph):
        readers.setdefault(name, []).append(step)
    return [(name, tuple(steps)) for name, steps in readers.items()]


def shapes_of(d, m, graph):
    """Return {node: shape} for input size d and hidden width m, by running the graph on zeros."""
    zeros = {"x": np.zeros(d), "W1": np.zeros((m, d)), "b1": np.zeros(m), "W2": np.zeros((d, m)),
             "b2": np.zeros(d), "y": np.zeros(d)}
    # At zeros yhat = sigmoid(0) = 1/2, so the loss's logs are finite: no floating-point warning to silence.
    return {name: np.shape(v) for name, v in forward(zeros, graph).items()}


def op_counts(d, m, graph):
    """Return (parameters P, forward F, backward B) as counted on the graph.

    B includes the additions where two gradients meet (x, used twice), so backprop costs F + B;
    per-parameter central differences cost two forward passes per parameter, 2 P F.
    """
    shapes, nodes = shapes_of(d, m, graph), nodes_of(graph)
    forward_cost = sum(OPS[n.op].cost(*(shapes[i] for i in n.inputs)) for n in graph if n.op in OPS)
    backward_cost = sum(OPS[n.op].backward_cost(*(shapes[i] for i in n.inputs)) for n in graph if n.op in OPS)
    uses = [i for n in graph if n.op in OPS for i in n.inputs]
    accumulations = sum(int(np.prod(shapes[name])) * (uses.count(name) - 1) for name in set(uses)
                        if nodes[name].op != "label")
    parameters = sum(int(np.prod(shapes[n.name])) for n in graph if n.op == "parameter")
    return parameters, forward_cost, backward_cost + accumulations


def layout(graph):
    """Return {node: (column, row)}: operations one column right of their deepest input; sources
    one column left of their first consumer; nodes that depend on x on row 0, the others below."""
    column, on_spine = {}, {"x"}
    for node in graph:
        if node.op in OPS:
            column[node.name] = 1 + max(column.get(i, 0) for i in node.inputs)
            if on_spine & set(node.inputs):
                on_spine.add(node.name)
    position, below = {}, {}
    for node in graph:
        if node.op in OPS or node.name == "x":
            position[node.name] = (column.get(node.name, 0), 0)
        else:
            col = min(column[n.name] for n in graph if node.name in n.inputs) - 1
            below[col] = below.get(col, 0) + 1
            position[node.name] = (col, -below[col])
    return position


def plot_graph(shapes, graph):
    """Return a figure of the graph: one box per node (symbol, operation, shape), one arrow per edge."""
    position = layout(graph)
    colour = {"input": COLORS[0], "label": COLORS[0], "parameter": COLORS[1]}
    fig, ax = new_figure(9.6, 3.4)
    boxes = {}
    for node in graph:
        shape = r" \times ".join(map(str, shapes[node.name])) or "1"
        what = "" if node.op in OPS else f"\n{node.op}"
        boxes[node.name] = ax.text(*position[node.name], f"${formula(node, graph)}${what}\n${shape}$", ha="center",
                                   va="center", fontsize=9, bbox={"boxstyle": "round,pad=0.4", "fc": "none", "lw": 1.5,
                                                                  "ec": colour.get(node.op, COLORS[2])})
    for node in graph:  # after every box, so each arrow is clipped to the boxes it joins
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


def describe_graph(shapes, graph):
    """Return alt text listing the nodes with their shapes and every edge, from the graph."""
    nodes = ", ".join(f"{n.name} ({' x '.join(map(str, shapes[n.name])) or 'scalar'}, {n.op})" for n in graph)
    edges = ", ".join(f"{i} -> {n.name}" for n in graph for i in n.inputs)
    return f"Computation graph with nodes {nodes}. Edges: {edges}; the edge x -> z2 is the skip connection."


SOURCES = ("x", "W1", "b1", "W2", "b2", "y")  # the variant's inputs, and every graph's source nodes
SIG_SOURCES = tuple(f"sig_{name}" for name in SOURCES)  # the worksheet model's inputs
SYMBOL = {"W1": "{W_1}", "b1": "b_1", "W2": "{W_2}", "b2": "b_2", "x": "x"}  # braces: W_1 takes an index
LISTED = ("x", "W1", "b1", "z1", "h", "W2", "b2", "u", "z2", "yhat", "y")  # the shapes table's rows


def worksheet_sources():
    """Return the worksheet model's sources as the graph's arrays: x, b2, y (1,); W1 (m, 1); b1 (m,); W2 (1, m)."""
    return {name: np.atleast_1d(np.asarray(INPUTS[f"sig_{name}"], dtype=float)) for name in SOURCES}


def dJ_dx_without_skip(sources, grads):
    """Return W1^T dJ/dz1, shape (d,): the gradient into x along the hidden layer only (the skip path dropped)."""
    return sources["W1"].T @ grads["z1"]


def dJ_db1_without_sigmoid_grad(sources, cache):
    """Return W2^T (yhat - y), shape (m,): dJ/db1 with the hidden sigmoid's factor h (1 - h) left out."""
    return sources["W2"].T @ (cache["yhat"] - sources["y"])


def dJ_dW2_without_error(cache):
    """Return h^T as (1, m): dz2/dW2 alone, the upstream factor dJ/dz2 = yhat - y left out."""
    return cache["h"][None, :]


def publish_graph_tables(page, prefix, graph, shapes, sources, grads, inputs):
    """Publish the graph's shapes (statement), cache and gradient-check tables; return the gradient-check rows."""
    nodes = nodes_of(graph)
    page.table(f"{prefix}shapes", ["value", "rows", "columns"], [nodes[n].tex for n in LISTED],
               [[shapes[n][0], shapes[n][1] if len(shapes[n]) > 1 else 1] for n in LISTED], inputs=inputs[:2],
               statement=True)
    by_value = cached_by_value(graph)
    page.table(f"{prefix}cache", ["cached value, read by the backward step of", "entries"],
               [rf"{nodes[n].tex} \quad \text{{for }} " + r" \text{ and } ".join(formula(nodes[s], graph) for s in steps)
                for n, steps in by_value],
               [[int(np.prod(shapes[n]))] for n, _ in by_value], inputs=inputs[:2])
    # Scalars (shape (1,) in the graph) are checked as scalars, so that their rows read J / x, not J / x_1.
    params = {SYMBOL[n]: sources[n] if sources[n].size > 1 else sources[n][0] for n in SYMBOL}
    checks = check_gradients(lambda p: loss({**sources, **{n: np.reshape(p[SYMBOL[n]], sources[n].shape)
                                                           for n in SYMBOL}}, graph), params,
                             {SYMBOL[n]: np.reshape(grads[n], np.shape(params[SYMBOL[n]])) for n in SYMBOL})
    page.gradient_table(f"{prefix}gradient_table", checks, wrt="J", inputs=inputs)
    # Central differences carry roundoff ~1e-10 relative, which differs between CPUs: the key claims 1e-6.
    page.value(f"{prefix}fd_max_rel", max(row.relative_error for row in checks), digits=2, atol=1e-6, inputs=inputs)


def publish_worksheet(page):
    """The worksheet's model: sigmoid hidden layer and output, scalar x and y, one binary cross-entropy."""
    for name in SOURCES:
        page.input(f"sig_{name}", INPUTS[f"sig_{name}"])
    sources = worksheet_sources()
    cache = forward(sources, WORKSHEET)
    grads = backward(cache, WORKSHEET)
    scalar = {name: float(cache[name][0]) for name in ("z2", "yhat")}
    page.value("sig_z1", cache["z1"], row=True, inputs=SIG_SOURCES)
    page.value("sig_h", cache["h"], row=True, inputs=SIG_SOURCES)
    page.value("sig_z2", scalar["z2"], inputs=SIG_SOURCES)
    page.value("sig_yhat", scalar["yhat"], inputs=SIG_SOURCES)
    page.value("sig_J", cache["J"], digits=6, inputs=SIG_SOURCES)
    page.value("sig_yhat_minus_y", scalar["yhat"] - sources["y"][0], digits=6, inputs=SIG_SOURCES)
    for name in ("z2", "b2", "x"):
        page.value(f"sig_dJ_d{name}", float(grads[name][0]), digits=6, inputs=SIG_SOURCES)
    for name in ("W2", "z1", "W1", "b1"):
        page.value(f"sig_dJ_d{name}", grads[name], digits=6, inputs=SIG_SOURCES)
    page.mistake("sig_dJ_dW2_no_error", dJ_dW2_without_error(cache), of="sig_dJ_dW2", digits=6, inputs=SIG_SOURCES,
                 why="left out the upstream factor dJ/dz2 = yhat - y and kept only dz2/dW2 = h^T")
    page.mistake("sig_dJ_db1_no_sigmoid_grad", dJ_db1_without_sigmoid_grad(sources, cache), of="sig_dJ_db1",
                 digits=6, inputs=SIG_SOURCES, why="left out the hidden sigmoid's derivative h (1 - h)")
    page.mistake("sig_dJ_dx_no_skip", float(dJ_dx_without_skip(sources, grads)[0]), of="sig_dJ_dx", digits=6,
                 inputs=SIG_SOURCES, why="dropped the chain-rule path through the skip connection, the term yhat - y")

    shapes = shapes_of(1, sources["W1"].shape[0], WORKSHEET)
    publish_graph_tables(page, "sig_", WORKSHEET, shapes, sources, grads, SIG_SOURCES)
    page.figure("sig_graph", plot_graph(shapes, WORKSHEET), alt=describe_graph(shapes, WORKSHEET),
                caption="The worksheet's graph as we read it, drawn from the same node list the code differentiates. "
                        "Blue: input and label; red: parameters; green: operations; orange: the skip connection.")


def publish_variant(page):
    """The variant: a ReLU hidden layer and d = 2 outputs, each with its own binary cross-entropy."""
    sources = {name: np.asarray(INPUTS[name], dtype=float) for name in SOURCES}
    for name in SOURCES:
        page.input(name, INPUTS[name])
    page.input("widths", INPUTS["widths"], row=True)
    d, m = sources["W1"].shape[1], sources["W1"].shape[0]
    page.input("d", d)
    page.input("m", m)
    cache = forward(sources, VARIANT)
    grads = backward(cache, VARIANT)
    for name in ("z1", "h", "u", "z2", "yhat"):
        page.value(name, cache[name], row=True, inputs=SOURCES)
    page.value("J", cache["J"], digits=6, inputs=SOURCES)
    page.value("yhat_minus_y", cache["yhat"] - sources["y"], digits=6, inputs=SOURCES)
    for name in ("z2", "u", "W2", "b2", "h", "z1", "W1", "b1", "x"):
        page.value(f"dJ_d{name}", grads[name], digits=6, inputs=SOURCES)
    page.value("dx_through_z1", dJ_dx_without_skip(sources, grads), digits=6, inputs=SOURCES)

    shapes = shapes_of(d, m, VARIANT)
    publish_graph_tables(page, "", VARIANT, shapes, sources, grads, SOURCES)
    page.figure("graph", plot_graph(shapes, VARIANT), alt=describe_graph(shapes, VARIANT),
                caption="The variant's graph, drawn from the same node list the code differentiates. Blue: input and "
                        "label; red: parameters; green: operations; orange: the skip connection.")

    rows = []
    for width in INPUTS["widths"]:
        P, F, B = op_counts(d, width, VARIANT)
        rows.append([P, F, F + B, 2 * P * F, 2 * P * F / (F + B)])
    page.table("op_counts", ["hidden width $m$", "parameters $P$", "forward pass $F$", "backprop $F + B$",
                             "finite differences $2PF$", "ratio"], [str(w) for w in INPUTS["widths"]], rows,
               digits=[0, 0, 0, 0, 1], inputs=("x", "widths"))


def publish(page):
    publish_worksheet(page)
    publish_variant(page)
