"""Closed-form size of a model circuit with its QRAM queries lowered (no compilation).

For QLACI the model's gate structure (:func:`~qcompile.models.qlaci.qlaci_structure`) is
composed with the construction's ``resources(n, b, "ry")`` for each of its two lookups (keys
and values, ``RY`` words of ``k`` and ``v`` bits); their ancillas are shared (as
:class:`~qcompile.qram.QRAMLowering` does), so the width adds the widest lookup's ancillas
once. ``two_qubit_gates`` is the CX count after
lowering every gate with Qiskit's standard decompositions (CRY = 2 CX), exact for the
lowered logical circuit. ``depth`` is an upper bound: the QRAM stage-sum depth plus the
model's gates taken one layer each. ``one_qubit_gates`` counts the model's one-qubit gates
and two per QRAM rotation (Clifford one-qubit gates inside the QRAM are not counted).
QLAM, QASA and QAMA contain no QRAM; their two-qubit gates are the logical ones.
"""

from __future__ import annotations

from hardware_profiles.errors import ResourceError
from qcompile.estimate.sizes import LogicalSize
from qcompile.models.catalog import ESTIMATE_MODELS, ModelSpec, model_resources
from qcompile.models.qlaci import qlaci_structure
from qcompile.qram import CONSTRUCTIONS, CX_COST

__all__ = ["QLACI_WIDTH", "LogicalSize", "logical_size"]

QLACI_WIDTH = 2
"""QLACI query/key/value/out qubits, as ``qcompile build`` uses by default."""

ONE_QUBIT_GATES_PER_CONTROLLED_ROTATION = 2
"""A CRY lowers to two RY around two CX (Qiskit's standard decomposition); a QRAM rotation is
counted as a controlled one."""


def _qlaci(seq_len: int, qram: str) -> LogicalSize:
    w = QLACI_WIDTH
    model = qlaci_structure(seq_len, w, w, w, w)
    n = model.index_qubits
    words = model.lookup_word_bits
    lookups = [CONSTRUCTIONS[qram].resources(n, b, "ry") for b in words]
    ancillas = max(q.qubits - n - b for q, b in zip(lookups, words, strict=True))
    qram_rotations = sum(q.rotations for q in lookups)
    per_rotation = ONE_QUBIT_GATES_PER_CONTROLLED_ROTATION
    return LogicalSize(
        qubits=model.num_qubits + ancillas,
        two_qubit_gates=model.cx + CX_COST["cry"] * model.cry + sum(q.cx_count for q in lookups),
        one_qubit_gates=model.one_qubit_gates + per_rotation * (model.cry + qram_rotations),
        depth=model.depth + sum(q.depth for q in lookups),
        rotations=model.one_qubit_gates
        - model.clifford_one_qubit_gates
        + per_rotation * model.cry
        + qram_rotations,
        t_gates=sum(q.t_count for q in lookups),
    )


def logical_size(model: str, seq_len: int, qram: str | None) -> LogicalSize:
    """Closed-form size of ``model`` at ``seq_len`` with its QRAM lowered as ``qram``.

    Args:
        model: A name in :data:`~qcompile.models.catalog.ESTIMATE_MODELS`.
        seq_len: N (QLACI: a power of two >= 2; QAMA: tokens per head).
        qram: A QRAM kind for QLACI; ignored by the others.

    Returns:
        The size.

    Raises:
        ResourceError: On an unknown model or kind, or an impossible size.
    """
    if model == "qlaci-kernel":
        from qcompile.estimate.kernel_attention import kernel_logical_size

        return kernel_logical_size(seq_len, qram or "")
    if model == "qlaci":
        if qram is None or qram not in CONSTRUCTIONS:
            raise ResourceError(f"unknown QRAM kind {qram!r}; known: {', '.join(CONSTRUCTIONS)}")
        return _qlaci(seq_len, qram)
    if model not in ESTIMATE_MODELS:
        raise ResourceError(f"unknown model {model!r} (known: {', '.join(ESTIMATE_MODELS)})")
    r = model_resources(ModelSpec(model, seq_len))
    zz = r.num_two_qubit_gates if model == "qama" else 0  # QAMA's RZZ terms are rotations
    gates = r.num_one_qubit_gates + r.num_two_qubit_gates
    return LogicalSize(
        qubits=r.num_qubits,
        two_qubit_gates=r.num_two_qubit_gates,
        one_qubit_gates=r.num_one_qubit_gates,
        depth=gates,
        rotations=r.num_one_qubit_gates + zz,
        t_gates=0,
    )
