"""Compile the model circuits for IBM Heron r2 and report what they cost.

Rows: QASA (published 9-qubit circuit); QLAM over T = 4…64 tokens; QAMA QAOA (p = 1) over
N·H = 4…24 spins (dense, and top-k sparsified with --top-k); QLACI over N = 4…64 entries
with each QRAM construction lowering its two lookups. Figures come from qattn's compile
report (heron_r2 profile: FakeFez with dead couplers excluded; optimization level 3,
fixed seed): active qubits, two-qubit gates, depth, two-qubit depth and the estimated
success probability (gates only: the model circuits are unmeasured). The last column is
the ratio of two-qubit gates to the multiplexer (QLACI) baseline measured in this run.
QLACI rows are compiled with random angles bound (the same for every QRAM kind): with
symbolic angles, the select-swap lowering inside QLACI did not finish transpiling (an
open issue), while every other row compiles its symbolic circuit (compile once, bind many).

Usage: .venv/bin/python benchmarks/models_bench.py [--top-k K] [--max-qlaci N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hardware_profiles import load_profile
from hardware_profiles.errors import CompileError
from qcompile.models.catalog import ModelSpec, build_model
from qcompile.pipeline import CompileOptions, compile_circuit

QLAM_TOKENS = (4, 8, 16, 32, 64)
QAMA_SPINS = (4, 8, 12, 16, 20, 24)  # N * H with H = 2 heads
QLACI_ENTRIES = (4, 8, 16, 32, 64)
QRAM_KINDS = ("multiplexer", "qrom", "select-swap", "bb-2q", "bucket-brigade")


def row(
    label: str, spec: ModelSpec, qram: str | None, baseline: int | None, bind: bool = False
) -> int | None:
    profile = load_profile("heron_r2")
    model = build_model(spec)
    circuit = model.circuit
    if bind:
        rng = np.random.default_rng(0)
        circuit = model.bind(
            rng.uniform(0, np.pi, len(model.inputs)), rng.uniform(0, np.pi, len(model.weights))
        )
        circuit.name = model.circuit.name
    options = CompileOptions(optimization_level=3, seed=1234, equivalence_max_qubits=0, qram=qram)
    start = time.perf_counter()
    try:
        report = compile_circuit(circuit, profile, options).report
    except CompileError as exc:
        print(f"{label:<34} {'-':>6} does not fit / compile: {exc}")
        return None
    elapsed = time.perf_counter() - start
    ratio = f"{report.two_qubit_gates / baseline:6.1f}" if baseline else "     -"
    print(
        f"{label:<34} {report.active_qubits:>6} {report.two_qubit_gates:>7} {report.depth:>7} "
        f"{report.two_qubit_depth:>7} {report.success_probability:>10.3e} {elapsed:>7.2f} {ratio}"
    )
    return report.two_qubit_gates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--top-k", type=int, default=None, help="also QAMA sparsified to top-k")
    parser.add_argument("--max-qlaci", type=int, default=64, help="largest QLACI N")
    args = parser.parse_args(argv)
    print("profile heron_r2 (IBM Heron r2, FakeFez), optimization level 3, seed 1234")
    header = (
        f"{'model':<34} {'qubits':>6} {'2q':>7} {'depth':>7} {'2q dep':>7} "
        f"{'est.succ':>10} {'t [s]':>7} {'x mux':>6}"
    )
    print(header)
    print("-" * len(header))
    row("qasa (published, 9 q)", ModelSpec("qasa", 1), None, None)
    for t in QLAM_TOKENS:
        row(f"qlam T={t} (m=8)", ModelSpec("qlam", t), None, None)
    for spins in QAMA_SPINS:
        row(f"qama qaoa p=1 H=2 N={spins // 2}", ModelSpec("qama", spins // 2), None, None)
        if args.top_k:
            spec = ModelSpec("qama", spins // 2, top_k=args.top_k)
            row(f"qama qaoa p=1 H=2 N={spins // 2} top{args.top_k}", spec, None, None)
    for n in (n for n in QLACI_ENTRIES if n <= args.max_qlaci):
        baseline = None
        for kind in QRAM_KINDS:
            label = f"qlaci N={n} (w=2) qram={kind}"
            got = row(label, ModelSpec("qlaci", n), kind, baseline, bind=True)
            if kind == "multiplexer":
                baseline = got
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
