"""Finding and handling dead hardware in a Target (see :class:`FaultPolicy`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from qiskit.transpiler import InstructionProperties, Target

from hardware_profiles.specs import FaultPolicy
from hardware_profiles.target_map import map_target

__all__ = ["FaultReport", "apply_fault_policy", "find_faults"]


@dataclass(frozen=True)
class FaultReport:
    """Faulty hardware found in a Target, and what the policy did with it.

    Attributes:
        mode: the policy mode that was applied.
        couplers: faulty couplers as sorted (low, high) physical qubit pairs.
        qubits: faulty qubits (readout or single-qubit error over threshold).
        isolated: qubits left with no usable coupler after exclusion.
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
            isolated = tuple(q for q, d in sorted(degree.items()) if d == 0 and q in was_coupled)
    return new, replace(report, isolated=isolated)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
