"""Keeping credentials out of everything qattn prints or writes.

Any environment variable whose name looks like a credential (``QISKIT_IBM_TOKEN``, ``*_API_KEY``,
``*SECRET*``, ``*PASSWORD*``) has its value replaced before text reaches a terminal, a log, a
report, an artifact or the job store.
"""

from __future__ import annotations

import os

_SECRET_MARKERS = ("TOKEN", "API_KEY", "APIKEY", "SECRET", "PASSWORD", "CREDENTIAL")

__all__ = ["redact_secrets", "redacted_line"]


def redact_secrets(text: str) -> str:
    """``text`` with the value of every credential-like environment variable replaced."""
    for name, value in os.environ.items():
        if len(value) >= 6 and any(marker in name.upper() for marker in _SECRET_MARKERS):
            text = text.replace(value, "<redacted>")
    return text


def redacted_line(error: BaseException | str, limit: int = 300) -> str:
    """An error as one redacted line of at most ``limit`` characters."""
    text = " ".join(str(error).split()) or type(error).__name__
    return redact_secrets(text)[:limit]
