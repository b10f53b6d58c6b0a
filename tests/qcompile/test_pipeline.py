"""Compile the test circuits for every profile; check ISA, equivalence and report figures."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit
from qiskit.circuit.random import random_circuit
from qiskit_ibm_runtime.utils.utils import is_isa_circuit

from hardware_profiles import list_profiles, load_profile
from hardware_profiles.errors import CompileError
from qcompile.isa import isa_violations
from qcompile.pipeline import CompileOptions, compile_circuit
from tests.conftest import ghz, lookup, qft

PROFILES = [p.name for p in list_profiles()]


def independent_figures(circuit: QuantumCircuit, profile_name: str) -> dict[str, float]:
    """Recount the report's figures without qcompile.report."""
    target = load_profile(profile_name).target()
    two_qubit = 0
    log_success = 0.0
    finish = [0.0] * circuit.num_qubits
    for inst in circuit.data:
        name = inst.operation.name
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if name == "barrier":
            continue
        props = target[name][tuple(qubits)]
        if len(qubits) == 2:
            two_qubit += 1
        if props.error is not None:
            log_success += math.log(1 - props.error)
        start = max(finish[q] for q in qubits)
        for q in qubits:
            finish[q] = start + (props.duration or 0.0)
    return {
        "two_qubit": two_qubit,
        "success": math.exp(log_success),
        "duration": max(finish),
    }


@pytest.mark.slow
@pytest.mark.parametrize("profile_name", PROFILES)
def test_test_circuits_compile_to_equivalent_isa_for_every_profile(profile_name: str) -> None:
    profile = load_profile(profile_name)
    small = profile.kind == "fault_tolerant"  # rotations become long Clifford+T sequences
    for circuit in (ghz(5), qft(3 if small else 4), lookup(2 if small else 4)):
        result = compile_circuit(circuit, profile, CompileOptions(optimization_level=2))
        report = result.report
        assert not isa_violations(result.circuit, profile.target())
        assert "isa_valid" not in report.to_dict()  # a report exists only for ISA circuits
        if profile.kind == "ibm_snapshot":
            # Independent ISA reference: IBM's own check.
            assert is_isa_circuit(result.circuit, profile.target()) == ""
        assert report.equivalence["status"] == "equivalent", report.equivalence
        figures = independent_figures(result.circuit, profile_name)
        assert report.two_qubit_gates == figures["two_qubit"]
        assert report.success_probability == pytest.approx(figures["success"], rel=1e-9)
        assert report.duration_s == pytest.approx(figures["duration"], rel=1e-9, abs=1e-15)
        assert report.logical_qubits == circuit.num_qubits
        assert report.active_qubits >= circuit.num_qubits
        assert report.device_qubits == profile.num_qubits
        assert sorted(set(report.initial_layout)) == sorted(report.initial_layout)
        assert report.versions["qiskit"]
        assert report.profile == profile_name


def test_lookup16_on_heron_r2_needs_about_25_two_qubit_gates() -> None:
    result = compile_circuit(
        lookup(4), load_profile("heron_r2"), CompileOptions(optimization_level=3)
    )
    assert 14 <= result.report.two_qubit_gates <= 30
    assert result.report.two_qubit_depth <= result.report.two_qubit_gates


def test_dead_couplers_are_never_used_on_heron_r2() -> None:
    dead = load_profile("heron_r2").fault_report().couplers
    for seed in range(3):
        result = compile_circuit(ghz(40), load_profile("heron_r2"), CompileOptions(seed=seed))
        used = {
            tuple(sorted(result.circuit.find_bit(q).index for q in inst.qubits))
            for inst in result.circuit.data
            if inst.operation.name == "cz"
        }
        assert not used & set(dead)
        assert result.report.success_probability > 0


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    num_qubits=st.integers(2, 6),
    depth=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    level=st.integers(0, 3),
    profile_name=st.sampled_from(["heron_r2", "eagle_r3", "grid_10x10", "ion_all_to_all"]),
)
def test_random_circuits_compile_to_equivalent_isa(
    num_qubits: int, depth: int, seed: int, level: int, profile_name: str
) -> None:
    circuit = random_circuit(num_qubits, depth, max_operands=3, seed=seed)
    result = compile_circuit(
        circuit, load_profile(profile_name), CompileOptions(optimization_level=level, seed=seed)
    )
    assert result.report.equivalence["status"] == "equivalent"
    assert (
        result.report.two_qubit_gates
        == independent_figures(result.circuit, profile_name)["two_qubit"]
    )


def test_parameterized_circuit_compiles_once_and_stays_parameterized() -> None:
    from qiskit.circuit import ParameterVector

    theta = ParameterVector("theta", 3)
    circuit = QuantumCircuit(3, name="ansatz")
    for i in range(3):
        circuit.ry(theta[i], i)
    circuit.cx(0, 1)
    circuit.cx(1, 2)
    result = compile_circuit(circuit, load_profile("heron_r2"))
    assert {p.name for p in result.circuit.parameters} == {p.name for p in theta}
    assert result.report.equivalence["status"] == "equivalent"


def test_measured_circuit_reports_readout_in_success() -> None:
    circuit = ghz(3)
    circuit.measure_all()
    result = compile_circuit(circuit, load_profile("grid_10x10"))
    assert result.report.measured
    # 2 CZ at 4e-3, 3 readouts at 1e-2, sx/x at 5e-4: readout must be in there.
    assert result.report.success_probability < (1 - 4e-3) ** 2 * (1 - 1e-2) ** 3 + 1e-12


def test_circuit_wider_than_device_is_a_compile_error() -> None:
    with pytest.raises(CompileError, match="needs 40 qubits but profile 'ion_all_to_all' has 32"):
        compile_circuit(ghz(40), load_profile("ion_all_to_all"))


def test_untranslatable_gate_is_a_one_line_compile_error() -> None:
    from qiskit.circuit import Gate

    circuit = QuantumCircuit(2, name="opaque")
    circuit.append(Gate("mystery", 2, []), [0, 1])
    with pytest.raises(CompileError) as info:
        compile_circuit(circuit, load_profile("heron_r2"))
    assert "\n" not in str(info.value)
    assert "mystery" in str(info.value)


def test_bad_options_are_compile_errors() -> None:
    with pytest.raises(CompileError, match="optimization level"):
        CompileOptions(optimization_level=5)
    with pytest.raises(CompileError, match="unknown layout method 'tree'"):
        CompileOptions(layout_method="tree")
    with pytest.raises(CompileError, match="unknown routing method"):
        CompileOptions(routing_method="teleport")
    with pytest.raises(CompileError, match="layouts must be"):
        CompileOptions(layouts="random")  # type: ignore[arg-type]
    with pytest.raises(CompileError, match="needs tree_candidates > 0 or tree_stage"):
        CompileOptions(layouts="tree", tree_candidates=0, tree_stage=False)
    with pytest.raises(CompileError, match="QRAM lowering adds ancilla qubits"):
        CompileOptions(layouts="both", qram="bb-2q")
    with pytest.raises(CompileError, match="known_zero_inputs"):
        CompileOptions(known_zero_inputs=-1)


def test_known_zero_swaps_skip_the_full_unitary_equivalence_check() -> None:
    from qcompile.qram import LeanBucketBrigadeQRAM, QRAMWords

    circuit = LeanBucketBrigadeQRAM(QRAMWords.bits([1, 0, 0, 1], 1)).build()
    options = CompileOptions(optimization_level=3, known_zero_inputs=3)
    report = compile_circuit(circuit, load_profile("heron_r2"), options).report
    assert report.equivalence["status"] == "skipped"
    assert "known-|0>" in report.equivalence["detail"]
    assert report.options["known_zero_inputs"] == 3


def test_same_seed_same_circuit() -> None:
    profile = load_profile("heron_r2")
    a = compile_circuit(qft(5), profile, CompileOptions(seed=3)).circuit
    b = compile_circuit(qft(5), profile, CompileOptions(seed=3)).circuit
    assert a == b


@pytest.mark.slow
def test_excluding_dead_couplers_rescues_a_wide_routing_circuit() -> None:
    """The issue's finding: O3 routes a bucket brigade through FakeFez's dead couplers."""
    import dataclasses

    import numpy as np

    from qcompile.qram import BucketBrigadeQRAM, QRAMWords

    words = QRAMWords.bits([int(b) for b in np.random.default_rng(0).integers(0, 2, 16)], 1)
    circuit = BucketBrigadeQRAM(words).build()
    excluded = load_profile("heron_r2")
    kept = dataclasses.replace(excluded, faults=dataclasses.replace(excluded.faults, mode="keep"))
    dead = set(excluded.fault_report().couplers)
    keep_success, exclude_success = [], []
    for seed in range(3):
        options = CompileOptions(optimization_level=3, seed=seed, equivalence_max_qubits=0)
        keep_success.append(compile_circuit(circuit, kept, options).report.success_probability)
        result = compile_circuit(circuit, excluded, options)
        used = {
            tuple(sorted(result.circuit.find_bit(q).index for q in inst.qubits))
            for inst in result.circuit.data
            if len(inst.qubits) == 2
        }
        assert not used & dead
        exclude_success.append(result.report.success_probability)
    assert min(keep_success) == 0.0
    assert min(exclude_success) > 0.0


@pytest.mark.parametrize("kind", ["multiplexer", "qrom", "select-swap", "bb-2q"])
def test_qram_option_lowers_queries_in_the_pipeline(kind: str) -> None:
    from qiskit import QuantumRegister
    from qiskit.circuit import ParameterVector

    from qcompile.qram import QRAMQuery, QRAMWords

    theta = ParameterVector("theta", 4)
    address, target_reg = QuantumRegister(2, "address"), QuantumRegister(1, "target")
    logical = QuantumCircuit(address, target_reg, name="query4")
    logical.h(address)
    logical.append(QRAMQuery(QRAMWords.angles(list(theta))), [*address, *target_reg])
    result = compile_circuit(logical, load_profile("heron_r2"), CompileOptions(qram=kind))
    assert "qram_query" not in result.circuit.count_ops()
    assert {p.name for p in result.circuit.parameters} == {p.name for p in theta}
    assert result.report.equivalence["status"] == "equivalent"
    assert result.report.active_qubits >= 3
