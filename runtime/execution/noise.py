"""Aer noise models for a profile, built for the active qubits only.

``NoiseModel.from_backend(FakeFez())`` builds errors for all 156 qubits and every coupler
(seconds per call) although a compiled circuit uses a handful. Here the profile's Target
is first restricted to the active qubits (:func:`runtime.execution.active.restrict_target`), then
Aer's own ``basic_device_gate_errors`` / ``basic_device_readout_errors`` build the errors
from it, so the channels are exactly those ``from_backend`` would build for these qubits:
a thermal-relaxation error from T1/T2 and the gate duration, composed with a
depolarizing error chosen so that the gate's average infidelity equals the Target's
error; readout errors from the measure error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from qiskit.circuit import Delay
from qiskit.providers import QubitProperties
from qiskit.transpiler import InstructionProperties, Target
from qiskit_aer.noise import NoiseModel, RelaxationNoisePass
from qiskit_aer.noise.device.models import (
    basic_device_gate_errors,
    basic_device_readout_errors,
)

from hardware_profiles import DeviceProfile
from hardware_profiles.errors import JobError
from hardware_profiles.target_map import map_target
from runtime.execution.active import restrict_target

__all__ = ["noise_model", "scale_target", "target_noise_model"]


def scale_target(target: Target, scale: float) -> Target:
    """A copy of ``target`` with every error multiplied by ``scale`` and T1, T2 divided by it.

    Dividing T1 and T2 by ``scale`` multiplies the relaxation and dephasing rates by it,
    so for short gates (``t << T1``) the relaxation infidelity scales like the gate
    error; ``scale = 0`` gives infinite T1/T2 (no relaxation) and zero errors. Errors
    are capped at 1. Durations are unchanged.

    Args:
        target: a (small) Target, typically from ``restrict_target``.
        scale: factor >= 0.

    Raises:
        JobError: ``scale`` is negative or not finite.
    """
    if not (math.isfinite(scale) and scale >= 0):
        raise JobError(f"noise scale must be a finite number >= 0, got {scale!r}")

    def longer(value: float | None) -> float | None:
        if value is None:
            return None
        return math.inf if scale == 0 else value / scale

    qubit_properties = None
    if target.qubit_properties is not None:
        qubit_properties = [
            QubitProperties(t1=longer(p.t1), t2=longer(p.t2), frequency=p.frequency)
            if p is not None
            else QubitProperties()
            for p in target.qubit_properties
        ]

    def transform(
        name: str, qargs: tuple[int, ...], prop: InstructionProperties | None
    ) -> tuple[tuple[int, ...], InstructionProperties | None]:
        if prop is None:
            return qargs, None
        error = None if prop.error is None else min(1.0, prop.error * scale)
        return qargs, InstructionProperties(duration=prop.duration, error=error)

    return map_target(target, transform, qubit_properties=qubit_properties)


def target_noise_model(target: Target, scale: float = 1.0) -> NoiseModel:
    """The Aer noise model of ``target`` (all its qubits), errors scaled by ``scale``.

    Same channels as ``NoiseModel.from_backend`` for a backend with this Target: gate
    errors (depolarizing + thermal relaxation), readout errors, and relaxation during
    delays. Thermal relaxation is included only where T1 or T2 is known.
    """
    scaled = scale_target(target, scale)
    properties = scaled.qubit_properties or []
    has_relaxation = any(p.t1 is not None or p.t2 is not None for p in properties)
    model = NoiseModel(basis_gates=list(target.operation_names))
    for qubits, readout in basic_device_readout_errors(target=scaled):
        model.add_readout_error(readout, qubits)
    gate_errors = basic_device_gate_errors(target=scaled, thermal_relaxation=has_relaxation)
    for name, qubits, error in gate_errors:
        model.add_quantum_error(error, name, qubits)
    if has_relaxation and scaled.dt:
        t1s = [np.inf if p.t1 is None else p.t1 for p in properties]
        t2s = [
            np.inf if p.t2 is None else min(p.t2, 2 * t1)
            for p, t1 in zip(properties, t1s, strict=True)
        ]
        model._custom_noise_passes.append(  # as from_backend does, for delays
            RelaxationNoisePass(t1s=t1s, t2s=t2s, dt=scaled.dt, op_types=Delay, target=scaled)
        )
    return model


def noise_model(profile: DeviceProfile, active: Sequence[int], scale: float = 1.0) -> NoiseModel:
    """The noise model of ``profile`` on the physical qubits ``active``, renumbered 0..k-1.

    Works for every profile kind: IBM snapshots (calibrated per-qubit and per-coupler
    errors, T1/T2), synthetic profiles (uniform errors, T1/T2 if stated) and the
    fault-tolerant profile (logical error rates, no relaxation).

    Args:
        profile: the device profile.
        active: physical qubits, e.g. ``ActiveCircuit.qubits``; compact qubit ``i`` is
            ``active[i]``.
        scale: multiplies every error probability (gate, readout) and divides T1/T2;
            see :func:`scale_target`. Defaults to 1.0 (the profile as calibrated).

    Returns:
        A ``NoiseModel`` on ``len(active)`` qubits.
    """
    return target_noise_model(restrict_target(profile.target(), active), scale)
