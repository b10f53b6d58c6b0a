"""``qrun train``: lists, trains, resumes, and turns bad input into one line and exit 2."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys

import pytest
import qiskit_ibm_runtime.accounts.management as account_management

from runtime.cli import main
from runtime.train import loop


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_list_names_every_task_and_its_models():
    code, out, _ = _run(["train", "--list"])
    assert code == 0
    assert "needle-16" in out and "series-trend-seasonal" in out and "digits-pixels" in out
    digits = next(line for line in out.splitlines() if "digits-rows" in line)
    assert "qlam" in digits and "qama" in digits and "lstm" in digits and "ssm" in digits


@pytest.mark.slow
def test_train_writes_its_files_and_resume_extends_the_run(tmp_path):
    out = tmp_path / "run"
    args = ["train", "needle-4", "--model", "mean-pool", "--seed", "1", "--out", str(out)]
    args += ["--train-size", "64", "--test-size", "16", "--quiet"]
    code, text, _ = _run([*args, "--epochs", "1"])
    assert code == 0 and "mean-pool" in text and "retrieval_acc" in text
    assert {p.name for p in out.iterdir()} >= {"checkpoint.pt", "metrics.csv", "curves.png"}
    code, _, err = _run([*args, "--epochs", "2"])
    assert code == 2 and "--resume" in err and len(err.strip().splitlines()) == 1
    code, text, _ = _run([*args, "--epochs", "2", "--resume"])
    assert code == 0 and "epoch 2" in text
    assert (out / "metrics.csv").read_text().count("\n") == 3


BAD_INPUT = [
    ("needle-5 --model qlaci --epochs 1", "unknown task"),
    ("needle-4 --model bert --epochs 1", "unknown model"),
    ("needle-4 --model lstm --epochs 1", "does not fit"),
    ("series-sine --model qlam --epochs 1", "is for digits tasks"),
    ("needle-4 --model mean-pool --epochs 1 --backend ibm --ibm-backend x", "classical"),
    ("needle-4 --model mean-pool --epochs 1 --ibm-backend x", "--backend ibm"),
    ("needle-4 --model mean-pool --epochs 0", "epochs"),
    ("needle-4 --model mean-pool --epochs 1 --train-size 0", "train_size"),
    ("needle-4 --model mean-pool", "needs --epochs"),
    ("needle-4 --model mean-pool --epochs 1 --threads 0", "--threads"),
    ("needle-4 --model qlaci --epochs 1 --backend aer-noisy --precision 0", "--precision"),
    ("needle-4 --model qlaci --epochs 1 --backend aer-noisy --profile nope", "unknown profile"),
    ("needle-4 --model qlaci --epochs 1 --backend ibm", "--ibm-backend"),
]


@pytest.mark.parametrize(("words", "needle"), BAD_INPUT)
def test_bad_input_is_one_line_and_exit_2(tmp_path, words, needle):
    code, _, err = _run(["train", *words.split(), "--out", str(tmp_path / "out")])
    assert code == 2, err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_bad_flag_values_are_usage_errors():
    with pytest.raises(SystemExit) as caught:
        _run(["train", "needle-4", "--backend", "nope"])
    assert caught.value.code == 2


def test_missing_ibm_credentials_is_one_line_exit_2(tmp_path, monkeypatch):
    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    monkeypatch.setattr(
        account_management, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(tmp_path / "none.json")
    )
    argv = ["train", "needle-4", "--model", "qlaci", "--backend", "ibm", "--ibm-backend"]
    code, _, err = _run([*argv, "ibm_fez", "--epochs", "1", "--out", str(tmp_path / "o")])
    assert code == 2 and "no IBM Quantum credentials" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_ctrl_c_keeps_the_checkpoint_and_prints_the_resume_command(tmp_path, monkeypatch):
    real_epoch = loop._train_epoch

    def interrupting(model, optimizer, task, data, config, epoch, progress):
        if epoch == 2:
            raise KeyboardInterrupt
        return real_epoch(model, optimizer, task, data, config, epoch, progress)

    monkeypatch.setattr(loop, "_train_epoch", interrupting)
    out = tmp_path / "run"
    argv = ["train", "needle-4", "--model", "mean-pool", "--epochs", "3", "--out", str(out)]
    code, _, err = _run([*argv, "--train-size", "32", "--test-size", "8", "--quiet"])
    assert code == 130
    assert "checkpoint of epoch 1" in err and "--resume" in err
    assert loop.checkpoint_epoch(out) == 1
    resume = err.split("continue with: ", 1)[1].split()
    monkeypatch.setattr(loop, "_train_epoch", real_epoch)
    code, text, _ = _run([*resume[1:], "--quiet"])
    assert code == 0 and "epoch 3" in text


@pytest.mark.slow
def test_qrun_start_up_does_not_import_torch():
    probe = "import sys, runtime.cli; runtime.cli._build_parser(); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
