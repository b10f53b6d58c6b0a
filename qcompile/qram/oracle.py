"""The QRAM oracle the papers assume: one opaque query on ``log N`` qubits at unit cost.

For resource reports only. Its ``build()`` holds an opaque gate with no definition, and
:class:`~qcompile.qram.lowering.QRAMLowering` refuses the ``"oracle"`` kind with a
:class:`~hardware_profiles.errors.CompileError`: nothing real implements it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from qiskit.circuit import Gate, QuantumCircuit

from qcompile.qram.base import (
    ORACLE_GATE_NAME,
    QRAMConstruction,
    QRAMResources,
    check_resource_args,
)

__all__ = ["OracleQRAM"]


@dataclass(frozen=True)
class OracleQRAM(QRAMConstruction):
    """Cost-model QRAM: one query, ``n + b`` qubits, nothing else.

    Registers:
        address: ``n`` qubits.
        target: ``b`` qubits.

    References:
        Giovannetti, Lloyd, Maccone, "Quantum random access memory", arXiv:0708.1879.
        Aaronson, "Read the fine print", Nature Physics 11, 291 (2015).
    """

    kind: ClassVar[str] = "oracle"

    @classmethod
    def register_sizes(cls, n: int, b: int, mode: str = "bits", **options: Any) -> dict[str, int]:
        """Register names and sizes."""
        return {"address": n, "target": b}

    @classmethod
    def resources(
        cls, n: int, b: int, mode: str = "bits", ones: int | None = None, **options: Any
    ) -> QRAMResources:
        """One query on ``n + b`` qubits."""
        check_resource_args(n, b, mode, ones)
        return QRAMResources(
            qubits=n + b, cswap=0, toffoli=0, swap=0, cx_count=0, rotations=0, depth=1, queries=1
        )

    def build(self) -> QuantumCircuit:
        """A circuit holding one opaque ``qram_oracle`` gate (no definition)."""
        qc, regs = self._empty_circuit()
        qc.append(Gate(ORACLE_GATE_NAME, self.n + self.b, []), [*regs["address"], *regs["target"]])
        return qc
