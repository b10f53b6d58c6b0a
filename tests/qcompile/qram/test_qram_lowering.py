import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Gate, ParameterVector
from qiskit.quantum_info import Operator
from qiskit.transpiler import PassManager
from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager

from hardware_profiles.errors import CompileError
from qcompile.qram import (
    CONSTRUCTIONS,
    QRAMLowering,
    QRAMQuery,
    QRAMWords,
    add_qram_lowering,
    get_construction,
)
from tests.qcompile.qram.qram_sim import logical_isometry


def logical_circuit(words_a, words_b):
    qc = QuantumCircuit(4)
    qc.h(0)
    qc.append(QRAMQuery(words_a), [0, 1, 2])
    qc.cx(2, 3)
    qc.append(QRAMQuery(words_b), [1, 0, 3])
    qc.ry(0.4, 2)
    return qc


@pytest.mark.parametrize("kind", [k for k in CONSTRUCTIONS if k != "oracle"])
def test_lowering_is_equivalent_on_logical_qubits(kind):
    qc = logical_circuit(QRAMWords.bits([1, 0, 1, 1]), QRAMWords.angles([0.3, -1.1, 2.0, 0.5]))
    lowered = PassManager([QRAMLowering(kind)]).run(qc)
    assert "qram_query" not in lowered.count_ops()
    assert lowered.num_qubits == 4 + CONSTRUCTIONS[kind](QRAMWords.bits([0] * 4)).count().qubits - 3
    matrix, leak = logical_isometry(lowered, 4)
    assert leak < 1e-9
    np.testing.assert_allclose(matrix, Operator(qc).data, atol=1e-9)


def test_lowering_keeps_parameters_symbolic():
    theta = ParameterVector("theta", 4)
    qc = QuantumCircuit(3)
    qc.append(QRAMQuery(QRAMWords.angles(list(theta))), range(3))
    lowered = PassManager([QRAMLowering("bb-2q")]).run(qc)
    assert set(lowered.parameters) == set(theta)
    values = dict(zip(theta, [0.2, 0.9, -0.4, 1.7], strict=True))
    matrix, leak = logical_isometry(lowered.assign_parameters(values), 3)
    assert leak < 1e-9
    np.testing.assert_allclose(matrix, Operator(qc.assign_parameters(values)).data, atol=1e-9)


def test_oracle_builds_an_opaque_gate_and_is_never_lowered():
    circuit = CONSTRUCTIONS["oracle"](QRAMWords.bits([0, 1, 1, 0])).build()
    (inst,) = circuit.data
    assert isinstance(inst.operation, Gate) and inst.operation.definition is None
    qc = QuantumCircuit(3)
    qc.append(QRAMQuery(QRAMWords.bits([0, 1, 1, 0])), range(3))
    with pytest.raises(CompileError, match="oracle") as caught:
        PassManager([QRAMLowering("oracle")]).run(qc)
    # the message offers every registered construction that builds a circuit
    assert all(kind in str(caught.value) for kind in CONSTRUCTIONS if kind != "oracle")


def test_unknown_kind_is_a_compile_error():
    with pytest.raises(CompileError, match="unknown QRAM kind"):
        get_construction("magic")


def test_preset_pass_manager_with_lowering_stage():
    qc = QuantumCircuit(3)
    qc.h([0, 1])
    qc.append(QRAMQuery(QRAMWords.angles([0.1, 0.5, 0.9, 1.3])), range(3))
    pm = generate_preset_pass_manager(
        optimization_level=1, basis_gates=["cx", "rz", "sx", "x"], seed_transpiler=1
    )
    add_qram_lowering(pm, "qrom")
    isa = pm.run(qc)
    assert set(isa.count_ops()) <= {"cx", "rz", "sx", "x"}
    assert isa.num_qubits == 4  # one unary ancilla
    plain = generate_preset_pass_manager(
        optimization_level=1, basis_gates=["cx", "rz", "sx", "x"], seed_transpiler=1
    ).run(qc)  # without the stage, the reference definition still compiles
    assert plain.num_qubits == 3


def test_bb_lean_is_a_kind_everywhere(capsys):
    from qcompile.cli import main
    from qcompile.estimate.analytic import logical_size

    assert main(["qram", "--kind", "bb-lean", "-n", "3", "-b", "2"]) == 0
    out = capsys.readouterr().out
    assert "bb-lean QRAM, N = 8 words of 2 bit(s)" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:10] if line.strip()}
    assert rows["cx_count"][0] == rows["cx_count"][1]  # analytic == built, exactly
    lean = logical_size("qlaci", 16, "bb-lean")
    bb2 = logical_size("qlaci", 16, "bb-2q")
    assert lean.qubits < bb2.qubits


@pytest.mark.slow
def test_pipeline_compiles_bb_lean_with_the_qram_tree_layout_stage():
    from qiskit import QuantumRegister

    from hardware_profiles import load_profile
    from qcompile.pipeline import CompileOptions, compile_circuit

    theta = ParameterVector("theta", 4)
    address, target = QuantumRegister(2, "address"), QuantumRegister(1, "target")
    logical = QuantumCircuit(address, target)
    logical.h(address)
    logical.append(QRAMQuery(QRAMWords.angles(list(theta))), [*address, *target])
    options = CompileOptions(qram="bb-lean", layout_method="qram_tree")
    result = compile_circuit(logical, load_profile("heron_r2"), options)
    assert "qram_query" not in result.circuit.count_ops()
    assert result.report.equivalence["status"] == "equivalent"
