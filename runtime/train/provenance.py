"""What a training run actually ran, and what its floating-point results depend on.

:func:`describe_execution` looks inside a built model rather than at its name: a model is
*quantum* only if it holds a circuit layer (exact torch statevector, torch noise model, or a
shots backend behind a TorchConnector); QAMA, registered with the hybrid models, holds a
classical QUBO solver and no circuit. :func:`numerics` lists what decides the bits of a run's
metrics besides its config (torch's thread count and the CPU kernels torch dispatches to:
e.g. the same ``series-arma`` bottleneck run ends at roll-out MAE 1.11945 on one thread and
1.11962 on two, and a chaotic roll-out amplifies such differences).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from torch import nn

    from runtime.train.spec import QNNBackend

__all__ = ["BACKEND_LABELS", "Execution", "describe_execution", "numerics"]

BACKEND_LABELS = {
    "exact": "exact torch statevector",
    "noisy": "torch noise model of the profile",
    "aer-noisy": "Aer with the profile's noise, shots",
    "ibm": "IBM Quantum primitives, shots",
}
"""How each :data:`~runtime.train.spec.BACKENDS` entry is named in tables."""


@dataclass(frozen=True)
class Execution:
    """How a model computed.

    Attributes:
        quantum: Whether the model holds a circuit layer.
        circuit_weights: Trainable circuit parameters (0 without a circuit).
        qubits: Widest circuit's qubit count, where known (else None).
        label: One line for a table, e.g. ``circuit (10 qubits) on exact torch statevector``.
    """

    quantum: bool
    circuit_weights: int
    qubits: int | None
    label: str


def _circuit_layers(model: nn.Module) -> list[nn.Module]:
    from qiskit_machine_learning.connectors import TorchConnector

    from runtime.qnn.noisy_qnn import NoisyQNNLayer
    from runtime.qnn.torch_qnn import TorchStatevectorLayer

    kinds = (TorchStatevectorLayer, NoisyQNNLayer, TorchConnector)
    return [module for module in model.modules() if isinstance(module, kinds)]


def _qubits(layer: nn.Module) -> int | None:
    for owner in (getattr(layer, "engine", None), getattr(layer, "qnn", None), layer):
        count = getattr(owner, "num_qubits", None)
        if isinstance(count, int):
            return count
    circuit = getattr(getattr(layer, "neural_network", None), "circuit", None)
    count = getattr(circuit, "num_qubits", None)
    return count if isinstance(count, int) else None


def describe_execution(model: nn.Module, backend: QNNBackend) -> Execution:
    """What ``model`` runs on ``backend``: a circuit on which simulator, or a classical solver."""
    from runtime.train.hybrid_qama import QAMAAttention

    layers = _circuit_layers(model)
    if layers:
        weights = sum(p.numel() for layer in layers for p in layer.parameters(recurse=False))
        widths = [q for q in (_qubits(layer) for layer in layers) if q is not None]
        qubits = max(widths) if widths else None
        where = BACKEND_LABELS.get(backend.name, backend.name)
        if backend.name != "exact":
            where += f" ({backend.profile})"
        size = f" ({qubits} qubits)" if qubits is not None else ""
        return Execution(True, weights, qubits, f"circuit{size} on {where}")
    qama = [module for module in model.modules() if isinstance(module, QAMAAttention)]
    if qama:
        solver = qama[0].solver
        detail = {
            "auto": "exact enumeration up to 12 variables, else simulated annealing",
            "exact": "exact enumeration",
            "annealing": "simulated annealing",
        }[solver]
        return Execution(False, 0, None, f"classical QUBO solver ({detail}), no circuit")
    return Execution(False, 0, None, "classical")


def numerics() -> dict[str, Any]:
    """What decides a run's bits besides its config: torch threads, CPU kernels, machine."""
    return {
        "torch_threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "machine": platform.machine(),
    }
