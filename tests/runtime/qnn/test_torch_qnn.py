"""TorchStatevectorQNN: exact outputs, exact gradients, and training through TorchConnector."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import AnnotatedOperation, ControlModifier, InverseModifier, ParameterVector
from qiskit.circuit.library import HGate, RYGate, RZGate
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import Operator, SparsePauliOp, Statevector
from qiskit.transpiler import PassManager
from qiskit_machine_learning.connectors import TorchConnector
from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient
from qiskit_machine_learning.neural_networks import EstimatorQNN

from hardware_profiles.errors import CompileError
from qcompile.models import ModelCircuit
from qcompile.models.catalog import ModelSpec, build_model
from qcompile.models.qlaci import build_qlaci
from qcompile.qram.lowering import QRAMLowering
from runtime.qnn.torch_qnn import TorchStatevectorQNN
from runtime.simulators import statevector_torch
from runtime.simulators.statevector_torch import compile_circuit


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


def _kernel_paths_circuit(sample_tail: bool = False) -> ModelCircuit:
    """The simulator's kernels and shortcuts: multiplexers whose consecutive controls lie
    above or below the target, one on scattered controls with some control values unset,
    shared (weight-only) and per-sample matrices, and a tail folded into observables on
    scattered qubits (reading an input too if ``sample_tail``)."""
    x = ParameterVector("inputs", 4)
    w = ParameterVector("weights", 7)
    qc = QuantumCircuit(7)
    qc.h(range(7))
    qc.ry(x[0], 0)
    if not sample_tail:
        qc.rx(x[3], 4)
    for value in range(8):  # consecutive controls 2-4 above the target 0, per sample
        angle = x[1] + 0.3 * value if value % 2 else x[2] * (value + 1) / 4
        qc.append(RYGate(angle).control(3, ctrl_state=value, annotated=False), [2, 3, 4, 0])
    for value in (0, 2, 3):  # consecutive controls 1-2 below the target 5, shared
        qc.append(RZGate(w[value]).control(2, ctrl_state=value, annotated=False), [1, 2, 5])
    for value in (1, 2, 3):  # scattered controls 0 and 3, three of four values, shared
        qc.append(RYGate(w[3] + value).control(2, ctrl_state=value, annotated=False), [0, 3, 6])
    qc.cx(6, 1)
    if sample_tail:
        qc.rx(x[3], 4)
    # The tail on qubits 1 and 4 (the observables' support).
    qc.ry(w[4], 1)
    qc.cx(1, 4)
    qc.rz(w[5], 4)
    qc.u(w[6], 0.2, -0.4, 1)
    observables = (
        SparsePauliOp(["IIZIIZI", "IIXIIYI"], [1.0, 0.5]),  # Z1 Z4 + 0.5 X4 Y1
        SparsePauliOp("IIZIIII"),  # Z4
    )
    return ModelCircuit(qc, {"q": qc.qregs[0]}, x, w, observables)


def _models() -> dict[str, ModelCircuit]:
    qc, x, w, observables = _random_circuit()
    qlaci = build_qlaci(4, 1, 1, 1, 1)
    # The ancilla-free QRAM lookup (``--qram multiplexer``): multi-controlled rotations.
    multiplexed = PassManager([QRAMLowering("multiplexer")]).run(qlaci.circuit)
    return {
        "qasa": build_model(ModelSpec("qasa", 4)),
        "qlam": build_model(ModelSpec("qlam", 3, width=3)),
        "qama": build_model(ModelSpec("qama", 3)),
        "qlaci": qlaci,
        "qlaci-multiplexer": dataclasses.replace(qlaci, circuit=multiplexed),
        "random": ModelCircuit(qc, {"q": qc.qregs[0]}, x, w, tuple(observables)),
        "kernel-paths": _kernel_paths_circuit(),
        "kernel-paths-sample-tail": _kernel_paths_circuit(sample_tail=True),
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
                _reference(model, plus[:ni], plus[ni:]) - _reference(model, minus[:ni], minus[ni:])
            ) / (2 * step)
        np.testing.assert_allclose(got_inputs[b], want[:, : len(row)], atol=1e-6, rtol=0)
        np.testing.assert_allclose(got_weights[b], want[:, len(row) :], atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", ["kernel-paths", "random", "qlaci-multiplexer"])
def test_adjoint_uncomputes_states_it_did_not_keep(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above a memory budget the forward sweep keeps no states; the Jacobian is the same."""
    model = MODELS[name]
    simulator = compile_circuit(
        model.circuit, list(model.inputs) + list(model.weights), model.observables
    )
    params = torch.tensor(
        np.random.default_rng(6).uniform(-2, 2, (3, len(model.inputs) + len(model.weights)))
    )
    kept = simulator.evaluate(params)
    assert kept.afters
    monkeypatch.setattr(statevector_torch, "_KEEP_BYTES", 0)
    recomputed = simulator.evaluate(params)
    assert not recomputed.afters
    np.testing.assert_allclose(
        simulator.jacobian(recomputed), simulator.jacobian(kept), atol=1e-12, rtol=0
    )


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


@pytest.mark.parametrize("name", ["qlaci-multiplexer", "kernel-paths", "random"])
def test_evaluations_held_together_keep_their_own_buffers(name: str) -> None:
    """Sweeps draw their states (``lambda``, kept states) from reused buffers: evaluations
    alive at once, and one evaluated after another is released, keep their own values."""
    model = MODELS[name]
    columns = len(model.inputs) + len(model.weights)
    simulator = compile_circuit(
        model.circuit, list(model.inputs) + list(model.weights), model.observables
    )
    reference = compile_circuit(
        model.circuit, list(model.inputs) + list(model.weights), model.observables
    )
    rng = np.random.default_rng(11)
    first, second, third = (torch.tensor(rng.uniform(-2, 2, (3, columns))) for _ in range(3))
    held_first, held_second = simulator.evaluate(first), simulator.evaluate(second)
    jac_second = simulator.jacobian(held_second)
    simulator.release(held_second)
    held_third = simulator.evaluate(third)  # may reuse the second sweep's buffers
    for held, params, jac in (
        (held_first, first, simulator.jacobian(held_first)),
        (held_second, second, jac_second),
        (held_third, third, simulator.jacobian(held_third)),
    ):
        values, want = reference.values_and_jacobian(params)
        np.testing.assert_allclose(held.values, values, atol=1e-12, rtol=0)
        assert want is not None
        np.testing.assert_allclose(jac, want, atol=1e-12, rtol=0)


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


def _controlled(matrix: np.ndarray, num_ctrl: int, ctrl_state: int) -> np.ndarray:
    """Independent reference: ``matrix`` on the last qubit when the controls read ``ctrl_state``
    (qubit order: controls, then target; little-endian)."""
    dim = 1 << (num_ctrl + 1)
    full = np.eye(dim, dtype=complex)
    for index in range(dim >> 1):
        if index == ctrl_state:
            rows = [index, index | (1 << num_ctrl)]
            full[np.ix_(rows, rows)] = matrix
    return full


def test_annotated_controlled_gates_match_explicit_matrices() -> None:
    a = ParameterVector("weights", 1)[0]
    gates = [
        (
            AnnotatedOperation(RYGate(a), [InverseModifier(), ControlModifier(2, ctrl_state=2)]),
            [0, 1, 2],
            _controlled(RYGate(-0.7).to_matrix(), 2, 2),
        ),
        # Two control modifiers: the later one's control comes first in the qubit list.
        (
            AnnotatedOperation(
                RZGate(2 * a), [ControlModifier(1, ctrl_state=0), ControlModifier(1)]
            ),
            [3, 0, 2],
            _controlled(RZGate(1.4).to_matrix(), 2, 0b01),
        ),
        (
            AnnotatedOperation(HGate(), [ControlModifier(1)]),
            [1, 3],
            _controlled(HGate().to_matrix(), 1, 1),
        ),
    ]
    qc = QuantumCircuit(4)
    qc.h([0, 1, 3])
    reference = Statevector(qc)
    for gate, qubits, matrix in gates:
        qc.append(gate, qubits)
        reference = reference.evolve(Operator(matrix), qargs=qubits)
    simulator = compile_circuit(qc, [a], [SparsePauliOp("ZZZZ")])
    state = simulator.statevector(torch.tensor([[0.7]], dtype=torch.float64))[0].numpy()
    np.testing.assert_allclose(state, reference.data, atol=1e-12)


def test_autograd_through_expectation_values_matches_finite_differences() -> None:
    qc, x, w, observables = _random_circuit()
    simulator = compile_circuit(qc, list(x) + list(w), observables)
    params = torch.tensor(
        np.random.default_rng(4).uniform(-2, 2, (2, len(x) + len(w))), requires_grad=True
    )
    assert torch.autograd.gradcheck(simulator.expectation_values, (params,), atol=1e-6)
