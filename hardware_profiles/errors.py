"""The qattn error hierarchy.

Every error a user can cause (a bad file, an impossible size, a missing credential)
is a :class:`QattnError`. Command-line entry points print ``str(error)`` as one line
on stderr and exit with code 2; anything else escaping is a bug in qattn.
"""

from __future__ import annotations

__all__ = [
    "CircuitInputError",
    "CompileError",
    "EquivalenceError",
    "IsaError",
    "JobError",
    "ProfileError",
    "QattnError",
    "ResourceError",
    "one_line",
]


class QattnError(Exception):
    """Base class for every error qattn raises on purpose."""


class ProfileError(QattnError):
    """A device profile is unknown, malformed or cannot yield a Target."""


class CircuitInputError(QattnError):
    """A circuit file cannot be read or parsed."""


class CompileError(QattnError):
    """A circuit cannot be compiled for a profile (too wide, untranslatable gates)."""


class IsaError(CompileError):
    """A compiled circuit uses an instruction the profile's Target does not support."""


class EquivalenceError(CompileError):
    """A compiled circuit is not equivalent to its logical circuit."""


class ResourceError(QattnError):
    """A requested size is impossible (negative, too large to build, inconsistent)."""


class JobError(QattnError):
    """An execution request failed, or its credentials are missing or rejected."""


def one_line(error: BaseException | str, limit: int | None = 300) -> str:
    """An error (or any text) as one line: whitespace collapsed, at most ``limit`` characters.

    An exception with an empty message is named by its type, so the line is never empty.

    Args:
        error: the exception or text.
        limit: the longest line returned; longer ones end in ``…``. Defaults to 300;
            None keeps the whole text.
    """
    text = str(error)
    if isinstance(error, BaseException) and not text.strip():
        text = type(error).__name__
    text = " ".join(text.split())
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
