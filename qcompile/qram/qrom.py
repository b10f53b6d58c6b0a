"""QROM by unary iteration (Babbush et al. 2018).

A binary tree of temporary ANDs over the address bits (MSB at the root) lights one flag qubit
per leaf in turn; leaf ``i`` writes word ``i`` with gates controlled by that flag (CX per set
bit, CRY or CP per angle). Siblings share one ancilla: after the left subtree the flag
``c AND NOT a`` is turned into ``c AND a`` with a single CX. The root uses the address MSB
itself (uncontrolled iteration), so ``n - 1`` ancillas and ``2(N - 2)`` Toffolis in unitary form
(``N - 2`` ANDs computed plus ``N - 2`` uncomputed; Babbush et al. count ``N - 2`` because they
uncompute by measurement).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from qiskit.circuit import ClassicalRegister, Clbit, QuantumCircuit, Qubit

from qcompile.qram.base import (
    CX_COST,
    QRAMConstruction,
    QRAMResources,
    check_resource_args,
)

__all__ = ["QROM", "unary_iteration"]

Leaf = Callable[[QuantumCircuit, Qubit | None, int], None]


def unary_iteration(
    qc: QuantumCircuit,
    bits_msb_first: Sequence[Qubit],
    ancillas: Sequence[Qubit],
    leaf: Leaf,
    clbits: Sequence[Clbit] | None = None,
) -> None:
    """Call ``leaf(qc, flag, i)`` for each ``i``; ``flag`` is ``|1>`` iff the address is ``i``.

    With ``clbits``, every temporary AND is uncomputed by measurement instead of a second
    Toffoli (Gidney, arXiv:1709.06648, Fig. 3): the ancilla, which holds ``flag AND a``, is
    measured in the X basis; outcome 1 leaves the phase ``(-1)^(flag AND a)``, which a
    classically controlled ``CZ(flag, a)`` removes, together with an ``X`` that resets the
    ancilla to ``|0>``. Half the Toffolis, plus one measurement and one feed-forward block each.

    Args:
        qc: Circuit to append to (it must hold ``clbits`` when they are given).
        bits_msb_first: The ``m`` address qubits, most significant first.
        ancillas: ``max(m - 1, 0)`` clean ancillas, returned clean.
        leaf: Appends the gates of leaf ``i``; ``flag`` is ``None`` when ``m == 0``.
        clbits: One classical bit per ancilla for measurement-based uncomputation, or None
            for the unitary (mirrored Toffoli) uncompute.

    References:
        Babbush et al., "Encoding electronic spectra in quantum circuits with linear T
        complexity", arXiv:1805.03662, Sec. III.A.
    """
    m = len(bits_msb_first)
    if m == 0:
        leaf(qc, None, 0)
        return

    def visit(level: int, flag: Qubit, prefix: int) -> None:
        if level == m:
            leaf(qc, flag, prefix)
            return
        a, anc = bits_msb_first[level], ancillas[level - 1]
        qc.x(a)
        qc.ccx(flag, a, anc)
        qc.x(a)
        visit(level + 1, anc, 2 * prefix)
        qc.cx(flag, anc)
        visit(level + 1, anc, 2 * prefix + 1)
        if clbits is None:
            qc.ccx(flag, a, anc)
            return
        bit = clbits[level - 1]
        qc.h(anc)
        qc.measure(anc, bit)
        with qc.if_test((bit, 1)):
            qc.cz(flag, a)
            qc.x(anc)

    root = bits_msb_first[0]
    qc.x(root)
    visit(1, root, 0)
    qc.x(root)
    visit(1, root, 1)


def unary_iteration_counts(m: int, measured: bool = False) -> tuple[int, int]:
    """(Toffolis, CX) of :func:`unary_iteration` over ``m`` address bits, leaves excluded.

    With ``measured`` (measurement-based uncompute) the CX count includes the classically
    controlled ``CZ`` fix-ups, counted as if they all run; measurements and feed-forward
    blocks are :func:`unary_iteration_measurements`.
    """
    if m <= 1:
        return 0, 0
    nodes = (1 << m) - 2
    if measured:
        return nodes, 2 * nodes
    return 2 * nodes, nodes


def unary_iteration_measurements(m: int) -> int:
    """Mid-circuit measurements (= feed-forward blocks) of a measured unary iteration."""
    return (1 << m) - 2 if m > 1 else 0


def unary_iteration_depth(m: int, writes_per_leaf: int, measured: bool = False) -> int:
    """Stage-sum depth of :func:`unary_iteration`: every gate on the flag chain in sequence.

    Five gates per internal node below the root (seven with a measured uncompute: ``H``,
    measurement and the feed-forward block replace the second Toffoli), two root X gates, and
    ``writes_per_leaf`` flag-controlled gates per leaf; ``m == 0`` is one layer of
    unconditional writes.
    """
    if m == 0:
        return 1
    big_m = 1 << m
    return (7 if measured else 5) * (big_m - 2) + 2 + big_m * writes_per_leaf


def measurement_register(qc: QuantumCircuit, size: int) -> list[Clbit] | None:
    """Add the ``mbu`` classical register of a measured uncompute to ``qc`` (None if empty)."""
    if size <= 0:
        return None
    reg = ClassicalRegister(size, "mbu")
    qc.add_register(reg)
    return list(reg)


@dataclass(frozen=True)
class QROM(QRAMConstruction):
    """QROM: unary iteration over all ``N`` addresses, one controlled write per word.

    ``b + 2n - 1`` qubits; ``2(N - 2)`` Toffolis; CX ``13(N - 2)`` plus the writes.

    Registers:
        address: ``n`` qubits, little-endian.
        target: ``b`` qubits.
        unary: ``n - 1`` AND ancillas.

    References:
        Babbush et al., "Encoding electronic spectra in quantum circuits with linear T
        complexity", arXiv:1805.03662.
    """

    kind: ClassVar[str] = "qrom"

    @classmethod
    def register_sizes(cls, n: int, b: int, mode: str = "bits", **options: Any) -> dict[str, int]:
        """Register names and sizes."""
        return {"address": n, "target": b, "unary": n - 1}

    @classmethod
    def resources(
        cls, n: int, b: int, mode: str = "bits", ones: int | None = None, **options: Any
    ) -> QRAMResources:
        """Closed-form costs (see :mod:`qcompile.qram.base` for the conventions)."""
        ones = check_resource_args(n, b, mode, ones)
        big_n = 1 << n
        toffoli, cx = unary_iteration_counts(n, cls.dynamic)
        writes_cx = ones if mode == "bits" else 2 * big_n * b
        measured = unary_iteration_measurements(n) if cls.dynamic else 0
        return QRAMResources(
            qubits=b + 2 * n - 1,
            cswap=0,
            toffoli=toffoli,
            swap=0,
            cx_count=CX_COST["ccx"] * toffoli + cx + writes_cx,
            rotations=0 if mode == "bits" else big_n * b,
            depth=unary_iteration_depth(n, b, cls.dynamic),
            measurements=measured,
            feed_forward=measured,
        )

    def build(self) -> QuantumCircuit:
        """The QROM circuit (see the class docstring for registers)."""
        qc, regs = self._empty_circuit()
        address = regs["address"]
        target = list(regs["target"])
        words = self.words

        def leaf(circ: QuantumCircuit, flag: Qubit | None, i: int) -> None:
            assert flag is not None
            for j, t in enumerate(target):
                if words.mode == "bits":
                    if words.bit(i, j):
                        circ.cx(flag, t)
                elif words.mode == "ry":
                    circ.cry(words.angle(i, j), flag, t)
                else:
                    circ.cp(words.angle(i, j), flag, t)

        ancillas = list(regs["unary"]) if "unary" in regs else []
        clbits = measurement_register(qc, len(ancillas)) if self.dynamic else None
        unary_iteration(qc, [address[k] for k in reversed(range(self.n))], ancillas, leaf, clbits)
        return qc
