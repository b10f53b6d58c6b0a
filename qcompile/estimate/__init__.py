"""Resource estimates of the attention models over sequence length, QRAM kind and device.

:func:`estimate` gives compiled figures where a circuit fits the device and the time budget
and closed-form figures beyond; :mod:`~qcompile.estimate.classical` gives classical softmax
attention's cost beside them and :mod:`~qcompile.estimate.surface_code` the fault-tolerant
overheads, :func:`compare_with_qdk` Microsoft's qdk estimator beside them on the same
lookup circuits. :func:`to_markdown` and :func:`to_html` render the report.
"""

from qcompile.estimate.analytic import LogicalSize, logical_size
from qcompile.estimate.classical import ClassicalAttentionCost, classical_attention_cost
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
)
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
    "SurfaceCodeEstimate",
    "SurfaceCodeModel",
    "classical_attention_cost",
    "clifford_t_counts",
    "compare_with_qdk",
    "estimate",
    "estimate_surface_code",
    "logical_error_rate",
    "logical_size",
    "lookup_circuit",
    "rotation_t_count",
    "to_html",
    "to_markdown",
]
