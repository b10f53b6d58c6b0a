from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp, Statevector

from hardware_profiles import load_profile
from runtime.execution.active import restrict_circuit, restrict_observable, restrict_target
from tests.runtime._circuits import compiled, logical_circuit, observable


def test_restrict_circuit_keeps_only_active_qubits_and_all_clbits():
    full = compiled("heron_r2", True)
    active = restrict_circuit(full)
    assert active.circuit.num_qubits == len(active.qubits) == 3
    assert active.num_device_qubits == 156
    assert active.circuit.num_clbits == full.num_clbits
    assert [c.name for c in active.circuit.cregs] == [c.name for c in full.cregs]


def test_compact_state_equals_logical_state_under_layout():
    full = compiled("grid_10x10", False)
    active = restrict_circuit(full)
    obs = observable()
    mapped = active.map_observable(obs.apply_layout(full.layout))
    value = Statevector(active.circuit).expectation_value(mapped)
    expected = Statevector(logical_circuit("grid_10x10")).expectation_value(obs)
    assert abs(value - expected) < 1e-9


def test_restrict_observable_drops_terms_with_x_or_y_on_idle_qubits():
    op = SparsePauliOp(["IIZZ", "XIZI", "IZIZ"], coeffs=[1.0, 2.0, 3.0])
    restricted = restrict_observable(op, [0, 1])
    # XIZI has X on idle qubit 3 (drops); IZIZ has Z on idle qubit 2 (|0>, kept as IZ).
    assert restricted.simplify() == SparsePauliOp(["ZZ", "IZ"], coeffs=[1.0, 3.0])
    assert restrict_observable(SparsePauliOp("XI"), [0]) == SparsePauliOp("I", coeffs=[0.0])


def test_restrict_observable_matches_full_width_expectation():
    qc = QuantumCircuit(4)
    qc.h(1)
    qc.cx(1, 3)
    qc.ry(0.4, 3)
    op = SparsePauliOp(["XIXI", "ZZZZ", "IXIY", "ZIIZ"], coeffs=[0.3, -1.0, 0.2, 0.7])
    compact = QuantumCircuit(2)
    compact.h(0)
    compact.cx(0, 1)
    compact.ry(0.4, 1)
    full_value = Statevector(qc).expectation_value(op)
    compact_value = Statevector(compact).expectation_value(restrict_observable(op, [1, 3]))
    assert np.isclose(full_value, compact_value, atol=1e-12)


def test_restrict_target_renumbers_and_keeps_properties():
    target = load_profile("heron_r2").target()
    qubits = restrict_circuit(compiled("heron_r2", True)).qubits
    reduced = restrict_target(target, qubits)
    assert reduced.num_qubits == len(qubits)
    for i, q in enumerate(qubits):
        assert reduced["sx"][(i,)] == target["sx"][(q,)]
        assert reduced["measure"][(i,)].error == target["measure"][(q,)].error
        assert reduced.qubit_properties[i].t1 == target.qubit_properties[q].t1
    for (a, b), props in reduced["cz"].items():
        assert props == target["cz"][(qubits[a], qubits[b])]
