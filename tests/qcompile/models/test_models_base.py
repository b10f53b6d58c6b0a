from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit, QuantumRegister
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import CXGate, RXGate, RYGate, RZGate
from qiskit.quantum_info import Operator, SparsePauliOp, Statevector, random_statevector

from hardware_profiles.errors import ResourceError
from qcompile.models import MODEL_EXAMPLES, ModelCircuit, count_resources, z_observables
from qcompile.models.state_tensor import (
    apply_cnot,
    apply_one_qubit,
    expect_z,
    rx_matrix,
    ry_matrix,
    rz_matrix,
    to_qiskit_order,
)


@pytest.mark.parametrize("name", sorted(MODEL_EXAMPLES))
def test_every_example_matches_its_analytic_resources(name: str) -> None:
    example = MODEL_EXAMPLES[name]
    assert count_resources(example.build()) == example.resources()


@pytest.mark.parametrize("name", sorted(MODEL_EXAMPLES))
def test_every_example_is_a_well_formed_model(name: str) -> None:
    model = MODEL_EXAMPLES[name].build()
    assert all(reg.name == key for key, reg in model.registers.items())
    assert sum(reg.size for reg in model.registers.values()) == model.num_qubits
    assert model.inputs.name == "inputs" and model.weights.name == "weights"
    assert model.observables and all(o.num_qubits == model.num_qubits for o in model.observables)
    assert not any(inst.operation.name == "measure" for inst in model.circuit.data)
    assert model.metadata["model"]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODEL_EXAMPLES))
def test_every_example_compiles_to_heron_isa(name: str, assert_isa) -> None:
    assert_isa(MODEL_EXAMPLES[name].build().circuit)


def test_z_observables_use_little_endian_labels() -> None:
    obs = z_observables(5, [0, 3])
    assert obs[0].paulis[0].to_label() == "IIIIZ"
    assert obs[1].paulis[0].to_label() == "IZIII"


def _tiny_model(**overrides: object) -> ModelCircuit:
    reg = QuantumRegister(2, "r")
    x, w = ParameterVector("inputs", 1), ParameterVector("weights", 2)
    qc = QuantumCircuit(reg)
    qc.rx(x[0], 0)
    qc.ry(w[1], 1)
    fields: dict[str, object] = {
        "circuit": qc,
        "registers": {"r": reg},
        "inputs": x,
        "weights": w,
        "observables": z_observables(2, [0, 1]),
        "metadata": {"model": "tiny"},
    }
    fields.update(overrides)
    return ModelCircuit(**fields)  # type: ignore[arg-type]


def test_parameter_values_follow_circuit_order_and_skip_unused_weights() -> None:
    model = _tiny_model()
    values = model.parameter_values([0.3], [9.0, 0.7])
    by_name = dict(zip([p.name for p in model.circuit.parameters], values, strict=True))
    assert by_name == {"inputs[0]": 0.3, "weights[1]": 0.7}
    batch = model.parameter_values(np.zeros((4, 1)), [1.0, 2.0])
    assert batch.shape == (4, 2)
    bound = model.bind([0.3], [9.0, 0.7])
    assert bound.num_parameters == 0


def test_model_circuit_rejects_inconsistent_parts() -> None:
    model = _tiny_model()
    measured = model.circuit.copy()
    measured.measure_all()
    with pytest.raises(ResourceError, match="measurements"):
        _tiny_model(circuit=measured)
    with pytest.raises(ResourceError, match="observable on 3 qubits"):
        _tiny_model(observables=(SparsePauliOp("ZZZ"),))
    with pytest.raises(ResourceError, match="not in inputs or weights"):
        _tiny_model(weights=ParameterVector("weights", 2), inputs=ParameterVector("inputs", 1))
    with pytest.raises(ResourceError, match="registers"):
        _tiny_model(registers={"q": QuantumRegister(2, "q")})
    with pytest.raises(ResourceError, match="expected 1 input values"):
        model.parameter_values([0.1, 0.2], [0.0, 0.0])


def test_state_tensor_kernels_match_qiskit_gates() -> None:
    rng = np.random.default_rng(3)
    n = 3
    sv = random_statevector(2**n, seed=5)
    # Qiskit little-endian vector -> tensor with axis q = qubit q.
    tensor = np.transpose(sv.data.reshape((2,) * n), (2, 1, 0))
    for gate, mat in ((RXGate, rx_matrix), (RYGate, ry_matrix), (RZGate, rz_matrix)):
        theta = float(rng.uniform(-np.pi, np.pi))
        for q in range(n):
            want = sv.evolve(Operator(gate(theta)), qargs=[q]).data
            got = to_qiskit_order(apply_one_qubit(tensor, mat(theta), q))
            np.testing.assert_allclose(got, want, atol=1e-12)
    for c in range(n):
        for t in range(n):
            if c != t:
                want = sv.evolve(Operator(CXGate()), qargs=[c, t]).data
                np.testing.assert_allclose(
                    to_qiskit_order(apply_cnot(tensor, c, t)), want, atol=1e-12
                )
    for q in range(n):
        z = SparsePauliOp.from_sparse_list([("Z", [q], 1.0)], n)
        assert expect_z(tensor, q) == pytest.approx(Statevector(sv).expectation_value(z).real)
