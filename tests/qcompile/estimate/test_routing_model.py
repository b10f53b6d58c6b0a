"""The routing model: its fit against numpy, its band, and curves that never fall."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hardware_profiles.errors import ResourceError
from qcompile.estimate import estimate
from qcompile.estimate.analytic import logical_size
from qcompile.estimate.calibration import closed_form_metrics, device_fits, extrapolate
from qcompile.estimate.report import COMPILABLE_KINDS
from qcompile.estimate.routing_model import (
    BAND_LEVEL,
    FITTED_METRICS,
    GROWS,
    PRIOR_DOF,
    PRIOR_SIGMA,
    fit_ratios,
    monotone_violations,
)


def _numpy_prediction(
    sizes: list[int], ratios: list[float], n: int, sigma: float, dof: int
) -> tuple[float, float, float]:
    """Independent reference: numpy polyfit and the textbook prediction interval."""
    x = np.log2(sizes)
    y = np.log(ratios)
    slope, intercept = np.polyfit(x, y, 1)
    x0 = math.log2(n)
    se = sigma * math.sqrt(1 + 1 / len(x) + (x0 - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum())
    t = stats.t.ppf(0.5 + BAND_LEVEL / 2, dof)
    centre = intercept + slope * x0
    return math.exp(centre), math.exp(centre - t * se), math.exp(centre + t * se)


def test_fit_and_band_equal_numpy_least_squares_and_the_t_interval() -> None:
    rng = np.random.default_rng(3)
    kinds = {
        "a": {n: 2.0 * n**0.1 * math.exp(rng.normal(0, 0.1)) for n in (4, 8, 16, 32)},
        "b": {n: 1.5 * n**0.05 * math.exp(rng.normal(0, 0.1)) for n in (4, 8, 16)},
        "c": {16: 3.0},  # one size: slope 0, pooled band
    }
    fits = fit_ratios(kinds, "two_qubit_gates")
    # pooled residual variance over the kinds with >= 3 sizes: (4 - 2) + (3 - 2) = 3 dof,
    # plus the prior's
    rss = PRIOR_DOF * PRIOR_SIGMA**2
    for kind in ("a", "b"):
        x, y = np.log2(list(kinds[kind])), np.log(list(kinds[kind].values()))
        coef = np.polyfit(x, y, 1)
        rss += float(((y - np.polyval(coef, x)) ** 2).sum())
    dof = 3 + PRIOR_DOF
    sigma = math.sqrt(rss / dof)
    assert fits["a"].dof == dof and fits["a"].sigma == pytest.approx(sigma)
    for kind in ("a", "b"):
        sizes = sorted(kinds[kind])
        ref = _numpy_prediction(sizes, [kinds[kind][n] for n in sizes], 1024, sigma, dof)
        centre, half = fits[kind].log_ratio(1024)
        got = (math.exp(centre), math.exp(centre - half), math.exp(centre + half))
        assert got == pytest.approx(ref, rel=1e-9)
    assert fits["c"].slope == 0 and math.exp(fits["c"].log_ratio(1024)[0]) == pytest.approx(3.0)


def test_without_residual_degrees_of_freedom_the_band_is_the_priors() -> None:
    fits = fit_ratios({"a": {4: 2.0, 8: 2.5}}, "depth")
    assert (fits["a"].sigma, fits["a"].dof) == (PRIOR_SIGMA, PRIOR_DOF)
    # at N = 8: lever (3 - 2.5)^2 / 0.5 = 0.5
    half = stats.t.ppf(0.5 + BAND_LEVEL / 2, PRIOR_DOF) * PRIOR_SIGMA * math.sqrt(1 + 0.5 + 0.5)
    assert fits["a"].log_ratio(8) == pytest.approx((math.log(2.5), half))
    with pytest.raises(ResourceError, match="positive and finite"):
        fit_ratios({"a": {4: 0.0}}, "depth")


def test_monotone_violations_name_the_step_that_falls() -> None:
    assert monotone_violations([(4, 1.0), (8, 2.0), (16, 2.0)], "two_qubit_gates") == []
    (bad,) = monotone_violations([(8, 11455.0), (4, 10.0), (16, 6564.0)], "two_qubit_gates")
    assert "at N=8 -> 6564 at N=16" in bad
    assert monotone_violations([(4, 0.9), (8, 0.95)], "success_probability")


_ratios = st.floats(0.05, 20.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(COMPILABLE_KINDS),
    compiled_top=st.integers(2, 6),  # compiled N = 4 .. 2^top
    ratios=st.lists(st.tuples(_ratios, _ratios, _ratios, _ratios, _ratios), min_size=5, max_size=5),
    other=st.lists(_ratios, min_size=3, max_size=3),
    stretch=st.integers(1, 14),
)
def test_extrapolated_figures_never_fall_as_n_grows(
    kind: str,
    compiled_top: int,
    ratios: list[tuple[float, ...]],
    other: list[float],
    stretch: int,
) -> None:
    # Any compiled ratios, however wild (the fit may fall steeply): every predicted figure and
    # band edge still grows with N from the last compiled size on, and success never rises.
    medians = (3e-4, 3e-3, 6.8e-8)
    compiled_n = [1 << e for e in range(2, compiled_top + 1)]
    future = [1 << e for e in range(compiled_top + 1, compiled_top + 1 + stretch)]
    partner = "qrom" if kind != "qrom" else "multiplexer"  # pools its scatter with ours
    every = sorted({4, 8, 16, *compiled_n, *future})
    closed = {
        k: {n: closed_form_metrics(logical_size("qlaci", n, k), *medians) for n in every}
        for k in (kind, partner)
    }
    compiled = {
        kind: {
            n: {m: closed[kind][n][m] * r for m, r in zip(FITTED_METRICS, ratios[i], strict=True)}
            for i, n in enumerate(compiled_n)
        },
        partner: {
            n: {m: closed[partner][n][m] * other[i] for m in FITTED_METRICS}
            for i, n in enumerate([4, 8, 16])
        },
    }
    fits = device_fits(compiled, closed)
    predicted = extrapolate(
        {m: f[kind] for m, f in fits.items()}, compiled[kind], closed[kind], future
    )
    last = compiled[kind][compiled_n[-1]]
    for metric in FITTED_METRICS:
        curve = [(compiled_n[-1], last[metric])] + [(n, predicted[n][metric].value) for n in future]
        assert monotone_violations(curve, metric) == [], curve
        for edge in ("low", "high"):
            edges = [(compiled_n[-1], last[metric])]
            edges += [(n, getattr(predicted[n][metric], edge)) for n in future]
            assert monotone_violations(edges, metric) == []
        for n in future:
            p = predicted[n][metric]
            assert p.low <= p.value <= p.high
    success = [(n, math.exp(-predicted[n]["neg_ln_success"].value)) for n in future]
    assert monotone_violations(success, "success_probability") == []


@settings(max_examples=10, deadline=None)
@given(
    kind=st.sampled_from(COMPILABLE_KINDS),
    low=st.integers(1, 12),
    span=st.integers(1, 8),
    profile=st.sampled_from(["heron_r2", "eagle_r3", "ft_logical"]),
)
def test_closed_form_rows_never_fall_as_n_grows(
    kind: str, low: int, span: int, profile: str
) -> None:
    # Nothing compiled (budget 0): the closed forms alone, cheap at any N.
    sizes = [1 << e for e in range(low, low + span + 1)]
    report = estimate("qlaci", sizes, [kind], [profile], time_budget=0, qdk_seq_lens=())
    rows = sorted(report.rows, key=lambda r: r.seq_len)
    for metric in ("qubits", "two_qubit_gates", "depth", "duration_s"):
        curve = [(r.seq_len, float(getattr(r, metric))) for r in rows]
        assert monotone_violations(curve, metric) == []
    if profile != "ft_logical":
        curve = [(r.seq_len, float(r.log10_success or 0)) for r in rows]
        assert monotone_violations(curve, "success_probability") == []


def test_grows_covers_every_fitted_figure() -> None:
    assert set(FITTED_METRICS) <= set(GROWS)
