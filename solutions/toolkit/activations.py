"""Activation functions, each beside its derivative."""

import numpy as np


def sigmoid(z):
    """Return 1 / (1 + exp(-z)), elementwise, without overflow for large |z|."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def sigmoid_grad(z):
    """Return d sigmoid / dz = sigmoid(z) (1 - sigmoid(z)), elementwise."""
    s = sigmoid(z)
    return s * (1.0 - s)


def relu(z):
    """Return max(0, z), elementwise."""
    return np.maximum(0.0, np.asarray(z, dtype=float))


def relu_grad(z):
    """Return d relu / dz: 1 where z > 0, else 0 (the value 0 is chosen at the kink z = 0)."""
    return (np.asarray(z, dtype=float) > 0).astype(float)


def tanh(z):
    """Return tanh(z), elementwise."""
    return np.tanh(np.asarray(z, dtype=float))


def tanh_grad(z):
    """Return d tanh / dz = 1 - tanh(z)^2, elementwise."""
    return 1.0 - np.tanh(np.asarray(z, dtype=float)) ** 2
