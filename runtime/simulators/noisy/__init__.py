"""Noisy simulation of compiled ISA circuits in torch, on their active qubits.

* :mod:`~runtime.simulators.noisy.program`: the circuit and the profile's Aer noise model
  lowered to gates, canonical Kraus channels and readout-folded observables;
* :mod:`~runtime.simulators.noisy.density`: exact density-matrix mode (``n <= 10``);
* :mod:`~runtime.simulators.noisy.trajectories`: batched Monte-Carlo trajectories with
  parameter-independent draws, hence unbiased values and gradients.

Both are differentiable in the occurrence angles; :class:`runtime.qnn.noisy_qnn.NoisyQNN`
chains them to a model's inputs and weights.
"""

from runtime.simulators.noisy.density import MAX_DENSITY_QUBITS, DensityEngine
from runtime.simulators.noisy.program import (
    KrausChannel,
    NoisyOp,
    NoisyProgram,
    ObservableTerms,
    noisy_program,
    observable_terms,
    readout_observable,
)
from runtime.simulators.noisy.trajectories import TrajectoryEngine

__all__ = [
    "MAX_DENSITY_QUBITS",
    "DensityEngine",
    "KrausChannel",
    "NoisyOp",
    "NoisyProgram",
    "ObservableTerms",
    "TrajectoryEngine",
    "noisy_program",
    "observable_terms",
    "readout_observable",
]
