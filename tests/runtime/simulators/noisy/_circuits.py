"""Small random ISA circuits on heron_r2 with their noise models, for the noisy engines."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from hypothesis import strategies as st
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Parameter, ParameterVector
from qiskit.quantum_info import SparsePauliOp
from qiskit_aer.noise import NoiseModel

from hardware_profiles import load_profile
from runtime.execution.active import restrict_circuit
from runtime.execution.noise import noise_model
from runtime.qnn.shots_qnn import _occurrence_circuit

# A path of coupled heron_r2 qubits (checked in ``compact``): the logical circuit is laid on it.
LAYOUT = (136, 141, 142, 143)
GATES = ("rx", "ry", "rz", "h", "sx", "cx", "cz", "rzz", "x")


@dataclass(frozen=True)
class Compact:
    """A compact ISA circuit with one parameter per parametrised angle, and its noise."""

    circuit: QuantumCircuit
    occurrences: list[Parameter]
    noise: NoiseModel
    parameters: list[Parameter]
    angles: list  # shots_qnn._Angle, affine in ``parameters``


@cache
def _profile():  # type: ignore[no-untyped-def]
    return load_profile("heron_r2")


def compact(logical: QuantumCircuit, parameters: list[Parameter], scale: float = 1.0) -> Compact:
    """``logical`` transpiled for heron_r2 on :data:`LAYOUT`, restricted, with its noise."""
    profile = _profile()
    isa = transpile(
        logical,
        target=profile.target(),
        initial_layout=list(LAYOUT[: logical.num_qubits]),
        optimization_level=1,
        seed_transpiler=11,
    )
    occurrence_isa, angles = _occurrence_circuit(isa, parameters)
    active = restrict_circuit(occurrence_isa)
    noise = noise_model(profile, active.qubits, scale)
    return Compact(active.circuit, list(occurrence_isa.parameters), noise, parameters, angles)


@st.composite
def logical_circuits(draw: st.DrawFn, max_qubits: int = 3, max_gates: int = 6):  # type: ignore[no-untyped-def]
    """``(circuit, parameters)``: random gates of every kind the compiler lowers to."""
    n = draw(st.integers(2, max_qubits))
    count = draw(st.integers(1, max_gates))
    theta = ParameterVector("theta", count)
    qc = QuantumCircuit(n)
    used = []
    for k in range(count):
        name = draw(st.sampled_from(GATES))
        a = draw(st.integers(0, n - 1))
        b = (a + draw(st.integers(1, n - 1))) % n
        if name in ("rx", "ry", "rz"):
            getattr(qc, name)(theta[k], a)
            used.append(theta[k])
        elif name == "rzz":
            qc.rzz(theta[k], a, b)
            used.append(theta[k])
        elif name in ("cx", "cz"):
            getattr(qc, name)(a, b)
        else:
            getattr(qc, name)(a)
    return qc, used


def observables(n: int) -> list[SparsePauliOp]:
    """A Z, a two-qubit XY and a mixed observable on ``n`` compact qubits."""
    return [
        SparsePauliOp.from_sparse_list([("Z", [0], 1.0)], n),
        SparsePauliOp.from_sparse_list([("XY", [0, 1], 0.5), ("Z", [n - 1], -0.7)], n),
        SparsePauliOp.from_sparse_list([("ZZ", [0, n - 1], 1.0), ("X", [1], 0.3)], n),
    ]


def occurrence_values(c: Compact, values: np.ndarray) -> np.ndarray:
    """Occurrence angles ``(B, occ)`` for parameter rows ``(B, P)``."""
    out = np.zeros((len(values), len(c.angles)))
    for o, angle in enumerate(c.angles):
        out[:, o] = angle.offset + values[:, list(angle.columns)] @ angle.coeffs
    return out
