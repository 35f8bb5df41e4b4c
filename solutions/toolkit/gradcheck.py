"""One central-difference gradient checker for every problem."""

from dataclasses import dataclass

import numpy as np

# Central differences in float64: truncation error ~ h^2 |f'''|, roundoff ~ eps |f| / h.
# h = 1e-6 balances the two for functions of order one, giving about 1e-9 relative accuracy.
STEP = 1e-6


def numerical_derivative(f, x, h=STEP):
    """Return (f(x + h) - f(x - h)) / 2h elementwise: the derivative of an elementwise function f."""
    x = np.asarray(x, dtype=float)
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x, h=STEP):
    """Return the central-difference gradient of the scalar function f at x (same shape as x)."""
    return numerical_jacobian(f, x, h)


def numerical_jacobian(f, x, h=STEP):
    """Return the central-difference Jacobian of f at x: shape f(x).shape + x.shape."""
    x = np.array(x, dtype=float)
    out = np.asarray(f(x), dtype=float)
    jac = np.zeros(out.shape + x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        jac[(...,) + index] = (np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * h)
    return jac


def relative_error(a, b):
    """Return |a - b| / max(|a|, |b|), elementwise, and 0 where both are 0."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.abs(a), np.abs(b))
    return np.divide(np.abs(a - b), scale, out=np.zeros(np.broadcast(a, b).shape), where=scale > 0)


@dataclass(frozen=True)
class GradientRow:
    """One scalar entry of a parameter's gradient: analytic vs central difference."""

    label: str  # LaTeX name of the entry, e.g. "C_{2}"
    analytic: float
    numeric: float

    @property
    def relative_error(self):
        return float(relative_error(self.analytic, self.numeric))


def entry_label(symbol, index, shape):
    """Return the LaTeX name of one entry of a parameter, with 1-based indices."""
    if len(shape) == 0:
        return symbol
    if "_" in symbol and not (symbol.startswith("{") and symbol.endswith("}")):
        symbol = f"{{{symbol}}}"  # b_1 indexed is {b_1}_{2}: TeX refuses b_1_{2} (a double subscript)
    return f"{symbol}_{{{','.join(str(i + 1) for i in index)}}}"


def check_gradients(loss, params, grads, h=STEP):
    """Return a GradientRow per scalar parameter entry, comparing grads with central differences.

    loss: function of a dict {symbol: array} returning a scalar.
    params: {symbol: array} the point at which to check; symbols are LaTeX names.
    grads: {symbol: array} the analytic gradient, same keys and shapes as params.
    """
    rows = []
    for symbol, value in params.items():
        value = np.asarray(value, dtype=float)

        def loss_of(entry_values, symbol=symbol):
            return loss({**params, symbol: entry_values})

        numeric = numerical_gradient(loss_of, value, h)
        analytic = np.asarray(grads[symbol], dtype=float)
        if analytic.shape != value.shape:
            raise ValueError(f"gradient for {symbol} has shape {analytic.shape}, parameter has {value.shape}")
        for index in np.ndindex(value.shape):
            rows.append(GradientRow(entry_label(symbol, index, value.shape), float(analytic[index]), float(numeric[index])))
    return rows
