"""Problem 3: batchnorm (training mode) of the batch {1, 7, 7, 9} with gamma = 1, beta = 0."""

import numpy as np

from solutions.core.layers import batchnorm_forward

INPUTS = {"batch": [1, 7, 7, 9], "gamma": 1, "beta": 0, "eps": 1e-5}


def publish(page):
    x = np.asarray(INPUTS["batch"], dtype=float)
    gamma, beta, eps = INPUTS["gamma"], INPUTS["beta"], INPUTS["eps"]
    page.input("batch", INPUTS["batch"])
    page.input("gamma", gamma)
    page.input("beta", beta)
    page.input("eps", eps)
    page.input("m", x.size)

    mean = x.mean()
    var = ((x - mean) ** 2).mean()  # biased: divide by m, as batchnorm does
    page.value("mean", mean)
    page.value("deviations", x - mean)
    page.value("squared_deviations", (x - mean) ** 2)
    page.value("sum_squared_deviations", ((x - mean) ** 2).sum())
    page.value("var", var)
    page.value("std", np.sqrt(var))

    out, _ = batchnorm_forward(x, gamma, beta, eps=0.0)
    page.value("out", out)
    # The mean is zero up to roundoff (~1e-16); rounding shows it as the 0 it is.
    page.value("out_mean", np.round(out.mean(), 12) + 0.0, atol=1e-12)
    page.value("out_var", ((out - out.mean()) ** 2).mean())

    out_eps, _ = batchnorm_forward(x, gamma, beta, eps)
    page.value("out_eps", out_eps, digits=8)
    page.value("eps_shift", np.max(np.abs(out_eps - out)), digits=3, rtol=1e-6)
    page.value("eps_factor", np.sqrt(var / (var + eps)), digits=8)

    var_unbiased = ((x - mean) ** 2).sum() / (x.size - 1)
    page.value("var_unbiased", var_unbiased)
    page.value("out_unbiased", (x - mean) / np.sqrt(var_unbiased))
