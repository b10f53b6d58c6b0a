"""Exact statevector QNNs in torch: a layer for training, a qiskit-machine-learning network.

Both simulate their circuit with :mod:`runtime.simulators.statevector`'s fused engine
(:func:`~runtime.simulators.statevector.compile_engine`), compiled once, at construction.

* :class:`TorchStatevectorLayer` is what training uses: a :class:`torch.nn.Module` mapping
  ``(B, num_inputs)`` to ``(B, num_outputs)`` with trainable ``weight`` (named as
  :class:`~qiskit_machine_learning.connectors.TorchConnector` names it, so checkpoints
  carry over). Its backward is one adjoint sweep per batch weighted by the loss gradient (a
  vector-Jacobian product), where ``TorchConnector`` over a ``NeuralNetwork`` needs the full
  Jacobian: one sweep per output.
* :class:`TorchStatevectorQNN` is a drop-in qiskit-machine-learning
  :class:`~qiskit_machine_learning.neural_networks.NeuralNetwork` for users who want that
  interface (``forward``/``backward`` on numpy arrays, per-sample Jacobians).

Outputs are the exact expectation values ``<psi(x, w)| O_k |psi(x, w)>``, gradients exact
(adjoint differentiation in float64).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from qiskit.circuit import Parameter, QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit_machine_learning.neural_networks import NeuralNetwork

from runtime.simulators.statevector import StatevectorEngine, compile_engine

if TYPE_CHECKING:
    from qcompile.models import ModelCircuit

__all__ = ["TorchStatevectorLayer", "TorchStatevectorQNN", "parameter_rows"]


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


class TorchStatevectorLayer(torch.nn.Module):
    """A circuit as a trainable torch layer, simulated exactly by the fused engine.

    Args:
        circuit: Unmeasured parametrised circuit (gates that expand, through their
            definitions, into one-qubit gates, controlled one-qubit gates and ``rzz``).
        input_params: Data parameters, in the column order of the layer's input.
        weight_params: Trainable parameters, in the order of ``weight``. A weight absent
            from the circuit is allowed and gets a zero gradient.
        observables: One SparsePauliOp per output, on the full circuit width.
        initial_weights: Initial ``weight``. Defaults to zeros.

    Raises:
        CompileError: The circuit cannot be compiled.
    """

    def __init__(
        self,
        circuit: QuantumCircuit,
        input_params: Sequence[Parameter],
        weight_params: Sequence[Parameter],
        observables: Sequence[SparsePauliOp],
        initial_weights: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.engine: StatevectorEngine = compile_engine(
            circuit, list(input_params), list(weight_params), list(observables)
        )
        start = np.zeros(len(weight_params)) if initial_weights is None else initial_weights
        # float32 like TorchConnector's, so its checkpoints and optimisers carry over.
        self.weight = torch.nn.Parameter(torch.tensor(start, dtype=torch.float))

    @classmethod
    def from_model(
        cls, model: ModelCircuit, initial_weights: np.ndarray | None = None
    ) -> TorchStatevectorLayer:
        """The layer of a :class:`~qcompile.models.ModelCircuit` (inputs, weights, outputs)."""
        return cls(
            model.circuit,
            list(model.inputs),
            list(model.weights),
            model.observables,
            initial_weights,
        )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """``(B, num_inputs)`` -> ``(B, num_outputs)`` expectation values, in ``inputs``' dtype."""
        values = self.engine.expectation_values(inputs, self.weight)
        return values.to(inputs.dtype if inputs.is_floating_point() else torch.float)


class TorchStatevectorQNN(NeuralNetwork):
    """Exact expectation-value QNN on the fused engine, as a qiskit-machine-learning network.

    ``backward`` returns per-sample Jacobians, one adjoint sweep per output; train with
    :class:`TorchStatevectorLayer` for one sweep per batch.

    Args:
        circuit: Unmeasured parametrised circuit (see :class:`TorchStatevectorLayer`).
        input_params: Data parameters, in the column order of ``input_data``.
        weight_params: Trainable parameters, in the order of ``weights``. A weight absent
            from the circuit is allowed and gets a zero gradient.
        observables: One SparsePauliOp per output, on the full circuit width.
        input_gradients: Also return gradients with respect to the inputs (needed to
            train layers before this one through ``TorchConnector``). Defaults to False.

    Raises:
        CompileError: The circuit cannot be compiled (see
            :func:`runtime.simulators.statevector.compile_engine`).
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
        # Every parameter per sample: the Jacobian needs per-sample weight gradients.
        self._engine = compile_engine(
            circuit, self._input_params + self._weight_params, [], self._observables
        )
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
        rows = torch.from_numpy(parameter_rows(input_data, weights))
        with torch.no_grad():
            values = self._engine.expectation_values(rows, rows.new_zeros(0))
        return values.numpy()

    def _backward(
        self, input_data: np.ndarray | None, weights: np.ndarray | None
    ) -> tuple[np.ndarray | None, np.ndarray]:
        rows = torch.from_numpy(parameter_rows(input_data, weights)).requires_grad_(True)
        jacobian = np.zeros((rows.shape[0], self._engine.num_outputs, rows.shape[1]))
        # TorchConnector calls backward inside its own backward, where grad mode is off.
        with torch.enable_grad():
            values = self._engine.expectation_values(rows, rows.new_zeros(0))
            for k in range(values.shape[1]):
                (grad,) = torch.autograd.grad(
                    values[:, k].sum(), rows, retain_graph=k + 1 < values.shape[1]
                )
                jacobian[:, k] = grad.numpy()
        ni = self._num_inputs
        input_grad = jacobian[:, :, :ni].copy() if self._input_gradients else None
        return input_grad, jacobian[:, :, ni:].copy()
