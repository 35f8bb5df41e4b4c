"""One figure style, and SVG output that is byte-identical from one build to the next."""

import io

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402

STYLE = {
    "svg.hashsalt": "worked-solutions",  # fixed ids inside the SVG, else random per run
    "svg.fonttype": "path",  # text as outlines: no font needed in the browser, no request
    "font.family": "DejaVu Sans",  # ships with matplotlib, so every machine draws the same glyphs
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
    "lines.linewidth": 2,
    "legend.frameon": False,
}
# Applied once for the whole process: styles take effect when artists are drawn, so a
# context manager around figure creation alone would miss the plotting calls.
plt.rcParams.update(STYLE)

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"]


def new_figure(width=6.4, height=3.6, ncols=1):
    """Return (fig, axes) drawn in the project's style."""
    return plt.subplots(1, ncols, figsize=(width, height), layout="constrained")


def to_svg(fig):
    """Return the figure as SVG bytes, with no date and fixed ids, and close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()
