"""Independent numpy reference for :mod:`qcompile.models.qlam`.

Evolves the memory state tensor directly (2x2 rotation matrices, CNOT as a permutation), from
the math in the :mod:`~qcompile.models.qlam` docstring, without touching the Qiskit circuit.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from qcompile.models.state_tensor import (
    apply_cnot,
    apply_one_qubit,
    expect_z,
    ry_matrix,
    rz_matrix,
    zero_state,
)

__all__ = ["qlam_reference_expectations", "qlam_reference_state"]


def qlam_reference_state(
    tokens: ArrayLike,
    query: ArrayLike,
    entangler: ArrayLike,
    readout: ArrayLike,
    *,
    ring: bool = False,
) -> np.ndarray:
    """Final QLAM memory state.

    Args:
        tokens: ``(T, F)`` token features.
        query: ``(m,)`` query angles; ``m`` is the memory width.
        entangler: ``(R, m, 2)`` shared entangler angles ``(theta, phi)`` per rep and qubit.
        readout: ``(m, 2)`` readout angles ``(alpha, beta)`` per qubit.
        ring: Close the CNOT chain into a ring (for ``m > 2``).

    Returns:
        State tensor of shape ``(2,) * m``, axis ``q`` = memory qubit ``q``.
    """
    x = np.asarray(tokens, dtype=float)
    qv = np.asarray(query, dtype=float)
    ent = np.asarray(entangler, dtype=float)
    ro = np.asarray(readout, dtype=float)
    m = qv.shape[0]
    psi = zero_state(m)
    for token in x:
        for j, angle in enumerate(token):
            psi = apply_one_qubit(psi, rz_matrix(angle) @ ry_matrix(angle), j % m)
        for rep in ent:
            for q in range(m):
                psi = apply_one_qubit(psi, rz_matrix(rep[q, 1]) @ ry_matrix(rep[q, 0]), q)
            for q in range(m - 1):
                psi = apply_cnot(psi, q, q + 1)
            if ring and m > 2:
                psi = apply_cnot(psi, m - 1, 0)
    for q in range(m):
        u = ry_matrix(ro[q, 1]) @ rz_matrix(ro[q, 0]) @ ry_matrix(qv[q])
        psi = apply_one_qubit(psi, u, q)
    return psi


def qlam_reference_expectations(
    tokens: ArrayLike,
    query: ArrayLike,
    entangler: ArrayLike,
    readout: ArrayLike,
    *,
    ring: bool = False,
) -> np.ndarray:
    """``<Z_q>`` on every memory qubit of :func:`qlam_reference_state`.

    Args:
        tokens: ``(T, F)`` token features.
        query: ``(m,)`` query angles.
        entangler: ``(R, m, 2)`` shared entangler angles.
        readout: ``(m, 2)`` readout angles.
        ring: Close the CNOT chain into a ring.

    Returns:
        Array of ``m`` expectation values.
    """
    psi = qlam_reference_state(tokens, query, entangler, readout, ring=ring)
    return np.array([expect_z(psi, q) for q in range(psi.ndim)])
