"""Finding and handling dead hardware in a Target (see :class:`FaultPolicy`).

Under ``exclude`` a faulty qubit leaves the Target entirely: no instruction of any kind is
defined on it, so nothing can be placed, measured or routed there. :func:`usable_qubits` is
how later steps (the compiler's width check and layout repair) tell such a qubit from a
working one, from the Target alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from qiskit import QuantumCircuit
from qiskit.circuit import ControlFlowOp
from qiskit.transpiler import InstructionProperties, Target

from hardware_profiles.specs import FaultPolicy
from hardware_profiles.target_map import map_target

__all__ = ["FaultReport", "apply_fault_policy", "find_faults", "usable_qubits"]


@dataclass(frozen=True)
class FaultReport:
    """Faulty hardware found in a Target, and what the policy did with it.

    Attributes:
        mode: the policy mode that was applied.
        couplers: faulty couplers as sorted (low, high) physical qubit pairs.
        qubits: faulty qubits (readout or single-qubit error over threshold); under
            ``exclude`` they are no longer in the Target at all.
        isolated: working qubits left with no usable coupler after exclusion (they keep
            their single-qubit gates and measurement).
    """

    mode: str
    couplers: tuple[tuple[int, int], ...]
    qubits: tuple[int, ...]
    isolated: tuple[int, ...] = ()

    def describe(self) -> str:
        """One line for ``profiles show``."""
        if not self.couplers and not self.qubits:
            return "none found"
        verb = {"exclude": "excluded", "penalize": "penalized (error 1.0)", "keep": "kept"}[
            self.mode
        ]
        parts = [f"{_plural(len(self.couplers), 'coupler')} {_pairs(self.couplers)}"]
        if self.qubits:
            parts.append(f"{_plural(len(self.qubits), 'qubit')} {list(self.qubits)}")
        line = f"{' and '.join(parts)} {verb}"
        if self.isolated:
            line += f"; isolated qubits {list(self.isolated)}"
        return line

    def used_in(
        self, circuit: QuantumCircuit
    ) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
        """The faulty qubits and couplers an ISA circuit uses (inside control flow too).

        Args:
            circuit: a circuit on the device's physical qubits (qubit ``i`` is physical ``i``).

        Returns:
            The faulty qubits it applies any instruction to (barriers aside) and the faulty
            couplers it applies a two-qubit instruction to, both sorted.
        """
        bad_qubits = set(self.qubits)
        bad_couplers = set(self.couplers)
        qubits: set[int] = set()
        couplers: set[tuple[int, int]] = set()
        for qargs in _placed_qargs(circuit, list(range(circuit.num_qubits))):
            qubits.update(q for q in qargs if q in bad_qubits)
            if len(qargs) == 2:
                pair = (min(qargs), max(qargs))
                if pair in bad_couplers or bad_qubits.intersection(pair):
                    couplers.add(pair)
        return tuple(sorted(qubits)), tuple(sorted(couplers))


def _placed_qargs(circuit: QuantumCircuit, physical: list[int]) -> list[tuple[int, ...]]:
    """The physical qargs of every instruction but barriers, control-flow blocks included."""
    found: list[tuple[int, ...]] = []
    for instruction in circuit.data:
        operation = instruction.operation
        qargs = tuple(physical[circuit.find_bit(q).index] for q in instruction.qubits)
        if isinstance(operation, ControlFlowOp):
            for block in operation.blocks:
                found += _placed_qargs(block, list(qargs))
        elif operation.name != "barrier":
            found.append(qargs)
    return found


def usable_qubits(target: Target) -> tuple[int, ...]:
    """The physical qubits of ``target`` that at least one instruction is defined on.

    A qubit that a fault policy excluded has no instruction at all, so layout must never
    place a circuit qubit there. Global instructions (control flow, or every instruction of
    an ideal Target) say nothing about single qubits; a Target with only those has every
    qubit usable.

    Args:
        target: any Target.

    Returns:
        The usable qubits, sorted.
    """
    num_qubits = target.num_qubits or 0
    used: set[int] = set()
    local = False
    for name in target.operation_names:
        for qargs in target[name]:
            if qargs is not None:
                local = True
                used.update(qargs)
    if not local:
        return tuple(range(num_qubits))
    return tuple(q for q in range(num_qubits) if q in used)


def _pairs(pairs: tuple[tuple[int, int], ...]) -> str:
    return "[" + ", ".join(f"{a}-{b}" for a, b in pairs) + "]"


def find_faults(target: Target, policy: FaultPolicy) -> FaultReport:
    """Lists the qubits and couplers of ``target`` that ``policy`` deems faulty.

    Args:
        target: the Target as calibrated.
        policy: thresholds and mode.

    Returns:
        The faulty couplers and qubits (the report's ``isolated`` is left empty).
    """
    bad_qubits: set[int] = set()
    bad_couplers: set[tuple[int, int]] = set()
    for name in target.operation_names:
        props_map = target[name]
        for qargs, props in props_map.items():
            if qargs is None or props is None or props.error is None:
                continue
            if name == "measure":
                if props.error >= policy.max_readout_error:
                    bad_qubits.add(qargs[0])
            elif len(qargs) == 1:
                if props.error >= policy.max_one_qubit_error:
                    bad_qubits.add(qargs[0])
            elif len(qargs) == 2 and props.error >= policy.max_two_qubit_error:
                a, b = qargs
                bad_couplers.add((min(a, b), max(a, b)))
    return FaultReport(
        mode=policy.mode,
        couplers=tuple(sorted(bad_couplers)),
        qubits=tuple(sorted(bad_qubits)),
    )


def apply_fault_policy(target: Target, policy: FaultPolicy) -> tuple[Target, FaultReport]:
    """Applies ``policy`` to ``target``.

    Args:
        target: the Target as calibrated; not modified.
        policy: what to do with faulty hardware.

    Returns:
        The Target to compile for (``target`` itself when nothing changes) and the report.
    """
    report = find_faults(target, policy)
    if policy.mode == "keep" or (not report.couplers and not report.qubits):
        return target, report
    bad_qubits = set(report.qubits)
    bad_couplers = set(report.couplers)

    def is_faulty(qargs: tuple[int, ...]) -> bool:
        if len(qargs) < 2:
            return False
        return (min(qargs), max(qargs)) in bad_couplers or bool(bad_qubits.intersection(qargs))

    def transform(
        name: str, qargs: tuple[int, ...], props: InstructionProperties | None
    ) -> tuple[tuple[int, ...], InstructionProperties | None] | None:
        penalized_qubit = len(qargs) == 1 and qargs[0] in bad_qubits
        if policy.mode == "exclude" and penalized_qubit:
            return None  # every instruction on a faulty qubit: it leaves the Target
        if is_faulty(qargs):
            if policy.mode == "exclude":
                return None
            duration = props.duration if props is not None else None
            return qargs, InstructionProperties(duration=duration, error=1.0)
        if policy.mode == "penalize" and penalized_qubit and props and props.error is not None:
            return qargs, InstructionProperties(duration=props.duration, error=1.0)
        return qargs, props

    new = map_target(target, transform)
    isolated: tuple[int, ...] = ()
    if policy.mode == "exclude":
        graph = new.build_coupling_map()
        if graph is not None:
            degree = {q: 0 for q in range(new.num_qubits or 0)}
            for a, b in graph.get_edges():
                degree[a] += 1
                degree[b] += 1
            was_coupled: set[int] = set()
            original = target.build_coupling_map()
            if original is not None:
                for a, b in original.get_edges():
                    was_coupled.update((a, b))
            isolated = tuple(
                q
                for q, d in sorted(degree.items())
                if d == 0 and q in was_coupled and q not in bad_qubits
            )
    return new, replace(report, isolated=isolated)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
