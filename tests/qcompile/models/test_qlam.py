from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Statevector

from hardware_profiles.errors import ResourceError
from qcompile.models import build_qlam, count_resources, image_to_tokens, qlam_resources
from qcompile.models.qlam_reference import qlam_reference_expectations, qlam_reference_state
from qcompile.models.state_tensor import to_qiskit_order


def test_qlam_parameter_counts_and_registers() -> None:
    model = build_qlam(num_tokens=5, features_per_token=8, memory_qubits=6, entangler_reps=2)
    assert len(model.inputs) == 5 * 8 + 6
    assert len(model.weights) == 2 * 6 * (2 + 1)
    assert list(model.registers) == ["memory"]
    assert model.registers["memory"].size == 6
    assert len(model.observables) == 6
    for q, obs in enumerate(model.observables):
        assert obs.num_qubits == 6
        assert obs.paulis[0].to_label()[::-1] == "I" * q + "Z" + "I" * (5 - q)
    # Weights are shared across tokens: the count does not depend on T.
    assert len(build_qlam(50, 8, 6, entangler_reps=2).weights) == len(model.weights)
    assert {p.name for p in model.circuit.parameters} == {p.name for p in model.inputs} | {
        p.name for p in model.weights
    }


@pytest.mark.parametrize(
    ("tokens", "features", "memory", "reps", "entanglement"),
    [
        (3, 4, 4, 1, "linear"),  # F == m
        (2, 6, 4, 2, "ring"),  # F > m: features wrap round-robin
        (3, 2, 5, 1, "ring"),  # F < m: some qubits get no upload
        (4, 1, 3, 1, "linear"),  # pixel tokens
        (2, 3, 2, 1, "ring"),  # m = 2: ring degenerates to a chain
    ],
)
def test_qlam_statevector_matches_numpy_reference(
    tokens: int, features: int, memory: int, reps: int, entanglement: str
) -> None:
    rng = np.random.default_rng(tokens * 100 + features * 10 + memory)
    model = build_qlam(tokens, features, memory, entangler_reps=reps, entanglement=entanglement)  # type: ignore[arg-type]
    x = rng.uniform(-np.pi, np.pi, (tokens, features))
    query = rng.uniform(-np.pi, np.pi, memory)
    ent = rng.uniform(-np.pi, np.pi, (reps, memory, 2))
    readout = rng.uniform(-np.pi, np.pi, (memory, 2))
    inputs = np.concatenate([x.reshape(-1), query])
    weights = np.concatenate([ent.reshape(-1), readout.reshape(-1)])
    sv = Statevector(model.bind(inputs, weights))
    ring = entanglement == "ring"
    want = qlam_reference_state(x, query, ent, readout, ring=ring)
    np.testing.assert_allclose(sv.data, to_qiskit_order(want), atol=1e-9)
    got = [sv.expectation_value(o).real for o in model.observables]
    np.testing.assert_allclose(
        got, qlam_reference_expectations(x, query, ent, readout, ring=ring), atol=1e-9
    )


def test_qlam_readout_depends_on_query() -> None:
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, (3, 4))
    ent, ro = rng.uniform(-1, 1, (1, 4, 2)), rng.uniform(-1, 1, (4, 2))
    a = qlam_reference_expectations(x, np.zeros(4), ent, ro)
    b = qlam_reference_expectations(x, np.full(4, 0.8), ent, ro)
    assert not np.allclose(a, b)


def test_qlam_depth_grows_linearly_in_tokens() -> None:
    depths = [build_qlam(t, 8, 8).circuit.depth() for t in (2, 4, 8, 16)]
    steps = np.diff(depths) / np.diff([2, 4, 8, 16])
    assert np.allclose(steps, steps[0])
    two_q = [count_resources(build_qlam(t, 8, 8)).num_two_qubit_gates for t in (2, 4, 8)]
    assert two_q == [7 * 2, 7 * 4, 7 * 8]


@pytest.mark.parametrize("tokens", [1, 7, 64])
def test_qlam_resources_match_built_circuit(tokens: int) -> None:
    for ent in ("linear", "ring"):
        built = count_resources(build_qlam(tokens, 8, 6, entangler_reps=2, entanglement=ent))  # type: ignore[arg-type]
        assert built == qlam_resources(tokens, 8, 6, entangler_reps=2, entanglement=ent)  # type: ignore[arg-type]


def test_qlam_transpiles_to_heron_isa(assert_isa) -> None:
    assert_isa(build_qlam(4, 8, 6, entanglement="ring").circuit)


def test_image_to_tokens_rows_and_patches() -> None:
    image = np.arange(16.0).reshape(4, 4)
    rows = image_to_tokens(image)
    np.testing.assert_array_equal(rows, image)
    patches = image_to_tokens(image, (2, 2))
    np.testing.assert_array_equal(patches[0], [0, 1, 4, 5])
    np.testing.assert_array_equal(patches[1], [2, 3, 6, 7])
    assert patches.shape == (4, 4)
    with pytest.raises(ResourceError, match="does not tile"):
        image_to_tokens(image, (3, 2))
    with pytest.raises(ResourceError, match="2-D"):
        image_to_tokens(np.zeros(4))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_tokens": 0}, "at least 1 token"),
        ({"num_tokens": 2, "features_per_token": 0}, "at least 1 feature"),
        ({"num_tokens": 2, "memory_qubits": 0}, "memory_qubits must be"),
        ({"num_tokens": 2, "memory_qubits": 1000}, "memory_qubits must be"),
        ({"num_tokens": 2, "entangler_reps": 0}, "entangler_reps"),
        ({"num_tokens": 2, "entanglement": "all"}, "entanglement must be"),
    ],
)
def test_qlam_rejects_impossible_sizes(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ResourceError, match=match) as info:
        build_qlam(**kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)
