"""Validation split, early stopping, reproducible runs and honest labels of what ran."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware_profiles.errors import ResourceError
from runtime.train.early_stopping import (
    MIN_DELTA,
    best_epoch,
    split_validation,
    stop_epoch,
)
from runtime.train.loop import RUN_JSON, TrainConfig, train
from runtime.train.tasks import TaskData, get_task


def _data(n: int) -> TaskData:
    x = torch.arange(n * 2, dtype=torch.float).reshape(n, 1, 2)
    return TaskData(x, torch.arange(n), x[:3], torch.arange(3))


@given(n=st.integers(2, 300), fraction=st.floats(0.01, 0.99), seed=st.integers(0, 2**31))
@settings(max_examples=60, deadline=None)
def test_split_partitions_the_training_set_and_keeps_the_test_set(n, fraction, seed):
    data = _data(n)
    held = round(n * fraction)
    if held < 1 or held >= n:
        with pytest.raises(ResourceError):
            split_validation(data, fraction, seed)
        return
    kept, val = split_validation(data, fraction, seed)
    assert len(val.y) == held and len(kept.y_train) == n - held
    # Targets are the sample indices: together they are every training sample exactly once.
    assert sorted(kept.y_train.tolist() + val.y.tolist()) == list(range(n))
    assert torch.equal(kept.x_train[:, 0, 0], 2 * kept.y_train.float())
    assert kept.x_test is data.x_test and kept.y_test is data.y_test
    again_kept, again_val = split_validation(data, fraction, seed)
    assert torch.equal(again_val.y, val.y) and torch.equal(again_kept.y_train, kept.y_train)


def test_split_depends_on_the_seed():
    data = _data(100)
    splits = {tuple(split_validation(data, 0.2, seed)[1].y.tolist()) for seed in range(5)}
    assert len(splits) == 5


@given(fraction=st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0)))
def test_fractions_outside_the_unit_interval_are_refused(fraction):
    with pytest.raises(ResourceError):
        split_validation(_data(10), fraction, 0)


def _reference_stop(losses: list[float], patience: int) -> tuple[int | None, int]:
    """Independent reference: scan once, counting epochs since the last real improvement."""
    best, best_at, since = math.inf, 0, 0
    for epoch, loss in enumerate(losses, 1):
        threshold = best * (1 - MIN_DELTA) if math.isfinite(best) else math.inf
        if epoch == 1 or loss < threshold:  # the first epoch is the first best, even if inf
            best, best_at, since = loss, epoch, 0
        else:
            since += 1
        if since >= patience:
            return epoch, best_at
    return None, max(best_at, 1)


@given(
    losses=st.lists(st.floats(0.0, 10.0) | st.just(math.inf), min_size=1, max_size=30),
    patience=st.integers(1, 6),
)
def test_stopping_matches_a_single_pass_reference(losses, patience):
    stop, best_at = _reference_stop(losses, patience)
    assert stop_epoch(losses, patience) == stop
    assert best_epoch(losses[: stop or len(losses)]) == best_at


def test_stopping_by_hand():
    losses = [1.0, 0.5, 0.4999, 0.6, 0.45, 0.7]
    # 0.4999 is within MIN_DELTA of 0.5: no improvement; 0.45 is one.
    assert best_epoch(losses) == 5
    assert stop_epoch(losses, patience=3) is None
    assert stop_epoch(losses, patience=2) == 4
    with pytest.raises(ResourceError):
        stop_epoch(losses, patience=0)


def test_patience_needs_a_validation_split():
    with pytest.raises(ResourceError):
        TrainConfig("needle-4", "mean-pool", epochs=2, patience=2)
    with pytest.raises(ResourceError):
        TrainConfig("needle-4", "mean-pool", epochs=2, val_fraction=1.0)


def _history(path: Path) -> list[dict]:
    return json.loads((path / RUN_JSON).read_text())["history"]


def _bits(history: list[dict]) -> list[tuple]:
    return [(e["train_loss"], e["test_loss"], e["val_loss"], e["metrics"]) for e in history]


def test_a_tiny_run_trained_twice_is_bit_identical_and_stops_early(tmp_path):
    config = TrainConfig(
        "needle-4",
        "softmax-attn",
        epochs=30,
        seed=1,
        lr=0.2,
        train_size=60,
        test_size=16,
        val_fraction=0.25,
        patience=2,
    )
    first = train(config, tmp_path / "a", progress=False)
    second = train(config, tmp_path / "b", progress=False)
    assert _bits(_history(tmp_path / "a")) == _bits(_history(tmp_path / "b"))
    losses = [r.val_loss for r in first.history]
    assert all(loss is not None for loss in losses)
    stop, best_at = _reference_stop(losses, 2)
    record = json.loads((tmp_path / "a" / RUN_JSON).read_text())
    assert len(first.history) == (stop or 30) and len(second.history) == len(first.history)
    assert record["best_epoch"] == best_at
    assert record["stopped_early"] == (stop is not None)
    assert record["numerics"]["torch_threads"] == 1
    assert record["execution"] == {
        "quantum": False,
        "circuit_weights": 0,
        "qubits": None,
        "label": "classical",
    }


def test_validation_loss_is_the_task_loss_on_held_out_training_samples(tmp_path):
    config = TrainConfig(
        "needle-4", "mean-pool", epochs=1, seed=4, train_size=40, test_size=8, val_fraction=0.25
    )
    train(config, tmp_path, progress=False)
    task = get_task("needle-4", train_size=40, test_size=8)
    _, val = split_validation(task.data(), 0.25, 4)
    from runtime.train.loop import resolve_model

    factory, _ = resolve_model("mean-pool", task)
    model = factory(task.info, config.backend, 4)
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=False)["model"]
    model.load_state_dict(state)
    model.eval()
    with torch.no_grad():
        expected = float(((model(val.x) - val.y) ** 2).mean())
    assert _history(tmp_path)[0]["val_loss"] == pytest.approx(expected, rel=1e-6)


@pytest.mark.slow
def test_a_circuit_model_is_labelled_with_its_backend_and_reproduces(tmp_path):
    config = TrainConfig(
        "needle-4", "qlaci", epochs=2, seed=0, train_size=20, test_size=8, val_fraction=0.25
    )
    train(config, tmp_path / "a", progress=False)
    train(config, tmp_path / "b", progress=False)
    assert _bits(_history(tmp_path / "a")) == _bits(_history(tmp_path / "b"))
    record = json.loads((tmp_path / "a" / RUN_JSON).read_text())
    assert record["quantum"] is True
    assert record["execution"]["circuit_weights"] > 0
    assert record["execution"]["label"].endswith("on exact torch statevector")


@pytest.mark.slow
def test_qama_is_labelled_a_classical_solver_not_a_circuit(tmp_path):
    config = TrainConfig("digits-rows", "qama", epochs=1, seed=0, train_size=16, test_size=8)
    result = train(config, tmp_path, progress=False)
    record = json.loads((tmp_path / RUN_JSON).read_text())
    assert result.quantum is False and record["quantum"] is False
    assert record["execution"]["circuit_weights"] == 0
    assert record["execution"]["label"].startswith("classical QUBO solver")
