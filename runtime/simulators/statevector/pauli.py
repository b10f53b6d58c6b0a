"""Observables as diagonals plus phased bit flips, for the fused engine.

A Pauli string acts on a basis state as ``P|j> = v_j |j xor x>`` with ``x`` its X/Y mask, so
every observable is a sum over its distinct masks of ``(O psi)_i = v_i psi_{i xor x}``. The
diagonal part (``x = 0``: Z strings) of every observable is one real ``(K, 2**n)`` matrix:
the values are one matrix product of the probabilities, and the adjoint seed
``lambda = sum_k g_k O_k psi`` one product and one elementwise multiply.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from qiskit.quantum_info import SparsePauliOp

from hardware_profiles.errors import CompileError

__all__ = ["PauliObservables"]


class PauliObservables:
    """``K`` observables on ``num_qubits`` qubits.

    Args:
        num_qubits: Register width.
        observables: One SparsePauliOp per output, on the full width.

    Raises:
        CompileError: An observable of the wrong width or not Hermitian.
    """

    def __init__(self, num_qubits: int, observables: Sequence[SparsePauliOp]) -> None:
        self.count = len(observables)
        dim = 1 << num_qubits
        index = np.arange(dim, dtype=np.int64)
        diagonal = np.zeros((self.count, dim))
        self.flips: list[tuple[int, torch.Tensor, torch.Tensor]] = []
        self.support: set[int] = set()
        for k, observable in enumerate(observables):
            if observable.num_qubits != num_qubits:
                raise CompileError(
                    f"observable {k} acts on {observable.num_qubits} qubits, "
                    f"the circuit has {num_qubits}"
                )
            if not observable.equiv(observable.adjoint()):
                raise CompileError(f"observable {k} is not Hermitian")
            groups: dict[int, np.ndarray] = {}
            for pauli, coeff in zip(observable.paulis, observable.coeffs, strict=True):
                x = int(np.dot(pauli.x.astype(np.int64), 1 << np.arange(num_qubits)))
                self.support.update(int(q) for q in np.flatnonzero(pauli.x | pauli.z))
                csr = SparsePauliOp(pauli, [coeff]).to_matrix(sparse=True).tocsr()
                values = np.zeros(dim, dtype=complex)
                rows = np.repeat(index, np.diff(csr.indptr))
                values[rows] = csr.data
                groups[x] = groups.get(x, 0) + values
            for x, values in groups.items():
                if x == 0:
                    diagonal[k] += values.real
                else:
                    self.flips.append(
                        (k, torch.from_numpy(index ^ x), torch.from_numpy(values.copy()))
                    )
        self.diagonal = torch.from_numpy(diagonal)
        self._has_diagonal = bool(np.any(diagonal))

    def values(self, psi: torch.Tensor) -> torch.Tensor:
        """``<psi|O_k|psi>`` for a flat state ``(batch, 2**n)``: ``(batch, K)`` float64."""
        out = (psi.real.square() + psi.imag.square()) @ self.diagonal.T
        for k, index, phase in self.flips:
            flipped = psi.index_select(1, index)
            out[:, k] += (psi.conj() * phase * flipped).real.sum(dim=1)
        return out

    def weighted(self, psi: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        """``sum_k grad[:, k] O_k psi``, flat ``(batch, 2**n)``."""
        grad = grad.to(torch.float64)
        lam = psi * (grad @ self.diagonal) if self._has_diagonal else torch.zeros_like(psi)
        for k, index, phase in self.flips:
            lam += grad[:, k : k + 1] * phase * psi.index_select(1, index)
        return lam
