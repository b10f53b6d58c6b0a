"""Fusing expanded gates into blocks.

Every run of (controlled) one-qubit gates on the same target and the same controls becomes
one :class:`Block` holding a ``2x2`` matrix per control value (a multiplexer: a QRAM-style
lookup of 16 controlled rotations is one block), and every run of controlled-X gates becomes
one basis permutation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from runtime.simulators.statevector.gates import PAULI_X, Component

__all__ = ["Block", "fuse"]


@dataclass
class Block:
    """A fused block: a one-qubit matrix per control value, or a basis permutation.

    ``parts`` are (component, control value or None for all values), in time order; the
    control value of ``controls`` (ascending qubits) is ``sum(bit(controls[j]) << j)``.
    A permutation block maps ``out[x] = in[index[x]]``.
    """

    kind: str  # "mat" or "perm"
    qubits: set[int]
    target: int = -1
    controls: tuple[int, ...] = ()
    parts: list[tuple[Component, int | None]] = field(default_factory=list)
    index: np.ndarray | None = None


def fuse(
    blocks: list[Block],
    last: dict[int, int],
    comp: Component,
    target: int,
    controls: tuple[tuple[int, int], ...],
    n: int,
) -> None:
    """Append a gate, merging it into the last block on its qubits where that is exact.

    The last block touching any of the gate's qubits can absorb it: every block after it
    acts on other qubits and commutes with the gate.
    """
    qubits = {target, *(q for q, _ in controls)}
    j = max((last.get(q, -1) for q in qubits), default=-1)
    previous = blocks[j] if j >= 0 else None
    is_x = comp.kind == "fixed" and comp.matrix is not None and np.allclose(comp.matrix, PAULI_X)
    if is_x and controls:
        index = _controlled_x_index(n, target, controls)
        if previous is not None and previous.kind == "perm":
            assert previous.index is not None
            previous.index = previous.index[index]
            previous.qubits |= qubits
            for q in qubits:
                last[q] = j
            return
        blocks.append(Block("perm", qubits, index=index))
    else:
        ctrl_qubits = tuple(sorted(q for q, _ in controls))
        value = sum(v << ctrl_qubits.index(q) for q, v in controls) if controls else None
        if (
            previous is not None
            and previous.kind == "mat"
            and previous.target == target
            and (previous.controls == ctrl_qubits or not controls)
        ):
            previous.parts.append((comp, value))
            return
        blocks.append(Block("mat", qubits, target, ctrl_qubits, [(comp, value)]))
    for q in qubits:
        last[q] = len(blocks) - 1


def _controlled_x_index(n: int, target: int, controls: tuple[tuple[int, int], ...]) -> np.ndarray:
    basis = np.arange(1 << n)
    hit = np.ones(1 << n, dtype=bool)
    for q, v in controls:
        hit &= ((basis >> q) & 1) == v
    return np.where(hit, basis ^ (1 << target), basis)
