"""Compiling a logical circuit into an ISA circuit for a device profile.

qattn does not re-implement transpilation: it runs Qiskit's preset pass manager for the
profile's Target, then checks the result (ISA, equivalence) and counts what it costs.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from qiskit import QuantumCircuit
from qiskit.transpiler import PassManager, generate_preset_pass_manager
from qiskit.transpiler.preset_passmanagers.plugin import list_stage_plugins

from hardware_profiles.errors import CompileError, EquivalenceError, IsaError
from hardware_profiles.versions import versions
from qcompile.equivalence import EquivalenceResult, active_qubits, check_equivalence
from qcompile.isa import isa_violations
from qcompile.report import (
    CompileReport,
    estimate_success_probability,
    is_two_qubit,
    two_qubit_depth,
)

if TYPE_CHECKING:
    from hardware_profiles import DeviceProfile

__all__ = [
    "CompileOptions",
    "CompileResult",
    "compile_circuit",
    "parameter_groups",
    "preset_pass_manager",
]


@dataclass(frozen=True)
class CompileOptions:
    """How to compile.

    Attributes:
        optimization_level: Qiskit preset level 0–3. Defaults to 2 (Qiskit's default).
        seed: ``seed_transpiler``; the same seed, input and versions give the same
            circuit. Defaults to 0.
        layout_method: a layout stage plugin name (``trivial``, ``dense``, ``sabre``,
            ``default`` or an installed plugin). Defaults to Qiskit's choice.
        routing_method: a routing stage plugin name (``sabre``, ``basic``,
            ``lookahead``, ``none``...). Defaults to Qiskit's choice.
        equivalence_max_qubits: check equivalence when at most this many physical
            qubits are active; 0 disables the check. Defaults to 12.
        equivalence_timeout: seconds the equivalence proof may take before the
            report settles for "probably equivalent". Defaults to 10.
        qram: how ``QRAMQuery`` gates are lowered (``bucket-brigade``, ``bb-2q``,
            ``bb-lean``, ``qrom``, ``select-swap``, ``multiplexer``); None leaves them to Qiskit's
            synthesis of their reference definition. Defaults to None.
    """

    optimization_level: int = 2
    seed: int = 0
    layout_method: str | None = None
    routing_method: str | None = None
    equivalence_max_qubits: int = 12
    equivalence_timeout: float = 10.0
    qram: str | None = None

    def __post_init__(self) -> None:
        if self.optimization_level not in (0, 1, 2, 3):
            raise CompileError(
                f"optimization level must be 0, 1, 2 or 3, got {self.optimization_level}"
            )
        if self.seed < 0:
            raise CompileError(f"seed must be >= 0, got {self.seed}")
        for stage, value in (("layout", self.layout_method), ("routing", self.routing_method)):
            if value is not None and value not in list_stage_plugins(stage):
                known = ", ".join(sorted(list_stage_plugins(stage)))
                raise CompileError(f"unknown {stage} method {value!r} (installed: {known})")
        if self.equivalence_max_qubits < 0:
            raise CompileError("equivalence_max_qubits must be >= 0")
        if self.equivalence_timeout <= 0:
            raise CompileError("equivalence_timeout must be > 0")
        if self.qram is not None:
            from qcompile.qram import CONSTRUCTIONS

            if self.qram not in CONSTRUCTIONS or self.qram == "oracle":
                known = ", ".join(k for k in CONSTRUCTIONS if k != "oracle")
                raise CompileError(
                    f"--qram {self.qram!r} cannot be compiled (choose one of: {known}; "
                    "'oracle' is a cost model for resource reports only)"
                )


@dataclass(frozen=True)
class CompileResult:
    """A compiled circuit and its report.

    Attributes:
        circuit: the ISA circuit on the device's physical qubits (carries ``layout``).
        logical: the input circuit.
        report: the figures.
    """

    circuit: QuantumCircuit
    logical: QuantumCircuit
    report: CompileReport


def preset_pass_manager(profile: DeviceProfile, options: CompileOptions) -> PassManager:
    """Qiskit's preset pass manager for the profile's Target with ``options``.

    With ``options.qram`` set, QRAM lowering runs as the ``pre_init`` stage.
    """
    pass_manager = generate_preset_pass_manager(
        optimization_level=options.optimization_level,
        target=profile.target(),
        seed_transpiler=options.seed,
        layout_method=options.layout_method,
        routing_method=options.routing_method,
    )
    if options.qram is not None:
        from qcompile.qram import add_qram_lowering

        add_qram_lowering(pass_manager, options.qram)
    return pass_manager


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def compile_circuit(
    circuit: QuantumCircuit,
    profile: DeviceProfile,
    options: CompileOptions | None = None,
) -> CompileResult:
    """Compiles ``circuit`` for ``profile`` and reports what it costs.

    Args:
        circuit: a logical circuit (any gates Qiskit can synthesize; parameters allowed).
        profile: the device profile.
        options: compile options. Defaults to ``CompileOptions()``.

    Returns:
        The ISA circuit and its report.

    Raises:
        CompileError: the circuit is wider than the device or cannot be translated.
        IsaError: the result fails our ISA check (a bug in a pass).
        EquivalenceError: the result is not equivalent to the input (a bug in a pass).
    """
    options = options or CompileOptions()
    target = profile.target()
    device_qubits = target.num_qubits or 0
    if circuit.num_qubits > device_qubits:
        raise CompileError(
            f"circuit {circuit.name!r} needs {circuit.num_qubits} qubits but profile "
            f"{profile.name!r} has {device_qubits}"
        )
    if profile.kind == "fault_tolerant" and circuit.parameters:
        raise CompileError(
            f"circuit {circuit.name!r} has {circuit.num_parameters} free parameters; the "
            f"Clifford+T profile {profile.name!r} synthesizes rotations from numeric angles, "
            "so bind them first (assign_parameters, or ModelCircuit.bind)"
        )
    pass_manager = preset_pass_manager(profile, options)
    start = time.perf_counter()
    try:
        compiled = pass_manager.run(circuit)
    except Exception as exc:  # the transpiler raises many types; all mean "cannot compile"
        raise CompileError(
            f"cannot compile {circuit.name!r} for {profile.name!r}: {_one_line(exc)}"
        ) from None
    compile_time = time.perf_counter() - start

    violations = isa_violations(compiled, target)
    if violations:
        raise IsaError(
            f"compiled {circuit.name!r} is not ISA for {profile.name!r}: {violations[0]}"
        )
    if options.equivalence_max_qubits:
        equivalence = check_equivalence(
            circuit,
            compiled,
            max_qubits=options.equivalence_max_qubits,
            seed=options.seed,
            timeout=options.equivalence_timeout,
        )
    else:
        equivalence = EquivalenceResult("skipped", "none", 0, "disabled")
    if equivalence.status == "not_equivalent":
        raise EquivalenceError(
            f"compiled {circuit.name!r} is not equivalent to the input "
            f"({equivalence.method}: {equivalence.detail})"
        )
    report = build_report(circuit, compiled, profile, options, compile_time, equivalence)
    return CompileResult(circuit=compiled, logical=circuit, report=report)


def parameter_groups(circuit: QuantumCircuit) -> dict[str, int]:
    """Free parameters counted per ParameterVector name (e.g. ``inputs``, ``weights``)."""
    groups: dict[str, int] = {}
    for parameter in circuit.parameters:
        vector = getattr(parameter, "vector", None)
        name = vector.name if vector is not None else "other"
        groups[name] = groups.get(name, 0) + 1
    return groups


def build_report(
    logical: QuantumCircuit,
    compiled: QuantumCircuit,
    profile: DeviceProfile,
    options: CompileOptions,
    compile_time: float,
    equivalence: EquivalenceResult,
) -> CompileReport:
    """Counts the figures of a compiled circuit against its profile's Target."""
    target = profile.target()
    success, log10_success, unknown = estimate_success_probability(compiled, target)
    try:
        duration: float | None = float(compiled.estimate_duration(target, unit="s"))
    except Exception:  # Target without durations for some instruction
        duration = None
    layout = compiled.layout
    if layout is not None:
        initial = [int(q) for q in layout.initial_index_layout(filter_ancillas=True)]
        final = [int(q) for q in layout.final_index_layout(filter_ancillas=True)]
    else:
        initial = final = list(range(logical.num_qubits))
    provenance = profile.provenance()
    counts: dict[str, Any] = dict(compiled.count_ops())
    return CompileReport(
        circuit_name=logical.name,
        profile=profile.name,
        profile_kind=profile.kind,
        calibration_date=provenance.get("calibration_date"),
        device_qubits=target.num_qubits or 0,
        logical_qubits=logical.num_qubits,
        active_qubits=len(active_qubits(compiled)),
        registers={reg.name: reg.size for reg in logical.qregs},
        parameters=parameter_groups(logical),
        logical_gate_counts={k: int(v) for k, v in logical.count_ops().items()},
        gate_counts={k: int(v) for k, v in counts.items()},
        two_qubit_gates=sum(1 for inst in compiled.data if is_two_qubit(inst)),
        depth=int(compiled.depth()),
        two_qubit_depth=two_qubit_depth(compiled),
        duration_s=duration,
        success_probability=success,
        log10_success_probability=log10_success,
        instructions_without_error_data=unknown,
        measured=any(inst.operation.name == "measure" for inst in compiled.data),
        initial_layout=initial,
        final_layout=final,
        isa_valid=True,
        equivalence=asdict(equivalence),
        compile_time_s=compile_time,
        options=asdict(options),
        versions=versions(),
        provenance=provenance,
    )
