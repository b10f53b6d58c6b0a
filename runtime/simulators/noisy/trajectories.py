"""Unbiased noisy expectation values from batched Monte-Carlo trajectories in torch.

Every parameter set gets ``T`` statevector trajectories, all in one ``(B, T, 2**n)`` tensor.
After each gate with an error ``{K_k}`` (Kraus operators built term by term from Aer's
error, weights ``q_k = Tr(K_k^† K_k) / d``, see :mod:`runtime.simulators.noisy.program`) a
trajectory
draws ``k`` with probability ``q_k`` and applies ``K_k / sqrt(q_k)``; the state is not
renormalised. Then ``E[|psi><psi|] = sum_k q_k (K_k/sqrt(q_k)) rho (K_k/sqrt(q_k))^† =
sum_k K_k rho K_k^†`` at every step, so the mean of ``<psi|O|psi>`` over trajectories is an
unbiased estimate of ``Tr(O E(rho))`` for any channel, Pauli or not (thermal relaxation,
amplitude damping). Why fixed ``q_k`` rather than the Born-rule ``||K_k psi||^2`` of
quantum-jump unravellings: the Born probabilities depend on the state, hence on the
parameters, and differentiating through a sample drawn from parameter-dependent
probabilities misses the score-function term, so the gradient would be biased. With fixed
``q_k`` the draws are independent of the parameters, the estimate is a fixed linear
combination of differentiable trajectories, and its gradient (autograd through every
trajectory) is an unbiased estimate of the exact gradient. For Pauli and other unitary
error terms (depolarizing, the ``z`` of dephasing) ``K_k / sqrt(q_k)`` is unitary, so those
trajectories keep norm 1; only reset terms of relaxation (``|0><0|``, ``|0><1|``, each
drawn with half the term's probability, times ``sqrt 2``) change norms.

Cost: noiseless one-qubit gates are folded into the next gate on their qubit; then
consecutive steps (gate + draw) are fused, greedily in circuit order, into dense blocks on
at most ``block_qubits`` qubits (qsim-style; at most 48 steps each; by default the width in
2..5 with the least estimated cost). Every
trajectory gets the block's no-draw product ``prod K_0 U / sqrt(q_0)`` (one batched GEMM on
the ``(B T, 2**n)`` tensor); the few trajectories that drew another ``k`` somewhere in the
block get their own product (tiny ``d x d`` matrices) applied to their gathered states.
The state is not permuted back between blocks: each block moves its qubits to the first axes
from wherever the previous one left them (one copy and one GEMM per block).
The products are exact, so fused and unfused runs agree to rounding for the same draws.
Draws are made up front from a seeded ``torch.Generator``, so a checkpointed backward
recomputes the same trajectories; results are reproducible for a seed, batch and ``T``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.checkpoint import checkpoint

from runtime.simulators.noisy.kernels import (
    apply_diagonal,
    apply_matrix,
    expectation_terms,
)
from runtime.simulators.noisy.program import NoisyOp, NoisyProgram

__all__ = ["CHUNK_BYTES", "DEFAULT_BLOCK_QUBITS", "TrajectoryEngine"]

CHUNK_BYTES = 1 << 24
"""Largest trajectory state (bytes) swept at once. Bigger tensors than glibc's largest
dynamic mmap threshold (32 MiB) are mapped and page-faulted afresh at every allocation:
measured, one epoch of QASA on series-arma under heron_r2's noise (13 active qubits, batch
32 x 16 trajectories, 32 MiB states) spent 195 s in the kernel beside 150 s of user time."""

DEFAULT_BLOCK_QUBITS: int | None = None
"""Steps are fused into dense blocks on at most this many qubits (0: no fusion); None
chooses the width in 2..5 with the least estimated sweep cost (:func:`_sweep_cost`).

Measured (one thread, batch 32 x 16 trajectories, complex64, forward + backward, CPU
seconds per batch): the 11-qubit benchmark circuit compiled for heron_r2 runs fastest with
3-qubit blocks (1.18 s, 76 blocks; 1.34 s with 4, 1.62 s with 5); QASA on heron_r2 (13
active qubits) with 5 (2.9 s, 14 blocks; 3.7 s with 4, 4.4 s with 3). The cost model,
fitted to these six points, picks both."""
_GEMM_COST = {1: 0.8, 2: 0.8, 3: 1.0, 4: 1.28, 5: 2.73, 6: 5.5}
"""A block's GEMM on the whole state, by its width, relative to a 3-qubit one (fitted as
above; small blocks are bound by memory traffic, not arithmetic)."""


def _move_cost(n: int) -> float:
    """One move-to-front copy of an ``n``-qubit state, relative to a 3-qubit block's GEMM.

    Fitted as above (on one Intel Xeon, 2 MiB L2 per core): 0.5 at 11 qubits, about 2.7 at
    13; a copy's contiguous runs are short and scattered over a larger state, so it loses to
    the GEMM as states grow. Doubling per qubit is a model, not a measurement, between and
    beyond; pass ``block_qubits`` to override.
    """
    return 0.5 * 2.0 ** max(0, n - 11)


_MAX_BLOCK_STEPS = 48
# Keep every block's input for backward below this many bytes (estimated as two states per
# block); checkpoint above, which recomputes the forward sweep in backward. Measured on the
# 11-qubit benchmark circuit, batch 32 x 16 trajectories: 16.5 samples per CPU-second and
# 1.8 GiB peak RSS kept, 11.5 checkpointed.
_KEEP_BYTES = 1 << 31


@dataclass(frozen=True)
class _Step:
    """One application: ``fixed`` (table of per-draw matrices) or parametrised gate."""

    qubits: tuple[int, ...]
    table: torch.Tensor | None  # (K, d, d): K_k U / sqrt(q_k); K = 1 without noise
    cdf: torch.Tensor | None  # (K,) cumulative q_k, None without noise
    occurrence: int | None = None
    generator: torch.Tensor | None = None
    diagonal: bool = False
    leading_diagonal: torch.Tensor | None = None  # table[0]'s diagonal when it is diagonal

    @staticmethod
    def diagonal_of(table: torch.Tensor | None) -> torch.Tensor | None:
        """``table[0]``'s diagonal if ``table[0]`` is diagonal (one elementwise pass)."""
        if table is None:
            return None
        first = table[0]
        diag = torch.diagonal(first)
        return diag.clone() if torch.equal(torch.diag(diag), first) else None


class TrajectoryEngine:
    """Trajectory estimates of a :class:`NoisyProgram` (see the module docstring).

    Args:
        program: The lowered circuit, noise and observables.
        dtype: ``torch.complex128`` (default) or ``torch.complex64`` (half the memory and
            time; single-precision rounding is far below the Monte-Carlo error).
        block_qubits: Widest fused block (0: no fusion); None (default) chooses it by cost
            (:data:`DEFAULT_BLOCK_QUBITS`).
    """

    def __init__(
        self,
        program: NoisyProgram,
        dtype: torch.dtype = torch.complex128,
        block_qubits: int | None = DEFAULT_BLOCK_QUBITS,
    ) -> None:
        self.program = program
        self.dtype = dtype
        self._steps = _lower(program, dtype)
        n = program.num_qubits
        if block_qubits is None:
            block_qubits = min(
                range(2, 6),
                key=lambda k: _sweep_cost(n, _group(self._steps, k)),
            )
        self.block_qubits = block_qubits
        self._blocks = (
            _build(_group(self._steps, block_qubits), dtype) if block_qubits > 0 else None
        )
        self._perms, self._final_perm = _layouts(
            n, [] if self._blocks is None else [b.qubits for b in self._blocks]
        )
        dim = 2**program.num_qubits
        index = np.arange(dim)
        self._flips = [
            torch.as_tensor(np.stack([index ^ m for m in t.masks]), dtype=torch.long)
            for t in program.observables
        ]
        self._diagonals = [torch.as_tensor(t.diagonals, dtype=dtype) for t in program.observables]

    @property
    def num_steps(self) -> int:
        """Gate-and-channel steps (after folding noiseless one-qubit gates forward)."""
        return len(self._steps)

    @property
    def num_blocks(self) -> int | None:
        """Fused blocks per forward sweep, or None when fusion is off."""
        return None if self._blocks is None else len(self._blocks)

    def draws(
        self, batch: int, trajectories: int, generator: torch.Generator
    ) -> list[tuple[torch.Tensor, torch.Tensor] | None]:
        """Per noisy step: the trajectories (flat ``b * T + t``) that drew ``k != 0``, and k."""
        total = batch * trajectories
        out: list[tuple[torch.Tensor, torch.Tensor] | None] = []
        for step in self._steps:
            if step.cdf is None:
                out.append(None)
                continue
            u = torch.rand(total, generator=generator, dtype=torch.float64)
            k = torch.searchsorted(step.cdf, u, right=True).clamp_(max=len(step.cdf) - 1)
            hit = torch.nonzero(k, as_tuple=True)[0]
            out.append((hit, k[hit]) if len(hit) else None)
        return out

    def _run(
        self,
        state: torch.Tensor,
        angles: torch.Tensor,
        draws: list[tuple[torch.Tensor, torch.Tensor] | None],
        start: int,
        stop: int,
    ) -> torch.Tensor:
        n = self.program.num_qubits
        batch = angles.shape[0]
        total = state.shape[0]
        for step, draw in zip(self._steps[start:stop], draws[start:stop], strict=True):
            before = state
            if step.occurrence is not None:
                assert step.generator is not None
                half = angles[:, step.occurrence] / 2
                cos, sin = torch.cos(half).to(self.dtype), torch.sin(half).to(self.dtype)
                per_set = state.reshape(batch, total // batch, -1)
                if step.diagonal:
                    diag = cos[:, None] - 1j * sin[:, None] * step.generator
                    per_set = apply_diagonal(per_set, diag, step.qubits, n, lead=2)
                else:
                    eye = torch.eye(len(step.generator), dtype=self.dtype)
                    u = cos[:, None, None] * eye - 1j * sin[:, None, None] * step.generator
                    per_set = apply_matrix(per_set, u, step.qubits, n, lead=2)
                state = before = per_set.reshape(total, -1)
            if step.table is None:
                continue
            if step.leading_diagonal is not None:
                state = apply_diagonal(state, step.leading_diagonal, step.qubits, n, lead=1)
            else:
                state = apply_matrix(state, step.table[0], step.qubits, n, lead=1)
            if draw is not None:
                hit, k = draw
                jumped = apply_matrix(
                    before.index_select(0, hit), step.table[k], step.qubits, n, lead=1
                )
                state = state.index_copy(0, hit, jumped)
        return state

    def _run_blocks(
        self,
        state: torch.Tensor,
        angles: torch.Tensor,
        draws: list[tuple[torch.Tensor, torch.Tensor] | None],
        trajectories: int,
        whole: int,
    ) -> torch.Tensor:
        """Every block in turn.

        When differentiating a large batch (``whole`` trajectories over every chunk), segments
        of about ``sqrt(blocks)`` blocks are checkpointed (recomputed in backward) so that
        memory stays bounded.
        """
        assert self._blocks is not None
        plans = [_plan(block, draws) for block in self._blocks]
        count = len(self._blocks)
        # Every chunk's graph lives until backward: the budget is the whole batch's.
        kept = state.element_size() * state.shape[1] * whole * 2 * count
        checkpointed = angles.requires_grad and kept > _KEEP_BYTES
        segment = max(1, math.isqrt(count)) if checkpointed else max(count, 1)
        for start in range(0, count, segment):
            stop = min(start + segment, count)
            if checkpointed:
                state = checkpoint(
                    self._run_block_range,
                    state,
                    angles,
                    plans,
                    trajectories,
                    start,
                    stop,
                    use_reentrant=False,
                )
            else:
                state = self._run_block_range(state, angles, plans, trajectories, start, stop)
        # Back to Qiskit's order from the last block's layout.
        n = self.program.num_qubits
        if self._final_perm is not None:
            view = state.reshape(state.shape[0], *([2] * n))
            state = view.permute(0, *(1 + p for p in self._final_perm)).reshape(state.shape)
        return state

    def _run_block_range(
        self,
        state: torch.Tensor,
        angles: torch.Tensor,
        plans: list[_Plan],
        trajectories: int,
        start: int,
        stop: int,
    ) -> torch.Tensor:
        assert self._blocks is not None
        n = self.program.num_qubits
        batch = angles.shape[0]
        for block, plan, perm in zip(
            self._blocks[start:stop], plans[start:stop], self._perms[start:stop], strict=True
        ):
            default = block.fixed
            rotations = {
                i: _rotation(block.steps[i], angles, self.dtype) for i in block.parametrised
            }
            if default is None:
                default = _block_product(block, rotations, None, None, batch, self.dtype)
            lead = 1 if default.dim() == 2 else 2
            view = state if lead == 1 else state.reshape(batch, trajectories, -1)
            out = _apply_block(view, default, perm, n, lead).reshape(state.shape)
            if plan is not None:
                hit, per_step = plan
                samples = torch.div(hit, trajectories, rounding_mode="floor")
                mats = _block_product(block, rotations, per_step, samples, len(hit), self.dtype)
                jumped = _apply_block(state.index_select(0, hit), mats, perm, n, 1)
                out = out.index_copy_(0, hit, jumped)
            state = out
        return state

    def expectations(
        self, angles: torch.Tensor, trajectories: int, generator: torch.Generator
    ) -> torch.Tensor:
        """Per-trajectory values ``(B, T, outputs)``; their mean over ``T`` is unbiased.

        Differentiable in ``angles`` (autograd, checkpointed over segments of steps). Batches
        whose trajectories take more than :data:`CHUNK_BYTES` run in chunks of samples, each
        with its own draws from ``generator`` in turn.
        """
        sample_bytes = trajectories * (2**self.program.num_qubits) * self.dtype.itemsize
        rows = max(1, CHUNK_BYTES // sample_bytes)
        whole = angles.shape[0] * trajectories  # every chunk's graph lives until backward
        if angles.shape[0] > rows:
            return torch.cat(
                [
                    self._expectations(angles[start : start + rows], trajectories, generator, whole)
                    for start in range(0, angles.shape[0], rows)
                ]
            )
        return self._expectations(angles, trajectories, generator, whole)

    def _expectations(
        self, angles: torch.Tensor, trajectories: int, generator: torch.Generator, whole: int
    ) -> torch.Tensor:
        batch = angles.shape[0]
        total = batch * trajectories
        draws = self.draws(batch, trajectories, generator)
        state = torch.zeros((total, 2**self.program.num_qubits), dtype=self.dtype)
        state[:, 0] = 1.0
        if self._blocks is not None:
            state = self._run_blocks(state, angles, draws, trajectories, whole)
            values = [
                expectation_terms(state, state, flips, diagonals)
                for flips, diagonals in zip(self._flips, self._diagonals, strict=True)
            ]
            return torch.stack(values, dim=-1).reshape(batch, trajectories, -1)
        steps = len(self._steps)
        segment = max(1, math.isqrt(steps)) if angles.requires_grad else max(steps, 1)
        for start in range(0, steps, segment):
            stop = min(start + segment, steps)
            if angles.requires_grad:
                state = checkpoint(
                    self._run, state, angles, draws, start, stop, use_reentrant=False
                )
            else:
                state = self._run(state, angles, draws, start, stop)
        values = [
            expectation_terms(state, state, flips, diagonals)
            for flips, diagonals in zip(self._flips, self._diagonals, strict=True)
        ]
        return torch.stack(values, dim=-1).reshape(batch, trajectories, -1)


def _lower(program: NoisyProgram, dtype: torch.dtype) -> list[_Step]:
    """Steps of ``program``: noiseless fixed gates folded forward into the next fixed gate."""
    steps: list[_Step] = []
    pending: dict[int, tuple[tuple[int, ...], np.ndarray]] = {}  # first qubit -> held gate

    def held_on(qubits: tuple[int, ...]) -> list[tuple[tuple[int, ...], np.ndarray]]:
        found = []
        for q in qubits:
            if q in pending:
                found.append(pending.pop(q))
        return found

    def flush(qubits: tuple[int, ...]) -> None:
        for held_qubits, matrix in held_on(qubits):
            tensor = torch.as_tensor(matrix[None], dtype=dtype)
            steps.append(
                _Step(held_qubits, tensor, None, leading_diagonal=_Step.diagonal_of(tensor))
            )

    for op in program.ops:
        if op.matrix is not None and op.channel is None and len(op.qubits) == 1:
            (q,) = op.qubits
            previous = pending.pop(q, None)
            matrix = op.matrix if previous is None else op.matrix @ previous[1]
            pending[q] = (op.qubits, matrix)
            continue
        if op.matrix is not None:
            matrix = op.matrix
            for q in op.qubits:
                held = pending.pop(q, None)
                if held is not None:
                    matrix = matrix @ _embed(held[1], op.qubits.index(q), len(op.qubits))
            steps.append(_fixed_step(op, matrix, dtype))
            continue
        flush(op.qubits)
        steps.append(_parametrised_step(op, dtype))
    for q in sorted(pending):
        flush((q,))
    return steps


def _embed(matrix: np.ndarray, position: int, width: int) -> np.ndarray:
    """A one-qubit ``matrix`` on bit ``position`` of a ``width``-qubit operator."""
    out = np.eye(1)
    for bit in reversed(range(width)):
        out = np.kron(out, matrix if bit == position else np.eye(2))
    return out


def _fixed_step(op: NoisyOp, matrix: np.ndarray, dtype: torch.dtype) -> _Step:
    if op.channel is None:
        tensor = torch.as_tensor(matrix[None], dtype=dtype)
        return _Step(op.qubits, tensor, None, leading_diagonal=_Step.diagonal_of(tensor))
    weights = op.channel.weights
    table = op.channel.operators @ matrix / np.sqrt(weights)[:, None, None]
    tensor = torch.as_tensor(table, dtype=dtype)
    return _Step(
        op.qubits,
        tensor,
        torch.as_tensor(np.cumsum(weights), dtype=torch.float64),
        leading_diagonal=_Step.diagonal_of(tensor),
    )


def _parametrised_step(op: NoisyOp, dtype: torch.dtype) -> _Step:
    assert op.generator is not None
    generator = op.generator
    table = cdf = None
    if op.channel is not None:
        weights = op.channel.weights
        table = torch.as_tensor(op.channel.operators / np.sqrt(weights)[:, None, None], dtype=dtype)
        cdf = torch.as_tensor(np.cumsum(weights), dtype=torch.float64)
    diag = np.diag(generator) if op.diagonal else generator
    return _Step(
        op.qubits,
        table,
        cdf,
        occurrence=op.occurrence,
        generator=torch.as_tensor(np.array(diag), dtype=dtype),
        diagonal=op.diagonal,
    )


@dataclass(frozen=True)
class _Block:
    """Consecutive steps on at most ``block_qubits`` qubits, as block-space matrices.

    Attributes:
        qubits: The block's qubits (``qubits[0]`` least significant in block space).
        steps: The steps, in order.
        tables: Per step, its draw table embedded in block space ``(K, d, d)``, or None.
        generators: Per step, its rotation generator embedded in block space, or None.
        parametrised: Indices of the steps with an occurrence angle.
        fixed: The no-draw product when the block has no parameter, else None.
        start: Index of the block's first step in the engine's steps.
    """

    qubits: tuple[int, ...]
    steps: tuple[_Step, ...]
    tables: tuple[torch.Tensor | None, ...]
    generators: tuple[torch.Tensor | None, ...]
    parametrised: tuple[int, ...]
    fixed: torch.Tensor | None
    start: int


_Plan = tuple[torch.Tensor, list[torch.Tensor | None]] | None
"""Per block: the sorted trajectories with a draw ``k != 0`` in it, and per step their k."""


def _group(steps: list[_Step], block_qubits: int) -> list[list[_Step]]:
    """Greedy grouping of consecutive steps into blocks (qsim-style, in circuit order)."""
    groups: list[list[_Step]] = []
    qubits: set[int] = set()
    for step in steps:
        merged = qubits | set(step.qubits)
        if groups and len(merged) <= block_qubits and len(groups[-1]) < _MAX_BLOCK_STEPS:
            groups[-1].append(step)
            qubits = merged
        else:
            groups.append([step])
            qubits = set(step.qubits)
    return groups


def _sweep_cost(n: int, groups: list[list[_Step]]) -> float:
    """Estimated cost of one sweep over ``groups``, in 3-qubit-GEMM units (see the constants)."""
    qubits = [tuple(sorted({q for step in group for q in step.qubits})) for group in groups]
    perms, _ = _layouts(n, qubits)
    move = _move_cost(n)
    return sum(
        _GEMM_COST.get(len(q), 2.0 ** (len(q) - 3)) + (move if perm is not None else 0.0)
        for q, perm in zip(qubits, perms, strict=True)
    )


def _build(groups: list[list[_Step]], dtype: torch.dtype) -> list[_Block]:
    """Blocks of ``groups``: every step's table and generator embedded in block space."""
    blocks = []
    start = 0
    for group in groups:
        block_qubits_list = sorted({q for step in group for q in step.qubits})
        width = len(block_qubits_list)
        position = {q: i for i, q in enumerate(block_qubits_list)}
        tables: list[torch.Tensor | None] = []
        generators: list[torch.Tensor | None] = []
        parametrised = []
        for i, step in enumerate(group):
            where = [position[q] for q in step.qubits]
            tables.append(
                None
                if step.table is None
                else torch.stack([_embed_dense(t, where, width) for t in step.table])
            )
            if step.occurrence is not None:
                assert step.generator is not None
                g = torch.diag(step.generator) if step.diagonal else step.generator
                generators.append(_embed_dense(g, where, width))
                parametrised.append(i)
            else:
                generators.append(None)
        block = _Block(
            tuple(block_qubits_list),
            tuple(group),
            tuple(tables),
            tuple(generators),
            tuple(parametrised),
            None,
            start,
        )
        if not parametrised:
            fixed = _block_product(block, {}, None, None, 1, dtype)
            block = dataclasses.replace(block, fixed=fixed)
        blocks.append(block)
        start += len(group)
    return blocks


def _layouts(
    n: int, blocks: list[tuple[int, ...]]
) -> tuple[list[tuple[int, ...] | None], tuple[int, ...] | None]:
    """Per block (its qubits), the axis permutation into its layout; then back to Qiskit's.

    The state is never permuted back between blocks: a block's qubits are moved to the most
    significant axes (``qubits[0]`` least significant of them, the matrix's bit order) from
    wherever the previous block left them, the others keeping their order; so each block
    costs one copy and one GEMM (none when consecutive blocks share their qubits), not the
    two copies of a permute-there-and-back. Moving to the front keeps the axes after the
    block's innermost qubit in place, so the copy moves contiguous runs, and qubits in use
    stay near the front. Measured (256 trajectories of 13 qubits, complex64): moving the
    qubits on axes 0, 5, 9 took 2.5 ms to the front and 11.5 ms to the back, those on 2, 7,
    12 took 8.8 and 9.6 ms (a 3-qubit GEMM: 1.6 ms). Forward + backward of a batch of QASA on
    heron_r2 with 3-qubit blocks went from 4.8 to 3.9 CPU-s, and the 11-qubit benchmark
    circuit from 22.4 to 27.1 samples per CPU-second (moving to the back before).

    Returns:
        Per block, ``perm`` with ``new_axis[i] = old_axis[perm[i]]`` (None: no move); the
        final permutation to Qiskit's order (None: already there).
    """
    order = list(reversed(range(n)))  # qubit on each axis, most significant first
    perms: list[tuple[int, ...] | None] = []
    for qubits in blocks:
        new = list(reversed(qubits)) + [q for q in order if q not in qubits]
        perm = tuple(order.index(q) for q in new)
        perms.append(None if perm == tuple(range(n)) else perm)
        order = new
    final = tuple(order.index(q) for q in reversed(range(n)))
    return perms, None if final == tuple(range(n)) else final


def _apply_block(
    state: torch.Tensor, matrix: torch.Tensor, perm: tuple[int, ...] | None, n: int, lead: int
) -> torch.Tensor:
    """A block's ``(*matrix_lead, d, d)`` on the first ``log2 d`` axes after ``perm``.

    The matrix multiplies ``(d, 2**n / d)`` slices from the left: one GEMM per trajectory
    (shared matrix or one per trajectory), or per parameter set over its trajectories.
    """
    lead_shape = state.shape[:lead]
    d = matrix.shape[-1]
    rest = (1 << n) // d
    if perm is not None:
        view = state.reshape(*lead_shape, *([2] * n))
        state = view.permute(*range(lead), *(lead + p for p in perm))
    if matrix.dim() == 2:  # one matrix for every trajectory
        out = torch.matmul(matrix, state.reshape(-1, d, rest))
    elif lead == 1:  # one per trajectory
        out = torch.bmm(matrix, state.reshape(-1, d, rest))
    else:  # one per parameter set, broadcast over its trajectories
        out = torch.matmul(matrix.unsqueeze(1), state.reshape(matrix.shape[0], -1, d, rest))
    return out.reshape(*lead_shape, 1 << n)


def _embed_dense(matrix: torch.Tensor, where: list[int], width: int) -> torch.Tensor:
    """A matrix on block positions ``where`` (``where[0]`` least significant) in block space."""
    m = len(where)
    rest = [p for p in range(width) if p not in where]
    full = matrix.reshape([2] * (2 * m))  # out bits m-1..0, in bits m-1..0
    eye = torch.eye(2 ** len(rest), dtype=matrix.dtype).reshape([2] * (2 * len(rest)))
    joint = torch.tensordot(full, eye, dims=0)  # out_w, in_w, out_rest, in_rest
    # Current axis order: [out where m-1..0][in where m-1..0][out rest r-1..0][in rest r-1..0].
    order_out = [*reversed(where), *reversed(rest)]
    current_out = list(range(m)) + [2 * m + j for j in range(len(rest))]
    current_in = [m + j for j in range(m)] + [2 * m + len(rest) + j for j in range(len(rest))]
    target = sorted(range(width), reverse=True)  # block bits width-1..0
    perm = [current_out[order_out.index(b)] for b in target] + [
        current_in[order_out.index(b)] for b in target
    ]
    return joint.permute(perm).reshape(2**width, 2**width)


def _rotation(step: _Step, angles: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``(B, 2)``: cos and sin of half the step's angle, per parameter set."""
    assert step.occurrence is not None
    half = angles[:, step.occurrence] / 2
    return torch.stack([torch.cos(half), torch.sin(half)], dim=1).to(dtype)


def _block_product(
    block: _Block,
    rotations: dict[int, torch.Tensor],
    per_step: list[torch.Tensor | None] | None,
    samples: torch.Tensor | None,
    count: int,
    dtype: torch.dtype,
) -> torch.Tensor:
    """The block's operator: ``(d, d)`` shared, ``(B, d, d)`` per set, or ``(E, d, d)``.

    Args:
        block: The block.
        rotations: Per parametrised step, ``(B, 2)`` cos and sin of the half angle.
        per_step: For jumped trajectories, per step their draws ``(E,)`` (None: all 0);
            None for the no-draw product.
        samples: For jumped trajectories, their parameter set ``(E,)``.
        count: ``E`` (or ``B``) when rotations or draws make it per trajectory.
        dtype: Complex dtype.
    """
    d = 2 ** len(block.qubits)
    product: torch.Tensor = torch.eye(d, dtype=dtype)
    for i, (table, generator) in enumerate(zip(block.tables, block.generators, strict=True)):
        if generator is not None:
            cos_sin = rotations[i] if samples is None else rotations[i][samples]
            eye = torch.eye(d, dtype=dtype)
            gate = cos_sin[:, 0, None, None] * eye - 1j * cos_sin[:, 1, None, None] * generator
            product = gate @ product
        if table is None:
            continue
        draw = None if per_step is None else per_step[i]
        product = table[0] @ product if draw is None else table[draw] @ product
    if product.dim() == 2 and per_step is not None:
        product = product.expand(count, d, d)
    return product


def _plan(block: _Block, draws: list[tuple[torch.Tensor, torch.Tensor] | None]) -> _Plan:
    """Which trajectories jumped somewhere in ``block`` and, per step, with which k."""
    mine = draws[block.start : block.start + len(block.steps)]
    hits = [draw[0] for draw in mine if draw is not None]
    if not hits:
        return None
    jumped = torch.unique(torch.cat(hits))  # sorted
    per_step: list[torch.Tensor | None] = []
    for draw in mine:
        if draw is None:
            per_step.append(None)
            continue
        k = torch.zeros(len(jumped), dtype=torch.long)
        k[torch.searchsorted(jumped, draw[0])] = draw[1]
        per_step.append(k)
    return jumped, per_step
