"""Lower logical :class:`~qcompile.qram.query.QRAMQuery` gates to a chosen construction.

Use :class:`QRAMLowering` in any ``PassManager``, or :func:`add_qram_lowering` to run it as the
``pre_init`` stage of a preset pass manager::

    pm = generate_preset_pass_manager(optimization_level=3, target=target)
    add_qram_lowering(pm, "bb-2q")
    isa = pm.run(logical)

Without it, a preset pass manager still compiles a query, through its reference definition
(one multi-controlled gate per word: correct and expensive).

After lowering, :func:`add_qram_lowering` writes symbolic phase gates with ``rz``
(``P(t) = e^{it/2} RZ(t)``, ``CP(t) = e^{it/4} RZ_c(t/2) CRZ(t)``): translating ``p``/``cp``
with a ParameterExpression angle gives the DAG a symbolic global phase, and Qiskit's
BasisTranslator then slows down badly in that expression on every later gate it substitutes
(Qiskit issue #16520): QLACI with a bucket brigade hung for minutes. In ``"ry"`` mode the
dropped phases of the two kickback passes cancel exactly; whatever does not cancel is put back
on the circuit's global phase. A circuit lowered with :func:`qram_lowering_pass_manager` alone
keeps the construction's gates (the ones its closed-form costs count).
"""

from __future__ import annotations

from typing import Any

import sympy
from qiskit.circuit import AncillaRegister, ClassicalRegister, ParameterExpression, QuantumCircuit
from qiskit.circuit.library import CRZGate, RZGate
from qiskit.converters import circuit_to_dag, dag_to_circuit
from qiskit.dagcircuit import DAGCircuit, DAGOpNode
from qiskit.transpiler import PassManager, StagedPassManager, TransformationPass

from hardware_profiles.errors import CompileError
from qcompile.qram.query import QRAMQuery
from qcompile.qram.registry import CONSTRUCTIONS, get_construction

__all__ = [
    "QRAMLowering",
    "add_qram_lowering",
    "qram_lowering_pass_manager",
    "symbolic_phases_as_rz",
]


def _is_symbolic(angle: Any) -> bool:
    return isinstance(angle, ParameterExpression) and bool(angle.parameters)


def symbolic_phases_as_rz(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` with its symbolic ``p``/``cp`` gates written with ``rz``/``crz``.

    The operator is unchanged: the global phases dropped by the rewrite are summed exactly
    (sympy) and whatever does not cancel is added to ``global_phase``.

    Args:
        circuit: A circuit of standard gates, e.g. a built QRAM construction.

    Returns:
        A new circuit (``circuit`` itself when it has no symbolic ``p``/``cp``).
    """
    if not any(
        inst.operation.name in ("p", "cp") and _is_symbolic(inst.operation.params[0])
        for inst in circuit.data
    ):
        return circuit
    out = circuit.copy_empty_like()
    dropped: list[Any] = []
    for inst in circuit.data:
        op, qubits = inst.operation, inst.qubits
        angle: Any = op.params[0] if op.params else None
        if op.name == "p" and _is_symbolic(angle):
            out.append(RZGate(angle), qubits)
            dropped.append(angle / 2)
        elif op.name == "cp" and _is_symbolic(angle):
            out.append(RZGate(angle / 2), [qubits[0]])
            out.append(CRZGate(angle), qubits)
            dropped.append(angle / 4)
        else:
            out.append(inst)
    rest = sympy.expand(sum((term.sympify() for term in dropped), sympy.Integer(0)))
    if rest.free_symbols:  # "phase" words: keep the (slow to translate) symbolic phase, exact
        out.global_phase += sum(dropped[1:], dropped[0])
    elif rest != 0:
        out.global_phase += float(rest)
    return out


def _unused_name(base: str, taken: Any) -> str:
    """``base``, or ``base1``, ``base2``... whichever is not among the ``taken`` names."""
    name, suffix = base, 0
    while name in taken:
        suffix += 1
        name = f"{base}{suffix}"
    return name


class QRAMLowering(TransformationPass):
    """Replace every top-level :class:`QRAMQuery` by the construction registered as ``kind``.

    Ancillas come from one new ``AncillaRegister`` (``qram_ancilla``) sized for the widest
    query and shared by all of them: every construction returns its ancillas to ``|0>``.
    Dynamic-circuit kinds (measurement-based uncompute) also get one classical register
    (``qram_mbu``) for their mid-circuit measurements.
    Parameter words stay symbolic, so the lowered circuit is still bound per input.
    """

    def __init__(self, kind: str, **options: Any) -> None:
        """Create the pass.

        Args:
            kind: A key of :data:`~qcompile.qram.registry.CONSTRUCTIONS`.
            **options: Construction options (e.g. ``block_bits`` for ``"select-swap"``).

        Raises:
            CompileError: If ``kind`` is unknown.
        """
        super().__init__()
        self.kind = kind
        self.construction = get_construction(kind)
        self.options = options

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        """Lower the queries of ``dag``.

        Raises:
            CompileError: For the ``"oracle"`` kind, which no circuit implements.
        """
        queries = [node for node in dag.op_nodes() if isinstance(node.op, QRAMQuery)]
        if not queries:
            return dag
        if self.kind == "oracle":
            kinds = ", ".join(k for k in CONSTRUCTIONS if k != "oracle")
            raise CompileError(
                "the 'oracle' QRAM is a cost model for resource reports; choose a real kind "
                f"({kinds}) to compile"
            )
        built = {}
        for node in queries:
            op = node.op
            assert isinstance(op, QRAMQuery)
            built[node] = self.construction.from_query(op, **self.options).build()
        need = max(c.num_qubits - len(n.qargs) for n, c in built.items())
        new_dag = dag.copy_empty_like()
        # dynamic-circuit kinds measure mid-circuit: one shared classical register for them
        need_clbits = max(c.num_clbits for c in built.values())
        mid_bits: list[Any] = []
        if need_clbits:
            creg = ClassicalRegister(need_clbits, _unused_name("qram_mbu", new_dag.cregs))
            new_dag.add_creg(creg)
            mid_bits = list(creg)
        ancillas: list[Any] = []
        if need:
            reg = AncillaRegister(need, _unused_name("qram_ancilla", new_dag.qregs))
            new_dag.add_qreg(reg)
            ancillas = list(reg)
        for node in dag.topological_op_nodes():
            if isinstance(node, DAGOpNode) and node in built:
                circuit = built[node]
                extra = circuit.num_qubits - len(node.qargs)
                new_dag.compose(
                    circuit_to_dag(circuit),
                    qubits=[*node.qargs, *ancillas[:extra]],
                    clbits=mid_bits[: circuit.num_clbits],
                    inplace=True,
                )
            else:
                new_dag.apply_operation_back(node.op, node.qargs, node.cargs, check=False)
        return new_dag


class SymbolicPhasesAsRZ(TransformationPass):
    """Rewrite symbolic ``p``/``cp`` gates with :func:`symbolic_phases_as_rz`.

    :func:`add_qram_lowering` runs it after :class:`QRAMLowering`, so that the lowered
    construction (whose gates the closed-form costs count) stays as built while the
    BasisTranslator never sees a symbolic phase gate.
    """

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        """Rewrite ``dag`` (returned unchanged when it has no symbolic ``p``/``cp``)."""
        circuit = dag_to_circuit(dag, copy_operations=False)
        out = symbolic_phases_as_rz(circuit)
        return dag if out is circuit else circuit_to_dag(out, copy_operations=False)


def qram_lowering_pass_manager(kind: str, **options: Any) -> PassManager:
    """A one-pass ``PassManager`` running :class:`QRAMLowering` (usable as a stage)."""
    return PassManager([QRAMLowering(kind, **options)])


def add_qram_lowering(pm: StagedPassManager, kind: str, **options: Any) -> StagedPassManager:
    """Run QRAM lowering first in ``pm`` (its ``pre_init`` stage); returns ``pm``.

    Args:
        pm: A staged pass manager, e.g. from ``generate_preset_pass_manager``.
        kind: Construction kind.
        **options: Construction options.

    Returns:
        The same ``pm``, modified.
    """
    lowering = PassManager([QRAMLowering(kind, **options), SymbolicPhasesAsRZ()])
    pm.pre_init = lowering if pm.pre_init is None else lowering + pm.pre_init
    return pm
