"""Check a compiled (laid-out and routed) QRAM query against the query semantics.

:func:`compiled_query_fidelity` runs, with Aer's matrix-product-state simulator,

    prepare(psi) on the address/target qubits -> the ISA circuit -> reference query^-1 ->
    prepare(psi)^-1

with the address and target placed through the circuit's initial layout and read back through
its final layout, and returns the probability of all-zero. It is 1 exactly when the compiled
circuit maps ``|psi>|0...0>`` to ``(Q|psi>)|0...0>`` up to a global phase, where ``Q`` is
:func:`~qcompile.qram.query.reference_circuit` (one multi-controlled gate per word, written from
the definition and independent of every construction) and ``|psi>`` is a random entangled state
of the address and target: every address is read at once, and every ancilla (routers, ports and
the device's unused qubits) must come back to ``|0>``. Only the qubits that some gate touches
are simulated, so a compiled 32-word brigade (about 50 active qubits of a 156-qubit device) takes
about a second. :func:`compiled_fidelity` is the same for any reference circuit.

:func:`check_lookup_compilation` is what the compile path runs on every compiled lookup the
equivalence proof does not settle (:func:`qcompile.pipeline.compile_circuit`, reported as
``lookup_check``): first an exact sparse simulation of every basis input of the address and
target (``basis_inputs``: agreement with one global phase proves equality on the subspace where
the other qubits start in ``|0>``), and when the ISA circuit holds too much superposition for
that, the random-state fidelity above (``random_state``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast

import numpy as np
from qiskit import QuantumCircuit
from qiskit.converters import circuit_to_dag

from hardware_profiles.errors import CompileError
from qcompile.basis import lower_to_basis
from qcompile.qram.query import QUERY_GATE_NAME, QRAMWords, reference_circuit
from qcompile.qram.sparse_sim import NotSparseError, SparseState, simulate_basis_inputs

__all__ = [
    "LookupCheck",
    "check_lookup_compilation",
    "compiled_query_fidelity",
    "random_logical_state",
]

_MPS_BASIS = ("u", "p", "rz", "ry", "sx", "x", "h", "cx", "cz", "ecr")


def random_logical_state(num_qubits: int, seed: int = 0) -> QuantumCircuit:
    """A seeded circuit preparing a generic entangled state (every amplitude non-zero a.s.).

    Args:
        num_qubits: Width.
        seed: Seed of the angles. Defaults to 0.

    Returns:
        RY/RZ layers around a CX chain.
    """
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(num_qubits, name="psi")
    for q in range(num_qubits):
        qc.ry(rng.uniform(0.3, 2.8), q)
        qc.rz(rng.uniform(-3.0, 3.0), q)
    for q in range(num_qubits - 1):
        qc.cx(q, q + 1)
        qc.ry(rng.uniform(0.3, 2.8), q)
    return qc


def compiled_query_fidelity(isa: QuantumCircuit, words: QRAMWords, *, seed: int = 0) -> float:
    """Fidelity of a compiled query with the query semantics (see the module docstring).

    Args:
        isa: A transpiled circuit with a ``layout`` whose first ``n + b`` virtual qubits are the
            construction's ``address`` and ``target`` (as every construction's ``build()`` has
            them).
        words: The stored words (angles bound to floats).
        seed: Seed of the random input state. Defaults to 0.

    Returns:
        ``|<psi, 0| P^-1 Q^-1 U P |psi, 0>|^2``; 1 up to rounding when correct.

    Raises:
        CompileError: If ``isa`` has no layout or ``words`` hold unbound parameters.
    """
    reference = reference_circuit(words)
    if reference.parameters:
        raise CompileError("bind the words' parameters before checking")
    return compiled_fidelity(reference, isa, seed=seed)


def compiled_fidelity(
    reference: QuantumCircuit,
    isa: QuantumCircuit,
    *,
    input_qubits: int | None = None,
    seed: int = 0,
) -> float:
    """``|<psi, 0| P^-1 R^-1 U P |psi, 0>|^2`` for a random entangled state ``psi``.

    ``psi`` lives on the reference's first ``input_qubits`` qubits (placed through ``isa``'s
    initial layout and read back through its final layout); every other qubit ``isa`` touches
    starts in ``|0>`` and must come back to it. Aer's matrix-product-state simulator runs
    only the touched qubits.

    Args:
        reference: The logical circuit (bound; ``QRAMQuery`` gates through their reference
            definition).
        isa: A transpiled, bound circuit with a ``layout``.
        input_qubits: How many leading reference qubits ``psi`` covers. Defaults to all.
        seed: Seed of the random input state. Defaults to 0.

    Returns:
        The fidelity; 1 up to rounding when ``isa`` equals ``reference`` on that subspace.

    Raises:
        CompileError: If ``isa`` has no layout or either circuit has free parameters.
    """
    from qiskit_aer import AerSimulator

    if isa.layout is None:
        raise CompileError("the circuit has no layout; pass a transpiled circuit")
    if reference.parameters or isa.parameters:
        raise CompileError("bind the circuits' parameters before checking")
    k = reference.num_qubits
    initial = isa.layout.initial_index_layout(filter_ancillas=True)[:k]
    final = isa.layout.final_index_layout(filter_ancillas=True)[:k]
    touched = {isa.find_bit(q).index for inst in isa.data for q in inst.qubits}
    active = sorted(touched | set(initial) | set(final))
    position = {p: j for j, p in enumerate(active)}
    m = k if input_qubits is None else input_qubits
    prep = random_logical_state(m, seed)
    # Only the small preparations need lowering when the ISA circuit is in Aer's MPS basis
    # already (lowering all of a large lookup costs as much as simulating it).
    native = all(
        inst.operation.name in _MPS_BASIS or inst.operation.name in ("barrier", "delay")
        for inst in isa.data
    )

    def lowered(circuit: QuantumCircuit) -> QuantumCircuit:
        return lower_to_basis(circuit, _MPS_BASIS) if native else circuit

    full = QuantumCircuit(len(active), global_phase=isa.global_phase)
    full.compose(lowered(prep), [position[p] for p in initial[:m]], inplace=True)
    for inst in isa.data:
        if inst.operation.name in ("barrier", "delay"):
            continue
        qargs = [full.qubits[position[isa.find_bit(q).index]] for q in inst.qubits]
        full._append(inst.operation, qargs, ())
    back = [position[p] for p in final]
    unprepare = _expected_unpreparation(reference, prep)
    if unprepare is not None:  # (R P)^-1 as one small state preparation on R's qubits
        circuit, used = unprepare
        full.compose(lowered(circuit), [back[v] for v in used], inplace=True)
    else:
        full.compose(lowered(reference.inverse()), back, inplace=True)
        full.compose(lowered(prep.inverse()), back[:m], inplace=True)
    # Lower to Aer's MPS basis ourselves: the backend's own check caps the width at 63.
    run = full if native else lower_to_basis(full, _MPS_BASIS)
    run.save_amplitudes([0])
    sim = AerSimulator(method="matrix_product_state")
    result = sim.run(run).result()
    return float(abs(result.data()["amplitudes"][0]) ** 2)


def _expected_unpreparation(
    reference: QuantumCircuit, prep: QuantumCircuit, max_qubits: int = 8
) -> tuple[QuantumCircuit, list[int]] | None:
    """The inverse of a preparation of ``R P |0>`` on the qubits ``R`` or ``P`` use, if few.

    The expected state is computed densely (``Statevector``; ``QRAMQuery`` gates through their
    reference definition), so uncomputing it costs one small state preparation instead of the
    reference's inverse, whose multi-controlled gates dominate the simulation of large lookups.
    """
    from qiskit.circuit.library import StatePreparation
    from qiskit.quantum_info import Statevector

    used = sorted(
        {reference.find_bit(q).index for inst in reference.data for q in inst.qubits}
        | set(range(prep.num_qubits))
    )
    if len(used) > max_qubits:
        return None
    from qiskit.quantum_info import Operator

    local = {v: j for j, v in enumerate(used)}
    start = QuantumCircuit(len(used))
    start.compose(prep, [local[v] for v in range(prep.num_qubits)], inplace=True)
    state = Statevector(start)
    for inst in reference.data:
        if inst.operation.name in ("barrier", "delay"):
            continue
        qargs = [local[reference.find_bit(q).index] for q in inst.qubits]
        table = _lookup_matrix(inst.operation)  # a lookup: from its table, not its definition
        state = state.evolve(Operator(table) if table is not None else inst.operation, qargs=qargs)
    expected = state.data * np.exp(1j * float(reference.global_phase))
    unprepare = QuantumCircuit(len(used))
    unprepare.append(StatePreparation(expected).inverse(), range(len(used)))
    return unprepare, used


LookupStatus = Literal["exact", "wrong", "not_checked"]


@dataclass(frozen=True)
class LookupCheck:
    """Verdict of :func:`check_lookup_compilation`.

    Attributes:
        status: ``exact`` (the compiled circuit maps every basis input to the reference's
            image, one common global phase, every other qubit back to ``|0>``: by linearity it
            equals the reference on the whole subspace where the non-input qubits start in
            ``|0>``), ``wrong`` (some input disagrees; ``detail`` names it) or ``not_checked``
            (``detail`` says why).
        inputs: Basis inputs simulated (``2**input_qubits``).
        input_qubits: Logical qubits taking every basis value (address and target of a
            lookup, or every qubit of a circuit with lowered lookups).
        detail: What was proven, or the first disagreement, or why nothing was.
        seconds: Time the check took.
        parameters_bound: Whether free parameters were bound to random values first (the
            verdict is then for those values).
    """

    status: LookupStatus
    inputs: int
    input_qubits: int
    detail: str
    seconds: float
    parameters_bound: bool = False
    method: str = "basis_inputs"

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON dictionary."""
        return asdict(self)


def _lookup_matrix(op: Any) -> np.ndarray | None:
    """The dense matrix of a bound ``QRAMQuery``, written from the lookup table."""
    if getattr(op, "name", None) != QUERY_GATE_NAME:
        return None
    words: QRAMWords = op.words
    n, b = words.n, words.b
    dim = 1 << (n + b)
    mat = np.zeros((dim, dim), dtype=complex)
    for a in range(1 << n):
        if words.mode == "bits":
            block = np.zeros((1 << b, 1 << b))
            for t in range(1 << b):
                block[t ^ int(cast(int, words.values[a])), t] = 1.0
        else:
            block = np.ones((1, 1), dtype=complex)
            for j in range(b):  # target qubit j is bit j: later factors on the left
                angle = float(cast(float, words.angle(a, j)))
                if words.mode == "ry":
                    c, s = np.cos(angle / 2), np.sin(angle / 2)
                    one = np.array([[c, -s], [s, c]], dtype=complex)
                else:
                    one = np.diag([1.0, np.exp(1j * angle)])
                block = np.kron(one, block)
        for t_out in range(1 << b):
            for t_in in range(1 << b):
                mat[a | t_out << n, a | t_in << n] = block[t_out, t_in]
    return mat


def _bind_random(
    circuits: Sequence[QuantumCircuit], seed: int
) -> tuple[list[QuantumCircuit], bool]:
    names = sorted({p.name for c in circuits for p in c.parameters})
    if not names:
        return list(circuits), False
    rng = np.random.default_rng(seed)
    values = {name: float(rng.uniform(-np.pi, np.pi)) for name in names}
    return [
        c.assign_parameters({p: values[p.name] for p in c.parameters}) if c.parameters else c
        for c in circuits
    ], True


def check_lookup_compilation(
    reference: QuantumCircuit,
    isa: QuantumCircuit,
    *,
    input_qubits: int | None = None,
    max_input_qubits: int = 14,
    max_support: int = 1 << 14,
    max_work: int = 1 << 17,
    seed: int = 0,
) -> LookupCheck:
    """Checks a compiled circuit on every basis input against a reference, exactly.

    First (method ``basis_inputs``) both circuits run on every basis state of the reference's
    first ``input_qubits`` qubits (the others start in ``|0>``) in a sparse simulation
    (:mod:`qcompile.qram.sparse_sim`); ``QRAMQuery`` gates of the reference act through the
    lookup table itself (not any construction), the ISA circuit through its initial and final
    layouts. Agreement on every basis input with one global phase proves equality on the
    subspace where the other qubits start in ``|0>``. The optimized ISA circuit of a large
    lookup often holds too much superposition for that (past ``max_support`` amplitudes or
    ``max_work`` updates); the check then runs (method ``random_state``)
    :func:`compiled_fidelity` on a seeded random entangled state of the input qubits, which a
    circuit that differs on that subspace fails with probability 1 (to the ``1e-6`` tolerance
    on the fidelity).

    Args:
        reference: The logical circuit (e.g. the input of a compile with ``qram`` lowering,
            or a ``QRAMQuery`` on ``address`` + ``target`` padded with idle ancillas).
        isa: The compiled circuit (with its ``layout``).
        input_qubits: Leading reference qubits that take every basis value. Defaults to all.
        max_input_qubits: Refuse beyond this many input qubits. Defaults to 14.
        max_support: Leave the basis-input simulation when a state grows past this. Defaults
            to ``2**14``.
        max_work: Leave it after this many amplitude updates. Defaults to ``2**17``.
        seed: Seed of the random values bound to free parameters. Defaults to 0.

    Returns:
        The verdict; never raises for a circuit it cannot follow (``not_checked``).
    """
    start = time.perf_counter()
    k = reference.num_qubits if input_qubits is None else input_qubits

    def verdict(
        status: LookupStatus, detail: str, bound: bool = False, method: str = "basis_inputs"
    ) -> LookupCheck:
        inputs = 1 << k if method == "basis_inputs" else 1
        return LookupCheck(status, inputs, k, detail, time.perf_counter() - start, bound, method)

    if k > max_input_qubits:
        return verdict("not_checked", f"{k} input qubits > limit {max_input_qubits}")
    (reference, isa), bound = _bind_random([reference, isa], seed)
    width = reference.num_qubits
    if isa.layout is not None:
        initial = list(isa.layout.initial_index_layout(filter_ancillas=True))
        final = list(isa.layout.final_index_layout(filter_ancillas=True))
    else:
        initial = final = list(range(width))
    if len(initial) < width or len(final) < width:
        return verdict("not_checked", "the layout does not place every reference qubit", bound)
    initial, final = initial[:width], final[:width]
    touched = {isa.find_bit(q).index for inst in isa.data for q in inst.qubits}
    others = sorted(touched - set(initial))
    position = {p: v for v, p in enumerate(initial)}
    position.update({p: width + j for j, p in enumerate(others)})
    isa_index = {isa.qubits[p]: i for p, i in position.items()}
    try:
        want = simulate_basis_inputs(
            circuit_to_dag(reference),
            k,
            max_support=max_support,
            max_work=max_work,
            matrix_of=_lookup_matrix,
        )
        got = simulate_basis_inputs(
            circuit_to_dag(isa),
            k,
            qubit_index=isa_index,
            max_support=max_support,
            max_work=max_work,
        )
    except NotSparseError:
        return _random_state_check(reference, isa, k, seed, verdict, bound)
    # Read the compiled state back on the reference's qubits through the final layout.
    got_keys = np.zeros((len(got.amps), want.keys.shape[1]), dtype=np.uint64)
    got_keys[:, -1] = got.inputs()
    ends = [position.get(p) for p in final]
    if any(e is None for e in ends):
        return verdict("not_checked", "the final layout names a qubit no gate touches", bound)
    for v, e in enumerate(ends):
        got_keys[:, v >> 6] |= got.bit(cast(int, e)) << np.uint64(v & 63)
    rest = got.keys[:, :-1].copy()
    for e in ends:
        rest[:, cast(int, e) >> 6] &= ~(np.uint64(1) << np.uint64(cast(int, e) & 63))
    dirty = rest.any(axis=1)
    if dirty.any():
        x = int(got.inputs()[np.argmax(dirty)])
        return verdict("wrong", f"basis input {x}: an ancilla is not back in |0>", bound)
    return _compare(want, got_keys, got.amps, verdict, bound)


def _random_state_check(
    reference: QuantumCircuit,
    isa: QuantumCircuit,
    inputs: int,
    seed: int,
    verdict: Any,
    bound: bool,
) -> LookupCheck:
    try:
        fidelity = compiled_fidelity(reference, isa, input_qubits=inputs, seed=seed)
    except Exception as exc:  # an instruction Aer or the basis lowering cannot take
        detail = "random-state simulation failed: " + " ".join(str(exc).split())[:200]
        return verdict("not_checked", detail, bound, "random_state")
    if fidelity < 1 - 1e-6:
        return verdict(
            "wrong", f"fidelity {fidelity:.9f} on a random input state", bound, "random_state"
        )
    return verdict(
        "exact",
        f"fidelity {fidelity:.9f} on a random entangled state of the inputs, other qubits "
        "back to |0> (a circuit that differs there fails with probability 1)",
        bound,
        "random_state",
    )


def _compare(
    want: SparseState, got_keys: np.ndarray, got_amps: np.ndarray, verdict: Any, bound: bool
) -> LookupCheck:
    def table(keys: np.ndarray, amps: np.ndarray) -> dict[bytes, complex]:
        rows = np.ascontiguousarray(keys)
        return {rows[i].tobytes(): complex(amps[i]) for i in range(len(amps))}

    expected = table(want.keys, want.amps)
    actual = table(got_keys, got_amps)
    pivot = max(expected, key=lambda key: abs(expected[key]))
    if pivot not in actual:
        return verdict("wrong", "the compiled circuit misses an output of the reference", bound)
    phase = actual[pivot] / expected[pivot]
    for key in expected.keys() | actual.keys():
        if abs(actual.get(key, 0.0) - phase * expected.get(key, 0.0)) > 1e-6:
            x = int(np.frombuffer(key, dtype=np.uint64)[-1])
            return verdict("wrong", f"basis input {x}: output differs from the reference", bound)
    inputs = len({np.frombuffer(key, dtype=np.uint64)[-1] for key in expected})
    return verdict(
        "exact",
        f"all {inputs} basis inputs map to the reference's outputs with one global phase, "
        "other qubits back to |0> (so equal on that subspace)",
        bound,
    )
