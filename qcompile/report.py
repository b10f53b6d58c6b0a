"""The compile report: what a compiled circuit costs on its profile's device."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from qiskit import QuantumCircuit
from qiskit.circuit import CircuitInstruction, ControlFlowOp, ForLoopOp, IfElseOp, SwitchCaseOp
from qiskit.transpiler import Target

__all__ = [
    "CompileReport",
    "circuit_depth",
    "estimate_success_probability",
    "gate_counts",
    "has_control_flow",
    "is_two_qubit",
    "iter_instructions",
    "two_qubit_count",
    "two_qubit_depth",
]

_PASSIVE = {"barrier", "delay"}


def is_two_qubit(instruction: Any) -> bool:
    """True for gates acting on two qubits (barriers and control-flow blocks excluded)."""
    return bool(
        len(instruction.qubits) == 2
        and instruction.operation.name not in _PASSIVE
        and not instruction.clbits
        and not isinstance(instruction.operation, ControlFlowOp)
    )


def has_control_flow(circuit: QuantumCircuit) -> bool:
    """True when the circuit holds an ``if_else``, ``for_loop``, ``while_loop`` or ``switch``."""
    return any(isinstance(inst.operation, ControlFlowOp) for inst in circuit.data)


def iter_instructions(
    circuit: QuantumCircuit, qubits: tuple[int, ...] | None = None
) -> Iterator[tuple[CircuitInstruction, tuple[int, ...]]]:
    """Every instruction with its qubit indices in the outermost circuit, bodies included.

    A control-flow instruction comes first, then each of its blocks' instructions, once
    each as written (a loop body is not repeated).
    """
    where = qubits if qubits is not None else tuple(range(circuit.num_qubits))
    for instruction in circuit.data:
        outer = tuple(where[circuit.find_bit(q).index] for q in instruction.qubits)
        yield instruction, outer
        if isinstance(instruction.operation, ControlFlowOp):
            for block in instruction.operation.blocks:
                yield from iter_instructions(block, outer)


def gate_counts(circuit: QuantumCircuit) -> dict[str, int]:
    """``count_ops`` that also counts inside control-flow blocks (each written gate once)."""
    return dict(Counter(inst.operation.name for inst, _ in iter_instructions(circuit)))


def two_qubit_count(circuit: QuantumCircuit) -> int:
    """Two-qubit gates, control-flow bodies included (each written gate once)."""
    return sum(1 for inst, _ in iter_instructions(circuit) if is_two_qubit(inst))


def two_qubit_depth(circuit: QuantumCircuit) -> int:
    """Depth counting only two-qubit gates (through control flow: see :func:`circuit_depth`)."""
    if has_control_flow(circuit):
        return circuit_depth(circuit, is_two_qubit)
    return int(circuit.depth(filter_function=is_two_qubit))


def circuit_depth(circuit: QuantumCircuit, counts: Callable[[Any], bool] | None = None) -> int:
    """Longest path of counted instructions over qubit and clbit wires, through control flow.

    A control-flow instruction occupies all its wires for its deepest branch (a loop with a
    known index set for every iteration, a ``while`` loop for one). Without control flow this
    equals ``QuantumCircuit.depth``.

    Args:
        circuit: the circuit.
        counts: which instructions add a layer. Defaults to all but directives (barriers).
    """
    keep = counts or (lambda inst: not getattr(inst.operation, "_directive", False))
    finish: dict[Any, int] = {}
    for instruction in circuit.data:
        op = instruction.operation
        wires = [*instruction.qubits, *instruction.clbits]
        if isinstance(op, ControlFlowOp):
            inner = max((circuit_depth(block, keep) for block in op.blocks), default=0)
            if isinstance(op, ForLoopOp):
                inner *= len(op.params[0])
        else:
            inner = 1 if keep(instruction) else 0
        if inner == 0 or not wires:
            continue
        end = max((finish.get(w, 0) for w in wires), default=0) + inner
        for wire in wires:
            finish[wire] = end
    return max(finish.values(), default=0)


def estimate_success_probability(
    circuit: QuantumCircuit, target: Target
) -> tuple[float, float, int]:
    """Product of (1 − error) over the gates and readouts a compiled circuit uses.

    Errors come from the Target's InstructionProperties at each instruction's physical
    qubits. Inside control flow the worst branch of an ``if_else`` or ``switch`` counts, a
    ``for`` body counts once per iteration and a ``while`` body once.

    Returns:
        (probability, log10 of it, number of instructions without error data).
    """
    log_p, unknown = _log_success(circuit, target, tuple(range(circuit.num_qubits)))
    if math.isinf(log_p):
        return 0.0, float("-inf"), unknown
    return math.exp(log_p), log_p / math.log(10), unknown


def _log_success(
    circuit: QuantumCircuit, target: Target, where: tuple[int, ...]
) -> tuple[float, int]:
    log_p = 0.0
    unknown = 0
    for instruction in circuit.data:
        op = instruction.operation
        qargs = tuple(where[circuit.find_bit(q).index] for q in instruction.qubits)
        if isinstance(op, ControlFlowOp):
            branches = [_log_success(block, target, qargs) for block in op.blocks]
            if isinstance(op, (IfElseOp, SwitchCaseOp)):
                branches.append((0.0, 0))  # an if without else, or no matching case
            worst = min(branches, key=lambda b: b[0])
            repeat = len(op.params[0]) if isinstance(op, ForLoopOp) else 1
            if repeat:
                log_p += worst[0] * repeat
            unknown += sum(b[1] for b in branches)
            continue
        name = op.name
        if name in _PASSIVE or name not in target.operation_names:
            continue
        props = target[name].get(qargs)
        if props is None or props.error is None:
            unknown += 1
            continue
        if props.error >= 1.0:
            return float("-inf"), unknown
        log_p += math.log1p(-props.error)
    return log_p, unknown


@dataclass(frozen=True)
class CompileReport:
    """Figures of one compilation, for JSON and Markdown output.

    Every figure is counted on the compiled ISA circuit, except ``logical_*``.
    ``duration_s`` is the critical path under the Target's instruction durations
    (``QuantumCircuit.estimate_duration``; for dynamic circuits
    :func:`qcompile.duration.circuit_duration`, which adds the mid-circuit measurements and
    an assumed feed-forward latency per conditional block); ``success_probability`` is the
    product of (1 − error) over the gates and readouts used, a coarse upper-bound-style estimate
    that ignores decoherence during idling and crosstalk. A report exists only for a circuit
    that passed qattn's ISA check (:func:`qcompile.isa.isa_violations`); the compile fails
    otherwise, so the report holds no "ISA valid" flag. ``faulty_qubits_used`` and
    ``faulty_couplers_used`` list the hardware the profile marks faulty that the circuit
    still uses (possible under ``faults.mode = "penalize"`` or ``"keep"``; never under
    ``"exclude"``), and the Markdown and terminal reports say so.
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
    faulty_qubits_used: list[int] = field(default_factory=list)
    faulty_couplers_used: list[list[int]] = field(default_factory=list)
    lookup_check: dict[str, Any] | None = None

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
            ("Equivalence", _fmt_equivalence(eq, detail=True)),
            *([("Lookup check", _fmt_lookup(self.lookup_check))] if self.lookup_check else []),
            ("Compile time", f"{self.compile_time_s:.3f} s"),
            ("Initial layout (virtual → physical)", _fmt_layout(self.initial_layout)),
            ("Final layout (virtual → physical)", _fmt_layout(self.final_layout)),
            ("Options", ", ".join(f"{k}={v}" for k, v in self.options.items())),
            ("Versions", ", ".join(f"{k} {v}" for k, v in self.versions.items())),
        ]
        if self.faulty_qubits_used or self.faulty_couplers_used:
            rows.insert(1, ("Faulty hardware used", self._faulty_used()))
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
                f"  equivalence      {_fmt_equivalence(eq)}",
                *(
                    [f"  lookup check     {_fmt_lookup(self.lookup_check)}"]
                    if self.lookup_check
                    else []
                ),
                *(
                    [f"  FAULTY HARDWARE  {self._faulty_used()}"]
                    if self.faulty_qubits_used or self.faulty_couplers_used
                    else []
                ),
                f"  layout           {_fmt_layout(self.initial_layout)}",
                f"  compile time     {self.compile_time_s:.3f} s "
                f"(qiskit {self.versions.get('qiskit')}, "
                f"optimization level {self.options.get('optimization_level')})",
            ]
        )

    def _faulty_used(self) -> str:
        parts = []
        if self.faulty_qubits_used:
            parts.append(f"qubits {self.faulty_qubits_used}")
        if self.faulty_couplers_used:
            pairs = ", ".join(f"{a}-{b}" for a, b in self.faulty_couplers_used)
            parts.append(f"couplers [{pairs}]")
        return "uses faulty " + " and ".join(parts) + f" (faults policy of {self.profile})"


def _fmt_equivalence(eq: dict[str, Any], detail: bool = False) -> str:
    """``equivalent (qcec; measured distribution)``, or ``not checked: <reason>``."""
    if eq.get("status") in ("skipped", "not_checked"):
        return f"not checked: {eq.get('detail')}"
    notion = str(eq.get("notion", "none")).replace("_", " ")
    extra = f"; {eq.get('detail')}" if detail else ""
    return f"{eq.get('status')} ({eq.get('method')}; {notion}{extra})"


def _fmt_lookup(check: dict[str, Any]) -> str:
    """``exact on all 32 basis inputs (basis_inputs, 0.12 s)``, or why not."""
    status, method = check.get("status"), check.get("method")
    seconds = f"{check.get('seconds', 0.0):.2f} s"
    bound = ", parameters at random values" if check.get("parameters_bound") else ""
    if status == "not_checked":
        return f"not checked: {check.get('detail')}"
    if method == "basis_inputs":
        what = f"on all {check.get('inputs')} basis inputs"
    else:
        what = f"on a random state of {check.get('input_qubits')} input qubits"
    return f"{status} {what}, ancillas back to |0> ({method}{bound}, {seconds})"


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
