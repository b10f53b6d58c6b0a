"""Compiling a Qiskit circuit into a :class:`TorchCircuit`: expansion, then fusion.

Every instruction is expanded through its ``definition`` until it is a one-qubit gate
(``rx``/``ry``/``rz``/``p``/``u`` or any fixed 2x2 unitary), a controlled one-qubit gate (any
number of controls, any ``ctrl_state``; annotated ``.control()`` gates too) or ``rzz``
(simulated as ``CX · RZ · CX``); the gates are then fused into blocks
(:mod:`runtime.simulators.statevector.fusion`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit.circuit import (
    AnnotatedOperation,
    ControlledGate,
    ControlModifier,
    Gate,
    InverseModifier,
    Parameter,
    QuantumCircuit,
)
from qiskit.circuit.operation import Operation
from qiskit.quantum_info import SparsePauliOp

from hardware_profiles.errors import CompileError
from runtime.simulators.statevector.fusion import Block, fuse
from runtime.simulators.statevector.gates import (
    PAULI_X,
    AngleTable,
    Component,
    native_component,
)
from runtime.simulators.statevector.torch_circuit import TorchCircuit

__all__ = ["compile_circuit", "expand_gates"]

# Instructions that do nothing to an unmeasured state.
_SKIPPED = frozenset({"barrier", "delay", "id"})
# Parametrised one-qubit gates simulated natively (everything else is expanded or fixed).
_ROTATIONS = frozenset({"rx", "ry", "rz", "p", "u1", "u", "u3"})


def compile_circuit(
    circuit: QuantumCircuit,
    parameters: Sequence[Parameter],
    observables: Sequence[SparsePauliOp],
) -> TorchCircuit:
    """Compile ``circuit`` into a :class:`TorchCircuit` whose parameter columns are ``parameters``.

    Args:
        circuit: An unmeasured circuit; every instruction must be a native gate or expand
            through ``definition`` into native gates.
        parameters: Column order of the parameter tensor; must cover every circuit parameter.
        observables: Outputs, SparsePauliOps on the full circuit width.

    Raises:
        CompileError: A measurement or reset, a gate with no definition, an annotated gate
            with a modifier other than control/inverse, a circuit parameter missing from
            ``parameters``, a complex angle or an observable of the wrong width.
    """
    table = AngleTable(index={p: i for i, p in enumerate(parameters)})
    natives: list[tuple[Component, int, tuple[tuple[int, int], ...]]] = []
    positions = {bit: i for i, bit in enumerate(circuit.qubits)}
    _expand(circuit, [positions[q] for q in circuit.qubits], (), table, natives)
    offset = len(table.rows)
    comps: list[Component] = []
    blocks: list[Block] = []
    last: dict[int, int] = {}
    n = circuit.num_qubits
    for comp, target, controls in natives:
        if comp.kind != "fixed":
            comp = Component(comp.kind, tuple(s if s >= 0 else offset - s - 1 for s in comp.slots))
        comps.append(comp)
        fuse(blocks, last, comp, target, controls, n)
    return TorchCircuit(n, len(parameters), comps, blocks, table, observables)


def expand_gates(
    circuit: QuantumCircuit, parameters: Sequence[Parameter]
) -> tuple[list[Component], list[tuple[int, int, tuple[tuple[int, int], ...]]], AngleTable]:
    """The circuit as native gates: components, ``(component, target, controls)``, angles.

    Components are one per gate (constants resolved to slots after the table's rows), in
    circuit order; see :func:`compile_circuit` for what expands and what raises.
    """
    table = AngleTable(index={p: i for i, p in enumerate(parameters)})
    natives: list[tuple[Component, int, tuple[tuple[int, int], ...]]] = []
    positions = {bit: i for i, bit in enumerate(circuit.qubits)}
    _expand(circuit, [positions[q] for q in circuit.qubits], (), table, natives)
    offset = len(table.rows)
    comps: list[Component] = []
    gates: list[tuple[int, int, tuple[tuple[int, int], ...]]] = []
    for comp, target, controls in natives:
        if comp.kind != "fixed":
            comp = Component(comp.kind, tuple(s if s >= 0 else offset - s - 1 for s in comp.slots))
        gates.append((len(comps), target, controls))
        comps.append(comp)
    return comps, gates, table


def _expand(
    circuit: QuantumCircuit,
    wires: list[int],
    controls: tuple[tuple[int, int], ...],
    table: AngleTable,
    natives: list[tuple[Component, int, tuple[tuple[int, int], ...]]],
) -> None:
    local = {bit: i for i, bit in enumerate(circuit.qubits)}
    for instruction in circuit.data:
        operation = instruction.operation
        qubits = [wires[local[q]] for q in instruction.qubits]
        if instruction.clbits or operation.name in ("measure", "reset"):
            raise CompileError(f"{operation.name!r} cannot be simulated as a pure state")
        if operation.name in _SKIPPED:
            continue
        _expand_one(operation, qubits, controls, table, natives)


def _expand_one(
    operation: Operation,
    qubits: list[int],
    controls: tuple[tuple[int, int], ...],
    table: AngleTable,
    natives: list[tuple[Component, int, tuple[tuple[int, int], ...]]],
) -> None:
    if isinstance(operation, AnnotatedOperation):
        _expand_annotated(operation, qubits, controls, table, natives)
        return
    # CUGate's fourth angle is a phase on the controlled branch that its base gate (U)
    # does not carry: it expands through its definition instead.
    if (
        isinstance(operation, ControlledGate)
        and operation.base_gate.num_qubits == 1
        and operation.name != "cu"
    ):
        nc = operation.num_ctrl_qubits
        state = operation.ctrl_state
        extra = tuple((qubits[i], (state >> i) & 1) for i in range(nc))
        _expand_one(operation.base_gate, qubits[nc:], controls + extra, table, natives)
        return
    name = operation.name
    if operation.num_qubits == 1 and name in _ROTATIONS:
        natives.append((native_component(name, operation.params, table), qubits[0], controls))
        return
    if name == "rzz":
        # RZZ(theta) = CX(a, b) RZ(theta)_b CX(a, b), so it fuses with rotations on b.
        a, b = qubits
        x = Component("fixed", matrix=PAULI_X)
        natives.append((x, b, (*controls, (a, 1))))
        natives.append((Component("rz", (table.add(operation.params[0], 0.5),)), b, controls))
        natives.append((x, b, (*controls, (a, 1))))
        return
    if (
        operation.num_qubits == 1
        and isinstance(operation, Gate)
        and not operation.is_parameterized()
    ):
        m = np.asarray(operation.to_matrix(), dtype=complex)
        natives.append((Component("fixed", matrix=m), qubits[0], controls))
        return
    definition = getattr(operation, "definition", None)
    if definition is None:
        raise CompileError(f"gate {name!r} has no definition to expand")
    _expand(definition, qubits, controls, table, natives)


def _expand_annotated(
    operation: AnnotatedOperation,
    qubits: list[int],
    controls: tuple[tuple[int, int], ...],
    table: AngleTable,
    natives: list[tuple[Component, int, tuple[tuple[int, int], ...]]],
) -> None:
    """Expand ``.control(annotated=True)`` and inverse-annotated gates.

    Modifiers apply in order, each control modifier prepending its control qubits;
    inverses are taken on the base operation.
    """
    base: Operation = operation.base_op
    extra: list[tuple[int, int]] = []
    front = len(qubits) - base.num_qubits
    for modifier in operation.modifiers:
        if isinstance(modifier, ControlModifier):
            nc = modifier.num_ctrl_qubits
            front -= nc
            extra += [(qubits[front + i], (modifier.ctrl_state >> i) & 1) for i in range(nc)]
        elif isinstance(modifier, InverseModifier):
            base = base.inverse()
        else:
            raise CompileError(
                f"annotated gate {operation.name!r} has a {type(modifier).__name__}; "
                "only control and inverse modifiers can be simulated"
            )
    if front != 0:
        raise CompileError(f"annotated gate {operation.name!r} has inconsistent control qubits")
    targets = qubits[len(qubits) - base.num_qubits :]
    _expand_one(base, targets, controls + tuple(extra), table, natives)
