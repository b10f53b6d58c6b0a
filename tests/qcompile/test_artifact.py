"""The Artifact: compile → save → load round trips on every profile; PUBs and identity."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from qiskit import QuantumCircuit, qpy
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp

from hardware_profiles import list_profiles, load_profile
from hardware_profiles.errors import CircuitInputError
from qcompile.artifact import Artifact
from qcompile.models import ModelCircuit
from qcompile.pipeline import CompileOptions, compile_circuit, compile_model

PROFILES = [p.name for p in list_profiles()]


def small_model(bound: bool = False) -> ModelCircuit:
    """Three qubits, two inputs and two weights (bound to numbers for Clifford+T profiles)."""
    x = ParameterVector("inputs", 2)
    w = ParameterVector("weights", 2)
    qc = QuantumCircuit(3, name="small3")
    qc.ry(x[0], 0)
    qc.ry(x[1] + w[0], 1)
    qc.cx(0, 2)
    qc.cx(1, 2)
    qc.rz(w[1], 2)
    qc.h(2)
    observables = (SparsePauliOp(["ZII", "IXZ"], [1.0, 0.5]), SparsePauliOp("IZI"))
    model = ModelCircuit(qc, {"q": qc.qregs[0]}, x, w, observables)
    if not bound:
        return model
    circuit = model.bind([0.25, 0.5], [0.75, 1.0])
    circuit.name = qc.name
    return ModelCircuit(circuit, {"q": circuit.qregs[0]}, x, w, observables)


@pytest.mark.parametrize("profile_name", PROFILES)
def test_save_then_load_gives_the_same_artifact_on_every_profile(
    profile_name: str, tmp_path: Path
) -> None:
    profile = load_profile(profile_name)
    model = small_model(bound=profile.kind == "fault_tolerant")
    options = CompileOptions(equivalence_max_qubits=0)
    artifact = compile_model(model, profile, options).artifact
    assert artifact.profile == profile_name and artifact.profile_digest == profile.digest()
    paths = artifact.save(tmp_path)
    written = (paths.qpy, paths.qasm3, paths.report_json, paths.report_md, paths.observables)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written if p)
    assert paths.observables is not None and paths.observables.name == "small3.observables.json"
    for source in (tmp_path, paths.qpy):
        loaded = Artifact.load(source)
        assert loaded == artifact  # circuit, observables, parameters, report, digest...
        assert loaded.circuit == artifact.circuit
        assert loaded.observables == artifact.observables
        assert loaded.logical_observables == model.observables
        assert loaded.profile_digest == profile.digest()
        assert loaded.inputs == artifact.inputs and loaded.weights == artifact.weights
        assert loaded.circuit.layout is not None
        for method in ("initial_index_layout", "final_index_layout"):
            assert (
                getattr(loaded.circuit.layout, method)()
                == getattr(artifact.circuit.layout, method)()
            )
        assert loaded.strong_id() == artifact.strong_id()
        assert loaded.source == paths.qpy.resolve()


def test_observables_follow_the_final_layout() -> None:
    """Independent of apply_layout: logical qubit q's Pauli sits on physical final[q]."""
    model = small_model()
    result = compile_model(model, load_profile("heron_r2"), CompileOptions(seed=3))
    final = result.report.final_layout
    for logical, isa in zip(model.observables, result.artifact.observables, strict=True):
        assert isa.num_qubits == result.circuit.num_qubits
        for (label, qubits, coeff), (isa_label, isa_qubits, isa_coeff) in zip(
            logical.to_sparse_list(), isa.to_sparse_list(), strict=True
        ):
            assert coeff == isa_coeff
            mapped = {final[q]: p for q, p in zip(qubits, label, strict=True)}
            assert mapped == dict(zip(isa_qubits, isa_label, strict=True))


def test_an_artifact_written_before_digests_still_loads(tmp_path: Path) -> None:
    artifact = compile_model(small_model(), load_profile("heron_r2")).artifact
    paths = artifact.save(tmp_path)
    with open(paths.qpy, "rb") as handle:
        (circuit,) = qpy.load(handle)
    del circuit.metadata["qattn"]["profile_digest"]
    with open(paths.qpy, "wb") as handle:
        qpy.dump(circuit, handle)
    assert paths.observables is not None
    document = json.loads(paths.observables.read_text())
    del document["profile_digest"]
    paths.observables.write_text(json.dumps(document))
    report = json.loads(paths.report_json.read_text())
    paths.report_json.write_text(json.dumps({**report, "isa_valid": True}))  # an old field
    loaded = Artifact.load(tmp_path)
    assert loaded.profile_digest is None and loaded.profile == "heron_r2"
    assert loaded.observables == artifact.observables and loaded.report == artifact.report


def test_a_bare_qpy_file_loads_without_report_or_observables(tmp_path: Path) -> None:
    circuit = QuantumCircuit(2, name="bell")
    circuit.h(0)
    circuit.cx(0, 1)
    with open(tmp_path / "bell.qpy", "wb") as handle:
        qpy.dump(circuit, handle)
    loaded = Artifact.load(tmp_path / "bell.qpy")
    assert loaded.report is None and loaded.profile is None and loaded.observables == ()
    with pytest.raises(CircuitInputError, match=r"bell\.observables\.json: missing"):
        loaded.estimator_pubs()
    ((measured, values),) = loaded.sampler_pubs()
    assert measured.count_ops()["measure"] == 2 and values.shape == (0,)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: d / "missing", "no such artifact"),
        (lambda d: (d / "x.qpy").write_bytes(b"QISKIT\x0c no") and d / "x.qpy", "not a readable"),
        (lambda d: [(d / n).write_bytes(b"") for n in ("a.qpy", "b.qpy")] and d, "2 .qpy files"),
        (lambda d: d, "no .qpy file"),
    ],
)
def test_unreadable_artifacts_raise_one_line_circuit_input_errors(
    setup: object, message: str, tmp_path: Path
) -> None:
    path = setup(tmp_path)  # type: ignore[operator]
    with pytest.raises(CircuitInputError, match=message) as info:
        Artifact.load(path)
    assert "\n" not in str(info.value)


def test_malformed_observables_file_is_a_circuit_input_error(tmp_path: Path) -> None:
    paths = compile_model(small_model(), load_profile("ion_all_to_all")).artifact.save(tmp_path)
    assert paths.observables is not None
    paths.observables.write_text('{"isa": 3}')
    with pytest.raises(CircuitInputError, match="malformed observables"):
        Artifact.load(tmp_path)


def test_parameter_values_match_the_model_order_and_pubs_check_the_width() -> None:
    model = small_model()
    artifact = compile_model(model, load_profile("heron_r2")).artifact
    assert artifact.inputs == ("inputs[0]", "inputs[1]")
    assert artifact.weights == ("weights[0]", "weights[1]")
    rng = np.random.default_rng(0)
    x, w = rng.uniform(size=(5, 2)), rng.uniform(size=2)
    np.testing.assert_array_equal(artifact.parameter_values(x, w), model.parameter_values(x, w))
    ((circuit, observables, values),) = artifact.estimator_pubs(artifact.parameter_values(x, w))
    assert "measure" not in circuit.count_ops() and observables == artifact.observables
    assert values.shape == (5, 4)
    with pytest.raises(CircuitInputError, match="the circuit has 4"):
        artifact.sampler_pubs(np.zeros(3))


def test_sampler_pub_measures_logical_qubits_in_logical_order() -> None:
    circuit = QuantumCircuit(3, name="x0")
    circuit.x(0)
    circuit.cx(0, 2)
    artifact = compile_circuit(circuit, load_profile("heron_r2"), CompileOptions(seed=1)).artifact
    ((measured, _),) = artifact.sampler_pubs()
    assert artifact.circuit.layout is not None
    final = artifact.circuit.layout.final_index_layout(filter_ancillas=True)
    measures = [inst for inst in measured.data if inst.operation.name == "measure"]
    assert [measured.find_bit(m.qubits[0]).index for m in measures] == final
    assert [measured.find_bit(m.clbits[0]).index for m in measures] == [0, 1, 2]


def test_strong_id_changes_with_the_circuit_and_the_profile_digest() -> None:
    profile = load_profile("ion_all_to_all")
    first = compile_model(small_model(), profile).artifact
    again = compile_model(small_model(), profile).artifact
    assert first.strong_id() == again.strong_id()  # compile time and report left out
    other = compile_model(small_model(), profile, CompileOptions(optimization_level=0)).artifact
    assert other.circuit != first.circuit and other.strong_id() != first.strong_id()
    from dataclasses import replace

    assert replace(first, profile_digest="0" * 64).strong_id() != first.strong_id()
