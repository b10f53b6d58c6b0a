"""The tasks build the data they promise, checked against independent references."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.signal import lfilter
from torch import nn

from hardware_profiles.errors import ResourceError
from runtime.train.tasks import (
    SERIES_KINDS,
    TASK_NAMES,
    DigitsTask,
    NeedleTask,
    SeriesTask,
    generate_series,
    get_task,
)


def test_every_named_task_has_the_shapes_of_its_info():
    for name in TASK_NAMES:
        task = get_task(name, train_size=16, test_size=8)
        data = task.data()
        info = task.info
        assert info.name == name == task.name
        assert data.x_train.shape[1:] == (info.seq_len, info.token_dim)
        assert data.x_test.shape[1:] == (info.seq_len, info.token_dim)
        assert len(data.x_train) == len(data.y_train) == 16
        if info.kind == "classification":
            assert data.y_train.dtype == torch.int64
            assert int(data.y_train.max()) < info.output_dim
        else:
            assert data.y_train.shape[1:] == (info.output_dim,)


def test_needle_target_is_the_value_under_the_queried_key():
    task = NeedleTask(pairs=8, train_size=64, test_size=32, seed=3)
    data = task.data()
    x, y = data.x_train.numpy(), data.y_train.numpy()
    keys, values, query = x[:, :8, :4], x[:, :8, 4:], x[:, 8, :4]
    assert np.all(x[:, 8, 4:] == 0)
    for row in range(len(x)):  # classical lookup: the key equal to the query
        match = [i for i in range(8) if np.allclose(keys[row, i], query[row])]
        assert len(match) == 1
        assert np.array_equal(values[row, match[0]], y[row])


def test_needle_retrieval_accuracy_counts_nearest_candidates():
    task = NeedleTask(pairs=4, train_size=8, test_size=200)
    data = task.data()

    class Oracle(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            scores = (x[:, :-1, :4] * x[:, -1:, :4]).sum(-1)
            return x[torch.arange(len(x)), scores.argmax(1), 4:]

    class Zero(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.zeros(len(x), 4)

    assert task.evaluate(Oracle(), data) == {"test_loss": 0.0, "retrieval_acc": 1.0}
    chance = task.evaluate(Zero(), data)["retrieval_acc"]
    assert 0.1 < chance < 0.45  # the nearest of 4 random values to 0: about 1/4


def test_digits_split_is_fixed_stratified_and_scaled():
    from sklearn.datasets import load_digits

    rows, pixels = DigitsTask("rows").data(), DigitsTask("pixels").data()
    assert len(rows.x_train) + len(rows.x_test) == len(load_digits().target) == 1797
    assert torch.equal(rows.x_train.reshape(-1, 64), pixels.x_train.reshape(-1, 64))
    assert torch.equal(rows.y_test, DigitsTask("rows").data().y_test)
    assert float(rows.x_train.min()) >= 0.0 and float(rows.x_train.max()) == 1.0
    counts = torch.bincount(rows.y_test, minlength=10)
    assert int(counts.min()) >= 40  # stratified: every class in the test split


def test_series_generators_match_their_closed_forms():
    logistic = generate_series("logistic", 50)
    x = 0.2
    for value in logistic:
        assert value == pytest.approx(x, abs=1e-12)
        x = 3.9 * x * (1 - x)
    noise = np.random.default_rng(42).standard_normal(500)
    arma = lfilter([1, 0.65], [1, -0.75, 0.25], noise)  # independent ARMA(2, 1) filter
    assert np.allclose(generate_series("arma"), arma)
    t = np.linspace(0, 50, 500)
    assert np.allclose(generate_series("sine"), np.sin(t))
    assert np.allclose(generate_series("damped"), np.exp(-0.05 * t) * np.sin(t))
    assert set(np.unique(generate_series("square"))) == {-1.0, 1.0}
    for kind in SERIES_KINDS:
        assert np.all(np.isfinite(generate_series(kind)))


def test_series_windows_predict_the_next_point():
    task = SeriesTask("trend-seasonal")
    data = task.data()
    assert data.series is not None and data.train_points == 400
    assert len(data.x_train) == 380 and len(data.x_test) == 100
    for i in (0, 17, 379):
        assert torch.equal(data.x_train[i, :, 0], data.series[i : i + 20])
        assert data.y_train[i, 0] == data.series[i + 20]
    assert data.y_test[0, 0] == data.series[400] and data.y_test[-1, 0] == data.series[499]
    train = data.series[:400]
    assert float(train.mean()) == pytest.approx(0, abs=1e-5)
    assert float(train.std(unbiased=False)) == pytest.approx(1, abs=1e-4)


def test_rollout_of_an_exact_recurrence_reproduces_the_sine():
    # sin(t + h) = 2 cos(h) sin(t) - sin(t - h): exact for the standardized series too,
    # once the mean's share is added back.
    task = SeriesTask("sine")
    data = task.data()
    raw = generate_series("sine")
    mean, std = raw[:400].mean(), raw[:400].std()
    c = 2 * np.cos(50 / 499)

    class Recurrence(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x64 = x[:, :, 0].double()
            nxt = c * x64[:, -1] - x64[:, -2] + (c - 2) * mean / std
            return nxt[:, None].float()

    metrics = task.evaluate(Recurrence(), data)
    assert metrics["rollout_mae"] < 1e-4 and metrics["test_loss"] < 1e-9

    class Persist(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[:, -1]

    assert task.evaluate(Persist(), data)["rollout_mae"] > 0.3


def test_bad_task_requests_raise_resource_errors():
    for call in (
        lambda: get_task("needle-5"),
        lambda: get_task("series-nope"),
        lambda: get_task("digits-rows", train_size=0),
        lambda: SeriesTask(window=400),
        lambda: DigitsTask(layout="cols"),  # type: ignore[arg-type]
    ):
        with pytest.raises(ResourceError):
            call()
