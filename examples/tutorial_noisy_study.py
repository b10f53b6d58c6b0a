"""Tutorial (c): a noisy-simulation study, on this machine and on a running Dask scheduler.

    .venv/bin/python examples/tutorial_noisy_study.py            # N = 4..64, 200 trajectories
    .venv/bin/python examples/tutorial_noisy_study.py --small    # N = 4, 8; 20 (what CI runs)
    .venv/bin/python examples/tutorial_noisy_study.py --scheduler tcp://HOST:8786

The study is ``qram-fidelity``: the query fidelity of QRAM constructions vs N and noise scale
(Pauli trajectories). Every task is keyed by the SHA-256 of what determines its result, and
rows are appended to ``results.csv`` as tasks finish, so the second run below computes only
the tasks the first did not.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from runtime.study import get_study, run_study
from runtime.study.plot import write_report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="N = 4, 8 and 20 trajectories")
    parser.add_argument("--scheduler", help="a running Dask scheduler (default: start one here)")
    parser.add_argument("--out", default="out/tutorial-study", help="output directory")
    args = parser.parse_args(argv)

    spec = get_study("qram-fidelity")
    grid: dict[str, Sequence[str | int | float]] = {
        "kind": ["bucket-brigade", "multiplexer"],
        "size": [4, 8] if args.small else [4, 8, 16, 32, 64],
        "trajectories": [20 if args.small else 200],
    }

    # 1. Locally: a Dask LocalCluster with one worker process, started and stopped for you.
    first = spec.tasks({**grid, "noise_scale": [0.1]})
    run = run_study(spec, first, args.out, workers=1, progress=False)
    print(f"local:   {run.ran} tasks ran, {run.skipped} were already in {run.results}")

    # 2. On a running scheduler: a cluster you started elsewhere (`dask scheduler` and
    #    `dask worker tcp://HOST:8786` on other machines), or here a LocalCluster standing in.
    #    The grid now has a second noise scale: only its new tasks run.
    both = spec.tasks({**grid, "noise_scale": [0.1, 1.0]})
    if args.scheduler:
        run = run_study(spec, both, args.out, scheduler=args.scheduler, progress=False)
    else:
        from distributed import LocalCluster

        with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
            address = cluster.scheduler_address  # tcp://127.0.0.1:PORT
            run = run_study(spec, both, args.out, scheduler=address, progress=False)
    print(f"cluster: {run.ran} tasks ran, {run.skipped} were already in {run.results}")

    page = write_report(spec, run.results, Path(args.out) / "report.html")
    print(f"report:  {page}")


if __name__ == "__main__":
    main()
