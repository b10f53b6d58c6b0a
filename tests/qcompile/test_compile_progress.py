"""The compile progress line: on a terminal only, counting real transpiler passes."""

from __future__ import annotations

import io
import logging
import sys
import time

import pytest
from qiskit.transpiler import generate_preset_pass_manager

import qcompile.compile_progress as progress
from tests.conftest import ghz


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_compile_shows_passes_and_steps_then_erases_the_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(progress, "_DELAY_S", 0.0)
    monkeypatch.setattr(progress, "_TICK_S", 0.05)
    manager = generate_preset_pass_manager(optimization_level=1, basis_gates=["cx", "rz", "sx"])
    with progress.compile_progress("compile ghz4", quiet=False) as bar:
        manager.run(ghz(4))
        logging.getLogger("qcompile.pipeline").info("checking equivalence")
        time.sleep(0.2)  # the ticker redraws while a step runs
        passes = bar.n
    text = terminal.getvalue()
    assert passes >= 5  # the pass manager's own passes, counted from its log
    assert "compile ghz4" in text and f"{passes} passes, checking equivalence" in text
    assert text.endswith("\r")  # erased: the report prints on a clean line
    assert logging.getLogger("qiskit.passmanager.base_tasks").propagate  # restored


def test_nothing_is_drawn_off_a_terminal_or_when_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    monkeypatch.setattr(progress, "_DELAY_S", 0.0)
    with progress.compile_progress("compile", quiet=False):
        time.sleep(0.05)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress.compile_progress("compile", quiet=True):
        time.sleep(0.05)
    assert pipe.getvalue() == "" and terminal.getvalue() == ""
