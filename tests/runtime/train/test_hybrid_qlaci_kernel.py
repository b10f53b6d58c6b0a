"""Kernel-attention QLACI in torch: exact ratio, exact gradients, padding, shots."""

from __future__ import annotations

from typing import cast

import numpy as np
import pytest
import torch

from qcompile.models.qlaci_kernel_reference import kernel_reference_context
from runtime.train.hybrid import HYBRIDS
from runtime.train.hybrid_qlaci_kernel import (
    KernelAttentionSizes,
    QLACIKernelAttention,
    postselected_context,
    shot_retrieval_accuracy,
)
from runtime.train.spec import QNNBackend
from runtime.train.tasks import NeedleTask, get_task

SMALL = KernelAttentionSizes(feature_qubits=2, copies=2, out_qubits=2, layers=2, beta=1.3)


def _attention(entries: int, sizes: KernelAttentionSizes = SMALL) -> QLACIKernelAttention:
    torch.manual_seed(0)
    return QLACIKernelAttention(8, entries, sizes=sizes, seed=3)


def _angles(entries: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    q = torch.rand(3, 2, generator=g, dtype=torch.float64) * 3 - 1.5
    k = torch.rand(3, entries, 2, generator=g, dtype=torch.float64) * 3 - 1.5
    k[:, 1] = q  # a matching key
    v = torch.rand(3, entries, 2, generator=g, dtype=torch.float64) * 4 - 2
    return q, k, v


@pytest.mark.parametrize("entries", [4, 3])  # 3: padded to 4 and the padding removed
def test_context_is_normalised_kernel_attention(entries: int) -> None:
    att = _attention(entries)
    q, k, v = _angles(entries)
    with torch.no_grad():
        got = att.context(q, k, v).numpy()
    beta = float(att.log_beta.detach().double().exp())
    w = att.circuit_weights()
    for b in range(3):
        ref = kernel_reference_context(
            beta * q[b].numpy(), beta * k[b].numpy(), v[b].numpy(), w, layers=2, copies=2
        )
        # TorchConnector hands float32 back (the QNN itself is float64).
        np.testing.assert_allclose(got[b], ref, atol=2e-7)


def test_ratio_gradient_matches_finite_differences() -> None:
    att = _attention(4)
    q, k, v = _angles(4, seed=1)
    probe = torch.tensor([0.7, -1.1], dtype=torch.float64)
    leaves = [q.clone().requires_grad_(), k.clone().requires_grad_(), v.clone().requires_grad_()]

    def loss(qq: torch.Tensor, kk: torch.Tensor, vv: torch.Tensor) -> torch.Tensor:
        return (att.context(qq, kk, vv).double() * probe).sum()

    loss(*leaves).backward()
    analytic = [leaf.grad.numpy().copy() for leaf in leaves]  # type: ignore[union-attr]
    circuit_weight = cast(torch.Tensor, att.qnn.weight)
    assert circuit_weight.grad is not None
    w_grad = circuit_weight.grad.detach().numpy().copy()
    beta_grad = float(att.log_beta.grad)  # type: ignore[arg-type]
    # Central differences in float32 (the QNN layer's output): error ~ 6e-8 / h + h^2.
    h = 1e-3
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for leaf_index, leaf in enumerate((q, k, v)):
            flat = leaf.view(-1)
            for i in rng.choice(flat.numel(), 4, replace=False):
                base = [t.clone() for t in (q, k, v)]
                up, down = [t.clone() for t in base], [t.clone() for t in base]
                up[leaf_index].view(-1)[i] += h
                down[leaf_index].view(-1)[i] -= h
                fd = (float(loss(*up)) - float(loss(*down))) / (2 * h)
                assert analytic[leaf_index].reshape(-1)[i] == pytest.approx(fd, abs=5e-4)
        for i in range(circuit_weight.numel()):
            circuit_weight[i] += h
            f_up = float(loss(q, k, v))
            circuit_weight[i] -= 2 * h
            f_down = float(loss(q, k, v))
            circuit_weight[i] += h
            assert w_grad[i] == pytest.approx((f_up - f_down) / (2 * h), abs=5e-4)
        log_beta = att.log_beta
        log_beta.add_(h)
        f_up = float(loss(q, k, v))
        log_beta.sub_(2 * h)
        f_down = float(loss(q, k, v))
        log_beta.add_(h)
        assert beta_grad == pytest.approx((f_up - f_down) / (2 * h), abs=5e-4)
    assert max(abs(w_grad).max(), abs(beta_grad)) > 1e-2  # the check is not vacuous


def test_postselection_keeps_only_query_zero_shots() -> None:
    # 2 query qubits, 1 index qubit, 2 out qubits; bit k from the right is qubit k.
    counts = {
        "00" + "1" + "00": 30,  # kept: out = 00 -> Z = +1, +1
        "10" + "0" + "00": 10,  # kept: out[1] = 1 -> Z = +1, -1
        "00" + "0" + "01": 50,  # rejected (query bit 0 = 1)
        "11" + "1" + "10": 5,  # rejected
    }
    ctx, kept = postselected_context(counts, 2, 1, 2)
    assert kept == 40
    np.testing.assert_allclose(ctx, [1.0, (30 - 10) / 40])
    empty, none = postselected_context({"00001": 3}, 2, 1, 2)
    assert none == 0 and np.all(empty == 0)


def test_the_hybrid_registry_builds_the_needle_model() -> None:
    spec = HYBRIDS["qlaci-kernel"]
    assert spec.family == "needle"
    task = get_task("needle-4", train_size=8, test_size=8)
    model = spec.build(task.info, QNNBackend(), 0)
    x = task.data().x_train
    assert model(x).shape == (8, task.info.output_dim)
    again = spec.build(task.info, QNNBackend(), 0)
    assert torch.equal(model(x), again(x))


@pytest.mark.slow
def test_many_ideal_shots_reproduce_the_exact_accuracy() -> None:
    from runtime.train.hybrid_qlaci_kernel import QLACIKernelNeedleModel

    task = get_task("needle-4", train_size=8, test_size=24)
    assert isinstance(task, NeedleTask)
    data = task.data()
    torch.manual_seed(0)
    model = QLACIKernelNeedleModel(
        task.info, sizes=KernelAttentionSizes(feature_qubits=2, out_qubits=4)
    )
    exact = task.evaluate(model, data)
    shots = shot_retrieval_accuracy(model, task, data, shots=20000, noisy=False, seed=1)
    assert shots.empty == 0 and shots.mean_kept > 1000
    assert shots.test_loss == pytest.approx(exact["test_loss"], rel=0.1, abs=0.01)
    assert shots.two_qubit_gates > 0 and shots.profile == "heron_r2"


def test_the_reference_override_reproduces_the_circuit_and_sharpens() -> None:
    from runtime.train.hybrid_qlaci_kernel import reference_context

    sizes = KernelAttentionSizes(feature_qubits=2, copies=1, out_qubits=2, layers=2)
    att = _attention(4, sizes)
    q, k, v = _angles(4, seed=2)
    with torch.no_grad():
        exact = att.context(q, k, v)
        att.context_override = reference_context(att, 1)
        same = att.context(q, k, v)
        att.context_override = reference_context(att, 50)
        sharp = att.context(q, k, v)
    att.context_override = None
    np.testing.assert_allclose(same.numpy(), exact.numpy(), atol=2e-7)
    # Key 1 matches the query: a very sharp kernel reads its value alone.
    np.testing.assert_allclose(sharp.numpy(), torch.cos(v[:, 1]).numpy(), atol=1e-3)
