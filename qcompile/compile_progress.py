"""A progress line for the compiling commands (``qcompile compile``, ``build``, ``qram``, ``demo``).

A compilation is one call into Qiskit, with no total known in advance, so the line counts the
transpiler passes done (from the ``qiskit.passmanager`` log), names the last step (a pass, or a
stage :mod:`qcompile.pipeline` logs, such as the equivalence check) and shows the time elapsed,
ticking even while one long step runs. It appears only after a second, only on a terminal, and
never under ``--json`` or ``--no-progress`` (:func:`hardware_profiles.progress.progress_wanted`),
and it is erased when the command finishes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hardware_profiles.progress import progress_bar, progress_wanted

__all__ = ["compile_progress"]

_DELAY_S = 1.0
"""Compilations faster than this show nothing."""

_TICK_S = 0.5
"""How often the elapsed time is redrawn while a step runs."""

_PASS_LOGGER = "qiskit.passmanager.base_tasks"  # logs "Pass: <name> - <ms> (ms)" per pass
_STAGE_LOGGER = "qcompile"  # qcompile.pipeline logs its own stages at INFO


class _StepHandler(logging.Handler):
    """Turns pass and stage log records into bar updates."""

    def __init__(self, bar: Any) -> None:
        super().__init__(logging.INFO)
        self.bar = bar

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.name == _PASS_LOGGER:
            self.bar.update(1)
            step = message.removeprefix("Pass: ").split(" - ")[0]
        else:
            step = message
        self.bar.set_postfix_str(step, refresh=False)


@contextmanager
def compile_progress(description: str, *, quiet: bool = False) -> Iterator[Any]:
    """A transient progress line while the block compiles.

    Args:
        description: what runs, e.g. ``"compile qft4 for ft_logical"``.
        quiet: True under ``--json`` or ``--no-progress``: draw nothing. Defaults to False.

    Yields:
        The tqdm bar (disabled when nothing is drawn); ``set_postfix_str`` names a step.
    """
    if not progress_wanted(quiet):
        with progress_bar(description, quiet=True) as bar:
            yield bar
        return
    with progress_bar(
        description,
        unit="pass",
        delay=_DELAY_S,
        leave=False,
        mininterval=_TICK_S,
        bar_format="{desc} [{elapsed}] {n_fmt} passes{postfix}",
    ) as bar:
        handler = _StepHandler(bar)
        saved = []
        for name in (_PASS_LOGGER, _STAGE_LOGGER):
            logger = logging.getLogger(name)
            saved.append((logger, logger.level, logger.propagate))
            # Only this handler sees the records: a user's logging setup is not flooded.
            logger.setLevel(logging.INFO)
            logger.propagate = False
            logger.addHandler(handler)
        done = threading.Event()

        def tick() -> None:
            while not done.wait(_TICK_S):
                now = time.time()  # tqdm's clock
                if now >= bar.start_t + _DELAY_S:
                    bar.refresh()
                    bar.last_print_t = now  # so closing erases the line

        ticker = threading.Thread(target=tick, name="qcompile-progress", daemon=True)
        ticker.start()
        try:
            yield bar
        finally:
            done.set()
            ticker.join()
            for logger, level, propagate in saved:
                logger.removeHandler(handler)
                logger.setLevel(level)
                logger.propagate = propagate
