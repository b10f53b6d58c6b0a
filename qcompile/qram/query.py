"""The logical QRAM query: what every QRAM construction must implement, exactly.

A query acts on two registers, ``address`` (``n`` qubits, little-endian: qubit ``j`` holds
bit ``j`` of the address ``i``) and ``target`` (``b`` qubits). ``N = 2**n`` words are stored,
one per address, in one of three modes:

* ``"bits"``: word ``d_i`` is a ``b``-bit integer (bit ``j`` of ``d_i`` acts on target qubit
  ``j``) and the query is the permutation ``|i>|t> -> |i>|t XOR d_i>``.
* ``"ry"``: word ``i`` is ``b`` angles ``theta[i][j]`` (floats or qiskit Parameters) and the
  query applies ``RY(theta[i][j])`` to target qubit ``j`` when the address is ``i``:
  ``|i>|t> -> |i> (RY(theta[i][0]) x ... x RY(theta[i][b-1])) |t>``.
* ``"phase"``: word ``i`` is ``b`` angles ``phi[i][j]`` and the query applies the phase gate
  ``P(phi[i][j]) = diag(1, exp(i phi))`` to target qubit ``j`` when the address is ``i``:
  ``|i>|t> -> exp(i sum_j phi[i][j] t_j) |i>|t>``.

:class:`QRAMQuery` is the logical gate. Its ``definition`` is an exact reference decomposition
(one multi-controlled gate per address and word bit) that is obviously right and expensive;
:mod:`qcompile.qram.lowering` swaps it for a real construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias, cast

from qiskit.circuit import Gate, ParameterExpression, QuantumCircuit, QuantumRegister
from qiskit.circuit.library import PhaseGate, RYGate

from hardware_profiles.errors import ResourceError

__all__ = [
    "MAX_ADDRESS_BITS",
    "QUERY_GATE_NAME",
    "Angle",
    "QRAMQuery",
    "QRAMWords",
    "WordMode",
]

Angle: TypeAlias = float | ParameterExpression
"""An angle word entry: a float, or a qiskit Parameter/ParameterExpression bound later."""

WordMode = Literal["bits", "ry", "phase"]

QUERY_GATE_NAME = "qram_query"
"""The ``name`` of every :class:`QRAMQuery` instruction."""

MAX_ADDRESS_BITS = 30
"""Largest address size accepted anywhere (resources are closed-form far beyond build sizes)."""

_MODES: tuple[WordMode, ...] = ("bits", "ry", "phase")


def check_sizes(n: int, b: int, mode: str = "bits") -> None:
    """Raise :class:`ResourceError` unless ``n``, ``b`` and ``mode`` describe a valid query.

    Args:
        n: Address bits, ``1 <= n <= MAX_ADDRESS_BITS``.
        b: Word size (target qubits), ``b >= 1``.
        mode: One of ``"bits"``, ``"ry"``, ``"phase"``.

    Raises:
        ResourceError: If any argument is out of range.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_ADDRESS_BITS:
        raise ResourceError(f"address bits n must be an int in [1, {MAX_ADDRESS_BITS}], got {n!r}")
    if isinstance(b, bool) or not isinstance(b, int) or b < 1:
        raise ResourceError(f"word size b must be a positive int, got {b!r}")
    if mode not in _MODES:
        raise ResourceError(f"word mode must be one of {_MODES}, got {mode!r}")


def _address_bits(num_words: int) -> int:
    if num_words < 2 or num_words & (num_words - 1):
        raise ResourceError(f"the number of words must be a power of two >= 2, got {num_words}")
    return num_words.bit_length() - 1


def _as_angle(value: object) -> Angle:
    if isinstance(value, ParameterExpression):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            return float(cast(float, value))
        except (TypeError, ValueError) as exc:
            raise ResourceError(
                f"an angle word must be a float or a Parameter, got {value!r}"
            ) from exc
    return float(value)


@dataclass(frozen=True)
class QRAMWords:
    """The ``N = 2**n`` words a QRAM stores, with their mode (see the module docstring).

    Attributes:
        mode: ``"bits"``, ``"ry"`` or ``"phase"``.
        n: Address bits.
        b: Word size (target qubits).
        values: ``N`` ints for ``"bits"``; ``N`` tuples of ``b`` angles otherwise.
    """

    mode: WordMode
    n: int
    b: int
    values: tuple[int, ...] | tuple[tuple[Angle, ...], ...]

    def __post_init__(self) -> None:
        check_sizes(self.n, self.b, self.mode)
        if len(self.values) != 1 << self.n:
            raise ResourceError(f"expected {1 << self.n} words, got {len(self.values)}")
        if self.mode == "bits":
            for word in self.values:
                if isinstance(word, bool) or not isinstance(word, int):
                    raise ResourceError(f"a classical word must be an int, got {word!r}")
                if not 0 <= word < 1 << self.b:
                    raise ResourceError(f"word {word} does not fit in b={self.b} bits")
        else:
            for word in self.values:
                if not isinstance(word, tuple) or len(word) != self.b:
                    raise ResourceError(f"an angle word must be a tuple of b={self.b} angles")

    @classmethod
    def bits(cls, words: Sequence[int], b: int | None = None) -> QRAMWords:
        """Classical ``b``-bit words.

        Args:
            words: ``N = 2**n`` non-negative ints, ``N >= 2``.
            b: Word size. Defaults to the bit length of the largest word (at least 1).

        Returns:
            The words in ``"bits"`` mode.

        Raises:
            ResourceError: If ``len(words)`` is not a power of two >= 2 or a word does not fit.
        """
        values = tuple(int(w) if not isinstance(w, bool) else w for w in words)
        n = _address_bits(len(values))
        if b is None:
            b = max(1, max(values).bit_length()) if all(isinstance(w, int) for w in values) else 1
        return cls("bits", n, b, values)

    @classmethod
    def angles(cls, angles: Sequence[object], mode: Literal["ry", "phase"] = "ry") -> QRAMWords:
        """Angle words: one angle per address (``b = 1``) or one sequence of ``b`` per address.

        Args:
            angles: ``N = 2**n`` entries, each a float/Parameter or a sequence of them.
            mode: ``"ry"`` (default) or ``"phase"``.

        Returns:
            The words in the given angle mode.

        Raises:
            ResourceError: If the shape is not ``N x b`` with ``N`` a power of two >= 2.
        """
        n = _address_bits(len(angles))
        rows: list[tuple[Angle, ...]] = []
        for entry in angles:
            if isinstance(entry, ParameterExpression | int | float):
                rows.append((_as_angle(entry),))
            elif isinstance(entry, Sequence) and not isinstance(entry, str):
                rows.append(tuple(_as_angle(v) for v in entry))
            else:
                rows.append((_as_angle(entry),))
        widths = {len(r) for r in rows}
        if len(widths) != 1:
            raise ResourceError("every angle word must have the same length b")
        return cls(mode, n, widths.pop(), tuple(rows))

    @property
    def num_words(self) -> int:
        """``N = 2**n``."""
        return 1 << self.n

    def bit(self, address: int, j: int) -> int:
        """Bit ``j`` of the classical word at ``address`` (``"bits"`` mode only)."""
        return (cast(int, self.values[address]) >> j) & 1

    def angle(self, address: int, j: int) -> Angle:
        """Angle ``j`` of the word at ``address`` (angle modes only)."""
        return cast(tuple[Angle, ...], self.values[address])[j]

    @property
    def ones(self) -> int:
        """Number of 1 bits over all words (``"bits"`` mode), else ``N * b``."""
        if self.mode != "bits":
            return self.num_words * self.b
        return sum(bin(cast(int, w)).count("1") for w in self.values)

    def flat(self) -> list[int | Angle]:
        """Words flattened address-major (the :class:`QRAMQuery` ``params``)."""
        if self.mode == "bits":
            return list(cast(tuple[int, ...], self.values))
        return [a for word in cast(tuple[tuple[Angle, ...], ...], self.values) for a in word]

    @classmethod
    def from_flat(cls, mode: WordMode, n: int, b: int, flat: Sequence[object]) -> QRAMWords:
        """Inverse of :meth:`flat`.

        Args:
            mode: Word mode.
            n: Address bits.
            b: Word size.
            flat: ``N`` ints (bits) or ``N * b`` angles.

        Returns:
            The words.
        """
        if mode == "bits":
            return cls(mode, n, b, tuple(int(cast(int, v)) for v in flat))
        vals = [_as_angle(v) for v in flat]
        if len(vals) != (1 << n) * b:
            raise ResourceError(f"expected {(1 << n) * b} angles, got {len(vals)}")
        return cls(mode, n, b, tuple(tuple(vals[i * b : (i + 1) * b]) for i in range(1 << n)))


class QRAMQuery(Gate):
    """The logical QRAM query gate on ``address`` (n qubits) then ``target`` (b qubits).

    Its parameters are the flattened words, so a circuit with Parameter angle words is
    compiled once and bound per input with ``assign_parameters``.

    Registers:
        address: ``n`` qubits, little-endian address ``i``.
        target: ``b`` qubits the word acts on.

    References:
        Giovannetti, Lloyd, Maccone, "Quantum random access memory", arXiv:0708.1879.
    """

    def __init__(self, words: QRAMWords, label: str | None = None) -> None:
        """Create the query.

        Args:
            words: The stored words.
            label: Optional label for drawings.
        """
        self.mode: WordMode = words.mode
        self.address_bits = words.n
        self.word_size = words.b
        super().__init__(QUERY_GATE_NAME, words.n + words.b, words.flat(), label=label)

    @property
    def words(self) -> QRAMWords:
        """The words, rebuilt from the current (possibly bound) parameters."""
        return QRAMWords.from_flat(self.mode, self.address_bits, self.word_size, self.params)

    def validate_parameter(self, parameter: object) -> object:
        """Accept ints for classical words and angles for angle words."""
        if isinstance(parameter, int) and not isinstance(parameter, bool):
            return parameter
        return super().validate_parameter(parameter)

    def inverse(self, annotated: bool = False) -> Gate:
        """The inverse query: ``bits`` queries are self-inverse; angles are negated."""
        if self.mode == "bits":
            return QRAMQuery(self.words, label=self.label)
        words = self.words
        neg = [-cast(Angle, a) for a in words.flat()]
        return QRAMQuery(QRAMWords.from_flat(self.mode, words.n, words.b, neg))

    def _define(self) -> None:
        self.definition = reference_circuit(self.words)


def reference_circuit(words: QRAMWords) -> QuantumCircuit:
    """The exact reference decomposition of a query: one multi-controlled gate per entry.

    Args:
        words: The stored words.

    Returns:
        A circuit on registers ``address`` and ``target``.
    """
    address = QuantumRegister(words.n, "address")
    target = QuantumRegister(words.b, "target")
    qc = QuantumCircuit(address, target, name="qram_reference")
    for i in range(words.num_words):
        for j in range(words.b):
            if words.mode == "bits":
                if words.bit(i, j):
                    qc.mcx(list(address), target[j], ctrl_state=i)
            elif words.mode == "ry":
                qc.append(
                    RYGate(words.angle(i, j)).control(words.n, ctrl_state=i, annotated=False),
                    [*address, target[j]],
                )
            else:
                qc.append(
                    PhaseGate(words.angle(i, j)).control(words.n, ctrl_state=i, annotated=False),
                    [*address, target[j]],
                )
    return qc
