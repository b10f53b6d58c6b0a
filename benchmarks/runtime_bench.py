"""Runtime benchmark: noisy runs of a 5-active-qubit circuit compiled for the 156-qubit Heron r2.

Two comparisons, measured in the same run (best of R for the repeated rows):

1. Aer, noisy, 4096 shots: qattn's ``AerExecutor`` (compact circuit + noise model for the
   5 active qubits, built fresh each call: "cold") against ``AerSimulator.from_backend(FakeFez())``
   running the full 156-qubit ISA circuit (its noise model for all 156 qubits is rebuilt
   each call, as ``from_backend`` does; "sim only" reuses one simulator).
2. Local IBM testing mode: ``IBMExecutor.local("FakeFez")`` against plain
   ``SamplerV2(mode=FakeFez())`` on the full ISA circuit (which builds a 156-qubit noise
   model per call).

Run: .venv/bin/python benchmarks/runtime_bench.py [--repeats 3] [--shots 4096]
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

from qiskit import QuantumCircuit
from qiskit_aer import AerSimulator

from hardware_profiles import load_profile
from hardware_profiles.ibm_snapshot import snapshot_backend
from qcompile import CompileOptions, compile_circuit
from runtime.execution.aer import AerExecutor
from runtime.execution.executor import SamplerPub
from runtime.execution.ibm import IBMExecutor


def ghz5() -> QuantumCircuit:
    qc = QuantumCircuit(5, name="ghz5")
    qc.h(0)
    for i in range(4):
        qc.cx(i, i + 1)
    qc.measure_all()
    return qc


def best(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def p_ghz(counts: dict[str, int]) -> float:
    return (counts.get("00000", 0) + counts.get("11111", 0)) / sum(counts.values())


def row(label: str, seconds: float, counts: dict[str, int] | None = None) -> None:
    tail = f"  P(GHZ)={p_ghz(counts):.3f}" if counts else ""
    print(f"  {label:<48}{seconds:8.3f} s{tail}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--shots", type=int, default=4096)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    profile = load_profile("heron_r2")
    isa = compile_circuit(ghz5(), profile, CompileOptions(optimization_level=2, seed=7)).circuit
    fake = snapshot_backend("FakeFez")
    print(f"circuit ghz5 on heron_r2: {isa.num_qubits} device qubits, ops {dict(isa.count_ops())}")

    def ours() -> dict[str, int]:
        executor = AerExecutor(profile, noisy=True, seed=1)
        return dict(executor.sample([SamplerPub(isa)], shots=args.shots).counts[0][0])

    def theirs() -> dict[str, int]:
        simulator = AerSimulator.from_backend(fake, seed_simulator=1)
        return dict(simulator.run(isa, shots=args.shots).result().get_counts())

    shared = AerSimulator.from_backend(fake, seed_simulator=1)

    def theirs_warm() -> dict[str, int]:
        return dict(shared.run(isa, shots=args.shots).result().get_counts())

    t_ours, c_ours = best(ours, args.repeats)
    t_theirs, c_theirs = best(theirs, args.repeats)
    t_warm, _ = best(theirs_warm, args.repeats)
    print("\n[1] Aer noisy, ours vs AerSimulator.from_backend(FakeFez()) on the full circuit")
    row("qattn AerExecutor (cold, noise model included)", t_ours, c_ours)
    row("from_backend + run", t_theirs, c_theirs)
    print(f"  from_backend simulator reused (run only)       {t_warm:8.3f} s")
    print(f"  speed-up (from_backend + run) / ours           {t_theirs / t_ours:8.1f} x")

    def ours_local() -> dict[str, int]:
        executor = IBMExecutor.local("FakeFez", seed=1)
        result = executor.submit("sample", [SamplerPub(isa)], shots=args.shots).result()
        return dict(result.counts[0][0])  # type: ignore[union-attr]

    def plain_local() -> dict[str, int]:
        from qiskit_ibm_runtime import SamplerV2

        sampler = SamplerV2(mode=fake)
        sampler.options.simulator.seed_simulator = 1
        result = sampler.run([isa], shots=args.shots).result()[0]
        return dict(result.data.meas.get_counts())

    t_local, c_local = best(ours_local, args.repeats)
    t_plain, c_plain = best(plain_local, 1)
    print("\n[2] local IBM testing mode, ours vs SamplerV2(mode=FakeFez())")
    row("IBMExecutor.local('FakeFez')", t_local, c_local)
    row("SamplerV2(mode=FakeFez())", t_plain, c_plain)
    print(f"  speed-up                                       {t_plain / t_local:8.1f} x")


if __name__ == "__main__":
    main()
