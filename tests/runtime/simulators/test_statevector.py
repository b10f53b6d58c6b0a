"""The torch statevector engine: exact states, adjoint Jacobians, and its reused buffers.

The QNN built on it (outputs and gradients against Qiskit for every model) is tested in
``tests/runtime/qnn/test_torch_qnn.py``.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import AnnotatedOperation, ControlModifier, InverseModifier, ParameterVector
from qiskit.circuit.library import HGate, RYGate, RZGate
from qiskit.quantum_info import Operator, SparsePauliOp, Statevector

from runtime.simulators.statevector import compile_circuit, torch_circuit
from tests.runtime._torch_circuits import MODELS, random_circuit


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
    monkeypatch.setattr(torch_circuit, "_KEEP_BYTES", 0)
    recomputed = simulator.evaluate(params)
    assert not recomputed.afters
    np.testing.assert_allclose(
        simulator.jacobian(recomputed), simulator.jacobian(kept), atol=1e-12, rtol=0
    )


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
    qc, x, w, observables = random_circuit()
    simulator = compile_circuit(qc, list(x) + list(w), observables)
    params = torch.tensor(
        np.random.default_rng(4).uniform(-2, 2, (2, len(x) + len(w))), requires_grad=True
    )
    assert torch.autograd.gradcheck(simulator.expectation_values, (params,), atol=1e-6)


def test_compiled_circuit_pickles_without_its_thread_buffers() -> None:
    """A compiled circuit crosses process boundaries (study workers): its per-thread buffers
    stay behind and the copy computes the same values and Jacobian."""
    model = MODELS["kernel-paths"]
    columns = list(model.inputs) + list(model.weights)
    simulator = compile_circuit(model.circuit, columns, model.observables)
    params = torch.tensor(np.random.default_rng(12).uniform(-2, 2, (3, len(columns))))
    values, jacobian = simulator.values_and_jacobian(params)  # fills the buffers
    copy = pickle.loads(pickle.dumps(simulator))
    assert not hasattr(copy._local, "pools")
    for got, want in zip(copy.values_and_jacobian(params), (values, jacobian), strict=True):
        assert got is not None and want is not None
        assert torch.equal(got, want)
