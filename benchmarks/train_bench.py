"""Training-step benchmark of the exact engine: the table of issue #12, re-measured in one run.

Every row is forward + backward of an MSE loss with input gradients (the inputs are a leaf
that requires grad, as after a classical layer), batch 32 (``--batch-20`` at 20 qubits),
``torch.set_num_threads(--threads)`` (default 1). Rates are samples per CPU-second of this
process (``time.process_time``), so a loaded machine slows every column alike; each column
runs repeated steps for at least ``--seconds`` CPU-seconds after a warm-up step (qattn and
the reference alternate over ``--rounds`` rounds and keep their best round). Columns:

* ``qattn``: :class:`runtime.qnn.torch_qnn.TorchStatevectorLayer` (the fused engine, one
  adjoint sweep per batch), as the hybrid models train it;
* ``qml NN``: the same engine behind qiskit-machine-learning's ``TorchConnector`` and
  :class:`~runtime.qnn.torch_qnn.TorchStatevectorQNN` (the NeuralNetwork interface: one
  sweep per output), on the 11-qubit rows only;
* ``lightning``: PennyLane ``lightning.qubit`` adjoint through ``qml.qnn.TorchLayer``, with
  ``--pl-samples`` samples per step (its cost is per sample: broadcasting runs one adjoint
  sweep per sample); needs the ``bench`` extra, else the column is skipped with a line;
* ``default.qubit``: PennyLane ``default.qubit`` backprop, with ``--default-qubit`` only;
* ``reference``: the hand-written batched torch programs
  (``benchmarks/torch_reference_lookup.py``, ``benchmarks/torch_reference_qlam.py``).

Rows: the 11-qubit circuit this benchmark used before (16 lookups on one read qubit, no
entangler after the last layer), the lookup family at 8, 11, 14, 17 and 20 qubits
(``benchmarks/train_circuits.py``) and QLAM at T = 8, 16, 32, 64. Also printed: the time to
build the engine, the peak resident memory of the engine at the widest row with batch 32,
the ratios, and the machine load (``os.getloadavg``) before and after.

Run: .venv/bin/python benchmarks/train_bench.py [--quick] [--threads 1] [--seconds 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import RYGate
from qiskit.quantum_info import SparsePauliOp
from qiskit_machine_learning.connectors import TorchConnector

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.torch_reference_lookup import LookupReference
from benchmarks.torch_reference_qlam import QLAMReference
from benchmarks.train_circuits import (
    lookup_family,
    pennylane_lookup,
    pennylane_qlam,
    qlam_model,
)
from runtime.qnn.torch_qnn import TorchStatevectorLayer, TorchStatevectorQNN

Step = Callable[[torch.Tensor, torch.Tensor], None]


def legacy_circuit() -> tuple[
    QuantumCircuit, ParameterVector, ParameterVector, list[SparsePauliOp]
]:
    """The 11-qubit circuit of the previous benchmark: 16 lookups on read qubit 8."""
    x, w = ParameterVector("inputs", 20), ParameterVector("weights", 44)
    qc = QuantumCircuit(11, name="qlaci_lookup11")
    for q in range(4):
        qc.ry(x[q], q)
    for q in range(4, 8):
        qc.h(q)
    for j in range(16):
        qc.append(RYGate(x[4 + j]).control(4, ctrl_state=j, annotated=False), [4, 5, 6, 7, 8])
    k = 0
    for layer in range(2):
        for q in range(11):
            qc.ry(w[k], q)
            qc.rz(w[k + 1], q)
            k += 2
        if layer == 0:
            for q in range(10):
                qc.cx(q, q + 1)
    qc.cx(8, 9)
    qc.cx(9, 10)
    observables = [SparsePauliOp("I" * (10 - q) + "Z" + "I" * q) for q in (8, 9, 10)]
    return qc, x, w, observables


def module_step(module: torch.nn.Module) -> Step:
    def step(inputs: torch.Tensor, targets: torch.Tensor) -> None:
        x = inputs.clone().requires_grad_(True)
        torch.nn.functional.mse_loss(module(x), targets).backward()

    return step


def reference_step(forward: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], nw: int) -> Step:
    weights = torch.linspace(-1, 1, nw, dtype=torch.float64).requires_grad_(True)

    def step(inputs: torch.Tensor, targets: torch.Tensor) -> None:
        x = inputs.double().clone().requires_grad_(True)
        torch.nn.functional.mse_loss(forward(x, weights), targets.double()).backward()

    return step


WALL: dict[int, float] = {}


def rate(step: Step, inputs: torch.Tensor, targets: torch.Tensor, seconds: float) -> float:
    """Samples per CPU-second of ``step`` (after one warm-up step).

    The wall-clock rate of the same steps is left in ``WALL[id(step)]``.
    """
    step(inputs, targets)
    steps, start, wall = 0, time.process_time(), time.perf_counter()
    while True:
        step(inputs, targets)
        steps += 1
        used = time.process_time() - start
        if used >= seconds:
            WALL[id(step)] = steps * inputs.shape[0] / (time.perf_counter() - wall)
            return steps * inputs.shape[0] / used


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def _pennylane() -> bool:
    try:
        import pennylane  # noqa: F401
        import pennylane_lightning  # noqa: F401
    except ImportError:
        return False
    return True


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _memory_probe(n: int, threads: int) -> int:
    """One engine step at width ``n``, batch 32, in a fresh process: its peak RSS."""
    torch.set_num_threads(threads)
    qc, x, w, obs = lookup_family(n)
    start = time.perf_counter()
    layer = TorchStatevectorLayer(qc, list(x), list(w), obs)
    build = time.perf_counter() - start
    module_step(layer)(torch.rand(32, len(x)), torch.zeros(32, len(obs)))
    # The kernel's high-water mark of this process (ru_maxrss would also count the parent's
    # resident set at fork: Linux keeps it across execve).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        status = Path("/proc/self/status").read_text()
        peak = int(
            next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]
        )
    except (OSError, StopIteration, ValueError):
        pass
    print(
        f"peak RSS (VmHWM) {peak / 2**20:.2f} GiB for one engine step at {n} q, batch 32, in a "
        f"fresh process (build {build:.2f} s)"
    )
    return 0


def _thread_scaling(threads: int, widths: list[int], tokens: list[int], seconds: float) -> int:
    """The engine's wall-clock rate with 1 and ``threads`` torch threads, alternating."""
    print(f"thread scaling: 1 vs {threads} torch threads; load average {_load()}")
    rng = np.random.default_rng(7)
    circuits = [(f"lookup family, {n} q", lookup_family(n), 8 if n >= 20 else 32) for n in widths]
    for t in tokens:
        model = qlam_model(t)
        circuits.append(
            (
                f"QLAM, T = {t}",
                (model.circuit, model.inputs, model.weights, list(model.observables)),
                32,
            )
        )
    print(f"| circuit | samples/s, 1 thread | samples/s, {threads} threads | speed-up |")
    print("|---|---|---|---|")
    for label, (qc, x, w, obs), batch in circuits:
        layer = TorchStatevectorLayer(qc, list(x), list(w), obs)
        step = module_step(layer)
        inputs = torch.tensor(rng.uniform(-np.pi, np.pi, (batch, len(x))), dtype=torch.float)
        targets = torch.zeros(batch, len(obs))
        best = {1: 0.0, threads: 0.0}
        for _ in range(3):
            for count in (1, threads):
                torch.set_num_threads(count)
                step(inputs, targets)
                done, start = 0, time.perf_counter()
                while time.perf_counter() - start < seconds / 3 or done == 0:
                    step(inputs, targets)
                    done += batch
                best[count] = max(best[count], done / (time.perf_counter() - start))
        print(
            f"| {label} (batch {batch}) | {_fmt(best[1])} | {_fmt(best[threads])} | "
            f"{best[threads] / best[1]:.2f}x |",
            flush=True,
        )
    print(f"load average after: {_load()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: small rows, short")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds of qattn and the reference"
    )
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--batch-20", type=int, default=8)
    parser.add_argument("--pl-samples", type=int, default=4)
    parser.add_argument("--pl-samples-20", type=int, default=1)
    parser.add_argument(
        "--reference-batch-20",
        type=int,
        default=2,
        help="the autograd reference keeps every intermediate state: 128 MiB each at 20 q",
    )
    parser.add_argument("--default-qubit", action="store_true")
    parser.add_argument(
        "--only-qattn", action="store_true", help="the engine's column only (thread scaling)"
    )
    parser.add_argument("--widths", type=int, nargs="*", default=[8, 11, 14, 17, 20])
    parser.add_argument("--tokens", type=int, nargs="*", default=[8, 16, 32, 64])
    parser.add_argument("--memory-probe", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--thread-scaling",
        type=int,
        metavar="T",
        help="only the engine, with 1 and T torch threads alternating: wall-clock scaling",
    )
    args = parser.parse_args(argv)
    if args.memory_probe:
        return _memory_probe(args.memory_probe, args.threads)
    if args.thread_scaling:
        return _thread_scaling(args.thread_scaling, args.widths, args.tokens, args.seconds)
    if args.quick:
        args.widths, args.tokens, args.seconds, args.pl_samples = [8, 11], [8], 0.3, 1
    torch.set_num_threads(args.threads)
    print(f"command: {' '.join([Path(sys.argv[0]).name, *sys.argv[1:]])}")
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; load average {_load()}")
    have_pl = _pennylane() and not args.only_qattn
    if not have_pl and not args.only_qattn:
        print("PennyLane columns skipped: install the bench extra (pip install -e '.[bench]')")
    rng = np.random.default_rng(7)

    rows: list[tuple[str, str, dict[str, float | None]]] = []

    def measure(
        label: str,
        circuit: tuple[QuantumCircuit, list, list, list],
        batch: int,
        reference: Step | None,
        pl: Callable[[str, str], torch.nn.Module] | None,
        legacy: bool = False,
        reference_batch: int | None = None,
        pl_samples: int | None = None,
    ) -> None:
        qc, x, w, observables = circuit
        inputs = torch.tensor(rng.uniform(-np.pi, np.pi, (batch, len(x))), dtype=torch.float)
        targets = torch.tensor(rng.uniform(-1, 1, (batch, len(observables))), dtype=torch.float)
        start = time.perf_counter()
        layer = TorchStatevectorLayer(qc, x, w, observables, np.linspace(-1, 1, len(w)))
        build = time.perf_counter() - start
        ours = module_step(layer)
        ref_rows = slice(0, reference_batch or batch)
        with_reference = reference is not None and not args.only_qattn
        # qattn and the reference alternate over --rounds rounds; each keeps its best round,
        # so a transient load on the shared machine hits neither column alone.
        best: dict[str, float] = {"qattn": 0.0, "reference": 0.0}
        for _ in range(args.rounds):
            best["qattn"] = max(
                best["qattn"], rate(ours, inputs, targets, args.seconds / args.rounds)
            )
            if with_reference:
                assert reference is not None
                best["reference"] = max(
                    best["reference"],
                    rate(
                        reference, inputs[ref_rows], targets[ref_rows], args.seconds / args.rounds
                    ),
                )
        out: dict[str, float | None] = {"qattn": best["qattn"]}
        out["qattn wall"] = WALL[id(ours)]
        out["qml NN"] = None
        if (legacy or qc.num_qubits == 11) and not args.only_qattn:
            qnn = TorchStatevectorQNN(qc, x, w, observables, input_gradients=True)
            conn = TorchConnector(qnn, initial_weights=np.linspace(-1, 1, len(w)))
            out["qml NN"] = rate(module_step(conn), inputs, targets, args.seconds)
        out["reference"] = best["reference"] if with_reference else None
        out["lightning"] = out["default.qubit"] = None
        if have_pl and pl is not None:
            few = slice(0, max(1, min(pl_samples or args.pl_samples, batch)))
            pl_layer = pl("lightning.qubit", "adjoint")
            out["lightning"] = rate(module_step(pl_layer), inputs[few], targets[few], args.seconds)
            if args.default_qubit:
                pl_layer = pl("default.qubit", "backprop")
                out["default.qubit"] = rate(
                    module_step(pl_layer), inputs[few], targets[few], args.seconds
                )
        detail = (
            f"{qc.num_qubits} q, batch {batch}, build {build:.2f} s, "
            f"{len(layer.engine.plan.main)} ops"
        )
        rows.append((label, detail, out))
        ratio = lambda key: (  # noqa: E731
            f"{out['qattn'] / out[key]:.2f}x" if out.get(key) else "—"
        )
        print(
            f"{label:34s} {detail:42s} qattn {_fmt(out['qattn']):>6s} "
            f"(wall {_fmt(out['qattn wall'])})  "
            f"vs reference {ratio('reference'):>7s}  vs lightning {ratio('lightning'):>7s}",
            flush=True,
        )

    if not args.quick:
        measure(
            "11 q, previous train_bench circuit", legacy_circuit(), args.batch, None, None, True
        )
    for n in args.widths:
        batch = args.batch_20 if n >= 20 else args.batch
        ref = LookupReference(n)
        qc, x, w, obs = lookup_family(n)
        measure(
            f"lookup family, {n} q",
            (qc, list(x), list(w), obs),
            batch,
            reference_step(ref.forward, len(w)),
            lambda dev, diff, n=n: pennylane_lookup(n, dev, diff),
            reference_batch=args.reference_batch_20 if n >= 20 else None,
            pl_samples=args.pl_samples_20 if n >= 20 else None,
        )
    for tokens in args.tokens:
        model = qlam_model(tokens)
        ref_q = QLAMReference(tokens)
        measure(
            f"QLAM, T = {tokens}, m = {model.num_qubits}",
            (model.circuit, list(model.inputs), list(model.weights), list(model.observables)),
            args.batch,
            reference_step(ref_q.forward, len(model.weights)),
            lambda dev, diff, t=tokens: pennylane_qlam(t, dev, diff),
        )

    print()
    print(
        "| circuit | qattn | lightning adjoint | qattn / lightning | reference "
        "| qattn / reference | qml NN | default.qubit | qattn wall |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for label, detail, out in rows:
        q = out["qattn"] or 0.0
        lr = f"{q / out['lightning']:.2f}" if out["lightning"] else "—"
        rr = f"{q / out['reference']:.2f}" if out["reference"] else "—"
        print(
            f"| {label} ({detail}) | {_fmt(out['qattn'])} | {_fmt(out['lightning'])} | {lr} | "
            f"{_fmt(out['reference'])} | {rr} | {_fmt(out['qml NN'])} | "
            f"{_fmt(out['default.qubit'])} | {_fmt(out['qattn wall'])} |"
        )
    widest = max(args.widths)
    probe = subprocess.run(
        [sys.executable, __file__, "--memory-probe", str(widest), "--threads", str(args.threads)],
        capture_output=True,
        text=True,
        check=False,
    )
    print(f"\nmemory: {probe.stdout.strip() or probe.stderr.strip()[-300:]}")
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
