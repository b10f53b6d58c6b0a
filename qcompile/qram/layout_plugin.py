"""The tree layout as a Qiskit layout-stage plugin: ``layout_method="qram_tree"``.

Installed through the ``qiskit.transpiler.layout`` entry point, so any preset pass manager
picks it up::

    pm = generate_preset_pass_manager(3, target=target, layout_method="qram_tree")

The stage seeds Qiskit's own :class:`~qiskit.transpiler.passes.SabreLayout` with the tree
embeddings of :func:`~qcompile.qram.tree_layout.tree_layouts` (its ``sabre_starting_layouts``
property) on top of the usual random trials, with the preset level's iteration and trial counts
and seed. Sabre keeps whichever start routes with the fewest SWAPs, so with the same seed the
stage never routes with more SWAPs than Qiskit's default Sabre layout; the tree starts are what
it adds. Unlike the default O3 stage it does not try ``VF2Layout`` first (a bucket brigade's
interaction graph has triangles and never embeds without SWAPs). A user ``initial_layout`` is
used as given.
"""

from __future__ import annotations

from typing import Any

from qiskit.converters import dag_to_circuit
from qiskit.dagcircuit import DAGCircuit
from qiskit.passmanager.flow_controllers import ConditionalController
from qiskit.transpiler import CouplingMap, Layout, PassManager, Target
from qiskit.transpiler.basepasses import AnalysisPass
from qiskit.transpiler.passes import BarrierBeforeFinalMeasurements, SabreLayout, SetLayout
from qiskit.transpiler.passmanager_config import PassManagerConfig
from qiskit.transpiler.preset_passmanagers import common
from qiskit.transpiler.preset_passmanagers.plugin import PassManagerStagePlugin

from hardware_profiles.errors import CompileError
from qcompile.qram.tree_layout import tree_layouts

__all__ = ["TreeLayoutPlugin", "TreeStartingLayouts"]

_SABRE_SETTINGS = {0: (1, 5), 1: (2, 5), 2: (2, 10), 3: (4, 20)}
"""Preset level -> (Sabre max_iterations, layout/swap trials), as in Qiskit's sabre stage."""


class TreeStartingLayouts(AnalysisPass):
    """Store the best tree embeddings in ``property_set["sabre_starting_layouts"]``.

    Circuits wider than the device's connected qubits are left alone (Sabre then raises its
    own error).
    """

    def __init__(self, coupling: Target | CouplingMap, candidates: int = 6, seed: int = 0):
        """Create the pass.

        Args:
            coupling: The device (its coupling graph is what matters).
            candidates: How many tree layouts to hand to Sabre. Defaults to 6.
            seed: Seed of the tree layouts' non-central starts. Defaults to 0.
        """
        super().__init__()
        self.coupling = coupling
        self.candidates = candidates
        self.seed = seed

    def run(self, dag: DAGCircuit) -> None:
        """Compute the candidates for ``dag``."""
        if dag.num_qubits() < 2 or self.candidates < 1:
            return
        circuit = dag_to_circuit(dag)
        try:
            found = tree_layouts(
                circuit, self.coupling, starts=max(12, self.candidates), seed=self.seed
            )
        except CompileError:
            return
        by_index = dict(zip(circuit.qubits, dag.qubits, strict=True))
        rank = _component_rank(self.coupling)
        starts = []
        for layout in found[: self.candidates]:
            physical = {by_index[q]: layout[q] for q in circuit.qubits}
            if rank is not None:
                if any(p not in rank for p in physical.values()):
                    continue
                physical = {v: rank[p] for v, p in physical.items()}
            starts.append(Layout(physical))
        self.property_set["sabre_starting_layouts"] = starts


def _component_rank(coupling: Target | CouplingMap) -> dict[int, int] | None:
    """None for a connected device; else physical qubit -> rank in the largest component.

    On a disconnected device (e.g. heron_r2, whose dead couplers isolate two qubits) Qiskit's
    Sabre lays out per connected component and reads starting layouts in the component's own
    numbering (an index past the component's size panics), so the starts are translated; the
    tree layouts never leave the largest component.
    """
    import rustworkx as rx

    cmap = coupling if isinstance(coupling, CouplingMap) else coupling.build_coupling_map()
    if cmap is None:
        return None
    components = [sorted(c) for c in rx.connected_components(cmap.graph.to_undirected())]
    if len(components) <= 1:
        return None
    largest = max(components, key=lambda c: len(c))
    return {p: k for k, p in enumerate(largest)}


class TreeLayoutPlugin(PassManagerStagePlugin):
    """Layout stage ``qram_tree``: Sabre layout seeded with tree embeddings, then embedding."""

    def pass_manager(
        self, pass_manager_config: PassManagerConfig, optimization_level: int | None = None
    ) -> PassManager:
        """The layout stage for ``pass_manager_config`` at ``optimization_level``."""
        config: Any = pass_manager_config
        coupling = config.target if config.target is not None else config.coupling_map
        layout = PassManager()
        layout.append(SetLayout(config.initial_layout))
        if coupling is None:
            return layout
        iterations, trials = _SABRE_SETTINGS.get(optimization_level or 0, (4, 20))
        sabre = SabreLayout(
            coupling,
            max_iterations=iterations,
            seed=config.seed_transpiler,
            swap_trials=trials,
            layout_trials=trials,
            skip_routing=config.routing_method not in (None, "default", "sabre"),
        )
        seed = config.seed_transpiler if config.seed_transpiler is not None else 0
        layout.append(
            ConditionalController(
                [
                    BarrierBeforeFinalMeasurements(
                        "qiskit.transpiler.internal.routing.protection.barrier"
                    ),
                    TreeStartingLayouts(coupling, seed=max(int(seed), 0)),
                    sabre,
                ],
                condition=lambda props: not props["layout"],
            )
        )
        embed = common.generate_embed_passmanager(coupling)
        layout.append(
            ConditionalController(
                embed.to_flow_controller(), condition=lambda props: props["final_layout"] is None
            )
        )
        return layout
