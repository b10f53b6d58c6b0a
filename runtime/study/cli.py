"""``qrun study``: run a built-in study's grid on Dask, resumably, and draw its report.

Light at import (argparse only): ``qrun`` starts fast; Dask, numpy and qiskit load when a
study runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from hardware_profiles.cli_support import SEED_MAX, check_option, comma_list, parse_sizes
from hardware_profiles.errors import ResourceError

__all__ = ["add_study_parser", "cmd_study"]


def add_study_parser(sub: Any) -> None:
    """Add the ``study`` subcommand to ``qrun``'s subparsers."""
    p = sub.add_parser(
        "study",
        help="run a noisy-simulation study (resumable, on Dask)",
        description="Run a built-in study's grid on Dask; lists are comma-separated "
        "(--profiles heron_r2,eagle_r3). Axes left out take the study's defaults "
        "(qrun study --list shows them).",
    )
    p.add_argument("name", nargs="?", help="study name (see --list)")
    p.add_argument("--list", action="store_true", help="list the built-in studies and exit")
    p.add_argument(
        "--sizes",
        nargs="+",
        action=comma_list(),
        metavar="N[,N...]",
        help="sizes N, or A..B for the powers of two in it, e.g. 4,16..256 (default: the study's)",
    )
    p.add_argument(
        "--kinds",
        nargs="+",
        action=comma_list(),
        metavar="KIND[,KIND...]",
        help="QRAM kinds (default: the study's)",
    )
    p.add_argument(
        "--profiles",
        nargs="+",
        action=comma_list(),
        metavar="NAME[,NAME...]",
        help="device profiles (default: the study's)",
    )
    p.add_argument(
        "--noise-scales",
        nargs="+",
        action=comma_list(float),
        metavar="S[,S...]",
        help="noise scales, e.g. 0.1,1 (default: the study's)",
    )
    p.add_argument(
        "--trajectories",
        type=int,
        default=None,
        help="trajectories per task (default: the study's)",
    )
    p.add_argument("--seed", type=int, default=None, help="seed (default: the study's)")
    p.add_argument("--idle", action="store_true", help="add idle errors (qram-fidelity)")
    p.add_argument(
        "--targets",
        nargs="+",
        action=comma_list(),
        metavar="T[,T...]",
        help="frontier targets: qram, qlaci (default: the study's)",
    )
    p.add_argument(
        "--mitigations",
        nargs="+",
        action=comma_list(),
        metavar="M[,M...]",
        help="frontier mitigation settings: none, dd, dd+twirl+readout, "
        "dd+twirl+readout+zne (default: the study's)",
    )
    p.add_argument(
        "--max-size",
        type=int,
        default=None,
        help="largest N a frontier scan reaches (default: the study's)",
    )
    p.add_argument(
        "--out", default=None, help="directory for results.csv and report.html (required)"
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        default=None,
        help="local Dask worker processes (default: CPU count, at most the tasks to run)",
    )
    where.add_argument(
        "--scheduler",
        default=None,
        help="Dask scheduler tcp://HOST:PORT (default: a local cluster)",
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (none is drawn when stderr is not a terminal)",
    )


def cmd_study(args: argparse.Namespace) -> int:
    """Run ``qrun study`` (see :func:`add_study_parser`); returns the exit code."""
    from runtime.study.definitions import STUDIES, get_study

    if args.list:
        for spec in STUDIES.values():
            print(f"{spec.name}: {spec.description}")
            for axis in spec.axes:
                default = ",".join(str(v) for v in axis.default)
                print(f"    {axis.name:<13} {axis.help}; default: {default}")
        return 0
    if not args.name:
        raise ResourceError("name a study (qrun study --list shows them)")
    for scale in args.noise_scales or ():
        check_option(scale, "--noise-scales", minimum=0)
    check_option(args.trajectories, "--trajectories", minimum=1, maximum=10**7)
    check_option(args.workers, "--workers", minimum=1, maximum=1024)
    check_option(args.seed, "--seed", minimum=0, maximum=SEED_MAX)
    spec = get_study(args.name)
    if not args.out:
        raise ResourceError("--out DIR is required")
    values: dict[str, list[Any]] = {}
    if args.sizes:
        values["size"] = parse_sizes(args.sizes, option="--sizes")
    if args.kinds:
        values["kind"] = args.kinds
    if args.profiles:
        values["profile"] = args.profiles
    if args.noise_scales:
        values["noise_scale"] = args.noise_scales
    if args.trajectories is not None:
        values["trajectories"] = [args.trajectories]
    if args.seed is not None:
        values["seed"] = [args.seed]
    if args.idle:
        values["idle"] = [True]
    for option, axis_name in (("targets", "target"), ("mitigations", "mitigation")):
        if getattr(args, option):
            values[axis_name] = getattr(args, option)
    if args.max_size is not None:
        values["max_size"] = [args.max_size]
    tasks = spec.tasks(values)

    from pathlib import Path

    from runtime.study.plot import write_report
    from runtime.study.runner import run_study

    run = run_study(
        spec,
        tasks,
        args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.no_progress,
    )
    report = write_report(spec, run.results, Path(args.out) / "report.html")
    print(
        f"{spec.name}: {run.total} tasks ({run.skipped} already done, {run.ran} run) -> "
        f"{run.results}, {report}"
    )
    return 0
