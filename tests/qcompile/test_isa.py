from __future__ import annotations

import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Gate
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


def fake_ecr() -> Gate:
    """A user gate named ``ecr`` whose definition is a CX, not the device's ECR."""
    body = QuantumCircuit(2, name="ecr")
    body.cx(0, 1)
    return body.to_gate()


def test_user_gate_named_like_a_native_gate_is_not_isa() -> None:
    target = load_profile("eagle_r3").target()
    coupled = next(q for q in target["ecr"] if q is not None)
    real = device_circuit(127)
    real.ecr(*coupled)
    assert isa_violations(real, target) == []

    fake = device_circuit(127)
    fake.append(fake_ecr(), list(coupled))
    # IBM's check goes by name and passes it; ours compares the operation.
    assert is_isa_circuit(fake, target) == ""
    problems = isa_violations(fake, target)
    assert len(problems) == 1 and "user-defined gate named 'ecr'" in problems[0]
    with pytest.raises(IsaError, match="user-defined"):
        check_isa(fake, target)


def test_user_gate_named_like_a_native_gate_is_caught_inside_control_flow() -> None:
    target = load_profile("eagle_r3").target()
    a, b = next(q for q in target["ecr"] if q is not None)
    circuit = device_circuit(127)
    circuit.measure(a, 0)
    with circuit.if_test((circuit.clbits[0], 1)):
        circuit.append(fake_ecr(), [a, b])
    assert any("user-defined gate named 'ecr'" in p for p in isa_violations(circuit, target))


def test_wrong_shape_under_a_native_name_is_not_isa() -> None:
    target = load_profile("ion_all_to_all").target()
    circuit = QuantumCircuit(target.num_qubits)
    circuit.append(Gate("r", 1, []), [0])  # the native r takes two angles
    assert any("user-defined gate named 'r'" in p for p in isa_violations(circuit, target))
