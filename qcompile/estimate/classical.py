"""The cost of classical softmax attention, for comparison with the quantum models.

Counting model (one head, one forward pass, sequence length ``N``, head dimension ``d``;
a multiply-add counts as 2 FLOPs, every other arithmetic operation, ``exp`` and comparison
as 1):

* scores ``S = Q K^T``: ``N^2 d`` multiplies and ``N^2 (d - 1)`` adds;
* scaling by ``1/sqrt(d)``: ``N^2``;
* row-wise softmax: max ``N (N - 1)``, subtract ``N^2``, exp ``N^2``, sum ``N (N - 1)``,
  divide ``N^2``;
* output ``P V``: ``N^2 d`` multiplies and ``N (N - 1) d`` adds.

Total: ``4 N^2 d + 5 N^2 - 2 N - N d`` FLOPs. Memory (words, standard attention that
materialises the score matrix): ``N^2`` scores + ``4 N d`` for ``Q, K, V`` and the output.
FlashAttention-style tiling removes the ``N^2`` term but not the FLOPs.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_HEAD_DIM", "ClassicalAttentionCost", "classical_attention_cost"]

DEFAULT_HEAD_DIM = 64
"""Head dimension ``d`` used unless stated otherwise."""


@dataclass(frozen=True)
class ClassicalAttentionCost:
    """FLOPs and memory of one softmax-attention head.

    Attributes:
        seq_len: Sequence length ``N``.
        head_dim: Head dimension ``d``.
        flops: Floating-point operations (module docstring).
        memory_words: Words held at once: ``N^2 + 4 N d``.
    """

    seq_len: int
    head_dim: int
    flops: int
    memory_words: int


def classical_attention_cost(
    seq_len: int, head_dim: int = DEFAULT_HEAD_DIM
) -> ClassicalAttentionCost:
    """FLOPs and memory of softmax attention over ``seq_len`` tokens, one head.

    Args:
        seq_len: ``N`` >= 1.
        head_dim: ``d`` >= 1. Defaults to 64.

    Returns:
        The cost.

    Raises:
        ValueError: If a size is below 1.
    """
    if seq_len < 1 or head_dim < 1:
        raise ValueError(f"N and d must be >= 1, got N={seq_len}, d={head_dim}")
    n, d = seq_len, head_dim
    flops = 4 * n * n * d + 5 * n * n - 2 * n - n * d
    return ClassicalAttentionCost(n, d, flops, n * n + 4 * n * d)
