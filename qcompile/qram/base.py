"""The interface every QRAM construction implements, and how its costs are counted.

A construction is a frozen dataclass holding the stored :class:`~qcompile.qram.query.QRAMWords`
(plus construction options). ``build()`` returns a real ``QuantumCircuit`` whose first two
registers are ``address`` and ``target`` and whose other registers are ancillas that start and
end in ``|0>``. ``resources(n, b, ...)`` gives the same counts in closed form, valid far beyond
buildable sizes; :func:`measure_resources` counts them on a built circuit so that the two can be
checked against each other.

Counting conventions (the ``cx_count`` is what makes constructions comparable):

* ``cx_count`` is the number of CX gates after lowering every gate to CX + one-qubit gates with
  Qiskit's standard decompositions (``transpile(..., basis_gates=["cx", "u"],
  optimization_level=0)``), i.e. CX/CZ 1, SWAP 3, CRY/CP 2, Toffoli 6, CSWAP (either control
  polarity) 8. No cancellation between gates is assumed.
* ``cswap`` counts controlled-SWAPs of both control polarities, ``toffoli`` counts CCX gates of
  the unitary circuit (computation *and* uncomputation: papers that uncompute temporary ANDs by
  measurement count half of them), ``t_count = 7 * (toffoli + cswap)``.
* ``rotations`` counts arbitrary-angle gates (``ry``, ``rz``, ``p``, ``cry``, ``cp``).
* ``measurements`` and ``feed_forward`` count the mid-circuit measurements and the classically
  controlled blocks (``if_else``) of the dynamic-circuit variants (measurement-based
  uncomputation, :mod:`qcompile.qram.measured`); gates inside a block are counted as if the
  block runs (the worst case), so ``cx_count`` includes the phase fix-ups.
* ``depth`` is a *stage-sum depth*: the construction's stages (address load, routing levels,
  swap networks, unary-iteration steps, data writes ...) each at their own critical path,
  summed without overlapping consecutive stages, every instruction (one-qubit gates included)
  one layer, writes assumed present for every word. It is a closed-form upper bound on
  ``QuantumCircuit.depth()`` of the built circuit (tests check the bound); pipelining makes
  the real depth of the bucket brigades smaller (linear rather than quadratic in ``n``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from math import pi
from typing import Any, ClassVar, Literal

from qiskit.circuit import QuantumCircuit, QuantumRegister, Qubit

from hardware_profiles.errors import CompileError, ResourceError
from qcompile.qram.query import Angle, QRAMQuery, QRAMWords, check_sizes

__all__ = [
    "CX_COST",
    "ORACLE_GATE_NAME",
    "ROTATION_GATES",
    "PhaseTable",
    "QRAMConstruction",
    "QRAMResources",
    "lowered_cx_count",
    "measure_resources",
]

CX_COST: dict[str, int] = {
    "cx": 1,
    "cz": 1,
    "swap": 3,
    "cry": 2,
    "crz": 2,
    "cp": 2,
    "ccx": 6,
    "rccx": 3,
    "cswap": 8,
    "cswap_o0": 8,
}
"""CX count of each multi-qubit gate under Qiskit's standard decomposition (pinned by tests)."""

ROTATION_GATES = frozenset({"ry", "rz", "p", "cry", "crz", "cp"})
"""Gate names counted as arbitrary-angle rotations."""

ORACLE_GATE_NAME = "qram_oracle"

PhaseTable = Sequence[Sequence[Angle | None]]
"""Per address, per target bit: the phase to kick back (``None``: no gate)."""


@dataclass(frozen=True)
class QRAMResources:
    """Costs of one QRAM query (see the module docstring for the conventions).

    Attributes:
        qubits: All qubits, address and target included.
        cswap: Controlled-SWAPs (both control polarities).
        toffoli: CCX gates.
        swap: SWAP gates.
        cx_count: CX gates after lowering to CX + one-qubit gates.
        rotations: Arbitrary-angle rotation gates.
        depth: Stage-sum depth, an upper bound on the built circuit's depth.
        queries: Opaque oracle calls (the cost model the papers assume).
        measurements: Mid-circuit measurements (dynamic-circuit variants).
        feed_forward: Classically controlled blocks (dynamic-circuit variants).
        t_count: ``7 * (toffoli + cswap)`` (derived).
    """

    qubits: int
    cswap: int
    toffoli: int
    swap: int
    cx_count: int
    rotations: int
    depth: int
    queries: int = 0
    measurements: int = 0
    feed_forward: int = 0
    t_count: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "t_count", 7 * (self.toffoli + self.cswap))
        for name in (
            "qubits",
            "cswap",
            "toffoli",
            "swap",
            "cx_count",
            "rotations",
            "depth",
            "measurements",
            "feed_forward",
        ):
            if getattr(self, name) < 0:
                raise ResourceError(f"negative {name} in {self}")


CONTROL_FLOW = frozenset({"if_else", "switch_case", "while_loop", "for_loop", "box"})
"""Control-flow operations: their blocks are counted as if they run once."""


def count_all_ops(circuit: QuantumCircuit) -> dict[str, int]:
    """``count_ops`` including the operations inside control-flow blocks (each block once).

    Args:
        circuit: Any circuit.

    Returns:
        Operation name -> count; control-flow operations count themselves too.
    """
    counts: dict[str, int] = {}
    for inst in circuit.data:
        op = inst.operation
        counts[op.name] = counts.get(op.name, 0) + 1
        if op.name in CONTROL_FLOW:
            for block in op.blocks:
                for name, c in count_all_ops(block).items():
                    counts[name] = counts.get(name, 0) + c
    return counts


def _sample_op(circuit: QuantumCircuit, name: str) -> Any:
    for inst in circuit.data:
        if inst.operation.name == name:
            return inst.operation
        if inst.operation.name in CONTROL_FLOW:
            for block in inst.operation.blocks:
                found = _sample_op(block, name)
                if found is not None:
                    return found
    return None


def lowered_cx_count(circuit: QuantumCircuit) -> int:
    """CX count of ``circuit`` after lowering each gate with :data:`CX_COST`.

    Args:
        circuit: A circuit of one-qubit gates and the gates named in :data:`CX_COST`
            (an opaque oracle counts 0).

    Returns:
        The CX count.

    Raises:
        CompileError: If a multi-qubit gate has no known CX cost.
    """
    total = 0
    for name, count in count_all_ops(circuit).items():
        if name in CX_COST:
            total += CX_COST[name] * count
            continue
        if name in {ORACLE_GATE_NAME, "barrier", "measure", "reset", "delay"} | CONTROL_FLOW:
            continue
        sample = _sample_op(circuit, name)
        if sample.num_qubits > 1:
            raise CompileError(f"no CX cost known for gate {name!r}")
    return total


def measure_resources(circuit: QuantumCircuit) -> QRAMResources:
    """Count :class:`QRAMResources` on a built circuit (the check on the closed forms).

    Args:
        circuit: A built construction.

    Returns:
        The measured resources.
    """
    ops = count_all_ops(circuit)
    return QRAMResources(
        qubits=circuit.num_qubits,
        cswap=ops.get("cswap", 0) + ops.get("cswap_o0", 0),
        # Relative-phase Toffolis (RCCX, whose phases cancel against their inverses) count
        # as Toffolis here; t_count = 7 per Toffoli over-counts them (4 T suffice).
        toffoli=ops.get("ccx", 0) + ops.get("rccx", 0),
        swap=ops.get("swap", 0),
        cx_count=lowered_cx_count(circuit),
        rotations=sum(c for name, c in ops.items() if name in ROTATION_GATES),
        depth=circuit.depth(),
        queries=ops.get(ORACLE_GATE_NAME, 0),
        measurements=ops.get("measure", 0),
        feed_forward=sum(c for name, c in ops.items() if name in CONTROL_FLOW),
    )


def passes_per_bit(mode: str) -> int:
    """Phase-kickback passes per target bit: 2 for ``"ry"`` (RZ = P(θ/2)·XP(-θ/2)X), else 1."""
    return 2 if mode == "ry" else 1


@dataclass(frozen=True)
class QRAMConstruction(ABC):
    """A QRAM construction: stored words in, a circuit implementing the query out.

    Subclasses set ``kind`` and implement :meth:`register_sizes`, :meth:`build` and
    :meth:`resources`.

    Attributes:
        words: The stored words.
    """

    words: QRAMWords
    kind: ClassVar[str] = ""
    dynamic: ClassVar[bool] = False
    """True for dynamic-circuit variants (mid-circuit measurement and feed-forward)."""

    @classmethod
    @abstractmethod
    def register_sizes(cls, n: int, b: int, mode: str = "bits", **options: Any) -> dict[str, int]:
        """Names and sizes of the registers, in order, ``address`` and ``target`` first."""

    @classmethod
    @abstractmethod
    def resources(
        cls, n: int, b: int, mode: str = "bits", ones: int | None = None, **options: Any
    ) -> QRAMResources:
        """Closed-form costs of one query.

        Args:
            n: Address bits (``N = 2**n`` words).
            b: Word size.
            mode: ``"bits"``, ``"ry"`` or ``"phase"``.
            ones: Number of 1 bits over all classical words. Defaults to ``N * b`` (worst case).
            **options: Construction options (e.g. ``block_bits``).

        Returns:
            The resources.
        """

    @abstractmethod
    def build(self) -> QuantumCircuit:
        """The circuit: registers from :meth:`register_sizes`, ancillas back to ``|0>``."""

    def options(self) -> dict[str, Any]:
        """Construction options as keyword arguments of :meth:`resources`."""
        return {}

    @property
    def n(self) -> int:
        """Address bits."""
        return self.words.n

    @property
    def b(self) -> int:
        """Word size."""
        return self.words.b

    def registers(self) -> tuple[QuantumRegister, ...]:
        """Fresh named registers for this spec."""
        sizes = self.register_sizes(self.n, self.b, self.words.mode, **self.options())
        return tuple(QuantumRegister(size, name) for name, size in sizes.items() if size > 0)

    def count(self) -> QRAMResources:
        """Closed-form resources of this instance (its actual number of 1 bits)."""
        return self.resources(
            self.n, self.b, self.words.mode, ones=self.words.ones, **self.options()
        )

    @classmethod
    def from_query(cls, query: QRAMQuery, **options: Any) -> QRAMConstruction:
        """The construction for a logical :class:`QRAMQuery` gate."""
        return cls(query.words, **options)

    def _empty_circuit(self) -> tuple[QuantumCircuit, dict[str, QuantumRegister]]:
        regs = self.registers()
        return QuantumCircuit(*regs, name=f"qram_{self.kind}"), {r.name: r for r in regs}


def check_resource_args(n: int, b: int, mode: str, ones: int | None) -> int:
    """Validate ``resources`` arguments; return ``ones`` with its default applied."""
    check_sizes(n, b, mode)
    full = (1 << n) * b
    if mode != "bits" or ones is None:
        return full
    if not 0 <= ones <= full:
        raise ResourceError(f"ones must be in [0, {full}], got {ones}")
    return ones


def phase_table(words: QRAMWords, scale: float = 1.0) -> list[list[Angle | None]]:
    """The per-address, per-bit phase of the kickback pass for ``words``.

    Classical bit 1 becomes ``pi`` (a Z), bit 0 becomes ``None``; angles are scaled.
    """
    table: list[list[Angle | None]] = []
    for i in range(words.num_words):
        if words.mode == "bits":
            table.append([pi if words.bit(i, j) else None for j in range(words.b)])
        else:
            table.append([words.angle(i, j) * scale for j in range(words.b)])
    return table


PhasePass = Callable[[QuantumCircuit, PhaseTable, bool], None]


def kickback_depth(mode: str, pass_depth: int) -> int:
    """Stage-sum depth of :func:`apply_words_by_kickback` given one phase pass's depth."""
    if mode == "bits":
        return 2 + pass_depth
    if mode == "phase":
        return pass_depth
    return 6 + 2 * pass_depth


def apply_words_by_kickback(
    qc: QuantumCircuit, words: QRAMWords, target: Sequence[Qubit], phase_pass: PhasePass
) -> None:
    """Implement the query semantics with a phase oracle ``|i>|t> -> exp(i phi_i . t)|i>|t>``.

    ``phase_pass(qc, table, as_z)`` must apply ``P(table[i][j])`` (a ``Z`` when ``as_z``) to
    target bit ``j`` for address ``i``, restoring its ancillas. Then: ``bits`` is
    ``H (phase pi d_i) H``; ``phase`` is one pass; ``ry`` is ``V RZ(θ) V†`` with ``V = S H``
    and ``RZ(θ) = P(θ/2) · X P(-θ/2) X``, i.e. two passes.
    """
    mode: Literal["bits", "ry", "phase"] = words.mode
    if mode == "bits":
        qc.h(target)
        phase_pass(qc, phase_table(words), True)
        qc.h(target)
    elif mode == "phase":
        phase_pass(qc, phase_table(words), False)
    else:
        qc.sdg(target)
        qc.h(target)
        phase_pass(qc, phase_table(words, 0.5), False)
        qc.x(target)
        phase_pass(qc, phase_table(words, -0.5), False)
        qc.x(target)
        qc.h(target)
        qc.s(target)
