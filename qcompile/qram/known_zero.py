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
unitary. The analysis costs ``2**num_inputs`` times a sparse simulation, so it is skipped (the
swaps are kept) beyond ``max_inputs`` inputs or 63 qubits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit.circuit import Qubit
from qiskit.circuit.library import CXGate
from qiskit.dagcircuit import DAGCircuit, DAGOpNode
from qiskit.quantum_info import Operator
from qiskit.transpiler.basepasses import AnalysisPass, TransformationPass

__all__ = ["KnownZeroAnalysis", "KnownZeroSwaps", "known_zero_segments"]

_PROPERTY = "known_zero_segments"


def _matrix(op: Any, cache: dict[Any, np.ndarray]) -> np.ndarray:
    if not all(isinstance(p, (int, float)) for p in op.params):  # e.g. a unitary's matrix
        return Operator(op).data
    key = (op.name, tuple(float(p) for p in op.params))
    if key not in cache:
        cache[key] = Operator(op).data
    return cache[key]


def known_zero_segments(
    dag: DAGCircuit, num_inputs: int, max_support: int = 1 << 17
) -> dict[Qubit, list[bool]] | None:
    """For each qubit, whether it is ``|0>`` before its first gate and after each of its gates.

    The result is exact in any topological order; the simulation is tried in the order the
    gates were added to ``dag`` and then in Qiskit's default order, since how many qubits are
    in superposition at once (the state's size) depends on it.

    Args:
        dag: A circuit of bound unitary gates (no measurements, no control flow).
        num_inputs: The first ``num_inputs`` qubits are arbitrary inputs; the rest start in
            ``|0>``.
        max_support: Give up (return None) when the simulated state, over all inputs, has
            more non-zero amplitudes than this. Defaults to ``2**17``.

    Returns:
        ``{qubit: [zero before gate 1, zero after gate 1, ...]}``, or None when the circuit is
        too wide to simulate (more than 63 qubits plus input bits), its state grows past
        ``max_support``, or it has a non-unitary op.
    """
    if dag.num_qubits() + num_inputs > 63:
        return None
    # Exact in any topological order, but the state stays small only when each gate group
    # (a decomposed Toffoli) finishes before the next starts; try two orders.
    for order in (_insertion_order, None):  # None: Qiskit's default (by wire) order
        zero = _segments(dag, num_inputs, max_support, order)
        if zero is not None:
            return zero
    return None


def _segments(
    dag: DAGCircuit, num_inputs: int, max_support: int, order: Any
) -> dict[Qubit, list[bool]] | None:
    width = dag.num_qubits()
    index = {q: k for k, q in enumerate(dag.qubits)}
    inputs = np.arange(1 << num_inputs, dtype=np.uint64)
    one = np.uint64(1)
    # Key = basis state of the circuit's qubits | input number << width: no two inputs ever
    # interfere, so "bit q is 0 in every key" is exactly "q is |0> for every input".
    keys = inputs.copy() | (inputs << np.uint64(width))
    amps = np.ones(len(keys), dtype=complex)
    zero: dict[Qubit, list[bool]] = {q: [index[q] >= num_inputs] for q in dag.qubits}
    cache: dict[Any, np.ndarray] = {}
    for node in dag.topological_op_nodes(key=order):
        op = node.op
        if op.name == "barrier":
            continue
        if not hasattr(op, "to_matrix") and getattr(op, "definition", None) is None:
            return None
        try:
            mat = _matrix(op, cache)
        except Exception:  # measurements, resets, control flow, unbound parameters
            return None
        qs = [np.uint64(index[q]) for q in node.qargs]
        local = np.zeros(len(keys), dtype=np.int64)
        mask = np.uint64(0)
        for j, q in enumerate(qs):
            local |= ((keys >> q) & one).astype(np.int64) << j
            mask |= one << q
        rest = keys & ~mask
        parts_k, parts_a = [], []
        for r in range(mat.shape[0]):
            coeff = mat[r, local]
            keep = np.abs(coeff) > 1e-12
            if not keep.any():
                continue
            out = rest[keep]
            for j, q in enumerate(qs):
                if (r >> j) & 1:
                    out = out | (one << q)
            parts_k.append(out)
            parts_a.append(coeff[keep] * amps[keep])
        cat_k, cat_a = np.concatenate(parts_k), np.concatenate(parts_a)
        keys, inverse = np.unique(cat_k, return_inverse=True)
        amps = np.bincount(inverse, weights=cat_a.real, minlength=len(keys)) + 1j * np.bincount(
            inverse, weights=cat_a.imag, minlength=len(keys)
        )
        live = np.abs(amps) > 1e-10
        keys, amps = keys[live], amps[live]
        if len(keys) > max_support:
            return None
        for q in node.qargs:
            zero[q].append(not bool(((keys >> np.uint64(index[q])) & one).any()))
    return zero


def _insertion_order(node: DAGOpNode) -> str:
    return f"{node._node_id:012d}"


class KnownZeroAnalysis(AnalysisPass):
    """Store :func:`known_zero_segments` of the (virtual) circuit in the property set."""

    def __init__(self, num_inputs: int, max_inputs: int = 12) -> None:
        """Create the pass.

        Args:
            num_inputs: How many leading qubits are arbitrary inputs (for a QRAM construction:
                ``n + b``, its address and target).
            max_inputs: Skip the analysis beyond this many inputs. Defaults to 12.
        """
        super().__init__()
        self.num_inputs = num_inputs
        self.max_inputs = max_inputs

    def run(self, dag: DAGCircuit) -> None:
        """Analyse ``dag``."""
        has_swap = any(node.op.name == "swap" for node in dag.op_nodes())
        if self.num_inputs > self.max_inputs or has_swap:
            self.property_set[_PROPERTY] = None
            return
        self.property_set[_PROPERTY] = known_zero_segments(dag, self.num_inputs)


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
