"""Closed-form size of a model circuit with its QRAM queries lowered (no compilation).

For QLACI the two lookups (keys and values, ``RY`` words of ``k`` and ``v`` bits) are
costed with the construction's ``resources(n, b, "ry")`` and added to the model's own
closed form; their ancillas are shared (as :class:`~qcompile.qram.QRAMLowering` does), so
the width adds the widest lookup's ancillas once. ``two_qubit_gates`` is the CX count after
lowering every gate with Qiskit's standard decompositions (CRY = 2 CX), exact for the
lowered logical circuit. ``depth`` is an upper bound: the QRAM stage-sum depth plus the
model's gates taken one layer each. ``one_qubit_gates`` counts the model's one-qubit gates
and two per QRAM rotation (Clifford one-qubit gates inside the QRAM are not counted).
QLAM, QASA and QAMA contain no QRAM; their two-qubit gates are the logical ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware_profiles.errors import ResourceError
from qcompile.models import qama_qaoa_resources, qasa_resources, qlaci_resources, qlam_resources
from qcompile.qram import CONSTRUCTIONS

__all__ = ["QLACI_WIDTH", "LogicalSize", "logical_size"]

QLACI_WIDTH = 2
"""QLACI query/key/value/out qubits, as ``qcompile build`` uses by default."""

QAMA_HEADS = 2
"""QAMA heads H (N·H spins)."""


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


def _qlaci(seq_len: int, qram: str) -> LogicalSize:
    n = seq_len.bit_length() - 1
    w = QLACI_WIDTH
    model = qlaci_resources(seq_len, w, w, w, w)
    q = CONSTRUCTIONS[qram].resources(n, w, "ry")
    cry = 2 * w  # max(o, k) + max(o, d_q), one layer
    cx = 2 * w  # max(d_q, k) + max(o, v)
    model_depth = 1 + (2 + w) + (1 + 3 * w)  # prep, interaction, aggregation: gates in series
    return LogicalSize(
        qubits=model.num_qubits + q.qubits - n - w,
        two_qubit_gates=cx + 2 * cry + 2 * q.cx_count,
        one_qubit_gates=model.num_one_qubit_gates + 2 * cry + 2 * 2 * q.rotations,
        depth=model_depth + 2 * q.depth,
        rotations=model.num_one_qubit_gates - n + 2 * cry + 2 * q.rotations,
        t_gates=2 * q.t_count,
    )


def logical_size(model: str, seq_len: int, qram: str | None) -> LogicalSize:
    """Closed-form size of ``model`` at ``seq_len`` with its QRAM lowered as ``qram``.

    Args:
        model: ``qlaci``, ``qlam``, ``qasa`` or ``qama``.
        seq_len: N (QLACI: a power of two >= 2; QAMA: tokens per head).
        qram: A QRAM kind for QLACI; ignored by the others.

    Returns:
        The size.

    Raises:
        ResourceError: On an unknown model or kind, or an impossible size.
    """
    if model == "qlaci":
        if qram is None or qram not in CONSTRUCTIONS:
            raise ResourceError(f"unknown QRAM kind {qram!r}; known: {', '.join(CONSTRUCTIONS)}")
        return _qlaci(seq_len, qram)
    if model == "qlam":
        r = qlam_resources(seq_len)
        zz = 0
    elif model == "qasa":
        r = qasa_resources()
        zz = 0
    elif model == "qama":
        r = qama_qaoa_resources(QAMA_HEADS, seq_len)
        zz = r.num_two_qubit_gates
    else:
        raise ResourceError(f"unknown model {model!r} (known: qlaci, qlam, qasa, qama)")
    gates = r.num_one_qubit_gates + r.num_two_qubit_gates
    return LogicalSize(
        qubits=r.num_qubits,
        two_qubit_gates=r.num_two_qubit_gates,
        one_qubit_gates=r.num_one_qubit_gates,
        depth=gates,
        rotations=r.num_one_qubit_gates + zz,
        t_gates=0,
    )
