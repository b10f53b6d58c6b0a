"""Pauli-noise trajectories vs Aer's density matrix with the identical noise."""

from __future__ import annotations

import numpy as np
import pytest
import qiskit_aer  # noqa: F401  (registers save/set instructions)
from qiskit import QuantumCircuit
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import DensityMatrix, Operator, Statevector, partial_trace
from qiskit_aer import AerSimulator
from qiskit_aer.noise import pauli_error

from hardware_profiles.errors import CircuitInputError, CompileError, ResourceError
from qcompile.qram.base import CX_COST
from qcompile.qram.registry import CONSTRUCTIONS
from runtime.simulators.trajectories import (
    Branches,
    PauliNoise,
    aer_noisy_circuit,
    monomial_form,
    qram_input,
    qram_kept_qubits,
    qram_query_circuit,
    qram_query_fidelity,
    simulate_trajectories,
)

_CHARS = {(0, 0): "I", (1, 0): "X", (0, 1): "Z", (1, 1): "Y"}


def _depolarizing(k: int, p: float):
    terms = [("I" * k, 1.0 - p)]
    for pauli in range(1, 4**k):
        chars = [_CHARS[((pauli >> 2 * j) & 1, (pauli >> (2 * j + 1)) & 1)] for j in range(k)]
        terms.append(("".join(reversed(chars)), p / (4**k - 1)))
    return pauli_error(terms)


def _aer_fidelity(
    circuit: QuantumCircuit, initial: Branches, noise: PauliNoise, keep: list[int] | None = None
) -> float:
    """Exact noisy fidelity: Aer density matrix, same Pauli channel after every gate."""
    noisy = QuantumCircuit(circuit.num_qubits)
    noisy.set_density_matrix(DensityMatrix(initial.statevector()))
    for inst in circuit.data:
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        op = inst.operation
        noisy.append(UnitaryGate(Operator(op)), qubits)
        k = len(qubits)
        cx = 0 if k == 1 else CX_COST[op.name]
        p = noise.one_qubit if k == 1 else 1 - (1 - noise.two_qubit) ** cx
        if p > 0:
            noisy.append(_depolarizing(k, p), qubits)
    noisy.save_density_matrix()
    rho = AerSimulator(method="density_matrix").run(noisy).result().data()["density_matrix"]
    ideal = Statevector(initial.statevector()).evolve(circuit)
    if keep is None:
        return float(np.real(np.conj(ideal.data) @ np.asarray(rho) @ ideal.data))
    traced = [q for q in range(circuit.num_qubits) if q not in keep]
    actual = partial_trace(DensityMatrix(rho), traced)
    wanted = partial_trace(ideal, traced)
    return float(np.real(np.trace(actual.data @ wanted.data)))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "num_words", "target", "traced"),
    [
        ("bucket-brigade", 2, "plus", True),
        ("bucket-brigade", 2, "one", False),
        ("bb-2q", 2, "one", True),
        ("qrom", 4, "plus", False),
        ("select-swap", 4, "one", True),
        ("multiplexer", 4, "plus", False),
    ],
)
def test_trajectories_match_aer_density_matrix(
    kind: str, num_words: int, target: str, traced: bool
) -> None:
    circuit = qram_query_circuit(kind, num_words, seed=3)
    initial = qram_input(circuit, target)  # type: ignore[arg-type]
    keep = qram_kept_qubits(circuit) if traced else None
    noise = PauliNoise(one_qubit=0.02, two_qubit=0.01)
    exact = _aer_fidelity(circuit, initial, noise, keep)
    est = simulate_trajectories(circuit, initial, noise, trajectories=3000, seed=11, keep=keep)
    assert 0.2 < exact < 0.97  # the noise is strong enough to test something
    assert abs(est.mean - exact) < 4 * est.stderr + 1e-3


def test_idle_noise_matches_aer_with_identity_layers() -> None:
    # Idle errors: the same channel on every qubit no gate touches in an ASAP layer.
    qc = QuantumCircuit(3)
    qc.cx(0, 1)
    qc.x(2)
    qc.ccx(0, 1, 2)
    qc.p(0.7, 0)
    qc.cswap(0, 1, 2)
    initial = Branches(np.array([[0, 0, 0], [1, 0, 0]]), np.array([1, 1j]) / np.sqrt(2))
    noise = PauliNoise(one_qubit=0.0, two_qubit=0.0, idle=0.1)
    # ASAP layers {cx(0,1), x(2)}, {ccx}, {p(0)}, {cswap}: qubits 1 and 2 idle in layer 2.
    noisy = QuantumCircuit(3)
    noisy.set_density_matrix(DensityMatrix(initial.statevector()))
    for pos, inst in enumerate(qc.data):
        qubits = [qc.find_bit(q).index for q in inst.qubits]
        noisy.append(UnitaryGate(Operator(inst.operation)), qubits)
        if pos == 3:  # after layer 2, where only qubit 0 acts
            noisy.append(_depolarizing(1, 0.1), [1])
            noisy.append(_depolarizing(1, 0.1), [2])
    noisy.save_density_matrix()
    rho = np.asarray(
        AerSimulator(method="density_matrix").run(noisy).result().data()["density_matrix"]
    )
    ideal = Statevector(initial.statevector()).evolve(qc).data
    exact = float(np.real(np.conj(ideal) @ rho @ ideal))
    est = simulate_trajectories(qc, initial, noise, trajectories=4000, seed=2)
    assert abs(est.mean - exact) < 4 * est.stderr + 1e-3


def test_zero_noise_gives_fidelity_one_exactly() -> None:
    circuit = qram_query_circuit("bucket-brigade", 8, seed=1)
    result = simulate_trajectories(circuit, qram_input(circuit, "plus"), PauliNoise(), 5)
    assert result.fidelities == (1.0,) * 5
    assert result.stderr == 0.0


@pytest.mark.parametrize("kind", [k for k in CONSTRUCTIONS if k != "oracle"])
def test_noiseless_routing_equals_statevector(kind: str) -> None:
    # The ideal branch run (our permutation + phases) against qiskit's statevector.
    circuit = qram_query_circuit(kind, 4, seed=5)
    initial = qram_input(circuit, "plus")
    # a dynamic kind's ideal output is its unitary twin's (Aer checks both against the
    # definition in tests/qcompile/qram): Statevector cannot run a measurement
    unitary = qram_query_circuit(kind.removesuffix("-mbu"), 4, seed=5)
    ideal = Statevector(initial.statevector()).evolve(unitary).data
    from runtime.simulators.trajectories import _compile, _run_batch

    state, phase = _run_batch(_compile(circuit, PauliNoise()), initial.bits.T.copy(), [[]])
    ours = Branches(state.T, initial.amplitudes * np.exp(1j * phase)).statevector()
    # the simulator drops the circuit's global phase (no fidelity depends on it)
    assert np.allclose(ours * np.exp(1j * float(circuit.global_phase)), ideal)


def test_result_is_independent_of_batching() -> None:
    noise = PauliNoise(one_qubit=0.01, two_qubit=0.01)
    circuit = qram_query_circuit("qrom", 8, seed=0)
    initial = qram_input(circuit)
    a = simulate_trajectories(circuit, initial, noise, 40, seed=4)
    b = simulate_trajectories(circuit, initial, noise, 40, seed=4, batch_bytes=1)
    assert a.fidelities == b.fidelities
    c = simulate_trajectories(circuit, initial, noise, 40, seed=5)
    assert c.fidelities != a.fidelities


def test_monomial_form_reads_the_matrix() -> None:
    from qiskit.circuit.library import CSwapGate

    perm, angle = monomial_form(CSwapGate(ctrl_state=0))
    # control is qubit 0 (value 0 swaps qubits 1 and 2): |x=0b010> -> |0b100>
    assert perm[0b010] == 0b100 and perm[0b011] == 0b011
    assert np.allclose(angle, 0)


def test_non_monomial_gate_is_rejected() -> None:
    qc = QuantumCircuit(2)
    qc.h(0)
    with pytest.raises(CircuitInputError, match="not monomial"):
        simulate_trajectories(qc, Branches(np.zeros((1, 2)), np.ones(1)), PauliNoise(), 2)


def test_bad_inputs() -> None:
    with pytest.raises(ResourceError):
        PauliNoise(one_qubit=1.5)
    with pytest.raises(CompileError):
        qram_query_circuit("nope", 4)
    with pytest.raises(ResourceError):
        qram_query_circuit("qrom", 6)
    with pytest.raises(ResourceError):
        qram_query_fidelity("qrom", 4, PauliNoise(), trajectories=0)


def test_profile_noise_uses_medians() -> None:
    from hardware_profiles import load_profile
    from hardware_profiles.summary import summarize_profile

    s = summarize_profile(load_profile("grid_10x10"))
    noise = PauliNoise.from_profile("grid_10x10", scale=2.0, idle=True)
    assert noise.two_qubit == pytest.approx(2 * s.median_2q_error)
    assert noise.one_qubit == pytest.approx(2 * s.median_1q_error)
    assert noise.idle == pytest.approx(2 * (1 - np.exp(-s.median_2q_duration / s.median_t2)))


@pytest.mark.slow
def test_custom_gates_sharing_a_name_are_read_separately() -> None:
    from runtime.simulators.trajectories import _compile, _run_batch

    flip, phase = QuantumCircuit(2), QuantumCircuit(2)
    flip.cx(0, 1)
    phase.cp(0.4, 0, 1)
    gates = [flip.to_gate(), phase.to_gate()]
    for gate in gates:
        gate.name = "mine"
    qc = QuantumCircuit(2)
    for gate in gates:
        qc.append(gate, [0, 1])
    initial = Branches(np.array([[0, 0], [1, 0]]), np.array([0.6, 0.8]))
    state, phase_out = _run_batch(_compile(qc, PauliNoise()), initial.bits.T.copy(), [[]])
    ours = Branches(state.T, initial.amplitudes * np.exp(1j * phase_out)).statevector()
    assert np.allclose(ours, Statevector(initial.statevector()).evolve(qc).data)


@pytest.mark.slow
def test_aer_noisy_circuit_is_the_reference_channel() -> None:
    circuit = qram_query_circuit("bucket-brigade", 2, seed=3)
    initial = qram_input(circuit, "one")
    noise = PauliNoise(one_qubit=0.02, two_qubit=0.01)
    noisy = QuantumCircuit(circuit.num_qubits)
    noisy.set_density_matrix(DensityMatrix(initial.statevector()))
    noisy.compose(aer_noisy_circuit(circuit, noise), inplace=True)
    noisy.save_density_matrix()
    rho = AerSimulator(method="density_matrix").run(noisy).result().data()["density_matrix"]
    ideal = Statevector(initial.statevector()).evolve(circuit)
    fidelity = float(np.real(np.conj(ideal.data) @ np.asarray(rho) @ ideal.data))
    assert fidelity == pytest.approx(_aer_fidelity(circuit, initial, noise), abs=1e-12)
    with pytest.raises(CircuitInputError, match="idle"):
        aer_noisy_circuit(circuit, PauliNoise(idle=0.1))


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "size"), [("qrom-mbu", 4), ("select-swap-mbu", 8)])
def test_measured_uncompute_trajectories_match_aer_dynamic_simulation(kind: str, size: int) -> None:
    """Gate errors, the H's error, readout flips and the fix-up's errors, against Aer."""
    from runtime.simulators.trajectories import aer_noisy_circuit, aer_readout_noise

    noise = PauliNoise(one_qubit=0.01, two_qubit=0.02, readout=0.05)
    circuit = qram_query_circuit(kind, size, seed=3)
    assert circuit.count_ops().get("measure", 0) > 0
    initial = qram_input(circuit, "plus")
    keep = qram_kept_qubits(circuit)
    est = simulate_trajectories(circuit, initial, noise, 3000, seed=1, keep=keep)

    noisy = QuantumCircuit(circuit.num_qubits, circuit.num_clbits)
    noisy.set_statevector(initial.statevector())
    noisy.compose(aer_noisy_circuit(circuit, noise), inplace=True)
    noisy.save_density_matrix()  # averaged over shots, i.e. over measurement records
    shots = 600
    sim = AerSimulator(method="density_matrix", noise_model=aer_readout_noise(noise))
    rho = sim.run(noisy, shots=shots, seed_simulator=7).result().data()["density_matrix"]
    traced = [q for q in range(circuit.num_qubits) if q not in keep]
    reduced = np.asarray(partial_trace(rho, traced).data)
    unitary = qram_query_circuit(kind.removesuffix("-mbu"), size, seed=3)
    full = Statevector(initial.statevector()).evolve(unitary)
    ideal = np.asarray(partial_trace(full, traced).data)  # pure: ancillas end in |0>
    exact = float(np.real(np.trace(ideal @ reduced)))
    # Aer's average over 3000 records has its own spread; the trajectory estimate too
    print(kind, size, est.mean, est.stderr, exact)
    assert abs(est.mean - exact) < 4 * est.stderr + 4 * (1 - exact) / np.sqrt(shots) + 2e-3
    assert est.mean < 0.98  # the noise is visible


def test_readout_flips_in_the_measured_uncompute_cost_fidelity() -> None:
    circuit = qram_query_circuit("qrom-mbu", 16, seed=0)
    keep = qram_kept_qubits(circuit)
    clean = simulate_trajectories(circuit, qram_input(circuit), PauliNoise(), 50, keep=keep)
    flips = simulate_trajectories(
        circuit, qram_input(circuit), PauliNoise(readout=0.05), 400, seed=2, keep=keep
    )
    assert clean.mean == 1.0
    # 14 measurements: a flip leaves the ancilla in |1> (garbage) and applies a wrong CZ
    assert flips.mean < 1 - 0.05 * 14 / 4
