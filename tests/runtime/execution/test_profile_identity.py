"""A device profile is identified by its content: editing one in place never returns stale results.

Two synthetic profiles that differ only in their RZZ error (2e-3 vs 2e-1) used to give the
same job-store key, so ``qrun sample --noisy`` after an in-place edit answered from the store
with the old profile's result. Keys now hold :meth:`DeviceProfile.digest`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import shutil
from pathlib import Path

import pytest
from qiskit import QuantumCircuit, qasm2

from hardware_profiles import load_profile
from hardware_profiles.loader import BUILTIN_PROFILE_DIR
from qcompile.cli import main as qcompile
from runtime.cli import main as qrun
from runtime.execution.executor import SamplerPub
from runtime.execution.jobstore import JobStore
from runtime.execution.requests import request_key

ION = BUILTIN_PROFILE_DIR / "ion_all_to_all.toml"
LOW, HIGH = "error = 2e-3", "error = 2e-1"  # the RZZ error, the only 2e-3 in the file


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path} should hold {old!r} once"
    path.write_text(text.replace(old, new))


def _ghz3() -> QuantumCircuit:
    circuit = QuantumCircuit(3, name="ghz3")
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.cx(1, 2)
    circuit.measure_all()
    return circuit


def _key(profile: object) -> str:
    circuit = QuantumCircuit(1)
    circuit.x(0)
    circuit.measure_all()
    return request_key(
        "sample",
        [SamplerPub(circuit)],
        shots=100,
        precision=None,
        profile=profile,  # type: ignore[arg-type]
        executor={"name": "aer-noisy"},
    )


def test_one_error_changed_is_another_digest_and_another_key(tmp_path: Path) -> None:
    low = tmp_path / "low" / "ion_all_to_all.toml"
    high = tmp_path / "high" / "ion_all_to_all.toml"
    for path in (low, high):
        path.parent.mkdir()
        shutil.copy(ION, path)
    _edit(high, LOW, HIGH)
    a, b = load_profile(low), load_profile(high)
    errors = [{g.name: g.error for g in p.gates} for p in (a, b)]
    assert a.name == b.name and (errors[0]["rzz"], errors[1]["rzz"]) == (2e-3, 2e-1)
    assert {**errors[0], "rzz": 0} == {**errors[1], "rzz": 0}
    assert a.digest() != b.digest()
    assert _key(a) != _key(b)


def test_same_content_elsewhere_or_renamed_is_the_same_digest(tmp_path: Path) -> None:
    builtin = load_profile("ion_all_to_all")
    moved = tmp_path / "ion_all_to_all.toml"
    moved.write_text("# the same device, another file and other comments\n" + ION.read_text())
    copy = load_profile(moved)
    assert copy.source != builtin.source
    assert copy.digest() == builtin.digest() and _key(copy) == _key(builtin)
    renamed = dataclasses.replace(builtin, name="ion_renamed", description="another name")
    assert renamed.digest() == builtin.digest()
    assert len(builtin.digest()) == 64 and builtin.digest() != load_profile("heron_r2").digest()


def _sample(artifact: Path, profile: Path, store: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    argv = ["sample", str(artifact), "--noisy", "--profile", str(profile), "--store", str(store)]
    assert qrun([*argv, "--shots", "4000", "--seed", "11", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _off_ghz(doc: dict) -> float:
    (counts,) = doc["result"]["counts"][0]
    return sum(n for bits, n in counts.items() if bits not in ("000", "111")) / 4000


def test_qrun_runs_again_after_a_profile_is_edited_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "ion_all_to_all.toml"
    shutil.copy(ION, profile)
    (tmp_path / "ghz3.qasm").write_text(qasm2.dumps(_ghz3()))
    artifact, store = tmp_path / "artifact", tmp_path / "jobs.sqlite"
    compile_argv = ["compile", str(tmp_path / "ghz3.qasm"), "--profile", str(profile)]
    with contextlib.redirect_stdout(io.StringIO()):
        assert qcompile([*compile_argv, "--out", str(artifact), "--json"]) == 0

    first = _sample(artifact, profile, store, capsys)
    _edit(profile, LOW, HIGH)
    second = _sample(artifact, profile, store, capsys)
    third = _sample(artifact, profile, store, capsys)

    assert second["key"] != first["key"]  # the edit is a new request: it executed
    assert third["key"] == second["key"] and third["result"] == second["result"]
    # Two RZZ-based CNOTs at 20% error each: far more shots leave {000, 111} than at 0.2%.
    assert _off_ghz(first) < 0.05 < 0.15 < _off_ghz(second)
    assert second["distance_to_ideal"]["max"] > first["distance_to_ideal"]["max"] + 0.1
    with JobStore(store) as jobs:
        noisy = [r for r in jobs.records() if r.executor == "aer-noisy"]
    assert len(noisy) == 2  # one record per profile content; the third run added none
    assert {r.profile for r in noisy} == {"ion_all_to_all"}
    assert {r.attempts for r in noisy} == {1}
    digests = {load_profile(profile).digest()}
    _edit(profile, HIGH, LOW)
    digests.add(load_profile(profile).digest())
    assert {r.profile_digest for r in noisy} == digests
