"""User gates that carry a native gate's name: found, and inlined before translation.

OpenQASM lets a circuit define ``gate ecr a, b { cx a, b; }``. Qiskit keeps that gate under
the name ``ecr``, and every later step that goes by names takes it for the device's ECR: the
transpiler leaves it alone (``ecr`` is in the Target), IBM's ``is_isa_circuit`` accepts it,
and hardware would run the native gate, not the user's definition. So before compiling,
:func:`inline_shadowed_gates` replaces every such impostor by its own definition (searching
inside user-defined gates and control flow too), and the ISA check
(:mod:`qcompile.isa`) compares operations with :func:`impostor_reference`, not names.

An instruction is an impostor when its name is one of the Target's operations or one of
Qiskit's standard gates (``get_standard_gate_name_mapping``) but it is not that operation:
another class, or another number of qubits, clbits or parameters.
"""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.circuit import ControlFlowOp, Instruction, Operation
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.transpiler import Target

from hardware_profiles.errors import CompileError

__all__ = ["impostor_reference", "inline_shadowed_gates"]

_STANDARD = get_standard_gate_name_mapping()

# Gates from these modules are Qiskit's or qattn's own: their definitions hold no user gate,
# and building some of them (large QRAM references) is expensive, so they are not searched.
_TRUSTED_MODULES = ("qiskit.circuit.library", "qcompile.")


def impostor_reference(
    operation: Operation, target: Target | None = None
) -> Operation | type | None:
    """The operation whose name ``operation`` carries without being it, if any.

    Args:
        operation: an instruction's operation.
        target: the device Target; its operations are the reference for their names, and
            Qiskit's standard gates for the other standard names. Defaults to None
            (standard gates only).

    Returns:
        The Target's (or the standard) operation of that name, or its class for a variadic
        Target operation, when ``operation`` is something else; None when ``operation`` is
        that operation or its name is no reference's.
    """
    name = operation.name
    reference: Operation | type | None = None
    if target is not None and name in target.operation_names:
        reference = target.operation_from_name(name)
    if reference is None:
        reference = _STANDARD.get(name)
    if reference is None:
        return None
    if isinstance(reference, type):
        return None if isinstance(operation, reference) else reference
    return None if _same_operation(operation, reference) else reference


def _same_operation(operation: Operation, reference: Operation) -> bool:
    base = getattr(operation, "base_class", type(operation))
    return bool(
        base is getattr(reference, "base_class", type(reference))
        and operation.num_qubits == reference.num_qubits
        and operation.num_clbits == reference.num_clbits
        and len(getattr(operation, "params", ())) == len(getattr(reference, "params", ()))
    )


def inline_shadowed_gates(circuit: QuantumCircuit, target: Target | None = None) -> QuantumCircuit:
    """``circuit`` with every gate that shadows a native or standard name inlined.

    An impostor (see :func:`impostor_reference`) is replaced by its definition, itself
    cleaned the same way; a user-defined gate whose definition holds an impostor is
    inlined too, and control-flow blocks are cleaned in place. An opaque impostor (no
    definition, e.g. OpenQASM 2 ``opaque ecr a, b;``) with the reference's shape of
    qubits, clbits and parameters declares the native gate and becomes it.

    Args:
        circuit: a logical circuit.
        target: the device Target. Defaults to None (Qiskit's standard gates only).

    Returns:
        ``circuit`` itself when it holds no impostor, else a cleaned copy whose unitary
        is the one the user defined.

    Raises:
        CompileError: an opaque impostor whose shape is not the native gate's.
    """
    cleaned = _clean(circuit, target)
    return circuit if cleaned is None else cleaned


def _clean(circuit: QuantumCircuit, target: Target | None) -> QuantumCircuit | None:
    """``circuit`` without impostors, or None when it has none."""
    out: QuantumCircuit | None = None
    for index, instruction in enumerate(circuit.data):
        replacement = _replacement(instruction.operation, target)
        if replacement is None:
            if out is not None:
                out._append(instruction)
            continue
        if out is None:
            out = circuit.copy_empty_like()
            for earlier in circuit.data[:index]:
                out._append(earlier)
        if isinstance(replacement, QuantumCircuit):
            out.compose(
                replacement, qubits=instruction.qubits, clbits=instruction.clbits, inplace=True
            )
        else:
            out._append(instruction.replace(operation=replacement))
    return out


def _replacement(operation: Operation, target: Target | None) -> QuantumCircuit | Operation | None:
    """What replaces ``operation``: its cleaned definition, a native op, or None to keep it."""
    if isinstance(operation, ControlFlowOp):
        blocks = [_clean(block, target) for block in operation.blocks]
        if all(block is None for block in blocks):
            return None
        return operation.replace_blocks(
            [
                new if new is not None else old
                for new, old in zip(blocks, operation.blocks, strict=True)
            ]
        )
    reference = impostor_reference(operation, target)
    if reference is not None:
        definition = operation.definition if isinstance(operation, Instruction) else None
        if definition is None:
            return _declared_native(operation, reference)
        return _clean(definition, target) or definition
    module = getattr(operation, "base_class", type(operation)).__module__ or ""
    if not isinstance(operation, Instruction) or module.startswith(_TRUSTED_MODULES):
        return None
    definition = operation.definition
    return None if definition is None else _clean(definition, target)


def _declared_native(operation: Operation, reference: Operation | type) -> Operation:
    """The native operation an opaque gate of the same shape declares."""
    params = list(getattr(operation, "params", ()))
    if isinstance(reference, Instruction) and (
        operation.num_qubits == reference.num_qubits
        and operation.num_clbits == reference.num_clbits
        and len(params) == len(reference.params)
    ):
        native = reference.to_mutable()
        native.params = params
        return native
    if isinstance(reference, Instruction):
        shape = f"{reference.num_qubits} qubit(s), {len(reference.params)} parameter(s)"
    else:
        shape = reference.__name__
    raise CompileError(
        f"gate {operation.name!r} on {operation.num_qubits} qubit(s) with {len(params)} "
        f"parameter(s) has no definition and is not the native {operation.name} ({shape}): "
        "rename it or give it a body"
    )
