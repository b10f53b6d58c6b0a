"""Targets for synthetic devices: uniform gate errors and durations on a stated topology."""

from __future__ import annotations

from collections.abc import Sequence

from qiskit.providers import QubitProperties
from qiskit.transpiler import CouplingMap, InstructionProperties, Target

from hardware_profiles.errors import ProfileError
from hardware_profiles.native_gates import native_operation
from hardware_profiles.specs import GateSpec, TopologySpec

__all__ = ["coupling_edges", "synthetic_target"]


def coupling_edges(topology: TopologySpec) -> list[tuple[int, int]]:
    """Directed edges (both directions) of a synthetic topology.

    Args:
        topology: the connectivity spec.

    Returns:
        Every ordered pair (a, b) of coupled physical qubits.
    """
    n = topology.num_qubits
    if topology.kind == "all_to_all":
        return [(a, b) for a in range(n) for b in range(n) if a != b]
    if topology.kind == "line":
        cmap = CouplingMap.from_line(n, bidirectional=True)
    elif topology.kind == "grid":
        assert topology.rows is not None and topology.cols is not None
        cmap = CouplingMap.from_grid(topology.rows, topology.cols, bidirectional=True)
    else:
        assert topology.distance is not None
        cmap = CouplingMap.from_heavy_hex(topology.distance, bidirectional=True)
    edges = [(int(a), int(b)) for a, b in cmap.get_edges()]
    if cmap.size() != n:
        raise ProfileError(
            f"topology.num_qubits = {n} does not match the {topology.kind} lattice "
            f"({cmap.size()} qubits)"
        )
    return edges


def synthetic_target(
    topology: TopologySpec,
    gates: Sequence[GateSpec],
    *,
    t1: float | None = None,
    t2: float | None = None,
    description: str | None = None,
) -> Target:
    """Builds the Target of a synthetic or fault-tolerant device.

    Every native instruction gets its error and duration on every qubit (single-qubit gates,
    ``measure``, ``reset``, ``delay``) or coupler (2-qubit gates).

    Args:
        topology: the connectivity.
        gates: the native instructions.
        t1: T1 of every qubit in seconds. Defaults to None (not modelled).
        t2: T2 of every qubit in seconds. Defaults to None (not modelled).
        description: the Target's description. Defaults to None.

    Raises:
        ProfileError: an unknown gate name, a gate of more than two qubits, or a qubit count
            that does not match the lattice.
    """
    n = topology.num_qubits
    edges = coupling_edges(topology)
    qubit_properties = None
    if t1 is not None or t2 is not None:
        qubit_properties = [QubitProperties(t1=t1, t2=t2) for _ in range(n)]
    target = Target(description=description, num_qubits=n, qubit_properties=qubit_properties)
    for spec in gates:
        operation = native_operation(spec.name)
        if operation.num_qubits == 1:
            target.add_instruction(
                operation,
                {
                    (q,): InstructionProperties(error=spec.error, duration=spec.duration)
                    for q in range(n)
                },
                name=spec.name,
            )
        elif operation.num_qubits == 2:
            target.add_instruction(
                operation,
                {
                    edge: InstructionProperties(error=spec.error, duration=spec.duration)
                    for edge in edges
                },
                name=spec.name,
            )
    return target
