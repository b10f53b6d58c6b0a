"""The QASA hybrid encoder for time-series forecasting.

Mirrors the authors' ``HybridTransformer`` (github.com/ChiShengChen/QASA,
``QASA/QASA/qasa_v2_damped.py``): a linear embedding with LayerNorm and sinusoidal
positional encodings, ``layers - 1`` classical Transformer encoder layers, and a last
:class:`QASAEncoderLayer` in which, after multi-head attention (residual + LayerNorm), the
published 9-qubit circuit (:func:`qcompile.models.qasa.build_qasa`) runs token-wise:
``x + W_out <Z>(LN(tanh(W_in x)))``, then ``LN(q + FFN(q))``. A linear head reads the last
token: the forecast of the next value. Only the last token reaches the head and the quantum
layer is token-wise, so the circuit runs for the last token only (same output, ``T`` times
fewer circuit evaluations).

Differences from the repository, on purpose: the circuit is evaluated for all tokens of the
batch in one call (the repository loops over tokens), widths are small by default, and
dropout defaults to 0 (the tasks are small and deterministic training is easier to check).

References:
    C.-S. Chen, E.-C. Kuo, "Quantum Adaptive Self-Attention for Quantum Transformer
    Models", arXiv:2504.05336 (2025); code: https://github.com/ChiShengChen/QASA.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from qcompile.models.base import ModelCircuit
from qcompile.models.qasa import build_qasa
from runtime.train.hybrid_qnn import make_qnn
from runtime.train.spec import QNNBackend, TaskInfo

__all__ = ["QASAEncoderLayer", "QASAForecaster", "QASAQuantumLayer", "sinusoidal_positions"]


def sinusoidal_positions(length: int, d_model: int) -> torch.Tensor:
    """The Transformer's sinusoidal positional encodings, ``(1, length, d_model)``."""
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(1e4) / d_model))
    pe = torch.zeros(length, d_model)
    pe[:, 0::2] = torch.sin(position * div)
    pe[:, 1::2] = torch.cos(position * div)[:, : d_model // 2]
    return pe.unsqueeze(0)


class QASAQuantumLayer(nn.Module):
    """QASA's quantum layer, token-wise: ``x + W_out <Z>(LN(tanh(W_in x)))``.

    Args:
        d_model: Token width.
        backend: Where the circuit runs. Defaults to exact.
        seed: Seed of the circuit's initial weights. Defaults to 0.
    """

    def __init__(self, d_model: int, backend: QNNBackend | None = None, seed: int = 0) -> None:
        super().__init__()
        self.model_circuit: ModelCircuit = build_qasa()
        qubits = len(self.model_circuit.inputs)
        self.input_proj = nn.Linear(d_model, qubits)
        self.norm = nn.LayerNorm(qubits)
        self.qnn = make_qnn(self.model_circuit, backend or QNNBackend(), seed=seed)
        self.output_proj = nn.Linear(len(self.model_circuit.observables), d_model)

    def angles(self, x: torch.Tensor) -> torch.Tensor:
        """The circuit's input angles for tokens ``x`` (``(..., d_model) -> (..., 8)``)."""
        return self.norm(torch.tanh(self.input_proj(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, d_model) -> (B, T, d_model)``, one circuit evaluation per token."""
        batch, length, width = x.shape
        z = self.qnn(self.angles(x).reshape(batch * length, -1))
        return x + self.output_proj(z).reshape(batch, length, width)


class QASAEncoderLayer(nn.Module):
    """The last encoder layer of QASA: attention, then the quantum layer and an FFN.

    Args:
        d_model: Token width.
        heads: Attention heads. Defaults to 4.
        backend: Where the circuit runs. Defaults to exact.
        seed: Seed of the circuit's initial weights. Defaults to 0.
        dropout: Dropout in the FFN. Defaults to 0.
    """

    def __init__(
        self,
        d_model: int,
        heads: int = 4,
        backend: QNNBackend | None = None,
        seed: int = 0,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, heads, batch_first=True)
        self.quantum = QASAQuantumLayer(d_model, backend, seed)
        self.ffn = nn.Sequential(
            nn.Linear(d_model, 4 * d_model),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(4 * d_model, d_model),
            nn.Dropout(dropout),
        )
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor, *, last_only: bool = False) -> torch.Tensor:
        """``(B, T, d_model) -> (B, T, d_model)``, or ``(B, 1, d_model)`` with ``last_only``.

        Everything after the attention is position-wise, so ``last_only`` computes the last
        position alone (the only one a forecasting head reads) with the same result there.
        """
        attn, _ = self.attn(x[:, -1:] if last_only else x, x, x, need_weights=False)
        x = self.norm1((x[:, -1:] if last_only else x) + attn)
        q = self.quantum(x)
        return self.norm2(q + self.ffn(q))


class QASAForecaster(nn.Module):
    """QASA: embedding, ``layers - 1`` classical encoder layers, the quantum one, a head.

    Args:
        info: The task (windows of ``seq_len`` steps of ``token_dim`` values).
        backend: Where the circuit runs. Defaults to exact.
        seed: Seed of the circuit's initial weights. Defaults to 0.
        d_model: Hidden width. Defaults to 16.
        heads: Attention heads. Defaults to 4.
        layers: Encoder layers in all, the last one quantum. Defaults to 4.
        dropout: Dropout. Defaults to 0.
    """

    positions: torch.Tensor

    def __init__(
        self,
        info: TaskInfo,
        backend: QNNBackend | None = None,
        seed: int = 0,
        *,
        d_model: int = 16,
        heads: int = 4,
        layers: int = 4,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.info = info
        self.embed = nn.Sequential(nn.Linear(info.token_dim, d_model), nn.LayerNorm(d_model))
        self.register_buffer("positions", sinusoidal_positions(info.seq_len, d_model))
        self.classical = nn.ModuleList(
            nn.TransformerEncoderLayer(
                d_model, heads, dim_feedforward=4 * d_model, dropout=dropout, batch_first=True
            )
            for _ in range(layers - 1)
        )
        self.quantum = QASAEncoderLayer(d_model, heads, backend, seed, dropout)
        self.head = nn.Linear(d_model, info.output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, d) -> (B, output_dim)``: the next value(s) after the window."""
        h = self.embed(x) + self.positions[:, : x.shape[1]]
        for layer in self.classical:
            h = layer(h)
        return self.head(self.quantum(h, last_only=True)[:, -1])
