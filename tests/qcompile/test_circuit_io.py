from __future__ import annotations

import io
import signal
import struct
import time
from pathlib import Path

import pytest
from qiskit import QuantumCircuit, qasm2, qasm3, qpy
from qiskit.circuit.random import random_circuit
from qiskit.quantum_info import Operator

from hardware_profiles.errors import CircuitInputError
from qcompile import circuit_io
from qcompile.circuit_io import detect_format, load_circuit, loads_circuit, read_limited
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


# -- hostile input (issue #15): one line, exit 2, nothing else on stderr -----------------

QASM2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
QASM3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


@pytest.mark.parametrize(
    ("content", "match"),
    [
        # the OpenQASM 3 parser's own message goes into the line, not onto stderr
        (QASM3 + "qubit[2] q;\nh q[0];\ncx q[0], q[", r"line 5:11 no viable alternative"),
        (QASM3 + "qubit[1] q;\nh q[0] $ x;\n", r"line 4:7 token recognition error"),
        # declared sizes are checked before anything is allocated
        (QASM2 + "qreg q[2147483647];\n", r"2,147,483,647 qubits, more than the limit of 65,536"),
        (QASM3 + "qubit[2147483647] q;\n", r"2,147,483,647 qubits, more than the limit"),
        (QASM3 + "qubit[65536*32768] q;\n", r"2,147,483,648 qubits, more than the limit"),
        (QASM3 + "qubit[2**31] q;\n", r"2,147,483,648 qubits"),
        (QASM3 + "qubit[0x7fffffff] q;\n", r"2,147,483,647 qubits"),
        (QASM3 + "bit[2147483647] c;\n", r"classical bits, more than the limit of 65,536"),
        (QASM2 + "qreg q[1];\ncreg c[2147483647];\n", r"classical bits, more than the limit"),
        (QASM3 + "h $2147483647;\n", r"physical qubit \$2147483647 is past the limit"),
        (QASM2 + "qreg q[9" + "9" * 5000 + "];\n", r"more than 2\^64 qubits"),
        # the qasm2 parser (Rust) panics on an index past 2**64
        (QASM2 + "qreg q[2];\nh q[99999999999999999999];\n", r"index \[99999999999999999999\]"),
        # numbers that parse but break compilation
        (QASM2 + "qreg q[1];\nrz(-1e400) q[0];\n", r"gate rz has parameter -inf"),
        (QASM3 + "qubit[1] q;\nrz(1e400) q[0];\n", r"gate rz has parameter inf"),
        (QASM3 + "qubit[1] q;\nrz(1e300) q[0];\n", r"not a finite number within ±2\^53"),
    ],
)
def test_hostile_circuit_text_is_one_line_and_prints_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], content: str, match: str
) -> None:
    path = tmp_path / "hostile.qasm"
    path.write_text(content)
    with pytest.raises(CircuitInputError, match=match) as info:
        load_circuit(path)
    assert "\n" not in str(info.value) and str(info.value).startswith(str(path))
    assert capfd.readouterr().err == ""  # no ANTLR line, no Rust panic message


def test_a_profile_qubit_count_is_the_limit_when_given(tmp_path: Path) -> None:
    path = tmp_path / "wide.qasm"
    path.write_text(QASM2 + "qreg q[40];\nh q[0];\n")
    assert load_circuit(path).num_qubits == 40
    with pytest.raises(CircuitInputError, match="40 qubits, more than the limit of 32"):
        load_circuit(path, max_qubits=32)


@pytest.mark.parametrize(
    "content",
    [
        QASM2 + "// qreg big[99999999999];\nqreg q[2];\nh q[0];\ncx q[0], q[1];\n",
        QASM3 + "h $0;\ncx $0, $1;\n",
        QASM3 + "qubit[2] q;\nbit[2] c;\nfor int i in [0:2] { h q[0]; cx q[0], q[1]; }\n"
        "c = measure q;\n",
        QASM3 + "qubit[1] q;\ndelay[100ns] q[0];\nrz(2*pi) q[0];\n",
    ],
)
def test_valid_circuits_near_the_guards_still_load(tmp_path: Path, content: str) -> None:
    path = tmp_path / "fine.qasm"
    path.write_text(content)
    assert load_circuit(path).num_qubits >= 1


def test_a_file_path_is_used_as_the_os_reads_it(tmp_path: Path) -> None:
    circuit = QuantumCircuit(1)
    circuit.h(0)
    path = tmp_path / "ghz5.qasm"
    path.write_text(qasm2.dumps(circuit))
    with pytest.raises(CircuitInputError, match=r"ghz5\.qasm/: cannot read \(Not a directory\)"):
        load_circuit(f"{path}/")
    with pytest.raises(CircuitInputError, match=r"cannot read \(File name too long\)") as info:
        load_circuit(tmp_path / ("a" * 300 + ".qasm"))
    assert "\n" not in str(info.value)


def test_files_past_the_size_limit_are_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.qasm"
    path.write_bytes(b"x" * 101)
    with pytest.raises(CircuitInputError, match="101 bytes exceeds the limit of 100 bytes"):
        read_limited(path, limit=100)
    if Path("/dev/zero").exists():  # reports size 0 and never ends
        with pytest.raises(CircuitInputError, match="exceeds the limit of 67,108,864 bytes"):
            load_circuit("/dev/zero")


def _qpy(*circuits: QuantumCircuit) -> bytes:
    buffer = io.BytesIO()
    qpy.dump(list(circuits), buffer)
    return buffer.getvalue()


def test_qpy_must_hold_exactly_one_whole_circuit_of_sane_size() -> None:
    bell = QuantumCircuit(2, name="bell")
    bell.h(0)
    bell.cx(0, 1)
    assert loads_circuit(_qpy(bell), "bell.qpy").name == "bell"
    with pytest.raises(CircuitInputError, match="exactly one circuit, found 2"):
        loads_circuit(_qpy(bell, bell), "two.qpy")
    with pytest.raises(CircuitInputError, match="exactly one circuit, found 0"):
        loads_circuit(_qpy(), "none.qpy")
    with pytest.raises(CircuitInputError, match="5 bytes after the circuit"):
        loads_circuit(_qpy(bell) + b"junk!", "junk.qpy")
    data = bytearray(_qpy(QuantumCircuit(3, name="w")))
    at = data.find(struct.pack("!II", 3, 0))  # num_qubits, num_clbits in the circuit header
    data[at : at + 4] = struct.pack("!I", 2**31)
    with pytest.raises(CircuitInputError, match="2,147,483,648 qubits, more than the limit"):
        loads_circuit(bytes(data), "huge.qpy")


def test_parsing_stops_at_the_time_limit_and_restores_the_timer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A parser that never finishes, so the test does not depend on how fast this machine is.
    def endless_parse(*args: object, **kwargs: object) -> QuantumCircuit:
        while True:
            time.sleep(0.001)

    monkeypatch.setattr(circuit_io, "_parse_qasm3", endless_parse)
    text = qasm3.dumps(random_circuit(3, 3, seed=1)).encode()
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no other timer running
    before = signal.getsignal(signal.SIGALRM)
    with pytest.raises(CircuitInputError, match=r"parsing stopped at the time limit of 0\.01 s"):
        loads_circuit(text, "slow.qasm", time_limit=0.01)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\ncx q[0], q',
            "line 4:10 unexpected end of input",
        ),
        ("OPENQASM 3.0;\nqubit[2] q;\nh q[0]\nfoo;", "line 4:0 unexpected 'foo'"),
    ],
)
def test_qasm3_syntax_errors_name_line_column_and_token(text: str, expected: str) -> None:
    with pytest.raises(CircuitInputError, match=f"malformed qasm3: {expected}$"):
        loads_circuit(text.encode(), "bad.qasm3")


_RZZ_PROGRAM = """OPENQASM 2.0;
include "qelib1.inc";
gate rzz(t) a, b {{ {body} }}
qreg q[2];
h q[0];
rzz(0.3) q[0], q[1];
"""


def test_a_qasm2_gate_under_a_legacy_name_keeps_the_files_body() -> None:
    # Qiskit's legacy table would swap this body for the standard RZZ gate.
    circuit = loads_circuit(_RZZ_PROGRAM.format(body="cx a, b;").encode(), "rzz.qasm")
    expected = QuantumCircuit(2)
    expected.h(0)
    expected.cx(0, 1)
    assert Operator(circuit).equiv(Operator(expected))


def test_a_qasm2_gate_with_the_standard_body_is_the_standard_gate() -> None:
    body = "cx a, b; u1(t) b; cx a, b;"
    circuit = loads_circuit(_RZZ_PROGRAM.format(body=body).encode(), "rzz.qasm")
    assert [inst.operation.base_class.__name__ for inst in circuit.data] == [
        "HGate",
        "RZZGate",
    ]
