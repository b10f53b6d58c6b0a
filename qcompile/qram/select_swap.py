"""Select-swap QRAM (QROAM): a QROM over the high address bits and a swap network over the low.

The ``k`` low address bits choose a slot among ``K = 2**k``; slot 0 is the target word and
slots ``1 .. K-1`` are clean ``b``-qubit blocks. A phase pass runs the inverse swap network (the
target moves to slot ``l``, the others hold ``|0>``), then a unary iteration over the ``n - k``
high bits ``h`` kicks back the phase of word ``h K + l'`` onto slot ``l'`` for every ``l'``
(controlled-Z or controlled-P; empty slots ignore them), then the swap network again. Classical
words use ``H (phase) H``, RY words two passes (see
:func:`qcompile.qram.base.apply_words_by_kickback`). Phase kickback needs no copy register, so
one QROM and two swap networks per pass:
``2(N/K - 2)`` Toffolis and ``2 b (K - 1)`` controlled-SWAPs in unitary form (Berry et al.
count ``N/K - 2 + b(K - 1)`` with measurement-based uncomputation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from qiskit.circuit import QuantumCircuit, Qubit

from hardware_profiles.errors import ResourceError
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
from qcompile.qram.qrom import (
    measurement_register,
    unary_iteration,
    unary_iteration_counts,
    unary_iteration_depth,
    unary_iteration_measurements,
)
from qcompile.qram.query import check_sizes

__all__ = ["SelectSwapQRAM", "default_block_bits"]


def _check_block_bits(n: int, block_bits: int) -> None:
    if isinstance(block_bits, bool) or not isinstance(block_bits, int) or not 0 <= block_bits <= n:
        raise ResourceError(f"block_bits must be an int in [0, n={n}], got {block_bits!r}")


def _resources(
    n: int, b: int, mode: str, ones: int, k: int, measured: bool = False
) -> QRAMResources:
    big_k = 1 << k
    m = n - k
    passes = passes_per_bit(mode)
    toffoli, iter_cx = unary_iteration_counts(m, measured)
    mid = passes * unary_iteration_measurements(m) if measured else 0
    if m == 0:
        write_cx = 0
    elif mode == "bits":
        write_cx = ones
    else:
        write_cx = 2 * (1 << n) * b
    cswap = 2 * b * (big_k - 1)
    per_pass_cx = CX_COST["ccx"] * toffoli + iter_cx + write_cx + CX_COST["cswap"] * cswap
    return QRAMResources(
        qubits=n + b * big_k + max(m - 1, 0),
        cswap=passes * cswap,
        toffoli=passes * toffoli,
        swap=0,
        cx_count=passes * per_pass_cx,
        rotations=0 if mode == "bits" else passes * (1 << n) * b,
        depth=kickback_depth(
            mode, 2 * b * (big_k - 1) + unary_iteration_depth(m, big_k * b, measured)
        ),
        measurements=mid,
        feed_forward=mid,
    )


def default_block_bits(n: int, b: int, mode: str = "bits") -> int:
    """The ``k`` (``K = 2**k`` slots) minimising the worst-case CX count; ties go to smaller k."""
    check_sizes(n, b, mode)
    full = (1 << n) * b
    return min(range(n + 1), key=lambda k: (_resources(n, b, mode, full, k).cx_count, k))


@dataclass(frozen=True)
class SelectSwapQRAM(QRAMConstruction):
    """Select-swap QRAM with ``K = 2**block_bits`` slots.

    Registers:
        address: ``n`` qubits, little-endian; the ``block_bits`` low bits drive the swaps.
        target: ``b`` qubits (slot 0).
        block: ``(K - 1) b`` qubits, slots ``1 .. K-1``.
        unary: ``max(n - block_bits - 1, 0)`` AND ancillas.

    Attributes:
        block_bits: ``k``. Defaults to :func:`default_block_bits`.

    References:
        Low, Kliuchnikov, Schaeffer, "Trading T-gates for dirty qubits in state preparation
        and unitary synthesis", arXiv:1812.00954.
        Berry, Gidney, Motta, McClean, Babbush, "Qubitization of arbitrary basis quantum
        chemistry leveraging sparsity and low rank factorization", arXiv:1902.02134.
    """

    block_bits: int | None = None
    kind: ClassVar[str] = "select-swap"

    def __post_init__(self) -> None:
        if self.block_bits is not None:
            _check_block_bits(self.n, self.block_bits)

    @property
    def k(self) -> int:
        """The block bits actually used."""
        if self.block_bits is None:
            return default_block_bits(self.n, self.b, self.words.mode)
        return self.block_bits

    def options(self) -> dict[str, Any]:
        """``{"block_bits": k}``."""
        return {"block_bits": self.k}

    @classmethod
    def register_sizes(cls, n: int, b: int, mode: str = "bits", **options: Any) -> dict[str, int]:
        """Register names and sizes."""
        k = options.get("block_bits")
        k = default_block_bits(n, b, mode) if k is None else k
        return {
            "address": n,
            "target": b,
            "block": ((1 << k) - 1) * b,
            "unary": max(n - k - 1, 0),
        }

    @classmethod
    def resources(
        cls, n: int, b: int, mode: str = "bits", ones: int | None = None, **options: Any
    ) -> QRAMResources:
        """Closed-form costs (see :mod:`qcompile.qram.base` for the conventions)."""
        ones = check_resource_args(n, b, mode, ones)
        k = options.get("block_bits")
        k = default_block_bits(n, b, mode) if k is None else k
        _check_block_bits(n, k)
        return _resources(n, b, mode, ones, k, cls.dynamic)

    def build(self) -> QuantumCircuit:
        """The select-swap circuit (see the class docstring for registers)."""
        qc, regs = self._empty_circuit()
        n, b, k = self.n, self.b, self.k
        address = regs["address"]
        target = list(regs["target"])
        block = list(regs["block"]) if "block" in regs else []
        slots = [target] + [block[(s - 1) * b : s * b] for s in range(1, 1 << k)]
        unary = list(regs["unary"]) if "unary" in regs else []
        clbits = measurement_register(qc, len(unary)) if self.dynamic else None

        def swap_network(circ: QuantumCircuit, inverse: bool) -> None:
            # Forward: the word in slot l moves to slot 0 (bit r set: slots s + 2^r -> s).
            order = range(k) if inverse else reversed(range(k))
            for r in order:
                for s in range(1 << r):
                    for j in range(b):
                        circ.cswap(address[r], slots[s][j], slots[s + (1 << r)][j])

        def phase_pass(circ: QuantumCircuit, table: PhaseTable, as_z: bool) -> None:
            swap_network(circ, inverse=True)

            def leaf(c: QuantumCircuit, flag: Qubit | None, h: int) -> None:
                for slot in range(1 << k):
                    for j in range(b):
                        phase = table[(h << k) + slot][j]
                        if phase is None:
                            continue
                        qubit = slots[slot][j]
                        if flag is None:
                            if as_z:
                                c.z(qubit)
                            else:
                                c.p(phase, qubit)
                        elif as_z:
                            c.cz(flag, qubit)
                        else:
                            c.cp(phase, flag, qubit)

            high = [address[q] for q in reversed(range(k, n))]
            unary_iteration(circ, high, unary, leaf, clbits)
            swap_network(circ, inverse=False)

        apply_words_by_kickback(qc, self.words, target, phase_pass)
        return qc
