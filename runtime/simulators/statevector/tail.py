"""The light cone's last blocks, folded into the observables (``O'_k = T^† O_k T``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from qiskit.quantum_info import Pauli, SparsePauliOp

from runtime.simulators.statevector.fusion import Block
from runtime.simulators.statevector.kernels import Workspace, apply_block
from runtime.simulators.statevector.matrices import block_matrices
from runtime.simulators.statevector.prepared import Prepared

if TYPE_CHECKING:
    from runtime.simulators.statevector.torch_circuit import TorchCircuit

__all__ = ["Tail", "TailSweep"]

# The light cone's last blocks are folded into the observables while, with the observables'
# support, they act on at most this many qubits.
_TAIL_MAX = 4


@dataclass(frozen=True)
class TailSweep:
    """The folded tail in one forward sweep (complex, ``bt`` = 1 or batch).

    ``singles`` each tail block's ``(bt, d, d)`` matrix, ``befores`` the product of the
    blocks before it, ``unitary`` the whole tail ``T`` and ``reduced`` the state's
    ``R[b, i, j] = sum conj(psi_i) psi_j`` over the other qubits, ``(batch, d, d)``.
    """

    singles: list[torch.Tensor]
    befores: list[torch.Tensor]
    unitary: torch.Tensor
    reduced: torch.Tensor


class Tail:
    """The light cone's last blocks, folded into the observables: ``O'_k = T^† O_k T``.

    Used while the tail blocks and the observables act on a few qubits ``S`` only.

    The expectation values are ``sum(R * O')`` with ``R`` the state's ``d x d`` overlaps on
    ``S``, the adjoint sweep starts from ``lambda_k = O'_k psi`` and the tail's own gates
    get ``d value = 2 Re sum((O^T conj(T) R) * dT)``, pushed through the product of the
    tail blocks to each block's per-control-value ``2x2`` matrices.
    """

    def __init__(
        self,
        qubits: list[int],
        blocks: list[Prepared],
        local: list[Prepared],
        observables: torch.Tensor,
        num_qubits: int,
    ) -> None:
        self.qubits = qubits
        self.blocks = blocks
        self.local = local
        self.observables = observables  # (K, d, d) complex
        # Parameter columns the tail's angles read (set by TorchCircuit).
        self.columns = torch.zeros(0, dtype=torch.int64)
        n, s = num_qubits, len(qubits)
        rest = [q for q in range(n - 1, -1, -1) if q not in qubits]
        # Axis a of the (2,)*n view holds qubit n-1-a: S (highest first), then the rest.
        self.dims = [n - 1 - q for q in reversed(qubits)] + [n - 1 - q for q in rest] + [n]
        self.inverse_dims = list(np.argsort(self.dims))
        self.identity_order = self.dims == list(range(n + 1))
        self.equations: list[str | None] = []
        for block in local:
            if block.kind != "mat" or not block.parametric:
                self.equations.append(None)
                continue
            rows, cols = "", ""
            for q in range(s - 1, -1, -1):
                rows += chr(ord("a") + q)
                cols += chr(ord("n") + q) if q == block.target else chr(ord("a") + q)
            ctrl = "".join(chr(ord("a") + q) for q in reversed(block.controls))
            target = chr(ord("a") + block.target) + chr(ord("n") + block.target)
            self.equations.append(f"YZ{rows}{cols}->YZ{ctrl}{target}")

    @classmethod
    def build(
        cls,
        relevant: list[Prepared],
        observables: Sequence[SparsePauliOp],
        num_qubits: int,
        comp_pos: dict[int, int],
    ) -> Tail | None:
        """The last blocks of ``relevant`` folded into ``observables``, or None if none pay."""
        support: set[int] = set()
        for observable in observables:
            for pauli in observable.paulis:
                support.update(int(q) for q in np.flatnonzero(pauli.x | pauli.z))
        if not support or len(support) > _TAIL_MAX or num_qubits - len(support) < 2:
            return None
        count = 0
        for block in reversed(relevant):
            grown = support | block.qubits
            # Folding pays while the other qubits hold most of the state.
            if len(grown) > _TAIL_MAX or num_qubits - len(grown) < 2:
                break
            support |= block.qubits
            count += 1
        if count == 0:
            return None
        blocks = relevant[len(relevant) - count :]
        qubits = sorted(support)
        where = {q: j for j, q in enumerate(qubits)}
        s = len(qubits)
        local = []
        for block in blocks:
            source = block.source
            if source.kind == "perm":
                assert source.index is not None
                y = np.arange(1 << s)
                x = sum(((y >> j) & 1) << q for j, q in enumerate(qubits))
                image = source.index[x]
                index = sum(((image >> q) & 1) << j for j, q in enumerate(qubits))
                mapped = Block("perm", {where[q] for q in source.qubits}, index=index)
            else:
                mapped = Block(
                    "mat",
                    {where[q] for q in source.qubits},
                    where[source.target],
                    tuple(where[q] for q in source.controls),
                    list(source.parts),
                )
            local.append(Prepared(mapped, s, comp_pos))
        matrices = np.zeros((len(observables), 1 << s, 1 << s), dtype=complex)
        for k, observable in enumerate(observables):
            for pauli, coeff in zip(observable.paulis, observable.coeffs, strict=True):
                label = pauli.to_label()
                body = label.lstrip("-i")
                phase = label[: len(label) - len(body)]
                sub = "".join(body[num_qubits - 1 - q] for q in reversed(qubits))
                matrices[k] += complex(coeff) * Pauli(phase + sub).to_matrix()
        # The outputs are Re <psi|O|psi>: the Hermitian part of O.
        matrices = 0.5 * (matrices + matrices.conj().transpose(0, 2, 1))
        return cls(qubits, blocks, local, torch.from_numpy(matrices), num_qubits)

    def forward(
        self, circuit: TorchCircuit, params: torch.Tensor, comps: torch.Tensor, state: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, TailSweep]:
        """Values ``(batch, K)``, ``lambda`` ``(K, 2, 2**n, batch)`` and the tail sweep.

        When the parameters the tail reads are equal on every row (trained weights), the
        tail's matrices are built once, not per sample.
        """
        d = 1 << len(self.qubits)
        cols = self.columns
        if not len(cols) or bool((params[:, cols] == params[:1, cols]).all()):
            comps = comps[:1]
        mats = [block_matrices(comps, b) if b.kind == "mat" else comps for b in self.local]
        bt = max(
            (m.shape[0] for b, m in zip(self.local, mats, strict=True) if b.kind == "mat"),
            default=1,
        )
        columns = torch.arange(d)
        work = Workspace()
        singles = []
        for block, m in zip(self.local, mats, strict=True):
            eye = torch.zeros((d, 2, d, bt), dtype=torch.float64)
            eye[columns, 0, columns] = 1.0
            out = apply_block(eye, block, m, False, work)
            # out[col, re/im, row, b] -> L[b, row, col]
            singles.append(torch.complex(out[:, 0], out[:, 1]).permute(2, 1, 0).contiguous())
        total = torch.eye(d, dtype=torch.complex128).unsqueeze(0)
        befores = []
        for single in singles:
            befores.append(total)
            total = _cmatmul(single, total)
        n, batch = len(self.dims) - 1, state.shape[-1]
        front = state[0]  # (2, 2**n, batch) with S leading: (2, d, rest, batch)
        if not self.identity_order:
            front = front.view((2,) + (2,) * n + (batch,)).permute(0, *(1 + a for a in self.dims))
        front = front.reshape(2 * d, -1, batch)
        # R[b, i, j] = sum conj(psi_i) psi_j from one Gram matrix of [re; im] per sample.
        work = circuit._workspace("tail", batch)
        rows = work.get("rows", (batch, 2 * d, front.shape[1]))
        rows.copy_(front.permute(2, 0, 1))
        gram = rows @ rows.transpose(1, 2)
        reduced = torch.complex(
            gram[:, :d, :d] + gram[:, d:, d:], gram[:, :d, d:] - gram[:, d:, :d]
        )
        folded = _cmatmul(
            _cmatmul(total.conj().transpose(-1, -2).unsqueeze(1), self.observables),
            total.unsqueeze(1),
        )
        values = (reduced.unsqueeze(1) * folded).sum(dim=(-1, -2)).real
        k_out = folded.shape[1]
        if bt == 1:
            # [re; im] of O' psi as one real matrix product on the leading qubits.
            o_re, o_im = folded[0].real, folded[0].imag
            w = torch.stack([torch.cat([o_re, -o_im], 2), torch.cat([o_im, o_re], 2)], 1)
            product = circuit._buffer((k_out, 2, 1 << n, batch)) if self.identity_order else None
            flat = (k_out * 2 * d, front.shape[1] * batch)
            lam = torch.matmul(
                w.reshape(k_out * 2 * d, 2 * d),
                front.reshape(2 * d, -1),
                out=None if product is None else product.view(flat),
            ).view(k_out, 2, d, -1, batch)
        else:
            o_re, o_im = folded.real, folded.imag
            re, im = front[:d], front[d:]
            lam = torch.stack(
                [
                    torch.einsum("bkij,jrb->kirb", o_re, re)
                    - torch.einsum("bkij,jrb->kirb", o_im, im),
                    torch.einsum("bkij,jrb->kirb", o_re, im)
                    + torch.einsum("bkij,jrb->kirb", o_im, re),
                ],
                dim=1,
            )
        if not self.identity_order:
            lam = lam.reshape((k_out, 2) + (2,) * n + (batch,)).permute(
                0, 1, *(2 + a for a in self.inverse_dims)
            )
        lam = lam.reshape(k_out, 2, 1 << n, batch).contiguous()
        return values.contiguous(), lam, TailSweep(singles, befores, total, reduced)

    def gradients(self, sweep: TailSweep) -> list[tuple[Prepared, torch.Tensor]]:
        """``(local block, E)`` with ``d value = 2 Re sum(E * dM)`` per control value."""
        t = sweep.unitary  # (bt, d, d)
        x = _cmatmul(
            self.observables.transpose(-1, -2).unsqueeze(0),
            _cmatmul(t.conj().unsqueeze(1), sweep.reduced.unsqueeze(1)),
        )  # (batch, K, d, d)
        batch, k_out = x.shape[0], x.shape[1]
        s = len(self.qubits)
        grads = []
        for p in range(len(self.local) - 1, -1, -1):
            block, equation = self.local[p], self.equations[p]
            if equation is not None:
                f = _cmatmul(x, sweep.befores[p].transpose(-1, -2).unsqueeze(1))
                e = torch.einsum(equation, f.reshape((batch, k_out) + (2,) * (2 * s)))
                e = e.reshape(batch, k_out, block.num_values, 2, 2)[:, :, block.active]
                grads.append((block, e))
            x = _cmatmul(sweep.singles[p].transpose(-1, -2).unsqueeze(1), x)
        return grads


def _cmatmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` for small (tail-sized) batched matrices.

    Torch's batched matmul of ``8x8`` and larger matrices can stall for milliseconds on a
    busy machine when it runs on several threads, and a broadcast product materialises a
    ``d`` times larger temporary: when one operand is shared by the whole batch the product
    is one plain matrix product, else a sum over the contracted index.
    """
    lead_a, lead_b = tuple(a.shape[:-2]), tuple(b.shape[:-2])
    width = max(len(lead_a), len(lead_b))
    lead_a = (1,) * (width - len(lead_a)) + lead_a
    lead_b = (1,) * (width - len(lead_b)) + lead_b
    shape = tuple(max(x, y) for x, y in zip(lead_a, lead_b, strict=True))
    n, k, m = a.shape[-2], a.shape[-1], b.shape[-1]
    if all(size == 1 for size in b.shape[:-2]):
        rows = a.expand(*shape, n, k).reshape(-1, k)
        return (rows @ b.reshape(k, m)).view(*shape, n, m)
    if all(size == 1 for size in a.shape[:-2]):
        cols = b.expand(*shape, k, m).transpose(-1, -2).reshape(-1, k)
        return (cols @ a.reshape(n, k).T).view(*shape, m, n).transpose(-1, -2)
    out = a[..., :, :1] * b[..., :1, :]
    for j in range(1, k):
        out = out + a[..., :, j : j + 1] * b[..., j : j + 1, :]
    return out
