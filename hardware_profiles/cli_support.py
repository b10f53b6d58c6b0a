"""What every qattn command line shares: one-line errors, ``--version``, defaults, lists.

Help shows every option's default, and lists have one syntax, comma-separated:
``--profiles heron_r2,eagle_r3``, ``--sizes 4,16..1024``.

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
from typing import Any, NoReturn

from hardware_profiles.errors import QattnError, ResourceError, one_line

__all__ = [
    "SEED_MAX",
    "DefaultsHelpFormatter",
    "OneLineParser",
    "add_version_option",
    "check_option",
    "comma_list",
    "parse_sizes",
    "run_command",
]

SEED_MAX = 2**63 - 1
"""The largest seed a command accepts: every seeded library takes a signed 64-bit integer."""


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Adds ``(default: X)`` to an option's help unless the help already names its default.

    Flags (``store_true``), required options and options whose default is None are left alone:
    their help says what leaving them out does.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (
            not action.option_strings
            or action.required
            or "default" in text.lower()
            or action.default is None
            or action.default is False  # not 0: a default of 0 is shown
            or action.default == argparse.SUPPRESS
            or action.nargs == 0
        ):
            return action.help
        return f"{text} (default: %(default)s)" if text else "default: %(default)s"

    def _format_args(self, action: argparse.Action, default_metavar: str) -> str:
        if isinstance(action, _CommaListAction):  # one word, whatever nargs collects
            return str(self._metavar_formatter(action, default_metavar)(1)[0])
        return super()._format_args(action, default_metavar)


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and exit code 2.

    Its help shows every option's default (:class:`DefaultsHelpFormatter`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Prints ``prog: error: message`` and exits with code 2."""
        self.exit(2, f"{self.prog}: error: {message}\n")


class _VersionAction(argparse.Action):
    """``--version``: the versions of qattn and the libraries, read without importing them."""

    def __init__(self, option_strings: Sequence[str], dest: str, *, prog: str, **kwargs: Any):
        kwargs.setdefault("help", "print the versions of qattn, Qiskit, Aer, qiskit-ibm-runtime")
        super().__init__(option_strings, dest=argparse.SUPPRESS, nargs=0, **kwargs)
        self.prog = prog

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> NoReturn:
        from hardware_profiles.versions import version_text

        print(version_text(self.prog))  # stdout, as argparse's own "version" action
        parser.exit(0)


def add_version_option(parser: argparse.ArgumentParser, prog: str) -> None:
    """Adds ``--version`` to ``parser``: prints the versions and exits 0.

    The versions come from the installed packages' metadata, so ``--version`` loads no Qiskit.

    Args:
        parser: the command's top-level parser.
        prog: the command's name, printed first.
    """
    parser.add_argument("--version", action=_VersionAction, prog=prog, default=argparse.SUPPRESS)


class _CommaListAction(argparse.Action):
    """Base of :func:`comma_list`'s actions (the help shows them as one word)."""


def comma_list(item: Callable[[str], Any] = str) -> type[argparse.Action]:
    """An argparse action for one comma-separated list: ``--profiles heron_r2,eagle_r3``.

    Every qattn list option takes this one syntax. Space-separated words
    (``--profiles heron_r2 eagle_r3``, the older ``qrun study`` form) are refused with a
    one-line hint showing the comma form: accepting both would let a list swallow the word
    after it (a study name) and keep two syntaxes alive.

    Use it with ``nargs="+"`` so the extra words reach the action and get the hint.

    Args:
        item: converts each item (e.g. ``float``); a ValueError becomes a usage error.
            Defaults to ``str``.
    """

    class CommaList(_CommaListAction):
        def __call__(
            self,
            parser: argparse.ArgumentParser,
            namespace: argparse.Namespace,
            values: Any,
            option_string: str | None = None,
        ) -> None:
            words = [values] if isinstance(values, str) else list(values)
            option = option_string or self.dest
            if len(words) != 1:
                joined = ",".join(w.strip(",") for w in words)
                parser.error(
                    f"{option} takes one comma-separated list: {option} {joined} "
                    f"(got {len(words)} words)"
                )
            parts = [part.strip() for part in words[0].split(",")]
            if not all(parts):
                parser.error(f"{option}: empty item in {words[0]!r}")
            values_out = []
            for part in parts:
                try:
                    values_out.append(item(part))
                except (TypeError, ValueError):
                    kind = getattr(item, "__name__", "value")
                    parser.error(f"{option}: {part!r} is not a valid {kind} (in {words[0]!r})")
            setattr(namespace, self.dest, values_out)

    return CommaList


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

    ``qcompile estimate --seq-len 16..1048576`` and ``qrun study --sizes 4,16..256`` both
    read their sizes here. Tokens are comma-separated (a word may hold several). A range gives
    every power of two ``p`` with ``LO <= p <= HI`` (``5..40`` gives 8, 16, 32); sizes keep
    the order of the tokens.

    Args:
        tokens: the command-line words, e.g. ``["4,16..256"]``.
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
    for token in (part for word in tokens for part in word.split(",")):
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
