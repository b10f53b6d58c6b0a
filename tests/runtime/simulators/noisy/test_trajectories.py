"""Trajectory mode: unbiased values and gradients, checked against Aer and the exact mode."""

from __future__ import annotations

import functools
from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import DensityMatrix, SparsePauliOp
from qiskit_aer import AerSimulator

from runtime.simulators.noisy import DensityEngine, TrajectoryEngine, noisy_program, trajectories
from runtime.simulators.noisy.program import readout_observable
from tests.runtime.simulators.noisy._circuits import compact, observables, occurrence_values


@functools.cache
def _case():  # type: ignore[no-untyped-def]
    theta = ParameterVector("theta", 5)
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.ry(theta[0], 1)
    qc.cx(0, 1)
    qc.rz(theta[1], 1)
    qc.cx(1, 2)
    qc.rx(theta[2], 2)
    qc.rzz(theta[3], 0, 2)
    qc.ry(theta[4], 0)
    # Noise 30x the calibration, so that the channels (relaxation included) move the values
    # well beyond the Monte-Carlo error.
    return compact(qc, list(theta), scale=30.0)


@pytest.mark.slow
@pytest.mark.parametrize("chunked", [False, True])
def test_trajectory_mean_is_within_4_sigma_of_aer_density_matrix(chunked: bool) -> None:
    """Also with one sample per chunk (each chunk draws its own trajectories in turn)."""
    c = _case()
    obs = observables(c.circuit.num_qubits)
    angles = occurrence_values(c, np.random.default_rng(3).uniform(-2, 2, (2, 5)))
    program = noisy_program(c.circuit, c.occurrences, c.noise, obs, readout=False)
    with mock.patch.object(trajectories, "CHUNK_BYTES", 1 if chunked else trajectories.CHUNK_BYTES):
        values = TrajectoryEngine(program).expectations(
            torch.as_tensor(angles), 4000, torch.Generator().manual_seed(5)
        )
    mean = values.mean(1).numpy()
    sigma = values.std(1).numpy() / np.sqrt(4000)
    simulator = AerSimulator(method="density_matrix", noise_model=c.noise)
    for b, row in enumerate(angles):
        bound = c.circuit.assign_parameters(dict(zip(c.occurrences, row, strict=True)))
        bound.save_density_matrix()
        rho = DensityMatrix(simulator.run(bound).result().data(0)["density_matrix"])
        exact = np.array([rho.expectation_value(o).real for o in obs])
        ideal = np.array([_ideal(bound).expectation_value(o).real for o in obs])
        assert np.all(np.abs(mean[b] - exact) < 4 * sigma[b] + 1e-12), (mean[b], exact, sigma[b])
        # The noise is visible: the noisy value differs from the ideal one by > 4 sigma somewhere.
        assert np.any(np.abs(exact - ideal) > 4 * sigma[b])


def _ideal(bound: QuantumCircuit) -> DensityMatrix:
    clean = bound.copy_empty_like()
    for instruction in bound.data:
        if instruction.operation.name != "save_density_matrix":
            clean.append(instruction)
    return DensityMatrix(clean)


@pytest.mark.slow
def test_trajectory_gradient_is_unbiased() -> None:
    c = _case()
    obs = observables(c.circuit.num_qubits)
    program = noisy_program(c.circuit, c.occurrences, c.noise, obs)
    angles = torch.as_tensor(occurrence_values(c, np.random.default_rng(4).uniform(-2, 2, (1, 5))))
    weights = torch.tensor([[0.7, -1.1, 0.4]], dtype=torch.float64)
    exact_leaf = angles.clone().requires_grad_(True)
    (DensityEngine(program).expectations(exact_leaf) * weights).sum().backward()
    engine = TrajectoryEngine(program)
    generator = torch.Generator().manual_seed(9)
    runs = []
    for _ in range(40):
        leaf = angles.clone().requires_grad_(True)
        (engine.expectations(leaf, 100, generator).mean(1) * weights).sum().backward()
        assert leaf.grad is not None
        runs.append(leaf.grad[0].numpy())
    grads = np.array(runs)
    mean, sigma = grads.mean(0), grads.std(0, ddof=1) / np.sqrt(len(grads))
    assert exact_leaf.grad is not None
    assert np.all(np.abs(mean - exact_leaf.grad[0].numpy()) < 4 * sigma + 1e-12)


def test_trajectories_are_reproducible_for_a_seed() -> None:
    c = _case()
    program = noisy_program(c.circuit, c.occurrences, c.noise, observables(c.circuit.num_qubits))
    engine = TrajectoryEngine(program)
    angles = torch.zeros((2, len(c.occurrences)), dtype=torch.float64)
    first = engine.expectations(angles, 16, torch.Generator().manual_seed(1))
    again = engine.expectations(angles, 16, torch.Generator().manual_seed(1))
    assert torch.equal(first, again)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_readout_observable_equals_confused_probabilities(n, seed) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    confusion = []
    for _ in range(n):
        p01, p10 = rng.uniform(0, 0.3, 2)
        confusion.append(np.array([[1 - p01, p01], [p10, 1 - p10]]))
    labels = ["".join(rng.choice(list("IZ"), n)) for _ in range(3)]
    observable = SparsePauliOp(labels, rng.normal(size=3))
    probabilities = rng.dirichlet(np.ones(2**n))
    # Independent reference: confuse the outcome distribution, then average the eigenvalues.
    tensor = probabilities.reshape([2] * n)
    for q in range(n):
        tensor = np.moveaxis(
            np.tensordot(tensor, confusion[q], axes=([n - 1 - q], [0])), -1, n - 1 - q
        )
    read = tensor.reshape(-1)
    diagonal = np.real(np.diag(observable.to_matrix()))
    expected = read @ diagonal
    folded = np.real(np.diag(readout_observable(observable, confusion).to_matrix()))
    assert abs(probabilities @ folded - expected) < 1e-12


def test_fused_blocks_equal_step_by_step_for_the_same_draws() -> None:
    c = _case()
    program = noisy_program(c.circuit, c.occurrences, c.noise, observables(c.circuit.num_qubits))
    angles = torch.as_tensor(occurrence_values(c, np.random.default_rng(6).uniform(-2, 2, (2, 5))))
    results = []
    for block_qubits in (0, 2, 3, 5, None):
        engine = TrajectoryEngine(program, block_qubits=block_qubits)
        leaf = angles.clone().requires_grad_(True)
        values = engine.expectations(leaf, 64, torch.Generator().manual_seed(2))
        (values * torch.linspace(-1, 1, values.shape[-1], dtype=torch.float64)).sum().backward()
        assert leaf.grad is not None
        results.append((values.detach().numpy(), leaf.grad.numpy()))
    for values, grad in results[1:]:
        np.testing.assert_allclose(values, results[0][0], atol=1e-12)
        np.testing.assert_allclose(grad, results[0][1], atol=1e-12)
