from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Statevector

from hardware_profiles.errors import ResourceError
from qcompile.models import build_qasa, count_resources, qasa_resources
from qcompile.models.qasa import qasa_reference_expectations, qasa_reference_state
from qcompile.models.state_tensor import to_qiskit_order


def test_qasa_has_published_sizes() -> None:
    model = build_qasa()
    assert model.num_qubits == 9
    assert len(model.inputs) == 8
    assert len(model.weights) == 36
    assert {k: r.size for k, r in model.registers.items()} == {"data": 8, "aux": 1}
    assert [model.circuit.find_bit(q).index for q in model.registers["aux"]] == [8]
    # w[0, 8] is declared by the repository but never used.
    used = {p.name for p in model.circuit.parameters}
    assert "weights[8]" not in used
    assert len(used) == 8 + 35
    assert model.metadata["unused_weights"] == [8]


def test_qasa_observables_are_z_on_each_data_qubit() -> None:
    model = build_qasa()
    assert len(model.observables) == 8
    for i, obs in enumerate(model.observables):
        assert obs.num_qubits == 9
        label = obs.paulis[0].to_label()
        assert label[::-1] == "I" * i + "Z" + "I" * (8 - i)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_qasa_statevector_matches_numpy_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, 8)
    w = rng.uniform(-np.pi, np.pi, 36)
    model = build_qasa()
    sv = Statevector(model.bind(x, w))
    np.testing.assert_allclose(sv.data, to_qiskit_order(qasa_reference_state(x, w)), atol=1e-9)
    got = [sv.expectation_value(o).real for o in model.observables]
    np.testing.assert_allclose(got, qasa_reference_expectations(x, w), atol=1e-9)


def test_qasa_unused_weight_changes_nothing_and_aux_rotation_matters() -> None:
    rng = np.random.default_rng(4)
    x, w = rng.uniform(-np.pi, np.pi, 8), rng.uniform(-np.pi, np.pi, 36)
    base = qasa_reference_expectations(x, w)
    w_unused = w.copy()
    w_unused[8] += 1.0
    np.testing.assert_allclose(qasa_reference_expectations(x, w_unused), base, atol=1e-12)
    # The unmeasured auxiliary still acts on the outputs through CNOT(7, 8).
    w_aux = w.copy()
    w_aux[9 + 8] += 1.0
    assert not np.allclose(qasa_reference_expectations(x, w_aux), base)


def test_qasa_transpiles_to_heron_isa(assert_isa) -> None:
    isa = assert_isa(build_qasa().circuit)
    assert isa.num_qubits == 156


@pytest.mark.parametrize(("n", "layers"), [(3, 2), (5, 3), (8, 4)])
def test_qasa_resources_match_built_circuit(n: int, layers: int) -> None:
    assert count_resources(build_qasa(n, layers)) == qasa_resources(n, layers)


@pytest.mark.parametrize(("n", "layers"), [(1, 4), (8, 1), (0, 0)])
def test_qasa_rejects_impossible_sizes(n: int, layers: int) -> None:
    with pytest.raises(ResourceError, match="QASA needs") as info:
        build_qasa(n, layers)
    assert "\n" not in str(info.value)
