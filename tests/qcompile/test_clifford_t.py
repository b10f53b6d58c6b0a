"""Fault-tolerant (Clifford+T) compiles: gridsynth rotations within the stated accuracy, fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.library import CXGate, HGate, RZGate, SGate, TGate
from qiskit.quantum_info import Operator
from qiskit.transpiler import InstructionProperties, Target

from hardware_profiles import DeviceProfile, load_profile
from hardware_profiles.errors import CompileError
from qcompile.circuit_io import load_circuit
from qcompile.clifford_t import RZ_SYNTHESIS_ERROR, is_all_to_all, is_clifford_t_target
from qcompile.pipeline import CompileOptions, compile_circuit

REPO = Path(__file__).resolve().parents[2]
QFT4 = REPO / "examples" / "circuits" / "qft4.qasm3"
CLIFFORD_T = {"h", "s", "sdg", "x", "y", "z", "cx", "t", "tdg", "measure"}


def _on_logical_qubits(compiled: QuantumCircuit) -> QuantumCircuit:
    """The compiled circuit on its logical qubits (ISA qubit ``initial[i]`` -> qubit ``i``).

    On an all-to-all device nothing is routed: every final position must equal the initial
    one and no other qubit may be touched, else the reduction would be wrong.
    """
    layout = compiled.layout
    assert layout is not None
    initial = layout.initial_index_layout(filter_ancillas=True)
    assert layout.final_index_layout(filter_ancillas=True) == initial
    position = {physical: i for i, physical in enumerate(initial)}
    reduced = QuantumCircuit(len(initial))
    for instruction in compiled.data:
        qubits = [position[compiled.find_bit(q).index] for q in instruction.qubits]
        reduced.append(instruction.operation, qubits)
    return reduced


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Spectral-norm distance of ``a`` from ``b`` with the best global phase (trace fit)."""
    overlap = np.trace(b.conj().T @ a)
    phase = overlap / abs(overlap)
    return float(np.linalg.norm(a - phase * b, 2))


def _t_count(circuit: QuantumCircuit) -> int:
    ops = circuit.count_ops()
    return int(ops.get("t", 0) + ops.get("tdg", 0))


@pytest.fixture(scope="module")
def ft_logical() -> DeviceProfile:
    return load_profile("ft_logical")


@pytest.mark.parametrize("theta", [0.3, -1.234, 2.0 * np.pi / 7, 1e-3])
def test_one_rotation_is_within_the_stated_accuracy(
    ft_logical: DeviceProfile, theta: float
) -> None:
    logical = QuantumCircuit(1)
    logical.rz(theta, 0)
    result = compile_circuit(logical, ft_logical, CompileOptions(equivalence_max_qubits=0))
    assert set(result.circuit.count_ops()) <= CLIFFORD_T
    got = Operator(_on_logical_qubits(result.circuit)).data
    want = RZGate(theta).to_matrix()  # numpy reference: diag(e^{-iθ/2}, e^{iθ/2})
    assert _distance(got, want) <= RZ_SYNTHESIS_ERROR
    assert result.report.options["rz_synthesis_error"] == RZ_SYNTHESIS_ERROR


def test_a_coarser_accuracy_costs_fewer_t_gates_and_stays_within_it(
    ft_logical: DeviceProfile,
) -> None:
    logical = QuantumCircuit(1)
    logical.rz(0.3, 0)
    fine = compile_circuit(logical, ft_logical, CompileOptions(equivalence_max_qubits=0))
    options = CompileOptions(equivalence_max_qubits=0, rz_synthesis_error=1e-4)
    coarse = compile_circuit(logical, ft_logical, options)
    got = Operator(_on_logical_qubits(coarse.circuit)).data
    assert _distance(got, RZGate(0.3).to_matrix()) <= 1e-4
    # gridsynth's T-count grows like 3 log2(1/eps): about 40 vs 100 here
    assert _t_count(coarse.circuit) < _t_count(fine.circuit) - 30


def test_qft4_compiles_to_clifford_t_within_the_stated_accuracy(ft_logical: DeviceProfile) -> None:
    logical = load_circuit(QFT4)
    result = compile_circuit(logical, ft_logical)
    assert set(result.circuit.count_ops()) <= CLIFFORD_T
    assert result.report.equivalence["status"] == "equivalent"
    got = Operator(_on_logical_qubits(result.circuit)).data
    want = Operator(logical).data
    # Each synthesized rotation is within RZ_SYNTHESIS_ERROR and holds at least one T gate,
    # so by the triangle inequality the circuit is within (T-count) x RZ_SYNTHESIS_ERROR.
    bound = _t_count(result.circuit) * RZ_SYNTHESIS_ERROR
    assert 0 < _distance(got, want) <= bound
    # no search among the equivalent placements of an all-to-all device
    assert result.report.initial_layout == [0, 1, 2, 3]


def test_a_coarse_accuracy_with_the_exact_proof_on_is_refused(ft_logical: DeviceProfile) -> None:
    logical = QuantumCircuit(1)
    logical.rz(0.3, 0)
    with pytest.raises(CompileError, match="equivalence_max_qubits=0"):
        compile_circuit(logical, ft_logical, CompileOptions(rz_synthesis_error=1e-6))
    compile_circuit(
        logical, load_profile("ion_all_to_all"), CompileOptions(rz_synthesis_error=1e-6)
    )
    with pytest.raises(CompileError, match=r"\(0, 1\)"):
        CompileOptions(rz_synthesis_error=0.0, equivalence_max_qubits=0)


def test_all_to_all_layout_avoids_qubits_without_instructions() -> None:
    target = Target(num_qubits=4)
    usable = (1, 2, 3)  # qubit 0 excluded: no instruction on it
    for gate in (HGate(), SGate(), TGate()):
        target.add_instruction(gate, {(q,): InstructionProperties(error=1e-9) for q in usable})
    pairs = {(a, b): InstructionProperties(error=1e-9) for a in usable for b in usable if a != b}
    target.add_instruction(CXGate(), pairs)
    assert is_clifford_t_target(target) and is_all_to_all(target)
    logical = QuantumCircuit(2)
    logical.h(0)
    logical.cx(0, 1)
    logical.t(1)
    result = compile_circuit(logical, target)
    assert result.report.initial_layout == [1, 2]
    assert result.report.equivalence["status"] == "equivalent"


@pytest.mark.slow
def test_a_fault_tolerant_compile_loads_no_ibm_runtime(tmp_path: Path) -> None:
    """The Clifford+T path builds no stage-plugin manager (which imports qiskit-ibm-runtime)."""
    code = (
        "import sys\n"
        "from qcompile.cli import main\n"
        f"code = main(['compile', {str(QFT4)!r}, '--profile', 'ft_logical', '--json', "
        "'--out', sys.argv[1]])\n"
        "print(code, 'qiskit_ibm_runtime' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert out.stdout.strip().splitlines()[-1] == "0 False", out.stderr


def test_an_all_to_all_target_with_unequal_errors_keeps_the_error_aware_layout() -> None:
    target = Target(num_qubits=4)
    error = {0: 1e-2, 1: 1e-2, 2: 1e-9, 3: 1e-9}  # qubits 2 and 3 are far better
    for gate in (HGate(), SGate(), TGate()):
        target.add_instruction(
            gate, {(q,): InstructionProperties(error=e) for q, e in error.items()}
        )
    pairs = {
        (a, b): InstructionProperties(error=max(error[a], error[b]))
        for a in error
        for b in error
        if a != b
    }
    target.add_instruction(CXGate(), pairs)
    logical = QuantumCircuit(2)
    logical.h(0)
    logical.cx(0, 1)
    logical.t(1)
    result = compile_circuit(logical, target)
    assert sorted(result.report.initial_layout) == [2, 3]
