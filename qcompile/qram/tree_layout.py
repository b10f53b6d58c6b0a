"""Tree-aware initial layout: embed a QRAM's router tree into a sparse coupling graph.

A bucket brigade's qubits interact along a binary tree (bus - root router - ports - child
routers ... leaf ports), with address and target qubits hanging off the bus. Qiskit's default
layouts (VF2 fails on the three-qubit gates, Sabre starts from random layouts) scatter that
tree over a heavy-hex device and routing then pays for it with SWAPs.

:func:`tree_layout` reads the weighted interaction graph of the built circuit (every pair of
qubits sharing a multi-qubit gate, weighted by the CX cost of that gate), grows an embedding
from the heaviest qubit (the bus of a bucket brigade) outwards, placing each next qubit (the one
most strongly tied to those already placed) on the free physical qubit that minimises its
weighted distance to its placed partners, and then improves it by local moves and swaps. It does
this from several physical start qubits and keeps the embedding with the lowest cost
``sum_{(i, j)} w_ij * d(p_i, p_j)`` (coupling-graph shortest-path distances). Nothing in it is
specific to QRAM beyond the choice of start, so it is exact for any circuit: the layout only
relabels qubits and routing restores adjacency.

:class:`TreeLayout` is the same as a Qiskit ``AnalysisPass`` that sets ``property_set["layout"]``.
To compile from the best of several tree layouts, use the compile path's option
``CompileOptions(layouts="tree")`` (:func:`qcompile.pipeline.compile_circuit`), which also runs
the ISA check and writes a report.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import rustworkx as rx
from qiskit.circuit import QuantumCircuit
from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler import CouplingMap, Layout, Target
from qiskit.transpiler.basepasses import AnalysisPass

from hardware_profiles.errors import CompileError
from qcompile.qram.base import CX_COST

__all__ = [
    "TreeLayout",
    "interaction_weights",
    "layout_cost",
    "tree_layout",
    "tree_layouts",
    "two_qubit_count",
]

_DEFAULT_GATE_COST = 2


def interaction_weights(circuit: QuantumCircuit) -> np.ndarray:
    """Symmetric matrix ``w[i, j]``: how strongly qubits ``i`` and ``j`` interact.

    Every multi-qubit gate adds its CX cost (:data:`~qcompile.qram.base.CX_COST`, 2 for unknown
    gates) to each pair of its qubits, so a controlled-SWAP ties its control and both targets.

    Args:
        circuit: Any circuit (control flow is not looked into).

    Returns:
        A ``num_qubits x num_qubits`` float matrix with a zero diagonal.
    """
    index = {q: k for k, q in enumerate(circuit.qubits)}
    w = np.zeros((circuit.num_qubits, circuit.num_qubits))
    for inst in circuit.data:
        qs = [index[q] for q in inst.qubits]
        if len(qs) < 2 or inst.operation.name == "barrier":
            continue
        cost = CX_COST.get(inst.operation.name, _DEFAULT_GATE_COST)
        if inst.operation.name.startswith("cswap"):
            # On a line a controlled-SWAP is cheapest with its control at an end (11 CZ vs 13
            # with the control in the middle), so the two swapped qubits should be neighbours.
            c, a, b = qs
            pairs = [((a, b), cost / 2), ((c, a), cost / 4), ((c, b), cost / 4)]
        else:
            share = cost / (len(qs) * (len(qs) - 1) / 2)
            pairs = [((qs[i], qs[j]), share) for i in range(len(qs)) for j in range(i + 1, len(qs))]
        for (x, y), c_xy in pairs:
            w[x, y] += c_xy
            w[y, x] += c_xy
    return w


def _distances(target: Target | CouplingMap) -> np.ndarray:
    coupling = target if isinstance(target, CouplingMap) else target.build_coupling_map()
    if coupling is None:
        raise CompileError("target has no coupling map (all-to-all): no layout is needed")
    graph = coupling.graph.to_undirected(multigraph=False)
    dist = np.asarray(rx.distance_matrix(graph, null_value=np.inf), dtype=float)
    return dist


def layout_cost(
    weights: np.ndarray, positions: Sequence[int] | np.ndarray, distances: np.ndarray
) -> float:
    """``sum_{i<j} w_ij * d(p_i, p_j)``: the weighted coupling distance of a placement.

    Args:
        weights: From :func:`interaction_weights`.
        positions: Physical qubit of each logical qubit.
        distances: All-pairs shortest-path distances of the coupling graph.

    Returns:
        The cost (``inf`` if some interacting pair sits in disconnected components).
    """
    p = np.asarray(positions)
    sub = distances[np.ix_(p, p)]
    mask = weights > 0
    return float((weights[mask] * sub[mask]).sum() / 2)


def _greedy(
    weights: np.ndarray, dist: np.ndarray, start_logical: int, start_phys: int
) -> np.ndarray:
    n_log = weights.shape[0]
    n_phys = dist.shape[0]
    pos = np.full(n_log, -1)
    free = np.ones(n_phys, dtype=bool)
    pos[start_logical] = start_phys
    free[start_phys] = False
    pull = weights[start_logical].copy()  # tie of each unplaced qubit to the placed ones
    pull[start_logical] = -np.inf
    # Penalise long distances more than linearly, so the embedding stays compact.
    for _ in range(n_log - 1):
        nxt = int(np.argmax(pull))
        placed = np.flatnonzero((weights[nxt] > 0) & (pos >= 0))
        if placed.size:
            score = dist[:, pos[placed]] @ weights[nxt, placed]
        else:  # disconnected from what is placed: stay close to the start
            score = dist[:, start_phys].copy()
        score = np.where(free, score, np.inf)
        # Tie-break towards physical qubits close to the start (keeps the tree's core compact).
        score = score + 1e-3 * np.nan_to_num(dist[:, start_phys], posinf=1e3)
        p = int(np.argmin(score))
        if not np.isfinite(score[p]):
            raise CompileError("the coupling graph has too few connected qubits for the circuit")
        pos[nxt] = p
        free[p] = False
        pull += weights[nxt]
        pull[nxt] = -np.inf
    return pos


def _improve(weights: np.ndarray, dist: np.ndarray, pos: np.ndarray, sweeps: int) -> np.ndarray:
    """Local search: move a qubit to a free physical qubit or swap it with another one."""
    n_log = weights.shape[0]
    n_phys = dist.shape[0]
    pos = pos.copy()
    occupant = np.full(n_phys, -1)
    occupant[pos] = np.arange(n_log)
    nbrs = [np.flatnonzero(weights[i] > 0) for i in range(n_log)]
    for _ in range(sweeps):
        improved = False
        for i in range(n_log):
            ni = nbrs[i]
            if ni.size == 0:
                continue
            wi = weights[i, ni]
            here = float(dist[pos[i], pos[ni]] @ wi)
            cand_cost = dist[:, pos[ni]] @ wi  # cost of i at each physical qubit (others fixed)
            best_delta, best_p = -1e-9, -1
            for p in np.argsort(cand_cost)[:12]:
                p = int(p)
                if p == pos[i] or cand_cost[p] >= here:
                    break
                delta = cand_cost[p] - here
                j = occupant[p]
                if j >= 0:
                    nj = nbrs[j]
                    wj = weights[j, nj]
                    # j moves to pos[i]; the i-j edge (if any) keeps its distance.
                    old_j = float(dist[p, pos[nj]] @ wj)
                    moved = pos.copy()
                    moved[i] = p
                    new_j = float(dist[pos[i], moved[nj]] @ wj)
                    # cand_cost counted i-j at d(p, p)=0; correct it back to d(p, pos[i]).
                    delta += new_j - old_j + weights[i, j] * dist[p, pos[i]]
                if delta < best_delta:
                    best_delta, best_p = delta, p
            if best_p >= 0:
                j = occupant[best_p]
                old = pos[i]
                pos[i] = best_p
                occupant[best_p] = i
                occupant[old] = j
                if j >= 0:
                    pos[j] = old
                improved = True
        if not improved:
            break
    return pos


def _start_qubits(dist: np.ndarray, count: int, seed: int) -> list[int]:
    """Central physical qubits first (small eccentricity), then a few random ones."""
    finite = np.where(np.isfinite(dist), dist, 0.0)
    reach = np.isfinite(dist).sum(axis=1)
    ecc = finite.sum(axis=1) / np.maximum(reach, 1)
    # Prefer the largest connected component, then central qubits.
    order = np.lexsort((ecc, -reach))
    central = [int(p) for p in order[: max(1, count // 2)]]
    rng = np.random.default_rng(seed)
    pool = [int(p) for p in order[: max(count, len(order) // 2)] if int(p) not in central]
    if not pool:
        return central
    extra = rng.choice(pool, size=min(len(pool), count - len(central)), replace=False)
    return central + [int(p) for p in extra]


def _start_logical(circuit: QuantumCircuit, weights: np.ndarray) -> int:
    for reg in circuit.qregs:
        if reg.name == "bus" and reg.size:
            return circuit.find_bit(reg[0]).index
    return int(np.argmax(weights.sum(axis=1)))


def tree_layouts(
    circuit: QuantumCircuit,
    target: Target | CouplingMap,
    *,
    starts: int = 12,
    sweeps: int = 20,
    seed: int = 0,
) -> list[Layout]:
    """Candidate layouts from different physical start qubits, lowest weighted cost first.

    Args:
        circuit: The logical circuit (e.g. a built bucket brigade).
        target: The device (a ``Target`` or its ``CouplingMap``); only the coupling graph is
            used.
        starts: Physical start qubits tried for the greedy growth. Defaults to 12.
        sweeps: Maximum local-search sweeps per start. Defaults to 20.
        seed: Seed for the non-central start qubits. Defaults to 0. The result is
            deterministic for a given seed.

    Returns:
        Distinct layouts, each mapping every virtual qubit of ``circuit`` to a distinct
        physical qubit, sorted by :func:`layout_cost`.

    Raises:
        CompileError: If the circuit does not fit on the target's connected qubits.
    """
    dist = _distances(target)
    if circuit.num_qubits > dist.shape[0]:
        raise CompileError(f"circuit has {circuit.num_qubits} qubits, target only {dist.shape[0]}")
    weights = interaction_weights(circuit)
    root = _start_logical(circuit, weights)
    found: dict[tuple[int, ...], float] = {}
    for phys in _start_qubits(dist, starts, seed):
        pos = _improve(weights, dist, _greedy(weights, dist, root, phys), sweeps)
        cost = layout_cost(weights, pos, dist)
        if np.isfinite(cost):
            found[tuple(int(p) for p in pos)] = cost
    if not found:
        raise CompileError("no finite-cost layout found (disconnected coupling graph?)")
    ranked = sorted(found, key=found.__getitem__)
    return [Layout({circuit.qubits[i]: p for i, p in enumerate(pos)}) for pos in ranked]


def tree_layout(
    circuit: QuantumCircuit,
    target: Target,
    *,
    starts: int = 12,
    sweeps: int = 20,
    seed: int = 0,
) -> Layout:
    """The lowest-cost layout of :func:`tree_layouts` (same arguments)."""
    return tree_layouts(circuit, target, starts=starts, sweeps=sweeps, seed=seed)[0]


def two_qubit_count(circuit: QuantumCircuit) -> int:
    """Number of two-qubit instructions in ``circuit``."""
    return sum(1 for inst in circuit.data if inst.operation.num_qubits == 2)


class TreeLayout(AnalysisPass):
    """Set ``property_set["layout"]`` to :func:`tree_layout` of the circuit being compiled.

    Use it as the layout stage of a preset pass manager (``pm.layout = PassManager([...])``
    followed by the usual ancilla passes), or simply pass ``tree_layout(circuit, target)`` as
    ``initial_layout`` to ``generate_preset_pass_manager``.
    """

    def __init__(self, target: Target, *, starts: int = 12, sweeps: int = 20, seed: int = 0):
        super().__init__()
        self.target = target
        self.starts = starts
        self.sweeps = sweeps
        self.seed = seed

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        """Compute the layout of ``dag`` and store it in the property set."""
        from qiskit.converters import dag_to_circuit

        circuit = dag_to_circuit(dag)
        layout = tree_layout(
            circuit, self.target, starts=self.starts, sweeps=self.sweeps, seed=self.seed
        )
        self.property_set["layout"] = Layout(
            {dag.qubits[i]: layout[q] for i, q in enumerate(circuit.qubits)}
        )
        return dag
