"""Reading device profiles from TOML files, with one-line errors that name the field."""

from __future__ import annotations

import math
import os
import tomllib
from pathlib import Path
from typing import Any

from hardware_profiles.defaults import DEFAULT_PROFILE
from hardware_profiles.errors import ProfileError
from hardware_profiles.profile import DeviceProfile
from hardware_profiles.specs import FaultPolicy, GateSpec, LogicalSpec, TopologySpec

__all__ = [
    "BUILTIN_PROFILE_DIR",
    "DEFAULT_PROFILE",
    "MAX_ALL_TO_ALL_QUBITS",
    "MAX_PROFILE_BYTES",
    "MAX_PROFILE_QUBITS",
    "PROFILE_PATH_ENV",
    "list_profiles",
    "load_profile",
    "parse_profile",
]

BUILTIN_PROFILE_DIR = Path(__file__).parent / "data"
PROFILE_PATH_ENV = "QATTN_PROFILE_PATH"

MAX_PROFILE_QUBITS = 1 << 16
"""The most qubits a profile's topology may have (65,536; ``heavy_hex_1k`` has 1,081). Its
Target is built in memory, so a larger lattice would exhaust it."""

MAX_ALL_TO_ALL_QUBITS = 512
"""The most qubits of an ``all_to_all`` topology, whose Target holds every ordered pair."""

MAX_PROFILE_BYTES = 1024 * 1024
"""The largest profile TOML file read (1 MiB)."""

_TABLES: dict[str, set[str]] = {
    "profile": {"name", "kind", "description", "notes"},
    "snapshot": {"backend"},
    "faults": {"mode", "max_two_qubit_error", "max_one_qubit_error", "max_readout_error"},
    "topology": {"kind", "num_qubits", "rows", "cols", "distance"},
    "coherence": {"t1", "t2"},
    "gates": set(),  # gate names are free; each is a table of error, duration
    "logical": {"code", "code_distance", "physical_error_rate", "cycle_time"},
}


class _Fields:
    """Typed access to a parsed TOML document, naming the field in every error."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def table(self, name: str, required: bool = False) -> dict[str, Any] | None:
        value = self.doc.get(name)
        if value is None:
            if required:
                raise ProfileError(f"missing table [{name}]")
            return None
        if not isinstance(value, dict):
            raise ProfileError(f"{name} must be a table, got {type(value).__name__}")
        return value

    @staticmethod
    def str_(table: dict[str, Any], owner: str, key: str, default: str | None = None) -> str:
        value = table.get(key, default)
        if value is None:
            raise ProfileError(f"missing field {owner}.{key}")
        if not isinstance(value, str):
            raise ProfileError(f"{owner}.{key} must be a string, got {value!r}")
        return value

    @staticmethod
    def num(
        table: dict[str, Any], owner: str, key: str, default: float | None = None
    ) -> float | None:
        value = table.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProfileError(f"{owner}.{key} must be a number, got {value!r:.40}")
        if not math.isfinite(value):
            raise ProfileError(f"{owner}.{key} must be a finite number, got {value!r}")
        return float(value)

    @staticmethod
    def int_(table: dict[str, Any], owner: str, key: str) -> int | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProfileError(f"{owner}.{key} must be an integer, got {value!r}")
        return value


def _require(value: float | None, field: str) -> float:
    if value is None:
        raise ProfileError(f"missing field {field}")
    return value


def parse_profile(doc: dict[str, Any], source: str) -> DeviceProfile:
    """Builds a validated profile from a parsed TOML document.

    Args:
        doc: the parsed document.
        source: where it came from, recorded in the profile.

    Raises:
        ProfileError: naming the first bad or missing field.
    """
    for key, value in doc.items():
        if key not in _TABLES:
            raise ProfileError(f"unknown table [{key}] (known: {', '.join(sorted(_TABLES))})")
        if key != "gates" and isinstance(value, dict):
            for sub in value:
                if sub not in _TABLES[key]:
                    raise ProfileError(
                        f"unknown field {key}.{sub} (known: {', '.join(sorted(_TABLES[key]))})"
                    )
    f = _Fields(doc)
    head = f.table("profile", required=True)
    assert head is not None
    name = f.str_(head, "profile", "name")
    kind = f.str_(head, "profile", "kind")

    faults = FaultPolicy()
    faults_table = f.table("faults")
    if faults_table is not None:
        defaults = FaultPolicy()
        faults = FaultPolicy(
            mode=f.str_(faults_table, "faults", "mode", defaults.mode),  # type: ignore[arg-type]
            max_two_qubit_error=_require(
                f.num(faults_table, "faults", "max_two_qubit_error", defaults.max_two_qubit_error),
                "faults.max_two_qubit_error",
            ),
            max_one_qubit_error=_require(
                f.num(faults_table, "faults", "max_one_qubit_error", defaults.max_one_qubit_error),
                "faults.max_one_qubit_error",
            ),
            max_readout_error=_require(
                f.num(faults_table, "faults", "max_readout_error", defaults.max_readout_error),
                "faults.max_readout_error",
            ),
        )

    backend = None
    snapshot = f.table("snapshot", required=kind == "ibm_snapshot")
    if snapshot is not None:
        backend = f.str_(snapshot, "snapshot", "backend")

    topology = None
    topo = f.table("topology")
    if topo is not None:
        topology = _parse_topology(f, topo)

    gates: list[GateSpec] = []
    gates_table = f.table("gates")
    for gate_name, spec in (gates_table or {}).items():
        owner = f"gates.{gate_name}"
        if not isinstance(spec, dict):
            raise ProfileError(f"{owner} must be a table with error and duration")
        for sub in spec:
            if sub not in ("error", "duration"):
                raise ProfileError(f"unknown field {owner}.{sub} (known: duration, error)")
        gates.append(
            GateSpec(
                name=gate_name,
                error=_require(f.num(spec, owner, "error"), f"{owner}.error"),
                duration=_require(f.num(spec, owner, "duration"), f"{owner}.duration"),
            )
        )

    t1 = t2 = None
    coherence = f.table("coherence")
    if coherence is not None:
        t1 = f.num(coherence, "coherence", "t1")
        t2 = f.num(coherence, "coherence", "t2")
        for key, value in (("t1", t1), ("t2", t2)):
            if value is not None and value <= 0:
                raise ProfileError(f"coherence.{key} must be > 0, got {value!r}")

    logical = None
    logical_table = f.table("logical")
    if logical_table is not None:
        distance = f.int_(logical_table, "logical", "code_distance")
        logical = LogicalSpec(
            code=f.str_(logical_table, "logical", "code", "surface"),
            code_distance=int(_require(distance, "logical.code_distance")),
            physical_error_rate=_require(
                f.num(logical_table, "logical", "physical_error_rate"),
                "logical.physical_error_rate",
            ),
            cycle_time=_require(
                f.num(logical_table, "logical", "cycle_time"), "logical.cycle_time"
            ),
        )

    return DeviceProfile(
        name=name,
        kind=kind,  # type: ignore[arg-type]
        description=f.str_(head, "profile", "description", ""),
        notes=f.str_(head, "profile", "notes", ""),
        source=source,
        faults=faults,
        backend=backend,
        topology=topology,
        gates=tuple(gates),
        t1=t1,
        t2=t2,
        logical=logical,
    )


def _parse_topology(f: _Fields, topo: dict[str, Any]) -> TopologySpec:
    kind = f.str_(topo, "topology", "kind")
    rows = f.int_(topo, "topology", "rows")
    cols = f.int_(topo, "topology", "cols")
    distance = f.int_(topo, "topology", "distance")
    num_qubits = f.int_(topo, "topology", "num_qubits")
    if kind == "grid":
        if rows is None or cols is None or rows < 1 or cols < 1:
            raise ProfileError("topology.rows and topology.cols must be positive for a grid")
        derived = rows * cols
    elif kind == "heavy_hex":
        if distance is None or distance < 3 or distance % 2 == 0:
            raise ProfileError(
                f"topology.distance must be an odd integer >= 3 for heavy_hex, got {distance!r}"
            )
        derived = (5 * distance * distance - 2 * distance - 1) // 2
    else:
        if num_qubits is None:
            raise ProfileError(f"missing field topology.num_qubits (required for {kind})")
        derived = num_qubits
    if num_qubits is not None and num_qubits != derived:
        raise ProfileError(
            f"topology.num_qubits = {num_qubits} does not match the {kind} lattice ({derived})"
        )
    # Checked before any Target is built: its size grows with the qubits (and, all to all,
    # with their square), and an absurd lattice would exhaust memory instead of failing.
    limit = MAX_ALL_TO_ALL_QUBITS if kind == "all_to_all" else MAX_PROFILE_QUBITS
    if derived > limit:
        shown = f"{derived:,}" if derived < 1 << 64 else "more than 2^64"
        raise ProfileError(
            f"the {kind} topology has {shown} qubits, more than the limit of {limit:,}"
        )
    return TopologySpec(
        kind=kind,  # type: ignore[arg-type]
        num_qubits=derived,
        rows=rows,
        cols=cols,
        distance=distance,
    )


def _read(path: Path) -> DeviceProfile:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read profile ({exc.strerror or exc})") from None
    if len(data) > MAX_PROFILE_BYTES:
        raise ProfileError(f"{path}: profile exceeds the limit of {MAX_PROFILE_BYTES:,} bytes")
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProfileError(f"{path}: invalid TOML: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ProfileError(f"{path}: invalid TOML: nested too deeply") from None
    try:
        return parse_profile(doc, source=str(path))
    except ProfileError as exc:
        raise ProfileError(f"{path}: {exc}") from None


def _search_dirs() -> list[Path]:
    extra = os.environ.get(PROFILE_PATH_ENV, "")
    dirs = [Path(p) for p in extra.split(os.pathsep) if p]
    return [*dirs, BUILTIN_PROFILE_DIR]


def _profile_files() -> dict[str, Path]:
    """Profile name (file stem) → file; earlier search directories win."""
    found: dict[str, Path] = {}
    for directory in _search_dirs():
        if directory.is_dir():
            for path in sorted(directory.glob("*.toml")):
                found.setdefault(path.stem, path)
    return found


def load_profile(name_or_path: str | os.PathLike[str] = DEFAULT_PROFILE) -> DeviceProfile:
    """Loads a profile by name or from a TOML file.

    Names are looked up in the directories of ``$QATTN_PROFILE_PATH`` (``os.pathsep``
    separated) and then among the built-in profiles. Defaults to ``heron_r2``.

    Args:
        name_or_path: a profile name such as ``heron_r2``, or a path to a ``.toml`` file.

    Raises:
        ProfileError: unknown name, unreadable or invalid file (one line, names the field).
    """
    text = os.fspath(name_or_path)
    if text.endswith(".toml") or os.sep in text:
        return _read(Path(text))
    files = _profile_files()
    if text not in files:
        known = ", ".join(sorted(files)) or "none"
        raise ProfileError(f"unknown profile {text!r} (known: {known})")
    profile = _read(files[text])
    if profile.name != text:
        raise ProfileError(
            f"{files[text]}: profile.name = {profile.name!r} must match the file name {text!r}"
        )
    return profile


def list_profiles() -> list[DeviceProfile]:
    """Every profile found on the search path, sorted by name."""
    return [load_profile(str(path)) for _, path in sorted(_profile_files().items())]
