"""QRAM constructions: built vs analytic counts for N = 4 .. 1024, and Heron compile cost.

Run: ``python benchmarks/qram_bench.py [--max-n 10] [--compile-max-n 5] [--mode ry]``.
For every construction and N it builds the circuit (random classical words, b = 1, or RY angle
words with ``--mode ry``), compares the built counts with the closed forms, and for
N <= 2**compile_max_n compiles it for IBM Heron r2 (the heron_r2 profile: FakeFez with its
dead couplers excluded; preset pass manager at optimization level 3) and reports the
two-qubit gate count and its ratio to the multiplexer's.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager

from qcompile.qram import CONSTRUCTIONS, QRAMWords, measure_resources


def heron_target():
    from hardware_profiles import load_profile

    return load_profile("heron_r2").target()


def two_qubit_count(circuit) -> int:
    return sum(1 for inst in circuit.data if inst.operation.num_qubits == 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-n", type=int, default=10)
    parser.add_argument("--compile-max-n", type=int, default=5)
    parser.add_argument("--mode", choices=["bits", "ry", "phase"], default="bits")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    target = heron_target() if args.compile_max_n > 0 else None
    header = (
        f"{'kind':<15}{'N':>5}{'qubits':>8}{'cswap':>7}{'toffoli':>8}{'cx built':>10}"
        f"{'cx formula':>11}{'ok':>4}{'depth':>7}{'bound':>7}{'build s':>9}"
        f"{'fez 2q':>8}{'x mux':>7}{'compile s':>10}"
    )
    print(
        f"mode={args.mode}, b=1; cx = CX after lowering to CX+1q; "
        "fez 2q = O3 on heron_r2 (FakeFez minus dead couplers)"
    )
    print(header)
    print("-" * len(header))
    for n in range(2, args.max_n + 1):
        big_n = 1 << n
        if args.mode == "bits":
            words = QRAMWords.bits([int(x) for x in rng.integers(0, 2, big_n)], b=1)
        else:
            words = QRAMWords.angles(list(rng.uniform(-np.pi, np.pi, big_n)), args.mode)
        mux_2q = None
        for kind in ["multiplexer", *[k for k in CONSTRUCTIONS if k != "multiplexer"]]:
            construction = CONSTRUCTIONS[kind](words)
            start = time.perf_counter()
            circuit = construction.build()
            build_s = time.perf_counter() - start
            built = measure_resources(circuit)
            formula = construction.count()
            same = all(
                getattr(built, f) == getattr(formula, f)
                for f in ("qubits", "cswap", "toffoli", "swap", "cx_count", "rotations")
            )
            fez = ratio = comp = ""
            compile_it = target is not None and n <= args.compile_max_n and kind != "oracle"
            if compile_it and built.qubits <= target.num_qubits:
                pm = generate_preset_pass_manager(
                    optimization_level=3, target=target, seed_transpiler=args.seed
                )
                start = time.perf_counter()
                isa = pm.run(circuit)
                comp = f"{time.perf_counter() - start:.2f}"
                count = two_qubit_count(isa)
                fez = str(count)
                if kind == "multiplexer":
                    mux_2q = count
                ratio = f"{count / mux_2q:.1f}" if mux_2q else ""
            print(
                f"{kind:<15}{big_n:>5}{built.qubits:>8}{built.cswap:>7}{built.toffoli:>8}"
                f"{built.cx_count:>10}{formula.cx_count:>11}{'y' if same else 'N':>4}"
                f"{built.depth:>7}{formula.depth:>7}{build_s:>9.3f}{fez:>8}{ratio:>7}{comp:>10}"
            )
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
