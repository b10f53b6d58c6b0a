"""Cheaper routing SWAPs where a qubit is known to hold ``|0>``.

A QRAM circuit keeps most of its qubits in ``|0>`` most of the time: ports off the signal's
path, routers before their address bit arrives, address qubits whose bit has moved into the
tree, the device's unused qubits. A SWAP that routing inserts between such a qubit and another
one is a *move* (``CX(a -> z) . CX(z -> a)``, 2 CX instead of 3), and a SWAP of two ``|0>``
qubits does nothing at all. Qiskit's router cannot know this; these two passes use it:

* :class:`KnownZeroAnalysis` (before layout) runs the circuit exactly on every basis input of
  its first ``num_inputs`` qubits (the others start in ``|0>``), all inputs at once in a sparse
  numpy simulation, and records after each gate on each qubit whether the qubit is ``|0>`` for
  *every* input (so for every state of the inputs, by linearity).
* :class:`KnownZeroSwaps` (after routing) walks the routed circuit, follows each virtual qubit
  through the SWAPs to find which stretch of its wire a SWAP sits on, and replaces SWAPs with
  a ``|0>`` side by moves, or removes them when both sides are ``|0>``.

The result equals the routed circuit on every input whose other qubits start in ``|0>`` (the
relative-phase Toffolis of the lean brigade already rely on the same promise), not as a full
unitary. The analysis costs ``2**num_inputs`` times a sparse simulation
(:mod:`qcompile.qram.sparse_sim`), so it is skipped (the swaps are kept) beyond ``max_inputs``
inputs, and it gives up when the simulation passes its size or work bound.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from qiskit.circuit import Qubit
from qiskit.circuit.library import CXGate
from qiskit.dagcircuit import DAGCircuit, DAGOpNode
from qiskit.transpiler.basepasses import AnalysisPass, TransformationPass

from qcompile.qram.sparse_sim import NotSparseError, Order, SparseState, simulate_basis_inputs

__all__ = ["KnownZeroAnalysis", "KnownZeroSwaps", "known_zero_segments"]

_PROPERTY = "known_zero_segments"


def known_zero_segments(
    dag: DAGCircuit,
    num_inputs: int,
    max_support: int = 1 << 17,
    max_work: int = 1 << 22,
    orders: tuple[Order, ...] = ("insertion", "low_width"),
) -> dict[Qubit, list[bool]] | None:
    """For each qubit, whether it is ``|0>`` before its first gate and after each of its gates.

    The simulation (:func:`qcompile.qram.sparse_sim.simulate_basis_inputs`) is tried in the
    order the gates were added to ``dag`` (a decomposed Toffoli's gates stay together) and then
    in :func:`~qcompile.qram.sparse_sim.low_width_order`
    (how many qubits are in superposition at once, so the state's size, depends on the order;
    which order is smaller depends on the circuit). The result is exact in any order.

    Args:
        dag: A circuit of bound unitary gates (no measurements, no control flow).
        num_inputs: The first ``num_inputs`` qubits are arbitrary inputs; the rest start in
            ``|0>``.
        max_support: Give up on an order when the simulated state, over all inputs, has more
            non-zero amplitudes than this. Defaults to ``2**17``.
        max_work: Give up on an order after this many amplitude updates (a bound on its time:
            ``2**22`` is about a second). Defaults to ``2**22``.
        orders: The gate orders to try, in turn (see
            :func:`~qcompile.qram.sparse_sim.simulate_basis_inputs`). Defaults to insertion,
            then low width.

    Returns:
        ``{qubit: [zero before gate 1, zero after gate 1, ...]}``, or None when the circuit
        has a non-unitary op or both orders hit a bound.
    """
    index = {q: k for k, q in enumerate(dag.qubits)}
    gates = {
        q: sum(1 for n in dag.nodes_on_wire(q, only_ops=True) if n.op.name != "barrier")
        for q in dag.qubits
    }
    for order in orders:
        zero: dict[Qubit, list[bool]] = {q: [index[q] >= num_inputs] for q in dag.qubits}

        def record(
            nodes: list[DAGOpNode],
            prefixes: list[np.ndarray] | None,
            state: SparseState,
            zero: dict[Qubit, list[bool]] = zero,
        ) -> None:
            if prefixes is None:  # one multi-qubit gate
                for q in nodes[0].qargs:
                    zero[q].append(state.is_zero(index[q]))
                return
            # A fused one-qubit run: exact after each gate when the qubit entered it in |0>
            # (then only column 0 of the prefix matters); else unknown (False) until its end.
            q = nodes[0].qargs[0]
            entered = zero[q][-1]
            for prefix in prefixes[:-1]:
                zero[q].append(entered and abs(prefix[1, 0]) < 1e-12)
            zero[q].append(state.is_zero(index[q]))

        try:
            simulate_basis_inputs(
                dag,
                num_inputs,
                max_support=max_support,
                max_work=max_work,
                on_gate=record,
                order=order,
            )
        except NotSparseError:
            continue
        # One flag per gate, as KnownZeroSwaps counts them.
        if all(len(flags) == 1 + gates[q] for q, flags in zero.items()):
            return zero
        return None
    return None


def _fingerprint(dag: DAGCircuit, num_inputs: int) -> int:
    """A hash of the gates, their parameters and qubit indices, in topological order."""
    index = {q: k for k, q in enumerate(dag.qubits)}
    return hash(
        (
            num_inputs,
            dag.num_qubits(),
            tuple(
                (node.op.name, tuple(map(str, node.op.params)), tuple(index[q] for q in node.qargs))
                for node in dag.topological_op_nodes()
            ),
        )
    )


class KnownZeroAnalysis(AnalysisPass):
    """Store :func:`known_zero_segments` of the (virtual) circuit in the property set."""

    def __init__(self, num_inputs: int, max_inputs: int = 12, max_work: int = 1 << 22) -> None:
        """Create the pass.

        Args:
            num_inputs: How many leading qubits are arbitrary inputs (for a QRAM construction:
                ``n + b``, its address and target).
            max_inputs: Skip the analysis beyond this many inputs. Defaults to 12.
            max_work: Work bound per gate order (see :func:`known_zero_segments`); 0 skips
                the analysis. Defaults to ``2**22``.
        """
        super().__init__()
        self.num_inputs = num_inputs
        self.max_inputs = max_inputs
        self.max_work = max_work

    _cache: ClassVar[dict[int, list[list[bool]] | None]] = {}
    """Results by circuit fingerprint: the candidates of one compilation share the circuit
    before layout, so the analysis runs once for all of them."""

    def run(self, dag: DAGCircuit) -> None:
        """Analyse ``dag``."""
        has_swap = any(node.op.name == "swap" for node in dag.op_nodes())
        if self.num_inputs > self.max_inputs or has_swap or not self.max_work:
            self.property_set[_PROPERTY] = None
            return
        key = hash((_fingerprint(dag, self.num_inputs), self.max_work))
        if key not in self._cache:
            # One order: low width only pays on circuits whose analysis is too slow anyway.
            zero = known_zero_segments(
                dag,
                self.num_inputs,
                max_support=1 << 16,
                max_work=self.max_work,
                orders=("insertion",),
            )
            if len(self._cache) >= 8:
                self._cache.clear()
            self._cache[key] = None if zero is None else [zero[q] for q in dag.qubits]
        flags = self._cache[key]
        self.property_set[_PROPERTY] = (
            None if flags is None else dict(zip(dag.qubits, (list(f) for f in flags), strict=True))
        )


class KnownZeroSwaps(TransformationPass):
    """Turn routing SWAPs next to a known ``|0>`` into moves, or drop them (see module doc).

    Needs ``KnownZeroAnalysis`` earlier in the same pass manager (before layout) and the
    ``layout`` property; without them it changes nothing. ``property_set["known_zero_swaps"]``
    records ``(moves, removed)``.
    """

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        """Rewrite the routed ``dag``."""
        zero = self.property_set[_PROPERTY]
        layout = self.property_set["layout"]
        if zero is None or layout is None:
            return dag
        virt: dict[int, Qubit | None] = {p: None for p in range(dag.num_qubits())}
        for v, p in layout.get_virtual_bits().items():
            virt[p] = v
        count: dict[Qubit, int] = {}

        def is_zero(v: Qubit | None) -> bool:
            if v is None or v not in zero:  # device qubits and added ancillas: only swapped
                return True
            return zero[v][count.get(v, 0)]

        index = {q: k for k, q in enumerate(dag.qubits)}
        moves = removed = 0
        for node in list(dag.topological_op_nodes()):
            assert isinstance(node, DAGOpNode)
            ps = [index[q] for q in node.qargs]
            if node.op.name == "barrier":
                continue
            if node.op.name != "swap":
                for p in ps:
                    v = virt[p]
                    if v is not None:
                        count[v] = count.get(v, 0) + 1
                continue
            p1, p2 = ps
            z1, z2 = is_zero(virt[p1]), is_zero(virt[p2])
            if z1 and z2:
                dag.remove_op_node(node)
                removed += 1
            elif z1 or z2:
                wires = [Qubit(), Qubit()]  # matched to the swap's qargs in order
                a, z = (wires[1], wires[0]) if z1 else (wires[0], wires[1])
                move = DAGCircuit()
                move.add_qubits(wires)
                move.apply_operation_back(CXGate(), (a, z), ())
                move.apply_operation_back(CXGate(), (z, a), ())
                dag.substitute_node_with_dag(node, move, wires=wires)
                moves += 1
            virt[p1], virt[p2] = virt[p2], virt[p1]
        self.property_set["known_zero_swaps"] = (moves, removed)
        return dag
