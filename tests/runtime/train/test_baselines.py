"""Classical baselines: shapes, matched sizes, and the Performer kernel estimate."""

from __future__ import annotations

import math

import pytest
import torch

from hardware_profiles.errors import ResourceError
from runtime.train.backbones import TinyViT
from runtime.train.baselines import BASELINES, PerformerAttention, parameter_count
from runtime.train.spec import QNNBackend
from runtime.train.tasks import get_task

FAMILY_TASK = {"needle": "needle-8", "digits": "digits-pixels", "series": "series-sine"}


@pytest.mark.slow
def test_every_baseline_maps_tokens_to_outputs_of_its_task():
    for family, models in BASELINES.items():
        task = get_task(FAMILY_TASK[family], train_size=4, test_size=4)
        x = task.data().x_train
        for name, factory in models.items():
            torch.manual_seed(0)
            out = factory(task.info, QNNBackend(), 0)(x)
            assert out.shape == (4, task.info.output_dim), (family, name)
            assert torch.isfinite(out).all()


@pytest.mark.slow
def test_digits_baselines_match_the_vit_parameter_count():
    for name in ("digits-rows", "digits-pixels"):
        info = get_task(name).info
        budget = parameter_count(TinyViT(info))
        for model, factory in BASELINES["digits"].items():
            count = parameter_count(factory(info, QNNBackend(), 0))
            assert abs(count - budget) <= 0.06 * budget, (name, model, count, budget)


def test_factories_depend_only_on_the_seed_and_reject_other_tasks():
    info = get_task("digits-rows").info
    torch.manual_seed(5)
    first = BASELINES["digits"]["lstm"](info, QNNBackend(), 5).state_dict()
    torch.manual_seed(5)
    second = BASELINES["digits"]["lstm"](info, QNNBackend(), 5).state_dict()
    assert all(torch.equal(first[key], second[key]) for key in first)
    with pytest.raises(ResourceError, match="digits tasks"):
        BASELINES["digits"]["gru"](get_task("needle-4").info, QNNBackend(), 0)


def test_performer_features_estimate_the_softmax_kernel():
    # FAVOR+: E[φ(q)·φ(k)] = exp(q·k / √d) (Choromanski et al., Lemma 1); the Monte Carlo
    # error shrinks as the number of features grows.
    info = get_task("needle-4").info
    generator = torch.Generator().manual_seed(0)
    q, k = (
        0.5 * torch.randn(64, 16, generator=generator),
        0.5 * torch.randn(64, 16, generator=generator),
    )
    exact = torch.exp((q * k).sum(-1) / math.sqrt(16))
    errors = []
    for features in (256, 16384):
        attn = PerformerAttention(info, d_model=16, features=features, seed=1)
        estimate = (attn._phi(q) * attn._phi(k)).sum(-1)
        errors.append(float((estimate / exact - 1).abs().mean()))
    assert errors[1] < 0.06
    assert errors[1] < errors[0] / 2
