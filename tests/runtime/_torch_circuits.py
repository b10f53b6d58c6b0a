"""Circuits that take every path of the torch statevector engine, with an exact reference.

Shared by the engine's tests (``tests/runtime/simulators/test_statevector.py``) and the torch
QNN's (``tests/runtime/qnn/test_torch_qnn.py``).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import RYGate, RZGate
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit.transpiler import PassManager

from qcompile.models import ModelCircuit
from qcompile.models.catalog import ModelSpec, build_model
from qcompile.models.qlaci import build_qlaci
from qcompile.qram.lowering import QRAMLowering


def random_circuit() -> tuple[
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


def kernel_paths_circuit(sample_tail: bool = False) -> ModelCircuit:
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
    qc, x, w, observables = random_circuit()
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
        "kernel-paths": kernel_paths_circuit(),
        "kernel-paths-sample-tail": kernel_paths_circuit(sample_tail=True),
    }


# Name -> model: the catalog's models and the circuits above.
MODELS = _models()


def reference_values(model: ModelCircuit, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Every output by Qiskit's ``Statevector``: the independent reference."""
    values = dict(zip(list(model.inputs) + list(model.weights), [*inputs, *weights], strict=True))
    bound = model.circuit.assign_parameters(
        {p: v for p, v in values.items() if p in model.circuit.parameters}
    )
    state = Statevector(bound)
    return np.array([state.expectation_value(o).real for o in model.observables])
