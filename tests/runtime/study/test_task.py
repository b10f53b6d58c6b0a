import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hardware_profiles import PROFILE_PATH_ENV, load_profile
from hardware_profiles.errors import ResourceError
from hardware_profiles.identity import canonical_json
from runtime.study.definitions import get_study
from runtime.study.task import StudyTask


def test_strong_id_is_sha256_of_canonical_identity() -> None:
    task = StudyTask("qram-fidelity", {"size": 8, "kind": "qrom", "profile": "grid_10x10"})
    ident = task.identity()
    assert set(ident) == {"study", "params", "versions", "profile_digest"}
    assert ident["profile_digest"] == load_profile("grid_10x10").digest()
    assert {"qattn", "qiskit", "qiskit-aer"} <= set(ident["versions"])
    text = json.dumps(ident, sort_keys=True, separators=(",", ":"))
    assert task.strong_id() == hashlib.sha256(text.encode()).hexdigest()
    assert canonical_json(ident) == text


def test_editing_a_profile_in_place_makes_a_new_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = Path(load_profile("ion_all_to_all").source).read_text()
    profile_file = tmp_path / "ion_all_to_all.toml"
    profile_file.write_text(source)
    monkeypatch.setenv(PROFILE_PATH_ENV, str(tmp_path))
    params = {"size": 4, "kind": "qrom", "profile": "ion_all_to_all"}
    before = StudyTask("qram-fidelity", params).strong_id()
    assert StudyTask("qram-fidelity", params).strong_id() == before
    assert "error = 2e-3" in source
    profile_file.write_text(source.replace("error = 2e-3", "error = 2e-1"))
    after = StudyTask("qram-fidelity", params).strong_id()
    assert after != before
    profile_file.write_text("# a comment changes nothing the device does\n" + source)
    assert StudyTask("qram-fidelity", params).strong_id() == before


def test_a_nan_parameter_has_no_id() -> None:
    with pytest.raises(ResourceError, match="NaN or infinite"):
        StudyTask("s", {"x": float("nan")}).strong_id()


def test_strong_id_ignores_order_and_sees_every_parameter() -> None:
    a = StudyTask("s", {"a": 1, "b": 0.5, "c": "x"})
    b = StudyTask("s", {"c": "x", "b": 0.5, "a": 1})
    assert a.strong_id() == b.strong_id()
    assert StudyTask("s", {"a": 1, "b": 0.25, "c": "x"}).strong_id() != a.strong_id()
    assert StudyTask("t", {"a": 1, "b": 0.5, "c": "x"}).strong_id() != a.strong_id()


@pytest.mark.slow
def test_strong_id_is_stable_across_processes() -> None:
    code = (
        "from runtime.study.definitions import get_study;"
        "print(get_study('qram-fidelity').tasks({'size': [4], 'kind': ['qrom'],"
        "'noise_scale': [1], 'profile': ['grid_10x10']})[0].strong_id())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    here = get_study("qram-fidelity").tasks(
        {"size": [4], "kind": ["qrom"], "noise_scale": [1.0], "profile": ["grid_10x10"]}
    )
    assert out.stdout.strip() == here[0].strong_id()


@pytest.mark.slow
def test_grid_is_the_product_of_axes_and_checks_points() -> None:
    spec = get_study("qram-fidelity")
    tasks = spec.tasks({"size": [4, 8, 8], "kind": ["qrom", "multiplexer"], "noise_scale": [1]})
    assert len(tasks) == 2 * 2 * 1 * 1 * 1 * 1 * 1
    assert all(t.params["noise_scale"] == 1.0 for t in tasks)
    with pytest.raises(ResourceError, match="power of two"):
        spec.tasks({"size": [12]})
    with pytest.raises(ResourceError, match="unknown QRAM kind"):
        spec.tasks({"kind": ["oracle"]})
    with pytest.raises(ResourceError, match="no axis"):
        spec.tasks({"shots": [5]})
    with pytest.raises(ResourceError):
        StudyTask("s", {"a": [1, 2]})  # type: ignore[dict-item]
