"""Training-step benchmark: TorchConnector over qml's EstimatorQNN vs ``TorchStatevectorQNN``.

The circuit (11 qubits, 20 inputs, 44 weights, 3 outputs), a QLACI-style lookup:

* qubits 0-3 ``query``: ``RY(x_q)`` angle encoding of the query (inputs 0-3);
* qubits 4-7 ``index``: ``H`` each, a uniform superposition over the 16 entries;
* lookup: for each entry ``j`` in 0..15, ``RY(x_{4+j})`` on readout qubit 8 controlled by all
  four index qubits with ``ctrl_state=j`` (a multiplexed rotation; inputs 4-19);
* qubits 8-10 ``out``: the readout;
* trainable layer A: ``RY(w)`` then ``RZ(w)`` on every qubit (22 weights), a CX chain
  0->1->...->10, layer B: ``RY(w)``, ``RZ(w)`` on every qubit (22 weights), then CX 8->9, 9->10;
* outputs: ``<Z_8>``, ``<Z_9>``, ``<Z_10>``.

Each step is forward + backward of an MSE loss through ``TorchConnector`` with
``input_gradients=True``, batch 32, ``torch.set_num_threads(1)``. (a) qml's default
``EstimatorQNN`` (``StatevectorEstimator`` + parameter-shift gradients) is too slow for a whole
batch: it times ``--baseline-samples`` samples and the batch figure is extrapolated (printed as
such). (b) ours (``TorchStatevectorQNN``, adjoint gradients) runs ``--batches`` full batches.
(c) the shots path: ``ShotsQNN`` on ``AerExecutor`` with ``--profile``'s noise, batched
parameter shift, compiled once for the profile. Noisy simulation of the compiled circuit
(hundreds of CZs on 11 qubits: Aer statevector trajectories, ``1/precision**2`` of them per
parameter set) is far too slow for a training step here, so by default it times one
estimator request of ``--shots-sets`` parameter sets and extrapolates a step from the
``(1 + 2 * occurrences)`` sets per sample that forward + parameter-shift backward cost
(printed as such); ``--shots-full`` times a real forward + backward of one sample instead.
The gradient check compares ours with the baseline's parameter-shift Jacobian on one sample.
The machine load (``uptime``) and torch's thread count are printed: compare ratios measured
in the same run.

Run: .venv/bin/python benchmarks/train_bench.py [--batches 20] [--baseline-samples 1]
     [--shots-sets 2] [--shots-precision 0.1] [--shots-full] [--skip-shots]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import RYGate
from qiskit.quantum_info import SparsePauliOp
from qiskit_machine_learning.connectors import TorchConnector
from qiskit_machine_learning.neural_networks import EstimatorQNN, NeuralNetwork

from hardware_profiles import load_profile
from runtime.execution.aer import AerExecutor
from runtime.qnn.shots_qnn import ShotsQNN
from runtime.qnn.torch_qnn import TorchStatevectorQNN

BATCH = 32


def lookup_circuit() -> tuple[
    QuantumCircuit, ParameterVector, ParameterVector, list[SparsePauliOp]
]:
    x = ParameterVector("inputs", 20)
    w = ParameterVector("weights", 44)
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


def time_steps(qnn: NeuralNetwork, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Seconds for forward + backward of an MSE loss over ``inputs`` (one step)."""
    model = TorchConnector(qnn, initial_weights=np.linspace(-1.0, 1.0, qnn.num_weights))
    x = inputs.clone().requires_grad_(True)
    start = time.perf_counter()
    loss = torch.nn.functional.mse_loss(model(x), targets)
    loss.backward()
    return time.perf_counter() - start


def time_shots(
    qc: QuantumCircuit,
    x: ParameterVector,
    w: ParameterVector,
    observables: list[SparsePauliOp],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    args: argparse.Namespace,
) -> float:
    """Samples/s of the aer-noisy, batched parameter-shift path (see the module docstring)."""
    executor = AerExecutor(load_profile(args.profile), noisy=True, seed=1)
    start = time.perf_counter()
    qnn = ShotsQNN(
        qc,
        list(x),
        list(w),
        observables,
        executor=executor,
        input_gradients=True,
        precision=args.shots_precision,
    )
    compile_s = time.perf_counter() - start
    occurrences = qnn.num_occurrences
    print(
        f"shots path ({executor.name}, {args.profile}, precision {args.shots_precision}): "
        f"compiled once in {compile_s:.1f} s, {occurrences} parametrised gate angles, "
        f"ops {dict(qnn.isa_circuit.count_ops())}"
    )
    if args.shots_full:
        seconds = time_steps(qnn, inputs[:1], targets[:1])
        rate = 1 / seconds
        print(f"shots path: 1 sample forward + backward in {seconds:.1f} s -> {rate:.2e} samples/s")
        return rate
    weights = np.linspace(-1.0, 1.0, len(w))
    row = np.concatenate([inputs[0].double().numpy(), weights])
    sets = np.repeat(row[None], args.shots_sets, axis=0)
    start = time.perf_counter()
    qnn.evaluate(sets)
    per_set = (time.perf_counter() - start) / args.shots_sets
    per_sample = per_set * (1 + 2 * occurrences)
    print(
        f"shots path: one request of {args.shots_sets} parameter sets, {per_set:.2f} s per set; "
        f"a sample costs 1 + 2 x {occurrences} sets -> extrapolated {per_sample:.0f} s per "
        f"sample, {1 / per_sample:.2e} samples/s"
    )
    return 1 / per_sample


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--baseline-samples", type=int, default=1)
    parser.add_argument("--profile", default="heron_r2")
    parser.add_argument("--shots-sets", type=int, default=2)
    parser.add_argument("--shots-precision", type=float, default=0.1)
    parser.add_argument("--shots-full", action="store_true")
    parser.add_argument("--skip-shots", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(f"torch threads: {torch.get_num_threads()}; load average: {_load()}")
    qc, x, w, observables = lookup_circuit()
    rng = np.random.default_rng(7)
    data = torch.tensor(rng.uniform(-np.pi, np.pi, (args.batches, BATCH, 20)), dtype=torch.float)
    targets = torch.tensor(rng.uniform(-1, 1, (args.batches, BATCH, 3)), dtype=torch.float)
    print(
        f"circuit: {qc.num_qubits} qubits, {len(x)} inputs, {len(w)} weights, "
        f"ops {dict(qc.count_ops())}"
    )

    ours = TorchStatevectorQNN(qc, list(x), list(w), observables, input_gradients=True)
    time_steps(ours, data[0], targets[0])  # warm-up
    cpu_start = time.process_time()
    seconds = sum(time_steps(ours, data[b], targets[b]) for b in range(args.batches))
    cpu_seconds = time.process_time() - cpu_start
    ours_rate = args.batches * BATCH / seconds
    # On a shared machine wall time includes waiting for a core; one thread's CPU time
    # does not (it still includes the setup around each step).
    print(
        f"ours (TorchStatevectorQNN): {args.batches} batches of {BATCH}: "
        f"{seconds:.3f} s, {ours_rate:.0f} samples/s "
        f"(process CPU time {cpu_seconds:.3f} s -> {args.batches * BATCH / cpu_seconds:.0f} "
        "samples/s per busy core)"
    )

    baseline = EstimatorQNN(
        circuit=qc,
        observables=observables,
        input_params=list(x),
        weight_params=list(w),
        input_gradients=True,
    )
    n = args.baseline_samples
    seconds = time_steps(baseline, data[0, :n], targets[0, :n])
    base_rate = n / seconds
    print(
        f"qml EstimatorQNN (default StatevectorEstimator + param shift): {n} sample(s) in "
        f"{seconds:.2f} s -> {base_rate:.4f} samples/s; batch of {BATCH} extrapolated: "
        f"{BATCH / base_rate:.0f} s"
    )
    print(f"speed-up ours / qml: {ours_rate / base_rate:.0f}x")
    if not args.skip_shots:
        shots_rate = time_shots(qc, x, w, observables, data[0], targets[0], args)
        print(f"speed-up shots path / qml: {shots_rate / base_rate:.3g}x")

    sample = data[0, :1].double().numpy()
    weights = np.linspace(-1.0, 1.0, len(w))
    ref_in, ref_w = baseline.backward(sample, weights)
    our_in, our_w = ours.backward(sample, weights)
    diff = max(np.abs(ref_in - our_in).max(), np.abs(ref_w - our_w).max())
    fwd = np.abs(baseline.forward(sample, weights) - ours.forward(sample, weights)).max()
    print(f"one sample: max |output diff| {fwd:.2e}, max |grad diff| vs parameter shift {diff:.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
