"""The routing model: compiled/closed-form ratios fitted over N, extrapolated with a band.

A closed form (:mod:`qcompile.estimate.analytic`) counts the lowered *logical* circuit; routing
on a sparse coupling map adds SWAPs, and the basis change adds gates and depth. Where a
(QRAM kind, device) compiles at a few sizes, the ratio ``r(N) = compiled / closed form`` of
each figure is measured there and fitted in log space as a power law of N::

    ln r(N) = a + b log2(N) + noise

by least squares over that kind's compiled sizes. The noise variance is pooled over every kind
compiled on the same device (the scatter is the router's, not the lookup's), with a prior
scatter of :data:`PRIOR_SIGMA` counted as :data:`PRIOR_DOF` degree of freedom, so that a fit
on a handful of sizes that happen to lie on a line is never more certain than that:
``s^2 = (sum(RSS_k) + nu0 s0^2) / (sum(n_k - 2) + nu0)`` over kinds with three or more sizes.
A size past the compile limit is predicted as ``closed form(N) x exp(a + b log2 N)`` with the
two-sided Student-t prediction interval of the fit (``BAND_LEVEL``, ``sum(n_k - 2) + nu0``
degrees of freedom) as its band: ``exp(+- t s sqrt(1 + 1/n + (x - x_mean)^2 / Sxx))``. A kind
compiled at one size only keeps that size's ratio (slope 0) and the pooled band.

Every figure here must grow with N (qubits, two-qubit gates, depth, duration, and
``-ln success``): a larger lookup holds more of everything. A fitted ratio may fall faster
than the closed form grows over a long extrapolation, so each predicted value and band edge is
raised to the running maximum from the last compiled size on (:data:`GROWS`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hardware_profiles.errors import ResourceError

__all__ = [
    "BAND_LEVEL",
    "FITTED_METRICS",
    "GROWS",
    "PRIOR_DOF",
    "PRIOR_SIGMA",
    "Prediction",
    "RatioFit",
    "fit_ratios",
    "monotone_violations",
    "predict_running",
]

BAND_LEVEL = 0.95
"""Two-sided level of the prediction band."""
PRIOR_SIGMA = 0.2
"""Prior scatter of ``ln(compiled / closed form)`` about its trend (20 %). Chosen on QLACI on
heron_r2 (Qiskit 2.6): fitted on N = 4, 8, 16, 10 % left 2 of 14 compiled checks at N = 32
and 64 (two-qubit gates and depth) outside the band, 20 % none."""
PRIOR_DOF = 1
"""Degrees of freedom the prior scatter counts as."""

FITTED_METRICS = ("qubits", "two_qubit_gates", "depth", "duration_s", "neg_ln_success")
"""The figures with a fitted compiled/closed-form ratio (``neg_ln_success`` = ``-ln success``)."""

GROWS: Mapping[str, int] = {
    "qubits": 1,
    "two_qubit_gates": 1,
    "depth": 1,
    "duration_s": 1,
    "neg_ln_success": 1,
    "success_probability": -1,
    "shots": 1,
}
"""Direction the cost model says a figure takes as N grows: +1 non-decreasing, -1
non-increasing. Extra report sections (shots of kernel attention, ...) check against it too."""


@dataclass(frozen=True)
class RatioFit:
    """A fitted power law ``compiled / closed form = exp(a + b log2 N)`` with its band.

    Attributes:
        metric: The figure, one of :data:`FITTED_METRICS`.
        intercept: ``a``.
        slope: ``b``, per doubling of N (0 when fitted on one size).
        sizes: The compiled N it was fitted on.
        x_mean: Mean of ``log2 N`` over ``sizes``.
        sxx: Sum of squared deviations of ``log2 N`` (0 on one size).
        sigma: Pooled residual standard deviation of ``ln r`` (with the prior).
        dof: Degrees of freedom of ``sigma`` (the prior's included).
        t: Student-t quantile for :data:`BAND_LEVEL` at ``dof``.
    """

    metric: str
    intercept: float
    slope: float
    sizes: tuple[int, ...]
    x_mean: float
    sxx: float
    sigma: float
    dof: int
    t: float

    def log_ratio(self, n: int) -> tuple[float, float]:
        """``(ln r(N), half-width of its band)``."""
        x = math.log2(n)
        centre = self.intercept + self.slope * (x - self.x_mean)
        lever = (x - self.x_mean) ** 2 / self.sxx if self.sxx > 0 else 0.0
        return centre, self.t * self.sigma * math.sqrt(1 + 1 / len(self.sizes) + lever)


@dataclass(frozen=True)
class Prediction:
    """One extrapolated figure.

    Attributes:
        value: The prediction.
        low: Lower edge of the band (``value`` without a band).
        high: Upper edge of the band (``value`` without a band).
    """

    value: float
    low: float
    high: float


def _line(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float, float]:
    """Least squares ``y = a + b (x - mean x)``: ``(a, b, x mean, Sxx)`` and the RSS via caller."""
    k = len(xs)
    x_mean = sum(xs) / k
    y_mean = sum(ys) / k
    sxx = sum((x - x_mean) ** 2 for x in xs)
    slope = (
        sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0
    )
    return y_mean, slope, x_mean, sxx


def fit_ratios(points: Mapping[str, Mapping[int, float]], metric: str) -> dict[str, RatioFit]:
    """Fit ``ln(compiled / closed form)`` against ``log2 N`` per kind, sigma pooled over kinds.

    Args:
        points: Per kind (of one device), ``{N: compiled / closed form}`` of ``metric``;
            ratios must be positive and finite.
        metric: The figure's name (recorded in each fit).

    Returns:
        One fit per kind with at least one point.

    Raises:
        ResourceError: On a ratio that is not positive and finite, or N below 1.
    """
    from scipy.stats import t as student_t

    lines: dict[str, tuple[tuple[int, ...], float, float, float, float]] = {}
    rss = 0.0
    dof = 0
    for kind, by_n in points.items():
        if not by_n:
            continue
        sizes = tuple(sorted(by_n))
        if sizes[0] < 1 or not all(0 < by_n[n] < math.inf for n in sizes):
            raise ResourceError(f"{kind} {metric}: ratios must be positive and finite at N >= 1")
        xs = [math.log2(n) for n in sizes]
        ys = [math.log(by_n[n]) for n in sizes]
        a, b, x_mean, sxx = _line(xs, ys)
        lines[kind] = (sizes, a, b, x_mean, sxx)
        if len(sizes) >= 3:
            rss += sum((y - a - b * (x - x_mean)) ** 2 for x, y in zip(xs, ys, strict=True))
            dof += len(sizes) - 2
    dof += PRIOR_DOF
    sigma = math.sqrt((rss + PRIOR_DOF * PRIOR_SIGMA**2) / dof)
    t = float(student_t.ppf(0.5 + BAND_LEVEL / 2, dof))
    return {
        kind: RatioFit(metric, a, b, sizes, x_mean, sxx, sigma, dof, t)
        for kind, (sizes, a, b, x_mean, sxx) in lines.items()
    }


def predict_running(
    fit: RatioFit,
    closed_forms: Mapping[int, float],
    floor: float,
) -> dict[int, Prediction]:
    """Predict ``closed form x fitted ratio`` at each N, never below the size before it.

    Args:
        fit: The kind's fit.
        closed_forms: ``{N: closed-form figure}`` at the sizes to predict (all past the last
            compiled size).
        floor: The figure at the last compiled size: no prediction or band edge goes below it.

    Returns:
        ``{N: prediction}``; each value and band edge is the running maximum in N.
    """
    out: dict[int, Prediction] = {}
    low = value = high = floor
    for n in sorted(closed_forms):
        centre, half = fit.log_ratio(n)
        base = closed_forms[n]
        value = max(value, base * math.exp(centre))
        low = max(low, base * math.exp(centre - half))
        high = max(high, base * math.exp(centre + half), value)
        out[n] = Prediction(value, min(low, value), high)
    return out


def monotone_violations(
    curve: Sequence[tuple[int, float]], metric: str, *, rel_tol: float = 1e-9
) -> list[str]:
    """Where ``curve`` (``(N, value)`` pairs) moves against :data:`GROWS`'s direction.

    Args:
        curve: Points of one series; sorted here by N.
        metric: A key of :data:`GROWS`.
        rel_tol: Relative slack for rounding.

    Returns:
        One line per violation (empty when the curve is monotone as required).
    """
    sign = GROWS[metric]
    bad = []
    ordered = sorted(curve)
    for (n0, v0), (n1, v1) in itertools.pairwise(ordered):
        if sign * (v1 - v0) < -rel_tol * max(abs(v0), abs(v1)):
            bad.append(f"{metric}: {v0:.6g} at N={n0} -> {v1:.6g} at N={n1}")
    return bad
