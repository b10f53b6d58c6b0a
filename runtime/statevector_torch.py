"""A batched, differentiable statevector simulator in torch for parametrised circuits.

:func:`compile_circuit` turns a parametrised :class:`~qiskit.circuit.QuantumCircuit` into a
:class:`TorchCircuit` once: every instruction is expanded through its ``definition`` until
it is a one-qubit gate (a rotation ``rx``/``ry``/``rz``/``p``/``u`` or any fixed 2x2 unitary),
a controlled one-qubit gate (any number of controls, any ``ctrl_state``) or ``rzz``. Gate
angles are collected into one table: angles that are affine in the parameters (``0.5*x``,
``x + 2*y``) become one matrix product, anything else (``x*y``) is evaluated with torch from
the parameter tensor, so autograd differentiates through it.

:meth:`TorchCircuit.expectation_values` evolves a batch of states, a complex tensor of shape
``(batch,) + (2,) * n`` whose axis ``1 + (n - 1 - q)`` is qubit ``q`` (so the flattened state
is in Qiskit's little-endian order), applying each gate to one or two axes; no ``2**n x 2**n``
matrix is ever built. Observables are :class:`~qiskit.quantum_info.SparsePauliOp`: Z-strings
are summed as one ``probabilities @ diagonal`` product, other Pauli terms by an index
permutation with phases. Everything is float64/complex128.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from qiskit.circuit import (
    ControlledGate,
    Gate,
    Instruction,
    Parameter,
    ParameterExpression,
    QuantumCircuit,
)
from qiskit.quantum_info import SparsePauliOp

from qcompile.errors import CompileError

__all__ = ["TorchCircuit", "compile_circuit"]

# Instructions that do nothing to an unmeasured state.
_SKIPPED = frozenset({"barrier", "delay", "id"})
# Parametrised one-qubit gates simulated natively (everything else is expanded or fixed).
_ROTATIONS = frozenset({"rx", "ry", "rz", "p", "u1", "u", "u3"})
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


@dataclass(frozen=True)
class _Op:
    """One native operation.

    ``kind`` is ``rx``, ``ry``, ``rz``, ``p``, ``u`` (angles from the table), ``fixed``
    (constant 2x2 ``matrix``) or ``rzz`` (two qubits). ``angles`` index the angle table
    (already halved where the gate uses half angles); ``controls`` pairs (qubit, value).
    """

    kind: str
    qubits: tuple[int, ...]
    angles: tuple[int, ...] = ()
    controls: tuple[tuple[int, int], ...] = ()
    matrix: tuple[complex, complex, complex, complex] | None = None


@dataclass
class _AngleTable:
    """Angle expressions, deduplicated; affine ones become rows of ``coeffs``/``offsets``."""

    index: dict[Parameter, int]
    rows: list[tuple[dict[int, float], float]] = field(default_factory=list)
    nonlinear: list[tuple[int, Callable[..., Any], tuple[int, ...]]] = field(default_factory=list)
    keys: dict[Any, int] = field(default_factory=dict)

    def add(self, value: ParameterExpression | float, scale: float) -> int | float:
        """Return the table slot of ``scale * value``, or a float if it is constant."""
        if not isinstance(value, ParameterExpression) or not value.parameters:
            return scale * float(value)
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


class TorchCircuit:
    """A circuit compiled to native torch operations; see the module docstring.

    Build it with :func:`compile_circuit`.
    """

    def __init__(
        self,
        num_qubits: int,
        num_parameters: int,
        ops: list[_Op],
        table: _AngleTable,
        constants: list[float],
        observables: Sequence[SparsePauliOp],
    ) -> None:
        self.num_qubits = num_qubits
        self.num_parameters = num_parameters
        self._ops = ops
        coeffs = np.zeros((len(table.rows) + len(constants), num_parameters))
        offsets = np.zeros(len(table.rows) + len(constants))
        for row, (cols, offset) in enumerate(table.rows):
            for col, value in cols.items():
                coeffs[row, col] = value
            offsets[row] = offset
        offsets[len(table.rows) :] = constants
        self._coeffs = torch.from_numpy(coeffs.T.copy())
        self._offsets = torch.from_numpy(offsets)
        self._nonlinear = table.nonlinear
        self._diagonal, self._offdiagonal = _compile_observables(num_qubits, observables)
        self.num_outputs = len(observables)

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

    def statevector(self, parameters: torch.Tensor) -> torch.Tensor:
        """Final states, ``(batch, 2**n)`` complex128 in Qiskit's little-endian order."""
        n = self.num_qubits
        batch = parameters.shape[0]
        half = self.angles(parameters)
        bshape = (batch,) + (1,) * n
        cos = half.cos().T.contiguous()
        sin = half.sin().T.contiguous()
        state = torch.zeros((batch,) + (2,) * n, dtype=torch.complex128)
        state[(slice(None),) + (0,) * n] = 1.0
        flat = (batch, 1, 1, 1)
        for op in self._ops:
            qubit = op.qubits[0]
            if op.controls:
                index: list[Any] = [slice(None)] * (n + 1)
                for control, value in op.controls:
                    index[n - control] = slice(value, value + 1)
                sub = _apply(state[tuple(index)], op, n - qubit, cos, sin, bshape, n)
                state = state.clone()
                state[tuple(index)] = sub
            elif op.kind == "rzz":
                state = _apply(state, op, n - qubit, cos, sin, bshape, n)
            else:
                # Elementwise kernels are much faster on (batch, high, 2, low) than on n axes.
                view = state.reshape(batch, 1 << (n - 1 - qubit), 2, 1 << qubit)
                state = _apply(view, op, 2, cos, sin, flat, n).reshape(state.shape)
        return state.reshape(batch, 1 << n)

    def expectation_values(self, parameters: torch.Tensor) -> torch.Tensor:
        """``<psi(theta)| O_k |psi(theta)>`` as ``(batch, num_outputs)`` float64."""
        psi = self.statevector(parameters)
        probs = psi.real.square() + psi.imag.square()
        out = probs @ self._diagonal
        if self._offdiagonal:
            extra = [
                (psi.conj() * psi[:, perm] * phase).sum(dim=1).real * coeff
                for _, perm, phase, coeff in self._offdiagonal
            ]
            rows = torch.tensor([k for k, _, _, _ in self._offdiagonal])
            add = torch.zeros_like(out).T.index_add(0, rows, torch.stack(extra)).T
            out = out + add
        return out


def _apply(
    state: torch.Tensor,
    op: _Op,
    axis: int,
    cos: torch.Tensor,
    sin: torch.Tensor,
    bshape: tuple[int, ...],
    n: int,
) -> torch.Tensor:
    kind = op.kind
    if kind == "rzz":
        # exp(-i theta/2 Z_a Z_b): phase e^{-i theta/2} where the bits agree, e^{+i theta/2} else.
        shape = [1] * (n + 1)
        shape[axis], shape[n - op.qubits[1]] = 2, 2
        parity = torch.tensor([[1.0, -1.0], [-1.0, 1.0]], dtype=torch.float64).reshape(shape)
        c, s = cos[op.angles[0]].view(bshape), sin[op.angles[0]].view(bshape)
        minus_s = -s * parity
        return state * torch.complex(c.expand_as(minus_s), minus_s)
    s0, s1 = state.select(axis, 0).unsqueeze(axis), state.select(axis, 1).unsqueeze(axis)
    if kind == "fixed":
        assert op.matrix is not None
        m00, m01, m10, m11 = op.matrix
        return torch.cat([_lin(m00, s0, m01, s1), _lin(m10, s0, m11, s1)], dim=axis)
    c, s = cos[op.angles[0]].view(bshape), sin[op.angles[0]].view(bshape)
    if kind == "ry":
        # Complex coefficients: complex * complex is faster than complex * real in torch.
        c, s = c.to(state.dtype), s.to(state.dtype)
        return torch.cat([c * s0 - s * s1, s * s0 + c * s1], dim=axis)
    if kind == "rx":
        js = torch.complex(torch.zeros_like(s), -s)
        c = c.to(state.dtype)
        return torch.cat([c * s0 + js * s1, js * s0 + c * s1], dim=axis)
    if kind == "rz":
        return torch.cat([s0 * torch.complex(c, -s), s1 * torch.complex(c, s)], dim=axis)
    if kind == "p":
        # The slot holds theta itself for ``p`` (see ``_native``).
        return torch.cat([s0, s1 * torch.complex(c, s)], dim=axis)
    # u(theta, phi, lam): slots hold theta/2, phi and lam (see ``_native``).
    cp, sp = cos[op.angles[1]].view(bshape), sin[op.angles[1]].view(bshape)
    cl, sl = cos[op.angles[2]].view(bshape), sin[op.angles[2]].view(bshape)
    e_phi, e_lam = torch.complex(cp, sp), torch.complex(cl, sl)
    return torch.cat([c * s0 - e_lam * s * s1, e_phi * s * s0 + e_phi * e_lam * c * s1], dim=axis)


def _lin(a: complex, x: torch.Tensor, b: complex, y: torch.Tensor) -> torch.Tensor:
    if b == 0:
        return x * a if a != 1 else x
    if a == 0:
        return y * b if b != 1 else y
    return x * a + y * b


def _compile_observables(
    num_qubits: int, observables: Sequence[SparsePauliOp]
) -> tuple[torch.Tensor, list[tuple[int, torch.Tensor, torch.Tensor, float]]]:
    dim = 1 << num_qubits
    basis = np.arange(dim)
    diagonal = np.zeros((dim, len(observables)))
    offdiagonal: list[tuple[int, torch.Tensor, torch.Tensor, float]] = []
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
                diagonal[:, k] += (complex(coeff) * sign).real
                continue
            matrix = pauli.to_matrix(sparse=True).tocsr()
            perm = torch.from_numpy(matrix.indices.astype(np.int64))
            phase = torch.from_numpy(np.asarray(matrix.data, dtype=np.complex128))
            offdiagonal.append((k, perm, phase, float(complex(coeff).real)))
    return torch.from_numpy(diagonal), offdiagonal


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
        CompileError: A measurement or reset, a gate with no definition, a circuit parameter
            missing from ``parameters``, a complex angle or an observable of the wrong width.
    """
    table = _AngleTable(index={p: i for i, p in enumerate(parameters)})
    constants: list[float] = []
    ops: list[_Op] = []
    positions = {bit: i for i, bit in enumerate(circuit.qubits)}
    _expand(circuit, [positions[q] for q in circuit.qubits], (), table, constants, ops)
    # Constant angles sit after the parameter-dependent ones in the table.
    offset = len(table.rows)
    fixed_ops = [
        _Op(op.kind, op.qubits, tuple(_slot(a, offset) for a in op.angles), op.controls, op.matrix)
        for op in ops
    ]
    return TorchCircuit(
        circuit.num_qubits, len(parameters), fixed_ops, table, constants, observables
    )


def _slot(angle: int, offset: int) -> int:
    return angle if angle >= 0 else offset + (-angle - 1)


def _expand(
    circuit: QuantumCircuit,
    wires: list[int],
    controls: tuple[tuple[int, int], ...],
    table: _AngleTable,
    constants: list[float],
    ops: list[_Op],
) -> None:
    local = {bit: i for i, bit in enumerate(circuit.qubits)}
    for instruction in circuit.data:
        operation = instruction.operation
        qubits = [wires[local[q]] for q in instruction.qubits]
        if instruction.clbits or operation.name in ("measure", "reset"):
            raise CompileError(f"{operation.name!r} cannot be simulated as a pure state")
        if operation.name in _SKIPPED:
            continue
        _expand_one(operation, qubits, controls, table, constants, ops)


def _expand_one(
    operation: Instruction,
    qubits: list[int],
    controls: tuple[tuple[int, int], ...],
    table: _AngleTable,
    constants: list[float],
    ops: list[_Op],
) -> None:
    if isinstance(operation, ControlledGate) and operation.base_gate.num_qubits == 1:
        nc = operation.num_ctrl_qubits
        state = operation.ctrl_state
        extra = tuple((qubits[i], (state >> i) & 1) for i in range(nc))
        _expand_one(operation.base_gate, qubits[nc:], controls + extra, table, constants, ops)
        return
    name = operation.name
    if operation.num_qubits == 1 and name in _ROTATIONS:
        ops.append(_native(name, operation.params, qubits[0], controls, table, constants))
        return
    if name == "rzz" and not controls:
        angle = _angle(operation.params[0], 0.5, table, constants)
        ops.append(_Op("rzz", (qubits[0], qubits[1]), (angle,)))
        return
    if (
        operation.num_qubits == 1
        and isinstance(operation, Gate)
        and not operation.is_parameterized()
    ):
        m = np.asarray(operation.to_matrix(), dtype=complex)
        entries = (complex(m[0, 0]), complex(m[0, 1]), complex(m[1, 0]), complex(m[1, 1]))
        ops.append(_Op("fixed", (qubits[0],), controls=controls, matrix=entries))
        return
    definition = operation.definition
    if definition is None:
        raise CompileError(f"gate {name!r} has no definition to expand")
    _expand(definition, qubits, controls, table, constants, ops)


def _angle(value: Any, scale: float, table: _AngleTable, constants: list[float]) -> int:
    """Table slot for ``scale * value``; constants get negative slots resolved later."""
    slot = table.add(value, scale)
    if isinstance(slot, float):
        constants.append(slot)
        return -len(constants)
    return slot


def _native(
    name: str,
    params: list[Any],
    qubit: int,
    controls: tuple[tuple[int, int], ...],
    table: _AngleTable,
    constants: list[float],
) -> _Op:
    # Every slot is read through cos/sin, so rotations store theta/2 and phases store theta.
    if name in ("rx", "ry", "rz"):
        return _Op(name, (qubit,), (_angle(params[0], 0.5, table, constants),), controls)
    if name in ("p", "u1"):
        return _Op("p", (qubit,), (_angle(params[0], 1.0, table, constants),), controls)
    theta, phi, lam = params
    slots = (
        _angle(theta, 0.5, table, constants),
        _angle(phi, 1.0, table, constants),
        _angle(lam, 1.0, table, constants),
    )
    return _Op("u", (qubit,), slots, controls)
