"""The device profile: a validated, named description of a device that yields a Target.

Its parts (:mod:`hardware_profiles.specs`) and the Target builders below it
(:mod:`~hardware_profiles.ibm_snapshot`, :mod:`~hardware_profiles.synthetic`,
:mod:`~hardware_profiles.faults`) import nothing from here, so the imports form a DAG.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from qiskit.transpiler import Target

from hardware_profiles.errors import ProfileError
from hardware_profiles.faults import FaultReport, apply_fault_policy
from hardware_profiles.ibm_snapshot import snapshot_calibration_date, snapshot_target
from hardware_profiles.identity import strong_id
from hardware_profiles.specs import FaultPolicy, GateSpec, LogicalSpec, TopologySpec
from hardware_profiles.synthetic import synthetic_target

__all__ = ["DeviceProfile", "ProfileKind"]

ProfileKind = Literal["ibm_snapshot", "synthetic", "fault_tolerant"]


@dataclass(frozen=True)
class DeviceProfile:
    """A named device description; ``target()`` yields its ``qiskit.transpiler.Target``.

    Profiles are loaded from TOML files (see ``hardware_profiles/data/``) by
    :func:`hardware_profiles.load_profile`; users copy and edit those files.

    Attributes:
        name: profile name, e.g. ``heron_r2``.
        kind: ``ibm_snapshot``, ``synthetic`` or ``fault_tolerant``.
        description: one line for listings.
        source: the file the profile was read from.
        faults: what to do with faulty qubits and couplers.
        backend: for ``ibm_snapshot``, the ``qiskit_ibm_runtime.fake_provider`` class name.
        topology: for synthetic and fault-tolerant profiles, the connectivity.
        gates: for synthetic and fault-tolerant profiles, the native instructions.
        t1: synthetic T1 in seconds (None: not modelled).
        t2: synthetic T2 in seconds (None: not modelled).
        logical: for ``fault_tolerant``, the error-correction model.
        notes: free text for the summary (where the numbers come from).
    """

    name: str
    kind: ProfileKind
    description: str
    source: str
    faults: FaultPolicy = field(default_factory=FaultPolicy)
    backend: str | None = None
    topology: TopologySpec | None = None
    gates: tuple[GateSpec, ...] = ()
    t1: float | None = None
    t2: float | None = None
    logical: LogicalSpec | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").replace("-", "").isalnum():
            raise ProfileError(
                f"profile.name must be letters, digits, '_' or '-', got {self.name!r}"
            )
        if self.kind not in ("ibm_snapshot", "synthetic", "fault_tolerant"):
            raise ProfileError(
                "profile.kind must be one of ibm_snapshot, synthetic, fault_tolerant; "
                f"got {self.kind!r}"
            )
        if self.kind == "ibm_snapshot" and not self.backend:
            raise ProfileError("snapshot.backend is required for kind = 'ibm_snapshot'")
        if self.kind != "ibm_snapshot":
            if self.topology is None:
                raise ProfileError(f"topology is required for kind = {self.kind!r}")
            if not self.gates:
                raise ProfileError(f"gates is required for kind = {self.kind!r}")
        if self.kind == "fault_tolerant" and self.logical is None:
            raise ProfileError("logical is required for kind = 'fault_tolerant'")

    @property
    def num_qubits(self) -> int:
        """Number of physical (or logical) qubits of the device."""
        return self.target().num_qubits or 0

    def target(self) -> Target:
        """The profile's Target, with the fault policy applied.

        Built once per profile and cached: treat it as read-only.
        """
        return _build_target(self)[0]

    def fault_report(self) -> FaultReport:
        """The faulty qubits and couplers found, and what the policy did with them."""
        return _build_target(self)[1]

    def calibration_date(self) -> str | None:
        """The snapshot's calibration date (ISO 8601), or None for synthetic profiles."""
        if self.kind != "ibm_snapshot":
            return None
        assert self.backend is not None
        return snapshot_calibration_date(self.backend)

    def content(self) -> dict[str, Any]:
        """Everything that determines the profile's Target and noise, as plain JSON data.

        The file it came from is left out (moving a file changes nothing); for an IBM
        snapshot, whose numbers live in qiskit-ibm-runtime, that package's version is in.
        """
        data = asdict(self)
        data.pop("name")
        data.pop("source")
        data.pop("description")
        data.pop("notes")
        if self.kind == "ibm_snapshot":
            import qiskit_ibm_runtime

            data["qiskit_ibm_runtime"] = qiskit_ibm_runtime.__version__
        return data

    def digest(self) -> str:
        """SHA-256 of :meth:`content`: equal for equal devices, whatever their names or files.

        Every key that a result depends on (job-store requests, study tasks, checkpoints,
        artifacts) holds this digest, so editing a profile in place never returns a result
        computed for the old numbers.
        """
        return strong_id(self.content())

    def provenance(self) -> dict[str, str | None]:
        """Where the profile's numbers come from, for reports and artifacts."""
        if self.kind == "ibm_snapshot":
            import qiskit_ibm_runtime

            return {
                "profile": self.name,
                "kind": self.kind,
                "source": self.source,
                "snapshot": f"qiskit_ibm_runtime.fake_provider.{self.backend}",
                "qiskit_ibm_runtime": qiskit_ibm_runtime.__version__,
                "calibration_date": self.calibration_date(),
            }
        return {
            "profile": self.name,
            "kind": self.kind,
            "source": self.source,
            "snapshot": None,
            "calibration_date": None,
        }


@functools.lru_cache(maxsize=32)
def _build_target(profile: DeviceProfile) -> tuple[Target, FaultReport]:
    if profile.kind == "ibm_snapshot":
        assert profile.backend is not None
        raw = snapshot_target(profile.backend)
    else:
        assert profile.topology is not None
        raw = synthetic_target(
            profile.topology,
            profile.gates,
            t1=profile.t1,
            t2=profile.t2,
            description=f"qattn profile {profile.name}",
        )
    return apply_fault_policy(raw, profile.faults)
