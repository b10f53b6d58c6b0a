"""QAMA attention: multi-head attention read off the ground state of a QUBO.

Follows the authors' ``QAMultiheadAttention`` (github.com/Dxee-e/QAMA,
``QAMA/QAMA/QAMultiheadAttention.py``): LayerNorm and bias-free projections give per-head
``Q, K, V``; :func:`qcompile.models.qama.attention_couplings` turns them into couplings
``J = sym(Q K^T / sqrt(d))`` and fields ``h = mean_d(V * E2V)``; a solver minimises the QUBO
of :func:`qcompile.models.qama.qama_qubo` (one binary variable per head and token); the
output of token ``j`` in head ``a`` is its local energy
``-(x_aj sum_k J[a,j,k] x_ak + h[a,j] x_aj)`` times ``E2V``, heads concatenated. The solver's
bitstring is *detached* (as in the paper): gradients reach the projections and ``E2V``
through ``J`` and ``h`` in the local energy, never through the solver.

The solver is classical here (the paper's annealer or coherent Ising machine is replaced by
exact enumeration for small problems and by the batched simulated annealing of
:func:`qcompile.models.qama.solve_qubo_annealing`, modelled on the repository's ``c_sa``
backend). The QAOA circuit of the same Ising (:func:`qcompile.models.qama.build_qama_qaoa`)
is for hardware studies, not for training.

References:
    P. Du et al., "QAMA: Scalable Quantum Annealing Multi-Head Attention Operator for Deep
    Learning", arXiv:2504.11083 (2025); code: https://github.com/Dxee-e/QAMA.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from hardware_profiles.errors import ResourceError
from qcompile.models.qama import qama_qubo, solve_qubo_annealing, solve_qubo_exact
from runtime.train.qubo_torch import attention_couplings, local_energy

__all__ = ["QAMA_EXACT_SOLVE_MAX", "QAMAAttention", "QamaSolver"]

QamaSolver = Literal["auto", "exact", "annealing"]

QAMA_EXACT_SOLVE_MAX = 12
"""``auto`` enumerates exactly up to this many QUBO variables (``heads * tokens``)."""


class QAMAAttention(nn.Module):
    """QAMA multi-head attention, ``(B, N, d_model) -> (B, N, d_model)``.

    Args:
        d_model: Token width.
        heads: Heads ``H``; must divide ``d_model``.
        solver: ``exact`` (enumerate, ``H N <= 22``), ``annealing`` or ``auto`` (exact up to
            :data:`QAMA_EXACT_SOLVE_MAX` variables). Defaults to ``auto``.
        num_reads: Annealing restarts per problem. Defaults to 8.
        num_sweeps: Annealing sweeps. Defaults to 64.
        seed: Seed of the annealer, reused for every solve, so the module is a deterministic
            function of its input. Defaults to 0.

    Raises:
        ResourceError: If ``heads`` does not divide ``d_model`` or the solver is unknown.
    """

    def __init__(
        self,
        d_model: int,
        heads: int,
        *,
        solver: QamaSolver = "auto",
        num_reads: int = 8,
        num_sweeps: int = 64,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if heads < 1 or d_model % heads:
            raise ResourceError(f"QAMA heads ({heads}) must divide d_model ({d_model})")
        if solver not in ("auto", "exact", "annealing"):
            raise ResourceError(f"unknown QAMA solver {solver!r} (auto, exact, annealing)")
        self.heads, self.head_dim = heads, d_model // heads
        self.solver: QamaSolver = solver
        self.num_reads, self.num_sweeps = num_reads, num_sweeps
        self.norm_q = nn.LayerNorm(d_model)
        self.norm_k = nn.LayerNorm(d_model)
        self.norm_v = nn.LayerNorm(d_model)
        self.wq = nn.Linear(d_model, d_model, bias=False)
        self.wk = nn.Linear(d_model, d_model, bias=False)
        self.wv = nn.Linear(d_model, d_model, bias=False)
        self.e2v = nn.Parameter(torch.randn(self.head_dim))
        self.seed = seed

    def couplings(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(J, h)`` of tokens ``x``: ``(B, H, N, N)`` and ``(B, H, N)``."""
        batch, n, _ = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.reshape(batch, n, self.heads, self.head_dim).transpose(1, 2)

        q = split(self.wq(self.norm_q(x)))
        k = split(self.wk(self.norm_k(x)))
        v = split(self.wv(self.norm_v(x)))
        return attention_couplings(q, k, v, self.e2v)

    def solve(self, j: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """Minimising bitstrings of the QAMA QUBOs, detached: ``(B, H, N)`` in {0, 1}."""
        q = qama_qubo(j.detach().double(), h.detach().double())
        n = q.shape[-1]
        exact = self.solver == "exact" or (self.solver == "auto" and n <= QAMA_EXACT_SOLVE_MAX)
        if exact:
            solution = solve_qubo_exact(q)
        else:
            solution = solve_qubo_annealing(
                q, num_reads=self.num_reads, num_sweeps=self.num_sweeps, seed=self.seed
            )
        x = torch.as_tensor(solution.x, dtype=j.dtype)
        return x.reshape(h.shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Local energies of the solved QUBO times ``E2V``, heads concatenated."""
        batch, n, _ = x.shape
        j, h = self.couplings(x)
        spins = self.solve(j, h)
        energy = local_energy(j, h, spins)  # (B, H, N), differentiable in J and h
        out = energy.unsqueeze(-1) * self.e2v  # (B, H, N, d)
        return out.transpose(1, 2).reshape(batch, n, self.heads * self.head_dim)
