"""A fuzz case (one command line and the files it reads) and how its outcome is classified.

Every case is valid or invalid by construction: a generator that cannot say which a mutation
yields does not make that mutation. The promise checked is the one every qattn command makes:
valid input exits 0, invalid input exits 2 with exactly one line on stderr, and nothing ever
prints a traceback, exits with another code, or runs past its time or memory limit.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CLASSES",
    "FAILURE_CLASSES",
    "Case",
    "Outcome",
    "classify",
    "stderr_lines",
]

CLASSES = (
    "ok",
    "clean_error",
    "traceback",
    "bad_exit",
    "multi_line",
    "hang",
    "invalid_accepted",
    "valid_rejected",
)
"""Every outcome class, the two passing ones first."""

FAILURE_CLASSES = CLASSES[2:]
"""The classes that break the promise; ``make fuzz`` and the CI test want zero of each."""


@dataclass(frozen=True)
class Case:
    """One fuzz case: a ``qcompile`` or ``qrun`` command line and the files it reads.

    Attributes:
        family: the generator that made it, e.g. ``"qasm2.truncated"``.
        program: ``"qcompile"`` or ``"qrun"`` (or a test program registered with the runner).
        argv: the arguments after the program name. ``{case}`` is replaced by the case's own
            directory and ``{fixtures}`` by the directory of the shared fixtures (compiled
            artifacts, a job store).
        valid: whether the input is valid by construction (exit 0 expected) or not (exit 2
            with one line expected).
        files: ``(path relative to the case directory, content)`` pairs written before the run.
        copies: ``(fixture path, case path)`` pairs copied from the fixtures before ``files``
            are written (so a mutated file replaces its fixture copy).
        note: what the mutation is, for people reading a failure.
        then: ``(program, argv)`` commands run after the first one, in the same directory,
            while every command exits 0 (e.g. ``qrun sample`` of the artifact just compiled).
    """

    family: str
    program: str
    argv: tuple[str, ...]
    valid: bool
    files: tuple[tuple[str, bytes], ...] = ()
    copies: tuple[tuple[str, str], ...] = ()
    note: str = ""
    then: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        for program in (self.program, *(p for p, _ in self.then)):
            if program not in ("qcompile", "qrun") and not program.startswith("test:"):
                raise ValueError(f"unknown program {program!r}")

    def to_json(self) -> dict[str, object]:
        """The case as JSON: file contents as UTF-8 text where they are, else base64."""

        def content(data: bytes) -> dict[str, str]:
            try:
                return {"text": data.decode("utf-8")}
            except UnicodeDecodeError:
                return {"base64": base64.b64encode(data).decode("ascii")}

        return {
            "family": self.family,
            "program": self.program,
            "argv": list(self.argv),
            "valid": self.valid,
            "note": self.note,
            "copies": [list(pair) for pair in self.copies],
            "files": [{"path": path, **content(data)} for path, data in self.files],
            "then": [[program, list(argv)] for program, argv in self.then],
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Case:
        """The inverse of :meth:`to_json`."""
        files = []
        for entry in document.get("files", []):
            data = (
                entry["text"].encode("utf-8")
                if "text" in entry
                else base64.b64decode(entry["base64"])
            )
            files.append((str(entry["path"]), data))
        return cls(
            family=str(document["family"]),
            program=str(document["program"]),
            argv=tuple(str(a) for a in document["argv"]),
            valid=bool(document["valid"]),
            files=tuple(files),
            copies=tuple((str(a), str(b)) for a, b in document.get("copies", [])),
            note=str(document.get("note", "")),
            then=tuple(
                (str(p), tuple(str(a) for a in argv)) for p, argv in document.get("then", [])
            ),
        )


@dataclass(frozen=True)
class Outcome:
    """What one run of a case did.

    Attributes:
        exit_code: the code ``main`` returned (or raised with ``SystemExit``); None when the
            case was stopped (time limit) or its worker died (memory, a native crash).
        stdout: what the case printed on stdout (Python and native output together).
        stderr: what it printed on stderr (Python and native output together).
        seconds: wall time of the case.
        hang: the case ran past its time limit, ran out of memory, or killed its worker.
        escaped: the text of an exception that escaped ``main`` (not ``SystemExit``), if any.
        extra: what the runner knows besides, e.g. ``{"why": "over 15 s"}`` for a killed case.
    """

    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    hang: bool = False
    escaped: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def stderr_lines(text: str) -> list[str]:
    """The non-blank lines of ``text``."""
    return [line for line in text.splitlines() if line.strip()]


def classify(case: Case, outcome: Outcome) -> str:
    """The outcome class of ``case``'s run, one of :data:`CLASSES`.

    The order matters: a hang or a traceback is reported as such whatever the exit code; an
    exit code outside {0, 2} next; then an exit-2 error on more than one line; only a clean run
    is judged against the case's validity.
    """
    if outcome.hang:
        return "hang"
    if outcome.escaped or "Traceback (most recent call last)" in outcome.stderr:
        return "traceback"
    if outcome.exit_code not in (0, 2):
        return "bad_exit"
    if outcome.exit_code == 2:
        if len(stderr_lines(outcome.stderr)) != 1:
            return "multi_line"
        return "valid_rejected" if case.valid else "clean_error"
    return "ok" if case.valid else "invalid_accepted"
