"""Multiplexed rotations: the ancilla-free lookup every QRAM is compared with.

A uniformly controlled rotation ``sum_i |i><i| x R(alpha_i)`` with ``n`` controls is ``N``
rotations interleaved with ``N`` CX gates in Gray-code order (Möttönen et al.): with
``g(s) = s ^ (s >> 1)`` and ``beta_s = 2^-n sum_x (-1)^{popcount(x & g(s))} alpha_x`` (a
Walsh-Hadamard transform), apply ``R(beta_s)`` then ``CX(address[ctz(s+1)], target)`` for
``s = 0 .. N-1`` (the last CX uses the top address bit). The angles are linear in the words,
so Parameter words give one bindable circuit.

* ``ry``: one RY multiplexer per target bit, ``b N`` CX.
* ``phase``: ``P(phi_i) = exp(i phi_i/2) RZ(phi_i)``; an RZ multiplexer per target bit plus one
  diagonal ``exp(i sum_j phi_ij / 2)`` on the address (recursive RZ multiplexers,
  ``N - 2`` CX): ``b N + N - 2`` CX.
* ``bits``: ``H`` (phase with ``phi = pi d``) ``H``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import pi
from typing import Any, ClassVar, cast

from qiskit.circuit import QuantumCircuit, Qubit

from qcompile.qram.base import QRAMConstruction, QRAMResources, check_resource_args
from qcompile.qram.query import Angle

__all__ = ["MultiplexerQRAM", "append_multiplexed_rotation"]


def _walsh(values: Sequence[Angle]) -> list[Angle]:
    """Unnormalised fast Walsh-Hadamard transform (floats or ParameterExpressions)."""
    out: list[Any] = list(values)
    h = 1
    while h < len(out):
        for start in range(0, len(out), 2 * h):
            for i in range(start, start + h):
                x, y = out[i], out[i + h]
                out[i], out[i + h] = x + y, x - y
        h *= 2
    return out


def append_multiplexed_rotation(
    qc: QuantumCircuit,
    axis: str,
    angles: Sequence[Angle],
    controls: Sequence[Qubit],
    target: Qubit,
) -> None:
    """Append ``sum_x |x><x| x R_axis(angles[x])`` (``controls`` little-endian) with CX + R.

    Args:
        qc: Circuit to append to.
        axis: ``"y"`` or ``"z"``.
        angles: ``2 ** len(controls)`` angles.
        controls: Control qubits, ``controls[c]`` is bit ``c`` of ``x``.
        target: Rotated qubit.

    References:
        Möttönen, Vartiainen, Bergholm, Salomaa, "Quantum circuits for general multiqubit
        gates", arXiv:quant-ph/0404089.
    """
    k = len(controls)
    rot = qc.ry if axis == "y" else qc.rz
    if k == 0:
        rot(angles[0], target)
        return
    size = 1 << k
    walsh = _walsh(angles)
    for s in range(size):
        gray = s ^ (s >> 1)
        rot(cast(Any, walsh[gray]) / size, target)
        nxt = s + 1
        bit = k - 1 if nxt == size else (nxt & -nxt).bit_length() - 1
        qc.cx(controls[bit], target)


def append_diagonal(qc: QuantumCircuit, phases: Sequence[Angle], qubits: Sequence[Qubit]) -> None:
    """Append ``sum_x exp(i phases[x]) |x><x|`` (``qubits`` little-endian), ``2^m - 2`` CX."""
    f: list[Any] = list(phases)
    for m in range(len(qubits), 1, -1):
        half = 1 << (m - 1)
        f0, f1 = f[:half], f[half:]
        append_multiplexed_rotation(
            qc, "z", [b - a for a, b in zip(f0, f1, strict=True)], qubits[: m - 1], qubits[m - 1]
        )
        f = [(a + b) / 2 for a, b in zip(f0, f1, strict=True)]
    qc.rz(f[1] - f[0], qubits[0])
    qc.global_phase += (f[0] + f[1]) / 2


@dataclass(frozen=True)
class MultiplexerQRAM(QRAMConstruction):
    """Ancilla-free lookup by Gray-code multiplexed rotations.

    Registers:
        address: ``n`` qubits, little-endian.
        target: ``b`` qubits.

    References:
        Möttönen, Vartiainen, Bergholm, Salomaa, "Quantum circuits for general multiqubit
        gates", arXiv:quant-ph/0404089.
        Shende, Bullock, Markov, "Synthesis of quantum logic circuits", arXiv:quant-ph/0406176.
    """

    kind: ClassVar[str] = "multiplexer"

    @classmethod
    def register_sizes(cls, n: int, b: int, mode: str = "bits", **options: Any) -> dict[str, int]:
        """Register names and sizes."""
        return {"address": n, "target": b}

    @classmethod
    def resources(
        cls, n: int, b: int, mode: str = "bits", ones: int | None = None, **options: Any
    ) -> QRAMResources:
        """Closed-form costs (see :mod:`qcompile.qram.base` for the conventions)."""
        check_resource_args(n, b, mode, ones)
        big_n = 1 << n
        # Depth: each multiplexer is a chain of 2N gates on its target; the address diagonal
        # is 2(N - 2) + 1 more; bits add the two H layers.
        if mode == "ry":
            cx, rotations, depth = b * big_n, b * big_n, 2 * b * big_n
        else:
            cx, rotations = b * big_n + big_n - 2, b * big_n + big_n - 1
            depth = 2 * b * big_n + 2 * big_n - 3 + (2 if mode == "bits" else 0)
        return QRAMResources(
            qubits=n + b, cswap=0, toffoli=0, swap=0, cx_count=cx, rotations=rotations, depth=depth
        )

    def build(self) -> QuantumCircuit:
        """The multiplexer circuit (see the class docstring for registers)."""
        qc, regs = self._empty_circuit()
        address, target = list(regs["address"]), list(regs["target"])
        words = self.words
        big_n = words.num_words
        if words.mode == "ry":
            for j, t in enumerate(target):
                append_multiplexed_rotation(
                    qc, "y", [words.angle(i, j) for i in range(big_n)], address, t
                )
            return qc
        table: list[list[Any]] = [
            [
                pi * words.bit(i, j) if words.mode == "bits" else words.angle(i, j)
                for j in range(words.b)
            ]
            for i in range(big_n)
        ]
        if words.mode == "bits":
            qc.h(target)
        for j, t in enumerate(target):
            append_multiplexed_rotation(qc, "z", [row[j] for row in table], address, t)
        append_diagonal(qc, [sum(row) / 2 for row in table], address)
        if words.mode == "bits":
            qc.h(target)
        return qc
