"""NoisyQNN: the profile's noisy expectation values and gradients, checked against Aer."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp
from qiskit_machine_learning.connectors import TorchConnector

from hardware_profiles import load_profile
from hardware_profiles.errors import CompileError, JobError
from qcompile.models import ModelCircuit
from runtime.execution.aer import AerExecutor
from runtime.execution.executor import EstimatorPub
from runtime.qnn.noisy_qnn import NoisyQNN
from runtime.train.spec import QNNBackend


@functools.cache
def _model() -> ModelCircuit:
    """Three qubits; scaled and shared (affine) angles, a controlled rotation and rzz."""
    x = ParameterVector("inputs", 2)
    w = ParameterVector("weights", 4)
    qc = QuantumCircuit(3, name="noisy3")
    qc.ry(x[0], 0)
    qc.ry(2 * x[1] + w[0], 1)
    qc.h(2)
    qc.cx(0, 1)
    qc.rz(w[1] - x[0] / 2, 1)
    qc.crx(w[2], 1, 2)
    qc.rzz(w[3], 0, 2)
    qc.ry(w[0], 2)
    observables = (SparsePauliOp(["ZII", "IXZ"], [1.0, 0.5]), SparsePauliOp("IZI"))
    return ModelCircuit(qc, {"q": qc.qregs[0]}, x, w, observables)


@functools.cache
def _qnn(readout: bool = True) -> NoisyQNN:
    return NoisyQNN.from_model(
        _model(), profile="heron_r2", input_gradients=True, readout=readout, seed=0
    )


def _rows(seed: int, batch: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-np.pi, np.pi, (batch, 2)), rng.uniform(-np.pi, np.pi, 4)


@pytest.mark.slow
def test_density_mode_equals_aer_estimates_on_the_compiled_circuit() -> None:
    qnn = _qnn(readout=False)
    assert qnn.mode == "density"
    inputs, weights = _rows(1)
    ours = qnn.forward(inputs, weights)
    isa = qnn.artifact.circuit
    order = {p: i for i, p in enumerate([*_model().inputs, *_model().weights])}
    rows = np.concatenate([inputs, np.broadcast_to(weights, (3, 4))], axis=1)
    values = rows[:, [order[p] for p in isa.parameters]]
    executor = AerExecutor(load_profile("heron_r2"), noisy=True, seed=1)
    pub = EstimatorPub(isa, qnn.artifact.observables, values)
    reference = executor.estimate([pub], precision=None)
    assert reference.metadata["methods"] == ["density_matrix"]
    np.testing.assert_allclose(ours, reference.values[0], atol=1e-9, rtol=0)


@pytest.mark.slow
def test_gradients_equal_finite_differences() -> None:
    qnn = _qnn()
    inputs, weights = _rows(2, batch=2)
    input_grad, weight_grad = qnn.backward(inputs, weights)
    assert input_grad is not None
    h = 1e-5
    for j in range(2):
        step = np.zeros(2)
        step[j] = h
        slope = (qnn.forward(inputs + step, weights) - qnn.forward(inputs - step, weights)) / (
            2 * h
        )
        np.testing.assert_allclose(input_grad[:, :, j], slope, atol=1e-8, rtol=0)
    for j in range(4):
        step = np.zeros(4)
        step[j] = h
        slope = (qnn.forward(inputs, weights + step) - qnn.forward(inputs, weights - step)) / (
            2 * h
        )
        np.testing.assert_allclose(weight_grad[:, :, j], slope, atol=1e-8, rtol=0)


def test_torch_layer_gradient_equals_torch_connector_gradient() -> None:
    qnn = _qnn()
    inputs, weights = _rows(3)
    upstream = torch.as_tensor(np.random.default_rng(4).normal(size=(3, 2)))
    grads = []
    for module in (qnn.torch_layer(weights), TorchConnector(qnn, initial_weights=weights)):
        x = torch.as_tensor(inputs).requires_grad_(True)
        (module(x).double() * upstream).sum().backward()
        assert x.grad is not None
        grads.append((x.grad.numpy(), module.weight.grad.numpy()))  # type: ignore[union-attr]
    # TorchConnector hands gradients back in float32.
    np.testing.assert_allclose(grads[0][0], grads[1][0], atol=1e-6)
    np.testing.assert_allclose(grads[0][1], grads[1][1], atol=1e-6)


def test_readout_errors_shrink_z_expectations() -> None:
    inputs, weights = _rows(5)
    with_readout = _qnn(readout=True).forward(inputs, weights)
    without = _qnn(readout=False).forward(inputs, weights)
    # <Z> under symmetric-ish confusion is scaled towards 0 (output 1 is a single Z).
    assert np.all(np.abs(with_readout[:, 1]) < np.abs(without[:, 1]))


def test_backend_options_reach_the_qnn() -> None:
    backend = QNNBackend(name="noisy", noisy_mode="trajectories", trajectories=3, seed=2)
    qnn = NoisyQNN.from_model(_model(), backend=backend)
    assert (qnn.mode, qnn.trajectories) == ("trajectories", 3)
    inputs, weights = _rows(6, batch=2)
    values = qnn.trajectory_values(
        torch.as_tensor(np.concatenate([inputs, np.broadcast_to(weights, (2, 4))], axis=1))
    )
    assert values.shape == (2, 3, 2)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"mode": "fast"}, JobError),
        ({"trajectories": 0}, JobError),
        ({"mode": "density", "profile": "heron_r2"}, None),
    ],
)
def test_bad_options_are_one_line_errors(options, error) -> None:  # type: ignore[no-untyped-def]
    kwargs = {"profile": "heron_r2", **options}
    if error is None:
        NoisyQNN.from_model(_model(), **kwargs)
        return
    with pytest.raises(error):
        NoisyQNN.from_model(_model(), **kwargs)


def test_non_affine_angles_are_refused() -> None:
    x, w = ParameterVector("inputs", 1), ParameterVector("weights", 1)
    qc = QuantumCircuit(1)
    qc.ry(x[0] * w[0], 0)
    model = ModelCircuit(qc, {"q": qc.qregs[0]}, x, w, (SparsePauliOp("Z"),))
    with pytest.raises(CompileError, match="affine"):
        NoisyQNN.from_model(model, profile="heron_r2")
