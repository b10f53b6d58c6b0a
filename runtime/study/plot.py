"""A study's results as one self-contained HTML page: inline SVG log-log plots and a table.

No JavaScript, no network, no external files: the page opens offline in any browser.
``qram-fidelity`` plots infidelity ``1 - F`` vs ``N`` per construction, one panel per
profile, noise scale and idle setting; ``qlaci-context`` plots the context-vector error vs
``N`` per profile and QRAM lowering, one panel per noise scale, beside the ideal vector's norm
(the error of an output the noise has wiped out). Each series' legend gives its
log-log slope, a least-squares fit over its last four sizes (a power law keeps its slope;
polylog growth flattens).
"""

from __future__ import annotations

import html
import math
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from runtime.study.definitions import StudySpec

__all__ = ["loglog_svg", "study_html", "write_report"]

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")
_W, _H, _L, _R, _T, _B = 560, 360, 70, 190, 30, 50

Point = tuple[float, float, float]  # x, y, y error (0 for none)


def _ticks(lo: float, hi: float) -> list[int]:
    return list(range(math.floor(lo), math.ceil(hi) + 1))


def loglog_svg(
    series: Mapping[str, Sequence[Point]], title: str, xlabel: str, ylabel: str, base_x: int = 2
) -> str:
    """An inline SVG log-log plot: one polyline with markers and error bars per series.

    Args:
        series: Label -> points ``(x, y, yerr)``; points with ``y <= 0`` are left out.
        title: Plot title.
        xlabel: X axis label.
        ylabel: Y axis label.
        base_x: Logarithm base of the x ticks. Defaults to 2.

    Returns:
        An ``<svg>`` element as text.
    """
    pts = {k: sorted(p for p in v if p[0] > 0 and p[1] > 0) for k, v in series.items()}
    xs = [math.log(p[0], base_x) for v in pts.values() for p in v]
    ys = [math.log10(p[1]) for v in pts.values() for p in v]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{html.escape(title)}">',
        f'<rect width="{_W}" height="{_H}" fill="white"/>',
        f'<text x="{_L}" y="18" font-size="13" font-weight="bold">{html.escape(title)}</text>',
    ]
    if not xs:
        out.append(f'<text x="{_L}" y="{_H // 2}" font-size="12">no positive values</text>')
        return "\n".join([*out, "</svg>"])
    x0, x1 = min(xs), max(xs)
    y0, y1 = math.floor(min(ys)), math.ceil(max(ys))
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        y1 = y0 + 1
    pw, ph = _W - _L - _R, _H - _T - _B

    def sx(v: float) -> float:
        return _L + (v - x0) / (x1 - x0) * pw

    def sy(v: float) -> float:
        return _T + (y1 - v) / (y1 - y0) * ph

    out.append(f'<rect x="{_L}" y="{_T}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>')
    for t in _ticks(x0, x1):
        if x0 <= t <= x1:
            out.append(
                f'<line x1="{sx(t):.1f}" y1="{_T}" x2="{sx(t):.1f}" y2="{_T + ph}" '
                'stroke="#ddd"/>'
                f'<text x="{sx(t):.1f}" y="{_T + ph + 16}" font-size="11" '
                f'text-anchor="middle">{base_x**t:g}</text>'
            )
    y_ticks = _ticks(y0, y1)
    for t in y_ticks[:: max(1, math.ceil(len(y_ticks) / 9))]:
        out.append(
            f'<line x1="{_L}" y1="{sy(t):.1f}" x2="{_L + pw}" y2="{sy(t):.1f}" stroke="#ddd"/>'
            f'<text x="{_L - 6}" y="{sy(t) + 4:.1f}" font-size="11" '
            f'text-anchor="end">1e{t}</text>'
        )
    out.append(
        f'<text x="{_L + pw / 2}" y="{_H - 12}" font-size="12" '
        f'text-anchor="middle">{html.escape(xlabel)}</text>'
        f'<text x="16" y="{_T + ph / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 16 {_T + ph / 2})">{html.escape(ylabel)}</text>'
    )
    for i, (label, points) in enumerate(pts.items()):
        color = _COLORS[i % len(_COLORS)]
        coords = [(sx(math.log(x, base_x)), sy(math.log10(y))) for x, y, _ in points]
        if len(coords) > 1:
            path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}"/>')
        for (x, y, err), (cx, cy) in zip(points, coords, strict=True):
            if err > 0:
                lo = min(sy(math.log10(max(y - err, y / 100))), _T + ph)  # clip to the frame
                hi = max(sy(math.log10(y + err)), _T)
                out.append(
                    f'<line x1="{cx:.1f}" y1="{lo:.1f}" x2="{cx:.1f}" y2="{hi:.1f}" '
                    f'stroke="{color}"/>'
                )
            out.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{color}">'
                f"<title>{html.escape(label)}: x={x:g}, y={y:.4g}±{err:.2g}</title></circle>"
            )
        slope = ""
        if len(points) > 1:
            slope = f" (slope {_slope(points[-4:]):.2f})"
        ly = _T + 14 + 16 * i
        out.append(
            f'<line x1="{_L + pw + 10}" y1="{ly - 4}" x2="{_L + pw + 26}" y2="{ly - 4}" '
            f'stroke="{color}" stroke-width="2"/>'
            f'<text x="{_L + pw + 30}" y="{ly}" font-size="11">'
            f"{html.escape(label + slope)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _slope(points: Sequence[Point]) -> float:
    """Least-squares slope of log y vs log x."""
    lx = [math.log(p[0]) for p in points]
    ly = [math.log(p[1]) for p in points]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxx = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sxx if sxx else 0.0


def _sort_key(value: object) -> tuple[int, float, str]:
    try:
        return (0, float(str(value)), "")
    except ValueError:
        return (1, 0.0, str(value))


def _f(row: Mapping[str, str], key: str) -> float:
    try:
        return float(row[key])
    except (KeyError, ValueError):
        return float("nan")


def _panels(spec: StudySpec, rows: Sequence[Mapping[str, str]]) -> list[str]:
    panel_keys: tuple[str, ...]
    series_keys: tuple[str, ...]
    if spec.name == "qram-fidelity":
        panel_keys, series_keys = ("profile", "noise_scale", "idle"), ("kind",)
        ylabel, y, err = "query infidelity 1 - F", "infidelity", "stderr"
    else:
        panel_keys, series_keys = ("noise_scale", "seed"), ("profile", "kind")
        ylabel, y, err = "context-vector error (L2)", "error_l2", "noisy_std"
    panels: dict[tuple[str, ...], dict[str, list[Point]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        pkey = tuple(f"{k}={row[k]}" for k in panel_keys if k in row)
        skey = " ".join(row[k] for k in series_keys if k in row)
        panels[pkey][skey].append((_f(row, "size"), _f(row, y), max(0.0, _f(row, err) or 0.0)))
        if "ideal_norm" in row:  # the error of an output that noise has wiped out
            point = (_f(row, "size"), _f(row, "ideal_norm"), 0.0)
            if point not in panels[pkey]["|ideal| (signal)"]:
                panels[pkey]["|ideal| (signal)"].append(point)
    return [
        loglog_svg(series, ", ".join(pkey), "N", ylabel) for pkey, series in sorted(panels.items())
    ]


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
    shown = [c for c in spec.columns if c not in ("task_id", "study")]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(_short(r.get(c, '')))}</td>" for c in shown) + "</tr>"
        for r in sorted(rows, key=lambda r: tuple(_sort_key(r.get(c, "")) for c in shown))
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
