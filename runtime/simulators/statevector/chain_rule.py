"""The adjoint Jacobian's chain rule: block matrices to gates, angles and parameters.

The chain rule from each block's matrix to its gates (``F_t = A_t^T E B_t^T`` for the
products ``A``/``B`` after and before gate ``t``), to the gates' angles (closed-form
``dC / d angle``) and through the affine angle table to the parameters is explicit; only
angles that are not affine in the parameters go through torch autograd, on the angle
expressions alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from runtime.simulators.statevector.prepared import Prepared

__all__ = ["nonlinear_chain", "slot_gradients"]


def slot_gradients(
    kind_slots: dict[str, torch.Tensor],
    table: torch.Tensor,
    comps: torch.Tensor,
    grads: list[tuple[Prepared, torch.Tensor]],
    k_out: int,
) -> torch.Tensor:
    """``d value[b, k] / d angle slot``, ``(batch, K, slots)``, in closed form.

    A block's matrix per control value is ``C_m ... C_1`` over its parts; with
    ``d value = 2 Re sum(E * dM)``, part ``t`` gets ``F_t = A_t^T E B_t^T`` (``A``/``B``:
    the products after/before it), then each gate ``2 Re sum(F * dC / d angle)``.

    Args:
        kind_slots: Per rotation kind, the slots its gates read, ``(slots, gates)``.
        table: The angle table, ``(batch, slots)``.
        comps: Every gate's matrix, ``(batch, components, 2, 2)``.
        grads: ``(block, E)`` with ``d value = 2 Re sum(E * dM)`` per block.
        k_out: The number of outputs.
    """
    batch = table.shape[0]
    count = sum(v.shape[1] for v in kind_slots.values())
    f_all = torch.zeros((batch, k_out, count, 2, 2), dtype=torch.complex128)
    eye = torch.eye(2, dtype=torch.complex128)
    # Uncontrolled blocks with the same number of parts are handled together.
    chains: dict[int, list[tuple[Prepared, torch.Tensor]]] = {}
    general = []
    for block, e in grads:
        if all(g.rows is None for g in block.groups):
            chains.setdefault(len(block.groups), []).append((block, e))
        else:
            general.append((block, e))
    for length, members in chains.items():
        positions = [
            torch.tensor([int(b.groups[t].positions[0]) for b, _ in members]) for t in range(length)
        ]
        mats = [comps[:, pos] for pos in positions]  # (batch, blocks, 2, 2)
        r = torch.cat([e.sum(dim=2, keepdim=True) for _, e in members], dim=2)
        product = eye.expand(1, 1, 2, 2)
        befores = []
        for c in mats:
            befores.append(product)
            product = c @ product
        for t in range(length - 1, -1, -1):
            keep = positions[t] < count
            if bool(keep.any()):
                f = r @ befores[t].transpose(-1, -2).unsqueeze(1)
                f_all[:, :, positions[t][keep]] += f[:, :, keep]
            r = mats[t].transpose(-1, -2).unsqueeze(1) @ r
    for block, e in general:
        product = eye.expand(1, len(block.active), 2, 2)
        befores = []
        for group in block.groups:
            befores.append(product)
            c = comps[:, group.positions]  # (batch, parts, 2, 2)
            if group.rows is None:
                product = c @ product
            else:
                updated = product.expand(batch, -1, -1, -1).clone()
                updated[:, group.rows] = c @ product[:, group.rows]
                product = updated
        r = e  # A^T E, from the last part backwards
        for group, before in zip(reversed(block.groups), reversed(befores), strict=True):
            c = comps[:, group.positions]
            if group.rows is None:
                pos = int(group.positions[0])
                if pos < count:
                    f = (r @ before.transpose(-1, -2).unsqueeze(1)).sum(dim=2)
                    f_all[:, :, pos] += f
                r = c.transpose(-1, -2).unsqueeze(1) @ r
            else:
                sub = r[:, :, group.rows]
                keep = group.positions < count
                f = sub @ before[:, group.rows].transpose(-1, -2).unsqueeze(1)
                f_all[:, :, group.positions[keep]] += f[:, :, keep]
                r = r.clone()
                r[:, :, group.rows] = c.transpose(-1, -2).unsqueeze(1) @ sub
    slot_grad = torch.zeros((batch, k_out, table.shape[1]), dtype=torch.float64)
    offset = 0
    for kind, slots in kind_slots.items():
        n = slots.shape[1]
        f = f_all[:, :, offset : offset + n]
        offset += n
        a = table[:, slots[0]].unsqueeze(1)  # (batch, 1, n)
        c, s = a.cos(), a.sin()
        fr, fi = f.real, f.imag
        if kind == "ry":  # dC = [[-s, -c], [c, -s]]
            g = -s * (fr[..., 0, 0] + fr[..., 1, 1]) + c * (fr[..., 1, 0] - fr[..., 0, 1])
        elif kind == "rx":  # dC = [[-s, -ic], [-ic, -s]]
            g = -s * (fr[..., 0, 0] + fr[..., 1, 1]) + c * (fi[..., 0, 1] + fi[..., 1, 0])
        elif kind == "rz":  # dC = diag(-s - ic, -s + ic)
            g = -s * (fr[..., 0, 0] + fr[..., 1, 1]) + c * (fi[..., 0, 0] - fi[..., 1, 1])
        elif kind == "p":  # dC = diag(0, -s + ic)
            g = -s * fr[..., 1, 1] - c * fi[..., 1, 1]
        else:
            _u_gradients(f, table, slots, slot_grad)
            continue
        slot_grad.index_add_(2, slots[0], 2.0 * g)
    return slot_grad


def _u_gradients(
    f: torch.Tensor, table: torch.Tensor, slots: torch.Tensor, slot_grad: torch.Tensor
) -> None:
    """``u`` gates, slots (theta/2, phi, lam).

    ``C = [[c, -e^{il} s], [e^{ip} s, e^{i(p+l)} c]]``.
    """
    a = table[:, slots[0]].unsqueeze(1)
    c = a.cos().to(torch.complex128)
    s = a.sin().to(torch.complex128)
    phi, lam = table[:, slots[1]].unsqueeze(1), table[:, slots[2]].unsqueeze(1)
    e_phi = torch.complex(phi.cos(), phi.sin())
    e_lam = torch.complex(lam.cos(), lam.sin())
    zero = torch.zeros_like(c)
    derivatives = (
        (slots[0], (-s, -e_lam * c, e_phi * c, -e_phi * e_lam * s)),
        (slots[1], (zero, zero, 1j * e_phi * s, 1j * e_phi * e_lam * c)),
        (slots[2], (zero, -1j * e_lam * s, zero, 1j * e_phi * e_lam * c)),
    )
    for index, entries in derivatives:
        d = torch.stack(entries, dim=-1).unflatten(-1, (2, 2))
        slot_grad.index_add_(2, index, 2.0 * (f * d).real.sum(dim=(-1, -2)))


def nonlinear_chain(
    nonlinear: list[tuple[int, Callable[..., Any], tuple[int, ...]]],
    num_parameters: int,
    params: torch.Tensor,
    slot_grad: torch.Tensor,
) -> torch.Tensor:
    """The Jacobian through angles that are not affine in the parameters.

    Autograd on the angle expressions only: each row's angle reads that row only.
    """
    jac = torch.zeros((params.shape[0], slot_grad.shape[1], num_parameters), dtype=torch.float64)
    leaf = params.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        for slot, func, cols in nonlinear:
            value = torch.as_tensor(func(*(leaf[:, c] for c in cols)), dtype=torch.float64)
            if not value.requires_grad:
                continue
            (d,) = torch.autograd.grad(value.sum(), leaf, allow_unused=True)
            if d is not None:
                jac += slot_grad[:, :, slot, None] * d[:, None, :]
    return jac
