"""Problem 3: batchnorm (training mode) of the batch {1, 7, 7, 9} with gamma = 1, beta = 0."""

import numpy as np

from solutions.toolkit import fmt
from solutions.toolkit.layers import batchnorm_forward

INPUTS = {
    "batch": [1, 7, 7, 9],
    "gamma": 1,
    "beta": 0,
    "eps": 0,  # the question asks for exact standardization
    "eps_practical": 1e-5,  # what implementations add, to compare
}


def publish(page):
    x = np.asarray(INPUTS["batch"], dtype=float)
    gamma, beta, eps, eps_practical = (INPUTS[name] for name in ("gamma", "beta", "eps", "eps_practical"))
    page.input("batch", INPUTS["batch"], row=True)
    for name in ("gamma", "beta", "eps", "eps_practical"):
        page.input(name, INPUTS[name])
    page.input("m", x.size)

    batch_only = ("batch",)
    mean = x.mean()
    var = ((x - mean) ** 2).mean()  # biased: divide by m, as batchnorm does
    page.value("mean", mean, inputs=batch_only)
    page.value("deviations", x - mean, row=True, inputs=batch_only)
    page.value("squared_deviations", (x - mean) ** 2, row=True, inputs=batch_only)
    page.value("sum_squared_deviations", ((x - mean) ** 2).sum(), inputs=batch_only)
    page.value("var", var, inputs=batch_only)
    page.value("std", np.sqrt(var), inputs=batch_only)

    question = ("batch", "gamma", "beta", "eps")
    out, _ = batchnorm_forward(x, gamma, beta, eps)
    # Boxed exactly (-5/3, 1/3, 1/3, 1), with the same values in decimals beside.
    page.value("out", out, digits=fmt.EXACT, row=True, inputs=question)
    page.value("out_decimals", out, row=True, inputs=question)
    # The mean is zero up to roundoff (~1e-16); rounding shows it as the 0 it is.
    page.value("out_mean", np.round(out.mean(), 12) + 0.0, atol=1e-12, inputs=question)
    page.value("out_var", ((out - out.mean()) ** 2).mean(), inputs=question)

    practical = ("batch", "gamma", "beta", "eps_practical")
    out_eps, _ = batchnorm_forward(x, gamma, beta, eps_practical)
    page.value("out_eps", out_eps, digits=8, row=True, inputs=practical)
    page.value("eps_shift", np.max(np.abs(out_eps - out)), digits=3, rtol=1e-6, inputs=practical)
    page.value("eps_factor", np.sqrt(var / (var + eps_practical)), digits=8, inputs=("batch", "eps_practical"))

    # The typical slip: the unbiased sample variance (divide by m - 1) in place of batchnorm's.
    var_unbiased = ((x - mean) ** 2).sum() / (x.size - 1)
    out_unbiased = (x - mean) / np.sqrt(var_unbiased)
    page.value("var_unbiased", var_unbiased, inputs=batch_only)
    page.value("out_unbiased", out_unbiased, row=True, inputs=batch_only)
    page.mistake("out_unbiased_mistake", out_unbiased, of="out", digits=fmt.EXACT, row=True,
                 inputs=batch_only, why="divided the variance by m - 1 (the unbiased sample variance) instead of m")
    # Its variance in batchnorm's sense (divide by m) is (m - 1)/m, not 1.
    out_unbiased_var = ((out_unbiased - out_unbiased.mean()) ** 2).mean()
    page.value("out_unbiased_var", out_unbiased_var, digits=fmt.EXACT, inputs=batch_only)
