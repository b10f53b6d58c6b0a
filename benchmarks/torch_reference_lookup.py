"""A short hand-written batched torch statevector of the lookup family (autograd gradients).

The baseline ``train_bench.py`` measures the engine against: only structure any engine can
find. The query and index qubits start as one product state, the whole lookup is one
``einsum`` over the index dimension (each entry's three read rotations as one 8x8 matrix),
every other one-qubit gate pair ``RZ RY`` is one per-qubit ``einsum``, and each CX chain is
one index permutation. Circuit: :func:`benchmarks.train_circuits.lookup_family`.
"""

from __future__ import annotations

import torch

from benchmarks.train_circuits import INDEX, LAYERS, READ, lookup_sizes

C128 = torch.complex128


def ry(a: torch.Tensor) -> torch.Tensor:
    c, s = torch.cos(a / 2), torch.sin(a / 2)
    return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2).to(C128)


def rz(a: torch.Tensor) -> torch.Tensor:
    e = torch.exp(-0.5j * a.to(C128))
    z = torch.zeros_like(e)
    return torch.stack([torch.stack([e, z], -1), torch.stack([z, e.conj()], -1)], -2)


class LookupReference:
    """The family at width ``n``: ``forward(inputs (B, I), weights (W,)) -> (B, 3)``."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.nq = lookup_sizes(n)[0]
        index = torch.arange(1 << n)
        src = index.clone()
        for q in range(n - 1):  # CX(q, q+1) in order: out[i] = psi[src[i]]
            flip = torch.where((index >> q) & 1 == 1, index ^ (1 << (q + 1)), index)
            src = src[flip]
        self.chain = src
        self.z = torch.stack([1.0 - 2 * ((index >> q) & 1) for q in range(n - READ, n)], 1).double()

    def one_qubit(self, psi: torch.Tensor, u: torch.Tensor, q: int) -> torch.Tensor:
        b = psi.shape[0]
        view = psi.view(b, 1 << (self.n - 1 - q), 2, 1 << q)
        return torch.einsum("ij,bhjl->bhil", u, view).reshape(b, -1)

    def forward(self, inputs: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        n, nq, b = self.n, self.nq, inputs.shape[0]
        x = inputs.double()
        psi = torch.ones(b, 1, dtype=C128)
        for q in range(nq):  # little-endian: the new qubit is the most significant
            psi = (ry(x[:, q])[:, :, 0, None] * psi[:, None, :]).reshape(b, -1)
        plus = torch.full((1 << INDEX, 1), 0.25, dtype=C128)  # H^4 |0>
        psi = (plus[None] * psi[:, None, :]).reshape(b, -1)
        psi = torch.cat([psi, psi.new_zeros(b, (1 << n) - psi.shape[1])], 1)
        # Lookup: entry j applies RY on read qubits n-3, n-2, n-1 (one 8x8 per entry).
        rots = ry(x[:, nq:].reshape(b, 1 << INDEX, READ))  # (B, 16, 3, 2, 2)
        r0, r1, r2 = rots.unbind(2)
        u = torch.einsum("bjac,bjde,bjfg->bjadfceg", r2, r1, r0)
        u = u.reshape(b, 1 << INDEX, 8, 8)
        view = psi.view(b, 8, 1 << INDEX, 1 << nq)
        psi = torch.einsum("bjrs,bsjq->brjq", u, view).reshape(b, -1)
        k = 0
        for _ in range(LAYERS):
            for q in range(n):
                psi = self.one_qubit(psi, rz(weights[k + 1]) @ ry(weights[k]), q)
                k += 2
            psi = psi[:, self.chain]
        return (psi.real.square() + psi.imag.square()) @ self.z
