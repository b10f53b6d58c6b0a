"""The study report page: one log-log panel per grid slice, a series per construction."""

from __future__ import annotations

import re
from pathlib import Path

from runtime.study.definitions import get_study
from runtime.study.plot import study_html, write_report
from runtime.study.store import ResultStore

SIZES = (8, 16, 32, 64)


def _fidelity_rows() -> list[dict[str, str]]:
    """Infidelity = a N^slope per kind: 1e-4 N (slope 1) and 1e-3 (slope 0)."""
    rows = []
    for noise in ("0.3", "1.0"):
        for kind, law in (("qrom", lambda n: 1e-4 * n), ("bucket-brigade", lambda n: 1e-3)):
            for size in SIZES:
                infidelity = law(size) * float(noise)
                rows.append(
                    {
                        "task_id": f"{kind}{size}{noise}",
                        "study": "qram-fidelity",
                        "kind": kind,
                        "size": str(size),
                        "profile": "grid_10x10",
                        "noise_scale": noise,
                        "idle": "True",
                        "trajectories": "100",
                        "seed": "0",
                        "fidelity": repr(1 - infidelity),
                        "stderr": repr(infidelity / 10),
                        "infidelity": repr(infidelity),
                        "num_qubits": "10",
                        "num_gates": "20",
                        "p2": "0.001",
                        "seconds": "0.1",
                        "qattn": "0.1.0",
                        "qiskit": "2.2",
                        "qiskit_aer": "0.17",
                    }
                )
    return rows


def test_fidelity_report_draws_a_panel_per_noise_scale_and_a_slope_per_kind() -> None:
    spec = get_study("qram-fidelity")
    rows = _fidelity_rows()
    page = study_html(spec, rows)
    assert page.count("<svg") == 2
    titles = re.findall(r"<!-- (profile=.*?) -->", page)
    assert titles == [
        "profile=grid_10x10, noise_scale=0.3, idle=True",
        "profile=grid_10x10, noise_scale=1.0, idle=True",
    ]
    # the legend gives each series its least-squares log-log slope
    assert page.count("<!-- qrom (slope 1.00) -->") == 2
    assert page.count("<!-- bucket-brigade (slope 0.00) -->") == 2
    for panel in ("panel-0", "panel-1"):
        for series in (0, 1):
            curve = re.search(rf'<g id="{panel}-curve-{series}">\s*<path d="([^"]*)"', page)
            assert curve is not None and curve.group(1).count("L") == len(SIZES) - 1
            errors = re.search(rf'<g id="{panel}-errors-{series}">', page)
            assert errors is not None
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert study_html(spec, list(reversed(rows))) == page  # row order does not matter
    assert "<script" not in page
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "").replace(
        "http://www.w3.org/1999/xlink", ""
    )


def test_context_report_plots_the_ideal_norm_beside_the_error(tmp_path: Path) -> None:
    spec = get_study("qlaci-context")
    store = ResultStore(tmp_path / "results.csv", spec.columns)
    for size in (4, 8, 16):
        for kind in ("qrom", "multiplexer"):
            row = {c: "0" for c in spec.columns}
            row |= {
                "task_id": f"{kind}{size}",
                "study": "qlaci-context",
                "kind": kind,
                "size": str(size),
                "profile": "heron_r2",
                "noise_scale": "1.0",
                "seed": "0",
                "error_l2": repr(0.01 * size),
                "ideal_norm": repr(1.0 / size),
                "noisy_std": "0.0",
                "qattn": "0.1.0",
            }
            store.append(row)
    page_path = write_report(spec, tmp_path / "results.csv", tmp_path / "report.html")
    page = page_path.read_text(encoding="utf-8")
    assert page.count("<svg") == 1
    assert "<!-- heron_r2 qrom (slope 1.00) -->" in page
    assert "<!-- heron_r2 multiplexer (slope 1.00) -->" in page
    # one point per size, not one per kind, and it falls as 1/N
    assert "<!-- |ideal| (signal) (slope -1.00) -->" in page
    ideal = re.search(r'<g id="panel-0-curve-2">\s*<path d="([^"]*)"', page)
    assert ideal is not None and ideal.group(1).count("L") == 2
    assert 'id="panel-0-errors-' not in page  # no spread, no bars
