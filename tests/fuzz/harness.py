"""One fuzz run: fixtures, cases, outcomes, the summary line and ``failures.json``."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.fuzz.case import FAILURE_CLASSES, Case, Outcome, classify
from tests.fuzz.fixtures import build_fixtures
from tests.fuzz.generators import generate
from tests.fuzz.generators.qasm import FAST_PROFILES
from tests.fuzz.minimise import minimise
from tests.fuzz.runner import run_cases

__all__ = ["FuzzRun", "failure_records", "fuzz", "summary_line", "write_failures"]


@dataclass(frozen=True)
class FuzzRun:
    """The result of a fuzz run.

    Attributes:
        cases: the cases, in order.
        outcomes: their outcomes.
        classes: each case's outcome class.
        seconds: wall time of the run, fixtures included.
        minimised: shrunk versions of some failing cases, by index (see
            :func:`tests.fuzz.minimise.minimise`).
    """

    cases: tuple[Case, ...]
    outcomes: tuple[Outcome, ...]
    classes: tuple[str, ...]
    seconds: float
    minimised: dict[int, Case] = field(default_factory=dict)

    def counts(self) -> Counter[str]:
        """How many cases fell in each class."""
        return Counter(self.classes)

    def failures(self) -> list[int]:
        """Indices of the cases that broke the promise."""
        return [i for i, c in enumerate(self.classes) if c in FAILURE_CLASSES]


def summary_line(run: FuzzRun) -> str:
    """The summary, ``fuzz: N cases: T tracebacks, ...``: the last line ``make fuzz`` prints."""
    c = run.counts()
    return (
        f"fuzz: {len(run.cases)} cases: {c['traceback']} tracebacks, {c['bad_exit']} bad exit "
        f"codes, {c['multi_line']} multi-line errors, {c['hang']} hangs/OOM, "
        f"{c['invalid_accepted']} invalid accepted, {c['valid_rejected']} valid rejected"
    )


def fuzz(
    count: int,
    seed: int = 0,
    *,
    families: str | None = None,
    time_limit: float = 15.0,
    progress: bool = False,
    shrink: int = 0,
) -> FuzzRun:
    """Builds the fixtures, generates ``count`` cases and runs them.

    Args:
        count: how many cases.
        seed: the seed of the cases. Defaults to 0.
        families: only families whose name starts with this prefix. Defaults to all.
        time_limit: seconds per case before it counts as a hang. Defaults to 15.
        progress: print a dot per 100 cases on stderr. Defaults to False.
        shrink: how many failing cases of each class to minimise. Defaults to 0.
    """
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qattn-fuzz-") as tmp:
        root = Path(tmp)
        fixtures = build_fixtures(root / "fixtures", warm_profiles=FAST_PROFILES)
        cases = generate(count, seed, fixtures, families)
        work = root / "work"
        work.mkdir()

        def tick(index: int, outcome: Outcome) -> None:
            if progress and index % 100 == 99:
                print(".", end="", file=sys.stderr, flush=True)

        outcomes = run_cases(cases, root / "fixtures", work, time_limit=time_limit, progress=tick)
        if progress:
            print(file=sys.stderr)
        classes = tuple(classify(c, o) for c, o in zip(cases, outcomes, strict=True))
        shrunk: dict[int, Case] = {}
        taken: Counter[str] = Counter()
        for index, kind in enumerate(classes):
            if kind in FAILURE_CLASSES and taken[kind] < shrink:
                taken[kind] += 1
                smaller = minimise(
                    cases[index], kind, root / "fixtures", work, time_limit=time_limit
                )
                if smaller != cases[index]:
                    shrunk[index] = smaller
    seconds = time.perf_counter() - start
    return FuzzRun(tuple(cases), tuple(outcomes), classes, seconds, shrunk)


def failure_records(run: FuzzRun, limit_per_class: int | None = None) -> list[dict[str, object]]:
    """The failing cases as JSON records (case, class, exit code, stderr), per class in order."""
    records: list[dict[str, object]] = []
    taken: Counter[str] = Counter()
    for index in run.failures():
        kind = run.classes[index]
        if limit_per_class is not None and taken[kind] >= limit_per_class:
            continue
        taken[kind] += 1
        outcome = run.outcomes[index]
        records.append(
            {
                "index": index,
                "class": kind,
                "exit_code": outcome.exit_code,
                "stderr": outcome.stderr[-2000:],
                "why": outcome.extra.get("why", "") if outcome.extra else "",
                "case": run.minimised.get(index, run.cases[index]).to_json(),
                "minimised": index in run.minimised,
            }
        )
    return records


def write_failures(run: FuzzRun, path: Path) -> None:
    """Writes every failing case to ``path`` as a JSON list (see :func:`failure_records`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(failure_records(run), indent=1, ensure_ascii=False) + "\n")
