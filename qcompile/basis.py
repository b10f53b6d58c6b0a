"""Lowering a circuit into a gate set with no device: for counting and simulation, not hardware.

:func:`qcompile.pipeline.compile_circuit` is the one path that compiles for a device (ISA check,
equivalence, report). Some parts of qattn only need a circuit *decomposed* into a named gate set
with no layout, routing or optimization: the Clifford+T content Microsoft's estimator reads, the
CX count of an instruction, Aer's MPS basis for the QRAM semantic check. They all lower here.
"""

from __future__ import annotations

from collections.abc import Sequence

from qiskit import QuantumCircuit
from qiskit.transpiler import generate_preset_pass_manager

from hardware_profiles.errors import CompileError, one_line

__all__ = ["lower_to_basis"]


def lower_to_basis(circuit: QuantumCircuit, basis_gates: Sequence[str]) -> QuantumCircuit:
    """``circuit`` decomposed into ``basis_gates``: no device, no layout, no optimization.

    It is not an ISA circuit for any profile. Same as Qiskit's
    ``transpile(circuit, basis_gates=basis_gates, optimization_level=0)``.

    Raises:
        CompileError: some gate cannot be decomposed into ``basis_gates``.
    """
    manager = generate_preset_pass_manager(optimization_level=0, basis_gates=list(basis_gates))
    try:
        return manager.run(circuit)
    except Exception as exc:  # the transpiler raises many types; all mean "cannot lower"
        raise CompileError(f"cannot lower {circuit.name!r}: {one_line(exc)}") from None
