"""Restrict an ISA circuit, its observables and its Target to the physical qubits it uses.

A circuit compiled for a 156-qubit device usually touches a handful of qubits; the rest
stay in ``|0>`` and are never measured. Simulating the compact circuit on ``k`` qubits
gives the same counts and expectation values as simulating the full-width circuit, at the
cost of ``2^k`` instead of ``2^156`` (or, for noise, a model built for ``k`` qubits only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import PauliList, SparsePauliOp
from qiskit.transpiler import InstructionProperties, Target

from hardware_profiles.errors import JobError
from hardware_profiles.target_map import map_target
from qcompile.equivalence import active_qubits

__all__ = ["ActiveCircuit", "restrict_circuit", "restrict_observable", "restrict_target"]

_PASSIVE = frozenset({"barrier", "delay"})


@dataclass(frozen=True)
class ActiveCircuit:
    """An ISA circuit restricted to its active physical qubits.

    Attributes:
        circuit: the compact circuit; qubit ``i`` is physical qubit ``qubits[i]``;
            classical bits (and registers) are those of the original circuit.
        qubits: the active physical qubits, ascending.
        num_device_qubits: width of the original (device-wide) circuit.
    """

    circuit: QuantumCircuit
    qubits: tuple[int, ...]
    num_device_qubits: int

    def map_observable(self, observable: SparsePauliOp) -> SparsePauliOp:
        """``observable`` (on the device's qubits) on the compact qubits."""
        return restrict_observable(observable, self.qubits)


def restrict_circuit(circuit: QuantumCircuit) -> ActiveCircuit:
    """The compact circuit on ``active_qubits(circuit)``.

    Barriers and delays are kept on the active qubits they touch and dropped elsewhere:
    inactive qubits are never acted on, so dropping them changes no result.

    Args:
        circuit: an ISA circuit on all device qubits.

    Returns:
        The compact circuit and the physical qubits it stands for.
    """
    qubits = active_qubits(circuit) or [0]
    index = {q: i for i, q in enumerate(qubits)}
    compact = QuantumCircuit(
        len(qubits),
        name=circuit.name,
        global_phase=circuit.global_phase,
        metadata=dict(circuit.metadata or {}),
    )
    # Same clbits in the same order, so bitstrings are unchanged.
    compact.add_bits(circuit.clbits)
    for creg in circuit.cregs:
        compact.add_register(creg)
    for instruction in circuit.data:
        physical = [circuit.find_bit(q).index for q in instruction.qubits]
        if instruction.operation.name in _PASSIVE:
            kept = [index[p] for p in physical if p in index]
            if not kept:
                continue
            if instruction.operation.name == "barrier":
                compact.barrier(kept)
                continue
        try:
            mapped = [compact.qubits[index[p]] for p in physical]
        except KeyError:  # cannot happen: active_qubits counts every non-passive qubit
            raise JobError(
                f"circuit {circuit.name!r}: instruction outside its active qubits"
            ) from None
        compact.append(instruction.operation, mapped, instruction.clbits, copy=False)
    return ActiveCircuit(compact, tuple(qubits), circuit.num_qubits)


def restrict_observable(observable: SparsePauliOp, qubits: Sequence[int]) -> SparsePauliOp:
    """``observable`` on the device's qubits, restricted to ``qubits`` (renumbered 0..k-1).

    Inactive qubits stay in ``|0>``, so a term with ``Z`` or ``I`` there keeps its value
    on the active qubits and a term with ``X`` or ``Y`` there has expectation 0 and is
    dropped. This is exact for the ideal state and for noise models built on the active
    qubits only.

    Args:
        observable: a ``SparsePauliOp`` on ``num_device_qubits`` qubits.
        qubits: the active physical qubits.

    Returns:
        The observable on ``len(qubits)`` qubits (a zero operator if every term drops).
    """
    active = np.asarray(qubits, dtype=int)
    inactive = np.setdiff1d(np.arange(observable.num_qubits), active)
    paulis = observable.paulis
    keep = ~paulis.x[:, inactive].any(axis=1)
    if not keep.any():
        return SparsePauliOp("I" * len(active), coeffs=[0.0])
    restricted = PauliList.from_symplectic(
        paulis.z[keep][:, active], paulis.x[keep][:, active], paulis.phase[keep]
    )
    return SparsePauliOp(restricted, observable.coeffs[keep]).simplify(atol=0)


def restrict_target(target: Target, qubits: Sequence[int]) -> Target:
    """``target`` restricted to ``qubits``, renumbered ``0..k-1`` in the given order.

    Instruction properties (errors, durations) and qubit properties (T1, T2, frequency)
    are kept; instructions on qargs leaving ``qubits`` are dropped; global instructions
    (no qargs, e.g. control flow) stay global.
    """
    index = {q: i for i, q in enumerate(qubits)}

    def transform(
        name: str, qargs: tuple[int, ...], props: InstructionProperties | None
    ) -> tuple[tuple[int, ...], InstructionProperties | None] | None:
        if not all(q in index for q in qargs):
            return None
        return tuple(index[q] for q in qargs), props

    qubit_properties = None
    if target.qubit_properties is not None:
        qubit_properties = [target.qubit_properties[q] for q in qubits]
    return map_target(
        target,
        transform,
        num_qubits=len(qubits),
        qubit_properties=qubit_properties,
        description=f"{target.description or 'target'} restricted to {list(qubits)}",
    )
