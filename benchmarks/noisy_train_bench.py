"""Noisy-training benchmark: NoisyQNN (torch, the profile's noise) vs ShotsQNN on noisy Aer.

The circuit is the 11-qubit QLACI-style lookup of ``benchmarks/train_bench.py`` (20 inputs,
44 weights, outputs ``<Z_8>``, ``<Z_9>``, ``<Z_10>``; ``lookup_circuit`` below, also
``legacy_circuit`` there), compiled once for ``--profile`` (default heron_r2; 11 active
qubits, so the noisy backend runs trajectories).

It prints, with the machine load and 1 torch thread:

1. validation of the exact (density-matrix) mode against Aer's density-matrix estimator on
   a smaller member of the family (2 query, 2 index, 3 out qubits) compiled for the same
   profile: max |difference| (readout off, as Aer's estimator ignores readout errors);
2. validation of the trajectory mode on the 11-qubit circuit against Aer's density-matrix
   simulation (``--validate-trajectories`` trajectories, one parameter set): each output's
   deviation in standard errors;
3. the gradient's standard error, from ``--repeats`` independent single-trajectory
   Jacobians of one sample, against parameter shift with 4096 shots per circuit (the
   variance of each shifted ``<Z>`` is ``(1 - f^2) / 4096``, ``f`` the noisy value; the
   shift-rule variance of a parameter is ``sum_o A_jo^2 (1 - f^2) / 8192`` over its angle
   occurrences ``o`` with coefficients ``A_jo``), componentwise; from the worst component,
   the trajectories per sample that match parameter shift everywhere;
4. speed: forward + backward (``NoisyQNNLayer``, one autograd sweep, MSE loss) of a batch
   of ``--batch`` samples with ``--trajectories`` trajectories each, in samples per second
   and per CPU-second (the machine is shared: CPU time is the figure), and extrapolated
   (linearly in trajectories) to the count that matches parameter shift;
5. ShotsQNN on ``AerExecutor`` (noisy) in the same run: one estimator request of one
   parameter set at ``--shots-precision``, extrapolated to a parameter-shift sample
   (``1 + 2 x occurrences`` sets) at that precision and at 4096 shots; and the ratios;
6. with ``--widths``, the step at every fused block width 2..5 beside the width the engine's
   cost model picks (``runtime.simulators.noisy.trajectories``), and how far the pick is from
   the fastest measured.

``--circuit qasa`` runs the speed and width parts on QASA's circuit instead (the training
tables' ``qasa@noisy`` rows: 13 active qubits on heron_r2), e.g.
``--circuit qasa --skip-aer --repeats 16 --widths``.

Run: .venv/bin/python benchmarks/noisy_train_bench.py [--batch 32] [--trajectories 16]
     [--repeats 64] [--validate-trajectories 256] [--shots-precision 0.1] [--skip-aer]
     [--skip-validation] [--circuit lookup|qasa] [--widths]
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import RYGate
from qiskit.quantum_info import DensityMatrix, SparsePauliOp
from qiskit_aer import AerSimulator

from hardware_profiles import load_profile
from qcompile.models.qasa import build_qasa
from runtime.execution.active import restrict_circuit
from runtime.execution.aer import AerExecutor
from runtime.execution.executor import EstimatorPub
from runtime.execution.noise import noise_model
from runtime.qnn.noisy_qnn import NoisyQNN
from runtime.qnn.shots_qnn import ShotsQNN
from runtime.simulators.noisy.trajectories import TrajectoryEngine

PS_SHOTS = 4096


def lookup_circuit(
    query: int = 4, index: int = 4, out: int = 3
) -> tuple[QuantumCircuit, ParameterVector, ParameterVector, list[SparsePauliOp]]:
    """The train_bench lookup family; the defaults give its 11-qubit circuit exactly."""
    entries = 2**index
    n = query + index + out
    read = query + index
    x = ParameterVector("inputs", query + entries)
    w = ParameterVector("weights", 4 * n)
    qc = QuantumCircuit(n, name=f"qlaci_lookup{n}")
    for q in range(query):
        qc.ry(x[q], q)
    for q in range(query, read):
        qc.h(q)
    for j in range(entries):
        gate = RYGate(x[query + j]).control(index, ctrl_state=j, annotated=False)
        qc.append(gate, [*range(query, read), read])
    k = 0
    for layer in range(2):
        for q in range(n):
            qc.ry(w[k], q)
            qc.rz(w[k + 1], q)
            k += 2
        if layer == 0:
            for q in range(n - 1):
                qc.cx(q, q + 1)
    for q in range(read, n - 1):
        qc.cx(q, q + 1)
    observables = [SparsePauliOp("I" * (n - 1 - q) + "Z" + "I" * q) for q in range(read, n)]
    return qc, x, w, observables


def qasa_circuit() -> tuple[QuantumCircuit, ParameterVector, ParameterVector, list[SparsePauliOp]]:
    """QASA's published 9-qubit circuit (the training tables' ``qasa@noisy`` rows)."""
    model = build_qasa()
    return model.circuit, model.inputs, model.weights, list(model.observables)


def widths(qnn: NoisyQNN, batch: int, trajectories: int) -> None:
    """Forward + backward per fused block width, beside the width the cost model picks."""
    picked = TrajectoryEngine(qnn._program, qnn._dtype)
    cpu = {}
    for k in range(2, 6):
        qnn._trajectory_engine = TrajectoryEngine(qnn._program, qnn._dtype, block_qubits=k)
        print(f"[widths] block width {k}: {qnn._trajectory_engine.num_blocks} blocks", end="; ")
        cpu[k] = batch / speed(qnn, batch, trajectories)
    qnn._trajectory_engine = picked
    best = min(cpu, key=cpu.__getitem__)
    print(
        f"[widths] the cost model picks {picked.block_qubits} ({cpu[picked.block_qubits]:.2f} "
        f"CPU-s per batch); the fastest measured is {best} ({cpu[best]:.2f} CPU-s): the pick "
        f"takes {cpu[picked.block_qubits] / cpu[best]:.2f}x the fastest"
    )


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def _rows(qnn: NoisyQNN, inputs: np.ndarray, weights: np.ndarray) -> torch.Tensor:
    batch = inputs.shape[0]
    return torch.as_tensor(
        np.concatenate([inputs, np.broadcast_to(weights, (batch, len(weights)))], 1)
    )


def validate_exact(profile: str) -> None:
    qc, x, w, observables = lookup_circuit(2, 2, 3)
    qnn = NoisyQNN(qc, list(x), list(w), observables, profile=profile, readout=False, seed=0)
    rng = np.random.default_rng(11)
    inputs, weights = rng.uniform(-np.pi, np.pi, (3, len(x))), rng.uniform(-1, 1, len(w))
    ours = qnn.forward(inputs, weights)
    isa = qnn.artifact.circuit
    order = {p: i for i, p in enumerate([*x, *w])}
    rows = _rows(qnn, inputs, weights).numpy()[:, [order[p] for p in isa.parameters]]
    executor = AerExecutor(load_profile(profile), noisy=True, seed=1)
    reference = executor.estimate([EstimatorPub(isa, qnn.artifact.observables, rows)], None)
    diff = np.abs(ours - reference.values[0]).max()
    print(
        f"[validate exact] {qc.num_qubits}-qubit lookup on {profile}: "
        f"{len(qnn.active_qubits)} active qubits, mode {qnn.mode}; max |ours - Aer "
        f"{reference.metadata['methods'][0]}| = {diff:.2e} over 3 sets x {len(observables)} outputs"
    )


def validate_trajectories(qnn: NoisyQNN, profile: str, trajectories: int) -> None:
    rng = np.random.default_rng(12)
    inputs, weights = (
        rng.uniform(-np.pi, np.pi, (1, qnn.num_inputs)),
        np.linspace(-1, 1, qnn.num_weights),
    )
    start = time.perf_counter()
    with torch.no_grad():
        values = qnn.trajectory_values(_rows(qnn, inputs, weights), trajectories)[0].numpy()
    ours_s = time.perf_counter() - start
    mean, sigma = values.mean(0), values.std(0, ddof=1) / np.sqrt(trajectories)
    # Aer: the same compact ISA circuit, the same noise model, density matrix; the readout
    # confusion applied to its probabilities.
    isa = qnn.artifact.circuit
    order = {p: i for i, p in enumerate(qnn._input_params + qnn._weight_params)}
    row = _rows(qnn, inputs, weights).numpy()[0]
    bound = isa.assign_parameters({p: row[order[p]] for p in isa.parameters})
    active = restrict_circuit(bound)
    noise = noise_model(load_profile(profile), active.qubits)
    circuit = active.circuit.copy()
    circuit.save_density_matrix()
    start = time.perf_counter()
    rho = AerSimulator(method="density_matrix", noise_model=noise).run(circuit).result()
    aer_s = time.perf_counter() - start
    dm = DensityMatrix(rho.data(0)["density_matrix"])
    n = active.circuit.num_qubits
    probabilities = np.real(np.diag(dm.data)).reshape([2] * n)
    for q in range(n):
        confusion = np.asarray(noise._local_readout_errors[(q,)].probabilities)
        probabilities = np.moveaxis(
            np.tensordot(probabilities, confusion, axes=([n - 1 - q], [0])), -1, n - 1 - q
        )
    read = probabilities.reshape(-1)
    bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    exact = []
    for observable in qnn.artifact.observables:
        compact = active.map_observable(observable)
        (label,) = compact.paulis.to_labels()
        qubits = [q for q in range(n) if label[n - 1 - q] == "Z"]
        exact.append(float(read @ np.prod(1 - 2 * bits[:, qubits], axis=1)))
    z = (mean - np.array(exact)) / sigma
    print(
        f"[validate trajectories] {n} active qubits, {trajectories} trajectories ({ours_s:.0f} s) "
        f"vs Aer density_matrix + readout confusion ({aer_s:.0f} s): ours {np.round(mean, 4)} "
        f"+- {np.round(sigma, 4)}, Aer {np.round(exact, 4)}, deviations {np.round(z, 2)} sigma"
    )


def speed(qnn: NoisyQNN, batch: int, trajectories: int) -> float:
    layer = qnn.torch_layer(np.linspace(-1, 1, qnn.num_weights))
    qnn._trajectories = trajectories
    rng = np.random.default_rng(7)
    x = torch.tensor(rng.uniform(-np.pi, np.pi, (batch, qnn.num_inputs)), requires_grad=True)
    targets = torch.tensor(rng.uniform(-1, 1, (batch, qnn.output_shape[0])))
    torch.nn.functional.mse_loss(layer(x), targets).backward()  # warm-up step
    best_wall, best_cpu = math.inf, math.inf
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        torch.nn.functional.mse_loss(layer(x), targets).backward()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    print(
        f"[speed] NoisyQNN trajectories: batch {batch} x {trajectories} trajectories, forward + "
        f"backward (best of 3 steps after a warm-up) in {best_wall:.2f} s "
        f"({batch / best_wall:.3f} samples/s; CPU {best_cpu:.2f} s -> "
        f"{batch / best_cpu:.3f} samples per CPU-second)"
    )
    return batch / best_cpu


def gradient_error(qnn: NoisyQNN, repeats: int) -> tuple[int, int]:
    """Trajectories per sample whose gradient error matches 4096-shot parameter shift.

    ``repeats`` independent single-trajectory Jacobians of one sample (one batch of copies)
    give each component's standard deviation ``s``; T trajectories give ``s / sqrt(T)``.
    Compared with the parameter-shift SE two ways, over the Jacobian's components (outputs x
    parameters with angles): in every component (the worst decides), and in total mean
    squared error ``E||J_hat - J||^2 = sum s^2 / T`` (the variance SGD sees).

    Returns:
        ``(every component, total)`` trajectories per sample.
    """
    rng = np.random.default_rng(8)
    inputs = rng.uniform(-np.pi, np.pi, (1, qnn.num_inputs))
    weights = np.linspace(-1, 1, qnn.num_weights)
    params = _rows(qnn, np.repeat(inputs, repeats, 0), weights).requires_grad_(True)
    out = qnn.trajectory_values(params, 1)[:, 0, :]  # (repeats, outputs), rows independent
    outputs = out.shape[1]
    jac = np.stack(
        [
            torch.autograd.grad(out[:, k].sum(), params, retain_graph=k + 1 < outputs)[0].numpy()
            for k in range(outputs)
        ],
        axis=1,
    )  # (repeats, outputs, params)
    sd = jac.std(0, ddof=1)
    f = out.detach().numpy().mean(0)
    a2 = (qnn._angle_matrix.numpy() ** 2).sum(1)  # (params,)
    se_ps = np.sqrt(a2[None, :] * (1 - f[:, None] ** 2) / (2 * PS_SHOTS))
    used = np.broadcast_to(a2 > 0, sd.shape)
    ratio = sd[used] / se_ps[used]
    needed = max(1, int(np.ceil(ratio.max() ** 2)))
    total = float((sd[used] ** 2).sum() / (se_ps[used] ** 2).sum())
    needed_total = max(1, int(np.ceil(total)))
    print(
        f"[gradient SE] {repeats} independent single-trajectory Jacobians of one sample: "
        f"per-trajectory SD median {np.median(sd[used]):.4f}, max {sd[used].max():.4f}; "
        f"parameter shift at {PS_SHOTS} shots: SE median {np.median(se_ps[used]):.4f}; ratio "
        f"SD / SE_ps median {np.median(ratio):.3f}, 90th percentile "
        f"{np.percentile(ratio, 90):.3f}, max {ratio.max():.3f} -> {needed} trajectories per "
        "sample match parameter shift in every component; total squared error "
        f"sum s^2 / sum SE_ps^2 = {total:.2f} -> {needed_total} trajectories per sample match it "
        "in total"
    )
    return needed, needed_total


def shots_baseline(qc, x, w, observables, profile: str, precision: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    executor = AerExecutor(load_profile(profile), noisy=True, seed=1)
    qnn = ShotsQNN(
        qc,
        list(x),
        list(w),
        observables,
        executor=executor,
        precision=precision,
        input_gradients=True,
    )
    row = np.concatenate(
        [np.random.default_rng(9).uniform(-np.pi, np.pi, len(x)), np.linspace(-1, 1, len(w))]
    )
    wall, cpu = time.perf_counter(), time.process_time()
    qnn.evaluate(row[None])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    sets = 1 + 2 * qnn.num_occurrences
    shots = int(np.ceil(1 / precision**2))
    per_sample = cpu * sets
    per_sample_4096 = per_sample * PS_SHOTS / shots
    print(
        f"[ShotsQNN] Aer noisy ({profile}), one set at precision {precision} ({shots} "
        f"trajectories): {wall:.1f} s wall, {cpu:.1f} s CPU; parameter shift needs {sets} sets "
        f"per sample -> {1 / per_sample:.2e} samples per CPU-second at {shots} shots, "
        f"{1 / per_sample_4096:.2e} at {PS_SHOTS} shots (extrapolated linearly in shots)"
    )
    return 1 / per_sample, 1 / per_sample_4096


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="heron_r2")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--trajectories", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=64)
    parser.add_argument("--validate-trajectories", type=int, default=256)
    parser.add_argument("--shots-precision", type=float, default=0.1)
    parser.add_argument("--dtype", choices=("complex64", "complex128"), default="complex64")
    parser.add_argument(
        "--skip-aer", action="store_true", help="skip the Aer validations and baseline"
    )
    parser.add_argument("--skip-validation", action="store_true", help="skip the Aer validations")
    parser.add_argument(
        "--circuit",
        choices=("lookup", "qasa"),
        default="lookup",
        help="the 11-qubit lookup (default) or QASA's circuit (the qasa@noisy training rows)",
    )
    parser.add_argument(
        "--widths",
        action="store_true",
        help="also time every fused block width 2..5 beside the cost model's pick",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(f"torch threads: {torch.get_num_threads()}; load average: {_load()}")
    if not (args.skip_aer or args.skip_validation):
        validate_exact(args.profile)
    qc, x, w, observables = lookup_circuit() if args.circuit == "lookup" else qasa_circuit()
    start = time.perf_counter()
    qnn = NoisyQNN(
        qc,
        list(x),
        list(w),
        observables,
        profile=args.profile,
        seed=3,
        dtype=getattr(torch, args.dtype),
    )
    print(
        f"circuit {qc.name}: compiled for {args.profile} and lowered in "
        f"{time.perf_counter() - start:.1f} s; ops {dict(qnn.artifact.circuit.count_ops())}; "
        f"{len(qnn.active_qubits)} active qubits, {qnn.num_occurrences} parametrised angles, "
        f"mode {qnn.mode}, dtype {args.dtype}"
    )
    if not (args.skip_aer or args.skip_validation):
        validate_trajectories(qnn, args.profile, args.validate_trajectories)
    needed, needed_total = gradient_error(qnn, args.repeats)
    rate = speed(qnn, args.batch, args.trajectories)
    engine = qnn._trajectory_engine
    if engine is not None:
        print(
            f"[engine] fused block width {engine.block_qubits} (cost model), "
            f"{engine.num_blocks} blocks"
        )
    if args.widths:
        widths(qnn, args.batch, args.trajectories)
    # The cost of a step is linear in batch x trajectories (measured: the fused blocks are
    # GEMMs over that dimension), so the matched rate is extrapolated, and printed as such.
    matched = rate * args.trajectories / needed
    matched_total = rate * args.trajectories / needed_total
    print(
        f"[matched] {needed} trajectories per sample (extrapolated from {args.trajectories}): "
        f"{matched:.3f} samples per CPU-second forward + backward at a gradient SE no worse "
        f"than parameter shift with {PS_SHOTS} shots in every component; {needed_total} "
        f"trajectories per sample: {matched_total:.3f} samples per CPU-second at a total "
        "squared gradient error no worse than it"
    )
    if not args.skip_aer:
        shots_rate, shots_4096 = shots_baseline(
            qc, x, w, observables, args.profile, args.shots_precision
        )
        print(
            f"[ratios] NoisyQNN (matched in every component) / ShotsQNN at "
            f"{args.shots_precision}: {matched / shots_rate:.3g}x; / ShotsQNN parameter shift "
            f"at {PS_SHOTS} shots: {matched / shots_4096:.3g}x; matched in total: "
            f"{matched_total / shots_4096:.3g}x"
        )
    print(f"load average at the end: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
