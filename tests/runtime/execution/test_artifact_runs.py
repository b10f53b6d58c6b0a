"""Artifact PUBs on Aer against a statevector reference; run requests kept and resumed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp, Statevector

from hardware_profiles import load_profile
from hardware_profiles.errors import JobError
from qcompile.artifact import Artifact
from qcompile.models import ModelCircuit
from qcompile.pipeline import CompileOptions, compile_circuit, compile_model
from runtime.execution.aer import AerExecutor
from runtime.execution.artifact_runs import RunRequest, run_artifact
from runtime.execution.compare import distance_to_ideal, total_variation
from runtime.execution.executor import EstimateResult, EstimatorPub, SampleResult, SamplerPub
from runtime.execution.jobstore import JobStore
from runtime.execution.mitigation import MitigationOptions


def test_sampler_pubs_on_aer_match_the_logical_statevector() -> None:
    logical = QuantumCircuit(3, name="skew")
    logical.ry(0.7, 0)
    logical.ry(2.1, 1)
    logical.cx(1, 2)
    logical.x(0)
    profile = load_profile("heron_r2")
    artifact = compile_circuit(logical, profile, CompileOptions(seed=4)).artifact
    assert artifact.circuit.layout is not None
    pubs = [SamplerPub(*pub) for pub in artifact.sampler_pubs()]
    shots = 20000
    (counts,) = AerExecutor(profile, seed=1).sample(pubs, shots=shots).counts[0]
    reference = Statevector(logical).probabilities_dict()
    sampled = {k: v / shots for k, v in counts.items()}
    assert set(sampled) <= {k for k, p in reference.items() if p > 1e-12}
    assert total_variation(counts, {k: round(p * 10**6) for k, p in reference.items()}) < 0.02


def test_estimator_pubs_on_aer_equal_the_logical_expectations() -> None:
    x = ParameterVector("inputs", 2)
    w = ParameterVector("weights", 1)
    qc = QuantumCircuit(3, name="est3")
    qc.ry(x[0], 0)
    qc.rx(x[1] * w[0], 1)
    qc.cx(0, 2)
    qc.cz(1, 2)
    qc.h(1)
    observables = (SparsePauliOp(["ZIZ", "XYI"], [0.5, -1.0]), SparsePauliOp("IXI"))
    model = ModelCircuit(qc, {"q": qc.qregs[0]}, x, w, observables)
    profile = load_profile("heron_r2")
    artifact = compile_model(model, profile).artifact
    rng = np.random.default_rng(3)
    inputs, weights = rng.uniform(-2, 2, (4, 2)), rng.uniform(-2, 2, 1)
    values = artifact.parameter_values(inputs, weights)
    pubs = [EstimatorPub(*pub) for pub in artifact.estimator_pubs(values)]
    result = AerExecutor(profile, seed=1).estimate(pubs)
    expected = [
        [
            Statevector(model.bind(xi, weights)).expectation_value(op).real
            for op in model.observables
        ]
        for xi in inputs
    ]
    np.testing.assert_allclose(result.values[0], expected, atol=1e-9)


def test_run_request_spec_round_trip_and_old_specs() -> None:
    request = RunRequest(
        "sample", "/a/b.qpy", "heron_r2", "local-ibm", "FakeFez", 0.5, 3, 100, None, None, 7
    )
    assert RunRequest.from_spec(request.to_spec()) == request
    old = {**request.to_spec(), "extra_field_from_the_future": 1}
    del old["random_parameters"]
    assert RunRequest.from_spec(old) == replace(request, random_parameters=None)
    for field in ("execution_mode", "instance", "channel", "mitigation"):
        del old[field]  # a spec from before issue #16
    assert RunRequest.from_spec(old) == replace(request, random_parameters=None)
    ibm = replace(
        request,
        command="estimate",
        shots=None,
        precision=0.01,
        mode="ibm",
        backend="ibm_fez",
        execution_mode="session",
        instance="my-instance",
        channel="ibm_cloud",
        mitigation=MitigationOptions(resilience_level=2, zne_noise_factors=(1, 3, 5)),
    )
    spec = json.loads(json.dumps(ibm.to_spec()))  # as the job store keeps it
    assert RunRequest.from_spec(spec) == ibm
    assert ibm.ideal == replace(
        ibm,
        mode="ideal",
        backend=None,
        execution_mode="job",
        instance=None,
        channel=None,
        mitigation=MitigationOptions(),
    )
    assert request.ideal.mode == "ideal" and request.ideal.backend is None
    with pytest.raises(JobError, match="not made by qrun"):
        RunRequest.from_spec({"kind": "sample"})
    for bad, message in (
        ({"shots": 0}, "--shots"),
        ({"precision": 0.0}, "--precision"),
        ({"noise_scale": -1.0}, "--noise-scale"),
        ({"mode": "ibm", "backend": None}, "needs a backend"),
        ({"mode": "cloud"}, "unknown mode"),
        ({"execution_mode": "party"}, "--mode must be one of job, batch, session"),
        ({"execution_mode": "batch"}, "--mode: for --ibm runs only"),
        ({"channel": "ibm_cloud"}, "--channel: for --ibm runs only"),
        ({"mode": "noisy", "mitigation": MitigationOptions(dynamical_decoupling="XY4")}, "XX only"),
        ({"mode": "noisy", "mitigation": MitigationOptions(zne=True)}, "--zne: estimator options"),
        ({"mitigation": MitigationOptions(zne=True)}, "--zne: estimator options"),
    ):
        with pytest.raises(JobError, match=message):
            replace(request, **bad)


def test_run_artifact_stores_the_resolved_request_and_resumes_from_it(
    ghz_artifact: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = str(tmp_path / "jobs.sqlite")
    request = RunRequest("sample", str(ghz_artifact), shots=64, seed=2, mode="noisy")
    outcome = run_artifact(store, request)
    qpy = Artifact.load(ghz_artifact).source
    assert outcome.request.artifact == str(qpy) and outcome.request.profile == "heron_r2"
    assert outcome.ideal_key is None and outcome.distance is not None  # exact, not sampled
    assert outcome.distance["reference"] == "exact"
    with JobStore(store) as jobs:
        record = jobs.get(outcome.key)
        assert record is not None and record.spec == outcome.request.to_spec()
        again = run_artifact(jobs, RunRequest.from_spec(record.spec))
    assert again.key == outcome.key and again.result == outcome.result


def test_distance_to_ideal_by_hand() -> None:
    noisy = SampleResult(((({"00": 3, "11": 1}),),), shots=4)
    ideal = SampleResult(((({"00": 2, "11": 2}),),), shots=4)
    assert distance_to_ideal(noisy, ideal)["max"] == pytest.approx(0.25)
    a = EstimateResult((np.array([0.5, -0.25]),), (np.zeros(2),))
    b = EstimateResult((np.array([0.0, 0.25]),), (np.zeros(2),))
    distance = distance_to_ideal(a, b)
    assert distance["metric"] == "absolute_error"
    assert distance["max"] == pytest.approx(0.5) and distance["mean"] == pytest.approx(0.5)


@pytest.mark.slow
def test_a_local_fake_backend_refuses_a_circuit_it_cannot_run(tmp_path: Path) -> None:
    """Issue #15: a circuit not ISA for the fake backend is refused before it runs."""
    from qiskit import qpy

    from hardware_profiles.errors import ProfileError

    wide = QuantumCircuit(156, name="rx156")  # FakeFez's width, but rx is not a Fez gate
    wide.rx(0.3, 0)
    wide.measure_all()
    with open(tmp_path / "rx156.qpy", "wb") as handle:
        qpy.dump(wide, handle)
    request = RunRequest(
        "sample",
        str(tmp_path / "rx156.qpy"),
        profile="heron_r2",
        mode="local-ibm",
        backend="FakeFez",
        shots=10,
    )
    with pytest.raises(ProfileError, match=r"not for local-ibm:fake_fez \(.*rx.*\)"):
        run_artifact(str(tmp_path / "jobs.sqlite"), request)
    with pytest.raises(ProfileError, match=r"compiled for grid_10x10 .* not for an IBM device"):
        run_artifact(str(tmp_path / "jobs.sqlite"), replace(request, profile="grid_10x10"))
