"""The compiled circuit: forward sweep, expectation values and the adjoint backward sweep.

See :mod:`runtime.simulators.statevector` for the method. Sweep buffers of small states are
kept between calls (per thread); kept states and ``lambda`` are written straight into
buffers that :meth:`TorchCircuit.release` hands back from a consumed evaluation.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from qiskit.quantum_info import SparsePauliOp

from runtime.simulators.statevector.chain_rule import nonlinear_chain, slot_gradients
from runtime.simulators.statevector.fusion import Block
from runtime.simulators.statevector.gates import AngleTable, Component
from runtime.simulators.statevector.kernels import Workspace, apply_block, permute_controls
from runtime.simulators.statevector.matrices import block_matrices, component_matrices
from runtime.simulators.statevector.observables import compile_observables
from runtime.simulators.statevector.overlaps import overlaps, overlaps_perm, overlaps_strided
from runtime.simulators.statevector.prepared import BlockSequence, Prepared, split_prefix
from runtime.simulators.statevector.product_state import environments, product_state
from runtime.simulators.statevector.tail import Tail, TailSweep

__all__ = ["Evaluation", "TorchCircuit"]

# The forward sweep keeps the state after each parametrised block for the adjoint sweep
# while they take at most this many bytes; beyond, the adjoint sweep un-computes them.
_KEEP_BYTES = 1 << 29
# Sweep buffers are kept between calls while one state takes at most this many bytes.
_PERSIST_BYTES = 1 << 25


@dataclass(frozen=True)
class Evaluation:
    """A forward sweep of :meth:`TorchCircuit.evaluate`.

    Attributes:
        parameters: ``(batch, num_parameters)`` float64, as evaluated.
        values: expectation values ``(batch, K)``.
        state: the real-split state ``(1, 2, 2**n, batch)`` after the light cone's main
            blocks (before the folded tail, if any).
        lam: ``O_k |psi>``, ``(K, 2, 2**n, batch)``.
        heads: the matrices of the light cone's product-state prefix.
        mats: the matrices of the light cone's other blocks.
        comps: every gate's ``(batch, 2, 2)`` matrix, ``(batch, components, 2, 2)``.
        afters: the state after each parametrised main block, in order (the adjoint
            sweep reads them instead of un-computing the state).
        tail: the folded tail's small matrices, when the circuit has one.
    """

    parameters: torch.Tensor
    values: torch.Tensor
    state: torch.Tensor
    lam: torch.Tensor
    heads: list[torch.Tensor]
    mats: list[torch.Tensor]
    comps: torch.Tensor | None = None
    afters: tuple[torch.Tensor, ...] = ()
    tail: TailSweep | None = None


class TorchCircuit:
    """A circuit compiled to fused torch blocks; see :mod:`runtime.simulators.statevector`.

    Build it with :func:`compile_circuit`. The public methods take parameters as a
    ``(batch, num_parameters)`` float64 tensor in the column order given at compile time.
    """

    def __init__(
        self,
        num_qubits: int,
        num_parameters: int,
        comps: list[Component],
        blocks: list[Block],
        table: AngleTable,
        observables: Sequence[SparsePauliOp],
    ) -> None:
        self.num_qubits = num_qubits
        self.num_parameters = num_parameters
        self.num_outputs = len(observables)
        self._local = threading.local()
        rows = len(table.rows)
        coeffs = np.zeros((rows + len(table.constants), num_parameters))
        offsets = np.zeros(rows + len(table.constants))
        for row, (cols, offset) in enumerate(table.rows):
            for col, value in cols.items():
                coeffs[row, col] = value
            offsets[row] = offset
        offsets[rows:] = table.constants
        self._coeffs = torch.from_numpy(coeffs.T.copy())
        self._offsets = torch.from_numpy(offsets)
        self._nonlinear = table.nonlinear
        self._kinds: dict[str, list[tuple[int, ...]]] = {}
        comp_pos: dict[int, int] = {}
        param_comps = [c for c in comps if c.kind != "fixed"]
        for kind in ("rx", "ry", "rz", "p", "u"):
            for comp in param_comps:
                if comp.kind == kind:
                    comp_pos[id(comp)] = sum(len(v) for v in self._kinds.values())
                    self._kinds.setdefault(kind, []).append(comp.slots)
        self._kind_slots = {
            k: torch.tensor(v, dtype=torch.int64).T.contiguous() for k, v in self._kinds.items()
        }
        fixed = [c for c in comps if c.kind == "fixed"]
        for i, comp in enumerate(fixed):
            comp_pos[id(comp)] = len(param_comps) + i
        self._fixed_comps = (
            torch.from_numpy(np.stack([np.asarray(c.matrix) for c in fixed]))
            if fixed
            else torch.zeros((0, 2, 2), dtype=torch.complex128)
        )
        self._blocks = [Prepared(b, num_qubits, comp_pos) for b in blocks]
        # Checks the observables' widths before anything reads them.
        self._diagonal, self._offdiagonal = compile_observables(num_qubits, observables)
        live: set[int] = set()
        for observable in observables:
            for pauli in observable.paulis:
                live.update(int(q) for q in np.flatnonzero(pauli.x | pauli.z))
        relevant = []
        for block in reversed(self._blocks):
            if block.qubits & live:
                live |= block.qubits
                relevant.append(block)
        relevant.reverse()
        self._tail = Tail.build(relevant, observables, num_qubits, comp_pos)
        if self._tail is not None:
            relevant = relevant[: len(relevant) - len(self._tail.blocks)]
            slots = sorted(
                {
                    sl
                    for b in self._tail.blocks
                    if b.kind == "mat"
                    for c, _ in b.source.parts
                    for sl in c.slots
                }
            )
            columns = (
                {int(c) for c in np.flatnonzero(coeffs[slots].any(axis=0))} if slots else set()
            )
            for slot, _, used in table.nonlinear:
                if slot in slots:
                    columns.update(used)
            self._tail.columns = torch.tensor(sorted(columns), dtype=torch.int64)
        self._light_cone = split_prefix(relevant)
        self._everything = split_prefix(self._blocks)

    def _workspace(self, purpose: str, batch: int) -> Workspace:
        """Buffers for one sweep, kept between calls (per thread) for small states.

        Fresh multi-megabyte tensors cost page faults on every call; big states get fresh
        buffers, freed after the call.
        """
        if (16 * batch << self.num_qubits) > _PERSIST_BYTES:
            return Workspace()
        pools = getattr(self._local, "pools", None)
        if pools is None:
            pools = self._local.pools = {}
        if purpose not in pools:
            pools[purpose] = Workspace()
        work: Workspace = pools[purpose]
        return work

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_local"]  # per-thread buffers: neither picklable nor worth keeping
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    # ----------------------------------------------------------------- angles and matrices

    def angles(self, parameters: torch.Tensor) -> torch.Tensor:
        """Angle table ``(batch, slots)`` for parameters ``(batch, num_parameters)``."""
        table = parameters @ self._coeffs + self._offsets
        if self._nonlinear:
            columns = list(table.unbind(1))
            for slot, func, cols in self._nonlinear:
                value = func(*(parameters[:, c] for c in cols))
                columns[slot] = torch.as_tensor(value, dtype=table.dtype).expand(table.shape[0])
            table = torch.stack(columns, dim=1)
        return table

    # ----------------------------------------------------------------------- simulation

    def _run(
        self, parameters: torch.Tensor, sequence: BlockSequence, keep: bool = False
    ) -> tuple[
        torch.Tensor, list[torch.Tensor], list[torch.Tensor], torch.Tensor, list[torch.Tensor]
    ]:
        """Forward sweep: the state, the prefix's, main blocks' and components' matrices.

        With ``keep``, also the state after each parametrised main block.
        """
        afters: list[torch.Tensor] = []
        with torch.no_grad():
            comps = component_matrices(self.angles(parameters), self._kind_slots, self._fixed_comps)
            heads = [block_matrices(comps, b) for b in sequence.prefix]
            mats = [block_matrices(comps, b) if b.kind == "mat" else comps for b in sequence.main]
            work = self._workspace("forward", parameters.shape[0])
            state = product_state(
                self.num_qubits, parameters.shape[0], sequence.prefix, heads, work
            )
            for block, m in zip(sequence.main, mats, strict=True):
                sliced = block.kind == "mat" and block.mode == "slice"
                if sliced and afters and state is afters[-1]:
                    # A kept state must not be updated in place.
                    state = work.get("state", tuple(state.shape), avoid=state).copy_(state)
                if keep and block.kind == "mat" and block.parametric:
                    if sliced:  # updates in place
                        state = apply_block(state, block, m, False, work)
                        afters.append(self._copy(state))
                    else:
                        state = apply_block(
                            state, block, m, False, work, target=self._buffer(tuple(state.shape))
                        )
                        afters.append(state)
                    continue
                state = apply_block(state, block, m, False, work)
            final = self._copy(state)
        return final, heads, mats, comps, afters

    def _copy(self, state: torch.Tensor) -> torch.Tensor:
        """A copy of ``state``, into a buffer handed back by :meth:`release` if one fits."""
        return self._buffer(tuple(state.shape)).copy_(state)

    def _buffer(self, shape: tuple[int, ...]) -> torch.Tensor:
        """An uninitialised float64 tensor: one handed back by :meth:`release` if one fits."""
        spare = getattr(self._local, "spare", None)
        if spare:
            for i, buffer in enumerate(spare):
                if tuple(buffer.shape) == shape:
                    return spare.pop(i)
        return torch.empty(shape, dtype=torch.float64)

    def release(self, sweep: Evaluation) -> None:
        """Hand a consumed evaluation's state buffers back for reuse by later sweeps.

        ``sweep`` (its ``state``, ``lam`` and ``afters``) must not be used afterwards.
        """
        buffers = [sweep.state, sweep.lam, *sweep.afters]
        if (16 * sweep.parameters.shape[0] << self.num_qubits) > _PERSIST_BYTES:
            return
        spare = getattr(self._local, "spare", None)
        if spare is None:
            spare = self._local.spare = []
        known = {b.data_ptr() for b in spare}
        spare.extend(b for b in buffers if b.data_ptr() not in known)
        del spare[: max(0, len(spare) - 4 * len(buffers))]

    def statevector(self, parameters: torch.Tensor) -> torch.Tensor:
        """Final states, ``(batch, 2**n)`` complex128 in Qiskit's little-endian order.

        Not differentiable; use :meth:`expectation_values` for gradients.
        """
        state, *_ = self._run(parameters.detach().to(torch.float64), self._everything)
        return torch.complex(state[0, 0], state[0, 1]).T.contiguous()

    def expectation_values(self, parameters: torch.Tensor) -> torch.Tensor:
        """``<psi(theta)| O_k |psi(theta)>`` as ``(batch, num_outputs)`` float64.

        Differentiable: autograd's backward uses the adjoint Jacobian.
        """
        if parameters.requires_grad and torch.is_grad_enabled():
            out: torch.Tensor = _AdjointExpectation.apply(parameters, self)
            return out
        return self.values_and_jacobian(parameters, jacobian=False)[0]

    def values_and_jacobian(
        self, parameters: torch.Tensor, jacobian: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Expectation values ``(batch, K)`` and, by the adjoint method, their Jacobian.

        Args:
            parameters: ``(batch, num_parameters)``.
            jacobian: Also compute ``d value[b, k] / d parameters[b, j]``. Defaults to True.

        Returns:
            ``(values, jacobian)``, the Jacobian ``(batch, K, num_parameters)`` or None.
        """
        sweep = self._evaluate(parameters, keep=jacobian)
        return sweep.values, (self.jacobian(sweep) if jacobian else None)

    def evaluate(self, parameters: torch.Tensor) -> Evaluation:
        """The forward sweep: expectation values, with what :meth:`jacobian` needs kept."""
        return self._evaluate(parameters, keep=True)

    def _evaluate(self, parameters: torch.Tensor, keep: bool) -> Evaluation:
        params = parameters.detach().to(torch.float64)
        if keep:
            count = sum(b.kind == "mat" and b.parametric for b in self._light_cone.main)
            state_bytes = 16 * params.shape[0] << self.num_qubits
            keep = count * state_bytes <= _KEEP_BYTES
        state, heads, mats, comps, afters = self._run(params, self._light_cone, keep=keep)
        if self._tail is None:
            lam = self._apply_observables(state[0])
            values = (lam * state).sum(dim=(1, 2)).T.contiguous()
            tail = None
        else:
            with torch.no_grad():
                values, lam, tail = self._tail.forward(self, params, comps, state)
        return Evaluation(params, values, state, lam, heads, mats, comps, tuple(afters), tail)

    def jacobian(self, sweep: Evaluation) -> torch.Tensor:
        """``d value[b, k] / d parameters[b, j]``, ``(batch, K, num_parameters)``.

        The adjoint (backward) sweep from a forward sweep of :meth:`evaluate`.
        """
        return self._adjoint(sweep, self._light_cone)

    def _apply_observables(self, psi: torch.Tensor) -> torch.Tensor:
        """``O_k psi`` for every output, ``(K, 2, 2**n, batch)`` real-split."""
        lam = self._diagonal[:, None, :, None] * psi.unsqueeze(0)
        for k, perm, phase_re, phase_im in self._offdiagonal:
            gathered = psi.index_select(1, perm)
            lam[k, 0] += phase_re[:, None] * gathered[0] - phase_im[:, None] * gathered[1]
            lam[k, 1] += phase_re[:, None] * gathered[1] + phase_im[:, None] * gathered[0]
        return lam

    def _adjoint(self, sweep: Evaluation, sequence: BlockSequence) -> torch.Tensor:
        params = sweep.parameters
        batch = params.shape[0]
        k_out = sweep.lam.shape[0]
        if sweep.comps is None:
            sweep = self.evaluate(params)
        assert sweep.comps is not None
        # The states after each parametrised block, kept by the forward sweep, or (when
        # they were not kept) the final state, un-computed block by block.
        kept = len(sweep.afters) == sum(b.kind == "mat" and b.parametric for b in sequence.main)
        afters = list(sweep.afters)
        # Sliced blocks update in place: never write into the evaluation's own tensors.
        in_place = any(b.kind == "mat" and b.mode == "slice" for b in sequence.main)
        lam = sweep.lam.clone() if in_place else sweep.lam
        psi = sweep.state if kept or not in_place else sweep.state.clone()
        grads: list[tuple[Prepared, torch.Tensor]] = []
        work = self._workspace("adjoint", batch)
        psi_work = self._workspace("adjoint-psi", batch)
        with torch.no_grad():
            for block, m in zip(reversed(sequence.main), reversed(sweep.mats), strict=True):
                psi_p = None
                if block.kind == "mat" and block.parametric:
                    if kept:
                        psi = afters.pop()
                    if block.mode == "strided":
                        g = overlaps_strided(psi, lam, block, work)
                        lam = apply_block(lam, block, m, True, work)
                    elif block.mode == "perm":
                        lam_p = permute_controls(lam, block, work)
                        psi_p = permute_controls(psi, block, psi_work)
                        g = overlaps_perm(psi_p, lam_p, block, work)
                        lam = apply_block(lam, block, m, True, work, permuted=lam_p)
                    else:
                        g = overlaps(psi, lam, block, work)
                        lam = apply_block(lam, block, m, True, work)
                    # E = G @ conj(M): d value = 2 Re sum(E * dM); see the package docstring.
                    grads.append((block, g.permute(4, 0, 1, 2, 3) @ m.conj().unsqueeze(1)))
                else:
                    lam = apply_block(lam, block, m, True, work)
                if not kept:
                    psi = apply_block(psi, block, m, True, psi_work, permuted=psi_p)
            if sweep.tail is not None:
                assert self._tail is not None
                grads += self._tail.gradients(sweep.tail)
            wanted = [i for i, b in enumerate(sequence.prefix) if b.parametric]
            if wanted:
                # The prefix made the product state psi_0 = (x)_q M_q|0>: d value / d M_q[i, 0]
                # is lambda_0 contracted with every other qubit's column (package docstring).
                columns = {
                    b.target: h[:, 0, :, 0].T
                    for b, h in zip(sequence.prefix, sweep.heads, strict=True)
                }
                envs = environments(
                    self.num_qubits,
                    lam,
                    columns,
                    {sequence.prefix[i].target for i in wanted},
                    self._workspace("environments", batch),
                )
                for i in wanted:
                    block = sequence.prefix[i]
                    e = torch.zeros((batch, k_out, 1, 2, 2), dtype=torch.complex128)
                    e[:, :, 0, :, 0] = envs[block.target].conj().permute(2, 0, 1)
                    grads.append((block, e))
            if not grads or self.num_parameters == 0:
                return torch.zeros((batch, k_out, self.num_parameters), dtype=torch.float64)
            slot_grad = slot_gradients(
                self._kind_slots, self.angles(params), sweep.comps, grads, k_out
            )
            jac = slot_grad @ self._coeffs.T
        if self._nonlinear:
            jac = jac + nonlinear_chain(self._nonlinear, self.num_parameters, params, slot_grad)
        return jac


class _AdjointExpectation(torch.autograd.Function):
    """Expectation values whose backward is the adjoint Jacobian contracted with grad."""

    @staticmethod
    def forward(ctx: Any, parameters: torch.Tensor, circuit: TorchCircuit) -> torch.Tensor:
        values, jacobian = circuit.values_and_jacobian(parameters)
        ctx.save_for_backward(jacobian)
        return values.to(parameters.dtype)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:
        (jacobian,) = ctx.saved_tensors
        grad = torch.einsum("bk,bkp->bp", grad_output.to(jacobian.dtype), jacobian)
        return grad.to(grad_output.dtype), None
