"""Kernel-attention QLACI: the circuit's output equals the independent numpy reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.circuit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp, Statevector

from hardware_profiles.errors import ResourceError
from qcompile.models import count_resources
from qcompile.models.qlaci_kernel import (
    KernelSizes,
    build_qlaci_kernel,
    grover_acceptance,
    grover_iterations_for,
    qlaci_kernel_resources,
)
from qcompile.models.qlaci_kernel_reference import (
    kernel_reference_context,
    kernel_reference_expectations,
    kernel_values,
)
from qcompile.qram import CONSTRUCTIONS, qram_lowering_pass_manager

STATIC_KINDS = [k for k, c in CONSTRUCTIONS.items() if k != "oracle" and not c.dynamic]
STATEVECTOR_MAX = 20


def _random_case(
    sizes: KernelSizes, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    d, o, n = sizes.feature_qubits, sizes.out_qubits, sizes.seq_len
    q = rng.uniform(-2, 2, d)
    keys = rng.uniform(-2, 2, (n, d))
    keys[rng.integers(n)] = q  # one exact match, as in needle retrieval
    values = rng.uniform(-3, 3, (n, o))
    weights = rng.uniform(-math.pi, math.pi, sizes.num_weights)
    inputs = np.concatenate([q, keys.ravel(), values.ravel()])
    return q, keys, values, weights, inputs


def _expectations(circuit: QuantumCircuit, logical_width: int, obs: tuple) -> np.ndarray:
    """Observables on the first ``logical_width`` qubits; QRAM ancillas (above) traced out."""
    if circuit.num_qubits <= STATEVECTOR_MAX:
        probs = Statevector(circuit).probabilities()
        probs = probs.reshape(-1, 1 << logical_width).sum(axis=0)
        return np.array([np.real(o.to_matrix(sparse=True).diagonal()) @ probs for o in obs])
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    extra = circuit.num_qubits - logical_width
    # The ancillas are the high qubits: identity there (tensor puts its argument low).
    wide = [SparsePauliOp("I" * extra).tensor(o) if extra else o for o in obs]
    sim = AerSimulator(method="matrix_product_state")
    run = transpile(circuit, sim, optimization_level=0)  # e.g. rccx, which Aer lacks
    for k, o in enumerate(wide):
        run.save_expectation_value(o, run.qubits, label=f"e{k}")
    data = sim.run(run, shots=1).result().data(0)
    return np.array([float(np.real(data[f"e{k}"])) for k in range(len(obs))])


@pytest.mark.parametrize(
    "sizes",
    [
        KernelSizes(2, 1, 1, 1),
        KernelSizes(4, 2, 1, 2),
        KernelSizes(4, 1, 3, 1, layers=2),
        KernelSizes(8, 3, 2, 2, layers=2),
        KernelSizes(4, 2, 1, 2, grover_iterations=1),
        KernelSizes(8, 2, 2, 1, grover_iterations=2),
        pytest.param(KernelSizes(16, 4, 1, 4), marks=pytest.mark.slow),
    ],
    ids=str,
)
def test_kernel_circuit_matches_numpy_reference(sizes: KernelSizes) -> None:
    model = build_qlaci_kernel(sizes)
    q, keys, values, weights, inputs = _random_case(sizes, sizes.seq_len)
    got = _expectations(model.bind(inputs, weights), model.num_qubits, model.observables)
    ref = kernel_reference_expectations(
        q,
        keys,
        values,
        weights,
        layers=sizes.layers,
        copies=sizes.copies,
        grover_iterations=sizes.grover_iterations,
    )
    np.testing.assert_allclose(got, ref, atol=1e-10)
    # The ratio is normalised kernel attention, amplified or not.
    ctx = kernel_reference_context(
        q, keys, values, weights, layers=sizes.layers, copies=sizes.copies
    )
    np.testing.assert_allclose(got[1:] / got[0], ctx, atol=1e-9)


def test_kernel_of_a_query_with_itself_is_one_and_weights_concentrate_on_the_match() -> None:
    rng = np.random.default_rng(3)
    q = rng.uniform(-1, 1, 3)
    w = rng.uniform(-1, 1, 12)
    kappa = kernel_values(q, np.stack([q, q + 0.9, q - 1.3]), w, layers=2)
    assert kappa[0] == pytest.approx(1.0, abs=1e-12)
    assert np.all(kappa[1:] < 1.0)
    values = np.array([[0.3], [2.0], [-2.5]])
    sharp = [
        kernel_reference_context(q, np.stack([q, q + 0.9, q - 1.3]), values, w, layers=2, copies=m)
        for m in (1, 4, 64)
    ]
    errors = [abs(s[0] - math.cos(0.3)) for s in sharp]
    assert errors[0] > errors[1] > errors[2]  # more copies, sharper attention


def _lowered_case(kind: str, sizes: KernelSizes) -> None:
    model = build_qlaci_kernel(sizes)
    q, keys, values, weights, inputs = _random_case(sizes, 7)
    lowered = qram_lowering_pass_manager(kind).run(model.bind(inputs, weights))
    assert "qram_query" not in lowered.count_ops()
    got = _expectations(lowered, model.num_qubits, model.observables)
    ref = kernel_reference_expectations(
        q,
        keys,
        values,
        weights,
        layers=sizes.layers,
        copies=sizes.copies,
        grover_iterations=sizes.grover_iterations,
    )
    np.testing.assert_allclose(got, ref, atol=1e-10)


@pytest.mark.parametrize("kind", [k for k in STATIC_KINDS if k != "bucket-brigade"])
def test_every_qram_kind_serves_the_lookups_exactly(kind: str) -> None:
    _lowered_case(kind, KernelSizes(4, 2, 1, 1))


MORE_SIZES = [
    KernelSizes(4, 2, 1, 1),
    KernelSizes(4, 1, 1, 1, grover_iterations=1),
    KernelSizes(16, 1, 1, 1),
]
# The bucket brigade's lookups are checked without amplification (with it: 20 s more).
MORE_CASES = [
    (kind, sizes)
    for kind in STATIC_KINDS
    for sizes in MORE_SIZES
    if not (kind == "bucket-brigade" and sizes.grover_iterations)
]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "sizes"), MORE_CASES, ids=str)
def test_every_qram_kind_serves_the_lookups_exactly_at_more_sizes(
    kind: str, sizes: KernelSizes
) -> None:
    _lowered_case(kind, sizes)


@pytest.mark.parametrize(
    "sizes",
    [
        KernelSizes(2, 1, 1, 1),
        KernelSizes(2, 1, 2, 1, grover_iterations=1),
        KernelSizes(4, 2, 1, 2, layers=3, grover_iterations=2),
        KernelSizes(8, 1, 1, 1, grover_iterations=1),
        KernelSizes(16, 4, 2, 4, layers=2),
    ],
    ids=str,
)
def test_closed_form_counts_the_build(sizes: KernelSizes) -> None:
    assert qlaci_kernel_resources(sizes) == count_resources(build_qlaci_kernel(sizes))


def test_observables_are_the_projector_and_its_products() -> None:
    model = build_qlaci_kernel(KernelSizes(4, 2, 1, 2))
    p0, *outs = model.observables
    dense = np.real(p0.to_matrix(sparse=True).diagonal())
    expected = np.array([1.0 if i & 0b11 == 0 else 0.0 for i in range(1 << model.num_qubits)])
    np.testing.assert_array_equal(dense, expected)
    assert len(outs) == 2
    assert list(model.registers) == ["query", "index", "out"]


@given(p=st.floats(1e-6, 1.0), g=st.integers(0, 50))
def test_grover_acceptance_is_a_probability_and_iterations_help(p: float, g: int) -> None:
    a = grover_acceptance(p, g)
    assert 0.0 <= a <= 1.0
    best = grover_iterations_for(p)
    assert grover_acceptance(p, best) >= p - 1e-12
    if p < 0.2:
        assert grover_acceptance(p, best) > 0.5


@settings(max_examples=40, deadline=None)
@given(
    seq_len=st.one_of(st.integers(-4, 40), st.booleans(), st.floats(), st.none()),
    d=st.integers(-2, 20),
    m=st.integers(-1, 5),
    g=st.integers(-2, 2),
)
def test_bad_sizes_are_one_resource_error(seq_len: object, d: int, m: int, g: int) -> None:
    try:
        sizes = KernelSizes(seq_len, d, m, 1, grover_iterations=g)  # type: ignore[arg-type]
    except ResourceError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(seq_len, int) and seq_len >= 2 and seq_len & (seq_len - 1) == 0
    assert d >= 1 and m >= 1 and d * m <= 16 and g >= 0
    assert sizes.num_qubits == d * m + seq_len.bit_length() - 1 + 1
