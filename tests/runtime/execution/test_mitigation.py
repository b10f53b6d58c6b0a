"""MitigationOptions: validation, round trips, and what each executor refuses."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit_ibm_runtime.options_models import EstimatorOptions, SamplerOptions

from hardware_profiles.errors import JobError
from runtime.execution.mitigation import (
    DD_SEQUENCES,
    ZNE_EXTRAPOLATORS,
    MitigationOptions,
    apply_ibm_options,
)

valid = st.builds(
    MitigationOptions,
    resilience_level=st.sampled_from([None, 0, 1, 2]),
    twirling=st.sampled_from([None, True, False]),
    dynamical_decoupling=st.sampled_from([None, *DD_SEQUENCES]),
    measure_mitigation=st.sampled_from([None, True, False]),
    zne=st.sampled_from([None, True]),
    zne_noise_factors=st.one_of(
        st.none(), st.lists(st.floats(1.0, 9.0), min_size=2, max_size=4).map(tuple)
    ),
    zne_extrapolator=st.sampled_from([None, *ZNE_EXTRAPOLATORS]),
)


@settings(max_examples=60, deadline=None)
@given(valid)
def test_round_trip_and_ibm_mapping(options: MitigationOptions) -> None:
    assert MitigationOptions.from_dict(options.to_dict()) == options
    estimator = EstimatorOptions()
    apply_ibm_options(estimator, options, "estimate")  # pydantic validates every value
    if options.resilience_level is not None:
        assert estimator.resilience_level == options.resilience_level
    if options.twirling is not None:
        assert estimator.twirling.enable_gates is options.twirling
        assert estimator.twirling.enable_measure is options.twirling
    assert estimator.dynamical_decoupling.enable is (options.dynamical_decoupling is not None)
    if options.measure_mitigation is not None:
        assert estimator.resilience.measure_mitigation is options.measure_mitigation
    if options.zne is not None:
        assert estimator.resilience.zne_mitigation is options.zne
    if options.zne_noise_factors is not None:
        assert list(estimator.resilience.zne.noise_factors) == list(options.zne_noise_factors)
    if options.zne_extrapolator is not None:
        assert estimator.resilience.zne.extrapolator == options.zne_extrapolator
    sampler_only = MitigationOptions(
        twirling=options.twirling, dynamical_decoupling=options.dynamical_decoupling
    )
    sampler = SamplerOptions()
    apply_ibm_options(sampler, sampler_only, "sample")
    if options.dynamical_decoupling is not None:
        assert sampler.dynamical_decoupling.sequence_type == options.dynamical_decoupling


@settings(max_examples=80, deadline=None)
@given(
    level=st.one_of(st.integers(), st.booleans(), st.floats(allow_nan=True)),
    sequence=st.text(max_size=6),
    factors=st.lists(
        st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers()), max_size=4
    ),
    extrapolator=st.text(max_size=12),
)
def test_hostile_values_are_one_line_job_errors(
    level: object, sequence: str, factors: list[float], extrapolator: str
) -> None:
    cases = [
        (
            {"resilience_level": level},
            isinstance(level, int) and not isinstance(level, bool) and level in (0, 1, 2),
        ),
        ({"dynamical_decoupling": sequence}, sequence in DD_SEQUENCES),
        (
            {"zne_noise_factors": tuple(factors)},
            len(factors) >= 2 and all(math.isfinite(f) and f >= 1 for f in factors),
        ),
        ({"zne_extrapolator": extrapolator}, extrapolator in ZNE_EXTRAPOLATORS),
    ]
    for fields, ok in cases:
        if ok:
            MitigationOptions(**fields)  # type: ignore[arg-type]
            continue
        with pytest.raises(JobError) as caught:
            MitigationOptions(**fields)  # type: ignore[arg-type]
        assert "\n" not in str(caught.value)


def test_what_each_executor_refuses() -> None:
    MitigationOptions().check_aer()
    MitigationOptions(resilience_level=0, twirling=False, zne=False).check_aer()
    MitigationOptions(twirling=True, dynamical_decoupling="XX").check_aer()
    MitigationOptions(resilience_level=2, zne_extrapolator="polynomial_degree_2").check_aer()
    with pytest.raises(JobError, match="--dd XY4: Aer inserts XX only"):
        MitigationOptions(dynamical_decoupling="XY4").check_aer()
    with pytest.raises(JobError, match="--zne-extrapolator double_exponential: Aer fits"):
        MitigationOptions(zne=True, zne_extrapolator="double_exponential").check_aer()
    MitigationOptions(twirling=True, dynamical_decoupling="XX").check_kind("sample")
    with pytest.raises(JobError, match="--measure-mitigation: estimator options"):
        MitigationOptions(measure_mitigation=True).check_kind("sample")
    with pytest.raises(JobError, match="ZNE turned off"):
        MitigationOptions(zne=False, zne_extrapolator="linear")
    with pytest.raises(JobError, match="unknown mitigation option"):
        MitigationOptions.from_dict({"pec": True})
    assert MitigationOptions().is_default and MitigationOptions().to_dict() == {}
