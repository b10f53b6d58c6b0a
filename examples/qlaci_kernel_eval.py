"""Evaluate trained ``qlaci-kernel`` needle models: exact, sharpened, and at finite shots.

Train first, with the protocol of ``examples/train_tables.py`` (needle: 512 training and 200
test samples, 12 epochs, Adam 1e-2, batch 32, exact backend)::

    for N in 4 8 16; do for S in 0 1 2; do
      .venv/bin/qrun train needle-$N --model qlaci-kernel --epochs 12 --seed $S \\
          --train-size 512 --test-size 200 --out out/qlaci-kernel/needle-$N/seed$S --quiet
    done; done

then::

    .venv/bin/python examples/qlaci_kernel_eval.py --sharpen 1 2 4 8 --shots 1000 10000

For every run under ``--runs`` it reloads the last checkpoint and reports, on the same test
set: the exact retrieval accuracy (as in ``run.json``); the accuracy with the trained
feature map's kernel sharpened to ``kappa**m`` (``--sharpen``: ``m`` copies of the shared
feature map, contexts from the numpy reference); and the accuracy with the circuit compiled
for ``--profile`` and sampled on Aer with ``--shots`` shots per sample, post-selected on
``query = 0``: ideal, and with the profile's noise model for ``N <= --noisy-max-n``
(density-matrix simulation up to 10 active qubits). Everything goes to ``--out`` as JSON
(with versions and profile) and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _load(run: Path) -> tuple[Any, Any, Any, dict[str, Any]]:
    import torch

    from runtime.train.hybrid import HYBRIDS
    from runtime.train.spec import QNNBackend
    from runtime.train.tasks import get_task

    record = json.loads((run / "run.json").read_text())
    config = record["config"]
    task = get_task(config["task"], train_size=config["train_size"], test_size=config["test_size"])
    model = HYBRIDS["qlaci-kernel"].build(task.info, QNNBackend(), config["seed"])
    state = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=False)
    saved = dict(state["model"])
    expected = set(model.state_dict())
    for key in list(saved):
        # Checkpoints from before the torch QNN became a plain module name its weights
        # ``qnn._weights`` (TorchConnector); the values are the same circuit weights.
        alt = key.replace("qnn._weights", "qnn.weight")
        if key not in expected and alt in expected:
            saved[alt] = saved.pop(key)
    model.load_state_dict(saved)
    model.eval()
    return model, task, task.data(), record


def main(argv: list[str] | None = None) -> int:
    """Evaluate every run; print a table; write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", default="out/qlaci-kernel")
    parser.add_argument("--tasks", nargs="+", default=["needle-4", "needle-8", "needle-16"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--sharpen", nargs="*", type=int, default=[1, 2, 4, 8])
    parser.add_argument("--shots", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--noisy-max-n", type=int, default=4)
    parser.add_argument("--profile", default="heron_r2")
    parser.add_argument("--out", default="out/qlaci-kernel/eval.json")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from hardware_profiles.versions import versions
    from runtime.train.hybrid_qlaci_kernel import reference_context, shot_retrieval_accuracy

    results: list[dict[str, Any]] = []
    for task_name in args.tasks:
        n = int(task_name.split("-")[1])
        for seed in args.seeds:
            run = Path(args.runs) / task_name / f"seed{seed}"
            if not (run / "run.json").exists():
                print(f"skip {run}: not trained", file=sys.stderr)
                continue
            model, task, data, record = _load(run)
            entry: dict[str, Any] = {"task": task_name, "seed": seed}
            entry["exact"] = task.evaluate(model, data)["retrieval_acc"]
            entry["recorded"] = record["history"][-1]["metrics"]["retrieval_acc"]
            att = model.attention
            entry["beta"] = float(att.log_beta.detach().exp())
            sharp = {}
            for m in args.sharpen:
                att.context_override = reference_context(att, m)
                sharp[str(m)] = task.evaluate(model, data)["retrieval_acc"]
            att.context_override = None
            entry["sharpened"] = sharp
            shots: dict[str, Any] = {}
            for count in args.shots:
                for noisy in (False, True):
                    if noisy and n > args.noisy_max_n:
                        continue
                    start = time.monotonic()
                    rep = shot_retrieval_accuracy(
                        model, task, data, shots=count, noisy=noisy, profile=args.profile
                    )
                    shots[f"{'noisy' if noisy else 'ideal'}-{count}"] = {
                        "retrieval_acc": rep.retrieval_acc,
                        "mean_kept": rep.mean_kept,
                        "empty": rep.empty,
                        "two_qubit_gates": rep.two_qubit_gates,
                        "seconds": time.monotonic() - start,
                    }
            entry["shots"] = shots
            print(json.dumps(entry), file=sys.stderr, flush=True)
            results.append(entry)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"profile": args.profile, "versions": versions(), "args": vars(args), "runs": results},
            indent=1,
        )
    )

    def fmt(values: list[float]) -> str:
        if not values:
            return "-"
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.fmean(values):.3f} ± {sd:.3f}"

    keys = sorted({k for r in results for k in r["shots"]}, key=lambda k: (k[:5], int(k[6:])))
    heads = ["task", "seeds", "exact", *[f"kappa^{m}" for m in args.sharpen], *keys]
    print("| " + " | ".join(heads) + " |")
    print("|" + "---|" * len(heads))
    for task_name in args.tasks:
        rs = [r for r in results if r["task"] == task_name]
        if not rs:
            continue
        cells = [task_name, str(len(rs)), fmt([r["exact"] for r in rs])]
        cells += [fmt([r["sharpened"][str(m)] for r in rs]) for m in args.sharpen]
        cells += [
            fmt([r["shots"][k]["retrieval_acc"] for r in rs if k in r["shots"]]) for k in keys
        ]
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
