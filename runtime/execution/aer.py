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
Aer's V2 estimator primitive does, to mimic finite shots. With noisy trajectories the value is
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
from runtime.execution.mitigation import MitigationOptions
from runtime.execution.mitigation_local import ExtrapolationModel
from runtime.execution.noise import noise_model

__all__ = [
    "DEFAULT_SHOTS",
    "AerExecutor",
    "LocalJob",
    "bind_parameter_sets",
    "choose_method",
]

DEFAULT_SHOTS = 4096
TWIRLED_INSTANCES = 16
"""Pauli-twirled instances per circuit when twirling is asked for."""
ZNE_FACTORS = (1.0, 3.0, 5.0)
"""Noise factors of ZNE by gate folding when none are given (IBM's for folding)."""
_AER_MODELS: dict[str, ExtrapolationModel] = {
    "linear": "linear",
    "polynomial_degree_1": "linear",
    "polynomial_degree_2": "quadratic",
    "exponential": "exponential",
}
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
        mitigation: error suppression and mitigation to apply locally (see the module
            docstring). Defaults to none.
    """

    def __init__(
        self,
        profile: DeviceProfile,
        noisy: bool = False,
        noise_scale: float = 1.0,
        method: str = "automatic",
        seed: int | None = None,
        mitigation: MitigationOptions | None = None,
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
        self.mitigation = mitigation or MitigationOptions()
        self.mitigation.check_aer()
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
            **({"mitigation": self.mitigation.to_dict()} if not self.mitigation.is_default else {}),
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
            variants = self._variants(pub.circuit, 1.0)
            # twirled instances share the shots (rounded up, as IBM's sampler does)
            per_variant = -(-shots // len(variants))
            merged: list[dict[str, int]] | None = None
            for variant in variants:
                active = restrict_circuit(variant)
                _, bound = bind_parameter_sets(active.circuit, pub.parameter_values)
                simulator = self.simulator(active)
                result = _run(simulator, bound, shots=per_variant)
                num_clbits = active.circuit.num_clbits
                found = [_counts(result.data(i), num_clbits) for i in range(len(bound))]
                if merged is None:
                    merged = found
                else:
                    for into, more in zip(merged, found, strict=True):
                        for key, value in more.items():
                            into[key] = into.get(key, 0) + value
            methods.append(simulator.options.method)
            counts.append(tuple(merged or ()))
        shots = -(-shots // len(variants)) * len(variants) if pubs else shots
        return SampleResult(tuple(counts), shots, self._metadata(methods))

    def _variants(self, circuit: QuantumCircuit, factor: float) -> list[QuantumCircuit]:
        """``circuit`` folded to noise ``factor``, twirled and decoupled as asked."""
        from runtime.execution import mitigation_local as local

        options = self.mitigation
        target = self.profile.target()
        out = local.fold_two_qubit_gates(circuit, factor, self.seed or 0) if factor > 1 else circuit
        variants = [out]
        if options.twirling:
            seed = None if self.seed is None else self.seed + 1
            variants = local.twirled_instances(out, TWIRLED_INSTANCES, seed=seed, target=target)
        if options.dynamical_decoupling:
            variants = [local.with_dynamical_decoupling(v, target) for v in variants]
        return variants

    def estimate(
        self, pubs: Sequence[EstimatorPub], precision: float | None = None
    ) -> EstimateResult:
        """Expectation values for each PUB, parameter set and observable."""
        if precision is not None and precision < 0:
            raise JobError(f"precision must be >= 0, got {precision}")
        if not self.mitigation.is_default:
            return self._mitigated_estimate(pubs, precision)
        return self._estimate(pubs, precision)

    def _mitigated_estimate(
        self, pubs: Sequence[EstimatorPub], precision: float | None
    ) -> EstimateResult:
        """Twirled instances averaged, then (with ZNE) extrapolated over folded circuits.

        ``stds`` carry the points' statistical errors through the fit; the metadata's
        ``zne`` entry adds the fit's own residual error, the values at each factor and the
        shot overhead.
        """
        from runtime.execution.mitigation_local import extrapolate_to_zero

        options = self.mitigation
        factors = options.zne_noise_factors or ZNE_FACTORS if options.zne_on else (1.0,)
        model = _AER_MODELS[options.zne_extrapolator or "exponential"]
        values: list[np.ndarray] = []
        stds: list[np.ndarray] = []
        methods: list[str] = []
        zne_meta: list[dict[str, Any]] = []
        for pub in pubs:
            at_factor = []
            for factor in factors:
                runs = [
                    self._estimate(
                        [EstimatorPub(v, pub.observables, pub.parameter_values)], precision
                    )
                    for v in self._variants(pub.circuit, factor)
                ]
                mean = np.mean([r.values[0] for r in runs], axis=0)
                sigma = np.sqrt(np.sum([r.stds[0] ** 2 for r in runs], axis=0)) / len(runs)
                at_factor.append((mean, sigma))
                methods.extend(str(m) for m in runs[0].metadata["methods"])
            if len(factors) == 1:
                values.append(at_factor[0][0])
                stds.append(at_factor[0][1])
                continue
            shape = at_factor[0][0].shape
            value, sigma, overhead = np.empty(shape), np.empty(shape), 0.0
            fit_error = np.empty(shape)
            for index in np.ndindex(shape):
                ys = [float(v[index]) for v, _ in at_factor]
                es = [float(e[index]) for _, e in at_factor]
                one_sign = all(y > 0 for y in ys) or all(y < 0 for y in ys)
                fit = extrapolate_to_zero(
                    factors, ys, es, model if (one_sign or model != "exponential") else "linear"
                )
                value[index], sigma[index] = fit.value, fit.stderr
                fit_error[index] = fit.fit_stderr
                overhead = max(overhead, fit.shot_overhead)
            values.append(value)
            stds.append(sigma)
            zne_meta.append(
                {
                    "noise_factors": list(factors),
                    "extrapolator": model,
                    "values_at_factors": [v.tolist() for v, _ in at_factor],
                    "shot_overhead": overhead,
                    "fit_stderr": fit_error.tolist(),
                }
            )
        metadata = self._metadata(methods)
        metadata["precision"] = precision
        metadata["mitigation"] = options.to_dict()
        if options.measure_mitigation or options.resilience_level in (1, 2):
            metadata["measure_mitigation"] = (
                "nothing to do: Aer expectation values have no readout error"
            )
        if zne_meta:
            metadata["zne"] = zne_meta
        return EstimateResult(tuple(values), tuple(stds), metadata)

    def _estimate(self, pubs: Sequence[EstimatorPub], precision: float | None) -> EstimateResult:
        """The unmitigated estimate of ``pubs``."""
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
