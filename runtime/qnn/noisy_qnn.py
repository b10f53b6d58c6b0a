"""A QNN whose outputs are the profile's noisy expectation values, with unbiased gradients.

:class:`NoisyQNN` compiles its circuit once for a device profile (qattn's one compile path,
as :class:`~runtime.qnn.shots_qnn.ShotsQNN` does, parameters kept symbolic, so every
parametrised ISA angle is an affine expression of the inputs and weights), restricts the ISA
circuit to its active qubits and builds the profile's Aer noise model for them
(:func:`runtime.execution.noise.noise_model`: gate depolarizing + thermal relaxation with the
gate durations, readout errors). Its outputs are ``Tr(O_k E(rho))`` of that model, the
readout confusion folded into each observable exactly, computed in torch by

* ``mode="density"``: the exact density matrix (``<= 10`` active qubits), equal to Aer's
  ``density_matrix`` method to rounding; gradients by autograd, exact;
* ``mode="trajectories"``: ``trajectories`` Monte-Carlo trajectories per parameter set, in
  the batch dimension, with parameter-independent draws
  (:mod:`runtime.simulators.noisy.trajectories`): unbiased values and unbiased gradients.

``mode="auto"`` (the default) picks ``density`` when it fits (``<= 10`` active qubits) and
costs at most 8x the trajectories (``2**n <= 8 T``: up to 8 qubits at ``T = 32``), else
trajectories.

Two ways to train with it: :meth:`NoisyQNN.torch_layer` gives a :class:`torch.nn.Module`
whose backward is one autograd sweep per batch (the vector-Jacobian product the loss
needs), so forward and backward share the same trajectories; or wrap the QNN in
qiskit-machine-learning's ``TorchConnector`` (the ``NeuralNetwork`` interface; its backward
recomputes and returns the full Jacobian, one sweep per output).

Reproducibility: with ``seed`` set, the same calls in the same order give the same
trajectories (one seeded ``torch.Generator`` per QNN).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp
from qiskit_machine_learning.neural_networks import NeuralNetwork
from torch import nn

from hardware_profiles import DeviceProfile, load_profile
from hardware_profiles.errors import CompileError, JobError
from runtime.execution.active import restrict_circuit
from runtime.execution.noise import noise_model
from runtime.qnn.shots_qnn import _compile, _occurrence_circuit
from runtime.qnn.torch_qnn import parameter_rows
from runtime.simulators.noisy import (
    MAX_DENSITY_QUBITS,
    DensityEngine,
    TrajectoryEngine,
    noisy_program,
)

if TYPE_CHECKING:
    from qcompile.artifact import Artifact
    from qcompile.models import ModelCircuit
    from qcompile.pipeline import CompileOptions
    from runtime.train.spec import QNNBackend

__all__ = ["DEFAULT_TRAJECTORIES", "NoisyMode", "NoisyQNN", "NoisyQNNLayer"]

NoisyMode = Literal["auto", "density", "trajectories"]
_DENSITY_COST_RATIO = 8
DEFAULT_TRAJECTORIES = 32
"""Trajectories per parameter set in trajectory mode (see ``benchmarks/noisy_train_bench.py``)."""


class NoisyQNN(NeuralNetwork):
    """Noisy expectation-value QNN on a device profile's noise model (module docstring).

    Args:
        circuit: Unmeasured logical circuit.
        input_params: Data parameters, in the column order of ``input_data``.
        weight_params: Trainable parameters, in the order of ``weights``.
        observables: One SparsePauliOp per output, on the logical circuit's qubits.
        profile: Device profile (or its name) to compile for and take the noise from.
        mode: ``auto``, ``density`` or ``trajectories``. Defaults to ``auto`` (see the
            module docstring).
        trajectories: Trajectories per parameter set in trajectory mode. Defaults to
            :data:`DEFAULT_TRAJECTORIES`.
        readout: Fold the readout errors into the observables. Defaults to True.
        noise_scale: Multiplies every error and divides T1/T2
            (:func:`runtime.execution.noise.scale_target`). Defaults to 1.0.
        seed: Seed of the trajectory draws. Defaults to None (fresh entropy).
        dtype: Complex dtype of the simulation. Defaults to None: ``torch.complex128`` for
            the density matrix (exact values, within 1e-9 of Aer) and ``torch.complex64`` for
            trajectories, whose float32 rounding (~1e-7) is far below their Monte-Carlo
            error and which then take half the memory and time (measured on QASA under
            heron_r2, 13 active qubits, batch 32 x 16 trajectories, forward + backward:
            1.98-2.01 against 3.22-3.95 CPU-s).
        input_gradients: Also return input gradients. Defaults to False.
        compile_options: Options of the one compilation. Defaults to
            ``CompileOptions(equivalence_max_qubits=0)``.

    Raises:
        CompileError: The circuit does not compile, an angle is not affine in the
            parameters, or an instruction is not simulated (measure, reset, delay).
        JobError: Bad mode, trajectories, or density mode over 10 active qubits.
    """

    def __init__(
        self,
        circuit: QuantumCircuit,
        input_params: Sequence[Parameter],
        weight_params: Sequence[Parameter],
        observables: Sequence[SparsePauliOp],
        *,
        profile: DeviceProfile | str,
        mode: NoisyMode = "auto",
        trajectories: int = DEFAULT_TRAJECTORIES,
        readout: bool = True,
        noise_scale: float = 1.0,
        seed: int | None = None,
        dtype: torch.dtype | None = None,
        input_gradients: bool = False,
        compile_options: CompileOptions | None = None,
    ) -> None:
        if mode not in ("auto", "density", "trajectories"):
            raise JobError(f"mode must be auto, density or trajectories, got {mode!r}")
        if not (isinstance(trajectories, int) and 1 <= trajectories <= 1_000_000):
            raise JobError(f"trajectories must be an integer in 1..1000000, got {trajectories!r}")
        for k, observable in enumerate(observables):
            if observable.num_qubits != circuit.num_qubits:
                raise CompileError(
                    f"observable {k} acts on {observable.num_qubits} qubits, "
                    f"the circuit has {circuit.num_qubits}"
                )
        profile = load_profile(profile) if isinstance(profile, str) else profile
        self._profile = profile
        self._input_params = list(input_params)
        self._weight_params = list(weight_params)
        parameters = self._input_params + self._weight_params
        self._artifact = _compile(circuit, profile, compile_options, observables)
        isa, angles = _occurrence_circuit(self._artifact.circuit, parameters)
        self._angle_matrix, self._angle_offset = _affine_angles(angles, len(parameters))
        active = restrict_circuit(isa)
        self._active_qubits = active.qubits
        noise = noise_model(profile, active.qubits, noise_scale)
        compact_observables = [active.map_observable(o) for o in self._artifact.observables]
        self._program = noisy_program(
            active.circuit, list(isa.parameters), noise, compact_observables, readout=readout
        )
        n = self._program.num_qubits
        if mode == "auto":
            # A density matrix costs ~4^n per set, trajectories ~T 2^n: exact values are
            # worth up to 8x the cost (measured: QLACI needle-4, 10 active qubits, took
            # minutes per batch of 32 as a density matrix, seconds as 32 trajectories).
            fits = n <= MAX_DENSITY_QUBITS and 2**n <= _DENSITY_COST_RATIO * trajectories
            mode = "density" if fits else "trajectories"
        self._mode: NoisyMode = mode
        self._density_dtype = dtype or torch.complex128
        self._dtype = dtype or torch.complex64  # trajectories
        self._engine = (
            DensityEngine(self._program, self._density_dtype) if mode == "density" else None
        )
        self._trajectory_engine: TrajectoryEngine | None = None
        self._trajectories = trajectories
        self._generator = torch.Generator()
        if seed is None:
            self._generator.seed()
        else:
            self._generator.manual_seed(seed)
        super().__init__(
            num_inputs=len(self._input_params),
            num_weights=len(self._weight_params),
            sparse=False,
            output_shape=len(observables),
            input_gradients=input_gradients,
        )

    @classmethod
    def from_model(
        cls,
        model: ModelCircuit,
        *,
        backend: QNNBackend | None = None,
        input_gradients: bool = False,
        **options: Any,
    ) -> NoisyQNN:
        """The QNN of a :class:`~qcompile.models.ModelCircuit`.

        With a training ``backend`` (``noisy``), its profile, mode, trajectories and seed
        are used; otherwise pass ``profile=`` and the other options as keywords.
        """
        if backend is not None:
            options = {
                "profile": backend.profile,
                "mode": backend.noisy_mode,
                "trajectories": backend.trajectories,
                "seed": backend.seed,
                **options,
            }
        return cls(
            model.circuit,
            list(model.inputs),
            list(model.weights),
            model.observables,
            input_gradients=input_gradients,
            **options,
        )

    @property
    def artifact(self) -> Artifact:
        """The one compilation: ISA circuit, mapped observables and compile report."""
        return self._artifact

    @property
    def mode(self) -> NoisyMode:
        """``density`` or ``trajectories`` (``auto`` resolved)."""
        return self._mode

    @property
    def active_qubits(self) -> tuple[int, ...]:
        """The physical qubits the compiled circuit uses (the simulated register)."""
        return self._active_qubits

    @property
    def num_qubits(self) -> int:
        """Qubits simulated: the compiled circuit's active qubits."""
        return self._program.num_qubits

    @property
    def trajectories(self) -> int:
        """Trajectories per parameter set in trajectory mode."""
        return self._trajectories

    @property
    def num_occurrences(self) -> int:
        """Parametrised gate angles in the compiled circuit."""
        return self._program.num_occurrences

    def expectations(
        self, parameters: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Noisy expectation values ``(B, outputs)`` of parameter rows ``(B, inputs + weights)``.

        Differentiable (torch autograd) in ``parameters``; in trajectory mode the values are
        the mean of :meth:`trajectory_values`.

        Args:
            parameters: ``(B, inputs + weights)``.
            generator: Source of the trajectory draws. Defaults to the QNN's own (``seed``).
        """
        if self._mode == "density":
            assert isinstance(self._engine, DensityEngine)
            return self._engine.expectations(self._angles(parameters))
        return self.trajectory_values(parameters, generator=generator).mean(dim=1)

    def trajectory_values(
        self,
        parameters: torch.Tensor,
        trajectories: int | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Per-trajectory values ``(B, T, outputs)`` (the trajectory engine, in any mode).

        Args:
            parameters: ``(B, inputs + weights)``.
            trajectories: ``T``. Defaults to :attr:`trajectories`.
            generator: Source of the draws. Defaults to the QNN's own (``seed``).
        """
        if self._trajectory_engine is None:
            self._trajectory_engine = TrajectoryEngine(self._program, self._dtype)
        return self._trajectory_engine.expectations(
            self._angles(parameters),
            trajectories or self._trajectories,
            generator or self._generator,
        )

    def torch_layer(self, initial_weights: np.ndarray | None = None) -> NoisyQNNLayer:
        """A torch module ``(B, inputs) -> (B, outputs)`` with the weights as a parameter."""
        return NoisyQNNLayer(self, initial_weights)

    def _angles(self, parameters: torch.Tensor) -> torch.Tensor:
        columns = self._num_inputs + self._num_weights
        if parameters.dim() != 2 or parameters.shape[1] != columns:
            raise JobError(
                f"parameter rows need {columns} columns, got shape {tuple(parameters.shape)}"
            )
        matrix = self._angle_matrix.to(parameters.dtype)
        return parameters @ matrix + self._angle_offset.to(parameters.dtype)

    def _forward(self, input_data: np.ndarray | None, weights: np.ndarray | None) -> np.ndarray:
        params = torch.as_tensor(parameter_rows(input_data, weights), dtype=torch.float64)
        with torch.no_grad():
            return self.expectations(params).to(torch.float64).numpy()

    def _backward(
        self, input_data: np.ndarray | None, weights: np.ndarray | None
    ) -> tuple[np.ndarray | None, np.ndarray]:
        params = torch.as_tensor(parameter_rows(input_data, weights), dtype=torch.float64)
        params.requires_grad_(True)
        rows = []
        # TorchConnector calls this from inside an autograd backward, where grad mode is off.
        with torch.enable_grad():
            values = self.expectations(params)
            outputs = values.shape[1]
            for k in range(outputs):
                (grad,) = torch.autograd.grad(
                    values[:, k].sum(), params, retain_graph=k + 1 < outputs, allow_unused=True
                )
                rows.append(torch.zeros_like(params) if grad is None else grad)
        jacobian = torch.stack(rows, dim=1).detach().numpy()  # (B, outputs, params)
        ni = self._num_inputs
        input_grad = jacobian[:, :, :ni].copy() if self._input_gradients else None
        return input_grad, jacobian[:, :, ni:].copy()


class NoisyQNNLayer(nn.Module):
    """:class:`NoisyQNN` as a torch module; backward is one autograd sweep per batch.

    Args:
        qnn: The network.
        initial_weights: ``(num_weights,)``. Defaults to zeros.

    Attributes:
        weight: The circuit weights (named as ``TorchConnector``'s, so state dicts match).
    """

    def __init__(self, qnn: NoisyQNN, initial_weights: np.ndarray | None = None) -> None:
        super().__init__()
        self.qnn = qnn
        weights = (
            np.zeros(qnn.num_weights) if initial_weights is None else np.asarray(initial_weights)
        )
        self.weight = nn.Parameter(torch.as_tensor(weights, dtype=torch.float64).clone())

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """``(B, num_inputs)`` (or ``(num_inputs,)``) to ``(B, outputs)``, in ``inputs``' dtype."""
        single = inputs.dim() == 1
        rows = inputs.reshape(1, -1) if single else inputs
        params = torch.cat([rows.to(torch.float64), self.weight.expand(rows.shape[0], -1)], dim=1)
        # Each batch's draws are seeded from torch's global generator, which training seeds
        # and checkpoints, so a resumed run draws the same trajectories.
        generator = torch.Generator()
        generator.manual_seed(int(torch.randint(0, 2**62, (1,)).item()))
        out = self.qnn.expectations(params, generator).to(inputs.dtype)
        return out[0] if single else out


def _affine_angles(angles: Sequence[Any], columns: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(columns, occurrences)`` coefficients and ``(occurrences,)`` offsets of the angles."""
    matrix = np.zeros((columns, len(angles)))
    offset = np.zeros(len(angles))
    for o, angle in enumerate(angles):
        if angle.coeffs is None:
            raise CompileError(
                "a compiled gate angle is not affine in the inputs and weights; the noisy "
                "backend needs affine angles"
            )
        matrix[list(angle.columns), o] = angle.coeffs
        offset[o] = angle.offset
    return torch.as_tensor(matrix), torch.as_tensor(offset)
