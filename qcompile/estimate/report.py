"""Resource estimates of a model over sequence lengths, QRAM kinds and device profiles.

Each figure is either ``compiled`` (the model circuit built, its QRAM lowered and compiled
with :func:`~qcompile.pipeline.compile_circuit`) or ``analytic`` (closed forms, see
:mod:`qcompile.estimate.analytic`). Analytic device figures assume no routing overhead (a
lower bound on sparse couplings); duration = depth bound x the profile's median two-qubit
gate duration; success = (1 - e2q)^(2q gates) x (1 - e1q)^(1q gates) with median errors
(idling and crosstalk ignored, so optimistic). Fault-tolerant profiles get the surface-code
figures of :mod:`qcompile.estimate.surface_code` instead of success probabilities.

Compilation runs in spawned worker processes. The smallest sizes of every (QRAM kind, profile)
(``compile_at_least``, default one) are always compiled, however long they take; then a time
budget applies to the rest: a worker that runs out of time is stopped and the larger sizes
fall back to analytic figures. Which of the larger sizes got compiled therefore depends on
machine speed; which of the smallest did does not, and neither do the figures of a compiled
size.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import queue
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from hardware_profiles import load_profile, profile_medians
from hardware_profiles.errors import ResourceError
from hardware_profiles.versions import versions
from qcompile.estimate.analytic import logical_size
from qcompile.estimate.classical import DEFAULT_HEAD_DIM, classical_attention_cost
from qcompile.estimate.qdk_compare import QDK_SEQ_LENS, compare_with_qdk, qdk_version
from qcompile.estimate.surface_code import SurfaceCodeModel, estimate_surface_code
from qcompile.models.catalog import ESTIMATE_MODELS, ModelSpec, build_model
from qcompile.qram import CONSTRUCTIONS

__all__ = [
    "COMPILABLE_KINDS",
    "QRAM_KINDS",
    "EstimateReport",
    "EstimateRow",
    "ProfileFigures",
    "estimate",
    "profile_figures",
]

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
        source: ``"compiled"`` or ``"analytic"``.
        logical_qubits: Width of the lowered logical circuit.
        logical_two_qubit_gates: Its CX count after lowering.
        qubits: Device qubits used (analytic: the logical width).
        two_qubit_gates: Device two-qubit gates.
        depth: Depth (analytic: an upper bound in logical layers).
        two_qubit_depth: Two-qubit depth (None when analytic).
        duration_s: Estimated duration.
        success_probability: Estimated success (None on a fault-tolerant profile).
        fault_tolerant: Surface-code figures (fault-tolerant profiles only).
        note: Why a size is analytic, or caveats.
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

    def __post_init__(self) -> None:
        if self.source not in ("compiled", "analytic"):
            raise ResourceError(f"source must be compiled or analytic, got {self.source!r}")


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

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON dictionary."""
        return asdict(self)


def _analytic_row(model: str, n: int, kind: str, prof: ProfileFigures, note: str) -> EstimateRow:
    size = logical_size(model, n, None if kind == "-" else kind)
    ft = None
    success: float | None
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
        success = math.exp(
            size.two_qubit_gates * math.log1p(-prof.error_2q)
            + size.one_qubit_gates * math.log1p(-prof.error_1q)
        )
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
    )


_Task = tuple[str, int, str, str]  # model, N, QRAM kind, profile
_Figures = tuple[int, int, dict[str, Any]]  # logical width, lowered CX count, device figures


def _compile_worker(wid: int, tasks: Any, out: Any) -> None:  # pragma: no cover - worker
    """Compiles (model, N, kind, profile) tasks until told to stop; puts figures on ``out``.

    Says ``("start", wid, (n, kind, profile))`` before each task, then ``("done", ...)`` with
    the figures, or with None if the compile raised, so the caller knows every task's fate.
    """
    import numpy as np

    from qcompile.pipeline import CompileOptions, compile_circuit
    from qcompile.qram import lowered_cx_count, qram_lowering_pass_manager

    rng = np.random.default_rng(0)
    while True:
        task = tasks.get()
        if task is None:
            return
        model, n, kind, profile_name = task
        out.put(("start", wid, (n, kind, profile_name), None))
        try:
            qram = kind if kind != "-" else None
            built = build_model(ModelSpec(model, n))
            # Gate counts do not depend on the angle values; binding them avoids Qiskit's
            # symbolic global-phase blow-up in BasisTranslator (Qiskit issue #16520), which
            # stalls symbolic bucket-brigade and select-swap lowerings.
            circuit = built.bind(
                rng.uniform(0, np.pi, len(built.inputs)),
                rng.uniform(0, np.pi, len(built.weights)),
            )
            circuit.name = built.circuit.name
            low = qram_lowering_pass_manager(qram).run(circuit) if qram else circuit
            options = CompileOptions(qram=qram, equivalence_max_qubits=0)
            rep = compile_circuit(circuit, load_profile(profile_name), options).report
        except Exception:  # the size falls back to analytic figures
            out.put(("done", wid, (n, kind, profile_name), None))
            continue
        figures = {
            "qubits": rep.active_qubits,
            "two_qubit_gates": rep.two_qubit_gates,
            "depth": rep.depth,
            "two_qubit_depth": rep.two_qubit_depth,
            "duration_s": rep.duration_s,
            "success_probability": rep.success_probability,
        }
        result = (low.num_qubits, lowered_cx_count(low), figures)
        out.put(("done", wid, (n, kind, profile_name), result))


def _compile_all(
    jobs: list[tuple[str, list[int], str, str]],
    time_budget: float,
    compile_at_least: int = 1,
    workers: int = 2,
) -> dict[tuple[int, str, str], _Figures]:
    """Compiles in worker processes; returns what finished.

    The smallest ``compile_at_least`` sizes of every job (a QRAM kind on a profile) run
    first and are always waited for; the rest run smallest N first across all kinds until
    ``time_budget`` seconds from the start have passed *and* those sizes are done. Workers
    still busy then are terminated (a stalled large compile cannot hold the report hostage).
    A compile that fails, or whose worker dies, falls back to analytic figures.
    """
    results: dict[tuple[int, str, str], _Figures] = {}
    if not jobs or time_budget <= 0:
        return results
    deadline = time.monotonic() + time_budget
    must = {
        (n, kind, prof)
        for _, sizes, kind, prof in jobs
        for n in sorted(sizes)[: max(compile_at_least, 0)]
    }
    ordered: list[_Task] = sorted(
        ((model, n, kind, prof) for model, sizes, kind, prof in jobs for n in sizes),
        key=lambda task: ((task[1], task[2], task[3]) not in must, task[1]),
    )
    ctx = mp.get_context("spawn")  # fork after Qiskit's Rust threads start is unsafe
    tasks, out = ctx.Queue(), ctx.Queue()
    for task in ordered:
        tasks.put(task)
    for _ in range(workers):
        tasks.put(None)
    procs = [
        ctx.Process(target=_compile_worker, args=(wid, tasks, out), daemon=True)
        for wid in range(workers)
    ]
    for proc in procs:
        proc.start()
    finished: set[tuple[int, str, str]] = set()
    running: dict[int, tuple[int, str, str]] = {}
    while len(finished) < len(ordered):
        if time.monotonic() >= deadline and must <= finished:
            break
        try:
            event, wid, key, figures = out.get(timeout=0.1)
        except queue.Empty:
            for wid, proc in enumerate(procs):
                if not proc.is_alive() and wid in running:  # died inside a compile
                    finished.add(running.pop(wid))
            if not any(proc.is_alive() for proc in procs):
                break
            continue
        if event == "start":
            running[wid] = key
            continue
        running.pop(wid, None)
        finished.add(key)
        if figures is not None:
            results[key] = figures
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
        proc.join()
    return results


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
        compile_at_least: How many of the smallest sizes of each (QRAM kind, profile) that
            fit the compile limits are compiled whatever the time budget (unless it is 0),
            so that which rows are compiled does not depend on machine speed. Defaults to 1.
        head_dim: Classical head dimension d. Defaults to 64.
        qdk_seq_lens: Lookup sizes N at which each QRAM kind's Toffoli-level lookup is
            estimated by Microsoft's qdk and by our surface-code model (QLACI only; empty:
            no comparison). Defaults to ``QDK_SEQ_LENS`` (16).

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
    kinds = qram if model == "qlaci" else ["-"]
    figures = [profile_figures(p) for p in profiles]
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
            if fit:
                jobs.append((model, fit, kind, prof.name))
    qdk_report = None
    if model != "qlaci":
        qdk_line = f"qdk comparison: {model} has no QRAM lookup to compare"
    elif not qdk_seq_lens:
        qdk_line = "qdk comparison not requested"
    else:
        qdk_report = compare_with_qdk([k for k in kinds if k != "oracle"], qdk_seq_lens)
        qdk_line = qdk_report.status
    compiled = _compile_all(jobs, time_budget, compile_at_least)
    rows = []
    for prof in figures:
        for n in seq_lens:
            for kind in kinds:
                key = (n, kind, prof.name)
                if key in compiled:
                    width, cx, fig = compiled[key]
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
                    continue
                if kind == "oracle":
                    note = "oracle: a cost model, never compiled"
                elif prof.kind == "fault_tolerant":
                    note = "fault-tolerant: surface-code model"
                else:
                    note = "beyond compile limits (width, gate count or time budget)"
                rows.append(_analytic_row(model, n, kind, prof, note))
    classical = [asdict(classical_attention_cost(n, head_dim)) for n in seq_lens]
    assumptions = {
        "analytic": "closed forms: model + 2 x QRAM resources(n, 2, 'ry') for QLACI's key and "
        "value lookups (ancillas shared); 2q gates = lowered CX count; depth = stage-sum upper "
        "bound; no routing overhead",
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
    return EstimateReport(
        model=model,
        seq_lens=seq_lens,
        qram=kinds,
        profiles=[p.name for p in figures],
        rows=rows,
        classical=classical,
        assumptions=assumptions,
        qdk=qdk_line,
        elapsed_s=time.monotonic() - start,
        qdk_comparison=qdk_report.to_dict() if qdk_report else None,
        versions={**versions(), "qdk": qdk_version() or "not installed"},
    )
