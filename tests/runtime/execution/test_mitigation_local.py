"""Each local mitigation technique moves a known-ideal result closer to ideal on Aer.

Every circuit here has an ideal value known in closed form (a mirror circuit returns to its
input state). Each technique is tried against the error it targets: zero-noise extrapolation
and readout mitigation against the profile's calibrated noise model; twirling against a
coherent two-qubit over-rotation; dynamical decoupling against a quasi-static detuning during
idle windows (the Markovian relaxation of the calibrated model is not refocusable, which the
last test shows).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import RZZGate
from qiskit.quantum_info import DensityMatrix, SparsePauliOp
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, coherent_unitary_error

from hardware_profiles import load_profile
from hardware_profiles.errors import JobError
from runtime.execution.active import restrict_circuit, restrict_target
from runtime.execution.mitigation_local import (
    extrapolate_to_zero,
    fold_two_qubit_gates,
    readout_mitigated,
    twirled_instances,
    with_dynamical_decoupling,
)
from runtime.execution.noise import noise_model

PROFILE = load_profile("heron_r2")


def _mirror(width: int, rounds: int) -> QuantumCircuit:
    """GHZ preparation and its inverse, ``rounds`` times: the identity on ``|0...0>``."""
    qc = QuantumCircuit(width)
    for _ in range(rounds):
        qc.h(0)
        for q in range(width - 1):
            qc.cx(q, q + 1)
        qc.barrier()  # keep the transpiler from cancelling the mirror
        for q in reversed(range(width - 1)):
            qc.cx(q, q + 1)
        qc.h(0)
        qc.barrier()
    return qc


def _compact(logical: QuantumCircuit):
    isa = transpile(logical, target=PROFILE.target(), optimization_level=0, seed_transpiler=3)
    active = restrict_circuit(isa)
    return active.circuit, active.qubits


def _expectation(circuit: QuantumCircuit, model: NoiseModel | None, observable: str) -> float:
    qc = circuit.remove_final_measurements(inplace=False)
    qc.save_density_matrix()
    sim = AerSimulator(method="density_matrix", noise_model=model)
    rho = DensityMatrix(sim.run(qc).result().data()["density_matrix"])
    return float(np.real(rho.expectation_value(SparsePauliOp(observable))))


def test_zne_moves_a_mirror_circuit_towards_its_ideal_value():
    circuit, qubits = _compact(_mirror(4, 3))
    model = noise_model(PROFILE, qubits)
    z_all = "Z" * circuit.num_qubits  # ideal: the state returns to |0000>, <Z...Z> = 1
    factors = (1.0, 3.0, 5.0)
    values = [_expectation(fold_two_qubit_gates(circuit, f), model, z_all) for f in factors]
    assert values[0] > values[1] > values[2]  # folding does amplify the noise
    for kind in ("linear", "exponential"):
        zne = extrapolate_to_zero(factors, values, model=kind)
        assert abs(zne.value - 1) < abs(values[0] - 1) / 2, (kind, zne, values)
        assert zne.shot_overhead > 1


def test_readout_mitigation_moves_counts_towards_the_ideal_distribution():
    logical = QuantumCircuit(3)
    logical.x([0, 2])
    logical.measure_all()
    circuit, qubits = _compact(logical)
    model = noise_model(PROFILE, qubits)
    system = AerSimulator(noise_model=model)
    shots = 20_000
    counts = system.run(circuit, shots=shots, seed_simulator=5).result().get_counts()
    ideal = "101"
    raw_error = 1 - counts.get(ideal, 0) / shots
    quasi, overhead = readout_mitigated(counts, system, shots=20_000)
    assert raw_error > 0.005  # the profile's readout error is visible
    assert abs(1 - quasi.get(ideal, 0.0)) < raw_error / 3
    assert overhead >= 1


def test_twirling_turns_a_coherent_over_rotation_into_a_smaller_stochastic_error():
    qc = QuantumCircuit(2)
    qc.h([0, 1])
    for _ in range(20):  # CZ^20 is the identity
        qc.cz(0, 1)
    qc.h([0, 1])
    model = NoiseModel(basis_gates=["cz", "rz", "sx", "x"])
    model.add_all_qubit_quantum_error(coherent_unitary_error(RZZGate(0.08)), "cz")
    isa = transpile(qc, basis_gates=["cz", "rz", "sx", "x"], optimization_level=0)
    ideal = 1.0  # <Z0> after returning to |00>
    plain = _expectation(isa, model, "IZ")
    twirled = [
        _expectation(transpile(c, basis_gates=["cz", "rz", "sx", "x"]), model, "IZ")
        for c in twirled_instances(isa, 64, seed=1)
    ]
    mean = float(np.mean(twirled))
    stderr = float(np.std(twirled) / math.sqrt(len(twirled)))
    assert abs(mean - ideal) + 4 * stderr < abs(plain - ideal), (plain, mean, stderr)


def _detuned(scheduled: QuantumCircuit, hz: float, dt: float) -> QuantumCircuit:
    """Noise injection: a quasi-static detuning ``hz`` turns every idle window into an RZ."""
    out = scheduled.copy_empty_like()
    for inst in scheduled.data:
        out.append(inst)
        if inst.operation.name == "delay":
            seconds = inst.operation.duration * (dt if inst.operation.unit == "dt" else 1.0)
            out.rz(2 * math.pi * hz * seconds, inst.qubits[0])
    return out


def _idle_probe() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.h(0)  # qubit 0 waits in |+> while qubit 1 is busy
    qc.barrier()
    for _ in range(100):
        qc.sx(1)
        qc.barrier(1)
    qc.barrier()
    qc.h(0)
    return qc


def test_dynamical_decoupling_refocuses_a_detuning_during_idle_windows():
    circuit, qubits = _compact(_idle_probe())
    target = restrict_target(PROFILE.target(), qubits)
    from qiskit.transpiler import PassManager
    from qiskit.transpiler.passes import ALAPScheduleAnalysis, PadDelay

    idle = PassManager([ALAPScheduleAnalysis(target=target), PadDelay(target=target)]).run(circuit)
    decoupled = with_dynamical_decoupling(circuit, target)
    assert "x" in decoupled.count_ops() and "delay" in decoupled.count_ops()
    hz = 100e3  # ZZ from a spectator, or a quasi-static frequency offset, of 100 kHz
    z0 = "I" * (circuit.num_qubits - 1) + "Z"
    bare = _expectation(_detuned(idle, hz, target.dt), None, z0)
    dd = _expectation(_detuned(decoupled, hz, target.dt), None, z0)
    assert bare < 0.9  # the detuning visibly rotates the waiting qubit
    assert abs(dd - 1) < abs(bare - 1) / 10, (bare, dd)


@pytest.mark.parametrize(
    ("factors", "values", "model"),
    [
        ((1.0,), (0.5,), "linear"),
        ((1.0, 3.0), (0.5, 0.3), "quadratic"),
        ((1, 3), (0.5, -0.1), "exponential"),
    ],
)
def test_impossible_extrapolations_raise_one_line(factors, values, model):
    with pytest.raises(JobError) as info:
        extrapolate_to_zero(factors, values, model=model)
    assert "\n" not in str(info.value)


def test_linear_extrapolation_error_and_overhead_are_exact_for_a_line():
    zne = extrapolate_to_zero((1, 3, 5), (0.8, 0.6, 0.4), (0.01, 0.01, 0.01))
    assert zne.value == pytest.approx(0.9)
    gamma = np.array([13 / 12, 4 / 12, -5 / 12])  # least-squares intercept weights at 1, 3, 5
    assert zne.stderr == pytest.approx(0.01 * np.linalg.norm(gamma))
    assert zne.shot_overhead == pytest.approx(3 * np.sum(gamma**2))


def test_dynamical_decoupling_cannot_refocus_the_calibrated_markovian_relaxation():
    """The snapshot's noise model (T1/T2 relaxation in idle windows) has no coherent part."""
    from qiskit.transpiler import PassManager
    from qiskit.transpiler.passes import ALAPScheduleAnalysis, PadDelay

    circuit, qubits = _compact(_idle_probe())
    target = restrict_target(PROFILE.target(), qubits)
    model = noise_model(PROFILE, qubits)
    z0 = "I" * (circuit.num_qubits - 1) + "Z"
    idle = PassManager([ALAPScheduleAnalysis(target=target), PadDelay(target=target)]).run(circuit)
    bare = _expectation(idle, model, z0)
    dd = _expectation(with_dynamical_decoupling(circuit, target), model, z0)
    assert bare < 0.98  # relaxation during the idle window is visible ...
    assert dd <= bare + 1e-3  # ... and the pulses cannot undo it (they add their own error)


def test_aer_executor_applies_zne_and_reports_its_cost():
    """The executor path: ZNE on a mirror circuit's estimate moves it towards 1."""
    from runtime.execution.aer import AerExecutor
    from runtime.execution.executor import EstimatorPub
    from runtime.execution.mitigation import MitigationOptions

    logical = _mirror(3, 2)
    isa = transpile(logical, target=PROFILE.target(), optimization_level=0, seed_transpiler=3)
    z = SparsePauliOp("Z" * 3).apply_layout(isa.layout)
    pub = EstimatorPub(isa, (z,))
    plain = AerExecutor(PROFILE, noisy=True, seed=1).estimate([pub])
    zne = AerExecutor(PROFILE, noisy=True, seed=1, mitigation=MitigationOptions(zne=True)).estimate(
        [pub]
    )
    raw, mitigated = float(plain.values[0][0]), float(zne.values[0][0])
    assert abs(1 - mitigated) < abs(1 - raw) / 2, (raw, mitigated)
    meta = zne.metadata["zne"][0]
    assert meta["noise_factors"] == [1.0, 3.0, 5.0] and meta["shot_overhead"] > 1
    assert meta["values_at_factors"][0][0] == pytest.approx(raw)


def test_aer_executor_twirled_dd_samples_keep_the_shot_count_and_the_outcome():
    from runtime.execution.aer import TWIRLED_INSTANCES, AerExecutor
    from runtime.execution.executor import SamplerPub
    from runtime.execution.mitigation import MitigationOptions

    logical = QuantumCircuit(2)
    logical.x(0)
    logical.cx(0, 1)
    logical.measure_all()
    isa = transpile(logical, target=PROFILE.target(), optimization_level=1, seed_transpiler=3)
    options = MitigationOptions(twirling=True, dynamical_decoupling="XX")
    result = AerExecutor(PROFILE, seed=2, mitigation=options).sample([SamplerPub(isa)], shots=100)
    counts = result.counts[0][0]
    assert sum(counts.values()) == result.shots >= 100
    assert result.shots % TWIRLED_INSTANCES == 0
    assert counts == {"11": result.shots}  # ideal: every twirl is the same operator


def test_fit_residual_error_is_zero_on_a_line_and_positive_off_it():
    on_line = extrapolate_to_zero((1, 3, 5), (0.8, 0.6, 0.4))
    off_line = extrapolate_to_zero((1, 3, 5), (0.8, 0.5, 0.4))
    assert on_line.fit_stderr == pytest.approx(0, abs=1e-12)
    assert off_line.fit_stderr > 0.01
