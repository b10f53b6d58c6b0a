"""Parameter-value files (``qrun estimate --parameters FILE``): JSON and ``.npy``.

Valid: one row (or a list of rows) of finite numbers, as many as the model artifact has
parameters. Invalid by construction: a row one too short or too long, NaN or infinity, text
where a number belongs, ragged rows, an empty list, deep nesting, bytes that are neither JSON
nor NumPy, a NumPy header that promises more data than the file holds, an object array (which
only a pickle could load).
"""

from __future__ import annotations

import io
import json
import random

import numpy as np

from tests.fuzz.case import Case
from tests.fuzz.fixtures import Fixtures

__all__ = ["FAMILIES"]


def _estimate(family: str, fx: Fixtures, name: str, data: bytes, valid: bool, note: str) -> Case:
    copies = tuple((n, "art/" + n.split("/", 1)[1]) for n in fx.model_files)
    artifact = "{case}/art/" + fx.model_qpy.split("/", 1)[1]
    argv = ("estimate", artifact, "--parameters", f"{{case}}/{name}", "--store", "{case}/s.sqlite")
    return Case(family, "qrun", argv, valid, files=((name, data),), copies=copies, note=note)


def _row(rng: random.Random, size: int) -> list[float]:
    return [rng.uniform(0.0, 6.28) for _ in range(size)]


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def parameters_valid(rng: random.Random, fx: Fixtures) -> Case:
    size = fx.model_parameters
    rows = rng.choice((1, 2))
    values: list[float] | list[list[float]] = (
        _row(rng, size) if rows == 1 else [_row(rng, size) for _ in range(rows)]
    )
    if rng.random() < 0.5:
        return _estimate(
            "parameters.valid", fx, "p.json", json.dumps(values).encode(), True, "json"
        )
    return _estimate("parameters.valid", fx, "p.npy", _npy(np.array(values)), True, "npy")


_BROKEN = (
    *("short", "long", "nan", "inf", "text", "ragged", "empty", "nesting", "junk"),
    *("npy_lies", "npy_object", "npy_short"),
)


def parameters_broken(rng: random.Random, fx: Fixtures) -> Case:
    size = fx.model_parameters
    kind = rng.choice(_BROKEN)
    row: list[object] = list(_row(rng, size))
    name, data = "p.json", b""
    if kind == "short":
        data = json.dumps(row[:-1]).encode()
    elif kind == "long":
        data = json.dumps([*row, 1.0]).encode()
    elif kind in ("nan", "inf"):
        row[rng.randrange(size)] = float(kind)
        data = json.dumps(row).encode()
    elif kind == "text":
        row[rng.randrange(size)] = rng.choice(("x", None, {}, [1]))
        data = json.dumps(row).encode()
    elif kind == "ragged":
        data = json.dumps([row, row[:-1]]).encode()
    elif kind == "empty":
        data = b"[]"
    elif kind == "nesting":
        depth = rng.choice((100, 10000, 100000))
        data = ("[" * depth + "]" * depth).encode()
    elif kind == "junk":
        name = rng.choice(("p.json", "p.npy"))
        data = bytes(rng.randrange(256) for _ in range(rng.randint(1, 300))) + b"\xff"
    elif kind == "npy_lies":  # the header promises 10^9 values; the file holds a few
        name = "p.npy"
        data = _npy(np.zeros(size)).replace(f"({size},)".encode(), b"(1000000000,)", 1)
    elif kind == "npy_object":
        name = "p.npy"
        data = _npy(np.array([*row[:-1], "x"], dtype=object))
    else:
        name = "p.npy"
        data = _npy(np.zeros(size - 1))
    return _estimate("parameters.broken", fx, name, data, False, kind)


FAMILIES = [
    ("parameters.valid", 1, parameters_valid),
    ("parameters.broken", 2, parameters_broken),
]
"""``(family, weight, generator)`` for every parameter-file family."""
