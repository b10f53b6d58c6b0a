"""A tiny numpy state-vector kernel for the models' independent references.

The references in ``*_reference.py`` must not simulate the Qiskit circuits they check, so
they evolve a state tensor directly: the state of ``n`` qubits is a complex array of shape
``(2,) * n`` whose axis ``q`` is qubit ``q``; one-qubit gates are explicit 2x2 matrices
contracted into one axis, and a CNOT is an index permutation (swap the two halves of the
target axis where the control is 1). :func:`to_qiskit_order` flattens the tensor into
Qiskit's little-endian amplitude order (basis index ``sum_q b_q 2**q``).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "apply_cnot",
    "apply_one_qubit",
    "expect_z",
    "rx_matrix",
    "ry_matrix",
    "rz_matrix",
    "to_qiskit_order",
    "zero_state",
]


def zero_state(num_qubits: int) -> np.ndarray:
    """Return ``|0...0>`` as a state tensor of shape ``(2,) * num_qubits``."""
    state = np.zeros((2,) * num_qubits, dtype=complex)
    state[(0,) * num_qubits] = 1.0
    return state


def rx_matrix(theta: float) -> np.ndarray:
    """``exp(-i theta X / 2)``."""
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    return np.array([[c, -1j * s], [-1j * s, c]])


def ry_matrix(theta: float) -> np.ndarray:
    """``exp(-i theta Y / 2)``."""
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)


def rz_matrix(theta: float) -> np.ndarray:
    """``exp(-i theta Z / 2)``."""
    return np.diag([np.exp(-0.5j * theta), np.exp(0.5j * theta)])


def apply_one_qubit(state: np.ndarray, matrix: np.ndarray, qubit: int) -> np.ndarray:
    """Apply a 2x2 matrix to one axis of a state tensor (returns a new tensor)."""
    moved = np.tensordot(matrix, state, axes=([1], [qubit]))
    return np.moveaxis(moved, 0, qubit)


def apply_cnot(state: np.ndarray, control: int, target: int) -> np.ndarray:
    """Apply CNOT as a permutation: flip ``target`` on the ``control = 1`` slice."""
    out = state.copy()
    index: list[slice | int] = [slice(None)] * state.ndim
    index[control] = 1
    sub = out[tuple(index)]
    # The target axis shifts down by one in ``sub`` when it comes after the control axis.
    axis = target - 1 if target > control else target
    out[tuple(index)] = np.flip(sub, axis=axis)
    return out


def expect_z(state: np.ndarray, qubit: int) -> float:
    """``<Z_qubit>`` of a normalised state tensor."""
    probs = np.abs(state) ** 2
    marginal = probs.sum(axis=tuple(a for a in range(state.ndim) if a != qubit))
    return float(marginal[0] - marginal[1])


def to_qiskit_order(state: np.ndarray) -> np.ndarray:
    """Flatten a state tensor into Qiskit's little-endian amplitude vector."""
    return np.transpose(state, tuple(reversed(range(state.ndim)))).reshape(-1)
