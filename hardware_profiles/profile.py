"""The device profile: a validated, named description of a device that yields a Target."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from qiskit.transpiler import Target

from hardware_profiles.errors import ProfileError
from hardware_profiles.identity import strong_id

if TYPE_CHECKING:
    from hardware_profiles.faults import FaultReport

__all__ = [
    "DeviceProfile",
    "FaultPolicy",
    "GateSpec",
    "LogicalSpec",
    "ProfileKind",
    "TopologySpec",
]

ProfileKind = Literal["ibm_snapshot", "synthetic", "fault_tolerant"]
FaultMode = Literal["exclude", "penalize", "keep"]
TopologyKind = Literal["all_to_all", "grid", "heavy_hex", "line"]


def _check_probability(owner: str, name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ProfileError(f"{owner}.{name} must be in [0, 1], got {value!r}")


@dataclass(frozen=True)
class FaultPolicy:
    """What to do with dead or near-dead hardware listed in a calibration snapshot.

    Calibration snapshots mark broken couplers with error 1.0 but still list them as
    usable, and qiskit's routing will happily send gates through them. A coupler whose
    error is at or above ``max_two_qubit_error`` is faulty; so is a qubit whose readout
    or single-qubit error is at or above its threshold (every coupler touching it is
    then faulty too).

    Attributes:
        mode: ``"exclude"`` (default) removes faulty couplers from the Target so layout
            and routing cannot use them, and leaves faulty qubits isolated (their
            single-qubit gates stay so the Target remains complete, but no 2-qubit gate
            reaches them). ``"penalize"`` keeps them with error 1.0, so noise-aware
            layout passes avoid them where they can and the success estimate shows the
            cost; routing may still use them. ``"keep"`` leaves the snapshot as is.
        max_two_qubit_error: threshold for couplers. Defaults to 0.5.
        max_one_qubit_error: threshold for single-qubit gates. Defaults to 0.5.
        max_readout_error: threshold for readout. Defaults to 0.5.
    """

    mode: FaultMode = "exclude"
    max_two_qubit_error: float = 0.5
    max_one_qubit_error: float = 0.5
    max_readout_error: float = 0.5

    def __post_init__(self) -> None:
        if self.mode not in ("exclude", "penalize", "keep"):
            raise ProfileError(
                f"faults.mode must be one of exclude, penalize, keep; got {self.mode!r}"
            )
        for name in ("max_two_qubit_error", "max_one_qubit_error", "max_readout_error"):
            _check_probability("faults", name, getattr(self, name))


@dataclass(frozen=True)
class GateSpec:
    """One native instruction of a synthetic profile, applied uniformly to all qargs.

    Attributes:
        name: a Qiskit standard gate name (``rz``, ``sx``, ``cz``, ``rzz``...) or
            ``measure``/``reset``/``delay``.
        error: error probability per application (0 for virtual gates).
        duration: seconds per application (0 for virtual gates).
    """

    name: str
    error: float
    duration: float

    def __post_init__(self) -> None:
        from hardware_profiles.synthetic import native_operation

        native_operation(self.name)
        _check_probability(f"gates.{self.name}", "error", self.error)
        if self.duration < 0:
            raise ProfileError(f"gates.{self.name}.duration must be >= 0, got {self.duration!r}")


@dataclass(frozen=True)
class TopologySpec:
    """Connectivity of a synthetic profile.

    Attributes:
        kind: ``all_to_all``, ``grid`` (rows × cols square lattice), ``heavy_hex``
            (IBM's heavy-hex lattice of code distance ``distance``, odd) or ``line``.
        num_qubits: qubit count; derived for ``grid`` and ``heavy_hex``.
        rows: grid rows.
        cols: grid columns.
        distance: heavy-hex distance (odd); qubits = (5d² − 2d − 1) / 2.
    """

    kind: TopologyKind
    num_qubits: int
    rows: int | None = None
    cols: int | None = None
    distance: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("all_to_all", "grid", "heavy_hex", "line"):
            raise ProfileError(
                f"topology.kind must be one of all_to_all, grid, heavy_hex, line; got {self.kind!r}"
            )
        if self.num_qubits < 1:
            raise ProfileError(f"topology.num_qubits must be >= 1, got {self.num_qubits}")


@dataclass(frozen=True)
class LogicalSpec:
    """The error-correction model behind a fault-tolerant logical profile.

    Attributes:
        code: the code family, e.g. ``surface``.
        code_distance: code distance d.
        physical_error_rate: physical error rate per operation p.
        cycle_time: seconds per syndrome-extraction cycle.
    """

    code: str
    code_distance: int
    physical_error_rate: float
    cycle_time: float

    def __post_init__(self) -> None:
        if self.code_distance < 1 or self.code_distance % 2 == 0:
            raise ProfileError(
                f"logical.code_distance must be a positive odd integer, got {self.code_distance}"
            )
        _check_probability("logical", "physical_error_rate", self.physical_error_rate)
        if self.cycle_time <= 0:
            raise ProfileError(f"logical.cycle_time must be > 0, got {self.cycle_time!r}")


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
        from hardware_profiles.ibm_snapshot import snapshot_calibration_date

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
    from hardware_profiles.faults import apply_fault_policy

    if profile.kind == "ibm_snapshot":
        from hardware_profiles.ibm_snapshot import snapshot_target

        assert profile.backend is not None
        raw = snapshot_target(profile.backend)
    else:
        from hardware_profiles.synthetic import synthetic_target

        assert profile.topology is not None
        raw = synthetic_target(profile)
    return apply_fault_policy(raw, profile.faults)
