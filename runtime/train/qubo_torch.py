"""The differentiable half of QAMA: couplings and local energies in torch, for training.

:mod:`qcompile.models.qama` defines the QAMA energy in numpy (couplings, QUBO, Ising, solvers,
the QAOA circuit) so that the compiler never imports torch. Training needs gradients through
two of its steps, the couplings ``J, h`` (from the learned projections and ``E2V``) and the
local energy of a solved bitstring; they are here, and the tests check them against the numpy
definitions. The solver's bitstring is detached, as in the paper.

References:
    P. Du et al., "QAMA: Scalable Quantum Annealing Multi-Head Attention Operator for Deep
    Learning", arXiv:2504.11083 (2025); code: https://github.com/Dxee-e/QAMA,
    ``QAMA/QAMA/QAMultiheadAttention.py``.
"""

from __future__ import annotations

import math

import torch

from hardware_profiles.errors import ResourceError

__all__ = ["attention_couplings", "local_energy"]


def attention_couplings(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, e2v: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Couplings ``J`` and fields ``h`` of QAMA, differentiable in every argument.

    The torch twin of :func:`qcompile.models.qama.attention_couplings`.

    Args:
        q: Queries, shape ``batch + (H, N, d)``.
        k: Keys, same shape as ``q``.
        v: Values, same shape as ``q``.
        e2v: The learned ``E2V`` vector, shape ``(d,)``.

    Returns:
        ``(J, h)``: ``J = sym(q k^T / sqrt(d))`` with zero diagonal, shape
        ``batch + (H, N, N)``; ``h = mean_d(v * e2v)``, shape ``batch + (H, N)``.

    Raises:
        ResourceError: If ``q``, ``k`` and ``v`` differ in shape or have fewer than 3 dims.
    """
    if q.shape != k.shape or q.shape != v.shape or q.dim() < 3:
        raise ResourceError(
            f"q, k, v must share a shape (..., H, N, d); got {tuple(q.shape)}, "
            f"{tuple(k.shape)}, {tuple(v.shape)}"
        )
    n, d = q.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-1, -2) / math.sqrt(d)
    off_diagonal = 1.0 - torch.eye(n, dtype=scores.dtype, device=scores.device)
    j = (scores + scores.transpose(-1, -2)) / 2.0 * off_diagonal
    h = (v * e2v).mean(dim=-1)
    return j, h


def local_energy(j: torch.Tensor, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Per-token local energy of a solution (``calculate_energy`` of the repository).

    Args:
        j: Couplings, shape ``batch + (H, N, N)``.
        h: Fields, shape ``batch + (H, N)``.
        x: Solution, shape ``batch + (H, N)``; treated as a constant (detached).

    Returns:
        ``-(x_aj * sum_k J[a,j,k] x_ak + h[a,j] x_aj)``, shape ``batch + (H, N)``,
        differentiable in ``j`` and ``h``.
    """
    xd = x.detach().to(j.dtype)
    return -(xd * (j @ xd.unsqueeze(-1)).squeeze(-1) + h * xd)
