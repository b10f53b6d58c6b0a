"""Evaluate the training tables' ``qlaci-kernel`` needle runs: exact, sharpened, finite shots.

Reads the runs of ``examples/train_tables.py`` (``<runs>/<task>/qlaci-kernel/seed<S>/``,
``run.json`` and ``checkpoint.pt``) and writes ``<runs>/qlaci-kernel-eval.json``, which
``examples/train_tables.py`` renders under "Needle retrieval"::

    nice -n 19 .venv/bin/python examples/qlaci_kernel_eval.py --runs out/train_tables/24c0fae70c9c

The checkpoint holds the LAST epoch's weights (the table reports the best validation epoch),
so every number here is of that checkpoint, and its exact accuracy is reported beside them.
On the same test set, per run:

- ``exact``: the trained circuit's normalised kernel attention (``kappa``, one copy);
- ``sharpened``: the same feature-map weights with ``m`` copies (kernel ``kappa**m``),
  contexts from the numpy reference (``reference_context``), with the mean post-selection
  probability ``p = mean_j kappa_j**m`` (the cost of sharpening: a shot is kept with
  probability ``p``) and the mean attention weight on the matching key (the needle);
  ``argmax``: the limit ``m -> oo`` (the context is the value of the key of largest kernel);
- ``shots``: the trained circuit compiled for ``--profile`` (as
  :func:`runtime.train.hybrid_qlaci_kernel.shot_retrieval_accuracy` compiles it) and sampled
  on Aer, post-selected on ``query = 0``: ideal (statevector) on every test sample, noisy
  (the profile's noise model, Aer ``density_matrix``: the exact noisy state, shots sampled
  from it) on the first ``--noisy-samples`` test samples, with the exact and ideal accuracy
  of that same subset beside it. One Aer run per sample draws ``max(--shots)`` shots; each
  smaller budget is a uniformly random subset of those shots (i.i.d. shots are exchangeable,
  so it is distributed exactly as a run with that many shots). CPU seconds per sample are
  recorded (Aer single-threaded);
- ``ideal_sharpened`` (``--sharpened-shots TASK=M``): the ``M``-copy circuit with the same
  weights, compiled and sampled the same way on ideal Aer, every test sample.

``--resume`` reuses the Aer results of an existing JSON measured with the same shot
settings (for runs whose exact accuracy and epoch count are unchanged) and measures the rest.

Every stored float is at full precision; the JSON records the command, the versions and the
profile's identity (name, content digest, calibration date).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # Aer: one thread per worker process
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

MODEL = "qlaci-kernel"

__all__ = ["evaluate_run", "find_runs", "main", "subsample_counts"]


def find_runs(runs: Path, tasks: list[str], seeds: list[int]) -> list[tuple[str, int, Path]]:
    """The stored ``qlaci-kernel`` runs: ``(task, seed, <runs>/<task>/qlaci-kernel/seed<S>)``.

    Args:
        runs: One run key's folder of ``examples/train_tables.py``.
        tasks: Needle tasks, e.g. ``["needle-4"]``.
        seeds: Seeds.

    Returns:
        The runs whose ``run.json`` and ``checkpoint.pt`` exist, in task then seed order.
    """
    found = []
    for task in tasks:
        for seed in seeds:
            run = runs / task / MODEL / f"seed{seed}"
            if (run / "run.json").exists() and (run / "checkpoint.pt").exists():
                found.append((task, seed, run))
    return found


def subsample_counts(counts: Mapping[str, int], shots: int, rng: Any) -> dict[str, int]:
    """A uniformly random ``shots``-shot subset of the shots in ``counts`` (no replacement).

    Args:
        counts: Outcome -> count.
        shots: Shots to keep, at most ``sum(counts.values())``.
        rng: A ``numpy.random.Generator``.

    Returns:
        Outcome -> count, summing to ``shots``.
    """
    import numpy as np

    keys = sorted(counts)
    drawn = rng.multivariate_hypergeometric(np.array([counts[k] for k in keys]), shots)
    return {k: int(c) for k, c in zip(keys, drawn, strict=True) if c}


def _load(run: Path) -> tuple[Any, Any, Any, dict[str, Any]]:
    import torch

    from runtime.train.hybrid import HYBRIDS
    from runtime.train.spec import QNNBackend
    from runtime.train.tasks import get_task

    record = json.loads((run / "run.json").read_text())
    config = record["config"]
    task = get_task(config["task"], train_size=config["train_size"], test_size=config["test_size"])
    model = HYBRIDS[MODEL].build(task.info, QNNBackend(), config["seed"])
    state = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=False)
    model.load_state_dict(state["model"])
    model.eval()
    return model, task, task.data(), record


class _Contexts:
    """A context override that returns precomputed contexts, in the order rows arrive."""

    def __init__(self, contexts: Any) -> None:
        self.contexts = contexts
        self.offset = 0

    def __call__(self, inputs: Any) -> Any:
        import torch

        rows = self.contexts[self.offset : self.offset + inputs.shape[0]]
        self.offset += inputs.shape[0]
        return torch.as_tensor(rows, dtype=inputs.dtype)


def _accuracy(model: Any, task: Any, data: Any, contexts: Any, samples: int | None = None) -> float:
    """Retrieval accuracy on the first ``samples`` test samples with these contexts."""
    import torch

    if samples is not None:
        data = replace(data, x_test=data.x_test[:samples], y_test=data.y_test[:samples])
    override = _Contexts(contexts)
    model.attention.context_override = override
    try:
        with torch.no_grad():
            acc = float(task.evaluate(model, data)["retrieval_acc"])
    finally:
        model.attention.context_override = None
    if override.offset != len(data.x_test):
        raise RuntimeError(f"{override.offset} contexts used for {len(data.x_test)} samples")
    return acc


def _circuit_rows(model: Any, task: Any, data: Any) -> Any:
    """The circuit input rows (bandwidth applied) of every test sample, in test order."""
    import numpy as np
    import torch

    caught: list[np.ndarray] = []
    att = model.attention

    def capture(inputs: torch.Tensor) -> torch.Tensor:
        caught.append(inputs.detach().numpy().astype(float))
        return torch.zeros(inputs.shape[0], att.out_dim, dtype=inputs.dtype)

    att.context_override = capture
    try:
        with torch.no_grad():
            task.evaluate(model, data)
    finally:
        att.context_override = None
    return np.concatenate(caught)


def _kernel_study(
    model: Any, task: Any, data: Any, rows: Any, sharpen: list[int]
) -> dict[str, Any]:
    """Accuracy, ``p`` and needle weight per copy count ``m``, and the ``argmax`` limit."""
    import numpy as np

    from qcompile.models.qlaci_kernel_reference import kernel_values

    att = model.attention
    sizes = att.circuit_sizes
    d, o, n = sizes.feature_qubits, sizes.out_qubits, sizes.seq_len
    w = att.circuit_weights()
    kappa = np.array(
        [kernel_values(r[:d], r[d : d + n * d].reshape(n, d), w, sizes.layers) for r in rows]
    )
    values = rows[:, d + n * d :].reshape(len(rows), n, o)
    candidates = data.x_test[:, : task.pairs, task.key_dim :]
    truth = (candidates - data.y_test[:, None]).norm(dim=-1).argmin(dim=1).numpy()
    out: dict[str, Any] = {}
    for m in sharpen:
        k = kappa**m
        weights = k / k.sum(axis=1, keepdims=True)
        contexts = np.einsum("bj,bjc->bc", weights, np.cos(values))
        out[str(m)] = {
            "acc": _accuracy(model, task, data, contexts),
            "p": float(k.mean()),
            "needle_weight": float(weights[np.arange(len(rows)), truth].mean()),
        }
    top = kappa.argmax(axis=1)
    argmax = {
        "acc": _accuracy(model, task, data, np.cos(values[np.arange(len(rows)), top])),
        "top1": float((top == truth).mean()),
    }
    return {"sharpened": out, "argmax": argmax}


def _shot_study(
    model: Any,
    task: Any,
    data: Any,
    rows: Any,
    *,
    budgets: list[int],
    noisy: bool,
    samples: int,
    profile: str,
    seed: int,
    copies: int = 1,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Accuracy at each shot budget on the first ``samples`` test samples (one Aer run each).

    ``copies`` other than the trained one samples the sharpened circuit (kernel
    ``kappa**copies``) with the same weights: its inputs and weights do not depend on ``m``.

    Returns:
        The summary, and the post-selected contexts per budget (``(samples, o)`` arrays).
    """
    import numpy as np

    from hardware_profiles import load_profile
    from runtime.execution.active import restrict_circuit
    from runtime.execution.aer import AerExecutor
    from runtime.execution.executor import SamplerPub
    from runtime.train.hybrid_qlaci_kernel import _compiled, postselected_context

    att = model.attention
    sizes = replace(att.circuit_sizes, copies=copies)
    prof = load_profile(profile)
    artifact = _compiled(sizes, prof.name)  # the circuit shot_retrieval_accuracy runs
    circuit = artifact.measured_circuit()
    executor = AerExecutor(
        prof, noisy=noisy, method="density_matrix" if noisy else "automatic", seed=seed
    )
    top = max(budgets)
    counts: list[Mapping[str, int]] = []
    methods: set[str] = set()
    cpu = time.process_time()
    for start in range(0, samples, 10):
        chunk = rows[start : min(samples, start + 10)]
        values = artifact.parameter_values(chunk, att.circuit_weights())
        result = executor.sample([SamplerPub(circuit, values)], shots=top)
        counts.extend(result.counts[0])
        methods.update(result.metadata["methods"])
    cpu = time.process_time() - cpu
    rng = np.random.default_rng([seed, sizes.seq_len, int(noisy)])
    per_budget: dict[str, Any] = {}
    contexts_by_budget: dict[str, Any] = {}
    for budget in sorted(budgets):
        contexts, kept = [], []
        for c in counts:
            drawn = c if budget == top else subsample_counts(c, budget, rng)
            ctx, k = postselected_context(
                drawn, sizes.query_qubits, sizes.index_qubits, sizes.out_qubits
            )
            contexts.append(ctx)
            kept.append(k)
        contexts_by_budget[str(budget)] = np.array(contexts)
        per_budget[str(budget)] = {
            "acc": _accuracy(model, task, data, contexts_by_budget[str(budget)], samples),
            "kept_fraction": float(np.mean(kept) / budget),
            "empty": int(sum(k == 0 for k in kept)),
        }
    report = artifact.report
    summary = {
        "copies": copies,
        "samples": samples,
        "method": ", ".join(sorted(methods)),
        "active_qubits": restrict_circuit(circuit).circuit.num_qubits,
        "two_qubit_gates": int(report.two_qubit_gates) if report is not None else -1,
        "cpu_s_per_sample": cpu / samples,
        "budgets": per_budget,
    }
    return summary, contexts_by_budget


def _exact_accuracy(model: Any, task: Any, data: Any, samples: int) -> float:
    """The exact circuit's retrieval accuracy on the first ``samples`` test samples."""
    import torch

    subset = replace(data, x_test=data.x_test[:samples], y_test=data.y_test[:samples])
    with torch.no_grad():
        return float(task.evaluate(model, subset)["retrieval_acc"])


def evaluate_run(
    task_name: str,
    seed: int,
    run: str,
    settings: dict[str, Any],
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every measurement of one stored run (see the module docstring).

    ``previous`` is this run's entry of an earlier JSON measured with the same shot settings
    (``--resume``): its Aer results are reused when the checkpoint's exact accuracy and
    epoch count are the same; everything else is measured.
    """
    import torch

    torch.set_num_threads(1)
    model, task, data, record = _load(Path(run))
    began = time.process_time()
    rows = _circuit_rows(model, task, data)
    exact = _exact_accuracy(model, task, data, len(rows))
    best = record["history"][record.get("best_epoch", record["epochs_done"]) - 1]
    entry: dict[str, Any] = {
        "task": task_name,
        "n": task.pairs,
        "seed": seed,
        "epochs_done": record["epochs_done"],
        "best_epoch": record.get("best_epoch"),
        "stopped_early": bool(record.get("stopped_early")),
        "best_epoch_acc": best["metrics"]["retrieval_acc"],
        "exact": exact,
        "recorded_last_epoch": record["history"][-1]["metrics"]["retrieval_acc"],
        "beta": float(model.attention.log_beta.detach().exp()),
        "test_samples": len(rows),
    }
    entry.update(_kernel_study(model, task, data, rows, settings["sharpen"]))
    entry["kernel_cpu_s"] = time.process_time() - began
    shots: dict[str, Any] = {}
    same = previous is not None and all(
        previous.get(key) == entry[key] for key in ("exact", "epochs_done", "test_samples")
    )
    if same and previous is not None:
        shots = dict(previous["shots"])
    common = {"budgets": settings["shots"], "profile": settings["profile"], "seed": seed}
    copies = settings.get("sharpened_shots", {}).get(task_name, 0)
    if settings["shots"] and copies and "ideal_sharpened" not in shots:
        shots["ideal_sharpened"], _ = _shot_study(
            model, task, data, rows, noisy=False, samples=len(rows), copies=copies, **common
        )
    if settings["shots"] and "ideal" not in shots:
        shots["ideal"], ideal_contexts = _shot_study(
            model, task, data, rows, noisy=False, samples=len(rows), **common
        )
        k = min(len(rows), settings["noisy_samples"].get(task_name, 0))
        if k:
            noisy, _ = _shot_study(model, task, data, rows, noisy=True, samples=k, **common)
            # The same k samples, exact and ideal, so the noisy column has a fair neighbour.
            noisy["exact_on_subset"] = _exact_accuracy(model, task, data, k)
            noisy["ideal_on_subset"] = {
                b: _accuracy(model, task, data, contexts[:k], k)
                for b, contexts in ideal_contexts.items()
            }
            shots["noisy"] = noisy
    entry["shots"] = shots
    return entry


def _task_counts(pairs: list[str], option: str) -> dict[str, int]:
    from hardware_profiles.errors import ResourceError

    out = {}
    for pair in pairs:
        task, _, count = pair.partition("=")
        if not count.isdigit():
            raise ResourceError(f"{option} takes TASK=COUNT (COUNT >= 0), got {pair!r}")
        out[task] = int(count)
    return out


def main(argv: list[str] | None = None) -> int:
    """Evaluate every stored run; write ``<runs>/qlaci-kernel-eval.json``; print the section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", required=True, help="one run key's folder of train_tables.py")
    parser.add_argument("--tasks", nargs="+", default=["needle-4", "needle-8", "needle-16"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--sharpen", nargs="+", type=int, default=[1, 2, 4, 8])
    parser.add_argument("--shots", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument(
        "--noisy-samples",
        nargs="*",
        default=["needle-4=80", "needle-8=30", "needle-16=1"],
        help="TASK=COUNT: noisy Aer on the first COUNT test samples (default: %(default)s)",
    )
    parser.add_argument(
        "--sharpened-shots",
        nargs="*",
        default=["needle-4=2", "needle-8=2"],
        help="TASK=M: also sample the M-copy circuit on ideal Aer (default: %(default)s)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="reuse the Aer results of the existing JSON where its shot settings are the same",
    )
    parser.add_argument("--profile", default="heron_r2")
    parser.add_argument("--workers", type=int, default=2, help="parallel runs (default: 2)")
    parser.add_argument("--out", default=None, help="default: <runs>/qlaci-kernel-eval.json")
    args = parser.parse_args(argv)
    raw = list(sys.argv[1:] if argv is None else argv)

    from hardware_profiles.cli_support import run_command

    return run_command("qlaci_kernel_eval.py", lambda: _evaluate_all(args, raw))


def _evaluate_all(args: argparse.Namespace, raw: list[str]) -> int:
    from qlaci_kernel_section import OUTPUT, render_section

    from hardware_profiles import load_profile
    from hardware_profiles.errors import JobError, ResourceError
    from hardware_profiles.versions import versions

    if min(args.shots, default=1) < 1 or min(args.sharpen) < 1 or args.workers < 1:
        raise ResourceError("--shots, --sharpen and --workers take integers >= 1")
    runs_dir = Path(args.runs)
    found = find_runs(runs_dir, args.tasks, args.seeds)
    if not found:
        raise JobError(f"no {MODEL} runs under {runs_dir}/<task>/{MODEL}/seed<S>")
    settings = {
        "sharpen": args.sharpen,
        "shots": args.shots,
        "noisy_samples": _task_counts(args.noisy_samples, "--noisy-samples"),
        "sharpened_shots": _task_counts(args.sharpened_shots, "--sharpened-shots"),
        "profile": args.profile,
    }
    out = Path(args.out) if args.out else runs_dir / OUTPUT
    previous: dict[tuple[str, int], dict[str, Any]] = {}
    if args.resume and out.exists():
        old = json.loads(out.read_text())
        keys = ("shots", "noisy_samples", "profile")
        if all(old["settings"].get(k) == settings[k] for k in keys):
            previous = {(e["task"], e["seed"]): e for e in old["runs"]}
    prof = load_profile(args.profile)
    provenance = prof.provenance()
    began = time.monotonic()
    # Longest runs first (N = 16, then 8) so two workers finish together.
    order = sorted(found, key=lambda item: -int(item[0].split("-")[1]))
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = [
            pool.submit(evaluate_run, t, s, str(r), settings, previous.get((t, s)))
            for t, s, r in order
        ]
        results = []
        for future in futures:
            entry = future.result()
            print(json.dumps(entry), file=sys.stderr, flush=True)
            results.append(entry)
    results.sort(key=lambda e: (int(e["n"]), e["seed"]))
    record = {
        "kind": "qlaci-kernel-eval",
        "command": " ".join(["nice -n 19 .venv/bin/python examples/qlaci_kernel_eval.py", *raw]),
        "written": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "wall_s": time.monotonic() - began,
        "run_key": runs_dir.name,
        "profile": {
            "name": prof.name,
            "digest": prof.digest(),
            "calibration_date": provenance.get("calibration_date"),
            "snapshot": provenance.get("snapshot"),
        },
        "versions": versions(),
        "settings": settings,
        "runs": results,
    }
    out.write_text(json.dumps(record, indent=1) + "\n")
    print(render_section(record))
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
