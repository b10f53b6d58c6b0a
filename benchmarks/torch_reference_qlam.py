"""A short hand-written batched torch statevector of QLAM (autograd gradients).

The baseline ``train_bench.py`` measures the engine against on QLAM: the shared entangler
(``RY RZ`` on every memory qubit, then the CX chain) is one dense ``2**m``-square matrix built
once per step, so a token costs its uploads (one per-qubit ``einsum`` each) and one matmul;
the readout is per-qubit ``einsum``. Circuit: :func:`benchmarks.train_circuits.qlam_model`.
"""

from __future__ import annotations

import torch

from benchmarks.torch_reference_lookup import C128, ry, rz
from benchmarks.train_circuits import qlam_model


class QLAMReference:
    """QLAM over ``tokens`` tokens: ``forward(inputs (B, T*F + m), weights (4m,)) -> (B, m)``."""

    def __init__(self, tokens: int) -> None:
        meta = qlam_model(tokens).metadata
        self.t, self.f, self.m = tokens, meta["features_per_token"], meta["memory_qubits"]
        index = torch.arange(1 << self.m)
        src = index.clone()
        for q in range(self.m - 1):
            flip = torch.where((index >> q) & 1 == 1, index ^ (1 << (q + 1)), index)
            src = src[flip]
        self.chain = src
        self.z = torch.stack([1.0 - 2 * ((index >> q) & 1) for q in range(self.m)], 1).double()

    def one_qubit(self, psi: torch.Tensor, u: torch.Tensor, q: int) -> torch.Tensor:
        b = psi.shape[0]
        view = psi.view(b, 1 << (self.m - 1 - q), 2, 1 << q)
        eq = "bij,bhjl->bhil" if u.dim() == 3 else "ij,bhjl->bhil"
        return torch.einsum(eq, u, view).reshape(b, -1)

    def forward(self, inputs: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        m, f, b = self.m, self.f, inputs.shape[0]
        x = inputs.double()
        layer = torch.ones(1, 1, dtype=C128)
        for q in reversed(range(m)):  # kron, most significant qubit first
            layer = torch.kron(layer, rz(weights[2 * q + 1]) @ ry(weights[2 * q]))
        entangler = layer[self.chain]  # CX chain after the layer: permute the rows
        uploads = rz(x[:, : self.t * f]) @ ry(x[:, : self.t * f])  # (B, T*F, 2, 2)
        psi = torch.zeros(b, 1 << m, dtype=C128)
        psi[:, 0] = 1
        for t in range(self.t):
            for j in range(f):
                psi = self.one_qubit(psi, uploads[:, t * f + j], j % m)
            psi = psi @ entangler.T
        for q in range(m):
            u = (
                ry(weights[2 * m + 2 * q + 1])
                @ rz(weights[2 * m + 2 * q])
                @ ry(x[:, self.t * f + q])
            )
            psi = self.one_qubit(psi, u, q)
        return (psi.real.square() + psi.imag.square()) @ self.z
