"""Observables as a diagonal plus signed basis permutations on the full state."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from qiskit.quantum_info import SparsePauliOp

from hardware_profiles.errors import CompileError

__all__ = ["compile_observables"]


def compile_observables(
    num_qubits: int, observables: Sequence[SparsePauliOp]
) -> tuple[torch.Tensor, list[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]]]:
    """The observables as a diagonal ``(K, 2**n)`` and off-diagonal Pauli terms.

    Each off-diagonal term is ``(output, permutation, phase real, phase imaginary)``:
    ``(c P psi)[i] = phase[i] * psi[permutation[i]]``, the coefficient ``c`` included.

    Raises:
        CompileError: An observable's width is not the circuit's.
    """
    dim = 1 << num_qubits
    basis = np.arange(dim)
    diagonal = np.zeros((len(observables), dim))
    offdiagonal: list[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]] = []
    for k, observable in enumerate(observables):
        if observable.num_qubits != num_qubits:
            raise CompileError(
                f"observable {k} acts on {observable.num_qubits} qubits, "
                f"the circuit has {num_qubits}"
            )
        for pauli, coeff in zip(observable.paulis, observable.coeffs, strict=True):
            zmask = int(np.dot(pauli.z, 1 << np.arange(num_qubits)))
            xmask = int(np.dot(pauli.x, 1 << np.arange(num_qubits)))
            if xmask == 0:
                parity = np.array([bin(i & zmask).count("1") & 1 for i in basis])
                sign = (-1.0) ** parity * (1j) ** (-pauli.phase)
                diagonal[k] += (complex(coeff) * sign).real
                continue
            matrix = pauli.to_matrix(sparse=True).tocsr()
            perm = torch.from_numpy(matrix.indices.astype(np.int64))
            phase = np.asarray(matrix.data, dtype=np.complex128) * float(complex(coeff).real)
            offdiagonal.append(
                (
                    k,
                    perm,
                    torch.from_numpy(phase.real.copy()),
                    torch.from_numpy(phase.imag.copy()),
                )
            )
    return torch.from_numpy(diagonal), offdiagonal
