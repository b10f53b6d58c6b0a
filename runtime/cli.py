"""The ``qrun`` command line: run compiled artifacts, remember every run.

Subcommands: ``sample`` and ``estimate`` (run an artifact's ISA circuit on Aer, ideal or
noisy, or on IBM Quantum: job, batch or session mode, any instance and channel, the least busy
backend, resilience options), ``jobs`` (list the job store), ``status`` and ``result`` (one
request by key, key prefix or job id; ``result`` resumes an unfinished request from a
fresh process; a job id the store does not know is fetched from IBM Quantum). Every request
goes through the job store (:mod:`runtime.execution.jobstore`), so the same command twice
executes once (``--force`` executes again) and a killed run resumes. A run that is not ideal
(noisy Aer, IBM, local IBM) prints its distance to the ideal result: the total variation
distance of the counts to the circuit's exact distribution, beside the shot-noise floor (what
an ideal device would show at that shot count), or the absolute error of expectation values.
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

from hardware_profiles.cli_support import (
    SEED_MAX,
    OneLineParser,
    check_option,
    comma_list,
    run_command,
)
from hardware_profiles.errors import JobError, ResourceError
from runtime.execution.artifact_runs import (
    EXECUTION_MODES,
    RunOutcome,
    RunRequest,
    make_executor,
)
from runtime.execution.mitigation import DD_SEQUENCES, ZNE_EXTRAPOLATORS, MitigationOptions

if TYPE_CHECKING:
    from runtime.execution.executor import EstimateResult, SampleResult

__all__ = ["main", "make_executor"]

PROG = "qrun"

MAX_SHOTS = 2**30
"""The most shots one request may ask for (2^30, about 10^9): past it a count is a typo."""


def _add_store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=None,
        help="job store file (default: $QATTN_JOBSTORE or ~/.qattn/jobs.sqlite)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print JSON for machines (default: text)"
    )


def _add_account(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--instance",
        default=None,
        help="IBM Cloud instance, CRN or name (default: $QISKIT_IBM_INSTANCE, else the saved "
        "account's)",
    )
    parser.add_argument(
        "--channel",
        default=None,
        choices=("ibm_quantum_platform", "ibm_cloud"),
        help="IBM channel (default: $QISKIT_IBM_CHANNEL, else the saved account's, else "
        "ibm_quantum_platform)",
    )


def _add_ibm_options(parser: argparse.ArgumentParser) -> None:
    ibm = parser.add_argument_group(
        "IBM Quantum (--ibm; mitigation also --local-ibm)",
        "mitigation options map onto qiskit-ibm-runtime's own; left out, IBM's defaults apply",
    )
    ibm.add_argument(
        "--mode",
        dest="execution_mode",
        choices=EXECUTION_MODES,
        default="job",
        help="execution mode (default: job)",
    )
    _add_account(ibm)
    ibm.add_argument(
        "--resilience-level",
        type=int,
        choices=(0, 1, 2),
        default=None,
        help="estimator resilience: 0 none, 1 TREX, 2 TREX and ZNE (default: IBM's, 1)",
    )
    ibm.add_argument(
        "--twirling",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Pauli-twirl gates and measurements (default: IBM's for the level)",
    )
    ibm.add_argument(
        "--dd",
        dest="dynamical_decoupling",
        choices=DD_SEQUENCES,
        default=None,
        help="dynamical decoupling with this sequence (default: off)",
    )
    ibm.add_argument(
        "--measure-mitigation",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="TREX readout mitigation, estimate only (default: IBM's, on at level 1 and 2)",
    )
    ibm.add_argument(
        "--zne",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="zero-noise extrapolation, estimate only (default: IBM's, on at level 2)",
    )
    ibm.add_argument(
        "--zne-noise-factors",
        nargs="+",
        action=comma_list(float),
        default=None,
        metavar="FACTORS",
        help="ZNE noise amplification factors, e.g. 1,3,5 (default: IBM's)",
    )
    ibm.add_argument(
        "--zne-extrapolator",
        choices=ZNE_EXTRAPOLATORS,
        default=None,
        metavar="NAME",
        help=f"ZNE extrapolator: {', '.join(ZNE_EXTRAPOLATORS)} (default: IBM's, exponential "
        "then linear)",
    )


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("artifact", help="the artifact's .qpy file or its directory")
    parser.add_argument(
        "--profile", default=None, help="profile name or .toml (default: the artifact's)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--ideal", dest="where", action="store_const", const="ideal", help="Aer, no noise (default)"
    )
    where.add_argument(
        "--noisy",
        dest="where",
        action="store_const",
        const="noisy",
        help="Aer, profile's noise (default: --ideal)",
    )
    where.add_argument(
        "--ibm",
        metavar="BACKEND",
        default=None,
        help="IBM Quantum backend name, or least_busy: the least busy one that runs the "
        "circuit as compiled (default: not IBM)",
    )
    where.add_argument(
        "--local-ibm",
        metavar="FAKE",
        default=None,
        help="IBM fake backend (FakeFez...), local testing mode (default: not IBM)",
    )
    parser.add_argument(
        "--noise-scale", type=float, default=1.0, help="scale the noise model (default: 1)"
    )
    parser.add_argument("--seed", type=int, default=None, help="simulator seed (default: none)")
    parser.add_argument(
        "--parameters",
        default=None,
        help="parameter values: .json list (or list of lists), .npy (default: none)",
    )
    parser.add_argument(
        "--random-parameters",
        type=int,
        default=None,
        metavar="SEED",
        help="uniform parameter values in [0, 2π) from this seed (default: none)",
    )
    parser.add_argument(
        "--force", action="store_true", help="execute even if already stored (default: off)"
    )
    _add_store(parser)
    _add_ibm_options(parser)


def _build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG, description="Run compiled qattn artifacts; every run is stored."
    )
    from hardware_profiles.cli_support import add_version_option

    add_version_option(parser, PROG)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    sample_p = sub.add_parser("sample", help="sample the artifact's circuit (counts)")
    _add_run_options(sample_p)
    sample_p.add_argument("--shots", type=int, default=1024, help="shots (default: 1024)")
    estimate_p = sub.add_parser("estimate", help="expectations of the artifact's observables")
    _add_run_options(estimate_p)
    estimate_p.add_argument(
        "--precision",
        type=float,
        default=None,
        help="target precision (default: the executor's: exact on Aer, 1/64 on IBM)",
    )
    jobs_p = sub.add_parser("jobs", help="list stored requests, newest first")
    jobs_p.add_argument("--limit", type=int, default=None, help="at most this many (default: all)")
    _add_store(jobs_p)
    status_p = sub.add_parser(
        "status", help="one request, or any IBM Quantum job by id (not only stored ones)"
    )
    status_p.add_argument("ident", metavar="KEY|JOB_ID", help="request key (or prefix) or job id")
    _add_store(status_p)
    _add_account(status_p)
    result_p = sub.add_parser(
        "result",
        help="the result of a request (resumes it if unfinished), or of any IBM Quantum job",
    )
    result_p.add_argument("ident", metavar="KEY|JOB_ID", help="request key (or prefix) or job id")
    _add_store(result_p)
    _add_account(result_p)
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
        mode, backend = args.where or "ideal", None
    mitigation = MitigationOptions(
        resilience_level=args.resilience_level,
        twirling=args.twirling,
        dynamical_decoupling=args.dynamical_decoupling,
        measure_mitigation=args.measure_mitigation,
        zne=args.zne,
        zne_noise_factors=tuple(args.zne_noise_factors) if args.zne_noise_factors else None,
        zne_extrapolator=args.zne_extrapolator,
    )
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
        execution_mode=args.execution_mode,
        instance=args.instance,
        channel=args.channel,
        mitigation=mitigation,
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
            if outcome.ideal_key is not None:
                document["ideal_key"] = outcome.ideal_key
            document["distance_to_ideal"] = outcome.distance
        print(json.dumps(document))
        return 0
    name = Path(run.artifact).name
    print(f"{run.command} {name} on {outcome.executor} ({outcome.profile})  key {outcome.key}")
    print("\n".join(_result_text(outcome.result)))
    if outcome.distance is not None:
        print(_distance_line(outcome.distance))
    return 0


def _distance_line(distance: dict[str, Any]) -> str:
    line = f"  distance to ideal  {distance['metric']} max {distance['max']:.6f}"
    if distance.get("reference") == "exact":
        return (
            f"{line} (exact ideal distribution; shot-noise floor {distance['shot_noise_floor']:.6f}"
            f" = expected for a perfect device at {distance['shots']} shots)"
        )
    if distance.get("reference") == "sampled":
        return f"{line} (vs an ideal finite-shot run: no exact distribution for this circuit)"
    return line


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


def _remote_job(args: argparse.Namespace, store_path: Path) -> Any:
    """The IBM Quantum job ``args.ident``, for an id the store does not know."""
    from runtime.execution.ibm import fetch_job

    try:
        return fetch_job(args.ident.strip(), args.channel, args.instance)
    except JobError as error:
        raise JobError(
            f"{args.ident.strip()}: no such request key or job id in {store_path}, nor on IBM "
            f"Quantum ({error})"
        ) from None


def _cmd_status(args: argparse.Namespace) -> int:
    from runtime.execution.jobstore import JobStore

    with JobStore(args.store) as store:
        record = store.lookup(args.ident)
        path = store.path
    if record is None:
        remote = _remote_job(args, path)
        if args.json:
            print(json.dumps(remote.to_dict()))
        else:
            for name, value in remote.to_dict().items():
                print(f"{name:<15} {value}")
        return 0
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
        record = store.lookup(args.ident)
        path = store.path
    if record is None:
        from runtime.execution.jobstore import result_to_json

        remote = _remote_job(args, path)
        fetched = remote.handle.result()
        if args.json:
            print(json.dumps({**remote.to_dict(), "result": result_to_json(fetched)}))
        else:
            kind = "estimate" if fetched.__class__.__name__ == "EstimateResult" else "sample"
            print(f"{kind} on ibm:{remote.backend} (job {remote.job_id}, not in the store)")
            print("\n".join(_result_text(fetched)))
        return 0
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
