"""QPY cases: dumps of random circuits, and files no QPY writer produces.

Invalid by construction: a dump cut short, two circuits where qattn reads one, a header field
out of range (format version, circuit count, magic), bytes after the last circuit.
"""

from __future__ import annotations

import io
import random
import struct

from qiskit import QuantumCircuit, qpy

from tests.fuzz.case import Case
from tests.fuzz.fixtures import Fixtures
from tests.fuzz.generators.qasm import FAST_PROFILES, random_test_circuit

__all__ = ["FAMILIES"]


def _qpy_bytes(*circuits: QuantumCircuit) -> bytes:
    buffer = io.BytesIO()
    qpy.dump(list(circuits) if len(circuits) > 1 else circuits[0], buffer)
    return buffer.getvalue()


def _compile_qpy(family: str, data: bytes, valid: bool, rng: random.Random, note: str = "") -> Case:
    argv = (
        "compile",
        "{case}/c.qpy",
        "--profile",
        rng.choice(FAST_PROFILES),
        "-O",
        rng.choice("01"),
        "--out",
        "{case}/out",
    )
    return Case(family, "qcompile", argv, valid, files=(("c.qpy", data),), note=note)


def qpy_valid(rng: random.Random, fx: Fixtures) -> Case:
    return _compile_qpy("qpy.valid", _qpy_bytes(random_test_circuit(rng)), True, rng)


def qpy_truncated(rng: random.Random, fx: Fixtures) -> Case:
    data = _qpy_bytes(random_test_circuit(rng))
    cut = rng.randrange(1, len(data))
    return _compile_qpy("qpy.truncated", data[:cut], False, rng, f"{cut} of {len(data)} bytes")


def qpy_two_circuits(rng: random.Random, fx: Fixtures) -> Case:
    data = _qpy_bytes(random_test_circuit(rng), random_test_circuit(rng))
    return _compile_qpy("qpy.two_circuits", data, False, rng)


def qpy_bad_header(rng: random.Random, fx: Fixtures) -> Case:
    data = bytearray(_qpy_bytes(random_test_circuit(rng)))
    field = rng.choice(("version", "count0", "count2", "count_huge", "magic"))
    if field == "version":
        data[6] = rng.choice((0, 99, 255))
    elif field == "magic":
        data[0:6] = b"QISKIT"[::-1]
    else:
        count = {"count0": 0, "count2": 2, "count_huge": 2**63}[field]
        data[10:18] = struct.pack(">Q", count)
    return _compile_qpy("qpy.bad_header", bytes(data), False, rng, field)


def qpy_trailing_junk(rng: random.Random, fx: Fixtures) -> Case:
    data = _qpy_bytes(random_test_circuit(rng)) + bytes(
        rng.randrange(256) for _ in range(rng.randint(1, 64))
    )
    return _compile_qpy("qpy.trailing_junk", data, False, rng)


FAMILIES = [
    ("qpy.valid", 4, qpy_valid),
    ("qpy.truncated", 3, qpy_truncated),
    ("qpy.two_circuits", 1, qpy_two_circuits),
    ("qpy.bad_header", 2, qpy_bad_header),
    ("qpy.trailing_junk", 1, qpy_trailing_junk),
]
"""``(family, weight, generator)`` for every QPY family."""
