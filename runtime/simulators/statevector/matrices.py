"""Gate and block matrices for one batch of angles.

Rotations store theta/2 (``rx``, ``ry``, ``rz``), theta (``p``) or (theta/2, phi, lam) (``u``)
in the angle table; a block's matrix per control value is the product of its gates'.
"""

from __future__ import annotations

import torch

from runtime.simulators.statevector.prepared import Prepared

__all__ = ["block_matrices", "component_matrices"]


def component_matrices(
    table: torch.Tensor, kind_slots: dict[str, torch.Tensor], fixed_comps: torch.Tensor
) -> torch.Tensor:
    """Every component's matrix, ``(batch, components, 2, 2)`` complex.

    Args:
        table: The angle table, ``(batch, slots)``.
        kind_slots: Per rotation kind, the slots its gates read, ``(slots, gates)``.
        fixed_comps: The parameter-free gates' matrices, ``(fixed, 2, 2)``.
    """
    batch = table.shape[0]
    mats = []
    for kind, slots in kind_slots.items():
        a = table[:, slots[0]]
        c, s = a.cos(), a.sin()
        zero = torch.zeros_like(c)
        if kind == "ry":
            re = torch.stack([c, -s, s, c], -1)
            im = torch.zeros_like(re)
        elif kind == "rx":
            re = torch.stack([c, zero, zero, c], -1)
            im = torch.stack([zero, -s, -s, zero], -1)
        elif kind == "rz":
            re = torch.stack([c, zero, zero, c], -1)
            im = torch.stack([-s, zero, zero, s], -1)
        elif kind == "p":
            re = torch.stack([torch.ones_like(c), zero, zero, c], -1)
            im = torch.stack([zero, zero, zero, s], -1)
        else:
            phi, lam = table[:, slots[1]], table[:, slots[2]]
            e_phi = torch.complex(phi.cos(), phi.sin())
            e_lam = torch.complex(lam.cos(), lam.sin())
            cc, ss = c.to(torch.complex128), s.to(torch.complex128)
            u = torch.stack([cc, -e_lam * ss, e_phi * ss, e_phi * e_lam * cc], -1)
            mats.append(u.reshape(batch, -1, 2, 2))
            continue
        mats.append(torch.complex(re, im).reshape(batch, -1, 2, 2))
    if len(fixed_comps):
        mats.append(fixed_comps.unsqueeze(0).expand(batch, -1, -1, -1))
    if not mats:
        return torch.zeros((batch, 0, 2, 2), dtype=torch.complex128)
    return torch.cat(mats, dim=1)


def block_matrices(comps: torch.Tensor, block: Prepared) -> torch.Tensor:
    """The block's matrices over its active control values, ``(batch, active, 2, 2)``."""
    if not block.parametric:
        return block.fixed[:, block.active]
    batch = comps.shape[0]
    count = len(block.active)
    where = {v: i for i, v in enumerate(block.active)}
    if count == 1 and len(block.parts) == 1:
        return comps[:, block.parts[0][0]].unsqueeze(1)
    mats = (
        torch.eye(2, dtype=torch.complex128).expand(batch, count, 2, 2)
        if any(v is not None for _, v in block.parts)
        else None
    )
    single: list[torch.Tensor | None] = [None] * count
    all_values: torch.Tensor | None = None
    for pos, value in block.parts:
        m = comps[:, pos]
        if value is None:
            all_values = m if all_values is None else m @ all_values
            if mats is not None:
                single = [None if s is None else m @ s for s in single]
                mats = m.unsqueeze(1) @ mats
            continue
        i = where[value]
        base = all_values if single[i] is None and all_values is not None else single[i]
        single[i] = m if base is None else m @ base
    if mats is None:
        assert all_values is not None
        return all_values.unsqueeze(1)
    eye = torch.eye(2, dtype=torch.complex128).expand(batch, 2, 2)
    stacked = [
        s if s is not None else (all_values if all_values is not None else eye) for s in single
    ]
    return torch.stack(stacked, dim=1)
