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
such). (b) ours runs ``--batches`` full batches. The gradient check compares ours with the
baseline's parameter-shift Jacobian on one sample.

Run: .venv/bin/python benchmarks/train_bench.py [--batches 20] [--baseline-samples 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import RYGate
from qiskit.quantum_info import SparsePauliOp
from qiskit_machine_learning.connectors import TorchConnector
from qiskit_machine_learning.neural_networks import EstimatorQNN, NeuralNetwork

from runtime.torch_qnn import TorchStatevectorQNN

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--baseline-samples", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
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
    seconds = sum(time_steps(ours, data[b], targets[b]) for b in range(args.batches))
    ours_rate = args.batches * BATCH / seconds
    print(
        f"ours (TorchStatevectorQNN): {args.batches} batches of {BATCH}: "
        f"{seconds:.3f} s, {ours_rate:.0f} samples/s"
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
