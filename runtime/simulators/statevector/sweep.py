"""The state sweep of the fused engine and its adjoint: a vector-Jacobian product per batch.

The state is ``(batch, 2, ..., 2)`` complex128, one axis per qubit (qubit ``n - 1`` first, so
the flat index is Qiskit's little-endian basis index). A dense op is one ``einsum`` of its
matrix with the state: a shared matrix is one GEMM over the whole batch, a per-sample one a
batched matmul, a multiplexer batched over its control values too. A perm op is one gather.

:class:`FusedSweep` is a :class:`torch.autograd.Function` from the factors of the initial
product state (:class:`ProductPrefix`) and the ops' matrices to the expectation values. The
product state is built chunk by chunk inside the sweep and differentiated chunk by chunk, so
no batch-sized initial state or gradient of it is ever held. Its backward is the adjoint
method in the fused form, weighted by the upstream gradient ``g``: ``lambda = sum_k g_k O_k psi`` is
swept back once through the ops (``lambda <- M^dagger lambda``), and each op's matrix gets
``2 sum lambda_out conj(psi_in)^T`` (torch's convention for the gradient of a real loss with
respect to a complex tensor), summed over the batch for shared matrices. ``psi_in`` is kept
from the forward sweep while the kept states fit in :data:`KEEP_BYTES`, otherwise it is
un-computed alongside ``lambda`` (one einsum over both). Batches whose state exceeds
:data:`CHUNK_BYTES` are swept in chunks of samples; batches whose final states exceed
:data:`STREAM_BYTES` keep nothing from the forward sweep and recompute each chunk's sweep in
backward (keeping that chunk's states), so memory holds about one chunk at any width.

References:
    Jones & Gacon, "Efficient calculation of gradients in classical simulations of
    variational quantum algorithms", arXiv:2009.02823 (adjoint differentiation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from runtime.simulators.statevector.pauli import PauliObservables
from runtime.simulators.statevector.plan import Op

__all__ = [
    "CHUNK_BYTES",
    "DEFER_BYTES",
    "KEEP_BYTES",
    "STREAM_BYTES",
    "FusedSweep",
    "ProductPrefix",
    "StepOp",
    "Sweep",
]

KEEP_BYTES = 1 << 29
"""Kept forward states (whole batch) up to this size; beyond, the adjoint sweep un-computes."""
CHUNK_BYTES = 1 << 22
"""Largest state (bytes) swept at once; bigger batches are swept in chunks of samples.

Small enough that a chunk's states stay in the last-level cache: measured on this 2-core
EPYC (32 MiB L3), one training step at 17 qubits, batch 32, costs 1.4 CPU-s with 4 MiB
chunks against 2.6 CPU-s with 64 MiB chunks (``benchmarks/train_bench.py``)."""
STREAM_BYTES = 1 << 24
"""Batches whose final states take more bytes are recomputed chunk by chunk in backward."""
DEFER_BYTES = 1 << 21
"""Chunks whose state takes at most this many bytes defer their overlaps (one per group)."""
_SMALL = 1 << 16  # states of at most this many amplitudes take the small-state paths
_STACK = 51  # einsum label of the (psi, lambda) stacking axis


@dataclass(frozen=True)
class StepOp:
    """One op ready to run: einsum shapes and labels, or a permutation.

    The state is viewed with one axis per run of consecutive qubits of the same role
    (control, target, other), so each einsum is a few large axes.

    Attributes:
        matrix: Index of the op's matrix group in the matrix list (-1 for a perm op).
        per_sample: The matrix has a batch axis.
        slot: The op's index in its group, None for a group of one.
        full: The op is one dense matrix on the whole register (applied as a matmul).
        block: ``(high, 2**t, low)`` when the op has no controls and its targets are
            consecutive qubits (applied as a matmul on that view).
        view: The state's shape without the batch axis.
        shape: The matrix's shape without the batch axis.
        msub: Einsum labels of the matrix.
        ssub: Einsum labels of the state before the op.
        osub: Einsum labels of the state after the op.
        src: Perm op: ``out[i] = psi[src[i]]``.
        inv: Perm op: the inverse gather.
    """

    matrix: int
    per_sample: bool = False
    slot: int | None = None
    full: bool = False
    block: tuple[int, int, int] | None = None
    view: tuple[int, ...] = ()
    shape: tuple[int, ...] = ()
    msub: tuple[int, ...] = ()
    ssub: tuple[int, ...] = ()
    osub: tuple[int, ...] = ()
    src: torch.Tensor | None = None
    inv: torch.Tensor | None = None


def _runs(num_qubits: int, op: Op) -> list[tuple[str, int]]:
    """``(role, length)`` of each run of consecutive qubits, from qubit ``n - 1`` down."""
    runs: list[tuple[str, int]] = []
    for q in reversed(range(num_qubits)):
        role = "c" if q in op.controls else "t" if q in op.targets else "o"
        if runs and runs[-1][0] == role:
            runs[-1] = (role, runs[-1][1] + 1)
        else:
            runs.append((role, 1))
    return runs


def _step(num_qubits: int, op: Op, index: int, slot: int | None) -> StepOp:
    runs = _runs(num_qubits, op)
    labels = [1 + r for r in range(len(runs))]
    out = [1 + len(runs) + r for r in range(len(runs))]
    sizes = [1 << length for _, length in runs]
    c_runs = [r for r, (role, _) in enumerate(runs) if role == "c"]
    t_runs = [r for r, (role, _) in enumerate(runs) if role == "t"]
    lead = (0,) if op.per_sample else ()
    t_len = len(op.targets)
    consecutive = not op.controls and op.targets[-1] - op.targets[0] + 1 == t_len
    lo = op.targets[0]
    block = (1 << (num_qubits - lo - t_len), 1 << t_len, 1 << lo) if consecutive else None
    return StepOp(
        index,
        op.per_sample,
        slot,
        not op.controls and t_len == num_qubits,
        block,
        tuple(sizes),
        tuple(sizes[r] for r in c_runs + t_runs + t_runs),
        (
            *lead,
            *(labels[r] for r in c_runs),
            *(out[r] for r in t_runs),
            *(labels[r] for r in t_runs),
        ),
        (0, *labels),
        (0, *(out[r] if r in t_runs else labels[r] for r in range(len(runs)))),
    )


class Sweep:
    """The main ops of a plan, ready to sweep a ``num_qubits`` state.

    Args:
        num_qubits: Register width (at most 25: einsum has 52 labels).
        ops: The plan's main ops, in order.
        where: Per op, its matrix's ``(group, slot)`` in the matrix list (group -1 for
            perm ops; slot None for a group of one matrix).
        group_per_sample: Per group, whether its matrices have a batch axis.
        perms: Per perm op (by position in ``ops``), its ``src`` gather.
        observables: The outputs.
    """

    def __init__(
        self,
        num_qubits: int,
        ops: list[Op],
        where: list[tuple[int, int | None]],
        group_per_sample: list[bool],
        perms: dict[int, torch.Tensor],
        observables: PauliObservables,
    ) -> None:
        n = num_qubits
        self.num_qubits = n
        self.observables = observables
        self.steps: list[StepOp] = []
        for i, (op, (group, slot)) in enumerate(zip(ops, where, strict=True)):
            if op.kind == "perm":
                src = perms[i]
                inv = torch.empty_like(src)
                inv[src] = torch.arange(len(src))
                self.steps.append(StepOp(-1, src=src, inv=inv))
                continue
            self.steps.append(_step(n, op, group, slot))
        self.dim = 1 << n
        self.per_sample_matrix = list(group_per_sample)

    @staticmethod
    def matrix(step: StepOp, mats: list[torch.Tensor]) -> torch.Tensor:
        """The step's matrix ``(batch?, 2**c, 2**t, 2**t)`` from the group list."""
        group = mats[step.matrix]
        return group if step.slot is None else group.select(-4, step.slot)

    # --------------------------------------------------------------------------- kernels

    def _apply(
        self, step: StepOp, m: torch.Tensor, psi: torch.Tensor, stacked: bool
    ) -> torch.Tensor:
        """``M psi`` (``m`` already daggered for the adjoint) on flat states ``(..., 2**n)``."""
        lead = psi.shape[:-1]
        if step.full:
            if step.per_sample:
                return (m.reshape(m.shape[0], self.dim, self.dim) @ psi.unsqueeze(-1)).squeeze(-1)
            return psi @ m.reshape(self.dim, self.dim).transpose(0, 1)
        if step.block is not None:
            hi, dim, lo = step.block
            # The (single) control value's matrix, as a view (``m[:, 0]`` would be a select,
            # whose autograd backward zero-fills a full-size gradient).
            mm = m.reshape(m.shape[0], dim, dim) if step.per_sample else m.reshape(dim, dim)
            if step.per_sample and psi.numel() <= _SMALL and len(lead) == 1 and lo > 1 and hi > 1:
                # A small state's per-sample block: one broadcast batched matmul.
                out = torch.matmul(mm[:, None], psi.view(lead[0], hi, dim, lo))
                return out.reshape(*lead, self.dim)
            if lo == 1:
                if step.per_sample:
                    return (psi.view(*lead, hi, dim) @ mm.transpose(-1, -2)).view(*lead, self.dim)
                return (psi.view(-1, dim) @ mm.transpose(-1, -2)).view(*lead, self.dim)
            if hi == 1:
                return (mm @ psi.view(*lead, dim, lo)).view(*lead, self.dim)
            if not step.per_sample:
                # Batched GEMMs on the state as it lies (no permuted copy).
                count = psi.numel() // (dim * lo)
                out = torch.bmm(mm.expand(count, dim, dim), psi.reshape(count, dim, lo))
                return out.view(*lead, self.dim)
        labels = (_STACK,) if stacked else ()
        mr = m.reshape(*m.shape[: 1 if step.per_sample else 0], *step.shape)
        out = torch.einsum(
            mr,
            list(step.msub),
            psi.reshape(*lead, *step.view),
            [*labels, *step.ssub],
            [*labels, *step.osub],
        )
        return out.reshape(*lead, self.dim)

    def _permute(self, psi: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return psi.index_select(psi.dim() - 1, index)

    def _overlap(self, step: StepOp, lam_out: torch.Tensor, psi_in: torch.Tensor) -> torch.Tensor:
        """``2 sum lambda_out conj(psi_in)^T``, shaped like the reshaped matrix."""
        batch = lam_out.shape[0]
        if step.block is not None:
            hi, dim, lo = step.block
            if step.per_sample and dim == 2 and lam_out.numel() <= _SMALL:
                lam_v = lam_out.reshape(batch, hi, 2, 1, lo)
                psi_v = psi_in.reshape(batch, hi, 1, 2, lo).conj()
                return 2 * (lam_v * psi_v).sum((1, 4))
            if lo == 1:
                if step.per_sample:
                    lam_v, psi_v = lam_out.view(batch, hi, dim), psi_in.view(batch, hi, dim)
                    return 2 * (lam_v.transpose(1, 2) @ psi_v.conj())
                lam_v, psi_v = lam_out.view(-1, dim), psi_in.view(-1, dim)
                return 2 * (lam_v.T @ psi_v.conj())
            if hi == 1 or (not step.per_sample and lo >= 64):
                lam_v = lam_out.view(batch * hi, dim, lo)
                psi_v = psi_in.view(batch * hi, dim, lo)
                g = torch.bmm(lam_v, psi_v.conj().transpose(1, 2))
                if step.per_sample:
                    return 2 * g
                return 2 * g.sum(0)
        g = torch.einsum(
            lam_out.reshape(batch, *step.view),
            list(step.osub),
            psi_in.conj().reshape(batch, *step.view),
            list(step.ssub),
            list(step.msub),
        )
        return 2 * g

    # ---------------------------------------------------------------------------- sweeps

    def forward_chunk(
        self, psi: torch.Tensor, mats: list[torch.Tensor], keep: bool
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The final state and, with ``keep``, each matrix op's input state."""
        kept: list[torch.Tensor] = []
        # Each group's matrices split once: under autograd one backward node per group,
        # where a ``select`` per op would zero-fill a group-sized gradient per op.
        slots: dict[int, tuple[torch.Tensor, ...]] = {}
        for step in self.steps:
            if step.src is not None:
                psi = self._permute(psi, step.src)
                continue
            if keep:
                kept.append(psi)
            if step.slot is None:
                matrix = mats[step.matrix]
            else:
                if step.matrix not in slots:
                    group = mats[step.matrix]
                    slots[step.matrix] = group.unbind(group.dim() - 4)
                matrix = slots[step.matrix][step.slot]
            psi = self._apply(step, matrix, psi, False)
        return psi, kept

    def backward_chunk(
        self,
        final: torch.Tensor,
        lam: torch.Tensor,
        mats: list[torch.Tensor],
        kept: list[torch.Tensor],
        grads: list[torch.Tensor | None],
    ) -> torch.Tensor:
        """Sweep ``lambda`` back; add each group's gradient into ``grads``; return ``lambda_0``.

        With kept states of a small chunk, the overlaps are deferred and computed per group
        (and per op shape) in one einsum over all its ops, so a long sequence of small ops
        costs one torch call per op on the way back.
        """
        keep = bool(kept) or not any(s.src is None for s in self.steps)
        defer = keep and final.numel() * 16 <= DEFER_BYTES
        daggers = [m.conj().transpose(-1, -2).resolve_conj() for m in mats]
        pending: dict[tuple[int, tuple[int, ...], tuple[int, ...]], list[Any]] = {}
        stack = None if keep else torch.stack([final, lam])
        for step in reversed(self.steps):
            if step.src is not None:
                if stack is None:
                    lam = self._permute(lam, step.inv)  # type: ignore[arg-type]
                else:
                    stack = self._permute(stack, step.inv)  # type: ignore[arg-type]
                continue
            dagger = self.matrix(step, daggers)
            if stack is None:
                psi_in = kept.pop()
                if defer:
                    key = (step.matrix, step.view, step.msub)
                    pending.setdefault(key, []).append((step, lam, psi_in))
                else:
                    self._accumulate(grads, mats, [step], self._overlap(step, lam, psi_in)[None])
                lam = self._apply(step, dagger, lam, False)
            else:
                back = self._apply(step, dagger, stack, True)
                self._accumulate(grads, mats, [step], self._overlap(step, stack[1], back[0])[None])
                stack = back
        batch = final.shape[0]
        for items in pending.values():
            step = items[0][0]
            lams = torch.stack([lam_out for _, lam_out, _ in items])
            psis = torch.stack([psi_in for _, _, psi_in in items])
            count = len(items)
            if step.slot is None or step.per_sample:
                # The ops' batches side by side: one overlap (per sample, or summed).
                g = self._overlap(
                    step, lams.view(count * batch, self.dim), psis.view(count * batch, self.dim)
                )
                g = g.reshape(count, -1) if step.per_sample else g[None]
                self._accumulate(grads, mats, [s for s, _, _ in items], g)
                continue
            g = torch.einsum(
                lams.reshape(count, batch, *step.view),
                [_STACK, *step.osub],
                psis.conj().reshape(count, batch, *step.view),
                [_STACK, *step.ssub],
                [_STACK, *step.msub],
            )
            self._accumulate(grads, mats, [s for s, _, _ in items], 2 * g)
        return lam if stack is None else stack[1]

    def _accumulate(
        self,
        grads: list[torch.Tensor | None],
        mats: list[torch.Tensor],
        steps: list[StepOp],
        g: torch.Tensor,
    ) -> None:
        """Add overlaps ``g`` (one per step, stacked first) into their groups' gradients."""
        step = steps[0]
        group = mats[step.matrix]
        if step.slot is None:
            g = g.sum(0).reshape(group.shape)
            current = grads[step.matrix]
            grads[step.matrix] = g if current is None else current + g
            return
        if grads[step.matrix] is None:
            grads[step.matrix] = torch.zeros_like(group)
        target = grads[step.matrix]
        assert target is not None
        axis = group.dim() - 4
        source = g.reshape(len(steps), *group.select(axis, 0).shape).movedim(0, axis)
        slots = torch.tensor([s.slot for s in steps], dtype=torch.int64)
        target.index_add_(axis, slots, source)


@dataclass(frozen=True)
class ProductPrefix:
    """The initial product state ``(x) c_f`` as einsum factors, built per chunk of samples.

    Attributes:
        num_qubits: Register width.
        subs: Per factor, its einsum labels (``1 + q`` for qubit ``q``, most significant
            first); a per-sample factor has the batch label 0 in front.
        per_sample: Per factor, whether it has a batch axis.
    """

    num_qubits: int
    subs: tuple[tuple[int, ...], ...]
    per_sample: tuple[bool, ...]

    def state(self, factors: list[torch.Tensor], batch: int) -> torch.Tensor:
        """The flat product state ``(batch, 2**n)`` of ``factors`` (rows already sliced)."""
        operands: list[object] = [torch.ones(batch, dtype=torch.complex128), [0]]
        for factor, sub in zip(factors, self.subs, strict=True):
            operands += [factor, list(sub)]
        out = [0, *(1 + q for q in reversed(range(self.num_qubits)))]
        return torch.einsum(*operands, out).reshape(batch, 1 << self.num_qubits)

    def rows(self, factors: list[torch.Tensor], rows: slice) -> list[torch.Tensor]:
        """The factors of the samples ``rows`` (shared factors unchanged)."""
        return [f[rows] if p else f for f, p in zip(factors, self.per_sample, strict=True)]


class FusedSweep(torch.autograd.Function):
    """Expectation values from the initial state and the op matrices; see the module docstring."""

    @staticmethod
    def forward(
        ctx: Any, sweep: Sweep, prefix: ProductPrefix, batch: int, *tensors: torch.Tensor
    ) -> torch.Tensor:
        """Sweep forward by chunks of samples; keep what the backward sweep needs.

        ``tensors`` are the prefix's factors, then the ops' matrices.
        """
        factors, mats = list(tensors[: len(prefix.subs)]), tensors[len(prefix.subs) :]
        state_bytes = 16 << sweep.num_qubits
        chunk = max(1, min(batch, CHUNK_BYTES // state_bytes))
        matrix_ops = sum(s.src is None for s in sweep.steps)
        grad = any(ctx.needs_input_grad)
        # Large batches stream: nothing is kept, and backward recomputes each chunk's sweep
        # (keeping that chunk's states), so memory holds one chunk whatever the batch.
        stream = grad and batch * state_bytes > STREAM_BYTES
        # Otherwise every chunk's kept states live until the backward sweep.
        keep = grad and not stream and matrix_ops * batch * state_bytes <= KEEP_BYTES
        finals, kepts, values = [], [], []
        with torch.no_grad():
            for start in range(0, batch, chunk):
                rows = slice(start, start + chunk)
                chunk_mats = [m[rows] if _per_sample(sweep, i) else m for i, m in enumerate(mats)]
                psi0 = prefix.state(prefix.rows(factors, rows), min(chunk, batch - start))
                final, kept = sweep.forward_chunk(psi0, chunk_mats, keep)
                del psi0
                values.append(sweep.observables.values(final))
                if not stream:
                    finals.append(final)
                    kepts.append(kept)
                del final, kept
        ctx.sweep, ctx.prefix, ctx.chunk = sweep, prefix, chunk
        ctx.finals, ctx.kepts = finals, kepts
        ctx.stream = stream
        ctx.keep_chunk = matrix_ops * chunk * state_bytes <= KEEP_BYTES
        ctx.save_for_backward(*tensors)
        if not values:
            return torch.zeros((0, sweep.observables.count), dtype=torch.float64)
        return torch.cat(values)

    @staticmethod
    def backward(ctx: Any, grad_values: torch.Tensor) -> tuple[Any, ...]:
        """One adjoint sweep per chunk, weighted by ``grad_values``."""
        sweep: Sweep = ctx.sweep
        prefix: ProductPrefix = ctx.prefix
        tensors = list(ctx.saved_tensors)
        count = len(prefix.subs)
        factors, mats = tensors[:count], tensors[count:]
        factor_grads: list[torch.Tensor | None] = [None] * count
        want_factors = [ctx.needs_input_grad[3 + i] for i in range(count)]
        grads: list[torch.Tensor | None] = [None] * len(mats)
        chunk = ctx.chunk
        batch = grad_values.shape[0]
        for c, start in enumerate(range(0, batch, chunk)):
            rows = slice(start, min(start + chunk, batch))
            with torch.no_grad():
                chunk_mats = [m[rows] if _per_sample(sweep, i) else m for i, m in enumerate(mats)]
                if ctx.stream:
                    psi0 = prefix.state(prefix.rows(factors, rows), rows.stop - rows.start)
                    final, kept = sweep.forward_chunk(psi0, chunk_mats, ctx.keep_chunk)
                    del psi0
                else:
                    final, kept = ctx.finals[c], ctx.kepts[c]
                lam = sweep.observables.weighted(final, grad_values[rows])
                chunk_grads: list[torch.Tensor | None] = [None] * len(mats)
                lam0 = sweep.backward_chunk(final, lam, chunk_mats, list(kept), chunk_grads)
                del final, kept, lam
            # d loss / d psi0 = 2 lambda_0; through the product state to its factors.
            needed = [i for i in range(count) if want_factors[i]]
            if needed:
                with torch.enable_grad():
                    leaves = [f.detach().requires_grad_(i in needed) for i, f in enumerate(factors)]
                    psi0 = prefix.state(prefix.rows(leaves, rows), rows.stop - rows.start)
                    found = torch.autograd.grad(psi0, [leaves[i] for i in needed], 2 * lam0)
                for i, g in zip(needed, found, strict=True):
                    if prefix.per_sample[i]:
                        if factor_grads[i] is None:
                            factor_grads[i] = torch.zeros_like(factors[i])
                        factor_grads[i][rows] = g[rows]  # type: ignore[index]
                    else:
                        current = factor_grads[i]
                        factor_grads[i] = g if current is None else current + g
            del lam0
            for i, chunk_grad in enumerate(chunk_grads):
                if chunk_grad is None:
                    continue
                g = chunk_grad
                if _per_sample(sweep, i):
                    if grads[i] is None:
                        grads[i] = torch.zeros_like(mats[i])
                    grads[i][rows] = g  # type: ignore[index]
                else:
                    current = grads[i]
                    grads[i] = g if current is None else current + g
        for i, m in enumerate(mats):
            if grads[i] is None:
                grads[i] = torch.zeros_like(m)
        return (None, None, None, *factor_grads, *grads)


def _per_sample(sweep: Sweep, index: int) -> bool:
    return sweep.per_sample_matrix[index]
