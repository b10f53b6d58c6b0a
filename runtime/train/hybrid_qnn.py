"""A model circuit as a trainable torch layer, on the backend a training run asks for.

:func:`make_qnn` is the one place the hybrid models (:mod:`runtime.train.hybrid`) get their
quantum layer from: a qiskit-machine-learning
:class:`~qiskit_machine_learning.connectors.TorchConnector` around

* ``exact``: :class:`~runtime.qnn.torch_qnn.TorchStatevectorQNN` (batched torch statevector,
  exact gradients), or
* ``aer-noisy`` / ``ibm``: :class:`~runtime.qnn.shots_qnn.ShotsQNN` (shots, batched
  parameter shift or SPSA), imported only when a shots backend asks for it.

Either network compiles its circuit once, here; training only binds parameters. Input
gradients are always on, so the classical layers before the circuit train too.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from qiskit.transpiler import PassManager
from qiskit_machine_learning.connectors import TorchConnector

from hardware_profiles.errors import CompileError, JobError
from qcompile.models.base import ModelCircuit
from qcompile.qram.lowering import QRAMLowering
from runtime.qnn.torch_qnn import TorchStatevectorQNN
from runtime.train.spec import BACKENDS, QNNBackend

__all__ = ["initial_circuit_weights", "lower_qram", "make_qnn"]


def initial_circuit_weights(num_weights: int, seed: int, scale: float = 1.0) -> np.ndarray:
    """Seeded initial circuit weights, uniform in ``[-scale, scale]``.

    Args:
        num_weights: How many.
        seed: numpy seed; the same seed gives the same weights.
        scale: Half-width of the interval. Defaults to 1.0 (TorchConnector's own default
            range, which it draws unseeded).

    Returns:
        The weights, float64.
    """
    return np.random.default_rng(seed).uniform(-scale, scale, num_weights)


def lower_qram(model: ModelCircuit, kind: str | None) -> ModelCircuit:
    """Replace the logical QRAM queries of ``model`` by the construction ``kind``.

    Args:
        model: A model circuit (QLACI holds two ``QRAMQuery`` gates).
        kind: A :data:`~qcompile.qram.registry.CONSTRUCTIONS` key (``multiplexer`` is the
            ancilla-free lookup), or None to keep the queries and let the simulator expand
            their reference definition (one multi-controlled rotation per word).

    Returns:
        The same model (inputs, weights, observables) on the lowered circuit.

    Raises:
        CompileError: If ``kind`` is unknown or the construction needs ancilla qubits
            (the observables would no longer match the circuit width).
    """
    if kind is None:
        return model
    lowered = PassManager([QRAMLowering(kind)]).run(model.circuit)
    if lowered.num_qubits != model.num_qubits:
        raise CompileError(
            f"QRAM construction {kind!r} adds {lowered.num_qubits - model.num_qubits} "
            "ancilla qubits; the hybrid models need an ancilla-free lookup (multiplexer)"
        )
    lowered.name = model.circuit.name
    return dataclasses.replace(model, circuit=lowered)


def make_qnn(
    model: ModelCircuit,
    backend: QNNBackend,
    *,
    seed: int = 0,
    initial_weights: np.ndarray | None = None,
) -> TorchConnector:
    """Wrap ``model`` as a TorchConnector for ``backend`` (compiled once, here).

    Args:
        model: The model circuit; its ``inputs`` are the connector's input columns, its
            ``weights`` the connector's trainable weights, its observables the outputs.
        backend: Where the circuit runs during training.
        seed: Seed of the initial weights (see :func:`initial_circuit_weights`).
            Defaults to 0.
        initial_weights: Explicit initial weights; overrides ``seed``.

    Returns:
        A TorchConnector mapping ``(B, len(model.inputs))`` to ``(B, len(observables))``,
        with input gradients.

    Raises:
        JobError: If the backend is unknown.
    """
    if backend.name not in BACKENDS:
        raise JobError(f"unknown training backend {backend.name!r} (known: {', '.join(BACKENDS)})")
    weights = (
        initial_circuit_weights(len(model.weights), seed)
        if initial_weights is None
        else np.asarray(initial_weights, dtype=float)
    )
    if backend.name == "exact":
        qnn: Any = TorchStatevectorQNN.from_model(model, input_gradients=True)
    else:
        # Aer and the IBM client load only when a shots backend is asked for.
        from runtime.qnn.shots_qnn import ShotsQNN

        qnn = ShotsQNN.from_model(model, backend=backend, input_gradients=True)
    return TorchConnector(qnn, initial_weights=weights)
