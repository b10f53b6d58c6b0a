"""Fused blocks made ready to run, and the split into a product-state prefix and the rest.

A :class:`Prepared` block knows how it is applied to the real-split, batch-innermost state
``(re/im, 2**n, batch)``: an uncontrolled block directly (``plain``), a multiplexer with at
most two control values set slice by slice (``slice``), others on all values at once, on the
state as it lies when their controls are consecutive qubits (``strided``), else on a copy
with the controls leading (``perm``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from runtime.simulators.statevector.fusion import Block

__all__ = ["BlockSequence", "Prepared", "split_prefix"]

# A block with at most this many non-identity control values is applied slice by slice;
# above, the state is permuted so the controls lead and all values are applied at once.
_SLICE_MAX = 2


class Prepared:
    """A block ready to run: static layout facts plus, per call, its matrices."""

    def __init__(self, block: Block, num_qubits: int, comp_pos: dict[int, int]) -> None:
        n = num_qubits
        self.source = block
        self.kind = block.kind
        self.qubits = frozenset(block.qubits)
        if block.kind == "perm":
            assert block.index is not None
            self.index = torch.from_numpy(block.index.astype(np.int64))
            self.inverse = torch.from_numpy(np.argsort(block.index).astype(np.int64))
            return
        self.target = block.target
        self.controls = block.controls
        c = len(block.controls)
        self.num_values = 1 << c
        values: set[int] = set()
        for _, value in block.parts:
            values.update(range(self.num_values) if value is None else [value])
        self.active = sorted(values)
        self.parametric = any(comp.kind != "fixed" for comp, _ in block.parts)
        self.real = all(
            comp.kind == "ry"
            or (comp.kind == "fixed" and np.allclose(np.imag(np.asarray(comp.matrix)), 0.0))
            for comp, _ in block.parts
        )
        self.parts = [
            (comp_pos[id(comp)], None if value is None else value) for comp, value in block.parts
        ]
        self.mode = "plain" if c == 0 else ("slice" if len(self.active) <= _SLICE_MAX else "perm")
        if self.mode == "perm":
            # The permuted kernel applies a matrix to every control value (identity if unset).
            self.active = list(range(self.num_values))
        self.groups = _part_groups(self.parts, self.active)
        t = block.target
        ctrl = block.controls
        if self.mode == "perm" and ctrl == tuple(range(ctrl[0], ctrl[0] + c)):
            # Consecutive controls are one axis of the state as it lies: no permutation.
            self.mode = "strided"
            self.below = t < ctrl[0]
            if self.below:
                self.sizes = (1 << (n - 1 - ctrl[-1]), 1 << (ctrl[0] - 1 - t), 1 << t)
            else:
                self.sizes = (1 << (n - 1 - t), 1 << (t - 1 - ctrl[-1]), 1 << ctrl[0])
        if self.mode == "plain":
            self.hi, self.lo = 1 << (n - 1 - t), 1 << t
        elif self.mode == "perm":
            axis = {q: 2 + (n - 1 - q) for q in range(n)}
            rest = [q for q in range(n - 1, -1, -1) if q not in block.controls]
            self.dims = (
                0,
                1,
                *(axis[q] for q in reversed(block.controls)),
                *(axis[q] for q in rest),
                n + 2,
            )
            before = rest.index(t)
            self.hi, self.lo = 1 << before, 1 << (len(rest) - 1 - before)
        else:
            rest = [q for q in range(n - 1, -1, -1) if q not in block.controls]
            self.slice_axis = 2 + rest.index(t)
            self.slices = []
            for value in self.active:
                index: list[Any] = [slice(None)] * (n + 3)
                for j, q in enumerate(block.controls):
                    index[2 + (n - 1 - q)] = (value >> j) & 1
                self.slices.append(tuple(index))
        if not self.parametric:
            self.fixed = _fixed_matrices(block, self.num_values)


@dataclass(frozen=True)
class _Group:
    """Consecutive parts of a block, for the chain rule.

    One part on every control value (``rows`` None) or parts on distinct control values
    (``rows``: their active indices).
    """

    positions: torch.Tensor
    rows: torch.Tensor | None


def _part_groups(parts: list[tuple[int, int | None]], active: list[int]) -> list[_Group]:
    where = {v: i for i, v in enumerate(active)}
    groups: list[_Group] = []
    run: list[tuple[int, int]] = []

    def flush() -> None:
        if run:
            groups.append(
                _Group(
                    torch.tensor([p for p, _ in run], dtype=torch.int64),
                    torch.tensor([r for _, r in run], dtype=torch.int64),
                )
            )
            run.clear()

    for pos, value in parts:
        if value is None:
            flush()
            groups.append(_Group(torch.tensor([pos], dtype=torch.int64), None))
            continue
        if any(r == where[value] for _, r in run):
            flush()
        run.append((pos, where[value]))
    flush()
    return groups


def _fixed_matrices(block: Block, num_values: int) -> torch.Tensor:
    """The constant matrices of a parameter-free block, ``(1, values, 2, 2)`` complex."""
    mats = np.broadcast_to(np.eye(2, dtype=complex), (num_values, 2, 2)).copy()
    for comp, value in block.parts:
        assert comp.matrix is not None
        targets = range(num_values) if value is None else [value]
        for v in targets:
            mats[v] = comp.matrix @ mats[v]
    return torch.from_numpy(mats[None])


@dataclass(frozen=True)
class BlockSequence:
    """Blocks to run: a product-state ``prefix`` and the ``main`` blocks.

    The prefix holds each qubit's first block when that is an uncontrolled one-qubit block:
    it commutes to the front, so it only prepares the product state ``(x)_q M_q |0>``.
    """

    prefix: list[Prepared]
    main: list[Prepared]


def split_prefix(blocks: list[Prepared]) -> BlockSequence:
    """Split ``blocks`` into the product-state prefix and the main blocks."""
    touched: set[int] = set()
    prefix: list[Prepared] = []
    main: list[Prepared] = []
    for block in blocks:
        if block.kind == "mat" and block.mode == "plain" and block.target not in touched:
            prefix.append(block)
        else:
            main.append(block)
        touched |= block.qubits
    return BlockSequence(prefix, main)
