"""Device profiles: named, validated device descriptions that yield a Qiskit Target.

Profiles are TOML files (built-ins in ``hardware_profiles/data/``; more directories via
``$QATTN_PROFILE_PATH``). Three kinds: IBM calibration snapshots from
``qiskit_ibm_runtime.fake_provider``, synthetic devices with stated gate sets, error rates
and durations, and a fault-tolerant logical (Clifford+T) device.

This is the bottom layer of qattn: it also holds what every layer shares (the errors, the
command-line plumbing, identities and versions) and imports nothing from ``qcompile`` or
``runtime``. The names below load on first use, so ``import hardware_profiles.errors`` (which
every command line does first) does not load Qiskit.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hardware_profiles.defaults import DEFAULT_PROFILE
    from hardware_profiles.faults import FaultReport
    from hardware_profiles.loader import (
        PROFILE_PATH_ENV,
        list_profiles,
        load_profile,
        parse_profile,
    )
    from hardware_profiles.medians import ProfileMedians, profile_medians
    from hardware_profiles.profile import DeviceProfile
    from hardware_profiles.specs import FaultPolicy, GateSpec, LogicalSpec, TopologySpec
    from hardware_profiles.summary import ProfileSummary, summarize_profile

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILE_PATH_ENV",
    "DeviceProfile",
    "FaultPolicy",
    "FaultReport",
    "GateSpec",
    "LogicalSpec",
    "ProfileMedians",
    "ProfileSummary",
    "TopologySpec",
    "list_profiles",
    "load_profile",
    "parse_profile",
    "profile_medians",
    "summarize_profile",
]

_HOMES = {
    "DEFAULT_PROFILE": "hardware_profiles.defaults",
    "PROFILE_PATH_ENV": "hardware_profiles.loader",
    "DeviceProfile": "hardware_profiles.profile",
    "FaultPolicy": "hardware_profiles.specs",
    "FaultReport": "hardware_profiles.faults",
    "GateSpec": "hardware_profiles.specs",
    "LogicalSpec": "hardware_profiles.specs",
    "ProfileMedians": "hardware_profiles.medians",
    "ProfileSummary": "hardware_profiles.summary",
    "TopologySpec": "hardware_profiles.specs",
    "list_profiles": "hardware_profiles.loader",
    "load_profile": "hardware_profiles.loader",
    "parse_profile": "hardware_profiles.loader",
    "profile_medians": "hardware_profiles.medians",
    "summarize_profile": "hardware_profiles.summary",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'hardware_profiles' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
