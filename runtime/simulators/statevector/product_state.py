"""The product-state prefix: building ``(x)_q M_q |0>`` and differentiating it.

Each qubit's first block, when it is an uncontrolled one-qubit block, only prepares the
product state; its gradient is ``lambda`` contracted with every other qubit's column, all
qubits by divide and conquer.
"""

from __future__ import annotations

import torch

from runtime.simulators.statevector.kernels import Workspace
from runtime.simulators.statevector.prepared import Prepared

__all__ = ["environments", "product_state"]


def product_state(
    num_qubits: int,
    batch: int,
    prefix: list[Prepared],
    heads: list[torch.Tensor],
    work: Workspace | None = None,
) -> torch.Tensor:
    """``(x)_q M_q |0>`` as a real-split state ``(1, 2, 2**n, batch)``.

    The high and the low half of the qubits are small products; the state is their outer
    product, written into a ``work`` buffer when one is given.
    """
    columns = {b.target: h[:, 0, :, 0].T for b, h in zip(prefix, heads, strict=True)}
    zero = torch.tensor([[1.0], [0.0]], dtype=torch.complex128)

    def half(qubits: range) -> torch.Tensor:
        psi = torch.ones((1, batch), dtype=torch.complex128)
        for q in qubits:
            v = columns.get(q, zero)  # (2, batch or 1)
            psi = (psi[:, None, :] * v[None, :, :]).reshape(-1, batch)
        return psi

    low_count = num_qubits // 2
    high = half(range(num_qubits - 1, low_count - 1, -1)).unsqueeze(1)  # (H, 1, batch)
    low = half(range(low_count - 1, -1, -1)).unsqueeze(0)  # (1, L, batch)
    hr, hi, lr, li = high.real, high.imag, low.real, low.imag
    shape = (1, 2, 1 << num_qubits, batch)
    out = torch.empty(shape, dtype=torch.float64) if work is None else work.get("product", shape)
    view = out.view(2, high.shape[0], low.shape[1], batch)
    torch.mul(hr, lr, out=view[0])
    view[0].addcmul_(hi, li, value=-1.0)
    torch.mul(hr, li, out=view[1])
    view[1].addcmul_(hi, lr)
    return out


def environments(
    num_qubits: int,
    lam: torch.Tensor,
    columns: dict[int, torch.Tensor],
    wanted: set[int],
    work: Workspace | None = None,
) -> dict[int, torch.Tensor]:
    """``env_q[k, i, b] = sum_{x: x_q = i} lam[k, x, b] prod_{p != q} conj(v_p[x_p, b])``.

    ``lam`` is real-split, ``(K, 2, 2**n, batch)``. Divide and conquer: each half of the
    qubits is contracted away once per level, so all environments together cost about two
    contractions of the full tensor. Intermediates go into ``work`` buffers (every tensor
    alive at once has a different shape) when one is given.
    """
    work = Workspace() if work is None else work
    k_out, batch = lam.shape[0], lam.shape[-1]
    zero = torch.tensor([[1.0], [0.0]], dtype=torch.complex128)
    weights = {q: columns.get(q, zero).conj() for q in range(num_qubits)}
    order = list(range(num_qubits - 1, -1, -1))  # axis 1 + i holds qubit order[i]
    rest = [q for q in order if q not in wanted]
    if not rest:
        full = torch.complex(lam[:, 0], lam[:, 1])
        found_all: dict[int, torch.Tensor] = {}
        _split(
            full.reshape((k_out,) + (2,) * num_qubits + (batch,)), order, weights, found_all, work
        )
        return found_all
    # ``lam`` is real-split, ``(K, 2, 2**n, batch)``: the first qubit not wanted is
    # contracted on the real parts (a qubit left in |0> is a slice), the rest in complex.
    first = rest[0]
    view = lam.view(k_out, 2, 1 << (num_qubits - 1 - first), 2, 1 << first, batch)
    shape = (k_out, 1 << (num_qubits - 1 - first), 1 << first, batch)
    reduced = torch.view_as_complex(work.get("first", (*shape, 2)))
    re, im = torch.view_as_real(reduced).unbind(-1)
    if first not in columns:
        re.copy_(view[:, 0, :, 0])
        im.copy_(view[:, 1, :, 0])
    else:
        w = weights[first]
        wr, wi = w.real.contiguous(), w.imag.contiguous()
        torch.mul(view[:, 0, :, 0], wr[0], out=re)
        re.addcmul_(view[:, 0, :, 1], wr[1])
        re.addcmul_(view[:, 1, :, 0], wi[0], value=-1.0)
        re.addcmul_(view[:, 1, :, 1], wi[1], value=-1.0)
        torch.mul(view[:, 0, :, 0], wi[0], out=im)
        im.addcmul_(view[:, 0, :, 1], wi[1])
        im.addcmul_(view[:, 1, :, 0], wr[0])
        im.addcmul_(view[:, 1, :, 1], wr[1])
    order.remove(first)
    tensor = reduced.view((k_out,) + (2,) * (num_qubits - 1) + (batch,))
    tensor, order = _contract(tensor, order, rest[1:], weights, work)
    found: dict[int, torch.Tensor] = {}
    _split(tensor, order, weights, found, work)
    return found


def _contract(
    tensor: torch.Tensor,
    order: list[int],
    qubits: list[int],
    weights: dict[int, torch.Tensor],
    work: Workspace,
) -> tuple[torch.Tensor, list[int]]:
    order = list(order)
    for q in qubits:
        axis = 1 + order.index(q)
        out_shape = tensor.shape[:axis] + tensor.shape[axis + 1 :]
        w = weights[q].reshape((2,) + (1,) * (len(out_shape) - 1) + (-1,))
        out = torch.view_as_complex(work.get("contract", (*out_shape, 2)))
        torch.mul(tensor.select(axis, 0), w[0], out=out)
        out.addcmul_(tensor.select(axis, 1), w[1])
        tensor = out
        order.remove(q)
    return tensor, order


def _split(
    tensor: torch.Tensor,
    order: list[int],
    weights: dict[int, torch.Tensor],
    found: dict[int, torch.Tensor],
    work: Workspace,
) -> None:
    if len(order) == 1:
        found[order[0]] = tensor.clone()  # a workspace buffer, reused by later contractions
        return
    left, right = order[: len(order) // 2], order[len(order) // 2 :]
    for drop in (right, left):
        reduced, remaining = _contract(tensor, order, drop, weights, work)
        _split(reduced, remaining, weights, found, work)
