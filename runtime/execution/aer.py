"""Local execution on Aer, ideal or with the profile's noise, on the active qubits only.

Every PUB's ISA circuit is restricted to its active physical qubits
(:func:`runtime.execution.active.restrict_circuit`) and run as is: Aer accepts the ISA gates
(``sx``, ``rz``, ``cz``, ``ecr``, ``rzz``, ``r``, Clifford+T...), so nothing is
re-transpiled. Noise comes from :func:`runtime.execution.noise.noise_model` on the same qubits.

Simulation methods (``method="automatic"``), by active-qubit count ``k``:

- ideal: ``statevector`` for ``k <= 28``, ``matrix_product_state`` above;
- noisy: ``density_matrix`` for ``k <= 10`` (one exact noisy state; shots are sampled
  from it), ``statevector`` trajectories for ``k <= 28``, ``matrix_product_state``
  trajectories above.

Estimator requests give exact expectation values (``stds`` 0) whenever the state is
exact (ideal, or noisy with ``density_matrix``) and ``precision`` is None or 0. With
``precision > 0``, Gaussian noise of that standard deviation is added (seeded), as
Aer's ``EstimatorV2`` does, to mimic finite shots. With noisy trajectories the value is
the mean over ``ceil(1 / precision^2)`` trajectories (1024 when ``precision`` is None)
and ``stds`` is the bound ``sum(|coeffs|) / sqrt(trajectories)``.

Reproducibility: with ``seed`` set, the same PUBs, shots and versions give the same
counts; with ``seed=None`` Aer draws a fresh seed each run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import qiskit_aer
from qiskit import QuantumCircuit
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel

from hardware_profiles import DeviceProfile
from hardware_profiles.errors import JobError
from runtime.execution.active import ActiveCircuit, restrict_circuit
from runtime.execution.executor import (
    EstimateResult,
    EstimatorPub,
    JobHandle,
    RequestKind,
    SampleResult,
    SamplerPub,
)
from runtime.execution.noise import noise_model

__all__ = [
    "DEFAULT_SHOTS",
    "AerExecutor",
    "LocalJob",
    "bind_parameter_sets",
    "choose_method",
]

DEFAULT_SHOTS = 4096
_METHODS = (
    "automatic",
    "statevector",
    "density_matrix",
    "matrix_product_state",
    "stabilizer",
    "extended_stabilizer",
)
_DENSITY_MATRIX_MAX = 10
_STATEVECTOR_MAX = 28
_TRAJECTORIES = 1024


def choose_method(num_qubits: int, noisy: bool, method: str = "automatic") -> str:
    """The Aer method for ``num_qubits`` active qubits (see the module docstring)."""
    if method != "automatic":
        return method
    if noisy and num_qubits <= _DENSITY_MATRIX_MAX:
        return "density_matrix"
    return "statevector" if num_qubits <= _STATEVECTOR_MAX else "matrix_product_state"


def bind_parameter_sets(
    circuit: QuantumCircuit, parameter_values: np.ndarray
) -> tuple[tuple[int, ...], list[QuantumCircuit]]:
    """The batch shape and one bound circuit per parameter set (row-major).

    Values are matched to ``circuit.parameters`` in its (sorted) order, as Qiskit's
    primitives do.
    """
    values = np.asarray(parameter_values, dtype=float)
    num_parameters = circuit.num_parameters
    if num_parameters == 0:
        if values.size:
            raise JobError(f"circuit {circuit.name!r} has no parameters but values were given")
        return (), [circuit]
    if values.shape[-1:] != (num_parameters,):
        raise JobError(
            f"circuit {circuit.name!r} has {num_parameters} parameters; "
            f"parameter_values has shape {values.shape}"
        )
    batch = values.shape[:-1]
    rows = values.reshape(-1, num_parameters)
    return batch, [circuit.assign_parameters(row) for row in rows]


@dataclass(frozen=True)
class LocalJob:
    """A finished local request (``JobHandle`` with no job id)."""

    outcome: SampleResult | EstimateResult

    @property
    def job_id(self) -> str | None:
        """None: local jobs have no remote id."""
        return None

    def status(self) -> str:
        """Always ``DONE``: local requests run in ``submit``."""
        return "DONE"

    def result(self) -> SampleResult | EstimateResult:
        """The result."""
        return self.outcome


def _counts(data: Mapping[str, Any], num_clbits: int) -> dict[str, int]:
    """Aer's hex counts as bitstrings over all classical bits (bit 0 rightmost)."""
    counts: dict[str, int] = {}
    for key, value in data.get("counts", {}).items():
        bits = format(int(key, 16), f"0{num_clbits}b") if num_clbits else ""
        counts[bits] = counts.get(bits, 0) + int(value)
    return counts


class AerExecutor:
    """Runs PUBs on Aer on their active qubits, ideal or with the profile's noise.

    Args:
        profile: the device profile the circuits were compiled for.
        noisy: simulate the profile's noise. Defaults to False (ideal).
        noise_scale: multiplies every error probability and divides T1/T2
            (:func:`runtime.execution.noise.scale_target`). Defaults to 1.0.
        method: an Aer method, or ``automatic`` (see the module docstring).
            Defaults to ``automatic``.
        seed: simulator seed; None draws a fresh one per run. Defaults to None.
    """

    def __init__(
        self,
        profile: DeviceProfile,
        noisy: bool = False,
        noise_scale: float = 1.0,
        method: str = "automatic",
        seed: int | None = None,
    ) -> None:
        if method not in _METHODS:
            raise JobError(f"unknown Aer method {method!r}; choose one of {', '.join(_METHODS)}")
        if not (math.isfinite(noise_scale) and noise_scale >= 0):
            raise JobError(f"noise_scale must be a finite number >= 0, got {noise_scale!r}")
        self.profile = profile
        self.noisy = noisy
        self.noise_scale = float(noise_scale)
        self.method = method
        self.seed = seed
        self._noise_cache: dict[tuple[int, ...], NoiseModel] = {}

    @property
    def name(self) -> str:
        """``aer-noisy`` or ``aer-ideal``."""
        return "aer-noisy" if self.noisy else "aer-ideal"

    def fingerprint(self) -> dict[str, Any]:
        """Everything that determines results: profile, noise, method, seed, Aer version."""
        return {
            "executor": self.name,
            "profile": self.profile.name,
            "profile_kind": self.profile.kind,
            "calibration_date": self.profile.calibration_date(),
            "noisy": self.noisy,
            "noise_scale": self.noise_scale if self.noisy else 0.0,
            "method": self.method,
            "seed": self.seed,
            "qiskit_aer": qiskit_aer.__version__,
        }

    def submit(
        self,
        kind: RequestKind,
        pubs: Sequence[SamplerPub] | Sequence[EstimatorPub],
        *,
        shots: int | None = None,
        precision: float | None = None,
    ) -> JobHandle:
        """Runs the request now and returns a finished handle."""
        if kind == "sample":
            samples = [p for p in pubs if isinstance(p, SamplerPub)]
            if len(samples) != len(pubs):
                raise JobError("a sample request takes SamplerPub objects only")
            return LocalJob(self.sample(samples, shots=shots))
        if kind == "estimate":
            estimates = [p for p in pubs if isinstance(p, EstimatorPub)]
            if len(estimates) != len(pubs):
                raise JobError("an estimate request takes EstimatorPub objects only")
            return LocalJob(self.estimate(estimates, precision=precision))
        raise JobError(f"unknown request kind {kind!r}; use 'sample' or 'estimate'")

    def retrieve(self, job_id: str) -> JobHandle:
        """Always raises: local jobs are not stored remotely."""
        raise JobError(f"{self.name} runs locally and keeps no jobs; cannot retrieve {job_id!r}")

    def simulator(self, active: ActiveCircuit, method: str | None = None) -> AerSimulator:
        """The simulator (noise model included) for one compact circuit."""
        k = active.circuit.num_qubits
        options: dict[str, Any] = {"method": method or choose_method(k, self.noisy, self.method)}
        if self.seed is not None:
            options["seed_simulator"] = self.seed
        if self.noisy:
            options["noise_model"] = self._noise_model(active.qubits)
        return AerSimulator(**options)

    def sample(self, pubs: Sequence[SamplerPub], shots: int | None = None) -> SampleResult:
        """Counts for each PUB and parameter set."""
        shots = DEFAULT_SHOTS if shots is None else shots
        if shots < 1:
            raise JobError(f"shots must be >= 1, got {shots}")
        counts: list[tuple[dict[str, int], ...]] = []
        methods: list[str] = []
        for pub in pubs:
            active = restrict_circuit(pub.circuit)
            _, bound = bind_parameter_sets(active.circuit, pub.parameter_values)
            simulator = self.simulator(active)
            methods.append(simulator.options.method)
            result = _run(simulator, bound, shots=shots)
            num_clbits = active.circuit.num_clbits
            counts.append(tuple(_counts(result.data(i), num_clbits) for i in range(len(bound))))
        return SampleResult(tuple(counts), shots, self._metadata(methods))

    def estimate(
        self, pubs: Sequence[EstimatorPub], precision: float | None = None
    ) -> EstimateResult:
        """Expectation values for each PUB, parameter set and observable."""
        if precision is not None and precision < 0:
            raise JobError(f"precision must be >= 0, got {precision}")
        rng = np.random.default_rng(self.seed)
        values: list[np.ndarray] = []
        stds: list[np.ndarray] = []
        methods: list[str] = []
        for pub in pubs:
            active = restrict_circuit(pub.circuit)
            observables = [active.map_observable(o) for o in pub.observables]
            circuit = active.circuit.remove_final_measurements(inplace=False)
            for j, observable in enumerate(observables):
                circuit.save_expectation_value(observable, range(circuit.num_qubits), label=f"e{j}")
            batch, bound = bind_parameter_sets(circuit, pub.parameter_values)
            simulator = self.simulator(active)
            method = simulator.options.method
            methods.append(method)
            exact = not self.noisy or method in ("density_matrix", "superop")
            trajectories = 1 if exact else _num_trajectories(precision)
            result = _run(simulator, bound, shots=trajectories)
            raw = np.array(
                [
                    [float(np.real(result.data(i)[f"e{j}"])) for j in range(len(observables))]
                    for i in range(len(bound))
                ]
            ).reshape((*batch, len(observables)))
            if exact:
                sigma = np.full(raw.shape, float(precision or 0.0))
                if precision:
                    raw = raw + rng.normal(0.0, precision, raw.shape)
            else:
                bounds = [float(np.abs(o.coeffs).sum()) for o in observables]
                sigma = np.broadcast_to(np.array(bounds) / math.sqrt(trajectories), raw.shape)
            values.append(raw)
            stds.append(np.array(sigma, dtype=float))
        metadata = self._metadata(methods)
        metadata["precision"] = precision
        return EstimateResult(tuple(values), tuple(stds), metadata)

    def _noise_model(self, qubits: tuple[int, ...]) -> NoiseModel:
        if qubits not in self._noise_cache:
            self._noise_cache[qubits] = noise_model(self.profile, qubits, self.noise_scale)
        return self._noise_cache[qubits]

    def _metadata(self, methods: list[str]) -> dict[str, Any]:
        return {
            "executor": self.name,
            "profile": self.profile.name,
            "noise_scale": self.noise_scale if self.noisy else 0.0,
            "methods": methods,
            "seed": self.seed,
        }


def _num_trajectories(precision: float | None) -> int:
    if not precision:
        return _TRAJECTORIES
    return max(1, math.ceil(1.0 / precision**2))


def _run(simulator: AerSimulator, circuits: list[QuantumCircuit], shots: int) -> Any:
    result = simulator.run(circuits, shots=shots).result()
    if not result.success:
        raise JobError(f"Aer simulation failed: {result.status}")
    return result
