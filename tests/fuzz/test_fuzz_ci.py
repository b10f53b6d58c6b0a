"""The CI-sized fuzz run: 2,000 hostile and valid inputs, and zero broken promises.

``make fuzz`` runs the full corpus (10,000 cases); this is the subset the normal test command
runs (about a minute on two cores). On failure the message lists the counts and the first
failing cases of each class; every failing case, with its files, is written to
``out/fuzz/failures-ci.json``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.fuzz.harness import FuzzRun, fuzz, summary_line, write_failures

CI_CASES = 2000
CI_SEED = 15


def _examples(run: FuzzRun, per_class: int = 3) -> str:
    lines, shown = [], Counter[str]()
    for index in run.failures():
        kind = run.classes[index]
        if shown[kind] < per_class:
            shown[kind] += 1
            case, outcome = run.cases[index], run.outcomes[index]
            last = outcome.stderr.strip().splitlines()[-1:] or [f"exit {outcome.exit_code}"]
            lines.append(f"  [{kind}] #{index} {case.family} ({case.note}): {last[0][:200]}")
    return "\n".join(lines)


@pytest.mark.slow
def test_ci_fuzz_run_breaks_no_promise() -> None:
    run = fuzz(CI_CASES, CI_SEED, time_limit=10.0)
    summary = summary_line(run)
    print(f"\n{summary} ({run.seconds:.0f} s)")
    write_failures(run, Path("out/fuzz/failures-ci.json"))
    assert len(run.cases) == CI_CASES
    if run.failures():
        pytest.fail(f"{summary}\n{_examples(run)}", pytrace=False)
