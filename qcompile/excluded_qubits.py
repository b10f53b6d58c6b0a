"""Keeping circuits off physical qubits that a fault policy excluded from the Target.

Under ``faults.mode = "exclude"`` a faulty qubit has no instruction at all in the profile's
Target (:func:`hardware_profiles.faults.usable_qubits`). Routing can never reach it (it has no
coupler), but Qiskit's layout stages do not look at which qubits have instructions: the
trivial layout (the default at ``-O0``, and at ``-O1`` whenever it needs no swaps) puts
virtual qubit 86 on physical qubit 86 whatever the Target says. Two guards close that gap:

- :func:`check_width` refuses, before any work, a circuit with more qubits than the device
  has usable ones, and :func:`check_connectivity` one whose largest group of interacting
  qubits is larger than the largest connected group of usable qubits (dead couplers can
  split a device: heron_r1 keeps 129 connected qubits);
- :class:`AvoidExcludedQubits`, run right after layout (the ``post_layout`` stage), moves any
  circuit qubit that layout placed on an excluded qubit to an idle usable one, or refuses
  when none is left (e.g. after QRAM lowering added ancillas).
"""

from __future__ import annotations

import rustworkx as rx
from qiskit import QuantumCircuit
from qiskit.circuit import ControlFlowOp
from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler import Target, TransformationPass

from hardware_profiles.errors import CompileError
from hardware_profiles.faults import usable_qubits
from qcompile.report import iter_instructions

__all__ = ["AvoidExcludedQubits", "check_connectivity", "check_width", "width_error"]


def width_error(needed: int, target: Target, device: str, circuit: str | None = None) -> str:
    """The one line that says a circuit of ``needed`` qubits does not fit ``target``.

    Args:
        needed: qubits the circuit needs.
        target: the device Target (faulty qubits already excluded).
        device: the device's name for the message, e.g. ``heron_r1``.
        circuit: the circuit's name, if it has one worth naming. Defaults to None.
    """
    total = target.num_qubits or 0
    usable = len(usable_qubits(target))
    who = f"circuit {circuit!r} needs" if circuit else "needs"
    if usable == total:
        return f"{who} {needed} qubits but profile {device!r} has {total}"
    return f"{who} {needed} qubits; {device} has {usable} usable ({total - usable} faulty excluded)"


def check_width(num_qubits: int, target: Target, device: str, circuit: str | None = None) -> None:
    """Raises :class:`CompileError` if ``num_qubits`` exceeds ``target``'s usable qubits.

    Args:
        num_qubits: qubits the circuit needs.
        target: the device Target (faulty qubits already excluded).
        device: the device's name for the message.
        circuit: the circuit's name for the message. Defaults to None.
    """
    if num_qubits > len(usable_qubits(target)):
        raise CompileError(width_error(num_qubits, target, device, circuit))


def check_connectivity(
    circuit: QuantumCircuit, target: Target, device: str, excluded_faults: bool = False
) -> None:
    """Raises :class:`CompileError` if ``circuit``'s qubits cannot interact on ``target``.

    Qubits that share a multi-qubit instruction (inside control flow too) must end up in
    one connected group of the device's usable qubits. Only the largest group is compared,
    a necessary condition; Qiskit's layout finds any finer misfit. Nothing is computed for a
    Target whose usable qubits are all connected, or that has no coupling map (all-to-all).

    Args:
        circuit: the logical circuit.
        target: the device Target (faulty hardware already excluded).
        device: the device's name for the message.
        excluded_faults: whether a fault policy removed hardware (the message says so).
            Defaults to False.
    """
    coupling = target.build_coupling_map()
    if coupling is None:
        return
    usable = set(usable_qubits(target))
    graph = coupling.graph.to_undirected(multigraph=False)
    graph.remove_nodes_from([q for q in graph.node_indices() if q not in usable])
    device_groups = rx.connected_components(graph)
    largest_device = max((len(group) for group in device_groups), default=0)
    if len(device_groups) <= 1:
        return
    largest_circuit = _largest_interacting_group(circuit)
    if largest_circuit > largest_device:
        why = " (faulty hardware excluded)" if excluded_faults else ""
        raise CompileError(
            f"circuit {circuit.name!r} has {largest_circuit} qubits that interact; "
            f"{device}'s largest connected group of usable qubits has {largest_device}{why}"
        )


def _largest_interacting_group(circuit: QuantumCircuit) -> int:
    parent = list(range(circuit.num_qubits))

    def find(q: int) -> int:
        while parent[q] != q:
            parent[q] = parent[parent[q]]
            q = parent[q]
        return q

    for instruction, qargs in iter_instructions(circuit):
        operation = instruction.operation
        if not isinstance(operation, ControlFlowOp) and operation.name != "barrier":
            for q in qargs[1:]:
                parent[find(q)] = find(qargs[0])
    sizes: dict[int, int] = {}
    for q in range(circuit.num_qubits):
        sizes[find(q)] = sizes.get(find(q), 0) + 1
    return max(sizes.values(), default=0)


def _busy_qubits(dag: DAGCircuit) -> set[int]:
    """Physical qubits with an instruction other than a barrier (control flow included)."""
    busy: set[int] = set()
    for node in dag.op_nodes():
        if node.op.name == "barrier":
            continue
        busy.update(dag.find_bit(q).index for q in node.qargs)
    return busy


class AvoidExcludedQubits(TransformationPass):
    """Moves circuit qubits off physical qubits that have no instruction in the Target.

    Runs on the laid-out circuit (after ``ApplyLayout``): each busy excluded physical qubit
    swaps places with an idle usable one (lowest readout error first, then lowest index),
    and the ``layout`` property is updated to match. A qubit the layout left on an excluded
    qubit can only have single-qubit work there (the excluded qubit has no coupler), so the
    move never adds a swap. Circuits that touch no excluded qubit come out unchanged.

    Raises:
        CompileError: more qubits are busy than the Target has usable.
    """

    def __init__(self, target: Target, device: str = "the target") -> None:
        """Builds the pass for ``target``.

        Args:
            target: the device Target (faulty qubits already excluded).
            device: the device's name for error messages. Defaults to ``"the target"``.
        """
        super().__init__()
        self.target = target
        self.device = device
        self.usable = frozenset(usable_qubits(target))

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        """Returns ``dag`` with no instruction on an excluded physical qubit."""
        busy = _busy_qubits(dag)
        misplaced = sorted(q for q in busy if q not in self.usable)
        if not misplaced:
            return dag
        if len(busy) > len(self.usable):
            raise CompileError(width_error(len(busy), self.target, self.device))
        free = sorted(
            (q for q in self.usable if q not in busy and q < dag.num_qubits()),
            key=lambda q: (self._readout_error(q), q),
        )
        layout = self.property_set["layout"]
        if len(free) < len(misplaced) or layout is None:
            raise CompileError(width_error(len(busy), self.target, self.device))
        moves = dict(zip(misplaced, free, strict=False))
        permutation = list(range(dag.num_qubits()))
        layout = layout.copy()
        for excluded, usable in moves.items():
            permutation[excluded], permutation[usable] = usable, excluded
            layout.swap(excluded, usable)
        self.property_set["layout"] = layout
        moved = dag.copy_empty_like()
        for node in dag.topological_op_nodes():
            qargs = tuple(dag.qubits[permutation[dag.find_bit(q).index]] for q in node.qargs)
            # A control-flow block acts on its node's qargs by position, so it moves with them.
            moved.apply_operation_back(node.op, qargs, node.cargs, check=False)
        return moved

    def _readout_error(self, qubit: int) -> float:
        if "measure" not in self.target.operation_names:
            return 0.0
        props = self.target["measure"].get((qubit,))
        if props is None or props.error is None:
            return 0.0
        return float(props.error)
