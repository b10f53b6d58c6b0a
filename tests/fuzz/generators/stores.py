"""Job-store and training-checkpoint cases: files ``qrun`` keeps, intact or broken.

Invalid by construction: bytes that are no SQLite database, a store cut short, tables of another
schema, a key that was never stored, a directory where the store should be, a checkpoint that is
junk, empty, a broken zip, or a pickle of something that is no checkpoint.
"""

from __future__ import annotations

import pickle
import random
import sqlite3
import tempfile
from pathlib import Path

from tests.fuzz.case import Case
from tests.fuzz.fixtures import Fixtures

__all__ = ["FAMILIES"]


def store_valid(rng: random.Random, fx: Fixtures) -> Case:
    command = rng.choice(("jobs", "status", "result", "jobs-json"))
    if command == "jobs-json":
        argv: tuple[str, ...] = ("jobs", "--store", "{case}/s.sqlite", "--json", "--limit", "5")
    elif command == "jobs":
        argv = ("jobs", "--store", "{case}/s.sqlite")
    else:
        argv = (command, fx.store_key[: rng.choice((8, 12, 64))], "--store", "{case}/s.sqlite")
    return Case("store.valid", "qrun", argv, True, copies=((fx.store, "s.sqlite"),), note=command)


def _wrong_schema() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.sqlite"
        connection = sqlite3.connect(path)
        connection.execute("CREATE TABLE requests (x TEXT)")
        connection.execute("CREATE TABLE jobs (x TEXT)")
        connection.execute("INSERT INTO requests VALUES ('a')")
        connection.commit()
        connection.close()
        return path.read_bytes()


_WRONG_SCHEMA: list[bytes] = []

_BAD_ROWS = (
    ("result", "{"),
    ("result", "[]"),
    ("result", '{"kind": "counts", "counts": "x"}'),
    ("spec", "not json"),
    ("spec", "{}"),
    ("spec", '{"command": "sample"}'),
)
"""``(column, value)``: a result no reader can turn into counts, a spec no run can resume."""


def _edited_store(good: bytes, column: str, value: str) -> bytes:
    """The fixture store with one column of its one request replaced (a spec: left unfinished)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.sqlite"
        path.write_bytes(good)
        connection = sqlite3.connect(path)
        if column == "spec":
            connection.execute(
                "UPDATE requests SET spec = ?, status = 'PENDING', result = NULL", (value,)
            )
        else:
            connection.execute("UPDATE requests SET result = ?", (value,))
        connection.commit()
        connection.close()
        return path.read_bytes()


def store_broken(rng: random.Random, fx: Fixtures) -> Case:
    kind = rng.choice(
        ("junk", "truncated", "wrong_schema", "unknown_key", "directory", "bit_flip", "bad_row")
    )
    command = rng.choice(("jobs", "status", "result"))
    key = fx.store_key[:12] if kind != "unknown_key" else "f" * 12
    argv = (command,) + (() if command == "jobs" else (key,)) + ("--store", "{case}/s.sqlite")
    good = fx.read(fx.store)
    if kind == "junk":
        data = b"SQLite format 3\x00" * rng.randint(0, 1) + bytes(
            rng.randrange(256) for _ in range(rng.randint(1, 4000))
        )
    elif kind == "truncated":
        data = good[: rng.randrange(100, len(good) // 2)]
    elif kind == "wrong_schema":
        if not _WRONG_SCHEMA:
            _WRONG_SCHEMA.append(_wrong_schema())
        data = _WRONG_SCHEMA[0]
    elif kind == "unknown_key":
        if command == "jobs":
            argv = ("status", key, "--store", "{case}/s.sqlite")
        data = good
    elif kind == "directory":
        return Case("store.broken", "qrun", argv, False, files=(("s.sqlite/x", b""),), note=kind)
    elif kind == "bad_row":  # a stored result (or, unfinished, the spec it resumes from) is junk
        argv = ("result", key, "--store", "{case}/s.sqlite")
        column, value = rng.choice(_BAD_ROWS)
        data = _edited_store(good, column, value)
        kind, command = f"bad_row {column}={value[:20]!r}", "result"
    else:  # the header page's magic string: no SQLite reader accepts it
        flipped = bytearray(good)
        flipped[rng.randrange(16)] ^= 0x40
        data = bytes(flipped)
    return Case(
        "store.broken", "qrun", argv, False, files=(("s.sqlite", data),), note=f"{kind} {command}"
    )


def checkpoint_broken(rng: random.Random, fx: Fixtures) -> Case:
    kind = rng.choice(("junk", "empty", "zip_junk", "pickle_wrong"))
    if kind == "junk":
        data = bytes(rng.randrange(256) for _ in range(rng.randint(1, 500)))
    elif kind == "empty":
        data = b""
    elif kind == "zip_junk":
        data = b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(200))
    else:
        data = pickle.dumps(rng.choice(([1, 2], {"epoch": "x"}, "text", None)))
    argv = (
        "train",
        "needle-4",
        "--model",
        "mean-pool",
        "--epochs",
        "2",
        "--out",
        "{case}/run",
        "--resume",
        "--quiet",
    )
    return Case(
        "checkpoint.broken", "qrun", argv, False, files=(("run/checkpoint.pt", data),), note=kind
    )


FAMILIES = [
    ("store.valid", 2, store_valid),
    ("store.broken", 3, store_broken),
    ("checkpoint.broken", 1, checkpoint_broken),
]
"""``(family, weight, generator)`` for every job-store and checkpoint family."""
