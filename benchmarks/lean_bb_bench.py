"""Bucket-brigade QRAM on IBM devices: two-qubit gates of our lowering vs Qiskit O3.

Run: ``python benchmarks/lean_bb_bench.py [--sizes 4 5] [--fanouts 0] [--seed 0]``.
For N = 2**n (bits mode, b = 1, random words) and each device (heron_r2, eagle_r3) it compiles,
in one run and with the same seed:

* ``BB O3``: the PennyLane-style bucket brigade (3 qubits per node,
  :class:`BucketBrigadeQRAM`) with the preset O3 pass manager's own layout and routing: what a
  user gets from ``--qram bucket-brigade`` semantics and plain Qiskit;
* ``2q O3``: the 2-qubit-node brigade, same pipeline;
* ``lean O3``: :class:`LeanBucketBrigadeQRAM` (``fanout_levels`` from ``--fanouts``; 0 is a
  pure brigade) with the preset O3 pass manager's own layout and routing;
* ``lean ours``: the same lean circuit compiled with ``CompileOptions(layouts="tree",
  known_zero_inputs=n + b)`` (the ``--candidates`` tree layouts and the ``qram_tree`` layout
  stage, best of them; Qiskit's default layout is *not* among the candidates; routing SWAPs next
  to a known ``|0>`` become moves).

Readings: ``(a) = lean ours / BB O3`` (the query as the user asks for it: our lowering and
layout against Qiskit on the reference construction) and ``(b) = lean ours / lean O3``
(layout/routing only, on the very same circuit). Every circuit is compiled by qattn's compile
path (:func:`qcompile.pipeline.compile_circuit`, which runs the ISA check) and checked, with
:func:`~qcompile.qram.verify.compiled_query_fidelity` (Aer MPS, a random entangled
address/target state through the layouts, every ancilla back to ``|0>``), against the query
semantics; ``min F`` is the lowest fidelity among the four circuits of a row.
"""

from __future__ import annotations

import argparse

import numpy as np
from qiskit import QuantumCircuit

from hardware_profiles import load_profile
from qcompile.pipeline import CompileOptions, compile_circuit
from qcompile.qram import BucketBrigade2QRAM, BucketBrigadeQRAM, LeanBucketBrigadeQRAM, QRAMWords
from qcompile.qram.tree_layout import two_qubit_count
from qcompile.qram.verify import compiled_query_fidelity


def checked(isa: QuantumCircuit, words: QRAMWords) -> tuple[int, float]:
    """Two-qubit count and semantic fidelity of a compiled (ISA-checked) query."""
    return two_qubit_count(isa), compiled_query_fidelity(isa, words)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 5])
    parser.add_argument("--profiles", nargs="+", default=["heron_r2", "eagle_r3"])
    parser.add_argument("--fanouts", type=int, nargs="+", default=[0])
    parser.add_argument("--candidates", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    header = (
        f"{'device':<10}{'N':>4}{'BB O3':>7}{'2q O3':>7}{'fan':>5}{'qubits':>7}{'lean O3':>9}"
        f"{'lean ours':>10}{'(a)':>6}{'(b)':>6}{'/2q':>6}{'min F':>8}{'O3 s':>7}{'ours s':>8}"
    )
    print("two-qubit gates after compiling; (a) = lean ours / BB O3, (b) = lean ours / lean O3")
    print(header)
    print("-" * len(header))
    o3 = CompileOptions(optimization_level=3, seed=args.seed, equivalence_max_qubits=0)
    for profile in map(load_profile, args.profiles):
        for n in args.sizes:
            words = QRAMWords.bits([int(x) for x in rng.integers(0, 2, 1 << n)], b=1)
            baselines = []
            fidelities = []
            for cls in (BucketBrigadeQRAM, BucketBrigade2QRAM):
                count, fid = checked(
                    compile_circuit(cls(words).build(), profile, o3).circuit, words
                )
                baselines.append(count)
                fidelities.append(fid)
            bb, bb2 = baselines
            ours_options = CompileOptions(
                optimization_level=3,
                seed=args.seed,
                layouts="tree",
                tree_candidates=args.candidates,
                known_zero_inputs=n + words.b,  # the address and target registers
            )
            for fanout in (f for f in args.fanouts if f <= n):
                circuit = LeanBucketBrigadeQRAM(words, fanout).build()
                default = compile_circuit(circuit, profile, o3)
                ours_run = compile_circuit(circuit, profile, ours_options)
                o3_s, ours_s = default.report.compile_time_s, ours_run.report.compile_time_s
                lean_o3, fid_o3 = checked(default.circuit, words)
                ours, fid_ours = checked(ours_run.circuit, words)
                min_f = min([*fidelities, fid_o3, fid_ours])
                print(
                    f"{profile.name:<10}{1 << n:>4}{bb:>7}{bb2:>7}{fanout:>5}"
                    f"{circuit.num_qubits:>7}"
                    f"{lean_o3:>9}{ours:>10}{ours / bb:>6.2f}{ours / lean_o3:>6.2f}"
                    f"{ours / bb2:>6.2f}{min_f:>8.5f}{o3_s:>7.1f}{ours_s:>8.1f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
