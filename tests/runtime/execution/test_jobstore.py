"""The job store: one execution per request, resumable after kill -9, errors and no secrets."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp, Statevector

from hardware_profiles import load_profile
from hardware_profiles.errors import JobError
from qcompile.artifact import load_artifact_circuit
from runtime.execution.executor import EstimateResult, EstimatorPub, SampleResult, SamplerPub
from runtime.execution.jobstore import (
    DONE,
    ERROR,
    PENDING,
    SUBMITTED,
    JobStore,
    result_from_json,
    result_to_json,
    run_request,
)
from runtime.execution.requests import request_key
from tests.runtime.primitive_executor import PrimitiveExecutor

REPO = Path(__file__).resolve().parents[3]
TOKEN = "secret-token-123"
HERON = load_profile("heron_r2")


def ghz_qpy(artifact: Path) -> Path:
    return next(artifact.glob("*.qpy"))


def sample(
    store: JobStore,
    executor: PrimitiveExecutor,
    circuit: QuantumCircuit,
    shots: int = 100,
    **kw: Any,
) -> tuple[str, SampleResult | EstimateResult]:
    return run_request(
        store, executor, "sample", [SamplerPub(circuit)], shots=shots, profile=HERON, **kw
    )


def test_same_request_twice_executes_once(ghz_artifact: Path, tmp_path: Path) -> None:
    circuit = load_artifact_circuit(ghz_qpy(ghz_artifact))
    executor = PrimitiveExecutor()
    with JobStore(tmp_path / "jobs.sqlite") as store:
        key, first = sample(store, executor, circuit, artifact="ghz4.qpy")
        again_key, again = sample(store, executor, load_artifact_circuit(ghz_qpy(ghz_artifact)))
        record = store.get(key)
    assert executor.submissions == 1 and executor.executions == 1
    assert again_key == key and again == first
    assert isinstance(first, SampleResult) and set(first.counts[0][0]) <= {"0000", "1111"}
    assert sum(first.counts[0][0].values()) == 100
    assert record is not None and record.status == DONE and record.attempts == 1
    assert record.kind == "sample" and record.shots == 100 and record.profile == "heron_r2"
    assert record.profile_digest == HERON.digest()
    assert record.executor == "test-aer-ideal" and record.artifact == "ghz4.qpy"
    assert record.qiskit_version and record.created <= record.updated


def test_force_executes_again(ghz_artifact: Path, tmp_path: Path) -> None:
    circuit = load_artifact_circuit(ghz_qpy(ghz_artifact))
    executor = PrimitiveExecutor()
    with JobStore(tmp_path / "jobs.sqlite") as store:
        key, _ = sample(store, executor, circuit)
        forced_key, _ = sample(store, executor, circuit, force=True)
        record = store.get(key)
    assert forced_key == key and executor.submissions == 2
    assert record is not None and record.attempts == 2 and record.status == DONE


def test_request_key_covers_what_determines_results(ghz_artifact: Path) -> None:
    circuit = load_artifact_circuit(ghz_qpy(ghz_artifact))
    renamed = circuit.copy()
    renamed.metadata = {}
    renamed.name = "other"
    base = {"shots": 100, "precision": None, "profile": HERON, "executor": {"seed": 1}}
    key = request_key("sample", [SamplerPub(circuit)], **base)  # type: ignore[arg-type]
    assert key == request_key("sample", [SamplerPub(renamed)], **base)  # type: ignore[arg-type]
    changes: list[dict[str, Any]] = [
        {"shots": 101},
        {"profile": load_profile("heron_r1")},
        {"profile": "heron_r2"},  # a bare name (no digest) is another key
        {"executor": {"seed": 2}},
    ]
    for change in changes:
        other = {**base, **change}
        assert key != request_key("sample", [SamplerPub(circuit)], **other)
    flipped = circuit.copy()
    flipped.x(next(iter(circuit.layout.final_index_layout())))
    assert key != request_key("sample", [SamplerPub(flipped)], **base)  # type: ignore[arg-type]
    assert key != request_key("sample", [SamplerPub(circuit)], options={"x": 1}, **base)  # type: ignore[arg-type]


@pytest.mark.slow
def test_estimates_are_stored_exactly(model_artifact: Path, tmp_path: Path) -> None:
    qpy = next(model_artifact.glob("*.qpy"))
    circuit = load_artifact_circuit(qpy)
    document = json.loads(next(model_artifact.glob("*.observables.json")).read_text())
    observables = tuple(
        SparsePauliOp.from_sparse_list([(p, q, complex(*c)) for p, q, c in terms], 32)
        for terms in document["isa"]
    )
    values = np.random.default_rng(5).uniform(0, np.pi, (3, circuit.num_parameters))
    executor = PrimitiveExecutor()
    pubs = [EstimatorPub(circuit, observables, values)]
    with JobStore(tmp_path / "jobs.sqlite") as store:
        ion = load_profile("ion_all_to_all")
        _, fresh = run_request(store, executor, "estimate", pubs, profile=ion)
        _, stored = run_request(store, executor, "estimate", pubs, profile=ion)
    assert executor.submissions == 1
    assert isinstance(fresh, EstimateResult) and isinstance(stored, EstimateResult)
    assert fresh.values[0].shape == (3, len(observables))
    np.testing.assert_array_equal(fresh.values[0], stored.values[0])
    assert np.all(np.abs(fresh.values[0]) <= 1 + 1e-9)


def test_result_json_round_trip_against_statevector() -> None:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(0.3, 1)
    obs = SparsePauliOp.from_list([("ZZ", 1.0), ("XI", 0.5)])
    result = PrimitiveExecutor().submit("estimate", [EstimatorPub(qc, (obs,))]).result()
    assert isinstance(result, EstimateResult)
    reference = Statevector(qc).expectation_value(obs).real
    np.testing.assert_allclose(result.values[0], [reference], atol=1e-9)
    again = result_from_json(json.loads(json.dumps(result_to_json(result))))
    assert isinstance(again, EstimateResult)
    np.testing.assert_array_equal(again.values[0], result.values[0])


def test_a_bare_profile_name_is_still_accepted(ghz_artifact: Path, tmp_path: Path) -> None:
    circuit = load_artifact_circuit(ghz_qpy(ghz_artifact))
    executor = PrimitiveExecutor()
    with JobStore(tmp_path / "jobs.sqlite") as store:
        key, _ = run_request(store, executor, "sample", [SamplerPub(circuit)], profile="heron_r2")
        again, _ = run_request(store, executor, "sample", [SamplerPub(circuit)], profile="heron_r2")
        record = store.get(key)
    assert again == key and executor.submissions == 1
    assert record is not None and record.profile == "heron_r2" and record.profile_digest is None


def test_nan_and_infinity_in_a_result_are_stored(tmp_path: Path) -> None:
    # Results are data, not identities: a NaN estimate must not fail after the job ran.
    values = np.array([[np.nan, np.inf, -np.inf, 0.25]])
    result = EstimateResult((values,), (np.zeros_like(values),), {"note": np.float64(np.nan)})
    with JobStore(tmp_path / "jobs.sqlite") as store:
        store.begin(
            "k" * 64,
            kind="estimate",
            profile=HERON,
            executor="test",
            fingerprint={"precision": np.nan},
            shots=None,
            precision=None,
        )
        store.mark_done("k" * 64, result_to_json(result))
        record = store.get("k" * 64)
    assert record is not None and record.status == DONE and record.result is not None
    again = result_from_json(record.result)
    assert isinstance(again, EstimateResult)
    np.testing.assert_array_equal(again.values[0], values)
    assert np.isnan(record.fingerprint["precision"]) and np.isnan(record.result["metadata"]["note"])


def test_nan_parameter_values_have_no_key() -> None:
    circuit = QuantumCircuit(1)
    circuit.rx(Parameter("t"), 0)
    pub = EstimatorPub(circuit, (SparsePauliOp("Z"),), np.array([[np.nan]]))
    with pytest.raises(JobError, match="NaN or infinity"):
        request_key("estimate", [pub], shots=None, precision=None, profile=HERON, executor={})


_OLD_SCHEMA = """
CREATE TABLE requests (
    key TEXT PRIMARY KEY, status TEXT NOT NULL, kind TEXT NOT NULL, profile TEXT NOT NULL,
    executor TEXT NOT NULL, fingerprint TEXT NOT NULL, shots INTEGER, precision REAL,
    job_id TEXT, artifact TEXT, qiskit_version TEXT NOT NULL, spec TEXT NOT NULL,
    attempts INTEGER NOT NULL, result TEXT, error TEXT, failed_in TEXT,
    created TEXT NOT NULL, updated TEXT NOT NULL
);
INSERT INTO requests VALUES ('abc123', 'DONE', 'sample', 'heron_r2', 'aer-ideal', '{}', 10,
    NULL, NULL, NULL, '2.0', '{}', 1, NULL, NULL, NULL, 't0', 't0');
"""


def test_a_store_from_before_profile_digests_opens(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(_OLD_SCHEMA)
    db.close()
    with JobStore(path) as store:
        (old,) = store.records()
    assert old.key == "abc123" and old.profile == "heron_r2" and old.profile_digest is None


def _wait_for(store_path: Path, status: str, timeout: float = 300.0) -> None:
    # Generous: a subprocess importing Qiskit on a loaded machine can take a minute.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if store_path.exists():
            with JobStore(store_path) as store:
                if any(r.status == status and r.job_id for r in store.records()):
                    return
        time.sleep(0.1)
    raise AssertionError(f"no {status} record within {timeout} s")


@pytest.mark.slow
def test_killed_process_resumes_from_its_job_id(ghz_artifact: Path, tmp_path: Path) -> None:
    store_path, spool = tmp_path / "jobs.sqlite", tmp_path / "spool"
    args = [sys.executable, "-m", "tests.runtime.primitive_executor", str(store_path)]
    args += [str(ghz_qpy(ghz_artifact)), str(spool)]
    victim = subprocess.Popen(
        [*args, "60"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        _wait_for(store_path, SUBMITTED)
    finally:
        os.kill(victim.pid, signal.SIGKILL)
        victim.communicate()
    assert victim.returncode == -signal.SIGKILL
    with JobStore(store_path) as store:
        (killed,) = store.records()
    assert killed.status == SUBMITTED and killed.result is None
    assert [p.name for p in spool.iterdir()] == [killed.job_id]

    resumed = subprocess.run([*args, "0"], cwd=REPO, capture_output=True, text=True, check=True)
    output = json.loads(resumed.stdout)
    assert output["key"] == killed.key and set(output["counts"]) <= {"0000", "1111"}
    assert [p.name for p in spool.iterdir()] == [killed.job_id]  # nothing submitted again
    with JobStore(store_path) as store:
        (done,) = store.records()
        executor = PrimitiveExecutor(spool=spool)
        key, _ = sample(store, executor, load_artifact_circuit(ghz_qpy(ghz_artifact)), 200)
    assert done.status == DONE and done.job_id == killed.job_id and done.attempts == 1
    assert done.result is not None and done.result["counts"][0][0] == output["counts"]
    assert key == killed.key and executor.submissions == 0  # a third run reads the store


def test_request_left_pending_is_submitted_again(ghz_artifact: Path, tmp_path: Path) -> None:
    circuit = load_artifact_circuit(ghz_qpy(ghz_artifact))
    executor = PrimitiveExecutor()
    with JobStore(tmp_path / "jobs.sqlite") as store:
        key, _ = sample(store, executor, circuit)
        store.begin(
            key,
            kind="sample",
            profile=HERON,
            executor=executor.name,
            fingerprint=executor.fingerprint(),
            shots=100,
            precision=None,
        )  # as if killed inside submit
        record = store.get(key)
        assert record is not None and record.status == PENDING and record.result is None
        sample(store, executor, circuit)
        record = store.get(key)
    assert executor.submissions == 2
    assert record is not None and record.status == DONE and record.attempts == 3


def test_failed_job_keeps_its_error(ghz_artifact: Path, tmp_path: Path) -> None:
    circuit = load_artifact_circuit(ghz_qpy(ghz_artifact))
    failing = PrimitiveExecutor(fail=True)
    with JobStore(tmp_path / "jobs.sqlite") as store:
        with pytest.raises(JobError, match="qubit 3 lost calibration"):
            sample(store, failing, circuit)
        (record,) = store.records()
        assert record.status == ERROR and record.error is not None
        assert "qubit 3 lost calibration" in record.error and "\n" not in record.error
        with pytest.raises(JobError, match="failed earlier: simulated backend failure"):
            sample(store, failing, circuit)
        assert failing.submissions == 1  # an error is not retried by itself
        failing.fail = False
        _, result = sample(store, failing, circuit, force=True)
        retried = store.get(record.key)
    assert isinstance(result, SampleResult)
    assert retried is not None and retried.status == DONE and retried.error is None


class LeakyExecutor(PrimitiveExecutor):
    """An executor that carelessly puts the token in its fingerprint and errors."""

    def fingerprint(self) -> dict[str, object]:
        return {**super().fingerprint(), "auth": os.environ["QISKIT_IBM_TOKEN"]}


def test_no_credential_reaches_the_store(
    ghz_artifact: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)
    circuit = load_artifact_circuit(ghz_qpy(ghz_artifact))
    store_path = tmp_path / "jobs.sqlite"
    with JobStore(store_path) as store:
        sample(store, LeakyExecutor(), circuit, artifact=f"/x/{TOKEN}.qpy")
        failing = LeakyExecutor(fail=True, seed=7)
        monkeypatch.setattr(
            failing, "submit", lambda *a, **k: (_ for _ in ()).throw(RuntimeError(f"bad {TOKEN}"))
        )
        with pytest.raises(RuntimeError):
            sample(store, failing, circuit)
        records = store.records()
    assert {r.status for r in records} == {DONE, ERROR}
    sqlite3.connect(store_path).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    for path in tmp_path.iterdir():
        assert TOKEN.encode() not in path.read_bytes(), path


def test_refused_submission_is_retried_without_force(
    ghz_artifact: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    circuit = load_artifact_circuit(ghz_qpy(ghz_artifact))
    executor = PrimitiveExecutor()
    working_submit = executor.submit

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise JobError("cannot connect to IBM Quantum (no route)")

    monkeypatch.setattr(executor, "submit", refuse)
    with JobStore(tmp_path / "jobs.sqlite") as store:
        with pytest.raises(JobError, match="no route"):
            sample(store, executor, circuit)
        (refused,) = store.records()
        assert refused.status == ERROR and refused.failed_in == "submit"
        monkeypatch.setattr(executor, "submit", working_submit)
        key, _ = sample(store, executor, circuit)  # no job ran, so no force needed
        record = store.get(key)
    assert record is not None and record.status == DONE and record.error is None
    assert record.attempts == 2 and executor.submissions == 1
