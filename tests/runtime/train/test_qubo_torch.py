"""The torch twins of QAMA's couplings and local energy agree with the numpy definitions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hardware_profiles.errors import ResourceError
from qcompile.models import qama as numpy_qama
from runtime.train.qubo_torch import attention_couplings, local_energy


def _qkv(seed: int, shape: tuple[int, ...]) -> list[torch.Tensor]:
    rng = np.random.default_rng(seed)
    tensors = [torch.as_tensor(rng.normal(size=shape)) for _ in range(3)]
    return [*tensors, torch.as_tensor(rng.normal(size=shape[-1]))]


@pytest.mark.parametrize("shape", [(1, 4, 3), (2, 5, 4), (3, 2, 3, 6)])
def test_couplings_equal_the_numpy_definition(shape: tuple[int, ...]) -> None:
    q, k, v, e2v = _qkv(sum(shape), shape)
    j, h = attention_couplings(q, k, v, e2v)
    jn, hn = numpy_qama.attention_couplings(q.numpy(), k.numpy(), v.numpy(), e2v.numpy())
    np.testing.assert_allclose(j.numpy(), jn, rtol=0, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), hn, rtol=0, atol=1e-12)


def test_gradients_reach_every_input_through_the_local_energy() -> None:
    q, k, v, e2v = _qkv(5, (4, 2, 3, 4))
    for t in (q, k, v, e2v):
        t.requires_grad_(True)
    j, h = attention_couplings(q, k, v, e2v)
    # The numpy solver reads tensors (graph and all) as their values.
    x = numpy_qama.solve_qubo_exact(numpy_qama.qama_qubo(j, h)).x.reshape(4, 2, 3)
    spins = torch.as_tensor(x, dtype=j.dtype)
    local_energy(j, h, spins).sum().backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in (q, k, v, e2v))


def test_local_energy_follows_the_repository() -> None:
    q, k, v, e2v = _qkv(12, (2, 4, 4))
    j, h = attention_couplings(q, k, v, e2v)
    x = numpy_qama.solve_qubo_exact(numpy_qama.qama_qubo(j, h)).x.reshape(2, 4)
    xs = x.astype(float)
    jn, hn = j.numpy(), h.numpy()
    want = -(xs * np.einsum("ajk,ak->aj", jn, xs) + hn * xs)
    got = local_energy(j, h, torch.as_tensor(x))
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
    # With c_h N = 1 and no penalty, the QUBO energy is the sum of the local energies.
    qubo = numpy_qama.qama_qubo(jn, hn, linear_coefficient=1.0 / 4, penalty_coefficient=0.0)
    energy = float(numpy_qama.qubo_energy(qubo, x.reshape(-1)))
    assert energy == pytest.approx(float(got.sum()))


def test_mismatched_shapes_are_resource_errors() -> None:
    with pytest.raises(ResourceError, match="share a shape"):
        attention_couplings(
            torch.zeros(2, 3, 4), torch.zeros(2, 3, 5), torch.zeros(2, 3, 4), torch.zeros(4)
        )
