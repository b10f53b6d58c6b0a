"""The one plotting path: log-log figures drawn by matplotlib, read back from their SVG."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET

import pytest

from qcompile.plots import Band, LegendEntry, LogLogPlot, Point, Series, loglog_pdf, loglog_svg

SVG = "{http://www.w3.org/2000/svg}"


def _svg(plot: LogLogPlot) -> ET.Element:
    return ET.fromstring(loglog_svg(plot))


def _group(root: ET.Element, gid: str) -> ET.Element:
    found = root.find(f".//{SVG}g[@id='{gid}']")
    assert found is not None, gid
    return found


def _vertices(path: ET.Element) -> list[tuple[float, float]]:
    found = re.findall(r"[ML] (-?[\d.]+) (-?[\d.]+)", path.get("d", ""))
    return [(float(x), float(y)) for x, y in found]


def _markers(root: ET.Element, gid: str) -> list[tuple[float, float, str]]:
    """(x, y, style) of each marker a group draws."""
    uses = _group(root, gid).iter(f"{SVG}use")
    return [(float(u.get("x", "nan")), float(u.get("y", "nan")), u.get("style", "")) for u in uses]


def _plot(*series: Series, **options: object) -> LogLogPlot:
    return LogLogPlot("p", "a title", "N", "cost", tuple(series), **options)  # type: ignore[arg-type]


def test_filled_and_hollow_points_are_drawn_as_marked() -> None:
    points = (Point(4, 10), Point(16, 40, filled=False), Point(64, 160))
    root = _svg(_plot(Series("qrom", points)))
    filled = _markers(root, "p-filled-0")
    hollow = _markers(root, "p-hollow-0")
    assert len(filled) == 2 and len(hollow) == 1
    assert all("fill: #1f77b4" in style for *_, style in filled)  # the series' colour
    assert "fill: #ffffff" in hollow[0][2] and "stroke: #1f77b4" in hollow[0][2]
    assert root.find(f".//{SVG}g[@id='p-filled-1']") is None


def test_every_point_is_a_vertex_of_its_line_inside_the_frame() -> None:
    # y = x is a straight line on log-log axes: no vertex may be simplified away
    points = tuple(Point(2.0**k, 2.0**k, filled=k % 2 == 0) for k in range(2, 11))
    root = _svg(_plot(Series("linear", tuple(reversed(points)))))
    (line,) = _group(root, "p-curve-0").iter(f"{SVG}path")
    vertices = _vertices(line)
    assert len(vertices) == len(points)
    assert [x for x, _ in vertices] == sorted(x for x, _ in vertices)  # drawn in x order
    assert [y for _, y in vertices] == sorted((y for _, y in vertices), reverse=True)
    markers = sorted(_markers(root, "p-filled-0") + _markers(root, "p-hollow-0"))
    assert [(round(x, 3), round(y, 3)) for x, y, _ in markers] == [
        (round(x, 3), round(y, 3)) for x, y in vertices
    ]
    (frame,) = _group(root, "p-frame").iter(f"{SVG}path")
    corners = _vertices(frame)
    left, right = min(x for x, _ in corners), max(x for x, _ in corners)
    top, bottom = min(y for _, y in corners), max(y for _, y in corners)
    assert all(left <= x <= right and top <= y <= bottom for x, y in vertices)
    # equal steps in log x and log y: equal steps on the page
    steps = {
        (round(b[0] - a[0], 2), round(b[1] - a[1], 2)) for a, b in itertools.pairwise(vertices)
    }
    assert len(steps) == 1


def test_points_a_log_axis_cannot_show_are_left_out() -> None:
    points = (Point(1, 1), Point(2, 0), Point(4, -3), Point(0, 5), Point(8, math.nan), Point(16, 4))
    root = _svg(_plot(Series("s", points)))
    (line,) = _group(root, "p-curve-0").iter(f"{SVG}path")
    assert len(_vertices(line)) == 2 and len(_markers(root, "p-filled-0")) == 2


def test_a_plot_with_nothing_to_show_says_so() -> None:
    page = loglog_svg(_plot(Series("empty", (Point(1, 0),))))
    assert "<!-- no positive values -->" in page


def test_error_bars_stop_at_a_hundredth_of_the_value() -> None:
    root = _svg(_plot(Series("s", (Point(4, 1e-3, yerr=1e-2), Point(16, 1e-2), Point(64, 2e-2)))))
    (bar,) = _group(root, "p-errors-0").iter(f"{SVG}path")
    (top_x, top_y), (low_x, low_y) = sorted(_vertices(bar), key=lambda v: v[1])
    (x, y, _), *_ = sorted(_markers(root, "p-filled-0"))
    assert top_x == pytest.approx(x) and low_x == pytest.approx(x)
    # on a log axis: 2 decades down to y / 100, log10(11) decades up to y + 10 y
    assert (low_y - y) / (y - top_y) == pytest.approx(2 / math.log10(11), rel=1e-3)


def test_legend_has_a_swatch_per_series_and_the_marker_meanings() -> None:
    series = (
        Series("qrom", (Point(4, 10), Point(16, 20))),
        Series("classical FLOPs", (Point(4, 100), Point(16, 400)), dashed=True),
    )
    page = loglog_svg(_plot(*series, filled_label="compiled", hollow_label="analytic"))
    labels = re.findall(r"<!-- (.*?) -->", page)
    assert labels[-5:] == ["a title", "qrom", "classical FLOPs", "compiled", "analytic"]
    root = ET.fromstring(page)
    (dashed,) = _group(root, "p-curve-1").iter(f"{SVG}path")
    assert "stroke-dasharray" in dashed.get("style", "")
    (solid,) = _group(root, "p-curve-0").iter(f"{SVG}path")
    assert "stroke-dasharray" not in solid.get("style", "")


def test_base_2_axis_labels_powers_of_two_and_exponents_are_short() -> None:
    points = (Point(4, 1e-4), Point(1024, 1e2))
    labels = re.findall(r"<!-- (.*?) -->", loglog_svg(_plot(Series("s", points), x_base=2)))
    assert {"4", "8", "16", "32", "64", "128", "256", "512", "1024"} <= set(labels)
    assert {"1e-4", "0.001", "0.01", "0.1", "1", "10", "100"} & set(labels)
    assert not any("+" in label or "$" in label for label in labels)  # no 1e+06, no mathtext


def test_same_data_gives_the_same_svg_and_plots_share_no_ids() -> None:
    series = Series("s", (Point(4, 10, yerr=1), Point(16, 20, filled=False)))
    first = loglog_svg(_plot(series))
    assert loglog_svg(_plot(series)) == first
    other = loglog_svg(LogLogPlot("q", "a title", "N", "cost", (series,)))
    ids = [set(re.findall(r' id="([^"]+)"', svg)) for svg in (first, other)]
    assert ids[0] and not ids[0] & ids[1]
    assert first.startswith("<svg ") and ' id="p"' in first.split(">", 1)[0]
    for namespace in ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"):
        first = first.replace(namespace, "")
    assert "http" not in first and "<metadata" not in first and "<script" not in first


@pytest.mark.parametrize("plot_id", ["", "1st", "has space", 'q"uote'])
def test_plot_id_must_be_a_plain_html_id(plot_id: str) -> None:
    with pytest.raises(ValueError, match="plain HTML id"):
        LogLogPlot(plot_id, "t", "x", "y", ())


def test_band_is_shaded_where_both_edges_are_positive() -> None:
    band = (Band(4, 5, 20), Band(16, 10, 40), Band(64, 0, 80))  # a zero edge is left out
    series = Series("s", (Point(4, 10), Point(16, 20), Point(64, 40)), band=band)
    root = _svg(_plot(series))
    (patch,) = _group(root, "p-band-0").iter(f"{SVG}path")
    xs = sorted({round(x, 3) for x, _ in _vertices(patch)})
    markers = sorted(_markers(root, "p-filled-0"))
    assert xs[0] == pytest.approx(markers[0][0], abs=1e-2)
    assert xs[-1] == pytest.approx(markers[1][0], abs=1e-2)  # stops at the last valid band
    assert len(xs) == 2


def test_extra_legend_entries_follow_the_series() -> None:
    series = Series("hidden", (Point(4, 10), Point(16, 20)), in_legend=False, linestyle=":")
    legend = (LegendEntry("qrom", color="C1"), LegendEntry("95% band", band=True))
    page = loglog_svg(_plot(series, legend=legend, filled_label="compiled"))
    labels = re.findall(r"<!-- (.*?) -->", page)
    assert labels[-3:] == ["compiled", "qrom", "95% band"] and "hidden" not in labels
    with pytest.raises(ValueError, match="linestyle"):
        Series("s", (), linestyle="wavy")


def test_base_2_axis_writes_large_powers_of_two_in_full() -> None:
    points = (Point(16, 1), Point(65536, 100))
    labels = set(re.findall(r"<!-- (.*?) -->", loglog_svg(_plot(Series("s", points), x_base=2))))
    assert {"16", "1024", "16384", "65536"} <= labels and not {"2e4", "7e4"} & labels
    far = (Point(1 << 10, 1), Point(1 << 30, 100))
    labels = set(re.findall(r"<!-- (.*?) -->", loglog_svg(_plot(Series("s", far), x_base=2))))
    assert "2^30" in labels or "2^28" in labels


def test_pdf_is_a_reproducible_pdf_document() -> None:
    series = Series("s", (Point(4, 10), Point(16, 20, filled=False)))
    first = loglog_pdf(_plot(series))
    assert first.startswith(b"%PDF-") and first.rstrip().endswith(b"%%EOF")
    assert loglog_pdf(_plot(series)) == first and b"CreationDate" not in first
