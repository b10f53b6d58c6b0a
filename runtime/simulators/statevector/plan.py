"""Fusing a circuit's gates into the few state operations of the fused engine, chosen by cost.

A gate is a (controlled) one-qubit gate reading angle-table slots
(:mod:`runtime.simulators.statevector.gates`). Gates are fused greedily, in circuit order,
into :class:`Op` values of two kinds:

* ``dense``: a matrix on the sorted ``targets``, one per value of the sorted ``controls``
  (a multiplexer; no controls: one dense ``2**t``-square matrix). It is *shared* when every
  gate in it reads weights only (one matrix for the whole batch, applied as one GEMM),
  otherwise *per sample*. Limits keep each op cheap: shared uncontrolled blocks up to
  ``max_block`` qubits (the cost model of :func:`block_qubits`), multiplexers up to
  :data:`MUX_TARGETS` targets and :data:`MUX_CONTROLS` controls, per-sample uncontrolled
  blocks :data:`SAMPLE_BLOCK` qubits.
* ``perm``: fixed (controlled) X gates composed into one basis permutation (a CX chain is
  one gather), used when the register is wider than ``max_block``.

A gate may join any op after the last op touching its qubits (it commutes with everything
in between), so a layer of rotations after an entangler fills a few blocks whatever the
gate order. The plan then drops ops outside the observables' backward light cone and moves
uncontrolled ops on untouched qubits to a *prefix*: the initial product state.

References:
    Villalonga et al., "A flexible high-performance simulator for verifying and
    benchmarking quantum circuits implemented on real hardware", npj Quantum Inf. 5, 86
    (2019), arXiv:1811.09599 (qsim's gate fusion); Suzuki et al., "Qulacs", Quantum 5, 559
    (2021), arXiv:2011.13524.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "MUX_CONTROLS",
    "MUX_TARGETS",
    "SAMPLE_BLOCK",
    "GateRef",
    "Op",
    "Plan",
    "block_qubits",
    "plan_ops",
]

MUX_TARGETS = 3
"""Most target qubits of a multiplexer or per-sample block with controls."""
MUX_CONTROLS = 8
"""Most multiplexing (control) qubits of one op."""
SAMPLE_BLOCK = 1
"""Most target qubits of a per-sample block without controls."""
_SCAN = 12  # ops looked back at when placing a gate


@dataclass(frozen=True)
class GateRef:
    """One gate of the circuit: its component, target and ``(qubit, state)`` controls."""

    comp: int
    target: int
    controls: tuple[tuple[int, int], ...]
    per_sample: bool
    is_x: bool

    @property
    def qubits(self) -> frozenset[int]:
        """Every qubit the gate reads or writes."""
        return frozenset([self.target, *(q for q, _ in self.controls)])


@dataclass
class Op:
    """A fused state operation; see the module docstring."""

    kind: str
    controls: tuple[int, ...] = ()
    targets: tuple[int, ...] = ()
    gates: list[GateRef] = field(default_factory=list)
    per_sample: bool = False
    fresh: bool = False

    @property
    def qubits(self) -> frozenset[int]:
        """Every qubit the op reads or writes."""
        return frozenset(self.controls) | frozenset(self.targets)

    def key(self) -> tuple[object, ...]:
        """Structure and slots: ops with equal keys have equal matrices (built once)."""
        return (self.kind, self.controls, self.targets, tuple(self.gates))


@dataclass(frozen=True)
class Plan:
    """The fused ops: ``prefix`` (product state), then ``main`` in order."""

    prefix: tuple[Op, ...]
    main: tuple[Op, ...]


def block_qubits(num_qubits: int, batch_hint: int = 32) -> int:
    """The largest shared dense block worth building on ``num_qubits`` qubits.

    A dense ``2**k`` block costs ``2**k`` multiply-adds per amplitude in one pass over the
    state; ``k`` one-qubit gates cost ``k`` passes. Measured on one core (complex128 GEMM):
    up to 5 qubits a block costs about one pass; wider states stay memory bound a bit longer
    per pass, so the same limit holds. Small registers fuse completely.

    Args:
        num_qubits: Register width.
        batch_hint: Expected batch. Defaults to 32.
    """
    del batch_hint
    if num_qubits <= 7:
        return num_qubits
    return 4


def _merge(
    op: Op, gate: GateRef, max_block: int, perms: bool
) -> tuple[tuple[int, ...], tuple[int, ...], bool] | None:
    """``(controls, targets, per_sample)`` of ``op`` with ``gate`` merged in, or None.

    A shared gate joins a per-sample op only while that op is *fresh* (on qubits nothing
    touched before: it becomes part of the product state, where it costs nothing);
    elsewhere it would turn a weight-only block (one GEMM) into a per-sample one.
    """
    if op.kind == "perm":
        return (op.controls, op.targets, False) if perms and gate.is_x else None
    if perms and gate.is_x and not gate.qubits <= op.qubits:
        return None
    if gate.target in op.controls:
        return None
    if op.per_sample and not gate.per_sample and not op.fresh:
        return None
    targets = set(op.targets) | {gate.target}
    controls = set(op.controls) | {q for q, _ in gate.controls if q not in targets}
    per_sample = op.per_sample or gate.per_sample
    if controls or per_sample:
        if controls and not gate.qubits & op.qubits:
            return None  # a multiplexer gathers only gates on its own qubits
        limit = MUX_TARGETS if controls else SAMPLE_BLOCK
        if len(targets) > limit or len(controls) > MUX_CONTROLS:
            return None
        if per_sample and not op.per_sample and len(op.targets) > 1:
            return None
    elif len(targets) > max_block:
        return None
    return tuple(sorted(controls)), tuple(sorted(targets)), per_sample


def plan_ops(
    gates: Sequence[GateRef],
    num_qubits: int,
    observed: Iterable[int],
    max_block: int | None = None,
) -> Plan:
    """Fuse ``gates`` (in circuit order) into ops; see the module docstring.

    Args:
        gates: The circuit's gates.
        num_qubits: Register width.
        observed: Qubits the observables act on (the light cone's seed).
        max_block: Widest shared dense block. Defaults to :func:`block_qubits`.
    """
    max_block = block_qubits(num_qubits) if max_block is None else max_block
    perms = num_qubits > max_block
    ops: list[Op] = []
    last = [-1] * num_qubits
    for gate in gates:
        qubits = gate.qubits
        lo = max(last[q] for q in qubits)
        placed = -1
        for index in range(len(ops) - 1, max(lo, len(ops) - 1 - _SCAN, 0) - 1, -1):
            merged = _merge(ops[index], gate, max_block, perms)
            if merged is not None:
                op = ops[index]
                op.fresh = (
                    op.fresh
                    and not merged[0]
                    and all(last[q] < 0 or q in op.qubits for q in qubits)
                )
                op.controls, op.targets, op.per_sample = merged
                op.gates.append(gate)
                placed = index
                break
        if placed < 0:
            if perms and gate.is_x:
                ops.append(Op("perm", (), tuple(sorted(qubits)), [gate]))
            else:
                controls = tuple(sorted(q for q, _ in gate.controls))
                fresh = not controls and all(last[q] < 0 for q in qubits)
                ops.append(Op("dense", controls, (gate.target,), [gate], gate.per_sample, fresh))
            placed = len(ops) - 1
        if ops[placed].kind == "perm":
            ops[placed].targets = tuple(sorted(set(ops[placed].targets) | qubits))
        for q in ops[placed].qubits:
            last[q] = max(last[q], placed)
    # The backward light cone of the observables.
    live = set(observed)
    kept: list[Op] = []
    for op in reversed(ops):
        if op.qubits & live:
            live |= op.qubits
            kept.append(op)
    kept.reverse()
    prefix: list[Op] = []
    main: list[Op] = []
    touched: set[int] = set()
    for op in kept:
        if op.kind == "dense" and not op.controls and not (op.qubits & touched):
            prefix.append(op)
        else:
            main.append(op)
        touched |= op.qubits
    return Plan(tuple(prefix), tuple(main))
