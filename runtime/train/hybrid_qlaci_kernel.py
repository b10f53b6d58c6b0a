"""Kernel-attention QLACI inside a transformer block, and its needle-retrieval model.

The block mirrors :mod:`runtime.train.hybrid_qlaci` (QLACI paper, section 3.3: embeddings and
positional encodings, linear Q/K/V projections, the circuit's context, ``LN(X + W_ctx C)``,
a position-wise FFN with its own residual and LayerNorm), with the circuit of
:func:`qcompile.models.qlaci_kernel.build_qlaci_kernel`: its outputs are ``<P0>`` and
``<P0 Z_c>``, and the context is their ratio, ``sum_j kappa_j**m cos(V_{j,c}) / sum_j
kappa_j**m`` (normalised kernel attention). The ratio is computed in torch from the two
exact expectation values, so its gradient (quotient rule through the QNN's exact Jacobian)
is exact too.

Angles: ``Q`` and ``K`` are multiplied by a learned bandwidth ``beta = exp(log_beta)`` (the
kernel's temperature, applied to both alike so ``kappa(q, q) = 1`` stays) before they enter
the circuit; ``V`` enters as is. A memory of ``M`` entries that is not a power of two is
zero-padded to ``N``; the padded branches each add ``kappa(q, 0)**m`` to ``<P0>`` and to every
``<P0 Z_c>`` (``cos 0 = 1``), which one extra run with every entry zero measures, so they are
removed exactly (:func:`qcompile.models.qlaci.remove_padding`, applied to both outputs).

Finite shots: :func:`shot_retrieval_accuracy` runs the trained model's circuit on Aer
(ideal, or with the profile's noise) through the compiled artifact, post-selects the shots
whose query bits are all 0, and uses the mean of ``Z_out`` over them as the context: the
accuracy a device would see at that shot budget.

References:
    "Toward a Hybrid Quantum-Classical Transformer with Logarithmically Scaling Attention for
    Long Sequences" (QLACI), sections 3.2-3.3.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch
from torch import nn

from hardware_profiles.errors import ResourceError
from qcompile.models.base import ModelCircuit
from qcompile.models.qlaci_kernel import KernelSizes, build_qlaci_kernel
from runtime.train.hybrid_qnn import lower_qram, make_qnn
from runtime.train.spec import QNNBackend, TaskInfo

if TYPE_CHECKING:
    from runtime.train.tasks import NeedleTask, TaskData

__all__ = [
    "KernelAttentionSizes",
    "QLACIKernelAttention",
    "QLACIKernelBlock",
    "QLACIKernelNeedleModel",
    "ShotReport",
    "postselected_context",
    "reference_context",
    "shot_retrieval_accuracy",
]

MIN_ACCEPTANCE = 1e-12
"""``<P0>`` is clamped below by this before dividing (it is 0 only if every kernel is 0)."""


@dataclass(frozen=True)
class KernelAttentionSizes:
    """Sizes of one kernel-attention head's circuit.

    Attributes:
        feature_qubits: ``d`` qubits of the feature map (Q/K projection width). Defaults to 4.
        copies: ``m`` feature-map copies (kernel ``kappa**m``). Defaults to 1.
        out_qubits: ``o`` = context dimension (V projection width). Defaults to 4.
        layers: Feature-map data layers ``L``. Defaults to 1.
        beta: Initial bandwidth (temperature) on the Q and K angles. Defaults to 1.0.
        learn_beta: Train the bandwidth. Defaults to True.
        qram: How the lookups run on the exact backend: None, their reference definition
            (multi-controlled ``RY``, fused into multiplexer blocks by the simulator), or a
            construction kind without ancillas (``multiplexer``); shots backends always
            use ``multiplexer``. Defaults to None.
    """

    feature_qubits: int = 4
    copies: int = 1
    out_qubits: int = 4
    layers: int = 1
    beta: float = 1.0
    learn_beta: bool = True
    qram: str | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.beta) and self.beta > 0):
            raise ResourceError(f"beta must be a finite number > 0, got {self.beta!r}")


class QLACIKernelAttention(nn.Module):
    """One kernel-attention head: Q/K/V projections and the circuit's normalised context.

    Args:
        d_model: Token width.
        num_entries: Key-value entries ``M`` per query (padded to a power of two ``N``).
        sizes: Circuit sizes. Defaults to :class:`KernelAttentionSizes` ``()``.
        backend: Where the circuit runs. Defaults to exact.
        seed: Seed of the feature map's initial weights. Defaults to 0.

    Raises:
        ResourceError: If ``num_entries < 1`` or a circuit size is impossible.
    """

    def __init__(
        self,
        d_model: int,
        num_entries: int,
        *,
        sizes: KernelAttentionSizes | None = None,
        backend: QNNBackend | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        sz = sizes or KernelAttentionSizes()
        if num_entries < 1:
            raise ResourceError(f"kernel attention needs at least 1 entry, got {num_entries}")
        self.num_entries = num_entries
        self.seq_len = max(2, 1 << (num_entries - 1).bit_length())
        self.sizes = sz
        self.circuit_sizes = KernelSizes(
            self.seq_len,
            feature_qubits=sz.feature_qubits,
            copies=sz.copies,
            out_qubits=sz.out_qubits,
            layers=sz.layers,
        )
        model = build_qlaci_kernel(self.circuit_sizes)
        backend = backend or QNNBackend()
        qram = sz.qram if backend.name == "exact" else "multiplexer"
        self.model_circuit: ModelCircuit = lower_qram(model, qram)
        self.query_proj = nn.Linear(d_model, sz.feature_qubits)
        self.key_proj = nn.Linear(d_model, sz.feature_qubits)
        self.value_proj = nn.Linear(d_model, sz.out_qubits)
        self.log_beta = nn.Parameter(
            torch.tensor(math.log(sz.beta), dtype=torch.float32), requires_grad=sz.learn_beta
        )
        self.qnn = make_qnn(self.model_circuit, backend, seed=seed)
        self.out_dim = sz.out_qubits
        self.context_override: Callable[[torch.Tensor], torch.Tensor] | None = None
        """If set, maps circuit input rows to contexts instead of the exact ratio (finite
        shots, :func:`shot_retrieval_accuracy`; sharpened kernels, :func:`reference_context`)."""

    def circuit_weights(self) -> np.ndarray:
        """The feature map's current weights (float64 copy)."""
        weight = cast(torch.Tensor, self.qnn.weight)
        return np.asarray(weight.detach().numpy(), dtype=float)

    def circuit_inputs(
        self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor
    ) -> torch.Tensor:
        """Angles in the circuit's ``inputs`` order, bandwidth applied, zero-padded to ``N``.

        Args:
            query: ``(B, d)`` query projections.
            keys: ``(B, M, d)`` key projections.
            values: ``(B, M, o)`` value angles.

        Returns:
            ``(B, d + N (d + o))``.
        """
        beta = self.log_beta.exp().to(query.dtype)
        pad = self.seq_len - keys.shape[1]
        keys = nn.functional.pad(keys * beta, (0, 0, 0, pad))
        values = nn.functional.pad(values, (0, 0, 0, pad))
        batch = query.shape[0]
        return torch.cat([query * beta, keys.reshape(batch, -1), values.reshape(batch, -1)], dim=1)

    def expectations(
        self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor
    ) -> torch.Tensor:
        """``(B, 1 + o)``: ``<P0>`` and ``<P0 Z_c>`` over the ``M`` real entries (exact)."""
        m = keys.shape[1]
        if m != self.num_entries:
            raise ResourceError(f"expected {self.num_entries} entries, got {m}")
        inputs = self.circuit_inputs(query, keys, values)
        if m == self.seq_len:
            return self.qnn(inputs)
        empty = self.circuit_inputs(query, torch.zeros_like(keys), torch.zeros_like(values))
        out = self.qnn(torch.cat([inputs, empty], dim=0))
        padded, blank = out[: query.shape[0]], out[query.shape[0] :]
        return (self.seq_len * padded - (self.seq_len - m) * blank) / m

    def context(
        self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor
    ) -> torch.Tensor:
        """``(B, o)``: ``<P0 Z_c> / <P0>``, the kernel-weighted mean of ``cos V_j``."""
        if self.context_override is not None:
            if keys.shape[1] != self.seq_len:
                raise ResourceError("a context override needs a power-of-two memory (no padding)")
            return self.context_override(self.circuit_inputs(query, keys, values))
        e = self.expectations(query, keys, values)
        return e[:, 1:] / e[:, :1].clamp_min(MIN_ACCEPTANCE)

    def forward(self, queries: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """Context of every query token over the memory tokens.

        Args:
            queries: ``(B, Tq, d_model)``.
            memory: ``(B, M, d_model)``.

        Returns:
            ``(B, Tq, o)``.
        """
        batch, tq, _ = queries.shape
        q = self.query_proj(queries).reshape(batch * tq, -1)
        k = self.key_proj(memory)
        v = self.value_proj(memory)
        k = k.unsqueeze(1).expand(batch, tq, *k.shape[1:]).reshape(batch * tq, *k.shape[1:])
        v = v.unsqueeze(1).expand(batch, tq, *v.shape[1:]).reshape(batch * tq, *v.shape[1:])
        return self.context(q, k, v).reshape(batch, tq, self.out_dim)


class QLACIKernelBlock(nn.Module):
    """A transformer block whose attention head is kernel-attention QLACI.

    ``h = LN(x + W_ctx C)``, ``out = LN(h + FFN(h))`` with ``FFN = W2 GELU(W1 h)``.

    Args:
        d_model: Token width.
        num_entries: Memory tokens ``M``.
        sizes: Circuit sizes. Defaults to :class:`KernelAttentionSizes` ``()``.
        backend: Where the circuit runs. Defaults to exact.
        seed: Seed of the circuit's initial weights. Defaults to 0.
        ffn_ratio: FFN hidden width as a multiple of ``d_model``. Defaults to 2.
    """

    def __init__(
        self,
        d_model: int,
        num_entries: int,
        *,
        sizes: KernelAttentionSizes | None = None,
        backend: QNNBackend | None = None,
        seed: int = 0,
        ffn_ratio: int = 2,
    ) -> None:
        super().__init__()
        self.attention = QLACIKernelAttention(
            d_model, num_entries, sizes=sizes, backend=backend, seed=seed
        )
        self.w_ctx = nn.Linear(self.attention.out_dim, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.ffn = nn.Sequential(
            nn.Linear(d_model, ffn_ratio * d_model),
            nn.GELU(),
            nn.Linear(ffn_ratio * d_model, d_model),
        )
        self.norm2 = nn.LayerNorm(d_model)

    def forward(self, queries: torch.Tensor, memory: torch.Tensor | None = None) -> torch.Tensor:
        """The block at the query positions (``memory`` defaults to ``queries``)."""
        context = self.attention(queries, queries if memory is None else memory)
        h = self.norm1(queries + self.w_ctx(context))
        return self.norm2(h + self.ffn(h))


class QLACIKernelNeedleModel(nn.Module):
    """Needle retrieval with one kernel-attention QLACI block (as ``QLACINeedleModel``).

    Tokens ``0..T-2`` are the ``[key | value]`` entries, token ``T-1`` the query; embedded,
    given learned positional encodings, passed through a :class:`QLACIKernelBlock` whose query
    is the last token and whose memory is the ``T - 1`` entries; a linear head maps the
    block's output at the query to the predicted value.

    Args:
        info: The task: ``seq_len = N + 1``.
        backend: Where the circuit runs. Defaults to exact.
        seed: Seed of the circuit's initial weights. Defaults to 0.
        d_model: Embedding width. Defaults to 16.
        sizes: Circuit sizes. Defaults to :class:`KernelAttentionSizes` ``()``.

    Raises:
        ResourceError: If the task has fewer than 2 tokens.
    """

    def __init__(
        self,
        info: TaskInfo,
        backend: QNNBackend | None = None,
        seed: int = 0,
        *,
        d_model: int = 16,
        sizes: KernelAttentionSizes | None = None,
    ) -> None:
        super().__init__()
        if info.seq_len < 2:
            raise ResourceError(f"needle retrieval needs >= 2 tokens, got {info.seq_len}")
        self.info = info
        self.embed = nn.Linear(info.token_dim, d_model)
        self.pos = nn.Parameter(0.02 * torch.randn(1, info.seq_len, d_model))
        self.block = QLACIKernelBlock(
            d_model, info.seq_len - 1, sizes=sizes, backend=backend, seed=seed
        )
        self.head = nn.Linear(d_model, info.output_dim)

    @property
    def attention(self) -> QLACIKernelAttention:
        """The kernel-attention head."""
        return self.block.attention

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, d) -> (B, output_dim)``."""
        h = self.embed(x) + self.pos
        out = self.block(h[:, -1:], h[:, :-1])
        return self.head(out[:, 0])


def postselected_context(
    counts: Mapping[str, int], query_qubits: int, index_qubits: int, out_qubits: int
) -> tuple[np.ndarray, int]:
    """Context from measured counts: ``Z_out`` averaged over shots with ``query = 0``.

    Args:
        counts: Bitstring -> count, bit ``k`` (from the right) = logical qubit ``k``
            (``query``, then ``index``, then ``out``).
        query_qubits: ``m d``.
        index_qubits: ``n``.
        out_qubits: ``o``.

    Returns:
        ``(context (o,), kept shots)``; the context is 0 when no shot is kept.
    """
    total = np.zeros(out_qubits)
    kept = 0
    first_out = query_qubits + index_qubits
    for bits, count in counts.items():
        clean = bits.replace(" ", "")
        value = int(clean, 2)
        if value & ((1 << query_qubits) - 1):
            continue
        kept += count
        for c in range(out_qubits):
            total[c] += count * (1 - 2 * ((value >> (first_out + c)) & 1))
    return (total / kept if kept else total), kept


@dataclass(frozen=True)
class ShotReport:
    """Accuracy of a trained model when its circuit runs with finite shots.

    Attributes:
        shots: Shots per circuit (per test sample), before post-selection.
        noisy: Whether the profile's noise model was on.
        profile: Compile target and noise source.
        retrieval_acc: Retrieval accuracy on the test set.
        test_loss: Test MSE.
        mean_kept: Mean post-selected shots per sample.
        empty: Samples with no shot kept (context 0).
        two_qubit_gates: Two-qubit gates of the compiled circuit.
        versions: Versions that produced it.
    """

    shots: int
    noisy: bool
    profile: str
    retrieval_acc: float
    test_loss: float
    mean_kept: float
    empty: int
    two_qubit_gates: int
    versions: dict[str, str]


@lru_cache(maxsize=8)
def _compiled(sizes: KernelSizes, profile: str) -> Any:
    """The circuit of ``sizes`` (multiplexer lookups) compiled once per profile."""
    from hardware_profiles import load_profile
    from qcompile.pipeline import CompileOptions, compile_model

    logical = lower_qram(build_qlaci_kernel(sizes), "multiplexer")
    options = CompileOptions(equivalence_max_qubits=0, optimization_level=2)
    return compile_model(logical, load_profile(profile), options).artifact


def shot_retrieval_accuracy(
    model: QLACIKernelNeedleModel,
    task: NeedleTask,
    data: TaskData,
    *,
    shots: int,
    noisy: bool,
    profile: str | None = None,
    seed: int = 0,
) -> ShotReport:
    """Retrieval accuracy of ``model`` with its circuit sampled on Aer and post-selected.

    The circuit (lookups as the ancilla-free multiplexer) is compiled once per sizes and
    profile (optimization level 2, seed 0; weights and data stay parameters); every test
    sample is one parameter set of ``shots`` shots; the context is ``Z_out`` averaged over
    the shots whose query bits are 0.

    Args:
        model: A trained model (exact backend).
        task: Its needle task.
        data: The task's data (the test split is used).
        shots: Shots per sample, >= 1.
        noisy: Add the profile's noise model (Aer).
        profile: Device profile. Defaults to :data:`hardware_profiles.DEFAULT_PROFILE`.
        seed: Aer seed. Defaults to 0.

    Returns:
        The report.

    Raises:
        ResourceError: If ``shots < 1``.
    """
    from hardware_profiles import DEFAULT_PROFILE, load_profile
    from hardware_profiles.versions import versions
    from runtime.execution.aer import AerExecutor
    from runtime.execution.executor import SamplerPub

    if shots < 1:
        raise ResourceError(f"shots must be >= 1, got {shots}")
    attention = model.attention
    sizes = attention.circuit_sizes
    prof = load_profile(profile or DEFAULT_PROFILE)
    artifact = _compiled(sizes, prof.name)
    weights = attention.circuit_weights()
    executor = AerExecutor(prof, noisy=noisy, seed=seed)
    kept_all: list[int] = []

    def contexts(inputs: torch.Tensor) -> torch.Tensor:
        values = artifact.parameter_values(inputs.detach().numpy().astype(float), weights)
        pub = SamplerPub(artifact.measured_circuit(), values)
        counts = executor.sample([pub], shots=shots).counts[0]
        rows = []
        for c in counts:
            ctx, kept = postselected_context(
                c, sizes.query_qubits, sizes.index_qubits, sizes.out_qubits
            )
            rows.append(ctx)
            kept_all.append(kept)
        return torch.tensor(np.array(rows), dtype=inputs.dtype)

    attention.context_override = contexts
    try:
        with torch.no_grad():
            metrics: dict[str, Any] = task.evaluate(model, data)
    finally:
        attention.context_override = None
    report = artifact.report
    return ShotReport(
        shots=shots,
        noisy=noisy,
        profile=prof.name,
        retrieval_acc=float(metrics["retrieval_acc"]),
        test_loss=float(metrics["test_loss"]),
        mean_kept=float(np.mean(kept_all)) if kept_all else 0.0,
        empty=sum(k == 0 for k in kept_all),
        two_qubit_gates=int(report.two_qubit_gates) if report is not None else -1,
        versions=versions(),
    )


def reference_context(
    attention: QLACIKernelAttention, copies: int, beta_scale: float = 1.0
) -> Callable[[torch.Tensor], torch.Tensor]:
    """A context override computing the context with ``copies`` feature-map copies.

    The feature-map weights are shared by the copies, so a model trained with ``m`` copies
    defines the sharper kernel ``kappa**copies`` with the same weights. The contexts come
    from the numpy reference (:func:`~qcompile.models.qlaci_kernel_reference.
    kernel_reference_context`, equal to the circuit's output to 1e-10 in the tests), which
    runs at copy counts whose circuits are too wide to simulate during training.

    Args:
        attention: The head (its feature-map weights and sizes are read).
        copies: ``m``, >= 1.
        beta_scale: Multiplies the Q and K angles (a further temperature). Defaults to 1.

    Returns:
        A function of circuit input rows, for ``attention.context_override``.
    """
    from qcompile.models.qlaci_kernel_reference import kernel_reference_context

    if copies < 1:
        raise ResourceError(f"copies must be >= 1, got {copies}")
    sizes = attention.circuit_sizes
    d, o, n = sizes.feature_qubits, sizes.out_qubits, sizes.seq_len

    def contexts(inputs: torch.Tensor) -> torch.Tensor:
        w = attention.circuit_weights()
        rows = inputs.detach().numpy().astype(float)
        out = [
            kernel_reference_context(
                beta_scale * row[:d],
                beta_scale * row[d : d + n * d].reshape(n, d),
                row[d + n * d :].reshape(n, o),
                w,
                layers=sizes.layers,
                copies=copies,
            )
            for row in rows
        ]
        return torch.tensor(np.array(out), dtype=inputs.dtype)

    return contexts
