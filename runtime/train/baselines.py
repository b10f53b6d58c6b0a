"""Classical baselines for every task family, as model factories.

Every factory has the hybrid models' signature, ``factory(info, backend, seed) -> module``
(the backend is unused: these models have no circuit), and maps ``(B, T, d)`` to
``(B, output_dim)``. :data:`BASELINES` maps a task family (``needle``, ``digits``, ``series``)
to its baselines by name:

* needle: ``softmax-attn`` (one query token attends over the key/value tokens),
  ``linear-attn`` (Performer FAVOR+ positive random features; the query enters through
  ``φ(q)``), ``mean-pool`` (an MLP on the mean token: cannot know which pair is asked for).
* digits: ``lstm``, ``gru``, ``transformer``, ``ssm`` (a diagonal linear state-space
  recurrence), each sized to the parameter count of ``vit-mha`` (:class:`TinyViT` with
  standard multi-head attention and mean pooling, like QAMA: its reference).
* series: ``transformer`` (QASA's classical Transformer: 4 encoder layers, shrunk to width 16)
  and ``bottleneck`` (QASA's encoder with its 9-qubit circuit replaced by an 8→9→8 tanh MLP).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from hardware_profiles.errors import ResourceError
from runtime.train.backbones import TinyViT
from runtime.train.spec import ModelFactory, QNNBackend, TaskInfo

__all__ = [
    "BASELINES",
    "BottleneckMixer",
    "LinearSSM",
    "PerformerAttention",
    "QuerySoftmaxAttention",
    "RecurrentClassifier",
    "SeriesTransformer",
    "parameter_count",
    "task_family",
]


def parameter_count(model: nn.Module) -> int:
    """Trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def task_family(info: TaskInfo) -> str:
    """``needle``, ``digits`` or ``series``: the part of the name before the first dash."""
    return info.name.split("-", 1)[0]


def _require(info: TaskInfo, family: str, model: str) -> None:
    if task_family(info) != family:
        raise ResourceError(f"model {model} is for {family} tasks, not {info.name}")


# ---------------------------------------------------------------------------- needle


class QuerySoftmaxAttention(nn.Module):
    """Softmax attention of the last (query) token over the other tokens.

    Args:
        info: A needle task (the last token is the query).
        d_model: Attention width. Defaults to 16.
    """

    def __init__(self, info: TaskInfo, d_model: int = 16) -> None:
        super().__init__()
        self.q = nn.Linear(info.token_dim, d_model)
        self.k = nn.Linear(info.token_dim, d_model)
        self.v = nn.Linear(info.token_dim, d_model)
        self.out = nn.Linear(d_model, info.output_dim)
        self.scale = 1 / math.sqrt(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Values ``(B, output_dim)`` read by the query token."""
        q, memory = self.q(x[:, -1]), x[:, :-1]
        scores = torch.einsum("bd,btd->bt", q, self.k(memory)) * self.scale
        return self.out(torch.einsum("bt,btd->bd", scores.softmax(dim=-1), self.v(memory)))


class PerformerAttention(nn.Module):
    """Linear attention with FAVOR+ positive random features (Performer).

    ``out = φ(q)ᵀ Σ_i φ(k_i) v_iᵀ / φ(q)ᵀ Σ_i φ(k_i)`` with ``φ(u) = exp(Ωu − |u|²/2)/√m``,
    ``Ω`` a fixed orthogonal random projection drawn from ``seed``; cost linear in ``T``.

    Args:
        info: A needle task (the last token is the query).
        d_model: Query/key width. Defaults to 16.
        features: Random features ``m``. Defaults to 32.
        seed: Seed of ``Ω``. Defaults to 0.

    References:
        Choromanski et al., "Rethinking Attention with Performers", arXiv:2009.14794.
    """

    omega: torch.Tensor

    def __init__(self, info: TaskInfo, d_model: int = 16, features: int = 32, seed: int = 0):
        super().__init__()
        self.q = nn.Linear(info.token_dim, d_model)
        self.k = nn.Linear(info.token_dim, d_model)
        self.v = nn.Linear(info.token_dim, d_model)
        self.out = nn.Linear(d_model, info.output_dim)
        generator = torch.Generator().manual_seed(seed)
        blocks = []
        for _ in range(math.ceil(features / d_model)):
            gaussian = torch.randn(d_model, d_model, generator=generator)
            q_block, _ = torch.linalg.qr(gaussian)
            norms = torch.randn(d_model, d_model, generator=generator).norm(dim=1)
            blocks.append(q_block * norms[:, None])
        self.register_buffer("omega", torch.cat(blocks)[:features])
        self.d_model = d_model

    def _phi(self, u: torch.Tensor) -> torch.Tensor:
        u = u / self.d_model**0.25
        projected = u @ self.omega.T - (u**2).sum(dim=-1, keepdim=True) / 2
        return torch.exp(projected) / math.sqrt(self.omega.shape[0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Values ``(B, output_dim)`` read by the query token."""
        memory = x[:, :-1]
        phi_q, phi_k = self._phi(self.q(x[:, -1])), self._phi(self.k(memory))
        kv = torch.einsum("btm,btd->bmd", phi_k, self.v(memory))
        numerator = torch.einsum("bm,bmd->bd", phi_q, kv)
        denominator = torch.einsum("bm,bm->b", phi_q, phi_k.sum(dim=1))[:, None]
        return self.out(numerator / (denominator + 1e-6))


class MeanPool(nn.Module):
    """An MLP on the mean of all tokens (the query is averaged away with the pairs)."""

    def __init__(self, info: TaskInfo, hidden: int = 32) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(info.token_dim, hidden), nn.GELU(), nn.Linear(hidden, info.output_dim)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs ``(B, output_dim)``."""
        return self.mlp(x.mean(dim=1))


# ---------------------------------------------------------------------------- digits


class RecurrentClassifier(nn.Module):
    """An LSTM or GRU over the tokens; a linear head on the last hidden state."""

    def __init__(self, info: TaskInfo, hidden: int, cell: str = "lstm") -> None:
        super().__init__()
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(info.token_dim, hidden, batch_first=True)
        self.head = nn.Linear(hidden, info.output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, output_dim)``."""
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class LinearSSM(nn.Module):
    """A diagonal linear state-space model: ``h_t = a ⊙ h_{t-1} + B x_t``, ``a ∈ (0, 1)``.

    The recurrence is linear (S4D-style, real diagonal, stable by construction); the readout
    of ``h_T`` is a small MLP.

    References:
        Gu et al., "On the Parameterization and Initialization of Diagonal State Space
        Models", arXiv:2206.11893.
    """

    def __init__(self, info: TaskInfo, state: int) -> None:
        super().__init__()
        self.log_decay = nn.Parameter(torch.linspace(-4.0, 1.0, state))  # a = sigmoid(...)
        self.input = nn.Linear(info.token_dim, state)
        self.readout = nn.Sequential(
            nn.LayerNorm(state),
            nn.Linear(state, state),
            nn.GELU(),
            nn.Linear(state, info.output_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, output_dim)``."""
        decay = torch.sigmoid(self.log_decay)
        drive = self.input(x)
        h = torch.zeros_like(drive[:, 0])
        for t in range(drive.shape[1]):
            h = decay * h + drive[:, t]
        return self.readout(h)


class SequenceTransformer(nn.Module):
    """A small Transformer encoder (learned positions, mean pooling) for classification."""

    def __init__(self, info: TaskInfo, d_model: int, heads: int = 2) -> None:
        super().__init__()
        self.embed = nn.Linear(info.token_dim, d_model)
        self.pos = nn.Parameter(0.02 * torch.randn(1, info.seq_len, d_model))
        self.encoder = nn.TransformerEncoderLayer(
            d_model, heads, dim_feedforward=2 * d_model, dropout=0.0, batch_first=True
        )
        self.head = nn.Linear(d_model, info.output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, output_dim)``."""
        h = self.encoder(self.embed(x) + self.pos[:, : x.shape[1]])
        return self.head(h.mean(dim=1))


def _vit_budget(info: TaskInfo) -> int:
    return parameter_count(TinyViT(info))


# ---------------------------------------------------------------------------- series


class PositionalEncoding(nn.Module):
    """Sinusoidal positions (Vaswani et al.), as QASA's models add them."""

    pe: torch.Tensor

    def __init__(self, d_model: int, max_len: int = 512) -> None:
        super().__init__()
        position = torch.arange(max_len, dtype=torch.float32)[:, None]
        div = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div)
        pe[:, 1::2] = torch.cos(position * div)[:, : d_model // 2]
        self.register_buffer("pe", pe[None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` plus the positions of its tokens."""
        return x + self.pe[:, : x.shape[1]]


class BottleneckMixer(nn.Module):
    """QASA's quantum layer with the circuit replaced by a classical bottleneck.

    ``x + W_out(g(LN(tanh(W_in x))))`` where QASA's ``g`` is an 8-input, 9-qubit circuit
    returning 8 expectation values; here ``g = tanh ∘ Linear(9 → 8) ∘ tanh ∘ Linear(8 → 9)``,
    a map of the same widths with outputs in ``[-1, 1]`` like expectation values.
    """

    def __init__(self, d_model: int, inputs: int = 8, width: int = 9) -> None:
        super().__init__()
        self.w_in = nn.Linear(d_model, inputs)
        self.norm = nn.LayerNorm(inputs)
        self.bottleneck = nn.Sequential(
            nn.Linear(inputs, width), nn.Tanh(), nn.Linear(width, inputs), nn.Tanh()
        )
        self.w_out = nn.Linear(inputs, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Token-wise ``(B, T, D) -> (B, T, D)`` with a residual."""
        return x + self.w_out(self.bottleneck(self.norm(torch.tanh(self.w_in(x)))))


class QASAEncoderLayer(nn.Module):
    """QASA's last encoder layer: attention, residual + LN, token-wise mixer, FFN + LN."""

    def __init__(self, d_model: int, heads: int, mixer: nn.Module) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, heads, batch_first=True)
        self.mixer = mixer
        self.ffn = nn.Sequential(
            nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model)
        )
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, D) -> (B, T, D)``."""
        attn, _ = self.attn(x, x, x, need_weights=False)
        x = self.norm1(x + attn)
        mixed = self.mixer(x)
        return self.norm2(mixed + self.ffn(mixed))


class SeriesTransformer(nn.Module):
    """QASA's forecaster: embedding + LN, sinusoidal positions, encoder layers, last token.

    Args:
        info: A forecast task.
        d_model: Width. Defaults to 16 (QASA: 64 or 256).
        heads: Heads. Defaults to 4.
        layers: Encoder layers. Defaults to 4.
        last_layer: Replaces the last standard layer (QASA's quantum layer or a bottleneck).

    References:
        Chen et al., "Quantum Adaptive Self-Attention for Quantum Transformer Models",
        arXiv:2504.05336.
    """

    def __init__(
        self,
        info: TaskInfo,
        d_model: int = 16,
        heads: int = 4,
        layers: int = 4,
        last_layer: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(info.token_dim, d_model), nn.LayerNorm(d_model))
        self.pos = PositionalEncoding(d_model, max_len=info.seq_len + 1)
        standard = layers - (last_layer is not None)
        blocks: list[nn.Module] = [
            nn.TransformerEncoderLayer(
                d_model, heads, dim_feedforward=4 * d_model, dropout=0.0, batch_first=True
            )
            for _ in range(standard)
        ]
        if last_layer is not None:
            blocks.append(last_layer)
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Linear(d_model, info.output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Next values ``(B, output_dim)`` from the last token."""
        h = self.pos(self.embed(x))
        for block in self.blocks:
            h = block(h)
        return self.head(h[:, -1])


# ---------------------------------------------------------------------------- registry


def _needle(build: Callable[[TaskInfo, int], nn.Module], name: str) -> ModelFactory:
    def factory(info: TaskInfo, backend: QNNBackend, seed: int) -> nn.Module:
        _require(info, "needle", name)
        return build(info, seed)

    return factory


def _digits(build: Callable[[TaskInfo, int], nn.Module], name: str) -> ModelFactory:
    def factory(info: TaskInfo, backend: QNNBackend, seed: int) -> nn.Module:
        _require(info, "digits", name)
        return build(info, _vit_budget(info))

    return factory


def _series(build: Callable[[TaskInfo], nn.Module], name: str) -> ModelFactory:
    def factory(info: TaskInfo, backend: QNNBackend, seed: int) -> nn.Module:
        _require(info, "series", name)
        return build(info)

    return factory


def _digits_model(kind: str) -> Callable[[TaskInfo, int], nn.Module]:
    builders: dict[str, Callable[[TaskInfo, int], nn.Module]] = {
        "lstm": lambda info, w: RecurrentClassifier(info, w, "lstm"),
        "gru": lambda info, w: RecurrentClassifier(info, w, "gru"),
        "transformer": lambda info, w: SequenceTransformer(info, 2 * w),
        "ssm": lambda info, w: LinearSSM(info, w),
    }
    build = builders[kind]

    def make(info: TaskInfo, target: int) -> nn.Module:
        # The width search builds throw-away models; restore the RNG so the final weights
        # depend only on the caller's (training) seed.
        state = torch.get_rng_state()
        gaps = []
        for width in range(1, 129):
            gaps.append((abs(parameter_count(build(info, width)) - target), width))
        torch.set_rng_state(state)
        return build(info, min(gaps)[1])

    return make


BASELINES: dict[str, dict[str, ModelFactory]] = {
    "needle": {
        "softmax-attn": _needle(lambda info, seed: QuerySoftmaxAttention(info), "softmax-attn"),
        "linear-attn": _needle(
            lambda info, seed: PerformerAttention(info, seed=seed), "linear-attn"
        ),
        "mean-pool": _needle(lambda info, seed: MeanPool(info), "mean-pool"),
    },
    "digits": {
        "lstm": _digits(_digits_model("lstm"), "lstm"),
        "gru": _digits(_digits_model("gru"), "gru"),
        "transformer": _digits(_digits_model("transformer"), "transformer"),
        "ssm": _digits(_digits_model("ssm"), "ssm"),
        "vit-mha": _digits(lambda info, target: TinyViT(info, pool="mean"), "vit-mha"),
    },
    "series": {
        "transformer": _series(lambda info: SeriesTransformer(info), "transformer"),
        "bottleneck": _series(
            lambda info: SeriesTransformer(
                info, last_layer=QASAEncoderLayer(16, 4, BottleneckMixer(16))
            ),
            "bottleneck",
        ),
    },
}
"""Task family → baseline name → factory."""
