from __future__ import annotations

import dataclasses

import pytest
from qiskit_ibm_runtime.fake_provider import FakeFez, FakeTorino

from hardware_profiles import FaultPolicy, load_profile
from hardware_profiles.errors import ProfileError


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


def with_mode(name: str, mode: str) -> object:
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


def test_heron_r1_faulty_readout_qubit_is_isolated() -> None:
    backend = FakeTorino()
    readout = backend.properties().readout_error(86)
    assert readout >= 0.5
    profile = load_profile("heron_r1")
    report = profile.fault_report()
    assert 86 in report.qubits
    assert 86 in report.isolated
    assert all(86 not in q for q in profile.target()["cz"])
    # Its single-qubit instructions stay, so every qubit keeps a complete basis.
    assert (86,) in profile.target()["sx"]


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
