"""Problem 2: dropout on weights, w' = m w with m ~ Bernoulli(1 - p); E[w'] = (1 - p) w, and what inference must do.

Shapes: w and x (n,) the weights and inputs of one unit; a mask matrix (samples, n).
"""

import numpy as np

INPUTS = {
    "p": 0.3,
    "w": [0.8, -1.5, 2.0, 0.4, -0.6],
    "x": [1.0, -0.5, 0.8, 2.0, -1.0],
    "samples": 100000,
    "seed": 4,
}


def masks(rng, p, samples, n):
    """Return a (samples, n) array of independent Bernoulli(1 - p) keep-masks: 1 keeps a weight, 0 drops it."""
    return (rng.random((samples, n)) >= p).astype(float)


def dropped_weights(w, mask, p, inverted=False):
    """Return the training-time weights m * w, or m * w / (1 - p) for inverted dropout. mask: (samples, n)."""
    scale = 1.0 / (1.0 - p) if inverted else 1.0
    return mask * np.asarray(w, float) * scale


def mean_and_standard_error(samples):
    """Return (mean, standard error of the mean) along axis 0: std / sqrt(count)."""
    samples = np.asarray(samples, float)
    return samples.mean(axis=0), samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])


def publish(page):
    p, w, x = INPUTS["p"], np.asarray(INPUTS["w"], float), np.asarray(INPUTS["x"], float)
    page.input("p", p)
    page.input("w", INPUTS["w"], row=True)
    page.input("x", INPUTS["x"], row=True)
    page.input("samples", INPUTS["samples"])
    page.input("seed", INPUTS["seed"])
    page.value("keep", 1 - p, inputs=("p",))
    page.value("expected_w", (1 - p) * w, row=True, inputs=("p", "w"))
    page.mistake("expected_w_drop_as_keep", p * w, of="expected_w", row=True, inputs=("p", "w"),
                 why="took p, the probability of dropping a weight, as the probability of keeping it")

    # Monte Carlo: the seed fixes the draws, so the key can hold the estimates exactly.
    mask = masks(np.random.default_rng(INPUTS["seed"]), p, INPUTS["samples"], w.size)
    page.value("keep_fraction", mask.mean(), inputs=("p", "samples", "seed"))
    dropped = dropped_weights(w, mask, p)
    mean, se = mean_and_standard_error(dropped)
    exact = (1 - p) * w
    z_scores = (mean - exact) / se
    page.table("expectation", ["$i$", "$w_i$", "$(1-p)\\,w_i$", "Monte Carlo mean of $w_i'$",
                               "standard error", "$\\sqrt{p(1-p)}\\,\\lvert w_i\\rvert/\\sqrt{N}$", "(mean $-$ exact) / s.e."],
               [str(i + 1) for i in range(w.size)],
               np.column_stack([w, exact, mean, se, np.sqrt(p * (1 - p)) * np.abs(w) / np.sqrt(INPUTS["samples"]),
                                z_scores]),
               digits=[4, 4, 4, 5, 5, 2], inputs=("p", "w", "samples", "seed"))
    page.value("max_z", np.max(np.abs(z_scores)), digits=2, inputs=("p", "w", "samples", "seed"))

    # The unit's pre-activation a = w' . x: its training mean against each inference rule.
    train_mean, train_se = mean_and_standard_error(dropped @ x)
    inv_mean, inv_se = mean_and_standard_error(dropped_weights(w, mask, p, inverted=True) @ x)
    a_expected = exact @ x  # E[a] = (1 - p) w . x
    rows = [[train_mean, train_se], [w @ x, 0.0], [a_expected, 0.0], [inv_mean, inv_se], [w @ x, 0.0]]
    page.table("preactivation", ["rule", "pre-activation $a$", "standard error"],
               [r"\text{training: } m \odot w \text{ (mean over masks)}",
                r"\text{inference: } w \text{ unchanged}",
                r"\text{inference: } (1-p)\,w",
                r"\text{training, inverted: } m \odot w / (1-p) \text{ (mean)}",
                r"\text{inference after inverted dropout: } w"],
               np.array(rows), digits=[4, 4])
    # Inverted dropout reuses the same masks scaled by 1 / (1 - p), so its z-score is the same number.
    page.value("z_train", (train_mean - a_expected) / train_se, digits=2)
    page.value("a_expected", a_expected, inputs=("p", "w", "x"))
    page.value("a_full", w @ x, inputs=("w", "x"))
    page.mistake("a_unscaled", w @ x, of="a_expected", inputs=("w", "x"),
                 why="used the full weights w at inference after standard (not inverted) dropout")
    page.value("naive_ratio", 1 / (1 - p), inputs=("p",))
    page.value("var_w", p * (1 - p) * w**2, row=True, inputs=("p", "w"))
