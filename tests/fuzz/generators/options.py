"""Command-line option cases for ``qcompile`` and ``qrun``: good values and bad ones.

A bad value is one no reading of the option can accept: a size of zero or below where at
least one is needed, a count of 2^40 (no device, store or simulator holds it), a number that
is not one, NaN, a range whose ends are reversed, a name nothing is registered under.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from tests.fuzz.case import Case
from tests.fuzz.fixtures import Fixtures

__all__ = ["FAMILIES"]

_HUGE = str(2**40)
_NOT_INT = ("1.5", "x", "", "nan", "1e3", "0x10")
_NOT_FLOAT = ("nan", "NaN", "x", "", "1..2")

_COMPILE_BAD: dict[str, tuple[str, ...]] = {
    "-O": ("4", "-1", "9", *_NOT_INT),
    "--seed": ("-1", str(2**64), *_NOT_INT),
    "--equivalence-max-qubits": ("-1", *_NOT_INT),
    "--equivalence-timeout": ("-1", "0", "-inf", "inf", *_NOT_FLOAT),
    "--layout-method": ("bogus", "", "trivial; rm"),
    "--routing-method": ("bogus", "", "Sabre"),
    "--qram": ("bogus", ""),
    "--profile": ("bogus", "", "../../etc/passwd", "{case}/missing.toml"),
}
_COMPILE_GOOD: dict[str, tuple[str, ...]] = {
    "-O": ("0", "1"),
    "--seed": ("0", "7", "123456"),
    "--equivalence-max-qubits": ("0", "3", "12", _HUGE),
    "--equivalence-timeout": ("1", "10", "0.5"),
    "--layout-method": ("trivial", "sabre", "dense"),
    "--routing-method": ("sabre", "basic", "lookahead"),
    "--profile": ("ion_all_to_all", "grid_10x10", "heron_r2"),
}


def _compile_argv(overrides: dict[str, str]) -> tuple[str, ...]:
    options = {"--profile": "ion_all_to_all", "-O": "1", "--out": "{case}/out"} | overrides
    return ("compile", "{fixtures}/bell.qasm", *(w for pair in options.items() for w in pair))


def compile_option(rng: random.Random, fx: Fixtures) -> Case:
    if rng.random() < 0.35:
        option = rng.choice(sorted(_COMPILE_GOOD))
        value = rng.choice(_COMPILE_GOOD[option])
        return Case(
            "options.compile",
            "qcompile",
            _compile_argv({option: value}),
            True,
            note=f"{option} {value}",
        )
    option = rng.choice(sorted(_COMPILE_BAD))
    value = rng.choice(_COMPILE_BAD[option])
    return Case(
        "options.compile",
        "qcompile",
        _compile_argv({option: value}),
        False,
        note=f"{option} {value!r}",
    )


_QRAM_BAD = {
    "--kind": ("bogus", "", "BUCKET-BRIGADE"),
    "--address-bits": ("-1", _HUGE, "64", *_NOT_INT),
    "--word-bits": ("0", "-1", _HUGE, *_NOT_INT),
    "--mode": ("bogus",),
    "--words-seed": ("-1", *_NOT_INT),
}


def qram_option(rng: random.Random, fx: Fixtures) -> Case:
    base = {
        "--kind": rng.choice(("qrom", "multiplexer", "select-swap", "bucket-brigade")),
        "--address-bits": "2",
    }
    tail = ("--profile", "ion_all_to_all", "-O", "1")
    if rng.random() < 0.3:
        argv = ("qram", *(w for pair in base.items() for w in pair), *tail)
        return Case("options.qram", "qcompile", argv, True, note=base["--kind"])
    option = rng.choice(sorted(_QRAM_BAD))
    value = rng.choice(_QRAM_BAD[option])
    options = base | {option: value}
    argv = ("qram", *(w for pair in options.items() for w in pair), *tail)
    return Case("options.qram", "qcompile", argv, False, note=f"{option} {value!r}")


_BUILD_BAD = {
    "--seq-len": ("0", "-4", _HUGE, *_NOT_INT),
    "--layers": ("-1", _HUGE, *_NOT_INT),
    "--heads": ("0", "-2", _HUGE, *_NOT_INT),
    "--width": ("0", "-1", _HUGE, *_NOT_INT),
    "--top-k": ("-1", *_NOT_INT),  # any size >= 0 is valid: keep that many couplings
    "--model-seed": ("-1", *_NOT_INT),
}


def build_option(rng: random.Random, fx: Fixtures) -> Case:
    model = rng.choice(("qlaci", "qlam", "qasa", "qama"))
    tail = ("--profile", "ion_all_to_all", "-O", "1", "--out", "{case}/out")
    if model == "qlaci" and rng.random() < 0.3:
        return Case("options.build", "qcompile", ("build", "qlaci", "--seq-len", "2", *tail), True)
    option = rng.choice(sorted(_BUILD_BAD))
    value = rng.choice(_BUILD_BAD[option])
    options = {"--seq-len": "2"} | {option: value}
    argv = ("build", model, *(w for pair in options.items() for w in pair), *tail)
    return Case("options.build", "qcompile", argv, False, note=f"{model} {option} {value!r}")


_ESTIMATE_BAD = {
    "--seq-len": ("0", "-4", "1024..16", "16..8", "3", "x", _HUGE, "4..", "..8", "nan"),
    "--qram": ("bogus", "qrom,bogus"),
    "--profile": ("bogus", "heron_r2,bogus"),
    "--compile-max-qubits": ("-1", *_NOT_INT),
    "--time-budget": ("-1", "-inf", *_NOT_FLOAT),
    "--head-dim": ("0", "-64", *_NOT_INT),
    "--qdk-seq-len": ("0", "x", "32..4", _HUGE),
}


def estimate_option(rng: random.Random, fx: Fixtures) -> Case:
    base = {
        "--seq-len": "4..8",
        "--time-budget": "0",
        "--qdk-seq-len": "none",
        "--out": "{case}/est",
    }
    if rng.random() < 0.1:
        argv = ("estimate", "qlaci", *(w for pair in base.items() for w in pair))
        return Case("options.estimate", "qcompile", argv, True)
    option = rng.choice(sorted(_ESTIMATE_BAD))
    value = rng.choice(_ESTIMATE_BAD[option])
    options = base | {option: value}
    argv = ("estimate", "qlaci", *(w for pair in options.items() for w in pair))
    return Case("options.estimate", "qcompile", argv, False, note=f"{option} {value!r}")


_RUN_BAD = {
    "--shots": ("0", "-1", _HUGE, *_NOT_INT),
    "--noise-scale": ("-1", "-inf", *_NOT_FLOAT),
    "--seed": ("-1", str(2**64), *_NOT_INT),
    "--random-parameters": ("-1", *_NOT_INT),
    "--parameters": ("{case}/missing.json", "{case}/bad.json"),
    "--local-ibm": ("FakeNope", "", "os"),
    "--profile": ("bogus", "{case}/missing.toml"),
}


def run_option(rng: random.Random, fx: Fixtures) -> Case:
    artifact = "{fixtures}/" + fx.artifact
    store = ("--store", "{case}/s.sqlite")
    if rng.random() < 0.25:
        shots = rng.choice(("1", "64", "1000"))
        mode = rng.choice(((), ("--noisy",), ("--ideal",)))
        argv = (
            "sample",
            artifact,
            "--shots",
            shots,
            "--seed",
            str(rng.randrange(3)),
            *mode,
            *store,
        )
        return Case("options.run", "qrun", argv, True, note=f"shots {shots} {mode}")
    if rng.random() < 0.1:  # an artifact compiled for ion_all_to_all on an IBM device
        argv = ("sample", artifact, "--local-ibm", "FakeFez", "--shots", "16", *store)
        return Case("options.run", "qrun", argv, False, note="local-ibm FakeFez for ion_all_to_all")
    option = rng.choice(sorted(_RUN_BAD))
    value = rng.choice(_RUN_BAD[option])
    argv = ("sample", artifact, "--shots", "16", option, value, *store)
    files = (("bad.json", b'[1, "x", {}]'),) if value.endswith("bad.json") else ()
    return Case("options.run", "qrun", argv, False, files=files, note=f"{option} {value!r}")


def estimate_run_option(rng: random.Random, fx: Fixtures) -> Case:
    copies = tuple((n, "art/" + n.split("/", 1)[1]) for n in fx.model_files)
    artifact = "{case}/art/" + fx.model_qpy.split("/", 1)[1]
    value = rng.choice(("0", "-1", "-inf", *_NOT_FLOAT))
    store = ("--store", "{case}/s.sqlite")
    argv = ("estimate", artifact, "--random-parameters", "1", "--precision", value, *store)
    return Case(
        "options.run_estimate", "qrun", argv, False, copies=copies, note=f"--precision {value!r}"
    )


_JOBS_BAD = {"--limit": ("-1", *_NOT_INT)}


def jobs_option(rng: random.Random, fx: Fixtures) -> Case:
    copies = ((fx.store, "s.sqlite"),)
    if rng.random() < 0.3:
        return Case(
            "options.jobs",
            "qrun",
            ("jobs", "--limit", rng.choice(("1", "3", _HUGE)), "--store", "{case}/s.sqlite"),
            True,
            copies=copies,
        )
    value = rng.choice(_JOBS_BAD["--limit"])
    return Case(
        "options.jobs",
        "qrun",
        ("jobs", "--limit", value, "--store", "{case}/s.sqlite"),
        False,
        copies=copies,
        note=repr(value),
    )


_STUDY_BAD = {
    "--sizes": ("0", "-4", "64..4", "x", _HUGE, "nan"),
    "--kinds": ("bogus",),
    "--profiles": ("bogus",),
    "--noise-scales": ("-1", "-inf", *_NOT_FLOAT),
    "--trajectories": ("0", "-1", _HUGE, *_NOT_INT),
    "--workers": ("0", "-1", _HUGE, *_NOT_INT),
    "--seed": ("-1", *_NOT_INT),
}


def study_option(rng: random.Random, fx: Fixtures) -> Case:
    name = rng.choice(("qram-fidelity", "bogus-study"))
    if rng.random() < 0.15:
        return Case("options.study", "qrun", ("study", "--list"), True)
    if name == "bogus-study":
        return Case(
            "options.study", "qrun", ("study", name, "--out", "{case}/st"), False, note=name
        )
    option = rng.choice(sorted(_STUDY_BAD))
    value = rng.choice(_STUDY_BAD[option])
    argv = (
        "study",
        name,
        "--out",
        "{case}/st",
        "--sizes",
        "4",
        "--trajectories",
        "2",
        option,
        value,
    )
    return Case("options.study", "qrun", argv, False, note=f"{option} {value!r}")


_TRAIN_BAD = {
    "--epochs": ("0", "-1", _HUGE, *_NOT_INT),
    "--batch-size": ("0", "-1", *_NOT_INT),
    "--lr": ("-1", "-inf", *_NOT_FLOAT),
    "--train-size": ("0", "-1", *_NOT_INT),
    "--test-size": ("0", "-1", *_NOT_INT),
    "--threads": ("0", "-1", _HUGE, *_NOT_INT),
    "--precision": ("0", "-1", *_NOT_FLOAT),
    "--model": ("bogus", "qlam"),
    "--backend": ("bogus",),
    "--seed": ("-1", *_NOT_INT),
}


def train_option(rng: random.Random, fx: Fixtures) -> Case:
    if rng.random() < 0.1:
        return Case("options.train", "qrun", ("train", "--list"), True)
    base = {
        "--model": "mean-pool",
        "--epochs": "1",
        "--out": "{case}/run",
        "--train-size": "8",
        "--test-size": "8",
    }
    if rng.random() < 0.1:
        return Case(
            "options.train",
            "qrun",
            ("train", "bogus-task", *(w for p in base.items() for w in p), "--quiet"),
            False,
            note="unknown task",
        )
    option = rng.choice(sorted(_TRAIN_BAD))
    value = rng.choice(_TRAIN_BAD[option])
    options = base | {option: value}
    argv = ("train", "needle-4", *(w for p in options.items() for w in p), "--quiet")
    return Case("options.train", "qrun", argv, False, note=f"{option} {value!r}")


def misc_option(rng: random.Random, fx: Fixtures) -> Case:
    good = (
        ("qcompile", ("profiles", "list")),
        ("qcompile", ("profiles",)),
        (
            "qcompile",
            ("profiles", "show", rng.choice(("ion_all_to_all", "grid_10x10", "heron_r2"))),
        ),
        ("qcompile", ("profiles", "show", "ion_all_to_all", "--json")),
    )
    bad = (
        ("qcompile", ()),
        ("qcompile", ("bogus",)),
        ("qcompile", ("profiles", "show", rng.choice(("bogus", "", "../x", "heron_r2.toml")))),
        ("qcompile", ("compile",)),
        ("qcompile", ("compile", "{fixtures}/bell.qasm", "--bogus")),
        ("qrun", ()),
        ("qrun", ("bogus",)),
        ("qrun", ("sample",)),
        ("qrun", ("status", rng.choice(("", "zz", "0" * 64)), "--store", "{case}/s.sqlite")),
        ("qrun", ("result", "nothing", "--store", "{case}/s.sqlite")),
        ("qrun", ("sample", "{case}/none.qpy", "--store", "{case}/s.sqlite")),
        ("qrun", ("sample", "{fixtures}/bell.qasm", "--store", "{case}/s.sqlite")),
        ("qrun", ("sample", "{fixtures}/art/bell.qpy", "--noisy", "--ideal")),
    )
    argv: tuple[str, ...]
    if rng.random() < 0.3:
        program, argv = rng.choice(good)
        return Case("options.misc", program, argv, True)
    program, argv = rng.choice(bad)
    return Case("options.misc", program, argv, False)


Generator = Callable[[random.Random, Fixtures], Case]

FAMILIES: list[tuple[str, int, Generator]] = [
    ("options.compile", 6, compile_option),
    ("options.qram", 2, qram_option),
    ("options.build", 2, build_option),
    ("options.estimate", 2, estimate_option),
    ("options.run", 4, run_option),
    ("options.run_estimate", 1, estimate_run_option),
    ("options.jobs", 1, jobs_option),
    ("options.study", 2, study_option),
    ("options.train", 2, train_option),
    ("options.misc", 3, misc_option),
]
"""``(family, weight, generator)`` for every option family."""
