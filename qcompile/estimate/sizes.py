"""The closed-form size of a lowered logical circuit: what every estimate row starts from."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LogicalSize"]


@dataclass(frozen=True)
class LogicalSize:
    """Closed-form size of a lowered logical circuit.

    Attributes:
        qubits: Width, QRAM ancillas included.
        two_qubit_gates: CX count after lowering (exact for QLACI).
        one_qubit_gates: One-qubit gates (see the module docstring).
        depth: Upper bound on the depth.
        rotations: Arbitrary-angle rotations (an upper bound outside QLACI: every one-qubit
            gate and every QAMA ZZ term counts as one).
        t_gates: T gates of the Toffolis and CSWAPs (7 each).
    """

    qubits: int
    two_qubit_gates: int
    one_qubit_gates: int
    depth: int
    rotations: int
    t_gates: int
