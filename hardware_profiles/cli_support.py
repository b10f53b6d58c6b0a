"""What every qattn command line shares: one-line usage errors and one-line failures.

A user's mistake (a :class:`~hardware_profiles.errors.QattnError`) prints one line on stderr and
exits 2; an interrupt exits 130; anything else is a bug in qattn and still prints one
line (exit 1). ``QATTN_DEBUG=1`` re-raises instead, for a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from hardware_profiles.errors import QattnError

__all__ = ["OneLineParser", "run_command"]


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Prints ``prog: error: message`` and exits with code 2."""
        self.exit(2, f"{self.prog}: error: {message}\n")


def _line(text: str) -> str:
    return " ".join(text.split())


def run_command(
    prog: str,
    command: Callable[[], int],
    *,
    redact: Callable[[str], str] = lambda text: text,
    interrupted: str = "interrupted",
) -> int:
    """Runs ``command`` and turns every failure into one line on stderr and an exit code.

    Args:
        prog: the program name printed before each message.
        command: the subcommand to run; returns the exit code.
        redact: applied to every message (e.g. to remove credentials).
        interrupted: the message for Ctrl-C.
    """
    debug = bool(os.environ.get("QATTN_DEBUG"))
    try:
        return command()
    except QattnError as exc:
        if debug:
            raise
        print(f"{prog}: error: {redact(_line(str(exc)))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: {interrupted}", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in qattn: still one line unless debugging
        if debug:
            raise
        print(
            f"{prog}: internal error: {type(exc).__name__}: {redact(_line(str(exc)))[:300]} "
            "(set QATTN_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return 1
