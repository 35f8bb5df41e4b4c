"""One figure style, and SVG output that is byte-identical from one build to the next."""

import io
import re

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402

# Data colours: tab10's blue, red, green and purple, with its orange and cyan darkened so
# that every line has at least 3:1 contrast on white (tests/test_core.py checks both palettes).
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#d95f02", "#0f8b99"]

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
    "axes.prop_cycle": matplotlib.cycler(color=COLORS),  # unstyled lines use the project's colours too
}
# Applied once for the whole process: styles take effect when artists are drawn, so a
# context manager around figure creation alone would miss the plotting calls.
plt.rcParams.update(STYLE)


# The dark-palette variant of a figure swaps each colour of the light drawing for one that
# reads on Material's slate background (#1e2029): ink becomes light, paper becomes the
# page's background (so open markers stay "open"), and the data colours are lightened to
# keep their contrast. Colours not listed (colormaps, fills) are kept.
DARK = {
    "#000000": "#e2e4e9",  # text, axes, ticks
    "#ffffff": "#1e2029",  # figure and axes background, marker faces
    "#808080": "#9ea3ad",
    "#b0b0b0": "#6c717b",  # grid
    "#1f77b4": "#5aaaf0",
    "#d62728": "#ff6b6b",
    "#2ca02c": "#5fd35f",
    "#9467bd": "#c39bf0",
    "#d95f02": "#ffa04d",
    "#0f8b99": "#4fd8e8",
}
# A colour value in matplotlib's SVG: after ':' or a quote or a space, never an id such as
# url(#p1a2b3c4d5e) or xlink:href="#DejaVuSans-30" (ids do not start with a hex digit alone).
_COLOR = re.compile(r"(?<=[:\s\"])#[0-9a-fA-F]{6}(?![0-9A-Za-z_-])")


def new_figure(width=6.4, height=3.6, ncols=1):
    """Return (fig, axes) drawn in the project's style."""
    return plt.subplots(1, ncols, figsize=(width, height), layout="constrained")


def to_svg(fig):
    """Return the figure as SVG bytes, with no date and fixed ids, and close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()


def dark_variant(svg):
    """Return the SVG bytes redrawn for a dark background (see DARK); the light SVG is unchanged."""
    return _COLOR.sub(lambda m: DARK.get(m.group(0).lower(), m.group(0)), svg.decode()).encode()
