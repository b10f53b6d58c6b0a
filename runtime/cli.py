"""The ``qrun`` command line: run compiled artifacts, remember every run.

Subcommands: ``sample`` and ``estimate`` (run an artifact's ISA circuit on Aer, ideal or
noisy, or on IBM Quantum), ``jobs`` (list the job store), ``status`` and ``result`` (one
request by key, key prefix or job id; ``result`` resumes an unfinished request from a
fresh process). Every request goes through the job store (:mod:`runtime.execution.jobstore`), so
the same command twice executes once (``--force`` executes again) and a killed run
resumes. A run that is not ideal (noisy Aer, IBM, local IBM) also runs (or recalls) the ideal
one on Aer and prints the distance to it: total variation for counts, absolute error for
expectation values.
Every error a user can cause prints one line on stderr and exits with code 2; set
``QATTN_DEBUG=1`` to see tracebacks instead.

This module only parses and prints: the artifact is :class:`qcompile.artifact.Artifact`, a run is
a :class:`runtime.execution.artifact_runs.RunRequest` (what the job store keeps, and what
``result`` resumes from), and the distance to the ideal run is
:mod:`runtime.execution.compare`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hardware_profiles.cli_support import SEED_MAX, OneLineParser, check_option, run_command
from hardware_profiles.errors import JobError, ResourceError
from runtime.execution.artifact_runs import RunOutcome, RunRequest, make_executor

if TYPE_CHECKING:
    from runtime.execution.executor import EstimateResult, SampleResult

__all__ = ["main", "make_executor"]

PROG = "qrun"

MAX_SHOTS = 2**30
"""The most shots one request may ask for (2^30, about 10^9): past it a count is a typo."""


def _add_store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store", default=None, help="job store file (default: $QATTN_JOBSTORE or ~/.qattn)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("artifact", help="the artifact's .qpy file or its directory")
    parser.add_argument(
        "--profile", default=None, help="profile name or .toml (default: the artifact's)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--ideal", dest="mode", action="store_const", const="ideal", help="Aer, no noise (default)"
    )
    where.add_argument(
        "--noisy", dest="mode", action="store_const", const="noisy", help="Aer, profile's noise"
    )
    where.add_argument("--ibm", metavar="BACKEND", default=None, help="IBM Quantum backend")
    where.add_argument("--local-ibm", metavar="FAKE", default=None, help="IBM fake backend, local")
    parser.add_argument(
        "--noise-scale", type=float, default=1.0, help="scale the noise model (default: 1)"
    )
    parser.add_argument("--seed", type=int, default=None, help="simulator seed (default: none)")
    parser.add_argument(
        "--parameters", default=None, help="parameter values: .json list (or list of lists), .npy"
    )
    parser.add_argument(
        "--random-parameters",
        type=int,
        default=None,
        metavar="SEED",
        help="uniform parameter values in [0, 2π) from this seed",
    )
    parser.add_argument("--force", action="store_true", help="execute even if already stored")
    _add_store(parser)


def _build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG, description="Run compiled qattn artifacts; every run is stored."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    sample_p = sub.add_parser("sample", help="sample the artifact's circuit (counts)")
    _add_run_options(sample_p)
    sample_p.add_argument("--shots", type=int, default=1024, help="shots (default: 1024)")
    estimate_p = sub.add_parser("estimate", help="expectations of the artifact's observables")
    _add_run_options(estimate_p)
    estimate_p.add_argument(
        "--precision", type=float, default=None, help="target precision (default: executor's)"
    )
    jobs_p = sub.add_parser("jobs", help="list stored requests, newest first")
    jobs_p.add_argument("--limit", type=int, default=None, help="at most this many")
    _add_store(jobs_p)
    status_p = sub.add_parser("status", help="one stored request")
    status_p.add_argument("ident", metavar="KEY|JOB_ID", help="request key (or prefix) or job id")
    _add_store(status_p)
    result_p = sub.add_parser("result", help="the result of a request (resumes it if unfinished)")
    result_p.add_argument("ident", metavar="KEY|JOB_ID", help="request key (or prefix) or job id")
    _add_store(result_p)
    from runtime.train.cli import add_train_parser  # light: no torch until it runs

    add_train_parser(sub)
    from runtime.study.cli import add_study_parser  # light: no dask until it runs

    add_study_parser(sub)
    return parser


def _say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def _request(args: argparse.Namespace) -> RunRequest:
    """The run the ``sample`` / ``estimate`` flags ask for (every value checked first)."""
    for option in ("--profile", "--ibm", "--local-ibm", "--parameters"):
        value = getattr(args, option.lstrip("-").replace("-", "_"))
        if value is not None and not value.strip():
            raise ResourceError(f"{option} needs a value, got an empty one")
    check_option(getattr(args, "shots", None), "--shots", minimum=1, maximum=MAX_SHOTS)
    check_option(getattr(args, "precision", None), "--precision", minimum=0, above=True)
    check_option(args.noise_scale, "--noise-scale", minimum=0)
    check_option(args.seed, "--seed", minimum=0, maximum=SEED_MAX)
    check_option(args.random_parameters, "--random-parameters", minimum=0, maximum=SEED_MAX)
    if args.ibm is not None:
        mode, backend = "ibm", args.ibm
    elif args.local_ibm is not None:
        mode, backend = "local-ibm", args.local_ibm
    else:
        mode, backend = args.mode or "ideal", None
    return RunRequest(
        command=args.command,
        artifact=args.artifact,
        profile=args.profile,
        mode=mode,
        backend=backend,
        noise_scale=args.noise_scale,
        seed=args.seed,
        shots=getattr(args, "shots", None),
        precision=getattr(args, "precision", None),
        parameters=args.parameters,
        random_parameters=args.random_parameters,
    )


def _result_text(result: SampleResult | EstimateResult, top: int = 8) -> list[str]:
    import numpy as np

    from runtime.execution.executor import SampleResult

    lines = []
    if isinstance(result, SampleResult):
        for i, pub in enumerate(result.counts):
            for j, counts in enumerate(pub):
                best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
                shown = ", ".join(f"{k}: {v}" for k, v in best)
                more = f" (+{len(counts) - top} more)" if len(counts) > top else ""
                lines.append(f"  pub {i} set {j}  {shown}{more}")
        return lines
    for i, (values, stds) in enumerate(zip(result.values, result.stds, strict=True)):
        for index in np.ndindex(np.shape(values)):
            lines.append(f"  pub {i} {list(index)}  {values[index]:+.6f} ± {stds[index]:.6f}")
    return lines


def _cmd_run(args: argparse.Namespace) -> int:
    return _run_and_print(_request(args), args.store, args.json, force=args.force)


def _run_and_print(request: RunRequest, store_path: str | None, as_json: bool, force: bool) -> int:
    from runtime.execution.artifact_runs import run_artifact
    from runtime.execution.jobstore import result_to_json

    outcome: RunOutcome = run_artifact(store_path, request, force=force, progress=_say)
    run = outcome.request
    if as_json:
        document: dict[str, Any] = {
            "key": outcome.key,
            "kind": run.command,
            "executor": outcome.executor,
            "profile": outcome.profile,
            "artifact": run.artifact,
            "result": result_to_json(outcome.result),
        }
        if outcome.distance is not None:
            document["ideal_key"] = outcome.ideal_key
            document["distance_to_ideal"] = outcome.distance
        print(json.dumps(document))
        return 0
    name = Path(run.artifact).name
    print(f"{run.command} {name} on {outcome.executor} ({outcome.profile})  key {outcome.key}")
    print("\n".join(_result_text(outcome.result)))
    if outcome.distance is not None:
        distance = outcome.distance
        print(f"  distance to ideal  {distance['metric']} max {distance['max']:.6f}")
    return 0


def _record_line(record: Any) -> str:
    amount = f"shots={record.shots}" if record.shots is not None else f"prec={record.precision}"
    return (
        f"{record.key[:12]}  {record.status:<9}  {record.kind:<8}  {record.executor:<20}  "
        f"{record.profile:<14}  {amount:<11}  {record.job_id or '-':<12}  {record.updated}"
    )


def _cmd_jobs(args: argparse.Namespace) -> int:
    from runtime.execution.jobstore import JobStore

    check_option(args.limit, "--limit", minimum=0)
    with JobStore(args.store) as store:
        records = store.records(args.limit)
    if args.json:
        print(json.dumps([r.to_dict(with_result=False) for r in records]))
    else:
        for record in records:
            print(_record_line(record))
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from runtime.execution.jobstore import JobStore

    with JobStore(args.store) as store:
        record = store.find(args.ident)
    if args.json:
        print(json.dumps(record.to_dict(with_result=False)))
        return 0
    for name, value in record.to_dict(with_result=False).items():
        if name not in ("spec", "fingerprint"):
            print(f"{name:<15} {value}")
    return 0


def _cmd_result(args: argparse.Namespace) -> int:
    from runtime.execution.jobstore import DONE, JobStore, result_from_json

    with JobStore(args.store) as store:
        record = store.find(args.ident)
    if record.status != DONE or record.result is None:
        if "command" not in record.spec:
            raise JobError(f"request {record.key[:12]} is {record.status} and was not made by qrun")
        request = RunRequest.from_spec(record.spec)  # a bad spec fails before the progress line
        _say(f"request {record.key[:12]} is {record.status}; resuming it")
        return _run_and_print(request, args.store, args.json, False)
    result = result_from_json(record.result)
    if args.json:
        print(json.dumps({**record.to_dict(with_result=False), "result": record.result}))
    else:
        print(f"{record.kind} on {record.executor} ({record.profile})  key {record.key}")
        print("\n".join(_result_text(result)))
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from runtime.train.cli import run_train

    return run_train(args)


def _cmd_study(args: argparse.Namespace) -> int:
    from runtime.study.cli import cmd_study

    return cmd_study(args)


_COMMANDS = {
    "sample": _cmd_run,
    "estimate": _cmd_run,
    "jobs": _cmd_jobs,
    "status": _cmd_status,
    "result": _cmd_result,
    "train": _cmd_train,
    "study": _cmd_study,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Runs ``qrun`` with ``argv`` (defaults to ``sys.argv[1:]``); returns the exit code."""
    from runtime.execution.secrets import redact_secrets

    args = _build_parser().parse_args(argv)
    if not os.environ.get("QATTN_DEBUG"):  # keep errors one line: no library log chatter
        logging.getLogger("qiskit_ibm_runtime").setLevel(logging.ERROR)
    return run_command(
        PROG,
        lambda: _COMMANDS[args.command](args),
        redact=redact_secrets,
        interrupted="interrupted (the request is stored; run it again to resume)",
    )


if __name__ == "__main__":
    sys.exit(main())
