"""Our own ISA check: does every instruction of a circuit exist in the Target as placed?

Aer's local execution path does not run IBM's ISA validation, so a circuit that is
not ISA would run locally and fail (or silently differ) on hardware. qattn runs this
check on every compile result. It compares operations, not names: a user-defined gate
called ``ecr`` is not the device's ECR (:func:`qcompile.shadowed_gates.impostor_reference`),
although IBM's ``is_isa_circuit`` accepts it.
"""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.circuit import ControlFlowOp, ParameterExpression
from qiskit.transpiler import Target

from hardware_profiles.errors import IsaError
from qcompile.shadowed_gates import impostor_reference

__all__ = ["check_isa", "isa_violations"]

_ALWAYS_ALLOWED = {"barrier"}


def isa_violations(circuit: QuantumCircuit, target: Target, limit: int = 20) -> list[str]:
    """Lists the ways ``circuit`` is not an ISA circuit for ``target``.

    Checks the width (ISA circuits act on the device's physical qubits), that every
    instruction name is in the Target, that the operation is the Target's operation of that
    name (its class and its numbers of qubits, clbits and parameters, not a user gate that
    borrows the name), is supported on exactly those physical qubits, and, for fixed-angle
    Target instructions, with those parameters. Control-flow
    blocks are checked recursively on the physical qubits they are placed on.

    Args:
        circuit: the compiled circuit.
        target: the device Target.
        limit: stop after this many violations.

    Returns:
        Human-readable violations; empty when the circuit is ISA.
    """
    problems: list[str] = []
    if circuit.num_qubits != target.num_qubits:
        problems.append(
            f"circuit has {circuit.num_qubits} qubits but the target has {target.num_qubits}"
            " (ISA circuits act on every physical qubit)"
        )
        return problems
    _walk(circuit, list(range(circuit.num_qubits)), target, problems, limit)
    return problems


def _walk(
    circuit: QuantumCircuit,
    physical: list[int],
    target: Target,
    problems: list[str],
    limit: int,
) -> None:
    for instruction in circuit.data:
        if len(problems) >= limit:
            return
        operation = instruction.operation
        qargs = tuple(physical[circuit.find_bit(q).index] for q in instruction.qubits)
        name = operation.name
        if name in _ALWAYS_ALLOWED:
            continue
        if isinstance(operation, ControlFlowOp):
            if name not in target.operation_names:
                problems.append(f"control flow {name!r} is not supported by the target")
                continue
            for block in operation.blocks:
                _walk(block, list(qargs), target, problems, limit)
            continue
        if name not in target.operation_names:
            problems.append(f"{name} on {list(qargs)}: not in the target's instruction set")
            continue
        if impostor_reference(operation, target) is not None:
            problems.append(
                f"{name} on {list(qargs)}: a user-defined gate named {name!r}, not the "
                f"target's {name}"
            )
            continue
        params = list(operation.params)
        fixed = _fixed_params(target, name)
        if not target.instruction_supported(name, qargs):
            problems.append(f"{name} on {list(qargs)}: not supported on these physical qubits")
        elif fixed is not None and not _params_match(fixed, params):
            problems.append(f"{name} on {list(qargs)}: parameters {params} not supported")


def _fixed_params(target: Target, name: str) -> list[float] | None:
    operation = target.operation_from_name(name)
    params = getattr(operation, "params", [])
    if not params or any(isinstance(p, ParameterExpression) for p in params):
        return None
    return [float(p) for p in params]


def _params_match(fixed: list[float], actual: list[object]) -> bool:
    if len(fixed) != len(actual):
        return False
    for want, got in zip(fixed, actual, strict=True):
        if isinstance(got, ParameterExpression) or not isinstance(got, int | float):
            return False
        if abs(want - float(got)) > 1e-9:
            return False
    return True


def check_isa(circuit: QuantumCircuit, target: Target) -> None:
    """Raises :class:`IsaError` naming the first violations if ``circuit`` is not ISA."""
    problems = isa_violations(circuit, target, limit=3)
    if problems:
        raise IsaError("compiled circuit is not ISA for the target: " + "; ".join(problems))
