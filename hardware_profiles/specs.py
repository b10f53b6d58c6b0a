"""The parts of a device profile: fault policy, native gates, topology, logical model.

Each part validates itself in ``__post_init__`` and raises a :class:`ProfileError` that names
the TOML field; :class:`~hardware_profiles.profile.DeviceProfile` composes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hardware_profiles.errors import ProfileError
from hardware_profiles.native_gates import native_operation

__all__ = [
    "FaultMode",
    "FaultPolicy",
    "GateSpec",
    "LogicalSpec",
    "TopologyKind",
    "TopologySpec",
]

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
            and routing cannot use them, and removes faulty qubits entirely (no
            instruction of any kind is left on them; compiling never places a circuit
            qubit there, and a circuit wider than the remaining qubits is refused).
            ``"penalize"`` keeps them with error 1.0, so noise-aware layout passes avoid
            them where they can and the success estimate shows the cost; routing may
            still use them, and the compile report lists any it used. ``"keep"`` leaves
            the snapshot as is (the report still lists faulty hardware used).
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
