"""Independent numpy references for :mod:`qcompile.models.qama`.

* :func:`qama_qubo_reference` writes the QUBO entry by entry with loops, straight from the
  formulas of ``prepare_coefficients`` in github.com/Dxee-e/QAMA ``QAMA/QAMA/QUBO.py``.
* :func:`qubo_energy_table` lists ``x^T Q x`` for every bitstring (little-endian index).
* :func:`qaoa_reference_state` evolves QAOA on the full amplitude vector: the cost layer is
  the diagonal phase ``exp(-i gamma (E(x) - mean E))`` computed from the QUBO energies (the
  Ising offset is the mean energy over all bitstrings, since every non-identity Z string
  averages to zero), and the mixer is an explicit 2x2 ``RX(2 beta)`` on every qubit axis.
  Nothing here reads the Qiskit circuit or the SparsePauliOp.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from qcompile.models.state_tensor import rx_matrix

__all__ = ["qama_qubo_reference", "qaoa_reference_state", "qubo_energy_table"]


def qama_qubo_reference(
    j: ArrayLike,
    h: ArrayLike,
    quadratic_coefficient: float = 1.0,
    linear_coefficient: float = 0.16,
    penalty_coefficient: float = 0.8,
) -> np.ndarray:
    """QAMA QUBO of one sample, entry by entry.

    Args:
        j: ``(H, N, N)`` couplings.
        h: ``(H, N)`` fields.
        quadratic_coefficient: ``c_J``.
        linear_coefficient: ``c_h``.
        penalty_coefficient: ``c_p``.

    Returns:
        ``(H*N, H*N)`` matrix, index ``head * N + token``.
    """
    jn, hn = np.asarray(j, dtype=float), np.asarray(h, dtype=float)
    heads, n = hn.shape
    q = np.zeros((heads * n, heads * n))
    for a in range(heads):
        for t in range(n):
            for u in range(n):
                q[a * n + t, a * n + u] -= quadratic_coefficient * jn[a, t, u]
            q[a * n + t, a * n + t] -= linear_coefficient * n * hn[a, t]
    if heads > 1:
        p = penalty_coefficient / 2 * (math.sqrt(2 / math.pi) * n / (heads - 1))
        for t in range(n):
            for a in range(heads):
                for b in range(heads):
                    if a != b:
                        q[a * n + t, b * n + t] += p
    return q


def qubo_energy_table(q: ArrayLike) -> np.ndarray:
    """``x^T Q x`` for every bitstring; entry ``s`` has ``x_i = (s >> i) & 1``."""
    qn = np.asarray(q, dtype=float)
    n = qn.shape[0]
    table = np.empty(1 << n)
    for s in range(1 << n):
        x = np.array([(s >> i) & 1 for i in range(n)], dtype=float)
        table[s] = x @ qn @ x
    return table


def qaoa_reference_state(q: ArrayLike, gammas: ArrayLike, betas: ArrayLike) -> np.ndarray:
    """QAOA state for the Ising form of ``q``, as a little-endian amplitude vector.

    Args:
        q: ``(n, n)`` QUBO matrix.
        gammas: ``p`` cost angles.
        betas: ``p`` mixer angles.

    Returns:
        ``2**n`` amplitudes (Qiskit order).
    """
    energies = qubo_energy_table(q)
    ising = energies - energies.mean()
    n = int(np.asarray(q).shape[0])
    psi = np.full(1 << n, 2.0 ** (-n / 2), dtype=complex)
    for gamma, beta in zip(np.asarray(gammas, float), np.asarray(betas, float), strict=True):
        psi = psi * np.exp(-1j * gamma * ising)
        tensor = psi.reshape((2,) * n)
        mixer = rx_matrix(2 * beta)
        for axis in range(n):
            tensor = np.moveaxis(np.tensordot(mixer, tensor, axes=([1], [axis])), 0, axis)
        psi = tensor.reshape(-1)
    return psi
