"""Bucket-brigade QRAM at the qubit level, three qubits per tree node.

Every internal node ``(level, p)`` of a binary tree of depth ``n`` owns a ``router`` qubit and
two port qubits ``left``/``right``; a node's input wire is the ``bus`` for the root and its
parent's left or right port otherwise. Address bits are loaded MSB first: each is swapped into
the bus, routed down the already-set levels with controlled-SWAPs, and deposited into the router
of the level below. A data pass swaps a target bit into the bus, routes it down to the leaf port
of the addressed word, kicks back a phase there (a ``Z`` for classical bit 1, ``P(phi)`` for an
angle), and routes it back. Leaf ports off the path hold ``|0>``, which a phase leaves alone, so
only the addressed word acts. Everything is finally unloaded so all ancillas return to ``|0>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from qiskit.circuit import QuantumCircuit, Qubit
from qiskit.circuit.library import CSwapGate

from qcompile.qram.base import (
    CX_COST,
    PhaseTable,
    QRAMConstruction,
    QRAMResources,
    apply_words_by_kickback,
    check_resource_args,
    kickback_depth,
    passes_per_bit,
)

__all__ = ["BucketBrigadeQRAM"]


def node_index(level: int, p: int) -> int:
    """Level-order index of internal node ``p`` at ``level`` (root is 0)."""
    return (1 << level) - 1 + p


@dataclass(frozen=True)
class BucketBrigadeQRAM(QRAMConstruction):
    """Bucket-brigade QRAM with a router and left/right ports per node (GLM 2008).

    Matches PennyLane's ``qml.BBQRAM`` counts: ``n + b + 1 + 3(N - 1)`` qubits and
    ``2[(N-1)b + (N-1-n)]`` controlled-SWAPs of each control polarity per classical query.

    Registers:
        address: ``n`` qubits, little-endian; the MSB routes at the root.
        target: ``b`` qubits.
        bus: 1 qubit, the root's input wire.
        router: ``N - 1`` router qubits, level order.
        left: ``N - 1`` left ports, level order.
        right: ``N - 1`` right ports, level order.

    References:
        Giovannetti, Lloyd, Maccone, "Quantum random access memory", arXiv:0708.1879.
        Hann, Lee, Girvin, Jiang, "Resilience of quantum random access memory to generic
        noise", arXiv:2012.05340.
    """

    kind: ClassVar[str] = "bucket-brigade"

    @classmethod
    def register_sizes(cls, n: int, b: int, mode: str = "bits", **options: Any) -> dict[str, int]:
        """Register names and sizes."""
        nodes = (1 << n) - 1
        return {"address": n, "target": b, "bus": 1, "router": nodes, "left": nodes, "right": nodes}

    @classmethod
    def _node_costs(cls) -> tuple[int, int]:
        """(qubits per node, controlled-SWAPs per node per routing)."""
        return 3, 2

    @classmethod
    def resources(
        cls, n: int, b: int, mode: str = "bits", ones: int | None = None, **options: Any
    ) -> QRAMResources:
        """Closed-form costs (see :mod:`qcompile.qram.base` for the conventions).

        With ``R = b`` data passes (``2b`` for ``"ry"``): controlled-SWAPs
        ``c [2 R (N-1) + 2 (N-1-n)]`` (``c`` per node routing), SWAPs ``2(N-1+n) + 2R``.
        """
        ones = check_resource_args(n, b, mode, ones)
        big_n = 1 << n
        per_node_qubits, per_node_cswap = cls._node_costs()
        passes = passes_per_bit(mode) * b
        cswap = per_node_cswap * (2 * passes * (big_n - 1) + 2 * (big_n - 1 - n))
        swap = 2 * (big_n - 1 + n) + 2 * passes
        rotations = 0 if mode == "bits" else passes * big_n
        return QRAMResources(
            qubits=n + b + 1 + per_node_qubits * (big_n - 1),
            cswap=cswap,
            toffoli=0,
            swap=swap,
            cx_count=CX_COST["cswap"] * cswap + CX_COST["swap"] * swap,
            rotations=rotations,
            depth=cls._depth(n, b, mode),
        )

    @classmethod
    def _depth(cls, n: int, b: int, mode: str) -> int:
        """Stage-sum depth: load, passes and unload without overlapping stages."""
        per_node = cls._node_costs()[1]  # sequential CSWAP layers per routed level
        load = 2 * n + per_node * n * (n - 1) // 2
        data_pass = 2 * per_node * n + 3  # swap in, down, leaf phases, up, swap out
        return 2 * load + kickback_depth(mode, b * data_pass)

    # -- wiring ---------------------------------------------------------------------------
    def _in_wire(self, regs: dict[str, Any], level: int, p: int) -> Qubit:
        if level == 0:
            return regs["bus"][0]
        parent = node_index(level - 1, p >> 1)
        return regs["right" if p & 1 else "left"][parent]

    def _route_node(self, qc: QuantumCircuit, regs: dict[str, Any], level: int, p: int) -> None:
        idx = node_index(level, p)
        src = self._in_wire(regs, level, p)
        router = regs["router"][idx]
        qc.cswap(router, src, regs["right"][idx])
        qc.append(CSwapGate(ctrl_state=0), [router, src, regs["left"][idx]])

    def _unroute_node(self, qc: QuantumCircuit, regs: dict[str, Any], level: int, p: int) -> None:
        idx = node_index(level, p)
        src = self._in_wire(regs, level, p)
        router = regs["router"][idx]
        qc.append(CSwapGate(ctrl_state=0), [router, src, regs["left"][idx]])
        qc.cswap(router, src, regs["right"][idx])

    # -- circuit --------------------------------------------------------------------------
    def _route_down(self, qc: QuantumCircuit, regs: dict[str, Any], levels: int) -> None:
        for level in range(levels):
            for p in range(1 << level):
                self._route_node(qc, regs, level, p)

    def _route_up(self, qc: QuantumCircuit, regs: dict[str, Any], levels: int) -> None:
        for level in reversed(range(levels)):
            for p in reversed(range(1 << level)):
                self._unroute_node(qc, regs, level, p)

    def _load_address(self, qc: QuantumCircuit, regs: dict[str, Any]) -> None:
        address, bus, router = regs["address"], regs["bus"][0], regs["router"]
        for k in range(self.n):
            qc.swap(address[self.n - 1 - k], bus)
            self._route_down(qc, regs, k)
            # The deposit leaves every port at |0>, so no routing back is needed.
            for p in range(1 << k):
                qc.swap(self._in_wire(regs, k, p), router[node_index(k, p)])

    def _leaf(self, regs: dict[str, Any], address: int) -> Qubit:
        return self._in_wire(regs, self.n, address)

    def build(self) -> QuantumCircuit:
        """The bucket-brigade circuit (see the class docstring for registers)."""
        qc, regs = self._empty_circuit()
        load = qc.copy_empty_like()
        self._load_address(load, regs)
        qc.compose(load, inplace=True)
        bus = regs["bus"][0]
        target = list(regs["target"])

        def phase_pass(circ: QuantumCircuit, table: PhaseTable, as_z: bool) -> None:
            for j, t in enumerate(target):
                circ.swap(t, bus)
                self._route_down(circ, regs, self.n)
                for i in range(self.words.num_words):
                    phase = table[i][j]
                    if phase is None:
                        continue
                    if as_z:
                        circ.z(self._leaf(regs, i))
                    else:
                        circ.p(phase, self._leaf(regs, i))
                self._route_up(circ, regs, self.n)
                circ.swap(t, bus)

        apply_words_by_kickback(qc, self.words, target, phase_pass)
        qc.compose(load.inverse(), inplace=True)
        return qc
