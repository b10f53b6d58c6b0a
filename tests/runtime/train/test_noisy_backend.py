"""``--backend noisy``: QLACI trains on the profile's noise model, checkpoints and resumes."""

from __future__ import annotations

import contextlib
import io

import pytest
import torch

from runtime.cli import main
from runtime.train.loop import TrainConfig
from runtime.train.spec import QNNBackend


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.slow
def test_noisy_backend_trains_qlaci_and_resumes_bit_for_bit(tmp_path):
    args = ["train", "needle-4", "--model", "qlaci", "--backend", "noisy", "--seed", "1"]
    args += ["--noisy-mode", "trajectories", "--trajectories", "2", "--batch-size", "2"]
    args += ["--train-size", "2", "--test-size", "2", "--quiet"]
    code, text, err = _run([*args, "--epochs", "2", "--out", str(tmp_path / "a")])
    assert code == 0, err
    assert "qlaci" in text and "retrieval_acc" in text
    code, _, err = _run([*args, "--epochs", "1", "--out", str(tmp_path / "b")])
    assert code == 0, err
    code, text, err = _run([*args, "--epochs", "2", "--out", str(tmp_path / "b"), "--resume"])
    assert code == 0 and "epoch 2" in text, err
    a = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=False)
    b = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)
    assert a["model"].keys() == b["model"].keys()
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert a["history"][-1]["train_loss"] == b["history"][-1]["train_loss"]


def test_noisy_options_need_the_noisy_backend():
    code, _, err = _run(
        [
            "train",
            "needle-4",
            "--model",
            "qlaci",
            "--epochs",
            "1",
            "--out",
            "x",
            "--trajectories",
            "8",
        ]
    )
    assert code == 2 and "--backend noisy" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("value", ["0", "-3", "2000000"])
def test_bad_trajectories_are_one_line_errors(value):
    args = ["train", "needle-4", "--model", "qlaci", "--backend", "noisy", "--epochs", "1"]
    code, _, err = _run([*args, "--out", "x", "--trajectories", value])
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_noisy_fields_stay_out_of_other_backends_identities():
    exact = TrainConfig("needle-4", "qlaci", epochs=1)
    assert "trajectories" not in exact.identity()["backend"]
    noisy = TrainConfig("needle-4", "qlaci", epochs=1, backend=QNNBackend(name="noisy"))
    assert noisy.identity()["backend"]["trajectories"] == 32
    other = TrainConfig(
        "needle-4", "qlaci", epochs=1, backend=QNNBackend(name="noisy", trajectories=64)
    )
    assert other.strong_id() != noisy.strong_id()
