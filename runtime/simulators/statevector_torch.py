"""A batched statevector simulator in torch with adjoint gradients, for parametrised circuits.

:func:`compile_circuit` turns a parametrised :class:`~qiskit.circuit.QuantumCircuit` into a
:class:`TorchCircuit` once. Every instruction is expanded through its ``definition`` until it
is a one-qubit gate (``rx``/``ry``/``rz``/``p``/``u`` or any fixed 2x2 unitary), a controlled
one-qubit gate (any number of controls, any ``ctrl_state``; annotated ``.control()`` gates
too) or ``rzz`` (simulated as ``CX · RZ · CX``). Gate angles form one table: angles affine in
the parameters (``0.5*x``, ``x + 2*y``) are one matrix product, others (``x*y``) are evaluated
with torch, so any angle expression is differentiated exactly.

The expanded gates are then fused into *blocks*: every run of (controlled) one-qubit gates
on the same target and the same controls becomes one ``2x2`` matrix per control value (a
multiplexer: a QRAM-style lookup of 16 controlled rotations is one block), and every run of
controlled-X gates becomes one basis permutation. Blocks outside the backward light cone of
the observables are skipped when computing expectation values, and each qubit's first
block, when it is an uncontrolled one-qubit block, only prepares the product state
``(x)_q M_q |0>``, built directly. The light cone's last blocks, while they and the
observables act on at most four qubits ``S``, are folded into the observables
(``O'_k = T^† O_k T``, one ``2**|S|``-square matrix, built once per batch when the tail reads
only parameters equal on every row, i.e. weights): the values are ``sum(R * O')`` with
``R`` the state's overlaps on ``S``.

The state is real-split and batch-innermost, ``(re/im, 2**n, batch)``, so each block is a
few contiguous, vectorised float64 multiply-adds (torch's complex kernels are several times
slower); a multiplexer whose controls are consecutive qubits is applied on the state as it
lies, other multiplexers on a copy with the controls leading. Gradients use the adjoint
method: the forward sweep keeps the state after each parametrised block, then one backward
sweep un-applies each block to ``lambda_k = O'_k |psi>`` for every observable at once, and
collects ``G = sum conj(lambda_i) psi_j`` per block (for the product-state prefix:
``lambda`` contracted with every other qubit's column, all qubits by divide and conquer; for
the folded tail: ``O^T conj(T) R`` pushed through the tail's small matrices); then
``d value = 2 Re sum((G @ conj(M)) * dM)`` per block. The chain rule from each block's
matrix to its gates (``F_t = A_t^T E B_t^T`` for the products ``A``/``B`` after and before
gate ``t``), to the gates' angles (closed-form ``dC / d angle``) and through the affine
angle table to the parameters is explicit; only angles that are not affine in the
parameters go through torch autograd, on the angle expressions alone. No autograd graph is
built over the state. Everything is float64. Sweep buffers of small states (the product
state, block outputs, the prefix's contractions) are kept between calls (per thread), kept
states and ``lambda`` are written straight into buffers that :meth:`TorchCircuit.release`
hands back from a consumed evaluation, so a training step does not page-fault fresh
multi-megabyte tensors in (a step of the 11-qubit benchmark took a few thousand faults).

References:
    Jones & Gacon, "Efficient calculation of gradients in classical simulations of
    variational quantum algorithms", arXiv:2009.02823 (adjoint differentiation).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from qiskit.circuit import (
    AnnotatedOperation,
    ControlledGate,
    ControlModifier,
    Gate,
    InverseModifier,
    Parameter,
    ParameterExpression,
    QuantumCircuit,
)
from qiskit.circuit.operation import Operation
from qiskit.quantum_info import Pauli, SparsePauliOp

from hardware_profiles.errors import CompileError

__all__ = ["Evaluation", "TorchCircuit", "compile_circuit"]

# Instructions that do nothing to an unmeasured state.
_SKIPPED = frozenset({"barrier", "delay", "id"})
# Parametrised one-qubit gates simulated natively (everything else is expanded or fixed).
_ROTATIONS = frozenset({"rx", "ry", "rz", "p", "u1", "u", "u3"})
# A block with at most this many non-identity control values is applied slice by slice;
# above, the state is permuted so the controls lead and all values are applied at once.
_SLICE_MAX = 2
# The light cone's last blocks are folded into the observables while, with the observables'
# support, they act on at most this many qubits.
_TAIL_MAX = 4
# The forward sweep keeps the state after each parametrised block for the adjoint sweep
# while they take at most this many bytes; beyond, the adjoint sweep un-computes them.
_KEEP_BYTES = 1 << 29
# Sweep buffers are kept between calls while one state takes at most this many bytes.
_PERSIST_BYTES = 1 << 25
_TORCH_FUNCTIONS: dict[str, Any] = {
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "asin": torch.asin,
    "acos": torch.acos,
    "atan": torch.atan,
    "Abs": torch.abs,
    "sign": torch.sign,
}
_X = np.array([[0, 1], [1, 0]], dtype=complex)


@dataclass(frozen=True)
class _Comp:
    """One one-qubit gate: a rotation reading angle-table ``slots`` or a ``fixed`` matrix.

    Rotations store theta/2 (``rx``, ``ry``, ``rz``), theta (``p``) or (theta/2, phi, lam)
    (``u``): every slot is read through cos/sin.
    """

    kind: str
    slots: tuple[int, ...] = ()
    matrix: np.ndarray | None = None


@dataclass
class _Block:
    """A fused block: a one-qubit matrix per control value, or a basis permutation.

    ``parts`` are (component, control value or None for all values), in time order; the
    control value of ``controls`` (ascending qubits) is ``sum(bit(controls[j]) << j)``.
    A permutation block maps ``out[x] = in[index[x]]``.
    """

    kind: str  # "mat" or "perm"
    qubits: set[int]
    target: int = -1
    controls: tuple[int, ...] = ()
    parts: list[tuple[_Comp, int | None]] = field(default_factory=list)
    index: np.ndarray | None = None


@dataclass
class _AngleTable:
    """Angle expressions, deduplicated; affine ones become rows of ``coeffs``/``offsets``."""

    index: dict[Parameter, int]
    rows: list[tuple[dict[int, float], float]] = field(default_factory=list)
    nonlinear: list[tuple[int, Callable[..., Any], tuple[int, ...]]] = field(default_factory=list)
    keys: dict[Any, int] = field(default_factory=dict)
    constants: list[float] = field(default_factory=list)

    def add(self, value: ParameterExpression | float, scale: float) -> int:
        """The slot of ``scale * value``; constants get negative slots resolved later."""
        if not isinstance(value, ParameterExpression) or not value.parameters:
            self.constants.append(scale * _real(value))
            return -len(self.constants)
        key = (str(value), scale)
        if key in self.keys:
            return self.keys[key]
        slot = len(self.rows)
        self.keys[key] = slot
        params = sorted(value.parameters, key=lambda p: self._column(p))
        coeffs: dict[int, float] = {}
        affine = True
        for param in params:
            grad = value.gradient(param)
            if isinstance(grad, ParameterExpression) and grad.parameters:
                affine = False
                break
            coeffs[self._column(param)] = scale * _real(grad)
        if affine:
            offset = scale * _real(value.bind({p: 0.0 for p in params}))
            self.rows.append((coeffs, offset))
            return slot
        import sympy

        symbols = [sympy.Symbol(p.name) for p in params]
        func = sympy.lambdify(symbols, scale * value.sympify(), modules=[_TORCH_FUNCTIONS, "math"])
        self.rows.append(({}, 0.0))
        self.nonlinear.append((slot, func, tuple(self._column(p) for p in params)))
        return slot

    def _column(self, param: Parameter) -> int:
        if param not in self.index:
            raise CompileError(f"circuit parameter {param.name!r} is neither an input nor a weight")
        return self.index[param]


def _real(value: Any) -> float:
    number = complex(value)
    if abs(number.imag) > 1e-12:
        raise CompileError(f"gate angle {value} is not real")
    return number.real


class _Prepared:
    """A block ready to run: static layout facts plus, per call, its matrices."""

    def __init__(self, block: _Block, num_qubits: int, comp_pos: dict[int, int]) -> None:
        n = num_qubits
        self.source = block
        self.kind = block.kind
        self.qubits = frozenset(block.qubits)
        if block.kind == "perm":
            assert block.index is not None
            self.index = torch.from_numpy(block.index.astype(np.int64))
            self.inverse = torch.from_numpy(np.argsort(block.index).astype(np.int64))
            return
        self.target = block.target
        self.controls = block.controls
        c = len(block.controls)
        self.num_values = 1 << c
        values: set[int] = set()
        for _, value in block.parts:
            values.update(range(self.num_values) if value is None else [value])
        self.active = sorted(values)
        self.parametric = any(comp.kind != "fixed" for comp, _ in block.parts)
        self.real = all(
            comp.kind == "ry"
            or (comp.kind == "fixed" and np.allclose(np.imag(np.asarray(comp.matrix)), 0.0))
            for comp, _ in block.parts
        )
        self.parts = [
            (comp_pos[id(comp)], None if value is None else value) for comp, value in block.parts
        ]
        self.mode = "plain" if c == 0 else ("slice" if len(self.active) <= _SLICE_MAX else "perm")
        if self.mode == "perm":
            # The permuted kernel applies a matrix to every control value (identity if unset).
            self.active = list(range(self.num_values))
        self.groups = _part_groups(self.parts, self.active)
        t = block.target
        ctrl = block.controls
        if self.mode == "perm" and ctrl == tuple(range(ctrl[0], ctrl[0] + c)):
            # Consecutive controls are one axis of the state as it lies: no permutation.
            self.mode = "strided"
            self.below = t < ctrl[0]
            if self.below:
                self.sizes = (1 << (n - 1 - ctrl[-1]), 1 << (ctrl[0] - 1 - t), 1 << t)
            else:
                self.sizes = (1 << (n - 1 - t), 1 << (t - 1 - ctrl[-1]), 1 << ctrl[0])
        if self.mode == "plain":
            self.hi, self.lo = 1 << (n - 1 - t), 1 << t
        elif self.mode == "perm":
            axis = {q: 2 + (n - 1 - q) for q in range(n)}
            rest = [q for q in range(n - 1, -1, -1) if q not in block.controls]
            self.dims = (
                0,
                1,
                *(axis[q] for q in reversed(block.controls)),
                *(axis[q] for q in rest),
                n + 2,
            )
            before = rest.index(t)
            self.hi, self.lo = 1 << before, 1 << (len(rest) - 1 - before)
        else:
            rest = [q for q in range(n - 1, -1, -1) if q not in block.controls]
            self.slice_axis = 2 + rest.index(t)
            self.slices = []
            for value in self.active:
                index: list[Any] = [slice(None)] * (n + 3)
                for j, q in enumerate(block.controls):
                    index[2 + (n - 1 - q)] = (value >> j) & 1
                self.slices.append(tuple(index))
        if not self.parametric:
            self.fixed = _fixed_matrices(block, self.num_values)


@dataclass(frozen=True)
class _Group:
    """Consecutive parts of a block, for the chain rule.

    One part on every control value (``rows`` None) or parts on distinct control values
    (``rows``: their active indices).
    """

    positions: torch.Tensor
    rows: torch.Tensor | None


def _part_groups(parts: list[tuple[int, int | None]], active: list[int]) -> list[_Group]:
    where = {v: i for i, v in enumerate(active)}
    groups: list[_Group] = []
    run: list[tuple[int, int]] = []

    def flush() -> None:
        if run:
            groups.append(
                _Group(
                    torch.tensor([p for p, _ in run], dtype=torch.int64),
                    torch.tensor([r for _, r in run], dtype=torch.int64),
                )
            )
            run.clear()

    for pos, value in parts:
        if value is None:
            flush()
            groups.append(_Group(torch.tensor([pos], dtype=torch.int64), None))
            continue
        if any(r == where[value] for _, r in run):
            flush()
        run.append((pos, where[value]))
    flush()
    return groups


def _fixed_matrices(block: _Block, num_values: int) -> torch.Tensor:
    """The constant matrices of a parameter-free block, ``(1, values, 2, 2)`` complex."""
    mats = np.broadcast_to(np.eye(2, dtype=complex), (num_values, 2, 2)).copy()
    for comp, value in block.parts:
        assert comp.matrix is not None
        targets = range(num_values) if value is None else [value]
        for v in targets:
            mats[v] = comp.matrix @ mats[v]
    return torch.from_numpy(mats[None])


@dataclass(frozen=True)
class Evaluation:
    """A forward sweep of :meth:`TorchCircuit.evaluate`.

    Attributes:
        parameters: ``(batch, num_parameters)`` float64, as evaluated.
        values: expectation values ``(batch, K)``.
        state: the real-split state ``(1, 2, 2**n, batch)`` after the light cone's main
            blocks (before the folded tail, if any).
        lam: ``O_k |psi>``, ``(K, 2, 2**n, batch)``.
        heads: the matrices of the light cone's product-state prefix.
        mats: the matrices of the light cone's other blocks.
        comps: every gate's ``(batch, 2, 2)`` matrix, ``(batch, components, 2, 2)``.
        afters: the state after each parametrised main block, in order (the adjoint
            sweep reads them instead of un-computing the state).
        tail: the folded tail's small matrices, when the circuit has one.
    """

    parameters: torch.Tensor
    values: torch.Tensor
    state: torch.Tensor
    lam: torch.Tensor
    heads: list[torch.Tensor]
    mats: list[torch.Tensor]
    comps: torch.Tensor | None = None
    afters: tuple[torch.Tensor, ...] = ()
    tail: _TailSweep | None = None


class TorchCircuit:
    """A circuit compiled to fused torch blocks; see the module docstring.

    Build it with :func:`compile_circuit`. The public methods take parameters as a
    ``(batch, num_parameters)`` float64 tensor in the column order given at compile time.
    """

    def __init__(
        self,
        num_qubits: int,
        num_parameters: int,
        comps: list[_Comp],
        blocks: list[_Block],
        table: _AngleTable,
        observables: Sequence[SparsePauliOp],
    ) -> None:
        self.num_qubits = num_qubits
        self.num_parameters = num_parameters
        self.num_outputs = len(observables)
        self._local = threading.local()
        rows = len(table.rows)
        coeffs = np.zeros((rows + len(table.constants), num_parameters))
        offsets = np.zeros(rows + len(table.constants))
        for row, (cols, offset) in enumerate(table.rows):
            for col, value in cols.items():
                coeffs[row, col] = value
            offsets[row] = offset
        offsets[rows:] = table.constants
        self._coeffs = torch.from_numpy(coeffs.T.copy())
        self._offsets = torch.from_numpy(offsets)
        self._nonlinear = table.nonlinear
        self._kinds: dict[str, list[tuple[int, ...]]] = {}
        comp_pos: dict[int, int] = {}
        param_comps = [c for c in comps if c.kind != "fixed"]
        for kind in ("rx", "ry", "rz", "p", "u"):
            for comp in param_comps:
                if comp.kind == kind:
                    comp_pos[id(comp)] = sum(len(v) for v in self._kinds.values())
                    self._kinds.setdefault(kind, []).append(comp.slots)
        self._kind_slots = {
            k: torch.tensor(v, dtype=torch.int64).T.contiguous() for k, v in self._kinds.items()
        }
        fixed = [c for c in comps if c.kind == "fixed"]
        for i, comp in enumerate(fixed):
            comp_pos[id(comp)] = len(param_comps) + i
        self._fixed_comps = (
            torch.from_numpy(np.stack([np.asarray(c.matrix) for c in fixed]))
            if fixed
            else torch.zeros((0, 2, 2), dtype=torch.complex128)
        )
        self._blocks = [_Prepared(b, num_qubits, comp_pos) for b in blocks]
        # Checks the observables' widths before anything reads them.
        self._diagonal, self._offdiagonal = _compile_observables(num_qubits, observables)
        live: set[int] = set()
        for observable in observables:
            for pauli in observable.paulis:
                live.update(int(q) for q in np.flatnonzero(pauli.x | pauli.z))
        relevant = []
        for block in reversed(self._blocks):
            if block.qubits & live:
                live |= block.qubits
                relevant.append(block)
        relevant.reverse()
        self._tail = _Tail.build(relevant, observables, num_qubits, comp_pos)
        if self._tail is not None:
            relevant = relevant[: len(relevant) - len(self._tail.blocks)]
            slots = sorted(
                {
                    sl
                    for b in self._tail.blocks
                    if b.kind == "mat"
                    for c, _ in b.source.parts
                    for sl in c.slots
                }
            )
            columns = (
                {int(c) for c in np.flatnonzero(coeffs[slots].any(axis=0))} if slots else set()
            )
            for slot, _, used in table.nonlinear:
                if slot in slots:
                    columns.update(used)
            self._tail.columns = torch.tensor(sorted(columns), dtype=torch.int64)
        self._light_cone = _split_prefix(relevant)
        self._everything = _split_prefix(self._blocks)

    def _workspace(self, purpose: str, batch: int) -> _Workspace:
        """Buffers for one sweep, kept between calls (per thread) for small states.

        Fresh multi-megabyte tensors cost page faults on every call; big states get fresh
        buffers, freed after the call.
        """
        if (16 * batch << self.num_qubits) > _PERSIST_BYTES:
            return _Workspace()
        pools = getattr(self._local, "pools", None)
        if pools is None:
            pools = self._local.pools = {}
        if purpose not in pools:
            pools[purpose] = _Workspace()
        work: _Workspace = pools[purpose]
        return work

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_local"]  # per-thread buffers: neither picklable nor worth keeping
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    # ----------------------------------------------------------------- angles and matrices

    def angles(self, parameters: torch.Tensor) -> torch.Tensor:
        """Angle table ``(batch, slots)`` for parameters ``(batch, num_parameters)``."""
        table = parameters @ self._coeffs + self._offsets
        if self._nonlinear:
            columns = list(table.unbind(1))
            for slot, func, cols in self._nonlinear:
                value = func(*(parameters[:, c] for c in cols))
                columns[slot] = torch.as_tensor(value, dtype=table.dtype).expand(table.shape[0])
            table = torch.stack(columns, dim=1)
        return table

    def _components(self, parameters: torch.Tensor) -> torch.Tensor:
        """Every component's matrix, ``(batch, components, 2, 2)`` complex."""
        batch = parameters.shape[0]
        table = self.angles(parameters)
        mats = []
        for kind, slots in self._kind_slots.items():
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
        if len(self._fixed_comps):
            mats.append(self._fixed_comps.unsqueeze(0).expand(batch, -1, -1, -1))
        if not mats:
            return torch.zeros((batch, 0, 2, 2), dtype=torch.complex128)
        return torch.cat(mats, dim=1)

    def _matrices(self, comps: torch.Tensor, block: _Prepared) -> torch.Tensor:
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

    # ----------------------------------------------------------------------- simulation

    def _run(
        self, parameters: torch.Tensor, sequence: _Sequence, keep: bool = False
    ) -> tuple[
        torch.Tensor, list[torch.Tensor], list[torch.Tensor], torch.Tensor, list[torch.Tensor]
    ]:
        """Forward sweep: the state, the prefix's, main blocks' and components' matrices.

        With ``keep``, also the state after each parametrised main block.
        """
        afters: list[torch.Tensor] = []
        with torch.no_grad():
            comps = self._components(parameters)
            heads = [self._matrices(comps, b) for b in sequence.prefix]
            mats = [self._matrices(comps, b) if b.kind == "mat" else comps for b in sequence.main]
            work = self._workspace("forward", parameters.shape[0])
            state = _product_state(
                self.num_qubits, parameters.shape[0], sequence.prefix, heads, work
            )
            for block, m in zip(sequence.main, mats, strict=True):
                sliced = block.kind == "mat" and block.mode == "slice"
                if sliced and afters and state is afters[-1]:
                    # A kept state must not be updated in place.
                    state = work.get("state", tuple(state.shape), avoid=state).copy_(state)
                if keep and block.kind == "mat" and block.parametric:
                    if sliced:  # updates in place
                        state = _apply(state, block, m, False, work)
                        afters.append(self._copy(state))
                    else:
                        state = _apply(
                            state, block, m, False, work, target=self._buffer(tuple(state.shape))
                        )
                        afters.append(state)
                    continue
                state = _apply(state, block, m, False, work)
            final = self._copy(state)
        return final, heads, mats, comps, afters

    def _copy(self, state: torch.Tensor) -> torch.Tensor:
        """A copy of ``state``, into a buffer handed back by :meth:`release` if one fits."""
        return self._buffer(tuple(state.shape)).copy_(state)

    def _buffer(self, shape: tuple[int, ...]) -> torch.Tensor:
        """An uninitialised float64 tensor: one handed back by :meth:`release` if one fits."""
        spare = getattr(self._local, "spare", None)
        if spare:
            for i, buffer in enumerate(spare):
                if tuple(buffer.shape) == shape:
                    return spare.pop(i)
        return torch.empty(shape, dtype=torch.float64)

    def release(self, sweep: Evaluation) -> None:
        """Hand a consumed evaluation's state buffers back for reuse by later sweeps.

        ``sweep`` (its ``state``, ``lam`` and ``afters``) must not be used afterwards.
        """
        buffers = [sweep.state, sweep.lam, *sweep.afters]
        if (16 * sweep.parameters.shape[0] << self.num_qubits) > _PERSIST_BYTES:
            return
        spare = getattr(self._local, "spare", None)
        if spare is None:
            spare = self._local.spare = []
        known = {b.data_ptr() for b in spare}
        spare.extend(b for b in buffers if b.data_ptr() not in known)
        del spare[: max(0, len(spare) - 4 * len(buffers))]

    def statevector(self, parameters: torch.Tensor) -> torch.Tensor:
        """Final states, ``(batch, 2**n)`` complex128 in Qiskit's little-endian order.

        Not differentiable; use :meth:`expectation_values` for gradients.
        """
        state, *_ = self._run(parameters.detach().to(torch.float64), self._everything)
        return torch.complex(state[0, 0], state[0, 1]).T.contiguous()

    def expectation_values(self, parameters: torch.Tensor) -> torch.Tensor:
        """``<psi(theta)| O_k |psi(theta)>`` as ``(batch, num_outputs)`` float64.

        Differentiable: autograd's backward uses the adjoint Jacobian.
        """
        if parameters.requires_grad and torch.is_grad_enabled():
            out: torch.Tensor = _AdjointExpectation.apply(parameters, self)
            return out
        return self.values_and_jacobian(parameters, jacobian=False)[0]

    def values_and_jacobian(
        self, parameters: torch.Tensor, jacobian: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Expectation values ``(batch, K)`` and, by the adjoint method, their Jacobian.

        Args:
            parameters: ``(batch, num_parameters)``.
            jacobian: Also compute ``d value[b, k] / d parameters[b, j]``. Defaults to True.

        Returns:
            ``(values, jacobian)``, the Jacobian ``(batch, K, num_parameters)`` or None.
        """
        sweep = self._evaluate(parameters, keep=jacobian)
        return sweep.values, (self.jacobian(sweep) if jacobian else None)

    def evaluate(self, parameters: torch.Tensor) -> Evaluation:
        """The forward sweep: expectation values, with what :meth:`jacobian` needs kept."""
        return self._evaluate(parameters, keep=True)

    def _evaluate(self, parameters: torch.Tensor, keep: bool) -> Evaluation:
        params = parameters.detach().to(torch.float64)
        if keep:
            count = sum(b.kind == "mat" and b.parametric for b in self._light_cone.main)
            state_bytes = 16 * params.shape[0] << self.num_qubits
            keep = count * state_bytes <= _KEEP_BYTES
        state, heads, mats, comps, afters = self._run(params, self._light_cone, keep=keep)
        if self._tail is None:
            lam = self._apply_observables(state[0])
            values = (lam * state).sum(dim=(1, 2)).T.contiguous()
            tail = None
        else:
            with torch.no_grad():
                values, lam, tail = self._tail.forward(self, params, comps, state)
        return Evaluation(params, values, state, lam, heads, mats, comps, tuple(afters), tail)

    def jacobian(self, sweep: Evaluation) -> torch.Tensor:
        """``d value[b, k] / d parameters[b, j]``, ``(batch, K, num_parameters)``.

        The adjoint (backward) sweep from a forward sweep of :meth:`evaluate`.
        """
        return self._adjoint(sweep, self._light_cone)

    def _apply_observables(self, psi: torch.Tensor) -> torch.Tensor:
        """``O_k psi`` for every output, ``(K, 2, 2**n, batch)`` real-split."""
        lam = self._diagonal[:, None, :, None] * psi.unsqueeze(0)
        for k, perm, phase_re, phase_im in self._offdiagonal:
            gathered = psi.index_select(1, perm)
            lam[k, 0] += phase_re[:, None] * gathered[0] - phase_im[:, None] * gathered[1]
            lam[k, 1] += phase_re[:, None] * gathered[1] + phase_im[:, None] * gathered[0]
        return lam

    def _adjoint(self, sweep: Evaluation, sequence: _Sequence) -> torch.Tensor:
        params = sweep.parameters
        batch = params.shape[0]
        k_out = sweep.lam.shape[0]
        if sweep.comps is None:
            sweep = self.evaluate(params)
        assert sweep.comps is not None
        # The states after each parametrised block, kept by the forward sweep, or (when
        # they were not kept) the final state, un-computed block by block.
        kept = len(sweep.afters) == sum(b.kind == "mat" and b.parametric for b in sequence.main)
        afters = list(sweep.afters)
        # Sliced blocks update in place: never write into the evaluation's own tensors.
        in_place = any(b.kind == "mat" and b.mode == "slice" for b in sequence.main)
        lam = sweep.lam.clone() if in_place else sweep.lam
        psi = sweep.state if kept or not in_place else sweep.state.clone()
        grads: list[tuple[_Prepared, torch.Tensor]] = []
        work = self._workspace("adjoint", batch)
        psi_work = self._workspace("adjoint-psi", batch)
        with torch.no_grad():
            for block, m in zip(reversed(sequence.main), reversed(sweep.mats), strict=True):
                psi_p = None
                if block.kind == "mat" and block.parametric:
                    if kept:
                        psi = afters.pop()
                    if block.mode == "strided":
                        g = _overlaps_strided(psi, lam, block, work)
                        lam = _apply(lam, block, m, True, work)
                    elif block.mode == "perm":
                        lam_p = _permuted(lam, block, work)
                        psi_p = _permuted(psi, block, psi_work)
                        g = _overlaps_perm(psi_p, lam_p, block, work)
                        lam = _apply(lam, block, m, True, work, permuted=lam_p)
                    else:
                        g = _overlaps(psi, lam, block, work)
                        lam = _apply(lam, block, m, True, work)
                    # E = G @ conj(M): d value = 2 Re sum(E * dM); see the module docstring.
                    grads.append((block, g.permute(4, 0, 1, 2, 3) @ m.conj().unsqueeze(1)))
                else:
                    lam = _apply(lam, block, m, True, work)
                if not kept:
                    psi = _apply(psi, block, m, True, psi_work, permuted=psi_p)
            if sweep.tail is not None:
                assert self._tail is not None
                grads += self._tail.gradients(sweep.tail)
            wanted = [i for i, b in enumerate(sequence.prefix) if b.parametric]
            if wanted:
                # The prefix made the product state psi_0 = (x)_q M_q|0>: d value / d M_q[i, 0]
                # is lambda_0 contracted with every other qubit's column (see module docstring).
                columns = {
                    b.target: h[:, 0, :, 0].T
                    for b, h in zip(sequence.prefix, sweep.heads, strict=True)
                }
                envs = _environments(
                    self.num_qubits,
                    lam,
                    columns,
                    {sequence.prefix[i].target for i in wanted},
                    self._workspace("environments", batch),
                )
                for i in wanted:
                    block = sequence.prefix[i]
                    e = torch.zeros((batch, k_out, 1, 2, 2), dtype=torch.complex128)
                    e[:, :, 0, :, 0] = envs[block.target].conj().permute(2, 0, 1)
                    grads.append((block, e))
            if not grads or self.num_parameters == 0:
                return torch.zeros((batch, k_out, self.num_parameters), dtype=torch.float64)
            slot_grad = self._slot_gradients(sweep.comps, params, grads, k_out)
            jac = slot_grad @ self._coeffs.T
        if self._nonlinear:
            jac = jac + self._nonlinear_chain(params, slot_grad)
        return jac

    def _slot_gradients(
        self,
        comps: torch.Tensor,
        params: torch.Tensor,
        grads: list[tuple[_Prepared, torch.Tensor]],
        k_out: int,
    ) -> torch.Tensor:
        """``d value[b, k] / d angle slot``, ``(batch, K, slots)``, in closed form.

        A block's matrix per control value is ``C_m ... C_1`` over its parts; with
        ``d value = 2 Re sum(E * dM)``, part ``t`` gets ``F_t = A_t^T E B_t^T`` (``A``/``B``:
        the products after/before it), then each gate ``2 Re sum(F * dC / d angle)``.
        """
        batch = params.shape[0]
        count = sum(v.shape[1] for v in self._kind_slots.values())
        f_all = torch.zeros((batch, k_out, count, 2, 2), dtype=torch.complex128)
        eye = torch.eye(2, dtype=torch.complex128)
        # Uncontrolled blocks with the same number of parts are handled together.
        chains: dict[int, list[tuple[_Prepared, torch.Tensor]]] = {}
        general = []
        for block, e in grads:
            if all(g.rows is None for g in block.groups):
                chains.setdefault(len(block.groups), []).append((block, e))
            else:
                general.append((block, e))
        for length, members in chains.items():
            positions = [
                torch.tensor([int(b.groups[t].positions[0]) for b, _ in members])
                for t in range(length)
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
        table = self.angles(params)
        slot_grad = torch.zeros((batch, k_out, table.shape[1]), dtype=torch.float64)
        offset = 0
        for kind, slots in self._kind_slots.items():
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
                self._u_gradients(f, table, slots, slot_grad)
                continue
            slot_grad.index_add_(2, slots[0], 2.0 * g)
        return slot_grad

    @staticmethod
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

    def _nonlinear_chain(self, params: torch.Tensor, slot_grad: torch.Tensor) -> torch.Tensor:
        """The Jacobian through angles that are not affine in the parameters.

        Autograd on the angle expressions only: each row's angle reads that row only.
        """
        jac = torch.zeros(
            (params.shape[0], slot_grad.shape[1], self.num_parameters), dtype=torch.float64
        )
        leaf = params.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            for slot, func, cols in self._nonlinear:
                value = torch.as_tensor(func(*(leaf[:, c] for c in cols)), dtype=torch.float64)
                if not value.requires_grad:
                    continue
                (d,) = torch.autograd.grad(value.sum(), leaf, allow_unused=True)
                if d is not None:
                    jac += slot_grad[:, :, slot, None] * d[:, None, :]
        return jac


class _AdjointExpectation(torch.autograd.Function):
    """Expectation values whose backward is the adjoint Jacobian contracted with grad."""

    @staticmethod
    def forward(ctx: Any, parameters: torch.Tensor, circuit: TorchCircuit) -> torch.Tensor:
        values, jacobian = circuit.values_and_jacobian(parameters)
        ctx.save_for_backward(jacobian)
        return values.to(parameters.dtype)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:
        (jacobian,) = ctx.saved_tensors
        grad = torch.einsum("bk,bkp->bp", grad_output.to(jacobian.dtype), jacobian)
        return grad.to(grad_output.dtype), None


@dataclass(frozen=True)
class _TailSweep:
    """The folded tail in one forward sweep (complex, ``bt`` = 1 or batch).

    ``singles`` each tail block's ``(bt, d, d)`` matrix, ``befores`` the product of the
    blocks before it, ``unitary`` the whole tail ``T`` and ``reduced`` the state's
    ``R[b, i, j] = sum conj(psi_i) psi_j`` over the other qubits, ``(batch, d, d)``.
    """

    singles: list[torch.Tensor]
    befores: list[torch.Tensor]
    unitary: torch.Tensor
    reduced: torch.Tensor


class _Tail:
    """The light cone's last blocks, folded into the observables: ``O'_k = T^† O_k T``.

    Used while the tail blocks and the observables act on a few qubits ``S`` only.

    The expectation values are ``sum(R * O')`` with ``R`` the state's ``d x d`` overlaps on
    ``S``, the adjoint sweep starts from ``lambda_k = O'_k psi`` and the tail's own gates
    get ``d value = 2 Re sum((O^T conj(T) R) * dT)``, pushed through the product of the
    tail blocks to each block's per-control-value ``2x2`` matrices.
    """

    def __init__(
        self,
        qubits: list[int],
        blocks: list[_Prepared],
        local: list[_Prepared],
        observables: torch.Tensor,
        num_qubits: int,
    ) -> None:
        self.qubits = qubits
        self.blocks = blocks
        self.local = local
        self.observables = observables  # (K, d, d) complex
        # Parameter columns the tail's angles read (set by TorchCircuit).
        self.columns = torch.zeros(0, dtype=torch.int64)
        n, s = num_qubits, len(qubits)
        rest = [q for q in range(n - 1, -1, -1) if q not in qubits]
        # Axis a of the (2,)*n view holds qubit n-1-a: S (highest first), then the rest.
        self.dims = [n - 1 - q for q in reversed(qubits)] + [n - 1 - q for q in rest] + [n]
        self.inverse_dims = list(np.argsort(self.dims))
        self.identity_order = self.dims == list(range(n + 1))
        self.equations: list[str | None] = []
        for block in local:
            if block.kind != "mat" or not block.parametric:
                self.equations.append(None)
                continue
            rows, cols = "", ""
            for q in range(s - 1, -1, -1):
                rows += chr(ord("a") + q)
                cols += chr(ord("n") + q) if q == block.target else chr(ord("a") + q)
            ctrl = "".join(chr(ord("a") + q) for q in reversed(block.controls))
            target = chr(ord("a") + block.target) + chr(ord("n") + block.target)
            self.equations.append(f"YZ{rows}{cols}->YZ{ctrl}{target}")

    @classmethod
    def build(
        cls,
        relevant: list[_Prepared],
        observables: Sequence[SparsePauliOp],
        num_qubits: int,
        comp_pos: dict[int, int],
    ) -> _Tail | None:
        support: set[int] = set()
        for observable in observables:
            for pauli in observable.paulis:
                support.update(int(q) for q in np.flatnonzero(pauli.x | pauli.z))
        if not support or len(support) > _TAIL_MAX or num_qubits - len(support) < 2:
            return None
        count = 0
        for block in reversed(relevant):
            grown = support | block.qubits
            # Folding pays while the other qubits hold most of the state.
            if len(grown) > _TAIL_MAX or num_qubits - len(grown) < 2:
                break
            support |= block.qubits
            count += 1
        if count == 0:
            return None
        blocks = relevant[len(relevant) - count :]
        qubits = sorted(support)
        where = {q: j for j, q in enumerate(qubits)}
        s = len(qubits)
        local = []
        for block in blocks:
            source = block.source
            if source.kind == "perm":
                assert source.index is not None
                y = np.arange(1 << s)
                x = sum(((y >> j) & 1) << q for j, q in enumerate(qubits))
                image = source.index[x]
                index = sum(((image >> q) & 1) << j for j, q in enumerate(qubits))
                mapped = _Block("perm", {where[q] for q in source.qubits}, index=index)
            else:
                mapped = _Block(
                    "mat",
                    {where[q] for q in source.qubits},
                    where[source.target],
                    tuple(where[q] for q in source.controls),
                    list(source.parts),
                )
            local.append(_Prepared(mapped, s, comp_pos))
        matrices = np.zeros((len(observables), 1 << s, 1 << s), dtype=complex)
        for k, observable in enumerate(observables):
            for pauli, coeff in zip(observable.paulis, observable.coeffs, strict=True):
                label = pauli.to_label()
                body = label.lstrip("-i")
                phase = label[: len(label) - len(body)]
                sub = "".join(body[num_qubits - 1 - q] for q in reversed(qubits))
                matrices[k] += complex(coeff) * Pauli(phase + sub).to_matrix()
        # The outputs are Re <psi|O|psi>: the Hermitian part of O.
        matrices = 0.5 * (matrices + matrices.conj().transpose(0, 2, 1))
        return cls(qubits, blocks, local, torch.from_numpy(matrices), num_qubits)

    def forward(
        self, circuit: TorchCircuit, params: torch.Tensor, comps: torch.Tensor, state: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, _TailSweep]:
        """Values ``(batch, K)``, ``lambda`` ``(K, 2, 2**n, batch)`` and the tail sweep.

        When the parameters the tail reads are equal on every row (trained weights), the
        tail's matrices are built once, not per sample.
        """
        d = 1 << len(self.qubits)
        cols = self.columns
        if not len(cols) or bool((params[:, cols] == params[:1, cols]).all()):
            comps = comps[:1]
        mats = [circuit._matrices(comps, b) if b.kind == "mat" else comps for b in self.local]
        bt = max(
            (m.shape[0] for b, m in zip(self.local, mats, strict=True) if b.kind == "mat"),
            default=1,
        )
        columns = torch.arange(d)
        work = _Workspace()
        singles = []
        for block, m in zip(self.local, mats, strict=True):
            eye = torch.zeros((d, 2, d, bt), dtype=torch.float64)
            eye[columns, 0, columns] = 1.0
            out = _apply(eye, block, m, False, work)
            # out[col, re/im, row, b] -> L[b, row, col]
            singles.append(torch.complex(out[:, 0], out[:, 1]).permute(2, 1, 0).contiguous())
        total = torch.eye(d, dtype=torch.complex128).unsqueeze(0)
        befores = []
        for single in singles:
            befores.append(total)
            total = _cmatmul(single, total)
        n, batch = len(self.dims) - 1, state.shape[-1]
        front = state[0]  # (2, 2**n, batch) with S leading: (2, d, rest, batch)
        if not self.identity_order:
            front = front.view((2,) + (2,) * n + (batch,)).permute(0, *(1 + a for a in self.dims))
        front = front.reshape(2 * d, -1, batch)
        # R[b, i, j] = sum conj(psi_i) psi_j from one Gram matrix of [re; im] per sample.
        work = circuit._workspace("tail", batch)
        rows = work.get("rows", (batch, 2 * d, front.shape[1]))
        rows.copy_(front.permute(2, 0, 1))
        gram = rows @ rows.transpose(1, 2)
        reduced = torch.complex(
            gram[:, :d, :d] + gram[:, d:, d:], gram[:, :d, d:] - gram[:, d:, :d]
        )
        folded = _cmatmul(
            _cmatmul(total.conj().transpose(-1, -2).unsqueeze(1), self.observables),
            total.unsqueeze(1),
        )
        values = (reduced.unsqueeze(1) * folded).sum(dim=(-1, -2)).real
        k_out = folded.shape[1]
        if bt == 1:
            # [re; im] of O' psi as one real matrix product on the leading qubits.
            o_re, o_im = folded[0].real, folded[0].imag
            w = torch.stack([torch.cat([o_re, -o_im], 2), torch.cat([o_im, o_re], 2)], 1)
            product = circuit._buffer((k_out, 2, 1 << n, batch)) if self.identity_order else None
            flat = (k_out * 2 * d, front.shape[1] * batch)
            lam = torch.matmul(
                w.reshape(k_out * 2 * d, 2 * d),
                front.reshape(2 * d, -1),
                out=None if product is None else product.view(flat),
            ).view(k_out, 2, d, -1, batch)
        else:
            o_re, o_im = folded.real, folded.imag
            re, im = front[:d], front[d:]
            lam = torch.stack(
                [
                    torch.einsum("bkij,jrb->kirb", o_re, re)
                    - torch.einsum("bkij,jrb->kirb", o_im, im),
                    torch.einsum("bkij,jrb->kirb", o_re, im)
                    + torch.einsum("bkij,jrb->kirb", o_im, re),
                ],
                dim=1,
            )
        if not self.identity_order:
            lam = lam.reshape((k_out, 2) + (2,) * n + (batch,)).permute(
                0, 1, *(2 + a for a in self.inverse_dims)
            )
        lam = lam.reshape(k_out, 2, 1 << n, batch).contiguous()
        return values.contiguous(), lam, _TailSweep(singles, befores, total, reduced)

    def gradients(self, sweep: _TailSweep) -> list[tuple[_Prepared, torch.Tensor]]:
        """``(local block, E)`` with ``d value = 2 Re sum(E * dM)`` per control value."""
        t = sweep.unitary  # (bt, d, d)
        x = _cmatmul(
            self.observables.transpose(-1, -2).unsqueeze(0),
            _cmatmul(t.conj().unsqueeze(1), sweep.reduced.unsqueeze(1)),
        )  # (batch, K, d, d)
        batch, k_out = x.shape[0], x.shape[1]
        s = len(self.qubits)
        grads = []
        for p in range(len(self.local) - 1, -1, -1):
            block, equation = self.local[p], self.equations[p]
            if equation is not None:
                f = _cmatmul(x, sweep.befores[p].transpose(-1, -2).unsqueeze(1))
                e = torch.einsum(equation, f.reshape((batch, k_out) + (2,) * (2 * s)))
                e = e.reshape(batch, k_out, block.num_values, 2, 2)[:, :, block.active]
                grads.append((block, e))
            x = _cmatmul(sweep.singles[p].transpose(-1, -2).unsqueeze(1), x)
        return grads


def _cmatmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` for small (tail-sized) batched matrices.

    Torch's batched matmul of ``8x8`` and larger matrices can stall for milliseconds on a
    busy machine when it runs on several threads, and a broadcast product materialises a
    ``d`` times larger temporary: when one operand is shared by the whole batch the product
    is one plain matrix product, else a sum over the contracted index.
    """
    lead_a, lead_b = tuple(a.shape[:-2]), tuple(b.shape[:-2])
    width = max(len(lead_a), len(lead_b))
    lead_a = (1,) * (width - len(lead_a)) + lead_a
    lead_b = (1,) * (width - len(lead_b)) + lead_b
    shape = tuple(max(x, y) for x, y in zip(lead_a, lead_b, strict=True))
    n, k, m = a.shape[-2], a.shape[-1], b.shape[-1]
    if all(size == 1 for size in b.shape[:-2]):
        rows = a.expand(*shape, n, k).reshape(-1, k)
        return (rows @ b.reshape(k, m)).view(*shape, n, m)
    if all(size == 1 for size in a.shape[:-2]):
        cols = b.expand(*shape, k, m).transpose(-1, -2).reshape(-1, k)
        return (cols @ a.reshape(n, k).T).view(*shape, m, n).transpose(-1, -2)
    out = a[..., :, :1] * b[..., :1, :]
    for j in range(1, k):
        out = out + a[..., :, j : j + 1] * b[..., j : j + 1, :]
    return out


@dataclass(frozen=True)
class _Sequence:
    """Blocks to run: a product-state ``prefix`` and the ``main`` blocks.

    The prefix holds each qubit's first block when that is an uncontrolled one-qubit block:
    it commutes to the front, so it only prepares the product state ``(x)_q M_q |0>``.
    """

    prefix: list[_Prepared]
    main: list[_Prepared]


def _split_prefix(blocks: list[_Prepared]) -> _Sequence:
    touched: set[int] = set()
    prefix: list[_Prepared] = []
    main: list[_Prepared] = []
    for block in blocks:
        if block.kind == "mat" and block.mode == "plain" and block.target not in touched:
            prefix.append(block)
        else:
            main.append(block)
        touched |= block.qubits
    return _Sequence(prefix, main)


def _product_state(
    num_qubits: int,
    batch: int,
    prefix: list[_Prepared],
    heads: list[torch.Tensor],
    work: _Workspace | None = None,
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


def _environments(
    num_qubits: int,
    lam: torch.Tensor,
    columns: dict[int, torch.Tensor],
    wanted: set[int],
    work: _Workspace | None = None,
) -> dict[int, torch.Tensor]:
    """``env_q[k, i, b] = sum_{x: x_q = i} lam[k, x, b] prod_{p != q} conj(v_p[x_p, b])``.

    ``lam`` is real-split, ``(K, 2, 2**n, batch)``. Divide and conquer: each half of the
    qubits is contracted away once per level, so all environments together cost about two
    contractions of the full tensor. Intermediates go into ``work`` buffers (every tensor
    alive at once has a different shape) when one is given.
    """
    work = _Workspace() if work is None else work
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
    work: _Workspace,
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
    work: _Workspace,
) -> None:
    if len(order) == 1:
        found[order[0]] = tensor.clone()  # a workspace buffer, reused by later contractions
        return
    left, right = order[: len(order) // 2], order[len(order) // 2 :]
    for drop in (right, left):
        reduced, remaining = _contract(tensor, order, drop, weights, work)
        _split(reduced, remaining, weights, found, work)


# --------------------------------------------------------------------------- block kernels


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


class _Workspace:
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


def _apply(
    state: torch.Tensor,
    block: _Prepared,
    m: torch.Tensor,
    dagger: bool,
    work: _Workspace,
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
        source = permuted if permuted is not None else _permuted(state, block, work)
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
        out.view(_permuted_shape(lead, n, batch)).permute(block.dims).copy_(
            result.view(_permuted_shape(lead, n, batch))
        )
        return out
    full = state.view(_permuted_shape(lead, n, batch))
    for a, index in enumerate(block.slices):
        sub = full[index]
        x0, x1 = sub.select(block.slice_axis, 0), sub.select(block.slice_axis, 1)
        xs = [(x0[:, 0].clone(), x0[:, 1].clone()), (x1[:, 0].clone(), x1[:, 1].clone())]
        outs = [(x0[:, 0], x0[:, 1]), (x1[:, 0], x1[:, 1])]
        r = [[re[i, j, a] for j in range(2)] for i in range(2)]
        i_ = None if im_used is None else [[im_used[i, j, a] for j in range(2)] for i in range(2)]
        _mix(xs, outs, r, i_)
    return state


def _permuted_shape(lead: int, n: int, batch: int) -> tuple[int, ...]:
    return (lead, 2) + (2,) * n + (batch,)


def _permuted(
    state: torch.Tensor, block: _Prepared, work: _Workspace, name: str = "permuted"
) -> torch.Tensor:
    """The state with the block's controls as leading qubit axes (a contiguous copy)."""
    lead, batch = state.shape[0], state.shape[-1]
    n = state.shape[2].bit_length() - 1
    source = state.view(_permuted_shape(lead, n, batch)).permute(block.dims)
    out = work.get(name, tuple(state.shape)).view(source.shape)
    return out.copy_(source)


def _complex_overlap(t: torch.Tensor) -> torch.Tensor:
    """``G = sum conj(lambda_i) psi_j`` from ``T[k, r, s, ...] = sum lambda_r psi_s``."""
    return torch.complex(t[:, 0, 0] + t[:, 1, 1], t[:, 0, 1] - t[:, 1, 0])


def _overlaps(
    psi: torch.Tensor, lam: torch.Tensor, block: _Prepared, work: _Workspace
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
    lam_full = lam.view(_permuted_shape(k_out, n, batch))
    psi_full = psi.view(_permuted_shape(1, n, batch))
    per_value = []
    for index in block.slices:
        lam_sub = lam_full[index].movedim(block.slice_axis, 2).reshape(k_out, 2, 2, -1, batch)
        psi_sub = psi_full[index].movedim(block.slice_axis, 2).reshape(2, 2, -1, batch)
        t = torch.einsum("kriRb,sjRb->krsijb", lam_sub, psi_sub)
        per_value.append(_complex_overlap(t))
    return torch.stack(per_value, dim=1)


def _overlaps_perm(
    psi: torch.Tensor, lam: torch.Tensor, block: _Prepared, work: _Workspace
) -> torch.Tensor:
    """``G[k, value, i, j, b]`` of a permuted (many control values) block.

    ``psi`` and ``lambda`` are the permuted copies.
    """
    k_out, batch = lam.shape[0], lam.shape[-1]
    values, hi, lo = block.num_values, block.hi, block.lo
    lv = lam.view(k_out, 2, values, hi, 2, lo, batch)
    pv = psi.view(1, 2, values, hi, 2, lo, batch)
    # As in _overlaps: products in (k, r, value, i, h, l, b) order, summed over (h, l).
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


def _overlaps_strided(
    psi: torch.Tensor, lam: torch.Tensor, block: _Prepared, work: _Workspace
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


def _compile_observables(
    num_qubits: int, observables: Sequence[SparsePauliOp]
) -> tuple[torch.Tensor, list[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]]]:
    dim = 1 << num_qubits
    basis = np.arange(dim)
    diagonal = np.zeros((len(observables), dim))
    offdiagonal: list[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]] = []
    for k, observable in enumerate(observables):
        if observable.num_qubits != num_qubits:
            raise CompileError(
                f"observable {k} acts on {observable.num_qubits} qubits, "
                f"the circuit has {num_qubits}"
            )
        for pauli, coeff in zip(observable.paulis, observable.coeffs, strict=True):
            zmask = int(np.dot(pauli.z, 1 << np.arange(num_qubits)))
            xmask = int(np.dot(pauli.x, 1 << np.arange(num_qubits)))
            if xmask == 0:
                parity = np.array([bin(i & zmask).count("1") & 1 for i in basis])
                sign = (-1.0) ** parity * (1j) ** (-pauli.phase)
                diagonal[k] += (complex(coeff) * sign).real
                continue
            matrix = pauli.to_matrix(sparse=True).tocsr()
            perm = torch.from_numpy(matrix.indices.astype(np.int64))
            phase = np.asarray(matrix.data, dtype=np.complex128) * float(complex(coeff).real)
            offdiagonal.append(
                (
                    k,
                    perm,
                    torch.from_numpy(phase.real.copy()),
                    torch.from_numpy(phase.imag.copy()),
                )
            )
    return torch.from_numpy(diagonal), offdiagonal


# ------------------------------------------------------------------------------ compiling


def compile_circuit(
    circuit: QuantumCircuit,
    parameters: Sequence[Parameter],
    observables: Sequence[SparsePauliOp],
) -> TorchCircuit:
    """Compile ``circuit`` into a :class:`TorchCircuit` whose parameter columns are ``parameters``.

    Args:
        circuit: An unmeasured circuit; every instruction must be a native gate or expand
            through ``definition`` into native gates.
        parameters: Column order of the parameter tensor; must cover every circuit parameter.
        observables: Outputs, SparsePauliOps on the full circuit width.

    Raises:
        CompileError: A measurement or reset, a gate with no definition, an annotated gate
            with a modifier other than control/inverse, a circuit parameter missing from
            ``parameters``, a complex angle or an observable of the wrong width.
    """
    table = _AngleTable(index={p: i for i, p in enumerate(parameters)})
    natives: list[tuple[_Comp, int, tuple[tuple[int, int], ...]]] = []
    positions = {bit: i for i, bit in enumerate(circuit.qubits)}
    _expand(circuit, [positions[q] for q in circuit.qubits], (), table, natives)
    offset = len(table.rows)
    comps: list[_Comp] = []
    blocks: list[_Block] = []
    last: dict[int, int] = {}
    n = circuit.num_qubits
    for comp, target, controls in natives:
        if comp.kind != "fixed":
            comp = _Comp(comp.kind, tuple(s if s >= 0 else offset - s - 1 for s in comp.slots))
        comps.append(comp)
        _fuse(blocks, last, comp, target, controls, n)
    return TorchCircuit(n, len(parameters), comps, blocks, table, observables)


def _fuse(
    blocks: list[_Block],
    last: dict[int, int],
    comp: _Comp,
    target: int,
    controls: tuple[tuple[int, int], ...],
    n: int,
) -> None:
    """Append a gate, merging it into the last block on its qubits where that is exact.

    The last block touching any of the gate's qubits can absorb it: every block after it
    acts on other qubits and commutes with the gate.
    """
    qubits = {target, *(q for q, _ in controls)}
    j = max((last.get(q, -1) for q in qubits), default=-1)
    previous = blocks[j] if j >= 0 else None
    is_x = comp.kind == "fixed" and comp.matrix is not None and np.allclose(comp.matrix, _X)
    if is_x and controls:
        index = _controlled_x_index(n, target, controls)
        if previous is not None and previous.kind == "perm":
            assert previous.index is not None
            previous.index = previous.index[index]
            previous.qubits |= qubits
            for q in qubits:
                last[q] = j
            return
        blocks.append(_Block("perm", qubits, index=index))
    else:
        ctrl_qubits = tuple(sorted(q for q, _ in controls))
        value = sum(v << ctrl_qubits.index(q) for q, v in controls) if controls else None
        if (
            previous is not None
            and previous.kind == "mat"
            and previous.target == target
            and (previous.controls == ctrl_qubits or not controls)
        ):
            previous.parts.append((comp, value))
            return
        blocks.append(_Block("mat", qubits, target, ctrl_qubits, [(comp, value)]))
    for q in qubits:
        last[q] = len(blocks) - 1


def _controlled_x_index(n: int, target: int, controls: tuple[tuple[int, int], ...]) -> np.ndarray:
    basis = np.arange(1 << n)
    hit = np.ones(1 << n, dtype=bool)
    for q, v in controls:
        hit &= ((basis >> q) & 1) == v
    return np.where(hit, basis ^ (1 << target), basis)


def _expand(
    circuit: QuantumCircuit,
    wires: list[int],
    controls: tuple[tuple[int, int], ...],
    table: _AngleTable,
    natives: list[tuple[_Comp, int, tuple[tuple[int, int], ...]]],
) -> None:
    local = {bit: i for i, bit in enumerate(circuit.qubits)}
    for instruction in circuit.data:
        operation = instruction.operation
        qubits = [wires[local[q]] for q in instruction.qubits]
        if instruction.clbits or operation.name in ("measure", "reset"):
            raise CompileError(f"{operation.name!r} cannot be simulated as a pure state")
        if operation.name in _SKIPPED:
            continue
        _expand_one(operation, qubits, controls, table, natives)


def _expand_one(
    operation: Operation,
    qubits: list[int],
    controls: tuple[tuple[int, int], ...],
    table: _AngleTable,
    natives: list[tuple[_Comp, int, tuple[tuple[int, int], ...]]],
) -> None:
    if isinstance(operation, AnnotatedOperation):
        _expand_annotated(operation, qubits, controls, table, natives)
        return
    if isinstance(operation, ControlledGate) and operation.base_gate.num_qubits == 1:
        nc = operation.num_ctrl_qubits
        state = operation.ctrl_state
        extra = tuple((qubits[i], (state >> i) & 1) for i in range(nc))
        _expand_one(operation.base_gate, qubits[nc:], controls + extra, table, natives)
        return
    name = operation.name
    if operation.num_qubits == 1 and name in _ROTATIONS:
        natives.append((_native(name, operation.params, table), qubits[0], controls))
        return
    if name == "rzz":
        # RZZ(theta) = CX(a, b) RZ(theta)_b CX(a, b), so it fuses with rotations on b.
        a, b = qubits
        x = _Comp("fixed", matrix=_X)
        natives.append((x, b, (*controls, (a, 1))))
        natives.append((_Comp("rz", (table.add(operation.params[0], 0.5),)), b, controls))
        natives.append((x, b, (*controls, (a, 1))))
        return
    if (
        operation.num_qubits == 1
        and isinstance(operation, Gate)
        and not operation.is_parameterized()
    ):
        m = np.asarray(operation.to_matrix(), dtype=complex)
        natives.append((_Comp("fixed", matrix=m), qubits[0], controls))
        return
    definition = getattr(operation, "definition", None)
    if definition is None:
        raise CompileError(f"gate {name!r} has no definition to expand")
    _expand(definition, qubits, controls, table, natives)


def _expand_annotated(
    operation: AnnotatedOperation,
    qubits: list[int],
    controls: tuple[tuple[int, int], ...],
    table: _AngleTable,
    natives: list[tuple[_Comp, int, tuple[tuple[int, int], ...]]],
) -> None:
    """Expand ``.control(annotated=True)`` and inverse-annotated gates.

    Modifiers apply in order, each control modifier prepending its control qubits;
    inverses are taken on the base operation.
    """
    base: Operation = operation.base_op
    extra: list[tuple[int, int]] = []
    front = len(qubits) - base.num_qubits
    for modifier in operation.modifiers:
        if isinstance(modifier, ControlModifier):
            nc = modifier.num_ctrl_qubits
            front -= nc
            extra += [(qubits[front + i], (modifier.ctrl_state >> i) & 1) for i in range(nc)]
        elif isinstance(modifier, InverseModifier):
            base = base.inverse()
        else:
            raise CompileError(
                f"annotated gate {operation.name!r} has a {type(modifier).__name__}; "
                "only control and inverse modifiers can be simulated"
            )
    if front != 0:
        raise CompileError(f"annotated gate {operation.name!r} has inconsistent control qubits")
    targets = qubits[len(qubits) - base.num_qubits :]
    _expand_one(base, targets, controls + tuple(extra), table, natives)


def _native(name: str, params: list[Any], table: _AngleTable) -> _Comp:
    # Every slot is read through cos/sin, so rotations store theta/2 and phases store theta.
    if name in ("rx", "ry", "rz"):
        return _Comp(name, (table.add(params[0], 0.5),))
    if name in ("p", "u1"):
        return _Comp("p", (table.add(params[0], 1.0),))
    theta, phi, lam = params
    return _Comp("u", (table.add(theta, 0.5), table.add(phi, 1.0), table.add(lam, 1.0)))
