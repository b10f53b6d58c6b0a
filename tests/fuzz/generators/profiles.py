"""Profile TOML cases: copies of the shipped profiles, and broken ones.

Invalid by construction: a required field removed, a value of the wrong type, an error rate
outside [0, 1], NaN anywhere, a lattice of 10^7 qubits or more, zero or negative qubits, an
unknown table, broken TOML syntax, bytes that are not text, an IBM snapshot with no backend.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import hardware_profiles
from tests.fuzz.case import Case
from tests.fuzz.fixtures import Fixtures

__all__ = ["FAMILIES"]

_PROFILE_DIR = Path(hardware_profiles.__file__).parent / "data"
_COMPILE_PROFILES = ("ion_all_to_all", "grid_10x10", "heron_r2", "eagle_r3", "heron_r1")


def _profile_text(name: str) -> str:
    return (_PROFILE_DIR / f"{name}.toml").read_text()


def _profile_case(
    family: str, text: str | bytes, valid: bool, rng: random.Random, note: str, compile_ok: bool
) -> Case:
    data = text.encode() if isinstance(text, str) else text
    if compile_ok and rng.random() < 0.5:
        argv: tuple[str, ...] = (
            "compile",
            "{fixtures}/bell.qasm",
            "--profile",
            "{case}/p.toml",
            "-O",
            "1",
            "--out",
            "{case}/out",
        )
    else:
        argv = ("profiles", "show", "{case}/p.toml")
    return Case(family, "qcompile", argv, valid, files=(("p.toml", data),), note=note)


def profile_valid(rng: random.Random, fx: Fixtures) -> Case:
    names = sorted(p.stem for p in _PROFILE_DIR.glob("*.toml"))
    name = rng.choice(names)
    return _profile_case(
        "profile.valid", _profile_text(name), True, rng, name, name in _COMPILE_PROFILES
    )


_SYNTHETIC = ("ion_all_to_all", "grid_10x10")


def _replace_value(text: str, key: str, value: str, rng: random.Random) -> str | None:
    matches = list(re.finditer(rf"^{key}\s*=.*$", text, re.M))
    if not matches:
        return None
    match = rng.choice(matches)
    return text[: match.start()] + f"{key} = {value}" + text[match.end() :]


def profile_broken(rng: random.Random, fx: Fixtures) -> Case:
    name = rng.choice(_SYNTHETIC)
    text = _profile_text(name)
    kind = rng.choice(
        (
            "missing",
            "wrong_type",
            "negative_error",
            "error_above_one",
            "non_finite",
            "huge_topology",
            "zero_qubits",
            "unknown_table",
            "syntax",
            "junk",
            "unknown_backend",
        )
    )
    mutated: str | bytes | None
    if kind == "missing":
        key = rng.choice(
            ("name", "kind", "error", "duration")
            + (("num_qubits",) if name == "ion_all_to_all" else ("rows", "cols"))
        )
        mutated = _replace_value(text, key, "", rng)
        mutated = None if mutated is None else re.sub(rf"^{key} = $", "", mutated, flags=re.M)
    elif kind == "wrong_type":
        key = rng.choice(
            ("error", "duration", "t1", "name", "kind")
            + (("num_qubits",) if name == "ion_all_to_all" else ("rows",))
        )
        value = (
            rng.choice(('"abc"', "true", "[1, 2]", "{ a = 1 }"))
            if key not in ("name", "kind")
            else rng.choice(("1", "true", "[]"))
        )
        mutated = _replace_value(text, key, value, rng)
    elif kind == "negative_error":
        mutated = _replace_value(text, "error", rng.choice(("-0.01", "-1", "-1e-9")), rng)
    elif kind == "error_above_one":
        mutated = _replace_value(text, "error", rng.choice(("1.5", "2", "1e9")), rng)
    elif kind == "non_finite":
        # inf is out of range only where a bound says so (an error rate); nan is never a value
        key = rng.choice(("error", "duration", "t1", "t2"))
        values = ("nan", "inf", "-inf") if key == "error" else ("nan", "-inf")
        mutated = _replace_value(text, key, rng.choice(values), rng)
    elif kind == "huge_topology":
        if name == "ion_all_to_all":
            mutated = _replace_value(
                text, "num_qubits", rng.choice(("2147483647", "1000000000000", "10000000")), rng
            )
        else:
            size = rng.choice(("100000", "46341", "2147483647"))
            mutated = _replace_value(
                _replace_value(text, "rows", size, rng) or text, "cols", size, rng
            )
    elif kind == "zero_qubits":
        if name == "ion_all_to_all":
            mutated = _replace_value(text, "num_qubits", rng.choice(("0", "-5")), rng)
        else:
            mutated = _replace_value(text, "rows", rng.choice(("0", "-3")), rng)
    elif kind == "unknown_table":
        mutated = text + "\n[bogus]\nvalue = 1\n"
    elif kind == "syntax":
        mutated = text + rng.choice(
            ("\nerror = \n", "\n[gates.x\n", '\nname = "unterminated\n', "\n= 3\n")
        )
    elif kind == "junk":
        mutated = bytes(rng.randrange(256) for _ in range(rng.randint(1, 300))) + b"\xff"
    else:
        mutated = _profile_text("heron_r2").replace(
            '"FakeFez"', rng.choice(('"FakeNope"', '""', '"os"'))
        )
        return _profile_case("profile.broken", mutated, False, rng, kind, True)
    if mutated is None:
        mutated = text + "\n[bogus]\n"
    return _profile_case("profile.broken", mutated, False, rng, kind, True)


FAMILIES = [
    ("profile.valid", 2, profile_valid),
    ("profile.broken", 5, profile_broken),
]
"""``(family, weight, generator)`` for every profile family."""
