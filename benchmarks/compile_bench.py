"""Compile benchmark: qattn's compile_circuit vs a plain generate_preset_pass_manager run.

For each test circuit on IBM Heron r2 (heron_r2 profile), both paths use the same Target,
optimization level and seed, so the circuits must come out identical ("same quality");
"t no-eq" is qattn without the equivalence check (transpile + ISA check + report),
"t qattn" with it; the ratio column is qattn's full wall time over the plain
transpile's, all measured here in the same run (best of R).

Run: .venv/bin/python benchmarks/compile_bench.py [--level 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import QFTGate, UCRYGate
from qiskit.circuit.random import random_circuit
from qiskit.transpiler import generate_preset_pass_manager

from hardware_profiles import load_profile
from qcompile.pipeline import CompileOptions, compile_circuit
from qcompile.report import is_two_qubit, two_qubit_depth


def circuits() -> list[QuantumCircuit]:
    out = []
    for n in (5, 12, 40):
        qc = QuantumCircuit(n, name=f"ghz{n}")
        qc.h(0)
        for i in range(n - 1):
            qc.cx(i, i + 1)
        out.append(qc)
    for n in (4, 8, 12):
        qc = QuantumCircuit(n, name=f"qft{n}")
        qc.append(QFTGate(n), range(n))
        out.append(qc)
    for n, seed in ((6, 1), (10, 2)):
        qc = random_circuit(n, 8, max_operands=2, seed=seed)
        qc.name = f"random{n}"
        out.append(qc)
    angles = np.random.default_rng(0).uniform(0, np.pi, 16)
    qc = QuantumCircuit(5, name="lookup16")
    qc.h(range(1, 5))
    qc.append(UCRYGate([float(a) for a in angles]), range(5))
    out.append(qc)
    return out


def best_of(repeats: int, fn):  # type: ignore[no-untyped-def]
    best, value = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--level", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", default="heron_r2")
    args = parser.parse_args()
    profile = load_profile(args.profile)
    target = profile.target()
    options = CompileOptions(optimization_level=args.level, seed=0)
    no_equivalence = CompileOptions(optimization_level=args.level, seed=0, equivalence_max_qubits=0)
    print(f"profile {profile.name}, optimization level {args.level}, best of {args.repeats}")
    header = (
        f"{'circuit':<10} {'2q qattn':>8} {'2q plain':>8} {'depth q/p':>11} {'2qd q/p':>9} "
        f"{'est.success':>11} {'equiv':>11} {'t plain':>8} {'t no-eq':>8} {'t qattn':>8} "
        f"{'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for circuit in circuits():
        pm = generate_preset_pass_manager(
            optimization_level=args.level, target=target, seed_transpiler=0
        )
        t_plain, plain = best_of(args.repeats, lambda pm=pm, c=circuit: pm.run(c))
        t_ours, ours = best_of(args.repeats, lambda c=circuit: compile_circuit(c, profile, options))
        r = ours.report
        plain_2q = sum(1 for i in plain.data if is_two_qubit(i))
        t_noeq, _ = best_of(
            args.repeats, lambda c=circuit: compile_circuit(c, profile, no_equivalence)
        )
        same = "same" if ours.circuit == plain else "DIFFERENT"
        print(
            f"{circuit.name:<10} {r.two_qubit_gates:>8} {plain_2q:>8} "
            f"{r.depth:>5}/{plain.depth():<5} {r.two_qubit_depth:>4}/{two_qubit_depth(plain):<4} "
            f"{r.success_probability:>11.3g} {r.equivalence['status'][:11]:>11} "
            f"{t_plain:>8.3f} {t_noeq:>8.3f} {t_ours:>8.3f} {t_ours / t_plain:>6.1f}  {same}"
        )


if __name__ == "__main__":
    main()
