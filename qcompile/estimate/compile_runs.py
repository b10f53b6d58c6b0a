"""Compiling the estimate's sizes in worker processes, under a time budget, with progress.

The smallest ``compile_at_least`` sizes of every (QRAM kind, profile) run first and are always
waited for, beside the calibration sizes (which the budget may cut); the rest run smallest N
first until the time budget has passed. Workers still busy
then are terminated (a stalled large compile cannot hold the report hostage), and
:class:`CompileRun` says what did not compile and how much longer the budget would have to be
for the next size.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hardware_profiles.progress import progress_bar

__all__ = ["CompileJob", "CompileRun", "compile_all"]

Key = tuple[int, str, str]
"""(N, QRAM kind, profile)."""
Figures = tuple[int, int, dict[str, Any]]
"""Logical width, lowered CX count, device figures of one compiled size."""


@dataclass(frozen=True)
class CompileJob:
    """The sizes of one (QRAM kind, profile) to compile.

    Attributes:
        model: Model name.
        sizes: N to compile, any order.
        kind: QRAM kind (``"-"`` without a QRAM).
        profile: Profile name.
        weights: A cost proxy per N (logical two-qubit gates), to scale compile times from one
            size to the next.
        calibration: Extra N (below the requested range) compiled for the routing fit only.
    """

    model: str
    sizes: tuple[int, ...]
    kind: str
    profile: str
    weights: dict[int, int] = field(default_factory=dict)
    calibration: tuple[int, ...] = ()


@dataclass(frozen=True)
class CompileRun:
    """What :func:`compile_all` compiled and what it had to leave.

    Attributes:
        results: Figures per compiled (N, kind, profile).
        seconds: Compile wall time per finished size (failed ones included).
        budget_s: The time budget.
        budget_ran_out: Whether sizes were left uncompiled because the budget passed.
        skipped: Sizes not compiled for the budget, in the order they would have run.
        next_needs_s: Estimated extra seconds of budget to compile ``skipped[0]`` (None when
            nothing was skipped or no compile time to scale from).
    """

    results: dict[Key, Figures]
    seconds: dict[Key, float]
    budget_s: float
    budget_ran_out: bool = False
    skipped: tuple[Key, ...] = ()
    next_needs_s: float | None = None


def _compile_worker(wid: int, tasks: Any, out: Any) -> None:  # pragma: no cover - worker
    """Compiles (model, N, kind, profile) tasks until told to stop; puts figures on ``out``.

    Says ``("start", wid, (n, kind, profile))`` before each task, then ``("done", ...)`` with
    the figures, or with None if the compile raised, so the caller knows every task's fate.
    """
    import numpy as np

    from hardware_profiles import load_profile
    from qcompile.models.catalog import ModelSpec, build_model
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
            "log10_success": rep.log10_success_probability,
        }
        result = (low.num_qubits, lowered_cx_count(low), figures)
        out.put(("done", wid, (n, kind, profile_name), result))


def _next_needs(
    first: Key,
    jobs: Sequence[CompileJob],
    seconds: dict[Key, float],
    running_for: float,
) -> float | None:
    """Seconds more ``first`` needs: its kind's last compile time x the cost-proxy ratio."""
    n, kind, prof = first
    job = next(j for j in jobs if (j.kind, j.profile) == (kind, prof))
    done = [m for (m, k, p) in seconds if (k, p) == (kind, prof) and m < n]
    if done:
        last = max(done)
        scale = job.weights.get(n, 1) / max(job.weights.get(last, 1), 1)
        guess = seconds[(last, kind, prof)] * max(scale, 1.0)
    elif seconds:  # another kind's time, scaled by the cost proxies
        (m, k, p), took = max(seconds.items(), key=lambda item: item[1])
        other = next(j for j in jobs if (j.kind, j.profile) == (k, p))
        guess = took * job.weights.get(n, 1) / max(other.weights.get(m, 1), 1)
    else:
        return None
    return max(guess - running_for, 1.0)


def compile_all(
    jobs: Sequence[CompileJob],
    time_budget: float,
    compile_at_least: int = 1,
    workers: int = 2,
    *,
    progress: bool = False,
) -> CompileRun:
    """Compile every job's sizes in worker processes; return what finished in time.

    Args:
        jobs: What to compile.
        time_budget: Seconds from the start after which no new size starts (and running ones
            are stopped) once the ``compile_at_least`` smallest sizes of each job are done;
            0 compiles nothing.
        compile_at_least: Smallest requested sizes per job (calibration sizes when it has
            none) compiled whatever the budget. Defaults to 1.
        workers: Worker processes. Defaults to 2.
        progress: Draw a progress bar on a terminal (quiet when stderr is not one).

    Returns:
        The run. A compile that fails, or whose worker dies, has no figures.
    """
    if not jobs or time_budget <= 0:
        return CompileRun({}, {}, time_budget)
    start = time.monotonic()
    deadline = start + time_budget
    must = {
        (n, job.kind, job.profile)
        for job in jobs
        for n in sorted(job.sizes or job.calibration)[: max(compile_at_least, 0)]
    }
    # Calibration sizes are small (below the requested range) and the routing fit needs them:
    # they run with the required sizes, before the budgeted rest.
    first = must | {(n, job.kind, job.profile) for job in jobs for n in job.calibration}
    ordered: list[Key] = sorted(
        ((n, job.kind, job.profile) for job in jobs for n in (*job.sizes, *job.calibration)),
        key=lambda key: (key not in first, key[0]),
    )
    model = {(job.kind, job.profile): job.model for job in jobs}
    ctx = mp.get_context("spawn")  # fork after Qiskit's Rust threads start is unsafe
    tasks, out = ctx.Queue(), ctx.Queue()
    for n, kind, prof in ordered:
        tasks.put((model[(kind, prof)], n, kind, prof))
    for _ in range(workers):
        tasks.put(None)
    procs = [
        ctx.Process(target=_compile_worker, args=(wid, tasks, out), daemon=True)
        for wid in range(workers)
    ]
    for proc in procs:
        proc.start()
    results: dict[Key, Figures] = {}
    seconds: dict[Key, float] = {}
    finished: set[Key] = set()
    running: dict[int, tuple[Key, float]] = {}
    ran_out = False
    with progress_bar("compiling", len(ordered), quiet=not progress, unit="size") as bar:
        while len(finished) < len(ordered):
            now = time.monotonic()
            if now >= deadline and must <= finished:
                ran_out = True
                break
            try:
                event, wid, key, figures = out.get(timeout=0.1)
            except queue.Empty:
                for wid, proc in enumerate(procs):
                    if not proc.is_alive() and wid in running:  # died inside a compile
                        key, began = running.pop(wid)
                        finished.add(key)
                        seconds[key] = now - began
                        bar.update(1)
                if not any(proc.is_alive() for proc in procs):
                    break
                continue
            if event == "start":
                running[wid] = (key, time.monotonic())
                bar.set_postfix_str(f"N={key[0]} {key[1]} on {key[2]}", refresh=False)
                continue
            _, began = running.pop(wid, (key, time.monotonic()))
            seconds[key] = time.monotonic() - began
            finished.add(key)
            bar.update(1)
            if figures is not None:
                results[key] = figures
    stopped = time.monotonic()
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
        proc.join()
    skipped = tuple(key for key in ordered if key not in finished)
    needs = None
    if ran_out and skipped:
        began_at = {key: began for key, began in running.values()}
        running_for = stopped - began_at[skipped[0]] if skipped[0] in began_at else 0.0
        needs = _next_needs(skipped[0], jobs, seconds, running_for)
    return CompileRun(results, seconds, time_budget, ran_out and bool(skipped), skipped, needs)
