"""The fuzz harness itself: each outcome class is detected, and cases regenerate exactly."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from tests.fuzz.case import Case, Outcome, classify
from tests.fuzz.minimise import minimise
from tests.fuzz.runner import PROGRAMS, run_cases


def _clean(argv: list[str]) -> int:
    print(f"test: error: {argv[0]}", file=sys.stderr)
    return 2


def _two_lines(argv: list[str]) -> int:
    os.write(2, b"line 1:2 native parser noise\n")  # the way a C library prints
    print("test: error: bad", file=sys.stderr)
    return 2


def _raises(argv: list[str]) -> int:
    raise ValueError("a bug")


def _exit_one(argv: list[str]) -> int:
    raise SystemExit(1)


def _sleeps(argv: list[str]) -> int:
    time.sleep(30)
    return 0


def _reads(argv: list[str]) -> int:
    print(Path(argv[0]).read_text())
    return 0


def _needle(argv: list[str]) -> int:
    if "boom;" in Path(argv[0]).read_text():
        raise ValueError("a bug")
    print("test: error: fine", file=sys.stderr)
    return 2


def _dies(argv: list[str]) -> int:
    os._exit(9)  # the way a native abort ends a process: nothing returns


PROGRAMS.update(
    {
        "test:clean": _clean,
        "test:two_lines": _two_lines,
        "test:raises": _raises,
        "test:exit_one": _exit_one,
        "test:sleeps": _sleeps,
        "test:reads": _reads,
        "test:dies": _dies,
        "test:needle": _needle,
    }
)


@pytest.mark.parametrize(
    ("program", "valid", "expected"),
    [
        ("test:clean", False, "clean_error"),
        ("test:clean", True, "valid_rejected"),
        ("test:two_lines", False, "multi_line"),
        ("test:raises", False, "traceback"),
        ("test:exit_one", False, "bad_exit"),
        ("test:sleeps", True, "hang"),
        ("test:dies", True, "hang"),
        ("test:reads", True, "ok"),
        ("test:reads", False, "invalid_accepted"),
    ],
)
def test_runner_detects_each_outcome_class(
    tmp_path: Path, program: str, valid: bool, expected: str
) -> None:
    case = Case("test", program, ("{case}/input.txt",), valid, files=(("input.txt", b"hi"),))
    # a case after the failing one still runs, in a fresh worker if the first one died
    after = Case("test", "test:reads", ("{case}/x",), True, files=(("x", b"after"),))
    work = tmp_path / "work"
    work.mkdir()
    outcomes = run_cases([case, after], tmp_path, work, time_limit=0.3)
    assert classify(case, outcomes[0]) == expected
    assert classify(after, outcomes[1]) == "ok"
    assert "after" in outcomes[1].stdout


def test_native_stderr_is_captured(tmp_path: Path) -> None:
    case = Case("test", "test:two_lines", (), False)
    (outcome,) = run_cases([case], tmp_path, tmp_path, time_limit=5.0)
    assert "native parser noise" in outcome.stderr
    assert "test: error: bad" in outcome.stderr


def test_case_json_round_trips_binary_files() -> None:
    case = Case("f", "qcompile", ("a",), False, files=(("x.qpy", b"\xff\x00QISKIT"), ("y", b"t")))
    assert Case.from_json(case.to_json()) == case


def test_classify_prefers_traceback_over_exit_code() -> None:
    case = Case("f", "qcompile", (), False)
    outcome = Outcome(2, stderr="Traceback (most recent call last):\n  boom\n")
    assert classify(case, outcome) == "traceback"


def test_minimise_keeps_only_the_line_that_fails(tmp_path: Path) -> None:
    text = b"OPENQASM 2.0;\nqreg q[2];\nh q[0];\nboom;\ncx q[0],q[1];\n"
    case = Case("test", "test:needle", ("{case}/c.qasm",), False, files=(("c.qasm", text),))
    smaller = minimise(case, "traceback", tmp_path, tmp_path, time_limit=5.0)
    assert smaller.files == (("c.qasm", b"boom;\n"),)
    # a valid case only loses statements, never its declarations
    valid = Case("test", "test:needle", ("{case}/c.qasm",), True, files=(("c.qasm", text),))
    assert minimise(valid, "traceback", tmp_path, tmp_path, time_limit=5.0).files == (
        ("c.qasm", b"OPENQASM 2.0;\nqreg q[2];\nboom;\n"),
    )
