"""The fused ops' matrices, built with torch from the gates' ``2x2`` matrices (autograd-tracked).

An op's matrix is ``(batch?, 2**c, 2**t, 2**t)``: one ``2**t``-square matrix per control value
(:mod:`runtime.simulators.statevector.plan`). Its gates, in order, form *stages*, each a few
torch ops on small tensors:

* ``kron``: uncontrolled gates between two other stages: per target qubit the product of
  its chain, then one Kronecker product (an ``einsum``) of those factors;
* ``fixed``: a run of parameter-free controlled gates, one constant matrix (numpy, once);
* ``layer``: parametrised controlled gates on the same target bit and in-block controls
  whose control values do not overlap (a lookup's entries), applied together as one ``2x2``
  per control value on the matrix's rows.

Ops on one qubit without controls, the most common kind, are built together: one batched
product per position in their gate chains. The engine's sweep returns the loss gradient
with respect to these matrices, and torch's autograd carries it through this construction
to the angles and the parameters, so any angle expression is differentiated exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from runtime.simulators.statevector.plan import GateRef, Op

__all__ = ["OpBuilder"]


def _mul2(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` for batches of ``2x2`` matrices, elementwise (batched GEMM is slow for them)."""
    return (a.unsqueeze(-1) * b.unsqueeze(-3)).sum(-2)


@dataclass
class _Layer:
    """Controlled gates on one target bit with disjoint control values; see the module docstring."""

    bit: int
    inner: tuple[tuple[int, int], ...]
    mask: np.ndarray
    comps: np.ndarray  # per control value: component index, or -1 (identity)
    rows: torch.Tensor | None = None
    index: torch.Tensor | None = None


@dataclass
class _Kron:
    """Per target bit, the chain of uncontrolled gates (component indices, in order)."""

    chains: dict[int, list[int]] = field(default_factory=dict)


def _gate_mask(op: Op, gate: GateRef) -> tuple[int, tuple[tuple[int, int], ...], np.ndarray]:
    """The gate's target bit, in-block controls and control-value mask in ``op``."""
    values = np.arange(1 << len(op.controls))
    bit = op.targets.index(gate.target)
    inner = tuple(sorted((op.targets.index(q), s) for q, s in gate.controls if q in op.targets))
    mask = np.ones(len(values), dtype=bool)
    for q, state in gate.controls:
        if q in op.controls:
            mask &= ((values >> op.controls.index(q)) & 1) == state
    return bit, inner, mask


def _rows(dim: int, bit: int, inner: tuple[tuple[int, int], ...]) -> np.ndarray | None:
    """Rows where the in-block controls hold, in the ``(dim >> (bit+1), 2, 1 << bit)`` view."""
    if not inner:
        return None
    rows = np.ones(dim, dtype=bool)
    for position, state in inner:
        rows &= ((np.arange(dim) >> position) & 1) == state
    return rows.reshape(dim >> (bit + 1), 2, 1 << bit)


def _apply_rows(m: np.ndarray, g: np.ndarray, bit: int, rows: np.ndarray | None) -> np.ndarray:
    """``g`` (per control value ``(2**c, 2, 2)``) on row bit ``bit`` of ``m`` (numpy)."""
    cv, dim = m.shape[0], m.shape[-1]
    view = m.reshape(cv, dim >> (bit + 1), 2, 1 << bit, dim)
    new = np.einsum("cij,cajbk->caibk", g, view)
    if rows is not None:
        new = np.where(rows[None, ..., None], new, view)
    return new.reshape(cv, dim, dim)


def _stages(op: Op, fixed: Mapping[int, np.ndarray]) -> list[object]:
    """The op's gates as kron, fixed and layer stages (see the module docstring)."""
    c, dim = len(op.controls), 1 << len(op.targets)
    stages: list[object] = []
    for gate in op.gates:
        bit, inner, mask = _gate_mask(op, gate)
        if not gate.controls:
            if not stages or not isinstance(stages[-1], _Kron):
                stages.append(_Kron())
            kron = stages[-1]
            assert isinstance(kron, _Kron)
            kron.chains.setdefault(bit, []).append(gate.comp)
            continue
        if gate.comp in fixed:
            if not stages or not isinstance(stages[-1], np.ndarray):
                stages.append(np.broadcast_to(np.eye(dim, dtype=complex), (1 << c, dim, dim)))
            g = np.where(mask[:, None, None], fixed[gate.comp][None], np.eye(2)[None])
            stages[-1] = _apply_rows(np.asarray(stages[-1]), g, bit, _rows(dim, bit, inner))
            continue
        joined = False
        for stage in reversed(stages):
            if not isinstance(stage, _Layer):
                break
            if (stage.mask & mask).any():
                break
            if (stage.bit, stage.inner) == (bit, inner):
                stage.mask |= mask
                stage.comps[mask] = gate.comp
                joined = True
                break
        if not joined:
            comps = np.full(1 << c, -1, dtype=np.int64)
            comps[mask] = gate.comp
            stages.append(_Layer(bit, inner, mask.copy(), comps))
    for i, stage in enumerate(stages):
        if isinstance(stage, _Layer):
            rows = _rows(dim, stage.bit, stage.inner)
            stage.rows = None if rows is None else torch.from_numpy(rows)
        elif isinstance(stage, np.ndarray):
            stages[i] = torch.from_numpy(np.ascontiguousarray(stage))
    return stages


class OpBuilder:
    """Builds every op matrix of a plan from the gates' matrices.

    Args:
        ops: The ops whose matrices are built (perm ops are skipped by the caller).
        fixed: The parameter-free components' matrices, by component index.
    """

    def __init__(self, ops: Sequence[Op], fixed: Mapping[int, np.ndarray]) -> None:
        self.ops = list(ops)
        # One-qubit uncontrolled ops, grouped by (per sample, chain length).
        self._chains: dict[tuple[bool, int], list[int]] = {}
        self._general: list[tuple[int, list[object]]] = []
        for i, op in enumerate(self.ops):
            if not op.controls and len(op.targets) == 1:
                self._chains.setdefault((op.per_sample, len(op.gates)), []).append(i)
            else:
                self._general.append((i, _stages(op, fixed)))
        self._chain_comps = {
            key: torch.tensor([[g.comp for g in self.ops[i].gates] for i in idx]).T.contiguous()
            for key, idx in self._chains.items()
        }
        # Where each op's matrix lies in build()'s list: (group, slot), slot None for a
        # group of one op; chain groups hold (batch?, ops, 1, 2, 2).
        self.where: list[tuple[int, int | None]] = [(0, None)] * len(self.ops)
        self.group_per_sample: list[bool] = []
        for (per_sample, _), idx in self._chains.items():
            for j, i in enumerate(idx):
                self.where[i] = (len(self.group_per_sample), j)
            self.group_per_sample.append(per_sample)
        for i, _ in self._general:
            self.where[i] = (len(self.group_per_sample), None)
            self.group_per_sample.append(self.ops[i].per_sample)

    def matrix(self, groups: Sequence[torch.Tensor], op: int) -> torch.Tensor:
        """Op ``op``'s matrix from :meth:`build`'s groups."""
        group, slot = self.where[op]
        return groups[group] if slot is None else groups[group].select(-4, slot)

    def build(self, sample_comps: torch.Tensor, shared_comps: torch.Tensor) -> list[torch.Tensor]:
        """The ops' matrices by group (see :attr:`where` and :meth:`matrix`).

        An op's matrix is ``(batch, 2**c, 2**t, 2**t)``, or ``(2**c, 2**t, 2**t)`` if shared.

        Args:
            sample_comps: Every gate matrix per sample, ``(batch, gates, 2, 2)``: the
                per-sample components, then the shared ones.
            shared_comps: The shared components alone, ``(shared, 2, 2)``; a
                component's index past the per-sample ones points here.
        """
        out: list[torch.Tensor] = []
        batch = sample_comps.shape[0]
        offset = sample_comps.shape[1] - shared_comps.shape[0]
        for per_sample, length in self._chains:
            mats = None
            for position in self._chain_comps[(per_sample, length)]:
                g = (
                    sample_comps.index_select(1, position)
                    if per_sample
                    else shared_comps.index_select(0, position - offset)
                )
                mats = g if mats is None else _mul2(g, mats)
            assert mats is not None
            out.append(mats.unsqueeze(-3))
        if not self._general:
            return out
        eye = torch.eye(2, dtype=torch.complex128)
        identity = sample_comps.shape[1]
        with_eye = torch.cat([sample_comps, eye.expand(batch, 1, 2, 2)], dim=1)
        shared_eye = torch.cat([shared_comps, eye[None]], dim=0)

        def comp(index: int) -> torch.Tensor:
            return sample_comps[:, index] if index < offset else shared_comps[index - offset]

        for i, stages in self._general:
            op = self.ops[i]
            c, t = len(op.controls), len(op.targets)
            dim = 1 << t
            m: torch.Tensor | None = None
            for stage in stages:
                if isinstance(stage, _Kron):
                    factors: list[object] = []
                    batched = False
                    for bit in reversed(range(t)):
                        chain = stage.chains.get(bit)
                        f = eye if chain is None else comp(chain[0])
                        for k in (chain or [])[1:]:
                            f = _mul2(comp(k), f)
                        lead = [0] if f.dim() == 3 else []
                        batched |= bool(lead)
                        factors += [f, [*lead, 1 + bit, 1 + t + bit]]
                    out_labels = [*range(t, 0, -1), *range(2 * t, t, -1)]
                    k_mat = torch.einsum(*factors, ([0] if batched else []) + out_labels)
                    k_mat = k_mat.reshape(*k_mat.shape[: 1 if batched else 0], 1, dim, dim)
                    m = k_mat if m is None else k_mat @ m
                elif isinstance(stage, torch.Tensor):
                    m = stage if m is None else stage @ m
                else:
                    assert isinstance(stage, _Layer)
                    if m is None:
                        m = torch.eye(dim, dtype=torch.complex128).expand(1 << c, dim, dim)
                    elif m.shape[-3] != 1 << c:
                        m = m.expand(*m.shape[:-3], 1 << c, dim, dim)
                    if stage.index is None:
                        stage.index = torch.from_numpy(
                            np.where(stage.comps < 0, identity, stage.comps)
                        )
                    if op.per_sample:
                        g = with_eye.index_select(1, stage.index)
                    else:
                        g = shared_eye.index_select(0, stage.index - offset)
                    view = m.reshape(*m.shape[:-2], dim >> (stage.bit + 1), 2, 1 << stage.bit, dim)
                    new = torch.einsum("...cij,...cajbk->...caibk", g, view)
                    if stage.rows is not None:
                        new = torch.where(stage.rows[..., None], new, view)
                    m = new.reshape(*new.shape[:-4], dim, dim)
            assert m is not None
            if m.shape[-3] != 1 << c:
                m = m.expand(*m.shape[:-3], 1 << c, dim, dim)
            out.append(m)
        return out
