"""OpenQASM 2 and 3 cases: random circuits as text, and mutations that are invalid by construction.

Valid cases are :func:`qiskit.circuit.random.random_circuit` exported with ``qasm2.dumps`` or
``qasm3.dumps`` (and a few hand-written ones: unicode comments, physical qubits, control flow).
Every mutation is chosen so that no outcome of it can be a valid program: a statement cut
before its ``;``, a byte no OpenQASM token contains, invalid UTF-8, an undefined gate or
register, a register no device can hold, an index out of range, a non-finite angle.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Callable

from qiskit import ClassicalRegister, QuantumCircuit, qasm2, qasm3
from qiskit.circuit.random import random_circuit

from tests.fuzz.case import Case

__all__ = ["FAMILIES", "FAST_PROFILES", "random_test_circuit"]

FAST_PROFILES = ("ion_all_to_all", "grid_10x10", "heron_r2", "eagle_r3", "heron_r1")
CONTROL_FLOW_PROFILES = ("heron_r2", "eagle_r3")
_FORBIDDEN = ("`", "\x00", "\x01", "\x7f", "\U0001f600", "\\")
_HUGE = ("2147483647", "4294967296", "1099511627776", "1000000", "99999999999999999999")


def random_test_circuit(rng: random.Random, measure: bool | None = None) -> QuantumCircuit:
    """A random circuit of 1-4 qubits and depth 1-4 (measured or not), named ``fuzz``."""
    width = rng.randint(1, 4)
    circuit = random_circuit(
        width,
        rng.randint(1, 4),
        max_operands=min(width, 3),
        measure=rng.random() < 0.5 if measure is None else measure,
        seed=rng.randrange(2**31),
    )
    circuit.name = "fuzz"
    return circuit


def _text(rng: random.Random, version: int, measure: bool | None = None) -> tuple[str, int]:
    circuit = random_test_circuit(rng, measure)
    text = qasm2.dumps(circuit) if version == 2 else qasm3.dumps(circuit)
    return text, circuit.num_qubits


def _compile(
    family: str,
    text: str | bytes,
    valid: bool,
    rng: random.Random,
    *,
    version: int,
    note: str = "",
    profile: str | None = None,
    level: str | None = None,
) -> Case:
    data = text.encode("utf-8") if isinstance(text, str) else text
    name = "c.qasm" if version == 2 else "c.qasm3"
    if level is None:
        level = rng.choice("0011") if not valid or rng.random() < 0.75 else rng.choice("23")
    argv = (
        "compile",
        f"{{case}}/{name}",
        "--profile",
        profile or rng.choice(FAST_PROFILES),
        "-O",
        level,
        "--seed",
        str(rng.randrange(100)),
        "--out",
        "{case}/out",
    )
    return Case(family, "qcompile", argv, valid, files=((name, data),), note=note)


def _body_start(text: str) -> int:
    """Where the statements after the header, includes, declarations and gate bodies begin."""
    end = 0
    for match in re.finditer(r"^(OPENQASM|include|gate|qreg|creg|qubit|bit|input).*$", text, re.M):
        end = match.end()
    return end


def valid(rng: random.Random, version: int) -> Case:
    text, _ = _text(rng, version)
    return _compile(f"qasm{version}.valid", text, True, rng, version=version)


def unicode_comment(rng: random.Random, version: int) -> Case:
    text, _ = _text(rng, version)
    header, _, rest = text.partition("\n")
    comments = ["// ünïcödé ✓ 量子", "// \u202e rtl \U0001f600"]
    if version == 3:  # OpenQASM 2 has line comments only
        comments.append("/* Ω ≈ 2π — \U0001f600 */")
    comment = rng.choice(comments)
    return _compile(
        f"qasm{version}.unicode_comment", f"{header}\n{comment}\n{rest}", True, rng, version=version
    )


def truncated(rng: random.Random, version: int) -> Case:
    text, _ = _text(rng, version)
    start = _body_start(text)
    statements = [m for m in re.finditer(r"[^;]+", text[start:]) if m.group().strip()]
    if not statements:
        return unknown_gate(rng, version)
    chosen = rng.choice(statements)
    segment = chosen.group()
    first = start + chosen.start() + (len(segment) - len(segment.lstrip()))
    cut = rng.randint(first + 1, start + chosen.end())
    return _compile(
        f"qasm{version}.truncated", text[:cut], False, rng, version=version, note=f"cut at {cut}"
    )


def forbidden_byte(rng: random.Random, version: int) -> Case:
    text, _ = _text(rng, version)
    at = rng.randrange(len(text))
    char = rng.choice(_FORBIDDEN)
    return _compile(
        f"qasm{version}.forbidden_byte",
        text[:at] + char + text[at + 1 :],
        False,
        rng,
        version=version,
        note=f"{char!r} at {at}",
    )


def bad_utf8(rng: random.Random, version: int) -> Case:
    data = bytearray(_text(rng, version)[0].encode())
    at = rng.randrange(len(data))
    data[at] ^= 0x80
    return _compile(f"qasm{version}.bit_flip_utf8", bytes(data), False, rng, version=version)


def _append(rng: random.Random, version: int, family: str, line: str) -> Case:
    text, _ = _text(rng, version, measure=False)
    return _compile(family, text + line + "\n", False, rng, version=version, note=line)


def unknown_gate(rng: random.Random, version: int) -> Case:
    name = rng.choice(("foo", "hh", "cxx", "u9", "ECR", "Rz"))
    return _append(rng, version, f"qasm{version}.unknown_gate", f"{name} q[0];")


def undeclared_register(rng: random.Random, version: int) -> Case:
    return _append(rng, version, f"qasm{version}.undeclared_register", "h r[0];")


def index_out_of_range(rng: random.Random, version: int) -> Case:
    choices = ("4", "7", "1000", "2147483647", "99999999999999999999")
    index = rng.choice(choices + (("-1",) if version == 2 else ()))
    return _append(rng, version, f"qasm{version}.index_out_of_range", f"h q[{index}];")


def bad_angle(rng: random.Random, version: int) -> Case:
    if version == 2:
        angle = rng.choice(("1e400", "-1e400", "1/0", "nan", "inf", "0/0", "pi/0"))
    else:
        angle = rng.choice(("1e400", "-1e400", "1.0/0.0", "nan", "inf", "NaN"))
    return _append(rng, version, f"qasm{version}.bad_angle", f"rz({angle}) q[0];")


def huge_register(rng: random.Random, version: int) -> Case:
    size = rng.choice(_HUGE)
    kind = rng.choice(("quantum", "quantum", "classical"))
    if version == 2:
        declaration = f"qreg q[{size}];" if kind == "quantum" else f"qreg q[2];\ncreg c[{size}];"
        text = f'OPENQASM 2.0;\ninclude "qelib1.inc";\n{declaration}\nh q[0];\n'
    else:
        declaration = f"qubit[{size}] q;" if kind == "quantum" else f"qubit[2] q;\nbit[{size}] c;"
        text = f'OPENQASM 3.0;\ninclude "stdgates.inc";\n{declaration}\nh q[0];\n'
    return _compile(
        f"qasm{version}.huge_register", text, False, rng, version=version, note=f"{kind} {size}"
    )


def unicode_identifier(rng: random.Random, version: int) -> Case:
    text, _ = _text(rng, version, measure=False)
    # OpenQASM 2 identifiers are ASCII; OpenQASM 3 allows letters, but no symbol (an emoji)
    mutated = re.sub(r"\bq\b", "é" if version == 2 else "\U0001f600", text)
    return _compile(f"qasm{version}.unicode_identifier", mutated, False, rng, version=version)


def binary_junk(rng: random.Random, version: int) -> Case:
    junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 200))) + b"\xff\x00"
    if rng.random() < 0.5:
        header = b'OPENQASM 2.0;\ninclude "qelib1.inc";\n' if version == 2 else b"OPENQASM 3.0;\n"
        junk = header + junk
    elif version == 2:
        junk = b"\x01" + junk  # no header: never taken for a circuit
    return _compile(f"qasm{version}.binary_junk", junk, False, rng, version=version)


def physical_qubits(rng: random.Random, version: int) -> Case:
    text, width = _text(rng, 3)
    mutated = re.sub(r"^qubit\[\d+\] q;\n", "", text, flags=re.M)
    mutated = re.sub(r"\bq\[(\d+)\]", r"$\1", mutated)
    if re.search(r"\bq\b", mutated):
        return valid(rng, 3)
    return _compile("qasm3.physical_qubits", mutated, True, rng, version=3, note=f"{width} qubits")


def control_flow(rng: random.Random, version: int) -> Case:
    circuit = QuantumCircuit(2, 2, name="flow")
    circuit.h(0)
    circuit.measure(0, 0)
    kind = rng.choice(("if", "if_else", "for", "while"))
    if kind == "if":
        with circuit.if_test((circuit.clbits[0], 1)):
            circuit.x(1)
    elif kind == "if_else":
        with circuit.if_test((circuit.clbits[0], 1)) as orelse:
            circuit.cx(0, 1)
        with orelse:
            circuit.h(1)
    elif kind == "for":
        with circuit.for_loop(range(rng.randint(1, 3))):
            circuit.h(1)
    else:
        with circuit.while_loop((circuit.clbits[0], 1)):
            circuit.reset(0)
            circuit.h(0)
            circuit.measure(0, 0)
    circuit.measure(1, 1)
    return _compile(
        "qasm3.control_flow",
        qasm3.dumps(circuit),
        kind != "while",  # the IBM targets list if_else and for_loop, not while_loop
        rng,
        version=3,
        profile=rng.choice(CONTROL_FLOW_PROFILES),
        note=kind,
    )


def diagonal_before_measure(rng: random.Random, version: int) -> Case:
    gate = rng.choice(("t", "s", "z", "rz(0.3)", "tdg"))
    text = (
        f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n'
        f"{gate} q[0];\nmeasure q -> c;\n"
    )
    return _compile("qasm2.diagonal_before_measure", text, True, rng, version=2, note=gate)


def compile_then_sample(rng: random.Random, version: int) -> Case:
    """A valid circuit compiled, then sampled from its artifact: every artifact loads back."""
    circuit = random_test_circuit(rng, measure=False)
    extras = rng.sample(("delay", "reset", "mid_measure", "barrier"), rng.randint(0, 2))
    if "mid_measure" in extras:
        circuit.add_register(ClassicalRegister(1, "mid"))
        circuit.measure(0, circuit.clbits[-1])
    if "reset" in extras:
        circuit.reset(0)
    if "delay" in extras:
        circuit.delay(rng.choice((100, 250)), 0, unit="ns")
    if "barrier" in extras:
        circuit.barrier()
    circuit.measure_all()
    case = _compile("roundtrip.compile_then_sample", qasm3.dumps(circuit), True, rng, version=3)
    mode = rng.choice(((), ("--noisy",)))
    sample = ("sample", "{case}/out/c.qpy", "--shots", "64", "--seed", "1", *mode)
    return dataclasses.replace(
        case,
        then=(("qrun", (*sample, "--store", "{case}/s.sqlite")),),
        note=" ".join(extras) or "plain",
    )


def bad_path(rng: random.Random, version: int) -> Case:
    text, _ = _text(rng, 2)
    kind = rng.choice(("missing", "directory", "trailing_slash", "long_name", "empty"))
    files: tuple[tuple[str, bytes], ...] = (("c.qasm", text.encode()),)
    path = {
        "missing": "{case}/nothing.qasm",
        "directory": "{case}",
        "trailing_slash": "{case}/c.qasm/",
        "long_name": "{case}/" + "x" * 300 + ".qasm",
        "empty": "{case}/empty.qasm",
    }[kind]
    if kind == "empty":
        files = (("empty.qasm", b""),)
    argv = ("compile", path, "--profile", "ion_all_to_all", "-O", "0", "--out", "{case}/out")
    return Case("path.bad", "qcompile", argv, False, files=files, note=kind)


Generator = Callable[[random.Random], Case]


def _both(function: Callable[[random.Random, int], Case]) -> list[tuple[str, int, Generator]]:
    name = function.__name__
    return [
        (f"qasm2.{name}", 2, lambda rng: function(rng, 2)),
        (f"qasm3.{name}", 2, lambda rng: function(rng, 3)),
    ]


FAMILIES: list[tuple[str, int, Generator]] = [
    *(
        entry
        for function in (
            valid,
            unicode_comment,
            truncated,
            forbidden_byte,
            bad_utf8,
            unknown_gate,
            undeclared_register,
            index_out_of_range,
            bad_angle,
            huge_register,
            unicode_identifier,
            binary_junk,
        )
        for entry in _both(function)
    ),
    ("qasm3.physical_qubits", 2, lambda rng: physical_qubits(rng, 3)),
    ("qasm3.control_flow", 1, lambda rng: control_flow(rng, 3)),
    ("qasm2.diagonal_before_measure", 1, lambda rng: diagonal_before_measure(rng, 2)),
    ("path.bad", 1, lambda rng: bad_path(rng, 2)),
    ("roundtrip.compile_then_sample", 1, lambda rng: compile_then_sample(rng, 3)),
]
"""``(family, weight, generator)``: every OpenQASM family and how often it is drawn."""
