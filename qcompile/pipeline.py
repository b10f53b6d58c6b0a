"""Compiling a logical circuit into an ISA circuit for a device profile: the one compile path.

qattn does not re-implement transpilation: it runs Qiskit's preset pass manager for the
profile's Target, then checks the result (ISA, equivalence), counts what it costs and maps the
model's observables onto it. Everything in qattn that compiles a circuit for a device goes
through :func:`compile_circuit`, including the best-of-several-layouts search for QRAM circuits
(``CompileOptions.layouts``) and the known-``|0>`` swap rewrite
(``CompileOptions.known_zero_inputs``), so every compiled circuit passes the ISA check and gets
a report. A compiled lookup that the equivalence proof does not settle (too wide, or exact only
with ancillas in ``|0>``) is checked against the lookup table instead
(:func:`qcompile.qram.verify.check_lookup_compilation`, the report's ``lookup_check``). A plain
decomposition into a gate set, with no device (for counting and simulation),
is :func:`qcompile.basis.lower_to_basis`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import Layout, PassManager, Target, generate_preset_pass_manager
from qiskit.transpiler.preset_passmanagers.plugin import list_stage_plugins

from hardware_profiles.errors import CompileError, EquivalenceError, IsaError, one_line
from hardware_profiles.faults import FaultReport, usable_qubits
from hardware_profiles.versions import versions
from qcompile.artifact import Artifact, model_facts
from qcompile.clifford_t import clifford_t_pass_manager, is_clifford_t_target
from qcompile.delays import align_delays
from qcompile.equivalence import EquivalenceResult, active_qubits, check_equivalence
from qcompile.excluded_qubits import AvoidExcludedQubits, check_connectivity, check_width
from qcompile.isa import isa_violations
from qcompile.report import (
    CompileReport,
    circuit_depth,
    estimate_success_probability,
    gate_counts,
    has_control_flow,
    iter_instructions,
    two_qubit_count,
    two_qubit_depth,
)
from qcompile.shadowed_gates import inline_shadowed_gates

if TYPE_CHECKING:
    from qiskit.transpiler import StagedPassManager

    from hardware_profiles import DeviceProfile
    from qcompile.models import ModelCircuit

__all__ = [
    "CompileOptions",
    "CompileResult",
    "LayoutSearch",
    "compile_circuit",
    "compile_model",
    "parameter_groups",
    "preset_pass_manager",
]

_LOG = logging.getLogger(__name__)

LayoutSearch = Literal["default", "tree", "both"]
"""Which initial layouts :func:`compile_circuit` compiles from (see ``CompileOptions.layouts``)."""


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
        layouts: which initial layouts to compile from, keeping the result with the fewest
            two-qubit gates (ties go to the earlier candidate). ``"default"``: one compilation
            with ``layout_method``. ``"tree"``: the ``tree_candidates`` best embeddings of the
            circuit's interaction graph (:func:`qcompile.qram.tree_layout.tree_layouts`, as
            ``initial_layout``) and, with ``tree_stage``, the ``qram_tree`` layout stage
            (:mod:`qcompile.qram.layout_plugin`). ``"both"``: those, then the default one.
            With ``qram`` only with ``tree_candidates=0`` (its lowering adds ancillas the
            tree layouts of the input cannot place; the stage sees the lowered circuit).
            Defaults to ``"default"``. The best measured choice per QRAM kind is
            :func:`qcompile.qram_pipeline.best_qram_options`, which the CLIs use.
        tree_candidates: how many tree layouts ``"tree"`` and ``"both"`` try. Defaults to 6.
        tree_stage: whether ``"tree"`` and ``"both"`` also try the ``qram_tree`` stage.
            Defaults to True.
        known_zero_inputs: if set, the circuit's first ``known_zero_inputs`` qubits are its
            only inputs (every other qubit starts in ``|0>``), and routing SWAPs next to a
            qubit known to hold ``|0>`` become 2-CX moves or vanish
            (:mod:`qcompile.qram.known_zero`). The result is then exact on that subspace
            only, so the (full-unitary) equivalence check is skipped. Defaults to None.
        known_zero_work: the known-``|0>`` analysis gives up (the swaps are kept) after this
            many amplitude updates of its simulation per gate order tried (a bound on its
            time: ``2**22`` is about a second). Defaults to ``2**22``.
        rz_synthesis_error: Clifford+T (fault-tolerant) profiles only: the accuracy of each
            rotation's Clifford+T sequence (gridsynth; operator-norm distance up to global
            phase, :mod:`qcompile.clifford_t`). Above 1e-10 the exact equivalence proof refuses
            the result, so a larger value needs ``equivalence_max_qubits=0``. Defaults to 1e-10.
    """

    optimization_level: int = 2
    seed: int = 0
    layout_method: str | None = None
    routing_method: str | None = None
    equivalence_max_qubits: int = 12
    equivalence_timeout: float = 10.0
    qram: str | None = None
    layouts: LayoutSearch = "default"
    tree_candidates: int = 6
    tree_stage: bool = True
    known_zero_inputs: int | None = None
    known_zero_work: int = 1 << 22
    rz_synthesis_error: float = 1e-10

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
        if self.layouts not in ("default", "tree", "both"):
            raise CompileError(f"layouts must be default, tree or both, got {self.layouts!r}")
        if self.tree_candidates < 0:
            raise CompileError(f"tree_candidates must be >= 0, got {self.tree_candidates}")
        if self.layouts == "tree" and not (self.tree_candidates or self.tree_stage):
            raise CompileError("layouts='tree' needs tree_candidates > 0 or tree_stage")
        if self.layouts != "default" and self.qram is not None and self.tree_candidates:
            raise CompileError(
                f"layouts={self.layouts!r} with tree_candidates places the circuit as built, but "
                "QRAM lowering adds ancilla qubits: compile the built construction, or use "
                "tree_candidates=0 (the qram_tree stage places the lowered circuit)"
            )
        if self.known_zero_inputs is not None and self.known_zero_inputs < 0:
            raise CompileError(f"known_zero_inputs must be >= 0, got {self.known_zero_inputs}")
        if self.known_zero_work < 0:
            raise CompileError(f"known_zero_work must be >= 0, got {self.known_zero_work}")
        if not 0 < self.rz_synthesis_error < 1:
            raise CompileError(
                f"rz_synthesis_error must be in (0, 1), got {self.rz_synthesis_error}"
            )


@dataclass(frozen=True)
class CompileResult:
    """A compiled circuit, its report and the artifact that holds both.

    Attributes:
        circuit: the ISA circuit on the device's physical qubits (carries ``layout``).
        logical: the input circuit.
        report: the figures.
        artifact: what crosses to the runtime: the ISA circuit, the observables mapped onto
            it, the parameter order, the report, the profile's name and digest, versions.
    """

    circuit: QuantumCircuit
    logical: QuantumCircuit
    report: CompileReport
    artifact: Artifact


@dataclass(frozen=True)
class _Device:
    """What a compilation needs to know about where it compiles for."""

    target: Target
    name: str
    kind: str
    provenance: dict[str, str | None]
    profile: str | None  # the profile's name; None for a bare Target
    digest: str | None  # DeviceProfile.digest(); None for a bare Target
    faults: FaultReport | None = None  # the profile's faulty hardware; None for a bare Target


def _device(profile: DeviceProfile | Target) -> _Device:
    if isinstance(profile, Target):
        return _Device(
            target=profile,
            name="target",
            kind="target",
            provenance={
                "profile": None,
                "kind": "target",
                "source": None,
                "snapshot": None,
                "digest": None,
            },
            profile=None,
            digest=None,
        )
    digest = profile.digest()
    # Reports travel: they name the profile by name and content digest, and its file by name
    # only, never by a path on the machine that compiled it.
    provenance: dict[str, str | None] = {
        **profile.provenance(),
        "source": os.path.basename(profile.source) or None,
        "digest": digest,
    }
    return _Device(
        target=profile.target(),
        name=profile.name,
        kind=profile.kind,
        provenance=provenance,
        profile=profile.name,
        digest=digest,
        faults=profile.fault_report(),
    )


def preset_pass_manager(
    profile: DeviceProfile | Target,
    options: CompileOptions,
    *,
    initial_layout: Layout | None = None,
) -> StagedPassManager:
    """Qiskit's preset pass manager for the profile's Target with ``options``.

    For a Clifford+T (fault-tolerant) Target it is Qiskit's Clifford+T pass manager, rotations
    synthesized by gridsynth to ``options.rz_synthesis_error``
    (:func:`qcompile.clifford_t.clifford_t_pass_manager`).

    With ``options.qram`` set, QRAM lowering runs as the ``pre_init`` stage; with
    ``options.known_zero_inputs`` set, the known-``|0>`` analysis is the ``pre_layout`` stage
    and the swap rewrite the ``post_routing`` stage. When the Target has qubits with no
    instruction (excluded as faulty), the ``post_layout`` stage moves circuit qubits off them
    (:class:`qcompile.excluded_qubits.AvoidExcludedQubits`).

    Args:
        profile: the device profile, or a bare Qiskit Target.
        options: compile options.
        initial_layout: a fixed initial layout. Defaults to None (the layout stage decides).
    """
    target = profile if isinstance(profile, Target) else profile.target()
    if is_clifford_t_target(target):  # fault-tolerant: rotations by gridsynth, stated accuracy
        pass_manager = clifford_t_pass_manager(target, options, initial_layout=initial_layout)
    else:
        pass_manager = generate_preset_pass_manager(
            optimization_level=options.optimization_level,
            target=target,
            seed_transpiler=options.seed,
            initial_layout=initial_layout,
            layout_method=options.layout_method,
            routing_method=options.routing_method,
        )
    if len(usable_qubits(target)) < (target.num_qubits or 0):
        device = "the target" if isinstance(profile, Target) else profile.name
        pass_manager.post_layout = PassManager([AvoidExcludedQubits(target, device)])
    if options.known_zero_inputs is not None:
        from qcompile.qram.known_zero import KnownZeroAnalysis, KnownZeroSwaps

        pass_manager.pre_layout = PassManager(
            [KnownZeroAnalysis(options.known_zero_inputs, max_work=options.known_zero_work)]
        )
        pass_manager.post_routing = PassManager([KnownZeroSwaps()])
    if options.qram is not None:
        from qcompile.qram import add_qram_lowering
        from qcompile.qram.measured import check_dynamic_target

        device = "" if isinstance(profile, Target) else profile.name
        check_dynamic_target(target, options.qram, device)
        add_qram_lowering(pass_manager, options.qram)
    return pass_manager


def _candidates(
    circuit: QuantumCircuit, target: Target, options: CompileOptions
) -> list[tuple[Layout | None, str | None]]:
    """(initial layout, layout method) of every compilation ``options.layouts`` asks for."""
    runs: list[tuple[Layout | None, str | None]] = []
    if options.layouts != "default":
        from qcompile.qram.tree_layout import tree_layouts

        if options.tree_candidates:
            found = tree_layouts(circuit, target)[: options.tree_candidates]
            runs += [(layout, None) for layout in found]
        if options.tree_stage:
            runs.append((None, "qram_tree"))
    if options.layouts != "tree":
        runs.append((None, options.layout_method))
    return runs


def compile_circuit(
    circuit: QuantumCircuit,
    profile: DeviceProfile | Target,
    options: CompileOptions | None = None,
    *,
    observables: Sequence[SparsePauliOp] = (),
    model: dict[str, Any] | None = None,
    lookup_reference: QuantumCircuit | None = None,
    lookup_inputs: int | None = None,
) -> CompileResult:
    """Compiles ``circuit`` for ``profile`` and reports what it costs.

    Args:
        circuit: a logical circuit (any gates Qiskit can synthesize; parameters allowed).
        profile: the device profile, or a bare Qiskit Target (e.g. an IBM backend's); the
            artifact then names no profile.
        options: compile options. Defaults to ``CompileOptions()``.
        observables: the circuit's observables on its logical qubits; the artifact holds
            them mapped onto the ISA circuit. Defaults to none.
        model: JSON-friendly facts about the model the circuit comes from, kept with the
            artifact's report. Defaults to None.
        lookup_reference: a reference circuit (``QRAMQuery`` gates, padded with the
            circuit's ancillas) the compiled circuit must equal whenever its qubits past
            ``lookup_inputs`` start in ``|0>``; checked by
            :func:`qcompile.qram.verify.check_lookup_compilation` and reported as
            ``lookup_check``. A circuit whose ``QRAMQuery`` gates are lowered (``qram``) is
            its own reference (every qubit an input). Skipped when the equivalence proof
            succeeded. Defaults to None.
        lookup_inputs: leading qubits of ``lookup_reference`` that carry inputs (a
            construction's ``n + b``). Defaults to all.

    Returns:
        The ISA circuit, its report and the artifact holding both.

    A gate the circuit defines under a native or standard gate's name (``gate ecr a, b
    { cx a, b; }``) is inlined first (:func:`qcompile.shadowed_gates.inline_shadowed_gates`),
    so the result holds only the device's own gates and is checked against the user's
    definition.

    Raises:
        CompileError: the circuit is wider than the device's usable (not faulty-excluded)
            qubits or cannot be translated.
        IsaError: the result fails our ISA check (a bug in a pass).
        EquivalenceError: the result is not equivalent to the input (a bug in a pass).
    """
    options = options or CompileOptions()
    device = _device(profile)
    target = device.target
    check_width(circuit.num_qubits, target, device.name, circuit.name)
    faults = device.faults
    excluded = faults is not None and faults.mode == "exclude" and bool(faults.couplers)
    check_connectivity(circuit, target, device.name, excluded)
    if device.kind == "fault_tolerant" and circuit.parameters:
        raise CompileError(
            f"circuit {circuit.name!r} has {circuit.num_parameters} free parameters; the "
            f"Clifford+T profile {device.name!r} synthesizes rotations from numeric angles, "
            "so bind them first (assign_parameters, or ModelCircuit.bind)"
        )
    start = time.perf_counter()
    try:
        source = inline_shadowed_gates(circuit, target)  # the user's gates, not name-alikes
        source = align_delays(source, target)  # on the device's timing grid
        compiled = _best_compilation(source, profile, target, options)
    except CompileError:
        raise
    except Exception as exc:  # the transpiler raises many types; all mean "cannot compile"
        raise CompileError(
            f"cannot compile {circuit.name!r} for {device.name!r}: {one_line(exc)}"
        ) from None
    compile_time = time.perf_counter() - start

    violations = isa_violations(compiled, target)
    if violations:
        raise IsaError(f"compiled {circuit.name!r} is not ISA for {device.name!r}: {violations[0]}")
    if options.known_zero_inputs is not None:
        equivalence = EquivalenceResult(
            "skipped", "none", 0, "known-|0> swap rewrite: exact only with non-inputs in |0>"
        )
    elif options.equivalence_max_qubits:
        _LOG.info("checking equivalence")  # a step name for the progress line
        equivalence = check_equivalence(
            source,
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
            f"({equivalence.method}, {equivalence.notion.replace('_', ' ')}: "
            f"{equivalence.detail})"
        )
    lookup = (
        None  # proven already: the lookup check is for where the proof gives up
        if equivalence.status == "equivalent"
        else _lookup_check(source, compiled, options, lookup_reference, lookup_inputs)
    )
    if lookup is not None and lookup["status"] == "wrong":
        raise EquivalenceError(
            f"compiled {circuit.name!r} does not implement its lookups "
            f"({lookup['method']}: {lookup['detail']})"
        )
    report = _build_report(
        circuit, compiled, device, options, compile_time, equivalence, lookup_check=lookup
    )
    artifact = Artifact.from_compiled(
        compiled,
        report,
        observables=observables,
        profile=device.profile,
        profile_digest=device.digest,
        model=model,
    )
    return CompileResult(circuit=compiled, logical=circuit, report=report, artifact=artifact)


def _lookup_check(
    source: QuantumCircuit,
    compiled: QuantumCircuit,
    options: CompileOptions,
    reference: QuantumCircuit | None,
    inputs: int | None,
) -> dict[str, Any] | None:
    """The lookup check's verdict (see ``compile_circuit``), or None when none applies."""
    if reference is None:
        if options.qram is None:  # nothing lowered: no check, and no import of qcompile.qram
            return None
        from qcompile.qram.query import QUERY_GATE_NAME

        lowered = any(inst.operation.name == QUERY_GATE_NAME for inst in source.data)
        if not lowered or compiled.num_clbits or has_control_flow(source):
            return None
        reference, inputs = source, None
    from qcompile.qram.verify import check_lookup_compilation

    return check_lookup_compilation(
        reference, compiled, input_qubits=inputs, seed=options.seed
    ).to_dict()


def compile_model(
    model: ModelCircuit,
    profile: DeviceProfile | Target,
    options: CompileOptions | None = None,
) -> CompileResult:
    """Compiles a model's circuit; its artifact holds the model's observables and sizes.

    Args:
        model: the model circuit (``qcompile.models``).
        profile: the device profile, or a bare Qiskit Target.
        options: compile options. Defaults to ``CompileOptions()``.

    Raises:
        CompileError, IsaError, EquivalenceError: as :func:`compile_circuit`.
    """
    return compile_circuit(
        model.circuit,
        profile,
        options,
        observables=model.observables,
        model=model_facts(model),
    )


def _best_compilation(
    circuit: QuantumCircuit,
    profile: DeviceProfile | Target,
    target: Target,
    options: CompileOptions,
) -> QuantumCircuit:
    """The compilation with the fewest two-qubit gates among ``options.layouts``' candidates."""
    best: QuantumCircuit | None = None
    best_count = 0
    for layout, method in _candidates(circuit, target, options):
        run_options = (
            options if method == options.layout_method else replace(options, layout_method=method)
        )
        compiled = preset_pass_manager(profile, run_options, initial_layout=layout).run(circuit)
        count = sum(1 for inst in compiled.data if inst.operation.num_qubits == 2)
        if best is None or count < best_count:
            best, best_count = compiled, count
    assert best is not None
    return best


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
    profile: DeviceProfile | Target,
    options: CompileOptions,
    compile_time: float,
    equivalence: EquivalenceResult,
    lookup_check: dict[str, Any] | None = None,
) -> CompileReport:
    """Counts the figures of a compiled circuit against its profile's Target."""
    return _build_report(
        logical, compiled, _device(profile), options, compile_time, equivalence, lookup_check
    )


def _build_report(
    logical: QuantumCircuit,
    compiled: QuantumCircuit,
    device: _Device,
    options: CompileOptions,
    compile_time: float,
    equivalence: EquivalenceResult,
    lookup_check: dict[str, Any] | None = None,
) -> CompileReport:
    target = device.target
    success, log10_success, unknown = estimate_success_probability(compiled, target)
    duration: float | None
    if has_control_flow(compiled):  # Qiskit's estimate refuses control flow
        from qcompile.duration import circuit_duration

        duration = circuit_duration(compiled, target)
    else:
        try:
            duration = float(compiled.estimate_duration(target, unit="s"))
        except Exception:  # Target without durations for some instruction
            duration = None
    layout = compiled.layout
    if layout is not None:
        initial = [int(q) for q in layout.initial_index_layout(filter_ancillas=True)]
        final = [int(q) for q in layout.final_index_layout(filter_ancillas=True)]
    else:
        initial = final = list(range(logical.num_qubits))
    counts = gate_counts(compiled)
    faulty_qubits, faulty_couplers = (
        device.faults.used_in(compiled) if device.faults is not None else ((), ())
    )
    return CompileReport(
        circuit_name=logical.name,
        profile=device.name,
        profile_kind=device.kind,
        calibration_date=device.provenance.get("calibration_date"),
        device_qubits=target.num_qubits or 0,
        logical_qubits=logical.num_qubits,
        active_qubits=len(active_qubits(compiled)),
        registers={reg.name: reg.size for reg in logical.qregs},
        parameters=parameter_groups(logical),
        logical_gate_counts=gate_counts(logical),
        gate_counts={k: int(v) for k, v in counts.items()},
        two_qubit_gates=two_qubit_count(compiled),
        depth=circuit_depth(compiled) if has_control_flow(compiled) else int(compiled.depth()),
        two_qubit_depth=two_qubit_depth(compiled),
        duration_s=duration,
        success_probability=success,
        log10_success_probability=log10_success,
        instructions_without_error_data=unknown,
        measured=any(inst.operation.name == "measure" for inst, _ in iter_instructions(compiled)),
        initial_layout=initial,
        final_layout=final,
        equivalence=asdict(equivalence),
        lookup_check=lookup_check,
        compile_time_s=compile_time,
        options=asdict(options),
        versions=versions(),
        provenance=device.provenance,
        faulty_qubits_used=list(faulty_qubits),
        faulty_couplers_used=[list(pair) for pair in faulty_couplers],
    )
