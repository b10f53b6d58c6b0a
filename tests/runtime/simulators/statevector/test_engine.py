"""The fused statevector engine: exact values and exact vector-Jacobian products.

References are independent of the engine: Qiskit's ``Statevector`` for values, fourth-order
central differences of those values, and qiskit-machine-learning's parameter-shift gradient
(``ParamShiftEstimatorGradient`` over ``StatevectorEstimator``) for gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import RYGate, RZGate, XGate
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient

from hardware_profiles.errors import CompileError
from runtime.simulators.statevector import compile_engine, engine, sweep
from tests.runtime._torch_circuits import MODELS, reference_values

TOL = 1e-8


def _statevector_values(
    circuit: QuantumCircuit,
    params: list,
    observables: list[SparsePauliOp],
    row: np.ndarray,
) -> np.ndarray:
    bound = circuit.assign_parameters(
        {p: v for p, v in zip(params, row, strict=True) if p in circuit.parameters}
    )
    state = Statevector(bound)
    return np.array([state.expectation_value(o).real for o in observables])


def _fd(f: Callable[[np.ndarray], float], point: np.ndarray, h: float = 1e-3) -> np.ndarray:
    """Fourth-order central differences (truncation ~h**4, rounding ~1e-16/h)."""
    grad = np.zeros_like(point)
    for j in range(len(point)):
        e = np.zeros_like(point)
        e[j] = h
        grad[j] = (-f(point + 2 * e) + 8 * f(point + e) - 8 * f(point - e) + f(point - 2 * e)) / (
            12 * h
        )
    return grad


def _check_vjp(
    circuit: QuantumCircuit,
    inputs: list,
    weights: list,
    observables: list[SparsePauliOp],
    rows: np.ndarray,
    w: np.ndarray,
    upstream: np.ndarray,
    **options: int,
) -> None:
    engine = compile_engine(circuit, inputs, weights, observables, **options)
    x_t = torch.tensor(rows, requires_grad=True)
    w_t = torch.tensor(w, requires_grad=True)
    values = engine.expectation_values(x_t, w_t)
    want = np.array(
        [_statevector_values(circuit, inputs + weights, observables, np.r_[r, w]) for r in rows]
    )
    np.testing.assert_allclose(values.detach().numpy(), want, atol=1e-10, rtol=0)
    loss = (values * torch.tensor(upstream)).sum()
    # Parameters outside the observables' light cone get no gradient (torch's None).
    x_grad, w_grad = torch.autograd.grad(
        loss, [x_t, w_t], allow_unused=True, materialize_grads=True
    )
    params = inputs + weights
    ni = len(inputs)

    def loss_w(wv: np.ndarray) -> float:
        return float(
            sum(
                _statevector_values(circuit, params, observables, np.r_[r, wv]) @ upstream[b]
                for b, r in enumerate(rows)
            )
        )

    np.testing.assert_allclose(w_grad.numpy(), _fd(loss_w, w), atol=TOL, rtol=0)
    for b, r in enumerate(rows[:1]):  # input gradients of the first row (the others alike)
        if not ni:
            break

        def loss_x(xv: np.ndarray, b: int = b) -> float:
            return float(
                _statevector_values(circuit, params, observables, np.r_[xv, w]) @ upstream[b]
            )

        np.testing.assert_allclose(x_grad.numpy()[b], _fd(loss_x, r), atol=TOL, rtol=0)


@pytest.mark.parametrize("name", list(MODELS))
def test_values_equal_statevector(name: str) -> None:
    model = MODELS[name]
    engine = compile_engine(model.circuit, model.inputs, model.weights, model.observables)
    rng = np.random.default_rng(1)
    inputs = rng.uniform(-np.pi, np.pi, (3, len(model.inputs)))
    weights = rng.uniform(-np.pi, np.pi, len(model.weights))
    got = engine.expectation_values(torch.tensor(inputs), torch.tensor(weights)).numpy()
    want = np.array([reference_values(model, row, weights) for row in inputs])
    np.testing.assert_allclose(got, want, atol=1e-10, rtol=0)


@pytest.mark.parametrize("name", ["random", "qlaci-multiplexer", "kernel-paths"])
def test_statevectors_equal_qiskit(name: str) -> None:
    model = MODELS[name]
    engine = compile_engine(model.circuit, model.inputs, model.weights, model.observables)
    rng = np.random.default_rng(2)
    inputs = rng.uniform(-np.pi, np.pi, (2, len(model.inputs)))
    weights = rng.uniform(-np.pi, np.pi, len(model.weights))
    states = engine.statevectors(torch.tensor(inputs), torch.tensor(weights)).numpy()
    params = list(model.inputs) + list(model.weights)
    for row, state in zip(inputs, states, strict=True):
        bound = model.circuit.assign_parameters(
            {
                p: v
                for p, v in zip(params, np.r_[row, weights], strict=True)
                if p in model.circuit.parameters
            }
        )
        np.testing.assert_allclose(state, Statevector(bound).data, atol=1e-12, rtol=0)


@pytest.mark.slow
@pytest.mark.parametrize("path", ["autograd", "adjoint"])
@pytest.mark.parametrize("name", list(MODELS))
def test_vjp_equals_finite_differences_on_every_model(name: str, path: str) -> None:
    """Both differentiation paths (the default picks one by state size)."""
    model = MODELS[name]
    rng = np.random.default_rng(3)
    rows = rng.uniform(-np.pi, np.pi, (2, len(model.inputs)))
    w = rng.uniform(-np.pi, np.pi, len(model.weights))
    upstream = rng.normal(size=(2, len(model.observables)))
    with mock.patch.object(engine, "AUTOGRAD_BYTES", 1 << 30 if path == "autograd" else 0):
        _check_vjp(
            model.circuit,
            list(model.inputs),
            list(model.weights),
            list(model.observables),
            rows,
            w,
            upstream,
        )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["qasa", "qlam", "qama", "qlaci", "qlaci-multiplexer", "random"])
def test_gradients_equal_parameter_shift_on_every_model(name: str) -> None:
    """Per output: the engine's gradient (one sweep weighted by a unit vector) equals
    qiskit-machine-learning's parameter shift on Qiskit's exact estimator."""
    model = MODELS[name]
    params = list(model.inputs) + list(model.weights)
    engine = compile_engine(model.circuit, params, [], model.observables)
    rng = np.random.default_rng(4)
    point = rng.uniform(-np.pi, np.pi, len(params))
    used = [i for i, p in enumerate(params) if p in model.circuit.parameters]
    gradient = ParamShiftEstimatorGradient(StatevectorEstimator())
    # Every output of the small circuits; the first of the wide ones (parameter shift
    # costs two estimator runs per parameter occurrence).
    outputs = model.observables if model.num_qubits <= 6 else model.observables[:1]
    for k, observable in enumerate(outputs):
        x = torch.tensor(point[None], requires_grad=True)
        engine.expectation_values(x, torch.zeros(0))[0, k].backward()
        assert x.grad is not None
        job = gradient.run(
            [model.circuit], [observable], [point[used]], parameters=[[params[i] for i in used]]
        )
        want = np.zeros(len(params))
        want[used] = job.result().gradients[0]
        np.testing.assert_allclose(x.grad.numpy()[0], want, atol=TOL, rtol=0)


# ----------------------------------------------------------------- random circuits (hypothesis)

_ONE = ["rx", "ry", "rz", "p", "u", "h", "x", "y", "z", "s", "sdg", "t", "sx"]
_TWO = ["cx", "cy", "cz", "ch", "crx", "cry", "crz", "cp", "cu", "swap", "rzz", "rxx", "ryy"]
_MANY = ["ccx", "mcry", "annotated"]


@st.composite
def circuits(draw: st.DrawFn) -> tuple[QuantumCircuit, list, list, list[SparsePauliOp], int]:
    n = draw(st.integers(2, 5))
    x, w = ParameterVector("x", 2), ParameterVector("w", 3)
    symbols = [*x, *w]
    qc = QuantumCircuit(n)

    def angle() -> object:
        kind = draw(st.integers(0, 3))
        a, b = draw(st.sampled_from(symbols)), draw(st.sampled_from(symbols))
        c = draw(st.floats(-2, 2))
        return [c, a, 0.5 * a + c * b, a * b][kind]

    for _ in range(draw(st.integers(1, 14))):
        qubits = draw(st.permutations(range(n)))
        name = draw(st.sampled_from(_ONE + _TWO + (_MANY if n >= 3 else [])))
        if name in ("rx", "ry", "rz", "p"):
            getattr(qc, name)(angle(), qubits[0])
        elif name == "u":
            qc.u(angle(), angle(), angle(), qubits[0])
        elif name in _ONE:
            getattr(qc, name)(qubits[0])
        elif name in ("crx", "cry", "crz", "cp", "rzz", "rxx", "ryy"):
            getattr(qc, name)(angle(), qubits[0], qubits[1])
        elif name == "cu":
            qc.cu(angle(), angle(), angle(), angle(), qubits[0], qubits[1])
        elif name in _TWO:
            getattr(qc, name)(qubits[0], qubits[1])
        elif name == "ccx":
            qc.ccx(qubits[0], qubits[1], qubits[2])
        else:
            state = draw(st.integers(0, 3))
            base = RYGate(angle()) if name == "mcry" else RZGate(angle())
            gate = base.control(2, ctrl_state=state, annotated=name == "annotated")
            qc.append(gate, qubits[:3])
    terms = draw(st.lists(st.text("IXYZ", min_size=n, max_size=n), min_size=1, max_size=3))
    observables = [SparsePauliOp(t) for t in terms]
    block = draw(st.sampled_from([1, 2, 3, None]))
    return qc, list(x), list(w), observables, block  # type: ignore[return-value]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    circuits(),
    st.integers(0, 2**32 - 1),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["autograd", "adjoint", "stream"]),
)
def test_random_circuits_values_and_vjp_exact(
    case: tuple[QuantumCircuit, list, list, list[SparsePauliOp], int | None],
    seed: int,
    keep: bool,
    small_chunks: bool,
    path: str,
) -> None:
    """Every gate kind, fused at several block widths (small widths force permutation ops),
    differentiated by autograd through the fused ops, by the adjoint sweep with kept or
    un-computed states over chunked or whole batches, or streamed (recomputed per chunk)."""
    qc, x, w, observables, block = case
    rng = np.random.default_rng(seed)
    rows = rng.uniform(-np.pi, np.pi, (3, len(x)))
    weights = rng.uniform(-np.pi, np.pi, len(w))
    upstream = rng.normal(size=(3, len(observables)))
    with (
        mock.patch.object(sweep, "KEEP_BYTES", sweep.KEEP_BYTES if keep else 0),
        mock.patch.object(sweep, "CHUNK_BYTES", 16 << qc.num_qubits if small_chunks else 1 << 26),
        mock.patch.object(engine, "AUTOGRAD_BYTES", 1 << 30 if path == "autograd" else 0),
        mock.patch.object(sweep, "STREAM_BYTES", 0 if path == "stream" else 1 << 30),
    ):
        options = {} if block is None else {"max_block": block}
        _check_vjp(qc, x, w, observables, rows, weights, upstream, **options)


def test_light_cone_drops_gates_the_observables_never_see() -> None:
    x = ParameterVector("x", 2)
    qc = QuantumCircuit(3)
    qc.ry(x[0], 0)
    qc.cx(0, 1)
    qc.ry(x[1], 2)  # qubit 2 never reaches Z_1
    engine = compile_engine(qc, list(x), [], [SparsePauliOp("IZI")])
    assert all(2 not in op.qubits for op in engine.plan.prefix + engine.plan.main)
    values = engine.expectation_values(torch.tensor([[0.3, 1.1]]), torch.zeros(0))
    np.testing.assert_allclose(values.numpy(), [[np.cos(0.3)]], atol=1e-14)


def test_shared_entangler_is_built_once_per_step() -> None:
    """QLAM's weight-only entangler repeats every token: one matrix, fused with its CXs."""
    model = MODELS["qlam"]
    engine = compile_engine(model.circuit, model.inputs, model.weights, model.observables)
    program = engine._program
    full = [op for op in engine.plan.main if len(op.targets) == model.num_qubits]
    assert full and len({op.key() for op in full}) == 1
    assert len(program.main.ops) < len(engine.plan.main)


def test_bad_shapes_and_widths_are_one_line_errors() -> None:
    qc = QuantumCircuit(2)
    x = ParameterVector("x", 1)
    qc.rx(x[0], 0)
    engine = compile_engine(qc, list(x), [], [SparsePauliOp("ZI")])
    with pytest.raises(CompileError, match="inputs must be"):
        engine.expectation_values(torch.zeros(3, 2), torch.zeros(0))
    with pytest.raises(CompileError, match="weights must be"):
        engine.expectation_values(torch.zeros(3, 1), torch.zeros(2))
    with pytest.raises(CompileError, match="acts on 3 qubits"):
        compile_engine(qc, list(x), [], [SparsePauliOp("ZII")])
    with pytest.raises(CompileError, match="not Hermitian"):
        compile_engine(qc, list(x), [], [SparsePauliOp("ZI", [1j])])
    wide = QuantumCircuit(26)
    wide.append(XGate(), [0])
    with pytest.raises(CompileError, match="at most 25 qubits"):
        compile_engine(wide, [], [], [SparsePauliOp("I" * 26)])
