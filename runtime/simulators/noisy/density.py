"""Exact noisy expectation values: a batched torch density matrix, gradients by autograd.

The density matrix of ``n`` qubits is held as a register of ``2n`` *virtual* qubits: column
bit ``q`` is virtual qubit ``q`` and row bit ``q`` is virtual qubit ``n + q`` (flat index
``row * 2**n + col``). A gate ``U`` followed by its error ``{K_k}`` is then one
superoperator ``sum_k (K_k U) ⊗ conj(K_k U)`` on the virtual qubits of its qubits' rows
and columns, applied with :func:`~runtime.simulators.noisy.kernels.apply_matrix`;
parametrised diagonal gates (``rz``) are elementwise phases. Memory is ``16 * 4**n`` bytes
per parameter set, so this mode is for ``n <= 10`` active qubits. Gradients with respect
to the occurrence angles come from autograd, with activation checkpointing over segments
of about ``sqrt(ops)`` instructions so that memory stays a few density matrices per set.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import torch
from torch.utils.checkpoint import checkpoint

from hardware_profiles.errors import JobError
from runtime.simulators.noisy.kernels import apply_diagonal, apply_matrix
from runtime.simulators.noisy.program import NoisyOp, NoisyProgram

__all__ = ["MAX_DENSITY_QUBITS", "DensityEngine"]

MAX_DENSITY_QUBITS = 10


def _superop(operators: np.ndarray) -> np.ndarray:
    """``sum_k A_k ⊗ conj(A_k)`` (row index high, column index low)."""
    return np.einsum("kab,kcd->acbd", operators, operators.conj()).reshape(
        operators.shape[1] ** 2, operators.shape[1] ** 2
    )


class DensityEngine:
    """Exact expectation values of a :class:`NoisyProgram` for batches of angle sets.

    Args:
        program: The lowered circuit, noise and observables.
        dtype: ``torch.complex128`` (default) or ``torch.complex64``.

    Raises:
        JobError: More than :data:`MAX_DENSITY_QUBITS` qubits.
    """

    def __init__(self, program: NoisyProgram, dtype: torch.dtype = torch.complex128) -> None:
        n = program.num_qubits
        if n > MAX_DENSITY_QUBITS:
            raise JobError(
                f"density-matrix mode holds 4^n amplitudes per set; {n} active qubits is "
                f"over {MAX_DENSITY_QUBITS} (use trajectories)"
            )
        self.program = program
        self.dtype = dtype
        self._steps: list[tuple[str, tuple[int, ...], object]] = []
        for op in program.ops:
            self._steps.extend(self._lower(op, n))
        dim = 2**n
        flips, diagonals = [], []
        for terms in program.observables:
            index = np.arange(dim)
            flips.append(
                torch.as_tensor(
                    np.stack([index * dim + (index ^ m) for m in terms.masks]), dtype=torch.long
                )
            )
            diagonals.append(torch.as_tensor(terms.diagonals, dtype=dtype))
        self._flips, self._diagonals = flips, diagonals

    def _lower(self, op: NoisyOp, n: int) -> list[tuple[str, tuple[int, ...], object]]:
        virtual = tuple(op.qubits) + tuple(n + q for q in op.qubits)
        steps: list[tuple[str, tuple[int, ...], object]] = []
        if op.matrix is not None:
            operators = op.matrix[None] if op.channel is None else op.channel.operators @ op.matrix
            steps.append(("fixed", virtual, torch.as_tensor(_superop(operators), dtype=self.dtype)))
            return steps
        assert op.generator is not None and op.occurrence is not None
        if op.diagonal:
            steps.append(("phase", virtual, (op.occurrence, np.diag(op.generator).real)))
        else:
            steps.append(("rotation", virtual, (op.occurrence, op.generator)))
        if op.channel is not None:
            superop = torch.as_tensor(_superop(op.channel.operators), dtype=self.dtype)
            steps.append(("fixed", virtual, superop))
        return steps

    def _run(self, rho: torch.Tensor, angles: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        n2 = 2 * self.program.num_qubits
        for kind, virtual, data in self._steps[start:stop]:
            if kind == "fixed":
                assert isinstance(data, torch.Tensor)
                rho = apply_matrix(rho, data, virtual, n2, lead=1)
                continue
            occurrence, generator = cast(tuple[int, np.ndarray], data)
            half = angles[:, occurrence] / 2
            cos, sin = torch.cos(half).to(self.dtype), torch.sin(half).to(self.dtype)
            if kind == "phase":
                g = torch.as_tensor(np.array(generator), dtype=self.dtype)
                diag = cos[:, None] - 1j * sin[:, None] * g  # (B, d) gate diagonal
                both = (diag[:, :, None] * diag.conj()[:, None, :]).reshape(len(diag), -1)
                rho = apply_diagonal(rho, both, virtual, n2, lead=1)
            else:
                g = torch.as_tensor(np.array(generator), dtype=self.dtype)
                eye = torch.eye(len(g), dtype=self.dtype)
                u = cos[:, None, None] * eye - 1j * sin[:, None, None] * g
                superop = torch.einsum("bij,bkl->bikjl", u, u.conj()).reshape(
                    len(u), len(g) ** 2, len(g) ** 2
                )
                rho = apply_matrix(rho, superop, virtual, n2, lead=1)
        return rho

    def expectations(self, angles: torch.Tensor) -> torch.Tensor:
        """Noisy expectation values ``(B, outputs)`` for occurrence angles ``(B, occ)``.

        Differentiable in ``angles`` (autograd; checkpointed when gradients are needed).
        """
        batch = angles.shape[0]
        dim = 2**self.program.num_qubits
        rho = torch.zeros((batch, dim * dim), dtype=self.dtype)
        rho[:, 0] = 1.0
        steps = len(self._steps)
        segment = max(1, math.isqrt(steps)) if angles.requires_grad else max(steps, 1)
        for start in range(0, steps, segment):
            stop = min(start + segment, steps)
            if angles.requires_grad:
                rho = checkpoint(self._run, rho, angles, start, stop, use_reentrant=False)
            else:
                rho = self._run(rho, angles, start, stop)
        outputs = []
        for flips, diagonals in zip(self._flips, self._diagonals, strict=True):
            value = torch.zeros(batch, dtype=angles.dtype)
            for g in range(flips.shape[0]):
                value = value + (rho.index_select(1, flips[g]) * diagonals[g]).sum(1).real
            outputs.append(value)
        return torch.stack(outputs, dim=1)
