"""The four hybrid quantum models, each as a :data:`~runtime.train.spec.ModelFactory`.

:data:`HYBRIDS`, the one registry of hybrid models, maps ``qlaci``, ``qlam``, ``qama`` and
``qasa`` to a :class:`HybridSpec`: the task family the model is built for and its
``build(info, backend, seed) -> nn.Module``. Every module maps tokens ``(B, T, d)`` to
``(B, info.output_dim)``. ``qrun train``, the training loop, ``examples/train_tables.py``
and the tests all read this one table:

* ``qlaci`` - :class:`~runtime.train.hybrid_qlaci.QLACINeedleModel`: one transformer block
  whose attention head is the QLACI circuit (needle retrieval, ``T = N + 1``).
* ``qlaci-kernel`` - :class:`~runtime.train.hybrid_qlaci_kernel.QLACIKernelNeedleModel`: the
  same block with kernel-attention QLACI (normalised fidelity-kernel attention).
* ``qlam`` - :class:`~runtime.train.hybrid_qlam.QLAMClassifier`: the QLAM quantum memory
  over the tokens and a classifier head (sequential digits).
* ``qasa`` - :class:`~runtime.train.hybrid_qasa.QASAForecaster`: 3 classical encoder layers
  and QASA's quantum one (next-value forecasting).
* ``qama`` - :class:`~runtime.train.backbones.TinyViT` with
  :class:`~runtime.train.hybrid_qama.QAMAAttention` in place of multi-head attention
  (mean-pooled, see :func:`qama_vit`).

A factory builds its module under ``torch.manual_seed(seed)`` (without disturbing the
global generator) and seeds the circuit weights with ``seed`` too, so the same seed gives
the same initial model. Circuit sizes are kept small (10-12 qubits for QLACI at
``N = 4..16``, 8 or 6 memory qubits for QLAM, QASA's published 9 qubits, no circuit for QAMA)
so that a forward and backward pass of a batch of 32 on the exact backend stays around a
second or less on one torch thread; QLAM over 64 pixel tokens (about 1200 gates) is the
slowest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import torch
from torch import nn

from hardware_profiles.errors import JobError
from runtime.train.backbones import TinyViT
from runtime.train.hybrid_qama import QAMAAttention
from runtime.train.hybrid_qasa import QASAEncoderLayer, QASAForecaster, QASAQuantumLayer
from runtime.train.hybrid_qlaci import QLACIAttention, QLACIBlock, QLACINeedleModel, QLACISizes
from runtime.train.hybrid_qlaci_kernel import QLACIKernelNeedleModel
from runtime.train.hybrid_qlam import QLAMClassifier, QLAMLayer
from runtime.train.hybrid_qnn import make_qnn
from runtime.train.spec import ModelFactory, QNNBackend, TaskInfo

__all__ = [
    "HYBRIDS",
    "HybridSpec",
    "QAMAAttention",
    "QASAEncoderLayer",
    "QASAForecaster",
    "QASAQuantumLayer",
    "QLACIAttention",
    "QLACIBlock",
    "QLACIKernelNeedleModel",
    "QLACINeedleModel",
    "QLACISizes",
    "QLAMClassifier",
    "QLAMLayer",
    "make_qnn",
    "qama_vit",
    "qasa_forecaster",
    "qlaci_kernel_needle",
    "qlaci_needle",
    "qlam_classifier",
]

QLAM_LONG_SEQUENCE = 16
"""Beyond this many tokens (e.g. pixel sequences, T = 64) QLAM uses 6 memory qubits, not 8."""


def _seeded(seed: int, build: Callable[[], nn.Module]) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def qlaci_needle(info: TaskInfo, backend: QNNBackend, seed: int) -> nn.Module:
    """QLACI transformer block for needle retrieval (2 qubits per register, 1 layer)."""
    return _seeded(seed, lambda: QLACINeedleModel(info, backend, seed))


def qlaci_kernel_needle(info: TaskInfo, backend: QNNBackend, seed: int) -> nn.Module:
    """Kernel-attention QLACI block for needle retrieval (4 feature qubits, 1 copy, 4 out)."""
    return _seeded(seed, lambda: QLACIKernelNeedleModel(info, backend, seed))


def qlam_classifier(info: TaskInfo, backend: QNNBackend, seed: int) -> nn.Module:
    """QLAM memory classifier: 8 memory qubits (6 for sequences longer than 16 tokens)."""
    memory = 8 if info.seq_len <= QLAM_LONG_SEQUENCE else 6
    return _seeded(seed, lambda: QLAMClassifier(info, backend, seed, memory_qubits=memory))


def qasa_forecaster(info: TaskInfo, backend: QNNBackend, seed: int) -> nn.Module:
    """QASA forecaster: width 16, 4 heads, 3 classical layers and the quantum one."""
    return _seeded(seed, lambda: QASAForecaster(info, backend, seed))


def qama_vit(info: TaskInfo, backend: QNNBackend, seed: int) -> nn.Module:
    """TinyViT (width 16, 2 heads, 1 block) with QAMA attention, mean-pooled.

    Mean pooling, as the QAMA authors' SimpleViT: a token's QAMA output is zero in every head
    whose solution leaves it out, and the solver is detached, so a class token that starts
    out of every ground state never receives information or a gradient (measured: chance
    accuracy on digits-rows with ``pool="cls"``, 66% after 4 epochs with ``pool="mean"``).

    Raises:
        JobError: For a backend other than ``exact``: QAMA's solver runs classically here.
    """
    if backend.name != "exact":
        raise JobError(
            f"qama solves its attention QUBO with a classical solver; backend "
            f"{backend.name!r} is not supported (use --backend exact)"
        )

    def attention(d_model: int, heads: int) -> nn.Module:
        return QAMAAttention(d_model, heads, seed=seed)

    return _seeded(seed, lambda: TinyViT(info, attention_factory=attention, pool="mean"))


@dataclass(frozen=True)
class HybridSpec:
    """One hybrid model: its name, the task family it is built for, and its factory.

    Attributes:
        name: The model's name on the command line (``qrun train --model``).
        family: The task family it fits (``needle``, ``digits`` or ``series``; a task's
            family is the part of its name before the first ``-``).
        build: ``build(info, backend, seed) -> nn.Module``.
    """

    name: str
    family: str
    build: ModelFactory


HYBRIDS: Mapping[str, HybridSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            HybridSpec("qlaci", "needle", qlaci_needle),
            HybridSpec("qlaci-kernel", "needle", qlaci_kernel_needle),
            HybridSpec("qlam", "digits", qlam_classifier),
            HybridSpec("qama", "digits", qama_vit),
            HybridSpec("qasa", "series", qasa_forecaster),
        )
    }
)
"""Every hybrid model by name, in listing order (``qrun train --list`` shows them first)."""
