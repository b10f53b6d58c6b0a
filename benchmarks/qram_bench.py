"""QRAM constructions: built vs analytic counts for N = 4 .. 1024, and Heron compile cost.

Run: ``python benchmarks/qram_bench.py [--max-n 10] [--compile-max-n 5] [--mode bits]``.

For every registered construction and N = 2**n it builds the circuit (random classical words,
b = 1, or angle words with ``--mode ry|phase``), compares every counted figure of the built
circuit with the construction's closed form (``ok``; ``cx`` is CX after lowering to CX+1q) and
times the build. For N <= 2**compile_max_n it compiles the circuit for IBM Heron r2 (heron_r2:
FakeFez minus its dead couplers) twice, in the same run and with the same seed:

* ``O3``: ``CompileOptions(optimization_level=3)``, Qiskit's own layout and routing;
* ``ours``: ``CompileOptions(optimization_level=3, layouts="tree", tree_candidates=3,
  known_zero_inputs=n + b)``, the best of three tree layouts and the ``qram_tree`` layout stage
  (Qiskit's default layout not among them), each with the known-``|0>`` swap rewrite of
  :mod:`qcompile.qram.known_zero` (skipped past 63 qubits), and prints both two-qubit counts,
  ``ours/O3``, and for the brigades ``/BB``: our count over the PennyLane-style
  ``bucket-brigade`` at O3 (the query as a user asks for it). Both go through qattn's compile
  path (:func:`qcompile.pipeline.compile_circuit`), so every compiled circuit passes the ISA
  check; with ``--verify`` both also pass the Aer-MPS semantic check of
  :func:`~qcompile.qram.verify.compiled_query_fidelity` (``F``, 1 when exact).

Rows not compiled say why in ``note``: ``n>compile-max-n`` (the default 5 keeps the whole run
to minutes; raise it to compile N = 64 too), ``> 156 qubits`` (does not fit the device: the
brigades from N = 64 on, except ``bb-lean`` and ``bb-2q`` at N = 64), or ``oracle`` (a cost
model, no circuit). The known-``|0>`` analysis gives up (plain Sabre routing is kept) past 63
qubits or when its state grows too large, e.g. for the 3-qubit-node brigade at N = 16.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from qiskit.circuit import QuantumCircuit

from hardware_profiles import DeviceProfile, load_profile
from qcompile.pipeline import CompileOptions, compile_circuit
from qcompile.qram import CONSTRUCTIONS, QRAMWords, measure_resources
from qcompile.qram.tree_layout import two_qubit_count
from qcompile.qram.verify import compiled_query_fidelity

COUNTED = ("qubits", "cswap", "toffoli", "swap", "cx_count", "rotations", "queries")
BRIGADES = ("bucket-brigade", "bb-2q", "bb-lean")


def heron() -> DeviceProfile:
    return load_profile("heron_r2")


def random_words(n: int, mode: str, rng: np.random.Generator) -> QRAMWords:
    big_n = 1 << n
    if mode == "bits":
        return QRAMWords.bits([int(x) for x in rng.integers(0, 2, big_n)], b=1)
    angles = [float(x) for x in rng.uniform(-np.pi, np.pi, big_n)]
    return QRAMWords.angles(angles, "ry" if mode == "ry" else "phase")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-n", type=int, default=10)
    parser.add_argument("--compile-max-n", type=int, default=5)
    parser.add_argument("--mode", choices=["bits", "ry", "phase"], default="bits")
    parser.add_argument("--verify", action="store_true", help="ISA + Aer MPS semantic check")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    profile = heron() if args.compile_max_n > 0 else None
    o3_options = CompileOptions(optimization_level=3, seed=args.seed, equivalence_max_qubits=0)
    header = (
        f"{'kind':<15}{'N':>5}{'qubits':>7}{'cswap':>7}{'toffoli':>8}{'cx built':>9}"
        f"{'cx formula':>11}{'ok':>3}{'depth':>7}{'bound':>7}{'build s':>8}"
        f"{'O3 2q':>7}{'ours 2q':>8}{'ours/O3':>8}{'/BB':>6}{'compile s':>10}{'F':>7}  note"
    )
    print(
        f"mode={args.mode}, b=1; cx = CX after lowering to CX+1q; 2q = two-qubit gates on "
        "heron_r2 (FakeFez minus dead couplers); compile s = O3 + ours"
    )
    print(header)
    print("-" * len(header))
    for n in range(2, args.max_n + 1):
        big_n = 1 << n
        words = random_words(n, args.mode, rng)
        bb_o3: int | None = None
        for kind in CONSTRUCTIONS:
            construction = CONSTRUCTIONS[kind](words)
            start = time.perf_counter()
            circuit = construction.build()
            build_s = time.perf_counter() - start
            built = measure_resources(circuit)
            formula = construction.count()
            same = all(getattr(built, f) == getattr(formula, f) for f in COUNTED)
            o3 = ours = ratio = vs_bb = comp = fid = note = ""
            if kind == "oracle":
                note = "oracle"
            elif profile is None or n > args.compile_max_n:
                note = "n>compile-max-n"
            elif built.qubits > profile.num_qubits:
                note = f"> {profile.num_qubits} qubits"
            else:
                ours_options = CompileOptions(
                    optimization_level=3,
                    seed=args.seed,
                    layouts="tree",
                    tree_candidates=3,
                    known_zero_inputs=n + words.b,
                )
                default_run = compile_circuit(circuit, profile, o3_options)
                ours_run = compile_circuit(circuit, profile, ours_options)
                default_isa, ours_isa = default_run.circuit, ours_run.circuit
                seconds = default_run.report.compile_time_s + ours_run.report.compile_time_s
                comp = f"{seconds:.1f}"
                o3_count, ours_count = two_qubit_count(default_isa), two_qubit_count(ours_isa)
                if kind == "bucket-brigade":
                    bb_o3 = o3_count
                o3, ours = str(o3_count), str(ours_count)
                ratio = f"{ours_count / max(o3_count, 1):.2f}"
                if kind in BRIGADES and bb_o3:
                    vs_bb = f"{ours_count / bb_o3:.2f}"
                if args.verify:
                    fid = f"{_verified(default_isa, ours_isa, words):.4f}"
            print(
                f"{kind:<15}{big_n:>5}{built.qubits:>7}{built.cswap:>7}{built.toffoli:>8}"
                f"{built.cx_count:>9}{formula.cx_count:>11}{'y' if same else 'N':>3}"
                f"{built.depth:>7}{formula.depth:>7}{build_s:>8.3f}{o3:>7}{ours:>8}{ratio:>8}"
                f"{vs_bb:>6}{comp:>10}{fid:>7}  {note}",
                flush=True,
            )
        print()
    return 0


def _verified(default_isa: QuantumCircuit, ours_isa: QuantumCircuit, words: QRAMWords) -> float:
    """The lower semantic fidelity of the two (already ISA-checked) compiled circuits."""
    return min(compiled_query_fidelity(isa, words) for isa in (default_isa, ours_isa))


if __name__ == "__main__":
    raise SystemExit(main())
