"""Lean bucket brigade vs Qiskit's O3 on the bucket brigades, two-qubit gates on IBM devices.

Run: ``python benchmarks/lean_bb_bench.py [--sizes 3 4 5] [--fanouts 0 1] [--seed 0]``.
For N = 2**n (bits mode, b = 1, random words) and each device (heron_r2, eagle_r3) it compiles,
in one run, the 3-qubit-node and 2-qubit-node bucket brigades with the preset O3 pass manager's
own layout and routing (the baselines), and :class:`LeanBucketBrigadeQRAM` for each fanout level
with :func:`transpile_lean_bb` (the best of Qiskit's layout and ``--candidates`` tree layouts,
the rest of the O3 pipeline unchanged). It prints two-qubit counts, the ratios against both
baselines and compile times (the lean time includes every candidate).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager

from hardware_profiles import load_profile
from qcompile.qram import (
    BucketBrigade2QRAM,
    BucketBrigadeQRAM,
    LeanBucketBrigadeQRAM,
    QRAMWords,
    transpile_lean_bb,
)
from qcompile.qram.tree_layout import two_qubit_count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[3, 4, 5])
    parser.add_argument("--profiles", nargs="+", default=["heron_r2", "eagle_r3"])
    parser.add_argument("--fanouts", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--candidates", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    header = (
        f"{'device':<10}{'N':>4}{'BB O3':>7}{'2q O3':>7}{'fan':>5}{'qubits':>7}{'lean':>6}"
        f"{'/BB':>6}{'/2q':>6}{'BB s':>6}{'2q s':>6}{'lean s':>8}"
    )
    print(header)
    print("-" * len(header))
    for profile in args.profiles:
        target = load_profile(profile).target()
        for n in args.sizes:
            words = QRAMWords.bits([int(x) for x in rng.integers(0, 2, 1 << n)], b=1)
            baselines = []
            for cls in (BucketBrigadeQRAM, BucketBrigade2QRAM):
                pm = generate_preset_pass_manager(3, target=target, seed_transpiler=args.seed)
                start = time.perf_counter()
                count = two_qubit_count(pm.run(cls(words).build()))
                baselines.append((count, time.perf_counter() - start))
            (bb, bb_s), (bb2, bb2_s) = baselines
            for fanout in (f for f in args.fanouts if f <= n):
                circuit = LeanBucketBrigadeQRAM(words, fanout).build()
                start = time.perf_counter()
                isa = transpile_lean_bb(
                    circuit, target, candidates=args.candidates, seed_transpiler=args.seed
                )
                lean_s = time.perf_counter() - start
                lean = two_qubit_count(isa)
                print(
                    f"{profile:<10}{1 << n:>4}{bb:>7}{bb2:>7}{fanout:>5}{circuit.num_qubits:>7}"
                    f"{lean:>6}{lean / bb:>6.2f}{lean / bb2:>6.2f}{bb_s:>6.1f}{bb2_s:>6.1f}"
                    f"{lean_s:>8.1f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
