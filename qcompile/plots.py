"""Log-log figures as inline SVG text, drawn with matplotlib: the one plotting path of the reports.

The estimate page (:func:`qcompile.estimate.to_html`) and the study page
(:func:`runtime.study.plot.study_html`) both draw their figures here. Each figure is a
matplotlib figure saved as SVG (the ``svg`` canvas, no pyplot and no global backend switch)
and returned as one ``<svg>`` element to paste into an HTML page, so a page needs no script,
font, style sheet or image from elsewhere.

The output is reproducible: identical data gives byte-identical SVG. The SVG carries no date,
no matplotlib version and no random ids (``svg.hashsalt`` is fixed), and every id in it starts
with the plot's id, so the plots of one page share none. Text is drawn as glyph outlines
(``svg.fonttype = 'path'``), so a page looks the same whether or not the reader has
matplotlib's font (a fallback font is wider, and legends would spill out of the figure); each
text is also kept, as written, in an XML comment beside its glyphs.

Elements a reader (or a test) can find in the SVG, by ``id``: the ``<svg>`` itself is
``plot_id``; the plotting area is ``{plot_id}-frame``; series ``i`` draws its line in
``{plot_id}-curve-{i}``, its filled and hollow markers in ``{plot_id}-filled-{i}`` and
``{plot_id}-hollow-{i}`` (one ``<use>`` per point), its error bars in ``{plot_id}-errors-{i}``
and its band (a shaded range, e.g. a prediction interval) in ``{plot_id}-band-{i}``. The legend
gives every series a swatch (line, dash style and marker), plus one filled and one hollow marker
when ``filled_label`` / ``hollow_label`` name what they mean, plus the plot's extra
:class:`LegendEntry` swatches (a style shared by several series).

:func:`loglog_pdf` draws the same figure as a PDF (fonts embedded, no date), for papers.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.ticker import LogFormatter

__all__ = ["Band", "LegendEntry", "LogLogPlot", "Point", "Series", "loglog_pdf", "loglog_svg"]

_LINESTYLES = ("-", "--", ":", "-.")

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Point:
    """One data point.

    Attributes:
        x: Abscissa; points with ``x <= 0`` are not drawn (log scale).
        y: Ordinate; points with ``y <= 0`` are not drawn (log scale).
        yerr: Symmetric error of ``y``, drawn as a bar clipped at ``y / 100`` below. Defaults
            to 0 (no bar).
        filled: Whether the marker is filled (else hollow). Defaults to True.
    """

    x: float
    y: float
    yerr: float = 0.0
    filled: bool = True

    @property
    def drawable(self) -> bool:
        """Whether the point has a place on log-log axes (both coordinates positive, finite)."""
        return 0 < self.x < math.inf and 0 < self.y < math.inf


@dataclass(frozen=True)
class Band:
    """A shaded range at one abscissa (a band joins a series' bands in x order).

    Attributes:
        x: Abscissa.
        low: Lower edge.
        high: Upper edge (>= ``low``).
    """

    x: float
    low: float
    high: float


@dataclass(frozen=True)
class Series:
    """One curve: a line through its points (sorted by x) with a marker on each.

    Attributes:
        label: The legend entry.
        points: The points, in any order.
        dashed: Draw the line dashed (e.g. a classical reference curve). Defaults to False.
        linestyle: ``"-"``, ``"--"``, ``":"`` or ``"-."``; overrides ``dashed`` when given.
        marker: Matplotlib marker of the points (``"o"``, ``"s"``, ``"^"``, ...). Defaults
            to ``"o"``.
        color: Matplotlib colour; None takes the ``i``-th colour of the cycle for series ``i``.
        band: Shaded range drawn under the line (points with a non-positive edge are left out).
        in_legend: Whether the series gets its own legend entry. Defaults to True.
    """

    label: str
    points: tuple[Point, ...]
    dashed: bool = False
    linestyle: str | None = None
    marker: str = "o"
    color: str | None = None
    band: tuple[Band, ...] = ()
    in_legend: bool = True

    def __post_init__(self) -> None:
        if self.linestyle is not None and self.linestyle not in _LINESTYLES:
            raise ValueError(f"linestyle must be one of {_LINESTYLES}, got {self.linestyle!r}")


@dataclass(frozen=True)
class LegendEntry:
    """An extra legend swatch, e.g. for a style several series share.

    Attributes:
        label: The text.
        linestyle: Line of the swatch (``"none"`` for no line). Defaults to ``"-"``.
        marker: Marker of the swatch, or None. Defaults to None.
        filled: Whether the marker is filled. Defaults to True.
        band: Show a shaded patch instead of a line. Defaults to False.
        color: Colour of the swatch. Defaults to dark grey.
    """

    label: str
    linestyle: str = "-"
    marker: str | None = None
    filled: bool = True
    band: bool = False
    color: str = "#444444"


@dataclass(frozen=True)
class LogLogPlot:
    """A log-log figure of several series.

    Attributes:
        plot_id: The ``id`` of the ``<svg>`` element and the prefix of the ids inside it;
            unique within a page, starting with a letter (letters, digits, ``-``, ``_``).
        title: Shown above the plot.
        xlabel: X axis label.
        ylabel: Y axis label.
        series: The curves, drawn and listed in the legend in this order.
        x_base: Logarithm base of the x axis (its ticks are powers of it). Defaults to 10.
        filled_label: Legend text for a filled marker, or None for no such entry.
        hollow_label: Legend text for a hollow marker, or None for no such entry.
        size: Width and height of the plotting figure in inches, before the legend is fitted
            beside it (72 pt each). Defaults to (6.0, 3.6).
        legend: Extra swatches after the series' entries and the marker meanings.
    """

    plot_id: str
    title: str
    xlabel: str
    ylabel: str
    series: tuple[Series, ...]
    x_base: int = 10
    filled_label: str | None = None
    hollow_label: str | None = None
    size: tuple[float, float] = (6.0, 3.6)
    legend: tuple[LegendEntry, ...] = ()

    def __post_init__(self) -> None:
        if not _ID.match(self.plot_id):
            raise ValueError(f"plot_id {self.plot_id!r} is not a plain HTML id")
        if self.x_base < 2:
            raise ValueError(f"x_base must be at least 2, got {self.x_base}")


def loglog_svg(plot: LogLogPlot) -> str:
    """Draw ``plot`` with matplotlib and return it as one inline ``<svg>`` element.

    Args:
        plot: The figure to draw.

    Returns:
        The ``<svg>...</svg>`` text, without XML prolog or doctype; identical for identical
        ``plot``.
    """
    buffer = io.StringIO()
    with _drawn(plot) as figure:
        figure.savefig(
            buffer,
            format="svg",
            bbox_inches="tight",
            pad_inches=0.05,
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    text = buffer.getvalue()
    return _scoped_ids(text[text.index("<svg") :].rstrip() + "\n", plot.plot_id)


def loglog_pdf(plot: LogLogPlot) -> bytes:
    """Draw ``plot`` as a PDF document (fonts embedded; no date, so identical for identical data).

    Args:
        plot: The figure to draw.

    Returns:
        The PDF file's bytes.
    """
    buffer = io.BytesIO()
    with _drawn(plot) as figure:
        figure.savefig(
            buffer,
            format="pdf",
            bbox_inches="tight",
            pad_inches=0.05,
            metadata={"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
        )
    return buffer.getvalue()


@contextmanager
def _drawn(plot: LogLogPlot) -> Iterator[Figure]:
    """The drawn figure, inside the settings it must be saved under."""
    import matplotlib as mpl
    import matplotlib.style
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    # On top of matplotlib's defaults: a user's matplotlibrc does not change the page.
    settings = mpl.rc_context(
        {
            "svg.hashsalt": "qattn",  # ids from content, not random: same data, same SVG
            "svg.id": plot.plot_id,
            "svg.fonttype": "path",
            "pdf.fonttype": 42,  # TrueType, editable text in the PDF
            "font.size": 9.0,
            "path.simplify": False,  # every data point stays a vertex of its line
        }
    )
    with mpl.style.context("default"), settings:
        figure = Figure(figsize=plot.size)
        axes = figure.add_subplot()
        axes.patch.set_gid(f"{plot.plot_id}-frame")
        axes.set_xscale("log", base=plot.x_base)
        axes.set_yscale("log")
        # Tick labels as the old hand-written pages had them: 1000, 1e6, 1e-3.
        for axis, base in ((axes.xaxis, plot.x_base), (axes.yaxis, 10)):
            axis.set_major_formatter(_log_formatter(base, minor=False))
            axis.set_minor_formatter(_log_formatter(base, minor=True))
        axes.set_title(plot.title, loc="left", fontsize=10)
        axes.set_xlabel(plot.xlabel)
        axes.set_ylabel(plot.ylabel)
        axes.grid(True, which="major", color="#dddddd", linewidth=0.8)
        handles: list[Line2D | Patch] = []
        drawn = 0
        for i, series in enumerate(plot.series):
            color = series.color or f"C{i % 10}"
            points = sorted((p for p in series.points if p.drawable), key=lambda p: p.x)
            drawn += len(points)
            linestyle = series.linestyle or ("--" if series.dashed else "-")
            band = sorted(
                (b for b in series.band if 0 < b.low <= b.high < math.inf and 0 < b.x < math.inf),
                key=lambda b: b.x,
            )
            if band:
                axes.fill_between(
                    [b.x for b in band],
                    [b.low for b in band],
                    [b.high for b in band],
                    color=color,
                    alpha=0.18,
                    linewidth=0,
                    gid=f"{plot.plot_id}-band-{i}",
                    zorder=1,
                )
                drawn += len(band)
            axes.plot(
                [p.x for p in points],
                [p.y for p in points],
                color=color,
                linewidth=1.6,
                linestyle=linestyle,
                label=series.label,
                gid=f"{plot.plot_id}-curve-{i}",
                zorder=2,
            )
            if series.in_legend:
                handles.append(
                    Line2D(
                        [],
                        [],
                        color=color,
                        linewidth=1.6,
                        linestyle=_as_any(linestyle),
                        marker=series.marker,
                        markersize=5,
                        markeredgecolor=color,
                        markerfacecolor=color,
                        label=series.label,
                    )
                )
            for filled, name in ((True, "filled"), (False, "hollow")):
                marked = [p for p in points if p.filled is filled]
                if marked:
                    axes.plot(
                        [p.x for p in marked],
                        [p.y for p in marked],
                        linestyle="none",
                        marker=series.marker,
                        markersize=5,
                        markeredgewidth=1.3,
                        markeredgecolor=color,
                        markerfacecolor=color if filled else "white",
                        gid=f"{plot.plot_id}-{name}-{i}",
                        zorder=3,
                    )
            bars = [p for p in points if p.yerr > 0]
            if bars:
                axes.vlines(
                    [p.x for p in bars],
                    [max(p.y - p.yerr, p.y / 100) for p in bars],
                    [p.y + p.yerr for p in bars],
                    colors=color,
                    linewidth=1.0,
                    gid=f"{plot.plot_id}-errors-{i}",
                    zorder=2,
                )
        for label, face in ((plot.filled_label, "#444444"), (plot.hollow_label, "white")):
            if label is not None:
                handles.append(
                    Line2D(
                        [],
                        [],
                        linestyle="none",
                        marker="o",
                        markersize=5,
                        markeredgewidth=1.3,
                        markeredgecolor="#444444",
                        markerfacecolor=face,
                        label=label,
                    )
                )
        for entry in plot.legend:
            if entry.band:
                handles.append(Patch(facecolor=entry.color, alpha=0.18, label=entry.label))
                continue
            handles.append(
                Line2D(
                    [],
                    [],
                    color=entry.color,
                    linewidth=1.6,
                    linestyle=_as_any(entry.linestyle),
                    marker=entry.marker,
                    markersize=5,
                    markeredgewidth=1.3,
                    markeredgecolor=entry.color,
                    markerfacecolor=entry.color if entry.filled else "white",
                    label=entry.label,
                )
            )
        if drawn == 0:
            axes.set_xlim(1, 10)
            axes.set_ylim(1, 10)
            axes.text(0.5, 0.5, "no positive values", transform=axes.transAxes, ha="center")
        if handles:
            axes.legend(
                handles=handles,
                loc="upper left",
                bbox_to_anchor=(1.02, 1.0),
                borderaxespad=0.0,
                frameon=False,
                fontsize=8,
            )
        yield figure


def _as_any(linestyle: str) -> Any:
    """A line style as matplotlib's stubs want it (checked against ``_LINESTYLES`` already)."""
    return linestyle


def _plain_exponent(label: str) -> str:
    """``1e+06`` -> ``1e6``, ``1e-03`` -> ``1e-3`` (also with matplotlib's Unicode minus)."""
    return re.sub(r"e\+?([-\u2212]?)0*(\d)", r"e\1\2", label)


def _log_formatter(base: float, *, minor: bool) -> LogFormatter:
    """Matplotlib's log-axis labels (the same ticks labelled) with short exponents.

    Minor ticks are labelled only where the axis spans too few decades to label the major ones.
    """
    from matplotlib.ticker import LogFormatter

    class PlainLogFormatter(LogFormatter):
        def __call__(self, x: float, pos: int | None = None) -> str:
            label = super().__call__(x, pos)
            k = round(math.log2(x)) if x > 0 else 0
            if base == 2 and label and x >= 1 and math.isclose(x, 2**k):
                # Powers of two in full (16384, not 2e4) up to seven digits, then 2^k.
                return str(2**k) if 2**k < 10**7 else f"2^{k}"
            return _plain_exponent(label)

    return PlainLogFormatter(base, labelOnlyBase=not minor)


def _scoped_ids(svg: str, plot_id: str) -> str:
    """Prefix every id ``svg`` defines, and every reference to one, with ``plot_id``.

    Matplotlib names groups ``line2d_1``, ``text_3``, ... and glyphs ``DejaVuSans-31`` in every
    figure alike; several figures inlined in one page would repeat those ids.
    """
    own = f"{plot_id}-"
    defined = {
        i for i in re.findall(r' id="([^"]+)"', svg) if i != plot_id and not i.startswith(own)
    }

    def scope(match: re.Match[str]) -> str:
        name = match.group(2)
        return match.group(1) + (own + name if name in defined else name)

    return re.sub(r'( id="|xlink:href="#|url\(#)([^")]+)', scope, svg)
