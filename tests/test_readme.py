"""The README's code blocks run as written, at small sizes, in a temporary directory.

Every ``bash`` block's commands run in README order in one directory (later commands read
what earlier ones wrote), in-process through each CLI's ``main(argv)`` so that Qiskit is
imported once; every ``python`` block runs as a script. Two lists say what differs from the
README, and each entry must still match a README line, so neither can go stale:

* ``SKIPPED``: commands not run, each with its reason;
* ``SMALLER``: rewrites to small sizes (fewer sizes, epochs, samples) of commands that run.

``make demo`` is replaced by its recipe from the Makefile (without the install step), which
also makes the artifact the ``qrun`` block reads.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import runpy
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```(bash|python)\n(.*?)^```", re.MULTILINE | re.DOTALL)

SKIPPED: dict[str, str] = {
    r"^make (demo|test)\b": "the newcomer's two set-up commands: CI runs `make test` (.ci/run); "
    "`make demo`'s recipe runs here instead",
    r"^make (test-fast|lint|fuzz|docs|test-py312)\b": "CI runs these (`make test` runs lint "
    "and docs; .ci/run runs test-py312); fuzz and test-fast are parts of `make test`",
    r"benchmarks/": "benchmarks take minutes; they are not tests",
    r"train_tables\.py": "trains every task x model x 3 seeds to convergence (hours)",
    r"--ibm ibm_fez": "needs an IBM Quantum account (tutorial (b) runs the same code locally)",
    r"--backend ibm --local": "minutes of CPU per SPSA step in local testing mode; the same "
    "path takes a training step in tests/runtime/qnn/test_shots_qnn.py (local IBM primitives)",
    r"--scheduler tcp://HOST": "HOST is a placeholder (tutorial (c) runs it on a LocalCluster)",
    r"\bKEY\b": "KEY and JOB_ID are placeholders (`qrun jobs` lists real ones)",
}

SMALLER: list[tuple[str, str]] = [
    (r"--seq-len 16\.\.1048576 (.*)", r"--seq-len 16..32 \1 --time-budget 0 --qdk-seq-len none"),
    (r"--sizes 4\.\.1024", "--sizes 4..8 --trajectories 10 --workers 1"),
    (r"(qlaci-context .*)", r"\1 --sizes 4 --workers 1"),
    (
        r"(study frontier .*)",
        r"\1 --kinds qrom --noise-scales 1 --mitigations none --max-size 8 --trajectories 10 "
        "--workers 1",
    ),
    (r"--epochs 10 ", "--epochs 1 --train-size 16 --test-size 8 "),
    (r"--epochs 20 ", "--epochs 2 --train-size 16 --test-size 8 "),
    (
        r"(--backend (noisy|aer-noisy|ibm) .*)--train-size 32 --test-size 32",
        r"\1--train-size 4 --test-size 4",
    ),
]


def _blocks(language: str) -> list[str]:
    return [code for lang, code in BLOCK.findall(README.read_text()) if lang == language]


def _commands(code: str) -> Iterator[str]:
    """The block's commands: lines without comments, split at ``;``."""
    for line in code.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";")
        lexer.whitespace_split = True
        command: list[str] = []
        for token in [*lexer, ";"]:
            if token != ";":
                command.append(token)
            elif command:
                yield shlex.join(command)
                command = []


def _readme_commands() -> list[str]:
    return [c for code in _blocks("bash") for c in _commands(code) if c]


def _skip_reason(command: str) -> str | None:
    return next((why for pattern, why in SKIPPED.items() if re.search(pattern, command)), None)


def _smaller(command: str) -> str:
    for pattern, replacement in SMALLER:
        command = re.sub(pattern, replacement, command)
    return command


def _entry_point(program: str) -> Callable[[list[str]], int | None]:
    if program == ".venv/bin/qcompile":
        from qcompile.cli import main as qcompile_main

        return qcompile_main
    if program == ".venv/bin/qrun":
        from runtime.cli import main as qrun_main

        return qrun_main
    if program == ".venv/bin/python":

        def script(argv: list[str]) -> None:
            sys.argv = list(argv)
            runpy.run_path(argv[0], run_name="__main__")

        return script
    raise AssertionError(f"README runs {program!r}: teach tests/test_readme.py how")


def _run(command: str) -> None:
    """Runs one README command in the current directory; fails with its output."""
    tokens = shlex.split(command)
    env = {}
    while tokens and re.fullmatch(r"[A-Z_]+=.*", tokens[0]):
        name, value = tokens.pop(0).split("=", 1)
        env[name] = value
    target = None
    if ">" in tokens:
        at = tokens.index(">")
        tokens, target = tokens[:at], tokens[at + 1]
    main = _entry_point(tokens[0])
    out, err = io.StringIO(), io.StringIO()
    started = time.process_time(), time.monotonic()
    code: object
    saved_env, saved_argv = dict(os.environ), list(sys.argv)
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(tokens[1:])
    except SystemExit as exc:
        code = exc.code
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv = saved_argv
    assert not code, f"`{command}` exited {code}:\n{out.getvalue()[-2000:]}{err.getvalue()}"
    timings = os.environ.get("QATTN_README_TIMINGS")  # a file: one line per command
    if timings:
        cpu, wall = time.process_time() - started[0], time.monotonic() - started[1]
        with open(timings, "a") as f:
            f.write(f"{cpu:8.1f} s CPU {wall:8.1f} s wall  {command}\n")
    if target is not None:
        Path(target).write_text(out.getvalue())


def _demo_recipe() -> list[str]:
    """`make demo`'s commands from the Makefile, with the venv's bin directory spelled out."""
    lines = (ROOT / "Makefile").read_text().split("\ndemo:", 1)[1].splitlines()[1:]
    recipe = [line.strip() for line in lines[: next(i for i, s in enumerate(lines) if not s)]]
    return [line.replace("$(BIN)/", ".venv/bin/") for line in recipe]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh directory with the README's inputs: examples/ and a user's own ``my.qpy``."""
    from qiskit import qpy

    from tests.conftest import ghz

    (tmp_path / "examples").symlink_to(ROOT / "examples")
    with (tmp_path / "my.qpy").open("wb") as f:
        qpy.dump(ghz(4), f)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))  # ~/.qattn/jobs.sqlite lands here
    monkeypatch.delenv("QATTN_JOBSTORE", raising=False)
    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    return tmp_path


def test_quickstart_has_exactly_two_set_up_commands() -> None:
    quickstart = README.read_text().split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = [c for code in BLOCK.findall(quickstart) for c in _commands(code[1])]
    assert commands == ["make demo", "make test"]


def test_every_skip_and_rewrite_still_matches_a_readme_command() -> None:
    commands = _readme_commands()
    for pattern in SKIPPED:
        assert any(re.search(pattern, c) for c in commands), f"stale SKIPPED entry {pattern!r}"
    for pattern, _ in SMALLER:
        assert any(re.search(pattern, c) for c in commands), f"stale SMALLER entry {pattern!r}"
    assert any(_skip_reason(c) is None for c in commands)


def test_demo_recipe_is_what_the_makefile_runs() -> None:
    recipe = _demo_recipe()
    assert recipe and all(".venv/bin/" in line for line in recipe)
    assert any("qcompile demo" in line for line in recipe)


@pytest.mark.slow
def test_readme_shell_blocks_run_as_written(workdir: Path) -> None:
    ran = 0
    for command in _demo_recipe():
        _run(command)
    for command in _readme_commands():
        if _skip_reason(command) is None:
            _run(_smaller(command))
            ran += 1
    assert ran >= 25
    assert (workdir / "report.json").read_text().lstrip().startswith("{")


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(_blocks("python"))))
def test_readme_python_blocks_run_as_written(workdir: Path, index: int) -> None:
    runpy.run_path(str(_write(workdir / f"block{index}.py", _blocks("python")[index])))


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
