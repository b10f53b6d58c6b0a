"""One execution per request across processes: concurrent callers wait, dead claimants don't block.

Four processes released at the same moment on the same new request used to submit it four
times (each read "no record", each submitted). They now claim it in one SQLite transaction:
one executes, the others wait for its stored result.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from hardware_profiles import load_profile
from qcompile.artifact import load_artifact_circuit
from runtime.execution.claims import claimant_alive, claimant_id
from runtime.execution.executor import SamplerPub
from runtime.execution.jobstore import (
    DONE,
    PENDING,
    SUBMITTED,
    JobRecord,
    JobStore,
    run_request,
)
from runtime.execution.requests import request_key
from tests.runtime.execution.concurrent_request import EXECUTIONS
from tests.runtime.primitive_executor import PrimitiveExecutor

REPO = Path(__file__).resolve().parents[3]
HERON = load_profile("heron_r2")
WAIT = 300.0
"""Seconds a test waits for a subprocess: generous, for a heavily loaded machine."""


def _helper(store: Path, qpy: Path, spool: Path, gate: Path, delay: str) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "tests.runtime.execution.concurrent_request"]
    args += [str(store), str(qpy), str(spool), str(gate), str(delay)]
    return subprocess.Popen(
        args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _until(
    condition: Callable[[], bool], what: str, procs: Sequence[subprocess.Popen[str]] = ()
) -> None:
    """Waits for ``condition``; fails at once if one of ``procs`` fails, else after WAIT."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return
        for proc in procs:
            if proc.poll() not in (None, 0):
                raise AssertionError(f"{what}: a process failed: {proc.communicate()[1]}")
        time.sleep(0.05)
    raise AssertionError(f"{what} not within {WAIT:.0f} s")


def _submissions(spool: Path) -> list[str]:
    return sorted(p.name for p in spool.iterdir() if p.is_dir()) if spool.exists() else []


def _executions(spool: Path) -> list[str]:
    log = spool / EXECUTIONS
    return log.read_text().split() if log.exists() else []


def _waiting(gate: Path) -> list[str]:
    """The pids whose job store said they wait for another process."""
    return [
        p.name.removeprefix("progress-")
        for p in gate.glob("progress-*")
        if "waiting" in p.read_text()
    ]


def _records(store: Path) -> list[JobRecord]:
    if not store.exists():
        return []
    with JobStore(store) as jobs:
        return list(jobs.records())


@pytest.mark.slow
def test_four_concurrent_processes_execute_a_request_once(
    ghz_artifact: Path, tmp_path: Path
) -> None:
    qpy = next(ghz_artifact.glob("*.qpy"))
    store, spool, gate = tmp_path / "jobs.sqlite", tmp_path / "spool", tmp_path / "gate"
    gate.mkdir()
    procs = [_helper(store, qpy, spool, gate, "hold") for _ in range(4)]
    try:
        _until(lambda: len(list(gate.glob("ready-*"))) == 4, "four processes ready", procs)
        (gate / "go").touch()  # all four reach the store within milliseconds
        # The one that claimed it holds its simulation until the other three are waiting.
        _until(lambda: len(_waiting(gate)) == 3, "three processes waiting", procs)
        (gate / "finish").touch()
        outputs = [proc.communicate(timeout=WAIT) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    for proc, (_, stderr) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, stderr
    printed = [json.loads(stdout) for stdout, _ in outputs]
    assert len({doc["pid"] for doc in printed}) == 4
    executed = _executions(spool)
    assert set(_waiting(gate)) == {str(doc["pid"]) for doc in printed} - set(executed)
    assert len({doc["key"] for doc in printed}) == 1
    # seed None: a second execution would give another histogram
    assert all(doc["counts"] == printed[0]["counts"] for doc in printed)
    assert sum(printed[0]["counts"].values()) == 200
    assert len(_submissions(spool)) == 1 and len(_executions(spool)) == 1
    with JobStore(store) as jobs:
        (record,) = jobs.records()
    assert record.key == printed[0]["key"] and record.status == DONE
    assert record.attempts == 1 and record.claimed_by is None and record.lease_until is None


@pytest.mark.slow
def test_four_concurrent_qrun_samples_record_one_execution(
    ghz_artifact: Path, tmp_path: Path
) -> None:
    # The CLI as users run it: a noisy request, unseeded, so every execution would give its
    # own histogram (its distance is to the exact distribution: no ideal run is stored).
    store = tmp_path / "jobs.sqlite"
    argv = [sys.executable, "-m", "runtime.cli", "sample", str(ghz_artifact), "--noisy"]
    argv += ["--store", str(store), "--shots", "20000", "--json"]
    procs = [
        subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [proc.communicate(timeout=WAIT) for proc in procs]
    for proc, (_, stderr) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, stderr
    printed = [json.loads(stdout) for stdout, _ in outputs]
    assert len({doc["key"] for doc in printed}) == 1
    assert all(doc["result"] == printed[0]["result"] for doc in printed)
    assert all(doc["distance_to_ideal"] == printed[0]["distance_to_ideal"] for doc in printed)
    records = _records(store)
    assert [r.executor for r in records] == ["aer-noisy"]
    assert all(r.status == DONE and r.attempts == 1 and r.claimed_by is None for r in records)


@pytest.mark.slow
def test_a_killed_claimant_does_not_block_the_others(ghz_artifact: Path, tmp_path: Path) -> None:
    qpy = next(ghz_artifact.glob("*.qpy"))
    store, spool, gate = tmp_path / "jobs.sqlite", tmp_path / "spool", tmp_path / "gate"
    gate.mkdir()
    (gate / "go").touch()
    victim = _helper(store, qpy, spool, gate, "hold")  # submits, then holds in result()
    waiter: subprocess.Popen[str] | None = None
    try:
        _until(
            lambda: any(r.status == SUBMITTED and r.claimed_by for r in _records(store)),
            "the victim's claim",
            [victim],
        )
        waiter = _helper(store, qpy, spool, gate, "0")
        _until(lambda: _waiting(gate) == [str(waiter.pid)], "the waiter waiting", [waiter])
        assert waiter.poll() is None and len(_submissions(spool)) == 1
    finally:
        os.kill(victim.pid, signal.SIGKILL)
        victim.communicate()
        if waiter is None:
            raise AssertionError("the waiter never started")
    stdout, stderr = waiter.communicate(timeout=WAIT)
    assert waiter.returncode == 0, stderr
    (record,) = _records(store)
    assert json.loads(stdout)["key"] == record.key
    assert record.status == DONE and record.attempts == 1
    assert [record.job_id] == _submissions(spool)  # resumed, not submitted again
    assert _executions(spool) == [str(waiter.pid)]  # the victim died before simulating


def _key(executor: PrimitiveExecutor, pub: SamplerPub) -> str:
    fingerprint = {"name": executor.name, **executor.fingerprint()}
    return request_key(
        "sample", [pub], shots=100, precision=None, profile=HERON, executor=fingerprint
    )


@pytest.mark.slow
def test_a_claim_from_another_host_holds_until_its_lease_expires(
    ghz_artifact: Path, tmp_path: Path
) -> None:
    pub = SamplerPub(load_artifact_circuit(next(ghz_artifact.glob("*.qpy"))))
    executor = PrimitiveExecutor()
    path, lease = tmp_path / "jobs.sqlite", 1.5
    with JobStore(path) as store:
        key = _key(executor, pub)
        store.begin(
            key,
            kind="sample",
            profile=HERON,
            executor=executor.name,
            fingerprint={},
            shots=100,
            precision=None,
            claimed_by="elsewhere.example/4242/1",
        )
        expires = time.time() + lease
        with sqlite3.connect(path) as db:
            db.execute("UPDATE requests SET lease_until = ?", (expires,))
        assert store.get(key).status == PENDING  # type: ignore[union-attr]
        said: list[str] = []
        again, _ = run_request(
            store, executor, "sample", [pub], shots=100, profile=HERON, progress=said.append
        )
        finished = time.time()
        record = store.get(key)
    assert again == key and executor.submissions == 1
    assert finished >= expires  # it waited for the lease, then took the request over
    assert any("elsewhere.example/4242/1" in line and "waiting" in line for line in said)
    assert record is not None and record.status == DONE and record.attempts == 2
    assert record.claimed_by is None


def test_claimant_liveness() -> None:
    now = time.time()
    assert claimant_alive(claimant_id(), None, now)  # this process, with or without a lease
    host, pid, start, nonce = claimant_id().split("/")
    assert host == socket.gethostname() and pid == str(os.getpid())
    assert claimant_id() != claimant_id()  # two calls in one process are two claimants
    assert claimant_alive(f"{host}/{pid}/{start}/not-{nonce}", None, now)  # both alive
    if start != "-":  # Linux: a pid with another start time is another process
        assert not claimant_alive(f"{host}/{pid}/{int(start) + 1}", now + 60, now)
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = finished.stdout.strip()
    assert not claimant_alive(f"{host}/{dead}/{start}", now + 60, now)  # gone: lease moot
    assert claimant_alive("elsewhere.example/1/1", now + 60, now)
    assert not claimant_alive("elsewhere.example/1/1", now - 1, now)
    assert not claimant_alive("elsewhere.example/1/1", None, now)


def test_a_dead_processs_claim_is_taken_over_at_once(ghz_artifact: Path, tmp_path: Path) -> None:
    pub = SamplerPub(load_artifact_circuit(next(ghz_artifact.glob("*.qpy"))))
    executor = PrimitiveExecutor()
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    host, _, start, nonce = claimant_id().split("/")
    dead = f"{host}/{finished.stdout.strip()}/{start}/{nonce}"
    with JobStore(tmp_path / "jobs.sqlite") as store:
        key = _key(executor, pub)
        store.begin(
            key,
            kind="sample",
            profile=HERON,
            executor=executor.name,
            fingerprint={},
            shots=100,
            precision=None,
            claimed_by=dead,  # a lease of a minute, but the process is gone
        )
        said: list[str] = []
        run_request(
            store, executor, "sample", [pub], shots=100, profile=HERON, progress=said.append
        )
        record = store.get(key)
    assert not any("waiting" in line for line in said)  # no poll: taken over at once
    assert executor.submissions == 1
    assert record is not None and record.status == DONE and record.attempts == 2


@pytest.mark.slow
def test_two_threads_of_one_process_execute_a_request_once(
    ghz_artifact: Path, tmp_path: Path
) -> None:
    pub = SamplerPub(load_artifact_circuit(next(ghz_artifact.glob("*.qpy"))))
    executor = PrimitiveExecutor(seed=None, delay=1.0)  # unseeded: runs would differ
    path, barrier = tmp_path / "jobs.sqlite", threading.Barrier(2)
    results: list[object] = []

    def run() -> None:
        with JobStore(path) as store:
            barrier.wait()
            results.append(run_request(store, executor, "sample", [pub], shots=100, profile=HERON))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert len(results) == 2 and results[0] == results[1]
    assert executor.submissions == 1 and executor.executions == 1
