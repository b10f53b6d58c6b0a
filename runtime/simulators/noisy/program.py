"""A compact ISA circuit and its Aer noise model, lowered to matrices and Kraus channels.

:func:`noisy_program` reads an ISA circuit restricted to its active qubits
(:func:`runtime.execution.active.restrict_circuit`), whose parametrised angles are one
parameter each (an *occurrence*, as :mod:`runtime.qnn.shots_qnn` makes them), and the
Aer ``NoiseModel`` that :func:`runtime.execution.noise.noise_model` builds for the same
qubits. Each instruction becomes one :class:`NoisyOp`: its gate (a fixed matrix, or a Pauli
rotation ``cos(a/2) I - i sin(a/2) G`` in one occurrence angle ``a``) followed by the
Aer error attached to that gate name and those qubits, as Aer applies it (after the gate).

Every error is stored as Kraus operators built term by term from Aer's own
``QuantumError`` (a mixture of circuits: Paulis, the ``id``/``z``/``reset`` terms of
thermal relaxation, Kraus maps), operators equal up to a phase merged, sorted by weight
``q_k = Tr(K_k^† K_k) / d``; these ``q_k`` are a probability distribution that does not
depend on the state or on any parameter. Term-wise operators keep Pauli errors unitary
(the eigen-decomposition of the Choi matrix mixes degenerate Paulis into rank-one
operators whose trajectories change norm by up to ``d``: measured, a much larger
gradient variance on the 11-qubit benchmark circuit). The readout errors become per-qubit confusion
matrices; :func:`readout_observable` folds them into an observable exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Gate, ParameterExpression
from qiskit.quantum_info import Operator, SparsePauliOp
from qiskit_aer.noise import NoiseModel, QuantumError

from hardware_profiles.errors import CompileError

__all__ = [
    "KrausChannel",
    "NoisyOp",
    "NoisyProgram",
    "ObservableTerms",
    "noisy_program",
    "observable_terms",
    "readout_observable",
]

_SKIPPED = frozenset({"barrier"})
_KRAUS_ATOL = 1e-18
_AER_MIN_PROBABILITY = 1e-10


@dataclass(frozen=True)
class KrausChannel:
    """A CPTP map as canonical Kraus operators ``K_k`` and fixed weights ``q_k``.

    Attributes:
        operators: ``(K, d, d)`` complex, sorted by decreasing ``q_k``.
        weights: ``(K,)`` with ``q_k = Tr(K_k^† K_k) / d``; they sum to 1.
    """

    operators: np.ndarray
    weights: np.ndarray

    def __post_init__(self) -> None:
        if not np.isclose(self.weights.sum(), 1.0, atol=1e-9):
            raise CompileError(f"Kraus weights sum to {self.weights.sum()}, not 1")


@dataclass(frozen=True)
class NoisyOp:
    """One instruction of the compact circuit: a gate, then its error (if any).

    Attributes:
        qubits: Compact qubits; ``qubits[0]`` is the least significant bit of the matrix.
        matrix: The gate's ``(d, d)`` unitary when it has no parameter, else None.
        occurrence: Index of the occurrence angle of a parametrised gate, else None.
        generator: For a parametrised gate, ``G`` (``G @ G = I``) with gate
            ``cos(a/2) I - i sin(a/2) G`` up to a global phase.
        diagonal: The generator is diagonal (``rz``, ``p``, ``rzz``...).
        channel: The Aer error applied after the gate, or None.
    """

    qubits: tuple[int, ...]
    matrix: np.ndarray | None
    occurrence: int | None
    generator: np.ndarray | None
    diagonal: bool
    channel: KrausChannel | None


@dataclass(frozen=True)
class ObservableTerms:
    """An observable as ``sum_x sum_i conj(psi[i ^ x]) D_x[i] psi[i]``.

    Attributes:
        masks: ``(G,)`` bit-flip masks ``x`` (one per group of Pauli terms).
        diagonals: ``(G, 2**n)`` complex ``D_x``.
    """

    masks: np.ndarray
    diagonals: np.ndarray


@dataclass(frozen=True)
class NoisyProgram:
    """A compact circuit with its noise, ready for the density-matrix or trajectory engine.

    Attributes:
        num_qubits: Active qubits ``n``.
        num_occurrences: Occurrence angles the ops refer to.
        ops: The instructions in circuit order.
        observables: One :class:`ObservableTerms` per output (readout error folded in
            when the program was built with it).
    """

    num_qubits: int
    num_occurrences: int
    ops: tuple[NoisyOp, ...]
    observables: tuple[ObservableTerms, ...]

    @property
    def num_locations(self) -> int:
        """Ops that carry an error channel."""
        return sum(op.channel is not None for op in self.ops)


def noisy_program(
    circuit: QuantumCircuit,
    occurrences: Sequence[ParameterExpression],
    noise: NoiseModel | None,
    observables: Sequence[SparsePauliOp],
    *,
    readout: bool = True,
) -> NoisyProgram:
    """Lower ``circuit`` and ``noise`` (see the module docstring).

    Args:
        circuit: Compact, unmeasured ISA circuit; its parameters are the occurrences.
        occurrences: The occurrence parameters, in the order of the angle columns.
        noise: Aer noise model on the circuit's qubits, or None (ideal).
        observables: Outputs on the compact qubits.
        readout: Fold the model's readout errors into the observables. Defaults to True.

    Raises:
        CompileError: An instruction the engines do not handle (measure, reset, delay,
            control flow, a parametrised gate that is not a Pauli rotation in one angle).
    """
    n = circuit.num_qubits
    index = {p: i for i, p in enumerate(occurrences)}
    ops: list[NoisyOp] = []
    channels: dict[tuple[str, tuple[int, ...]], KrausChannel | None] = {}
    for instruction in circuit.data:
        operation = instruction.operation
        name = operation.name
        if name in _SKIPPED:
            continue
        if name in ("measure", "reset", "delay") or operation.num_clbits:
            raise CompileError(
                f"the noisy engines do not simulate {name!r}; pass an unmeasured, "
                "unscheduled ISA circuit"
            )
        qubits = tuple(circuit.find_bit(q).index for q in instruction.qubits)
        symbolic = [
            i
            for i, v in enumerate(operation.params)
            if isinstance(v, ParameterExpression) and v.parameters
        ]
        if (name, qubits) not in channels:
            channels[name, qubits] = _channel(noise, name, qubits) if noise is not None else None
        channel = channels[name, qubits]
        if not symbolic:
            matrix = Operator(operation).data
            ops.append(NoisyOp(qubits, matrix, None, None, False, channel))
            continue
        if len(symbolic) != 1:
            raise CompileError(f"gate {name!r} has {len(symbolic)} parametrised angles; need 1")
        value = operation.params[symbolic[0]]
        if value not in index:
            raise CompileError(f"angle {value} of gate {name!r} is not an occurrence parameter")
        if not isinstance(operation, Gate):
            raise CompileError(f"parametrised instruction {name!r} is not a gate")
        generator = _generator(operation, symbolic[0])
        diagonal = bool(np.allclose(generator, np.diag(np.diag(generator))))
        ops.append(NoisyOp(qubits, None, index[value], generator, diagonal, channel))
    confusion = _confusions(noise, n) if (readout and noise is not None) else None
    terms = tuple(
        observable_terms(readout_observable(o, confusion) if confusion is not None else o)
        for o in observables
    )
    return NoisyProgram(n, len(occurrences), tuple(ops), terms)


def _generator(operation: Gate, slot: int) -> np.ndarray:
    """``G`` with ``gate(a) = e^{i phi(a)} (cos(a/2) I - i sin(a/2) G)``, checked at two angles.

    Raises:
        CompileError: The gate is not of that form (no exact trajectory or shift rule).
    """

    def matrix(angle: float) -> np.ndarray:
        gate = operation.copy()
        params = list(gate.params)
        params[slot] = angle
        gate.params = params
        return np.asarray(Operator(gate).data)

    not_rotation = CompileError(
        f"parametrised gate {operation.name!r} is not a Pauli rotation in its angle"
    )
    at_zero = matrix(0.0)
    dim = len(at_zero)
    if not np.allclose(at_zero, at_zero[0, 0] * np.eye(dim), atol=1e-12):
        raise not_rotation
    at_pi = matrix(np.pi) / at_zero[0, 0]
    # at_pi = e^{i phi} (-i G) with G Hermitian and G @ G = 1, so at_pi @ at_pi = -e^{2 i phi}.
    phase = np.sqrt(-(at_pi @ at_pi)[0, 0])
    for sign in (1.0, -1.0):
        generator = sign * 1j * at_pi / phase
        if not np.allclose(generator, generator.conj().T, atol=1e-10):
            continue
        if all(
            _proportional(
                matrix(a) / at_zero[0, 0],
                np.cos(a / 2) * np.eye(dim) - 1j * np.sin(a / 2) * generator,
            )
            for a in (0.7, -2.3)
        ):
            return generator
    raise not_rotation


def _proportional(actual: np.ndarray, expected: np.ndarray) -> bool:
    """``actual == c * expected`` for some ``|c| = 1``."""
    k = np.unravel_index(np.abs(expected).argmax(), expected.shape)
    ratio = actual[k] / expected[k]
    return bool(np.isclose(abs(ratio), 1.0) and np.allclose(actual, ratio * expected, atol=1e-10))


def _channel(noise: NoiseModel, name: str, qubits: tuple[int, ...]) -> KrausChannel | None:
    """The Aer error of gate ``name`` on ``qubits`` as term-wise Kraus operators."""
    local = noise._local_quantum_errors.get(name, {})  # Aer keeps them here, by qubits
    error: QuantumError | None = local.get(qubits)
    if error is None:
        error = noise._default_quantum_errors.get(name)
    if error is None:
        return None
    if error.num_qubits != len(qubits):
        raise CompileError(f"noise on {name!r} acts on {error.num_qubits} qubits, not {qubits}")
    d = 2**error.num_qubits
    merged: dict[bytes, tuple[np.ndarray, float]] = {}
    for term, probability in zip(error.circuits, error.probabilities, strict=True):
        # Aer's simulator skips error terms of probability under 1e-10 (measured: keeping
        # them moves a density matrix by ~1e-9 per two-qubit gate); so do we, to match it.
        if probability < _AER_MIN_PROBABILITY:
            continue
        for operator in _term_kraus(term, d):
            weight = float(probability) * float(np.vdot(operator, operator).real) / d
            if weight <= _KRAUS_ATOL:
                continue
            unit = operator * np.sqrt(float(probability) / weight)  # Tr(unit^† unit) = d
            key = _direction(unit)
            held = merged.get(key)
            # Operators equal up to a phase are one Kraus operator: their weights add.
            if held is None:
                merged[key] = (unit, weight)
            else:
                merged[key] = (held[0], held[1] + weight)
    if not merged:
        return None
    units = np.array([unit for unit, _ in merged.values()])
    weights = np.array([weight for _, weight in merged.values()])
    order = np.argsort(-weights, kind="stable")
    units, weights = units[order], weights[order]
    operators = units * np.sqrt(weights)[:, None, None]
    completeness = np.einsum("kji,kjl->il", operators.conj(), operators)
    if not np.allclose(completeness, np.eye(d), atol=1e-7):
        raise CompileError(f"the noise on {name!r} {qubits} is not trace preserving")
    return KrausChannel(operators, weights / weights.sum())


def _term_kraus(term: QuantumCircuit, d: int) -> list[np.ndarray]:
    """The Kraus operators of one error term (a circuit of unitaries, resets, Kraus maps).

    Unitary terms (Paulis, most of a depolarizing error) stay one unitary operator each,
    so a trajectory that draws them keeps its norm; a reset is ``|0><0|``, ``|0><1|``.
    """
    operators = [np.eye(d, dtype=complex)]
    for instruction in term.data:
        where = [term.find_bit(q).index for q in instruction.qubits]
        operation = instruction.operation
        if operation.name == "reset":
            local = [np.array([[1, 0], [0, 0]], complex), np.array([[0, 1], [0, 0]], complex)]
        elif operation.name == "kraus":
            local = [np.asarray(k, dtype=complex) for k in operation.params]
        else:
            local = [np.asarray(Operator(operation).data)]
        embedded = [_embed(k, where, d) for k in local]
        operators = [k @ o for o in operators for k in embedded]
    return operators


def _embed(matrix: np.ndarray, where: list[int], d: int) -> np.ndarray:
    """``matrix`` on bits ``where`` of a ``d``-dimensional operator (Qiskit's bit order)."""
    identity = Operator(np.eye(d))
    return np.asarray(identity.compose(Operator(matrix), qargs=where).data)


def _direction(unit: np.ndarray) -> bytes:
    """A key equal for operators that differ by a phase (rounded to 1e-9)."""
    flat = unit.reshape(-1)
    pivot = flat[int(np.argmax(np.abs(flat) > 1e-9 * np.abs(flat).max()))]
    normal = flat * (abs(pivot) / pivot)
    return np.round(normal, 9).tobytes()


def _confusions(noise: NoiseModel, n: int) -> list[np.ndarray | None]:
    """Per-qubit 2x2 readout matrices ``A[true, read]``, None where there is no error."""
    out: list[np.ndarray | None] = []
    for q in range(n):
        error = noise._local_readout_errors.get((q,), noise._default_readout_error)
        out.append(None if error is None else np.asarray(error.probabilities, dtype=float))
    return out


def readout_observable(
    observable: SparsePauliOp, confusion: Sequence[np.ndarray | None]
) -> SparsePauliOp:
    """What measuring ``observable`` with readout errors ``confusion`` estimates, exactly.

    Each qubit's outcome ``b`` is read as ``b'`` with probability ``A[b, b']``, independently,
    so a measured ``±1`` eigenvalue factor becomes ``a I + c P`` with
    ``a = ((A00 - A01) + (A10 - A11)) / 2`` and ``c = ((A00 - A01) - (A10 - A11)) / 2``
    (in every measurement basis, since the basis change happens before the readout).
    Expanding the product over each term's support gives a SparsePauliOp.

    Args:
        observable: On the compact qubits.
        confusion: Per qubit ``A[true, read]`` (rows sum to 1), or None (perfect readout).
    """
    labels: list[str] = []
    coeffs: list[complex] = []
    n = observable.num_qubits
    for label, coeff in observable.to_list():
        support = [q for q in range(n) if label[n - 1 - q] != "I"]
        factors = []
        for q in support:
            a_matrix = confusion[q]
            if a_matrix is None:
                factors.append((0.0, 1.0))
                continue
            plus, minus = a_matrix[0, 0] - a_matrix[0, 1], a_matrix[1, 0] - a_matrix[1, 1]
            factors.append(((plus + minus) / 2, (plus - minus) / 2))
        for keep in range(2 ** len(support)):
            weight = complex(coeff)
            chars = list("I" * n)
            for j, q in enumerate(support):
                identity_part, pauli_part = factors[j]
                if keep >> j & 1:
                    weight *= pauli_part
                    chars[n - 1 - q] = label[n - 1 - q]
                else:
                    weight *= identity_part
            if weight != 0:
                labels.append("".join(chars))
                coeffs.append(weight)
    if not labels:
        return SparsePauliOp("I" * n, [0.0])
    return SparsePauliOp(labels, coeffs).simplify(atol=0)


def observable_terms(observable: SparsePauliOp) -> ObservableTerms:
    """``observable`` grouped by bit-flip mask (see :class:`ObservableTerms`)."""
    matrix = observable.to_matrix(sparse=True).tocoo()
    rows, cols, values = matrix.row, matrix.col, matrix.data
    dim = 2**observable.num_qubits
    masks = np.unique(rows ^ cols)
    diagonals = np.zeros((len(masks), dim), dtype=complex)
    for g, mask in enumerate(masks):
        pick = (rows ^ cols) == mask
        diagonals[g, cols[pick]] = values[pick]
    return ObservableTerms(masks.astype(np.int64), diagonals)
