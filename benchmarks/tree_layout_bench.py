"""Tree-aware layout vs Qiskit's default O3 layout on bucket-brigade QRAMs.

Run: ``python benchmarks/tree_layout_bench.py [--sizes 3 4 5] [--candidates 6] [--seed 0]``.
For N = 2**n (bits mode, b = 1, random words), each bucket-brigade variant and each device
(heron_r2, eagle_r3), it compiles the same logical circuit twice in one run: with the preset O3
pass manager's own layout (VF2 then Sabre), and with the compile option
``CompileOptions(layouts="tree", tree_stage=False)`` of :func:`qcompile.pipeline.compile_circuit`
(the best of ``--candidates`` tree layouts as ``initial_layout``, Sabre routing). Both go through
qattn's compile path, so both pass the ISA check. It prints the two-qubit counts, their ratio
(tree / default) and both compile times (the pass managers' time from the compile report; the
tree time includes finding the layouts and compiling every candidate).
"""

from __future__ import annotations

import argparse

import numpy as np

from hardware_profiles import load_profile
from qcompile.pipeline import CompileOptions, compile_circuit
from qcompile.qram import BucketBrigade2QRAM, BucketBrigadeQRAM, QRAMWords
from qcompile.qram.tree_layout import two_qubit_count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[3, 4, 5])
    parser.add_argument("--profiles", nargs="+", default=["heron_r2", "eagle_r3"])
    parser.add_argument("--candidates", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    header = (
        f"{'device':<10}{'kind':<16}{'N':>4}{'qubits':>7}{'O3 2q':>8}{'tree 2q':>9}"
        f"{'ratio':>7}{'O3 s':>7}{'tree s':>8}"
    )
    print(header)
    print("-" * len(header))
    o3 = CompileOptions(optimization_level=3, seed=args.seed, equivalence_max_qubits=0)
    # Tree layouts alone, as the docstring says (no qram_tree stage, no default layout).
    tree_options = CompileOptions(
        optimization_level=3,
        seed=args.seed,
        equivalence_max_qubits=0,
        layouts="tree",
        tree_candidates=args.candidates,
        tree_stage=False,
    )
    for profile in map(load_profile, args.profiles):
        for n in args.sizes:
            words = QRAMWords.bits([int(x) for x in rng.integers(0, 2, 1 << n)], b=1)
            for cls in (BucketBrigadeQRAM, BucketBrigade2QRAM):
                circuit = cls(words).build()
                default_run = compile_circuit(circuit, profile, o3)
                default = two_qubit_count(default_run.circuit)
                default_s = default_run.report.compile_time_s
                tree_run = compile_circuit(circuit, profile, tree_options)
                tree = two_qubit_count(tree_run.circuit)
                tree_s = tree_run.report.compile_time_s
                print(
                    f"{profile.name:<10}{cls.kind:<16}{1 << n:>4}{circuit.num_qubits:>7}"
                    f"{default:>8}{tree:>9}{tree / default:>7.2f}{default_s:>7.1f}{tree_s:>8.1f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
