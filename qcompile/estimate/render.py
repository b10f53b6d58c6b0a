"""The estimate report as Markdown and as a self-contained HTML page with inline SVG plots.

The HTML uses no scripts, external style sheets, fonts or images: every plot is an inline
``<svg>`` drawn by :func:`qcompile.plots.loglog_svg` (log-log, one curve per QRAM kind,
compiled points filled and analytic ones hollow, the classical curve dashed).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from qcompile.estimate.report import EstimateReport, EstimateRow
from qcompile.plots import LogLogPlot, Point, Series, loglog_svg

__all__ = ["to_html", "to_markdown"]


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


_QUBIT_NOTE = (
    "Qubit counts mix two conventions: a compiled row's qubits are the *active physical* "
    "qubits of the device after layout and routing; an analytic row's qubits are the "
    "*logical* width of the lowered circuit (no routing). On the fault-tolerant profile every "
    "row is logical; its physical qubits are in the surface-code columns."
)


def _emphasis(text: str) -> str:
    """Markdown ``*word*`` -> ``<em>word</em>`` (text already HTML-escaped)."""
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", text)


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 1:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} us"


def _qdk_rows(report: EstimateReport) -> list[tuple[str, ...]]:
    """One line per (circuit, estimator) of the qdk comparison, as display strings."""
    comparison = report.qdk_comparison
    if not comparison:
        return []
    lines: list[tuple[str, ...]] = []
    for row in comparison["rows"]:
        q, o, c = row["qdk"], row["ours"], row["counts"]
        if q is not None:
            lines.append(
                (
                    row["circuit"],
                    f"qdk {comparison['qdk_version']}",
                    f"{q['algorithm_qubits']} / {q['logical_qubits']}",
                    str(q["t_count"]),
                    str(q["ccz_count"]),
                    str(q["rotations"]),
                    str(q["code_distance"]),
                    f"{q['physical_qubits']:,}",
                    _seconds(q["runtime_s"]),
                    f"{row['qdk_seconds']:.2f} s",
                )
            )
        else:
            lines.append((row["circuit"], "qdk", *(["n/a"] * 7), row["note"]))
        if o is not None and c is not None:
            lines.append(
                (
                    row["circuit"],
                    "ours (surface_code.py)",
                    f"{c['qubits']} / {c['qubits']}",
                    str(o["t_count"]),
                    str(c["toffolis"] + c["relative_phase_toffolis"]),
                    str(c["rotations"]),
                    str(o["distance"]),
                    f"{o['physical_qubits']:,}",
                    _seconds(o["runtime_s"]),
                    "",
                )
            )
    return lines


_QDK_HEADS = (
    "circuit",
    "estimator",
    "logical qubits (algorithm / with layout)",
    "T gates (qdk: explicit T; ours: 7 per Toffoli + rotation synthesis)",
    "CCZ or Toffoli",
    "rotations",
    "code distance",
    "physical qubits",
    "runtime",
    "estimator wall time",
)


def to_markdown(report: EstimateReport) -> str:
    """A Markdown table of every row, the classical costs, the qdk comparison and the models."""
    classical = {c["seq_len"]: c for c in report.classical}
    lines = [
        f"# Resource estimate: {report.model}",
        "",
        _QUBIT_NOTE,
        "",
        "| N | QRAM | profile | source | qubits (compiled: active physical; analytic: logical) "
        "| 2q gates | depth | 2q depth | duration (s) "
        "| success | fault-tolerant (surface code) | classical FLOPs | classical memory |",
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
    lines += ["", "## Microsoft's resource estimator (qdk) beside our surface-code model", ""]
    lines += [report.qdk, ""]
    qdk_rows = _qdk_rows(report)
    if qdk_rows:
        lines += ["| " + " | ".join(_QDK_HEADS) + " |", "|" + "---|" * len(_QDK_HEADS)]
        lines += ["| " + " | ".join(cells) + " |" for cells in qdk_rows]
        assumptions = (report.qdk_comparison or {}).get("assumptions", "")
        lines += ["", f"Assumptions: {assumptions}", ""]
    lines += ["## Models and assumptions", ""]
    lines += [f"- **{k}**: {v}" for k, v in report.assumptions.items()]
    lines += [f"- **qdk**: {report.qdk}", ""]
    lines += ["## Versions", ""]
    lines += [f"- {k}: {v}" for k, v in report.versions.items()]
    lines.append("")
    return "\n".join(lines)


def _figures(report: EstimateReport) -> list[tuple[str, str]]:
    """(caption, svg) per plot: per profile, qubits and 2q gates vs N per QRAM kind."""
    plots = []
    flops = tuple(
        Point(float(c["seq_len"]), float(c["flops"]), filled=False) for c in report.classical
    )
    for p_index, profile in enumerate(report.profiles):
        rows = [r for r in report.rows if r.profile == profile]
        fault_tolerant = any(r.fault_tolerant for r in rows)
        panels: list[tuple[str, str, str]] = [
            (
                "qubits",
                "logical qubits"
                if fault_tolerant
                else "qubits: compiled=physical, analytic=logical",
                "logical qubits (surface-code logical)"
                if fault_tolerant
                else "qubits: compiled = active physical, analytic = logical",
            ),
            ("two_qubit_gates", "2q gates", "two-qubit gates, and classical attention FLOPs"),
        ]
        if fault_tolerant:
            panels.append(("physical_qubits", "physical qubits", "surface-code physical qubits"))
        for attr, label, caption in panels:
            series: list[Series] = []
            for kind in report.qram:
                points: list[Point] = []
                for r in rows:
                    if r.qram != kind:
                        continue
                    if attr == "physical_qubits":
                        value = float((r.fault_tolerant or {}).get("physical_qubits", 0))
                    else:
                        value = float(getattr(r, attr))
                    points.append(Point(float(r.seq_len), value, filled=r.source == "compiled"))
                series.append(Series(kind, tuple(points)))
            if attr == "two_qubit_gates":
                series.append(Series("classical FLOPs (softmax)", flops, dashed=True))
            plot = LogLogPlot(
                plot_id=f"plot-{p_index}-{attr.replace('_', '-')}",
                title=f"{report.model} on {profile}: {label.split(':')[0]} vs N",
                xlabel="N (log scale)",
                ylabel=f"{label} (log scale)",
                series=tuple(series),
                filled_label="compiled",
                hollow_label="analytic",
            )
            plots.append((caption, loglog_svg(plot)))
    return plots


def _html_table(heads: Sequence[str], rows: Sequence[Sequence[object]], cls: str = "") -> str:
    out = [f'<table class="{cls}">' if cls else "<table>", "<tr>"]
    out += [f"<th>{html.escape(h)}</th>" for h in heads]
    out.append("</tr>")
    for cells in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def to_html(report: EstimateReport) -> str:
    """A self-contained HTML page: plots, the qdk comparison, assumptions, every row."""
    table = ["<table>", "<tr>"]
    heads = (
        "N",
        "QRAM",
        "profile",
        "source",
        "qubits (compiled: active physical; analytic: logical)",
        "2q gates",
        "depth",
        "2q depth",
    )
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
    qdk_rows = _qdk_rows(report)
    qdk_section = f"<p>{html.escape(report.qdk)}</p>"
    if qdk_rows:
        assumptions = (report.qdk_comparison or {}).get("assumptions", "")
        qdk_section += _html_table(_QDK_HEADS, qdk_rows, "qdk") + (
            f"<p>{html.escape(assumptions)}</p>"
        )
    versions = "".join(
        f"<li>{html.escape(k)}: {html.escape(v)}</li>" for k, v in report.versions.items()
    )
    style = (
        "body{font-family:sans-serif;margin:1em}table{border-collapse:collapse;font-size:12px}"
        "td,th{border:1px solid #ccc;padding:2px 4px}tr.compiled{background:#eef8ee}"
        "figure{margin:0.5em 0}figcaption{font-size:12px;color:#333}"
    )
    body = "\n".join(
        f"<figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>"
        for caption, svg in _figures(report)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Resource estimate: {html.escape(report.model)}</title>"
        f"<style>{style}</style></head><body>"
        f"<h1>Resource estimate: {html.escape(report.model)}</h1>\n"
        f"<p>{_emphasis(html.escape(_QUBIT_NOTE))} Filled markers: compiled; hollow: analytic. "
        "Dashed: classical softmax attention FLOPs for the crossover.</p>\n"
        f"{body}\n"
        "<h2>Microsoft's resource estimator (qdk) beside our surface-code model</h2>\n"
        f"{qdk_section}\n"
        f"<h2>Models and assumptions</h2><ul>{notes}"
        f"<li><b>qdk</b>: {html.escape(report.qdk)}</li></ul>\n"
        f"<h2>Versions</h2><ul>{versions}</ul>\n"
        "<h2>Every row</h2>\n" + "\n".join(table) + "\n</body></html>\n"
    )
