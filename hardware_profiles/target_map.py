"""Rebuilding a Target with its instructions transformed: the one place that copies Targets.

Fault policies (drop or penalize couplers), active-qubit restriction (renumber a subset)
and noise scaling (multiply errors) are all "the same Target, instruction by instruction,
with a change": :func:`map_target` does the copying once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from qiskit.providers import QubitProperties
from qiskit.transpiler import InstructionProperties, Target

__all__ = ["InstructionMap", "map_target"]

InstructionMap = Callable[
    [str, tuple[int, ...], InstructionProperties | None],
    tuple[tuple[int, ...], InstructionProperties | None] | None,
]
"""``(name, qargs, props) -> (new_qargs, new_props)``, or None to drop the instruction."""


def map_target(
    target: Target,
    transform: InstructionMap,
    *,
    num_qubits: int | None = None,
    qubit_properties: Sequence[QubitProperties | None] | None = None,
    description: str | None = None,
) -> Target:
    """A new Target whose per-qargs instructions are ``transform``-ed copies of ``target``'s.

    Global instructions (no qargs, e.g. control flow) are copied unchanged; an instruction
    left with no qargs is dropped. Timing constraints (``dt``, granularity, alignments)
    are kept.

    Args:
        target: the source; not modified.
        transform: maps each (name, qargs, properties); None drops that entry.
        num_qubits: qubits of the new Target. Defaults to the source's.
        qubit_properties: per-qubit properties. Defaults to the source's.
        description: Defaults to the source's.
    """
    new = Target(
        description=target.description if description is None else description,
        num_qubits=target.num_qubits if num_qubits is None else num_qubits,
        dt=target.dt,
        granularity=target.granularity,
        min_length=target.min_length,
        pulse_alignment=target.pulse_alignment,
        acquire_alignment=target.acquire_alignment,
        qubit_properties=(
            target.qubit_properties if qubit_properties is None else list(qubit_properties)
        ),
        concurrent_measurements=getattr(target, "concurrent_measurements", None)
        if num_qubits is None
        else None,
    )
    for name in target.operation_names:
        operation = target.operation_from_name(name)
        props_map = target[name]
        if None in props_map:
            new.add_instruction(operation, name=name)
            continue
        kept: dict[tuple[int, ...], InstructionProperties | None] = {}
        for qargs, props in props_map.items():
            assert qargs is not None
            mapped = transform(name, qargs, props)
            if mapped is not None:
                kept[mapped[0]] = mapped[1]
        if kept:
            new.add_instruction(operation, kept, name=name)
    return new
