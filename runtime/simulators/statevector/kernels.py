"""Block kernels on the real-split state, and the reused buffers they write into.

The state is real-split and batch-innermost, ``(re/im, 2**n, batch)``, so each block is a few
contiguous, vectorised float64 multiply-adds (torch's complex kernels are several times
slower).
"""

from __future__ import annotations

import torch

from runtime.simulators.statevector.prepared import Prepared

__all__ = ["Workspace", "apply_block", "permute_controls", "permuted_shape"]


class Workspace:
    """Reused buffers: fresh multi-megabyte tensors cost page faults on every sweep."""

    def __init__(self) -> None:
        self._buffers: dict[tuple[str, tuple[int, ...]], list[torch.Tensor]] = {}

    def get(
        self, name: str, shape: tuple[int, ...], avoid: torch.Tensor | None = None
    ) -> torch.Tensor:
        """A float64 buffer of ``shape`` that is not ``avoid`` (two per name and shape)."""
        pool = self._buffers.setdefault((name, tuple(shape)), [])
        for buffer in pool:
            if avoid is None or buffer.data_ptr() != avoid.data_ptr():
                return buffer
        buffer = torch.empty(shape, dtype=torch.float64)
        pool.append(buffer)
        return buffer


def _coefficients(m: torch.Tensor, dagger: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Real and imaginary parts ``(2, 2, active, batch)`` of ``m`` (or its adjoint)."""
    parts = torch.view_as_real(m)  # (batch or 1, active, 2, 2, 2)
    if dagger:
        parts = parts.transpose(2, 3)
    re = parts[..., 0].permute(2, 3, 1, 0).contiguous()
    im = parts[..., 1].permute(2, 3, 1, 0).contiguous()
    return re, (-im if dagger else im)


def _mix(
    xs: list[tuple[torch.Tensor, torch.Tensor]],
    outs: list[tuple[torch.Tensor, torch.Tensor]],
    re: list[list[torch.Tensor]],
    im: list[list[torch.Tensor]] | None,
) -> None:
    """``out_i = sum_j m_ij x_j`` on real-split pairs (``im`` None: a real matrix)."""
    for i in range(2):
        out_r, out_i = outs[i]
        torch.mul(xs[0][0], re[i][0], out=out_r)
        out_r.addcmul_(xs[1][0], re[i][1])
        torch.mul(xs[0][1], re[i][0], out=out_i)
        out_i.addcmul_(xs[1][1], re[i][1])
        if im is not None:
            for j in range(2):
                out_r.addcmul_(xs[j][1], im[i][j], value=-1.0)
                out_i.addcmul_(xs[j][0], im[i][j])


def apply_block(
    state: torch.Tensor,
    block: Prepared,
    m: torch.Tensor,
    dagger: bool,
    work: Workspace,
    permuted: torch.Tensor | None = None,
    target: torch.Tensor | None = None,
) -> torch.Tensor:
    """Apply ``block`` (or its adjoint) to a real-split state ``(L, 2, 2**n, batch)``.

    Returns the new state: ``target`` when given (not for sliced blocks), a workspace
    buffer, or ``state`` itself (updated in place).
    """
    if block.kind == "perm":
        out = work.get("state", tuple(state.shape), avoid=state) if target is None else target
        return torch.index_select(state, 2, block.inverse if dagger else block.index, out=out)
    re, im = _coefficients(m, dagger)
    im_used = None if block.real else im
    lead, batch = state.shape[0], state.shape[-1]
    n = state.shape[2].bit_length() - 1
    if block.mode == "plain":
        view = state.view(lead, 2, block.hi, 2, block.lo, batch)
        out = work.get("state", tuple(state.shape), avoid=state) if target is None else target
        oview = out.view(lead, 2, block.hi, 2, block.lo, batch)
        r = [[re[i, j, 0] for j in range(2)] for i in range(2)]
        i_ = None if im_used is None else [[im_used[i, j, 0] for j in range(2)] for i in range(2)]
        xs = [(view[:, 0, :, j], view[:, 1, :, j]) for j in range(2)]
        outs = [(oview[:, 0, :, i], oview[:, 1, :, i]) for i in range(2)]
        _mix(xs, outs, r, i_)
        return out
    if block.mode == "strided":
        a, mid, lo = block.sizes
        values = block.num_values
        out = work.get("state", tuple(state.shape), avoid=state) if target is None else target
        if block.below:
            shape8 = (lead, 2, a, values, mid, 2, lo, batch)
            view, oview = state.view(shape8), out.view(shape8)
            xs = [(view[:, 0, :, :, :, j], view[:, 1, :, :, :, j]) for j in range(2)]
            outs = [(oview[:, 0, :, :, :, i], oview[:, 1, :, :, :, i]) for i in range(2)]
            shape: tuple[int, ...] = (values, 1, 1, -1)
        else:
            shape8 = (lead, 2, a, 2, mid, values, lo, batch)
            view, oview = state.view(shape8), out.view(shape8)
            xs = [(view[:, 0, :, j], view[:, 1, :, j]) for j in range(2)]
            outs = [(oview[:, 0, :, i], oview[:, 1, :, i]) for i in range(2)]
            shape = (values, 1, -1)
        r = [[re[i, j].reshape(shape) for j in range(2)] for i in range(2)]
        i_ = (
            None
            if im_used is None
            else [[im_used[i, j].reshape(shape) for j in range(2)] for i in range(2)]
        )
        _mix(xs, outs, r, i_)
        return out
    if block.mode == "perm":
        source = permuted if permuted is not None else permute_controls(state, block, work)
        values = block.num_values
        view = source.view(lead, 2, values, block.hi, 2, block.lo, batch)
        result = work.get("result", tuple(view.shape)).view(view.shape)
        shape = (values, 1, 1, -1)
        r = [[re[i, j].reshape(shape) for j in range(2)] for i in range(2)]
        i_ = (
            None
            if im_used is None
            else [[im_used[i, j].reshape(shape) for j in range(2)] for i in range(2)]
        )
        xs = [(view[:, 0, :, :, j], view[:, 1, :, :, j]) for j in range(2)]
        outs = [(result[:, 0, :, :, i], result[:, 1, :, :, i]) for i in range(2)]
        _mix(xs, outs, r, i_)
        out = work.get("state", tuple(state.shape), avoid=state) if target is None else target
        out.view(permuted_shape(lead, n, batch)).permute(block.dims).copy_(
            result.view(permuted_shape(lead, n, batch))
        )
        return out
    full = state.view(permuted_shape(lead, n, batch))
    for a, index in enumerate(block.slices):
        sub = full[index]
        x0, x1 = sub.select(block.slice_axis, 0), sub.select(block.slice_axis, 1)
        xs = [(x0[:, 0].clone(), x0[:, 1].clone()), (x1[:, 0].clone(), x1[:, 1].clone())]
        outs = [(x0[:, 0], x0[:, 1]), (x1[:, 0], x1[:, 1])]
        r = [[re[i, j, a] for j in range(2)] for i in range(2)]
        i_ = None if im_used is None else [[im_used[i, j, a] for j in range(2)] for i in range(2)]
        _mix(xs, outs, r, i_)
    return state


def permuted_shape(lead: int, n: int, batch: int) -> tuple[int, ...]:
    """The state's shape with one axis per qubit, ``(lead, 2, 2, ..., 2, batch)``."""
    return (lead, 2) + (2,) * n + (batch,)


def permute_controls(
    state: torch.Tensor, block: Prepared, work: Workspace, name: str = "permuted"
) -> torch.Tensor:
    """The state with the block's controls as leading qubit axes (a contiguous copy)."""
    lead, batch = state.shape[0], state.shape[-1]
    n = state.shape[2].bit_length() - 1
    source = state.view(permuted_shape(lead, n, batch)).permute(block.dims)
    out = work.get(name, tuple(state.shape)).view(source.shape)
    return out.copy_(source)
