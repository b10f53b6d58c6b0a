"""A study's results as one self-contained HTML page: inline SVG log-log plots and a table.

The plots are drawn by :func:`qcompile.plots.loglog_svg` (matplotlib).

No JavaScript, no network, no external files: the page opens offline in any browser.
``qram-fidelity`` plots infidelity ``1 - F`` vs ``N`` per construction, one panel per
profile, noise scale and idle setting; ``qlaci-context`` plots the context-vector error vs
``N`` per profile and QRAM lowering, one panel per noise scale, beside the ideal vector's norm
(the error of an output the noise has wiped out); ``frontier`` plots the largest usable ``N``
against the noise scale, one line per mitigation setting (best kind first, then each kind).
Each series' legend of the first two gives its log-log slope, a least-squares fit over its
last four sizes (a power law keeps its slope; polylog growth flattens).
"""

from __future__ import annotations

import html
import math
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from qcompile.plots import LogLogPlot, Point, Series, loglog_svg
from runtime.study.definitions import StudySpec

__all__ = ["study_html", "write_report"]


def _slope(points: Sequence[Point]) -> float:
    """Least-squares slope of log y vs log x."""
    lx = [math.log(p.x) for p in points]
    ly = [math.log(p.y) for p in points]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxx = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sxx if sxx else 0.0


def _sort_key(value: object) -> tuple[int, float, str]:
    try:
        return (0, float(str(value)), "")
    except ValueError:
        return (1, 0.0, str(value))


def _ordered(spec: StudySpec, rows: Sequence[Mapping[str, str]]) -> list[Mapping[str, str]]:
    """Rows sorted by their shown columns in CSV order (numbers as numbers)."""
    shown = _shown(spec)
    return sorted(rows, key=lambda r: tuple(_sort_key(r.get(c, "")) for c in shown))


def _shown(spec: StudySpec) -> list[str]:
    return [c for c in spec.columns if c not in ("task_id", "study")]


def _f(row: Mapping[str, str], key: str) -> float:
    try:
        return float(row[key])
    except (KeyError, ValueError):
        return float("nan")


def _frontier_panels(rows: Sequence[Mapping[str, str]]) -> list[str]:
    """Usable N vs noise scale, one line per mitigation setting.

    The first panel of each (target, profile) takes the best kind at every point; the
    others show one kind each.
    """
    best: dict[tuple[str, str], dict[str, dict[float, float]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    per_kind: dict[tuple[str, str, str], dict[str, list[Point]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for row in rows:
        scale, usable = _f(row, "noise_scale"), _f(row, "usable_n")
        key = (row.get("target", ""), row.get("profile", ""))
        setting = row.get("mitigation", "")
        seen = best[key][setting]
        seen[scale] = max(seen.get(scale, 0.0), usable)
        per_kind[(*key, row.get("kind", ""))][setting].append(Point(scale, usable))

    def scales(key: tuple[str, str]) -> int:
        return len({x for points in best[key].values() for x in points})

    figures: list[tuple[str, dict[str, list[Point]]]] = []
    # profiles swept over noise scales first: a single scale makes a one-point panel
    for (target, profile), settings in sorted(best.items(), key=lambda i: (-scales(i[0]), i[0])):
        best_series = {
            name: [Point(x, y) for x, y in sorted(points.items())]
            for name, points in settings.items()
        }
        figures.append((f"{target}, {profile}, best kind", best_series))
    for (target, profile, kind), kind_settings in sorted(per_kind.items()):
        if scales((target, profile)) < 2:
            continue  # its points are in the best-kind panel and the table
        kind_series = {
            name: sorted(points, key=lambda p: p.x) for name, points in kind_settings.items()
        }
        figures.append((f"{target}, {profile}, {kind}", kind_series))
    order = {"none": 0, "dd": 1, "dd+twirl+readout": 2, "dd+twirl+readout+zne": 3}
    return [
        loglog_svg(
            LogLogPlot(
                plot_id=f"frontier-{index}",
                title=title,
                xlabel="noise scale (x the profile's calibrated errors)",
                ylabel="largest usable N",
                series=tuple(
                    Series(name, tuple(points))
                    for name, points in sorted(series.items(), key=lambda i: order.get(i[0], 9))
                ),
                x_base=10,
                size=(4.6, 3.4),
            )
        )
        for index, (title, series) in enumerate(figures)
    ]


def _panels(spec: StudySpec, rows: Sequence[Mapping[str, str]]) -> list[str]:
    if spec.name == "frontier":
        return _frontier_panels(rows)
    panel_keys: tuple[str, ...]
    series_keys: tuple[str, ...]
    if spec.name == "qram-fidelity":
        panel_keys, series_keys = ("profile", "noise_scale", "idle"), ("kind",)
        ylabel, y, err = "query infidelity 1 - F", "infidelity", "stderr"
    else:
        panel_keys, series_keys = ("noise_scale", "seed"), ("profile", "kind")
        ylabel, y, err = "context-vector error (L2)", "error_l2", "noisy_std"
    panels: dict[tuple[str, ...], dict[str, list[Point]]] = defaultdict(lambda: defaultdict(list))
    ideal: dict[tuple[str, ...], list[Point]] = defaultdict(list)
    for row in _ordered(spec, rows):  # series in a fixed order, whatever order tasks finished in
        pkey = tuple(f"{k}={row[k]}" for k in panel_keys if k in row)
        skey = " ".join(row[k] for k in series_keys if k in row)
        panels[pkey][skey].append(Point(_f(row, "size"), _f(row, y), max(0.0, _f(row, err) or 0.0)))
        if "ideal_norm" in row:  # the error of an output that noise has wiped out
            point = Point(_f(row, "size"), _f(row, "ideal_norm"))
            if point not in ideal[pkey]:
                ideal[pkey].append(point)
    for pkey, points in ideal.items():
        panels[pkey]["|ideal| (signal)"] = points
    ordered_panels = sorted(
        panels.items(), key=lambda item: tuple(_sort_key(k.split("=", 1)[1]) for k in item[0])
    )
    return [
        loglog_svg(
            LogLogPlot(
                plot_id=f"panel-{index}",
                title=", ".join(pkey),
                xlabel="N",
                ylabel=ylabel,
                series=tuple(_series(label, points) for label, points in series.items()),
                x_base=2,
                size=(4.6, 3.4),
            )
        )
        for index, (pkey, series) in enumerate(ordered_panels)
    ]


def _series(label: str, points: Sequence[Point]) -> Series:
    """A series whose legend gives its log-log slope over its last four sizes."""
    shown = sorted((p for p in points if p.drawable), key=lambda p: p.x)
    slope = f" (slope {_slope(shown[-4:]):.2f})" if len(shown) > 1 else ""
    return Series(label + slope, tuple(points))


def _short(value: object) -> str:
    """A table cell: floats to 4 significant digits (the CSV keeps full precision)."""
    text = str(value)
    if "." not in text or text.count(".") > 1:  # ints, names, versions like 0.1.0
        return text
    try:
        return f"{float(text):.4g}"
    except ValueError:
        return text


def study_html(spec: StudySpec, rows: Sequence[Mapping[str, str]]) -> str:
    """The report page for ``rows`` of ``spec``'s results CSV (strings as stored)."""
    shown = _shown(spec)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(_short(r.get(c, '')))}</td>" for c in shown) + "</tr>"
        for r in _ordered(spec, rows)
    )
    versions = sorted(
        {(r.get("qattn", ""), r.get("qiskit", ""), r.get("qiskit_aer", "")) for r in rows}
    )
    plots = "\n".join(f"<figure>{svg}</figure>" for svg in _panels(spec, rows))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>qattn study: {html.escape(spec.name)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
figure {{ display: inline-block; margin: 0.5em; }}
table {{ border-collapse: collapse; font-size: 12px; }}
td, th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: right; }}
</style></head><body>
<h1>{html.escape(spec.name)}</h1>
<p>{html.escape(spec.description)}. {len(rows)} tasks.
Versions (qattn, qiskit, qiskit-aer): {html.escape(", ".join("/".join(v) for v in versions))}.</p>
<p>{html.escape(spec.notes)}</p>
{plots}
<h2>Results</h2>
<table><thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody></table>
</body></html>
"""


def write_report(
    spec: StudySpec, results: str | os.PathLike[str], out: str | os.PathLike[str]
) -> Path:
    """Write the HTML report of a results CSV; returns its path.

    Args:
        spec: The study the CSV belongs to.
        results: The ``results.csv`` path.
        out: The HTML file to write.
    """
    from runtime.study.store import ResultStore

    rows = list(ResultStore(results, spec.columns).rows.values())
    path = Path(out)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(study_html(spec, rows), encoding="utf-8")
    tmp.replace(path)
    return path
