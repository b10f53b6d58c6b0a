"""What every qattn command line shares: one-line errors, and size lists such as ``16..1024``.

A user's mistake (a :class:`~hardware_profiles.errors.QattnError`) prints one line on stderr and
exits 2; an interrupt exits 130; anything else is a bug in qattn and still prints one
line (exit 1). ``QATTN_DEBUG=1`` re-raises instead, for a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from hardware_profiles.errors import QattnError, ResourceError, one_line

__all__ = ["SEED_MAX", "OneLineParser", "check_option", "parse_sizes", "run_command"]

SEED_MAX = 2**63 - 1
"""The largest seed a command accepts: every seeded library takes a signed 64-bit integer."""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Prints ``prog: error: message`` and exits with code 2."""
        self.exit(2, f"{self.prog}: error: {message}\n")


def _bound(value: int) -> str:
    exponent = value.bit_length() - 1
    return f"2^{exponent}" if exponent > 10 and value == 1 << exponent else str(value)


def parse_sizes(
    tokens: Sequence[str],
    *,
    option: str,
    minimum: int = 1,
    maximum: int | None = None,
    powers_of_two_only: bool = False,
) -> list[int]:
    """Sizes from the command line: each token ``N``, or ``LO..HI`` for the powers of two in it.

    ``qcompile estimate --seq-len 16..1048576`` and ``qrun study --sizes 4 16..256`` both
    read their sizes here. A range gives every power of two ``p`` with ``LO <= p <= HI``
    (``5..40`` gives 8, 16, 32); sizes keep the order of the tokens.

    Args:
        tokens: the command-line words, e.g. ``["4", "16..256"]``.
        option: the option named in error messages, e.g. ``"--seq-len"``.
        minimum: the smallest size allowed (and the smallest ``LO``). Defaults to 1.
        maximum: the largest size allowed (and the largest ``HI``). Defaults to None (no bound).
        powers_of_two_only: a single ``N`` must be a power of two too. Defaults to False.

    Returns:
        The sizes.

    Raises:
        ResourceError: a token that is neither an integer nor ``LO..HI``, a size out of
            bounds, or a token that holds no allowed size (an empty range, or a single ``N``
            that is not a power of two when ``powers_of_two_only``).
    """
    upper = "" if maximum is None else f" <= {_bound(maximum)}"
    sizes: list[int] = []
    for token in tokens:
        lo_text, sep, hi_text = token.partition("..")
        try:
            lo = int(lo_text)
            hi = int(hi_text) if sep else lo
        except ValueError:
            raise ResourceError(
                f"bad size {token!r} for {option}: expected N or LO..HI (integers)"
            ) from None
        if lo < minimum or hi < lo or (maximum is not None and hi > maximum):
            bounds = "LO <= HI" if sep else "N"
            raise ResourceError(
                f"bad size {token!r} for {option}: need {_bound(minimum)} <= {bounds}{upper}"
            )
        if sep or powers_of_two_only:
            found = [1 << e for e in range(hi.bit_length()) if lo <= 1 << e <= hi]
            if not found:
                raise ResourceError(f"bad size {token!r} for {option}: holds no power of two")
            sizes.extend(found)
        else:
            sizes.append(lo)
    return sizes


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
        print(f"{prog}: error: {redact(one_line(exc, limit=None))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: {interrupted}", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in qattn: still one line unless debugging
        if debug:
            raise
        # Redact before shortening, so a credential cut in half cannot escape the redaction.
        message = one_line(redact(one_line(exc, limit=None)))
        print(
            f"{prog}: internal error: {type(exc).__name__}: {message} "
            "(set QATTN_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return 1


def check_option(
    value: float | None,
    option: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: bool = False,
    infinite: bool = False,
) -> None:
    """Refuses an option value before any work: NaN, infinity, or a value out of bounds.

    Args:
        value: the parsed value; None (an option left out) passes.
        option: the option named in the error, e.g. ``"--shots"``.
        minimum: the smallest value allowed. Defaults to None (no bound).
        maximum: the largest value allowed. Defaults to None (no bound).
        above: the value must be strictly above ``minimum``. Defaults to False.
        infinite: ``inf`` is allowed (e.g. "no time limit"). Defaults to False.

    Raises:
        ResourceError: one line naming the option, the bound and the value.
    """
    if value is None:
        return
    if isinstance(value, float) and (
        math.isnan(value) or (math.isinf(value) and not (infinite and value > 0))
    ):
        raise ResourceError(f"{option} must be a finite number, got {value}")
    if minimum is not None and (value <= minimum if above else value < minimum):
        relation = ">" if above else ">="
        raise ResourceError(f"{option} must be {relation} {minimum:g}, got {value}")
    if maximum is not None and value > maximum:
        raise ResourceError(f"{option} must be <= {_bound(int(maximum))}, got {value}")
