"""Compile the test circuits for every profile; check ISA, equivalence and report figures."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit
from qiskit.circuit import Gate
from qiskit.circuit.random import random_circuit
from qiskit.quantum_info import Operator
from qiskit_ibm_runtime.utils.utils import is_isa_circuit

from hardware_profiles import list_profiles, load_profile
from hardware_profiles.errors import CompileError
from qcompile.equivalence import check_equivalence
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


# Faulty hardware is never used silently (issue #15, item 5).


def parallel_measurements(n: int) -> QuantumCircuit:
    circuit = QuantumCircuit(n, n, name=f"parallel{n}")
    circuit.h(range(n))
    circuit.measure(range(n), range(n))
    return circuit


def touched_qubits(circuit: QuantumCircuit) -> set[int]:
    return {
        circuit.find_bit(q).index
        for inst in circuit.data
        if inst.operation.name != "barrier"
        for q in inst.qubits
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("level", "layout_method"), [(0, None), (1, None), (1, "trivial"), (2, None), (3, "sabre")]
)
def test_ninety_parallel_measurements_never_land_on_faulty_qubit_86(
    level: int, layout_method: str | None
) -> None:
    """The issue's example: at -O1 the trivial layout put a qubit on 86 (readout error 0.57)."""
    profile = load_profile("heron_r1")
    options = CompileOptions(optimization_level=level, layout_method=layout_method)
    result = compile_circuit(parallel_measurements(90), profile, options)
    used = touched_qubits(result.circuit)
    assert 86 not in used
    assert len(used) == 90
    assert 86 not in result.report.initial_layout
    assert result.report.faulty_qubits_used == []
    assert is_isa_circuit(result.circuit, profile.target()) == ""


@pytest.mark.slow
def test_circuit_that_fits_only_on_faulty_qubits_is_refused_or_reported() -> None:
    """133 qubits on heron_r1: refused under exclude, reported under penalize."""
    import dataclasses

    profile = load_profile("heron_r1")
    with pytest.raises(CompileError) as info:
        compile_circuit(parallel_measurements(133), profile)
    assert str(info.value) == (
        "circuit 'parallel133' needs 133 qubits; heron_r1 has 132 usable (1 faulty excluded)"
    )
    # Dead couplers split heron_r1: 130 interacting qubits need one connected group.
    with pytest.raises(CompileError) as info:
        compile_circuit(ghz(130), profile)
    assert str(info.value) == (
        "circuit 'ghz130' has 130 qubits that interact; heron_r1's largest connected group "
        "of usable qubits has 129 (faulty hardware excluded)"
    )
    # 132 qubits still fit, on every usable qubit.
    options = CompileOptions(optimization_level=1, equivalence_max_qubits=0)
    fits = compile_circuit(parallel_measurements(132), profile, options)
    assert touched_qubits(fits.circuit) == set(range(133)) - {86}

    penalized = dataclasses.replace(
        profile, faults=dataclasses.replace(profile.faults, mode="penalize")
    )
    report = compile_circuit(parallel_measurements(133), penalized, options).report
    assert report.faulty_qubits_used == [86]
    assert report.to_dict()["faulty_qubits_used"] == [86]
    assert "uses faulty qubits [86]" in report.to_text()
    assert "Faulty hardware used" in report.to_markdown()


def test_layout_repair_refuses_when_no_usable_qubit_is_left() -> None:
    """What the width check cannot see (e.g. ancillas added by lowering) is refused in layout."""
    from qiskit.circuit.library import CZGate, SXGate
    from qiskit.transpiler import InstructionProperties, Target

    from qcompile.pipeline import preset_pass_manager

    target = Target(num_qubits=3)
    target.add_instruction(SXGate(), {(0,): None, (2,): None})  # qubit 1 excluded
    target.add_instruction(CZGate(), {(0, 2): InstructionProperties(error=0.01)})
    circuit = QuantumCircuit(1)
    circuit.sx(0)
    options = CompileOptions(optimization_level=0, layout_method="trivial")
    moved = preset_pass_manager(target, options, initial_layout=None)
    placed = moved.run(circuit)
    assert touched_qubits(placed) == {0}
    wide = QuantumCircuit(3)
    wide.sx(range(3))
    with pytest.raises(CompileError, match="needs 3 qubits; the target has 2 usable"):
        preset_pass_manager(target, options).run(wide)


# No check fooled by a name (issue #15, item 6).


def logical_operator(compiled: QuantumCircuit, num_qubits: int) -> Operator:
    """The unitary hardware would run for a compiled circuit, on its logical qubits.

    Each instruction is taken by its name, as a device does (a gate named ``ecr`` runs the
    native ECR whatever its definition says), and read through the circuit's layout.
    """
    from qiskit.circuit.library import PermutationGate, get_standard_gate_name_mapping

    native = get_standard_gate_name_mapping()

    layout = compiled.layout
    initial = layout.initial_index_layout(filter_ancillas=True)
    final = layout.final_index_layout(filter_ancillas=True)
    position = {physical: virtual for virtual, physical in enumerate(initial)}
    assert touched_qubits(compiled) <= set(position)  # no ancilla in play
    small = QuantumCircuit(num_qubits, global_phase=compiled.global_phase)
    for inst in compiled.data:
        operation = native[inst.operation.name].to_mutable()
        operation.params = list(inst.operation.params)
        small.append(operation, [position[compiled.find_bit(q).index] for q in inst.qubits])
    # Undo routing: logical qubit v ends on physical final[v].
    pattern = [0] * num_qubits
    for virtual in range(num_qubits):
        pattern[virtual] = position[final[virtual]]
    small.append(PermutationGate(pattern), range(num_qubits))
    return Operator(small)


SHADOWING_CASES = [
    pytest.param(
        "eagle_r3",
        'OPENQASM 2.0; include "qelib1.inc"; gate ecr a, b { cx a, b; } '
        "qreg q[2]; h q[0]; ecr q[0], q[1];",
        id="ecr-qasm2-eagle_r3",
    ),
    pytest.param(
        "ion_all_to_all",
        'OPENQASM 3.0; include "stdgates.inc"; gate r a { h a; } '
        "qubit[2] q; r q[0]; cx q[0], q[1]; r q[1];",
        id="r-qasm3-ion_all_to_all",
    ),
    pytest.param(
        "eagle_r3",
        'OPENQASM 2.0; include "qelib1.inc"; gate ecr a, b { cx a, b; } '
        "gate pair a, b { h a; ecr a, b; } qreg q[2]; pair q[0], q[1];",
        id="ecr-inside-a-user-gate",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("profile_name", "source"), SHADOWING_CASES)
@pytest.mark.parametrize("level", [0, 1, 3])
def test_user_gate_named_like_a_native_gate_compiles_to_its_own_definition(
    profile_name: str, source: str, level: int
) -> None:
    from qcompile.circuit_io import loads_circuit

    circuit = loads_circuit(source.encode())
    # Independent reference: the same circuit with the user's bodies written out by hand.
    reference = QuantumCircuit(2)
    if profile_name == "eagle_r3":
        reference.h(0)
        reference.cx(0, 1)
    else:
        reference.h(0)
        reference.cx(0, 1)
        reference.h(1)
    profile = load_profile(profile_name)
    result = compile_circuit(circuit, profile, CompileOptions(optimization_level=level))
    assert logical_operator(result.circuit, 2).equiv(Operator(reference))
    assert isa_violations(result.circuit, profile.target()) == []
    assert result.report.equivalence["status"] == "equivalent"


def test_opaque_gate_with_a_native_name_and_shape_is_the_native_gate() -> None:
    from qcompile.circuit_io import loads_circuit

    source = 'OPENQASM 2.0; include "qelib1.inc"; opaque ecr a, b; qreg q[2]; ecr q[0], q[1];'
    circuit = loads_circuit(source.encode())
    reference = QuantumCircuit(2)
    reference.ecr(0, 1)
    result = compile_circuit(circuit, load_profile("eagle_r3"), CompileOptions(seed=1))
    assert logical_operator(result.circuit, 2).equiv(Operator(reference))


def test_opaque_gate_with_a_native_name_but_another_shape_is_refused() -> None:
    circuit = QuantumCircuit(2, name="odd")
    circuit.append(Gate("ecr", 1, []), [0])
    with pytest.raises(CompileError) as info:
        compile_circuit(circuit, load_profile("eagle_r3"))
    message = str(info.value)
    assert "\n" not in message
    assert "'ecr' on 1 qubit(s)" in message and "no definition" in message


def test_diagonal_gate_before_measurement_compiles_with_a_measured_distribution_proof() -> None:
    # Issue #15: `h; t; measure` on heron_r2 at -O2 was rejected as "not equivalent".
    circuit = QuantumCircuit(1, 1)
    circuit.h(0)
    circuit.t(0)
    circuit.measure(0, 0)
    report = compile_circuit(circuit, load_profile("heron_r2")).report
    assert report.equivalence["status"] == "equivalent", report.equivalence
    assert report.equivalence["notion"] == "measured_distribution"
    assert "equivalent (qcec; measured distribution)" in report.to_text()


@pytest.mark.slow
@pytest.mark.parametrize("level", [2, 3])
def test_measured_random_circuit_from_issue_15_is_not_rejected(level: int) -> None:
    circuit = random_circuit(6, 6, measure=True, seed=11)
    circuit.name = "rand6"
    result = compile_circuit(
        circuit, load_profile("heron_r2"), CompileOptions(optimization_level=level)
    )
    assert result.report.equivalence["status"] == "equivalent", result.report.equivalence
    assert result.report.equivalence["notion"] == "measured_distribution"
    # Independent of QCEC: the exact output distributions from |0...0> agree.
    dense = check_equivalence(circuit, result.circuit, method="density_matrix")
    assert dense.status == "equivalent", dense


def test_report_counts_gates_inside_control_flow() -> None:
    circuit = QuantumCircuit(2, 2)
    circuit.h(0)
    circuit.measure(0, 0)
    with circuit.if_test((circuit.clbits[0], 1)):
        circuit.cz(0, 1)
    circuit.measure(1, 1)
    plain = QuantumCircuit(2, 2)
    plain.h(0)
    plain.measure(0, 0)
    plain.measure(1, 1)
    profile = load_profile("heron_r2")
    options = CompileOptions(optimization_level=1)
    report = compile_circuit(circuit, profile, options).report
    baseline = compile_circuit(plain, profile, options).report
    assert report.two_qubit_gates == 1
    assert report.gate_counts["cz"] == 1 and report.gate_counts["if_else"] == 1
    assert report.logical_gate_counts["cz"] == 1
    assert report.two_qubit_depth == 1
    assert report.depth > baseline.depth
    assert report.success_probability < baseline.success_probability
    assert report.equivalence["status"] == "equivalent", report.equivalence
    assert report.equivalence["notion"] == "output_from_zero_state"


def test_unchecked_equivalence_is_stated_on_the_terminal() -> None:
    circuit = QuantumCircuit(10, 10)
    circuit.h(0)
    circuit.measure(0, 0)
    with circuit.if_test((circuit.clbits[0], 1)):
        circuit.x(range(1, 10))
    circuit.measure(range(10), range(10))
    report = compile_circuit(
        circuit, load_profile("heron_r2"), CompileOptions(optimization_level=1)
    ).report
    assert report.equivalence["status"] == "not_checked"
    assert "equivalence      not checked: " in report.to_text()
    assert "not checked: " in report.to_markdown()
