"""Targets for synthetic devices: uniform gate errors and durations on a stated topology."""

from __future__ import annotations

from qiskit.circuit import Delay, Instruction, Measure, Parameter, Reset
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.providers import QubitProperties
from qiskit.transpiler import CouplingMap, InstructionProperties, Target

from hardware_profiles.errors import ProfileError
from hardware_profiles.profile import DeviceProfile, TopologySpec

__all__ = ["coupling_edges", "native_operation", "synthetic_target"]

_NON_GATES = {"measure": Measure(), "reset": Reset(), "delay": Delay(Parameter("t"))}


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


def synthetic_target(profile: DeviceProfile) -> Target:
    """Builds the Target of a synthetic or fault-tolerant profile.

    Every native instruction gets the profile's error and duration on every qubit
    (single-qubit gates, ``measure``, ``reset``, ``delay``) or coupler (2-qubit gates).

    Args:
        profile: a profile of kind ``synthetic`` or ``fault_tolerant``.

    Raises:
        ProfileError: an unknown gate name or a gate of more than two qubits.
    """
    assert profile.topology is not None
    n = profile.topology.num_qubits
    edges = coupling_edges(profile.topology)
    qubit_properties = None
    if profile.t1 is not None or profile.t2 is not None:
        qubit_properties = [QubitProperties(t1=profile.t1, t2=profile.t2) for _ in range(n)]
    target = Target(
        description=f"qattn profile {profile.name}",
        num_qubits=n,
        qubit_properties=qubit_properties,
    )
    for spec in profile.gates:
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


def native_operation(name: str) -> Instruction:
    """The Qiskit operation for a native instruction name of a synthetic profile.

    Raises:
        ProfileError: not a standard gate, measure, reset or delay; or over 2 qubits.
    """
    operation = _NON_GATES.get(name) or get_standard_gate_name_mapping().get(name)
    if operation is None:
        raise ProfileError(
            f"gates.{name}: not a Qiskit standard gate name (e.g. rz, sx, x, cz, "
            "ecr, rzz, rxx, h, t, cx) nor measure/reset/delay"
        )
    if operation.num_qubits > 2:
        raise ProfileError(
            f"gates.{name}: {operation.num_qubits}-qubit native gates are not supported"
        )
    return operation
