"""The contract between training tasks, models and backends.

A task (:mod:`runtime.train.tasks`) yields token sequences ``x`` of shape ``(B, T, d)`` and
targets; a model factory takes the task's :class:`TaskInfo` and a :class:`QNNBackend` and
returns a :class:`torch.nn.Module` mapping ``x`` to ``(B, output_dim)``: logits for a
classification task, values for a regression or forecast task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from hardware_profiles import DEFAULT_PROFILE

if TYPE_CHECKING:
    from torch import nn

__all__ = ["BACKENDS", "ModelFactory", "QNNBackend", "TaskInfo", "TaskKind"]

TaskKind = Literal["classification", "regression", "forecast"]
BACKENDS = ("exact", "aer-noisy", "ibm")


@dataclass(frozen=True)
class TaskInfo:
    """What a model needs to know about a task.

    Attributes:
        name: Task name, e.g. ``needle-8`` or ``digits-rows``.
        kind: ``classification`` (cross-entropy on logits, accuracy), ``regression`` (MSE)
            or ``forecast`` (MSE on the next value; autoregressive roll-out on the test split).
        seq_len: Tokens per sample, ``T``.
        token_dim: Features per token, ``d``.
        output_dim: Model outputs per sample (classes, or target dimensions).
    """

    name: str
    kind: TaskKind
    seq_len: int
    token_dim: int
    output_dim: int


@dataclass(frozen=True)
class QNNBackend:
    """Where a hybrid model's circuit runs during training.

    Attributes:
        name: ``exact`` (batched torch statevector, exact gradients: the default),
            ``aer-noisy`` (Aer with the profile's noise, shots) or ``ibm`` (IBM Quantum
            primitives; ``ibm_backend`` names a device, or a fake backend with ``local``).
        profile: Device profile for ``aer-noisy`` (and the compile target of the shots
            backends). Defaults to :data:`hardware_profiles.DEFAULT_PROFILE`.
        ibm_backend: IBM backend name for ``ibm``.
        local: Run ``ibm`` in qiskit-ibm-runtime's local testing mode (fake backend).
        gradient: ``parameter-shift`` (batched, one primitive call per step) or ``spsa``,
            for the shots backends.
        precision: Target precision of each shots-based expectation value.
        seed: Simulator / SPSA seed.
    """

    name: str = "exact"
    profile: str = DEFAULT_PROFILE
    ibm_backend: str | None = None
    local: bool = False
    gradient: Literal["parameter-shift", "spsa"] = "parameter-shift"
    precision: float = 0.02
    seed: int | None = None


ModelFactory = Callable[[TaskInfo, QNNBackend, int], "nn.Module"]
"""``factory(info, backend, seed) -> module``; forward ``(B, T, d) -> (B, output_dim)``."""
