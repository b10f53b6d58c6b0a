"""Resource estimates of a model over sequence lengths, QRAM kinds and device profiles.

Each row's figures are ``compiled`` (the model circuit built, its QRAM lowered and compiled
with :func:`~qcompile.pipeline.compile_circuit`), ``extrapolated`` (past the compile limit:
the closed form times the routing model fitted on the compiled sizes of the same kind and
device, with a prediction band; :mod:`qcompile.estimate.routing_model`) or ``analytic``
(closed forms, :mod:`qcompile.estimate.analytic`, where nothing of that kind compiled on that
device, and on fault-tolerant profiles). Closed-form device figures assume no routing overhead
(a lower bound on sparse couplings); duration = depth bound x the profile's median two-qubit
gate duration; success = (1 - e2q)^(2q gates) x (1 - e1q)^(1q gates) with median errors
(idling and crosstalk ignored, so optimistic). Fault-tolerant profiles get the surface-code
figures of :mod:`qcompile.estimate.surface_code` instead of success probabilities.

Compilation runs in spawned worker processes (:mod:`qcompile.estimate.compile_runs`). The
smallest sizes of every (QRAM kind, profile) (``compile_at_least``, default one) are always
compiled, however long they take; then a time budget applies to the rest: a worker that runs
out of time is stopped and the larger sizes are extrapolated. The two powers of two below the
requested range (from N = 4, where they fit) are compiled too, early and cheaply, as
calibration points of the routing fit only, so that a fit has three sizes of each kind even
when the budget allows only the smallest requested one. Which of the larger
sizes got compiled depends on machine speed; which of the smallest did does not, and neither
do the figures of a compiled size.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from hardware_profiles import load_profile, profile_medians
from hardware_profiles.errors import ResourceError
from hardware_profiles.versions import versions
from qcompile.estimate.analytic import logical_size
from qcompile.estimate.calibration import (
    closed_form_metrics,
    compiled_metrics,
    device_fits,
    extrapolate,
    held_out,
)
from qcompile.estimate.classical import DEFAULT_HEAD_DIM, classical_attention_cost
from qcompile.estimate.compile_runs import CompileJob, CompileRun, compile_all
from qcompile.estimate.qdk_compare import QDK_SEQ_LENS, compare_with_qdk, qdk_version
from qcompile.estimate.routing_model import BAND_LEVEL, PRIOR_DOF, PRIOR_SIGMA
from qcompile.estimate.sections import ReportSection, SectionBuilder
from qcompile.estimate.surface_code import SurfaceCodeModel, estimate_surface_code
from qcompile.models.catalog import ESTIMATE_MODELS
from qcompile.qram import CONSTRUCTIONS

__all__ = [
    "COMPILABLE_KINDS",
    "QRAM_KINDS",
    "SOURCES",
    "EstimateReport",
    "EstimateRow",
    "ProfileFigures",
    "estimate",
    "profile_figures",
    "summary_line",
]

SOURCES = ("compiled", "extrapolated", "analytic")
"""Where a row's figures come from."""
CALIBRATION_MIN_N = 4
"""Smallest N compiled as a calibration point below the requested range."""
CALIBRATION_SIZES = 2
"""Powers of two below the requested range compiled as calibration points, per kind."""

QRAM_KINDS = (*(k for k in CONSTRUCTIONS if k != "oracle"), "oracle")
"""Every registered QRAM kind, the cost-model oracle last (``--qram all``)."""
COMPILABLE_KINDS = QRAM_KINDS[:-1]
MAX_COMPILE_GATES = 20_000
"""Circuits with more logical two-qubit gates than this are never compiled (too slow)."""


@dataclass(frozen=True)
class ProfileFigures:
    """What the analytic figures read of a profile.

    Attributes:
        name: Profile name.
        kind: Profile kind.
        num_qubits: Device qubits.
        error_1q: Median single-qubit gate error (0 where the profile has none).
        error_2q: Median two-qubit gate error (0 where the profile has none).
        duration_2q_s: Median two-qubit gate duration (0 where the profile has none).
        surface_code: The surface-code model of the profile's ``[logical]`` table (None
            without one).
    """

    name: str
    kind: str
    num_qubits: int
    error_1q: float
    error_2q: float
    duration_2q_s: float
    surface_code: SurfaceCodeModel | None


def profile_figures(name: str) -> ProfileFigures:
    """Load profile ``name`` and take its medians and its surface-code model.

    Raises:
        ProfileError: On an unknown profile.
    """
    profile = load_profile(name)
    medians = profile_medians(profile)
    return ProfileFigures(
        name=profile.name,
        kind=profile.kind,
        num_qubits=profile.num_qubits,
        error_1q=medians.error_1q or 0.0,
        error_2q=medians.error_2q or 0.0,
        duration_2q_s=medians.duration_2q or 0.0,
        surface_code=SurfaceCodeModel.of_logical(profile.logical) if profile.logical else None,
    )


@dataclass(frozen=True)
class EstimateRow:
    """Figures of one (N, QRAM kind, profile).

    Attributes:
        seq_len: N.
        qram: QRAM kind (``"-"`` for models without a QRAM).
        profile: Profile name.
        source: ``"compiled"``, ``"extrapolated"`` or ``"analytic"`` (:data:`SOURCES`).
        logical_qubits: Width of the lowered logical circuit.
        logical_two_qubit_gates: Its CX count after lowering.
        qubits: Device qubits used (analytic: the logical width).
        two_qubit_gates: Device two-qubit gates.
        depth: Depth (analytic: an upper bound in logical layers).
        two_qubit_depth: Two-qubit depth (compiled rows only).
        duration_s: Estimated duration.
        success_probability: Estimated success (None on a fault-tolerant profile; may
            underflow to 0, see ``log10_success``).
        fault_tolerant: Surface-code figures (fault-tolerant profiles only).
        note: Why a size is analytic or extrapolated, or caveats.
        log10_success: ``log10`` of the success probability (None where that is None).
        band: Extrapolated rows: ``{figure: [low, high]}``, the prediction band of each
            fitted figure (``neg_ln_success`` = ``-ln success``); empty without a band.
        closed_form: Extrapolated rows: the routing-free closed-form figures they scale.
    """

    seq_len: int
    qram: str
    profile: str
    source: str
    logical_qubits: int
    logical_two_qubit_gates: int
    qubits: int
    two_qubit_gates: int
    depth: int
    two_qubit_depth: int | None
    duration_s: float | None
    success_probability: float | None
    fault_tolerant: dict[str, Any] | None = None
    note: str = ""
    log10_success: float | None = None
    band: dict[str, list[float]] = field(default_factory=dict)
    closed_form: dict[str, float] | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ResourceError(f"source must be one of {SOURCES}, got {self.source!r}")


@dataclass(frozen=True)
class EstimateReport:
    """All rows, the classical comparison, the qdk comparison and the stated models.

    Attributes:
        model: Model name.
        seq_lens: Sequence lengths N.
        qram: QRAM kinds (``["-"]`` for models without a QRAM).
        profiles: Profile names.
        rows: One row per (N, kind, profile).
        classical: Classical softmax-attention cost per N.
        assumptions: The stated models, by name.
        qdk: One line: qdk's version and what it estimated, or why nothing.
        elapsed_s: Wall time of :func:`estimate`.
        extras: Free-form additions.
        qdk_comparison: :class:`~qcompile.estimate.qdk_compare.QdkReport` as a dict (None
            when not asked for).
        versions: Versions of qattn, Qiskit, qdk and Python that produced the report.
        calibration: Every compiled size the routing fits used (requested or below the
            range): N, kind, profile, compiled and closed-form figures.
        fits: The routing fits: per profile, metric and kind, :class:`RatioFit` as a dict.
        held_out: The held-out checks (:class:`~qcompile.estimate.calibration.HeldOut`).
        compile_summary: What compiled, whether the time budget ran out, and how much more
            budget the next size would need.
        sections: Extra sections (:mod:`qcompile.estimate.sections`).
    """

    model: str
    seq_lens: list[int]
    qram: list[str]
    profiles: list[str]
    rows: list[EstimateRow]
    classical: list[dict[str, int]]
    assumptions: dict[str, str]
    qdk: str
    elapsed_s: float = 0.0
    extras: dict[str, Any] = field(default_factory=dict)
    qdk_comparison: dict[str, Any] | None = None
    versions: dict[str, str] = field(default_factory=dict)
    calibration: list[dict[str, Any]] = field(default_factory=list)
    fits: list[dict[str, Any]] = field(default_factory=list)
    held_out: list[dict[str, Any]] = field(default_factory=list)
    compile_summary: dict[str, Any] = field(default_factory=dict)
    sections: list[ReportSection] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON dictionary."""
        return asdict(self)


def _analytic_row(model: str, n: int, kind: str, prof: ProfileFigures, note: str) -> EstimateRow:
    size = logical_size(model, n, None if kind == "-" else kind)
    ft = None
    success: float | None
    log10_success: float | None = None
    if prof.kind == "fault_tolerant":
        sc = prof.surface_code or SurfaceCodeModel()
        # T-depth bound: each logical layer holds at most one rotation or Toffoli/CSWAP (T-depth
        # <= 4) per qubit chain; capped by the T-count.
        est0 = estimate_surface_code(size.qubits, size.t_gates, size.rotations, 1, sc)
        t_depth = min(est0.t_count, size.depth * max(4, est0.t_per_rotation))
        ft = asdict(estimate_surface_code(size.qubits, size.t_gates, size.rotations, t_depth, sc))
        success = None
        duration = ft["runtime_s"]
    else:
        log_success = size.two_qubit_gates * math.log1p(
            -prof.error_2q
        ) + size.one_qubit_gates * math.log1p(-prof.error_1q)
        success = math.exp(log_success)
        log10_success = log_success / math.log(10)
        duration = size.depth * prof.duration_2q_s
    return EstimateRow(
        seq_len=n,
        qram=kind,
        profile=prof.name,
        source="analytic",
        logical_qubits=size.qubits,
        logical_two_qubit_gates=size.two_qubit_gates,
        qubits=size.qubits,
        two_qubit_gates=size.two_qubit_gates,
        depth=size.depth,
        two_qubit_depth=None,
        duration_s=duration,
        success_probability=success,
        fault_tolerant=ft,
        note=note,
        log10_success=log10_success,
    )


def _extrapolated_row(
    model: str,
    n: int,
    kind: str,
    prof: ProfileFigures,
    predicted: dict[str, Any],
    fitted_on: Sequence[int],
) -> EstimateRow:
    """The closed-form row at ``n`` with its fitted figures replaced by their predictions."""
    base = _analytic_row(model, n, kind, prof, "")
    value = {metric: p.value for metric, p in predicted.items()}
    neg = value.get("neg_ln_success")
    log10 = -neg / math.log(10) if neg is not None else base.log10_success
    band = {metric: [p.low, p.high] for metric, p in predicted.items() if p.low < p.high}
    sizes = ", ".join(str(m) for m in sorted(fitted_on))
    return replace(
        base,
        source="extrapolated",
        qubits=math.ceil(value.get("qubits", base.qubits) - 1e-9),
        two_qubit_gates=round(value.get("two_qubit_gates", base.two_qubit_gates)),
        depth=round(value.get("depth", base.depth)),
        duration_s=value.get("duration_s", base.duration_s),
        success_probability=math.exp(-neg) if neg is not None else base.success_probability,
        log10_success=log10,
        band=band,
        closed_form={
            "qubits": base.qubits,
            "two_qubit_gates": base.two_qubit_gates,
            "depth": base.depth,
            "duration_s": base.duration_s or 0.0,
            "log10_success": base.log10_success or 0.0,
        },
        note=f"routing model fitted on compiled N = {sizes}",
    )


def _calibration_sizes(model: str, kind: str, seq_lens: Sequence[int], limit: int) -> list[int]:
    """The largest ``CALIBRATION_SIZES`` powers of two below the requested range that fit."""
    want = CALIBRATION_SIZES
    below = []
    n = min(seq_lens) // 2
    while want > 0 and n >= CALIBRATION_MIN_N:
        size = logical_size(model, n, kind)
        if size.qubits <= limit and size.two_qubit_gates <= MAX_COMPILE_GATES:
            below.append(n)
            want -= 1
        n //= 2
    return below


def _compile_jobs(
    model: str,
    seq_lens: Sequence[int],
    kinds: Sequence[str],
    figures: Sequence[ProfileFigures],
    compile_max_qubits: int,
) -> list[CompileJob]:
    jobs = []
    for prof in figures:
        if prof.kind == "fault_tolerant":
            continue  # symbolic rotations cannot be synthesised to Clifford+T: analytic only
        limit = min(compile_max_qubits, prof.num_qubits)
        for kind in kinds:
            if kind == "oracle":
                continue
            sizes = {n: logical_size(model, n, kind) for n in seq_lens}
            fit = [
                n
                for n, size in sizes.items()
                if size.qubits <= limit and size.two_qubit_gates <= MAX_COMPILE_GATES
            ]
            below = _calibration_sizes(model, kind, seq_lens, limit)
            weights = {n: logical_size(model, n, kind).two_qubit_gates for n in (*fit, *below)}
            if fit or below:
                jobs.append(CompileJob(model, tuple(fit), kind, prof.name, weights, tuple(below)))
    return jobs


def _summary(run: CompileRun, jobs: Sequence[CompileJob]) -> dict[str, Any]:
    tasks = sum(len(j.sizes) + len(j.calibration) for j in jobs)
    nxt = run.skipped[0] if run.skipped else None
    return {
        "time_budget_s": run.budget_s,
        "tasks": tasks,
        "compiled": len(run.results),
        "failed": len(run.seconds) - len(run.results),
        "budget_ran_out": run.budget_ran_out,
        "skipped": [list(key) for key in run.skipped],
        "next": list(nxt) if nxt else None,
        "next_needs_s": run.next_needs_s,
        "compile_seconds": sum(run.seconds.values()),
        "calibration": {
            f"{j.kind} on {j.profile}": list(j.calibration) for j in jobs if j.calibration
        },
    }


def summary_line(report: EstimateReport) -> str:
    """One line: rows, how many compiled and extrapolated, and whether the budget ran out.

    When the budget ran out it says by how much ``--time-budget`` would have to be raised to
    compile the next size (an estimate scaled from the same kind's last compile time).
    """
    counts = {source: sum(r.source == source for r in report.rows) for source in SOURCES}
    line = (
        f"{len(report.rows)} rows ({counts['compiled']} compiled, {counts['extrapolated']} "
        f"extrapolated, {counts['analytic']} analytic) in {report.elapsed_s:.1f} s"
    )
    summary = report.compile_summary
    if summary.get("tasks") and summary.get("time_budget_s", 1) <= 0:
        line += f"; time budget 0: none of {summary['tasks']} compilable sizes compiled"
    elif summary.get("budget_ran_out"):
        n, kind, prof = summary["next"]
        budget = summary["time_budget_s"]
        line += (
            f"; time budget {budget:g} s ran out with {len(summary['skipped'])} of "
            f"{summary['tasks']} compilable sizes left"
        )
        needs = summary.get("next_needs_s")
        if needs is not None:
            line += (
                f": compiling the next (N={n} {kind} on {prof}) needs about {needs:.0f} s more "
                f"(--time-budget {budget + needs:.0f})"
            )
    else:
        if summary.get("failed"):
            line += f"; {summary['failed']} compiles failed (closed form or extrapolated there)"
        if summary.get("skipped"):
            line += f"; {len(summary['skipped'])} sizes not compiled (the workers stopped)"
    return line


def _kernel_attention(report: EstimateReport) -> ReportSection | None:
    from qcompile.estimate.kernel_attention import kernel_attention_section

    return kernel_attention_section(report)


DEFAULT_SECTION_BUILDERS: tuple[SectionBuilder, ...] = (_kernel_attention,)
"""The builders :func:`estimate` runs unless told otherwise."""


def estimate(
    model: str,
    seq_lens: list[int],
    qram: list[str],
    profiles: list[str],
    *,
    compile_max_qubits: int = 64,
    time_budget: float = 30.0,
    compile_at_least: int = 1,
    head_dim: int = DEFAULT_HEAD_DIM,
    qdk_seq_lens: Sequence[int] = QDK_SEQ_LENS,
    progress: bool = False,
    sections: Sequence[SectionBuilder] | None = None,
) -> EstimateReport:
    """Estimate ``model`` at every (N, QRAM kind, profile); compile where it fits.

    Args:
        model: A name in :data:`~qcompile.models.catalog.ESTIMATE_MODELS`.
        seq_lens: Sequence lengths (powers of two).
        qram: QRAM kinds (QLACI only; the others have no QRAM).
        profiles: Profile names.
        compile_max_qubits: Compile only circuits at most this wide (and no wider than the
            device, with at most ``MAX_COMPILE_GATES`` logical two-qubit gates). Defaults to 64.
        time_budget: Seconds of compilation in all, once the ``compile_at_least`` smallest
            sizes are compiled. Defaults to 30; 0 compiles nothing at all.
        compile_at_least: How many of the smallest requested sizes of each (QRAM kind,
            profile) that fit the compile limits are compiled whatever the time budget
            (unless it is 0), so that which rows are compiled does not depend on machine
            speed. Defaults to 1.
        head_dim: Classical head dimension d. Defaults to 64.
        qdk_seq_lens: Lookup sizes N at which each QRAM kind's Toffoli-level lookup is
            estimated by Microsoft's qdk and by our surface-code model (QLACI only; empty:
            no comparison). Defaults to ``QDK_SEQ_LENS`` (16).
        progress: Show a progress bar of the compiles on a terminal. Defaults to False.
        sections: Builders of extra report sections; None runs
            :data:`DEFAULT_SECTION_BUILDERS`.

    Returns:
        The report.

    Raises:
        ResourceError: On an unknown model or QRAM kind, or a negative ``compile_at_least``.
        ProfileError: On an unknown profile.
    """
    start = time.monotonic()
    if compile_at_least < 0:
        raise ResourceError(f"compile_at_least must be >= 0, got {compile_at_least}")
    if model not in ESTIMATE_MODELS:
        raise ResourceError(f"unknown model {model!r} (known: {', '.join(ESTIMATE_MODELS)})")
    for kind in qram:
        if kind not in QRAM_KINDS:
            raise ResourceError(f"unknown QRAM kind {kind!r}; known: {', '.join(QRAM_KINDS)}")
    kinds = qram if model in ("qlaci", "qlaci-kernel") else ["-"]
    figures = [profile_figures(p) for p in profiles]
    jobs = _compile_jobs(model, seq_lens, kinds, figures, compile_max_qubits)
    qdk_report = None
    if model != "qlaci":
        qdk_line = f"qdk comparison: {model} has no QRAM lookup to compare"
    elif not qdk_seq_lens:
        qdk_line = "qdk comparison not requested"
    else:
        qdk_report = compare_with_qdk([k for k in kinds if k != "oracle"], qdk_seq_lens)
        qdk_line = qdk_report.status
    run = compile_all(jobs, time_budget, compile_at_least, progress=progress)
    rows: list[EstimateRow] = []
    calibration: list[dict[str, Any]] = []
    fits_out: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    for prof in figures:
        medians = (prof.error_1q, prof.error_2q, prof.duration_2q_s)
        compiled: dict[str, dict[int, dict[str, float]]] = {}
        closed: dict[str, dict[int, dict[str, float]]] = {}
        for (n, kind, pname), (_, _, fig) in sorted(run.results.items()):
            if pname != prof.name:
                continue
            compiled.setdefault(kind, {})[n] = compiled_metrics(fig)
        for kind in kinds:
            sizes = {*seq_lens, *compiled.get(kind, {})}
            if kind != "oracle":
                closed[kind] = {
                    n: closed_form_metrics(logical_size(model, n, kind), *medians) for n in sizes
                }
        for kind, by_n in compiled.items():
            for n, got in sorted(by_n.items()):
                calibration.append(
                    {
                        "seq_len": n,
                        "qram": kind,
                        "profile": prof.name,
                        "requested": n in seq_lens,
                        "compiled": got,
                        "closed_form": closed[kind][n],
                    }
                )
        fits = device_fits(compiled, closed)
        for by_kind in fits.values():
            fits_out += [{"profile": prof.name, "qram": k, **asdict(f)} for k, f in by_kind.items()]
        checks += [asdict(c) for c in held_out(prof.name, compiled, closed)]
        for kind in kinds:
            done = compiled.get(kind, {})
            pending = [n for n in seq_lens if (n, kind, prof.name) not in run.results]
            kind_fits = {m: by_kind[kind] for m, by_kind in fits.items() if kind in by_kind}
            predicted = extrapolate(kind_fits, done, closed.get(kind, {}), pending) if done else {}
            for n in seq_lens:
                key = (n, kind, prof.name)
                if key in run.results:
                    width, cx, fig = run.results[key]
                    rows.append(
                        EstimateRow(
                            seq_len=n,
                            qram=kind,
                            profile=prof.name,
                            source="compiled",
                            logical_qubits=width,
                            logical_two_qubit_gates=cx,
                            note="equivalence check off",
                            **fig,
                        )
                    )
                elif predicted.get(n):
                    rows.append(_extrapolated_row(model, n, kind, prof, predicted[n], list(done)))
                else:
                    if kind == "oracle":
                        note = "oracle: a cost model, never compiled"
                    elif prof.kind == "fault_tolerant":
                        note = "fault-tolerant: surface-code model"
                    elif key in run.seconds:
                        note = "the compile failed: closed form"
                    else:
                        note = "nothing of this kind compiled on this device: closed form"
                    rows.append(_analytic_row(model, n, kind, prof, note))
    classical = [asdict(classical_attention_cost(n, head_dim)) for n in seq_lens]
    assumptions = {
        "analytic": "closed forms: model + 2 x QRAM resources(n, 2, 'ry') for QLACI's key and "
        "value lookups (ancillas shared); 2q gates = lowered CX count; depth = stage-sum upper "
        "bound; no routing overhead",
        "extrapolated": "closed form x routing model: per (kind, device), ln(compiled / closed "
        "form) = a + b log2 N fitted by least squares on the compiled sizes (for qubits, 2q "
        "gates, depth, duration and -ln success); residual scatter pooled over the kinds of "
        f"the device with a prior scatter of {PRIOR_SIGMA:.0%} worth {PRIOR_DOF} degree of "
        f"freedom; band = {BAND_LEVEL:.0%} Student-t prediction interval; each value and "
        "band edge held at or above the last compiled size and the sizes before it (the "
        "figures grow with N)",
        "duration": "analytic: depth bound x median 2q gate duration of the profile",
        "success": "(1 - e2q)^(2q gates) x (1 - e1q)^(1q gates), median errors; ignores idling "
        "and crosstalk",
        "classical": f"softmax attention, one head, d = {head_dim}: FLOPs = 4N^2d + 5N^2 - 2N - "
        "Nd (multiply-add = 2), memory = N^2 + 4Nd words",
        "surface_code": "p_L = 0.1 (p/1e-2)^((d+1)/2) per qubit per cycle; budget 1e-2 split in "
        "3 (synthesis, memory, distillation); rotation = ceil(3 log2(1/eps)) + 4 T; 15-to-1 "
        "factories (35 p^3 per level, 16 tiles per level, 6d cycles per state); 2d^2 physical "
        "qubits per tile; runtime = max(T-depth, 6 T-count / F) x d cycles; T-depth bound = "
        "depth bound x max(4, T per rotation)",
        "models": "QLACI d_q = k = v = o = 2, one layer; QAMA H = 2 heads (N*H spins)",
    }
    report = EstimateReport(
        model=model,
        seq_lens=seq_lens,
        qram=kinds,
        profiles=[p.name for p in figures],
        rows=rows,
        classical=classical,
        assumptions=assumptions,
        qdk=qdk_line,
        qdk_comparison=qdk_report.to_dict() if qdk_report else None,
        versions={**versions(), "qdk": qdk_version() or "not installed"},
        calibration=calibration,
        fits=fits_out,
        held_out=checks,
        compile_summary=_summary(run, jobs),
    )
    builders = DEFAULT_SECTION_BUILDERS if sections is None else sections
    extra = [s for s in (build(report) for build in builders) if s is not None]
    return replace(report, sections=extra, elapsed_s=time.monotonic() - start)
