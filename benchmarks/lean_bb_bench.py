"""Bucket-brigade QRAM on IBM devices: two-qubit gates of our lowering vs Qiskit O3.

Default run: ``python benchmarks/lean_bb_bench.py [--sizes 4 5] [--kinds bb-lean bb-2q
bucket-brigade] [--profiles heron_r2 eagle_r3] [--o3-seeds 5]`` compares the pipeline the CLIs use
by default with Qiskit O3 best of 5 seeds (see :func:`pipeline_vs_o3`). The older comparison
below runs with ``python benchmarks/lean_bb_bench.py legacy [--sizes 4 5] [--fanouts 0]``.
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
from qcompile.qram import (
    CONSTRUCTIONS,
    BucketBrigade2QRAM,
    BucketBrigadeQRAM,
    LeanBucketBrigadeQRAM,
    QRAMQuery,
    QRAMWords,
)
from qcompile.qram.tree_layout import two_qubit_count
from qcompile.qram.verify import compiled_query_fidelity
from qcompile.qram_pipeline import best_qram_options


def checked(isa: QuantumCircuit, words: QRAMWords) -> tuple[int, float]:
    """Two-qubit count and semantic fidelity of a compiled (ISA-checked) query."""
    return two_qubit_count(isa), compiled_query_fidelity(isa, words)


def pipeline_vs_o3(argv: list[str] | None = None) -> int:
    """The default QRAM pipeline against Qiskit O3 best of ``--o3-seeds`` seeds, same circuit.

    For each kind, N and device: O3 with seeds ``0 .. o3_seeds-1`` (two-qubit count of the best
    seed, and the mean compile time of one O3 run), then the pipeline the CLIs use
    (:func:`qcompile.qram_pipeline.best_qram_options`) once. ``2q ratio`` = pipeline / O3
    best of seeds; ``t ratio`` = pipeline compile time / mean O3 compile time (the bound is 3);
    ``check`` = the pipeline's lookup check (status, method, seconds), which the compile path
    runs on every compiled lookup and which is not part of the compile time.
    """
    parser = argparse.ArgumentParser(description=pipeline_vs_o3.__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 5])
    parser.add_argument("--profiles", nargs="+", default=["heron_r2", "eagle_r3"])
    parser.add_argument("--kinds", nargs="+", default=["bb-lean", "bb-2q", "bucket-brigade"])
    parser.add_argument("--o3-seeds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    header = (
        f"{'device':<10}{'kind':<16}{'N':>4}{'O3 best':>8}{'ours':>6}{'2q ratio':>9}"
        f"{'O3 s':>7}{'ours s':>8}{'t ratio':>8}  check"
    )
    print(header)
    print("-" * len(header))
    for profile in map(load_profile, args.profiles):
        for n in args.sizes:
            words = QRAMWords.bits([int(x) for x in rng.integers(0, 2, 1 << n)], b=1)
            for kind in args.kinds:
                construction = CONSTRUCTIONS[kind](words)
                circuit = construction.build()
                counts, seconds = [], []
                for seed in range(args.o3_seeds):
                    o3 = CompileOptions(optimization_level=3, seed=seed, equivalence_max_qubits=0)
                    run = compile_circuit(circuit, profile, o3)
                    counts.append(two_qubit_count(run.circuit))
                    seconds.append(run.report.compile_time_s)
                options = best_qram_options(
                    kind, CompileOptions(seed=args.seed), num_inputs=n + words.b
                )
                reference = QuantumCircuit(circuit.num_qubits)
                reference.append(QRAMQuery(words), range(n + words.b))
                ours = compile_circuit(
                    circuit, profile, options, lookup_reference=reference, lookup_inputs=n + 1
                ).report
                check = ours.lookup_check or {}
                o3_s = float(np.mean(seconds))
                print(
                    f"{profile.name:<10}{kind:<16}{1 << n:>4}{min(counts):>8}"
                    f"{ours.two_qubit_gates:>6}{ours.two_qubit_gates / min(counts):>9.2f}"
                    f"{o3_s:>7.2f}{ours.compile_time_s:>8.2f}{ours.compile_time_s / o3_s:>8.2f}"
                    f"  {check.get('status')} ({check.get('method')}, "
                    f"{check.get('seconds', 0):.2f} s)",
                    flush=True,
                )
    return 0


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
    import sys

    if sys.argv[1:2] == ["legacy"]:
        raise SystemExit(main(sys.argv[2:]))
    raise SystemExit(pipeline_vs_o3(sys.argv[1:]))
