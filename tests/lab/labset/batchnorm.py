"""Batchnorm (training mode) of the batch {2, 3, 5, 11} with gamma = 1, beta = 0."""

import numpy as np

from solutions.toolkit.figures import new_figure
from solutions.toolkit.layers import batchnorm_forward

INPUTS = {"batch": [2, 3, 5, 11], "gamma": 1, "beta": 0, "eps": 0}
M = len(INPUTS["batch"])  # derived at import: explore.run must follow an edited batch here too


def publish(page):
    x = np.asarray(INPUTS["batch"], dtype=float)
    page.input("batch", INPUTS["batch"], row=True)
    for name in ("gamma", "beta", "eps"):
        page.input(name, INPUTS[name])
    page.input("m", x.size)

    batch_only = ("batch",)
    mean = x.mean()
    var = ((x - mean) ** 2).mean()
    page.value("mean", mean, inputs=batch_only)
    page.value("var", var, inputs=batch_only)
    page.value("std", np.sqrt(var), inputs=batch_only)
    out, _ = batchnorm_forward(x, INPUTS["gamma"], INPUTS["beta"], INPUTS["eps"])
    page.value("out", out, row=True)
    page.mistake("out_unbiased", (x - mean) / np.sqrt(((x - mean) ** 2).sum() / (x.size - 1)), of="out", row=True,
                 inputs=batch_only, why="divided the variance by m - 1 instead of m")

    fig, ax = new_figure(4, 2.5)
    ax.bar(range(x.size), out)
    ax.set_xlabel("example")
    ax.set_ylabel("batchnorm output")
    page.figure("outputs", fig, alt=f"Bar chart of the {M} batchnorm outputs, one bar per example, negative "
                "for the inputs below the mean and positive for those above it",
                caption="The batchnorm outputs of the batch.")
