"""Lower logical :class:`~qcompile.qram.query.QRAMQuery` gates to a chosen construction.

Use :class:`QRAMLowering` in any ``PassManager``, or :func:`add_qram_lowering` to run it as the
``pre_init`` stage of a preset pass manager::

    pm = generate_preset_pass_manager(optimization_level=3, target=target)
    add_qram_lowering(pm, "bb-2q")
    isa = pm.run(logical)

Without it, a preset pass manager still compiles a query, through its reference definition
(one multi-controlled gate per word: correct and expensive).
"""

from __future__ import annotations

from typing import Any

from qiskit.circuit import AncillaRegister
from qiskit.converters import circuit_to_dag
from qiskit.dagcircuit import DAGCircuit, DAGOpNode
from qiskit.transpiler import PassManager, StagedPassManager, TransformationPass

from qcompile.errors import CompileError
from qcompile.qram.query import QRAMQuery
from qcompile.qram.registry import get_construction

__all__ = ["QRAMLowering", "add_qram_lowering", "qram_lowering_pass_manager"]


class QRAMLowering(TransformationPass):
    """Replace every top-level :class:`QRAMQuery` by the construction registered as ``kind``.

    Ancillas come from one new ``AncillaRegister`` (``qram_ancilla``) sized for the widest
    query and shared by all of them: every construction returns its ancillas to ``|0>``.
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
            raise CompileError(
                "the 'oracle' QRAM is a cost model for resource reports; choose a real kind "
                "(bucket-brigade, bb-2q, qrom, select-swap, multiplexer) to compile"
            )
        built = {}
        for node in queries:
            op = node.op
            assert isinstance(op, QRAMQuery)
            built[node] = self.construction.from_query(op, **self.options).build()
        need = max(c.num_qubits - len(n.qargs) for n, c in built.items())
        new_dag = dag.copy_empty_like()
        ancillas: list[Any] = []
        if need:
            names = set(new_dag.qregs)
            name, suffix = "qram_ancilla", 0
            while name in names:
                suffix += 1
                name = f"qram_ancilla{suffix}"
            reg = AncillaRegister(need, name)
            new_dag.add_qreg(reg)
            ancillas = list(reg)
        for node in dag.topological_op_nodes():
            if isinstance(node, DAGOpNode) and node in built:
                circuit = built[node]
                extra = circuit.num_qubits - len(node.qargs)
                new_dag.compose(
                    circuit_to_dag(circuit), qubits=[*node.qargs, *ancillas[:extra]], inplace=True
                )
            else:
                new_dag.apply_operation_back(node.op, node.qargs, node.cargs, check=False)
        return new_dag


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
    lowering = qram_lowering_pass_manager(kind, **options)
    pm.pre_init = lowering if pm.pre_init is None else lowering + pm.pre_init
    return pm
