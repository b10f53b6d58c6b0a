"""QLACI attention inside a transformer block, and the needle-retrieval model built on it.

The block follows the QLACI paper's section 3.3: classical embeddings (plus positional
encodings) feed linear Q/K/V projections; for each query ``i`` the QLACI circuit
(:func:`qcompile.models.qlaci.build_qlaci`) returns the context vector ``c_i`` (the ``Z``
expectations of its ``out`` register) over all key-value entries at once; then
``LN(X + W_ctx C)``, and a position-wise FFN with its own residual and LayerNorm.

How the projections enter the circuit follows the model circuit's ``inputs`` layout:
``inputs = [Q_i (d_q), K_0..K_{N-1} (N*k, entry-major), V_0..V_{N-1} (N*v)]``, the
projections used directly as rotation angles. The QRAM queries are realised exactly: as
their reference definition (one multi-controlled ``RY`` per word) on the exact backend, as
the ancilla-free multiplexer lookup on shots backends (:class:`QLACISizes`): on one torch
thread the statevector simulator ran a forward + backward pass of the needle model 2.5-3x
faster with the multi-controlled form at ``N = 8, 16`` (equal at ``N = 4``). A memory of
``M`` entries that is not a power of two is zero-padded to ``N`` and the padded branches
are removed exactly (:func:`qcompile.models.qlaci.remove_padding`: one extra circuit run
with every entry zero).

References:
    "Toward a Hybrid Quantum-Classical Transformer with Logarithmically Scaling Attention for
    Long Sequences" (QLACI), sections 3.2-3.3.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from hardware_profiles.errors import ResourceError
from qcompile.models.base import ModelCircuit
from qcompile.models.qlaci import build_qlaci
from runtime.train.hybrid_qnn import lower_qram, make_qnn
from runtime.train.spec import QNNBackend, TaskInfo

__all__ = ["QLACIAttention", "QLACIBlock", "QLACINeedleModel", "QLACISizes"]


@dataclass(frozen=True)
class QLACISizes:
    """Sizes of the QLACI circuit of one head.

    Attributes:
        query_qubits: ``d_q``. Defaults to 2.
        key_qubits: ``k``. Defaults to 2.
        value_qubits: ``v``. Defaults to 2.
        out_qubits: ``o`` = context dimension. Defaults to 2.
        layers: Interaction/aggregation layers. Defaults to 1.
        qram: How the two QRAM queries are realised: a construction they are lowered to
            (``multiplexer``: the ancilla-free Gray-code lookup), None for their reference
            definition (one multi-controlled ``RY`` per word), or ``auto``: the reference
            definition on the exact backend, the multiplexer on shots backends. Both are
            exact and give the same unitary, so trained weights carry over; the torch
            simulator runs the multi-controlled form faster (see the module docstring),
            hardware needs the multiplexer.
            Defaults to ``auto``.
    """

    query_qubits: int = 2
    key_qubits: int = 2
    value_qubits: int = 2
    out_qubits: int = 2
    layers: int = 1
    qram: str | None = "auto"


class QLACIAttention(nn.Module):
    """One QLACI attention head: Q/K/V projections and the circuit's context vectors.

    Args:
        d_model: Token width.
        num_entries: Key-value entries ``M`` per query (padded to a power of two ``N``).
        sizes: Circuit sizes. Defaults to :class:`QLACISizes` ``()`` (2 qubits a register).
        backend: Where the circuit runs. Defaults to exact.
        seed: Seed of the circuit's initial weights. Defaults to 0.

    Raises:
        ResourceError: If ``num_entries < 1`` or a circuit size is impossible.
    """

    def __init__(
        self,
        d_model: int,
        num_entries: int,
        *,
        sizes: QLACISizes | None = None,
        backend: QNNBackend | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        sz = sizes or QLACISizes()
        if num_entries < 1:
            raise ResourceError(f"QLACI attention needs at least 1 entry, got {num_entries}")
        self.num_entries = num_entries
        self.seq_len = max(2, 1 << (num_entries - 1).bit_length())
        model = build_qlaci(
            self.seq_len,
            sz.query_qubits,
            sz.key_qubits,
            sz.value_qubits,
            sz.out_qubits,
            layers=sz.layers,
        )
        self.sizes = sz
        backend = backend or QNNBackend()
        qram = sz.qram
        if qram == "auto":
            qram = None if backend.name == "exact" else "multiplexer"
        self.model_circuit: ModelCircuit = lower_qram(model, qram)
        self.query_proj = nn.Linear(d_model, sz.query_qubits)
        self.key_proj = nn.Linear(d_model, sz.key_qubits)
        self.value_proj = nn.Linear(d_model, sz.value_qubits)
        self.qnn = make_qnn(self.model_circuit, backend, seed=seed)
        self.out_dim = sz.out_qubits

    def circuit_inputs(
        self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor
    ) -> torch.Tensor:
        """Arrange angles in the circuit's ``inputs`` order, zero-padding to ``N`` entries.

        Args:
            query: ``(B, d_q)`` query angles.
            keys: ``(B, M, k)`` key angles.
            values: ``(B, M, v)`` value angles.

        Returns:
            ``(B, d_q + N (k + v))``.
        """
        pad = self.seq_len - keys.shape[1]
        keys = nn.functional.pad(keys, (0, 0, 0, pad))
        values = nn.functional.pad(values, (0, 0, 0, pad))
        batch = query.shape[0]
        return torch.cat([query, keys.reshape(batch, -1), values.reshape(batch, -1)], dim=1)

    def context(
        self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor
    ) -> torch.Tensor:
        """Context vectors ``c`` of one query each over its ``M`` entries (angles in).

        Args:
            query: ``(B, d_q)`` query angles.
            keys: ``(B, M, k)`` key angles.
            values: ``(B, M, v)`` value angles.

        Returns:
            ``(B, o)``: ``<Z>`` on every out qubit, averaged over the ``M`` real entries.
        """
        m = keys.shape[1]
        if m != self.num_entries:
            raise ResourceError(f"expected {self.num_entries} entries, got {m}")
        inputs = self.circuit_inputs(query, keys, values)
        if m == self.seq_len:
            return self.qnn(inputs)
        # Padded branches each add the all-empty term; one extra run measures it.
        empty = self.circuit_inputs(query, torch.zeros_like(keys), torch.zeros_like(values))
        out = self.qnn(torch.cat([inputs, empty], dim=0))
        padded, blank = out[: query.shape[0]], out[query.shape[0] :]
        return (self.seq_len * padded - (self.seq_len - m) * blank) / m

    def forward(self, queries: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """Context of every query token over the memory tokens.

        Args:
            queries: ``(B, Tq, d_model)``.
            memory: ``(B, M, d_model)``, the tokens keys and values are projected from.

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


class QLACIBlock(nn.Module):
    """A transformer block whose attention head is QLACI (QLACI paper, section 3.3).

    ``h = LN(x + W_ctx C)``, ``out = LN(h + FFN(h))`` with ``FFN = W2 GELU(W1 h)``.

    Args:
        d_model: Token width.
        num_entries: Memory tokens ``M`` each query attends over.
        sizes: Circuit sizes. Defaults to :class:`QLACISizes` ``()``.
        backend: Where the circuit runs. Defaults to exact.
        seed: Seed of the circuit's initial weights. Defaults to 0.
        ffn_ratio: FFN hidden width as a multiple of ``d_model``. Defaults to 2.
    """

    def __init__(
        self,
        d_model: int,
        num_entries: int,
        *,
        sizes: QLACISizes | None = None,
        backend: QNNBackend | None = None,
        seed: int = 0,
        ffn_ratio: int = 2,
    ) -> None:
        super().__init__()
        self.attention = QLACIAttention(
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
        """The block at the query positions.

        Args:
            queries: ``(B, Tq, d_model)``: the positions whose output is computed.
            memory: ``(B, M, d_model)``. Defaults to ``queries`` (self-attention).

        Returns:
            ``(B, Tq, d_model)``.
        """
        context = self.attention(queries, queries if memory is None else memory)
        h = self.norm1(queries + self.w_ctx(context))
        return self.norm2(h + self.ffn(h))


class QLACINeedleModel(nn.Module):
    """Needle retrieval with one QLACI block: predict the value whose key matches the query.

    Tokens ``0..T-2`` are the ``[key | value]`` entries and token ``T-1`` the query. They are
    embedded, given learned positional encodings and passed through a :class:`QLACIBlock`
    whose query is the last token and whose memory is the ``T - 1`` entries; a linear head
    maps the block's output at the query to the predicted value. With one block only the
    query position reaches the output, so only its context is computed (one circuit
    evaluation per sample).

    Args:
        info: The task: ``seq_len = N + 1``, ``token_dim``, ``output_dim`` = value width.
        backend: Where the circuit runs. Defaults to exact.
        seed: Seed of the circuit's initial weights. Defaults to 0.
        d_model: Embedding width. Defaults to 16.
        sizes: Circuit sizes. Defaults to :class:`QLACISizes` ``()``.

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
        sizes: QLACISizes | None = None,
    ) -> None:
        super().__init__()
        if info.seq_len < 2:
            raise ResourceError(f"needle retrieval needs >= 2 tokens, got {info.seq_len}")
        self.info = info
        self.embed = nn.Linear(info.token_dim, d_model)
        self.pos = nn.Parameter(0.02 * torch.randn(1, info.seq_len, d_model))
        self.block = QLACIBlock(d_model, info.seq_len - 1, sizes=sizes, backend=backend, seed=seed)
        self.head = nn.Linear(d_model, info.output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, d) -> (B, output_dim)``."""
        h = self.embed(x) + self.pos
        out = self.block(h[:, -1:], h[:, :-1])
        return self.head(out[:, 0])
