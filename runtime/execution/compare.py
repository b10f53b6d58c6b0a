"""How far a noisy (or hardware) result is from the ideal one.

Counts are compared by total variation distance, expectation values by absolute error. This is
what ``qrun sample --noisy`` and ``qrun estimate --ibm ...`` print as "distance to ideal".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from runtime.execution.executor import EstimateResult, SampleResult

__all__ = ["distance_to_ideal", "total_variation"]


def total_variation(p: Mapping[str, int], q: Mapping[str, int]) -> float:
    """Total variation distance ``1/2 sum_k |p_k - q_k|`` of two normalised count tables.

    Empty tables count as one shot, so the distance is always defined.
    """
    np_, nq = sum(p.values()) or 1, sum(q.values()) or 1
    return 0.5 * sum(abs(p.get(k, 0) / np_ - q.get(k, 0) / nq) for k in set(p) | set(q))


def distance_to_ideal(
    result: SampleResult | EstimateResult, ideal: SampleResult | EstimateResult
) -> dict[str, Any]:
    """The distance of ``result`` to ``ideal``, as JSON-friendly data.

    Args:
        result: a noisy or hardware result.
        ideal: the ideal result of the same PUBs (same kind).

    Returns:
        For counts: ``{"metric": "total_variation", "max", "per_parameter_set"}``; for
        expectation values: ``{"metric": "absolute_error", "max", "mean", "per_pub"}``.
    """
    if isinstance(result, SampleResult) and isinstance(ideal, SampleResult):
        tvs = [
            total_variation(a, b)
            for pa, pb in zip(result.counts, ideal.counts, strict=True)
            for a, b in zip(pa, pb, strict=True)
        ]
        return {"metric": "total_variation", "max": max(tvs), "per_parameter_set": tvs}
    assert isinstance(result, EstimateResult) and isinstance(ideal, EstimateResult)
    errors = [
        np.abs(np.asarray(a) - np.asarray(b))
        for a, b in zip(result.values, ideal.values, strict=True)
    ]
    flat = np.concatenate([e.ravel() for e in errors]) if errors else np.zeros(0)
    return {
        "metric": "absolute_error",
        "max": float(flat.max()) if flat.size else 0.0,
        "mean": float(flat.mean()) if flat.size else 0.0,
        "per_pub": [e.tolist() for e in errors],
    }
