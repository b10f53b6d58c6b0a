"""A simple surface-code cost model: code distance, physical qubits and runtime.

Model (stated, deliberately simple; :mod:`qcompile.estimate.qdk_compare` runs Microsoft's
resource estimator beside it on the same circuits):

* Logical error per logical qubit per code cycle ``p_L(d) = 0.1 (p / p_th)^((d + 1) / 2)``
  with threshold ``p_th = 1e-2``.
* Each arbitrary rotation is synthesised to precision ``eps`` with
  ``ceil(3 log2(1/eps)) + 4`` T gates (Ross-Selinger, arXiv:1403.2975).
* The error budget is split in three equal parts: rotation synthesis, logical (memory)
  errors, magic-state distillation.
* Each T layer takes ``d`` code cycles (lattice surgery). A 15-to-1 factory
  (Bravyi-Kitaev, arXiv:quant-ph/0403025) turns 15 states of error ``q`` into one of error
  ``35 q^3``; levels are stacked from injected states of error ``p`` until the per-state error
  times the T-count fits its budget. A level-``l`` factory occupies ``16 + 15 x`` (level
  ``l - 1``) tiles, starting from 16, and outputs one state per ``6 d`` cycles.
* Factories: enough to keep pace with the T-depth, at most ``max_factories``. Runtime:
  ``max(T-depth, 6 T-count / F) x d`` cycles x cycle time.
* Physical qubits: ``2 d^2`` per logical qubit (data + measurement) plus the factories'
  tiles at ``2 d^2`` each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hardware_profiles.specs import LogicalSpec

__all__ = [
    "SurfaceCodeEstimate",
    "SurfaceCodeModel",
    "estimate_surface_code",
    "logical_error_rate",
    "rotation_t_count",
]


def logical_error_rate(distance: int, physical_error: float, threshold: float = 1e-2) -> float:
    """``0.1 (p / p_th)^((d + 1) / 2)``: logical error per qubit per code cycle."""
    return 0.1 * (physical_error / threshold) ** ((distance + 1) / 2)


def rotation_t_count(eps: float) -> int:
    """T gates for one arbitrary rotation to precision ``eps``: ``ceil(3 log2(1/eps)) + 4``."""
    if not 0 < eps < 1:
        raise ValueError(f"eps must be in (0, 1), got {eps}")
    return math.ceil(3 * math.log2(1 / eps)) + 4


@dataclass(frozen=True)
class SurfaceCodeModel:
    """Parameters of the model in the module docstring.

    Attributes:
        physical_error: ``p``. Defaults to 1e-3.
        cycle_time_s: Code cycle. Defaults to 1 us.
        error_budget: Total failure probability allowed. Defaults to 1e-2.
        threshold: ``p_th``. Defaults to 1e-2.
        max_factories: Cap on the number of factories. Defaults to 64.
    """

    physical_error: float = 1e-3
    cycle_time_s: float = 1e-6
    error_budget: float = 1e-2
    threshold: float = 1e-2
    max_factories: int = 64

    def __post_init__(self) -> None:
        if not 0 < self.physical_error < self.threshold:
            raise ValueError("physical error must be in (0, threshold)")
        if not 0 < self.error_budget < 1 or self.cycle_time_s <= 0 or self.max_factories < 1:
            raise ValueError(f"invalid surface-code model {self}")

    @classmethod
    def of_logical(cls, logical: LogicalSpec) -> SurfaceCodeModel:
        """The model of a fault-tolerant profile's ``[logical]`` table.

        A zero physical error rate takes the default (the model needs ``p > 0``).
        """
        default = cls()
        return cls(
            physical_error=logical.physical_error_rate or default.physical_error,
            cycle_time_s=logical.cycle_time or default.cycle_time_s,
        )


@dataclass(frozen=True)
class SurfaceCodeEstimate:
    """What the model gives for one algorithm.

    Attributes:
        logical_qubits: Algorithm logical qubits.
        t_count: T gates, rotation synthesis included.
        t_depth: T layers (an upper bound when given as one).
        rotation_eps: Synthesis precision per rotation.
        t_per_rotation: T gates per rotation.
        distance: Code distance (odd).
        distillation_levels: 15-to-1 levels.
        factories: Number of factories.
        factory_tiles: Logical tiles of one factory.
        physical_qubits: Data plus factory physical qubits.
        runtime_s: Wall-clock runtime.
        logical_error: Memory failure probability at ``distance``.
    """

    logical_qubits: int
    t_count: int
    t_depth: int
    rotation_eps: float
    t_per_rotation: int
    distance: int
    distillation_levels: int
    factories: int
    factory_tiles: int
    physical_qubits: int
    runtime_s: float
    logical_error: float


def _runtime_layers(t_count: int, t_depth: int, factories: int) -> int:
    return max(t_depth, math.ceil(6 * t_count / factories), 1)


def estimate_surface_code(
    logical_qubits: int,
    t_gates: int,
    rotations: int,
    t_depth: int,
    model: SurfaceCodeModel | None = None,
) -> SurfaceCodeEstimate:
    """Distance, physical qubits and runtime of an algorithm under :class:`SurfaceCodeModel`.

    Args:
        logical_qubits: Algorithm logical qubits.
        t_gates: T gates other than rotation synthesis (e.g. ``7 x`` Toffolis).
        rotations: Arbitrary-angle rotations (each synthesised).
        t_depth: T layers, rotation layers included (caller's bound).
        model: The model. Defaults to ``SurfaceCodeModel()``.

    Returns:
        The estimate; the distance is the smallest odd one meeting the memory budget.
    """
    model = model or SurfaceCodeModel()
    part = model.error_budget / 3
    eps = part / max(rotations, 1)
    per_rot = rotation_t_count(eps) if rotations else 0
    t_count = t_gates + rotations * per_rot
    levels, q, tiles = 0, model.physical_error, 0
    while t_count and q * t_count > part:
        levels, q, tiles = levels + 1, 35 * q**3, 16 + 15 * tiles
    factories = 0
    if levels:
        factories = min(model.max_factories, max(1, math.ceil(6 * t_count / max(t_depth, 1))))
    layers = _runtime_layers(t_count, t_depth, max(factories, 1))
    distance = 3
    while True:
        error = (
            logical_qubits
            * layers
            * distance
            * logical_error_rate(distance, model.physical_error, model.threshold)
        )
        if error <= part:
            break
        distance += 2
    cycles = layers * distance
    physical = 2 * distance**2 * (logical_qubits + factories * tiles)
    return SurfaceCodeEstimate(
        logical_qubits=logical_qubits,
        t_count=t_count,
        t_depth=t_depth,
        rotation_eps=eps,
        t_per_rotation=per_rot,
        distance=distance,
        distillation_levels=levels,
        factories=factories,
        factory_tiles=tiles,
        physical_qubits=physical,
        runtime_s=cycles * model.cycle_time_s,
        logical_error=error,
    )
