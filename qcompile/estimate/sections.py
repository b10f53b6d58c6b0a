"""Extra sections of the estimate report: the hook another cost model plugs its figures into.

A section builder is a function of the finished :class:`~qcompile.estimate.EstimateReport`
returning a :class:`ReportSection` (or None when it has nothing to say for that report, e.g. a
model it does not cover). :func:`~qcompile.estimate.estimate` runs the builders it is given
(``sections=``, by default
:data:`qcompile.estimate.report.DEFAULT_SECTION_BUILDERS`) and keeps their sections in
``EstimateReport.sections``; the Markdown and HTML renderers print each one after the device
figures (title, text, table, figures), and the figures are exported as SVG and PDF beside the
page like the report's own. A section's ``data`` goes into the JSON as given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hardware_profiles.errors import ResourceError
from qcompile.plots import LogLogPlot

if TYPE_CHECKING:
    from qcompile.estimate.report import EstimateReport

__all__ = ["ReportSection", "SectionBuilder"]

_KEY = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class ReportSection:
    """One extra part of the report.

    Attributes:
        key: Short name, lower-case letters, digits and ``-`` (the HTML anchor and the prefix
            of the section's figure files).
        title: Heading.
        paragraphs: Text shown under the heading (plain text).
        table_heads: Column heads of the section's table (none: no table).
        table_rows: Cells of the table, as display strings.
        figures: Plots, each with its caption.
        data: Machine-readable figures for the JSON.
    """

    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    table_heads: tuple[str, ...] = ()
    table_rows: tuple[tuple[str, ...], ...] = ()
    figures: tuple[tuple[str, LogLogPlot], ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            raise ResourceError(f"section key {self.key!r}: lower-case letters, digits and -")
        if any(len(row) != len(self.table_heads) for row in self.table_rows):
            raise ResourceError(f"section {self.key}: every table row needs one cell per head")


SectionBuilder = Callable[["EstimateReport"], ReportSection | None]
"""Builds a section from the finished report, or None when it does not apply."""
