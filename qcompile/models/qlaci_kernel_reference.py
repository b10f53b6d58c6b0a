"""Independent numpy reference for :mod:`qcompile.models.qlaci_kernel`.

Does not simulate the Qiskit circuit. It computes the feature-map state ``|phi(x)>`` of one
copy (``d`` qubits, explicit 2x2 matrices and CNOT permutations of
:mod:`~qcompile.models.state_tensor`), the kernel ``kappa_j = |<phi(k_j)|phi(q)>|**2``, and
the expectation values the module docstring derives: ``<P0> = p = mean_j kappa_j**m``,
``<P0 Z_c> = mean_j kappa_j**m cos(V_{j,c})``; with ``g`` Grover iterations both are scaled by
``sin((2g+1) theta)**2 / p`` with ``sin(theta)**2 = p`` (Brassard et al.,
arXiv:quant-ph/0005055, Theorem 1), computed here from ``p`` alone.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from qcompile.models.state_tensor import (
    apply_cnot,
    apply_one_qubit,
    ry_matrix,
    rz_matrix,
    zero_state,
)

__all__ = [
    "feature_state",
    "kernel_reference_context",
    "kernel_reference_expectations",
    "kernel_values",
]


def feature_state(x: ArrayLike, weights: ArrayLike, layers: int) -> np.ndarray:
    """``|phi(x)> = R(x) W_{L-1} ... R(x) W_0 |0...0>`` on ``d = len(x)`` qubits (flat).

    Args:
        x: ``(d,)`` angles.
        weights: ``(2 L d,)``: per layer and qubit the ``RY`` then the ``RZ`` angle of ``W_l``.
        layers: ``L``.

    Returns:
        The ``2**d`` amplitudes (any fixed basis order: only overlaps are used).
    """
    xx = np.asarray(x, dtype=float).reshape(-1)
    w = np.asarray(weights, dtype=float).reshape(layers, len(xx), 2)
    d = len(xx)
    psi = zero_state(d)
    for layer in range(layers):
        for a in range(d):
            psi = apply_one_qubit(psi, rz_matrix(w[layer, a, 1]) @ ry_matrix(w[layer, a, 0]), a)
        for a in range(d - 1):
            psi = apply_cnot(psi, a, a + 1)
        for a in range(d):
            psi = apply_one_qubit(psi, ry_matrix(xx[a]), a)
    return psi.reshape(-1)


def kernel_values(query: ArrayLike, keys: ArrayLike, weights: ArrayLike, layers: int) -> np.ndarray:
    """``kappa_j = |<phi(k_j)|phi(q)>|**2`` for every key row.

    Args:
        query: ``(d,)`` query angles.
        keys: ``(N, d)`` key angles.
        weights: Feature-map weights, ``(2 L d,)``.
        layers: ``L``.

    Returns:
        ``(N,)`` kernel values in ``[0, 1]``.
    """
    phi_q = feature_state(query, weights, layers)
    kk = np.asarray(keys, dtype=float)
    return np.array(
        [abs(np.vdot(feature_state(k, weights, layers), phi_q)) ** 2 for k in kk], dtype=float
    )


def kernel_reference_expectations(
    query: ArrayLike,
    keys: ArrayLike,
    values: ArrayLike,
    weights: ArrayLike,
    *,
    layers: int = 1,
    copies: int = 1,
    grover_iterations: int = 0,
) -> np.ndarray:
    """The circuit's observables: ``<P0>``, then ``<P0 Z_c>`` for each value column.

    Args:
        query: ``(d,)`` query angles.
        keys: ``(N, d)`` key angles.
        values: ``(N, o)`` value angles.
        weights: Feature-map weights, ``(2 L d,)``.
        layers: ``L``. Defaults to 1.
        copies: ``m``. Defaults to 1.
        grover_iterations: ``g``. Defaults to 0.

    Returns:
        ``(1 + o,)`` expectation values.
    """
    kappa = kernel_values(query, keys, weights, layers) ** copies
    vv = np.asarray(values, dtype=float)
    p = float(kappa.mean())
    numerators = (kappa[:, None] * np.cos(vv)).mean(axis=0)
    scale = 1.0
    if grover_iterations and p > 0:
        theta = np.arcsin(np.sqrt(min(p, 1.0)))
        scale = float(np.sin((2 * grover_iterations + 1) * theta) ** 2) / p
    return np.concatenate([[p], numerators]) * scale


def kernel_reference_context(
    query: ArrayLike,
    keys: ArrayLike,
    values: ArrayLike,
    weights: ArrayLike,
    *,
    layers: int = 1,
    copies: int = 1,
) -> np.ndarray:
    """Normalised kernel attention ``sum_j kappa_j**m cos(V_j) / sum_j kappa_j**m``.

    Args:
        query: ``(d,)`` query angles.
        keys: ``(N, d)`` key angles.
        values: ``(N, o)`` value angles.
        weights: Feature-map weights, ``(2 L d,)``.
        layers: ``L``. Defaults to 1.
        copies: ``m``. Defaults to 1.

    Returns:
        ``(o,)`` context vector.
    """
    kappa = kernel_values(query, keys, weights, layers) ** copies
    weights_j = kappa / kappa.sum()
    return weights_j @ np.cos(np.asarray(values, dtype=float))
