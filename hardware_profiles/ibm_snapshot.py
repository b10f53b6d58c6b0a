"""Targets from IBM calibration snapshots in ``qiskit_ibm_runtime.fake_provider``."""

from __future__ import annotations

import functools
from typing import Any

from qiskit.transpiler import Target

from hardware_profiles.errors import ProfileError

__all__ = ["snapshot_backend", "snapshot_calibration_date", "snapshot_target"]


@functools.lru_cache(maxsize=8)
def snapshot_backend(name: str) -> Any:
    """The fake backend ``qiskit_ibm_runtime.fake_provider.<name>``, instantiated once.

    Args:
        name: class name, e.g. ``FakeFez``.

    Raises:
        ProfileError: no such snapshot in the installed qiskit-ibm-runtime.
    """
    from qiskit_ibm_runtime import fake_provider
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    cls = getattr(fake_provider, name, None)
    if not (isinstance(cls, type) and issubclass(cls, FakeBackendV2)):
        raise ProfileError(
            f"snapshot.backend: {name!r} is not a FakeBackendV2 in "
            "qiskit_ibm_runtime.fake_provider (e.g. FakeFez, FakeTorino, FakeBrisbane)"
        )
    return cls()


def snapshot_target(name: str) -> Target:
    """The snapshot's Target exactly as calibrated (faulty hardware included)."""
    target: Target = snapshot_backend(name).target
    return target


@functools.lru_cache(maxsize=8)
def snapshot_calibration_date(name: str) -> str | None:
    """ISO 8601 date of the snapshot's calibration data, if it records one."""
    properties = snapshot_backend(name).properties()
    if properties is None or properties.last_update_date is None:
        return None
    return str(properties.last_update_date.isoformat())
