"""qrun study end to end: a real Dask LocalCluster, kill -9 in the middle, resume."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.cli import main
from runtime.study.definitions import execute_task, get_study

REPO = Path(__file__).resolve().parents[3]
GRID = {
    "kind": ["bucket-brigade", "qrom"],
    "size": [8, 16, 32, 64],
    "profile": ["grid_10x10"],
    "noise_scale": [0.3, 1.0],
    "trajectories": [120],
}
ARGS = [
    "study",
    "qram-fidelity",
    "--kinds",
    ",".join(map(str, GRID["kind"])),
    "--sizes",
    "8..64",
    "--profiles",
    "grid_10x10",
    "--noise-scales",
    "0.3,1",
    "--trajectories",
    "120",
    "--workers",
    "2",
    "--no-progress",
]


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    text = path.read_text()
    lines = text[: text.rfind("\n") + 1]
    return list(csv.DictReader(lines.splitlines()))


def _qrun(out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runtime", *ARGS, "--out", str(out)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: kill -9 takes the workers too
    )


@pytest.mark.slow
def test_kill_9_then_resume_loses_and_repeats_nothing(tmp_path: Path) -> None:
    out = tmp_path / "study"
    results = out / "results.csv"
    first = _qrun(out)
    deadline = time.monotonic() + 60
    while len(_rows(results)) < 2 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    done_before = len(_rows(results))
    tasks = get_study("qram-fidelity").tasks(GRID)
    assert 2 <= done_before < len(tasks), "the study must be killed in the middle"
    with results.open("a") as fh:  # as if killed while writing a line
        fh.write("0123abcd,qram-fidelity,qrom,8,grid_")
    second = _qrun(out)
    stdout, stderr = second.communicate(timeout=120)
    assert second.returncode == 0, stderr
    assert f"{len(tasks)} tasks ({done_before} already done, " in stdout
    rows = _rows(results)
    ids = [r["task_id"] for r in rows]
    assert sorted(ids) == sorted(t.strong_id() for t in tasks)  # each exactly once
    by_id = {r["task_id"]: r for r in rows}
    for task in tasks:  # a direct run of the same task gives the same values
        direct = execute_task(task)
        row = by_id[task.strong_id()]
        for column in ("fidelity", "stderr", "infidelity", "num_qubits", "num_gates", "p2"):
            assert row[column] == (
                repr(direct[column]) if isinstance(direct[column], float) else str(direct[column])
            )
    html = (out / "report.html").read_text()
    offline = html.replace("http://www.w3.org/2000/svg", "").replace(
        "http://www.w3.org/1999/xlink", ""
    )  # SVG's namespace names, not addresses to fetch
    assert html.count("<svg") == 2 and "<script" not in html and "http" not in offline
    # nothing left to do: the third run starts no cluster and runs nothing
    assert main([*ARGS, "--out", str(out)]) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["study", "nope", "--out", "x"], "unknown study 'nope'"),
        (["study", "qram-fidelity", "--sizes", "6", "--out", "x"], "power of two"),
        (["study", "qram-fidelity", "--sizes", "4", "--kinds", "qrom"], "--out DIR"),
        (["study", "qram-fidelity", "--profiles", "nowhere", "--out", "x"], "nowhere"),
        (["study", "qlaci-context", "--trajectories", "9", "--out", "x"], "no axis"),
        (["study", "qram-fidelity", "--sizes", "x..9", "--out", "x"], "bad size"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, capsys) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_list_names_every_study(capsys) -> None:
    assert main(["study", "--list"]) == 0
    out = capsys.readouterr().out
    assert "qram-fidelity:" in out and "qlaci-context:" in out


@pytest.mark.slow
def test_qrun_start_up_stays_light() -> None:
    code = (
        "import sys, runtime.cli; runtime.cli._build_parser();"
        "print([m for m in ('dask', 'distributed', 'numpy', 'qiskit', 'tqdm') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == "[]", out.stderr


def test_lists_are_comma_separated(capsys: pytest.CaptureFixture[str]) -> None:
    # the second profile is read as its own item: its name is the one refused
    args = ["study", "qlaci-context", "--profiles", "heron_r2,nowhere", "--out", "x"]
    assert main(args) == 2
    assert "nowhere" in capsys.readouterr().err
    args = ["study", "qram-fidelity", "--noise-scales", "0.1,-1", "--out", "x"]
    assert main(args) == 2
    assert "--noise-scales must be >= 0, got -1.0" in capsys.readouterr().err


def test_the_old_space_separated_form_gets_a_one_line_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["study", "qlaci-context", "--profiles", "heron_r2", "eagle_r3", "--out", "x"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--profiles heron_r2,eagle_r3" in err


def test_study_help_names_every_default() -> None:
    import argparse

    from hardware_profiles.cli_support import DefaultsHelpFormatter, OneLineParser
    from runtime.study.cli import add_study_parser

    parser = OneLineParser(prog="qrun")
    add_study_parser(parser.add_subparsers(parser_class=OneLineParser))
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    study = commands.choices["study"]
    formatter = DefaultsHelpFormatter(study.prog)
    missing = [
        action.option_strings[0]
        for action in study._actions
        if action.option_strings and action.nargs != 0
        if "default" not in (formatter._get_help_string(action) or "").lower()
        and "required" not in (action.help or "")
    ]
    assert not missing
