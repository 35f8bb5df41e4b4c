"""One formatter: numbers, vectors and matrices as LaTeX, tables as markdown."""

import math

# numpy is imported inside the functions that format arrays: a build that reuses every cached
# problem formats none, and so never pays for importing it.

DIGITS = 4  # decimals shown by default; the answer key keeps full precision
EXACT = "exact"  # digits=EXACT: fractions and surds exactly (see exact()), decimals where a value is neither


def _power_of_ten(text):
    """Return '1.5e-05' written as LaTeX, '1.5 \\times 10^{-5}' (or '10^{-5}' for a mantissa of 1)."""
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa in ("1", "1.0") else rf"{mantissa} \times {power}"


def number(x, digits=DIGITS, whole=True):
    """Return x as LaTeX.

    digits=None: the shortest text that reads back as x (for stated inputs, 0.1 not 0.1000).
    Otherwise: an integer when x is whole (and whole=True), `digits` decimals when
    10^-min(digits, 3) <= |x| < 10^5, else a power of ten with digits - 2 decimals.
    """
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"cannot publish a non-finite number: {x}")
    if x == 0:
        return "0"
    if (whole or digits is None) and x == round(x) and abs(x) < 1e6:
        return str(int(round(x)))
    if digits is None:
        text = repr(x)
        return _power_of_ten(text) if "e" in text else text
    if 10.0 ** (-min(digits, 3)) <= abs(x) < 1e5:
        return f"{x:.{digits}f}"
    return _power_of_ten(f"{x:.{max(digits - 2, 1)}e}")


def exact(x, max_denominator=1000):
    """Return x as exact LaTeX, a fraction or a surd such as -\\frac{5}{3} or \\frac{\\sqrt{2}}{2}.

    Found from the float: a fraction p/q (q <= max_denominator), or the square root of one,
    that agrees with x to roundoff (1e-12 relative). Raises ValueError if there is none, so
    that a value shown as exact is exact.
    """
    from fractions import Fraction

    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"cannot publish a non-finite number: {x}")
    close = lambda a, b: abs(a - b) <= 1e-12 * max(1.0, abs(b))  # noqa: E731
    sign = "-" if x < 0 else ""
    q = Fraction(abs(x)).limit_denominator(max_denominator)
    if close(float(q), abs(x)):
        return sign + (str(q.numerator) if q.denominator == 1 else rf"\frac{{{q.numerator}}}{{{q.denominator}}}")
    square = Fraction(x * x).limit_denominator(max_denominator)
    if close(math.sqrt(square), abs(x)):
        # sqrt(n/d) = sqrt(n d) / d = k sqrt(r) / d with r square-free
        radicand, outside = square.numerator * square.denominator, 1
        for factor in range(2, math.isqrt(radicand) + 1):
            while radicand % (factor * factor) == 0:
                radicand //= factor * factor
                outside *= factor
        top, bottom = Fraction(outside, square.denominator).numerator, Fraction(outside, square.denominator).denominator
        surd = (f"{top}" if top != 1 else "") + rf"\sqrt{{{radicand}}}"
        return sign + (surd if bottom == 1 else rf"\frac{{{surd}}}{{{bottom}}}")
    raise ValueError(f"{x!r} is neither a fraction with a denominator up to {max_denominator} nor the square root of one")


def _cells(array, digits):
    """Format every entry alike: all as integers if all are whole, else all with `digits` decimals."""
    import numpy as np

    if digits == EXACT:
        try:
            return [[exact(x) for x in row] for row in np.atleast_2d(array)]
        except ValueError:  # not exact (a notebook reader's own inputs, say): decimals, as for any value
            digits = DIGITS
    whole = bool(np.all(array == np.round(array)))
    return [[number(x, digits, whole=whole) for x in row] for row in np.atleast_2d(array)]


def vector(v, digits=DIGITS, row=False):
    """Return a 1-D array as a LaTeX column vector (or row vector with row=True)."""
    import numpy as np

    cells = _cells(np.asarray(v, dtype=float).ravel(), digits)[0]
    separator = " & " if row else r" \\ "
    return r"\begin{bmatrix} " + separator.join(cells) + r" \end{bmatrix}"


def matrix(M, digits=DIGITS):
    """Return a 2-D array as a LaTeX bmatrix."""
    import numpy as np

    rows = [" & ".join(row) for row in _cells(np.asarray(M, dtype=float), digits)]
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def latex(x, digits=DIGITS, row=False):
    """Return a number, vector (a column, or a row with row=True) or matrix as LaTeX."""
    import numpy as np

    array = np.asarray(x, dtype=float)
    if array.ndim == 0:
        return _cells(array, digits)[0][0]
    if array.ndim == 1:
        return vector(array, digits, row=row)
    if array.ndim == 2:
        return matrix(array, digits)
    raise ValueError(f"cannot format an array of {array.ndim} dimensions as LaTeX")


def markdown_table(columns, rows, align=None):
    """Return a markdown table; columns and cells are markdown strings (math already in $...$).

    align: one letter per column, "l" or "r" (default: all right-aligned, for numbers).
    """
    rules = {"l": ":---", "r": "---:"}
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(rules[a] for a in (align or "r" * len(columns))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
