"""Compile the model circuits for IBM Heron (FakeFez) and report their cost.

For each model circuit: active qubits, two-qubit gates, depth, two-qubit depth and an
estimated success probability, the product of (1 - error) over every gate of the ISA
circuit with errors from the Target's InstructionProperties (readout not included: the
circuits are unmeasured). optimization_level=3 with a fixed transpiler seed, so runs are
reproducible for a given Qiskit version and fake-backend snapshot.

Usage: python benchmarks/models_bench.py [--seed N] [--top-k K]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Iterator

from qiskit import QuantumCircuit
from qiskit.transpiler import PassManager, Target
from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager
from qiskit_ibm_runtime.fake_provider import FakeFez

from qcompile.models import ModelCircuit, build_qama_qaoa, build_qasa, build_qlam
from qcompile.models.examples import random_qama_ising

QLAM_TOKENS = (4, 8, 16, 32, 64)
QAMA_SIZES = (4, 8, 12, 16, 20, 24)  # N * H, with H = 2 heads
QAMA_HEADS = 2


def isa_costs(isa: QuantumCircuit, target: Target) -> dict[str, float]:
    """Size and estimated success of an ISA circuit on ``target``."""
    active: set[int] = set()
    log_success = 0.0
    two_q = 0
    for inst in isa.data:
        name = inst.operation.name
        if name in ("barrier", "delay"):
            continue
        qargs = tuple(isa.find_bit(q).index for q in inst.qubits)
        active.update(qargs)
        if len(qargs) == 2:
            two_q += 1
        props = target[name].get(qargs) if name in target else None
        if props is not None and props.error is not None:
            log_success += math.log1p(-props.error)
    return {
        "qubits": len(active),
        "2q": two_q,
        "depth": isa.depth(lambda i: i.operation.name not in ("barrier", "delay")),
        "2q_depth": isa.depth(lambda i: i.operation.num_qubits == 2),
        "success": math.exp(log_success),
    }


def cases(top_k: int | None) -> Iterator[tuple[str, ModelCircuit]]:
    yield "qasa (published, 9q)", build_qasa()
    for t in QLAM_TOKENS:
        yield f"qlam T={t} (m=8, F=8, linear)", build_qlam(t, 8, 8)
    for nh in QAMA_SIZES:
        n = nh // QAMA_HEADS
        ising, _ = random_qama_ising(QAMA_HEADS, n, seed=0)
        yield f"qama qaoa p=1 H={QAMA_HEADS} N={n} dense", build_qama_qaoa(ising, reps=1)
        if top_k is not None and top_k < n - 1:
            ising, _ = random_qama_ising(QAMA_HEADS, n, seed=0, top_k=top_k)
            yield f"qama qaoa p=1 H={QAMA_HEADS} N={n} top{top_k}", build_qama_qaoa(ising, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1234, help="transpiler seed (default 1234)")
    parser.add_argument("--top-k", type=int, default=None, help="also show QAMA sparsified")
    args = parser.parse_args(argv)

    target = FakeFez().target
    pm: PassManager = generate_preset_pass_manager(
        optimization_level=3, target=target, seed_transpiler=args.seed
    )
    columns = ("qubits", "2q", "depth", "2q_dep")
    header = (
        f"{'model':<36} " + " ".join(f"{c:>6}" for c in columns) + f" {'est_succ':>9} {'t_s':>6}"
    )
    print(f"IBM Heron (FakeFez), optimization_level=3, seed_transpiler={args.seed}")
    print(header)
    print("-" * len(header))
    for label, model in cases(args.top_k):
        start = time.perf_counter()
        isa = pm.run(model.circuit)
        elapsed = time.perf_counter() - start
        c = isa_costs(isa, target)
        print(
            f"{label:<36} {c['qubits']:>6} {c['2q']:>6} {c['depth']:>6} {c['2q_depth']:>6} "
            f"{c['success']:>9.3e} {elapsed:>6.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
