"""The exact density-matrix mode against Aer's density-matrix simulator and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qiskit.quantum_info import DensityMatrix
from qiskit_aer import AerSimulator

from hardware_profiles.errors import JobError
from runtime.simulators.noisy import DensityEngine, noisy_program
from tests.runtime.simulators.noisy._circuits import (
    compact,
    logical_circuits,
    observables,
    occurrence_values,
)

SETTINGS = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _aer_density(c, angles: np.ndarray) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    simulator = AerSimulator(method="density_matrix", noise_model=c.noise)
    out = []
    for row in angles:
        bound = c.circuit.assign_parameters(dict(zip(c.occurrences, row, strict=True)))
        bound.save_density_matrix()
        out.append(np.asarray(simulator.run(bound).result().data(0)["density_matrix"]))
    return out


@pytest.mark.slow
@SETTINGS
@given(logical_circuits(), st.integers(0, 2**31 - 1))
def test_density_mode_equals_aer_density_matrix(case, seed) -> None:  # type: ignore[no-untyped-def]
    logical, params = case
    c = compact(logical, params, scale=5.0)  # stronger noise: the comparison means more
    n = c.circuit.num_qubits
    obs = observables(n)
    rng = np.random.default_rng(seed)
    angles = occurrence_values(c, rng.uniform(-np.pi, np.pi, (2, len(params))))
    program = noisy_program(c.circuit, c.occurrences, c.noise, obs, readout=False)
    ours = DensityEngine(program).expectations(torch.as_tensor(angles)).numpy()
    reference = [
        [DensityMatrix(rho).expectation_value(o).real for o in obs]
        for rho in _aer_density(c, angles)
    ]
    np.testing.assert_allclose(ours, reference, atol=1e-9, rtol=0)


@pytest.mark.slow
@SETTINGS
@given(logical_circuits(), st.integers(0, 2**31 - 1))
def test_readout_folded_observables_equal_confused_aer_probabilities(case, seed) -> None:  # type: ignore[no-untyped-def]
    logical, params = case
    c = compact(logical, params, scale=5.0)
    n = c.circuit.num_qubits
    # Z-type observables: measured in the computational basis, then confused bit by bit.
    z_obs = [
        observables(n)[0],
        observables(n)[2].__class__.from_sparse_list([("ZZ", [0, n - 1], 1.0), ("Z", [1], 0.4)], n),
    ]
    rng = np.random.default_rng(seed)
    angles = occurrence_values(c, rng.uniform(-np.pi, np.pi, (1, len(params))))
    program = noisy_program(c.circuit, c.occurrences, c.noise, z_obs, readout=True)
    ours = DensityEngine(program).expectations(torch.as_tensor(angles)).numpy()[0]
    probabilities = np.real(np.diag(_aer_density(c, angles)[0])).reshape([2] * n)
    for q in range(n):  # axis n-1-q is qubit q; A[true, read]
        confusion = np.asarray(c.noise._local_readout_errors[(q,)].probabilities)
        probabilities = np.moveaxis(
            np.tensordot(probabilities, confusion, axes=([n - 1 - q], [0])), -1, n - 1 - q
        )
    read = probabilities.reshape(-1)
    bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    signs = 1 - 2 * bits  # (outcome, qubit)
    expected = [
        read @ signs[:, 0],
        read @ (signs[:, 0] * signs[:, n - 1]) + 0.4 * (read @ signs[:, 1]),
    ]
    np.testing.assert_allclose(ours, expected, atol=1e-12, rtol=0)


@pytest.mark.slow
@SETTINGS
@given(logical_circuits(), st.integers(0, 2**31 - 1))
def test_density_gradient_equals_finite_differences(case, seed) -> None:  # type: ignore[no-untyped-def]
    logical, params = case
    c = compact(logical, params, scale=5.0)
    obs = observables(c.circuit.num_qubits)
    engine = DensityEngine(noisy_program(c.circuit, c.occurrences, c.noise, obs))
    rng = np.random.default_rng(seed)
    angles = torch.as_tensor(occurrence_values(c, rng.uniform(-np.pi, np.pi, (2, len(params)))))
    weights = torch.as_tensor(rng.normal(size=(2, len(obs))))
    if angles.shape[1] == 0:
        return
    leaf = angles.clone().requires_grad_(True)
    (engine.expectations(leaf) * weights).sum().backward()
    assert leaf.grad is not None
    h = 1e-5
    for o in range(angles.shape[1]):
        shift = torch.zeros_like(angles)
        shift[:, o] = h
        plus = (engine.expectations(angles + shift) * weights).sum(1)
        minus = (engine.expectations(angles - shift) * weights).sum(1)
        np.testing.assert_allclose(
            leaf.grad[:, o].numpy(), ((plus - minus) / (2 * h)).numpy(), atol=1e-8, rtol=0
        )


def test_density_mode_refuses_more_than_ten_qubits() -> None:
    from runtime.simulators.noisy.program import NoisyProgram

    with pytest.raises(JobError, match="over 10"):
        DensityEngine(NoisyProgram(11, 0, (), ()))
