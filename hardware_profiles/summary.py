"""Human-readable summaries of device profiles (``qcompile profiles show``)."""

from __future__ import annotations

from dataclasses import dataclass

import rustworkx as rx
from qiskit.transpiler import Target

from hardware_profiles.medians import CONTROL_FLOW_OPERATIONS, profile_medians
from hardware_profiles.profile import DeviceProfile

__all__ = ["ProfileSummary", "summarize_profile"]


@dataclass(frozen=True)
class ProfileSummary:
    """The figures ``profiles show`` prints: a display object.

    The medians are :func:`~hardware_profiles.medians.profile_medians` (code that computes
    with them calls that function, not this summary).
    """

    name: str
    kind: str
    description: str
    num_qubits: int
    basis: tuple[str, ...]
    two_qubit_gates: tuple[str, ...]
    connectivity: str
    num_couplers: int
    max_degree: int
    median_1q_error: float | None
    median_2q_error: float | None
    median_readout_error: float | None
    median_1q_duration: float | None
    median_2q_duration: float | None
    median_readout_duration: float | None
    median_t1: float | None
    median_t2: float | None
    faults: str
    fault_mode: str
    provenance: dict[str, str | None]
    notes: str

    def render(self) -> str:
        """Multi-line text for a terminal."""

        def fmt(value: float | None, unit: str = "") -> str:
            if value is None:
                return "n/a"
            if unit == "s":
                return _seconds(value)
            return f"{value:.3g}"

        lines = [
            f"{self.name}: {self.description}",
            f"  kind            {self.kind}",
            f"  qubits          {self.num_qubits}",
            f"  basis           {', '.join(self.basis)}",
            f"  2-qubit gates   {', '.join(self.two_qubit_gates) or 'none'}",
            f"  connectivity    {self.connectivity}",
            f"  median error    1q {fmt(self.median_1q_error)}, 2q {fmt(self.median_2q_error)}, "
            f"readout {fmt(self.median_readout_error)}",
            f"  median duration 1q {fmt(self.median_1q_duration, 's')}, "
            f"2q {fmt(self.median_2q_duration, 's')}, "
            f"readout {fmt(self.median_readout_duration, 's')}",
            f"  median T1 / T2  {fmt(self.median_t1, 's')} / {fmt(self.median_t2, 's')}",
            f"  faulty hardware {self.faults} (policy: {self.fault_mode})",
            f"  source          {self.provenance.get('source')}",
        ]
        if self.provenance.get("snapshot"):
            lines.append(
                f"  snapshot        {self.provenance['snapshot']} "
                f"(qiskit-ibm-runtime {self.provenance.get('qiskit_ibm_runtime')}), "
                f"calibrated {self.provenance.get('calibration_date')}"
            )
        else:
            lines.append("  calibration     none (synthetic figures, see notes)")
        if self.notes:
            lines.append(f"  notes           {self.notes}")
        return "\n".join(lines)


def _seconds(value: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return "0" if value == 0 else f"{value:.3g} s"


def _connectivity(profile: DeviceProfile, target: Target) -> tuple[str, int, int]:
    n = target.num_qubits or 0
    graph = rx.PyGraph()
    graph.add_nodes_from(range(n))
    cmap = target.build_coupling_map()
    if cmap is None:
        return "all-to-all (no coupling constraints)", n * (n - 1) // 2, max(n - 1, 0)
    pairs = {(min(a, b), max(a, b)) for a, b in cmap.get_edges()}
    graph.add_edges_from_no_data(sorted(pairs))
    degrees = [graph.degree(q) for q in range(n)]
    max_degree = max(degrees, default=0)
    components = rx.connected_components(graph)
    if profile.topology is not None:
        shape = profile.topology.kind.replace("_", "-")
        if profile.topology.kind == "grid":
            shape = f"{profile.topology.rows}x{profile.topology.cols} square grid"
        elif profile.topology.kind == "heavy_hex":
            shape = f"heavy-hex, distance {profile.topology.distance}"
    elif len(pairs) == n * (n - 1) // 2:
        shape = "all-to-all"
    else:
        shape = "coupling graph"
    text = f"{shape}: {len(pairs)} couplers, max degree {max_degree}"
    if len(components) > 1:
        sizes = sorted((len(c) for c in components), reverse=True)
        text += f", {len(components)} connected components (sizes {sizes[:6]})"
    return text, len(pairs), max_degree


def summarize_profile(profile: DeviceProfile) -> ProfileSummary:
    """Computes the figures of ``qcompile profiles show NAME`` from the profile's Target.

    Args:
        profile: the profile to summarize.
    """
    target = profile.target()
    medians = profile_medians(profile)
    names = [n for n in target.operation_names if n not in CONTROL_FLOW_OPERATIONS]
    two_qubit = sorted(n for n in names if any(q is not None and len(q) == 2 for q in target[n]))
    connectivity, couplers, degree = _connectivity(profile, target)
    return ProfileSummary(
        name=profile.name,
        kind=profile.kind,
        description=profile.description,
        num_qubits=target.num_qubits or 0,
        basis=tuple(sorted(names)),
        two_qubit_gates=tuple(two_qubit),
        connectivity=connectivity,
        num_couplers=couplers,
        max_degree=degree,
        median_1q_error=medians.error_1q,
        median_2q_error=medians.error_2q,
        median_readout_error=medians.error_readout,
        median_1q_duration=medians.duration_1q,
        median_2q_duration=medians.duration_2q,
        median_readout_duration=medians.duration_readout,
        median_t1=medians.t1,
        median_t2=medians.t2,
        faults=profile.fault_report().describe(),
        fault_mode=profile.faults.mode,
        provenance=profile.provenance(),
        notes=profile.notes,
    )
