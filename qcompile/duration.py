"""The duration of a compiled circuit, dynamic circuits included.

``QuantumCircuit.estimate_duration`` gives the critical path under a Target's durations but
refuses control flow. :func:`circuit_duration` walks the same critical path with one clock per
qubit and per classical bit, so that a mid-circuit measurement delays the feed-forward block
that reads its bit: a block starts when its qubits and condition bits are free, plus the
control electronics' feed-forward latency, and lasts as long as its longest branch.

The latency is not in any Target (IBM's calibration snapshots leave ``conditional_latency``
empty), so it is a stated assumption: :data:`FEED_FORWARD_LATENCY_S`, overridable per call.
"""

from __future__ import annotations

from collections.abc import Sequence

from qiskit import QuantumCircuit
from qiskit.circuit import ControlFlowOp, ForLoopOp
from qiskit.transpiler import Target

__all__ = ["FEED_FORWARD_LATENCY_S", "circuit_duration"]

FEED_FORWARD_LATENCY_S = 1.0e-6
"""Assumed time from a measurement result to a conditional gate's start (seconds)."""

_FREE = frozenset({"barrier"})


def circuit_duration(
    circuit: QuantumCircuit,
    target: Target,
    feed_forward_latency_s: float = FEED_FORWARD_LATENCY_S,
) -> float | None:
    """Critical-path duration of ``circuit`` (physical qubits = Target qubits), in seconds.

    Args:
        circuit: A compiled circuit, qubit ``i`` being the Target's qubit ``i``.
        target: The device Target with instruction durations.
        feed_forward_latency_s: Latency added before every control-flow block.

    Returns:
        The duration, or None when an instruction has no duration in the Target.
    """
    qubits = tuple(range(circuit.num_qubits))
    clbits = tuple(circuit.num_qubits + i for i in range(circuit.num_clbits))
    clock = [0.0] * (circuit.num_qubits + circuit.num_clbits)
    if not _walk(circuit, target, qubits, clbits, clock, feed_forward_latency_s):
        return None
    return max(clock, default=0.0)


def _walk(
    circuit: QuantumCircuit,
    target: Target,
    where: Sequence[int],
    cwhere: Sequence[int],
    clock: list[float],
    latency: float,
) -> bool:
    """Advance ``clock`` (one slot per qubit and clbit) through ``circuit``.

    ``where``/``cwhere`` map the circuit's qubits/clbits to clock slots (and qubit slots are
    the Target's qubits). Returns False when some instruction has no known duration.
    """
    for inst in circuit.data:
        op = inst.operation
        qs = [where[circuit.find_bit(q).index] for q in inst.qubits]
        cs = [cwhere[circuit.find_bit(c).index] for c in inst.clbits]
        slots = qs + cs
        start = max((clock[s] for s in slots), default=0.0)
        if op.name in _FREE:
            for s in slots:
                clock[s] = start
            continue
        if isinstance(op, ControlFlowOp):
            start += latency
            repeat = len(op.params[0]) if isinstance(op, ForLoopOp) else 1
            finish = start
            for block in op.blocks:
                sub = list(clock)
                for s in slots:
                    sub[s] = start
                for _ in range(repeat):
                    if not _walk(block, target, qs, cs, sub, latency):
                        return False
                finish = max(finish, *(sub[s] for s in slots))
            for s in slots:
                clock[s] = finish
            continue
        duration = _duration(op, tuple(qs), target)
        if duration is None:
            return False
        for s in slots:
            clock[s] = start + duration
    return True


def _duration(op: object, qargs: tuple[int, ...], target: Target) -> float | None:
    name = getattr(op, "name", "")
    if name == "delay":
        value = float(op.duration)  # type: ignore[attr-defined]
        unit = op.unit  # type: ignore[attr-defined]
        if unit == "dt":
            return value * float(target.dt) if target.dt else None
        scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "ps": 1e-12}.get(unit)
        return None if scale is None else value * scale
    if name not in target.operation_names:
        return None
    props = target[name].get(qargs)
    if props is None or props.duration is None:
        return None
    return float(props.duration)
