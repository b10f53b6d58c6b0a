"""The Artifact: compile → save → load round trips on every profile; PUBs and identity."""

from __future__ import annotations

import json
import os
import stat
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


# -- hostile artifact files (issue #15) ---------------------------------------------------


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small model compiled for ion_all_to_all and saved: a directory to copy from."""
    out = tmp_path_factory.mktemp("model")
    compile_model(small_model(), load_profile("ion_all_to_all")).artifact.save(out)
    return out


def _copy(source: Path, target: Path) -> Path:
    for path in source.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


def _term(label: object, qubits: object, coeff: object) -> str:
    """The first ISA observable replaced by one term (the second kept)."""
    return json.dumps([[[label, qubits, coeff]], "@second"])


NESTED = "[" * 10_000 + "]" * 10_000


@pytest.mark.parametrize(
    ("isa", "match"),
    [
        (_term("Z", [-1], [1.0, 0.0]), r"qubit -1 is outside 0\.\.31"),
        (_term("Z", [10**30], [1.0, 0.0]), r"qubit 1000000000000000000000000000000 is outside"),
        (_term("Q", [0], [1.0, 0.0]), r"Pauli label must use I, X, Y, Z, got 'Q'"),
        (_term("ZZ", [0], [1.0, 0.0]), r"qubits must be 2 integers"),
        (_term("ZZ", [3, 3], [1.0, 0.0]), r"a qubit appears twice"),
        (_term("Z", [0], [1.0]), r"coefficient must be two finite numbers"),
        ('[[["Z", [0], [NaN, 0.0]]], "@second"]', r"coefficient must be two finite numbers"),
        ('[[["Z", [0], [Infinity, 0.0]]], "@second"]', r"coefficient must be two finite"),
        ('[[], "@second"]', r"isa observable 0 must be a non-empty list of terms"),
        ("3", r"'isa' must be a list"),
        (NESTED, r"nested too deeply"),
    ],
)
def test_malformed_observables_are_refused_on_load(
    saved_model: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], isa: str, match: str
) -> None:
    _copy(saved_model, tmp_path)
    path = tmp_path / "small3.observables.json"
    document = json.loads(path.read_text())
    second = json.dumps(document["isa"][1])
    text = json.dumps({**document, "isa": "@"}).replace('"@"', isa)
    path.write_text(text.replace('"@second"', second))
    with pytest.raises(CircuitInputError, match=match) as info:
        Artifact.load(tmp_path)
    message = str(info.value)
    assert "\n" not in message and "malformed observables" in message
    assert capfd.readouterr().err == ""  # no numpy warning either


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"logical": [[["Z", [0], [float("nan"), 0.0]]]] * 2}, "finite numbers"),
        ({"logical": [[["Z", [0], [1.0, 0.0]]]]}, "1 logical, 2 isa"),
        ({"num_logical_qubits": -1}, r"num_logical_qubits must be an integer in \[0, 32\]"),
        ({"num_logical_qubits": 10**9}, "num_logical_qubits must be an integer"),
    ],
)
def test_logical_observables_are_checked_too(
    saved_model: Path, tmp_path: Path, change: dict[str, object], match: str
) -> None:
    _copy(saved_model, tmp_path)
    path = tmp_path / "small3.observables.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    with pytest.raises(CircuitInputError, match=match):
        Artifact.load(tmp_path)


def test_a_qpy_artifact_with_two_circuits_is_refused(tmp_path: Path) -> None:
    bell = QuantumCircuit(2, name="bell")
    bell.h(0)
    bell.cx(0, 1)
    with open(tmp_path / "bell.qpy", "wb") as handle:
        qpy.dump([bell, bell], handle)
    with pytest.raises(CircuitInputError, match="exactly one circuit, found 2"):
        Artifact.load(tmp_path / "bell.qpy")


def test_artifact_paths_are_used_as_the_os_reads_them(saved_model: Path) -> None:
    with pytest.raises(CircuitInputError, match=r"small3\.qpy/: no such artifact .*directory"):
        Artifact.load(f"{saved_model / 'small3.qpy'}/")
    with pytest.raises(CircuitInputError, match=r"File name too long") as info:
        Artifact.load(saved_model / ("a" * 300 + ".qpy"))
    assert "\n" not in str(info.value)
    assert Artifact.load(f"{saved_model}/").name == "small3"  # a directory may end in '/'


def test_a_corrupt_layout_is_refused(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from qiskit import transpile
    from qiskit.transpiler import CouplingMap

    bell = QuantumCircuit(2, name="bell")
    bell.h(0)
    bell.cx(0, 1)
    isa = transpile(
        bell, coupling_map=CouplingMap.from_line(4), basis_gates=["cx", "u"], initial_layout=[1, 2]
    )
    with open(tmp_path / "bell.qpy", "wb") as handle:
        qpy.dump(isa, handle)
    assert Artifact.load(tmp_path / "bell.qpy").circuit.layout is not None
    data = bytearray((tmp_path / "bell.qpy").read_bytes())
    data[-4:] = data[-8:-4]  # the layout's last qubit index repeats the one before
    (tmp_path / "bell.qpy").write_bytes(bytes(data))
    with pytest.raises(CircuitInputError, match="corrupt layout"):
        Artifact.load(tmp_path / "bell.qpy")
    assert capfd.readouterr().err == ""


def test_a_qpy_artifact_with_a_non_finite_angle_is_refused(tmp_path: Path) -> None:
    circuit = QuantumCircuit(1, name="rz")
    circuit.rz(1e300, 0)
    with open(tmp_path / "rz.qpy", "wb") as handle:
        qpy.dump(circuit, handle)
    with pytest.raises(CircuitInputError, match=r"gate rz has parameter 1e\+300"):
        Artifact.load(tmp_path / "rz.qpy")


def _delays(circuit: QuantumCircuit) -> list[tuple[float, str]]:
    """Every delay's (duration, unit), control-flow blocks included, in circuit order."""
    found = []
    for instruction in circuit.data:
        operation = instruction.operation
        if operation.name == "delay":
            found.append((float(operation.params[0]), operation.unit))
        for block in getattr(operation, "blocks", ()):
            found += _delays(block)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("profile_name", ["ion_all_to_all", "heron_r2"])
def test_an_artifact_with_delays_loads_back_with_their_units(
    profile_name: str, tmp_path: Path
) -> None:
    """QPY drops a delay's unit; on a profile without ``dt`` the artifact used to be unreadable."""
    circuit = QuantumCircuit(2, name="delays")
    circuit.h(0)
    circuit.delay(100, 0, unit="ns")
    circuit.delay(2.5, 1, unit="us")
    circuit.cx(0, 1)
    circuit.measure_all()
    options = CompileOptions(equivalence_max_qubits=0)
    artifact = compile_circuit(circuit, load_profile(profile_name), options).artifact
    assert len(_delays(artifact.circuit)) == 2
    artifact.save(tmp_path)
    loaded = Artifact.load(tmp_path)
    assert _delays(loaded.circuit) == _delays(artifact.circuit)
    assert loaded.circuit == artifact.circuit and loaded.strong_id() == artifact.strong_id()
    ((measured, _),) = loaded.sampler_pubs()
    assert measured.count_ops()["measure"] == 2


def test_delays_in_seconds_inside_control_flow_round_trip(tmp_path: Path) -> None:
    report = compile_circuit(QuantumCircuit(1, name="d"), load_profile("ion_all_to_all")).report
    circuit = QuantumCircuit(2, 1, name="d")
    circuit.delay(1e-7, 0, unit="s")
    with circuit.if_test((circuit.clbits[0], 1)) as orelse:
        circuit.delay(2.5e-6, 1, unit="s")
    with orelse:
        circuit.delay(7, 1, unit="dt")
    artifact = Artifact(circuit=circuit, report=report, name="d")
    artifact.save(tmp_path)
    with open(tmp_path / "d.qpy", "rb") as handle:
        assert _delays(qpy.load(handle)[0]) == [(0.0, "dt"), (0.0, "dt"), (7.0, "dt")]
    loaded = Artifact.load(tmp_path)
    assert _delays(loaded.circuit) == [(1e-7, "s"), (2.5e-6, "s"), (7.0, "dt")]
    assert loaded.circuit == circuit


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_artifact_files_get_the_umask_permissions(umask: int, tmp_path: Path) -> None:
    artifact = compile_model(small_model(), load_profile("ion_all_to_all")).artifact
    previous = os.umask(umask)
    try:
        paths = artifact.save(tmp_path / "out")
    finally:
        os.umask(previous)
    written = [p for p in (paths.qpy, paths.qasm3, paths.report_json, paths.report_md) if p]
    assert paths.observables is not None
    for path in [*written, paths.observables]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path.name
    assert not [p.name for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]


def test_provenance_names_the_profile_by_name_and_digest_not_by_path(tmp_path: Path) -> None:
    profile = load_profile("ion_all_to_all")
    assert os.path.isabs(profile.source)  # the file it was read from, on this machine
    paths = compile_model(small_model(), profile).artifact.save(tmp_path)
    report = json.loads(paths.report_json.read_text())
    assert report["provenance"]["profile"] == "ion_all_to_all"
    assert report["provenance"]["digest"] == profile.digest()
    assert report["provenance"]["source"] == os.path.basename(profile.source)
    machine_dir = os.path.dirname(profile.source)
    for path in (paths.qpy, paths.qasm3, paths.report_json, paths.report_md):
        assert machine_dir.encode() not in path.read_bytes(), path.name
    loaded = Artifact.load(paths.qpy)
    assert loaded.circuit.metadata["qattn"]["provenance"]["digest"] == profile.digest()
