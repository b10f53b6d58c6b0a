"""The routing model on real compiles: a held-out size inside its band, curves that never fall."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest

from qcompile.estimate import EstimateReport, estimate
from qcompile.estimate.render import figures
from qcompile.estimate.routing_model import monotone_violations
from qcompile.estimate.sections import ReportSection


@pytest.fixture(scope="module")
def small_report() -> EstimateReport:
    # Every size compiled (compile_at_least covers them): the fit sees N = 4, 8, 16 of each
    # kind and predicts N = 32, which was compiled too.
    return estimate(
        "qlaci",
        [4, 8, 16, 32],
        ["multiplexer", "qrom"],
        ["heron_r2"],
        compile_max_qubits=20,
        compile_at_least=4,
        time_budget=1,
        qdk_seq_lens=(),
        sections=[lambda r: ReportSection("extra", "An extra section", ("text",))],
    )


@pytest.mark.slow
def test_held_out_size_lies_inside_its_band(small_report: EstimateReport) -> None:
    checks = {(c["kind"], c["metric"]): c for c in small_report.held_out}
    compiled = {(r.qram, r.seq_len): r for r in small_report.rows if r.source == "compiled"}
    assert len(compiled) == 8  # every size compiled
    for kind in ("multiplexer", "qrom"):
        for metric in ("two_qubit_gates", "depth"):
            check = checks[(kind, metric)]
            assert check["seq_len"] == 32 and list(check["fitted_on"]) == [4, 8, 16]
            assert check["compiled"] == getattr(compiled[(kind, 32)], metric)
            assert check["low"] <= check["compiled"] <= check["high"], check
            # the centre, recomputed with numpy from the compiled rows and the closed forms
            points = {
                c["seq_len"]: c["compiled"][metric] / c["closed_form"][metric]
                for c in small_report.calibration
                if c["qram"] == kind and c["seq_len"] < 32
            }
            sizes = sorted(points)
            slope, intercept = np.polyfit(np.log2(sizes), np.log([points[n] for n in sizes]), 1)
            closed = next(
                c["closed_form"][metric]
                for c in small_report.calibration
                if c["qram"] == kind and c["seq_len"] == 32
            )
            centre = closed * math.exp(intercept + slope * 5)
            floor = getattr(compiled[(kind, 16)], metric)  # never below the size before
            assert check["predicted"] == pytest.approx(max(centre, floor), rel=1e-9)
    print(
        "held out N=32:",
        [
            (c["kind"], c["metric"], c["compiled"], round(c["predicted"]), c["low"], c["high"])
            for c in small_report.held_out
            if c["metric"] in ("two_qubit_gates", "depth")
        ],
    )


@pytest.mark.slow
def test_extra_sections_reach_the_report(small_report: EstimateReport) -> None:
    assert [s.key for s in small_report.sections] == ["extra"]


@pytest.mark.slow
def test_no_curve_falls_where_the_model_says_it_grows(qlaci_report: EstimateReport) -> None:
    # Compiled sizes of a kind, then its extrapolated ones: 2q gates, depth, qubits, duration
    # never fall and success never rises across the switch and beyond; closed forms likewise.
    by_kind: dict[tuple[str, str], list[tuple[int, dict[str, float | None]]]] = defaultdict(list)
    for c in qlaci_report.calibration:
        figures_ = dict(c["compiled"])
        figures_["success_probability"] = math.exp(-figures_["neg_ln_success"])
        by_kind[(c["qram"], c["profile"])].append((c["seq_len"], figures_))
    last_compiled = {key: max(points) for key, points in by_kind.items()}
    checked = 0
    for row in qlaci_report.rows:
        if row.source == "compiled":
            continue
        key = (row.qram, row.profile)
        values = {
            "qubits": row.qubits,
            "two_qubit_gates": row.two_qubit_gates,
            "depth": row.depth,
            "duration_s": row.duration_s,
            "success_probability": 10 ** (row.log10_success or 0),
        }
        if row.source == "extrapolated":
            assert row.seq_len > last_compiled[key][0]
            by_kind[key].append((row.seq_len, values))
        else:
            by_kind[(row.qram, row.profile + " closed form")].append((row.seq_len, values))
    for key, points in by_kind.items():
        points.sort(key=lambda p: p[0])
        for metric in ("qubits", "two_qubit_gates", "depth", "success_probability"):
            curve = [(n, float(x)) for n, v in points if (x := v.get(metric)) is not None]
            # compiled points are measurements (a router may use fewer qubits at N than at
            # N/2): the rule binds from the last compiled size on
            start = next(
                (i for i, (n, _) in enumerate(curve) if n == last_compiled.get(key, (0,))[0]), 0
            )
            assert monotone_violations(curve[start:], metric) == [], (key, metric)
            checked += 1
    assert checked > 20


@pytest.mark.slow
def test_compiled_and_extrapolated_are_separate_series(qlaci_report: EstimateReport) -> None:
    rows = {(r.qram, r.profile, r.seq_len): r.source for r in qlaci_report.rows}
    compiled = {(c["qram"], c["profile"], c["seq_len"]) for c in qlaci_report.calibration}
    seen = set()
    for fig in figures(qlaci_report):
        for series in fig.plot.series:
            kind, _, what = series.label.rpartition(" ")
            profile = next((p for p in qlaci_report.profiles if f" on {p}:" in fig.plot.title), "")
            sources = set()
            for point in series.points:
                key = (kind, profile, int(point.x))
                sources.add("compiled" if key in compiled and what == "compiled" else rows.get(key))
            assert len(sources) == 1, (fig.name, series.label, sources)  # one source per line
            seen |= sources
    assert {"compiled", "extrapolated", "analytic"} <= seen
