from __future__ import annotations

from collections import Counter

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
    for checker in ("qcec", "operator"):
        assert check_equivalence(wrong, compiled, method=checker).status == "not_equivalent"


# --- Measured circuits: the measured distribution, not the unitary. ---


def heron(circuit: QuantumCircuit, level: int = 2, seed: int = 0) -> QuantumCircuit:
    target = load_profile("heron_r2").target()
    pm = generate_preset_pass_manager(optimization_level=level, target=target, seed_transpiler=seed)
    return pm.run(circuit)


def insert_before_first(circuit: QuantumCircuit, name: str, operation: object) -> QuantumCircuit:
    """A copy with ``operation`` on the qubit of the first ``name`` instruction, just before it."""
    bad = circuit.copy()
    i = next(i for i, inst in enumerate(bad.data) if inst.operation.name == name)
    bad.data.insert(i, bad.data[i].replace(operation=operation, clbits=()))
    return bad


def test_diagonal_gate_before_final_measurement_is_not_a_difference() -> None:
    from qiskit.circuit.library import XGate

    logical = QuantumCircuit(1, 1)
    logical.h(0)
    logical.t(0)
    logical.measure(0, 0)
    compiled = heron(logical)
    # The transpiler drops the T (RemoveDiagonalGatesBeforeMeasure): the unitary changed...
    unmeasured = logical.remove_final_measurements(inplace=False)
    assert check_equivalence(unmeasured, heron(unmeasured)).notion == "unitary"
    # ...but the measured distribution did not, and that is what is proven.
    result = check_equivalence(logical, compiled)
    assert (result.status, result.notion) == ("equivalent", "measured_distribution"), result
    flipped = insert_before_first(compiled, "measure", XGate())
    assert check_equivalence(logical, flipped).status == "not_equivalent"


@pytest.mark.parametrize("method", ["qcec", "density_matrix"])
def test_measurements_into_swapped_classical_bits_are_caught(method: str) -> None:
    logical = QuantumCircuit(2, 2)
    logical.x(0)
    logical.ry(0.7, 1)
    logical.measure([0, 1], [0, 1])
    compiled = heron(logical)
    assert check_equivalence(logical, compiled, method=method).status == "equivalent"  # type: ignore[arg-type]
    swapped = QuantumCircuit(2, 2)
    swapped.x(0)
    swapped.ry(0.7, 1)
    swapped.measure([0, 1], [1, 0])
    result = check_equivalence(swapped, compiled, method=method)  # type: ignore[arg-type]
    assert result.status == "not_equivalent", result


def test_physical_qubit_openqasm3_with_measurements_is_proven() -> None:
    from qcompile.circuit_io import loads_circuit

    source = b"""OPENQASM 3.0;
include "stdgates.inc";
bit[5] c;
h $0; cp(pi/2) $1, $0; cp(pi/4) $2, $0; cp(pi/8) $3, $0; cp(pi/16) $4, $0;
h $1; cp(pi/2) $2, $1; cp(pi/4) $3, $1; cp(pi/8) $4, $1;
h $2; cp(pi/2) $3, $2; cp(pi/4) $4, $2;
h $3; cp(pi/2) $4, $3;
h $4;
swap $0, $4; swap $1, $3;
c[0] = measure $0; c[1] = measure $1; c[2] = measure $2; c[3] = measure $3; c[4] = measure $4;
"""
    logical = loads_circuit(source, "qft_n5.qasm")
    assert not logical.qregs  # physical qubits are loose bits
    result = check_equivalence(logical, heron(logical))
    assert (result.status, result.method, result.notion) == (
        "equivalent",
        "qcec",
        "measured_distribution",
    ), result


# --- Dynamic circuits: an exact zero-state proof, or an explicit "not checked". ---


def mid_circuit_measurement() -> QuantumCircuit:
    circuit = QuantumCircuit(3, 3)
    circuit.h(0)
    circuit.measure(0, 0)
    circuit.cx(0, 1)
    circuit.ry(0.4, 0)
    circuit.cx(1, 2)
    circuit.measure([0, 1, 2], [0, 1, 2])
    return circuit


def with_reset() -> QuantumCircuit:
    circuit = QuantumCircuit(2, 2)
    circuit.x(1)
    circuit.cx(1, 0)
    circuit.reset(0)
    circuit.ry(0.9, 0)
    circuit.measure([0, 1], [0, 1])
    return circuit


def with_if_else() -> QuantumCircuit:
    circuit = QuantumCircuit(3, 3)
    circuit.h(0)
    circuit.measure(0, 0)
    with circuit.if_test((circuit.clbits[0], 1)) as otherwise:
        circuit.cz(1, 2)
        circuit.x(1)
    with otherwise:
        circuit.ry(0.3, 2)
    circuit.h(2)
    circuit.measure([1, 2], [1, 2])
    return circuit


def with_switch_and_loop() -> QuantumCircuit:
    from qiskit.circuit import ClassicalRegister, QuantumRegister

    q, c = QuantumRegister(2, "q"), ClassicalRegister(2, "c")
    circuit = QuantumCircuit(q, c)
    circuit.h(q)
    circuit.measure(q, c)
    with circuit.switch(c) as case:
        with case(0):
            circuit.x(0)
        with case(1, 2):
            circuit.ry(0.5, 1)
        with case(case.DEFAULT):
            circuit.cx(0, 1)
    with circuit.for_loop(range(3)):
        circuit.rx(0.2, 0)
    circuit.measure(q, c)
    return circuit


def with_delay() -> QuantumCircuit:
    circuit = QuantumCircuit(2, 2)
    circuit.h(0)
    circuit.delay(100, 0, unit="ns")
    circuit.cx(0, 1)
    circuit.measure([0, 1], [0, 1])
    return circuit


@pytest.mark.parametrize(
    "make", [mid_circuit_measurement, with_reset, with_if_else, with_switch_and_loop, with_delay]
)
def test_dynamic_circuits_get_a_proof_and_a_wrong_one_is_caught(make: object) -> None:
    from qiskit.circuit.library import RYGate

    logical = make()  # type: ignore[operator]
    compiled = heron(logical)
    result = check_equivalence(logical, compiled)
    assert result.status == "equivalent", result
    assert result.notion in ("measured_distribution", "output_from_zero_state")
    # A rotation slipped in before the last measurement changes what is measured.
    bad = compiled.copy()
    last = max(i for i, inst in enumerate(bad.data) if inst.operation.name == "measure")
    bad.data.insert(last, bad.data[last].replace(operation=RYGate(1.1), clbits=()))
    assert check_equivalence(logical, bad).status == "not_equivalent"


def test_a_changed_branch_body_is_caught() -> None:
    logical = with_if_else()
    other = QuantumCircuit(3, 3)
    other.h(0)
    other.measure(0, 0)
    with other.if_test((other.clbits[0], 1)) as otherwise:
        other.cz(1, 2)  # no x(1)
    with otherwise:
        other.ry(0.3, 2)
    other.h(2)
    other.measure([1, 2], [1, 2])
    result = check_equivalence(logical, heron(other))
    assert (result.status, result.method) == ("not_equivalent", "density_matrix"), result


def test_zero_state_run_teleports_exactly() -> None:
    # Independent reference: teleportation with feed-forward leaves qubit 2 in ry(θ)|0>
    # on each of the four equally likely outcomes.
    import numpy as np
    from qiskit.quantum_info import DensityMatrix, Statevector, partial_trace

    from qcompile.zero_state import zero_state_output

    theta = 0.83
    circuit = QuantumCircuit(3, 2)
    circuit.ry(theta, 0)
    circuit.h(1)
    circuit.cx(1, 2)
    circuit.cx(0, 1)
    circuit.h(0)
    circuit.measure([0, 1], [0, 1])
    with circuit.if_test((circuit.clbits[1], 1)):
        circuit.x(2)
    with circuit.if_test((circuit.clbits[0], 1)):
        circuit.z(2)
    branches = zero_state_output(circuit, {q: i for i, q in enumerate(circuit.qubits)}, 3)
    expected = DensityMatrix(Statevector([np.cos(theta / 2), np.sin(theta / 2)]))
    assert sorted(branches) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    for rho in branches.values():
        assert np.trace(rho.data).real == pytest.approx(0.25)
        qubit2 = partial_trace(rho, [0, 1])
        assert np.allclose(qubit2.data / 0.25, expected.data, atol=1e-10)


@pytest.mark.slow
def test_dynamic_circuit_routed_through_ancillas_is_compared_on_its_logical_qubits() -> None:
    from qiskit.circuit.library import RYGate

    logical = QuantumCircuit(4, 4)
    logical.h(0)
    logical.measure(0, 0)
    logical.reset(0)
    for a in range(4):
        for b in range(a + 1, 4):
            logical.cx(a, b)
            logical.rz(0.1 * (a + 1) * (b + 2), b)
    target = load_profile("heron_r2").target()
    # Spread-out initial qubits: routing moves states through ancillas, which are traced out.
    pm = generate_preset_pass_manager(
        optimization_level=1, target=target, seed_transpiler=0, initial_layout=[0, 2, 4, 6]
    )
    compiled = pm.run(logical)
    result = check_equivalence(logical, compiled)
    assert result.qubits > logical.num_qubits
    assert (result.status, result.method) == ("equivalent", "density_matrix"), result
    bad = compiled.copy()
    bad.data.insert(len(bad.data) - 1, bad.data[-1].replace(operation=RYGate(0.9)))
    assert check_equivalence(logical, bad).status == "not_equivalent"


def test_wide_dynamic_circuit_says_not_checked_and_why() -> None:
    logical = QuantumCircuit(10, 10)
    logical.h(0)
    logical.measure(0, 0)
    with logical.if_test((logical.clbits[0], 1)):
        for q in range(1, 10):
            logical.x(q)
    logical.measure(range(10), range(10))
    result = check_equivalence(logical, heron(logical, level=1))
    assert result.status == "not_checked"
    assert "qubits" in result.detail and "8" in result.detail, result


# --- The random-circuit family: no false rejects, and every verdict names its notion. ---

SWEEP_PROFILES = ("heron_r2", "ion_all_to_all", "grid_10x10")
VARIANTS = ("unitary", "measured", "dynamic")


def random_family_circuit(seed: int, variant: str) -> QuantumCircuit:
    """``random_circuit`` with every gate kind (1- to 4-qubit), 2–6 qubits, depth 3–6.

    ``measured`` adds final measurements; ``dynamic`` adds resets and classically
    conditioned gates (``if_else``) as well.
    """
    from qiskit.circuit.random import random_circuit

    circuit = random_circuit(
        2 + seed % 5,
        3 + seed % 4,
        max_operands=4,
        measure=variant != "unitary",
        conditional=variant == "dynamic",
        reset=variant == "dynamic",
        seed=seed,
    )
    circuit.name = f"random_{variant}_{seed}"
    return circuit


def sweep_cases() -> list[tuple[int, str]]:
    """20 seeds spread over 0–199, one variant each; all 600 with QATTN_FULL_EQUIVALENCE_SWEEP=1."""
    import os

    if os.environ.get("QATTN_FULL_EQUIVALENCE_SWEEP") == "1":
        return [(seed, variant) for seed in range(200) for variant in VARIANTS]
    return [(seed, VARIANTS[(seed // 10) % 3]) for seed in range(0, 200, 10)]


def sweep(profile_name: str, level: int) -> tuple[Counter[str], list[object]]:
    """Compiles the family at one level; counts verdicts and collects what is not proven.

    A false reject (``not_equivalent``) or an unproven unitary or measured circuit is a
    failure; a dynamic circuit may instead say ``not checked`` with its reason (routing
    control flow can spread it past the dense check's 8 qubits).
    """
    from hardware_profiles.errors import CompileError, EquivalenceError
    from qcompile.pipeline import CompileOptions, compile_circuit

    profile = load_profile(profile_name)
    expected = {"unitary": "unitary", "measured": "measured_distribution"}
    counts: Counter[str] = Counter()
    failures: list[object] = []
    for seed, variant in sweep_cases():
        circuit = random_family_circuit(seed, variant)
        options = CompileOptions(optimization_level=level, seed=seed)
        try:
            result = compile_circuit(circuit, profile, options)
        except EquivalenceError as exc:
            counts["false reject"] += 1
            failures.append((seed, variant, str(exc)))
            continue
        except CompileError as exc:
            # A profile without control flow refuses if_else with one line; no verdict.
            counts["refused: no control flow on profile"] += 1
            if not (variant == "dynamic" and "control-flow" in str(exc)):
                failures.append((seed, variant, str(exc)))
            continue
        eq = result.report.equivalence
        counts[f"{eq['status']} ({eq['method']}; {eq['notion']})"] += 1
        if variant in expected:
            ok = eq["status"] == "equivalent" and eq["notion"] == expected[variant]
        else:
            ok = eq["status"] in ("equivalent", "skipped", "not_checked") and bool(eq["detail"])
        if not ok:
            failures.append((seed, variant, eq))
    return counts, failures


@pytest.mark.slow
@pytest.mark.parametrize("level", [0, 1, 2, 3])
@pytest.mark.parametrize("profile_name", SWEEP_PROFILES)
def test_random_circuits_are_never_falsely_rejected(profile_name: str, level: int) -> None:
    counts, failures = sweep(profile_name, level)
    print(f"\nsweep {profile_name} -O{level}: {sum(counts.values())} compiles, {dict(counts)}")
    assert not failures, failures
