"""Drive ``qrun`` through ``main([...])`` and fresh subprocesses; read the job store it wrote."""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from qiskit import qpy

from runtime.cli import main
from runtime.execution.jobstore import DONE, JobStore

REPO = Path(__file__).resolve().parents[2]
TOKEN = "secret-token-123"


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_sample_twice_executes_once_and_force_again(
    ghz_artifact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "jobs.sqlite")
    args = ["sample", str(ghz_artifact), "--shots", "300", "--seed", "5", "--store", store]
    first = run_json(capsys, *args)
    again = run_json(capsys, *args)
    assert first["key"] == again["key"] and first["result"] == again["result"]
    assert first["executor"] == "aer-ideal" and first["profile"] == "heron_r2"
    (counts,) = first["result"]["counts"][0]
    assert set(counts) <= {"0000", "1111"} and sum(counts.values()) == 300
    with JobStore(store) as jobs:
        assert jobs.get(first["key"]).attempts == 1  # type: ignore[union-attr]
        run_json(capsys, *args, "--force")
        record = jobs.get(first["key"])
    assert record is not None and record.attempts == 2 and record.status == DONE
    assert record.artifact is not None and record.artifact.endswith(".qpy")


def test_noisy_sample_reports_total_variation_to_the_exact_distribution(
    ghz_artifact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue #16: the distance is to the exact GHZ distribution, beside the shot-noise floor."""
    store = str(tmp_path / "jobs.sqlite")
    shots = 500
    args = ["sample", str(ghz_artifact), "--noisy", "--shots", str(shots), "--seed", "2"]
    doc = run_json(capsys, *args, "--store", store)
    assert doc["executor"] == "aer-noisy" and "ideal_key" not in doc  # no finite-shot ideal run
    noisy = doc["result"]["counts"][0][0]
    exact = {"0000": 0.5, "1111": 0.5}  # GHZ_4, by hand
    keys = set(noisy) | set(exact)
    expected = 0.5 * sum(abs(noisy.get(k, 0) / shots - exact.get(k, 0.0)) for k in keys)
    distance = doc["distance_to_ideal"]
    assert distance["metric"] == "total_variation" and distance["reference"] == "exact"
    assert distance["max"] == pytest.approx(expected)
    assert 0 < expected < 0.5  # Heron's noise is visible, not overwhelming
    # E|X - N/2| for X ~ Binomial(N, 1/2), summed over x: the floor of two equal outcomes.
    mad = sum(abs(x - shots / 2) * math.comb(shots, x) for x in range(shots + 1)) / 2**shots
    assert distance["shot_noise_floor"] == pytest.approx(2 * mad / (2 * shots), rel=1e-9)
    listing = run_json(capsys, "jobs", "--store", store)
    assert [r["executor"] for r in listing] == ["aer-noisy"]
    assert (
        main(["sample", str(ghz_artifact), "--noisy", "--noise-scale", "0", "--store", store]) == 0
    )
    line = capsys.readouterr().out.splitlines()[-1]
    assert "distance to ideal" in line and "shot-noise floor" in line


@pytest.mark.slow
def test_estimate_model_observables_and_error_to_ideal(
    model_artifact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "jobs.sqlite")
    args = ["estimate", str(model_artifact), "--random-parameters", "4", "--store", store]
    ideal = run_json(capsys, *args)
    noisy = run_json(capsys, *args, "--noisy")
    observables = json.loads(next(model_artifact.glob("*.observables.json")).read_text())
    values = np.asarray(ideal["result"]["values"][0])
    assert values.shape == (len(observables["isa"]),)
    assert np.all(np.abs(values) <= 1 + 1e-9)
    error = np.abs(np.asarray(noisy["result"]["values"][0]) - values)
    assert noisy["ideal_key"] == ideal["key"]  # the ideal run was recalled, not repeated
    assert noisy["distance_to_ideal"]["max"] == pytest.approx(error.max())


@pytest.mark.slow
def test_status_and_result_from_a_fresh_process(
    ghz_artifact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "jobs.sqlite")
    doc = run_json(capsys, "sample", str(ghz_artifact), "--shots", "64", "--store", store)
    for command in ("status", "result"):
        shown = subprocess.run(
            [sys.executable, "-m", "runtime", command, doc["key"][:10], "--store", store, "--json"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        record = json.loads(shown.stdout)
        assert record["key"] == doc["key"] and record["status"] == DONE
    assert record["result"] == doc["result"]


def test_result_resumes_an_unfinished_request(
    ghz_artifact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "jobs.sqlite")
    doc = run_json(capsys, "sample", str(ghz_artifact), "--shots", "64", "--store", store)
    with sqlite3.connect(store) as db:  # as if killed before the result came back
        db.execute("UPDATE requests SET status = 'SUBMITTED', result = NULL")
    resumed = run_json(capsys, "result", doc["key"], "--store", store)
    assert resumed["key"] == doc["key"]
    with JobStore(store) as jobs:
        record = jobs.get(doc["key"])
    assert record is not None and record.status == DONE and record.attempts == 2


@pytest.mark.slow
def test_no_token_in_outputs_or_store(ghz_artifact: Path, tmp_path: Path) -> None:
    store = tmp_path / "jobs.sqlite"
    env = {**os.environ, "QISKIT_IBM_TOKEN": TOKEN, "QATTN_JOBSTORE": str(store)}
    outputs = []
    for args in (
        ["sample", str(ghz_artifact), "--noisy", "--shots", "50"],
        ["sample", str(ghz_artifact), "--noisy", "--shots", "50", "--json"],
        ["jobs", "--json"],
        ["jobs"],
        ["sample", str(ghz_artifact), "--ibm", "ibm_nowhere", "--shots", "50"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "runtime", *args], cwd=REPO, env=env, capture_output=True
        )
        outputs += [done.stdout, done.stderr]
    assert any(b"aer-noisy" in out for out in outputs)
    sqlite3.connect(store).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    files = [p.read_bytes() for p in tmp_path.iterdir() if p.is_file()]
    assert files and not any(TOKEN.encode() in blob for blob in [*outputs, *files])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sample", "{tmp}/missing"], "no such artifact"),
        (["sample", "{ghz}", "--profile", "no_such_profile"], "unknown profile"),
        (["sample", "{tmp}/bad.qpy"], "not a readable QPY circuit"),
        (["sample", "{tmp}"], "2 .qpy files"),
        (["sample", "{ghz}", "--profile", "eagle_r3"], "compiled for heron_r2"),
        (["sample", "{ghz}", "--shots", "0"], "--shots"),
        (["estimate", "{ghz}"], "observables.json: missing"),
        (["sample", "{model}"], "pass --parameters"),
        (["sample", "{model}", "--parameters", "{tmp}/bad.qpy"], "not parameter values"),
        (["status", "abcdef0123"], "no such request"),
        (["result", "nope"], "no such request"),
        (["sample", "{ghz}", "--noisy", "--ideal"], "not allowed with"),
        # issue #16: IBM options where they cannot apply, refused in one line
        (["sample", "{ghz}", "--noisy", "--dd", "XY4"], "--dd XY4: Aer inserts XX only"),
        (["sample", "{ghz}", "--mode", "batch"], "--mode: for --ibm runs only"),
        (["sample", "{ghz}", "--instance", "x", "--noisy"], "--instance: for --ibm runs only"),
        (["sample", "{ghz}", "--local-ibm", "FakeFez", "--zne"], "--zne: estimator options"),
        (["sample", "{ghz}", "--zne-noise-factors", "1,0.5"], "at least two finite numbers"),
        (["sample", "{ghz}", "--resilience-level", "5"], "invalid choice"),
        (["sample", "{ghz}", "--mode", "party"], "invalid choice"),
        # issue #15: refused before any work, in one line
        (["sample", "{ghzqpy}/"], "no such artifact file or directory (Not a directory)"),
        (["sample", "{tmp}/" + "a" * 300 + ".qpy"], "(File name too long)"),
        (["sample", "{tmp}/two/two.qpy"], "exactly one circuit, found 2"),
        (
            ["sample", "{model}", "--random-parameters", "1", "--local-ibm", "FakeFez"],
            "compiled for ion_all_to_all (synthetic), not for an IBM device",
        ),
        (["sample", "{model}", "--parameters", "{tmp}/huge.npy"], "not parameter values"),
        (["sample", "{model}", "--parameters", "{tmp}/deep.json"], "nested too deeply"),
        (["sample", "{model}", "--parameters", "{tmp}/nan.json"], "must be finite numbers"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str],
    message: str,
    ghz_artifact: Path,
    model_artifact: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "bad.qpy").write_bytes(b"QISKIT\x0c not really")
    (tmp_path / "other.qpy").write_bytes(b"")
    ghz_qpy = next(ghz_artifact.glob("*.qpy"))
    with open(ghz_qpy, "rb") as handle:
        (circuit,) = qpy.load(handle)
    np.save(tmp_path / "huge.npy", np.zeros(3))  # then its header promises 10^13 values
    header = (tmp_path / "huge.npy").read_bytes().replace(b"(3,)", b"(10000000000000,)")
    (tmp_path / "huge.npy").write_bytes(header)
    (tmp_path / "deep.json").write_text("[" * 100_000)
    (tmp_path / "nan.json").write_text("[NaN, 1.0]")
    (tmp_path / "two").mkdir()
    with open(tmp_path / "two" / "two.qpy", "wb") as handle:
        qpy.dump([circuit, circuit], handle)
    places = {
        "tmp": str(tmp_path),
        "ghz": str(ghz_artifact),
        "ghzqpy": str(ghz_qpy),
        "model": str(model_artifact),
    }
    argv = [a.format(**places) for a in args] + ["--store", str(tmp_path / "jobs.sqlite")]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code  # type: ignore[assignment]
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err.startswith("qrun")
        and ": error: " in captured.err
        and captured.err.count("\n") == 1
    )
    assert message in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    ("term", "message"),
    [
        (["Z", [-1], [1.0, 0.0]], "qubit -1 is outside"),
        (["Q", [0], [1.0, 0.0]], "Pauli label must use I, X, Y, Z"),
        (["Z", [0], [float("nan"), 0.0]], "coefficient must be two finite numbers"),
        (["Z", [10**30], [1.0, 0.0]], "is outside"),
    ],
)
def test_estimate_refuses_hostile_observables_in_one_line(
    model_artifact: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    term: list[object],
    message: str,
) -> None:
    for path in model_artifact.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    observables = next(tmp_path.glob("*.observables.json"))
    document = json.loads(observables.read_text())
    document["isa"][0] = [term]
    observables.write_text(json.dumps(document))
    store = str(tmp_path / "jobs.sqlite")
    argv = ["estimate", str(tmp_path), "--random-parameters", "1", "--store", store]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "malformed observables" in captured.err and message in captured.err


@pytest.mark.slow
def test_an_artifact_with_a_delay_runs_on_a_profile_without_dt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue #15: it compiled, but ``qrun sample`` failed with "Integer duration is expected"."""
    from qcompile.cli import main as qcompile

    source = tmp_path / "delay.qasm"
    source.write_text(
        'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[1] q;\nbit[1] c;\n'
        "x q[0];\ndelay[100ns] q[0];\nc[0] = measure q[0];\n"
    )
    out = tmp_path / "art"
    argv = ["compile", str(source), "--profile", "ion_all_to_all", "--out", str(out), "--json"]
    assert qcompile(argv) == 0
    capsys.readouterr()
    doc = run_json(capsys, "sample", str(out), "--shots", "50", "--store", str(tmp_path / "s"))
    assert doc["result"]["counts"][0][0] == {"1": 50}


def _own_parsers() -> dict[str, argparse.ArgumentParser]:
    from runtime.cli import _build_parser

    parser = _build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {name: sub.choices[name] for name in ("sample", "estimate", "jobs", "status", "result")}


def test_help_shows_every_default() -> None:
    """Issue #16: every option of sample, estimate, jobs, status and result names its default."""
    for name, parser in _own_parsers().items():
        for action in parser._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS:
                continue
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help and "default" in action.help, (name, action.option_strings)
        text = parser.format_help()
        assert "(default:" in text


def test_jobs_lists_the_store_without_importing_qiskit(tmp_path: Path) -> None:
    """Issue #16: ``qrun jobs`` only reads SQLite, so it starts in well under a second."""
    store = tmp_path / "jobs.sqlite"
    JobStore(store).close()
    code = (
        "import sys; from runtime.cli import main; "
        f"code = main(['jobs', '--store', {str(store)!r}]); "
        "print(code, sorted(m for m in ('qiskit', 'numpy', 'torch') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[-2] == "0 []"


def test_status_and_result_of_a_job_the_store_never_saw_come_from_the_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #16: ``qrun status|result JOB_ID`` of jobs submitted elsewhere (loopback cloud)."""
    import qiskit_ibm_runtime.accounts.management as account_management
    from qiskit import QuantumCircuit

    from tests.runtime.execution.fake_ibm_cloud import (
        Scenario,
        executor_sampler_result,
        fake_ibm_cloud,
        job_document,
    )

    monkeypatch.setattr(
        account_management, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(tmp_path / "none.json")
    )
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure_all()
    running, done = "d4elsewhere000000001", "d4elsewhere000000002"
    scenario = Scenario(
        jobs={running: job_document(running, "Running"), done: job_document(done, "Completed")},
        results={done: executor_sampler_result(bell, shots=600, seed=3)},
    )
    store = str(tmp_path / "jobs.sqlite")
    with fake_ibm_cloud(monkeypatch, scenario, TOKEN):
        shown = run_json(capsys, "status", running, "--store", store)
        assert shown["job_id"] == running and shown["status"] == "RUNNING"
        assert shown["backend"] == "ibm_torino" and shown["primitive"] == "executor"
        fetched = run_json(capsys, "result", done, "--store", store)
        assert main(["status", "d4nosuchjob", "--store", store]) == 2
    assert fetched["status"] == "DONE" and fetched["result"]["kind"] == "sample"
    (counts,) = fetched["result"]["counts"][0]
    assert set(counts) <= {"00", "11"} and sum(counts.values()) == 600  # a Bell pair, by hand
    assert min(counts.values()) > 200
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not found on IBM Quantum" in err and TOKEN not in err


@pytest.mark.slow
def test_ibm_least_busy_is_resolved_before_the_request_is_keyed(
    ghz_artifact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    """``--ibm least_busy`` stores the backend it chose, so a resumed request goes there too."""
    import qiskit_ibm_runtime.accounts.management as account_management

    from tests.runtime.execution.fake_ibm_cloud import Scenario, fake_ibm_cloud

    monkeypatch.setattr(
        account_management, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(tmp_path / "none.json")
    )
    scenario = Scenario(
        backends=("ibm_fez", "ibm_marrakesh"),
        devices={"ibm_fez": ("fez", 7), "ibm_marrakesh": ("fez", 1)},
    )
    store = str(tmp_path / "jobs.sqlite")
    argv = ["sample", str(ghz_artifact), "--ibm", "least_busy", "--mode", "job", "--twirling"]
    with fake_ibm_cloud(monkeypatch, scenario, TOKEN):
        assert main([*argv, "--shots", "100", "--store", store]) == 2  # nothing accepts jobs
    err = capsys.readouterr().err
    assert "least busy backend that runs the circuit: ibm_marrakesh" in err
    assert err.splitlines()[-1].startswith("qrun: error: cannot submit to ibm_marrakesh")
    (record,) = run_json(capsys, "jobs", "--store", store)
    assert record["executor"] == "ibm:ibm_marrakesh" and record["failed_in"] == "submit"
    assert record["spec"]["backend"] == "ibm_marrakesh"
    assert record["spec"]["mitigation"] == {"twirling": True}
    assert record["fingerprint"]["mitigation"] == {"twirling": True}
    assert TOKEN not in err


@pytest.mark.slow
def test_local_ibm_with_every_warning_an_error(ghz_artifact: Path, tmp_path: Path) -> None:
    """Issue #16: no deprecation (or any) warning reaches a user of the IBM path."""
    store = str(tmp_path / "jobs.sqlite")
    argv = ["sample", str(ghz_artifact), "--local-ibm", "FakeFez", "--shots", "256"]
    argv += ["--twirling", "--dd", "XX", "--seed", "3", "--store", store, "--json"]
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", "runtime", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert all(line.startswith("qrun: request ") for line in done.stderr.splitlines())
    doc = json.loads(done.stdout)
    assert doc["executor"] == "local-ibm:fake_fez"
    assert doc["result"]["metadata"]["primitive_options"]["twirling"]["enable_gates"] is True
