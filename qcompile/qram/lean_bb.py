"""A lean bucket brigade: known-``|0>`` routing, relabelled buses and a folded leaf level.

The two-qubits-per-node bucket brigade
(:class:`~qcompile.qram.bucket_brigade_2q.BucketBrigade2QRAM`) routes a signal through node
``v`` with ``CSWAP(router; in, port)`` (8 CX). Three exact identities make it much cheaper:

* **Known-zero routing.** Whenever a node routes *down*, its port holds ``|0>`` (ports off the
  signal's path are empty, and the deposit of an address bit empties them again), and
  ``CSWAP(r; a, 0) = CX(p -> a) . CCX(r, a -> p)``. The Toffoli is replaced by the
  relative-phase Toffoli ``RCCX`` (3 CX, Margolus): every such gate is undone by its inverse
  later, and the operator between a gate and its inverse is block-diagonal in the ancilla
  computational basis (a diagonal phase, conjugated by permutations, with ``H`` only on the
  target), so the relative phases cancel exactly. A node route costs 4 CX instead of 8.
* **Relabelled buses.** No bus qubit: the root router *is* the most significant address qubit,
  address bit ``k`` is routed from its own qubit, and each target qubit is its own signal. A
  deposit into an empty router is a 2-CX move instead of a 3-CX SWAP.
* **Folded leaf level.** The data pass stops one level early: at a last-level node with router
  ``r`` and signal ``s`` (left leaf = ``s``'s wire, right leaf = the port), the leaf phases
  ``phi_l, phi_r`` equal ``P(phi_l)`` on ``s`` times ``CP(phi_r - phi_l)`` on ``(r, s)``, at
  most one two-qubit gate instead of two routes.

**Fanout levels** (option ``fanout_levels``, default 0): a router only matters on the
signal's path (off-path wires hold ``|0>``, so a control there acts on nothing), so all routers
of a level may be *one* qubit, the address qubit itself. The bottom ``fanout_levels`` levels do
that and are not loaded at all. This is no longer a pure bucket brigade (an address qubit then
controls ``2**level`` nodes, the fanout architecture whose noise sensitivity the brigade
avoids), which is why it is opt-in.

For ``N = 16``, ``b = 1`` (worst-case words) this is 208 CX before routing with every router
loaded (``fanout_levels=0``), 120 with one fanout level and 64 with all, against 536 for the
2q-node brigade and 952 for the 3-qubit-node one. The interaction graph still contains a
triangle per node (router, port, input wire), so it cannot be embedded in heavy-hex without
SWAPs; compile it with ``CompileOptions(layouts="tree", known_zero_inputs=n + b)``
(:func:`qcompile.pipeline.compile_circuit`): the tree layouts of :mod:`qcompile.qram.tree_layout`
and the ``qram_tree`` layout stage place it, Qiskit's Sabre routes it, and routing SWAPs next to a
known ``|0>`` become 2-CX moves (:mod:`qcompile.qram.known_zero`).

Registered as kind ``bb-lean``. Its costs depend on the words only through the folded leaf
level's ``CZ`` gates in ``"bits"`` mode: :meth:`LeanBucketBrigadeQRAM.count` (words known) is
exact, ``resources(n, b)`` alone is the worst case (see :meth:`LeanBucketBrigadeQRAM.resources`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from qiskit.circuit import QuantumCircuit, Qubit

from hardware_profiles.errors import ResourceError
from qcompile.qram.base import (
    PhaseTable,
    QRAMConstruction,
    QRAMResources,
    apply_words_by_kickback,
    check_resource_args,
    kickback_depth,
    passes_per_bit,
)
from qcompile.qram.bucket_brigade import node_index
from qcompile.qram.query import QRAMWords

__all__ = ["LEAN_CX_COST", "LeanBucketBrigadeQRAM", "split_pairs"]

LEAN_CX_COST: dict[str, int] = {"rccx": 3, "cx": 1, "cz": 1, "cp": 2}
"""CX count of each multi-qubit gate the lean brigade uses (Qiskit's standard definitions)."""


@dataclass(frozen=True)
class LeanBucketBrigadeQRAM(QRAMConstruction):
    """Bucket brigade with known-zero RCCX routing, no bus and a folded leaf level.

    With ``fanout_levels=0``: ``n + b + (N - 2) + (N/2 - 1)`` qubits and, per query (``R = b``
    data passes, ``2b`` for ``"ry"``), ``2 (N - n - 1) + 2 R (N/2 - 1)`` RCCX gates.

    Attributes:
        words: The stored words.
        fanout_levels: How many bottom levels use the address qubit itself as every router of
            the level instead of loading it (``0 <= fanout_levels <= n``). Defaults to 0 (a
            true bucket brigade).

    Registers:
        address: ``n`` qubits, little-endian; ``address[n-1]`` (MSB) is the root router.
        target: ``b`` qubits, each the signal of its own data pass.
        router: Routers of the loaded non-root levels, level order from node 1 (``N - 2``
            with ``fanout_levels=0``).
        port: ``N/2 - 1`` right ports of the nodes above the last level, level order.

    References:
        Giovannetti, Lloyd, Maccone, "Quantum random access memory", arXiv:0708.1879.
        Margolus gate / relative-phase Toffoli: Maslov, "Advantages of using relative-phase
        Toffoli gates with an application to multiple control Toffoli optimization",
        arXiv:1508.03273.
    """

    fanout_levels: int = 0
    kind: ClassVar[str] = "bb-lean"

    def __post_init__(self) -> None:
        check_fanout_levels(self.n, self.fanout_levels)

    def options(self) -> dict[str, Any]:
        """Construction options as keyword arguments of :meth:`resources`."""
        return {"fanout_levels": self.fanout_levels}

    @classmethod
    def register_sizes(cls, n: int, b: int, mode: str = "bits", **options: Any) -> dict[str, int]:
        """Register names and sizes."""
        fanout = check_fanout_levels(n, options.get("fanout_levels", 0))
        # Last-level nodes never route (the leaf level is folded), so they need no port.
        return {
            "address": n,
            "target": b,
            "router": _dedicated_routers(n, fanout),
            "port": (1 << n - 1) - 1,
        }

    @classmethod
    def resources(
        cls, n: int, b: int, mode: str = "bits", ones: int | None = None, **options: Any
    ) -> QRAMResources:
        """Closed-form costs; exact given the words' leaf pairs, worst case otherwise.

        The only data-dependent gates are the folded leaf level's ``CZ`` in ``"bits"`` mode: a
        last-level node needs one for target bit ``j`` only where its two words differ in bit
        ``j``. Their number is the option ``split_pairs`` (:func:`split_pairs` of the words;
        :meth:`count` passes it, so ``count()`` equals the built circuit exactly). Without it
        the figure is a worst case: ``min(ones, N b - ones, N b / 2)`` when ``ones`` is given
        (a differing pair holds one 1 and one 0), else ``N b / 2`` (every pair differs). Angle
        modes do not depend on the data.

        ``toffoli`` counts RCCX gates (4 T each, so ``t_count`` is an upper bound) and
        ``cx_count`` uses :data:`LEAN_CX_COST`.

        Args:
            n: Address bits.
            b: Word size.
            mode: ``"bits"``, ``"ry"`` or ``"phase"``.
            ones: 1 bits over all classical words (tightens the worst case).
            **options: ``fanout_levels`` (default 0) and ``split_pairs`` (``"bits"`` only).

        Returns:
            The resources.

        Raises:
            ResourceError: If a size or option is out of range.
        """
        full_ones = check_resource_args(n, b, mode, ones)
        fanout = check_fanout_levels(n, options.get("fanout_levels", 0))
        big_n = 1 << n
        passes = passes_per_bit(mode) * b
        loaded = max(n - fanout - 1, 0)  # levels 1..loaded have routers of their own
        deposits = _dedicated_routers(n, fanout)
        load_routes = deposits - loaded
        pass_routes = big_n // 2 - 1
        leaves = big_n // 2
        rccx = 2 * load_routes + 2 * passes * pass_routes
        cx = rccx + 2 * 2 * deposits
        if mode == "bits":
            worst = leaves * b
            if ones is not None:
                worst = min(worst, full_ones, big_n * b - full_ones)
            split = options.get("split_pairs")
            if split is None:
                split = worst
            elif isinstance(split, bool) or not isinstance(split, int) or not 0 <= split <= worst:
                raise ResourceError(f"split_pairs must be an int in [0, {worst}], got {split!r}")
            two_qubit_phase_cx = LEAN_CX_COST["cz"] * split
            rotations = 0
        else:
            two_qubit_phase_cx = LEAN_CX_COST["cp"] * passes * leaves
            rotations = 2 * passes * leaves  # P on the signal + CP per last-level node
        load = 2 * load_routes + 2 * deposits
        data_pass = 4 * pass_routes + 2 * leaves
        return QRAMResources(
            qubits=n + b + deposits + big_n // 2 - 1,
            cswap=0,
            toffoli=rccx,
            swap=0,
            cx_count=LEAN_CX_COST["rccx"] * rccx + cx + two_qubit_phase_cx,
            rotations=rotations,
            depth=2 * load + kickback_depth(mode, b * data_pass),
        )

    def count(self) -> QRAMResources:
        """Exact resources of this instance (its words' :func:`split_pairs` included)."""
        extra = {"split_pairs": split_pairs(self.words)} if self.words.mode == "bits" else {}
        return self.resources(
            self.n, self.b, self.words.mode, ones=self.words.ones, **self.options(), **extra
        )

    # -- wiring ---------------------------------------------------------------------------
    def _router(self, regs: dict[str, Any], level: int, p: int) -> Qubit:
        if level == 0 or level >= self.n - self.fanout_levels:
            return regs["address"][self.n - 1 - level]
        return regs["router"][node_index(level, p) - 1]

    def _in_wire(self, regs: dict[str, Any], bus: Qubit, level: int, p: int) -> Qubit:
        # Left children share their parent's input wire, as in the 2q-node brigade.
        while level > 0 and not p & 1:
            level, p = level - 1, p >> 1
        if level == 0:
            return bus
        return regs["port"][node_index(level - 1, p >> 1)]

    def _route_down(
        self, qc: QuantumCircuit, regs: dict[str, Any], bus: Qubit, levels: int
    ) -> None:
        for level in range(levels):
            for p in range(1 << level):
                wire = self._in_wire(regs, bus, level, p)
                port = regs["port"][node_index(level, p)]
                # CSWAP(router; wire, port) with the port known to hold |0>.
                qc.rccx(self._router(regs, level, p), wire, port)
                qc.cx(port, wire)

    def _load_address(self, qc: QuantumCircuit, regs: dict[str, Any]) -> None:
        address = regs["address"]
        for k in range(1, self.n - self.fanout_levels):
            bus = address[self.n - 1 - k]
            self._route_down(qc, regs, bus, k)
            for p in range(1 << k):
                # Move into an empty router: the wire is left at |0> for the next signal.
                wire, router = self._in_wire(regs, bus, k, p), self._router(regs, k, p)
                qc.cx(wire, router)
                qc.cx(router, wire)

    def build(self) -> QuantumCircuit:
        """The lean bucket-brigade circuit (see the class docstring for registers)."""
        qc, regs = self._empty_circuit()
        load = qc.copy_empty_like()
        self._load_address(load, regs)
        qc.compose(load, inplace=True)
        last = self.n - 1
        target = list(regs["target"])

        def phase_pass(circ: QuantumCircuit, table: PhaseTable, as_z: bool) -> None:
            for j, t in enumerate(target):
                down = circ.copy_empty_like()
                self._route_down(down, regs, t, last)
                circ.compose(down, inplace=True)
                for p in range(1 << last):
                    signal = self._in_wire(regs, t, last, p)
                    router = self._router(regs, last, p)
                    left, right = table[2 * p][j], table[2 * p + 1][j]
                    if as_z:
                        if left is not None:
                            circ.z(signal)
                        if (left is None) != (right is None):
                            circ.cz(router, signal)
                    elif left is None and right is not None:
                        circ.cp(right, router, signal)
                    elif left is not None:
                        circ.p(left, signal)
                        circ.cp((0.0 if right is None else right) - left, router, signal)
                circ.compose(down.inverse(), inplace=True)

        apply_words_by_kickback(qc, self.words, target, phase_pass)
        qc.compose(load.inverse(), inplace=True)
        return qc


def split_pairs(words: QRAMWords) -> int:
    """Pairs (last-level node, target bit) whose two words differ in that bit (``"bits"``).

    Each costs the lean brigade one ``CZ`` per query (see
    :meth:`LeanBucketBrigadeQRAM.resources`).
    """
    if words.mode != "bits":
        raise ResourceError("split_pairs is defined for classical bit words only")
    return sum(
        words.bit(2 * p, j) != words.bit(2 * p + 1, j)
        for p in range(words.num_words // 2)
        for j in range(words.b)
    )


def check_fanout_levels(n: int, fanout_levels: int) -> int:
    """Validate ``fanout_levels`` (``0 <= fanout_levels <= n``) and return it."""
    if not 0 <= fanout_levels <= n:
        raise ResourceError(f"fanout_levels must be in [0, {n}], got {fanout_levels}")
    return fanout_levels


def _dedicated_routers(n: int, fanout_levels: int) -> int:
    """Routers of levels ``1 .. n - fanout_levels - 1`` (the only ones that are loaded)."""
    loaded = max(n - fanout_levels - 1, 0)
    return (1 << loaded + 1) - 2
