"""The ``qcompile`` command line.

Subcommands: ``compile``, ``profiles`` (``list``, ``show NAME``), ``qram``, ``build``,
``estimate`` and ``demo``; ``--version`` prints the versions. Every
error a user can cause prints one line on stderr and exits with code 2; set
``QATTN_DEBUG=1`` to see tracebacks instead.

Parsing imports no Qiskit (``qcompile --help`` answers in a fraction of a second): the names it
offers come from :mod:`qcompile.names`, and each command imports what it runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hardware_profiles.cli_support import (
    SEED_MAX,
    OneLineParser,
    add_version_option,
    check_option,
    parse_sizes,
    run_command,
)
from hardware_profiles.defaults import DEFAULT_PROFILE
from qcompile.names import ESTIMATE_MODELS, MODEL_NAMES, QRAM_KINDS

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from qcompile.models import ModelCircuit
    from qcompile.pipeline import CompileOptions

__all__ = ["main"]

PROG = "qcompile"
_CIRCUIT_KINDS = ", ".join(k for k in QRAM_KINDS if k != "oracle")


def _add_compile_options(
    parser: argparse.ArgumentParser,
    profile_help: str = f"profile name or .toml file (default: {DEFAULT_PROFILE})",
) -> None:
    parser.add_argument("--profile", default=None, help=profile_help)
    parser.add_argument(
        "-O",
        "--optimization-level",
        type=int,
        default=None,
        choices=range(4),
        metavar="{0,1,2,3}",
        help="Qiskit preset optimization level (default: 3 with the QRAM pipeline, else 2)",
    )
    parser.add_argument(
        "--pipeline",
        choices=("best", "qiskit"),
        default="best",
        help="for QRAM lookups: best = the best measured layout and known-|0> routing per "
        "QRAM kind (qcompile.qram_pipeline); qiskit = Qiskit's preset pass manager only "
        "(default: best; --layout-method or --routing-method also turn it off)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed_transpiler (default: 0)")
    parser.add_argument(
        "--layout-method", default=None, help="layout stage plugin (default: Qiskit's choice)"
    )
    parser.add_argument(
        "--routing-method", default=None, help="routing stage plugin (default: Qiskit's choice)"
    )
    parser.add_argument(
        "--equivalence-max-qubits",
        type=int,
        default=12,
        help="check equivalence up to this many active qubits; 0 disables (default: 12)",
    )
    parser.add_argument(
        "--equivalence-timeout",
        type=float,
        default=10.0,
        help="seconds for the equivalence proof (default: 10)",
    )
    parser.add_argument(
        "--qram",
        default=None,
        help=f"lower QRAMQuery gates with: {_CIRCUIT_KINDS} (default: Qiskit's synthesis of "
        "the reference definition; qcompile build qlaci: multiplexer)",
    )
    parser.add_argument(
        "--out", default=None, help="artifact directory (default: out/<circuit>-<profile>)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress line on the terminal"
    )


def _build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog=PROG, description="Compile circuits for qattn device profiles.")
    add_version_option(parser, PROG)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    compile_p = sub.add_parser(
        "compile", help="compile an OpenQASM 2/3 or QPY circuit for a profile"
    )
    compile_p.add_argument("input", help="circuit file (.qasm, .qasm3 or .qpy)")
    _add_compile_options(compile_p)

    profiles_p = sub.add_parser("profiles", help="list profiles, or show one")
    profiles_sub = profiles_p.add_subparsers(dest="action", parser_class=OneLineParser)
    profiles_sub.add_parser("list", help="list profiles (default)")
    show_p = profiles_sub.add_parser("show", help="summary of one profile")
    show_p.add_argument("name", help="profile name or .toml file")
    show_p.add_argument("--json", action="store_true", help="print the summary as JSON")

    qram_p = sub.add_parser(
        "qram", help="costs of a QRAM construction: analytic, built, and compiled on a profile"
    )
    qram_p.add_argument(
        "--kind",
        required=True,
        help=f"{_CIRCUIT_KINDS} or oracle",
    )
    qram_p.add_argument("--address-bits", "-n", type=int, required=True, help="n (N = 2^n)")
    qram_p.add_argument("--word-bits", "-b", type=int, default=1, help="b (default: 1)")
    qram_p.add_argument(
        "--mode", default="bits", choices=("bits", "ry", "phase"), help="how words are loaded"
    )
    qram_p.add_argument("--words-seed", type=int, default=0, help="seed of the random words")
    _add_compile_options(
        qram_p,
        profile_help="also compile the built circuit for this profile (name or .toml file); "
        "without it (the default) only the analytic and built figures are given",
    )

    build_p = sub.add_parser(
        "build", help="build a model circuit (QLACI, QLAM, QASA, QAMA) and compile it"
    )
    build_p.add_argument("model", choices=MODEL_NAMES, help="model")
    build_p.add_argument(
        "--seq-len",
        type=int,
        required=True,
        help="QLACI entries N (padded to a power of two), QLAM tokens T, QAMA tokens per head",
    )
    build_p.add_argument(
        "--layers", type=int, default=None, help="model layers / QAOA depth (default: the model's)"
    )
    build_p.add_argument("--heads", type=int, default=2, help="QAMA heads (default: 2)")
    build_p.add_argument(
        "--width",
        type=int,
        default=None,
        help="QLACI qubits per register; QLAM memory qubits (default: the model's)",
    )
    build_p.add_argument(
        "--top-k", type=int, default=None, help="QAMA: sparsify couplings (default: keep all)"
    )
    build_p.add_argument("--model-seed", type=int, default=0, help="QAMA instance seed")
    _add_compile_options(build_p)

    est_p = sub.add_parser(
        "estimate", help="resource estimates over N, QRAM kinds and profiles (JSON, MD, HTML)"
    )
    est_p.add_argument("model", choices=ESTIMATE_MODELS, help="model")
    est_p.add_argument(
        "--seq-len", required=True, help="N or LO..HI: every power of two in the range"
    )
    est_p.add_argument("--qram", default="all", help="all, or KIND[,KIND] (QLACI only)")
    est_p.add_argument(
        "--profile", default=DEFAULT_PROFILE, help="profile name(s), comma separated"
    )
    est_p.add_argument(
        "--compile-max-qubits",
        type=int,
        default=64,
        help="compile circuits up to this width; wider ones are extrapolated by the routing "
        "model fitted on the compiled ones (default: 64)",
    )
    est_p.add_argument(
        "--time-budget",
        type=float,
        default=30.0,
        help="seconds of compilation in all, after the smallest size of each QRAM kind and "
        "profile (always compiled); 0 compiles nothing (default: 30)",
    )
    est_p.add_argument("--head-dim", type=int, default=64, help="classical head dim d (64)")
    est_p.add_argument("--out", default="out/estimate", help="output directory")
    est_p.add_argument(
        "--html",
        default=None,
        metavar="DIR",
        help="directory of the HTML page and its SVG/PDF figures (default: --out)",
    )
    est_p.add_argument(
        "--qdk-seq-len",
        default="16",
        help="lookup sizes N compared with Microsoft's qdk estimator (N, LO..HI or none)",
    )
    est_p.add_argument("--json", action="store_true", help="print the report as JSON")

    demo_p = sub.add_parser(
        "demo", help="compile the embedded 16-entry lookup sample and print its report"
    )
    _add_compile_options(demo_p)
    return parser


def _check_names(args: argparse.Namespace, *options: str) -> None:
    from hardware_profiles.errors import ResourceError

    for option in options:
        value = getattr(args, option.lstrip("-").replace("-", "_"), None)
        if value is not None and not value.strip():
            raise ResourceError(f"{option} needs a name, got an empty one")


def _quiet(args: argparse.Namespace) -> bool:
    """No progress line: machine-read output, or asked for."""
    return bool(getattr(args, "json", False) or getattr(args, "no_progress", False))


def _options(args: argparse.Namespace) -> CompileOptions:
    from qcompile.pipeline import CompileOptions

    # Every value is checked before any work: NaN, infinity and impossible sizes never get
    # as far as a library that would misread them.
    _check_names(args, "--profile", "--layout-method", "--routing-method", "--qram")
    check_option(args.seed, "--seed", minimum=0, maximum=SEED_MAX)
    check_option(args.equivalence_max_qubits, "--equivalence-max-qubits", minimum=0)
    check_option(args.equivalence_timeout, "--equivalence-timeout", minimum=0, above=True)
    return CompileOptions(
        optimization_level=2 if args.optimization_level is None else args.optimization_level,
        seed=args.seed,
        layout_method=args.layout_method,
        routing_method=args.routing_method,
        equivalence_max_qubits=args.equivalence_max_qubits,
        equivalence_timeout=args.equivalence_timeout,
        qram=args.qram,
    )


def _qram_pipeline(
    options: CompileOptions, args: argparse.Namespace, kind: str | None, num_inputs: int
) -> CompileOptions:
    """``options`` with the best QRAM pipeline for ``kind``, unless the user said otherwise."""
    if kind is None or args.pipeline != "best" or args.layout_method or args.routing_method:
        return options
    from qcompile.qram_pipeline import best_qram_options

    best = best_qram_options(kind, options, num_inputs=num_inputs, lowered=options.qram is not None)
    if args.optimization_level is not None:
        best = dataclasses.replace(best, optimization_level=args.optimization_level)
    return best


def _compile_and_report(
    circuit: QuantumCircuit,
    options: CompileOptions,
    args: argparse.Namespace,
    default_out: str,
    model: ModelCircuit | None = None,
) -> int:
    from hardware_profiles import load_profile
    from qcompile.compile_progress import compile_progress
    from qcompile.pipeline import compile_circuit, compile_model

    profile = load_profile(args.profile or DEFAULT_PROFILE)
    what = f"{PROG} {args.command}: {circuit.name} for {profile.name}"
    with compile_progress(what, quiet=_quiet(args)):
        if model is not None:
            result = compile_model(model, profile, options)
        else:
            result = compile_circuit(circuit, profile, options)
    out = args.out or os.path.join("out", default_out)
    extra = dict(result.artifact.model) if result.artifact.model else None
    paths = result.artifact.save(out)
    if args.json:
        print(json.dumps({**result.report.to_dict(), **({"model": extra} if extra else {})}))
    else:
        print(result.report.to_text())
        print(f"  artifact         {paths.qpy}, {paths.qasm3}, {paths.report_json}")
    return 0


def _cmd_compile(args: argparse.Namespace) -> int:
    from qcompile.circuit_io import load_circuit

    options = _options(args)  # bad options fail before any file is read
    circuit = load_circuit(args.input)
    options = _qram_pipeline(options, args, options.qram, circuit.num_qubits)
    profile_name = os.path.splitext(os.path.basename(args.profile or DEFAULT_PROFILE))[0]
    return _compile_and_report(circuit, options, args, f"{circuit.name}-{profile_name}")


def _cmd_build(args: argparse.Namespace) -> int:
    from qcompile.models.catalog import ModelSpec, build_model

    options = _options(args)
    # Built circuits are real QuantumCircuits: sizes past these never fit any profile.
    check_option(args.seq_len, "--seq-len", minimum=1, maximum=2**16)
    check_option(args.layers, "--layers", minimum=0, maximum=1024)
    check_option(args.heads, "--heads", minimum=1, maximum=1024)
    check_option(args.width, "--width", minimum=1, maximum=1024)
    check_option(args.top_k, "--top-k", minimum=0)
    check_option(args.model_seed, "--model-seed", minimum=0, maximum=SEED_MAX)
    if args.model == "qlaci" and options.qram is None:
        options = dataclasses.replace(options, qram="multiplexer")
    spec = ModelSpec(
        name=args.model,
        seq_len=args.seq_len,
        layers=args.layers,
        heads=args.heads,
        width=args.width,
        top_k=args.top_k,
        seed=args.model_seed,
    )
    from qcompile.compile_progress import compile_progress

    with compile_progress(f"{PROG} build: building {args.model}", quiet=_quiet(args)):
        model = build_model(spec)
    options = _qram_pipeline(options, args, options.qram, model.circuit.num_qubits)
    profile_name = os.path.splitext(os.path.basename(args.profile or DEFAULT_PROFILE))[0]
    name = f"{model.circuit.name}-{profile_name}"
    return _compile_and_report(model.circuit, options, args, name, model=model)


def _cmd_demo(args: argparse.Namespace) -> int:
    from qcompile.samples import multiplexed_lookup

    return _compile_and_report(multiplexed_lookup(), _options(args), args, "demo")


def _cmd_profiles(args: argparse.Namespace) -> int:
    from hardware_profiles import list_profiles, load_profile, summarize_profile

    if args.action == "show":
        summary = summarize_profile(load_profile(args.name))
        if args.json:
            from dataclasses import asdict

            print(json.dumps(asdict(summary), indent=2))
        else:
            print(summary.render())
        return 0
    profiles = list_profiles()
    width = max(len(p.name) for p in profiles)
    for profile in profiles:
        print(f"{profile.name:<{width}}  {profile.kind:<14}  {profile.description}")
    return 0


def _cmd_qram(args: argparse.Namespace) -> int:
    from qcompile.qram_report import qram_cost_report

    options = _options(args)
    check_option(args.address_bits, "--address-bits", minimum=0)
    check_option(args.word_bits, "--word-bits", minimum=1, maximum=1024)
    check_option(args.words_seed, "--words-seed", minimum=0, maximum=SEED_MAX)
    profile = None
    if args.profile is not None:
        from hardware_profiles import load_profile

        profile = load_profile(args.profile)
    if args.kind != "oracle":
        options = _qram_pipeline(options, args, args.kind, args.address_bits + args.word_bits)
    from qcompile.compile_progress import compile_progress

    with compile_progress(f"{PROG} qram: {args.kind}", quiet=_quiet(args)):
        report = qram_cost_report(
            args.kind,
            args.address_bits,
            args.word_bits,
            args.mode,
            profile=profile,
            options=options,
            seed=args.words_seed,
        )
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.to_text())
    return 0


def _cmd_estimate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hardware_profiles.errors import ResourceError
    from qcompile.estimate import QRAM_KINDS, estimate
    from qcompile.estimate.output import write_report
    from qcompile.estimate.report import summary_line

    def seq_lens(text: str, option: str) -> list[int]:
        return parse_sizes([text], option=option, minimum=2, maximum=2**30, powers_of_two_only=True)

    sizes = seq_lens(args.seq_len, "--seq-len")
    kinds = list(QRAM_KINDS) if args.qram == "all" else [k for k in args.qram.split(",") if k]
    if args.head_dim < 1 or args.compile_max_qubits < 0 or not args.time_budget >= 0:
        raise ResourceError("--head-dim must be >= 1; --compile-max-qubits, --time-budget >= 0")
    qdk_sizes = [] if args.qdk_seq_len == "none" else seq_lens(args.qdk_seq_len, "--qdk-seq-len")
    report = estimate(
        args.model,
        sizes,
        kinds,
        [p for p in args.profile.split(",") if p],
        compile_max_qubits=args.compile_max_qubits,
        time_budget=args.time_budget,
        head_dim=args.head_dim,
        qdk_seq_lens=qdk_sizes,
        progress=not args.json,  # drawn only when stderr is a terminal
    )
    written = write_report(report, Path(args.out), Path(args.html) if args.html else None)
    if args.json:
        print(json.dumps({"report_id": written.report_id, **report.to_dict()}))
    else:
        print(
            f"{summary_line(report)}: {written.markdown}, {written.html} "
            f"(+{len(written.figures)} SVG/PDF figures), {written.json}"
        )
    return 0


_COMMANDS = {
    "compile": _cmd_compile,
    "profiles": _cmd_profiles,
    "demo": _cmd_demo,
    "qram": _cmd_qram,
    "build": _cmd_build,
    "estimate": _cmd_estimate,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Runs ``qcompile`` with ``argv`` (defaults to ``sys.argv[1:]``); returns the exit code."""
    args = _build_parser().parse_args(argv)
    return run_command(PROG, lambda: _COMMANDS[args.command](args))


if __name__ == "__main__":
    sys.exit(main())
