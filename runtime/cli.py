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

from hardware_profiles.cli_support import OneLineParser, run_command
from hardware_profiles.errors import CircuitInputError, JobError, ProfileError

if TYPE_CHECKING:
    import numpy as np
    from qiskit import QuantumCircuit

    from hardware_profiles import DeviceProfile
    from runtime.execution.executor import (
        EstimateResult,
        EstimatorPub,
        Executor,
        SampleResult,
        SamplerPub,
    )
    from runtime.execution.jobstore import JobStore

__all__ = ["main", "make_executor"]

PROG = "qrun"


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


def make_executor(
    mode: str,
    profile: DeviceProfile,
    *,
    backend: str | None = None,
    noise_scale: float = 1.0,
    seed: int | None = None,
) -> Executor:
    """The executor for the command-line flags: ``ideal``, ``noisy``, ``ibm`` or ``local-ibm``.

    Raises:
        JobError: the executor's module is not installed, or the flags do not fit it.
    """
    try:
        if mode in ("ideal", "noisy"):
            from runtime.execution.aer import AerExecutor

            return AerExecutor(profile, noisy=mode == "noisy", noise_scale=noise_scale, seed=seed)
        from runtime.execution.ibm import IBMExecutor

        if backend is None:
            raise JobError(f"the {mode} executor needs a backend name")
        if mode == "local-ibm":
            return IBMExecutor.local(backend, seed=seed, noise_scale=noise_scale)
        return IBMExecutor(backend)
    except ImportError as exc:
        raise JobError(f"the {mode} executor is not available ({exc})") from None
    except TypeError as exc:
        raise JobError(f"the {mode} executor does not accept these settings ({exc})") from None


def _say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def _find_qpy(artifact: str) -> Path:
    path = Path(artifact)
    if path.is_dir():
        found = sorted(path.glob("*.qpy"))
        if len(found) != 1:
            what = "no .qpy file" if not found else f"{len(found)} .qpy files; name one"
            raise CircuitInputError(f"{artifact}: {what}")
        return found[0].resolve()
    if not path.is_file():
        raise CircuitInputError(f"{artifact}: no such artifact file or directory")
    return path.resolve()


def _load_circuit(qpy_path: Path) -> QuantumCircuit:
    from qcompile.artifact import load_artifact_circuit

    try:
        return load_artifact_circuit(qpy_path)
    except Exception as exc:  # QPY raises many types on malformed input
        message = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise CircuitInputError(f"{qpy_path}: not a readable QPY circuit ({message})") from None


def _resolve_profile(requested: str | None, circuit: QuantumCircuit) -> DeviceProfile:
    from hardware_profiles import load_profile

    compiled_for = (circuit.metadata or {}).get("qattn", {}).get("profile")
    if requested is None and compiled_for is None:
        raise ProfileError("the artifact names no profile; pass --profile")
    profile = load_profile(requested or compiled_for)
    if compiled_for is not None and profile.name != compiled_for:
        raise ProfileError(
            f"the artifact was compiled for {compiled_for}, not {profile.name}; recompile it"
        )
    return profile


def _parameter_values(args: argparse.Namespace, num_parameters: int) -> np.ndarray:
    import numpy as np

    if args.parameters is not None:
        try:
            if str(args.parameters).endswith(".npy"):
                values = np.load(args.parameters)
            else:
                values = np.asarray(json.loads(Path(args.parameters).read_text()), dtype=float)
        except (OSError, ValueError, TypeError) as exc:
            raise CircuitInputError(f"{args.parameters}: not parameter values ({exc})") from None
    elif args.random_parameters is not None:
        rng = np.random.default_rng(args.random_parameters)
        values = rng.uniform(0.0, 2 * np.pi, num_parameters)
    elif num_parameters:
        raise CircuitInputError(
            f"the circuit has {num_parameters} parameters; pass --parameters or --random-parameters"
        )
    else:
        return np.zeros(0)
    if values.ndim == 0 or values.shape[-1] != num_parameters:
        raise CircuitInputError(
            f"parameter values of shape {values.shape}, the circuit has {num_parameters}"
        )
    return np.asarray(values, dtype=float)


def _measured(circuit: QuantumCircuit) -> QuantumCircuit:
    """The circuit with its logical qubits measured (in logical order) if it measures none."""
    from qiskit import ClassicalRegister

    if "measure" in circuit.count_ops():
        return circuit
    if circuit.layout is None:
        return circuit.measure_active(inplace=False)
    physical = circuit.layout.final_index_layout(filter_ancillas=True)
    measured = circuit.copy()
    register = ClassicalRegister(len(physical), "meas")
    measured.add_register(register)
    for bit, qubit in enumerate(physical):
        measured.measure(qubit, register[bit])
    return measured


def _observables(qpy_path: Path, num_qubits: int) -> tuple[Any, ...]:
    from qiskit.quantum_info import SparsePauliOp

    path = qpy_path.with_name(qpy_path.name.removesuffix(".qpy") + ".observables.json")
    if not path.is_file():
        raise CircuitInputError(
            f"{path.name}: missing; estimate needs a model artifact (qcompile build)"
        )
    try:
        document = json.loads(path.read_text())
        return tuple(
            SparsePauliOp.from_sparse_list(
                [(label, qubits, complex(*coeff)) for label, qubits, coeff in terms], num_qubits
            )
            for terms in document["isa"]
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CircuitInputError(f"{path}: malformed observables ({exc})") from None


def _pubs(
    args: argparse.Namespace, qpy_path: Path, circuit: QuantumCircuit
) -> list[SamplerPub] | list[EstimatorPub]:
    from runtime.execution.executor import EstimatorPub, SamplerPub

    values = _parameter_values(args, circuit.num_parameters)
    if args.command == "sample":
        return [SamplerPub(_measured(circuit), values)]
    unmeasured = circuit.remove_final_measurements(inplace=False)
    return [EstimatorPub(unmeasured, _observables(qpy_path, circuit.num_qubits), values)]


def _mode(args: argparse.Namespace) -> tuple[str, str | None]:
    if args.ibm is not None:
        return "ibm", args.ibm
    if args.local_ibm is not None:
        return "local-ibm", args.local_ibm
    return args.mode or "ideal", None


def _execute(
    store: JobStore,
    args: argparse.Namespace,
    mode: str,
    backend: str | None,
    profile: DeviceProfile,
    pubs: Sequence[SamplerPub] | Sequence[EstimatorPub],
    qpy_path: Path,
    force: bool,
) -> tuple[str, str, SampleResult | EstimateResult]:
    from runtime.execution.jobstore import run_request

    noise_scale = args.noise_scale if mode in ("noisy", "local-ibm") else None
    executor = make_executor(
        mode, profile, backend=backend, noise_scale=args.noise_scale, seed=args.seed
    )
    spec = {
        "command": args.command,
        "artifact": str(qpy_path),
        "profile": profile.name,
        "mode": mode,
        "backend": backend,
        "noise_scale": args.noise_scale,
        "seed": args.seed,
        "shots": getattr(args, "shots", None),
        "precision": getattr(args, "precision", None),
        "parameters": str(Path(args.parameters).resolve()) if args.parameters else None,
        "random_parameters": args.random_parameters,
    }
    key, result = run_request(
        store,
        executor,
        args.command,
        pubs,
        shots=getattr(args, "shots", None),
        precision=getattr(args, "precision", None),
        profile=profile.name,
        options={"mode": mode, "backend": backend, "noise_scale": noise_scale, "seed": args.seed},
        artifact=str(qpy_path),
        spec=spec,
        force=force,
        progress=_say,
    )
    return key, executor.name, result


def _total_variation(p: dict[str, int], q: dict[str, int]) -> float:
    np_, nq = sum(p.values()) or 1, sum(q.values()) or 1
    return 0.5 * sum(abs(p.get(k, 0) / np_ - q.get(k, 0) / nq) for k in set(p) | set(q))


def _distance(
    noisy: SampleResult | EstimateResult, ideal: SampleResult | EstimateResult
) -> dict[str, Any]:
    import numpy as np

    from runtime.execution.executor import SampleResult

    if isinstance(noisy, SampleResult) and isinstance(ideal, SampleResult):
        tvs = [
            _total_variation(dict(a), dict(b))
            for pa, pb in zip(noisy.counts, ideal.counts, strict=True)
            for a, b in zip(pa, pb, strict=True)
        ]
        return {"metric": "total_variation", "max": max(tvs), "per_parameter_set": tvs}
    assert not isinstance(noisy, SampleResult) and not isinstance(ideal, SampleResult)
    errors = [
        np.abs(np.asarray(a) - np.asarray(b))
        for a, b in zip(noisy.values, ideal.values, strict=True)
    ]
    flat = np.concatenate([e.ravel() for e in errors]) if errors else np.zeros(0)
    return {
        "metric": "absolute_error",
        "max": float(flat.max()) if flat.size else 0.0,
        "mean": float(flat.mean()) if flat.size else 0.0,
        "per_pub": [e.tolist() for e in errors],
    }


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
    from runtime.execution.jobstore import JobStore, result_to_json

    if getattr(args, "shots", 1) is not None and getattr(args, "shots", 1) < 1:
        raise JobError("--shots must be at least 1")
    if getattr(args, "precision", None) is not None and args.precision <= 0:
        raise JobError("--precision must be positive")
    if args.noise_scale < 0:
        raise JobError("--noise-scale must be non-negative")
    qpy_path = _find_qpy(args.artifact)
    circuit = _load_circuit(qpy_path)
    profile = _resolve_profile(args.profile, circuit)
    pubs = _pubs(args, qpy_path, circuit)
    mode, backend = _mode(args)
    with JobStore(args.store) as store:
        key, name, result = _execute(
            store, args, mode, backend, profile, pubs, qpy_path, args.force
        )
        distance = ideal_key = None
        if mode != "ideal":  # noisy simulation or hardware: how far from the ideal?
            ideal_key, _, ideal = _execute(
                store, args, "ideal", None, profile, pubs, qpy_path, args.force
            )
            distance = _distance(result, ideal)
    if args.json:
        document = {
            "key": key,
            "kind": args.command,
            "executor": name,
            "profile": profile.name,
            "artifact": str(qpy_path),
            "result": result_to_json(result),
        }
        if distance is not None:
            document["ideal_key"] = ideal_key
            document["distance_to_ideal"] = distance
        print(json.dumps(document))
        return 0
    print(f"{args.command} {qpy_path.name} on {name} ({profile.name})  key {key}")
    print("\n".join(_result_text(result)))
    if distance is not None:
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
        spec = record.spec
        if "command" not in spec:
            raise JobError(f"request {record.key[:12]} is {record.status} and was not made by qrun")
        _say(f"request {record.key[:12]} is {record.status}; resuming it")
        resumed = argparse.Namespace(
            command=spec["command"],
            artifact=spec["artifact"],
            profile=spec["profile"],
            mode=spec["mode"] if spec["mode"] in ("ideal", "noisy") else None,
            ibm=spec["backend"] if spec["mode"] == "ibm" else None,
            local_ibm=spec["backend"] if spec["mode"] == "local-ibm" else None,
            noise_scale=spec["noise_scale"],
            seed=spec["seed"],
            shots=spec["shots"],
            precision=spec["precision"],
            parameters=spec["parameters"],
            random_parameters=spec["random_parameters"],
            force=False,
            json=args.json,
            store=args.store,
        )
        return _cmd_run(resumed)
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
