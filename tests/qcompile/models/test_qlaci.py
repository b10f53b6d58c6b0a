from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import DensityMatrix, Statevector, partial_trace

from hardware_profiles.errors import ResourceError
from qcompile.models import (
    build_qlaci,
    build_qlaci_prototype,
    count_resources,
    qlaci_input_values,
    qlaci_resources,
    remove_padding,
)
from qcompile.models.base import ModelCircuit
from qcompile.models.qlaci import qlaci_structure
from qcompile.models.qlaci_reference import (
    qlaci_reference_expectations,
    qlaci_reference_state,
    split_qlaci_weights,
)
from qcompile.models.state_tensor import ry_matrix, to_qiskit_order
from qcompile.qram import QRAMQuery, qram_lowering_pass_manager


def _expectations(model: ModelCircuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    sv = Statevector(model.bind(inputs, weights))
    return np.array([sv.expectation_value(o).real for o in model.observables])


def test_qlaci_parameter_counts_and_registers() -> None:
    model = build_qlaci(8, 3, 2, 1, 2, layers=2)
    assert list(model.registers) == ["query", "index", "key", "value", "out"]
    assert [r.size for r in model.registers.values()] == [3, 3, 2, 1, 2]
    assert len(model.inputs) == 3 + 8 * (2 + 1)
    assert len(model.weights) == 2 * (2 * (3 + 2) + 2 + 2 + 3)
    queries = [i.operation for i in model.circuit.data if isinstance(i.operation, QRAMQuery)]
    assert [(q.mode, q.address_bits, q.word_size) for q in queries] == [("ry", 3, 2), ("ry", 3, 1)]
    # The out qubits are the last two; one Z observable each.
    for t, obs in enumerate(model.observables):
        assert obs.paulis[0].to_label()[::-1] == "I" * (9 + t) + "Z" + "I" * (1 - t)
    assert set(model.circuit.parameters) == set(model.inputs) | set(model.weights)
    # Weights do not grow with N; inputs grow linearly.
    assert len(build_qlaci(64, 3, 2, 1, 2, layers=2).weights) == len(model.weights)


@pytest.mark.parametrize(
    ("seq_len", "d_q", "k", "v", "o", "layers"),
    [
        (2, 2, 1, 1, 1, 1),  # the QRAM queries are two-qubit gates
        (2, 1, 3, 2, 2, 1),  # k > d_q, v = o
        (4, 2, 2, 2, 2, 2),
        (4, 4, 1, 2, 3, 1),  # o > k, o > v
        (8, 3, 2, 1, 2, 1),
    ],
)
def test_qlaci_statevector_matches_numpy_reference(
    seq_len: int, d_q: int, k: int, v: int, o: int, layers: int
) -> None:
    rng = np.random.default_rng(seq_len * 1000 + d_q * 100 + k * 10 + v + o)
    model = build_qlaci(seq_len, d_q, k, v, o, layers=layers)
    query = rng.uniform(-np.pi, np.pi, d_q)
    keys = rng.uniform(-np.pi, np.pi, (seq_len, k))
    values = rng.uniform(-np.pi, np.pi, (seq_len, v))
    w = rng.uniform(-np.pi, np.pi, len(model.weights))
    sv = Statevector(model.bind(qlaci_input_values(query, keys, values), w))
    roles = split_qlaci_weights(w, d_q, k, o, layers)
    want = qlaci_reference_state(query, keys, values, roles)
    np.testing.assert_allclose(sv.data, to_qiskit_order(want), atol=1e-9)
    got = [sv.expectation_value(obs).real for obs in model.observables]
    np.testing.assert_allclose(
        got, qlaci_reference_expectations(query, keys, values, roles), atol=1e-9
    )


@pytest.mark.parametrize("seq_len", [2, 4, 8, 1024])
def test_qlaci_resources_match_built_circuit(seq_len: int) -> None:
    for sizes in ((2, 2, 2, 2), (1, 1, 1, 1), (3, 1, 2, 4)):
        built = count_resources(build_qlaci(seq_len, *sizes, layers=2))
        assert built == qlaci_resources(seq_len, *sizes, layers=2)
    assert qlaci_resources(2**30).num_qubits == 2 + 30 + 6


@pytest.mark.parametrize(
    "sizes", [(4, 2, 2, 2, 2, 1), (8, 3, 2, 1, 2, 2), (2, 1, 3, 2, 1, 1), (16, 2, 1, 3, 4, 3)]
)
def test_qlaci_structure_counts_the_built_gates(sizes: tuple[int, ...]) -> None:
    *widths, layers = sizes
    model = build_qlaci(*widths, layers=layers)
    structure = qlaci_structure(*widths, layers=layers)
    ops = model.circuit.count_ops()
    queries = [i for i in model.circuit.data if isinstance(i.operation, QRAMQuery)]
    assert structure.num_qubits == model.circuit.num_qubits
    assert structure.index_qubits == model.registers["index"].size
    assert structure.lookup_word_bits == tuple(q.operation.word_size for q in queries)
    assert structure.cx == ops["cx"] and structure.cry == ops["cry"]
    assert structure.clifford_one_qubit_gates == ops["h"]
    assert structure.one_qubit_gates == ops["h"] + ops["ry"] + ops["rz"]
    without_queries = model.circuit.copy_empty_like()
    for instruction in model.circuit.data:
        if not isinstance(instruction.operation, QRAMQuery):
            without_queries.append(instruction)
    assert structure.depth >= without_queries.depth()


@pytest.mark.slow
@pytest.mark.parametrize("seq_len", [4, 8])
def test_qlaci_output_depends_on_query_and_on_every_entry(seq_len: int) -> None:
    rng = np.random.default_rng(seq_len)
    model = build_qlaci(seq_len, 2, 2, 2, 2)
    x = rng.uniform(-np.pi, np.pi, len(model.inputs))
    w = rng.uniform(-np.pi, np.pi, len(model.weights))
    base = _expectations(model, x, w)
    d_q, k, v = 2, 2, 2
    moved = {f"Q_{a}": [a] for a in range(d_q)}
    moved.update({f"K_{j}": [d_q + j * k] for j in range(seq_len)})
    moved.update({f"V_{j}": [d_q + seq_len * k + j * v] for j in range(seq_len)})
    for what, positions in moved.items():
        y = x.copy()
        y[positions] += 0.7
        change = np.abs(_expectations(model, y, w) - base).max()
        assert change > 1e-6, f"output does not depend on {what}"


def test_qlaci_padding_is_removed_exactly() -> None:
    rng = np.random.default_rng(5)
    model = build_qlaci(4, 2, 1, 1, 2)
    query = rng.uniform(-np.pi, np.pi, 2)
    keys = rng.uniform(-np.pi, np.pi, (3, 1))
    values = rng.uniform(-np.pi, np.pi, (3, 1))
    w = rng.uniform(-np.pi, np.pi, len(model.weights))
    padded_inputs = qlaci_input_values(query, keys, values)
    assert padded_inputs.shape == (2 + 4 + 4,)
    assert padded_inputs[2 + 3] == 0.0 and padded_inputs[-1] == 0.0
    padded = _expectations(model, padded_inputs, w)
    empty = _expectations(model, qlaci_input_values(query, np.zeros((4, 1)), np.zeros((4, 1))), w)
    want = qlaci_reference_expectations(query, keys, values, split_qlaci_weights(w, 2, 1, 2, 1))
    np.testing.assert_allclose(remove_padding(padded, empty, 3, 4), want, atol=1e-9)
    assert not np.allclose(padded, want)
    with pytest.raises(ResourceError, match="shorter"):
        qlaci_input_values(query, keys, values, seq_len=2)
    with pytest.raises(ResourceError, match="num_entries"):
        remove_padding(padded, empty, 0, 4)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seq_len": 1}, "power of two"),
        ({"seq_len": 6}, "power of two"),
        ({"seq_len": 2**31}, "power of two"),
        ({"seq_len": 4, "query_qubits": 0}, "query_qubits"),
        ({"seq_len": 4, "key_qubits": 0}, "key_qubits"),
        ({"seq_len": 4, "value_qubits": -1}, "value_qubits"),
        ({"seq_len": 4, "out_qubits": 0}, "out_qubits"),
        ({"seq_len": 4, "layers": 0}, "layers"),
        ({"seq_len": 4, "layers": True}, "layers"),
    ],
)
def test_qlaci_rejects_impossible_sizes(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ResourceError, match=match) as info:
        build_qlaci(**kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)
    with pytest.raises(ResourceError, match=match):
        qlaci_resources(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seq_len", "kind"), [(2, "multiplexer"), (4, "multiplexer"), (4, "bb-2q")]
)
def test_qlaci_lowered_qram_compiles_to_heron_isa(seq_len: int, kind: str, assert_isa) -> None:
    model = build_qlaci(seq_len, 2, 2, 1, 2)
    lowered = qram_lowering_pass_manager(kind).run(model.circuit)
    assert not any(isinstance(i.operation, QRAMQuery) for i in lowered.data)
    assert set(lowered.parameters) == set(model.circuit.parameters)
    isa = assert_isa(lowered)
    assert set(isa.parameters) == set(model.circuit.parameters)


def test_prototype_readout_is_identically_one() -> None:
    rng = np.random.default_rng(16)
    for num_keys in (16, 15):
        model = build_qlaci_prototype(num_keys)
        values = []
        for _ in range(25):
            x = rng.normal(scale=2.0, size=len(model.inputs))
            values.append(_expectations(model, x, np.zeros(0))[0])
        np.testing.assert_allclose(values, 1.0, atol=1e-9)


def test_prototype_keys_only_change_invisible_phases() -> None:
    # The keys do act on the state (so the constant readout is not a trivially empty
    # circuit), but only through phases that Z on the readout wire cannot see.
    rng = np.random.default_rng(3)
    model = build_qlaci_prototype(16)
    x = rng.normal(size=len(model.inputs))
    y = x.copy()
    y[4:] = rng.normal(size=len(x) - 4)
    a, b = (Statevector(model.bind(z, np.zeros(0))) for z in (x, y))
    assert abs(a.inner(b)) < 1 - 1e-3
    readout_a = partial_trace(a, [q for q in range(11) if q != 8])
    assert np.allclose(readout_a.data, np.diag([1.0, 0.0]))


def test_prototype_query_qubits_never_interact_and_nothing_is_trainable() -> None:
    rng = np.random.default_rng(4)
    model = build_qlaci_prototype(16)
    assert len(model.weights) == 0 and len(model.inputs) == 4 + 4 * 16
    assert model.num_qubits == 11 and list(model.registers) == ["query", "index", "ancilla"]
    x = rng.normal(size=len(model.inputs))
    sv = Statevector(model.bind(x, np.zeros(0)))
    for i in range(4):
        rho = partial_trace(sv, [q for q in range(11) if q != i])
        amp = ry_matrix(x[i])[:, 0]
        np.testing.assert_allclose(rho.data, np.outer(amp, amp.conj()), atol=1e-9)
    # Query qubits take part in no multi-qubit gate at all.
    query = set(model.registers["query"])
    for inst in model.circuit.data:
        if inst.operation.num_qubits > 1:
            assert not query & set(inst.qubits)
    # Wires 9 and 10 stay |0>.
    rest = partial_trace(sv, list(range(9)))
    assert np.allclose(rest.data, DensityMatrix.from_label("00").data)


@pytest.mark.parametrize("num_keys", [0, 17])
def test_prototype_rejects_impossible_sizes(num_keys: int) -> None:
    with pytest.raises(ResourceError, match=r"1\.\.16 keys"):
        build_qlaci_prototype(num_keys)
