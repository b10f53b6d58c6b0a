"""Versions recorded with every saved artifact."""

from __future__ import annotations

import functools
import platform
from importlib import metadata

__all__ = ["DISTRIBUTION", "version_text", "versions"]

DISTRIBUTION = "qattn-toolkit"
"""The name qattn is installed under (``pip install qattn-toolkit``); ``qattn`` on PyPI is
another project. Records keep the key ``qattn`` for its version."""

# Record key -> installed distribution whose version it holds.
_PACKAGES = {
    "qattn": DISTRIBUTION,
    "qiskit": "qiskit",
    "qiskit-aer": "qiskit-aer",
    "qiskit-ibm-runtime": "qiskit-ibm-runtime",
    "mqt.qcec": "mqt.qcec",
}


@functools.cache
def versions() -> dict[str, str]:
    """Installed versions of qattn and the libraries that shape its results."""
    found = {"python": platform.python_version()}
    for key, distribution in _PACKAGES.items():
        try:
            found[key] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            found[key] = "not installed"
    return found


def version_text(prog: str) -> str:
    """What ``--version`` prints: qattn's version, then the libraries' (no Qiskit import).

    Args:
        prog: the command's name, e.g. ``"qcompile"``.

    Returns:
        Two lines, e.g. ``qcompile (qattn 0.2.0)`` and ``qiskit 2.6.2, qiskit-aer 0.18.2, ...``.
    """
    found = versions()
    libraries = ", ".join(f"{key} {value}" for key, value in found.items() if key != "qattn")
    return f"{prog} (qattn {found['qattn']})\n{libraries}"
