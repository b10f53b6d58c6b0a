"""The usable-N frontier: criteria, monotonicity in the noise, and what mitigation buys."""

from __future__ import annotations

import pytest

from hardware_profiles.errors import ResourceError
from runtime.study.definitions import get_study
from runtime.study.frontier import qlaci_point, qram_point, scan_frontier


def test_without_noise_every_query_is_exact_and_cheap():
    point = qram_point("qrom-mbu", 16, "heron_r2", 0.0, "none", trajectories=20)
    assert point.value == 1.0 and point.error == 0.0 and point.usable


def test_the_scan_stops_at_the_first_unusable_size():
    usable, points = scan_frontier("qram", "bb-2q", "heron_r2", 1.0, "none", 1024, 60)
    assert [p.size for p in points] == [4 * 2**i for i in range(len(points))]
    assert all(p.usable for p in points[:-1]) and not points[-1].usable
    assert usable == (points[-2].size if len(points) > 1 else 0)


def test_less_noise_never_shrinks_the_frontier():
    sizes = [
        scan_frontier("qram", "qrom", "heron_r2", scale, "none", 1024, 60)[0]
        for scale in (1.0, 0.3, 0.1)
    ]
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]


def test_measured_uncompute_and_extrapolation_each_move_the_qrom_frontier():
    plain, plain_points = scan_frontier("qram", "qrom", "heron_r2", 1.0, "none", 1024, 100)
    measured = scan_frontier("qram", "qrom-mbu", "heron_r2", 1.0, "none", 1024, 100)[0]
    zne, zne_points = scan_frontier(
        "qram", "qrom", "heron_r2", 1.0, "dd+twirl+readout+zne", 1024, 100
    )
    assert measured > plain
    assert zne > plain
    for a, b in zip(plain_points, zne_points, strict=False):  # paid for in shots
        assert b.shots > 3 * a.shots


def test_qlaci_context_is_exact_without_noise():
    point = qlaci_point("reference", 4, "heron_r2", 0.0, "none")
    assert point.error < 1e-9 and point.usable


@pytest.mark.slow
def test_zne_brings_the_qlaci_context_closer_to_ideal():
    plain = qlaci_point("reference", 4, "heron_r2", 1.0, "none")
    mitigated = qlaci_point("reference", 4, "heron_r2", 1.0, "dd+twirl+readout+zne")
    assert mitigated.error < plain.error / 2
    assert mitigated.shots > plain.shots


@pytest.mark.parametrize(
    "values",
    [
        {"target": ["qlaci"], "kind": ["qrom-mbu"]},
        {"mitigation": ["zne-only"]},
        {"target": ["qlaci"], "kind": ["reference"], "max_size": [128]},
        {"target": ["nowhere"]},
    ],
)
def test_impossible_grid_points_are_refused_in_one_line(values):
    with pytest.raises(ResourceError) as info:
        get_study("frontier").tasks(values)
    assert "\n" not in str(info.value)


def test_qrun_study_frontier_writes_a_table_and_a_plot(tmp_path):
    from runtime.cli import main

    out = tmp_path / "frontier"
    args = ["study", "frontier", "--targets", "qram", "--kinds", "qrom,qrom-mbu"]
    args += ["--profiles", "heron_r2", "--noise-scales", "1,0.1", "--mitigations", "none"]
    args += ["--trajectories", "20", "--max-size", "32", "--out", str(out), "--workers", "1"]
    assert main(args) == 0
    rows = (out / "results.csv").read_text().splitlines()
    assert len(rows) == 1 + 4
    page = (out / "report.html").read_text()
    assert "largest usable N" in page and "best kind" in page
