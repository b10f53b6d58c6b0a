"""Compiled artifacts as ``qrun`` reads them: the fixture artifact, intact or with one file broken.

Invalid by construction: the ``.qpy`` cut short, with bytes after its circuit, with a header
field out of range, holding two circuits or a circuit of another width than its report; the
``.report.json`` junk, cut short or of the wrong type; a directory holding two ``.qpy`` files.
"""

from __future__ import annotations

import io
import json
import random
import struct

from qiskit import QuantumCircuit, qpy

from tests.fuzz.case import Case
from tests.fuzz.fixtures import Fixtures

__all__ = ["FAMILIES"]

_FILES = ("bell.qpy", "bell.qasm3", "bell.report.json", "bell.report.md")


def _sample(family: str, files: tuple[tuple[str, bytes], ...], valid: bool, note: str) -> Case:
    copies = tuple((f"art/{name}", f"art/{name}") for name in _FILES)
    target = "{case}/art" if note == "directory" else "{case}/art/bell.qpy"
    argv = ("sample", target, "--shots", "32", "--seed", "3", "--store", "{case}/s.sqlite")
    return Case(family, "qrun", argv, valid, files=files, copies=copies, note=note)


def artifact_valid(rng: random.Random, fx: Fixtures) -> Case:
    return _sample("artifact.valid", (), True, rng.choice(("file", "directory")))


_BROKEN = (
    *("truncated", "trailing", "header", "two_circuits", "two_qpy"),
    *("report_junk", "report_type", "report_truncated"),
)


def artifact_broken(rng: random.Random, fx: Fixtures) -> Case:
    good = fx.read(fx.artifact)
    kind = rng.choice(_BROKEN)
    name, data = "art/bell.qpy", good
    if kind == "truncated":
        data = good[: rng.randrange(1, len(good))]
    elif kind == "trailing":
        data = good + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif kind == "header":
        flipped = bytearray(good)
        flipped[10:18] = struct.pack(">Q", rng.choice((0, 2, 2**63)))
        data = bytes(flipped)
    elif kind == "two_circuits":
        buffer = io.BytesIO()
        extra = QuantumCircuit(1)
        extra.x(0)
        circuit = qpy.load(io.BytesIO(good))[0]
        qpy.dump([circuit, extra], buffer)
        data = buffer.getvalue()
    elif kind == "two_qpy":
        name = "art/other.qpy"  # the directory then holds two: which one is meant is unknown
        return _sample("artifact.broken", ((name, good),), False, "directory")
    else:
        name = "art/bell.report.json"
        report = fx.read("art/bell.report.json")
        if kind == "report_junk":
            data = bytes(rng.randrange(256) for _ in range(rng.randint(1, 200))) + b"\xff"
        elif kind == "report_type":
            data = json.dumps(rng.choice(([], "text", 3, None))).encode()
        else:
            data = report[: rng.randrange(1, len(report) - 1)]
    return _sample("artifact.broken", ((name, data),), False, kind)


FAMILIES = [
    ("artifact.valid", 1, artifact_valid),
    ("artifact.broken", 2, artifact_broken),
]
"""``(family, weight, generator)`` for every artifact family."""
