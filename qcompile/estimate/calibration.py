"""Closed-form and compiled figures side by side, the routing fits, and their held-out check.

The figures fitted are :data:`~qcompile.estimate.routing_model.FITTED_METRICS`; a compiled
size gives ``compiled / closed form`` for each, and :func:`device_fits` fits those ratios per
(QRAM kind) on one device (:mod:`qcompile.estimate.routing_model`). :func:`extrapolate` turns
the fits into predictions at sizes that were not compiled; :func:`held_out` checks the model
on data it has not seen: each kind's largest compiled size is left out of the fit and
predicted from the smaller ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qcompile.estimate.routing_model import (
    FITTED_METRICS,
    Prediction,
    RatioFit,
    fit_ratios,
    predict_running,
)
from qcompile.estimate.sizes import LogicalSize

__all__ = [
    "HeldOut",
    "closed_form_metrics",
    "compiled_metrics",
    "device_fits",
    "extrapolate",
    "held_out",
]

Metrics = dict[str, float]
"""Figure name -> value, for the figures that exist (a missing one has no key)."""


def closed_form_metrics(
    size: LogicalSize, error_1q: float, error_2q: float, duration_2q_s: float
) -> Metrics:
    """The closed-form figures of a lowered logical circuit on a device's median gates.

    Duration is the depth bound x the median two-qubit gate duration; ``neg_ln_success`` is
    ``-ln((1 - e2q)^(2q gates) (1 - e1q)^(1q gates))``. Figures that would be 0 (a profile
    without durations or errors) are left out.
    """
    out: Metrics = {
        "qubits": float(size.qubits),
        "two_qubit_gates": float(size.two_qubit_gates),
        "depth": float(size.depth),
    }
    if duration_2q_s > 0:
        out["duration_s"] = size.depth * duration_2q_s
    neg = -(
        size.two_qubit_gates * math.log1p(-error_2q) + size.one_qubit_gates * math.log1p(-error_1q)
    )
    if neg > 0:
        out["neg_ln_success"] = neg
    return out


def compiled_metrics(figures: Mapping[str, Any]) -> Metrics:
    """The fitted figures of one compile report's figures (those that are positive)."""
    out: Metrics = {}
    for name in ("qubits", "two_qubit_gates", "depth", "duration_s"):
        value = figures.get(name)
        if value is not None and value > 0:
            out[name] = float(value)
    log10 = figures.get("log10_success")
    if log10 is None and figures.get("success_probability"):
        log10 = math.log10(figures["success_probability"])
    if log10 is not None and log10 < 0:
        out["neg_ln_success"] = -log10 * math.log(10)
    return out


def _ratios(
    compiled: Mapping[str, Mapping[int, Metrics]],
    closed: Mapping[str, Mapping[int, Metrics]],
    metric: str,
) -> dict[str, dict[int, float]]:
    return {
        kind: {
            n: got[metric] / closed[kind][n][metric]
            for n, got in by_n.items()
            if metric in got and metric in closed[kind][n]
        }
        for kind, by_n in compiled.items()
    }


def device_fits(
    compiled: Mapping[str, Mapping[int, Metrics]],
    closed: Mapping[str, Mapping[int, Metrics]],
) -> dict[str, dict[str, RatioFit]]:
    """Fits per metric and kind of one device.

    Args:
        compiled: Per kind, ``{N: compiled figures}``.
        closed: Per kind, ``{N: closed-form figures}`` at (at least) the compiled N.

    Returns:
        ``{metric: {kind: fit}}`` for the kinds with a point of that metric.
    """
    return {
        metric: fit_ratios(_ratios(compiled, closed, metric), metric) for metric in FITTED_METRICS
    }


def extrapolate(
    fits: Mapping[str, RatioFit],
    compiled: Mapping[int, Metrics],
    closed: Mapping[int, Metrics],
    sizes: Sequence[int],
) -> dict[int, dict[str, Prediction]]:
    """Predict each fitted figure at ``sizes`` (not compiled) of one kind on one device.

    Each size's prediction is held at or above the compiled figure of the largest compiled
    size below it, and at or above the predictions between them.

    Args:
        fits: ``{metric: fit}`` of the kind.
        compiled: ``{N: compiled figures}`` of the kind.
        closed: ``{N: closed-form figures}`` at ``sizes``.
        sizes: The N to predict.

    Returns:
        ``{N: {metric: prediction}}`` for the metrics with a fit and a closed form.
    """
    out: dict[int, dict[str, Prediction]] = {n: {} for n in sizes}
    groups: dict[int | None, list[int]] = {}
    for n in sorted(sizes):
        below = [m for m in compiled if m < n]
        groups.setdefault(max(below) if below else None, []).append(n)
    for anchor, group in groups.items():
        for metric, fit in fits.items():
            base = {n: closed[n][metric] for n in group if metric in closed[n]}
            if not base:
                continue
            floor = compiled[anchor].get(metric, 0.0) if anchor is not None else 0.0
            for n, prediction in predict_running(fit, base, floor).items():
                out[n][metric] = prediction
    return out


@dataclass(frozen=True)
class HeldOut:
    """A kind's largest compiled size predicted by a fit that did not see it.

    Attributes:
        kind: QRAM kind.
        profile: Profile name.
        seq_len: The held-out N.
        fitted_on: The compiled N the fit used (this kind's).
        metric: The figure.
        compiled: Its compiled value.
        predicted: The prediction.
        low: Lower band edge.
        high: Upper band edge.
        inside: Whether ``low <= compiled <= high``.
    """

    kind: str
    profile: str
    seq_len: int
    fitted_on: tuple[int, ...]
    metric: str
    compiled: float
    predicted: float
    low: float
    high: float
    inside: bool


def held_out(
    profile: str,
    compiled: Mapping[str, Mapping[int, Metrics]],
    closed: Mapping[str, Mapping[int, Metrics]],
    min_sizes: int = 3,
) -> list[HeldOut]:
    """For each kind with ``min_sizes`` compiled sizes: refit without its largest, predict it.

    The other kinds keep all their points (the pooled scatter uses them).
    """
    checks: list[HeldOut] = []
    for kind, by_n in compiled.items():
        if len(by_n) < min_sizes:
            continue
        top = max(by_n)
        seen = {
            k: (dict(v) if k != kind else {n: m for n, m in v.items() if n != top})
            for k, v in compiled.items()
        }
        fits = device_fits(seen, closed)
        kind_fits = {metric: by_kind[kind] for metric, by_kind in fits.items() if kind in by_kind}
        predicted = extrapolate(kind_fits, seen[kind], {top: closed[kind][top]}, [top])[top]
        for metric, p in predicted.items():
            if metric not in by_n[top]:
                continue
            value = by_n[top][metric]
            checks.append(
                HeldOut(
                    kind,
                    profile,
                    top,
                    tuple(sorted(seen[kind])),
                    metric,
                    value,
                    p.value,
                    p.low,
                    p.high,
                    p.low <= value <= p.high,
                )
            )
    return checks
