"""Observables JSON cases: the model artifact's ``<name>.observables.json``, intact or broken.

Invalid by construction: a letter that is no Pauli, a label longer than its qubit list, a NaN or
infinite coefficient, qubit -1 or one past any device, nesting no observable needs, a missing
field, a term of the wrong type, truncated JSON, bytes that are not text.
"""

from __future__ import annotations

import json
import random

from tests.fuzz.case import Case
from tests.fuzz.fixtures import Fixtures

__all__ = ["FAMILIES"]


def _model_case(family: str, fx: Fixtures, data: bytes, valid: bool, note: str) -> Case:
    name = next(n for n in fx.model_files if n.endswith(".observables.json"))
    copies = tuple((n, "art/" + n.split("/", 1)[1]) for n in fx.model_files if n != name)
    artifact = "{case}/art/" + fx.model_qpy.split("/", 1)[1]
    argv = ("estimate", artifact, "--random-parameters", "1", "--store", "{case}/s.sqlite")
    return Case(
        family,
        "qrun",
        argv,
        valid,
        files=(("art/" + name.split("/", 1)[1], data),),
        copies=copies,
        note=note,
    )


def observables_valid(rng: random.Random, fx: Fixtures) -> Case:
    name = next(n for n in fx.model_files if n.endswith(".observables.json"))
    return _model_case("observables.valid", fx, fx.read(name), True, "")


def observables_broken(rng: random.Random, fx: Fixtures) -> Case:
    name = next(n for n in fx.model_files if n.endswith(".observables.json"))
    document = json.loads(fx.read(name))
    kind = rng.choice(
        (
            "label",
            "label_length",
            "nan",
            "inf",
            "qubit_negative",
            "qubit_large",
            "nesting",
            "missing",
            "types",
            "truncated",
            "junk",
        )
    )
    table = rng.choice(("isa", "logical"))
    term = document[table][0][0]
    if kind == "label":
        # one letter that is no Pauli (I, X, Y, Z) in an otherwise valid label
        label = list(term[0]) or ["I"]
        label[rng.randrange(len(label))] = rng.choice(("Q", "1", "é", "?", " "))
        term[0] = "".join(label)
    elif kind == "label_length":
        term[0] = term[0] + "X"
    elif kind in ("nan", "inf"):
        term[2][rng.randrange(2)] = float("nan") if kind == "nan" else float("inf")
    elif kind == "qubit_negative":
        term[1][0] = -1
    elif kind == "qubit_large":
        term[1][0] = rng.choice((10**6, 2**63, 10**30))
    elif kind == "types":
        term[rng.randrange(3)] = rng.choice(({"a": 1}, "text", None, 3.5))
    if kind == "nesting":
        depth = rng.choice((1000, 10000, 100000))
        data = ('{"num_logical_qubits": 1, "isa": ' + "[" * depth + "]" * depth + "}").encode()
    elif kind == "missing":
        del document[rng.choice(("isa", "num_logical_qubits"))]
        data = json.dumps(document).encode()
    elif kind == "truncated":
        text = json.dumps(document)
        data = text[: rng.randrange(1, len(text) - 1)].encode()
    elif kind == "junk":
        data = bytes(rng.randrange(256) for _ in range(rng.randint(1, 100))) + b"\xff"
    else:
        data = json.dumps(document).encode()
    return _model_case("observables.broken", fx, data, False, f"{kind} in {table}")


FAMILIES = [
    ("observables.valid", 1, observables_valid),
    ("observables.broken", 4, observables_broken),
]
"""``(family, weight, generator)`` for every observables family."""
