"""Bucket-brigade QRAM with two qubits per node: the input wire doubles as the left port.

A node ``(level, p)`` owns a ``router`` and a ``port`` qubit (its right port). Its left child's
input wire *is* its own input wire, so routing a signal through a node is a single
controlled-SWAP ``CSWAP(router; in, port)``: router ``|0>`` leaves the signal on the shared wire
(going left), router ``|1>`` moves it into the port (going right). Routers off the path hold
``|0>`` and ports off the path hold ``|0>``, so the signal follows exactly the addressed path.
The ``N`` leaves are the bus plus the ``N - 1`` ports; leaf ``i`` is the wire the signal reaches
for address ``i``. This halves the controlled-SWAPs and saves ``N - 1`` qubits relative to
:class:`~qcompile.qram.bucket_brigade.BucketBrigadeQRAM`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from qiskit.circuit import QuantumCircuit, Qubit

from qcompile.qram.bucket_brigade import BucketBrigadeQRAM, node_index

__all__ = ["BucketBrigade2QRAM"]


@dataclass(frozen=True)
class BucketBrigade2QRAM(BucketBrigadeQRAM):
    """Two-qubits-per-node bucket brigade (N = 16, b = 1: 36 qubits, 52 controlled-SWAPs).

    Registers:
        address: ``n`` qubits, little-endian; the MSB routes at the root.
        target: ``b`` qubits.
        bus: 1 qubit, the root's input wire and the leaf of address 0.
        router: ``N - 1`` router qubits, level order.
        port: ``N - 1`` right-port qubits, level order.

    References:
        Giovannetti, Lloyd, Maccone, "Quantum random access memory", arXiv:0708.1879.
    """

    kind: ClassVar[str] = "bb-2q"

    @classmethod
    def register_sizes(cls, n: int, b: int, mode: str = "bits", **options: Any) -> dict[str, int]:
        """Register names and sizes."""
        nodes = (1 << n) - 1
        return {"address": n, "target": b, "bus": 1, "router": nodes, "port": nodes}

    @classmethod
    def _node_costs(cls) -> tuple[int, int]:
        return 2, 1

    def _in_wire(self, regs: dict[str, Any], level: int, p: int) -> Qubit:
        # Walk up while we are a left child: left children share their parent's input wire.
        while level > 0 and not p & 1:
            level, p = level - 1, p >> 1
        if level == 0:
            return regs["bus"][0]
        return regs["port"][node_index(level - 1, p >> 1)]

    def _route_node(self, qc: QuantumCircuit, regs: dict[str, Any], level: int, p: int) -> None:
        idx = node_index(level, p)
        qc.cswap(regs["router"][idx], self._in_wire(regs, level, p), regs["port"][idx])

    def _unroute_node(self, qc: QuantumCircuit, regs: dict[str, Any], level: int, p: int) -> None:
        self._route_node(qc, regs, level, p)
