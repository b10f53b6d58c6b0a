"""TorchStatevectorQNN: exact outputs, exact gradients, and training through TorchConnector."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import RYGate
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit_machine_learning.connectors import TorchConnector
from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient
from qiskit_machine_learning.neural_networks import EstimatorQNN

from qcompile.errors import CompileError
from qcompile.models import ModelCircuit
from qcompile.models.catalog import ModelSpec, build_model
from qcompile.models.qlaci import build_qlaci
from runtime.torch_qnn import TorchStatevectorQNN


def _random_circuit() -> tuple[
    QuantumCircuit, ParameterVector, ParameterVector, list[SparsePauliOp]
]:
    """Every native path: rotations, phases, u, fixed gates, controls with ctrl_state, rzz,
    expanded gates (swap, ccx, rxx), affine and product angles, non-diagonal observables."""
    x = ParameterVector("inputs", 3)
    w = ParameterVector("weights", 5)
    qc = QuantumCircuit(4)
    qc.h([0, 1, 2, 3])
    qc.rx(x[0], 0)
    qc.ry(0.5 * x[1] + w[0], 1)
    qc.rz(x[0] * w[1], 2)
    qc.p(w[2] - 0.3, 3)
    qc.u(w[3], x[2], 0.7, 0)
    qc.cx(0, 1)
    qc.cz(1, 2)
    qc.cry(w[4], 2, 3)
    qc.crz(2 * x[1], 3, 0)
    qc.cp(w[0] * w[1], 0, 2)
    qc.rzz(x[2], 1, 3)
    qc.append(RYGate(w[1]).control(2, ctrl_state=1, annotated=False), [0, 2, 1])
    qc.swap(0, 3)
    qc.ccx(1, 2, 0)
    qc.rxx(w[2], 0, 1)
    qc.s(2)
    qc.t(3)
    qc.sx(1)
    qc.y(0)
    observables = [
        SparsePauliOp(["ZIIZ", "IXYI"], [0.5, -1.5]),
        SparsePauliOp("XXXX"),
        SparsePauliOp(["IIIZ", "YIZI", "IIII"], [1.0, 0.25, 0.1]),
    ]
    return qc, x, w, observables


def _models() -> dict[str, ModelCircuit]:
    qc, x, w, observables = _random_circuit()
    return {
        "qasa": build_model(ModelSpec("qasa", 4)),
        "qlam": build_model(ModelSpec("qlam", 3, width=3)),
        "qama": build_model(ModelSpec("qama", 3)),
        "qlaci": build_qlaci(4, 1, 1, 1, 1),
        "random": ModelCircuit(qc, {"q": qc.qregs[0]}, x, w, tuple(observables)),
    }


MODELS = _models()


def _reference(model: ModelCircuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    values = dict(zip(list(model.inputs) + list(model.weights), [*inputs, *weights], strict=True))
    bound = model.circuit.assign_parameters(
        {p: v for p, v in values.items() if p in model.circuit.parameters}
    )
    state = Statevector(bound)
    return np.array([state.expectation_value(o).real for o in model.observables])


@pytest.mark.parametrize("name", list(MODELS))
def test_forward_equals_statevector_expectation(name: str) -> None:
    model = MODELS[name]
    qnn = TorchStatevectorQNN.from_model(model)
    rng = np.random.default_rng(1)
    inputs = rng.uniform(-np.pi, np.pi, (3, len(model.inputs)))
    weights = rng.uniform(-np.pi, np.pi, len(model.weights))
    out = qnn.forward(inputs, weights)
    expected = np.array([_reference(model, row, weights) for row in inputs])
    np.testing.assert_allclose(out, expected, atol=1e-10, rtol=0)


@pytest.mark.parametrize("name", list(MODELS))
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


def test_input_gradients_off_returns_none() -> None:
    qnn = TorchStatevectorQNN.from_model(MODELS["qlaci"])
    input_grad, weight_grad = qnn.backward(np.zeros((2, qnn.num_inputs)), np.ones(qnn.num_weights))
    assert input_grad is None
    assert weight_grad.shape == (2, 1, qnn.num_weights)


def test_parameter_outside_inputs_and_weights_is_rejected() -> None:
    qc, x, w, observables = _random_circuit()
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
