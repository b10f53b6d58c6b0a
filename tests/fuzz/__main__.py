"""``python -m tests.fuzz``: the full fuzz run behind ``make fuzz``.

Prints a table of outcome classes per family, ``--show N`` failing cases per class, writes
``out/fuzz/failures.json`` and ends with the summary line; exits 1 if any failure class is
non-zero.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("QISKIT_IN_PARALLEL", "TRUE")  # forked workers: no Rust thread pools
os.environ.setdefault("OMP_NUM_THREADS", "1")

from tests.fuzz.case import CLASSES, FAILURE_CLASSES
from tests.fuzz.harness import fuzz, summary_line, write_failures


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the fuzz corpus; returns 1 if any case broke the promise, else 0."""
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--cases", type=int, default=10000, help="cases (default: 10000)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    parser.add_argument("--show", type=int, default=3, help="failing cases shown per class")
    parser.add_argument("--families", default=None, help="only families with this prefix")
    parser.add_argument("--time-limit", type=float, default=15.0, help="seconds per case")
    parser.add_argument(
        "--shrink", type=int, default=3, help="failing cases minimised per class (default: 3)"
    )
    parser.add_argument(
        "--failures", default="out/fuzz/failures.json", help="where failing cases are written"
    )
    args = parser.parse_args(argv)
    run = fuzz(
        args.cases,
        args.seed,
        families=args.families,
        time_limit=args.time_limit,
        progress=True,
        shrink=args.shrink,
    )
    per_family: dict[str, Counter[str]] = {}
    seconds: dict[str, float] = {}
    for case, kind, outcome in zip(run.cases, run.classes, run.outcomes, strict=True):
        per_family.setdefault(case.family, Counter())[kind] += 1
        seconds[case.family] = seconds.get(case.family, 0.0) + outcome.seconds
    print(f"{'family':<30}{'s/case':>7}" + "".join(f"{c[:11]:>12}" for c in CLASSES))
    for family in sorted(per_family):
        counts = per_family[family]
        mean = seconds[family] / max(1, counts.total())
        print(f"{family:<30}{mean:>7.3f}" + "".join(f"{counts[c]:>12}" for c in CLASSES))
    shown: Counter[str] = Counter()
    for index in run.failures():
        kind = run.classes[index]
        if shown[kind] >= args.show:
            continue
        shown[kind] += 1
        case, outcome = run.minimised.get(index, run.cases[index]), run.outcomes[index]
        print(f"\n[{kind}] #{index} {case.family} ({case.note}) exit {outcome.exit_code}")
        print(f"  {case.program} {' '.join(case.argv)}")
        for path, data in case.files:
            print(f"  {path}: {data[:300]!r}")
        for line in outcome.stderr.strip().splitlines()[-6:]:
            print(f"  | {line[:200]}")
    write_failures(run, Path(args.failures))
    print(f"\n{len(run.failures())} failing cases in {args.failures}; {run.seconds:.0f} s")
    print(summary_line(run))
    return 1 if any(run.counts()[c] for c in FAILURE_CLASSES) else 0


if __name__ == "__main__":
    sys.exit(main())
