"""The four tutorial scripts run as a user runs them (``python examples/tutorial_*.py --small``).

The docs include these files verbatim (docs/tutorials/*.md), so a script that breaks here is a
tutorial that would have broken for its reader. Each test then checks what the script wrote
against something the script did not compute.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p.name for p in (ROOT / "examples").glob("tutorial_*.py"))


def run_tutorial(name: str, out: Path, *args: str) -> str:
    """Runs ``examples/<name> --small --out OUT`` from the repository root; returns stdout."""
    done = subprocess.run(
        [sys.executable, f"examples/{name}", "--small", "--out", str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr and "DeprecationWarning" not in done.stderr
    return done.stdout


def test_every_tutorial_script_has_a_test_and_a_page() -> None:
    assert SCRIPTS == [
        "tutorial_compile.py",
        "tutorial_estimate.py",
        "tutorial_ibm.py",
        "tutorial_noisy_study.py",
    ]
    pages = "".join(p.read_text() for p in (ROOT / "docs" / "tutorials").glob("*.md"))
    for script in SCRIPTS:
        assert f'--8<-- "examples/{script}"' in pages


@pytest.mark.slow
def test_tutorial_compile_targets_the_custom_device(tmp_path: Path) -> None:
    from qiskit.quantum_info import Statevector

    from qcompile import Artifact

    stdout = run_tutorial("tutorial_compile.py", tmp_path)
    assert "my_line_12" in stdout
    artifact = Artifact.load(tmp_path / "qft-my_line_12")
    # The TOML in the script names these native gates and a line: check against them.
    used = {inst.operation.name for inst in artifact.circuit.data}
    assert used <= {"rz", "sx", "x", "cz", "measure", "barrier"}
    for inst in artifact.circuit.data:
        if inst.operation.name == "cz":
            a, b = (artifact.circuit.find_bit(q).index for q in inst.qubits)
            assert abs(a - b) == 1
    # The QFT of a basis state has equal magnitudes: the measured qubits of the compiled
    # circuit must read all 8 outcomes with probability 1/8 (numpy's reference below).
    circuit = artifact.circuit
    measured = [circuit.find_bit(i.qubits[0]).index for i in circuit.data if i.name == "measure"]
    state = Statevector(circuit.remove_final_measurements(inplace=False))
    expected = np.abs(np.fft.fft(np.eye(8)[1]) / np.sqrt(8)) ** 2
    assert len(measured) == 3
    np.testing.assert_allclose(state.probabilities(measured), expected, atol=1e-9)


@pytest.mark.slow
def test_tutorial_ibm_runs_in_local_testing_mode(tmp_path: Path) -> None:
    from runtime import JobStore

    stdout = run_tutorial("tutorial_ibm.py", tmp_path)
    assert "local-ibm:fake_fez" in stdout
    # Ideal GHZ: P(0...0) + P(1...1) = 1; FakeFez's noise on 3 qubits costs a few percent.
    found = re.search(r"= ([0-9.]+) over 256 shots", stdout)
    assert found is not None, stdout
    good = float(found[1])
    assert 0.8 < good < 1.0
    with JobStore(tmp_path / "jobs.sqlite") as store:
        assert [r.status for r in store.records()] == ["DONE"]
    # Running it again returns the stored result: same key, same numbers.
    assert run_tutorial("tutorial_ibm.py", tmp_path) == stdout


@pytest.mark.slow
def test_tutorial_noisy_study_resumes_on_the_scheduler(tmp_path: Path) -> None:
    stdout = run_tutorial("tutorial_noisy_study.py", tmp_path)
    assert "local:   4 tasks ran, 0 were already" in stdout
    assert "cluster: 4 tasks ran, 4 were already" in stdout
    with (tmp_path / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 8 == len({r["task_id"] for r in rows})
    fidelity: dict[tuple[str, str], dict[float, float]] = defaultdict(dict)
    for row in rows:
        assert 0.0 <= float(row["fidelity"]) <= 1.0
        fidelity[row["kind"], row["size"]][float(row["noise_scale"])] = float(row["fidelity"])
    for by_scale in fidelity.values():  # ten times the noise never helps (seeded trajectories)
        assert by_scale[1.0] <= by_scale[0.1]
    assert (tmp_path / "report.html").read_text().count("<svg") >= 1


@pytest.mark.slow
def test_tutorial_estimate_writes_the_report_and_its_plots(tmp_path: Path) -> None:
    run_tutorial("tutorial_estimate.py", tmp_path)
    report = json.loads((tmp_path / "estimate.json").read_text())
    sizes = [2**k for k in range(4, 11)]
    assert {(r["seq_len"], r["profile"]) for r in report["rows"]} == {
        (n, p) for n in sizes for p in ("heron_r2", "ft_logical")
    }
    # The smallest N compiles on Heron whatever the time budget: at least the logical gates.
    first = next(r for r in report["rows"] if (r["seq_len"], r["profile"]) == (16, "heron_r2"))
    assert first["source"] == "compiled"
    assert first["two_qubit_gates"] >= first["logical_two_qubit_gates"]
    page = (tmp_path / "estimate.html").read_text()
    assert page.count("<figure") >= 2 and "<script" not in page
    assert (tmp_path / "estimate.md").read_text().startswith("# Resource estimate")
