"""``qrun train``: train a hybrid model or a classical baseline on a shipped task.

``qrun train TASK --model M --epochs E --out DIR`` trains with a progress bar on stderr,
checkpoints every epoch into ``DIR`` and writes ``metrics.csv``, ``run.json`` and
``curves.png`` (see :mod:`runtime.train.loop`); ``--resume`` continues an interrupted run
exactly; ``qrun train --list`` lists the tasks and the models that fit each. Heavy modules
(torch, the tasks, the models) are imported only when the command runs, so ``qrun`` starts
fast.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import TYPE_CHECKING

from hardware_profiles import DEFAULT_PROFILE
from hardware_profiles.cli_support import SEED_MAX, check_option
from hardware_profiles.errors import JobError, ResourceError
from runtime.train.spec import BACKENDS

if TYPE_CHECKING:
    from runtime.train.loop import TrainResult

__all__ = ["add_train_parser", "run_train"]


def add_train_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Adds the ``train`` subcommand to ``qrun``'s subparsers; returns its parser."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "train", help="train a hybrid model or a classical baseline on a task"
    )
    parser.add_argument("task", nargs="?", default=None, help="task name (see --list)")
    parser.add_argument("--list", action="store_true", help="list tasks and models, then exit")
    parser.add_argument("--model", default=None, help="model name (see --list)")
    parser.add_argument(
        "--backend", choices=BACKENDS, default="exact", help="where circuits run (default: exact)"
    )
    parser.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        help=f"device profile for noisy and aer-noisy (default: {DEFAULT_PROFILE})",
    )
    parser.add_argument(
        "--noisy-mode",
        choices=("auto", "density", "trajectories"),
        default="auto",
        help="--backend noisy: exact density matrix (<= 10 active qubits), unbiased "
        "trajectories, or auto (density when it costs at most 8x the trajectories; default)",
    )
    parser.add_argument(
        "--trajectories",
        type=int,
        default=32,
        help="--backend noisy: trajectories per sample in trajectory mode (default: 32)",
    )
    parser.add_argument(
        "--ibm-backend",
        default=None,
        help="IBM device for --backend ibm (with --local: a fake, e.g. FakeFez)",
    )
    parser.add_argument(
        "--local", action="store_true", help="run --backend ibm in local testing mode"
    )
    parser.add_argument(
        "--gradient",
        choices=("parameter-shift", "spsa"),
        default="parameter-shift",
        help="gradient of the shots backends (default: parameter-shift)",
    )
    parser.add_argument(
        "--precision",
        type=float,
        default=0.02,
        help="target precision of each shots-based expectation value (default: 0.02)",
    )
    parser.add_argument("--epochs", type=int, default=None, help="epochs in total")
    parser.add_argument("--seed", type=int, default=0, help="training seed (default: 0)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size (default: 32)")
    parser.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate (default: 1e-2)")
    parser.add_argument("--out", default=None, help="output directory (checkpoint, CSV, plot)")
    parser.add_argument("--resume", action="store_true", help="continue from DIR's checkpoint")
    parser.add_argument("--train-size", type=int, default=None, help="shrink the training set")
    parser.add_argument("--test-size", type=int, default=None, help="shrink the test set")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (default: 1; the models are small, more threads mostly wait)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _listing() -> str:
    from runtime.train.loop import models_for
    from runtime.train.tasks import TASK_NAMES, get_task

    lines = ["tasks (kind, T×d → outputs; models: hybrid first):"]
    for name in TASK_NAMES:
        info = get_task(name).info
        models = models_for(name.split("-", 1)[0])
        shape = f"{info.seq_len}×{info.token_dim} → {info.output_dim}"
        lines.append(f"  {name:<22} {info.kind:<15} {shape:<11} {', '.join(models)}")
    return "\n".join(lines)


def _require_ibm_credentials() -> None:
    from runtime.execution.ibm import TOKEN_ENV

    if os.environ.get(TOKEN_ENV):
        return
    try:
        from qiskit_ibm_runtime import QiskitRuntimeService

        saved = QiskitRuntimeService.saved_accounts()
    except Exception:
        saved = {}
    if not saved:
        raise JobError(
            f"no IBM Quantum credentials: set {TOKEN_ENV} or save an account with "
            "QiskitRuntimeService.save_account (or use --local with a fake backend)"
        )


def _summary(result: TrainResult) -> str:
    final = result.final
    metrics = "  ".join(f"{name} {value:.4g}" for name, value in final.metrics.items())
    return (
        f"trained {result.config.model} on {result.config.task} "
        f"({result.parameters} parameters, {'hybrid' if result.quantum else 'classical'}): "
        f"epoch {final.epoch}  train loss {final.train_loss:.4g}  test loss "
        f"{final.test_loss:.4g}  {metrics}\n  files in {result.out_dir}"
    )


def _resume_command(args: argparse.Namespace) -> str:
    words = ["qrun", "train", args.task, "--model", args.model, "--epochs", str(args.epochs)]
    words += ["--seed", str(args.seed), "--out", args.out, "--resume"]
    for flag, value, default in (
        ("--backend", args.backend, "exact"),
        ("--profile", args.profile, DEFAULT_PROFILE),
        ("--ibm-backend", args.ibm_backend, None),
        ("--gradient", args.gradient, "parameter-shift"),
        ("--precision", args.precision, 0.02),
        ("--noisy-mode", args.noisy_mode, "auto"),
        ("--trajectories", args.trajectories, 32),
        ("--batch-size", args.batch_size, 32),
        ("--lr", args.lr, 1e-2),
        ("--train-size", args.train_size, None),
        ("--test-size", args.test_size, None),
        ("--threads", args.threads, 1),
    ):
        if value != default:
            words += [flag, str(value)]
    if args.local:
        words.append("--local")
    return " ".join(shlex.quote(word) for word in words)


def run_train(args: argparse.Namespace) -> int:
    """Runs ``qrun train`` for parsed ``args``; returns the exit code."""
    if args.list:
        print(_listing())
        return 0
    missing = [
        flag
        for flag, value in (("TASK", args.task), ("--model", args.model), ("--out", args.out))
        if value is None
    ]
    if args.epochs is None:
        missing.append("--epochs")
    if missing:
        raise ResourceError(f"train needs {', '.join(missing)} (see qrun train --list)")
    # Lower bounds of epochs, batch size and sizes are TrainConfig's and the task's; here only
    # what would otherwise run for ever or reach torch unchecked.
    check_option(args.epochs, "--epochs", maximum=1_000_000)
    check_option(args.lr, "--lr")
    check_option(args.threads, "--threads", minimum=1, maximum=1024)
    check_option(args.seed, "--seed", minimum=0, maximum=SEED_MAX)
    check_option(args.trajectories, "--trajectories", minimum=1, maximum=1_000_000)

    from runtime.train.loop import TrainConfig, checkpoint_epoch, resolve_model, train
    from runtime.train.spec import QNNBackend
    from runtime.train.tasks import get_task

    if args.backend != "ibm" and (args.ibm_backend is not None or args.local):
        raise ResourceError("--ibm-backend and --local apply only to --backend ibm")
    if args.backend == "ibm" and args.ibm_backend is None:
        raise JobError("--backend ibm needs a device name (--ibm-backend NAME)")
    if args.backend != "noisy" and (args.noisy_mode != "auto" or args.trajectories != 32):
        raise ResourceError("--noisy-mode and --trajectories apply only to --backend noisy")
    if not args.precision > 0:
        raise ResourceError(f"--precision must be positive, got {args.precision}")
    backend = QNNBackend(
        name=args.backend,
        profile=args.profile,
        ibm_backend=args.ibm_backend,
        local=args.local,
        gradient=args.gradient,
        precision=args.precision,
        seed=args.seed,
        noisy_mode=args.noisy_mode,
        trajectories=args.trajectories,
    )
    config = TrainConfig(
        task=args.task,
        model=args.model,
        epochs=args.epochs,
        seed=args.seed,
        batch_size=args.batch_size,
        lr=args.lr,
        backend=backend,
        train_size=args.train_size,
        test_size=args.test_size,
    )
    task = get_task(args.task, train_size=args.train_size, test_size=args.test_size)
    _, quantum = resolve_model(args.model, task)
    if quantum and args.backend == "ibm" and not args.local:
        _require_ibm_credentials()
    if args.threads < 1:
        raise ResourceError(f"--threads must be at least 1, got {args.threads}")
    import torch

    torch.set_num_threads(args.threads)
    try:
        result = train(config, args.out, resume=args.resume, progress=not args.quiet)
    except KeyboardInterrupt:
        done = checkpoint_epoch(args.out)
        if done:
            print(
                f"qrun: interrupted; the checkpoint of epoch {done} is kept in {args.out}; "
                f"continue with: {_resume_command(args)}",
                file=sys.stderr,
            )
        else:
            print("qrun: interrupted before the first epoch finished", file=sys.stderr)
        return 130
    print(_summary(result))
    return 0
