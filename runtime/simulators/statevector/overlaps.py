"""Adjoint-sweep overlaps ``G = sum conj(lambda_i) psi_j`` per block and control value."""

from __future__ import annotations

import torch

from runtime.simulators.statevector.kernels import Workspace, permuted_shape
from runtime.simulators.statevector.prepared import Prepared

__all__ = ["overlaps", "overlaps_perm", "overlaps_strided"]


def _complex_overlap(t: torch.Tensor) -> torch.Tensor:
    """``G = sum conj(lambda_i) psi_j`` from ``T[k, r, s, ...] = sum lambda_r psi_s``."""
    return torch.complex(t[:, 0, 0] + t[:, 1, 1], t[:, 0, 1] - t[:, 1, 0])


def overlaps(
    psi: torch.Tensor, lam: torch.Tensor, block: Prepared, work: Workspace
) -> torch.Tensor:
    """``G[k, value, i, j, b]`` of a plain or sliced block from ``psi`` and ``lambda``."""
    k_out, batch = lam.shape[0], lam.shape[-1]
    if block.mode == "plain":
        hi, lo = block.hi, block.lo
        lv = lam.view(k_out, 2, hi, 2, lo, batch)
        pv = psi.view(1, 2, hi, 2, lo, batch)
        # Products land in (k, r, i, h, l, b) order so the sum runs over one contiguous run.
        prod = work.get("product", (k_out, 2, 2, hi, lo, batch))
        sums = []
        for s in range(2):
            for j in range(2):
                torch.mul(lv, pv[:, s : s + 1, :, j : j + 1], out=prod.permute(0, 1, 3, 2, 4, 5))
                sums.append(prod.view(k_out, 2, 2, hi * lo, batch).sum(dim=3))
        # sums[(s, j)][k, r, i, b] -> T[k, r, s, i, j, b]
        stacked = torch.stack(sums, dim=0).view(2, 2, k_out, 2, 2, batch)
        return _complex_overlap(stacked.permute(2, 3, 0, 4, 1, 5)).unsqueeze(1)
    n = lam.shape[2].bit_length() - 1
    lam_full = lam.view(permuted_shape(k_out, n, batch))
    psi_full = psi.view(permuted_shape(1, n, batch))
    per_value = []
    for index in block.slices:
        lam_sub = lam_full[index].movedim(block.slice_axis, 2).reshape(k_out, 2, 2, -1, batch)
        psi_sub = psi_full[index].movedim(block.slice_axis, 2).reshape(2, 2, -1, batch)
        t = torch.einsum("kriRb,sjRb->krsijb", lam_sub, psi_sub)
        per_value.append(_complex_overlap(t))
    return torch.stack(per_value, dim=1)


def overlaps_perm(
    psi: torch.Tensor, lam: torch.Tensor, block: Prepared, work: Workspace
) -> torch.Tensor:
    """``G[k, value, i, j, b]`` of a permuted (many control values) block.

    ``psi`` and ``lambda`` are the permuted copies.
    """
    k_out, batch = lam.shape[0], lam.shape[-1]
    values, hi, lo = block.num_values, block.hi, block.lo
    lv = lam.view(k_out, 2, values, hi, 2, lo, batch)
    pv = psi.view(1, 2, values, hi, 2, lo, batch)
    # As in overlaps: products in (k, r, value, i, h, l, b) order, summed over (h, l).
    prod = work.get("product-values", (k_out, 2, values, 2, hi, lo, batch))
    sums = []
    for s in range(2):
        for j in range(2):
            out = prod.permute(0, 1, 2, 4, 3, 5, 6)
            torch.mul(lv, pv[:, s : s + 1, :, :, j : j + 1], out=out)
            sums.append(prod.view(k_out, 2, values, 2, hi * lo, batch).sum(dim=4))
    # sums[(s, j)][k, r, c, i, b] -> T[k, r, s, c, i, j, b]
    stacked = torch.stack(sums, dim=0).view(2, 2, k_out, 2, values, 2, batch)
    return _complex_overlap(stacked.permute(2, 3, 0, 4, 5, 1, 6))


def overlaps_strided(
    psi: torch.Tensor, lam: torch.Tensor, block: Prepared, work: Workspace
) -> torch.Tensor:
    """``G[k, value, i, j, b]`` of a block whose consecutive controls are one state axis."""
    k_out, batch = lam.shape[0], lam.shape[-1]
    a, mid, lo = block.sizes
    values = block.num_values
    prod = work.get("product-strided", (k_out, 2, values, 2, a, mid, lo, batch))
    if block.below:
        lv = lam.view(k_out, 2, a, values, mid, 2, lo, batch)
        pv = psi.view(1, 2, a, values, mid, 2, lo, batch)
        out = prod.permute(0, 1, 4, 2, 5, 3, 6, 7)
        parts = [pv[:, s : s + 1, :, :, :, j : j + 1] for s in range(2) for j in range(2)]
    else:
        lv = lam.view(k_out, 2, a, 2, mid, values, lo, batch)
        pv = psi.view(1, 2, a, 2, mid, values, lo, batch)
        out = prod.permute(0, 1, 4, 3, 5, 2, 6, 7)
        parts = [pv[:, s : s + 1, :, j : j + 1] for s in range(2) for j in range(2)]
    sums = []
    for part in parts:
        torch.mul(lv, part, out=out)
        sums.append(prod.view(k_out, 2, values, 2, a * mid * lo, batch).sum(dim=4))
    # sums[(s, j)][k, r, c, i, b] -> T[k, r, s, c, i, j, b]
    stacked = torch.stack(sums, dim=0).view(2, 2, k_out, 2, values, 2, batch)
    return _complex_overlap(stacked.permute(2, 3, 0, 4, 5, 1, 6))
