"""Independent numpy reference for :mod:`qcompile.models.qlaci`.

Does not simulate the Qiskit circuit. It uses the structure the
:mod:`~qcompile.models.qlaci` docstring derives: the ``index`` register is a uniform
superposition that only ever controls the QRAM loads, so the state is
``N**-1/2 sum_j |j> |psi_j>``, where ``|psi_j>`` is entry ``j`` processed on the
``query, key, value, out`` qubits alone with explicit 2x2 rotation matrices (``RY(K_j)`` on
the key qubits instead of a QRAM). Expectations off ``index`` are the branch average.
"""

from __future__ import annotations

from dataclasses import dataclass

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

__all__ = [
    "QlaciWeights",
    "qlaci_branch_state",
    "qlaci_reference_expectations",
    "qlaci_reference_state",
    "split_qlaci_weights",
]


@dataclass(frozen=True)
class QlaciWeights:
    """QLACI weights by role.

    Attributes:
        interaction: ``(L, d_q + k, 2)`` ``(RY, RZ)`` angles per layer and query+key qubit.
        out_ry: ``(L, o)`` out ``RY`` angles.
        key_cry: ``(L, max(o, k))`` key-to-out ``CRY`` angles.
        query_cry: ``(L, max(o, d_q))`` query-to-out ``CRY`` angles.
    """

    interaction: np.ndarray
    out_ry: np.ndarray
    key_cry: np.ndarray
    query_cry: np.ndarray


def split_qlaci_weights(
    weights: ArrayLike, query_qubits: int, key_qubits: int, out_qubits: int, layers: int
) -> QlaciWeights:
    """Cut a flat weight vector by the layout of the :mod:`~qcompile.models.qlaci` docstring.

    Args:
        weights: Flat weight values.
        query_qubits: ``d_q``.
        key_qubits: ``k``.
        out_qubits: ``o``.
        layers: ``L``.

    Returns:
        The weights by role.
    """
    w = np.asarray(weights, dtype=float)
    d_q, k, o, big_l = query_qubits, key_qubits, out_qubits, layers
    n_int = big_l * 2 * (d_q + k)
    interaction = w[:n_int].reshape(big_l, d_q + k, 2)
    per_layer = o + max(o, k) + max(o, d_q)
    rest = w[n_int:].reshape(big_l, per_layer)
    return QlaciWeights(
        interaction=interaction,
        out_ry=rest[:, :o],
        key_cry=rest[:, o : o + max(o, k)],
        query_cry=rest[:, o + max(o, k) :],
    )


def _apply_controlled(
    state: np.ndarray, matrix: np.ndarray, control: int, target: int
) -> np.ndarray:
    """Apply ``matrix`` to ``target`` on the ``control = 1`` slice."""
    out = state.copy()
    index: list[slice | int] = [slice(None)] * state.ndim
    index[control] = 1
    sub = state[tuple(index)]
    axis = target - 1 if target > control else target
    moved = np.moveaxis(np.tensordot(matrix, sub, axes=([1], [axis])), 0, axis)
    out[tuple(index)] = moved
    return out


def qlaci_branch_state(
    query: ArrayLike, key: ArrayLike, value: ArrayLike, weights: QlaciWeights
) -> np.ndarray:
    """``|psi_j>``: one entry processed on ``query, key, value, out`` (axes in that order).

    Args:
        query: ``(d_q,)`` query angles.
        key: ``(k,)`` this entry's key angles.
        value: ``(v,)`` this entry's value angles.
        weights: The weights by role.

    Returns:
        State tensor of shape ``(2,) * (d_q + k + v + o)``.
    """
    q = np.asarray(query, dtype=float)
    kj = np.asarray(key, dtype=float)
    vj = np.asarray(value, dtype=float)
    d_q, k, v = len(q), len(kj), len(vj)
    o = weights.out_ry.shape[1]
    q_ax = list(range(d_q))
    k_ax = [d_q + c for c in range(k)]
    v_ax = [d_q + k + c for c in range(v)]
    o_ax = [d_q + k + v + t for t in range(o)]
    psi = zero_state(d_q + k + v + o)
    for a in range(d_q):
        psi = apply_one_qubit(psi, ry_matrix(q[a]), q_ax[a])
    for c in range(k):
        psi = apply_one_qubit(psi, ry_matrix(kj[c]), k_ax[c])
    for c in range(v):
        psi = apply_one_qubit(psi, ry_matrix(vj[c]), v_ax[c])
    for layer in weights.interaction:
        for axis, (ry, rz) in zip(q_ax + k_ax, layer, strict=True):
            psi = apply_one_qubit(psi, rz_matrix(rz) @ ry_matrix(ry), axis)
        for a in range(max(d_q, k)):
            psi = apply_cnot(psi, q_ax[a % d_q], k_ax[a % k])
    for out_ry, key_cry, query_cry in zip(
        weights.out_ry, weights.key_cry, weights.query_cry, strict=True
    ):
        for t in range(o):
            psi = apply_one_qubit(psi, ry_matrix(out_ry[t]), o_ax[t])
        for c, angle in enumerate(key_cry):
            psi = _apply_controlled(psi, ry_matrix(angle), k_ax[c % k], o_ax[c % o])
        for a, angle in enumerate(query_cry):
            psi = _apply_controlled(psi, ry_matrix(angle), q_ax[a % d_q], o_ax[a % o])
        for c in range(max(v, o)):
            psi = apply_cnot(psi, v_ax[c % v], o_ax[c % o])
    return psi


def qlaci_reference_state(
    query: ArrayLike, keys: ArrayLike, values: ArrayLike, weights: QlaciWeights
) -> np.ndarray:
    """Full QLACI state over ``query, index, key, value, out``.

    Args:
        query: ``(d_q,)`` query angles.
        keys: ``(N, k)`` key angles, ``N`` a power of two.
        values: ``(N, v)`` value angles.
        weights: The weights by role.

    Returns:
        State tensor of shape ``(2,) * (d_q + log2 N + k + v + o)`` in circuit qubit order.
    """
    kk = np.asarray(keys, dtype=float)
    vv = np.asarray(values, dtype=float)
    big_n = kk.shape[0]
    n = big_n.bit_length() - 1
    d_q = np.asarray(query).shape[0]
    branches = [qlaci_branch_state(query, kk[j], vv[j], weights) for j in range(big_n)]
    full = np.zeros((2,) * (branches[0].ndim + n), dtype=complex)
    head: tuple[slice, ...] = (slice(None),) * d_q
    for j, psi in enumerate(branches):
        bits = tuple((j >> b) & 1 for b in range(n))  # little-endian address
        full[head + bits] = psi / np.sqrt(big_n)
    return full


def qlaci_reference_expectations(
    query: ArrayLike, keys: ArrayLike, values: ArrayLike, weights: QlaciWeights
) -> np.ndarray:
    """``<Z>`` on every out qubit: the average of the branch expectations.

    Args:
        query: ``(d_q,)`` query angles.
        keys: ``(M, k)`` key angles; any ``M >= 1`` (no padding needed here).
        values: ``(M, v)`` value angles.
        weights: The weights by role.

    Returns:
        Array of ``o`` expectation values.
    """
    kk = np.asarray(keys, dtype=float)
    vv = np.asarray(values, dtype=float)
    o = weights.out_ry.shape[1]
    total = None
    for j in range(kk.shape[0]):
        psi = qlaci_branch_state(query, kk[j], vv[j], weights)
        z = np.array([expect_z(psi, psi.ndim - o + t) for t in range(o)])
        total = z if total is None else total + z
    assert total is not None
    return total / kk.shape[0]
