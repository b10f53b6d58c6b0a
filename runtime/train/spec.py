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
from hardware_profiles.errors import ResourceError

if TYPE_CHECKING:
    from torch import nn

__all__ = ["BACKENDS", "NOISY_FIELDS", "ModelFactory", "QNNBackend", "TaskInfo", "TaskKind"]

TaskKind = Literal["classification", "regression", "forecast"]
BACKENDS = ("exact", "noisy", "aer-noisy", "ibm")
NOISY_FIELDS = ("noisy_mode", "trajectories")
"""QNNBackend fields only the ``noisy`` backend reads (left out of other runs' identities)."""


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
            ``noisy`` (the profile's noise model simulated in torch on the compiled circuit:
            exact density matrix when small (``noisy_mode``), else unbiased trajectories;
            :class:`~runtime.qnn.noisy_qnn.NoisyQNN`), ``aer-noisy`` (Aer with the
            profile's noise, shots) or ``ibm`` (IBM Quantum primitives; ``ibm_backend``
            names a device, or a fake backend with ``local``).
        profile: Device profile for ``noisy`` and ``aer-noisy`` (and the compile target of
            the shots backends). Defaults to :data:`hardware_profiles.DEFAULT_PROFILE`.
        ibm_backend: IBM backend name for ``ibm``.
        local: Run ``ibm`` in qiskit-ibm-runtime's local testing mode (fake backend).
        gradient: ``parameter-shift`` (batched, one primitive call per step) or ``spsa``,
            for the shots backends.
        precision: Target precision of each shots-based expectation value.
        seed: Simulator / SPSA / trajectory seed.
        noisy_mode: ``auto``, ``density`` or ``trajectories``, for ``noisy``.
        trajectories: Trajectories per sample in the ``noisy`` backend's trajectory mode.
    """

    name: str = "exact"
    profile: str = DEFAULT_PROFILE
    ibm_backend: str | None = None
    local: bool = False
    gradient: Literal["parameter-shift", "spsa"] = "parameter-shift"
    precision: float = 0.02
    seed: int | None = None
    noisy_mode: Literal["auto", "density", "trajectories"] = "auto"
    trajectories: int = 32

    def __post_init__(self) -> None:
        if self.noisy_mode not in ("auto", "density", "trajectories"):
            raise ResourceError(
                f"noisy mode must be auto, density or trajectories, got {self.noisy_mode!r}"
            )
        if not 1 <= self.trajectories <= 1_000_000:
            raise ResourceError(f"trajectories must be in 1..1000000, got {self.trajectories}")


ModelFactory = Callable[[TaskInfo, QNNBackend, int], "nn.Module"]
"""``factory(info, backend, seed) -> module``; forward ``(B, T, d) -> (B, output_dim)``."""
