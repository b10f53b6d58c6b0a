"""profile_medians: the figures estimates compute with, read beside the profile."""

from __future__ import annotations

import statistics
from pathlib import Path

from qiskit_ibm_runtime.fake_provider import FakeFez

from hardware_profiles import ProfileMedians, load_profile, profile_medians

DEAD_FEZ_COUPLERS = {(27, 28), (31, 32), (32, 33), (68, 69), (80, 81), (106, 107), (139, 155)}


def test_synthetic_medians_are_the_file_figures() -> None:
    medians = profile_medians(load_profile("grid_10x10"))
    assert medians == ProfileMedians(
        error_1q=5e-4,  # sx and x; rz is virtual and left out
        error_2q=4e-3,
        error_readout=1e-2,
        duration_1q=25e-9,
        duration_2q=45e-9,
        duration_readout=600e-9,
        t1=100e-6,
        t2=80e-6,
    )


def test_snapshot_medians_skip_the_excluded_couplers() -> None:
    props = FakeFez().properties()
    cz = [
        props.gate_error("cz", g.qubits)
        for g in props.gates
        if g.gate == "cz" and (min(g.qubits), max(g.qubits)) not in DEAD_FEZ_COUPLERS
    ]
    t2 = [props.t2(q) for q in range(156)]
    medians = profile_medians(load_profile("heron_r2"))
    assert medians.error_2q == statistics.median(cz)
    assert medians.t2 == statistics.median(t for t in t2 if t)


def test_edited_profile_gets_its_own_medians(tmp_path: Path) -> None:
    text = (Path(load_profile("grid_10x10").source)).read_text()
    edited = tmp_path / "grid_edit.toml"
    edited.write_text(
        text.replace('name = "grid_10x10"', 'name = "grid_edit"').replace(
            "[gates.cz]\nerror = 4e-3", "[gates.cz]\nerror = 2e-1"
        )
    )
    assert profile_medians(load_profile(str(edited))).error_2q == 2e-1


def test_a_profile_without_coherence_has_no_t1() -> None:
    medians = profile_medians(load_profile("ft_logical"))
    assert medians.t1 is None and medians.t2 is None
    assert medians.error_2q is not None
