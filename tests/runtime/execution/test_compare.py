"""Exact ideal distributions and the shot-noise floor, against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import Statevector

from runtime.execution.compare import (
    distance_to_exact,
    exact_probabilities,
    shot_noise_floor,
    total_variation,
)
from runtime.execution.executor import SampleResult, SamplerPub


def _floor_by_enumeration(probabilities: list[float], shots: int) -> float:
    """E[TV] = 1/(2N) sum_k sum_x |x - N p_k| C(N, x) p_k^x (1 - p_k)^(N - x): every x summed."""
    total = 0.0
    for p in probabilities:
        total += sum(
            abs(x - shots * p) * math.comb(shots, x) * p**x * (1 - p) ** (shots - x)
            for x in range(shots + 1)
        )
    return total / (2 * shots)


@settings(max_examples=40, deadline=None)
@given(
    weights=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8).filter(lambda w: sum(w) > 0),
    shots=st.integers(1, 120),
)
def test_shot_noise_floor_is_the_enumerated_expectation(weights: list[float], shots: int) -> None:
    total = sum(weights)
    probabilities = [w / total for w in weights]
    table = {format(i, "03b"): p for i, p in enumerate(probabilities)}
    assert shot_noise_floor(table, shots) == pytest.approx(
        _floor_by_enumeration(probabilities, shots), rel=1e-9, abs=1e-12
    )


def test_shot_noise_floor_matches_sampled_histograms() -> None:
    """At the demo's size (32 outcomes, 4096 shots), sampled from the distribution itself."""
    rng = np.random.default_rng(3)
    probabilities = rng.dirichlet(np.full(32, 20.0))
    table = {format(i, "05b"): float(p) for i, p in enumerate(probabilities)}
    shots, trials = 4096, 4000
    draws = rng.multinomial(shots, probabilities, size=trials) / shots
    distances = 0.5 * np.abs(draws - probabilities).sum(axis=1)
    standard_error = distances.std(ddof=1) / math.sqrt(trials)
    assert abs(shot_noise_floor(table, shots) - distances.mean()) < 4 * standard_error
    # A finite-shot "ideal" histogram is as far from the truth as the floor says.
    assert 0.02 < distances.mean() < 0.05


def test_shot_noise_floor_of_a_certain_outcome_is_zero() -> None:
    assert shot_noise_floor({"0": 1.0}, 1000) == 0.0
    assert shot_noise_floor({"0": 0.5, "1": 0.5}, 10**7) == pytest.approx(
        math.sqrt(2 / (math.pi * 4 * 10**7)) * 1, rel=1e-3
    )  # normal limit: E|X - Np| -> sqrt(2 N p q / pi), two outcomes, halved, over N


def test_exact_probabilities_of_a_placed_circuit_are_the_logical_statevectors() -> None:
    """Logical qubits 0, 1, 2 placed on device qubits 40, 3, 17 of 156, as a layout would."""
    theta = ParameterVector("t", 2)
    logical = QuantumCircuit(3, name="skew")
    logical.ry(theta[0], 0)
    logical.ry(theta[1], 1)
    logical.cx(1, 2)
    logical.x(0)
    placed = QuantumCircuit(156, 3)
    placed.compose(logical, qubits=[40, 3, 17], inplace=True)
    placed.barrier()
    placed.measure([40, 3, 17], [0, 1, 2])
    values = np.array([[0.7, 2.1], [1.9, 0.4]])
    exact = exact_probabilities(placed, values)
    assert exact is not None and len(exact) == 2
    for row, table in zip(values, exact, strict=True):
        reference = Statevector(logical.assign_parameters(row)).probabilities_dict()
        keys = set(reference) | set(table)
        assert max(abs(reference.get(k, 0.0) - table.get(k, 0.0)) for k in keys) < 1e-9


def test_unmeasured_clbits_read_zero_and_mid_circuit_measurements_have_no_exact() -> None:
    circuit = QuantumCircuit(2, 3)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure(0, 2)
    circuit.measure(1, 0)
    (table,) = exact_probabilities(circuit, np.zeros(0)) or [{}]
    assert table == pytest.approx({"000": 0.5, "101": 0.5})
    circuit.h(0)  # after its measurement: no statevector gives the distribution
    assert exact_probabilities(circuit, np.zeros(0)) is None
    reset = QuantumCircuit(1, 1)
    reset.reset(0)
    reset.measure(0, 0)
    assert exact_probabilities(reset, np.zeros(0)) is None


def test_distance_to_exact_by_hand() -> None:
    result = SampleResult((({"00": 6, "11": 2},),), shots=8)
    distance = distance_to_exact(result, [[{"00": 0.5, "11": 0.5}]])
    assert distance["max"] == pytest.approx(0.25)
    assert distance["reference"] == "exact" and distance["shots"] == 8
    assert distance["shot_noise_floor"] == pytest.approx(_floor_by_enumeration([0.5, 0.5], 8))
    assert total_variation({"0": 3}, {"0": 0.5, "1": 0.5}) == pytest.approx(0.5)


def test_samplerpub_round_trip_shape() -> None:
    circuit = QuantumCircuit(1, 1)
    circuit.x(0)
    circuit.measure(0, 0)
    pub = SamplerPub(circuit)
    assert exact_probabilities(pub.circuit, pub.parameter_values) == [{"1": 1.0}]
