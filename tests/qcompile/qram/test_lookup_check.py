"""The lookup check of the compile path catches wrong circuits, and only wrong ones.

Every verdict is compared with an independent one: the compacted ISA circuit's dense
``Operator`` restricted to the inputs (ancillas in ``|0>``), read through the layouts, against
the lookup table's matrix (:func:`qram_sim.reference_matrix`).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit
from qiskit.circuit.library import RZGate, XGate
from qiskit.quantum_info import Operator

from hardware_profiles import load_profile
from qcompile.pipeline import CompileOptions, compile_circuit
from qcompile.qram import LeanBucketBrigadeQRAM, QRAMQuery, QRAMWords
from qcompile.qram.verify import check_lookup_compilation

from .qram_sim import reference_matrix

N_BITS, VALUES = 2, [1, 0, 0, 1]


@cache
def compiled_lookup() -> tuple[QuantumCircuit, QuantumCircuit]:
    """(reference, ISA circuit) of a 4-word lean brigade on heron_r2 at O3."""
    words = QRAMWords.bits(VALUES, b=1)
    circuit = LeanBucketBrigadeQRAM(words).build()
    options = CompileOptions(optimization_level=3, equivalence_max_qubits=0)
    isa = compile_circuit(circuit, load_profile("heron_r2"), options).circuit
    reference = QuantumCircuit(circuit.num_qubits)
    reference.append(QRAMQuery(words), range(N_BITS + 1))
    return reference, isa


def dense_verdict(isa: QuantumCircuit) -> bool:
    """Whether ``isa`` does the lookup on the ancilla-|0> subspace (dense, independent)."""
    k = N_BITS + 1
    touched = sorted({isa.find_bit(q).index for inst in isa.data for q in inst.qubits})
    initial = list(isa.layout.initial_index_layout(filter_ancillas=True))
    final = list(isa.layout.final_index_layout(filter_ancillas=True))
    active = sorted(set(touched) | set(initial[:k]) | set(final[:k]))
    pos = {p: j for j, p in enumerate(active)}
    compact = QuantumCircuit(len(active), global_phase=isa.global_phase)
    for inst in isa.data:
        compact.append(inst.operation, [pos[isa.find_bit(q).index] for q in inst.qubits])
    op = Operator(compact).data
    want = reference_matrix("bits", N_BITS, 1, VALUES)
    got = np.zeros((1 << k, 1 << k), dtype=complex)
    for col in range(1 << k):
        basis_in = sum(((col >> v) & 1) << pos[initial[v]] for v in range(k))
        column = op[:, basis_in]
        for row in np.flatnonzero(np.abs(column) > 1e-9):
            logical = 0
            for v in range(k):
                logical |= ((int(row) >> pos[final[v]]) & 1) << v
            rest = int(row) & ~sum(1 << pos[final[v]] for v in range(k))
            if rest:  # an ancilla left in |1>
                return False
            got[logical, col] += column[row]
    pivot = np.unravel_index(np.argmax(np.abs(want)), want.shape)
    if abs(got[pivot]) < 1e-9:
        return False
    phase = got[pivot] / want[pivot]
    return bool(np.allclose(got, phase * want, atol=1e-7))


def mutate(isa: QuantumCircuit, kind: str, where: float, amount: float) -> QuantumCircuit:
    """One generated change to an ISA circuit."""
    out = isa.copy()
    i = min(int(where * len(out.data)), len(out.data) - 1)
    inst = out.data[i]
    if kind == "delete":
        del out.data[i]
    elif kind == "angle":
        rz = [j for j, x in enumerate(out.data) if x.operation.name == "rz"]
        j = rz[min(int(where * len(rz)), len(rz) - 1)]
        old = out.data[j]
        out.data[j] = old.replace(operation=RZGate(float(old.operation.params[0]) + amount))
    elif kind == "insert_x":
        out.data.insert(i, inst.replace(operation=XGate(), qubits=inst.qubits[:1]))
    else:  # "retarget": a two-qubit gate moved to another touched qubit pair
        two = [j for j, x in enumerate(out.data) if x.operation.num_qubits == 2]
        j = two[min(int(where * len(two)), len(two) - 1)]
        old = out.data[j]
        other = out.data[two[(two.index(j) + 1 + int(amount * 7)) % len(two)]].qubits
        if set(other) != set(old.qubits):
            out.data[j] = old.replace(qubits=other)
    return out


MUTATIONS = st.tuples(
    st.sampled_from(["delete", "angle", "insert_x", "retarget"]),
    st.floats(0.0, 0.999),
    st.sampled_from([0.3, 1.0, np.pi / 2, np.pi]),
)


def test_correct_compilation_is_exact_by_basis_inputs() -> None:
    reference, isa = compiled_lookup()
    check = check_lookup_compilation(reference, isa, input_qubits=N_BITS + 1)
    assert dense_verdict(isa)
    assert (check.status, check.method, check.inputs) == ("exact", "basis_inputs", 8)


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(mutation=MUTATIONS)
def test_basis_input_check_agrees_with_dense_operator_on_mutations(
    mutation: tuple[str, float, float],
) -> None:
    reference, isa = compiled_lookup()
    mutated = mutate(isa, *mutation)
    check = check_lookup_compilation(reference, mutated, input_qubits=N_BITS + 1)
    assert check.method == "basis_inputs"
    assert check.status == ("exact" if dense_verdict(mutated) else "wrong"), mutation


@pytest.mark.slow
@settings(max_examples=12, deadline=None)
@given(mutation=MUTATIONS)
def test_random_state_check_agrees_with_dense_operator_on_mutations(
    mutation: tuple[str, float, float],
) -> None:
    reference, isa = compiled_lookup()
    mutated = mutate(isa, *mutation)
    # A zero support bound forces the random-state method (Aer MPS).
    check = check_lookup_compilation(reference, mutated, input_qubits=N_BITS + 1, max_support=0)
    assert check.method == "random_state"
    assert check.status == ("exact" if dense_verdict(mutated) else "wrong"), mutation


def test_mutations_are_mostly_wrong() -> None:
    # The generated mutations must exercise the "wrong" branch, not only no-ops.
    reference, isa = compiled_lookup()
    rng = np.random.default_rng(1)
    kinds = ["delete", "angle", "insert_x", "retarget"]
    wrong = 0
    for _ in range(12):
        mutation = (kinds[rng.integers(4)], float(rng.uniform(0, 0.999)), 1.0)
        mutated = mutate(isa, *mutation)
        ok = dense_verdict(mutated)
        check = check_lookup_compilation(reference, mutated, input_qubits=N_BITS + 1)
        assert check.status == ("exact" if ok else "wrong")
        wrong += not ok
    assert wrong >= 6


def test_lowered_lookups_are_checked_in_the_compile_path() -> None:
    words = QRAMWords.bits([3, 1, 2, 0, 1, 1, 2, 3], b=2)
    logical = QuantumCircuit(3 + 2, name="lookup")
    logical.h(range(3))
    logical.append(QRAMQuery(words), range(5))
    logical.cx(3, 4)
    options = CompileOptions(qram="bb-lean", equivalence_max_qubits=0)
    report = compile_circuit(logical, load_profile("heron_r2"), options).report
    assert report.lookup_check is not None
    assert report.lookup_check["status"] == "exact"
    assert report.lookup_check["input_qubits"] == 5
    assert "lookup check     exact" in report.to_text()
    assert report.to_dict()["lookup_check"]["method"] in ("basis_inputs", "random_state")


def test_too_many_inputs_are_not_checked_with_a_reason() -> None:
    reference, isa = compiled_lookup()
    check = check_lookup_compilation(reference, isa, max_input_qubits=2)
    assert check.status == "not_checked" and "input qubits" in check.detail
