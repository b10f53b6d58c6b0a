"""One identity for everything qattn stores: canonical JSON and its SHA-256.

Like sinter's ``Task.strong_id()``, a stored thing (a job-store request, a study task, a
training checkpoint, a compiled artifact) is named by the SHA-256 of the canonical JSON of
everything that determines it. This module is the only place that text and that hash are
made, so two parts of qattn can never disagree on whether two things are the same.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_json", "strong_id"]


def _default(value: Any) -> Any:
    # numpy is optional here: duck-type its arrays and scalars instead of importing it.
    if hasattr(value, "tolist") and hasattr(value, "dtype"):
        return value.tolist()
    if isinstance(value, complex):
        return [value.real, value.imag]
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not canonical JSON: {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no spaces and shortest float repr: equal data, equal text.

    numpy arrays and scalars become lists and numbers, complex numbers ``[re, im]``.

    Raises:
        TypeError: ``value`` holds something with no canonical JSON form.
        ValueError: ``value`` holds NaN or infinity (no canonical JSON form).
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), allow_nan=False, default=_default
    )


def strong_id(value: Any) -> str:
    """SHA-256 (64 hex digits) of :func:`canonical_json` of ``value``."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()
