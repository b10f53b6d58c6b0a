"""ShotsQNN: compiled once, batched parameter shift / SPSA, training through TorchConnector."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter, ParameterVector
from qiskit.circuit.library import CPhaseGate, SXGate, XGate
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import InstructionProperties, Target
from qiskit_machine_learning.connectors import TorchConnector

from hardware_profiles import load_profile
from hardware_profiles.errors import CompileError, JobError
from qcompile.models import ModelCircuit
from runtime.execution.aer import AerExecutor
from runtime.execution.ibm import IBMExecutor
from runtime.qnn.shots_qnn import ShotsQNN
from runtime.qnn.torch_qnn import TorchStatevectorQNN
from runtime.train.spec import QNNBackend


@functools.cache
def _model() -> ModelCircuit:
    """Three qubits; scaled, shared and product angles, a controlled rotation and rzz."""
    x = ParameterVector("inputs", 2)
    w = ParameterVector("weights", 4)
    qc = QuantumCircuit(3, name="shots3")
    qc.ry(x[0], 0)
    qc.ry(2 * x[1] + w[0], 1)
    qc.h(2)
    qc.cx(0, 1)
    qc.rz(w[1] * x[0], 1)
    qc.crx(w[2], 1, 2)
    qc.rzz(w[3], 0, 2)
    qc.ry(w[0], 2)
    observables = (SparsePauliOp(["ZII", "IXZ"], [1.0, 0.5]), SparsePauliOp("IZI"))
    return ModelCircuit(qc, {"q": qc.qregs[0]}, x, w, observables)


def _qnn(executor, **options) -> ShotsQNN:
    return ShotsQNN.from_model(
        _model(), executor=executor, target=load_profile("heron_r2"), **options
    )


@functools.cache
def _ideal() -> ShotsQNN:
    executor = AerExecutor(load_profile("heron_r2"), seed=1)
    return _qnn(executor, input_gradients=True, precision=1e-4)


@pytest.mark.slow
def test_parameter_shift_equals_exact_gradients_on_ideal_aer() -> None:
    qnn = _ideal()
    exact = TorchStatevectorQNN.from_model(_model(), input_gradients=True)
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-2, 2, (3, 2))
    weights = rng.uniform(-2, 2, 4)
    np.testing.assert_allclose(
        qnn.forward(inputs, weights), exact.forward(inputs, weights), atol=1e-3
    )
    got_inputs, got_weights = qnn.backward(inputs, weights)
    want_inputs, want_weights = exact.backward(inputs, weights)
    assert got_inputs is not None and want_inputs is not None
    # precision 1e-4 per value; a gradient sums a few shifted pairs: 5e-3 is > 10 sigma.
    np.testing.assert_allclose(got_inputs, want_inputs, atol=5e-3)
    np.testing.assert_allclose(got_weights, want_weights, atol=5e-3)
    assert np.abs(want_weights).max() > 0.1


@pytest.mark.slow
def test_parameter_shift_is_exact_for_r_and_rzz_gates_on_an_ion_target() -> None:
    # ion_all_to_all compiles to r(theta, phi), rz and rzz: theta and rzz angles shift.
    profile = load_profile("ion_all_to_all")
    qnn = ShotsQNN.from_model(
        _model(), executor=AerExecutor(profile, seed=6), input_gradients=True, precision=1e-4
    )
    assert {"r", "rzz"} <= set(qnn.isa_circuit.count_ops())
    exact = TorchStatevectorQNN.from_model(_model(), input_gradients=True)
    inputs, weights = np.array([[0.4, -1.1]]), np.array([0.3, 1.7, -0.6, 2.2])
    got_inputs, got_weights = qnn.backward(inputs, weights)
    want_inputs, want_weights = exact.backward(inputs, weights)
    assert got_inputs is not None and want_inputs is not None
    np.testing.assert_allclose(got_inputs, want_inputs, atol=5e-3)
    np.testing.assert_allclose(got_weights, want_weights, atol=5e-3)


@pytest.mark.parametrize("gradient", ["parameter-shift", "spsa"])
def test_each_pass_is_one_estimator_request(gradient: str) -> None:
    qnn = _qnn(AerExecutor(load_profile("heron_r2"), seed=2), gradient=gradient, seed=0)
    before = qnn.requests
    qnn.forward(np.zeros((4, 2)), np.ones(4))
    qnn.backward(np.zeros((4, 2)), np.ones(4))
    assert qnn.requests - before == 2


def _train(qnn: ShotsQNN, steps: int) -> list[float]:
    torch.manual_seed(0)
    model = TorchConnector(qnn, initial_weights=np.array([1.2, -0.8, 0.9, 1.1]))
    features = torch.linspace(-1.0, 1.0, 6).unsqueeze(1).repeat(1, 2)
    targets = torch.stack([torch.cos(features[:, 0]), -0.5 * torch.ones(6)], dim=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.15)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(features), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.slow
@pytest.mark.parametrize("gradient", ["parameter-shift", "spsa"])
def test_noisy_aer_training_reduces_the_loss(gradient: str) -> None:
    executor = AerExecutor(load_profile("heron_r2"), noisy=True, seed=3)
    qnn = _qnn(executor, gradient=gradient, precision=0.01, seed=4)
    losses = _train(qnn, steps=8)
    assert min(losses[-2:]) < 0.6 * losses[0]


@pytest.mark.slow
def test_from_training_backend_builds_a_noisy_aer_network() -> None:
    qnn = ShotsQNN.from_model(
        _model(), backend=QNNBackend("aer-noisy", gradient="spsa", seed=1), input_gradients=True
    )
    values = qnn.forward(np.zeros((2, 2)), np.zeros(4))
    assert values.shape == (2, 2)
    with pytest.raises(JobError, match="not shots-based"):
        ShotsQNN.from_model(_model(), backend=QNNBackend("exact"))


@pytest.mark.slow
def test_ibm_local_testing_mode_runs_a_training_step() -> None:
    executor = IBMExecutor.local("FakeFez", seed=5)
    qnn = _qnn(executor, input_gradients=True, precision=0.05)
    model = TorchConnector(qnn, initial_weights=np.array([1.2, -0.8, 0.9, 1.1]))
    features = torch.tensor([[0.3, -0.4], [1.0, 0.2]], requires_grad=True)
    loss = model(features).square().sum()
    loss.backward()
    assert qnn.requests == 2
    assert model.weight.grad is not None and torch.isfinite(model.weight.grad).all()
    assert model.weight.grad.abs().sum() > 0
    assert features.grad is not None and features.grad.abs().sum() > 0


def test_gate_without_a_shift_rule_is_rejected() -> None:
    target = Target(num_qubits=2)
    phi = Parameter("phi")
    target.add_instruction(CPhaseGate(phi), {(0, 1): InstructionProperties()})
    for gate in (SXGate(), XGate()):
        target.add_instruction(gate, {(q,): InstructionProperties() for q in range(2)})
    w = ParameterVector("weights", 1)
    qc = QuantumCircuit(2)
    qc.cp(w[0], 0, 1)
    observable = SparsePauliOp("ZZ")
    with pytest.raises(CompileError, match="no exact two-term"):
        ShotsQNN(
            qc,
            [],
            list(w),
            [observable],
            executor=AerExecutor(load_profile("heron_r2")),
            target=target,
        )


def test_bad_gradient_method_is_rejected() -> None:
    with pytest.raises(JobError, match="gradient must be"):
        _qnn(AerExecutor(load_profile("heron_r2")), gradient="finite-difference")
