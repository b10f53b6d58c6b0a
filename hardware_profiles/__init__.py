"""Device profiles: named, validated device descriptions that yield a Qiskit Target.

Profiles are TOML files (built-ins in ``hardware_profiles/data/``; more directories via
``$QATTN_PROFILE_PATH``). Three kinds: IBM calibration snapshots from
``qiskit_ibm_runtime.fake_provider``, synthetic devices with stated gate sets, error rates
and durations, and a fault-tolerant logical (Clifford+T) device.
"""

from hardware_profiles.faults import FaultReport
from hardware_profiles.loader import (
    DEFAULT_PROFILE,
    PROFILE_PATH_ENV,
    list_profiles,
    load_profile,
    parse_profile,
)
from hardware_profiles.profile import (
    DeviceProfile,
    FaultPolicy,
    GateSpec,
    LogicalSpec,
    TopologySpec,
)
from hardware_profiles.summary import ProfileSummary, summarize_profile

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILE_PATH_ENV",
    "DeviceProfile",
    "FaultPolicy",
    "FaultReport",
    "GateSpec",
    "LogicalSpec",
    "ProfileSummary",
    "TopologySpec",
    "list_profiles",
    "load_profile",
    "parse_profile",
    "summarize_profile",
]
