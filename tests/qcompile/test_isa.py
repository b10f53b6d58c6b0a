from __future__ import annotations

import pytest
from qiskit import QuantumCircuit
from qiskit_ibm_runtime.utils.utils import is_isa_circuit

from hardware_profiles import load_profile
from hardware_profiles.errors import IsaError
from qcompile.isa import check_isa, isa_violations


def device_circuit(n: int) -> QuantumCircuit:
    return QuantumCircuit(n, n)


def test_isa_check_agrees_with_ibm_on_valid_and_invalid_circuits() -> None:
    target = load_profile("heron_r2").target()
    good = device_circuit(156)
    good.sx(0)
    good.rz(0.3, 1)
    good.cz(0, 1)
    good.measure(0, 0)
    assert isa_violations(good, target) == []
    assert is_isa_circuit(good, target) == ""

    for build in (
        lambda c: c.cx(0, 1),  # not in the instruction set
        lambda c: c.cz(0, 5),  # not coupled
        lambda c: c.h(3),  # not native
    ):
        bad = device_circuit(156)
        build(bad)
        assert isa_violations(bad, target)
        assert is_isa_circuit(bad, target) != ""


def test_excluded_dead_coupler_is_not_isa() -> None:
    target = load_profile("heron_r2").target()
    bad = device_circuit(156)
    bad.cz(27, 28)  # error 1.0 in the FakeFez snapshot
    problems = isa_violations(bad, target)
    assert problems and "27, 28" in problems[0]


def test_wrong_width_is_not_isa() -> None:
    target = load_profile("heron_r2").target()
    problems = isa_violations(QuantumCircuit(5), target)
    assert "156" in problems[0]
    with pytest.raises(IsaError):
        check_isa(QuantumCircuit(5), target)


def test_control_flow_blocks_are_checked_on_their_physical_qubits() -> None:
    target = load_profile("heron_r2").target()
    circuit = device_circuit(156)
    circuit.measure(0, 0)
    with circuit.if_test((circuit.clbits[0], 1)):
        circuit.cx(0, 1)
    assert any("cx" in p for p in isa_violations(circuit, target))
