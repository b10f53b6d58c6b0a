from __future__ import annotations

import json

import pytest
import qiskit_ibm_runtime.accounts.management as account_management

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
from runtime.execution.ibm import IBMExecutor
from tests.runtime._circuits import (
    compiled,
    device_observable,
    observable,
    reference_expectation,
    reference_probabilities,
    tvd,
)

FAKE_TOKEN = "qattn-test-token-Zx81q"
SNAPSHOTS = [("heron_r2", "FakeFez"), ("eagle_r3", "FakeBrisbane")]


@pytest.mark.parametrize(("profile", "fake"), SNAPSHOTS)
def test_local_mode_sampler_matches_ideal_within_noise(profile, fake):
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
def test_local_mode_estimator_agrees_with_aer_noisy(profile, fake):
    pub = EstimatorPub(compiled(profile, False), (device_observable(profile, observable()),))
    result = IBMExecutor.local(fake, seed=7).submit("estimate", [pub], precision=0.01).result()
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


def test_missing_credentials_is_one_line_job_error(monkeypatch, tmp_path):
    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    monkeypatch.setattr(
        account_management, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(tmp_path / "none.json")
    )
    executor = IBMExecutor("ibm_fez")
    with pytest.raises(JobError) as caught:
        executor.submit("sample", [SamplerPub(compiled("heron_r2", True))])
    assert "QISKIT_IBM_TOKEN" in _one_line_without_token(caught.value)


def test_rejected_token_never_appears(monkeypatch, tmp_path, caplog):
    # Offline this fails on the network, online IBM rejects the token: a JobError either way.
    monkeypatch.setenv("QISKIT_IBM_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "crn:v1:fake")
    monkeypatch.setattr(
        account_management, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(tmp_path / "none.json")
    )
    executor = IBMExecutor("ibm_fez", mode="batch", twirling=True)
    with pytest.raises(JobError) as caught:
        executor.submit("sample", [SamplerPub(compiled("heron_r2", True))])
    _one_line_without_token(caught.value)
    with pytest.raises(JobError) as caught:
        executor.retrieve("d0abc")
    _one_line_without_token(caught.value)
    assert FAKE_TOKEN not in json.dumps(executor.fingerprint())
    assert FAKE_TOKEN not in caplog.text


def test_bad_options_are_job_errors():
    with pytest.raises(JobError):
        IBMExecutor("ibm_fez", mode="party")  # type: ignore[arg-type]
    with pytest.raises(JobError):
        IBMExecutor("ibm_fez", resilience_level=7)
