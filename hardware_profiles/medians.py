"""Median error rates, durations and coherence times of a profile's Target.

These are the figures every closed-form estimate reads (the resource estimate's success and
duration, the trajectory simulator's Pauli rates); ``profiles show`` displays the same
numbers through :func:`~hardware_profiles.summary.summarize_profile`.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from qiskit.transpiler import Target

from hardware_profiles.profile import DeviceProfile

__all__ = ["CONTROL_FLOW_OPERATIONS", "ProfileMedians", "profile_medians"]

CONTROL_FLOW_OPERATIONS = frozenset({"if_else", "while_loop", "for_loop", "switch_case", "box"})
"""Target operations that are control flow, not gates."""

_VIRTUAL = frozenset({"rz", "id", "delay", "barrier"})


@dataclass(frozen=True)
class ProfileMedians:
    """Medians over the qubits or couplers a profile's Target offers after its fault policy.

    A figure is None where the Target carries none (e.g. no durations, no T1). Virtual gates
    (``rz``, ``id``, ``delay``, ``barrier``), ``reset`` and control flow are left out.

    Attributes:
        error_1q: single-qubit gate error.
        error_2q: two-qubit gate error.
        error_readout: measurement error.
        duration_1q: single-qubit gate duration in seconds.
        duration_2q: two-qubit gate duration in seconds.
        duration_readout: measurement duration in seconds.
        t1: T1 in seconds.
        t2: T2 in seconds.
    """

    error_1q: float | None
    error_2q: float | None
    error_readout: float | None
    duration_1q: float | None
    duration_2q: float | None
    duration_readout: float | None
    t1: float | None
    t2: float | None


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _collect(target: Target, arity: int, measure: bool) -> tuple[list[float], list[float]]:
    errors: list[float] = []
    durations: list[float] = []
    for name in target.operation_names:
        if name in CONTROL_FLOW_OPERATIONS or name in _VIRTUAL or name == "reset":
            continue
        if (name == "measure") != measure:
            continue
        for qargs, props in target[name].items():
            if qargs is None or len(qargs) != arity or props is None:
                continue
            if props.error is not None:
                errors.append(props.error)
            if props.duration is not None:
                durations.append(props.duration)
    return errors, durations


def profile_medians(profile: DeviceProfile) -> ProfileMedians:
    """The median errors, durations and coherence times of ``profile``'s Target.

    Args:
        profile: the profile (its fault policy applied, as :meth:`DeviceProfile.target`).

    Returns:
        The medians.
    """
    target = profile.target()
    e1, d1 = _collect(target, 1, measure=False)
    e2, d2 = _collect(target, 2, measure=False)
    er, dr = _collect(target, 1, measure=True)
    qubits = [p for p in (target.qubit_properties or []) if p is not None]
    return ProfileMedians(
        error_1q=_median(e1),
        error_2q=_median(e2),
        error_readout=_median(er),
        duration_1q=_median(d1),
        duration_2q=_median(d2),
        duration_readout=_median(dr),
        t1=_median([p.t1 for p in qubits if p.t1]),
        t2=_median([p.t2 for p in qubits if p.t2]),
    )
