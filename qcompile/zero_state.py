"""Exact classical–quantum output of a small circuit run from |0…0⟩, dynamic parts included.

The state is a map from the classical bits' values to an unnormalised density matrix (the
quantum state on that branch, weighted by its probability). Measurement splits a branch by
projection, reset is the channel |0⟩⟨0|·|0⟩⟨0| + |0⟩⟨1|·|1⟩⟨0|, and ``if_else``, ``switch``,
``for_loop`` and bounded ``while_loop`` act per branch on its classical values. Branches with
equal classical values are summed, so the size is bounded by 2^(clbits) density matrices.
This is the textbook quantum-instrument semantics (Nielsen & Chuang, §2.4 and §8.2); it is
exact, not sampled, and exponential in the qubit count, so it serves small circuits only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import (
    CASE_DEFAULT,
    ClassicalRegister,
    Clbit,
    ForLoopOp,
    IfElseOp,
    Qubit,
    SwitchCaseOp,
    WhileLoopOp,
)
from qiskit.circuit.classical import expr, types
from qiskit.quantum_info import DensityMatrix, Kraus, Operator

__all__ = ["NotSimulableError", "zero_state_output"]

Branches = dict[tuple[int, ...], DensityMatrix]
_PASSIVE = {"barrier", "delay"}
_MAX_BRANCHES = 1024
_MAX_WHILE_ITERATIONS = 64
_P0 = Operator(np.array([[1, 0], [0, 0]], dtype=complex))
_P1 = Operator(np.array([[0, 0], [0, 1]], dtype=complex))
_RESET = Kraus([np.array([[1, 0], [0, 0]], dtype=complex), np.array([[0, 1], [0, 0]])])
_DROP = 1e-14  # branch weight below which a branch is numerically empty


class NotSimulableError(Exception):
    """The circuit holds something the exact simulation cannot follow (the reason is the text)."""


def zero_state_output(
    circuit: QuantumCircuit, positions: Mapping[Qubit, int], num_qubits: int
) -> Branches:
    """Runs ``circuit`` from |0…0⟩ and returns its classical–quantum output.

    Args:
        circuit: a circuit with bound parameters; control flow allowed.
        positions: the density-matrix position of each of the circuit's qubits that acts.
        num_qubits: the density matrix's qubit count.

    Returns:
        Unnormalised density matrices keyed by the values of ``circuit.clbits`` (in order);
        each one's trace is the probability of those classical values.

    Raises:
        NotSimulableError: an unsupported instruction or condition, or too many branches.
    """
    zero = np.zeros((2**num_qubits, 2**num_qubits), dtype=complex)
    zero[0, 0] = 1.0
    states: Branches = {(0,) * circuit.num_clbits: DensityMatrix(zero)}
    clbits = {bit: i for i, bit in enumerate(circuit.clbits)}
    return _run(circuit, dict(positions), clbits, states)


def _run(
    circuit: QuantumCircuit, qmap: dict[Qubit, int], cmap: dict[Clbit, int], states: Branches
) -> Branches:
    for instruction in circuit.data:
        op = instruction.operation
        name = op.name
        if name in _PASSIVE:
            continue
        qargs = [qmap[q] for q in instruction.qubits]
        if isinstance(op, (IfElseOp, SwitchCaseOp, ForLoopOp, WhileLoopOp)):
            states = _control_flow(instruction, qmap, cmap, states)
        elif name == "measure":
            states = _measure(states, qargs[0], cmap[instruction.clbits[0]])
        elif name == "reset":
            states = {key: rho.evolve(_RESET, [qargs[0]]) for key, rho in states.items()}
        elif instruction.clbits:
            raise NotSimulableError(f"instruction {name!r} writes classical bits")
        else:
            try:
                matrix = Operator(op)
            except Exception as exc:  # no matrix: an opaque or non-unitary instruction
                raise NotSimulableError(f"no matrix for {name!r}: {exc}") from None
            states = {key: rho.evolve(matrix, qargs) for key, rho in states.items()}
        if len(states) > _MAX_BRANCHES:
            raise NotSimulableError(f"more than {_MAX_BRANCHES} classical branches")
    return states


def _measure(states: Branches, qubit: int, clbit: int) -> Branches:
    out: Branches = {}
    for key, rho in states.items():
        for value, projector in ((0, _P0), (1, _P1)):
            branch = rho.evolve(projector, [qubit])
            if abs(np.trace(branch.data)) < _DROP:
                continue
            new_key = (*key[:clbit], value, *key[clbit + 1 :])
            out[new_key] = out[new_key] + branch if new_key in out else branch
    return out


def _block_maps(
    instruction: Any, block: QuantumCircuit, qmap: dict[Qubit, int], cmap: dict[Clbit, int]
) -> tuple[dict[Qubit, int], dict[Clbit, int]]:
    # A block's bits correspond by position to the instruction's; conditions inside may
    # still name the outer circuit's bits, so the outer maps stay visible.
    inner_q = dict(qmap)
    inner_q.update({b: qmap[o] for b, o in zip(block.qubits, instruction.qubits, strict=True)})
    inner_c = dict(cmap)
    inner_c.update({b: cmap[o] for b, o in zip(block.clbits, instruction.clbits, strict=True)})
    return inner_q, inner_c


def _split(states: Branches, predicate: Any) -> Iterator[tuple[Any, Branches]]:
    groups: dict[Any, Branches] = {}
    for key, rho in states.items():
        groups.setdefault(predicate(key), {})[key] = rho
    yield from groups.items()


def _merge(into: Branches, more: Branches) -> None:
    for key, rho in more.items():
        into[key] = into[key] + rho if key in into else rho


def _control_flow(
    instruction: Any, qmap: dict[Qubit, int], cmap: dict[Clbit, int], states: Branches
) -> Branches:
    op = instruction.operation
    out: Branches = {}
    if isinstance(op, IfElseOp):
        for taken, group in _split(states, lambda key: bool(_evaluate(op.condition, key, cmap))):
            block = op.blocks[0] if taken else (op.blocks[1] if len(op.blocks) > 1 else None)
            if block is None:
                _merge(out, group)
                continue
            inner_q, inner_c = _block_maps(instruction, block, qmap, cmap)
            _merge(out, _run(block, inner_q, inner_c, group))
        return out
    if isinstance(op, SwitchCaseOp):
        cases = list(op.cases_specifier())

        def choose(key: tuple[int, ...]) -> int:
            value = _evaluate(op.target, key, cmap)
            for index, (labels, _) in enumerate(cases):
                if any(label is CASE_DEFAULT or label == value for label in labels):
                    return index
            return -1

        for index, group in _split(states, choose):
            if index < 0:
                _merge(out, group)
                continue
            block = cases[index][1]
            inner_q, inner_c = _block_maps(instruction, block, qmap, cmap)
            _merge(out, _run(block, inner_q, inner_c, group))
        return out
    if isinstance(op, ForLoopOp):
        indexset, loop_parameter, body = op.params
        for value in indexset:
            block = (
                body if loop_parameter is None else body.assign_parameters({loop_parameter: value})
            )
            inner_q, inner_c = _block_maps(instruction, block, qmap, cmap)
            states = _run(block, inner_q, inner_c, states)
        return states
    # WhileLoopOp: iterate each branch until its condition is false.
    body = op.blocks[0]
    pending = states
    for _ in range(_MAX_WHILE_ITERATIONS):
        running: Branches = {}
        for go, group in _split(pending, lambda key: bool(_evaluate(op.condition, key, cmap))):
            if go:
                running.update(group)
            else:
                _merge(out, group)
        if not running:
            return out
        inner_q, inner_c = _block_maps(instruction, body, qmap, cmap)
        pending = _run(body, inner_q, inner_c, running)
    raise NotSimulableError(f"while loop runs past {_MAX_WHILE_ITERATIONS} iterations")


def _evaluate(node: Any, key: tuple[int, ...], cmap: Mapping[Clbit, int]) -> int:
    """Value of a classical condition or target on one branch's classical bits."""
    if isinstance(node, tuple):
        target, value = node
        return int(_evaluate(target, key, cmap) == int(value))
    if isinstance(node, Clbit):
        return key[cmap[node]]
    if isinstance(node, ClassicalRegister):
        return sum(key[cmap[bit]] << i for i, bit in enumerate(node))
    if isinstance(node, expr.Var):
        return _evaluate(node.var, key, cmap)
    if isinstance(node, expr.Value):
        return int(node.value)
    if isinstance(node, expr.Cast):
        value = _evaluate(node.operand, key, cmap)
        return int(bool(value)) if isinstance(node.type, types.Bool) else value
    if isinstance(node, expr.Unary):
        operand = _evaluate(node.operand, key, cmap)
        if node.op is expr.Unary.Op.LOGIC_NOT:
            return int(not operand)
        if node.op is expr.Unary.Op.BIT_NOT and isinstance(node.type, types.Bool):
            return int(not operand)
    if isinstance(node, expr.Binary):
        a = _evaluate(node.left, key, cmap)
        b = _evaluate(node.right, key, cmap)
        ops = expr.Binary.Op
        table = {
            ops.EQUAL: lambda: a == b,
            ops.NOT_EQUAL: lambda: a != b,
            ops.LESS: lambda: a < b,
            ops.LESS_EQUAL: lambda: a <= b,
            ops.GREATER: lambda: a > b,
            ops.GREATER_EQUAL: lambda: a >= b,
            ops.LOGIC_AND: lambda: bool(a) and bool(b),
            ops.LOGIC_OR: lambda: bool(a) or bool(b),
            ops.BIT_AND: lambda: a & b,
            ops.BIT_OR: lambda: a | b,
            ops.BIT_XOR: lambda: a ^ b,
        }
        if node.op in table:
            return int(table[node.op]())
    raise NotSimulableError(f"classical expression {node!r} is not supported")
