"""Checking that a compiled (ISA) circuit still does what its logical circuit does.

Two independent methods, both layout-aware:

* ``qcec``: MQT QCEC's decision-diagram equivalence checker (Burgholzer & Wille 2020,
  arXiv:2004.08420), which reads Qiskit's layout and handles final measurements.
* ``operator``: our own dense comparison. The compiled circuit is restricted to the
  physical qubits it touches, the logical unitary is placed on the initial layout and
  followed by the routing permutation, and the two operators are compared up to
  global phase on every input whose non-logical qubits (routing and QRAM ancillas)
  are |0>, which is how an ISA circuit starts. Unitary circuits only; exponential in
  the active qubit count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import PermutationGate
from qiskit.quantum_info import Operator

__all__ = ["EquivalenceResult", "active_qubits", "check_equivalence"]

Status = Literal["equivalent", "probably_equivalent", "not_equivalent", "skipped", "error"]
_OPERATOR_MAX_QUBITS = 8  # dense operators: 8 qubits take ~0.1 s, 12 took minutes
_PASSIVE = {"barrier", "delay"}


@dataclass(frozen=True)
class EquivalenceResult:
    """Outcome of an equivalence check.

    Attributes:
        status: ``equivalent`` (up to global phase, proven), ``probably_equivalent``
            (QCEC's decision-diagram proof ran out of time but its random-stimuli
            simulations all agreed), ``not_equivalent``, ``skipped`` (too wide, timed
            out, or unsupported; see ``detail``) or ``error``.
        method: ``qcec``, ``operator`` or ``none``.
        qubits: active physical qubits compared.
        detail: the checker's verdict or the reason for skipping.
    """

    status: Status
    method: str
    qubits: int
    detail: str = ""


def active_qubits(circuit: QuantumCircuit) -> list[int]:
    """Physical qubits a compiled circuit acts on (barriers and delays do not count)."""
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


def _has_nonunitary(circuit: QuantumCircuit) -> bool:
    return any(inst.operation.name in ("measure", "reset") or inst.clbits for inst in circuit.data)


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


def _qcec_check(logical: QuantumCircuit, compiled: QuantumCircuit, timeout: float) -> str:
    """QCEC's verdict name, e.g. ``equivalent_up_to_global_phase``."""
    from mqt import qcec

    # The ZX checker often answers "no conclusion" on routed circuits; the alternating
    # decision-diagram checker proves, and the simulation checker refutes quickly.
    result = qcec.verify(logical, compiled, run_zx_checker=False, timeout=timeout)
    return str(result.equivalence).rsplit(".", 1)[-1]


_PROVEN = {"equivalent", "equivalent_up_to_global_phase", "equivalent_up_to_phase"}


def check_equivalence(
    logical: QuantumCircuit,
    compiled: QuantumCircuit,
    max_qubits: int = 12,
    method: Literal["auto", "qcec", "operator"] = "auto",
    seed: int = 0,
    timeout: float = 10.0,
) -> EquivalenceResult:
    """Checks a compiled circuit against its logical circuit, layout-aware.

    Free parameters are bound to the same random values in both circuits first.
    ``auto`` uses QCEC; if QCEC fails or has no answer on a unitary circuit of at most
    8 active qubits, the dense operator comparison decides.

    Args:
        logical: the circuit before compilation.
        compiled: the transpiled circuit, carrying its ``layout``.
        max_qubits: skip when more physical qubits are active. Defaults to 12.
        method: ``auto`` (default), ``qcec`` or ``operator``.
        seed: seed for the parameter values.
        timeout: seconds QCEC may spend. Defaults to 10.
    """
    k = len(active_qubits(compiled))
    if k > max_qubits:
        return EquivalenceResult("skipped", "none", k, f"{k} active qubits > limit {max_qubits}")
    logical, compiled = _bind_same(logical, compiled, seed)
    unitary = not _has_nonunitary(logical) and not _has_nonunitary(compiled)
    dense_ok = unitary and k <= _OPERATOR_MAX_QUBITS
    if method in ("auto", "qcec"):
        try:
            verdict = _qcec_check(logical, compiled, timeout)
        except Exception as exc:  # qcec cannot read the circuit: fall back if we can
            verdict = "error: " + " ".join(str(exc).split())[:200]
        if verdict in _PROVEN:
            return EquivalenceResult("equivalent", "qcec", k, verdict)
        if verdict == "not_equivalent":
            return EquivalenceResult("not_equivalent", "qcec", k, verdict)
        if method == "qcec" or not dense_ok:
            if verdict == "probably_equivalent":
                return EquivalenceResult(
                    "probably_equivalent",
                    "qcec",
                    k,
                    f"proof timed out after {timeout:g} s; random-stimuli simulations agree",
                )
            status: Status = "error" if verdict.startswith("error") else "skipped"
            return EquivalenceResult(status, "qcec", k, verdict)
    if not unitary:
        return EquivalenceResult(
            "skipped", "operator", k, "operator comparison needs a unitary circuit"
        )
    ok = _operator_check(logical, compiled)
    return EquivalenceResult(
        "equivalent" if ok else "not_equivalent", "operator", k, "Operator.equiv"
    )
