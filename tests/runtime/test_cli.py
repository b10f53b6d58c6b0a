"""Drive ``qrun`` through ``main([...])`` and fresh subprocesses; read the job store it wrote."""

from __future__ import annotations

import json
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


def test_noisy_sample_reports_total_variation_to_ideal(
    ghz_artifact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "jobs.sqlite")
    args = ["sample", str(ghz_artifact), "--noisy", "--shots", "500", "--seed", "2"]
    doc = run_json(capsys, *args, "--store", store)
    assert doc["executor"] == "aer-noisy"
    noisy = doc["result"]["counts"][0][0]
    ideal_doc = run_json(capsys, "result", doc["ideal_key"], "--store", store)
    ideal = ideal_doc["result"]["counts"][0][0]
    keys = set(noisy) | set(ideal)
    expected = 0.5 * sum(abs(noisy.get(k, 0) - ideal.get(k, 0)) / 500 for k in keys)
    assert doc["distance_to_ideal"]["metric"] == "total_variation"
    assert doc["distance_to_ideal"]["max"] == pytest.approx(expected)
    assert 0 < expected < 0.5  # Heron's noise is visible, not overwhelming
    listing = run_json(capsys, "jobs", "--store", store)
    assert sorted(r["executor"] for r in listing) == ["aer-ideal", "aer-noisy"]
    assert (
        main(["sample", str(ghz_artifact), "--noisy", "--noise-scale", "0", "--store", store]) == 0
    )
    assert "distance to ideal" in capsys.readouterr().out


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
