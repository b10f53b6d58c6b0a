"""Resource estimates of the attention models over sequence length, QRAM kind and device.

:func:`estimate` gives compiled figures where a circuit fits the device and the time budget
and closed-form figures beyond; :mod:`~qcompile.estimate.classical` gives classical softmax
attention's cost beside them and :mod:`~qcompile.estimate.surface_code` the fault-tolerant
overheads, :func:`compare_with_qdk` Microsoft's qdk estimator beside them on the same
lookup circuits. Past the compile limit, rows are extrapolated by the routing model of
:mod:`~qcompile.estimate.routing_model`, calibrated on the compiled sizes, with a prediction
band. :func:`to_markdown` and :func:`to_html` render the report; :func:`write_report` writes
its JSON, Markdown, page and SVG/PDF figures as one run's files. Extra sections plug in as
:class:`ReportSection` builders (:mod:`~qcompile.estimate.sections`).
"""

from qcompile.estimate.analytic import LogicalSize, logical_size
from qcompile.estimate.classical import ClassicalAttentionCost, classical_attention_cost
from qcompile.estimate.output import WrittenReport, report_id, write_report
from qcompile.estimate.qdk_compare import (
    QdkComparison,
    QdkFigures,
    QdkReport,
    clifford_t_counts,
    compare_with_qdk,
    lookup_circuit,
)
from qcompile.estimate.render import to_html, to_markdown
from qcompile.estimate.report import (
    QRAM_KINDS,
    EstimateReport,
    EstimateRow,
    estimate,
    summary_line,
)
from qcompile.estimate.sections import ReportSection
from qcompile.estimate.surface_code import (
    SurfaceCodeEstimate,
    SurfaceCodeModel,
    estimate_surface_code,
    logical_error_rate,
    rotation_t_count,
)

__all__ = [
    "QRAM_KINDS",
    "ClassicalAttentionCost",
    "EstimateReport",
    "EstimateRow",
    "LogicalSize",
    "QdkComparison",
    "QdkFigures",
    "QdkReport",
    "ReportSection",
    "SurfaceCodeEstimate",
    "SurfaceCodeModel",
    "WrittenReport",
    "classical_attention_cost",
    "clifford_t_counts",
    "compare_with_qdk",
    "estimate",
    "estimate_surface_code",
    "logical_error_rate",
    "logical_size",
    "lookup_circuit",
    "report_id",
    "rotation_t_count",
    "summary_line",
    "to_html",
    "to_markdown",
    "write_report",
]
