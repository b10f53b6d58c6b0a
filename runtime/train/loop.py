"""The training loop: seeded Adam, a checkpoint every epoch, bit-for-bit resume.

:func:`train` trains one model on one task and writes, into its output directory:

* ``checkpoint.pt`` after every epoch (atomically: a temporary file, then ``os.replace``):
  model, optimizer, every RNG state, the epoch, the metrics so far, the run's config, its
  :meth:`TrainConfig.strong_id` (what a resume must match) and the versions of qattn, Qiskit
  and torch;
* ``metrics.csv``: epoch, train loss, test loss, the task's test metrics, seconds;
* ``run.json``: config, versions, parameter count, the latest metrics, what ran
  (:func:`runtime.train.provenance.describe_execution`: ``quantum`` is true only for a model
  holding a circuit), the torch threads and CPU kernels, and with a validation split the
  best epoch and whether training stopped early
  (:mod:`runtime.train.early_stopping`);
* ``curves.png`` at the end: losses and the task's metric per epoch.

``train(..., resume=True)`` continues from the checkpoint and ends with exactly the weights,
optimizer state and losses of an uninterrupted run: batches are shuffled by a generator
seeded from ``(seed, epoch)`` and the global RNG states (torch, NumPy, Python) are restored.
Seconds are not reproducible; everything else is, on the same machine, torch build and
thread count, for the classical models and the exact backend. A shots backend is as
reproducible as its own simulator seeding (``QNNBackend.seed``) makes it. ``noisy`` seeds
each batch's trajectories from torch's global generator, so it resumes exactly too.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from hardware_profiles.errors import JobError, ResourceError
from hardware_profiles.identity import strong_id
from hardware_profiles.versions import versions
from runtime.train.baselines import BASELINES, parameter_count, task_family
from runtime.train.early_stopping import best_epoch, split_validation, stop_epoch, validation_loss
from runtime.train.hybrid import HYBRIDS
from runtime.train.provenance import describe_execution, numerics
from runtime.train.spec import BACKENDS, NOISY_FIELDS, ModelFactory, QNNBackend
from runtime.train.tasks import Task, get_task

__all__ = [
    "CHECKPOINT",
    "EpochRecord",
    "TrainConfig",
    "TrainResult",
    "checkpoint_epoch",
    "models_for",
    "resolve_model",
    "train",
    "training_versions",
]

CHECKPOINT = "checkpoint.pt"
METRICS_CSV = "metrics.csv"
RUN_JSON = "run.json"
PLOT = "curves.png"


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run's result.

    Attributes:
        task: Task name (:data:`runtime.train.tasks.TASK_NAMES`).
        model: A hybrid model (``qlaci``, ``qlam``, ``qasa``, ``qama``) or a baseline of the
            task's family (:data:`runtime.train.baselines.BASELINES`).
        epochs: Epochs to train in total (a resumed run may raise it).
        seed: Seed of the weights, the shuffling and every other random draw. Defaults to 0.
        batch_size: Samples per Adam step. Defaults to 32.
        lr: Adam's learning rate. Defaults to 1e-2.
        grad_clip: Clip the gradient norm to this (None: no clipping). Defaults to 1.0.
        backend: Where a hybrid model's circuit runs. Defaults to ``exact``.
        train_size: Shrink the task's training set. Defaults to the task's size.
        test_size: Shrink the task's test set. Defaults to the task's size.
        val_fraction: Hold out this seeded share of the training set as a validation set
            (:func:`runtime.train.early_stopping.split_validation`); 0 for none. Defaults
            to 0.
        patience: Stop after this many epochs without a better validation loss (needs
            ``val_fraction``); None trains all ``epochs``. Defaults to None.
    """

    task: str
    model: str
    epochs: int
    seed: int = 0
    batch_size: int = 32
    lr: float = 1e-2
    grad_clip: float | None = 1.0
    backend: QNNBackend = field(default_factory=QNNBackend)
    train_size: int | None = None
    test_size: int | None = None
    val_fraction: float = 0.0
    patience: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.val_fraction < 1.0:
            raise ResourceError(f"validation fraction must be in [0, 1), got {self.val_fraction}")
        if self.patience is not None and (self.patience < 1 or self.val_fraction == 0.0):
            raise ResourceError(
                f"patience must be at least 1 and needs a validation fraction, got "
                f"patience {self.patience} with validation fraction {self.val_fraction}"
            )
        if self.epochs < 1:
            raise ResourceError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ResourceError(f"batch size must be at least 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ResourceError(f"learning rate must be positive, got {self.lr}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ResourceError(f"gradient clip must be positive or None, got {self.grad_clip}")
        if self.backend.name not in BACKENDS:
            raise ResourceError(
                f"unknown backend {self.backend.name!r}; known: {', '.join(BACKENDS)}"
            )

    def identity(self) -> dict[str, Any]:
        """The config without ``epochs``: what a resumed run must share with its checkpoint.

        A shots backend (``aer-noisy``, ``ibm``) and ``noisy`` compile for
        ``backend.profile`` and the noisy ones draw their noise from it, so for those the
        profile's content digest
        (:meth:`DeviceProfile.digest <hardware_profiles.DeviceProfile.digest>`) is in too:
        a checkpoint never resumes against an edited profile. ``exact`` ignores the profile.

        Raises:
            ProfileError: A shots backend's profile cannot be loaded.
        """
        found = asdict(self)
        found.pop("epochs")
        # Early stopping fields stay out at their defaults so older checkpoints keep their ids.
        if self.val_fraction == 0.0:
            found.pop("val_fraction")
        if self.patience is None:
            found.pop("patience")
        if self.backend.name != "noisy":
            # Fields only ``noisy`` reads; left out so older checkpoints keep their identity.
            for key in NOISY_FIELDS:
                found["backend"].pop(key, None)
        if self.backend.name != "exact":
            from hardware_profiles import load_profile

            found["profile_digest"] = load_profile(self.backend.profile).digest()
        return found

    def strong_id(self) -> str:
        """:func:`hardware_profiles.identity.strong_id` of :meth:`identity`."""
        return strong_id(self.identity())


@dataclass(frozen=True)
class EpochRecord:
    """One epoch's metrics.

    Attributes:
        epoch: 1-based epoch number.
        train_loss: Mean training loss over the epoch's batches (weighted by batch size).
        test_loss: The task's loss on the test set after the epoch.
        metrics: The task's other test metrics (accuracy, retrieval accuracy, roll-out MAE/MSE).
        seconds: Wall-clock seconds of the epoch (training and evaluation).
        val_loss: The task's loss on the validation split (None without one).
    """

    epoch: int
    train_loss: float
    test_loss: float
    metrics: dict[str, float]
    seconds: float
    val_loss: float | None = None


@dataclass(frozen=True)
class TrainResult:
    """A finished (or resumed and finished) training run.

    Attributes:
        config: The run's config.
        out_dir: Where its files are.
        history: One record per epoch, first to last.
        parameters: Trainable parameters of the model.
        quantum: Whether the model has a circuit.
    """

    config: TrainConfig
    out_dir: Path
    history: tuple[EpochRecord, ...]
    parameters: int
    quantum: bool

    @property
    def final(self) -> EpochRecord:
        """The last epoch's record."""
        return self.history[-1]


def training_versions() -> dict[str, str]:
    """:func:`hardware_profiles.versions.versions` plus torch and qiskit-machine-learning."""
    found = dict(versions())
    found["torch"] = torch.__version__
    try:
        found["qiskit-machine-learning"] = metadata.version("qiskit-machine-learning")
    except metadata.PackageNotFoundError:
        found["qiskit-machine-learning"] = "not installed"
    return found


def models_for(family: str) -> list[str]:
    """Model names that fit a task family: its hybrid models first, then its baselines."""
    hybrid = [spec.name for spec in HYBRIDS.values() if spec.family == family]
    return hybrid + list(BASELINES.get(family, {}))


def resolve_model(name: str, task: Task) -> tuple[ModelFactory, bool]:
    """The factory for model ``name`` on ``task`` and whether it is a hybrid (quantum) model.

    Raises:
        ResourceError: unknown model, or a model not built for this task.
    """
    family = task_family(task.info)
    if name in HYBRIDS:
        spec = HYBRIDS[name]
        if spec.family != family:
            raise ResourceError(
                f"model {name} is for {spec.family} tasks, not {task.name}; "
                f"models for {task.name}: {', '.join(models_for(family))}"
            )
        return spec.build, True
    if name in BASELINES.get(family, {}):
        return BASELINES[family][name], False
    known = {model for models in BASELINES.values() for model in models} | set(HYBRIDS)
    if name in known:
        raise ResourceError(
            f"model {name} does not fit {task.name}; models for {task.name}: "
            f"{', '.join(models_for(family))}"
        )
    raise ResourceError(
        f"unknown model {name!r}; models for {task.name}: {', '.join(models_for(family))}"
    )


def checkpoint_epoch(out_dir: str | Path) -> int | None:
    """The last completed epoch stored in ``out_dir``'s checkpoint, or None if there is none."""
    path = Path(out_dir) / CHECKPOINT
    if not path.is_file():
        return None
    return int(_load_checkpoint(path)["epoch"])


def _load_checkpoint(path: Path) -> dict[str, Any]:
    try:
        # Our own file: it holds NumPy's RNG state, which weights_only loading refuses.
        state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:
        raise JobError(f"{path}: not a readable training checkpoint ({error})") from None
    return state


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _atomic_write_text(path: Path, text: str) -> None:
    _atomic_write_bytes(path, text.encode())


def _rng_state() -> dict[str, Any]:
    return {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])


def _seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def _write_metrics(out_dir: Path, history: list[EpochRecord]) -> None:
    names = list(history[0].metrics) if history else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["epoch", "train_loss", "test_loss", *names, "seconds"])
    for record in history:
        writer.writerow(
            [
                record.epoch,
                repr(record.train_loss),
                repr(record.test_loss),
                *(repr(record.metrics[name]) for name in names),
                f"{record.seconds:.3f}",
            ]
        )
    _atomic_write_text(out_dir / METRICS_CSV, buffer.getvalue())


def _write_plot(out_dir: Path, history: list[EpochRecord], title: str) -> None:
    # The object-oriented API with the Agg canvas: no pyplot, no global backend switch.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    epochs = [record.epoch for record in history]
    figure = Figure(figsize=(10, 4))
    FigureCanvasAgg(figure)
    losses, metrics = figure.subplots(1, 2)
    losses.plot(epochs, [r.train_loss for r in history], marker="o", label="train loss")
    losses.plot(epochs, [r.test_loss for r in history], marker="o", label="test loss")
    if all(r.train_loss > 0 and r.test_loss > 0 for r in history):
        losses.set_yscale("log")
    losses.set_xlabel("epoch")
    losses.set_ylabel("loss")
    losses.legend()
    losses.grid(True, alpha=0.3)
    for name in history[0].metrics if history else []:
        metrics.plot(epochs, [r.metrics[name] for r in history], marker="o", label=name)
    metrics.set_xlabel("epoch")
    metrics.set_ylabel("test metric")
    metrics.legend()
    metrics.grid(True, alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    _atomic_write_bytes(out_dir / PLOT, buffer.getvalue())


def _run_record(
    config: TrainConfig, history: list[EpochRecord], parameters: int, quantum: bool
) -> dict[str, Any]:
    return {
        "config": asdict(config),
        "task": config.task,
        "model": config.model,
        "backend": config.backend.name,
        "profile": config.backend.profile,
        "quantum": quantum,
        "parameters": parameters,
        "versions": training_versions(),
        "epochs_done": len(history),
        "history": [asdict(record) for record in history],
    }


def _stopped(history: list[EpochRecord], patience: int) -> bool:
    losses = [r.val_loss for r in history if r.val_loss is not None]
    return stop_epoch(losses, patience) is not None


def _stopping_record(config: TrainConfig, history: list[EpochRecord]) -> dict[str, Any]:
    losses = [r.val_loss for r in history if r.val_loss is not None]
    if not losses or len(losses) != len(history):
        return {}
    stop = stop_epoch(losses, config.patience) if config.patience is not None else None
    return {"best_epoch": best_epoch(losses), "stopped_early": stop is not None}


def _check_backend(config: TrainConfig, quantum: bool) -> None:
    if not quantum:
        if config.backend.name != "exact":
            raise ResourceError(
                f"model {config.model} is classical: it has no circuit to run on "
                f"{config.backend.name}; drop --backend"
            )
        return
    if config.backend.name in ("aer-noisy", "noisy"):
        from hardware_profiles import load_profile

        load_profile(config.backend.profile)  # ProfileError, one line, if unknown
    if config.backend.name == "ibm" and config.backend.ibm_backend is None:
        raise JobError("the ibm backend needs a device name (--ibm-backend NAME)")


def train(
    config: TrainConfig,
    out_dir: str | Path,
    *,
    resume: bool = False,
    progress: bool = True,
) -> TrainResult:
    """Trains ``config.model`` on ``config.task``; see the module docstring for the files.

    Args:
        config: The run.
        out_dir: Output directory (created if missing).
        resume: Continue from ``out_dir``'s checkpoint (its config must match, but for
            ``epochs``). Without it, an existing checkpoint there is an error (never
            overwritten).
        progress: Show a tqdm progress bar on stderr.

    Raises:
        ResourceError: unknown task or model, a model not built for the task, bad sizes.
        JobError: a checkpoint in the way (or missing, or from another config).
        KeyboardInterrupt: passed on; the last completed epoch's checkpoint stays.
    """
    task = get_task(config.task, train_size=config.train_size, test_size=config.test_size)
    factory, quantum = resolve_model(config.model, task)
    _check_backend(config, quantum)
    identity = config.identity()
    out = Path(out_dir)
    checkpoint_path = out / CHECKPOINT
    saved: dict[str, Any] | None = None
    if checkpoint_path.exists():
        if not resume:
            raise JobError(
                f"{out} already holds a training run (epoch {checkpoint_epoch(out)}); "
                "pass --resume to continue it or choose another --out"
            )
        saved = _load_checkpoint(checkpoint_path)
        # Checkpoints from before strong ids hold the identity only; hash it the same way.
        if saved.get("strong_id", strong_id(saved["identity"])) != strong_id(identity):
            differing = sorted(
                key
                for key in set(saved["identity"]) | set(identity)
                if saved["identity"].get(key) != identity.get(key)
            )
            raise JobError(
                f"{checkpoint_path} is from a different run (differs in: "
                f"{', '.join(differing)}); resume with the same settings or another --out"
            )
    elif resume:
        raise JobError(f"nothing to resume: no {CHECKPOINT} in {out}")
    out.mkdir(parents=True, exist_ok=True)

    data = task.data()
    validation = None
    if config.val_fraction > 0:
        data, validation = split_validation(data, config.val_fraction, config.seed)
    _seed_everything(config.seed)
    model: nn.Module = factory(task.info, config.backend, config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    history: list[EpochRecord] = []
    start = 0
    if saved is not None:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        _set_rng_state(saved["rng"])
        history = [EpochRecord(**record) for record in saved["history"]]
        start = int(saved["epoch"])
    parameters = parameter_count(model)
    execution = describe_execution(model, config.backend)
    quantum = execution.quantum  # QAMA is registered as hybrid but solves its QUBO classically
    title = f"{config.task} · {config.model} · seed {config.seed}"

    for epoch in range(start + 1, config.epochs + 1):
        if config.patience is not None and _stopped(history, config.patience):
            break
        began = time.perf_counter()
        train_loss = _train_epoch(model, optimizer, task, data, config, epoch, progress)
        model.eval()
        evaluation = task.evaluate(model, data)
        val_loss = None if validation is None else validation_loss(model, task, validation)
        model.train()
        test_loss = evaluation.pop("test_loss")
        record = EpochRecord(
            epoch, train_loss, test_loss, evaluation, time.perf_counter() - began, val_loss
        )
        history.append(record)
        if progress:
            shown = "  ".join(f"{name} {value:.4g}" for name, value in evaluation.items())
            print(
                f"epoch {epoch}/{config.epochs}  train loss {train_loss:.4g}  test loss "
                f"{test_loss:.4g}  {shown}  ({record.seconds:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
        state = {
            "epoch": epoch,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "rng": _rng_state(),
            "history": [asdict(r) for r in history],
            "identity": identity,
            "strong_id": strong_id(identity),
            "config": asdict(config),
            "task": config.task,
            "model_name": config.model,
            "backend": config.backend.name,
            "profile": config.backend.profile,
            "versions": training_versions(),
        }
        buffer = io.BytesIO()
        torch.save(state, buffer)
        _atomic_write_bytes(checkpoint_path, buffer.getvalue())
        _write_metrics(out, history)
        record_json = _run_record(config, history, parameters, quantum)
        record_json.update(_stopping_record(config, history))
        record_json.update(execution=asdict(execution), numerics=numerics())
        _atomic_write_text(out / RUN_JSON, json.dumps(record_json, indent=2) + "\n")

    if history:
        _write_metrics(out, history)
        _write_plot(out, history, title)
    return TrainResult(config, out, tuple(history), parameters, quantum)


def _train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    task: Task,
    data: Any,
    config: TrainConfig,
    epoch: int,
    progress: bool,
) -> float:
    from tqdm import tqdm

    model.train()
    # Shuffling depends only on (seed, epoch), so a resumed run draws the same batches.
    generator = torch.Generator().manual_seed(config.seed * 1_000_003 + epoch)
    order = torch.randperm(len(data.x_train), generator=generator)
    batches = [order[i : i + config.batch_size] for i in range(0, len(order), config.batch_size)]
    total, seen = 0.0, 0
    bar = tqdm(
        batches,
        desc=f"epoch {epoch}/{config.epochs}",
        disable=not progress,
        file=sys.stderr,
        leave=False,
        unit="batch",
    )
    for batch in bar:
        optimizer.zero_grad()
        loss = task.loss(model(data.x_train[batch]), data.y_train[batch])
        loss.backward()
        if config.grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        total += float(loss.detach()) * len(batch)
        seen += len(batch)
        bar.set_postfix(loss=f"{total / seen:.4g}")
    bar.close()
    return total / max(seen, 1)
