"""TorchStatevectorQNN: exact outputs, exact gradients, and training through TorchConnector."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit.primitives import StatevectorEstimator
from qiskit_machine_learning.connectors import TorchConnector
from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient
from qiskit_machine_learning.neural_networks import EstimatorQNN

from hardware_profiles.errors import CompileError
from qcompile.models.qlaci import build_qlaci
from runtime.qnn.torch_qnn import TorchStatevectorLayer, TorchStatevectorQNN
from tests.runtime._torch_circuits import MODELS, random_circuit, reference_values


@pytest.mark.parametrize("name", list(MODELS))
def test_forward_equals_statevector_expectation(name: str) -> None:
    model = MODELS[name]
    qnn = TorchStatevectorQNN.from_model(model)
    rng = np.random.default_rng(1)
    inputs = rng.uniform(-np.pi, np.pi, (3, len(model.inputs)))
    weights = rng.uniform(-np.pi, np.pi, len(model.weights))
    out = qnn.forward(inputs, weights)
    expected = np.array([reference_values(model, row, weights) for row in inputs])
    np.testing.assert_allclose(out, expected, atol=1e-10, rtol=0)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in MODELS if not n.startswith("kernel-paths")])
def test_gradients_equal_parameter_shift(name: str) -> None:
    model = MODELS[name]
    qnn = TorchStatevectorQNN.from_model(model, input_gradients=True)
    # qml needs every weight in the circuit; QASA declares one it never uses (gradient 0).
    used = [i for i, p in enumerate(model.weights) if p in model.circuit.parameters]
    reference = EstimatorQNN(
        circuit=model.circuit,
        observables=list(model.observables),
        input_params=list(model.inputs),
        weight_params=[model.weights[i] for i in used],
        gradient=ParamShiftEstimatorGradient(StatevectorEstimator()),
        input_gradients=True,
    )
    rng = np.random.default_rng(2)
    inputs = rng.uniform(-np.pi, np.pi, (1, len(model.inputs)))
    weights = rng.uniform(-np.pi, np.pi, len(model.weights))
    ours = qnn.backward(inputs, weights)
    want_inputs, want_used = reference.backward(inputs, weights[used])
    got_inputs, got_weights = ours
    assert got_inputs is not None and want_inputs is not None and want_used is not None
    want_weights = np.zeros_like(got_weights)
    want_weights[..., used] = want_used
    np.testing.assert_allclose(got_inputs, want_inputs, atol=1e-6, rtol=0)
    np.testing.assert_allclose(got_weights, want_weights, atol=1e-6, rtol=0)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["kernel-paths", "kernel-paths-sample-tail", "qlaci"])
def test_batch_gradients_equal_statevector_finite_differences(name: str) -> None:
    """Several samples (matrices shared by the batch and per-sample ones take different
    paths); the reference is central differences of Qiskit's Statevector expectation."""
    model = MODELS[name]
    qnn = TorchStatevectorQNN.from_model(model, input_gradients=True)
    rng = np.random.default_rng(5)
    inputs = rng.uniform(-np.pi, np.pi, (3, len(model.inputs)))
    weights = rng.uniform(-np.pi, np.pi, len(model.weights))
    got_inputs, got_weights = qnn.backward(inputs, weights)
    assert got_inputs is not None and got_weights is not None
    step = 1e-4
    for b, row in enumerate(inputs):
        point = np.concatenate([row, weights])
        want = np.zeros((len(model.observables), len(point)))
        for j in range(len(point)):
            shift = np.zeros_like(point)
            shift[j] = step
            plus, minus = point + shift, point - shift
            ni = len(row)
            want[:, j] = (
                reference_values(model, plus[:ni], plus[ni:])
                - reference_values(model, minus[:ni], minus[ni:])
            ) / (2 * step)
        np.testing.assert_allclose(got_inputs[b], want[:, : len(row)], atol=1e-6, rtol=0)
        np.testing.assert_allclose(got_weights[b], want[:, len(row) :], atol=1e-6, rtol=0)


def test_backward_after_forward_reuses_nothing_stale() -> None:
    model = MODELS["random"]
    qnn = TorchStatevectorQNN.from_model(model, input_gradients=True)
    rng = np.random.default_rng(3)
    weights = rng.uniform(-1, 1, len(model.weights))
    first, second = rng.uniform(-1, 1, (2, 2, len(model.inputs)))
    qnn.forward(first, weights)
    cold = TorchStatevectorQNN.from_model(model, input_gradients=True).backward(second, weights)
    warm = qnn.backward(second, weights)
    for got, want in zip(warm, cold, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["qlaci-multiplexer", "kernel-paths"])
def test_training_steps_reuse_buffers_without_leaking_values(name: str) -> None:
    """Sweep buffers are kept between calls and handed back after each backward pass: a
    step's outputs and gradients equal those of a fresh QNN."""
    model = MODELS[name]
    qnn = TorchStatevectorQNN.from_model(model, input_gradients=True)
    rng = np.random.default_rng(7)
    weights = rng.uniform(-1, 1, len(model.weights))
    for _ in range(3):
        inputs = rng.uniform(-np.pi, np.pi, (4, len(model.inputs)))
        fresh = TorchStatevectorQNN.from_model(model, input_gradients=True)
        np.testing.assert_array_equal(qnn.forward(inputs, weights), fresh.forward(inputs, weights))
        for got, want in zip(
            qnn.backward(inputs, weights), fresh.backward(inputs, weights), strict=True
        ):
            np.testing.assert_array_equal(got, want)


def test_input_gradients_off_returns_none() -> None:
    qnn = TorchStatevectorQNN.from_model(MODELS["qlaci"])
    input_grad, weight_grad = qnn.backward(np.zeros((2, qnn.num_inputs)), np.ones(qnn.num_weights))
    assert input_grad is None
    assert weight_grad.shape == (2, 1, qnn.num_weights)


def test_parameter_outside_inputs_and_weights_is_rejected() -> None:
    qc, x, w, observables = random_circuit()
    with pytest.raises(CompileError, match="neither an input nor a weight"):
        TorchStatevectorQNN(qc, list(x), list(w)[:-1], observables)


def test_hybrid_model_trains_through_torch_connector() -> None:
    torch.manual_seed(0)
    qnn = TorchStatevectorQNN.from_model(build_qlaci(2, 1, 1, 1, 1), input_gradients=True)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, qnn.num_inputs),
        TorchConnector(qnn, initial_weights=np.full(qnn.num_weights, 0.1)),
        torch.nn.Linear(1, 1),
    )
    features = torch.rand(16, 3)
    targets = torch.sin(features.sum(dim=1, keepdim=True))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(20):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(features), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    first_layer = model[0]
    assert isinstance(first_layer, torch.nn.Linear)
    assert first_layer.weight.grad is not None
    assert first_layer.weight.grad.abs().sum() > 0


def test_layer_gradients_equal_statevector_finite_differences() -> None:
    """The training layer's backward (one weighted adjoint sweep) against central
    differences of Qiskit's Statevector, for the inputs and the float32 weights."""
    model = MODELS["qlaci-multiplexer"]
    rng = np.random.default_rng(8)
    weights = rng.uniform(-1, 1, len(model.weights)).astype(np.float32).astype(float)
    layer = TorchStatevectorLayer.from_model(model, initial_weights=weights)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]  # as TorchConnector
    inputs = torch.tensor(rng.uniform(-np.pi, np.pi, (2, len(model.inputs))), requires_grad=True)
    upstream = torch.tensor(rng.normal(size=(2, len(model.observables))))
    (layer(inputs) * upstream).sum().backward()
    assert inputs.grad is not None and layer.weight.grad is not None
    step = 1e-5

    def loss(x: np.ndarray, w: np.ndarray) -> float:
        return float(
            sum(reference_values(model, row, w) @ upstream[b].numpy() for b, row in enumerate(x))
        )

    x0 = inputs.detach().numpy()
    for j in range(len(weights)):
        e = np.zeros_like(weights)
        e[j] = step
        want = (loss(x0, weights + e) - loss(x0, weights - e)) / (2 * step)
        assert abs(float(layer.weight.grad[j]) - want) < 1e-6
    for j in range(x0.shape[1]):
        e = np.zeros_like(x0)
        e[0, j] = step
        want = (loss(x0 + e, weights) - loss(x0 - e, weights)) / (2 * step)
        assert abs(float(inputs.grad[0, j]) - want) < 1e-8
