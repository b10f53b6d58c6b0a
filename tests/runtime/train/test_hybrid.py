"""The hybrid quantum models: shapes, gradients, numpy references and one training step."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit_machine_learning.connectors import TorchConnector
from torch import nn

from hardware_profiles.errors import JobError, ResourceError
from qcompile.models.qama_reference import qama_qubo_reference, qubo_energy_table
from qcompile.models.qasa import qasa_reference_expectations
from qcompile.models.qlaci_reference import qlaci_reference_expectations, split_qlaci_weights
from qcompile.models.qlam_reference import qlam_reference_expectations
from runtime.qnn.torch_qnn import TorchStatevectorLayer
from runtime.train.hybrid import (
    HYBRIDS,
    QAMAAttention,
    QASAQuantumLayer,
    QLACIAttention,
    QLACISizes,
    QLAMLayer,
    make_qnn,
)
from runtime.train.qubo_torch import local_energy
from runtime.train.spec import QNNBackend, TaskInfo

NEEDLE = TaskInfo("needle-4", "regression", seq_len=5, token_dim=8, output_dim=4)
DIGITS_ROWS = TaskInfo("digits-rows", "classification", seq_len=8, token_dim=8, output_dim=10)
SERIES = TaskInfo("series-sine", "forecast", seq_len=20, token_dim=1, output_dim=1)
TASKS = {
    name: {"needle": NEEDLE, "digits": DIGITS_ROWS, "series": SERIES}[spec.family]
    for name, spec in HYBRIDS.items()
}
# QAMA's output jumps where a step changes the solver's ground state (the solution is
# detached, so the gradient cannot see it); a small step keeps the ground state.
STEP = {"qlaci": 1e-2, "qlaci-kernel": 1e-2, "qlam": 1e-2, "qasa": 1e-2, "qama": 1e-4}
# A classical parameter that reaches the output only through the quantum part (the circuit,
# or QAMA's couplings), so its gradient proves the input gradients flow back.
BEFORE_QUANTUM = {
    "qlaci": "block.attention.key_proj.weight",
    "qlaci-kernel": "block.attention.key_proj.weight",
    "qlam": "embed.weight",
    "qasa": "quantum.quantum.input_proj.weight",
    "qama": "blocks.0.attn.wk.weight",
}


def _sample(info: TaskInfo, batch: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, info.seq_len, info.token_dim, generator=g)
    if info.kind == "classification":
        return x, torch.randint(info.output_dim, (batch,), generator=g)
    return x, torch.randn(batch, info.output_dim, generator=g)


def _loss(info: TaskInfo, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if info.kind == "classification":
        return nn.functional.cross_entropy(out, y)
    return nn.functional.mse_loss(out, y)


def _circuit_weights(model: nn.Module) -> list[torch.Tensor]:
    layers = (TorchConnector, TorchStatevectorLayer)
    return [m.weight for m in model.modules() if isinstance(m, layers)]


@pytest.mark.parametrize("name", sorted(HYBRIDS))
def test_hybrid_model_shapes_gradients_and_one_training_step(name: str) -> None:
    info = TASKS[name]
    model = HYBRIDS[name].build(info, QNNBackend(), 0)
    x, y = _sample(info, 8, seed=1)
    out = model(x)
    assert out.shape == (8, info.output_dim)
    loss = _loss(info, out, y)
    loss.backward()
    circuit = _circuit_weights(model)
    assert len(circuit) == (0 if name == "qama" else 1)
    named = dict(model.named_parameters())
    head = named["head.2.weight" if name == "qlam" else "head.weight"]
    for p in [*circuit, named[BEFORE_QUANTUM[name]], head]:
        assert p.grad is not None and torch.isfinite(p.grad).all()
        assert p.grad.abs().sum() > 0, name
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert all(torch.isfinite(g).all() for g in grads)

    optimizer = torch.optim.SGD(model.parameters(), lr=STEP[name])
    optimizer.step()
    with torch.no_grad():
        after = _loss(info, model(x), y)
    assert float(after) < float(loss.detach())


def test_factories_are_seeded() -> None:
    x, _ = _sample(NEEDLE, 4, seed=2)
    first = HYBRIDS["qlaci"].build(NEEDLE, QNNBackend(), 7)(x)
    again = HYBRIDS["qlaci"].build(NEEDLE, QNNBackend(), 7)(x)
    other = HYBRIDS["qlaci"].build(NEEDLE, QNNBackend(), 8)(x)
    torch.testing.assert_close(first, again)
    assert not torch.allclose(first, other)


@pytest.mark.parametrize("name", sorted(HYBRIDS))
def test_state_dict_restores_the_model(name: str) -> None:
    # Checkpoints hold every weight, circuit weights included.
    info = TASKS[name]
    x, _ = _sample(info, 3, seed=4)
    saved = HYBRIDS[name].build(info, QNNBackend(), 1)
    restored = HYBRIDS[name].build(info, QNNBackend(), 2)
    restored.load_state_dict(saved.state_dict())
    torch.testing.assert_close(restored(x), saved(x))


@pytest.mark.parametrize("qram", ["multiplexer", None])
@pytest.mark.parametrize(("entries", "value_qubits"), [(3, 1), (4, 2)])
def test_qlaci_context_equals_numpy_reference(
    entries: int, value_qubits: int, qram: str | None
) -> None:
    # 3 entries are padded to 4 and the padding removed; 4 entries fill the QRAM.
    torch.manual_seed(0)
    sizes = QLACISizes(value_qubits=value_qubits, qram=qram)
    head = QLACIAttention(6, entries, sizes=sizes, seed=3)
    q = torch.randn(2, 2)
    k = torch.randn(2, entries, 2)
    v = torch.randn(2, entries, value_qubits)
    got = head.context(q, k, v).detach().numpy()
    weights = split_qlaci_weights(head.qnn.weight.detach().numpy(), 2, 2, 2, 1)
    for b in range(2):
        want = qlaci_reference_expectations(q[b].numpy(), k[b].numpy(), v[b].numpy(), weights)
        np.testing.assert_allclose(got[b], want, atol=1e-6)


def test_qlaci_block_attends_from_projections() -> None:
    torch.manual_seed(0)
    head = QLACIAttention(6, 4, seed=1)
    queries, memory = torch.randn(3, 2, 6), torch.randn(3, 4, 6)
    out = head(queries, memory)
    assert out.shape == (3, 2, 2)
    direct = head.context(
        head.query_proj(queries[:, 1]), head.key_proj(memory), head.value_proj(memory)
    )
    torch.testing.assert_close(out[:, 1], direct)


def test_qlam_layer_equals_numpy_reference() -> None:
    torch.manual_seed(0)
    layer = QLAMLayer(3, 5, memory_qubits=4, entangler_reps=2, seed=4)
    tokens, query = torch.randn(2, 3, 5), torch.randn(4)
    got = layer(tokens, query).detach().numpy()
    w = layer.qnn.weight.detach().numpy().astype(float)
    entangler = w[: 2 * 2 * 4].reshape(2, 4, 2)
    readout = w[2 * 2 * 4 :].reshape(4, 2)
    for b in range(2):
        want = qlam_reference_expectations(tokens[b].numpy(), query.numpy(), entangler, readout)
        np.testing.assert_allclose(got[b], want, atol=1e-6)


def test_qasa_quantum_layer_equals_numpy_reference() -> None:
    torch.manual_seed(0)
    layer = QASAQuantumLayer(6, seed=5)
    x = torch.randn(2, 3, 6)
    angles = layer.angles(x).reshape(6, -1)
    got = layer.qnn(angles).detach().numpy()
    w = layer.qnn.weight.detach().numpy().astype(float)
    for row in range(6):
        want = qasa_reference_expectations(angles[row].detach().numpy(), w)
        np.testing.assert_allclose(got[row], want, atol=1e-6)
    out = layer(x)
    expected = x + layer.output_proj(torch.as_tensor(got)).reshape(2, 3, 6)
    torch.testing.assert_close(out, expected)


@pytest.mark.parametrize("solver", ["exact", "annealing"])
def test_qama_attention_equals_numpy_reference(solver: str) -> None:
    torch.manual_seed(0)
    attention = QAMAAttention(8, 2, solver=solver, seed=0)  # type: ignore[arg-type]
    x = torch.randn(2, 4, 8)
    out = attention(x)
    assert out.shape == (2, 4, 8)
    j, h = attention.couplings(x)
    spins = attention.solve(j, h)
    e2v = attention.e2v.detach().numpy()
    for b in range(2):
        jn, hn = j[b].detach().double().numpy(), h[b].detach().double().numpy()
        q = qama_qubo_reference(jn, hn)
        table = qubo_energy_table(q)
        bits = spins[b].reshape(-1).numpy().astype(int)
        code = int(sum(int(bit) << i for i, bit in enumerate(bits)))
        assert table[code] == pytest.approx(table.min(), abs=1e-9)  # a ground state
        xs = spins[b].numpy().astype(float)
        local = -(xs * np.einsum("ajk,ak->aj", jn, xs) + hn * xs)
        want = (local[:, :, None] * e2v).transpose(1, 0, 2).reshape(4, 8)
        np.testing.assert_allclose(out[b].detach().numpy(), want, atol=1e-5)
    torch.testing.assert_close(local_energy(j, h, spins), local_energy(j, h, spins.detach()))


def test_qama_gradients_skip_the_solver() -> None:
    torch.manual_seed(0)
    attention = QAMAAttention(8, 2, seed=0)
    attention(torch.randn(3, 4, 8)).square().sum().backward()
    for p in (attention.wq.weight, attention.wk.weight, attention.wv.weight, attention.e2v):
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0


def test_bad_backends_are_one_line_errors() -> None:
    head = QLACIAttention(4, 2)
    with pytest.raises(JobError, match="unknown training backend"):
        make_qnn(head.model_circuit, QNNBackend(name="gpu"))
    with pytest.raises(JobError, match="classical solver"):
        HYBRIDS["qama"].build(DIGITS_ROWS, QNNBackend(name="aer-noisy"), 0)
    with pytest.raises(ResourceError):
        QAMAAttention(6, 4)


@pytest.mark.slow
def test_shots_backend_runs_the_same_model() -> None:
    # Aer with heron_r2 noise and shots: close to the exact outputs, finite gradients.
    torch.manual_seed(0)
    backend = QNNBackend(name="aer-noisy", seed=1, precision=0.05)
    noisy = QLAMLayer(2, 2, memory_qubits=2, backend=backend, seed=0)
    exact = QLAMLayer(2, 2, memory_qubits=2, seed=0)
    tokens, query = torch.randn(3, 2, 2), torch.randn(2)
    out = noisy(tokens, query)
    np.testing.assert_allclose(
        out.detach().numpy(), exact(tokens, query).detach().numpy(), atol=0.25
    )
    out.sum().backward()
    grad = noisy.qnn.weight.grad
    assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0
