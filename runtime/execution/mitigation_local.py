"""Error suppression and mitigation on Aer, with the libraries IBM's own runtime uses.

The four techniques qiskit-ibm-runtime offers on hardware, done locally so that a noisy Aer
study means what a device run with the same options would:

* **dynamical decoupling** (:func:`with_dynamical_decoupling`): the ISA circuit is scheduled
  (ALAP, the profile's durations) and Qiskit's ``PadDynamicalDecoupling`` fills idle windows
  with an ``X X`` sequence. It refocuses *coherent* idle errors (quasi-static detuning, ZZ);
  against Markovian T1/T2 relaxation, which is all a calibration-snapshot noise model has, it
  cannot help and its pulses add gate error (say so when you report it).
* **Pauli twirling** (:func:`twirled_instances`): Qiskit's ``pauli_twirl_2q_gates`` dresses
  every two-qubit gate with random Paulis that leave it unchanged; averaging instances turns
  coherent two-qubit errors into Pauli noise. Under a Pauli noise model it changes nothing in
  expectation.
* **readout mitigation** (:func:`readout_mitigated`): IBM's matrix-free M3 (``mthree``),
  calibrated by running its calibration circuits on the same noisy simulator.
* **zero-noise extrapolation** (:func:`fold_two_qubit_gates`, :func:`extrapolate_to_zero`):
  two-qubit gates folded ``U (U^dagger U)^k`` by IBM's ``GateFoldingPass``
  (``qiskit-mitigation``, a qiskit-ibm-runtime dependency), then a weighted least-squares fit
  evaluated at zero noise, with its standard error and shot overhead.

``mitiq`` was not used: its 1.1 release requires ``cirq-core<1.7``, which pins ``numpy<2.3``
below the stack qattn installs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import XGate
from qiskit.transpiler import PassManager, Target

from hardware_profiles.errors import JobError

__all__ = [
    "Extrapolation",
    "ExtrapolationModel",
    "extrapolate_to_zero",
    "fold_two_qubit_gates",
    "readout_mitigated",
    "twirled_instances",
    "with_dynamical_decoupling",
]

ExtrapolationModel = Literal["linear", "quadratic", "exponential"]


def with_dynamical_decoupling(isa: QuantumCircuit, target: Target) -> QuantumCircuit:
    """``isa`` scheduled ALAP with ``X X`` dynamical decoupling in every idle window.

    Args:
        isa: A circuit in the Target's instruction set, laid out on its qubits.
        target: The device Target (durations and the ``x`` gate come from it).

    Returns:
        The padded circuit (delays and ``x`` pulses added; the operator is unchanged).

    Raises:
        JobError: If the Target has no durations or no ``x`` gate.
    """
    from qiskit.transpiler.passes import ALAPScheduleAnalysis, PadDynamicalDecoupling

    if "x" not in target.operation_names:
        raise JobError("dynamical decoupling needs an 'x' gate in the device's Target")
    if not any(props is not None and props.duration for props in (target["x"] or {}).values()):
        raise JobError("dynamical decoupling needs gate durations, and this profile has none")
    passes = PassManager(
        [
            ALAPScheduleAnalysis(target=target),
            PadDynamicalDecoupling(target=target, dd_sequence=[XGate(), XGate()]),
        ]
    )
    return passes.run(isa)


def twirled_instances(
    isa: QuantumCircuit, instances: int, seed: int | None = None, target: Target | None = None
) -> list[QuantumCircuit]:
    """``instances`` Pauli-twirled copies of ``isa`` (each the same operator).

    Args:
        isa: A circuit whose two-qubit gates are CX, CZ, ECR or iSwap.
        instances: Number of random twirls (at least 1).
        seed: Seed of the twirls.
        target: When given, the twirled circuits are re-expressed in its gates.

    Returns:
        The twirled circuits; average their results.

    Raises:
        JobError: If ``instances`` < 1.
    """
    from qiskit.circuit import pauli_twirl_2q_gates

    if instances < 1:
        raise JobError(f"twirling needs at least 1 instance, got {instances}")
    out = pauli_twirl_2q_gates(isa, seed=seed, num_twirls=instances, target=target)
    return out if isinstance(out, list) else [out]


def fold_two_qubit_gates(isa: QuantumCircuit, factor: float, seed: int = 0) -> QuantumCircuit:
    """``isa`` with its two-qubit gates folded to amplify their noise ``factor`` times.

    Args:
        isa: An ISA circuit.
        factor: Noise factor ``>= 1`` (odd integers fold every gate the same number of times).
        seed: Chooses which gates get an extra fold for other factors.

    Returns:
        The folded circuit (same operator).

    Raises:
        JobError: If ``factor`` < 1.
    """
    from qiskit_mitigation.zne.gate_folding import GateFoldingPass

    if not factor >= 1:
        raise JobError(f"a noise factor must be >= 1, got {factor}")
    return PassManager([GateFoldingPass(factor, method="random", seed=seed)]).run(isa)


@dataclass(frozen=True)
class Extrapolation:
    """A zero-noise extrapolation of one expectation value.

    Attributes:
        value: The estimate at zero noise.
        stderr: Its standard error, propagated from the points' errors through the fit.
        factors: The noise factors measured.
        values: The values measured at each factor.
        model: ``linear``, ``quadratic`` or ``exponential``.
        fit_stderr: The intercept's standard error from the fit's residuals (model error
            seen in the points themselves; 0 when the points fix the fit exactly).
        shot_overhead: Total shots (over all factors) for the extrapolated value's error to
            equal one unmitigated estimate's, relative to that estimate: the number of factors
            times ``sum_k w_k**2``, ``w_k`` the sensitivity of the estimate to point ``k``
            (exact for the polynomial fits, first order for the exponential one), assuming
            equal per-shot variance at every factor.
    """

    value: float
    stderr: float
    factors: tuple[float, ...]
    values: tuple[float, ...]
    model: str
    shot_overhead: float
    fit_stderr: float = 0.0


def _linear_weights(factors: np.ndarray, degree: int) -> np.ndarray:
    """Coefficients ``gamma`` with ``fit(0) = gamma . values`` for an unweighted poly fit."""
    vander = np.vander(factors, degree + 1, increasing=True)
    return np.linalg.pinv(vander)[0]


def _residual_stderr(x: np.ndarray, y: np.ndarray, degree: int) -> float:
    """Standard error of a least-squares polynomial's intercept from its residuals."""
    dof = len(x) - (degree + 1)
    if dof <= 0:
        return 0.0
    vander = np.vander(x, degree + 1, increasing=True)
    coeffs, *_ = np.linalg.lstsq(vander, y, rcond=None)
    rss = float(np.sum((vander @ coeffs - y) ** 2))
    covariance = rss / dof * np.linalg.inv(vander.T @ vander)
    return float(np.sqrt(covariance[0, 0]))


def extrapolate_to_zero(
    factors: Sequence[float],
    values: Sequence[float],
    stds: Sequence[float] | None = None,
    model: ExtrapolationModel = "linear",
) -> Extrapolation:
    """Fit ``values`` measured at noise ``factors`` and evaluate the fit at zero noise.

    ``linear`` and ``quadratic`` are polynomial least-squares fits (the estimate is a fixed
    linear combination of the points, so its error and shot overhead are exact);
    ``exponential`` fits ``a exp(-c x)`` to values of one sign (a linear fit of
    ``log|E|``), its error propagated to first order.

    Args:
        factors: Noise factors, at least 2 distinct (3 for ``quadratic``).
        values: Measured values.
        stds: Standard errors of the values (0 when exact).
        model: The fit.

    Returns:
        The :class:`Extrapolation`.

    Raises:
        JobError: For too few points, mismatched lengths, or an exponential fit of values that
            change sign or touch zero.
    """
    x = np.asarray(factors, dtype=float)
    y = np.asarray(values, dtype=float)
    s = np.zeros_like(y) if stds is None else np.asarray(stds, dtype=float)
    if not (x.shape == y.shape == s.shape) or x.ndim != 1:
        raise JobError("noise factors, values and errors must be equal-length lists")
    degree = {"linear": 1, "quadratic": 2, "exponential": 1}.get(model)
    if degree is None:
        raise JobError(f"unknown extrapolation {model!r}; use linear, quadratic or exponential")
    if len(set(x.tolist())) <= degree:
        raise JobError(f"a {model} extrapolation needs at least {degree + 1} distinct factors")
    if model == "exponential":
        if not (np.all(y > 0) or np.all(y < 0)):
            raise JobError("an exponential extrapolation needs values of one sign, none zero")
        sign = float(np.sign(y[0]))
        gamma = _linear_weights(x, 1)
        log_value = float(gamma @ np.log(np.abs(y)))
        value = sign * float(np.exp(log_value))
        weights = gamma * abs(value) / np.abs(y)  # d value / d y_k, to first order
        stderr = float(np.sqrt(np.sum((weights * s) ** 2)))
    else:
        gamma = _linear_weights(x, degree)
        value = float(gamma @ y)
        stderr = float(np.sqrt(np.sum((gamma * s) ** 2)))
        weights = gamma
    fit_stderr = _residual_stderr(x, np.log(np.abs(y)) if model == "exponential" else y, degree)
    if model == "exponential":
        fit_stderr *= abs(value)
    return Extrapolation(
        fit_stderr=fit_stderr,
        value=value,
        stderr=stderr,
        factors=tuple(float(v) for v in x),
        values=tuple(float(v) for v in y),
        model=model,
        shot_overhead=float(len(x) * np.sum(weights**2)),
    )


def readout_mitigated(
    counts: Mapping[str, int], system: Any, shots: int = 8192
) -> tuple[dict[str, float], float]:
    """Readout-corrected quasi-probabilities of ``counts`` by M3 (``mthree``).

    M3 is calibrated on ``system`` (the same noisy simulator or backend that produced
    ``counts``), for the qubits measured, by its own calibration circuits.

    Args:
        counts: Bitstring counts (clbit ``i`` is qubit ``i`` of ``system``, little-endian keys).
        system: A backend: ``AerSimulator`` with the noise model, or an IBM backend.
        shots: Calibration shots.

    Returns:
        (quasi-probabilities keyed by bitstring, M3's mitigation overhead).
    """
    import mthree

    width = len(next(iter(counts)))
    qubits = list(range(width))
    mitigator = mthree.M3Mitigation(system)
    mitigator.cals_from_system(qubits, shots=shots, async_cal=False)
    quasi = mitigator.apply_correction(dict(counts), qubits, return_mitigation_overhead=True)
    overhead = quasi.mitigation_overhead
    return {k: float(v) for k, v in quasi.items()}, float(overhead)
