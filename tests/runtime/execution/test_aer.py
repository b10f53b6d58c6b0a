from __future__ import annotations

import json

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp, Statevector

from hardware_profiles import load_profile
from hardware_profiles.errors import JobError
from qcompile import CompileOptions, compile_circuit
from runtime.execution.aer import AerExecutor, choose_method
from runtime.execution.executor import (
    EstimateResult,
    EstimatorPub,
    Executor,
    SampleResult,
    SamplerPub,
)
from tests.runtime._circuits import (
    PROFILES,
    compiled,
    device_observable,
    observable,
    reference_expectation,
    reference_probabilities,
    tvd,
)

SHOTS = 20_000
# 3 qubits, 20k shots: sampling TVD is about 0.005; 0.02 is > 4 sigma.
SLACK = 0.02


def _sample(executor: AerExecutor, profile: str) -> dict[str, int]:
    result = executor.submit("sample", [SamplerPub(compiled(profile, True))], shots=SHOTS).result()
    assert isinstance(result, SampleResult)
    return dict(result.counts[0][0])


def _estimate(executor: AerExecutor, profile: str, precision: float | None = None) -> float:
    pub = EstimatorPub(compiled(profile, False), (device_observable(profile, observable()),))
    result = executor.submit("estimate", [pub], precision=precision).result()
    assert isinstance(result, EstimateResult)
    return float(result.values[0][0])


@pytest.mark.slow
@pytest.mark.parametrize("profile", PROFILES)
def test_ideal_counts_match_logical_statevector(profile):
    executor = AerExecutor(load_profile(profile), seed=11)
    assert isinstance(executor, Executor)
    assert tvd(_sample(executor, profile), reference_probabilities(profile)) < SLACK


@pytest.mark.slow
@pytest.mark.parametrize("profile", PROFILES)
def test_ideal_estimator_is_exact(profile):
    executor = AerExecutor(load_profile(profile))
    expected = reference_expectation(profile, observable())
    assert abs(_estimate(executor, profile) - expected) < 1e-9


@pytest.mark.slow
@pytest.mark.parametrize("profile", [p for p in PROFILES if p != "ft_logical"])
def test_noisy_results_approach_ideal_as_noise_shrinks(profile):
    expected_probs = reference_probabilities(profile)
    expected_value = reference_expectation(profile, observable())
    distances, errors = [], []
    for scale in (1.0, 0.1, 0.01):
        executor = AerExecutor(load_profile(profile), noisy=True, noise_scale=scale, seed=3)
        distances.append(tvd(_sample(executor, profile), expected_probs))
        errors.append(abs(_estimate(executor, profile) - expected_value))
    assert distances[1] <= distances[0] + SLACK and distances[2] <= distances[1] + SLACK
    assert distances[2] < SLACK
    # Density-matrix expectation values are exact: strictly monotone, no slack.
    assert errors[0] > errors[1] > errors[2]
    assert errors[0] > 1e-4 and errors[2] < 0.1 * errors[0]


def test_ft_logical_noise_is_negligible():
    executor = AerExecutor(load_profile("ft_logical"), noisy=True, seed=1)
    expected = reference_expectation("ft_logical", observable())
    assert abs(_estimate(executor, "ft_logical") - expected) < 1e-9


def test_parameter_batches_and_matrix_product_state():
    theta = Parameter("theta")
    logical = QuantumCircuit(2)
    logical.ry(theta, 0)
    logical.cx(0, 1)
    profile = load_profile("heron_r2")
    isa = compile_circuit(logical, profile, CompileOptions(equivalence_max_qubits=0)).circuit
    obs = SparsePauliOp(["ZZ", "XI"]).apply_layout(isa.layout)
    angles = np.array([[[0.0], [0.5]], [[1.0], [2.0]]])
    for method in ("automatic", "matrix_product_state"):
        result = AerExecutor(profile, method=method).estimate([EstimatorPub(isa, (obs,), angles)])
        assert result.values[0].shape == (2, 2, 1)
        for index in np.ndindex(2, 2):
            bound = logical.assign_parameters(angles[index])
            expected = Statevector(bound).expectation_value(SparsePauliOp(["ZZ", "XI"]))
            assert abs(result.values[0][(*index, 0)] - expected.real) < 1e-9


def test_precision_adds_seeded_noise_and_reports_it():
    profile = "ion_all_to_all"
    executor = AerExecutor(load_profile(profile), seed=5)
    first, second = _estimate(executor, profile, 0.01), _estimate(executor, profile, 0.01)
    assert first == second
    assert abs(first - reference_expectation(profile, observable())) < 0.05


def test_method_choice_and_fingerprint():
    assert choose_method(5, noisy=False) == "statevector"
    assert choose_method(40, noisy=False) == "matrix_product_state"
    assert choose_method(5, noisy=True) == "density_matrix"
    assert choose_method(20, noisy=True) == "statevector"
    executor = AerExecutor(load_profile("heron_r2"), noisy=True, noise_scale=0.5, seed=2)
    fingerprint = executor.fingerprint()
    assert executor.name == "aer-noisy"
    assert fingerprint["noise_scale"] == 0.5 and fingerprint["seed"] == 2
    assert fingerprint["profile"] == "heron_r2" and "qiskit_aer" in fingerprint
    json.dumps(fingerprint)
    with pytest.raises(JobError):
        executor.retrieve("abc")
    with pytest.raises(JobError):
        AerExecutor(load_profile("heron_r2"), method="quantum")


@pytest.mark.slow
def test_results_round_trip_through_json():
    executor = AerExecutor(load_profile("grid_10x10"), noisy=True, seed=1)
    sample = executor.submit("sample", [SamplerPub(compiled("grid_10x10", True))]).result()
    pub = EstimatorPub(
        compiled("grid_10x10", False), (device_observable("grid_10x10", observable()),)
    )
    estimate = executor.submit("estimate", [pub], precision=0.01).result()
    assert isinstance(sample, SampleResult) and isinstance(estimate, EstimateResult)
    assert SampleResult.from_dict(json.loads(json.dumps(sample.to_dict()))) == sample
    back = EstimateResult.from_dict(json.loads(json.dumps(estimate.to_dict())))
    assert np.array_equal(back.values[0], estimate.values[0])
    assert np.array_equal(back.stds[0], estimate.stds[0])
    assert back.metadata == estimate.metadata
