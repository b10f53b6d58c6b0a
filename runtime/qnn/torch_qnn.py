"""A qiskit-machine-learning neural network that simulates its circuit exactly in torch.

:class:`TorchStatevectorQNN` is a drop-in :class:`~qiskit_machine_learning.neural_networks.
NeuralNetwork` for :class:`~qiskit_machine_learning.connectors.TorchConnector`: its outputs are
the exact expectation values ``<psi(x, w)| O_k |psi(x, w)>`` and its gradients are exact
(the adjoint method of :mod:`runtime.simulators.statevector`: one forward and one
backward sweep over fused gate blocks), so a batch costs a few tensor operations per block
instead of a primitive call per sample and per parameter shift.

The circuit is compiled once, at construction. ``TorchConnector`` calls ``forward`` and then
``backward`` with the same arrays; the forward pass keeps its final state, so the backward
(adjoint) sweep does not simulate again, and hands the sweep's buffers back afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from qiskit.circuit import Parameter, QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit_machine_learning.neural_networks import NeuralNetwork

from runtime.simulators.statevector import Evaluation, TorchCircuit, compile_circuit

if TYPE_CHECKING:
    from qcompile.models import ModelCircuit

__all__ = ["TorchStatevectorQNN", "parameter_rows"]


def parameter_rows(input_data: np.ndarray | None, weights: np.ndarray | None) -> np.ndarray:
    """One row of circuit parameters per sample: the inputs, then the (shared) weights.

    Args:
        input_data: ``(batch, num_inputs)`` as a NeuralNetwork receives it, or None.
        weights: ``(num_weights,)``, or None.
    """
    batch = 1 if input_data is None else input_data.shape[0]
    inputs = np.zeros((batch, 0)) if input_data is None else input_data
    w = np.zeros(0) if weights is None else weights
    return np.concatenate([inputs, np.broadcast_to(w, (batch, len(w)))], axis=1)


class TorchStatevectorQNN(NeuralNetwork):
    """Exact expectation-value QNN simulated as a batched torch statevector.

    Args:
        circuit: Unmeasured parametrised circuit (any gates that expand, through their
            definitions, into one-qubit gates, controlled one-qubit gates and ``rzz``).
        input_params: Data parameters, in the column order of ``input_data``.
        weight_params: Trainable parameters, in the order of ``weights``. A weight absent
            from the circuit is allowed and gets a zero gradient.
        observables: One SparsePauliOp per output, on the full circuit width.
        input_gradients: Also return gradients with respect to the inputs (needed to
            train layers before this one through ``TorchConnector``). Defaults to False.

    Raises:
        CompileError: The circuit cannot be compiled (see
            :func:`runtime.simulators.statevector.compile_circuit`).
    """

    def __init__(
        self,
        circuit: QuantumCircuit,
        input_params: Sequence[Parameter],
        weight_params: Sequence[Parameter],
        observables: Sequence[SparsePauliOp],
        *,
        input_gradients: bool = False,
    ) -> None:
        self._circuit = circuit
        self._input_params = list(input_params)
        self._weight_params = list(weight_params)
        self._observables = tuple(observables)
        self._simulator: TorchCircuit = compile_circuit(
            circuit, self._input_params + self._weight_params, self._observables
        )
        self._cache: tuple[np.ndarray, Evaluation] | None = None
        super().__init__(
            num_inputs=len(self._input_params),
            num_weights=len(self._weight_params),
            sparse=False,
            output_shape=len(self._observables),
            input_gradients=input_gradients,
        )

    @classmethod
    def from_model(
        cls, model: ModelCircuit, *, input_gradients: bool = False
    ) -> TorchStatevectorQNN:
        """Build the QNN of a :class:`~qcompile.models.ModelCircuit`.

        Its ``inputs`` and ``weights`` give the parameter order, its observables the outputs.
        """
        return cls(
            model.circuit,
            list(model.inputs),
            list(model.weights),
            model.observables,
            input_gradients=input_gradients,
        )

    @property
    def circuit(self) -> QuantumCircuit:
        """The circuit as given (not the compiled form)."""
        return self._circuit

    @property
    def observables(self) -> tuple[SparsePauliOp, ...]:
        """The outputs' observables."""
        return self._observables

    def _forward(self, input_data: np.ndarray | None, weights: np.ndarray | None) -> np.ndarray:
        key = parameter_rows(input_data, weights)
        sweep = self._simulator.evaluate(torch.from_numpy(key))
        self._cache = (key, sweep)
        return sweep.values.numpy().copy()

    def _backward(
        self, input_data: np.ndarray | None, weights: np.ndarray | None
    ) -> tuple[np.ndarray | None, np.ndarray]:
        key = parameter_rows(input_data, weights)
        cache, self._cache = self._cache, None
        if cache is not None and cache[0].shape == key.shape and np.array_equal(cache[0], key):
            sweep = cache[1]
        else:
            sweep = self._simulator.evaluate(torch.from_numpy(key))
        jacobian = self._simulator.jacobian(sweep).numpy()
        self._simulator.release(sweep)  # the sweep is consumed: its buffers can be reused
        ni = self._num_inputs
        input_grad = jacobian[:, :, :ni].copy() if self._input_gradients else None
        return input_grad, jacobian[:, :, ni:].copy()
