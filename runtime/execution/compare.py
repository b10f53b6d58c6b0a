"""How far a noisy (or hardware) result is from the ideal one, and what shot noise alone gives.

Counts are compared by total variation (TV) distance with the **exact** ideal distribution of
the circuit (:func:`exact_probabilities`, a statevector of the ISA circuit on its active
qubits), never with another finite-shot run. A finite histogram of ``N`` shots is not the
distribution it samples, so the TV distance of even a perfect device is not zero: its
expectation, the *shot-noise floor* (:func:`shot_noise_floor`), is printed beside the distance
so that only the excess over it is the device's noise. Expectation values are compared by
absolute error with the exact ideal values. This is what ``qrun sample --noisy`` and ``qrun
estimate --ibm ...`` print as "distance to ideal".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from runtime.execution.executor import EstimateResult, SampleResult

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = [
    "EXACT_MAX_QUBITS",
    "distance_to_exact",
    "distance_to_ideal",
    "exact_probabilities",
    "shot_noise_floor",
    "total_variation",
]

EXACT_MAX_QUBITS = 24
"""The most active qubits whose exact distribution is computed (a 2^24 statevector)."""


def total_variation(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Total variation distance ``1/2 sum_k |p_k - q_k|`` of two normalised tables.

    Either table may hold counts or probabilities; each is normalised by its own sum. Empty
    tables count as one shot, so the distance is always defined.
    """
    np_, nq = math.fsum(p.values()) or 1, math.fsum(q.values()) or 1
    # fsum: correctly rounded, so the same tables give the same bits in every process (set
    # iteration order changes with string hashing).
    return 0.5 * math.fsum(abs(p.get(k, 0) / np_ - q.get(k, 0) / nq) for k in set(p) | set(q))


def _binomial_mean_absolute_deviation(shots: int, p: float) -> float:
    """``E|X - shots p|`` for ``X ~ Binomial(shots, p)``, exactly (de Moivre's formula).

    ``2 nu C(n, nu) p^nu (1 - p)^(n - nu + 1)`` with ``nu = floor(n p) + 1``, evaluated in
    logarithms so that millions of shots do not overflow.
    """
    if p <= 0.0 or p >= 1.0:
        return 0.0
    nu = math.floor(shots * p) + 1
    if nu > shots:
        return 0.0
    log_term = (
        math.log(2 * nu)
        + math.lgamma(shots + 1)
        - math.lgamma(nu + 1)
        - math.lgamma(shots - nu + 1)
        + nu * math.log(p)
        + (shots - nu + 1) * math.log1p(-p)
    )
    return math.exp(log_term)


def shot_noise_floor(probabilities: Mapping[str, float], shots: int) -> float:
    """The expected TV distance of an ideal ``shots``-shot histogram from ``probabilities``.

    Each outcome's count is binomial, and the TV distance is half the sum of the absolute
    deviations of the frequencies, so by linearity the expectation is
    ``1/(2 shots) * sum_k E|X_k - shots p_k|``: exact, with no sampling.

    Args:
        probabilities: the exact distribution (normalised here).
        shots: the number of shots, at least 1.
    """
    total = math.fsum(probabilities.values()) or 1.0
    deviation = math.fsum(
        _binomial_mean_absolute_deviation(shots, value / total) for value in probabilities.values()
    )
    return deviation / (2 * shots)


def _final_measurements(circuit: QuantumCircuit) -> tuple[QuantumCircuit, dict[int, int]] | None:
    """The circuit without its final measurements, and clbit -> qubit; None if not that shape.

    None when a measurement is followed by anything on its qubit or clbit, or the circuit
    resets, conditions or holds control flow: then no statevector gives its distribution.
    """
    unitary = circuit.copy_empty_like()
    clbit_qubit: dict[int, int] = {}
    measured_qubits: set[int] = set()
    for instruction in circuit.data:
        name = instruction.operation.name
        qubits = [circuit.find_bit(q).index for q in instruction.qubits]
        if name == "measure":
            clbit = circuit.find_bit(instruction.clbits[0]).index
            if clbit in clbit_qubit or qubits[0] in measured_qubits:
                return None
            clbit_qubit[clbit] = qubits[0]
            measured_qubits.add(qubits[0])
            continue
        if name in ("barrier", "delay"):
            continue
        if instruction.clbits or name == "reset" or getattr(instruction.operation, "blocks", ()):
            return None
        if measured_qubits & set(qubits):
            return None
        unitary.append(instruction)
    return unitary, clbit_qubit


def exact_probabilities(
    circuit: QuantumCircuit, parameter_values: np.ndarray
) -> list[dict[str, float]] | None:
    """The exact outcome distribution of a measured ISA circuit, per parameter set.

    The circuit is restricted to its active qubits
    (:func:`runtime.execution.active.restrict_circuit`) and evolved as a statevector
    (``qiskit.quantum_info.Statevector``, not Aer); the outcomes are the classical bits,
    written as in counts (bit 0 rightmost; bits never measured read 0).

    Args:
        circuit: the ISA circuit with its measurements.
        parameter_values: shape ``(num_parameters,)`` or ``batch + (num_parameters,)``
            (empty for a circuit without parameters).

    Returns:
        One ``{bitstring: probability}`` per parameter set (row-major), outcomes with
        probability below 1e-15 left out; None when the circuit measures mid-circuit,
        resets or branches, or has more than :data:`EXACT_MAX_QUBITS` active qubits.
    """
    from qiskit.quantum_info import Statevector

    from runtime.execution.active import restrict_circuit

    active = restrict_circuit(circuit)
    if len(active.qubits) > EXACT_MAX_QUBITS:
        return None
    shaped = _final_measurements(active.circuit)
    if shaped is None:
        return None
    unitary, clbit_qubit = shaped
    num_clbits = circuit.num_clbits
    values = np.asarray(parameter_values, dtype=float)
    sets = values.reshape(-1, values.shape[-1]) if values.size else [None]
    clbits = sorted(clbit_qubit)
    distributions = []
    for row in sets:
        bound = unitary if row is None else unitary.assign_parameters(list(row))
        probabilities = Statevector(bound).probabilities([clbit_qubit[c] for c in clbits])
        table: dict[str, float] = {}
        for index in np.flatnonzero(probabilities > 1e-15):
            bits = ["0"] * num_clbits
            for position, clbit in enumerate(clbits):
                bits[num_clbits - 1 - clbit] = "1" if (int(index) >> position) & 1 else "0"
            key = "".join(bits)
            table[key] = table.get(key, 0.0) + float(probabilities[index])
        distributions.append(table)
    return distributions


def distance_to_exact(
    result: SampleResult, exact: Sequence[Sequence[Mapping[str, float]]]
) -> dict[str, Any]:
    """TV distance of each histogram to its exact distribution, with the shot-noise floor.

    Args:
        result: counts per PUB and parameter set.
        exact: the exact distributions, in the same nesting (:func:`exact_probabilities`
            per PUB).

    Returns:
        ``{"metric": "total_variation", "reference": "exact", "max", "per_parameter_set",
        "shot_noise_floor", "floor_per_parameter_set", "shots"}``; ``shot_noise_floor`` is
        the floor of the parameter set with the largest distance.
    """
    tvs, floors = [], []
    for counts_pub, exact_pub in zip(result.counts, exact, strict=True):
        for counts, probabilities in zip(counts_pub, exact_pub, strict=True):
            tvs.append(total_variation(counts, probabilities))
            floors.append(shot_noise_floor(probabilities, result.shots))
    worst = int(np.argmax(tvs)) if tvs else 0
    return {
        "metric": "total_variation",
        "reference": "exact",
        "max": max(tvs) if tvs else 0.0,
        "per_parameter_set": tvs,
        "shot_noise_floor": floors[worst] if floors else 0.0,
        "floor_per_parameter_set": floors,
        "shots": result.shots,
    }


def distance_to_ideal(
    result: SampleResult | EstimateResult, ideal: SampleResult | EstimateResult
) -> dict[str, Any]:
    """The distance of ``result`` to an ideal run's ``ideal``, as JSON-friendly data.

    For counts this compares two finite histograms (use :func:`distance_to_exact` where the
    exact distribution is known); for expectation values, the exact ideal values.

    Args:
        result: a noisy or hardware result.
        ideal: the ideal result of the same PUBs (same kind).

    Returns:
        For counts: ``{"metric": "total_variation", "reference": "sampled", "max",
        "per_parameter_set"}``; for expectation values: ``{"metric": "absolute_error",
        "max", "mean", "per_pub"}``.
    """
    if isinstance(result, SampleResult) and isinstance(ideal, SampleResult):
        tvs = [
            total_variation(a, b)
            for pa, pb in zip(result.counts, ideal.counts, strict=True)
            for a, b in zip(pa, pb, strict=True)
        ]
        return {
            "metric": "total_variation",
            "reference": "sampled",
            "max": max(tvs),
            "per_parameter_set": tvs,
        }
    assert isinstance(result, EstimateResult) and isinstance(ideal, EstimateResult)
    errors = [
        np.abs(np.asarray(a) - np.asarray(b))
        for a, b in zip(result.values, ideal.values, strict=True)
    ]
    flat = np.concatenate([e.ravel() for e in errors]) if errors else np.zeros(0)
    return {
        "metric": "absolute_error",
        "max": float(flat.max()) if flat.size else 0.0,
        "mean": float(flat.mean()) if flat.size else 0.0,
        "per_pub": [e.tolist() for e in errors],
    }
