"""Pauli-noise trajectories vs Aer, and bucket-brigade query fidelity up to N = 1024.

Run: ``python benchmarks/study_bench.py [--trajectories 1000] [--bb-trajectories 100]
[--max-n 1024] [--scale 1.0]``.

1. N = 4, the same Pauli noise (heron_r2 medians times ``--scale``, depolarizing after every
   gate, see :mod:`runtime.simulators.trajectories`), the same number of samples:
   * bucket brigade (13 qubits): our trajectories vs Aer statevector trajectories (the noise
     as explicit ``pauli_error`` instructions, one statevector saved per shot, fidelity per
     shot with the ancillas traced out), T samples each;
   * 2-qubit-router bucket brigade (10 qubits): our trajectories vs Aer's exact density matrix
     (one run, the reference value).
   Prints the wall times and the ratio, and the fidelities (they agree within error).
2. Bucket brigade, Heron noise, N = 16 .. ``--max-n``: wall time and query infidelity.

Timings on a shared machine are noisy; compare ratios taken in the same run.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import DensityMatrix, Statevector, partial_trace
from qiskit_aer import AerSimulator

from runtime.simulators.trajectories import (
    PauliNoise,
    aer_noisy_circuit,
    qram_input,
    qram_kept_qubits,
    qram_query_circuit,
    qram_query_fidelity,
    simulate_trajectories,
)


def aer_trajectories(circuit, initial, noise, keep, shots: int, seed: int):
    traced = [q for q in range(circuit.num_qubits) if q not in keep]
    ideal = partial_trace(Statevector(initial.statevector()).evolve(circuit), traced).data
    qc = QuantumCircuit(circuit.num_qubits)
    qc.set_statevector(Statevector(initial.statevector()))
    qc.compose(aer_noisy_circuit(circuit, noise), inplace=True)
    qc.save_statevector(pershot=True)
    sim = AerSimulator(method="statevector", seed_simulator=seed)
    start = time.perf_counter()
    states = sim.run(qc, shots=shots).result().data()["statevector"]
    aer_run = time.perf_counter() - start
    fids = [
        float(np.real(np.trace(partial_trace(Statevector(s), traced).data @ ideal))) for s in states
    ]
    return float(np.mean(fids)), float(np.std(fids, ddof=1) / np.sqrt(len(fids))), aer_run


def aer_density_matrix(circuit, initial, noise, keep) -> float:
    traced = [q for q in range(circuit.num_qubits) if q not in keep]
    qc = QuantumCircuit(circuit.num_qubits)
    qc.set_density_matrix(DensityMatrix(initial.statevector()))
    qc.compose(aer_noisy_circuit(circuit, noise), inplace=True)
    qc.save_density_matrix()
    rho = AerSimulator(method="density_matrix").run(qc).result().data()["density_matrix"]
    ideal = partial_trace(Statevector(initial.statevector()).evolve(circuit), traced).data
    return float(np.real(np.trace(partial_trace(DensityMatrix(rho), traced).data @ ideal)))


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trajectories", type=int, default=1000)
    parser.add_argument("--bb-trajectories", type=int, default=100)
    parser.add_argument("--max-n", type=int, default=1024)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    noise = PauliNoise.from_profile("heron_r2", args.scale)
    t = args.trajectories
    print(f"noise: {noise}")

    print(f"\n1a. bucket brigade N=4, {t} samples each (fidelity, address+target kept)")
    circuit = qram_query_circuit("bucket-brigade", 4, seed=args.seed)
    initial, keep = qram_input(circuit), qram_kept_qubits(circuit)
    ours, t_ours = timed(
        lambda: simulate_trajectories(circuit, initial, noise, t, args.seed, keep=keep)
    )
    (aer_mean, aer_err, t_run), t_aer = timed(
        lambda: aer_trajectories(circuit, initial, noise, keep, t, args.seed)
    )
    print(f"  qattn trajectories      F={ours.mean:.4f}±{ours.stderr:.4f}  {t_ours:8.3f} s")
    print(f"  Aer statevector shots   F={aer_mean:.4f}±{aer_err:.4f}  {t_aer:8.3f} s")
    print(f"    of which Aer's run (no per-shot fidelity):        {t_run:8.3f} s")
    print(
        f"  speed-up (Aer / qattn): {t_aer / t_ours:.1f}x ({t_run / t_ours:.1f}x on the run alone)"
    )

    print(f"\n1b. bb-2q N=4 (10 qubits): {t} trajectories vs Aer's exact density matrix")
    circuit = qram_query_circuit("bb-2q", 4, seed=args.seed)
    initial, keep = qram_input(circuit), qram_kept_qubits(circuit)
    ours, t_ours = timed(
        lambda: simulate_trajectories(circuit, initial, noise, t, args.seed, keep=keep)
    )
    exact, t_dm = timed(lambda: aer_density_matrix(circuit, initial, noise, keep))
    print(f"  qattn trajectories      F={ours.mean:.4f}±{ours.stderr:.4f}  {t_ours:8.3f} s")
    print(f"  Aer density matrix      F={exact:.4f} (exact)  {t_dm:8.3f} s")
    print(f"  ratio (Aer DM / qattn): {t_dm / t_ours:.1f}x")

    print(f"\n2. bucket brigade, heron_r2 x{args.scale}, {args.bb_trajectories} trajectories")
    print(f"  {'N':>6} {'qubits':>7} {'gates':>7} {'1-F':>10} {'stderr':>9} {'seconds':>8}")
    n = 16
    while n <= args.max_n:
        r, secs = timed(
            lambda n=n: qram_query_fidelity(
                "bucket-brigade", n, noise, args.bb_trajectories, args.seed
            )
        )
        print(
            f"  {n:>6} {r.num_qubits:>7} {r.num_gates:>7} {1 - r.mean:>10.4g} "
            f"{r.stderr:>9.2g} {secs:>8.2f}",
            flush=True,
        )
        n *= 4
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
