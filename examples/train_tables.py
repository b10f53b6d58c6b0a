"""Train every task × {its hybrid models, its classical baselines} × seeds; write the page.

    .venv/bin/python examples/train_tables.py                 # the whole page (hours, 2 cores)
    .venv/bin/python examples/train_tables.py --tasks needle-4 --models qlaci softmax-attn
    .venv/bin/python examples/train_tables.py --quick         # a smoke run in about a minute
    .venv/bin/python examples/train_tables.py --verify --tasks series-arma --models qasa --seed 2

Every run goes through :func:`runtime.train.loop.train` with one torch thread, on the exact
backend, and for the tasks of :data:`NOISY_ROWS` also the hybrid model on the ``noisy``
backend (``qlaci@noisy``: the circuit compiled for heron_r2 and trained under its noise
model, 16 unbiased trajectories per sample; ``auto`` mode keeps the exact density matrix for
circuits of at most 7 active qubits): a seeded
validation split is carved from the training data, training stops early once the validation
loss has not improved for ``patience`` epochs (at most ``max_epochs``),
and a run is reported at its best validation epoch. Runs go to
``--runs DIR/<key>/<task>/<model>/seed<S>`` (default ``out/train_tables``, git-ignored), where
``<key>`` hashes the training code (its syntax trees: docstrings, comments and layout do not
count), the library versions, the torch thread count and the CPU kernels torch uses: a
finished run is reused and a killed one resumed only under the same key, so a table never
mixes runs of different code or numerics. ``--verify`` retrains the
selected runs into a temporary directory and compares every epoch's losses and metrics bit
for bit with the stored ones.

The page (``--doc``, default ``docs/training_results.md``) gets, per task family, a table
(mean ± sample standard deviation over seeds at the best validation epoch; what each model
ran; parameter counts against the family's reference baseline; epochs), one SVG of test
metric and validation loss per epoch per task beside it (``docs/training_results/``), and a
linked list of every run with its command and full-precision metrics. Under "Needle
retrieval" it renders the qlaci-kernel sharpening and finite-shot subsection from the JSON
that ``examples/qlaci_kernel_eval.py`` writes beside the runs of a run key, when there is one.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Per task family: data sizes, the validation share carved from the training samples, the
# epoch cap and the early-stopping patience, the same for every model of the family.
# ``train_size`` counts training + validation samples: 640 leaves 512 to train on.
PROTOCOL: dict[str, dict[str, Any]] = {
    "needle": {"train_size": 640, "test_size": 200, "max_epochs": 24, "patience": 3},
    "digits-rows": {"train_size": 640, "test_size": 200, "max_epochs": 30, "patience": 3},
    "digits-pixels": {"train_size": 320, "test_size": 200, "max_epochs": 20, "patience": 3},
    "series": {"train_size": None, "test_size": None, "max_epochs": 30, "patience": 3},
}
QUICK: dict[str, dict[str, Any]] = {
    "needle": {"train_size": 40, "test_size": 32, "max_epochs": 3, "patience": 1},
    "digits-rows": {"train_size": 40, "test_size": 32, "max_epochs": 3, "patience": 1},
    "digits-pixels": {"train_size": 20, "test_size": 16, "max_epochs": 2, "patience": 1},
    "series": {"train_size": 40, "test_size": 10, "max_epochs": 3, "patience": 1},
}
VAL_FRACTION = 0.2
METRICS = {
    "needle": [("retrieval_acc", "retrieval acc ↑"), ("test_loss", "test MSE ↓")],
    "digits": [("accuracy", "accuracy ↑"), ("test_loss", "test CE ↓")],
    "series": [
        ("rollout_mae", "roll-out MAE ↓"),
        ("rollout_mse", "roll-out MSE ↓"),
        ("test_loss", "1-step MSE ↓"),
    ],
}
REFERENCE = {"needle": "softmax-attn", "digits": "vit-mha", "series": "transformer"}
"""The baseline each family's parameter counts are compared with."""
MATCHED = (0.8, 1.25)
"""A model's parameters are *matched* within this ratio of the reference baseline's."""
LR, BATCH = 1e-2, 32
CODE_DIRS = (
    "runtime/train",
    "runtime/qnn",
    "runtime/simulators",
    "qcompile/models",
    "qcompile/qram",
)
FIGURES = "training_results"
"""Folder beside the page for its SVGs and run list."""
LONGER = "budget/needle-16.md"
"""The longer-budget needle-16 page, linked from the needle section when it exists; made by
``examples/train_tables.py --tasks needle-16 --models qlaci-kernel softmax-attn --max-epochs 48
--patience 48 --runs out/train_tables_long --doc docs/budget/needle-16.md``."""
NOISY = "@noisy"
"""Suffix of a model trained on the ``noisy`` backend: its circuit compiled for
:data:`NOISY_PROFILE` and simulated with that profile's noise model (``model@noisy``)."""
NOISY_PROFILE, NOISY_TRAJECTORIES = "heron_r2", 16
NOISY_ROWS: dict[str, tuple[str, ...]] = {
    "needle-4": ("qlaci", "qlaci-kernel"),
    "needle-8": ("qlaci",),
    "series-arma": ("qasa",),
    "series-sine": ("qasa",),
}
"""Tasks whose hybrid model is also trained under the device's noise (same protocol)."""


def _protocol_key(task: str) -> str:
    return task if task.startswith("digits") else task.split("-", 1)[0]


def _family(task: str) -> str:
    return task.split("-", 1)[0]


def _config(task: str, model: str, seed: int, sizes: dict[str, Any]) -> Any:
    from runtime.train.loop import TrainConfig
    from runtime.train.spec import QNNBackend

    backend = QNNBackend()
    if model.endswith(NOISY):
        model = model.removesuffix(NOISY)
        backend = QNNBackend(name="noisy", profile=NOISY_PROFILE, trajectories=NOISY_TRAJECTORIES)
    return TrainConfig(
        task=task,
        model=model,
        backend=backend,
        epochs=sizes["max_epochs"],
        seed=seed,
        batch_size=BATCH,
        lr=LR,
        train_size=sizes["train_size"],
        test_size=sizes["test_size"],
        val_fraction=VAL_FRACTION,
        patience=sizes["patience"],
    )


def _cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def code_digest(source: str) -> bytes:
    """A module's syntax tree without docstrings, comments, layout or line numbers.

    Bare string statements (module, class, function and attribute docstrings) are dropped:
    they cannot change a trained number, and hashing them made every docstring edit
    invalidate hours of stored runs.
    """
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            kept = [
                stmt
                for stmt in body
                if not (
                    isinstance(stmt, ast.Expr)
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)
                )
            ]
            node.body = kept or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.dump(tree, include_attributes=False).encode()


def run_key() -> str:
    """Hash of the training code (:func:`code_digest`), library versions, torch threads (1)
    and CPU kernels."""
    import torch

    from runtime.train.loop import training_versions

    digest = hashlib.sha256()
    for folder in CODE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            digest.update(
                str(path.relative_to(ROOT)).encode() + b"\0" + code_digest(path.read_text())
            )
    numerics = {
        "threads": 1,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "machine": platform.machine(),
        "versions": {k: v for k, v in training_versions().items() if k != "qattn"},
    }
    digest.update(json.dumps(numerics, sort_keys=True).encode())
    return digest.hexdigest()[:12]


class NotTrained(Exception):
    """``--no-train``: the run is not stored finished under this key."""


def _one_run(
    task: str,
    model: str,
    seed: int,
    sizes: dict[str, Any],
    runs: tuple[str, ...] | str,
    no_train: bool = False,
) -> dict:
    import torch

    torch.set_num_threads(1)
    from runtime.train.loop import RUN_JSON, train

    roots = (runs,) if isinstance(runs, str) else runs
    config = _config(task, model, seed, sizes)
    for root in roots:  # the first run key holding this run finished
        record_path = Path(root) / task / model / f"seed{seed}" / RUN_JSON
        if not record_path.exists():
            continue
        record = json.loads(record_path.read_text())
        wanted = json.loads(json.dumps(asdict(config)))
        # The epoch cap only bounds the loop: a run that stopped early before a raised cap
        # is that run; one that reached a lower cap resumes from its checkpoint.
        same = {**record["config"], "epochs": 0} == {**wanted, "epochs": 0}
        stopped = bool(record.get("stopped_early")) and record["epochs_done"] <= config.epochs
        if same and (stopped or record["epochs_done"] == config.epochs):
            record["config"]["epochs"] = config.epochs
            return {**record, "reused": True, "run_key": Path(root).name}
    if no_train:
        raise NotTrained(f"{task}/{model}/seed{seed}")
    out = Path(roots[0]) / task / model / f"seed{seed}"
    train(config, out, resume=(out / "checkpoint.pt").exists(), progress=False)
    return {**json.loads((out / RUN_JSON).read_text()), "run_key": Path(roots[0]).name}


def _best(record: dict[str, Any]) -> dict[str, Any]:
    return record["history"][record.get("best_epoch", record["epochs_done"]) - 1]


def _value(epoch: dict[str, Any], key: str) -> float:
    return float(epoch["test_loss"] if key == "test_loss" else epoch["metrics"][key])


def _fmt(values: list[float], digits: int = 3) -> str:
    if not values:
        return "–"
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _epochs_run(record: dict[str, Any]) -> str:
    capped = not record.get("stopped_early") and record["epochs_done"] >= record["config"]["epochs"]
    return f"{record['epochs_done']} (cap)" if capped else str(record["epochs_done"])


def _matched(params: int, reference: int | None, is_reference: bool) -> str:
    if is_reference or reference is None:
        return "reference" if is_reference else "–"
    ratio = params / reference
    verdict = "matched" if MATCHED[0] <= ratio <= MATCHED[1] else "**not matched**"
    return f"{ratio:.2f}× ({verdict})"


def _table(family: str, results: dict[tuple[str, str], list[dict]], tasks: list[str]) -> str:
    names = METRICS[family]
    head = ["task", "model", "what ran", "params", "vs " + REFERENCE[family]]
    head += [label for _, label in names]
    head += ["best epoch", "epochs run", "s / run", "seeds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for task in tasks:
        ref = results.get((task, REFERENCE[family]))
        ref_params = ref[0]["parameters"] if ref else None
        for (t, model), records in results.items():
            if t != task or not records:
                continue
            first = records[0]
            quantum = bool(first.get("quantum"))
            ran = first.get("execution", {}).get("label", "?")
            cells = [task, f"**{model}**" if quantum else model, ran, str(first["parameters"])]
            cells.append(_matched(first["parameters"], ref_params, model == REFERENCE[family]))
            bests = [_best(record) for record in records]
            cells += [_fmt([_value(best, key) for best in bests]) for key, _ in names]
            cells.append(", ".join(str(best["epoch"]) for best in bests))
            cells.append(", ".join(_epochs_run(record) for record in records))
            seconds = [sum(epoch["seconds"] for epoch in r["history"]) for r in records]
            cells += [f"{statistics.fmean(seconds):.1f}", str(len(records))]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _unmatched(results: dict[tuple[str, str], list[dict]]) -> str:
    """The hybrid-model rows whose parameter count is not matched to the reference."""
    from runtime.train.hybrid import HYBRIDS

    found = []
    for (task, model), records in results.items():
        ref = results.get((task, REFERENCE[_family(task)]))
        if model not in HYBRIDS or not records or not ref:
            continue
        params, ref_params = records[0]["parameters"], ref[0]["parameters"]
        if not MATCHED[0] <= params / ref_params <= MATCHED[1]:
            found.append(f"{model} on {task} ({params} vs {ref_params})")
    return "; ".join(found)


def _figure(task: str, results: dict[tuple[str, str], list[dict]], path: Path) -> None:
    """Test metric and validation loss per epoch, one colour per model, one line per seed."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    family = _family(task)
    key, label = METRICS[family][0]
    figure = Figure(figsize=(10, 3.8))
    FigureCanvasSVG(figure)
    metric_axes, val_axes = figure.subplots(1, 2)
    models = [(model, records) for (t, model), records in results.items() if t == task]
    for index, (model, records) in enumerate(models):
        colour = f"C{index % 10}"
        for number, record in enumerate(records):
            epochs = [epoch["epoch"] for epoch in record["history"]]
            values = [_value(epoch, key) for epoch in record["history"]]
            val = [epoch.get("val_loss") for epoch in record["history"]]
            shown = model if number == 0 else None
            metric_axes.plot(epochs, values, color=colour, lw=1, alpha=0.8, label=shown)
            best = _best(record)
            metric_axes.plot([best["epoch"]], [_value(best, key)], "o", color=colour, ms=4)
            if all(v is not None and math.isfinite(v) for v in val):
                val_axes.plot(epochs, val, color=colour, lw=1, alpha=0.8, label=shown)
    metric_axes.set_xlabel("epoch")
    metric_axes.set_ylabel(f"test {label}")
    metric_axes.set_title(f"{task}: test metric (dot: best validation epoch)", fontsize=9)
    metric_axes.grid(True, alpha=0.3)
    metric_axes.legend(fontsize=7)
    val_axes.set_xlabel("epoch")
    val_axes.set_ylabel("validation loss")
    val_axes.set_yscale("log")
    val_axes.set_title(f"{task}: validation loss (early stopping)", fontsize=9)
    val_axes.grid(True, alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    # No date and a fixed hash salt: the same runs give the same file.
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "qattn"}):
        figure.savefig(path, format="svg", metadata={"Date": None})


def _command(task: str, model: str, seed: int, quick: bool, key: str) -> str:
    """The command that retrains one stored run and compares it bit for bit."""
    quick_flag = " --quick" if quick else ""
    return (
        f".venv/bin/python examples/train_tables.py --verify{quick_flag} --key {key} "
        f"--tasks {task} --models {model} --seed {seed}"
    )


def _run_list(results: dict[tuple[str, str], list[dict]], tasks: list[str], quick: bool) -> str:
    lines = [
        "# Training runs behind docs/training_results.md",
        "",
        "Each command retrains one run with the current code into a temporary directory and "
        "compares every epoch's losses and metrics bit for bit with the run stored under the "
        "page's run key (`--runs`, default `out/train_tables/<key>/`; the same torch thread "
        "count and CPU kernels are needed, see the page). Metrics are at the best validation "
        "epoch, full precision.",
        "",
        "| task | model | seed | best epoch | epochs run | test loss | metrics | command |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task in tasks:
        for (t, model), records in results.items():
            if t != task:
                continue
            for record in records:
                best = _best(record)
                seed = record["config"]["seed"]
                metrics = ", ".join(f"{k} {v!r}" for k, v in best["metrics"].items())
                command = _command(task, model, seed, quick, record["run_key"])
                lines.append(
                    f"| {task} | {model} | {seed} | {best['epoch']} | {record['epochs_done']} | "
                    f"{best['test_loss']!r} | {metrics} | `{command}` |"
                )
    return "\n".join(lines) + "\n"


def _document(
    results: dict[tuple[str, str], list[dict]],
    protocol: dict[str, dict[str, Any]],
    argv: list[str],
    wall: float,
    missing: list[str],
    reused: int,
    keys: list[str],
    doc: Path,
    roots: tuple[str, ...] = (),
) -> str:
    import torch

    from runtime.train.loop import training_versions

    versions = training_versions()
    tasks = sorted({task for task, _ in results}, key=_task_order)
    command = " ".join(["examples/train_tables.py", *argv])
    trained = sum(
        epoch["seconds"] for records in results.values() for r in records for epoch in r["history"]
    )
    figures = doc.parent / FIGURES
    quick = protocol is QUICK
    parts = [
        "# Training results",
        "",
        f"Produced by `.venv/bin/python {command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"({os.cpu_count()} CPU cores, {_cpu_model()}, {platform.machine()}, torch CPU kernels "
        f"{torch.backends.cpu.get_cpu_capability()}, one torch thread per run; "
        f"{trained / 60:.1f} min of training summed over runs, {reused} runs reused, "
        f"{wall / 60:.1f} min wall-clock for this invocation; run key "
        + ", ".join(f"`{k}`" for k in keys)
        + "). Seconds are wall-clock on a machine shared with other jobs, whose load changes "
        f"while it trains (load average {os.getloadavg()[0]:.0f} when this page was "
        "written): they are not a speed measurement.",
        "",
        "Versions: " + ", ".join(f"{name} {value}" for name, value in versions.items()) + ".",
        "",
        "## Protocol",
        "",
        f"Adam (learning rate {LR}, batch {BATCH}, gradient norm clipped to 1). A seeded "
        f"{VAL_FRACTION:.0%} of each task's training samples is held out as a validation set "
        "(`runtime/train/early_stopping.py`; the same split for every model of a task and "
        "seed); training stops once the validation loss has not improved (by 0.1 %) for "
        "`patience` epochs, or at the epoch cap, and each run is reported at its best "
        "validation epoch: the numbers are that epoch's test metrics, mean ± sample standard "
        "deviation over seeds, so the comparison is at convergence, not at one budget point "
        "(the curves below show every epoch). *(cap)* in the *epochs run* column marks a run "
        "still improving when it reached the epoch cap, i.e. not converged. Early stopping "
        "cannot tell a plateau before a late take-off from convergence: a run whose "
        "validation loss never improves stops after 1 + patience epochs. The budget, the same "
        "for every model of a family:",
        "",
        "| family | training samples (+ validation) | test samples | epoch cap | patience |",
        "|---|---|---|---|---|",
    ]
    for family_key, sizes in protocol.items():
        test = sizes["test_size"] if sizes["test_size"] is not None else "all (100-step roll-out)"
        if sizes["train_size"] is None:
            size = "all 380 windows: 304 (+ 76)"
        else:
            held = round(sizes["train_size"] * VAL_FRACTION)
            size = f"{sizes['train_size'] - held} (+ {held})"
        parts.append(
            f"| {family_key} | {size} | {test} | {sizes['max_epochs']} | {sizes['patience']} |"
        )
    parts += [
        "",
        "**What ran.** The *what ran* column is read from each built model "
        "(`runtime/train/provenance.py`), not from its name: a model is quantum (**bold**, "
        '`"quantum": true` in its `run.json`) only if it holds a circuit layer, and the column '
        "names the circuit's width and the backend that simulated it. QAMA is registered "
        "with the hybrid models but has no circuit: its attention reads the ground state of a "
        "QUBO found by a classical solver (exact enumeration up to 12 variables, else "
        "simulated annealing), so it is labelled as such and its gradient never passes "
        "through a quantum computation.",
        "",
        "**Parameter counts.** Each row's trainable parameters are compared with the family's "
        f"reference baseline ({', '.join(f'{f}: `{m}`' for f, m in REFERENCE.items())}); "
        f"*matched* means within {MATCHED[0]}–{MATCHED[1]}×. Not matched here: "
        + (_unmatched(results) or "none")
        + ". These rows compare models of different sizes; no parameter-matched copies of "
        "the baselines are trained yet.",
        "",
        "**Reproducing a row.** Data, weights, shuffling and the validation split are seeded; "
        "every run is listed with its command and full-precision metrics in "
        f"[{FIGURES}/runs.md]({FIGURES}/runs.md); the command retrains it and compares every "
        "epoch bit for bit. The bits also depend on torch's thread count and the CPU kernels "
        "torch dispatches to (recorded in each `run.json` under `numerics`): measured on this "
        "machine, `qrun train series-arma --model bottleneck --epochs 8 --seed 2` ends at "
        "roll-out MAE 1.119454 with `--threads 1` and 1.119619 with `--threads 2`, and its "
        "roll-out MSE changes in the 7th digit under `ATEN_CPU_CAPABILITY=avx2`; the "
        "autoregressive roll-outs amplify such differences. So does a change of code that "
        "only reorders floating-point sums: the previous version of this page reproduces "
        "with the code of its commit 30386cd on this machine (`series-arma` QASA, seeds 0, "
        "1, 2: roll-out MAE 0.9097, 0.9604, 1.056, i.e. the printed 0.975 ± 0.074; seed 2 "
        "also 1.056 with commit 0c51a19), but the exact engine's torch layer that replaced "
        "TorchConnector gives the "
        "same outputs and gradients that differ in the last float32 bits (≤ 3e-8 on the "
        "inputs, ≤ 2e-6 on the weights for a batch), and after 8 epochs seed 2 ends at 1.402. "
        "Nothing flagged it because runs were reused by config alone. The run directories "
        "are now keyed by a hash of the training code, versions and numerics, so a table "
        "never mixes runs of different code, and a changed code reruns. The CPU model is not "
        "in the key (it is printed above), and it matters too: with the same code, versions, "
        "one thread and AVX512 kernels, the runs of the page at commit b3869b7 (trained in "
        "earlier sessions on other machines, AMD EPYC where noted) and their retraining on "
        "this page's Intel Xeon differ in the last bits in 128 of 156 runs, classical ones "
        "included (`needle-4` softmax-attn seed 0: test loss 0.014778472 vs 0.014778473), "
        "and roll-outs amplify it (`series-sine` QASA seed 1 ran 14 epochs there, 20 here).",
        "",
        "Tasks: `runtime/train/tasks.py` (needle retrieval with 4-d keys and values; "
        "scikit-learn's 8×8 digits as 8 rows or 64 pixels; the nine QASA series, standardized "
        "by their training part, 20-point windows, roll-out over the last 20 %). Baselines: "
        "`runtime/train/baselines.py` (digits baselines sized to the parameter count of "
        "`vit-mha`). Hybrid models: `runtime/train/hybrid.py`.",
    ]
    if missing:
        parts += ["", "**Not in this page:** " + "; ".join(missing) + "."]
    sections = (
        ("needle", "Needle retrieval"),
        ("digits", "Sequential digits"),
        ("series", "Synthetic series (QASA)"),
    )
    for family, title in sections:
        chosen = [task for task in tasks if task.startswith(family)]
        if not chosen:
            continue
        parts += ["", f"## {title}", ""]
        if family == "series":
            parts += [
                "Roll-out metrics are in units of the training part's standard deviation. The "
                "test part of `series-noisy-damped` is noise alone (the oscillation has "
                "decayed by e^-20 at t = 400), so its roll-out and one-step errors both "
                "measure the noise variance and come out nearly equal. Early stopping watches "
                "the one-step validation loss.",
                "",
            ]
        parts += [_table(family, results, chosen), ""]
        for task in chosen:
            name = f"{FIGURES}/{task}.svg"
            _figure(task, results, figures / f"{task}.svg")
            parts += [f"![{task}: test metric and validation loss per epoch]({name})", ""]
        if family == "needle":
            parts += _kernel_eval(results, roots)
            longer = doc.parent / LONGER
            if longer.exists() and longer.resolve() != doc.resolve():
                parts += [
                    f"**A longer budget:** [{LONGER}]({LONGER}) trains qlaci-kernel and "
                    "softmax-attn on needle-16 without early stopping (its own command and "
                    "runs; the page says how far each got).",
                    "",
                ]
    (figures / "runs.md").write_text(_run_list(results, tasks, quick))
    return "\n".join(parts).rstrip() + "\n"


def _kernel_eval(results: dict[tuple[str, str], list[dict]], roots: tuple[str, ...]) -> list[str]:
    """The qlaci-kernel subsection from the first run key holding the eval JSON, else none."""
    sys.path.insert(0, str(ROOT / "examples"))
    from qlaci_kernel_section import OUTPUT, render_section

    found = [Path(root) / OUTPUT for root in roots if (Path(root) / OUTPUT).exists()]
    if not found:
        return []
    reference = {task: rs for (task, model), rs in results.items() if model == REFERENCE["needle"]}
    softmax = {
        task: statistics.fmean(_value(_best(r), "retrieval_acc") for r in rs)
        for task, rs in reference.items()
        if rs
    }
    capped = frozenset(
        task for task, rs in reference.items() if rs and all("cap" in _epochs_run(r) for r in rs)
    )
    return [render_section(json.loads(found[0].read_text()), softmax, capped)]


def _task_order(task: str) -> tuple[int, int, str]:
    from runtime.train.tasks import TASK_NAMES

    return (TASK_NAMES.index(task), 0, task) if task in TASK_NAMES else (999, 0, task)


def _verify(jobs: list[tuple], runs: tuple[str, ...]) -> int:
    """Retrains each job into a temporary directory; compares every epoch with the stored run."""
    differing = 0
    for task, model, seed, sizes, _ in jobs:
        found = [Path(r) / task / model / f"seed{seed}" / "run.json" for r in runs]
        stored_path = next((path for path in found if path.exists()), found[0])
        if not stored_path.exists():
            print(f"{task} {model} seed {seed}: no stored run in {stored_path.parent}")
            differing += 1
            continue
        stored = json.loads(stored_path.read_text())
        with tempfile.TemporaryDirectory() as scratch:
            fresh = _one_run(task, model, seed, sizes, scratch)
        keys = ("epoch", "train_loss", "test_loss", "metrics", "val_loss")
        same = [{k: e.get(k) for k in keys} for e in stored["history"]] == [
            {k: e.get(k) for k in keys} for e in fresh["history"]
        ]
        differing += not same
        best = _best(fresh)
        print(
            f"{task} {model} seed {seed}: {'IDENTICAL' if same else 'DIFFERENT'} "
            f"(best epoch {best['epoch']}, test loss {best['test_loss']!r}, {best['metrics']})",
            flush=True,
        )
    return 1 if differing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..S-1 (default: 3)")
    parser.add_argument("--seed", type=int, action="append", help="only this seed (repeatable)")
    parser.add_argument("--workers", type=int, default=2, help="parallel runs (default: 2)")
    parser.add_argument("--runs", default=str(ROOT / "out" / "train_tables"), help="run dirs")
    parser.add_argument("--doc", default=str(ROOT / "docs" / "training_results.md"))
    parser.add_argument("--tasks", nargs="*", default=None, help="only these tasks")
    parser.add_argument("--models", nargs="*", default=None, help="only these models")
    parser.add_argument("--baselines-only", action="store_true", help="skip hybrid models")
    parser.add_argument("--max-epochs", type=int, help="override every family's epoch cap")
    parser.add_argument("--patience", type=int, help="override every family's patience")
    parser.add_argument(
        "--no-noisy", action="store_true", help=f"skip the noise-trained rows (model{NOISY})"
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--verify", action="store_true", help="retrain and compare bit for bit")
    parser.add_argument(
        "--no-train", action="store_true", help="write the page from finished stored runs only"
    )
    parser.add_argument(
        "--key",
        action="append",
        help="use the runs stored under this run key although the code now hashes otherwise "
        "(repeatable, first match wins; the page then says so: a rerun may differ in its bits)",
    )
    args = parser.parse_args(argv)
    raw_argv = list(sys.argv[1:] if argv is None else argv)

    from runtime.train.hybrid import HYBRIDS
    from runtime.train.loop import models_for
    from runtime.train.tasks import TASK_NAMES

    protocol = QUICK if args.quick else PROTOCOL
    current = run_key() + ("-quick" if args.quick else "")
    keys = args.key or [current]
    runs = tuple(str(Path(args.runs) / key) for key in keys)
    seeds = args.seed if args.seed else list(range(args.seeds))
    missing = []
    if args.max_epochs is not None or args.patience is not None:
        protocol = {
            family: {
                **sizes,
                "max_epochs": args.max_epochs or sizes["max_epochs"],
                "patience": args.patience or sizes["patience"],
            }
            for family, sizes in protocol.items()
        }
        missing.append(
            f"the protocol's usual budget: this page overrides it (--max-epochs {args.max_epochs}, "
            f"--patience {args.patience})"
        )
    if keys != [current]:
        others = [key for key in keys if key != current]
        missing.append(
            f"only runs of the current code: rows may come from runs stored under key "
            f"{', '.join(others)} (the current training code hashes to {current}), so a rerun "
            "may differ in its bits"
        )
    if args.baselines_only:
        missing.append("the hybrid models (run with --baselines-only)")
    if args.no_noisy:
        missing.append("the noise-trained rows (run with --no-noisy)")
    jobs = []
    tasks = args.tasks or list(TASK_NAMES)
    for task in tasks:
        noisy = [] if args.no_noisy else [f"{m}{NOISY}" for m in NOISY_ROWS.get(task, ())]
        for model in [*models_for(_family(task)), *noisy]:
            if args.baselines_only and model.removesuffix(NOISY) in HYBRIDS:
                continue
            if args.models and model not in args.models:
                continue
            for seed in seeds:
                jobs.append((task, model, seed, protocol[_protocol_key(task)], runs))
    if args.verify:
        return _verify(jobs, runs)
    skipped = [task for task in TASK_NAMES if task not in tasks]
    if skipped:
        missing.append("tasks not run in this invocation: " + ", ".join(skipped))
    if args.models:
        missing.append("only the models " + ", ".join(args.models) + " were run")

    results: dict[tuple[str, str], list[dict]] = {}
    for task, model, *_ in jobs:
        results.setdefault((task, model), [])
    began = time.perf_counter()
    failures: list[str] = []
    not_trained: list[str] = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = {pool.submit(_one_run, *job, args.no_train): job for job in jobs}
        for done, future in enumerate(as_completed(futures), 1):
            task, model, seed, *_ = futures[future]
            try:
                record = future.result()
            except NotTrained as error:
                not_trained.append(str(error))
                continue
            except Exception as error:  # keep the others; report it in the doc
                failures.append(f"{task}/{model}/seed{seed}: {type(error).__name__}: {error}")
                print(
                    f"[{done}/{len(jobs)}] {task} {model} seed {seed}: FAILED {error}", flush=True
                )
                continue
            results[(task, model)].append(record)
            best = _best(record)
            shown = {k: round(v, 4) for k, v in best["metrics"].items()}
            print(
                f"[{done}/{len(jobs)}] {task} {model} seed {seed}: best epoch {best['epoch']} "
                f"of {record['epochs_done']}, test loss {best['test_loss']:.4g} {shown} "
                f"({time.perf_counter() - began:.0f} s)",
                flush=True,
            )
    for records in results.values():
        records.sort(key=lambda record: record["config"]["seed"])
    if failures:
        missing.append("failed runs: " + "; ".join(failures))
    if not_trained:
        missing.append("runs not finished (not trained, --no-train): " + ", ".join(not_trained))
    results = {pair: records for pair, records in results.items() if records}
    wall = time.perf_counter() - began
    reused = sum(bool(r.get("reused")) for records in results.values() for r in records)
    doc_path = Path(args.doc)
    doc_path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (doc_path.parent / FIGURES).glob("*.svg"):
        stale.unlink()  # figures of tasks this invocation did not run
    doc = _document(results, protocol, raw_argv, wall, missing, reused, keys, doc_path, runs)
    doc_path.write_text(doc)
    print(f"wrote {args.doc} ({wall / 60:.1f} min)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
