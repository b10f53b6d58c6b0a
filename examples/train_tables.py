"""Train every task × {its hybrid models, its classical baselines} × seeds; write the tables.

    .venv/bin/python examples/train_tables.py                 # the full tables (~30 min, 2 cores)
    .venv/bin/python examples/train_tables.py --quick         # a smoke run in about a minute
    .venv/bin/python examples/train_tables.py --baselines-only

Every run goes through :func:`runtime.train.loop.train` on the exact backend with one torch
thread, into ``--runs DIR/<task>/<model>/seed<S>`` (default ``out/train_tables``, git-ignored);
a finished run is reused and a killed one resumed, so re-running the script repeats nothing
(delete the runs directory after changing a model: runs are keyed by their config only). The
Markdown tables (mean ± sample standard deviation over seeds of the last epoch's test
metrics, parameter counts, seconds per run) go to ``--doc`` (default
``docs/training_results.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Per task family: data sizes and epochs, the same for every model of the family (the
# hybrid models' exact simulation sets the budget; see the doc's "Protocol").
PROTOCOL: dict[str, dict[str, Any]] = {
    "needle": {"train_size": 512, "test_size": 200, "epochs": 12},
    "digits-rows": {"train_size": 512, "test_size": 200, "epochs": 10},
    "digits-pixels": {"train_size": 256, "test_size": 200, "epochs": 6},
    "series": {"train_size": None, "test_size": None, "epochs": 8},
}
QUICK: dict[str, dict[str, Any]] = {
    "needle": {"train_size": 32, "test_size": 32, "epochs": 2},
    "digits-rows": {"train_size": 32, "test_size": 32, "epochs": 2},
    "digits-pixels": {"train_size": 16, "test_size": 16, "epochs": 1},
    "series": {"train_size": 32, "test_size": 10, "epochs": 2},
}
METRICS = {
    "needle": [("retrieval_acc", "retrieval acc ↑"), ("test_loss", "test MSE ↓")],
    "digits": [("accuracy", "accuracy ↑"), ("test_loss", "test CE ↓")],
    "series": [
        ("rollout_mae", "roll-out MAE ↓"),
        ("rollout_mse", "roll-out MSE ↓"),
        ("test_loss", "1-step MSE ↓"),
    ],
}
LR, BATCH = 1e-2, 32


def _protocol_key(task: str) -> str:
    return task if task.startswith("digits") else task.split("-", 1)[0]


def _one_run(task: str, model: str, seed: int, sizes: dict[str, Any], runs: str) -> dict:
    import torch

    torch.set_num_threads(1)
    from runtime.train.loop import RUN_JSON, TrainConfig, train

    out = Path(runs) / task / model / f"seed{seed}"
    config = TrainConfig(
        task=task,
        model=model,
        epochs=sizes["epochs"],
        seed=seed,
        batch_size=BATCH,
        lr=LR,
        train_size=sizes["train_size"],
        test_size=sizes["test_size"],
    )
    record_path = out / RUN_JSON
    if record_path.exists():
        record = json.loads(record_path.read_text())
        if record["epochs_done"] >= config.epochs and record["config"]["seed"] == seed:
            return {**record, "reused": True}
    train(config, out, resume=(out / "checkpoint.pt").exists(), progress=False)
    return json.loads(record_path.read_text())


def _fmt(values: list[float], digits: int = 3) -> str:
    if not values:
        return "–"
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _table(family: str, results: dict[tuple[str, str], list[dict]], tasks: list[str]) -> str:
    from runtime.train.hybrid import HYBRIDS

    names = METRICS[family]
    head = ["task", "model", "params", *[label for _, label in names], "s / run", "seeds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for task in tasks:
        for (t, model), records in results.items():
            if t != task or not records:
                continue
            finals = [record["history"][-1] for record in records]
            cells = [task, f"**{model}**" if model in HYBRIDS else model]
            cells.append(str(records[0]["parameters"]))
            for key, _ in names:
                values = [
                    final["test_loss"] if key == "test_loss" else final["metrics"][key]
                    for final in finals
                ]
                cells.append(_fmt(values))
            seconds = [sum(epoch["seconds"] for epoch in r["history"]) for r in records]
            cells += [f"{statistics.fmean(seconds):.1f}", str(len(records))]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _document(
    results: dict[tuple[str, str], list[dict]],
    protocol: dict[str, dict[str, Any]],
    argv: list[str],
    wall: float,
    missing: list[str],
    reused: int,
) -> str:
    from runtime.train.loop import training_versions

    versions = training_versions()
    tasks = sorted({task for task, _ in results}, key=_task_order)
    command = " ".join(["examples/train_tables.py", *argv])
    trained = sum(
        epoch["seconds"] for records in results.values() for r in records for epoch in r["history"]
    )
    parts = [
        "# Training results",
        "",
        f"Produced by `.venv/bin/python {command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"({os.cpu_count()} CPU cores, {platform.machine()}, one torch thread per run; "
        f"{trained / 60:.1f} min of training summed over runs, {reused} runs reused from an "
        f"earlier invocation, {wall / 60:.1f} min wall-clock for this one). Re-run the command "
        "to reproduce: data, weights and shuffling are seeded; only the seconds change.",
        "",
        "Versions: " + ", ".join(f"{name} {value}" for name, value in versions.items()) + ".",
        "",
        "## Protocol",
        "",
        f"Adam (learning rate {LR}, batch {BATCH}, gradient norm clipped to 1), exact backend "
        "(batched torch statevector) for the hybrid models (**bold**). Every model of a task "
        "family gets the same data sizes and epochs; the numbers are the last epoch's test "
        "metrics, mean ± sample standard deviation over seeds. The sizes are chosen so the "
        "whole table trains in about 30 minutes on 2 CPU cores (the hybrid models' exact "
        "simulation dominates): they are small, so these tables compare models under a "
        "tight budget, not at convergence.",
        "",
        "| family | training samples | test samples | epochs |",
        "|---|---|---|---|",
    ]
    for key, sizes in protocol.items():
        test = sizes["test_size"] if sizes["test_size"] is not None else "all (100-step roll-out)"
        size = sizes["train_size"] if sizes["train_size"] is not None else "all (380 windows)"
        parts.append(f"| {key} | {size} | {test} | {sizes['epochs']} |")
    parts += [
        "",
        "Tasks: `runtime/train/tasks.py` (needle retrieval with 4-d keys and values; "
        "scikit-learn's 8×8 digits as 8 rows or 64 pixels; the nine QASA series, standardized "
        "by their training part, 20-point windows, roll-out over the last 20 %). Baselines: "
        "`runtime/train/baselines.py` (digits baselines sized to the parameter count of "
        "`vit-mha`). Hybrid models: `runtime/train/hybrid.py`.",
    ]
    if missing:
        parts += ["", "Not in these tables: " + "; ".join(missing) + "."]
    for family, title in (("needle", "Needle retrieval"), ("digits", "Sequential digits")):
        chosen = [task for task in tasks if task.startswith(family)]
        if chosen:
            parts += ["", f"## {title}", "", _table(family, results, chosen)]
    chosen = [task for task in tasks if task.startswith("series")]
    if chosen:
        parts += [
            "",
            "## Synthetic series (QASA)",
            "",
            "Roll-out metrics are in units of the training part's standard deviation. The "
            "test part of `series-noisy-damped` is noise alone (the oscillation has decayed "
            "by e^-20 at t = 400), so its roll-out and one-step errors both measure the noise "
            "variance and come out nearly equal.",
            "",
            _table("series", results, chosen),
        ]
    return "\n".join(parts) + "\n"


def _task_order(task: str) -> tuple[int, int, str]:
    from runtime.train.tasks import TASK_NAMES

    return (TASK_NAMES.index(task), 0, task) if task in TASK_NAMES else (999, 0, task)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per model (default: 3)")
    parser.add_argument("--workers", type=int, default=2, help="parallel runs (default: 2)")
    parser.add_argument("--runs", default=str(ROOT / "out" / "train_tables"), help="run dirs")
    parser.add_argument("--doc", default=str(ROOT / "docs" / "training_results.md"))
    parser.add_argument("--tasks", nargs="*", default=None, help="only these tasks")
    parser.add_argument("--baselines-only", action="store_true", help="skip hybrid models")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    args = parser.parse_args(argv)
    raw_argv = list(sys.argv[1:] if argv is None else argv)

    from runtime.train.hybrid import HYBRIDS
    from runtime.train.loop import models_for
    from runtime.train.tasks import TASK_NAMES

    protocol = QUICK if args.quick else PROTOCOL
    missing = []
    if args.baselines_only:
        missing.append("the hybrid models (run with --baselines-only)")
    jobs = []
    for task in args.tasks or TASK_NAMES:
        family = task.split("-", 1)[0]
        for model in models_for(family):
            if args.baselines_only and model in HYBRIDS:
                continue
            for seed in range(args.seeds):
                jobs.append((task, model, seed, protocol[_protocol_key(task)], args.runs))

    results: dict[tuple[str, str], list[dict]] = {}
    for task, model, *_ in jobs:
        results.setdefault((task, model), [])
    began = time.perf_counter()
    failures = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = {pool.submit(_one_run, *job): job for job in jobs}
        for done, future in enumerate(as_completed(futures), 1):
            task, model, seed, *_ = futures[future]
            try:
                record = future.result()
            except Exception as error:  # keep the others; report it in the doc
                failures.append(f"{task}/{model}/seed{seed}: {type(error).__name__}: {error}")
                print(
                    f"[{done}/{len(jobs)}] {task} {model} seed {seed}: FAILED {error}", flush=True
                )
                continue
            results[(task, model)].append(record)
            final = record["history"][-1]
            shown = {k: round(v, 4) for k, v in final["metrics"].items()}
            print(
                f"[{done}/{len(jobs)}] {task} {model} seed {seed}: test loss "
                f"{final['test_loss']:.4g} {shown} ({time.perf_counter() - began:.0f} s)",
                flush=True,
            )
    for records in results.values():
        records.sort(key=lambda record: record["config"]["seed"])
    if failures:
        missing.append("failed runs: " + "; ".join(failures))
    wall = time.perf_counter() - began
    reused = sum(bool(r.get("reused")) for records in results.values() for r in records)
    doc = _document(results, protocol, raw_argv, wall, missing, reused)
    Path(args.doc).parent.mkdir(parents=True, exist_ok=True)
    Path(args.doc).write_text(doc)
    print(f"wrote {args.doc} ({wall / 60:.1f} min)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
