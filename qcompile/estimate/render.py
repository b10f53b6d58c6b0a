"""The estimate report as Markdown and as a self-contained HTML page with inline SVG plots.

The HTML uses no scripts, external style sheets, fonts or images: every plot is an inline
``<svg>`` drawn by :func:`qcompile.plots.loglog_svg`. :func:`figures` lists the plots: per
device profile, qubits, two-qubit gates, depth, success probability (as ``-log10``) and
duration vs N (fault-tolerant profiles: logical qubits, two-qubit gates, surface-code physical
qubits and runtime), then classical softmax FLOPs on a figure of their own, then the extra
sections' figures. Per QRAM kind (one colour) the compiled sizes are one series (solid line,
filled markers) and the extrapolated ones another (dashed line, hollow markers, the prediction
band shaded), so no line joins a compiled point to a predicted one; kinds with closed forms only
are dotted with square markers.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qcompile.estimate.report import EstimateReport, EstimateRow
from qcompile.estimate.routing_model import BAND_LEVEL
from qcompile.plots import Band, LegendEntry, LogLogPlot, Point, Series, loglog_svg

__all__ = ["FIGURE_PREFIX", "ReportFigure", "figures", "to_html", "to_markdown"]

FIGURE_PREFIX = "estimate-"
"""File names of the exported figures start with this (then the plot id)."""


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
    "Qubit counts mix conventions: a compiled row's qubits are the *active physical* "
    "qubits of the device after layout and routing, an extrapolated row's the routing model's "
    "prediction of them; an analytic row's qubits are the *logical* width of the lowered "
    "circuit (no routing). On the fault-tolerant profile every row is logical; its physical "
    "qubits are in the surface-code columns."
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


def _band_cell(row: EstimateRow, metric: str) -> str:
    edges = row.band.get(metric)
    return f"{_num(edges[0])}..{_num(edges[1])}" if edges else ""


_FIT_HEADS = (
    "profile",
    "QRAM",
    "figure",
    "fitted on N",
    "ratio compiled/closed form at largest N",
    "ratio x per doubling of N",
    "pooled sigma (ln, with prior)",
    "dof (with prior)",
)
_HELD_OUT_HEADS = (
    "profile",
    "QRAM",
    "held-out N",
    "fitted on N",
    "figure",
    "compiled",
    "predicted",
    f"{BAND_LEVEL:.0%} band",
    "inside",
)
_METRIC_NAMES = {
    "qubits": "qubits",
    "two_qubit_gates": "2q gates",
    "depth": "depth",
    "duration_s": "duration (s)",
    "neg_ln_success": "-ln success",
}


def _fit_rows(report: EstimateReport) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for fit in report.fits:
        sizes = fit["sizes"]
        x_top = math.log2(max(sizes))
        ratio = math.exp(fit["intercept"] + fit["slope"] * (x_top - fit["x_mean"]))
        sigma = fit["sigma"]
        out.append(
            (
                fit["profile"],
                fit["qram"],
                _METRIC_NAMES.get(fit["metric"], fit["metric"]),
                ", ".join(map(str, sizes)),
                f"{ratio:.3g}",
                f"{math.exp(fit['slope']):.3g}",
                f"{sigma:.3g}",
                str(fit["dof"]),
            )
        )
    return out


def _held_out_rows(report: EstimateReport) -> list[tuple[str, ...]]:
    return [
        (
            c["profile"],
            c["kind"],
            str(c["seq_len"]),
            ", ".join(map(str, c["fitted_on"])),
            _METRIC_NAMES.get(c["metric"], c["metric"]),
            _num(c["compiled"]),
            _num(c["predicted"]),
            f"{_num(c['low'])}..{_num(c['high'])}",
            "yes" if c["inside"] else "NO",
        )
        for c in report.held_out
    ]


_ROW_HEADS = (
    "N",
    "QRAM",
    "profile",
    "source",
    "qubits (compiled: active physical; extrapolated: predicted; analytic: logical)",
    "2q gates",
    f"2q gates {BAND_LEVEL:.0%} band",
    "2q gates, closed form (no routing)",
    "depth",
    "2q depth",
    "duration (s)",
    "success",
    "fault-tolerant (surface code)",
)


def _row_cells(row: EstimateRow) -> tuple[str, ...]:
    closed = row.closed_form or {}
    return (
        str(row.seq_len),
        row.qram,
        row.profile,
        row.source,
        str(row.qubits),
        _num(row.two_qubit_gates),
        _band_cell(row, "two_qubit_gates"),
        _num(closed.get("two_qubit_gates")) if closed else "",
        _num(row.depth),
        _num(row.two_qubit_depth),
        _num(row.duration_s),
        _success(row),
        _ft_cell(row),
    )


def _success(row: EstimateRow) -> str:
    if row.success_probability is None:
        return "n/a"
    if row.success_probability == 0 and row.log10_success is not None:
        return f"1e{row.log10_success:.4g}"
    return _num(row.success_probability)


def _md_table(heads: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(heads) + " |",
        "|" + "---|" * len(heads),
        *("| " + " | ".join(cells) + " |" for cells in rows),
    ]


def _compile_text(report: EstimateReport) -> str:
    from qcompile.estimate.report import summary_line

    text = summary_line(report) + "."
    calibration = report.compile_summary.get("calibration") or {}
    if calibration:
        extra = "; ".join(f"{k}: N = {', '.join(map(str, v))}" for k, v in calibration.items())
        text += f" Compiled below the requested range to calibrate the routing model: {extra}."
    return text


def to_markdown(report: EstimateReport, figure_files: Sequence[str] = ()) -> str:
    """The report as Markdown: every row, the fits and their held-out check, sections, models.

    Args:
        report: The report.
        figure_files: File names of the exported figures, listed under "Figures".
    """
    classical = {c["seq_len"]: c for c in report.classical}
    lines = [f"# Resource estimate: {report.model}", "", _compile_text(report), "", _QUBIT_NOTE]
    lines += [
        "",
        *_md_table(
            (*_ROW_HEADS, "classical FLOPs", "classical memory"),
            [
                (
                    *_row_cells(r),
                    _num(classical[r.seq_len]["flops"]),
                    _num(classical[r.seq_len]["memory_words"]),
                )
                for r in report.rows
            ],
        ),
    ]
    if report.fits:
        lines += ["", "## Routing model fits", "", *_md_table(_FIT_HEADS, _fit_rows(report))]
    lines += ["", "## Held-out check", ""]
    if report.held_out:
        lines += _md_table(_HELD_OUT_HEADS, _held_out_rows(report))
    else:
        lines.append("No kind compiled at three or more sizes: nothing to hold out.")
    for section in report.sections:
        lines += ["", f"## {section.title}", "", *section.paragraphs]
        if section.table_heads:
            lines += ["", *_md_table(section.table_heads, section.table_rows)]
    lines += ["", "## Microsoft's resource estimator (qdk) beside our surface-code model", ""]
    lines += [report.qdk, ""]
    qdk_rows = _qdk_rows(report)
    if qdk_rows:
        lines += _md_table(_QDK_HEADS, qdk_rows)
        assumptions = (report.qdk_comparison or {}).get("assumptions", "")
        lines += ["", f"Assumptions: {assumptions}", ""]
    if figure_files:
        lines += ["## Figures", "", *(f"- [{name}]({name})" for name in figure_files), ""]
    lines += ["## Models and assumptions", ""]
    lines += [f"- **{k}**: {v}" for k, v in report.assumptions.items()]
    lines += [f"- **qdk**: {report.qdk}", ""]
    lines += ["## Versions", ""]
    lines += [f"- {k}: {v}" for k, v in report.versions.items()]
    lines.append("")
    return "\n".join(lines)


@dataclass(frozen=True)
class ReportFigure:
    """One plot of the report.

    Attributes:
        name: File stem of its exports (``estimate-`` + plot id).
        caption: What it shows.
        plot: The plot.
    """

    name: str
    caption: str
    plot: LogLogPlot


_SIZE = (8.0, 4.4)
_Getter = Callable[[EstimateRow], float | None]


def _panels(fault_tolerant: bool) -> list[tuple[str, str, str, _Getter]]:
    """(metric, y label, caption, value of a row) per plot of one profile."""
    if fault_tolerant:
        return [
            ("qubits", "logical qubits", "surface-code logical qubits", lambda r: r.qubits),
            (
                "two_qubit_gates",
                "logical 2q gates",
                "logical two-qubit gates",
                lambda r: r.two_qubit_gates,
            ),
            (
                "physical_qubits",
                "physical qubits",
                "surface-code physical qubits",
                lambda r: (r.fault_tolerant or {}).get("physical_qubits"),
            ),
            ("duration_s", "runtime (s)", "surface-code runtime", lambda r: r.duration_s),
        ]
    return [
        (
            "qubits",
            "qubits",
            "qubits: compiled = active physical; extrapolated = predicted "
            "physical; closed form = logical",
            lambda r: r.qubits,
        ),
        (
            "two_qubit_gates",
            "2q gates",
            "two-qubit gates on the device",
            lambda r: r.two_qubit_gates,
        ),
        ("depth", "depth", "circuit depth", lambda r: r.depth),
        (
            "neg_ln_success",
            "-log10 success probability",
            "success probability as -log10 (1 = 10 %, 10 = 1e-10): higher is worse",
            lambda r: None if r.log10_success is None else -r.log10_success,
        ),
        ("duration_s", "duration (s)", "duration of one shot", lambda r: r.duration_s),
    ]


def _calibration_value(entry: dict[str, dict[str, float]], metric: str) -> float | None:
    value = entry["compiled"].get(metric)
    if metric == "neg_ln_success" and value is not None:
        return value / math.log(10)
    return value


def _band_edges(row: EstimateRow, metric: str) -> Band | None:
    edges = row.band.get(metric)
    if not edges:
        return None
    low, high = edges
    if metric == "neg_ln_success":
        low, high = low / math.log(10), high / math.log(10)
    return Band(float(row.seq_len), low, high)


def _legend() -> tuple[LegendEntry, ...]:
    return (
        LegendEntry("compiled", "-", "o", filled=True),
        LegendEntry("extrapolated (routing model)", "--", "o", filled=False),
        LegendEntry(f"{BAND_LEVEL:.0%} prediction band", band=True),
        LegendEntry("closed form (no routing)", ":", "s", filled=False),
    )


def figures(report: EstimateReport) -> list[ReportFigure]:
    """Every plot of the report, in page order (see the module docstring)."""
    out: list[ReportFigure] = []
    for p_index, profile in enumerate(report.profiles):
        rows = [r for r in report.rows if r.profile == profile]
        fault_tolerant = any(r.fault_tolerant for r in rows)
        for metric, label, caption, value in _panels(fault_tolerant):
            series: list[Series] = []
            kinds_shown: list[LegendEntry] = []
            for k_index, kind in enumerate(report.qram):
                color = f"C{k_index % 10}"
                kinds_shown.append(LegendEntry(kind, "-", None, color=color))
                compiled = [
                    Point(float(c["seq_len"]), float(v))
                    for c in report.calibration
                    if c["profile"] == profile
                    and c["qram"] == kind
                    and (v := _calibration_value(c, metric)) is not None
                ]
                mine = [r for r in rows if r.qram == kind]
                styles = (("extrapolated", "--", "o"), ("analytic", ":", "s"))
                if compiled:
                    series.append(
                        Series(f"{kind} compiled", tuple(compiled), color=color, in_legend=False)
                    )
                for source, linestyle, marker in styles:
                    chosen = [r for r in mine if r.source == source]
                    points = tuple(
                        Point(float(r.seq_len), float(v), filled=False)
                        for r in chosen
                        if (v := value(r)) is not None
                    )
                    if not points:
                        continue
                    bands = tuple(b for r in chosen if (b := _band_edges(r, metric)))
                    series.append(
                        Series(
                            f"{kind} {source}",
                            points,
                            linestyle=linestyle,
                            marker=marker,
                            color=color,
                            band=bands,
                            in_legend=False,
                        )
                    )
            plot_id = f"plot-{p_index}-{metric.replace('_', '-')}"
            out.append(
                ReportFigure(
                    FIGURE_PREFIX + plot_id,
                    f"{profile}: {caption}",
                    LogLogPlot(
                        plot_id=plot_id,
                        title=f"{report.model} on {profile}: {label} vs N",
                        xlabel="N (log scale)",
                        ylabel=f"{label} (log scale)",
                        series=tuple(series),
                        x_base=2,
                        size=_SIZE,
                        legend=(*kinds_shown, *_legend()),
                    ),
                )
            )
    flops = tuple(Point(float(c["seq_len"]), float(c["flops"])) for c in report.classical)
    head_dim = report.classical[0]["head_dim"] if report.classical else 0
    out.append(
        ReportFigure(
            FIGURE_PREFIX + "plot-classical-flops",
            "classical softmax attention, one head: floating-point operations (its own axis: "
            "FLOPs are not gates)",
            LogLogPlot(
                plot_id="plot-classical-flops",
                title=f"classical softmax attention (d = {head_dim}): FLOPs vs N",
                xlabel="N (log scale)",
                ylabel="FLOPs (log scale)",
                series=(Series("FLOPs = 4N^2d + 5N^2 - 2N - Nd", flops, color="#555555"),),
                x_base=2,
                size=_SIZE,
            ),
        )
    )
    for section in report.sections:
        for s_index, (caption, plot) in enumerate(section.figures):
            name = f"{FIGURE_PREFIX}{section.key}-{s_index}"
            out.append(ReportFigure(name, f"{section.title}: {caption}", plot))
    return out


def _html_table(heads: Sequence[str], rows: Sequence[Sequence[object]], cls: str = "") -> str:
    out = [f'<table class="{cls}">' if cls else "<table>", "<tr>"]
    out += [f"<th>{html.escape(h)}</th>" for h in heads]
    out.append("</tr>")
    for cells in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def to_html(
    report: EstimateReport,
    svgs: dict[str, str] | None = None,
    *,
    figure_links: bool = False,
) -> str:
    """A self-contained HTML page: plots, fits, held-out check, sections, qdk, every row.

    Args:
        report: The report.
        svgs: The figures' SVG by :attr:`ReportFigure.name`, when already drawn (else drawn
            here).
        figure_links: Link each figure's SVG and PDF files (exported beside the page).
    """
    drawn = svgs or {}
    table = ["<table>", "<tr>", *(f"<th>{html.escape(h)}</th>" for h in _ROW_HEADS), "</tr>"]
    for r in report.rows:
        table.append(
            f'<tr class="{r.source}">'
            + "".join(f"<td>{html.escape(c)}</td>" for c in _row_cells(r))
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
        "body{font-family:sans-serif;margin:1em;max-width:1200px}"
        "table{border-collapse:collapse;font-size:12px}"
        "td,th{border:1px solid #ccc;padding:2px 4px}tr.compiled{background:#eef8ee}"
        "tr.extrapolated{background:#f6f1e4}"
        "figure{margin:0.8em 0}figure svg{max-width:100%;height:auto}"
        "figcaption{font-size:12px;color:#333}"
    )
    blocks: dict[str, list[str]] = {}
    for fig in figures(report):
        svg = drawn.get(fig.name) or loglog_svg(fig.plot)
        links = (
            f' <a href="{fig.name}.svg">SVG</a> <a href="{fig.name}.pdf">PDF</a>'
            if figure_links
            else ""
        )
        owner = next(
            (s.key for s in report.sections if fig.name.startswith(f"{FIGURE_PREFIX}{s.key}-")), ""
        )
        blocks.setdefault(owner, []).append(
            f"<figure>{svg}<figcaption>{html.escape(fig.caption)}{links}</figcaption></figure>"
        )
    held = (
        _html_table(_HELD_OUT_HEADS, _held_out_rows(report), "held-out")
        if report.held_out
        else "<p>No kind compiled at three or more sizes: nothing to hold out.</p>"
    )
    fits = _html_table(_FIT_HEADS, _fit_rows(report), "fits") if report.fits else ""
    extra = ""
    for section in report.sections:
        extra += f'<h2 id="{section.key}">{html.escape(section.title)}</h2>\n'
        extra += "".join(f"<p>{html.escape(t)}</p>" for t in section.paragraphs)
        if section.table_heads:
            extra += _html_table(section.table_heads, section.table_rows, section.key)
        extra += "\n".join(blocks.get(section.key, [])) + "\n"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Resource estimate: {html.escape(report.model)}</title>"
        f"<style>{style}</style></head><body>"
        f"<h1>Resource estimate: {html.escape(report.model)}</h1>\n"
        f'<p class="summary">{html.escape(_compile_text(report))}</p>\n'
        f"<p>{_emphasis(html.escape(_QUBIT_NOTE))} Per QRAM kind (one colour): compiled sizes "
        "are a solid line with filled markers, extrapolated sizes a dashed line with hollow "
        f"markers and the shaded {BAND_LEVEL:.0%} prediction band of the routing model, closed "
        "forms only (no routing) a dotted line with square markers. Classical softmax FLOPs "
        "have a figure of their own.</p>\n"
        + "\n".join(blocks.get("", []))
        + "\n<h2>Routing model: held-out check</h2>\n"
        "<p>Each kind's largest compiled size, predicted by the fit of its smaller compiled "
        "sizes (the other kinds' scatter pooled), against its compiled figure.</p>\n"
        f"{held}\n<h2>Routing model fits</h2>\n{fits}\n{extra}"
        "<h2>Microsoft's resource estimator (qdk) beside our surface-code model</h2>\n"
        f"{qdk_section}\n"
        f"<h2>Models and assumptions</h2><ul>{notes}"
        f"<li><b>qdk</b>: {html.escape(report.qdk)}</li></ul>\n"
        f"<h2>Versions</h2><ul>{versions}</ul>\n"
        "<h2>Every row</h2>\n" + "\n".join(table) + "\n</body></html>\n"
    )
