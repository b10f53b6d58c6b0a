"""Training tasks: needle retrieval, sequential digits and nine synthetic series.

Every task is a frozen, seeded config whose :meth:`~NeedleTask.data` builds the same tensors
every time (no downloads: data is generated, or shipped inside scikit-learn). A task yields
token sequences ``x`` of shape ``(B, T, d)`` and targets, the :class:`TaskInfo` models are built
from, its training loss and its test metrics. ``get_task(name)`` builds a task by name;
``train_size`` / ``test_size`` shrink it (for CI or quick runs).

* ``needle-4``, ``needle-8``, ``needle-16`` (QLACI, kernel-attention QLACI): ``N`` key/value
  tokens ``[key ‖ value]`` and a final query token ``[query ‖ 0]``; the target is the value
  whose key equals the query (MSE on every value dimension); ``retrieval_acc`` counts a
  prediction as right when the nearest of the ``N`` candidate values is the true one.
* ``digits-rows`` (``T = 8, d = 8``) and ``digits-pixels`` (``T = 64, d = 1``) (QLAM, QAMA):
  scikit-learn's bundled 8×8 digits, pixels scaled to ``[0, 1]``, 10 classes, a fixed
  stratified 75/25 split.
* ``series-<kind>`` (QASA): 500 points, the first 80 % train; windows of 20 predict the next
  value; the test metrics are MAE / MSE of the autoregressive roll-out over the last 20 %,
  seeded by the last training window.

The nine series follow the generators of QASA's benchmark (Chen et al., "Quantum Adaptive
Self-Attention for Quantum Transformer Models", arXiv:2504.05336; repository
ChiShengChen/QASA, ``quantum_benchmark/tasks/classical_*.py``) with these differences: every
series is standardized with the mean and standard deviation of its training part (so the
nine metrics share a scale; QASA reports raw units), ARMA(2, 1) is filtered here from a
seeded NumPy ``Generator`` rather than statsmodels' global-seeded sampler (same process,
different draws), noise draws likewise come from ``numpy.random.default_rng(seed)``, and the
roll-out starts exactly after the seed window (QASA's script compares with the series shifted
by one step).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from hardware_profiles.errors import ResourceError
from runtime.train.spec import TaskInfo

__all__ = [
    "SERIES_KINDS",
    "TASK_NAMES",
    "DigitsTask",
    "NeedleTask",
    "SeriesTask",
    "Task",
    "TaskData",
    "generate_series",
    "get_task",
]

SERIES_KINDS = (
    "arma",
    "logistic",
    "damped",
    "noisy-damped",
    "piecewise",
    "sawtooth",
    "square",
    "trend-seasonal",
    "sine",
)


@dataclass(frozen=True, eq=False)
class TaskData:
    """The tensors of one task.

    Attributes:
        x_train: Training inputs ``(n, T, d)``.
        y_train: Training targets: ``(n,)`` class indices or ``(n, output_dim)`` values.
        x_test: Test inputs ``(m, T, d)``.
        y_test: Test targets.
        series: For forecast tasks, the whole standardized series ``(points,)``; else None.
        train_points: For forecast tasks, where the test part of ``series`` starts.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    series: torch.Tensor | None = None
    train_points: int = 0


def _subset(
    x: torch.Tensor, y: torch.Tensor, size: int | None, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random subset of ``size`` samples (all of them when ``size`` is None)."""
    if size is None or size >= len(x):
        return x, y
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:size]
    order, _ = torch.sort(order)
    return x[order], y[order]


@torch.no_grad()
def _predict(model: nn.Module, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    return torch.cat([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def _check_sizes(train_size: int | None, test_size: int | None) -> None:
    for label, size in (("train_size", train_size), ("test_size", test_size)):
        if size is not None and size < 1:
            raise ResourceError(f"{label} must be at least 1, got {size}")


@dataclass(frozen=True)
class NeedleTask:
    """Needle retrieval: return the value stored under the queried key.

    Keys are random unit vectors in ``R^key_dim``, values uniform in ``[-1, 1]^value_dim``;
    the query is one of the keys (plus optional Gaussian noise).

    Attributes:
        pairs: Key/value pairs ``N``. Defaults to 8.
        key_dim: Key (and query) width. Defaults to 4.
        value_dim: Value width (the regression targets). Defaults to 4.
        query_noise: Standard deviation of noise added to the query. Defaults to 0.
        train_size: Training samples. Defaults to 2048.
        test_size: Test samples. Defaults to 512.
        seed: Data seed (not the training seed). Defaults to 0.
    """

    pairs: int = 8
    key_dim: int = 4
    value_dim: int = 4
    query_noise: float = 0.0
    train_size: int = 2048
    test_size: int = 512
    seed: int = 0

    def __post_init__(self) -> None:
        if self.pairs < 2 or self.key_dim < 1 or self.value_dim < 1:
            raise ResourceError("needle: pairs >= 2, key_dim >= 1 and value_dim >= 1 needed")
        _check_sizes(self.train_size, self.test_size)

    @property
    def name(self) -> str:
        """The task's name, ``needle-N``."""
        return f"needle-{self.pairs}"

    @property
    def info(self) -> TaskInfo:
        """Shapes for model factories."""
        return TaskInfo(
            name=self.name,
            kind="regression",
            seq_len=self.pairs + 1,
            token_dim=self.key_dim + self.value_dim,
            output_dim=self.value_dim,
        )

    def _sample(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        keys = torch.randn(n, self.pairs, self.key_dim, generator=generator)
        keys = keys / keys.norm(dim=-1, keepdim=True)
        values = 2 * torch.rand(n, self.pairs, self.value_dim, generator=generator) - 1
        which = torch.randint(self.pairs, (n,), generator=generator)
        rows = torch.arange(n)
        query = keys[rows, which] + self.query_noise * torch.randn(
            n, self.key_dim, generator=generator
        )
        pair_tokens = torch.cat([keys, values], dim=-1)
        query_token = torch.cat([query, torch.zeros(n, self.value_dim)], dim=-1)
        x = torch.cat([pair_tokens, query_token[:, None]], dim=1)
        return x, values[rows, which]

    def data(self) -> TaskData:
        """The seeded train and test sets."""
        generator = torch.Generator().manual_seed(self.seed)
        x_train, y_train = self._sample(self.train_size, generator)
        x_test, y_test = self._sample(self.test_size, generator)
        return TaskData(x_train, y_train, x_test, y_test)

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean squared error over every value dimension."""
        return F.mse_loss(output, target)

    def evaluate(self, model: nn.Module, data: TaskData, batch_size: int = 256) -> dict[str, float]:
        """``test_loss`` (MSE) and ``retrieval_acc`` (nearest candidate value is the true one)."""
        output = _predict(model, data.x_test, batch_size)
        candidates = data.x_test[:, : self.pairs, self.key_dim :]
        nearest = (candidates - output[:, None]).norm(dim=-1).argmin(dim=1)
        truth = (candidates - data.y_test[:, None]).norm(dim=-1).argmin(dim=1)
        return {
            "test_loss": float(F.mse_loss(output, data.y_test)),
            "retrieval_acc": float((nearest == truth).double().mean()),
        }


@dataclass(frozen=True)
class DigitsTask:
    """scikit-learn's 8×8 handwritten digits as token sequences (10 classes).

    Attributes:
        layout: ``rows`` (``T = 8`` tokens of 8 pixels) or ``pixels`` (``T = 64`` of 1).
        train_size: Use a seeded subset of this many training images. Defaults to all (1347).
        test_size: Use a seeded subset of this many test images. Defaults to all (450).
        seed: Seed of the (fixed, stratified) split and of the subsets. Defaults to 0.
    """

    layout: Literal["rows", "pixels"] = "rows"
    train_size: int | None = None
    test_size: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.layout not in ("rows", "pixels"):
            raise ResourceError(f"digits: layout must be rows or pixels, got {self.layout!r}")
        _check_sizes(self.train_size, self.test_size)

    @property
    def name(self) -> str:
        """The task's name, ``digits-rows`` or ``digits-pixels``."""
        return f"digits-{self.layout}"

    @property
    def info(self) -> TaskInfo:
        """Shapes for model factories."""
        seq_len, token_dim = (8, 8) if self.layout == "rows" else (64, 1)
        return TaskInfo(self.name, "classification", seq_len, token_dim, 10)

    def data(self) -> TaskData:
        """The fixed train/test split (pixels scaled to ``[0, 1]``)."""
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        digits = load_digits()
        images = digits.images.astype(np.float32) / 16.0
        labels = digits.target.astype(np.int64)
        a_train, a_test, b_train, b_test = train_test_split(
            images, labels, test_size=0.25, random_state=self.seed, stratify=labels
        )
        shape = (-1, *(self.info.seq_len, self.info.token_dim))
        x_train = torch.from_numpy(a_train.reshape(shape))
        x_test = torch.from_numpy(a_test.reshape(shape))
        x_train, y_train = _subset(x_train, torch.from_numpy(b_train), self.train_size, self.seed)
        x_test, y_test = _subset(x_test, torch.from_numpy(b_test), self.test_size, self.seed + 1)
        return TaskData(x_train, y_train, x_test, y_test)

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the logits."""
        return F.cross_entropy(output, target)

    def evaluate(self, model: nn.Module, data: TaskData, batch_size: int = 256) -> dict[str, float]:
        """``test_loss`` (cross-entropy) and ``accuracy``."""
        output = _predict(model, data.x_test, batch_size)
        return {
            "test_loss": float(F.cross_entropy(output, data.y_test)),
            "accuracy": float((output.argmax(dim=1) == data.y_test).double().mean()),
        }


def _arma(points: int, rng: np.random.Generator) -> np.ndarray:
    # ARMA(2, 1): y_t = 0.75 y_{t-1} - 0.25 y_{t-2} + e_t + 0.65 e_{t-1}, zero initial state
    # (statsmodels' ArmaProcess([1, -0.75, 0.25], [1, 0.65]).generate_sample as QASA uses it).
    noise = rng.standard_normal(points)
    y = np.zeros(points)
    for t in range(points):
        y[t] = noise[t] + (0.65 * noise[t - 1] if t >= 1 else 0.0)
        y[t] += (0.75 * y[t - 1] if t >= 1 else 0.0) - (0.25 * y[t - 2] if t >= 2 else 0.0)
    return y


def _logistic(points: int, rng: np.random.Generator) -> np.ndarray:
    y = np.zeros(points)
    y[0] = 0.2
    for t in range(1, points):
        y[t] = 3.9 * y[t - 1] * (1 - y[t - 1])
    return y


def _damped(points: int, rng: np.random.Generator) -> np.ndarray:
    t = np.linspace(0, 50, points)
    return np.exp(-0.05 * t) * np.sin(t)


def _noisy_damped(points: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(points)
    clean = np.exp(-0.05 * t) * np.sin(2 * np.pi * 0.2 * t)
    return clean + rng.normal(0, 0.05, points)


def _piecewise(points: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(points)
    # (start, end, slope, intercept, noise) as fractions of QASA's 500-point layout.
    regimes = [
        (0.0, 0.2, 0.05, 0, 0.01),
        (0.2, 0.4, -0.1, 10, 0.01),
        (0.4, 0.6, 0.0, 0, 0.01),
        (0.6, 0.7, 0.2, -40, 0.02),
        (0.7, 0.8, -0.15, 40, 0.02),
        (0.8, 1.0, 0.03, -10, 0.01),
    ]
    y = np.zeros(points)
    scale = 500 / points
    for start, end, slope, intercept, noise in regimes:
        a, b = round(start * points), round(end * points)
        y[a:b] = slope * t[a:b] * scale + intercept + rng.normal(0, noise, b - a)
    jump = max(1, round(5 / scale))
    y[round(0.4 * points) : round(0.4 * points) + jump] += 2.0
    y[round(0.7 * points) : round(0.7 * points) + jump] -= 2.0
    return y


def _sawtooth(points: int, rng: np.random.Generator) -> np.ndarray:
    t = np.linspace(0, 50, points)
    return 2 * (t / 10 - np.floor(0.5 + t / 10))


def _square(points: int, rng: np.random.Generator) -> np.ndarray:
    t = np.linspace(0, 50, points)
    period = 5 + 5 * np.sin(0.1 * t)
    duty = 0.2 + 0.6 * (0.5 + 0.5 * np.sin(0.05 * t))
    with np.errstate(divide="ignore", invalid="ignore"):
        phase = np.where(period > 0, (t % np.where(period > 0, period, 1)) / period, 0.0)
    return np.where(phase < duty, 1.0, -1.0)


def _trend_seasonal(points: int, rng: np.random.Generator) -> np.ndarray:
    t = np.linspace(0, 50, points)
    return 0.03 * t + np.sin(0.4 * t) + rng.normal(0, 0.2, points)


def _sine(points: int, rng: np.random.Generator) -> np.ndarray:
    return np.sin(np.linspace(0, 50, points))


_GENERATORS: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {
    "arma": _arma,
    "logistic": _logistic,
    "damped": _damped,
    "noisy-damped": _noisy_damped,
    "piecewise": _piecewise,
    "sawtooth": _sawtooth,
    "square": _square,
    "trend-seasonal": _trend_seasonal,
    "sine": _sine,
}


def generate_series(kind: str, points: int = 500, seed: int = 42) -> np.ndarray:
    """One of the nine raw (unstandardized) series of QASA's benchmark, as float64.

    Raises:
        ResourceError: unknown ``kind`` or fewer than 2 points.
    """
    if kind not in _GENERATORS:
        raise ResourceError(f"unknown series {kind!r}; known: {', '.join(SERIES_KINDS)}")
    if points < 2:
        raise ResourceError(f"a series needs at least 2 points, got {points}")
    return _GENERATORS[kind](points, np.random.default_rng(seed)).astype(np.float64)


@dataclass(frozen=True)
class SeriesTask:
    """Next-value forecasting on one synthetic series, scored by an autoregressive roll-out.

    Attributes:
        kind: One of :data:`SERIES_KINDS`.
        points: Series length. Defaults to 500.
        train_fraction: Leading fraction used for training. Defaults to 0.8.
        window: Input window length ``T``. Defaults to 20.
        train_size: Use a seeded subset of this many training windows. Defaults to all.
        test_size: Roll out only this many test points. Defaults to the whole test part.
        seed: Noise seed of the generator. Defaults to 42 (QASA's).
    """

    kind: str = "sine"
    points: int = 500
    train_fraction: float = 0.8
    window: int = 20
    train_size: int | None = None
    test_size: int | None = None
    seed: int = 42

    def __post_init__(self) -> None:
        if self.kind not in _GENERATORS:
            raise ResourceError(f"unknown series {self.kind!r}; known: {', '.join(SERIES_KINDS)}")
        train_points = int(self.points * self.train_fraction)
        if self.window < 1 or train_points <= self.window or train_points >= self.points:
            raise ResourceError(
                f"series: need 1 <= window < training points < points "
                f"(window {self.window}, {train_points} of {self.points} points)"
            )
        _check_sizes(self.train_size, self.test_size)

    @property
    def name(self) -> str:
        """The task's name, ``series-<kind>``."""
        return f"series-{self.kind}"

    @property
    def info(self) -> TaskInfo:
        """Shapes for model factories."""
        return TaskInfo(self.name, "forecast", self.window, 1, 1)

    def data(self) -> TaskData:
        """Training windows, one-step test windows, and the standardized series."""
        raw = generate_series(self.kind, self.points, self.seed)
        cut = int(self.points * self.train_fraction)
        mean, std = raw[:cut].mean(), raw[:cut].std()
        series = torch.from_numpy(((raw - mean) / (std if std > 0 else 1.0)).astype(np.float32))
        end = self.points if self.test_size is None else min(self.points, cut + self.test_size)
        windows = series.unfold(0, self.window, 1)  # (points - window + 1, window)
        starts_train = torch.arange(0, cut - self.window)
        starts_test = torch.arange(cut - self.window, end - self.window)
        x_train = windows[starts_train, :, None]
        y_train = series[starts_train + self.window, None]
        x_test = windows[starts_test, :, None]
        y_test = series[starts_test + self.window, None]
        x_train, y_train = _subset(x_train, y_train, self.train_size, self.seed)
        return TaskData(x_train, y_train, x_test, y_test, series=series[:end], train_points=cut)

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean squared error of the next value."""
        return F.mse_loss(output, target)

    @torch.no_grad()
    def rollout(self, model: nn.Module, data: TaskData) -> torch.Tensor:
        """Autoregressive forecast of the test part from the last training window."""
        assert data.series is not None
        window = data.series[data.train_points - self.window : data.train_points].clone()
        steps = len(data.series) - data.train_points
        forecast = torch.empty(steps)
        for step in range(steps):
            forecast[step] = model(window[None, :, None]).reshape(-1)[0]
            window = torch.cat([window[1:], forecast[step : step + 1]])
        return forecast

    def evaluate(self, model: nn.Module, data: TaskData, batch_size: int = 256) -> dict[str, float]:
        """``test_loss`` (one-step MSE on test windows), ``rollout_mae`` and ``rollout_mse``."""
        assert data.series is not None
        one_step = _predict(model, data.x_test, batch_size)
        truth = data.series[data.train_points :]
        forecast = self.rollout(model, data)
        error = forecast - truth
        mae, mse = float(error.abs().mean()), float((error**2).mean())
        return {
            "test_loss": float(F.mse_loss(one_step, data.y_test)),
            "rollout_mae": mae if math.isfinite(mae) else float("inf"),
            "rollout_mse": mse if math.isfinite(mse) else float("inf"),
        }


Task = NeedleTask | DigitsTask | SeriesTask

TASK_NAMES: tuple[str, ...] = (
    "needle-4",
    "needle-8",
    "needle-16",
    "digits-rows",
    "digits-pixels",
    *(f"series-{kind}" for kind in SERIES_KINDS),
)


def get_task(name: str, *, train_size: int | None = None, test_size: int | None = None) -> Task:
    """The task called ``name`` (see :data:`TASK_NAMES`), optionally shrunk.

    Raises:
        ResourceError: unknown name or impossible sizes.
    """
    sizes: dict[str, int] = {}
    if train_size is not None:
        sizes["train_size"] = train_size
    if test_size is not None:
        sizes["test_size"] = test_size
    if name.startswith("needle-") and name.removeprefix("needle-") in ("4", "8", "16"):
        return NeedleTask(pairs=int(name.removeprefix("needle-")), **sizes)
    if name in ("digits-rows", "digits-pixels"):
        return DigitsTask(layout="rows" if name == "digits-rows" else "pixels", **sizes)
    if name.startswith("series-") and name.removeprefix("series-") in SERIES_KINDS:
        return SeriesTask(kind=name.removeprefix("series-"), **sizes)
    raise ResourceError(f"unknown task {name!r}; known: {', '.join(TASK_NAMES)}")
