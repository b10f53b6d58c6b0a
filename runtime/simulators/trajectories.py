"""Pauli-noise trajectories on basis-state routing: query fidelity of QRAM circuits at scale.

A QRAM construction storing phase words (see :mod:`qcompile.qram.query`) is made of
*monomial* gates: each gate's unitary is a permutation of basis states times a
diagonal phase (X, CX, CCX, CSWAP, SWAP, Z, P, CP, RZ, ...). So is every Pauli. A circuit of
them maps each computational-basis input to one basis state with a phase, so the ``N``
address branches of a superposed query can be followed exactly as bit-vectors plus phases,
whatever errors hit them (Hann et al. 2021 analyse the bucket brigade the same way).

Noise model (a stochastic Pauli channel, one sample per trajectory):

* after every one-qubit gate (``rz`` and ``p`` included, although IBM devices apply ``rz``
  virtually): one-qubit depolarizing, probability ``p1`` (each of X, Y, Z with ``p1 / 3``);
* after every ``k``-qubit gate (``k >= 2``) whose standard lowering needs ``c`` CX gates
  (:data:`qcompile.qram.base.CX_COST`, else counted by transpiling the gate once):
  ``k``-qubit depolarizing with probability ``1 - (1 - p2)**c``, i.e. each of the
  ``4**k - 1`` non-identity Paulis on the gate's qubits with equal probability;
* optionally, idle errors: the circuit is layered ASAP (every instruction one layer) and a
  qubit that no gate touches in a layer gets one-qubit depolarizing with probability
  ``p_idle`` for that layer.

:meth:`PauliNoise.from_profile` takes ``p1``, ``p2`` from a device profile's median one- and
two-qubit gate errors, multiplied by a noise scale, and ``p_idle = 1 - exp(-t2q / T2)`` from
the median two-qubit gate duration and ``T2`` when idle noise is asked for.

The query fidelity of a trajectory is Hann et al.'s: the overlap of the ideal output with the
reduced state on the kept qubits (``address`` and ``target`` for a QRAM), the ancillas traced
out, ``F = <psi| Tr_anc rho |psi>``; or, with every qubit kept, ``|<ideal|actual>|**2``. It is
computed exactly from the branches: a monomial circuit is a permutation, so distinct input
branches stay distinct; branches landing on the same ancilla basis state add coherently
(``<psi|kept>`` is the conjugate ideal amplitude there), different ancilla states add
incoherently. The circuit's global phase is dropped (no fidelity depends on it). The
estimate is the mean over trajectories with its standard error. Reproducible: the same
circuit, input, noise, number of trajectories and seed give the same fidelities (trajectory
``t`` draws from ``numpy.random.default_rng([seed, t])``, whatever the batching).

References:
    Hann, Lee, Girvin, Jiang, "Resilience of quantum random access memory to generic noise",
    PRX Quantum 2, 020311 (2021), arXiv:2012.05340.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from qiskit.circuit import CircuitInstruction, IfElseOp, Instruction, QuantumCircuit, Qubit

from hardware_profiles.errors import CircuitInputError, ResourceError

__all__ = [
    "Branches",
    "PauliNoise",
    "TrajectoryResult",
    "aer_noisy_circuit",
    "aer_readout_noise",
    "monomial_form",
    "qram_input",
    "qram_kept_qubits",
    "qram_query_circuit",
    "qram_query_fidelity",
    "simulate_trajectories",
]

_MAX_GATE_QUBITS = 6
_SKIPPED = frozenset({"barrier", "delay"})  # no gate; idle noise covers waiting
_BATCH_BYTES = 64 * 2**20


@dataclass(frozen=True)
class PauliNoise:
    """Stochastic Pauli noise (see the module docstring for where each error acts).

    Attributes:
        one_qubit: Depolarizing probability after each one-qubit gate. Defaults to 0.
        two_qubit: Depolarizing probability per CX of a multi-qubit gate's lowering.
            Defaults to 0.
        idle: Depolarizing probability per idle qubit per layer. Defaults to 0 (no idle noise).
        readout: Probability that a mid-circuit measurement reports the wrong bit (the
            dynamic-circuit QRAMs' measured uncompute). Defaults to 0.
    """

    one_qubit: float = 0.0
    two_qubit: float = 0.0
    idle: float = 0.0
    readout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("one_qubit", "two_qubit", "idle", "readout"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
                raise ResourceError(f"noise {name} must be a probability in [0, 1], got {value!r}")

    @classmethod
    def from_profile(cls, profile: str, scale: float = 1.0, idle: bool = False) -> PauliNoise:
        """The profile's median gate errors (and idle decay) times ``scale``, capped at 1.

        Args:
            profile: A profile name or ``.toml`` path (:func:`hardware_profiles.load_profile`).
            scale: Multiplies every probability. Defaults to 1.
            idle: Include idle errors from the median 2q duration and T2. Defaults to False.

        Raises:
            ProfileError: If the profile is unknown or has no gate errors.
            ResourceError: If ``scale`` is negative or not finite.
        """
        if not (math.isfinite(scale) and scale >= 0):
            raise ResourceError(f"noise scale must be a finite number >= 0, got {scale!r}")
        e1, e2, t2q, t2, ero = _profile_medians(profile)
        p_idle = 0.0
        if idle:
            if t2q is None or t2 is None:
                from hardware_profiles.errors import ProfileError

                raise ProfileError(f"profile {profile!r} has no 2q duration or T2 for idle noise")
            p_idle = min(1.0, scale * (1.0 - math.exp(-t2q / t2)))
        readout = min(1.0, scale * ero) if ero is not None else 0.0
        return cls(min(1.0, scale * e1), min(1.0, scale * e2), p_idle, readout)

    def gate_error(self, num_qubits: int, cx_cost: int) -> float:
        """Probability of a (non-identity) Pauli error after one gate."""
        if num_qubits == 1:
            return self.one_qubit
        return 1.0 - (1.0 - self.two_qubit) ** cx_cost


@functools.cache
def _profile_medians(
    profile: str,
) -> tuple[float, float, float | None, float | None, float | None]:
    from hardware_profiles import load_profile, profile_medians
    from hardware_profiles.errors import ProfileError

    medians = profile_medians(load_profile(profile))
    if medians.error_1q is None or medians.error_2q is None:
        raise ProfileError(f"profile {profile!r} has no median gate errors")
    return (
        medians.error_1q,
        medians.error_2q,
        medians.duration_2q,
        medians.t2,
        medians.error_readout,
    )


@dataclass(frozen=True)
class Branches:
    """A superposition of computational-basis states: the input of a trajectory run.

    Attributes:
        bits: ``(B, num_qubits)`` 0/1 array; row ``r`` is basis state ``r`` (column = qubit).
        amplitudes: ``(B,)`` complex amplitudes, normalised.
    """

    bits: np.ndarray
    amplitudes: np.ndarray

    def __post_init__(self) -> None:
        bits = np.asarray(self.bits, dtype=np.uint8)
        amps = np.asarray(self.amplitudes, dtype=complex)
        if bits.ndim != 2 or amps.shape != (bits.shape[0],) or bits.shape[0] == 0:
            raise ResourceError("branches need a (B, num_qubits) bit array and B amplitudes")
        if np.any(bits > 1):
            raise ResourceError("branch bits must be 0 or 1")
        if not math.isclose(float(np.sum(np.abs(amps) ** 2)), 1.0, rel_tol=1e-9):
            raise ResourceError("branch amplitudes must be normalised")
        if len(np.unique(bits, axis=0)) != bits.shape[0]:
            raise ResourceError("branches must be distinct basis states")
        object.__setattr__(self, "bits", bits)
        object.__setattr__(self, "amplitudes", amps)

    @property
    def num_qubits(self) -> int:
        """Qubits per basis state."""
        return int(self.bits.shape[1])

    def statevector(self) -> np.ndarray:
        """The dense state (little-endian: qubit ``j`` is bit ``j`` of the index)."""
        weights = 1 << np.arange(self.num_qubits, dtype=np.int64)
        vec = np.zeros(1 << self.num_qubits, dtype=complex)
        vec[self.bits.astype(np.int64) @ weights] = self.amplitudes
        return vec


@dataclass(frozen=True)
class TrajectoryResult:
    """Query fidelities of a trajectory run.

    Attributes:
        fidelities: ``|<ideal|actual>|**2`` per trajectory.
        mean: Mean fidelity.
        stderr: Standard error of the mean (0 for one trajectory).
        num_gates: Instructions simulated.
        num_branches: Basis branches followed per trajectory.
        num_qubits: Circuit width.
    """

    fidelities: tuple[float, ...]
    num_gates: int
    num_branches: int
    num_qubits: int
    mean: float = field(init=False)
    stderr: float = field(init=False)

    def __post_init__(self) -> None:
        if not self.fidelities:
            raise ResourceError("a trajectory result needs at least one trajectory")
        f = np.asarray(self.fidelities, dtype=float)
        if np.any(f < -1e-9) or np.any(f > 1 + 1e-9):
            raise ResourceError("fidelities must lie in [0, 1]")
        object.__setattr__(self, "mean", float(f.mean()))
        err = float(f.std(ddof=1) / math.sqrt(len(f))) if len(f) > 1 else 0.0
        object.__setattr__(self, "stderr", err)


@dataclass(frozen=True)
class _Monomial:
    """``U |x> = exp(i angle[x]) |perm[x]>`` on the gate's qubits (little-endian ``x``)."""

    perm: np.ndarray
    angle: np.ndarray


def monomial_form(operation: Instruction) -> tuple[np.ndarray, np.ndarray]:
    """The permutation and phases of a monomial gate, read from its matrix.

    Args:
        operation: A unitary gate (bound parameters) on at most 6 qubits.

    Returns:
        ``(perm, angle)``: ``U|x> = exp(i angle[x]) |perm[x]>`` with ``x`` little-endian
        over the gate's qubits.

    Raises:
        CircuitInputError: If the gate is not unitary, too wide, or not monomial.
    """
    form = _monomial(operation)
    return form.perm.copy(), form.angle.copy()


def _cache_key(operation: Instruction) -> tuple[object, ...] | None:
    # Only Qiskit's standard gates are fully named by (name, params, ctrl_state); a custom
    # gate's name says nothing about its definition, so it is never cached globally.
    if getattr(operation, "_standard_gate", None) is None:
        return None
    try:
        params = tuple(float(p) for p in operation.params)
    except (TypeError, ValueError):
        return None
    ctrl = getattr(operation, "ctrl_state", None)
    return (operation.name, operation.num_qubits, params, ctrl, type(operation).__name__)


_FORMS: dict[tuple[object, ...], _Monomial] = {}


def _monomial(operation: Instruction) -> _Monomial:
    key = _cache_key(operation)
    if key is not None and key in _FORMS:
        return _FORMS[key]
    from qiskit.quantum_info import Operator

    name = operation.name
    if operation.num_clbits or name in ("measure", "reset"):
        raise CircuitInputError(f"gate {name!r} is not unitary; trajectories need unitary gates")
    if operation.num_qubits > _MAX_GATE_QUBITS:
        raise CircuitInputError(
            f"gate {name!r} acts on {operation.num_qubits} qubits; at most {_MAX_GATE_QUBITS}"
        )
    try:
        matrix = Operator(operation).data
    except Exception as exc:  # unbound parameters, opaque gates: qiskit raises many types
        raise CircuitInputError(f"gate {name!r} has no matrix: {exc}") from None
    mags = np.abs(matrix)
    if not np.all(np.sum(mags > 1e-9, axis=0) == 1):
        raise CircuitInputError(
            f"gate {name!r} is not monomial (not a permutation times phases); trajectories "
            "follow basis states only (use phase words, not bits/ry, for QRAM queries)"
        )
    perm = np.argmax(mags, axis=0)
    values = matrix[perm, np.arange(matrix.shape[1])]
    form = _Monomial(perm.astype(np.int64), np.angle(values))
    if key is not None:
        _FORMS[key] = form
    return form


def _cx_cost(operation: Instruction) -> int:
    from qcompile.qram.base import CX_COST

    if operation.num_qubits == 1:
        return 0
    if operation.name in CX_COST:
        return CX_COST[operation.name]
    return _transpiled_cx(operation)


def _transpiled_cx(operation: Instruction) -> int:
    from qcompile.basis import lower_to_basis

    qc = QuantumCircuit(operation.num_qubits)
    qc.append(operation, range(operation.num_qubits))
    lowered = lower_to_basis(qc, ["cx", "u"])
    return int(lowered.count_ops().get("cx", 0))


def aer_noisy_circuit(circuit: QuantumCircuit, noise: PauliNoise) -> QuantumCircuit:
    """The same circuit with ``noise``'s gate errors as explicit Aer Pauli channels.

    Every gate becomes its :class:`~qiskit.circuit.library.UnitaryGate` followed by the
    depolarizing channel the trajectories sample after it, so Aer's density-matrix or
    statevector simulators give the reference these trajectories are checked against. A
    measured uncompute keeps its measurement and feed-forward block, with the channels the
    trajectories sample (before the ``H``; after the fix-up's gates, inside the block); its
    readout error is :func:`aer_readout_noise`, a noise model to run the circuit with.

    Raises:
        CircuitInputError: If ``noise`` has idle errors (they depend on the layering, which
            Aer does not share).
    """
    from qiskit.circuit.library import UnitaryGate
    from qiskit.quantum_info import Operator

    if noise.idle:
        raise CircuitInputError("aer_noisy_circuit covers gate errors only, not idle noise")
    noisy = QuantumCircuit(circuit.num_qubits, circuit.num_clbits)
    data = circuit.data
    i = -1
    while i + 1 < len(data):
        i += 1
        inst = data[i]
        if inst.operation.name in _SKIPPED:
            continue
        measured = _measured_uncompute(circuit, data, i) if inst.operation.name == "h" else None
        if measured is not None:
            anc, flag, a = measured
            bit = circuit.find_bit(data[i + 1].clbits[0]).index
            if noise.one_qubit > 0:
                noisy.append(_depolarizing(1, noise.one_qubit), [anc])
            noisy.h(anc)
            noisy.measure(anc, bit)
            with noisy.if_test((noisy.clbits[bit], 1)):
                noisy.cz(flag, a)
                if noise.gate_error(2, 1) > 0:
                    noisy.append(_depolarizing(2, noise.gate_error(2, 1)), [flag, a])
                noisy.x(anc)
                if noise.one_qubit > 0:
                    noisy.append(_depolarizing(1, noise.one_qubit), [anc])
            i += 2
            continue
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        noisy.append(UnitaryGate(Operator(inst.operation)), qubits)
        p = noise.gate_error(len(qubits), _cx_cost(inst.operation))
        if p > 0:
            noisy.append(_depolarizing(len(qubits), p), qubits)
    return noisy


def aer_readout_noise(noise: PauliNoise) -> Any:
    """An Aer ``NoiseModel`` flipping every measurement's reported bit with ``noise.readout``."""
    from qiskit_aer.noise import NoiseModel, ReadoutError

    model = NoiseModel()
    p = noise.readout
    if p > 0:
        model.add_all_qubit_readout_error(ReadoutError([[1 - p, p], [p, 1 - p]]))
    return model


def _depolarizing(k: int, p: float) -> Instruction:
    from qiskit_aer.noise import pauli_error

    chars = {(0, 0): "I", (1, 0): "X", (0, 1): "Z", (1, 1): "Y"}
    terms = [("I" * k, 1.0 - p)]
    for pauli in range(1, 4**k):
        label = [chars[((pauli >> 2 * j) & 1, (pauli >> (2 * j + 1)) & 1)] for j in range(k)]
        terms.append(("".join(reversed(label)), p / (4**k - 1)))
    return pauli_error(terms).to_instruction()


@dataclass(frozen=True)
class _Step:
    qubits: tuple[int, ...]
    out_bits: tuple[tuple[int, np.ndarray], ...]  # (row position, lut) for rows that change
    angle: np.ndarray | None  # None when the phase is global
    error: float


@dataclass(frozen=True)
class _Measured:
    """A measured uncompute: ``H(anc)``, measure, ``if m: CZ(flag, a); X(anc)`` (Gidney).

    ``anc`` holds ``flag AND a`` in every ideal branch. The outcome ``m`` is uniformly random
    whatever the branch, so each trajectory draws it (and a readout flip ``r``) up front:
    the branch phase gains ``pi m anc``, the reported bit ``m ^ r`` decides the fix-up, and
    the ancilla ends in ``|r>``.
    """

    qubits: tuple[int, int, int]  # (anc, flag, a)
    error: float  # depolarizing on anc before the measurement (the H)
    fix_error: float  # depolarizing on (flag, a) when the fix-up CZ runs
    x_error: float  # depolarizing on anc when the fix-up X runs


_AnyStep = _Step | _Measured


def _measured_uncompute(
    circuit: QuantumCircuit, data: Sequence[CircuitInstruction], i: int
) -> tuple[int, int, int] | None:
    """``(anc, flag, a)`` when ``data[i:i+3]`` is ``h``, ``measure``, ``if (bit) {cz; x}``."""
    if i + 2 >= len(data):
        return None
    h, meas, cond = data[i], data[i + 1], data[i + 2]
    names = (h.operation.name, meas.operation.name, cond.operation.name)
    if names != ("h", "measure", "if_else") or meas.qubits != h.qubits:
        return None
    op = cond.operation
    assert isinstance(op, IfElseOp)
    bit, value = op.condition
    body = op.blocks[0]
    if len(op.blocks) > 1 or bit != meas.clbits[0] or value not in (1, True):
        return None
    if [inst.operation.name for inst in body.data] != ["cz", "x"]:
        return None

    def outer(q: Qubit) -> int:
        return circuit.find_bit(cond.qubits[body.find_bit(q).index]).index

    anc = circuit.find_bit(h.qubits[0]).index
    cz, x = body.data
    if outer(x.qubits[0]) != anc:
        return None
    return anc, outer(cz.qubits[0]), outer(cz.qubits[1])


def _compile(circuit: QuantumCircuit, noise: PauliNoise) -> list[_AnyStep]:
    steps: list[_AnyStep] = []
    # Custom gates: one matrix per gate object. The dict holds the object itself, so its id
    # cannot be reused by a later (temporary) operation while we compile.
    local: dict[int, tuple[Instruction, _Monomial]] = {}
    costs: dict[tuple[object, ...], int] = {}
    data = circuit.data
    i = -1
    while i + 1 < len(data):
        i += 1
        inst = data[i]
        op = inst.operation
        if op.name in _SKIPPED:
            continue
        measured = _measured_uncompute(circuit, data, i) if op.name == "h" else None
        if measured is not None:
            steps.append(
                _Measured(
                    qubits=measured,
                    error=noise.one_qubit,
                    fix_error=noise.gate_error(2, 1),
                    x_error=noise.one_qubit,
                )
            )
            i += 2
            continue
        if op.name == "if_else":
            raise CircuitInputError(
                "trajectories follow feed-forward only as a measured uncompute "
                "(h, measure, if (bit) {cz; x})"
            )
        qubits = tuple(circuit.find_bit(q).index for q in inst.qubits)
        key = _cache_key(op)
        if key is not None:
            form = _monomial(op)
        else:
            if id(op) not in local:
                local[id(op)] = (op, _monomial(op))
            form = local[id(op)][1]
        cost_key = key if key is not None else ("object", id(op))
        if cost_key not in costs:
            costs[cost_key] = _cx_cost(op)
        k = len(qubits)
        x = np.arange(1 << k)
        out_bits = tuple(
            (j, ((form.perm >> j) & 1).astype(np.uint8))
            for j in range(k)
            if np.any(((form.perm >> j) & 1) != ((x >> j) & 1))
        )
        angle = form.angle
        spread = np.ptp(np.angle(np.exp(1j * (angle - angle[0]))))
        steps.append(
            _Step(
                qubits=qubits,
                out_bits=out_bits,
                angle=None if spread < 1e-12 else angle,
                error=noise.gate_error(k, costs[cost_key]),
            )
        )
    return steps


def _idle_slots(
    steps: Sequence[_AnyStep], num_qubits: int
) -> tuple[int, list[np.ndarray], list[np.ndarray], np.ndarray]:
    """ASAP layers; per qubit the busy layers and the step index of each busy layer."""
    last = np.zeros(num_qubits, dtype=np.int64)
    busy: list[list[int]] = [[] for _ in range(num_qubits)]
    where: list[list[int]] = [[] for _ in range(num_qubits)]
    for g, step in enumerate(steps):
        layer = int(max(last[q] for q in step.qubits))
        for q in step.qubits:
            last[q] = layer + 1
            busy[q].append(layer)
            where[q].append(g)
    depth = int(last.max()) if num_qubits else 0
    busy_arr = [np.asarray(b, dtype=np.int64) for b in busy]
    idle_counts = np.array([depth - len(b) for b in busy], dtype=np.int64)
    return depth, busy_arr, [np.asarray(w, dtype=np.int64) for w in where], idle_counts


def _trajectory_events(
    t: int,
    seed: int,
    steps: Sequence[_AnyStep],
    errors: np.ndarray,
    noise: PauliNoise,
    idle: tuple[int, list[np.ndarray], list[np.ndarray], np.ndarray] | None,
    measured: Sequence[int] = (),
) -> list[tuple[int, int, int, int]]:
    """Events ``(position, qubit, x, z)`` for trajectory ``t``: apply before step ``position``.

    A measured-uncompute step ``g`` gets the event ``(g, -1, m, r)``: its outcome and readout
    flip (drawn after every other error of the trajectory, so circuits without such steps
    draw exactly what they did before).
    """
    rng = np.random.default_rng([seed, t])
    events: list[tuple[int, int, int, int]] = []
    hit = np.flatnonzero(rng.random(len(steps)) < errors)
    for g in hit.tolist():
        step = steps[g]
        if isinstance(step, _Measured):  # the H's error, before the measurement
            pauli = int(rng.integers(1, 4))
            events.append((int(g), step.qubits[0], pauli & 1, pauli >> 1))
            continue
        qubits = step.qubits
        pauli = int(rng.integers(1, 4 ** len(qubits)))
        for j, q in enumerate(qubits):
            x, z = (pauli >> (2 * j)) & 1, (pauli >> (2 * j + 1)) & 1
            if x or z:
                events.append((int(g) + 1, q, x, z))
    if idle is not None and noise.idle > 0:
        _, busy, where, counts = idle
        total = int(counts.sum())
        hits = int(rng.binomial(total, noise.idle)) if total else 0
        if hits:
            slots = np.sort(rng.choice(total, size=hits, replace=False))
            starts = np.concatenate(([0], np.cumsum(counts)))
            for s in slots:
                q = int(np.searchsorted(starts, s, side="right") - 1)
                rank = int(s - starts[q])
                b = busy[q]
                # the idle layer of rank r skips the busy layers before it
                layer = rank + int(np.searchsorted(b - np.arange(len(b)), rank, side="right"))
                nxt = int(np.searchsorted(b, layer))
                position = int(where[q][nxt]) if nxt < len(b) else len(steps)
                pauli = int(rng.integers(1, 4))
                events.append((position, q, pauli & 1, pauli >> 1))
    for g in measured:
        step = steps[g]
        assert isinstance(step, _Measured)
        m = int(rng.integers(2))
        r = int(rng.random() < noise.readout)
        events.append((g, -1, m, r))
        if m ^ r:  # the fix-up runs, with its gates' errors
            anc, flag, a = step.qubits
            if rng.random() < step.fix_error:
                pauli = int(rng.integers(1, 16))
                for j, q in enumerate((flag, a)):
                    x, z = (pauli >> (2 * j)) & 1, (pauli >> (2 * j + 1)) & 1
                    if x or z:
                        events.append((g + 1, q, x, z))
            if rng.random() < step.x_error:
                pauli = int(rng.integers(1, 4))
                events.append((g + 1, anc, pauli & 1, pauli >> 1))
    events.sort()
    return events


def _run_batch(
    steps: Sequence[_AnyStep],
    init: np.ndarray,
    batch_events: Sequence[list[tuple[int, int, int, int]]],
) -> tuple[np.ndarray, np.ndarray]:
    """Propagate ``len(batch_events)`` trajectories; return final bits ``(nq, M)`` and phases."""
    b = init.shape[1]
    batch = len(batch_events)
    state = np.tile(init, (1, batch))
    phase = np.zeros(batch * b)
    flat = sorted(
        (pos, t, q, x, z) for t, events in enumerate(batch_events) for pos, q, x, z in events
    )
    cursor = 0
    outcome = np.zeros(batch * b, dtype=np.uint8)  # m of the next measured step, per column
    flip = np.zeros(batch * b, dtype=np.uint8)  # its readout flip r

    def apply_events(upto: int) -> None:
        nonlocal cursor
        while cursor < len(flat) and flat[cursor][0] <= upto:
            _, t, q, x, z = flat[cursor]
            cols = slice(t * b, (t + 1) * b)
            if q < 0:
                outcome[cols], flip[cols] = x, z
                cursor += 1
                continue
            if z:
                phase[cols] += np.pi * state[q, cols]
            if x:
                state[q, cols] ^= 1
            cursor += 1

    for g, step in enumerate(steps):
        apply_events(g)
        if isinstance(step, _Measured):
            anc, flag, a = step.qubits
            phase += np.pi * (outcome & state[anc])
            phase += np.pi * ((outcome ^ flip) & state[flag] & state[a])
            state[anc] = flip
            outcome[:] = 0
            flip[:] = 0
            continue
        qs = step.qubits
        idx = state[qs[0]].copy() if len(qs) > 1 else state[qs[0]]
        for j in range(1, len(qs)):
            idx |= state[qs[j]] << j
        if step.angle is not None:
            phase += step.angle[idx]
        if step.out_bits:
            new = [(qs[j], lut[idx]) for j, lut in step.out_bits]
            for q, row in new:
                state[q] = row
    apply_events(len(steps))
    return state, phase


def _keys(state: np.ndarray) -> np.ndarray:
    """Exact keys of the basis states in the columns of ``state``: ``(M, W)`` uint64."""
    if state.shape[0] == 0:
        return np.zeros((state.shape[1], 1), dtype=np.uint64)
    packed = np.packbits(state, axis=0)
    pad = (-packed.shape[0]) % 8
    if pad:
        packed = np.concatenate([packed, np.zeros((pad, packed.shape[1]), np.uint8)])
    return np.ascontiguousarray(packed.T).view(np.uint64)


_MIX = np.random.default_rng(20120534).integers(1, 2**63, size=4096, dtype=np.uint64) | 1


def _hash(keys: np.ndarray) -> np.ndarray:
    w = keys.shape[1]
    mix = np.resize(_MIX, w)
    with np.errstate(over="ignore"):
        h = (keys * mix).sum(axis=1, dtype=np.uint64)
        return h ^ (h >> np.uint64(29))


def simulate_trajectories(
    circuit: QuantumCircuit,
    initial: Branches,
    noise: PauliNoise,
    trajectories: int = 1000,
    seed: int = 0,
    keep: Sequence[int] | None = None,
    batch_bytes: int = _BATCH_BYTES,
) -> TrajectoryResult:
    """Query fidelity of ``circuit`` on ``initial`` under Pauli noise, by trajectories.

    With ``keep`` the fidelity is that of the reduced state on those qubits, the others
    (ancillas) traced out: ``F = <psi| Tr_anc rho |psi>``, the query fidelity of Hann et al.
    The ideal run must then leave the ancillas in one basis state shared by every branch
    (a QRAM returns them to ``|0>``); each trajectory's branches are grouped by the ancilla
    state they land on and ``F = sum_groups |sum_branches conj(psi(kept)) a|**2``, exactly.

    Args:
        circuit: A circuit of monomial gates (bound parameters), and measured uncomputes
            (``h``, ``measure``, ``if (bit) {cz; x}``, as the dynamic-circuit QRAMs build).
        initial: The input superposition of basis states.
        noise: The Pauli noise model.
        trajectories: Noisy trajectories to sample. Defaults to 1000.
        seed: Seed of the error samples. Defaults to 0.
        keep: Qubit indices whose reduced state is compared. Defaults to all qubits.
        batch_bytes: Memory for the bit-vectors of one batch of trajectories.
            Defaults to 64 MiB (results do not depend on it).

    Returns:
        Fidelities per trajectory, their mean and standard error.

    Raises:
        CircuitInputError: If a gate is not monomial or not unitary, widths disagree, or
            the ideal run leaves the traced-out qubits entangled with the kept ones.
        ResourceError: If ``trajectories < 1`` or ``keep`` is not a set of qubit indices.
    """
    if isinstance(trajectories, bool) or not isinstance(trajectories, int) or trajectories < 1:
        raise ResourceError(f"trajectories must be a positive int, got {trajectories!r}")
    nq, nb = circuit.num_qubits, initial.bits.shape[0]
    if initial.num_qubits != nq:
        raise CircuitInputError(f"input has {initial.num_qubits} qubits, circuit has {nq}")
    kept = np.arange(nq) if keep is None else np.asarray(sorted(set(keep)), dtype=np.int64)
    if kept.size == 0 or kept.min() < 0 or kept.max() >= nq:
        raise ResourceError(f"keep must name qubits in [0, {nq}), got {keep!r}")
    traced = np.setdiff1d(np.arange(nq), kept)
    steps = _compile(circuit, noise)
    init = np.ascontiguousarray(initial.bits.T)
    ideal_state, ideal_phase = _run_batch(steps, init, [[]])
    ideal_amp = initial.amplitudes * np.exp(1j * ideal_phase)
    ideal_garbage = _keys(ideal_state[traced])
    if np.any(ideal_garbage != ideal_garbage[:1]):
        raise CircuitInputError(
            "the ideal circuit leaves the traced-out qubits entangled with the kept ones"
        )
    ideal_keys = _keys(ideal_state[kept])
    ideal_hash = _hash(ideal_keys)
    order = np.argsort(ideal_hash, kind="stable")
    sorted_hash = ideal_hash[order]
    if np.any(sorted_hash[1:] == sorted_hash[:-1]):  # pragma: no cover - 64-bit collision
        raise ResourceError("branch hash collision; cannot match branches")
    idle = _idle_slots(steps, nq) if noise.idle > 0 else None
    errors = np.array([s.error for s in steps])
    measured = [g for g, s in enumerate(steps) if isinstance(s, _Measured)]
    per_batch = max(1, batch_bytes // max(1, nq * nb + 24 * nb))
    fidelities = [1.0] * trajectories  # an error-free trajectory is the ideal run, exactly
    for start in range(0, trajectories, per_batch):
        events = [
            (t, _trajectory_events(t, seed, steps, errors, noise, idle, measured))
            for t in range(start, min(trajectories, start + per_batch))
        ]
        # outcomes alone (no error, no readout flip) leave the ideal run, exactly
        events = [(t, ev) for t, ev in events if any(e[1] >= 0 or e[3] for e in ev)]
        if not events:
            continue
        state, phase = _run_batch(steps, init, [ev for _, ev in events])
        keys = _keys(state[kept])
        h = _hash(keys)
        pos = np.minimum(np.searchsorted(sorted_hash, h), nb - 1)
        cand = order[pos]
        match = (sorted_hash[pos] == h) & np.all(keys == ideal_keys[cand], axis=1)
        amp = np.tile(initial.amplitudes, len(events)) * np.exp(1j * phase)
        contrib = np.where(match, np.conj(ideal_amp[cand]) * amp, 0.0)
        # group by (trajectory, ancilla basis state): distinct groups add incoherently
        which = np.repeat(np.arange(len(events), dtype=np.uint64), nb)[:, None]
        rows = np.concatenate([which, _keys(state[traced])], axis=1)
        groups, inverse = np.unique(rows, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        sums = np.bincount(inverse, contrib.real, len(groups)) + 1j * np.bincount(
            inverse, contrib.imag, len(groups)
        )
        per_t = np.bincount(groups[:, 0].astype(np.int64), np.abs(sums) ** 2, len(events))
        for (t, _), f in zip(events, per_t, strict=True):
            fidelities[t] = float(min(1.0, f))
    return TrajectoryResult(tuple(fidelities), len(steps), nb, nq)


TargetState = Literal["one", "plus"]


def qram_input(circuit: QuantumCircuit, target: TargetState = "one") -> Branches:
    """The query input: ``address`` in uniform superposition, ``target`` in ``|1>`` or ``|+>``.

    Ancillas (every other register) start in ``|0>``.

    Args:
        circuit: A built QRAM construction (registers ``address`` and ``target``).
        target: ``"one"`` (default; a phase word then shows as a branch phase) or ``"plus"``.

    Raises:
        CircuitInputError: If the circuit has no ``address``/``target`` registers.
    """
    regs = {r.name: r for r in circuit.qregs}
    if "address" not in regs or "target" not in regs:
        raise CircuitInputError("a QRAM circuit needs 'address' and 'target' registers")
    addr = [circuit.find_bit(q).index for q in regs["address"]]
    tgt = [circuit.find_bit(q).index for q in regs["target"]]
    n, b = len(addr), len(tgt)
    target_values = [(1 << b) - 1] if target == "one" else list(range(1 << b))
    rows = []
    for i in range(1 << n):
        for t in target_values:
            row = np.zeros(circuit.num_qubits, dtype=np.uint8)
            row[addr] = (i >> np.arange(n)) & 1
            row[tgt] = (t >> np.arange(b)) & 1
            rows.append(row)
    amps = np.full(len(rows), 1 / math.sqrt(len(rows)), dtype=complex)
    return Branches(np.array(rows), amps)


def qram_query_circuit(
    kind: str, num_words: int, word_bits: int = 1, seed: int = 0
) -> QuantumCircuit:
    """A built QRAM construction storing random phase words.

    Args:
        kind: A construction kind (:data:`qcompile.qram.CONSTRUCTIONS`).
        num_words: ``N``, a power of two >= 2.
        word_bits: Target qubits ``b``. Defaults to 1.
        seed: Seed of the phases, uniform in ``[0, 2 pi)``. Defaults to 0.

    Raises:
        CompileError: If the kind is unknown. ResourceError: if the size is impossible.
    """
    from qcompile.qram.query import QRAMWords
    from qcompile.qram.registry import get_construction

    cls = get_construction(kind)
    if isinstance(num_words, bool) or not isinstance(num_words, int):
        raise ResourceError(f"the number of words must be an int, got {num_words!r}")
    rng = np.random.default_rng([seed, num_words, word_bits])
    phases = rng.uniform(0, 2 * np.pi, size=(num_words, word_bits))
    words = QRAMWords.angles([tuple(float(p) for p in row) for row in phases], mode="phase")
    return cls(words).build()


def qram_query_fidelity(
    kind: str,
    num_words: int,
    noise: PauliNoise,
    trajectories: int = 1000,
    seed: int = 0,
    target: TargetState = "one",
    traced: bool = True,
) -> TrajectoryResult:
    """Query fidelity of a QRAM construction holding random phase words (one-bit words).

    Args:
        kind: A construction kind, e.g. ``"bucket-brigade"``.
        num_words: ``N``.
        noise: The Pauli noise model.
        trajectories: Defaults to 1000.
        seed: Seeds the words and the error samples. Defaults to 0.
        target: Target input state (see :func:`qram_input`). Defaults to ``"one"``.
        traced: Trace out the ancillas (Hann et al.'s query fidelity on ``address`` and
            ``target``); False compares the full state. Defaults to True.

    Returns:
        The trajectory estimate.
    """
    circuit = qram_query_circuit(kind, num_words, seed=seed)
    keep = qram_kept_qubits(circuit) if traced else None
    return simulate_trajectories(
        circuit, qram_input(circuit, target), noise, trajectories, seed, keep
    )


def qram_kept_qubits(circuit: QuantumCircuit) -> list[int]:
    """Indices of the ``address`` and ``target`` qubits (what a query's output is)."""
    return [
        circuit.find_bit(q).index
        for reg in circuit.qregs
        if reg.name in ("address", "target")
        for q in reg
    ]
