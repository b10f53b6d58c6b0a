"""A seeded validation split carved from the training data, and early stopping on it.

:func:`split_validation` moves a seeded random ``fraction`` of a task's training samples into
a validation set (the test set is never touched, so choosing an epoch by validation loss does
not peek at the test metrics). :func:`stop_epoch` and :func:`best_epoch` read a run's
validation losses: training stops once ``patience`` epochs in a row have not improved on the
best loss by more than ``min_delta`` (relative), and the run is reported at its best epoch.

The split depends only on ``(len(training set), fraction, seed)``, so every model of a task
and seed sees the same training and validation samples, and a rerun sees them again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import torch

from hardware_profiles.errors import ResourceError

if TYPE_CHECKING:
    from torch import nn

    from runtime.train.tasks import Task, TaskData

__all__ = [
    "MIN_DELTA",
    "Validation",
    "best_epoch",
    "split_validation",
    "stop_epoch",
    "validation_loss",
]

MIN_DELTA = 1e-3
"""A validation loss counts as an improvement when below ``best * (1 - MIN_DELTA)``."""

_SPLIT_SALT = 7_919
"""Keeps the split's generator apart from the shuffling generators seeded by ``seed``."""


@dataclass(frozen=True, eq=False)
class Validation:
    """The validation samples of one run.

    Attributes:
        x: Inputs ``(m, T, d)``.
        y: Targets: ``(m,)`` class indices or ``(m, output_dim)`` values.
    """

    x: torch.Tensor
    y: torch.Tensor


def split_validation(data: TaskData, fraction: float, seed: int) -> tuple[TaskData, Validation]:
    """Moves a seeded ``fraction`` of ``data``'s training samples into a validation set.

    Args:
        data: A task's tensors; its test set and series are kept as they are.
        fraction: Share of the training samples to hold out, in ``(0, 1)``.
        seed: Seed of the split (the run's training seed).

    Returns:
        ``data`` with the remaining training samples (in their original order), and the
        validation samples.

    Raises:
        ResourceError: ``fraction`` outside ``(0, 1)``, or a split leaving either side empty.
    """
    if not 0.0 < fraction < 1.0:
        raise ResourceError(f"validation fraction must be in (0, 1), got {fraction}")
    n = len(data.x_train)
    held = round(n * fraction)
    if held < 1 or held >= n:
        raise ResourceError(
            f"validation fraction {fraction} of {n} training samples leaves "
            f"{held} for validation and {n - held} for training; both need at least one"
        )
    generator = torch.Generator().manual_seed(seed * 1_000_003 + _SPLIT_SALT)
    order = torch.randperm(n, generator=generator)
    val_index, _ = torch.sort(order[:held])
    train_index, _ = torch.sort(order[held:])
    kept = replace(data, x_train=data.x_train[train_index], y_train=data.y_train[train_index])
    return kept, Validation(data.x_train[val_index], data.y_train[val_index])


@torch.no_grad()
def validation_loss(model: nn.Module, task: Task, val: Validation, batch_size: int = 256) -> float:
    """The task's training loss on the validation samples (model in eval mode by the caller)."""
    output = torch.cat([model(val.x[i : i + batch_size]) for i in range(0, len(val.x), batch_size)])
    loss = float(task.loss(output, val.y))
    return loss if math.isfinite(loss) else math.inf


def best_epoch(losses: Sequence[float], min_delta: float = MIN_DELTA) -> int:
    """1-based epoch of the best validation loss (an improvement must beat ``min_delta``).

    Raises:
        ResourceError: No losses.
    """
    if not losses:
        raise ResourceError("no validation losses to choose an epoch from")
    best, where = math.inf, 1  # the first epoch is the first best, even if its loss is inf
    for epoch, loss in enumerate(losses, 1):
        if loss < best * (1.0 - min_delta) if math.isfinite(best) else loss < best:
            best, where = loss, epoch
    return where


def stop_epoch(losses: Sequence[float], patience: int, min_delta: float = MIN_DELTA) -> int | None:
    """The epoch after which training stops early, or None while it goes on.

    Training stops after the first epoch that ends ``patience`` epochs without improvement
    on the best validation loss so far.

    Raises:
        ResourceError: ``patience`` below 1.
    """
    if patience < 1:
        raise ResourceError(f"patience must be at least 1, got {patience}")
    for end in range(1, len(losses) + 1):
        if end - best_epoch(losses[:end], min_delta) >= patience:
            return end
    return None
