"""The compile report: what a compiled circuit costs on its profile's device."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from qiskit import QuantumCircuit
from qiskit.transpiler import Target

__all__ = [
    "CompileReport",
    "estimate_success_probability",
    "is_two_qubit",
    "two_qubit_depth",
]

_PASSIVE = {"barrier", "delay"}


def is_two_qubit(instruction: Any) -> bool:
    """True for gates acting on two qubits (barriers excluded)."""
    return bool(
        len(instruction.qubits) == 2
        and instruction.operation.name not in _PASSIVE
        and not instruction.clbits
    )


def two_qubit_depth(circuit: QuantumCircuit) -> int:
    """Depth counting only two-qubit gates."""
    return int(circuit.depth(filter_function=is_two_qubit))


def estimate_success_probability(
    circuit: QuantumCircuit, target: Target
) -> tuple[float, float, int]:
    """Product of (1 − error) over the gates and readouts a compiled circuit uses.

    Errors come from the Target's InstructionProperties at each instruction's physical
    qubits. Control-flow bodies are not counted.

    Returns:
        (probability, log10 of it, number of instructions without error data).
    """
    log_p = 0.0
    unknown = 0
    for instruction in circuit.data:
        name = instruction.operation.name
        if name in _PASSIVE or name not in target.operation_names:
            continue
        qargs = tuple(circuit.find_bit(q).index for q in instruction.qubits)
        props = target[name].get(qargs)
        if props is None or props.error is None:
            unknown += 1
            continue
        if props.error >= 1.0:
            return 0.0, float("-inf"), unknown
        log_p += math.log1p(-props.error)
    return math.exp(log_p), log_p / math.log(10), unknown


@dataclass(frozen=True)
class CompileReport:
    """Figures of one compilation, for JSON and Markdown output.

    Every figure is counted on the compiled ISA circuit, except ``logical_*``.
    ``duration_s`` is the critical path under the Target's instruction durations
    (``QuantumCircuit.estimate_duration``); ``success_probability`` is the product of
    (1 − error) over the gates and readouts used, a coarse upper-bound-style estimate
    that ignores decoherence during idling and crosstalk. A report exists only for a circuit
    that passed qattn's ISA check (:func:`qcompile.isa.isa_violations`); the compile fails
    otherwise, so the report holds no "ISA valid" flag.
    """

    circuit_name: str
    profile: str
    profile_kind: str
    calibration_date: str | None
    device_qubits: int
    logical_qubits: int
    active_qubits: int
    registers: dict[str, int]
    parameters: dict[str, int]
    logical_gate_counts: dict[str, int]
    gate_counts: dict[str, int]
    two_qubit_gates: int
    depth: int
    two_qubit_depth: int
    duration_s: float | None
    success_probability: float
    log10_success_probability: float
    instructions_without_error_data: int
    measured: bool
    initial_layout: list[int]
    final_layout: list[int]
    equivalence: dict[str, Any]
    compile_time_s: float
    options: dict[str, Any]
    versions: dict[str, str]
    provenance: dict[str, str | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON dictionary."""
        data = asdict(self)
        if math.isinf(self.log10_success_probability):
            data["log10_success_probability"] = None
        return data

    def to_json(self) -> str:
        """Indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    def to_markdown(self) -> str:
        """A Markdown report for people."""
        eq = self.equivalence
        rows = [
            ("Profile", f"`{self.profile}` ({self.profile_kind}, {self.device_qubits} qubits)"),
            ("Calibration date", self.calibration_date or "n/a (synthetic)"),
            ("Logical qubits", str(self.logical_qubits)),
            ("Registers", _fmt_counts(self.registers, by_count=False) or "none"),
            ("Parameters", _fmt_counts(self.parameters, by_count=False) or "none"),
            ("Active physical qubits", str(self.active_qubits)),
            ("Two-qubit gates", str(self.two_qubit_gates)),
            ("Depth / 2q depth", f"{self.depth} / {self.two_qubit_depth}"),
            ("Estimated duration", _fmt_seconds(self.duration_s)),
            (
                "Estimated success probability",
                f"{self.success_probability:.4g}"
                + ("" if self.measured else " (no readout: circuit has no measurements)"),
            ),
            ("ISA valid", "yes (qattn ISA check)"),
            ("Equivalence", f"{eq.get('status')} ({eq.get('method')}; {eq.get('detail')})"),
            ("Compile time", f"{self.compile_time_s:.3f} s"),
            ("Initial layout (virtual → physical)", _fmt_layout(self.initial_layout)),
            ("Final layout (virtual → physical)", _fmt_layout(self.final_layout)),
            ("Options", ", ".join(f"{k}={v}" for k, v in self.options.items())),
            ("Versions", ", ".join(f"{k} {v}" for k, v in self.versions.items())),
        ]
        lines = [
            f"# Compile report: {self.circuit_name} on {self.profile}",
            "",
            "| Figure | Value |",
            "| --- | --- |",
            *(f"| {k} | {v} |" for k, v in rows),
            "",
            "## Gate counts",
            "",
            "| Gate | Logical | Compiled |",
            "| --- | ---: | ---: |",
        ]
        names = sorted(set(self.gate_counts) | set(self.logical_gate_counts))
        for name in names:
            lines.append(
                f"| {name} | {self.logical_gate_counts.get(name, 0)} | "
                f"{self.gate_counts.get(name, 0)} |"
            )
        return "\n".join(lines) + "\n"

    def to_text(self) -> str:
        """A short terminal summary."""
        eq = self.equivalence
        return "\n".join(
            [
                f"{self.circuit_name} on {self.profile} ({self.device_qubits} qubits, "
                f"calibrated {self.calibration_date or 'n/a'})",
                f"  qubits           logical {self.logical_qubits}, "
                f"active physical {self.active_qubits}"
                + (f" (registers: {_fmt_counts(self.registers, by_count=False)})"),
                f"  parameters       {_fmt_counts(self.parameters, by_count=False) or 'none'}",
                f"  gates            {_fmt_counts(self.gate_counts)}",
                f"  two-qubit gates  {self.two_qubit_gates}",
                f"  depth            {self.depth} (two-qubit depth {self.two_qubit_depth})",
                f"  duration         {_fmt_seconds(self.duration_s)}",
                f"  est. success     {self.success_probability:.4g}"
                + ("" if self.measured else " (gates only: no measurements)"),
                "  ISA              valid",
                f"  equivalence      {eq.get('status')} ({eq.get('method')})",
                f"  layout           {_fmt_layout(self.initial_layout)}",
                f"  compile time     {self.compile_time_s:.3f} s "
                f"(qiskit {self.versions.get('qiskit')}, "
                f"optimization level {self.options.get('optimization_level')})",
            ]
        )


def _fmt_counts(counts: dict[str, int], by_count: bool = True) -> str:
    items = sorted(counts.items(), key=lambda kv: -kv[1]) if by_count else counts.items()
    return ", ".join(f"{k} {v}" for k, v in items)


def _fmt_layout(layout: list[int]) -> str:
    if len(layout) > 16:
        head = ", ".join(f"{v}→{p}" for v, p in enumerate(layout[:16]))
        return f"{head}, … ({len(layout)} qubits)"
    return ", ".join(f"{v}→{p}" for v, p in enumerate(layout))


def _fmt_seconds(value: float | None) -> str:
    if value is None:
        return "n/a (profile has no durations)"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if value >= scale:
            return f"{value / scale:.4g} {unit}"
    return f"{value:.3g} s"
