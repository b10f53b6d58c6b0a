from __future__ import annotations

import io
from pathlib import Path

import pytest
from qiskit import QuantumCircuit, qasm2, qasm3, qpy
from qiskit.quantum_info import Operator

from hardware_profiles.errors import CircuitInputError
from qcompile.circuit_io import detect_format, load_circuit
from tests.conftest import qft


def test_reads_qasm2_qasm3_and_qpy_to_the_same_unitary(tmp_path: Path) -> None:
    circuit = qft(3).decompose(reps=3)
    (tmp_path / "c.qasm").write_text(qasm2.dumps(circuit))
    (tmp_path / "c3.qasm").write_text(qasm3.dumps(circuit))
    buffer = io.BytesIO()
    qpy.dump(circuit, buffer)
    (tmp_path / "c.qpy").write_bytes(buffer.getvalue())
    reference = Operator(circuit)
    for name, fmt in (("c.qasm", "qasm2"), ("c3.qasm", "qasm3"), ("c.qpy", "qpy")):
        path = tmp_path / name
        assert detect_format(path.read_bytes(), name) == fmt
        loaded = load_circuit(path)
        assert Operator(loaded).equiv(reference), name


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncx q[0] q[1];\n', "malformed qasm2"),
        (b"OPENQASM 3.0;\nqubit[2] q;\nfoo q[0];\n", "malformed qasm3"),
        (b"hello world\n", "not a circuit file"),
        (b"QISKIT\x00\x01garbage", "malformed qpy"),
        (b"OPENQASM 2.0;\n\xff\xfe", "not UTF-8"),
    ],
)
def test_malformed_input_is_one_line_circuit_input_error(
    tmp_path: Path, content: bytes, match: str
) -> None:
    path = tmp_path / "bad.qasm"
    path.write_bytes(content)
    with pytest.raises(CircuitInputError, match=match) as info:
        load_circuit(path)
    assert "\n" not in str(info.value)


def test_unreadable_file_is_circuit_input_error(tmp_path: Path) -> None:
    with pytest.raises(CircuitInputError, match="cannot read"):
        load_circuit(tmp_path / "missing.qasm")
    with pytest.raises(CircuitInputError, match="cannot read"):
        load_circuit(tmp_path)


def test_circuit_is_named_after_its_file(tmp_path: Path) -> None:
    path = tmp_path / "bell.qasm"
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    path.write_text(qasm2.dumps(circuit))
    assert load_circuit(path).name == "bell"
