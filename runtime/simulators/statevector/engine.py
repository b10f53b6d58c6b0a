"""The fused statevector engine: a circuit compiled once into a few batched torch ops.

:func:`compile_engine` expands the circuit into (controlled) one-qubit gates (as
:func:`~runtime.simulators.statevector.compile_circuit` does), fuses them by cost
(:mod:`~runtime.simulators.statevector.plan`) and returns a :class:`StatevectorEngine`.
:meth:`StatevectorEngine.expectation_values` maps ``inputs (batch, I)`` and ``weights (W,)``
to ``(batch, K)`` expectation values, differentiable in both by torch autograd: the gate
matrices and fused op matrices are built with torch ops (small tensors), the state sweep is
one :class:`~runtime.simulators.statevector.sweep.FusedSweep` whose backward is one adjoint
sweep per batch weighted by the upstream gradient (a vector-Jacobian product, not a
Jacobian); batches of small states (:data:`AUTOGRAD_BYTES`) run the same ops under torch
autograd instead. Everything is complex128/float64, so gradients are exact to rounding.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from qiskit.circuit import Parameter, QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from hardware_profiles.errors import CompileError
from runtime.simulators.statevector.compiler import expand_gates
from runtime.simulators.statevector.gates import PAULI_X, AngleTable, Component
from runtime.simulators.statevector.matrices import component_matrices
from runtime.simulators.statevector.op_matrices import OpBuilder
from runtime.simulators.statevector.pauli import PauliObservables
from runtime.simulators.statevector.plan import GateRef, Op, Plan, plan_ops
from runtime.simulators.statevector.sweep import FusedSweep, ProductPrefix, Sweep

__all__ = ["AUTOGRAD_BYTES", "MAX_ENGINE_QUBITS", "StatevectorEngine", "compile_engine"]

AUTOGRAD_BYTES = 1 << 21
"""Batches whose states take at most this many bytes are differentiated by torch autograd
through the fused ops; larger ones by :class:`FusedSweep`'s adjoint sweep. Measured with
``benchmarks/train_bench.py``'s circuits, batch 32, one thread: autograd is 1.1-1.4x faster
on the 11-qubit lookup and on QLAM (6-8 qubits), the adjoint 1.5x faster at 14 qubits."""

MAX_ENGINE_QUBITS = 25
"""Widest register the engine simulates (its einsum labels run out beyond)."""


class _Components:
    """The gates' ``2x2`` matrices: rotation kinds batched, per sample or shared."""

    def __init__(self, comps: Sequence[Component]) -> None:
        self.kind_slots: dict[str, torch.Tensor] = {}
        self.order: list[int] = []
        kinds: dict[str, list[tuple[int, ...]]] = {}
        positions: dict[str, list[int]] = {}
        for i, comp in enumerate(comps):
            if comp.kind != "fixed":
                kinds.setdefault(comp.kind, []).append(comp.slots)
                positions.setdefault(comp.kind, []).append(i)
        for kind in kinds:
            self.kind_slots[kind] = torch.tensor(kinds[kind], dtype=torch.int64).T.contiguous()
            self.order += positions[kind]
        fixed = [i for i, c in enumerate(comps) if c.kind == "fixed"]
        self.order += fixed
        self.fixed = (
            torch.from_numpy(np.stack([np.asarray(comps[i].matrix) for i in fixed]))
            if fixed
            else torch.zeros((0, 2, 2), dtype=torch.complex128)
        )
        # component_matrices returns them by kind; this puts them back in list order.
        inverse = np.empty(len(self.order), dtype=np.int64)
        inverse[np.asarray(self.order, dtype=np.int64)] = np.arange(len(self.order))
        self.inverse = torch.from_numpy(inverse)

    def matrices(self, table: torch.Tensor) -> torch.Tensor:
        """``(batch, components, 2, 2)`` for the angle table ``(batch, slots)``."""
        mats = component_matrices(table, self.kind_slots, self.fixed)
        return mats.index_select(1, self.inverse) if len(self.order) else mats


class StatevectorEngine:
    """A circuit compiled to fused torch ops; build it with :func:`compile_engine`.

    Attributes:
        num_qubits: Register width.
        num_inputs: Per-sample parameters (columns of ``inputs``).
        num_weights: Shared parameters (entries of ``weights``).
        num_outputs: Observables.
        plan: The fused ops of the observables' light cone.
    """

    def __init__(
        self,
        num_qubits: int,
        num_inputs: int,
        num_weights: int,
        comps: list[Component],
        gates: list[tuple[int, int, tuple[tuple[int, int], ...]]],
        table: AngleTable,
        observables: Sequence[SparsePauliOp],
        max_block: int | None = None,
    ) -> None:
        self.num_qubits = num_qubits
        self.num_inputs = num_inputs
        self.num_weights = num_weights
        self.num_outputs = len(observables)
        num_parameters = num_inputs + num_weights
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
        sample_slot = np.asarray(coeffs[:, :num_inputs].any(axis=1), dtype=bool)
        for slot, _, used in table.nonlinear:
            sample_slot[slot] = any(c < num_inputs for c in used)
        # Equal gates (same kind and slots, or the same fixed matrix) share one component,
        # so ops that repeat (a shared entangler per token) have equal keys: built once.
        canonical: dict[object, int] = {}
        unique: list[Component] = []
        which: list[int] = []
        for c in comps:
            key = (c.kind, c.slots) if c.kind != "fixed" else np.asarray(c.matrix).tobytes()
            if key not in canonical:
                canonical[key] = len(unique)
                unique.append(c)
            which.append(canonical[key])
        comps = unique
        gates = [(which[c], target, controls) for c, target, controls in gates]
        per_sample = [c.kind != "fixed" and bool(sample_slot[list(c.slots)].any()) for c in comps]
        sample_ids = [i for i, p in enumerate(per_sample) if p]
        shared_ids = [i for i, p in enumerate(per_sample) if not p]
        renumber = {old: new for new, old in enumerate(sample_ids + shared_ids)}
        self._sample_comps = _Components([comps[i] for i in sample_ids])
        self._shared_comps = _Components([comps[i] for i in shared_ids])
        refs = [
            GateRef(
                renumber[c],
                target,
                controls,
                per_sample[c],
                comps[c].kind == "fixed" and np.allclose(comps[c].matrix, PAULI_X),  # type: ignore[arg-type]
            )
            for c, target, controls in gates
        ]
        self.observables = PauliObservables(num_qubits, observables)
        self.plan = plan_ops(refs, num_qubits, self.observables.support, max_block)
        self._fixed = {
            renumber[i]: np.asarray(comps[i].matrix) for i in shared_ids if comps[i].kind == "fixed"
        }
        self._program = _Program(num_qubits, self.plan, self.observables, self._fixed)
        self._refs, self._max_block = refs, max_block
        self._full: _Program | None = None

    def angles(self, parameters: torch.Tensor) -> torch.Tensor:
        """Angle table ``(batch, slots)`` for parameters ``(batch, inputs + weights)``."""
        table = parameters @ self._coeffs + self._offsets
        if self._nonlinear:
            columns = list(table.unbind(1))
            for slot, func, cols in self._nonlinear:
                value = func(*(parameters[:, c] for c in cols))
                columns[slot] = torch.as_tensor(value, dtype=table.dtype).expand(table.shape[0])
            table = torch.stack(columns, dim=1)
        return table

    def _check(
        self, inputs: torch.Tensor, weights: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        inputs = torch.as_tensor(inputs).to(torch.float64)
        weights = torch.as_tensor(weights).to(torch.float64)
        if inputs.dim() != 2 or inputs.shape[1] != self.num_inputs:
            raise CompileError(
                f"inputs must be (batch, {self.num_inputs}), got {tuple(inputs.shape)}"
            )
        if weights.shape != (self.num_weights,):
            raise CompileError(f"weights must be ({self.num_weights},), got {tuple(weights.shape)}")
        return inputs, weights

    def _matrices(
        self, inputs: torch.Tensor, weights: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        batch = inputs.shape[0]
        shared_params = torch.cat([inputs.new_zeros((1, self.num_inputs)), weights[None]], dim=1)
        shared = self._shared_comps.matrices(self.angles(shared_params))[0]
        if self._sample_comps.order:
            params = torch.cat([inputs, weights[None].expand(batch, -1)], dim=1)
            sample = self._sample_comps.matrices(self.angles(params))
        else:
            sample = shared.new_zeros((batch, 0, 2, 2))
        combined = torch.cat([sample, shared[None].expand(batch, -1, -1, -1)], dim=1)
        return combined, shared

    def expectation_values(self, inputs: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """``<psi(x, w)| O_k |psi(x, w)>``, ``(batch, K)`` float64, differentiable.

        Args:
            inputs: ``(batch, num_inputs)``.
            weights: ``(num_weights,)``.

        Raises:
            CompileError: On shapes that do not match the circuit.
        """
        inputs, weights = self._check(inputs, weights)
        sample, shared = self._matrices(inputs, weights)
        values = self._program.run(sample, shared)
        if not values.requires_grad and (inputs.requires_grad or weights.requires_grad):
            # Outputs that depend on no parameter (an empty light cone) get zero gradients.
            values = values + 0 * (inputs.sum() + weights.sum())
        return values

    def statevectors(self, inputs: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Final states ``(batch, 2**n)`` complex128, Qiskit's little-endian order (every gate)."""
        inputs, weights = self._check(inputs, weights)
        if self._full is None:
            plan = plan_ops(self._refs, self.num_qubits, range(self.num_qubits), self._max_block)
            self._full = _Program(self.num_qubits, plan, self.observables, self._fixed)
        with torch.no_grad():
            sample, shared = self._matrices(inputs, weights)
            return self._full.state(sample, shared).reshape(inputs.shape[0], -1)


class _Program:
    """A plan's matrix builders, product-state prefix and sweep."""

    def __init__(
        self,
        num_qubits: int,
        plan: Plan,
        observables: PauliObservables,
        fixed: dict[int, np.ndarray],
    ) -> None:
        n = num_qubits
        self.num_qubits = n
        self.prefix = OpBuilder(plan.prefix, fixed)
        main_mats: list[Op] = []
        keys: dict[tuple[object, ...], int] = {}
        matrix_index: list[int] = []
        perms: dict[int, torch.Tensor] = {}
        for i, op in enumerate(plan.main):
            if op.kind == "perm":
                matrix_index.append(-1)
                perms[i] = _permutation(op, n)
                continue
            key = op.key()
            if key not in keys:
                keys[key] = len(main_mats)
                main_mats.append(op)
            matrix_index.append(keys[key])
        self.main = OpBuilder(main_mats, fixed)
        where = [self.main.where[i] if i >= 0 else (-1, None) for i in matrix_index]
        self.sweep = Sweep(
            n, list(plan.main), where, self.main.group_per_sample, perms, observables
        )
        # The product state's factors: each prefix op's first column, |0> elsewhere.
        covered = {q for op in plan.prefix for q in op.targets}
        self.zero_qubits = [q for q in range(n) if q not in covered]
        subs = [tuple(1 + q for q in reversed(op.targets)) for op in plan.prefix]
        per_sample = [op.per_sample for op in plan.prefix]
        self.prefix_spec = ProductPrefix(
            n,
            tuple(
                [(0, *sub) if p else sub for sub, p in zip(subs, per_sample, strict=True)]
                + [(1 + q,) for q in self.zero_qubits]
            ),
            tuple(per_sample + [False] * len(self.zero_qubits)),
        )

    def factors(self, sample: torch.Tensor, shared: torch.Tensor) -> list[torch.Tensor]:
        """The product state's factors (see :class:`ProductPrefix`)."""
        batch = sample.shape[0]
        groups = self.prefix.build(sample, shared)
        out = []
        for i, op in enumerate(self.prefix.ops):
            column = self.prefix.matrix(groups, i)[..., 0, :, 0]  # (batch?, 2**t)
            lead = (batch,) if op.per_sample else ()
            out.append(column.reshape(*lead, *(2,) * len(op.targets)))
        zero = torch.tensor([1.0, 0.0], dtype=torch.complex128)
        return out + [zero] * len(self.zero_qubits)

    def initial(self, sample: torch.Tensor, shared: torch.Tensor) -> torch.Tensor:
        """The flat product state ``(batch, 2**n)`` of the prefix ops (``|0>`` elsewhere)."""
        return self.prefix_spec.state(self.factors(sample, shared), sample.shape[0])

    def run(self, sample: torch.Tensor, shared: torch.Tensor) -> torch.Tensor:
        factors = self.factors(sample, shared)
        mats = self.main.build(sample, shared)
        if sample.shape[0] << (self.num_qubits + 4) <= AUTOGRAD_BYTES:
            # Small states: torch autograd through the same fused ops is faster than the
            # adjoint sweep, whose per-op Python costs more than the tiny kernels it runs.
            psi0 = self.prefix_spec.state(factors, sample.shape[0])
            final, _ = self.sweep.forward_chunk(psi0, mats, False)
            values: torch.Tensor = self.sweep.observables.values(final)
            return values
        out: torch.Tensor = FusedSweep.apply(
            self.sweep, self.prefix_spec, sample.shape[0], *factors, *mats
        )
        return out

    def state(self, sample: torch.Tensor, shared: torch.Tensor) -> torch.Tensor:
        psi = self.initial(sample, shared)
        mats = self.main.build(sample, shared)
        final, _ = self.sweep.forward_chunk(psi, mats, False)
        return final


def _permutation(op: Op, n: int) -> torch.Tensor:
    """``src`` of a perm op: ``out[i] = psi[src[i]]`` after its X gates in order."""
    index = np.arange(1 << n, dtype=np.int64)
    src = index.copy()
    for gate in op.gates:
        match = np.ones(1 << n, dtype=bool)
        for q, state in gate.controls:
            match &= ((index >> q) & 1) == state
        flipped = np.where(match, index ^ (1 << gate.target), index)
        src = src[flipped]
    return torch.from_numpy(src)


def compile_engine(
    circuit: QuantumCircuit,
    inputs: Sequence[Parameter],
    weights: Sequence[Parameter],
    observables: Sequence[SparsePauliOp],
    *,
    max_block: int | None = None,
) -> StatevectorEngine:
    """Compile ``circuit`` into a :class:`StatevectorEngine`.

    Args:
        circuit: An unmeasured circuit (gates as :func:`compile_circuit` accepts them).
        inputs: Per-sample parameters, in column order.
        weights: Shared (trainable) parameters, in order.
        observables: Outputs, SparsePauliOps on the full circuit width.
        max_block: Widest shared dense block. Defaults to the cost model's choice
            (:func:`~runtime.simulators.statevector.plan.block_qubits`).

    Raises:
        CompileError: As :func:`compile_circuit`, or a register over
            :data:`MAX_ENGINE_QUBITS` qubits.
    """
    if circuit.num_qubits > MAX_ENGINE_QUBITS:
        raise CompileError(
            f"the statevector engine simulates at most {MAX_ENGINE_QUBITS} qubits, "
            f"the circuit has {circuit.num_qubits}"
        )
    parameters = [*inputs, *weights]
    comps, gates, table = expand_gates(circuit, parameters)
    return StatevectorEngine(
        circuit.num_qubits,
        len(inputs),
        len(weights),
        comps,
        gates,
        table,
        observables,
        max_block,
    )
