from __future__ import annotations

import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.library import RZGate
from qiskit.transpiler import generate_preset_pass_manager

from hardware_profiles import load_profile
from qcompile.equivalence import active_qubits, check_equivalence
from tests.conftest import ghz, lookup, qft


def line_target_circuit(circuit: QuantumCircuit, seed: int = 1) -> QuantumCircuit:
    """Route on a 1-D line of the grid device so the result carries a real permutation."""
    target = load_profile("heron_r2").target()
    pm = generate_preset_pass_manager(optimization_level=1, target=target, seed_transpiler=seed)
    return pm.run(circuit)


def tamper(compiled: QuantumCircuit) -> QuantumCircuit:
    bad = compiled.copy()
    for i, inst in enumerate(bad.data):
        if inst.operation.name == "rz":
            bad.data[i] = inst.replace(operation=RZGate(float(inst.operation.params[0]) + 0.4))
            return bad
    raise AssertionError("no rz to tamper with")


@pytest.mark.parametrize("method", ["qcec", "operator"])
@pytest.mark.parametrize("make", [lambda: qft(5), lambda: lookup(3), lambda: ghz(6)])
def test_both_methods_accept_compiled_and_reject_tampered(method: str, make: object) -> None:
    logical = make()  # type: ignore[operator]
    compiled = line_target_circuit(logical)
    ok = check_equivalence(logical, compiled, method=method)  # type: ignore[arg-type]
    assert ok.status == "equivalent", ok
    assert ok.method == method
    if "rz" in compiled.count_ops():
        bad = check_equivalence(logical, tamper(compiled), method=method)  # type: ignore[arg-type]
        assert bad.status == "not_equivalent"


def test_operator_method_handles_routing_permutations() -> None:
    # All-to-all interactions on heavy-hex force SWAPs, so the final layout is permuted.
    logical = QuantumCircuit(5)
    for a in range(5):
        for b in range(a + 1, 5):
            logical.cx(a, b)
            logical.rz(0.1 * (a + 1) * (b + 2), b)
    compiled = line_target_circuit(logical, seed=5)
    layout = compiled.layout
    assert layout.routing_permutation() != list(range(compiled.num_qubits))
    assert check_equivalence(logical, compiled, method="operator").status == "equivalent"
    # Dropping the permutation's effect (wrong qubit placement) must be caught.
    swapped = QuantumCircuit(5)
    swapped.compose(logical, inplace=True)
    swapped.swap(0, 1)
    assert check_equivalence(swapped, compiled, method="operator").status == "not_equivalent"


def test_wide_circuits_are_skipped_with_a_reason() -> None:
    logical = ghz(14)
    compiled = line_target_circuit(logical)
    result = check_equivalence(logical, compiled, max_qubits=12)
    assert result.status == "skipped"
    assert "14" in result.detail


def test_active_qubits_include_idle_logical_qubits() -> None:
    logical = QuantumCircuit(3)
    logical.h(0)
    compiled = line_target_circuit(logical)
    assert len(active_qubits(compiled)) == 3


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["multiplexer", "qrom", "bb-2q", "select-swap"])
def test_qram_lowering_with_clean_ancillas_is_equivalent_by_both_methods(kind: str) -> None:
    import numpy as np
    from qiskit import QuantumRegister

    from qcompile.qram import QRAMQuery, QRAMWords, add_qram_lowering

    words = QRAMWords.angles([float(a) for a in np.random.default_rng(1).uniform(0, 3, 4)])
    address, target_reg = QuantumRegister(2, "address"), QuantumRegister(1, "target")
    logical = QuantumCircuit(address, target_reg)
    logical.h(address)
    logical.append(QRAMQuery(words), [*address, *target_reg])
    pm = generate_preset_pass_manager(
        optimization_level=2, target=load_profile("heron_r2").target(), seed_transpiler=0
    )
    add_qram_lowering(pm, kind)
    compiled = pm.run(logical)
    assert "qram_query" not in compiled.count_ops()
    for method in ("qcec", "operator"):
        assert check_equivalence(logical, compiled, method=method).status == "equivalent"
    # A query with other words must be caught by both methods.
    other = QRAMWords.angles([0.1, 0.2, 0.3, 0.4])
    wrong = QuantumCircuit(address, target_reg)
    wrong.h(address)
    wrong.append(QRAMQuery(other), [*address, *target_reg])
    for method in ("qcec", "operator"):
        assert check_equivalence(wrong, compiled, method=method).status == "not_equivalent"
