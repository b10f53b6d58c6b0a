import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Delay

from hardware_profiles import load_profile
from qcompile import CompileOptions, compile_circuit
from qcompile.delays import align_delays


def _delays(circuit: QuantumCircuit) -> list[tuple[float, str]]:
    return [
        (inst.operation.duration, inst.operation.unit)
        for inst in circuit.data
        if isinstance(inst.operation, Delay)
    ]


def test_delays_are_rounded_to_the_alignment_grid_in_dt() -> None:
    target = load_profile("eagle_r3").target()  # dt 0.5 ns, pulse alignment 8
    circuit = QuantumCircuit(1)
    circuit.delay(250, 0, unit="ns")  # 500 dt: not a multiple of 8
    circuit.delay(256, 0, unit="ns")  # 512 dt: already on the grid
    aligned = align_delays(circuit, target)
    alignment = target.pulse_alignment
    assert _delays(aligned) == [(504, "dt"), (512, "dt")]
    assert all(d % alignment == 0 for d, _ in _delays(aligned))


def test_delays_inside_control_flow_are_aligned() -> None:
    target = load_profile("eagle_r3").target()
    circuit = QuantumCircuit(1, 1)
    circuit.measure(0, 0)
    with circuit.if_test((circuit.clbits[0], 1)):
        circuit.delay(250, 0, unit="ns")
    aligned = align_delays(circuit, target)
    block = aligned.data[1].operation.blocks[0]
    assert _delays(block) == [(504, "dt")]


def test_targets_without_dt_keep_their_delays() -> None:
    target = load_profile("ion_all_to_all").target()
    circuit = QuantumCircuit(1)
    circuit.delay(250, 0, unit="ns")
    assert align_delays(circuit, target) is circuit


@pytest.mark.parametrize("level", [0, 2])
def test_an_off_grid_delay_compiles_for_eagle(level: int) -> None:
    circuit = QuantumCircuit(1, 2, name="off_grid")
    circuit.measure(0, 0)
    circuit.delay(250, 0, unit="ns")
    circuit.measure(0, 1)
    result = compile_circuit(
        circuit, load_profile("eagle_r3"), CompileOptions(optimization_level=level)
    )
    assert result.report.active_qubits == 1
    assert [d % 8 for d, unit in _delays(result.circuit) if unit == "dt"] == [0]
    assert result.report.equivalence["status"] == "equivalent"
