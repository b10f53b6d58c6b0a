"""QASA: the quantum layer of Quantum Adaptive Self-Attention, as published.

QASA (Chen et al., "Quantum Adaptive Self-Attention for Quantum Transformer Models",
arXiv:2504.05336) puts a 9-qubit parametrised circuit in the last encoder block of a
Transformer. This module reproduces the circuit of the authors' code, gate for gate:
``quantum_circuit`` in ``QASA/QASA/qasa_v2_damped.py`` of github.com/ChiShengChen/QASA
(the same circuit is mirrored for IBM hardware in ``experiments/run_ibm_hardware.py``,
``build_qiskit_circuit``). With ``n = 8`` data qubits, auxiliary qubit ``a = 8``, inputs
``x`` (8 angles) and weights ``w`` of shape ``(4, 9)``::

    for i in 0..7:          RX(x[i]) q_i; RZ(x[i]) q_i
    for i in 0..7:          RX(w[0, i]) q_i; RZ(w[1, i]) q_i
    for l in 1, 2, 3:
        for i in 0..7:      CNOT(q_i, q_{(i+1) mod 8}); RY(w[l, i]) q_i; RZ(w[l, i]) q_i
        CNOT(q_7, a); RY(w[l, 8]) a
    outputs: <Z_i> for i in 0..7

Where the published circuit is ambiguous, or surprising, and what this module does:

* **36 declared weights, 35 used.** The code declares ``weights`` of shape
  ``(n_layers, n_qubits + 1) = (4, 9)``, but ``w[0, 8]`` is never used: it is kept as
  ``weights[8]`` so that parameter indices match the repository, and it does not occur in
  the circuit (:meth:`~qcompile.models.base.ModelCircuit.parameter_values` drops it).
* **Row 1 is shared.** ``w[1, i]`` drives the RZ of the first variational block *and* both
  the RY and the RZ of the first entangling layer (three gates per parameter). Kept as is.
* **RY and RZ share a parameter** within each entangling layer (``RY(w[l,i]) RZ(w[l,i])``);
  the input angle is likewise applied as both RX and RZ. Kept as is.
* **Interleaving.** Rotations follow each ring CNOT immediately (CNOT(i, i+1) then the
  rotations on qubit i), so the closing CNOT(7, 0) acts after qubit 0 was rotated in the
  same layer; the paper's figure draws the CNOT ring as one block. We follow the code.
* **The auxiliary qubit** gets ``CNOT(7, 8)`` and ``RY(w[l, 8])`` once per entangling layer
  (three times), not once at the end, and is never measured: it only acts on the data
  qubits through the CNOTs (partial dephasing of qubit 7). We follow the code.
* **Input scaling** (``tanh``, LayerNorm and the ``timestep`` offset of ``QuantumLayer``)
  is classical pre-processing and stays outside the circuit: ``inputs`` are the angles.

Flat weight index: ``weights[9 * l + i] = w[l, i]`` (row-major, as ``w.reshape(-1)``).

Registers:
    data: the 8 data qubits (circuit qubits 0..7); observables ``Z`` on each, in order.
    aux: the auxiliary qubit (circuit qubit 8).

References:
    C.-S. Chen, E.-C. Kuo, "Quantum Adaptive Self-Attention for Quantum Transformer
    Models", arXiv:2504.05336 (2025); code: https://github.com/ChiShengChen/QASA.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from qiskit.circuit import Parameter, ParameterVector, QuantumCircuit, QuantumRegister

from hardware_profiles.errors import ResourceError
from qcompile.models.base import ModelCircuit, ModelResources, z_observables
from qcompile.models.state_tensor import (
    apply_cnot,
    apply_one_qubit,
    expect_z,
    rx_matrix,
    ry_matrix,
    rz_matrix,
    zero_state,
)

__all__ = [
    "QASA_DATA_QUBITS",
    "QASA_LAYERS",
    "build_qasa",
    "qasa_reference_expectations",
    "qasa_reference_state",
    "qasa_resources",
]

QASA_DATA_QUBITS = 8
"""Data qubits of the published circuit (``n_qubits`` in the repository)."""

QASA_LAYERS = 4
"""Weight rows of the published circuit (``n_layers``): one variational block + 3 layers."""


def _check_sizes(data_qubits: int, layers: int) -> None:
    if data_qubits < 2:
        raise ResourceError(
            f"QASA needs at least 2 data qubits for its CNOT ring, got {data_qubits}"
        )
    if layers < 2:
        raise ResourceError(f"QASA needs at least 2 weight rows (layers), got {layers}")


def qasa_resources(
    data_qubits: int = QASA_DATA_QUBITS, layers: int = QASA_LAYERS
) -> ModelResources:
    """Closed-form logical size of :func:`build_qasa`.

    Args:
        data_qubits: Data qubits. Defaults to 8 (the published circuit).
        layers: Weight rows. Defaults to 4 (the published circuit).

    Returns:
        The counts :func:`~qcompile.models.base.count_resources` finds in the built circuit.
    """
    _check_sizes(data_qubits, layers)
    n, entangling = data_qubits, layers - 1
    return ModelResources(
        num_qubits=n + 1,
        num_inputs=n,
        num_weights=layers * (n + 1),
        num_two_qubit_gates=entangling * (n + 1),
        num_one_qubit_gates=4 * n + entangling * (2 * n + 1),
    )


def build_qasa(data_qubits: int = QASA_DATA_QUBITS, layers: int = QASA_LAYERS) -> ModelCircuit:
    """Build the QASA quantum layer (see the module docstring for the exact gates).

    The defaults give the published circuit: 9 qubits, 8 inputs, 36 weights (35 used),
    8 observables. Other sizes generalise it the obvious way (ring over ``data_qubits``,
    ``layers - 1`` entangling layers) for scaling studies.

    Args:
        data_qubits: Data qubits. Defaults to 8.
        layers: Weight rows, i.e. 1 + the number of entangling layers. Defaults to 4.

    Returns:
        The model, with registers ``data`` and ``aux``, ``inputs`` of length
        ``data_qubits`` and ``weights`` of length ``layers * (data_qubits + 1)``.

    Raises:
        ResourceError: If ``data_qubits < 2`` or ``layers < 2``.
    """
    _check_sizes(data_qubits, layers)
    n = data_qubits
    data = QuantumRegister(n, "data")
    aux = QuantumRegister(1, "aux")
    inputs = ParameterVector("inputs", n)
    weights = ParameterVector("weights", layers * (n + 1))

    def w(row: int, col: int) -> Parameter:
        return weights[row * (n + 1) + col]

    qc = QuantumCircuit(data, aux, name="qasa")
    for i in range(n):
        qc.rx(inputs[i], data[i])
        qc.rz(inputs[i], data[i])
    for i in range(n):
        qc.rx(w(0, i), data[i])
        qc.rz(w(1, i), data[i])
    for layer in range(1, layers):
        for i in range(n):
            qc.cx(data[i], data[(i + 1) % n])
            qc.ry(w(layer, i), data[i])
            qc.rz(w(layer, i), data[i])
        qc.cx(data[n - 1], aux[0])
        qc.ry(w(layer, n), aux[0])

    return ModelCircuit(
        circuit=qc,
        registers={"data": data, "aux": aux},
        inputs=inputs,
        weights=weights,
        observables=z_observables(n + 1, range(n)),
        metadata={
            "model": "qasa",
            "data_qubits": n,
            "layers": layers,
            "entangling_layers": layers - 1,
            "weight_layout": f"weights[{n + 1}*l + i] = w[l, i], w of shape ({layers}, {n + 1})",
            "unused_weights": [n],
            "source": "github.com/ChiShengChen/QASA QASA/QASA/qasa_v2_damped.py",
        },
    )


def qasa_reference_state(
    inputs: ArrayLike, weights: ArrayLike, data_qubits: int = QASA_DATA_QUBITS
) -> np.ndarray:
    """Evolve the QASA state directly in numpy (independent of the Qiskit circuit).

    Args:
        inputs: ``data_qubits`` input angles.
        weights: ``layers * (data_qubits + 1)`` weights, row-major ``w[l, i]``.
        data_qubits: Data qubits. Defaults to 8.

    Returns:
        The final state tensor, shape ``(2,) * (data_qubits + 1)``, axis ``q`` = qubit ``q``.
    """
    n = data_qubits
    x = np.asarray(inputs, dtype=float)
    w = np.asarray(weights, dtype=float).reshape(-1, n + 1)
    psi = zero_state(n + 1)
    for i in range(n):
        psi = apply_one_qubit(psi, rz_matrix(x[i]) @ rx_matrix(x[i]), i)
    for i in range(n):
        psi = apply_one_qubit(psi, rz_matrix(w[1, i]) @ rx_matrix(w[0, i]), i)
    for layer in range(1, w.shape[0]):
        for i in range(n):
            psi = apply_cnot(psi, i, (i + 1) % n)
            psi = apply_one_qubit(psi, rz_matrix(w[layer, i]) @ ry_matrix(w[layer, i]), i)
        psi = apply_cnot(psi, n - 1, n)
        psi = apply_one_qubit(psi, ry_matrix(w[layer, n]), n)
    return psi


def qasa_reference_expectations(
    inputs: ArrayLike, weights: ArrayLike, data_qubits: int = QASA_DATA_QUBITS
) -> np.ndarray:
    """``<Z_i>`` on the data qubits, from :func:`qasa_reference_state`.

    Args:
        inputs: ``data_qubits`` input angles.
        weights: ``layers * (data_qubits + 1)`` weights, row-major ``w[l, i]``.
        data_qubits: Data qubits. Defaults to 8.

    Returns:
        Array of ``data_qubits`` expectation values (the repository's QNode outputs).
    """
    psi = qasa_reference_state(inputs, weights, data_qubits)
    return np.array([expect_z(psi, i) for i in range(data_qubits)])
