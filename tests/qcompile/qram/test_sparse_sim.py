"""Sparse basis-input simulation: the same states as a dense simulation, in either order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit
from qiskit.circuit.random import random_circuit
from qiskit.converters import circuit_to_dag
from qiskit.quantum_info import Statevector

from qcompile.qram.sparse_sim import NotSparseError, low_width_order, simulate_basis_inputs


def _dense(circuit: QuantumCircuit, num_inputs: int) -> dict[tuple[int, int], complex]:
    """(basis state, input) -> amplitude, from Qiskit's Statevector (the independent side)."""
    out = {}
    for x in range(1 << num_inputs):
        state = Statevector.from_int(x, 2**circuit.num_qubits).evolve(circuit)
        for basis in np.flatnonzero(np.abs(state.data) > 1e-10):
            out[(int(basis), x)] = complex(state.data[basis])
    return out


def _sparse(circuit: QuantumCircuit, num_inputs: int, order: str) -> dict[tuple[int, int], complex]:
    state = simulate_basis_inputs(circuit_to_dag(circuit), num_inputs, order=order)  # type: ignore[arg-type]
    return {
        (int(state.keys[i, 0]), int(state.keys[i, -1])): complex(state.amps[i])
        for i in range(len(state.amps))
    }


@settings(max_examples=25, deadline=None)
@given(
    width=st.integers(2, 5),
    depth=st.integers(1, 8),
    seed=st.integers(0, 10_000),
    inputs=st.integers(0, 3),
    order=st.sampled_from(["low_width", "topological", "insertion"]),
)
def test_sparse_simulation_matches_statevector_on_every_input(
    width: int, depth: int, seed: int, inputs: int, order: str
) -> None:
    circuit = random_circuit(width, depth, max_operands=3, seed=seed)
    num_inputs = min(inputs, width)
    want = _dense(circuit, num_inputs)
    got = _sparse(circuit, num_inputs, order)
    # Statevector carries the global phase; so does the sparse run (its gates' matrices do
    # not, so compare up to one common phase per circuit).
    phase = np.exp(1j * float(circuit.global_phase))
    assert want.keys() == got.keys()
    for key, amp in want.items():
        assert got[key] * phase == pytest.approx(amp, abs=1e-8)


def test_low_width_order_is_topological_and_closes_superpositions() -> None:
    qc = QuantumCircuit(4)
    for t in (1, 2, 3):  # three Toffoli-like blocks: H ... CX ... H on each target
        qc.h(t)
    for t in (1, 2, 3):
        qc.cx(0, t)
    for t in (1, 2, 3):
        qc.h(t)
    dag = circuit_to_dag(qc)
    order = low_width_order(dag, lambda node: node.op.name == "h")
    position = {node: k for k, node in enumerate(order)}
    for node in order:
        for succ in dag.op_successors(node):
            assert position[node] < position[succ]
    # At most one target is open at a time: h(t) cx(0,t) h(t) come together.
    names = [(node.op.name, [qc.find_bit(q).index for q in node.qargs]) for node in order]
    assert names[:3] == [("h", [1]), ("cx", [0, 1]), ("h", [1])]


def test_bounds_and_non_unitary_ops_raise() -> None:
    qc = QuantumCircuit(12)
    qc.h(range(12))
    with pytest.raises(NotSparseError, match="grew past"):
        simulate_basis_inputs(circuit_to_dag(qc), 0, max_support=100)
    with pytest.raises(NotSparseError, match="work bound"):
        wide = QuantumCircuit(6)
        wide.h(range(6))
        wide.cx(0, 1)
        simulate_basis_inputs(circuit_to_dag(wide), 0, max_work=10)
    measured = QuantumCircuit(1, 1)
    measured.measure(0, 0)
    with pytest.raises(NotSparseError):
        simulate_basis_inputs(circuit_to_dag(measured), 1)
