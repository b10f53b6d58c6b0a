"""A model circuit as a trainable torch layer, on the backend a training run asks for.

:func:`make_qnn` is the one place the hybrid models (:mod:`runtime.train.hybrid`) get their
quantum layer from:

* ``exact``: :class:`~runtime.qnn.torch_qnn.TorchStatevectorLayer`, the fused torch
  statevector engine as a torch module (exact gradients; its backward is one adjoint sweep
  per batch weighted by the loss gradient), or
* ``aer-noisy`` / ``ibm``: a qiskit-machine-learning
  :class:`~qiskit_machine_learning.connectors.TorchConnector` around
  :class:`~runtime.qnn.shots_qnn.ShotsQNN` (shots, batched
  parameter shift or SPSA), imported only when a shots backend asks for it;

or, for ``noisy``, the torch layer of :class:`~runtime.qnn.noisy_qnn.NoisyQNN` (the
profile's noise model in torch: one autograd sweep per batch).

Each layer holds its circuit weights in ``weight`` (float32, as TorchConnector) and compiles
its circuit once, here; training only binds parameters. Input gradients are always on, so
the classical layers before the circuit train too.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from qiskit.transpiler import PassManager
from qiskit_machine_learning.connectors import TorchConnector
from torch import nn

from hardware_profiles.errors import CompileError, JobError
from qcompile.models.base import ModelCircuit
from qcompile.qram.lowering import QRAMLowering
from runtime.qnn.torch_qnn import TorchStatevectorLayer
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
) -> nn.Module:
    """``model`` as a torch layer for ``backend`` (compiled once, here).

    Args:
        model: The model circuit; its ``inputs`` are the connector's input columns, its
            ``weights`` the connector's trainable weights, its observables the outputs.
        backend: Where the circuit runs during training.
        seed: Seed of the initial weights (see :func:`initial_circuit_weights`).
            Defaults to 0.
        initial_weights: Explicit initial weights; overrides ``seed``.

    Returns:
        A torch module (``TorchStatevectorLayer`` for ``exact``, a
        :class:`~runtime.qnn.noisy_qnn.NoisyQNNLayer` for ``noisy``, else a TorchConnector)
        mapping ``(B, len(model.inputs))`` to ``(B, len(observables))``, with input gradients.

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
    if backend.name == "noisy":
        from runtime.qnn.noisy_qnn import NoisyQNN

        noisy = NoisyQNN.from_model(model, backend=backend, input_gradients=True)
        return noisy.torch_layer(initial_weights=weights)
    if backend.name == "exact":
        return TorchStatevectorLayer.from_model(model, initial_weights=weights)
    # Aer and the IBM client load only when a shots backend is asked for.
    from runtime.qnn.shots_qnn import ShotsQNN

    qnn: Any = ShotsQNN.from_model(model, backend=backend, input_gradients=True)
    return TorchConnector(qnn, initial_weights=weights)
