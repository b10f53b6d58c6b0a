"""Progress bars for long commands: on a terminal only, quiet under ``--json`` or in pipes."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["progress_bar", "progress_wanted"]


def progress_wanted(quiet: bool = False) -> bool:
    """Whether a progress bar should be drawn: stderr is a terminal and the caller is not quiet.

    Args:
        quiet: True under ``--json`` (or any machine-read output): never draw.
    """
    return not quiet and sys.stderr.isatty()


def progress_bar(
    description: str, total: int | None = None, *, quiet: bool = False, unit: str = "it", **kw: Any
) -> tqdm[Any]:
    """A tqdm bar on stderr, disabled when :func:`progress_wanted` says no.

    Use it as a context manager and call ``update(n)`` on it (or iterate it with ``iterable=``).

    Args:
        description: Short label shown before the bar.
        total: Number of steps, or None when unknown.
        quiet: True under ``--json``.
        unit: Name of one step.
        **kw: Passed to :class:`tqdm.tqdm` (``iterable``, ``initial``, ``leave``, ...).
    """
    from tqdm import tqdm

    return tqdm(
        desc=description,
        total=total,
        unit=unit,
        file=sys.stderr,
        disable=not progress_wanted(quiet),
        dynamic_ncols=True,
        **kw,
    )
