"""Shared classical backbones: a tiny ViT whose attention is pluggable.

QAMA's variant (:mod:`runtime.train.hybrid`) and the standard multi-head baseline
(:mod:`runtime.train.baselines`) both use :class:`TinyViT`, so the two differ only in the
attention module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch import nn

from runtime.train.spec import TaskInfo

__all__ = ["AttentionFactory", "StandardAttention", "TinyViT", "ViTBlock"]

AttentionFactory = Callable[[int, int], nn.Module]
"""``attention_factory(d_model, heads) -> module`` mapping ``(B, T, d_model)`` to itself."""


class StandardAttention(nn.Module):
    """Standard multi-head self-attention (scaled dot-product softmax), ``(B, T, D) -> (B, T, D)``.

    Args:
        d_model: Width of each token.
        heads: Number of heads; must divide ``d_model``.
    """

    def __init__(self, d_model: int, heads: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, heads, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Self-attention of ``x`` over its tokens."""
        out, _ = self.attn(x, x, x, need_weights=False)
        return out


class ViTBlock(nn.Module):
    """A pre-norm transformer block: ``x + attn(LN(x))`` then ``x + MLP(LN(x))``.

    Args:
        d_model: Width of each token.
        heads: Number of attention heads.
        attention: The attention module (``(B, T, D) -> (B, T, D)``).
        mlp_ratio: Hidden width of the MLP as a multiple of ``d_model``. Defaults to 2.
    """

    def __init__(self, d_model: int, heads: int, attention: nn.Module, mlp_ratio: int = 2) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attn = attention
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, mlp_ratio * d_model),
            nn.GELU(),
            nn.Linear(mlp_ratio * d_model, d_model),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """One block over ``x`` of shape ``(B, T, D)``."""
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    """A tiny vision transformer over a task's tokens (the tokens are the patches).

    Tokens ``(B, T, d)`` are embedded linearly to ``d_model``, a learned class token and
    learned positional embeddings are added, ``depth`` pre-norm blocks run with the
    attention from ``attention_factory``, and a linear head maps the class token to
    ``info.output_dim``.

    Args:
        info: The task (sequence length, token width, outputs).
        d_model: Embedding width. Defaults to 16.
        heads: Attention heads. Defaults to 2.
        depth: Number of blocks. Defaults to 1.
        attention_factory: ``(d_model, heads) -> module``. Defaults to
            :class:`StandardAttention`.
        pool: What the head reads: ``cls`` (the class token) or ``mean`` (the mean of the
            patch tokens, as the QAMA authors' SimpleViT). Defaults to ``cls``.

    References:
        Dosovitskiy et al., "An Image is Worth 16x16 Words", arXiv:2010.11929.
    """

    def __init__(
        self,
        info: TaskInfo,
        d_model: int = 16,
        heads: int = 2,
        depth: int = 1,
        attention_factory: AttentionFactory = StandardAttention,
        pool: Literal["cls", "mean"] = "cls",
    ) -> None:
        super().__init__()
        if d_model < 1 or heads < 1 or depth < 1:
            raise ValueError("d_model, heads and depth must be positive")
        if pool not in ("cls", "mean"):
            raise ValueError(f"pool must be 'cls' or 'mean', got {pool!r}")
        self.pool = pool
        self.info = info
        self.embed = nn.Linear(info.token_dim, d_model)
        self.cls = nn.Parameter(torch.zeros(1, 1, d_model))
        self.pos = nn.Parameter(0.02 * torch.randn(1, info.seq_len + 1, d_model))
        self.blocks = nn.ModuleList(
            ViTBlock(d_model, heads, attention_factory(d_model, heads)) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, info.output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, output_dim)`` for tokens ``x`` of shape ``(B, T, d)``."""
        tokens = self.embed(x)
        cls = self.cls.expand(tokens.shape[0], -1, -1)
        h = torch.cat([cls, tokens], dim=1) + self.pos[:, : tokens.shape[1] + 1]
        for block in self.blocks:
            h = block(h)
        pooled = h[:, 0] if self.pool == "cls" else h[:, 1:].mean(dim=1)
        return self.head(self.norm(pooled))
