"""The profile every command uses when none is named.

Its own module, free of Qiskit, so that command lines can show it in their help without
loading a profile.
"""

from __future__ import annotations

__all__ = ["DEFAULT_PROFILE"]

DEFAULT_PROFILE = "heron_r2"
"""IBM Heron r2 (the ``FakeFez`` calibration snapshot): ``hardware_profiles/data/heron_r2.toml``."""
