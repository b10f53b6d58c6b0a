"""Small tensor kernels shared by the density-matrix and trajectory engines.

A register of ``n`` qubits is a tensor ``(*lead, 2**n)``; basis index bit ``q`` is qubit
``q`` (Qiskit's order), so in the ``(*lead, 2, ..., 2)`` view qubit ``q`` is axis
``len(lead) + n - 1 - q``. A ``(d, d)`` matrix on ``qubits`` has ``qubits[0]`` as its least
significant bit, as Qiskit's ``Operator`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["apply_diagonal", "apply_matrix", "expectation_terms"]


def _layout(n: int, qubits: Sequence[int]) -> tuple[list[int], list[int], list[int]]:
    """Compact view of a register around ``qubits``.

    Returns:
        The view's shape after the lead dims (a block, 2, a block, 2, ..., a block), the
        view axis of each qubit (``qubits[k]`` -> axis) counted after the lead dims, and
        the qubits sorted from the most significant.
    """
    ordered = sorted(qubits, reverse=True)
    shape: list[int] = []
    axis_of: dict[int, int] = {}
    top = n
    for q in ordered:
        shape.append(2 ** (top - 1 - q))
        axis_of[q] = len(shape)
        shape.append(2)
        top = q
    shape.append(2**top)
    return shape, [axis_of[q] for q in qubits], ordered


def _bits_view(values: torch.Tensor, extra: int, shape: list[int], axes: list[int]) -> torch.Tensor:
    """``values (*vlead, 2**m)`` (bit k = qubit ``k``) reshaped to broadcast on the view."""
    vlead = values.shape[:-1]
    m = len(axes)
    bits = values.reshape(*vlead, *([2] * m))  # axes: bit m-1 ... bit 0
    target = [1] * len(shape)
    order = sorted(range(m), key=lambda k: axes[k])  # bits in view-axis order
    bits = bits.permute(*range(len(vlead)), *[len(vlead) + (m - 1 - k) for k in order])
    for k in order:
        target[axes[k]] = 2
    return bits.reshape(*vlead, *([1] * extra), *target)


def apply_matrix(
    state: torch.Tensor, matrix: torch.Tensor, qubits: Sequence[int], n: int, lead: int
) -> torch.Tensor:
    """``matrix`` on ``qubits`` of ``state`` ``(*lead, 2**n)``.

    Written as ``sum_j column_j * state[..., j, ...]`` with broadcasting: a few elementwise
    passes over the state, far cheaper than a general einsum on a 2**n-sized view.

    Args:
        state: The register, ``lead`` leading dimensions.
        matrix: ``(*matrix_lead, d, d)``; ``matrix_lead`` is a prefix of the state's lead
            dimensions (one matrix per sample, per trajectory, or one for all).
        qubits: Where it acts.
        n: Qubits in the register.
        lead: Leading dimensions of ``state``.
    """
    extra = lead - (matrix.dim() - 2)
    if len(qubits) == 1:
        (q,) = qubits
        view = state.reshape(*state.shape[:lead], 2 ** (n - 1 - q), 2, 2**q)
        entries = matrix.reshape(*matrix.shape[:-2], *([1] * extra), 4, 1, 1)
        low, high = view[..., 0, :], view[..., 1, :]
        rows = [
            low * entries[..., 2 * i, :, :] + high * entries[..., 2 * i + 1, :, :] for i in (0, 1)
        ]
        return torch.stack(rows, dim=-2).reshape(state.shape)
    shape, axes, _ = _layout(n, qubits)
    view = state.reshape(*state.shape[:lead], *shape)
    d = matrix.shape[-1]
    out = None
    for j in range(d):
        picked = view
        for k, axis in enumerate(axes):
            picked = picked.narrow(lead + axis, (j >> k) & 1, 1)
        column = _bits_view(matrix[..., :, j], extra, shape, axes)
        term = picked * column
        out = term if out is None else out + term
    assert out is not None
    return out.reshape(state.shape)


def apply_diagonal(
    state: torch.Tensor, diagonal: torch.Tensor, qubits: Sequence[int], n: int, lead: int
) -> torch.Tensor:
    """A diagonal ``(*diag_lead, d)`` on ``qubits`` of ``state`` (see :func:`apply_matrix`)."""
    shape, axes, _ = _layout(n, qubits)
    view = state.reshape(*state.shape[:lead], *shape)
    extra = lead - (diagonal.dim() - 1)
    return (view * _bits_view(diagonal, extra, shape, axes)).reshape(state.shape)


def expectation_terms(
    bra: torch.Tensor, ket: torch.Tensor, flips: torch.Tensor, diagonals: torch.Tensor
) -> torch.Tensor:
    """``sum_g sum_i conj(bra[..., i ^ mask_g]) D_g[i] ket[..., i]``, real part.

    Args:
        bra: ``(*lead, dim)``.
        ket: ``(*lead, dim)``.
        flips: ``(G, dim)`` long, ``i ^ mask_g``.
        diagonals: ``(G, dim)`` complex.
    """
    total = torch.zeros(bra.shape[:-1], dtype=bra.real.dtype, device=bra.device)
    for g in range(flips.shape[0]):
        flipped = bra.index_select(-1, flips[g])
        total = total + (flipped.conj() * diagonals[g] * ket).sum(-1).real
    return total
