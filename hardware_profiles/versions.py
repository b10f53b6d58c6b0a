"""Versions recorded with every saved artifact."""

from __future__ import annotations

import functools
import platform
from importlib import metadata

__all__ = ["versions"]

_PACKAGES = ("qattn", "qiskit", "qiskit-aer", "qiskit-ibm-runtime", "mqt.qcec")


@functools.cache
def versions() -> dict[str, str]:
    """Installed versions of qattn and the libraries that shape its results."""
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
