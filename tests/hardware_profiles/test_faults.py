from __future__ import annotations

import dataclasses

import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Measure
from qiskit.circuit.library import CXGate
from qiskit.transpiler import Target
from qiskit_ibm_runtime.fake_provider import FakeFez, FakeTorino

from hardware_profiles import FaultPolicy, FaultReport, load_profile
from hardware_profiles.errors import ProfileError
from hardware_profiles.faults import usable_qubits
from hardware_profiles.specs import FaultMode


def dead_couplers_from_properties(backend: object, gate: str) -> set[tuple[int, int]]:
    """Independent reference: read gate errors from the snapshot's BackendProperties."""
    props = backend.properties()  # type: ignore[attr-defined]
    dead = set()
    for g in props.gates:
        if g.gate == gate and len(g.qubits) == 2:
            error = props.gate_error(gate, g.qubits)
            if error >= 0.5:
                dead.add((min(g.qubits), max(g.qubits)))
    return dead


def with_mode(name: str, mode: FaultMode) -> object:
    profile = load_profile(name)
    return dataclasses.replace(profile, faults=dataclasses.replace(profile.faults, mode=mode))


@pytest.mark.slow
def test_heron_r2_excludes_the_seven_dead_couplers_by_default() -> None:
    dead = dead_couplers_from_properties(FakeFez(), "cz")
    assert len(dead) == 7
    profile = load_profile("heron_r2")
    report = profile.fault_report()
    assert set(report.couplers) == dead
    cz = profile.target()["cz"]
    for a, b in dead:
        assert (a, b) not in cz and (b, a) not in cz
    # Everything else is still there.
    raw = FakeFez().target["cz"]
    assert len(cz) == len(raw) - 2 * len(dead)


@pytest.mark.slow
def test_keep_and_penalize_modes() -> None:
    dead = dead_couplers_from_properties(FakeFez(), "cz")
    kept = with_mode("heron_r2", "keep").target()  # type: ignore[attr-defined]
    penalized = with_mode("heron_r2", "penalize").target()  # type: ignore[attr-defined]
    for a, b in dead:
        assert kept["cz"][(a, b)].error == pytest.approx(1.0)
        assert penalized["cz"][(a, b)].error == 1.0
    assert len(kept["cz"]) == len(FakeFez().target["cz"])


@pytest.mark.slow
def test_heron_r1_faulty_qubit_leaves_the_target_entirely() -> None:
    backend = FakeTorino()
    readout = backend.properties().readout_error(86)
    assert readout >= 0.5
    profile = load_profile("heron_r1")
    report = profile.fault_report()
    assert report.qubits == (86,)
    target = profile.target()
    # No instruction of any kind (gate, measure, reset, delay) is left on qubit 86 ...
    for name in target.operation_names:
        assert all(qargs is None or 86 not in qargs for qargs in target[name]), name
    assert usable_qubits(target) == tuple(q for q in range(133) if q != 86)
    # ... while qubits isolated only by dead couplers keep their gates and readout.
    assert 86 not in report.isolated
    assert report.isolated
    for qubit in report.isolated:
        assert (qubit,) in target["sx"] and (qubit,) in target["measure"]
    assert "1 qubit [86] excluded" in report.describe()


@pytest.mark.slow
def test_penalize_keeps_the_faulty_qubit_at_error_one() -> None:
    penalized = with_mode("heron_r1", "penalize").target()  # type: ignore[attr-defined]
    assert penalized["measure"][(86,)].error == 1.0
    assert penalized["sx"][(86,)].error == 1.0
    assert usable_qubits(penalized) == tuple(range(133))


def test_usable_qubits_of_an_ideal_target_are_all_of_them() -> None:
    ideal = Target(num_qubits=3)
    ideal.add_instruction(CXGate(), name="cx")  # global: defined on every pair
    ideal.add_instruction(Measure(), name="measure")
    assert usable_qubits(ideal) == (0, 1, 2)


def test_used_in_finds_faulty_hardware_inside_control_flow() -> None:
    report = FaultReport(mode="penalize", couplers=((1, 2),), qubits=(3,))
    circuit = QuantumCircuit(5, 1)
    circuit.h(0)
    circuit.barrier()  # a barrier over the faulty qubit uses nothing
    circuit.measure(0, 0)
    with circuit.if_test((circuit.clbits[0], 1)):
        circuit.cz(2, 1)
        circuit.x(3)
    assert report.used_in(circuit) == ((3,), ((1, 2),))
    clean = QuantumCircuit(5)
    clean.cz(0, 1)
    clean.barrier()
    assert report.used_in(clean) == ((), ())


def test_thresholds_are_configurable() -> None:
    profile = load_profile("heron_r2")
    strict = dataclasses.replace(profile, faults=FaultPolicy(max_two_qubit_error=0.02))
    raw = FakeFez().target["cz"]
    expected = {(min(q), max(q)) for q, p in raw.items() if p.error >= 0.02}
    assert set(strict.fault_report().couplers) == expected
    assert len(expected) > 7


def test_bad_policy_values_raise_profile_errors() -> None:
    with pytest.raises(ProfileError, match=r"faults\.mode"):
        FaultPolicy(mode="drop")  # type: ignore[arg-type]
    with pytest.raises(ProfileError, match=r"faults\.max_readout_error"):
        FaultPolicy(max_readout_error=-0.1)
