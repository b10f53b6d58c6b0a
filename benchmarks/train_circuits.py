"""The circuits of ``train_bench.py``: the QLACI-style lookup family and QLAM (Qiskit, PennyLane).

Lookup family at width ``n`` (``n >= 8``), qubits little-endian:

* ``query`` qubits ``0 .. n-8``: ``RY(x_q)`` (``n - 7`` inputs);
* ``index`` qubits ``n-7 .. n-4``: ``H`` each (16 entries);
* ``read`` qubits ``n-3 .. n-1``: for each entry ``j`` and read qubit ``r``,
  ``RY(x_{j, r})`` on ``r`` controlled by the index with ``ctrl_state = j`` (48 inputs);
* ``LAYERS`` layers of ``RY(w) RZ(w)`` on every qubit, each followed by the CX chain
  ``0 -> 1 -> ... -> n-1``;
* outputs ``<Z>`` on the three read qubits.

QLAM: the catalog's ``build_qlam`` as the hybrid uses it (8 memory qubits up to 16 tokens, 6
beyond), on an 8x8 image cut into ``T`` tokens of ``64 / T`` features (``F = min(64 / T, m)``).
"""

from __future__ import annotations

from typing import Any

from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import RYGate
from qiskit.quantum_info import SparsePauliOp

from qcompile.models.base import ModelCircuit
from qcompile.models.qlam import build_qlam

INDEX, READ, LAYERS = 4, 3, 2


def lookup_sizes(n: int) -> tuple[int, int, int]:
    """``(query qubits, inputs, weights)`` of the family at width ``n``."""
    nq = n - INDEX - READ
    return nq, nq + READ * (1 << INDEX), 2 * LAYERS * n


def lookup_family(
    n: int,
) -> tuple[QuantumCircuit, ParameterVector, ParameterVector, list[SparsePauliOp]]:
    """The lookup family's circuit at width ``n`` (see the module docstring)."""
    nq, ni, nw = lookup_sizes(n)
    x, w = ParameterVector("inputs", ni), ParameterVector("weights", nw)
    qc = QuantumCircuit(n, name=f"lookup{n}")
    for q in range(nq):
        qc.ry(x[q], q)
    index = list(range(nq, nq + INDEX))
    for q in index:
        qc.h(q)
    for j in range(1 << INDEX):
        for r in range(READ):
            gate = RYGate(x[nq + READ * j + r]).control(INDEX, ctrl_state=j, annotated=False)
            qc.append(gate, [*index, nq + INDEX + r])
    k = 0
    for _ in range(LAYERS):
        for q in range(n):
            qc.ry(w[k], q)
            qc.rz(w[k + 1], q)
            k += 2
        for q in range(n - 1):
            qc.cx(q, q + 1)
    observables = [SparsePauliOp("I" * (n - 1 - q) + "Z" + "I" * q) for q in range(n - READ, n)]
    return qc, x, w, observables


def qlam_model(tokens: int) -> ModelCircuit:
    """The hybrid's QLAM circuit for ``tokens`` tokens of an 8x8 image."""
    memory = 8 if tokens <= 16 else 6
    return build_qlam(tokens, min(64 // tokens, memory), memory)


def pennylane_lookup(n: int, device: str, diff_method: str) -> Any:
    """The lookup family as a PennyLane ``TorchLayer`` (inputs ``(B, I)``)."""
    import pennylane as qml

    nq, _ni, nw = lookup_sizes(n)
    dev = qml.device(device, wires=n)
    wire = [n - 1 - q for q in range(n)]  # PennyLane's wire 0 is the most significant bit

    @qml.qnode(dev, interface="torch", diff_method=diff_method)
    def circuit(inputs: Any, weights: Any) -> Any:
        for q in range(nq):
            qml.RY(inputs[..., q], wires=wire[q])
        index = [wire[q] for q in range(nq, nq + INDEX)]
        for q in index:
            qml.Hadamard(wires=q)
        for j in range(1 << INDEX):
            bits = [(j >> i) & 1 for i in range(INDEX)]
            for r in range(READ):
                qml.ctrl(qml.RY, control=index, control_values=bits)(
                    inputs[..., nq + READ * j + r], wires=wire[nq + INDEX + r]
                )
        k = 0
        for _ in range(LAYERS):
            for q in range(n):
                qml.RY(weights[k], wires=wire[q])
                qml.RZ(weights[k + 1], wires=wire[q])
                k += 2
            for q in range(n - 1):
                qml.CNOT(wires=[wire[q], wire[q + 1]])
        return [qml.expval(qml.PauliZ(wire[q])) for q in range(n - READ, n)]

    return qml.qnn.TorchLayer(circuit, {"weights": nw})


def pennylane_qlam(tokens: int, device: str, diff_method: str) -> Any:
    """The QLAM circuit of :func:`qlam_model` as a PennyLane ``TorchLayer``."""
    import pennylane as qml

    model = qlam_model(tokens)
    m, f = model.metadata["memory_qubits"], model.metadata["features_per_token"]
    dev = qml.device(device, wires=m)
    wire = [m - 1 - q for q in range(m)]

    @qml.qnode(dev, interface="torch", diff_method=diff_method)
    def circuit(inputs: Any, weights: Any) -> Any:
        for t in range(tokens):
            for j in range(f):
                qml.RY(inputs[..., t * f + j], wires=wire[j % m])
                qml.RZ(inputs[..., t * f + j], wires=wire[j % m])
            for q in range(m):
                qml.RY(weights[2 * q], wires=wire[q])
                qml.RZ(weights[2 * q + 1], wires=wire[q])
            for q in range(m - 1):
                qml.CNOT(wires=[wire[q], wire[q + 1]])
        for q in range(m):
            qml.RY(inputs[..., tokens * f + q], wires=wire[q])
            qml.RZ(weights[2 * m + 2 * q], wires=wire[q])
            qml.RY(weights[2 * m + 2 * q + 1], wires=wire[q])
        return [qml.expval(qml.PauliZ(wire[q])) for q in range(m)]

    return qml.qnn.TorchLayer(circuit, {"weights": len(model.weights)})
