"""Compiled test circuits for the runtime tests, compiled once per session."""

from __future__ import annotations

import functools

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp, Statevector

from hardware_profiles import load_profile
from qcompile import CompileOptions, compile_circuit
from tests.conftest import lookup

PROFILES = ["heron_r2", "eagle_r3", "ion_all_to_all", "grid_10x10", "heavy_hex_1k", "ft_logical"]
OBSERVABLES = ["ZZI", "IXX", "ZIZ", "YYZ"]


def logical_circuit(profile: str) -> QuantumCircuit:
    """A 3-qubit circuit with a non-uniform distribution; exact Clifford+T for ft_logical."""
    if profile != "ft_logical":
        return lookup(2)
    qc = QuantumCircuit(3, name="clifford_t")
    qc.h(0)
    qc.t(0)
    qc.h(0)
    qc.cx(0, 1)
    qc.h(1)
    qc.s(2)
    qc.h(2)
    qc.t(2)
    qc.cx(1, 2)
    qc.h(2)
    return qc


@functools.cache
def compiled(profile: str, measured: bool) -> QuantumCircuit:
    logical = logical_circuit(profile)
    if measured:
        logical = logical.copy()
        logical.measure_all()
    options = CompileOptions(seed=5, equivalence_max_qubits=0)
    return compile_circuit(logical, load_profile(profile), options).circuit


def reference_probabilities(profile: str) -> dict[str, float]:
    return Statevector(logical_circuit(profile)).probabilities_dict()


def observable(weights: list[float] | None = None) -> SparsePauliOp:
    coeffs = weights or [1.0, 0.5, -0.75, 0.25]
    return SparsePauliOp(OBSERVABLES, coeffs=np.asarray(coeffs))


def device_observable(profile: str, obs: SparsePauliOp) -> SparsePauliOp:
    return obs.apply_layout(compiled(profile, False).layout)


def reference_expectation(profile: str, obs: SparsePauliOp) -> float:
    return float(np.real(Statevector(logical_circuit(profile)).expectation_value(obs)))


def tvd(counts: dict[str, int], probabilities: dict[str, float]) -> float:
    shots = sum(counts.values())
    keys = set(counts) | set(probabilities)
    return 0.5 * sum(abs(counts.get(k, 0) / shots - probabilities.get(k, 0.0)) for k in keys)
