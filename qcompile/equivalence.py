"""Checking that a compiled (ISA) circuit still does what its logical circuit does.

What is proven depends on the circuit, and every result names it (``notion``):

* ``unitary`` — a circuit without measurement: the two unitaries agree up to global phase
  on every input whose non-logical qubits (routing and QRAM ancillas) are |0>.
* ``measured_distribution`` — a circuit whose measurements are all final: for every input
  state, both give the same distribution of measurement outcomes (QCEC's partial
  equivalence, Chen, Burgholzer et al. 2022, arXiv:2208.07564). This is the notion that
  matters for a measured circuit, and the one under which the transpiler may legally drop
  diagonal gates before final measurements (``RemoveDiagonalGatesBeforeMeasure``), which
  changes the unitary.
* ``output_from_zero_state`` — anything with mid-circuit measurement, reset or control
  flow (and the fallback for measured circuits): run from |0…0>, both give the same
  classical outcome distribution and the same final state of the logical qubits on every
  outcome, computed exactly by :mod:`qcompile.zero_state` for small circuits.

Methods: ``qcec``, MQT QCEC's decision-diagram checker (Burgholzer & Wille 2020,
arXiv:2004.08420), which reads Qiskit's layout; ``operator``, our own dense unitary
comparison (the compiled circuit restricted to the physical qubits it touches, the logical
unitary placed on the initial layout and followed by the routing permutation);
``density_matrix``, the exact zero-state run. Barriers and delays are ignored (ideal
identities). When no method applies the status is ``not_checked`` and ``detail`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import ControlFlowOp
from qiskit.circuit.library import PermutationGate
from qiskit.quantum_info import DensityMatrix, Operator, partial_trace

from qcompile.zero_state import NotSimulableError, zero_state_output

__all__ = ["EquivalenceResult", "active_qubits", "check_equivalence"]

Status = Literal["equivalent", "probably_equivalent", "not_equivalent", "skipped", "not_checked"]
Notion = Literal["unitary", "measured_distribution", "output_from_zero_state", "none"]
_OPERATOR_MAX_QUBITS = 8  # dense operators: 8 qubits take ~0.1 s, 12 took minutes
_DENSITY_MAX_QUBITS = 8  # density matrices: 4^8 entries per classical branch
_TOLERANCE = 1e-7
_PASSIVE = {"barrier", "delay"}


@dataclass(frozen=True)
class EquivalenceResult:
    """Outcome of an equivalence check.

    Attributes:
        status: ``equivalent`` (proven in the sense of ``notion``), ``probably_equivalent``
            (QCEC's decision-diagram proof ran out of time but its random-stimuli
            simulations all agreed), ``not_equivalent``, ``skipped`` (deliberately: too
            wide for the limit, or disabled) or ``not_checked`` (no method could decide;
            ``detail`` says why).
        method: ``qcec``, ``operator``, ``density_matrix`` or ``none``.
        qubits: active physical qubits compared.
        detail: the checker's verdict or the reason for not checking.
        notion: what equivalence means here: ``unitary``, ``measured_distribution``,
            ``output_from_zero_state`` (see the module docstring) or ``none``.
    """

    status: Status
    method: str
    qubits: int
    detail: str = ""
    notion: Notion = "none"


def active_qubits(circuit: QuantumCircuit) -> list[int]:
    """Physical qubits a compiled circuit acts on (barriers and delays do not count).

    A control-flow instruction counts for every qubit it spans.
    """
    used: set[int] = set()
    for instruction in circuit.data:
        if instruction.operation.name in _PASSIVE:
            continue
        used.update(circuit.find_bit(q).index for q in instruction.qubits)
    if circuit.layout is not None:
        used.update(circuit.layout.initial_index_layout(filter_ancillas=True))
    return sorted(used)


def _bind_same(
    logical: QuantumCircuit, compiled: QuantumCircuit, seed: int
) -> tuple[QuantumCircuit, QuantumCircuit]:
    """Binds both circuits' free parameters (matched by name) to the same random values."""
    if not logical.parameters and not compiled.parameters:
        return logical, compiled
    rng = np.random.default_rng(seed)
    values = {p.name: float(rng.uniform(-np.pi, np.pi)) for p in logical.parameters}
    for p in compiled.parameters:
        values.setdefault(p.name, float(rng.uniform(-np.pi, np.pi)))

    def bind(circuit: QuantumCircuit) -> QuantumCircuit:
        return circuit.assign_parameters({p: values[p.name] for p in circuit.parameters})

    return bind(logical), bind(compiled)


Kind = Literal["unitary", "measured", "dynamic"]


def circuit_kind(circuit: QuantumCircuit) -> Kind:
    """What kind of equivalence a circuit admits.

    Returns:
        ``unitary`` (no measurement, reset or control flow), ``measured`` (gates, then
        final measurements) or ``dynamic`` (mid-circuit measurement, reset, control flow,
        or a classical bit written twice).
    """
    measured_qubits: set[Any] = set()
    written: set[Any] = set()
    kind: Kind = "unitary"
    for instruction in circuit.data:
        op = instruction.operation
        if op.name in _PASSIVE:
            continue
        if isinstance(op, ControlFlowOp) or op.name == "reset":
            return "dynamic"
        if any(q in measured_qubits for q in instruction.qubits):
            return "dynamic"  # an operation after a measurement on the same qubit
        if op.name == "measure":
            if instruction.clbits[0] in written:
                return "dynamic"
            written.add(instruction.clbits[0])
            measured_qubits.add(instruction.qubits[0])
            kind = "measured"
        elif instruction.clbits:
            return "dynamic"
    return kind


def _operator_check(logical: QuantumCircuit, compiled: QuantumCircuit) -> bool:
    layout = compiled.layout
    active = active_qubits(compiled)
    index = {q: i for i, q in enumerate(active)}
    k = len(active)
    compact = QuantumCircuit(k, global_phase=compiled.global_phase)
    for instruction in compiled.data:
        if instruction.operation.name in _PASSIVE:
            continue
        qubits = [index[compiled.find_bit(q).index] for q in instruction.qubits]
        compact.append(instruction.operation, qubits)
    if layout is None:
        initial = list(range(logical.num_qubits))
        routing = list(range(compiled.num_qubits))
    else:
        initial = list(layout.initial_index_layout(filter_ancillas=True))
        routing = list(layout.routing_permutation())
    expected = QuantumCircuit(k)
    expected.compose(logical, qubits=[index[p] for p in initial], inplace=True)
    # routing_permutation()[i] is the physical qubit whose state ends on physical i.
    perm = [index[routing[p]] for p in active]
    if perm != list(range(k)):
        inverse = [0] * k
        for out_pos, src in enumerate(perm):
            inverse[src] = out_pos
        expected.append(PermutationGate(inverse), range(k))
    # Every qubit that holds no logical input starts in |0> (routing and QRAM ancillas):
    # compare only the columns of such inputs, up to one global phase.
    inputs = {index[p] for p in initial}
    mask = sum(1 << q for q in range(k) if q not in inputs)
    columns = [c for c in range(2**k) if c & mask == 0]
    got = Operator(compact).data[:, columns]
    want = Operator(expected).data[:, columns]
    pivot = np.unravel_index(np.argmax(np.abs(want)), want.shape)
    if abs(got[pivot]) < 1e-9:
        return False
    phase = got[pivot] / want[pivot]
    return bool(abs(abs(phase) - 1) < 1e-8 and np.allclose(got, phase * want, atol=1e-8))


def _plain(circuit: QuantumCircuit) -> QuantumCircuit:
    """The circuit on one quantum and one classical register, without barriers or delays.

    QCEC reads qubits through registers (loose bits, as in OpenQASM 3 that addresses
    physical qubits ``$0``, have none) and has no ``delay``; both are ideal identities, so
    dropping them changes nothing that is compared. A compiled circuit keeps its layout.
    """
    plain = QuantumCircuit(
        QuantumRegister(circuit.num_qubits, "q"),
        *([ClassicalRegister(circuit.num_clbits, "c")] if circuit.num_clbits else []),
        global_phase=circuit.global_phase,
        name=circuit.name,
    )
    for instruction in circuit.data:
        if instruction.operation.name in _PASSIVE:
            continue
        plain.append(
            instruction.operation,
            [plain.qubits[circuit.find_bit(q).index] for q in instruction.qubits],
            [plain.clbits[circuit.find_bit(c).index] for c in instruction.clbits],
            copy=False,
        )
    plain._layout = circuit.layout  # the same virtual → physical facts, by index
    return plain


def _qcec_check(
    logical: QuantumCircuit, compiled: QuantumCircuit, timeout: float, partial: bool
) -> str:
    """QCEC's verdict name, e.g. ``equivalent_up_to_global_phase``.

    ``partial`` asks for partial equivalence: the same measured distribution on every input.
    """
    from mqt import qcec

    # The ZX checker often answers "no conclusion" on routed circuits; the alternating
    # decision-diagram checker proves, and the simulation checker refutes quickly.
    result = qcec.verify(
        _plain(logical),
        _plain(compiled),
        run_zx_checker=False,
        timeout=timeout,
        check_partial_equivalence=partial,
    )
    return str(result.equivalence).rsplit(".", 1)[-1]


_PROVEN = {"equivalent", "equivalent_up_to_global_phase", "equivalent_up_to_phase"}


def _zero_state_check(logical: QuantumCircuit, compiled: QuantumCircuit) -> str:
    """Compares the exact outputs from |0…0>; returns "" when equal, else how they differ.

    Raises:
        NotSimulableError: an instruction or condition the simulation cannot follow.
    """
    if compiled.num_clbits != logical.num_clbits:
        return f"{logical.num_clbits} classical bits in, {compiled.num_clbits} out"
    active = active_qubits(compiled)
    index = {q: i for i, q in enumerate(active)}
    k = len(active)
    want = zero_state_output(
        logical, {q: i for i, q in enumerate(logical.qubits)}, logical.num_qubits
    )
    got = zero_state_output(compiled, {compiled.qubits[p]: i for p, i in index.items()}, k)
    layout = compiled.layout
    final = (
        list(layout.final_index_layout(filter_ancillas=True))
        if layout is not None
        else list(range(logical.num_qubits))
    )
    if any(p not in index for p in final):
        raise NotSimulableError("the final layout names a qubit the circuit does not use")
    # Where each logical qubit's state ends among the compiled circuit's active qubits.
    ends = [index[p] for p in final]
    kept = sorted(ends)
    traced = [i for i in range(k) if i not in set(ends)]
    # After the partial trace the kept positions are in ascending order; logical qubit v
    # sits at kept.index(ends[v]); this permutation puts it at position v.
    order = [kept.index(e) for e in ends]
    for key in set(want) | set(got):
        p_want = float(np.real(np.trace(want[key].data))) if key in want else 0.0
        p_got = float(np.real(np.trace(got[key].data))) if key in got else 0.0
        if abs(p_want - p_got) > _TOLERANCE:
            bits = "".join(str(b) for b in reversed(key)) or "-"
            return f"outcome {bits}: probability {p_want:.6g} in, {p_got:.6g} out"
        if p_want <= _TOLERANCE:
            continue
        rho: DensityMatrix = partial_trace(got[key], traced) if traced else got[key]
        if order != list(range(len(order))):
            # PermutationGate(pattern): pattern[v] is the qubit that moves to position v.
            rho = rho.evolve(PermutationGate(order))
        if not np.allclose(rho.data, want[key].data, atol=_TOLERANCE):
            bits = "".join(str(b) for b in reversed(key)) or "-"
            return f"outcome {bits}: final state of the logical qubits differs"
    return ""


def check_equivalence(
    logical: QuantumCircuit,
    compiled: QuantumCircuit,
    max_qubits: int = 12,
    method: Literal["auto", "qcec", "operator", "density_matrix"] = "auto",
    seed: int = 0,
    timeout: float = 10.0,
) -> EquivalenceResult:
    """Checks a compiled circuit against its logical circuit, layout-aware.

    Free parameters are bound to the same random values in both circuits first. ``auto``
    picks by the circuit (see the module docstring): QCEC for unitary circuits (the dense
    operator comparison decides when QCEC cannot, up to 8 active qubits), QCEC's
    measured-distribution check for circuits whose measurements are all final (the exact
    zero-state run decides when QCEC cannot, up to 8), and the exact zero-state run for
    dynamic circuits (up to 8). Anything else is ``not_checked`` with the reason.

    Args:
        logical: the circuit before compilation.
        compiled: the transpiled circuit, carrying its ``layout``.
        max_qubits: skip when more physical qubits are active. Defaults to 12.
        method: ``auto`` (default), ``qcec``, ``operator`` or ``density_matrix``.
        seed: seed for the parameter values.
        timeout: seconds QCEC may spend. Defaults to 10.
    """
    k = len(active_qubits(compiled))
    if k > max_qubits:
        return EquivalenceResult("skipped", "none", k, f"{k} active qubits > limit {max_qubits}")
    logical, compiled = _bind_same(logical, compiled, seed)
    kinds = {circuit_kind(logical), circuit_kind(compiled)}
    kind: Kind = (
        "dynamic" if "dynamic" in kinds else ("measured" if "measured" in kinds else "unitary")
    )
    notion: Notion = "unitary" if kind == "unitary" else "measured_distribution"
    reasons: list[str] = []
    if method in ("auto", "qcec") and kind != "dynamic":
        try:
            verdict = _qcec_check(logical, compiled, timeout, partial=kind == "measured")
        except Exception as exc:  # qcec cannot read the circuit: fall back if we can
            verdict = "error: " + " ".join(str(exc).split())[:200]
        if verdict in _PROVEN:
            return EquivalenceResult("equivalent", "qcec", k, verdict, notion)
        if verdict == "not_equivalent":
            return EquivalenceResult("not_equivalent", "qcec", k, verdict, notion)
        if verdict == "probably_equivalent" and (method == "qcec" or k > _DENSITY_MAX_QUBITS):
            return EquivalenceResult(
                "probably_equivalent",
                "qcec",
                k,
                f"proof timed out after {timeout:g} s; random-stimuli simulations agree",
                notion,
            )
        reasons.append(f"qcec: {verdict}")
    elif method == "qcec":
        reasons.append("qcec: cannot check mid-circuit measurement, reset or control flow")
    if method in ("auto", "operator") and kind == "unitary":
        if k <= _OPERATOR_MAX_QUBITS:
            ok = _operator_check(logical, compiled)
            return EquivalenceResult(
                "equivalent" if ok else "not_equivalent", "operator", k, "Operator.equiv", notion
            )
        reasons.append(f"operator: {k} active qubits > {_OPERATOR_MAX_QUBITS}")
    elif method == "operator":
        reasons.append("operator: comparison needs a unitary circuit")
    if method in ("auto", "density_matrix") and (kind != "unitary" or method != "auto"):
        if k <= _DENSITY_MAX_QUBITS and logical.num_qubits <= _DENSITY_MAX_QUBITS:
            try:
                difference = _zero_state_check(logical, compiled)
            except NotSimulableError as exc:
                reasons.append(f"density_matrix: {exc}")
            except Exception as exc:  # a Qiskit failure on an odd instruction: say so
                reasons.append("density_matrix: error: " + " ".join(str(exc).split())[:200])
            else:
                return EquivalenceResult(
                    "not_equivalent" if difference else "equivalent",
                    "density_matrix",
                    k,
                    difference or "exact outputs from |0…0> agree",
                    "output_from_zero_state",
                )
        else:
            reasons.append(f"density_matrix: {k} active qubits > {_DENSITY_MAX_QUBITS}")
    return EquivalenceResult("not_checked", "none", k, "; ".join(reasons) or "no method applies")
