"""Sparse simulation of a circuit on many computational-basis inputs at once.

A QRAM circuit (built or compiled to a device's ISA) moves basis states around: its gates are
permutations with phases, except the few that briefly put a qubit in superposition (the ``H`` of
a decomposed Toffoli, the ``sx`` of an ISA ``CX``). Its state on a basis input therefore has few
non-zero amplitudes, and all ``2**k`` inputs of its first ``k`` qubits can be simulated together:
each amplitude's key is the basis state plus the input's number, so inputs never interfere.

:func:`simulate_basis_inputs` runs a circuit that way and returns the final sparse state;
:func:`low_width_order` is the gate order it uses (one that finishes what it starts, so few
qubits are in superposition at once: Qiskit's own topological order interleaves the
decompositions of parallel Toffolis and the state grows exponentially in their number).
Diagonal and monomial gates (``rz``, ``cz``, ``x``, ``cx``, ``swap``...) cost one pass over the
state; only gates that create superposition merge equal keys. :mod:`qcompile.qram.known_zero`
reads the ``|0>`` segments of every qubit from the same run, and :mod:`qcompile.qram.verify`
compares the final state of an ISA circuit with the lookup table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from qiskit.circuit import Qubit
from qiskit.dagcircuit import DAGCircuit, DAGOpNode
from qiskit.quantum_info import Operator

__all__ = [
    "NotSparseError",
    "Order",
    "SparseState",
    "low_width_order",
    "simulate_basis_inputs",
]

_ONE = np.uint64(1)
_CUT = 1e-10  # amplitudes below this are rounding noise of cancelled branches
_PASSIVE = ("barrier", "delay")


Order = Literal["low_width", "topological", "insertion"]
"""Gate orders :func:`simulate_basis_inputs` can run in."""


class NotSparseError(Exception):
    """The circuit cannot be simulated sparsely (non-unitary op, or the state grew too big)."""


@dataclass
class SparseState:
    """Non-zero amplitudes over (basis state, input number) keys.

    Attributes:
        keys: ``(S, W)`` uint64: the basis state of the simulated qubits (qubit ``q`` is bit
            ``q % 64`` of word ``q // 64``) in words ``0 .. W-2`` and the input number in the
            last word.
        amps: ``(S,)`` complex amplitudes.
        num_qubits: Simulated qubits.
    """

    keys: np.ndarray
    amps: np.ndarray
    num_qubits: int

    def bit(self, q: int) -> np.ndarray:
        """Value (0/1, uint64) of qubit ``q`` in every key."""
        return (self.keys[:, q >> 6] >> np.uint64(q & 63)) & _ONE

    def is_zero(self, q: int) -> bool:
        """Whether qubit ``q`` is ``|0>`` in every key (for every input)."""
        return not bool(self.bit(q).any())

    def inputs(self) -> np.ndarray:
        """Input number of every key."""
        return self.keys[:, -1]


def _matrix(op: Any, cache: dict[Any, Any]) -> tuple[Any, np.ndarray]:
    """(cache key or None, matrix) of a gate."""
    if not all(isinstance(p, int | float) for p in op.params):  # e.g. a unitary's matrix
        return None, np.asarray(Operator(op).data)
    key = (op.name, op.num_qubits, tuple(float(p) for p in op.params))
    if key not in cache:
        cache[key] = np.asarray(Operator(op).data)
    return key, cache[key]


def _monomial(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(row of each column, its entry) when every column has exactly one non-zero entry."""
    nonzero = np.abs(mat) > 1e-12
    if not (nonzero.sum(axis=0) == 1).all():
        return None
    rows = np.argmax(nonzero, axis=0)
    return rows, mat[rows, np.arange(mat.shape[1])]


def low_width_order(dag: DAGCircuit, opens: Callable[[DAGOpNode], bool]) -> list[DAGOpNode]:
    """A topological order of ``dag``'s op nodes that closes superpositions before opening more.

    A qubit is *open* after an odd number of gates for which ``opens(node)`` holds (one-qubit
    gates that create superposition, such as ``H`` or ``sx``). The next gate is the earliest
    ready gate on an open qubit, or the earliest gate blocking one; only when no qubit is open
    does the order move on to the earliest ready gate.

    Args:
        dag: The circuit.
        opens: Whether a one-qubit node opens (or closes) a superposition on its qubit.

    Returns:
        Every op node, in an order that respects the circuit's dependencies.
    """
    topo = [node for node in dag.topological_op_nodes() if isinstance(node, DAGOpNode)]
    rank = {node: i for i, node in enumerate(topo)}
    wires: dict[Qubit, list[DAGOpNode]] = {q: [] for q in dag.qubits}
    for node in topo:
        for q in node.qargs:
            wires[q].append(node)
    head = dict.fromkeys(wires, 0)
    done: set[DAGOpNode] = set()
    open_qubits: dict[Qubit, int] = {}  # qubit -> rank of the gate that opened it

    def ready(node: DAGOpNode) -> bool:
        return all(wires[q][head[q]] is node for q in node.qargs)

    def blocker(node: DAGOpNode) -> DAGOpNode:
        while not ready(node):
            node = min((wires[q][head[q]] for q in node.qargs), key=rank.__getitem__)
        return node

    order: list[DAGOpNode] = []
    cursor = 0
    while len(order) < len(topo):
        if open_qubits:
            q = min(open_qubits, key=open_qubits.__getitem__)
            node = blocker(wires[q][head[q]])
        else:
            while topo[cursor] in done:
                cursor += 1
            node = blocker(topo[cursor])
        order.append(node)
        done.add(node)
        for q in node.qargs:
            head[q] += 1
            if head[q] == len(wires[q]):
                open_qubits.pop(q, None)
        if len(node.qargs) == 1 and opens(node):
            q = node.qargs[0]
            if q in open_qubits:
                del open_qubits[q]
            elif head[q] < len(wires[q]):
                open_qubits[q] = rank[node]
    return order


class _Simulator:
    """The state and the gate kernels of :func:`simulate_basis_inputs`."""

    def __init__(
        self, num_qubits: int, num_inputs: int, max_support: int, max_work: int | None
    ) -> None:
        words = (num_qubits + 63) // 64 + 1
        inputs = np.arange(1 << num_inputs, dtype=np.uint64)
        keys = np.zeros((len(inputs), words), dtype=np.uint64)
        for q in range(num_inputs):  # input x puts bit q of x on qubit q
            keys[:, q >> 6] |= ((inputs >> np.uint64(q)) & _ONE) << np.uint64(q & 63)
        keys[:, -1] = inputs
        self.state = SparseState(keys, np.ones(len(inputs), dtype=complex), num_qubits)
        self.packed = np.uint64(num_qubits) if num_qubits + num_inputs <= 64 else None
        self.max_support = max_support
        self.max_work = max_work
        self.work = 0
        self.cache: dict[Any, Any] = {}
        self.kinds: dict[Any, tuple[np.ndarray, np.ndarray] | None] = {}

    def apply(self, key: Any, mat: np.ndarray, qubits: Sequence[int]) -> None:
        state = self.state
        keys = state.keys
        local = np.zeros(len(keys), dtype=np.int64)
        for j, q in enumerate(qubits):
            local |= state.bit(q).astype(np.int64) << j
        self.work += len(keys)
        if self.max_work is not None and self.work > self.max_work:
            raise NotSparseError(f"the simulation passed its work bound ({self.max_work})")
        if key is None:
            mono = _monomial(mat)
        elif key in self.kinds:
            mono = self.kinds[key]
        else:
            mono = self.kinds[key] = _monomial(mat)
        if mono is not None:
            rows, entries = mono
            state.amps = state.amps * entries[local]
            moved = rows[local]
            if (moved != local).any():
                keys = keys.copy()
                for j, q in enumerate(qubits):
                    w, b = q >> 6, np.uint64(q & 63)
                    keys[:, w] &= ~(_ONE << b)
                    keys[:, w] |= ((moved >> j) & 1).astype(np.uint64) << b
                state.keys = keys
            return
        rest = keys.copy()
        for q in qubits:
            rest[:, q >> 6] &= ~(_ONE << np.uint64(q & 63))
        parts_k, parts_a = [], []
        for r in range(mat.shape[0]):
            coeff = mat[r, local]
            keep = np.abs(coeff) > 1e-12
            if not keep.any():
                continue
            out = rest[keep]
            for j, q in enumerate(qubits):
                if (r >> j) & 1:
                    out[:, q >> 6] |= _ONE << np.uint64(q & 63)
            parts_k.append(out)
            parts_a.append(coeff[keep] * state.amps[keep])
        cat_k = np.ascontiguousarray(np.concatenate(parts_k))
        cat_a = np.concatenate(parts_a)
        if self.packed is not None:  # state and input fit one word: a fast integer sort
            flat = cat_k[:, 0] | (cat_k[:, -1] << self.packed)
        else:
            flat = cat_k.view(np.dtype((np.void, cat_k.dtype.itemsize * cat_k.shape[1]))).ravel()
        _, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
        amps = np.bincount(inverse, weights=cat_a.real) + 1j * np.bincount(
            inverse, weights=cat_a.imag
        )
        live = np.abs(amps) > _CUT
        state.keys, state.amps = cat_k[first][live], amps[live]
        if len(state.keys) > self.max_support:
            raise NotSparseError(f"the sparse state grew past {self.max_support} amplitudes")


def _insertion_key(node: Any) -> str:
    return f"{node._node_id:012d}"


def _run_openers(dag: DAGCircuit, cache: dict[Any, Any]) -> set[DAGOpNode]:
    """One-qubit nodes after which their run of one-qubit gates turns (non-)monomial.

    A run is the stretch of one-qubit gates between two multi-qubit gates on a wire; a
    ``rz sx rz sx rz`` run of an ISA circuit opens a superposition once, not twice.
    """
    openers: set[DAGOpNode] = set()
    for q in dag.qubits:
        product: np.ndarray | None = None
        for node in dag.nodes_on_wire(q, only_ops=True):
            op = node.op
            if op.name in _PASSIVE:
                continue
            if op.num_qubits != 1 or node.cargs:
                product = None
                continue
            try:
                mat = _matrix(op, cache)[1]
            except Exception:  # not a unitary: the simulation will say so
                continue
            before = product is None or _monomial(product) is not None
            product = mat if product is None else mat @ product
            if before != (_monomial(product) is not None):
                openers.add(node)
    return openers


def simulate_basis_inputs(
    dag: DAGCircuit,
    num_inputs: int,
    *,
    qubit_index: dict[Qubit, int] | None = None,
    max_support: int = 1 << 18,
    max_work: int | None = None,
    on_gate: Callable[[list[DAGOpNode], list[np.ndarray] | None, SparseState], None] | None = None,
    matrix_of: Callable[[Any], np.ndarray | None] | None = None,
    order: Order = "low_width",
) -> SparseState:
    """Runs ``dag`` on every basis input of its first ``num_inputs`` simulated qubits.

    Runs of one-qubit gates on a wire are applied as one matrix.

    Args:
        dag: Bound unitary gates (barriers and delays are skipped).
        num_inputs: Simulated qubits ``0 .. num_inputs-1`` take every basis value; the others
            start in ``|0>``.
        qubit_index: Simulated position of each of ``dag``'s qubits. Defaults to the DAG's own
            qubit order.
        max_support: Give up when the state holds more amplitudes than this. Defaults to
            ``2**18``.
        max_work: Give up when more than this many amplitude updates were made (a time bound).
            Defaults to no bound.
        on_gate: Called after each applied gate with the nodes it stands for (several for a
            fused one-qubit run, delays included), the run's prefix products (None for a
            multi-qubit gate) and the state.
        matrix_of: The matrix of a multi-qubit gate, or None for its ``Operator`` (e.g. a
            lookup written from its table). Defaults to ``Operator`` for every gate.
        order: ``low_width`` (:func:`low_width_order`, the default), ``topological``
            (Qiskit's) or ``insertion`` (topological, ties broken by the order in which the
            nodes were added to ``dag``: a decomposition's gates stay together).

    Returns:
        The final state (amplitudes below ``1e-10`` dropped).

    Raises:
        NotSparseError: A gate is not unitary or has unbound parameters, or a bound was hit.
    """
    index = qubit_index if qubit_index is not None else {q: k for k, q in enumerate(dag.qubits)}
    width = max(index.values(), default=-1) + 1
    sim = _Simulator(max(width, num_inputs), num_inputs, max_support, max_work)
    pending: dict[Qubit, tuple[list[DAGOpNode], list[np.ndarray]]] = {}

    def flush(q: Qubit) -> None:
        nodes, prefixes = pending.pop(q)
        if prefixes:
            sim.apply(None, prefixes[-1], [index[q]])
        if on_gate is not None:
            on_gate(nodes, prefixes, sim.state)

    if order == "low_width":
        nodes = low_width_order(dag, _run_openers(dag, sim.cache).__contains__)
    else:
        key = _insertion_key if order == "insertion" else None
        nodes = [n for n in dag.topological_op_nodes(key=key) if isinstance(n, DAGOpNode)]
    for node in nodes:
        op = node.op
        if op.name == "barrier":
            continue
        if node.cargs or getattr(op, "condition", None) is not None:
            raise NotSparseError(f"{op.name!r} is not a unitary gate")
        if op.name == "delay" or op.num_qubits == 1:
            q = node.qargs[0]
            nodes, prefixes = pending.setdefault(q, ([], []))
            nodes.append(node)
            if op.name != "delay":
                try:
                    mat = _matrix(op, sim.cache)[1]
                except Exception as exc:  # measurements, resets, unbound parameters
                    raise NotSparseError(f"cannot simulate {op.name!r}: {exc}") from None
                prefixes.append(mat @ prefixes[-1] if prefixes else mat)
            elif prefixes:
                prefixes.append(prefixes[-1])
            else:
                prefixes.append(np.eye(2, dtype=complex))
            continue
        for q in node.qargs:
            if q in pending:
                flush(q)
        special = matrix_of(op) if matrix_of is not None else None
        try:
            key, mat = (None, special) if special is not None else _matrix(op, sim.cache)
        except Exception as exc:  # measurements, resets, control flow, unbound parameters
            raise NotSparseError(f"cannot simulate {op.name!r}: {exc}") from None
        sim.apply(key, mat, [index[q] for q in node.qargs])
        if on_gate is not None:
            on_gate([node], None, sim.state)
    for q in list(pending):
        flush(q)
    return sim.state
