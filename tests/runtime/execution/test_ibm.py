from __future__ import annotations

import json
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import qiskit_ibm_runtime.accounts.management as account_management
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

from hardware_profiles import load_profile
from hardware_profiles.errors import JobError
from runtime.execution.aer import AerExecutor
from runtime.execution.executor import (
    EstimateResult,
    EstimatorPub,
    Executor,
    SampleResult,
    SamplerPub,
)
from runtime.execution.ibm import (
    IBMExecutor,
    connect_service,
    fetch_job,
    least_busy_backend,
    primitive_classes,
)
from runtime.execution.jobstore import JobStore, run_request
from runtime.execution.mitigation import MitigationOptions
from tests.runtime._circuits import (
    compiled,
    device_observable,
    logical_circuit,
    observable,
    reference_expectation,
    reference_probabilities,
    tvd,
)
from tests.runtime.execution.fake_ibm_cloud import CRN, OTHER_CRN, Scenario, fake_ibm_cloud

FAKE_TOKEN = "qattn-test-token-Zx81q"
SNAPSHOTS = [("heron_r2", "FakeFez"), ("eagle_r3", "FakeBrisbane")]


@pytest.fixture
def warnings_are_errors() -> Iterator[None]:
    """No warning (deprecation or other) may reach the user: any one fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.fixture
def no_saved_account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(
        account_management, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(tmp_path / "none.json")
    )
    for name in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_CHANNEL"):
        monkeypatch.delenv(name, raising=False)


def test_the_primitives_are_the_executor_based_ones() -> None:
    sampler, estimator = primitive_classes()
    assert sampler.__module__.startswith("qiskit_ibm_runtime.executor_sampler")
    assert estimator.__module__.startswith("qiskit_ibm_runtime.executor_estimator")
    assert (sampler.__name__, estimator.__name__) == ("Sampler", "Estimator")


@pytest.mark.parametrize(("profile", "fake"), SNAPSHOTS)
def test_local_mode_sampler_matches_ideal_within_noise(profile, fake, warnings_are_errors):
    executor = IBMExecutor.local(fake, seed=7)
    assert isinstance(executor, Executor)
    handle = executor.submit("sample", [SamplerPub(compiled(profile, True))], shots=8000)
    result = handle.result()
    assert isinstance(result, SampleResult) and result.shots == 8000
    assert handle.job_id is None and handle.status() == "DONE"
    # Noise at calibrated rates moves a 3-qubit, 4-CZ circuit by a few percent.
    assert tvd(dict(result.counts[0][0]), reference_probabilities(profile)) < 0.12


@pytest.mark.slow
@pytest.mark.parametrize(("profile", "fake"), SNAPSHOTS)
def test_local_mode_estimator_agrees_with_aer_noisy(profile, fake, warnings_are_errors):
    pub = EstimatorPub(compiled(profile, False), (device_observable(profile, observable()),))
    unmitigated = MitigationOptions(resilience_level=0)
    executor = IBMExecutor.local(fake, seed=7, mitigation=unmitigated)
    result = executor.submit("estimate", [pub], precision=0.01).result()
    assert isinstance(result, EstimateResult)
    noisy = AerExecutor(load_profile(profile), noisy=True).estimate([pub]).values[0][0]
    assert abs(result.values[0][0] - noisy) < 5 * max(float(result.stds[0][0]), 0.01)
    assert abs(result.values[0][0] - reference_expectation(profile, observable())) < 0.3


@pytest.mark.slow
def test_local_mode_noise_scale_approaches_ideal():
    distances = []
    for scale in (1.0, 0.01):
        executor = IBMExecutor.local("FakeBrisbane", seed=3, noise_scale=scale)
        counts = executor.submit("sample", [SamplerPub(compiled("eagle_r3", True))], shots=20_000)
        distances.append(
            tvd(dict(counts.result().counts[0][0]), reference_probabilities("eagle_r3"))
        )
    assert distances[1] < distances[0] and distances[1] < 0.02


def test_mitigation_options_reach_the_sampler(warnings_are_errors):
    mitigation = MitigationOptions(twirling=True, dynamical_decoupling="XY4")
    executor = IBMExecutor.local("FakeFez", seed=3, mitigation=mitigation)
    result = executor.submit("sample", [SamplerPub(compiled("heron_r2", True))], shots=2048)
    ran = result.result().metadata["primitive_options"]  # as the primitive reports them
    assert ran["twirling"]["enable_gates"] is True and ran["twirling"]["enable_measure"] is True
    assert ran["dynamical_decoupling"] == {**ran["dynamical_decoupling"], "enable": True}
    assert ran["dynamical_decoupling"]["sequence_type"] == "XY4"
    assert ran["simulator"]["seed_simulator"] == 3
    assert executor.fingerprint()["mitigation"] == {
        "twirling": True,
        "dynamical_decoupling": "XY4",
    }


@pytest.mark.slow
def test_mitigation_options_reach_the_estimator_and_trex_removes_readout_bias(
    warnings_are_errors,
):
    """Resilience level, TREX and ZNE settings arrive; TREX moves <Z..> toward the ideal."""
    profile = "heron_r2"
    obs = observable([1.0, 0.0, 0.0, 0.0])  # ZZI: readout error shrinks it
    pub = EstimatorPub(compiled(profile, False), (device_observable(profile, obs),))
    ideal = reference_expectation(profile, obs)
    errors = {}
    for name, mitigation in {
        "none": MitigationOptions(resilience_level=0),
        "trex": MitigationOptions(resilience_level=0, measure_mitigation=True),
    }.items():
        executor = IBMExecutor.local("FakeFez", seed=11, mitigation=mitigation)
        result = executor.submit("estimate", [pub], precision=0.005).result()
        ran = result.metadata["primitive_options"]
        assert ran["resilience_level"] == 0
        assert ran["resilience"]["measure_mitigation"] is (name == "trex")
        errors[name] = abs(float(result.values[0][0]) - ideal)
    assert errors["trex"] < errors["none"]
    zne = MitigationOptions(resilience_level=2, zne_noise_factors=(1, 3), zne_extrapolator="linear")
    result = IBMExecutor.local("FakeFez", seed=11, mitigation=zne).submit(
        "estimate", [pub], precision=0.05
    )
    ran = result.result().metadata["primitive_options"]
    assert ran["resilience_level"] == 2 and ran["resilience"]["zne_mitigation"] is True
    assert ran["resilience"]["zne"]["noise_factors"] == [1.0, 3.0]
    assert ran["resilience"]["zne"]["extrapolator"] == "linear"


def test_estimator_options_are_refused_for_counts():
    executor = IBMExecutor.local("FakeFez", mitigation=MitigationOptions(zne=True))
    with pytest.raises(JobError, match="--zne: estimator options"):
        executor.submit("sample", [SamplerPub(compiled("heron_r2", True))], shots=10)


def test_the_job_store_runs_local_testing_mode_once(tmp_path: Path, warnings_are_errors):
    executor = IBMExecutor.local("FakeFez", seed=5)
    circuit = compiled("heron_r2", True)
    profile = load_profile("heron_r2")
    with JobStore(tmp_path / "jobs.sqlite") as store:
        key, first = run_request(
            store, executor, "sample", [SamplerPub(circuit)], shots=4000, profile=profile
        )
        again_key, again = run_request(
            store, executor, "sample", [SamplerPub(circuit)], shots=4000, profile=profile
        )
        record = store.get(key)
    assert again_key == key and again == first
    assert record is not None and record.attempts == 1 and record.executor == "local-ibm:fake_fez"
    assert record.fingerprint["primitives"] == "executor"
    assert isinstance(first, SampleResult)
    exact = Statevector(logical_circuit("heron_r2")).probabilities_dict()
    assert tvd(dict(first.counts[0][0]), exact) < 0.12


def test_local_mode_fingerprint_and_retrieve():
    executor = IBMExecutor.local("FakeFez", seed=1)
    assert executor.name == "local-ibm:fake_fez"
    json.dumps(executor.fingerprint())
    with pytest.raises(JobError):
        executor.retrieve("d0abc")
    with pytest.raises(JobError, match="FakeNowhere"):
        IBMExecutor.local("FakeNowhere")


def _one_line_without_token(error: JobError) -> str:
    text = str(error)
    assert "\n" not in text
    assert FAKE_TOKEN not in text and FAKE_TOKEN not in repr(error)
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    return text


def test_missing_credentials_is_one_line_job_error(no_saved_account):
    executor = IBMExecutor("ibm_fez")
    with pytest.raises(JobError) as caught:
        executor.submit("sample", [SamplerPub(compiled("heron_r2", True))])
    assert "QISKIT_IBM_TOKEN" in _one_line_without_token(caught.value)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


def test_no_network_is_named(monkeypatch, no_saved_account, caplog):
    """A real connection failure: IAM at a loopback port nothing listens on."""
    monkeypatch.setenv("QISKIT_IBM_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", CRN)
    monkeypatch.setenv("IAM_URL", f"http://127.0.0.1:{_closed_port()}")
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(JobError) as caught:
        connect_service()
    text = _one_line_without_token(caught.value)
    assert text.startswith("no network: cannot reach 127.0.0.1:") and "refused" in text
    assert FAKE_TOKEN not in caplog.text


def test_a_malformed_instance_is_named(monkeypatch, no_saved_account):
    """Was: ``cannot connect to IBM Quantum (AttributeError): 'NoneType' object ...``."""
    monkeypatch.setenv("QISKIT_IBM_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "crn:v1:fake")
    executor = IBMExecutor("ibm_fez", mode="batch")
    with pytest.raises(JobError) as caught:
        executor.submit("sample", [SamplerPub(compiled("heron_r2", True))])
    assert _one_line_without_token(caught.value).startswith("instance not found: 'crn:v1:fake'")
    with pytest.raises(JobError) as caught:
        executor.retrieve("d0abc")
    assert "instance not found" in _one_line_without_token(caught.value)
    assert FAKE_TOKEN not in json.dumps(executor.fingerprint())


def test_a_rejected_token_is_named(monkeypatch, no_saved_account, caplog):
    scenario = Scenario(token_ok=False)
    with (
        fake_ibm_cloud(monkeypatch, scenario, FAKE_TOKEN) as cloud,
        pytest.raises(JobError) as caught,
    ):
        connect_service()
    text = _one_line_without_token(caught.value)
    assert text.startswith("token rejected (HTTP 400)")
    assert any("identity/token" in request for request in cloud.requests)
    assert FAKE_TOKEN not in caplog.text


def test_an_instance_the_account_lacks_is_named(monkeypatch, no_saved_account):
    scenario = Scenario(instances=(OTHER_CRN,))
    with fake_ibm_cloud(monkeypatch, scenario, FAKE_TOKEN), pytest.raises(JobError) as caught:
        connect_service()
    text = _one_line_without_token(caught.value)
    assert text.startswith(f"instance not found: {CRN} is not available")


def test_an_instance_name_the_account_lacks_is_named(monkeypatch, no_saved_account):
    with fake_ibm_cloud(monkeypatch, Scenario(), FAKE_TOKEN) as cloud:
        connect_service(instance="instance-0")  # the account's one instance, by name
        with pytest.raises(JobError) as caught:
            connect_service(instance="no-such-instance")
    text = _one_line_without_token(caught.value)
    assert text.startswith("instance not found: no-such-instance is not available")
    assert any("global-search" in request for request in cloud.requests)


def test_a_backend_the_instance_lacks_is_named(monkeypatch, no_saved_account):
    with fake_ibm_cloud(monkeypatch, Scenario(backends=("ibm_torino",)), FAKE_TOKEN):
        executor = IBMExecutor("ibm_fez", mode="session")
        with pytest.raises(JobError) as caught:
            executor.submit("sample", [SamplerPub(compiled("heron_r2", True))], shots=10)
    text = _one_line_without_token(caught.value)
    assert text.startswith(
        f"backend not found: 'ibm_fez' does not exist or is not available to {CRN}"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "service_mode"), [("job", None), ("batch", "batch"), ("session", "dedicated")]
)
def test_job_batch_and_session_modes_reach_the_service(
    mode, service_mode, monkeypatch, no_saved_account
):
    scenario = Scenario(backends=("ibm_fez",), devices={"ibm_fez": ("fez", 1)})
    with fake_ibm_cloud(monkeypatch, scenario, FAKE_TOKEN) as cloud:
        executor = IBMExecutor("ibm_fez", mode=mode)
        with pytest.raises(JobError, match="cannot submit to ibm_fez"):  # no job is accepted
            executor.submit("sample", [SamplerPub(compiled("heron_r2", True))], shots=16)
    opened = [body for url, body in cloud.bodies if url.endswith("/sessions")]
    (job,) = [body for url, body in cloud.bodies if url.endswith("/jobs")]
    assert job["program_id"] == "executor" and job["backend"] == "ibm_fez"
    if service_mode is None:
        assert opened == [] and job.get("session_id") is None
        return
    assert len(opened) == 1 and opened[0]["mode"] == service_mode
    assert opened[0]["backend"] == "ibm_fez" and job["session_id"] == "qattn-session-1"


def test_any_job_id_is_fetched_from_the_service(monkeypatch, no_saved_account):
    job = {
        "id": "d4qattnjob0000000001",
        "backend": "ibm_torino",
        "program": {"id": "executor"},
        "state": {"status": "Queued"},
        "status": "Queued",
        "created": "2026-12-01T10:00:00.000000Z",
    }
    scenario = Scenario(jobs={job["id"]: job})
    with fake_ibm_cloud(monkeypatch, scenario, FAKE_TOKEN):
        remote = fetch_job(job["id"])
        assert remote.to_dict() == {
            "job_id": job["id"],
            "status": "QUEUED",
            "backend": "ibm_torino",
            "primitive": "executor",
            "created": remote.created,
        }
        assert remote.handle.kind is None  # read from the result when it comes
        with pytest.raises(JobError, match="job 'd4nosuchjob' not found on IBM Quantum"):
            fetch_job("d4nosuchjob")


def test_bad_options_are_job_errors():
    with pytest.raises(JobError):
        IBMExecutor("ibm_fez", mode="party")  # type: ignore[arg-type]
    with pytest.raises(JobError, match="resilience level"):
        IBMExecutor("ibm_fez", mitigation=MitigationOptions(resilience_level=7))
    with pytest.raises(JobError, match="channel"):
        connect_service(channel="ibm_quantum")


@pytest.mark.slow
def test_least_busy_picks_the_idlest_backend_that_runs_the_circuit(monkeypatch, no_saved_account):
    """Eagle (ECR gates) is idlest but cannot run a Heron ISA circuit; of the Herons, the idler."""
    scenario = Scenario(
        backends=("ibm_brisbane", "ibm_fez", "ibm_marrakesh"),
        devices={
            "ibm_brisbane": ("brisbane", 0),
            "ibm_fez": ("fez", 9),
            "ibm_marrakesh": ("fez", 2),
        },
    )
    with fake_ibm_cloud(monkeypatch, scenario, FAKE_TOKEN):
        service = connect_service()
        assert least_busy_backend(service, compiled("heron_r2", True)) == "ibm_marrakesh"
        wide = QuantumCircuit(200)
        wide.measure_all()
        with pytest.raises(JobError, match="no operational backend can run this 200-qubit"):
            least_busy_backend(service, wide)
