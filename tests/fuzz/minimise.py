"""Shrinks a failing case to fewer lines while it keeps failing the same way.

Greedy line deletion (one pass from the end, then another while it helps), on each text file of
the case. A valid case only loses statements (lines ending in ``;`` that declare nothing), so it
stays valid by construction; an accepted invalid case or a hang is not shrunk (the first could
lose what made it invalid, the second costs a time limit per try).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

from tests.fuzz.case import Case, classify
from tests.fuzz.runner import run_cases

__all__ = ["minimise"]

_DECLARATION = re.compile(r"^\s*(OPENQASM|include|gate|opaque|qreg|creg|qubit|bit|input|output)\b")
_NOT_SHRUNK = ("hang", "invalid_accepted", "ok", "clean_error")


def _deletable(line: str, valid: bool) -> bool:
    if not valid:
        return True
    return line.rstrip().endswith(";") and not _DECLARATION.match(line)


def minimise(
    case: Case,
    kind: str,
    fixtures: Path,
    work: Path,
    *,
    budget: int = 60,
    time_limit: float = 15.0,
) -> Case:
    """A smaller case that fails as ``kind``; ``case`` itself if none is found.

    Args:
        case: the failing case.
        kind: its outcome class.
        fixtures: the fixtures directory.
        work: an empty directory for the runs.
        budget: the most runs to spend. Defaults to 60.
        time_limit: seconds per run. Defaults to 15.
    """
    if kind in _NOT_SHRUNK:
        return case
    runs = 0

    def fails(candidate: Case) -> bool:
        (outcome,) = run_cases([candidate], fixtures, work, time_limit=time_limit)
        return classify(candidate, outcome) == kind

    best = case
    for position, (path, data) in enumerate(case.files):
        try:
            lines = data.decode("utf-8").splitlines(keepends=True)
        except UnicodeDecodeError:
            continue
        best, runs = _shrink_file(best, position, path, lines, fails, runs, budget)
    return best


def _shrink_file(
    best: Case,
    position: int,
    path: str,
    lines: list[str],
    fails: Callable[[Case], bool],
    runs: int,
    budget: int,
) -> tuple[Case, int]:
    changed = True
    while changed and runs < budget:
        changed = False
        for index in range(len(lines) - 1, -1, -1):
            if runs >= budget:
                break
            if index >= len(lines) or not _deletable(lines[index], best.valid):
                continue
            trial = lines[:index] + lines[index + 1 :]
            files = list(best.files)
            files[position] = (path, "".join(trial).encode("utf-8"))
            candidate = dataclasses.replace(best, files=tuple(files))
            runs += 1
            if fails(candidate):
                best, lines, changed = candidate, trial, True
    return best, runs
