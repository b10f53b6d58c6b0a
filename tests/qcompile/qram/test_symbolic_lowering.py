"""Symbolic QRAM words compile quickly with every construction, and stay correct.

Regression: ``qcompile build qlaci --seq-len 4 --qram bucket-brigade`` hung for minutes in
Qiskit's BasisTranslator, because symbolic ``p``/``cp`` kickback gates gave the DAG a symbolic
global phase that every later substitution re-simplified (Qiskit issue #16520).
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit, QuantumRegister
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import Operator, PauliList, SparsePauliOp, Statevector

from hardware_profiles import load_profile
from qcompile.models.catalog import ModelSpec, build_model
from qcompile.models.qlaci import qlaci_input_values
from qcompile.models.qlaci_reference import qlaci_reference_expectations, split_qlaci_weights
from qcompile.pipeline import CompileOptions, compile_circuit, preset_pass_manager
from qcompile.qram import CONSTRUCTIONS
from qcompile.qram.lowering import symbolic_phases_as_rz

KINDS = [k for k in CONSTRUCTIONS if k != "oracle"]


def _phase_circuit(x: ParameterVector, cancel: bool) -> QuantumCircuit:
    qc = QuantumCircuit(2, global_phase=0.3)
    qc.h([0, 1])
    qc.p(0.5 * x[0], 0)
    qc.cp(x[1] - x[0], 0, 1)
    qc.cx(1, 0)
    qc.p(-0.5 * x[0] if cancel else x[2], 0)
    qc.cp(x[0] - x[1] if cancel else 2 * x[2], 0, 1)
    qc.p(0.7, 1)  # numeric: left as it is
    return qc


@pytest.mark.parametrize("cancel", [True, False])
def test_symbolic_phases_as_rz_keeps_the_operator_and_its_global_phase(cancel: bool) -> None:
    x = ParameterVector("x", 3)
    qc = _phase_circuit(x, cancel)
    out = symbolic_phases_as_rz(qc)
    assert out.count_ops().get("p") == 1 and "cp" not in out.count_ops()
    # Cancelling phases leave a numeric global phase, which is what keeps translation fast.
    assert isinstance(out.global_phase, float) == cancel
    rng = np.random.default_rng(int(cancel))
    for _ in range(3):
        values = dict(
            zip(qc.parameters, rng.uniform(-np.pi, np.pi, qc.num_parameters), strict=True)
        )
        want = Operator(qc.assign_parameters(values)).data
        got = Operator(out.assign_parameters(values)).data
        np.testing.assert_allclose(got, want, atol=1e-12)  # exact, global phase included


def _compiled_expectations(isa: QuantumCircuit, values: dict, observables) -> np.ndarray:
    """<Z> of the logical observables on the bound ISA circuit, simulating its active qubits."""
    from qiskit_aer import AerSimulator

    bound = isa.assign_parameters(values)
    layout = isa.layout
    assert layout is not None
    touched = {bound.find_bit(q).index for inst in bound.data for q in inst.qubits}
    active = sorted(touched | set(layout.final_index_layout(filter_ancillas=True)))
    position = {p: j for j, p in enumerate(active)}
    # the same classical registers: measured uncomputes keep their measurements and if_else
    small = QuantumCircuit(
        QuantumRegister(len(active)), *bound.cregs, global_phase=bound.global_phase
    )
    for inst in bound.data:
        if inst.operation.name not in ("barrier", "delay"):
            qubits = [small.qubits[position[bound.find_bit(q).index]] for q in inst.qubits]
            small.append(inst.operation, qubits, inst.clbits)
    small.save_statevector()
    state = Statevector(AerSimulator(method="statevector").run(small).result().get_statevector())
    out = []
    for observable in observables:
        mapped = observable.apply_layout(layout)
        idle = [q for q in range(isa.num_qubits) if q not in position]
        assert not any(p[idle].x.any() or p[idle].z.any() for p in mapped.paulis)
        reduced = SparsePauliOp(PauliList([p[active] for p in mapped.paulis]), mapped.coeffs)
        out.append(state.expectation_value(reduced).real)
    return np.array(out)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_qlaci_builds_with_every_qram_kind_and_matches_the_reference(kind: str) -> None:
    # The code path of ``qcompile build qlaci --seq-len 4 --qram KIND --profile heron_r2``.
    model = build_model(ModelSpec("qlaci", 4))
    result = compile_circuit(model.circuit, load_profile("heron_r2"), CompileOptions(qram=kind))
    # a parametrised dynamic circuit has no equivalence method; the simulation below checks it
    allowed = (
        ("equivalent", "skipped", "not_checked")
        if kind.endswith("-mbu")
        else ("equivalent", "skipped")
    )
    assert result.report.equivalence["status"] in allowed
    isa = result.circuit
    assert set(isa.parameters) == set(model.circuit.parameters)  # still one circuit per input
    rng = np.random.default_rng(len(kind))
    query = rng.uniform(-np.pi, np.pi, 2)
    keys = rng.uniform(-np.pi, np.pi, (4, 2))
    vals = rng.uniform(-np.pi, np.pi, (4, 2))
    weights = rng.uniform(-np.pi, np.pi, len(model.weights))
    inputs = qlaci_input_values(query, keys, vals)
    values = model.parameter_values(inputs, weights)
    binding = dict(zip(model.circuit.parameters, values.tolist(), strict=True))
    want = qlaci_reference_expectations(query, keys, vals, split_qlaci_weights(weights, 2, 2, 2, 1))
    got = _compiled_expectations(isa, binding, model.observables)
    np.testing.assert_allclose(got, want, atol=1e-8)


@pytest.mark.parametrize("kind", KINDS)
def test_qlaci_reaches_translation_without_a_symbolic_phase(kind: str) -> None:
    # What keeps the test above from hanging instead of failing if the rewrite is lost.
    model = build_model(ModelSpec("qlaci", 4))
    pm = preset_pass_manager(load_profile("heron_r2"), CompileOptions(qram=kind))
    assert pm.pre_init is not None
    lowered = pm.pre_init.run(model.circuit)
    assert isinstance(lowered.global_phase, float)
    symbolic = [
        i.operation.name
        for i in lowered.data
        if i.operation.name in ("p", "cp") and getattr(i.operation.params[0], "parameters", None)
    ]
    assert symbolic == []
