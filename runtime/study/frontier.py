"""The usable-N frontier: the largest N whose result stays within a threshold of ideal.

Two targets, each scanned over ``N = 4, 8, 16, ...`` until the criterion fails:

* ``qram``: the query fidelity ``F`` of a QRAM construction (Hann et al.'s, ancillas traced
  out) from Pauli trajectories (:func:`runtime.simulators.trajectories.qram_query_fidelity`,
  the profile's median gate errors, idle errors and, for the dynamic-circuit kinds, readout
  errors of their mid-circuit measurements, all times the noise scale). It is measured as an
  expectation value: prepare the input, query, un-prepare, read the ``n + 1`` kept qubits, so
  readout error multiplies it by ``(1 - e_ro)^(n+1)``. Usable: the estimate is ``>= 0.5``.
* ``qlaci``: QLACI's context vector (``<Z>`` on its output qubits), compiled for the profile
  and estimated on Aer with the profile's noise model (exact density matrix), scheduled so
  that idle windows relax; usable: ``|estimate - ideal| / |ideal| <= 0.3``, the ideal from the
  independent numpy reference.

Mitigation settings (``none``, ``dd``, ``dd+twirl+readout``, ``dd+twirl+readout+zne``) apply
the techniques of :mod:`runtime.execution.mitigation_local`. On ``qlaci`` they run for real on
the compiled circuit. On ``qram`` the trajectory model is stochastic Pauli noise: it has no
coherent error for dynamical decoupling or twirling to remove, so those two change nothing
there (the Aer tests show what they do remove); readout mitigation removes the readout factor
(TREX/M3 are unbiased in expectation) at a shot cost ``(1 - e_ro)^(-2(n+1))``; zero-noise
extrapolation evaluates the noise at factors 1, 2, 3 (what folding does to gate errors) and
extrapolates exponentially.

Every estimate carries the shots it needs for its statistical error to be ``PRECISION`` (of
the fidelity, or of ``|ideal|`` for QLACI); a point whose shots exceed ``SHOT_BUDGET`` is not
usable, so extrapolation cannot buy N without paying for it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hardware_profiles.errors import ResourceError

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from runtime.execution.mitigation_local import ExtrapolationModel
    from runtime.simulators.trajectories import PauliNoise

__all__ = [
    "MITIGATIONS",
    "PRECISION",
    "QLACI_THRESHOLD",
    "QRAM_THRESHOLD",
    "SHOT_BUDGET",
    "FrontierPoint",
    "qlaci_point",
    "qram_point",
    "scan_frontier",
]

MITIGATIONS = ("none", "dd", "dd+twirl+readout", "dd+twirl+readout+zne")
"""The mitigation settings, each adding to the one before."""

QRAM_THRESHOLD = 0.5
"""A QRAM query is usable while its (mitigated) fidelity estimate is at least this."""

QLACI_THRESHOLD = 0.3
"""QLACI's context is usable while its relative error is at most this."""

PRECISION = 0.05
"""Statistical error the shot counts are sized for."""

SHOT_BUDGET = 10**7
"""Shots per estimate above which a point counts as not usable."""

QRAM_ZNE_FACTORS = (1.0, 2.0, 3.0)
QLACI_ZNE_FACTORS = (1.0, 3.0, 5.0)
TWIRLS = 4


@dataclass(frozen=True)
class FrontierPoint:
    """One size's mitigated estimate.

    Attributes:
        size: ``N``.
        value: The estimate (fidelity, or the context vector's relative error for QLACI).
        error: Its distance from ideal in the criterion's terms (``1 - F`` or relative error).
        shots: Shots for the estimate's statistical error to be :data:`PRECISION`.
        usable: Whether the criterion and the shot budget both hold.
    """

    size: int
    value: float
    error: float
    shots: float
    usable: bool


def _check_mitigation(mitigation: str) -> None:
    if mitigation not in MITIGATIONS:
        raise ResourceError(
            f"mitigation must be one of {', '.join(MITIGATIONS)}; got {mitigation!r}"
        )


def qram_point(
    kind: str,
    size: int,
    profile: str,
    scale: float,
    mitigation: str,
    trajectories: int = 200,
    seed: int = 0,
) -> FrontierPoint:
    """The mitigated query-fidelity estimate of ``kind`` at ``N = size``.

    Args:
        kind: A QRAM construction kind.
        size: ``N``.
        profile: Noise profile name.
        scale: Noise scale.
        mitigation: One of :data:`MITIGATIONS`.
        trajectories: Trajectories per noise factor.
        seed: Seed of words and errors.

    Returns:
        The point.
    """
    from runtime.execution.mitigation_local import extrapolate_to_zero
    from runtime.simulators.trajectories import PauliNoise

    _check_mitigation(mitigation)
    kept = int(math.log2(size)) + 1
    base = PauliNoise.from_profile(profile, scale, idle=True)
    readout = (1.0 - min(1.0, scale * _median_readout(profile))) ** kept
    mitigate_readout = "readout" in mitigation
    factors = QRAM_ZNE_FACTORS if mitigation.endswith("zne") else (1.0,)
    values, variances = [], []
    for factor in factors:
        noise = PauliNoise.from_profile(profile, scale * factor, idle=True)
        noise = PauliNoise(noise.one_qubit, noise.two_qubit, noise.idle, base.readout)
        fidelity = _fidelity(kind, size, noise, trajectories, seed)
        measured = fidelity * readout
        values.append(fidelity if mitigate_readout else measured)
        # a Bernoulli estimate of the measured probability, rescaled when mitigated
        variances.append(measured * (1 - measured) / (readout**2 if mitigate_readout else 1.0))
    if len(factors) == 1:
        value, per_shot = values[0], variances[0]
    else:
        model: ExtrapolationModel = "exponential" if all(v > 0 for v in values) else "linear"
        zne = extrapolate_to_zero(factors, values, [math.sqrt(v) for v in variances], model)
        value, per_shot = zne.value, len(factors) * zne.stderr**2
    shots = per_shot / PRECISION**2 if per_shot > 0 else 0.0
    error = abs(1.0 - value)
    usable = value >= QRAM_THRESHOLD and error <= 1 - QRAM_THRESHOLD and shots <= SHOT_BUDGET
    return FrontierPoint(size, value, error, shots, usable)


@functools.lru_cache(maxsize=256)
def _fidelity(kind: str, size: int, noise: PauliNoise, trajectories: int, seed: int) -> float:
    """Mean trajectory fidelity, memoized.

    Settings that differ only in DD, twirling or readout correction (which the Pauli model
    leaves alone) share their trajectories.
    """
    from runtime.simulators.trajectories import qram_query_fidelity

    return qram_query_fidelity(kind, size, noise, trajectories, seed).mean


def _median_readout(profile: str) -> float:
    from hardware_profiles import load_profile, profile_medians

    medians = profile_medians(load_profile(profile))
    return float(medians.error_readout or 0.0)


def qlaci_point(
    kind: str, size: int, profile: str, scale: float, mitigation: str, seed: int = 0
) -> FrontierPoint:
    """The mitigated relative error of QLACI's context vector at ``N = size`` (Aer, exact).

    Args:
        kind: ``reference`` or a unitary QRAM construction kind.
        size: ``N``.
        profile: Device profile name.
        scale: Noise scale.
        mitigation: One of :data:`MITIGATIONS`.
        seed: Seed of data, weights and transpiler.

    Returns:
        The point (``value`` is the relative error).
    """
    from qiskit.transpiler import PassManager
    from qiskit.transpiler.passes import ALAPScheduleAnalysis, PadDelay

    from hardware_profiles import load_profile
    from qcompile.models.catalog import ModelSpec, build_model
    from qcompile.models.qlaci import qlaci_input_values
    from qcompile.models.qlaci_reference import (
        qlaci_reference_expectations,
        split_qlaci_weights,
    )
    from qcompile.pipeline import CompileOptions, compile_model
    from runtime.execution.active import restrict_circuit, restrict_observable, restrict_target
    from runtime.execution.mitigation_local import (
        extrapolate_to_zero,
        fold_two_qubit_gates,
        twirled_instances,
        with_dynamical_decoupling,
    )
    from runtime.execution.noise import noise_model

    _check_mitigation(mitigation)
    model = build_model(ModelSpec("qlaci", size, width=1, layers=1))
    rng = np.random.default_rng([seed, size])
    query = rng.uniform(0, np.pi, 1)
    keys = rng.uniform(0, np.pi, (size, 1))
    values = rng.uniform(0, np.pi, (size, 1))
    weights = rng.uniform(0, 2 * np.pi, len(model.weights))
    ideal = qlaci_reference_expectations(
        query, keys, values, split_qlaci_weights(weights, 1, 1, 1, 1)
    )
    device = load_profile(profile)
    qram = None if kind == "reference" else kind
    compiled = compile_model(
        model, device, CompileOptions(seed=seed, equivalence_max_qubits=0, qram=qram)
    )
    artifact = compiled.artifact
    bound_values = artifact.parameter_values(qlaci_input_values(query, keys, values, size), weights)
    circuit, observables, params = artifact.estimator_pubs(bound_values)[0]
    isa = circuit.assign_parameters(np.asarray(params, dtype=float).reshape(-1))
    active = restrict_circuit(isa)
    target = restrict_target(device.target(), active.qubits)
    noise = noise_model(device, active.qubits, scale)
    terms = [restrict_observable(obs, active.qubits) for obs in observables]

    def schedule(qc: QuantumCircuit) -> QuantumCircuit:
        if "dd" in mitigation:
            return with_dynamical_decoupling(qc, target)
        return PassManager([ALAPScheduleAnalysis(target=target), PadDelay(target=target)]).run(qc)

    def expectations(qc: QuantumCircuit) -> np.ndarray:
        from qiskit.quantum_info import DensityMatrix
        from qiskit_aer import AerSimulator

        run = schedule(qc).copy()
        run.save_density_matrix()
        sim = AerSimulator(method="density_matrix", noise_model=noise)
        rho = DensityMatrix(sim.run(run).result().data()["density_matrix"])
        return np.array([float(np.real(rho.expectation_value(t))) for t in terms])

    instances = (
        twirled_instances(active.circuit, TWIRLS, seed=seed, target=target)
        if "twirl" in mitigation
        else [active.circuit]
    )
    factors = QLACI_ZNE_FACTORS if mitigation.endswith("zne") else (1.0,)
    per_factor = []
    for factor in factors:
        runs = [
            expectations(fold_two_qubit_gates(qc, factor, seed) if factor > 1 else qc)
            for qc in instances
        ]
        per_factor.append(np.mean(runs, axis=0))
    # readout: each <Z> is attenuated by (1 - 2 e) of its qubit's measurement (symmetric error)
    attenuation = np.array([_z_attenuation(t, target, scale) for t in terms])
    measured = [v * attenuation for v in per_factor]
    corrected = [m / attenuation for m in measured] if "readout" in mitigation else measured
    gain = float(np.max(1 / attenuation**2)) if "readout" in mitigation else 1.0
    if len(factors) == 1:
        estimate, overhead = corrected[0], 1.0
    else:
        estimate = np.empty(len(terms))
        overhead = 0.0
        for j in range(len(terms)):
            ys = [c[j] for c in corrected]
            one_sign = all(y > 0 for y in ys) or all(y < 0 for y in ys)
            shape: ExtrapolationModel = "exponential" if one_sign else "linear"
            zne = extrapolate_to_zero(factors, ys, model=shape)
            estimate[j] = zne.value
            overhead = max(overhead, zne.shot_overhead)
    norm = float(np.linalg.norm(ideal))
    relative = float(np.linalg.norm(estimate - ideal) / norm) if norm else math.inf
    # shots: every component to PRECISION x |ideal| (per-shot variance <= 1 for a <Z>)
    shots = len(terms) * gain * overhead / (PRECISION * max(norm, 1e-12)) ** 2
    usable = relative <= QLACI_THRESHOLD and shots <= SHOT_BUDGET
    return FrontierPoint(size, relative, relative, shots, usable)


def _z_attenuation(observable: object, target: object, scale: float) -> float:
    """``<Z..Z>`` measured through symmetric readout error: the product of ``1 - 2 e_q``.

    ``e_q`` is the Target's measurement error of the qubit times ``scale`` (capped at 1/2).
    """
    paulis = observable.paulis  # type: ignore[attr-defined]
    factor = 1.0
    label = paulis[0].to_label()
    for position, char in enumerate(reversed(label)):
        if char == "I":
            continue
        props = target["measure"].get((position,))  # type: ignore[index]
        error = props.error if props is not None and props.error is not None else 0.0
        factor *= 1 - 2 * min(0.5, scale * error)
    return factor


def scan_frontier(
    target: str,
    kind: str,
    profile: str,
    scale: float,
    mitigation: str,
    max_size: int,
    trajectories: int = 200,
    seed: int = 0,
) -> tuple[int, list[FrontierPoint]]:
    """Scan ``N = 4, 8, ...`` up to ``max_size`` until a size is not usable.

    Returns:
        (largest usable ``N``, 0 when ``N = 4`` already fails; the points computed).
    """
    if target not in ("qram", "qlaci"):
        raise ResourceError(f"frontier target must be qram or qlaci, got {target!r}")
    points: list[FrontierPoint] = []
    usable_n = 0
    size = 4
    while size <= max_size:
        if target == "qram":
            point = qram_point(kind, size, profile, scale, mitigation, trajectories, seed)
        else:
            point = qlaci_point(kind, size, profile, scale, mitigation, seed)
        points.append(point)
        if not point.usable:
            break
        usable_n = size
        size *= 2
    return usable_n, points
