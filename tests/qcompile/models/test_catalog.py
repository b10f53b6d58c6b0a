"""The model registry: one list of names, each entry builds, and closed forms match builds."""

from __future__ import annotations

import pytest

from hardware_profiles.errors import ResourceError
from qcompile.models import count_resources
from qcompile.models.catalog import (
    ESTIMATE_MODELS,
    MODEL_NAMES,
    MODELS,
    ModelSpec,
    build_model,
    model_resources,
)

SPECS = [
    ModelSpec("qlaci", 4, width=1),
    ModelSpec("qlaci", 5, width=2, layers=2),  # padded to 8 entries
    ModelSpec("qlaci-kernel", 4, width=2, copies=2, grover_iterations=1),
    ModelSpec("qlaci-kernel", 5, layers=2),  # padded to 8 entries
    ModelSpec("qlaci_prototype", 3),
    ModelSpec("qlam", 3, width=4, layers=2),
    ModelSpec("qasa", 1, layers=2),
    ModelSpec("qama", 3, heads=2, layers=2),
    ModelSpec("qama", 2, heads=3, seed=4),
]


def test_the_registry_is_the_list_of_names() -> None:
    assert tuple(MODELS) == MODEL_NAMES and len(set(MODEL_NAMES)) == len(MODEL_NAMES)
    assert set(ESTIMATE_MODELS) <= set(MODEL_NAMES)
    assert {spec.name for spec in SPECS} == set(MODEL_NAMES)
    assert all(MODELS[name].summary for name in MODEL_NAMES)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.name}-{s.seq_len}")
def test_every_entry_builds_and_its_closed_form_counts_the_build(spec: ModelSpec) -> None:
    model = build_model(spec)
    assert model.circuit.name == f"{spec.name}-n{spec.seq_len}"
    if spec.name in ESTIMATE_MODELS:
        assert model_resources(spec) == count_resources(model)
    else:
        with pytest.raises(ResourceError, match="no closed-form size"):
            model_resources(spec)


def test_unknown_names_and_sparse_qama_are_refused() -> None:
    with pytest.raises(ResourceError, match="unknown model 'gpt'"):
        ModelSpec("gpt", 4)
    with pytest.raises(ResourceError, match="dense"):
        model_resources(ModelSpec("qama", 4, top_k=1))
