"""Compiling for a Clifford+T (fault-tolerant) device: Qiskit's Clifford+T pipeline, gridsynth.

A fault-tolerant profile's Target holds only Clifford gates and ``t``/``tdg``, so every
rotation must be approximated. :func:`clifford_t_pass_manager` is Qiskit's Clifford+T preset
pass manager (:func:`qiskit.transpiler.generate_preset_clifford_t_pass_manager`): it translates
to Clifford+RZ, optimizes there, then replaces each remaining ``RZ(θ)`` by a Clifford+T sequence
from the Ross–Selinger (gridsynth) algorithm (:class:`qiskit.transpiler.passes.
SynthesizeRZRotations`, the same synthesis as :func:`qiskit.synthesis.gridsynth_rz`), with a
stated accuracy (:data:`RZ_SYNTHESIS_ERROR`), and optimizes the Clifford+T circuit.

On an all-to-all device no placement needs routing, and when every qubit has the same error
rates (as in the fault-tolerant profiles) every placement costs the same: there
:class:`AllToAllLayout` places logical qubit ``i`` on the ``i``-th usable qubit instead of
running VF2Layout, which on a 128-qubit complete graph searches for seconds among equivalent
placements. Other Clifford+T targets get Qiskit's default, error-aware layout stage.

References:
    N. J. Ross, P. Selinger, "Optimal ancilla-free Clifford+T approximation of
    z-rotations", arXiv:1403.2975.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qiskit.transpiler import (
    AnalysisPass,
    Layout,
    PassManager,
    Target,
    generate_preset_clifford_t_pass_manager,
    generate_preset_pass_manager,
)
from qiskit.transpiler.passes import ApplyLayout, EnlargeWithAncilla, FullAncillaAllocation
from qiskit.transpiler.passes.layout.vf2_layout import VF2LayoutStopReason
from qiskit.transpiler.preset_passmanagers.common import is_clifford_t_basis

from hardware_profiles.errors import CompileError
from hardware_profiles.faults import usable_qubits

if TYPE_CHECKING:
    from qiskit.dagcircuit import DAGCircuit
    from qiskit.transpiler import StagedPassManager

    from qcompile.pipeline import CompileOptions

__all__ = [
    "RZ_SYNTHESIS_ERROR",
    "AllToAllLayout",
    "clifford_t_pass_manager",
    "has_uniform_errors",
    "is_all_to_all",
    "is_clifford_t_target",
]

RZ_SYNTHESIS_ERROR = 1e-10
"""Default accuracy of each synthesized rotation: the operator-norm distance, up to global phase,
between ``RZ(θ)`` and its Clifford+T sequence is at most this. About 100 T gates per rotation.

It is the largest error at which the exact equivalence proof (QCEC) still accepts a compiled
circuit (measured on QFT4: 1e-8 is refused). A circuit with ``r`` synthesized rotations is within
``r`` times this of its input (triangle inequality). ``CompileOptions.rz_synthesis_error``
overrides it.
"""

_CACHE_SHARE = 0.1
"""Share of the error budget Qiskit may spend reusing the synthesis of a nearby angle."""


def is_clifford_t_target(target: Target) -> bool:
    """Whether ``target``'s gates are Clifford+T only (what Qiskit compiles with gridsynth)."""
    return bool(is_clifford_t_basis(target=target))


def is_all_to_all(target: Target) -> bool:
    """Whether every pair of usable qubits has a two-qubit gate in ``target`` (either way)."""
    usable = usable_qubits(target)
    pairs: set[tuple[int, int]] = set()
    for qargs in target.qargs or ():
        if qargs is not None and len(qargs) == 2:
            pairs.add((min(qargs), max(qargs)))
    n = len(usable)
    needed = n * (n - 1) // 2
    if len(pairs) < needed:
        return False
    return all((a, b) in pairs for i, a in enumerate(usable) for b in usable[i + 1 :])


def has_uniform_errors(target: Target) -> bool:
    """Whether every instruction has one error rate on all the qubits it acts on."""
    for name in target.operation_names:
        errors = {
            properties.error
            for properties in target[name].values()
            if properties is not None and properties.error is not None
        }
        if len(errors) > 1:
            return False
    return True


class AllToAllLayout(AnalysisPass):
    """Places circuit qubit ``i`` on the ``i``-th usable qubit of an all-to-all target.

    Every placement on an all-to-all device needs no routing; with uniform error rates (as in
    every fault-tolerant profile) every placement also costs the same, so this layout is as good
    as VF2Layout's and takes no search. It records that a perfect layout was found, so the
    routing stage does not search again (VF2PostLayout).
    """

    def __init__(self, target: Target) -> None:
        super().__init__()
        self.target = target

    def run(self, dag: DAGCircuit) -> None:
        """Sets ``layout`` in the property set."""
        usable = usable_qubits(self.target)
        if dag.num_qubits() > len(usable):
            raise CompileError(
                f"circuit needs {dag.num_qubits()} qubits, the device has {len(usable)} usable"
            )
        layout = Layout({qubit: usable[i] for i, qubit in enumerate(dag.qubits)})
        for register in dag.qregs.values():
            layout.add_register(register)
        self.property_set["layout"] = layout
        self.property_set["VF2Layout_stop_reason"] = VF2LayoutStopReason.SOLUTION_FOUND


def clifford_t_pass_manager(
    target: Target,
    options: CompileOptions,
    *,
    initial_layout: Layout | None = None,
) -> StagedPassManager:
    """Qiskit's Clifford+T preset pass manager for ``target``, rotations by gridsynth.

    Args:
        target: a Clifford+T Target (:func:`is_clifford_t_target`).
        options: compile options; ``rz_synthesis_error`` is each rotation's accuracy.
            ``layout_method`` / ``routing_method`` replace the layout / routing stage with
            that of Qiskit's general preset pass manager.
        initial_layout: a fixed initial layout. Defaults to None: :class:`AllToAllLayout` on
            an all-to-all target with uniform error rates, otherwise Qiskit's default layout
            stage.

    Returns:
        The staged pass manager (stages ``init``, ``layout``, ``routing``, ``rz_translation``,
        ``rz_optimization``, ``t_translation``, ``t_optimization``, ``scheduling``).

    Raises:
        CompileError: ``rz_synthesis_error`` above :data:`RZ_SYNTHESIS_ERROR` while the
            equivalence check is on (its exact proof would refuse the result).
    """
    error = options.rz_synthesis_error
    if error > RZ_SYNTHESIS_ERROR and options.equivalence_max_qubits:
        raise CompileError(
            f"rz_synthesis_error {error:g} > {RZ_SYNTHESIS_ERROR:g}: the exact equivalence proof "
            "refuses such approximations; set equivalence_max_qubits=0 as well"
        )
    pass_manager = generate_preset_clifford_t_pass_manager(
        optimization_level=options.optimization_level,
        target=target,
        seed_transpiler=options.seed,
        initial_layout=initial_layout,
        rz_synthesis_config={
            "rz_synthesis_error": error * (1 - _CACHE_SHARE),
            "rz_cache_error": error * _CACHE_SHARE,
        },
    )
    if options.layout_method is not None or options.routing_method is not None:
        general = generate_preset_pass_manager(
            optimization_level=options.optimization_level,
            target=target,
            seed_transpiler=options.seed,
            initial_layout=initial_layout,
            layout_method=options.layout_method,
            routing_method=options.routing_method,
        )
        if options.layout_method is not None:
            pass_manager.layout = general.layout
        if options.routing_method is not None:
            pass_manager.routing = general.routing
    if (
        options.layout_method is None
        and initial_layout is None
        and is_all_to_all(target)
        and has_uniform_errors(target)
    ):
        pass_manager.layout = PassManager(
            [
                AllToAllLayout(target),
                FullAncillaAllocation(target),
                EnlargeWithAncilla(),
                ApplyLayout(),
            ]
        )
    return pass_manager
