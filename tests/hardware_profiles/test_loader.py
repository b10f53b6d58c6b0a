from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hardware_profiles import (
    PROFILE_PATH_ENV,
    list_profiles,
    load_profile,
)
from hardware_profiles.errors import ProfileError
from hardware_profiles.loader import BUILTIN_PROFILE_DIR

EXPECTED_QUBITS = {
    "heron_r2": 156,
    "heron_r1": 133,
    "eagle_r3": 127,
    "ion_all_to_all": 32,
    "grid_10x10": 100,
    "heavy_hex_1k": 1081,
    "ft_logical": 128,
}


def test_every_builtin_profile_loads_and_yields_a_target_of_the_stated_width() -> None:
    profiles = {p.name: p for p in list_profiles()}
    assert set(EXPECTED_QUBITS) <= set(profiles)
    for name, qubits in EXPECTED_QUBITS.items():
        target = profiles[name].target()
        assert target.num_qubits == qubits, name
        assert profiles[name].num_qubits == qubits


def test_profile_kinds_cover_snapshots_synthetic_and_fault_tolerant() -> None:
    kinds = {p.name: p.kind for p in list_profiles()}
    assert kinds["heron_r2"] == kinds["heron_r1"] == kinds["eagle_r3"] == "ibm_snapshot"
    assert kinds["ion_all_to_all"] == kinds["grid_10x10"] == kinds["heavy_hex_1k"] == "synthetic"
    assert kinds["ft_logical"] == "fault_tolerant"


def test_heavy_hex_1k_has_heavy_hex_degree_and_count() -> None:
    target = load_profile("heavy_hex_1k").target()
    cmap = target.build_coupling_map()
    degree: dict[int, int] = {}
    for a, _ in cmap.get_edges():
        degree[a] = degree.get(a, 0) + 1
    assert max(degree.values()) == 3
    assert target.num_qubits >= 1000


def test_ft_profile_is_clifford_plus_t_all_to_all() -> None:
    target = load_profile("ft_logical").target()
    assert {"h", "s", "t", "tdg", "cx"} <= set(target.operation_names)
    assert not {"rz", "sx", "u"} & set(target.operation_names)
    n = target.num_qubits
    assert len(list(target["cx"])) == n * (n - 1)


def write(tmp_path: Path, text: str, name: str = "custom.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD_SYNTHETIC = """
[profile]
name = "custom"
kind = "synthetic"
description = "test line"
[topology]
kind = "line"
num_qubits = 4
[gates.rz]
error = 0.0
duration = 0.0
[gates.sx]
error = 1e-3
duration = 3e-8
[gates.cz]
error = 1e-2
duration = 1e-7
[gates.measure]
error = 2e-2
duration = 1e-6
"""


def test_user_profile_from_file_builds_a_line_target(tmp_path: Path) -> None:
    profile = load_profile(str(write(tmp_path, GOOD_SYNTHETIC)))
    target = profile.target()
    assert target.num_qubits == 4
    assert sorted(target["cz"]) == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]
    assert target["cz"][(0, 1)].error == pytest.approx(1e-2)
    assert target["measure"][(3,)].duration == pytest.approx(1e-6)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda s: s.replace('name = "custom"', "name = 3"), "profile.name"),
        (lambda s: s.replace('kind = "synthetic"', 'kind = "magic"'), "profile.kind"),
        (lambda s: s.replace("error = 1e-2", "error = 1.5"), "gates.cz.error"),
        (lambda s: s.replace("error = 1e-2", 'error = "low"'), "gates.cz.error"),
        (lambda s: s.replace("duration = 1e-7", "duration = -1.0"), "gates.cz.duration"),
        (lambda s: s.replace("num_qubits = 4", "num_qubits = 0"), "topology.num_qubits"),
        (lambda s: s.replace("num_qubits = 4", "qubits = 4"), "topology.qubits"),
        (lambda s: s.replace('kind = "line"', 'kind = "torus"'), "topology.kind"),
        (lambda s: s + "\n[gates.frobnicate]\nerror = 0.0\nduration = 0.0\n", "gates.frobnicate"),
        (lambda s: s + "\n[extras]\nx = 1\n", "[extras]"),
        (lambda s: s.replace("[gates.cz]", "[gates.ccx]"), "gates.ccx"),
        (lambda s: s + "\n[faults]\nmode = 'ignore'\n", "faults.mode"),
        (lambda s: s + "\n[faults]\nmax_two_qubit_error = 2\n", "faults.max_two_qubit_error"),
        (lambda s: s.replace("[topology]", "[topology]\nrows = 'x'"), "topology.rows"),
        # issue #15: TOML allows nan and inf; absurd lattices are refused before any Target
        (lambda s: s.replace("duration = 1e-7", "duration = nan"), "gates.cz.duration"),
        (lambda s: s.replace("error = 1e-2", "error = -inf"), "gates.cz.error"),
        (lambda s: s + "\n[coherence]\nt1 = nan\n", "coherence.t1 must be a finite"),
        (
            lambda s: s.replace("num_qubits = 4", "num_qubits = 2147483647"),
            "line topology has 2,147,483,647 qubits, more than the limit of 65,536",
        ),
        (
            lambda s: s.replace('kind = "line"', 'kind = "all_to_all"').replace("= 4", "= 2000"),
            "all_to_all topology has 2,000 qubits, more than the limit of 512",
        ),
        (
            lambda s: s.replace(
                'kind = "line"\nnum_qubits = 4', 'kind = "grid"\nrows = 99999\ncols = 99999'
            ),
            "grid topology has 9,999,800,001 qubits",
        ),
        (
            lambda s: s.replace(
                'kind = "line"\nnum_qubits = 4', 'kind = "heavy_hex"\ndistance = 100001'
            ),
            "heavy_hex topology has 25,000,400,001 qubits",
        ),
    ],
)
def test_bad_profile_gives_one_line_error_naming_the_field(
    tmp_path: Path, edit: object, field: str
) -> None:
    path = write(tmp_path, edit(GOOD_SYNTHETIC))  # type: ignore[operator]
    with pytest.raises(ProfileError) as info:
        load_profile(str(path)).target()
    message = str(info.value)
    assert "\n" not in message
    assert field in message
    assert str(path) in message


def test_invalid_toml_and_missing_file_are_one_line_profile_errors(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="invalid TOML") as info:
        load_profile(str(write(tmp_path, "[profile\nname=")))
    assert "\n" not in str(info.value)
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(str(tmp_path / "missing.toml"))
    (tmp_path / "junk.toml").write_bytes(b"\xff\xfe[profile]\n")
    with pytest.raises(ProfileError, match="invalid TOML: not UTF-8 text"):
        load_profile(str(tmp_path / "junk.toml"))
    (tmp_path / "deep.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ProfileError, match="invalid TOML") as info:
        load_profile(str(tmp_path / "deep.toml"))
    assert "\n" not in str(info.value)
    (tmp_path / "big.toml").write_bytes(b"#" * (2 * 1024 * 1024))
    with pytest.raises(ProfileError, match="exceeds the limit of 1,048,576 bytes"):
        load_profile(str(tmp_path / "big.toml"))


def test_unknown_profile_name_lists_known_ones() -> None:
    with pytest.raises(ProfileError, match=r"unknown profile 'nope'.*heron_r2"):
        load_profile("nope")


def test_unknown_snapshot_backend_is_a_profile_error(tmp_path: Path) -> None:
    text = '[profile]\nname = "x"\nkind = "ibm_snapshot"\n[snapshot]\nbackend = "FakeNowhere"\n'
    with pytest.raises(ProfileError, match=r"snapshot\.backend"):
        load_profile(str(write(tmp_path, text))).target()


def test_profile_path_env_adds_and_shadows_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A user copies heron_r2 and keeps the dead couplers: their copy wins by name.
    copy = tmp_path / "heron_r2.toml"
    shutil.copy(BUILTIN_PROFILE_DIR / "heron_r2.toml", copy)
    copy.write_text(copy.read_text().replace('mode = "exclude"', 'mode = "keep"'))
    write(tmp_path, GOOD_SYNTHETIC)
    monkeypatch.setenv(PROFILE_PATH_ENV, str(tmp_path))
    assert load_profile("heron_r2").faults.mode == "keep"
    assert load_profile("custom").target().num_qubits == 4
    assert "custom" in {p.name for p in list_profiles()}


def test_profile_name_must_match_file_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, GOOD_SYNTHETIC, name="other.toml")
    monkeypatch.setenv(PROFILE_PATH_ENV, str(tmp_path))
    with pytest.raises(ProfileError, match="must match the file name"):
        load_profile("other")
