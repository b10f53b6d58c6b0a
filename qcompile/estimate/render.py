"""The estimate report as Markdown and as a self-contained HTML page with inline SVG plots.

The HTML uses no scripts, external style sheets, fonts or images: every plot is an inline
``<svg>`` with one ``<polyline>`` per curve on log-log axes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from qcompile.estimate.report import EstimateReport, EstimateRow

__all__ = ["to_html", "to_markdown"]

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def _num(value: float | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int) and abs(value) < 10**6:
        return str(value)
    return f"{value:.3g}"


def _ft_cell(row: EstimateRow) -> str:
    ft = row.fault_tolerant
    if not ft:
        return ""
    return (
        f"d={ft['distance']}, T={_num(ft['t_count'])}, T-depth≤{_num(ft['t_depth'])}, "
        f"phys={_num(ft['physical_qubits'])}, F={ft['factories']}x L{ft['distillation_levels']}"
    )


def to_markdown(report: EstimateReport) -> str:
    """A Markdown table of every row, the classical costs and the stated models."""
    classical = {c["seq_len"]: c for c in report.classical}
    lines = [
        f"# Resource estimate: {report.model}",
        "",
        "| N | QRAM | profile | source | qubits | 2q gates | depth | 2q depth | duration (s) "
        "| success | fault-tolerant | classical FLOPs | classical memory |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report.rows:
        c = classical[r.seq_len]
        lines.append(
            f"| {r.seq_len} | {r.qram} | {r.profile} | {r.source} | {r.qubits} "
            f"| {_num(r.two_qubit_gates)} | {_num(r.depth)} | {_num(r.two_qubit_depth)} "
            f"| {_num(r.duration_s)} | {_num(r.success_probability)} | {_ft_cell(r)} "
            f"| {_num(c['flops'])} | {_num(c['memory_words'])} |"
        )
    lines += ["", "## Models and assumptions", ""]
    lines += [f"- **{k}**: {v}" for k, v in report.assumptions.items()]
    lines += [f"- **qdk**: {report.qdk}", ""]
    return "\n".join(lines)


def _svg_plot(
    title: str, series: Sequence[tuple[str, Sequence[tuple[float, float]]]], ylabel: str
) -> str:
    width, height, left, right, top, bottom = 640, 360, 70, 170, 30, 40
    points = [(x, y) for _, pts in series for x, y in pts if x > 0 and y > 0]
    if not points:
        points = [(1.0, 1.0), (10.0, 10.0)]
    lx = [math.log10(x) for x, _ in points]
    ly = [math.log10(y) for _, y in points]
    x0, x1 = math.floor(min(lx)), math.ceil(max(lx)) or 1
    y0, y1 = math.floor(min(ly)), math.ceil(max(ly))
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    pw, ph = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (math.log10(x) - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        return top + ph - (math.log10(y) - y0) / (y1 - y0) * ph

    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">',
        f'<text x="{left}" y="18" font-size="14">{html.escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>',
    ]
    for e in range(x0, x1 + 1):
        x = left + (e - x0) / (x1 - x0) * pw
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="#ddd"/>'
            f'<text x="{x:.1f}" y="{top + ph + 15}" font-size="10" text-anchor="middle">'
            f"1e{e}</text>"
        )
    for e in range(y0, y1 + 1):
        y = top + ph - (e - y0) / (y1 - y0) * ph
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 5}" y="{y + 3:.1f}" font-size="10" text-anchor="end">'
            f"1e{e}</text>"
        )
    parts.append(
        f'<text x="{left + pw / 2}" y="{height - 5}" font-size="11" text-anchor="middle">N</text>'
        f'<text x="12" y="{top + ph / 2}" font-size="11" '
        f'transform="rotate(-90 12 {top + ph / 2})" text-anchor="middle">'
        f"{html.escape(ylabel)}</text>"
    )
    for i, (name, pts) in enumerate(series):
        color = _COLORS[i % len(_COLORS)]
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts if x > 0 and y > 0)
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{coords}"/>'
            f'<text x="{left + pw + 8}" y="{top + 12 + 14 * i}" font-size="11" '
            f'fill="{color}">{html.escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _figures(report: EstimateReport) -> list[str]:
    plots = []
    flops = [(float(c["seq_len"]), float(c["flops"])) for c in report.classical]
    for profile in report.profiles:
        rows = [r for r in report.rows if r.profile == profile]
        for attr, label in (("qubits", "qubits"), ("two_qubit_gates", "2q gates")):
            series: list[tuple[str, list[tuple[float, float]]]] = [
                (
                    kind,
                    [(float(r.seq_len), float(getattr(r, attr))) for r in rows if r.qram == kind],
                )
                for kind in report.qram
            ]
            if attr == "two_qubit_gates":
                series.append(("classical FLOPs", flops))
            plots.append(_svg_plot(f"{report.model}: {label} vs N on {profile}", series, label))
    return plots


def to_html(report: EstimateReport) -> str:
    """A self-contained HTML page: the plots, then the Markdown table's rows as HTML."""
    table = ["<table>", "<tr>"]
    heads = ("N", "QRAM", "profile", "source", "qubits", "2q gates", "depth", "2q depth")
    table += [f"<th>{h}</th>" for h in (*heads, "duration (s)", "success", "fault-tolerant")]
    table.append("</tr>")
    for r in report.rows:
        cells = (
            r.seq_len,
            r.qram,
            r.profile,
            r.source,
            r.qubits,
            _num(r.two_qubit_gates),
            _num(r.depth),
            _num(r.two_qubit_depth),
            _num(r.duration_s),
            _num(r.success_probability),
            _ft_cell(r),
        )
        table.append(
            f'<tr class="{r.source}">'
            + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
            + "</tr>"
        )
    table.append("</table>")
    notes = "".join(
        f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in report.assumptions.items()
    )
    style = (
        "body{font-family:sans-serif;margin:1em}table{border-collapse:collapse;font-size:12px}"
        "td,th{border:1px solid #ccc;padding:2px 4px}tr.compiled{background:#eef8ee}"
    )
    body = "\n".join(f"<figure>{svg}</figure>" for svg in _figures(report))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Resource estimate: {html.escape(report.model)}</title>"
        f"<style>{style}</style></head><body>"
        f"<h1>Resource estimate: {html.escape(report.model)}</h1>\n{body}\n"
        f"<ul>{notes}<li><b>qdk</b>: {html.escape(report.qdk)}</li></ul>\n"
        + "\n".join(table)
        + "\n</body></html>\n"
    )
