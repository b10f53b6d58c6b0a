"""The training loop: every task family learns; resume is bit-for-bit; files are complete."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import torch

from hardware_profiles import DEFAULT_PROFILE, PROFILE_PATH_ENV, load_profile
from hardware_profiles.errors import JobError, ResourceError
from hardware_profiles.identity import strong_id
from runtime.train import loop
from runtime.train.hybrid import HYBRIDS
from runtime.train.loop import CHECKPOINT, TrainConfig, checkpoint_epoch, models_for, train
from runtime.train.spec import QNNBackend
from runtime.train.tasks import get_task


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "model", "train_size", "epochs", "metric", "good"),
    [
        ("needle-4", "softmax-attn", 512, 6, "retrieval_acc", 0.6),
        ("digits-rows", "gru", 400, 6, "accuracy", 0.5),
        ("series-sine", "transformer", 128, 4, "rollout_mae", None),
    ],
)
def test_each_task_family_trains_end_to_end(
    tmp_path, task, model, train_size, epochs, metric, good
):
    config = TrainConfig(task, model, epochs=epochs, seed=1, train_size=train_size, test_size=100)
    result = train(config, tmp_path, progress=False)
    first, last = result.history[0], result.final
    assert last.train_loss < 0.7 * first.train_loss
    assert last.test_loss < first.test_loss
    if good is not None:
        assert last.metrics[metric] > good
    else:  # a roll-out is erratic after a few epochs: only check it is computed
        assert 0 < last.metrics[metric] < float("inf")


@pytest.mark.slow
def test_a_hybrid_model_trains_through_the_loop(tmp_path):
    config = TrainConfig("needle-4", "qlaci", epochs=3, seed=0, train_size=128, test_size=64)
    result = train(config, tmp_path, progress=False)
    assert result.quantum
    assert result.final.train_loss < result.history[0].train_loss


def _states_equal(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, torch.Tensor):
            if not torch.equal(x, y):
                return False
        elif isinstance(x, dict):
            if not _states_equal(x, y):
                return False
        elif x != y:
            return False
    return True


def _load(path):
    return torch.load(path / CHECKPOINT, weights_only=False)


@pytest.mark.slow
def test_resume_equals_an_uninterrupted_run_bit_for_bit(tmp_path):
    base = dict(task="digits-rows", model="transformer", seed=3, train_size=200, test_size=50)
    straight = train(TrainConfig(epochs=4, **base), tmp_path / "a", progress=False)
    train(TrainConfig(epochs=2, **base), tmp_path / "b", progress=False)
    assert checkpoint_epoch(tmp_path / "b") == 2
    resumed = train(TrainConfig(epochs=4, **base), tmp_path / "b", resume=True, progress=False)
    a, b = _load(tmp_path / "a"), _load(tmp_path / "b")
    assert _states_equal(a["model"], b["model"])
    assert _states_equal(a["optimizer"]["state"], b["optimizer"]["state"])
    assert torch.equal(a["rng"]["torch"], b["rng"]["torch"])
    strip = [(r.epoch, r.train_loss, r.test_loss, r.metrics) for r in straight.history]
    assert strip == [(r.epoch, r.train_loss, r.test_loss, r.metrics) for r in resumed.history]


@pytest.mark.slow
def test_interrupted_run_keeps_its_checkpoint_and_resumes_exactly(tmp_path, monkeypatch):
    base = dict(task="needle-4", model="linear-attn", seed=2, train_size=128, test_size=32)
    straight = train(TrainConfig(epochs=3, **base), tmp_path / "a", progress=False)
    real_epoch = loop._train_epoch

    def interrupting(model, optimizer, task, data, config, epoch, progress):
        if epoch == 3:
            raise KeyboardInterrupt
        return real_epoch(model, optimizer, task, data, config, epoch, progress)

    monkeypatch.setattr(loop, "_train_epoch", interrupting)
    with pytest.raises(KeyboardInterrupt):
        train(TrainConfig(epochs=3, **base), tmp_path / "b", progress=False)
    assert checkpoint_epoch(tmp_path / "b") == 2
    monkeypatch.setattr(loop, "_train_epoch", real_epoch)
    resumed = train(TrainConfig(epochs=3, **base), tmp_path / "b", resume=True, progress=False)
    assert _states_equal(_load(tmp_path / "a")["model"], _load(tmp_path / "b")["model"])
    assert resumed.final.train_loss == straight.final.train_loss


@pytest.mark.slow
def test_run_writes_csv_plot_checkpoint_and_versions(tmp_path):
    config = TrainConfig("series-damped", "bottleneck", epochs=2, train_size=64, test_size=20)
    train(config, tmp_path, progress=False)
    with open(tmp_path / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["epoch"] for row in rows] == ["1", "2"]
    assert set(rows[0]) == {
        "epoch",
        "train_loss",
        "test_loss",
        "rollout_mae",
        "rollout_mse",
        "seconds",
    }
    assert float(rows[1]["seconds"]) > 0
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    state = _load(tmp_path)
    assert state["epoch"] == 2 and state["task"] == "series-damped"
    assert state["model_name"] == "bottleneck" and state["profile"] == DEFAULT_PROFILE
    assert state["strong_id"] == config.strong_id() == strong_id(state["identity"])
    for package in ("qattn", "qiskit", "torch"):
        assert state["versions"][package] not in ("", "not installed")
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["versions"]["qiskit"] == state["versions"]["qiskit"]
    assert record["parameters"] > 0 and record["epochs_done"] == 2


@pytest.mark.slow
def test_existing_or_mismatched_checkpoints_are_never_overwritten(tmp_path):
    config = TrainConfig("needle-4", "mean-pool", epochs=1, train_size=32, test_size=8)
    train(config, tmp_path, progress=False)
    before = (tmp_path / CHECKPOINT).read_bytes()
    with pytest.raises(JobError, match="--resume"):
        train(config, tmp_path, progress=False)
    other = TrainConfig("needle-4", "mean-pool", epochs=2, lr=0.1, train_size=32, test_size=8)
    with pytest.raises(JobError, match="differs in: lr"):
        train(other, tmp_path, resume=True, progress=False)
    assert (tmp_path / CHECKPOINT).read_bytes() == before
    with pytest.raises(JobError, match="nothing to resume"):
        train(config, tmp_path / "empty", resume=True, progress=False)


def test_models_must_fit_their_task():
    with pytest.raises(ResourceError, match="does not fit"):
        train(TrainConfig("needle-4", "gru", epochs=1), "/nonexistent", progress=False)
    with pytest.raises(ResourceError, match="is for digits tasks"):
        train(TrainConfig("needle-4", "qlam", epochs=1), "/nonexistent", progress=False)
    with pytest.raises(ResourceError, match="unknown model"):
        train(TrainConfig("needle-4", "nope", epochs=1), "/nonexistent", progress=False)
    with pytest.raises(ResourceError, match="classical"):
        config = TrainConfig("needle-4", "mean-pool", epochs=1)
        config = TrainConfig(**{**config.__dict__, "backend": loop.QNNBackend("aer-noisy")})
        train(config, "/nonexistent", progress=False)


def test_hybrid_models_come_from_the_one_registry() -> None:
    assert list(HYBRIDS) == ["qlaci", "qlaci-kernel", "qlam", "qama", "qasa"]
    for family in ("needle", "digits", "series"):
        hybrid = [name for name, spec in HYBRIDS.items() if spec.family == family]
        assert models_for(family)[: len(hybrid)] == hybrid and hybrid
    task_of = {"needle": "needle-4", "digits": "digits-rows", "series": "series-sine"}
    for name, spec in HYBRIDS.items():
        assert spec.name == name
        assert loop.resolve_model(name, get_task(task_of[spec.family])) == (spec.build, True)


def test_checkpoints_from_before_strong_ids_still_resume(tmp_path: Path) -> None:
    config = TrainConfig("needle-4", "mean-pool", epochs=1, train_size=32, test_size=8)
    train(config, tmp_path, progress=False)
    state = _load(tmp_path)
    del state["strong_id"]  # as written before checkpoints held one
    torch.save(state, tmp_path / CHECKPOINT)
    more = TrainConfig("needle-4", "mean-pool", epochs=2, train_size=32, test_size=8)
    assert train(more, tmp_path, resume=True, progress=False).final.epoch == 2


def test_an_edited_profile_is_another_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    toml = profiles / "ion_all_to_all.toml"
    shutil.copy(load_profile("ion_all_to_all").source, toml)
    monkeypatch.setenv(PROFILE_PATH_ENV, str(profiles))
    noisy = QNNBackend("aer-noisy", profile="ion_all_to_all")
    config = TrainConfig("needle-4", "qlaci", epochs=1, backend=noisy, train_size=8, test_size=4)
    before = config.identity()
    assert before["profile_digest"] == load_profile("ion_all_to_all").digest()
    # What an interrupted run on the old profile left behind; resuming checks it first.
    out = tmp_path / "run"
    out.mkdir()
    torch.save({"epoch": 1, "identity": before, "strong_id": config.strong_id()}, out / CHECKPOINT)
    toml.write_text(toml.read_text().replace("error = 2e-3", "error = 2e-1"))
    assert config.identity()["profile_digest"] != before["profile_digest"]
    with pytest.raises(JobError, match="differs in: profile_digest"):
        train(config, out, resume=True, progress=False)
    # The exact backend ignores the profile, so its identity has no digest.
    assert "profile_digest" not in TrainConfig("needle-4", "qlaci", epochs=1).identity()


def test_gradient_clip_must_be_positive() -> None:
    with pytest.raises(ResourceError, match="gradient clip"):
        TrainConfig("needle-4", "mean-pool", epochs=1, grad_clip=0.0)
